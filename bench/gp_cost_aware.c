/*
 * gp_cost_aware: what the gp sampler's cost awareness gains in time to
 * quality.
 *
 *   gp_cost_aware [--seeds N] [--budget N] [--target LOSS]   (defaults 30, 60, 1e-5)
 *
 * The objective is shaped like an SVM's tuning: a knob `gamma` whose
 * value matters (the loss is a bowl around one value) and a knob `C` on a
 * log scale past which the loss no longer improves (a plateau for C above
 * the middle of its range), while a fit's cost grows with C as a power
 * law (0.05 s at the bottom of the range, 1 s at the top), as a solver's
 * iterations do. Every value of C on the plateau is as good as any other,
 * so a sampler that knows what trials cost can choose the cheap end.
 *
 * For each seed it runs the gp sampler twice, cost-aware and cost-blind
 * (dial_sampler_settings.cost_blind), trial after trial, each proposal
 * from the history of all finished trials with their costs, and takes the
 * time at which the best loss first reaches the target: the simulated
 * seconds of the trials so far (the objective does not sleep) plus the
 * sampler's own measured time. A run that never reaches it counts as its
 * whole time. It prints the medians over the seeds and their ratio
 * (blind / aware: above 1 means cost awareness reaches quality sooner).
 *
 * Built with the benchmarks (`make bench`, or cmake --build build --target
 * gp_cost_aware): it links dial_static and reaches the sampler's internal
 * interface (src/tune/sampler.h), as the library's own tests do.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dial/dial.h>
#include <dial/tune.h>

#include "../src/tune/sampler.h"

#define MAX_BUDGET 200

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* C's position on its log range, 0 at 2^-5 and 1 at 2^15. */
static double c_position(double c) { return (log2(c) + 5) / 20; }

static double loss_of(const double *x) {
    double gamma = x[0], c = c_position(x[1]);
    double short_of_plateau = fmax(0, 0.5 - c);
    return (gamma - 0.35) * (gamma - 0.35) + 0.3 * short_of_plateau * short_of_plateau;
}

static double cost_of(const double *x) { return 0.05 * pow(20, c_position(x[1])); }

typedef struct run_result {
    double time_to_target; /* simulated trial seconds + sampler seconds */
    double sampler_seconds;
    double trial_seconds;
    int trials_to_target;
} run_result;

static int run(dial_ctx *ctx, uint64_t seed, bool cost_blind, int budget, double target,
               run_result *out) {
    dial_param params[2] = {
        {.name = "gamma", .kind = DIAL_PARAM_FLOAT, .low = 0, .high = 1, .condition = ""},
        {.name = "C",
         .kind = DIAL_PARAM_FLOAT,
         .low = 0x1p-5,
         .high = 0x1p15,
         .log = true,
         .condition = ""},
    };
    dial_space space = {2, params};
    dial_sampler_settings settings = {
        .kind = DIAL_SAMPLER_GP, .seed = seed, .space = &space, .cost_blind = cost_blind};
    dial_sampler *sampler = NULL;
    if (dial_sampler_create_with(ctx, &settings, &sampler) != DIAL_OK) return 1;
    static dial_sampler_observation trials[MAX_BUDGET];
    static double points[MAX_BUDGET][2];
    double clock = 0, sampler_seconds = 0, trial_seconds = 0, best = INFINITY;
    *out = (run_result){0, 0, 0, -1};
    for (int number = 0; number < budget; number++) {
        dial_sampler_history history = {(size_t)number, trials};
        double start = seconds_now();
        if (dial_sampler_propose(ctx, sampler, number, &history, points[number]) != DIAL_OK) {
            dial_sampler_free(sampler);
            return 1;
        }
        double spent = seconds_now() - start;
        double loss = loss_of(points[number]), cost = cost_of(points[number]);
        sampler_seconds += spent;
        trial_seconds += cost;
        clock += spent + cost;
        trials[number] = (dial_sampler_observation){.number = number,
                                                    .state = DIAL_TRIAL_COMPLETE,
                                                    .loss = loss,
                                                    .seconds = cost,
                                                    .last_loss = NAN,
                                                    .last_step = -1,
                                                    .x = points[number]};
        best = fmin(best, loss);
        if (best <= target && out->trials_to_target < 0) {
            out->trials_to_target = number + 1;
            out->time_to_target = clock;
            out->sampler_seconds = sampler_seconds;
            out->trial_seconds = trial_seconds;
        }
    }
    if (out->trials_to_target < 0) *out = (run_result){clock, sampler_seconds, trial_seconds, -1};
    dial_sampler_free(sampler);
    return 0;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *values, int n) {
    qsort(values, (size_t)n, sizeof *values, compare_doubles);
    return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
}

int main(int argc, char **argv) {
    int seeds = 30, budget = 60;
    double target = 1e-5;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
            seeds = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc) {
            budget = atoi(argv[++i]);
        } else if (strcmp(argv[i], "--target") == 0 && i + 1 < argc) {
            target = atof(argv[++i]);
        } else {
            fprintf(stderr, "usage: gp_cost_aware [--seeds N] [--budget N] [--target LOSS]\n");
            return 2;
        }
    }
    if (seeds < 1 || seeds > 1000 || budget < 11 || budget > MAX_BUDGET) {
        fprintf(stderr, "gp_cost_aware: --seeds must be in 1..1000 and --budget in 11..%d\n",
                MAX_BUDGET);
        return 2;
    }
    dial_ctx *ctx = dial_ctx_new();
    if (!ctx) return 1;
    double *aware = calloc((size_t)seeds, sizeof *aware);
    double *blind = calloc((size_t)seeds, sizeof *blind);
    double *aware_trials = calloc((size_t)seeds, sizeof *aware_trials);
    double *blind_trials = calloc((size_t)seeds, sizeof *blind_trials);
    if (!aware || !blind || !aware_trials || !blind_trials) return 1;
    int missed_aware = 0, missed_blind = 0;
    for (int s = 0; s < seeds; s++) {
        run_result a, b;
        if (run(ctx, (uint64_t)s + 1, false, budget, target, &a) ||
            run(ctx, (uint64_t)s + 1, true, budget, target, &b)) {
            fprintf(stderr, "gp_cost_aware: %s\n", dial_ctx_error(ctx));
            return 1;
        }
        aware[s] = a.time_to_target, blind[s] = b.time_to_target;
        aware_trials[s] = a.trials_to_target < 0 ? budget : a.trials_to_target;
        blind_trials[s] = b.trials_to_target < 0 ? budget : b.trials_to_target;
        missed_aware += a.trials_to_target < 0, missed_blind += b.trials_to_target < 0;
        fprintf(stderr,
                "seed %d: aware %.2f s (%d trials, sampler %.2f s), blind %.2f s (%d trials, "
                "sampler %.2f s)\n",
                s + 1, a.time_to_target, a.trials_to_target, a.sampler_seconds, b.time_to_target,
                b.trials_to_target, b.sampler_seconds);
    }
    double aware_median = median(aware, seeds), blind_median = median(blind, seeds);
    printf("{\"target\": %g, \"budget\": %d, \"seeds\": %d, \"aware_seconds\": %.3f, "
           "\"blind_seconds\": %.3f, \"aware_trials\": %.1f, \"blind_trials\": %.1f, "
           "\"aware_missed\": %d, \"blind_missed\": %d, \"blind_over_aware\": %.3f}\n",
           target, budget, seeds, aware_median, blind_median, median(aware_trials, seeds),
           median(blind_trials, seeds), missed_aware, missed_blind, blind_median / aware_median);
    free(aware), free(blind), free(aware_trials), free(blind_trials);
    dial_ctx_free(ctx);
    return 0;
}

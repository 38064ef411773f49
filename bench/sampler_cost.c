/*
 * sampler_cost: what one proposal of a model-based sampler costs, as a
 * function of the number of finished trials it learns from.
 *
 *   sampler_cost [--repeats R] [KIND:N,N,... ...]
 *
 * Default: tpe:100,1000,10000 gp:50,300 with 21 repeats. For each KIND
 * (tpe, gp, cmaes, auto, random, qmc) and each N it builds a synthetic
 * history of N finished trials of a 5-d space (the space
 * sampler_cost_optuna.py gives Optuna: x0..x3 floats on [-5, 10] and lr a
 * float on [1e-5, 1e-1], log), whose points are drawn by a local generator
 * and whose loss is a shifted sphere (so good and bad trials differ, as in
 * a real study), then times dial_sampler_propose for trial number N, R
 * times (each a fresh proposal: nothing is cached between calls, the
 * proposal being a pure function of (seed, number, history)), and prints
 * one JSON line per (KIND, N) with the median and the quartiles of the
 * wall-clock microseconds per proposal, and the median CPU time of the
 * calling thread (what a busy machine disturbs less).
 *
 * It calls the sampler directly (src/tune/sampler.h), so what is timed is
 * the sampler's model and nothing of the study, the storage or the CLI;
 * Optuna's side times study.ask() plus the five suggest calls, which is
 * the smallest unit Optuna offers for the same work.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dial/dial.h>
#include <dial/tune.h>

/* Internal header: the bench times the sampler itself; the benchmark
 * targets see only include/, hence the path from this folder. */
#include "../src/tune/sampler.h"

#define DIMENSIONS 5
#define MAX_REPEATS 1001

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* CPU time of this thread: on a machine shared with other work the wall
 * clock measures the queue as much as the sampler. */
static double cpu_seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* splitmix64: the synthetic history only needs to look like a study's
 * points, reproducibly; it is not the library's randomness. */
static double next_uniform(uint64_t *state) {
    uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-53;
}

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void fail(dial_ctx *ctx, const char *what) {
    fprintf(stderr, "sampler_cost: %s: %s\n", what, dial_ctx_error(ctx));
    exit(1);
}

static void build_space(dial_ctx *ctx, dial_space *space) {
    static const char *const items[DIMENSIONS] = {"x0=float:-5..10", "x1=float:-5..10",
                                                  "x2=float:-5..10", "x3=float:-5..10",
                                                  "lr=float:1e-5..1e-1:log"};
    memset(space, 0, sizeof *space);
    for (size_t i = 0; i < DIMENSIONS; i++)
        if (dial_space_add_typed(ctx, space, items[i]) != DIAL_OK) fail(ctx, items[i]);
}

/* n finished trials, numbered 0..n-1, with their values in values (n *
 * DIMENSIONS, owned by the caller) and a loss that a sampler can learn. */
static void build_history(const dial_space *space, size_t n, dial_sampler_observation *trials,
                          double *values) {
    uint64_t state = 12345;
    for (size_t t = 0; t < n; t++) {
        double *x = values + t * DIMENSIONS;
        double loss = 0;
        for (size_t d = 0; d < DIMENSIONS; d++) {
            const dial_param *param = &space->params[d];
            double u = next_uniform(&state);
            if (param->log)
                x[d] = exp(log(param->low) + u * (log(param->high) - log(param->low)));
            else
                x[d] = param->low + u * (param->high - param->low);
            double shifted = param->log ? log10(x[d]) + 3.0 : x[d] - 1.5;
            loss += shifted * shifted;
        }
        trials[t] = (dial_sampler_observation){.number = (int64_t)t,
                                               .state = DIAL_TRIAL_COMPLETE,
                                               .loss = loss,
                                               .seconds = 0.01 + 0.01 * next_uniform(&state),
                                               .last_loss = NAN,
                                               .last_step = -1,
                                               .x = x};
    }
}

static void measure(dial_ctx *ctx, const dial_space *space, dial_sampler_kind kind, size_t n,
                    int repeats) {
    dial_sampler_observation *trials = calloc(n ? n : 1, sizeof *trials);
    double *values = calloc((n ? n : 1) * DIMENSIONS, sizeof *values);
    if (!trials || !values) {
        fprintf(stderr, "sampler_cost: out of memory for %zu trials\n", n);
        exit(1);
    }
    build_history(space, n, trials, values);
    dial_sampler_settings settings = {.kind = kind, .seed = 7, .space = space};
    dial_sampler *sampler = NULL;
    if (dial_sampler_create_with(ctx, &settings, &sampler) != DIAL_OK) fail(ctx, "create");
    dial_sampler_history history = {.n = n, .trials = trials};
    double point[DIMENSIONS];
    double times[MAX_REPEATS], cpu_times[MAX_REPEATS];
    for (int r = 0; r < repeats; r++) {
        double started = seconds_now(), cpu_started = cpu_seconds_now();
        if (dial_sampler_propose(ctx, sampler, (int64_t)n, &history, point) != DIAL_OK)
            fail(ctx, "propose");
        cpu_times[r] = (cpu_seconds_now() - cpu_started) * 1e6;
        times[r] = (seconds_now() - started) * 1e6;
    }
    char plan[256];
    dial_sampler_describe(sampler, plan, sizeof plan);
    qsort(times, (size_t)repeats, sizeof *times, compare_doubles);
    qsort(cpu_times, (size_t)repeats, sizeof *cpu_times, compare_doubles);
    printf("{\"sampler\": \"%s\", \"finished_trials\": %zu, \"repeats\": %d, "
           "\"median_us\": %.3f, \"q1_us\": %.3f, \"q3_us\": %.3f, \"median_cpu_us\": %.3f, "
           "\"point\": [%g, %g, %g, %g, "
           "%g], \"plan\": \"",
           dial_sampler_kind_name(kind), n, repeats, times[repeats / 2], times[repeats / 4],
           times[(3 * repeats) / 4], cpu_times[repeats / 2], point[0], point[1], point[2], point[3],
           point[4]);
    for (const char *c = plan; *c; c++)
        if (*c != '"' && *c != '\\') putchar(*c);
    printf("\"}\n");
    fflush(stdout);
    dial_sampler_free(sampler);
    free(values);
    free(trials);
}

/* KIND:N,N,... */
static void run_spec(dial_ctx *ctx, const dial_space *space, const char *spec, int repeats) {
    char kind_name[32];
    const char *colon = strchr(spec, ':');
    size_t length = colon ? (size_t)(colon - spec) : strlen(spec);
    if (!colon || length == 0 || length >= sizeof kind_name) {
        fprintf(stderr, "sampler_cost: '%s': expected KIND:N,N,... such as tpe:100,1000\n", spec);
        exit(2);
    }
    memcpy(kind_name, spec, length);
    kind_name[length] = '\0';
    dial_sampler_kind kind;
    if (!dial_sampler_kind_parse(kind_name, &kind)) {
        fprintf(stderr, "sampler_cost: '%s': unknown sampler (tpe, gp, cmaes, auto, random, qmc)\n",
                kind_name);
        exit(2);
    }
    for (const char *p = colon + 1; *p;) {
        char *end;
        long n = strtol(p, &end, 10);
        if (end == p || n < 0 || (*end && *end != ',')) {
            fprintf(stderr, "sampler_cost: '%s': a count is not a number >= 0\n", spec);
            exit(2);
        }
        measure(ctx, space, kind, (size_t)n, repeats);
        p = *end ? end + 1 : end;
    }
}

int main(int argc, char **argv) {
    int repeats = 21;
    int first_spec = 1;
    if (argc >= 3 && strcmp(argv[1], "--repeats") == 0) {
        repeats = atoi(argv[2]);
        first_spec = 3;
    }
    if (repeats < 1 || repeats > MAX_REPEATS) {
        fprintf(stderr, "sampler_cost: --repeats must be 1..%d\n", MAX_REPEATS);
        return 2;
    }
    dial_ctx *ctx = dial_ctx_new();
    if (!ctx) return 1;
    dial_space space;
    build_space(ctx, &space);
    if (first_spec >= argc) {
        run_spec(ctx, &space, "tpe:100,1000,10000", repeats);
        run_spec(ctx, &space, "gp:50,300", repeats);
    }
    for (int i = first_spec; i < argc; i++) run_spec(ctx, &space, argv[i], repeats);
    dial_space_free(&space);
    dial_ctx_free(ctx);
    return 0;
}

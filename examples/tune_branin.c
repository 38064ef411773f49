/*
 * tune_branin: the define-by-run tuning API on a function with a known
 * minimum, with the public headers only.
 *
 * The Branin function has three global minima of value 0.397887 on
 * x1 in [-5, 10], x2 in [0, 15]. A random search of 10,000 trials (one
 * random point in about a thousand lands within 0.05 of the minimum)
 * finds one; the objective also reports a running value, as an iterative
 * fit would. Prints the best trial and returns 0 only if it is within 0.05
 * of the minimum.
 *
 * Build against an installed dial:  cc tune_branin.c $(pkg-config --cflags --libs dial)
 */
#include <math.h>
#include <stdio.h>

#include <dial/dial.h>
#include <dial/tune.h>

#define BRANIN_MINIMUM 0.397887

static double branin(double x1, double x2) {
    const double pi = 3.14159265358979323846;
    const double b = 5.1 / (4 * pi * pi), c = 5 / pi, t = 1 / (8 * pi);
    double bowl = x2 - b * x1 * x1 + c * x1 - 6;
    return bowl * bowl + 10 * (1 - t) * cos(x1) + 10;
}

/* The objective: asks the trial for its two coordinates, returns the value. */
static dial_status objective(void *user, dial_trial *trial, double *value, bool *pruned) {
    (void)user;
    (void)pruned;
    double x1, x2;
    dial_status status = dial_trial_suggest_float(trial, "x1", -5, 10, DIAL_LINEAR, &x1);
    if (status == DIAL_OK) status = dial_trial_suggest_float(trial, "x2", 0, 15, DIAL_LINEAR, &x2);
    if (status != DIAL_OK) return status;
    *value = branin(x1, x2);
    return DIAL_OK;
}

int main(void) {
    dial_ctx *ctx = dial_ctx_new();
    if (!ctx) return 1;
    dial_ctx_set_threads(ctx, 2);

    /* In memory; give .storage a file name to keep the study in SQLite. */
    dial_study_options options = {
        .name = "branin", .direction = DIAL_MINIMIZE, .sampler = DIAL_SAMPLER_RANDOM, .seed = 2024};
    dial_study *study = NULL;
    dial_trial_record best = {0};
    int exit_status = 1;
    dial_status status = dial_study_open(ctx, &options, &study);
    if (status == DIAL_OK) {
        dial_optimize_options run = {.n_trials = 10000, .jobs = 2};
        status = dial_study_optimize(ctx, study, objective, NULL, &run);
    }
    if (status == DIAL_OK) status = dial_study_best(ctx, study, &best);
    if (status != DIAL_OK) {
        fprintf(stderr, "tune_branin: %s\n", dial_ctx_error(ctx));
    } else {
        printf("best of 10000 trials: trial %lld, branin(", (long long)best.number);
        for (size_t i = 0; i < best.n_params; i++)
            printf("%s%s = %s", i ? ", " : "", best.param_names[i], best.param_texts[i]);
        printf(") = %.6f (minimum %.6f)\n", best.value, BRANIN_MINIMUM);
        exit_status = fabs(best.value - BRANIN_MINIMUM) <= 0.05 ? 0 : 1;
        if (exit_status)
            fprintf(stderr, "tune_branin: the best value is not within 0.05 of the minimum\n");
    }
    dial_trial_record_clear(&best);
    dial_study_free(study);
    dial_ctx_free(ctx);
    return exit_status;
}

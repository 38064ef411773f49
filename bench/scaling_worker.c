/*
 * scaling_worker: one worker of bench/scaling.py's in-process runs.
 *
 *   scaling_worker STORAGE STUDY_NAME TOTAL
 *
 * Joins (or creates) the study STUDY_NAME in STORAGE (a SQLite file or a
 * postgresql:// URL) and runs trials through dial_study_optimize, one job,
 * until the study holds TOTAL trials. Each trial suggests one float and
 * sleeps 10 ms, in this process, as an objective of the C API (and as
 * Optuna's objective function in its worker) does: no process is started
 * per trial, so what the workers add up to is the storage's cost.
 * Prints nothing on success; one line on stderr and exit 1 on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <dial/dial.h>
#include <dial/tune.h>

static dial_status sleep_objective(void *user, dial_trial *trial, double *value, bool *pruned) {
    (void)user;
    (void)pruned;
    double x = 0.0;
    dial_status status = dial_trial_suggest_float(trial, "x", 0.0, 1.0, 0, &x);
    if (status != DIAL_OK) return status;
    struct timespec pause = {0, 10 * 1000 * 1000};
    nanosleep(&pause, NULL);
    *value = x;
    return DIAL_OK;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: scaling_worker STORAGE STUDY_NAME TOTAL\n");
        return 2;
    }
    dial_ctx *ctx = dial_ctx_new();
    if (!ctx) {
        fprintf(stderr, "scaling_worker: out of memory\n");
        return 1;
    }
    dial_study_options options = {
        .name = argv[2],
        .storage = argv[1],
        .direction = DIAL_MINIMIZE,
        .sampler = DIAL_SAMPLER_RANDOM,
        .seed = 1,
    };
    dial_study *study = NULL;
    dial_status status = dial_study_open(ctx, &options, &study);
    if (status == DIAL_OK) {
        dial_optimize_options run = {.n_trials = strtoll(argv[3], NULL, 10), .jobs = 1};
        status = dial_study_optimize(ctx, study, sleep_objective, NULL, &run);
    }
    if (status != DIAL_OK) fprintf(stderr, "scaling_worker: %s\n", dial_ctx_error(ctx));
    dial_study_free(study);
    dial_ctx_free(ctx);
    return status == DIAL_OK ? 0 : 1;
}

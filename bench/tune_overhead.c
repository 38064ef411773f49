/*
 * tune_overhead: what the tuner itself costs per trial, through the C API.
 *
 *   tune_overhead [DIR] [--sampler random|qmc] [--trials N,N,...] [--storage memory|sqlite]
 *
 * The objective is trivial (x*x + y*y of two suggested floats), so the time
 * is the tuner's: allocating the trial, drawing and storing its params,
 * storing its value. For each trial count (default 1000 and 10000) and each
 * storage (in memory; SQLite in a fresh file under DIR, default /tmp) it
 * runs a fresh study with dial_study_optimize, one job, and prints one JSON
 * object with, per run, the mean wall-clock microseconds per trial over the
 * whole run and over its first and last 1,000 trials (equal when the cost
 * does not grow with the study), and the same two windows in CPU time of
 * the thread that runs the trials, which a busy machine disturbs less (but
 * which leaves out waiting for the disk).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dial/dial.h>
#include <dial/tune.h>

#define WINDOW 1000

typedef struct clock_marks {
    int64_t n_trials;
    int64_t done;
    double first_window_end, last_window_start, end; /* wall clock */
    double cpu_start, cpu_first_window_end, cpu_last_window_start, cpu_end;
} clock_marks;

static double seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* CPU time of the calling thread, which runs the trials with one job: it
 * leaves out the time other processes on a busy machine take. */
static double cpu_seconds_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static dial_status sum_of_squares(void *user, dial_trial *trial, double *value, bool *pruned) {
    (void)user;
    (void)pruned;
    double x, y;
    dial_status status = dial_trial_suggest_float(trial, "x", -10, 10, DIAL_LINEAR, &x);
    if (status == DIAL_OK) status = dial_trial_suggest_float(trial, "y", -10, 10, DIAL_LINEAR, &y);
    if (status != DIAL_OK) return status;
    *value = x * x + y * y;
    return DIAL_OK;
}

/* Notes the time when the first window ends and the last one starts. */
static void mark(void *user, const dial_study *study, const dial_trial_record *trial) {
    (void)study;
    (void)trial;
    clock_marks *marks = user;
    marks->done++;
    /* Clocks are read only at the two marks: reading the CPU clock is a
     * system call, which would add to the very cost being measured. */
    if (marks->done == WINDOW) {
        marks->first_window_end = seconds_now();
        marks->cpu_first_window_end = cpu_seconds_now();
    }
    if (marks->done == marks->n_trials - WINDOW) {
        marks->last_window_start = seconds_now();
        marks->cpu_last_window_start = cpu_seconds_now();
    }
}

static void remove_study_file(const char *path) {
    char side[600];
    unlink(path);
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* Runs one study; prints its JSON object. Returns false on an error. */
static bool run_one(dial_sampler_kind sampler, const char *sampler_name, const char *storage,
                    int64_t n_trials, bool first) {
    dial_ctx *ctx = dial_ctx_new();
    if (!ctx) return false;
    if (storage) remove_study_file(storage);
    dial_study_options options = {
        .name = "overhead", .direction = DIAL_MINIMIZE, .sampler = sampler, .seed = 1};
    options.storage = storage;
    dial_study *study = NULL;
    clock_marks marks = {.n_trials = n_trials};
    dial_optimize_options run = {
        .n_trials = n_trials, .jobs = 1, .on_trial = mark, .on_trial_user = &marks};
    double started = seconds_now();
    marks.cpu_start = cpu_seconds_now();
    dial_status status = dial_study_open(ctx, &options, &study);
    if (status == DIAL_OK) status = dial_study_optimize(ctx, study, sum_of_squares, NULL, &run);
    marks.end = seconds_now();
    marks.cpu_end = cpu_seconds_now();
    if (status != DIAL_OK) {
        fprintf(stderr, "tune_overhead: %s\n", dial_ctx_error(ctx));
    } else {
        double whole = (marks.end - started) / (double)n_trials * 1e6;
        double head = (marks.first_window_end - started) / WINDOW * 1e6;
        double tail = (marks.end - marks.last_window_start) / WINDOW * 1e6;
        double cpu_head = (marks.cpu_first_window_end - marks.cpu_start) / WINDOW * 1e6;
        double cpu_tail = (marks.cpu_end - marks.cpu_last_window_start) / WINDOW * 1e6;
        if (n_trials <= WINDOW) {
            tail = head;
            cpu_tail = cpu_head;
        }
        printf("%s    {\"storage\": \"%s\", \"sampler\": \"%s\", \"trials\": %lld, "
               "\"us_per_trial\": %.2f, \"first_%d_us_per_trial\": %.2f, "
               "\"last_%d_us_per_trial\": %.2f, \"first_%d_cpu_us_per_trial\": %.2f, "
               "\"last_%d_cpu_us_per_trial\": %.2f}",
               first ? "" : ",\n", storage ? "sqlite" : "memory", sampler_name, (long long)n_trials,
               whole, WINDOW, head, WINDOW, tail, WINDOW, cpu_head, WINDOW, cpu_tail);
        fflush(stdout);
    }
    dial_study_free(study);
    dial_ctx_free(ctx);
    if (storage) remove_study_file(storage);
    return status == DIAL_OK;
}

int main(int argc, char **argv) {
    const char *dir = "/tmp";
    const char *sampler_name = "random";
    int64_t counts[8] = {1000, 10000};
    size_t n_counts = 2;
    const char *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sampler") == 0 && i + 1 < argc) {
            sampler_name = argv[++i];
        } else if (strcmp(argv[i], "--trials") == 0 && i + 1 < argc) {
            n_counts = 0;
            for (char *item = strtok(argv[++i], ","); item && n_counts < 8;
                 item = strtok(NULL, ","))
                counts[n_counts++] = strtoll(item, NULL, 10);
        } else if (strcmp(argv[i], "--storage") == 0 && i + 1 < argc) {
            only = argv[++i];
        } else if (argv[i][0] != '-') {
            dir = argv[i];
        } else {
            fprintf(stderr, "usage: tune_overhead [DIR] [--sampler random|qmc] [--trials N,...] "
                            "[--storage memory|sqlite]\n");
            return 2;
        }
    }
    dial_sampler_kind sampler = DIAL_SAMPLER_RANDOM;
    if (strcmp(sampler_name, "qmc") == 0) {
        sampler = DIAL_SAMPLER_QMC;
    } else if (strcmp(sampler_name, "random") != 0) {
        fprintf(stderr, "tune_overhead: unknown sampler '%s' (random or qmc)\n", sampler_name);
        return 2;
    }
    char path[512];
    snprintf(path, sizeof path, "%s/dial_tune_overhead_%d.db", dir, (int)getpid());

    printf("{\"dial_version\": \"%s\", \"window\": %d, \"runs\": [\n", DIAL_VERSION_STRING, WINDOW);
    bool ok = true, first = true;
    for (size_t c = 0; c < n_counts && ok; c++) {
        for (int sqlite = 0; sqlite < 2 && ok; sqlite++) {
            if (only && strcmp(only, sqlite ? "sqlite" : "memory") != 0) continue;
            ok = run_one(sampler, sampler_name, sqlite ? path : NULL, counts[c], first);
            first = false;
        }
    }
    printf("\n]}\n");
    return ok ? 0 : 1;
}

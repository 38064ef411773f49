/*
 * bench_models: times one model's fit and predict on a CSV file.
 *
 *   bench_models MODEL CSV TARGET REPEATS [name=value ...]
 *
 * Loads the CSV (not timed), holds out every fifth row (row index % 5 == 0)
 * as the test set, then REPEATS times fits MODEL on the other rows and
 * predicts the test rows, and prints one JSON line:
 *
 *   {"model":"knn","dataset":"letter","fit_predict_seconds":0.42,"score":0.95}
 *
 * fit_predict_seconds is the best of the repeats (wall time of fit plus
 * predict); score is the accuracy (classification) or r2 (regression) of the
 * last repeat. The library runs with a budget of 2 threads. The fixed split
 * lets bench/models_vs_sklearn.py give scikit-learn exactly the same rows.
 * Exit status: 0 on success, 2 on a usage error, 1 on any other error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dial/dial.h"

#define BENCH_THREADS 2

static double bench_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static int bench_usage(const char *message) {
    if (message) fprintf(stderr, "bench_models: %s\n", message);
    fprintf(stderr, "usage: bench_models MODEL CSV TARGET REPEATS [name=value ...]\n"
                    "  times REPEATS fits of MODEL on the rows of CSV whose index %% 5 != 0\n"
                    "  plus predictions of the others; prints one JSON line\n");
    return 2;
}

/* The file name without directory and extension: "data/letter.csv" -> "letter". */
static void bench_dataset_name(const char *path, char *out, size_t size) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(out, size, "%s", base);
    char *dot = strrchr(out, '.');
    if (dot && dot != out) *dot = '\0';
}

/* Prints s as a JSON string. */
static void bench_print_json_string(const char *s) {
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

typedef struct bench {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
    dial_knobs knobs;
    size_t *train, *test;
    size_t n_train, n_test;
    double *value;
} bench;

static void bench_free(bench *b) {
    free(b->value);
    free(b->train);
    free(b->test);
    dial_knobs_free(&b->knobs);
    dial_dataset_free(b->data);
    dial_table_free(b->table);
    dial_ctx_free(b->ctx);
}

static dial_status bench_split(bench *b) {
    size_t n = b->data->n_rows;
    b->train = malloc(n * sizeof *b->train);
    b->test = malloc(n * sizeof *b->test);
    b->value = malloc(n * sizeof *b->value);
    if (!b->train || !b->test || !b->value)
        return dial_fail(b->ctx, DIAL_ERR_NOMEM, "out of memory splitting %zu rows", n);
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            b->test[b->n_test++] = i;
        else
            b->train[b->n_train++] = i;
    }
    if (b->n_train == 0 || b->n_test == 0)
        return dial_fail(b->ctx, DIAL_ERR_DATA, "%zu rows are too few to split", n);
    return DIAL_OK;
}

/* One timed fit + predict; the score is computed outside the timing. */
static dial_status bench_once(bench *b, const dial_model_family *family, double *seconds,
                              double *score) {
    dial_view train = {b->data, b->train, b->n_train};
    dial_view test = {b->data, b->test, b->n_test};
    dial_model *model = NULL;
    double start = bench_now();
    dial_status status = dial_model_fit(b->ctx, family, &b->knobs, &train, &model);
    if (status == DIAL_OK) status = dial_model_predict(b->ctx, model, &test, b->value, NULL);
    *seconds = bench_now() - start;
    dial_model_free(model);
    if (status != DIAL_OK) return status;

    double *y_true = malloc(b->n_test * sizeof *y_true);
    if (!y_true) return dial_fail(b->ctx, DIAL_ERR_NOMEM, "out of memory scoring");
    for (size_t i = 0; i < b->n_test; i++) y_true[i] = b->data->y[b->test[i]];
    bool classification = b->data->task == DIAL_TASK_CLASSIFICATION;
    status = dial_metric_score(b->ctx, classification ? DIAL_METRIC_ACCURACY : DIAL_METRIC_R2,
                               y_true, b->value, NULL, b->n_test,
                               classification ? b->data->n_classes : 0, score);
    free(y_true);
    return status;
}

static int bench_run(bench *b, int argc, char **argv) {
    const char *model_name = argv[1], *path = argv[2], *target = argv[3];
    char *end = NULL;
    long repeats = strtol(argv[4], &end, 10);
    if (*argv[4] == '\0' || *end != '\0' || repeats < 1)
        return bench_usage("REPEATS must be a whole number of at least 1");

    const dial_model_family *family = NULL;
    dial_status status = dial_model_family_lookup(b->ctx, model_name, &family);
    if (status == DIAL_OK) status = dial_model_knobs_init(b->ctx, family, &b->knobs);
    for (int i = 5; i < argc && status == DIAL_OK; i++)
        status = dial_knobs_set_assignment(b->ctx, &b->knobs, argv[i]);
    if (status == DIAL_OK) status = dial_table_read(b->ctx, path, NULL, &b->table);
    if (status == DIAL_OK)
        status = dial_dataset_from_table(b->ctx, b->table, target, DIAL_TASK_AUTO, &b->data);
    if (status == DIAL_OK) status = bench_split(b);

    double best = -1, score = 0;
    for (long r = 0; r < repeats && status == DIAL_OK; r++) {
        double seconds = 0;
        status = bench_once(b, family, &seconds, &score);
        if (best < 0 || seconds < best) best = seconds;
    }
    if (status != DIAL_OK) {
        fprintf(stderr, "bench_models: %s\n", dial_ctx_error(b->ctx));
        return status == DIAL_ERR_ARGUMENT || status == DIAL_ERR_KNOB ? 2 : 1;
    }

    char dataset[256];
    bench_dataset_name(path, dataset, sizeof dataset);
    printf("{\"model\":");
    bench_print_json_string(model_name);
    printf(",\"dataset\":");
    bench_print_json_string(dataset);
    printf(",\"fit_predict_seconds\":%.6g,\"score\":%.6f}\n", best, score);
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 5) return bench_usage(argc == 1 ? NULL : "expected at least 4 arguments");
    bench b = {0};
    b.ctx = dial_ctx_new();
    if (!b.ctx) {
        fprintf(stderr, "bench_models: out of memory\n");
        return 1;
    }
    dial_ctx_set_threads(b.ctx, BENCH_THREADS);
    int code = bench_run(&b, argc, argv);
    bench_free(&b);
    return code;
}

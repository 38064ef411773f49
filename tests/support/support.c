#define _DEFAULT_SOURCE /* mkstemps */
#include "test_support.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

dial_ctx *test_ctx(void) {
    dial_ctx *ctx = dial_ctx_new();
    assert_non_null(ctx);
    dial_ctx_set_seed(ctx, 1);
    return ctx;
}

char *test_read_file(const char *path, size_t *length) {
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *bytes = malloc((size_t)size + 1);
    assert_non_null(bytes);
    if (fread(bytes, 1, (size_t)size, f) != (size_t)size) fail_msg("cannot read %s", path);
    fclose(f);
    bytes[size] = '\0';
    if (length) *length = (size_t)size;
    return bytes;
}

char *test_write_temp(const char *bytes, size_t length, const char *suffix) {
    char *path = malloc(256);
    assert_non_null(path);
    snprintf(path, 256, "/tmp/dial-test-XXXXXX%s", suffix ? suffix : "");
    int fd = mkstemps(path, suffix ? (int)strlen(suffix) : 0);
    if (fd < 0) fail_msg("cannot create a temporary file");
    if (length && write(fd, bytes, length) != (ssize_t)length) fail_msg("cannot write %s", path);
    close(fd);
    return path;
}

dial_dataset *test_load_dataset(dial_ctx *ctx, const char *path, const char *target,
                                dial_table **table) {
    assert_dial_ok(ctx, dial_table_read(ctx, path, NULL, table));
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, *table, target, DIAL_TASK_AUTO, &data));
    return data;
}

dial_knobs test_knobs(dial_ctx *ctx, const dial_model_family *family, const char *const *settings) {
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, family, &knobs));
    for (size_t i = 0; settings && settings[i]; i++)
        assert_dial_ok(ctx, dial_knobs_set_assignment(ctx, &knobs, settings[i]));
    assert_dial_ok(ctx, dial_knobs_check(ctx, &knobs));
    return knobs;
}

dial_model *test_fit_file(dial_ctx *ctx, const dial_model_family *family, const char *path,
                          const char *target, const char *const *settings) {
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    dial_knobs knobs = test_knobs(ctx, family, settings);
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, family, &knobs, &all, &model));
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    return model;
}

/* Feature j of row i as read: the column's value, or the entry of a
 * sparse file's compressed rows (0 when absent; feature j is column j). */
static double raw_value(const dial_dataset *data, size_t j, size_t i) {
    if (data->features[j]->values) return data->features[j]->values[i];
    const dial_csr *m = data->sparse;
    for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++)
        if (m->col[k] == j) return m->value[k];
    return 0;
}

/* Feature j of row i, scaled to [-1, 1] over every row when asked. */
static double fold_value(const dial_dataset *data, size_t j, size_t i, bool scale_pm1) {
    if (!scale_pm1) return raw_value(data, j, i);
    double low = raw_value(data, j, 0), high = low;
    for (size_t r = 1; r < data->n_rows; r++) {
        double v = raw_value(data, j, r);
        low = v < low ? v : low;
        high = v > high ? v : high;
    }
    double v = raw_value(data, j, i);
    return high > low ? 2 * (v - low) / (high - low) - 1 : 0;
}

test_fold test_load_fold(const char *path, const char *target, size_t stride, bool scale_pm1) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    size_t d = data->n_features, n_test = (data->n_rows + stride - 1) / stride;
    size_t n_train = data->n_rows - n_test;
    test_fold f = {.x_train = malloc(n_train * d * sizeof(double)),
                   .y_train = malloc(n_train * sizeof(double)),
                   .x_test = malloc(n_test * d * sizeof(double)),
                   .y_test = malloc(n_test * sizeof(double)),
                   .n_classes = data->task == DIAL_TASK_CLASSIFICATION ? data->n_classes : 0};
    assert_true(f.x_train && f.y_train && f.x_test && f.y_test);
    size_t a = 0, b = 0;
    for (size_t i = 0; i < data->n_rows; i++) {
        bool test = i % stride == 0;
        double *row = test ? f.x_test + b * d : f.x_train + a * d;
        for (size_t j = 0; j < d; j++) row[j] = fold_value(data, j, i, scale_pm1);
        if (test)
            f.y_test[b++] = data->y[i];
        else
            f.y_train[a++] = data->y[i];
    }
    f.train = (dial_fit_input){.x = f.x_train,
                               .n_rows = n_train,
                               .n_features = d,
                               .y = f.y_train,
                               .task = data->task,
                               .n_classes = f.n_classes};
    f.test = f.train;
    f.test.x = f.x_test;
    f.test.n_rows = n_test;
    f.test.y = NULL;
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return f;
}

void test_fold_free(test_fold *fold) {
    free(fold->x_train);
    free(fold->y_train);
    free(fold->x_test);
    free(fold->y_test);
}

long test_peak_kilobytes(void) {
    FILE *status = fopen("/proc/self/status", "r");
    if (!status) return -1;
    char line[256];
    long kilobytes = -1;
    while (fgets(line, sizeof line, status))
        if (sscanf(line, "VmHWM: %ld kB", &kilobytes) == 1) break;
    fclose(status);
    return kilobytes;
}

int test_study_folder_setup(void **state) {
    test_study_folder *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/dial-study-XXXXXX");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    snprintf(f->path, sizeof f->path, "%s/s.db", f->dir);
    f->ctx = test_ctx();
    *state = f;
    return 0;
}

int test_study_folder_teardown(void **state) {
    test_study_folder *f = *state;
    DIR *dir = opendir(f->dir);
    struct dirent *entry;
    while (dir && (entry = readdir(dir))) {
        if (entry->d_name[0] == '.') continue;
        char file[400];
        snprintf(file, sizeof file, "%s/%s", f->dir, entry->d_name);
        unlink(file);
    }
    if (dir) closedir(dir);
    rmdir(f->dir);
    dial_ctx_free(f->ctx);
    free(f);
    return 0;
}

int test_storage_fixture_open(void **state, bool sqlite, dial_direction direction) {
    test_storage_fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->sqlite = sqlite;
    f->ctx = test_ctx();
    if (sqlite) {
        f->path = test_write_temp("", 0, ".db");
        assert_dial_ok(f->ctx, dial_storage_sqlite_open(f->ctx, f->path, &f->storage));
    } else {
        assert_dial_ok(f->ctx, dial_storage_memory_open(f->ctx, &f->storage));
    }
    assert_dial_ok(f->ctx, f->storage.ops->open_study(f->ctx, f->storage.self, "s", direction, NULL,
                                                      &f->study));
    *state = f;
    return 0;
}

const char *test_postgres_url(void) {
    const char *url = getenv("DIAL_TEST_POSTGRES");
    return url && *url ? url : NULL;
}

int test_storage_fixture_open_postgres(void **state, dial_direction direction) {
    test_storage_fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    f->ctx = test_ctx();
    const char *url = test_postgres_url();
    if (!url) fail_msg("DIAL_TEST_POSTGRES is not set: run under tests/support/pg_server.sh");
    assert_dial_ok(f->ctx, dial_storage_postgres_open(f->ctx, url, false, &f->storage));
    bool found = false;
    assert_dial_ok(f->ctx, f->storage.ops->delete_study(f->ctx, f->storage.self, "s", &found));
    assert_dial_ok(f->ctx, f->storage.ops->open_study(f->ctx, f->storage.self, "s", direction, NULL,
                                                      &f->study));
    *state = f;
    return 0;
}

int test_storage_fixture_close(void **state) {
    test_storage_fixture *f = *state;
    dial_storage_close(&f->storage);
    if (f->path) {
        char side[300];
        unlink(f->path);
        snprintf(side, sizeof side, "%s-wal", f->path);
        unlink(side);
        snprintf(side, sizeof side, "%s-shm", f->path);
        unlink(side);
        free(f->path);
    }
    dial_ctx_free(f->ctx);
    free(f);
    return 0;
}

/* ---- sampler tests ---- */

dial_param test_float_param(const char *name, double low, double high, bool log) {
    return (dial_param){.name = (char *)name,
                        .kind = DIAL_PARAM_FLOAT,
                        .low = low,
                        .high = high,
                        .log = log,
                        .condition = ""};
}

dial_param test_int_param(const char *name, double low, double high, double step, bool log) {
    return (dial_param){.name = (char *)name,
                        .kind = DIAL_PARAM_INT,
                        .low = low,
                        .high = high,
                        .step = step,
                        .log = log,
                        .condition = ""};
}

dial_param test_choice_param(const char *name, char **choices, size_t n, const char *condition) {
    return (dial_param){.name = (char *)name,
                        .kind = DIAL_PARAM_CHOICE,
                        .low = 0,
                        .high = (double)(n - 1),
                        .n_choices = n,
                        .choices = choices,
                        .condition = (char *)condition};
}

dial_sampler *test_sampler_make(dial_ctx *ctx, dial_sampler_kind kind, uint64_t seed,
                                dial_param *params, size_t n) {
    dial_space space = {n, params};
    dial_sampler_settings settings = {.kind = kind, .seed = seed, .space = &space};
    dial_sampler *sampler = NULL;
    assert_dial_ok(ctx, dial_sampler_create_with(ctx, &settings, &sampler));
    return sampler;
}

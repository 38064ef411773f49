#define _DEFAULT_SOURCE /* mkstemps */
#include "test_support.h"

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

/* How much loading reads (src/modelfile/modelfile_io.c): an input that is
 * not a model file is refused after its 25-byte prefix, however large it is
 * (/dev/zero, a 1 GiB file); an input over the cap is refused having read
 * at most cap + 1 bytes, a regular file by its size before reading past the
 * prefix. Bytes read are counted by the kernel (rchar of /proc/self/io:
 * every byte read() returned to this process), not timed. */
#include "test_support.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modelfile/modelfile_internal.h"
#include "modelfile/modelfile_io.h"

/* The rchar of /proc/self/io, read with one read(): the count does not
 * include that read, whose own length goes to *cost. */
static unsigned long long rchar(size_t *cost) {
    char text[1024];
    int fd = open("/proc/self/io", O_RDONLY);
    assert_true(fd >= 0);
    ssize_t length = read(fd, text, sizeof text - 1);
    close(fd);
    assert_true(length > 0);
    text[length] = '\0';
    unsigned long long count = 0;
    assert_int_equal(sscanf(text, "rchar: %llu", &count), 1);
    if (cost) *cost = (size_t)length;
    return count;
}

/* Bytes read since the start mark, less what reading the marks cost. */
typedef struct read_mark {
    unsigned long long rchar;
    size_t cost;
} read_mark;

static read_mark mark_reads(void) {
    read_mark mark;
    mark.rchar = rchar(&mark.cost);
    return mark;
}

static unsigned long long bytes_read_since(read_mark start) {
    return rchar(NULL) - start.rchar - start.cost;
}

/* A valid model file's bytes (a knn on iris). */
static unsigned char *iris_model_bytes(dial_ctx *ctx, size_t *length) {
    dial_model *model =
        test_fit_file(ctx, dial_model_family_find("knn"), "data/iris.csv", "species", NULL);
    unsigned char *bytes;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, length));
    dial_model_free(model);
    return bytes;
}

static void test_dev_zero_is_refused_after_the_prefix(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = NULL;
    read_mark before = mark_reads();
    assert_dial_error(ctx, dial_model_load(ctx, "/dev/zero", &model), DIAL_ERR_FORMAT,
                      "/dev/zero: not a dial model file (bad magic)");
    unsigned long long read = bytes_read_since(before);
    assert_null(model);
    /* The prefix, and nothing of the endless rest. */
    assert_int_equal(read, DIAL_MODELFILE_PREFIX_SIZE);
    dial_ctx_free(ctx);
}

static void test_a_1_gib_file_with_a_bad_magic_is_refused_after_the_prefix(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    static const char zip[] = "PK\003\004 not a model but a zip file";
    char *path = test_write_temp(zip, sizeof zip - 1, ".dial");
    assert_int_equal(truncate(path, (off_t)1 << 30), 0); /* sparse: no disk used */
    dial_model *model = NULL;
    char expected[256];
    snprintf(expected, sizeof expected, "%s: not a dial model file (bad magic)", path);
    read_mark before = mark_reads();
    assert_dial_error(ctx, dial_model_load(ctx, path, &model), DIAL_ERR_FORMAT, expected);
    assert_int_equal(bytes_read_since(before), DIAL_MODELFILE_PREFIX_SIZE);
    unlink(path);
    free(path);
    dial_ctx_free(ctx);
}

static void test_a_mangled_magic_is_still_explained_from_the_prefix(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    size_t length;
    unsigned char *bytes = iris_model_bytes(ctx, &length);
    /* A CRLF -> LF conversion: "\r\n" becomes "\n", one byte shorter. */
    memmove(bytes + 5, bytes + 6, length - 6);
    char *path = test_write_temp((const char *)bytes, length - 1, ".dial");
    dial_model *model = NULL;
    char expected[512];
    snprintf(expected, sizeof expected,
             "%s: not a dial model file (bad magic): it was mangled by newline conversion "
             "(\\r\\n became \\n); copy it again in binary mode",
             path);
    assert_dial_error(ctx, dial_model_load(ctx, path, &model), DIAL_ERR_FORMAT, expected);
    unlink(path);
    free(path);
    free(bytes);
    dial_ctx_free(ctx);
}

static void test_a_regular_file_over_the_cap_is_refused_by_its_size(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    size_t length;
    unsigned char *bytes = iris_model_bytes(ctx, &length);
    char *path = test_write_temp((const char *)bytes, length, ".dial");
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    unsigned char *read_bytes = NULL;
    size_t read_length = 0;
    char expected[256];
    snprintf(expected, sizeof expected,
             "%s: %zu bytes is larger than a model file can be (1000 bytes)", path, length);
    read_mark before = mark_reads();
    assert_dial_error(ctx,
                      dial_modelfile_read_capped(ctx, fd, path, 1000, &read_bytes, &read_length),
                      DIAL_ERR_FORMAT, expected);
    assert_int_equal(bytes_read_since(before), DIAL_MODELFILE_PREFIX_SIZE);
    assert_null(read_bytes);
    close(fd);
    unlink(path);
    free(path);
    free(bytes);
    dial_ctx_free(ctx);
}

/* Feeds a pipe a model's prefix and then zeros until the reader closes it. */
typedef struct endless_writer {
    int fd;
    const unsigned char *prefix;
} endless_writer;

static void *write_endlessly(void *arg) {
    endless_writer *w = arg;
    unsigned char zeros[4096] = {0};
    if (write(w->fd, w->prefix, DIAL_MODELFILE_PREFIX_SIZE) < 0) return NULL;
    while (write(w->fd, zeros, sizeof zeros) > 0) continue;
    return NULL; /* EPIPE: the reader gave up */
}

static void test_an_endless_stream_is_refused_at_the_cap(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    size_t length;
    unsigned char *bytes = iris_model_bytes(ctx, &length);
    signal(SIGPIPE, SIG_IGN);
    int ends[2];
    assert_int_equal(pipe(ends), 0);
    endless_writer writer = {.fd = ends[1], .prefix = bytes};
    pthread_t thread;
    assert_int_equal(pthread_create(&thread, NULL, write_endlessly, &writer), 0);
    unsigned char *read_bytes = NULL;
    size_t read_length = 0;
    const uint64_t cap = 1 << 20;
    read_mark before = mark_reads();
    assert_dial_error(
        ctx, dial_modelfile_read_capped(ctx, ends[0], "a pipe", cap, &read_bytes, &read_length),
        DIAL_ERR_FORMAT, "a pipe: larger than a model file can be: more than 1048576 bytes");
    unsigned long long read = bytes_read_since(before);
    close(ends[0]);
    pthread_join(thread, NULL);
    close(ends[1]);
    /* cap + 1 bytes show the input is over the cap; no more were taken. */
    assert_int_equal(read, cap + 1);
    assert_null(read_bytes);
    free(bytes);
    dial_ctx_free(ctx);
}

static void test_a_model_within_the_cap_reads_whole_from_a_pipe(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    size_t length;
    unsigned char *bytes = iris_model_bytes(ctx, &length);
    int ends[2];
    assert_int_equal(pipe(ends), 0);
    /* The model is 8 KiB, under a pipe's 64 KiB buffer: written at once. */
    assert_true(length < 65536);
    assert_int_equal(write(ends[1], bytes, length), (ssize_t)length);
    close(ends[1]);
    unsigned char *read_bytes = NULL;
    size_t read_length = 0;
    assert_dial_ok(
        ctx, dial_modelfile_read_capped(ctx, ends[0], "a pipe", length, &read_bytes, &read_length));
    close(ends[0]);
    assert_int_equal(read_length, length);
    assert_memory_equal(read_bytes, bytes, length);
    free(read_bytes);
    free(bytes);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dev_zero_is_refused_after_the_prefix),
        cmocka_unit_test(test_a_1_gib_file_with_a_bad_magic_is_refused_after_the_prefix),
        cmocka_unit_test(test_a_mangled_magic_is_still_explained_from_the_prefix),
        cmocka_unit_test(test_a_regular_file_over_the_cap_is_refused_by_its_size),
        cmocka_unit_test(test_an_endless_stream_is_refused_at_the_cap),
        cmocka_unit_test(test_a_model_within_the_cap_reads_whole_from_a_pipe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * .dial files on disk: a save through dial_output (a temporary file beside
 * the target, flushed to the disk and renamed over it; a device written in
 * place) and a load that checks the magic before it reads the rest and
 * never reads or holds more than DIAL_MODELFILE_MAX_FILE bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "dial/modelfile.h"
#include "modelfile/modelfile_internal.h"
#include "modelfile/modelfile_io.h"

/* The text of an errno value; strerror is not thread-safe. */
static const char *error_text(int error, char *buf, size_t size) {
    if (strerror_r(error, buf, size) != 0) snprintf(buf, size, "error %d", error);
    return buf;
}

dial_status dial_model_save(dial_ctx *ctx, const dial_model *model, const char *path) {
    dial_output *output = NULL;
    dial_status status = dial_output_open(ctx, path, &output);
    if (status != DIAL_OK) return status;
    status = dial_model_save_output(ctx, model, output);
    if (status != DIAL_OK) {
        dial_output_abort(output);
        return status;
    }
    return dial_output_commit(ctx, output);
}

/* Reads until size bytes are in or the input ends; returns how many came,
 * or -1 with errno set. */
static ssize_t read_up_to(int fd, unsigned char *bytes, size_t size) {
    size_t used = 0;
    while (used < size) {
        ssize_t got = read(fd, bytes + used, size - used);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return -1;
        if (got == 0) break;
        used += (size_t)got;
    }
    return (ssize_t)used;
}

/* size: the input's size, or 0 for a stream known only to be over cap. */
static dial_status too_large(dial_ctx *ctx, const char *name, uint64_t cap, uint64_t size) {
    if (size)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s: %" PRIu64 " bytes is larger than a model file can be (%" PRIu64
                         " bytes)",
                         name, size, cap);
    return dial_fail(ctx, DIAL_ERR_FORMAT,
                     "%s: larger than a model file can be: more than %" PRIu64 " bytes", name, cap);
}

dial_status dial_modelfile_read_capped(dial_ctx *ctx, int fd, const char *name, uint64_t cap,
                                       unsigned char **out, size_t *length) {
    *out = NULL;
    *length = 0;
    if (cap > SIZE_MAX - 1) cap = SIZE_MAX - 1;
    char text[128];
    /* The prefix first: a file that does not start with the magic is
     * refused after 25 bytes, however large it is (a disk image, /dev/zero),
     * with the message that says what is wrong with it. */
    unsigned char prefix[DIAL_MODELFILE_PREFIX_SIZE];
    ssize_t got = read_up_to(fd, prefix, sizeof prefix);
    if (got < 0)
        return dial_fail(ctx, DIAL_ERR_IO, "cannot read %s: %s", name,
                         error_text(errno, text, sizeof text));
    size_t used = (size_t)got;
    if (used < sizeof prefix ||
        memcmp(prefix, DIAL_MODELFILE_MAGIC, DIAL_MODELFILE_MAGIC_SIZE) != 0) {
        dial_model *none = NULL;
        dial_status status = dial_model_load_buffer(ctx, name, prefix, used, &none);
        dial_model_free(none);
        return status != DIAL_OK ? status
                                 : dial_fail(ctx, DIAL_ERR_INTERNAL, "%s: a prefix loaded", name);
    }
    /* A regular file's size is known: one allocation, and an early no. A
     * stream (a pipe, a device) grows the buffer, never past the cap. */
    size_t capacity = (size_t)1 << 16;
    struct stat info;
    if (fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
        if ((uint64_t)info.st_size > cap) return too_large(ctx, name, cap, (uint64_t)info.st_size);
        capacity = (size_t)info.st_size + 1;
    }
    if (capacity < sizeof prefix + 1) capacity = sizeof prefix + 1;
    if (capacity > cap + 1) capacity = (size_t)cap + 1;
    unsigned char *bytes = dial_malloc(ctx, capacity);
    if (!bytes) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading %s", name);
    memcpy(bytes, prefix, used);
    for (;;) {
        if (used == capacity) {
            /* cap + 1 bytes in: the input is over the cap. */
            if (capacity > cap) {
                free(bytes);
                return too_large(ctx, name, cap, 0);
            }
            size_t grown_capacity = capacity > (cap + 1) / 2 ? (size_t)cap + 1 : 2 * capacity;
            unsigned char *grown = dial_realloc(ctx, bytes, grown_capacity);
            if (!grown) {
                free(bytes);
                return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading %s", name);
            }
            bytes = grown;
            capacity = grown_capacity;
        }
        got = read_up_to(fd, bytes + used, capacity - used);
        if (got < 0) {
            int error = errno;
            free(bytes);
            return dial_fail(ctx, DIAL_ERR_IO, "cannot read %s: %s", name,
                             error_text(error, text, sizeof text));
        }
        used += (size_t)got;
        if (used < capacity) break;
    }
    *out = bytes;
    *length = used;
    return DIAL_OK;
}

dial_status dial_model_load(dial_ctx *ctx, const char *path, dial_model **out) {
    *out = NULL;
    char text[128];
    bool from_stdin = strcmp(path, "-") == 0;
    int fd = from_stdin ? STDIN_FILENO : open(path, O_RDONLY);
    if (fd < 0)
        return dial_fail(ctx, DIAL_ERR_IO, "cannot open %s: %s", path,
                         error_text(errno, text, sizeof text));
    unsigned char *bytes = NULL;
    size_t length = 0;
    const char *name = from_stdin ? "standard input" : path;
    dial_status status =
        dial_modelfile_read_capped(ctx, fd, name, DIAL_MODELFILE_MAX_FILE, &bytes, &length);
    if (!from_stdin) close(fd);
    if (status == DIAL_OK) status = dial_model_load_buffer(ctx, name, bytes, length, out);
    free(bytes);
    return status;
}

/*
 * .dial files on disk: an atomic save (write a temporary file beside the
 * target, flush it to the disk, rename it over the target) and a load that
 * reads at most DIAL_MODELFILE_MAX_FILE bytes before decoding.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/text.h"
#include "dial/modelfile.h"
#include "modelfile/modelfile_internal.h"

/* The text of an errno value; strerror is not thread-safe. */
static const char *error_text(int error, char *buf, size_t size) {
    if (strerror_r(error, buf, size) != 0) snprintf(buf, size, "error %d", error);
    return buf;
}

static bool write_all(int fd, const unsigned char *bytes, size_t length) {
    while (length > 0) {
        ssize_t written = write(fd, bytes, length);
        if (written < 0 && errno == EINTR) continue;
        if (written <= 0) return false;
        bytes += written;
        length -= (size_t)written;
    }
    return true;
}

/* Opens "path.tmp-XXXXXX" with O_EXCL, so two saves never share one; the
 * suffix need only differ between concurrent saves, not be secret. The file
 * gets mode 0666 less the umask, like any file the user creates. */
static int open_temporary(const char *path, char *temporary, size_t size) {
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    int local;
    dial_rng rng = dial_rng_stream((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32),
                                   (uint64_t)(uintptr_t)&local);
    for (int attempt = 0; attempt < 100; attempt++) {
        char suffix[7];
        for (int i = 0; i < 6; i++) suffix[i] = letters[dial_rng_below(&rng, sizeof letters - 1)];
        suffix[6] = '\0';
        snprintf(temporary, size, "%s.tmp-%s", path, suffix);
        int fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

/* Makes the rename itself durable; a directory that cannot be opened or
 * synced (some file systems refuse) leaves the save done, only less sure to
 * survive a power cut, so it is not an error. */
static void sync_directory(const char *path) {
    char *directory = dial_strdup(path);
    if (!directory) return;
    char *slash = strrchr(directory, '/');
    const char *name = slash ? (slash == directory ? "/" : directory) : ".";
    if (slash && slash != directory) *slash = '\0';
    int fd = open(name, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(directory);
}

static dial_status save_to_stdout(dial_ctx *ctx, const unsigned char *bytes, size_t length) {
    char text[128];
    if (fwrite(bytes, 1, length, stdout) != length || fflush(stdout) != 0)
        return dial_fail(ctx, DIAL_ERR_IO, "cannot write the model to standard output: %s",
                         error_text(errno, text, sizeof text));
    return DIAL_OK;
}

dial_status dial_model_save(dial_ctx *ctx, const dial_model *model, const char *path) {
    unsigned char *bytes;
    size_t length;
    dial_status status = dial_model_save_buffer(ctx, model, &bytes, &length);
    if (status != DIAL_OK) return status;
    if (strcmp(path, "-") == 0) {
        status = save_to_stdout(ctx, bytes, length);
        free(bytes);
        return status;
    }
    size_t size = strlen(path) + 16;
    char *temporary = malloc(size);
    if (!temporary) {
        free(bytes);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory saving %s", path);
    }
    char text[128];
    int fd = open_temporary(path, temporary, size);
    if (fd < 0) {
        status = dial_fail(ctx, DIAL_ERR_IO, "cannot write %s: cannot create %s: %s", path,
                           temporary, error_text(errno, text, sizeof text));
    } else {
        /* A crash at any point before the rename leaves the old file (or
         * none) and a temporary; after it, the whole new file. */
        bool ok = write_all(fd, bytes, length) && fsync(fd) == 0;
        int error = errno;
        if (close(fd) != 0 && ok) {
            ok = false;
            error = errno;
        }
        if (ok && rename(temporary, path) != 0) {
            ok = false;
            error = errno;
        }
        if (!ok) {
            unlink(temporary);
            status = dial_fail(ctx, DIAL_ERR_IO, "cannot write %s: %s", path,
                               error_text(error, text, sizeof text));
        } else {
            sync_directory(path);
        }
    }
    free(temporary);
    free(bytes);
    return status;
}

/* Reads all of fd into a malloc'ed buffer, refusing more than the cap. */
static dial_status read_capped(dial_ctx *ctx, int fd, const char *path, unsigned char **out,
                               size_t *length) {
    const uint64_t cap =
        DIAL_MODELFILE_MAX_FILE < SIZE_MAX / 2 ? DIAL_MODELFILE_MAX_FILE : SIZE_MAX / 2;
    char text[128];
    struct stat info;
    size_t capacity = 1 << 16;
    /* A regular file's size is known: one allocation, and an early no. */
    if (fstat(fd, &info) == 0 && S_ISREG(info.st_mode)) {
        if ((uint64_t)info.st_size > cap)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s: %" PRIu64 " bytes is larger than a model file can be (%" PRIu64
                             " GiB)",
                             path, (uint64_t)info.st_size, cap >> 30);
        capacity = (size_t)info.st_size + 1;
    }
    unsigned char *bytes = malloc(capacity);
    size_t used = 0;
    if (!bytes) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading %s", path);
    for (;;) {
        if (used == capacity) {
            if (capacity > cap) {
                free(bytes);
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s: larger than a model file can be (%" PRIu64 " GiB)", path,
                                 cap >> 30);
            }
            unsigned char *grown = realloc(bytes, 2 * capacity);
            if (!grown) {
                free(bytes);
                return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading %s", path);
            }
            bytes = grown;
            capacity *= 2;
        }
        ssize_t got = read(fd, bytes + used, capacity - used);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) {
            int error = errno;
            free(bytes);
            return dial_fail(ctx, DIAL_ERR_IO, "cannot read %s: %s", path,
                             error_text(error, text, sizeof text));
        }
        if (got == 0) break;
        used += (size_t)got;
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
    dial_status status = read_capped(ctx, fd, name, &bytes, &length);
    if (!from_stdin) close(fd);
    if (status == DIAL_OK) status = dial_model_load_buffer(ctx, name, bytes, length, out);
    free(bytes);
    return status;
}

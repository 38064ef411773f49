/*
 * Output files that a failure never destroys (dial_output in dial/core.h).
 *
 * A regular file, or one that does not exist yet, is written to a temporary
 * file beside it and renamed over it only when every byte is on the disk,
 * so a full disk, a crash or a signal leaves the old file (or none) and at
 * worst a temporary: never half a file. The temporary lives in the folder of
 * the file a symbolic link points to, so the rename replaces that file and
 * the link stays a link.
 *
 * Anything else (a character or block device, a FIFO, a socket) cannot be
 * replaced without breaking it: renaming a regular file over /dev/null would
 * leave every program on the machine writing into a file. Those are opened
 * and written in place, as the shell's `>` does. "-" is standard output.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/text.h"
#include "dial/core.h"

/* Linux's own limit on the links one lookup follows. */
#define OUTPUT_MAX_LINKS 40

struct dial_output {
    char *path;      /* as the caller named it, for messages */
    char *target;    /* the file that is replaced (links followed) */
    char *temporary; /* NULL when writing in place or to stdout */
    FILE *stream;
    int write_error; /* errno of the first failed dial_output_write, or 0 */
    bool is_stdout;
};

/* The text of an errno value; strerror is not thread-safe. */
static const char *error_text(int error, char *buf, size_t size) {
    if (strerror_r(error, buf, size) != 0) snprintf(buf, size, "error %d", error);
    return buf;
}

static dial_status fail_errno(dial_ctx *ctx, int error, const char *path) {
    char text[128];
    if (error == ENOMEM) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory writing %s", path);
    return dial_fail(ctx, DIAL_ERR_IO, "cannot write %s: %s", path,
                     error_text(error, text, sizeof text));
}

/* The path a chain of symbolic links ends at (which may not exist: a
 * dangling link names the file it would create), malloc'ed; NULL with errno
 * set when out of memory, when a link cannot be read or there are too many. */
static char *follow_links(const dial_ctx *ctx, const char *path) {
    char *current = dial_strdup(ctx, path);
    char link[PATH_MAX];
    for (int hop = 0; current && hop <= OUTPUT_MAX_LINKS; hop++) {
        struct stat info;
        if (lstat(current, &info) != 0 || !S_ISLNK(info.st_mode)) return current;
        ssize_t length = readlink(current, link, sizeof link - 1);
        if (length < 0) break;
        link[length] = '\0';
        char *next;
        const char *slash = strrchr(current, '/');
        if (link[0] == '/' || !slash) {
            next = dial_strdup(ctx, link);
        } else {
            /* A relative link is relative to the folder that holds it. */
            size_t folder = (size_t)(slash - current) + 1;
            next = dial_malloc(ctx, folder + (size_t)length + 1);
            if (next) {
                memcpy(next, current, folder);
                memcpy(next + folder, link, (size_t)length + 1);
            }
        }
        free(current);
        current = next;
        if (hop == OUTPUT_MAX_LINKS) errno = ELOOP;
    }
    int error = current ? errno : ENOMEM;
    free(current);
    errno = error;
    return NULL;
}

/* Opens "target.tmp-XXXXXX" with O_EXCL, so two writers never share one;
 * the suffix need only differ between concurrent writers, not be secret. */
static int open_temporary(const char *target, char *temporary, size_t size) {
    static const char letters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    int local;
    dial_rng rng = dial_rng_stream((uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32),
                                   (uint64_t)(uintptr_t)&local);
    for (int attempt = 0; attempt < 100; attempt++) {
        char suffix[7];
        for (int i = 0; i < 6; i++) suffix[i] = letters[dial_rng_below(&rng, sizeof letters - 1)];
        suffix[6] = '\0';
        snprintf(temporary, size, "%s.tmp-%s", target, suffix);
        int fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    return -1;
}

/* Makes the rename itself durable; a folder that cannot be opened or synced
 * (some file systems refuse) leaves the file written, only less sure to
 * survive a power cut, so it is not an error. */
static void sync_folder(const dial_ctx *ctx, const char *target) {
    char *folder = dial_strdup(ctx, target);
    if (!folder) return;
    char *slash = strrchr(folder, '/');
    const char *name = slash ? (slash == folder ? "/" : folder) : ".";
    if (slash && slash != folder) *slash = '\0';
    int fd = open(name, O_RDONLY);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
    free(folder);
}

static void output_free(dial_output *output) {
    free(output->path);
    free(output->target);
    free(output->temporary);
    free(output);
}

/* A new temporary beside the target; a file that exists keeps its
 * permissions (an owner-only file must not become world-readable). */
static dial_status open_replacement(dial_ctx *ctx, dial_output *output, const struct stat *old) {
    char text[128];
    size_t size = strlen(output->target) + 16;
    output->temporary = dial_malloc(ctx, size);
    if (!output->temporary)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory writing %s", output->path);
    int fd = open_temporary(output->target, output->temporary, size);
    if (fd < 0) {
        int error = errno;
        dial_status status =
            dial_fail(ctx, DIAL_ERR_IO, "cannot write %s: cannot create %s: %s", output->path,
                      output->temporary, error_text(error, text, sizeof text));
        free(output->temporary);
        output->temporary = NULL;
        return status;
    }
    if (old) (void)fchmod(fd, old->st_mode & 07777);
    output->stream = fdopen(fd, "w");
    if (!output->stream) {
        int error = errno;
        close(fd);
        unlink(output->temporary);
        free(output->temporary);
        output->temporary = NULL;
        return fail_errno(ctx, error, output->path);
    }
    return DIAL_OK;
}

/* A device, FIFO or socket: itself, without O_CREAT (it exists) or
 * O_TRUNC (which a device ignores or refuses). */
static dial_status open_in_place(dial_ctx *ctx, dial_output *output) {
    int fd = open(output->target, O_WRONLY | O_NOCTTY);
    if (fd < 0) return fail_errno(ctx, errno, output->path);
    output->stream = fdopen(fd, "w");
    if (!output->stream) {
        int error = errno;
        close(fd);
        return fail_errno(ctx, error, output->path);
    }
    return DIAL_OK;
}

dial_status dial_output_open(dial_ctx *ctx, const char *path, dial_output **out) {
    *out = NULL;
    dial_output *output = dial_calloc(ctx, 1, sizeof *output);
    if (output) output->path = dial_strdup(ctx, path);
    if (!output || !output->path) {
        free(output);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory writing %s", path);
    }
    if (strcmp(path, "-") == 0) {
        output->is_stdout = true;
        output->stream = stdout;
        *out = output;
        return DIAL_OK;
    }
    /* stat follows every link the kernel does, /proc's as well: /dev/stdout
     * to a pipe is written in place, where reading the links by hand would
     * find a name ("pipe:[123]") that is no file. */
    struct stat info;
    dial_status status;
    if (stat(path, &info) == 0) {
        if (S_ISDIR(info.st_mode)) {
            status =
                dial_fail(ctx, DIAL_ERR_IO, "cannot write %s: it is a folder; name a file", path);
        } else if (!S_ISREG(info.st_mode)) {
            output->target = dial_strdup(ctx, path);
            status = output->target
                         ? open_in_place(ctx, output)
                         : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory writing %s", path);
        } else {
            output->target = follow_links(ctx, path);
            status = output->target ? open_replacement(ctx, output, &info)
                                    : fail_errno(ctx, errno, path);
        }
    } else if (errno == ENOENT) {
        /* Nothing there, or a link to nothing: the file it would create. */
        output->target = follow_links(ctx, path);
        status =
            output->target ? open_replacement(ctx, output, NULL) : fail_errno(ctx, errno, path);
    } else {
        status = fail_errno(ctx, errno, path);
    }
    if (status != DIAL_OK) {
        output_free(output);
        return status;
    }
    *out = output;
    return DIAL_OK;
}

FILE *dial_output_stream(const dial_output *output) { return output->stream; }

const char *dial_output_temporary(const dial_output *output) { return output->temporary; }

dial_status dial_output_commit(dial_ctx *ctx, dial_output *output) {
    if (!output) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_output_commit needs an output");
    const char *shown = output->is_stdout ? "standard output" : output->path;
    /* A write that failed earlier left the stream's error flag; the flush
     * retries what is left, so errno then says why (a full disk, EFBIG). */
    errno = 0;
    bool ok = fflush(output->stream) == 0 && !ferror(output->stream);
    int error = output->write_error ? output->write_error : errno ? errno : EIO;
    if (ok && output->temporary && fsync(fileno(output->stream)) != 0) {
        ok = false;
        error = errno;
    }
    if (!output->is_stdout && fclose(output->stream) != 0 && ok) {
        ok = false;
        error = errno;
    }
    if (ok && output->temporary && rename(output->temporary, output->target) != 0) {
        ok = false;
        error = errno;
    }
    dial_status status = DIAL_OK;
    if (!ok) {
        if (output->temporary) unlink(output->temporary);
        status = fail_errno(ctx, error, shown);
    } else if (output->temporary) {
        sync_folder(ctx, output->target);
    }
    output_free(output);
    return status;
}

void dial_output_abort(dial_output *output) {
    if (!output) return;
    if (!output->is_stdout) fclose(output->stream);
    if (output->temporary) unlink(output->temporary);
    output_free(output);
}

void dial_output_write(dial_output *output, const void *bytes, size_t length) {
    errno = 0;
    if (fwrite(bytes, 1, length, output->stream) != length && !output->write_error)
        output->write_error = errno ? errno : EIO;
}

dial_status dial_output_write_all(dial_ctx *ctx, const char *path, const void *bytes,
                                  size_t length) {
    dial_output *output;
    dial_status status = dial_output_open(ctx, path, &output);
    if (status != DIAL_OK) return status;
    dial_output_write(output, bytes, length);
    return dial_output_commit(ctx, output);
}

/* How the program reports: one line on stderr per failure, an exit status
 * that tells a usage mistake (2) from any other failure (1), and the
 * library's warnings passed through. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Library messages are meant to be one line; make sure of it, since scripts
 * read stderr line by line. */
static void print_one_line(FILE *out, const char *prefix, const char *message) {
    fputs(prefix, out);
    for (const char *c = message; *c; c++) fputc(*c == '\n' || *c == '\r' ? ' ' : *c, out);
    fputc('\n', out);
}

int cli_error(int exit_status, const char *fmt, ...) {
    char message[2048];
    va_list args;
    va_start(args, fmt);
    vsnprintf(message, sizeof message, fmt, args);
    va_end(args);
    fflush(stdout);
    print_one_line(stderr, "dial: ", message);
    return exit_status;
}

/* 2 is for what the command line got wrong: a knob, an option's value, a
 * model or metric that does not fit the task or the model (UNSUPPORTED:
 * --proba on a model without probabilities). What the data does during a
 * fit (non-finite predictions: NUMERIC; a model too large to save: DATA),
 * files and memory are 1, so a script can tell "fix the command" from
 * "fix the data or the machine". */
int cli_exit_status(dial_status status) {
    switch (status) {
    case DIAL_OK: return CLI_EXIT_OK;
    case DIAL_ERR_KNOB:
    case DIAL_ERR_ARGUMENT:
    case DIAL_ERR_UNSUPPORTED: return CLI_EXIT_USAGE;
    case DIAL_ERR_NOMEM:
    case DIAL_ERR_IO:
    case DIAL_ERR_DATA:
    case DIAL_ERR_FORMAT:
    case DIAL_ERR_NUMERIC:
    case DIAL_ERR_INTERNAL: return CLI_EXIT_FAILURE;
    }
    return CLI_EXIT_FAILURE;
}

int cli_fail(dial_ctx *ctx, dial_status status) {
    const char *message = dial_ctx_error(ctx);
    if (!message[0]) message = dial_status_name(status);
    return cli_error(cli_exit_status(status), "%s", message);
}

static void log_to_stderr(void *user, dial_log_level level, const char *message) {
    (void)user;
    if (level == DIAL_LOG_WARN) print_one_line(stderr, "dial: warning: ", message);
}

dial_ctx *cli_context(const cli_options *opts) {
    dial_ctx *ctx = dial_ctx_new();
    if (!ctx) {
        cli_error(CLI_EXIT_FAILURE, "out of memory");
        exit(CLI_EXIT_FAILURE);
    }
    dial_ctx_set_seed(ctx, opts->seed);
    dial_ctx_set_threads(ctx, opts->jobs);
    dial_ctx_set_log(ctx, log_to_stderr, NULL);
    return ctx;
}

void *cli_alloc(size_t count, size_t size) {
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) {
        cli_error(CLI_EXIT_FAILURE, "out of memory");
        exit(CLI_EXIT_FAILURE);
    }
    return p;
}

char *cli_strdup(const char *s) {
    size_t n = strlen(s) + 1;
    char *copy = cli_alloc(n, 1);
    memcpy(copy, s, n);
    return copy;
}

char *cli_format(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    int length = vsnprintf(NULL, 0, fmt, args);
    va_end(args);
    char *text = cli_alloc((size_t)(length < 0 ? 0 : length) + 1, 1);
    va_start(args, fmt);
    vsnprintf(text, (size_t)length + 1, fmt, args);
    va_end(args);
    return text;
}

/* Where results go: files or stdout, CSV fields, and numbers written so
 * that they read back exactly.
 *
 * Files are written through the library's dial_output (a temporary beside
 * the file, renamed over it when complete; a device or FIFO in place). What
 * the library must not do, the program does here: while a temporary exists,
 * Ctrl-C (SIGINT), SIGTERM and SIGHUP remove it before the program dies, so
 * an interrupted save leaves the old file and nothing else. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"

static bool is_stdout(const char *path) { return !path || strcmp(path, "-") == 0; }

/* ---- removing the temporary on a signal ---------------------------------
 * A signal handler can reach nothing but statics: this is the one output
 * being written (a command writes one file at a time), and what the
 * handlers replaced. */
static const int cleanup_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define N_CLEANUP_SIGNALS (sizeof cleanup_signals / sizeof cleanup_signals[0])
static char *volatile armed_temporary;
static struct sigaction replaced_actions[N_CLEANUP_SIGNALS];
static bool replaced[N_CLEANUP_SIGNALS];

static void remove_temporary_then_die(int signal_number) {
    char *temporary = armed_temporary;
    if (temporary) unlink(temporary);
    /* SA_RESETHAND restored the default action: the signal raised again
     * ends the program as it would have (a shell then reports 130 for
     * Ctrl-C), once this handler returns. */
    raise(signal_number);
}

static void block_cleanup_signals(sigset_t *previous) {
    sigset_t set;
    sigemptyset(&set);
    for (size_t i = 0; i < N_CLEANUP_SIGNALS; i++) sigaddset(&set, cleanup_signals[i]);
    pthread_sigmask(SIG_BLOCK, &set, previous);
}

/* Arms the handlers for a new temporary. Signals are blocked meanwhile, so
 * none arrives between the file's creation and the handler knowing it. A
 * signal that was ignored (nohup, a background job) stays ignored. */
static void arm_cleanup(const char *temporary) {
    armed_temporary = cli_strdup(temporary);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = remove_temporary_then_die;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESETHAND;
    for (size_t i = 0; i < N_CLEANUP_SIGNALS; i++) {
        struct sigaction current;
        replaced[i] = sigaction(cleanup_signals[i], NULL, &current) == 0 &&
                      current.sa_handler == SIG_DFL &&
                      sigaction(cleanup_signals[i], &action, &replaced_actions[i]) == 0;
    }
}

static void disarm_cleanup(void) {
    sigset_t previous;
    block_cleanup_signals(&previous);
    for (size_t i = 0; i < N_CLEANUP_SIGNALS; i++)
        if (replaced[i]) sigaction(cleanup_signals[i], &replaced_actions[i], NULL);
    char *temporary = armed_temporary;
    armed_temporary = NULL;
    free(temporary);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
}

dial_status cli_output_open(dial_ctx *ctx, const char *path, dial_output **out) {
    sigset_t previous;
    block_cleanup_signals(&previous);
    dial_status status = dial_output_open(ctx, is_stdout(path) ? "-" : path, out);
    if (status == DIAL_OK && dial_output_temporary(*out)) arm_cleanup(dial_output_temporary(*out));
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return status;
}

/* A signal that arrives after the rename finds the temporary gone: its
 * unlink fails harmlessly and the new file stays. */
dial_status cli_output_commit(dial_ctx *ctx, dial_output *output) {
    bool armed = dial_output_temporary(output) != NULL;
    dial_status status = dial_output_commit(ctx, output);
    if (armed) disarm_cleanup();
    return status;
}

void cli_output_abort(dial_output *output) {
    if (!output) return;
    bool armed = dial_output_temporary(output) != NULL;
    dial_output_abort(output);
    if (armed) disarm_cleanup();
}

dial_status cli_save_model(dial_ctx *ctx, const dial_model *model, const char *path) {
    dial_output *output = NULL;
    dial_status status = cli_output_open(ctx, path, &output);
    if (status != DIAL_OK) return status;
    /* Written as it is made: the whole file held beside the model doubled
     * the peak memory of fitting a forest. */
    status = dial_model_save_output(ctx, model, output);
    if (status != DIAL_OK) {
        cli_output_abort(output);
        return status;
    }
    return cli_output_commit(ctx, output);
}

/* ---- an output must not be an input ---------------------------------------- */

static bool same_file(const char *output, const char *input) {
    struct stat out_info, in_info;
    /* Only a regular file is destroyed by being replaced; a device named
     * twice (/dev/stdin, /dev/null) is not a clash. */
    if (is_stdout(output) || stat(output, &out_info) != 0 || !S_ISREG(out_info.st_mode))
        return false;
    bool read_from_stdin = !input || strcmp(input, "-") == 0;
    if (read_from_stdin ? fstat(STDIN_FILENO, &in_info) != 0 : stat(input, &in_info) != 0)
        return false;
    return out_info.st_dev == in_info.st_dev && out_info.st_ino == in_info.st_ino;
}

int cli_check_option_output_not_input(const char *option, const char *output, const char *input,
                                      const char *what) {
    if (!same_file(output, input)) return -1;
    return cli_error(CLI_EXIT_USAGE, "%s %s is %s being read; choose another output", option,
                     output, what);
}

int cli_check_output_not_input(const char *output, bool chosen, const char *input,
                               const char *what) {
    if (chosen) return cli_check_option_output_not_input("-o", output, input, what);
    if (!same_file(output, input)) return -1;
    return cli_error(CLI_EXIT_USAGE,
                     "the default output %s is %s being read; choose another output with -o FILE",
                     output, what);
}

bool cli_close_output(FILE *out, const char *path) {
    bool failed = ferror(out) != 0;
    if (is_stdout(path)) {
        failed |= fflush(out) != 0;
    } else {
        failed |= fclose(out) != 0;
    }
    if (failed)
        cli_error(CLI_EXIT_FAILURE, "cannot write '%s': %s", is_stdout(path) ? "stdout" : path,
                  errno ? strerror(errno) : "write error");
    return !failed;
}

void cli_write_csv_field(FILE *out, const char *text) {
    size_t length = strlen(text);
    bool quote = length > 0 && (text[0] == ' ' || text[length - 1] == ' ');
    if (strpbrk(text, ",;\t\"\r\n")) quote = true;
    if (!quote) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *c = text; *c; c++) {
        if (*c == '"') fputc('"', out);
        fputc(*c, out);
    }
    fputc('"', out);
}

void cli_format_double(double value, char *buf, size_t size) {
    if (isnan(value)) {
        snprintf(buf, size, "NaN");
        return;
    }
    if (isinf(value)) {
        snprintf(buf, size, value > 0 ? "inf" : "-inf");
        return;
    }
    /* The fewest significant digits that read back as the same double;
     * then, for a number of everyday size, the same without an exponent:
     * the shortest form of 10 is 1e+01, which a reader of a prediction or
     * a CSV column does not expect. */
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, value);
        if (strtod(buf, NULL) == value) break;
    }
    if (!strchr(buf, 'e') || fabs(value) < 1e-4 || fabs(value) >= 1e16) return;
    char plain[64];
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(plain, sizeof plain, "%.*g", precision, value);
        if (!strchr(plain, 'e') && strtod(plain, NULL) == value) {
            snprintf(buf, size, "%s", plain);
            return;
        }
    }
}

char *cli_duration_text(double seconds) {
    if (seconds < 1) return cli_format("%.3g ms", seconds * 1e3);
    return cli_format("%.3f s", seconds);
}

const char *cli_display_path(const char *path) {
    return strcmp(path, "-") == 0 ? "standard input" : path;
}

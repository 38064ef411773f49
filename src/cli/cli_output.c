/* Where results go: files or stdout, CSV fields, and numbers written so
 * that they read back exactly. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static bool is_stdout(const char *path) { return !path || strcmp(path, "-") == 0; }

FILE *cli_open_output(const char *path) {
    if (is_stdout(path)) return stdout;
    FILE *out = fopen(path, "w");
    if (!out) cli_error(CLI_EXIT_FAILURE, "cannot write '%s': %s", path, strerror(errno));
    return out;
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
    /* The fewest significant digits that read back as the same double. */
    for (int precision = 1; precision <= 17; precision++) {
        snprintf(buf, size, "%.*g", precision, value);
        if (strtod(buf, NULL) == value) return;
    }
}

char *cli_duration_text(double seconds) {
    if (seconds < 1) return cli_format("%.3g ms", seconds * 1e3);
    return cli_format("%.3f s", seconds);
}

const char *cli_display_path(const char *path) {
    return strcmp(path, "-") == 0 ? "standard input" : path;
}

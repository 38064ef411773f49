/* JSON out with every real in its shortest round-trip form. jansson writes
 * reals with one fixed precision: 17 digits read back exactly but show a
 * told 0.1 as 0.10000000000000001, and fewer lose values. The program
 * studies' commands (ask, trials, best) print what the user told or will
 * pass on, so they write the tree themselves, laid out as jansson's
 * JSON_INDENT(2) so that every command's JSON looks alike. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* depth < 0: all on one line, items separated by ", " as jansson does
 * without an indent. */
static void indent(FILE *out, int depth) {
    for (int i = 0; i < depth; i++) fputs("  ", out);
}

static void open_items(FILE *out, char bracket, int depth) {
    fputc(bracket, out);
    if (depth >= 0) fputc('\n', out);
}

static void next_item(FILE *out, bool last, int depth) {
    if (depth >= 0)
        fputs(last ? "\n" : ",\n", out);
    else if (!last)
        fputs(", ", out);
}

static int deeper(int depth) { return depth < 0 ? depth : depth + 1; }

/* A string escaped as JSON, by jansson. */
static void write_string(FILE *out, const char *text) {
    json_t *string = json_string(text);
    char *encoded = string ? json_dumps(string, JSON_ENCODE_ANY) : NULL;
    json_decref(string);
    if (!encoded) {
        cli_error(CLI_EXIT_FAILURE, "out of memory");
        exit(CLI_EXIT_FAILURE);
    }
    fputs(encoded, out);
    free(encoded);
}

static void write_real(FILE *out, double value) {
    char text[40];
    cli_format_double(value, text, sizeof text);
    /* A real stays a real for the reader: 2.0, not 2. */
    if (!strpbrk(text, ".eEn")) strcat(text, ".0");
    fputs(text, out);
}

static void write_value(FILE *out, json_t *value, int depth) {
    switch (json_typeof(value)) {
    case JSON_OBJECT: {
        if (json_object_size(value) == 0) {
            fputs("{}", out);
            break;
        }
        open_items(out, '{', depth);
        const char *key;
        json_t *item;
        size_t left = json_object_size(value);
        json_object_foreach(value, key, item) {
            indent(out, deeper(depth));
            write_string(out, key);
            fputs(": ", out);
            write_value(out, item, deeper(depth));
            next_item(out, --left == 0, depth);
        }
        indent(out, depth);
        fputc('}', out);
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(value);
        if (n == 0) {
            fputs("[]", out);
            break;
        }
        open_items(out, '[', depth);
        for (size_t i = 0; i < n; i++) {
            indent(out, deeper(depth));
            write_value(out, json_array_get(value, i), deeper(depth));
            next_item(out, i + 1 == n, depth);
        }
        indent(out, depth);
        fputc(']', out);
        break;
    }
    case JSON_STRING: write_string(out, json_string_value(value)); break;
    case JSON_INTEGER: fprintf(out, "%" JSON_INTEGER_FORMAT, json_integer_value(value)); break;
    case JSON_REAL: write_real(out, json_real_value(value)); break;
    case JSON_TRUE: fputs("true", out); break;
    case JSON_FALSE: fputs("false", out); break;
    case JSON_NULL: fputs("null", out); break;
    }
}

void cli_json_print_shortest(json_t *value, FILE *out, bool one_line) {
    if (!value) {
        cli_error(CLI_EXIT_FAILURE, "out of memory");
        exit(CLI_EXIT_FAILURE);
    }
    write_value(out, value, one_line ? -1 : 0);
    fputc('\n', out);
    json_decref(value);
}

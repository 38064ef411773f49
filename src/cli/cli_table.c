/* Text layout for the terminal: word wrapping and aligned tables that fit in
 * CLI_WIDTH columns by wrapping their widest wrappable cells. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* The narrowest a prose column is made before other columns wrap. */
#define CLI_PROSE_MIN 30

/* Splits text into lines of at most width characters, breaking at spaces
 * (a word longer than width is cut). Returns the number of lines; *lines is
 * malloc'ed, each line too. An empty text is one empty line. */
static size_t wrap_text(const char *text, size_t width, char ***lines) {
    if (width < 1) width = 1;
    size_t n = 0, capacity = 4;
    char **out = cli_alloc(capacity, sizeof *out);
    const char *p = text;
    do {
        while (*p == ' ') p++;
        size_t length = strlen(p);
        size_t take = length;
        if (length > width) {
            take = 0;
            for (size_t i = width; i > 0; i--) {
                if (p[i] == ' ') {
                    take = i;
                    break;
                }
            }
            if (take == 0) take = width;
        }
        size_t end = take;
        while (end > 0 && p[end - 1] == ' ') end--;
        if (n == capacity) {
            capacity *= 2;
            char **grown = realloc(out, capacity * sizeof *out);
            if (!grown) {
                cli_error(CLI_EXIT_FAILURE, "out of memory");
                exit(CLI_EXIT_FAILURE);
            }
            out = grown;
        }
        out[n] = cli_alloc(end + 1, 1);
        memcpy(out[n], p, end);
        n++;
        p += take;
        while (*p == ' ') p++;
    } while (*p);
    *lines = out;
    return n;
}

static void free_lines(char **lines, size_t n) {
    for (size_t i = 0; i < n; i++) free(lines[i]);
    free(lines);
}

void cli_print_wrapped(FILE *out, const char *text, size_t indent, size_t width) {
    /* Each line of a text of several (a program's stderr kept in a failed
     * trial's message) is wrapped on its own, indented like the first. */
    const char *line = text;
    for (;;) {
        size_t length = strcspn(line, "\n");
        char *one = cli_format("%.*s", (int)length, line);
        char **lines;
        size_t n = wrap_text(one, width > indent + 20 ? width - indent : 20, &lines);
        for (size_t i = 0; i < n; i++) fprintf(out, "%*s%s\n", (int)indent, "", lines[i]);
        free_lines(lines, n);
        free(one);
        if (!line[length]) break;
        line += length + 1;
    }
}

void cli_table_init(cli_table *table, size_t n_cols) {
    memset(table, 0, sizeof *table);
    table->n_cols = n_cols > CLI_TABLE_MAX_COLS ? CLI_TABLE_MAX_COLS : n_cols;
}

void cli_table_add(cli_table *table, const char *const *cells) {
    if (table->n_rows == table->capacity) {
        size_t capacity = table->capacity ? table->capacity * 2 : 16;
        char **grown_cells = cli_alloc(capacity * table->n_cols, sizeof *grown_cells);
        char **grown_notes = cli_alloc(capacity, sizeof *grown_notes);
        if (table->n_rows) {
            memcpy(grown_cells, table->cells, table->n_rows * table->n_cols * sizeof *grown_cells);
            memcpy(grown_notes, table->notes, table->n_rows * sizeof *grown_notes);
        }
        free(table->cells);
        free(table->notes);
        table->cells = grown_cells;
        table->notes = grown_notes;
        table->capacity = capacity;
    }
    for (size_t c = 0; c < table->n_cols; c++)
        table->cells[table->n_rows * table->n_cols + c] = cli_strdup(cells[c] ? cells[c] : "");
    table->notes[table->n_rows] = NULL;
    table->n_rows++;
}

void cli_table_note(cli_table *table, const char *note) {
    if (!table->n_rows || !note || !note[0]) return;
    free(table->notes[table->n_rows - 1]);
    table->notes[table->n_rows - 1] = cli_strdup(note);
}

static size_t longest_word(const char *text) {
    size_t best = 0;
    while (*text) {
        size_t length = strcspn(text, " ");
        if (length > best) best = length;
        text += length;
        while (*text == ' ') text++;
    }
    return best;
}

/* Column widths: each column's widest cell, then the widest wrappable
 * column narrowed one character at a time until the table fits. */
static void column_widths(const cli_table *table, size_t indent, size_t *width) {
    size_t minimum[CLI_TABLE_MAX_COLS];
    for (size_t c = 0; c < table->n_cols; c++) {
        width[c] = minimum[c] = 0;
        for (size_t r = 0; r < table->n_rows; r++) {
            const char *cell = table->cells[r * table->n_cols + c];
            size_t length = strlen(cell), word = longest_word(cell);
            if (length > width[c]) width[c] = length;
            if (word > minimum[c]) minimum[c] = word;
        }
        if (!table->wrap[c]) minimum[c] = width[c];
    }
    /* The last column usually holds prose (a doc), which wraps better than
     * short codes do, so it gives way first, down to a readable width. */
    size_t last = table->n_cols - 1;
    size_t prose_minimum = minimum[last] > CLI_PROSE_MIN ? minimum[last] : CLI_PROSE_MIN;
    for (;;) {
        size_t total = indent;
        for (size_t c = 0; c < table->n_cols; c++) total += width[c] + (c ? 2 : 0);
        if (total <= CLI_WIDTH || !table->wrap[last] || width[last] <= prose_minimum) break;
        width[last]--;
    }
    for (;;) {
        size_t total = indent;
        for (size_t c = 0; c < table->n_cols; c++) total += width[c] + (c ? 2 : 0);
        if (total <= CLI_WIDTH) return;
        size_t widest = table->n_cols;
        for (size_t c = 0; c < table->n_cols; c++)
            if (width[c] > minimum[c] && (widest == table->n_cols || width[c] > width[widest]))
                widest = c;
        if (widest == table->n_cols) return;
        width[widest]--;
    }
}

void cli_table_print(const cli_table *table, FILE *out, size_t indent) {
    size_t width[CLI_TABLE_MAX_COLS];
    column_widths(table, indent, width);
    for (size_t r = 0; r < table->n_rows; r++) {
        char **lines[CLI_TABLE_MAX_COLS];
        size_t n_lines[CLI_TABLE_MAX_COLS], height = 1;
        for (size_t c = 0; c < table->n_cols; c++) {
            n_lines[c] = wrap_text(table->cells[r * table->n_cols + c], width[c], &lines[c]);
            if (n_lines[c] > height) height = n_lines[c];
        }
        for (size_t line = 0; line < height; line++) {
            /* Build the line, then drop trailing blanks so no line ends in spaces. */
            char text[4 * CLI_WIDTH + 256];
            size_t used = (size_t)snprintf(text, sizeof text, "%*s", (int)indent, "");
            for (size_t c = 0; c < table->n_cols && used < sizeof text; c++) {
                const char *cell = line < n_lines[c] ? lines[c][line] : "";
                int pad = (int)width[c];
                used += (size_t)snprintf(text + used, sizeof text - used,
                                         table->right[c] ? "%s%*s" : "%s%-*s", c ? "  " : "", pad,
                                         cell);
            }
            if (used >= sizeof text) used = sizeof text - 1;
            while (used > 0 && text[used - 1] == ' ') used--;
            text[used] = '\0';
            fprintf(out, "%s\n", text);
        }
        for (size_t c = 0; c < table->n_cols; c++) free_lines(lines[c], n_lines[c]);
        if (table->notes[r]) cli_print_wrapped(out, table->notes[r], indent + 4, CLI_WIDTH);
    }
}

void cli_table_free(cli_table *table) {
    for (size_t i = 0; i < table->n_rows * table->n_cols; i++) free(table->cells[i]);
    for (size_t r = 0; r < table->n_rows; r++) free(table->notes[r]);
    free(table->cells);
    free(table->notes);
    memset(table, 0, sizeof *table);
}

/* dial trials --plot: a study's optimisation history drawn with Unicode block
 * characters, for a user on a remote shell who cannot open the HTML report:
 *
 *   value (lower is better)
 *      0.9 ┤███
 *          │      ▃▃▃
 *          │         ×××
 *    0.123 ┤───▁▁▁───   ───
 *          └┬────────!!!──┬
 *           0             4  trial
 *
 * Each trial is a column (three wide when there is room, one column per run
 * of trials when they outnumber the width); its value is the top edge of a
 * block, so a column has eight heights per row, ten rows from the lowest
 * value drawn to the highest. The best so far is a line, a pruned trial a
 * cross at the last value it reported, a failed trial a '!' on the axis. The
 * lines never reach past the width ($COLUMNS or 80) and end without spaces,
 * so the output can be compared as text. */
#include "cli/trials_plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define PLOT_ROWS 10
#define PLOT_EIGHTHS (PLOT_ROWS * 8)
#define MAX_TRIAL_WIDTH 3

static const char *const eighths[8] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};

typedef enum { MARK_NONE, MARK_VALUE, MARK_PRUNED, MARK_FAILED } mark_kind;

/* One column of the plot: a trial, or a run of trials shown by its best. */
typedef struct plot_column {
    mark_kind mark;
    double value; /* what the mark shows; NaN without one */
    double best;  /* the best complete value up to this column; NaN before any */
    int64_t first_trial, last_trial;
} plot_column;

size_t cli_plot_width(void) {
    const char *text = getenv("COLUMNS");
    if (!text || !*text) return 80;
    char *end = NULL;
    long columns = strtol(text, &end, 10);
    return *end == '\0' && columns >= 40 && columns <= 1000 ? (size_t)columns : 80;
}

static bool better(double a, double b, dial_direction direction) {
    return direction == DIAL_MAXIMIZE ? a > b : a < b;
}

/* Where a pruned trial stopped: its last path value (a model's path knob),
 * else its last intermediate value; NaN when it reported none. */
static double last_reported(const dial_trial_record *trial) {
    if (trial->n_path) return trial->path_values[trial->n_path - 1];
    if (trial->n_intermediate) return trial->intermediate_values[trial->n_intermediate - 1];
    return NAN;
}

/* Fills columns[0..n_columns) from runs of per_column trials; a run shows
 * its best complete value, else its best pruned one, else '!' when one of
 * its trials failed. */
static void fill_columns(const dial_trial_list *list, dial_direction direction, size_t per_column,
                         plot_column *columns, size_t n_columns) {
    double best = NAN;
    for (size_t c = 0; c < n_columns; c++) {
        size_t from = c * per_column, to = from + per_column;
        if (to > list->count) to = list->count;
        plot_column column = {MARK_NONE, NAN, NAN, list->items[from].number,
                              list->items[to - 1].number};
        for (size_t i = from; i < to; i++) {
            const dial_trial_record *trial = &list->items[i];
            double pruned_at = last_reported(trial);
            if (trial->state == DIAL_TRIAL_COMPLETE && isfinite(trial->value)) {
                if (column.mark != MARK_VALUE || better(trial->value, column.value, direction))
                    column.value = trial->value;
                column.mark = MARK_VALUE;
                if (isnan(best) || better(trial->value, best, direction)) best = trial->value;
            } else if (trial->state == DIAL_TRIAL_PRUNED && isfinite(pruned_at) &&
                       column.mark != MARK_VALUE) {
                if (column.mark != MARK_PRUNED || better(pruned_at, column.value, direction))
                    column.value = pruned_at;
                column.mark = MARK_PRUNED;
            } else if (trial->state == DIAL_TRIAL_FAILED && column.mark == MARK_NONE) {
                column.mark = MARK_FAILED;
            }
        }
        column.best = best;
        columns[c] = column;
    }
}

/* The height of value in eighths of a row, 1 (the lowest value drawn: a
 * one-eighth block on the bottom row) to PLOT_EIGHTHS (the highest). */
static int height_of(double value, double low, double high) {
    if (!(high > low)) return PLOT_EIGHTHS / 2;
    return 1 + (int)lround((value - low) / (high - low) * (PLOT_EIGHTHS - 1));
}

static char *number_text(double value, bool program) {
    if (!program) return cli_format("%.4f", value);
    char text[40];
    cli_format_double(value, text, sizeof text);
    return cli_strdup(text);
}

/* A line being drawn: bytes, and the columns they take on screen. */
typedef struct plot_line {
    char *text;
    size_t length, capacity;
} plot_line;

static void line_put(plot_line *line, const char *piece, size_t times) {
    size_t n = strlen(piece);
    for (size_t t = 0; t < times; t++) {
        if (line->length + n + 1 > line->capacity) {
            size_t capacity = (line->length + n + 1) * 2;
            char *grown = cli_alloc(capacity, 1);
            if (line->text) memcpy(grown, line->text, line->length);
            free(line->text);
            line->text = grown;
            line->capacity = capacity;
        }
        memcpy(line->text + line->length, piece, n);
        line->length += n;
        line->text[line->length] = '\0';
    }
}

/* Prints the line without its trailing spaces and empties it. */
static void line_print(FILE *out, plot_line *line) {
    while (line->length && line->text[line->length - 1] == ' ') line->length--;
    fprintf(out, "%.*s\n", (int)line->length, line->text ? line->text : "");
    line->length = 0;
}

/* One cell, trial_width columns wide: the mark on its row, else the best
 * line on its row, else blank. */
static void put_cell(plot_line *line, const plot_column *column, int row, double low, double high,
                     size_t trial_width) {
    if (column->mark == MARK_VALUE || column->mark == MARK_PRUNED) {
        int height = height_of(column->value, low, high);
        if ((height - 1) / 8 == row) {
            if (column->mark == MARK_VALUE) {
                line_put(line, eighths[(height - 1) % 8], trial_width);
                return;
            }
            line_put(line, "×", trial_width);
            return;
        }
    }
    bool on_best = !isnan(column->best) && (height_of(column->best, low, high) - 1) / 8 == row;
    line_put(line, on_best ? "─" : " ", trial_width);
}

/* The axis, with a tick under the first and the last column and '!' under
 * failed trials, then their numbers and the word "trial" between them. */
static void put_axis(FILE *out, const plot_column *columns, size_t n_columns, size_t margin,
                     size_t trial_width, size_t width) {
    plot_line line = {0};
    line_put(&line, " ", margin + 1);
    line_put(&line, "└", 1);
    for (size_t c = 0; c < n_columns; c++) {
        bool tick = c == 0 || c + 1 == n_columns;
        const char *first = columns[c].mark == MARK_FAILED ? "!" : tick ? "┬" : "─";
        line_put(&line, first, 1);
        line_put(&line, columns[c].mark == MARK_FAILED ? "!" : "─", trial_width - 1);
    }
    line_print(out, &line);

    char *left = cli_format("%lld", (long long)columns[0].first_trial);
    char *right = cli_format("%lld", (long long)columns[n_columns - 1].last_trial);
    /* The right number starts under its tick, or ends at the last column a
     * line may take when it would pass it. */
    size_t right_at = (n_columns - 1) * trial_width;
    size_t last = width > margin + 3 ? width - margin - 3 : 0; /* from the first tick */
    if (right_at + strlen(right) > last) right_at = last > strlen(right) ? last - strlen(right) : 0;
    line_put(&line, " ", margin + 2);
    line_put(&line, left, 1);
    size_t at = strlen(left);
    const char *word = "trial";
    if (n_columns > 1 && right_at >= at + strlen(word) + 4) {
        size_t middle = (at + right_at - strlen(word)) / 2;
        line_put(&line, " ", middle - at);
        line_put(&line, word, 1);
        at = middle + strlen(word);
        line_put(&line, " ", right_at - at);
        line_put(&line, right, 1);
    } else {
        if (n_columns > 1) {
            size_t gap = right_at > at ? right_at - at : 1;
            line_put(&line, " ", gap);
            line_put(&line, right, 1);
        }
        line_put(&line, "  ", 1);
        line_put(&line, word, 1);
    }
    line_print(out, &line);
    free(line.text);
    free(left);
    free(right);
}

/* How the plot is laid out for a width: the columns and what they show. */
typedef struct plot_layout {
    plot_column *columns; /* owned */
    size_t n_columns, per_column, trial_width;
    size_t margin; /* the width of the value labels */
    double low, high;
    char *low_text, *high_text; /* owned */
} plot_layout;

static void layout_free(plot_layout *layout) {
    free(layout->columns);
    free(layout->low_text);
    free(layout->high_text);
}

/* Lays the trials out at a label margin of 3 ("0.5"), then again at the
 * width of the labels of the lowest and highest values drawn while they are
 * wider (a wider margin leaves fewer columns, which can change what is
 * drawn; the margin only grows, so this ends). False when no trial has a
 * value to draw. */
static bool lay_out(const dial_trial_list *list, dial_direction direction, bool program,
                    size_t width, plot_layout *layout) {
    *layout = (plot_layout){0};
    for (size_t wanted = 3; layout->margin != wanted;) {
        layout->margin = wanted;
        /* Each row is the margin, " ┤" and the plot, which ends a column
         * short of the width, as a terminal wraps a line that fills it. */
        size_t room = width > wanted + 3 ? width - wanted - 3 : 1;
        layout->per_column = (list->count + room - 1) / room;
        layout->n_columns = (list->count + layout->per_column - 1) / layout->per_column;
        layout->trial_width = layout->per_column > 1 ? 1 : room / layout->n_columns;
        if (layout->trial_width > MAX_TRIAL_WIDTH) layout->trial_width = MAX_TRIAL_WIDTH;
        free(layout->columns);
        layout->columns = cli_alloc(layout->n_columns, sizeof *layout->columns);
        fill_columns(list, direction, layout->per_column, layout->columns, layout->n_columns);
        layout->low = INFINITY;
        layout->high = -INFINITY;
        for (size_t c = 0; c < layout->n_columns; c++) {
            const plot_column *column = &layout->columns[c];
            if (column->mark != MARK_VALUE && column->mark != MARK_PRUNED) continue;
            if (column->value < layout->low) layout->low = column->value;
            if (column->value > layout->high) layout->high = column->value;
        }
        if (!(layout->low <= layout->high)) return false;
        free(layout->low_text);
        free(layout->high_text);
        layout->low_text = number_text(layout->low, program);
        layout->high_text = number_text(layout->high, program);
        size_t longest = strlen(layout->low_text) > strlen(layout->high_text)
                             ? strlen(layout->low_text)
                             : strlen(layout->high_text);
        if (longest > wanted) wanted = longest;
    }
    return true;
}

/* The columns text takes on screen: its UTF-8 characters (every mark here
 * is one column wide). */
static size_t screen_length(const char *text, size_t bytes) {
    size_t n = 0;
    for (size_t i = 0; i < bytes; i++) n += ((unsigned char)text[i] & 0xC0) != 0x80;
    return n;
}

/* Prints text word-wrapped into lines shorter than width columns; a mark
 * (a word of one character) stays on the line of the word it explains. */
static void print_wrapped(FILE *out, const char *text, size_t width) {
    size_t used = 0;
    while (*text) {
        size_t word = strcspn(text, " ");
        if (screen_length(text, word) == 1 && text[word] == ' ')
            word += 1 + strcspn(text + word + 1, " ");
        size_t length = screen_length(text, word);
        if (used > 0 && used + 1 + length >= width) {
            fputc('\n', out);
            used = 0;
        } else if (used > 0) {
            fputc(' ', out);
            used++;
        }
        fwrite(text, 1, word, out);
        used += length;
        text += word;
        while (*text == ' ') text++;
    }
    fputc('\n', out);
}

/* The legend under the plot: the marks it shows, the best trial, and how
 * many trials a column stands for. */
static void print_legend(FILE *out, const dial_trial_list *list, const plot_layout *layout,
                         dial_direction direction, const char *metric, bool program, size_t width) {
    bool any_pruned = false, any_failed = false;
    for (size_t c = 0; c < layout->n_columns; c++) {
        if (layout->columns[c].mark == MARK_PRUNED) any_pruned = true;
        if (layout->columns[c].mark == MARK_FAILED) any_failed = true;
    }
    const dial_trial_record *best = NULL;
    for (size_t i = 0; i < list->count; i++) {
        const dial_trial_record *trial = &list->items[i];
        if (trial->state == DIAL_TRIAL_COMPLETE && isfinite(trial->value) &&
            (!best || better(trial->value, best->value, direction)))
            best = trial;
    }
    char *best_value = best ? number_text(best->value, program) : NULL;
    char *best_text =
        best ? cli_format("; best %s at trial %lld", best_value, (long long)best->number)
             : cli_strdup("");
    char *grouping =
        layout->per_column > 1
            ? cli_format("; each column is %zu trials, the best of them drawn", layout->per_column)
            : cli_strdup("");
    char *legend = cli_format("█ a trial's %s (the block's top edge), ─ best so far%s%s%s%s",
                              metric, any_pruned ? ", × pruned (its last reported value)" : "",
                              any_failed ? ", ! failed" : "", best_text, grouping);
    print_wrapped(out, legend, width);
    free(legend);
    free(grouping);
    free(best_text);
    free(best_value);
}

void cli_trials_plot(FILE *out, const dial_trial_list *list, dial_direction direction,
                     const char *metric, bool program, size_t width) {
    plot_layout layout = {0};
    if (list->count == 0 || !lay_out(list, direction, program, width, &layout)) {
        fprintf(out, "no trial has a value yet: nothing to draw\n");
        layout_free(&layout);
        return;
    }
    fprintf(out, "%s (%s is better)\n", metric, direction == DIAL_MAXIMIZE ? "higher" : "lower");
    plot_line line = {0};
    for (int row = PLOT_ROWS - 1; row >= 0; row--) {
        /* The highest value labels the top row, the lowest the bottom one;
         * a single value labels the row it is drawn on. */
        const char *label = "";
        if (layout.high > layout.low)
            label = row == PLOT_ROWS - 1 ? layout.high_text : row == 0 ? layout.low_text : "";
        else if (row == (height_of(layout.high, layout.low, layout.high) - 1) / 8)
            label = layout.high_text;
        char *prefix = cli_format("%*s %s", (int)layout.margin, label, *label ? "┤" : "│");
        line_put(&line, prefix, 1);
        free(prefix);
        for (size_t c = 0; c < layout.n_columns; c++)
            put_cell(&line, &layout.columns[c], row, layout.low, layout.high, layout.trial_width);
        line_print(out, &line);
    }
    free(line.text);
    put_axis(out, layout.columns, layout.n_columns, layout.margin, layout.trial_width, width);
    print_legend(out, list, &layout, direction, metric, program, width);
    layout_free(&layout);
}

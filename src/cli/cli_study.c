/* What dial tune, trials and best share about studies: opening a study
 * file for reading, and showing a trial's knobs, scores, path and time the
 * same way in every command. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "cli/cli.h"

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

dial_status cli_open_study(dial_ctx *ctx, const char *path, const char *name, dial_study **out) {
    *out = NULL;
    if (name) return dial_study_load(ctx, path, name, out);
    /* Without a name the file's only study is meant; the library would
     * try "default" among several, where the user needs --study-name. */
    char **names = NULL;
    size_t n = 0;
    dial_status status = dial_study_names(ctx, path, &names, &n);
    if (status != DIAL_OK) return status;
    if (n == 1) {
        status = dial_study_load(ctx, path, names[0], out);
    } else if (n == 0) {
        status = dial_fail(ctx, DIAL_ERR_DATA, "%s holds no study yet", path);
    } else {
        char *list = cli_strdup("");
        for (size_t i = 0; i < n; i++) {
            char *longer = cli_format("%s%s%s", list, i ? ", " : "", names[i]);
            free(list);
            list = longer;
        }
        status =
            dial_fail(ctx, DIAL_ERR_ARGUMENT,
                      "%s holds %zu studies (%s); choose one with --study-name", path, n, list);
        free(list);
    }
    free_names(names, n);
    return status;
}

char *cli_trial_params_text(const dial_trial_record *trial) {
    if (trial->n_params == 0) return cli_strdup("(none)");
    char *text = cli_strdup("");
    for (size_t i = 0; i < trial->n_params; i++) {
        char value[64];
        if (trial->param_kinds[i] == DIAL_PARAM_FLOAT)
            snprintf(value, sizeof value, "%.4g", trial->param_values[i]);
        else
            snprintf(value, sizeof value, "%s", trial->param_texts[i] ? trial->param_texts[i] : "");
        char *longer = cli_format("%s%s%s=%s", text, i ? ", " : "", trial->param_names[i], value);
        free(text);
        text = longer;
    }
    return text;
}

static double now_seconds(void) {
    struct timeval now;
    gettimeofday(&now, NULL);
    return (double)now.tv_sec + (double)now.tv_usec * 1e-6;
}

double cli_trial_seconds(const dial_trial_record *trial) {
    double end = trial->finished_at > 0 ? trial->finished_at : now_seconds();
    double seconds = end - trial->started_at;
    return seconds > 0 ? seconds : 0;
}

char *cli_seconds_text(double seconds) {
    if (!(seconds >= 0)) seconds = 0;
    if (seconds < 0.0995) return cli_format("%.*f ms", seconds < 0.00995 ? 1 : 0, seconds * 1e3);
    if (seconds < 9.95) return cli_format("%.1f s", seconds);
    if (seconds < 59.5) return cli_format("%.0f s", seconds);
    long whole = (long)(seconds + 0.5);
    if (whole < 3600) return cli_format("%ld min %ld s", whole / 60, whole % 60);
    return cli_format("%ld h %ld min", whole / 3600, whole % 3600 / 60);
}

long cli_trial_best_path_step(const dial_trial_record *trial, dial_direction direction) {
    long best = -1;
    for (size_t i = 0; i < trial->n_path; i++) {
        double value = trial->path_values[i];
        if (isnan(value)) continue;
        double held = best < 0 ? NAN : trial->path_values[best];
        if (best < 0 || (direction == DIAL_MAXIMIZE ? value > held : value < held)) best = (long)i;
    }
    return best;
}

/* qsort passes no user pointer, so each item carries the direction. */
typedef struct ranked_item {
    const dial_trial_record *trial;
    dial_direction direction;
} ranked_item;

static int compare_ranked(const void *a, const void *b) {
    const ranked_item *x = a, *y = b;
    double u = x->trial->value, v = y->trial->value;
    if (u != v) {
        bool better = x->direction == DIAL_MAXIMIZE ? u > v : u < v;
        return better ? -1 : 1;
    }
    return x->trial->number < y->trial->number ? -1 : x->trial->number > y->trial->number;
}

size_t cli_trials_ranked(const dial_trial_list *list, dial_direction direction,
                         const dial_trial_record ***out) {
    ranked_item *items = cli_alloc(list->count, sizeof *items);
    size_t n = 0;
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].state == DIAL_TRIAL_COMPLETE && !isnan(list->items[i].value))
            items[n++] = (ranked_item){&list->items[i], direction};
    qsort(items, n, sizeof *items, compare_ranked);
    const dial_trial_record **ranked = cli_alloc(n, sizeof *ranked);
    for (size_t i = 0; i < n; i++) ranked[i] = items[i].trial;
    free(items);
    *out = ranked;
    return n;
}

/* A number as JSON: an integer when written as one. */
static json_t *number_json(const char *text, double number) {
    bool integral = strpbrk(text, ".eEnN") == NULL && fabs(number) < 9e15;
    return integral ? json_integer((json_int_t)number) : json_real(number);
}

/* Text of numbers separated by commas ("128,64", or "64") as a JSON array,
 * or NULL when it is something else. */
static json_t *number_list_json(const char *text) {
    json_t *list = json_array();
    for (const char *p = text;;) {
        char *end;
        double number = strtod(p, &end);
        bool blank = end == p || isspace((unsigned char)*p);
        if (blank || !isfinite(number) || (*end != ',' && *end != '\0')) {
            json_decref(list);
            return NULL;
        }
        char item[64];
        size_t length = (size_t)(end - p) < sizeof item ? (size_t)(end - p) : sizeof item - 1;
        memcpy(item, p, length);
        item[length] = '\0';
        json_array_append_new(list, number_json(item, number));
        if (*end == '\0') return list;
        p = end + 1;
    }
}

/* A choice's text as JSON: a number or boolean when it reads as one, an
 * array when it is a list of numbers ("128,64", a list knob's value). */
static json_t *choice_json(const char *text) {
    if (strcmp(text, "true") == 0) return json_true();
    if (strcmp(text, "false") == 0) return json_false();
    char *end;
    double number = strtod(text, &end);
    if (end != text && *end == '\0' && isfinite(number)) return number_json(text, number);
    json_t *list = strchr(text, ',') ? number_list_json(text) : NULL;
    return list ? list : json_string(text);
}

/* Whether the table has a list knob of that name. */
static bool is_list_knob(const dial_knobs *knobs, const char *name) {
    long k = knobs ? dial_knobs_find(knobs, name) : -1;
    if (k < 0) return false;
    const dial_knob_spec *spec = &knobs->specs[k];
    return spec->list_item && (spec->type == DIAL_KNOB_FLOAT || spec->type == DIAL_KNOB_INT);
}

json_t *cli_json_trial_knobs(const dial_trial_record *trial, const dial_knobs *knobs) {
    json_t *object = json_object();
    for (size_t i = 0; i < trial->n_params; i++) {
        const char *text = trial->param_texts[i] ? trial->param_texts[i] : "";
        json_t *value = NULL;
        switch (trial->param_kinds[i]) {
        case DIAL_PARAM_INT: value = json_integer((json_int_t)trial->param_values[i]); break;
        case DIAL_PARAM_FLOAT: value = cli_json_number(trial->param_values[i]); break;
        default: value = choice_json(text); break;
        }
        if (is_list_knob(knobs, trial->param_names[i]) && !json_is_array(value)) {
            /* A range searches lists of one; so may a choice ("64|128,64"). */
            json_t *list = json_array();
            json_array_append_new(list, value);
            value = list;
        }
        json_object_set_new(object, trial->param_names[i], value);
    }
    return object;
}

json_t *cli_json_trial_params(const dial_trial_record *trial) {
    return cli_json_trial_knobs(trial, NULL);
}

json_t *cli_json_trial_intermediate(const dial_trial_record *trial) {
    json_t *steps = json_array();
    for (size_t i = 0; i < trial->n_intermediate; i++)
        json_array_append_new(steps, json_pack("{s:I, s:o}", "step",
                                               (json_int_t)trial->intermediate_steps[i], "value",
                                               cli_json_number(trial->intermediate_values[i])));
    return steps;
}

json_t *cli_json_trial_path(const dial_trial_record *trial) {
    json_t *steps = json_array();
    for (size_t i = 0; i < trial->n_path; i++)
        json_array_append_new(steps,
                              json_pack("{s:I, s:o}", "step", (json_int_t)trial->path_steps[i],
                                        "value", cli_json_number(trial->path_values[i])));
    return steps;
}

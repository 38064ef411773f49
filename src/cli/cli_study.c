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

const char *cli_sampler_name(dial_sampler_kind kind) { return dial_sampler_kind_name(kind); }

/* ---- resuming a study -------------------------------------------------------- */

static bool parse_size(const char *text, size_t *out) {
    char *end;
    unsigned long long value = text && *text ? strtoull(text, &end, 10) : 0;
    if (!text || !*text || *end || *text == '-') return false;
    *out = (size_t)value;
    return true;
}

/* Splits the '\n'-separated items of a stored note into a fresh array of
 * pointers into text (which it cuts up); "" gives none. */
static const char **split_lines(char *text, size_t *n) {
    size_t count = *text ? 1 : 0;
    for (const char *p = text; *p; p++) count += *p == '\n';
    const char **items = cli_alloc(count + 1, sizeof *items);
    *n = 0;
    for (char *p = text; *text && p;) {
        items[(*n)++] = p;
        p = strchr(p, '\n');
        if (p) *p++ = '\0';
    }
    return items;
}

/* The option that sets an identity key. */
static const char *option_of(const char *key) {
    static const char *const options[][2] = {
        {"task", "--task"},       {"sampler", "--sampler"}, {"folds", "--folds"},
        {"repeats", "--repeats"}, {"nested", "--nested"},   {"grid_points", "--grid-points"},
        {"seed", "--seed"},       {"holdout", "--holdout"}, {"gap", "--gap"}};
    for (size_t i = 0; i < sizeof options / sizeof options[0]; i++)
        if (strcmp(options[i][0], key) == 0) return options[i][1];
    return key;
}

/* A stored value that does not read back: the file was edited by hand. */
static dial_status bad_stored(dial_ctx *ctx, const cli_options *opts, const char *name,
                              const char *key, const char *value) {
    char *shown = dial_study_storage_shown(ctx, opts->study); /* no PostgreSQL password */
    dial_status status =
        dial_fail(ctx, DIAL_ERR_FORMAT,
                  "study '%s' in %s holds %s '%s', which this dial does not read; give %s "
                  "on the command line",
                  name, shown ? shown : opts->study, key, value, option_of(key));
    free(shown);
    return status;
}

/* How the study's rows were split, when the command line says nothing of
 * it (--groups, --time-column, --time-order, --gap, --fold-column share one
 * bit). The values point into stored, which outlives opts' use. */
static dial_status restore_fold_scheme(dial_ctx *ctx, cli_options *opts, const char *name,
                                       const dial_study_identity *stored) {
    if (opts->given & CLI_OPT_FOLD_SCHEME) return DIAL_OK;
    const char *groups = dial_study_identity_get(stored, "groups");
    const char *time = dial_study_identity_get(stored, "time_column");
    const char *given = dial_study_identity_get(stored, "fold_column");
    const char *gap = dial_study_identity_get(stored, "gap");
    if (groups && *groups) opts->groups = groups;
    if (given && *given) opts->fold_column = given;
    if (time && *time) {
        if (strcmp(time, "(row order)") == 0)
            opts->time_order = true;
        else
            opts->time_column = time;
    }
    if (gap && strcmp(gap, "0") != 0) {
        char *end;
        unsigned long long rows = strtoull(gap, &end, 10);
        if (!*gap || *end) return bad_stored(ctx, opts, name, "gap", gap);
        opts->gap = (size_t)rows;
    }
    return DIAL_OK;
}

/* Takes each stored setting the command line left out. */
static dial_status restore_settings(dial_ctx *ctx, cli_options *opts, const char *name,
                                    const dial_study_identity *stored) {
    const char *value;
    if (!(opts->given & CLI_OPT_METRIC) && (value = dial_study_identity_get(stored, "metric")))
        opts->metric = value;
    /* The target as it was given: left out, it was the last column of that
     * data, and is the last column of this run's (whose data is then
     * compared, and refused if it differs). */
    if (!(opts->given & CLI_OPT_TARGET) && (value = dial_study_identity_get(stored, "note.target")))
        opts->target = value;
    /* "id,name", as --ignore takes it. */
    if (!(opts->given & CLI_OPT_IGNORE) && (value = dial_study_identity_get(stored, "ignore")) &&
        value[0])
        opts->ignores[opts->n_ignores++] = value;
    if (!(opts->given & CLI_OPT_TASK) && (value = dial_study_identity_get(stored, "task"))) {
        if (strcmp(value, "classification") == 0)
            opts->task = DIAL_TASK_CLASSIFICATION;
        else if (strcmp(value, "regression") == 0)
            opts->task = DIAL_TASK_REGRESSION;
        /* a clustering's task is its family's own: --task has nothing to say */
        else if (strcmp(value, "clustering") != 0)
            return bad_stored(ctx, opts, name, "task", value);
    }
    if (!(opts->given & CLI_OPT_SAMPLER) && (value = dial_study_identity_get(stored, "sampler"))) {
        if (!cli_sampler_parse(value, &opts->sampler))
            return bad_stored(ctx, opts, name, "sampler", value);
    }
    struct {
        uint64_t option;
        const char *key;
        size_t *field;
    } sizes[] = {{CLI_OPT_CV, "folds", &opts->folds},
                 {CLI_OPT_REPEATS, "repeats", &opts->repeats},
                 {CLI_OPT_NESTED, "nested", &opts->nested},
                 {CLI_OPT_GRID_POINTS, "grid_points", &opts->grid_points}};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (opts->given & sizes[i].option) continue;
        if (!(value = dial_study_identity_get(stored, sizes[i].key))) continue;
        if (!parse_size(value, sizes[i].field))
            return bad_stored(ctx, opts, name, sizes[i].key, value);
    }
    if (!(opts->given & CLI_OPT_STARTUP_TRIALS) &&
        (value = dial_study_identity_get(stored, "startup_trials")) &&
        !cli_startup_trials_parse(value, &opts->startup_trials)) {
        char *shown = dial_study_storage_shown(ctx, opts->study); /* no PostgreSQL password */
        dial_status status =
            dial_fail(ctx, DIAL_ERR_FORMAT,
                      "study '%s' in %s holds startup_trials '%s', which this dial does not "
                      "read; give --startup-trials on the command line",
                      name, shown ? shown : opts->study, value);
        free(shown);
        return status;
    }
    if (!(opts->given & CLI_OPT_SEED) && (value = dial_study_identity_get(stored, "seed"))) {
        char *end;
        unsigned long long seed = strtoull(value, &end, 10);
        if (!*value || *end) return bad_stored(ctx, opts, name, "seed", value);
        opts->seed = (uint64_t)seed;
    }
    if (!(opts->given & CLI_OPT_HOLDOUT) && (value = dial_study_identity_get(stored, "holdout"))) {
        char *end;
        double fraction = strtod(value, &end);
        if (end == value || *end || !(fraction >= 0 && fraction < 1))
            return bad_stored(ctx, opts, name, "holdout", value);
        opts->holdout = fraction;
    }
    return restore_fold_scheme(ctx, opts, name, stored);
}

dial_status cli_resume_options(dial_ctx *ctx, cli_options *opts, const char *model,
                               const char *name, cli_resumed *out) {
    memset(out, 0, sizeof *out);
    if (!opts->study) return DIAL_OK;
    bool found = false;
    dial_status status = dial_study_identity_read(ctx, opts->study, name, &out->stored, &found);
    if (status != DIAL_OK || out->stored.n == 0) return status;
    /* A program's study has no model to compare: its trials are the
     * program's values. */
    if (cli_is_program_study(&out->stored)) {
        char *shown = dial_study_storage_shown(ctx, opts->study); /* no PostgreSQL password */
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                           "study '%s' in %s is a study of a program (dial ask, tell and run); "
                           "dial tune tunes a model: give it its own --study-name",
                           name, shown ? shown : opts->study);
        free(shown);
        return status;
    }
    /* Another model's knobs would not even parse: say what differs first. */
    dial_study_identity asked = {0};
    status = dial_study_identity_set(ctx, &asked, "model", model);
    char *shown = dial_study_storage_shown(ctx, opts->study); /* no PostgreSQL password */
    if (status == DIAL_OK)
        status =
            dial_study_identity_check(ctx, name, shown ? shown : opts->study, &out->stored, &asked);
    free(shown);
    dial_study_identity_free(&asked);
    if (status == DIAL_OK) status = restore_settings(ctx, opts, name, &out->stored);
    /* The pruner it was made with (its canonical text, kept by stored). */
    const char *pruner = dial_study_identity_get(&out->stored, "pruner");
    if (status == DIAL_OK && !(opts->given & CLI_OPT_PRUNER) && pruner) opts->pruner = pruner;
    if (status != DIAL_OK || (opts->given & (CLI_OPT_SET | CLI_OPT_SPACE | CLI_OPT_SPACE_FILE)))
        return status;
    /* None of -s, --space, --space-file: the study's space, from the items
     * it was made with. */
    const char *sets = dial_study_identity_get(&out->stored, "note.set");
    const char *spaces = dial_study_identity_get(&out->stored, "note.space");
    /* Both notes in one buffer, the -s items then the --space items. */
    size_t set_length = sets ? strlen(sets) : 0, space_length = spaces ? strlen(spaces) : 0;
    out->lines = cli_alloc(set_length + space_length + 2, 1);
    memcpy(out->lines, sets ? sets : "", set_length + 1);
    memcpy(out->lines + set_length + 1, spaces ? spaces : "", space_length + 1);
    free(opts->sets);
    free(opts->spaces);
    opts->sets = split_lines(out->lines, &opts->n_sets);
    opts->spaces = split_lines(out->lines + set_length + 1, &opts->n_spaces);
    out->space_json = dial_study_identity_get(&out->stored, "note.space_json");
    return DIAL_OK;
}

void cli_resumed_free(cli_resumed *resumed) {
    dial_study_identity_free(&resumed->stored);
    free(resumed->lines);
    memset(resumed, 0, sizeof *resumed);
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

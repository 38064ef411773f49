/* dial inspect MODEL.dial: what a saved model is, the knobs it was trained
 * with, and every tensor it learned, labelled with class, input or feature
 * names where the model says a dimension runs over them
 * (dial_model_tensor_axis). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"

static const cli_command inspect_command = {
    .name = "inspect",
    .usage = "dial inspect MODEL.dial [--json | --tree[=N]]",
    .positional = (const char *const[]){"MODEL.dial"},
    .n_positional = 1,
    .options = CLI_OPT_JSON | CLI_OPT_TREE | CLI_OPT_HELP,
    .help = "Usage: dial inspect MODEL.dial [--json | --tree[=N]]\n"
            "\n"
            "Shows a model saved by 'dial fit' or 'dial tune': the model, task, target and\n"
            "classes, facts about the fit (rows, seed, time, dial version), which tuning\n"
            "study and trial chose its knobs, the knobs it was trained with\n"
            "beside their defaults, and every parameter it learned (the preprocessing's\n"
            "preprocess.* tensors included) with its shape and its first values.\n"
            "\n"
            "Options:\n"
            "  --json        one JSON object: {\"model\", \"task\", \"target\", \"classes\",\n"
            "                \"features\", \"facts\", \"knobs\", \"knobs_set\", \"tuning\",\n"
            "                \"tensors\": [{\"name\", \"dtype\", \"shape\", \"values\"}]} with\n"
            "                every value of every tensor; \"tuning\" is null unless 'dial\n"
            "                tune' chose the knobs; \"retrained_from\" is there only\n"
            "                for a model 'dial retrain' made\n"
            "  --tree[=N]    for a tree, forest or gbdt model, tree N (default 0, the\n"
            "                first) as if/else rules over the feature and class names; a\n"
            "                gbdt leaf tells what it adds to which raw score\n"
            "  -h, --help    this help\n"
            "\n"
            "Example:\n"
            "  dial fit logistic data/iris.csv -o iris.dial\n"
            "  dial inspect iris.dial\n"
            "  dial fit tree data/iris.csv -s max_depth=3 -o tree.dial\n"
            "  dial inspect tree.dial --tree\n",
};

/* Tensors with at most this many values are shown whole. */
#define PREVIEW_ALL 60
#define PREVIEW_ROWS 10
#define PREVIEW_COLS 6
#define PREVIEW_VALUES 24

/* Names of the model's design-matrix columns: a numeric feature's name, or
 * "feature=level" for each level of a categorical one. */
typedef struct name_list {
    size_t n;
    char **names;
} name_list;

static name_list input_names(const dial_model *model) {
    name_list list = {0, NULL};
    size_t n_inputs = dial_model_n_inputs(model);
    list.names = cli_alloc(n_inputs, sizeof *list.names);
    for (size_t i = 0; i < dial_model_n_features(model) && list.n < n_inputs; i++) {
        const char *name = dial_model_feature_name(model, i);
        if (dial_model_feature_type(model, i) == DIAL_COLUMN_NUMERIC) {
            list.names[list.n++] = cli_strdup(name);
            continue;
        }
        size_t levels = dial_model_feature_n_levels(model, i);
        for (size_t l = 0; l < levels && list.n < n_inputs; l++)
            list.names[list.n++] = cli_format("%s=%s", name, dial_model_feature_level(model, i, l));
    }
    /* A schema that does not add up is shown unlabelled rather than wrongly. */
    if (list.n != n_inputs) {
        for (size_t i = 0; i < list.n; i++) free(list.names[i]);
        list.n = 0;
    }
    return list;
}

static void free_names(name_list *list) {
    for (size_t i = 0; i < list->n; i++) free(list->names[i]);
    free(list->names);
}

typedef struct tensor_labels {
    const dial_model *model;
    name_list inputs;
    const char *const *features; /* n_features names */
    size_t n_features;
    const char *const *classes;
    size_t n_classes;
} tensor_labels;

/* The names along dimension dim of a tensor, as the model says what it
 * runs over (dial_model_tensor_axis), or NULL. */
static const char *const *dimension_names(const tensor_labels *labels, const char *tensor,
                                          int dim) {
    switch (dial_model_tensor_axis(labels->model, tensor, dim)) {
    case DIAL_AXIS_INPUTS:
        return labels->inputs.n ? (const char *const *)labels->inputs.names : NULL;
    case DIAL_AXIS_FEATURES: return labels->features;
    case DIAL_AXIS_CLASSES: return labels->classes;
    case DIAL_AXIS_SECOND_CLASS: return labels->classes + 1;
    case DIAL_AXIS_NONE: break;
    }
    return NULL;
}

static double tensor_value(const dial_tensor *t, size_t i) {
    return t->dtype == DIAL_I64 ? (double)((const int64_t *)t->data)[i]
                                : ((const double *)t->data)[i];
}

static void preview_value(const dial_tensor *t, size_t i, char *buf, size_t size) {
    if (t->dtype == DIAL_I64)
        snprintf(buf, size, "%" PRId64, ((const int64_t *)t->data)[i]);
    else
        snprintf(buf, size, "%.4g", ((const double *)t->data)[i]);
}

/* A vector as "label value" pairs flowing across lines. With levels_of, a
 * per-feature vector (preprocess.fill) shows a categorical feature's level
 * by name rather than by index. */
static void preview_vector(const dial_tensor *t, size_t n, const char *const *names,
                           const dial_model *levels_of) {
    size_t shown = n <= PREVIEW_ALL ? n : PREVIEW_VALUES;
    size_t column = 0, indent = 6;
    for (size_t i = 0; i <= shown; i++) {
        char value[40], item[200];
        if (i == shown && shown == n) break;
        if (i == shown) {
            snprintf(item, sizeof item, "... %zu more (dial inspect --json shows all)", n - shown);
        } else {
            preview_value(t, i, value, sizeof value);
            double level = tensor_value(t, i);
            if (levels_of && dial_model_feature_type(levels_of, i) == DIAL_COLUMN_CATEGORICAL &&
                level >= 0 && level < (double)dial_model_feature_n_levels(levels_of, i))
                snprintf(item, sizeof item, "%s=%s", names[i],
                         dial_model_feature_level(levels_of, i, (size_t)level));
            else if (names)
                snprintf(item, sizeof item, "%s %s", names[i], value);
            else
                snprintf(item, sizeof item, "%s", value);
        }
        size_t length = strlen(item);
        if (column && column + 3 + length > CLI_WIDTH) {
            printf("\n");
            column = 0;
        }
        printf("%*s%s", column ? 3 : (int)indent, "", item);
        column += (column ? 3 : indent) + length;
    }
    printf("\n");
}

/* A matrix as a table, transposed when it is wider than tall so that long
 * label lists (inputs) run down the page. */
static void preview_matrix(const dial_tensor *t, const char *const *row_names,
                           const char *const *col_names) {
    size_t rows = t->shape[0], cols = t->shape[1];
    bool transpose = cols > rows && cols > PREVIEW_COLS;
    size_t out_rows = transpose ? cols : rows, out_cols = transpose ? rows : cols;
    const char *const *down = transpose ? col_names : row_names;
    const char *const *across = transpose ? row_names : col_names;
    bool all = rows * cols <= PREVIEW_ALL;
    size_t shown_rows = all || out_rows <= PREVIEW_ROWS ? out_rows : PREVIEW_ROWS;
    size_t shown_cols = out_cols <= PREVIEW_COLS ? out_cols : PREVIEW_COLS;
    bool more_cols = shown_cols < out_cols;

    cli_table table;
    cli_table_init(&table, shown_cols + 1 + more_cols);
    for (size_t c = 1; c < table.n_cols; c++) table.right[c] = true;
    const char *header[CLI_TABLE_MAX_COLS + 1] = {""};
    char *owned[CLI_TABLE_MAX_COLS + 1] = {NULL};
    for (size_t c = 0; c < shown_cols; c++)
        header[c + 1] = across ? across[c] : (owned[c + 1] = cli_format("[%zu]", c));
    if (more_cols)
        header[shown_cols + 1] = owned[shown_cols + 1] =
            cli_format("... %zu more", out_cols - shown_cols);
    cli_table_add(&table, header);
    for (size_t r = 0; r < shown_rows; r++) {
        const char *row[CLI_TABLE_MAX_COLS + 1] = {NULL};
        char values[CLI_TABLE_MAX_COLS][40];
        char index[32];
        snprintf(index, sizeof index, "[%zu]", r);
        row[0] = down ? down[r] : index;
        for (size_t c = 0; c < shown_cols; c++) {
            size_t i = transpose ? c * cols + r : r * cols + c;
            preview_value(t, i, values[c], sizeof values[c]);
            row[c + 1] = values[c];
        }
        cli_table_add(&table, row);
    }
    cli_table_print(&table, stdout, 6);
    cli_table_free(&table);
    for (size_t c = 0; c <= CLI_TABLE_MAX_COLS; c++) free(owned[c]);
    if (shown_rows < out_rows)
        printf("      ... %zu more rows (dial inspect --json shows all)\n", out_rows - shown_rows);
}

static char *shape_text(const dial_tensor *t) {
    if (t->ndim == 0) return cli_strdup("scalar");
    char *text = cli_strdup("[");
    for (int d = 0; d < t->ndim; d++) {
        char *longer = cli_format("%s%s%zu", text, d ? " x " : "", t->shape[d]);
        free(text);
        text = longer;
    }
    char *done = cli_format("%s]", text);
    free(text);
    return done;
}

/* What a tensor means, as the model tells it (malloc'ed). */
static char *tensor_doc(const dial_model *model, const char *name) {
    size_t length = dial_model_tensor_doc(model, name, NULL, 0);
    char *doc = cli_alloc(length + 1, 1);
    dial_model_tensor_doc(model, name, doc, length + 1);
    return doc;
}

static void print_tensor(const dial_model *model, const tensor_labels *labels,
                         const dial_tensor *t) {
    char *shape = shape_text(t);
    char *doc = tensor_doc(model, t->name);
    printf("  %s  %s %s\n", t->name, t->dtype == DIAL_I64 ? "int64" : "float64", shape);
    if (doc[0]) cli_print_wrapped(stdout, doc, 4, CLI_WIDTH);
    size_t n = dial_tensor_size(t);
    if (t->ndim == 0) {
        char value[40];
        preview_value(t, 0, value, sizeof value);
        printf("      %s\n", value);
    } else if (t->ndim == 1) {
        const char *const *names = dimension_names(labels, t->name, 0);
        bool per_feature = names && names == labels->features;
        preview_vector(t, n, names, per_feature ? model : NULL);
    } else if (t->ndim == 2) {
        preview_matrix(t, dimension_names(labels, t->name, 0), dimension_names(labels, t->name, 1));
    } else {
        preview_vector(t, n, NULL, NULL);
    }
    free(shape);
    free(doc);
}

static void format_time(int64_t unix_time, char *buf, size_t size) {
    time_t when = (time_t)unix_time;
    struct tm utc;
    if (gmtime_r(&when, &utc) && strftime(buf, size, "%Y-%m-%d %H:%M:%S UTC", &utc)) return;
    snprintf(buf, size, "%" PRId64, unix_time);
}

static char *classes_text(const dial_model *model) {
    char *text = cli_strdup("");
    for (size_t i = 0; i < dial_model_n_classes(model); i++) {
        char *longer = cli_format("%s%s%s", text, i ? ", " : "", dial_model_class_name(model, i));
        free(text);
        text = longer;
    }
    return text;
}

static char *features_text(const dial_model *model) {
    size_t n = dial_model_n_features(model), categorical = 0;
    for (size_t i = 0; i < n; i++)
        categorical += dial_model_feature_type(model, i) == DIAL_COLUMN_CATEGORICAL;
    char *text = cli_format("%zu (%zu numeric, %zu categorical; %zu inputs after encoding):", n,
                            n - categorical, categorical, dial_model_n_inputs(model));
    for (size_t i = 0; i < n; i++) {
        char *longer = cli_format("%s%s %s", text, i ? "," : "", dial_model_feature_name(model, i));
        free(text);
        text = longer;
    }
    return text;
}

/* What the drift reference holds, or that the model has none. */
static char *drift_text(dial_ctx *ctx, const dial_model *model) {
    dial_drift_reference *reference = NULL;
    if (dial_model_drift_reference(ctx, model, &reference) != DIAL_OK || !reference)
        return cli_strdup("no drift reference (saved before dial kept one): dial drift cannot "
                          "compare new data with it");
    char *text = cli_format(
        "reference of %zu training rows: %zu of %zu features%s%s "
        "(dial drift compares new data with it)",
        (size_t)reference->n_rows, reference->n_features, reference->n_model_features,
        reference->has_target ? ", the target" : "", reference->has_cv ? ", the CV score" : "");
    dial_drift_reference_free(reference);
    return text;
}

/* Which study and trial chose the knobs, from the tuning record, or NULL
 * when the knobs were not tuned. */
static char *tuning_text(const dial_model *model) {
    const char *record = dial_model_get_tuning(model);
    json_t *tuning = record ? json_loads(record, 0, NULL) : NULL;
    if (!tuning) return NULL;
    const char *file = json_string_value(json_object_get(tuning, "study_file"));
    const char *name = json_string_value(json_object_get(tuning, "study_name"));
    const char *metric = json_string_value(json_object_get(tuning, "metric"));
    json_t *holdout = json_object_get(tuning, "holdout");
    json_t *nested = json_object_get(tuning, "nested");
    long long repeats = (long long)json_integer_value(json_object_get(tuning, "repeats"));
    char *text = cli_format(
        "trial %lld of study %s %s%s: %s %.4f (std %.4f over %lld folds%s; best of %lld trials)",
        (long long)json_integer_value(json_object_get(tuning, "trial")), name ? name : "?",
        file ? "in " : "(in memory)", file ? file : "", metric ? metric : "score",
        json_number_value(json_object_get(tuning, "cv_value")),
        json_number_value(json_object_get(tuning, "cv_std")),
        (long long)json_integer_value(json_object_get(tuning, "folds")) *
            (repeats > 1 ? repeats : 1),
        repeats > 1 ? ", repeated" : "",
        (long long)json_integer_value(json_object_get(tuning, "n_trials")));
    if (json_is_object(holdout)) {
        char *longer = cli_format("%s; holdout %.4f on %lld rows", text,
                                  json_number_value(json_object_get(holdout, "score")),
                                  (long long)json_integer_value(json_object_get(holdout, "rows")));
        free(text);
        text = longer;
    }
    if (json_is_object(nested)) {
        char *longer = cli_format("%s; nested %lld-fold %.4f", text,
                                  (long long)json_integer_value(json_object_get(nested, "folds")),
                                  json_number_value(json_object_get(nested, "mean")));
        free(text);
        text = longer;
    }
    json_decref(tuning);
    return text;
}

/* What a retrain refitted the model from ("from bc.dial (checksum ...,
 * data hash ...) on new.csv (369 rows, hash ...); knobs from trial 12 of
 * study svm"), or NULL for a model fitted afresh. */
static char *retrained_text(const dial_model *model) {
    const char *text = dial_model_get_retrained_from(model);
    json_t *record = text ? json_loads(text, 0, NULL) : NULL;
    if (!record) return NULL;
    char *line = cli_format("from %s (checksum %s, data hash %s) on",
                            json_string_value(json_object_get(record, "model_file")),
                            json_string_value(json_object_get(record, "model_checksum")),
                            json_string_value(json_object_get(record, "model_data_fingerprint")));
    json_t *data = json_object_get(record, "data");
    for (size_t i = 0; i < json_array_size(data); i++) {
        json_t *file = json_array_get(data, i);
        char *longer = cli_format("%s%s %s (%lld rows, hash %s)", line, i ? " +" : "",
                                  json_string_value(json_object_get(file, "file")),
                                  (long long)json_integer_value(json_object_get(file, "rows")),
                                  json_string_value(json_object_get(file, "fingerprint")));
        free(line);
        line = longer;
    }
    json_t *source = json_object_get(record, "knobs_source");
    const char *study = json_string_value(json_object_get(source, "study_name"));
    char *longer = json_is_object(source)
                       ? cli_format("%s; knobs from trial %lld of study %s", line,
                                    (long long)json_integer_value(json_object_get(source, "trial")),
                                    study ? study : "?")
                       : cli_format("%s; knobs set by hand or defaults", line);
    free(line);
    json_decref(record);
    return longer;
}

/* The importance the fit learned (tree, forest, gbdt), per raw feature:
 * the family's tensor holds one value per input, and a split on a
 * category counts for its block's first level, so the levels are summed
 * (dial_model_feature_importance) rather than shown one by one. */
static void print_learned_importance(dial_ctx *ctx, const dial_model *model) {
    if (!dial_model_has_feature_importance(model)) return;
    size_t n = dial_model_n_features(model);
    double *importance = cli_alloc(n ? n : 1, sizeof *importance);
    printf("\nImportance it learned while fitting, per feature (a categorical feature's "
           "levels summed)\n");
    if (dial_model_feature_importance(ctx, model, importance) != DIAL_OK) {
        printf("      not shown: %s\n", dial_ctx_error(ctx));
        free(importance);
        return;
    }
    size_t column = 0, indent = 6;
    for (size_t j = 0; j < n; j++) {
        char item[256];
        snprintf(item, sizeof item, "%s %.4g", dial_model_feature_name(model, j), importance[j]);
        size_t length = strlen(item);
        if (column && column + 3 + length > CLI_WIDTH) {
            printf("\n");
            column = 0;
        }
        printf("%*s%s", column ? 3 : (int)indent, "", item);
        column += (column ? 3 : indent) + length;
    }
    printf("\n");
    free(importance);
}

static void print_inspect_text(dial_ctx *ctx, const char *path, const dial_model *model,
                               const tensor_labels *labels) {
    const dial_model_family *family = dial_model_get_family(model);
    const dial_model_facts *facts = dial_model_get_facts(model);
    const dial_knobs *knobs = dial_model_get_knobs(model);
    bool classifier = dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION;
    char when[64];
    format_time(facts->fitted_at, when, sizeof when);

    printf("%s\n", path);
    cli_table table;
    cli_table_init(&table, 2);
    table.wrap[1] = true;
    char *model_text = cli_format("%s (%s): %s", family->name,
                                  dial_task_name(dial_model_get_task(model)), family->summary);
    char *classes = classes_text(model);
    char *features = features_text(model);
    char *duration = cli_duration_text(facts->fit_seconds);
    char *trained = cli_format("%zu rows, seed %" PRIu64 ", %s, fit in %s, dial %s", facts->n_rows,
                               facts->seed, when, duration, facts->dial_version);
    free(duration);
    char *fingerprint = cli_format("%016" PRIx64, facts->data_fingerprint);
    cli_table_add(&table, (const char *[]){"model", model_text});
    bool clustering = dial_model_get_task(model) == DIAL_TASK_CLUSTERING;
    cli_table_add(&table, (const char *[]){"target", clustering ? "none (a clustering)"
                                                                : dial_model_target_name(model)});
    if (classifier) cli_table_add(&table, (const char *[]){"classes", classes});
    cli_table_add(&table, (const char *[]){"features", features});
    cli_table_add(&table, (const char *[]){"trained", trained});
    cli_table_add(&table, (const char *[]){"data hash", fingerprint});
    char *tuned = tuning_text(model);
    if (tuned) cli_table_add(&table, (const char *[]){"tuned", tuned});
    free(tuned);
    char *retrained = retrained_text(model);
    if (retrained) cli_table_add(&table, (const char *[]){"retrained", retrained});
    free(retrained);
    char *drift = drift_text(ctx, model);
    cli_table_add(&table, (const char *[]){"drift", drift});
    free(drift);
    cli_table_print(&table, stdout, 2);
    cli_table_free(&table);
    free(model_text);
    free(classes);
    free(features);
    free(trained);
    free(fingerprint);

    printf("\nKnobs it was trained with (hyperparameters; * = set by the user)\n");
    cli_table_init(&table, 4);
    cli_table_add(&table, (const char *[]){"NAME", "VALUE", "DEFAULT", ""});
    for (size_t i = 0; i < knobs->n; i++) {
        char value[64];
        dial_knobs_format(knobs, i, value, sizeof value);
        const char *marker = knobs->values[i].set_by_user ? "*" : "";
        if (!dial_knobs_active(knobs, i)) marker = "(inactive)";
        cli_table_add(&table, (const char *[]){knobs->specs[i].name, value,
                                               knobs->specs[i].default_text, marker});
    }
    cli_table_print(&table, stdout, 2);
    cli_table_free(&table);

    print_learned_importance(ctx, model);

    const dial_tensors *tensors = dial_model_get_tensors(model);
    printf("\nParameters it learned (%zu tensors)\n", tensors->count);
    for (size_t i = 0; i < tensors->count; i++) print_tensor(model, labels, &tensors->items[i]);
}

static json_t *tensor_json(const dial_tensor *t) {
    json_t *shape = json_array();
    for (int d = 0; d < t->ndim; d++)
        json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
    json_t *values = json_array();
    size_t n = dial_tensor_size(t);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(values, t->dtype == DIAL_I64
                                          ? json_integer(((const int64_t *)t->data)[i])
                                          : cli_json_number(tensor_value(t, i)));
    return json_pack("{s:s, s:s, s:o, s:o}", "name", t->name, "dtype",
                     t->dtype == DIAL_I64 ? "int64" : "float64", "shape", shape, "values", values);
}

static json_t *inspect_json(const dial_model *model) {
    const dial_model_facts *facts = dial_model_get_facts(model);
    const dial_knobs *knobs = dial_model_get_knobs(model);
    bool classifier = dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION;
    json_t *classes = classifier ? json_array() : json_null();
    for (size_t i = 0; classifier && i < dial_model_n_classes(model); i++)
        json_array_append_new(classes, json_string(dial_model_class_name(model, i)));
    json_t *features = json_array();
    for (size_t i = 0; i < dial_model_n_features(model); i++) {
        bool categorical = dial_model_feature_type(model, i) == DIAL_COLUMN_CATEGORICAL;
        json_t *levels = categorical ? json_array() : json_null();
        for (size_t l = 0; categorical && l < dial_model_feature_n_levels(model, i); l++)
            json_array_append_new(levels, json_string(dial_model_feature_level(model, i, l)));
        json_array_append_new(
            features, json_pack("{s:s, s:s, s:o}", "name", dial_model_feature_name(model, i),
                                "type", categorical ? "categorical" : "numeric", "levels", levels));
    }
    char when[64], fingerprint[32];
    format_time(facts->fitted_at, when, sizeof when);
    snprintf(fingerprint, sizeof fingerprint, "%016" PRIx64, facts->data_fingerprint);
    json_t *facts_json =
        json_pack("{s:I, s:o, s:I, s:s, s:o, s:s, s:s}", "rows", (json_int_t)facts->n_rows, "seed",
                  cli_json_u64(facts->seed), "fitted_at", (json_int_t)facts->fitted_at,
                  "fitted_at_utc", when, "fit_seconds", cli_json_number(facts->fit_seconds),
                  "data_fingerprint", fingerprint, "dial_version", facts->dial_version);
    json_t *knob_values = json_object(), *set = json_array();
    for (size_t i = 0; i < knobs->n; i++) {
        json_object_set_new(knob_values, knobs->specs[i].name, cli_json_knob_value(knobs, i));
        if (knobs->values[i].set_by_user)
            json_array_append_new(set, json_string(knobs->specs[i].name));
    }
    const dial_tensors *tensors = dial_model_get_tensors(model);
    json_t *tensor_list = json_array();
    for (size_t i = 0; i < tensors->count; i++)
        json_array_append_new(tensor_list, tensor_json(&tensors->items[i]));
    const char *record = dial_model_get_tuning(model);
    json_t *tuning = record ? json_loads(record, 0, NULL) : NULL;
    json_t *root = json_pack("{s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "model",
                             dial_model_get_family(model)->name, "task",
                             dial_task_name(dial_model_get_task(model)), "target",
                             dial_model_target_name(model), "classes", classes, "features",
                             features, "facts", facts_json, "knobs", knob_values, "knobs_set", set,
                             "tuning", tuning ? tuning : json_null(), "tensors", tensor_list);
    /* Only for a retrained model, as the file has it. */
    const char *retrained = dial_model_get_retrained_from(model);
    json_t *retrain_record = retrained ? json_loads(retrained, 0, NULL) : NULL;
    if (root && retrain_record) json_object_set_new(root, "retrained_from", retrain_record);
    return root;
}

int cli_cmd_inspect(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&inspect_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    dial_ctx *ctx = cli_context(&opts);
    dial_model *model = NULL;
    dial_status result = dial_model_load(ctx, opts.positional[0], &model);
    if (result != DIAL_OK) {
        status = cli_fail(ctx, result);
    } else if (opts.tree && opts.json) {
        status = cli_error(CLI_EXIT_USAGE, "--tree prints rules as text; leave out --json (the "
                                           "JSON holds the node tensors)");
    } else if (opts.tree) {
        status = cli_print_tree_rules(ctx, model, opts.tree_index, stdout);
        if (status == CLI_EXIT_OK && !cli_close_output(stdout, "-")) status = CLI_EXIT_FAILURE;
    } else if (opts.json) {
        cli_json_print(inspect_json(model), stdout, 17);
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    } else {
        tensor_labels labels = {.model = model, .inputs = input_names(model)};
        labels.n_features = dial_model_n_features(model);
        labels.n_classes = dial_model_n_classes(model);
        const char **features = cli_alloc(labels.n_features, sizeof *features);
        const char **classes = cli_alloc(labels.n_classes, sizeof *classes);
        for (size_t i = 0; i < labels.n_features; i++)
            features[i] = dial_model_feature_name(model, i);
        for (size_t i = 0; i < labels.n_classes; i++) classes[i] = dial_model_class_name(model, i);
        labels.features = features;
        labels.classes = classes;
        print_inspect_text(ctx, cli_display_path(opts.positional[0]), model, &labels);
        free(features);
        free(classes);
        free_names(&labels.inputs);
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    dial_model_free(model);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}

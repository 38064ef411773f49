/*
 * A fitted model: the whole pipeline from raw columns to predictions.
 *
 * dial_model_fit copies everything it needs out of the caller's dataset (the
 * feature schema, class labels, knobs), so a model outlives the data it was
 * fitted on and is what the model file saves. Families only ever see the
 * dense, preprocessed design matrix.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/ctx_families.h"
#include "core/text.h"
#include "models/model_internal.h"

/* The column the target held in the training table, kept as a tensor so a
 * model file carries it: a headerless input that includes the target is
 * bound by position around it. */
#define MODEL_TARGET_COLUMN "schema.target_column"

/* Room for a list of names in a message; the context keeps 1 KiB. */
#define MODEL_NAME_LIST_MAX 640

/* ---- the registry's look-up with words -------------------------------------- */

/* Appends ", name" (or "name" first); when out of room ends the list with
 * "..." and marks it full by setting *used to size. */
static void list_append(char *buf, size_t size, size_t *used, const char *name) {
    if (*used >= size) return;
    if (*used + strlen(name) + 7 >= size) {
        snprintf(buf + *used, size - *used, "%s...", *used ? ", " : "");
        *used = size;
        return;
    }
    *used += (size_t)snprintf(buf + *used, size - *used, "%s%s", *used ? ", " : "", name);
}

dial_status dial_model_family_lookup(dial_ctx *ctx, const char *name,
                                     const dial_model_family **out) {
    *out = dial_model_family_find_in(ctx, name);
    if (*out) return DIAL_OK;
    /* The built-in families, then those registered on ctx. */
    size_t n_builtin = dial_model_family_count(), n_registered = 0;
    const dial_model_family *const *registered = dial_ctx_families(ctx, &n_registered);
    const char *names[64];
    char list[MODEL_NAME_LIST_MAX] = "";
    size_t used = 0, n_names = 0;
    for (size_t i = 0; i < n_builtin + n_registered; i++) {
        const char *family_name =
            i < n_builtin ? dial_model_family_at(i)->name : registered[i - n_builtin]->name;
        if (n_names < sizeof names / sizeof names[0]) names[n_names++] = family_name;
        list_append(list, sizeof list, &used, family_name);
    }
    const char *closest = dial_closest_name(name, names, n_names);
    if (closest)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "unknown model '%s'; did you mean '%s'? models are: %s", name, closest,
                         list);
    return dial_fail(ctx, DIAL_ERR_ARGUMENT, "unknown model '%s'; models are: %s", name, list);
}

dial_status dial_model_knobs_init(dial_ctx *ctx, const dial_model_family *family,
                                  dial_knobs *knobs) {
    return dial_knobs_init(ctx, family->name, family->knobs, family->n_knobs, knobs);
}

/* ---- life cycle ---------------------------------------------------------------- */

dial_model *dial_model_alloc(const dial_ctx *ctx) {
    return dial_calloc(ctx, 1, sizeof(dial_model));
}

static void free_strings(char **strings, size_t n) {
    if (!strings) return;
    for (size_t i = 0; i < n; i++) free(strings[i]);
    free(strings);
}

void dial_model_free(dial_model *model) {
    if (!model) return;
    dial_knobs_free(&model->knobs);
    free_strings(model->class_names, model->n_classes);
    free(model->target_name);
    if (model->features)
        for (size_t j = 0; j < model->n_features; j++) {
            free(model->features[j].name);
            free_strings(model->features[j].levels, model->features[j].n_levels);
        }
    free(model->features);
    dial_tensors_clear(&model->tensors);
    free(model->tuning_json);
    free(model->retrained_from_json);
    free(model->drift_reference_json);
    free(model);
}

/* ---- fitting ---------------------------------------------------------------------- */

static dial_status copy_strings(dial_ctx *ctx, char *const *from, size_t n, char ***to) {
    *to = dial_calloc(ctx, n ? n : 1, sizeof **to);
    if (!*to) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory copying names");
    for (size_t i = 0; i < n; i++) {
        (*to)[i] = dial_strdup(ctx, from[i] ? from[i] : "");
        if (!(*to)[i]) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory copying names");
    }
    return DIAL_OK;
}

/* Copies the schema of the training data: the model must not point into
 * the caller's table, which may be freed right after the fit. */
static dial_status copy_schema(dial_ctx *ctx, const dial_dataset *data, dial_model *model) {
    model->task = dial_model_fit_task(model->family, data);
    model->n_classes = dial_model_fit_n_classes(model->family, data);
    /* A model without a target keeps none, even when the data had one
     * (an unsupervised family never sees it). */
    bool has_target = dial_task_needs_target(model->task);
    dial_status status = DIAL_OK;
    if (model->n_classes)
        status = copy_strings(ctx, data->class_names, data->n_classes, &model->class_names);
    if (status != DIAL_OK) return status;
    model->target_name = dial_strdup(ctx, has_target && data->target_name ? data->target_name : "");
    model->features =
        dial_calloc(ctx, data->n_features ? data->n_features : 1, sizeof *model->features);
    if (!model->target_name || !model->features)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory copying the feature schema");
    model->n_features = data->n_features;
    model->sparse = data->sparse != NULL;
    for (size_t j = 0; j < data->n_features; j++) {
        const dial_column *col = data->features[j];
        dial_feature *feature = &model->features[j];
        feature->type = col->type;
        feature->name = dial_strdup(ctx, col->name ? col->name : "");
        if (!feature->name)
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory copying the feature schema");
        if (col->type == DIAL_COLUMN_CATEGORICAL) {
            status = copy_strings(ctx, col->levels, col->n_levels, &feature->levels);
            if (status != DIAL_OK) return status;
            feature->n_levels = col->n_levels;
        }
    }
    model->n_inputs = dial_preprocess_n_inputs(model->features, model->n_features);
    size_t shape[1] = {1};
    int64_t *target_column = NULL;
    status = dial_tensors_add(ctx, &model->tensors, MODEL_TARGET_COLUMN, DIAL_I64, 0, shape,
                              (void **)&target_column);
    if (status == DIAL_OK) *target_column = has_target ? data->target_index : -1;
    return status;
}

static double seconds_now(void) {
    struct timespec t;
    if (clock_gettime(CLOCK_MONOTONIC, &t) != 0) return 0;
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static dial_status check_fit_arguments(dial_ctx *ctx, const dial_model_family *family,
                                       const dial_knobs *knobs, const dial_view *train) {
    if (!family || !knobs || !train || !train->data)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_model_fit needs a family, knobs and rows");
    if (knobs->specs != family->knobs)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "the knobs given are those of %s, not of model '%s'",
                         knobs->model_name ? knobs->model_name : "another model", family->name);
    dial_status status = dial_knobs_check(ctx, knobs);
    if (status != DIAL_OK) return status;
    const dial_dataset *data = train->data;
    dial_task task = dial_model_fit_task(family, data);
    /* An unsupervised family needs no target; any other needs one of a
     * task with a target. */
    if (!family->unsupervised && (!data->y || !dial_task_needs_target(task)))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "the training data has no target");
    if (!(family->tasks & DIAL_TASK_BIT(task)))
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "model '%s' does not do %s", family->name,
                         dial_task_name(task));
    if (train->n == 0) return dial_fail(ctx, DIAL_ERR_DATA, "there are no training rows");
    for (size_t i = 0; train->rows && i < train->n; i++)
        if (train->rows[i] >= data->n_rows)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT, "training row %zu is out of range (%zu rows)",
                             train->rows[i], data->n_rows);
    return DIAL_OK;
}

/* Prepares the training rows as every fit does (models/model_inputs.h)
 * and runs the family's estimator. */
static dial_status fit_pipeline(dial_ctx *ctx, dial_model *model, const dial_view *train) {
    dial_model_inputs inputs;
    dial_status status = dial_model_inputs_fit(ctx, model->family, &model->knobs, model->features,
                                               model->n_features, train, &model->tensors, &inputs);
    if (status != DIAL_OK) return status;
    status = model->family->fit(ctx, &model->knobs, &inputs.in, &model->tensors);
    dial_model_inputs_free(&inputs);
    return status;
}

dial_status dial_model_fit(dial_ctx *ctx, const dial_model_family *family, const dial_knobs *knobs,
                           const dial_view *train, dial_model **out) {
    *out = NULL;
    dial_status status = check_fit_arguments(ctx, family, knobs, train);
    if (status != DIAL_OK) return status;
    double start = seconds_now();
    dial_model *model = dial_model_alloc(ctx);
    if (!model) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the model");
    model->family = family;
    status = dial_knobs_copy(ctx, knobs, &model->knobs);
    /* The caller's name string may not outlive the model; the family's does. */
    model->knobs.model_name = family->name;
    if (status == DIAL_OK) status = copy_schema(ctx, train->data, model);
    if (status == DIAL_OK) status = fit_pipeline(ctx, model, train);
    if (status != DIAL_OK) {
        dial_model_free(model);
        return status;
    }
    model->facts.n_rows = train->n;
    model->facts.seed = dial_ctx_seed(ctx);
    model->facts.fitted_at = (int64_t)time(NULL);
    model->facts.fit_seconds = seconds_now() - start;
    model->facts.data_fingerprint = dial_view_fingerprint(train);
    snprintf(model->facts.dial_version, sizeof model->facts.dial_version, "%s",
             DIAL_VERSION_STRING);
    *out = model;
    return DIAL_OK;
}

/* ---- predicting --------------------------------------------------------------------- */

static dial_status check_feature_count(dial_ctx *ctx, const dial_model *model,
                                       const dial_view *rows) {
    if (rows->data->n_features == model->n_features) return DIAL_OK;
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "the data has %zu features but the model needs %zu; match the columns "
                     "with dial_model_bind",
                     rows->data->n_features, model->n_features);
}

/* The design matrix of rows (n_rows x n_inputs), as fit saw its own. */
static dial_status design_matrix(dial_ctx *ctx, const dial_model *model, const dial_view *rows,
                                 double **x, size_t *unseen) {
    bool keep_missing = dial_model_impute(model->family, &model->knobs) == DIAL_IMPUTE_KEEP;
    return dial_preprocess_transform_missing(ctx, model->features, model->n_features,
                                             &model->tensors, rows, keep_missing, x, unseen);
}

dial_status dial_model_transform(dial_ctx *ctx, const dial_model *model, const dial_view *rows,
                                 double **x) {
    *x = NULL;
    if (!model || !rows || !rows->data)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_model_transform needs a model and rows");
    dial_status status = check_feature_count(ctx, model, rows);
    if (status != DIAL_OK || rows->n == 0) return status;
    size_t unseen = 0;
    return design_matrix(ctx, model, rows, x, &unseen);
}

/* Sparse rows, as a fit sees them (models/model_inputs.h): compressed for
 * a family that takes them, else made dense within the cap. */
static dial_status predict_sparse(dial_ctx *ctx, const dial_model *model, const dial_view *rows,
                                  double *value, double *proba) {
    dial_model_inputs inputs;
    dial_status status = dial_model_inputs_transform(
        ctx, model->family, &model->knobs, model->features, model->n_features, &model->tensors,
        rows, model->task, model->n_classes, &inputs, NULL);
    if (status != DIAL_OK) return status;
    /* As at predict on dense rows: the family is not told of one-hot
     * blocks (sparse data has none). */
    inputs.in.onehot = NULL;
    inputs.in.n_onehot = 0;
    dial_predict_output out = {.value = value, .proba = proba};
    status = model->family->predict(ctx, &model->knobs, &model->tensors, &inputs.in, &out);
    dial_model_inputs_free(&inputs);
    return status;
}

dial_status dial_model_predict(dial_ctx *ctx, const dial_model *model, const dial_view *rows,
                               double *value, double *proba) {
    if (!model || !rows || !rows->data || !value)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "dial_model_predict needs a model, rows and value");
    const dial_model_family *family = model->family;
    bool cluster_proba = model->task == DIAL_TASK_CLUSTERING && family->cluster_proba_knob;
    if (proba && model->task != DIAL_TASK_CLASSIFICATION && !cluster_proba)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "model '%s' does %s: it has no class probabilities", family->name,
                         dial_task_name(model->task));
    if (proba && !family->has_proba && !cluster_proba)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "model '%s' does not predict class probabilities", family->name);
    dial_status status = check_feature_count(ctx, model, rows);
    if (status != DIAL_OK) return status;
    if (rows->n == 0) return DIAL_OK;
    if (rows->data->sparse) return predict_sparse(ctx, model, rows, value, proba);
    double *x = NULL;
    size_t unseen = 0;
    status = design_matrix(ctx, model, rows, &x, &unseen);
    if (status != DIAL_OK) return status;
    if (unseen == 1)
        dial_log(ctx, DIAL_LOG_WARN,
                 "1 value of a categorical feature was a level unseen in training; encoded as all "
                 "zeros");
    else if (unseen > 1)
        dial_log(ctx, DIAL_LOG_WARN,
                 "%zu values of categorical features were levels unseen in training; encoded as "
                 "all zeros",
                 unseen);
    dial_fit_input in = {.x = x,
                         .n_rows = rows->n,
                         .n_features = model->n_inputs,
                         .y = NULL,
                         .task = model->task,
                         .n_classes = model->n_classes};
    dial_predict_output out = {.value = value, .proba = proba};
    status = family->predict(ctx, &model->knobs, &model->tensors, &in, &out);
    free(x);
    return status;
}

dial_status dial_model_log_likelihood(dial_ctx *ctx, const dial_model *model, const dial_view *rows,
                                      double *log_likelihood, size_t *n_parameters) {
    if (!model || !rows || !rows->data || !log_likelihood || !n_parameters)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "dial_model_log_likelihood needs a model, rows and room for the values");
    const dial_model_family *family = model->family;
    if (!family->log_likelihood)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "model '%s' has no likelihood: bic and aic score a gmm", family->name);
    double *x = NULL;
    dial_status status = dial_model_transform(ctx, model, rows, &x);
    if (status != DIAL_OK) return status;
    dial_fit_input in = {.x = x,
                         .n_rows = rows->n,
                         .n_features = model->n_inputs,
                         .task = model->task,
                         .n_classes = model->n_classes};
    status = family->log_likelihood(ctx, &model->knobs, &model->tensors, &in, log_likelihood,
                                    n_parameters);
    free(x);
    return status;
}

/* ---- binding new data ------------------------------------------------------------------- */

static void feature_list(const dial_model *model, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t j = 0; j < model->n_features; j++)
        list_append(buf, size, &used, model->features[j].name);
}

/* Picks the table column of each model feature. */
static dial_status bind_columns(dial_ctx *ctx, const dial_model *model, const dial_table *table,
                                const dial_column **features) {
    size_t n = model->n_features;
    if (table->has_header) {
        for (size_t j = 0; j < n; j++) {
            const dial_column *found = NULL;
            for (size_t c = 0; c < table->n_cols && !found; c++)
                if (table->cols[c].name &&
                    strcmp(table->cols[c].name, model->features[j].name) == 0)
                    found = &table->cols[c];
            if (!found) {
                char list[MODEL_NAME_LIST_MAX];
                feature_list(model, list, sizeof list);
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "column '%s' is missing from the input (the model needs: %s)",
                                 model->features[j].name, list);
            }
            features[j] = found;
        }
        return DIAL_OK;
    }
    /* No header: only the column count can tell which column is which. */
    if (table->n_cols == n) {
        for (size_t j = 0; j < n; j++) features[j] = &table->cols[j];
        return DIAL_OK;
    }
    if (table->n_cols == n + 1) {
        size_t skip = dial_model_target_column(model);
        for (size_t j = 0; j < n; j++) features[j] = &table->cols[j < skip ? j : j + 1];
        return DIAL_OK;
    }
    return dial_fail(ctx, DIAL_ERR_DATA,
                     "the input has no header and %zu column%s; the model needs %zu (its "
                     "features) or %zu (with the target '%s' as column %zu)",
                     table->n_cols, table->n_cols == 1 ? "" : "s", n, n + 1, model->target_name,
                     dial_model_target_column(model) + 1);
}

/* A model fitted on sparse data takes a LIBSVM file with any indices, as
 * liblinear-predict does: feature j is the file's index j + 1, an index the
 * model never saw is ignored, one the file lacks is 0 (a NULL feature). */
static dial_status bind_sparse(dial_ctx *ctx, const dial_model *model, const dial_table *table,
                               const dial_column **features) {
    if (!table->sparse)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "the model was fitted on sparse data (a LIBSVM file, %zu features) and "
                         "predicts from one: give the rows in LIBSVM format",
                         model->n_features);
    for (size_t j = 0; j < model->n_features; j++)
        features[j] = j + 1 < table->n_cols ? &table->cols[j + 1] : NULL;
    return DIAL_OK;
}

static dial_status check_bound_types(dial_ctx *ctx, const dial_model *model,
                                     const dial_dataset *data) {
    const dial_csr *sparse = data->sparse;
    for (size_t i = 0; sparse && i < sparse->n_rows; i++)
        for (size_t k = sparse->row_start[i]; k < sparse->row_start[i + 1]; k++)
            if (!isfinite(sparse->value[k]))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "feature 'f%u' has a non-finite value (%g) on row %zu: sparse "
                                 "data takes finite numbers only",
                                 (unsigned)sparse->col[k] + 1, sparse->value[k], i + 1);
    for (size_t j = 0; j < model->n_features; j++) {
        const dial_column *col = data->features[j];
        /* A sparse feature's values were checked with the dataset's. */
        if (!col || !col->values || model->features[j].type == DIAL_COLUMN_CATEGORICAL) continue;
        if (col->type == DIAL_COLUMN_CATEGORICAL)
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "column '%s' is categorical (text) in the input but numeric in the "
                             "model",
                             model->features[j].name);
        for (size_t i = 0; i < data->n_rows; i++)
            if (isinf(col->values[i]))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "feature '%s' has an infinite value on row %zu",
                                 model->features[j].name, i + 1);
    }
    return DIAL_OK;
}

dial_status dial_model_bind(dial_ctx *ctx, const dial_model *model, const dial_table *table,
                            dial_dataset **out) {
    *out = NULL;
    if (!model || !table)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_model_bind needs a model and a table");
    dial_dataset *data = dial_calloc(ctx, 1, sizeof *data);
    if (data)
        data->features =
            dial_malloc(ctx, (model->n_features ? model->n_features : 1) * sizeof *data->features);
    if (!data || !data->features) {
        free(data);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory binding the input");
    }
    data->table = table;
    data->n_rows = table->n_rows;
    data->n_features = model->n_features;
    data->target_index = -1;
    data->task = DIAL_TASK_AUTO;
    data->sparse = table->sparse;
    dial_status status =
        model->sparse && dial_preprocess_bind_by_index(model->features, model->n_features, table)
            ? bind_sparse(ctx, model, table, data->features)
            : bind_columns(ctx, model, table, data->features);
    if (status == DIAL_OK) status = check_bound_types(ctx, model, data);
    if (status != DIAL_OK) {
        dial_dataset_free(data);
        return status;
    }
    *out = data;
    return DIAL_OK;
}

/* ---- getters ------------------------------------------------------------------------------ */

const dial_model_family *dial_model_get_family(const dial_model *model) { return model->family; }
const dial_knobs *dial_model_get_knobs(const dial_model *model) { return &model->knobs; }
const dial_tensors *dial_model_get_tensors(const dial_model *model) { return &model->tensors; }
const dial_model_facts *dial_model_get_facts(const dial_model *model) { return &model->facts; }
const char *dial_model_get_tuning(const dial_model *model) { return model->tuning_json; }
bool dial_model_takes_sparse(const dial_model *model) { return model->sparse; }

dial_status dial_model_set_tuning(dial_ctx *ctx, dial_model *model, const char *json_text) {
    char *copy = NULL;
    if (json_text && !(copy = dial_strdup(ctx, json_text)))
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the tuning record");
    free(model->tuning_json);
    model->tuning_json = copy;
    return DIAL_OK;
}
const char *dial_model_get_retrained_from(const dial_model *model) {
    return model->retrained_from_json;
}

dial_status dial_model_set_retrained_from(dial_ctx *ctx, dial_model *model, const char *json_text) {
    char *copy = NULL;
    if (json_text && !(copy = dial_strdup(ctx, json_text)))
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the retrained_from record");
    free(model->retrained_from_json);
    model->retrained_from_json = copy;
    return DIAL_OK;
}
dial_task dial_model_get_task(const dial_model *model) { return model->task; }
size_t dial_model_n_classes(const dial_model *model) { return model->n_classes; }

size_t dial_model_n_proba(const dial_model *model) {
    const dial_model_family *family = model->family;
    if (model->task == DIAL_TASK_CLASSIFICATION) return family->has_proba ? model->n_classes : 0;
    if (model->task != DIAL_TASK_CLUSTERING || !family->cluster_proba_knob) return 0;
    return (size_t)dial_knobs_int(&model->knobs, family->cluster_proba_knob);
}

const char *dial_model_class_name(const dial_model *model, size_t i) {
    return i < model->n_classes && model->class_names ? model->class_names[i] : NULL;
}

const char *dial_model_target_name(const dial_model *model) { return model->target_name; }
size_t dial_model_n_features(const dial_model *model) { return model->n_features; }

const char *dial_model_feature_name(const dial_model *model, size_t i) {
    return i < model->n_features ? model->features[i].name : NULL;
}

dial_column_type dial_model_feature_type(const dial_model *model, size_t i) {
    return i < model->n_features ? model->features[i].type : DIAL_COLUMN_NUMERIC;
}

size_t dial_model_feature_n_levels(const dial_model *model, size_t i) {
    return i < model->n_features ? model->features[i].n_levels : 0;
}

const char *dial_model_feature_level(const dial_model *model, size_t i, size_t level) {
    if (i >= model->n_features || level >= model->features[i].n_levels) return NULL;
    return model->features[i].levels[level];
}

size_t dial_model_n_inputs(const dial_model *model) { return model->n_inputs; }

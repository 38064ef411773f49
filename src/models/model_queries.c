/*
 * Questions a program asks a fitted model whose answer lies in its learned
 * tensors: which column of the training table held the target, how
 * important each feature was to the fit, and what each tensor means. The
 * tensor names and layouts are the models layer's to know; the CLI and a C
 * program ask these functions instead of reading "schema.target_column",
 * "importance" or "preprocess.*" themselves.
 *
 * Only the public accessors of dial/model.h are used, so this file needs
 * nothing of the model's layout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/model.h"

/* Kept by dial_model_fit (models/model.c) beside the preprocessing's. */
#define TARGET_COLUMN_TENSOR "schema.target_column"

/* The tensors in which a family keeps the importance of each input
 * (n_inputs doubles), in the order they are looked for: tree and forest
 * learn an impurity importance, gbdt the share of the total gain. A family
 * that learns one names it so and the query finds it. */
static const char *const importance_tensors[] = {"importance", "importance_gain"};

size_t dial_model_target_column(const dial_model *model) {
    size_t n_features = dial_model_n_features(model);
    const dial_tensor *t = dial_tensors_find(dial_model_get_tensors(model), TARGET_COLUMN_TENSOR);
    if (t && t->dtype == DIAL_I64 && dial_tensor_size(t) == 1) {
        int64_t k = *(const int64_t *)t->data;
        if (k >= 0 && (uint64_t)k <= n_features) return (size_t)k;
    }
    /* A model file from before the record: a target named "V<k>" was
     * column k of a file without a header. */
    const char *name = dial_model_target_name(model);
    if (name && name[0] == 'V' && name[1] >= '1' && name[1] <= '9') {
        char *end = NULL;
        unsigned long k = strtoul(name + 1, &end, 10);
        if (*end == '\0' && k >= 1 && k <= n_features + 1) return (size_t)k - 1;
    }
    return n_features;
}

static const dial_tensor *importance_tensor(const dial_model *model) {
    const dial_tensors *tensors = dial_model_get_tensors(model);
    for (size_t i = 0; i < sizeof importance_tensors / sizeof importance_tensors[0]; i++) {
        const dial_tensor *t = dial_tensors_find(tensors, importance_tensors[i]);
        if (t) return t;
    }
    return NULL;
}

/* How many columns of the design matrix feature j becomes. */
static size_t input_width(const dial_model *model, size_t j) {
    return dial_model_feature_type(model, j) == DIAL_COLUMN_CATEGORICAL
               ? dial_model_feature_n_levels(model, j)
               : 1;
}

bool dial_model_input_feature(const dial_model *model, size_t input, size_t *feature,
                              size_t *level) {
    if (input >= dial_model_n_inputs(model)) return false;
    size_t j = input;
    for (size_t i = 0; i < dial_model_n_features(model); i++) {
        size_t width = input_width(model, i);
        if (j < width) {
            *feature = i;
            *level = dial_model_feature_type(model, i) == DIAL_COLUMN_CATEGORICAL ? j : SIZE_MAX;
            return true;
        }
        j -= width;
    }
    return false;
}

bool dial_model_has_feature_importance(const dial_model *model) {
    return importance_tensor(model) != NULL;
}

dial_status dial_model_feature_importance(dial_ctx *ctx, const dial_model *model, double *out) {
    const dial_tensor *t = importance_tensor(model);
    const char *family = dial_model_get_family(model)->name;
    if (!t)
        return dial_fail(
            ctx, DIAL_ERR_UNSUPPORTED,
            "model '%s' learns no feature importance; "
            "permutation importance (dial_importance_permutation) measures one for any model",
            family);
    size_t n_inputs = dial_model_n_inputs(model), n_features = dial_model_n_features(model);
    if (t->dtype != DIAL_F64 || dial_tensor_size(t) != n_inputs)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "model '%s': tensor '%s' holds %zu values, not one per input (%zu)",
                         family, t->name, dial_tensor_size(t), n_inputs);
    /* The design matrix has the raw features in order, a categorical one
     * as one column per level; the widths are checked before anything is
     * written, so out is left alone on failure. */
    size_t used = 0;
    for (size_t j = 0; j < n_features; j++) used += input_width(model, j);
    if (used != n_inputs)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "model '%s': its features use %zu inputs, its tensor '%s' has %zu", family,
                         used, t->name, n_inputs);
    const double *values = t->data;
    size_t input = 0;
    for (size_t j = 0; j < n_features; j++) {
        size_t width = input_width(model, j);
        double sum = 0;
        for (size_t k = 0; k < width; k++) sum += values[input + k];
        out[j] = sum;
        input += width;
    }
    return DIAL_OK;
}

/* What every model learns besides its family's tensors (models/model.c
 * and data/preprocess.c make them; `dial knobs` lists them). */
static const dial_param_doc pipeline_params[] = {
    {"preprocess.fill", "n_features",
     "the value that replaces a missing feature (a mean, median or most frequent value; "
     "absent when impute=none)"},
    {"preprocess.center", "n_inputs",
     "what the scaler subtracts: the mean (scale=standard) or the minimum (scale=minmax); "
     "absent when scale=none"},
    {"preprocess.scale", "n_inputs",
     "what the scaler divides by: the standard deviation (standard) or the range (minmax)"},
};

const dial_param_doc *dial_pipeline_params(size_t *count) {
    *count = sizeof pipeline_params / sizeof pipeline_params[0];
    return pipeline_params;
}

/* The doc of tensor name: the pipeline's (*pipeline set), else the
 * family's, else NULL. */
static const dial_param_doc *param_doc(const dial_model *model, const char *name, bool *pipeline) {
    *pipeline = true;
    for (size_t i = 0; i < sizeof pipeline_params / sizeof pipeline_params[0]; i++)
        if (strcmp(pipeline_params[i].name, name) == 0) return &pipeline_params[i];
    *pipeline = false;
    const dial_model_family *family = dial_model_get_family(model);
    for (size_t i = 0; family->params && i < family->n_params; i++)
        if (strcmp(family->params[i].name, name) == 0) return &family->params[i];
    return NULL;
}

/* The size name of dimension dim in a doc's shape, "n_classes x n_inputs
 * (1 x n_inputs for two classes)" giving "n_classes" and "n_inputs": the
 * shape split at " x " outside parentheses, each part's trailing
 * parentheticals and ", int64" dropped. False when the part is anything
 * else (an expression such as "n_classes (n_classes - 1) / 2", or
 * "n_estimators + 1"), or dim is beyond the parts. */
static bool shape_dimension(const char *shape, int dim, char *name, size_t size) {
    const char *part = shape;
    for (int d = 0; d < dim; d++) {
        int depth = 0;
        const char *p = part;
        for (; *p; p++) {
            depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
            if (depth == 0 && strncmp(p, " x ", 3) == 0) break;
        }
        if (!*p) return false;
        part = p + 3;
    }
    size_t length = strspn(part, "abcdefghijklmnopqrstuvwxyz_");
    if (length == 0 || length >= size) return false;
    /* what follows the name: parentheticals, ", int64", then the end or
     * the next dimension */
    const char *rest = part + length;
    for (;;) {
        if (*rest == '\0' || strncmp(rest, " x ", 3) == 0) break;
        if (strncmp(rest, ", int64", 7) == 0) {
            rest += 7;
        } else if (strncmp(rest, " (", 2) == 0) {
            const char *close = strchr(rest, ')');
            if (!close) return false;
            rest = close + 1;
        } else {
            return false;
        }
    }
    memcpy(name, part, length);
    name[length] = '\0';
    return true;
}

dial_tensor_axis dial_model_tensor_axis(const dial_model *model, const char *name, int dim) {
    const dial_tensor *t = dial_tensors_find(dial_model_get_tensors(model), name);
    if (!t || dim < 0 || dim >= t->ndim) return DIAL_AXIS_NONE;
    size_t n = t->shape[dim], n_inputs = dial_model_n_inputs(model);
    size_t n_features = dial_model_n_features(model);
    size_t n_classes =
        dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION ? dial_model_n_classes(model) : 0;
    bool pipeline;
    const dial_param_doc *doc = param_doc(model, name, &pipeline);
    if (!doc) {
        /* no doc of its own (knn's rows, mlp's layer<l>.*): the length
         * tells, as well as it can */
        if (n == n_inputs) return DIAL_AXIS_INPUTS;
        if (n_classes && n == n_classes) return DIAL_AXIS_CLASSES;
        if (n_classes == 2 && n == 1) return DIAL_AXIS_SECOND_CLASS;
        return n == n_features ? DIAL_AXIS_FEATURES : DIAL_AXIS_NONE;
    }
    char size_name[32];
    if (!shape_dimension(doc->shape, dim, size_name, sizeof size_name)) return DIAL_AXIS_NONE;
    /* a family sees the design matrix: its "n_features" are the inputs */
    if (strcmp(size_name, "n_inputs") == 0 || (!pipeline && strcmp(size_name, "n_features") == 0))
        return n == n_inputs ? DIAL_AXIS_INPUTS : DIAL_AXIS_NONE;
    if (strcmp(size_name, "n_features") == 0)
        return n == n_features ? DIAL_AXIS_FEATURES : DIAL_AXIS_NONE;
    if (strcmp(size_name, "n_classes") == 0 || strcmp(size_name, "n_scores") == 0) {
        if (n_classes && n == n_classes) return DIAL_AXIS_CLASSES;
        return n_classes == 2 && n == 1 ? DIAL_AXIS_SECOND_CLASS : DIAL_AXIS_NONE;
    }
    return DIAL_AXIS_NONE;
}

/* The knob's choice, or "" for a family without that knob. */
static const char *choice_or_empty(const dial_knobs *knobs, const char *name) {
    return dial_knobs_find(knobs, name) >= 0 ? dial_knobs_choice(knobs, name) : "";
}

size_t dial_model_tensor_doc(const dial_model *model, const char *name, char *buf, size_t size) {
    /* snprintf writes nothing when size is 0, so buf may then be NULL. */
    const dial_knobs *knobs = dial_model_get_knobs(model);
    const char *scale = choice_or_empty(knobs, "scale");
    const char *impute = choice_or_empty(knobs, "impute");
    bool minmax = strcmp(scale, "minmax") == 0;
    int length = 0;
    if (strcmp(name, TARGET_COLUMN_TENSOR) == 0)
        length = snprintf(buf, size, "%s",
                          "where the target was among the training file's columns (0-based), so "
                          "a headerless file that still holds it binds by position");
    else if (strcmp(name, "preprocess.fill") == 0)
        length =
            snprintf(buf, size,
                     "the value that replaces a missing feature: its training %s "
                     "(impute=%s), or its most frequent level for a categorical one",
                     strcmp(impute, "most_frequent") == 0 ? "most frequent value" : impute, impute);
    else if (strcmp(name, "preprocess.center") == 0)
        length = snprintf(buf, size,
                          "the %s the scaler learned, subtracted from each input: "
                          "x' = (x - center) / scale (scale=%s)",
                          minmax ? "minimum" : "mean", scale);
    else if (strcmp(name, "preprocess.scale") == 0)
        length = snprintf(buf, size, "the %s the scaler learned, dividing each input (scale=%s)",
                          minmax ? "range (max - min)" : "standard deviation", scale);
    else {
        const dial_model_family *family = dial_model_get_family(model);
        const char *doc = "";
        for (size_t i = 0; family->params && i < family->n_params; i++)
            if (strcmp(family->params[i].name, name) == 0) {
                doc = family->params[i].doc;
                break;
            }
        length = snprintf(buf, size, "%s", doc);
    }
    return length > 0 ? (size_t)length : 0;
}

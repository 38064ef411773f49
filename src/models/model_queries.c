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

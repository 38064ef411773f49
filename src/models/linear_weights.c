/*
 * The weights of the linear classifiers (logistic, linsvm), checked
 * against the classes and inputs before a prediction reads them.
 */
#include <stdio.h>

#include "models/learned_check.h"
#include "models/linear_weights.h"

/* Writes a tensor's shape as "[3]" or "[2 x 4]". */
static void shape_text(const dial_tensor *t, char *buf, size_t size) {
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < t->ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, d ? " x %zu" : "%zu", t->shape[d]);
    if (used < size) snprintf(buf + used, size - used, "]");
}

/* The tensor called name, checked to be float64 of shape [rows] (ndim 1) or
 * [rows x cols] (ndim 2). */
static dial_status weights_tensor(dial_ctx *ctx, const char *family, const dial_tensors *learned,
                                  const char *name, int ndim, size_t rows, size_t cols,
                                  const double **out) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t) return dial_fail(ctx, DIAL_ERR_FORMAT, "%s model has no tensor '%s'", family, name);
    if (t->dtype != DIAL_F64)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "%s model tensor '%s' is int64; expected float64",
                         family, name);
    if (t->ndim != ndim || t->shape[0] != rows || (ndim == 2 && t->shape[1] != cols) || !t->data) {
        char shape[96], expected[64];
        shape_text(t, shape, sizeof shape);
        if (ndim == 1)
            snprintf(expected, sizeof expected, "[%zu]", rows);
        else
            snprintf(expected, sizeof expected, "[%zu x %zu]", rows, cols);
        return dial_fail(ctx, DIAL_ERR_FORMAT, "%s model tensor '%s' has shape %s; expected %s",
                         family, name, shape, expected);
    }
    *out = t->data;
    return DIAL_OK;
}

dial_status dial_linear_weights(dial_ctx *ctx, const char *family, const dial_tensors *learned,
                                const dial_fit_input *in, const double **coef,
                                const double **intercept, size_t *rows) {
    const dial_tensor *coef_tensor = dial_tensors_find(learned, "coef");
    *rows = in->n_classes == 2 ? 1 : in->n_classes;
    if (in->n_classes < 2)
        *rows = coef_tensor && coef_tensor->ndim >= 1 ? coef_tensor->shape[0] : 1;
    if (*rows == 0) *rows = 1;
    dial_status status =
        weights_tensor(ctx, family, learned, "coef", 2, *rows, in->n_features, coef);
    if (status == DIAL_OK)
        status = weights_tensor(ctx, family, learned, "intercept", 1, *rows, 0, intercept);
    return status;
}

dial_status dial_linear_weights_validate(dial_ctx *ctx, const char *family,
                                         const dial_tensors *learned, const dial_fit_input *in) {
    const double *coef = NULL, *intercept = NULL;
    size_t rows = 0;
    dial_status status = dial_linear_weights(ctx, family, learned, in, &coef, &intercept, &rows);
    static const char *const names[] = {"coef", "intercept"};
    for (size_t k = 0; k < 2 && status == DIAL_OK; k++)
        status = dial_learned_check_finite(ctx, family, dial_tensors_find(learned, names[k]));
    return status;
}

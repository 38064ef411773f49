/*
 * The linear SVM family, linsvm: scikit-learn's LinearSVC, fitted as
 * LIBLINEAR fits it (its -s 1 for loss=squared_hinge, the default, and
 * -s 3 for loss=hinge), one class against the rest. A family of its own
 * rather than a kernel of svm: the kernel SVM's dual has one variable per
 * row and pair of classes and keeps a kernel cache, while this one keeps
 * the weights w themselves, so a pass costs the nonzeros and the fit takes
 * text-sized sparse data (LIBLINEAR's raison d'etre); its knobs (loss, the
 * intercept as a penalised feature, LIBLINEAR's tol) are not svm's either.
 *
 * This file holds the knob table, the fit (sparse rows as they are; dense
 * rows read into compressed rows of their nonzeros first, so one solver
 * serves both), predict (the class of the largest score: an SVM's scores
 * are no probabilities) and the model-file checks. The solver is in
 * linsvm_dual.c, the tuning hooks (warm starts along C) in
 * linsvm_tuning.c.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/family_tuning.h"
#include "models/learned_check.h"
#include "models/linear_weights.h"
#include "models/linsvm.h"

static const char *const linsvm_loss_choices[] = {"squared_hinge", "hinge", NULL};

static const dial_knob_spec linsvm_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "C",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1e-3,
     .search_high = 1e3,
     .log_scale = true,
     .condition = "",
     .doc = "cost of a margin violation: larger C follows the training data more closely "
            "(searched 1e-3..1e3 on a log scale; a linear SVM rarely gains beyond, and its "
            "dual converges slowly at large C)"},
    {.name = "loss",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "squared_hinge",
     .choices = linsvm_loss_choices,
     .condition = "",
     .doc = "squared_hinge (L2-loss, LIBLINEAR's -s 1, LinearSVC's default) or hinge (L1-loss, "
            "-s 3, the standard SVM)"},
    {.name = "fit_intercept",
     .type = DIAL_KNOB_BOOL,
     .default_text = "true",
     .condition = "",
     .doc = "learn an intercept per class score, as LIBLINEAR's -B 1: the weight of a constant "
            "feature 1, penalised like the others"},
    {.name = "tol",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0.1",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .condition = "",
     .doc = "stop when the projected gradients of the dual spread over at most tol "
            "(LIBLINEAR's -e, default 0.1)"},
    {.name = "max_iter",
     .type = DIAL_KNOB_INT,
     .default_text = "1000",
     .lower = 1,
     .upper = INFINITY,
     .condition = "",
     .doc = "most passes over the rows per class score (LIBLINEAR's 1000)"},
};

static const dial_param_doc linsvm_params[] = {
    {"coef", "n_classes x n_inputs (1 x n_inputs for two classes)",
     "weights of each class score (the class against the rest); with two classes one row, the "
     "score of the second class"},
    {"intercept", "n_classes (1 for two classes)",
     "the constant term of each class score (0 without fit_intercept)"},
};

dial_linsvm_settings dial_linsvm_settings_of(const dial_knobs *knobs) {
    return (dial_linsvm_settings){
        .c = dial_knobs_float(knobs, "C"),
        .loss = strcmp(dial_knobs_choice(knobs, "loss"), "hinge") == 0 ? DIAL_LINSVM_HINGE
                                                                       : DIAL_LINSVM_SQUARED_HINGE,
        .fit_intercept = dial_knobs_bool(knobs, "fit_intercept"),
        .tol = dial_knobs_float(knobs, "tol"),
        .max_iter = dial_knobs_int(knobs, "max_iter"),
    };
}

static dial_status linsvm_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                              dial_tensors *learned) {
    size_t rows = in->n_classes == 2 ? 1 : in->n_classes, p = in->n_features;
    if (in->n_classes < 2)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "linsvm needs at least 2 classes in the target, found %zu", in->n_classes);
    if (in->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "linsvm: no training rows to fit on");
    double *coef = NULL, *intercept = NULL;
    size_t coef_shape[2] = {rows, p}, intercept_shape[1] = {rows};
    dial_status status =
        dial_tensors_add(ctx, learned, "coef", DIAL_F64, 2, coef_shape, (void **)&coef);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "intercept", DIAL_F64, 1, intercept_shape,
                                  (void **)&intercept);
    if (status != DIAL_OK) return status;
    dial_csr *dense_rows = NULL;
    if (!in->sparse) {
        status = dial_linsvm_csr_from_dense(ctx, in->x, in->n_rows, p, &dense_rows);
        if (status != DIAL_OK) return status;
    }
    dial_linsvm_settings settings = dial_linsvm_settings_of(knobs);
    status = dial_linsvm_fit_dual(ctx, in->sparse ? in->sparse : dense_rows, in->y, in->n_classes,
                                  &settings, NULL, NULL, coef, intercept);
    dial_csr_free(dense_rows);
    return status;
}

/* ---- predict -------------------------------------------------------------- */

static dial_status linsvm_validate(dial_ctx *ctx, const dial_knobs *knobs,
                                   const dial_tensors *learned, const dial_fit_input *in) {
    (void)knobs;
    return dial_linear_weights_validate(ctx, "linsvm", learned, in);
}

/* Row i's score of weight row r. */
static double linsvm_score(const dial_fit_input *in, size_t i, const double *w, double b) {
    double s = b;
    const dial_csr *x = in->sparse;
    if (x) {
        for (size_t k = x->row_start[i]; k < x->row_start[i + 1]; k++)
            s += w[x->col[k]] * x->value[k];
        return s;
    }
    const double *row = in->x + i * in->n_features;
    for (size_t j = 0; j < in->n_features; j++) s += w[j] * row[j];
    return s;
}

void dial_linsvm_predict_rows(const dial_fit_input *in, const size_t *index, const double *coef,
                              const double *intercept, size_t rows, double *value) {
    size_t p = in->n_features;
    for (size_t i = 0; i < in->n_rows; i++) {
        size_t row = index ? index[i] : i;
        if (rows == 1) {
            value[i] = linsvm_score(in, row, coef, intercept[0]) > 0 ? 1.0 : 0.0;
            continue;
        }
        size_t top = 0;
        double best = -INFINITY;
        for (size_t r = 0; r < rows; r++) {
            double s = linsvm_score(in, row, coef + r * p, intercept[r]);
            if (s > best) {
                best = s;
                top = r;
            }
        }
        value[i] = (double)top;
    }
}

static dial_status linsvm_predict(dial_ctx *ctx, const dial_knobs *knobs,
                                  const dial_tensors *learned, const dial_fit_input *in,
                                  dial_predict_output *out) {
    (void)knobs;
    const double *coef = NULL, *intercept = NULL;
    size_t rows = 0;
    dial_status status = dial_linear_weights(ctx, "linsvm", learned, in, &coef, &intercept, &rows);
    if (status != DIAL_OK) return status;
    if (out->proba)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "linsvm gives no class probabilities (its scores are margins); fit "
                         "logistic for them");
    dial_linsvm_predict_rows(in, NULL, coef, intercept, rows, out->value);
    return DIAL_OK;
}

const dial_model_family dial_model_linsvm = {
    .name = "linsvm",
    .summary = "linear SVM (LIBLINEAR's dual coordinate descent), one class against the rest, "
               "for sparse and dense rows",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION),
    .has_proba = false,
    .knobs = linsvm_knobs,
    .n_knobs = sizeof linsvm_knobs / sizeof linsvm_knobs[0],
    .params = linsvm_params,
    .n_params = sizeof linsvm_params / sizeof linsvm_params[0],
    .nonparametric_doc = NULL,
    .fit = linsvm_fit,
    .predict = linsvm_predict,
    .validate = linsvm_validate,
    .coefficients = "coef",
    .tuning = &dial_linsvm_tuning,
    .sparse_input = true,
};

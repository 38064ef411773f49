/*
 * Linear regression with an elastic-net penalty, as scikit-learn's ElasticNet:
 *
 *   1/(2n) ||y - Xw - b||^2 + alpha l1_ratio ||w||_1 + alpha (1 - l1_ratio) ||w||^2 / 2
 *
 * alpha = 0 is ordinary least squares; l1_ratio = 0 is ridge regression and
 * equals scikit-learn's Ridge with its alpha set to alpha * n (Ridge does not
 * divide the squared error by 2n); l1_ratio = 1 is the lasso.
 *
 * Both solvers work on the centred Gram matrix G = X'X and q = X'y, computed
 * once, so their cost after that does not depend on the number of rows:
 *  - without an L1 part, the normal equations (G + n alpha (1 - l1_ratio) I) w
 *    = q by Cholesky, or by an SVD least-squares solve (the minimum-norm
 *    solution, as scikit-learn's LinearRegression) when G is singular or
 *    badly conditioned;
 *  - with one, cyclic coordinate descent keeping Gw up to date, stopped like
 *    scikit-learn's: when the largest coordinate change is small relative to
 *    the largest coefficient and the duality gap is below tol ||y||^2.
 * The intercept is never penalised: X and y are centred first.
 *
 * Sparse rows (a LIBSVM file, a CSV read sparse) go to
 * src/models/linear_sparse.c, which centres implicitly and forms neither a
 * dense X nor G.
 */
#include <cblas.h>
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/model.h"
#include "models/learned_check.h"
#include "models/linear_sparse.h"

static const dial_knob_spec linear_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "alpha",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = 0,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1e-4,
     .search_high = 1e2,
     .log_scale = true,
     .condition = "",
     .doc = "strength of the penalty, 0 for ordinary least squares (searched 1e-4..1e2 on a log "
            "scale: six decades, as glmnet's default path, lambda.min.ratio 1e-4)"},
    {.name = "l1_ratio",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = 0,
     .upper = 1,
     .has_search_range = true,
     .search_low = 0,
     .search_high = 1,
     .condition = "",
     .doc = "share of the L1 part of the penalty: 0 ridge (scikit-learn's Ridge with alpha * "
            "n_rows), 1 lasso, between elastic net (glmnet's alpha; searched over [0, 1])"},
    {.name = "fit_intercept",
     .type = DIAL_KNOB_BOOL,
     .default_text = "true",
     .condition = "",
     .doc = "learn an unpenalised intercept (X and y are centred before the fit)"},
    {.name = "tol",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1e-4",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .condition = "",
     .doc = "coordinate descent stops when the duality gap is below tol ||y||^2 (scikit-learn's "
            "ElasticNet default 1e-4); on sparse input without an L1 part, conjugate gradients "
            "stop when the normal equations' residual is below tol x 1e-6 of X'y"},
    {.name = "max_iter",
     .type = DIAL_KNOB_INT,
     .default_text = "1000",
     .lower = 1,
     .upper = INFINITY,
     .condition = "",
     .doc = "most coordinate descent sweeps over the features (scikit-learn's ElasticNet default "
            "1000); on sparse input without an L1 part, most conjugate-gradient steps"},
};

static const dial_param_doc linear_params[] = {
    {"coef", "n_inputs", "weight of each design-matrix column (after preprocessing)"},
    {"intercept", "1", "the constant term of the prediction"},
};

/* Rows per BLAS call: few enough that OpenBLAS stays on the calling thread
 * (it threads a dgemv from 9216 multiply-adds, measured on 0.3.21), so a
 * fit never uses more threads than the context allows. */
static size_t linear_block_rows(size_t p) {
    size_t rows = p ? (size_t)9215 / p : 1024;
    if (rows < 1) rows = 1;
    if (rows > 1024) rows = 1024;
    return rows;
}

/* The centred problem: xc = X - mean, yc = y - mean (or copies when there is
 * no intercept), G = xc'xc and q = xc'yc. */
typedef struct linear_problem {
    size_t n, p;
    double *xc, *yc;
    double *x_mean, y_mean;
    double *gram, *q;
    double y_norm2; /* ||yc||^2 */
} linear_problem;

static void linear_problem_free(linear_problem *lp) {
    free(lp->xc);
    free(lp->yc);
    free(lp->x_mean);
    free(lp->gram);
    free(lp->q);
}

static dial_status linear_problem_build(dial_ctx *ctx, const dial_fit_input *in, bool fit_intercept,
                                        linear_problem *lp) {
    size_t n = in->n_rows, p = in->n_features;
    *lp = (linear_problem){.n = n, .p = p};
    lp->xc = dial_malloc(ctx, n * p * sizeof *lp->xc + 1);
    lp->yc = dial_malloc(ctx, n * sizeof *lp->yc);
    lp->x_mean = dial_calloc(ctx, p + 1, sizeof *lp->x_mean);
    lp->gram = dial_calloc(ctx, p * p + 1, sizeof *lp->gram);
    lp->q = dial_calloc(ctx, p + 1, sizeof *lp->q);
    if (!lp->xc || !lp->yc || !lp->x_mean || !lp->gram || !lp->q) {
        linear_problem_free(lp);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory fitting linear on %zu x %zu", n, p);
    }
    if (fit_intercept) {
        double y_sum = 0;
        for (size_t i = 0; i < n; i++) {
            const double *row = in->x + i * p;
            for (size_t j = 0; j < p; j++) lp->x_mean[j] += row[j];
            y_sum += in->y[i];
        }
        for (size_t j = 0; j < p; j++) lp->x_mean[j] /= (double)n;
        lp->y_mean = y_sum / (double)n;
    }
    for (size_t i = 0; i < n; i++) {
        const double *row = in->x + i * p;
        double *out = lp->xc + i * p;
        for (size_t j = 0; j < p; j++) out[j] = row[j] - lp->x_mean[j];
        lp->yc[i] = in->y[i] - lp->y_mean;
    }
    size_t block = linear_block_rows(p);
    for (size_t start = 0; p > 0 && start < n; start += block) {
        size_t rows = n - start < block ? n - start : block;
        const double *xb = lp->xc + start * p;
        double beta = start == 0 ? 0.0 : 1.0;
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)p, (int)rows, 1.0, xb, (int)p, beta,
                    lp->gram, (int)p);
        cblas_dgemv(CblasRowMajor, CblasTrans, (int)rows, (int)p, 1.0, xb, (int)p, lp->yc + start,
                    1, beta, lp->q, 1);
    }
    for (size_t j = 0; j < p; j++)
        for (size_t k = 0; k < j; k++) lp->gram[j * p + k] = lp->gram[k * p + j];
    lp->y_norm2 = cblas_ddot((int)n, lp->yc, 1, lp->yc, 1);
    return DIAL_OK;
}

/* Least squares by SVD (LAPACK dgelsd) on [xc; sqrt(ridge) I] w ~ [yc; 0]:
 * the minimum-norm solution when the columns are dependent. */
static dial_status linear_solve_lstsq(dial_ctx *ctx, const linear_problem *lp, double ridge,
                                      double *w) {
    size_t n = lp->n, p = lp->p, m = ridge > 0 ? n + p : n;
    size_t rhs_rows = m > p ? m : p;
    double *a = dial_calloc(ctx, m * p + 1, sizeof *a);
    double *b = dial_calloc(ctx, rhs_rows + 1, sizeof *b);
    double *sv = dial_calloc(ctx, p + 1, sizeof *sv);
    if (!a || !b || !sv) {
        free(a);
        free(b);
        free(sv);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in the least-squares solve");
    }
    memcpy(a, lp->xc, n * p * sizeof *a);
    memcpy(b, lp->yc, n * sizeof *b);
    for (size_t j = 0; ridge > 0 && j < p; j++) a[(n + j) * p + j] = sqrt(ridge);
    lapack_int rank = 0;
    lapack_int info = LAPACKE_dgelsd(LAPACK_ROW_MAJOR, (lapack_int)m, (lapack_int)p, 1, a,
                                     (lapack_int)p, b, 1, sv, -1.0, &rank);
    if (info == 0) memcpy(w, b, p * sizeof *w);
    free(a);
    free(b);
    free(sv);
    if (info != 0)
        return dial_fail(ctx, DIAL_ERR_NUMERIC,
                         "linear: the least-squares solve did not converge (LAPACK dgelsd info "
                         "%d); check the features for huge or degenerate values",
                         (int)info);
    return DIAL_OK;
}

/* Solves (G + ridge I) w = q: Cholesky when the matrix is well conditioned,
 * otherwise the SVD solve, whose answer does not depend on rounding noise in
 * a near-singular G. */
static dial_status linear_solve_closed_form(dial_ctx *ctx, const linear_problem *lp, double ridge,
                                            double *w) {
    size_t p = lp->p;
    double *a = dial_malloc(ctx, p * p * sizeof *a + 1);
    if (!a) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in the linear solve");
    memcpy(a, lp->gram, p * p * sizeof *a);
    for (size_t j = 0; j < p; j++) a[j * p + j] += ridge;
    double norm = LAPACKE_dlansy(LAPACK_ROW_MAJOR, '1', 'U', (lapack_int)p, a, (lapack_int)p);
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, a, (lapack_int)p);
    double rcond = 0;
    if (info == 0 && norm > 0)
        info = LAPACKE_dpocon(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, a, (lapack_int)p, norm, &rcond);
    /* Below this the Cholesky answer would carry more rounding than signal. */
    if (info == 0 && rcond > 1e-10) {
        memcpy(w, lp->q, p * sizeof *w);
        info = LAPACKE_dpotrs(LAPACK_ROW_MAJOR, 'U', (lapack_int)p, 1, a, (lapack_int)p, w, 1);
        free(a);
        if (info == 0) return DIAL_OK;
    } else {
        free(a);
    }
    return linear_solve_lstsq(ctx, lp, ridge, w);
}

static double linear_soft_threshold(double v, double t) {
    return v > t ? v - t : v < -t ? v + t : 0.0;
}

/* Duality gap of 0.5 ||yc - xc w||^2 + l1 ||w||_1 + 0.5 l2 ||w||^2 from
 * G, q and h = Gw, as scikit-learn's enet_coordinate_descent_gram. */
static double linear_duality_gap(const linear_problem *lp, const double *w, const double *h,
                                 double l1, double l2) {
    size_t p = lp->p;
    double q_dot_w = 0, w_h = 0, w_norm2 = 0, w_l1 = 0, dual_norm = 0;
    for (size_t j = 0; j < p; j++) {
        q_dot_w += w[j] * lp->q[j];
        w_h += w[j] * h[j];
        w_norm2 += w[j] * w[j];
        w_l1 += fabs(w[j]);
        double xta = fabs(lp->q[j] - h[j] - l2 * w[j]);
        if (xta > dual_norm) dual_norm = xta;
    }
    double r_norm2 = lp->y_norm2 + w_h - 2 * q_dot_w;
    if (r_norm2 < 0) r_norm2 = 0;
    double scale = 1, gap;
    if (dual_norm > l1) {
        scale = l1 / dual_norm;
        gap = 0.5 * (r_norm2 + r_norm2 * scale * scale);
    } else {
        gap = r_norm2;
    }
    gap += l1 * w_l1 - scale * (lp->y_norm2 - q_dot_w) + 0.5 * l2 * (1 + scale * scale) * w_norm2;
    return gap;
}

/* Cyclic coordinate descent on the n-scaled objective
 * 0.5 ||yc - xc w||^2 + l1 ||w||_1 + 0.5 l2 ||w||^2. */
static dial_status linear_coordinate_descent(dial_ctx *ctx, const linear_problem *lp, double l1,
                                             double l2, double tol, long max_iter, double *w) {
    size_t p = lp->p;
    double *h = dial_calloc(ctx, p + 1, sizeof *h); /* G w */
    if (!h) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in coordinate descent");
    memset(w, 0, p * sizeof *w);
    double gap_tol = tol * lp->y_norm2, gap = 0;
    bool converged = false;
    for (long sweep = 0; sweep < max_iter && !converged; sweep++) {
        double w_max = 0, change_max = 0;
        for (size_t j = 0; j < p; j++) {
            double g_jj = lp->gram[j * p + j];
            if (g_jj <= 0) continue; /* a constant column keeps weight 0 */
            double old = w[j];
            double rho = lp->q[j] - h[j] + g_jj * old;
            double fresh = linear_soft_threshold(rho, l1) / (g_jj + l2);
            if (fresh != old) {
                cblas_daxpy((int)p, fresh - old, lp->gram + j * p, 1, h, 1);
                w[j] = fresh;
            }
            double change = fabs(fresh - old);
            if (change > change_max) change_max = change;
            if (fabs(fresh) > w_max) w_max = fabs(fresh);
        }
        if (w_max == 0 || change_max / w_max < tol || sweep == max_iter - 1) {
            gap = linear_duality_gap(lp, w, h, l1, l2);
            if (gap < gap_tol) converged = true;
        }
    }
    free(h);
    if (!converged)
        dial_log(ctx, DIAL_LOG_WARN,
                 "linear: coordinate descent stopped at max_iter=%ld before converging (duality "
                 "gap %g, target %g); raise max_iter or tol",
                 max_iter, gap, gap_tol);
    return DIAL_OK;
}

/* The dense fit: w and *intercept from the centred Gram matrix. */
static dial_status linear_fit_dense(dial_ctx *ctx, const dial_fit_input *in,
                                    const dial_linear_settings *settings, double *w,
                                    double *intercept) {
    linear_problem lp;
    dial_status status = linear_problem_build(ctx, in, settings->fit_intercept, &lp);
    if (status != DIAL_OK) return status;
    size_t p = in->n_features, n = in->n_rows;
    double alpha = settings->alpha, l1_ratio = settings->l1_ratio;
    double l1 = (double)n * alpha * l1_ratio, l2 = (double)n * alpha * (1 - l1_ratio);
    if (p == 0)
        status = DIAL_OK;
    else if (alpha == 0 || l1_ratio == 0)
        status = linear_solve_closed_form(ctx, &lp, alpha == 0 ? 0.0 : l2, w);
    else
        status = linear_coordinate_descent(ctx, &lp, l1, l2, settings->tol, settings->max_iter, w);
    if (status == DIAL_OK)
        *intercept =
            settings->fit_intercept ? lp.y_mean - cblas_ddot((int)p, lp.x_mean, 1, w, 1) : 0.0;
    linear_problem_free(&lp);
    return status;
}

static dial_status linear_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                              dial_tensors *learned) {
    if (in->task != DIAL_TASK_REGRESSION)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "model 'linear' does regression only, not %s; use 'logistic' for "
                         "classification",
                         dial_task_name(in->task));
    if (in->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "linear: no training rows to fit on");
    dial_linear_settings settings = {.alpha = dial_knobs_float(knobs, "alpha"),
                                     .l1_ratio = dial_knobs_float(knobs, "l1_ratio"),
                                     .fit_intercept = dial_knobs_bool(knobs, "fit_intercept"),
                                     .tol = dial_knobs_float(knobs, "tol"),
                                     .max_iter = dial_knobs_int(knobs, "max_iter")};
    size_t p = in->n_features;
    double *w = dial_calloc(ctx, p + 1, sizeof *w), b = 0;
    if (!w) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory fitting linear");
    dial_status status = in->sparse ? dial_linear_fit_sparse(ctx, in, &settings, w, &b)
                                    : linear_fit_dense(ctx, in, &settings, w, &b);
    for (size_t j = 0; status == DIAL_OK && j < p; j++)
        if (!isfinite(w[j]))
            status = dial_fail(ctx, DIAL_ERR_NUMERIC,
                               "linear: the fit gave a non-finite coefficient for input %zu; "
                               "scale the features or raise alpha",
                               j + 1);
    double *coef = NULL, *intercept = NULL;
    size_t coef_shape[1] = {p}, intercept_shape[1] = {1};
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "coef", DIAL_F64, 1, coef_shape, (void **)&coef);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "intercept", DIAL_F64, 1, intercept_shape,
                                  (void **)&intercept);
    if (status == DIAL_OK) {
        if (p) memcpy(coef, w, p * sizeof *w);
        intercept[0] = b;
    }
    free(w);
    return status;
}

/* Writes a tensor's shape as "[3]" or "[2 x 4]". */
static void linear_shape_text(const dial_tensor *t, char *buf, size_t size) {
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < t->ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, d ? " x %zu" : "%zu", t->shape[d]);
    if (used < size) snprintf(buf + used, size - used, "]");
}

/* The tensor called name, checked to be a float64 vector of length size:
 * tensors may come from a file, so nothing about them is taken on trust. */
static dial_status linear_tensor(dial_ctx *ctx, const dial_tensors *learned, const char *name,
                                 size_t size, const double **out) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t) return dial_fail(ctx, DIAL_ERR_FORMAT, "linear model has no tensor '%s'", name);
    if (t->dtype != DIAL_F64)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "linear model tensor '%s' is int64; expected float64", name);
    if (t->ndim != 1 || t->shape[0] != size || !t->data) {
        char shape[96];
        linear_shape_text(t, shape, sizeof shape);
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "linear model tensor '%s' has shape %s; expected [%zu]", name, shape,
                         size);
    }
    *out = t->data;
    return DIAL_OK;
}

static dial_status linear_predict(dial_ctx *ctx, const dial_knobs *knobs,
                                  const dial_tensors *learned, const dial_fit_input *in,
                                  dial_predict_output *out) {
    const double *coef = NULL, *intercept = NULL;
    dial_status status = linear_tensor(ctx, learned, "coef", in->n_features, &coef);
    if (status == DIAL_OK) status = linear_tensor(ctx, learned, "intercept", 1, &intercept);
    if (status != DIAL_OK) return status;
    size_t n = in->n_rows, p = in->n_features, block = linear_block_rows(p);
    if (in->sparse) {
        dial_linear_score_sparse(in->sparse, n, coef, p, intercept[0], out->value);
        return DIAL_OK;
    }
    for (size_t i = 0; i < n; i++) out->value[i] = intercept[0];
    for (size_t start = 0; p > 0 && start < n; start += block) {
        size_t rows = n - start < block ? n - start : block;
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)rows, (int)p, 1.0, in->x + start * p, (int)p,
                    coef, 1, 1.0, out->value + start, 1);
    }
    return DIAL_OK;
}

/* A model file's coefficients: the shapes predict checks, and every value
 * finite (a NaN weight would predict NaN for every row). */
static dial_status linear_validate(dial_ctx *ctx, const dial_knobs *knobs,
                                   const dial_tensors *learned, const dial_fit_input *in) {
    (void)knobs;
    const double *coef = NULL, *intercept = NULL;
    dial_status status = linear_tensor(ctx, learned, "coef", in->n_features, &coef);
    if (status == DIAL_OK) status = linear_tensor(ctx, learned, "intercept", 1, &intercept);
    static const char *const names[] = {"coef", "intercept"};
    for (size_t k = 0; k < 2 && status == DIAL_OK; k++)
        status = dial_learned_check_finite(ctx, "linear", dial_tensors_find(learned, names[k]));
    return status;
}

const dial_model_family dial_model_linear = {
    .name = "linear",
    .summary = "linear regression with an elastic-net penalty (least squares, ridge, lasso)",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .has_proba = false,
    .knobs = linear_knobs,
    .n_knobs = sizeof linear_knobs / sizeof linear_knobs[0],
    .params = linear_params,
    .n_params = sizeof linear_params / sizeof linear_params[0],
    .nonparametric_doc = NULL,
    .fit = linear_fit,
    .predict = linear_predict,
    .validate = linear_validate,
    .coefficients = "coef",
    .sparse_input = true,
};

/*
 * Linear regression on sparse rows (models/linear_sparse.h). The objective
 * is linear.c's, scaled by n:
 *
 *   0.5 ||yc - Xc w||^2 + l1 ||w||_1 + 0.5 l2 ||w||^2,
 *   l1 = n alpha l1_ratio,  l2 = n alpha (1 - l1_ratio),
 *
 * Xc = X - 1 m' being the columns centred on their means m and yc = y -
 * mean(y) (m = 0 and yc = y without an intercept). Xc is never formed:
 * centring makes every zero a nonzero. A product with it is the sparse
 * product with X less a rank-one term, Xc v = Xv - (m.v) 1 and Xc'u = X'u
 * - m (1'u), as scikit-learn's ElasticNet and Ridge do on sparse rows.
 *
 * Two solvers, as the dense fit has two, and for the same split:
 *  - without an L1 part (ridge, and least squares at alpha = 0): conjugate
 *    gradients on the normal equations (Xc'Xc + l2 I) w = Xc'yc, a step
 *    costing one product with X and one with X' read from the rows
 *    (scikit-learn's sparse_cg). The dense fit's Cholesky needs the p x p
 *    Gram matrix: 3.2 GB at 20,000 words. Started from zero the iterates
 *    stay in the row space of Xc, so at alpha = 0 with dependent columns
 *    they go to the minimum-norm solution, the dense SVD solve's.
 *  - with one: cyclic coordinate descent over the columns, read from a
 *    compressed-column copy of the rows built once (12 bytes a nonzero:
 *    with the rows themselves, the "twice the nonzeros" the memory goal
 *    allows), keeping the residual up to date so that a sweep costs the
 *    nonzeros; stopped by the dense solver's rule, so tol and max_iter
 *    mean the same on both.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/linear_sparse.h"

/* The centring of the problem: column means, the target's mean and the
 * centred target. */
typedef struct sparse_problem {
    const dial_csr *x; /* rows 0 .. n - 1 are the training rows */
    size_t n, p;
    double *mean; /* p column means (zeros without an intercept) */
    double y_mean;
    double *yc; /* n: y - y_mean */
    double y_norm2;
    double l1, l2, tol;
    long max_iter;
} sparse_problem;

static void sparse_problem_free(sparse_problem *sp) {
    free(sp->mean);
    free(sp->yc);
}

static dial_status sparse_problem_build(dial_ctx *ctx, const dial_fit_input *in,
                                        const dial_linear_settings *settings, sparse_problem *sp) {
    size_t n = in->n_rows, p = in->n_features;
    const dial_csr *x = in->sparse;
    *sp = (sparse_problem){
        .x = x, .n = n, .p = p, .tol = settings->tol, .max_iter = settings->max_iter};
    if (x->n_rows < n || x->n_cols != p)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "linear: the sparse rows are %zu x %zu; the fit expects %zu x %zu",
                         x->n_rows, x->n_cols, n, p);
    if (n > UINT32_MAX)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "linear on sparse input fits at most %u rows, not %zu", UINT32_MAX, n);
    sp->mean = dial_calloc(ctx, p + 1, sizeof *sp->mean);
    sp->yc = dial_malloc_array(ctx, n + 1, sizeof *sp->yc);
    if (!sp->mean || !sp->yc) {
        sparse_problem_free(sp);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory fitting linear on %zu x %zu", n, p);
    }
    if (settings->fit_intercept) {
        double y_sum = 0;
        for (size_t i = 0; i < n; i++) y_sum += in->y[i];
        sp->y_mean = y_sum / (double)n;
        for (size_t e = 0; e < x->row_start[n]; e++) sp->mean[x->col[e]] += x->value[e];
        for (size_t j = 0; j < p; j++) sp->mean[j] /= (double)n;
    }
    for (size_t i = 0; i < n; i++) {
        sp->yc[i] = in->y[i] - sp->y_mean;
        sp->y_norm2 += sp->yc[i] * sp->yc[i];
    }
    double scaled = (double)n * settings->alpha;
    sp->l1 = scaled * settings->l1_ratio;
    sp->l2 = scaled * (1 - settings->l1_ratio);
    return DIAL_OK;
}

static double sparse_dot(const double *a, const double *b, size_t size) {
    double s = 0;
    for (size_t k = 0; k < size; k++) s += a[k] * b[k];
    return s;
}

/* ---- conjugate gradients (no L1 part) ------------------------------------ */

/* out = (Xc'Xc + l2 I) v, through t = Xc v (n values of scratch). */
static void sparse_normal_product(const sparse_problem *sp, const double *v, double *t,
                                  double *out) {
    const dial_csr *x = sp->x;
    double mv = sparse_dot(sp->mean, v, sp->p), t_sum = 0;
    for (size_t i = 0; i < sp->n; i++) {
        double s = 0;
        for (size_t e = x->row_start[i]; e < x->row_start[i + 1]; e++)
            s += x->value[e] * v[x->col[e]];
        t[i] = s - mv;
        t_sum += t[i];
    }
    for (size_t j = 0; j < sp->p; j++) out[j] = sp->l2 * v[j] - sp->mean[j] * t_sum;
    for (size_t i = 0; i < sp->n; i++) {
        double ti = t[i];
        for (size_t e = x->row_start[i]; e < x->row_start[i + 1]; e++)
            out[x->col[e]] += x->value[e] * ti;
    }
}

/* The residual of the normal equations at w, b - A w, into r; its norm. */
static double sparse_true_residual(const sparse_problem *sp, const double *b, const double *w,
                                   double *t, double *r) {
    sparse_normal_product(sp, w, t, r);
    for (size_t j = 0; j < sp->p; j++) r[j] = b[j] - r[j];
    return sqrt(sparse_dot(r, r, sp->p));
}

/* Conjugate gradients from w = 0 until the residual of the normal
 * equations is below tol x 1e-6 of Xc'yc, a relative residual of 1e-10 at
 * the default tol 1e-4. The weights' error grows with the condition of
 * the equations times that residual: on data/text_small.libsvm (counts,
 * the worst case met) 1e-8 left 3e-6 of the largest weight without an
 * intercept, 1e-10 leaves 3e-8 (and 1e-9 with one), against a dense
 * solve; the steps it adds are few, the error falling tenfold every few.
 * The recurrence's residual drifts from the true one in floating point:
 * it is recomputed when it claims convergence, and the iteration restarted
 * from there if the claim was wrong. When a restart does not halve the
 * true residual, rounding allows no better and the iteration stops: said
 * as a warning only when that is above tol itself, relative. */
static dial_status sparse_conjugate_gradients(dial_ctx *ctx, const sparse_problem *sp, double *w) {
    size_t n = sp->n, p = sp->p;
    double *work = dial_malloc_array(ctx, 4 * p + 1, sizeof *work);
    double *t = dial_malloc_array(ctx, n + 1, sizeof *t);
    if (!work || !t) {
        free(work);
        free(t);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in conjugate gradients");
    }
    double *b = work, *r = work + p, *d = work + 2 * p, *q = work + 3 * p;
    /* b = Xc'yc = X'yc (yc sums to 0 with an intercept, and m = 0 without) */
    memset(b, 0, p * sizeof *b);
    for (size_t i = 0; i < n; i++)
        for (size_t e = sp->x->row_start[i]; e < sp->x->row_start[i + 1]; e++)
            b[sp->x->col[e]] += sp->x->value[e] * sp->yc[i];
    double y_sum = 0;
    for (size_t i = 0; i < n; i++) y_sum += sp->yc[i];
    for (size_t j = 0; j < p; j++) b[j] -= sp->mean[j] * y_sum;
    memset(w, 0, p * sizeof *w);
    double b_norm = sqrt(sparse_dot(b, b, p));
    double target = sp->tol * 1e-6 * b_norm, last_claim = INFINITY;
    memcpy(r, b, p * sizeof *r);
    memcpy(d, r, p * sizeof *d);
    double rr = sparse_dot(r, r, p), r_norm = sqrt(rr);
    bool converged = b_norm == 0, at_floor = false;
    long step = 0;
    while (!converged && !at_floor && step < sp->max_iter) {
        sparse_normal_product(sp, d, t, q);
        double dq = sparse_dot(d, q, p);
        if (!(dq > 0)) { /* d in the null space: nothing left to gain */
            at_floor = true;
            break;
        }
        double a = rr / dq;
        for (size_t j = 0; j < p; j++) {
            w[j] += a * d[j];
            r[j] -= a * q[j];
        }
        step++;
        double rr_next = sparse_dot(r, r, p);
        if (sqrt(rr_next) <= target) {
            r_norm = sparse_true_residual(sp, b, w, t, r);
            converged = r_norm <= target;
            at_floor = !converged && r_norm > 0.5 * last_claim;
            last_claim = r_norm;
            /* restart along the true residual */
            rr = sparse_dot(r, r, p);
            memcpy(d, r, p * sizeof *d);
            continue;
        }
        double beta = rr_next / rr;
        rr = rr_next;
        for (size_t j = 0; j < p; j++) d[j] = r[j] + beta * d[j];
    }
    if (!converged) r_norm = sparse_true_residual(sp, b, w, t, r);
    free(work);
    free(t);
    if (!converged && !at_floor && r_norm > target)
        dial_log(ctx, DIAL_LOG_WARN,
                 "linear: conjugate gradients stopped after %ld steps (max_iter=%ld) before "
                 "converging (residual %g, target %g); raise max_iter or tol",
                 step, sp->max_iter, r_norm, target);
    else if (at_floor && r_norm > sp->tol * b_norm)
        dial_log(ctx, DIAL_LOG_WARN,
                 "linear: conjugate gradients got the residual no lower than %g (target %g): the "
                 "columns are nearly dependent; raise alpha",
                 r_norm, target);
    return DIAL_OK;
}

/* ---- coordinate descent (an L1 part) --------------------------------------- */

/* The training rows in compressed columns: the entries of column j are
 * row[k], value[k] for k in [start[j], start[j + 1]). */
typedef struct sparse_columns {
    size_t *start;
    uint32_t *row;
    double *value;
} sparse_columns;

static void sparse_columns_free(sparse_columns *c) {
    free(c->start);
    free(c->row);
    free(c->value);
}

static dial_status sparse_columns_build(dial_ctx *ctx, const sparse_problem *sp,
                                        sparse_columns *c) {
    const dial_csr *x = sp->x;
    size_t nnz = x->row_start[sp->n];
    c->start = dial_calloc(ctx, sp->p + 2, sizeof *c->start);
    c->row = dial_malloc_array(ctx, nnz + 1, sizeof *c->row);
    c->value = dial_malloc_array(ctx, nnz + 1, sizeof *c->value);
    if (!c->start || !c->row || !c->value) {
        sparse_columns_free(c);
        return dial_fail(ctx, DIAL_ERR_NOMEM,
                         "out of memory for the %zu nonzeros of linear's columns", nnz);
    }
    /* counts land one ahead, so that the prefix sums leave start[j + 1]
     * at column j's first slot, to be moved on as the column fills */
    for (size_t e = 0; e < nnz; e++) c->start[x->col[e] + 2]++;
    for (size_t j = 2; j < sp->p + 2; j++) c->start[j] += c->start[j - 1];
    for (size_t i = 0; i < sp->n; i++)
        for (size_t e = x->row_start[i]; e < x->row_start[i + 1]; e++) {
            size_t slot = c->start[x->col[e] + 1]++;
            c->row[slot] = (uint32_t)i;
            c->value[slot] = x->value[e];
        }
    return DIAL_OK;
}

/* What coordinate descent keeps. r = yc - Xw, the residual as the sparse
 * product leaves it; the centred residual is r + m.w, and a centred
 * column's product with it is X_j'r - m_j sum(r) (the m.w terms cancel, a
 * centred column summing to 0), so it is never formed. */
typedef struct sparse_descent {
    const sparse_problem *sp;
    sparse_columns cols;
    double *norm2; /* ||Xc_j||^2 per column */
    double *r;
    double r_sum;
} sparse_descent;

/* r = yc - Xw and its sum afresh, so that rounding in the updates does
 * not pile up over the sweeps. */
static void sparse_descent_residual(sparse_descent *cd, const double *w) {
    const sparse_problem *sp = cd->sp;
    cd->r_sum = 0;
    for (size_t i = 0; i < sp->n; i++) {
        double s = 0;
        for (size_t e = sp->x->row_start[i]; e < sp->x->row_start[i + 1]; e++)
            s += sp->x->value[e] * w[sp->x->col[e]];
        cd->r[i] = sp->yc[i] - s;
        cd->r_sum += cd->r[i];
    }
}

/* Xc_j' (centred residual). */
static double sparse_descent_column_dot(const sparse_descent *cd, size_t j) {
    const sparse_columns *c = &cd->cols;
    double s = 0;
    for (size_t k = c->start[j]; k < c->start[j + 1]; k++) s += c->value[k] * cd->r[c->row[k]];
    return s - cd->sp->mean[j] * cd->r_sum;
}

/* The duality gap of the objective at w, as scikit-learn's
 * enet_coordinate_descent (and linear.c's linear_duality_gap from G). */
static double sparse_descent_gap(sparse_descent *cd, const double *w) {
    const sparse_problem *sp = cd->sp;
    sparse_descent_residual(cd, w);
    double shift = sparse_dot(sp->mean, w, sp->p); /* centred residual = r + shift */
    double r_norm2 = 0, r_dot_y = 0;
    for (size_t i = 0; i < sp->n; i++) {
        double ri = cd->r[i] + shift;
        r_norm2 += ri * ri;
        r_dot_y += ri * sp->yc[i];
    }
    double dual_norm = 0, w_norm2 = 0, w_l1 = 0;
    for (size_t j = 0; j < sp->p; j++) {
        double xta = fabs(sparse_descent_column_dot(cd, j) - sp->l2 * w[j]);
        if (xta > dual_norm) dual_norm = xta;
        w_norm2 += w[j] * w[j];
        w_l1 += fabs(w[j]);
    }
    double scale = 1, gap;
    if (dual_norm > sp->l1) {
        scale = sp->l1 / dual_norm;
        gap = 0.5 * (r_norm2 + r_norm2 * scale * scale);
    } else {
        gap = r_norm2;
    }
    return gap + sp->l1 * w_l1 - scale * r_dot_y + 0.5 * sp->l2 * (1 + scale * scale) * w_norm2;
}

static double sparse_soft_threshold(double v, double t) {
    return v > t ? v - t : v < -t ? v + t : 0.0;
}

/* One sweep over the columns; the largest change of a weight and the
 * largest |weight| into *change_max and *w_max. */
static void sparse_descent_sweep(sparse_descent *cd, double *w, double *change_max, double *w_max) {
    const sparse_problem *sp = cd->sp;
    const sparse_columns *c = &cd->cols;
    *change_max = *w_max = 0;
    for (size_t j = 0; j < sp->p; j++) {
        double norm2 = cd->norm2[j];
        if (norm2 <= 0) continue; /* a constant column keeps weight 0 */
        double old = w[j];
        double rho = sparse_descent_column_dot(cd, j) + norm2 * old;
        double fresh = sparse_soft_threshold(rho, sp->l1) / (norm2 + sp->l2);
        double step = fresh - old;
        if (step != 0) {
            double moved = 0;
            for (size_t k = c->start[j]; k < c->start[j + 1]; k++) {
                double v = c->value[k];
                cd->r[c->row[k]] -= step * v;
                moved += v;
            }
            cd->r_sum -= step * moved;
            w[j] = fresh;
        }
        if (fabs(step) > *change_max) *change_max = fabs(step);
        if (fabs(fresh) > *w_max) *w_max = fabs(fresh);
    }
}

/* Cyclic coordinate descent from w = 0, stopped as linear.c's dense one:
 * when the largest change is small against the largest weight (or at the
 * last sweep) and the duality gap is below tol ||yc||^2. */
static dial_status sparse_coordinate_descent(dial_ctx *ctx, const sparse_problem *sp, double *w) {
    sparse_descent cd = {.sp = sp};
    dial_status status = sparse_columns_build(ctx, sp, &cd.cols);
    if (status != DIAL_OK) return status;
    cd.norm2 = dial_calloc(ctx, sp->p + 1, sizeof *cd.norm2);
    cd.r = dial_malloc_array(ctx, sp->n + 1, sizeof *cd.r);
    if (!cd.norm2 || !cd.r) {
        sparse_columns_free(&cd.cols);
        free(cd.norm2);
        free(cd.r);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory in coordinate descent");
    }
    /* ||Xc_j||^2 over the nonzeros and the zeros apart: no cancellation
     * as in ||X_j||^2 - n m_j^2 for a column far from 0 */
    for (size_t j = 0; j < sp->p; j++) {
        double m = sp->mean[j], s = 0;
        size_t begin = cd.cols.start[j], end = cd.cols.start[j + 1];
        for (size_t k = begin; k < end; k++) s += (cd.cols.value[k] - m) * (cd.cols.value[k] - m);
        cd.norm2[j] = s + (double)(sp->n - (end - begin)) * m * m;
    }
    memset(w, 0, sp->p * sizeof *w);
    sparse_descent_residual(&cd, w);
    double gap_tol = sp->tol * sp->y_norm2, gap = 0;
    bool converged = false;
    for (long sweep = 0; sweep < sp->max_iter && !converged; sweep++) {
        double change_max = 0, w_max = 0;
        sparse_descent_sweep(&cd, w, &change_max, &w_max);
        if (w_max == 0 || change_max / w_max < sp->tol || sweep == sp->max_iter - 1) {
            gap = sparse_descent_gap(&cd, w);
            if (gap < gap_tol) converged = true;
        }
    }
    sparse_columns_free(&cd.cols);
    free(cd.norm2);
    free(cd.r);
    if (!converged)
        dial_log(ctx, DIAL_LOG_WARN,
                 "linear: coordinate descent stopped at max_iter=%ld before converging (duality "
                 "gap %g, target %g); raise max_iter or tol",
                 sp->max_iter, gap, gap_tol);
    return DIAL_OK;
}

/* ---- the fit and the scores ------------------------------------------------ */

dial_status dial_linear_fit_sparse(dial_ctx *ctx, const dial_fit_input *in,
                                   const dial_linear_settings *settings, double *coef,
                                   double *intercept) {
    sparse_problem sp;
    dial_status status = sparse_problem_build(ctx, in, settings, &sp);
    if (status != DIAL_OK) return status;
    if (sp.p == 0)
        status = DIAL_OK;
    else if (settings->alpha == 0 || settings->l1_ratio == 0)
        status = sparse_conjugate_gradients(ctx, &sp, coef);
    else
        status = sparse_coordinate_descent(ctx, &sp, coef);
    if (status == DIAL_OK)
        *intercept = settings->fit_intercept ? sp.y_mean - sparse_dot(sp.mean, coef, sp.p) : 0.0;
    sparse_problem_free(&sp);
    return status;
}

void dial_linear_score_sparse(const dial_csr *x, size_t n, const double *coef, size_t p,
                              double intercept, double *value) {
    for (size_t i = 0; i < n; i++) {
        double s = intercept;
        for (size_t e = x->row_start[i]; e < x->row_start[i + 1]; e++)
            if (x->col[e] < p) s += x->value[e] * coef[x->col[e]];
        value[i] = s;
    }
}

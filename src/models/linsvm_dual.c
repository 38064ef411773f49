/*
 * The linear SVM's solver (models/linsvm.h): LIBLINEAR's dual coordinate
 * descent for the L2-regularised SVM (Hsieh et al. 2008; LIBLINEAR's
 * solve_l2r_l1l2_svc), one class against the rest.
 *
 * Each binary problem (y_i in {-1, +1}) minimises the dual
 *   f(alpha) = alpha' Qbar alpha / 2 - sum_i alpha_i,  0 <= alpha_i <= U,
 * with Qbar_ij = y_i y_j x_i.x_j + D_ii: the hinge loss (L1-loss) has
 * D = 0 and U = C, the squared hinge (L2-loss) D = 1 / (2 C) and no upper
 * bound. One variable at a time is set to the minimum of f along it,
 * keeping w = sum_i y_i alpha_i x_i up to date, so a pass costs the
 * nonzeros. Shrinking as LIBLINEAR does it: a variable at a bound whose
 * gradient points out of the box by more than the last pass's extreme
 * projected gradient leaves the active set; the solver stops when the
 * projected gradients' spread is below tol on the whole set (every
 * variable back in after the active ones met it). -f(alpha) is the primal
 * objective at the optimum; LIBLINEAR prints f as "Objective value".
 *
 * The intercept is LIBLINEAR's -B 1, a constant feature 1 whose weight is
 * penalised like the others. Rows are visited in a shuffled order per pass
 * from the context's seed (dial_rng_stream), so the same seed gives the
 * same weights.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/linsvm.h"

/* A step smaller than this is not taken (LIBLINEAR's). */
#define LINSVM_MIN_STEP 1.0e-12

typedef struct linsvm_problem {
    dial_dual_rows rows;  /* the training rows (dual_warm.h) */
    size_t p;             /* weights: the columns of rows.x */
    const double *square; /* ||x_i||^2 plus the bias's 1 */
    double bias;          /* 1 with an intercept, else 0 */
    double diag;          /* D_ii */
    double upper;         /* U */
    double tol;
    long max_iter;
} linsvm_problem;

static double linsvm_dot(const dial_dual_rows *rows, size_t i, const double *w, double bias,
                         double wb) {
    const dial_csr *x = rows->x;
    size_t row = dial_dual_row(rows, i);
    double s = bias * wb;
    for (size_t k = x->row_start[row]; k < x->row_start[row + 1]; k++)
        s += w[x->col[k]] * x->value[k];
    return s;
}

static void linsvm_axpy(const dial_dual_rows *rows, size_t i, double step, double *w) {
    const dial_csr *x = rows->x;
    size_t row = dial_dual_row(rows, i);
    for (size_t k = x->row_start[row]; k < x->row_start[row + 1]; k++)
        w[x->col[k]] += step * x->value[k];
}

/* Solves one problem from the start in alpha (n values in the box) into
 * w (p weights) and *wb (the bias's weight); index (n) is scratch.
 * Returns the passes made; *objective gets f(alpha). */
static long linsvm_solve(const linsvm_problem *pr, const signed char *y, double *alpha, double *w,
                         double *wb, size_t *index, dial_rng *rng, double *objective) {
    const dial_dual_rows *x = &pr->rows;
    size_t n = x->n;
    memset(w, 0, pr->p * sizeof *w);
    *wb = 0;
    for (size_t i = 0; i < n; i++) {
        if (alpha[i] != 0) {
            linsvm_axpy(x, i, y[i] * alpha[i], w);
            *wb += y[i] * alpha[i] * pr->bias;
        }
        index[i] = i;
    }
    double pg_max_old = INFINITY, pg_min_old = -INFINITY;
    size_t active = n;
    long pass = 0;
    while (pass < pr->max_iter) {
        double pg_max = -INFINITY, pg_min = INFINITY;
        dial_rng_shuffle(rng, index, active);
        for (size_t s = 0; s < active; s++) {
            size_t i = index[s];
            double g = y[i] * linsvm_dot(x, i, w, pr->bias, *wb) - 1 + alpha[i] * pr->diag;
            double pg = 0;
            if (alpha[i] == 0) {
                if (g > pg_max_old) { /* shrink: it stays at 0 */
                    active--;
                    size_t t = index[s];
                    index[s] = index[active];
                    index[active] = t;
                    s--;
                    continue;
                }
                if (g < 0) pg = g;
            } else if (alpha[i] == pr->upper) {
                if (g < pg_min_old) { /* shrink: it stays at the bound */
                    active--;
                    size_t t = index[s];
                    index[s] = index[active];
                    index[active] = t;
                    s--;
                    continue;
                }
                if (g > 0) pg = g;
            } else {
                pg = g;
            }
            if (pg > pg_max) pg_max = pg;
            if (pg < pg_min) pg_min = pg;
            if (fabs(pg) > LINSVM_MIN_STEP) {
                double qd = pr->square[i] + pr->diag, old = alpha[i];
                /* An empty row without a bias (qd 0, hinge loss): f is
                 * linear along it and falls towards the bound. */
                double next = qd > 0 ? old - g / qd : (g < 0 ? pr->upper : 0);
                alpha[i] = fmin(fmax(next, 0.0), pr->upper);
                double step = (alpha[i] - old) * y[i];
                linsvm_axpy(x, i, step, w);
                *wb += step * pr->bias;
            }
        }
        pass++;
        if (pg_max - pg_min <= pr->tol) {
            if (active == n) break;
            active = n; /* check every variable before stopping */
            pg_max_old = INFINITY;
            pg_min_old = -INFINITY;
            continue;
        }
        pg_max_old = pg_max <= 0 ? INFINITY : pg_max;
        pg_min_old = pg_min >= 0 ? -INFINITY : pg_min;
    }
    double v = *wb * *wb;
    for (size_t j = 0; j < pr->p; j++) v += w[j] * w[j];
    for (size_t i = 0; i < n; i++) v += alpha[i] * (alpha[i] * pr->diag - 2);
    *objective = v / 2;
    return pass;
}

dial_status dial_linsvm_fit_dual_rows(dial_ctx *ctx, const dial_dual_rows *x, const double *y,
                                      size_t n_classes, const dial_linsvm_settings *settings,
                                      const dial_dual_warm *from, dial_dual_warm **keep,
                                      double *coef, double *intercept) {
    size_t n = x->n, p = x->x->n_cols;
    size_t rows = n_classes == 2 ? 1 : n_classes;
    double *square = dial_malloc_array(ctx, n ? n : 1, sizeof *square);
    size_t *index = dial_malloc_array(ctx, n ? n : 1, sizeof *index);
    signed char *sign = dial_malloc(ctx, n ? n : 1);
    dial_dual_warm *solution = dial_dual_warm_new(ctx, rows, n, 1);
    if (!square || !index || !sign || !solution) {
        free(square);
        free(index);
        free(sign);
        dial_dual_warm_free(solution);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory fitting linsvm on %zu rows", n);
    }
    double bias = settings->fit_intercept ? 1.0 : 0.0;
    for (size_t i = 0; i < n; i++) {
        double sq = bias * bias;
        const dial_csr *m = x->x;
        size_t row = dial_dual_row(x, i);
        for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++)
            sq += m->value[k] * m->value[k];
        square[i] = sq;
    }
    bool hinge = settings->loss == DIAL_LINSVM_HINGE;
    linsvm_problem pr = {.rows = *x,
                         .p = p,
                         .square = square,
                         .bias = bias,
                         .diag = hinge ? 0 : 0.5 / settings->c,
                         .upper = hinge ? settings->c : INFINITY,
                         .tol = settings->tol,
                         .max_iter = settings->max_iter};
    bool warm = dial_dual_warm_fits(from, rows, n, 1, settings->c);
    solution->c = settings->c;
    for (size_t r = 0; r < rows; r++) {
        /* Two classes: the score of the second; more: each class's. */
        size_t positive = rows == 1 ? 1 : r;
        for (size_t i = 0; i < n; i++) sign[i] = (size_t)y[i] == positive ? 1 : -1;
        double *alpha = solution->alpha + r * n;
        /* The box only grew: the old variables are a feasible start. */
        if (warm) memcpy(alpha, from->alpha + r * n, n * sizeof *alpha);
        dial_rng rng = dial_rng_stream(dial_ctx_seed(ctx), r);
        double wb = 0;
        solution->passes +=
            linsvm_solve(&pr, sign, alpha, coef + r * p, &wb, index, &rng, &solution->objective[r]);
        intercept[r] = wb * bias;
    }
    free(square);
    free(index);
    free(sign);
    if (keep)
        *keep = solution;
    else
        dial_dual_warm_free(solution);
    return DIAL_OK;
}

dial_status dial_linsvm_fit_dual(dial_ctx *ctx, const dial_csr *x, const double *y,
                                 size_t n_classes, const dial_linsvm_settings *settings,
                                 const dial_dual_warm *from, dial_dual_warm **keep, double *coef,
                                 double *intercept) {
    dial_dual_rows rows = {x, NULL, x->n_rows};
    return dial_linsvm_fit_dual_rows(ctx, &rows, y, n_classes, settings, from, keep, coef,
                                     intercept);
}

dial_status dial_linsvm_csr_from_dense(dial_ctx *ctx, const double *x, size_t n_rows,
                                       size_t n_features, dial_csr **out) {
    *out = NULL;
    size_t nonzeros = 0;
    for (size_t k = 0; k < n_rows * n_features; k++) nonzeros += x[k] != 0;
    dial_csr *m = dial_calloc(ctx, 1, sizeof *m);
    if (m) {
        m->row_start = dial_malloc_array(ctx, n_rows + 1, sizeof *m->row_start);
        m->col = dial_malloc_array(ctx, nonzeros ? nonzeros : 1, sizeof *m->col);
        m->value = dial_malloc_array(ctx, nonzeros ? nonzeros : 1, sizeof *m->value);
    }
    if (!m || !m->row_start || !m->col || !m->value) {
        dial_csr_free(m);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading %zu x %zu rows for linsvm",
                         n_rows, n_features);
    }
    m->n_rows = n_rows;
    m->n_cols = n_features;
    size_t at = 0;
    for (size_t i = 0; i < n_rows; i++) {
        m->row_start[i] = at;
        for (size_t j = 0; j < n_features; j++) {
            double v = x[i * n_features + j];
            if (v == 0) continue;
            m->col[at] = (uint32_t)j;
            m->value[at++] = v;
        }
    }
    m->row_start[n_rows] = at;
    *out = m;
    return DIAL_OK;
}

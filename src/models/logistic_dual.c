/*
 * Logistic regression on sparse rows (models/logistic_dual.h): LIBLINEAR's
 * dual coordinate descent for L2-regularised logistic regression (Yu,
 * Huang and Lin, "Dual coordinate descent methods for logistic regression
 * and maximum entropy models", Machine Learning 85, 2011; LIBLINEAR's
 * solve_l2r_lr_dual, its -s 7), one class against the rest.
 *
 * Each binary problem minimises
 *   ||w||^2 / 2 + sum_i C_i log(1 + exp(-y_i w.x_i)),   y_i in {-1, +1},
 * through its dual, one row's variable at a time, each by a few Newton
 * steps on a one-variable function, keeping w = sum_i y_i alpha_i x_i up
 * to date, so a pass costs the nonzeros. The intercept is LIBLINEAR's -B 1:
 * a constant feature 1 whose weight is penalised like the others (the dense
 * solver leaves it unpenalised, as scikit-learn does).
 *
 * Rows are visited in a shuffled order per pass, from the context's seed
 * (dial_rng_stream), so the same seed gives the same weights.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/logistic_dual.h"

/* LIBLINEAR's: at most 1000 passes and 100 Newton steps per variable; the
 * inner tolerance starts at 1e-2 and shrinks tenfold while a pass takes
 * few Newton steps. */
#define DUAL_MAX_PASSES 1000
#define DUAL_MAX_INNER 100
#define DUAL_INNER_EPS 1e-2

/* One binary problem: positive[i] says whether row i is of the class. */
typedef struct dual_problem {
    dial_dual_rows rows;  /* the training rows, row i of the problem being rows.x's dial_dual_row */
    size_t p;             /* weights: the columns of rows.x */
    const double *cost;   /* C_i per row */
    const double *square; /* ||x_i||^2 plus the bias's 1 */
    double bias;          /* 1 with an intercept, else 0 */
    double eps;
} dual_problem;

static double dual_dot(const dial_csr *x, size_t row, const double *w, double bias, double wb) {
    double s = bias * wb;
    for (size_t k = x->row_start[row]; k < x->row_start[row + 1]; k++)
        s += w[x->col[k]] * x->value[k];
    return s;
}

static void dual_axpy(const dial_csr *x, size_t row, double step, double *w) {
    for (size_t k = x->row_start[row]; k < x->row_start[row + 1]; k++)
        w[x->col[k]] += step * x->value[k];
}

/* Solves one problem into w (p weights) and *wb (the bias's weight),
 * leaving the dual variables in alpha (2n: each row's pair) and returning
 * the passes made; order (n) is scratch. start (may be NULL: LIBLINEAR's
 * cold start) holds a solution at a smaller cost (dual_warm.h): each
 * row's first variable is kept, its partner made up to the new cost. */
static long dual_solve(const dual_problem *pr, const signed char *y, double *w, double *wb,
                       double *alpha, size_t *order, dial_rng *rng, const double *start) {
    const dial_csr *x = pr->rows.x;
    size_t n = pr->rows.n;
    memset(w, 0, pr->p * sizeof *w);
    *wb = 0;
    for (size_t i = 0; i < n; i++) {
        double c = pr->cost[i];
        alpha[2 * i] = start ? start[2 * i] : fmin(0.001 * c, 1e-8);
        alpha[2 * i + 1] = c - alpha[2 * i];
        if (start && !(alpha[2 * i] > 0 && alpha[2 * i + 1] > 0)) { /* rounding at the edge */
            alpha[2 * i] = fmin(0.001 * c, 1e-8);
            alpha[2 * i + 1] = c - alpha[2 * i];
        }
        double step = y[i] * alpha[2 * i];
        dual_axpy(x, dial_dual_row(&pr->rows, i), step, w);
        *wb += step * pr->bias;
        order[i] = i;
    }
    double inner_eps = DUAL_INNER_EPS, inner_eps_min = fmin(1e-8, pr->eps);
    long passes = 0;
    for (int pass = 0; pass < DUAL_MAX_PASSES; pass++) {
        passes++;
        dial_rng_shuffle(rng, order, n);
        size_t newton_steps = 0;
        double gmax = 0;
        for (size_t s = 0; s < n; s++) {
            size_t i = order[s];
            double c = pr->cost[i], yi = y[i];
            double a = pr->square[i],
                   b = yi * dual_dot(x, dial_dual_row(&pr->rows, i), w, pr->bias, *wb);
            /* Of the pair (alpha_i, C - alpha_i), move the one whose
             * one-variable function is the better to minimise. */
            size_t first = 2 * i, second = 2 * i + 1;
            double sign = 1;
            if (0.5 * a * (alpha[second] - alpha[first]) + b < 0) {
                first = 2 * i + 1;
                second = 2 * i;
                sign = -1;
            }
            double old = alpha[first], z = old;
            if (c - z < 0.5 * c) z *= 0.1;
            double gp = a * (z - old) + sign * b + log(z / (c - z));
            if (fabs(gp) > gmax) gmax = fabs(gp);
            int inner = 0;
            while (inner <= DUAL_MAX_INNER && fabs(gp) >= inner_eps) {
                double gpp = a + c / (c - z) / z;
                double next = z - gp / gpp;
                z = next <= 0 ? z * 0.1 : next;
                gp = a * (z - old) + sign * b + log(z / (c - z));
                newton_steps++;
                inner++;
            }
            if (inner == 0) continue;
            alpha[first] = z;
            alpha[second] = c - z;
            double step = sign * (z - old) * yi;
            dual_axpy(x, dial_dual_row(&pr->rows, i), step, w);
            *wb += step * pr->bias;
        }
        if (gmax < pr->eps) break;
        if (newton_steps <= n / 10) inner_eps = fmax(inner_eps_min, 0.1 * inner_eps);
    }
    return passes;
}

/* The dual objective of a solved problem, as LIBLINEAR prints it:
 * ||w||^2 / 2 + sum_i (a log a + b log b - C_i log C_i) over each row's
 * pair (a, b). */
static double dual_objective(const dual_problem *pr, const double *alpha, const double *w,
                             double wb) {
    double v = wb * wb;
    for (size_t j = 0; j < pr->p; j++) v += w[j] * w[j];
    v /= 2;
    for (size_t i = 0; i < pr->rows.n; i++) {
        double a = alpha[2 * i], b = alpha[2 * i + 1], c = pr->cost[i];
        v += a * log(a) + b * log(b) - c * log(c);
    }
    return v;
}

dial_status dial_logistic_fit_dual(dial_ctx *ctx, const dial_fit_input *in, const size_t *index,
                                   double c, const double *row_weight, bool fit_intercept,
                                   const dial_dual_warm *from, dial_dual_warm **keep, double *coef,
                                   double *intercept) {
    const dial_csr *x = in->sparse;
    size_t n = in->n_rows, p = in->n_features;
    dial_dual_rows train = {x, index, n};
    size_t rows = in->n_classes == 2 ? 1 : in->n_classes;
    double *cost = dial_malloc_array(ctx, n ? n : 1, sizeof *cost);
    double *square = dial_malloc_array(ctx, n ? n : 1, sizeof *square);
    double *alpha = dial_malloc_array(ctx, n ? 2 * n : 1, sizeof *alpha);
    size_t *order = dial_malloc_array(ctx, n ? n : 1, sizeof *order);
    signed char *y = dial_malloc(ctx, n ? n : 1);
    dial_dual_warm *solution = keep ? dial_dual_warm_new(ctx, rows, n, 2) : NULL;
    if (!cost || !square || !alpha || !order || !y || (keep && !solution)) {
        free(cost);
        free(square);
        free(alpha);
        free(order);
        free(y);
        dial_dual_warm_free(solution);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory fitting logistic on %zu sparse rows",
                         n);
    }
    double bias = fit_intercept ? 1.0 : 0.0;
    for (size_t i = 0; i < n; i++) {
        cost[i] = c * row_weight[i];
        double sq = bias * bias;
        size_t row = dial_dual_row(&train, i);
        for (size_t k = x->row_start[row]; k < x->row_start[row + 1]; k++)
            sq += x->value[k] * x->value[k];
        square[i] = sq;
    }
    /* LIBLINEAR's default stopping tolerance for its -s 7. */
    dual_problem pr = {
        .rows = train, .p = p, .cost = cost, .square = square, .bias = bias, .eps = 0.1};
    bool warm = dial_dual_warm_fits(from, rows, n, 2, c);
    if (solution) solution->c = c;
    for (size_t r = 0; r < rows; r++) {
        /* Two classes: the score of the second; more: each class's. */
        size_t positive = rows == 1 ? 1 : r;
        for (size_t i = 0; i < n; i++) y[i] = (size_t)in->y[i] == positive ? 1 : -1;
        dial_rng rng = dial_rng_stream(dial_ctx_seed(ctx), r);
        double wb = 0;
        double *pairs = solution ? solution->alpha + r * 2 * n : alpha;
        long passes = dual_solve(&pr, y, coef + r * p, &wb, pairs, order, &rng,
                                 warm ? from->alpha + r * 2 * n : NULL);
        intercept[r] = wb * bias;
        if (solution) {
            solution->passes += passes;
            solution->objective[r] = dual_objective(&pr, pairs, coef + r * p, wb);
        }
    }
    if (keep) *keep = solution;
    free(cost);
    free(square);
    free(alpha);
    free(order);
    free(y);
    return DIAL_OK;
}

/* Sparse rows: LIBLINEAR's dual solver (models/logistic_dual.h), l2 only. */
dial_status dial_logistic_fit_sparse(dial_ctx *ctx, const dial_knobs *knobs,
                                     const dial_fit_input *in, dial_tensors *learned) {
    const char *penalty = dial_knobs_choice(knobs, "penalty");
    double c = dial_knobs_float(knobs, "C");
    bool balanced = strcmp(dial_knobs_choice(knobs, "class_weight"), "balanced") == 0;
    if (strcmp(penalty, "l2") != 0)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "logistic on sparse input takes penalty=l2 only (LIBLINEAR's dual "
                         "solver), not penalty=%s",
                         penalty);
    size_t rows = in->n_classes == 2 ? 1 : in->n_classes, p = in->n_features;
    double *coef = NULL, *intercept = NULL;
    size_t coef_shape[2] = {rows, p}, intercept_shape[1] = {rows};
    dial_status status =
        dial_tensors_add(ctx, learned, "coef", DIAL_F64, 2, coef_shape, (void **)&coef);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "intercept", DIAL_F64, 1, intercept_shape,
                                  (void **)&intercept);
    if (status != DIAL_OK) return status;
    double *weight = dial_logistic_row_weights(ctx, in, balanced);
    if (!weight)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory fitting logistic on %zu rows",
                         in->n_rows);
    status =
        dial_logistic_fit_dual(ctx, in, NULL, c, weight, dial_knobs_bool(knobs, "fit_intercept"),
                               NULL, NULL, coef, intercept);
    free(weight);
    return status;
}

dial_status dial_logistic_score_sparse(dial_ctx *ctx, const dial_dual_rows *x, const double *coef,
                                       const double *intercept, size_t p, size_t rows,
                                       dial_predict_output *out) {
    size_t classes = rows == 1 ? 2 : rows;
    double *z = dial_malloc_array(ctx, rows ? rows : 1, sizeof *z);
    if (!z) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory predicting logistic");
    const dial_csr *m = x->x;
    for (size_t i = 0; i < x->n; i++) {
        size_t row = dial_dual_row(x, i);
        double *proba = out->proba ? out->proba + i * classes : NULL;
        double best = -INFINITY;
        size_t top = 0;
        for (size_t r = 0; r < rows; r++) {
            const double *w = coef + r * p;
            double s = intercept[r];
            for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++)
                s += w[m->col[k]] * m->value[k];
            z[r] = s;
            if (s > best) {
                best = s;
                top = r;
            }
        }
        if (rows == 1) {
            out->value[i] = z[0] > 0 ? 1.0 : 0.0;
            if (proba) {
                double e = exp(-fabs(z[0]));
                double positive = z[0] >= 0 ? 1 / (1 + e) : e / (1 + e);
                proba[0] = 1 - positive;
                proba[1] = positive;
            }
            continue;
        }
        out->value[i] = (double)top;
        if (proba) {
            double sum = 0;
            for (size_t r = 0; r < rows; r++) sum += proba[r] = exp(z[r] - best);
            for (size_t r = 0; r < rows; r++) proba[r] /= sum;
        }
    }
    free(z);
    return DIAL_OK;
}

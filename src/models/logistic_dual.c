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
 * (dial_rng_stream), so the same seed gives the same weights. With more
 * than two classes the problems (one per class) are swept together, in
 * one order: a pass reads each row once for all of them (dual_solve).
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

/* The binary problems of one fit, solved together: k of them (1 for two
 * classes, else one per class against the rest), row i being positive in
 * problem r when label[i] is the problem's class. */
typedef struct dual_problem {
    dial_dual_rows rows;  /* the training rows, row i of the problem being rows.x's dial_dual_row */
    size_t p;             /* weights per problem: the columns of rows.x */
    size_t k;             /* problems */
    const double *label;  /* each row's class (the fit's y) */
    const double *cost;   /* C_i per row */
    const double *square; /* ||x_i||^2 plus the bias's 1 */
    double bias;          /* 1 with an intercept, else 0 */
    double eps;
} dual_problem;

/* What one problem carries through the sweeps. */
typedef struct dual_state {
    double *alpha;       /* 2n: each row's pair */
    const double *start; /* a solution at a smaller cost (dual_warm.h), or NULL */
    double wb;           /* the bias's weight */
    double gmax;         /* this pass's largest |gradient| */
    double inner_eps;
    size_t newton_steps; /* this pass's */
    long passes;
    bool done; /* met the tolerance: no longer moved */
} dual_state;

/* The rows come in a shuffled order, so each row's nonzeros start where
 * the memory system did not expect them; asking for the row after next
 * while this one is worked on hides that wait (a hint: nothing without
 * the builtin). */
#if defined(__GNUC__) || defined(__clang__)
#define DUAL_PREFETCH(address) __builtin_prefetch(address)
#else
#define DUAL_PREFETCH(address) ((void)(address))
#endif

static void dual_prefetch_row(const dial_csr *x, size_t row) {
    size_t begin = x->row_start[row], end = x->row_start[row + 1];
    /* a cache line holds 8 values or 16 columns */
    for (size_t e = begin; e < end; e += 8) DUAL_PREFETCH(x->value + e);
    for (size_t e = begin; e < end; e += 16) DUAL_PREFETCH(x->col + e);
}

/* y_i of row i in problem r: +1 for the problem's class, else -1. */
static double dual_sign(const dual_problem *pr, size_t i, size_t r) {
    size_t positive = pr->k == 1 ? 1 : r;
    return (size_t)pr->label[i] == positive ? 1 : -1;
}

/* dot[r] = x_row . w_r for the k problems, whose weights lie side by side
 * (w[j * k + r]), so a row's nonzeros are read once for all of them; each
 * sum starts from init[r]. */
static void dual_dots(const dial_csr *x, size_t row, const double *w, size_t k, const double *init,
                      double *dot) {
    for (size_t r = 0; r < k; r++) dot[r] = init[r];
    for (size_t e = x->row_start[row]; e < x->row_start[row + 1]; e++) {
        const double *wj = w + (size_t)x->col[e] * k;
        double v = x->value[e];
        for (size_t r = 0; r < k; r++) dot[r] += wj[r] * v;
    }
}

/* w_r += step[r] x_row for the k problems. */
static void dual_axpy(const dial_csr *x, size_t row, const double *step, size_t k, double *w) {
    for (size_t e = x->row_start[row]; e < x->row_start[row + 1]; e++) {
        double *wj = w + (size_t)x->col[e] * k;
        double v = x->value[e];
        for (size_t r = 0; r < k; r++) wj[r] += step[r] * v;
    }
}

/* One variable of problem st: row i's pair moved by Newton steps on its
 * one-variable function; returns the step to add to y_i alpha_i (0: not
 * moved). b is y_i w.x_i. */
static double dual_move(const dual_problem *pr, dual_state *st, size_t i, double yi, double b) {
    double c = pr->cost[i], a = pr->square[i];
    double *alpha = st->alpha;
    /* Of the pair (alpha_i, C - alpha_i), move the one whose one-variable
     * function is the better to minimise. */
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
    if (fabs(gp) > st->gmax) st->gmax = fabs(gp);
    int inner = 0;
    while (inner <= DUAL_MAX_INNER && fabs(gp) >= st->inner_eps) {
        double gpp = a + c / (c - z) / z;
        double next = z - gp / gpp;
        z = next <= 0 ? z * 0.1 : next;
        gp = a * (z - old) + sign * b + log(z / (c - z));
        inner++;
    }
    st->newton_steps += (size_t)inner;
    if (inner == 0) return 0;
    alpha[first] = z;
    alpha[second] = c - z;
    return sign * (z - old) * yi;
}

/* Solves the k problems of pr into w (p x k, side by side) and each
 * state's wb, alpha and passes. All share one shuffled order per pass
 * (order: n, scratch), so a pass reads the rows once for all problems
 * rather than once per problem: with five classes that is a fifth of the
 * reading, and the k weights of a column come in one cache line. A
 * problem that meets the tolerance stops moving as it would alone
 * (LIBLINEAR stops each problem by its own largest gradient). dot and
 * step are k scratch values. start (may be NULL: LIBLINEAR's cold start)
 * holds a solution at a smaller cost (dual_warm.h): each row's first
 * variable is kept, its partner made up to the new cost. */
static void dual_solve(const dual_problem *pr, dual_state *st, double *w, double *dot, double *step,
                       size_t *order, dial_rng *rng) {
    const dial_csr *x = pr->rows.x;
    size_t n = pr->rows.n, k = pr->k;
    memset(w, 0, pr->p * k * sizeof *w);
    for (size_t r = 0; r < k; r++) {
        st[r].wb = 0;
        st[r].inner_eps = DUAL_INNER_EPS;
        st[r].passes = 0;
        st[r].done = false;
    }
    for (size_t i = 0; i < n; i++) {
        double c = pr->cost[i];
        for (size_t r = 0; r < k; r++) {
            double *alpha = st[r].alpha;
            const double *start = st[r].start;
            alpha[2 * i] = start ? start[2 * i] : fmin(0.001 * c, 1e-8);
            alpha[2 * i + 1] = c - alpha[2 * i];
            if (start && !(alpha[2 * i] > 0 && alpha[2 * i + 1] > 0)) { /* rounding at the edge */
                alpha[2 * i] = fmin(0.001 * c, 1e-8);
                alpha[2 * i + 1] = c - alpha[2 * i];
            }
            step[r] = dual_sign(pr, i, r) * alpha[2 * i];
            st[r].wb += step[r] * pr->bias;
        }
        dual_axpy(x, dial_dual_row(&pr->rows, i), step, k, w);
        order[i] = i;
    }
    double inner_eps_min = fmin(1e-8, pr->eps);
    size_t active = k;
    for (int pass = 0; pass < DUAL_MAX_PASSES && active > 0; pass++) {
        dial_rng_shuffle(rng, order, n);
        for (size_t r = 0; r < k; r++) {
            st[r].gmax = 0;
            st[r].newton_steps = 0;
            if (!st[r].done) st[r].passes++;
        }
        for (size_t s = 0; s < n; s++) {
            size_t i = order[s], row = dial_dual_row(&pr->rows, i);
            if (s + 2 < n) dual_prefetch_row(x, dial_dual_row(&pr->rows, order[s + 2]));
            for (size_t r = 0; r < k; r++) step[r] = pr->bias * st[r].wb;
            dual_dots(x, row, w, k, step, dot);
            bool moved = false;
            for (size_t r = 0; r < k; r++) {
                step[r] = 0;
                if (st[r].done) continue;
                double yi = dual_sign(pr, i, r);
                step[r] = dual_move(pr, &st[r], i, yi, yi * dot[r]);
                st[r].wb += step[r] * pr->bias;
                moved = moved || step[r] != 0;
            }
            if (moved) dual_axpy(x, row, step, k, w);
        }
        for (size_t r = 0; r < k; r++) {
            if (st[r].done) continue;
            if (st[r].gmax < pr->eps) {
                st[r].done = true;
                active--;
            } else if (st[r].newton_steps <= n / 10) {
                st[r].inner_eps = fmax(inner_eps_min, 0.1 * st[r].inner_eps);
            }
        }
    }
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
    double *alpha = keep ? NULL : dial_malloc_array(ctx, n ? 2 * n * rows : 1, sizeof *alpha);
    size_t *order = dial_malloc_array(ctx, n ? n : 1, sizeof *order);
    /* Two classes: coef's one row is w; more: w side by side, copied out. */
    double *joint = rows > 1 ? dial_malloc_array(ctx, p ? p * rows : 1, sizeof *joint) : coef;
    double *scratch = dial_malloc_array(ctx, 2 * rows, sizeof *scratch);
    dual_state *state = dial_calloc(ctx, rows, sizeof *state);
    dial_dual_warm *solution = keep ? dial_dual_warm_new(ctx, rows, n, 2) : NULL;
    if (!cost || !square || (!keep && !alpha) || !order || !joint || !scratch || !state ||
        (keep && !solution)) {
        free(cost);
        free(square);
        free(alpha);
        free(order);
        if (joint != coef) free(joint);
        free(scratch);
        free(state);
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
    dual_problem pr = {.rows = train,
                       .p = p,
                       .k = rows,
                       .label = in->y,
                       .cost = cost,
                       .square = square,
                       .bias = bias,
                       .eps = 0.1};
    bool warm = dial_dual_warm_fits(from, rows, n, 2, c);
    if (solution) solution->c = c;
    for (size_t r = 0; r < rows; r++) {
        state[r].alpha = (solution ? solution->alpha : alpha) + r * 2 * n;
        state[r].start = warm ? from->alpha + r * 2 * n : NULL;
    }
    dial_rng rng = dial_rng_stream(dial_ctx_seed(ctx), 0);
    dual_solve(&pr, state, joint, scratch, scratch + rows, order, &rng);
    for (size_t r = 0; r < rows; r++) {
        if (joint != coef)
            for (size_t j = 0; j < p; j++) coef[r * p + j] = joint[j * rows + r];
        intercept[r] = state[r].wb * bias;
        if (solution) {
            solution->passes += state[r].passes;
            solution->objective[r] = dual_objective(&pr, state[r].alpha, coef + r * p, state[r].wb);
        }
    }
    if (keep) *keep = solution;
    free(cost);
    free(square);
    free(alpha);
    free(order);
    if (joint != coef) free(joint);
    free(scratch);
    free(state);
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

/*
 * Logistic regression, binary and multinomial, as scikit-learn's
 * LogisticRegression: it minimises
 *
 *   C sum_i s_i loss_i(W, b) + penalty(W)
 *
 * where loss_i is the log loss of row i, s_i its class weight (1, or
 * n / (n_classes count(class)) for class_weight=balanced) and the penalty is
 * ||W||_F^2 / 2 (l2), ||W||_1 (l1) or nothing (none); the intercept b is not
 * penalised. Two classes use one row of weights (the score of the second
 * class, through a sigmoid); more use one row per class and the softmax.
 *
 * The fit minimises the same objective divided by C (the scaling of
 * scikit-learn's lbfgs solver, so the tolerances mean the same thing):
 *  - l2 and none: L-BFGS (memory 10, a line search satisfying the strong
 *    Wolfe conditions), stopped when the largest gradient component is at
 *    most tol or the objective stops decreasing (relative change below
 *    2.2e-9, scipy's L-BFGS-B default), as scikit-learn's lbfgs;
 *  - l1: OWL-QN (Andrew and Gao, 2007), L-BFGS on the pseudo-gradient with
 *    steps kept in one orthant, stopped on the pseudo-gradient likewise.
 * The loss and gradient are computed block by block with BLAS: the blocks
 * are fixed by the number of rows, run on up to dial_ctx_threads threads and
 * summed in block order, so the fit is the same for any thread count. The
 * exponentials and logarithms of the loss are branch-free polynomials that
 * the compiler vectorises; they are half the cost of a pass otherwise.
 */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/model.h"
#include "models/learned_check.h"
#include "models/linear_weights.h"
#include "models/logistic_dual.h"

static const char *const logistic_penalty_choices[] = {"l2", "l1", "none", NULL};
static const char *const logistic_class_weight_choices[] = {"none", "balanced", NULL};

static const dial_knob_spec logistic_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "C",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1e-4,
     .search_high = 1e4,
     .log_scale = true,
     .condition = "penalty=l2|l1",
     .doc = "inverse strength of the penalty: larger C follows the training data more closely "
            "(searched 1e-4..1e4 on a log scale, scikit-learn's LogisticRegressionCV grid)"},
    {.name = "penalty",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "l2",
     .choices = logistic_penalty_choices,
     .condition = "",
     .doc = "penalty on the weights: l2 (squared, shrinks all), l1 (absolute, zeroes some) or "
            "none"},
    {.name = "class_weight",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "none",
     .choices = logistic_class_weight_choices,
     .condition = "",
     .doc = "weight of each row's loss: none (1), or balanced (n / (n_classes * class count), as "
            "scikit-learn's)"},
    {.name = "fit_intercept",
     .type = DIAL_KNOB_BOOL,
     .default_text = "true",
     .condition = "",
     .doc = "learn an unpenalised intercept per class score"},
    {.name = "tol",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1e-4",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .condition = "",
     .doc = "stop when the largest component of the (pseudo-)gradient is at most tol "
            "(scikit-learn's lbfgs gtol, default 1e-4)"},
    {.name = "max_iter",
     .type = DIAL_KNOB_INT,
     .default_text = "100",
     .lower = 1,
     .upper = INFINITY,
     .condition = "",
     .doc = "most quasi-Newton iterations (scikit-learn's default 100)"},
};

static const dial_param_doc logistic_params[] = {
    {"coef", "n_classes x n_inputs (1 x n_inputs for two classes)",
     "weights of each class score; with two classes one row, the score of the second class"},
    {"intercept", "n_classes (1 for two classes)", "the constant term of each class score"},
};

#define LOGISTIC_MEMORY 10
#define LOGISTIC_MAX_BLOCKS 16
#define LOGISTIC_PARALLEL_WORK ((size_t)1 << 19)
/* scipy's L-BFGS-B default factr 1e7 times the machine epsilon. */
#define LOGISTIC_FTOL 2.220446049250313e-09
#define LOGISTIC_ARMIJO 1e-4
#define LOGISTIC_CURVATURE 0.9
#define LOGISTIC_MAX_EVALS_PER_SEARCH 40

/* ---- the objective ------------------------------------------------------ */

typedef struct logistic_problem {
    const double *x, *y;
    const double *weight; /* per-row class weight (all 1 without class weights) */
    size_t n, p;
    size_t rows; /* weight rows: 1 for two classes, else n_classes */
    bool fit_intercept;
    double l2;  /* 1/C for l2, else 0 */
    size_t dim; /* rows * p + (fit_intercept ? rows : 0) */
    size_t n_blocks, chunk_rows;
    int threads;
    double *partial; /* n_blocks x (dim + 1): each block's gradient, then its loss */
    double *scratch; /* threads x chunk_rows x (rows + 1): scores, then row losses */
    const double *theta;
} logistic_problem;

/* Rows per BLAS call: few enough that OpenBLAS stays on the calling thread,
 * so the thread budget is ours to spend. OpenBLAS 0.3 threads a dgemm above
 * 2^18 multiply-adds and a dgemv from 9216 (measured); the binary fit uses
 * dgemv, everything else dgemm. */
static size_t logistic_chunk_rows(size_t p, size_t rows, bool gemv) {
    size_t work = p * rows > 0 ? p * rows : 1;
    size_t chunk = gemv ? (size_t)9215 / work : (size_t)262144 / work;
    if (chunk < 1) chunk = 1;
    if (chunk > 1024) chunk = 1024;
    return chunk;
}

/* Fixed by the number of rows alone, so sums are the same on any thread
 * count. */
static size_t logistic_blocks(size_t n) {
    size_t blocks = n / 256;
    if (blocks < 1) blocks = 1;
    if (blocks > LOGISTIC_MAX_BLOCKS) blocks = LOGISTIC_MAX_BLOCKS;
    return blocks;
}

/* e^x for -708 <= x <= 0, within about 1 ulp, without branches so that a
 * loop over it vectorises: x = k ln2 + r with |r| <= ln2 / 2, e^r by its
 * Taylor series to degree 13 (truncation below 1e-17), 2^k put in the
 * exponent bits by hand. */
static inline double logistic_exp_nonpositive(double x) {
    const double shifter = 0x1.8p52;               /* adding it rounds to an integer */
    double kd = x * 0x1.71547652b82fep0 + shifter; /* log2(e) */
    uint64_t bits;
    memcpy(&bits, &kd, sizeof bits);
    kd -= shifter;
    /* ln 2 split in two so that k ln2_hi is exact */
    double r = (x - kd * 6.93147180369123816490e-01) - kd * 1.90821492927058770002e-10;
    double poly = 1.0 / 6227020800.0; /* 1/13!, then Horner's rule down to 1 */
    poly = poly * r + 1.0 / 479001600.0;
    poly = poly * r + 1.0 / 39916800.0;
    poly = poly * r + 1.0 / 3628800.0;
    poly = poly * r + 1.0 / 362880.0;
    poly = poly * r + 1.0 / 40320.0;
    poly = poly * r + 1.0 / 5040.0;
    poly = poly * r + 1.0 / 720.0;
    poly = poly * r + 1.0 / 120.0;
    poly = poly * r + 1.0 / 24.0;
    poly = poly * r + 1.0 / 6.0;
    poly = poly * r + 0.5;
    poly = poly * r + 1.0;
    poly = poly * r + 1.0;
    /* The low bits of kd's representation hold k; the rest shifts out. */
    uint64_t scale_bits = (bits + 1023) << 52;
    double scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return poly * scale;
}

/* log(1 + e) for 0 <= e <= 1 within 2 ulp, without branches so that a loop
 * over it vectorises: 2 atanh(u) with u = e / (2 + e) <= 1/3, by its series
 * in u^2 <= 1/9 to the 33rd power (truncation below 1e-17). */
static inline double logistic_log1p_unit(double e) {
    double u = e / (2.0 + e), u2 = u * u;
    double poly = 1.0 / 33;
    for (int k = 31; k >= 1; k -= 2) poly = poly * u2 + 1.0 / k;
    return 2 * u * poly;
}

/* The binary loss of m rows whose scores are in z, turned in place into the
 * derivative of the weighted loss; loss gets each row's loss. Scores within
 * +-708 (always, but for diverging weights) take a loop that vectorises. */
static void logistic_binary_loss(const double *label, const double *weight, double *restrict z,
                                 double *restrict loss, size_t m) {
    double biggest = 0;
    for (size_t i = 0; i < m; i++) biggest = fabs(z[i]) > biggest ? fabs(z[i]) : biggest;
    if (biggest < 708.0) {
        for (size_t i = 0; i < m; i++) {
            double s = z[i], a = fabs(s), t = label[i];
            double e = logistic_exp_nonpositive(-a);
            /* the sigmoid of s from e = exp(-|s|), whatever the sign of s */
            double prob = 0.5 + copysign(0.5 * (1 - e) / (1 + e), s);
            z[i] = weight[i] * (prob - t);
            loss[i] = weight[i] * (0.5 * (s + a) + logistic_log1p_unit(e) - t * s);
        }
        return;
    }
    for (size_t i = 0; i < m; i++) {
        double s = z[i], t = label[i];
        double e = fabs(s) < 708.0 ? logistic_exp_nonpositive(-fabs(s)) : 0.0;
        double prob = s >= 0 ? 1 / (1 + e) : e / (1 + e);
        z[i] = weight[i] * (prob - t);
        loss[i] = weight[i] * ((s > 0 ? s : 0) + log1p(e) - t * s);
    }
}

/* Loss of m rows whose scores are in z (m x rows), turned in place into the
 * derivative of the weighted loss with respect to each score. row_loss is
 * scratch for m values. */
static double logistic_chunk_loss(const logistic_problem *lp, double *z, double *row_loss,
                                  size_t start, size_t m) {
    size_t rows = lp->rows;
    const double *label = lp->y + start, *weight = lp->weight + start;
    double loss = 0;
    if (rows == 1) {
        logistic_binary_loss(label, weight, z, row_loss, m);
        for (size_t i = 0; i < m; i++) loss += row_loss[i]; /* in order, not vectorised */
        return loss;
    }
    for (size_t i = 0; i < m; i++) {
        double *zi = z + i * rows;
        double wi = weight[i];
        size_t yi = (size_t)label[i];
        double top = zi[0], bottom = zi[0];
        for (size_t k = 1; k < rows; k++) {
            top = zi[k] > top ? zi[k] : top;
            bottom = zi[k] < bottom ? zi[k] : bottom;
        }
        double z_label = zi[yi], sum = 0;
        for (size_t k = 0; k < rows; k++) zi[k] -= top;
        /* Scores more than 708 below the top weigh less than 1e-307: they
         * are raised to that so the exponential stays in its range. The
         * common case has no such score, and loops that vectorise. */
        if (bottom - top < -708.0)
            for (size_t k = 0; k < rows; k++) zi[k] = zi[k] < -708.0 ? -708.0 : zi[k];
        for (size_t k = 0; k < rows; k++) zi[k] = logistic_exp_nonpositive(zi[k]);
        for (size_t k = 0; k < rows; k++) sum += zi[k]; /* in order, not vectorised */
        double scale = wi / sum;
        for (size_t k = 0; k < rows; k++) zi[k] *= scale;
        zi[yi] -= wi;
        loss += wi * (top + log(sum) - z_label);
    }
    return loss;
}

static dial_status logistic_block(void *arg, size_t begin, size_t end, int worker) {
    logistic_problem *lp = arg;
    size_t p = lp->p, rows = lp->rows, wsize = rows * p;
    const double *w = lp->theta, *b = lp->fit_intercept ? lp->theta + wsize : NULL;
    double *z = lp->scratch + (size_t)worker * lp->chunk_rows * (rows + 1);
    for (size_t block = begin; block < end; block++) {
        double *part = lp->partial + block * (lp->dim + 1);
        memset(part, 0, (lp->dim + 1) * sizeof *part);
        size_t first = lp->n * block / lp->n_blocks, last = lp->n * (block + 1) / lp->n_blocks;
        double loss = 0;
        for (size_t start = first; start < last; start += lp->chunk_rows) {
            size_t m = last - start < lp->chunk_rows ? last - start : lp->chunk_rows;
            const double *xs = lp->x + start * p;
            for (size_t i = 0; i < m; i++)
                for (size_t k = 0; k < rows; k++) z[i * rows + k] = b ? b[k] : 0.0;
            /* Without inputs there are only intercepts (BLAS refuses empty
             * matrices). */
            if (p > 0 && rows == 1)
                cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)m, (int)p, 1.0, xs, (int)p, w, 1, 1.0,
                            z, 1);
            else if (p > 0)
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)rows, (int)p, 1.0,
                            xs, (int)p, w, (int)p, 1.0, z, (int)rows);
            loss += logistic_chunk_loss(lp, z, z + lp->chunk_rows * rows, start, m);
            if (b)
                for (size_t i = 0; i < m; i++)
                    for (size_t k = 0; k < rows; k++) part[wsize + k] += z[i * rows + k];
            if (p > 0 && rows == 1)
                cblas_dgemv(CblasRowMajor, CblasTrans, (int)m, (int)p, 1.0, xs, (int)p, z, 1, 1.0,
                            part, 1);
            else if (p > 0)
                cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)rows, (int)p, (int)m, 1.0,
                            z, (int)rows, xs, (int)p, 1.0, part, (int)p);
        }
        part[lp->dim] = loss;
    }
    return DIAL_OK;
}

/* The smooth part of the objective at theta: sum of weighted losses plus
 * l2 ||W||^2 / 2, and its gradient. */
static dial_status logistic_eval(dial_ctx *ctx, logistic_problem *lp, const double *theta,
                                 double *f, double *g) {
    lp->theta = theta;
    dial_status status = dial_parallel_for(ctx, lp->threads, lp->n_blocks, logistic_block, lp);
    if (status != DIAL_OK) return status;
    size_t dim = lp->dim, wsize = lp->rows * lp->p;
    memcpy(g, lp->partial, dim * sizeof *g);
    double loss = lp->partial[dim];
    for (size_t block = 1; block < lp->n_blocks; block++) {
        const double *part = lp->partial + block * (dim + 1);
        for (size_t j = 0; j < dim; j++) g[j] += part[j];
        loss += part[dim];
    }
    if (lp->l2 > 0) {
        double norm2 = 0;
        for (size_t j = 0; j < wsize; j++) {
            norm2 += theta[j] * theta[j];
            g[j] += lp->l2 * theta[j];
        }
        loss += 0.5 * lp->l2 * norm2;
    }
    *f = loss;
    return DIAL_OK;
}

/* ---- the quasi-Newton direction ----------------------------------------- */

typedef struct logistic_memory {
    size_t dim, count, newest;
    double *s_rows, *y_rows; /* LOGISTIC_MEMORY x dim each */
    double rho[LOGISTIC_MEMORY], coef[LOGISTIC_MEMORY];
} logistic_memory;

/* Remembers one step s and gradient change y, unless the curvature s'y is
 * not safely positive (the update would lose positive definiteness). */
static void logistic_memory_push(logistic_memory *mem, const double *s, const double *y) {
    double sy = cblas_ddot((int)mem->dim, s, 1, y, 1);
    double yy = cblas_ddot((int)mem->dim, y, 1, y, 1);
    if (!(sy > DBL_EPSILON * yy) || yy == 0) return;
    size_t slot = mem->count == 0 ? 0 : (mem->newest + 1) % LOGISTIC_MEMORY;
    memcpy(mem->s_rows + slot * mem->dim, s, mem->dim * sizeof *s);
    memcpy(mem->y_rows + slot * mem->dim, y, mem->dim * sizeof *y);
    mem->rho[slot] = 1 / sy;
    mem->newest = slot;
    if (mem->count < LOGISTIC_MEMORY) mem->count++;
}

/* d = -H g by the two-loop recursion, with H0 = (s'y / y'y) I. */
static void logistic_direction(logistic_memory *mem, const double *g, double *d) {
    int dim = (int)mem->dim;
    for (int j = 0; j < dim; j++) d[j] = -g[j];
    size_t count = mem->count;
    for (size_t back = 0; back < count; back++) {
        size_t slot = (mem->newest + LOGISTIC_MEMORY - back) % LOGISTIC_MEMORY;
        const double *s = mem->s_rows + slot * mem->dim, *y = mem->y_rows + slot * mem->dim;
        mem->coef[slot] = mem->rho[slot] * cblas_ddot(dim, s, 1, d, 1);
        cblas_daxpy(dim, -mem->coef[slot], y, 1, d, 1);
    }
    if (count) {
        const double *y = mem->y_rows + mem->newest * mem->dim;
        double gamma = 1 / (mem->rho[mem->newest] * cblas_ddot(dim, y, 1, y, 1));
        cblas_dscal(dim, gamma, d, 1);
    }
    for (size_t back = count; back-- > 0;) {
        size_t slot = (mem->newest + LOGISTIC_MEMORY - back) % LOGISTIC_MEMORY;
        const double *s = mem->s_rows + slot * mem->dim, *y = mem->y_rows + slot * mem->dim;
        double beta = mem->rho[slot] * cblas_ddot(dim, y, 1, d, 1);
        cblas_daxpy(dim, mem->coef[slot] - beta, s, 1, d, 1);
    }
}

/* ---- the solvers --------------------------------------------------------- */

/* Where the solver is: the point, its objective and smooth gradient, and a
 * trial point for the line search. */
typedef struct logistic_solver {
    logistic_problem *lp;
    logistic_memory mem;
    double *theta, *grad, f;
    double *trial, *trial_grad, trial_f;
    double *best, *best_grad, best_f;
    double *dir, *step, *pseudo;
    double l1; /* 1/C for l1, else 0 */
    long evals;
} logistic_solver;

static double logistic_max_abs(const double *v, size_t n) {
    double top = 0;
    for (size_t j = 0; j < n; j++)
        if (fabs(v[j]) > top) top = fabs(v[j]);
    return top;
}

/* Evaluates theta + a dir into trial; returns the slope there along dir. */
static dial_status logistic_try(dial_ctx *ctx, logistic_solver *sv, double a, double *slope) {
    size_t dim = sv->lp->dim;
    for (size_t j = 0; j < dim; j++) sv->trial[j] = sv->theta[j] + a * sv->dir[j];
    sv->evals++;
    dial_status status = logistic_eval(ctx, sv->lp, sv->trial, &sv->trial_f, sv->trial_grad);
    if (status == DIAL_OK) *slope = cblas_ddot((int)dim, sv->trial_grad, 1, sv->dir, 1);
    return status;
}

static void logistic_keep_trial(logistic_solver *sv) {
    size_t dim = sv->lp->dim;
    sv->best_f = sv->trial_f;
    memcpy(sv->best, sv->trial, dim * sizeof *sv->best);
    memcpy(sv->best_grad, sv->trial_grad, dim * sizeof *sv->best_grad);
}

/* Minimiser of the cubic through (a, fa, da) and (b, fb, db), kept inside
 * the middle 80% of the interval; bisection when the cubic has none. */
static double logistic_cubic_step(double a, double fa, double da, double b, double fb, double db) {
    double lo = a < b ? a : b, hi = a < b ? b : a, width = hi - lo;
    double d1 = da + db - 3 * (fa - fb) / (a - b);
    double disc = d1 * d1 - da * db;
    double t = 0.5 * (a + b);
    if (disc >= 0) {
        double d2 = (b > a ? 1 : -1) * sqrt(disc);
        double denom = db - da + 2 * d2;
        if (denom != 0) t = b - (b - a) * (db + d2 - d1) / denom;
    }
    if (!isfinite(t) || t < lo + 0.1 * width || t > hi - 0.1 * width) t = 0.5 * (a + b);
    return t;
}

/* Finds a step satisfying the strong Wolfe conditions along dir (Nocedal and
 * Wright, algorithms 3.5 and 3.6, with cubic interpolation). The lowest
 * point with sufficient decrease is kept in best / best_grad / best_f;
 * *found is false when there is none. */
static dial_status logistic_line_search(dial_ctx *ctx, logistic_solver *sv, double a_init,
                                        bool *found) {
    double f0 = sv->f, d0 = cblas_ddot((int)sv->lp->dim, sv->grad, 1, sv->dir, 1);
    double wolfe = -LOGISTIC_CURVATURE * d0;
    *found = false;
    if (!(d0 < 0)) return DIAL_OK;
    /* lo: the lowest step so far with sufficient decrease (0 at first);
     * hi: the other end of the interval once a minimiser is bracketed. */
    double a_lo = 0, f_lo = f0, d_lo = d0, a_hi = 0, f_hi = 0, d_hi = 0;
    bool bracketed = false;
    double a = a_init, slope = 0;
    for (int n = 0; n < LOGISTIC_MAX_EVALS_PER_SEARCH; n++) {
        if (bracketed) {
            if (fabs(a_hi - a_lo) <= 1e-14 * fabs(a_lo > a_hi ? a_lo : a_hi)) break;
            a = logistic_cubic_step(a_lo, f_lo, d_lo, a_hi, f_hi, d_hi);
        }
        dial_status status = logistic_try(ctx, sv, a, &slope);
        if (status != DIAL_OK) return status;
        double fa = sv->trial_f;
        if (!isfinite(fa) || !isfinite(slope) || fa > f0 + LOGISTIC_ARMIJO * a * d0 || fa >= f_lo) {
            a_hi = a, f_hi = isfinite(fa) ? fa : DBL_MAX, d_hi = isfinite(slope) ? slope : 0;
            bracketed = true;
            continue;
        }
        logistic_keep_trial(sv);
        *found = true;
        if (fabs(slope) <= wolfe) return DIAL_OK;
        if (bracketed ? slope * (a_hi - a_lo) >= 0 : slope >= 0) {
            a_hi = a_lo, f_hi = f_lo, d_hi = d_lo;
            bracketed = true;
        }
        a_lo = a, f_lo = fa, d_lo = slope;
        if (!bracketed) a *= 4; /* still going down steeply: extrapolate */
    }
    /* A step with sufficient decrease but weak curvature still makes progress. */
    return DIAL_OK;
}

/* Whether a step lowered the objective by at most ftol relative to its
 * size (scipy's L-BFGS-B test). */
static bool logistic_small_decrease(double f_old, double f_new, double ftol) {
    double scale = fabs(f_old);
    if (fabs(f_new) > scale) scale = fabs(f_new);
    if (scale < 1) scale = 1;
    return (f_old - f_new) <= ftol * scale;
}

/* The pseudo-gradient of f + l1 ||W||_1: the steepest descent direction
 * (negated) of the non-smooth objective, 0 where no move decreases it. */
static void logistic_pseudo_gradient(const logistic_solver *sv, const double *theta,
                                     const double *g, double *pg) {
    size_t wsize = sv->lp->rows * sv->lp->p, dim = sv->lp->dim;
    for (size_t j = 0; j < dim; j++) {
        if (j >= wsize || sv->l1 == 0) {
            pg[j] = g[j];
        } else if (theta[j] > 0) {
            pg[j] = g[j] + sv->l1;
        } else if (theta[j] < 0) {
            pg[j] = g[j] - sv->l1;
        } else if (g[j] + sv->l1 < 0) {
            pg[j] = g[j] + sv->l1;
        } else if (g[j] - sv->l1 > 0) {
            pg[j] = g[j] - sv->l1;
        } else {
            pg[j] = 0;
        }
    }
}

static double logistic_l1_norm(const logistic_solver *sv, const double *theta) {
    double norm = 0;
    size_t wsize = sv->lp->rows * sv->lp->p;
    for (size_t j = 0; j < wsize; j++) norm += fabs(theta[j]);
    return norm;
}

/* One OWL-QN step: a backtracking search along dir, projected onto the
 * orthant of the current point (or of minus the pseudo-gradient where a
 * weight is 0). Leaves the accepted point in best; *found false when none
 * decreases the objective. */
static dial_status logistic_orthant_search(dial_ctx *ctx, logistic_solver *sv, double a_init,
                                           bool *found) {
    size_t dim = sv->lp->dim, wsize = sv->lp->rows * sv->lp->p;
    double big_f = sv->f + sv->l1 * logistic_l1_norm(sv, sv->theta);
    *found = false;
    double a = a_init;
    for (int n = 0; n < LOGISTIC_MAX_EVALS_PER_SEARCH; n++, a *= 0.5) {
        double decrease = 0;
        for (size_t j = 0; j < dim; j++) {
            double v = sv->theta[j] + a * sv->dir[j];
            if (j < wsize) {
                double orthant = sv->theta[j] != 0 ? sv->theta[j] : -sv->pseudo[j];
                if (v * orthant <= 0) v = 0;
            }
            sv->trial[j] = v;
            decrease += sv->pseudo[j] * (v - sv->theta[j]);
        }
        sv->evals++;
        dial_status status = logistic_eval(ctx, sv->lp, sv->trial, &sv->trial_f, sv->trial_grad);
        if (status != DIAL_OK) return status;
        double trial_big = sv->trial_f + sv->l1 * logistic_l1_norm(sv, sv->trial);
        if (isfinite(trial_big) && trial_big <= big_f + LOGISTIC_ARMIJO * decrease) {
            logistic_keep_trial(sv);
            *found = true;
            return DIAL_OK;
        }
    }
    return DIAL_OK;
}

/* Keeps the OWL-QN direction from leaving 0 the wrong way: a weight at 0 may
 * move only against its pseudo-gradient. Andrew and Gao also drop every
 * component whose sign disagrees with the pseudo-gradient's; that spoils the
 * quasi-Newton step on collinear inputs, so it is done only when the milder
 * rule does not leave a descent direction. */
static void logistic_orthant_direction(logistic_solver *sv, const double *pg) {
    size_t dim = sv->lp->dim, wsize = sv->lp->rows * sv->lp->p;
    double slope = 0;
    for (size_t j = 0; j < dim; j++) {
        if (j < wsize && sv->theta[j] == 0 && sv->dir[j] * pg[j] >= 0) sv->dir[j] = 0;
        slope += sv->dir[j] * pg[j];
    }
    if (slope < 0) return;
    for (size_t j = 0; j < dim; j++)
        if (sv->dir[j] * pg[j] >= 0) sv->dir[j] = 0;
}

/* L-BFGS (l1 = 0) or OWL-QN (l1 > 0) from theta = 0. */
static dial_status logistic_minimise(dial_ctx *ctx, logistic_solver *sv, double tol,
                                     long max_iter) {
    size_t dim = sv->lp->dim;
    bool owlqn = sv->l1 > 0;
    dial_status status = logistic_eval(ctx, sv->lp, sv->theta, &sv->f, sv->grad);
    if (status != DIAL_OK) return status;
    sv->evals = 1;
    long iter = 0;
    bool converged = false;
    while (!converged) {
        const double *g = sv->grad;
        if (owlqn) {
            logistic_pseudo_gradient(sv, sv->theta, sv->grad, sv->pseudo);
            g = sv->pseudo;
        }
        if (logistic_max_abs(g, dim) <= tol) {
            converged = true;
            break;
        }
        if (iter >= max_iter) break;
        logistic_direction(&sv->mem, g, sv->dir);
        if (owlqn) logistic_orthant_direction(sv, g);
        /* The first step has no curvature yet: scale it to unit length, as
         * L-BFGS-B does. */
        double a0 = 1;
        if (sv->mem.count == 0) {
            double norm = cblas_dnrm2((int)dim, sv->dir, 1);
            a0 = norm > 0 ? 1 / norm : 1;
        }
        bool found = false;
        status = owlqn ? logistic_orthant_search(ctx, sv, a0, &found)
                       : logistic_line_search(ctx, sv, a0, &found);
        if (status != DIAL_OK) return status;
        if (!found) {
            if (sv->mem.count == 0) {
                converged = true; /* not even steepest descent helps: at the optimum */
                break;
            }
            sv->mem.count = 0; /* forget curvature that misleads, retry downhill */
            continue;
        }
        iter++;
        for (size_t j = 0; j < dim; j++) {
            sv->step[j] = sv->best[j] - sv->theta[j];
            sv->dir[j] = sv->best_grad[j] - sv->grad[j];
        }
        /* Weights held at 0 did not move: their gradient change would teach
         * the memory a coupling that the projected step never uses, and make
         * the steps on the free weights too long (collinear inputs). */
        if (owlqn)
            for (size_t j = 0; j < sv->lp->rows * sv->lp->p; j++)
                if (sv->theta[j] == 0 && sv->best[j] == 0) sv->dir[j] = 0;
        logistic_memory_push(&sv->mem, sv->step, sv->dir);
        double f_old = sv->f + sv->l1 * logistic_l1_norm(sv, sv->theta);
        double f_new = sv->best_f + sv->l1 * logistic_l1_norm(sv, sv->best);
        memcpy(sv->theta, sv->best, dim * sizeof *sv->theta);
        memcpy(sv->grad, sv->best_grad, dim * sizeof *sv->grad);
        sv->f = sv->best_f;
        /* OWL-QN stops on the pseudo-gradient alone, unless rounding stalls
         * it; L-BFGS also stops like scikit-learn's when progress is slow. */
        if (logistic_small_decrease(f_old, f_new, owlqn ? 4 * DBL_EPSILON : LOGISTIC_FTOL))
            converged = true;
    }
    dial_log(ctx, DIAL_LOG_DEBUG, "logistic: %ld iterations, %ld evaluations of the loss", iter,
             sv->evals);
    if (!converged)
        dial_log(ctx, DIAL_LOG_WARN,
                 "logistic: stopped at max_iter=%ld before converging (largest gradient "
                 "component %g, tol %g); raise max_iter or tol",
                 max_iter, logistic_max_abs(owlqn ? sv->pseudo : sv->grad, dim), tol);
    return DIAL_OK;
}

/* ---- fit ------------------------------------------------------------------ */

/* The weight of each row's loss: 1, or for balanced classes
 * n / (n_classes count(class)). NULL when out of memory. */
double *dial_logistic_row_weights(const dial_ctx *ctx, const dial_fit_input *in, bool balanced) {
    size_t k = in->n_classes, n = in->n_rows;
    double *count = dial_calloc(ctx, k, sizeof *count);
    double *weight = dial_malloc(ctx, n * sizeof *weight + 1);
    if (!count || !weight) {
        free(count);
        free(weight);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) count[(size_t)in->y[i]] += 1;
    for (size_t i = 0; i < n; i++)
        weight[i] = balanced ? (double)n / ((double)k * count[(size_t)in->y[i]]) : 1.0;
    free(count);
    return weight;
}

static dial_status logistic_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                                dial_tensors *learned) {
    if (in->task != DIAL_TASK_CLASSIFICATION)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "model 'logistic' does classification only, not %s; use 'linear' for "
                         "regression",
                         dial_task_name(in->task));
    if (in->n_classes < 2)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "logistic needs at least 2 classes in the target, found %zu",
                         in->n_classes);
    if (in->n_rows == 0)
        return dial_fail(ctx, DIAL_ERR_DATA, "logistic: no training rows to fit on");
    for (size_t i = 0; i < in->n_rows; i++) {
        double label = in->y[i];
        if (!(label >= 0 && label < (double)in->n_classes && label == floor(label)))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "logistic: target of row %zu is %g, expected a class index in 0..%zu",
                             i + 1, label, in->n_classes - 1);
    }
    const char *penalty = dial_knobs_choice(knobs, "penalty");
    double c = dial_knobs_float(knobs, "C");
    bool balanced = strcmp(dial_knobs_choice(knobs, "class_weight"), "balanced") == 0;
    if (in->sparse) return dial_logistic_fit_sparse(ctx, knobs, in, learned);
    double tol = dial_knobs_float(knobs, "tol");
    long max_iter = dial_knobs_int(knobs, "max_iter");

    size_t rows = in->n_classes == 2 ? 1 : in->n_classes, p = in->n_features;
    logistic_problem lp = {.x = in->x,
                           .y = in->y,
                           .n = in->n_rows,
                           .p = p,
                           .rows = rows,
                           .fit_intercept = dial_knobs_bool(knobs, "fit_intercept"),
                           .l2 = strcmp(penalty, "l2") == 0 ? 1 / c : 0,
                           .n_blocks = logistic_blocks(in->n_rows),
                           .chunk_rows = logistic_chunk_rows(p, rows, rows == 1),
                           .threads = dial_ctx_threads(ctx)};
    lp.dim = rows * p + (lp.fit_intercept ? rows : 0);
    if ((size_t)lp.threads > lp.n_blocks) lp.threads = (int)lp.n_blocks;
    /* Below about half a million multiply-adds per pass, starting threads costs
     * more than it saves. */
    if (lp.n * (p > 0 ? p : 1) * rows < LOGISTIC_PARALLEL_WORK) lp.threads = 1;
    logistic_solver sv = {.lp = &lp, .l1 = strcmp(penalty, "l1") == 0 ? 1 / c : 0};
    sv.mem.dim = lp.dim;

    size_t dim = lp.dim + 1; /* never 0 */
    double *weight = dial_logistic_row_weights(ctx, in, balanced);
    lp.weight = weight;
    lp.partial = dial_malloc(ctx, lp.n_blocks * dim * sizeof *lp.partial);
    lp.scratch =
        dial_malloc(ctx, (size_t)lp.threads * lp.chunk_rows * (rows + 1) * sizeof *lp.scratch);
    double *work = dial_calloc(ctx, 9 * dim, sizeof *work);
    sv.mem.s_rows = dial_malloc(ctx, 2 * LOGISTIC_MEMORY * dim * sizeof *sv.mem.s_rows);
    dial_status status = DIAL_OK;
    if (!weight || !lp.partial || !lp.scratch || !work || !sv.mem.s_rows) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory fitting logistic on %zu x %zu",
                           in->n_rows, p);
    } else {
        sv.mem.y_rows = sv.mem.s_rows + LOGISTIC_MEMORY * dim;
        double **slots[] = {&sv.theta,     &sv.grad, &sv.trial, &sv.trial_grad, &sv.best,
                            &sv.best_grad, &sv.dir,  &sv.step,  &sv.pseudo};
        for (size_t s = 0; s < sizeof slots / sizeof slots[0]; s++) *slots[s] = work + s * dim;
        status = logistic_minimise(ctx, &sv, tol, max_iter);
    }
    for (size_t j = 0; status == DIAL_OK && j < lp.dim; j++)
        if (!isfinite(sv.theta[j]))
            status = dial_fail(ctx, DIAL_ERR_NUMERIC,
                               "logistic: the fit gave a non-finite weight; scale the features "
                               "or lower C");
    double *coef = NULL, *intercept = NULL;
    size_t coef_shape[2] = {rows, p}, intercept_shape[1] = {rows};
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "coef", DIAL_F64, 2, coef_shape, (void **)&coef);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "intercept", DIAL_F64, 1, intercept_shape,
                                  (void **)&intercept);
    if (status == DIAL_OK) {
        memcpy(coef, sv.theta, rows * p * sizeof *coef);
        for (size_t k = 0; k < rows; k++)
            intercept[k] = lp.fit_intercept ? sv.theta[rows * p + k] : 0.0;
    }
    free(weight);
    free(lp.partial);
    free(lp.scratch);
    free(work);
    free(sv.mem.s_rows);
    return status;
}

/* ---- predict -------------------------------------------------------------- */

typedef struct logistic_scorer {
    const double *x, *coef, *intercept;
    size_t n, p, rows, chunk_rows;
    double *scratch; /* threads x chunk_rows x rows */
    dial_predict_output *out;
} logistic_scorer;

static dial_status logistic_score_chunks(void *arg, size_t begin, size_t end, int worker) {
    logistic_scorer *sc = arg;
    size_t p = sc->p, rows = sc->rows, classes = rows == 1 ? 2 : rows;
    double *z = sc->scratch + (size_t)worker * sc->chunk_rows * rows;
    for (size_t chunk = begin; chunk < end; chunk++) {
        size_t start = chunk * sc->chunk_rows;
        size_t m = sc->n - start < sc->chunk_rows ? sc->n - start : sc->chunk_rows;
        const double *xs = sc->x + start * p;
        for (size_t i = 0; i < m; i++) memcpy(z + i * rows, sc->intercept, rows * sizeof *z);
        if (p)
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)rows, (int)p, 1.0, xs,
                        (int)p, sc->coef, (int)p, 1.0, z, (int)rows);
        for (size_t i = 0; i < m; i++) {
            const double *zi = z + i * rows;
            double *proba = sc->out->proba ? sc->out->proba + (start + i) * classes : NULL;
            if (rows == 1) {
                sc->out->value[start + i] = zi[0] > 0 ? 1.0 : 0.0;
                if (proba) {
                    double e = exp(-fabs(zi[0]));
                    double positive = zi[0] >= 0 ? 1 / (1 + e) : e / (1 + e);
                    proba[0] = 1 - positive;
                    proba[1] = positive;
                }
                continue;
            }
            size_t top = 0;
            for (size_t k = 1; k < rows; k++)
                if (zi[k] > zi[top]) top = k;
            sc->out->value[start + i] = (double)top;
            if (proba) {
                double sum = 0;
                for (size_t k = 0; k < rows; k++) sum += proba[k] = exp(zi[k] - zi[top]);
                for (size_t k = 0; k < rows; k++) proba[k] /= sum;
            }
        }
    }
    return DIAL_OK;
}

/* A model file's weights: the shapes predict checks, and every value finite
 * (a NaN weight would give the same class for every row). */
static dial_status logistic_validate(dial_ctx *ctx, const dial_knobs *knobs,
                                     const dial_tensors *learned, const dial_fit_input *in) {
    (void)knobs;
    return dial_linear_weights_validate(ctx, "logistic", learned, in);
}

static dial_status logistic_predict(dial_ctx *ctx, const dial_knobs *knobs,
                                    const dial_tensors *learned, const dial_fit_input *in,
                                    dial_predict_output *out) {
    const double *coef = NULL, *intercept = NULL;
    size_t rows = 0;
    dial_status status =
        dial_linear_weights(ctx, "logistic", learned, in, &coef, &intercept, &rows);
    if (status != DIAL_OK) return status;
    if (in->n_rows == 0) return DIAL_OK;
    if (in->sparse) {
        dial_dual_rows x = {in->sparse, NULL, in->n_rows};
        return dial_logistic_score_sparse(ctx, &x, coef, intercept, in->n_features, rows, out);
    }
    logistic_scorer sc = {.x = in->x,
                          .coef = coef,
                          .intercept = intercept,
                          .n = in->n_rows,
                          .p = in->n_features,
                          .rows = rows,
                          .chunk_rows = logistic_chunk_rows(in->n_features, rows, false),
                          .out = out};
    size_t chunks = (sc.n + sc.chunk_rows - 1) / sc.chunk_rows;
    int threads = dial_ctx_threads(ctx);
    if ((size_t)threads > chunks) threads = (int)chunks;
    if (sc.n * (sc.p > 0 ? sc.p : 1) * rows < LOGISTIC_PARALLEL_WORK) threads = 1;
    sc.scratch = dial_malloc(ctx, (size_t)threads * sc.chunk_rows * rows * sizeof *sc.scratch);
    if (!sc.scratch) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory predicting logistic");
    status = dial_parallel_for(ctx, threads, chunks, logistic_score_chunks, &sc);
    free(sc.scratch);
    return status;
}

const dial_model_family dial_model_logistic = {
    .name = "logistic",
    .summary = "logistic regression, binary or multinomial, with an l2, l1 or no penalty",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION),
    .has_proba = true,
    .knobs = logistic_knobs,
    .n_knobs = sizeof logistic_knobs / sizeof logistic_knobs[0],
    .params = logistic_params,
    .n_params = sizeof logistic_params / sizeof logistic_params[0],
    .nonparametric_doc = NULL,
    .fit = logistic_fit,
    .predict = logistic_predict,
    .validate = logistic_validate,
    .coefficients = "coef",
    .tuning = &dial_logistic_tuning,
    .sparse_input = true,
};

/*
 * Losses of gradient boosting: derivatives, starting scores, loss values.
 *
 * The second derivatives follow XGBoost 1.7, so that the same knobs give
 * the same trees: p(1 - p) for the logistic loss, 2 p (1 - p) for the
 * softmax (XGBoost's multi:softprob, which doubles it to take shorter
 * steps), both floored at 1e-16, and 1 for the squared error. The absolute
 * error and Huber losses use a hessian of 1 (as XGBoost's
 * reg:absoluteerror and LightGBM's huber): their true second derivative is
 * 0 almost everywhere, which would give no Newton step.
 *
 * The softmax takes n_classes exponentials per row and round, the largest
 * cost of a round outside the trees; they go through a branch-free
 * exponential that the compiler vectorises.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/gbdt_loss.h"
#include "models/svm_vector.h" /* how hot loops are compiled: one copy per instruction set */

#define LOSS_MIN_HESSIAN 1e-16
#define LOSS_BLOCK 64

size_t dial_gbdt_loss_scores(dial_gbdt_loss loss, size_t n_classes) {
    return loss == DIAL_GBDT_SOFTMAX ? n_classes : 1;
}

/* The larger of x and c, within an ulp of the larger magnitude, without a
 * comparison: GCC keeps comparisons of doubles out of vectorised loops
 * unless told that they cannot trap. */
SVM_INLINE double loss_max(double x, double c) { return 0.5 * ((x + c) + fabs(x - c)); }

/* e^x for x <= 0 (clamped at -700), to about 1e-11 relative (the
 * derivatives it feeds are stored as floats): x = k ln2 + r with
 * |r| <= ln2 / 2, e^r by Taylor's series to degree 9, and 2^k written
 * into the exponent bits. Integer work stays in 64-bit lanes (no
 * double-to-integer conversion, which SSE2 cannot vectorise): adding
 * 1.5 * 2^52 rounds x log2(e) to the integer k and leaves k in the low
 * bits of the sum's representation. */
SVM_INLINE double loss_exp(double x) {
    x = loss_max(x, -700.0);
    const double round_shift = 6755399441055744.0; /* 1.5 * 2^52 */
    double shifted = x * 1.4426950408889634 + round_shift;
    double k = shifted - round_shift;
    double r = (x - k * 0.6931471803691238) - k * 1.9082149292705877e-10;
    double p = 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    uint64_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    bits = (bits + 1023) << 52; /* the low 12 bits hold k + 1023, the biased exponent */
    double scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* ---- the median ------------------------------------------------------------ */

/* Moves the k-th smallest of v[0 .. n) to v[k], smaller ones before it
 * (quickselect with Hoare's partition around a median of three). */
static void loss_select(double *v, size_t n, size_t k) {
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, target = (ptrdiff_t)k;
    while (hi > lo) {
        double a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot) i++;
            while (pivot < v[j]) j--;
            if (i <= j) {
                double t = v[i];
                v[i] = v[j];
                v[j] = t;
                i++;
                j--;
            }
        }
        if (target <= j)
            hi = j;
        else if (target >= i)
            lo = i;
        else
            return;
    }
}

double dial_gbdt_median(double *values, size_t n) {
    if (n == 0) return 0;
    size_t half = n / 2;
    loss_select(values, n, half);
    double upper = values[half];
    if (n % 2) return upper;
    double lower = values[0]; /* the largest of the lower half */
    for (size_t i = 1; i < half; i++)
        if (values[i] > lower) lower = values[i];
    return lower * 0.5 + upper * 0.5;
}

/* ---- the starting score ------------------------------------------------------ */

dial_status dial_gbdt_loss_base(dial_ctx *ctx, dial_gbdt_loss loss, const double *y,
                                const size_t *rows, size_t n, size_t n_classes, double *base) {
    switch (loss) {
    case DIAL_GBDT_LOGISTIC: {
        double positive = 0;
        for (size_t i = 0; i < n; i++) positive += y[rows ? rows[i] : i] == 1;
        double p = n ? positive / (double)n : 0.5;
        /* a fold with one class must still start from a finite score */
        if (p < 1e-6) p = 1e-6;
        if (p > 1 - 1e-6) p = 1 - 1e-6;
        base[0] = log(p / (1 - p));
        return DIAL_OK;
    }
    case DIAL_GBDT_SOFTMAX: {
        for (size_t k = 0; k < n_classes; k++) base[k] = 0;
        for (size_t i = 0; i < n; i++) {
            double c = y[rows ? rows[i] : i];
            if (c >= 0 && c < (double)n_classes) base[(size_t)c] += 1;
        }
        for (size_t k = 0; k < n_classes; k++) {
            double p = n ? base[k] / (double)n : 1.0 / (double)n_classes;
            base[k] = log(p < 1e-12 ? 1e-12 : p);
        }
        return DIAL_OK;
    }
    case DIAL_GBDT_SQUARED: {
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += y[rows ? rows[i] : i];
        base[0] = n ? sum / (double)n : 0;
        return DIAL_OK;
    }
    case DIAL_GBDT_ABSOLUTE:
    case DIAL_GBDT_HUBER: {
        double *copy = dial_malloc(ctx, (n ? n : 1) * sizeof *copy);
        if (!copy) return dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory for the median");
        for (size_t i = 0; i < n; i++) copy[i] = y[rows ? rows[i] : i];
        base[0] = dial_gbdt_median(copy, n);
        free(copy);
        return DIAL_OK;
    }
    }
    return DIAL_OK;
}

/* ---- derivatives ------------------------------------------------------------ */

/* e[i] = exp(margin[i] - top[i]) and sum[i] += e[i], over m rows. */
SVM_INLINE void loss_exp_rows(const double *restrict margin, const double *restrict top,
                              double *restrict e, double *restrict sum, size_t m) {
    for (size_t i = 0; i < m; i++) {
        e[i] = loss_exp(margin[i] - top[i]);
        sum[i] += e[i];
    }
}

/* One class's derivatives from its exponentials e and the rows' 1 / sum;
 * the row's own class gets its -1 afterwards. */
SVM_INLINE void loss_softmax_pairs(const double *restrict e, const double *restrict inverse,
                                   dial_gbdt_pair *restrict pairs, size_t m) {
    for (size_t i = 0; i < m; i++) {
        double p = e[i] * inverse[i];
        pairs[i].g = (float)p;
        pairs[i].h = (float)loss_max(2.0 * p * (1.0 - p), LOSS_MIN_HESSIAN);
    }
}

/* The softmax of rows [begin, begin + m): each exponential is taken once
 * and kept in e (n_scores x LOSS_BLOCK). */
SVM_VECTOR_CLONES
static void loss_softmax_block(const double *y, const double *margin, size_t n, size_t n_scores,
                               size_t begin, size_t m, dial_gbdt_pair *pairs, double *e) {
    double top[LOSS_BLOCK], sum[LOSS_BLOCK];
    for (size_t i = 0; i < m; i++) top[i] = margin[begin + i], sum[i] = 0;
    for (size_t k = 1; k < n_scores; k++) {
        const double *mk = margin + k * n + begin;
        for (size_t i = 0; i < m; i++) top[i] = mk[i] > top[i] ? mk[i] : top[i];
    }
    for (size_t k = 0; k < n_scores; k++)
        loss_exp_rows(margin + k * n + begin, top, e + k * LOSS_BLOCK, sum, m);
    for (size_t i = 0; i < m; i++) sum[i] = 1.0 / sum[i];
    for (size_t k = 0; k < n_scores; k++)
        loss_softmax_pairs(e + k * LOSS_BLOCK, sum, pairs + k * n + begin, m);
    for (size_t i = 0; i < m; i++) {
        size_t c = (size_t)y[begin + i];
        pairs[c * n + begin + i].g = (float)(e[c * LOSS_BLOCK + i] * sum[i] - 1.0);
    }
}

size_t dial_gbdt_loss_scratch(dial_gbdt_loss loss, size_t n_scores) {
    return loss == DIAL_GBDT_SOFTMAX ? n_scores * LOSS_BLOCK : 0;
}

void dial_gbdt_loss_gradients(dial_gbdt_loss loss, double delta, const double *y,
                              const double *margin, size_t n, size_t n_scores, size_t begin,
                              size_t end, dial_gbdt_pair *pairs, double *scratch) {
    switch (loss) {
    case DIAL_GBDT_LOGISTIC:
        for (size_t i = begin; i < end; i++) {
            double s = margin[i], e = loss_exp(-fabs(s));
            double p = s >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
            double h = p * (1.0 - p);
            pairs[i].g = (float)(p - y[i]);
            pairs[i].h = (float)(h > LOSS_MIN_HESSIAN ? h : LOSS_MIN_HESSIAN);
        }
        return;
    case DIAL_GBDT_SOFTMAX:
        for (size_t at = begin; at < end; at += LOSS_BLOCK) {
            size_t m = end - at < LOSS_BLOCK ? end - at : LOSS_BLOCK;
            loss_softmax_block(y, margin, n, n_scores, at, m, pairs, scratch);
        }
        return;
    case DIAL_GBDT_SQUARED:
        for (size_t i = begin; i < end; i++)
            pairs[i] = (dial_gbdt_pair){(float)(margin[i] - y[i]), 1};
        return;
    case DIAL_GBDT_ABSOLUTE:
        for (size_t i = begin; i < end; i++) {
            double r = margin[i] - y[i];
            pairs[i] = (dial_gbdt_pair){(float)((r > 0) - (r < 0)), 1};
        }
        return;
    case DIAL_GBDT_HUBER:
        for (size_t i = begin; i < end; i++) {
            double r = margin[i] - y[i];
            double g = r > delta ? delta : (r < -delta ? -delta : r);
            pairs[i] = (dial_gbdt_pair){(float)g, 1};
        }
        return;
    }
}

/* ---- the loss -------------------------------------------------------------- */

static double loss_row(dial_gbdt_loss loss, double delta, const double *y, const double *margin,
                       size_t n, size_t n_scores, size_t i) {
    switch (loss) {
    case DIAL_GBDT_LOGISTIC: {
        double s = margin[i];
        return log1p(exp(-fabs(s))) + (s > 0 ? s : 0) - y[i] * s;
    }
    case DIAL_GBDT_SOFTMAX: {
        double top = margin[i], sum = 0;
        for (size_t k = 1; k < n_scores; k++)
            top = margin[k * n + i] > top ? margin[k * n + i] : top;
        for (size_t k = 0; k < n_scores; k++) sum += exp(margin[k * n + i] - top);
        size_t c = (size_t)y[i];
        return top + log(sum) - margin[(c < n_scores ? c : 0) * n + i];
    }
    case DIAL_GBDT_SQUARED: {
        double r = margin[i] - y[i];
        return 0.5 * r * r;
    }
    case DIAL_GBDT_ABSOLUTE: return fabs(margin[i] - y[i]);
    case DIAL_GBDT_HUBER: {
        double r = fabs(margin[i] - y[i]);
        return r <= delta ? 0.5 * r * r : delta * (r - 0.5 * delta);
    }
    }
    return 0;
}

double dial_gbdt_loss_value(dial_gbdt_loss loss, double delta, const double *y,
                            const double *margin, size_t n, size_t n_scores, const size_t *rows,
                            size_t m) {
    double sum = 0;
    for (size_t j = 0; j < m; j++) sum += loss_row(loss, delta, y, margin, n, n_scores, rows[j]);
    return m ? sum / (double)m : 0;
}

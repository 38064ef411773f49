/*
 * PED-ANOVA (Watanabe, Bansal and Hutter, "PED-ANOVA: Efficiently
 * Quantifying Hyperparameter Importance in Arbitrary Subspaces", IJCAI
 * 2023). The variance of a knob's marginal of the indicator "the trial is
 * in the top quantile gamma" is gamma^2 times the Pearson divergence
 * between the knob's density among the top trials and among all of them
 * (their Theorem 1), so a knob whose good values sit apart from where the
 * search went matters, and no model is fitted: the cost is a sort and one
 * density per knob, which suits studies of thousands of trials.
 *
 * As Optuna's PedAnovaImportanceEvaluator: gamma = 0.1 (at least two
 * trials), the densities are Parzen estimators (a Gaussian per trial with
 * Scott's bandwidth, plus a uniform prior of one trial's weight, so that a
 * region no top trial reached is not of density 0) discretised on 50 cells
 * of the knob's unit axis; a categorical's density is its categories'
 * counts plus the same prior. The shares then divide out gamma^2.
 */
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/knob_importance_internal.h"

#define PED_QUANTILE 0.1
#define PED_CELLS 50
#define PED_PRIOR_WEIGHT 1.0

typedef struct ped_rank {
    double y;
    size_t row;
} ped_rank;

static int rank_compare(const void *a, const void *b) {
    const ped_rank *p = a, *q = b;
    if (p->y < q->y) return -1;
    if (p->y > q->y) return 1;
    return (p->row > q->row) - (p->row < q->row);
}

static int double_compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Scott's bandwidth for values (sorted; n > 0), at least one cell. */
static double scott_bandwidth(const double *values, size_t n) {
    double mean = 0, spread = 0;
    for (size_t i = 0; i < n; i++) mean += values[i] / (double)n;
    for (size_t i = 0; i < n; i++) spread += (values[i] - mean) * (values[i] - mean);
    double sd = n > 1 ? sqrt(spread / (double)(n - 1)) : 0;
    double iqr = values[(3 * (n - 1)) / 4] - values[(n - 1) / 4];
    double sigma = iqr > 0 ? fmin(sd, iqr / 1.34) : sd;
    return fmax(1.059 * sigma * pow((double)n, -0.2), 1.0 / PED_CELLS);
}

/* The density of values (n of them, sorted) over the cells of the unit
 * axis (numeric) or over k categories, into p (summing to 1). */
static void parzen(const double *values, size_t n, size_t k, double *p) {
    size_t cells = k ? k : PED_CELLS;
    for (size_t g = 0; g < cells; g++) p[g] = PED_PRIOR_WEIGHT / (double)cells;
    if (k) {
        for (size_t i = 0; i < n; i++) {
            size_t c = (size_t)values[i];
            if (c < k) p[c] += 1;
        }
    } else {
        double h = scott_bandwidth(values, n);
        double *kernel = p + cells; /* scratch after the cells */
        for (size_t i = 0; i < n; i++) {
            double total = 0;
            for (size_t g = 0; g < cells; g++) {
                double d = ((double)g + 0.5) / cells - values[i];
                kernel[g] = exp(-0.5 * d * d / (h * h));
                total += kernel[g];
            }
            /* Each trial weighs one inside the axis: its kernel is cut at
             * the ends and renormalised, as a truncated Gaussian. */
            for (size_t g = 0; g < cells && total > 0; g++) p[g] += kernel[g] / total;
        }
    }
    double sum = 0;
    for (size_t g = 0; g < cells; g++) sum += p[g];
    for (size_t g = 0; g < cells; g++) p[g] /= sum;
}

dial_status dial_knob_ped_anova(dial_ctx *ctx, const dial_knob_matrix *m, size_t c, bool minimize,
                                double *out) {
    size_t n = m->n_rows, k = m->n_categories[c];
    size_t cells = k ? k : PED_CELLS;
    size_t top = (size_t)ceil(PED_QUANTILE * (double)n);
    if (top < 2) top = 2;
    if (top > n) top = n;
    ped_rank *ranks = dial_malloc_array(ctx, n, sizeof *ranks);
    double *all = dial_malloc_array(ctx, n, sizeof *all);
    double *best = dial_malloc_array(ctx, n, sizeof *best);
    double *p_all = dial_malloc_array(ctx, 2 * cells, sizeof *p_all);
    double *p_top = dial_malloc_array(ctx, 2 * cells, sizeof *p_top);
    dial_status status = ranks && all && best && p_all && p_top
                             ? DIAL_OK
                             : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for PED-ANOVA");
    if (status == DIAL_OK) {
        for (size_t r = 0; r < n; r++) {
            ranks[r] = (ped_rank){minimize ? m->y[r] : -m->y[r], r};
            all[r] = m->x[r * m->n_cols + c];
        }
        qsort(ranks, n, sizeof *ranks, rank_compare);
        for (size_t i = 0; i < top; i++) best[i] = m->x[ranks[i].row * m->n_cols + c];
        qsort(all, n, sizeof *all, double_compare);
        qsort(best, top, sizeof *best, double_compare);
        parzen(all, n, k, p_all);
        parzen(best, top, k, p_top);
        double divergence = 0;
        for (size_t g = 0; g < cells; g++) {
            double d = p_top[g] - p_all[g];
            divergence += d * d / p_all[g];
        }
        *out = divergence;
    }
    free(ranks);
    free(all);
    free(best);
    free(p_all);
    free(p_top);
    return status;
}

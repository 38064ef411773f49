/*
 * dial/drift.h: the drift reference a model file keeps, and the comparison
 * of new data against it (docs/drift.md, docs/modelfile.md).
 *
 * At fit time the model records what its training rows looked like: per
 * feature a histogram (quantile bin edges and counts for a numeric one,
 * level counts for a categorical one, the missing count) and summary
 * statistics; the target's distribution; and the cross-validated score
 * dial tune measured, when there was one. Later, with no access to the
 * training data, new rows are compared with it: population stability
 * index and a two-sample test per feature, new levels, missing shares,
 * and the model's score against its recorded CV score, giving a verdict:
 * keep, retrain or re-tune.
 */
#ifndef DIAL_DRIFT_H
#define DIAL_DRIFT_H

#include "dial/core.h"
#include "dial/data.h"
#include "dial/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The layout of the header's "drift_reference" section. */
#define DIAL_DRIFT_REFERENCE_VERSION 1
/* Quantile bins of a numeric feature's histogram (fewer when values tie). */
#define DIAL_DRIFT_BINS 20
/* A reference covers at most this many features, and stops before its
 * JSON passes DIAL_DRIFT_MAX_BYTES; the rest are named in its limit. */
#define DIAL_DRIFT_MAX_FEATURES 1000
#define DIAL_DRIFT_MAX_BYTES ((size_t)1 << 20)

/* One column's distribution at fit time.
 * Numeric: edges[0] < edges[1] < ... < edges[n_cells - 1] are training
 * values: every distinct value when there are at most 21, else the
 * minimum, the 1/20, 2/20, ... quantiles taken as the value at sorted
 * position floor(k (count - 1) / 20), ties merged, and the maximum;
 * counts[0] is the rows equal to edges[0] and counts[k] the rows in
 * (edges[k - 1], edges[k]], so the counts sum to count.
 * Categorical: counts[k] is the rows of level k of the model's schema
 * (edges NULL), n_cells the number of levels. */
typedef struct dial_drift_column {
    char *name;
    dial_column_type type;
    size_t feature;   /* the feature's index in the model's schema; 0 for the target */
    uint64_t count;   /* rows with a value */
    uint64_t missing; /* rows without one */
    /* numeric, over the rows with a value (sd with n - 1; 0 for one row);
     * NaN for a categorical column or when count is 0 */
    double mean, sd, min, max;
    size_t n_cells;
    double *edges;    /* numeric: n_cells; NULL otherwise */
    uint64_t *counts; /* n_cells */
    /* numeric: of counts[k], the rows equal to edges[k] (at_edge[0] is
     * counts[0]), so a value many rows share keeps its jump in the CDF;
     * NULL otherwise */
    uint64_t *at_edge;
} dial_drift_column;

/* The cross-validated score dial tune measured for the model's knobs. */
typedef struct dial_drift_cv {
    char *metric;    /* a dial_metric_name */
    bool maximize;   /* greater is better */
    double mean, sd; /* over the fold scores (sd: population, as the tuner keeps) */
    size_t n_scores; /* fold scores: folds x repeats */
    size_t n_folds;
    size_t n_rows; /* rows the cross-validation split */
} dial_drift_cv;

typedef struct dial_drift_reference {
    uint64_t n_rows;         /* training rows */
    size_t n_model_features; /* the model's features */
    size_t n_features;       /* of which the reference covers these */
    dial_drift_column *features;
    /* NULL when every feature is covered; else how they were chosen, as
     * the file says ("the 1000 most important features") */
    char *limit;
    bool has_target;          /* false for a model without a target */
    dial_drift_column target; /* categorical over the model's classes, or numeric */
    bool has_cv;              /* false when the knobs were not tuned */
    dial_drift_cv cv;
} dial_drift_reference;

/* Frees a reference and everything it owns; NULL is harmless. */
DIAL_API void dial_drift_reference_free(dial_drift_reference *reference);

/* Computes the reference of the rows of train (the rows model was fitted
 * on, bound as for dial_model_predict: its features in the model's order,
 * and its target, if any, as the model encodes it) and keeps it on model,
 * replacing any it had, so dial_model_save writes it. The CV score is
 * taken from the model's tuning record (dial_model_set_tuning first) when
 * it has one. Errors: DIAL_ERR_ARGUMENT (a view whose features are not
 * the model's), DIAL_ERR_NOMEM; the model is unchanged on error. */
DIAL_API dial_status dial_model_set_drift_reference(dial_ctx *ctx, dial_model *model,
                                                    const dial_view *train);

/* Whether the model carries a drift reference (files written before it
 * do not). */
DIAL_API bool dial_model_has_drift_reference(const dial_model *model);

/* The model's drift reference, decoded and checked against the model's
 * schema. On success *out is a new reference (free with
 * dial_drift_reference_free), or NULL when the model has none. Errors:
 * DIAL_ERR_FORMAT with a message naming the part that is wrong (a model
 * loaded from a file was checked at load, so only a model whose reference
 * was set otherwise can fail so), DIAL_ERR_NOMEM. */
DIAL_API dial_status dial_model_drift_reference(dial_ctx *ctx, const dial_model *model,
                                                dial_drift_reference **out);

/* ---- comparing new rows with the reference ------------------------------ */

/* Shares below this are raised to it inside the PSI's logarithm, so an
 * empty bin counts as a rare one instead of an infinite term. */
#define DIAL_DRIFT_PSI_EPSILON 1e-4

/* How one feature (or the target) of the new rows compares. */
typedef struct dial_drift_feature_result {
    size_t feature;   /* index in the model's schema */
    const char *name; /* borrowed from the reference */
    dial_column_type type;
    double psi;
    /* "ks" for a numeric feature, "chi2" for a categorical one */
    const char *test;
    double statistic; /* D of the KS test, or the chi-squared value */
    double df;        /* chi-squared degrees of freedom; 0 for KS */
    double p_value;
    uint64_t count, missing; /* the new rows with and without a value */
    double missing_share;    /* of the new rows */
    double reference_missing_share;
    uint64_t new_level_rows; /* rows of a level the model never saw */
    size_t n_new_levels;
    char **new_levels; /* their names (owned), in order of first appearance */
    double importance; /* the model's, NaN when it learns none */
    bool drifted;      /* psi >= psi_threshold and p_value < p_threshold */
} dial_drift_feature_result;

/* Compares the rows of rows (bound with dial_model_bind) with the
 * reference, feature by feature. importance: NULL, or the model's
 * importance per feature of its schema (dial_model_feature_importance).
 * thresholds decide `drifted`. On success *out holds reference->n_features
 * results sorted by PSI, largest first (ties by schema order); free with
 * dial_drift_results_free. Errors: DIAL_ERR_ARGUMENT (rows not bound to
 * the model), DIAL_ERR_NOMEM. */
DIAL_API dial_status dial_drift_compare(dial_ctx *ctx, const dial_model *model,
                                        const dial_drift_reference *reference,
                                        const dial_view *rows, const double *importance,
                                        double psi_threshold, double p_threshold,
                                        dial_drift_feature_result **out);
DIAL_API void dial_drift_results_free(dial_drift_feature_result *results, size_t n);

/* Compares the target's values y (n entries, as the model encodes them:
 * class indices or values; NaN missing) with the reference's target. */
DIAL_API dial_status dial_drift_compare_target(dial_ctx *ctx, const dial_drift_reference *reference,
                                               const double *y, size_t n,
                                               dial_drift_feature_result *out);

/* ---- the statistics, exposed so a program can repeat them --------------- */

/* Population stability index of two distributions over the same cells:
 * sum over cells of (q - p) ln(q / p), p = reference[i] / sum(reference),
 * q = current[i] / sum(current), each share raised to
 * DIAL_DRIFT_PSI_EPSILON when below it; cells empty on both sides add
 * nothing. 0 when either side has no rows. */
DIAL_API double dial_drift_psi(const uint64_t *reference, const uint64_t *current, size_t n_cells);
/* The survival function of the Kolmogorov distribution, P(K > x):
 * 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2) for x >= 1, and
 * 1 - sqrt(2 pi) / x sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 x^2)) below (both
 * series summed until their terms vanish); 1 for x <= 0. */
DIAL_API double dial_kolmogorov_sf(double x);
/* P(D_n > d), the survival function of the two-sided Kolmogorov-Smirnov
 * statistic of n values against a continuous CDF at finite n (scipy's
 * stats.kstwo(n).sf(d), by the same methods over the same ranges of n and
 * n d^2: src/eval/ks_distribution.c); 1 for d <= 0, 0 for d >= 1, NaN for
 * n = 0 or d NaN, and NaN with DIAL_ERR_NOMEM on ctx when out of memory
 * (Durbin's matrix takes up to 440 KB). */
DIAL_API double dial_kstwo_sf(dial_ctx *ctx, uint64_t n, double d);
/* The regularised upper incomplete gamma function Q(a, x) = Gamma(a, x) /
 * Gamma(a), a > 0, x >= 0 (a series below x = a + 1, Lentz's continued
 * fraction above); the chi-squared survival function of df degrees is
 * Q(df / 2, x / 2). NaN for arguments outside that range. */
DIAL_API double dial_gamma_q(double a, double x);

#ifdef __cplusplus
}
#endif
#endif

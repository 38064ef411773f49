/*
 * dial/eval.h: metrics, splitters and the cross-validation runner.
 */
#ifndef DIAL_EVAL_H
#define DIAL_EVAL_H

#include "dial/core.h"
#include "dial/data.h"
#include "dial/knobs.h"
#include "dial/model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- metrics --------------------------------------------------------- */

typedef enum dial_metric {
    DIAL_METRIC_ACCURACY = 0,
    DIAL_METRIC_BALANCED_ACCURACY,
    DIAL_METRIC_LOG_LOSS,
    DIAL_METRIC_ROC_AUC, /* binary, or macro one-vs-rest for multiclass */
    DIAL_METRIC_F1,      /* binary (class index 1 positive), or macro for multiclass */
    DIAL_METRIC_RMSE,
    DIAL_METRIC_MAE,
    DIAL_METRIC_R2,
    /* clustering: the mean silhouette of the rows (Rousseeuw 1987), on the
     * rows' inputs and their cluster labels; see dial_metric_rows */
    DIAL_METRIC_SILHOUETTE,
    /* clustering, on the rows' inputs and clusters (as scikit-learn 1.2):
     * Davies-Bouldin (lower is better), Calinski-Harabasz (the variance
     * ratio; higher is better), inertia (the sum of squared distances of
     * the rows to the mean of their cluster; lower is better) */
    DIAL_METRIC_DAVIES_BOULDIN,
    DIAL_METRIC_CALINSKI_HARABASZ,
    DIAL_METRIC_INERTIA,
    /* clustering against known labels (y_true: the label of each row as
     * an integer >= 0): the adjusted Rand index and the normalised mutual
     * information (arithmetic mean of the entropies); higher is better */
    DIAL_METRIC_ADJUSTED_RAND,
    DIAL_METRIC_NORMALIZED_MUTUAL_INFO,
    /* clustering by a model with a likelihood (gmm), on the rows'
     * log-likelihoods under it (dial_model_log_likelihood): the Bayesian
     * and the Akaike information criteria, -2 log L + p log n and
     * -2 log L + 2 p with p the free parameters (scikit-learn's
     * GaussianMixture.bic and aic); lower is better */
    DIAL_METRIC_BIC,
    DIAL_METRIC_AIC,
    DIAL_METRIC_COUNT
} dial_metric;

/* "accuracy", "balanced_accuracy", "log_loss", "roc_auc", "f1", "rmse",
 * "mae", "r2", "silhouette", "davies_bouldin", "calinski_harabasz",
 * "inertia", "adjusted_rand", "normalized_mutual_info", "bic", "aic". */
DIAL_API const char *dial_metric_name(dial_metric metric);
/* Parses a metric name; fails with DIAL_ERR_ARGUMENT listing the names. */
DIAL_API dial_status dial_metric_parse(dial_ctx *ctx, const char *name, dial_metric *out);
DIAL_API bool dial_metric_greater_is_better(dial_metric metric);
/* Whether the metric needs class probabilities (log_loss, roc_auc). */
DIAL_API bool dial_metric_needs_proba(dial_metric metric);
/* The task the metric applies to: classification, regression or
 * clustering (silhouette and those after it). */
DIAL_API dial_task dial_metric_task(dial_metric metric);
/* Whether a clustering metric compares the clusters with known labels
 * (adjusted_rand, normalized_mutual_info), which it reads as y_true. */
DIAL_API bool dial_metric_needs_labels(dial_metric metric);
/* Whether a clustering metric reads the rows' log-likelihoods under the
 * model (bic, aic), which only a family with a likelihood gives
 * (dial_model_family.log_likelihood: gmm). */
DIAL_API bool dial_metric_needs_likelihood(dial_metric metric);
/* The default metric of a task: accuracy, r2 or silhouette. */
DIAL_API dial_metric dial_metric_default(dial_task task);

/* Whether metric fits a task and a model family, said the same way by
 * cross-validation, permutation importance, the tuner and the command
 * line: the metric is for task (target names the target in the message;
 * NULL: "?"), the family (NULL: not checked) does task, and for a metric
 * on class probabilities the family gives them, with its proba_knob true
 * in knobs (NULL: not checked). An unsupervised family's task is
 * clustering whatever task is given (dial_model_fit_task), so a metric
 * with a target is refused for it and a clustering metric for any other.
 * Fails with DIAL_ERR_ARGUMENT and a message saying which and the fix. */
DIAL_API dial_status dial_metric_check(dial_ctx *ctx, dial_metric metric, dial_task task,
                                       const char *target, const dial_model_family *family,
                                       const dial_knobs *knobs);

/* Scores predictions. y_true and y_pred hold class indices (classification)
 * or values (regression); proba is n x n_classes (NULL unless the metric
 * needs it). Fails with DIAL_ERR_ARGUMENT when n is 0 or the metric does not
 * fit the task. A clustering metric reads the rows' inputs, which this call
 * has not: use dial_metric_score_rows. */
DIAL_API dial_status dial_metric_score(dial_ctx *ctx, dial_metric metric, const double *y_true,
                                       const double *y_pred, const double *proba, size_t n,
                                       size_t n_classes, double *score);

/* Above this many rows, silhouette scores a random sample of this many
 * (as scikit-learn's silhouette_score with sample_size): it compares every
 * pair of rows, n^2 distances, which at this size already takes a moment. */
#define DIAL_SILHOUETTE_MAX_ROWS 4096

/* What a metric may read about n scored rows, all borrowed; a metric reads
 * only what its task needs and leaves the rest NULL or 0. */
typedef struct dial_metric_rows {
    size_t n;
    /* classification and regression */
    const double *y_true; /* the targets: class indices or values */
    const double *y_pred; /* predicted class indices or values; clustering: cluster indices */
    const double *proba;  /* n x n_classes, for metrics that need probabilities */
    size_t n_classes;     /* classification: the classes; 0 otherwise */
    /* clustering */
    const double *x; /* n x n_inputs, row-major: the rows as the model saw them (the
                      * preprocessed design matrix; dial_model_transform) */
    size_t n_inputs;
    uint64_t seed;   /* silhouette: the stream of its sample when n > max_rows */
    size_t max_rows; /* silhouette: 0 means DIAL_SILHOUETTE_MAX_ROWS */
    /* bic and aic: each row's log-likelihood under the model (n values;
     * dial_model_log_likelihood) and the free parameters its fit
     * estimated */
    const double *log_likelihood;
    size_t n_parameters;
} dial_metric_rows;

/* Scores rows with metric: what dial_metric_score does, and the
 * clustering metrics. silhouette: for row i of cluster A, a(i) is its mean
 * euclidean distance to the other rows of A and b(i) the smallest mean
 * distance to the rows of another cluster; s(i) = (b - a) / max(a, b), 0
 * for the only row of its cluster; the score is the mean of s over the
 * rows, in [-1, 1], greater is better (scikit-learn's silhouette_score).
 * It takes n^2 distances: above max_rows rows it scores a sample of
 * max_rows rows drawn without replacement from dial_rng_stream(seed, ..),
 * so the same seed gives the same score. davies_bouldin,
 * calinski_harabasz and inertia read x and y_pred too (all the rows: they
 * cost n x n_inputs); adjusted_rand and normalized_mutual_info read y_pred
 * and the labels y_true; bic and aic read log_likelihood and n_parameters
 * alone (DIAL_ERR_ARGUMENT without log_likelihood, DIAL_ERR_DATA for a
 * log-likelihood that is NaN or +infinity). Errors: DIAL_ERR_ARGUMENT for n 0, no x or y_pred
 * (no y_true for the metrics with labels), a label that is not an integer
 * >= -1 (-1 is dbscan's noise, scored as one more cluster), fewer than 2 clusters or as many as
 * rows for silhouette, davies_bouldin and calinski_harabasz (the score is then undefined);
 * DIAL_ERR_DATA for a non-finite input (naming the row and the input);
 * DIAL_ERR_NOMEM; and those of dial_metric_score. */
DIAL_API dial_status dial_metric_score_rows(dial_ctx *ctx, dial_metric metric,
                                            const dial_metric_rows *rows, double *score);

/* The confusion matrix of classification predictions: counts[t * n_classes
 * + p] is the number of rows of true class t predicted as class p (rows
 * true, columns predicted, as scikit-learn's confusion_matrix), so the
 * counts sum to n and the diagonal holds the hits. y_true and y_pred hold
 * class indices; counts (n_classes x n_classes, the caller's) is
 * overwritten. Fails with DIAL_ERR_ARGUMENT, counts untouched, when
 * n_classes is 0 or a value is not a class index (naming the row). */
DIAL_API dial_status dial_confusion_matrix(dial_ctx *ctx, const double *y_true,
                                           const double *y_pred, size_t n, size_t n_classes,
                                           size_t *counts);

/* ---- splitters ------------------------------------------------------- */

typedef struct dial_split {
    size_t *train, *test; /* owned row indices into the dataset, ascending */
    size_t n_train, n_test;
    size_t repeat, fold;
} dial_split;

typedef struct dial_splits {
    size_t count;
    dial_split *items; /* owned */
} dial_splits;

/* K-fold cross-validation repeated `repeats` times, each repeat shuffled
 * with its own stream of seed. Stratified keeps each class's share in
 * every fold (classification only). Fails with DIAL_ERR_ARGUMENT when folds
 * < 2 or folds > rows (or, stratified, when every class has fewer members
 * than folds, naming the smallest class). */
DIAL_API dial_status dial_split_kfold(dial_ctx *ctx, const dial_dataset *data, size_t folds,
                                      size_t repeats, bool stratified, uint64_t seed,
                                      dial_splits *out);
/* One shuffled split with test_fraction of the rows (0 < f < 1) held out,
 * stratified when asked. */
DIAL_API dial_status dial_split_holdout(dial_ctx *ctx, const dial_dataset *data,
                                        double test_fraction, bool stratified, uint64_t seed,
                                        dial_splits *out);
DIAL_API void dial_splits_free(dial_splits *splits);

/* ---- folds for rows that are not independent --------------------------
 * A shuffled k-fold assumes every row is a fresh draw. When rows come in
 * groups (many rows per patient, user or machine), in time order, or with
 * folds fixed by another tool, a scheme says how they may be split. The
 * scheme's keys hold one value per row of the dataset the splitter is
 * given. */
typedef enum dial_fold_kind {
    DIAL_FOLDS_SHUFFLED = 0, /* independent rows: dial_split_kfold / dial_split_holdout */
    DIAL_FOLDS_GROUPED,      /* keys: group ids; a group is never on both sides of a split */
    DIAL_FOLDS_TIME,         /* keys: times (NULL: the rows are in time order); forward chaining */
    DIAL_FOLDS_PREDEFINED    /* keys: the test fold of each row; a negative key: always train */
} dial_fold_kind;

typedef struct dial_fold_scheme {
    dial_fold_kind kind;
    const double *keys; /* borrowed; n_rows values, no NaN; see dial_fold_kind */
    const char *column; /* the keys' column, for messages ("the rows' order" when NULL) */
    size_t gap;         /* DIAL_FOLDS_TIME: rows left out between the training and test rows */
} dial_fold_scheme;

/* The keys of a scheme from a column: a numeric column's values, a
 * categorical column's level index, or for DIAL_FOLDS_TIME the rank of the
 * level's text (ISO dates such as 2024-01-31 sort by their text). On success
 * *out is a new array of column->values' length that the caller frees.
 * Errors: DIAL_ERR_DATA for a missing value (naming the column and the
 * 1-based row), DIAL_ERR_NOMEM. */
DIAL_API dial_status dial_fold_keys(dial_ctx *ctx, const dial_column *column, size_t n_rows,
                                    dial_fold_kind kind, double **out);

/* Folds by scheme (NULL or SHUFFLED: dial_split_kfold).
 * GROUPED: every group's rows in one fold; classification (stratified)
 * assigns groups as scikit-learn's StratifiedGroupKFold with shuffle does
 * (the groups with the most uneven classes first, each to the fold that
 * keeps every class's share of the folds most even, the smaller fold on a
 * tie), regression as GroupKFold (the largest groups first, each to the
 * smallest fold); each repeat shuffles the groups with its own stream of
 * seed, so ties break differently. TIME: as scikit-learn's TimeSeriesSplit:
 * rows sorted by time (stable), `folds` test blocks of n / (folds + 1) rows
 * at the end, each trained on every earlier row but the `gap` just before
 * it. PREDEFINED: one fold per distinct non-negative key, ascending; folds
 * is ignored. Errors (DIAL_ERR_ARGUMENT): fewer groups than folds, too few
 * rows for the blocks and the gap, fewer than 2 predefined folds, repeats
 * above 1 for TIME and PREDEFINED (they do not shuffle), and those of
 * dial_split_kfold. */
DIAL_API dial_status dial_split_folds(dial_ctx *ctx, const dial_dataset *data,
                                      const dial_fold_scheme *scheme, size_t folds, size_t repeats,
                                      bool stratified, uint64_t seed, dial_splits *out);

/* A holdout by scheme (NULL or SHUFFLED: dial_split_holdout). GROUPED: the
 * groups are shuffled with seed and the first ceil(fraction * groups) of
 * them held out (as GroupShuffleSplit). TIME: the latest ceil(fraction *
 * rows) rows are held out and the `gap` rows before them left out.
 * PREDEFINED is refused (DIAL_ERR_ARGUMENT): its folds already say which
 * rows are scored. */
DIAL_API dial_status dial_split_holdout_by(dial_ctx *ctx, const dial_dataset *data,
                                           const dial_fold_scheme *scheme, double test_fraction,
                                           bool stratified, uint64_t seed, dial_splits *out);

/* ---- cross-validation ------------------------------------------------ */

typedef struct dial_cv_result {
    dial_metric metric;
    size_t n_scores;
    double *scores;   /* one per split, in split order; owned */
    double mean, std; /* std: population standard deviation over scores */
} dial_cv_result;

/* Fits and scores the model on every split, splits in parallel up to the
 * context's thread budget. Scores are the same whatever the thread count.
 * Split i's fit is seeded from the context's seed and i alone (and so is
 * the sample of a silhouette on many rows). An unsupervised family is
 * cross-validated on data without a target (make its splits unstratified):
 * fitted on the training rows, scored by a clustering metric on the test
 * rows. Errors (DIAL_ERR_ARGUMENT): data without a target for a family
 * that needs one, a metric that does not fit (dial_metric_check), no
 * splits or splits of other data; then the first failing split's error,
 * naming the split. Free the result with dial_cv_result_free. */
DIAL_API dial_status dial_cv_run(dial_ctx *ctx, const dial_model_family *family,
                                 const dial_knobs *knobs, const dial_dataset *data,
                                 const dial_splits *splits, dial_metric metric,
                                 dial_cv_result *out);
DIAL_API void dial_cv_result_free(dial_cv_result *result);

/* ---- permutation importance ------------------------------------------ */

/* How much a fitted model's score drops when one feature's values are
 * shuffled across the rows: per raw feature, the mean and standard
 * deviation over the repeats of (baseline - permuted score), the sign
 * flipped for metrics where lower is better, so a bigger importance always
 * means a more important feature and about 0 an unused one. */
typedef struct dial_importance_result {
    dial_metric metric;
    double baseline;    /* the model's score on the unshuffled data */
    size_t n_features;  /* the model's raw features, in its order */
    size_t repeats;     /* shuffles per feature */
    double *mean, *std; /* n_features each; std: population std over repeats; owned */
    double *importance; /* n_features x repeats, row-major: each repeat's value; owned */
    size_t n_groups;    /* groups whose values were permuted whole; 0 without groups */
} dial_importance_result;

/* What dial_importance_permutation_with may change; all zero (or a NULL
 * pointer to it) is dial_importance_permutation. */
typedef struct dial_importance_options {
    /* NULL: the rows are independent and a shuffle permutes a feature's
     * values across all of them. Otherwise the group of each row (n_rows
     * values: a numeric column's values or a categorical one's level
     * index; none missing), for data whose rows are not independent (many
     * rows per patient, user or machine): shuffling across the rows of one
     * group would mix that group's own values and overstate how much the
     * model relies on the feature. A shuffle then permutes whole groups:
     * with pi a random permutation of the groups (numbered in order of
     * their first row), the rows of group g take the feature's values of
     * the rows of group pi(g), the i-th row of g (in row order) the value
     * of the (i mod size)-th row of pi(g). The values of a group stay
     * together, and a feature constant within groups stays so. The column
     * borrowed must be no feature of the model and not the target. */
    const dial_column *groups;
} dial_importance_options;

/* Permutation importance of every raw feature of model on data, whose
 * features are in the model's order (the fitted dataset, or one made by
 * dial_model_bind) and whose y holds the target as the model encodes it
 * (class indices of the model's classes, or values). Repeat r of feature j
 * shuffles with dial_rng_stream(seed, j * repeats + r) a copy of that
 * column alone (the caller's table is never modified), so results depend
 * on seed only, not on the thread count; features are scored in parallel
 * within dial_ctx_threads(ctx). Errors: DIAL_ERR_ARGUMENT for a dataset
 * without a target, repeats < 1, a metric that does not fit the model
 * (dial_metric_check) or a target outside the model's classes; and any
 * error of
 * dial_model_predict. On success free *out with
 * dial_importance_result_free; on error *out holds nothing to free. */
DIAL_API dial_status dial_importance_permutation(dial_ctx *ctx, const dial_model *model,
                                                 const dial_dataset *data, dial_metric metric,
                                                 size_t repeats, uint64_t seed,
                                                 dial_importance_result *out);
/* dial_importance_permutation with options (NULL: the defaults). Errors,
 * besides those of dial_importance_permutation: DIAL_ERR_ARGUMENT when the
 * group column is a feature of the model or the target; DIAL_ERR_DATA when
 * a row has no group or there are fewer than 2 groups to permute. */
DIAL_API dial_status dial_importance_permutation_with(dial_ctx *ctx, const dial_model *model,
                                                      const dial_dataset *data, dial_metric metric,
                                                      size_t repeats, uint64_t seed,
                                                      const dial_importance_options *options,
                                                      dial_importance_result *out);
/* Frees the arrays of a result; NULL is harmless. */
DIAL_API void dial_importance_result_free(dial_importance_result *result);

#ifdef __cplusplus
}
#endif
#endif

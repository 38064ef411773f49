/* Metrics: how good a set of predictions is, computed as scikit-learn 1.2
 * computes them so that figures can be compared with it directly. The
 * names, properties and dispatch of every metric, and the classification
 * and regression metrics; the clustering metrics, which read the rows'
 * inputs or known labels, have files of their own (eval/silhouette.h,
 * eval/cluster_metrics.h). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/text.h"
#include "eval/cluster_metrics.h"
#include "eval/silhouette.h"
#include "eval/sums.h"
#include "dial/eval.h"

/* sklearn clips probabilities to [eps, 1 - eps] before taking logs; 1e-15 was
 * its default until 1.2 and keeps a confident wrong answer finite. */
#define METRIC_LOG_LOSS_EPS 1e-15

static const char *const metric_names[DIAL_METRIC_COUNT] = {
    "accuracy",
    "balanced_accuracy",
    "log_loss",
    "roc_auc",
    "f1",
    "rmse",
    "mae",
    "r2",
    "silhouette",
    "davies_bouldin",
    "calinski_harabasz",
    "inertia",
    "adjusted_rand",
    "normalized_mutual_info",
    "bic",
    "aic",
};

#define METRIC_NAME_LIST                                                                       \
    "accuracy, balanced_accuracy, log_loss, roc_auc, f1, rmse, mae, r2, silhouette, "          \
    "davies_bouldin, calinski_harabasz, inertia, adjusted_rand, normalized_mutual_info, bic, " \
    "aic"

const char *dial_metric_name(dial_metric metric) {
    if ((unsigned)metric >= DIAL_METRIC_COUNT) return "unknown";
    return metric_names[metric];
}

/* The only metric whose name begins with (or, failing that, contains) name,
 * case-insensitively; NULL when none or several do. */
static const char *metric_unique_match(const char *name, bool prefix_only) {
    size_t length = strlen(name);
    const char *match = NULL;
    size_t count = 0;
    for (size_t i = 0; i < DIAL_METRIC_COUNT; i++) {
        const char *candidate = metric_names[i];
        bool found = false;
        for (size_t at = 0; candidate[at] && !found; at++) {
            found = strncasecmp(candidate + at, name, length) == 0;
            if (prefix_only) break;
        }
        if (found) {
            match = candidate;
            count++;
        }
    }
    return count == 1 ? match : NULL;
}

/* The metric a likely typo or abbreviation meant: the one the name begins
 * ("acc" is a common short form, yet too far from "accuracy" by edit
 * distance), else the one containing it ("auc"), else the closest by edit
 * distance. NULL when none is plausible. */
static const char *metric_suggestion(const char *name) {
    const char *match = metric_unique_match(name, true);
    if (!match) match = metric_unique_match(name, false);
    if (!match) match = dial_closest_name(name, metric_names, DIAL_METRIC_COUNT);
    return match;
}

dial_status dial_metric_parse(dial_ctx *ctx, const char *name, dial_metric *out) {
    if (!name || !*name)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "metric name is empty; metrics are: %s",
                         METRIC_NAME_LIST);
    for (size_t i = 0; i < DIAL_METRIC_COUNT; i++) {
        if (strcmp(metric_names[i], name) == 0) {
            *out = (dial_metric)i;
            return DIAL_OK;
        }
    }
    const char *suggestion = metric_suggestion(name);
    if (suggestion)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "unknown metric '%s'; did you mean '%s'? metrics are: %s", name,
                         suggestion, METRIC_NAME_LIST);
    return dial_fail(ctx, DIAL_ERR_ARGUMENT, "unknown metric '%s'; metrics are: %s", name,
                     METRIC_NAME_LIST);
}

bool dial_metric_greater_is_better(dial_metric metric) {
    return !(metric == DIAL_METRIC_LOG_LOSS || metric == DIAL_METRIC_RMSE ||
             metric == DIAL_METRIC_MAE || metric == DIAL_METRIC_DAVIES_BOULDIN ||
             metric == DIAL_METRIC_INERTIA || metric == DIAL_METRIC_BIC ||
             metric == DIAL_METRIC_AIC);
}

bool dial_metric_needs_proba(dial_metric metric) {
    return metric == DIAL_METRIC_LOG_LOSS || metric == DIAL_METRIC_ROC_AUC;
}

dial_task dial_metric_task(dial_metric metric) {
    switch (metric) {
    case DIAL_METRIC_RMSE:
    case DIAL_METRIC_MAE:
    case DIAL_METRIC_R2: return DIAL_TASK_REGRESSION;
    case DIAL_METRIC_SILHOUETTE:
    case DIAL_METRIC_DAVIES_BOULDIN:
    case DIAL_METRIC_CALINSKI_HARABASZ:
    case DIAL_METRIC_INERTIA:
    case DIAL_METRIC_ADJUSTED_RAND:
    case DIAL_METRIC_NORMALIZED_MUTUAL_INFO:
    case DIAL_METRIC_BIC:
    case DIAL_METRIC_AIC: return DIAL_TASK_CLUSTERING;
    default: return DIAL_TASK_CLASSIFICATION;
    }
}

bool dial_metric_needs_likelihood(dial_metric metric) {
    return metric == DIAL_METRIC_BIC || metric == DIAL_METRIC_AIC;
}

bool dial_metric_needs_labels(dial_metric metric) {
    return metric == DIAL_METRIC_ADJUSTED_RAND || metric == DIAL_METRIC_NORMALIZED_MUTUAL_INFO;
}

dial_metric dial_metric_default(dial_task task) {
    switch (task) {
    case DIAL_TASK_REGRESSION: return DIAL_METRIC_R2;
    case DIAL_TASK_CLUSTERING: return DIAL_METRIC_SILHOUETTE;
    default: return DIAL_METRIC_ACCURACY;
    }
}

/* ---- classification ---------------------------------------------------- */

static double metric_accuracy(const double *y_true, const double *y_pred, size_t n) {
    size_t hits = 0;
    for (size_t i = 0; i < n; i++) hits += y_true[i] == y_pred[i];
    return (double)hits / (double)n;
}

/* Per-class counts of true positives, false positives and false negatives. */
typedef struct metric_counts {
    size_t tp, fp, fn;
} metric_counts;

static dial_status metric_count_classes(dial_ctx *ctx, const double *y_true, const double *y_pred,
                                        size_t n, size_t n_classes, metric_counts **out) {
    metric_counts *counts = dial_calloc(ctx, n_classes, sizeof *counts);
    if (!counts)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory counting %zu classes", n_classes);
    for (size_t i = 0; i < n; i++) {
        size_t t = (size_t)y_true[i], p = (size_t)y_pred[i];
        if (t == p) {
            counts[t].tp++;
        } else {
            counts[p].fp++;
            counts[t].fn++;
        }
    }
    *out = counts;
    return DIAL_OK;
}

/* sklearn averages the recall of the classes that occur in y_true; a class
 * that is only predicted has no recall and is left out. */
static dial_status metric_balanced_accuracy(dial_ctx *ctx, const double *y_true,
                                            const double *y_pred, size_t n, size_t n_classes,
                                            double *score) {
    metric_counts *counts = NULL;
    dial_status status = metric_count_classes(ctx, y_true, y_pred, n, n_classes, &counts);
    if (status != DIAL_OK) return status;
    double sum = 0;
    size_t present = 0;
    for (size_t c = 0; c < n_classes; c++) {
        size_t support = counts[c].tp + counts[c].fn;
        if (support == 0) continue;
        sum += (double)counts[c].tp / (double)support;
        present++;
    }
    free(counts);
    *score = sum / (double)present; /* n > 0, so some class is present */
    return DIAL_OK;
}

/* F1 = 2 tp / (2 tp + fp + fn), which is 0 when tp is 0: what sklearn's
 * default zero_division gives when precision or recall is undefined. */
static double metric_f1_of(const metric_counts *c) {
    size_t denominator = 2 * c->tp + c->fp + c->fn;
    return c->tp == 0 ? 0.0 : 2.0 * (double)c->tp / (double)denominator;
}

/* Binary: class 1 is the positive class. Multiclass: the macro average over
 * the classes that occur in y_true or y_pred, as sklearn's default labels. */
static dial_status metric_f1(dial_ctx *ctx, const double *y_true, const double *y_pred, size_t n,
                             size_t n_classes, double *score) {
    metric_counts *counts = NULL;
    dial_status status = metric_count_classes(ctx, y_true, y_pred, n, n_classes, &counts);
    if (status != DIAL_OK) return status;
    if (n_classes == 2) {
        *score = metric_f1_of(&counts[1]);
    } else {
        double sum = 0;
        size_t present = 0;
        for (size_t c = 0; c < n_classes; c++) {
            if (counts[c].tp + counts[c].fp + counts[c].fn == 0) continue;
            sum += metric_f1_of(&counts[c]);
            present++;
        }
        *score = sum / (double)present;
    }
    free(counts);
    return DIAL_OK;
}

/* Mean negative log-likelihood of the true class, after clipping each
 * probability to [eps, 1 - eps] and renormalising each row to sum 1. */
static double metric_log_loss(const double *y_true, const double *proba, size_t n,
                              size_t n_classes) {
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        const double *row = proba + i * n_classes;
        double row_sum = 0, p_true = 0;
        for (size_t c = 0; c < n_classes; c++) {
            double p = row[c];
            if (p < METRIC_LOG_LOSS_EPS) p = METRIC_LOG_LOSS_EPS;
            if (p > 1 - METRIC_LOG_LOSS_EPS) p = 1 - METRIC_LOG_LOSS_EPS;
            row_sum += p;
            if (c == (size_t)y_true[i]) p_true = p;
        }
        total -= log(p_true / row_sum);
    }
    return total / (double)n;
}

typedef struct metric_ranked {
    double score;
    bool positive;
} metric_ranked;

static int metric_ranked_compare(const void *a, const void *b) {
    double x = ((const metric_ranked *)a)->score, y = ((const metric_ranked *)b)->score;
    return (x > y) - (x < y);
}

/* Area under the ROC curve as the Mann-Whitney statistic: the chance that a
 * random positive scores above a random negative, a tie counting one half
 * (tied scores share their average rank). Equal to sklearn's trapezoidal
 * area. items is sorted in place. Returns NAN when a side is empty. */
static double metric_auc_of(metric_ranked *items, size_t n) {
    qsort(items, n, sizeof *items, metric_ranked_compare);
    double positive_rank_sum = 0;
    size_t n_positive = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        size_t positives_here = 0;
        while (j < n && items[j].score == items[i].score) positives_here += items[j++].positive;
        /* ranks i+1 .. j, averaged over the tie group */
        double average_rank = ((double)(i + 1) + (double)j) / 2.0;
        positive_rank_sum += average_rank * (double)positives_here;
        n_positive += positives_here;
        i = j;
    }
    size_t n_negative = n - n_positive;
    if (n_positive == 0 || n_negative == 0) return NAN;
    double u = positive_rank_sum - (double)n_positive * ((double)n_positive + 1) / 2.0;
    return u / ((double)n_positive * (double)n_negative);
}

/* Binary: the probability of class 1 ranks the rows. Multiclass: the macro
 * average of one-vs-rest areas. sklearn refuses a class that has no
 * positive (or no negative) row in y_true; dial leaves such a class out of
 * the average, so a small fold missing a rare class still gets a score, and
 * fails only when no class can be scored. */
static dial_status metric_roc_auc(dial_ctx *ctx, const double *y_true, const double *proba,
                                  size_t n, size_t n_classes, double *score) {
    metric_ranked *items = dial_malloc(ctx, n * sizeof *items);
    if (!items) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory ranking %zu rows", n);
    double sum = 0;
    size_t scored = 0;
    size_t first = n_classes == 2 ? 1 : 0;
    for (size_t c = first; c < n_classes; c++) {
        for (size_t i = 0; i < n; i++)
            items[i] = (metric_ranked){proba[i * n_classes + c], (size_t)y_true[i] == c};
        double auc = metric_auc_of(items, n);
        if (isnan(auc)) continue;
        sum += auc;
        scored++;
    }
    free(items);
    if (scored == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "roc_auc is undefined: the true labels hold only one class");
    *score = sum / (double)scored;
    return DIAL_OK;
}

/* ---- regression -------------------------------------------------------- */

/* Each regression metric is first computed the plain way, which is what
 * scikit-learn does and gives its figures to the last bit. When that
 * overflows (targets near 1e160 square past the largest double, and
 * inf / inf then makes r2 NaN), it is computed again in a way that cannot
 * overflow for finite inputs (eval/sums.h). */

static double metric_rmse(const double *y_true, const double *y_pred, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += (y_true[i] - y_pred[i]) * (y_true[i] - y_pred[i]);
    if (isfinite(sum)) return sqrt(sum / (double)n);
    dial_eval_squares squares = dial_eval_sum_squares(y_true, y_pred, 0, n);
    return 2 * squares.scale * sqrt(squares.scaled_sum / (double)n);
}

static double metric_mae(const double *y_true, const double *y_pred, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += fabs(y_true[i] - y_pred[i]);
    if (isfinite(sum)) return sum / (double)n;
    double half_mean = 0;
    for (size_t i = 0; i < n; i++)
        half_mean += fabs(dial_eval_half_difference(y_true, y_pred, 0, i)) / (double)n;
    return 2 * half_mean;
}

/* 1 - SSres / SStot. A constant y_true has SStot 0: sklearn (force_finite)
 * then gives 1 for a perfect prediction and 0 otherwise. */
static double metric_r2(const double *y_true, const double *y_pred, size_t n) {
    double mean = dial_eval_mean(y_true, n);
    double residual = 0, total = 0;
    for (size_t i = 0; i < n; i++) {
        residual += (y_true[i] - y_pred[i]) * (y_true[i] - y_pred[i]);
        total += (y_true[i] - mean) * (y_true[i] - mean);
    }
    if (isfinite(residual) && isfinite(total)) {
        if (total == 0) return residual == 0 ? 1.0 : 0.0;
        return 1.0 - residual / total;
    }
    /* The factors 4 cancel: SSres / SStot = (scale ratio)^2 x scaled ratio. */
    dial_eval_squares res = dial_eval_sum_squares(y_true, y_pred, 0, n);
    dial_eval_squares tot = dial_eval_sum_squares(y_true, NULL, mean, n);
    if (tot.scale == 0) return res.scale == 0 ? 1.0 : 0.0;
    double ratio = res.scale / tot.scale;
    return 1.0 - ratio * ratio * (res.scaled_sum / tot.scaled_sum);
}

/* A regression metric that is still not finite after the careful sums:
 * the errors themselves are beyond the largest double. A score that is
 * not a number must never pass for one (a mean of -nan, a trial's value). */
static dial_status metric_not_finite(dial_ctx *ctx, dial_metric metric, double score) {
    const char *name = metric_names[metric];
    if (metric == DIAL_METRIC_R2)
        return dial_fail(ctx, DIAL_ERR_NUMERIC,
                         "r2 = %g is not a finite number: the squared errors are more than %g "
                         "times the spread of the true values around their mean; the "
                         "predictions are far off the targets' scale",
                         score, DBL_MAX);
    return dial_fail(ctx, DIAL_ERR_NUMERIC,
                     "%s = %g is not a finite number: the errors are larger than a double can "
                     "hold (%g); the predictions are far off the targets' scale",
                     name, score, DBL_MAX);
}

/* ---- checks and dispatch ----------------------------------------------- */

static dial_status metric_check_classes(dial_ctx *ctx, const char *what, const double *y, size_t n,
                                        size_t n_classes) {
    for (size_t i = 0; i < n; i++) {
        double v = y[i];
        if (!(v >= 0 && v < (double)n_classes) || v != floor(v))
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "%s[%zu] = %g is not a class index: must be an integer in [0, %zu]",
                             what, i, v, n_classes - 1);
    }
    return DIAL_OK;
}

/* Non-finite true values are the caller's (DIAL_ERR_ARGUMENT); non-finite
 * predictions are a model's, whose fit diverged or overflowed: a numeric
 * failure (DIAL_ERR_NUMERIC), which fails a fold or a trial rather than
 * becoming a score. */
#define METRIC_DIVERGED_HINT                                                               \
    "the model's fit diverged or overflowed (scaling the features or the target, or more " \
    "regularisation, may help)"

static dial_status metric_check_finite(dial_ctx *ctx, const char *what, const double *y, size_t n) {
    bool predicted = strcmp(what, "y_pred") == 0;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(y[i]))
            return predicted
                       ? dial_fail(ctx, DIAL_ERR_NUMERIC,
                                   "%s[%zu] = %g is not a finite number: " METRIC_DIVERGED_HINT,
                                   what, i, y[i])
                       : dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s[%zu] = %g is not a finite number",
                                   what, i, y[i]);
    return DIAL_OK;
}

static dial_status metric_check_proba(dial_ctx *ctx, const double *proba, size_t n,
                                      size_t n_classes) {
    for (size_t i = 0; i < n * n_classes; i++) {
        /* Values a little outside [0, 1] from rounding are clipped later. */
        if (!isfinite(proba[i]))
            return dial_fail(ctx, DIAL_ERR_NUMERIC,
                             "probability of row %zu, class %zu = %g is not a finite "
                             "number: " METRIC_DIVERGED_HINT,
                             i / n_classes, i % n_classes, proba[i]);
    }
    return DIAL_OK;
}

/* The classification metrics need y_pred (class indices) or proba; check
 * only what the metric reads. */
static dial_status metric_check_inputs(dial_ctx *ctx, dial_metric metric, const double *y_true,
                                       const double *y_pred, const double *proba, size_t n,
                                       size_t n_classes) {
    const char *name = metric_names[metric];
    if (n == 0) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "cannot compute %s on 0 rows", name);
    if (!y_true)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "metric '%s' needs the true values (y_true)",
                         name);
    if (!y_pred && !dial_metric_needs_proba(metric))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' needs predicted values (y_pred), but none were given", name);
    dial_status status;
    if (dial_metric_task(metric) == DIAL_TASK_REGRESSION) {
        if (n_classes != 0)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "metric '%s' is for regression, but the target has %zu classes", name,
                             n_classes);
        if ((status = metric_check_finite(ctx, "y_true", y_true, n)) != DIAL_OK) return status;
        return metric_check_finite(ctx, "y_pred", y_pred, n);
    }
    if (n_classes == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' is for classification, but the target is numeric "
                         "(regression)",
                         name);
    if (n_classes < 2)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "metric '%s' needs at least 2 classes, got %zu",
                         name, n_classes);
    if ((status = metric_check_classes(ctx, "y_true", y_true, n, n_classes)) != DIAL_OK)
        return status;
    if (dial_metric_needs_proba(metric)) {
        if (!proba)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "metric '%s' needs class probabilities, but none were given", name);
        return metric_check_proba(ctx, proba, n, n_classes);
    }
    return metric_check_classes(ctx, "y_pred", y_pred, n, n_classes);
}

dial_status dial_metric_score(dial_ctx *ctx, dial_metric metric, const double *y_true,
                              const double *y_pred, const double *proba, size_t n, size_t n_classes,
                              double *score) {
    dial_metric_rows rows = {
        .n = n, .y_true = y_true, .y_pred = y_pred, .proba = proba, .n_classes = n_classes};
    return dial_metric_score_rows(ctx, metric, &rows, score);
}

dial_status dial_metric_score_rows(dial_ctx *ctx, dial_metric metric, const dial_metric_rows *rows,
                                   double *score) {
    if ((unsigned)metric >= DIAL_METRIC_COUNT)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "unknown metric number %d", (int)metric);
    if (!rows)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "metric '%s' needs rows to score",
                         metric_names[metric]);
    if (metric == DIAL_METRIC_SILHOUETTE) return dial_eval_silhouette(ctx, rows, score);
    if (dial_metric_needs_labels(metric))
        return dial_eval_cluster_agreement(ctx, metric, rows, score);
    if (dial_metric_needs_likelihood(metric))
        return dial_eval_cluster_likelihood(ctx, metric, rows, score);
    if (dial_metric_task(metric) == DIAL_TASK_CLUSTERING)
        return dial_eval_cluster_dispersion(ctx, metric, rows, score);
    const double *y_true = rows->y_true, *y_pred = rows->y_pred, *proba = rows->proba;
    size_t n = rows->n, n_classes = rows->n_classes;
    dial_status status = metric_check_inputs(ctx, metric, y_true, y_pred, proba, n, n_classes);
    if (status != DIAL_OK) return status;
    switch (metric) {
    case DIAL_METRIC_ACCURACY: *score = metric_accuracy(y_true, y_pred, n); return DIAL_OK;
    case DIAL_METRIC_BALANCED_ACCURACY:
        return metric_balanced_accuracy(ctx, y_true, y_pred, n, n_classes, score);
    case DIAL_METRIC_LOG_LOSS:
        *score = metric_log_loss(y_true, proba, n, n_classes);
        return DIAL_OK;
    case DIAL_METRIC_ROC_AUC: return metric_roc_auc(ctx, y_true, proba, n, n_classes, score);
    case DIAL_METRIC_F1: return metric_f1(ctx, y_true, y_pred, n, n_classes, score);
    case DIAL_METRIC_RMSE: *score = metric_rmse(y_true, y_pred, n); break;
    case DIAL_METRIC_MAE: *score = metric_mae(y_true, y_pred, n); break;
    case DIAL_METRIC_R2: *score = metric_r2(y_true, y_pred, n); break;
    case DIAL_METRIC_SILHOUETTE:
    case DIAL_METRIC_DAVIES_BOULDIN:
    case DIAL_METRIC_CALINSKI_HARABASZ:
    case DIAL_METRIC_INERTIA:
    case DIAL_METRIC_ADJUSTED_RAND:
    case DIAL_METRIC_NORMALIZED_MUTUAL_INFO:
    case DIAL_METRIC_BIC:
    case DIAL_METRIC_AIC:
    case DIAL_METRIC_COUNT:
        return dial_fail(ctx, DIAL_ERR_INTERNAL, "metric %d has no implementation", (int)metric);
    }
    return isfinite(*score) ? DIAL_OK : metric_not_finite(ctx, metric, *score);
}

/* ---- the confusion matrix ---------------------------------------------- */

dial_status dial_confusion_matrix(dial_ctx *ctx, const double *y_true, const double *y_pred,
                                  size_t n, size_t n_classes, size_t *counts) {
    if (n_classes == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "a confusion matrix needs at least one class, got 0 classes");
    if (!counts || (n > 0 && (!y_true || !y_pred)))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "a confusion matrix needs the true and the predicted classes");
    /* Every value is checked before counting, so a failure leaves counts
     * as they were. */
    dial_status status = metric_check_classes(ctx, "y_true", y_true, n, n_classes);
    if (status == DIAL_OK) status = metric_check_classes(ctx, "y_pred", y_pred, n, n_classes);
    if (status != DIAL_OK) return status;
    memset(counts, 0, n_classes * n_classes * sizeof *counts);
    for (size_t i = 0; i < n; i++) counts[(size_t)y_true[i] * n_classes + (size_t)y_pred[i]]++;
    return DIAL_OK;
}

/*
 * Scoring (eval/scoring.h and dial_metric_check in dial/eval.h): whether a
 * metric fits a task and a family, said once for cross-validation,
 * permutation importance, the tuner and the command line; and predicting
 * rows and scoring them, written once for cross-validation and the tuner:
 * against the targets, or for a clustering on the rows' design matrix.
 */
#include <stdlib.h>

#include "core/alloc.h"
#include "eval/scoring.h"

/* The stream base of the split seeds: "cv". */
#define EVAL_SPLIT_SEED_STREAM 0x6376000000000000ULL

uint64_t dial_eval_split_seed(uint64_t seed, size_t split) {
    dial_rng seeds = dial_rng_stream(seed, EVAL_SPLIT_SEED_STREAM + split);
    return dial_rng_next(&seeds);
}

/* The metric is for the task a fit learns; said with the target, or for a
 * clustering with the family, since there is no target to name. */
static dial_status check_task(dial_ctx *ctx, dial_metric metric, dial_task task, const char *target,
                              const dial_model_family *family) {
    const char *name = dial_metric_name(metric);
    dial_task wanted = dial_metric_task(metric);
    if (wanted == task) return DIAL_OK;
    if (task == DIAL_TASK_CLUSTERING)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' is for %s, but %s%s%s does clustering, which has no target: "
                         "use %s",
                         name, dial_task_name(wanted), family ? "model '" : "the fit",
                         family ? family->name : "", family ? "'" : "",
                         dial_metric_name(dial_metric_default(DIAL_TASK_CLUSTERING)));
    if (wanted == DIAL_TASK_CLUSTERING)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' is for clustering, but the target '%s' is a %s target: "
                         "score it with a %s metric (default %s)",
                         name, target ? target : "?", dial_task_name(task), dial_task_name(task),
                         dial_metric_name(dial_metric_default(task)));
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "metric '%s' is for %s, but the target '%s' is a %s target", name,
                     dial_task_name(wanted), target ? target : "?", dial_task_name(task));
}

dial_status dial_metric_check(dial_ctx *ctx, dial_metric metric, dial_task task, const char *target,
                              const dial_model_family *family, const dial_knobs *knobs) {
    if ((unsigned)metric >= DIAL_METRIC_COUNT)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "unknown metric number %d", (int)metric);
    const char *name = dial_metric_name(metric);
    /* An unsupervised family learns its own task, whatever the data's. */
    if (family && family->unsupervised) task = dial_model_fit_task(family, NULL);
    dial_status status = check_task(ctx, metric, task, target, family);
    if (status != DIAL_OK || !family) return status;
    if (!(family->tasks & DIAL_TASK_BIT(task)))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "model '%s' does not do %s", family->name,
                         dial_task_name(task));
    if (dial_metric_needs_likelihood(metric) && !family->log_likelihood)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' reads the rows' likelihood under the model, which %s does "
                         "not have (a gmm has): score %s with silhouette",
                         name, family->name, family->name);
    if (!dial_metric_needs_proba(metric)) return DIAL_OK;
    if (!family->has_proba)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' needs class probabilities, which %s does not give", name,
                         family->name);
    const char *knob = family->proba_knob;
    if (knob && knobs && !dial_knobs_bool(knobs, knob))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' needs class probabilities, which %s gives only with "
                         "%s=true: add -s %s=true",
                         name, family->name, knob, knob);
    return DIAL_OK;
}

/* A clustering metric: the test rows' design matrix and their clusters. */
static dial_status score_clusters(dial_ctx *ctx, const dial_model *model, const dial_view *test,
                                  dial_metric metric, dial_silhouette_memo *memo, double *score) {
    size_t n = test->n;
    double *x = NULL;
    /* The rows' known labels, when the data has them (a clustering
     * compared with them: adjusted_rand, normalized_mutual_info). */
    const double *labels = test->data->y;
    double *value = dial_malloc_array(ctx, n ? n : 1, sizeof *value);
    /* bic and aic: the rows' log-likelihoods under the model */
    bool likelihood = dial_metric_needs_likelihood(metric);
    double *log_likelihood = likelihood ? dial_malloc_array(ctx, n ? n : 1, sizeof(double)) : NULL;
    size_t n_parameters = 0;
    double *y_true = labels ? dial_malloc_array(ctx, n ? n : 1, sizeof *y_true) : NULL;
    dial_status status = value && (y_true || !labels) && (log_likelihood || !likelihood)
                             ? dial_model_transform(ctx, model, test, &x)
                             : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", n);
    if (status == DIAL_OK) status = dial_model_predict(ctx, model, test, value, NULL);
    if (status == DIAL_OK && likelihood)
        status = dial_model_log_likelihood(ctx, model, test, log_likelihood, &n_parameters);
    for (size_t i = 0; status == DIAL_OK && labels && i < n; i++)
        y_true[i] = labels[dial_view_row(test, i)];
    if (status == DIAL_OK) {
        dial_metric_rows rows = {.n = n,
                                 .y_true = y_true,
                                 .y_pred = value,
                                 .x = x,
                                 .n_inputs = dial_model_n_inputs(model),
                                 .seed = dial_ctx_seed(ctx),
                                 .log_likelihood = log_likelihood,
                                 .n_parameters = n_parameters};
        status = metric == DIAL_METRIC_SILHOUETTE && memo
                     ? dial_eval_silhouette_memo(ctx, &rows, memo, score)
                     : dial_metric_score_rows(ctx, metric, &rows, score);
    }
    free(log_likelihood);
    free(x);
    free(value);
    free(y_true);
    return status;
}

dial_status dial_eval_score_view(dial_ctx *ctx, const dial_model *model, const dial_view *test,
                                 dial_metric metric, double *score) {
    return dial_eval_score_view_memo(ctx, model, test, metric, NULL, score);
}

dial_status dial_eval_score_view_memo(dial_ctx *ctx, const dial_model *model, const dial_view *test,
                                      dial_metric metric, dial_silhouette_memo *memo,
                                      double *score) {
    if (dial_metric_task(metric) == DIAL_TASK_CLUSTERING)
        return score_clusters(ctx, model, test, metric, memo, score);
    const dial_dataset *data = test->data;
    if (!data->y)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' compares predictions with the target, but the rows have "
                         "none",
                         dial_metric_name(metric));
    size_t n = test->n;
    size_t n_classes = dial_model_fit_n_classes(dial_model_get_family(model), data);
    bool want_proba = dial_metric_needs_proba(metric);
    double *y_true = dial_malloc(ctx, (n ? n : 1) * sizeof *y_true);
    double *value = dial_malloc(ctx, (n ? n : 1) * sizeof *value);
    double *proba =
        want_proba ? dial_malloc(ctx, (n ? n : 1) * (n_classes ? n_classes : 1) * sizeof *proba)
                   : NULL;
    dial_status status;
    if (!y_true || !value || (want_proba && !proba)) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", n);
    } else {
        for (size_t i = 0; i < n; i++) y_true[i] = data->y[dial_view_row(test, i)];
        status = dial_model_predict(ctx, model, test, value, proba);
        if (status == DIAL_OK)
            status = dial_metric_score(ctx, metric, y_true, value, proba, n, n_classes, score);
    }
    free(y_true);
    free(value);
    free(proba);
    return status;
}

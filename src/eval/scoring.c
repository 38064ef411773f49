/*
 * Scoring (eval/scoring.h and dial_metric_check in dial/eval.h): whether a
 * metric fits a task and a family, said once for cross-validation,
 * permutation importance, the tuner and the command line; and predicting
 * rows and scoring them, written once for cross-validation and the tuner.
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

dial_status dial_metric_check(dial_ctx *ctx, dial_metric metric, dial_task task, const char *target,
                              const dial_model_family *family, const dial_knobs *knobs) {
    if ((unsigned)metric >= DIAL_METRIC_COUNT)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "unknown metric number %d", (int)metric);
    const char *name = dial_metric_name(metric);
    if (dial_metric_task(metric) != task)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' is for %s, but the target '%s' is a %s target", name,
                         dial_task_name(dial_metric_task(metric)), target ? target : "?",
                         dial_task_name(task));
    if (!family) return DIAL_OK;
    if (!(family->tasks & DIAL_TASK_BIT(task)))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "model '%s' does not do %s", family->name,
                         dial_task_name(task));
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

dial_status dial_eval_score_predictions(dial_ctx *ctx, const dial_dataset *data, dial_metric metric,
                                        const double *y_true, const double *value,
                                        const double *proba, size_t n, double *score) {
    size_t n_classes = data->task == DIAL_TASK_CLASSIFICATION ? data->n_classes : 0;
    return dial_metric_score(ctx, metric, y_true, value, proba, n, n_classes, score);
}

dial_status dial_eval_score_view(dial_ctx *ctx, const dial_model *model, const dial_view *test,
                                 dial_metric metric, double *score) {
    const dial_dataset *data = test->data;
    size_t n = test->n;
    size_t n_classes = data->task == DIAL_TASK_CLASSIFICATION ? data->n_classes : 0;
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
            status = dial_eval_score_predictions(ctx, data, metric, y_true, value, proba, n, score);
    }
    free(y_true);
    free(value);
    free(proba);
    return status;
}

/* Permutation importance: how much a fitted model's score drops when one
 * feature's link to the target is broken by shuffling its values across the
 * rows. Model-agnostic: it needs only predictions, so it works for every
 * family, and it measures what the model uses on the given data (held-out
 * data shows what generalises; training data what was memorised).
 *
 * The unit of work is one (feature, repeat) pair, numbered
 * feature * repeats + repeat; that number is also its random stream, so a
 * unit's result depends only on the seed, never on the worker that ran it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/text.h"
#include "dial/eval.h"

typedef struct importance_job {
    const dial_ctx *parent;
    const dial_model *model;
    const dial_dataset *data;
    dial_metric metric;
    size_t repeats;
    uint64_t seed;
    size_t n_classes; /* the model's; 0 for regression */
    int threads_per_worker;
    double *scores;      /* per unit: the score with that unit's shuffle */
    dial_status *status; /* per unit; DIAL_OK until it fails */
    char **message;      /* per unit: malloc'ed message of a failed unit */
} importance_job;

/* The buffers one worker reuses for every unit it scores. */
typedef struct importance_scratch {
    size_t *order;      /* a permutation of the rows */
    double *values;     /* the shuffled column */
    double *prediction; /* n_rows */
    double *proba;      /* n_rows x n_classes, when the metric needs it */
    const dial_column **features;
} importance_scratch;

/* Predicts every row of data and scores the predictions against data->y. */
static dial_status importance_score(dial_ctx *ctx, const dial_model *model,
                                    const dial_dataset *data, dial_metric metric, size_t n_classes,
                                    double *prediction, double *proba, double *score) {
    dial_view all = dial_view_all(data);
    dial_status status = dial_model_predict(ctx, model, &all, prediction, proba);
    if (status != DIAL_OK) return status;
    return dial_metric_score(ctx, metric, data->y, prediction, proba, data->n_rows, n_classes,
                             score);
}

/* Scores unit (feature, repeat) on a shadow of the dataset whose feature
 * points at a shuffled copy of the column; everything else is shared. */
static dial_status importance_run_unit(dial_ctx *worker, const importance_job *job,
                                       importance_scratch *scratch, size_t unit) {
    const dial_dataset *data = job->data;
    size_t feature = unit / job->repeats, n = data->n_rows;
    const dial_column *original = data->features[feature];

    for (size_t i = 0; i < n; i++) scratch->order[i] = i;
    dial_rng rng = dial_rng_stream(job->seed, unit);
    dial_rng_shuffle(&rng, scratch->order, n);
    for (size_t i = 0; i < n; i++) scratch->values[i] = original->values[scratch->order[i]];

    dial_column shuffled = *original; /* name and levels borrowed */
    shuffled.values = scratch->values;
    memcpy(scratch->features, data->features, data->n_features * sizeof *scratch->features);
    scratch->features[feature] = &shuffled;
    dial_dataset shadow = *data;
    shadow.features = scratch->features;

    return importance_score(worker, job->model, &shadow, job->metric, job->n_classes,
                            scratch->prediction, scratch->proba, &job->scores[unit]);
}

static void importance_scratch_free(importance_scratch *scratch) {
    free(scratch->order);
    free(scratch->values);
    free(scratch->prediction);
    free(scratch->proba);
    free(scratch->features);
}

/* One worker: the units [begin, end) on a context of its own. Its log
 * callback is cleared: every shuffle predicts the same values as the
 * baseline (in another order), whose warnings the caller has already had
 * once. Every unit runs even after one fails, so the failure reported is
 * the same whatever the thread count. */
static dial_status importance_run_worker(void *arg, size_t begin, size_t end, int worker_index) {
    importance_job *job = arg;
    size_t n = job->data->n_rows;
    bool want_proba = dial_metric_needs_proba(job->metric);
    dial_ctx *worker = dial_ctx_clone(job->parent, job->threads_per_worker);
    importance_scratch scratch = {
        .order = malloc(n * sizeof(size_t)),
        .values = malloc(n * sizeof(double)),
        .prediction = malloc(n * sizeof(double)),
        .proba = want_proba ? malloc(n * job->n_classes * sizeof(double)) : NULL,
        .features = malloc(job->data->n_features * sizeof(const dial_column *)),
    };
    dial_status result = DIAL_OK;
    if (!worker || !scratch.order || !scratch.values || !scratch.prediction ||
        (want_proba && !scratch.proba) || !scratch.features) {
        result = DIAL_ERR_NOMEM;
        goto done;
    }
    dial_ctx_set_log(worker, NULL, NULL);
    for (size_t unit = begin; unit < end; unit++) {
        dial_status status = importance_run_unit(worker, job, &scratch, unit);
        if (status != DIAL_OK) {
            job->status[unit] = status;
            job->message[unit] = dial_strdup(dial_ctx_error(worker));
        }
    }
done:
    importance_scratch_free(&scratch);
    dial_ctx_free(worker);
    return result;
}

static dial_status importance_check(dial_ctx *ctx, const dial_model *model,
                                    const dial_dataset *data, dial_metric metric, size_t repeats) {
    if (!model || !data)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "dial_importance_permutation needs a model and a dataset");
    if ((unsigned)metric >= DIAL_METRIC_COUNT)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "unknown metric number %d", (int)metric);
    if (repeats < 1)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "repeats = %zu is out of range: permutation importance needs >= 1",
                         repeats);
    if (!data->y)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "permutation importance needs a dataset with a target");
    if (data->n_rows == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "permutation importance needs at least one row");
    if (data->n_features != dial_model_n_features(model))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "the dataset has %zu features, the model %zu; bind the data to the model "
                         "with dial_model_bind",
                         data->n_features, dial_model_n_features(model));
    dial_task task = dial_model_get_task(model);
    dial_status status = dial_metric_check(ctx, metric, task, dial_model_target_name(model),
                                           dial_model_get_family(model), NULL);
    if (status != DIAL_OK) return status;
    if (task == DIAL_TASK_CLASSIFICATION) {
        double n_classes = (double)dial_model_n_classes(model);
        for (size_t i = 0; i < data->n_rows; i++)
            if (!(data->y[i] >= 0 && data->y[i] < n_classes && data->y[i] == floor(data->y[i])))
                return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                                 "target of row %zu is %g, not a class index of the model "
                                 "(0 to %g)",
                                 i + 1, data->y[i], n_classes - 1);
    }
    return DIAL_OK;
}

void dial_importance_result_free(dial_importance_result *result) {
    if (!result) return;
    free(result->mean);
    free(result->std);
    free(result->importance);
    result->mean = result->std = result->importance = NULL;
    result->n_features = 0;
}

/* The baseline on the caller's context: its warnings (unseen levels) are
 * the ones the caller should see, once. */
static dial_status importance_baseline(dial_ctx *ctx, const importance_job *job, double *score) {
    size_t n = job->data->n_rows;
    double *prediction = malloc(n * sizeof *prediction);
    double *proba =
        dial_metric_needs_proba(job->metric) ? malloc(n * job->n_classes * sizeof *proba) : NULL;
    dial_status status;
    if (!prediction || (dial_metric_needs_proba(job->metric) && !proba))
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory predicting %zu rows", n);
    else
        status = importance_score(ctx, job->model, job->data, job->metric, job->n_classes,
                                  prediction, proba, score);
    free(prediction);
    free(proba);
    return status;
}

/* Turns the permuted scores into importances, their means and stds. */
static dial_status importance_summarise(dial_ctx *ctx, const importance_job *job,
                                        dial_importance_result *out) {
    size_t n_features = job->data->n_features, repeats = job->repeats;
    out->mean = calloc(n_features ? n_features : 1, sizeof *out->mean);
    out->std = calloc(n_features ? n_features : 1, sizeof *out->std);
    size_t n_values = n_features * repeats;
    out->importance = calloc(n_values ? n_values : 1, sizeof(double));
    if (!out->mean || !out->std || !out->importance) {
        dial_importance_result_free(out);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu importances", n_features);
    }
    double sign = dial_metric_greater_is_better(job->metric) ? 1.0 : -1.0;
    for (size_t j = 0; j < n_features; j++) {
        double *values = &out->importance[j * repeats], sum = 0, squares = 0;
        for (size_t r = 0; r < repeats; r++) {
            values[r] = sign * (out->baseline - job->scores[j * repeats + r]);
            sum += values[r];
        }
        double mean = sum / (double)repeats;
        for (size_t r = 0; r < repeats; r++) squares += (values[r] - mean) * (values[r] - mean);
        out->mean[j] = mean;
        out->std[j] = sqrt(squares / (double)repeats);
    }
    out->n_features = n_features;
    return DIAL_OK;
}

dial_status dial_importance_permutation(dial_ctx *ctx, const dial_model *model,
                                        const dial_dataset *data, dial_metric metric,
                                        size_t repeats, uint64_t seed,
                                        dial_importance_result *out) {
    memset(out, 0, sizeof *out);
    out->metric = metric;
    out->repeats = repeats;
    dial_status status = importance_check(ctx, model, data, metric, repeats);
    if (status != DIAL_OK) return status;

    size_t n_units = data->n_features * repeats;
    if (n_units / repeats != data->n_features)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "%zu features x %zu repeats is too many",
                         data->n_features, repeats);
    int budget = dial_ctx_threads(ctx);
    int workers = n_units == 0 ? 1 : (size_t)budget < n_units ? budget : (int)n_units;
    importance_job job = {
        .parent = ctx,
        .model = model,
        .data = data,
        .metric = metric,
        .repeats = repeats,
        .seed = seed,
        .n_classes = dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION
                         ? dial_model_n_classes(model)
                         : 0,
        /* Threads the units leave idle go to the predictions, within the budget. */
        .threads_per_worker = budget / workers,
        .scores = calloc(n_units ? n_units : 1, sizeof(double)),
        .status = calloc(n_units ? n_units : 1, sizeof(dial_status)),
        .message = calloc(n_units ? n_units : 1, sizeof(char *)),
    };
    if (!job.scores || !job.status || !job.message) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu permutations", n_units);
        goto done;
    }

    status = importance_baseline(ctx, &job, &out->baseline);
    if (status != DIAL_OK) goto done;

    status = dial_parallel_for(ctx, workers, n_units, importance_run_worker, &job);
    if (status == DIAL_ERR_NOMEM)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting a worker");
    /* The failed unit with the smallest number is the one reported, so the
     * message is the same whatever the thread count. */
    for (size_t unit = 0; unit < n_units; unit++) {
        if (job.status[unit] == DIAL_OK) continue;
        const dial_column *column = data->features[unit / repeats];
        status =
            dial_fail(ctx, job.status[unit], "shuffling feature '%s' (repeat %zu): %s",
                      column->name ? column->name : "?", unit % repeats,
                      job.message[unit] ? job.message[unit] : dial_status_name(job.status[unit]));
        goto done;
    }
    if (status != DIAL_OK) goto done;
    status = importance_summarise(ctx, &job, out);

done:
    free(job.scores);
    free(job.status);
    if (job.message)
        for (size_t unit = 0; unit < n_units; unit++) free(job.message[unit]);
    free(job.message);
    return status;
}

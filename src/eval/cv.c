/* The cross-validation runner: fit on each split's train rows, score on its
 * test rows, splits in parallel. A split's result depends only on the
 * context's seed and the split's number, never on which worker ran it. */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/text.h"
#include "eval/scoring.h"
#include "eval/sums.h"

typedef struct cv_job {
    const dial_ctx *parent;
    const dial_model_family *family;
    const dial_knobs *knobs;
    const dial_dataset *data;
    const dial_splits *splits;
    dial_metric metric;
    int threads_per_fit;
    double *scores;
    dial_status *status;      /* per split; DIAL_OK until it fails */
    char **message;           /* per split: malloc'ed error message of a failed split */
    atomic_size_t next_split; /* the next split a worker takes */
} cv_job;

/* Fits and scores split i on worker's context. */
static dial_status cv_run_split(dial_ctx *worker, const cv_job *job, size_t i) {
    const dial_split *split = &job->splits->items[i];
    dial_ctx_set_seed(worker, dial_eval_split_seed(dial_ctx_seed(job->parent), i));
    dial_view train = {job->data, split->train, split->n_train};
    dial_view test = {job->data, split->test, split->n_test};
    dial_model *model = NULL;
    dial_status status = dial_model_fit(worker, job->family, job->knobs, &train, &model);
    if (status == DIAL_OK)
        status = dial_eval_score_view(worker, model, &test, job->metric, &job->scores[i]);
    dial_model_free(model);
    return status;
}

/* One worker: takes the next split not yet taken until none is left, on a
 * context of its own (a body must not touch the caller's). Handing out
 * splits one at a time keeps both threads busy when the splits do not
 * divide evenly (5 folds on 2 threads). Every split runs even after one
 * fails, so the failure reported is the same whatever the thread count.
 * The clone shares the caller's log callback, which workers may therefore
 * call at the same time. */
static dial_status cv_run_worker(void *arg, size_t begin, size_t end, int worker_index) {
    cv_job *job = arg;
    dial_ctx *worker = dial_ctx_clone(job->parent, job->threads_per_fit);
    if (!worker) return DIAL_ERR_NOMEM;
    for (;;) {
        size_t i = atomic_fetch_add(&job->next_split, 1);
        if (i >= job->splits->count) break;
        dial_status status = cv_run_split(worker, job, i);
        if (status != DIAL_OK) {
            job->status[i] = status;
            job->message[i] = dial_strdup(worker, dial_ctx_error(worker));
        }
    }
    dial_ctx_free(worker);
    return DIAL_OK;
}

static dial_status cv_check(dial_ctx *ctx, const dial_model_family *family, const dial_knobs *knobs,
                            const dial_dataset *data, const dial_splits *splits,
                            dial_metric metric) {
    if (!family || !knobs || !data)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "dial_cv_run needs a model family, knobs and data");
    /* A clustering (an unsupervised family) is cross-validated on rows
     * alone; any other fit needs the target. */
    if (!data->y && !family->unsupervised)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "cross-validation needs a dataset with a target");
    dial_status status =
        dial_metric_check(ctx, metric, data->task, data->target_name, family, knobs);
    if (status != DIAL_OK) return status;
    if (!splits || splits->count == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "cross-validation needs at least one split");
    for (size_t i = 0; i < splits->count; i++) {
        const dial_split *split = &splits->items[i];
        if (split->n_train == 0 || split->n_test == 0)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT, "split %zu has %zu train and %zu test rows", i,
                             split->n_train, split->n_test);
        /* splits made for another dataset would read past the rows */
        for (size_t j = 0; j < split->n_train; j++)
            if (split->train[j] >= data->n_rows)
                return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                                 "split %zu refers to row %zu, but the dataset has %zu rows", i,
                                 split->train[j], data->n_rows);
        for (size_t j = 0; j < split->n_test; j++)
            if (split->test[j] >= data->n_rows)
                return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                                 "split %zu refers to row %zu, but the dataset has %zu rows", i,
                                 split->test[j], data->n_rows);
    }
    return DIAL_OK;
}

void dial_cv_result_free(dial_cv_result *result) {
    if (!result) return;
    free(result->scores);
    result->scores = NULL;
    result->n_scores = 0;
}

dial_status dial_cv_run(dial_ctx *ctx, const dial_model_family *family, const dial_knobs *knobs,
                        const dial_dataset *data, const dial_splits *splits, dial_metric metric,
                        dial_cv_result *out) {
    memset(out, 0, sizeof *out);
    out->metric = metric;
    dial_status status = cv_check(ctx, family, knobs, data, splits, metric);
    if (status != DIAL_OK) return status;

    size_t n = splits->count;
    int budget = dial_ctx_threads(ctx);
    int workers = (size_t)budget < n ? budget : (int)n;
    cv_job job = {
        .parent = ctx,
        .family = family,
        .knobs = knobs,
        .data = data,
        .splits = splits,
        .metric = metric,
        /* Threads the splits leave idle go to the fits, within the budget. */
        .threads_per_fit = budget / workers,
        .scores = dial_calloc(ctx, n, sizeof(double)),
        .status = dial_calloc(ctx, n, sizeof(dial_status)),
        .message = dial_calloc(ctx, n, sizeof(char *)),
    };
    if (!job.scores || !job.status || !job.message) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu splits", n);
        goto done;
    }

    atomic_init(&job.next_split, 0);
    status = dial_parallel_for(ctx, workers, (size_t)workers, cv_run_worker, &job);
    if (status == DIAL_ERR_NOMEM)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting a worker");
    /* Report the failed split with the smallest number: every split before
     * it ran, whatever the thread count, so the message is reproducible. */
    for (size_t i = 0; i < n; i++) {
        if (job.status[i] == DIAL_OK) continue;
        const dial_split *split = &splits->items[i];
        status = dial_fail(ctx, job.status[i], "split %zu (repeat %zu, fold %zu): %s", i,
                           split->repeat, split->fold,
                           job.message[i] ? job.message[i] : dial_status_name(job.status[i]));
        goto done;
    }
    if (status != DIAL_OK) goto done; /* the loop itself failed; ctx has its message */

    double mean = dial_eval_mean(job.scores, n), squares = 0;
    for (size_t i = 0; i < n; i++) squares += (job.scores[i] - mean) * (job.scores[i] - mean);
    double std = sqrt(squares / (double)n);
    if (!isfinite(std)) {
        /* rmse scores near 1e160 square past the largest double */
        dial_eval_squares scaled = dial_eval_sum_squares(job.scores, NULL, mean, n);
        std = 2 * scaled.scale * sqrt(scaled.scaled_sum / (double)n);
    }
    out->scores = job.scores;
    job.scores = NULL;
    out->n_scores = n;
    out->mean = mean;
    out->std = std;

done:
    free(job.scores);
    free(job.status);
    if (job.message)
        for (size_t i = 0; i < n; i++) free(job.message[i]);
    free(job.message);
    return status;
}

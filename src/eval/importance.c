/* Permutation importance: how much a fitted model's score drops when one
 * feature's link to the target is broken by shuffling its values across the
 * rows. Model-agnostic: it needs only predictions, so it works for every
 * family, and it measures what the model uses on the given data (held-out
 * data shows what generalises; training data what was memorised).
 *
 * The unit of work is one (feature, repeat) pair, numbered
 * feature * repeats + repeat; that number is also its random stream, so a
 * unit's result depends only on the seed, never on the worker that ran it.
 *
 * With groups (rows that are not independent: many per patient, user or
 * machine), a unit permutes whole groups instead of rows: the rows of
 * group g take the values of group pi(g), cycling through them when the
 * two differ in size (see dial_importance_options). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
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
    /* with groups: the rows of group g are rows[start[g] .. start[g + 1]),
     * in row order; n_groups is 0 without groups */
    size_t n_groups;
    const size_t *group_start, *group_rows;
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

/* values = from shuffled across the n rows (order: n entries of room). */
static void importance_permute_rows(dial_rng *rng, size_t n, const double *from, size_t *order,
                                    double *values) {
    for (size_t i = 0; i < n; i++) order[i] = i;
    dial_rng_shuffle(rng, order, n);
    for (size_t i = 0; i < n; i++) values[i] = from[order[i]];
}

/* values = from with whole groups permuted: the i-th row of group g takes
 * the value of the (i mod size)-th row of group pi(g), pi drawn from rng
 * (order: room for the groups). */
static void importance_permute_groups(const importance_job *job, dial_rng *rng, const double *from,
                                      size_t *order, double *values) {
    const size_t *start = job->group_start, *rows = job->group_rows;
    for (size_t g = 0; g < job->n_groups; g++) order[g] = g;
    dial_rng_shuffle(rng, order, job->n_groups);
    for (size_t g = 0; g < job->n_groups; g++) {
        size_t source = start[order[g]], size = start[order[g] + 1] - source;
        for (size_t i = start[g]; i < start[g + 1]; i++)
            values[rows[i]] = from[rows[source + (i - start[g]) % size]];
    }
}

/* Scores unit (feature, repeat) on a shadow of the dataset whose feature
 * points at a shuffled copy of the column; everything else is shared. */
static dial_status importance_run_unit(dial_ctx *worker, const importance_job *job,
                                       importance_scratch *scratch, size_t unit) {
    const dial_dataset *data = job->data;
    size_t feature = unit / job->repeats, n = data->n_rows;
    const dial_column *original = data->features[feature];

    dial_rng rng = dial_rng_stream(job->seed, unit);
    if (job->n_groups)
        importance_permute_groups(job, &rng, original->values, scratch->order, scratch->values);
    else
        importance_permute_rows(&rng, n, original->values, scratch->order, scratch->values);

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
        .order = dial_malloc(job->parent, n * sizeof(size_t)),
        .values = dial_malloc(job->parent, n * sizeof(double)),
        .prediction = dial_malloc(job->parent, n * sizeof(double)),
        .proba = want_proba ? dial_malloc(job->parent, n * job->n_classes * sizeof(double)) : NULL,
        .features = dial_malloc(job->parent, job->data->n_features * sizeof(const dial_column *)),
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
            job->message[unit] = dial_strdup(worker, dial_ctx_error(worker));
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
    if (!dial_task_needs_target(dial_model_get_task(model)))
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "permutation importance compares predictions with a target, and model "
                         "'%s' does %s, which has none",
                         dial_model_get_family(model)->name,
                         dial_task_name(dial_model_get_task(model)));
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

/* The group column: no feature of the model, not the target, a group on
 * every row. */
static dial_status importance_check_groups(dial_ctx *ctx, const dial_model *model,
                                           const dial_dataset *data, const dial_column *groups) {
    const char *name = groups->name ? groups->name : "?";
    for (size_t j = 0; j < dial_model_n_features(model); j++)
        if (strcmp(dial_model_feature_name(model, j), name) == 0)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "column '%s' is a feature of the model, so it cannot say which rows "
                             "form a group; name a column the model was not fitted on (fit with "
                             "--ignore %s to keep it out of the features)",
                             name, name);
    if (data->target_name && strcmp(data->target_name, name) == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "column '%s' is the target: the column of the groups must be another one",
                         name);
    for (size_t i = 0; i < data->n_rows; i++)
        if (isnan(groups->values[i]))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "column '%s' is missing on row %zu: every row needs its group", name,
                             i + 1);
    return DIAL_OK;
}

typedef struct importance_keyed_row {
    double key;
    size_t row;
} importance_keyed_row;

static int importance_compare_keyed(const void *a, const void *b) {
    const importance_keyed_row *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* The rows of each group, groups numbered in order of their first row
 * (*start: n_groups + 1 offsets into *rows; both malloc'ed). Keys are
 * compared as numbers, so the groups do not depend on how a table lists
 * its levels beyond their first rows. Errors: DIAL_ERR_DATA for fewer than
 * 2 groups, DIAL_ERR_NOMEM. */
static dial_status importance_group_rows(dial_ctx *ctx, const dial_column *groups, size_t n,
                                         size_t *n_groups, size_t **start, size_t **rows) {
    *n_groups = 0;
    *start = *rows = NULL;
    importance_keyed_row *keyed = dial_malloc(ctx, (n ? n : 1) * sizeof *keyed);
    size_t *group_of = dial_malloc(ctx, (n ? n : 1) * sizeof *group_of);
    size_t *first_rank =
        dial_malloc(ctx, (n ? n : 1) * sizeof *first_rank); /* rank of a key -> group */
    size_t *count = dial_calloc(ctx, n + 1, sizeof *count);
    dial_status status = DIAL_OK;
    if (!keyed || !group_of || !first_rank || !count) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory grouping %zu rows", n);
        goto done;
    }
    for (size_t i = 0; i < n; i++) keyed[i] = (importance_keyed_row){groups->values[i], i};
    qsort(keyed, n, sizeof *keyed, importance_compare_keyed);
    /* group_of[row] = the rank of its key among the distinct keys */
    size_t ranks = 0;
    for (size_t k = 0; k < n; k++) {
        if (k == 0 || keyed[k].key != keyed[k - 1].key) ranks++;
        group_of[keyed[k].row] = ranks - 1;
    }
    /* renumber by first row: walking the rows in order meets each group's
     * first row before its others */
    for (size_t r = 0; r < ranks; r++) first_rank[r] = SIZE_MAX;
    size_t groups_seen = 0;
    for (size_t i = 0; i < n; i++) {
        size_t rank = group_of[i];
        if (first_rank[rank] == SIZE_MAX) first_rank[rank] = groups_seen++;
        group_of[i] = first_rank[rank];
        count[group_of[i] + 1]++;
    }
    if (ranks < 2) {
        status = dial_fail(ctx, DIAL_ERR_DATA,
                           "column '%s' holds %zu group%s; permuting whole groups needs at least "
                           "2 (without groups, the rows are shuffled one by one)",
                           groups->name ? groups->name : "?", ranks, ranks == 1 ? "" : "s");
        goto done;
    }
    for (size_t g = 0; g < ranks; g++) count[g + 1] += count[g];
    *rows = dial_malloc(ctx, n * sizeof **rows);
    *start = dial_malloc(ctx, (ranks + 1) * sizeof **start);
    if (!*rows || !*start) {
        free(*rows);
        free(*start);
        *start = *rows = NULL;
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory grouping %zu rows", n);
        goto done;
    }
    memcpy(*start, count, (ranks + 1) * sizeof **start);
    for (size_t i = 0; i < n; i++) (*rows)[count[group_of[i]]++] = i;
    *n_groups = ranks;
done:
    free(keyed);
    free(group_of);
    free(first_rank);
    free(count);
    return status;
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
    double *prediction = dial_malloc(ctx, n * sizeof *prediction);
    double *proba = dial_metric_needs_proba(job->metric)
                        ? dial_malloc(ctx, n * job->n_classes * sizeof *proba)
                        : NULL;
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
    out->mean = dial_calloc(ctx, n_features ? n_features : 1, sizeof *out->mean);
    out->std = dial_calloc(ctx, n_features ? n_features : 1, sizeof *out->std);
    size_t n_values = n_features * repeats;
    out->importance = dial_calloc(ctx, n_values ? n_values : 1, sizeof(double));
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
    return dial_importance_permutation_with(ctx, model, data, metric, repeats, seed, NULL, out);
}

dial_status dial_importance_permutation_with(dial_ctx *ctx, const dial_model *model,
                                             const dial_dataset *data, dial_metric metric,
                                             size_t repeats, uint64_t seed,
                                             const dial_importance_options *options,
                                             dial_importance_result *out) {
    memset(out, 0, sizeof *out);
    out->metric = metric;
    out->repeats = repeats;
    dial_status status = importance_check(ctx, model, data, metric, repeats);
    if (status != DIAL_OK) return status;
    /* A shuffle replaces a column of values, which sparse data's features
     * do not have: they live in compressed rows. */
    if (data->sparse)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "permutation importance does not take sparse data (a LIBSVM file) yet; "
                         "for a linear model, dial inspect shows the coefficients");
    const dial_column *groups = options ? options->groups : NULL;
    size_t n_groups = 0, *group_start = NULL, *group_rows = NULL;
    if (groups) {
        status = importance_check_groups(ctx, model, data, groups);
        if (status == DIAL_OK)
            status = importance_group_rows(ctx, groups, data->n_rows, &n_groups, &group_start,
                                           &group_rows);
        if (status != DIAL_OK) return status;
    }

    size_t n_units = data->n_features * repeats;
    if (n_units / repeats != data->n_features) {
        free(group_start);
        free(group_rows);
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "%zu features x %zu repeats is too many",
                         data->n_features, repeats);
    }
    int budget = dial_ctx_threads(ctx);
    int workers = n_units == 0 ? 1 : (size_t)budget < n_units ? budget : (int)n_units;
    importance_job job = {
        .parent = ctx,
        .model = model,
        .data = data,
        .metric = metric,
        .repeats = repeats,
        .seed = seed,
        .n_classes = dial_model_n_classes(model), /* 0 but in classification */
        /* Threads the units leave idle go to the predictions, within the budget. */
        .threads_per_worker = budget / workers,
        .n_groups = n_groups,
        .group_start = group_start,
        .group_rows = group_rows,
        .scores = dial_calloc(ctx, n_units ? n_units : 1, sizeof(double)),
        .status = dial_calloc(ctx, n_units ? n_units : 1, sizeof(dial_status)),
        .message = dial_calloc(ctx, n_units ? n_units : 1, sizeof(char *)),
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
    if (status == DIAL_OK) out->n_groups = n_groups;

done:
    free(group_start);
    free(group_rows);
    free(job.scores);
    free(job.status);
    if (job.message)
        for (size_t unit = 0; unit < n_units; unit++) free(job.message[unit]);
    free(job.message);
    return status;
}

/*
 * The built-in objective: a trial's value is the mean cross-validated score
 * of a model family with the trial's knobs.
 *
 * Everything that does not depend on the knobs is made once, when the
 * objective is created, and shared by every trial: the folds (so trials are
 * compared on the same rows), the views of their rows, the targets of their
 * test rows and the seed of each fold's fit. The fits of every trial use
 * the same seeds, so two trials differ only by their knobs, and `dial cv`
 * with the same seed and knobs reproduces a trial's score.
 *
 * The objective is three files, one concept each: this one (folds,
 * suggesting a trial's knobs, scoring its folds), objective_prepared.c
 * (the prepared-fold cache) and objective_chains.c (chains along a path or
 * warm knob); tune/objective_internal.h holds what they share.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/scoring.h"
#include "tune/objective_internal.h"

dial_status dial_objective_check_metric(dial_ctx *ctx, const dial_model_family *family,
                                        const dial_knobs *knobs, const dial_space *space,
                                        const dial_dataset *data, dial_metric metric) {
    /* An unsupervised family (clustering) is tuned on data without a
     * target; any other needs one. */
    if (!data->y && !family->unsupervised)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "tuning needs a dataset with a target");
    dial_status status =
        dial_metric_check(ctx, metric, data->task, data->target_name, family, NULL);
    const char *knob = family->proba_knob;
    if (status != DIAL_OK || !dial_metric_needs_proba(metric) || !knob) return status;
    if (space && dial_space_find(space, knob) >= 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' needs class probabilities, which %s gives only with "
                         "%s=true, and the search also tries %s=false: fix it with -s %s=true",
                         dial_metric_name(metric), family->name, knob, knob, knob);
    return dial_metric_check(ctx, metric, data->task, data->target_name, family, knobs);
}

double dial_objective_fold_std(const dial_trial_record *record) {
    size_t n = record->n_intermediate;
    if (n == 0) return NAN;
    double sum = 0, squares = 0;
    for (size_t i = 0; i < n; i++) sum += record->intermediate_values[i];
    double mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = record->intermediate_values[i] - mean;
        squares += d * d;
    }
    return sqrt(squares / (double)n);
}

/* Orders the space so that a knob whose condition names another knob of
 * the space comes after it: whether the knob is active is then known when
 * its turn comes. A cycle (a bug in a knob table) keeps the space order. */
static size_t *order_params(const dial_ctx *ctx, const dial_space *space) {
    size_t n = space->n;
    size_t *order = dial_malloc_array(ctx, n, sizeof *order);
    bool *placed = dial_calloc(ctx, n, sizeof *placed);
    if (!order || !placed) {
        free(order);
        free(placed);
        return NULL;
    }
    size_t done = 0;
    while (done < n) {
        size_t before = done;
        for (size_t i = 0; i < n; i++) {
            if (placed[i]) continue;
            char controller[128];
            dial_knob_condition_split(space->params[i].condition, controller, sizeof controller);
            long at = controller[0] ? dial_space_find(space, controller) : -1;
            if (at >= 0 && (size_t)at != i && !placed[at]) continue;
            placed[i] = true;
            order[done++] = i;
        }
        if (done == before)
            for (size_t i = 0; i < n; i++)
                if (!placed[i]) {
                    placed[i] = true;
                    order[done++] = i;
                }
    }
    free(placed);
    return order;
}

static int compare_rows(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* The rows the objective sees, sorted and checked. */
static dial_status copy_rows(dial_ctx *ctx, const dial_dataset *data, const size_t *rows,
                             size_t n_rows, dial_model_objective *objective) {
    size_t n = rows ? n_rows : data->n_rows;
    objective->rows = dial_malloc_array(ctx, n, sizeof *objective->rows);
    if (!objective->rows) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu rows", n);
    for (size_t i = 0; i < n; i++) objective->rows[i] = rows ? rows[i] : i;
    if (rows) qsort(objective->rows, n, sizeof *objective->rows, compare_rows);
    for (size_t i = 0; i < n; i++) {
        if (objective->rows[i] >= data->n_rows)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "row %zu is out of range: the dataset has %zu rows",
                             objective->rows[i], data->n_rows);
        if (i && objective->rows[i] == objective->rows[i - 1])
            return dial_fail(ctx, DIAL_ERR_ARGUMENT, "row %zu is listed twice", objective->rows[i]);
    }
    objective->n_rows = n;
    return DIAL_OK;
}

/* Folds over the objective's rows: split a dataset that has only those
 * rows' targets and scheme keys (the splitter reads nothing else), then map
 * the indices back to rows of data. Stratified when the fit classifies;
 * a fit without a target (clustering) splits rows alone. */
static dial_status make_splits(dial_ctx *ctx, dial_model_objective *objective,
                               const dial_fold_scheme *scheme, size_t folds, size_t repeats,
                               uint64_t seed) {
    const dial_dataset *data = objective->data;
    size_t n = objective->n_rows;
    dial_dataset subset = *data;
    bool has_target = dial_task_needs_target(objective->task);
    double *y = has_target ? dial_malloc_array(ctx, n, sizeof *y) : NULL;
    double *keys = scheme && scheme->keys ? dial_malloc_array(ctx, n, sizeof *keys) : NULL;
    if ((has_target && !y) || (scheme && scheme->keys && !keys)) {
        free(y);
        free(keys);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu rows", n);
    }
    for (size_t i = 0; y && i < n; i++) y[i] = data->y[objective->rows[i]];
    /* The rows are ascending, so a scheme without keys (rows in time
     * order) keeps its meaning on the subset. */
    for (size_t i = 0; keys && i < n; i++) keys[i] = scheme->keys[objective->rows[i]];
    dial_fold_scheme subset_scheme = scheme ? *scheme : (dial_fold_scheme){0};
    subset_scheme.keys = keys;
    subset.n_rows = n;
    subset.y = y;
    dial_status status =
        dial_split_folds(ctx, &subset, &subset_scheme, folds, repeats,
                         objective->task == DIAL_TASK_CLASSIFICATION, seed, &objective->splits);
    free(y);
    free(keys);
    if (status != DIAL_OK) return status;
    for (size_t s = 0; s < objective->splits.count; s++) {
        dial_split *split = &objective->splits.items[s];
        for (size_t j = 0; j < split->n_train; j++)
            split->train[j] = objective->rows[split->train[j]];
        for (size_t j = 0; j < split->n_test; j++) split->test[j] = objective->rows[split->test[j]];
    }
    return DIAL_OK;
}

/* What a fold holds for every trial, whatever its knobs. */
static dial_status objective_prepare_fold(dial_ctx *ctx, const dial_model_objective *objective,
                                          size_t index, objective_fold *fold) {
    const dial_split *split = &objective->splits.items[index];
    fold->train = (dial_view){objective->data, split->train, split->n_train};
    fold->test = (dial_view){objective->data, split->test, split->n_test};
    /* dial_cv_run's seeds: `dial cv --seed N -s <best knobs>` gives the
     * best trial's score */
    fold->fit_seed = dial_eval_split_seed(dial_ctx_seed(ctx), index);
    if (!dial_task_needs_target(objective->task)) return DIAL_OK; /* a clustering's folds */
    fold->test_y = dial_malloc_array(ctx, split->n_test, sizeof *fold->test_y);
    if (!fold->test_y) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a fold");
    for (size_t i = 0; i < split->n_test; i++) fold->test_y[i] = objective->data->y[split->test[i]];
    return DIAL_OK;
}

dial_status dial_model_objective_create(dial_ctx *ctx, const dial_tune_setup *setup,
                                        const dial_dataset *data, const size_t *rows, size_t n_rows,
                                        dial_model_objective **out) {
    *out = NULL;
    if (!setup || !setup->family || !setup->knobs || !data)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "dial_model_objective_create needs a setup with a family and knobs, "
                         "and data");
    dial_status status = dial_objective_check_metric(ctx, setup->family, setup->knobs, setup->space,
                                                     data, setup->metric);
    if (status != DIAL_OK) return status;
    dial_model_objective *objective = dial_calloc(ctx, 1, sizeof *objective);
    if (!objective) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the objective");
    objective->family = setup->family;
    objective->metric = setup->metric;
    objective->data = data;
    objective->task = dial_model_fit_task(setup->family, data);
    objective->n_classes = dial_model_fit_n_classes(setup->family, data);
    status = dial_knobs_copy(ctx, setup->knobs, &objective->knobs);
    if (status == DIAL_OK && setup->space)
        status = dial_space_copy(ctx, setup->space, &objective->space);
    if (status == DIAL_OK && !(objective->order = order_params(ctx, &objective->space)))
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the objective");
    if (status == DIAL_OK) status = copy_rows(ctx, data, rows, n_rows, objective);
    if (status == DIAL_OK)
        status = make_splits(ctx, objective, setup->fold_scheme, setup->folds ? setup->folds : 5,
                             setup->repeats ? setup->repeats : 1, setup->seed);
    if (status == DIAL_OK &&
        !(objective->folds = dial_calloc(ctx, objective->splits.count, sizeof *objective->folds)))
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the objective");
    if (status == DIAL_OK) {
        /* The fold seeds come from the setup's seed, whatever ctx holds. */
        dial_ctx *seeded = dial_ctx_clone(ctx, 1);
        if (!seeded) status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the objective");
        if (seeded) dial_ctx_set_seed(seeded, setup->seed);
        for (size_t f = 0; status == DIAL_OK && f < objective->splits.count; f++) {
            status = objective_prepare_fold(seeded, objective, f, &objective->folds[f]);
            if (status != DIAL_OK) dial_fail(ctx, status, "%s", dial_ctx_error(seeded));
        }
        dial_ctx_free(seeded);
    }
    /* Trials cluster each fold's test rows anew, but the rows' distances
     * stay: measured once per fold, they are summed again by each trial. */
    for (size_t f = 0; status == DIAL_OK && objective->metric == DIAL_METRIC_SILHOUETTE &&
                       f < objective->splits.count;
         f++)
        if (!(objective->folds[f].distances = dial_silhouette_memo_create(
                  ctx, OBJECTIVE_SILHOUETTE_BYTES / objective->splits.count)))
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the objective");
    objective->chain_knob = -1;
    objective->pruning_resource = DIAL_RESOURCE_FOLDS;
    if (status == DIAL_OK) status = dial_objective_cache_create(ctx, objective);
    if (status == DIAL_OK) status = dial_objective_order(ctx, objective);
    if (status == DIAL_OK)
        status = dial_objective_chain_setup(ctx, objective, DIAL_SAMPLER_RANDOM, 0);
    if (status != DIAL_OK) {
        dial_model_objective_free(objective);
        return status;
    }
    *out = objective;
    return DIAL_OK;
}

void dial_model_objective_free(dial_model_objective *objective) {
    if (!objective) return;
    dial_knobs_free(&objective->knobs);
    dial_space_free(&objective->space);
    free(objective->order);
    free(objective->order_roles);
    free(objective->rows);
    dial_objective_cache_free(objective->family, objective->cache);
    free(objective->features);
    free(objective->key_knobs);
    free(objective->memo_knobs);
    free(objective->path_steps);
    free(objective->ladder);
    for (size_t f = 0; objective->folds && f < objective->splits.count; f++) {
        free(objective->folds[f].test_y);
        dial_silhouette_memo_free(objective->folds[f].distances);
    }
    dial_splits_free(&objective->splits);
    free(objective->folds);
    free(objective);
}

void dial_objective_set_prepare(dial_model_objective *objective, bool enabled) {
    if (objective->cache) objective->cache->enabled = enabled;
}

dial_status dial_objective_set_sampler(dial_ctx *ctx, dial_model_objective *objective,
                                       dial_sampler_kind sampler, size_t grid_points) {
    return dial_objective_chain_setup(ctx, objective, sampler, grid_points);
}

void dial_objective_pruner_resource(const dial_model_objective *objective, dial_resource *resource,
                                    int64_t *max_resource) {
    if (objective->chain_knob >= 0 && !objective->warm) {
        *resource = DIAL_RESOURCE_PATH;
        *max_resource = objective->path_steps
                            ? (int64_t)objective->path_steps[objective->n_path_steps - 1]
                            : (int64_t)floor(objective->chain_param->high);
        return;
    }
    *resource = DIAL_RESOURCE_FOLDS;
    *max_resource = (int64_t)objective->splits.count;
}

void dial_objective_set_pruning(dial_model_objective *objective, bool on, dial_resource resource) {
    objective->pruning = on;
    objective->pruning_resource = resource;
}

void dial_objective_set_chains(dial_model_objective *objective, bool enabled) {
    if (!enabled) objective->chain_knob = -1;
}

const dial_space *dial_model_objective_space(const dial_model_objective *objective) {
    return &objective->space;
}

const dial_order_role *dial_objective_order_roles(const dial_model_objective *objective) {
    return objective->order_roles;
}

const dial_splits *dial_model_objective_splits(const dial_model_objective *objective) {
    return &objective->splits;
}

/* A knob fixed by the caller applies where it is active: a searched
 * controller that turns it off in a trial (-s C=2 with penalty=none
 * searched) is no reason to fail the trial, as dial_knobs_check would. */
static void release_inactive(dial_knobs *knobs) {
    for (size_t i = 0; i < knobs->n; i++)
        if (knobs->values[i].set_by_user && !dial_knobs_active(knobs, i))
            knobs->values[i].set_by_user = false;
}

/* Asks the trial for each searched knob that is active under the knobs set
 * so far, and sets it: choices by their text (a list of numbers too, so
 * "3" sets k exactly as -s k=3 would), ranges by their number. */
static dial_status suggest_knobs(const dial_model_objective *objective, dial_trial *trial,
                                 dial_knobs *knobs) {
    dial_ctx *ctx = dial_trial_ctx(trial);
    for (size_t k = 0; k < objective->space.n; k++) {
        const dial_param *param = &objective->space.params[objective->order[k]];
        long index = dial_knobs_find(knobs, param->name);
        if (index < 0)
            return dial_fail(ctx, DIAL_ERR_KNOB, "the search space names knob '%s', which %s lacks",
                             param->name, objective->family->name);
        if (!dial_knobs_active(knobs, (size_t)index)) continue;
        int flags = param->log ? DIAL_LOG : DIAL_LINEAR;
        dial_status status = DIAL_OK;
        switch (param->kind) {
        case DIAL_PARAM_CHOICE: {
            size_t pick = 0;
            status = dial_trial_suggest_choice(
                trial, param->name, (const char *const *)param->choices, param->n_choices, &pick);
            if (status == DIAL_OK)
                status = dial_knobs_set(ctx, knobs, param->name, param->choices[pick]);
            break;
        }
        case DIAL_PARAM_INT: {
            int64_t value = 0;
            status = dial_trial_suggest_int(trial, param->name, (int64_t)param->low,
                                            (int64_t)param->high, flags, &value);
            if (status == DIAL_OK)
                status = dial_knobs_set_number(ctx, knobs, param->name, (double)value);
            break;
        }
        case DIAL_PARAM_FLOAT: {
            double value = 0;
            status = dial_trial_suggest_float(trial, param->name, param->low, param->high, flags,
                                              &value);
            if (status == DIAL_OK) status = dial_knobs_set_number(ctx, knobs, param->name, value);
            break;
        }
        }
        if (status != DIAL_OK) return status;
    }
    release_inactive(knobs);
    return DIAL_OK;
}

/* Fits on the fold's training rows and scores its test rows. */
dial_status dial_objective_score_fold(dial_ctx *ctx, const dial_model_objective *objective,
                                      const dial_knobs *knobs, const objective_fold *fold,
                                      double *score) {
    dial_model *model = NULL;
    dial_ctx_set_seed(ctx, fold->fit_seed);
    dial_status status = dial_model_fit(ctx, objective->family, knobs, &fold->train, &model);
    if (status == DIAL_OK)
        status = dial_eval_score_view_memo(ctx, model, &fold->test, objective->metric,
                                           fold->distances, score);
    dial_model_free(model);
    return status;
}

/* Reports fold f's score as the trial's intermediate value f. The metrics
 * refuse what is not a number; a score that still is not one fails the
 * trial rather than become its value. */
static dial_status report_fold(const dial_model_objective *objective, dial_trial *trial, size_t f,
                               double score) {
    if (!isfinite(score))
        return dial_fail(dial_trial_ctx(trial), DIAL_ERR_NUMERIC,
                         "fold %zu of %zu: the %s score is %g, not a finite number", f + 1,
                         objective->splits.count, dial_metric_name(objective->metric), score);
    return dial_trial_report(trial, (int64_t)f, score);
}

dial_status dial_model_objective_run(void *user, dial_trial *trial, double *value, bool *pruned) {
    const dial_model_objective *objective = user;
    dial_ctx *ctx = dial_trial_ctx(trial);
    dial_knobs knobs;
    dial_status status = dial_knobs_copy(ctx, &objective->knobs, &knobs);
    if (status != DIAL_OK) return status;
    status = suggest_knobs(objective, trial, &knobs);
    /* The folds run on a context of their own, whose seed each fold sets;
     * the trial's context keeps its seed and receives any error. */
    dial_ctx *fold_ctx = status == DIAL_OK ? dial_ctx_clone(ctx, dial_ctx_threads(ctx)) : NULL;
    if (status == DIAL_OK && !fold_ctx)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting a trial");
    /* Knobs that dial_model_fit would refuse take the full path, which
     * refuses them with its words. */
    double *key = NULL;
    size_t key_length = 0;
    if (status == DIAL_OK && objective->cache && objective->cache->enabled) {
        if (dial_knobs_check(fold_ctx, &knobs) == DIAL_OK &&
            !(key = dial_objective_make_key(ctx, objective->key_knobs, objective->n_key_knobs,
                                            &knobs, &key_length)))
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a trial's cache key");
        dial_ctx_clear_error(fold_ctx);
    }
    size_t n = objective->splits.count, done = 0;
    double paid = 0; /* seconds spent building prepared entries */
    double sum = 0;
    bool *scored = status == DIAL_OK ? dial_calloc(ctx, n, sizeof *scored) : NULL;
    double *scores = status == DIAL_OK ? dial_calloc(ctx, n, sizeof *scores) : NULL;
    size_t steps = key ? dial_objective_path_length(objective, &knobs) : 0;
    double *paths = steps ? dial_malloc_array(ctx, n * steps, sizeof *paths) : NULL;
    for (size_t i = 0; paths && i < n * steps; i++) paths[i] = NAN;
    if (status == DIAL_OK && (!scored || !scores || (steps && !paths)))
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting a trial");
    /* A PATH pruner judges a path trial at its rungs before its own value
     * is scored (objective_rungs.c). */
    bool path_judged = objective->pruning && objective->pruning_resource == DIAL_RESOURCE_PATH;
    bool judged_scored = false;
    if (status == DIAL_OK && path_judged && paths)
        status = dial_objective_judge_rungs(fold_ctx, objective, trial, &knobs, key, key_length,
                                            paths, steps, scores, &paid, pruned, &judged_scored);
    /* A trial judged to its end was scored by its judging's fits. */
    for (size_t f = 0; status == DIAL_OK && judged_scored && f < n; f++) {
        status = report_fold(objective, trial, f, scores[f]);
        scored[f] = status == DIAL_OK;
        done += scored[f];
    }
    /* Folds in order, except that a fold whose chain another trial is
     * extending waits until a pass has nothing else left to do; with a
     * pruner, strictly in order (the fold waits), so that the folds a
     * pruned trial reported are its first ones. */
    while (status == DIAL_OK && done < n && !*pruned) {
        uint64_t settled = 0;
        if (key) {
            pthread_mutex_lock(&objective->cache->lock);
            settled = objective->cache->settled;
            pthread_mutex_unlock(&objective->cache->lock);
        }
        bool progressed = false;
        for (size_t f = 0; status == DIAL_OK && f < n && !*pruned; f++) {
            if (scored[f]) continue;
            double score = NAN;
            bool busy = false;
            double *path = paths ? paths + f * steps : NULL;
            if (key && objective->pruning)
                status = dial_objective_score_fold_in_order(fold_ctx, objective, &knobs, f, key,
                                                            key_length, &score, path, &paid);
            else if (key)
                status = dial_objective_score_fold_prepared(fold_ctx, objective, &knobs, f, key,
                                                            key_length, &score, path, &busy, &paid);
            else
                status = dial_objective_score_fold(fold_ctx, objective, &knobs,
                                                   &objective->folds[f], &score);
            if (status != DIAL_OK) {
                dial_fail(ctx, status, "fold %zu of %zu: %s", f + 1, n, dial_ctx_error(fold_ctx));
                break;
            }
            if (busy) continue;
            status = report_fold(objective, trial, f, score);
            if (status != DIAL_OK) break;
            scored[f] = progressed = true;
            scores[f] = score;
            done++;
            /* A PATH pruner judged the trial at its rungs: the folds of a
             * trial that reached its own value all count. */
            if (status == DIAL_OK && done < n && !path_judged && dial_trial_should_prune(trial))
                *pruned = true;
        }
        if (status == DIAL_OK && !progressed && done < n && !*pruned) {
            pthread_mutex_lock(&objective->cache->lock);
            while (objective->cache->settled == settled)
                pthread_cond_wait(&objective->cache->built, &objective->cache->lock);
            pthread_mutex_unlock(&objective->cache->lock);
        }
    }
    /* summed in fold order, whatever order the folds were scored in */
    for (size_t f = 0; status == DIAL_OK && f < n; f++)
        if (scored[f]) sum += scores[f];
    double mean = sum / (double)(done ? done : 1);
    /* Finite scores whose sum overflows (rmse near 1e308) are averaged
     * term by term instead. */
    if (!isfinite(mean)) {
        mean = 0;
        for (size_t f = 0; status == DIAL_OK && f < n; f++)
            if (scored[f]) mean += scores[f] / (double)done;
    }
    if (status == DIAL_OK) *value = mean;
    if (status == DIAL_OK && paths && done == n)
        status = dial_objective_report_path(trial, paths, n, steps, steps);
    if (paid > 0) dial_objective_record_paid(ctx, objective->cache, dial_trial_number(trial), paid);
    free(paths);
    free(scored);
    free(scores);
    free(key);
    dial_ctx_free(fold_ctx);
    dial_knobs_free(&knobs);
    return status;
}

dial_status dial_model_objective_knobs(dial_ctx *ctx, const dial_model_objective *objective,
                                       const dial_trial_record *record, dial_knobs *out) {
    dial_status status = dial_knobs_copy(ctx, &objective->knobs, out);
    for (size_t i = 0; status == DIAL_OK && i < record->n_params; i++) {
        const char *name = record->param_names[i];
        if (record->param_kinds[i] == DIAL_PARAM_CHOICE)
            status = dial_knobs_set(ctx, out, name, record->param_texts[i]);
        else
            status = dial_knobs_set_number(ctx, out, name, record->param_values[i]);
    }
    if (status == DIAL_OK) {
        release_inactive(out);
        return DIAL_OK;
    }
    dial_knobs_free(out);
    if (status == DIAL_ERR_NOMEM) return status;
    char why[512]; /* the message is rewritten in place: copy it first */
    snprintf(why, sizeof why, "%s", dial_ctx_error(ctx));
    return dial_fail(ctx, status, "trial %lld of the study does not fit %s: %s",
                     (long long)record->number, objective->family->name, why);
}

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
 * Prepare once, fit many (DESIGN.md): when the family has prepare_fold,
 * what a fold's fit depends on besides the knobs that vary cheaply is
 * made once and shared by the trials that agree on it. A cache per fold
 * holds entries keyed by the values of impute, scale and the family's
 * prepare_knobs (an inactive knob matches any value); an entry keeps the
 * fold's preprocessed training and test matrices and the family's fold
 * state, prepared for knobs_max: the trial's knobs with every searched
 * numeric knob at the top of its range. The first trial that needs an
 * entry builds it under the cache's lock (a trial needing it meanwhile
 * builds another fold's entry, or waits); predict_fold then runs without
 * the lock. Predictions are those of a full fit, so scores are identical
 * with or without the cache. Whenever the prepared path cannot answer
 * (preparing failed, or predict_fold says DIAL_ERR_UNSUPPORTED) the fold is
 * fitted in full, which also gives any error its usual words.
 *
 * Chains along one knob: within an entry, a family with a path knob
 * (gbdt's n_estimators, mlp's epochs) or a warm knob (svm's C) shares more.
 * A memo per fold and per value of every other knob keeps scores along the
 * chain knob. Path: one fit at the largest value the search may ask for
 * (the grid's top; else the trial's own value) scores every smaller value
 * as well, so the trials that differ only there cost one fit. Warm: the
 * values a grid asks for (or a list of numbers) form a ladder, and the
 * solution at each rung starts from the solution at the rung below, always
 * the same one, so a trial's score does not depend on which trials ran
 * first. A trial whose memo another trial is extending scores its other
 * folds meanwhile, and waits only when every fold it lacks is busy.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eval/scoring.h"
#include "models/family_tuning.h"
#include "models/model_inputs.h"
#include "tune/objective.h"
#include "tune/record.h"
#include "tune/sampler_internal.h"

/* Entries each fold's cache keeps: a search over preprocessing variants
 * or metrics keeps the 4 most recently used per fold (beyond that an entry
 * is rebuilt when it is needed again), so memory stays bounded at about 4
 * x folds x (the data as doubles, twice, plus the family's state). */
#define OBJECTIVE_PREPARED_PER_FOLD 4

/* One fold, ready for every trial. */
typedef struct objective_fold {
    dial_view train, test;
    double *test_y; /* the targets of the test rows, owned */
    uint64_t fit_seed;
} objective_fold;

typedef enum prepared_state {
    PREPARED_BUILDING, /* a trial is making it; others wait or help */
    PREPARED_READY,    /* fold_state answers predict_fold */
    PREPARED_FULL      /* preparing failed: trials fit this fold in full */
} prepared_state;

/* Scores along the chain knob, for one fold, one entry and one value of
 * every other knob. */
typedef struct memo {
    struct memo *next;
    double *key; /* owned */
    size_t key_length;
    bool busy;        /* a trial is extending it: others score other folds */
    bool unsupported; /* the family cannot chain these knobs */
    double *scores;   /* owned; path: by step - 1 (NaN: not asked); warm: by rung */
    size_t n_scores;
    void *solution; /* warm: the solution at rung n_scores - 1 */
} memo;

/* Memos an entry keeps; beyond that the oldest idle one goes. */
#define OBJECTIVE_MEMOS_PER_ENTRY 256

/* One fold preprocessed and prepared for one key. */
typedef struct prepared {
    struct prepared *next; /* in its fold's list, most recently used first */
    double *key;           /* owned */
    size_t key_length;
    prepared_state state;
    int users;                     /* trials holding it: it is never evicted meanwhile */
    dial_tensors preprocess;       /* what preprocessing learned on the training rows */
    dial_model_inputs train, test; /* owned; outlive fold_state */
    void *fold_state;
    memo *memos; /* newest first */
    size_t n_memos;
} prepared;

typedef struct prepared_cache {
    pthread_mutex_t lock; /* guards every list and entry header */
    pthread_cond_t built; /* an entry left PREPARED_BUILDING */
    bool enabled;
    size_t n_folds;
    prepared **lists;  /* per fold */
    size_t *counts;    /* entries per fold */
    size_t builds;     /* entries built, for the tests */
    uint64_t settled;  /* memos that stopped being busy: a waiting trial looks again */
    size_t chain_fits; /* path fits and warm rungs solved, for the tests */
    /* The trials that built entries, and the seconds it took each: the
     * leaderboard says that such a trial's time includes work later trials
     * reuse (dial_objective_prepare_seconds). */
    int64_t *paid_numbers;
    double *paid_seconds;
    size_t n_paid, paid_capacity;
} prepared_cache;

struct dial_model_objective {
    const dial_model_family *family;
    dial_knobs knobs; /* the fixed knobs, owned */
    dial_space space; /* owned */
    size_t *order;    /* space indices, a knob's controlling knob before it */
    dial_metric metric;
    const dial_dataset *data;
    size_t *rows; /* the rows the objective sees, ascending, owned */
    size_t n_rows;
    dial_splits splits; /* row indices of data */
    objective_fold *folds;
    /* prepare once, fit many: NULL when the family has no prepare_fold */
    prepared_cache *cache;
    dial_feature *features; /* the data's schema, names and levels borrowed */
    size_t n_inputs;
    long *key_knobs; /* impute, scale and the family's prepare_knobs, by index */
    size_t n_key_knobs;
    /* chains: chain_knob is the searched path or warm knob (-1: none) */
    long chain_knob;
    bool warm; /* the chain is a warm ladder, else a path */
    const dial_param *chain_param;
    long *memo_knobs; /* every knob but chain_knob, by index */
    size_t n_memo_knobs;
    size_t *path_steps; /* path, a choice: its steps ascending (NULL: an int range) */
    size_t n_path_steps;
    bool path_to_top; /* path: fit to the largest step the search may ask for */
    double *ladder;   /* warm: the rungs ascending */
    size_t n_ladder;
};

static dial_status chain_setup(dial_ctx *ctx, dial_model_objective *objective,
                               dial_sampler_kind sampler, size_t grid_points);

/* ---- scoring -------------------------------------------------------------- */

dial_status dial_objective_check_metric(dial_ctx *ctx, const dial_model_family *family,
                                        const dial_knobs *knobs, const dial_space *space,
                                        const dial_dataset *data, dial_metric metric) {
    if (!data->y) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "tuning needs a dataset with a target");
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

/* ---- creating ------------------------------------------------------------- */

/* The knob a condition "knob=v1|v2" names, copied into name. */
static void condition_knob(const char *condition, char *name, size_t size) {
    const char *eq = condition ? strchr(condition, '=') : NULL;
    size_t length = eq ? (size_t)(eq - condition) : 0;
    if (length >= size) length = size - 1;
    memcpy(name, condition, length);
    name[length] = '\0';
}

/* Orders the space so that a knob whose condition names another knob of
 * the space comes after it: whether the knob is active is then known when
 * its turn comes. A cycle (a bug in a knob table) keeps the space order. */
static size_t *order_params(const dial_space *space) {
    size_t n = space->n;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    bool *placed = calloc(n ? n : 1, sizeof *placed);
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
            condition_knob(space->params[i].condition, controller, sizeof controller);
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
    objective->rows = malloc((n ? n : 1) * sizeof *objective->rows);
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
 * the indices back to rows of data. */
static dial_status make_splits(dial_ctx *ctx, dial_model_objective *objective,
                               const dial_fold_scheme *scheme, size_t folds, size_t repeats,
                               uint64_t seed) {
    const dial_dataset *data = objective->data;
    size_t n = objective->n_rows;
    dial_dataset subset = *data;
    double *y = malloc((n ? n : 1) * sizeof *y);
    double *keys = scheme && scheme->keys ? malloc((n ? n : 1) * sizeof *keys) : NULL;
    if (!y || (scheme && scheme->keys && !keys)) {
        free(y);
        free(keys);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu rows", n);
    }
    for (size_t i = 0; i < n; i++) y[i] = data->y[objective->rows[i]];
    /* The rows are ascending, so a scheme without keys (rows in time
     * order) keeps its meaning on the subset. */
    for (size_t i = 0; keys && i < n; i++) keys[i] = scheme->keys[objective->rows[i]];
    dial_fold_scheme subset_scheme = scheme ? *scheme : (dial_fold_scheme){0};
    subset_scheme.keys = keys;
    subset.n_rows = n;
    subset.y = y;
    dial_status status =
        dial_split_folds(ctx, &subset, &subset_scheme, folds, repeats,
                         data->task == DIAL_TASK_CLASSIFICATION, seed, &objective->splits);
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
    fold->test_y = malloc((split->n_test ? split->n_test : 1) * sizeof *fold->test_y);
    if (!fold->test_y) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a fold");
    for (size_t i = 0; i < split->n_test; i++) fold->test_y[i] = objective->data->y[split->test[i]];
    return DIAL_OK;
}

static bool names_contain(const char *const *names, const char *name) {
    for (size_t i = 0; names && names[i]; i++)
        if (strcmp(names[i], name) == 0) return true;
    return false;
}

/* Asks the grid for the order that shares the most: the knobs of a
 * prepared entry vary slowest, the chain knob fastest (a path from its
 * top, a warm ladder from its bottom). */
static void mark_grid_roles(dial_model_objective *objective) {
    const dial_family_tuning *tuning = objective->family->tuning;
    static const char *const preprocessing[] = {"impute", "scale", NULL};
    for (size_t i = 0; objective->cache && i < objective->space.n; i++) {
        dial_param *param = &objective->space.params[i];
        if (names_contain(preprocessing, param->name) ||
            names_contain(tuning->prepare_knobs, param->name))
            param->grid_role = DIAL_GRID_OUTER;
        else if (tuning->path_knob && tuning->predict_fold_path &&
                 strcmp(tuning->path_knob, param->name) == 0)
            param->grid_role = DIAL_GRID_DESCENDING;
        else if (tuning->warm_knob && tuning->predict_fold_warm &&
                 strcmp(tuning->warm_knob, param->name) == 0)
            param->grid_role = DIAL_GRID_ASCENDING;
    }
}

/* The cache of a family with a prepare path: the data's schema as the
 * preprocessing reads it, the knobs of the key, and empty lists. */
static dial_status objective_cache_create(dial_ctx *ctx, dial_model_objective *objective) {
    const dial_model_family *family = objective->family;
    const dial_dataset *data = objective->data;
    const dial_family_tuning *tuning = family->tuning;
    if (!tuning || !tuning->prepare_fold || !tuning->predict_fold || !tuning->free_fold)
        return DIAL_OK;
    size_t n_prepare = 0;
    while (tuning->prepare_knobs && tuning->prepare_knobs[n_prepare]) n_prepare++;
    dial_status status =
        dial_model_inputs_schema(ctx, data, &objective->features, &objective->n_inputs);
    if (status != DIAL_OK) return status;
    objective->key_knobs = malloc((n_prepare + 2) * sizeof *objective->key_knobs);
    prepared_cache *cache = calloc(1, sizeof *cache);
    if (cache) {
        cache->lists = calloc(objective->splits.count, sizeof *cache->lists);
        cache->counts = calloc(objective->splits.count, sizeof *cache->counts);
    }
    if (!objective->key_knobs || !cache || !cache->lists || !cache->counts) {
        if (cache) {
            free(cache->lists);
            free(cache->counts);
        }
        free(cache);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the objective's cache");
    }
    if (pthread_mutex_init(&cache->lock, NULL) != 0) {
        free(cache->lists);
        free(cache->counts);
        free(cache);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "could not make a lock for the objective's cache");
    }
    if (pthread_cond_init(&cache->built, NULL) != 0) {
        pthread_mutex_destroy(&cache->lock);
        free(cache->lists);
        free(cache->counts);
        free(cache);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "could not make a lock for the objective's cache");
    }
    cache->enabled = true;
    cache->n_folds = objective->splits.count;
    objective->cache = cache;
    const char *names[2] = {"impute", "scale"};
    for (size_t i = 0; i < n_prepare + 2; i++) {
        long at =
            dial_knobs_find(&objective->knobs, i < 2 ? names[i] : tuning->prepare_knobs[i - 2]);
        if (at >= 0) objective->key_knobs[objective->n_key_knobs++] = at;
    }
    return DIAL_OK;
}

static void memo_free(const dial_model_family *family, memo *m) {
    if (m->solution && family->tuning->free_warm) family->tuning->free_warm(m->solution);
    free(m->scores);
    free(m->key);
    free(m);
}

static void prepared_free(const dial_model_family *family, prepared *entry) {
    if (!entry) return;
    for (memo *m = entry->memos, *next; m; m = next) {
        next = m->next;
        memo_free(family, m);
    }
    if (entry->fold_state) family->tuning->free_fold(entry->fold_state);
    dial_tensors_clear(&entry->preprocess);
    dial_model_inputs_free(&entry->train);
    dial_model_inputs_free(&entry->test);
    free(entry->key);
    free(entry);
}

static void objective_cache_free(const dial_model_family *family, prepared_cache *cache) {
    if (!cache) return;
    for (size_t f = 0; f < cache->n_folds; f++)
        for (prepared *entry = cache->lists[f], *next; entry; entry = next) {
            next = entry->next;
            prepared_free(family, entry);
        }
    pthread_cond_destroy(&cache->built);
    pthread_mutex_destroy(&cache->lock);
    free(cache->lists);
    free(cache->counts);
    free(cache->paid_numbers);
    free(cache->paid_seconds);
    free(cache);
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
    dial_model_objective *objective = calloc(1, sizeof *objective);
    if (!objective) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the objective");
    objective->family = setup->family;
    objective->metric = setup->metric;
    objective->data = data;
    status = dial_knobs_copy(ctx, setup->knobs, &objective->knobs);
    if (status == DIAL_OK && setup->space)
        status = dial_space_copy(ctx, setup->space, &objective->space);
    if (status == DIAL_OK && !(objective->order = order_params(&objective->space)))
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the objective");
    if (status == DIAL_OK) status = copy_rows(ctx, data, rows, n_rows, objective);
    if (status == DIAL_OK)
        status = make_splits(ctx, objective, setup->fold_scheme, setup->folds ? setup->folds : 5,
                             setup->repeats ? setup->repeats : 1, setup->seed);
    if (status == DIAL_OK &&
        !(objective->folds = calloc(objective->splits.count, sizeof *objective->folds)))
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
    objective->chain_knob = -1;
    if (status == DIAL_OK) status = objective_cache_create(ctx, objective);
    if (status == DIAL_OK) {
        mark_grid_roles(objective);
        status = chain_setup(ctx, objective, DIAL_SAMPLER_RANDOM, 0);
    }
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
    free(objective->rows);
    objective_cache_free(objective->family, objective->cache);
    free(objective->features);
    free(objective->key_knobs);
    free(objective->memo_knobs);
    free(objective->path_steps);
    free(objective->ladder);
    for (size_t f = 0; objective->folds && f < objective->splits.count; f++)
        free(objective->folds[f].test_y);
    dial_splits_free(&objective->splits);
    free(objective->folds);
    free(objective);
}

void dial_objective_set_prepare(dial_model_objective *objective, bool enabled) {
    if (objective->cache) objective->cache->enabled = enabled;
}

dial_status dial_objective_set_sampler(dial_ctx *ctx, dial_model_objective *objective,
                                       dial_sampler_kind sampler, size_t grid_points) {
    return chain_setup(ctx, objective, sampler, grid_points);
}

void dial_objective_set_chains(dial_model_objective *objective, bool enabled) {
    if (!enabled) objective->chain_knob = -1;
}

size_t dial_objective_chain_fits(const dial_model_objective *objective) {
    prepared_cache *cache = objective->cache;
    if (!cache) return 0;
    pthread_mutex_lock(&cache->lock);
    size_t fits = cache->chain_fits;
    pthread_mutex_unlock(&cache->lock);
    return fits;
}

const dial_space *dial_model_objective_space(const dial_model_objective *objective) {
    return &objective->space;
}

void dial_objective_cache_stats(const dial_model_objective *objective, size_t *entries,
                                size_t *builds) {
    *entries = *builds = 0;
    prepared_cache *cache = objective->cache;
    if (!cache) return;
    pthread_mutex_lock(&cache->lock);
    for (size_t f = 0; f < cache->n_folds; f++) *entries += cache->counts[f];
    *builds = cache->builds;
    pthread_mutex_unlock(&cache->lock);
}

const dial_splits *dial_model_objective_splits(const dial_model_objective *objective) {
    return &objective->splits;
}

/* ---- a trial -------------------------------------------------------------- */

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
static dial_status score_fold(dial_ctx *ctx, const dial_model_objective *objective,
                              const dial_knobs *knobs, const objective_fold *fold, double *score) {
    dial_model *model = NULL;
    dial_ctx_set_seed(ctx, fold->fit_seed);
    dial_status status = dial_model_fit(ctx, objective->family, knobs, &fold->train, &model);
    if (status == DIAL_OK)
        status = dial_eval_score_view(ctx, model, &fold->test, objective->metric, score);
    dial_model_free(model);
    return status;
}

/* ---- prepare once, fit many ------------------------------------------------ */

/* The key of a trial's knobs: for each key knob whether it is active and,
 * if so, its value (a list knob's items too). -0 is 0: they preprocess
 * alike. Returns NULL when out of memory. */
static double *make_key(const long *indices, size_t n_indices, const dial_knobs *knobs,
                        size_t *length) {
    double *key = malloc((n_indices * (3 + DIAL_KNOB_LIST_MAX) + 1) * sizeof *key);
    if (!key) return NULL;
    size_t n = 0;
    for (size_t i = 0; i < n_indices; i++) {
        size_t at = (size_t)indices[i];
        const dial_knob_value *value = &knobs->values[at];
        bool active = dial_knobs_active(knobs, at);
        key[n++] = active;
        if (!active) continue;
        key[n++] = value->number == 0 ? 0 : value->number;
        key[n++] = (double)value->n_items;
        for (size_t j = 0; j < value->n_items; j++)
            key[n++] = value->items[j] == 0 ? 0 : value->items[j];
    }
    *length = n;
    return key;
}

/* The largest knobs the search may ask for, as prepare_fold expects them:
 * the trial's knobs with each searched numeric knob (a range, or choices
 * that are all numbers) at its largest value. */
static dial_status make_knobs_max(dial_ctx *ctx, const dial_model_objective *objective,
                                  const dial_knobs *knobs, dial_knobs *out) {
    dial_status status = dial_knobs_copy(ctx, knobs, out);
    if (status != DIAL_OK) return status;
    for (size_t k = 0; k < objective->space.n; k++) {
        const dial_param *param = &objective->space.params[k];
        long at = dial_knobs_find(out, param->name);
        if (at < 0 || !dial_knobs_active(out, (size_t)at)) continue;
        const dial_knob_spec *spec = &out->specs[at];
        if ((spec->type != DIAL_KNOB_FLOAT && spec->type != DIAL_KNOB_INT) || spec->list_item)
            continue;
        double top = param->fixed ? param->low : param->high;
        if (param->kind == DIAL_PARAM_CHOICE) {
            bool numbers = param->n_choices > 0;
            top = -INFINITY;
            for (size_t c = 0; numbers && c < param->n_choices; c++) {
                char *end = NULL;
                double v = strtod(param->choices[c], &end);
                numbers = end != param->choices[c] && *end == '\0';
                if (numbers && v > top) top = v;
            }
            if (!numbers) continue;
        }
        /* A top the knob refuses keeps the trial's value: prepare_fold
         * then covers this trial at least, and predict_fold says when a
         * trial needs more (DIAL_ERR_UNSUPPORTED: a full fit). */
        if (dial_knobs_set_number(ctx, out, param->name, top) != DIAL_OK) dial_ctx_clear_error(ctx);
    }
    return DIAL_OK;
}

/* Preprocesses fold f as dial_model_fit and dial_model_predict would and
 * lets the family prepare it. Runs without the cache's lock: the entry is
 * BUILDING, so no one else touches it. Returns whether it worked; a
 * failure is not an error (the fold is then fitted in full). */
static bool prepared_build(dial_ctx *ctx, const dial_model_objective *objective, size_t f,
                           const dial_knobs *knobs, prepared *entry) {
    const objective_fold *fold = &objective->folds[f];
    const dial_dataset *data = objective->data;
    dial_ctx_set_seed(ctx, fold->fit_seed);
    dial_status status =
        dial_model_inputs_fit(ctx, objective->family, knobs, objective->features, data->n_features,
                              &fold->train, &entry->preprocess, &entry->train);
    if (status == DIAL_OK)
        status = dial_model_inputs_transform(ctx, objective->family, knobs, objective->features,
                                             data->n_features, &entry->preprocess, &fold->test,
                                             entry->train.in.task, entry->train.in.n_classes,
                                             &entry->test, NULL);
    dial_knobs knobs_max = {0};
    if (status == DIAL_OK) status = make_knobs_max(ctx, objective, knobs, &knobs_max);
    if (status == DIAL_OK)
        status = objective->family->tuning->prepare_fold(ctx, knobs, &knobs_max, &entry->train.in,
                                                         &entry->test.in, &entry->fold_state);
    dial_knobs_free(&knobs_max);
    if (status == DIAL_OK) return true;
    if (entry->fold_state) objective->family->tuning->free_fold(entry->fold_state);
    entry->fold_state = NULL;
    dial_tensors_clear(&entry->preprocess);
    dial_model_inputs_free(&entry->train);
    dial_model_inputs_free(&entry->test);
    dial_ctx_clear_error(ctx);
    return false;
}

static prepared *cache_find(const prepared_cache *cache, size_t f, const double *key,
                            size_t length) {
    for (prepared *entry = cache->lists[f]; entry; entry = entry->next)
        if (entry->key_length == length && memcmp(entry->key, key, length * sizeof *key) == 0)
            return entry;
    return NULL;
}

/* Moves an entry to the front of its fold's list (most recently used). */
static void cache_touch(prepared_cache *cache, size_t f, prepared *entry) {
    prepared **link = &cache->lists[f];
    while (*link != entry) link = &(*link)->next;
    *link = entry->next;
    entry->next = cache->lists[f];
    cache->lists[f] = entry;
}

/* A malloc'ed copy of a key, NULL when out of memory. */
static double *key_copy(const double *key, size_t length) {
    double *copy = malloc((length ? length : 1) * sizeof *copy);
    if (copy) memcpy(copy, key, length * sizeof *key);
    return copy;
}

/* A new BUILDING entry at the front of fold f's list, held by the caller;
 * NULL when out of memory. */
static prepared *cache_insert(prepared_cache *cache, size_t f, const double *key, size_t length) {
    prepared *entry = calloc(1, sizeof *entry);
    double *copy = key_copy(key, length);
    if (!entry || !copy) {
        free(entry);
        free(copy);
        return NULL;
    }
    entry->key = copy;
    entry->key_length = length;
    entry->state = PREPARED_BUILDING;
    entry->users = 1;
    entry->next = cache->lists[f];
    cache->lists[f] = entry;
    cache->counts[f]++;
    return entry;
}

/* Drops the least recently used entries of fold f that no trial holds
 * while the fold has more than OBJECTIVE_PREPARED_PER_FOLD. */
static void cache_evict(const dial_model_family *family, prepared_cache *cache, size_t f) {
    while (cache->counts[f] > OBJECTIVE_PREPARED_PER_FOLD) {
        prepared **victim = NULL;
        for (prepared **link = &cache->lists[f]; *link; link = &(*link)->next)
            if ((*link)->users == 0) victim = link;
        if (!victim) return;
        prepared *entry = *victim;
        *victim = entry->next;
        cache->counts[f]--;
        prepared_free(family, entry);
    }
}

/* Builds a held BUILDING entry of fold f, publishes the outcome and wakes
 * the trials waiting for it. Called and returns with the lock held. */
static void cache_build(dial_ctx *ctx, const dial_model_objective *objective, size_t f,
                        const dial_knobs *knobs, prepared *entry, double *paid) {
    prepared_cache *cache = objective->cache;
    pthread_mutex_unlock(&cache->lock);
    double start = dial_tune_now();
    bool ready = prepared_build(ctx, objective, f, knobs, entry);
    *paid += fmax(dial_tune_now() - start, 0);
    pthread_mutex_lock(&cache->lock);
    entry->state = ready ? PREPARED_READY : PREPARED_FULL;
    cache->builds++;
    pthread_cond_broadcast(&cache->built);
}

/* The entry of fold f for key, held by the caller (prepared_release), or
 * NULL when out of memory. When another trial is building it, this trial
 * builds the entry of a fold that has none for the key rather than wait
 * idle: with two trials at once, the folds are prepared two at a time. */
static prepared *prepared_acquire(dial_ctx *ctx, const dial_model_objective *objective, size_t f,
                                  const dial_knobs *knobs, const double *key, size_t length,
                                  double *paid) {
    prepared_cache *cache = objective->cache;
    pthread_mutex_lock(&cache->lock);
    prepared *entry = NULL;
    for (;;) {
        entry = cache_find(cache, f, key, length);
        if (entry && entry->state != PREPARED_BUILDING) {
            entry->users++;
            cache_touch(cache, f, entry);
            break;
        }
        if (!entry) {
            entry = cache_insert(cache, f, key, length);
            if (entry) {
                cache_build(ctx, objective, f, knobs, entry, paid);
                cache_evict(objective->family, cache, f);
            }
            break;
        }
        prepared *other = NULL;
        size_t g = f;
        for (size_t step = 1; step < cache->n_folds && !other; step++) {
            g = (f + step) % cache->n_folds;
            if (!cache_find(cache, g, key, length)) other = cache_insert(cache, g, key, length);
        }
        if (other) {
            cache_build(ctx, objective, g, knobs, other, paid);
            other->users--;
            cache_evict(objective->family, cache, g);
            continue;
        }
        pthread_cond_wait(&cache->built, &cache->lock);
    }
    pthread_mutex_unlock(&cache->lock);
    return entry;
}

static void prepared_release(const dial_model_objective *objective, size_t f, prepared *entry) {
    prepared_cache *cache = objective->cache;
    pthread_mutex_lock(&cache->lock);
    entry->users--;
    cache_evict(objective->family, cache, f);
    pthread_mutex_unlock(&cache->lock);
}

/* ---- chains along one knob ----------------------------------------------- */

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Sorts values ascending and drops repeats; false when one is not a
 * number. */
static bool sort_unique(double *values, size_t *n) {
    for (size_t i = 0; i < *n; i++)
        if (isnan(values[i])) return false;
    qsort(values, *n, sizeof *values, compare_doubles);
    size_t kept = 0;
    for (size_t i = 0; i < *n; i++)
        if (kept == 0 || values[i] != values[kept - 1]) values[kept++] = values[i];
    *n = kept;
    return true;
}

/* Picks the chain knob from the family's hooks and the space: a searched
 * path knob, or a searched warm knob whose values are known in advance (a
 * list of numbers, or a range under the grid sampler). */
static dial_status chain_setup(dial_ctx *ctx, dial_model_objective *objective,
                               dial_sampler_kind sampler, size_t grid_points) {
    const dial_family_tuning *tuning = objective->family->tuning;
    objective->chain_knob = -1;
    free(objective->path_steps);
    free(objective->ladder);
    free(objective->memo_knobs);
    objective->path_steps = NULL;
    objective->ladder = NULL;
    objective->memo_knobs = NULL;
    objective->n_path_steps = objective->n_ladder = objective->n_memo_knobs = 0;
    if (!objective->cache) return DIAL_OK;
    const char *name = NULL;
    bool warm = false;
    if (tuning->path_knob && tuning->predict_fold_path) {
        name = tuning->path_knob;
    } else if (tuning->warm_knob && tuning->predict_fold_warm && tuning->free_warm) {
        name = tuning->warm_knob;
        warm = true;
    }
    long in_space = name ? dial_space_find(&objective->space, name) : -1;
    long at = name ? dial_knobs_find(&objective->knobs, name) : -1;
    if (in_space < 0 || at < 0) return DIAL_OK;
    const dial_param *param = &objective->space.params[in_space];
    if (param->fixed) return DIAL_OK;
    bool grid = sampler == DIAL_SAMPLER_GRID;
    size_t n = 0;
    double *numbers = NULL;
    if (param->kind == DIAL_PARAM_CHOICE || (warm && grid)) {
        numbers = dial_grid_param_numbers(param, grid_points, &n);
        if (!numbers) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the objective");
        if (!sort_unique(numbers, &n)) {
            free(numbers);
            return DIAL_OK; /* a choice that is not a number: no chain */
        }
    } else if (warm || param->kind != DIAL_PARAM_INT) {
        return DIAL_OK; /* a continuous range sampled at random: every value is new */
    }
    if (warm) {
        objective->ladder = numbers;
        objective->n_ladder = n;
    } else if (numbers) {
        objective->path_steps = malloc((n ? n : 1) * sizeof *objective->path_steps);
        for (size_t i = 0; objective->path_steps && i < n; i++) {
            if (!(numbers[i] >= 1 && numbers[i] == floor(numbers[i]))) {
                free(numbers);
                free(objective->path_steps);
                objective->path_steps = NULL;
                return DIAL_OK;
            }
            objective->path_steps[i] = (size_t)numbers[i];
        }
        free(numbers);
        if (!objective->path_steps)
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the objective");
        objective->n_path_steps = n;
    }
    objective->path_to_top = !warm && (grid || param->kind == DIAL_PARAM_CHOICE);
    objective->memo_knobs =
        malloc((objective->knobs.n ? objective->knobs.n : 1) * sizeof *objective->memo_knobs);
    if (!objective->memo_knobs)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the objective");
    for (size_t i = 0; i < objective->knobs.n; i++)
        if ((long)i != at) objective->memo_knobs[objective->n_memo_knobs++] = (long)i;
    objective->chain_knob = at;
    objective->warm = warm;
    objective->chain_param = param;
    return DIAL_OK;
}

static memo *memo_find(const prepared *entry, const double *key, size_t length) {
    for (memo *m = entry->memos; m; m = m->next)
        if (m->key_length == length && memcmp(m->key, key, length * sizeof *key) == 0) return m;
    return NULL;
}

/* A new memo at the front of the entry's list, dropping the oldest idle
 * one beyond OBJECTIVE_MEMOS_PER_ENTRY; NULL when out of memory. */
static memo *memo_insert(const dial_model_family *family, prepared *entry, const double *key,
                         size_t length) {
    memo *m = calloc(1, sizeof *m);
    double *copy = key_copy(key, length);
    if (!m || !copy) {
        free(m);
        free(copy);
        return NULL;
    }
    m->key = copy;
    m->key_length = length;
    m->next = entry->memos;
    entry->memos = m;
    if (++entry->n_memos > OBJECTIVE_MEMOS_PER_ENTRY) {
        memo **victim = NULL;
        for (memo **link = &entry->memos; *link; link = &(*link)->next)
            if (!(*link)->busy && *link != m) victim = link;
        if (victim) {
            memo *old = *victim;
            *victim = old->next;
            entry->n_memos--;
            memo_free(family, old);
        }
    }
    return m;
}

/* Marks a memo idle again and wakes the trials waiting for one. Called
 * with the cache's lock held. */
static void memo_settle(prepared_cache *cache, memo *m) {
    m->busy = false;
    cache->settled++;
    pthread_cond_broadcast(&cache->built);
}

/* What predict_fold_path's steps score into. */
typedef struct path_collector {
    const dial_model_objective *objective;
    const objective_fold *fold;
    dial_ctx *ctx;
    const size_t *steps;
    double *scores; /* by step - 1 */
} path_collector;

static dial_status collect_step(void *user, size_t s, const dial_predict_output *out) {
    path_collector *c = user;
    const dial_model_objective *objective = c->objective;
    if (dial_metric_needs_proba(objective->metric) && !out->proba) return DIAL_ERR_UNSUPPORTED;
    return dial_eval_score_predictions(c->ctx, objective->data, objective->metric, c->fold->test_y,
                                       out->value, out->proba, c->fold->test.n,
                                       &c->scores[c->steps[s] - 1]);
}

/* The steps one path fit answers for a trial at step v, ascending and
 * ending at the fit's n: a list's steps up to its top, or the integers of
 * the range up to its top (under a grid) or to v. *steps is malloc'ed;
 * NULL when out of memory. */
static size_t *path_steps_for(const dial_model_objective *objective, size_t v, size_t *n) {
    size_t *steps;
    if (objective->path_steps) {
        size_t count = objective->n_path_steps;
        steps = malloc(count * sizeof *steps);
        if (steps) memcpy(steps, objective->path_steps, count * sizeof *steps);
        *n = count;
        return steps;
    }
    const dial_param *param = objective->chain_param;
    double low = fmax(1, ceil(param->low));
    double high = objective->path_to_top ? floor(param->high) : (double)v;
    if (high < (double)v) high = (double)v;
    /* a range too long to score every step of: the trial's step alone */
    if (!(high - low < 65536) || low > (double)v) low = high = (double)v;
    size_t first = (size_t)low, count = (size_t)(high - low) + 1;
    steps = malloc(count * sizeof *steps);
    for (size_t i = 0; steps && i < count; i++) steps[i] = first + i;
    *n = count;
    return steps;
}

/* The path memo m's score at step v: one fit that scores every step the
 * search may ask for. Runs without the lock; m is busy and held. */
static dial_status path_extend(dial_ctx *ctx, const dial_model_objective *objective, size_t f,
                               const dial_knobs *knobs, const prepared *entry, size_t v,
                               double **scores, size_t *n_scores) {
    size_t n_steps = 0;
    size_t *steps = path_steps_for(objective, v, &n_steps);
    size_t top = steps ? steps[n_steps - 1] : 0;
    double *out = steps ? malloc(top * sizeof *out) : NULL;
    dial_knobs at_top = {0};
    dial_status status = out ? dial_knobs_copy(ctx, knobs, &at_top) : DIAL_ERR_NOMEM;
    if (status == DIAL_OK)
        status = dial_knobs_set_number(ctx, &at_top, objective->chain_param->name, (double)top);
    if (status == DIAL_OK) {
        for (size_t i = 0; i < top; i++) out[i] = NAN;
        path_collector collector = {objective, &objective->folds[f], ctx, steps, out};
        dial_ctx_set_seed(ctx, objective->folds[f].fit_seed);
        status = objective->family->tuning->predict_fold_path(
            ctx, &at_top, entry->fold_state, steps, n_steps,
            dial_metric_needs_proba(objective->metric), collect_step, &collector);
    }
    dial_knobs_free(&at_top);
    free(steps);
    if (status != DIAL_OK) {
        free(out);
        return status;
    }
    *scores = out;
    *n_scores = top;
    return DIAL_OK;
}

/* The warm memo m's scores from rung `from` to rung `to`, each solution
 * starting from the one below. Runs without the lock (m is busy); updates
 * m's solution and scores as it goes, which no one else reads meanwhile. */
static dial_status warm_extend(dial_ctx *ctx, const dial_model_objective *objective, size_t f,
                               const dial_knobs *knobs, const prepared *entry, memo *m, size_t to) {
    const objective_fold *fold = &objective->folds[f];
    const dial_dataset *data = objective->data;
    size_t n = fold->test.n;
    size_t n_classes = data->task == DIAL_TASK_CLASSIFICATION ? data->n_classes : 0;
    bool want_proba = dial_metric_needs_proba(objective->metric);
    double *value = malloc((n ? n : 1) * sizeof *value);
    double *proba =
        want_proba ? malloc((n ? n : 1) * (n_classes ? n_classes : 1) * sizeof *proba) : NULL;
    double *scores = realloc(m->scores, (to + 1) * sizeof *scores);
    if (scores) m->scores = scores;
    dial_knobs rung = {0};
    dial_status status = value && (!want_proba || proba) && scores
                             ? dial_knobs_copy(ctx, knobs, &rung)
                             : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", n);
    for (size_t r = m->n_scores; status == DIAL_OK && r <= to; r++) {
        status =
            dial_knobs_set_number(ctx, &rung, objective->chain_param->name, objective->ladder[r]);
        void *solution = NULL;
        dial_predict_output out = {value, proba};
        dial_ctx_set_seed(ctx, fold->fit_seed);
        if (status == DIAL_OK)
            status = objective->family->tuning->predict_fold_warm(ctx, &rung, entry->fold_state,
                                                                  m->solution, &solution, &out);
        if (status == DIAL_OK)
            status = dial_eval_score_predictions(ctx, data, objective->metric, fold->test_y, value,
                                                 proba, n, &m->scores[r]);
        if (status != DIAL_OK) {
            if (solution) objective->family->tuning->free_warm(solution);
            break;
        }
        if (m->solution) objective->family->tuning->free_warm(m->solution);
        m->solution = solution;
        m->n_scores = r + 1;
    }
    dial_knobs_free(&rung);
    free(value);
    free(proba);
    return status;
}

/* The rung of value in the ladder, or -1. */
static long ladder_rung(const dial_model_objective *objective, double value) {
    size_t lo = 0, hi = objective->n_ladder;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (objective->ladder[mid] < value)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < objective->n_ladder && objective->ladder[lo] == value ? (long)lo : -1;
}

/* Scores fold f along the chain from the held entry; for a path, path
 * (when not NULL) receives the scores of steps 1 .. the trial's value
 * (NaN where not asked). *busy: another trial
 * is extending the memo this one needs (nothing done; try another fold).
 * DIAL_ERR_UNSUPPORTED: the chain cannot answer these knobs (the caller
 * uses predict_fold). */
static dial_status chain_score(dial_ctx *ctx, const dial_model_objective *objective, size_t f,
                               const dial_knobs *knobs, prepared *entry, double *score,
                               double *path, bool *busy) {
    size_t at = (size_t)objective->chain_knob;
    if (!dial_knobs_active(knobs, at)) return DIAL_ERR_UNSUPPORTED;
    double value = knobs->values[at].number;
    long rung = -1;
    if (objective->warm) {
        rung = ladder_rung(objective, value);
        if (rung < 0) return DIAL_ERR_UNSUPPORTED;
    } else if (!(value >= 1)) {
        return DIAL_ERR_UNSUPPORTED;
    }
    size_t v = objective->warm ? (size_t)rung : (size_t)value - 1; /* the score's index */
    size_t key_length = 0;
    double *key = make_key(objective->memo_knobs, objective->n_memo_knobs, knobs, &key_length);
    if (!key) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a trial");
    prepared_cache *cache = objective->cache;
    pthread_mutex_lock(&cache->lock);
    memo *m = memo_find(entry, key, key_length);
    dial_status status = DIAL_OK;
    if (m && m->unsupported) {
        status = DIAL_ERR_UNSUPPORTED;
    } else if (m && m->busy) { /* its scores are being rewritten */
        *busy = true;
    } else if (m && v < m->n_scores && !isnan(m->scores[v])) {
        *score = m->scores[v];
    } else {
        if (!m) m = memo_insert(objective->family, entry, key, key_length);
        if (!m) {
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a trial");
        } else {
            m->busy = true;
            pthread_mutex_unlock(&cache->lock);
            double *scores = NULL;
            size_t n_scores = 0;
            size_t rungs_before = m->n_scores;
            if (objective->warm)
                status = warm_extend(ctx, objective, f, knobs, entry, m, v);
            else
                status =
                    path_extend(ctx, objective, f, knobs, entry, (size_t)value, &scores, &n_scores);
            pthread_mutex_lock(&cache->lock);
            cache->chain_fits += objective->warm ? m->n_scores - rungs_before : (scores != NULL);
            if (scores) {
                /* the new fit's scores join the old: a step either asked is kept */
                size_t length = n_scores > m->n_scores ? n_scores : m->n_scores;
                double *merged =
                    length > n_scores ? realloc(scores, length * sizeof *merged) : scores;
                if (merged) {
                    for (size_t i = 0; i < length; i++)
                        if (i >= n_scores)
                            merged[i] = m->scores[i];
                        else if (isnan(merged[i]) && i < m->n_scores)
                            merged[i] = m->scores[i];
                    free(m->scores);
                    m->scores = merged;
                    m->n_scores = length;
                } else {
                    free(scores);
                    status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a trial");
                }
            }
            if (status == DIAL_ERR_UNSUPPORTED) m->unsupported = true;
            if (status == DIAL_OK) {
                if (v < m->n_scores && !isnan(m->scores[v]))
                    *score = m->scores[v];
                else
                    status = DIAL_ERR_UNSUPPORTED; /* the family skipped the step */
            }
            memo_settle(cache, m);
        }
    }
    if (status == DIAL_OK && m && !*busy && path && !objective->warm)
        for (size_t i = 0; i <= v; i++) path[i] = i < m->n_scores ? m->scores[i] : NAN;
    pthread_mutex_unlock(&cache->lock);
    free(key);
    return status;
}

/* Scores fold f from its prepared entry: predict_fold and the metric, no
 * fit. Falls back to the full fit when the entry could not be prepared or
 * predict_fold cannot answer these knobs. */
static dial_status score_fold_prepared(dial_ctx *ctx, const dial_model_objective *objective,
                                       const dial_knobs *knobs, size_t f, const double *key,
                                       size_t key_length, double *score, double *path, bool *busy,
                                       double *paid) {
    const objective_fold *fold = &objective->folds[f];
    prepared *entry = prepared_acquire(ctx, objective, f, knobs, key, key_length, paid);
    if (!entry || entry->state != PREPARED_READY) {
        if (entry) prepared_release(objective, f, entry);
        return score_fold(ctx, objective, knobs, fold, score);
    }
    if (objective->chain_knob >= 0) {
        dial_status chained = chain_score(ctx, objective, f, knobs, entry, score, path, busy);
        if (chained != DIAL_ERR_UNSUPPORTED) {
            prepared_release(objective, f, entry);
            return chained;
        }
        dial_ctx_clear_error(ctx);
    }
    const dial_dataset *data = objective->data;
    size_t n = fold->test.n;
    size_t n_classes = data->task == DIAL_TASK_CLASSIFICATION ? data->n_classes : 0;
    bool want_proba = dial_metric_needs_proba(objective->metric);
    double *value = malloc((n ? n : 1) * sizeof *value);
    double *proba =
        want_proba ? malloc((n ? n : 1) * (n_classes ? n_classes : 1) * sizeof *proba) : NULL;
    dial_status status;
    if (!value || (want_proba && !proba)) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", n);
    } else {
        dial_ctx_set_seed(ctx, fold->fit_seed);
        dial_predict_output out = {value, proba};
        status = objective->family->tuning->predict_fold(ctx, knobs, entry->fold_state, &out);
    }
    prepared_release(objective, f, entry);
    if (status == DIAL_ERR_UNSUPPORTED) {
        dial_ctx_clear_error(ctx);
        status = score_fold(ctx, objective, knobs, fold, score);
    } else if (status == DIAL_OK) {
        status = dial_eval_score_predictions(ctx, objective->data, objective->metric, fold->test_y,
                                             value, proba, n, score);
    }
    free(value);
    free(proba);
    return status;
}

/* The steps of a path trial's fold scores (n_folds x steps, NaN where not
 * asked or where a fold was fitted in full) that every fold scored, each
 * with its mean over the folds, recorded as the trial's path. */
static dial_status report_path(dial_trial *trial, const double *paths, size_t n_folds,
                               size_t steps) {
    int64_t *at = malloc((steps ? steps : 1) * sizeof *at);
    double *mean = malloc((steps ? steps : 1) * sizeof *mean);
    size_t n = 0;
    for (size_t s = 0; at && mean && s < steps; s++) {
        double sum = 0;
        for (size_t f = 0; f < n_folds; f++) sum += paths[f * steps + s];
        if (isnan(sum)) continue;
        at[n] = (int64_t)s + 1;
        mean[n++] = sum / (double)n_folds;
    }
    dial_status status =
        !at || !mean ? dial_fail(dial_trial_ctx(trial), DIAL_ERR_NOMEM, "out of memory for a path")
        : n          ? dial_trial_report_path(trial, at, mean, n)
                     : DIAL_OK;
    free(at);
    free(mean);
    return status;
}

/* How many path steps a trial of these knobs scores (its path knob's
 * value), or 0 when it has no path. */
static size_t path_length(const dial_model_objective *objective, const dial_knobs *knobs) {
    if (objective->chain_knob < 0 || objective->warm) return 0;
    size_t at = (size_t)objective->chain_knob;
    double value = knobs->values[at].number;
    bool usable = dial_knobs_active(knobs, at) && value >= 1 && value <= 1e6;
    return usable ? (size_t)value : 0;
}

/* Notes that trial `number` spent `seconds` preparing entries (kept
 * whatever the trial's outcome: the entries stay for the others). Out of
 * memory, the note is lost and the leaderboard says nothing of it. */
static void record_paid(prepared_cache *cache, int64_t number, double seconds) {
    pthread_mutex_lock(&cache->lock);
    if (cache->n_paid == cache->paid_capacity) {
        size_t capacity = cache->paid_capacity ? 2 * cache->paid_capacity : 16;
        int64_t *numbers = realloc(cache->paid_numbers, capacity * sizeof *numbers);
        if (numbers) cache->paid_numbers = numbers;
        double *times = numbers ? realloc(cache->paid_seconds, capacity * sizeof *times) : NULL;
        if (times) {
            cache->paid_seconds = times;
            cache->paid_capacity = capacity;
        }
    }
    if (cache->n_paid < cache->paid_capacity) {
        cache->paid_numbers[cache->n_paid] = number;
        cache->paid_seconds[cache->n_paid++] = seconds;
    }
    pthread_mutex_unlock(&cache->lock);
}

double dial_objective_prepare_seconds(const dial_model_objective *objective, int64_t number) {
    prepared_cache *cache = objective ? objective->cache : NULL;
    if (!cache) return 0;
    double seconds = 0;
    pthread_mutex_lock(&cache->lock);
    for (size_t i = 0; i < cache->n_paid; i++)
        if (cache->paid_numbers[i] == number) seconds += cache->paid_seconds[i];
    pthread_mutex_unlock(&cache->lock);
    return seconds;
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
        if (dial_knobs_check(fold_ctx, &knobs) == DIAL_OK)
            key = make_key(objective->key_knobs, objective->n_key_knobs, &knobs, &key_length);
        dial_ctx_clear_error(fold_ctx);
    }
    size_t n = objective->splits.count, done = 0;
    double paid = 0; /* seconds spent building prepared entries */
    double sum = 0;
    bool *scored = status == DIAL_OK ? calloc(n ? n : 1, sizeof *scored) : NULL;
    double *scores = status == DIAL_OK ? calloc(n ? n : 1, sizeof *scores) : NULL;
    size_t steps = key ? path_length(objective, &knobs) : 0;
    double *paths = steps ? malloc(n * steps * sizeof *paths) : NULL;
    for (size_t i = 0; paths && i < n * steps; i++) paths[i] = NAN;
    if (status == DIAL_OK && (!scored || !scores || (steps && !paths)))
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting a trial");
    /* Folds in order, except that a fold whose chain another trial is
     * extending waits until a pass has nothing else left to do. */
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
            status =
                key ? score_fold_prepared(fold_ctx, objective, &knobs, f, key, key_length, &score,
                                          paths ? paths + f * steps : NULL, &busy, &paid)
                    : score_fold(fold_ctx, objective, &knobs, &objective->folds[f], &score);
            if (status != DIAL_OK) {
                dial_fail(ctx, status, "fold %zu of %zu: %s", f + 1, n, dial_ctx_error(fold_ctx));
                break;
            }
            if (busy) continue;
            /* The metrics refuse what is not a number; a score that still
             * is not one fails the trial rather than become its value. */
            if (!isfinite(score)) {
                status = dial_fail(ctx, DIAL_ERR_NUMERIC,
                                   "fold %zu of %zu: the %s score is %g, not a finite number",
                                   f + 1, n, dial_metric_name(objective->metric), score);
                break;
            }
            scored[f] = progressed = true;
            status = dial_trial_report(trial, (int64_t)f, score);
            scores[f] = score;
            done++;
            if (status == DIAL_OK && done < n && dial_trial_should_prune(trial)) *pruned = true;
        }
        if (status == DIAL_OK && !progressed && done < n) {
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
    if (status == DIAL_OK && paths && done == n) status = report_path(trial, paths, n, steps);
    if (paid > 0) record_paid(objective->cache, dial_trial_number(trial), paid);
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

/*
 * The built-in objective's prepared-fold cache (see objective.c).
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
 * A family with prepare_fold_rows reads a sparse fold in place: its entry
 * borrows the data's compressed rows and the fold's row lists instead of
 * holding a copy of its rows (which made a 5-fold search hold the data
 * about six times: once read, once more gathered across the five folds).
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "eval/scoring.h"
#include "tune/objective_internal.h"

static bool names_contain(const char *const *names, const char *name) {
    for (size_t i = 0; names && names[i]; i++)
        if (strcmp(names[i], name) == 0) return true;
    return false;
}

/* The order hints (sampler.h) that share the most: the knobs of a
 * prepared entry vary slowest, the chain knob fastest (a path from its
 * top, a warm ladder from its bottom); the others spread. */
dial_status dial_objective_order(dial_ctx *ctx, dial_model_objective *objective) {
    if (!objective->cache || objective->space.n == 0) return DIAL_OK;
    const dial_family_tuning *tuning = objective->family->tuning;
    static const char *const preprocessing[] = {"impute", "scale", NULL};
    dial_order_role *roles = dial_calloc(ctx, objective->space.n, sizeof *roles); /* all SPREAD */
    if (!roles) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the objective");
    for (size_t i = 0; i < objective->space.n; i++) {
        const char *name = objective->space.params[i].name;
        if (names_contain(preprocessing, name) || names_contain(tuning->prepare_knobs, name))
            roles[i] = DIAL_ORDER_OUTER;
        else if (tuning->path_knob && tuning->predict_fold_path &&
                 strcmp(tuning->path_knob, name) == 0)
            roles[i] = DIAL_ORDER_DESCENDING;
        else if (tuning->warm_knob && tuning->predict_fold_warm &&
                 strcmp(tuning->warm_knob, name) == 0)
            roles[i] = DIAL_ORDER_ASCENDING;
    }
    objective->order_roles = roles;
    return DIAL_OK;
}

/* The cache of a family with a prepare path: the data's schema as the
 * preprocessing reads it, the knobs of the key, and empty lists. */
dial_status dial_objective_cache_create(dial_ctx *ctx, dial_model_objective *objective) {
    const dial_model_family *family = objective->family;
    const dial_dataset *data = objective->data;
    const dial_family_tuning *tuning = family->tuning;
    if (!tuning || !tuning->prepare_fold || !tuning->predict_fold || !tuning->free_fold)
        return DIAL_OK;
    if (tuning->sparse_only && !data->sparse) return DIAL_OK;
    size_t n_prepare = 0;
    while (tuning->prepare_knobs && tuning->prepare_knobs[n_prepare]) n_prepare++;
    size_t n_inputs = 0; /* the preprocessing counts them again */
    dial_status status = dial_model_inputs_schema(ctx, data, &objective->features, &n_inputs);
    if (status != DIAL_OK) return status;
    objective->key_knobs = dial_malloc_array(ctx, n_prepare + 2, sizeof *objective->key_knobs);
    prepared_cache *cache = dial_calloc(ctx, 1, sizeof *cache);
    if (cache) {
        cache->lists = dial_calloc(ctx, objective->splits.count, sizeof *cache->lists);
        cache->counts = dial_calloc(ctx, objective->splits.count, sizeof *cache->counts);
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

static void prepared_free(const dial_model_family *family, prepared *entry) {
    if (!entry) return;
    for (memo *m = entry->memos, *next; m; m = next) {
        next = m->next;
        dial_objective_memo_free(family, m);
    }
    if (entry->fold_state) family->tuning->free_fold(entry->fold_state);
    dial_tensors_clear(&entry->preprocess);
    dial_model_inputs_free(&entry->train);
    dial_model_inputs_free(&entry->test);
    free(entry->key);
    free(entry);
}

void dial_objective_cache_free(const dial_model_family *family, prepared_cache *cache) {
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

/* The key of a trial's knobs: for each key knob whether it is active and,
 * if so, its value (a list knob's items too). -0 is 0: they preprocess
 * alike. Returns NULL when out of memory. */
double *dial_objective_make_key(const dial_ctx *ctx, const long *indices, size_t n_indices,
                                const dial_knobs *knobs, size_t *length) {
    double *key = dial_malloc_array(ctx, n_indices * (3 + DIAL_KNOB_LIST_MAX) + 1, sizeof *key);
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
                           const dial_knobs *knobs, prepared *entry, void *spare) {
    const objective_fold *fold = &objective->folds[f];
    const dial_dataset *data = objective->data;
    const dial_family_tuning *tuning = objective->family->tuning;
    bool by_rows = tuning->prepare_fold_rows && data->sparse;
    dial_ctx_set_seed(ctx, fold->fit_seed);
    dial_status status = (by_rows ? dial_model_inputs_fit_in_place : dial_model_inputs_fit)(
        ctx, objective->family, knobs, objective->features, data->n_features, &fold->train,
        &entry->preprocess, &entry->train);
    /* The test rows are read as the training rows are: both in place, or
     * both copies (the same preprocessing decides). */
    by_rows = by_rows && status == DIAL_OK && dial_model_inputs_in_place(&entry->train);
    if (status == DIAL_OK && by_rows)
        status = dial_model_inputs_transform_in_place(
            ctx, objective->family, knobs, objective->features, data->n_features,
            &entry->preprocess, &fold->test, entry->train.in.task, entry->train.in.n_classes,
            &entry->test);
    else if (status == DIAL_OK)
        status = dial_model_inputs_transform(ctx, objective->family, knobs, objective->features,
                                             data->n_features, &entry->preprocess, &fold->test,
                                             entry->train.in.task, entry->train.in.n_classes,
                                             &entry->test, NULL);
    /* Row indices into a copy would read the wrong rows: such a fold is
     * fitted in full rather. */
    if (status == DIAL_OK && by_rows && !dial_model_inputs_in_place(&entry->test))
        status =
            dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "the test rows of fold %zu are a copy", f + 1);
    dial_knobs knobs_max = {0};
    if (status == DIAL_OK) status = make_knobs_max(ctx, objective, knobs, &knobs_max);
    if (status == DIAL_OK && by_rows)
        status =
            tuning->prepare_fold_rows(ctx, knobs, &knobs_max, &entry->train.in, fold->train.rows,
                                      &entry->test.in, fold->test.rows, &entry->fold_state);
    else if (status == DIAL_OK && spare) {
        status = tuning->prepare_fold_reusing(ctx, knobs, &knobs_max, &entry->train.in,
                                              &entry->test.in, spare, &entry->fold_state);
        spare = NULL; /* taken over */
    } else if (status == DIAL_OK) {
        status = tuning->prepare_fold(ctx, knobs, &knobs_max, &entry->train.in, &entry->test.in,
                                      &entry->fold_state);
    }
    if (spare) tuning->free_fold(spare);
    dial_knobs_free(&knobs_max);
    if (status == DIAL_OK) return true;
    if (entry->fold_state) tuning->free_fold(entry->fold_state);
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
double *dial_objective_key_copy(const dial_ctx *ctx, const double *key, size_t length) {
    double *copy = dial_malloc_array(ctx, length, sizeof *copy);
    if (copy) memcpy(copy, key, length * sizeof *key);
    return copy;
}

/* A new BUILDING entry at the front of fold f's list, held by the caller;
 * NULL when out of memory. */
static prepared *cache_insert(const dial_ctx *ctx, prepared_cache *cache, size_t f,
                              const double *key, size_t length) {
    prepared *entry = dial_calloc(ctx, 1, sizeof *entry);
    double *copy = dial_objective_key_copy(ctx, key, length);
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

/* Takes fold f's least recently used entry that no trial holds out of
 * the cache (NULL: every entry is held). Called with the lock held. */
static prepared *cache_detach_unused(prepared_cache *cache, size_t f) {
    prepared **victim = NULL;
    for (prepared **link = &cache->lists[f]; *link; link = &(*link)->next)
        if ((*link)->users == 0) victim = link;
    if (!victim) return NULL;
    prepared *entry = *victim;
    *victim = entry->next;
    cache->counts[f]--;
    return entry;
}

/* Drops the least recently used entries of fold f that no trial holds
 * while the fold has more than OBJECTIVE_PREPARED_PER_FOLD. */
static void cache_evict(const dial_model_family *family, prepared_cache *cache, size_t f) {
    while (cache->counts[f] > OBJECTIVE_PREPARED_PER_FOLD) {
        prepared *entry = cache_detach_unused(cache, f);
        if (!entry) return;
        prepared_free(family, entry);
    }
}

/* The fold state of fold f's least recently used entry that no trial
 * holds, when the fold is full and its family can prepare in a spare's
 * memory (prepare_fold_reusing): the entry leaves the cache, its state is
 * returned for the entry about to be built, which would evict it anyway
 * (NULL: none). Called with the lock held. */
static void *cache_take_spare(const dial_model_family *family, prepared_cache *cache, size_t f) {
    if (!family->tuning->prepare_fold_reusing || cache->counts[f] < OBJECTIVE_PREPARED_PER_FOLD)
        return NULL;
    prepared *entry = cache_detach_unused(cache, f);
    if (!entry) return NULL;
    void *spare = entry->fold_state;
    entry->fold_state = NULL;
    prepared_free(family, entry);
    return spare;
}

/* Builds a held BUILDING entry of fold f (in spare's memory: see
 * cache_take_spare), publishes the outcome and wakes the trials waiting
 * for it. Called and returns with the lock held. */
static void cache_build(dial_ctx *ctx, const dial_model_objective *objective, size_t f,
                        const dial_knobs *knobs, prepared *entry, void *spare, double *paid) {
    prepared_cache *cache = objective->cache;
    pthread_mutex_unlock(&cache->lock);
    double start = dial_tune_now();
    bool ready = prepared_build(ctx, objective, f, knobs, entry, spare);
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
            void *spare = cache_take_spare(objective->family, cache, f);
            entry = cache_insert(ctx, cache, f, key, length);
            if (entry) {
                cache_build(ctx, objective, f, knobs, entry, spare, paid);
                cache_evict(objective->family, cache, f);
            } else if (spare) {
                objective->family->tuning->free_fold(spare);
            }
            break;
        }
        prepared *other = NULL;
        void *spare = NULL;
        size_t g = f;
        for (size_t step = 1; step < cache->n_folds && !other; step++) {
            g = (f + step) % cache->n_folds;
            if (cache_find(cache, g, key, length)) continue;
            spare = cache_take_spare(objective->family, cache, g);
            other = cache_insert(ctx, cache, g, key, length);
            if (!other && spare) objective->family->tuning->free_fold(spare);
        }
        if (other) {
            cache_build(ctx, objective, g, knobs, other, spare, paid);
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

/* Scores fold f from its prepared entry: predict_fold and the metric, no
 * fit. Falls back to the full fit when the entry could not be prepared or
 * predict_fold cannot answer these knobs. */
dial_status dial_objective_score_fold_prepared(dial_ctx *ctx, const dial_model_objective *objective,
                                               const dial_knobs *knobs, size_t f, const double *key,
                                               size_t key_length, double *score, double *path,
                                               bool *busy, double *paid) {
    const objective_fold *fold = &objective->folds[f];
    prepared *entry = prepared_acquire(ctx, objective, f, knobs, key, key_length, paid);
    if (!entry)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory caching the prepared fold %zu", f + 1);
    if (entry->state != PREPARED_READY) {
        prepared_release(objective, f, entry);
        return dial_objective_score_fold(ctx, objective, knobs, fold, score);
    }
    if (objective->chain_knob >= 0) {
        dial_status chained =
            dial_objective_chain_score(ctx, objective, f, knobs, entry, score, path, busy);
        if (chained != DIAL_ERR_UNSUPPORTED) {
            prepared_release(objective, f, entry);
            return chained;
        }
        dial_ctx_clear_error(ctx);
    }
    size_t n = fold->test.n;
    size_t n_classes = objective->n_classes;
    bool want_proba = dial_metric_needs_proba(objective->metric);
    double *value = dial_malloc_array(ctx, n, sizeof *value);
    double *proba =
        want_proba ? dial_malloc_array(ctx, n * (n_classes ? n_classes : 1), sizeof *proba) : NULL;
    dial_status status;
    if (!value || (want_proba && !proba)) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory scoring %zu rows", n);
    } else {
        dial_ctx_set_seed(ctx, fold->fit_seed);
        dial_predict_output out = {value, proba};
        status = objective->family->tuning->predict_fold(ctx, knobs, entry->fold_state, &out);
    }
    /* The score reads the entry's test inputs (a clustering metric needs
     * them), so the entry is released after it, never before. */
    bool predicted = status == DIAL_OK;
    if (predicted)
        status = dial_objective_score_predictions(ctx, objective, fold, &entry->test.in, value,
                                                  proba, score);
    prepared_release(objective, f, entry);
    if (!predicted && status == DIAL_ERR_UNSUPPORTED) {
        dial_ctx_clear_error(ctx);
        status = dial_objective_score_fold(ctx, objective, knobs, fold, score);
    }
    free(value);
    free(proba);
    return status;
}

dial_status dial_objective_score_fold_paused(dial_ctx *ctx, const dial_model_objective *objective,
                                             const dial_knobs *knobs, size_t f, const double *key,
                                             size_t key_length, const path_pause *pause,
                                             double *score, double *path, double *paid) {
    prepared *entry = prepared_acquire(ctx, objective, f, knobs, key, key_length, paid);
    if (!entry)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory caching the prepared fold %zu", f + 1);
    dial_status status = DIAL_ERR_UNSUPPORTED;
    if (entry->state == PREPARED_READY && objective->chain_knob >= 0)
        status =
            dial_objective_chain_score_paused(ctx, objective, f, knobs, entry, pause, score, path);
    prepared_release(objective, f, entry);
    if (status != DIAL_ERR_UNSUPPORTED) return status;
    /* No path to pause along: the fold is scored as without a pruner, its
     * path left unscored. */
    dial_ctx_clear_error(ctx);
    return dial_objective_score_fold_in_order(ctx, objective, knobs, f, key, key_length, score,
                                              NULL, paid);
}

dial_status dial_objective_score_predictions(dial_ctx *ctx, const dial_model_objective *objective,
                                             const objective_fold *fold, const dial_fit_input *test,
                                             const double *value, const double *proba,
                                             double *score) {
    dial_metric_rows rows = {.n = fold->test.n,
                             .y_true = fold->test_y,
                             .y_pred = value,
                             .proba = proba,
                             .n_classes = objective->n_classes,
                             .x = test->x,
                             .n_inputs = test->n_features,
                             .seed = dial_ctx_seed(ctx)};
    return dial_metric_score_rows(ctx, objective->metric, &rows, score);
}

/* Notes that trial `number` spent `seconds` preparing entries (kept
 * whatever the trial's outcome: the entries stay for the others). Out of
 * memory, the note is lost and the leaderboard says nothing of it. */
void dial_objective_record_paid(const dial_ctx *ctx, prepared_cache *cache, int64_t number,
                                double seconds) {
    pthread_mutex_lock(&cache->lock);
    if (cache->n_paid == cache->paid_capacity) {
        size_t capacity = cache->paid_capacity ? 2 * cache->paid_capacity : 16;
        int64_t *numbers = dial_realloc_array(ctx, cache->paid_numbers, capacity, sizeof *numbers);
        if (numbers) cache->paid_numbers = numbers;
        double *times =
            numbers ? dial_realloc_array(ctx, cache->paid_seconds, capacity, sizeof *times) : NULL;
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

/*
 * The built-in objective's chains along one knob (see objective.c and
 * objective_prepared.c).
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

#include "core/alloc.h"
#include "eval/scoring.h"
#include "tune/objective_internal.h"

void dial_objective_memo_free(const dial_model_family *family, memo *m) {
    if (m->solution && family->tuning->free_warm) family->tuning->free_warm(m->solution);
    free(m->scores);
    free(m->key);
    free(m);
}

size_t dial_objective_chain_fits(const dial_model_objective *objective) {
    prepared_cache *cache = objective->cache;
    if (!cache) return 0;
    pthread_mutex_lock(&cache->lock);
    size_t fits = cache->chain_fits;
    pthread_mutex_unlock(&cache->lock);
    return fits;
}

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
dial_status dial_objective_chain_setup(dial_ctx *ctx, dial_model_objective *objective,
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
        numbers = dial_grid_param_numbers(ctx, param, grid_points, &n);
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
        objective->path_steps = dial_malloc_array(ctx, n, sizeof *objective->path_steps);
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
        dial_malloc_array(ctx, objective->knobs.n, sizeof *objective->memo_knobs);
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
static memo *memo_insert(const dial_ctx *ctx, const dial_model_family *family, prepared *entry,
                         const double *key, size_t length) {
    memo *m = dial_calloc(ctx, 1, sizeof *m);
    double *copy = dial_objective_key_copy(ctx, key, length);
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
            dial_objective_memo_free(family, old);
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
    const dial_fit_input *test; /* the fold's test rows as the family sees them */
    dial_ctx *ctx;
    const size_t *steps;
    double *scores;          /* by step - 1 */
    const path_pause *pause; /* NULL: the fit runs through */
    size_t next_rung;        /* pause->rungs' index of the next pause */
} path_collector;

static dial_status collect_step(void *user, size_t s, const dial_predict_output *out) {
    path_collector *c = user;
    const dial_model_objective *objective = c->objective;
    if (dial_metric_needs_proba(objective->metric) && !out->proba) return DIAL_ERR_UNSUPPORTED;
    size_t step = c->steps[s];
    dial_status status = dial_objective_score_predictions(
        c->ctx, objective, c->fold, c->test, out->value, out->proba, &c->scores[step - 1]);
    const path_pause *pause = c->pause;
    if (status != DIAL_OK || !pause) return status;
    if (step <= pause->path_length) pause->path[step - 1] = c->scores[step - 1];
    while (c->next_rung < pause->n_rungs && pause->rungs[c->next_rung] < step) c->next_rung++;
    if (c->next_rung < pause->n_rungs && pause->rungs[c->next_rung] == step)
        status = pause->at_rung(pause->user, c->next_rung++, c->scores[step - 1]);
    return status;
}

/* The steps one path fit answers for a trial at step v, ascending and
 * ending at the fit's n: a list's steps up to its top, or the integers of
 * the range up to its top (under a grid) or to v. *steps is malloc'ed;
 * NULL when out of memory. */
static size_t *path_steps_for(const dial_ctx *ctx, const dial_model_objective *objective, size_t v,
                              size_t *n) {
    size_t *steps;
    if (objective->path_steps) {
        size_t count = objective->n_path_steps;
        steps = dial_malloc_array(ctx, count, sizeof *steps);
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
    steps = dial_malloc_array(ctx, count, sizeof *steps);
    for (size_t i = 0; steps && i < count; i++) steps[i] = first + i;
    *n = count;
    return steps;
}

/* The path memo m's score at step v: one fit that scores every step the
 * search may ask for, pausing at pause's rungs (NULL: none). Runs without
 * the lock; m is busy and held, or (a paused fit) not touched. */
static dial_status path_extend(dial_ctx *ctx, const dial_model_objective *objective, size_t f,
                               const dial_knobs *knobs, const prepared *entry, size_t v,
                               const path_pause *pause, double **scores, size_t *n_scores) {
    size_t n_steps = 0;
    size_t *steps = path_steps_for(ctx, objective, v, &n_steps);
    size_t top = steps ? steps[n_steps - 1] : 0;
    double *out = steps ? dial_malloc_array(ctx, top, sizeof *out) : NULL;
    dial_knobs at_top = {0};
    dial_status status =
        out ? dial_knobs_copy(ctx, knobs, &at_top)
            : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the scores of a path up to %zu",
                        steps ? top : v);
    if (status == DIAL_OK)
        status = dial_knobs_set_number(ctx, &at_top, objective->chain_param->name, (double)top);
    if (status == DIAL_OK) {
        for (size_t i = 0; i < top; i++) out[i] = NAN;
        path_collector collector = {
            objective, &objective->folds[f], &entry->test.in, ctx, steps, out, pause, 0};
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
    size_t n = fold->test.n;
    size_t n_classes = objective->n_classes;
    bool want_proba = dial_metric_needs_proba(objective->metric);
    double *value = dial_malloc_array(ctx, n, sizeof *value);
    double *proba =
        want_proba ? dial_malloc_array(ctx, n * (n_classes ? n_classes : 1), sizeof *proba) : NULL;
    double *scores = dial_realloc_array(ctx, m->scores, to + 1, sizeof *scores);
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
            status = dial_objective_score_predictions(ctx, objective, fold, &entry->test.in, value,
                                                      proba, &m->scores[r]);
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

/* Joins a new fit's path scores (malloc'ed, n_scores long; taken over)
 * to memo m's: a step either asked is kept. False when out of memory (the
 * new scores are then dropped). Called with the cache's lock held. */
static bool memo_merge(const dial_ctx *ctx, memo *m, double *scores, size_t n_scores) {
    size_t length = n_scores > m->n_scores ? n_scores : m->n_scores;
    double *merged =
        length > n_scores ? dial_realloc_array(ctx, scores, length, sizeof *merged) : scores;
    if (!merged) {
        free(scores);
        return false;
    }
    for (size_t i = 0; i < length; i++)
        if (i >= n_scores)
            merged[i] = m->scores[i];
        else if (isnan(merged[i]) && i < m->n_scores)
            merged[i] = m->scores[i];
    free(m->scores);
    m->scores = merged;
    m->n_scores = length;
    return true;
}

/* The key of a trial's memo: every knob but the chain knob. NULL (the
 * error set on ctx) when out of memory. */
static double *memo_key(dial_ctx *ctx, const dial_model_objective *objective,
                        const dial_knobs *knobs, size_t *length) {
    double *key =
        dial_objective_make_key(ctx, objective->memo_knobs, objective->n_memo_knobs, knobs, length);
    if (!key) dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a trial");
    return key;
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
dial_status dial_objective_chain_score(dial_ctx *ctx, const dial_model_objective *objective,
                                       size_t f, const dial_knobs *knobs, prepared *entry,
                                       double *score, double *path, bool *busy) {
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
    double *key = memo_key(ctx, objective, knobs, &key_length);
    if (!key) return DIAL_ERR_NOMEM;
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
        if (!m) m = memo_insert(ctx, objective->family, entry, key, key_length);
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
                status = path_extend(ctx, objective, f, knobs, entry, (size_t)value, NULL, &scores,
                                     &n_scores);
            pthread_mutex_lock(&cache->lock);
            cache->chain_fits += objective->warm ? m->n_scores - rungs_before : (scores != NULL);
            if (scores && !memo_merge(ctx, m, scores, n_scores))
                status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a trial");
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

dial_status dial_objective_chain_score_paused(dial_ctx *ctx, const dial_model_objective *objective,
                                              size_t f, const dial_knobs *knobs, prepared *entry,
                                              const path_pause *pause, double *score,
                                              double *path) {
    size_t at = (size_t)objective->chain_knob;
    if (objective->warm || !dial_knobs_active(knobs, at)) return DIAL_ERR_UNSUPPORTED;
    double value = knobs->values[at].number;
    if (!(value >= 1)) return DIAL_ERR_UNSUPPORTED;
    size_t v = (size_t)value - 1; /* the score's index */
    size_t key_length = 0;
    double *key = memo_key(ctx, objective, knobs, &key_length);
    if (!key) return DIAL_ERR_NOMEM;
    prepared_cache *cache = objective->cache;
    pthread_mutex_lock(&cache->lock);
    memo *m = memo_find(entry, key, key_length);
    dial_status status = DIAL_OK;
    if (m && m->unsupported) {
        status = DIAL_ERR_UNSUPPORTED;
    } else if (m && !m->busy && v < m->n_scores && !isnan(m->scores[v])) {
        *score = m->scores[v];
        for (size_t i = 0; i <= v; i++) path[i] = m->scores[i];
    } else {
        /* A paused fit never holds a memo busy: a trial that waited for it
         * could be the one this trial's pruner waits for. Two trials of
         * the same knobs at once may then fit the same path twice. */
        pthread_mutex_unlock(&cache->lock);
        double *scores = NULL;
        size_t n_scores = 0;
        status =
            path_extend(ctx, objective, f, knobs, entry, (size_t)value, pause, &scores, &n_scores);
        if (status == DIAL_OK) {
            for (size_t i = 0; i <= v; i++) path[i] = i < n_scores ? scores[i] : NAN;
            *score = path[v];
            if (isnan(*score)) status = DIAL_ERR_UNSUPPORTED; /* the family skipped the step */
        }
        pthread_mutex_lock(&cache->lock);
        cache->chain_fits++;                                      /* pruned or not, the fit ran */
        bool refused = !scores && status == DIAL_ERR_UNSUPPORTED; /* these knobs break the path */
        m = scores || refused ? memo_find(entry, key, key_length) : NULL;
        if (!m && (scores || refused))
            m = memo_insert(ctx, objective->family, entry, key, key_length);
        if (m && !m->busy && refused) m->unsupported = true;
        /* out of memory here costs a later trial a fit, nothing more */
        if (m && !m->busy && scores)
            memo_merge(ctx, m, scores, n_scores);
        else
            free(scores);
    }
    pthread_mutex_unlock(&cache->lock);
    free(key);
    return status;
}

/* The steps of a path trial's fold scores (n_folds rows of stride
 * entries, NaN where not asked or where a fold was fitted in full) among
 * the first count that every fold scored, each with its mean over the
 * folds, recorded as the trial's path. */
dial_status dial_objective_report_path(dial_trial *trial, const double *paths, size_t n_folds,
                                       size_t stride, size_t count) {
    dial_ctx *ctx = dial_trial_ctx(trial);
    size_t steps = count;
    int64_t *at = dial_malloc_array(ctx, steps, sizeof *at);
    double *mean = dial_malloc_array(ctx, steps, sizeof *mean);
    size_t n = 0;
    for (size_t s = 0; at && mean && s < steps; s++) {
        double sum = 0;
        for (size_t f = 0; f < n_folds; f++) sum += paths[f * stride + s];
        if (isnan(sum)) continue;
        at[n] = (int64_t)s + 1;
        mean[n++] = sum / (double)n_folds;
    }
    dial_status status = !at || !mean ? dial_fail(ctx, DIAL_ERR_NOMEM,
                                                  "out of memory for a path of %zu steps", steps)
                         : n          ? dial_trial_report_path(trial, at, mean, n)
                                      : DIAL_OK;
    free(at);
    free(mean);
    return status;
}

/* How many path steps a trial of these knobs scores (its path knob's
 * value), or 0 when it has no path. */
size_t dial_objective_path_length(const dial_model_objective *objective, const dial_knobs *knobs) {
    if (objective->chain_knob < 0 || objective->warm) return 0;
    size_t at = (size_t)objective->chain_knob;
    double value = knobs->values[at].number;
    bool usable = dial_knobs_active(knobs, at) && value >= 1 && value <= 1e6;
    return usable ? (size_t)value : 0;
}

/* The first step at or above r that a path fit scores for any trial: r
 * itself in a range at or above its low end, the range's low end below
 * it, the next step of a list; 0 when there is none. A pruner's rung is
 * scored there, so that every trial, pruned or complete, has a value at
 * the same step for it, and no fit scores a step that a trial's own fit
 * would not. */
size_t dial_objective_path_step_from(const dial_model_objective *objective, size_t r) {
    if (!objective->path_steps) {
        double low = fmax(1, ceil(objective->chain_param->low));
        return (double)r >= low ? r : (size_t)low;
    }
    for (size_t i = 0; i < objective->n_path_steps; i++)
        if (objective->path_steps[i] >= r) return objective->path_steps[i];
    return 0;
}

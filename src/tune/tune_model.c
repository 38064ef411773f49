/*
 * Tuning a built-in model, the whole procedure: the search, the estimates
 * that do not fool the user, and the refit.
 *
 *   search   one study (created or resumed) whose trials the built-in
 *            objective scores on folds of the search's rows;
 *   holdout  a stratified fraction of the rows is set aside before the
 *            search, which never sees it; the best knobs, refitted on the
 *            search's rows, are scored on it;
 *   nested   an outer k-fold around the search: each outer fold runs a
 *            fresh search on its training rows, in a study of its own
 *            ("NAME-outer-K"), refits that search's best on them and scores
 *            the outer test rows. The mean outer score estimates how well
 *            "tune, then fit" does on new data; the inner best values,
 *            chosen as the maximum of many noisy scores, are optimistic.
 *   refit    the best knobs fitted on every row the search saw (or, with
 *            refit_all, on every row, the held-out ones too, once the
 *            holdout is scored), carrying a tuning record (study, trial,
 *            metric, scores) into the model file. A nested run whose
 *            caller wants no refit may skip the main search (nested_only):
 *            its result would serve nothing but the refit.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/alloc.h"
#include "core/text.h"
#include "eval/scoring.h"
#include "tune/objective.h"
#include "tune/study_internal.h"

/* The stream of the outer folds' shuffle, apart from the inner folds'. */
#define NESTED_OUTER_STREAM 0x6f75746572000000ULL /* "outer" */

/* Complete trials the result keeps, best first: a leaderboard's worth and
 * more, however many trials the study holds. */
#define RESULT_BEST_KEPT 100

/* What one search leaves. */
typedef struct search_outcome {
    dial_trial_list trials; /* the best complete ones and the first failed */
    dial_trial_record best;
    bool has_best;
    dial_knobs knobs; /* of the best trial */
    dial_storage_tally tally;
    int64_t n_finished, n_new;
    bool stopped;
} search_outcome;

static void search_outcome_free(search_outcome *outcome) {
    dial_trial_list_free(&outcome->trials);
    dial_trial_record_clear(&outcome->best);
    dial_knobs_free(&outcome->knobs);
    memset(outcome, 0, sizeof *outcome);
}

static bool stop_raised(const dial_tune_options *options) {
    return options->optimize.stop && *options->optimize.stop;
}

/* The study's trials by state, from the storage's counts rather than a
 * listing, which a long in-memory search keeps only in part. Finished
 * trials are complete, pruned or failed by the objective; a stale trial
 * (its worker died) ran again as another, so it does not count. */
static dial_status tally_trials(dial_ctx *ctx, dial_study *study, dial_storage_tally *out) {
    pthread_mutex_lock(&study->lock);
    dial_status status = study->storage.ops->tally(ctx, study->storage.self, study->study_id, out);
    pthread_mutex_unlock(&study->lock);
    return status;
}

static int64_t finished_of(const dial_storage_tally *tally) {
    return tally->complete + tally->pruned + tally->failed;
}

/* The best complete trial so far, if any. */
static dial_status best_so_far(dial_ctx *ctx, dial_study *study, dial_trial_record *out,
                               bool *found) {
    pthread_mutex_lock(&study->lock);
    dial_status status = study->storage.ops->best(ctx, study->storage.self, study->study_id,
                                                  study->direction, out, found);
    pthread_mutex_unlock(&study->lock);
    return status;
}

/* What the result keeps of the study's trials, read without listing them:
 * a long search has millions. */
static dial_status leaders(dial_ctx *ctx, dial_study *study, dial_trial_list *out) {
    pthread_mutex_lock(&study->lock);
    dial_status status = study->storage.ops->leaders(ctx, study->storage.self, study->study_id,
                                                     study->direction, RESULT_BEST_KEPT, out);
    pthread_mutex_unlock(&study->lock);
    return status;
}

/* ---- the identity of a study -------------------------------------------------- */

/* "%.15g": short ("0.2") and exact enough to tell settings apart. */
static void number_text(double value, char *buf, size_t size) {
    snprintf(buf, size, "%.15g", value);
}

/* The searched space as one line: "C=0.001..1000:log; k=1..50:step=2;
 * weights=uniform|distance; alpha=0.1". */
static char *space_identity(const dial_ctx *ctx, const dial_space *space) {
    size_t size = 256, used = 0;
    char *text = dial_malloc(ctx, size);
    if (!text) return NULL;
    text[0] = '\0';
    for (size_t i = 0; space && i < space->n; i++) {
        const dial_param *param = &space->params[i];
        char low[40], high[40], step[48] = "";
        number_text(param->low, low, sizeof low);
        number_text(param->high, high, sizeof high);
        if (param->step > 0) {
            char number[40];
            number_text(param->step, number, sizeof number);
            snprintf(step, sizeof step, ":step=%s", number);
        }
        size_t need = strlen(param->name) + 128;
        for (size_t c = 0; c < param->n_choices; c++) need += strlen(param->choices[c]) + 1;
        if (used + need >= size) {
            size = (used + need) * 2;
            char *grown = dial_realloc(ctx, text, size);
            if (!grown) {
                free(text);
                return NULL;
            }
            text = grown;
        }
        used += (size_t)snprintf(text + used, size - used, "%s%s=", i ? "; " : "", param->name);
        if (param->kind == DIAL_PARAM_CHOICE && !param->fixed) {
            for (size_t c = 0; c < param->n_choices; c++)
                used += (size_t)snprintf(text + used, size - used, "%s%s", c ? "|" : "",
                                         param->choices[c]);
        } else if (param->kind == DIAL_PARAM_CHOICE) {
            size_t c = (size_t)param->low;
            used += (size_t)snprintf(text + used, size - used, "%s",
                                     c < param->n_choices ? param->choices[c] : "");
        } else if (param->fixed || param->low == param->high) {
            used += (size_t)snprintf(text + used, size - used, "%s", low);
        } else {
            used += (size_t)snprintf(text + used, size - used, "%s..%s%s%s", low, high,
                                     param->log ? ":log" : "", step);
        }
    }
    return text;
}

/* The knobs fixed for every trial (set by the caller, not defaults):
 * "k=5; weights=distance", or "" when none. */
static char *fixed_knobs_identity(const dial_ctx *ctx, const dial_knobs *knobs) {
    size_t size = 64, used = 0;
    char *text = dial_malloc(ctx, size);
    if (!text) return NULL;
    text[0] = '\0';
    for (size_t i = 0; i < knobs->n; i++) {
        if (!knobs->values[i].set_by_user) continue;
        char value[512];
        dial_knobs_format(knobs, i, value, sizeof value);
        size_t need = strlen(knobs->specs[i].name) + strlen(value) + 4;
        if (used + need >= size) {
            size = (used + need) * 2;
            char *grown = dial_realloc(ctx, text, size);
            if (!grown) {
                free(text);
                return NULL;
            }
            text = grown;
        }
        used += (size_t)snprintf(text + used, size - used, "%s%s=%s", used ? "; " : "",
                                 knobs->specs[i].name, value);
    }
    return text;
}

static const char *sampler_name(dial_sampler_kind kind);

/* "id,name": the columns the data's features leave out, sorted (as the
 * dataset keeps them); "" for none. A malloc'ed string, NULL when out of
 * memory. */
static char *ignored_identity(const dial_ctx *ctx, const dial_dataset *data) {
    size_t length = 1;
    for (size_t i = 0; i < data->n_ignored; i++) length += strlen(data->ignored[i]) + 1;
    char *text = dial_malloc(ctx, length);
    if (!text) return NULL;
    text[0] = '\0';
    for (size_t i = 0; i < data->n_ignored; i++) {
        if (i) strcat(text, ",");
        strcat(text, data->ignored[i]);
    }
    return text;
}

/* What every study of this run is an experiment of (see tune_model.h). */
static dial_status build_identity(dial_ctx *ctx, const dial_tune_setup *setup,
                                  const dial_dataset *data, const dial_tune_options *options,
                                  const char *pruner, dial_study_identity *out) {
    *out = (dial_study_identity){0};
    dial_data_fingerprints prints;
    dial_view all = dial_view_all(data);
    if (!dial_view_fingerprints(&all, &prints))
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the data's fingerprint");
    char fingerprint[80], folds[32], repeats[32], seed[32], holdout[40], nested[32], points[32];
    snprintf(fingerprint, sizeof fingerprint,
             "%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64, prints.exact,
             prints.any_row_order, prints.any_column_order, prints.any_order);
    snprintf(folds, sizeof folds, "%zu", setup->folds ? setup->folds : 5);
    snprintf(repeats, sizeof repeats, "%zu", setup->repeats ? setup->repeats : 1);
    snprintf(seed, sizeof seed, "%" PRIu64, setup->seed);
    number_text(options->holdout, holdout, sizeof holdout);
    snprintf(nested, sizeof nested, "%zu", options->nested);
    snprintf(points, sizeof points, "%zu", options->grid_points ? options->grid_points : 10);
    char *space = space_identity(ctx, setup->space);
    char *fixed = fixed_knobs_identity(ctx, setup->knobs);
    char *ignored = ignored_identity(ctx, data);
    /* The way rows are split changes what a trial's value means. A study
     * made before these keys lacks them, and a key one side lacks is not
     * compared, so such a study still resumes. */
    const dial_fold_scheme *scheme = setup->fold_scheme;
    dial_fold_kind kind = scheme ? scheme->kind : DIAL_FOLDS_SHUFFLED;
    const char *column = scheme && scheme->column ? scheme->column : "(row order)";
    char gap[32];
    snprintf(gap, sizeof gap, "%zu", kind == DIAL_FOLDS_TIME ? scheme->gap : 0);
    const char *pairs[][2] = {
        {"model", setup->family->name},
        /* A clustering's known groups (--labels): another column of them
         * is another study, said so first, before the columns it leaves
         * among the features and the data whose fingerprint holds it as
         * the target. */
        {"labels",
         setup->family->unsupervised ? (data->target_name ? data->target_name : "") : NULL},
        /* Before the data, whose fingerprint the ignored columns and a
         * split column taken out of the features change: a resume that
         * changes them is told that, not that its data differs. */
        {"ignore", ignored},
        {"groups", kind == DIAL_FOLDS_GROUPED ? column : ""},
        {"time_column", kind == DIAL_FOLDS_TIME ? column : ""},
        {"gap", gap},
        {"fold_column", kind == DIAL_FOLDS_PREDEFINED ? column : ""},
        {"data", fingerprint},
        {"target", data->target_name ? data->target_name : ""},
        {"task", dial_task_name(dial_model_fit_task(setup->family, data))},
        {"metric", dial_metric_name(setup->metric)},
        {"folds", folds},
        {"repeats", repeats},
        {"seed", seed},
        {"holdout", holdout},
        {"nested", nested},
        {"sampler", sampler_name(options->sampler)},
        {"grid_points", options->sampler == DIAL_SAMPLER_GRID ? points : NULL},
        /* A study made before pruners lacks it, and resumes as before. */
        {"pruner", pruner},
        {"space", space},
        {"knobs", fixed},
    };
    dial_status status =
        space && fixed && ignored
            ? DIAL_OK
            : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the study's identity");
    for (size_t i = 0; status == DIAL_OK && i < sizeof pairs / sizeof pairs[0]; i++)
        if (pairs[i][1]) status = dial_study_identity_set(ctx, out, pairs[i][0], pairs[i][1]);
    for (size_t i = 0; status == DIAL_OK && options->identity && i < options->identity->n; i++)
        status = dial_study_identity_set(ctx, out, options->identity->keys[i],
                                         options->identity->values[i]);
    free(space);
    free(fixed);
    free(ignored);
    if (status != DIAL_OK) dial_study_identity_free(out);
    return status;
}

/* The identity of outer fold k's study: the run's, and which fold. */
static dial_status outer_identity(dial_ctx *ctx, const dial_study_identity *base, size_t k,
                                  size_t n_outer, dial_study_identity *out) {
    char fold[64];
    snprintf(fold, sizeof fold, "%zu of %zu", k, n_outer);
    dial_status status = dial_study_identity_copy(ctx, base, out);
    if (status == DIAL_OK) status = dial_study_identity_set(ctx, out, "outer_fold", fold);
    if (status != DIAL_OK) dial_study_identity_free(out);
    return status;
}

/* Refuses, before anything runs, a stored study of this run (the main one
 * or an outer fold's) that was created for another experiment. */
static dial_status check_studies(dial_ctx *ctx, const dial_tune_options *options, const char *name,
                                 const dial_study_identity *base) {
    if (!options->storage || !options->storage[0]) return DIAL_OK;
    dial_status status = DIAL_OK;
    for (size_t k = 0; status == DIAL_OK && k <= options->nested; k++) {
        char *study = dial_malloc(ctx, strlen(name) + 32);
        if (!study) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a study name");
        if (k == 0)
            strcpy(study, name);
        else
            sprintf(study, "%s-outer-%zu", name, k);
        dial_study_identity wanted = {0}, stored = {0};
        bool found = false;
        status = k == 0 ? dial_study_identity_copy(ctx, base, &wanted)
                        : outer_identity(ctx, base, k, options->nested, &wanted);
        if (status == DIAL_OK)
            status = dial_study_identity_read(ctx, options->storage, study, &stored, &found);
        char *shown = dial_storage_redact(ctx, options->storage); /* no PostgreSQL password */
        if (status == DIAL_OK && found)
            status = dial_study_identity_check(ctx, study, shown ? shown : options->storage,
                                               &stored, &wanted);
        free(shown);
        dial_study_identity_free(&wanted);
        dial_study_identity_free(&stored);
        free(study);
    }
    return status;
}

/* The run's pruner, the same for every search of it (the main one and
 * each outer fold's): canonical text and resource. */
typedef struct search_pruner {
    char *text; /* dial_pruner_spec_normalize's, owned */
    dial_resource resource;
} search_pruner;

/* Normalises options->pruner for the resource the objective offers
 * (dial_objective_pruner_resource): a path when the space searches the
 * family's path knob, else the folds. The resource does not depend on
 * which rows a search sees, so one objective over all rows tells it for
 * every search of the run. */
static dial_status choose_pruner(dial_ctx *ctx, const dial_tune_setup *setup,
                                 const dial_dataset *data, const dial_tune_options *options,
                                 search_pruner *out) {
    *out = (search_pruner){NULL, DIAL_RESOURCE_FOLDS};
    const char *spec = options->pruner;
    int64_t max_resource =
        (int64_t)((setup->folds ? setup->folds : 5) * (setup->repeats ? setup->repeats : 1));
    dial_status status = DIAL_OK;
    if (spec && *spec && strcmp(spec, "none") != 0) {
        dial_model_objective *probe = NULL;
        status = dial_model_objective_create(ctx, setup, data, NULL, 0, &probe);
        if (status == DIAL_OK)
            status = dial_objective_set_sampler(ctx, probe, options->sampler, options->grid_points);
        if (status == DIAL_OK) dial_objective_pruner_resource(probe, &out->resource, &max_resource);
        dial_model_objective_free(probe);
    }
    if (status == DIAL_OK)
        status = dial_pruner_spec_normalize(ctx, spec, out->resource, max_resource, &out->text);
    return status;
}

/* Counts the trials this process finished, whatever other processes add
 * to the study meanwhile, and passes each on to the caller's on_trial. */
typedef struct trial_counter {
    const dial_optimize_options *caller;
    int64_t finished; /* under dial_study_optimize's lock: calls never overlap */
} trial_counter;

static void count_own_trial(void *user, const dial_study *study, const dial_trial_record *trial) {
    trial_counter *counter = user;
    if (!trial->stale) counter->finished++;
    if (counter->caller->on_trial)
        counter->caller->on_trial(counter->caller->on_trial_user, study, trial);
}

/* Runs (or resumes) the search of study `name` on rows of data. A study
 * with no complete trial is not an error here: has_best tells. */
static dial_status run_search(dial_ctx *ctx, const dial_tune_setup *setup, const dial_dataset *data,
                              const size_t *rows, size_t n_rows, const dial_tune_options *options,
                              const search_pruner *pruner, dial_direction direction,
                              const char *name, size_t outer, const dial_study_identity *identity,
                              double timeout, search_outcome *out) {
    memset(out, 0, sizeof *out);
    dial_model_objective *objective = NULL;
    dial_study *study = NULL;
    dial_storage_tally before = {0};
    dial_trial_record best_before = {0};
    bool has_best_before = false;
    dial_status status = dial_model_objective_create(ctx, setup, data, rows, n_rows, &objective);
    dial_study_options study_options = {.name = name,
                                        .storage = options->storage,
                                        .direction = direction,
                                        .sampler = options->sampler,
                                        .space = setup->space,
                                        .grid_points = options->grid_points,
                                        .seed = setup->seed,
                                        .identity = identity,
                                        .startup_trials = options->startup_trials,
                                        .cost_aware = options->cost_aware,
                                        .pruner = pruner->text,
                                        .resource = pruner->resource};
    if (status == DIAL_OK) {
        study_options.space = dial_model_objective_space(objective);
        status = dial_objective_set_sampler(ctx, objective, options->sampler, options->grid_points);
    }
    if (status == DIAL_OK)
        dial_objective_set_pruning(objective, strcmp(pruner->text, "none") != 0, pruner->resource);
    if (status == DIAL_OK)
        status = dial_study_open_ordered(ctx, &study_options, dial_objective_order_roles(objective),
                                         &study);
    if (status == DIAL_OK && options->on_study)
        status = options->on_study(ctx, options->on_study_user, study);
    if (status == DIAL_OK) status = tally_trials(ctx, study, &before);
    if (status == DIAL_OK) status = best_so_far(ctx, study, &best_before, &has_best_before);
    int64_t finished_before = finished_of(&before);

    dial_optimize_options run = options->optimize;
    run.timeout_seconds = timeout;
    trial_counter counter = {&options->optimize, 0};
    run.on_trial = count_own_trial;
    run.on_trial_user = &counter;
    if (status == DIAL_OK && options->on_search) {
        dial_tune_search search = {.study_name = name,
                                   .outer = outer,
                                   .n_outer = options->nested,
                                   .n_rows = n_rows,
                                   .n_trials = dial_study_trial_limit(study, run.n_trials),
                                   .n_finished = finished_before,
                                   .best = has_best_before ? &best_before : NULL};
        options->on_search(options->on_search_user, &search);
    }
    if (status == DIAL_OK && !stop_raised(options))
        status = dial_study_optimize(ctx, study, dial_model_objective_run, objective, &run);
    if (status == DIAL_OK) status = leaders(ctx, study, &out->trials);
    if (status == DIAL_OK) status = tally_trials(ctx, study, &out->tally);
    if (status == DIAL_OK) {
        out->n_finished = finished_of(&out->tally);
        out->n_new = counter.finished;
        int64_t limit = dial_study_trial_limit(study, run.n_trials);
        /* The run waits for other workers' trials, so ending short of the
         * limit means the stop flag or the timeout ended it. */
        out->stopped = stop_raised(options) || (limit > 0 && out->n_finished < limit);
        if (out->tally.complete > 0) status = best_so_far(ctx, study, &out->best, &out->has_best);
    }
    if (status == DIAL_OK && out->has_best)
        status = dial_model_objective_knobs(ctx, objective, &out->best, &out->knobs);
    /* Only this run's objective knows which of its trials prepared folds. */
    for (size_t i = 0; status == DIAL_OK && i < out->trials.count; i++)
        out->trials.items[i].prepare_seconds =
            dial_objective_prepare_seconds(objective, out->trials.items[i].number);
    if (status == DIAL_OK && out->has_best)
        out->best.prepare_seconds = dial_objective_prepare_seconds(objective, out->best.number);
    dial_trial_record_clear(&best_before);
    dial_study_free(study);
    dial_model_objective_free(objective);
    if (status != DIAL_OK) search_outcome_free(out);
    return status;
}

/* Why a study has no complete trial: the first failure's message. */
static dial_status no_complete_trial(dial_ctx *ctx, const char *name,
                                     const search_outcome *outcome) {
    for (size_t i = 0; i < outcome->trials.count; i++) {
        const dial_trial_record *trial = &outcome->trials.items[i];
        if (trial->state == DIAL_TRIAL_FAILED && trial->message)
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "no trial of study '%s' completed; trial %lld failed: %s", name,
                             (long long)trial->number, trial->message);
    }
    if (outcome->stopped)
        return dial_fail(ctx, DIAL_ERR_DATA, "study '%s' was stopped before any trial completed",
                         name);
    return dial_fail(ctx, DIAL_ERR_DATA, "no trial of study '%s' completed", name);
}

/* Fits the knobs on rows and, when test is given, scores it. */
static dial_status refit(dial_ctx *ctx, const dial_tune_setup *setup, const dial_knobs *knobs,
                         const dial_view *train, const dial_view *test, double *score,
                         dial_model **model) {
    *model = NULL;
    dial_status status = dial_model_fit(ctx, setup->family, knobs, train, model);
    if (status == DIAL_OK && test)
        status = dial_eval_score_view(ctx, *model, test, setup->metric, score);
    if (status != DIAL_OK) {
        dial_model_free(*model);
        *model = NULL;
    }
    return status;
}

static void mean_std(const double *values, size_t n, double *mean, double *std) {
    if (n == 0) {
        *mean = *std = NAN;
        return;
    }
    double sum = 0, squares = 0;
    for (size_t i = 0; i < n; i++) sum += values[i];
    *mean = sum / (double)n;
    for (size_t i = 0; i < n; i++) squares += (values[i] - *mean) * (values[i] - *mean);
    *std = sqrt(squares / (double)n);
}

/* ---- nested cross-validation ------------------------------------------------ */

static dial_status run_nested(dial_ctx *ctx, const dial_tune_setup *setup, const dial_dataset *data,
                              const dial_tune_options *options, const search_pruner *pruner,
                              const dial_study_identity *identity, double timeout,
                              dial_tune_result *out) {
    size_t k = options->nested;
    dial_rng outer_seed = dial_rng_stream(setup->seed, NESTED_OUTER_STREAM);
    bool stratified = dial_model_fit_task(setup->family, data) == DIAL_TASK_CLASSIFICATION;
    dial_status status = dial_split_folds(ctx, data, setup->fold_scheme, k, 1, stratified,
                                          dial_rng_next(&outer_seed), &out->outer_splits);
    if (status != DIAL_OK) return status;
    out->outer_scores = dial_calloc(ctx, k, sizeof *out->outer_scores);
    out->inner_best = dial_calloc(ctx, k, sizeof *out->inner_best);
    out->outer_studies = dial_calloc(ctx, k, sizeof *out->outer_studies);
    if (!out->outer_scores || !out->inner_best || !out->outer_studies)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu outer folds", k);
    for (size_t f = 0; f < k && status == DIAL_OK; f++) {
        if (stop_raised(options)) {
            out->stopped = true;
            break;
        }
        const dial_split *split = &out->outer_splits.items[f];
        char *name = dial_malloc(ctx, strlen(out->study_name) + 32);
        if (!name) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu outer folds", k);
        sprintf(name, "%s-outer-%zu", out->study_name, f + 1);
        search_outcome inner = {0};
        dial_study_identity fold_identity = {0};
        status = outer_identity(ctx, identity, f + 1, k, &fold_identity);
        if (status == DIAL_OK)
            status = run_search(ctx, setup, data, split->train, split->n_train, options, pruner,
                                out->direction, name, f + 1, &fold_identity, timeout, &inner);
        dial_study_identity_free(&fold_identity);
        if (status == DIAL_OK && !inner.has_best) {
            if (inner.stopped) {
                out->stopped = true;
                search_outcome_free(&inner);
                free(name);
                break;
            }
            char why[1024];
            no_complete_trial(ctx, name, &inner);
            snprintf(why, sizeof why, "%s", dial_ctx_error(ctx));
            status = dial_fail(ctx, DIAL_ERR_DATA, "outer fold %zu of %zu: %s", f + 1, k, why);
        }
        if (status == DIAL_OK) {
            dial_view train = {data, split->train, split->n_train};
            dial_view test = {data, split->test, split->n_test};
            dial_model *model = NULL;
            status = refit(ctx, setup, &inner.knobs, &train, &test, &out->outer_scores[f], &model);
            dial_model_free(model);
        }
        if (status == DIAL_OK) {
            out->inner_best[f] = inner.best.value;
            out->outer_studies[f] = name;
            name = NULL;
            out->n_outer = f + 1;
            out->stopped |= inner.stopped;
        }
        free(name);
        search_outcome_free(&inner);
    }
    if (status != DIAL_OK) return status;
    double ignored;
    mean_std(out->outer_scores, out->n_outer, &out->nested_mean, &out->nested_std);
    mean_std(out->inner_best, out->n_outer, &out->inner_best_mean, &ignored);
    return DIAL_OK;
}

/* ---- the tuning record ---------------------------------------------------------- */

static const char *sampler_name(dial_sampler_kind kind) { return dial_sampler_kind_name(kind); }

static json_t *json_number_or_null(double value) {
    return isfinite(value) ? json_real(value) : json_null();
}

static json_t *json_u64(uint64_t value) {
    if (value <= (uint64_t)INT64_MAX) return json_integer((json_int_t)value);
    char text[32];
    snprintf(text, sizeof text, "%" PRIu64, value);
    return json_string(text);
}

/* The record the model file keeps: which study and trial chose the knobs,
 * and how well they did. */
static dial_status set_tuning_record(dial_ctx *ctx, const dial_tune_setup *setup,
                                     const dial_tune_options *options,
                                     const dial_tune_result *result) {
    json_t *root = json_object();
    if (!root) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the tuning record");
    bool ok = true;
    /* The model file keeps where its study is, never a PostgreSQL password. */
    char *shown =
        options->storage && options->storage[0] ? dial_storage_redact(ctx, options->storage) : NULL;
    ok &= json_object_set_new(root, "study_file", shown ? json_string(shown) : json_null()) == 0;
    free(shown);
    ok &= json_object_set_new(root, "study_name", json_string(result->study_name)) == 0;
    ok &= json_object_set_new(root, "trial", json_integer(result->best.number)) == 0;
    ok &= json_object_set_new(root, "metric", json_string(dial_metric_name(setup->metric))) == 0;
    ok &= json_object_set_new(
              root, "direction",
              json_string(result->direction == DIAL_MAXIMIZE ? "maximize" : "minimize")) == 0;
    ok &= json_object_set_new(root, "cv_value", json_number_or_null(result->best.value)) == 0;
    ok &= json_object_set_new(root, "cv_std", json_number_or_null(result->best_std)) == 0;
    ok &= json_object_set_new(root, "folds",
                              json_integer(setup->folds ? (json_int_t)setup->folds : 5)) == 0;
    ok &= json_object_set_new(root, "repeats",
                              json_integer(setup->repeats ? (json_int_t)setup->repeats : 1)) == 0;
    ok &= json_object_set_new(root, "n_trials", json_integer(result->n_finished)) == 0;
    ok &= json_object_set_new(root, "sampler", json_string(sampler_name(options->sampler))) == 0;
    ok &= json_object_set_new(root, "seed", json_u64(setup->seed)) == 0;
    ok &= json_object_set_new(root, "rows", json_integer((json_int_t)result->n_search_rows)) == 0;
    ok &= json_object_set_new(root, "refit_rows", json_integer((json_int_t)result->n_refit_rows)) ==
          0;
    if (result->n_holdout)
        ok &= json_object_set_new(root, "holdout",
                                  json_pack("{s:f, s:I, s:o}", "fraction", options->holdout, "rows",
                                            (json_int_t)result->n_holdout, "score",
                                            json_number_or_null(result->holdout_score))) == 0;
    if (result->n_outer) {
        json_t *scores = json_array();
        for (size_t i = 0; scores && i < result->n_outer; i++)
            json_array_append_new(scores, json_number_or_null(result->outer_scores[i]));
        ok &= json_object_set_new(
                  root, "nested",
                  json_pack("{s:I, s:I, s:o, s:o, s:o, s:o}", "folds", (json_int_t)options->nested,
                            "completed", (json_int_t)result->n_outer, "mean",
                            json_number_or_null(result->nested_mean), "std",
                            json_number_or_null(result->nested_std), "inner_best_mean",
                            json_number_or_null(result->inner_best_mean), "scores", scores)) == 0;
    }
    char *text = ok ? json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(root);
    if (!text) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the tuning record");
    dial_status status = dial_model_set_tuning(ctx, result->model, text);
    free(text);
    return status;
}

/* ---- the procedure -------------------------------------------------------------- */

static dial_status check_options(dial_ctx *ctx, const dial_tune_setup *setup,
                                 const dial_dataset *data, const dial_tune_options *options) {
    if (!setup || !setup->family || !setup->knobs || !data || !options)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "dial_tune_model needs a setup with a family and knobs, data and options");
    if (options->holdout != 0 && !(options->holdout > 0 && options->holdout < 1))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "holdout = %g is out of range: must be a fraction in (0, 1)",
                         options->holdout);
    if (options->nested == 1)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "nested = 1 is out of range: a nested cross-validation needs at least 2 "
                         "outer folds");
    if (options->holdout != 0 && options->nested != 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "a holdout and a nested cross-validation cannot be combined: choose one");
    if (options->nested_only && (options->nested == 0 || options->refit))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "nested_only skips the main search, so it needs nested outer folds and "
                         "no refit");
    const dial_fold_scheme *scheme = setup->fold_scheme;
    if (scheme && scheme->kind == DIAL_FOLDS_PREDEFINED && (options->holdout || options->nested))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "fold column '%s' gives the folds of one cross-validation; a %s needs "
                         "folds of its own: leave it out, or split by --groups instead",
                         scheme->column ? scheme->column : "?",
                         options->holdout ? "holdout" : "nested cross-validation");
    return dial_objective_check_metric(ctx, setup->family, setup->knobs, setup->space, data,
                                       setup->metric);
}

/* The search's rows: all, or those a stratified holdout leaves. */
static dial_status choose_rows(dial_ctx *ctx, const dial_tune_setup *setup,
                               const dial_dataset *data, const dial_tune_options *options,
                               dial_tune_result *out) {
    if (options->holdout == 0) {
        out->search_rows = dial_malloc_array(ctx, data->n_rows, sizeof *out->search_rows);
        if (!out->search_rows) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the rows");
        for (size_t i = 0; i < data->n_rows; i++) out->search_rows[i] = i;
        out->n_search_rows = data->n_rows;
        return DIAL_OK;
    }
    dial_splits holdout = {0, NULL};
    bool stratified = dial_model_fit_task(setup->family, data) == DIAL_TASK_CLASSIFICATION;
    dial_status status = dial_split_holdout_by(ctx, data, setup->fold_scheme, options->holdout,
                                               stratified, setup->seed, &holdout);
    if (status != DIAL_OK) return status;
    dial_split *split = &holdout.items[0];
    out->search_rows = split->train;
    out->n_search_rows = split->n_train;
    out->holdout_rows = split->test;
    out->n_holdout = split->n_test;
    split->train = split->test = NULL;
    dial_splits_free(&holdout);
    return DIAL_OK;
}

dial_status dial_tune_model(dial_ctx *ctx, const dial_tune_setup *setup, const dial_dataset *data,
                            const dial_tune_options *options, dial_tune_result *out) {
    memset(out, 0, sizeof *out);
    out->holdout_score = out->nested_mean = out->nested_std = out->inner_best_mean = NAN;
    dial_status status = check_options(ctx, setup, data, options);
    if (status != DIAL_OK) return status;
    out->direction = dial_metric_greater_is_better(setup->metric) ? DIAL_MAXIMIZE : DIAL_MINIMIZE;
    out->study_name =
        dial_strdup(ctx, options->study_name ? options->study_name : setup->family->name);
    if (!out->study_name) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the study");
    /* Each search of a nested run gets an equal share of the time. */
    double timeout = options->optimize.timeout_seconds;
    if (timeout > 0) timeout /= (double)(1 + options->nested);

    dial_study_identity identity = {0};
    search_pruner pruner = {0};
    status = choose_pruner(ctx, setup, data, options, &pruner);
    if (status == DIAL_OK)
        status = build_identity(ctx, setup, data, options, pruner.text, &identity);
    if (status == DIAL_OK) status = check_studies(ctx, options, out->study_name, &identity);
    if (status == DIAL_OK) status = choose_rows(ctx, setup, data, options, out);
    search_outcome main_search = {0};
    out->main_searched = !options->nested_only;
    if (status == DIAL_OK && out->main_searched)
        status =
            run_search(ctx, setup, data, out->search_rows, out->n_search_rows, options, &pruner,
                       out->direction, out->study_name, 0, &identity, timeout, &main_search);
    if (status == DIAL_OK && out->main_searched && !main_search.has_best)
        status = no_complete_trial(ctx, out->study_name, &main_search);
    if (status == DIAL_OK && out->main_searched) {
        out->trials = main_search.trials;
        out->best = main_search.best;
        out->best_knobs = main_search.knobs;
        out->n_finished = main_search.n_finished;
        out->n_complete = main_search.tally.complete;
        out->n_pruned = main_search.tally.pruned;
        out->n_failed = main_search.tally.failed;
        out->n_new = main_search.n_new;
        out->stopped = main_search.stopped;
        out->best_std = dial_objective_fold_std(&out->best);
        memset(&main_search, 0, sizeof main_search);
    }
    search_outcome_free(&main_search);

    if (status == DIAL_OK && (options->refit || out->n_holdout)) {
        dial_view train = {data, out->search_rows, out->n_search_rows};
        dial_view test = {data, out->holdout_rows, out->n_holdout};
        status = refit(ctx, setup, &out->best_knobs, &train, out->n_holdout ? &test : NULL,
                       &out->holdout_score, &out->model);
        out->n_refit_rows = out->n_search_rows;
    }
    /* The holdout was scored by a model that never saw it; only then may
     * the model kept learn from those rows too. */
    if (status == DIAL_OK && options->refit && options->refit_all && out->n_holdout) {
        dial_model_free(out->model);
        dial_view all = dial_view_all(data);
        status = refit(ctx, setup, &out->best_knobs, &all, NULL, NULL, &out->model);
        out->n_refit_rows = data->n_rows;
    }
    if (status == DIAL_OK && options->nested && !out->stopped)
        status = run_nested(ctx, setup, data, options, &pruner, &identity, timeout, out);
    dial_study_identity_free(&identity);
    free(pruner.text);
    if (status == DIAL_OK && out->model) status = set_tuning_record(ctx, setup, options, out);
    if (status != DIAL_OK) dial_tune_result_free(out);
    return status;
}

dial_status dial_tune_model_objective(dial_ctx *ctx, const dial_tune_setup *setup,
                                      const dial_dataset *data, const dial_tune_options *options,
                                      dial_model_objective **out) {
    *out = NULL;
    if (options->nested)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "a nested run has one objective per outer fold: its trials cannot be "
                         "evaluated by remote workers; leave out --nested");
    dial_status status = check_options(ctx, setup, data, options);
    dial_tune_result rows = {0};
    search_pruner pruner = {0};
    if (status == DIAL_OK) status = choose_pruner(ctx, setup, data, options, &pruner);
    if (status == DIAL_OK) status = choose_rows(ctx, setup, data, options, &rows);
    /* As run_search makes the main search's objective. */
    if (status == DIAL_OK)
        status = dial_model_objective_create(ctx, setup, data, rows.search_rows, rows.n_search_rows,
                                             out);
    if (status == DIAL_OK)
        status = dial_objective_set_sampler(ctx, *out, options->sampler, options->grid_points);
    if (status == DIAL_OK)
        dial_objective_set_pruning(*out, strcmp(pruner.text, "none") != 0, pruner.resource);
    if (status != DIAL_OK) {
        dial_model_objective_free(*out);
        *out = NULL;
    }
    free(pruner.text);
    free(rows.search_rows);
    free(rows.holdout_rows);
    return status;
}

void dial_tune_result_free(dial_tune_result *result) {
    if (!result) return;
    free(result->study_name);
    dial_trial_list_free(&result->trials);
    dial_trial_record_clear(&result->best);
    dial_knobs_free(&result->best_knobs);
    free(result->search_rows);
    free(result->holdout_rows);
    dial_splits_free(&result->outer_splits);
    free(result->outer_scores);
    free(result->inner_best);
    if (result->outer_studies)
        for (size_t i = 0; i < result->n_outer; i++) free(result->outer_studies[i]);
    free(result->outer_studies);
    dial_model_free(result->model);
    memset(result, 0, sizeof *result);
    result->holdout_score = result->nested_mean = result->nested_std = NAN;
    result->inner_best_mean = NAN;
}

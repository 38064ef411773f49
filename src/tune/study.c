/* Studies: opening or resuming one in a storage, starting and finishing
 * its trials, ask-and-tell, and reading it back. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "core/text.h"
#include "tune/record.h"
#include "tune/study_internal.h"

#define DEFAULT_HEARTBEAT_SECONDS 60.0

/* ---- opening -------------------------------------------------------------- */

static dial_status study_nomem(dial_ctx *ctx) {
    return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory opening a study");
}

/* A study handle with its sampler and space but no storage yet. */
static dial_status study_new(dial_ctx *ctx, const dial_study_options *options,
                             const dial_order_role *roles, dial_study **out) {
    *out = NULL;
    if (!options) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_study_open needs options");
    const char *name = options->name ? options->name : "default";
    if (name[0] == '\0') return dial_fail(ctx, DIAL_ERR_ARGUMENT, "a study name cannot be empty");
    if (options->direction != DIAL_MINIMIZE && options->direction != DIAL_MAXIMIZE)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "study direction %d is not DIAL_MINIMIZE or DIAL_MAXIMIZE",
                         (int)options->direction);
    if (!(options->heartbeat_seconds >= 0) || isinf(options->heartbeat_seconds))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "heartbeat_seconds = %g is out of range: must be >= 0 (0 = 60)",
                         options->heartbeat_seconds);

    dial_study *study = dial_calloc(ctx, 1, sizeof *study);
    if (!study) return study_nomem(ctx);
    study->direction = options->direction;
    study->sampler_kind = options->sampler;
    study->grid_points = options->grid_points;
    study->seed = options->seed;
    study->heartbeat_seconds =
        options->heartbeat_seconds > 0 ? options->heartbeat_seconds : DEFAULT_HEARTBEAT_SECONDS;
    bool in_memory = !options->storage || options->storage[0] == '\0';
    if (pthread_mutex_init(&study->lock, NULL) != 0) {
        free(study);
        return dial_fail(ctx, DIAL_ERR_INTERNAL, "cannot create the lock of study '%s'", name);
    }
    if (pthread_cond_init(&study->trial_done, NULL) != 0) {
        pthread_mutex_destroy(&study->lock);
        free(study);
        return dial_fail(ctx, DIAL_ERR_INTERNAL, "cannot create the lock of study '%s'", name);
    }
    study->window = 1;
    if (!(study->name = dial_strdup(ctx, name)) ||
        (!in_memory && !(study->storage_path = dial_strdup(ctx, options->storage))) ||
        (!in_memory && !(study->storage_shown = dial_storage_redact(ctx, options->storage)))) {
        dial_study_free(study);
        return study_nomem(ctx);
    }

    /* The sampler checks the space; the study keeps its own copy to look
     * parameters up by name. */
    dial_sampler_settings settings = {.kind = options->sampler,
                                      .seed = options->seed,
                                      .space = options->space,
                                      .grid_points = options->grid_points,
                                      .roles = roles,
                                      .startup_trials = options->startup_trials,
                                      .cost_blind = !options->cost_aware};
    dial_status status = dial_sampler_create_with(ctx, &settings, &study->sampler);
    if (status == DIAL_OK) status = dial_space_copy(ctx, options->space, &study->space);
    study->learns = status == DIAL_OK && dial_sampler_learns(study->sampler);
    study->history.d = study->space.n;
    study->history.by_path = options->resource == DIAL_RESOURCE_PATH;
    dial_pruner_setup pruning = {.direction = options->direction, .seed = options->seed};
    if (status == DIAL_OK)
        status =
            dial_pruner_create(ctx, options->pruner, options->resource, &pruning, &study->pruner);
    if (status != DIAL_OK) {
        dial_study_free(study);
        return status;
    }
    study->grid_size = dial_sampler_grid_size(study->sampler);
    *out = study;
    return DIAL_OK;
}

dial_status dial_study_open(dial_ctx *ctx, const dial_study_options *options, dial_study **out) {
    return dial_study_open_ordered(ctx, options, NULL, out);
}

dial_status dial_study_open_ordered(dial_ctx *ctx, const dial_study_options *options,
                                    const dial_order_role *roles, dial_study **out) {
    *out = NULL;
    dial_study *study = NULL;
    dial_status status = study_new(ctx, options, roles, &study);
    if (status != DIAL_OK) return status;
    status = study->storage_path ? dial_storage_open(ctx, options->storage, &study->storage)
                                 : dial_storage_memory_open(ctx, &study->storage);
    if (status == DIAL_OK)
        status =
            study->storage.ops->open_study(ctx, study->storage.self, study->name, study->direction,
                                           options->identity, &study->study_id);
    if (status != DIAL_OK) {
        dial_study_free(study);
        return status;
    }
    *out = study;
    return DIAL_OK;
}

/* ---- reading a study file ---------------------------------------------- */

/* Reading never creates a file: the path must name an existing one. (A
 * PostgreSQL database is checked by opening it.) */
static dial_status check_study_file(dial_ctx *ctx, const char *storage) {
    if (!storage || storage[0] == '\0')
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "reading a study needs a study file");
    if (dial_storage_is_postgres(storage)) return DIAL_OK;
    struct stat info;
    if (stat(storage, &info) != 0)
        return dial_fail(ctx, DIAL_ERR_IO, "cannot open study file %s: no such file", storage);
    if (!S_ISREG(info.st_mode))
        return dial_fail(ctx, DIAL_ERR_IO, "cannot open study file %s: not a regular file",
                         storage);
    return DIAL_OK;
}

/* An existing study file, opened read-only. */
static dial_status open_file_read(dial_ctx *ctx, const char *storage, dial_storage *store) {
    *store = (dial_storage){0};
    dial_status status = check_study_file(ctx, storage);
    if (status == DIAL_OK) status = dial_storage_open_read(ctx, storage, store);
    return status;
}

char *dial_study_storage_shown(dial_ctx *ctx, const char *storage) {
    return dial_storage_redact(ctx, storage);
}

bool dial_study_storage_is_database(const char *storage) {
    return dial_storage_is_postgres(storage);
}

void dial_study_summaries_free(dial_study_summary *summaries, size_t n) {
    for (size_t i = 0; summaries && i < n; i++) {
        free(summaries[i].name);
        dial_study_identity_free(&summaries[i].identity);
    }
    free(summaries);
}

dial_status dial_study_summaries(dial_ctx *ctx, const char *storage, dial_study_summary **out,
                                 size_t *n) {
    *out = NULL;
    *n = 0;
    dial_storage store;
    dial_status status = open_file_read(ctx, storage, &store);
    if (status == DIAL_OK) status = store.ops->studies(ctx, store.self, out, n);
    dial_storage_close(&store);
    return status;
}

dial_status dial_study_names(dial_ctx *ctx, const char *storage, char ***names, size_t *n) {
    *names = NULL;
    *n = 0;
    dial_study_summary *summaries = NULL;
    size_t count = 0;
    dial_status status = dial_study_summaries(ctx, storage, &summaries, &count);
    if (status != DIAL_OK) return status;
    char **list = dial_calloc(ctx, count ? count : 1, sizeof *list);
    if (!list) {
        dial_study_summaries_free(summaries, count);
        return study_nomem(ctx);
    }
    /* The names move out of the summaries. */
    for (size_t i = 0; i < count; i++) {
        list[i] = summaries[i].name;
        summaries[i].name = NULL;
    }
    dial_study_summaries_free(summaries, count);
    *names = list;
    *n = count;
    return DIAL_OK;
}

static void free_names(char **names, size_t n) {
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* "a, b, c" (shortened past a few hundred characters) for messages. */
static void names_text(char **names, size_t n, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < size; i++) {
        int written = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", names[i]);
        if (written < 0) break;
        used += (size_t)written;
    }
}

/* The error for a study the file lacks: it names those it holds. */
static dial_status no_such_study(dial_ctx *ctx, const char *storage, const char *name) {
    char **names = NULL;
    size_t n = 0;
    dial_status status = dial_study_names(ctx, storage, &names, &n);
    if (status != DIAL_OK) return status;
    char list[400];
    names_text(names, n, list, sizeof list);
    char *shown = dial_storage_redact(ctx, storage);
    const char *where = shown ? shown : "the study storage";
    if (n == 0)
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s holds no study", where);
    else if (name)
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s has no study '%s'; it holds: %s", where,
                           name, list);
    else
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                           "%s holds several studies (%s); name the one to read", where, list);
    free(shown);
    free_names(names, n);
    return status;
}

dial_status dial_study_load(dial_ctx *ctx, const char *storage, const char *name,
                            dial_study **out) {
    *out = NULL;
    char **names = NULL;
    size_t n = 0;
    dial_status status = dial_study_names(ctx, storage, &names, &n);
    if (status != DIAL_OK) return status;
    const char *wanted = name ? name : n == 1 ? names[0] : "default";
    dial_study_options options = {.name = wanted,
                                  .storage = storage,
                                  .direction = DIAL_MINIMIZE,
                                  .sampler = DIAL_SAMPLER_RANDOM};
    dial_study *study = NULL;
    bool found = false;
    status = study_new(ctx, &options, NULL, &study);
    if (status == DIAL_OK) status = dial_storage_open_read(ctx, storage, &study->storage);
    if (status == DIAL_OK)
        status = study->storage.ops->find_study(ctx, study->storage.self, study->name,
                                                &study->study_id, &study->direction, NULL, &found);
    if (status == DIAL_OK && !found) status = no_such_study(ctx, storage, name);
    free_names(names, n);
    if (status != DIAL_OK) {
        dial_study_free(study);
        return status;
    }
    *out = study;
    return DIAL_OK;
}

dial_status dial_study_identity_read(dial_ctx *ctx, const char *storage, const char *name,
                                     dial_study_identity *out, bool *found) {
    *out = (dial_study_identity){0};
    *found = false;
    /* No file, or one another run has just created and not yet given its
     * schema (SQLite writes nothing before the first commit): a new study. */
    struct stat info;
    bool postgres = dial_storage_is_postgres(storage);
    if (!postgres && (!storage || !storage[0] || stat(storage, &info) != 0 ||
                      (S_ISREG(info.st_mode) && info.st_size == 0)))
        return DIAL_OK;
    dial_storage store;
    /* A database without dial's tables yet gains them here, as the run
     * that asks is about to write its study there anyway. */
    dial_status status =
        postgres ? dial_storage_open(ctx, storage, &store) : open_file_read(ctx, storage, &store);
    int64_t study_id = 0;
    dial_direction direction = DIAL_MINIMIZE;
    if (status == DIAL_OK)
        status = store.ops->find_study(ctx, store.self, name ? name : "default", &study_id,
                                       &direction, out, found);
    dial_storage_close(&store);
    return status;
}

/* Opens an existing study file for a change: read-only first, so that a
 * file that is not dial's is refused before anything writes to it. */
static dial_status open_file_write(dial_ctx *ctx, const char *storage, dial_storage *store) {
    dial_status status = open_file_read(ctx, storage, store);
    dial_storage_close(store);
    if (status == DIAL_OK) status = dial_storage_open(ctx, storage, store);
    return status;
}

dial_status dial_study_delete(dial_ctx *ctx, const char *storage, const char *name) {
    if (!name || !name[0])
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "the study to delete needs a name");
    dial_storage store;
    bool found = false;
    dial_status status = open_file_write(ctx, storage, &store);
    if (status == DIAL_OK) status = store.ops->delete_study(ctx, store.self, name, &found);
    dial_storage_close(&store);
    if (status == DIAL_OK && !found) status = no_such_study(ctx, storage, name);
    return status;
}

dial_status dial_study_rename(dial_ctx *ctx, const char *storage, const char *from,
                              const char *to) {
    if (!from || !from[0] || !to || !to[0])
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "renaming a study needs two non-empty names");
    if (strcmp(from, to) == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "study '%s' already has that name", from);
    dial_storage store;
    bool found = false;
    dial_status status = open_file_write(ctx, storage, &store);
    if (status == DIAL_OK) status = store.ops->rename_study(ctx, store.self, from, to, &found);
    dial_storage_close(&store);
    if (status == DIAL_OK && !found) status = no_such_study(ctx, storage, from);
    return status;
}

void dial_study_free(dial_study *study) {
    if (!study) return;
    dial_storage_close(&study->storage);
    dial_sampler_free(study->sampler);
    dial_pruner_free(study->pruner);
    dial_space_free(&study->space);
    free(study->name);
    free(study->storage_path);
    free(study->storage_shown);
    dial_history_free(&study->history);
    free(study->prior);
    free(study->prior_xs);
    free(study->own_running);
    pthread_cond_destroy(&study->trial_done);
    pthread_mutex_destroy(&study->lock);
    free(study);
}

dial_direction dial_study_direction(const dial_study *study) { return study->direction; }
const char *dial_study_name(const dial_study *study) { return study->name; }

/* ---- trials ----------------------------------------------------------------- */

uint64_t dial_trial_seed(uint64_t study_seed, int64_t number) {
    dial_rng rng = dial_rng_stream(study_seed, DIAL_TRIAL_SEED_STREAM + (uint64_t)number);
    return dial_rng_next(&rng);
}

int64_t dial_study_trial_limit(const dial_study *study, int64_t max_trials) {
    if (study->grid_size > 0 && (max_trials <= 0 || max_trials > study->grid_size))
        return study->grid_size;
    return max_trials > 0 ? max_trials : 0;
}

dial_status dial_study_start_trial(dial_ctx *ctx, dial_study *study, int64_t max_trials,
                                   int threads, dial_trial **out) {
    *out = NULL;
    dial_storage_start request = {dial_study_trial_limit(study, max_trials),
                                  study->heartbeat_seconds, dial_tune_now()};
    dial_storage_trial started;
    pthread_mutex_lock(&study->lock);
    dial_status status = study->storage.ops->start_trial(ctx, study->storage.self, study->study_id,
                                                         &request, &started);
    /* In the same step as the allocation, so that no later trial can miss
     * it when it waits for the handle's earlier ones (study_propose.c). */
    bool own = false;
    if (status == DIAL_OK && started.allocated) {
        status = dial_study_own_started(ctx, study, started.record.number);
        own = status == DIAL_OK;
        if (status != DIAL_OK) {
            bool was_stale = false;
            study->storage.ops->finish(ctx, study->storage.self, started.trial_id,
                                       DIAL_TRIAL_FAILED, NAN, "out of memory starting the trial",
                                       dial_tune_now(), &was_stale);
            dial_trial_record_clear(&started.record);
        }
    }
    pthread_mutex_unlock(&study->lock);
    if (status != DIAL_OK) return status;
    if (started.n_marked_stale > 0)
        dial_log(ctx, DIAL_LOG_WARN,
                 "study '%s': %zu running trial(s) sent no heartbeat for %g s; marked them "
                 "failed and queued their params to run again",
                 study->name, started.n_marked_stale, study->heartbeat_seconds);
    if (!started.allocated) return DIAL_OK;

    dial_trial *trial = dial_calloc(ctx, 1, sizeof *trial);
    dial_ctx *trial_ctx = dial_ctx_clone(ctx, threads);
    if (!trial || !trial_ctx) {
        free(trial);
        dial_ctx_free(trial_ctx);
        /* Leave no orphan running: it would hold a place in the budget
         * until it went stale. */
        bool was_stale = false;
        pthread_mutex_lock(&study->lock);
        study->storage.ops->finish(ctx, study->storage.self, started.trial_id, DIAL_TRIAL_FAILED,
                                   NAN, "out of memory starting the trial", dial_tune_now(),
                                   &was_stale);
        pthread_mutex_unlock(&study->lock);
        dial_trial_record_clear(&started.record);
        if (own) dial_study_own_ended(study, started.record.number);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting a trial");
    }
    dial_ctx_set_seed(trial_ctx, dial_trial_seed(study->seed, started.record.number));
    trial->study = study;
    trial->trial_id = started.trial_id;
    trial->sample = started.sample;
    trial->ctx = trial_ctx;
    trial->record = started.record;
    trial->own = own;
    *out = trial;
    return DIAL_OK;
}

dial_status dial_study_finish_trial(dial_ctx *ctx, dial_study *study, dial_trial *trial,
                                    dial_trial_state state, double value, const char *message) {
    double now = dial_tune_now();
    bool was_stale = false;
    pthread_mutex_lock(&study->lock);
    dial_status status = study->storage.ops->finish(ctx, study->storage.self, trial->trial_id,
                                                    state, value, message, now, &was_stale);
    pthread_mutex_unlock(&study->lock);
    if (status != DIAL_OK) return status;
    dial_trial_record *record = &trial->record;
    record->finished_at = now;
    if (was_stale) {
        record->state = DIAL_TRIAL_FAILED;
        record->stale = true;
        record->value = NAN;
        if (!dial_record_set_message(ctx, record,
                                     "stale: another worker declared it dead before it "
                                     "finished; its params run again in a later trial"))
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory finishing a stale trial");
        dial_log(ctx, DIAL_LOG_WARN,
                 "study '%s': trial %lld finished after it was declared stale (no heartbeat for "
                 "%g s); its params run again in another trial",
                 study->name, (long long)record->number, study->heartbeat_seconds);
        return DIAL_OK;
    }
    record->state = state;
    record->value = state == DIAL_TRIAL_COMPLETE ? value : NAN;
    if (state == DIAL_TRIAL_FAILED && !dial_record_set_message(ctx, record, message))
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory finishing a trial");
    pthread_mutex_lock(&study->lock);
    dial_study_learn(ctx, study, record);
    pthread_mutex_unlock(&study->lock);
    return DIAL_OK;
}

dial_status dial_study_heartbeat(dial_ctx *ctx, dial_study *study, const int64_t *trial_ids,
                                 size_t n) {
    pthread_mutex_lock(&study->lock);
    dial_status status =
        study->storage.ops->heartbeat(ctx, study->storage.self, trial_ids, n, dial_tune_now());
    pthread_mutex_unlock(&study->lock);
    return status;
}

dial_status dial_study_expire_trial(dial_ctx *ctx, dial_study *study, const dial_trial *trial) {
    pthread_mutex_lock(&study->lock);
    dial_status status =
        study->storage.ops->heartbeat(ctx, study->storage.self, &trial->trial_id, 1, 0.0);
    pthread_mutex_unlock(&study->lock);
    return status;
}

/* ---- ask and tell ----------------------------------------------------------- */

dial_status dial_study_ask(dial_ctx *ctx, dial_study *study, int64_t max_trials, dial_trial **out) {
    *out = NULL;
    if (max_trials < 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "max_trials = %lld is out of range: must be >= 0 (0 = no limit)",
                         (long long)max_trials);
    dial_status status = dial_study_start_trial(ctx, study, max_trials, dial_ctx_threads(ctx), out);
    if (status != DIAL_OK || !*out) return status;
    status = dial_study_propose(ctx, study, *out);
    if (status != DIAL_OK) {
        /* No orphan left running to hold a place in the budget. */
        dial_study_finish_trial(ctx, study, *out, DIAL_TRIAL_FAILED, NAN, dial_ctx_error(ctx));
        dial_trial_free(*out);
        *out = NULL;
    }
    return status;
}

dial_status dial_study_tell(dial_ctx *ctx, dial_study *study, dial_trial *trial,
                            dial_trial_state state, double value) {
    if (!trial) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_study_tell needs a trial");
    if (trial->study != study) {
        /* Finish it where it belongs, so it does not hold a place in that
         * study's budget until it goes stale. */
        dial_study_finish_trial(ctx, trial->study, trial, DIAL_TRIAL_FAILED, NAN,
                                "told to another study");
        dial_fail(ctx, DIAL_ERR_ARGUMENT,
                  "trial %lld belongs to study '%s', not to '%s' (it is recorded as failed)",
                  (long long)trial->record.number, trial->study->name, study->name);
        dial_trial_free(trial);
        return DIAL_ERR_ARGUMENT;
    }
    dial_status argument = DIAL_OK;
    char message[160];
    const char *reason = NULL;
    int told = (int)state;
    if (state == DIAL_TRIAL_COMPLETE && isnan(value)) {
        state = DIAL_TRIAL_FAILED;
        reason = "the objective returned nan";
    } else if (state == DIAL_TRIAL_FAILED) {
        const char *error = dial_ctx_error(trial->ctx);
        reason = error[0] ? error : "the objective failed (no message)";
    } else if (state != DIAL_TRIAL_COMPLETE && state != DIAL_TRIAL_PRUNED) {
        /* Finish it anyway: a trial left running would hold a place in the
         * budget until it went stale. */
        snprintf(message, sizeof message,
                 "told with state %s; a trial ends complete, pruned or failed",
                 dial_trial_state_name(state));
        argument = DIAL_ERR_ARGUMENT;
        state = DIAL_TRIAL_FAILED;
        reason = message;
    }
    dial_status status = dial_study_finish_trial(ctx, study, trial, state, value, reason);
    int64_t number = trial->record.number;
    dial_trial_free(trial);
    if (status != DIAL_OK) return status;
    if (argument != DIAL_OK)
        return dial_fail(ctx, argument,
                         "trial %lld was told with state %s; a trial ends complete, pruned or "
                         "failed (it is recorded as failed)",
                         (long long)number, dial_trial_state_name((dial_trial_state)told));
    return DIAL_OK;
}

/* ---- reading ------------------------------------------------------------- */

dial_status dial_study_trials(dial_ctx *ctx, dial_study *study, dial_trial_list *out) {
    pthread_mutex_lock(&study->lock);
    dial_status status = study->storage.ops->trials(ctx, study->storage.self, study->study_id, out);
    pthread_mutex_unlock(&study->lock);
    return status;
}

dial_status dial_study_best(dial_ctx *ctx, dial_study *study, dial_trial_record *out) {
    bool found = false;
    pthread_mutex_lock(&study->lock);
    dial_status status = study->storage.ops->best(ctx, study->storage.self, study->study_id,
                                                  study->direction, out, &found);
    pthread_mutex_unlock(&study->lock);
    if (status != DIAL_OK) return status;
    if (!found) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "the study has no complete trial");
    return DIAL_OK;
}

/* ---- the sampler's plan -------------------------------------------------- */

void dial_study_sampler_plan(const dial_study *study, char *buf, size_t size) {
    /* a warm start's prior counts toward the startup trials */
    dial_sampler_describe_after(study ? study->sampler : NULL, study ? study->n_prior : 0, buf,
                                size);
}

void dial_study_pruner_plan(const dial_study *study, char *buf, size_t size) {
    dial_pruner_plan(study ? study->pruner : NULL, buf, size);
}

/* The executor: runs a study's trials on `jobs` threads until the study
 * holds n_trials trials, the timeout passes or the stop flag is raised.
 *
 * Each worker (the calling thread and jobs - 1 threads) allocates a trial
 * from the storage, runs the objective with the trial's own context and
 * stores the outcome. A heart thread meanwhile refreshes the heartbeats of
 * the running trials, so other processes can tell a long trial from a dead
 * one. Stopping never interrupts a trial: workers stop taking new ones, and
 * every trial that ran is stored.
 *
 * Waiting: the storage counts running trials of every worker toward the
 * budget, because a live worker's trial will finish. A dead worker's trial
 * only looks alive until its heartbeat expires, so a run that finds the
 * budget held by trials of other workers does not end: it polls until each
 * finishes (the budget may then be met) or goes stale (start_trial then
 * marks it failed and queues its params, which this run takes). Telling
 * other workers' trials from this run's own needs both counts at one
 * moment: the ledger lock makes allocating or finishing a trial and
 * counting this run's share one step. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "tune/record.h"
#include "tune/study_internal.h"

/* The heart: what the heartbeat thread shares with the run. It lives on the
 * heap, owned by the run and by the thread, and the last one out frees it.
 * So the run never waits for the thread to be scheduled just to exit (on a
 * busy machine that costs milliseconds per dial_study_optimize call); it
 * waits only for a heartbeat in flight, which touches the study. */
typedef struct heart {
    pthread_mutex_t lock;
    pthread_cond_t changed; /* the run is over, or a heartbeat ended */
    int owners;
    bool over;    /* set by the run: the thread must not touch the study */
    bool beating; /* a heartbeat is being written */
    dial_study *study;
    dial_ctx *ctx;
    double interval;
    int jobs;
    int64_t *running; /* trial id per worker slot, -1 when idle */
    int64_t *ids;
    dial_status status; /* the first failed heartbeat */
    char message[1024];
} heart;

typedef struct run_state {
    dial_study *study;
    dial_objective_fn objective;
    void *user;
    const dial_optimize_options *options;
    int64_t limit;
    int threads_per_trial;
    double deadline; /* monotonic seconds; 0 = none */
    heart *heart;

    pthread_mutex_t ledger; /* allocating, finishing and counting trials */
    int64_t held;           /* trials this run started and has not finished */
    /* Signalled when held falls. With slot_open, a trial of this run may
     * yet be abandoned (its slot's remote worker died), and a worker that
     * finds the budget full waits on this rather than end, to take over
     * the abandoned trial's params. */
    pthread_cond_t released;

    pthread_mutex_t lock; /* guards what follows, and serialises on_trial and on_wait */
    dial_status status;   /* the first storage error of any worker */
    char message[1024];
    bool told_wait; /* on_wait was called */
} run_state;

typedef struct worker {
    run_state *run;
    int slot;
    dial_ctx *ctx;    /* for storage errors; never shared between threads */
    pthread_t thread; /* workers 1 .. jobs-1; worker 0 is the calling thread */
    bool started;
} worker;

static double monotonic_seconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* ---- the heart ---------------------------------------------------------- */

static void heart_free(heart *self) {
    pthread_cond_destroy(&self->changed);
    pthread_mutex_destroy(&self->lock);
    dial_ctx_free(self->ctx);
    free(self->running);
    free(self->ids);
    free(self);
}

static heart *heart_new(dial_ctx *ctx, dial_study *study, int jobs) {
    heart *self = dial_calloc(ctx, 1, sizeof *self);
    if (!self) return NULL;
    self->running = dial_malloc(ctx, (size_t)jobs * sizeof *self->running);
    self->ids = dial_malloc(ctx, (size_t)jobs * sizeof *self->ids);
    self->ctx = dial_ctx_clone(ctx, 1);
    pthread_condattr_t attributes;
    pthread_condattr_init(&attributes);
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
    bool locks = pthread_mutex_init(&self->lock, NULL) == 0;
    bool cond = locks && pthread_cond_init(&self->changed, &attributes) == 0;
    pthread_condattr_destroy(&attributes);
    if (!self->running || !self->ids || !self->ctx || !cond) {
        if (locks) pthread_mutex_destroy(&self->lock);
        dial_ctx_free(self->ctx);
        free(self->running);
        free(self->ids);
        free(self);
        return NULL;
    }
    for (int i = 0; i < jobs; i++) self->running[i] = -1;
    self->owners = 1;
    self->study = study;
    self->jobs = jobs;
    /* Four beats per heartbeat period: a trial is called stale only after
     * several missed beats. */
    self->interval = fmax(study->heartbeat_seconds / 4, 0.001);
    self->status = DIAL_OK;
    return self;
}

/* Gives up one owner's share; called with the lock held, returns unlocked. */
static void heart_release(heart *self) {
    bool last = --self->owners == 0;
    pthread_mutex_unlock(&self->lock);
    if (last) heart_free(self);
}

static void *heart_main(void *p) {
    heart *self = p;
    pthread_mutex_lock(&self->lock);
    while (!self->over) {
        double wake = monotonic_seconds() + self->interval;
        struct timespec until = {(time_t)wake, (long)((wake - (double)(time_t)wake) * 1e9)};
        pthread_cond_timedwait(&self->changed, &self->lock, &until);
        if (self->over) break;
        size_t n = 0;
        for (int i = 0; i < self->jobs; i++)
            if (self->running[i] >= 0) self->ids[n++] = self->running[i];
        if (n == 0) continue;
        self->beating = true;
        pthread_mutex_unlock(&self->lock);
        dial_status status = dial_study_heartbeat(self->ctx, self->study, self->ids, n);
        pthread_mutex_lock(&self->lock);
        self->beating = false;
        if (status != DIAL_OK && self->status == DIAL_OK) {
            self->status = status;
            snprintf(self->message, sizeof self->message, "%s", dial_ctx_error(self->ctx));
        }
        pthread_cond_broadcast(&self->changed);
    }
    heart_release(self);
    return NULL;
}

/* Ends the heart's use of the study: after this the run may return. Copies
 * a heartbeat failure into *status and message when there is no earlier
 * error. */
static void heart_stop(heart *self, dial_status *status, char *message, size_t size) {
    pthread_mutex_lock(&self->lock);
    self->over = true;
    pthread_cond_broadcast(&self->changed);
    while (self->beating) pthread_cond_wait(&self->changed, &self->lock);
    if (*status == DIAL_OK && self->status != DIAL_OK) {
        *status = self->status;
        snprintf(message, size, "%s", self->message);
    }
    heart_release(self);
}

static void set_running(run_state *run, int slot, int64_t trial_id) {
    heart *self = run->heart;
    pthread_mutex_lock(&self->lock);
    self->running[slot] = trial_id;
    pthread_mutex_unlock(&self->lock);
}

/* Takes a slot's trial off the heart and waits out a heartbeat in flight,
 * which may hold its id: after this no beat of this run touches it. */
static void set_idle_and_quiet(run_state *run, int slot) {
    heart *self = run->heart;
    pthread_mutex_lock(&self->lock);
    self->running[slot] = -1;
    while (self->beating) pthread_cond_wait(&self->changed, &self->lock);
    pthread_mutex_unlock(&self->lock);
}

/* ---- the workers -------------------------------------------------------- */

static bool should_stop(run_state *run) {
    if (run->options->stop && *run->options->stop) return true;
    if (run->deadline > 0 && monotonic_seconds() >= run->deadline) return true;
    pthread_mutex_lock(&run->lock);
    bool failed = run->status != DIAL_OK;
    pthread_mutex_unlock(&run->lock);
    pthread_mutex_lock(&run->heart->lock);
    failed = failed || run->heart->status != DIAL_OK;
    pthread_mutex_unlock(&run->heart->lock);
    return failed;
}

static void record_error(run_state *run, dial_ctx *ctx, dial_status status) {
    pthread_mutex_lock(&run->lock);
    if (run->status == DIAL_OK) {
        run->status = status;
        snprintf(run->message, sizeof run->message, "%s", dial_ctx_error(ctx));
    }
    pthread_mutex_unlock(&run->lock);
}

/* Slot `slot` hands its trials to options->evaluate (not one of the last
 * local_jobs slots, which run the objective here). */
static bool slot_is_remote(const run_state *run, int slot) {
    const dial_optimize_options *options = run->options;
    int jobs = options->jobs > 0 ? options->jobs : 1;
    return options->evaluate && slot < jobs - options->local_jobs;
}

/* Runs the objective on one trial, here or where options->evaluate sends
 * it, and decides its outcome. */
static dial_trial_state run_objective(run_state *run, int slot, dial_trial *trial, double *value,
                                      char *message, size_t size) {
    *value = NAN;
    bool pruned = false;
    dial_ctx_clear_error(trial->ctx);
    const dial_optimize_options *options = run->options;
    dial_status status =
        slot_is_remote(run, slot)
            ? options->evaluate(options->evaluate_user, slot, trial, value, &pruned)
            : run->objective(run->user, trial, value, &pruned);
    if (status != DIAL_OK) {
        const char *error = dial_ctx_error(trial->ctx);
        snprintf(message, size, "%s", error[0] ? error : dial_status_name(status));
        return DIAL_TRIAL_FAILED;
    }
    if (pruned) return DIAL_TRIAL_PRUNED;
    if (isnan(*value)) {
        snprintf(message, size, "the objective returned nan");
        return DIAL_TRIAL_FAILED;
    }
    return DIAL_TRIAL_COMPLETE;
}

/* ---- waiting for other workers' trials --------------------------------- */

static dial_status study_counts(dial_ctx *ctx, dial_study *study, int64_t *finished,
                                int64_t *running) {
    pthread_mutex_lock(&study->lock);
    dial_status status =
        study->storage.ops->counts(ctx, study->storage.self, study->study_id, finished, running);
    pthread_mutex_unlock(&study->lock);
    return status;
}

/* Allocates the next trial. When the budget is full, *waiting_for gets the
 * number of trials of other workers that hold it and that this run would
 * otherwise take over (0: the study has its trials, or will once this
 * run's own trials finish), and *own_pending says that this run's own
 * trials may still give their places back (slot_open), after a wait of at
 * most 50 ms for one of them to finish. */
static dial_status start_or_count(run_state *run, dial_ctx *ctx, dial_trial **trial,
                                  int64_t *waiting_for, bool *own_pending) {
    *waiting_for = 0;
    *own_pending = false;
    pthread_mutex_lock(&run->ledger);
    dial_status status =
        dial_study_start_trial(ctx, run->study, run->limit, run->threads_per_trial, trial);
    if (status == DIAL_OK && *trial) {
        run->held++;
    } else if (status == DIAL_OK) {
        int64_t finished = 0, running = 0;
        status = study_counts(ctx, run->study, &finished, &running);
        int64_t others = running - run->held;
        if (status == DIAL_OK && others > 0 && finished + run->held < run->limit)
            *waiting_for = others;
        if (status == DIAL_OK && *waiting_for == 0 && run->held > 0 && run->options->slot_open) {
            *own_pending = true;
            double wake = monotonic_seconds() + 0.05;
            struct timespec until = {(time_t)wake, (long)((wake - (double)(time_t)wake) * 1e9)};
            pthread_cond_timedwait(&run->released, &run->ledger, &until);
        }
    }
    pthread_mutex_unlock(&run->ledger);
    return status;
}

static dial_status finish_trial(run_state *run, dial_ctx *ctx, dial_trial *trial,
                                dial_trial_state state, double value, const char *message) {
    pthread_mutex_lock(&run->ledger);
    dial_status status = dial_study_finish_trial(ctx, run->study, trial, state, value, message);
    run->held--;
    pthread_cond_broadcast(&run->released);
    pthread_mutex_unlock(&run->ledger);
    return status;
}

/* A trial its objective abandoned (dial_trial_abandon): left running with
 * an expired heartbeat rather than finished, so it never counts and its
 * params run again in a later trial. */
static dial_status abandon_trial(run_state *run, dial_ctx *ctx, int slot, dial_trial *trial) {
    set_idle_and_quiet(run, slot);
    pthread_mutex_lock(&run->ledger);
    dial_status status = dial_study_expire_trial(ctx, run->study, trial);
    run->held--;
    pthread_cond_broadcast(&run->released);
    pthread_mutex_unlock(&run->ledger);
    return status;
}

static void tell_waiting(run_state *run, int64_t n_running) {
    pthread_mutex_lock(&run->lock);
    if (!run->told_wait && run->options->on_wait)
        run->options->on_wait(run->options->on_wait_user, run->study, n_running,
                              run->study->heartbeat_seconds);
    run->told_wait = true;
    pthread_mutex_unlock(&run->lock);
}

/* Sleeps a tenth of a heartbeat period (10 ms to 1 s: a trial declared
 * stale is taken over soon after, without a storage write per
 * millisecond), waking early for the stop flag and the timeout. */
static void pause_for_others(run_state *run) {
    double until = monotonic_seconds() + fmin(fmax(run->study->heartbeat_seconds / 10, 0.01), 1.0);
    for (double now = monotonic_seconds(); now < until && !should_stop(run);
         now = monotonic_seconds()) {
        double slice = fmin(until - now, 0.05);
        struct timespec pause = {(time_t)slice, (long)((slice - (double)(time_t)slice) * 1e9)};
        nanosleep(&pause, NULL);
    }
}

static void *worker_main(void *p) {
    worker *self = p;
    run_state *run = self->run;
    char message[1024];
    const dial_optimize_options *options = run->options;
    while (!should_stop(run)) {
        if (slot_is_remote(run, self->slot) && options->slot_open &&
            !options->slot_open(options->evaluate_user, self->slot))
            break; /* its remote worker is gone; the other slots go on */
        dial_trial *trial = NULL;
        int64_t waiting_for = 0;
        bool own_pending = false;
        dial_status status = start_or_count(run, self->ctx, &trial, &waiting_for, &own_pending);
        if (status != DIAL_OK) {
            record_error(run, self->ctx, status);
            break;
        }
        if (!trial && own_pending) continue;   /* waited for this run's trials */
        if (!trial && waiting_for == 0) break; /* the study has its trials */
        if (!trial) {
            tell_waiting(run, waiting_for);
            pause_for_others(run);
            continue;
        }
        set_running(run, self->slot, trial->trial_id);

        double value;
        message[0] = '\0';
        /* Outside the ledger: the proposal may wait for this run's earlier
         * trials, which take the ledger to finish. */
        status = dial_study_propose(self->ctx, run->study, trial);
        if (status != DIAL_OK) {
            record_error(run, self->ctx, status);
            finish_trial(run, self->ctx, trial, DIAL_TRIAL_FAILED, NAN, dial_ctx_error(self->ctx));
            set_running(run, self->slot, -1);
            dial_trial_free(trial);
            break;
        }
        dial_trial_state state =
            run_objective(run, self->slot, trial, &value, message, sizeof message);
        if (trial->abandoned) {
            status = abandon_trial(run, self->ctx, self->slot, trial);
            dial_trial_free(trial);
            if (status != DIAL_OK) {
                record_error(run, self->ctx, status);
                break;
            }
            continue;
        }
        status = finish_trial(run, self->ctx, trial, state, value,
                              state == DIAL_TRIAL_FAILED ? message : NULL);
        set_running(run, self->slot, -1);
        if (status != DIAL_OK) {
            record_error(run, self->ctx, status);
            dial_trial_free(trial);
            break;
        }
        if (run->options->on_trial) {
            pthread_mutex_lock(&run->lock);
            run->options->on_trial(run->options->on_trial_user, run->study, &trial->record);
            pthread_mutex_unlock(&run->lock);
        }
        dial_trial_free(trial);
    }
    return NULL;
}

/* ---- the run ------------------------------------------------------------ */

static dial_status check_options(dial_ctx *ctx, const dial_study *study,
                                 const dial_optimize_options *options) {
    if (!options) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_study_optimize needs options");
    if (options->n_trials < 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "n_trials = %lld is out of range: must be >= 0 (0 = no limit)",
                         (long long)options->n_trials);
    if (!(options->timeout_seconds >= 0))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "timeout = %g s is out of range: must be >= 0 (0 = none)",
                         options->timeout_seconds);
    if (options->jobs < 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "jobs = %d is out of range: must be >= 1 (0 = 1)",
                         options->jobs);
    int jobs = options->jobs > 0 ? options->jobs : 1;
    if (options->local_jobs < 0 || options->local_jobs > jobs)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "local_jobs = %d is out of range: must be 0 .. jobs (%d)",
                         options->local_jobs, jobs);
    if (options->n_trials == 0 && options->timeout_seconds == 0 && !options->stop &&
        study->grid_size == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "n_trials = 0 (no limit) needs a timeout, a stop flag or a grid to end "
                         "the run");
    return DIAL_OK;
}

dial_status dial_study_optimize(dial_ctx *ctx, dial_study *study, dial_objective_fn objective,
                                void *user, const dial_optimize_options *options) {
    if (!objective)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_study_optimize needs an objective");
    dial_status status = check_options(ctx, study, options);
    if (status != DIAL_OK) return status;
    int jobs = options->jobs > 0 ? options->jobs : 1;
    int threads = dial_ctx_threads(ctx) / jobs;

    run_state run = {.study = study,
                     .objective = objective,
                     .user = user,
                     .options = options,
                     .limit = dial_study_trial_limit(study, options->n_trials),
                     .threads_per_trial = threads > 1 ? threads : 1,
                     .deadline = options->timeout_seconds > 0
                                     ? monotonic_seconds() + options->timeout_seconds
                                     : 0,
                     .heart = heart_new(ctx, study, jobs),
                     .status = DIAL_OK};
    worker *workers = dial_calloc(ctx, (size_t)jobs, sizeof *workers);
    bool ready = workers && run.heart && pthread_mutex_init(&run.lock, NULL) == 0;
    bool locked = ready;
    if (locked && pthread_mutex_init(&run.ledger, NULL) != 0) {
        pthread_mutex_destroy(&run.lock);
        ready = locked = false;
    }
    if (locked) {
        pthread_condattr_t attributes; /* timed waits on the monotonic clock */
        pthread_condattr_init(&attributes);
        pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC);
        if (pthread_cond_init(&run.released, &attributes) != 0) {
            pthread_mutex_destroy(&run.ledger);
            pthread_mutex_destroy(&run.lock);
            ready = locked = false;
        }
        pthread_condattr_destroy(&attributes);
    }
    for (int i = 0; ready && i < jobs; i++) {
        workers[i] = (worker){.run = &run, .slot = i, .ctx = dial_ctx_clone(ctx, 1)};
        if (!workers[i].ctx) ready = false;
    }
    if (!ready) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting %d jobs", jobs);
        if (run.heart) heart_free(run.heart);
    } else {
        /* The calling thread is worker 0, so one job starts at once; a job
         * whose thread cannot start is one job fewer, and without the
         * heart thread trials get heartbeats only from their reports. */
        pthread_t heart_thread;
        /* A learning sampler's trial waits for the handle's trials `jobs`
         * below it (study_propose.c): the same seed and jobs then give the
         * same trials. */
        pthread_mutex_lock(&study->lock);
        study->window = jobs;
        study->wait_for_window = true;
        pthread_mutex_unlock(&study->lock);
        run.heart->owners = 2;
        if (pthread_create(&heart_thread, NULL, heart_main, run.heart) == 0) {
            pthread_detach(heart_thread);
        } else {
            run.heart->owners = 1;
            dial_log(ctx, DIAL_LOG_WARN,
                     "study '%s': cannot start the heartbeat thread; a trial longer than %g s "
                     "without reports may be taken for dead by other workers",
                     dial_study_name(study), study->heartbeat_seconds);
        }
        for (int i = 1; i < jobs; i++)
            workers[i].started =
                pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) == 0;
        worker_main(&workers[0]);
        for (int i = 1; i < jobs; i++)
            if (workers[i].started) pthread_join(workers[i].thread, NULL);
        pthread_mutex_lock(&study->lock);
        study->window = 1;
        study->wait_for_window = false;
        pthread_mutex_unlock(&study->lock);
        heart_stop(run.heart, &run.status, run.message, sizeof run.message);
        if (run.status != DIAL_OK) status = dial_fail(ctx, run.status, "%s", run.message);
    }
    for (int i = 0; workers && i < jobs; i++) dial_ctx_free(workers[i].ctx);
    free(workers);
    if (locked) {
        pthread_cond_destroy(&run.released);
        pthread_mutex_destroy(&run.ledger);
        pthread_mutex_destroy(&run.lock);
    }
    return status;
}

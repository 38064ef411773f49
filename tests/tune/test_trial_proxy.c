/* Trials evaluated in another process (docs/mpi.md), without MPI: an
 * evaluate hook (dial_optimize_options.evaluate) that runs the objective on
 * a proxy trial whose ops call the real trial directly, the in-process
 * stand-in for rank 0 and an evaluating rank. The trials, their values,
 * intermediate values and pruning verdicts are those of the objective run
 * on the real trials with the same jobs; the proxy's context has the real
 * trial's seed; a proxy asks the real trial once per parameter. */
#include "test_support.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/tune.h"

typedef test_study_folder fixture;
#define setup test_study_folder_setup
#define teardown test_study_folder_teardown

#define N_TRIALS 24
#define JOBS 3

static const char *const space_json =
    "{\"x\": \"float:-5..5\", \"n\": \"int:1..9\", \"c\": [\"a\", \"b\", \"c\"]}";

/* Suggests the space twice (the second time from the trial's record),
 * reports two steps, asks the pruner between them, and adds a draw of the
 * trial's own context, so a proxy with another seed would show. */
static dial_status objective(void *p, dial_trial *trial, double *value, bool *pruned) {
    const dial_space *space = p;
    dial_status status = dial_trial_suggest_space(trial, space);
    if (status == DIAL_OK) status = dial_trial_suggest_space(trial, space);
    if (status != DIAL_OK) return status;
    const dial_trial_record *record = dial_trial_get_record(trial);
    double x = record->param_values[0], n = record->param_values[1];
    status = dial_trial_report(trial, 0, x * x);
    if (status != DIAL_OK) return status;
    if (dial_trial_should_prune(trial)) {
        *pruned = true;
        return DIAL_OK;
    }
    status = dial_trial_report(trial, 1, x * x + n);
    dial_rng rng = dial_rng_stream(dial_ctx_seed(dial_trial_ctx(trial)), 1);
    *value = x * x + n + (double)(dial_rng_next(&rng) % 1000) * 1e-6;
    return status;
}

/* The ops of the stand-in: each call goes straight to the real trial, as
 * rank 0 answers a message; `calls` counts the suggestions asked. */
typedef struct stand_in {
    dial_trial *real;
    int suggestions;
} stand_in;

static dial_status direct_suggest(void *p, dial_ctx *ctx, const dial_param *param, double *value) {
    stand_in *self = p;
    self->suggestions++;
    dial_status status = dial_trial_suggest(self->real, param, value);
    if (status != DIAL_OK) dial_fail(ctx, status, "%s", dial_ctx_error(dial_trial_ctx(self->real)));
    return status;
}
static dial_status direct_report(void *p, dial_ctx *ctx, int64_t step, double value) {
    return dial_trial_report(((stand_in *)p)->real, step, value);
}
static dial_status direct_report_path(void *p, dial_ctx *ctx, const int64_t *steps,
                                      const double *values, size_t n) {
    return dial_trial_report_path(((stand_in *)p)->real, steps, values, n);
}
static bool direct_should_prune(void *p) { return dial_trial_should_prune(((stand_in *)p)->real); }
static size_t direct_rungs(void *p, int64_t max_resource, int64_t *rungs, size_t capacity) {
    return dial_trial_prune_rungs(((stand_in *)p)->real, max_resource, rungs, capacity);
}
static const dial_trial_proxy_ops direct_ops = {direct_suggest, direct_report, direct_report_path,
                                                direct_should_prune, direct_rungs};

/* The objective as the run calls it here (not through evaluate): counts
 * its trials. */
typedef struct counted_here {
    const dial_space *space;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* evaluated grew */
    int evaluated;
} counted_here;

static dial_status counted_objective(void *p, dial_trial *trial, double *value, bool *pruned) {
    counted_here *self = p;
    pthread_mutex_lock(&self->lock);
    self->evaluated++;
    pthread_cond_broadcast(&self->changed);
    pthread_mutex_unlock(&self->lock);
    return objective((void *)self->space, trial, value, pruned);
}

typedef struct elsewhere {
    const dial_space *space;
    dial_ctx *ctx;
    int local_jobs; /* the last slots, which must not come here */
    pthread_mutex_t lock;
    int evaluated; /* trials evaluated here */
    /* With local_jobs: the local objective's count. Each trial here waits
     * until a local slot has run one, so the local slots get trials
     * however the threads are scheduled. */
    counted_here *local;
} elsewhere;

static dial_status evaluate_elsewhere(void *p, int slot, dial_trial *trial, double *value,
                                      bool *pruned) {
    elsewhere *self = p;
    assert_true(slot >= 0 && slot < JOBS - self->local_jobs);
    pthread_mutex_lock(&self->lock);
    self->evaluated++;
    pthread_mutex_unlock(&self->lock);
    if (self->local_jobs > 0) {
        pthread_mutex_lock(&self->local->lock);
        while (self->local->evaluated == 0)
            pthread_cond_wait(&self->local->changed, &self->local->lock);
        pthread_mutex_unlock(&self->local->lock);
    }
    stand_in link = {trial, 0};
    dial_trial *proxy = NULL;
    dial_ctx *ctx = dial_ctx_clone(self->ctx, 1);
    assert_dial_ok(ctx, dial_trial_proxy_create(ctx, dial_trial_number(trial),
                                                dial_ctx_seed(dial_trial_ctx(trial)), 1,
                                                &direct_ops, &link, &proxy));
    assert_int_equal(dial_trial_number(proxy), dial_trial_number(trial));
    dial_status status = objective((void *)self->space, proxy, value, pruned);
    if (status != DIAL_OK) dial_fail(dial_trial_ctx(trial), status, "%s", dial_ctx_error(ctx));
    /* Asked twice, each parameter went to the real trial once. */
    assert_int_equal(link.suggestions, 3);
    const dial_trial_record *mine = dial_trial_get_record(proxy);
    const dial_trial_record *real = dial_trial_get_record(trial);
    assert_int_equal(mine->n_params, real->n_params);
    for (size_t i = 0; i < mine->n_params; i++) {
        assert_string_equal(mine->param_names[i], real->param_names[i]);
        assert_string_equal(mine->param_texts[i], real->param_texts[i]);
    }
    dial_trial_proxy_free(proxy);
    dial_ctx_free(ctx);
    return status;
}

/* Runs N_TRIALS (here, or through the stand-in but for the last
 * local_jobs slots) and returns every trial as a line of text: number,
 * state, value, params and intermediate values. *remote_trials and
 * *local_trials (may be NULL) get how many trials ran each way. */
static char *run_counted(dial_ctx *ctx, dial_sampler_kind kind, const char *pruner, bool remote,
                         int local_jobs, int *remote_trials, int *local_trials) {
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_add_typed_json(ctx, &space, space_json, "space"));
    dial_study_options study_options = {.name = "proxy",
                                        .direction = DIAL_MINIMIZE,
                                        .sampler = kind,
                                        .space = &space,
                                        .seed = 5,
                                        .startup_trials = 6,
                                        .pruner = pruner};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &study_options, &study));
    counted_here local = {&space, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0};
    elsewhere there = {&space, ctx, local_jobs, PTHREAD_MUTEX_INITIALIZER, 0, &local};
    dial_optimize_options options = {.n_trials = N_TRIALS,
                                     .jobs = JOBS,
                                     .evaluate = remote ? evaluate_elsewhere : NULL,
                                     .evaluate_user = &there,
                                     .local_jobs = local_jobs};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, counted_objective, &local, &options));
    if (remote_trials) *remote_trials = there.evaluated;
    if (local_trials) *local_trials = local.evaluated;
    dial_trial_list list = {0};
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, N_TRIALS);
    size_t size = 64 * 1024;
    char *text = calloc(1, size);
    for (size_t i = 0; i < list.count; i++) {
        const dial_trial_record *r = &list.items[i];
        snprintf(text + strlen(text), size - strlen(text), "%lld %s %.17g", (long long)r->number,
                 dial_trial_state_name(r->state), r->value);
        for (size_t k = 0; k < r->n_params; k++)
            snprintf(text + strlen(text), size - strlen(text), " %s=%s", r->param_names[k],
                     r->param_texts[k]);
        for (size_t k = 0; k < r->n_intermediate; k++)
            snprintf(text + strlen(text), size - strlen(text), " @%lld:%.17g",
                     (long long)r->intermediate_steps[k], r->intermediate_values[k]);
        strcat(text, "\n");
    }
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_space_free(&space);
    return text;
}

static char *run(dial_ctx *ctx, dial_sampler_kind kind, const char *pruner, bool remote) {
    return run_counted(ctx, kind, pruner, remote, 0, NULL, NULL);
}

static void same_trials(dial_ctx *ctx, dial_sampler_kind kind, const char *pruner) {
    char *here = run(ctx, kind, pruner, false);
    char *there = run(ctx, kind, pruner, true);
    assert_string_equal(there, here);
    free(here);
    free(there);
}

static void test_random_gives_the_trials_of_local_jobs(void **state) {
    fixture *f = *state;
    same_trials(f->ctx, DIAL_SAMPLER_RANDOM, NULL);
}

static void test_tpe_gives_the_trials_of_local_jobs(void **state) {
    fixture *f = *state;
    same_trials(f->ctx, DIAL_SAMPLER_TPE, NULL);
}

/* local_jobs 1 (`--mpi`'s rank 0 evaluating too): the last slot runs the
 * objective here, the others hand their trials to evaluate (which fails
 * the test if the last slot calls it), every trial ran one way or the
 * other, and the trials are those of JOBS local workers with the same
 * seed. */
static void same_trials_with_a_local_slot(dial_ctx *ctx, dial_sampler_kind kind,
                                          const char *pruner) {
    char *here = run(ctx, kind, pruner, false);
    int remote_trials = 0, local_trials = 0;
    char *mixed = run_counted(ctx, kind, pruner, true, 1, &remote_trials, &local_trials);
    assert_string_equal(mixed, here);
    assert_int_equal(remote_trials + local_trials, N_TRIALS);
    assert_true(local_trials > 0);
    free(here);
    free(mixed);
}

static void test_the_last_slot_runs_here_with_local_jobs(void **state) {
    fixture *f = *state;
    same_trials_with_a_local_slot(f->ctx, DIAL_SAMPLER_RANDOM, NULL);
    same_trials_with_a_local_slot(f->ctx, DIAL_SAMPLER_TPE, "median");
}

/* Every slot local (`mpirun -np 1 ... --mpi`): evaluate is never called. */
static void test_local_jobs_equal_to_jobs_never_evaluates_elsewhere(void **state) {
    fixture *f = *state;
    int remote_trials = -1, local_trials = 0;
    char *all_here =
        run_counted(f->ctx, DIAL_SAMPLER_RANDOM, NULL, true, JOBS, &remote_trials, &local_trials);
    char *here = run(f->ctx, DIAL_SAMPLER_RANDOM, NULL, false);
    assert_string_equal(all_here, here);
    assert_int_equal(remote_trials, 0);
    assert_int_equal(local_trials, N_TRIALS);
    free(all_here);
    free(here);
}

static void test_local_jobs_beyond_jobs_is_refused(void **state) {
    fixture *f = *state;
    dial_study_options study_options = {.name = "refused", .direction = DIAL_MINIMIZE, .seed = 1};
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, dial_study_open(f->ctx, &study_options, &study));
    dial_optimize_options options = {.n_trials = 2, .jobs = 2, .local_jobs = 3};
    assert_int_equal(dial_study_optimize(f->ctx, study, objective, NULL, &options),
                     DIAL_ERR_ARGUMENT);
    assert_string_equal(dial_ctx_error(f->ctx), "local_jobs = 3 is out of range: must be 0 .. "
                                                "jobs (2)");
    dial_study_free(study);
}

/* The pruner's verdicts reach the proxy: some trials are pruned, the same
 * as here. */
static void test_a_pruner_judges_the_proxies_as_local_trials(void **state) {
    fixture *f = *state;
    char *there = run(f->ctx, DIAL_SAMPLER_RANDOM, "median", true);
    assert_non_null(strstr(there, " pruned "));
    free(there);
    same_trials(f->ctx, DIAL_SAMPLER_RANDOM, "median");
}

/* A remote worker that dies mid-trial (`--mpi`: a rank killed): its slot
 * abandons the trial and closes (slot_open), the other slots go on, and
 * the run still ends with N_TRIALS complete trials; the abandoned trial
 * is failed (stale) and its params ran again in exactly one of them. Slot
 * 1 dies in its first trial, and only once the other slots have run every
 * other trial: they find the budget full then, and must wait for this
 * run's last trial rather than end. They start only once slot 1 has its
 * trial, so that it gets one however the threads are scheduled. */
typedef struct dying {
    elsewhere there;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    bool slot_1_started, slot_1_dead;
    int evaluated_by_others;
    int calls_after_death;
} dying;

static dial_status evaluate_or_die(void *p, int slot, dial_trial *trial, double *value,
                                   bool *pruned) {
    dying *self = p;
    pthread_mutex_lock(&self->lock);
    if (slot == 1 && self->slot_1_dead) self->calls_after_death++;
    if (slot == 1 && !self->slot_1_started) {
        self->slot_1_started = true;
        pthread_cond_broadcast(&self->changed);
        while (self->evaluated_by_others < N_TRIALS - 1)
            pthread_cond_wait(&self->changed, &self->lock);
        pthread_mutex_unlock(&self->lock);
        assert_dial_ok(dial_trial_ctx(trial),
                       dial_trial_suggest_space(trial, self->there.space)); /* mid-trial */
        dial_trial_abandon(trial);
        pthread_mutex_lock(&self->lock);
        self->slot_1_dead = true;
        pthread_mutex_unlock(&self->lock);
        return dial_fail(dial_trial_ctx(trial), DIAL_ERR_IO, "rank 2 stopped answering");
    }
    while (!self->slot_1_started) pthread_cond_wait(&self->changed, &self->lock);
    pthread_mutex_unlock(&self->lock);
    dial_status status = evaluate_elsewhere(&self->there, slot, trial, value, pruned);
    pthread_mutex_lock(&self->lock);
    self->evaluated_by_others++;
    pthread_cond_broadcast(&self->changed);
    pthread_mutex_unlock(&self->lock);
    return status;
}

static bool slot_alive(void *p, int slot) {
    dying *self = p;
    pthread_mutex_lock(&self->lock);
    bool alive = !(slot == 1 && self->slot_1_dead);
    pthread_mutex_unlock(&self->lock);
    return alive;
}

static void test_a_closed_slot_leaves_its_trial_to_the_others(void **state) {
    fixture *f = *state;
    dial_space space = {0};
    assert_dial_ok(f->ctx, dial_space_add_typed_json(f->ctx, &space, space_json, "space"));
    dial_study_options study_options = {.name = "dying",
                                        .direction = DIAL_MINIMIZE,
                                        .sampler = DIAL_SAMPLER_RANDOM,
                                        .space = &space,
                                        .seed = 5};
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, dial_study_open(f->ctx, &study_options, &study));
    dying self = {.there = {&space, f->ctx, 0, PTHREAD_MUTEX_INITIALIZER, 0, NULL}};
    pthread_mutex_init(&self.lock, NULL);
    pthread_cond_init(&self.changed, NULL);
    dial_optimize_options options = {.n_trials = N_TRIALS,
                                     .jobs = JOBS,
                                     .evaluate = evaluate_or_die,
                                     .evaluate_user = &self,
                                     .slot_open = slot_alive};
    assert_dial_ok(f->ctx, dial_study_optimize(f->ctx, study, objective, &space, &options));
    assert_true(self.slot_1_dead);
    assert_int_equal(self.calls_after_death, 0);
    dial_trial_list list = {0};
    assert_dial_ok(f->ctx, dial_study_trials(f->ctx, study, &list));
    size_t complete = 0, failed = 0;
    const dial_trial_record *lost = NULL;
    for (size_t i = 0; i < list.count; i++) {
        complete += list.items[i].state == DIAL_TRIAL_COMPLETE;
        if (list.items[i].state == DIAL_TRIAL_FAILED) {
            failed++;
            lost = &list.items[i];
        }
    }
    assert_int_equal(complete, N_TRIALS);
    assert_int_equal(failed, 1);
    int again = 0;
    for (size_t i = 0; i < list.count; i++) {
        const dial_trial_record *r = &list.items[i];
        bool same = r->state == DIAL_TRIAL_COMPLETE && r->n_params == lost->n_params;
        for (size_t k = 0; same && k < r->n_params; k++)
            same = strcmp(r->param_texts[k], lost->param_texts[k]) == 0;
        again += same;
    }
    assert_int_equal(again, 1);
    pthread_cond_destroy(&self.changed);
    pthread_mutex_destroy(&self.lock);
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_space_free(&space);
}

static void test_a_proxy_needs_every_op(void **state) {
    fixture *f = *state;
    dial_trial_proxy_ops partial = direct_ops;
    partial.prune_rungs = NULL;
    dial_trial *proxy = NULL;
    assert_int_equal(dial_trial_proxy_create(f->ctx, 3, 1, 1, &partial, NULL, &proxy),
                     DIAL_ERR_ARGUMENT);
    assert_null(proxy);
    assert_string_equal(dial_ctx_error(f->ctx), "dial_trial_proxy_create needs every op");
    dial_trial_proxy_free(NULL);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_random_gives_the_trials_of_local_jobs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_tpe_gives_the_trials_of_local_jobs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_pruner_judges_the_proxies_as_local_trials, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_closed_slot_leaves_its_trial_to_the_others, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_the_last_slot_runs_here_with_local_jobs, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_local_jobs_equal_to_jobs_never_evaluates_elsewhere,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_local_jobs_beyond_jobs_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_proxy_needs_every_op, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

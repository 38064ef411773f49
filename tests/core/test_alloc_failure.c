/* Every allocation the library makes can fail, and a failure is always a
 * clean DIAL_ERR_NOMEM: with an allocation hook that refuses exactly the
 * n-th allocation (counted from when it is set), a whole run (read a CSV,
 * fit, predict, save, load and predict again; then a short tune) is
 * repeated for every n from 1 to the number of allocations the run makes
 * (up to 2,000, then 2,000 values spread over the rest). Each run must end
 * with DIAL_ERR_NOMEM and an "out of memory" message, or, when the refused
 * allocation was one the library can do without (giving back memory a
 * buffer over-reserved), with exactly the result of a run where nothing
 * failed. The ASan build (build-asan, `make sanitize`) checks that no run
 * leaks or crashes. One thread, so the n-th allocation is the same one on
 * every run. The tunes reach the tuner's own allocations: a short tune in
 * memory and into a new SQLite study file (the storages, the trial
 * records), and grid tunes whose trials share prepared folds along a path
 * (gbdt) and a warm ladder (svm). */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Runs every n up to this, then this many values of n over the rest. */
#define EVERY_N_UP_TO 2000
#define SPREAD_OVER_THE_REST 2000

typedef struct failing_hook {
    long count;   /* allocations asked for since the run began */
    long fail_at; /* the one to refuse, 1-based; 0 refuses none */
} failing_hook;

static bool refuse_nth(void *user, size_t size) {
    (void)size;
    failing_hook *hook = user;
    return ++hook->count != hook->fail_at;
}

/* One run of what is tested: a status and, when it succeeds, a digest of
 * everything it computed, to compare with a run where nothing failed. */
typedef dial_status (*run_fn)(dial_ctx *ctx, void *arg, double *digest);

/* Why a run that succeeded despite a refusal is still right: its digest is
 * the undisturbed run's, or (tune) it says where the memory ran out. */
typedef bool (*success_ok_fn)(void *arg, double digest, double expected);

static double digest_of(const double *values, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum = sum * 1.000001 + values[i];
    return sum;
}

/* ---- read, fit, predict, save, load ---------------------------------------- */

typedef struct model_run {
    const char *family;
    const char *const *settings; /* knob assignments, NULL-terminated */
    const char *model_path;      /* where the model is saved and loaded from */
} model_run;

static dial_status predict_digest(dial_ctx *ctx, const dial_model *model, const dial_view *rows,
                                  double *digest) {
    size_t n_classes = dial_model_n_classes(model);
    double *value = calloc(rows->n, sizeof *value);
    double *proba = calloc(rows->n * (n_classes ? n_classes : 1), sizeof *proba);
    assert_non_null(value);
    assert_non_null(proba);
    dial_status status = dial_model_predict(ctx, model, rows, value, n_classes ? proba : NULL);
    if (status == DIAL_OK)
        *digest = *digest * 3 + digest_of(value, rows->n) + digest_of(proba, rows->n * n_classes);
    free(value);
    free(proba);
    return status;
}

static dial_status fit_predict_save_load(dial_ctx *ctx, void *arg, double *digest) {
    const model_run *run = arg;
    dial_table *table = NULL;
    dial_dataset *data = NULL, *bound = NULL;
    dial_model *model = NULL, *loaded = NULL;
    dial_knobs knobs = {0};
    const dial_model_family *family = NULL;
    *digest = 0;
    dial_status status = dial_table_read(ctx, "data/iris.csv", NULL, &table);
    if (status == DIAL_OK)
        status = dial_dataset_from_table(ctx, table, "species", DIAL_TASK_AUTO, &data);
    if (status == DIAL_OK) status = dial_model_family_lookup(ctx, run->family, &family);
    if (status == DIAL_OK) status = dial_model_knobs_init(ctx, family, &knobs);
    for (size_t i = 0; status == DIAL_OK && run->settings && run->settings[i]; i++)
        status = dial_knobs_set_assignment(ctx, &knobs, run->settings[i]);
    dial_view all = {0};
    if (status == DIAL_OK) {
        all = dial_view_all(data);
        status = dial_model_fit(ctx, family, &knobs, &all, &model);
    }
    if (status == DIAL_OK) status = predict_digest(ctx, model, &all, digest);
    if (status == DIAL_OK) status = dial_model_save(ctx, model, run->model_path);
    if (status == DIAL_OK) status = dial_model_load(ctx, run->model_path, &loaded);
    if (status == DIAL_OK) status = dial_model_bind(ctx, loaded, table, &bound);
    if (status == DIAL_OK) {
        dial_view rows = dial_view_all(bound);
        status = predict_digest(ctx, loaded, &rows, digest);
    }
    dial_dataset_free(bound);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    return status;
}

static bool same_digest(void *arg, double digest, double expected) {
    (void)arg;
    return digest == expected;
}

/* ---- a short tune ------------------------------------------------------------ */

typedef struct tune_run {
    const char *family;
    const char *space_item; /* one searched knob, "name=low..high" */
    const char *storage;    /* a SQLite study file, made anew by every run; NULL: in memory */
    dial_sampler_kind sampler;
    int64_t n_trials;         /* 0: 3 */
    char failed_message[256]; /* the failed trial's message of the last run, if any */
} tune_run;

/* Removes a SQLite study file and the files SQLite keeps beside it, so
 * that the next run creates the study rather than resumes it. */
static void remove_study_file(const char *path) {
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        char name[512];
        snprintf(name, sizeof name, "%s%s", path, suffixes[i]);
        unlink(name);
    }
}

static dial_status short_tune(dial_ctx *ctx, void *arg, double *digest) {
    tune_run *run = arg;
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    dial_knobs knobs = {0};
    dial_space space = {0};
    const dial_model_family *family = NULL;
    *digest = 0;
    run->failed_message[0] = '\0';
    if (run->storage) remove_study_file(run->storage);
    dial_status status = dial_table_read(ctx, "data/iris.csv", NULL, &table);
    if (status == DIAL_OK)
        status = dial_dataset_from_table(ctx, table, "species", DIAL_TASK_AUTO, &data);
    if (status == DIAL_OK) status = dial_model_family_lookup(ctx, run->family, &family);
    if (status == DIAL_OK) status = dial_model_knobs_init(ctx, family, &knobs);
    if (status == DIAL_OK) status = dial_space_set(ctx, &space, &knobs, run->space_item);
    if (status == DIAL_OK) {
        dial_tune_setup setup = {.family = family,
                                 .knobs = &knobs,
                                 .space = &space,
                                 .metric = DIAL_METRIC_ACCURACY,
                                 .folds = 3,
                                 .repeats = 1,
                                 .seed = 7};
        dial_tune_options options = {
            .storage = run->storage,
            .sampler = run->sampler,
            .optimize = {.n_trials = run->n_trials ? run->n_trials : 3, .jobs = 1},
            .refit = true};
        dial_tune_result result;
        status = dial_tune_model(ctx, &setup, data, &options, &result);
        if (status == DIAL_OK) {
            *digest =
                result.best.value * 1000 + (double)result.n_complete * 10 + (double)result.n_failed;
            for (size_t i = 0; i < result.trials.count; i++) {
                const dial_trial_record *trial = &result.trials.items[i];
                if (trial->state == DIAL_TRIAL_FAILED && trial->message)
                    snprintf(run->failed_message, sizeof run->failed_message, "%s", trial->message);
            }
            dial_tune_result_free(&result);
        }
    }
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    return status;
}

/* A trial that runs out of memory fails (the search goes on without it), so
 * a tune may succeed with a failed trial: its message must say why. */
static bool same_or_failed_trial_out_of_memory(void *arg, double digest, double expected) {
    const tune_run *run = arg;
    return digest == expected || strstr(run->failed_message, "out of memory") != NULL;
}

/* ---- the sweep ------------------------------------------------------------------ */

/* Runs run once undisturbed to count its allocations, then once per n
 * refusing the n-th; returns the count. */
static long sweep(run_fn run, success_ok_fn success_ok, void *arg, const char *what) {
    dial_ctx *ctx = test_ctx();
    failing_hook hook = {0};
    dial_ctx_set_alloc_hook(ctx, refuse_nth, &hook);
    double expected = 0;
    assert_dial_ok(ctx, run(ctx, arg, &expected));
    long total = hook.count;
    if (total < 50) fail_msg("%s made only %ld allocations through the hook", what, total);
    long n_runs = total <= EVERY_N_UP_TO ? total : EVERY_N_UP_TO + SPREAD_OVER_THE_REST;
    for (long i = 1; i <= n_runs; i++) {
        long n = i <= EVERY_N_UP_TO ? i
                                    : EVERY_N_UP_TO + (long)ceil((double)(i - EVERY_N_UP_TO) *
                                                                 (double)(total - EVERY_N_UP_TO) /
                                                                 SPREAD_OVER_THE_REST);
        hook = (failing_hook){.fail_at = n};
        dial_ctx_clear_error(ctx);
        double digest = 0;
        dial_status status = run(ctx, arg, &digest);
        if (hook.count < n)
            fail_msg("%s: allocation %ld of %ld was never asked for (the run is not the same "
                     "each time)",
                     what, n, total);
        if (status == DIAL_OK) {
            if (!success_ok(arg, digest, expected))
                fail_msg("%s: allocation %ld of %ld refused, yet the run succeeded with another "
                         "result",
                         what, n, total);
            continue;
        }
        /* A tune whose every trial failed says so with the first failure. */
        bool nomem = status == DIAL_ERR_NOMEM || status == DIAL_ERR_DATA;
        if (!nomem || !strstr(dial_ctx_error(ctx), "out of memory"))
            fail_msg("%s: allocation %ld of %ld refused: %s: \"%s\", not out of memory", what, n,
                     total, dial_status_name(status), dial_ctx_error(ctx));
        if (status == DIAL_ERR_DATA && run == fit_predict_save_load)
            fail_msg("%s: allocation %ld of %ld refused: data error \"%s\"", what, n, total,
                     dial_ctx_error(ctx));
    }
    print_message("%s: %ld allocations, %ld runs\n", what, total, n_runs);
    dial_ctx_free(ctx);
    return total;
}

static void sweep_model(const char *family, const char *const *settings) {
    char *path = test_write_temp("", 0, ".dial");
    model_run run = {family, settings, path};
    char what[64];
    snprintf(what, sizeof what, "%s: fit, predict, save, load", family);
    sweep(fit_predict_save_load, same_digest, &run, what);
    unlink(path);
    free(path);
}

static void test_every_allocation_of_a_logistic_fit_save_and_load_can_fail(void **state) {
    sweep_model("logistic", NULL);
}

static void test_every_allocation_of_a_tree_fit_save_and_load_can_fail(void **state) {
    static const char *const settings[] = {"max_depth=4", NULL};
    sweep_model("tree", settings);
}

static void test_every_allocation_of_a_short_tune_can_fail(void **state) {
    tune_run run = {.family = "tree", .space_item = "max_depth=1..6"};
    sweep(short_tune, same_or_failed_trial_out_of_memory, &run, "tree: a short tune");
}

/* gbdt's trials along n_estimators share one boosting run per fold (a
 * path chain of the prepared folds), in the grid's order. */
static void test_every_allocation_of_a_grid_tune_along_a_path_can_fail(void **state) {
    tune_run run = {.family = "gbdt",
                    .space_item = "n_estimators=1..4",
                    .sampler = DIAL_SAMPLER_GRID,
                    .n_trials = 4};
    sweep(short_tune, same_or_failed_trial_out_of_memory, &run,
          "gbdt: a grid tune along n_estimators");
}

/* svm's trials along C start each solve from the one below (a warm
 * ladder of the prepared folds). */
static void test_every_allocation_of_a_grid_tune_along_a_warm_ladder_can_fail(void **state) {
    tune_run run = {
        .family = "svm", .space_item = "C=0.1,1,10", .sampler = DIAL_SAMPLER_GRID, .n_trials = 3};
    sweep(short_tune, same_or_failed_trial_out_of_memory, &run, "svm: a grid tune along C");
}

/* The short tune of tree into a SQLite study: opening the file, starting,
 * reading and finishing trials in it allocate as well. */
static void test_every_allocation_of_a_short_tune_into_a_sqlite_study_can_fail(void **state) {
    /* In memory where the system has a place for it: a thousand studies
     * created on disk wait on the disk for a minute. */
    char dir[64];
    snprintf(dir, sizeof dir, "%s/dial-alloc-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (!mkdtemp(dir)) fail_msg("cannot create a temporary directory in %s", dir);
    char path[sizeof dir + 16];
    snprintf(path, sizeof path, "%s/study.db", dir);
    tune_run run = {.family = "tree", .space_item = "max_depth=1..6", .storage = path};
    sweep(short_tune, same_or_failed_trial_out_of_memory, &run,
          "tree: a short tune into a SQLite study");
    remove_study_file(path);
    rmdir(dir);
}

static void test_every_allocation_of_a_forest_fit_save_and_load_can_fail(void **state) {
    static const char *const settings[] = {"n_estimators=4", "max_depth=3", NULL};
    sweep_model("forest", settings);
}

static void test_every_allocation_of_a_gbdt_fit_save_and_load_can_fail(void **state) {
    static const char *const settings[] = {"n_estimators=3", "max_depth=2", NULL};
    sweep_model("gbdt", settings);
}

static void test_every_allocation_of_a_knn_fit_save_and_load_can_fail(void **state) {
    sweep_model("knn", NULL);
}

static void test_every_allocation_of_a_naive_bayes_fit_save_and_load_can_fail(void **state) {
    sweep_model("naive_bayes", NULL);
}

static void test_every_allocation_of_an_mlp_fit_save_and_load_can_fail(void **state) {
    static const char *const settings[] = {"hidden=4", "epochs=3", NULL};
    sweep_model("mlp", settings);
}

static void test_every_allocation_of_an_svm_fit_save_and_load_can_fail(void **state) {
    static const char *const settings[] = {"probability=true", NULL};
    sweep_model("svm", settings);
}

/* ---- the tuner's own allocations ask the hook -------------------------------------- */

/* A study with one running trial that reported a step, in memory or in a
 * SQLite file, on ctx whose hook is hook. */
static dial_study *study_with_a_trial(dial_ctx *ctx, const char *storage, dial_trial **trial) {
    dial_study_options options = {.storage = storage, .sampler = DIAL_SAMPLER_RANDOM, .seed = 3};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    assert_dial_ok(ctx, dial_study_ask(ctx, study, 0, trial));
    double x = 0;
    assert_dial_ok(ctx, dial_trial_suggest_float(*trial, "x", 0, 1, DIAL_LINEAR, &x));
    assert_dial_ok(ctx, dial_trial_report(*trial, 0, x));
    return study;
}

static void test_recording_a_trial_step_asks_the_hook(void **state) {
    dial_ctx *ctx = test_ctx();
    failing_hook hook = {0};
    dial_ctx_set_alloc_hook(ctx, refuse_nth, &hook);
    dial_trial *trial = NULL;
    dial_study *study = study_with_a_trial(ctx, NULL, &trial);
    /* the fifth step outgrows the record's first four */
    for (int64_t step = 1; step < 4; step++) assert_dial_ok(ctx, dial_trial_report(trial, step, 1));
    hook.fail_at = hook.count + 1;
    /* the trial's own context (a clone, sharing the hook) has the message */
    assert_dial_error(dial_trial_ctx(trial), dial_trial_report(trial, 4, 1), DIAL_ERR_NOMEM,
                      "out of memory recording step 4");
    assert_dial_ok(ctx, dial_trial_report(trial, 4, 1));
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, 1));
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_reading_an_in_memory_study_asks_the_hook(void **state) {
    dial_ctx *ctx = test_ctx();
    failing_hook hook = {0};
    dial_ctx_set_alloc_hook(ctx, refuse_nth, &hook);
    dial_trial *trial = NULL;
    dial_study *study = study_with_a_trial(ctx, NULL, &trial);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, 1));
    dial_trial_list list = {0};
    hook.fail_at = hook.count + 1;
    assert_dial_error(ctx, dial_study_trials(ctx, study, &list), DIAL_ERR_NOMEM,
                      "out of memory in the in-memory study storage");
    assert_int_equal(list.count, 0);
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, 1);
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_reading_a_sqlite_study_asks_the_hook(void **state) {
    char *path = test_write_temp("", 0, ".db");
    unlink(path); /* the storage creates it */
    dial_ctx *ctx = test_ctx();
    failing_hook hook = {0};
    dial_ctx_set_alloc_hook(ctx, refuse_nth, &hook);
    dial_trial *trial = NULL;
    dial_study *study = study_with_a_trial(ctx, path, &trial);
    assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, 1));
    dial_trial_list list = {0};
    hook.fail_at = hook.count + 1;
    assert_dial_error(ctx, dial_study_trials(ctx, study, &list), DIAL_ERR_NOMEM,
                      "out of memory reading a study");
    assert_int_equal(list.count, 0);
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, 1);
    dial_trial_list_free(&list);
    dial_study_free(study);
    dial_ctx_free(ctx);
    remove_study_file(path);
    free(path);
}

static void test_copying_a_search_space_asks_the_hook(void **state) {
    dial_ctx *ctx = test_ctx();
    const dial_model_family *family = NULL;
    dial_knobs knobs = {0};
    dial_space space = {0}, copy = {0};
    assert_dial_ok(ctx, dial_model_family_lookup(ctx, "tree", &family));
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, family, &knobs));
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "max_depth=1..6"));
    failing_hook hook = {.fail_at = 1};
    dial_ctx_set_alloc_hook(ctx, refuse_nth, &hook);
    assert_dial_error(ctx, dial_space_copy(ctx, &space, &copy), DIAL_ERR_NOMEM,
                      "out of memory copying a search space");
    assert_int_equal(copy.n, 0);
    assert_dial_ok(ctx, dial_space_copy(ctx, &space, &copy));
    assert_int_equal(copy.n, 1);
    dial_space_free(&copy);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* The hook is asked by the context and its clones alike, and a context
 * without a hook allocates as before. */
static void test_a_refusing_hook_fails_the_call_with_out_of_memory(void **state) {
    dial_ctx *ctx = test_ctx();
    failing_hook hook = {.fail_at = 1};
    dial_ctx_set_alloc_hook(ctx, refuse_nth, &hook);
    dial_table *table = NULL;
    dial_status status = dial_table_read(ctx, "data/iris.csv", NULL, &table);
    assert_int_equal(status, DIAL_ERR_NOMEM);
    assert_null(table);
    assert_string_equal(dial_ctx_error(ctx), "data/iris.csv: out of memory reading the file");
    hook = (failing_hook){.fail_at = 1};
    assert_null(dial_ctx_clone(ctx, 1));
    assert_int_equal(hook.count, 1);
    dial_ctx *clone = dial_ctx_clone(ctx, 1);
    assert_non_null(clone);
    long before = hook.count;
    assert_dial_ok(clone, dial_table_read(clone, "data/iris.csv", NULL, &table));
    assert_true(hook.count > before);
    dial_table_free(table);
    dial_ctx_free(clone);
    dial_ctx_set_alloc_hook(ctx, NULL, NULL);
    before = hook.count;
    assert_dial_ok(ctx, dial_table_read(ctx, "data/iris.csv", NULL, &table));
    assert_int_equal(hook.count, before);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_refusing_hook_fails_the_call_with_out_of_memory),
        cmocka_unit_test(test_recording_a_trial_step_asks_the_hook),
        cmocka_unit_test(test_reading_an_in_memory_study_asks_the_hook),
        cmocka_unit_test(test_reading_a_sqlite_study_asks_the_hook),
        cmocka_unit_test(test_copying_a_search_space_asks_the_hook),
        cmocka_unit_test(test_every_allocation_of_a_logistic_fit_save_and_load_can_fail),
        cmocka_unit_test(test_every_allocation_of_a_tree_fit_save_and_load_can_fail),
        cmocka_unit_test(test_every_allocation_of_a_forest_fit_save_and_load_can_fail),
        cmocka_unit_test(test_every_allocation_of_a_gbdt_fit_save_and_load_can_fail),
        cmocka_unit_test(test_every_allocation_of_a_knn_fit_save_and_load_can_fail),
        cmocka_unit_test(test_every_allocation_of_a_naive_bayes_fit_save_and_load_can_fail),
        cmocka_unit_test(test_every_allocation_of_an_mlp_fit_save_and_load_can_fail),
        cmocka_unit_test(test_every_allocation_of_an_svm_fit_save_and_load_can_fail),
        cmocka_unit_test(test_every_allocation_of_a_short_tune_can_fail),
        cmocka_unit_test(test_every_allocation_of_a_short_tune_into_a_sqlite_study_can_fail),
        cmocka_unit_test(test_every_allocation_of_a_grid_tune_along_a_path_can_fail),
        cmocka_unit_test(test_every_allocation_of_a_grid_tune_along_a_warm_ladder_can_fail),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The built-in objective under a pruner (dial_tune_model's --pruner): a
 * path family's trials judged at the rungs of their path, a family
 * without a searched path judged on its first folds in order, trials that
 * are never pruned scored exactly as without a pruner, a best trial that
 * always has all its folds and its whole path and that `dial cv`
 * reproduces, and the pruner recorded in the study's identity. Real data
 * (data/breast_cancer.csv) and the real gbdt family throughout. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/tune_model.h"

typedef struct fixture {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
    const dial_model_family *family;
    dial_knobs knobs;
    dial_space space;
    char dir[64];
    char storage[128];
} fixture;

/* gbdt on breast_cancer with the -s settings and the searched items. */
static void setup(fixture *f, const char *const *sets, const char *const *items) {
    memset(f, 0, sizeof *f);
    f->ctx = test_ctx();
    f->data = test_load_dataset(f->ctx, "data/breast_cancer.csv", "diagnosis", &f->table);
    assert_dial_ok(f->ctx, dial_model_family_lookup(f->ctx, "gbdt", &f->family));
    assert_dial_ok(f->ctx, dial_model_knobs_init(f->ctx, f->family, &f->knobs));
    for (size_t i = 0; sets && sets[i]; i++)
        assert_dial_ok(f->ctx, dial_knobs_set_assignment(f->ctx, &f->knobs, sets[i]));
    for (size_t i = 0; items[i]; i++)
        assert_dial_ok(f->ctx, dial_space_set(f->ctx, &f->space, &f->knobs, items[i]));
    snprintf(f->dir, sizeof f->dir, "/tmp/dial-pruning-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->storage, sizeof f->storage, "%s/s.db", f->dir);
}

static void teardown(fixture *f) {
    char command[160];
    snprintf(command, sizeof command, "rm -rf '%s'", f->dir);
    assert_int_equal(system(command), 0);
    dial_space_free(&f->space);
    dial_knobs_free(&f->knobs);
    dial_dataset_free(f->data);
    dial_table_free(f->table);
    dial_ctx_free(f->ctx);
}

static dial_tune_setup tune_setup(const fixture *f) {
    return (dial_tune_setup){.family = f->family,
                             .knobs = &f->knobs,
                             .space = &f->space,
                             .metric = DIAL_METRIC_ACCURACY,
                             .folds = 5,
                             .repeats = 1,
                             .seed = 7};
}

/* Runs n_trials of random search under pruner into study `name` of the
 * fixture's file and returns every trial of it. */
static dial_trial_list tune(fixture *f, const char *name, const char *pruner, int64_t n_trials,
                            int jobs, dial_tune_result *result) {
    dial_tune_setup s = tune_setup(f);
    dial_tune_options options = {.sampler = DIAL_SAMPLER_RANDOM,
                                 .storage = f->storage,
                                 .study_name = name,
                                 .pruner = pruner,
                                 .optimize = {.n_trials = n_trials, .jobs = jobs}};
    dial_ctx_set_threads(f->ctx, jobs);
    assert_dial_ok(f->ctx, dial_tune_model(f->ctx, &s, f->data, &options, result));
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, dial_study_load(f->ctx, f->storage, name, &study));
    dial_trial_list list;
    assert_dial_ok(f->ctx, dial_study_trials(f->ctx, study, &list));
    dial_study_free(study);
    return list;
}

static int64_t int_param(const dial_trial_record *trial, const char *name) {
    for (size_t i = 0; i < trial->n_params; i++)
        if (strcmp(trial->param_names[i], name) == 0) return (int64_t)trial->param_values[i];
    fail_msg("trial %lld has no %s", (long long)trial->number, name);
    return -1;
}

static size_t count_state(const dial_trial_list *list, dial_trial_state state) {
    size_t n = 0;
    for (size_t i = 0; i < list->count; i++) n += list->items[i].state == state;
    return n;
}

static const char *const path_items[] = {"n_estimators=1..60", "learning_rate=0.003..0.5:log",
                                         NULL};

/* ---- a path as the resource ------------------------------------------------- */

/* asha's defaults on a path of at most 60 rounds: min_resource 60 / 27 =
 * 2, so a trial is judged after 2, 6, 18 and 54 rounds (those below its
 * own n_estimators). A pruned trial's path ends at the rung it reached,
 * with no fold score of its own value; a complete one has all five folds
 * and its path up to its own n_estimators. */
static void test_asha_judges_a_gbdt_trial_at_the_rungs_of_its_path(void **state) {
    (void)state;
    fixture f;
    setup(&f, NULL, path_items);
    dial_tune_result result;
    dial_trial_list list = tune(&f, "path", "asha", 30, 1, &result);
    assert_int_equal(list.count, 30);
    size_t pruned = count_state(&list, DIAL_TRIAL_PRUNED);
    assert_true(pruned > 0);
    assert_int_equal(pruned + count_state(&list, DIAL_TRIAL_COMPLETE), 30);
    assert_int_equal((size_t)result.n_pruned, pruned);
    for (size_t t = 0; t < list.count; t++) {
        const dial_trial_record *trial = &list.items[t];
        int64_t rounds = int_param(trial, "n_estimators");
        assert_true(trial->n_path > 0);
        int64_t reached = trial->path_steps[trial->n_path - 1];
        if (trial->state == DIAL_TRIAL_PRUNED) {
            assert_true(reached == 2 || reached == 6 || reached == 18 || reached == 54);
            assert_true(reached < rounds);
            assert_int_equal(trial->n_intermediate, 0);
        } else {
            assert_int_equal(reached, rounds);
            assert_int_equal(trial->n_intermediate, 5);
        }
    }
    dial_trial_list_free(&list);
    dial_tune_result_free(&result);
    teardown(&f);
}

/* The same search with and without a pruner draws the same knobs for each
 * trial number (random sampling depends on the seed and the number alone);
 * each trial asha let finish has bit for bit the value, the fold scores
 * and the path it has without a pruner, though its folds were fitted
 * afresh to each rung on the way. Rungs 2, 6, 18 and 54 that lie below
 * the range or between the list's steps, where no trial's own fit scores,
 * are judged at the next step that one does. */
static void never_pruned_is_scored_as_without_a_pruner(const char *const *items,
                                                       const int64_t *stops, size_t n_stops) {
    fixture f;
    setup(&f, NULL, items);
    dial_tune_result plain_result, pruned_result;
    dial_trial_list plain = tune(&f, "plain", NULL, 30, 1, &plain_result);
    dial_trial_list pruned = tune(&f, "pruned", "asha", 30, 1, &pruned_result);
    assert_int_equal(plain.count, pruned.count);
    assert_int_equal(count_state(&plain, DIAL_TRIAL_COMPLETE), 30);
    size_t compared = 0;
    for (size_t t = 0; t < pruned.count; t++) {
        const dial_trial_record *a = &plain.items[t], *b = &pruned.items[t];
        assert_int_equal(a->number, b->number);
        assert_int_equal(int_param(a, "n_estimators"), int_param(b, "n_estimators"));
        assert_memory_equal(a->param_values, b->param_values, a->n_params * sizeof(double));
        if (b->state == DIAL_TRIAL_PRUNED) {
            /* stopped at a step every trial's own fit scores */
            bool known = false;
            for (size_t i = 0; i < n_stops; i++) known |= b->path_steps[b->n_path - 1] == stops[i];
            assert_true(known);
        }
        if (b->state != DIAL_TRIAL_COMPLETE) continue;
        compared++;
        assert_memory_equal(&a->value, &b->value, sizeof a->value);
        assert_int_equal(a->n_intermediate, b->n_intermediate);
        assert_memory_equal(a->intermediate_values, b->intermediate_values,
                            a->n_intermediate * sizeof(double));
        assert_int_equal(a->n_path, b->n_path);
        assert_memory_equal(a->path_steps, b->path_steps, a->n_path * sizeof(int64_t));
        assert_memory_equal(a->path_values, b->path_values, a->n_path * sizeof(double));
    }
    assert_true(compared > 0 && compared < pruned.count);
    dial_trial_list_free(&plain);
    dial_trial_list_free(&pruned);
    dial_tune_result_free(&plain_result);
    dial_tune_result_free(&pruned_result);
    teardown(&f);
}

static void test_a_trial_never_pruned_is_scored_exactly_as_without_a_pruner(void **state) {
    (void)state;
    static const char *const range[] = {"n_estimators=10..60", "learning_rate=0.003..0.5:log",
                                        NULL};
    static const int64_t stops[] = {10, 18, 54};
    never_pruned_is_scored_as_without_a_pruner(range, stops, 3);
}

static void test_on_a_list_of_rounds_a_survivor_is_scored_as_without_a_pruner(void **state) {
    (void)state;
    static const char *const list[] = {"n_estimators=4,10,30,60", "learning_rate=0.003..0.5:log",
                                       NULL};
    static const int64_t stops[] = {4, 10, 30};
    never_pruned_is_scored_as_without_a_pruner(list, stops, 3);
}

/* Pruning never makes the reported best wrong: the best is a complete
 * trial with all its folds, and `dial cv` with the study's seed and folds
 * and the best's knobs gives its value. */
static void test_the_best_of_a_pruned_search_is_complete_and_dial_cv_reproduces_it(void **state) {
    (void)state;
    fixture f;
    setup(&f, NULL, path_items);
    dial_tune_result result;
    dial_trial_list list = tune(&f, "best", "hyperband", 30, 2, &result);
    assert_true(count_state(&list, DIAL_TRIAL_PRUNED) > 0);
    assert_int_equal(result.best.state, DIAL_TRIAL_COMPLETE);
    assert_int_equal(result.best.n_intermediate, 5);
    double best = -1;
    for (size_t t = 0; t < list.count; t++)
        if (list.items[t].state == DIAL_TRIAL_COMPLETE && list.items[t].value > best)
            best = list.items[t].value;
    assert_true(result.best.value == best);
    dial_splits splits;
    assert_dial_ok(f.ctx, dial_split_kfold(f.ctx, f.data, 5, 1, true, 7, &splits));
    dial_ctx *cv_ctx = test_ctx();
    dial_ctx_set_seed(cv_ctx, 7);
    dial_cv_result cv;
    assert_dial_ok(cv_ctx, dial_cv_run(cv_ctx, f.family, &result.best_knobs, f.data, &splits,
                                       DIAL_METRIC_ACCURACY, &cv));
    for (size_t i = 0; i < 5; i++) assert_true(cv.scores[i] == result.best.intermediate_values[i]);
    assert_true(fabs(cv.mean - result.best.value) < 1e-12);
    dial_cv_result_free(&cv);
    dial_splits_free(&splits);
    dial_ctx_free(cv_ctx);
    dial_trial_list_free(&list);
    dial_tune_result_free(&result);
    teardown(&f);
}

/* ---- folds as the resource ---------------------------------------------------- */

/* n_estimators fixed: the resource is the folds (asha judges after 1 and
 * 3 of 5). Two workers share the chains' memos, and a pruned trial still
 * reported exactly its first folds, 0 .. k-1, in order. */
static void test_without_a_searched_path_a_pruned_trial_has_its_first_folds(void **state) {
    (void)state;
    static const char *const sets[] = {"n_estimators=20", NULL};
    static const char *const items[] = {"learning_rate=0.001..0.5:log", "max_depth=1..6", NULL};
    fixture f;
    setup(&f, sets, items);
    dial_tune_result result;
    dial_trial_list list = tune(&f, "folds", "asha", 30, 2, &result);
    assert_true(count_state(&list, DIAL_TRIAL_PRUNED) > 0);
    for (size_t t = 0; t < list.count; t++) {
        const dial_trial_record *trial = &list.items[t];
        assert_int_equal(trial->n_path, 0);
        size_t n = trial->n_intermediate;
        if (trial->state == DIAL_TRIAL_PRUNED)
            assert_true(n == 1 || n == 3);
        else
            assert_int_equal(n, 5);
        for (size_t i = 0; i < n; i++) assert_int_equal(trial->intermediate_steps[i], (int64_t)i);
    }
    assert_int_equal(result.best.state, DIAL_TRIAL_COMPLETE);
    assert_int_equal(result.best.n_intermediate, 5);
    dial_trial_list_free(&list);
    dial_tune_result_free(&result);
    teardown(&f);
}

/* ---- the identity ------------------------------------------------------------ */

/* The study records the pruner in its canonical text for its resource
 * (the path's 60 rounds here), and a run with another pruner cannot
 * resume it. */
static void test_the_study_records_the_pruner_and_refuses_another(void **state) {
    (void)state;
    fixture f;
    setup(&f, NULL, path_items);
    dial_tune_result result;
    dial_trial_list list = tune(&f, "identity", "asha", 3, 1, &result);
    dial_trial_list_free(&list);
    dial_tune_result_free(&result);
    char *canonical = NULL;
    assert_dial_ok(f.ctx,
                   dial_pruner_spec_normalize(f.ctx, "asha", DIAL_RESOURCE_PATH, 60, &canonical));
    dial_study_identity stored = {0};
    bool found = false;
    assert_dial_ok(f.ctx, dial_study_identity_read(f.ctx, f.storage, "identity", &stored, &found));
    assert_true(found);
    assert_string_equal(dial_study_identity_get(&stored, "pruner"), canonical);
    dial_study_identity_free(&stored);

    dial_tune_setup s = tune_setup(&f);
    dial_tune_options options = {.sampler = DIAL_SAMPLER_RANDOM,
                                 .storage = f.storage,
                                 .study_name = "identity",
                                 .optimize = {.n_trials = 4, .jobs = 1}};
    char expected[512];
    snprintf(expected, sizeof expected,
             "study 'identity' in %s was created with pruner %s, this run asks for none; ",
             f.storage, canonical);
    assert_int_equal(dial_tune_model(f.ctx, &s, f.data, &options, &result), DIAL_ERR_ARGUMENT);
    assert_true(strncmp(dial_ctx_error(f.ctx), expected, strlen(expected)) == 0);
    free(canonical);
    teardown(&f);
}

/* A nested run's outer folds run searches of their own, each under the
 * run's pruner (on the outer training rows the path is the same, so is the
 * canonical text), and each records it. */
static void test_each_outer_fold_of_a_nested_run_records_the_pruner(void **state) {
    (void)state;
    fixture f;
    setup(&f, NULL, path_items);
    dial_tune_setup s = tune_setup(&f);
    dial_tune_options options = {.sampler = DIAL_SAMPLER_RANDOM,
                                 .storage = f.storage,
                                 .study_name = "nested",
                                 .pruner = "asha:reduction_factor=2",
                                 .nested = 2,
                                 .optimize = {.n_trials = 8, .jobs = 1}};
    dial_tune_result result;
    assert_dial_ok(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &result));
    assert_int_equal(result.n_outer, 2);
    dial_tune_result_free(&result);
    char *canonical = NULL;
    assert_dial_ok(f.ctx, dial_pruner_spec_normalize(f.ctx, "asha:reduction_factor=2",
                                                     DIAL_RESOURCE_PATH, 60, &canonical));
    static const char *const studies[] = {"nested", "nested-outer-1", "nested-outer-2"};
    for (size_t i = 0; i < 3; i++) {
        dial_study_identity stored = {0};
        bool found = false;
        assert_dial_ok(f.ctx,
                       dial_study_identity_read(f.ctx, f.storage, studies[i], &stored, &found));
        assert_true(found);
        assert_string_equal(dial_study_identity_get(&stored, "pruner"), canonical);
        dial_study_identity_free(&stored);
    }
    free(canonical);
    teardown(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_asha_judges_a_gbdt_trial_at_the_rungs_of_its_path),
        cmocka_unit_test(test_a_trial_never_pruned_is_scored_exactly_as_without_a_pruner),
        cmocka_unit_test(test_on_a_list_of_rounds_a_survivor_is_scored_as_without_a_pruner),
        cmocka_unit_test(test_the_best_of_a_pruned_search_is_complete_and_dial_cv_reproduces_it),
        cmocka_unit_test(test_without_a_searched_path_a_pruned_trial_has_its_first_folds),
        cmocka_unit_test(test_the_study_records_the_pruner_and_refuses_another),
        cmocka_unit_test(test_each_outer_fold_of_a_nested_run_records_the_pruner),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

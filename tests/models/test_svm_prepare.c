/* svm's prepare-once path for tuning (prepare_fold, predict_fold): the
 * Gram matrix of a fold's training rows and the kernel of its test rows
 * against them are computed once per kernel, then any C, class_weight,
 * epsilon, tol or probability is solved and predicted from them, to the
 * bit as a full fit and predict with the same knobs would.
 *
 * The split is fixed: rows with index % 5 == 0 test, the others train;
 * every feature is scaled to [-1, 1] over all rows (the LIBSVM guide's
 * scaling, so that its gammas apply). */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dial/tune_model.h"
#include "tune/objective.h"
#include "models/family_tuning.h"

extern const dial_model_family dial_model_svm;

/* One fold as the family sees it. */
/* Sets "name=value" assignments (NULL-terminated) on knobs. */
static void set_all(dial_ctx *ctx, dial_knobs *knobs, const char *const *settings) {
    for (size_t i = 0; settings && settings[i]; i++)
        assert_dial_ok(ctx, dial_knobs_set_assignment(ctx, knobs, settings[i]));
    assert_dial_ok(ctx, dial_knobs_check(ctx, knobs));
}

static void *prepare(dial_ctx *ctx, const test_fold *f, const dial_knobs *knobs) {
    void *state = NULL;
    assert_dial_ok(
        ctx, dial_model_svm.tuning->prepare_fold(ctx, knobs, knobs, &f->train, &f->test, &state));
    assert_non_null(state);
    return state;
}

/* For the kernel of kernel_settings and each trial of trials (a
 * NULL-separated list of assignments, ended by two NULLs): predict_fold's
 * values (and probabilities when asked) are fit and predict's, bit for
 * bit, from one fold state for every trial. */
static void assert_fold_path_is_the_full_path(const char *path, const char *target,
                                              const char *const *kernel_settings,
                                              const char *const *trials, bool with_proba) {
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold(path, target, 5, true);
    dial_knobs base = test_knobs(ctx, &dial_model_svm, kernel_settings);
    void *state = prepare(ctx, &f, &base);
    size_t n = f.test.n_rows, c = with_proba ? f.n_classes : 0;
    double *value_full = malloc(n * sizeof(double)), *value_fold = malloc(n * sizeof(double));
    double *proba_full = c ? malloc(n * c * sizeof(double)) : NULL;
    double *proba_fold = c ? malloc(n * c * sizeof(double)) : NULL;
    for (const char *const *trial = trials; *trial; trial++) {
        dial_knobs knobs = test_knobs(ctx, &dial_model_svm, kernel_settings);
        set_all(ctx, &knobs, trial);
        dial_tensors learned = {0};
        dial_ctx_set_seed(ctx, 7);
        assert_dial_ok(ctx, dial_model_svm.fit(ctx, &knobs, &f.train, &learned));
        dial_predict_output out_full = {value_full, proba_full},
                            out_fold = {value_fold, proba_fold};
        assert_dial_ok(ctx, dial_model_svm.predict(ctx, &knobs, &learned, &f.test, &out_full));
        memset(value_fold, 0xff, n * sizeof(double));
        dial_ctx_set_seed(ctx, 7);
        assert_dial_ok(ctx, dial_model_svm.tuning->predict_fold(ctx, &knobs, state, &out_fold));
        if (memcmp(value_full, value_fold, n * sizeof(double)) != 0)
            fail_msg("%s, %s %s: predict_fold's values differ", path, trial[0],
                     trial[1] ? trial[1] : "");
        if (c && memcmp(proba_full, proba_fold, n * c * sizeof(double)) != 0)
            fail_msg("%s, %s: predict_fold's probabilities differ", path, trial[0]);
        dial_tensors_clear(&learned);
        dial_knobs_free(&knobs);
        while (*trial) trial++; /* to the NULL ending this trial */
    }
    free(value_full);
    free(value_fold);
    free(proba_full);
    free(proba_fold);
    dial_knobs_free(&base);
    dial_model_svm.tuning->free_fold(state);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

/* ---- classification ----------------------------------------------------- */

static const char *const c_trials[] = {"C=0.03125", NULL,    "C=1", NULL, "C=8",
                                       NULL,        "C=512", NULL,  NULL};
/* The same with Platt sigmoids: the probabilities follow the decision
 * values, so they differ at the last bit if those do. */
static const char *const c_trials_proba[] = {
    "C=0.03125", "probability=true", NULL, "C=1",   "probability=true", NULL,
    "C=8",       "probability=true", NULL, "C=512", "probability=true", NULL,
    NULL};

static void test_heart_scale_rbf_matches_a_full_fit_for_every_c_and_gamma(void **state) {
    (void)state;
    static const char *const gammas[] = {"gamma=0.0078125", "gamma=0.125", "gamma=2"};
    for (size_t g = 0; g < 3; g++) {
        const char *kernel[] = {"kernel=rbf", gammas[g], "scale=none", NULL};
        assert_fold_path_is_the_full_path("data/heart_scale.libsvm", "label", kernel, c_trials,
                                          false);
        assert_fold_path_is_the_full_path("data/heart_scale.libsvm", "label", kernel,
                                          c_trials_proba, true);
    }
}

static void test_heart_scale_gamma_scale_matches_a_full_fit(void **state) {
    (void)state;
    const char *kernel[] = {"kernel=rbf", "gamma=scale", NULL};
    assert_fold_path_is_the_full_path("data/heart_scale.libsvm", "label", kernel, c_trials, false);
}

static void test_heart_scale_other_kernels_match_a_full_fit(void **state) {
    (void)state;
    static const char *const trials[] = {"C=0.5", NULL, "C=4", NULL, NULL};
    const char *linear[] = {"kernel=linear", NULL};
    const char *poly[] = {"kernel=poly", "gamma=0.1", "degree=2", "coef0=1", NULL};
    const char *sigmoid[] = {"kernel=sigmoid", "gamma=0.01", "coef0=-0.5", NULL};
    assert_fold_path_is_the_full_path("data/heart_scale.libsvm", "label", linear, trials, false);
    assert_fold_path_is_the_full_path("data/heart_scale.libsvm", "label", poly, trials, false);
    assert_fold_path_is_the_full_path("data/heart_scale.libsvm", "label", sigmoid, trials, false);
}

static void test_solver_knobs_vary_freely_on_one_fold_state(void **state) {
    (void)state;
    static const char *const trials[] = {
        "C=2", "class_weight=balanced", NULL, "C=2",           "tol=0.1", NULL,
        "C=2", "shrinking=false",       NULL, "cache_mb=0.01", NULL,      NULL};
    const char *kernel[] = {"kernel=rbf", "gamma=0.5", NULL};
    assert_fold_path_is_the_full_path("data/heart_scale.libsvm", "label", kernel, trials, false);
}

static void test_probabilities_match_a_full_fit(void **state) {
    (void)state;
    static const char *const trials[] = {
        "C=1", "probability=true", NULL, "C=16", "probability=true", NULL, NULL};
    const char *kernel[] = {"kernel=rbf", "gamma=0.125", NULL};
    assert_fold_path_is_the_full_path("data/heart_scale.libsvm", "label", kernel, trials, true);
    assert_fold_path_is_the_full_path("data/wine.csv", "cultivar", kernel, trials, true);
}

static void test_digits_multiclass_matches_a_full_fit(void **state) {
    (void)state;
    static const char *const trials[] = {"C=1", NULL, "C=32", NULL, NULL};
    static const char *const proba[] = {"C=4", "probability=true", NULL, NULL};
    static const char *const gammas[] = {"gamma=0.001953125", "gamma=0.03125"};
    for (size_t g = 0; g < 2; g++) {
        const char *kernel[] = {"kernel=rbf", gammas[g], NULL};
        assert_fold_path_is_the_full_path("data/digits.csv", "digit", kernel, trials, false);
    }
    const char *kernel[] = {"kernel=rbf", "gamma=0.03125", NULL};
    assert_fold_path_is_the_full_path("data/digits.csv", "digit", kernel, proba, true);
}

/* ---- regression ----------------------------------------------------------- */

static void test_svr_on_diabetes_matches_a_full_fit(void **state) {
    (void)state;
    static const char *const trials[] = {"C=1",    NULL,          "C=100", "epsilon=5", NULL,
                                         "C=1000", "epsilon=0.1", NULL,    NULL};
    const char *rbf[] = {"kernel=rbf", "gamma=0.5", NULL};
    const char *linear[] = {"kernel=linear", NULL};
    assert_fold_path_is_the_full_path("data/diabetes.csv", "progression", rbf, trials, false);
    assert_fold_path_is_the_full_path("data/diabetes.csv", "progression", linear, trials, false);
}

/* ---- what the state cannot answer --------------------------------------- */

static void test_another_kernel_is_unsupported(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/heart_scale.libsvm", "label", 5, true);
    const char *settings[] = {"kernel=rbf", "gamma=0.5", NULL};
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, settings);
    void *fold = prepare(ctx, &f, &knobs);
    double *value = malloc(f.test.n_rows * sizeof(double));
    dial_predict_output out = {value, NULL};
    const char *other[] = {"gamma=0.25", NULL};
    set_all(ctx, &knobs, other);
    assert_dial_error(ctx, dial_model_svm.tuning->predict_fold(ctx, &knobs, fold, &out),
                      DIAL_ERR_UNSUPPORTED,
                      "svm: the fold was prepared for another kernel than the trial's");
    free(value);
    dial_knobs_free(&knobs);
    dial_model_svm.tuning->free_fold(fold);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

static void test_a_fold_beyond_the_memory_budget_is_unsupported(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    size_t n = 12000;
    double *x = calloc(n, sizeof(double)), *y = calloc(n, sizeof(double));
    for (size_t i = 0; i < n; i++) y[i] = (double)(i % 2);
    dial_fit_input train = {.x = x,
                            .n_rows = n,
                            .n_features = 1,
                            .y = y,
                            .task = DIAL_TASK_CLASSIFICATION,
                            .n_classes = 2};
    dial_fit_input test = train;
    test.n_rows = 10;
    test.y = NULL;
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, NULL);
    void *fold = NULL;
    assert_dial_error(
        ctx, dial_model_svm.tuning->prepare_fold(ctx, &knobs, &knobs, &train, &test, &fold),
        DIAL_ERR_UNSUPPORTED,
        "svm: the kernel of a fold of 12000 training rows would take 549 MiB, "
        "above 512 MiB; trials fit it in full");
    assert_null(fold);
    dial_knobs_free(&knobs);
    free(x);
    free(y);
    dial_ctx_free(ctx);
}

static void test_prepare_knobs_are_the_kernel_knobs(void **state) {
    (void)state;
    static const char *const expected[] = {"kernel", "gamma", "degree", "coef0"};
    const char *const *names = dial_model_svm.tuning->prepare_knobs;
    assert_non_null(names);
    for (size_t i = 0; i < 4; i++) assert_string_equal(names[i], expected[i]);
    assert_null(names[4]);
}

/* ---- through the tuner ------------------------------------------------------- */

/* A grid search over C and gamma with the prepared path on or off; the
 * objective's cache builds into *builds. */
static dial_trial_list run_grid(dial_ctx *ctx, const dial_dataset *data, const dial_knobs *knobs,
                                const dial_space *space, bool prepare, size_t *builds) {
    dial_tune_setup setup = {.family = &dial_model_svm,
                             .knobs = knobs,
                             .space = space,
                             .metric = DIAL_METRIC_ACCURACY,
                             .folds = 5,
                             .repeats = 1,
                             .seed = 3};
    dial_model_objective *objective = NULL;
    assert_dial_ok(ctx, dial_model_objective_create(ctx, &setup, data, NULL, 0, &objective));
    dial_objective_set_prepare(objective, prepare);
    dial_study_options options = {.name = "svm",
                                  .direction = DIAL_MAXIMIZE,
                                  .sampler = DIAL_SAMPLER_GRID,
                                  .space = space,
                                  .seed = 3};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    dial_optimize_options run = {.n_trials = 6, .jobs = 2};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, dial_model_objective_run, objective, &run));
    dial_trial_list trials;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &trials));
    size_t entries = 0;
    dial_objective_cache_stats(objective, &entries, builds);
    dial_study_free(study);
    dial_model_objective_free(objective);
    return trials;
}

/* A grid of 6 trials over C_values x gamma_values with the prepared path
 * and without: the same trials and scores to the bit; the prepared path
 * builds builds entries. */
static void assert_grid_scores_as_full_fits(const char *c_values, const char *gamma_values,
                                            size_t builds) {
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_threads(ctx, 2);
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/heart_scale.libsvm", "label", &table);
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, NULL);
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, c_values));
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, gamma_values));
    size_t builds_with = 0, builds_without = 0;
    dial_trial_list with = run_grid(ctx, data, &knobs, &space, true, &builds_with);
    dial_trial_list without = run_grid(ctx, data, &knobs, &space, false, &builds_without);
    assert_int_equal(builds_with, builds);
    assert_int_equal(builds_without, 0);
    assert_int_equal(with.count, 6);
    assert_int_equal(without.count, 6);
    for (size_t t = 0; t < with.count; t++) {
        const dial_trial_record *a = &with.items[t], *b = &without.items[t];
        assert_int_equal(a->state, DIAL_TRIAL_COMPLETE);
        assert_int_equal(a->n_params, b->n_params);
        for (size_t p = 0; p < a->n_params; p++)
            assert_string_equal(a->param_texts[p], b->param_texts[p]);
        assert_memory_equal(&a->value, &b->value, sizeof(double));
        assert_int_equal(a->n_intermediate, b->n_intermediate);
        assert_memory_equal(a->intermediate_values, b->intermediate_values,
                            a->n_intermediate * sizeof(double));
    }
    dial_trial_list_free(&with);
    dial_trial_list_free(&without);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void test_a_grid_search_scores_as_full_fits_and_prepares_each_gamma_once(void **state) {
    (void)state;
    /* 5 folds x 2 gammas, whatever the C */
    assert_grid_scores_as_full_fits("C=0.5,8,128", "gamma=0.5,0.03125", 10);
}

/* Six gammas, more than a fold's cache keeps: from the fifth on, each fold
 * is prepared in the memory of its least recently used entry. */
static void test_folds_made_in_evicted_entries_memory_score_as_full_fits(void **state) {
    (void)state;
    assert_grid_scores_as_full_fits("C=8", "gamma=2,0.5,0.125,0.03125,0.0078125,0.001953125", 30);
}

/* prepare_fold_reusing with a spare of the same fold (another gamma's
 * state) or of a fold of another size gives the fold a fresh prepare_fold
 * gives: the same predictions, to the bit. */
static void test_a_fold_made_in_a_spares_memory_predicts_as_a_fresh_one(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/heart_scale.libsvm", "label", 5, true);
    test_fold other = test_load_fold("data/heart_scale.libsvm", "label", 3, true);
    static const char *const wide[] = {"gamma=2", NULL}, *const narrow[] = {"gamma=0.125", NULL};
    dial_knobs knobs_wide = test_knobs(ctx, &dial_model_svm, wide);
    dial_knobs knobs = test_knobs(ctx, &dial_model_svm, narrow);
    const dial_family_tuning *tuning = dial_model_svm.tuning;
    assert_non_null(tuning->prepare_fold_reusing);
    void *fresh = prepare(ctx, &f, &knobs);
    void *spares[2] = {prepare(ctx, &f, &knobs_wide), prepare(ctx, &other, &knobs_wide)};
    size_t n = f.test.n_rows;
    double *expected = malloc(n * sizeof(double)), *value = malloc(n * sizeof(double));
    for (size_t s = 0; s < 2; s++) {
        void *reused = NULL;
        assert_dial_ok(ctx, tuning->prepare_fold_reusing(ctx, &knobs, &knobs, &f.train, &f.test,
                                                         spares[s], &reused));
        assert_non_null(reused);
        for (const char *const *c = (const char *const[]){"C=0.5", "C=8", "C=128", NULL}; *c; c++) {
            assert_dial_ok(ctx, dial_knobs_set_assignment(ctx, &knobs, *c));
            dial_predict_output out_fresh = {expected, NULL}, out = {value, NULL};
            assert_dial_ok(ctx, tuning->predict_fold(ctx, &knobs, fresh, &out_fresh));
            memset(value, 0xff, n * sizeof(double));
            assert_dial_ok(ctx, tuning->predict_fold(ctx, &knobs, reused, &out));
            assert_memory_equal(expected, value, n * sizeof(double));
        }
        tuning->free_fold(reused);
    }
    free(expected);
    free(value);
    tuning->free_fold(fresh);
    dial_knobs_free(&knobs);
    dial_knobs_free(&knobs_wide);
    test_fold_free(&f);
    test_fold_free(&other);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_heart_scale_rbf_matches_a_full_fit_for_every_c_and_gamma),
        cmocka_unit_test(test_heart_scale_gamma_scale_matches_a_full_fit),
        cmocka_unit_test(test_heart_scale_other_kernels_match_a_full_fit),
        cmocka_unit_test(test_solver_knobs_vary_freely_on_one_fold_state),
        cmocka_unit_test(test_probabilities_match_a_full_fit),
        cmocka_unit_test(test_digits_multiclass_matches_a_full_fit),
        cmocka_unit_test(test_svr_on_diabetes_matches_a_full_fit),
        cmocka_unit_test(test_another_kernel_is_unsupported),
        cmocka_unit_test(test_a_fold_beyond_the_memory_budget_is_unsupported),
        cmocka_unit_test(test_prepare_knobs_are_the_kernel_knobs),
        cmocka_unit_test(test_a_grid_search_scores_as_full_fits_and_prepares_each_gamma_once),
        cmocka_unit_test(test_folds_made_in_evicted_entries_memory_score_as_full_fits),
        cmocka_unit_test(test_a_fold_made_in_a_spares_memory_predicts_as_a_fresh_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

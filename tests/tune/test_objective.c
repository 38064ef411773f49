/* The built-in objective and the tuning procedures: folds fixed once and
 * confined to the search's rows, trial values that are the mean of their
 * fold scores (and match dial cv), conditional knobs left out, the known
 * scores on the bundled data, holdout and nested estimates that never leak,
 * and the tuning record a refitted model carries. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "dial/tune_model.h"
#include "tune/objective.h"

typedef struct fixture {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
    const dial_model_family *family;
    dial_knobs knobs;
    dial_space space;
} fixture;

/* The dataset, the family's knobs with the -s style assignments, and a
 * space of the given items (none: the default space). */
static void setup(fixture *f, const char *path, const char *target, const char *model,
                  const char *const *sets, const char *const *items) {
    memset(f, 0, sizeof *f);
    f->ctx = test_ctx();
    f->data = test_load_dataset(f->ctx, path, target, &f->table);
    assert_dial_ok(f->ctx, dial_model_family_lookup(f->ctx, model, &f->family));
    assert_dial_ok(f->ctx, dial_model_knobs_init(f->ctx, f->family, &f->knobs));
    for (size_t i = 0; sets && sets[i]; i++)
        assert_dial_ok(f->ctx, dial_knobs_set_assignment(f->ctx, &f->knobs, sets[i]));
    if (items && items[0]) {
        for (size_t i = 0; items[i]; i++)
            assert_dial_ok(f->ctx, dial_space_set(f->ctx, &f->space, &f->knobs, items[i]));
    } else {
        assert_dial_ok(f->ctx, dial_space_from_knobs(f->ctx, &f->knobs, &f->space));
    }
}

static void teardown(fixture *f) {
    dial_space_free(&f->space);
    dial_knobs_free(&f->knobs);
    dial_dataset_free(f->data);
    dial_table_free(f->table);
    dial_ctx_free(f->ctx);
}

static dial_tune_setup tune_setup(const fixture *f, dial_metric metric, uint64_t seed) {
    return (dial_tune_setup){.family = f->family,
                             .knobs = &f->knobs,
                             .space = &f->space,
                             .metric = metric,
                             .folds = 5,
                             .repeats = 1,
                             .seed = seed};
}

static dial_tune_options tune_options(int64_t n_trials, int jobs) {
    return (dial_tune_options){.sampler = DIAL_SAMPLER_RANDOM,
                               .optimize = {.n_trials = n_trials, .jobs = jobs}};
}

/* cmocka 1.1's assert_float_equal is the only double comparison it has; this
 * one says which numbers differed. */
#define assert_near(a, b, tolerance)                                      \
    do {                                                                  \
        double near_a_ = (a), near_b_ = (b);                              \
        if (!(fabs(near_a_ - near_b_) <= (tolerance)))                    \
            fail_msg("%s = %.17g, expected %.17g", #a, near_a_, near_b_); \
    } while (0)

static bool contains(const size_t *rows, size_t n, size_t row) {
    for (size_t i = 0; i < n; i++)
        if (rows[i] == row) return true;
    return false;
}

/* ---- folds ---------------------------------------------------------------- */

static void test_every_row_is_tested_once_and_never_trained_on_in_its_fold(void **state) {
    fixture f;
    setup(&f, "data/iris.csv", "species", "knn", NULL, NULL);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 3);
    dial_model_objective *objective = NULL;
    assert_dial_ok(f.ctx, dial_model_objective_create(f.ctx, &s, f.data, NULL, 0, &objective));
    const dial_splits *splits = dial_model_objective_splits(objective);
    assert_int_equal(splits->count, 5);
    size_t *tested = calloc(f.data->n_rows, sizeof *tested);
    for (size_t k = 0; k < splits->count; k++) {
        const dial_split *split = &splits->items[k];
        assert_int_equal(split->n_test, 30);
        assert_int_equal(split->n_train + split->n_test, 150);
        for (size_t j = 0; j < split->n_test; j++) {
            tested[split->test[j]]++;
            assert_false(contains(split->train, split->n_train, split->test[j]));
        }
    }
    for (size_t i = 0; i < f.data->n_rows; i++) assert_int_equal(tested[i], 1);
    free(tested);
    dial_model_objective_free(objective);
    teardown(&f);
}

static void test_folds_of_a_row_subset_hold_only_those_rows(void **state) {
    fixture f;
    setup(&f, "data/iris.csv", "species", "knn", NULL, NULL);
    size_t rows[75];
    for (size_t i = 0; i < 75; i++) rows[i] = 149 - 2 * i; /* odd rows, descending */
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 3);
    dial_model_objective *objective = NULL;
    assert_dial_ok(f.ctx, dial_model_objective_create(f.ctx, &s, f.data, rows, 75, &objective));
    const dial_splits *splits = dial_model_objective_splits(objective);
    size_t seen = 0;
    for (size_t k = 0; k < splits->count; k++) {
        const dial_split *split = &splits->items[k];
        for (size_t j = 0; j < split->n_train; j++) assert_int_equal(split->train[j] % 2, 1);
        for (size_t j = 0; j < split->n_test; j++) assert_int_equal(split->test[j] % 2, 1);
        seen += split->n_test;
    }
    assert_int_equal(seen, 75);
    dial_model_objective_free(objective);
    teardown(&f);
}

static void test_a_metric_for_the_other_task_is_refused(void **state) {
    fixture f;
    setup(&f, "data/iris.csv", "species", "knn", NULL, NULL);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_RMSE, 0);
    dial_model_objective *objective = NULL;
    assert_dial_error(f.ctx, dial_model_objective_create(f.ctx, &s, f.data, NULL, 0, &objective),
                      DIAL_ERR_ARGUMENT,
                      "metric 'rmse' is for regression, but the target 'species' is a "
                      "classification target");
    assert_null(objective);
    teardown(&f);
}

/* ---- trials --------------------------------------------------------------- */

static dial_trial_list run_study(fixture *f, const dial_tune_setup *s, int64_t n_trials, int jobs,
                                 dial_sampler_kind sampler) {
    dial_model_objective *objective = NULL;
    assert_dial_ok(f->ctx, dial_model_objective_create(f->ctx, s, f->data, NULL, 0, &objective));
    dial_study_options options = {.name = "t",
                                  .direction = DIAL_MAXIMIZE,
                                  .sampler = sampler,
                                  .space = s->space,
                                  .seed = s->seed};
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, dial_study_open(f->ctx, &options, &study));
    dial_optimize_options run = {.n_trials = n_trials, .jobs = jobs};
    assert_dial_ok(f->ctx,
                   dial_study_optimize(f->ctx, study, dial_model_objective_run, objective, &run));
    dial_trial_list list;
    assert_dial_ok(f->ctx, dial_study_trials(f->ctx, study, &list));
    dial_study_free(study);
    dial_model_objective_free(objective);
    return list;
}

static void test_a_trial_reports_each_fold_and_returns_their_mean_as_dial_cv_would(void **state) {
    static const char *const items[] = {"k=7,9", NULL};
    fixture f;
    setup(&f, "data/iris.csv", "species", "knn", NULL, items);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 5);
    dial_trial_list list = run_study(&f, &s, 2, 1, DIAL_SAMPLER_GRID);
    assert_int_equal(list.count, 2);
    for (size_t t = 0; t < list.count; t++) {
        const dial_trial_record *trial = &list.items[t];
        assert_int_equal(trial->state, DIAL_TRIAL_COMPLETE);
        assert_int_equal(trial->n_intermediate, 5);
        double sum = 0;
        for (size_t i = 0; i < 5; i++) {
            assert_int_equal(trial->intermediate_steps[i], (int64_t)i);
            sum += trial->intermediate_values[i];
        }
        assert_near(trial->value, sum / 5, 1e-12);

        /* dial cv with the same seed, folds and knobs gives the same scores. */
        dial_knobs knobs;
        assert_dial_ok(f.ctx, dial_knobs_copy(f.ctx, &f.knobs, &knobs));
        assert_dial_ok(f.ctx, dial_knobs_set(f.ctx, &knobs, "k", trial->param_texts[0]));
        dial_splits splits;
        assert_dial_ok(f.ctx, dial_split_kfold(f.ctx, f.data, 5, 1, true, 5, &splits));
        dial_ctx *cv_ctx = test_ctx();
        dial_ctx_set_seed(cv_ctx, 5);
        dial_cv_result cv;
        assert_dial_ok(cv_ctx, dial_cv_run(cv_ctx, f.family, &knobs, f.data, &splits,
                                           DIAL_METRIC_ACCURACY, &cv));
        for (size_t i = 0; i < 5; i++) assert_near(cv.scores[i], trial->intermediate_values[i], 0);
        dial_cv_result_free(&cv);
        dial_splits_free(&splits);
        dial_ctx_free(cv_ctx);
        dial_knobs_free(&knobs);
    }
    dial_trial_list_free(&list);
    teardown(&f);
}

static long param_index(const dial_trial_record *trial, const char *name) {
    for (size_t i = 0; i < trial->n_params; i++)
        if (strcmp(trial->param_names[i], name) == 0) return (long)i;
    return -1;
}

/* C applies only with penalty l2 or l1 and comes before penalty in the
 * knob table: it must still be asked only once penalty is known. */
static void test_a_conditional_knob_is_absent_where_its_condition_fails(void **state) {
    static const char *const items[] = {"C=1e-2..1e2:log", "penalty=l2,none", NULL};
    fixture f;
    setup(&f, "data/wine.csv", "cultivar", "logistic", NULL, items);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 1);
    dial_trial_list list = run_study(&f, &s, 12, 2, DIAL_SAMPLER_RANDOM);
    size_t with_none = 0;
    for (size_t t = 0; t < list.count; t++) {
        const dial_trial_record *trial = &list.items[t];
        assert_int_equal(trial->state, DIAL_TRIAL_COMPLETE);
        long penalty = param_index(trial, "penalty");
        assert_true(penalty >= 0);
        bool none = strcmp(trial->param_texts[penalty], "none") == 0;
        with_none += none;
        assert_int_equal(param_index(trial, "C") >= 0, !none);
    }
    assert_true(with_none > 0 && with_none < list.count);
    dial_trial_list_free(&list);
    teardown(&f);
}

static void test_same_seed_gives_the_same_trials_with_one_job_or_two(void **state) {
    static const char *const items[] = {"k=1..30", "weights=uniform,distance", NULL};
    fixture f;
    setup(&f, "data/wine.csv", "cultivar", "knn", NULL, items);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 11);
    dial_trial_list one = run_study(&f, &s, 10, 1, DIAL_SAMPLER_RANDOM);
    dial_ctx_set_threads(f.ctx, 2);
    dial_trial_list two = run_study(&f, &s, 10, 2, DIAL_SAMPLER_RANDOM);
    assert_int_equal(one.count, two.count);
    for (size_t t = 0; t < one.count; t++) {
        assert_int_equal(one.items[t].number, two.items[t].number);
        assert_near(one.items[t].value, two.items[t].value, 0);
        assert_int_equal(one.items[t].n_params, two.items[t].n_params);
        for (size_t p = 0; p < one.items[t].n_params; p++)
            assert_string_equal(one.items[t].param_texts[p], two.items[t].param_texts[p]);
    }
    dial_trial_list_free(&one);
    dial_trial_list_free(&two);
    teardown(&f);
}

/* ---- prepare once, fit many --------------------------------------------------- */

/* What one run of a study over the objective left. */
typedef struct prepared_run {
    dial_trial_list trials;
    size_t entries, builds; /* the objective's cache after the run */
} prepared_run;

/* Runs a fresh in-memory study on rows[0 .. n_rows) (NULL: every row) with
 * the prepare-once path on or off. */
static prepared_run run_prepared(fixture *f, const dial_tune_setup *s, const size_t *rows,
                                 size_t n_rows, int64_t n_trials, int jobs,
                                 dial_sampler_kind sampler, bool prepare) {
    dial_model_objective *objective = NULL;
    assert_dial_ok(f->ctx,
                   dial_model_objective_create(f->ctx, s, f->data, rows, n_rows, &objective));
    dial_objective_set_prepare(objective, prepare);
    dial_study_options options = {
        .name = "p",
        .direction = dial_metric_greater_is_better(s->metric) ? DIAL_MAXIMIZE : DIAL_MINIMIZE,
        .sampler = sampler,
        .space = s->space,
        .seed = s->seed};
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, dial_study_open(f->ctx, &options, &study));
    dial_ctx_set_threads(f->ctx, jobs);
    dial_optimize_options run = {.n_trials = n_trials, .jobs = jobs};
    assert_dial_ok(f->ctx,
                   dial_study_optimize(f->ctx, study, dial_model_objective_run, objective, &run));
    prepared_run out;
    assert_dial_ok(f->ctx, dial_study_trials(f->ctx, study, &out.trials));
    dial_objective_cache_stats(objective, &out.entries, &out.builds);
    dial_study_free(study);
    dial_model_objective_free(objective);
    return out;
}

/* Same trials, same knobs, same fold scores and values, to the bit; the
 * same failures with the same messages. */
static void assert_same_trials(const dial_trial_list *a, const dial_trial_list *b) {
    assert_int_equal(a->count, b->count);
    for (size_t t = 0; t < a->count; t++) {
        const dial_trial_record *x = &a->items[t], *y = &b->items[t];
        assert_int_equal(x->number, y->number);
        assert_int_equal(x->state, y->state);
        assert_int_equal(x->n_params, y->n_params);
        for (size_t p = 0; p < x->n_params; p++)
            assert_string_equal(x->param_texts[p], y->param_texts[p]);
        if (x->state == DIAL_TRIAL_COMPLETE)
            assert_memory_equal(&x->value, &y->value, sizeof(double));
        assert_int_equal(x->n_intermediate, y->n_intermediate);
        if (x->n_intermediate)
            assert_memory_equal(x->intermediate_values, y->intermediate_values,
                                x->n_intermediate * sizeof(double));
        if (x->message || y->message) {
            assert_non_null(x->message);
            assert_non_null(y->message);
            assert_string_equal(x->message, y->message);
        }
    }
}

static void free_runs(prepared_run *a, prepared_run *b) {
    dial_trial_list_free(&a->trials);
    dial_trial_list_free(&b->trials);
}

static void assert_prepared_equals_full(const char *path, const char *target, dial_metric metric,
                                        const char *const *sets, const char *const *items,
                                        int64_t n_trials, size_t n_rows) {
    fixture f;
    setup(&f, path, target, "knn", sets, items);
    dial_tune_setup s = tune_setup(&f, metric, 7);
    size_t *rows = NULL;
    if (n_rows) {
        rows = malloc(n_rows * sizeof *rows);
        for (size_t i = 0; i < n_rows; i++) rows[i] = i;
    }
    prepared_run with = run_prepared(&f, &s, rows, n_rows, n_trials, 1, DIAL_SAMPLER_RANDOM, true);
    prepared_run without =
        run_prepared(&f, &s, rows, n_rows, n_trials, 1, DIAL_SAMPLER_RANDOM, false);
    assert_true(with.builds > 0);
    assert_int_equal(without.builds, 0);
    assert_same_trials(&with.trials, &without.trials);
    free_runs(&with, &without);
    free(rows);
    teardown(&f);
}

static void test_prepared_folds_score_as_full_fits_over_k_weights_metric_and_scale(void **state) {
    static const char *const items[] = {
        "k=1..30", "weights=uniform,distance",   "metric=euclidean,manhattan,minkowski",
        "p=1..4",  "scale=standard,minmax,none", NULL};
    assert_prepared_equals_full("data/iris.csv", "species", DIAL_METRIC_ACCURACY, NULL, items, 24,
                                0);
}

static void test_prepared_folds_score_probabilities_as_full_fits(void **state) {
    static const char *const items[] = {"k=1..30", "weights=uniform,distance", NULL};
    assert_prepared_equals_full("data/wine.csv", "cultivar", DIAL_METRIC_LOG_LOSS, NULL, items, 8,
                                0);
}

static void test_prepared_folds_score_regression_as_full_fits(void **state) {
    static const char *const items[] = {"k=1..30", "weights=uniform,distance",
                                        "metric=euclidean,manhattan", NULL};
    assert_prepared_equals_full("data/diabetes.csv", "progression", DIAL_METRIC_RMSE, NULL, items,
                                10, 0);
}

/* Categorical columns (one-hot) and missing values (imputed) go through
 * the cache's preprocessing as through dial_model_fit's. */
static void test_prepared_folds_preprocess_as_full_fits(void **state) {
    static const char *const items[] = {"k=1..20", "impute=mean,median,most_frequent",
                                        "scale=standard,minmax", NULL};
    assert_prepared_equals_full("data/credit_data.csv", "Status", DIAL_METRIC_ACCURACY, NULL, items,
                                8, 600);
}

/* A fold that cannot be prepared is fitted in full, which fails with its
 * usual words. */
static void test_a_fold_that_cannot_be_prepared_fails_as_a_full_fit(void **state) {
    static const char *const sets[] = {"impute=none", NULL};
    static const char *const items[] = {"k=1..5", NULL};
    assert_prepared_equals_full("data/credit_data.csv", "Status", DIAL_METRIC_ACCURACY, sets, items,
                                2, 600);
}

static void test_prepared_trials_are_the_same_with_one_job_or_two(void **state) {
    static const char *const items[] = {"k=1..30", "weights=uniform,distance",
                                        "metric=euclidean,manhattan", NULL};
    fixture f;
    setup(&f, "data/wine.csv", "cultivar", "knn", NULL, items);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 3);
    prepared_run one = run_prepared(&f, &s, NULL, 0, 16, 1, DIAL_SAMPLER_RANDOM, true);
    prepared_run two = run_prepared(&f, &s, NULL, 0, 16, 2, DIAL_SAMPLER_RANDOM, true);
    prepared_run full = run_prepared(&f, &s, NULL, 0, 16, 2, DIAL_SAMPLER_RANDOM, false);
    assert_same_trials(&one.trials, &two.trials);
    assert_same_trials(&one.trials, &full.trials);
    free_runs(&one, &two);
    dial_trial_list_free(&full.trials);
    teardown(&f);
}

/* One neighbour search per fold for every k of the grid, even with two
 * trials asking for a fold at once (one builds, the other waits or builds
 * another fold). */
static void test_a_search_over_k_prepares_each_fold_once(void **state) {
    static const char *const items[] = {"k=1..30", "weights=uniform,distance", NULL};
    fixture f;
    setup(&f, "data/iris.csv", "species", "knn", NULL, items);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 2);
    for (int jobs = 1; jobs <= 2; jobs++) {
        prepared_run run = run_prepared(&f, &s, NULL, 0, 0, jobs, DIAL_SAMPLER_GRID, true);
        assert_int_equal(run.trials.count, 60);
        assert_int_equal(run.builds, 5);
        assert_int_equal(run.entries, 5);
        dial_trial_list_free(&run.trials);
    }
    teardown(&f);
}

/* Many preprocessing variants and metrics: the cache keeps at most 4 per
 * fold, the most recently used. */
static void test_the_cache_keeps_at_most_four_variants_per_fold(void **state) {
    static const char *const items[] = {"k=1..10", "metric=euclidean,manhattan,minkowski", "p=1..4",
                                        "scale=standard,minmax,none", NULL};
    fixture f;
    setup(&f, "data/iris.csv", "species", "knn", NULL, items);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 9);
    prepared_run run = run_prepared(&f, &s, NULL, 0, 30, 2, DIAL_SAMPLER_RANDOM, true);
    assert_true(run.builds > 20);
    assert_true(run.entries <= 20);
    dial_trial_list_free(&run.trials);
    teardown(&f);
}

/* ---- known scores ------------------------------------------------------------- */

static void test_logistic_on_breast_cancer_reaches_0_975_mean_cv_accuracy(void **state) {
    static const char *const sets[] = {"max_iter=1000", NULL};
    static const char *const items[] = {"C=1e-2..1e2:log", NULL};
    fixture f;
    setup(&f, "data/breast_cancer.csv", "diagnosis", "logistic", sets, items);
    dial_ctx_set_threads(f.ctx, 2);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 4);
    dial_tune_options options = tune_options(0, 2);
    options.sampler = DIAL_SAMPLER_GRID;
    options.grid_points = 17;
    dial_tune_result result;
    assert_dial_ok(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &result));
    assert_int_equal(result.n_finished, 17);
    assert_true(result.best.value >= 0.975);
    dial_tune_result_free(&result);
    teardown(&f);
}

static void test_knn_on_digits_reaches_0_985_mean_cv_accuracy(void **state) {
    static const char *const sets[] = {"scale=none", NULL};
    static const char *const items[] = {"k=1..4", NULL};
    fixture f;
    setup(&f, "data/digits.csv", "digit", "knn", sets, items);
    dial_ctx_set_threads(f.ctx, 2);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 1);
    dial_tune_options options = tune_options(0, 2);
    options.sampler = DIAL_SAMPLER_GRID;
    dial_tune_result result;
    assert_dial_ok(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &result));
    assert_int_equal(result.n_finished, 4);
    assert_true(result.best.value >= 0.985);
    dial_tune_result_free(&result);
    teardown(&f);
}

/* ---- holdout -------------------------------------------------------------------- */

static void test_holdout_rows_never_reach_a_trial(void **state) {
    static const char *const items[] = {"k=1..30", NULL};
    fixture f;
    setup(&f, "data/iris.csv", "species", "knn", NULL, items);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 2);
    dial_tune_options options = tune_options(6, 1);
    options.holdout = 0.2;
    dial_tune_result result;
    assert_dial_ok(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &result));
    assert_int_equal(result.n_holdout, 30);
    assert_int_equal(result.n_search_rows, 120);
    size_t per_class[3] = {0, 0, 0};
    for (size_t i = 0; i < result.n_holdout; i++) {
        per_class[(size_t)f.data->y[result.holdout_rows[i]]]++;
        assert_false(contains(result.search_rows, result.n_search_rows, result.holdout_rows[i]));
    }
    for (size_t c = 0; c < 3; c++) assert_int_equal(per_class[c], 10); /* stratified */
    /* The folds the trials ran on are those of an objective on the search's
     * rows: none of them touches a held-out row. */
    dial_model_objective *objective = NULL;
    assert_dial_ok(f.ctx, dial_model_objective_create(f.ctx, &s, f.data, result.search_rows,
                                                      result.n_search_rows, &objective));
    const dial_splits *splits = dial_model_objective_splits(objective);
    for (size_t k = 0; k < splits->count; k++) {
        const dial_split *split = &splits->items[k];
        for (size_t j = 0; j < split->n_train; j++)
            assert_false(contains(result.holdout_rows, result.n_holdout, split->train[j]));
        for (size_t j = 0; j < split->n_test; j++)
            assert_false(contains(result.holdout_rows, result.n_holdout, split->test[j]));
    }
    dial_model_objective_free(objective);
    /* The refit learned from the search's rows only, and scored the others. */
    assert_non_null(result.model);
    assert_int_equal(dial_model_get_facts(result.model)->n_rows, 120);
    assert_true(result.holdout_score >= 0.9 && result.holdout_score <= 1);
    dial_tune_result_free(&result);
    teardown(&f);
}

/* ---- nested --------------------------------------------------------------------- */

static void test_nested_runs_a_fresh_study_per_outer_fold(void **state) {
    static const char *const items[] = {"C=1e-2..1e2:log", NULL};
    fixture f;
    setup(&f, "data/wine.csv", "cultivar", "logistic", NULL, items);
    char *path = test_write_temp("", 0, ".db");
    unlink(path); /* a fresh study file */
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 3);
    dial_tune_options options = tune_options(4, 2);
    options.storage = path;
    options.study_name = "wine";
    options.nested = 3;
    dial_ctx_set_threads(f.ctx, 2);
    dial_tune_result result;
    assert_dial_ok(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &result));
    assert_int_equal(result.n_outer, 3);
    double sum = 0, inner = 0;
    for (size_t k = 0; k < 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "wine-outer-%zu", k + 1);
        assert_string_equal(result.outer_studies[k], name);
        sum += result.outer_scores[k];
        inner += result.inner_best[k];
        /* The outer test rows are outside the rows its search saw. */
        const dial_split *outer = &result.outer_splits.items[k];
        for (size_t j = 0; j < outer->n_test; j++)
            assert_false(contains(outer->train, outer->n_train, outer->test[j]));
    }
    assert_near(result.nested_mean, sum / 3, 1e-12);
    assert_near(result.inner_best_mean, inner / 3, 1e-12);

    /* Four studies, each with its own four trials: none shares another's. */
    char **names = NULL;
    size_t n = 0;
    assert_dial_ok(f.ctx, dial_study_names(f.ctx, path, &names, &n));
    assert_int_equal(n, 4);
    for (size_t i = 0; i < n; i++) {
        dial_study *study = NULL;
        assert_dial_ok(f.ctx, dial_study_load(f.ctx, path, names[i], &study));
        dial_trial_list list;
        assert_dial_ok(f.ctx, dial_study_trials(f.ctx, study, &list));
        assert_int_equal(list.count, 4);
        dial_trial_list_free(&list);
        dial_study_free(study);
        free(names[i]);
    }
    free(names);
    dial_tune_result_free(&result);
    unlink(path);
    free(path);
    teardown(&f);
}

static void test_bad_procedures_are_refused(void **state) {
    fixture f;
    setup(&f, "data/iris.csv", "species", "knn", NULL, NULL);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 0);
    dial_tune_result result;
    dial_tune_options options = tune_options(2, 1);
    options.holdout = 1.5;
    assert_dial_error(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &result),
                      DIAL_ERR_ARGUMENT,
                      "holdout = 1.5 is out of range: must be a fraction in (0, 1)");
    options.holdout = 0;
    options.nested = 1;
    assert_dial_error(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &result),
                      DIAL_ERR_ARGUMENT,
                      "nested = 1 is out of range: a nested cross-validation needs at least 2 "
                      "outer folds");
    options.nested = 3;
    options.holdout = 0.2;
    assert_dial_error(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &result),
                      DIAL_ERR_ARGUMENT,
                      "a holdout and a nested cross-validation cannot be combined: choose one");
    teardown(&f);
}

static void test_a_study_without_a_complete_trial_names_the_first_failure(void **state) {
    static const char *const sets[] = {"impute=none", NULL};
    static const char *const items[] = {"k=1..5", NULL};
    fixture f;
    setup(&f, "data/credit_data.csv", "Status", "knn", sets, items);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 0);
    dial_tune_options options = tune_options(2, 1);
    dial_tune_result result;
    dial_status status = dial_tune_model(f.ctx, &s, f.data, &options, &result);
    assert_int_equal(status, DIAL_ERR_DATA);
    assert_non_null(strstr(dial_ctx_error(f.ctx),
                           "no trial of study 'knn' completed; trial 0 failed: fold 1 of 5: "));
    assert_non_null(strstr(dial_ctx_error(f.ctx), "impute=none"));
    teardown(&f);
}

/* ---- resuming and the record -------------------------------------------------------- */

static void test_a_rerun_brings_the_study_to_n_trials_not_n_more(void **state) {
    static const char *const items[] = {"k=1..30", NULL};
    fixture f;
    setup(&f, "data/iris.csv", "species", "knn", NULL, items);
    char *path = test_write_temp("", 0, ".db");
    unlink(path);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 8);
    dial_tune_options options = tune_options(5, 1);
    options.storage = path;
    dial_tune_result first, second, third;
    assert_dial_ok(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &first));
    assert_int_equal(first.n_finished, 5);
    assert_int_equal(first.n_new, 5);
    assert_dial_ok(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &second));
    assert_int_equal(second.n_finished, 5);
    assert_int_equal(second.n_new, 0);
    assert_int_equal(second.best.number, first.best.number);
    options.optimize.n_trials = 7;
    assert_dial_ok(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &third));
    assert_int_equal(third.n_finished, 7);
    assert_int_equal(third.n_new, 2);
    assert_string_equal(third.study_name, "knn");
    dial_tune_result_free(&first);
    dial_tune_result_free(&second);
    dial_tune_result_free(&third);
    unlink(path);
    free(path);
    teardown(&f);
}

static void test_the_refit_carries_its_tuning_record_through_the_model_file(void **state) {
    static const char *const items[] = {"k=3..9", NULL};
    fixture f;
    setup(&f, "data/iris.csv", "species", "knn", NULL, items);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY, 4);
    dial_tune_options options = tune_options(4, 1);
    options.refit = true;
    dial_tune_result result;
    assert_dial_ok(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &result));
    assert_non_null(result.model);
    assert_int_equal(dial_model_get_facts(result.model)->n_rows, 150);
    long k = dial_knobs_find(dial_model_get_knobs(result.model), "k");
    assert_near(dial_model_get_knobs(result.model)->values[k].number, result.best.param_values[0],
                0);

    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(f.ctx, dial_model_save_buffer(f.ctx, result.model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_ok(f.ctx, dial_model_load_buffer(f.ctx, "tuned", bytes, length, &loaded));
    json_t *record = json_loads(dial_model_get_tuning(loaded), 0, NULL);
    assert_non_null(record);
    assert_true(json_is_null(json_object_get(record, "study_file")));
    assert_string_equal(json_string_value(json_object_get(record, "study_name")), "knn");
    assert_int_equal(json_integer_value(json_object_get(record, "trial")), result.best.number);
    assert_string_equal(json_string_value(json_object_get(record, "metric")), "accuracy");
    assert_near(json_real_value(json_object_get(record, "cv_value")), result.best.value, 0);
    assert_near(json_real_value(json_object_get(record, "cv_std")), result.best_std, 0);
    assert_int_equal(json_integer_value(json_object_get(record, "n_trials")), 4);
    json_decref(record);

    /* Saving the loaded model writes the same bytes: the record round-trips. */
    unsigned char *again = NULL;
    size_t again_length = 0;
    assert_dial_ok(f.ctx, dial_model_save_buffer(f.ctx, loaded, &again, &again_length));
    assert_int_equal(again_length, length);
    assert_memory_equal(again, bytes, length);
    free(again);
    free(bytes);
    dial_model_free(loaded);
    dial_tune_result_free(&result);
    teardown(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row_is_tested_once_and_never_trained_on_in_its_fold),
        cmocka_unit_test(test_folds_of_a_row_subset_hold_only_those_rows),
        cmocka_unit_test(test_a_metric_for_the_other_task_is_refused),
        cmocka_unit_test(test_a_trial_reports_each_fold_and_returns_their_mean_as_dial_cv_would),
        cmocka_unit_test(test_a_conditional_knob_is_absent_where_its_condition_fails),
        cmocka_unit_test(test_same_seed_gives_the_same_trials_with_one_job_or_two),
        cmocka_unit_test(test_prepared_folds_score_as_full_fits_over_k_weights_metric_and_scale),
        cmocka_unit_test(test_prepared_folds_score_probabilities_as_full_fits),
        cmocka_unit_test(test_prepared_folds_score_regression_as_full_fits),
        cmocka_unit_test(test_prepared_folds_preprocess_as_full_fits),
        cmocka_unit_test(test_a_fold_that_cannot_be_prepared_fails_as_a_full_fit),
        cmocka_unit_test(test_prepared_trials_are_the_same_with_one_job_or_two),
        cmocka_unit_test(test_a_search_over_k_prepares_each_fold_once),
        cmocka_unit_test(test_the_cache_keeps_at_most_four_variants_per_fold),
        cmocka_unit_test(test_logistic_on_breast_cancer_reaches_0_975_mean_cv_accuracy),
        cmocka_unit_test(test_knn_on_digits_reaches_0_985_mean_cv_accuracy),
        cmocka_unit_test(test_holdout_rows_never_reach_a_trial),
        cmocka_unit_test(test_nested_runs_a_fresh_study_per_outer_fold),
        cmocka_unit_test(test_bad_procedures_are_refused),
        cmocka_unit_test(test_a_study_without_a_complete_trial_names_the_first_failure),
        cmocka_unit_test(test_a_rerun_brings_the_study_to_n_trials_not_n_more),
        cmocka_unit_test(test_the_refit_carries_its_tuning_record_through_the_model_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

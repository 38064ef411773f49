/* Chains along one knob in the built-in objective: a path knob's largest
 * fit scores every smaller value, and a warm knob's ladder starts each rung
 * from the rung below, whatever order the trials come in. The families
 * here are made for the test: their predictions are simple functions of
 * the knobs, so which fit answered a trial shows in its score. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dial/tune_model.h"
#include "tune/objective.h"
#include "models/family_tuning.h"

/* ---- the test families ------------------------------------------------------- */

static const dial_knob_spec toy_knobs[] = {
    {.name = "rounds",
     .type = DIAL_KNOB_INT,
     .default_text = "10",
     .lower = 1,
     .upper = 1000,
     .condition = "",
     .doc = "the path knob: the prediction after m rounds is mean x (1 - 2^-m)"},
    {.name = "C",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .upper = INFINITY,
     .lower_open = true,
     .condition = "",
     .doc = "the warm knob: each rung of a ladder adds 0.001 x its depth"},
    {.name = "offset",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = -INFINITY,
     .upper = INFINITY,
     .condition = "",
     .doc = "added to every prediction"},
};

typedef struct toy_fold {
    double mean; /* of the training targets */
    size_t n_test;
} toy_fold;

typedef struct toy_warm {
    size_t depth; /* rungs below this one in its chain */
} toy_warm;

static dial_status toy_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                           dial_tensors *learned) {
    (void)knobs, (void)in, (void)learned;
    return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "the toy family only predicts folds");
}

static dial_status toy_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                               const dial_fit_input *in, dial_predict_output *out) {
    (void)knobs, (void)learned, (void)in, (void)out;
    return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "the toy family only predicts folds");
}

static dial_status toy_prepare(dial_ctx *ctx, const dial_knobs *knobs, const dial_knobs *knobs_max,
                               const dial_fit_input *train, const dial_fit_input *test,
                               void **fold_state) {
    (void)ctx, (void)knobs, (void)knobs_max;
    toy_fold *fold = malloc(sizeof *fold);
    if (!fold) return DIAL_ERR_NOMEM;
    double sum = 0;
    for (size_t i = 0; i < train->n_rows; i++) sum += train->y[i];
    fold->mean = sum / (double)train->n_rows;
    fold->n_test = test->n_rows;
    *fold_state = fold;
    return DIAL_OK;
}

static double toy_value(const toy_fold *fold, const dial_knobs *knobs, double rounds) {
    return fold->mean * (1 - pow(2, -rounds)) + dial_knobs_float(knobs, "offset");
}

static dial_status toy_predict_fold(dial_ctx *ctx, const dial_knobs *knobs, const void *state,
                                    dial_predict_output *out) {
    (void)ctx;
    const toy_fold *fold = state;
    double value = toy_value(fold, knobs, (double)dial_knobs_int(knobs, "rounds"));
    for (size_t i = 0; i < fold->n_test; i++) out->value[i] = value;
    return DIAL_OK;
}

static dial_status
toy_predict_path(dial_ctx *ctx, const dial_knobs *knobs, const void *state, const size_t *steps,
                 size_t n_steps, bool want_proba,
                 dial_status (*on_step)(void *, size_t, const dial_predict_output *), void *user) {
    (void)want_proba; /* regression: no probabilities */
    const toy_fold *fold = state;
    if ((double)steps[n_steps - 1] != (double)dial_knobs_int(knobs, "rounds"))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "the path must end at the knob's value");
    double *value = malloc(fold->n_test * sizeof *value);
    if (!value) return DIAL_ERR_NOMEM;
    dial_status status = DIAL_OK;
    for (size_t s = 0; status == DIAL_OK && s < n_steps; s++) {
        for (size_t i = 0; i < fold->n_test; i++)
            value[i] = toy_value(fold, knobs, (double)steps[s]);
        dial_predict_output out = {value, NULL};
        status = on_step(user, s, &out);
    }
    free(value);
    return status;
}

static dial_status toy_predict_warm(dial_ctx *ctx, const dial_knobs *knobs, const void *state,
                                    const void *warm, void **solution, dial_predict_output *out) {
    const toy_fold *fold = state;
    const toy_warm *below = warm;
    toy_warm *next = malloc(sizeof *next);
    if (!next) return DIAL_ERR_NOMEM;
    next->depth = below ? below->depth + 1 : 0;
    dial_status status = toy_predict_fold(ctx, knobs, state, out);
    for (size_t i = 0; i < fold->n_test; i++) out->value[i] += 0.001 * (double)next->depth;
    *solution = next;
    return status;
}

static void toy_free(void *state) { free(state); }

static const char *const toy_prepare_knobs[] = {NULL};

static const dial_family_tuning toy_path_tuning = {
    .prepare_knobs = toy_prepare_knobs,
    .prepare_fold = toy_prepare,
    .predict_fold = toy_predict_fold,
    .free_fold = toy_free,
    .path_knob = "rounds",
    .predict_fold_path = toy_predict_path,
};

static const dial_model_family toy_path_family = {
    .name = "toy_path",
    .summary = "a path along rounds",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .knobs = toy_knobs,
    .n_knobs = sizeof toy_knobs / sizeof toy_knobs[0],
    .fit = toy_fit,
    .predict = toy_predict,
    .tuning = &toy_path_tuning,
};

static const dial_family_tuning toy_warm_tuning = {
    .prepare_knobs = toy_prepare_knobs,
    .prepare_fold = toy_prepare,
    .predict_fold = toy_predict_fold,
    .free_fold = toy_free,
    .warm_knob = "C",
    .predict_fold_warm = toy_predict_warm,
    .free_warm = toy_free,
};

static const dial_model_family toy_warm_family = {
    .name = "toy_warm",
    .summary = "warm starts along C",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .knobs = toy_knobs,
    .n_knobs = sizeof toy_knobs / sizeof toy_knobs[0],
    .fit = toy_fit,
    .predict = toy_predict,
    .tuning = &toy_warm_tuning,
};

/* ---- running a search ------------------------------------------------------------ */

typedef struct chain_run {
    dial_trial_list trials;
    size_t chain_fits;
} chain_run;

/* Searches items on diabetes (5 folds, RMSE) with the family, the chains
 * on or off, judged along the path by pruner (NULL: none). */
static chain_run run_pruned(const dial_model_family *family, const char *const *items,
                            dial_sampler_kind sampler, int64_t n_trials, int jobs, bool chains,
                            const char *pruner) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/diabetes.csv", "progression", &table);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, family, &knobs));
    dial_space space = {0};
    for (size_t i = 0; items[i]; i++)
        assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, items[i]));
    dial_tune_setup setup = {.family = family,
                             .knobs = &knobs,
                             .space = &space,
                             .metric = DIAL_METRIC_RMSE,
                             .folds = 5,
                             .seed = 3};
    dial_model_objective *objective = NULL;
    assert_dial_ok(ctx, dial_model_objective_create(ctx, &setup, data, NULL, 0, &objective));
    assert_dial_ok(ctx, dial_objective_set_sampler(ctx, objective, sampler, 0));
    dial_objective_set_chains(objective, chains);
    dial_objective_set_pruning(objective, pruner != NULL, DIAL_RESOURCE_PATH);
    dial_study_options options = {.name = "chains",
                                  .direction = DIAL_MINIMIZE,
                                  .sampler = sampler,
                                  .space = dial_model_objective_space(objective),
                                  .seed = 3,
                                  .pruner = pruner,
                                  .resource = DIAL_RESOURCE_PATH};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    dial_optimize_options optimize = {.n_trials = n_trials, .jobs = jobs};
    assert_dial_ok(ctx,
                   dial_study_optimize(ctx, study, dial_model_objective_run, objective, &optimize));
    chain_run out;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &out.trials));
    out.chain_fits = dial_objective_chain_fits(objective);
    dial_study_free(study);
    dial_model_objective_free(objective);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return out;
}

static chain_run run(const dial_model_family *family, const char *const *items,
                     dial_sampler_kind sampler, int64_t n_trials, int jobs, bool chains) {
    return run_pruned(family, items, sampler, n_trials, jobs, chains, NULL);
}

/* The text of a trial's param, "" when absent. */
static const char *param_text(const dial_trial_record *trial, const char *name) {
    for (size_t p = 0; p < trial->n_params; p++)
        if (strcmp(trial->param_names[p], name) == 0) return trial->param_texts[p];
    return "";
}

/* The value of the trial of a with the same params as b's trial t. */
static double value_of_same_params(const dial_trial_list *a, const dial_trial_record *like) {
    for (size_t t = 0; t < a->count; t++) {
        const dial_trial_record *trial = &a->items[t];
        bool same = trial->n_params == like->n_params;
        for (size_t p = 0; same && p < like->n_params; p++)
            same = strcmp(param_text(trial, like->param_names[p]), like->param_texts[p]) == 0;
        if (same) return trial->value;
    }
    fail_msg("no trial with the same params");
    return NAN;
}

static void assert_same_values(const chain_run *a, const chain_run *b) {
    assert_int_equal(a->trials.count, b->trials.count);
    for (size_t t = 0; t < a->trials.count; t++) {
        const dial_trial_record *trial = &a->trials.items[t];
        assert_int_equal(trial->state, DIAL_TRIAL_COMPLETE);
        double other = value_of_same_params(&b->trials, trial);
        assert_memory_equal(&trial->value, &other, sizeof other);
    }
}

static void free_run(chain_run *r) { dial_trial_list_free(&r->trials); }

/* ---- paths ---------------------------------------------------------------------- */

static void test_a_path_grid_fits_once_per_value_of_the_other_knobs(void **state) {
    (void)state;
    static const char *const items[] = {"rounds=1,5,20", "offset=0,1", NULL};
    chain_run chained = run(&toy_path_family, items, DIAL_SAMPLER_GRID, 0, 1, true);
    chain_run plain = run(&toy_path_family, items, DIAL_SAMPLER_GRID, 0, 1, false);
    assert_int_equal(chained.trials.count, 6);
    assert_int_equal(chained.chain_fits, 2 * 5); /* two offsets, five folds */
    assert_int_equal(plain.chain_fits, 0);
    assert_same_values(&chained, &plain);
    free_run(&chained);
    free_run(&plain);
}

static void test_a_path_grid_with_two_jobs_scores_as_one_job(void **state) {
    (void)state;
    static const char *const items[] = {"rounds=2,4,8,16", "offset=0,0.5,1", NULL};
    chain_run two = run(&toy_path_family, items, DIAL_SAMPLER_GRID, 0, 2, true);
    chain_run one = run(&toy_path_family, items, DIAL_SAMPLER_GRID, 0, 1, true);
    assert_int_equal(two.chain_fits, 3 * 5);
    assert_same_values(&two, &one);
    free_run(&two);
    free_run(&one);
}

static void test_a_path_range_under_random_sampling_reuses_longer_fits(void **state) {
    (void)state;
    static const char *const items[] = {"rounds=1..40", NULL};
    chain_run chained = run(&toy_path_family, items, DIAL_SAMPLER_RANDOM, 30, 1, true);
    chain_run plain = run(&toy_path_family, items, DIAL_SAMPLER_RANDOM, 30, 1, false);
    /* a trial fits only when its rounds exceed every earlier trial's */
    size_t records = 0;
    double longest = 0;
    for (size_t t = 0; t < chained.trials.count; t++) {
        double rounds = atof(param_text(&chained.trials.items[t], "rounds"));
        if (rounds > longest) records++, longest = rounds;
    }
    assert_int_equal(chained.chain_fits, records * 5);
    assert_true(records < 30);
    assert_same_values(&chained, &plain);
    free_run(&chained);
    free_run(&plain);
}

static void test_a_path_trial_records_the_mean_score_of_every_step_it_scored(void **state) {
    (void)state;
    static const char *const items[] = {"rounds=1,5,20", "offset=0.5", NULL};
    chain_run chained = run(&toy_path_family, items, DIAL_SAMPLER_GRID, 0, 1, true);
    chain_run plain = run(&toy_path_family, items, DIAL_SAMPLER_GRID, 0, 1, false);
    for (size_t t = 0; t < chained.trials.count; t++) {
        const dial_trial_record *trial = &chained.trials.items[t];
        int64_t rounds = atoi(param_text(trial, "rounds"));
        /* the steps the list asks for, up to the trial's own */
        int64_t expected[] = {1, 5, 20};
        size_t n = rounds == 1 ? 1 : rounds == 5 ? 2 : 3;
        assert_int_equal(trial->n_path, n);
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(trial->path_steps[i], expected[i]);
            /* each step's mean is the value of the trial at that step */
            for (size_t u = 0; u < plain.trials.count; u++)
                if (atoi(param_text(&plain.trials.items[u], "rounds")) == expected[i])
                    assert_memory_equal(&trial->path_values[i], &plain.trials.items[u].value,
                                        sizeof(double));
        }
        assert_memory_equal(&trial->path_values[n - 1], &trial->value, sizeof(double));
        assert_int_equal(plain.trials.items[t].n_path, 0); /* no chain, no path */
    }
    free_run(&chained);
    free_run(&plain);
}

/* ---- paths under a pruner ----------------------------------------------------- */

/* asha on rounds 1..100 (rungs 3, 9, 27, 81): every trial's folds are
 * fitted once, to its own rounds, and paused at the rungs below them; a
 * trial the pruner lets go on resumes its fits rather than fitting again
 * (an offset searched at random: no two trials share a path). Survivors
 * score exactly as without a pruner. */
static void test_a_judged_path_trial_fits_each_fold_once(void **state) {
    (void)state;
    static const char *const items[] = {"rounds=1..100", "offset=-1..1", NULL};
    chain_run pruned =
        run_pruned(&toy_path_family, items, DIAL_SAMPLER_RANDOM, 30, 1, true, "asha");
    chain_run plain = run(&toy_path_family, items, DIAL_SAMPLER_RANDOM, 30, 1, true);
    assert_int_equal(pruned.chain_fits, 30 * 5);
    size_t n_pruned = 0, judged_survivors = 0;
    for (size_t t = 0; t < pruned.trials.count; t++) {
        const dial_trial_record *a = &pruned.trials.items[t], *b = &plain.trials.items[t];
        if (a->state == DIAL_TRIAL_PRUNED) {
            n_pruned++;
            continue;
        }
        assert_int_equal(a->state, DIAL_TRIAL_COMPLETE);
        assert_memory_equal(&a->value, &b->value, sizeof a->value);
        assert_int_equal(a->n_path, b->n_path);
        assert_memory_equal(a->path_values, b->path_values, a->n_path * sizeof(double));
        judged_survivors += atoi(param_text(a, "rounds")) > 3;
    }
    assert_true(n_pruned > 0);
    assert_true(judged_survivors > 0);
    free_run(&pruned);
    free_run(&plain);
}

/* Two jobs whose trials share every knob but the path (one memo per
 * fold): paused fits never hold a memo another trial waits for, so the
 * search ends, and what it scores is what one job scores. */
static void test_judged_path_trials_sharing_a_memo_on_two_jobs_finish(void **state) {
    (void)state;
    static const char *const items[] = {"rounds=1..100", "offset=0.5", NULL};
    chain_run two = run_pruned(&toy_path_family, items, DIAL_SAMPLER_RANDOM, 40, 2, true, "asha");
    chain_run plain = run(&toy_path_family, items, DIAL_SAMPLER_RANDOM, 40, 1, true);
    assert_int_equal(two.trials.count, 40);
    for (size_t t = 0; t < two.trials.count; t++) {
        const dial_trial_record *a = &two.trials.items[t], *b = &plain.trials.items[t];
        if (a->state != DIAL_TRIAL_COMPLETE) continue;
        assert_memory_equal(&a->value, &b->value, sizeof a->value);
    }
    free_run(&two);
    free_run(&plain);
}

/* ---- warm ladders ------------------------------------------------------------ */

static void test_a_warm_ladder_starts_each_rung_from_the_rung_below(void **state) {
    (void)state;
    static const char *const items[] = {"C=1,2,4,8", "offset=0,1", NULL};
    chain_run chained = run(&toy_warm_family, items, DIAL_SAMPLER_GRID, 0, 1, true);
    chain_run plain = run(&toy_warm_family, items, DIAL_SAMPLER_GRID, 0, 1, false);
    assert_int_equal(chained.chain_fits, 4 * 2 * 5); /* every rung once per fold */
    for (size_t t = 0; t < chained.trials.count; t++) {
        const dial_trial_record *trial = &chained.trials.items[t];
        double depth = log2(atof(param_text(trial, "C")));
        double cold = value_of_same_params(&plain.trials, trial);
        if (depth == 0) /* the bottom rung is a cold start: predict_fold exactly */
            assert_memory_equal(&trial->value, &cold, sizeof cold);
        else /* each rung deeper adds 0.001 to every prediction */
            assert_true(trial->value != cold);
    }
    free_run(&chained);
    free_run(&plain);
}

static void test_a_warm_ladder_does_not_depend_on_the_order_of_the_trials(void **state) {
    (void)state;
    static const char *const items[] = {"C=0.5,1,2,4,8,16", NULL};
    /* random order over the list, twice as many trials as rungs, two jobs */
    chain_run shuffled = run(&toy_warm_family, items, DIAL_SAMPLER_RANDOM, 12, 2, true);
    chain_run ordered = run(&toy_warm_family, items, DIAL_SAMPLER_GRID, 0, 1, true);
    for (size_t t = 0; t < shuffled.trials.count; t++) {
        const dial_trial_record *trial = &shuffled.trials.items[t];
        double expected = value_of_same_params(&ordered.trials, trial);
        assert_memory_equal(&trial->value, &expected, sizeof expected);
    }
    assert_true(shuffled.chain_fits <= 6 * 5);
    free_run(&shuffled);
    free_run(&ordered);
}

static void test_a_warm_knob_over_a_range_chains_only_under_the_grid(void **state) {
    (void)state;
    static const char *const items[] = {"C=0.01..100:log", NULL};
    chain_run random = run(&toy_warm_family, items, DIAL_SAMPLER_RANDOM, 5, 1, true);
    chain_run grid = run(&toy_warm_family, items, DIAL_SAMPLER_GRID, 0, 1, true);
    assert_int_equal(random.chain_fits, 0); /* every value new: cold fits */
    assert_int_equal(grid.chain_fits, 10 * 5);
    free_run(&random);
    free_run(&grid);
}

/* ---- order hints for the study's sampler ----------------------------------------- */

/* The role the objective asks the sampler to give each searched knob. */
static void assert_roles(const dial_model_family *family, const char *const *items,
                         const dial_order_role *expected) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/diabetes.csv", "progression", &table);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, family, &knobs));
    dial_space space = {0};
    for (size_t i = 0; items[i]; i++)
        assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, items[i]));
    dial_tune_setup setup = {.family = family,
                             .knobs = &knobs,
                             .space = &space,
                             .metric = DIAL_METRIC_RMSE,
                             .folds = 3,
                             .seed = 3};
    dial_model_objective *objective = NULL;
    assert_dial_ok(ctx, dial_model_objective_create(ctx, &setup, data, NULL, 0, &objective));
    const dial_space *searched = dial_model_objective_space(objective);
    const dial_order_role *roles = dial_objective_order_roles(objective);
    assert_non_null(roles);
    for (size_t i = 0; items[i]; i++) {
        long at = dial_space_find(searched, items[i][0] == 'r'   ? "rounds"
                                            : items[i][0] == 'C' ? "C"
                                                                 : "offset");
        assert_true(at >= 0);
        assert_int_equal(roles[at], expected[i]);
    }
    dial_model_objective_free(objective);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void test_the_path_knob_is_hinted_descending_and_the_warm_knob_ascending(void **state) {
    (void)state;
    static const char *const path_items[] = {"rounds=1,5,20", "offset=0,1", NULL};
    const dial_order_role path_roles[] = {DIAL_ORDER_DESCENDING, DIAL_ORDER_SPREAD};
    assert_roles(&toy_path_family, path_items, path_roles);
    static const char *const warm_items[] = {"C=1,2,4", "offset=0,1", NULL};
    const dial_order_role warm_roles[] = {DIAL_ORDER_ASCENDING, DIAL_ORDER_SPREAD};
    assert_roles(&toy_warm_family, warm_items, warm_roles);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_path_knob_is_hinted_descending_and_the_warm_knob_ascending),
        cmocka_unit_test(test_a_path_grid_fits_once_per_value_of_the_other_knobs),
        cmocka_unit_test(test_a_path_grid_with_two_jobs_scores_as_one_job),
        cmocka_unit_test(test_a_path_range_under_random_sampling_reuses_longer_fits),
        cmocka_unit_test(test_a_path_trial_records_the_mean_score_of_every_step_it_scored),
        cmocka_unit_test(test_a_judged_path_trial_fits_each_fold_once),
        cmocka_unit_test(test_judged_path_trials_sharing_a_memo_on_two_jobs_finish),
        cmocka_unit_test(test_a_warm_ladder_starts_each_rung_from_the_rung_below),
        cmocka_unit_test(test_a_warm_ladder_does_not_depend_on_the_order_of_the_trials),
        cmocka_unit_test(test_a_warm_knob_over_a_range_chains_only_under_the_grid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

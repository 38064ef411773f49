/* The multilayer perceptron's hooks for tuning: a prepared fold predicts
 * as a full fit and predict would (predict_fold), and one training run
 * along the epoch path predicts, after each requested epoch, exactly what a
 * fit of that many epochs would (predict_fold_path), bit for bit; knobs
 * that break the path are refused. The split is fixed: rows with
 * index % 5 == 0 test, the others train; features as read (the bits, not
 * the accuracy, are under test). */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "models/family_tuning.h"

extern const dial_model_family dial_model_mlp;

/* One fold as the family sees it. */
/* Predictions of the test rows: values, and probabilities in
 * classification. */
typedef struct predictions {
    double *value, *proba;
    size_t n, n_classes;
} predictions;

static predictions predictions_new(const test_fold *f) {
    size_t n = f->test.n_rows, c = f->n_classes;
    predictions p = {.value = malloc(n * sizeof(double)),
                     .proba = c ? malloc(n * c * sizeof(double)) : NULL,
                     .n = n,
                     .n_classes = c};
    memset(p.value, 0xff, n * sizeof(double));
    if (c) memset(p.proba, 0xff, n * c * sizeof(double));
    return p;
}

static void predictions_free(predictions *p) {
    free(p->value);
    free(p->proba);
}

static dial_predict_output output_of(predictions *p) {
    return (dial_predict_output){p->value, p->proba};
}

static void assert_same_predictions(const predictions *a, const predictions *b, const char *what) {
    if (memcmp(a->value, b->value, a->n * sizeof(double)) != 0)
        fail_msg("%s: the predicted values differ", what);
    if (a->proba && memcmp(a->proba, b->proba, a->n * a->n_classes * sizeof(double)) != 0)
        fail_msg("%s: the probabilities differ", what);
}

/* What fit followed by predict gives on the fold, with epochs (0: the
 * knobs' own). */
static predictions fit_and_predict(dial_ctx *ctx, const test_fold *f, dial_knobs *knobs,
                                   long epochs) {
    if (epochs) assert_dial_ok(ctx, dial_knobs_set_number(ctx, knobs, "epochs", (double)epochs));
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_mlp.fit(ctx, knobs, &f->train, &learned));
    predictions p = predictions_new(f);
    dial_predict_output out = output_of(&p);
    assert_dial_ok(ctx, dial_model_mlp.predict(ctx, knobs, &learned, &f->test, &out));
    dial_tensors_clear(&learned);
    return p;
}

static void *prepare(dial_ctx *ctx, const test_fold *f, const dial_knobs *knobs) {
    void *state = NULL;
    assert_dial_ok(
        ctx, dial_model_mlp.tuning->prepare_fold(ctx, knobs, knobs, &f->train, &f->test, &state));
    assert_non_null(state);
    return state;
}

/* Keeps a copy of every step's predictions. */
typedef struct path_log {
    predictions *steps;
    size_t calls, stop_with_error_at;
} path_log;

static dial_status record_step(void *user, size_t s, const dial_predict_output *out) {
    path_log *log = user;
    assert_int_equal(s, log->calls);
    predictions *p = &log->steps[s];
    memcpy(p->value, out->value, p->n * sizeof(double));
    if (p->proba) {
        assert_non_null(out->proba);
        memcpy(p->proba, out->proba, p->n * p->n_classes * sizeof(double));
    } else {
        assert_null(out->proba);
    }
    log->calls++;
    return log->calls == log->stop_with_error_at ? DIAL_ERR_ARGUMENT : DIAL_OK;
}

/* The path of one run of steps[n_steps - 1] epochs, at every step, equals
 * a fit of that many epochs with the same other settings, bit for bit. */
static void assert_path_is_separate_fits(const char *path, const char *target,
                                         const char *const *settings, const size_t *steps,
                                         size_t n_steps, int threads) {
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_threads(ctx, threads);
    test_fold f = test_load_fold(path, target, 5, false);
    dial_knobs knobs = test_knobs(ctx, &dial_model_mlp, settings);
    assert_dial_ok(ctx, dial_knobs_set_number(ctx, &knobs, "epochs", (double)steps[n_steps - 1]));
    void *state = prepare(ctx, &f, &knobs);
    path_log log = {.steps = malloc(n_steps * sizeof *log.steps)};
    for (size_t s = 0; s < n_steps; s++) log.steps[s] = predictions_new(&f);
    assert_dial_ok(ctx, dial_model_mlp.tuning->predict_fold_path(ctx, &knobs, state, steps, n_steps,
                                                                 true, record_step, &log));
    assert_int_equal(log.calls, n_steps);
    /* The run moves: its last step does not predict as its first. */
    size_t outputs = f.n_classes ? f.test.n_rows * f.n_classes : f.test.n_rows;
    assert_true(memcmp(f.n_classes ? log.steps[0].proba : log.steps[0].value,
                       f.n_classes ? log.steps[n_steps - 1].proba : log.steps[n_steps - 1].value,
                       outputs * sizeof(double)) != 0);
    /* Without want_proba: the same predictions, and no probability rows. */
    path_log bare = {.steps = malloc(n_steps * sizeof *bare.steps)};
    for (size_t s = 0; s < n_steps; s++) {
        bare.steps[s] = predictions_new(&f);
        free(bare.steps[s].proba);
        bare.steps[s].proba = NULL;
    }
    assert_dial_ok(ctx, dial_model_mlp.tuning->predict_fold_path(ctx, &knobs, state, steps, n_steps,
                                                                 false, record_step, &bare));
    for (size_t s = 0; s < n_steps; s++) {
        assert_memory_equal(bare.steps[s].value, log.steps[s].value,
                            f.test.n_rows * sizeof(double));
        predictions_free(&bare.steps[s]);
    }
    free(bare.steps);
    for (size_t s = 0; s < n_steps; s++) {
        predictions full = fit_and_predict(ctx, &f, &knobs, (long)steps[s]);
        char what[64];
        snprintf(what, sizeof what, "%s after %zu epochs", path, steps[s]);
        assert_same_predictions(&full, &log.steps[s], what);
        predictions_free(&full);
        predictions_free(&log.steps[s]);
    }
    free(log.steps);
    dial_model_mlp.tuning->free_fold(state);
    dial_knobs_free(&knobs);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

/* ---- the epoch path ---------------------------------------------------- */

static void the_family_names_epochs_as_its_path_knob(void **state) {
    (void)state;
    assert_non_null(dial_model_mlp.tuning->prepare_knobs);
    assert_null(dial_model_mlp.tuning->prepare_knobs[0]);
    assert_non_null(dial_model_mlp.tuning->prepare_fold);
    assert_non_null(dial_model_mlp.tuning->predict_fold);
    assert_non_null(dial_model_mlp.tuning->free_fold);
    assert_non_null(dial_model_mlp.tuning->predict_fold_path);
    assert_string_equal(dial_model_mlp.tuning->path_knob, "epochs");
    assert_null(dial_model_mlp.tuning->warm_knob);
}

static void one_forty_epoch_run_on_digits_predicts_as_fits_of_1_5_17_and_40_epochs(void **state) {
    (void)state;
    static const size_t steps[] = {1, 5, 17, 40};
    assert_path_is_separate_fits("data/digits.csv", "digit",
                                 (const char *const[]){"hidden=16", NULL}, steps, 4, 1);
}

static void the_path_on_two_threads_predicts_as_fits_on_two_threads(void **state) {
    (void)state;
    static const size_t steps[] = {2, 7};
    assert_path_is_separate_fits("data/digits.csv", "digit",
                                 /* wide enough to train on two threads */
                                 (const char *const[]){"hidden=300,100", NULL}, steps, 2, 2);
}

static void sgd_invscaling_and_dropout_keep_the_path_exact(void **state) {
    (void)state;
    static const size_t steps[] = {1, 3, 8};
    assert_path_is_separate_fits("data/digits.csv", "digit",
                                 (const char *const[]){"hidden=16,12", "solver=sgd",
                                                       "learning_rate=0.01", "schedule=invscaling",
                                                       "dropout=0.2", "activation=tanh", NULL},
                                 steps, 3, 1);
}

static void a_regression_path_predicts_the_unscaled_target_as_fits_do(void **state) {
    (void)state;
    static const size_t steps[] = {1, 4, 20};
    assert_path_is_separate_fits("data/diabetes.csv", "progression",
                                 (const char *const[]){"hidden=16", "batch_size=32", NULL}, steps,
                                 3, 1);
}

static void a_cosine_schedule_has_no_epoch_path(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/iris.csv", "species", 5, false);
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_mlp, (const char *const[]){"schedule=cosine", NULL});
    void *fold = prepare(ctx, &f, &knobs);
    static const size_t steps[] = {5, 10};
    path_log log = {0};
    assert_dial_error(ctx,
                      dial_model_mlp.tuning->predict_fold_path(ctx, &knobs, fold, steps, 2, true,
                                                               record_step, &log),
                      DIAL_ERR_UNSUPPORTED,
                      "mlp: no epoch path with schedule=cosine, whose rate depends on the total "
                      "epochs");
    assert_int_equal(log.calls, 0);
    dial_model_mlp.tuning->free_fold(fold);
    dial_knobs_free(&knobs);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

static void early_stopping_has_no_epoch_path(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/iris.csv", "species", 5, false);
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_mlp, (const char *const[]){"early_stopping=true", NULL});
    void *fold = prepare(ctx, &f, &knobs);
    static const size_t steps[] = {5, 10};
    path_log log = {0};
    assert_dial_error(ctx,
                      dial_model_mlp.tuning->predict_fold_path(ctx, &knobs, fold, steps, 2, true,
                                                               record_step, &log),
                      DIAL_ERR_UNSUPPORTED,
                      "mlp: no epoch path with early_stopping=true, which keeps the best epoch "
                      "of the whole run");
    assert_int_equal(log.calls, 0);
    dial_model_mlp.tuning->free_fold(fold);
    dial_knobs_free(&knobs);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

static void path_steps_must_increase(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/iris.csv", "species", 5, false);
    dial_knobs knobs = test_knobs(ctx, &dial_model_mlp, NULL);
    void *fold = prepare(ctx, &f, &knobs);
    static const size_t steps[] = {5, 5};
    path_log log = {0};
    assert_dial_error(ctx,
                      dial_model_mlp.tuning->predict_fold_path(ctx, &knobs, fold, steps, 2, true,
                                                               record_step, &log),
                      DIAL_ERR_ARGUMENT,
                      "mlp: the epochs of a path must be positive and increasing; step 1 is 5");
    dial_model_mlp.tuning->free_fold(fold);
    dial_knobs_free(&knobs);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

static void a_failing_step_stops_the_run_with_its_status(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/iris.csv", "species", 5, false);
    dial_knobs knobs = test_knobs(ctx, &dial_model_mlp, (const char *const[]){"hidden=8", NULL});
    void *fold = prepare(ctx, &f, &knobs);
    static const size_t steps[] = {1, 2, 3};
    path_log log = {.steps = malloc(3 * sizeof *log.steps), .stop_with_error_at = 2};
    for (size_t s = 0; s < 3; s++) log.steps[s] = predictions_new(&f);
    assert_int_equal(dial_model_mlp.tuning->predict_fold_path(ctx, &knobs, fold, steps, 3, true,
                                                              record_step, &log),
                     DIAL_ERR_ARGUMENT);
    assert_int_equal(log.calls, 2);
    for (size_t s = 0; s < 3; s++) predictions_free(&log.steps[s]);
    free(log.steps);
    dial_model_mlp.tuning->free_fold(fold);
    dial_knobs_free(&knobs);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

/* ---- predict_fold ------------------------------------------------------- */

static void assert_fold_predicts_as_fit_and_predict(const char *path, const char *target,
                                                    const char *const *settings) {
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold(path, target, 5, false);
    dial_knobs knobs = test_knobs(ctx, &dial_model_mlp, settings);
    void *fold = prepare(ctx, &f, &knobs);
    predictions full = fit_and_predict(ctx, &f, &knobs, 0);
    predictions fast = predictions_new(&f);
    dial_predict_output out = output_of(&fast);
    assert_dial_ok(ctx, dial_model_mlp.tuning->predict_fold(ctx, &knobs, fold, &out));
    assert_same_predictions(&full, &fast, path);
    predictions_free(&full);
    predictions_free(&fast);
    dial_model_mlp.tuning->free_fold(fold);
    dial_knobs_free(&knobs);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

static void predict_fold_on_digits_is_fit_and_predict(void **state) {
    (void)state;
    assert_fold_predicts_as_fit_and_predict("data/digits.csv", "digit",
                                            (const char *const[]){"hidden=16", "epochs=10", NULL});
}

static void predict_fold_with_early_stopping_and_cosine_is_fit_and_predict(void **state) {
    (void)state;
    assert_fold_predicts_as_fit_and_predict(
        "data/iris.csv", "species",
        (const char *const[]){"hidden=12", "epochs=30", "early_stopping=true", "patience=3",
                              "schedule=cosine", NULL});
}

static void predict_fold_in_regression_is_fit_and_predict(void **state) {
    (void)state;
    assert_fold_predicts_as_fit_and_predict("data/diabetes.csv", "progression",
                                            (const char *const[]){"hidden=16", "epochs=15", NULL});
}

static void prepare_fold_refuses_test_rows_of_another_width(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    test_fold f = test_load_fold("data/iris.csv", "species", 5, false);
    dial_knobs knobs = test_knobs(ctx, &dial_model_mlp, NULL);
    dial_fit_input test = f.test;
    test.n_features = 3;
    void *fold = (void *)&f;
    assert_dial_error(
        ctx, dial_model_mlp.tuning->prepare_fold(ctx, &knobs, &knobs, &f.train, &test, &fold),
        DIAL_ERR_ARGUMENT, "mlp: the fold's test rows have 3 features, its training rows 4");
    assert_null(fold);
    dial_knobs_free(&knobs);
    test_fold_free(&f);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_family_names_epochs_as_its_path_knob),
        cmocka_unit_test(one_forty_epoch_run_on_digits_predicts_as_fits_of_1_5_17_and_40_epochs),
        cmocka_unit_test(the_path_on_two_threads_predicts_as_fits_on_two_threads),
        cmocka_unit_test(sgd_invscaling_and_dropout_keep_the_path_exact),
        cmocka_unit_test(a_regression_path_predicts_the_unscaled_target_as_fits_do),
        cmocka_unit_test(a_cosine_schedule_has_no_epoch_path),
        cmocka_unit_test(early_stopping_has_no_epoch_path),
        cmocka_unit_test(path_steps_must_increase),
        cmocka_unit_test(a_failing_step_stops_the_run_with_its_status),
        cmocka_unit_test(predict_fold_on_digits_is_fit_and_predict),
        cmocka_unit_test(predict_fold_with_early_stopping_and_cosine_is_fit_and_predict),
        cmocka_unit_test(predict_fold_in_regression_is_fit_and_predict),
        cmocka_unit_test(prepare_fold_refuses_test_rows_of_another_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

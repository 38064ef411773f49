/* logistic on sparse input (src/models/logistic_dual.c): LIBLINEAR's dual
 * coordinate descent, one class against the rest, scored against
 * liblinear-train on the same rows.
 *
 * The reference accuracies were computed once with Debian's liblinear-tools
 * (2.3) on the rows with index i % 5 != 0 (training) and i % 5 == 0 (test,
 * 0-based), the bias as -B 1:
 *   awk 'NR%5!=1' data/F.libsvm > train; awk 'NR%5==1' data/F.libsvm > test
 *   liblinear-train -q -s 0 -c 1 -B 1 train model; liblinear-predict test model out
 * heart_scale: 87.037% (47/54) with -s 0 and with -s 7;
 * text_small:  88% (88/100) with -s 0 and with -s 7. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Accuracy in percent of logistic (settings) fitted on the rows i % 5 != 0
 * of a LIBSVM file and scored on the others. */
static double holdout_accuracy(const char *path, const char *const *settings) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, NULL, &table);
    assert_non_null(data->sparse);
    size_t n = data->n_rows, *train = malloc(n * sizeof *train), *test = malloc(n * sizeof *test);
    size_t n_train = 0, n_test = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            test[n_test++] = i;
        else
            train[n_train++] = i;
    }
    const dial_model_family *logistic = dial_model_family_find("logistic");
    dial_knobs knobs = test_knobs(ctx, logistic, settings);
    dial_view fit_rows = {.data = data, .rows = train, .n = n_train};
    dial_view test_rows = {.data = data, .rows = test, .n = n_test};
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, logistic, &knobs, &fit_rows, &model));
    double *value = malloc(n_test * sizeof *value);
    double *proba = malloc(n_test * data->n_classes * sizeof *proba);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &test_rows, value, proba));
    size_t right = 0;
    for (size_t i = 0; i < n_test; i++) {
        right += value[i] == data->y[test[i]];
        double sum = 0;
        for (size_t k = 0; k < data->n_classes; k++) sum += proba[i * data->n_classes + k];
        assert_true(fabs(sum - 1) < 1e-12);
    }
    double accuracy = 100.0 * (double)right / (double)n_test;
    free(value);
    free(proba);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    free(train);
    free(test);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return accuracy;
}

static void assert_within_half_a_point(double got, double liblinear) {
    if (fabs(got - liblinear) > 0.5)
        fail_msg("dial scores %.3f%%, liblinear-train %.3f%%", got, liblinear);
}

static void heart_scale_scores_as_liblinear(void **state) {
    (void)state;
    assert_within_half_a_point(holdout_accuracy("data/heart_scale.libsvm", NULL), 87.037);
}

static void text_small_five_classes_score_as_liblinear(void **state) {
    (void)state;
    assert_within_half_a_point(holdout_accuracy("data/text_small.libsvm", NULL), 88.0);
}

/* The same seed, the same weights: the passes' row orders come from it. */
static void a_sparse_fit_is_the_same_for_the_same_seed(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/text_small.libsvm", NULL, &table);
    const dial_model_family *logistic = dial_model_family_find("logistic");
    dial_knobs knobs = test_knobs(ctx, logistic, (const char *const[]){"C=10", NULL});
    dial_view all = dial_view_all(data);
    dial_model *a = NULL, *b = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, logistic, &knobs, &all, &a));
    assert_dial_ok(ctx, dial_model_fit(ctx, logistic, &knobs, &all, &b));
    const dial_tensor *ca = dial_tensors_find(dial_model_get_tensors(a), "coef");
    const dial_tensor *cb = dial_tensors_find(dial_model_get_tensors(b), "coef");
    assert_int_equal(ca->shape[0], 5); /* one row per class: each against the rest */
    assert_int_equal(ca->shape[1], 2999);
    assert_memory_equal(ca->data, cb->data, 5 * 2999 * sizeof(double));
    dial_model_free(a);
    dial_model_free(b);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* With five classes the five problems are swept together in one order
 * (logistic_dual.c); each must still reach its own optimum. The primal
 * objective ||w||^2 / 2 + b^2 / 2 + C sum_i log(1 + exp(-y_i (w.x_i + b)))
 * of class k against the rest at C = 1, on the rows i % 5 != 0 of
 * text_small, from scikit-learn 1.2's LogisticRegression(solver=
 * "liblinear", C=1, intercept_scaling=1, tol=1e-12) per class (labels 1
 * .. 5, y = +1 for the class): dial's weights, stopped at LIBLINEAR's
 * tolerance, come within 1e-4 of it (relative). */
static void five_classes_swept_together_each_reach_their_optimum(void **state) {
    (void)state;
    static const double reference[5] = {22.227816656188097, 26.95404799925852, 25.44879374742667,
                                        21.760969381648366, 22.27619049290562};
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/text_small.libsvm", NULL, &table);
    const dial_csr *x = data->sparse;
    size_t n = data->n_rows, *train = malloc(n * sizeof *train), n_train = 0;
    for (size_t i = 0; i < n; i++)
        if (i % 5 != 0) train[n_train++] = i;
    const dial_model_family *logistic = dial_model_family_find("logistic");
    dial_knobs knobs = test_knobs(ctx, logistic, (const char *const[]){"C=1", NULL});
    dial_view fit_rows = {.data = data, .rows = train, .n = n_train};
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, logistic, &knobs, &fit_rows, &model));
    const dial_tensor *coef = dial_tensors_find(dial_model_get_tensors(model), "coef");
    const dial_tensor *intercept = dial_tensors_find(dial_model_get_tensors(model), "intercept");
    assert_int_equal(coef->shape[0], 5);
    size_t p = coef->shape[1];
    for (size_t k = 0; k < 5; k++) {
        const double *w = (const double *)coef->data + k * p;
        double b = ((const double *)intercept->data)[k], objective = b * b;
        for (size_t j = 0; j < p; j++) objective += w[j] * w[j];
        objective /= 2;
        for (size_t t = 0; t < n_train; t++) {
            size_t i = train[t];
            double z = b;
            for (size_t e = x->row_start[i]; e < x->row_start[i + 1]; e++)
                z += w[x->col[e]] * x->value[e];
            double margin = ((size_t)data->y[i] == k ? 1 : -1) * z;
            objective += margin > 0 ? log1p(exp(-margin)) : -margin + log1p(exp(margin));
        }
        if (fabs(objective - reference[k]) > 1e-4 * reference[k])
            fail_msg("class %zu: objective %.9g, scikit-learn's %.9g", k, objective, reference[k]);
    }
    dial_model_free(model);
    dial_knobs_free(&knobs);
    free(train);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void an_l1_penalty_on_sparse_input_is_refused(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/heart_scale.libsvm", NULL, &table);
    const dial_model_family *logistic = dial_model_family_find("logistic");
    dial_knobs knobs = test_knobs(ctx, logistic, (const char *const[]){"penalty=l1", NULL});
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_fit(ctx, logistic, &knobs, &all, &model),
                      DIAL_ERR_UNSUPPORTED,
                      "logistic on sparse input takes penalty=l2 only (LIBLINEAR's dual solver), "
                      "not penalty=l1");
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heart_scale_scores_as_liblinear),
        cmocka_unit_test(text_small_five_classes_score_as_liblinear),
        cmocka_unit_test(a_sparse_fit_is_the_same_for_the_same_seed),
        cmocka_unit_test(five_classes_swept_together_each_reach_their_optimum),
        cmocka_unit_test(an_l1_penalty_on_sparse_input_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

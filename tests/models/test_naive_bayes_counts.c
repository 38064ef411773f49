/* naive_bayes variant=multinomial and variant=bernoulli
 * (src/models/naive_bayes_counts.c) against scikit-learn's MultinomialNB and
 * BernoulliNB, on sparse rows and on the same rows dense.
 *
 * The predictions were computed once with scikit-learn 1.2.1
 * (/usr/bin/python3, Debian's python3-sklearn), fitted on the rows i % 5 != 0
 * of data/text_small.libsvm and predicting the rows i % 5 == 0 (0-based):
 *   x, y = load_svmlight_file("data/text_small.libsvm", n_features=2999)
 *   te = np.arange(x.shape[0]) % 5 == 0
 *   m = MultinomialNB(alpha=1.0)        # BernoulliNB(alpha=1.0, binarize=0.0),
 *   m.fit(x[~te], y[~te]); m.predict(x[te])  # MultinomialNB(alpha=0.1)
 * written as one digit (the label) per test row. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const sklearn_multinomial =
    "3552331423533131424325133313532413324133321131144312224321531345323313355242235433125331323335"
    "524354";
static const char *const sklearn_bernoulli =
    "3552331223533131424323133333532413324133321132144332224322531345323313355242235433125331323324"
    "522354";
static const char *const sklearn_multinomial_alpha_01 =
    "3552331413533131424325133313522413324113321131144312524321531345323313355242235433125331323335"
    "524554";

/* The labels naive_bayes (settings) predicts for the test rows, one digit
 * each, fitted on data made from path: sparse as read, or (dense) through
 * a CSV of the same values. */
static void predict_holdout(const dial_dataset *data, const char *const *settings, char *labels) {
    dial_ctx *ctx = test_ctx();
    size_t n = data->n_rows, *train = malloc(n * sizeof *train), *test = malloc(n * sizeof *test);
    size_t n_train = 0, n_test = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            test[n_test++] = i;
        else
            train[n_train++] = i;
    }
    const dial_model_family *nb = dial_model_family_find("naive_bayes");
    dial_knobs knobs = test_knobs(ctx, nb, settings);
    dial_view fit_rows = {.data = data, .rows = train, .n = n_train};
    dial_view test_rows = {.data = data, .rows = test, .n = n_test};
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, nb, &knobs, &fit_rows, &model));
    double *value = malloc(n_test * sizeof *value);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &test_rows, value, NULL));
    for (size_t i = 0; i < n_test; i++)
        labels[i] = dial_model_class_name(model, (size_t)value[i])[0];
    labels[n_test] = '\0';
    free(value);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    free(train);
    free(test);
    dial_ctx_free(ctx);
}

/* data/text_small.libsvm as a dense CSV (label first, f1 .. f2999). */
static char *dense_copy(const dial_dataset *data) {
    const dial_csr *m = data->sparse;
    size_t cols = m->n_cols, size = 16 * cols + 64 + m->n_rows * (2 * cols + 64);
    char *csv = malloc(size), *at = csv;
    at += sprintf(at, "label");
    for (size_t j = 0; j < cols; j++) at += sprintf(at, ",f%zu", j + 1);
    *at++ = '\n';
    double *row = calloc(cols, sizeof *row);
    for (size_t i = 0; i < m->n_rows; i++) {
        memset(row, 0, cols * sizeof *row);
        for (size_t k = m->row_start[i]; k < m->row_start[i + 1]; k++) row[m->col[k]] = m->value[k];
        at += sprintf(at, "%s", data->class_names[(size_t)data->y[i]]);
        for (size_t j = 0; j < cols; j++) at += sprintf(at, ",%g", row[j]);
        *at++ = '\n';
    }
    *at = '\0';
    free(row);
    return csv;
}

static void assert_predictions(const char *const *settings, const char *expected) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/text_small.libsvm", NULL, &table);
    char labels[128];
    predict_holdout(data, settings, labels);
    assert_string_equal(labels, expected);
    /* The same rows dense (a CSV) give the same predictions. */
    char *csv = dense_copy(data);
    dial_table *dense = NULL;
    dial_csv_options options = {.separator = ','};
    assert_dial_ok(ctx, dial_csv_parse(ctx, "text.csv", csv, strlen(csv), &options, &dense));
    dial_dataset *dense_data = NULL;
    assert_dial_ok(
        ctx, dial_dataset_from_table(ctx, dense, "label", DIAL_TASK_CLASSIFICATION, &dense_data));
    predict_holdout(dense_data, settings, labels);
    assert_string_equal(labels, expected);
    dial_dataset_free(dense_data);
    dial_table_free(dense);
    free(csv);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void multinomial_predicts_as_scikit_learn(void **state) {
    (void)state;
    assert_predictions((const char *const[]){"variant=multinomial", NULL}, sklearn_multinomial);
}

static void multinomial_alpha_is_scikit_learns(void **state) {
    (void)state;
    assert_predictions((const char *const[]){"variant=multinomial", "alpha=0.1", NULL},
                       sklearn_multinomial_alpha_01);
}

static void bernoulli_predicts_as_scikit_learn(void **state) {
    (void)state;
    assert_predictions((const char *const[]){"variant=bernoulli", NULL}, sklearn_bernoulli);
}

static void multinomial_refuses_a_negative_count(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const char *text = "1 1:2 2:-1\n2 2:1\n";
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_libsvm_parse(ctx, "t.libsvm", text, strlen(text), &table));
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data));
    const dial_model_family *nb = dial_model_family_find("naive_bayes");
    dial_knobs knobs = test_knobs(ctx, nb, (const char *const[]){"variant=multinomial", NULL});
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_fit(ctx, nb, &knobs, &all, &model), DIAL_ERR_DATA,
                      "naive_bayes: feature 2 of row 1 is -1; variant=multinomial takes counts "
                      "(values >= 0)");
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(multinomial_predicts_as_scikit_learn),
        cmocka_unit_test(multinomial_alpha_is_scikit_learns),
        cmocka_unit_test(bernoulli_predicts_as_scikit_learn),
        cmocka_unit_test(multinomial_refuses_a_negative_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* linear on sparse rows (src/models/linear_sparse.c): conjugate gradients
 * without an L1 part, coordinate descent over a column copy with one,
 * centring implicit. The reference is the dense fit of the same rows made
 * dense (src/models/linear.c, itself checked against scikit-learn in
 * test_linear.c), and scikit-learn on the CSR rows for the held-out r2
 * (tests/models/reference_linear_sparse.py). The data: heart_scale (270 x
 * 13, scaled to [-1, 1], its label +1/-1 as the value), text_small (500 x
 * 2,999 word counts, its label 1..5 as the value) and diamonds_2000.csv
 * read sparse (price from one-hot cut, colour and clarity and the
 * numbers). */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/csr.h"

extern const dial_model_family dial_model_linear;

/* A LIBSVM file as a regression dataset; free data, then table. */
static dial_dataset *load_regression(dial_ctx *ctx, const char *path, dial_table **table) {
    assert_dial_ok(ctx, dial_table_read(ctx, path, NULL, table));
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, *table, NULL, DIAL_TASK_REGRESSION, &data));
    assert_non_null(data->sparse);
    return data;
}

static dial_fit_input sparse_input(const dial_csr *x, const double *y) {
    return (dial_fit_input){.n_rows = x->n_rows,
                            .n_features = x->n_cols,
                            .y = y,
                            .task = DIAL_TASK_REGRESSION,
                            .sparse = x};
}

/* The family fitted on in: coef (p values) and *intercept. */
static void fit_family(dial_ctx *ctx, const char *const *settings, const dial_fit_input *in,
                       double *coef, double *intercept) {
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, settings);
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_linear.fit(ctx, &knobs, in, &learned));
    const dial_tensor *c = dial_tensors_find(&learned, "coef");
    const dial_tensor *b = dial_tensors_find(&learned, "intercept");
    assert_int_equal(dial_tensor_size(c), in->n_features);
    if (in->n_features) memcpy(coef, c->data, in->n_features * sizeof *coef);
    *intercept = *(const double *)b->data;
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
}

/* Each weight within rel of the largest |weight| of want, the intercept
 * within rel of that or of itself, whichever is larger. */
static void assert_same_fit(const double *got, double got_b, const double *want, double want_b,
                            size_t p, double rel, const char *what) {
    double scale = 0;
    for (size_t j = 0; j < p; j++)
        if (fabs(want[j]) > scale) scale = fabs(want[j]);
    assert_true(scale > 0); /* a fit that learned nothing would prove nothing */
    for (size_t j = 0; j < p; j++)
        if (fabs(got[j] - want[j]) > rel * scale)
            fail_msg("%s: coef[%zu] = %.17g sparse, %.17g dense (largest %g)", what, j, got[j],
                     want[j], scale);
    double b_scale = fabs(want_b) > scale ? fabs(want_b) : scale;
    if (fabs(got_b - want_b) > rel * b_scale)
        fail_msg("%s: intercept %.17g sparse, %.17g dense", what, got_b, want_b);
}

/* The knobs the sparse and the dense fits are compared at: every solver,
 * with an intercept and without. Coordinate descent runs to a tight tol,
 * so both fits are at the optimum; the solves without an L1 part run at
 * the defaults (conjugate gradients at tol 1e-4, against a Cholesky or
 * SVD solve). */
static const char *const cases[][6] = {
    {"alpha=0", "fit_intercept=true", NULL},
    {"alpha=0", "fit_intercept=false", NULL},
    {"alpha=0.01", "fit_intercept=true", NULL},
    {"alpha=0.01", "fit_intercept=false", NULL},
    {"alpha=0.01", "l1_ratio=0.5", "tol=1e-10", "max_iter=100000", "fit_intercept=true", NULL},
    {"alpha=0.01", "l1_ratio=0.5", "tol=1e-10", "max_iter=100000", "fit_intercept=false", NULL},
    {"alpha=0.01", "l1_ratio=1", "tol=1e-10", "max_iter=100000", "fit_intercept=true", NULL},
    {"alpha=0.01", "l1_ratio=1", "tol=1e-10", "max_iter=100000", "fit_intercept=false", NULL},
};
#define N_CASES (sizeof cases / sizeof cases[0])

static void case_name(size_t c, char *buf, size_t size) {
    size_t used = 0;
    for (size_t k = 0; cases[c][k] && used < size; k++)
        used += (size_t)snprintf(buf + used, size - used, "%s%s", k ? " " : "", cases[c][k]);
}

/* The sparse fit of a LIBSVM file's rows against the dense fit of the
 * same rows made dense, for the cases in [first, last). */
static void assert_sparse_fit_is_the_dense_fit(const char *path, size_t first, size_t last,
                                               double rel) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = load_regression(ctx, path, &table);
    const dial_csr *x = data->sparse;
    double *dense = NULL;
    assert_dial_ok(ctx, dial_csr_to_dense(ctx, x, &dense));
    dial_fit_input in_sparse = sparse_input(x, data->y), in_dense = in_sparse;
    in_dense.sparse = NULL;
    in_dense.x = dense;
    size_t p = x->n_cols;
    double *w_sparse = malloc(p * sizeof *w_sparse), *w_dense = malloc(p * sizeof *w_dense);
    for (size_t c = first; c < last; c++) {
        double b_sparse = 0, b_dense = 0;
        char what[256];
        case_name(c, what, sizeof what);
        fit_family(ctx, cases[c], &in_sparse, w_sparse, &b_sparse);
        fit_family(ctx, cases[c], &in_dense, w_dense, &b_dense);
        assert_same_fit(w_sparse, b_sparse, w_dense, b_dense, p, rel, what);
        if (strcmp(cases[c][1], "fit_intercept=false") == 0) assert_true(b_sparse == 0.0);
    }
    free(w_sparse);
    free(w_dense);
    free(dense);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- the sparse fit is the dense fit ------------------------------------- */

static void heart_scale_every_solver_fits_as_dense(void **state) {
    (void)state;
    assert_sparse_fit_is_the_dense_fit("data/heart_scale.libsvm", 0, N_CASES, 1e-6);
}

/* 500 rows of 2,999 words: at alpha = 0 the system is underdetermined, and
 * conjugate gradients from zero reach the minimum-norm solution that the
 * dense SVD solve gives. */
static void text_small_least_squares_is_the_minimum_norm_solution(void **state) {
    (void)state;
    assert_sparse_fit_is_the_dense_fit("data/text_small.libsvm", 0, 2, 1e-6);
}

static void text_small_ridge_and_elastic_net_fit_as_dense(void **state) {
    (void)state;
    assert_sparse_fit_is_the_dense_fit("data/text_small.libsvm", 2, 5, 1e-6);
}

/* A CSV read sparse (one-hot cut, color and clarity beside the numbers),
 * fitted through the pipeline with scale=maxabs, against the same CSV
 * read dense with the same scaling. */
static void a_csv_read_sparse_fits_as_read_dense(void **state) {
    (void)state;
    static const char *const settings[][5] = {
        {"scale=maxabs", "alpha=0.001", NULL},
        {"scale=maxabs", "alpha=0.001", "l1_ratio=1", "tol=1e-10", NULL},
    };
    dial_ctx *ctx = test_ctx();
    for (size_t s = 0; s < 2; s++) {
        dial_table *dense_table = NULL, *sparse_table = NULL;
        dial_dataset *dense =
            test_load_dataset(ctx, "data/diamonds_2000.csv", "price", &dense_table);
        dial_dataset *sparse =
            test_load_dataset(ctx, "data/diamonds_2000.csv", "price", &sparse_table);
        assert_dial_ok(ctx, dial_dataset_make_sparse(ctx, sparse_table, sparse));
        dial_knobs knobs = test_knobs(ctx, &dial_model_linear, settings[s]);
        dial_view dense_rows = dial_view_all(dense), sparse_rows = dial_view_all(sparse);
        dial_model *from_dense = NULL, *from_sparse = NULL;
        assert_dial_ok(ctx,
                       dial_model_fit(ctx, &dial_model_linear, &knobs, &dense_rows, &from_dense));
        assert_dial_ok(ctx,
                       dial_model_fit(ctx, &dial_model_linear, &knobs, &sparse_rows, &from_sparse));
        assert_false(dial_model_takes_sparse(from_dense));
        assert_true(dial_model_takes_sparse(from_sparse));
        const dial_tensor *cd = dial_tensors_find(dial_model_get_tensors(from_dense), "coef");
        const dial_tensor *cs = dial_tensors_find(dial_model_get_tensors(from_sparse), "coef");
        const dial_tensor *bd = dial_tensors_find(dial_model_get_tensors(from_dense), "intercept");
        const dial_tensor *bs = dial_tensors_find(dial_model_get_tensors(from_sparse), "intercept");
        assert_int_equal(dial_tensor_size(cd), dial_tensor_size(cs));
        assert_int_equal(dial_tensor_size(cd), 26); /* 5 + 7 + 8 levels and 6 numbers */
        assert_same_fit(cs->data, *(const double *)bs->data, cd->data, *(const double *)bd->data,
                        dial_tensor_size(cd), 1e-6, settings[s][2] ? "lasso" : "ridge");
        dial_model_free(from_dense);
        dial_model_free(from_sparse);
        dial_knobs_free(&knobs);
        dial_dataset_free(dense);
        dial_dataset_free(sparse);
        dial_table_free(dense_table);
        dial_table_free(sparse_table);
    }
    dial_ctx_free(ctx);
}

/* Heart_scale's rows with an empty column put in as column 5: every
 * solver gives it weight 0 exactly and the other columns the weights
 * they have without it. */
static void a_column_that_is_all_zero_keeps_weight_zero(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = load_regression(ctx, "data/heart_scale.libsvm", &table);
    const dial_csr *x = data->sparse;
    size_t nnz = x->row_start[x->n_rows], p = x->n_cols, empty = 5;
    dial_csr wide = {.n_rows = x->n_rows, .n_cols = p + 1, .row_start = x->row_start};
    wide.col = malloc(nnz * sizeof *wide.col);
    wide.value = x->value;
    for (size_t e = 0; e < nnz; e++) wide.col[e] = x->col[e] + (x->col[e] >= empty);
    dial_fit_input narrow_in = sparse_input(x, data->y), wide_in = sparse_input(&wide, data->y);
    double w[14], w_wide[15], b = 0, b_wide = 0, rest[14];
    for (size_t c = 0; c < N_CASES; c++) {
        char what[256];
        case_name(c, what, sizeof what);
        fit_family(ctx, cases[c], &narrow_in, w, &b);
        fit_family(ctx, cases[c], &wide_in, w_wide, &b_wide);
        if (w_wide[empty] != 0.0)
            fail_msg("%s: the empty column's weight is %g", what, w_wide[empty]);
        for (size_t j = 0; j < p; j++) rest[j] = w_wide[j + (j >= empty)];
        assert_same_fit(rest, b_wide, w, b, p, 1e-12, what);
    }
    free(wide.col);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- predictions ----------------------------------------------------------- */

/* The same weights predict the same values from sparse rows as from the
 * rows made dense (up to the order of the sums). */
static void sparse_rows_predict_as_dense_rows(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = load_regression(ctx, "data/text_small.libsvm", &table);
    const dial_csr *x = data->sparse;
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_linear, (const char *const[]){"alpha=0.01", NULL});
    dial_fit_input in = sparse_input(x, data->y);
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_model_linear.fit(ctx, &knobs, &in, &learned));
    double *dense = NULL;
    assert_dial_ok(ctx, dial_csr_to_dense(ctx, x, &dense));
    size_t n = x->n_rows;
    double *from_sparse = malloc(n * sizeof(double)), *from_dense = malloc(n * sizeof(double));
    dial_fit_input rows_sparse = in, rows_dense = in;
    rows_sparse.y = rows_dense.y = NULL;
    rows_dense.sparse = NULL;
    rows_dense.x = dense;
    assert_dial_ok(ctx, dial_model_linear.predict(ctx, &knobs, &learned, &rows_sparse,
                                                  &(dial_predict_output){from_sparse, NULL}));
    assert_dial_ok(ctx, dial_model_linear.predict(ctx, &knobs, &learned, &rows_dense,
                                                  &(dial_predict_output){from_dense, NULL}));
    double spread = 0;
    for (size_t i = 0; i < n; i++) {
        if (fabs(from_sparse[i] - from_dense[i]) > 1e-12 * (1 + fabs(from_dense[i])))
            fail_msg("row %zu: %.17g from sparse rows, %.17g from dense", i, from_sparse[i],
                     from_dense[i]);
        spread += fabs(from_dense[i] - from_dense[0]);
    }
    assert_true(spread > 1); /* the rows are told apart: no constant prediction */
    free(from_sparse);
    free(from_dense);
    free(dense);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* Fitted on text_small's rows i % 5 != 0 through the pipeline, scored by
 * r2 on the others: scikit-learn's figures on the same CSR rows. */
static void held_out_r2_is_scikit_learn_s(void **state) {
    (void)state;
    static const struct {
        const char *settings[5];
        double r2;
    } refs[] = {
        {{"alpha=0.01", NULL}, 0.4577755511},
        {{"alpha=0.01", "l1_ratio=0.5", "tol=1e-10", "max_iter=100000", NULL}, 0.4972229110},
        {{"alpha=0.01", "l1_ratio=1", "tol=1e-10", "max_iter=100000", NULL}, 0.5269240490},
    };
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = load_regression(ctx, "data/text_small.libsvm", &table);
    size_t n = data->n_rows, *train = malloc(n * sizeof *train), *test = malloc(n * sizeof *test);
    size_t n_train = 0, n_test = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            test[n_test++] = i;
        else
            train[n_train++] = i;
    }
    dial_view fit_rows = {.data = data, .rows = train, .n = n_train};
    dial_view test_rows = {.data = data, .rows = test, .n = n_test};
    double *value = malloc(n_test * sizeof *value);
    for (size_t r = 0; r < sizeof refs / sizeof refs[0]; r++) {
        dial_knobs knobs = test_knobs(ctx, &dial_model_linear, refs[r].settings);
        dial_model *model = NULL;
        assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_linear, &knobs, &fit_rows, &model));
        assert_dial_ok(ctx, dial_model_predict(ctx, model, &test_rows, value, NULL));
        double mean = 0, residual = 0, total = 0;
        for (size_t i = 0; i < n_test; i++) mean += data->y[test[i]] / (double)n_test;
        for (size_t i = 0; i < n_test; i++) {
            double t = data->y[test[i]];
            residual += (t - value[i]) * (t - value[i]);
            total += (t - mean) * (t - mean);
        }
        double r2 = 1 - residual / total;
        if (fabs(r2 - refs[r].r2) > 1e-6)
            fail_msg("%s %s: r2 %.10f, scikit-learn %.10f", refs[r].settings[0],
                     refs[r].settings[1] ? refs[r].settings[1] : "", r2, refs[r].r2);
        dial_model_free(model);
        dial_knobs_free(&knobs);
    }
    free(value);
    free(train);
    free(test);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* Saved and loaded, a model fitted on sparse rows predicts the same bits
 * and still takes sparse rows. */
static void a_model_file_round_trip_predicts_the_same(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = load_regression(ctx, "data/text_small.libsvm", &table);
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear,
                                  (const char *const[]){"alpha=0.01", "l1_ratio=0.5", NULL});
    dial_view all = dial_view_all(data);
    dial_model *model = NULL, *loaded = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_linear, &knobs, &all, &model));
    char *path = test_write_temp("", 0, ".dial");
    assert_dial_ok(ctx, dial_model_save(ctx, model, path));
    assert_dial_ok(ctx, dial_model_load(ctx, path, &loaded));
    assert_true(dial_model_takes_sparse(loaded));
    size_t n = data->n_rows;
    double *before = malloc(n * sizeof *before), *after = malloc(n * sizeof *after);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, before, NULL));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &all, after, NULL));
    assert_memory_equal(before, after, n * sizeof *before);
    remove(path);
    free(path);
    free(before);
    free(after);
    dial_model_free(model);
    dial_model_free(loaded);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- failures ----------------------------------------------------------------- */

static void collect_log(void *user, dial_log_level level, const char *message) {
    if (level == DIAL_LOG_WARN) snprintf(user, 512, "%s", message);
}

/* One conjugate-gradient step cannot solve text_small's ridge: the fit
 * says so rather than pass the weights off as converged. */
static void conjugate_gradients_cut_short_is_logged(void **state) {
    (void)state;
    char message[512] = "";
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_log(ctx, collect_log, message);
    dial_table *table = NULL;
    dial_dataset *data = load_regression(ctx, "data/text_small.libsvm", &table);
    dial_fit_input in = sparse_input(data->sparse, data->y);
    double *w = malloc(in.n_features * sizeof *w), b = 0;
    fit_family(ctx, (const char *const[]){"alpha=0.01", "max_iter=1", NULL}, &in, w, &b);
    const char *expected = "linear: conjugate gradients stopped after 1 steps (max_iter=1) before "
                           "converging (residual ";
    if (strncmp(message, expected, strlen(expected)) != 0)
        fail_msg("logged '%s', expected it to start with '%s'", message, expected);
    free(w);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* Weights of the wrong length are refused with the message dense rows
 * get, before a sparse row is read. */
static void predict_with_coef_of_the_wrong_length_is_a_format_error(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = load_regression(ctx, "data/heart_scale.libsvm", &table);
    dial_tensors learned = {0};
    double *data_coef = NULL, *data_intercept = NULL;
    size_t coef_shape[1] = {3}, intercept_shape[1] = {1};
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &learned, "coef", DIAL_F64, 1, coef_shape, (void **)&data_coef));
    assert_dial_ok(ctx, dial_tensors_add(ctx, &learned, "intercept", DIAL_F64, 1, intercept_shape,
                                         (void **)&data_intercept));
    dial_fit_input rows = sparse_input(data->sparse, NULL);
    double *value = malloc(rows.n_rows * sizeof *value);
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, NULL);
    assert_dial_error(ctx,
                      dial_model_linear.predict(ctx, &knobs, &learned, &rows,
                                                &(dial_predict_output){value, NULL}),
                      DIAL_ERR_FORMAT, "linear model tensor 'coef' has shape [3]; expected [13]");
    free(value);
    dial_knobs_free(&knobs);
    dial_tensors_clear(&learned);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* Rows that do not have the columns the fit is told of are refused, not
 * read past their end. */
static void sparse_rows_of_another_width_are_refused(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = load_regression(ctx, "data/heart_scale.libsvm", &table);
    dial_fit_input in = sparse_input(data->sparse, data->y);
    in.n_features = 12;
    dial_knobs knobs = test_knobs(ctx, &dial_model_linear, NULL);
    dial_tensors learned = {0};
    assert_dial_error(ctx, dial_model_linear.fit(ctx, &knobs, &in, &learned), DIAL_ERR_ARGUMENT,
                      "linear: the sparse rows are 270 x 13; the fit expects 270 x 12");
    assert_null(dial_tensors_find(&learned, "coef"));
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(heart_scale_every_solver_fits_as_dense),
        cmocka_unit_test(text_small_least_squares_is_the_minimum_norm_solution),
        cmocka_unit_test(text_small_ridge_and_elastic_net_fit_as_dense),
        cmocka_unit_test(a_csv_read_sparse_fits_as_read_dense),
        cmocka_unit_test(a_column_that_is_all_zero_keeps_weight_zero),
        cmocka_unit_test(sparse_rows_predict_as_dense_rows),
        cmocka_unit_test(held_out_r2_is_scikit_learn_s),
        cmocka_unit_test(a_model_file_round_trip_predicts_the_same),
        cmocka_unit_test(conjugate_gradients_cut_short_is_logged),
        cmocka_unit_test(predict_with_coef_of_the_wrong_length_is_a_format_error),
        cmocka_unit_test(sparse_rows_of_another_width_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* knn on sparse input and the cosine metric (src/models/knn_dots.c): a
 * brute-force search by dot products over compressed rows, checked
 * against scikit-learn's on a holdout of data/text_small.libsvm (rows
 * i % 5 != 0 fit, i % 5 == 0 predicted, 0-based). The expected labels
 * were computed once with:
 *   X, y = sklearn.datasets.load_svmlight_file("data/text_small.libsvm")
 *   test = np.arange(X.shape[0]) % 5 == 0
 *   KNeighborsClassifier(n_neighbors=5, algorithm="brute", metric=M,
 *                        weights=W).fit(X[~test], y[~test]).predict(X[test])
 * (scikit-learn 1.2), each label written as its digit. For euclidean the
 * labels are scikit-learn's euclidean_distances(X[test], X[~test]) with
 * the k nearest taken by np.argsort(kind="stable"), ties to the first
 * training row as dial orders them, and the vote of KNeighborsClassifier:
 * word counts tie often (28 of the 100 test rows have a tie at the 5th
 * distance), and KNeighborsClassifier's argpartition takes any of the tied
 * rows; it predicts as these on 94 rows (uniform) and 96 (distance), the
 * others being rows with such a tie. Cosine distances do not tie here:
 * those labels are KNeighborsClassifier's own. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/modelfile.h"
#include "models/family_tuning.h"
#include "models/knn_dots.h"

static const char euclidean_uniform[] = "3123231322443151551315231331122113125343114232321553223122"
                                        "521542555143352215331113131211121321524113";
static const char euclidean_distance[] = "314533132244355155231523133222341312534331423232155322332"
                                         "2521545555243352315335113134211121351524115";
static const char cosine_uniform[] = "4522315443431121224314331322531413121313151131144412122221321"
                                     "142223253152233251424113331421323323114";
static const char cosine_distance[] = "452231544343312122431433134253141312131335113134441212222153"
                                      "1143223253355233253424113331422325324114";

/* The labels knn (settings) predicts for the test rows, as digits, from
 * the LIBSVM file (sparse) or from the same rows made dense (dense). */
static void holdout_labels(const char *const *settings, bool dense, char *labels) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/text_small.libsvm", NULL, &table);
    assert_non_null(data->sparse);
    size_t n = data->n_rows, n_train = 0, n_test = 0;
    size_t *train = malloc(n * sizeof *train), *test = malloc(n * sizeof *test);
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            test[n_test++] = i;
        else
            train[n_train++] = i;
    }
    const dial_model_family *knn = dial_model_family_find("knn");
    dial_knobs knobs = test_knobs(ctx, knn, settings);
    double *value = malloc(n_test * sizeof *value);
    if (!dense) {
        dial_view fit_rows = {.data = data, .rows = train, .n = n_train};
        dial_view test_rows = {.data = data, .rows = test, .n = n_test};
        dial_model *model = NULL;
        assert_dial_ok(ctx, dial_model_fit(ctx, knn, &knobs, &fit_rows, &model));
        /* the rows kept compressed */
        assert_non_null(dial_tensors_find(dial_model_get_tensors(model), "x.row_start"));
        assert_null(dial_tensors_find(dial_model_get_tensors(model), "x"));
        /* and read back from a model file */
        unsigned char *bytes = NULL;
        size_t length = 0;
        dial_model *loaded = NULL;
        assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
        assert_dial_ok(ctx, dial_model_load_buffer(ctx, "knn.dial", bytes, length, &loaded));
        assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &test_rows, value, NULL));
        free(bytes);
        dial_model_free(loaded);
        dial_model_free(model);
    } else {
        /* the family's own fit on dense rows: the same rows, every zero
         * written out */
        const dial_csr *a = data->sparse;
        size_t d = a->n_cols;
        double *x = calloc(n * d, sizeof *x), *y = malloc(n * sizeof *y);
        for (size_t i = 0; i < n; i++)
            for (size_t k = a->row_start[i]; k < a->row_start[i + 1]; k++)
                x[i * d + a->col[k]] = a->value[k];
        double *x_train = malloc(n_train * d * sizeof *x_train),
               *x_test = malloc(n_test * d * sizeof *x_test);
        for (size_t i = 0; i < n_train; i++) {
            memcpy(x_train + i * d, x + train[i] * d, d * sizeof *x);
            y[i] = data->y[train[i]];
        }
        for (size_t i = 0; i < n_test; i++) memcpy(x_test + i * d, x + test[i] * d, d * sizeof *x);
        dial_fit_input fit_in = {.x = x_train,
                                 .n_rows = n_train,
                                 .n_features = d,
                                 .y = y,
                                 .task = DIAL_TASK_CLASSIFICATION,
                                 .n_classes = data->n_classes};
        dial_fit_input test_in = fit_in;
        test_in.x = x_test;
        test_in.n_rows = n_test;
        test_in.y = NULL;
        dial_tensors learned = {0};
        assert_dial_ok(ctx, knn->fit(ctx, &knobs, &fit_in, &learned));
        dial_predict_output out = {.value = value};
        assert_dial_ok(ctx, knn->predict(ctx, &knobs, &learned, &test_in, &out));
        dial_tensors_clear(&learned);
        free(x);
        free(y);
        free(x_train);
        free(x_test);
    }
    for (size_t i = 0; i < n_test; i++) labels[i] = data->class_names[(size_t)value[i]][0];
    labels[n_test] = '\0';
    free(value);
    dial_knobs_free(&knobs);
    free(train);
    free(test);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void assert_labels(const char *const *settings, bool dense, const char *expected) {
    char labels[128];
    holdout_labels(settings, dense, labels);
    assert_string_equal(labels, expected);
}

static void sparse_euclidean_predicts_as_scikit_learn(void **state) {
    (void)state;
    assert_labels(NULL, false, euclidean_uniform);
    assert_labels((const char *const[]){"weights=distance", NULL}, false, euclidean_distance);
}

static void sparse_cosine_predicts_as_scikit_learn(void **state) {
    (void)state;
    assert_labels((const char *const[]){"metric=cosine", NULL}, false, cosine_uniform);
    assert_labels((const char *const[]){"metric=cosine", "weights=distance", NULL}, false,
                  cosine_distance);
}

static void dense_cosine_predicts_as_scikit_learn(void **state) {
    (void)state;
    assert_labels((const char *const[]){"metric=cosine", "scale=none", NULL}, true, cosine_uniform);
    assert_labels((const char *const[]){"metric=cosine", "weights=distance", "scale=none", NULL},
                  true, cosine_distance);
}

static void manhattan_on_sparse_input_is_refused(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/heart_scale.libsvm", NULL, &table);
    const dial_model_family *knn = dial_model_family_find("knn");
    dial_knobs knobs = test_knobs(ctx, knn, (const char *const[]){"metric=manhattan", NULL});
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_fit(ctx, knn, &knobs, &all, &model), DIAL_ERR_UNSUPPORTED,
                      "knn on sparse input measures metric=euclidean or metric=cosine, not "
                      "metric=manhattan");
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* The rows rows[0 .. n) of a as a CSR matrix of their own (arrays
 * malloc'ed; free with csr_free). */
static dial_csr csr_rows(const dial_csr *a, const size_t *rows, size_t n) {
    dial_csr out = {.n_rows = n, .n_cols = a->n_cols};
    size_t nnz = 0;
    for (size_t r = 0; r < n; r++) nnz += a->row_start[rows[r] + 1] - a->row_start[rows[r]];
    out.row_start = malloc((n + 1) * sizeof *out.row_start);
    out.col = malloc((nnz ? nnz : 1) * sizeof *out.col);
    out.value = malloc((nnz ? nnz : 1) * sizeof *out.value);
    out.row_start[0] = 0;
    for (size_t r = 0; r < n; r++) {
        size_t at = out.row_start[r];
        for (size_t k = a->row_start[rows[r]]; k < a->row_start[rows[r] + 1]; k++, at++) {
            out.col[at] = a->col[k];
            out.value[at] = a->value[k];
        }
        out.row_start[r + 1] = at;
    }
    return out;
}

static void csr_free(dial_csr *a) {
    free(a->row_start);
    free(a->col);
    free(a->value);
}

/* Tuning's prepared fold on sparse rows (one search for the largest k):
 * every k up to it and both weightings predict as a full fit and predict,
 * to the bit. */
static void a_sparse_prepared_fold_predicts_as_a_full_fit(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/text_small.libsvm", NULL, &table);
    size_t n = data->n_rows, n_train = 0, n_test = 0;
    size_t *train = malloc(n * sizeof *train), *test = malloc(n * sizeof *test);
    double *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0) {
            test[n_test++] = i;
        } else {
            y[n_train] = data->y[i];
            train[n_train++] = i;
        }
    }
    dial_csr a_train = csr_rows(data->sparse, train, n_train),
             a_test = csr_rows(data->sparse, test, n_test);
    dial_fit_input fit_in = {.n_rows = n_train,
                             .n_features = data->sparse->n_cols,
                             .y = y,
                             .task = DIAL_TASK_CLASSIFICATION,
                             .n_classes = data->n_classes,
                             .sparse = &a_train};
    dial_fit_input test_in = fit_in;
    test_in.n_rows = n_test;
    test_in.y = NULL;
    test_in.sparse = &a_test;
    const dial_model_family *knn = dial_model_family_find("knn");
    static const char *const metrics[] = {"metric=euclidean", "metric=cosine"};
    size_t k_classes = data->n_classes;
    double *value = malloc(n_test * sizeof *value),
           *proba = malloc(n_test * k_classes * sizeof *proba);
    double *fold_value = malloc(n_test * sizeof *fold_value),
           *fold_proba = malloc(n_test * k_classes * sizeof *fold_proba);
    for (size_t m = 0; m < 2; m++) {
        dial_knobs knobs = test_knobs(ctx, knn, (const char *const[]){metrics[m], "k=9", NULL});
        void *fold = NULL;
        assert_dial_ok(ctx,
                       knn->tuning->prepare_fold(ctx, &knobs, &knobs, &fit_in, &test_in, &fold));
        for (long k = 1; k <= 9; k += 4) {
            for (int w = 0; w < 2; w++) {
                assert_dial_ok(ctx, dial_knobs_set_number(ctx, &knobs, "k", (double)k));
                assert_dial_ok(ctx,
                               dial_knobs_set(ctx, &knobs, "weights", w ? "distance" : "uniform"));
                dial_tensors learned = {0};
                dial_predict_output out = {.value = value, .proba = proba};
                dial_predict_output out_fold = {.value = fold_value, .proba = fold_proba};
                assert_dial_ok(ctx, knn->fit(ctx, &knobs, &fit_in, &learned));
                assert_dial_ok(ctx, knn->predict(ctx, &knobs, &learned, &test_in, &out));
                assert_dial_ok(ctx, knn->tuning->predict_fold(ctx, &knobs, fold, &out_fold));
                assert_memory_equal(value, fold_value, n_test * sizeof *value);
                assert_memory_equal(proba, fold_proba, n_test * k_classes * sizeof *proba);
                dial_tensors_clear(&learned);
            }
        }
        knn->tuning->free_fold(fold);
        dial_knobs_free(&knobs);
    }
    free(value);
    free(proba);
    free(fold_value);
    free(fold_proba);
    csr_free(&a_train);
    csr_free(&a_test);
    free(y);
    free(train);
    free(test);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* Sparse queries against sparse training rows are searched inverted, a
 * block of queries at a time (knn_dots.c); the same queries given dense
 * go row by row. Both sum each dot product in the same order, so every
 * query's whole ordered list (k = all training rows) is the same to the
 * bit, for both metrics, over blocks that do not divide the queries. */
static void the_inverted_search_finds_the_row_by_row_distances(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/text_small.libsvm", NULL, &table);
    const dial_csr *a = data->sparse;
    size_t n = a->n_rows, d = a->n_cols, n_train = 0, n_test = 0;
    size_t *train = calloc(n, sizeof *train), *test = calloc(n, sizeof *test);
    for (size_t i = 0; i < n; i++) {
        if (i % 5 == 0)
            test[n_test++] = i;
        else
            train[n_train++] = i;
    }
    dial_csr a_train = csr_rows(a, train, n_train), a_test = csr_rows(a, test, n_test);
    double *dense = calloc(n_test * d, sizeof *dense);
    for (size_t i = 0; i < n_test; i++)
        for (size_t e = a_test.row_start[i]; e < a_test.row_start[i + 1]; e++)
            dense[i * d + a_test.col[e]] = a_test.value[e];
    size_t k = n_train, cells = n_test * k;
    size_t *index[2] = {malloc(cells * sizeof(size_t)), malloc(cells * sizeof(size_t))};
    double *dist[2] = {malloc(cells * sizeof(double)), malloc(cells * sizeof(double))};
    size_t *count[2] = {malloc(n_test * sizeof(size_t)), malloc(n_test * sizeof(size_t))};
    knn_dot_rows rows = {.csr = &a_train};
    for (int metric = 0; metric < 2; metric++) {
        for (int inverted = 0; inverted < 2; inverted++) {
            knn_search s = {.metric = {.metric = metric ? KNN_COSINE : KNN_EUCLIDEAN},
                            .k = k,
                            .n_train = n_train,
                            .d = d,
                            .task = DIAL_TASK_CLASSIFICATION,
                            .n_classes = data->n_classes,
                            .n_queries = n_test,
                            .keep_index = index[inverted],
                            .keep_dist = dist[inverted],
                            .keep_count = count[inverted]};
            assert_dial_ok(ctx, dial_knn_dot_search(ctx, &rows, inverted ? NULL : dense,
                                                    inverted ? &a_test : NULL, &s));
        }
        for (size_t i = 0; i < n_test; i++) assert_int_equal(count[0][i], k);
        assert_memory_equal(index[0], index[1], cells * sizeof(size_t));
        assert_memory_equal(dist[0], dist[1], cells * sizeof(double));
    }
    for (int m = 0; m < 2; m++) {
        free(index[m]);
        free(dist[m]);
        free(count[m]);
    }
    free(dense);
    csr_free(&a_train);
    csr_free(&a_test);
    free(train);
    free(test);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sparse_euclidean_predicts_as_scikit_learn),
        cmocka_unit_test(sparse_cosine_predicts_as_scikit_learn),
        cmocka_unit_test(dense_cosine_predicts_as_scikit_learn),
        cmocka_unit_test(manhattan_on_sparse_input_is_refused),
        cmocka_unit_test(a_sparse_prepared_fold_predicts_as_a_full_fit),
        cmocka_unit_test(the_inverted_search_finds_the_row_by_row_distances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

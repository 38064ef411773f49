/* k-means: the family on matrices from a given start, against scikit-learn
 * 1.2 from the same start; its own seeding; the pipeline, the model file
 * and the errors. Reference figures come from
 *   /usr/bin/python3 tests/models/reference_kmeans.py
 * (data/blobs.csv was written by its --blobs). */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/kmeans.h"

extern const dial_model_family dial_model_kmeans;

/* ---- helpers ------------------------------------------------------------ */

/* A set's raw features (row-major) and true labels. */
typedef struct labelled_rows {
    size_t n, d;
    double *x, *truth;
} labelled_rows;

static labelled_rows load_rows(const char *path, const char *target) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    labelled_rows rows = {data->n_rows, data->n_features, NULL, NULL};
    rows.x = malloc(rows.n * rows.d * sizeof *rows.x);
    rows.truth = malloc(rows.n * sizeof *rows.truth);
    for (size_t i = 0; i < rows.n; i++) {
        for (size_t j = 0; j < rows.d; j++) rows.x[i * rows.d + j] = data->features[j]->values[i];
        rows.truth[i] = data->y[i];
    }
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return rows;
}

static void free_rows(labelled_rows *rows) {
    free(rows->x);
    free(rows->truth);
}

static dial_fit_input cluster_input(const labelled_rows *rows) {
    return (dial_fit_input){rows->x, rows->n, rows->d, NULL, DIAL_TASK_CLUSTERING,
                            0,       NULL,    0,       NULL};
}

/* The start of the reference script: centroid c at row (c * 37 + 5) % n. */
static double *reference_start(const labelled_rows *rows, size_t k) {
    double *start = malloc(k * rows->d * sizeof *start);
    for (size_t c = 0; c < k; c++)
        memcpy(start + c * rows->d, rows->x + ((c * 37 + 5) % rows->n) * rows->d,
               rows->d * sizeof *start);
    return start;
}

static double scalar(const dial_tensors *learned, const char *name) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    assert_non_null(t);
    return t->dtype == DIAL_F64 ? *(const double *)t->data : (double)*(const int64_t *)t->data;
}

/* The adjusted Rand index of two labellings (Hubert and Arabie 1985), as
 * scikit-learn's adjusted_rand_score, to compare clusterings without
 * caring how their clusters are numbered. */
static double adjusted_rand(const double *a, const double *b, size_t n) {
    size_t ka = 0, kb = 0;
    for (size_t i = 0; i < n; i++) {
        if ((size_t)a[i] + 1 > ka) ka = (size_t)a[i] + 1;
        if ((size_t)b[i] + 1 > kb) kb = (size_t)b[i] + 1;
    }
    double *table = calloc(ka * kb, sizeof *table), *rows = calloc(ka, sizeof *rows),
           *cols = calloc(kb, sizeof *cols);
    for (size_t i = 0; i < n; i++) {
        table[(size_t)a[i] * kb + (size_t)b[i]] += 1;
        rows[(size_t)a[i]] += 1;
        cols[(size_t)b[i]] += 1;
    }
    double pairs = 0, pairs_a = 0, pairs_b = 0;
    for (size_t i = 0; i < ka * kb; i++) pairs += table[i] * (table[i] - 1) / 2;
    for (size_t i = 0; i < ka; i++) pairs_a += rows[i] * (rows[i] - 1) / 2;
    for (size_t i = 0; i < kb; i++) pairs_b += cols[i] * (cols[i] - 1) / 2;
    double expected = pairs_a * pairs_b / ((double)n * (double)(n - 1) / 2);
    double top = (pairs_a + pairs_b) / 2;
    free(table);
    free(rows);
    free(cols);
    return (pairs - expected) / (top - expected);
}

/* Each row's cluster from the learned centroids. */
static double *predict_rows(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                            const labelled_rows *rows) {
    double *value = malloc(rows->n * sizeof *value);
    dial_fit_input in = cluster_input(rows);
    dial_predict_output out = {value, NULL};
    assert_dial_ok(ctx, dial_model_kmeans.predict(ctx, knobs, learned, &in, &out));
    return value;
}

/* ---- the same start as scikit-learn -------------------------------------------- */

typedef struct parity_case {
    const char *path, *target, *k;
    size_t n_clusters;
    double inertia; /* scikit-learn's from the same start */
    long iterations;
    double ari; /* against the true labels */
} parity_case;

static const parity_case parity_cases[] = {
    {"data/iris.csv", "species", "k=3", 3, 142.7540625, 8, 0.4289511167236898},
    {"data/wine.csv", "cultivar", "k=3", 3, 2633555.3324093386, 12, 0.3517721516862617},
    {"data/blobs.csv", "blob", "k=4", 4, 7311.9455770012555, 9, 0.9306748153297558},
};

/* Lloyd's, Elkan's and Hamerly's iterations, with tol 1e-4 and 0, end
 * where scikit-learn's Lloyd and Elkan end from the same start: the same
 * inertia (to far below the 0.1%), the same iteration count, and
 * the same clusters. */
static void test_kmeans_matches_scikit_learn_from_the_same_start(void **state) {
    (void)state;
    const char *algorithms[] = {"algorithm=lloyd", "algorithm=elkan", "algorithm=hamerly"};
    const char *tols[] = {"tol=1e-4", "tol=0"};
    for (size_t s = 0; s < sizeof parity_cases / sizeof parity_cases[0]; s++) {
        const parity_case *p = &parity_cases[s];
        labelled_rows rows = load_rows(p->path, p->target);
        double *start = reference_start(&rows, p->n_clusters);
        for (size_t a = 0; a < 3; a++) {
            for (size_t t = 0; t < 2; t++) {
                dial_ctx *ctx = test_ctx();
                dial_knobs knobs = test_knobs(
                    ctx, &dial_model_kmeans,
                    (const char *const[]){"scale=none", p->k, algorithms[a], tols[t], NULL});
                dial_fit_input in = cluster_input(&rows);
                dial_tensors learned = {0};
                assert_dial_ok(ctx, dial_kmeans_fit_from(ctx, &knobs, &in, start, &learned));
                double inertia = scalar(&learned, "inertia");
                if (fabs(inertia - p->inertia) > 1e-9 * p->inertia)
                    fail_msg("%s %s %s: inertia %.17g, scikit-learn's %.17g", p->path,
                             algorithms[a], tols[t], inertia, p->inertia);
                assert_int_equal((long)scalar(&learned, "n_iter"), p->iterations);
                double *labels = predict_rows(ctx, &knobs, &learned, &rows);
                assert_float_equal(adjusted_rand(rows.truth, labels, rows.n), p->ari, 1e-12);
                free(labels);
                dial_tensors_clear(&learned);
                dial_knobs_free(&knobs);
                dial_ctx_free(ctx);
            }
        }
        free(start);
        free_rows(&rows);
    }
}

/* From its own k-means++ starts, 10 runs reach the lowest inertia
 * scikit-learn's 10 runs reach (KMeans(k, n_init=10, random_state=0)),
 * within 0.1%, though the random draws differ. */
static void test_kmeans_plusplus_runs_reach_scikit_learns_best_inertia(void **state) {
    (void)state;
    static const struct {
        const char *path, *target, *k;
        double inertia;
    } cases[] = {
        {"data/iris.csv", "species", "k=3", 78.851441426146},
        {"data/wine.csv", "cultivar", "k=3", 2370689.686782969},
        {"data/blobs.csv", "blob", "k=4", 7307.630148208895},
    };
    for (size_t s = 0; s < sizeof cases / sizeof cases[0]; s++) {
        labelled_rows rows = load_rows(cases[s].path, cases[s].target);
        dial_ctx *ctx = test_ctx();
        dial_knobs knobs = test_knobs(ctx, &dial_model_kmeans,
                                      (const char *const[]){"scale=none", cases[s].k, NULL});
        dial_fit_input in = cluster_input(&rows);
        dial_tensors learned = {0};
        assert_dial_ok(ctx, dial_model_kmeans.fit(ctx, &knobs, &in, &learned));
        double inertia = scalar(&learned, "inertia");
        if (fabs(inertia - cases[s].inertia) > 1e-3 * cases[s].inertia)
            fail_msg("%s: inertia %.17g, scikit-learn's best %.17g", cases[s].path, inertia,
                     cases[s].inertia);
        dial_tensors_clear(&learned);
        dial_knobs_free(&knobs);
        dial_ctx_free(ctx);
        free_rows(&rows);
    }
}

/* The learned tensors of a fit: the same for the same seed on 1 and 2
 * threads, for lloyd and elkan (which find the same clusters), and
 * another start for another seed. */
static void test_kmeans_is_reproducible_and_its_algorithms_agree(void **state) {
    (void)state;
    labelled_rows rows = load_rows("data/wine.csv", "cultivar");
    dial_fit_input in = cluster_input(&rows);
    double *centroids[3];
    const char *algorithms[] = {"algorithm=lloyd", "algorithm=elkan", "algorithm=lloyd"};
    for (size_t r = 0; r < 3; r++) {
        dial_ctx *ctx = test_ctx();
        dial_ctx *threaded = dial_ctx_clone(ctx, r == 2 ? 2 : 1);
        dial_knobs knobs = test_knobs(
            ctx, &dial_model_kmeans, (const char *const[]){"k=5", "n_init=3", algorithms[r], NULL});
        dial_tensors learned = {0};
        assert_dial_ok(threaded, dial_model_kmeans.fit(threaded, &knobs, &in, &learned));
        const dial_tensor *t = dial_tensors_find(&learned, "centroids");
        centroids[r] = malloc(5 * rows.d * sizeof(double));
        memcpy(centroids[r], t->data, 5 * rows.d * sizeof(double));
        dial_tensors_clear(&learned);
        dial_knobs_free(&knobs);
        dial_ctx_free(threaded);
        dial_ctx_free(ctx);
    }
    for (size_t i = 0; i < 5 * rows.d; i++) {
        assert_float_equal(centroids[0][i], centroids[1][i], 1e-9 * (1 + fabs(centroids[0][i])));
        assert_true(centroids[0][i] == centroids[2][i]);
    }
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_seed(ctx, 99);
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_kmeans, (const char *const[]){"k=5", "n_init=1", NULL});
    dial_tensors first = {0}, second = {0};
    assert_dial_ok(ctx, dial_model_kmeans.fit(ctx, &knobs, &in, &first));
    dial_ctx_set_seed(ctx, 100);
    assert_dial_ok(ctx, dial_model_kmeans.fit(ctx, &knobs, &in, &second));
    assert_true(scalar(&first, "inertia") != scalar(&second, "inertia"));
    dial_tensors_clear(&first);
    dial_tensors_clear(&second);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
    for (size_t r = 0; r < 3; r++) free(centroids[r]);
    free_rows(&rows);
}

/* A fit's learned tensors and training clusters. */
typedef struct fitted {
    double *centroids, *labels, inertia;
    long iterations;
} fitted;

static fitted fit_rows(const labelled_rows *rows, int threads, const char *const *settings) {
    dial_ctx *ctx = test_ctx();
    dial_ctx *threaded = dial_ctx_clone(ctx, threads);
    dial_knobs knobs = test_knobs(ctx, &dial_model_kmeans, settings);
    dial_fit_input in = cluster_input(rows);
    dial_tensors learned = {0};
    assert_dial_ok(threaded, dial_model_kmeans.fit(threaded, &knobs, &in, &learned));
    const dial_tensor *t = dial_tensors_find(&learned, "centroids");
    fitted out = {malloc(t->shape[0] * t->shape[1] * sizeof(double)), NULL,
                  scalar(&learned, "inertia"), (long)scalar(&learned, "n_iter")};
    memcpy(out.centroids, t->data, t->shape[0] * t->shape[1] * sizeof(double));
    out.labels = predict_rows(threaded, &knobs, &learned, rows);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(threaded);
    dial_ctx_free(ctx);
    return out;
}

static void free_fitted(fitted *f) {
    free(f->centroids);
    free(f->labels);
}

/* Hamerly's bounds skip only distances that cannot change a row's
 * cluster, and the centroids are the same sums of the same rows: from the
 * same k-means++ starts, hamerly ends with Lloyd's model bit for bit (the
 * centroids, the inertia, the iterations, the clusters of every row). */
static void test_hamerly_finds_lloyds_clusters_bit_for_bit(void **state) {
    (void)state;
    static const struct {
        const char *path, *target, *k;
    } cases[] = {
        {"data/iris.csv", "species", "k=3"},   {"data/wine.csv", "cultivar", "k=3"},
        {"data/blobs.csv", "blob", "k=4"},     {"data/digits.csv", "digit", "k=10"},
        {"data/wine.csv", "cultivar", "k=12"},
    };
    for (size_t s = 0; s < sizeof cases / sizeof cases[0]; s++) {
        labelled_rows rows = load_rows(cases[s].path, cases[s].target);
        fitted lloyd = fit_rows(
            &rows, 1,
            (const char *const[]){"scale=none", cases[s].k, "n_init=3", "algorithm=lloyd", NULL});
        fitted hamerly = fit_rows(
            &rows, 1,
            (const char *const[]){"scale=none", cases[s].k, "n_init=3", "algorithm=hamerly", NULL});
        size_t k = (size_t)atoi(cases[s].k + 2);
        if (lloyd.inertia != hamerly.inertia)
            fail_msg("%s %s: hamerly's inertia %.17g, lloyd's %.17g", cases[s].path, cases[s].k,
                     hamerly.inertia, lloyd.inertia);
        assert_int_equal(hamerly.iterations, lloyd.iterations);
        assert_memory_equal(hamerly.centroids, lloyd.centroids, k * rows.d * sizeof(double));
        assert_memory_equal(hamerly.labels, lloyd.labels, rows.n * sizeof(double));
        free_fitted(&lloyd);
        free_fitted(&hamerly);
        free_rows(&rows);
    }
}

/* On 20,000 rows (many blocks of rows, both threads busy), each algorithm
 * gives the same model on 1 and 2 threads, bit for bit: the blocks'
 * sums are added in block order whichever thread made them. Skipped
 * without the shared data folder. */
static void test_kmeans_is_the_same_on_one_and_two_threads(void **state) {
    (void)state;
    const char *path = "../shared/data/letter.csv";
    FILE *f = fopen(path, "rb");
    if (!f) {
        print_message("skipped: %s is not there (the shared data folder beside the "
                      "repository)\n",
                      path);
        return;
    }
    fclose(f);
    labelled_rows rows = load_rows(path, "lettr");
    const char *algorithms[] = {"algorithm=lloyd", "algorithm=hamerly", "algorithm=elkan"};
    for (size_t a = 0; a < 3; a++) {
        const char *const settings[] = {"scale=none", "k=10", "n_init=2", algorithms[a], NULL};
        fitted one = fit_rows(&rows, 1, settings), two = fit_rows(&rows, 2, settings);
        assert_true(one.inertia == two.inertia);
        assert_int_equal(one.iterations, two.iterations);
        assert_memory_equal(one.centroids, two.centroids, 10 * rows.d * sizeof(double));
        assert_memory_equal(one.labels, two.labels, rows.n * sizeof(double));
        free_fitted(&one);
        free_fitted(&two);
    }
    free_rows(&rows);
}

/* ---- the pipeline and the model file --------------------------------------------- */

/* Fitted on iris's measurements alone (no target), saved and loaded: the
 * same tensors and the same clusters, and k-means++ with scaling finds
 * the 3 clusters it is known for. */
static void test_a_kmeans_model_survives_its_file(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_table_read(ctx, "data/iris_measurements.csv", NULL, &table));
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_features_only(ctx, table, &data));
    dial_knobs knobs = test_knobs(ctx, &dial_model_kmeans, (const char *const[]){"k=3", NULL});
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_kmeans, &knobs, &all, &model));
    assert_int_equal(dial_model_get_task(model), DIAL_TASK_CLUSTERING);
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "kmeans.dial", bytes, length, &loaded));
    const dial_tensor *a = dial_tensors_find(dial_model_get_tensors(model), "centroids");
    const dial_tensor *b = dial_tensors_find(dial_model_get_tensors(loaded), "centroids");
    assert_int_equal(b->shape[0], 3);
    assert_int_equal(b->shape[1], 4);
    assert_memory_equal(a->data, b->data, 12 * sizeof(double));
    double *before = malloc(data->n_rows * sizeof *before);
    double *after = malloc(data->n_rows * sizeof *after);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, before, NULL));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &all, after, NULL));
    assert_memory_equal(before, after, data->n_rows * sizeof *before);
    double *proba = malloc(data->n_rows * sizeof *proba);
    assert_dial_error(ctx, dial_model_predict(ctx, loaded, &all, after, proba),
                      DIAL_ERR_UNSUPPORTED,
                      "model 'kmeans' does clustering: it has no class probabilities");
    free(proba);
    free(before);
    free(after);
    free(bytes);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* A file's tensors that do not fit the knobs are refused at load time,
 * each with a message naming what is wrong. */
static void test_kmeans_refuses_tensors_that_do_not_fit(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = test_knobs(ctx, &dial_model_kmeans, (const char *const[]){"k=3", NULL});
    dial_fit_input in = {NULL, 0, 4, NULL, DIAL_TASK_CLUSTERING, 0, NULL, 0, NULL};
    dial_tensors learned = {0};
    assert_dial_error(ctx, dial_model_kmeans.validate(ctx, &knobs, &learned, &in), DIAL_ERR_FORMAT,
                      "kmeans: the learned tensor 'centroids' is missing");
    size_t shape[2] = {2, 4}, one = 1, three = 3;
    double *centroids = NULL, *inertia = NULL;
    int64_t *sizes = NULL, *iterations = NULL;
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &learned, "centroids", DIAL_F64, 2, shape, (void **)&centroids));
    assert_dial_error(ctx, dial_model_kmeans.validate(ctx, &knobs, &learned, &in), DIAL_ERR_FORMAT,
                      "kmeans: the learned tensor 'centroids' must be f64 of shape [3 x 4]");
    dial_tensors_clear(&learned);
    shape[0] = 3;
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &learned, "centroids", DIAL_F64, 2, shape, (void **)&centroids));
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &learned, "inertia", DIAL_F64, 1, &one, (void **)&inertia));
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &learned, "cluster_size", DIAL_I64, 1, &three, (void **)&sizes));
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &learned, "n_iter", DIAL_I64, 1, &one, (void **)&iterations));
    assert_dial_ok(ctx, dial_model_kmeans.validate(ctx, &knobs, &learned, &in));
    centroids[5] = NAN;
    assert_int_equal(dial_model_kmeans.validate(ctx, &knobs, &learned, &in), DIAL_ERR_FORMAT);
    assert_non_null(strstr(dial_ctx_error(ctx), "centroids"));
    centroids[5] = 0;
    sizes[1] = -4;
    assert_dial_error(ctx, dial_model_kmeans.validate(ctx, &knobs, &learned, &in), DIAL_ERR_FORMAT,
                      "kmeans: cluster_size[1] is -4, below 0");
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* More clusters than rows, and a missing value, are refused with the fix. */
static void test_kmeans_says_what_is_wrong_with_its_rows(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double x[6] = {1, 2, 3, 4, NAN, 6};
    dial_fit_input in = {x, 3, 2, NULL, DIAL_TASK_CLUSTERING, 0, NULL, 0, NULL};
    dial_knobs knobs = test_knobs(ctx, &dial_model_kmeans, (const char *const[]){"k=4", NULL});
    dial_tensors learned = {0};
    assert_dial_error(ctx, dial_model_kmeans.fit(ctx, &knobs, &in, &learned), DIAL_ERR_ARGUMENT,
                      "knob 'k' = 4 is more clusters than the 3 rows kmeans is fitted on: lower "
                      "k (-s k=3 at most)");
    dial_knobs_free(&knobs);
    knobs = test_knobs(ctx, &dial_model_kmeans, (const char *const[]){"k=2", NULL});
    assert_dial_error(ctx, dial_model_kmeans.fit(ctx, &knobs, &in, &learned), DIAL_ERR_DATA,
                      "kmeans: input 0 of row 2 is nan; impute missing values first (the impute "
                      "knob)");
    assert_int_equal(learned.count, 0);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* Two identical rows and k = 2 with one distinct point: the empty cluster
 * takes a row (as scikit-learn relocates it), and nothing is NaN. */
static void test_kmeans_fills_an_empty_cluster(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    double x[8] = {0, 0, 0, 0, 0, 0, 10, 10};
    double start[4] = {0, 0, 100, 100};
    dial_fit_input in = {x, 4, 2, NULL, DIAL_TASK_CLUSTERING, 0, NULL, 0, NULL};
    dial_knobs knobs =
        test_knobs(ctx, &dial_model_kmeans, (const char *const[]){"k=2", "scale=none", NULL});
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_kmeans_fit_from(ctx, &knobs, &in, start, &learned));
    const double *c = dial_tensors_find(&learned, "centroids")->data;
    for (size_t i = 0; i < 4; i++) assert_true(isfinite(c[i]));
    assert_float_equal(scalar(&learned, "inertia"), 0, 1e-12);
    const int64_t *sizes = dial_tensors_find(&learned, "cluster_size")->data;
    assert_int_equal(sizes[0] + sizes[1], 4);
    assert_true(sizes[0] > 0 && sizes[1] > 0);
    dial_tensors_clear(&learned);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kmeans_matches_scikit_learn_from_the_same_start),
        cmocka_unit_test(test_kmeans_plusplus_runs_reach_scikit_learns_best_inertia),
        cmocka_unit_test(test_kmeans_is_reproducible_and_its_algorithms_agree),
        cmocka_unit_test(test_hamerly_finds_lloyds_clusters_bit_for_bit),
        cmocka_unit_test(test_kmeans_is_the_same_on_one_and_two_threads),
        cmocka_unit_test(test_a_kmeans_model_survives_its_file),
        cmocka_unit_test(test_kmeans_refuses_tensors_that_do_not_fit),
        cmocka_unit_test(test_kmeans_says_what_is_wrong_with_its_rows),
        cmocka_unit_test(test_kmeans_fills_an_empty_cluster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* DBSCAN: the labels of scikit-learn 1.2's DBSCAN, row for row, on iris,
 * wine and blobs with both metrics; predict; the model file and its
 * checks. The labels come from
 *   /usr/bin/python3 tests/models/reference_dbscan.py
 * (one character per row: 0-9 then a-z, '-' for noise). */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

extern const dial_model_family dial_model_dbscan;

typedef struct dbscan_case {
    const char *path, *target, *scale, *eps, *min_samples, *metric;
    long n_core;
    const char *labels;
} dbscan_case;

static const dbscan_case cases[] = {
    {"data/iris.csv", "species", "scale=none", "eps=0.5", "min_samples=5", "metric=euclidean", 117,
     "00000000000000000000000000000000000000000-000000001111111-11-1111111-111111111111111111-"
     "11111-1111-111111--1--1111111--111-11111111-11--11111111111111"},
    {"data/iris.csv", "species", "scale=none", "eps=0.8", "min_samples=4", "metric=manhattan", 127,
     "00000000000000000000000000000000000000000-000000001111111211211111111111111111111111111111"
     "111211112111111--1--1111111--111-11111111-11--11111111111111"},
    {"data/wine.csv", "cultivar", "scale=standard", "eps=2.3", "min_samples=5", "metric=euclidean",
     101,
     "0000000000000--00000000000000000000000000-0-0-0000-00000000----000-0----0--00---0001-"
     "0000000000--0--0000000000-0-00-00-00----00-0-111111--11111111111111-1111---111111111-"
     "11111111"},
    {"data/wine.csv", "cultivar", "scale=standard", "eps=6.0", "min_samples=4", "metric=manhattan",
     99,
     "0000000000000--0000000000-00000000000000000-0-0000-00000000-----00-0------------0000-"
     "000000000---0---0000-000--0-00-00-00----00-00111111--11111111-11111-1111---111111111-"
     "11111111"},
    {"data/blobs.csv", "blob", "scale=none", "eps=2.5", "min_samples=5", "metric=euclidean", 151,
     "0-11-0101-1-11-1120-3-0001000010-11-0001-00---020---3--2-1100-2201203011---0200-1-220121-"
     "20101--20-0-0-0120-0-31121--004-1-13020-21-1000041-2--000-0-1---01-2000000410-201--1-21--"
     "0-00000212210-020201--0--0104020-0020--202004011-11201100--1411-2--00032341-0-20-0124000-"
     "001-11000011--002-2-012-20000-00-"},
    {"data/blobs.csv", "blob", "scale=none", "eps=4.0", "min_samples=5", "metric=manhattan", 181,
     "0-11-0101-101121120-0-0001000010111100012000-0020---0-22-1100-2201200011---0200-1-220121-"
     "201012-20-020-0120-0-011211-00221-10020-21-1000021021--00-0-1-1001-0000000210-201001-21--"
     "0-00000212210-020201--0--0102020200201-202002011-11201100--1211-21-0000202100020-01220000"
     "001-11000011--002-2-012-20000-00-"},
    /* Border rows within eps of core rows of two clusters: scikit-learn
     * gives them the first cluster to reach them (the lower number), not
     * the cluster of their nearest core row. */
    {"data/iris.csv", "species", "scale=none", "eps=0.3", "min_samples=10", "metric=euclidean", 8,
     "01110--010-01----0-0-0---100011---00-0100-1--101-0-------------------------------------"
     "---------------------------------------------------------------"},
    {"data/iris.csv", "species", "scale=none", "eps=0.7", "min_samples=10", "metric=manhattan", 47,
     "00000000000000--000000-000000000000000000-00000000222111--11-1-1-211-1-1-111221-111-112-"
     "11111-1111-1--------------------------------------1-----------"},
    {"data/wine.csv", "cultivar", "scale=standard", "eps=2.5", "min_samples=8", "metric=euclidean",
     100,
     "0000000000000-00000000000-000000000000000000000000-00000000--1000000----0-000---0000-"
     "0000000000--00-000000000--0-00-00-00----00-00-111011111111111111111111111--11111111111111"
     "1111"},
};

static char label_char(double label) {
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    return label < 0 ? '-' : digits[(size_t)label];
}

/* Fitted through the pipeline (scaling included): as many core rows as
 * scikit-learn finds, and every training row, predicted, gets
 * scikit-learn's label: a core row its cluster, noise -1, and a border row
 * the lowest cluster among the core rows within eps (the first to reach it
 * as scikit-learn grows the clusters in the order of their numbers). */
static void test_dbscan_labels_equal_scikit_learns(void **state) {
    (void)state;
    for (size_t s = 0; s < sizeof cases / sizeof cases[0]; s++) {
        const dbscan_case *c = &cases[s];
        dial_ctx *ctx = test_ctx();
        dial_table *table = NULL;
        dial_dataset *data = test_load_dataset(ctx, c->path, c->target, &table);
        dial_knobs knobs =
            test_knobs(ctx, &dial_model_dbscan,
                       (const char *const[]){c->scale, c->eps, c->min_samples, c->metric, NULL});
        dial_view all = dial_view_all(data);
        dial_model *model = NULL;
        assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_dbscan, &knobs, &all, &model));
        const dial_tensor *core = dial_tensors_find(dial_model_get_tensors(model), "core_rows");
        assert_int_equal((long)core->shape[0], c->n_core);
        double *x = NULL;
        assert_dial_ok(ctx, dial_model_transform(ctx, model, &all, &x));
        dial_tensors learned = {0};
        dial_fit_input in = {
            x, data->n_rows, dial_model_n_inputs(model), NULL, DIAL_TASK_CLUSTERING, 0, NULL,
            0, NULL};
        assert_dial_ok(ctx, dial_model_dbscan.fit(ctx, &knobs, &in, &learned));
        char *text = malloc(data->n_rows + 1);
        double *value = malloc(data->n_rows * sizeof *value);
        dial_predict_output out = {value, NULL};
        assert_dial_ok(ctx, dial_model_dbscan.predict(ctx, &knobs, &learned, &in, &out));
        for (size_t i = 0; i < data->n_rows; i++) text[i] = label_char(value[i]);
        text[data->n_rows] = '\0';
        if (strcmp(text, c->labels) != 0)
            fail_msg("%s %s %s:\n  dial    %s\n  sklearn %s", c->path, c->eps, c->metric, text,
                     c->labels);
        free(text);
        free(value);
        free(x);
        dial_tensors_clear(&learned);
        dial_model_free(model);
        dial_knobs_free(&knobs);
        dial_dataset_free(data);
        dial_table_free(table);
        dial_ctx_free(ctx);
    }
}

typedef struct dbscan_large_case {
    const char *path, *target, *eps, *min_samples, *metric;
    long n_core, n_clusters, n_noise;
    long long checksum; /* sum over rows of (row + 1) * (label + 1) */
} dbscan_large_case;

/* From the second part of reference_dbscan.py: raw features, thousands of
 * rows, tens of clusters, and (whole-number features) many distances
 * exactly eps, where the kd-tree's shortcuts must decide as scikit-learn. */
static const dbscan_large_case large_cases[] = {
    {"data/letter_2000.csv", "lettr", "eps=4", "min_samples=5", "metric=euclidean", 1029, 43, 631,
     10216162},
    {"data/letter_2000.csv", "lettr", "eps=8", "min_samples=5", "metric=manhattan", 489, 53, 1231,
     13184123},
    {"data/shuttle_3classes.csv", "Class", "eps=6", "min_samples=5", "metric=euclidean", 1219, 33,
     488, 5922457},
    {"data/digits.csv", "digit", "eps=18.5", "min_samples=5", "metric=euclidean", 638, 25, 775,
     6090704},
    {"data/digits.csv", "digit", "eps=80", "min_samples=10", "metric=manhattan", 245, 16, 1149,
     3082310},
};

/* Fitted and predicted through the pipeline on the training rows: the core
 * rows, the clusters, the noise and every label are scikit-learn's. */
static void test_dbscan_labels_equal_scikit_learns_on_larger_sets(void **state) {
    (void)state;
    for (size_t s = 0; s < sizeof large_cases / sizeof large_cases[0]; s++) {
        const dbscan_large_case *c = &large_cases[s];
        dial_ctx *ctx = test_ctx();
        dial_table *table = NULL;
        dial_dataset *data = test_load_dataset(ctx, c->path, c->target, &table);
        dial_knobs knobs = test_knobs(
            ctx, &dial_model_dbscan,
            (const char *const[]){"scale=none", c->eps, c->min_samples, c->metric, NULL});
        dial_view all = dial_view_all(data);
        dial_model *model = NULL;
        assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_dbscan, &knobs, &all, &model));
        const dial_tensors *learned = dial_model_get_tensors(model);
        const dial_tensor *core = dial_tensors_find(learned, "core_rows");
        const int64_t *noise = dial_tensors_find(learned, "n_noise")->data;
        double *value = malloc(data->n_rows * sizeof *value);
        assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, value, NULL));
        long long checksum = 0;
        long clusters = 0, n_noise = 0;
        for (size_t i = 0; i < data->n_rows; i++) {
            checksum += (long long)(i + 1) * ((long long)value[i] + 1);
            if (value[i] + 1 > clusters) clusters = (long)value[i] + 1;
            n_noise += value[i] < 0;
        }
        if ((long)core->shape[0] != c->n_core || clusters != c->n_clusters ||
            n_noise != c->n_noise || *noise != c->n_noise || checksum != c->checksum)
            fail_msg("%s %s %s: dial core %zu clusters %ld noise %ld (fit %lld) checksum %lld; "
                     "sklearn core %ld clusters %ld noise %ld checksum %lld",
                     c->path, c->eps, c->metric, core->shape[0], clusters, n_noise,
                     (long long)*noise, checksum, c->n_core, c->n_clusters, c->n_noise,
                     c->checksum);
        free(value);
        dial_model_free(model);
        dial_knobs_free(&knobs);
        dial_dataset_free(data);
        dial_table_free(table);
        dial_ctx_free(ctx);
    }
}

/* Saved and loaded, the same clusters; a point far from every core row is
 * noise; a file whose labels do not fit its core rows is refused. */
static void test_a_dbscan_model_survives_its_file(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_table_read(ctx, "data/iris_measurements.csv", NULL, &table));
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_features_only(ctx, table, &data));
    dial_knobs knobs = test_knobs(ctx, &dial_model_dbscan, (const char *const[]){"eps=0.6", NULL});
    dial_view all = dial_view_all(data);
    dial_model *model = NULL, *loaded = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, &dial_model_dbscan, &knobs, &all, &model));
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "dbscan.dial", bytes, length, &loaded));
    double *a = malloc(150 * sizeof *a), *b = malloc(150 * sizeof *b);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, a, NULL));
    assert_dial_ok(ctx, dial_model_predict(ctx, loaded, &all, b, NULL));
    assert_memory_equal(a, b, 150 * sizeof *a);
    double far[2] = {100, 100}, value = 0;
    size_t shape[2] = {1, 2}, one = 1;
    dial_tensors learned = {0};
    double *rows = NULL;
    int64_t *labels = NULL, *noise = NULL;
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &learned, "core_rows", DIAL_F64, 2, shape, (void **)&rows));
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &learned, "core_labels", DIAL_I64, 1, &one, (void **)&labels));
    assert_dial_ok(ctx,
                   dial_tensors_add(ctx, &learned, "n_noise", DIAL_I64, 1, &one, (void **)&noise));
    dial_fit_input in = {far, 1, 2, NULL, DIAL_TASK_CLUSTERING, 0, NULL, 0, NULL};
    dial_predict_output out = {&value, NULL};
    assert_dial_ok(ctx, dial_model_dbscan.predict(ctx, &knobs, &learned, &in, &out));
    assert_true(value == -1);
    labels[0] = 3;
    assert_dial_error(ctx, dial_model_dbscan.validate(ctx, &knobs, &learned, &in), DIAL_ERR_FORMAT,
                      "dbscan: core_labels[0] is 3, not a cluster of the 1 core rows");
    dial_tensors_clear(&learned);
    free(a);
    free(b);
    free(bytes);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dbscan_labels_equal_scikit_learns),
        cmocka_unit_test(test_dbscan_labels_equal_scikit_learns_on_larger_sets),
        cmocka_unit_test(test_a_dbscan_model_survives_its_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

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
};

static char label_char(double label) {
    static const char digits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    return label < 0 ? '-' : digits[(size_t)label];
}

/* Fitted through the pipeline (scaling included): as many core rows as
 * scikit-learn finds, and every training row, predicted, gets
 * scikit-learn's label: a core row its cluster, noise -1, and a border row
 * the cluster of its nearest core row (in these sets no border row is
 * within eps of two clusters, where DBSCAN's label would depend on the
 * order clusters grow in). */
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
        cmocka_unit_test(test_a_dbscan_model_survives_its_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Preprocessing: imputation, one-hot encoding and scaling, checked against
 * scikit-learn. The figures come from tests/data/reference_preprocess.py. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/preprocess.h"

/* ---- reference figures (scikit-learn 1.2) ------------------------------------- */

static const double wine_standard_center[] = {
    13.000617977528091, 2.3363483146067416, 2.3665168539325845,  19.494943820224719,
    99.741573033707866, 2.2951123595505618, 2.0292696629213487,  0.36185393258426962,
    1.5908988764044945, 5.0580898820224718, 0.95744943820224715, 2.6116853932584267,
    746.89325842696633};
static const double wine_standard_scale[] = {
    0.80954291452851679, 1.1140036269797893,  0.27357229442643255, 3.3301697576582128,
    14.242307673359806,  0.62409056419653686, 0.99604895037923302, 0.12410325988364795,
    0.57074884861993791, 2.3117646609525573,  0.22792860656507252, 0.70799326467160051,
    314.02165684198781};
static const double wine_standard_row0[] = {
    1.518612540989146,  -0.56224979832862354, 0.23205254099474312, -1.1695931750229027,
    1.9139052175708113, 0.80899739463203968,  1.0348189581307363,  -0.65956311430506431,
    1.2248839840604524, 0.25171684981885362,  0.36217727577861142, 1.8479195665066517,
    1.0130089267476907};
static const double wine_minmax_center[] = {11.03, 0.74, 1.36, 10.6, 70,   0.98, 0.34,
                                            0.13,  0.41, 1.28, 0.48, 1.27, 278};
static const double wine_minmax_scale[] = {3.8000000000000007,
                                           5.0599999999999996,
                                           1.8699999999999999,
                                           19.399999999999999,
                                           92,
                                           2.8999999999999999,
                                           4.7400000000000002,
                                           0.53000000000000003,
                                           3.1699999999999999,
                                           11.720000000000001,
                                           1.23,
                                           2.73,
                                           1402};
static const double wine_minmax_row177[] = {
    0.81578947368421062, 0.66403162055335962, 0.73796791443850263,  0.71649484536082486,
    0.28260869565217395, 0.36896551724137927, 0.088607594936708847, 0.81132075471698117,
    0.29652996845425872, 0.67576791808873715, 0.10569105691056913,  0.12087912087912095,
    0.20114122681883026};
static const double wine_head_center[] = {13.721833333333334, 1.9928333333333335,
                                          2.437333333333334};
static const double wine_head_scale[] = {0.48725247277178824, 0.69071241402546746,
                                         0.26373513649535252};

/* credit_data without Status: 9 numeric features and Home (6 levels),
 * Marital (5), Records (2), Job (4); categorical fills are level indices. */
static const double credit_fill_mean[] = {7.9867534800179616,
                                          1,
                                          46.438706780422095,
                                          37.08037718904356,
                                          0,
                                          0,
                                          1,
                                          55.573417153120793,
                                          141.68769948440953,
                                          5403.979351032448,
                                          343.02592425608657,
                                          1038.9182757072294,
                                          1462.7801975752134};
static const double credit_fill_median[] = {5, 1, 48, 36, 0, 0, 1, 51, 125, 3000, 0, 1000, 1400};
static const double credit_fill_most_frequent[] = {0,  1,   60, 28, 0,    0,   1,
                                                   35, 100, 0,  0,  1000, 1500};
static const double credit_standard_center[] = {
    7.9867534800179616,   0.2184553210597216,    0.47440502918724742,   0.17579703637180064,
    0.055231252806466097, 0.071621014818140996,  0.0044903457566232603, 46.438706780422095,
    37.08037718904356,    0.72788504714863045,   0.015042658284687921,  0.21935339021104625,
    0.02918724741805119,  0.0085316569375841946, 0.82644813650651106,   0.173551863493489,
    0.2299057027391109,   0.63022002694207457,   0.10148181409968568,   0.038392456219128873,
    55.573417153120793,   141.68769948440922,    5403.9793510324489,    343.02592425608651,
    1038.9182757072294,   1462.7801975752134};
static const double credit_standard_scale[] = {
    8.1733879127328279,  0.41319800793373707,  0.49934446774656377,  0.38064739375792844,
    0.22843108702602163, 0.25785935130329857,  0.066859423805541843, 14.65381669480613,
    10.983365233249399,  0.44504876731216891,  0.1217225398864849,   0.41380850693764343,
    0.16833107855119267, 0.091972103202457037, 0.37872366465726526,  0.37872366465726526,
    0.42077199358695672, 0.48274500989985675,  0.30196565285926702,  0.19214181097457586,
    19.513443333274548,  77.208069104417874,   11511.881430186048,   1243.3311078831912,
    474.49272377478491,  628.05760281223775};
static const double credit_standard_row29[] = {
    -0.97716559709296069,   -0.52869403255873004,  1.052569928700025,       -0.46183696317016748,
    -0.24178518574476884,   -0.27775224926358844,  -0.067160999916530309,   0.10654515830891258,
    -0.0073180839694047452, -1.6355174996767774,   -0.12358153468302822,    1.8864924154558014,
    -0.17339191116258901,   -0.092763529815161075, 0.45825460537447193,     -0.4582546053744721,
    -0.54639022141001548,   0.76599439761093457,   -0.33607071909924113,    -0.1998131277330833,
    -1.0543201833598874,    4.049302195494937e-15, -7.9004870514743438e-17, 4.5718649280468545e-17,
    0.97173613248413104,    0.61653549083864645};

/* ---- helpers ------------------------------------------------------------------ */

/* The feature schema of a dataset, borrowing its names and levels. */
static dial_feature *features_of(const dial_dataset *data) {
    dial_feature *features = calloc(data->n_features, sizeof *features);
    for (size_t j = 0; j < data->n_features; j++) {
        const dial_column *col = data->features[j];
        features[j] = (dial_feature){
            .name = col->name, .type = col->type, .n_levels = col->n_levels, .levels = col->levels};
    }
    return features;
}

static void assert_close(double actual, double expected, double tolerance) {
    double bound = tolerance * (fabs(expected) > 1 ? fabs(expected) : 1);
    if (!(fabs(actual - expected) <= bound))
        fail_msg("%.17g differs from the reference %.17g by more than %g", actual, expected, bound);
}

static void assert_vector(const dial_tensors *learned, const char *name, const double *expected,
                          size_t n, double tolerance) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t) fail_msg("no tensor %s", name);
    assert_int_equal(t->dtype, DIAL_F64);
    assert_int_equal(t->ndim, 1);
    assert_int_equal(t->shape[0], n);
    const double *v = t->data;
    for (size_t k = 0; k < n; k++) assert_close(v[k], expected[k], tolerance);
}

static dial_table *parse_csv(dial_ctx *ctx, const char *text) {
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_csv_parse(ctx, "test.csv", text, strlen(text), NULL, &table));
    return table;
}

typedef struct loaded {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
    dial_feature *features;
    dial_tensors learned;
} loaded;

static loaded load(const char *path, const char *target) {
    loaded l = {.ctx = test_ctx()};
    l.data = test_load_dataset(l.ctx, path, target, &l.table);
    l.features = features_of(l.data);
    return l;
}

static void unload(loaded *l) {
    dial_tensors_clear(&l->learned);
    free(l->features);
    dial_dataset_free(l->data);
    dial_table_free(l->table);
    dial_ctx_free(l->ctx);
}

/* ---- shapes ---------------------------------------------------------------------- */

static void n_inputs_counts_one_column_per_level(void **state) {
    (void)state;
    loaded l = load("data/credit_data.csv", "Status");
    assert_int_equal(dial_preprocess_n_inputs(l.features, l.data->n_features), 26);
    assert_int_equal(dial_preprocess_n_inputs(l.features, 1), 1);
    assert_int_equal(dial_preprocess_n_inputs(l.features + 1, 1), 6);
    unload(&l);
}

/* ---- scaling ----------------------------------------------------------------------- */

static void wine_standard_scaling_matches_scikit_learn(void **state) {
    (void)state;
    loaded l = load("data/wine.csv", NULL);
    dial_view all = dial_view_all(l.data);
    assert_dial_ok(l.ctx, dial_preprocess_fit(l.ctx, DIAL_IMPUTE_MEAN, DIAL_SCALE_STANDARD,
                                              l.features, 13, &all, &l.learned));
    assert_vector(&l.learned, "preprocess.center", wine_standard_center, 13, 1e-13);
    assert_vector(&l.learned, "preprocess.scale", wine_standard_scale, 13, 1e-13);
    double *x = NULL;
    size_t unseen = 99;
    assert_dial_ok(l.ctx,
                   dial_preprocess_transform(l.ctx, l.features, 13, &l.learned, &all, &x, &unseen));
    assert_int_equal(unseen, 0);
    for (size_t k = 0; k < 13; k++) assert_close(x[k], wine_standard_row0[k], 1e-12);
    free(x);
    unload(&l);
}

static void wine_minmax_scaling_matches_scikit_learn(void **state) {
    (void)state;
    loaded l = load("data/wine.csv", NULL);
    dial_view all = dial_view_all(l.data);
    assert_dial_ok(l.ctx, dial_preprocess_fit(l.ctx, DIAL_IMPUTE_MEAN, DIAL_SCALE_MINMAX,
                                              l.features, 13, &all, &l.learned));
    assert_vector(&l.learned, "preprocess.center", wine_minmax_center, 13, 1e-15);
    assert_vector(&l.learned, "preprocess.scale", wine_minmax_scale, 13, 1e-15);
    double *x = NULL;
    assert_dial_ok(l.ctx,
                   dial_preprocess_transform(l.ctx, l.features, 13, &l.learned, &all, &x, NULL));
    for (size_t k = 0; k < 13; k++) assert_close(x[177 * 13 + k], wine_minmax_row177[k], 1e-14);
    free(x);
    unload(&l);
}

static void fit_learns_from_the_training_rows_only(void **state) {
    (void)state;
    loaded l = load("data/wine.csv", NULL);
    size_t rows[60];
    for (size_t i = 0; i < 60; i++) rows[i] = 59 - i; /* order must not matter */
    dial_view head = {.data = l.data, .rows = rows, .n = 60};
    assert_dial_ok(l.ctx, dial_preprocess_fit(l.ctx, DIAL_IMPUTE_MEAN, DIAL_SCALE_STANDARD,
                                              l.features, 13, &head, &l.learned));
    const double *center = dial_tensors_find(&l.learned, "preprocess.center")->data;
    const double *scale = dial_tensors_find(&l.learned, "preprocess.scale")->data;
    for (size_t k = 0; k < 3; k++) {
        assert_close(center[k], wine_head_center[k], 1e-13);
        assert_close(scale[k], wine_head_scale[k], 1e-13);
    }
    unload(&l);
}

static void fit_refuses_a_schema_of_another_width(void **state) {
    (void)state;
    loaded l = load("data/wine.csv", NULL);
    dial_view all = dial_view_all(l.data);
    assert_dial_error(l.ctx,
                      dial_preprocess_fit(l.ctx, DIAL_IMPUTE_MEAN, DIAL_SCALE_STANDARD, l.features,
                                          3, &all, &l.learned),
                      DIAL_ERR_ARGUMENT, "the data has 13 features but the model has 3");
    unload(&l);
}

static void scale_none_learns_no_scaling(void **state) {
    (void)state;
    loaded l = load("data/wine.csv", NULL);
    dial_view all = dial_view_all(l.data);
    assert_dial_ok(l.ctx, dial_preprocess_fit(l.ctx, DIAL_IMPUTE_MEAN, DIAL_SCALE_NONE, l.features,
                                              13, &all, &l.learned));
    assert_int_equal(l.learned.count, 1);
    assert_non_null(dial_tensors_find(&l.learned, "preprocess.fill"));
    double *x = NULL;
    assert_dial_ok(l.ctx,
                   dial_preprocess_transform(l.ctx, l.features, 13, &l.learned, &all, &x, NULL));
    assert_true(x[0] == 14.23 && x[12] == 1065 && x[13] == 13.2);
    free(x);
    unload(&l);
}

static void constant_column_keeps_scale_one(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "x,k,y\n1,5,a\n2,5,b\n4,5,a\n");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data));
    dial_feature *features = features_of(data);
    dial_view all = dial_view_all(data);
    dial_scale scales[] = {DIAL_SCALE_STANDARD, DIAL_SCALE_MINMAX};
    for (size_t s = 0; s < 2; s++) {
        dial_tensors learned = {0};
        assert_dial_ok(ctx, dial_preprocess_fit(ctx, DIAL_IMPUTE_MEAN, scales[s], features, 2, &all,
                                                &learned));
        const double *center = dial_tensors_find(&learned, "preprocess.center")->data;
        const double *scale = dial_tensors_find(&learned, "preprocess.scale")->data;
        assert_true(center[1] == 5);
        assert_true(scale[1] == 1);
        double *x = NULL;
        assert_dial_ok(ctx, dial_preprocess_transform(ctx, features, 2, &learned, &all, &x, NULL));
        for (size_t i = 0; i < 3; i++) assert_true(x[i * 2 + 1] == 0);
        free(x);
        dial_tensors_clear(&learned);
    }
    free(features);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- imputation ------------------------------------------------------------------------ */

static void credit_fill_values_match_scikit_learn(void **state) {
    (void)state;
    loaded l = load("data/credit_data.csv", "Status");
    dial_view all = dial_view_all(l.data);
    dial_impute imputes[] = {DIAL_IMPUTE_MEAN, DIAL_IMPUTE_MEDIAN, DIAL_IMPUTE_MOST_FREQUENT};
    const double *expected[] = {credit_fill_mean, credit_fill_median, credit_fill_most_frequent};
    for (size_t s = 0; s < 3; s++) {
        dial_tensors_clear(&l.learned);
        assert_dial_ok(l.ctx, dial_preprocess_fit(l.ctx, imputes[s], DIAL_SCALE_NONE, l.features,
                                                  13, &all, &l.learned));
        assert_vector(&l.learned, "preprocess.fill", expected[s], 13, 1e-14);
    }
    unload(&l);
}

static void ties_and_even_counts_follow_scikit_learn(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    /* x: 4 1 4 1 10 2 and one missing; c: b a and missing, a tie. */
    dial_table *table =
        parse_csv(ctx, "x,c,y\n4,b,0\n1,a,1\n4,NA,0\n1,NA,1\n10,NA,0\n2,NA,1\nNA,NA,0\n");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data));
    dial_feature *features = features_of(data);
    dial_view all = dial_view_all(data);
    dial_impute imputes[] = {DIAL_IMPUTE_MEAN, DIAL_IMPUTE_MEDIAN, DIAL_IMPUTE_MOST_FREQUENT};
    const double expected[] = {22.0 / 6.0, 3, 1};
    for (size_t s = 0; s < 3; s++) {
        dial_tensors learned = {0};
        assert_dial_ok(ctx, dial_preprocess_fit(ctx, imputes[s], DIAL_SCALE_NONE, features, 2, &all,
                                                &learned));
        const double *fill = dial_tensors_find(&learned, "preprocess.fill")->data;
        assert_true(fill[0] == expected[s]);
        assert_true(fill[1] == 1); /* "a", which sorts before "b" */
        dial_tensors_clear(&learned);
    }
    free(features);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void credit_one_hot_in_training_level_order(void **state) {
    (void)state;
    loaded l = load("data/credit_data.csv", "Status");
    dial_view all = dial_view_all(l.data);
    assert_dial_ok(l.ctx, dial_preprocess_fit(l.ctx, DIAL_IMPUTE_MEAN, DIAL_SCALE_NONE, l.features,
                                              13, &all, &l.learned));
    double *x = NULL;
    assert_dial_ok(l.ctx,
                   dial_preprocess_transform(l.ctx, l.features, 13, &l.learned, &all, &x, NULL));
    /* Row 1: Seniority 9, Home rent, Time 60, Age 30, married, no, freelance. */
    const double row0[] = {9, 1, 0, 0, 0, 0, 0, 60, 30, 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0};
    for (size_t k = 0; k < 20; k++) assert_true(x[k] == row0[k]);
    /* Row 30: Home and Job missing, filled with owner and fixed. */
    const double *row29 = x + 29 * 26;
    const double home[] = {0, 1, 0, 0, 0, 0}, job[] = {0, 1, 0, 0};
    for (size_t k = 0; k < 6; k++) assert_true(row29[1 + k] == home[k]);
    for (size_t k = 0; k < 4; k++) assert_true(row29[16 + k] == job[k]);
    assert_close(row29[21], credit_fill_mean[8], 1e-14); /* Income */
    free(x);
    unload(&l);
}

static void credit_standard_scaling_includes_one_hot_columns(void **state) {
    (void)state;
    loaded l = load("data/credit_data.csv", "Status");
    dial_view all = dial_view_all(l.data);
    assert_dial_ok(l.ctx, dial_preprocess_fit(l.ctx, DIAL_IMPUTE_MEAN, DIAL_SCALE_STANDARD,
                                              l.features, 13, &all, &l.learned));
    assert_vector(&l.learned, "preprocess.center", credit_standard_center, 26, 1e-12);
    assert_vector(&l.learned, "preprocess.scale", credit_standard_scale, 26, 1e-12);
    double *x = NULL;
    assert_dial_ok(l.ctx,
                   dial_preprocess_transform(l.ctx, l.features, 13, &l.learned, &all, &x, NULL));
    for (size_t k = 0; k < 26; k++) assert_close(x[29 * 26 + k], credit_standard_row29[k], 1e-11);
    free(x);
    unload(&l);
}

static void impute_none_fails_at_fit_on_a_missing_value(void **state) {
    (void)state;
    loaded l = load("data/credit_data.csv", "Status");
    dial_view all = dial_view_all(l.data);
    assert_dial_error(l.ctx,
                      dial_preprocess_fit(l.ctx, DIAL_IMPUTE_NONE, DIAL_SCALE_STANDARD, l.features,
                                          13, &all, &l.learned),
                      DIAL_ERR_DATA,
                      "feature 'Home' is missing on row 30 and impute=none; set impute to mean, "
                      "median or most_frequent, or remove the row");
    unload(&l);
}

static void transform_without_fill_fails_on_a_missing_value(void **state) {
    (void)state;
    loaded l = load("data/credit_data.csv", "Status");
    size_t rows[29];
    for (size_t i = 0; i < 29; i++) rows[i] = i; /* the first missing value is on row 30 */
    dial_view head = {.data = l.data, .rows = rows, .n = 29};
    assert_dial_ok(l.ctx, dial_preprocess_fit(l.ctx, DIAL_IMPUTE_NONE, DIAL_SCALE_NONE, l.features,
                                              13, &head, &l.learned));
    assert_null(dial_tensors_find(&l.learned, "preprocess.fill"));
    dial_view all = dial_view_all(l.data);
    double *x = NULL;
    assert_dial_error(l.ctx,
                      dial_preprocess_transform(l.ctx, l.features, 13, &l.learned, &all, &x, NULL),
                      DIAL_ERR_DATA,
                      "feature 'Home' is missing on row 30 and impute=none; set impute to mean, "
                      "median or most_frequent, or remove the row");
    assert_null(x);
    unload(&l);
}

/* ---- levels at transform time --------------------------------------------------------------- */

static void unseen_levels_encode_as_zeros_and_are_counted(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *train_table = parse_csv(ctx, "c,y\na,1\nb,2\na,1\n");
    dial_table *new_table = parse_csv(ctx, "c,y\nb,1\nz,2\nz,1\na,1\n");
    dial_dataset *train = NULL, *fresh = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, train_table, NULL, DIAL_TASK_AUTO, &train));
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, new_table, NULL, DIAL_TASK_AUTO, &fresh));
    dial_feature *features = features_of(train);
    dial_view train_view = dial_view_all(train), fresh_view = dial_view_all(fresh);
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_preprocess_fit(ctx, DIAL_IMPUTE_MEAN, DIAL_SCALE_NONE, features, 1,
                                            &train_view, &learned));
    double *x = NULL;
    size_t unseen = 0;
    assert_dial_ok(ctx,
                   dial_preprocess_transform(ctx, features, 1, &learned, &fresh_view, &x, &unseen));
    /* The new file lists b first: levels are matched by name, not index. */
    const double expected[] = {0, 1, 0, 0, 0, 0, 1, 0};
    for (size_t k = 0; k < 8; k++) assert_true(x[k] == expected[k]);
    assert_int_equal(unseen, 2);
    free(x);
    dial_tensors_clear(&learned);
    free(features);
    dial_dataset_free(train);
    dial_dataset_free(fresh);
    dial_table_free(train_table);
    dial_table_free(new_table);
    dial_ctx_free(ctx);
}

static void numbers_given_for_a_categorical_feature_match_by_text(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "code,y\n1,0.5\n2,1.5\n3,2.5\n");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data));
    char *levels[] = {"2", "1"};
    dial_feature feature = {
        .name = "code", .type = DIAL_COLUMN_CATEGORICAL, .n_levels = 2, .levels = levels};
    dial_tensors learned = {0};
    double *x = NULL;
    size_t unseen = 0;
    dial_view all = dial_view_all(data);
    assert_dial_ok(ctx, dial_preprocess_transform(ctx, &feature, 1, &learned, &all, &x, &unseen));
    const double expected[] = {0, 1, 1, 0, 0, 0};
    for (size_t k = 0; k < 6; k++) assert_true(x[k] == expected[k]);
    assert_int_equal(unseen, 1);
    free(x);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void text_given_for_a_numeric_feature_is_an_error(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_table *table = parse_csv(ctx, "size,y\nbig,0.5\nsmall,1.5\n");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, NULL, DIAL_TASK_AUTO, &data));
    dial_feature feature = {.name = "size", .type = DIAL_COLUMN_NUMERIC};
    dial_tensors learned = {0};
    double *x = NULL;
    dial_view all = dial_view_all(data);
    assert_dial_error(ctx, dial_preprocess_transform(ctx, &feature, 1, &learned, &all, &x, NULL),
                      DIAL_ERR_DATA,
                      "feature 'size' is categorical (text) in the data but numeric in the model");
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- damaged state ----------------------------------------------------------------------------
 */

static void damaged_tensors_are_a_format_error(void **state) {
    (void)state;
    loaded l = load("data/wine.csv", NULL);
    dial_view all = dial_view_all(l.data);
    double *x = NULL;
    size_t short_shape[1] = {12};
    assert_dial_ok(l.ctx, dial_tensors_add(l.ctx, &l.learned, "preprocess.fill", DIAL_F64, 1,
                                           short_shape, NULL));
    assert_dial_error(l.ctx,
                      dial_preprocess_transform(l.ctx, l.features, 13, &l.learned, &all, &x, NULL),
                      DIAL_ERR_FORMAT,
                      "tensor 'preprocess.fill' should be a float vector of 13 values, found float "
                      "with 1 dimension and 12 values");
    dial_tensors_clear(&l.learned);
    size_t shape[1] = {13};
    assert_dial_ok(
        l.ctx, dial_tensors_add(l.ctx, &l.learned, "preprocess.center", DIAL_F64, 1, shape, NULL));
    assert_dial_error(
        l.ctx, dial_preprocess_transform(l.ctx, l.features, 13, &l.learned, &all, &x, NULL),
        DIAL_ERR_FORMAT, "tensor 'preprocess.center' is present without 'preprocess.scale'");
    assert_dial_ok(
        l.ctx, dial_tensors_add(l.ctx, &l.learned, "preprocess.scale", DIAL_F64, 1, shape, NULL));
    assert_dial_error(l.ctx,
                      dial_preprocess_transform(l.ctx, l.features, 13, &l.learned, &all, &x, NULL),
                      DIAL_ERR_FORMAT,
                      "tensors 'preprocess.center' and 'preprocess.scale' hold an invalid pair 0, "
                      "0 at input 0");
    unload(&l);
}

/* ---- missing values kept for a family that handles them ----------------------- */

static void keep_missing_passes_nan_and_zeros_and_scales_on_values_present(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    /* x has a missing value on the second row, c on the third. */
    dial_table *table = parse_csv(ctx, "x,c,y\n1,a,0\nNA,b,1\n3,,0\n5,a,1\n");
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_from_table(ctx, table, "y", DIAL_TASK_AUTO, &data));
    dial_feature *features = features_of(data);
    dial_view all = dial_view_all(data);
    dial_tensors learned = {0};
    assert_dial_ok(ctx, dial_preprocess_fit(ctx, DIAL_IMPUTE_KEEP, DIAL_SCALE_STANDARD, features,
                                            data->n_features, &all, &learned));
    assert_null(dial_tensors_find(&learned, "preprocess.fill"));
    /* The mean and sd of x are those of 1, 3 and 5, the values present. */
    const double *center = dial_tensors_find(&learned, "preprocess.center")->data;
    const double *scale = dial_tensors_find(&learned, "preprocess.scale")->data;
    assert_close(center[0], 3, 1e-15);
    assert_close(scale[0], sqrt(8.0 / 3.0), 1e-15);
    double *x = NULL;
    assert_dial_ok(ctx, dial_preprocess_transform_missing(ctx, features, data->n_features, &learned,
                                                          &all, true, &x, NULL));
    /* Inputs: x, c=a, c=b. */
    assert_true(isnan(x[1 * 3 + 0]));
    assert_close(x[2 * 3 + 0], 0, 1e-15);
    assert_true(!isnan(x[2 * 3 + 1]) && !isnan(x[2 * 3 + 2]));
    assert_close(x[2 * 3 + 1] * scale[1] + center[1], 0, 1e-15); /* all zeros before scaling */
    assert_close(x[2 * 3 + 2] * scale[2] + center[2], 0, 1e-15);
    free(x);
    /* Without keep_missing the same rows are an error naming the row. */
    assert_dial_error(
        ctx, dial_preprocess_transform(ctx, features, data->n_features, &learned, &all, &x, NULL),
        DIAL_ERR_DATA,
        "feature 'x' is missing on row 2 and impute=none; set impute to mean, "
        "median or most_frequent, or remove the row");
    dial_tensors_clear(&learned);
    free(features);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- what a family may know of the encoding ------------------------------------- */

/* Every one-hot cell transform writes is, to the bit, its block's off or on
 * value, with at most one on per row: what lets knn keep codes. */
static void assert_onehot_blocks_describe_transform(dial_scale scale) {
    loaded l = load("data/credit_data.csv", "Status");
    dial_view all = dial_view_all(l.data);
    assert_dial_ok(l.ctx, dial_preprocess_fit(l.ctx, DIAL_IMPUTE_MEAN, scale, l.features, 13, &all,
                                              &l.learned));
    dial_onehot_block *blocks = NULL;
    size_t n_blocks = 0;
    double *values = NULL;
    assert_dial_ok(l.ctx, dial_preprocess_onehot(l.ctx, l.features, 13, &l.learned, &blocks,
                                                 &n_blocks, &values));
    /* Seniority | Home (6) | Time, Age | Marital (5) | Records (2) | Job (4) | ... */
    const size_t offsets[] = {1, 9, 14, 16}, levels[] = {6, 5, 2, 4};
    assert_int_equal(n_blocks, 4);
    double *x = NULL;
    assert_dial_ok(l.ctx,
                   dial_preprocess_transform(l.ctx, l.features, 13, &l.learned, &all, &x, NULL));
    for (size_t b = 0; b < 4; b++) {
        assert_int_equal(blocks[b].offset, offsets[b]);
        assert_int_equal(blocks[b].n_levels, levels[b]);
        for (size_t i = 0; i < l.data->n_rows; i++) {
            size_t on = 0;
            for (size_t v = 0; v < levels[b]; v++) {
                const double *cell = &x[i * 26 + offsets[b] + v];
                if (memcmp(cell, &blocks[b].on[v], sizeof *cell) == 0)
                    on++;
                else if (memcmp(cell, &blocks[b].off[v], sizeof *cell) != 0)
                    fail_msg("row %zu input %zu is %.17g, neither off %.17g nor on %.17g", i,
                             offsets[b] + v, *cell, blocks[b].off[v], blocks[b].on[v]);
            }
            assert_int_equal(on, 1);
        }
    }
    if (scale == DIAL_SCALE_NONE) {
        assert_true(blocks[0].off[0] == 0 && blocks[0].on[0] == 1);
    }
    free(x);
    free(blocks);
    free(values);
    unload(&l);
}

static void onehot_blocks_hold_the_cells_transform_writes(void **state) {
    (void)state;
    assert_onehot_blocks_describe_transform(DIAL_SCALE_STANDARD);
    assert_onehot_blocks_describe_transform(DIAL_SCALE_MINMAX);
    assert_onehot_blocks_describe_transform(DIAL_SCALE_NONE);
}

static void onehot_blocks_are_none_without_categorical_features(void **state) {
    (void)state;
    loaded l = load("data/wine.csv", "cultivar");
    dial_view all = dial_view_all(l.data);
    assert_dial_ok(l.ctx, dial_preprocess_fit(l.ctx, DIAL_IMPUTE_MEAN, DIAL_SCALE_STANDARD,
                                              l.features, l.data->n_features, &all, &l.learned));
    dial_onehot_block *blocks = NULL;
    size_t n_blocks = 1;
    double *values = NULL;
    assert_dial_ok(l.ctx, dial_preprocess_onehot(l.ctx, l.features, l.data->n_features, &l.learned,
                                                 &blocks, &n_blocks, &values));
    assert_null(blocks);
    assert_null(values);
    assert_int_equal(n_blocks, 0);
    unload(&l);
}

/* ---- columns that look like identifiers -------------------------------------------- */

typedef struct warnings {
    size_t count;
    char last[512];
} warnings;

static void keep_warning(void *user, dial_log_level level, const char *message) {
    warnings *w = user;
    if (level != DIAL_LOG_WARN) return;
    w->count++;
    snprintf(w->last, sizeof w->last, "%s", message);
}

/* Loads a CSV of n_rows rows whose column "code" takes n_levels values. */
static warnings warnings_of(size_t n_rows, size_t n_levels) {
    size_t size = n_rows * 32 + 32, used = 0;
    char *csv = malloc(size);
    used += (size_t)snprintf(csv, size, "code,size,label\n");
    for (size_t i = 0; i < n_rows; i++)
        used += (size_t)snprintf(csv + used, size - used, "k%zu,%zu,%s\n", i % n_levels, i % 9,
                                 i % 3 ? "a" : "b");
    char *path = test_write_temp(csv, used, ".csv");
    dial_ctx *ctx = test_ctx();
    warnings w = {0};
    dial_ctx_set_log(ctx, keep_warning, &w);
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, "label", &table);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    remove(path);
    free(path);
    free(csv);
    return w;
}

static void a_column_of_nearly_one_level_per_row_is_warned_about_once(void **state) {
    (void)state;
    warnings w = warnings_of(100, 95);
    assert_int_equal(w.count, 1);
    assert_string_equal(w.last, "column 'code' has 95 distinct values in 100 rows: it looks like "
                                "an identifier, which no model generalises from (one-hot "
                                "encoding gives it an input per value); leave it out with "
                                "--ignore code");
    assert_int_equal(warnings_of(120, 61).count, 1);
}

static void few_levels_or_half_the_rows_are_not_warned_about(void **state) {
    (void)state;
    assert_int_equal(warnings_of(60, 50).count, 0);  /* 50 levels: not more than 50 */
    assert_int_equal(warnings_of(120, 60).count, 0); /* exactly half the rows */
    assert_int_equal(warnings_of(4454, 6).count, 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(keep_missing_passes_nan_and_zeros_and_scales_on_values_present),
        cmocka_unit_test(n_inputs_counts_one_column_per_level),
        cmocka_unit_test(wine_standard_scaling_matches_scikit_learn),
        cmocka_unit_test(wine_minmax_scaling_matches_scikit_learn),
        cmocka_unit_test(fit_learns_from_the_training_rows_only),
        cmocka_unit_test(fit_refuses_a_schema_of_another_width),
        cmocka_unit_test(scale_none_learns_no_scaling),
        cmocka_unit_test(constant_column_keeps_scale_one),
        cmocka_unit_test(credit_fill_values_match_scikit_learn),
        cmocka_unit_test(ties_and_even_counts_follow_scikit_learn),
        cmocka_unit_test(credit_one_hot_in_training_level_order),
        cmocka_unit_test(credit_standard_scaling_includes_one_hot_columns),
        cmocka_unit_test(impute_none_fails_at_fit_on_a_missing_value),
        cmocka_unit_test(transform_without_fill_fails_on_a_missing_value),
        cmocka_unit_test(unseen_levels_encode_as_zeros_and_are_counted),
        cmocka_unit_test(numbers_given_for_a_categorical_feature_match_by_text),
        cmocka_unit_test(text_given_for_a_numeric_feature_is_an_error),
        cmocka_unit_test(damaged_tensors_are_a_format_error),
        cmocka_unit_test(onehot_blocks_hold_the_cells_transform_writes),
        cmocka_unit_test(onehot_blocks_are_none_without_categorical_features),
        cmocka_unit_test(a_column_of_nearly_one_level_per_row_is_warned_about_once),
        cmocka_unit_test(few_levels_or_half_the_rows_are_not_warned_about),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

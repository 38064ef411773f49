/* Model families brought by a program, registered on its context
 * (dial_model_family_register) rather than listed in src/models/registry.c:
 * both families below live in this file alone. nearest_centroid (a
 * supervised one) is fitted, tuned, saved and loaded; two_means (an
 * unsupervised one: no target) is fitted on data without a target column,
 * cross-validated with silhouette, tuned, saved and loaded. The reference
 * figures come from scikit-learn 1.2, with the command beside each. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eval/scoring.h"

/* ---- nearest_centroid: a supervised family from outside src/models ---------- */

static const dial_knob_spec nearest_centroid_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "shrink",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = 0,
     .upper = 1,
     .has_search_range = true,
     .search_low = 0,
     .search_high = 1,
     .condition = "",
     .doc = "moves each class mean this fraction of the way to the mean of all rows (a knob made "
            "up for the test, so that a search has something to tune)"},
};

static const dial_param_doc nearest_centroid_params[] = {
    {"centroid", "n_classes x n_features", "the (shrunk) mean of each class's rows"},
};

/* The centroid tensor, checked against what the inputs say. */
static dial_status centroid_tensor(dial_ctx *ctx, const dial_tensors *learned, size_t k, size_t d,
                                   const double **centroid) {
    const dial_tensor *t = dial_tensors_find(learned, "centroid");
    if (!t || t->dtype != DIAL_F64 || t->ndim != 2 || t->shape[0] != k || t->shape[1] != d)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "tensor 'centroid' must be %zu x %zu doubles", k, d);
    *centroid = t->data;
    return DIAL_OK;
}

/* The index of the centroid closest to row (the first on a tie). */
static size_t closest(const double *row, const double *centroid, size_t k, size_t d) {
    size_t best = 0;
    double best_distance = INFINITY;
    for (size_t c = 0; c < k; c++) {
        double distance = 0;
        for (size_t j = 0; j < d; j++)
            distance += (row[j] - centroid[c * d + j]) * (row[j] - centroid[c * d + j]);
        if (distance < best_distance) {
            best_distance = distance;
            best = c;
        }
    }
    return best;
}

static dial_status nearest_centroid_fit(dial_ctx *ctx, const dial_knobs *knobs,
                                        const dial_fit_input *in, dial_tensors *learned) {
    size_t k = in->n_classes, d = in->n_features, shape[2] = {k, d};
    double shrink = dial_knobs_float(knobs, "shrink");
    double *centroid = NULL;
    dial_status status =
        dial_tensors_add(ctx, learned, "centroid", DIAL_F64, 2, shape, (void **)&centroid);
    if (status != DIAL_OK) return status;
    double *overall = calloc(d, sizeof *overall);
    size_t *counts = calloc(k, sizeof *counts);
    if (!overall || !counts) {
        free(overall);
        free(counts);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "nearest_centroid: out of memory");
    }
    for (size_t i = 0; i < in->n_rows; i++) {
        size_t c = (size_t)in->y[i];
        counts[c]++;
        for (size_t j = 0; j < d; j++) {
            centroid[c * d + j] += in->x[i * d + j];
            overall[j] += in->x[i * d + j] / (double)in->n_rows;
        }
    }
    for (size_t c = 0; c < k; c++)
        for (size_t j = 0; j < d; j++) {
            double mean = counts[c] ? centroid[c * d + j] / (double)counts[c] : overall[j];
            centroid[c * d + j] = (1 - shrink) * mean + shrink * overall[j];
        }
    free(overall);
    free(counts);
    return DIAL_OK;
}

static dial_status nearest_centroid_predict(dial_ctx *ctx, const dial_knobs *knobs,
                                            const dial_tensors *learned, const dial_fit_input *in,
                                            dial_predict_output *out) {
    (void)knobs;
    const double *centroid = NULL;
    dial_status status = centroid_tensor(ctx, learned, in->n_classes, in->n_features, &centroid);
    for (size_t i = 0; status == DIAL_OK && i < in->n_rows; i++)
        out->value[i] =
            (double)closest(in->x + i * in->n_features, centroid, in->n_classes, in->n_features);
    return status;
}

static dial_status nearest_centroid_validate(dial_ctx *ctx, const dial_knobs *knobs,
                                             const dial_tensors *learned,
                                             const dial_fit_input *in) {
    (void)knobs;
    const double *centroid = NULL;
    return centroid_tensor(ctx, learned, in->n_classes, in->n_features, &centroid);
}

static const dial_model_family nearest_centroid = {
    .name = "nearest_centroid",
    .summary = "nearest centroid: the class whose mean is closest to the row",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION),
    .knobs = nearest_centroid_knobs,
    .n_knobs = sizeof nearest_centroid_knobs / sizeof nearest_centroid_knobs[0],
    .params = nearest_centroid_params,
    .n_params = sizeof nearest_centroid_params / sizeof nearest_centroid_params[0],
    .fit = nearest_centroid_fit,
    .predict = nearest_centroid_predict,
    .validate = nearest_centroid_validate,
};

/* ---- two_means: an unsupervised family (clustering, no target) --------------- */

static const dial_knob_spec two_means_knobs[] = {
    DIAL_PREPROCESS_KNOBS("none"),
    {.name = "iterations",
     .type = DIAL_KNOB_INT,
     .default_text = "50",
     .lower = 1,
     .upper = 1000,
     .has_search_range = true,
     .search_low = 1,
     .search_high = 10,
     .condition = "",
     .doc = "Lloyd iterations at most (each assigns every row to the closer mean, then moves "
            "the means); they stop early when no row changes cluster"},
};

static const dial_param_doc two_means_params[] = {
    {"centroid", "2 x n_features", "the mean of each cluster's rows"},
};

/* Lloyd's algorithm with 2 means, started from the rows with the smallest
 * and the largest first input: no randomness, so the same rows give the
 * same clusters. */
static dial_status two_means_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                                 dial_tensors *learned) {
    if (in->y != NULL || in->task != DIAL_TASK_CLUSTERING || in->n_classes != 0)
        return dial_fail(ctx, DIAL_ERR_INTERNAL, "two_means: an unsupervised fit got a target");
    size_t n = in->n_rows, d = in->n_features, shape[2] = {2, d};
    double *centroid = NULL;
    dial_status status =
        dial_tensors_add(ctx, learned, "centroid", DIAL_F64, 2, shape, (void **)&centroid);
    if (status != DIAL_OK) return status;
    size_t low = 0, high = 0;
    for (size_t i = 1; i < n; i++) {
        if (in->x[i * d] < in->x[low * d]) low = i;
        if (in->x[i * d] > in->x[high * d]) high = i;
    }
    memcpy(centroid, in->x + low * d, d * sizeof *centroid);
    memcpy(centroid + d, in->x + high * d, d * sizeof *centroid);
    unsigned char *cluster = malloc(n ? n : 1);
    double *sums = malloc(2 * d * sizeof *sums);
    if (!cluster || !sums) {
        free(cluster);
        free(sums);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "two_means: out of memory");
    }
    memset(cluster, 2, n ? n : 1); /* no cluster yet */
    for (long it = 0; it < dial_knobs_int(knobs, "iterations"); it++) {
        bool moved = false;
        size_t counts[2] = {0, 0};
        memset(sums, 0, 2 * d * sizeof *sums);
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)closest(in->x + i * d, centroid, 2, d);
            moved |= c != cluster[i];
            cluster[i] = c;
            counts[c]++;
            for (size_t j = 0; j < d; j++) sums[c * d + j] += in->x[i * d + j];
        }
        if (!moved) break;
        for (size_t c = 0; c < 2; c++)
            for (size_t j = 0; counts[c] && j < d; j++)
                centroid[c * d + j] = sums[c * d + j] / (double)counts[c];
    }
    free(cluster);
    free(sums);
    return DIAL_OK;
}

static dial_status two_means_predict(dial_ctx *ctx, const dial_knobs *knobs,
                                     const dial_tensors *learned, const dial_fit_input *in,
                                     dial_predict_output *out) {
    (void)knobs;
    const double *centroid = NULL;
    dial_status status = centroid_tensor(ctx, learned, 2, in->n_features, &centroid);
    for (size_t i = 0; status == DIAL_OK && i < in->n_rows; i++)
        out->value[i] = (double)closest(in->x + i * in->n_features, centroid, 2, in->n_features);
    return status;
}

static dial_status two_means_validate(dial_ctx *ctx, const dial_knobs *knobs,
                                      const dial_tensors *learned, const dial_fit_input *in) {
    (void)knobs;
    const double *centroid = NULL;
    return centroid_tensor(ctx, learned, 2, in->n_features, &centroid);
}

static const dial_model_family two_means = {
    .name = "two_means",
    .summary = "2-means: two clusters, each row with the closer mean",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLUSTERING),
    .unsupervised = true,
    .knobs = two_means_knobs,
    .n_knobs = sizeof two_means_knobs / sizeof two_means_knobs[0],
    .params = two_means_params,
    .n_params = sizeof two_means_params / sizeof two_means_params[0],
    .fit = two_means_fit,
    .predict = two_means_predict,
    .validate = two_means_validate,
};

/* ---- helpers -------------------------------------------------------------------- */

/* A context that knows both families. */
static dial_ctx *plugin_ctx(void) {
    dial_ctx *ctx = test_ctx();
    assert_dial_ok(ctx, dial_model_family_register(ctx, &nearest_centroid));
    assert_dial_ok(ctx, dial_model_family_register(ctx, &two_means));
    return ctx;
}

/* The rows of a CSV without a target: every column a feature. */
static dial_dataset *load_unlabelled(dial_ctx *ctx, const char *path, dial_table **table) {
    assert_dial_ok(ctx, dial_table_read(ctx, path, NULL, table));
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_dataset_features_only(ctx, *table, &data));
    return data;
}

static dial_model *fit(dial_ctx *ctx, const dial_model_family *family, const dial_dataset *data,
                       const char *const *settings) {
    dial_knobs knobs = test_knobs(ctx, family, settings);
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, family, &knobs, &all, &model));
    dial_knobs_free(&knobs);
    return model;
}

/* Predictions of every row of data (malloc'ed). */
static double *predict_all(dial_ctx *ctx, const dial_model *model, const dial_dataset *data) {
    double *value = malloc(data->n_rows * sizeof *value);
    assert_non_null(value);
    dial_view all = dial_view_all(data);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, value, NULL));
    return value;
}

/* Saves model to a new temporary file and loads it back on ctx; returns
 * the load's status and the path (to unlink and free). */
static dial_status round_trip(dial_ctx *save_ctx, const dial_model *model, dial_ctx *load_ctx,
                              dial_model **loaded, char **path) {
    *path = test_write_temp("", 0, ".dial");
    assert_dial_ok(save_ctx, dial_model_save(save_ctx, model, *path));
    return dial_model_load(load_ctx, *path, loaded);
}

/* The silhouette of every row of data under model's clusters. */
static double silhouette_of(dial_ctx *ctx, const dial_model *model, const dial_view *rows) {
    double score = NAN;
    assert_dial_ok(ctx, dial_eval_score_view(ctx, model, rows, DIAL_METRIC_SILHOUETTE, &score));
    return score;
}

/* Whether the bytes of a file (NUL bytes and all) hold text. */
static bool file_holds(const char *bytes, size_t length, const char *text) {
    size_t n = strlen(text);
    for (size_t at = 0; at + n <= length; at++)
        if (memcmp(bytes + at, text, n) == 0) return true;
    return false;
}

static void assert_close(double got, double want, double tolerance) {
    if (!(fabs(got - want) <= tolerance))
        fail_msg("got %.17g, expected %.17g (tolerance %g)", got, want, tolerance);
}

/* ---- registration --------------------------------------------------------------- */

static void test_a_registered_family_is_known_to_its_context_only(void **state) {
    (void)state;
    dial_ctx *ctx = plugin_ctx(), *other = test_ctx();
    assert_ptr_equal(dial_model_family_find_in(ctx, "nearest_centroid"), &nearest_centroid);
    assert_ptr_equal(dial_model_family_find_in(ctx, "two_means"), &two_means);
    assert_ptr_equal(dial_model_family_find_in(ctx, "knn"), dial_model_family_find("knn"));
    assert_null(dial_model_family_find("nearest_centroid")); /* the built-in list is unchanged */
    assert_null(dial_model_family_find_in(other, "nearest_centroid"));
    const dial_model_family *found = NULL;
    assert_dial_ok(ctx, dial_model_family_lookup(ctx, "two_means", &found));
    assert_ptr_equal(found, &two_means);
    /* a clone (a worker) knows what its parent registered */
    dial_ctx *clone = dial_ctx_clone(ctx, 2);
    assert_ptr_equal(dial_model_family_find_in(clone, "two_means"), &two_means);
    dial_ctx_free(clone);
    dial_ctx_free(other);
    dial_ctx_free(ctx);
}

static void test_lookup_names_the_registered_families_among_the_known_ones(void **state) {
    (void)state;
    dial_ctx *ctx = plugin_ctx();
    const dial_model_family *found = NULL;
    assert_dial_error(
        ctx, dial_model_family_lookup(ctx, "two_mean", &found), DIAL_ERR_ARGUMENT,
        "unknown model 'two_mean'; did you mean 'two_means'? models are: linear, "
        "logistic, linsvm, naive_bayes, knn, svm, mlp, tree, forest, gbdt, kmeans, gmm, dbscan, "
        "nearest_centroid, two_means");
    dial_ctx_free(ctx);
}

static void test_registering_a_table_twice_is_harmless_and_a_taken_name_is_refused(void **state) {
    (void)state;
    dial_ctx *ctx = plugin_ctx();
    assert_dial_ok(ctx, dial_model_family_register(ctx, &two_means));
    dial_model_family copy = two_means;
    assert_dial_error(ctx, dial_model_family_register(ctx, &copy), DIAL_ERR_ARGUMENT,
                      "a model family named 'two_means' is already registered: give yours "
                      "another name");
    copy.name = "knn";
    assert_dial_error(ctx, dial_model_family_register(ctx, &copy), DIAL_ERR_ARGUMENT,
                      "a model family named 'knn' is already built in: give yours another name");
    dial_ctx_free(ctx);
}

static void test_registration_refuses_a_table_that_breaks_the_contract(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model_family broken = two_means;
    broken.unsupervised = false;
    assert_dial_error(ctx, dial_model_family_register(ctx, &broken), DIAL_ERR_ARGUMENT,
                      "model family 'two_means' does only clustering, which needs no target: set "
                      ".unsupervised = true");
    broken = nearest_centroid;
    broken.unsupervised = true;
    assert_dial_error(ctx, dial_model_family_register(ctx, &broken), DIAL_ERR_ARGUMENT,
                      "model family 'nearest_centroid' is unsupervised but does a task that needs "
                      "a target (classification or regression): an unsupervised family does "
                      "clustering only");
    broken = nearest_centroid;
    broken.predict = NULL;
    assert_dial_error(ctx, dial_model_family_register(ctx, &broken), DIAL_ERR_ARGUMENT,
                      "model family 'nearest_centroid' needs a summary, a fit and a predict "
                      "function");
    broken = nearest_centroid;
    broken.name = "nearest centroid";
    assert_dial_error(ctx, dial_model_family_register(ctx, &broken), DIAL_ERR_ARGUMENT,
                      "model family name 'nearest centroid' must be 1 to 63 letters, digits or "
                      "'_'");
    broken = two_means;
    broken.has_proba = true;
    assert_dial_error(ctx, dial_model_family_register(ctx, &broken), DIAL_ERR_ARGUMENT,
                      "model family 'two_means' says it gives class probabilities (has_proba) "
                      "but does not do classification");
    broken = nearest_centroid;
    broken.proba_knob = "shrink";
    assert_dial_error(ctx, dial_model_family_register(ctx, &broken), DIAL_ERR_ARGUMENT,
                      "model family 'nearest_centroid' names proba_knob 'shrink', which is no "
                      "bool knob of its table");
    /* the tuning hooks are the library's own: a program cannot keep their contract */
    broken = nearest_centroid;
    broken.tuning = (const struct dial_family_tuning *)&nearest_centroid;
    assert_dial_error(ctx, dial_model_family_register(ctx, &broken), DIAL_ERR_ARGUMENT,
                      "model family 'nearest_centroid' sets tuning hooks, which are internal to "
                      "the library (src/models/family_tuning.h): leave them NULL, and dial tune "
                      "fits every trial in full");
    assert_null(dial_model_family_find_in(ctx, "nearest_centroid"));
    dial_ctx_free(ctx);
}

static void test_every_built_in_family_keeps_the_contract(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    for (size_t i = 0; i < dial_model_family_count(); i++) {
        const dial_model_family *family = dial_model_family_at(i);
        assert_dial_ok(ctx, dial_model_family_check(ctx, family));
        /* The clusterings (kmeans) are the unsupervised ones. */
        assert_int_equal(family->unsupervised,
                         family->tasks == DIAL_TASK_BIT(DIAL_TASK_CLUSTERING));
    }
    dial_ctx_free(ctx);
}

/* ---- a supervised family: fit, save and load, tune --------------------------------- */

/* sklearn: NearestCentroid on StandardScaler'd iris, fitted and scored on
 * every row:
 *   /usr/bin/python3 -c "import pandas as pd; from sklearn.neighbors import NearestCentroid;
 *   from sklearn.preprocessing import StandardScaler; d = pd.read_csv('data/iris.csv');
 *   X = StandardScaler().fit_transform(d.iloc[:, :4]); y = pd.factorize(d.species)[0];
 *   print((NearestCentroid().fit(X, y).predict(X) == y).sum())"
 * 128 of 150 rows right. */
static void test_a_registered_family_fits_and_predicts_as_sklearn(void **state) {
    (void)state;
    dial_ctx *ctx = plugin_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", "species", &table);
    dial_model *model = fit(ctx, &nearest_centroid, data, NULL);
    assert_ptr_equal(dial_model_get_family(model), &nearest_centroid);
    assert_int_equal(dial_model_get_task(model), DIAL_TASK_CLASSIFICATION);
    double *value = predict_all(ctx, model, data);
    size_t right = 0;
    for (size_t i = 0; i < data->n_rows; i++) right += value[i] == data->y[i];
    assert_int_equal(right, 128);
    free(value);
    dial_model_free(model);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void test_a_registered_family_saves_and_loads_where_it_is_registered(void **state) {
    (void)state;
    dial_ctx *ctx = plugin_ctx(), *plain = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", "species", &table);
    dial_model *model =
        fit(ctx, &nearest_centroid, data, (const char *const[]){"shrink=0.25", NULL});
    dial_model *loaded = NULL;
    char *path = NULL;
    assert_dial_ok(ctx, round_trip(ctx, model, ctx, &loaded, &path));
    assert_ptr_equal(dial_model_get_family(loaded), &nearest_centroid);
    assert_true(dial_knobs_float(dial_model_get_knobs(loaded), "shrink") == 0.25);
    double *before = predict_all(ctx, model, data), *after = predict_all(ctx, loaded, data);
    assert_memory_equal(before, after, data->n_rows * sizeof *before);
    dial_model_free(loaded);
    loaded = NULL;
    /* a context that was not told of the family cannot read the file */
    char expected[1024];
    snprintf(
        expected, sizeof expected,
        "%s: unknown model 'nearest_centroid'; models are: linear, logistic, linsvm, naive_bayes, "
        "knn, svm, mlp, tree, forest, gbdt, kmeans, gmm, dbscan",
        path);
    assert_dial_error(plain, dial_model_load(plain, path, &loaded), DIAL_ERR_FORMAT, expected);
    assert_null(loaded);
    unlink(path);
    free(path);
    free(before);
    free(after);
    dial_model_free(model);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(plain);
    dial_ctx_free(ctx);
}

/* A search over the family's knobs (full fits: a registered family has no
 * tuning hooks); its best value is what dial_cv_run gives the best knobs
 * with the search's seed and folds, and its refit saves and loads. */
static void test_a_registered_family_is_tuned_and_its_refit_saved(void **state) {
    (void)state;
    dial_ctx *ctx = plugin_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/wine.csv", "cultivar", &table);
    dial_knobs knobs = test_knobs(ctx, &nearest_centroid, NULL);
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "shrink=0..1"));
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "scale=none,standard"));
    dial_tune_setup setup = {.family = &nearest_centroid,
                             .knobs = &knobs,
                             .space = &space,
                             .metric = DIAL_METRIC_BALANCED_ACCURACY,
                             .folds = 4,
                             .seed = 11};
    dial_tune_options options = {
        .sampler = DIAL_SAMPLER_RANDOM, .optimize = {.n_trials = 8, .jobs = 1}, .refit = true};
    dial_tune_result result;
    assert_dial_ok(ctx, dial_tune_model(ctx, &setup, data, &options, &result));
    assert_int_equal(result.n_complete, 8);
    for (size_t i = 0; i < result.trials.count; i++)
        assert_true(result.trials.items[i].value <= result.best.value);

    dial_splits splits = {0};
    assert_dial_ok(ctx, dial_split_kfold(ctx, data, 4, 1, true, 11, &splits));
    dial_ctx_set_seed(ctx, 11);
    dial_cv_result cv;
    assert_dial_ok(ctx, dial_cv_run(ctx, &nearest_centroid, &result.best_knobs, data, &splits,
                                    DIAL_METRIC_BALANCED_ACCURACY, &cv));
    assert_true(cv.mean == result.best.value);

    assert_non_null(result.model);
    assert_non_null(dial_model_get_tuning(result.model));
    dial_model *loaded = NULL;
    char *path = NULL;
    assert_dial_ok(ctx, round_trip(ctx, result.model, ctx, &loaded, &path));
    assert_string_equal(dial_model_get_tuning(loaded), dial_model_get_tuning(result.model));
    double *before = predict_all(ctx, result.model, data), *after = predict_all(ctx, loaded, data);
    assert_memory_equal(before, after, data->n_rows * sizeof *before);
    unlink(path);
    free(path);
    free(before);
    free(after);
    dial_model_free(loaded);
    dial_cv_result_free(&cv);
    dial_splits_free(&splits);
    dial_tune_result_free(&result);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- an unsupervised family: data without a target ------------------------------- */

/* sklearn's KMeans with 2 clusters on iris's measurements (no scaling)
 * splits them 53 / 97, with a silhouette of 0.6810461692117465:
 *   /usr/bin/python3 -c "import pandas as pd; from sklearn.cluster import KMeans;
 *   from sklearn.metrics import silhouette_score;
 *   X = pd.read_csv('data/iris_measurements.csv').values;
 *   l = KMeans(2, n_init=10, random_state=0).fit(X).labels_;
 *   print(repr(silhouette_score(X, l)))" */
static void test_an_unsupervised_family_fits_data_without_a_target(void **state) {
    (void)state;
    dial_ctx *ctx = plugin_ctx();
    dial_table *table = NULL;
    dial_dataset *data = load_unlabelled(ctx, "data/iris_measurements.csv", &table);
    assert_null(data->y);
    dial_model *model = fit(ctx, &two_means, data, NULL);
    assert_int_equal(dial_model_get_task(model), DIAL_TASK_CLUSTERING);
    assert_int_equal(dial_model_n_classes(model), 0);
    assert_string_equal(dial_model_target_name(model), "");
    double *value = predict_all(ctx, model, data);
    size_t sizes[2] = {0, 0};
    for (size_t i = 0; i < data->n_rows; i++) sizes[(size_t)value[i]]++;
    assert_int_equal(sizes[0], 53);
    assert_int_equal(sizes[1], 97);
    dial_view all = dial_view_all(data);
    assert_close(silhouette_of(ctx, model, &all), 0.6810461692117465, 1e-12);
    free(value);
    dial_model_free(model);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* A target the data has is not the family's business: fitted on iris.csv
 * with species as its target, two_means clusters the four measurements
 * exactly as without it, and the model keeps no target. */
static void test_an_unsupervised_family_never_sees_a_target_the_data_has(void **state) {
    (void)state;
    dial_ctx *ctx = plugin_ctx();
    dial_table *labelled_table = NULL, *table = NULL;
    dial_dataset *labelled = test_load_dataset(ctx, "data/iris.csv", "species", &labelled_table);
    dial_dataset *data = load_unlabelled(ctx, "data/iris_measurements.csv", &table);
    dial_model *with = fit(ctx, &two_means, labelled, NULL);
    dial_model *without = fit(ctx, &two_means, data, NULL);
    assert_int_equal(dial_model_get_task(with), DIAL_TASK_CLUSTERING);
    assert_string_equal(dial_model_target_name(with), "");
    assert_int_equal(dial_model_n_classes(with), 0);
    double *a = predict_all(ctx, with, labelled), *b = predict_all(ctx, without, data);
    assert_memory_equal(a, b, data->n_rows * sizeof *a);
    free(a);
    free(b);
    dial_model_free(with);
    dial_model_free(without);
    dial_dataset_free(data);
    dial_dataset_free(labelled);
    dial_table_free(table);
    dial_table_free(labelled_table);
    dial_ctx_free(ctx);
}

/* Each fold's score is the silhouette of its test rows under the clusters
 * a fit on its training rows gives them, on their design matrix; the
 * scores do not depend on the thread count. */
static void test_an_unsupervised_family_is_cross_validated_with_silhouette(void **state) {
    (void)state;
    dial_ctx *ctx = plugin_ctx();
    dial_ctx_set_seed(ctx, 5);
    dial_table *table = NULL;
    dial_dataset *data = load_unlabelled(ctx, "data/iris_measurements.csv", &table);
    dial_knobs knobs = test_knobs(ctx, &two_means, (const char *const[]){"scale=standard", NULL});
    dial_splits splits = {0};
    assert_dial_ok(ctx, dial_split_kfold(ctx, data, 5, 1, false, 3, &splits));
    dial_cv_result cv;
    assert_dial_ok(
        ctx, dial_cv_run(ctx, &two_means, &knobs, data, &splits, DIAL_METRIC_SILHOUETTE, &cv));
    assert_int_equal(cv.n_scores, 5);
    double sum = 0;
    for (size_t f = 0; f < 5; f++) {
        const dial_split *split = &splits.items[f];
        dial_ctx *fold = dial_ctx_clone(ctx, 1);
        dial_ctx_set_seed(fold, dial_eval_split_seed(5, f));
        dial_view train = {data, split->train, split->n_train};
        dial_view test = {data, split->test, split->n_test};
        dial_model *model = NULL;
        assert_dial_ok(fold, dial_model_fit(fold, &two_means, &knobs, &train, &model));
        double *x = NULL, *labels = malloc(split->n_test * sizeof *labels);
        assert_dial_ok(fold, dial_model_transform(fold, model, &test, &x));
        assert_dial_ok(fold, dial_model_predict(fold, model, &test, labels, NULL));
        dial_metric_rows rows = {
            .n = split->n_test, .y_pred = labels, .x = x, .n_inputs = dial_model_n_inputs(model)};
        double expected = NAN;
        assert_dial_ok(fold,
                       dial_metric_score_rows(fold, DIAL_METRIC_SILHOUETTE, &rows, &expected));
        assert_true(cv.scores[f] == expected);
        assert_true(expected > 0.4 && expected <= 1);
        sum += expected;
        free(x);
        free(labels);
        dial_model_free(model);
        dial_ctx_free(fold);
    }
    assert_close(cv.mean, sum / 5, 1e-15);
    dial_cv_result parallel;
    dial_ctx_set_threads(ctx, 3);
    assert_dial_ok(ctx, dial_cv_run(ctx, &two_means, &knobs, data, &splits, DIAL_METRIC_SILHOUETTE,
                                    &parallel));
    assert_memory_equal(parallel.scores, cv.scores, 5 * sizeof *cv.scores);
    dial_cv_result_free(&parallel);
    dial_cv_result_free(&cv);
    dial_splits_free(&splits);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

static void test_a_metric_with_a_target_or_a_family_that_needs_one_is_refused(void **state) {
    (void)state;
    dial_ctx *ctx = plugin_ctx();
    dial_table *table = NULL;
    dial_dataset *data = load_unlabelled(ctx, "data/iris_measurements.csv", &table);
    dial_knobs means = test_knobs(ctx, &two_means, NULL);
    dial_knobs centroid = test_knobs(ctx, &nearest_centroid, NULL);
    dial_splits splits = {0};
    assert_dial_ok(ctx, dial_split_kfold(ctx, data, 3, 1, false, 3, &splits));
    dial_cv_result cv;
    assert_dial_error(
        ctx, dial_cv_run(ctx, &two_means, &means, data, &splits, DIAL_METRIC_ACCURACY, &cv),
        DIAL_ERR_ARGUMENT,
        "metric 'accuracy' is for classification, but model 'two_means' does "
        "clustering, which has no target: use silhouette");
    assert_dial_error(
        ctx,
        dial_cv_run(ctx, &nearest_centroid, &centroid, data, &splits, DIAL_METRIC_ACCURACY, &cv),
        DIAL_ERR_ARGUMENT, "cross-validation needs a dataset with a target");
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_fit(ctx, &nearest_centroid, &centroid, &all, &model),
                      DIAL_ERR_ARGUMENT, "the training data has no target");
    assert_null(model);
    /* permutation importance compares with a target, which a clustering has not */
    model = fit(ctx, &two_means, data, NULL);
    dial_importance_result importance;
    assert_dial_error(
        ctx,
        dial_importance_permutation(ctx, model, data, DIAL_METRIC_SILHOUETTE, 2, 1, &importance),
        DIAL_ERR_UNSUPPORTED,
        "permutation importance compares predictions with a target, and model "
        "'two_means' does clustering, which has none");
    dial_model_free(model);
    dial_splits_free(&splits);
    dial_knobs_free(&centroid);
    dial_knobs_free(&means);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* The model file records the task: a clustering model loads back as one,
 * predicting the same clusters. */
static void test_an_unsupervised_model_saves_and_loads_as_a_clustering(void **state) {
    (void)state;
    dial_ctx *ctx = plugin_ctx();
    dial_table *table = NULL;
    dial_dataset *data = load_unlabelled(ctx, "data/iris_measurements.csv", &table);
    dial_model *model = fit(ctx, &two_means, data, (const char *const[]){"scale=minmax", NULL});
    dial_model *loaded = NULL;
    char *path = NULL;
    assert_dial_ok(ctx, round_trip(ctx, model, ctx, &loaded, &path));
    size_t length = 0;
    char *bytes = test_read_file(path, &length);
    assert_true(file_holds(bytes, length, "\"task\": \"clustering\""));
    assert_int_equal(dial_model_get_task(loaded), DIAL_TASK_CLUSTERING);
    assert_int_equal(dial_model_n_classes(loaded), 0);
    double *before = predict_all(ctx, model, data), *after = predict_all(ctx, loaded, data);
    assert_memory_equal(before, after, data->n_rows * sizeof *before);
    free(bytes);
    unlink(path);
    free(path);
    free(before);
    free(after);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* The tuner's objective takes data without a target for an unsupervised
 * family: folds of rows alone, each trial scored by silhouette. */
static void test_an_unsupervised_family_is_tuned_on_data_without_a_target(void **state) {
    (void)state;
    dial_ctx *ctx = plugin_ctx();
    dial_table *table = NULL;
    dial_dataset *data = load_unlabelled(ctx, "data/iris_measurements.csv", &table);
    dial_knobs knobs = test_knobs(ctx, &two_means, NULL);
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "scale=none,standard,minmax"));
    dial_tune_setup setup = {.family = &two_means,
                             .knobs = &knobs,
                             .space = &space,
                             .metric = DIAL_METRIC_SILHOUETTE,
                             .folds = 3,
                             .seed = 2};
    dial_tune_options options = {
        .sampler = DIAL_SAMPLER_GRID, .optimize = {.n_trials = 3, .jobs = 1}, .refit = true};
    dial_tune_result result;
    assert_dial_ok(ctx, dial_tune_model(ctx, &setup, data, &options, &result));
    assert_int_equal(result.n_complete, 3);
    assert_int_equal(result.direction, DIAL_MAXIMIZE);
    dial_splits splits = {0};
    assert_dial_ok(ctx, dial_split_kfold(ctx, data, 3, 1, false, 2, &splits));
    dial_ctx_set_seed(ctx, 2);
    dial_cv_result cv;
    assert_dial_ok(ctx, dial_cv_run(ctx, &two_means, &result.best_knobs, data, &splits,
                                    DIAL_METRIC_SILHOUETTE, &cv));
    assert_true(cv.mean == result.best.value);
    assert_int_equal(dial_model_get_task(result.model), DIAL_TASK_CLUSTERING);
    dial_cv_result_free(&cv);
    dial_splits_free(&splits);
    dial_tune_result_free(&result);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_registered_family_is_known_to_its_context_only),
        cmocka_unit_test(test_lookup_names_the_registered_families_among_the_known_ones),
        cmocka_unit_test(test_registering_a_table_twice_is_harmless_and_a_taken_name_is_refused),
        cmocka_unit_test(test_registration_refuses_a_table_that_breaks_the_contract),
        cmocka_unit_test(test_every_built_in_family_keeps_the_contract),
        cmocka_unit_test(test_a_registered_family_fits_and_predicts_as_sklearn),
        cmocka_unit_test(test_a_registered_family_saves_and_loads_where_it_is_registered),
        cmocka_unit_test(test_a_registered_family_is_tuned_and_its_refit_saved),
        cmocka_unit_test(test_an_unsupervised_family_fits_data_without_a_target),
        cmocka_unit_test(test_an_unsupervised_family_never_sees_a_target_the_data_has),
        cmocka_unit_test(test_an_unsupervised_family_is_cross_validated_with_silhouette),
        cmocka_unit_test(test_a_metric_with_a_target_or_a_family_that_needs_one_is_refused),
        cmocka_unit_test(test_an_unsupervised_model_saves_and_loads_as_a_clustering),
        cmocka_unit_test(test_an_unsupervised_family_is_tuned_on_data_without_a_target),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

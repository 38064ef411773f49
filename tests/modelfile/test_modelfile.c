/* The .dial model file: round trips that are exact to the bit, and files
 * that are cut, damaged or crafted, each refused with one clear message.
 * Crafted files are made by editing the JSON header of a real saved model
 * and putting the file back together with a correct checksum, so that the
 * check under test, not the checksum, is what refuses them. */
#include "test_support.h"

#include <dirent.h>
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "modelfile/checksum.h"
#include "models/model_internal.h"

/* ---- helpers ---------------------------------------------------------- */

typedef struct model_bytes {
    unsigned char *bytes;
    size_t length;
} model_bytes;

static const dial_model_family *family(const char *name) {
    const dial_model_family *f = dial_model_family_find(name);
    if (!f) fail_msg("model family %s is not registered", name);
    return f;
}

/* Fits a family on a CSV with "name=value" knob settings (NULL-terminated). */
static dial_model *fit(dial_ctx *ctx, const char *family_name, const char *path, const char *target,
                       const char *const *settings) {
    const dial_model_family *f = family(family_name);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, f, &knobs));
    for (size_t i = 0; settings && settings[i]; i++)
        assert_dial_ok(ctx, dial_knobs_set_assignment(ctx, &knobs, settings[i]));
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, path, target, &table);
    dial_view all = dial_view_all(data);
    dial_model *model = NULL;
    assert_dial_ok(ctx, dial_model_fit(ctx, f, &knobs, &all, &model));
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    return model;
}

static dial_model *fit_iris_knn(dial_ctx *ctx) {
    static const char *const settings[] = {"k=7", "weights=distance", NULL};
    return fit(ctx, "knn", "data/iris.csv", "species", settings);
}

static model_bytes save(dial_ctx *ctx, const dial_model *model) {
    model_bytes file;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &file.bytes, &file.length));
    return file;
}

/* The file at path holds exactly the bytes dial_model_save_buffer makes of
 * model. */
static void assert_file_is_the_saved_model(dial_ctx *ctx, const dial_model *model,
                                           const char *path) {
    model_bytes expected = save(ctx, model);
    size_t length;
    char *written = test_read_file(path, &length);
    assert_int_equal(length, expected.length);
    assert_memory_equal(written, expected.bytes, length);
    free(written);
    free(expected.bytes);
}

static model_bytes saved_iris_knn(dial_ctx *ctx) {
    dial_model *model = fit_iris_knn(ctx);
    model_bytes file = save(ctx, model);
    dial_model_free(model);
    return file;
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static size_t data_start_of(const model_bytes *file) {
    return (size_t)((25 + get_u64(file->bytes + 17) + 63) / 64 * 64);
}

static json_t *header_of(const model_bytes *file) {
    json_error_t error;
    json_t *header =
        json_loadb((const char *)file->bytes + 25, (size_t)get_u64(file->bytes + 17), 0, &error);
    if (!header) fail_msg("the saved header is not JSON: %s", error.text);
    return header;
}

/* A file with the given header and tensor data, framed and checksummed as
 * the writer does; the header is taken as it is (it may lie). */
static model_bytes assemble(json_t *header, const unsigned char *data, size_t data_bytes) {
    char *text = json_dumps(header, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    assert_non_null(text);
    size_t header_length = strlen(text);
    size_t data_start = (25 + header_length + 63) / 64 * 64;
    model_bytes file = {.length = data_start + data_bytes + 8};
    file.bytes = calloc(file.length, 1);
    assert_non_null(file.bytes);
    memcpy(file.bytes, "\211DIAL\r\n\032\n", 9);
    file.bytes[9] = 1;
    put_u64(file.bytes + 17, header_length);
    memcpy(file.bytes + 25, text, header_length);
    if (data_bytes) memcpy(file.bytes + data_start, data, data_bytes);
    put_u64(file.bytes + file.length - 8, dial_modelfile_checksum(file.bytes, file.length - 8));
    free(text);
    return file;
}

/* A saved file (which it frees) with its header edited by edit;
 * extra_data grows the tensor data with zeros. */
static model_bytes crafted_from(model_bytes file, void (*edit)(json_t *header), size_t extra_data) {
    json_t *header = header_of(&file);
    edit(header);
    size_t start = data_start_of(&file), data_bytes = file.length - 8 - start;
    unsigned char *data = calloc(data_bytes + extra_data + 1, 1);
    memcpy(data, file.bytes + start, data_bytes);
    model_bytes out = assemble(header, data, data_bytes + extra_data);
    free(data);
    json_decref(header);
    free(file.bytes);
    return out;
}

/* The saved iris kNN model with its header edited by edit. */
static model_bytes crafted(dial_ctx *ctx, void (*edit)(json_t *header), size_t extra_data) {
    return crafted_from(saved_iris_knn(ctx), edit, extra_data);
}

static json_t *tensor_entry(json_t *header, const char *name) {
    size_t i;
    json_t *entry;
    json_array_foreach(json_object_get(header, "tensors"), i, entry) {
        if (strcmp(json_string_value(json_object_get(entry, "name")), name) == 0) return entry;
    }
    fail_msg("no tensor %s in the header", name);
    return NULL;
}

/* Asserts that loading bytes fails with DIAL_ERR_FORMAT and exactly expected. */
static void assert_load_fails(const model_bytes *file, const char *expected) {
    dial_ctx *ctx = test_ctx();
    dial_model *model = (dial_model *)1;
    assert_dial_error(ctx,
                      dial_model_load_buffer(ctx, "model.dial", file->bytes, file->length, &model),
                      DIAL_ERR_FORMAT, expected);
    assert_null(model);
    dial_ctx_free(ctx);
}

static void assert_same_tensors(const dial_tensors *a, const dial_tensors *b) {
    assert_int_equal(a->count, b->count);
    for (size_t i = 0; i < a->count; i++) {
        const dial_tensor *x = &a->items[i], *y = &b->items[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->dtype, y->dtype);
        assert_int_equal(x->ndim, y->ndim);
        for (int d = 0; d < DIAL_TENSOR_MAX_DIMS; d++) assert_int_equal(x->shape[d], y->shape[d]);
        assert_memory_equal(x->data, y->data, dial_tensor_size(x) * dial_dtype_size(x->dtype));
    }
}

static void assert_same_model(const dial_model *a, const dial_model *b) {
    assert_ptr_equal(a->family, b->family);
    assert_int_equal(a->knobs.n, b->knobs.n);
    for (size_t i = 0; i < a->knobs.n; i++) {
        const dial_knob_value *x = &a->knobs.values[i], *y = &b->knobs.values[i];
        assert_memory_equal(&x->number, &y->number, sizeof(double));
        assert_int_equal(x->set_by_user, y->set_by_user);
        assert_int_equal(x->n_items, y->n_items);
        assert_memory_equal(x->items, y->items, x->n_items * sizeof(double));
    }
    assert_int_equal(a->task, b->task);
    assert_int_equal(a->n_classes, b->n_classes);
    for (size_t c = 0; c < a->n_classes; c++)
        assert_string_equal(a->class_names[c], b->class_names[c]);
    assert_string_equal(a->target_name, b->target_name);
    assert_int_equal(a->n_features, b->n_features);
    for (size_t j = 0; j < a->n_features; j++) {
        assert_string_equal(a->features[j].name, b->features[j].name);
        assert_int_equal(a->features[j].type, b->features[j].type);
        assert_int_equal(a->features[j].n_levels, b->features[j].n_levels);
        for (size_t l = 0; l < a->features[j].n_levels; l++)
            assert_string_equal(a->features[j].levels[l], b->features[j].levels[l]);
    }
    assert_int_equal(a->n_inputs, b->n_inputs);
    assert_same_tensors(&a->tensors, &b->tensors);
    assert_int_equal(a->facts.n_rows, b->facts.n_rows);
    assert_true(a->facts.seed == b->facts.seed);
    assert_int_equal(a->facts.fitted_at, b->facts.fitted_at);
    assert_memory_equal(&a->facts.fit_seconds, &b->facts.fit_seconds, sizeof(double));
    assert_true(a->facts.data_fingerprint == b->facts.data_fingerprint);
    assert_string_equal(a->facts.dial_version, b->facts.dial_version);
}

/* Predicts every row of a CSV: values, and probabilities when proba. */
static void predict_csv(dial_ctx *ctx, const dial_model *model, const char *path, double **value,
                        double **proba, size_t *n) {
    dial_table *table = NULL;
    assert_dial_ok(ctx, dial_table_read(ctx, path, NULL, &table));
    dial_dataset *data = NULL;
    assert_dial_ok(ctx, dial_model_bind(ctx, model, table, &data));
    dial_view all = dial_view_all(data);
    *n = all.n;
    *value = calloc(all.n, sizeof **value);
    *proba = NULL;
    if (model->task == DIAL_TASK_CLASSIFICATION && model->family->has_proba)
        *proba = calloc(all.n * model->n_classes, sizeof **proba);
    assert_dial_ok(ctx, dial_model_predict(ctx, model, &all, *value, *proba));
    dial_dataset_free(data);
    dial_table_free(table);
}

/* Saves the model to a file, loads it, and checks that the loaded model is
 * the same to the bit and predicts the same to the bit on the CSV. */
static void assert_round_trip_predicts_bit_for_bit(dial_ctx *ctx, dial_model *model,
                                                   const char *csv) {
    char *path = test_write_temp("", 0, ".dial");
    assert_dial_ok(ctx, dial_model_save(ctx, model, path));
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_load(ctx, path, &loaded));
    assert_same_model(model, loaded);
    double *value, *proba, *value2, *proba2;
    size_t n, n2;
    predict_csv(ctx, model, csv, &value, &proba, &n);
    predict_csv(ctx, loaded, csv, &value2, &proba2, &n2);
    assert_int_equal(n, n2);
    assert_memory_equal(value, value2, n * sizeof *value);
    if (proba) assert_memory_equal(proba, proba2, n * model->n_classes * sizeof *proba);
    free(value);
    free(proba);
    free(value2);
    free(proba2);
    dial_model_free(loaded);
    unlink(path);
    free(path);
}

/* ---- the checksum ------------------------------------------------------- */

static void test_checksum_is_crc64_xz(void **state) {
    (void)state;
    /* The check value of the CRC-64/XZ catalogue entry. */
    assert_true(dial_modelfile_checksum((const unsigned char *)"123456789", 9) ==
                0x995DC9BBDF1939FAull);
    assert_true(dial_modelfile_checksum((const unsigned char *)"", 0) == 0);
    /* Long inputs go eight bytes at a time; the result must not change. */
    unsigned char block[1000];
    for (size_t i = 0; i < sizeof block; i++) block[i] = (unsigned char)(i * 7 + 3);
    uint64_t whole = dial_modelfile_checksum(block, sizeof block);
    uint64_t crc = ~0ull;
    for (size_t i = 0; i < sizeof block; i++) {
        crc ^= block[i];
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 1) ? (crc >> 1) ^ 0xC96C5795D7870F42ull : crc >> 1;
    }
    assert_true(whole == ~crc);
}

/* ---- round trips --------------------------------------------------------- */

static void test_knn_on_iris_predicts_bit_for_bit_after_save_and_load(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = fit_iris_knn(ctx);
    assert_round_trip_predicts_bit_for_bit(ctx, model, "data/iris.csv");
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_logistic_on_breast_cancer_predicts_bit_for_bit_after_save_and_load(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    static const char *const settings[] = {"C=0.3", NULL};
    dial_model *model = fit(ctx, "logistic", "data/breast_cancer.csv", "diagnosis", settings);
    assert_round_trip_predicts_bit_for_bit(ctx, model, "data/breast_cancer.csv");
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_categorical_features_and_missing_values_round_trip(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    static const char *const settings[] = {"impute=most_frequent", "scale=minmax", NULL};
    dial_model *model = fit(ctx, "naive_bayes", "data/credit_data.csv", "Status", settings);
    size_t categorical = 0;
    for (size_t j = 0; j < model->n_features; j++)
        categorical += model->features[j].type == DIAL_COLUMN_CATEGORICAL;
    assert_true(categorical > 0);
    assert_round_trip_predicts_bit_for_bit(ctx, model, "data/credit_data.csv");
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* A model put together by hand, with the doubles a text format would lose:
 * negative zero, the smallest subnormal, infinities, a NaN with a payload,
 * and the extreme 64-bit integers. */
static dial_model *hand_built_model(dial_ctx *ctx) {
    dial_model *model = dial_model_alloc(ctx);
    assert_non_null(model);
    model->family = family("naive_bayes");
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, model->family, &model->knobs));
    assert_dial_ok(ctx, dial_knobs_set_number(ctx, &model->knobs, "var_smoothing", 0.1));
    model->task = DIAL_TASK_CLASSIFICATION;
    model->n_classes = 2;
    model->class_names = calloc(2, sizeof(char *));
    model->class_names[0] = strdup("no");
    model->class_names[1] = strdup("sí, \"quoted\"\n");
    model->target_name = strdup("answer");
    model->n_features = 2;
    model->features = calloc(2, sizeof(dial_feature));
    model->features[0].name = strdup("height");
    model->features[0].type = DIAL_COLUMN_NUMERIC;
    model->features[1].name = strdup("colour");
    model->features[1].type = DIAL_COLUMN_CATEGORICAL;
    model->features[1].levels = calloc(3, sizeof(char *));
    model->features[1].levels[0] = strdup("red");
    model->features[1].levels[1] = strdup("grün");
    model->features[1].levels[2] = strdup("");
    model->features[1].n_levels = 3;
    model->n_inputs = 4;
    double *d;
    int64_t *k;
    size_t shape[4] = {2, 3, 1, 2};
    assert_dial_ok(ctx, dial_tensors_add(ctx, &model->tensors, "odd_doubles", DIAL_F64, 4, shape,
                                         (void **)&d));
    uint64_t nan_bits = 0x7FF8000000C0FFEEull;
    double payload_nan;
    memcpy(&payload_nan, &nan_bits, sizeof payload_nan);
    const double values[12] = {-0.0, 5e-324,  INFINITY, -INFINITY,         payload_nan, DBL_MAX,
                               0.1,  1.0 / 3, -DBL_MIN, 3.141592653589793, 1e-300,      -1};
    memcpy(d, values, sizeof values);
    size_t one[1] = {3};
    assert_dial_ok(ctx,
                   dial_tensors_add(ctx, &model->tensors, "ints", DIAL_I64, 1, one, (void **)&k));
    k[0] = INT64_MIN;
    k[1] = INT64_MAX;
    k[2] = -1;
    assert_dial_ok(
        ctx, dial_tensors_add(ctx, &model->tensors, "scalar", DIAL_F64, 0, NULL, (void **)&d));
    *d = 42;
    size_t empty[2] = {0, 5};
    assert_dial_ok(ctx, dial_tensors_add(ctx, &model->tensors, "empty", DIAL_F64, 2, empty, NULL));
    model->facts = (dial_model_facts){.n_rows = 123,
                                      .seed = UINT64_MAX,
                                      .fitted_at = 1700000000,
                                      .fit_seconds = 0.125,
                                      .data_fingerprint = 0x0123456789ABCDEFull,
                                      .dial_version = "0.1.0"};
    return model;
}

static void test_a_hand_built_model_round_trips_to_the_bit(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = hand_built_model(ctx);
    model_bytes file = save(ctx, model);
    dial_model *loaded = NULL;
    assert_dial_ok(ctx,
                   dial_model_load_buffer(ctx, "model.dial", file.bytes, file.length, &loaded));
    assert_same_model(model, loaded);
    free(file.bytes);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_saving_a_loaded_model_gives_the_same_bytes(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = saved_iris_knn(ctx);
    dial_model *loaded = NULL;
    assert_dial_ok(ctx,
                   dial_model_load_buffer(ctx, "model.dial", file.bytes, file.length, &loaded));
    model_bytes again = save(ctx, loaded);
    assert_int_equal(file.length, again.length);
    assert_memory_equal(file.bytes, again.bytes, file.length);
    free(file.bytes);
    free(again.bytes);
    dial_model_free(loaded);
    dial_ctx_free(ctx);
}

/* Float knobs are JSON numbers that read back as the same double. */
static void test_float_knobs_round_trip_exactly(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = hand_built_model(ctx);
    const double values[] = {0.1,
                             1.0 / 3,
                             2.0 / 3,
                             5e-324,
                             DBL_MIN,
                             DBL_MAX,
                             1e-9,
                             1e23,
                             0.3,
                             1 + DBL_EPSILON,
                             0,
                             4.35,
                             123456789.123456789};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        assert_dial_ok(ctx, dial_knobs_set_number(ctx, &model->knobs, "var_smoothing", values[i]));
        model_bytes file = save(ctx, model);
        dial_model *loaded = NULL;
        assert_dial_ok(ctx,
                       dial_model_load_buffer(ctx, "model.dial", file.bytes, file.length, &loaded));
        double back = dial_knobs_float(&loaded->knobs, "var_smoothing");
        assert_memory_equal(&back, &values[i], sizeof back);
        dial_model_free(loaded);
        free(file.bytes);
    }
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_knobs_keep_which_ones_the_user_set(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = saved_iris_knn(ctx);
    dial_model *loaded = NULL;
    assert_dial_ok(ctx,
                   dial_model_load_buffer(ctx, "model.dial", file.bytes, file.length, &loaded));
    const dial_knobs *knobs = dial_model_get_knobs(loaded);
    assert_int_equal(dial_knobs_int(knobs, "k"), 7);
    assert_string_equal(dial_knobs_choice(knobs, "weights"), "distance");
    assert_true(knobs->values[dial_knobs_find(knobs, "k")].set_by_user);
    assert_false(knobs->values[dial_knobs_find(knobs, "metric")].set_by_user);
    dial_model_free(loaded);
    free(file.bytes);
    dial_ctx_free(ctx);
}

/* The text of a top-level member of the header's "knobs": the token after
 * `"name": ` up to the end of its line, without a trailing comma. */
static void knob_text_in_header(const model_bytes *file, const char *name, char *out, size_t size) {
    size_t length = (size_t)get_u64(file->bytes + 17);
    char *header = calloc(length + 1, 1);
    memcpy(header, file->bytes + 25, length);
    char key[80];
    snprintf(key, sizeof key, "\"%s\": ", name);
    const char *at = strstr(header, key);
    if (!at) fail_msg("the header has no knob %s", name);
    at += strlen(key);
    size_t n = strcspn(at, ",\n");
    assert_true(n < size);
    memcpy(out, at, n);
    out[n] = '\0';
    free(header);
}

/* Reals get the fewest digits that read back exactly, so the header shows
 * 1e-9 as 1e-9, not as 1.0000000000000001e-9. */
static void test_float_knobs_are_written_with_the_fewest_exact_digits(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = hand_built_model(ctx);
    struct {
        double value;
        const char *text;
    } cases[] = {
        {1e-9, "1e-9"},
        {0.1, "0.1"},
        {1.0 / 3, "0.3333333333333333"},
        {0x1p-30, "9.313225746154785e-10"},
        {0.1 + 0.2, "0.30000000000000004"},
        {2, "2.0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        assert_dial_ok(ctx,
                       dial_knobs_set_number(ctx, &model->knobs, "var_smoothing", cases[i].value));
        model_bytes file = save(ctx, model);
        char text[64];
        knob_text_in_header(&file, "var_smoothing", text, sizeof text);
        assert_string_equal(text, cases[i].text);
        dial_model *loaded = NULL;
        assert_dial_ok(ctx,
                       dial_model_load_buffer(ctx, "model.dial", file.bytes, file.length, &loaded));
        double back = dial_knobs_float(&loaded->knobs, "var_smoothing");
        assert_memory_equal(&back, &cases[i].value, sizeof back);
        model_bytes again = save(ctx, loaded);
        assert_int_equal(file.length, again.length);
        assert_memory_equal(file.bytes, again.bytes, file.length);
        free(again.bytes);
        dial_model_free(loaded);
        free(file.bytes);
    }
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static dial_model *fit_iris_mlp_16_8(dial_ctx *ctx) {
    static const char *const settings[] = {"hidden=16,8", "epochs=30", NULL};
    return fit(ctx, "mlp", "data/iris.csv", "species", settings);
}

static void test_an_mlp_with_two_hidden_layers_round_trips_bit_for_bit(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = fit_iris_mlp_16_8(ctx);
    /* Knobs (compared item by item) and predictions, through a file. */
    assert_round_trip_predicts_bit_for_bit(ctx, model, "data/iris.csv");
    model_bytes file = save(ctx, model);
    json_t *header = header_of(&file);
    json_t *hidden = json_object_get(json_object_get(header, "knobs"), "hidden");
    assert_true(json_is_array(hidden));
    assert_int_equal(json_array_size(hidden), 2);
    assert_int_equal(json_integer_value(json_array_get(hidden, 0)), 16);
    assert_int_equal(json_integer_value(json_array_get(hidden, 1)), 8);
    json_decref(header);
    dial_model *loaded = NULL;
    assert_dial_ok(ctx,
                   dial_model_load_buffer(ctx, "model.dial", file.bytes, file.length, &loaded));
    const double *layers = NULL;
    assert_int_equal(dial_knobs_list(dial_model_get_knobs(loaded), "hidden", &layers), 2);
    assert_true(layers[0] == 16 && layers[1] == 8);
    model_bytes again = save(ctx, loaded);
    assert_int_equal(file.length, again.length);
    assert_memory_equal(file.bytes, again.bytes, file.length);
    free(again.bytes);
    free(file.bytes);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* A file from before list knobs were arrays wrote the first value alone;
 * it reads as a list of one, as `-s hidden=16` does. */
static void hidden_as_one_number(json_t *header) {
    json_object_set_new(json_object_get(header, "knobs"), "hidden", json_integer(16));
}

static void test_a_list_knob_written_as_one_number_is_a_list_of_one(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = fit_iris_mlp_16_8(ctx);
    model_bytes file = crafted_from(save(ctx, model), hidden_as_one_number, 0);
    dial_model *loaded = NULL;
    assert_dial_ok(ctx,
                   dial_model_load_buffer(ctx, "model.dial", file.bytes, file.length, &loaded));
    const double *layers = NULL;
    assert_int_equal(dial_knobs_list(dial_model_get_knobs(loaded), "hidden", &layers), 1);
    assert_true(layers[0] == 16);
    free(file.bytes);
    dial_model_free(loaded);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void set_hidden(json_t *header, json_t *value) {
    json_object_set_new(json_object_get(header, "knobs"), "hidden", value);
}
static void hidden_empty(json_t *header) { set_hidden(header, json_array()); }
static void hidden_17_layers(json_t *header) {
    json_t *layers = json_array();
    for (int i = 0; i < 17; i++) json_array_append_new(layers, json_integer(4));
    set_hidden(header, layers);
}
static void hidden_zero_layer(json_t *header) { set_hidden(header, json_pack("[ii]", 16, 0)); }
static void hidden_text_layer(json_t *header) { set_hidden(header, json_pack("[is]", 16, "8")); }
static void hidden_fraction(json_t *header) { set_hidden(header, json_pack("[if]", 16, 2.5)); }
static void hidden_as_text(json_t *header) { set_hidden(header, json_string("16,8")); }

static void test_a_bad_list_knob_in_the_header_is_named(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = fit_iris_mlp_16_8(ctx);
    struct {
        void (*edit)(json_t *);
        const char *expected;
    } cases[] = {
        {hidden_empty, "model.dial: knob 'hidden' has 0 layers: it takes 1 to 16"},
        {hidden_17_layers, "model.dial: knob 'hidden' has 17 layers: it takes 1 to 16"},
        {hidden_zero_layer,
         "model.dial: knob 'hidden' = '0' is out of range: each layer must be in [1, 100000]"},
        {hidden_text_layer, "model.dial: knob 'hidden' layer 2 must be an integer, found a string"},
        {hidden_fraction, "model.dial: knob 'hidden' expects an integer, got '2.5'"},
        {hidden_as_text, "model.dial: knob 'hidden' must be an array of integers, found a string"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        model_bytes file = crafted_from(save(ctx, model), cases[i].edit, 0);
        assert_load_fails(&file, cases[i].expected);
        free(file.bytes);
    }
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* ---- the layout, byte by byte ---------------------------------------------- */

static void test_the_layout_is_little_endian_and_aligned(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = hand_built_model(ctx);
    model_bytes file = save(ctx, model);
    assert_memory_equal(file.bytes, "\211DIAL\r\n\032\n", 9);
    assert_memory_equal(file.bytes + 9,
                        "\x01\0\0\0"
                        "\0\0\0\0",
                        8);
    size_t start = data_start_of(&file);
    assert_int_equal(start % 64, 0);
    for (size_t i = 25 + (size_t)get_u64(file.bytes + 17); i < start; i++)
        assert_int_equal(file.bytes[i], 0);
    json_t *header = header_of(&file);
    assert_string_equal(json_string_value(json_object_get(header, "format")), "dial-model");
    assert_string_equal(json_string_value(json_object_get(header, "model")), "naive_bayes");
    assert_int_equal(json_integer_value(json_object_get(header, "model_version")), 1);
    json_t *facts = json_object_get(header, "facts");
    assert_string_equal(json_string_value(json_object_get(facts, "fitted_at")),
                        "2023-11-14T22:13:20Z");
    assert_string_equal(json_string_value(json_object_get(facts, "seed")), "18446744073709551615");
    assert_string_equal(json_string_value(json_object_get(facts, "data_fingerprint")),
                        "0123456789abcdef");
    assert_true(json_is_null(json_object_get(header, "tuning")));
    json_t *ints = tensor_entry(header, "ints");
    size_t offset = (size_t)json_integer_value(json_object_get(ints, "offset"));
    assert_int_equal(offset % 64, 0);
    assert_int_equal(json_integer_value(json_object_get(ints, "bytes")), 24);
    assert_string_equal(json_string_value(json_object_get(ints, "dtype")), "i64");
    /* INT64_MIN, INT64_MAX, -1 as two's complement, least significant byte first */
    assert_memory_equal(file.bytes + start + offset,
                        "\0\0\0\0\0\0\0\x80"
                        "\xff\xff\xff\xff\xff\xff\xff\x7f"
                        "\xff\xff\xff\xff\xff\xff\xff\xff",
                        24);
    size_t scalar =
        (size_t)json_integer_value(json_object_get(tensor_entry(header, "scalar"), "offset"));
    assert_memory_equal(file.bytes + start + scalar, "\0\0\0\0\0\0\x45\x40", 8); /* 42.0 */
    assert_true(get_u64(file.bytes + file.length - 8) ==
                dial_modelfile_checksum(file.bytes, file.length - 8));
    json_decref(header);
    free(file.bytes);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* ---- saving to disk --------------------------------------------------------- */

static void test_save_replaces_the_file_and_leaves_no_temporary(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    char directory[] = "/tmp/dial-test-save-XXXXXX";
    assert_non_null(mkdtemp(directory));
    char path[128];
    snprintf(path, sizeof path, "%s/model.dial", directory);
    FILE *old = fopen(path, "wb");
    fputs("an older file", old);
    fclose(old);
    dial_model *model = fit_iris_knn(ctx);
    assert_dial_ok(ctx, dial_model_save(ctx, model, path));
    DIR *dir = opendir(directory);
    struct dirent *entry;
    size_t files = 0;
    while ((entry = readdir(dir)))
        if (entry->d_name[0] != '.') {
            assert_string_equal(entry->d_name, "model.dial");
            files++;
        }
    closedir(dir);
    assert_int_equal(files, 1);
    assert_file_is_the_saved_model(ctx, model, path);
    unlink(path);
    rmdir(directory);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* dial_model_save writes the file piece by piece (64 KiB of a tensor's
 * data at a time, the checksum summed on the way): a knn on digits keeps
 * 1797 x 64 values, fourteen pieces and a short one, and the file is the
 * very bytes dial_model_save_buffer makes whole. */
static void test_a_file_written_piece_by_piece_is_the_buffer_s_bytes(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    static const char *const settings[] = {"k=3", NULL};
    dial_model *model = fit(ctx, "knn", "data/digits.csv", "digit", settings);
    char *path = test_write_temp("", 0, ".dial");
    assert_dial_ok(ctx, dial_model_save(ctx, model, path));
    model_bytes whole = save(ctx, model);
    assert_true(whole.length > 1797 * 64 * 8);
    free(whole.bytes);
    assert_file_is_the_saved_model(ctx, model, path);
    unlink(path);
    free(path);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_save_into_a_missing_directory_is_an_io_error(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = fit_iris_knn(ctx);
    assert_int_equal(dial_model_save(ctx, model, "/nonexistent-dial-dir/model.dial"), DIAL_ERR_IO);
    const char *message = dial_ctx_error(ctx);
    const char *prefix = "cannot write /nonexistent-dial-dir/model.dial: cannot create "
                         "/nonexistent-dial-dir/model.dial.tmp-";
    assert_memory_equal(message, prefix, strlen(prefix));
    assert_non_null(strstr(message, ": No such file or directory"));
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_loading_a_missing_file_is_an_io_error(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_load(ctx, "/nonexistent-dial-dir/model.dial", &model),
                      DIAL_ERR_IO,
                      "cannot open /nonexistent-dial-dir/model.dial: No such file or directory");
    dial_ctx_free(ctx);
}

static void test_save_to_dash_writes_standard_output(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = fit_iris_knn(ctx);
    char *path = test_write_temp("", 0, ".dial");
    fflush(stdout);
    int saved_stdout = dup(STDOUT_FILENO);
    FILE *out = fopen(path, "wb");
    dup2(fileno(out), STDOUT_FILENO);
    dial_status status = dial_model_save(ctx, model, "-");
    fflush(stdout);
    dup2(saved_stdout, STDOUT_FILENO);
    close(saved_stdout);
    fclose(out);
    assert_dial_ok(ctx, status);
    assert_file_is_the_saved_model(ctx, model, path);
    unlink(path);
    free(path);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static void test_load_from_dash_reads_standard_input(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = saved_iris_knn(ctx);
    char *path = test_write_temp((const char *)file.bytes, file.length, ".dial");
    int saved_stdin = dup(STDIN_FILENO);
    FILE *in = fopen(path, "rb");
    dup2(fileno(in), STDIN_FILENO);
    dial_model *loaded = NULL;
    dial_status status = dial_model_load(ctx, "-", &loaded);
    dup2(saved_stdin, STDIN_FILENO);
    close(saved_stdin);
    fclose(in);
    assert_dial_ok(ctx, status);
    assert_string_equal(dial_model_get_family(loaded)->name, "knn");
    dial_model_free(loaded);
    unlink(path);
    free(path);
    free(file.bytes);
    dial_ctx_free(ctx);
}

static void test_a_name_that_is_not_utf8_cannot_be_saved(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = hand_built_model(ctx);
    free(model->features[0].name);
    model->features[0].name = strdup("caf\xe9"); /* Latin-1 */
    unsigned char *bytes = (unsigned char *)1;
    size_t length = 1;
    assert_dial_error(ctx, dial_model_save_buffer(ctx, model, &bytes, &length), DIAL_ERR_DATA,
                      "cannot save the model: the name of feature 1 is not valid UTF-8 text, "
                      "which a model file requires; re-encode the data as UTF-8");
    assert_null(bytes);
    assert_int_equal(length, 0);
    dial_model_free(model);
    dial_ctx_free(ctx);
}

/* ---- files that are not models, cut or damaged ---------------------------------- */

static void test_a_csv_file_is_not_a_model(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_model *model = NULL;
    assert_dial_error(ctx, dial_model_load(ctx, "data/iris.csv", &model), DIAL_ERR_FORMAT,
                      "data/iris.csv: not a dial model file (bad magic)");
    dial_ctx_free(ctx);
}

static void test_a_short_file_is_not_a_model(void **state) {
    (void)state;
    model_bytes file = {.bytes = (unsigned char *)"\211DIAL\r\n", .length = 7};
    assert_load_fails(&file, "model.dial: not a dial model file (too short: 7 bytes)");
}

static void test_newline_conversion_is_named(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = saved_iris_knn(ctx);
    /* What a text-mode transfer does: every \r\n becomes \n. */
    size_t out = 0;
    for (size_t i = 0; i < file.length; i++)
        if (!(file.bytes[i] == '\r' && i + 1 < file.length && file.bytes[i + 1] == '\n'))
            file.bytes[out++] = file.bytes[i];
    file.length = out;
    assert_load_fails(&file,
                      "model.dial: not a dial model file (bad magic): it was mangled by "
                      "newline conversion (\\r\\n became \\n); copy it again in binary mode");
    free(file.bytes);
    dial_ctx_free(ctx);
}

static void test_dos_newline_conversion_is_named(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = saved_iris_knn(ctx);
    /* What unix2dos does: every \n that is not already after \r gets one. */
    unsigned char *converted = malloc(2 * file.length);
    size_t out = 0;
    for (size_t i = 0; i < file.length; i++) {
        if (file.bytes[i] == '\n' && (i == 0 || file.bytes[i - 1] != '\r')) converted[out++] = '\r';
        converted[out++] = file.bytes[i];
    }
    model_bytes mangled = {converted, out};
    assert_load_fails(&mangled, "model.dial: not a dial model file (bad magic): it was mangled by "
                                "newline conversion (\\n became \\r\\n); copy it again in binary "
                                "mode");
    free(converted);
    free(file.bytes);
    dial_ctx_free(ctx);
}

static void test_a_seven_bit_transfer_is_named(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = saved_iris_knn(ctx);
    for (size_t i = 0; i < file.length; i++) file.bytes[i] &= 0x7F;
    assert_load_fails(&file, "model.dial: not a dial model file (bad magic): its first byte lost "
                             "its high bit in a 7-bit transfer; copy it again in binary mode");
    free(file.bytes);
    dial_ctx_free(ctx);
}

static void test_a_newer_format_version_asks_for_an_upgrade(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = saved_iris_knn(ctx);
    file.bytes[9] = 2;
    assert_load_fails(&file, "model.dial: format version 2 is newer than this dial supports (1); "
                             "upgrade dial");
    free(file.bytes);
    dial_ctx_free(ctx);
}

static void test_every_truncation_is_refused_as_truncated(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = saved_iris_knn(ctx);
    char expected[160];
    for (size_t n = 0; n < file.length; n++) {
        /* A copy of exactly n bytes, so that ASan sees any read past it. */
        unsigned char *cut = malloc(n ? n : 1);
        memcpy(cut, file.bytes, n);
        dial_model *model = (dial_model *)1;
        dial_status status = dial_model_load_buffer(ctx, "model.dial", cut, n, &model);
        if (status != DIAL_ERR_FORMAT) fail_msg("length %zu: status %d", n, status);
        assert_null(model);
        const char *message = dial_ctx_error(ctx);
        if (n < 25) {
            snprintf(expected, sizeof expected,
                     "model.dial: not a dial model file (too short: %zu byte%s)", n,
                     n == 1 ? "" : "s");
            assert_string_equal(message, expected);
        } else if (strncmp(message, "model.dial: truncated: the file has ", 36) != 0) {
            fail_msg("length %zu: %s", n, message);
        }
        free(cut);
    }
    snprintf(expected, sizeof expected,
             "model.dial: truncated: the file has %zu bytes but its header describes %zu; it was "
             "cut short (an interrupted copy?)",
             file.length - 1, file.length);
    model_bytes short_by_one = {file.bytes, file.length - 1};
    assert_load_fails(&short_by_one, expected);
    free(file.bytes);
    dial_ctx_free(ctx);
}

static void test_every_damaged_byte_is_refused(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = saved_iris_knn(ctx);
    /* Every byte inverted; single low and high bits too, at every byte of
     * the prefix and header (where the parsing is) and a dense sample of
     * the tensor data (where the checksum alone can tell). */
    static const unsigned char flips[] = {0xFF, 0x01, 0x80};
    size_t start = data_start_of(&file);
    for (size_t i = 0; i < file.length; i++)
        for (size_t f = 0; f < (i < start || i % 8 == 5 ? sizeof flips : 1); f++) {
            file.bytes[i] ^= flips[f];
            dial_model *model = (dial_model *)1;
            dial_status status =
                dial_model_load_buffer(ctx, "model.dial", file.bytes, file.length, &model);
            if (status != DIAL_ERR_FORMAT)
                fail_msg("byte %zu ^ 0x%02x: status %d", i, flips[f], status);
            assert_null(model);
            assert_memory_equal(dial_ctx_error(ctx), "model.dial: ", 12);
            file.bytes[i] ^= flips[f];
        }
    /* Damage to the tensor data can only be seen by the checksum. */
    size_t in_data = data_start_of(&file) + 3;
    file.bytes[in_data] ^= 0x10;
    assert_load_fails(&file, "model.dial: checksum mismatch: the file is damaged");
    free(file.bytes);
    dial_ctx_free(ctx);
}

static void test_bytes_after_the_checksum_are_refused(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = saved_iris_knn(ctx);
    unsigned char *longer = calloc(file.length + 5, 1);
    memcpy(longer, file.bytes, file.length);
    model_bytes appended = {longer, file.length + 5};
    char expected[160];
    snprintf(expected, sizeof expected,
             "model.dial: 5 unexpected bytes after the end of the model (its header describes "
             "%zu bytes)",
             file.length);
    assert_load_fails(&appended, expected);
    free(longer);
    free(file.bytes);
    dial_ctx_free(ctx);
}

/* ---- crafted headers with a correct checksum ----------------------------------- */

static void claim_2_to_the_40_values(json_t *header) {
    json_t *x = tensor_entry(header, "x");
    json_object_set_new(x, "shape", json_pack("[II]", (json_int_t)1 << 20, (json_int_t)1 << 20));
    json_object_set_new(x, "bytes", json_integer((json_int_t)1 << 43));
}

static void test_a_tensor_claiming_2_to_the_40_values_is_refused_by_name(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = crafted(ctx, claim_2_to_the_40_values, 0);
    json_t *header = header_of(&file);
    char expected[200];
    snprintf(expected, sizeof expected,
             "model.dial: tensor 'x' has shape [1048576, 1048576], more f64 values than the "
             "file's %lld bytes of tensor data hold",
             (long long)json_integer_value(json_object_get(header, "data_bytes")));
    assert_load_fails(&file, expected);
    json_decref(header);
    free(file.bytes);
    dial_ctx_free(ctx);
}

static void claim_overflowing_shape(json_t *header) {
    json_t *x = tensor_entry(header, "x");
    json_object_set_new(x, "shape",
                        json_pack("[IIII]", (json_int_t)1 << 32, (json_int_t)1 << 32,
                                  (json_int_t)1 << 32, (json_int_t)0));
}

static void test_a_shape_whose_product_overflows_with_a_zero_is_checked_exactly(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    /* 2^96 x 0 is 0 values: no overflow, but 'bytes' still disagrees. */
    model_bytes file = crafted(ctx, claim_overflowing_shape, 0);
    assert_load_fails(&file, "model.dial: tensor 'x' declares 4800 bytes but its shape "
                             "[4294967296, 4294967296, 4294967296, 0] of f64 needs 0");
    free(file.bytes);
    dial_ctx_free(ctx);
}

static void misalign_x(json_t *header) {
    json_object_set_new(tensor_entry(header, "x"), "offset", json_integer(8));
}

static void move_y_past_the_end(json_t *header) {
    json_t *y = tensor_entry(header, "y");
    json_object_set_new(y, "offset",
                        json_integer(json_integer_value(json_object_get(header, "data_bytes"))));
}

static void overlap_y_with_x(json_t *header) {
    json_object_set_new(tensor_entry(header, "y"), "offset", json_integer(64));
}

static void duplicate_x(json_t *header) {
    json_t *tensors = json_object_get(header, "tensors");
    json_t *copy = json_deep_copy(tensor_entry(header, "x"));
    json_int_t data_bytes = json_integer_value(json_object_get(header, "data_bytes"));
    json_object_set_new(copy, "offset", json_integer(data_bytes));
    json_array_append_new(tensors, copy);
    json_object_set_new(header, "data_bytes", json_integer(data_bytes + 4800));
}

static void five_dimensions(json_t *header) {
    json_object_set_new(tensor_entry(header, "y"), "shape", json_pack("[iiiii]", 150, 1, 1, 1, 1));
}

static void unknown_dtype(json_t *header) {
    json_object_set_new(tensor_entry(header, "y"), "dtype", json_string("f32"));
}

static void long_name(json_t *header) {
    json_object_set_new(
        tensor_entry(header, "y"), "name",
        json_string("a_name_that_is_far_too_long_for_a_tensor_of_dial_12345678901234567890"));
}

static void bad_preprocess_shape(json_t *header) {
    json_object_set_new(tensor_entry(header, "preprocess.center"), "shape", json_pack("[i]", 3));
    json_object_set_new(tensor_entry(header, "preprocess.center"), "bytes", json_integer(24));
}

static void test_the_tensor_index_is_checked_entry_by_entry(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    struct {
        void (*edit)(json_t *);
        size_t extra;
        const char *expected;
    } cases[] = {
        {misalign_x, 0, "model.dial: tensor 'x' is at offset 8, not a multiple of 64"},
        {move_y_past_the_end, 0,
         "model.dial: tensor 'y' (1200 bytes at offset 6272) runs past the end of the tensor "
         "data (6272 bytes)"},
        {overlap_y_with_x, 0,
         "model.dial: tensor 'y' at offset 64 overlaps tensor 'x' before it, which ends at 5056"},
        {duplicate_x, 4800, "model.dial: tensor 'x' appears twice in the index"},
        {five_dimensions, 0, "model.dial: tensor 'y' has 5 dimensions, at most 4"},
        {unknown_dtype, 0, "model.dial: tensor 'y' has dtype 'f32', expected 'f64' or 'i64'"},
        {long_name, 0,
         "model.dial: tensor name "
         "'a_name_that_is_far_too_long_for_a_tensor_of_dial_12345678901234567890' "
         "in 'tensors[5]' must be 1 to 63 printable bytes"},
        {bad_preprocess_shape, 0,
         "model.dial: tensor 'preprocess.center' has f64 shape [3], expected f64 [4] (one per "
         "inputs)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        model_bytes file = crafted(ctx, cases[i].edit, cases[i].extra);
        assert_load_fails(&file, cases[i].expected);
        free(file.bytes);
    }
    dial_ctx_free(ctx);
}

static void unknown_family(json_t *header) {
    json_object_set_new(header, "model", json_string("knnn"));
}
static void newer_model_version(json_t *header) {
    json_object_set_new(header, "model_version", json_integer(3));
}
static void out_of_range_knob(json_t *header) {
    json_object_set_new(json_object_get(header, "knobs"), "k", json_integer(0));
}
static void misspelt_knob(json_t *header) {
    json_object_set_new(json_object_get(header, "knobs"), "wieghts", json_string("uniform"));
}
static void bad_choice(json_t *header) {
    json_object_set_new(json_object_get(header, "knobs"), "metric", json_string("chebyshev"));
}
static void knob_of_the_wrong_kind(json_t *header) {
    json_object_set_new(json_object_get(header, "knobs"), "k", json_string("7"));
}
static void inactive_knob_set(json_t *header) {
    json_array_append_new(json_object_get(header, "knobs_set"), json_string("p"));
}
static void one_class(json_t *header) {
    json_object_set_new(header, "classes", json_pack("[s]", "setosa"));
}
static void wrong_n_inputs(json_t *header) {
    json_object_set_new(header, "n_inputs", json_integer(5));
}
static void no_facts(json_t *header) { json_object_del(header, "facts"); }
static void text_n_inputs(json_t *header) {
    json_object_set_new(header, "n_inputs", json_string("4"));
}
static void regression_task(json_t *header) {
    json_object_set_new(header, "task", json_string("ranking"));
}
static void levels_on_a_numeric_feature(json_t *header) {
    json_t *feature = json_array_get(json_object_get(header, "features"), 1);
    json_object_set_new(feature, "levels", json_pack("[s]", "a"));
}
static void wrong_data_bytes(json_t *header) {
    json_object_set_new(header, "data_bytes", json_integer(64));
}
static void not_a_dial_format(json_t *header) {
    json_object_set_new(header, "format", json_string("onnx"));
}

static void test_the_header_fields_are_checked_one_by_one(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    struct {
        void (*edit)(json_t *);
        const char *expected;
    } cases[] = {
        {not_a_dial_format, "model.dial: header field 'format' is 'onnx', expected 'dial-model'"},
        {newer_model_version,
         "model.dial: knn model version 3 is newer than this dial supports (1); upgrade dial"},
        {out_of_range_knob, "model.dial: knob 'k' = 0 is out of range: must be >= 1"},
        {misspelt_knob, "model.dial: unknown knob 'wieghts' for knn; did you mean 'weights'?"},
        {bad_choice, "model.dial: knob 'metric' = 'chebyshev' is not one of: euclidean, manhattan, "
                     "minkowski, cosine"},
        {knob_of_the_wrong_kind, "model.dial: knob 'k' must be an integer, found a string"},
        {inactive_knob_set,
         "model.dial: knob 'p' is inactive: it applies only when metric=minkowski"},
        {one_class, "model.dial: a classification model needs at least 2 classes, the header "
                    "lists 1"},
        {wrong_n_inputs,
         "model.dial: header field 'n_inputs' is 5 but the features expand to 4 inputs"},
        {no_facts, "model.dial: header field 'facts' is missing"},
        {text_n_inputs, "model.dial: header field 'n_inputs' must be an integer, found a string"},
        {regression_task, "model.dial: header field 'task' is 'ranking', expected "
                          "'classification', 'regression' or 'clustering'"},
        {levels_on_a_numeric_feature,
         "model.dial: header field 'features[1].levels': numeric feature 'sepal_width' has no "
         "levels, the header lists 1"},
        {wrong_data_bytes,
         "model.dial: header field 'data_bytes' is 64 but the file holds 6272 bytes of tensor "
         "data"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        model_bytes file = crafted(ctx, cases[i].edit, 0);
        assert_load_fails(&file, cases[i].expected);
        free(file.bytes);
    }
    dial_ctx_free(ctx);
}

static void test_an_unknown_model_family_is_named(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = crafted(ctx, unknown_family, 0);
    dial_model *model = NULL;
    assert_int_equal(dial_model_load_buffer(ctx, "model.dial", file.bytes, file.length, &model),
                     DIAL_ERR_FORMAT);
    /* The list of known models grows with the registry; its start does not. */
    const char *expected = "model.dial: unknown model 'knnn'; did you mean 'knn'? models are: ";
    assert_memory_equal(dial_ctx_error(ctx), expected, strlen(expected));
    free(file.bytes);
    dial_ctx_free(ctx);
}

static void test_a_header_that_is_not_json_gives_line_and_column(void **state) {
    (void)state;
    const char *text = "{\n  \"format\": \"dial-model\",\n  oops\n}";
    size_t header_length = strlen(text), data_start = (25 + header_length + 63) / 64 * 64;
    model_bytes file = {.length = data_start + 8};
    file.bytes = calloc(file.length, 1);
    memcpy(file.bytes, "\211DIAL\r\n\032\n\x01", 10);
    put_u64(file.bytes + 17, header_length);
    memcpy(file.bytes + 25, text, header_length);
    put_u64(file.bytes + data_start, dial_modelfile_checksum(file.bytes, data_start));
    assert_load_fails(&file,
                      "model.dial: the header is not valid JSON: line 3, column 6: string or "
                      "'}' expected near 'oops'");
    free(file.bytes);
}

static void test_a_header_with_a_duplicate_key_is_refused(void **state) {
    (void)state;
    const char *text = "{\"format\": \"dial-model\", \"format\": \"dial-model\"}";
    size_t header_length = strlen(text), data_start = (25 + header_length + 63) / 64 * 64;
    model_bytes file = {.length = data_start + 8};
    file.bytes = calloc(file.length, 1);
    memcpy(file.bytes, "\211DIAL\r\n\032\n\x01", 10);
    put_u64(file.bytes + 17, header_length);
    memcpy(file.bytes + 25, text, header_length);
    put_u64(file.bytes + data_start, dial_modelfile_checksum(file.bytes, data_start));
    assert_load_fails(&file, "model.dial: the header is not valid JSON: line 1, column 33: "
                             "duplicate object key near '\"format\"'");
    free(file.bytes);
}

static void test_a_header_length_over_the_cap_is_refused_before_reading(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    model_bytes file = saved_iris_knn(ctx);
    put_u64(file.bytes + 17, (uint64_t)1 << 62);
    assert_load_fails(&file, "model.dial: the header claims 4611686018427387904 bytes, over the 16 "
                             "MiB limit: the file is damaged");
    free(file.bytes);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checksum_is_crc64_xz),
        cmocka_unit_test(test_knn_on_iris_predicts_bit_for_bit_after_save_and_load),
        cmocka_unit_test(test_logistic_on_breast_cancer_predicts_bit_for_bit_after_save_and_load),
        cmocka_unit_test(test_categorical_features_and_missing_values_round_trip),
        cmocka_unit_test(test_a_hand_built_model_round_trips_to_the_bit),
        cmocka_unit_test(test_saving_a_loaded_model_gives_the_same_bytes),
        cmocka_unit_test(test_float_knobs_round_trip_exactly),
        cmocka_unit_test(test_knobs_keep_which_ones_the_user_set),
        cmocka_unit_test(test_float_knobs_are_written_with_the_fewest_exact_digits),
        cmocka_unit_test(test_an_mlp_with_two_hidden_layers_round_trips_bit_for_bit),
        cmocka_unit_test(test_a_list_knob_written_as_one_number_is_a_list_of_one),
        cmocka_unit_test(test_a_bad_list_knob_in_the_header_is_named),
        cmocka_unit_test(test_the_layout_is_little_endian_and_aligned),
        cmocka_unit_test(test_save_replaces_the_file_and_leaves_no_temporary),
        cmocka_unit_test(test_a_file_written_piece_by_piece_is_the_buffer_s_bytes),
        cmocka_unit_test(test_save_into_a_missing_directory_is_an_io_error),
        cmocka_unit_test(test_loading_a_missing_file_is_an_io_error),
        cmocka_unit_test(test_save_to_dash_writes_standard_output),
        cmocka_unit_test(test_load_from_dash_reads_standard_input),
        cmocka_unit_test(test_a_name_that_is_not_utf8_cannot_be_saved),
        cmocka_unit_test(test_a_csv_file_is_not_a_model),
        cmocka_unit_test(test_a_short_file_is_not_a_model),
        cmocka_unit_test(test_newline_conversion_is_named),
        cmocka_unit_test(test_dos_newline_conversion_is_named),
        cmocka_unit_test(test_a_seven_bit_transfer_is_named),
        cmocka_unit_test(test_a_newer_format_version_asks_for_an_upgrade),
        cmocka_unit_test(test_every_truncation_is_refused_as_truncated),
        cmocka_unit_test(test_every_damaged_byte_is_refused),
        cmocka_unit_test(test_bytes_after_the_checksum_are_refused),
        cmocka_unit_test(test_a_tensor_claiming_2_to_the_40_values_is_refused_by_name),
        cmocka_unit_test(test_a_shape_whose_product_overflows_with_a_zero_is_checked_exactly),
        cmocka_unit_test(test_the_tensor_index_is_checked_entry_by_entry),
        cmocka_unit_test(test_the_header_fields_are_checked_one_by_one),
        cmocka_unit_test(test_an_unknown_model_family_is_named),
        cmocka_unit_test(test_a_header_that_is_not_json_gives_line_and_column),
        cmocka_unit_test(test_a_header_with_a_duplicate_key_is_refused),
        cmocka_unit_test(test_a_header_length_over_the_cap_is_refused_before_reading),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* What a model file says it learned is checked at load as closely as its
 * frame: a weight that is not a number, two classes with one label, two
 * features with one name, an integer knob a double cannot hold. Each file
 * is a real saved model with one thing changed and its checksum made
 * right again, so that the check under test, not the checksum, refuses it. */
#include "test_support.h"

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "modelfile/checksum.h"

/* ---- helpers ---------------------------------------------------------- */

typedef struct model_bytes {
    unsigned char *bytes;
    size_t length;
} model_bytes;

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

/* The file's checksum recomputed over its (edited) body. */
static void fix_checksum(model_bytes *file) {
    put_u64(file->bytes + file->length - 8, dial_modelfile_checksum(file->bytes, file->length - 8));
}

static json_t *header_of(const model_bytes *file) {
    json_error_t error;
    json_t *header =
        json_loadb((const char *)file->bytes + 25, (size_t)get_u64(file->bytes + 17), 0, &error);
    if (!header) fail_msg("the saved header is not JSON: %s", error.text);
    return header;
}

static size_t data_start_of(const model_bytes *file) {
    return (size_t)((25 + get_u64(file->bytes + 17) + 63) / 64 * 64);
}

/* A family fitted on a CSV and saved to bytes. */
static model_bytes saved(const char *family_name, const char *path, const char *target,
                         const char *const *settings) {
    dial_ctx *ctx = test_ctx();
    dial_model *model =
        test_fit_file(ctx, dial_model_family_find(family_name), path, target, settings);
    model_bytes file;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &file.bytes, &file.length));
    dial_model_free(model);
    dial_ctx_free(ctx);
    return file;
}

/* Writes value over element i of the saved tensor called name, as the
 * writer lays doubles out (8 bytes, little-endian), and fixes the checksum. */
static void overwrite_element(model_bytes *file, const char *name, size_t i, double value) {
    json_t *header = header_of(file);
    json_t *entry;
    size_t k;
    bool found = false;
    json_array_foreach(json_object_get(header, "tensors"), k, entry) {
        if (strcmp(json_string_value(json_object_get(entry, "name")), name) != 0) continue;
        size_t offset = (size_t)json_integer_value(json_object_get(entry, "offset"));
        assert_true((i + 1) * 8 <= (size_t)json_integer_value(json_object_get(entry, "bytes")));
        uint64_t bits;
        memcpy(&bits, &value, sizeof bits);
        put_u64(file->bytes + data_start_of(file) + offset + 8 * i, bits);
        found = true;
    }
    json_decref(header);
    if (!found) fail_msg("no tensor %s in the header", name);
    fix_checksum(file);
}

/* The file with its header edited by edit, framed again as the writer
 * frames it (the tensor data moves with the header's new length). */
static model_bytes with_header_edited(model_bytes file, void (*edit)(json_t *header)) {
    json_t *header = header_of(&file);
    edit(header);
    char *text = json_dumps(header, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    assert_non_null(text);
    size_t start = data_start_of(&file), data_bytes = file.length - 8 - start;
    size_t header_length = strlen(text), new_start = (25 + header_length + 63) / 64 * 64;
    model_bytes out = {.length = new_start + data_bytes + 8};
    out.bytes = calloc(out.length, 1);
    assert_non_null(out.bytes);
    memcpy(out.bytes, file.bytes, 17);
    put_u64(out.bytes + 17, header_length);
    memcpy(out.bytes + 25, text, header_length);
    memcpy(out.bytes + new_start, file.bytes + start, data_bytes);
    fix_checksum(&out);
    free(text);
    json_decref(header);
    free(file.bytes);
    return out;
}

/* Asserts that loading the file fails with DIAL_ERR_FORMAT and exactly
 * expected, and frees it. */
static void assert_load_fails(model_bytes *file, const char *expected) {
    dial_ctx *ctx = test_ctx();
    dial_model *model = (dial_model *)1;
    assert_dial_error(ctx,
                      dial_model_load_buffer(ctx, "model.dial", file->bytes, file->length, &model),
                      DIAL_ERR_FORMAT, expected);
    assert_null(model);
    dial_ctx_free(ctx);
    free(file->bytes);
}

/* Asserts that the untouched file loads, so that a refusal is the edit's. */
static void assert_loads(const model_bytes *file) {
    dial_ctx *ctx = test_ctx();
    dial_model *model = NULL;
    assert_dial_ok(ctx,
                   dial_model_load_buffer(ctx, "model.dial", file->bytes, file->length, &model));
    dial_model_free(model);
    dial_ctx_free(ctx);
}

static model_bytes copy_of(const model_bytes *file) {
    model_bytes copy = {malloc(file->length), file->length};
    assert_non_null(copy.bytes);
    memcpy(copy.bytes, file->bytes, file->length);
    return copy;
}

/* A quiet NaN with the sign bit clear, so that %g writes "nan". */
static double positive_nan(void) {
    uint64_t bits = 0x7ff8000000000000ULL;
    double value;
    memcpy(&value, &bits, sizeof value);
    return value;
}

/* ---- learned values that are not numbers ------------------------------- */

static void test_a_linear_model_with_a_nan_coefficient_is_refused(void **state) {
    (void)state;
    model_bytes file = saved("linear", "data/diabetes.csv", "progression", NULL);
    assert_loads(&file);
    model_bytes nan_coef = copy_of(&file);
    overwrite_element(&nan_coef, "coef", 2, positive_nan());
    assert_load_fails(&nan_coef, "model.dial: linear model tensor 'coef' holds nan at element 2: "
                                 "learned values must be finite numbers");
    overwrite_element(&file, "intercept", 0, -INFINITY);
    assert_load_fails(&file, "model.dial: linear model tensor 'intercept' holds -inf at element "
                             "0: learned values must be finite numbers");
}

static void test_a_logistic_model_with_a_nan_weight_is_refused(void **state) {
    (void)state;
    model_bytes file = saved("logistic", "data/iris.csv", "species", NULL);
    assert_loads(&file);
    model_bytes nan_coef = copy_of(&file);
    overwrite_element(&nan_coef, "coef", 5, positive_nan());
    assert_load_fails(&nan_coef, "model.dial: logistic model tensor 'coef' holds nan at element "
                                 "5: learned values must be finite numbers");
    overwrite_element(&file, "intercept", 2, INFINITY);
    assert_load_fails(&file, "model.dial: logistic model tensor 'intercept' holds inf at element "
                             "2: learned values must be finite numbers");
}

static void test_an_svm_model_with_a_nan_value_is_refused(void **state) {
    (void)state;
    static const char *const settings[] = {"probability=true", NULL};
    model_bytes file = saved("svm", "data/iris.csv", "species", settings);
    assert_loads(&file);
    static const char *const names[] = {"support_vectors", "dual_coef", "intercept", "probA",
                                        "probB"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        model_bytes edited = copy_of(&file);
        overwrite_element(&edited, names[k], 1, positive_nan());
        char expected[256];
        snprintf(expected, sizeof expected,
                 "model.dial: svm model tensor '%s' holds nan at element 1: learned values must "
                 "be finite numbers",
                 names[k]);
        assert_load_fails(&edited, expected);
    }
    free(file.bytes);
}

static void test_an_mlp_model_with_a_nan_weight_is_refused(void **state) {
    (void)state;
    static const char *const settings[] = {"hidden=8,4", "epochs=20", NULL};
    model_bytes file = saved("mlp", "data/iris.csv", "species", settings);
    assert_loads(&file);
    static const char *const names[] = {"layer0.weight", "layer1.bias", "layer2.weight"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        model_bytes edited = copy_of(&file);
        overwrite_element(&edited, names[k], 3, positive_nan());
        char expected[256];
        snprintf(expected, sizeof expected,
                 "model.dial: mlp model tensor '%s' holds nan at element 3: learned values must "
                 "be finite numbers",
                 names[k]);
        assert_load_fails(&edited, expected);
    }
    free(file.bytes);
}

/* ---- names that must differ ---------------------------------------------- */

static void setosa_twice(json_t *header) {
    json_array_set_new(json_object_get(header, "classes"), 2, json_string("setosa"));
}

static void test_a_class_label_listed_twice_is_refused(void **state) {
    (void)state;
    model_bytes file = saved("logistic", "data/iris.csv", "species", NULL);
    model_bytes edited = with_header_edited(file, setosa_twice);
    assert_load_fails(&edited, "model.dial: header field 'classes' lists 'setosa' twice "
                               "(classes[0] and classes[2]): the class labels must differ");
}

static void feature_named_twice(json_t *header) {
    json_t *feature = json_array_get(json_object_get(header, "features"), 3);
    json_object_set_new(feature, "name", json_string("sepal_width"));
}

static void test_a_feature_name_listed_twice_is_refused(void **state) {
    (void)state;
    model_bytes file = saved("logistic", "data/iris.csv", "species", NULL);
    model_bytes edited = with_header_edited(file, feature_named_twice);
    assert_load_fails(&edited, "model.dial: header field 'features' lists 'sepal_width' twice "
                               "(features[1] and features[3]): the feature names must differ");
}

/* credit_data's Home is categorical; its first level written twice. */
static void level_twice(json_t *header) {
    json_t *features = json_object_get(header, "features");
    size_t j;
    json_t *feature;
    json_array_foreach(features, j, feature) {
        if (strcmp(json_string_value(json_object_get(feature, "name")), "Home") != 0) continue;
        json_t *levels = json_object_get(feature, "levels");
        json_array_set(levels, 1, json_array_get(levels, 0));
    }
}

static void test_a_categorical_level_listed_twice_is_refused(void **state) {
    (void)state;
    model_bytes file = saved("naive_bayes", "data/credit_data.csv", "Status", NULL);
    json_t *header = header_of(&file);
    const char *first = NULL;
    size_t j, home = 0;
    json_t *feature;
    json_array_foreach(json_object_get(header, "features"), j, feature) {
        if (strcmp(json_string_value(json_object_get(feature, "name")), "Home") != 0) continue;
        first = json_string_value(json_array_get(json_object_get(feature, "levels"), 0));
        home = j;
    }
    assert_non_null(first);
    char expected[256];
    snprintf(expected, sizeof expected,
             "model.dial: header field 'features[%zu].levels' lists '%s' twice "
             "(features[%zu].levels[0] and features[%zu].levels[1]): the levels must differ",
             home, first, home, home);
    json_decref(header);
    model_bytes edited = with_header_edited(file, level_twice);
    assert_load_fails(&edited, expected);
}

/* ---- knobs a double cannot hold ------------------------------------------ */

static void k_past_2_to_the_53(json_t *header) {
    json_object_set_new(json_object_get(header, "knobs"), "k", json_integer(9007199254740993LL));
}

static void test_an_integer_knob_past_2_to_the_53_is_refused(void **state) {
    (void)state;
    model_bytes file = saved("knn", "data/iris.csv", "species", NULL);
    model_bytes edited = with_header_edited(file, k_past_2_to_the_53);
    assert_load_fails(&edited, "model.dial: knob 'k' = 9007199254740993 is out of range: must be "
                               ">= 1 and at most 2^53 in magnitude");
}

static void hidden_past_2_to_the_53(json_t *header) {
    json_object_set_new(json_object_get(header, "knobs"), "hidden",
                        json_pack("[II]", (json_int_t)4, (json_int_t)9007199254740993LL));
}

static void test_a_list_knob_item_past_2_to_the_53_is_refused(void **state) {
    (void)state;
    static const char *const settings[] = {"hidden=4", "epochs=5", NULL};
    model_bytes file = saved("mlp", "data/iris.csv", "species", settings);
    model_bytes edited = with_header_edited(file, hidden_past_2_to_the_53);
    assert_load_fails(&edited,
                      "model.dial: knob 'hidden' layer 2 = 9007199254740993 is out of range: "
                      "must be at most 2^53 in magnitude (the knob takes 1 to 16 layers, each in "
                      "[1, 100000])");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_linear_model_with_a_nan_coefficient_is_refused),
        cmocka_unit_test(test_a_logistic_model_with_a_nan_weight_is_refused),
        cmocka_unit_test(test_an_svm_model_with_a_nan_value_is_refused),
        cmocka_unit_test(test_an_mlp_model_with_a_nan_weight_is_refused),
        cmocka_unit_test(test_a_class_label_listed_twice_is_refused),
        cmocka_unit_test(test_a_feature_name_listed_twice_is_refused),
        cmocka_unit_test(test_a_categorical_level_listed_twice_is_refused),
        cmocka_unit_test(test_an_integer_knob_past_2_to_the_53_is_refused),
        cmocka_unit_test(test_a_list_knob_item_past_2_to_the_53_is_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

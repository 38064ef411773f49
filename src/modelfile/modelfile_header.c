/*
 * Decoding the JSON header of a .dial file into the model's schema: family,
 * knobs, task, classes, features and training facts. Every field is checked
 * for presence and kind, every name against what this dial knows, and the
 * knobs against the family's own table, as if the user had typed them.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/text.h"
#include "modelfile/modelfile_internal.h"
#include "modelfile/modelfile_retrained.h"
#include "modelfile/modelfile_reader.h"

static const char *kind_name(dial_modelfile_kind kind) {
    switch (kind) {
    case DIAL_MODELFILE_OBJECT: return "an object";
    case DIAL_MODELFILE_ARRAY: return "an array";
    case DIAL_MODELFILE_STRING: return "a string";
    case DIAL_MODELFILE_INTEGER: return "an integer";
    case DIAL_MODELFILE_NUMBER: return "a number";
    case DIAL_MODELFILE_BOOL: return "true or false";
    }
    return "?";
}

static const char *json_kind_name(const json_t *value) {
    switch (json_typeof(value)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a real number";
    case JSON_TRUE: return "true";
    case JSON_FALSE: return "false";
    case JSON_NULL: return "null";
    }
    return "?";
}

static bool is_kind(const json_t *value, dial_modelfile_kind kind) {
    switch (kind) {
    case DIAL_MODELFILE_OBJECT: return json_is_object(value);
    case DIAL_MODELFILE_ARRAY: return json_is_array(value);
    case DIAL_MODELFILE_STRING: return json_is_string(value);
    case DIAL_MODELFILE_INTEGER: return json_is_integer(value);
    case DIAL_MODELFILE_NUMBER: return json_is_number(value);
    case DIAL_MODELFILE_BOOL: return json_is_boolean(value);
    }
    return false;
}

/* "facts" + "seed" -> "facts.seed"; at the top the key alone. */
static void field_path(char *buf, size_t size, const char *path, const char *key) {
    if (path[0])
        snprintf(buf, size, "%s.%s", path, key);
    else
        snprintf(buf, size, "%s", key);
}

dial_status dial_modelfile_member(const dial_modelfile_reader *r, const json_t *object,
                                  const char *path, const char *key, dial_modelfile_kind kind,
                                  bool optional, json_t **out) {
    char field[160];
    field_path(field, sizeof field, path, key);
    json_t *value = json_object_get(object, key);
    *out = NULL;
    if (!value) {
        if (optional) return DIAL_OK;
        return dial_modelfile_fail(r, "header field '%s' is missing", field);
    }
    if (!is_kind(value, kind))
        return dial_modelfile_fail(r, "header field '%s' must be %s, found %s", field,
                                   kind_name(kind), json_kind_name(value));
    *out = value;
    return DIAL_OK;
}

dial_status dial_modelfile_string(const dial_modelfile_reader *r, const json_t *object,
                                  const char *path, const char *key, const char **out) {
    json_t *value;
    dial_status status =
        dial_modelfile_member(r, object, path, key, DIAL_MODELFILE_STRING, false, &value);
    *out = status == DIAL_OK ? json_string_value(value) : NULL;
    return status;
}

dial_status dial_modelfile_count(const dial_modelfile_reader *r, const json_t *object,
                                 const char *path, const char *key, uint64_t max, uint64_t *out) {
    json_t *value;
    dial_status status =
        dial_modelfile_member(r, object, path, key, DIAL_MODELFILE_INTEGER, false, &value);
    if (status != DIAL_OK) return status;
    json_int_t n = json_integer_value(value);
    if (n < 0 || (uint64_t)n > max) {
        char field[160];
        field_path(field, sizeof field, path, key);
        return dial_modelfile_fail(r,
                                   "header field '%s' = %" JSON_INTEGER_FORMAT
                                   " is out of range: must be in [0, %" PRIu64 "]",
                                   field, n, max);
    }
    *out = (uint64_t)n;
    return DIAL_OK;
}

static dial_status out_of_memory(const dial_modelfile_reader *r) {
    return dial_fail(r->ctx, DIAL_ERR_NOMEM, "%s: out of memory loading the model", r->name);
}

/* A string copied out of the JSON, which is freed before the model is. */
static dial_status copy_text(const dial_modelfile_reader *r, const char *text, char **out) {
    *out = dial_strdup(r->ctx, text);
    return *out ? DIAL_OK : out_of_memory(r);
}

/* n pointers, zeroed; never NULL when it succeeds, even for n = 0. */
static dial_status alloc_array(const dial_modelfile_reader *r, size_t n, size_t size, void **out) {
    *out = dial_calloc(r->ctx, n ? n : 1, size);
    return *out ? DIAL_OK : out_of_memory(r);
}

static dial_status decode_identity(const dial_modelfile_reader *r, const json_t *header,
                                   dial_model *model) {
    const char *format, *family_name;
    dial_status status = dial_modelfile_string(r, header, "", "format", &format);
    if (status != DIAL_OK) return status;
    char quoted[80];
    if (strcmp(format, DIAL_MODELFILE_FORMAT_NAME) != 0)
        return dial_modelfile_fail(r, "header field 'format' is '%s', expected '%s'",
                                   dial_modelfile_printable(format, quoted, sizeof quoted),
                                   DIAL_MODELFILE_FORMAT_NAME);
    status = dial_modelfile_string(r, header, "", "model", &family_name);
    if (status != DIAL_OK) return status;
    if (dial_modelfile_printable(family_name, quoted, sizeof quoted) != family_name)
        return dial_modelfile_fail(r, "header field 'model' is '%s', not a model name", quoted);
    /* The lookup's message lists the models this dial knows. */
    status = dial_model_family_lookup(r->ctx, family_name, &model->family);
    if (status != DIAL_OK) return dial_modelfile_wrap(r, status);
    uint64_t model_version;
    status = dial_modelfile_count(r, header, "", "model_version", UINT32_MAX, &model_version);
    if (status != DIAL_OK) return status;
    if (model_version > DIAL_MODELFILE_MODEL_VERSION)
        return dial_modelfile_fail(r,
                                   "%s model version %" PRIu64 " is newer than this dial supports "
                                   "(%d); upgrade dial",
                                   family_name, model_version, DIAL_MODELFILE_MODEL_VERSION);
    if (model_version == 0)
        return dial_modelfile_fail(r, "header field 'model_version' = 0 is out of range: must be "
                                      ">= 1");
    return DIAL_OK;
}

/* A double as the writer stores it: a JSON number, or "inf", "-inf" or
 * "nan", which JSON has no numbers for. */
static bool decode_double(const json_t *value, double *out) {
    const char *text = json_is_string(value) ? json_string_value(value) : "";
    if (json_is_number(value))
        *out = json_number_value(value);
    else if (strcmp(text, "inf") == 0)
        *out = INFINITY;
    else if (strcmp(text, "-inf") == 0)
        *out = -INFINITY;
    else if (strcmp(text, "nan") == 0)
        *out = NAN;
    else
        return false;
    return true;
}

/* An integer knob's JSON integer past 2^53 would round on its way into a
 * double (2^53 + 1 reads as 2^53): refused with the knob's range, as `-s`
 * refuses it. item is the 1-based place in a list knob's array, 0 for a
 * single value. DIAL_OK when value is anything else. */
static dial_status check_exact_integer(const dial_modelfile_reader *r, const dial_knob_spec *spec,
                                       const json_t *value, size_t item) {
    if (!json_is_integer(value)) return DIAL_OK;
    json_int_t number = json_integer_value(value);
    if (number <= DIAL_EXACT_INTEGER_MAX && number >= -DIAL_EXACT_INTEGER_MAX) return DIAL_OK;
    char bounds[128];
    dial_knob_spec_bounds_text(spec, bounds, sizeof bounds);
    if (item)
        return dial_modelfile_fail(r,
                                   "knob '%s' %s %zu = %" JSON_INTEGER_FORMAT
                                   " is out of range: must be at most 2^53 in magnitude (the "
                                   "knob takes %s)",
                                   spec->name, spec->list_item, item, number, bounds);
    return dial_modelfile_fail(r,
                               "knob '%s' = %" JSON_INTEGER_FORMAT
                               " is out of range: must be %s and at most 2^53 in magnitude",
                               spec->name, number, bounds);
}

/* A list knob's value is an array of numbers ("hidden": [128, 64]), set
 * through dial_knobs_set_list, which checks each as a typed one. A lone
 * number reads as a list of one, as it does from `-s hidden=128`. */
static dial_status decode_knob_list(const dial_modelfile_reader *r, dial_knobs *knobs,
                                    const dial_knob_spec *spec, const json_t *value) {
    bool integer = spec->type == DIAL_KNOB_INT;
    const char *what = integer ? "integers" : "numbers";
    double items[DIAL_KNOB_LIST_MAX];
    dial_status status;
    if (json_is_number(value)) {
        if (integer && (status = check_exact_integer(r, spec, value, 1)) != DIAL_OK) return status;
        status = dial_knobs_set_number(r->ctx, knobs, spec->name, json_number_value(value));
        return status == DIAL_OK ? DIAL_OK : dial_modelfile_wrap(r, status);
    }
    if (!json_is_array(value))
        return dial_modelfile_fail(r, "knob '%s' must be an array of %s, found %s", spec->name,
                                   what, json_kind_name(value));
    size_t n = json_array_size(value);
    if (n == 0 || n > DIAL_KNOB_LIST_MAX)
        return dial_modelfile_fail(r, "knob '%s' has %zu %ss: it takes 1 to %d", spec->name, n,
                                   spec->list_item, DIAL_KNOB_LIST_MAX);
    for (size_t k = 0; k < n; k++) {
        const json_t *item = json_array_get(value, k);
        bool ok = integer ? json_is_number(item) : decode_double(item, &items[k]);
        if (!ok)
            return dial_modelfile_fail(r, "knob '%s' %s %zu must be %s, found %s", spec->name,
                                       spec->list_item, k + 1, integer ? "an integer" : "a number",
                                       json_kind_name(item));
        if (integer && (status = check_exact_integer(r, spec, item, k + 1)) != DIAL_OK)
            return status;
        if (integer) items[k] = json_number_value(item);
    }
    status = dial_knobs_set_list(r->ctx, knobs, spec->name, items, n);
    return status == DIAL_OK ? DIAL_OK : dial_modelfile_wrap(r, status);
}

/* A knob's value in the header has the JSON kind of its type; the value is
 * then set through the knob table, which checks the range exactly as for a
 * value the user typed. */
static dial_status decode_knob(const dial_modelfile_reader *r, dial_knobs *knobs, const char *name,
                               const json_t *value) {
    char quoted[80];
    if (dial_modelfile_printable(name, quoted, sizeof quoted) != name)
        return dial_modelfile_fail(r, "unknown knob '%s' for %s", quoted, knobs->model_name);
    long i = dial_knobs_find(knobs, name);
    if (i < 0) {
        /* The knob layer words the error and suggests a near name. */
        if (dial_knobs_set_number(r->ctx, knobs, name, 0) != DIAL_OK)
            return dial_modelfile_wrap(r, DIAL_ERR_KNOB);
        return dial_modelfile_fail(r, "unknown knob '%s' for %s", name, knobs->model_name);
    }
    const dial_knob_spec *spec = &knobs->specs[i];
    if (spec->list_item && (spec->type == DIAL_KNOB_FLOAT || spec->type == DIAL_KNOB_INT))
        return decode_knob_list(r, knobs, spec, value);
    dial_status status;
    switch (spec->type) {
    case DIAL_KNOB_FLOAT: {
        double number;
        if (!decode_double(value, &number))
            return dial_modelfile_fail(r, "knob '%s' must be a number, found %s", name,
                                       json_kind_name(value));
        status = dial_knobs_set_number(r->ctx, knobs, name, number);
        break;
    }
    case DIAL_KNOB_INT:
        if (!json_is_number(value))
            return dial_modelfile_fail(r, "knob '%s' must be an integer, found %s", name,
                                       json_kind_name(value));
        if ((status = check_exact_integer(r, spec, value, 0)) != DIAL_OK) return status;
        status = dial_knobs_set_number(r->ctx, knobs, name, json_number_value(value));
        break;
    case DIAL_KNOB_BOOL:
        if (!json_is_boolean(value))
            return dial_modelfile_fail(r, "knob '%s' must be true or false, found %s", name,
                                       json_kind_name(value));
        status = dial_knobs_set_number(r->ctx, knobs, name, json_is_true(value) ? 1 : 0);
        break;
    case DIAL_KNOB_CHOICE:
        if (!json_is_string(value))
            return dial_modelfile_fail(r, "knob '%s' must be a string, found %s", name,
                                       json_kind_name(value));
        status = dial_knobs_set(r->ctx, knobs, name, json_string_value(value));
        break;
    default: return dial_modelfile_fail(r, "knob '%s' has an unknown type", name);
    }
    return status == DIAL_OK ? DIAL_OK : dial_modelfile_wrap(r, status);
}

/* Knobs the header leaves out keep their defaults, so a file from before a
 * family gained a knob still loads; a knob the family does not have is an
 * error. */
static dial_status decode_knobs(const dial_modelfile_reader *r, const json_t *header,
                                dial_model *model) {
    json_t *values, *set;
    dial_status status =
        dial_modelfile_member(r, header, "", "knobs", DIAL_MODELFILE_OBJECT, false, &values);
    if (status == DIAL_OK)
        status =
            dial_modelfile_member(r, header, "", "knobs_set", DIAL_MODELFILE_ARRAY, true, &set);
    if (status != DIAL_OK) return status;
    status = dial_model_knobs_init(r->ctx, model->family, &model->knobs);
    if (status != DIAL_OK) return dial_modelfile_wrap(r, status);
    const char *name;
    json_t *value;
    json_object_foreach(values, name, value) {
        status = decode_knob(r, &model->knobs, name, value);
        if (status != DIAL_OK) return status;
    }
    /* Which knobs the user chose, as opposed to defaults, is recorded apart
     * from the values: `dial inspect` shows it, and the activity check
     * below applies to them alone. */
    for (size_t i = 0; i < model->knobs.n; i++) model->knobs.values[i].set_by_user = false;
    size_t k;
    json_array_foreach(set, k, value) {
        long i =
            json_is_string(value) ? dial_knobs_find(&model->knobs, json_string_value(value)) : -1;
        if (i < 0)
            return dial_modelfile_fail(r, "header field 'knobs_set[%zu]' must name a knob of %s", k,
                                       model->family->name);
        model->knobs.values[i].set_by_user = true;
    }
    status = dial_knobs_check(r->ctx, &model->knobs);
    return status == DIAL_OK ? DIAL_OK : dial_modelfile_wrap(r, status);
}

static dial_status decode_task(const dial_modelfile_reader *r, const json_t *header,
                               dial_model *model) {
    const char *task, *target;
    char quoted[80];
    dial_status status = dial_modelfile_string(r, header, "", "task", &task);
    if (status != DIAL_OK) return status;
    /* Every task a model may learn; a file from before clustering holds
     * one of the first two. */
    static const dial_task tasks[] = {DIAL_TASK_CLASSIFICATION, DIAL_TASK_REGRESSION,
                                      DIAL_TASK_CLUSTERING};
    model->task = DIAL_TASK_AUTO;
    for (size_t i = 0; i < sizeof tasks / sizeof tasks[0]; i++)
        if (strcmp(task, dial_task_name(tasks[i])) == 0) model->task = tasks[i];
    if (model->task == DIAL_TASK_AUTO)
        return dial_modelfile_fail(r,
                                   "header field 'task' is '%s', expected 'classification', "
                                   "'regression' or 'clustering'",
                                   dial_modelfile_printable(task, quoted, sizeof quoted));
    if (!(model->family->tasks & DIAL_TASK_BIT(model->task)))
        return dial_modelfile_fail(r, "model '%s' does not do %s", model->family->name, task);
    status = dial_modelfile_string(r, header, "", "target", &target);
    if (status == DIAL_OK) status = copy_text(r, target, &model->target_name);
    return status;
}

/* Each element of array must be a string; path names the array. */
static dial_status decode_strings(const dial_modelfile_reader *r, const json_t *array,
                                  const char *path, char ***out, size_t *count) {
    size_t n = json_array_size(array);
    dial_status status = alloc_array(r, n, sizeof(char *), (void **)out);
    if (status != DIAL_OK) return status;
    /* Counted as filled, so a failure halfway frees what was copied. */
    *count = n;
    for (size_t i = 0; i < n; i++) {
        json_t *item = json_array_get(array, i);
        if (!json_is_string(item))
            return dial_modelfile_fail(r, "header field '%s[%zu]' must be a string, found %s", path,
                                       i, json_kind_name(item));
        status = copy_text(r, json_string_value(item), &(*out)[i]);
        if (status != DIAL_OK) return status;
    }
    return DIAL_OK;
}

typedef struct named_entry {
    const char *name;
    size_t index;
} named_entry;

static int compare_named_entries(const void *a, const void *b) {
    const named_entry *x = a, *y = b;
    int order = strcmp(x->name, y->name);
    return order ? order : (x->index > y->index) - (x->index < y->index);
}

/* Refuses a name that occurs twice among the n names (path names the
 * array, what says what they are): two classes with one label, or two
 * features with one name, make a prediction or a column lookup ambiguous.
 * Sorted rather than compared pairwise, so that the 16 MiB header's worth
 * of names costs n log n. */
static dial_status check_unique(const dial_modelfile_reader *r, char *const *names, size_t n,
                                const char *path, const char *what) {
    if (n < 2) return DIAL_OK;
    named_entry *entries = dial_malloc_array(r->ctx, n, sizeof *entries);
    if (!entries)
        return dial_fail(r->ctx, DIAL_ERR_NOMEM, "%s: out of memory checking the %s", r->name,
                         what);
    for (size_t i = 0; i < n; i++) entries[i] = (named_entry){names[i], i};
    qsort(entries, n, sizeof *entries, compare_named_entries);
    dial_status status = DIAL_OK;
    for (size_t i = 1; i < n && status == DIAL_OK; i++) {
        if (strcmp(entries[i - 1].name, entries[i].name) != 0) continue;
        char quoted[80];
        status = dial_modelfile_fail(
            r, "header field '%s' lists '%s' twice (%s[%zu] and %s[%zu]): the %s must differ", path,
            dial_modelfile_printable(entries[i].name, quoted, sizeof quoted), path,
            entries[i - 1].index, path, entries[i].index, what);
    }
    free(entries);
    return status;
}

static dial_status decode_classes(const dial_modelfile_reader *r, const json_t *header,
                                  dial_model *model) {
    json_t *classes;
    dial_status status =
        dial_modelfile_member(r, header, "", "classes", DIAL_MODELFILE_ARRAY, false, &classes);
    if (status != DIAL_OK) return status;
    size_t n = json_array_size(classes);
    if (model->task == DIAL_TASK_CLASSIFICATION && n < 2)
        return dial_modelfile_fail(r,
                                   "a classification model needs at least 2 classes, the "
                                   "header lists %zu",
                                   n);
    if (model->task != DIAL_TASK_CLASSIFICATION && n != 0)
        return dial_modelfile_fail(r, "a %s model has no classes, the header lists %zu",
                                   dial_task_name(model->task), n);
    status = decode_strings(r, classes, "classes", &model->class_names, &model->n_classes);
    if (status != DIAL_OK) return status;
    return check_unique(r, model->class_names, model->n_classes, "classes", "class labels");
}

static dial_status decode_feature(const dial_modelfile_reader *r, const json_t *item,
                                  const char *path, dial_feature *feature) {
    if (!json_is_object(item))
        return dial_modelfile_fail(r, "header field '%s' must be an object, found %s", path,
                                   json_kind_name(item));
    const char *name, *type;
    char quoted[80];
    dial_status status = dial_modelfile_string(r, item, path, "name", &name);
    if (status == DIAL_OK) status = copy_text(r, name, &feature->name);
    if (status == DIAL_OK) status = dial_modelfile_string(r, item, path, "type", &type);
    if (status != DIAL_OK) return status;
    if (strcmp(type, "numeric") == 0)
        feature->type = DIAL_COLUMN_NUMERIC;
    else if (strcmp(type, "categorical") == 0)
        feature->type = DIAL_COLUMN_CATEGORICAL;
    else
        return dial_modelfile_fail(r,
                                   "header field '%s.type' is '%s', expected 'numeric' or "
                                   "'categorical'",
                                   path, dial_modelfile_printable(type, quoted, sizeof quoted));
    json_t *levels;
    bool categorical = feature->type == DIAL_COLUMN_CATEGORICAL;
    status =
        dial_modelfile_member(r, item, path, "levels", DIAL_MODELFILE_ARRAY, !categorical, &levels);
    if (status != DIAL_OK) return status;
    if (!categorical) {
        if (json_array_size(levels) > 0)
            return dial_modelfile_fail(r,
                                       "header field '%s.levels': numeric feature '%s' has no "
                                       "levels, the header lists %zu",
                                       path, dial_modelfile_printable(name, quoted, sizeof quoted),
                                       json_array_size(levels));
        return DIAL_OK;
    }
    char levels_path[160];
    snprintf(levels_path, sizeof levels_path, "%s.levels", path);
    status = decode_strings(r, levels, levels_path, &feature->levels, &feature->n_levels);
    if (status != DIAL_OK) return status;
    return check_unique(r, feature->levels, feature->n_levels, levels_path, "levels");
}

/* The schema of a model fitted on a LIBSVM file: "sparse": true and
 * "n_features": N stand for N numeric features "f1" .. "fN". A model
 * fitted on a CSV made sparse has "sparse": true and "features" listed. */
/* As many features as a LIBSVM file may have (src/data/libsvm.c). */
#define MODELFILE_MAX_SPARSE_FEATURES 1000000u

static dial_status decode_sparse_features(const dial_modelfile_reader *r, const json_t *header,
                                          dial_model *model) {
    uint64_t n;
    dial_status status =
        dial_modelfile_count(r, header, "", "n_features", MODELFILE_MAX_SPARSE_FEATURES, &n);
    if (status != DIAL_OK) return status;
    status = alloc_array(r, (size_t)n, sizeof(dial_feature), (void **)&model->features);
    if (status != DIAL_OK) return status;
    model->n_features = (size_t)n;
    model->sparse = true;
    for (size_t j = 0; j < n; j++) {
        char name[32];
        snprintf(name, sizeof name, "f%zu", j + 1);
        model->features[j].type = DIAL_COLUMN_NUMERIC;
        model->features[j].name = dial_strdup(r->ctx, name);
        if (!model->features[j].name)
            return dial_fail(r->ctx, DIAL_ERR_NOMEM, "%s: out of memory reading the features",
                             r->name);
    }
    return DIAL_OK;
}

static dial_status decode_features(const dial_modelfile_reader *r, const json_t *header,
                                   dial_model *model) {
    json_t *sparse;
    dial_status status =
        dial_modelfile_member(r, header, "", "sparse", DIAL_MODELFILE_BOOL, true, &sparse);
    if (status != DIAL_OK) return status;
    json_t *features = NULL;
    size_t n = 0;
    json_t *listed = json_object_get(header, "features");
    if (sparse && json_is_true(sparse) && !listed) {
        status = decode_sparse_features(r, header, model);
        n = model->n_features;
    } else {
        /* Listed one by one: dense data's, or a CSV table's made sparse. */
        model->sparse = sparse && json_is_true(sparse);
        status = dial_modelfile_member(r, header, "", "features", DIAL_MODELFILE_ARRAY, false,
                                       &features);
        if (status != DIAL_OK) return status;
        n = json_array_size(features);
        status = alloc_array(r, n, sizeof(dial_feature), (void **)&model->features);
        if (status != DIAL_OK) return status;
        model->n_features = n;
    }
    char path[64];
    for (size_t j = 0; features && j < n && status == DIAL_OK; j++) {
        snprintf(path, sizeof path, "features[%zu]", j);
        status = decode_feature(r, json_array_get(features, j), path, &model->features[j]);
    }
    char **names = status == DIAL_OK ? dial_malloc_array(r->ctx, n ? n : 1, sizeof *names) : NULL;
    if (status == DIAL_OK && !names)
        status =
            dial_fail(r->ctx, DIAL_ERR_NOMEM, "%s: out of memory checking the features", r->name);
    for (size_t j = 0; names && j < n; j++) names[j] = model->features[j].name;
    if (status == DIAL_OK) status = check_unique(r, names, n, "features", "feature names");
    free(names);
    if (status != DIAL_OK) return status;
    /* The design matrix's width follows from the schema; the header states
     * it too, so a file whose schema and tensors drifted apart is caught. */
    uint64_t n_inputs;
    status = dial_modelfile_count(r, header, "", "n_inputs", SIZE_MAX, &n_inputs);
    if (status != DIAL_OK) return status;
    size_t expected = dial_preprocess_n_inputs(model->features, model->n_features);
    if (n_inputs != expected)
        return dial_modelfile_fail(r,
                                   "header field 'n_inputs' is %" PRIu64 " but the features "
                                   "expand to %zu inputs",
                                   n_inputs, expected);
    model->n_inputs = expected;
    return DIAL_OK;
}

static bool parse_hex64(const char *text, uint64_t *out) {
    uint64_t v = 0;
    size_t n = 0;
    for (; text[n]; n++) {
        char c = text[n];
        int digit = c >= '0' && c <= '9'   ? c - '0'
                    : c >= 'a' && c <= 'f' ? c - 'a' + 10
                    : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                           : -1;
        if (digit < 0 || n >= 16) return false;
        v = v << 4 | (uint64_t)digit;
    }
    *out = v;
    return n == 16;
}

/* A seed is an integer, or decimal text when it is above what a JSON
 * integer holds here (2^63 - 1). */
static dial_status decode_seed(const dial_modelfile_reader *r, const json_t *value, uint64_t *out) {
    if (json_is_integer(value) && json_integer_value(value) >= 0) {
        *out = (uint64_t)json_integer_value(value);
        return DIAL_OK;
    }
    if (json_is_string(value)) {
        const char *text = json_string_value(value);
        uint64_t v = 0;
        size_t n = 0;
        for (; text[n] >= '0' && text[n] <= '9'; n++) {
            unsigned digit = (unsigned)(text[n] - '0');
            if (v > (UINT64_MAX - digit) / 10) break;
            v = v * 10 + digit;
        }
        if (n > 0 && text[n] == '\0') {
            *out = v;
            return DIAL_OK;
        }
    }
    return dial_modelfile_fail(r,
                               "header field 'facts.seed' must be an integer in [0, 2^64), "
                               "found %s",
                               json_kind_name(value));
}

static dial_status decode_facts(const dial_modelfile_reader *r, const json_t *header,
                                dial_model *model) {
    dial_model_facts *facts = &model->facts;
    json_t *object, *value;
    const char *text;
    uint64_t n;
    dial_status status =
        dial_modelfile_member(r, header, "", "facts", DIAL_MODELFILE_OBJECT, false, &object);
    if (status == DIAL_OK)
        status = dial_modelfile_count(r, object, "facts", "n_rows", SIZE_MAX, &n);
    if (status != DIAL_OK) return status;
    facts->n_rows = (size_t)n;
    value = json_object_get(object, "seed");
    if (!value) return dial_modelfile_fail(r, "header field 'facts.seed' is missing");
    status = decode_seed(r, value, &facts->seed);
    /* The ISO 8601 time is for people; the unix time is what is kept. */
    if (status == DIAL_OK) status = dial_modelfile_string(r, object, "facts", "fitted_at", &text);
    if (status == DIAL_OK)
        status = dial_modelfile_member(r, object, "facts", "fitted_at_unix", DIAL_MODELFILE_INTEGER,
                                       false, &value);
    if (status != DIAL_OK) return status;
    facts->fitted_at = (int64_t)json_integer_value(value);
    /* decode_double fails only where the member check below words why. */
    if (!decode_double(json_object_get(object, "fit_seconds"), &facts->fit_seconds))
        return dial_modelfile_member(r, object, "facts", "fit_seconds", DIAL_MODELFILE_NUMBER,
                                     false, &value);
    status = dial_modelfile_string(r, object, "facts", "data_fingerprint", &text);
    if (status != DIAL_OK) return status;
    char quoted[80];
    if (!parse_hex64(text, &facts->data_fingerprint))
        return dial_modelfile_fail(r,
                                   "header field 'facts.data_fingerprint' is '%s', expected 16 "
                                   "hexadecimal digits",
                                   dial_modelfile_printable(text, quoted, sizeof quoted));
    status = dial_modelfile_string(r, object, "facts", "dial_version", &text);
    if (status != DIAL_OK) return status;
    if (strlen(text) >= sizeof facts->dial_version)
        return dial_modelfile_fail(r, "header field 'facts.dial_version' is longer than %zu bytes",
                                   sizeof facts->dial_version - 1);
    snprintf(facts->dial_version, sizeof facts->dial_version, "%s", text);
    return DIAL_OK;
}

/* "retrained_from": absent or null for a model fitted afresh (every file
 * written before the field existed), else a record the writer's check
 * accepts. */
static dial_status decode_retrained_from(const dial_modelfile_reader *r, const json_t *header,
                                         dial_model *model) {
    json_t *record = json_object_get(header, "retrained_from");
    if (!record || json_is_null(record)) return DIAL_OK;
    char why[160];
    if (!dial_modelfile_retrained_check(record, model->facts.n_rows, why, sizeof why))
        return dial_modelfile_fail(r, "header field 'retrained_from' %s", why);
    char *text = json_dumps(record, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (!text)
        return dial_fail(r->ctx, DIAL_ERR_NOMEM,
                         "%s: out of memory reading the retrained_from record", r->name);
    model->retrained_from_json = text;
    return DIAL_OK;
}

dial_status dial_modelfile_decode_header(const dial_modelfile_reader *r, const json_t *header,
                                         dial_model *model) {
    json_t *tuning;
    dial_status status = decode_identity(r, header, model);
    if (status == DIAL_OK) status = decode_task(r, header, model);
    if (status == DIAL_OK) status = decode_knobs(r, header, model);
    if (status == DIAL_OK) status = decode_classes(r, header, model);
    if (status == DIAL_OK) status = decode_features(r, header, model);
    if (status == DIAL_OK) status = decode_facts(r, header, model);
    /* The tuning record is the tuner's to read; here it must only be
     * well-formed: null, or an object. */
    if (status == DIAL_OK && (tuning = json_object_get(header, "tuning")) &&
        !json_is_null(tuning) && !json_is_object(tuning))
        status = dial_modelfile_fail(r, "header field 'tuning' must be null or an object, found %s",
                                     json_kind_name(tuning));
    /* Kept as text, so that saving the loaded model writes it back. */
    if (status == DIAL_OK && tuning && json_is_object(tuning)) {
        char *text = json_dumps(tuning, JSON_COMPACT | JSON_REAL_PRECISION(17));
        if (!text)
            return dial_fail(r->ctx, DIAL_ERR_NOMEM, "%s: out of memory reading the tuning record",
                             r->name);
        model->tuning_json = text;
    }
    if (status == DIAL_OK) status = decode_retrained_from(r, header, model);
    return status;
}

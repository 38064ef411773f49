/*
 * Encoding a fitted model as the bytes of a .dial file (docs/modelfile.md).
 * The same model always gives the same bytes: nothing about the moment of
 * saving is recorded, only facts of the fit.
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/modelfile.h"
#include "modelfile/checksum.h"
#include "modelfile/modelfile_drift.h"
#include "modelfile/modelfile_internal.h"
#include "modelfile/modelfile_retrained.h"
#include "models/model_internal.h"

/* Whether text is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), which is all a JSON string may hold. */
static bool utf8_valid(const char *text) {
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        unsigned char c = *p;
        size_t extra;
        uint32_t code;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            extra = 1;
            code = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            extra = 2;
            code = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            extra = 3;
            code = c & 0x07;
        } else {
            return false;
        }
        for (size_t i = 1; i <= extra; i++) {
            if ((p[i] & 0xC0) != 0x80) return false;
            code = (code << 6) | (p[i] & 0x3F);
        }
        static const uint32_t smallest[4] = {0, 0x80, 0x800, 0x10000};
        if (code < smallest[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF))
            return false;
        p += extra + 1;
    }
    return true;
}

/* Builds a JSON string; text that is not UTF-8 is a DIAL_ERR_DATA naming
 * what it is (what: "feature 3's name"). */
static dial_status json_text(dial_ctx *ctx, const char *text, const char *what, json_t **out) {
    *out = NULL;
    if (!text) text = "";
    if (!utf8_valid(text))
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "cannot save the model: %s is not valid UTF-8 text, which a model file "
                         "requires; re-encode the data as UTF-8",
                         what);
    *out = json_string(text);
    return *out ? DIAL_OK : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory saving the model");
}

/* json_object_set_new that reports a failed allocation; takes value. */
static dial_status json_put(dial_ctx *ctx, json_t *object, const char *key, json_t *value) {
    if (!value || json_object_set_new(object, key, value) != 0)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory saving the model");
    return DIAL_OK;
}

static dial_status json_append(dial_ctx *ctx, json_t *array, json_t *value) {
    if (!value || json_array_append_new(array, value) != 0)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory saving the model");
    return DIAL_OK;
}

/* A double as JSON: a number when finite (the header's text spells it
 * with the fewest digits that read back as the same double). The
 * non-finite values JSON cannot hold are written as the strings "inf",
 * "-inf", "nan". */
static json_t *json_double(double value) {
    if (isnan(value)) return json_string("nan");
    if (isinf(value)) return json_string(value > 0 ? "inf" : "-inf");
    return json_real(value);
}

/* One number of a FLOAT or INT knob: an integer knob as a JSON integer
 * while one holds it. */
static json_t *knob_number(const dial_knob_spec *spec, double v) {
    if (spec->type == DIAL_KNOB_INT && v >= -9.2e18 && v <= 9.2e18)
        return json_integer((json_int_t)v);
    return json_double(v);
}

/* A list knob ("hidden": [128, 64]) as an array of its numbers. */
static json_t *knob_list(const dial_knobs *knobs, size_t i) {
    const double *items = NULL;
    size_t n = dial_knobs_list(knobs, knobs->specs[i].name, &items);
    json_t *array = json_array();
    for (size_t k = 0; array && k < n; k++)
        if (json_array_append_new(array, knob_number(&knobs->specs[i], items[k])) != 0) {
            json_decref(array);
            return NULL;
        }
    return array;
}

static dial_status encode_knobs(dial_ctx *ctx, const dial_knobs *knobs, json_t *root) {
    json_t *values = json_object(), *set = json_array();
    dial_status status = json_put(ctx, root, "knobs", values);
    if (status == DIAL_OK)
        status = json_put(ctx, root, "knobs_set", set);
    else
        json_decref(set);
    for (size_t i = 0; i < knobs->n && status == DIAL_OK; i++) {
        const dial_knob_spec *spec = &knobs->specs[i];
        double v = knobs->values[i].number;
        bool list =
            spec->list_item && (spec->type == DIAL_KNOB_FLOAT || spec->type == DIAL_KNOB_INT);
        json_t *value = NULL;
        switch (spec->type) {
        case DIAL_KNOB_FLOAT:
        case DIAL_KNOB_INT: value = list ? knob_list(knobs, i) : knob_number(spec, v); break;
        case DIAL_KNOB_BOOL: value = json_boolean(v != 0); break;
        case DIAL_KNOB_CHOICE: {
            size_t n_choices = 0;
            while (spec->choices && spec->choices[n_choices]) n_choices++;
            if (!(v >= 0 && v < (double)n_choices))
                return dial_fail(ctx, DIAL_ERR_INTERNAL,
                                 "knob '%s' holds choice %g of %zu: a bug in dial", spec->name, v,
                                 n_choices);
            value = json_string(spec->choices[(size_t)v]);
            break;
        }
        }
        status = json_put(ctx, values, spec->name, value);
        if (status == DIAL_OK && knobs->values[i].set_by_user)
            status = json_append(ctx, set, json_string(spec->name));
    }
    return status;
}

static dial_status encode_features(dial_ctx *ctx, const dial_model *model, json_t *root) {
    /* A LIBSVM file's features are "f1" .. "fN", numeric, and may number a
     * million: the schema says how many, not each one. A CSV made sparse
     * has named columns and levels: they are listed as for dense data. */
    if (model->sparse) {
        dial_status status = json_put(ctx, root, "sparse", json_true());
        if (dial_preprocess_indexed_features(model->features, model->n_features)) {
            if (status == DIAL_OK)
                status =
                    json_put(ctx, root, "n_features", json_integer((json_int_t)model->n_features));
            return status;
        }
        if (status != DIAL_OK) return status;
    }
    json_t *features = json_array();
    dial_status status = json_put(ctx, root, "features", features);
    char what[96];
    for (size_t j = 0; j < model->n_features && status == DIAL_OK; j++) {
        const dial_feature *f = &model->features[j];
        json_t *feature = json_object(), *name = NULL;
        status = json_append(ctx, features, feature);
        snprintf(what, sizeof what, "the name of feature %zu", j + 1);
        if (status == DIAL_OK) status = json_text(ctx, f->name, what, &name);
        if (status == DIAL_OK) status = json_put(ctx, feature, "name", name);
        if (status != DIAL_OK) break;
        bool categorical = f->type == DIAL_COLUMN_CATEGORICAL;
        status =
            json_put(ctx, feature, "type", json_string(categorical ? "categorical" : "numeric"));
        if (status != DIAL_OK || !categorical) continue;
        json_t *levels = json_array();
        status = json_put(ctx, feature, "levels", levels);
        for (size_t l = 0; l < f->n_levels && status == DIAL_OK; l++) {
            json_t *level = NULL;
            snprintf(what, sizeof what, "level %zu of feature '%s'", l + 1, f->name);
            status = json_text(ctx, f->levels[l], what, &level);
            if (status == DIAL_OK) status = json_append(ctx, levels, level);
        }
    }
    return status;
}

/* ISO 8601 UTC of a unix time, from the proleptic Gregorian calendar
 * directly so that every int64 time has one, whatever the host's time_t. */
static void format_utc(int64_t unix_time, char *buf, size_t size) {
    int64_t days = unix_time / 86400, seconds = unix_time % 86400;
    if (seconds < 0) {
        seconds += 86400;
        days--;
    }
    /* Days are counted from 0000-03-01 in 400-year eras of 146097 days, so
     * that the leap day ends each year. */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t day_of_era = z - era * 146097;
    int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    int64_t day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    int64_t month_from_march = (5 * day_of_year + 2) / 153;
    int64_t day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    int64_t month = month_from_march < 10 ? month_from_march + 3 : month_from_march - 9;
    int64_t year = year_of_era + era * 400 + (month <= 2);
    snprintf(buf, size,
             "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64 "Z",
             year, month, day, seconds / 3600, seconds / 60 % 60, seconds % 60);
}

static dial_status encode_facts(dial_ctx *ctx, const dial_model_facts *facts, json_t *root) {
    json_t *object = json_object();
    dial_status status = json_put(ctx, root, "facts", object);
    char text[64];
    if (status == DIAL_OK)
        status = json_put(ctx, object, "n_rows", json_integer((json_int_t)facts->n_rows));
    /* JSON integers are signed 64-bit here; a larger seed is kept as text. */
    if (status == DIAL_OK) {
        snprintf(text, sizeof text, "%" PRIu64, facts->seed);
        status = json_put(ctx, object, "seed",
                          facts->seed <= INT64_MAX ? json_integer((json_int_t)facts->seed)
                                                   : json_string(text));
    }
    format_utc(facts->fitted_at, text, sizeof text);
    if (status == DIAL_OK) status = json_put(ctx, object, "fitted_at", json_string(text));
    if (status == DIAL_OK)
        status =
            json_put(ctx, object, "fitted_at_unix", json_integer((json_int_t)facts->fitted_at));
    if (status == DIAL_OK)
        status = json_put(ctx, object, "fit_seconds", json_double(facts->fit_seconds));
    snprintf(text, sizeof text, "%016" PRIx64, facts->data_fingerprint);
    if (status == DIAL_OK) status = json_put(ctx, object, "data_fingerprint", json_string(text));
    char version[sizeof facts->dial_version + 1];
    memcpy(version, facts->dial_version, sizeof facts->dial_version);
    version[sizeof facts->dial_version] = '\0';
    json_t *version_json = NULL;
    if (status == DIAL_OK)
        status = json_text(ctx, version, "the fit's dial version", &version_json);
    if (status == DIAL_OK) status = json_put(ctx, object, "dial_version", version_json);
    return status;
}

/* Lays the tensors out in index order, each at the next multiple of 64 from
 * the data start; offsets[i] receives tensor i's offset. */
static dial_status layout_tensors(dial_ctx *ctx, const dial_tensors *tensors, uint64_t *offsets,
                                  uint64_t *data_bytes) {
    uint64_t end = 0;
    for (size_t i = 0; i < tensors->count; i++) {
        const dial_tensor *t = &tensors->items[i];
        uint64_t bytes = (uint64_t)dial_tensor_size(t) * dial_dtype_size(t->dtype);
        offsets[i] = dial_modelfile_align(end);
        if (bytes > DIAL_MODELFILE_MAX_FILE || offsets[i] + bytes > DIAL_MODELFILE_MAX_FILE)
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "cannot save the model: its tensors exceed the %" PRIu64
                             " GiB limit of a model file",
                             DIAL_MODELFILE_MAX_FILE >> 30);
        end = offsets[i] + bytes;
    }
    *data_bytes = dial_modelfile_align(end);
    return DIAL_OK;
}

static dial_status encode_tensor_index(dial_ctx *ctx, const dial_tensors *tensors,
                                       const uint64_t *offsets, json_t *root) {
    json_t *index = json_array();
    dial_status status = json_put(ctx, root, "tensors", index);
    char what[96];
    for (size_t i = 0; i < tensors->count && status == DIAL_OK; i++) {
        const dial_tensor *t = &tensors->items[i];
        json_t *entry = json_object(), *name = NULL, *shape = json_array();
        status = json_append(ctx, index, entry);
        if (status != DIAL_OK) {
            json_decref(shape);
            break;
        }
        snprintf(what, sizeof what, "the name of tensor %zu", i + 1);
        status = json_text(ctx, t->name, what, &name);
        if (status == DIAL_OK) status = json_put(ctx, entry, "name", name);
        if (status == DIAL_OK)
            status =
                json_put(ctx, entry, "dtype", json_string(t->dtype == DIAL_I64 ? "i64" : "f64"));
        if (status == DIAL_OK)
            status = json_put(ctx, entry, "shape", shape);
        else
            json_decref(shape);
        for (int d = 0; d < t->ndim && status == DIAL_OK; d++)
            status = json_append(ctx, shape, json_integer((json_int_t)t->shape[d]));
        if (status == DIAL_OK)
            status = json_put(ctx, entry, "offset", json_integer((json_int_t)offsets[i]));
        if (status == DIAL_OK)
            status = json_put(
                ctx, entry, "bytes",
                json_integer((json_int_t)(dial_tensor_size(t) * dial_dtype_size(t->dtype))));
    }
    return status;
}

static dial_status encode_tuning(dial_ctx *ctx, const dial_model *model, json_t *root) {
    if (!model->tuning_json) return json_put(ctx, root, "tuning", json_null());
    json_error_t error;
    json_t *tuning = json_loads(model->tuning_json, JSON_REJECT_DUPLICATES, &error);
    if (!tuning || !json_is_object(tuning)) {
        json_decref(tuning);
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "the model's tuning record is not a JSON object (%s); see "
                         "dial_model_set_tuning",
                         tuning ? "another JSON value" : error.text);
    }
    return json_put(ctx, root, "tuning", tuning);
}

/* Written only for a retrained model, so that every other file keeps the
 * bytes it had before the record existed. */
static dial_status encode_retrained_from(dial_ctx *ctx, const dial_model *model, json_t *root) {
    if (!model->retrained_from_json) return DIAL_OK;
    json_error_t error;
    json_t *record = json_loads(model->retrained_from_json, JSON_REJECT_DUPLICATES, &error);
    char why[sizeof error.text + 32];
    snprintf(why, sizeof why, "is not JSON (%s)", error.text);
    if (!record || !dial_modelfile_retrained_check(record, model->facts.n_rows, why, sizeof why)) {
        json_decref(record);
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "cannot save the model: its retrained_from record %s; see "
                         "dial_model_set_retrained_from",
                         why);
    }
    return json_put(ctx, root, "retrained_from", record);
}

static dial_status encode_header(dial_ctx *ctx, const dial_model *model, const uint64_t *offsets,
                                 uint64_t data_bytes, json_t *root) {
    const char *task = dial_task_name(model->task);
    json_t *target = NULL, *classes = json_array();
    dial_status status = json_put(ctx, root, "format", json_string(DIAL_MODELFILE_FORMAT_NAME));
    if (status == DIAL_OK)
        status = json_put(ctx, root, "dial_version", json_string(DIAL_VERSION_STRING));
    if (status == DIAL_OK) status = json_put(ctx, root, "model", json_string(model->family->name));
    if (status == DIAL_OK)
        status = json_put(ctx, root, "model_version", json_integer(DIAL_MODELFILE_MODEL_VERSION));
    if (status == DIAL_OK) status = json_put(ctx, root, "task", json_string(task));
    if (status == DIAL_OK)
        status = json_text(ctx, model->target_name, "the target's name", &target);
    if (status == DIAL_OK) status = json_put(ctx, root, "target", target);
    if (status == DIAL_OK)
        status = json_put(ctx, root, "classes", classes);
    else
        json_decref(classes);
    char what[64];
    for (size_t c = 0; c < model->n_classes && status == DIAL_OK; c++) {
        json_t *name = NULL;
        snprintf(what, sizeof what, "the label of class %zu", c + 1);
        status = json_text(ctx, model->class_names[c], what, &name);
        if (status == DIAL_OK) status = json_append(ctx, classes, name);
    }
    if (status == DIAL_OK) status = encode_knobs(ctx, &model->knobs, root);
    if (status == DIAL_OK) status = encode_features(ctx, model, root);
    if (status == DIAL_OK)
        status = json_put(ctx, root, "n_inputs", json_integer((json_int_t)model->n_inputs));
    if (status == DIAL_OK) status = encode_facts(ctx, &model->facts, root);
    /* The tuning result that chose the knobs, kept as the tuner wrote it. */
    if (status == DIAL_OK) status = encode_tuning(ctx, model, root);
    if (status == DIAL_OK) status = encode_retrained_from(ctx, model, root);
    if (status == DIAL_OK) status = dial_modelfile_encode_drift(ctx, model, root);
    if (status == DIAL_OK)
        status = json_put(ctx, root, "data_bytes", json_integer((json_int_t)data_bytes));
    if (status == DIAL_OK) status = encode_tensor_index(ctx, &model->tensors, offsets, root);
    return status;
}

/* Elements from .. from + count - 1 of a tensor as their exact 64-bit
 * patterns, written little-endian: a double's bits are copied, never
 * converted, so a loaded model predicts bit for bit what the saved one
 * did. */
static void encode_tensor_range(const dial_tensor *t, size_t from, size_t count,
                                unsigned char *out) {
    for (size_t i = 0; i < count; i++) {
        uint64_t bits;
        if (t->dtype == DIAL_I64)
            bits = (uint64_t)((const int64_t *)t->data)[from + i];
        else
            memcpy(&bits, &((const double *)t->data)[from + i], sizeof bits);
        dial_modelfile_put_u64(out + 8 * i, bits);
    }
}

/* What a model's file is made of, before any of it is written: the
 * header's text, where each tensor's data goes, and the sizes. */
typedef struct file_plan {
    uint64_t *offsets; /* per tensor, from the data's start */
    char *header;
    size_t header_length;
    uint64_t data_start, data_bytes, total;
} file_plan;

static void plan_free(file_plan *plan) {
    free(plan->offsets);
    free(plan->header);
}

static dial_status plan_file(dial_ctx *ctx, const dial_model *model, file_plan *plan) {
    *plan = (file_plan){0};
    if (!model || !model->family)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "cannot save the model: it has not been fitted");
    plan->offsets =
        dial_calloc(ctx, model->tensors.count ? model->tensors.count : 1, sizeof *plan->offsets);
    json_t *root = json_object();
    dial_status status = plan->offsets && root
                             ? DIAL_OK
                             : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory saving the model");
    if (status == DIAL_OK)
        status = layout_tensors(ctx, &model->tensors, plan->offsets, &plan->data_bytes);
    if (status == DIAL_OK)
        status = encode_header(ctx, model, plan->offsets, plan->data_bytes, root);
    if (status == DIAL_OK) {
        plan->header = dial_modelfile_json_dumps(ctx, root);
        if (!plan->header)
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory saving the model");
    }
    json_decref(root);
    plan->header_length = plan->header ? strlen(plan->header) : 0;
    if (status == DIAL_OK && plan->header_length > DIAL_MODELFILE_MAX_HEADER)
        status = dial_fail(ctx, DIAL_ERR_DATA,
                           "cannot save the model: its JSON header would be %zu bytes, over the "
                           "%" PRIu64 " MiB limit (a categorical feature with very many levels?)",
                           plan->header_length, DIAL_MODELFILE_MAX_HEADER >> 20);
    plan->data_start =
        dial_modelfile_align(DIAL_MODELFILE_PREFIX_SIZE + (uint64_t)plan->header_length);
    plan->total = plan->data_start + plan->data_bytes + DIAL_MODELFILE_CHECKSUM_SIZE;
    if (status != DIAL_OK) plan_free(plan);
    return status;
}

/* The fixed prefix: magic, version, flags, the header's length. */
static void encode_prefix(const file_plan *plan, unsigned char *prefix) {
    memset(prefix, 0, DIAL_MODELFILE_PREFIX_SIZE);
    memcpy(prefix, DIAL_MODELFILE_MAGIC, DIAL_MODELFILE_MAGIC_SIZE);
    dial_modelfile_put_u32(prefix + DIAL_MODELFILE_VERSION_OFFSET, DIAL_MODELFILE_VERSION);
    dial_modelfile_put_u32(prefix + DIAL_MODELFILE_FLAGS_OFFSET, 0);
    dial_modelfile_put_u64(prefix + DIAL_MODELFILE_HEADER_LENGTH_OFFSET, plan->header_length);
}

dial_status dial_model_save_buffer(dial_ctx *ctx, const dial_model *model, unsigned char **bytes,
                                   size_t *length) {
    *bytes = NULL;
    *length = 0;
    file_plan plan;
    dial_status status = plan_file(ctx, model, &plan);
    if (status != DIAL_OK) return status;
    if (plan.total > SIZE_MAX) {
        plan_free(&plan);
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "cannot save the model: %" PRIu64 " bytes do not fit in memory",
                         plan.total);
    }
    /* calloc: the padding between the parts must be zeros. */
    unsigned char *file = dial_calloc(ctx, (size_t)plan.total, 1);
    if (!file) {
        plan_free(&plan);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory saving the model (%" PRIu64 " bytes)",
                         plan.total);
    }
    encode_prefix(&plan, file);
    memcpy(file + DIAL_MODELFILE_PREFIX_SIZE, plan.header, plan.header_length);
    for (size_t i = 0; i < model->tensors.count; i++) {
        const dial_tensor *t = &model->tensors.items[i];
        encode_tensor_range(t, 0, dial_tensor_size(t), file + plan.data_start + plan.offsets[i]);
    }
    size_t body = (size_t)(plan.total - DIAL_MODELFILE_CHECKSUM_SIZE);
    dial_modelfile_put_u64(file + body, dial_modelfile_checksum(file, body));
    *bytes = file;
    *length = (size_t)plan.total;
    plan_free(&plan);
    return DIAL_OK;
}

/* Elements a piece of a tensor's data holds when the file is written piece
 * by piece (64 KiB). */
#define SAVE_PIECE_ELEMENTS 8192

/* Writes a file piece by piece, summing its checksum on the way. */
typedef struct file_writer {
    dial_output *output;
    dial_checksum checksum;
    uint64_t at; /* bytes written */
    unsigned char piece[SAVE_PIECE_ELEMENTS * 8];
} file_writer;

static void writer_put(file_writer *w, const unsigned char *bytes, size_t length) {
    dial_checksum_add(&w->checksum, bytes, length);
    dial_output_write(w->output, bytes, length);
    w->at += length;
}

/* Zeros up to offset `to` of the file. */
static void writer_pad(file_writer *w, uint64_t to) {
    memset(w->piece, 0, sizeof w->piece);
    while (w->at < to) {
        uint64_t gap = to - w->at;
        writer_put(w, w->piece, gap < sizeof w->piece ? (size_t)gap : sizeof w->piece);
    }
}

dial_status dial_model_save_output(dial_ctx *ctx, const dial_model *model, dial_output *output) {
    file_plan plan;
    dial_status status = plan_file(ctx, model, &plan);
    if (status != DIAL_OK) return status;
    /* Never the whole file in memory: a forest's file is as large as its
     * trees, and held beside them it doubled the peak of `dial fit`. */
    file_writer *w = dial_malloc(ctx, sizeof *w);
    if (!w) {
        plan_free(&plan);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory saving the model");
    }
    w->output = output;
    w->at = 0;
    dial_checksum_start(&w->checksum);
    encode_prefix(&plan, w->piece);
    writer_put(w, w->piece, DIAL_MODELFILE_PREFIX_SIZE);
    writer_put(w, (const unsigned char *)plan.header, plan.header_length);
    for (size_t i = 0; i < model->tensors.count; i++) {
        const dial_tensor *t = &model->tensors.items[i];
        writer_pad(w, plan.data_start + plan.offsets[i]);
        size_t n = dial_tensor_size(t);
        for (size_t from = 0; from < n; from += SAVE_PIECE_ELEMENTS) {
            size_t count = n - from < SAVE_PIECE_ELEMENTS ? n - from : SAVE_PIECE_ELEMENTS;
            encode_tensor_range(t, from, count, w->piece);
            writer_put(w, w->piece, count * 8);
        }
    }
    writer_pad(w, plan.data_start + plan.data_bytes);
    unsigned char sum[DIAL_MODELFILE_CHECKSUM_SIZE];
    dial_modelfile_put_u64(sum, dial_checksum_end(&w->checksum));
    dial_output_write(output, sum, sizeof sum);
    free(w);
    plan_free(&plan);
    return DIAL_OK;
}

/*
 * Decoding the tensor index of a .dial file and the tensors themselves.
 * Every entry is checked (name, dtype, shape, offset, length, against the
 * others and against the data region) before the first tensor is
 * allocated, so a hostile index costs nothing but its message.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "modelfile/modelfile_internal.h"
#include "modelfile/modelfile_reader.h"

typedef struct tensor_entry {
    const char *name; /* points into the JSON */
    dial_dtype dtype;
    int ndim;
    size_t shape[DIAL_TENSOR_MAX_DIMS];
    uint64_t offset, bytes;
} tensor_entry;

static void format_shape(const tensor_entry *e, char *buf, size_t size) {
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < e->ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, d ? ", %zu" : "%zu", e->shape[d]);
    if (used < size) snprintf(buf + used, size - used, "]");
}

static dial_status decode_shape(const dial_modelfile_reader *r, const json_t *item,
                                const char *path, const char *name, tensor_entry *e) {
    json_t *shape;
    dial_status status =
        dial_modelfile_member(r, item, path, "shape", DIAL_MODELFILE_ARRAY, false, &shape);
    if (status != DIAL_OK) return status;
    size_t ndim = json_array_size(shape);
    if (ndim > DIAL_TENSOR_MAX_DIMS)
        return dial_modelfile_fail(r, "tensor '%s' has %zu dimensions, at most %d", name, ndim,
                                   DIAL_TENSOR_MAX_DIMS);
    e->ndim = (int)ndim;
    for (size_t d = 0; d < ndim; d++) {
        json_t *dim = json_array_get(shape, d);
        if (!json_is_integer(dim) || json_integer_value(dim) < 0 ||
            (uint64_t)json_integer_value(dim) > SIZE_MAX)
            return dial_modelfile_fail(r,
                                       "tensor '%s': dimension %zu of its shape must be an "
                                       "integer >= 0",
                                       name, d + 1);
        e->shape[d] = (size_t)json_integer_value(dim);
    }
    for (size_t d = ndim; d < DIAL_TENSOR_MAX_DIMS; d++) e->shape[d] = 1;
    return DIAL_OK;
}

/* Checks one index entry against the data region. */
static dial_status decode_entry(const dial_modelfile_reader *r, const json_t *item, size_t i,
                                uint64_t data_bytes, tensor_entry *e) {
    char path[48], quoted[80];
    snprintf(path, sizeof path, "tensors[%zu]", i);
    if (!json_is_object(item))
        return dial_modelfile_fail(r, "header field '%s' must be an object", path);
    dial_status status = dial_modelfile_string(r, item, path, "name", &e->name);
    if (status != DIAL_OK) return status;
    const char *name = dial_modelfile_printable(e->name, quoted, sizeof quoted);
    size_t name_length = strlen(e->name);
    if (name_length == 0 || name_length >= DIAL_TENSOR_NAME_MAX || name != e->name)
        return dial_modelfile_fail(r, "tensor name '%s' in '%s' must be 1 to %d printable bytes",
                                   name, path, DIAL_TENSOR_NAME_MAX - 1);
    const char *dtype;
    status = dial_modelfile_string(r, item, path, "dtype", &dtype);
    if (status != DIAL_OK) return status;
    if (strcmp(dtype, "f64") == 0)
        e->dtype = DIAL_F64;
    else if (strcmp(dtype, "i64") == 0)
        e->dtype = DIAL_I64;
    else
        return dial_modelfile_fail(r, "tensor '%s' has dtype '%s', expected 'f64' or 'i64'", name,
                                   dial_modelfile_printable(dtype, quoted, sizeof quoted));
    status = decode_shape(r, item, path, name, e);
    if (status == DIAL_OK)
        status = dial_modelfile_count(r, item, path, "offset", INT64_MAX, &e->offset);
    if (status == DIAL_OK)
        status = dial_modelfile_count(r, item, path, "bytes", INT64_MAX, &e->bytes);
    if (status != DIAL_OK) return status;

    /* The element count saturates rather than wraps: a shape whose product
     * overflows is simply larger than any file. */
    uint64_t elements = 1, element_size = dial_dtype_size(e->dtype);
    bool empty = false;
    for (int d = 0; d < e->ndim; d++) {
        if (e->shape[d] == 0)
            empty = true;
        else if (elements > UINT64_MAX / e->shape[d])
            elements = UINT64_MAX;
        else
            elements *= e->shape[d];
    }
    if (empty) elements = 0;
    char shape_text[128];
    format_shape(e, shape_text, sizeof shape_text);
    if (elements > data_bytes / element_size)
        return dial_modelfile_fail(r,
                                   "tensor '%s' has shape %s, more %s values than the file's "
                                   "%" PRIu64 " bytes of tensor data hold",
                                   name, shape_text, dtype, data_bytes);
    if (e->bytes != elements * element_size)
        return dial_modelfile_fail(r,
                                   "tensor '%s' declares %" PRIu64 " bytes but its shape %s of "
                                   "%s needs %" PRIu64,
                                   name, e->bytes, shape_text, dtype, elements * element_size);
    if (e->offset % DIAL_MODELFILE_ALIGN != 0)
        return dial_modelfile_fail(r, "tensor '%s' is at offset %" PRIu64 ", not a multiple of %d",
                                   name, e->offset, DIAL_MODELFILE_ALIGN);
    if (e->offset > data_bytes || e->bytes > data_bytes - e->offset)
        return dial_modelfile_fail(r,
                                   "tensor '%s' (%" PRIu64 " bytes at offset %" PRIu64 ") runs "
                                   "past the end of the tensor data (%" PRIu64 " bytes)",
                                   name, e->bytes, e->offset, data_bytes);
    return DIAL_OK;
}

static int compare_names(const void *a, const void *b) {
    return strcmp((*(const tensor_entry *const *)a)->name, (*(const tensor_entry *const *)b)->name);
}

static dial_status check_unique_names(const dial_modelfile_reader *r, const tensor_entry *entries,
                                      size_t n) {
    const tensor_entry **sorted = dial_calloc(r->ctx, n ? n : 1, sizeof *sorted);
    if (!sorted)
        return dial_fail(r->ctx, DIAL_ERR_NOMEM, "%s: out of memory loading the model", r->name);
    for (size_t i = 0; i < n; i++) sorted[i] = &entries[i];
    qsort(sorted, n, sizeof *sorted, compare_names);
    dial_status status = DIAL_OK;
    for (size_t i = 1; i < n && status == DIAL_OK; i++)
        if (strcmp(sorted[i - 1]->name, sorted[i]->name) == 0)
            status =
                dial_modelfile_fail(r, "tensor '%s' appears twice in the index", sorted[i]->name);
    free(sorted);
    return status;
}

/* The preprocessing tensors are read by the data layer, not by a family,
 * so their shapes are checked here against the feature schema
 * (data/preprocess.h). */
static dial_status check_preprocess_entry(const dial_modelfile_reader *r, const tensor_entry *e,
                                          const dial_model *model) {
    size_t expected;
    const char *what;
    if (strcmp(e->name, "preprocess.fill") == 0) {
        expected = model->n_features;
        what = "features";
    } else if (strcmp(e->name, "preprocess.center") == 0 ||
               strcmp(e->name, "preprocess.scale") == 0) {
        expected = model->n_inputs;
        what = "inputs";
    } else {
        return dial_modelfile_fail(r, "unknown preprocessing tensor '%s'", e->name);
    }
    if (e->dtype != DIAL_F64 || e->ndim != 1 || e->shape[0] != expected) {
        char shape_text[128];
        format_shape(e, shape_text, sizeof shape_text);
        return dial_modelfile_fail(r,
                                   "tensor '%s' has %s shape %s, expected f64 [%zu] (one per "
                                   "%s)",
                                   e->name, e->dtype == DIAL_F64 ? "f64" : "i64", shape_text,
                                   expected, what);
    }
    return DIAL_OK;
}

/* A categorical feature's fill value is a level index that the transform
 * uses as one; it must name a level. */
static dial_status check_fill_values(const dial_modelfile_reader *r, const dial_model *model) {
    const dial_tensor *fill = dial_tensors_find(&model->tensors, "preprocess.fill");
    if (!fill) return DIAL_OK;
    const double *values = fill->data;
    for (size_t j = 0; j < model->n_features; j++) {
        const dial_feature *f = &model->features[j];
        if (f->type != DIAL_COLUMN_CATEGORICAL) continue;
        double v = values[j];
        char quoted[80];
        if (!(v >= 0 && v < (double)f->n_levels && v == floor(v)))
            return dial_modelfile_fail(r,
                                       "tensor 'preprocess.fill' gives feature '%s' the fill "
                                       "level %g, but it has %zu levels",
                                       dial_modelfile_printable(f->name, quoted, sizeof quoted), v,
                                       f->n_levels);
    }
    return DIAL_OK;
}

static void decode_data(const tensor_entry *e, const unsigned char *data, void *out) {
    size_t n = (size_t)(e->bytes / 8);
    const unsigned char *p = data + e->offset;
    for (size_t i = 0; i < n; i++) {
        uint64_t bits = dial_modelfile_get_u64(p + 8 * i);
        if (e->dtype == DIAL_I64)
            ((int64_t *)out)[i] = (int64_t)bits;
        else
            memcpy(&((double *)out)[i], &bits, sizeof bits);
    }
}

dial_status dial_modelfile_decode_tensors(const dial_modelfile_reader *r, const json_t *header,
                                          const unsigned char *data, uint64_t data_bytes,
                                          dial_model *model) {
    uint64_t declared;
    json_t *index;
    dial_status status = dial_modelfile_count(r, header, "", "data_bytes", INT64_MAX, &declared);
    if (status != DIAL_OK) return status;
    if (declared != data_bytes)
        return dial_modelfile_fail(r,
                                   "header field 'data_bytes' is %" PRIu64 " but the file holds "
                                   "%" PRIu64 " bytes of tensor data",
                                   declared, data_bytes);
    status = dial_modelfile_member(r, header, "", "tensors", DIAL_MODELFILE_ARRAY, false, &index);
    if (status != DIAL_OK) return status;
    size_t n = json_array_size(index);
    if (n > DIAL_MODELFILE_MAX_TENSORS)
        return dial_modelfile_fail(r, "the header lists %zu tensors, more than the limit of %d", n,
                                   DIAL_MODELFILE_MAX_TENSORS);
    tensor_entry *entries = dial_calloc(r->ctx, n ? n : 1, sizeof *entries);
    if (!entries)
        return dial_fail(r->ctx, DIAL_ERR_NOMEM, "%s: out of memory loading the model", r->name);
    uint64_t previous_end = 0;
    for (size_t i = 0; i < n && status == DIAL_OK; i++) {
        tensor_entry *e = &entries[i];
        status = decode_entry(r, json_array_get(index, i), i, data_bytes, e);
        /* The writer lays tensors out in index order; holding readers to
         * that keeps two entries from sharing bytes. */
        if (status == DIAL_OK && e->offset < previous_end)
            status = dial_modelfile_fail(r,
                                         "tensor '%s' at offset %" PRIu64 " overlaps tensor '%s' "
                                         "before it, which ends at %" PRIu64,
                                         e->name, e->offset, entries[i - 1].name, previous_end);
        if (status == DIAL_OK && strncmp(e->name, "preprocess.", 11) == 0)
            status = check_preprocess_entry(r, e, model);
        if (status == DIAL_OK) previous_end = e->offset + e->bytes;
    }
    if (status == DIAL_OK) status = check_unique_names(r, entries, n);
    for (size_t i = 0; i < n && status == DIAL_OK; i++) {
        void *out = NULL;
        status = dial_tensors_add(r->ctx, &model->tensors, entries[i].name, entries[i].dtype,
                                  entries[i].ndim, entries[i].shape, &out);
        if (status != DIAL_OK)
            status = dial_modelfile_wrap(r, status);
        else
            decode_data(&entries[i], data, out);
    }
    if (status == DIAL_OK) status = check_fill_values(r, model);
    free(entries);
    return status;
}

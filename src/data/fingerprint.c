/* Content hashes of a dataset's rows: the exact fingerprint a model file
 * keeps (facts.data_fingerprint), and the order-free ones a study uses to
 * tell "other data" from "the same data in another order".
 *
 * A number is hashed as one 64-bit word (an FNV-1a step on the word, then a
 * shift that folds the high bits down, since a multiply only carries bits
 * upwards), so hashing costs one multiply per value, not one per byte: the
 * exact fingerprint runs on every fit, every fold of every trial. Text is
 * hashed byte by byte. Both are defined on values, not on memory, so a hash
 * does not depend on the host's byte order. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/data.h"

#define FNV_OFFSET 14695981039346656037ull
#define FNV_PRIME 1099511628211ull
#define FINGERPRINT_MISSING 0x7ff8000000000001ull /* a NaN pattern no number hashes to */

static uint64_t fnv_byte(uint64_t h, unsigned char byte) { return (h ^ byte) * FNV_PRIME; }

static uint64_t fnv_word(uint64_t h, uint64_t word) {
    h = (h ^ word) * FNV_PRIME;
    return h ^ (h >> 32);
}

static uint64_t fnv_double(uint64_t h, double v) {
    if (v == 0) v = 0; /* -0 and +0 are the same data */
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return fnv_word(h, bits);
}

static uint64_t fnv_text(uint64_t h, const char *s) {
    h = fnv_byte(h, 2);
    for (; *s; s++) h = fnv_byte(h, (unsigned char)*s);
    return fnv_byte(h, 0);
}

/* One feature value: categorical ones by their level text, so the order of
 * levels in the file does not matter. */
static uint64_t hash_feature(uint64_t h, const dial_column *col, size_t row) {
    double v = col->values[row];
    if (isnan(v)) return fnv_word(h, FINGERPRINT_MISSING);
    if (col->type == DIAL_COLUMN_CATEGORICAL && v >= 0 && v < (double)col->n_levels)
        return fnv_text(h, col->levels[(size_t)v]);
    return fnv_double(h, v);
}

/* The target of a row: the class label, or the value. */
static uint64_t hash_target(uint64_t h, const dial_dataset *data, size_t row) {
    double y = data->y[row];
    if (data->task == DIAL_TASK_CLASSIFICATION && y >= 0 && y < (double)data->n_classes)
        return fnv_text(h, data->class_names[(size_t)y]);
    return fnv_double(h, y);
}

/* A sparse row: its nonzeros (column and value) then an end mark, so the
 * cost is that of the nonzeros, not of every column. Its columns are the
 * compressed ones in order, so this one hash serves every fingerprint:
 * sparse data has no other column order. */
static uint64_t hash_sparse_row(uint64_t h, const dial_dataset *data, size_t row) {
    const dial_csr *m = data->sparse;
    for (size_t k = m->row_start[row]; k < m->row_start[row + 1]; k++) {
        if (m->value[k] == 0) continue; /* an explicit 0 is an absent one */
        h = fnv_word(h, m->col[k]);
        h = fnv_double(h, m->value[k]);
    }
    h = fnv_word(h, FINGERPRINT_MISSING);
    if (data->y) h = hash_target(h, data, row);
    return h;
}

/* Whether a row is hashed from its compressed entries: a LIBSVM file's. A
 * CSV table made sparse keeps its columns' values and is hashed from them
 * as the same file read dense is, then marked (sparse_mark). */
static bool sparse_rows(const dial_dataset *data) {
    return data->sparse && !(data->table && data->table->sparse_first);
}

/* What the fingerprints of a CSV table made sparse are xor'ed with (0 for
 * other data): a family may fit sparse rows another way than dense ones
 * (logistic's solver), so a study run on the one must not take the
 * trials of the other as its own. A constant keeps what each fingerprint
 * forgets. */
static uint64_t sparse_mark(const dial_dataset *data) {
    if (!data->sparse || !data->table || !data->table->sparse_first) return 0;
    return fnv_text(FNV_OFFSET, "a CSV read sparse");
}

uint64_t dial_view_fingerprint(const dial_view *view) {
    const dial_dataset *data = view->data;
    uint64_t h = FNV_OFFSET;
    if (sparse_rows(data)) {
        for (size_t i = 0; i < view->n; i++) h = hash_sparse_row(h, data, dial_view_row(view, i));
        return h;
    }
    for (size_t i = 0; i < view->n; i++) {
        size_t row = dial_view_row(view, i);
        for (size_t j = 0; j < data->n_features; j++) h = hash_feature(h, data->features[j], row);
        if (data->y) h = hash_target(h, data, row);
    }
    return h ^ sparse_mark(data);
}

/* qsort of feature indices by column name; the dataset rides along in the
 * array (qsort passes no user pointer). */
typedef struct named_feature {
    const char *name;
    size_t index;
} named_feature;

static int compare_named(const void *a, const void *b) {
    const named_feature *x = a, *y = b;
    int order = strcmp(x->name, y->name);
    return order ? order : (x->index > y->index) - (x->index < y->index);
}

/* A row hashed with its columns by name: the same whatever their order. */
static uint64_t row_by_name(const dial_dataset *data, const named_feature *sorted, size_t row) {
    uint64_t h = FNV_OFFSET;
    for (size_t j = 0; j < data->n_features; j++) {
        h = fnv_text(h, sorted[j].name);
        h = hash_feature(h, data->features[sorted[j].index], row);
    }
    if (data->y) h = hash_target(h, data, row);
    return h;
}

/* A row hashed with its columns in the file's order. */
static uint64_t row_in_order(const dial_dataset *data, size_t row) {
    uint64_t h = FNV_OFFSET;
    for (size_t j = 0; j < data->n_features; j++) {
        h = fnv_text(h, data->features[j]->name);
        h = hash_feature(h, data->features[j], row);
    }
    if (data->y) h = hash_target(h, data, row);
    return h;
}

bool dial_view_fingerprints(const dial_view *view, dial_data_fingerprints *out) {
    const dial_dataset *data = view->data;
    if (sparse_rows(data)) {
        uint64_t any_rows = 0, chain = FNV_OFFSET;
        for (size_t i = 0; i < view->n; i++) {
            uint64_t row = hash_sparse_row(FNV_OFFSET, data, dial_view_row(view, i));
            any_rows += row;
            chain = fnv_word(chain, row);
        }
        out->exact = dial_view_fingerprint(view);
        out->any_row_order = any_rows;
        out->any_column_order = chain;
        out->any_order = any_rows;
        return true;
    }
    /* No context: this public function takes none (include/dial/data.h). */
    named_feature *sorted =
        dial_malloc(NULL, (data->n_features ? data->n_features : 1) * sizeof *sorted);
    if (!sorted) return false;
    for (size_t j = 0; j < data->n_features; j++)
        sorted[j] = (named_feature){data->features[j]->name ? data->features[j]->name : "", j};
    qsort(sorted, data->n_features, sizeof *sorted, compare_named);
    /* A sum of row hashes forgets the rows' order; a chain keeps it. */
    uint64_t any_rows = 0, any_columns = FNV_OFFSET, any_order = 0;
    for (size_t i = 0; i < view->n; i++) {
        size_t row = dial_view_row(view, i);
        uint64_t by_name = row_by_name(data, sorted, row);
        any_rows += row_in_order(data, row);
        any_columns = fnv_word(any_columns, by_name);
        any_order += by_name;
    }
    free(sorted);
    uint64_t mark = sparse_mark(data);
    out->exact = dial_view_fingerprint(view);
    out->any_row_order = any_rows ^ mark;
    out->any_column_order = any_columns ^ mark;
    out->any_order = any_order ^ mark;
    return true;
}

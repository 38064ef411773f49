/* Compressed rows kept as learned tensors (learned_csr.h). */
#include <math.h>
#include <stdio.h>

#include "models/learned_csr.h"

/* "P.suffix" into buf (names are short: a prefix is a tensor name). */
static const char *csr_name(char *buf, size_t size, const char *prefix, const char *suffix) {
    snprintf(buf, size, "%s.%s", prefix, suffix);
    return buf;
}

bool dial_learned_csr_present(const dial_tensors *learned, const char *prefix) {
    char name[96];
    return dial_tensors_find(learned, csr_name(name, sizeof name, prefix, "row_start")) != NULL;
}

dial_status dial_learned_csr_add(dial_ctx *ctx, dial_tensors *learned, const char *prefix,
                                 const dial_csr *a, const int64_t *rows, size_t n_rows) {
    size_t nnz = 0;
    for (size_t r = 0; r < n_rows; r++) {
        size_t i = rows ? (size_t)rows[r] : r;
        nnz += a->row_start[i + 1] - a->row_start[i];
    }
    char name[96];
    int64_t *start = NULL, *column = NULL;
    double *value = NULL;
    size_t shape[1] = {n_rows + 1};
    dial_status status =
        dial_tensors_add(ctx, learned, csr_name(name, sizeof name, prefix, "row_start"), DIAL_I64,
                         1, shape, (void **)&start);
    shape[0] = nnz;
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, csr_name(name, sizeof name, prefix, "column"),
                                  DIAL_I64, 1, shape, (void **)&column);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, csr_name(name, sizeof name, prefix, "value"),
                                  DIAL_F64, 1, shape, (void **)&value);
    if (status != DIAL_OK) return status;
    size_t at = 0;
    start[0] = 0;
    for (size_t r = 0; r < n_rows; r++) {
        size_t i = rows ? (size_t)rows[r] : r;
        for (size_t k = a->row_start[i]; k < a->row_start[i + 1]; k++, at++) {
            column[at] = a->col[k];
            value[at] = a->value[k];
        }
        start[r + 1] = (int64_t)at;
    }
    return DIAL_OK;
}

/* The 1-dimensional tensor P.suffix of dtype, or NULL (message set). */
static const dial_tensor *csr_tensor(dial_ctx *ctx, const char *family_name,
                                     const dial_tensors *learned, const char *prefix,
                                     const char *suffix, dial_dtype dtype) {
    char name[96];
    const dial_tensor *t = dial_tensors_find(learned, csr_name(name, sizeof name, prefix, suffix));
    if (!t) {
        dial_fail(ctx, DIAL_ERR_FORMAT, "%s model has no tensor '%s'", family_name, name);
        return NULL;
    }
    if (t->dtype != dtype || t->ndim != 1 || (!t->data && t->shape[0])) {
        dial_fail(ctx, DIAL_ERR_FORMAT, "%s model tensor '%s' should be a vector of %s values",
                  family_name, name, dtype == DIAL_F64 ? "float64" : "int64");
        return NULL;
    }
    return t;
}

dial_status dial_learned_csr_read(dial_ctx *ctx, const char *family_name,
                                  const dial_tensors *learned, const char *prefix, size_t n_cols,
                                  dial_learned_csr *out) {
    const dial_tensor *start = csr_tensor(ctx, family_name, learned, prefix, "row_start", DIAL_I64);
    const dial_tensor *column =
        start ? csr_tensor(ctx, family_name, learned, prefix, "column", DIAL_I64) : NULL;
    const dial_tensor *value =
        column ? csr_tensor(ctx, family_name, learned, prefix, "value", DIAL_F64) : NULL;
    if (!value) return DIAL_ERR_FORMAT;
    size_t nnz = column->shape[0];
    if (start->shape[0] < 1 || value->shape[0] != nnz)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s model tensors '%s.column' (%zu) and '%s.value' (%zu) should have "
                         "one entry each per nonzero, and '%s.row_start' at least one",
                         family_name, prefix, nnz, prefix, value->shape[0], prefix);
    const int64_t *s = start->data, *c = column->data;
    const double *v = value->data;
    size_t n_rows = start->shape[0] - 1;
    if (s[0] != 0 || (uint64_t)s[n_rows] != nnz)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s model tensor '%s.row_start' should start at 0 and end at %zu, the "
                         "number of nonzeros",
                         family_name, prefix, nnz);
    for (size_t r = 0; r < n_rows; r++) {
        if (s[r + 1] < s[r])
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s model tensor '%s.row_start' decreases at row %zu", family_name,
                             prefix, r);
        for (int64_t k = s[r]; k < s[r + 1]; k++) {
            if (c[k] < 0 || (uint64_t)c[k] >= n_cols || (k > s[r] && c[k] <= c[k - 1]))
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s model tensor '%s.column' has input %lld in row %zu; "
                                 "expected inputs in 0..%zu, ascending",
                                 family_name, prefix, (long long)c[k], r,
                                 n_cols ? n_cols - 1 : (size_t)0);
            if (!isfinite(v[k]))
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s model tensor '%s.value' holds %g at element %lld: learned "
                                 "values must be finite numbers",
                                 family_name, prefix, v[k], (long long)k);
        }
    }
    *out = (dial_learned_csr){.n_rows = n_rows, .nnz = nnz, .start = s, .column = c, .value = v};
    return DIAL_OK;
}

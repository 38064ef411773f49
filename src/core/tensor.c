/* Named tensors: the learned parameters of a model. */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/core.h"

size_t dial_dtype_size(dial_dtype dtype) {
    return dtype == DIAL_I64 ? sizeof(int64_t) : sizeof(double);
}

size_t dial_tensor_size(const dial_tensor *t) {
    size_t n = 1;
    for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

dial_status dial_tensors_add(dial_ctx *ctx, dial_tensors *set, const char *name, dial_dtype dtype,
                             int ndim, const size_t *shape, void **data) {
    if (strlen(name) >= DIAL_TENSOR_NAME_MAX)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "tensor name '%s' is longer than %d bytes", name,
                         DIAL_TENSOR_NAME_MAX - 1);
    if (ndim < 0 || ndim > DIAL_TENSOR_MAX_DIMS)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "tensor '%s' has %d dimensions, at most %d", name,
                         ndim, DIAL_TENSOR_MAX_DIMS);
    if (dial_tensors_find(set, name))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "tensor '%s' already exists", name);
    if (set->count == set->capacity) {
        size_t capacity = set->capacity ? 2 * set->capacity : 8;
        dial_tensor *items = dial_realloc_array(ctx, set->items, capacity, sizeof *items);
        if (!items) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory adding tensor '%s'", name);
        set->items = items;
        set->capacity = capacity;
    }
    dial_tensor t = {.dtype = dtype, .ndim = ndim};
    strcpy(t.name, name);
    size_t n = 1;
    for (int d = 0; d < DIAL_TENSOR_MAX_DIMS; d++) {
        t.shape[d] = d < ndim ? shape[d] : 1;
        if (d < ndim) {
            if (t.shape[d] != 0 && n > SIZE_MAX / 8 / t.shape[d])
                return dial_fail(ctx, DIAL_ERR_ARGUMENT, "tensor '%s' is too large", name);
            n *= t.shape[d];
        }
    }
    /* One element at least, so data is never NULL. */
    t.data = dial_calloc(ctx, n ? n : 1, dial_dtype_size(dtype));
    if (!t.data) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for tensor '%s'", name);
    set->items[set->count++] = t;
    if (data) *data = t.data;
    return DIAL_OK;
}

const dial_tensor *dial_tensors_find(const dial_tensors *set, const char *name) {
    for (size_t i = 0; i < set->count; i++)
        if (strcmp(set->items[i].name, name) == 0) return &set->items[i];
    return NULL;
}

void dial_tensors_clear(dial_tensors *set) {
    for (size_t i = 0; i < set->count; i++) free(set->items[i].data);
    free(set->items);
    set->items = NULL;
    set->count = set->capacity = 0;
}

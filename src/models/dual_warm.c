/*
 * Warm starts of the linear duals along C (see dual_warm.h).
 */
#include "models/dual_warm.h"

#include <stdlib.h>

#include "core/alloc.h"

dial_dual_warm *dial_dual_warm_new(const dial_ctx *ctx, size_t n_problems, size_t n_rows,
                                   size_t width) {
    dial_dual_warm *warm = dial_calloc(ctx, 1, sizeof *warm);
    if (!warm) return NULL;
    size_t n = n_problems * n_rows * width;
    warm->alpha = dial_calloc(ctx, n ? n : 1, sizeof *warm->alpha);
    warm->objective = dial_calloc(ctx, n_problems ? n_problems : 1, sizeof *warm->objective);
    if (!warm->alpha || !warm->objective) {
        dial_dual_warm_free(warm);
        return NULL;
    }
    warm->n_problems = n_problems;
    warm->n_rows = n_rows;
    warm->width = width;
    return warm;
}

void dial_dual_warm_free(void *solution) {
    dial_dual_warm *warm = solution;
    if (!warm) return;
    free(warm->alpha);
    free(warm->objective);
    free(warm);
}

bool dial_dual_warm_fits(const dial_dual_warm *from, size_t n_problems, size_t n_rows, size_t width,
                         double c) {
    return from && from->n_problems == n_problems && from->n_rows == n_rows &&
           from->width == width && from->c > 0 && from->c <= c;
}

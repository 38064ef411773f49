/* The check of a fit input's one-hot blocks (onehot_blocks.h). */
#include "models/onehot_blocks.h"

dial_status dial_onehot_blocks_check(dial_ctx *ctx, const char *family, const dial_fit_input *in) {
    size_t end = 0;
    for (size_t b = 0; b < in->n_onehot; b++) {
        const dial_onehot_block *block = &in->onehot[b];
        if (block->offset < end || block->n_levels == 0 || block->offset > in->n_features ||
            block->n_levels > in->n_features - block->offset || !block->off || !block->on)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "%s: one-hot block %zu (columns %zu + %zu) overlaps the one before "
                             "it or lies beyond the %zu inputs",
                             family, b, block->offset, block->n_levels, in->n_features);
        end = block->offset + block->n_levels;
    }
    return DIAL_OK;
}

/*
 * The one-hot blocks a fit input carries (dial_fit_input.onehot), for the
 * families that turn them back into categories (knn's codes, the native
 * category splits of tree, forest and gbdt). Internal to src/models.
 */
#ifndef DIAL_ONEHOT_BLOCKS_H
#define DIAL_ONEHOT_BLOCKS_H

#include "dial/model.h"

/* Checks that each block of in lies inside the inputs, after the one
 * before it, with off and on values; DIAL_ERR_ARGUMENT naming family and
 * the block otherwise. DIAL_OK when in has no blocks. */
dial_status dial_onehot_blocks_check(dial_ctx *ctx, const char *family, const dial_fit_input *in);

#endif

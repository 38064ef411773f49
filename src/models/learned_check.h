/*
 * Checks on learned tensors read from a model file that several families
 * share (internal to models/): a family's validate hook calls them after it
 * has checked the tensors' names and shapes.
 */
#ifndef DIAL_LEARNED_CHECK_H
#define DIAL_LEARNED_CHECK_H

#include "dial/core.h"

/* Fails with DIAL_ERR_FORMAT, naming the family, the tensor, the value and
 * its element, when the float64 tensor t holds a NaN or an infinity: a
 * weight that is not a number would make every prediction NaN, or the same
 * class for every row, without an error. DIAL_OK for an int64 tensor. */
dial_status dial_learned_check_finite(dial_ctx *ctx, const char *family_name, const dial_tensor *t);

#endif

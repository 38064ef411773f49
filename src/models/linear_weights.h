#ifndef DIAL_MODELS_LINEAR_WEIGHTS_H
#define DIAL_MODELS_LINEAR_WEIGHTS_H

#include <stddef.h>

#include "dial/model.h"

/* The learned weights of a linear classifier (logistic, linsvm): `coef`
 * [rows x n_features] and `intercept` [rows], float64, one row per class
 * (one for two classes; a caller that does not know the classes,
 * n_classes 0, takes the tensor's word for it). Tensors may come from a
 * file, so nothing about them is taken on trust: a missing tensor or a
 * wrong type or shape fails with DIAL_ERR_FORMAT naming the family. The
 * pointers are borrowed from learned. */
dial_status dial_linear_weights(dial_ctx *ctx, const char *family, const dial_tensors *learned,
                                const dial_fit_input *in, const double **coef,
                                const double **intercept, size_t *rows);

/* A model file's weights: the shapes above, and every value finite (a NaN
 * weight would give the same class for every row). */
dial_status dial_linear_weights_validate(dial_ctx *ctx, const char *family,
                                         const dial_tensors *learned, const dial_fit_input *in);

#endif

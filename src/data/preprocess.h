/*
 * Preprocessing with learned state: imputation of missing values, one-hot
 * encoding of categorical columns, and scaling. What it learns is kept as
 * tensors beside the model's own, so `dial inspect` shows it and the model
 * file saves it:
 *   preprocess.fill    [n_features]  value put in place of a missing one:
 *                                    the number, or the level index of a
 *                                    categorical feature (absent if impute=none)
 *   preprocess.center  [n_inputs]    x' = (x - center) / scale: the mean and
 *   preprocess.scale   [n_inputs]    standard deviation (standard) or the
 *                                    minimum and range (minmax); absent if none
 * n_inputs counts one column per numeric feature and one per level of each
 * categorical feature.
 *
 * Sparse data (dial_dataset.sparse; src/data/preprocess_sparse.c) learns no
 * fill (a sparse value cannot be missing) and takes scale none or maxabs
 * only: dial_preprocess_fit refuses standard and minmax, which centre. A
 * CSV table made sparse has categorical features too, one-hot encoded in
 * its compressed rows: the inputs are the same as on dense data.
 */
#ifndef DIAL_PREPROCESS_H
#define DIAL_PREPROCESS_H

#include "dial/data.h"

typedef enum dial_impute {
    DIAL_IMPUTE_MEAN = 0,
    DIAL_IMPUTE_MEDIAN,
    DIAL_IMPUTE_MOST_FREQUENT,
    DIAL_IMPUTE_NONE,
    /* Not a knob value: impute=none for a family that handles missing
     * values itself (dial_model_family.handles_missing). A missing number
     * stays NaN, a missing category encodes as all zeros, and scaling is
     * learned from the values present. */
    DIAL_IMPUTE_KEEP
} dial_impute;
/* maxabs: each input divided by its largest |value| in training, no
 * centre (preprocess.center all 0), the one scaling that keeps sparse data
 * sparse. */
typedef enum dial_scale {
    DIAL_SCALE_NONE = 0,
    DIAL_SCALE_STANDARD,
    DIAL_SCALE_MINMAX,
    DIAL_SCALE_MAXABS
} dial_scale;

/* The schema of one raw feature as the model records it. */
typedef struct dial_feature {
    char *name;
    dial_column_type type;
    size_t n_levels;
    char **levels;
} dial_feature;

/* Number of design-matrix columns the features expand to. */
size_t dial_preprocess_n_inputs(const dial_feature *features, size_t n_features);

/* Learns fill values and scaling from the rows of train, whose features are
 * described by features (same order), and adds the tensors above to
 * *learned. */
dial_status dial_preprocess_fit(dial_ctx *ctx, dial_impute impute, dial_scale scale,
                                const dial_feature *features, size_t n_features,
                                const dial_view *train, dial_tensors *learned);

/* Builds the design matrix of the rows of view: *x is malloc'ed, rows->n x
 * n_inputs, row-major; free it with free. Categorical levels of the view's
 * columns are matched to the feature's levels by name; an unseen level
 * encodes as all zeros and is counted in *unseen (may be NULL). A missing
 * value without a fill tensor is a DIAL_ERR_DATA naming the row and column. */
dial_status dial_preprocess_transform(dial_ctx *ctx, const dial_feature *features,
                                      size_t n_features, const dial_tensors *learned,
                                      const dial_view *rows, double **x, size_t *unseen);
/* The same, where keep_missing (fitted with DIAL_IMPUTE_KEEP) lets a
 * missing value through as DIAL_IMPUTE_KEEP describes instead of failing. */
dial_status dial_preprocess_transform_missing(dial_ctx *ctx, const dial_feature *features,
                                              size_t n_features, const dial_tensors *learned,
                                              const dial_view *rows, bool keep_missing, double **x,
                                              size_t *unseen);

/* The one-hot blocks of the design matrix that dial_preprocess_transform
 * builds with these tensors, one per categorical feature in input order:
 * *blocks (malloc'ed, *n_blocks entries, NULL when there are none) points
 * into *values (malloc'ed), which holds each block's off and on values,
 * computed as transform computes them, so a family may compare a design
 * matrix's cells with them exactly. Free both with free. Fails with
 * DIAL_ERR_FORMAT when the scaling tensors are damaged, DIAL_ERR_NOMEM. */
dial_status dial_preprocess_onehot(dial_ctx *ctx, const dial_feature *features, size_t n_features,
                                   const dial_tensors *learned, dial_onehot_block **blocks,
                                   size_t *n_blocks, double **values);

/* ---- sparse data (preprocess_sparse.c) ---- */

/* The scaling part of dial_preprocess_fit for sparse train (fill is never
 * learned): nothing for none, preprocess.center (zeros) and .scale for
 * maxabs; DIAL_ERR_ARGUMENT naming scale=maxabs for standard and minmax. */
dial_status dial_preprocess_fit_sparse(dial_ctx *ctx, dial_scale scale,
                                       const dial_feature *features, size_t n_features,
                                       const dial_view *train, dial_tensors *learned);
/* Writes the rows of a sparse view into x (view->n x n_inputs, dense),
 * unscaled: zeros, then each entry of a column that is a feature of the
 * model (a categorical feature's levels matched by name to the model's; an
 * unseen level encodes as all zeros, said once with DIAL_LOG_WARN).
 * Errors: DIAL_ERR_DATA for a categorical feature of the model that the
 * data has as numbers (a LIBSVM file, or a numeric CSV column), or the
 * other way round; DIAL_ERR_NOMEM. */
dial_status dial_preprocess_expand_sparse(dial_ctx *ctx, const dial_feature *features,
                                          size_t n_features, const dial_view *view, double *x,
                                          size_t n_inputs);
/* The rows of a sparse view in compressed rows of n_inputs columns (*out,
 * free with dial_csr_free; dial_preprocess_n_inputs): entries of columns
 * the model does not know are dropped, and so are levels it never saw (as
 * expand says), values divided by spread (NULL: none). center (NULL, or
 * all zeros: else DIAL_ERR_FORMAT) is checked. Errors: as expand, NOMEM. */
dial_status dial_preprocess_transform_sparse(dial_ctx *ctx, const dial_feature *features,
                                             size_t n_features, const double *center,
                                             const double *spread, const dial_view *rows,
                                             dial_csr **out);
/* The learned scaling of a model (NULL, NULL when there is none), checked
 * as dial_preprocess_transform checks it. Errors: DIAL_ERR_FORMAT. */
/* Whether features are those of a model fitted on a LIBSVM file: numeric
 * "f1" .. "fN", which its model file lists by count alone. */
bool dial_preprocess_indexed_features(const dial_feature *features, size_t n_features);
/* Whether a model fitted on sparse data with these features binds the
 * columns of table by index, as liblinear-predict reads a LIBSVM file
 * (feature j is the file's index j + 1), rather than by name: for a
 * LIBSVM table, and for a dense one when the model's features are
 * indexed (its binding then says to give LIBSVM rows). A CSV table made
 * sparse is bound by name. */
bool dial_preprocess_bind_by_index(const dial_feature *features, size_t n_features,
                                   const dial_table *table);

dial_status dial_preprocess_scaling(dial_ctx *ctx, const dial_feature *features, size_t n_features,
                                    const dial_tensors *learned, const double **center,
                                    const double **spread);

/* Logs one warning (DIAL_LOG_WARN) per categorical feature of data that
 * looks like an identifier: more than DIAL_IDENTIFIER_MIN_LEVELS levels and
 * more than half as many levels as rows. One-hot encoding such a column
 * gives a model nothing to generalise from and makes it huge. Never
 * fails. */
#define DIAL_IDENTIFIER_MIN_LEVELS 50
void dial_preprocess_warn_identifiers(dial_ctx *ctx, const dial_dataset *data);

#endif

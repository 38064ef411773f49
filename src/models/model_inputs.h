/*
 * Preparing inputs: the one step between a dataset's raw columns and a
 * family's estimator (impute, encode, scale into a design matrix; the
 * target, task and class count; where the one-hot blocks lie).
 *
 * Internal to the models layer and to the tuner's prepared folds
 * (src/tune/objective_prepared.c), which must see a fold exactly as
 * dial_model_fit and dial_model_predict would, so a prepared trial scores
 * what a full fit scores. Nothing else includes this header: callers
 * outside those two fit and predict through dial/model.h.
 */
#ifndef DIAL_MODEL_INPUTS_H
#define DIAL_MODEL_INPUTS_H

#include "data/preprocess.h"
#include "dial/model.h"

/* A family's input and the buffers it points into, all owned. */
typedef struct dial_model_inputs {
    dial_fit_input in; /* x, y and onehot point into the fields below */
    double *x;         /* in.n_rows x in.n_features, row-major */
    double *y;         /* in.n_rows targets; NULL for rows without one */
    dial_onehot_block *onehot;
    double *onehot_values; /* what the blocks' off and on point into */
    /* The rows when in.sparse is set (x NULL) and they were gathered;
     * NULL when in.sparse borrows the data's own compressed rows (every
     * row in order, unscaled), which must then outlive the input. */
    dial_csr *sparse;
} dial_model_inputs;

/* The imputation the knobs ask for: DIAL_IMPUTE_KEEP in place of
 * DIAL_IMPUTE_NONE when the family handles missing values itself, so fit,
 * predict and prepared folds treat a missing value alike. */
dial_impute dial_model_impute(const dial_model_family *family, const dial_knobs *knobs);
/* The scaling the knobs ask for (none for a family without a scale knob). */
dial_scale dial_model_scale(const dial_knobs *knobs);
/* The scaling a fit on data uses: dial_model_scale, except that on sparse
 * data a scale the user did not set is none (LIBSVM and LIBLINEAR never
 * scale; centring would make the data dense). */
dial_scale dial_model_scale_for(const dial_knobs *knobs, const dial_dataset *data);

/* The raw feature schema of data as the preprocessing reads it: *features
 * (malloc'ed, data->n_features entries; free with free) borrows its names
 * and levels from data, so it lives no longer than data. *n_inputs gets
 * the design matrix's width. Errors: DIAL_ERR_NOMEM. */
dial_status dial_model_inputs_schema(dial_ctx *ctx, const dial_dataset *data,
                                     dial_feature **features, size_t *n_inputs);

/* Learns on the rows of train the preprocessing that family and knobs ask
 * for, adding its tensors to *learned, and builds train's input: its design
 * matrix, its target (none, in.y NULL, for an unsupervised family), the
 * task and class count of the fit (dial_model_fit_task,
 * dial_model_fit_n_classes) and the one-hot blocks. features describes train's columns (same
 * order). On success free *out with dial_model_inputs_free; on error *out
 * holds nothing (what was added to *learned stays, the caller's to clear).
 * Errors: those of the preprocessing (DIAL_ERR_DATA naming the row and
 * column of a missing value it cannot fill), DIAL_ERR_NOMEM. */
dial_status dial_model_inputs_fit(dial_ctx *ctx, const dial_model_family *family,
                                  const dial_knobs *knobs, const dial_feature *features,
                                  size_t n_features, const dial_view *train, dial_tensors *learned,
                                  dial_model_inputs *out);

/* Builds the input of rows with the preprocessing in learned (made by
 * dial_model_inputs_fit with the same family and knobs): on sparse data
 * compressed rows for a family with sparse_input (in.sparse), else the
 * rows made dense (refused with DIAL_ERR_UNSUPPORTED, naming the families
 * that take sparse input, above DIAL_DENSIFY_MAX_BYTES); the design
 * matrix, the one-hot blocks, task and n_classes as given, and no target
 * (in.y NULL). Unseen categorical levels encode as all zeros and are
 * counted in *unseen (may be NULL). Same ownership and errors as
 * dial_model_inputs_fit, plus DIAL_ERR_FORMAT for damaged scaling
 * tensors. */
dial_status dial_model_inputs_transform(dial_ctx *ctx, const dial_model_family *family,
                                        const dial_knobs *knobs, const dial_feature *features,
                                        size_t n_features, const dial_tensors *learned,
                                        const dial_view *rows, dial_task task, size_t n_classes,
                                        dial_model_inputs *out, size_t *unseen);

/* dial_model_inputs_fit and dial_model_inputs_transform for a tuner's
 * fold that the family reads by row index (family_tuning.h's
 * prepare_fold_rows): when the family takes sparse input and the rows,
 * preprocessed as learned says, are the data's compressed rows as they
 * are (no scaling; each feature its own column), out->in.sparse is the
 * data's compressed rows, all of them, borrowed, while in.n_rows is
 * rows->n (train->n) and in.y the fold's targets by fold row: the fold's
 * rows are the view's rows, read in place, not copied. Otherwise they
 * give what dial_model_inputs_fit and _transform give.
 * dial_model_inputs_in_place tells the two apart. Same ownership and
 * errors. */
dial_status dial_model_inputs_fit_in_place(dial_ctx *ctx, const dial_model_family *family,
                                           const dial_knobs *knobs, const dial_feature *features,
                                           size_t n_features, const dial_view *train,
                                           dial_tensors *learned, dial_model_inputs *out);
dial_status dial_model_inputs_transform_in_place(dial_ctx *ctx, const dial_model_family *family,
                                                 const dial_knobs *knobs,
                                                 const dial_feature *features, size_t n_features,
                                                 const dial_tensors *learned, const dial_view *rows,
                                                 dial_task task, size_t n_classes,
                                                 dial_model_inputs *out);
/* Whether inputs borrow the data's compressed rows rather than hold rows
 * of their own (a copy, or a dense matrix). */
bool dial_model_inputs_in_place(const dial_model_inputs *inputs);

/* Frees the buffers of inputs and zeroes it; NULL and a zeroed struct are
 * harmless. */
void dial_model_inputs_free(dial_model_inputs *inputs);

#endif

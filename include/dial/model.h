/*
 * dial/model.h: model families, the registry, and fitted models.
 *
 * A model family (linear, logistic, naive_bayes, knn, ...) is one file under
 * src/models/ that fills a dial_model_family: its knob table, the doc of the
 * parameters it learns, and fit / predict functions over a dense,
 * preprocessed matrix. Adding a model means adding that file and one line in
 * src/models/registry.c.
 *
 * A fitted dial_model is the whole pipeline: the feature schema, the
 * preprocessing it learned (imputation values, one-hot levels, scaling), the
 * family's learned tensors, and the knobs that produced them. It never points
 * into the caller's data.
 */
#ifndef DIAL_MODEL_H
#define DIAL_MODEL_H

#include "dial/core.h"
#include "dial/data.h"
#include "dial/knobs.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One learned parameter as `dial knobs` documents it. */
typedef struct dial_param_doc {
    const char *name;  /* tensor name, e.g. "coef" */
    const char *shape; /* in terms of the data: "n_classes x n_features" */
    const char *doc;   /* what it means */
} dial_param_doc;

/* What the estimator of a family sees: the preprocessed design matrix. */
typedef struct dial_fit_input {
    const double *x; /* n_rows x n_features, row-major */
    size_t n_rows, n_features;
    const double *y; /* class index (0 .. n_classes-1) or value */
    dial_task task;
    size_t n_classes; /* 0 for regression */
    /* The one-hot blocks of x in ascending offset order (n_onehot of them),
     * so a family may keep category codes instead of the dense columns;
     * NULL when the caller does not say (every column is then a number to
     * the family). Set for the rows a fit or a tuner's fold is given
     * (training and test alike); NULL at predict. */
    const dial_onehot_block *onehot;
    size_t n_onehot;
} dial_fit_input;

/* Where a prediction goes. value[i]: the class index (as a double) or the
 * predicted value. proba (may be NULL): n_rows x n_classes probabilities. */
typedef struct dial_predict_output {
    double *value;
    double *proba;
} dial_predict_output;

#define DIAL_TASK_BIT(task) (1u << (task))

struct dial_family_tuning;

typedef struct dial_model_family {
    const char *name;
    const char *summary; /* one line for `dial models` */
    unsigned tasks;      /* DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION) | ... */
    bool has_proba;      /* can predict class probabilities */
    /* NULL, or a bool knob that must be true for the fit to give them
     * (svm's probability): a search scored on probabilities checks it
     * before the first trial instead of failing every one. */
    const char *proba_knob;
    /* Handles missing feature values itself (gbdt: each split learns which
     * side they go to): with impute=none they reach fit and predict as NaN
     * instead of failing. */
    bool handles_missing;
    const dial_knob_spec *knobs;
    size_t n_knobs;
    const dial_param_doc *params; /* NULL for a nonparametric model */
    size_t n_params;
    const char *nonparametric_doc; /* what it keeps instead, when params is NULL */

    /* Fits on in and adds the learned tensors to *learned. The knobs are
     * valid (checked against the table). Uses at most dial_ctx_threads(ctx)
     * threads. */
    dial_status (*fit)(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                       dial_tensors *learned);
    /* Predicts n_rows rows of x (n_features columns) from the tensors alone,
     * so that a loaded model predicts exactly as the fitted one. in->y is
     * NULL. Must check the tensors it reads (present, right shape) and fail
     * with DIAL_ERR_FORMAT otherwise: they may come from a file. */
    dial_status (*predict)(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                           const dial_fit_input *in, dial_predict_output *out);

    /* Optional (NULL: none): the family's hooks for tuning ("prepare once,
     * fit many", paths and warm starts along one knob). Internal to the
     * library: their contract is in src/models/family_tuning.h, so a change
     * to them is not a change of this header. */
    const struct dial_family_tuning *tuning;

    /* Optional (NULL: none): checks learned tensors read from a model file
     * before the model is handed out, so a hostile file is refused at load
     * time rather than at the first prediction. in describes the inputs
     * (n_features, task, n_classes; x and y are NULL, n_rows is 0). Fails
     * with DIAL_ERR_FORMAT and a message naming what is wrong. */
    dial_status (*validate)(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                            const dial_fit_input *in);
} dial_model_family;

/* ---- the registry ---------------------------------------------------- */

DIAL_API size_t dial_model_family_count(void);
DIAL_API const dial_model_family *dial_model_family_at(size_t i);
/* The family with that name, or NULL. */
DIAL_API const dial_model_family *dial_model_family_find(const char *name);
/* Like find, but fails with DIAL_ERR_ARGUMENT and a message naming the
 * known models (and the closest one) when there is none. */
DIAL_API dial_status dial_model_family_lookup(dial_ctx *ctx, const char *name,
                                              const dial_model_family **out);
/* The family's knobs, set to their defaults. */
DIAL_API dial_status dial_model_knobs_init(dial_ctx *ctx, const dial_model_family *family,
                                           dial_knobs *knobs);

/* ---- fitted models --------------------------------------------------- */

typedef struct dial_model dial_model;

/* What the model file records about the fit. */
typedef struct dial_model_facts {
    size_t n_rows;             /* training rows */
    uint64_t seed;             /* the context's seed at fit time */
    int64_t fitted_at;         /* unix time */
    double fit_seconds;        /* wall time of the fit */
    uint64_t data_fingerprint; /* hash of the training features and target */
    char dial_version[16];     /* DIAL_VERSION_STRING of the fit */
} dial_model_facts;

/* Fits the preprocessing and the family's estimator on the rows of train
 * (which must have a target). The task must be one the family supports.
 * knobs are checked first (dial_knobs_check). On success *out owns a new
 * model; free with dial_model_free. */
DIAL_API dial_status dial_model_fit(dial_ctx *ctx, const dial_model_family *family,
                                    const dial_knobs *knobs, const dial_view *train,
                                    dial_model **out);
DIAL_API void dial_model_free(dial_model *model);

/* Predicts the rows of a view whose features are in the model's order (the
 * dataset it was fitted on, or one made by dial_model_bind). value has
 * rows->n entries; proba, if not NULL, rows->n x n_classes (fails with
 * DIAL_ERR_UNSUPPORTED when the family has none or the task is regression).
 * Unseen categorical levels are encoded as all zeros and counted in one
 * warning through the log callback. */
DIAL_API dial_status dial_model_predict(dial_ctx *ctx, const dial_model *model,
                                        const dial_view *rows, double *value, double *proba);

/* Matches the columns of a new table to the model's features: by name when
 * the table has a header (extra columns ignored, any order; a missing column
 * is an error naming it), by position when it has none and the counts agree.
 * The target column, if present, is ignored. *out borrows table. */
DIAL_API dial_status dial_model_bind(dial_ctx *ctx, const dial_model *model,
                                     const dial_table *table, dial_dataset **out);

DIAL_API const dial_model_family *dial_model_get_family(const dial_model *model);
DIAL_API const dial_knobs *dial_model_get_knobs(const dial_model *model);
/* Every learned tensor: the preprocessing's ("preprocess.mean", ...) and the
 * family's. */
DIAL_API const dial_tensors *dial_model_get_tensors(const dial_model *model);
DIAL_API const dial_model_facts *dial_model_get_facts(const dial_model *model);
/* The tuning record that chose the knobs, as the text of a JSON object
 * (study, trial, metric, cross-validated score, ...; see
 * dial/tune_model.h), or NULL when the knobs were not tuned. Owned by the
 * model; the model file keeps it. */
DIAL_API const char *dial_model_get_tuning(const dial_model *model);
/* Sets (a copy of) the tuning record; NULL clears it. The text must be a
 * JSON object: dial_model_save fails with DIAL_ERR_ARGUMENT otherwise. */
DIAL_API dial_status dial_model_set_tuning(dial_ctx *ctx, dial_model *model, const char *json_text);
DIAL_API dial_task dial_model_get_task(const dial_model *model);
DIAL_API size_t dial_model_n_classes(const dial_model *model);
/* Label of class i (as in the training target). */
DIAL_API const char *dial_model_class_name(const dial_model *model, size_t i);
DIAL_API const char *dial_model_target_name(const dial_model *model);
/* Raw feature columns (before one-hot encoding). */
DIAL_API size_t dial_model_n_features(const dial_model *model);
DIAL_API const char *dial_model_feature_name(const dial_model *model, size_t i);
DIAL_API dial_column_type dial_model_feature_type(const dial_model *model, size_t i);
DIAL_API size_t dial_model_feature_n_levels(const dial_model *model, size_t i);
DIAL_API const char *dial_model_feature_level(const dial_model *model, size_t i, size_t level);
/* Columns of the design matrix after one-hot encoding. */
DIAL_API size_t dial_model_n_inputs(const dial_model *model);

/* ---- what the learned tensors tell (src/models/model_queries.c) ----------- */

/* Where the target sat among the columns of the training table (0-based,
 * 0 .. n_features): a file without a header that holds the features and the
 * target is read with the target there, as dial_model_bind does. Recorded
 * at fit time; for a model file from before that record, a target named
 * "V<k>" (headerless training data) tells, and otherwise the last column. */
DIAL_API size_t dial_model_target_column(const dial_model *model);
/* Whether dial_model_feature_importance has something to give: the family
 * learned an importance while fitting (tree, forest, gbdt). */
DIAL_API bool dial_model_has_feature_importance(const dial_model *model);
/* The importance of each raw feature that the fit learned: the impurity
 * decrease of a tree or forest, the gain of gbdt, normalised by the family
 * to sum to 1 over the inputs, and summed here over the one-hot inputs of a
 * categorical feature. out has dial_model_n_features entries, written only
 * on success; nothing is allocated. Errors: DIAL_ERR_UNSUPPORTED when the
 * family learns none (see dial_importance_permutation in dial/eval.h for
 * any model), DIAL_ERR_FORMAT when the learned tensor does not have one
 * value per input. */
DIAL_API dial_status dial_model_feature_importance(dial_ctx *ctx, const dial_model *model,
                                                   double *out);
/* What the learned tensor `name` means, in words: for the pipeline's own
 * tensors (schema.target_column, preprocess.fill, .center, .scale) a
 * sentence in terms of the knobs that made them, else the family's
 * parameter doc (dial_param_doc), else "". Written like snprintf: at most
 * size bytes into buf, always NUL-terminated when size > 0 (buf may be NULL
 * when size is 0); returns the length of the whole text, so a result >=
 * size means it was cut and tells the size needed. */
DIAL_API size_t dial_model_tensor_doc(const dial_model *model, const char *name, char *buf,
                                      size_t size);

#ifdef __cplusplus
}
#endif
#endif

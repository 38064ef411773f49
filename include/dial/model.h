/*
 * dial/model.h: model families, the registry, and fitted models.
 *
 * A model family (linear, logistic, naive_bayes, knn, ...) is one file under
 * src/models/ that fills a dial_model_family: its knob table, the doc of the
 * parameters it learns, and fit / predict functions over a dense,
 * preprocessed matrix. Adding a model means adding that file and one line in
 * src/models/registry.c. A program may also bring a family of its own, on
 * its context (dial_model_family_register), without touching the library.
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
    /* class index (0 .. n_classes-1) or value; NULL for an unsupervised
     * family (clustering), which learns from x alone, and at predict */
    const double *y;
    dial_task task;
    size_t n_classes; /* 0 but in classification */
    /* The one-hot blocks of x in ascending offset order (n_onehot of them),
     * so a family may keep category codes instead of the dense columns;
     * NULL when the caller does not say (every column is then a number to
     * the family). Set for the rows a fit or a tuner's fold is given
     * (training and test alike); NULL at predict. */
    const dial_onehot_block *onehot;
    size_t n_onehot;
    /* NULL: the rows are x. Else the rows are these compressed ones
     * (n_rows x n_features, preprocessed) and x is NULL: only for a family
     * with sparse_input, and only when the data is sparse (a LIBSVM file). */
    const dial_csr *sparse;
} dial_fit_input;

/* Where a prediction goes. value[i]: the class index (as a double) or the
 * predicted value. proba (may be NULL): n_rows x n_classes probabilities. */
typedef struct dial_predict_output {
    double *value;
    double *proba;
} dial_predict_output;

#define DIAL_TASK_BIT(task) (1u << (task))

struct dial_family_tuning;

/* What the values of a tree's leaves are (dial_tree). */
typedef enum dial_tree_leaf {
    /* n_classes values: each class's share of the training rows that
     * reached the leaf (tree and forest classifiers) */
    DIAL_TREE_LEAF_CLASS_SHARES,
    /* one value: the prediction (the mean, or the median for
     * absolute_error, of the training targets that reached the leaf) */
    DIAL_TREE_LEAF_PREDICTION,
    /* one value: what the leaf adds to a raw score, learning rate included
     * (gbdt); the model's score starts from base_score and sums one leaf
     * of every tree that adds to it */
    DIAL_TREE_LEAF_SCORE,
} dial_tree_leaf;

/* One tree of a fitted model in a form that is the same for every family
 * with trees, its arrays borrowed from the model's tensors (valid while the
 * model lives; nothing to free). Nodes in preorder: node 0 is the root, a
 * node's children come after it, and child indices count from the tree's
 * first node. */
typedef struct dial_tree {
    size_t n_nodes;
    /* Per node: the input (column of the design matrix, after one-hot
     * encoding; dial_model_input_feature names its feature and level) a
     * split tests, -1 at a leaf. A row goes left when its input <=
     * threshold, unless the split is on a category (below). */
    const int64_t *input;
    const double *threshold;
    const int64_t *left, *right; /* children, -1 at a leaf */
    /* NULL when no node splits a category natively; else per node -1, or
     * the first word in category_bits of the split's bitset: input is then
     * the first input of a categorical feature, and a row goes left when
     * bit c of word c / 64 is set, c its level (c = n_levels: a level
     * unseen in training, or missing). */
    const int64_t *category;
    const uint64_t *category_bits;
    size_t n_category_words;
    /* NULL, or per node 1 when a missing value goes left (gbdt) */
    const int64_t *default_left;
    /* NULL, or per node 1 when a zero goes left whatever the threshold
     * (gbdt fitted on sparse rows: an absent entry's learned direction) */
    const int64_t *zero_left;
    /* NULL when the family keeps no count (gbdt); else per node the
     * training rows that reached it (distinct bootstrap rows for forest) */
    const int64_t *n_samples;
    const double *value; /* n_nodes x n_values, row-major; meaning: leaf */
    size_t n_values;
    dial_tree_leaf leaf;
    /* One of an ensemble (forest, gbdt), even when it holds one tree;
     * false for the tree family's lone tree. */
    bool ensemble;
    /* gbdt: the boosting round the tree belongs to; else its index. */
    size_t round;
    /* DIAL_TREE_LEAF_SCORE in classification: the class whose score the
     * leaves add to. With softmax (more than two classes) each round grows
     * one tree per class, tree t adding to class t % n_classes; with two
     * classes (logistic) the one score is the log-odds of class 1 against
     * class 0 (log_odds true). 0 otherwise. */
    size_t score_class;
    bool log_odds;
    double base_score; /* SCORE: the starting score it adds to; 0 otherwise */
} dial_tree;

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
    /* Learns without a target (clustering): tasks holds only tasks that
     * need none (dial_task_needs_target false: DIAL_TASK_CLUSTERING), fit
     * gets in->y NULL and in->n_classes 0, predict gives a cluster index
     * per row, and data without a target is fitted, cross-validated and
     * tuned; a target the data has is not shown to the family. */
    bool unsupervised;
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

    /* Optional (NULL: the family grows no trees): the trees of validated
     * learned tensors (in as for validate). Sets *n_trees; when index <
     * *n_trees, also fills *out with tree index, borrowing the tensors.
     * Fails with DIAL_ERR_FORMAT when the tensors are not its trees. */
    dial_status (*trees)(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                         const dial_fit_input *in, size_t index, size_t *n_trees, dial_tree *out);

    /* Optional (NULL: none): the name of the learned tensor that weighs
     * each input of the design matrix, a row per class score or one
     * vector (a linear model's "coef"), so that `dial report` draws the
     * coefficients without knowing the family's tensors. */
    const char *coefficients;

    /* Takes sparse input: on sparse data (a LIBSVM file) fit and predict
     * get dial_fit_input.sparse instead of x. A family without it is given
     * sparse data made dense when the dense matrix takes at most
     * DIAL_DENSIFY_MAX_BYTES, and refused with one line otherwise. */
    bool sparse_input;

    /* Splits on a categorical feature's levels natively (reading the
     * one-hot blocks of dial_fit_input.onehot as category codes), so a
     * CSV's many-level categorical never makes its input wide: the CLI's
     * automatic switch to sparse rows for a mostly-zero one-hot design
     * leaves such a family dense (--sparse still reads sparse). */
    bool categories_natively;

    /* Optional (NULL: none): a clustering whose predict also fills proba
     * with each row's probability of belonging to every cluster, rows
     * summing to 1 (a mixture's responsibilities); names the int knob
     * that counts the clusters, which is proba's width
     * (dial_model_n_proba). */
    const char *cluster_proba_knob;

    /* Optional (NULL: the family has no likelihood; the metrics bic and
     * aic are refused for it): the log-likelihood of each of in's rows
     * under the learned model (log p(x), a mixture's score_samples) into
     * log_likelihood (in->n_rows values), and the free parameters the fit
     * estimated into *n_parameters (scikit-learn's _n_parameters). Checks
     * the tensors it reads as predict does. */
    dial_status (*log_likelihood)(dial_ctx *ctx, const dial_knobs *knobs,
                                  const dial_tensors *learned, const dial_fit_input *in,
                                  double *log_likelihood, size_t *n_parameters);
} dial_model_family;

/* The largest dense matrix that sparse data is made into for a family that
 * does not take sparse input (256 MiB). */
#define DIAL_DENSIFY_MAX_BYTES ((size_t)256 << 20)

/* ---- the registry ----------------------------------------------------
 * The built-in families (src/models/registry.c) are known everywhere; a
 * program's own families are registered on a context, which keeps the list
 * (no global: two contexts may know different families), and are then
 * found by name through that context: dial_model_family_find_in,
 * dial_model_family_lookup, and so by the model-file loader
 * (dial_model_load), so a model of a registered family saves and loads
 * like a built-in one. */

/* The built-in families, in the order of `dial models`. */
DIAL_API size_t dial_model_family_count(void);
DIAL_API const dial_model_family *dial_model_family_at(size_t i);
/* The built-in family with that name, or NULL. */
DIAL_API const dial_model_family *dial_model_family_find(const char *name);
/* The family with that name among the built-in ones and those registered
 * on ctx (ctx may be NULL: built-in only), or NULL. */
DIAL_API const dial_model_family *dial_model_family_find_in(const dial_ctx *ctx, const char *name);
/* Like find_in, but fails with DIAL_ERR_ARGUMENT and a message naming the
 * known models (and the closest one) when there is none. */
DIAL_API dial_status dial_model_family_lookup(dial_ctx *ctx, const char *name,
                                              const dial_model_family **out);
/* Checks that a family's table keeps the contract above: a name of
 * letters, digits and '_' (at most 63), a summary, fit and predict, tasks
 * of known bits, unsupervised set exactly when no task needs a target,
 * has_proba only with classification, and knobs that initialise to their
 * defaults. Fails with DIAL_ERR_ARGUMENT naming the family and what is
 * wrong. Every built-in family passes. */
DIAL_API dial_status dial_model_family_check(dial_ctx *ctx, const dial_model_family *family);
/* Registers family on ctx: from then on ctx, and the contexts cloned from
 * it afterwards, find it by name as a built-in one. The table is borrowed:
 * it must outlive ctx, its clones and every model fitted or loaded with it
 * (a static const table does). The tuning hooks (family->tuning) are the
 * library's internal mechanism: a registered family leaves them NULL, and
 * is tuned by full fits. Errors (DIAL_ERR_ARGUMENT, nothing registered):
 * those of dial_model_family_check, a family with tuning hooks, a name
 * that a built-in or registered family already has; DIAL_ERR_NOMEM.
 * Registering the same table twice is harmless. */
DIAL_API dial_status dial_model_family_register(dial_ctx *ctx, const dial_model_family *family);

/* The task a fit of family on data learns: the family's unsupervised task
 * (DIAL_TASK_CLUSTERING) for an unsupervised family, whatever target the
 * data has; otherwise the data's task (classification or regression; AUTO
 * for data without a target). */
DIAL_API dial_task dial_model_fit_task(const dial_model_family *family, const dial_dataset *data);
/* The class count a fit of family on data sees (dial_fit_input.n_classes):
 * data->n_classes when dial_model_fit_task is classification, else 0. */
DIAL_API size_t dial_model_fit_n_classes(const dial_model_family *family, const dial_dataset *data);
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

/* Fits the preprocessing and the family's estimator on the rows of train,
 * which must have a target unless the family is unsupervised (a dataset
 * from dial_dataset_features_only then does). The task
 * (dial_model_fit_task) must be one the family supports.
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

/* The log-likelihood of each row of a view (bound as for
 * dial_model_predict) under a model whose family has one
 * (dial_model_family.log_likelihood: gmm) into log_likelihood (rows->n
 * values, the caller's), and the free parameters its fit estimated into
 * *n_parameters: what the metrics bic and aic read. Errors:
 * DIAL_ERR_UNSUPPORTED for a family without a likelihood (naming it),
 * those of dial_model_transform and of the family. */
DIAL_API dial_status dial_model_log_likelihood(dial_ctx *ctx, const dial_model *model,
                                               const dial_view *rows, double *log_likelihood,
                                               size_t *n_parameters);

/* The rows as the model's family sees them: the model's preprocessing
 * (imputation, one-hot encoding, scaling) applied to the rows of a view
 * bound as for dial_model_predict. A metric on the rows themselves (a
 * clustering's silhouette) scores this matrix. Unseen categorical levels
 * encode as all zeros, without the warning of dial_model_predict. On
 * success *x is a new rows->n x dial_model_n_inputs(model) row-major array
 * (NULL when rows->n is 0) that the caller frees with free(). Errors:
 * DIAL_ERR_ARGUMENT (a feature count that is not the model's), those of
 * the preprocessing (DIAL_ERR_DATA naming the row and column of a missing
 * value it cannot fill), DIAL_ERR_NOMEM. */
DIAL_API dial_status dial_model_transform(dial_ctx *ctx, const dial_model *model,
                                          const dial_view *rows, double **x);

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
/* Whether the model was fitted on sparse data (a LIBSVM file, or a CSV
 * table made sparse: dial_table_make_sparse) and so predicts from sparse
 * rows: a CSV is best made sparse before dial_model_bind. */
DIAL_API bool dial_model_takes_sparse(const dial_model *model);
/* Sets (a copy of) the tuning record; NULL clears it. The text must be a
 * JSON object: dial_model_save fails with DIAL_ERR_ARGUMENT otherwise. */
DIAL_API dial_status dial_model_set_tuning(dial_ctx *ctx, dial_model *model, const char *json_text);
/* What a retrain (`dial retrain`) refitted the model from, as the text of a
 * JSON object (the old model file's checksum and data fingerprint, its
 * knobs' source, the data files with their rows and fingerprints; the
 * fields are in docs/modelfile.md), or NULL for a model fitted afresh.
 * Owned by the model; the model file keeps it. */
DIAL_API const char *dial_model_get_retrained_from(const dial_model *model);
/* Sets (a copy of) that record; NULL clears it. dial_model_save checks it
 * as a load would (DIAL_ERR_ARGUMENT for a record that is not one, or whose
 * rows do not add up to the model's). Errors: DIAL_ERR_NOMEM. */
DIAL_API dial_status dial_model_set_retrained_from(dial_ctx *ctx, dial_model *model,
                                                   const char *json_text);
/* The task the model learned (dial_model_fit_task of its fit). A
 * clustering model has no classes (n_classes 0) and no target (its target
 * name is ""); its predictions are cluster indices. */
DIAL_API dial_task dial_model_get_task(const dial_model *model);
DIAL_API size_t dial_model_n_classes(const dial_model *model);
/* The columns of dial_model_predict's proba: the classes of a classifier
 * whose family gives probabilities, the clusters of a clustering whose
 * family gives each row's probability of every cluster
 * (cluster_proba_knob: gmm's components), else 0. */
DIAL_API size_t dial_model_n_proba(const dial_model *model);
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

/* The tensors the pipeline learns for every model besides its family's
 * (preprocess.fill, preprocess.center, preprocess.scale), documented as a
 * family's parameters are (shape in terms of n_features and n_inputs).
 * *count receives their number; the table is static, never freed. */
DIAL_API const dial_param_doc *dial_pipeline_params(size_t *count);

/* What the entries along one dimension of a learned tensor stand for. */
typedef enum dial_tensor_axis {
    DIAL_AXIS_NONE,     /* positions only (nodes, support vectors, pairs, ...) */
    DIAL_AXIS_INPUTS,   /* the design-matrix inputs, in order */
    DIAL_AXIS_FEATURES, /* the raw features, in order */
    DIAL_AXIS_CLASSES,  /* the classes, in order */
    /* one entry: the score of the second class of a two-class model (a
     * logistic coef row, gbdt's base score) */
    DIAL_AXIS_SECOND_CLASS,
} dial_tensor_axis;

/* What dimension dim of the learned tensor `name` runs over, so a program
 * can label it: from the shape in the parameter's doc (the pipeline's, or
 * the family's dial_param_doc: "n_inputs", "n_features", "n_classes",
 * "n_scores") checked against the tensor's actual length; for a tensor
 * without a doc of its own (knn's rows, mlp's layer<l>.*), the length
 * alone: inputs, else classes, else features. DIAL_AXIS_NONE when nothing fits, the tensor is
 * absent or dim is beyond its dimensions. */
DIAL_API dial_tensor_axis dial_model_tensor_axis(const dial_model *model, const char *name,
                                                 int dim);

/* Raw feature and level of design-matrix input `input`: *feature its
 * feature (0 .. n_features - 1) and *level, for a categorical feature, the
 * level whose one-hot column it is (SIZE_MAX for a numeric one). False,
 * with nothing written, when input is not below dial_model_n_inputs. */
DIAL_API bool dial_model_input_feature(const dial_model *model, size_t input, size_t *feature,
                                       size_t *level);

/* ---- the trees of a fitted model (src/models/model_trees.c) --------------- */

/* How many trees the model holds, into *n_trees: 1 for tree, n_estimators
 * for forest, rounds x scores for gbdt (see dial_tree). Fails with
 * DIAL_ERR_UNSUPPORTED and a message naming the families that have trees
 * when the model's family grows none, DIAL_ERR_FORMAT when its tensors are
 * not trees. */
DIAL_API dial_status dial_model_tree_count(dial_ctx *ctx, const dial_model *model, size_t *n_trees);
/* Tree `index` of the model, into *out (arrays borrowed from the model:
 * valid while it lives, nothing to free). Errors as dial_model_tree_count,
 * and DIAL_ERR_ARGUMENT when index is not below the number of trees. */
DIAL_API dial_status dial_model_tree_get(dial_ctx *ctx, const dial_model *model, size_t index,
                                         dial_tree *out);

#ifdef __cplusplus
}
#endif
#endif

/*
 * Histogram gradient boosting: rounds of regression trees, each fitted to
 * the first and second derivatives of the loss at the current scores, with
 * XGBoost's second-order gain (Chen and Guestrin, 2016) on features binned
 * into at most max_bins quantile bins.
 *
 * The pieces, one concept per file:
 *   gbdt_bins.c   quantile edges and byte codes, missing values in a bin
 *   gbdt_loss.c   losses: derivatives, starting scores, loss values
 *   gbdt_hist.c   gradient histograms of a node's rows
 *   gbdt_split.c  the best split of a histogram
 *   gbdt_tree.c   growing one tree (depth-wise or leaf-wise)
 *   gbdt_boost.c  the rounds: sampling, early stopping
 * and this file: the knobs, the learned tensors, predicting from them (on
 * raw, preprocessed values: a threshold is a bin's upper edge), staged
 * predictions, and the tuner's prepare-once path (the bins of a fold are
 * made once and shared by every trial with the same max_bins).
 *
 * Missing values: with impute=none a missing value stays NaN, is binned on
 * its own and goes, at each split, to the side learned for it (or, when
 * the node's training rows had none, to the side with the larger hessian
 * sum).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/family_tuning.h"
#include "models/gbdt.h"
#include "models/gbdt_bins.h"
#include "models/gbdt_boost.h"

static const char *const gbdt_loss_choices[] = {
    "auto", "logistic", "softmax", "squared_error", "absolute_error", "huber", NULL};

static const dial_knob_spec gbdt_knobs[] = {
    DIAL_PREPROCESS_KNOBS("none"),
    {.name = "loss",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "auto",
     .choices = gbdt_loss_choices,
     .condition = "",
     .doc = "what the trees minimise: auto (logistic for two classes, softmax for more, "
            "squared_error for regression), logistic, softmax, squared_error, absolute_error "
            "or huber"},
    {.name = "n_estimators",
     .type = DIAL_KNOB_INT,
     .default_text = "100",
     .lower = 1,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 10,
     .search_high = 1000,
     .log_scale = true,
     .condition = "",
     .doc = "boosting rounds (one tree per class and round with softmax); one fit also gives "
            "the predictions of every smaller number (XGBoost's default 100; searched 10..1000 "
            "on a log scale)"},
    {.name = "learning_rate",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0.1",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 0.01,
     .search_high = 0.3,
     .log_scale = true,
     .condition = "",
     .doc = "shrinkage: each tree's values are multiplied by it; smaller needs more rounds "
            "(XGBoost's eta, default 0.3 there; searched 0.01..0.3 on a log scale)"},
    {.name = "max_depth",
     .type = DIAL_KNOB_INT,
     .default_text = "6",
     .lower = 0,
     .upper = 64,
     .has_search_range = true,
     .search_low = 2,
     .search_high = 12,
     .condition = "",
     .doc = "deepest level of a tree (the root's children are at depth 1); 0 for no limit, "
            "which needs max_leaves > 0 (XGBoost's default 6; searched 2..12)"},
    {.name = "max_leaves",
     .type = DIAL_KNOB_INT,
     .default_text = "0",
     .lower = 0,
     .upper = INFINITY,
     .condition = "",
     .doc = "0: depth-wise growth, level by level; otherwise leaf-wise growth (the split that "
            "gains most first) up to this many leaves per tree (LightGBM's num_leaves)"},
    {.name = "min_child_weight",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1,
     .search_high = 32,
     .log_scale = true,
     .condition = "",
     .doc = "least sum of hessians in each child of a split (a row count for squared_error; "
            "XGBoost's min_child_weight, default 1; searched 1..32 on a log scale)"},
    {.name = "lambda",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1e-3,
     .search_high = 100,
     .log_scale = true,
     .condition = "",
     .doc = "L2 penalty on leaf values (XGBoost's lambda, default 1; searched 1e-3..100 on a "
            "log scale)"},
    {.name = "alpha",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = 0,
     .upper = INFINITY,
     .condition = "",
     .doc = "L1 penalty on leaf values: sums of gradients are shrunk towards 0 by alpha "
            "(XGBoost's alpha)"},
    {.name = "min_split_gain",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = 0,
     .upper = INFINITY,
     .condition = "",
     .doc = "least gain of a split, on XGBoost's scale for its gamma (twice the drop of the "
            "penalised loss)"},
    {.name = "subsample",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .lower_open = true,
     .upper = 1,
     .has_search_range = true,
     .search_low = 0.5,
     .search_high = 1,
     .condition = "",
     .doc = "share of the training rows each tree is grown on, drawn anew for every tree "
            "(XGBoost's subsample, default 1; searched 0.5..1, XGBoost's docs' example of 0.5 "
            "at the low end)"},
    {.name = "colsample",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .lower_open = true,
     .upper = 1,
     .has_search_range = true,
     .search_low = 0.5,
     .search_high = 1,
     .condition = "",
     .doc = "share of the features each tree may split on, at least one (XGBoost's "
            "colsample_bytree, default 1; searched 0.5..1)"},
    {.name = "max_bins",
     .type = DIAL_KNOB_INT,
     .default_text = "256",
     .lower = 2,
     .upper = 256,
     .condition = "",
     .doc = "most bins of a feature's values, cut at quantiles; missing values have a bin of "
            "their own, and as bins are bytes 256 means 255 bins of values"},
    {.name = "early_stopping_rounds",
     .type = DIAL_KNOB_INT,
     .default_text = "0",
     .lower = 0,
     .upper = INFINITY,
     .condition = "",
     .doc = "0: off; otherwise stop when the loss on validation_fraction of the training rows "
            "has not improved for this many rounds, and keep the rounds up to the best"},
    {.name = "validation_fraction",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0.1",
     .lower = 0,
     .lower_open = true,
     .upper = 1,
     .upper_open = true,
     .condition = "",
     .doc = "share of the training rows held out to decide early stopping; used only when "
            "early_stopping_rounds > 0"},
    {.name = "huber_delta",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .condition = "loss=huber",
     .doc = "residual size where the Huber loss turns from squared to absolute"},
};

static const dial_param_doc gbdt_params[] = {
    {"tree_offset", "n_trees + 1",
     "where each tree's nodes start in the node arrays; tree t is round t / n_scores, class t % "
     "n_scores (n_scores: n_classes with softmax, else 1)"},
    {"feature", "n_nodes", "the input a node splits on, -1 for a leaf"},
    {"threshold", "n_nodes", "a row goes left when its value <= threshold (a bin's upper edge)"},
    {"default_left", "n_nodes", "1 when a missing value goes left"},
    {"left", "n_nodes", "index of the left child within its tree, -1 for a leaf"},
    {"right", "n_nodes", "index of the right child within its tree, -1 for a leaf"},
    {"value", "n_nodes", "what a leaf adds to its class score (learning rate included)"},
    {"base_score", "n_scores",
     "starting score: log-odds, log class priors, mean or median of the target"},
    {"importance_gain", "n_inputs", "each input's share of the total gain of all splits"},
};

/* ---- knobs to parameters ------------------------------------------------------------ */

static dial_status gbdt_resolve_loss(dial_ctx *ctx, const dial_knobs *knobs, dial_task task,
                                     size_t n_classes, dial_gbdt_loss *loss) {
    const char *name = dial_knobs_choice(knobs, "loss");
    bool classification = task == DIAL_TASK_CLASSIFICATION;
    if (task != DIAL_TASK_CLASSIFICATION && task != DIAL_TASK_REGRESSION)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "gbdt: the task must be classification or regression, got %s",
                         dial_task_name(task));
    if (classification && n_classes < 2)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "gbdt: classification needs at least two classes, got %zu", n_classes);
    if (strcmp(name, "auto") == 0) {
        *loss = !classification  ? DIAL_GBDT_SQUARED
                : n_classes == 2 ? DIAL_GBDT_LOGISTIC
                                 : DIAL_GBDT_SOFTMAX;
        return DIAL_OK;
    }
    bool wants_classes = strcmp(name, "logistic") == 0 || strcmp(name, "softmax") == 0;
    if (wants_classes && !classification)
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "knob 'loss' = '%s' is for classification, but the target is numeric "
                         "(regression): use squared_error, absolute_error, huber or auto",
                         name);
    if (!wants_classes && classification)
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "knob 'loss' = '%s' is for regression, but the target has classes: use "
                         "logistic, softmax or auto",
                         name);
    if (strcmp(name, "logistic") == 0 && n_classes != 2)
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "knob 'loss' = 'logistic' needs two classes, but the target has %zu: "
                         "use softmax or auto",
                         n_classes);
    *loss = strcmp(name, "logistic") == 0         ? DIAL_GBDT_LOGISTIC
            : strcmp(name, "softmax") == 0        ? DIAL_GBDT_SOFTMAX
            : strcmp(name, "squared_error") == 0  ? DIAL_GBDT_SQUARED
            : strcmp(name, "absolute_error") == 0 ? DIAL_GBDT_ABSOLUTE
                                                  : DIAL_GBDT_HUBER;
    return DIAL_OK;
}

static dial_status gbdt_resolve(dial_ctx *ctx, const dial_knobs *knobs, dial_task task,
                                size_t n_classes, dial_gbdt_params *p) {
    memset(p, 0, sizeof *p);
    dial_status status = gbdt_resolve_loss(ctx, knobs, task, n_classes, &p->loss);
    if (status != DIAL_OK) return status;
    long max_depth = dial_knobs_int(knobs, "max_depth");
    long max_leaves = dial_knobs_int(knobs, "max_leaves");
    if (max_depth == 0 && max_leaves == 0)
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "knob 'max_depth' = 0 (no depth limit) needs max_leaves > 0 (leaf-wise "
                         "growth); set max_depth >= 1 or max_leaves >= 2");
    p->huber_delta = dial_knobs_float(knobs, "huber_delta");
    p->n_estimators = (size_t)dial_knobs_int(knobs, "n_estimators");
    p->tree.learning_rate = dial_knobs_float(knobs, "learning_rate");
    p->tree.max_depth = (int)max_depth;
    p->tree.max_leaves = max_leaves > 1 << 30 ? 1 << 30 : (int)max_leaves;
    p->tree.split.min_child_weight = dial_knobs_float(knobs, "min_child_weight");
    p->tree.split.lambda = dial_knobs_float(knobs, "lambda");
    p->tree.split.alpha = dial_knobs_float(knobs, "alpha");
    p->tree.split.min_split_gain = dial_knobs_float(knobs, "min_split_gain");
    p->subsample = dial_knobs_float(knobs, "subsample");
    p->colsample = dial_knobs_float(knobs, "colsample");
    p->early_stopping_rounds = (size_t)dial_knobs_int(knobs, "early_stopping_rounds");
    p->validation_fraction = dial_knobs_float(knobs, "validation_fraction");
    p->seed = dial_ctx_seed(ctx);
    p->threads = dial_ctx_threads(ctx);
    return DIAL_OK;
}

/* ---- checks on the training data ----------------------------------------------------- */

static dial_status gbdt_check_target(dial_ctx *ctx, const dial_fit_input *in) {
    for (size_t i = 0; i < in->n_rows; i++) {
        double y = in->y[i];
        if (in->task == DIAL_TASK_CLASSIFICATION) {
            if (!(y >= 0 && y < (double)in->n_classes && y == floor(y)))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "gbdt: target of row %zu is %g, expected a class index in 0..%zu",
                                 i, y, in->n_classes - 1);
        } else if (!isfinite(y)) {
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "gbdt: target of row %zu is %g, expected a finite number", i, y);
        }
    }
    return DIAL_OK;
}

static dial_status gbdt_check_train(dial_ctx *ctx, const dial_fit_input *in) {
    if (in->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "gbdt: no training rows");
    if (in->n_rows >= UINT32_MAX)
        return dial_fail(ctx, DIAL_ERR_DATA, "gbdt: %zu training rows; at most %u", in->n_rows,
                         UINT32_MAX - 1);
    return gbdt_check_target(ctx, in);
}

/* ---- turning scores into predictions ---------------------------------------------------- */

/* Writes row i's prediction from its scores (one per tree of a round). */
static void gbdt_emit(dial_gbdt_loss loss, size_t n_scores, const double *score, size_t i,
                      dial_predict_output *out) {
    if (loss == DIAL_GBDT_LOGISTIC) {
        double s = score[0], e = exp(-fabs(s));
        double p = s >= 0 ? 1 / (1 + e) : e / (1 + e);
        out->value[i] = s > 0 ? 1.0 : 0.0;
        if (out->proba) {
            out->proba[2 * i] = 1 - p;
            out->proba[2 * i + 1] = p;
        }
        return;
    }
    if (loss != DIAL_GBDT_SOFTMAX) {
        out->value[i] = score[0];
        return;
    }
    size_t top = 0; /* a tie goes to the smaller class index */
    for (size_t k = 1; k < n_scores; k++)
        if (score[k] > score[top]) top = k;
    out->value[i] = (double)top;
    if (!out->proba) return;
    double *proba = out->proba + i * n_scores, sum = 0;
    for (size_t k = 0; k < n_scores; k++) sum += proba[k] = exp(score[k] - score[top]);
    for (size_t k = 0; k < n_scores; k++) proba[k] /= sum;
}

/* ---- fit ---------------------------------------------------------------------------- */

static dial_status gbdt_add_tensors(dial_ctx *ctx, const dial_gbdt_forest *forest,
                                    const dial_gbdt_bins *bins, dial_tensors *learned) {
    size_t n_trees = forest->n_rounds * forest->n_scores, n_nodes = forest->n_nodes;
    size_t d = bins->n_features;
    int64_t *offset, *feature, *default_left, *left, *right;
    double *threshold, *value, *base, *importance;
    size_t shape_offset[1] = {n_trees + 1}, shape_nodes[1] = {n_nodes};
    size_t shape_base[1] = {forest->n_scores}, shape_inputs[1] = {d};
    dial_status status =
        dial_tensors_add(ctx, learned, "tree_offset", DIAL_I64, 1, shape_offset, (void **)&offset);
    if (status == DIAL_OK)
        status =
            dial_tensors_add(ctx, learned, "feature", DIAL_I64, 1, shape_nodes, (void **)&feature);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "threshold", DIAL_F64, 1, shape_nodes,
                                  (void **)&threshold);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "default_left", DIAL_I64, 1, shape_nodes,
                                  (void **)&default_left);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "left", DIAL_I64, 1, shape_nodes, (void **)&left);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "right", DIAL_I64, 1, shape_nodes, (void **)&right);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "value", DIAL_F64, 1, shape_nodes, (void **)&value);
    if (status == DIAL_OK)
        status =
            dial_tensors_add(ctx, learned, "base_score", DIAL_F64, 1, shape_base, (void **)&base);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "importance_gain", DIAL_F64, 1, shape_inputs,
                                  (void **)&importance);
    if (status != DIAL_OK) return status;
    for (size_t t = 0; t <= n_trees; t++) offset[t] = (int64_t)forest->tree_offset[t];
    double total_gain = 0;
    for (size_t i = 0; i < n_nodes; i++) {
        const dial_gbdt_node *node = &forest->nodes[i];
        feature[i] = node->feature;
        left[i] = node->left;
        right[i] = node->right;
        default_left[i] = node->feature >= 0 ? node->default_left : 0;
        value[i] = node->value;
        threshold[i] = node->feature >= 0
                           ? dial_gbdt_bins_threshold(bins, (size_t)node->feature, node->bin)
                           : 0;
        if (node->feature >= 0) {
            importance[node->feature] += node->gain;
            total_gain += node->gain;
        }
    }
    if (total_gain > 0)
        for (size_t f = 0; f < d; f++) importance[f] /= total_gain;
    memcpy(base, forest->base, forest->n_scores * sizeof *base);
    return DIAL_OK;
}

static dial_status gbdt_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                            dial_tensors *learned) {
    dial_gbdt_params params;
    dial_status status = gbdt_resolve(ctx, knobs, in->task, in->n_classes, &params);
    if (status == DIAL_OK) status = gbdt_check_train(ctx, in);
    if (status != DIAL_OK) return status;
    dial_gbdt_bins bins;
    status = dial_gbdt_bins_fit(ctx, in->x, in->n_rows, in->n_features,
                                (int)dial_knobs_int(knobs, "max_bins"), params.threads, &bins);
    if (status != DIAL_OK) return status;
    uint8_t *codes = NULL;
    dial_gbdt_forest forest = {0};
    status = dial_gbdt_bins_code(ctx, &bins, in->x, in->n_rows, params.threads, &codes);
    if (status == DIAL_OK) {
        dial_gbdt_boost_data data = {.bins = &bins,
                                     .codes = codes,
                                     .n_rows = in->n_rows,
                                     .y = in->y,
                                     .n_classes = in->n_classes};
        status = dial_gbdt_boost(ctx, &params, &data, &forest);
    }
    free(codes);
    if (status == DIAL_OK) status = gbdt_add_tensors(ctx, &forest, &bins, learned);
    dial_gbdt_forest_free(&forest);
    dial_gbdt_bins_free(&bins);
    return status;
}

/* ---- the forest of a model, checked ---------------------------------------------------- */

/* One node as prediction walks it, with its children as absolute indices.
 * A leaf is its own child on both sides (and reads feature 0), so a walk
 * takes exactly as many steps as its tree is deep, without a test for the
 * leaf: the steps of several rows then interleave and no branch depends on
 * the data. */
typedef struct gbdt_walk_node {
    uint32_t feature;
    uint32_t left, right;
    uint32_t default_left;
    double threshold, value;
} gbdt_walk_node;

typedef struct gbdt_forest_view {
    dial_gbdt_loss loss;
    size_t n_scores, n_rounds;
    const double *base;
    gbdt_walk_node *nodes; /* owned */
    uint32_t *depth;       /* owned: the depth of each tree */
    const int64_t *offset; /* n_rounds * n_scores + 1 */
} gbdt_forest_view;

/* The tensor called name, of dtype and one dimension of length n (any
 * length when n is SIZE_MAX), or a DIAL_ERR_FORMAT naming what is wrong. */
static dial_status gbdt_tensor(dial_ctx *ctx, const dial_tensors *learned, const char *name,
                               dial_dtype dtype, size_t n, const dial_tensor **out) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t) return dial_fail(ctx, DIAL_ERR_FORMAT, "gbdt model has no tensor '%s'", name);
    if (t->dtype != dtype)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "gbdt model tensor '%s' is %s; expected %s", name,
                         t->dtype == DIAL_F64 ? "float64" : "int64",
                         dtype == DIAL_F64 ? "float64" : "int64");
    if (t->ndim != 1 || !t->data || (n != SIZE_MAX && t->shape[0] != n)) {
        if (n == SIZE_MAX)
            return dial_fail(ctx, DIAL_ERR_FORMAT, "gbdt model tensor '%s' must have one dimension",
                             name);
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "gbdt model tensor '%s' must have one dimension of %zu", name, n);
    }
    *out = t;
    return DIAL_OK;
}

static void gbdt_view_free(gbdt_forest_view *view) {
    free(view->nodes);
    free(view->depth);
    view->nodes = NULL;
    view->depth = NULL;
}

/* Reads and checks the forest: every size against the others, every node
 * (a feature within the inputs, children inside the tree and after their
 * parent, so that every walk ends), as the tensors may come from a file. */
static dial_status gbdt_view(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                             const dial_fit_input *in, gbdt_forest_view *view) {
    memset(view, 0, sizeof *view);
    dial_status status = gbdt_resolve_loss(ctx, knobs, in->task, in->n_classes, &view->loss);
    if (status != DIAL_OK) return status;
    size_t k_n = dial_gbdt_loss_scores(view->loss, in->n_classes);
    view->n_scores = k_n;
    const dial_tensor *offset = NULL, *feature = NULL, *threshold = NULL, *default_left = NULL;
    const dial_tensor *left = NULL, *right = NULL, *value = NULL, *base = NULL;
    status = gbdt_tensor(ctx, learned, "tree_offset", DIAL_I64, SIZE_MAX, &offset);
    if (status != DIAL_OK) return status;
    size_t n_trees = offset->shape[0] ? offset->shape[0] - 1 : 0;
    if (n_trees == 0 || n_trees % k_n != 0)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "gbdt model tensor 'tree_offset' has %zu entries; expected 1 + a "
                         "positive multiple of %zu (the trees of a round)",
                         offset->shape[0], k_n);
    const int64_t *off = offset->data;
    status = gbdt_tensor(ctx, learned, "feature", DIAL_I64, SIZE_MAX, &feature);
    if (status != DIAL_OK) return status;
    size_t n_nodes = feature->shape[0];
    if (off[0] != 0 || off[n_trees] < 0 || (uint64_t)off[n_trees] != n_nodes)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "gbdt model tensor 'tree_offset' must run from 0 to %zu (the nodes)",
                         n_nodes);
    for (size_t t = 0; t < n_trees; t++)
        if (off[t + 1] <= off[t] || off[t + 1] - off[t] > (int64_t)UINT32_MAX)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "gbdt model tensor 'tree_offset' must increase: tree %zu has %lld "
                             "nodes",
                             t, (long long)(off[t + 1] - off[t]));
    if (status == DIAL_OK)
        status = gbdt_tensor(ctx, learned, "threshold", DIAL_F64, n_nodes, &threshold);
    if (status == DIAL_OK)
        status = gbdt_tensor(ctx, learned, "default_left", DIAL_I64, n_nodes, &default_left);
    if (status == DIAL_OK) status = gbdt_tensor(ctx, learned, "left", DIAL_I64, n_nodes, &left);
    if (status == DIAL_OK) status = gbdt_tensor(ctx, learned, "right", DIAL_I64, n_nodes, &right);
    if (status == DIAL_OK) status = gbdt_tensor(ctx, learned, "value", DIAL_F64, n_nodes, &value);
    if (status == DIAL_OK) status = gbdt_tensor(ctx, learned, "base_score", DIAL_F64, k_n, &base);
    if (status != DIAL_OK) return status;
    const double *b = base->data;
    for (size_t k = 0; k < k_n; k++)
        if (!isfinite(b[k]))
            return dial_fail(ctx, DIAL_ERR_FORMAT, "gbdt model's base_score %zu is %g", k, b[k]);
    if (n_nodes >= UINT32_MAX)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "gbdt model has %zu nodes; at most %u", n_nodes,
                         UINT32_MAX - 1);
    view->nodes = malloc(n_nodes * sizeof *view->nodes);
    view->depth = calloc(n_trees, sizeof *view->depth);
    uint32_t *node_depth = calloc(n_nodes, sizeof *node_depth);
    if (!view->nodes || !view->depth || !node_depth) {
        free(node_depth);
        gbdt_view_free(view);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory reading %zu nodes", n_nodes);
    }
    const int64_t *fe = feature->data, *dl = default_left->data, *le = left->data,
                  *ri = right->data;
    const double *th = threshold->data, *va = value->data;
    for (size_t t = 0; t < n_trees; t++) {
        int64_t start = off[t], size = off[t + 1] - off[t];
        for (int64_t j = 0; j < size; j++) {
            size_t i = (size_t)(start + j);
            gbdt_walk_node *node = &view->nodes[i];
            if (!isfinite(va[i]))
                status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                   "gbdt model: node %lld of tree %zu has value %g", (long long)j,
                                   t, va[i]);
            else if (fe[i] == -1) {
                if (le[i] != -1 || ri[i] != -1)
                    status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                       "gbdt model: leaf %lld of tree %zu has children (%lld, "
                                       "%lld); a leaf's are -1",
                                       (long long)j, t, (long long)le[i], (long long)ri[i]);
                *node = (gbdt_walk_node){.left = (uint32_t)i, .right = (uint32_t)i, .value = va[i]};
            } else if (fe[i] < 0 || (uint64_t)fe[i] >= in->n_features) {
                status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                   "gbdt model: node %lld of tree %zu splits on feature %lld; "
                                   "the model has %zu inputs",
                                   (long long)j, t, (long long)fe[i], in->n_features);
            } else if (le[i] <= j || le[i] >= size || ri[i] <= j || ri[i] >= size) {
                status =
                    dial_fail(ctx, DIAL_ERR_FORMAT,
                              "gbdt model: node %lld of tree %zu has children (%lld, %lld); "
                              "each must come after it and before %lld, the tree's size",
                              (long long)j, t, (long long)le[i], (long long)ri[i], (long long)size);
            } else if (isnan(th[i]) || (dl[i] != 0 && dl[i] != 1)) {
                status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                   "gbdt model: node %lld of tree %zu has threshold %g and "
                                   "default_left %lld; expected a number and 0 or 1",
                                   (long long)j, t, th[i], (long long)dl[i]);
            } else {
                *node = (gbdt_walk_node){.feature = (uint32_t)fe[i],
                                         .left = (uint32_t)(start + le[i]),
                                         .right = (uint32_t)(start + ri[i]),
                                         .default_left = (uint32_t)dl[i],
                                         .threshold = th[i],
                                         .value = va[i]};
                /* children come later: their depth is final when reached */
                uint32_t below = node_depth[i] + 1;
                if (node_depth[node->left] < below) node_depth[node->left] = below;
                if (node_depth[node->right] < below) node_depth[node->right] = below;
                if (view->depth[t] < below) view->depth[t] = below;
            }
            if (status != DIAL_OK) {
                free(node_depth);
                gbdt_view_free(view);
                return status;
            }
        }
    }
    free(node_depth);
    view->base = b;
    view->offset = off;
    view->n_rounds = n_trees / k_n;
    return DIAL_OK;
}

/* ---- predicting from the forest ------------------------------------------------------- */

#define GBDT_PREDICT_BLOCK 64

typedef struct gbdt_predictor {
    const gbdt_forest_view *view;
    const double *x;
    size_t n_rows, n_features;
    const size_t *rounds; /* stages, ascending */
    size_t n_stages;
    dial_predict_output *outs;
    double *scratch; /* threads x n_scores x (block + 1) scores */
} gbdt_predictor;

static inline uint32_t gbdt_step(const gbdt_walk_node *node, const double *row) {
    double v = row[node->feature];
    /* NaN compares false: it goes left only by default */
    uint32_t left = (uint32_t)(v <= node->threshold) | ((uint32_t)(v != v) & node->default_left);
    return left ? node->left : node->right;
}

/* Adds the tree at root (depth steps deep) to the scores of m rows of x,
 * four rows at a time so that their walks overlap. */
static void gbdt_walk_rows(const gbdt_walk_node *nodes, uint32_t root, uint32_t depth,
                           const double *x, size_t stride, size_t m, double *score) {
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        const double *r0 = x + i * stride, *r1 = r0 + stride, *r2 = r1 + stride, *r3 = r2 + stride;
        uint32_t a = root, b = root, c = root, d = root;
        for (uint32_t step = 0; step < depth; step++) {
            a = gbdt_step(nodes + a, r0);
            b = gbdt_step(nodes + b, r1);
            c = gbdt_step(nodes + c, r2);
            d = gbdt_step(nodes + d, r3);
        }
        score[i] += nodes[a].value;
        score[i + 1] += nodes[b].value;
        score[i + 2] += nodes[c].value;
        score[i + 3] += nodes[d].value;
    }
    for (; i < m; i++) {
        uint32_t a = root;
        for (uint32_t step = 0; step < depth; step++) a = gbdt_step(nodes + a, x + i * stride);
        score[i] += nodes[a].value;
    }
}

static dial_status gbdt_predict_blocks(void *arg, size_t begin, size_t end, int worker) {
    const gbdt_predictor *pr = arg;
    const gbdt_forest_view *view = pr->view;
    size_t k_n = view->n_scores;
    /* the block's scores, class-major, then one row's scores side by side */
    double *score = pr->scratch + (size_t)worker * k_n * (GBDT_PREDICT_BLOCK + 1);
    double *row_score = score + k_n * GBDT_PREDICT_BLOCK;
    for (size_t block = begin; block < end; block++) {
        size_t i0 = block * GBDT_PREDICT_BLOCK;
        size_t m = pr->n_rows - i0 < GBDT_PREDICT_BLOCK ? pr->n_rows - i0 : GBDT_PREDICT_BLOCK;
        for (size_t k = 0; k < k_n; k++)
            for (size_t i = 0; i < m; i++) score[k * GBDT_PREDICT_BLOCK + i] = view->base[k];
        size_t stage = 0, round = 0;
        while (stage < pr->n_stages) {
            size_t target = pr->rounds[stage] < view->n_rounds ? pr->rounds[stage] : view->n_rounds;
            for (; round < target; round++)
                for (size_t k = 0; k < k_n; k++) {
                    size_t tree = round * k_n + k;
                    gbdt_walk_rows(view->nodes, (uint32_t)view->offset[tree], view->depth[tree],
                                   pr->x + i0 * pr->n_features, pr->n_features, m,
                                   score + k * GBDT_PREDICT_BLOCK);
                }
            for (size_t i = 0; i < m; i++) {
                for (size_t k = 0; k < k_n; k++) row_score[k] = score[k * GBDT_PREDICT_BLOCK + i];
                gbdt_emit(view->loss, k_n, row_score, i0 + i, &pr->outs[stage]);
            }
            stage++;
        }
    }
    return DIAL_OK;
}

static dial_status gbdt_predict_stages(dial_ctx *ctx, const dial_knobs *knobs,
                                       const dial_tensors *learned, const dial_fit_input *in,
                                       const size_t *rounds, size_t n_stages,
                                       dial_predict_output *outs) {
    for (size_t s = 0; s < n_stages; s++) {
        if (rounds[s] == 0 || (s > 0 && rounds[s] <= rounds[s - 1]))
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "gbdt: staged rounds must be positive and increasing; stage %zu is "
                             "%zu",
                             s, rounds[s]);
        if (outs[s].proba && in->task != DIAL_TASK_CLASSIFICATION)
            return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                             "gbdt: no class probabilities in regression");
    }
    gbdt_forest_view view;
    dial_status status = gbdt_view(ctx, knobs, learned, in, &view);
    if (status != DIAL_OK) return status;
    if (in->n_rows == 0 || n_stages == 0) {
        gbdt_view_free(&view);
        return DIAL_OK;
    }
    size_t n_blocks = (in->n_rows + GBDT_PREDICT_BLOCK - 1) / GBDT_PREDICT_BLOCK;
    int threads = dial_ctx_threads(ctx);
    if ((size_t)threads > n_blocks) threads = (int)n_blocks;
    if (n_blocks < 4) threads = 1;
    gbdt_predictor pr = {.view = &view,
                         .x = in->x,
                         .n_rows = in->n_rows,
                         .n_features = in->n_features,
                         .rounds = rounds,
                         .n_stages = n_stages,
                         .outs = outs};
    pr.scratch =
        malloc((size_t)threads * view.n_scores * (GBDT_PREDICT_BLOCK + 1) * sizeof *pr.scratch);
    if (!pr.scratch)
        status =
            dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory predicting %zu rows", in->n_rows);
    else
        status = dial_parallel_for(ctx, threads, n_blocks, gbdt_predict_blocks, &pr);
    free(pr.scratch);
    gbdt_view_free(&view);
    return status;
}

static dial_status gbdt_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in, dial_predict_output *out) {
    size_t all = SIZE_MAX;
    return gbdt_predict_stages(ctx, knobs, learned, in, &all, 1, out);
}

dial_status dial_gbdt_predict_staged(dial_ctx *ctx, const dial_knobs *knobs,
                                     const dial_tensors *learned, const dial_fit_input *in,
                                     const size_t *rounds, size_t n_stages,
                                     dial_predict_output *outs) {
    return gbdt_predict_stages(ctx, knobs, learned, in, rounds, n_stages, outs);
}

/* ---- prepare once, fit many ------------------------------------------------------------- */

/* Checks a model's tensors when a model file is loaded. */
static dial_status gbdt_validate(dial_ctx *ctx, const dial_knobs *knobs,
                                 const dial_tensors *learned, const dial_fit_input *in) {
    gbdt_forest_view view;
    dial_status status = gbdt_view(ctx, knobs, learned, in, &view);
    if (status == DIAL_OK) gbdt_view_free(&view);
    return status;
}

static const char *const gbdt_prepare_knobs[] = {"max_bins", NULL};

/* A fold's bins and codes, shared read-only by every trial. The test rows
 * are coded after the training rows in one matrix, so that boosting routes
 * them through each tree as it grows (see dial_gbdt_boost_data). */
typedef struct gbdt_fold {
    dial_gbdt_bins bins;
    uint8_t *codes; /* column-major, n_train + n_test rows */
    double *y;
    size_t n_train, n_test, n_features, n_classes;
    dial_task task;
    long max_bins;
} gbdt_fold;

static void gbdt_free_fold(void *state) {
    gbdt_fold *fold = state;
    if (!fold) return;
    dial_gbdt_bins_free(&fold->bins);
    free(fold->codes);
    free(fold->y);
    free(fold);
}

static dial_status gbdt_prepare_fold(dial_ctx *ctx, const dial_knobs *knobs,
                                     const dial_knobs *knobs_max, const dial_fit_input *train,
                                     const dial_fit_input *test, void **fold_state) {
    (void)knobs_max; /* the bins do not depend on how far the search goes */
    *fold_state = NULL;
    if (test->n_features != train->n_features)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "gbdt: the fold's test rows have %zu features, its training rows %zu",
                         test->n_features, train->n_features);
    dial_status status = gbdt_check_train(ctx, train);
    if (status != DIAL_OK) return status;
    if (test->n_rows >= UINT32_MAX - train->n_rows)
        return dial_fail(ctx, DIAL_ERR_DATA, "gbdt: %zu training and %zu test rows; at most %u",
                         train->n_rows, test->n_rows, UINT32_MAX - 1);
    gbdt_fold *fold = calloc(1, sizeof *fold);
    if (!fold) return dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory preparing a fold");
    fold->n_train = train->n_rows;
    fold->n_test = test->n_rows;
    fold->n_features = train->n_features;
    fold->n_classes = train->n_classes;
    fold->task = train->task;
    fold->max_bins = dial_knobs_int(knobs, "max_bins");
    int threads = dial_ctx_threads(ctx);
    fold->y = malloc(train->n_rows * sizeof *fold->y);
    if (!fold->y) {
        gbdt_free_fold(fold);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory preparing a fold");
    }
    memcpy(fold->y, train->y, train->n_rows * sizeof *fold->y);
    status = dial_gbdt_bins_fit(ctx, train->x, train->n_rows, train->n_features,
                                (int)fold->max_bins, threads, &fold->bins);
    uint8_t *train_codes = NULL, *test_codes = NULL;
    if (status == DIAL_OK)
        status =
            dial_gbdt_bins_code(ctx, &fold->bins, train->x, train->n_rows, threads, &train_codes);
    if (status == DIAL_OK)
        status = dial_gbdt_bins_code(ctx, &fold->bins, test->x, test->n_rows, threads, &test_codes);
    if (status == DIAL_OK) {
        size_t stride = fold->n_train + fold->n_test, d = fold->n_features;
        fold->codes = malloc(stride * d + DIAL_GBDT_CODES_PAD);
        if (!fold->codes)
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory preparing a fold");
        else
            memset(fold->codes + stride * d, 0, DIAL_GBDT_CODES_PAD);
        for (size_t f = 0; fold->codes && f < d; f++) {
            memcpy(fold->codes + f * stride, train_codes + f * fold->n_train, fold->n_train);
            memcpy(fold->codes + f * stride + fold->n_train, test_codes + f * fold->n_test,
                   fold->n_test);
        }
    }
    free(train_codes);
    free(test_codes);
    if (status != DIAL_OK) {
        gbdt_free_fold(fold);
        return status;
    }
    *fold_state = fold;
    return DIAL_OK;
}

/* The trial's parameters on a prepared fold, or DIAL_ERR_UNSUPPORTED when
 * the fold's bins are not the trial's. */
static dial_status gbdt_fold_params(dial_ctx *ctx, const dial_knobs *knobs, const gbdt_fold *fold,
                                    dial_gbdt_params *params) {
    if (!fold) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "gbdt: no prepared fold");
    if (dial_knobs_int(knobs, "max_bins") != fold->max_bins)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "gbdt: the fold was prepared with max_bins=%ld, the trial asks for %ld",
                         fold->max_bins, dial_knobs_int(knobs, "max_bins"));
    return gbdt_resolve(ctx, knobs, fold->task, fold->n_classes, params);
}

/* Writes the predictions of the fold's test rows from their scores
 * (class-major, n_scores x n_test); row is n_scores doubles of scratch. */
static void gbdt_emit_fold(const gbdt_fold *fold, dial_gbdt_loss loss, size_t k_n,
                           const double *margin, double *row, dial_predict_output *out) {
    size_t n = fold->n_test;
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < k_n; k++) row[k] = margin[k * n + i];
        gbdt_emit(loss, k_n, row, i, out);
    }
}

/* Boosts on the fold's training rows with its test rows as extra rows,
 * whose scores land in margin (n_scores x n_test). */
static dial_status gbdt_fold_boost(dial_ctx *ctx, const dial_gbdt_params *params,
                                   const gbdt_fold *fold, double *margin,
                                   dial_gbdt_forest *forest) {
    dial_gbdt_boost_data data = {.bins = &fold->bins,
                                 .codes = fold->codes,
                                 .n_rows = fold->n_train,
                                 .y = fold->y,
                                 .n_classes = fold->n_classes,
                                 .n_extra = fold->n_test,
                                 .extra_margin = margin};
    return dial_gbdt_boost(ctx, params, &data, forest);
}

static dial_status gbdt_predict_fold(dial_ctx *ctx, const dial_knobs *knobs, const void *fold_state,
                                     dial_predict_output *out) {
    const gbdt_fold *fold = fold_state;
    dial_gbdt_params params;
    dial_status status = gbdt_fold_params(ctx, knobs, fold, &params);
    if (status != DIAL_OK) return status;
    if (out->proba && fold->task != DIAL_TASK_CLASSIFICATION)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "gbdt: no class probabilities in regression");
    size_t k_n = dial_gbdt_loss_scores(params.loss, fold->n_classes), n = fold->n_test;
    double *margin = malloc((k_n * n > 0 ? k_n * n : 1) * sizeof *margin);
    double *row = malloc(k_n * sizeof *row);
    dial_gbdt_forest forest = {0};
    if (!margin || !row)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory predicting %zu rows", n);
    else
        status = gbdt_fold_boost(ctx, &params, fold, margin, &forest);
    if (status == DIAL_OK) {
        /* Early stopping may drop the last rounds run, which the scores
         * hold: the kept forest then walks the test rows again, adding its
         * rounds in the same order. */
        if (forest.n_rounds < params.n_estimators)
            dial_gbdt_forest_margins(&forest, fold->codes + fold->n_train,
                                     fold->n_train + fold->n_test, n, forest.n_rounds, margin);
        gbdt_emit_fold(fold, params.loss, k_n, margin, row, out);
        dial_gbdt_forest_free(&forest);
    }
    free(margin);
    free(row);
    return status;
}

/* What the path's rounds carry from one to the next: the test rows'
 * scores, the next step, and where the predictions go. */
typedef struct gbdt_path {
    const gbdt_fold *fold;
    dial_gbdt_loss loss;
    double *margin; /* n_scores x n_test */
    double *row;
    const size_t *steps;
    size_t n_steps, next;
    dial_predict_output out;
    dial_status (*on_step)(void *user, size_t s, const dial_predict_output *out);
    void *user;
} gbdt_path;

/* After each round (whose trees boosting has added to the test rows'
 * scores, as predict_fold's): at a step, the predictions go to the
 * caller. */
static dial_status gbdt_path_round(void *user, const dial_gbdt_forest *forest, size_t round) {
    gbdt_path *path = user;
    const gbdt_fold *fold = path->fold;
    if (path->next >= path->n_steps || round + 1 != path->steps[path->next]) return DIAL_OK;
    gbdt_emit_fold(fold, path->loss, forest->n_scores, path->margin, path->row, &path->out);
    return path->on_step(path->user, path->next++, &path->out);
}

static dial_status
gbdt_predict_fold_path(dial_ctx *ctx, const dial_knobs *knobs, const void *fold_state,
                       const size_t *steps, size_t n_steps, bool want_proba,
                       dial_status (*on_step)(void *user, size_t s, const dial_predict_output *out),
                       void *user) {
    const gbdt_fold *fold = fold_state;
    dial_gbdt_params params;
    dial_status status = gbdt_fold_params(ctx, knobs, fold, &params);
    if (status != DIAL_OK) return status;
    if (n_steps == 0 || !on_step)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "gbdt: a path needs steps and an on_step");
    for (size_t s = 0; s < n_steps; s++)
        if (steps[s] == 0 || (s > 0 && steps[s] <= steps[s - 1]))
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "gbdt: the steps of n_estimators must be positive and increasing; "
                             "step %zu is %zu",
                             s, steps[s]);
    if (steps[n_steps - 1] != params.n_estimators)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "gbdt: the last step is %zu but knob 'n_estimators' = %zu; they must "
                         "agree",
                         steps[n_steps - 1], params.n_estimators);
    /* Early stopping keeps the rounds up to the best validation loss of
     * all the rounds run: the model of n_estimators = m is not the first m
     * rounds of a longer fit. */
    if (params.early_stopping_rounds > 0)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "gbdt: no path along n_estimators with early_stopping_rounds = %zu "
                         "(the kept rounds depend on the total)",
                         params.early_stopping_rounds);
    size_t k_n = dial_gbdt_loss_scores(params.loss, fold->n_classes), n = fold->n_test;
    bool proba = want_proba && fold->task == DIAL_TASK_CLASSIFICATION;
    gbdt_path path = {.fold = fold,
                      .loss = params.loss,
                      .steps = steps,
                      .n_steps = n_steps,
                      .on_step = on_step,
                      .user = user};
    path.margin = malloc((k_n * n > 0 ? k_n * n : 1) * sizeof *path.margin);
    path.row = malloc(k_n * sizeof *path.row);
    path.out.value = malloc((n ? n : 1) * sizeof *path.out.value);
    path.out.proba =
        proba ? malloc((n * fold->n_classes > 0 ? n * fold->n_classes : 1) * sizeof *path.out.proba)
              : NULL;
    dial_gbdt_forest forest = {0};
    if (!path.margin || !path.row || !path.out.value || (proba && !path.out.proba)) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory predicting %zu rows", n);
    } else {
        params.on_round = gbdt_path_round;
        params.on_round_user = &path;
        status = gbdt_fold_boost(ctx, &params, fold, path.margin, &forest);
    }
    if (status == DIAL_OK) dial_gbdt_forest_free(&forest);
    free(path.margin);
    free(path.row);
    free(path.out.value);
    free(path.out.proba);
    return status;
}

static const dial_family_tuning gbdt_tuning = {
    .prepare_knobs = gbdt_prepare_knobs,
    .prepare_fold = gbdt_prepare_fold,
    .predict_fold = gbdt_predict_fold,
    .free_fold = gbdt_free_fold,
    .path_knob = "n_estimators",
    .predict_fold_path = gbdt_predict_fold_path,
};

const dial_model_family dial_model_gbdt = {
    .name = "gbdt",
    .summary = "histogram gradient boosting of trees (as XGBoost's hist), for classification "
               "and regression",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION) | DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .has_proba = true,
    .handles_missing = true,
    .knobs = gbdt_knobs,
    .n_knobs = sizeof gbdt_knobs / sizeof gbdt_knobs[0],
    .params = gbdt_params,
    .n_params = sizeof gbdt_params / sizeof gbdt_params[0],
    .nonparametric_doc = NULL,
    .fit = gbdt_fit,
    .predict = gbdt_predict,
    .tuning = &gbdt_tuning,
    .validate = gbdt_validate,
};

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
 *   dial_gbdt_predict.c  the learned tensors checked, predicting from them (on
 *                 raw, preprocessed values: a threshold is a bin's upper
 *                 edge), staged predictions
 *   gbdt_category.c  categorical features as units of their own (native
 *                 splits by a subset of levels) and their tensors
 *   gbdt_fold.c   the tuner's prepare-once path (the bins of a fold are
 *                 made once and shared by every trial with the same
 *                 max_bins)
 * and this file: the knobs, fitting and the learned tensors it writes.
 *
 *   gbdt_sparse_bins.c  sparse rows (a LIBSVM file): bins from the
 *                 nonzero values and a bin of zeros, a code per entry;
 *                 histograms over the entries (gbdt_hist.c), zeros sent
 *                 to the side that gains most (gbdt_split.c, XGBoost's
 *                 sparsity-aware search), kept in tensor zero_left
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

#include "core/alloc.h"
#include "models/family_tuning.h"
#include "models/gbdt.h"
#include "models/gbdt_bins.h"
#include "models/gbdt_boost.h"
#include "models/cart.h"
#include "models/gbdt_category.h"
#include "models/gbdt_family.h"

static const char *const gbdt_categorical_choices[] = {"native", "onehot", NULL};
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
    {.name = "categorical",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "native",
     .choices = gbdt_categorical_choices,
     .condition = "",
     .doc = "how a categorical feature of at most 255 levels is split: native (by a subset of its "
            "levels, ordered by their gradient over hessian, as LightGBM's categorical splits) or "
            "onehot (one level against the rest per node)"},
};

static const dial_param_doc gbdt_params[] = {
    {"tree_offset", "n_trees + 1",
     "where each tree's nodes start in the node arrays; tree t is round t / n_scores, class t % "
     "n_scores (n_scores: n_classes with softmax, else 1)"},
    {"feature", "n_nodes", "the input a node splits on, -1 for a leaf"},
    {"threshold", "n_nodes", "a row goes left when its value <= threshold (a bin's upper edge)"},
    {"default_left", "n_nodes", "1 when a missing value goes left"},
    {"zero_left", "n_nodes",
     "fitted on sparse rows only: 1 when a zero (an absent entry) goes left, learned as "
     "XGBoost's default direction rather than read off the threshold"},
    {"left", "n_nodes", "index of the left child within its tree, -1 for a leaf"},
    {"right", "n_nodes", "index of the right child within its tree, -1 for a leaf"},
    {"value", "n_nodes", "what a leaf adds to its class score (learning rate included)"},
    {"base_score", "n_scores",
     "starting score: log-odds, log class priors, mean or median of the target"},
    {"importance_gain", "n_inputs",
     "each input's share of the total gain of all splits (a split on a category counts for its "
     "block's first input)"},
    DIAL_CART_CATEGORY_PARAMS,
};

/* ---- knobs to parameters ------------------------------------------------------------ */

dial_status dial_gbdt_resolve_loss(dial_ctx *ctx, const dial_knobs *knobs, dial_task task,
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

bool dial_gbdt_native(const dial_knobs *knobs) {
    long categorical = dial_knobs_find(knobs, "categorical");
    return categorical < 0 || strcmp(dial_knobs_choice(knobs, "categorical"), "native") == 0;
}

dial_status dial_gbdt_resolve(dial_ctx *ctx, const dial_knobs *knobs, dial_task task,
                              size_t n_classes, dial_gbdt_params *p) {
    memset(p, 0, sizeof *p);
    dial_status status = dial_gbdt_resolve_loss(ctx, knobs, task, n_classes, &p->loss);
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
    p->native = dial_gbdt_native(knobs);
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

dial_status dial_gbdt_check_train(dial_ctx *ctx, const dial_fit_input *in) {
    if (in->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "gbdt: no training rows");
    if (in->n_rows >= UINT32_MAX)
        return dial_fail(ctx, DIAL_ERR_DATA, "gbdt: %zu training rows; at most %u", in->n_rows,
                         UINT32_MAX - 1);
    return gbdt_check_target(ctx, in);
}

/* ---- fit ---------------------------------------------------------------------------- */

dial_status dial_gbdt_add_tensors(dial_ctx *ctx, const dial_gbdt_forest *forest,
                                  const dial_gbdt_bins *bins, const dial_gbdt_units *units,
                                  dial_tensors *learned) {
    size_t n_trees = forest->n_rounds * forest->n_scores, n_nodes = forest->n_nodes;
    size_t d = units->n_inputs;
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
        bool split = node->feature >= 0, category = split && units->levels[node->feature];
        feature[i] = split ? (int64_t)units->column[node->feature] : -1;
        left[i] = node->left;
        right[i] = node->right;
        default_left[i] = split ? node->default_left : 0;
        value[i] = node->value;
        threshold[i] = split && !category
                           ? dial_gbdt_bins_threshold(bins, (size_t)node->feature, node->bin)
                           : 0;
        if (split) {
            importance[feature[i]] += node->gain;
            total_gain += node->gain;
        }
    }
    if (total_gain > 0)
        for (size_t f = 0; f < d; f++) importance[f] /= total_gain;
    memcpy(base, forest->base, forest->n_scores * sizeof *base);
    if (bins->zero_code) {
        /* sparse rows: where zeros go is learned, not read off the threshold */
        int64_t *zero_left;
        status = dial_tensors_add(ctx, learned, "zero_left", DIAL_I64, 1, shape_nodes,
                                  (void **)&zero_left);
        if (status != DIAL_OK) return status;
        for (size_t i = 0; i < n_nodes; i++) {
            const dial_gbdt_node *node = &forest->nodes[i];
            if (node->feature < 0)
                zero_left[i] = 0;
            else if (bins->zero_code[node->feature] != DIAL_GBDT_NO_ZERO)
                zero_left[i] = node->zero_left;
            else
                zero_left[i] = 0 <= threshold[i];
        }
    }
    return dial_gbdt_category_tensors_add(ctx, learned, units, forest);
}

/* Fits on sparse rows (in->sparse): bins from their values, codes beside
 * their entries, nothing of size rows x features. */
static dial_status gbdt_fit_sparse(dial_ctx *ctx, const dial_gbdt_params *params, int max_bins,
                                   const dial_fit_input *in, const dial_gbdt_units *units,
                                   dial_tensors *learned) {
    const dial_csr *a = in->sparse;
    if (a->n_rows != in->n_rows || a->n_cols != in->n_features)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "gbdt: sparse rows are %zu x %zu; the input says %zu x %zu", a->n_rows,
                         a->n_cols, in->n_rows, in->n_features);
    dial_gbdt_bins bins = {0};
    dial_status status = dial_gbdt_bins_fit_sparse(ctx, a, max_bins, params->threads, &bins);
    uint8_t *codes = NULL;
    dial_gbdt_forest forest = {0};
    if (status == DIAL_OK)
        status = dial_gbdt_bins_code_sparse(ctx, &bins, a, params->threads, &codes);
    if (status == DIAL_OK) {
        dial_gbdt_sparse_rows rows = {.row_start = a->row_start, .col = a->col, .codes = codes};
        dial_gbdt_boost_data data = {.bins = &bins,
                                     .sparse = &rows,
                                     .n_rows = in->n_rows,
                                     .y = in->y,
                                     .n_classes = in->n_classes};
        status = dial_gbdt_boost(ctx, params, &data, &forest);
    }
    free(codes);
    if (status == DIAL_OK) status = dial_gbdt_add_tensors(ctx, &forest, &bins, units, learned);
    dial_gbdt_forest_free(&forest);
    dial_gbdt_bins_free(&bins);
    /* the workers' histograms (features x bins each) were freed in their
     * arenas: give those pages back before the caller predicts */
    dial_release_free_memory();
    return status;
}

static dial_status gbdt_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                            dial_tensors *learned) {
    dial_gbdt_params params;
    dial_status status = dial_gbdt_resolve(ctx, knobs, in->task, in->n_classes, &params);
    if (status == DIAL_OK) status = dial_gbdt_check_train(ctx, in);
    if (status != DIAL_OK) return status;
    dial_gbdt_units units;
    status = dial_gbdt_units_make(ctx, in, params.native, &units);
    if (status != DIAL_OK) return status;
    if (in->sparse) {
        status = gbdt_fit_sparse(ctx, &params, (int)dial_knobs_int(knobs, "max_bins"), in, &units,
                                 learned);
        dial_gbdt_units_free(&units);
        return status;
    }
    /* boosting sees the units: the inputs themselves without native blocks */
    double *x_units = NULL;
    const double *x = in->x;
    if (units.n_blocks) {
        status = dial_gbdt_units_reduce(ctx, &units, in->x, in->n_rows, &x_units);
        x = x_units;
    }
    dial_gbdt_bins bins = {0};
    if (status == DIAL_OK)
        status = dial_gbdt_bins_fit_levels(
            ctx, x, in->n_rows, units.n_units, (int)dial_knobs_int(knobs, "max_bins"),
            units.n_blocks ? units.levels : NULL, params.threads, &bins);
    uint8_t *codes = NULL;
    dial_gbdt_forest forest = {0};
    if (status == DIAL_OK)
        status = dial_gbdt_bins_code(ctx, &bins, x, in->n_rows, params.threads, &codes);
    if (status == DIAL_OK) {
        dial_gbdt_boost_data data = {.bins = &bins,
                                     .codes = codes,
                                     .n_rows = in->n_rows,
                                     .y = in->y,
                                     .n_classes = in->n_classes};
        status = dial_gbdt_boost(ctx, &params, &data, &forest);
    }
    free(codes);
    free(x_units);
    if (status == DIAL_OK) status = dial_gbdt_add_tensors(ctx, &forest, &bins, &units, learned);
    dial_gbdt_forest_free(&forest);
    dial_gbdt_bins_free(&bins);
    dial_gbdt_units_free(&units);
    return status;
}

static const dial_family_tuning gbdt_tuning = {
    .prepare_knobs = dial_gbdt_prepare_knobs,
    .prepare_fold = dial_gbdt_prepare_fold,
    .predict_fold = dial_gbdt_predict_fold,
    .free_fold = dial_gbdt_free_fold,
    .path_knob = "n_estimators",
    .predict_fold_path = dial_gbdt_predict_fold_path,
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
    .predict = dial_gbdt_predict,
    .tuning = &gbdt_tuning,
    .validate = dial_gbdt_validate,
    .trees = dial_gbdt_trees,
    .sparse_input = true,
    .categories_natively = true,
};

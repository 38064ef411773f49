/*
 * tree: one CART decision tree (Breiman, Friedman, Olshen and Stone, 1984),
 * for classification (gini or entropy) and regression (squared or absolute
 * error), as scikit-learn's DecisionTreeClassifier and
 * DecisionTreeRegressor: grown depth first until its leaves are pure or
 * too small, then optionally pruned by minimal cost-complexity (ccp_alpha).
 * Split finding, growth and the node arrays live in cart_*.c, shared with
 * the forest; so do native splits on categorical features (cart.h).
 *
 * Ties between equally good splits go to the feature drawn first: features
 * are drawn in an order from the context's seed (stream 0), so a tree is
 * reproducible, and differs from scikit-learn's only where two splits tie.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/cart.h"

static const dial_knob_spec tree_knobs[] = {
    DIAL_PREPROCESS_KNOBS("none"),
    DIAL_CART_CRITERION_KNOB,
    {.name = "max_depth",
     .type = DIAL_KNOB_INT,
     .default_text = "0",
     .lower = 0,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1,
     .search_high = 30,
     .condition = "",
     .doc = "deepest level a node may sit at (the root is level 0); 0 grows until the leaves are "
            "pure or too small to split (searched 1..30, rpart's limit and the range of Probst, "
            "Boulesteix and Bischl, Tunability, JMLR 2019)"},
    {.name = "min_samples_split",
     .type = DIAL_KNOB_INT,
     .default_text = "2",
     .lower = 2,
     .upper = INFINITY,
     .condition = "",
     .doc = "fewest training rows a node needs to be split"},
    {.name = "min_samples_leaf",
     .type = DIAL_KNOB_INT,
     .default_text = "1",
     .lower = 1,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1,
     .search_high = 50,
     .log_scale = true,
     .condition = "",
     .doc = "fewest training rows each child of a split must keep; larger values smooth the "
            "model (scikit-learn's default 1; searched 1..50 on a log scale, as rpart's minbucket "
            "in Probst, Boulesteix and Bischl)"},
    DIAL_CART_MAX_FEATURES_KNOBS("all", false),
    {.name = "min_impurity_decrease",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = 0,
     .upper = INFINITY,
     .condition = "",
     .doc = "a split is made only if it lowers the impurity, weighted by the share of training "
            "rows in the node, by at least this much"},
    {.name = "ccp_alpha",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = 0,
     .upper = INFINITY,
     .condition = "",
     .doc = "complexity cost per leaf of minimal cost-complexity pruning (Breiman et al. 1984): "
            "after growing, subtrees whose impurity gain per extra leaf is at most this are cut; "
            "0 prunes nothing"},
    DIAL_CART_CLASS_WEIGHT_KNOB,
    DIAL_CART_CATEGORICAL_KNOB,
};

static const dial_param_doc tree_params[] = {
    {"feature", "n_nodes", "the input each node splits on; -1 for a leaf"},
    {"threshold", "n_nodes",
     "a row goes to the left child when its input is <= threshold (the midpoint between two "
     "training values); 0 for a leaf"},
    {"left", "n_nodes", "index of the left child, -1 for a leaf; a child comes after its parent"},
    {"right", "n_nodes", "index of the right child, -1 for a leaf"},
    {"value", "n_nodes x n_classes (x 1 for regression)",
     "what the node predicts: the class shares of its training rows (weighted), or their mean "
     "(median for absolute_error)"},
    {"n_samples", "n_nodes", "training rows that reach the node"},
    {"impurity", "n_nodes", "the node's impurity under the criterion"},
    {"importance", "n_inputs",
     "impurity importance: how much the splits on each input lower the weighted impurity, "
     "normalised to sum to 1 (a split on a category counts for its block's first input)"},
    DIAL_CART_CATEGORY_PARAMS,
};

/* Per-row weights: the class weight of each row, or 1. NULL when out of
 * memory. */
static double *tree_row_weights(const dial_ctx *ctx, const dial_cart_data *data, bool balanced) {
    double *weight = dial_malloc(ctx, data->n_rows * sizeof *weight);
    double *by_class = balanced ? dial_cart_balanced_weights(ctx, data) : NULL;
    if (!weight || (balanced && !by_class)) {
        free(weight);
        free(by_class);
        return NULL;
    }
    for (size_t i = 0; i < data->n_rows; i++) weight[i] = by_class ? by_class[data->label[i]] : 1;
    free(by_class);
    return weight;
}

static dial_status tree_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                            dial_tensors *learned) {
    dial_cart_params params;
    dial_status status = dial_cart_params_from_knobs(ctx, "tree", knobs, in, &params);
    if (status != DIAL_OK) return status;
    dial_cart_data data;
    status = dial_cart_data_prepare(ctx, "tree", in, params.native, &data);
    if (status != DIAL_OK) return status;
    double *weight = tree_row_weights(ctx, &data, params.balanced);
    dial_cart_workspace *ws = dial_cart_workspace_new(ctx, &data);
    double *importance = NULL;
    dial_cart_tree tree = {0};
    if (!weight || !ws) {
        status = DIAL_ERR_NOMEM;
    } else {
        dial_rng rng = dial_rng_stream(dial_ctx_seed(ctx), 0);
        status = dial_cart_grow(ws, &data, &params, weight, &rng, &tree);
    }
    if (status != DIAL_OK) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "tree: out of memory growing a tree on %zu x %zu",
                           in->n_rows, in->n_features);
    } else {
        status = dial_cart_tensors_add(ctx, learned, &data, &tree, 1, false, false);
    }
    if (status == DIAL_OK) {
        size_t shape[1] = {in->n_features};
        status =
            dial_tensors_add(ctx, learned, "importance", DIAL_F64, 1, shape, (void **)&importance);
    }
    if (status == DIAL_OK) dial_cart_importance(&tree, in->n_features, importance);
    dial_cart_tree_free(&tree);
    dial_cart_workspace_free(ws);
    free(weight);
    dial_cart_data_free(&data);
    return status;
}

static dial_status tree_validate(dial_ctx *ctx, const dial_knobs *knobs,
                                 const dial_tensors *learned, const dial_fit_input *in) {
    dial_cart_forest nodes;
    (void)knobs;
    return dial_cart_tensors_read(ctx, "tree", learned, in, false, &nodes);
}

static dial_status tree_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in, dial_predict_output *out) {
    bool classification = in->task == DIAL_TASK_CLASSIFICATION;
    if (!classification && out->proba)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "tree: no class probabilities in regression");
    dial_cart_forest nodes;
    dial_status status = dial_cart_tensors_read(ctx, "tree", learned, in, false, &nodes);
    if (status != DIAL_OK) return status;
    (void)knobs;
    dial_cart_view tree = dial_cart_forest_tree(&nodes, 0);
    const dial_cart_categories *cats = &nodes.categories;
    dial_cart_packed *packed = dial_malloc(ctx, tree.n_nodes * sizeof *packed);
    uint32_t *stack = dial_malloc(ctx, 2 * tree.n_nodes * sizeof *stack);
    uint32_t *codes = dial_malloc(ctx, (cats->n_blocks ? cats->n_blocks : 1) * sizeof *codes);
    /* sparse rows: one at a time written out into zeros, then cleared */
    const dial_csr *a = in->sparse;
    double *row = a ? dial_calloc(ctx, in->n_features ? in->n_features : 1, sizeof *row) : NULL;
    if (!packed || !stack || !codes || (a && !row)) {
        free(packed);
        free(stack);
        free(codes);
        free(row);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "tree: out of memory predicting");
    }
    size_t k = tree.n_outputs, d = in->n_features;
    dial_cart_pack(&tree, cats, d, packed, stack);
    for (size_t i = 0; i < in->n_rows; i++) {
        const double *x = a ? row : in->x + i * d;
        for (size_t e = a ? a->row_start[i] : 0; a && e < a->row_start[i + 1]; e++)
            row[a->col[e]] = a->value[e];
        uint32_t leaf;
        if (cats->n_blocks) {
            dial_cart_category_codes(cats, x, codes);
            leaf = dial_cart_packed_leaf_categories(packed, x, d, codes, cats->bits);
        } else {
            leaf = dial_cart_packed_leaf(packed, x);
        }
        for (size_t e = a ? a->row_start[i] : 0; a && e < a->row_start[i + 1]; e++)
            row[a->col[e]] = 0;
        const double *value = tree.value + packed[leaf].next * k;
        if (!classification) {
            out->value[i] = value[0];
            continue;
        }
        size_t best = 0; /* a tie goes to the first class, as numpy's argmax */
        for (size_t c = 1; c < k; c++)
            if (value[c] > value[best]) best = c;
        out->value[i] = (double)best;
        if (out->proba) memcpy(out->proba + i * k, value, k * sizeof *value);
    }
    free(packed);
    free(stack);
    free(codes);
    free(row);
    return DIAL_OK;
}

static dial_status tree_trees(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                              const dial_fit_input *in, size_t index, size_t *n_trees,
                              dial_tree *out) {
    (void)knobs;
    return dial_cart_trees(ctx, "tree", learned, in, false, index, n_trees, out);
}

const dial_model_family dial_model_tree = {
    .name = "tree",
    .summary = "decision tree (CART): axis-aligned if/else splits, optionally pruned",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION) | DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .has_proba = true,
    .knobs = tree_knobs,
    .n_knobs = sizeof tree_knobs / sizeof tree_knobs[0],
    .params = tree_params,
    .n_params = sizeof tree_params / sizeof tree_params[0],
    .nonparametric_doc = NULL,
    .fit = tree_fit,
    .predict = tree_predict,
    .validate = tree_validate,
    .trees = tree_trees,
    .sparse_input = true,
    .categories_natively = true,
};

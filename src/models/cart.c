/*
 * CART: binned training data, split finding, tree growth, cost-complexity
 * pruning, importance, and the node tensors with their checks. See cart.h.
 *
 * Split finding at a node, for each candidate feature, one of two ways:
 *  - a node with many rows beside the feature's bins (times the classes)
 *    adds each row's weight to its bin's histogram (per class, or with w y)
 *    in one pass, then scans the bins in order;
 *  - otherwise the codes of the node's rows are gathered, the rows put in
 *    code order (counting sort over the node's code range, or a two-pass
 *    radix sort when that range is wide beside the node, or insertion sort
 *    for a handful of rows), and one scan moves the rows from the right
 *    child to the left one.
 * Either way every boundary between two codes is scored in O(1) (O(log n)
 * for absolute_error, which always sorts) from running sums:
 *   gini           sum_c L_c^2 / w_L + sum_c R_c^2 / w_R (maximised), the
 *                  proxy scikit-learn uses for the weighted Gini impurity;
 *   entropy        sum_c L_c ln L_c - w_L ln w_L + (same on the right);
 *   squared_error  S_L^2 / w_L + S_R^2 / w_R (sums of w y);
 *   absolute_error minus the sums of w |y - median| of both sides, with
 *                  the medians found in Fenwick trees over the node's rows
 *                  ranked by y.
 * Which features a node tries follows scikit-learn's BestSplitter: up to
 * max_features drawn without replacement, more while every one drawn was
 * constant in the node, and features found constant in a node are never
 * drawn again below it.
 */
#include <float.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/cart.h"

const char *const dial_cart_criterion_choices[] = {"auto",          "gini",           "entropy",
                                                   "squared_error", "absolute_error", NULL};
const char *const dial_cart_max_features_choices[] = {"auto",     "all",   "sqrt", "log2",
                                                      "fraction", "count", NULL};
/* The default search leaves out auto, the same rule as sqrt (or all), and
 * count, whose count is 1 unless set: a third and a sixth of the trials
 * went there, count=1 scoring 3 to 5 points lower on spam. */
const char *const dial_cart_max_features_searched[] = {"all", "sqrt", "log2", "fraction", NULL};
const char *const dial_cart_class_weight_choices[] = {"none", "balanced", NULL};

/* A node is pure below this impurity, and a split must improve by at least
 * this much less than min_impurity_decrease (scikit-learn's EPSILON). */
#define CART_EPSILON DBL_EPSILON
/* Codes are 16 bits: at most this many bins per feature. */
#define CART_MAX_BINS 65536u
/* Nodes with at most this many rows are sorted by insertion. */
#define CART_INSERTION_ROWS 24
/* A node uses histograms for a feature when its bins times its classes are
 * at most this many times its rows (measured on letter and satimage). */
#define CART_HISTOGRAM_ROWS 2

/* ---- knobs ----------------------------------------------------------------- */

static double cart_knob(const dial_knobs *knobs, const char *name, double fallback) {
    long i = dial_knobs_find(knobs, name);
    return i < 0 ? fallback : knobs->values[i].number;
}

/* A count knob as a size, with values beyond any data read as "no limit"
 * (a double past 2^63 does not convert). */
static size_t cart_count(double v) { return v >= 1e15 ? (size_t)1e15 : v <= 0 ? 0 : (size_t)v; }

static size_t cart_max_features(const char *rule, const dial_knobs *knobs, size_t n_features,
                                bool classification) {
    double n = (double)n_features, m = n;
    if (strcmp(rule, "auto") == 0) rule = classification ? "sqrt" : "all";
    if (strcmp(rule, "sqrt") == 0)
        m = floor(sqrt(n));
    else if (strcmp(rule, "log2") == 0)
        m = n > 0 ? floor(log2(n)) : 0;
    else if (strcmp(rule, "fraction") == 0)
        m = floor(cart_knob(knobs, "max_features_fraction", 1) * n);
    else if (strcmp(rule, "count") == 0)
        m = cart_knob(knobs, "max_features_count", n);
    if (m < 1) m = 1;
    if (m > n) m = n;
    return (size_t)m;
}

dial_status dial_cart_params_from_knobs(dial_ctx *ctx, const char *family, const dial_knobs *knobs,
                                        const dial_fit_input *in, dial_cart_params *out) {
    bool classification = in->task == DIAL_TASK_CLASSIFICATION;
    const char *criterion = dial_knobs_choice(knobs, "criterion");
    *out = (dial_cart_params){0};
    if (strcmp(criterion, "auto") == 0 || criterion[0] == '\0')
        out->criterion = classification ? DIAL_CART_GINI : DIAL_CART_SQUARED_ERROR;
    else if (strcmp(criterion, "gini") == 0)
        out->criterion = DIAL_CART_GINI;
    else if (strcmp(criterion, "entropy") == 0)
        out->criterion = DIAL_CART_ENTROPY;
    else if (strcmp(criterion, "squared_error") == 0)
        out->criterion = DIAL_CART_SQUARED_ERROR;
    else
        out->criterion = DIAL_CART_ABSOLUTE_ERROR;
    bool regression_criterion = out->criterion >= DIAL_CART_SQUARED_ERROR;
    if (classification && regression_criterion)
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "%s: criterion '%s' is for regression; for classification use gini or "
                         "entropy (or auto)",
                         family, criterion);
    if (!classification && !regression_criterion)
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "%s: criterion '%s' is for classification; for regression use "
                         "squared_error or absolute_error (or auto)",
                         family, criterion);

    double depth = cart_knob(knobs, "max_depth", 0);
    out->max_depth = depth <= 0 ? SIZE_MAX : cart_count(depth);
    out->min_samples_split = cart_count(cart_knob(knobs, "min_samples_split", 2));
    out->min_samples_leaf = cart_count(cart_knob(knobs, "min_samples_leaf", 1));
    if (out->min_samples_split < 2) out->min_samples_split = 2;
    if (out->min_samples_leaf < 1) out->min_samples_leaf = 1;
    out->min_impurity_decrease = cart_knob(knobs, "min_impurity_decrease", 0);
    out->ccp_alpha = cart_knob(knobs, "ccp_alpha", 0);

    long weight = dial_knobs_find(knobs, "class_weight");
    out->balanced =
        weight >= 0 && strcmp(dial_knobs_choice(knobs, "class_weight"), "balanced") == 0;
    if (out->balanced && !classification)
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "%s: class_weight=balanced applies to classification only; use "
                         "class_weight=none for regression",
                         family);

    const char *rule = dial_knobs_choice(knobs, "max_features");
    if (strcmp(rule, "count") == 0 &&
        cart_knob(knobs, "max_features_count", 1) > (double)in->n_features)
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "%s: knob 'max_features_count' = %.0f is more than the %zu inputs; use "
                         "at most %zu or max_features=all",
                         family, cart_knob(knobs, "max_features_count", 1), in->n_features,
                         in->n_features);
    out->max_features = cart_max_features(rule, knobs, in->n_features, classification);
    return DIAL_OK;
}

/* ---- training data ----------------------------------------------------------- */

typedef struct cart_pair {
    double value;
    uint32_t row;
} cart_pair;

static int cart_pair_compare(const void *a, const void *b) {
    const cart_pair *p = a, *q = b;
    if (p->value < q->value) return -1;
    if (p->value > q->value) return 1;
    return (p->row > q->row) - (p->row < q->row);
}

void dial_cart_data_free(dial_cart_data *data) {
    if (!data) return;
    free(data->label);
    free(data->codes);
    free(data->bin_start);
    free(data->bin_low);
    free(data->bin_high);
    *data = (dial_cart_data){0};
}

static dial_status cart_check_input(dial_ctx *ctx, const char *family, const dial_fit_input *in) {
    if (in->task != DIAL_TASK_CLASSIFICATION && in->task != DIAL_TASK_REGRESSION)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "%s: the task must be classification or regression, got %s", family,
                         dial_task_name(in->task));
    if (in->task == DIAL_TASK_CLASSIFICATION && in->n_classes < 1)
        return dial_fail(ctx, DIAL_ERR_DATA, "%s: a classification target needs classes", family);
    if (in->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "%s: no training rows", family);
    if (in->n_rows >= UINT32_MAX)
        return dial_fail(ctx, DIAL_ERR_DATA, "%s: %zu training rows are more than the %u it takes",
                         family, in->n_rows, UINT32_MAX - 1);
    for (size_t i = 0; i < in->n_rows; i++) {
        double y = in->y[i];
        if (in->task == DIAL_TASK_CLASSIFICATION) {
            if (!(y >= 0 && y < (double)in->n_classes && y == floor(y)))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "%s: target of row %zu is %g, expected a class index in 0..%zu",
                                 family, i, y, in->n_classes - 1);
        } else if (!isfinite(y)) {
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "%s: target of row %zu is %g, expected a finite number", family, i, y);
        }
        for (size_t f = 0; f < in->n_features; f++)
            if (!isfinite(in->x[i * in->n_features + f]))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "%s: feature %zu of row %zu is %g; impute missing values first",
                                 family, f, i, in->x[i * in->n_features + f]);
    }
    return DIAL_OK;
}

/* Gives the rows of one feature, sorted by value in pairs, their codes, and
 * appends the feature's bins. Distinct values are bins of their own while
 * they fit in 16 bits; beyond, runs of about n / 65535 rows share a bin
 * (a value is never split across two bins). */
static dial_status cart_bin_feature(dial_cart_data *data, size_t f, const cart_pair *pairs,
                                    size_t *bins_used, size_t *bins_capacity) {
    size_t n = data->n_rows, distinct = 1;
    for (size_t i = 1; i < n; i++) distinct += pairs[i].value != pairs[i - 1].value;
    size_t per_bin = distinct <= CART_MAX_BINS ? 1 : n / (CART_MAX_BINS - 1) + 1;
    size_t need = *bins_used + (distinct < CART_MAX_BINS ? distinct : CART_MAX_BINS);
    if (need > *bins_capacity) {
        size_t capacity = *bins_capacity * 2 > need ? *bins_capacity * 2 : need;
        double *low = realloc(data->bin_low, capacity * sizeof *low);
        if (low) data->bin_low = low;
        double *high = realloc(data->bin_high, capacity * sizeof *high);
        if (high) data->bin_high = high;
        if (!low || !high) return DIAL_ERR_NOMEM;
        *bins_capacity = capacity;
    }
    uint16_t *codes = data->codes + f * n;
    size_t bin = *bins_used, in_bin = 0;
    data->bin_low[bin] = data->bin_high[bin] = pairs[0].value;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && pairs[i].value != pairs[i - 1].value && in_bin >= per_bin) {
            bin++;
            in_bin = 0;
            data->bin_low[bin] = pairs[i].value;
        }
        data->bin_high[bin] = pairs[i].value;
        codes[pairs[i].row] = (uint16_t)(bin - *bins_used);
        in_bin++;
    }
    *bins_used = bin + 1;
    data->bin_start[f + 1] = *bins_used;
    return DIAL_OK;
}

dial_status dial_cart_data_prepare(dial_ctx *ctx, const char *family, const dial_fit_input *in,
                                   dial_cart_data *out) {
    *out = (dial_cart_data){0};
    dial_status status = cart_check_input(ctx, family, in);
    if (status != DIAL_OK) return status;
    size_t n = in->n_rows, d = in->n_features;
    out->n_rows = n;
    out->n_features = d;
    out->n_classes = in->task == DIAL_TASK_CLASSIFICATION ? in->n_classes : 0;
    out->y = in->y;
    out->bin_start = calloc(d + 1, sizeof *out->bin_start);
    out->codes = malloc((d ? d : 1) * n * sizeof *out->codes);
    cart_pair *pairs = malloc(n * sizeof *pairs);
    if (out->n_classes) out->label = malloc(n * sizeof *out->label);
    status = DIAL_OK;
    if (!out->bin_start || !out->codes || !pairs || (out->n_classes && !out->label))
        status = DIAL_ERR_NOMEM;
    for (size_t i = 0; status == DIAL_OK && out->label && i < n; i++)
        out->label[i] = (uint32_t)in->y[i];
    size_t used = 0, capacity = 0;
    for (size_t f = 0; f < d && status == DIAL_OK; f++) {
        for (size_t i = 0; i < n; i++) pairs[i] = (cart_pair){in->x[i * d + f], (uint32_t)i};
        qsort(pairs, n, sizeof *pairs, cart_pair_compare);
        status = cart_bin_feature(out, f, pairs, &used, &capacity);
    }
    free(pairs);
    if (status != DIAL_OK) {
        dial_cart_data_free(out);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "%s: out of memory binning %zu x %zu features",
                         family, n, d);
    }
    return DIAL_OK;
}

double *dial_cart_balanced_weights(const dial_cart_data *data) {
    size_t k = data->n_classes ? data->n_classes : 1;
    double *weight = calloc(k, sizeof *weight);
    if (!weight) return NULL;
    for (size_t i = 0; i < data->n_rows; i++) weight[data->label[i]] += 1;
    for (size_t c = 0; c < k; c++)
        weight[c] = weight[c] > 0 ? (double)data->n_rows / ((double)k * weight[c]) : 0;
    return weight;
}

/* ---- the workspace --------------------------------------------------------- */

typedef struct cart_frame {
    size_t start, end, depth;
    int64_t parent;
    bool is_left;
    size_t n_constants; /* features[0 .. n_constants) are constant in this node */
} cart_frame;

struct dial_cart_workspace {
    size_t n_rows, n_features, n_classes;
    uint32_t *samples;    /* the tree's rows, each node's a contiguous run */
    uint32_t *order;      /* node-local positions in code order */
    uint32_t *order_tmp;  /* radix sort */
    uint16_t *node_codes; /* code of each node-local position for one feature */
    uint32_t *node_label; /* class of each node-local position */
    double *node_y;       /* value of each node-local position (regression) */
    double *node_w;       /* weight of each node-local position */
    uint32_t *bucket;     /* CART_MAX_BINS + 1 counters */
    double *hist;         /* bins x classes (or x 2) of one feature, at most n_rows */
    size_t *features;     /* a permutation of the features, constants first */
    size_t *constants;    /* the known constants of the nodes on the path, in order */
    double *total, *left, *right, *xlogx_left, *xlogx_right; /* per class */
    /* absolute_error: the node's rows ranked by y, and Fenwick trees */
    uint32_t *rank;
    cart_pair *by_y;
    double *rank_y, *rank_w, *fen_all_w, *fen_all_s, *fen_left_w, *fen_left_s;
    cart_frame *stack;
    size_t stack_capacity;
    double root_weight;
    double total_sq;     /* gini: sum of the squared class weights of the node */
    dial_cart_tree tree; /* the tree being grown */
};

void dial_cart_workspace_free(dial_cart_workspace *ws) {
    if (!ws) return;
    void *owned[] = {
        ws->samples,    ws->order,      ws->order_tmp,  ws->node_codes,  ws->node_label,
        ws->node_y,     ws->node_w,     ws->bucket,     ws->features,    ws->total,
        ws->left,       ws->right,      ws->xlogx_left, ws->xlogx_right, ws->rank,
        ws->by_y,       ws->rank_y,     ws->rank_w,     ws->fen_all_w,   ws->fen_all_s,
        ws->fen_left_w, ws->fen_left_s, ws->stack,      ws->hist,        ws->constants};
    for (size_t i = 0; i < sizeof owned / sizeof owned[0]; i++) free(owned[i]);
    dial_cart_tree_free(&ws->tree);
    free(ws);
}

dial_cart_workspace *dial_cart_workspace_new(const dial_cart_data *data) {
    dial_cart_workspace *ws = calloc(1, sizeof *ws);
    if (!ws) return NULL;
    size_t n = data->n_rows, k = data->n_classes ? data->n_classes : 1;
    ws->n_rows = n;
    ws->n_features = data->n_features;
    ws->n_classes = data->n_classes;
    bool ok = (ws->samples = malloc(n * sizeof *ws->samples)) &&
              (ws->order = malloc(n * sizeof *ws->order)) &&
              (ws->order_tmp = malloc(n * sizeof *ws->order_tmp)) &&
              (ws->node_codes = malloc(n * sizeof *ws->node_codes)) &&
              (ws->node_w = malloc(n * sizeof *ws->node_w)) &&
              (ws->bucket = malloc(2 * (CART_MAX_BINS + 1) * sizeof *ws->bucket)) &&
              (ws->hist = malloc(CART_HISTOGRAM_ROWS * n * sizeof *ws->hist)) &&
              (ws->features = malloc((data->n_features + 1) * sizeof *ws->features)) &&
              (ws->constants = malloc((data->n_features + 1) * sizeof *ws->constants)) &&
              (ws->total = malloc(k * sizeof *ws->total)) &&
              (ws->left = malloc(k * sizeof *ws->left)) &&
              (ws->right = malloc(k * sizeof *ws->right)) &&
              (ws->xlogx_left = malloc(k * sizeof *ws->xlogx_left)) &&
              (ws->xlogx_right = malloc(k * sizeof *ws->xlogx_right));
    if (ok && data->n_classes) ok = (ws->node_label = malloc(n * sizeof *ws->node_label)) != NULL;
    if (ok && !data->n_classes)
        ok = (ws->node_y = malloc(n * sizeof *ws->node_y)) &&
             (ws->rank = malloc(n * sizeof *ws->rank)) &&
             (ws->by_y = malloc(n * sizeof *ws->by_y)) &&
             (ws->rank_y = malloc(n * sizeof *ws->rank_y)) &&
             (ws->rank_w = malloc(n * sizeof *ws->rank_w)) &&
             (ws->fen_all_w = malloc((n + 1) * sizeof *ws->fen_all_w)) &&
             (ws->fen_all_s = malloc((n + 1) * sizeof *ws->fen_all_s)) &&
             (ws->fen_left_w = malloc((n + 1) * sizeof *ws->fen_left_w)) &&
             (ws->fen_left_s = malloc((n + 1) * sizeof *ws->fen_left_s));
    if (!ok) {
        dial_cart_workspace_free(ws);
        return NULL;
    }
    return ws;
}

/* ---- the tree's node arrays ------------------------------------------------- */

void dial_cart_tree_free(dial_cart_tree *tree) {
    if (!tree) return;
    free(tree->feature);
    free(tree->left);
    free(tree->right);
    free(tree->n_samples);
    free(tree->threshold);
    free(tree->impurity);
    free(tree->weighted_n);
    free(tree->value);
    *tree = (dial_cart_tree){0};
}

static bool cart_tree_reserve(dial_cart_tree *tree, size_t capacity) {
    if (capacity <= tree->capacity) return true;
    int64_t **ints[] = {&tree->feature, &tree->left, &tree->right, &tree->n_samples};
    double **reals[] = {&tree->threshold, &tree->impurity, &tree->weighted_n};
    for (size_t i = 0; i < 4; i++) {
        int64_t *p = realloc(*ints[i], capacity * sizeof *p);
        if (!p) return false;
        *ints[i] = p;
    }
    for (size_t i = 0; i < 3; i++) {
        double *p = realloc(*reals[i], capacity * sizeof *p);
        if (!p) return false;
        *reals[i] = p;
    }
    double *value = realloc(tree->value, capacity * tree->n_outputs * sizeof *value);
    if (!value) return false;
    tree->value = value;
    tree->capacity = capacity;
    return true;
}

/* Appends a leaf; returns its index, or -1 when out of memory. */
static int64_t cart_tree_add(dial_cart_tree *tree, size_t n_samples, double weighted_n,
                             double impurity) {
    if (tree->n_nodes == tree->capacity &&
        !cart_tree_reserve(tree, tree->capacity ? 2 * tree->capacity : 64))
        return -1;
    size_t i = tree->n_nodes++;
    tree->feature[i] = tree->left[i] = tree->right[i] = -1;
    tree->n_samples[i] = (int64_t)n_samples;
    tree->threshold[i] = 0;
    tree->impurity[i] = impurity;
    tree->weighted_n[i] = weighted_n;
    return (int64_t)i;
}

/* ---- node statistics ---------------------------------------------------------- */

static double cart_xlogx(double v) { return v > 0 ? v * log(v) : 0; }

/* Sorts the node's positions by y and fills the rank arrays (absolute
 * error): rank of each position, and y and weight by rank. */
static void cart_rank_node(dial_cart_workspace *ws, size_t n) {
    for (size_t k = 0; k < n; k++) ws->by_y[k] = (cart_pair){ws->node_y[k], (uint32_t)k};
    qsort(ws->by_y, n, sizeof *ws->by_y, cart_pair_compare);
    for (size_t r = 0; r < n; r++) {
        uint32_t k = ws->by_y[r].row;
        ws->rank[k] = (uint32_t)r;
        ws->rank_y[r] = ws->node_y[k];
        ws->rank_w[r] = ws->node_w[k];
    }
}

/* scikit-learn's weighted median: the first value where the running weight
 * reaches half, or the mean of it and the next when it is exactly half. */
static double cart_median(const dial_cart_workspace *ws, size_t n, double total) {
    double half = total / 2, running = 0;
    for (size_t r = 0; r < n; r++) {
        running += ws->rank_w[r];
        if (running == half && r + 1 < n) return (ws->rank_y[r] + ws->rank_y[r + 1]) / 2;
        if (running >= half) return ws->rank_y[r];
    }
    return n ? ws->rank_y[n - 1] : 0;
}

/* Gathers the node's rows into node-local arrays and computes its weight,
 * impurity and value (written to value, n_outputs entries). For
 * classification ws->total holds the class weights afterwards. */
static void cart_node_stats(dial_cart_workspace *ws, const dial_cart_data *data,
                            const dial_cart_params *params, const double *weight, size_t start,
                            size_t n, double *node_weight, double *impurity, double *value) {
    const uint32_t *samples = ws->samples + start;
    double w_total = 0;
    if (data->n_classes) {
        size_t k = data->n_classes;
        memset(ws->total, 0, k * sizeof *ws->total);
        for (size_t i = 0; i < n; i++) {
            uint32_t row = samples[i], c = data->label[row];
            double w = weight[row];
            ws->node_label[i] = c;
            ws->node_w[i] = w;
            ws->total[c] += w;
            w_total += w;
        }
        double impurity_sum = 0;
        if (params->criterion == DIAL_CART_GINI) {
            for (size_t c = 0; c < k; c++) impurity_sum += ws->total[c] * ws->total[c];
            ws->total_sq = impurity_sum;
            *impurity = 1.0 - impurity_sum / (w_total * w_total);
        } else {
            for (size_t c = 0; c < k; c++)
                if (ws->total[c] > 0) {
                    double p = ws->total[c] / w_total;
                    impurity_sum -= p * log2(p);
                }
            *impurity = impurity_sum;
        }
        for (size_t c = 0; c < k; c++) value[c] = ws->total[c] / w_total;
        *node_weight = w_total;
        return;
    }
    double sum = 0, sum_sq = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t row = samples[i];
        double w = weight[row], y = data->y[row];
        ws->node_y[i] = y;
        ws->node_w[i] = w;
        w_total += w;
        sum += w * y;
        sum_sq += w * y * y;
    }
    *node_weight = w_total;
    if (params->criterion == DIAL_CART_SQUARED_ERROR) {
        double mean = sum / w_total;
        *impurity = sum_sq / w_total - mean * mean;
        value[0] = mean;
        return;
    }
    cart_rank_node(ws, n);
    double median = cart_median(ws, n, w_total), deviation = 0;
    for (size_t r = 0; r < n; r++) deviation += ws->rank_w[r] * fabs(ws->rank_y[r] - median);
    *impurity = deviation / w_total;
    value[0] = median;
}

/* ---- putting a node's rows in code order ---------------------------------------------- */

/* Fills ws->node_codes and ws->order for feature f; false when the feature
 * is constant in the node. */
static bool cart_sort_node(dial_cart_workspace *ws, const dial_cart_data *data, size_t f,
                           size_t start, size_t n) {
    const uint16_t *column = data->codes + f * data->n_rows;
    const uint32_t *samples = ws->samples + start;
    uint16_t *codes = ws->node_codes;
    unsigned lo = UINT16_MAX, hi = 0;
    for (size_t k = 0; k < n; k++) {
        unsigned c = column[samples[k]];
        codes[k] = (uint16_t)c;
        if (c < lo) lo = c;
        if (c > hi) hi = c;
    }
    if (lo == hi) return false;
    uint32_t *order = ws->order;
    size_t range = (size_t)(hi - lo) + 1;
    if (range <= 2 * n + 64) {
        /* two sets of counters, for even and odd rows: runs of equal codes
         * then do not wait on one counter */
        uint32_t *bucket = ws->bucket, *odd = ws->bucket + range + 1;
        memset(bucket, 0, 2 * (range + 1) * sizeof *bucket);
        size_t k = 0;
        for (; k + 1 < n; k += 2) {
            bucket[codes[k] - lo + 1]++;
            odd[codes[k + 1] - lo + 1]++;
        }
        if (k < n) bucket[codes[k] - lo + 1]++;
        for (size_t b = 1; b <= range; b++) bucket[b] += bucket[b - 1] + odd[b];
        for (k = 0; k < n; k++) order[bucket[codes[k] - lo]++] = (uint32_t)k;
    } else if (n <= CART_INSERTION_ROWS) {
        for (size_t i = 0; i < n; i++) {
            uint32_t key = (uint32_t)i;
            uint16_t kc = codes[i];
            size_t j = i;
            while (j > 0 && codes[order[j - 1]] > kc) {
                order[j] = order[j - 1];
                j--;
            }
            order[j] = key;
        }
    } else {
        /* two stable passes over the low then the high byte of code - lo */
        uint32_t *bucket = ws->bucket, *tmp = ws->order_tmp;
        memset(bucket, 0, 257 * sizeof *bucket);
        for (size_t k = 0; k < n; k++) bucket[((codes[k] - lo) & 0xff) + 1]++;
        for (size_t b = 1; b <= 256; b++) bucket[b] += bucket[b - 1];
        for (size_t k = 0; k < n; k++) tmp[bucket[(codes[k] - lo) & 0xff]++] = (uint32_t)k;
        memset(bucket, 0, 257 * sizeof *bucket);
        for (size_t k = 0; k < n; k++) bucket[((codes[k] - lo) >> 8) + 1]++;
        for (size_t b = 1; b <= 256; b++) bucket[b] += bucket[b - 1];
        for (size_t i = 0; i < n; i++) {
            uint32_t k = tmp[i];
            order[bucket[(codes[k] - lo) >> 8]++] = k;
        }
    }
    return true;
}

/* ---- scoring the boundaries of one feature ---------------------------------------- */

typedef struct cart_split {
    bool found;
    size_t feature;
    uint16_t code_left, code_right; /* the last code on the left, the first on the right */
    size_t n_left;
    double proxy;
} cart_split;

/* The boundary after sorted position j (the left child holds positions
 * 0..j) is a candidate when the code changes there and both children keep
 * min_samples_leaf rows. Returns 1 to score, 0 to skip, -1 to stop. */
static inline int cart_boundary(const dial_cart_workspace *ws, size_t j, size_t n, size_t msl) {
    const uint32_t *order = ws->order;
    if (ws->node_codes[order[j]] == ws->node_codes[order[j + 1]]) return 0;
    if (j + 1 < msl) return 0;
    if (n - j - 1 < msl) return -1;
    return 1;
}

static inline void cart_consider(cart_split *best, size_t f, size_t n_left, unsigned code_left,
                                 unsigned code_right, double proxy) {
    if (proxy > best->proxy) {
        best->found = true;
        best->proxy = proxy;
        best->feature = f;
        best->n_left = n_left;
        best->code_left = (uint16_t)code_left;
        best->code_right = (uint16_t)code_right;
    }
}

/* The boundary after sorted position j. */
static inline void cart_consider_sorted(cart_split *best, const dial_cart_workspace *ws, size_t f,
                                        size_t j, double proxy) {
    cart_consider(best, f, j + 1, ws->node_codes[ws->order[j]], ws->node_codes[ws->order[j + 1]],
                  proxy);
}

static void cart_scan_gini(dial_cart_workspace *ws, size_t f, size_t n, double w_node, size_t msl,
                           cart_split *best) {
    size_t k_classes = ws->n_classes;
    double *left = ws->left, sq_left = 0, sq_right = ws->total_sq, w_left = 0;
    const double *total = ws->total;
    /* a small node clears only the classes it holds */
    if (n < k_classes)
        for (size_t k = 0; k < n; k++) left[ws->node_label[k]] = 0;
    else
        memset(left, 0, k_classes * sizeof *left);
    for (size_t j = 0; j + 1 < n; j++) {
        uint32_t k = ws->order[j], c = ws->node_label[k];
        double w = ws->node_w[k], l = left[c], r = total[c] - l;
        sq_left += w * (2 * l + w);
        sq_right -= w * (2 * r - w);
        left[c] = l + w;
        w_left += w;
        int at = cart_boundary(ws, j, n, msl);
        if (at < 0) break;
        if (at)
            cart_consider_sorted(best, ws, f, j, sq_left / w_left + sq_right / (w_node - w_left));
    }
}

static void cart_scan_entropy(dial_cart_workspace *ws, size_t f, size_t n, double w_node,
                              size_t msl, cart_split *best) {
    size_t k_classes = ws->n_classes;
    double *left = ws->left, *right = ws->right, *xl = ws->xlogx_left, *xr = ws->xlogx_right;
    double t_left = 0, t_right = 0, w_left = 0;
    memset(left, 0, k_classes * sizeof *left);
    memset(xl, 0, k_classes * sizeof *xl);
    memcpy(right, ws->total, k_classes * sizeof *right);
    for (size_t c = 0; c < k_classes; c++) t_right += xr[c] = cart_xlogx(right[c]);
    for (size_t j = 0; j + 1 < n; j++) {
        uint32_t k = ws->order[j], c = ws->node_label[k];
        double w = ws->node_w[k];
        left[c] += w;
        right[c] -= w;
        double nl = cart_xlogx(left[c]), nr = cart_xlogx(right[c]);
        t_left += nl - xl[c];
        t_right += nr - xr[c];
        xl[c] = nl;
        xr[c] = nr;
        w_left += w;
        int at = cart_boundary(ws, j, n, msl);
        if (at < 0) break;
        if (at)
            cart_consider_sorted(best, ws, f, j,
                                 t_left - cart_xlogx(w_left) + t_right -
                                     cart_xlogx(w_node - w_left));
    }
}

static void cart_scan_squared(dial_cart_workspace *ws, size_t f, size_t n, double w_node,
                              double sum_node, size_t msl, cart_split *best) {
    double s_left = 0, w_left = 0;
    for (size_t j = 0; j + 1 < n; j++) {
        uint32_t k = ws->order[j];
        double w = ws->node_w[k];
        s_left += w * ws->node_y[k];
        w_left += w;
        int at = cart_boundary(ws, j, n, msl);
        if (at < 0) break;
        if (at) {
            double s_right = sum_node - s_left;
            cart_consider_sorted(best, ws, f, j,
                                 s_left * s_left / w_left + s_right * s_right / (w_node - w_left));
        }
    }
}

/* Fenwick trees over the node's ranks (1-based inside). */
static void cart_fen_add(double *fen, size_t n, size_t rank, double v) {
    for (size_t i = rank + 1; i <= n; i += i & (~i + 1)) fen[i] += v;
}

static double cart_fen_prefix(const double *fen, const double *minus, size_t count) {
    double s = 0;
    for (size_t i = count; i > 0; i -= i & (~i + 1)) s += fen[i] - (minus ? minus[i] : 0);
    return s;
}

/* The first rank whose running weight (a, less minus when given) reaches
 * target. */
static size_t cart_fen_search(const double *a, const double *minus, size_t n, size_t top,
                              double target) {
    size_t pos = 0;
    double acc = 0;
    for (size_t step = top; step; step >>= 1) {
        size_t next = pos + step;
        if (next > n) continue;
        double v = a[next] - (minus ? minus[next] : 0);
        if (acc + v < target) {
            pos = next;
            acc += v;
        }
    }
    return pos < n ? pos : n - 1;
}

/* Sum of w |y - median| of one side: a the side's weights and sums by rank
 * (less minus), w and s its totals. */
static double cart_fen_deviation(const dial_cart_workspace *ws, const double *fw, const double *fs,
                                 const double *mw, const double *ms, size_t n, size_t top, double w,
                                 double s) {
    size_t r = cart_fen_search(fw, mw, n, top, w / 2);
    double m = ws->rank_y[r];
    double w_low = cart_fen_prefix(fw, mw, r + 1), s_low = cart_fen_prefix(fs, ms, r + 1);
    return m * w_low - s_low + (s - s_low) - m * (w - w_low);
}

static void cart_fen_build(double *fen, const double *values, size_t n) {
    fen[0] = 0;
    for (size_t i = 1; i <= n; i++) fen[i] = values[i - 1];
    for (size_t i = 1; i <= n; i++) {
        size_t j = i + (i & (~i + 1));
        if (j <= n) fen[j] += fen[i];
    }
}

static void cart_scan_absolute(dial_cart_workspace *ws, size_t f, size_t n, double w_node,
                               double sum_node, size_t msl, cart_split *best) {
    size_t top = 1;
    while (top * 2 <= n) top *= 2;
    memset(ws->fen_left_w, 0, (n + 1) * sizeof *ws->fen_left_w);
    memset(ws->fen_left_s, 0, (n + 1) * sizeof *ws->fen_left_s);
    double s_left = 0, w_left = 0;
    for (size_t j = 0; j + 1 < n; j++) {
        uint32_t k = ws->order[j];
        double w = ws->node_w[k], y = ws->node_y[k];
        cart_fen_add(ws->fen_left_w, n, ws->rank[k], w);
        cart_fen_add(ws->fen_left_s, n, ws->rank[k], w * y);
        s_left += w * y;
        w_left += w;
        int at = cart_boundary(ws, j, n, msl);
        if (at < 0) break;
        if (!at) continue;
        double dev_left = cart_fen_deviation(ws, ws->fen_left_w, ws->fen_left_s, NULL, NULL, n, top,
                                             w_left, s_left);
        double dev_right =
            cart_fen_deviation(ws, ws->fen_all_w, ws->fen_all_s, ws->fen_left_w, ws->fen_left_s, n,
                               top, w_node - w_left, sum_node - s_left);
        cart_consider_sorted(best, ws, f, j, -(dev_left + dev_right));
    }
}

/* ---- histogram split finding ------------------------------------------------------ */

/* For a node with many rows beside its feature's bins (times classes): one
 * pass adds each row's weight, per class (or with its w y), to the row's
 * bin, and the bins are scanned in order; each class or sum of a bin moves
 * to the left child at once. Returns false when the feature is constant in
 * the node. */
static bool cart_scan_histogram(dial_cart_workspace *ws, const dial_cart_data *data,
                                const dial_cart_params *params, size_t f, size_t start, size_t n,
                                double w_node, double sum_node, cart_split *best) {
    const uint16_t *column = data->codes + f * data->n_rows;
    const uint32_t *samples = ws->samples + start;
    size_t bins = data->bin_start[f + 1] - data->bin_start[f];
    size_t k = data->n_classes ? data->n_classes : 2, msl = params->min_samples_leaf;
    double *hist = ws->hist;
    uint32_t *count = ws->bucket;
    memset(hist, 0, bins * k * sizeof *hist);
    memset(count, 0, bins * sizeof *count);
    if (data->n_classes) {
        for (size_t i = 0; i < n; i++) {
            unsigned b = column[samples[i]];
            count[b]++;
            hist[b * k + ws->node_label[i]] += ws->node_w[i];
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            unsigned b = column[samples[i]];
            double w = ws->node_w[i];
            count[b]++;
            hist[2 * b] += w;
            hist[2 * b + 1] += w * ws->node_y[i];
        }
    }
    size_t lo = 0, hi = bins - 1;
    while (!count[lo]) lo++;
    while (!count[hi]) hi--;
    if (lo == hi) return false;

    double *left = ws->left, *right = ws->right, *xl = ws->xlogx_left, *xr = ws->xlogx_right;
    double sq_left = 0, sq_right = 0, t_left = 0, t_right = 0, w_left = 0, s_left = 0;
    if (data->n_classes) {
        memset(left, 0, k * sizeof *left);
        memset(xl, 0, k * sizeof *xl);
        memcpy(right, ws->total, k * sizeof *right);
        if (params->criterion == DIAL_CART_GINI)
            sq_right = ws->total_sq;
        else
            for (size_t c = 0; c < k; c++) t_right += xr[c] = cart_xlogx(right[c]);
    }
    size_t n_left = 0, previous = lo;
    for (size_t b = lo; b <= hi; b++) {
        if (!count[b]) continue;
        if (n_left >= msl && b > lo) {
            if (n - n_left < msl) break;
            double w_right = w_node - w_left, proxy;
            if (params->criterion == DIAL_CART_GINI) {
                proxy = sq_left / w_left + sq_right / w_right;
            } else if (params->criterion == DIAL_CART_ENTROPY) {
                proxy = t_left - cart_xlogx(w_left) + t_right - cart_xlogx(w_right);
            } else {
                double s_right = sum_node - s_left;
                proxy = s_left * s_left / w_left + s_right * s_right / w_right;
            }
            cart_consider(best, f, n_left, (unsigned)previous, (unsigned)b, proxy);
        }
        const double *h = hist + b * k;
        if (!data->n_classes) {
            w_left += h[0];
            s_left += h[1];
        } else if (params->criterion == DIAL_CART_GINI) {
            for (size_t c = 0; c < k; c++) {
                double w = h[c];
                if (w == 0) continue;
                sq_left += w * (2 * left[c] + w);
                sq_right -= w * (2 * right[c] - w);
                left[c] += w;
                right[c] -= w;
                w_left += w;
            }
        } else {
            for (size_t c = 0; c < k; c++) {
                double w = h[c];
                if (w == 0) continue;
                left[c] += w;
                right[c] -= w;
                double nl = cart_xlogx(left[c]), nr = cart_xlogx(right[c]);
                t_left += nl - xl[c];
                t_right += nr - xr[c];
                xl[c] = nl;
                xr[c] = nr;
                w_left += w;
            }
        }
        n_left += count[b];
        previous = b;
    }
    return true;
}

/* ---- one node's best split -------------------------------------------------------- */

/* Draws features as scikit-learn's BestSplitter and scores each; on return
 * *n_constants counts the features known constant for the children. */
static void cart_best_split(dial_cart_workspace *ws, const dial_cart_data *data,
                            const dial_cart_params *params, size_t start, size_t n, double w_node,
                            dial_rng *rng, size_t *n_constants, cart_split *best) {
    *best = (cart_split){.found = false, .proxy = -INFINITY};
    double sum_node = 0;
    if (!data->n_classes) {
        for (size_t k = 0; k < n; k++) sum_node += ws->node_w[k] * ws->node_y[k];
        if (params->criterion == DIAL_CART_ABSOLUTE_ERROR) {
            /* node_stats ranked the rows; fen_left_s is free until the scans */
            cart_fen_build(ws->fen_all_w, ws->rank_w, n);
            for (size_t r = 0; r < n; r++) ws->fen_left_s[r] = ws->rank_w[r] * ws->rank_y[r];
            cart_fen_build(ws->fen_all_s, ws->fen_left_s, n);
        }
    }
    size_t *features = ws->features, n_features = data->n_features;
    size_t known = *n_constants, found_constants = 0, drawn_constants = 0;
    size_t f_i = n_features, total_constants = known, visited = 0;
    while (f_i > total_constants &&
           (visited < params->max_features || visited <= found_constants + drawn_constants)) {
        visited++;
        size_t f_j =
            drawn_constants + (size_t)dial_rng_below(rng, f_i - found_constants - drawn_constants);
        if (f_j < known) {
            size_t t = features[drawn_constants];
            features[drawn_constants] = features[f_j];
            features[f_j] = t;
            drawn_constants++;
            continue;
        }
        f_j += found_constants;
        size_t f = features[f_j];
        size_t bins = data->bin_start[f + 1] - data->bin_start[f];
        bool histogram = params->criterion != DIAL_CART_ABSOLUTE_ERROR &&
                         bins * (data->n_classes ? data->n_classes : 2) <= CART_HISTOGRAM_ROWS * n;
        bool varies =
            histogram ? cart_scan_histogram(ws, data, params, f, start, n, w_node, sum_node, best)
                      : cart_sort_node(ws, data, f, start, n);
        if (!varies) {
            features[f_j] = features[total_constants];
            features[total_constants] = f;
            found_constants++;
            total_constants++;
            continue;
        }
        f_i--;
        features[f_j] = features[f_i];
        features[f_i] = f;
        size_t msl = params->min_samples_leaf;
        if (histogram) continue;
        switch (params->criterion) {
        case DIAL_CART_GINI: cart_scan_gini(ws, f, n, w_node, msl, best); break;
        case DIAL_CART_ENTROPY: cart_scan_entropy(ws, f, n, w_node, msl, best); break;
        case DIAL_CART_SQUARED_ERROR:
            cart_scan_squared(ws, f, n, w_node, sum_node, msl, best);
            break;
        case DIAL_CART_ABSOLUTE_ERROR:
            cart_scan_absolute(ws, f, n, w_node, sum_node, msl, best);
            break;
        }
    }
    /* a node below this one may have swapped this node's known constants
     * with its own; put them back in their order, which the siblings and
     * children of this node rely on, and record those found here */
    memcpy(features, ws->constants, known * sizeof *features);
    memcpy(ws->constants + known, features + known, found_constants * sizeof *features);
    *n_constants = total_constants;
}

/* Moves the node's rows whose code is at most split->code_left first,
 * keeping their order: each row is written to both sides and only the
 * count of its side moves on, so no branch waits on a coin toss. */
static void cart_partition(dial_cart_workspace *ws, const dial_cart_data *data,
                           const cart_split *split, size_t start, size_t end) {
    const uint16_t *column = data->codes + split->feature * data->n_rows;
    uint32_t *samples = ws->samples + start, *right = ws->order_tmp;
    size_t n_left = 0, n_right = 0;
    for (size_t i = 0; i < end - start; i++) {
        uint32_t row = samples[i];
        size_t goes_left = column[row] <= split->code_left;
        samples[n_left] = row;
        right[n_right] = row;
        n_left += goes_left;
        n_right += 1 - goes_left;
    }
    memcpy(samples + n_left, right, n_right * sizeof *right);
}

/* The midpoint of the largest value on the left and the smallest on the
 * right, or the left one when the midpoint rounds onto the right one (as
 * scikit-learn). */
static double cart_threshold(const dial_cart_data *data, const cart_split *split) {
    size_t base = data->bin_start[split->feature];
    double a = data->bin_high[base + split->code_left], b = data->bin_low[base + split->code_right];
    double t = a / 2.0 + b / 2.0;
    if (t == b || isinf(t)) t = a;
    return t;
}

static bool cart_push(dial_cart_workspace *ws, size_t *top, cart_frame frame) {
    if (*top == ws->stack_capacity) {
        size_t capacity = ws->stack_capacity ? 2 * ws->stack_capacity : 64;
        cart_frame *stack = realloc(ws->stack, capacity * sizeof *stack);
        if (!stack) return false;
        ws->stack = stack;
        ws->stack_capacity = capacity;
    }
    ws->stack[(*top)++] = frame;
    return true;
}

/* ---- pruning ---------------------------------------------------------------------- */

/* Minimal cost-complexity pruning (Breiman et al. 1984, ch. 3; scikit-learn's
 * _cost_complexity_prune): while the weakest link, the internal node t with
 * the smallest (R(t) - R(T_t)) / (|leaves(T_t)| - 1), has that value at most
 * alpha, its subtree is cut to a leaf. R is the impurity weighted by the
 * share of the training weight. The kept nodes are then renumbered in
 * their (pre)order. */
static dial_status cart_prune(dial_cart_tree *tree, double alpha) {
    size_t n = tree->n_nodes;
    if (n < 3) return DIAL_OK;
    double *r_node = malloc(n * sizeof *r_node), *r_branch = malloc(n * sizeof *r_branch);
    size_t *leaves = malloc(n * sizeof *leaves);
    int64_t *parent = malloc(n * sizeof *parent), *renumber = malloc(n * sizeof *renumber);
    bool *kept = malloc(n * sizeof *kept), *internal = malloc(n * sizeof *internal);
    bool *below = calloc(n, sizeof *below);
    dial_status status = DIAL_OK;
    if (!r_node || !r_branch || !leaves || !parent || !renumber || !kept || !internal || !below) {
        status = DIAL_ERR_NOMEM;
        goto done;
    }
    double total = tree->weighted_n[0];
    for (size_t i = 0; i < n; i++) {
        r_node[i] = tree->weighted_n[i] / total * tree->impurity[i];
        kept[i] = true;
        internal[i] = tree->left[i] >= 0;
        parent[i] = -1;
    }
    for (size_t i = 0; i < n; i++)
        if (internal[i]) parent[tree->left[i]] = parent[tree->right[i]] = (int64_t)i;
    /* children come after their parent: one backward pass sums the subtrees */
    for (size_t i = n; i-- > 0;) {
        if (!internal[i]) {
            leaves[i] = 1;
            r_branch[i] = r_node[i];
        } else {
            size_t l = (size_t)tree->left[i], r = (size_t)tree->right[i];
            leaves[i] = leaves[l] + leaves[r];
            r_branch[i] = r_branch[l] + r_branch[r];
        }
    }
    while (internal[0]) {
        double weakest = INFINITY;
        size_t at = 0;
        for (size_t i = 0; i < n; i++) {
            if (!kept[i] || !internal[i]) continue;
            double a = (r_node[i] - r_branch[i]) / (double)(leaves[i] - 1);
            if (a < weakest) {
                weakest = a;
                at = i;
            }
        }
        if (weakest > alpha) break;
        /* in preorder the subtree of `at` is the run of nodes right after it */
        for (size_t j = at + 1; j < n; j++) {
            int64_t p = parent[j];
            if (p != (int64_t)at && !(p > (int64_t)at && below[p])) break;
            below[j] = true;
            kept[j] = false;
        }
        size_t cut_leaves = leaves[at] - 1;
        double cut_r = r_branch[at] - r_node[at];
        internal[at] = false;
        leaves[at] = 1;
        r_branch[at] = r_node[at];
        for (int64_t p = parent[at]; p >= 0; p = parent[p]) {
            leaves[p] -= cut_leaves;
            r_branch[p] -= cut_r;
        }
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) renumber[i] = kept[i] ? (int64_t)m++ : -1;
    for (size_t i = 0; i < n; i++) {
        if (!kept[i]) continue;
        size_t j = (size_t)renumber[i];
        tree->feature[j] = internal[i] ? tree->feature[i] : -1;
        tree->threshold[j] = internal[i] ? tree->threshold[i] : 0;
        tree->left[j] = internal[i] ? renumber[tree->left[i]] : -1;
        tree->right[j] = internal[i] ? renumber[tree->right[i]] : -1;
        tree->n_samples[j] = tree->n_samples[i];
        tree->impurity[j] = tree->impurity[i];
        tree->weighted_n[j] = tree->weighted_n[i];
        memmove(tree->value + j * tree->n_outputs, tree->value + i * tree->n_outputs,
                tree->n_outputs * sizeof *tree->value);
    }
    tree->n_nodes = m;
done:
    free(r_node);
    free(r_branch);
    free(leaves);
    free(parent);
    free(renumber);
    free(kept);
    free(internal);
    free(below);
    return status;
}

/* ---- growing ---------------------------------------------------------------------- */

/* A copy of the grown tree in arrays of its exact size; false when out of
 * memory. */
static bool cart_tree_copy(const dial_cart_tree *from, dial_cart_tree *to) {
    *to = (dial_cart_tree){.n_outputs = from->n_outputs};
    if (!cart_tree_reserve(to, from->n_nodes ? from->n_nodes : 1)) {
        dial_cart_tree_free(to);
        return false;
    }
    size_t m = from->n_nodes;
    to->n_nodes = m;
    memcpy(to->feature, from->feature, m * sizeof *to->feature);
    memcpy(to->left, from->left, m * sizeof *to->left);
    memcpy(to->right, from->right, m * sizeof *to->right);
    memcpy(to->n_samples, from->n_samples, m * sizeof *to->n_samples);
    memcpy(to->threshold, from->threshold, m * sizeof *to->threshold);
    memcpy(to->impurity, from->impurity, m * sizeof *to->impurity);
    memcpy(to->weighted_n, from->weighted_n, m * sizeof *to->weighted_n);
    memcpy(to->value, from->value, m * from->n_outputs * sizeof *to->value);
    return true;
}

dial_status dial_cart_grow(dial_cart_workspace *ws, const dial_cart_data *data,
                           const dial_cart_params *params, const double *weight, dial_rng *rng,
                           dial_cart_tree *out) {
    /* grown in the workspace's arrays, which keep their capacity from tree
     * to tree, and copied out at its exact size */
    dial_cart_tree *tree = &ws->tree;
    *out = (dial_cart_tree){.n_outputs = data->n_classes ? data->n_classes : 1};
    tree->n_nodes = 0;
    tree->n_outputs = out->n_outputs;
    size_t n = 0;
    for (size_t i = 0; i < data->n_rows; i++)
        if (weight[i] > 0) ws->samples[n++] = (uint32_t)i;
    if (n == 0) return DIAL_ERR_DATA;
    for (size_t f = 0; f < data->n_features; f++) ws->features[f] = f;

    size_t top = 0;
    cart_frame root = {.start = 0, .end = n, .depth = 0, .parent = -1, .n_constants = 0};
    if (!cart_push(ws, &top, root)) return DIAL_ERR_NOMEM;
    while (top > 0) {
        cart_frame frame = ws->stack[--top];
        size_t count = frame.end - frame.start;
        if (tree->n_nodes == tree->capacity &&
            !cart_tree_reserve(tree, tree->capacity ? 2 * tree->capacity : 64))
            goto nomem;
        double w_node, impurity;
        double *value = tree->value + tree->n_nodes * tree->n_outputs;
        cart_node_stats(ws, data, params, weight, frame.start, count, &w_node, &impurity, value);
        int64_t id = cart_tree_add(tree, count, w_node, impurity);
        if (frame.parent < 0)
            ws->root_weight = w_node;
        else if (frame.is_left)
            tree->left[frame.parent] = id;
        else
            tree->right[frame.parent] = id;

        bool leaf = frame.depth >= params->max_depth || count < params->min_samples_split ||
                    count < 2 * params->min_samples_leaf || impurity <= CART_EPSILON;
        if (leaf) continue;
        cart_split split;
        size_t n_constants = frame.n_constants;
        cart_best_split(ws, data, params, frame.start, count, w_node, rng, &n_constants, &split);
        if (!split.found) continue;
        cart_partition(ws, data, &split, frame.start, frame.end);
        if (params->min_impurity_decrease > 0) {
            /* the children's statistics as they will compute them */
            double w_left, w_right, imp_left, imp_right, regression_value;
            double *scratch = data->n_classes ? ws->xlogx_left : &regression_value;
            cart_node_stats(ws, data, params, weight, frame.start, split.n_left, &w_left, &imp_left,
                            scratch);
            cart_node_stats(ws, data, params, weight, frame.start + split.n_left,
                            count - split.n_left, &w_right, &imp_right, scratch);
            double improvement =
                w_node / ws->root_weight *
                (impurity - w_right / w_node * imp_right - w_left / w_node * imp_left);
            if (improvement + CART_EPSILON < params->min_impurity_decrease) continue;
        }
        tree->feature[id] = (int64_t)split.feature;
        tree->threshold[id] = cart_threshold(data, &split);
        size_t middle = frame.start + split.n_left;
        cart_frame right = {middle, frame.end, frame.depth + 1, id, false, n_constants};
        cart_frame left = {frame.start, middle, frame.depth + 1, id, true, n_constants};
        if (!cart_push(ws, &top, right) || !cart_push(ws, &top, left)) goto nomem;
    }
    if (params->ccp_alpha > 0 && cart_prune(tree, params->ccp_alpha) != DIAL_OK) goto nomem;
    if (!cart_tree_copy(tree, out)) goto nomem;
    return DIAL_OK;
nomem:
    return DIAL_ERR_NOMEM;
}

void dial_cart_importance(const dial_cart_tree *tree, size_t n_features, double *out) {
    for (size_t f = 0; f < n_features; f++) out[f] = 0;
    for (size_t i = 0; i < tree->n_nodes; i++) {
        if (tree->left[i] < 0) continue;
        size_t l = (size_t)tree->left[i], r = (size_t)tree->right[i];
        out[tree->feature[i]] += tree->weighted_n[i] * tree->impurity[i] -
                                 tree->weighted_n[l] * tree->impurity[l] -
                                 tree->weighted_n[r] * tree->impurity[r];
    }
    double total = 0;
    for (size_t f = 0; f < n_features; f++) {
        out[f] /= tree->weighted_n[0];
        total += out[f];
    }
    if (total > 0)
        for (size_t f = 0; f < n_features; f++) out[f] /= total;
}

/* ---- tensors ------------------------------------------------------------------------ */

dial_status dial_cart_tensors_add(dial_ctx *ctx, dial_tensors *learned, const dial_cart_tree *trees,
                                  size_t n_trees, bool tree_offset) {
    size_t n_nodes = 0, n_outputs = n_trees ? trees[0].n_outputs : 1;
    for (size_t t = 0; t < n_trees; t++) n_nodes += trees[t].n_nodes;
    size_t shape[2] = {n_nodes, n_outputs};
    int64_t *feature, *left, *right, *n_samples, *offset = NULL;
    double *threshold, *value, *impurity;
    dial_status status;
    if ((status = dial_tensors_add(ctx, learned, "feature", DIAL_I64, 1, shape,
                                   (void **)&feature)) != DIAL_OK ||
        (status = dial_tensors_add(ctx, learned, "threshold", DIAL_F64, 1, shape,
                                   (void **)&threshold)) != DIAL_OK ||
        (status = dial_tensors_add(ctx, learned, "left", DIAL_I64, 1, shape, (void **)&left)) !=
            DIAL_OK ||
        (status = dial_tensors_add(ctx, learned, "right", DIAL_I64, 1, shape, (void **)&right)) !=
            DIAL_OK ||
        (status = dial_tensors_add(ctx, learned, "value", DIAL_F64, 2, shape, (void **)&value)) !=
            DIAL_OK ||
        (status = dial_tensors_add(ctx, learned, "n_samples", DIAL_I64, 1, shape,
                                   (void **)&n_samples)) != DIAL_OK ||
        (status = dial_tensors_add(ctx, learned, "impurity", DIAL_F64, 1, shape,
                                   (void **)&impurity)) != DIAL_OK)
        return status;
    if (tree_offset) {
        size_t offset_shape[1] = {n_trees + 1};
        status = dial_tensors_add(ctx, learned, "tree_offset", DIAL_I64, 1, offset_shape,
                                  (void **)&offset);
        if (status != DIAL_OK) return status;
    }
    size_t at = 0;
    for (size_t t = 0; t < n_trees; t++) {
        const dial_cart_tree *tree = &trees[t];
        size_t m = tree->n_nodes;
        if (offset) offset[t] = (int64_t)at;
        memcpy(feature + at, tree->feature, m * sizeof *feature);
        memcpy(threshold + at, tree->threshold, m * sizeof *threshold);
        memcpy(left + at, tree->left, m * sizeof *left);
        memcpy(right + at, tree->right, m * sizeof *right);
        memcpy(n_samples + at, tree->n_samples, m * sizeof *n_samples);
        memcpy(impurity + at, tree->impurity, m * sizeof *impurity);
        memcpy(value + at * n_outputs, tree->value, m * n_outputs * sizeof *value);
        at += m;
    }
    if (offset) offset[n_trees] = (int64_t)at;
    return DIAL_OK;
}

static dial_status cart_tensor(dial_ctx *ctx, const char *family, const dial_tensors *learned,
                               const char *name, dial_dtype dtype, int ndim, size_t rows,
                               size_t cols, const char *per, const void **out) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t) return dial_fail(ctx, DIAL_ERR_FORMAT, "%s model has no tensor '%s'", family, name);
    bool shape_ok = t->ndim == ndim && t->shape[0] == rows && (ndim == 1 || t->shape[1] == cols);
    if (t->dtype != dtype || !shape_ok || (rows && !t->data)) {
        const char *type = dtype == DIAL_I64 ? "int64" : "float64";
        if (ndim == 1)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s model tensor '%s' must be %s of shape [%zu], one per %s", family,
                             name, type, rows, per);
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s model tensor '%s' must be %s of shape [%zu x %zu], one row per %s",
                         family, name, type, rows, cols, per);
    }
    *out = t->data;
    return DIAL_OK;
}

/* Writes "tree node 5" or "forest tree 3 node 5" into buf. */
static const char *cart_node_name(char *buf, size_t size, const char *family, bool forest, size_t t,
                                  size_t i) {
    if (forest)
        snprintf(buf, size, "%s tree %zu node %zu", family, t, i);
    else
        snprintf(buf, size, "%s node %zu", family, i);
    return buf;
}

static dial_status cart_check_tree(dial_ctx *ctx, const char *family, bool forest, size_t t,
                                   const dial_cart_view *v, const dial_fit_input *in,
                                   int64_t *parent) {
    char who[96];
    if (v->n_nodes >= UINT32_MAX)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "%s: a tree of %zu nodes is more than dial takes",
                         family, v->n_nodes);
    for (size_t i = 0; i < v->n_nodes; i++) parent[i] = -1;
    const char *of_tree = forest ? " of its tree" : "";
    bool classification = in->task == DIAL_TASK_CLASSIFICATION;
    for (size_t i = 0; i < v->n_nodes; i++) {
        int64_t l = v->left[i], r = v->right[i], f = v->feature[i];
        int64_t children[2] = {l, r};
        for (int side = 0; side < 2; side++) {
            int64_t c = children[side];
            if (c == -1) continue;
            if (c < 0 || (uint64_t)c >= v->n_nodes)
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s has a child index %" PRId64 " outside the %zu nodes%s",
                                 cart_node_name(who, sizeof who, family, forest, t, i), c,
                                 v->n_nodes, of_tree);
            if ((uint64_t)c <= i)
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s has a child index %" PRId64 " that does not come after it "
                                 "(a child must follow its parent)",
                                 cart_node_name(who, sizeof who, family, forest, t, i), c);
            if (parent[c] >= 0)
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s has a child index %" PRId64 " that is already a child of "
                                 "node %" PRId64 " (a node has one parent)",
                                 cart_node_name(who, sizeof who, family, forest, t, i), c,
                                 parent[c]);
            parent[c] = (int64_t)i;
        }
        if ((l == -1) != (r == -1))
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s has one child (left %" PRId64 ", right %" PRId64
                             "): a node has two or none",
                             cart_node_name(who, sizeof who, family, forest, t, i), l, r);
        if (l == -1 && f != -1)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s is a leaf but splits on feature %" PRId64 " (a leaf has -1)",
                             cart_node_name(who, sizeof who, family, forest, t, i), f);
        if (l != -1 && (f < 0 || (uint64_t)f >= in->n_features || f > INT32_MAX))
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s splits on feature %" PRId64 " but the model has %zu inputs",
                             cart_node_name(who, sizeof who, family, forest, t, i), f,
                             in->n_features);
        if (l != -1 && isnan(v->threshold[i]))
            return dial_fail(ctx, DIAL_ERR_FORMAT, "%s has a threshold that is not a number",
                             cart_node_name(who, sizeof who, family, forest, t, i));
        if (v->n_samples[i] < 0)
            return dial_fail(ctx, DIAL_ERR_FORMAT, "%s has %" PRId64 " samples",
                             cart_node_name(who, sizeof who, family, forest, t, i),
                             v->n_samples[i]);
        if (isnan(v->impurity[i]))
            return dial_fail(ctx, DIAL_ERR_FORMAT, "%s has an impurity that is not a number",
                             cart_node_name(who, sizeof who, family, forest, t, i));
        for (size_t o = 0; o < v->n_outputs; o++) {
            double x = v->value[i * v->n_outputs + o];
            if (classification && !(x >= 0 && x <= 1))
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s gives class %zu the probability %g, outside [0, 1]",
                                 cart_node_name(who, sizeof who, family, forest, t, i), o, x);
            if (!isfinite(x))
                return dial_fail(ctx, DIAL_ERR_FORMAT, "%s has the value %g, not a finite number",
                                 cart_node_name(who, sizeof who, family, forest, t, i), x);
        }
    }
    return DIAL_OK;
}

dial_status dial_cart_tensors_read(dial_ctx *ctx, const char *family, const dial_tensors *learned,
                                   const dial_fit_input *in, bool tree_offset,
                                   dial_cart_forest *out) {
    *out = (dial_cart_forest){0};
    bool classification = in->task == DIAL_TASK_CLASSIFICATION;
    if (classification && in->n_classes < 1)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "%s model: a classifier needs classes", family);
    const dial_tensor *feature = dial_tensors_find(learned, "feature");
    if (!feature)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "%s model has no tensor 'feature'", family);
    if (feature->ndim != 1 || feature->shape[0] == 0)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "%s model tensor 'feature' must be int64 of shape [n_nodes] with at least "
                         "one node",
                         family);
    size_t n = feature->shape[0];
    size_t n_outputs = classification ? in->n_classes : 1;
    const void *p = NULL;
    dial_status status;
#define CART_READ(name, dtype, ndim, rows, cols, per, field)                                    \
    if ((status = cart_tensor(ctx, family, learned, name, dtype, ndim, rows, cols, per, &p)) != \
        DIAL_OK)                                                                                \
        return status;                                                                          \
    out->field = p;
    CART_READ("feature", DIAL_I64, 1, n, 0, "node", feature)
    CART_READ("threshold", DIAL_F64, 1, n, 0, "node", threshold)
    CART_READ("left", DIAL_I64, 1, n, 0, "node", left)
    CART_READ("right", DIAL_I64, 1, n, 0, "node", right)
    CART_READ("value", DIAL_F64, 2, n, n_outputs, "node", value)
    CART_READ("n_samples", DIAL_I64, 1, n, 0, "node", n_samples)
    CART_READ("impurity", DIAL_F64, 1, n, 0, "node", impurity)
    CART_READ("importance", DIAL_F64, 1, in->n_features, 0, "input", importance)
#undef CART_READ
    out->n_nodes = n;
    out->n_outputs = n_outputs;
    out->n_trees = 1;
    if (tree_offset) {
        const dial_tensor *t = dial_tensors_find(learned, "tree_offset");
        if (!t || t->dtype != DIAL_I64 || t->ndim != 1 || t->shape[0] < 2 || !t->data)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s model tensor 'tree_offset' must be int64 of shape [n_trees + 1]",
                             family);
        const int64_t *offset = t->data;
        size_t n_trees = t->shape[0] - 1;
        if (offset[0] != 0 || offset[n_trees] != (int64_t)n)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s model tensor 'tree_offset' must run from 0 to the %zu nodes, "
                             "found %" PRId64 " to %" PRId64,
                             family, n, offset[0], offset[n_trees]);
        for (size_t i = 1; i <= n_trees; i++)
            if (offset[i] <= offset[i - 1])
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "%s model tensor 'tree_offset' must rise by at least one node "
                                 "per tree; entry %zu is %" PRId64 " after %" PRId64,
                                 family, i, offset[i], offset[i - 1]);
        out->offset = offset;
        out->n_trees = n_trees;
    }
    size_t largest = 0;
    for (size_t t = 0; t < out->n_trees; t++) {
        size_t m = dial_cart_forest_tree(out, t).n_nodes;
        if (m > largest) largest = m;
    }
    int64_t *parent = malloc(largest * sizeof *parent);
    if (!parent)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "%s: out of memory checking %zu nodes", family, n);
    for (size_t t = 0; t < out->n_trees && status == DIAL_OK; t++) {
        dial_cart_view v = dial_cart_forest_tree(out, t);
        status = cart_check_tree(ctx, family, tree_offset, t, &v, in, parent);
    }
    free(parent);
    return status;
}

size_t dial_cart_pack(const dial_cart_view *tree, dial_cart_packed *out, uint32_t *stack) {
    /* depth first, left before right; a right child on the stack carries
     * the packed index of its parent, whose next it fills when it lands */
    size_t top = 0, count = 0;
    stack[top++] = 0;
    uint32_t *patch = stack + tree->n_nodes; /* parallel to stack */
    patch[0] = UINT32_MAX;
    while (top > 0 && count < tree->n_nodes) {
        top--;
        uint32_t node = stack[top], from = patch[top], at = (uint32_t)count++;
        if (from != UINT32_MAX) out[from].next = at;
        out[at].threshold = tree->threshold[node];
        if (tree->left[node] < 0) {
            const double *row = tree->value + (size_t)node * tree->n_outputs;
            size_t nonzero = 0, one = 0;
            for (size_t c = 0; c < tree->n_outputs; c++) nonzero += row[c] != 0.0;
            if (nonzero == 1)
                while (row[one] == 0.0) one++;
            bool pure = nonzero == 1 && row[one] == 1.0 && one < INT32_MAX - 2;
            out[at].feature = pure ? -2 - (int32_t)one : -1;
            out[at].next = node;
            continue;
        }
        out[at].feature = (int32_t)tree->feature[node];
        stack[top] = (uint32_t)tree->right[node];
        patch[top++] = at;
        stack[top] = (uint32_t)tree->left[node];
        patch[top++] = UINT32_MAX;
    }
    return count;
}

dial_cart_view dial_cart_forest_tree(const dial_cart_forest *forest, size_t t) {
    size_t start = forest->offset ? (size_t)forest->offset[t] : 0;
    size_t end = forest->offset ? (size_t)forest->offset[t + 1] : forest->n_nodes;
    size_t k = forest->n_outputs;
    return (dial_cart_view){end - start,
                            k,
                            forest->feature + start,
                            forest->left + start,
                            forest->right + start,
                            forest->n_samples + start,
                            forest->threshold + start,
                            forest->impurity + start,
                            forest->value + start * k};
}

/*
 * Functional ANOVA of a random forest (Hutter, Hoos and Leyton-Brown, "An
 * Efficient Approach for Assessing Hyperparameter Importance", ICML 2014).
 *
 * A regression tree is a constant on each leaf's box, and the boxes tile
 * the unit cube of the knobs (a numeric knob's interval of [0, 1], a
 * categorical's set of categories, each category weighing 1 / K). So every
 * marginal of the tree is exact: the marginal over knob j at x_j sums, over
 * the leaves whose box holds x_j, the leaf's value times the volume of its
 * box in the other knobs. It is constant between the tree's split points on
 * j, so its variance is a finite sum over those segments (and over the
 * cells of two knobs' segments for a pair). No sampling, as the paper's
 * Theorem 2.
 *
 * The forest is dial's own (regression, 64 trees by default as Optuna's
 * evaluator, bootstrap, every knob a candidate at each node), fitted
 * through the public model API on a table whose columns are the knobs'
 * unit coordinates; its trees are read back from the model's tensors.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/data.h"
#include "dial/model.h"
#include "tune/knob_importance_internal.h"

/* ---- the forest ----------------------------------------------------------- */

/* A table of the matrix's columns (named k0, k1, ...) and the objective. */
static dial_status fanova_table(dial_ctx *ctx, const dial_knob_matrix *m, dial_table **out) {
    dial_table *table = dial_calloc(ctx, 1, sizeof *table);
    if (!table) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the knobs' table");
    *out = table;
    table->has_header = true;
    table->n_rows = m->n_rows;
    table->cols = dial_calloc(ctx, m->n_cols + 1, sizeof *table->cols);
    if (!table->cols) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the knobs' table");
    table->n_cols = m->n_cols + 1;
    for (size_t c = 0; c <= m->n_cols; c++) {
        dial_column *column = &table->cols[c];
        bool knob = c < m->n_cols;
        char name[32];
        if (knob)
            snprintf(name, sizeof name, "k%zu", c);
        else
            snprintf(name, sizeof name, "objective");
        column->name = dial_strdup(ctx, name);
        column->values = dial_malloc_array(ctx, m->n_rows ? m->n_rows : 1, sizeof(double));
        if (!column->name || !column->values)
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the knobs' table");
        for (size_t r = 0; r < m->n_rows; r++)
            column->values[r] = knob ? m->x[r * m->n_cols + c] : m->y[r];
        size_t levels = knob ? m->n_categories[c] : 0;
        if (levels == 0) continue;
        /* Level l of the table is category l: the names only need to differ. */
        column->type = DIAL_COLUMN_CATEGORICAL;
        column->levels = dial_calloc(ctx, levels, sizeof *column->levels);
        if (!column->levels)
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the knobs' table");
        column->n_levels = levels; /* the table frees them, NULL or not */
        for (size_t l = 0; l < levels; l++) {
            snprintf(name, sizeof name, "%zu", l);
            column->levels[l] = dial_strdup(ctx, name);
            if (!column->levels[l])
                return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the knobs' table");
        }
    }
    return DIAL_OK;
}

/* Fits the forest on a context of its own, so that its seed is the
 * analysis's and the caller's context keeps its own. */
static dial_status fanova_forest(dial_ctx *ctx, const dial_knob_matrix *m, uint64_t seed,
                                 size_t n_trees, dial_table **table, dial_dataset **data,
                                 dial_model **model) {
    dial_status status = fanova_table(ctx, m, table);
    if (status == DIAL_OK)
        status = dial_dataset_from_table(ctx, *table, "objective", DIAL_TASK_REGRESSION, data);
    const dial_model_family *family = dial_model_family_find("forest");
    if (status == DIAL_OK && !family)
        status = dial_fail(ctx, DIAL_ERR_INTERNAL, "fANOVA needs the forest family");
    dial_knobs knobs = {0};
    if (status == DIAL_OK) status = dial_model_knobs_init(ctx, family, &knobs);
    if (status == DIAL_OK)
        status = dial_knobs_set_number(ctx, &knobs, "n_estimators", (double)n_trees);
    /* The thresholds must stay in the knobs' unit coordinates. */
    if (status == DIAL_OK) status = dial_knobs_set(ctx, &knobs, "scale", "none");
    if (status == DIAL_OK) {
        dial_ctx *own = dial_ctx_clone(ctx, dial_ctx_threads(ctx));
        if (!own) {
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the forest's context");
        } else {
            dial_ctx_set_seed(own, seed);
            dial_view all = dial_view_all(*data);
            status = dial_model_fit(own, family, &knobs, &all, model);
            if (status != DIAL_OK)
                dial_fail(ctx, status, "fANOVA's forest: %s", dial_ctx_error(own));
            dial_ctx_free(own);
        }
    }
    dial_knobs_free(&knobs);
    return status;
}

/* ---- the forest's trees ------------------------------------------------------ */

/* The fitted forest's node tensors (docs of src/models/forest.c): every
 * tree's nodes, concatenated, tree t's from offset[t]. Read here once:
 * dial_model_tree_get checks the whole forest, as a file from a stranger,
 * on every call, which for 64 trees made this quadratic in the nodes; the
 * forest here was fitted a moment ago, and boxes_fill still checks every
 * split it walks (children after it and in its tree, an input the model
 * places, a bitset inside the words). */
typedef struct fanova_nodes {
    size_t n_trees, n_nodes, n_words;
    const int64_t *offset, *input, *left, *right, *category;
    const double *threshold, *value;
    const uint64_t *bits;
} fanova_nodes;

/* The tensor named name with n elements of dtype, or NULL. */
static const void *tensor_data(const dial_tensors *set, const char *name, dial_dtype dtype,
                               size_t n) {
    const dial_tensor *t = dial_tensors_find(set, name);
    return t && t->dtype == dtype && dial_tensor_size(t) == n ? t->data : NULL;
}

static bool nodes_read(const dial_model *model, fanova_nodes *out) {
    const dial_tensors *set = dial_model_get_tensors(model);
    const dial_tensor *offset = dial_tensors_find(set, "tree_offset");
    const dial_tensor *feature = dial_tensors_find(set, "feature");
    if (!offset || offset->dtype != DIAL_I64 || dial_tensor_size(offset) < 2 || !feature)
        return false;
    *out = (fanova_nodes){.n_trees = dial_tensor_size(offset) - 1,
                          .n_nodes = dial_tensor_size(feature),
                          .offset = offset->data};
    out->input = tensor_data(set, "feature", DIAL_I64, out->n_nodes);
    out->left = tensor_data(set, "left", DIAL_I64, out->n_nodes);
    out->right = tensor_data(set, "right", DIAL_I64, out->n_nodes);
    out->threshold = tensor_data(set, "threshold", DIAL_F64, out->n_nodes);
    out->value = tensor_data(set, "value", DIAL_F64, out->n_nodes); /* one value: regression */
    const dial_tensor *bits = dial_tensors_find(set, "category_bits");
    if (bits && bits->dtype == DIAL_I64) {
        out->category = tensor_data(set, "category", DIAL_I64, out->n_nodes);
        out->bits = bits->data; /* int64 words read as the bitsets they are */
        out->n_words = dial_tensor_size(bits);
        if (!out->category) return false;
    }
    if (!out->input || !out->left || !out->right || !out->threshold || !out->value) return false;
    if (out->offset[0] != 0 || out->offset[out->n_trees] != (int64_t)out->n_nodes) return false;
    for (size_t t = 0; t < out->n_trees; t++)
        if (out->offset[t + 1] <= out->offset[t]) return false;
    return true;
}

/* Tree t in the form the model API gives (dial_tree), borrowing the nodes. */
static dial_tree nodes_tree(const fanova_nodes *nodes, size_t t) {
    size_t first = (size_t)nodes->offset[t];
    return (dial_tree){
        .n_nodes = (size_t)nodes->offset[t + 1] - first,
        .input = nodes->input + first,
        .threshold = nodes->threshold + first,
        .left = nodes->left + first,
        .right = nodes->right + first,
        .category = nodes->category ? nodes->category + first : NULL,
        .category_bits = nodes->bits,
        .n_category_words = nodes->n_words,
        .value = nodes->value + first,
        .n_values = 1,
        .leaf = DIAL_TREE_LEAF_PREDICTION,
        .ensemble = true,
        .round = t,
    };
}

/* ---- one tree's boxes ---------------------------------------------------- */

/* Every node's box: lo and hi of each numeric column, and for a
 * categorical column which of its categories the box holds (in, at the
 * column's offset). */
typedef struct fanova_boxes {
    size_t n_cols, n_flags;
    size_t *offset;    /* per column: where its flags start */
    double *lo, *hi;   /* n_nodes x n_cols */
    unsigned char *in; /* n_nodes x n_flags */
} fanova_boxes;

static void box_copy(fanova_boxes *b, size_t to, size_t from) {
    memcpy(b->lo + to * b->n_cols, b->lo + from * b->n_cols, b->n_cols * sizeof *b->lo);
    memcpy(b->hi + to * b->n_cols, b->hi + from * b->n_cols, b->n_cols * sizeof *b->hi);
    memcpy(b->in + to * b->n_flags, b->in + from * b->n_flags, b->n_flags);
}

/* Whether category `level` of a categorical column goes left at a split. */
static bool split_left_level(const dial_tree *tree, size_t node, size_t input_level, size_t level) {
    if (tree->category && tree->category[node] >= 0) {
        size_t word = (size_t)tree->category[node] + level / 64;
        return word < tree->n_category_words && (tree->category_bits[word] >> (level % 64) & 1);
    }
    /* A split on one level's one-hot column: 1 in its column, 0 elsewhere
     * (the forest scales nothing). */
    double x = level == input_level ? 1.0 : 0.0;
    return x <= tree->threshold[node];
}

/* Fills every node's box from its parent's (preorder: a parent comes
 * first). False when a split names an input the model cannot place. */
static bool boxes_fill(const dial_model *model, const dial_tree *tree, const dial_knob_matrix *m,
                       fanova_boxes *b) {
    for (size_t c = 0; c < m->n_cols; c++) {
        b->lo[c] = 0;
        b->hi[c] = 1;
    }
    memset(b->in, 1, b->n_flags);
    for (size_t node = 0; node < tree->n_nodes; node++) {
        if (tree->input[node] < 0) continue;
        int64_t left = tree->left[node], right = tree->right[node];
        if (left <= (int64_t)node || right <= (int64_t)node || (size_t)left >= tree->n_nodes ||
            (size_t)right >= tree->n_nodes)
            return false;
        size_t feature, level;
        if (!dial_model_input_feature(model, (size_t)tree->input[node], &feature, &level) ||
            feature >= m->n_cols)
            return false;
        box_copy(b, (size_t)left, node);
        box_copy(b, (size_t)right, node);
        size_t c = feature;
        if (m->n_categories[c] == 0) {
            double t = fmin(fmax(tree->threshold[node], 0), 1);
            double *hi = &b->hi[(size_t)left * m->n_cols + c];
            double *lo = &b->lo[(size_t)right * m->n_cols + c];
            *hi = fmin(*hi, t);
            *lo = fmax(*lo, t);
            continue;
        }
        unsigned char *in_left = b->in + (size_t)left * b->n_flags + b->offset[c];
        unsigned char *in_right = b->in + (size_t)right * b->n_flags + b->offset[c];
        for (size_t l = 0; l < m->n_categories[c]; l++) {
            bool goes_left = split_left_level(tree, node, level, l);
            if (goes_left)
                in_right[l] = 0;
            else
                in_left[l] = 0;
        }
    }
    return true;
}

/* The box's measure along column c. */
static double box_width(const fanova_boxes *b, const dial_knob_matrix *m, size_t node, size_t c) {
    if (m->n_categories[c] == 0)
        return fmax(b->hi[node * m->n_cols + c] - b->lo[node * m->n_cols + c], 0);
    size_t held = 0;
    for (size_t l = 0; l < m->n_categories[c]; l++)
        held += b->in[node * b->n_flags + b->offset[c] + l];
    return (double)held / (double)m->n_categories[c];
}

/* ---- a column's segments --------------------------------------------------- */

/* The cells of one column's marginal: for a numeric column the segments
 * between the tree's split points on it (cut[0] = 0 < ... < cut[n] = 1),
 * for a categorical its categories. */
typedef struct fanova_axis {
    size_t n;
    double *cut; /* numeric: n + 1 points */
    double *width;
} fanova_axis;

static int double_compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static size_t axis_find(const fanova_axis *axis, double point) {
    size_t low = 0, high = axis->n; /* the cut equal to point */
    while (low < high) {
        size_t mid = (low + high) / 2;
        if (axis->cut[mid] < point)
            low = mid + 1;
        else
            high = mid;
    }
    return low;
}

/* The leaf's cells along the axis: [first, end) for a numeric column;
 * for a categorical, those whose flag is set (first 0, end n). */
static void axis_range(const fanova_axis *axis, const fanova_boxes *b, const dial_knob_matrix *m,
                       size_t leaf, size_t c, size_t *first, size_t *end) {
    if (m->n_categories[c]) {
        *first = 0;
        *end = axis->n;
        return;
    }
    *first = axis_find(axis, b->lo[leaf * m->n_cols + c]);
    *end = axis_find(axis, b->hi[leaf * m->n_cols + c]);
}

static bool axis_holds(const fanova_boxes *b, const dial_knob_matrix *m, size_t leaf, size_t c,
                       size_t cell) {
    return m->n_categories[c] == 0 || b->in[leaf * b->n_flags + b->offset[c] + cell];
}

static dial_status axis_build(dial_ctx *ctx, const dial_knob_matrix *m, const fanova_boxes *b,
                              const size_t *leaves, size_t n_leaves, size_t c, fanova_axis *axis) {
    size_t k = m->n_categories[c];
    size_t capacity = k ? k + 1 : 2 * n_leaves + 2;
    axis->cut = dial_malloc_array(ctx, capacity, sizeof *axis->cut);
    axis->width = dial_malloc_array(ctx, capacity, sizeof *axis->width);
    if (!axis->cut || !axis->width)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for fANOVA's marginals");
    if (k) {
        axis->n = k;
        for (size_t l = 0; l < k; l++) axis->width[l] = 1.0 / (double)k;
        return DIAL_OK;
    }
    size_t n = 0;
    axis->cut[n++] = 0;
    axis->cut[n++] = 1;
    for (size_t i = 0; i < n_leaves; i++) {
        axis->cut[n++] = b->lo[leaves[i] * m->n_cols + c];
        axis->cut[n++] = b->hi[leaves[i] * m->n_cols + c];
    }
    qsort(axis->cut, n, sizeof *axis->cut, double_compare);
    size_t unique = 0;
    for (size_t i = 0; i < n; i++)
        if (unique == 0 || axis->cut[i] > axis->cut[unique - 1]) axis->cut[unique++] = axis->cut[i];
    axis->n = unique - 1;
    for (size_t s = 0; s < axis->n; s++) axis->width[s] = axis->cut[s + 1] - axis->cut[s];
    return DIAL_OK;
}

static void axis_free(fanova_axis *axis) {
    free(axis->cut);
    free(axis->width);
    *axis = (fanova_axis){0};
}

/* ---- one tree's terms --------------------------------------------------------- */

typedef struct fanova_tree {
    const dial_knob_matrix *m;
    const fanova_boxes *b;
    size_t *leaves;
    size_t n_leaves;
    double *value, *volume; /* per leaf */
    double mean, variance;
    fanova_axis *axes; /* per column */
} fanova_tree;

/* Variance of the marginal over column c. */
static dial_status single_variance(dial_ctx *ctx, const fanova_tree *t, size_t c, double *out) {
    const fanova_axis *axis = &t->axes[c];
    double *sum = dial_calloc(ctx, axis->n + 1, sizeof *sum);
    if (!sum) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for fANOVA's marginals");
    bool numeric = t->m->n_categories[c] == 0;
    for (size_t i = 0; i < t->n_leaves; i++) {
        size_t leaf = t->leaves[i];
        double width = box_width(t->b, t->m, leaf, c);
        if (width <= 0) continue;
        double share = t->value[i] * t->volume[i] / width;
        size_t first, end;
        axis_range(axis, t->b, t->m, leaf, c, &first, &end);
        if (numeric) {
            sum[first] += share; /* a difference array: summed below */
            sum[end] -= share;
        } else {
            for (size_t s = first; s < end; s++)
                if (axis_holds(t->b, t->m, leaf, c, s)) sum[s] += share;
        }
    }
    double running = 0, variance = 0;
    for (size_t s = 0; s < axis->n; s++) {
        running = numeric ? running + sum[s] : sum[s];
        variance += axis->width[s] * (running - t->mean) * (running - t->mean);
    }
    free(sum);
    *out = variance;
    return DIAL_OK;
}

/* Variance of the marginal over columns a and b together. */
static dial_status pair_variance(dial_ctx *ctx, const fanova_tree *t, size_t a, size_t b,
                                 double *out) {
    const fanova_axis *row = &t->axes[a], *col = &t->axes[b];
    size_t stride = col->n + 1;
    double *sum = dial_calloc(ctx, row->n * stride, sizeof *sum);
    if (!sum) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for fANOVA's pair marginals");
    bool col_numeric = t->m->n_categories[b] == 0;
    for (size_t i = 0; i < t->n_leaves; i++) {
        size_t leaf = t->leaves[i];
        double width = box_width(t->b, t->m, leaf, a) * box_width(t->b, t->m, leaf, b);
        if (width <= 0) continue;
        double share = t->value[i] * t->volume[i] / width;
        size_t first_r, end_r, first_c, end_c;
        axis_range(row, t->b, t->m, leaf, a, &first_r, &end_r);
        axis_range(col, t->b, t->m, leaf, b, &first_c, &end_c);
        for (size_t r = first_r; r < end_r; r++) {
            if (!axis_holds(t->b, t->m, leaf, a, r)) continue;
            double *line = sum + r * stride;
            if (col_numeric) {
                line[first_c] += share; /* a difference array along the row */
                line[end_c] -= share;
                continue;
            }
            for (size_t s = first_c; s < end_c; s++)
                if (axis_holds(t->b, t->m, leaf, b, s)) line[s] += share;
        }
    }
    double variance = 0;
    for (size_t r = 0; r < row->n; r++) {
        double running = 0;
        for (size_t s = 0; s < col->n; s++) {
            running = col_numeric ? running + sum[r * stride + s] : sum[r * stride + s];
            double d = running - t->mean;
            variance += row->width[r] * col->width[s] * d * d;
        }
    }
    free(sum);
    *out = variance;
    return DIAL_OK;
}

/* Adds one tree's fractions to singles (and pairs); *used is set when the
 * tree varies at all (a tree of one leaf explains nothing and is left out
 * of the mean). */
static dial_status tree_terms(dial_ctx *ctx, const dial_model *model, const dial_tree *tree,
                              const dial_knob_matrix *m, fanova_boxes *b, double *singles,
                              double *pairs, bool *used) {
    *used = false;
    if (!boxes_fill(model, tree, m, b))
        return dial_fail(ctx, DIAL_ERR_INTERNAL,
                         "fANOVA: a tree of the forest has a split it cannot place");
    fanova_tree t = {.m = m, .b = b};
    t.leaves = dial_malloc_array(ctx, tree->n_nodes, sizeof *t.leaves);
    t.value = dial_malloc_array(ctx, tree->n_nodes, sizeof *t.value);
    t.volume = dial_malloc_array(ctx, tree->n_nodes, sizeof *t.volume);
    t.axes = dial_calloc(ctx, m->n_cols, sizeof *t.axes);
    dial_status status = t.leaves && t.value && t.volume && t.axes
                             ? DIAL_OK
                             : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for fANOVA's leaves");
    for (size_t node = 0; status == DIAL_OK && node < tree->n_nodes; node++) {
        if (tree->input[node] >= 0) continue;
        double volume = 1;
        for (size_t c = 0; c < m->n_cols; c++) volume *= box_width(b, m, node, c);
        t.leaves[t.n_leaves] = node;
        t.value[t.n_leaves] = tree->value[node * tree->n_values];
        t.volume[t.n_leaves++] = volume;
        t.mean += volume * tree->value[node * tree->n_values];
    }
    for (size_t i = 0; status == DIAL_OK && i < t.n_leaves; i++)
        t.variance += t.volume[i] * (t.value[i] - t.mean) * (t.value[i] - t.mean);
    /* Below this the tree is flat up to rounding: its fractions are noise. */
    bool flat = !(t.variance > 1e-12 * (t.mean * t.mean + 1e-300));
    for (size_t c = 0; status == DIAL_OK && !flat && c < m->n_cols; c++)
        status = axis_build(ctx, m, b, t.leaves, t.n_leaves, c, &t.axes[c]);
    double *own = status == DIAL_OK && !flat ? dial_calloc(ctx, m->n_cols, sizeof *own) : NULL;
    if (status == DIAL_OK && !flat && !own)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for fANOVA's terms");
    for (size_t c = 0; status == DIAL_OK && !flat && c < m->n_cols; c++)
        status = single_variance(ctx, &t, c, &own[c]);
    for (size_t c = 0; status == DIAL_OK && !flat && c < m->n_cols; c++)
        singles[c] += own[c] / t.variance;
    for (size_t a = 0; status == DIAL_OK && !flat && pairs && a < m->n_cols; a++)
        for (size_t c = a + 1; status == DIAL_OK && c < m->n_cols; c++) {
            double joint = 0;
            status = pair_variance(ctx, &t, a, c, &joint);
            /* Rounding may leave a pair with no interaction a hair below 0. */
            if (status == DIAL_OK)
                pairs[a * m->n_cols + c] += fmax(joint - own[a] - own[c], 0) / t.variance;
        }
    if (status == DIAL_OK && !flat) *used = true;
    for (size_t c = 0; t.axes && c < m->n_cols; c++) axis_free(&t.axes[c]);
    free(own);
    free(t.axes);
    free(t.leaves);
    free(t.value);
    free(t.volume);
    return status;
}

dial_status dial_knob_fanova(dial_ctx *ctx, const dial_knob_matrix *m, uint64_t seed,
                             size_t n_trees, double *singles, double *pairs) {
    for (size_t c = 0; c < m->n_cols; c++) singles[c] = 0;
    for (size_t i = 0; pairs && i < m->n_cols * m->n_cols; i++) pairs[i] = 0;
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    dial_model *model = NULL;
    dial_status status = fanova_forest(ctx, m, seed, n_trees, &table, &data, &model);
    size_t used_trees = 0, max_nodes = 0;
    fanova_nodes nodes = {0};
    if (status == DIAL_OK && !nodes_read(model, &nodes))
        status =
            dial_fail(ctx, DIAL_ERR_INTERNAL, "fANOVA: the forest's tensors are not its trees");
    for (size_t t = 0; status == DIAL_OK && t < nodes.n_trees; t++)
        if ((size_t)(nodes.offset[t + 1] - nodes.offset[t]) > max_nodes)
            max_nodes = (size_t)(nodes.offset[t + 1] - nodes.offset[t]);
    fanova_boxes boxes = {.n_cols = m->n_cols};
    boxes.offset = dial_calloc(ctx, m->n_cols + 1, sizeof *boxes.offset);
    for (size_t c = 0; boxes.offset && c < m->n_cols; c++)
        boxes.offset[c + 1] = boxes.offset[c] + m->n_categories[c];
    if (boxes.offset) boxes.n_flags = boxes.offset[m->n_cols] ? boxes.offset[m->n_cols] : 1;
    if (status == DIAL_OK) {
        boxes.lo = dial_malloc_array(ctx, max_nodes * m->n_cols + 1, sizeof *boxes.lo);
        boxes.hi = dial_malloc_array(ctx, max_nodes * m->n_cols + 1, sizeof *boxes.hi);
        boxes.in = boxes.offset ? dial_malloc_array(ctx, max_nodes + 1, boxes.n_flags) : NULL;
        if (!boxes.offset || !boxes.lo || !boxes.hi || !boxes.in)
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for fANOVA's boxes");
    }
    for (size_t t = 0; status == DIAL_OK && t < nodes.n_trees; t++) {
        dial_tree tree = nodes_tree(&nodes, t);
        bool used = false;
        status = tree_terms(ctx, model, &tree, m, &boxes, singles, pairs, &used);
        used_trees += used;
    }
    for (size_t c = 0; status == DIAL_OK && used_trees && c < m->n_cols; c++)
        singles[c] /= (double)used_trees;
    for (size_t i = 0; status == DIAL_OK && used_trees && pairs && i < m->n_cols * m->n_cols; i++)
        pairs[i] /= (double)used_trees;
    free(boxes.offset);
    free(boxes.lo);
    free(boxes.hi);
    free(boxes.in);
    dial_model_free(model);
    dial_dataset_free(data);
    dial_table_free(table);
    return status;
}

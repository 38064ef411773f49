/*
 * forest: a random forest (Breiman, Random Forests, 2001), as
 * scikit-learn's RandomForestClassifier and RandomForestRegressor: many
 * CART trees, each grown on a bootstrap sample of the rows (drawn with
 * replacement; a row drawn k times weighs k) and splitting each node on the
 * best of max_features features drawn at random (mtry). Classification
 * averages the trees' class probabilities, regression their predictions.
 *
 * Tree t draws its bootstrap sample and its features from the stream
 * (seed, t) alone, and the trees are grown on up to dial_ctx_threads
 * threads, each taking the next tree not yet started, so the same seed
 * gives the same forest, bit for bit, whatever the number of threads.
 *
 * With bootstrap on, the out-of-bag score (accuracy, or r2 for
 * regression) is the score of predicting each training row from the trees
 * that did not see it, over the rows that at least one tree left out
 * (scikit-learn's oob_score_); it is kept as the tensor "oob_score".
 */
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/cart.h"

static const dial_knob_spec forest_knobs[] = {
    DIAL_PREPROCESS_KNOBS("none"),
    {.name = "n_estimators",
     .type = DIAL_KNOB_INT,
     .default_text = "100",
     .lower = 1,
     .upper = 100000,
     .has_search_range = true,
     .search_low = 10,
     .search_high = 500,
     .log_scale = true,
     .condition = "",
     .doc = "number of trees; more is never worse, only slower (scikit-learn's default 100; "
            "searched 10..500 on a log scale, which trades score for time)"},
    DIAL_CART_CRITERION_KNOB,
    {.name = "max_depth",
     .type = DIAL_KNOB_INT,
     .default_text = "0",
     .lower = 0,
     .upper = INFINITY,
     .condition = "",
     .doc = "deepest level of each tree (the root is level 0); 0 grows until the leaves are pure "
            "or too small to split (not searched by default: Breiman grows full trees and "
            "min_samples_leaf bounds their size, as Probst, Boulesteix and Bischl, Tunability, "
            "JMLR 2019, tune the node size of a forest rather than its depth)"},
    {.name = "min_samples_split",
     .type = DIAL_KNOB_INT,
     .default_text = "2",
     .lower = 2,
     .upper = INFINITY,
     .condition = "",
     .doc = "fewest (distinct) training rows a node needs to be split"},
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
     .doc = "fewest (distinct) training rows each child of a split must keep (scikit-learn's "
            "default 1; searched 1..50 on a log scale, which favours the small leaves of "
            "Breiman's full trees)"},
    DIAL_CART_MAX_FEATURES_KNOBS("auto", true),
    {.name = "bootstrap",
     .type = DIAL_KNOB_BOOL,
     .default_text = "true",
     .condition = "",
     .doc = "grow each tree on a bootstrap sample of the rows (and compute the out-of-bag "
            "score); false grows every tree on all rows"},
    {.name = "max_samples",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .lower_open = true,
     .upper = 1,
     .condition = "bootstrap=true",
     .doc = "size of each bootstrap sample as a share of the training rows"},
    DIAL_CART_CLASS_WEIGHT_KNOB,
    DIAL_CART_CATEGORICAL_KNOB,
};

static const dial_param_doc forest_params[] = {
    {"feature", "n_nodes (all trees)", "the input each node splits on; -1 for a leaf"},
    {"threshold", "n_nodes",
     "a row goes to the left child when its input is <= threshold; 0 for a leaf"},
    {"left", "n_nodes",
     "index of the left child within its tree (counted from the tree's first node), -1 for a "
     "leaf"},
    {"right", "n_nodes", "index of the right child within its tree, -1 for a leaf"},
    {"value", "n_nodes x n_classes (x 1 for regression)",
     "what the node predicts: the class shares of its bootstrap rows, or their mean (median for "
     "absolute_error)"},
    {"n_samples", "n_nodes", "distinct bootstrap rows that reach the node"},
    {"impurity", "n_nodes", "the node's impurity under the criterion"},
    {"tree_offset", "n_estimators + 1", "where each tree's nodes start; the last entry is n_nodes"},
    {"importance", "n_inputs",
     "impurity importance averaged over the trees, normalised to sum to 1"},
    {"oob_score", "1",
     "out-of-bag accuracy (r2 for regression): each row predicted by the trees that did not see "
     "it; absent without bootstrap"},
    DIAL_CART_CATEGORY_PARAMS,
};

/* ---- growing the trees ------------------------------------------------------ */

typedef struct forest_build {
    const dial_ctx *ctx; /* read only by the workers: its allocation hook */
    const dial_cart_data *data;
    const dial_cart_params *params;
    const double *class_weight; /* per class, NULL for 1 */
    uint64_t seed;
    bool bootstrap;
    size_t n_draws; /* bootstrap draws per tree */
    size_t n_trees;
    dial_cart_tree *trees;
    dial_status *status; /* per tree */
    uint64_t *in_bag;    /* n_trees x words: bit i of tree t's row is set when drawn */
    size_t words;
    atomic_size_t next; /* the next tree to grow */
} forest_build;

/* One worker: grows the next tree not yet taken until none is left. */
static dial_status forest_grow_trees(void *arg, size_t begin, size_t end, int worker) {
    forest_build *b = arg;
    const dial_cart_data *data = b->data;
    size_t n = data->n_rows;
    (void)begin, (void)end, (void)worker;
    dial_cart_workspace *ws = dial_cart_workspace_new(b->ctx, data);
    double *weight = dial_malloc(b->ctx, n * sizeof *weight);
    uint32_t *counts = b->bootstrap ? dial_malloc(b->ctx, n * sizeof *counts) : NULL;
    dial_status status = DIAL_OK;
    if (!ws || !weight || (b->bootstrap && !counts)) status = DIAL_ERR_NOMEM;
    while (status == DIAL_OK) {
        size_t t = atomic_fetch_add(&b->next, 1);
        if (t >= b->n_trees) break;
        dial_rng rng = dial_rng_stream(b->seed, t);
        if (b->bootstrap) {
            uint64_t *bits = b->in_bag + t * b->words;
            memset(counts, 0, n * sizeof *counts);
            for (size_t draw = 0; draw < b->n_draws; draw++) counts[dial_rng_below(&rng, n)]++;
            for (size_t i = 0; i < n; i++) {
                weight[i] = counts[i];
                if (counts[i]) bits[i / 64] |= (uint64_t)1 << (i % 64);
            }
        } else {
            for (size_t i = 0; i < n; i++) weight[i] = 1;
        }
        if (b->class_weight)
            for (size_t i = 0; i < n; i++) weight[i] *= b->class_weight[data->label[i]];
        status = b->status[t] = dial_cart_grow(ws, data, b->params, weight, &rng, &b->trees[t]);
    }
    dial_cart_workspace_free(ws);
    free(weight);
    free(counts);
    return status;
}

/* ---- summing the trees' predictions --------------------------------------------- */

/* The trees packed for prediction (cart.h), one after the other. */
typedef struct forest_packed {
    size_t n_trees, n_outputs;
    dial_cart_packed *nodes;
    size_t *start;        /* n_trees + 1: where each tree's packed nodes begin */
    const double **value; /* per tree: its value rows */
} forest_packed;

/* Leaves p empty, so that freeing it again (after a failed pack) is harmless. */
static void forest_packed_free(forest_packed *p) {
    free(p->nodes);
    free(p->start);
    free(p->value);
    *p = (forest_packed){0};
}

/* Packs checked trees (cats: the model's categories, n_inputs its
 * inputs); false when out of memory. */
static bool forest_pack(const dial_ctx *ctx, forest_packed *p, const dial_cart_view *trees,
                        size_t n_trees, const dial_cart_categories *cats, size_t n_inputs) {
    size_t total = 0, largest = 0;
    for (size_t t = 0; t < n_trees; t++) {
        total += trees[t].n_nodes;
        if (trees[t].n_nodes > largest) largest = trees[t].n_nodes;
    }
    *p = (forest_packed){.n_trees = n_trees, .n_outputs = n_trees ? trees[0].n_outputs : 1};
    p->nodes = dial_malloc(ctx, (total ? total : 1) * sizeof *p->nodes);
    p->start = dial_malloc(ctx, (n_trees + 1) * sizeof *p->start);
    p->value = dial_malloc(ctx, (n_trees ? n_trees : 1) * sizeof *p->value);
    uint32_t *stack = dial_malloc(ctx, (2 * largest + 1) * sizeof *stack);
    if (!p->nodes || !p->start || !p->value || !stack) {
        free(stack);
        forest_packed_free(p);
        return false;
    }
    size_t at = 0;
    for (size_t t = 0; t < n_trees; t++) {
        p->start[t] = at;
        p->value[t] = trees[t].value;
        at += dial_cart_pack(&trees[t], cats, n_inputs, p->nodes + at, stack);
    }
    p->start[n_trees] = at;
    free(stack);
    return true;
}

/* Rows go through the trees a block at a time, every tree in order for the
 * block, so a tree stays in cache while it serves the block and each row's
 * sum is added up in the same order whatever the thread. */
enum { FOREST_BLOCK = 64, FOREST_LANES = 8 };

typedef struct forest_summer {
    const forest_packed *packed;
    const double *x;
    size_t n_rows, n_features;
    const uint64_t *in_bag; /* out-of-bag sums: skip the trees that drew the row */
    size_t words;
    double *sum;              /* out-of-bag: n_rows x n_outputs; predict: threads x block scratch */
    size_t *votes;            /* out-of-bag: trees that left each row out */
    dial_predict_output *out; /* predict: where the averages go */
    bool classification;
    const dial_cart_categories *cats; /* NULL when no tree splits a category */
    uint32_t *codes;                  /* threads x block x n_blocks scratch */
    const dial_csr *sparse;           /* NULL, or the rows compressed (x is then NULL) */
    double *dense;                    /* sparse: threads x dense_rows x n_features zeros */
    size_t dense_rows;
} forest_summer;

/* Sums (or, predicting, averages) the trees over rows r0 .. r1 - 1 (at most
 * a block), whose values are the rows of x from r0 on. */
static void forest_sum_rows(const forest_summer *s, int worker, size_t r0, size_t r1,
                            const double *x_r0) {
    const forest_packed *p = s->packed;
    size_t k = p->n_outputs, d = s->n_features;
    {
        double *sum = s->out ? s->sum + (size_t)worker * FOREST_BLOCK * k : s->sum + r0 * k;
        if (s->out) memset(sum, 0, (r1 - r0) * k * sizeof *sum);
        const dial_cart_categories *cats = s->cats;
        size_t n_blocks = cats ? cats->n_blocks : 0;
        uint32_t *codes = cats ? s->codes + (size_t)worker * FOREST_BLOCK * n_blocks : NULL;
        for (size_t r = r0; cats && r < r1; r++)
            dial_cart_category_codes(cats, x_r0 + (r - r0) * d, codes + (r - r0) * n_blocks);
        for (size_t t = 0; t < p->n_trees; t++) {
            const dial_cart_packed *nodes = p->nodes + p->start[t];
            const double *value = p->value[t];
            const uint64_t *bag = s->in_bag ? s->in_bag + t * s->words : NULL;
            size_t rows[FOREST_BLOCK], m = 0;
            for (size_t r = r0; r < r1; r++)
                if (!bag || !(bag[r / 64] >> (r % 64) & 1)) rows[m++] = r;
            /* FOREST_LANES rows walk down the tree together, so that the
             * memory waits of one overlap those of the others */
            for (size_t g = 0; g < m; g += FOREST_LANES) {
                size_t lanes = m - g < FOREST_LANES ? m - g : FOREST_LANES;
                uint32_t at[FOREST_LANES] = {0};
                const double *xs[FOREST_LANES];
                for (size_t l = 0; l < lanes; l++) xs[l] = x_r0 + (rows[g + l] - r0) * d;
                for (bool moving = true; moving;) {
                    moving = false;
                    for (size_t l = 0; l < lanes; l++) {
                        const dial_cart_packed *node = nodes + at[l];
                        if (node->feature < 0) continue;
                        /* a mask rather than a branch: the way is a coin toss */
                        uint32_t right =
                            cats ? 0u - (uint32_t)dial_cart_packed_right(
                                            node, xs[l], d, codes + (rows[g + l] - r0) * n_blocks,
                                            cats->bits)
                                 : 0u - (uint32_t) !(xs[l][node->feature] <= node->threshold);
                        at[l] = ((at[l] + 1) & ~right) | (node->next & right);
                        moving = true;
                    }
                }
                for (size_t l = 0; l < lanes; l++) {
                    size_t r = rows[g + l];
                    dial_cart_packed_add(nodes + at[l], value, k, sum + (r - r0) * k);
                    if (s->votes) s->votes[r]++;
                }
            }
        }
        if (!s->out) return;
        double trees = (double)p->n_trees;
        for (size_t r = r0; r < r1; r++) {
            const double *row = sum + (r - r0) * k;
            if (!s->classification) {
                s->out->value[r] = row[0] / trees;
                continue;
            }
            size_t best = 0; /* a tie goes to the first class, as numpy's argmax */
            for (size_t c = 1; c < k; c++)
                if (row[c] > row[best]) best = c;
            s->out->value[r] = (double)best;
            if (s->out->proba)
                for (size_t c = 0; c < k; c++) s->out->proba[r * k + c] = row[c] / trees;
        }
    }
}

static dial_status forest_sum_blocks(void *arg, size_t begin, size_t end, int worker) {
    const forest_summer *s = arg;
    size_t d = s->n_features;
    for (size_t block = begin; block < end; block++) {
        size_t r0 = block * FOREST_BLOCK;
        size_t r1 = s->n_rows - r0 < FOREST_BLOCK ? s->n_rows : r0 + FOREST_BLOCK;
        if (!s->sparse) {
            forest_sum_rows(s, worker, r0, r1, s->x + r0 * d);
            continue;
        }
        /* sparse rows: a few at a time written out into the worker's
         * zeroed rows, then cleared */
        const dial_csr *a = s->sparse;
        double *rows = s->dense + (size_t)worker * s->dense_rows * d;
        for (size_t q0 = r0; q0 < r1; q0 += s->dense_rows) {
            size_t q1 = r1 - q0 < s->dense_rows ? r1 : q0 + s->dense_rows;
            for (size_t r = q0; r < q1; r++)
                for (size_t e = a->row_start[r]; e < a->row_start[r + 1]; e++)
                    rows[(r - q0) * d + a->col[e]] = a->value[e];
            forest_sum_rows(s, worker, q0, q1, rows);
            for (size_t r = q0; r < q1; r++)
                for (size_t e = a->row_start[r]; e < a->row_start[r + 1]; e++)
                    rows[(r - q0) * d + a->col[e]] = 0;
        }
    }
    return DIAL_OK;
}

/* Sets up s for sparse rows (in->sparse): rows written out a few at a
 * time, within 256 KiB per thread. False when out of memory. */
static bool forest_sparse_rows(const dial_ctx *ctx, forest_summer *s, const dial_fit_input *in,
                               int threads) {
    if (!in->sparse) return true;
    size_t width = in->n_features ? in->n_features : 1;
    s->sparse = in->sparse;
    s->dense_rows = ((size_t)1 << 15) / width;
    if (s->dense_rows < 1) s->dense_rows = 1;
    if (s->dense_rows > FOREST_BLOCK) s->dense_rows = FOREST_BLOCK;
    s->dense = dial_calloc(ctx, (size_t)threads * s->dense_rows * width, sizeof *s->dense);
    return s->dense != NULL;
}

/* ---- out-of-bag score ---------------------------------------------------------- */

/* Accuracy or r2 over the rows some tree left out; NaN when there are none. */
static dial_status forest_oob_score(dial_ctx *ctx, const forest_build *b, const dial_fit_input *in,
                                    const dial_tensors *learned, double *score) {
    /* the trees as the tensors just written hold them, so that their
     * category bitsets are one array, as at prediction */
    dial_cart_forest forest;
    dial_status status = dial_cart_tensors_read(ctx, "forest", learned, in, true, &forest);
    if (status != DIAL_OK) return status;
    size_t n = in->n_rows, k = forest.n_outputs, n_blocks = forest.categories.n_blocks;
    int threads = dial_ctx_threads(ctx);
    dial_cart_view *views = dial_malloc(ctx, b->n_trees * sizeof *views);
    forest_packed packed = {0};
    forest_summer s = {.packed = &packed,
                       .x = in->x,
                       .n_rows = n,
                       .n_features = in->n_features,
                       .in_bag = b->in_bag,
                       .words = b->words,
                       .cats = n_blocks ? &forest.categories : NULL};
    s.sum = dial_calloc(ctx, n * k, sizeof *s.sum);
    s.votes = dial_calloc(ctx, n, sizeof *s.votes);
    if (n_blocks)
        s.codes = dial_malloc(ctx, (size_t)threads * FOREST_BLOCK * n_blocks * sizeof *s.codes);
    bool ok = views && s.sum && s.votes && (!n_blocks || s.codes) &&
              forest_sparse_rows(ctx, &s, in, threads);
    for (size_t t = 0; ok && t < b->n_trees; t++) views[t] = dial_cart_forest_tree(&forest, t);
    if (ok) ok = forest_pack(ctx, &packed, views, b->n_trees, s.cats, in->n_features);
    if (!ok) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "forest: out of memory for the out-of-bag score");
    } else {
        size_t blocks = (n + FOREST_BLOCK - 1) / FOREST_BLOCK;
        status = dial_parallel_for(ctx, threads, blocks, forest_sum_blocks, &s);
    }
    size_t used = 0, right = 0;
    double mean = 0, residual = 0, spread = 0;
    for (size_t i = 0; status == DIAL_OK && i < n; i++) {
        if (!s.votes[i]) continue;
        used++;
        if (in->task == DIAL_TASK_CLASSIFICATION) {
            size_t best = 0;
            for (size_t c = 1; c < k; c++)
                if (s.sum[i * k + c] > s.sum[i * k + best]) best = c;
            right += (double)best == in->y[i];
        } else {
            mean += in->y[i];
        }
    }
    if (status == DIAL_OK && used && in->task == DIAL_TASK_REGRESSION) {
        mean /= (double)used;
        for (size_t i = 0; i < n; i++) {
            if (!s.votes[i]) continue;
            double e = in->y[i] - s.sum[i] / (double)s.votes[i], deviation = in->y[i] - mean;
            residual += e * e;
            spread += deviation * deviation;
        }
    }
    if (!used)
        *score = NAN;
    else if (in->task == DIAL_TASK_CLASSIFICATION)
        *score = (double)right / (double)used;
    else
        *score = spread > 0 ? 1 - residual / spread : (residual > 0 ? 0 : 1);
    forest_packed_free(&packed);
    free(views);
    free(s.sum);
    free(s.votes);
    free(s.codes);
    free(s.dense);
    return status;
}

/* ---- fit ---------------------------------------------------------------------------- */

/* The learned tensors of the grown trees, which are freed as they are
 * copied, so that the fit's peak holds the model about once. */
static dial_status forest_tensors(dial_ctx *ctx, forest_build *b, const dial_fit_input *in,
                                  dial_tensors *learned) {
    size_t d = in->n_features, shape[1] = {d}, used = 0;
    double *sum = dial_calloc(ctx, d ? d : 1, sizeof *sum),
           *one = dial_malloc(ctx, (d ? d : 1) * sizeof *one);
    if (!sum || !one) {
        free(sum);
        free(one);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "forest: out of memory for the importances");
    }
    /* as scikit-learn: the mean over the trees that split at all, renormalised */
    for (size_t t = 0; t < b->n_trees; t++) {
        if (b->trees[t].n_nodes < 2) continue;
        dial_cart_importance(&b->trees[t], d, one);
        for (size_t f = 0; f < d; f++) sum[f] += one[f];
        used++;
    }
    free(one);
    /* only the importances read the weights */
    for (size_t t = 0; t < b->n_trees; t++) {
        free(b->trees[t].weighted_n);
        b->trees[t].weighted_n = NULL;
    }
    double total = 0, *importance = NULL;
    for (size_t f = 0; f < d; f++) total += sum[f] /= (double)(used ? used : 1);
    for (size_t f = 0; total > 0 && f < d; f++) sum[f] /= total;
    dial_status status =
        dial_cart_tensors_add(ctx, learned, b->data, b->trees, b->n_trees, true, true);
    if (status == DIAL_OK)
        status =
            dial_tensors_add(ctx, learned, "importance", DIAL_F64, 1, shape, (void **)&importance);
    if (status == DIAL_OK) memcpy(importance, sum, d * sizeof *importance);
    free(sum);
    if (status == DIAL_OK && b->bootstrap) {
        double score, *oob;
        size_t oob_shape[1] = {1};
        status = forest_oob_score(ctx, b, in, learned, &score);
        if (status == DIAL_OK)
            status =
                dial_tensors_add(ctx, learned, "oob_score", DIAL_F64, 1, oob_shape, (void **)&oob);
        if (status == DIAL_OK) oob[0] = score;
    }
    return status;
}

static dial_status forest_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                              dial_tensors *learned) {
    dial_cart_params params;
    dial_status status = dial_cart_params_from_knobs(ctx, "forest", knobs, in, &params);
    if (status != DIAL_OK) return status;
    dial_cart_data data;
    status = dial_cart_data_prepare(ctx, "forest", in, params.native, &data);
    if (status != DIAL_OK) return status;

    size_t n = data.n_rows, n_trees = (size_t)dial_knobs_int(knobs, "n_estimators");
    forest_build b = {.ctx = ctx,
                      .data = &data,
                      .params = &params,
                      .seed = dial_ctx_seed(ctx),
                      .bootstrap = dial_knobs_bool(knobs, "bootstrap"),
                      .n_trees = n_trees,
                      .words = (n + 63) / 64};
    /* scikit-learn's round(n * max_samples), at least one row */
    double draws = rint((double)n * dial_knobs_float(knobs, "max_samples"));
    b.n_draws = draws < 1 ? 1 : (size_t)draws;
    atomic_init(&b.next, 0);
    double *class_weight = params.balanced ? dial_cart_balanced_weights(ctx, &data) : NULL;
    b.class_weight = class_weight;
    b.trees = dial_calloc(ctx, n_trees, sizeof *b.trees);
    b.status = dial_calloc(ctx, n_trees, sizeof *b.status);
    if (b.bootstrap) b.in_bag = dial_calloc(ctx, n_trees * b.words, sizeof *b.in_bag);
    if (!b.trees || !b.status || (b.bootstrap && !b.in_bag) || (params.balanced && !class_weight)) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "forest: out of memory for %zu trees", n_trees);
    } else {
        int threads = dial_ctx_threads(ctx);
        if ((size_t)threads > n_trees) threads = (int)n_trees;
        status = dial_parallel_for(ctx, threads, (size_t)threads, forest_grow_trees, &b);
        if (status != DIAL_OK)
            status = dial_fail(ctx, DIAL_ERR_NOMEM,
                               "forest: out of memory growing %zu trees on %zu x %zu", n_trees, n,
                               in->n_features);
    }
    /* the codes and the workers' scratch go back before the tensors are
     * written beside the trees */
    dial_cart_data_drop_codes(&data);
    dial_release_free_memory();
    if (status == DIAL_OK) status = forest_tensors(ctx, &b, in, learned);
    for (size_t t = 0; b.trees && t < n_trees; t++) dial_cart_tree_free(&b.trees[t]);
    free(b.trees);
    free(b.status);
    free(b.in_bag);
    free(class_weight);
    dial_cart_data_free(&data);
    /* the trees grew in the workers' arenas, and were freed as the tensors
     * took them: give those pages back before the caller predicts */
    dial_release_free_memory();
    return status;
}

/* ---- predict ------------------------------------------------------------------------ */

static dial_status forest_validate(dial_ctx *ctx, const dial_knobs *knobs,
                                   const dial_tensors *learned, const dial_fit_input *in) {
    dial_cart_forest forest;
    (void)knobs;
    return dial_cart_tensors_read(ctx, "forest", learned, in, true, &forest);
}

static dial_status forest_predict(dial_ctx *ctx, const dial_knobs *knobs,
                                  const dial_tensors *learned, const dial_fit_input *in,
                                  dial_predict_output *out) {
    if (in->task != DIAL_TASK_CLASSIFICATION && out->proba)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "forest: no class probabilities in regression");
    dial_cart_forest forest;
    dial_status status = dial_cart_tensors_read(ctx, "forest", learned, in, true, &forest);
    if (status != DIAL_OK) return status;
    (void)knobs;
    size_t blocks = (in->n_rows + FOREST_BLOCK - 1) / FOREST_BLOCK;
    if (blocks == 0) return DIAL_OK;
    int threads = dial_ctx_threads(ctx);
    if ((size_t)threads > blocks) threads = (int)blocks;
    dial_cart_view *views = dial_malloc(ctx, forest.n_trees * sizeof *views);
    forest_packed packed = {0};
    size_t n_blocks = forest.categories.n_blocks;
    forest_summer s = {.packed = &packed,
                       .x = in->x,
                       .n_rows = in->n_rows,
                       .n_features = in->n_features,
                       .out = out,
                       .classification = in->task == DIAL_TASK_CLASSIFICATION,
                       .cats = n_blocks ? &forest.categories : NULL};
    s.sum = dial_malloc(ctx, (size_t)threads * FOREST_BLOCK * forest.n_outputs * sizeof *s.sum);
    if (n_blocks)
        s.codes = dial_malloc(ctx, (size_t)threads * FOREST_BLOCK * n_blocks * sizeof *s.codes);
    bool ok = views && s.sum && (!n_blocks || s.codes) && forest_sparse_rows(ctx, &s, in, threads);
    for (size_t t = 0; ok && t < forest.n_trees; t++) views[t] = dial_cart_forest_tree(&forest, t);
    if (ok) ok = forest_pack(ctx, &packed, views, forest.n_trees, s.cats, in->n_features);
    if (!ok)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "forest: out of memory predicting");
    else
        status = dial_parallel_for(ctx, threads, blocks, forest_sum_blocks, &s);
    forest_packed_free(&packed);
    free(views);
    free(s.sum);
    free(s.codes);
    free(s.dense);
    return status;
}

static dial_status forest_trees(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in, size_t index, size_t *n_trees,
                                dial_tree *out) {
    (void)knobs;
    return dial_cart_trees(ctx, "forest", learned, in, true, index, n_trees, out);
}

const dial_model_family dial_model_forest = {
    .name = "forest",
    .summary = "random forest: bootstrap-sampled CART trees on random feature subsets, averaged",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION) | DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .has_proba = true,
    .knobs = forest_knobs,
    .n_knobs = sizeof forest_knobs / sizeof forest_knobs[0],
    .params = forest_params,
    .n_params = sizeof forest_params / sizeof forest_params[0],
    .nonparametric_doc = NULL,
    .fit = forest_fit,
    .predict = forest_predict,
    .validate = forest_validate,
    .trees = forest_trees,
    .sparse_input = true,
    .categories_natively = true,
};

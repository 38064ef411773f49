/*
 * The boosting loop: each round computes the derivatives of the loss at the
 * current scores, grows one tree per score on them, and adds the trees'
 * leaf values to the scores of every row.
 *
 * A tree's own rows get their leaf's value straight from the partition the
 * tree was grown with; so do the other rows (left out by subsampling, held
 * out for early stopping, or extra rows that are only predicted), which
 * the grower partitions alongside as passive rows: their codes route them
 * as the raw values would.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/gbdt_boost.h"

/* Rows per block of the derivative computation. */
#define BOOST_BLOCK 4096

/* One thread's tools for growing trees. */
typedef struct boost_worker {
    dial_gbdt_grower *grower;
    uint32_t *sample;   /* the rows of one tree */
    uint32_t *others;   /* the rows left out of it: its passive rows */
    uint32_t *features; /* the features of one tree */
    size_t *pick;       /* every feature index, for drawing a subset */
    double *residual;   /* absolute error: a leaf's residuals */
} boost_worker;

/* One tree's nodes, kept until the round's trees are appended in order. */
typedef struct boost_tree {
    dial_gbdt_node *nodes;
    dial_gbdt_walk_node *walk;
    size_t n, capacity;
    uint32_t depth;
} boost_tree;

typedef struct boost_state {
    const dial_gbdt_params *params;
    const dial_gbdt_bins *bins;
    const uint8_t *codes;
    const dial_gbdt_sparse_rows *sparse;
    const double *y;
    size_t n, n_features, n_scores, n_classes;
    size_t n_extra, stride;   /* extra rows, and rows of codes (n + n_extra) */
    double *extra;            /* n_scores x n_extra */
    const uint32_t *fit_rows; /* rows trees are grown on, ascending */
    size_t n_fit;
    double *margin;        /* n_scores x n */
    dial_gbdt_pair *pairs; /* n_scores x n */
    boost_worker *workers;
    boost_tree *trees; /* one per score, this round */
    size_t round;
    int tree_threads;
    dial_ctx *ctx;        /* for the trees' own parallel loops (tree_threads > 1 only) */
    double *loss_scratch; /* threads x loss_scratch_size */
    size_t loss_scratch_size;
} boost_state;

void dial_gbdt_forest_free(dial_gbdt_forest *forest) {
    free(forest->base);
    free(forest->nodes);
    free(forest->walk);
    free(forest->tree_offset);
    free(forest->depth);
    memset(forest, 0, sizeof *forest);
}

/* ---- walking a tree on codes ------------------------------------------------------ */

/* The walk nodes of a grown tree (children relative to its first node);
 * returns its depth. */
static uint32_t boost_walk_nodes(const dial_gbdt_bins *bins, const dial_gbdt_node *nodes, size_t n,
                                 dial_gbdt_walk_node *walk) {
    uint32_t depth = 0;
    for (size_t t = 0; t < n; t++) {
        const dial_gbdt_node *node = &nodes[t];
        if (node->depth > depth) depth = node->depth;
        if (node->feature < 0) {
            walk[t] = (dial_gbdt_walk_node){.feature = 0,
                                            .bin = 0xFFFF,
                                            .missing = 0xFFFF,
                                            .left = (uint32_t)t,
                                            .right = (uint32_t)t,
                                            .value = node->value};
            continue;
        }
        uint16_t missing = node->default_left ? bins->n_values[node->feature] : 0xFFFF;
        bool category = bins->levels && bins->levels[node->feature];
        walk[t] = (dial_gbdt_walk_node){.feature = (uint32_t)node->feature,
                                        .bin = category ? DIAL_GBDT_WALK_CATEGORY : node->bin,
                                        .missing = missing,
                                        .left = (uint32_t)node->left,
                                        .right = (uint32_t)node->right,
                                        .value = node->value};
    }
    return depth;
}

static inline uint32_t boost_step(const dial_gbdt_walk_node *walk, const dial_gbdt_node *nodes,
                                  uint32_t at, const uint8_t *codes, size_t n, size_t row) {
    const dial_gbdt_walk_node *node = walk + at;
    unsigned code = codes[(size_t)node->feature * n + row];
    unsigned left = node->bin == DIAL_GBDT_WALK_CATEGORY
                        ? (unsigned)(nodes[at].bits[code / 64] >> (code % 64) & 1)
                        : (code <= node->bin) | (code == node->missing);
    return left ? node->left : node->right;
}

/* Adds the tree's values to margin[i] for rows 0 .. m-1 of column-major
 * codes (stride rows per feature), four rows at a time so that their walks
 * overlap. */
static void boost_walk_add(const dial_gbdt_walk_node *walk, const dial_gbdt_node *tree_nodes,
                           uint32_t depth, const uint8_t *codes, size_t stride, size_t m,
                           double *margin) {
    const dial_gbdt_walk_node *nodes = walk;
    size_t i = 0;
    for (; i + 4 <= m; i += 4) {
        uint32_t a = 0, b = 0, c = 0, d = 0;
        for (uint32_t step = 0; step < depth; step++) {
            a = boost_step(walk, tree_nodes, a, codes, stride, i);
            b = boost_step(walk, tree_nodes, b, codes, stride, i + 1);
            c = boost_step(walk, tree_nodes, c, codes, stride, i + 2);
            d = boost_step(walk, tree_nodes, d, codes, stride, i + 3);
        }
        margin[i] += nodes[a].value;
        margin[i + 1] += nodes[b].value;
        margin[i + 2] += nodes[c].value;
        margin[i + 3] += nodes[d].value;
    }
    for (; i < m; i++) {
        uint32_t a = 0;
        for (uint32_t step = 0; step < depth; step++)
            a = boost_step(walk, tree_nodes, a, codes, stride, i);
        margin[i] += nodes[a].value;
    }
}

void dial_gbdt_forest_add_round(const dial_gbdt_forest *forest, const uint8_t *codes, size_t stride,
                                size_t n, size_t round, double *margin) {
    size_t k_n = forest->n_scores;
    for (size_t k = 0; k < k_n; k++) {
        size_t tree = round * k_n + k;
        boost_walk_add(forest->walk + forest->tree_offset[tree],
                       forest->nodes + forest->tree_offset[tree], forest->depth[tree], codes,
                       stride, n, margin + k * n);
    }
}

void dial_gbdt_forest_margins(const dial_gbdt_forest *forest, const uint8_t *codes, size_t stride,
                              size_t n, size_t rounds, double *margin) {
    size_t k_n = forest->n_scores;
    if (rounds > forest->n_rounds) rounds = forest->n_rounds;
    for (size_t k = 0; k < k_n; k++)
        for (size_t i = 0; i < n; i++) margin[k * n + i] = forest->base[k];
    for (size_t r = 0; r < rounds; r++)
        dial_gbdt_forest_add_round(forest, codes, stride, n, r, margin);
}

/* ---- one tree ------------------------------------------------------------------- */

/* The rows of the tree, each fitted row with probability subsample (in
 * row order, so the draw depends only on the stream), and its passive
 * rows: every other row of the coded matrix, ascending. Returns the
 * number drawn; *n_passive gets the other count. */
static size_t boost_sample(const boost_state *s, dial_rng *rng, uint32_t *sample, uint32_t *passive,
                           size_t *n_passive) {
    double rate = s->params->subsample;
    size_t m = 0, p = 0;
    bool every_row_fitted = s->n_fit == s->n;
    if (rate >= 1) {
        memcpy(sample, s->fit_rows, s->n_fit * sizeof *sample);
        m = s->n_fit;
    } else {
        /* dial_rng_uniform(rng) < rate, that is (next >> 11) 2^-53 < rate,
         * on integers: the same draw, without the conversion per row */
        uint64_t below = (uint64_t)ceil(ldexp(rate, 53));
        for (size_t i = 0; i < s->n_fit; i++) {
            uint32_t drawn = (dial_rng_next(rng) >> 11) < below;
            sample[m] = passive[p] = s->fit_rows[i];
            m += drawn;
            p += 1 - drawn;
        }
    }
    if (!every_row_fitted) {
        /* the rows held out for early stopping interleave with the fitted
         * ones: merge the sample with every row instead */
        sample[m] = UINT32_MAX; /* a sentinel past the end: no branch on the draw */
        size_t next = 0;
        p = 0;
        for (size_t r = 0; r < s->n; r++) {
            size_t in_sample = sample[next] == r;
            passive[p] = (uint32_t)r;
            p += 1 - in_sample;
            next += in_sample;
        }
    }
    for (size_t r = s->n; r < s->stride; r++) passive[p++] = (uint32_t)r;
    *n_passive = p;
    return m;
}

static int boost_compare_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The features of the tree: all, or floor(colsample * n) of them (at least
 * one) drawn without replacement, ascending. */
static size_t boost_features(const boost_state *s, dial_rng *rng, boost_worker *w) {
    size_t d = s->n_features;
    size_t want = (size_t)floor(s->params->colsample * (double)d);
    if (want < 1) want = 1;
    if (want >= d) {
        for (size_t f = 0; f < d; f++) w->features[f] = (uint32_t)f;
        return d;
    }
    for (size_t f = 0; f < d; f++) w->pick[f] = f;
    for (size_t j = 0; j < want; j++) {
        size_t other = j + (size_t)dial_rng_below(rng, d - j);
        size_t t = w->pick[j];
        w->pick[j] = w->pick[other];
        w->pick[other] = t;
        w->features[j] = (uint32_t)w->pick[j];
    }
    qsort(w->features, want, sizeof *w->features, boost_compare_u32);
    return want;
}

/* The absolute error's leaves move to the median residual of their rows
 * (the Newton step of sign gradients is no estimate of the step size). */
static void boost_refresh_leaves(const boost_state *s, boost_worker *w, const double *margin) {
    size_t n_nodes;
    dial_gbdt_node *nodes = dial_gbdt_grower_nodes_mutable(w->grower);
    dial_gbdt_grower_nodes(w->grower, &n_nodes);
    const uint32_t *rows = dial_gbdt_grower_rows(w->grower);
    for (size_t t = 0; t < n_nodes; t++) {
        dial_gbdt_node *node = &nodes[t];
        if (node->feature >= 0) continue;
        size_t m = 0;
        for (uint32_t i = node->begin; i < node->end; i++)
            w->residual[m++] = s->y[rows[i]] - margin[rows[i]];
        node->value = s->params->tree.learning_rate * dial_gbdt_median(w->residual, m);
    }
}

/* Adds the tree's leaf values to the scores of every row: the fitted rows'
 * in margin, the extra rows' in extra. */
static void boost_update(const boost_state *s, const boost_tree *tree, const uint32_t *rows,
                         const uint32_t *passive, double *margin, double *extra) {
    uint32_t n = (uint32_t)s->n;
    for (size_t t = 0; t < tree->n; t++) {
        const dial_gbdt_node *node = &tree->nodes[t];
        if (node->feature >= 0) continue;
        double value = node->value;
        for (uint32_t i = node->begin; i < node->end; i++) margin[rows[i]] += value;
        uint32_t i = node->pbegin; /* ascending: the fitted rows come first */
        for (; i < node->pend && passive[i] < n; i++) margin[passive[i]] += value;
        for (; i < node->pend; i++) extra[passive[i] - n] += value;
    }
}

static dial_status boost_keep_tree(const dial_ctx *ctx, const dial_gbdt_bins *bins,
                                   boost_tree *tree, const dial_gbdt_node *nodes, size_t n) {
    if (n > tree->capacity) {
        dial_gbdt_node *grown = dial_realloc(ctx, tree->nodes, n * sizeof *grown);
        if (grown) tree->nodes = grown;
        dial_gbdt_walk_node *walk = dial_realloc(ctx, tree->walk, n * sizeof *walk);
        if (walk) tree->walk = walk;
        if (!grown || !walk) return DIAL_ERR_NOMEM;
        tree->capacity = n;
    }
    memcpy(tree->nodes, nodes, n * sizeof *nodes);
    tree->n = n;
    tree->depth = boost_walk_nodes(bins, nodes, n, tree->walk);
    return DIAL_OK;
}

/* Grows the trees of scores [begin, end) of the current round. */
static dial_status boost_grow_scores(void *arg, size_t begin, size_t end, int worker) {
    boost_state *s = arg;
    boost_worker *w = &s->workers[worker];
    for (size_t k = begin; k < end; k++) {
        dial_rng rng =
            dial_rng_stream(s->params->seed, DIAL_GBDT_STREAM_TREES + s->round * s->n_scores + k);
        size_t n_passive;
        size_t m = boost_sample(s, &rng, w->sample, w->others, &n_passive);
        size_t n_features = boost_features(s, &rng, w);
        dial_gbdt_tree_input in = {
            .data = {.bins = s->bins,
                     .codes = s->codes,
                     .sparse = s->sparse,
                     .n_rows = s->stride,
                     .pairs = s->pairs + k * s->n},
            .rows = w->sample,
            .n_rows = m,
            .features = w->features,
            .n_features = n_features,
            .passive = w->others,
            .n_passive = n_passive,
        };
        dial_status status =
            dial_gbdt_grow(s->ctx, w->grower, &s->params->tree, &in, s->tree_threads);
        if (status != DIAL_OK) return status;
        double *margin = s->margin + k * s->n;
        if (s->params->loss == DIAL_GBDT_ABSOLUTE) boost_refresh_leaves(s, w, margin);
        size_t n_nodes;
        const dial_gbdt_node *nodes = dial_gbdt_grower_nodes(w->grower, &n_nodes);
        status = boost_keep_tree(s->ctx, s->bins, &s->trees[k], nodes, n_nodes);
        if (status != DIAL_OK) return status;
        boost_update(s, &s->trees[k], dial_gbdt_grower_rows(w->grower),
                     dial_gbdt_grower_passive(w->grower), margin, s->extra + k * s->n_extra);
    }
    return DIAL_OK;
}

static dial_status boost_gradients(void *arg, size_t begin, size_t end, int worker) {
    boost_state *s = arg;
    size_t first = begin * BOOST_BLOCK, last = end * BOOST_BLOCK < s->n ? end * BOOST_BLOCK : s->n;
    const dial_gbdt_params *p = s->params;
    double *scratch = s->loss_scratch + (size_t)worker * s->loss_scratch_size;
    dial_gbdt_loss_gradients(p->loss, p->huber_delta, s->y, s->margin, s->n, s->n_scores, first,
                             last, s->pairs, scratch);
    return DIAL_OK;
}

/* ---- the forest ----------------------------------------------------------------- */

static dial_status boost_append_round(const dial_ctx *ctx, dial_gbdt_forest *forest,
                                      const boost_tree *trees) {
    size_t k_n = forest->n_scores, added = 0;
    for (size_t k = 0; k < k_n; k++) added += trees[k].n;
    if (forest->n_nodes + added > forest->node_capacity) {
        size_t capacity = forest->node_capacity ? 2 * forest->node_capacity : 1024;
        while (capacity < forest->n_nodes + added) capacity *= 2;
        dial_gbdt_node *nodes = dial_realloc(ctx, forest->nodes, capacity * sizeof *nodes);
        if (nodes) forest->nodes = nodes;
        dial_gbdt_walk_node *walk = dial_realloc(ctx, forest->walk, capacity * sizeof *walk);
        if (walk) forest->walk = walk;
        if (!nodes || !walk) return DIAL_ERR_NOMEM;
        forest->node_capacity = capacity;
    }
    size_t n_trees = (forest->n_rounds + 1) * k_n;
    if (n_trees + 1 > forest->tree_capacity) {
        size_t capacity = forest->tree_capacity ? 2 * forest->tree_capacity : 256;
        while (capacity < n_trees + 1) capacity *= 2;
        size_t *offset = dial_realloc(ctx, forest->tree_offset, capacity * sizeof *offset);
        if (offset) forest->tree_offset = offset;
        uint32_t *depth = dial_realloc(ctx, forest->depth, capacity * sizeof *depth);
        if (depth) forest->depth = depth;
        if (!offset || !depth) return DIAL_ERR_NOMEM;
        forest->tree_capacity = capacity;
    }
    for (size_t k = 0; k < k_n; k++) {
        memcpy(forest->nodes + forest->n_nodes, trees[k].nodes,
               trees[k].n * sizeof *trees[k].nodes);
        memcpy(forest->walk + forest->n_nodes, trees[k].walk, trees[k].n * sizeof *trees[k].walk);
        forest->depth[forest->n_rounds * k_n + k] = trees[k].depth;
        forest->n_nodes += trees[k].n;
        forest->tree_offset[forest->n_rounds * k_n + k + 1] = forest->n_nodes;
    }
    forest->n_rounds++;
    return DIAL_OK;
}

/* Splits the rows into fitted and validation rows (both ascending). */
static dial_status boost_validation_split(const dial_ctx *ctx, const dial_gbdt_params *p, size_t n,
                                          uint32_t *fit, size_t *n_fit, size_t **validation,
                                          size_t *n_valid) {
    size_t held = (size_t)floor(p->validation_fraction * (double)n + 0.5);
    if (held < 1) held = 1;
    if (held > n - 1) held = n - 1;
    size_t *order = dial_malloc(ctx, n * sizeof *order);
    bool *is_held = dial_calloc(ctx, n, sizeof *is_held);
    *validation = dial_malloc(ctx, held * sizeof **validation);
    if (!order || !is_held || !*validation) {
        free(order);
        free(is_held);
        free(*validation);
        *validation = NULL;
        return DIAL_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) order[i] = i;
    dial_rng rng = dial_rng_stream(p->seed, DIAL_GBDT_STREAM_VALIDATION);
    dial_rng_shuffle(&rng, order, n);
    for (size_t i = 0; i < held; i++) is_held[order[i]] = true;
    *n_fit = *n_valid = 0;
    for (size_t i = 0; i < n; i++)
        if (is_held[i])
            (*validation)[(*n_valid)++] = i;
        else
            fit[(*n_fit)++] = (uint32_t)i;
    free(order);
    free(is_held);
    return DIAL_OK;
}

dial_status dial_gbdt_boost(dial_ctx *ctx, const dial_gbdt_params *params,
                            const dial_gbdt_boost_data *data, dial_gbdt_forest *forest) {
    memset(forest, 0, sizeof *forest);
    const dial_gbdt_bins *bins = data->bins;
    const double *y = data->y;
    size_t n_classes = data->n_classes;
    size_t n = data->n_rows, k_n = dial_gbdt_loss_scores(params->loss, n_classes);
    size_t stride = n + data->n_extra;
    size_t d = bins->n_features;
    int threads = params->threads < 1 ? 1 : params->threads;
    int n_workers = k_n > 1 && threads > 1 ? (threads < (int)k_n ? threads : (int)k_n) : 1;
    boost_state s = {
        .params = params,
        .bins = bins,
        .codes = data->codes,
        .sparse = data->sparse,
        .y = y,
        .n = n,
        .n_extra = data->n_extra,
        .stride = stride,
        .extra = data->extra_margin,
        .n_features = d,
        .n_scores = k_n,
        .n_classes = n_classes,
        .tree_threads = n_workers > 1 ? 1 : threads,
        .ctx = ctx,
    };
    dial_status status = DIAL_OK;
    uint32_t *fit_rows = dial_malloc(ctx, (n ? n : 1) * sizeof *fit_rows);
    size_t *validation = NULL, n_valid = 0;
    s.margin = dial_malloc(ctx, (k_n * n > 0 ? k_n * n : 1) * sizeof *s.margin);
    s.pairs = dial_malloc(ctx, (k_n * n > 0 ? k_n * n : 1) * sizeof *s.pairs);
    s.workers = dial_calloc(ctx, (size_t)n_workers, sizeof *s.workers);
    s.loss_scratch_size = dial_gbdt_loss_scratch(params->loss, k_n);
    s.loss_scratch =
        dial_malloc(ctx, ((size_t)threads * s.loss_scratch_size + 1) * sizeof *s.loss_scratch);
    s.trees = dial_calloc(ctx, k_n, sizeof *s.trees);
    forest->n_scores = k_n;
    forest->base = dial_malloc(ctx, k_n * sizeof *forest->base);
    forest->tree_offset = dial_malloc(ctx, sizeof *forest->tree_offset);
    forest->depth = dial_malloc(ctx, sizeof *forest->depth);
    forest->tree_capacity = 1;
    if (!fit_rows || !s.margin || !s.pairs || !s.workers || !s.loss_scratch || !s.trees ||
        !forest->base || !forest->tree_offset || !forest->depth)
        goto nomem;
    forest->tree_offset[0] = 0;
    for (int t = 0; t < n_workers; t++) {
        boost_worker *w = &s.workers[t];
        w->grower = dial_gbdt_grower_new(ctx, bins, stride);
        w->sample = dial_malloc(ctx, (n + 1) * sizeof *w->sample); /* and a sentinel */
        w->others = dial_malloc(ctx, (stride ? stride : 1) * sizeof *w->others);
        w->features = dial_malloc(ctx, (d ? d : 1) * sizeof *w->features);
        w->pick = dial_malloc(ctx, (d ? d : 1) * sizeof *w->pick);
        w->residual = params->loss == DIAL_GBDT_ABSOLUTE
                          ? dial_malloc(ctx, (n ? n : 1) * sizeof(double))
                          : NULL;
        if (!w->grower || !w->sample || !w->others || !w->features || !w->pick ||
            (params->loss == DIAL_GBDT_ABSOLUTE && !w->residual))
            goto nomem;
    }

    bool early = params->early_stopping_rounds > 0 && n >= 2;
    if (early) {
        if (boost_validation_split(ctx, params, n, fit_rows, &s.n_fit, &validation, &n_valid) !=
            DIAL_OK)
            goto nomem;
    } else {
        for (size_t i = 0; i < n; i++) fit_rows[i] = (uint32_t)i;
        s.n_fit = n;
    }
    s.fit_rows = fit_rows;
    {
        size_t *fit_index = dial_malloc(ctx, (s.n_fit ? s.n_fit : 1) * sizeof *fit_index);
        if (!fit_index) goto nomem;
        for (size_t i = 0; i < s.n_fit; i++) fit_index[i] = fit_rows[i];
        status =
            dial_gbdt_loss_base(ctx, params->loss, y, fit_index, s.n_fit, n_classes, forest->base);
        free(fit_index);
        if (status != DIAL_OK) goto done;
    }
    for (size_t k = 0; k < k_n; k++)
        for (size_t i = 0; i < n; i++) s.margin[k * n + i] = forest->base[k];
    for (size_t k = 0; k < k_n; k++)
        for (size_t i = 0; i < s.n_extra; i++) s.extra[k * s.n_extra + i] = forest->base[k];

    size_t n_blocks = (n + BOOST_BLOCK - 1) / BOOST_BLOCK;
    int gradient_threads = n * k_n >= ((size_t)1 << 15) ? threads : 1;
    double best_loss = INFINITY;
    size_t best_rounds = 0;
    for (size_t round = 0; round < params->n_estimators; round++) {
        s.round = round;
        status = dial_parallel_for(ctx, gradient_threads, n_blocks, boost_gradients, &s);
        if (status != DIAL_OK) goto done;
        if (n_workers > 1)
            status = dial_parallel_for(ctx, n_workers, k_n, boost_grow_scores, &s);
        else
            status = boost_grow_scores(&s, 0, k_n, 0);
        if (status == DIAL_OK) status = boost_append_round(ctx, forest, s.trees);
        if (status == DIAL_ERR_NOMEM) goto nomem;
        if (status == DIAL_OK && params->on_round)
            status = params->on_round(params->on_round_user, forest, round);
        if (status != DIAL_OK) goto done;
        if (!early) continue;
        double loss = dial_gbdt_loss_value(params->loss, params->huber_delta, y, s.margin, n, k_n,
                                           validation, n_valid);
        if (loss < best_loss) {
            best_loss = loss;
            best_rounds = round + 1;
        } else if (round + 1 - best_rounds >= params->early_stopping_rounds) {
            break;
        }
    }
    if (early && best_rounds >= 1 && best_rounds < forest->n_rounds) {
        forest->n_rounds = best_rounds;
        forest->n_nodes = forest->tree_offset[best_rounds * k_n];
    }
    goto done;
nomem:
    status = dial_fail(ctx, DIAL_ERR_NOMEM, "gbdt: out of memory boosting on %zu rows", n);
done:
    if (s.workers)
        for (int t = 0; t < n_workers; t++) {
            dial_gbdt_grower_free(s.workers[t].grower);
            free(s.workers[t].sample);
            free(s.workers[t].others);
            free(s.workers[t].features);
            free(s.workers[t].pick);
            free(s.workers[t].residual);
        }
    if (s.trees)
        for (size_t k = 0; k < k_n; k++) {
            free(s.trees[k].nodes);
            free(s.trees[k].walk);
        }
    free(s.workers);
    free(s.trees);
    free(s.margin);
    free(s.pairs);
    free(s.loss_scratch);
    free(fit_rows);
    free(validation);
    if (status != DIAL_OK) dial_gbdt_forest_free(forest);
    return status;
}

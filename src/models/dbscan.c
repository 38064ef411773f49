/*
 * DBSCAN (Ester, Kriegel, Sander and Xu 1996): clusters are regions dense
 * with rows. A row with at least min_samples rows (itself included) within
 * eps is a core row; core rows within eps of each other share a cluster,
 * and a row within eps of a core row joins its cluster (the first cluster
 * to reach it); every other row is noise (-1). A clustering: it learns
 * without a target. Follows scikit-learn 1.2's DBSCAN, so the labels are
 * the same: clusters are numbered in the order of their first core row and
 * grown depth first.
 *
 * What it keeps: the core rows and their clusters (nothing else decides a
 * new row's cluster). predict gives a row the lowest cluster among the core
 * rows within eps, else -1 (noise): the rule by which scikit-learn's fit
 * labels a border row (the first cluster to reach it), so predicting the
 * training rows gives scikit-learn's labels_ exactly, border rows between
 * two clusters included.
 *
 * The searches (dbscan_tree.c) use a kd-tree and keep no core row's list
 * of neighbours (scikit-learn keeps every row's: gigabytes at 100,000 rows
 * in tight blobs): a count per row that stops at min_samples (listing the
 * fewer than min_samples rows near a row that is not core, which then
 * tells noise from border), a union-find join of the core rows, and for
 * predict a lowest-label search. The file map:
 *   dbscan.c       knobs, fit (core rows, cluster numbers), predict, checks
 *   dbscan_tree.c  the kd-tree and its three radius searches
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/model.h"
#include "models/dbscan_tree.h"
#include "models/learned_check.h"

static const char *const dbscan_metric_choices[] = {"euclidean", "manhattan", NULL};

static const dial_knob_spec dbscan_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "eps",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0.5",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 0.05,
     .search_high = 5,
     .log_scale = true,
     .condition = "",
     .doc = "the radius of a row's neighbourhood, in the units the model sees (scaled: "
            "standard deviations by default; scikit-learn's default 0.5; searched 0.05..5 on a "
            "log scale)"},
    {.name = "min_samples",
     .type = DIAL_KNOB_INT,
     .default_text = "5",
     .lower = 1,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 2,
     .search_high = 20,
     .condition = "",
     .doc = "rows within eps (itself included) that make a row a core row (scikit-learn's "
            "default 5)"},
    {.name = "metric",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "euclidean",
     .choices = dbscan_metric_choices,
     .condition = "",
     .doc = "distance between rows: euclidean, or manhattan (sum of absolute differences)"},
};

static const dial_param_doc dbscan_params[] = {
    {"core_rows", "n_core x n_inputs",
     "the core rows: those with at least min_samples rows within eps, in the units the model "
     "sees"},
    {"core_labels", "n_core", "the cluster of each core row (0, 1, ...)"},
    {"n_noise", "1", "the training rows that were noise (-1)"},
};

/* The radius as the tree compares it (see dbscan_tree.h). */
static double dbscan_radius(double eps, bool manhattan) { return manhattan ? eps : eps * eps; }

/* Numbers the clusters as scikit-learn's dbscan_inner does, which starts a
 * cluster at each core row not yet in one, in the rows' order: cluster c
 * is the set of joined core rows whose first row comes c-th. */
static void dbscan_number(dbscan_tree *t, size_t *position) {
    for (size_t p = 0; p < t->n; p++) position[t->order[p]] = p;
    int64_t clusters = 0;
    for (size_t i = 0; i < t->n; i++) {
        size_t p = position[i];
        if (!t->core[p]) continue;
        size_t root = dial_dbscan_tree_find(t, p);
        if (t->label[root] == DBSCAN_NO_LABEL) t->label[root] = clusters++;
        t->label[p] = t->label[root];
    }
}

/* The searches that read the tree only, split over the context's threads:
 * each row's answer is its own, so the result is the same on any number
 * of threads. */
typedef struct dbscan_pass {
    dbscan_tree *tree;
    double r;
    size_t min_samples;
    size_t *found;   /* per worker: core rows (find_core) or noise rows (count_noise) */
    size_t *near;    /* NULL, or min_samples - 1 slots per tree position: the rows */
    size_t *n_near;  /* within r of a row that is not core, and how many */
    const double *x; /* predict: the rows */
    double *value;   /* predict: their clusters */
} dbscan_pass;

/* The neighbour lists of rows that are not core hold fewer than
 * min_samples rows each, so they cost at most n x (min_samples - 1)
 * indices; past this many bytes (a huge min_samples) the noise is found by
 * a second search instead. */
#define DBSCAN_NEAR_BYTES ((size_t)256 << 20)

static dial_status dbscan_find_core(void *arg, size_t begin, size_t end, int worker) {
    dbscan_pass *pass = arg;
    dbscan_tree *t = pass->tree;
    size_t slots = pass->min_samples - 1;
    for (size_t p = begin; p < end; p++) {
        size_t *near = pass->near ? pass->near + p * slots : NULL;
        size_t count =
            dial_dbscan_tree_count(t, t->points + p * t->d, pass->r, pass->min_samples, near);
        t->core[p] = count >= pass->min_samples;
        pass->found[worker] += t->core[p];
        if (pass->near) pass->n_near[p] = t->core[p] ? 0 : count;
    }
    return DIAL_OK;
}

/* A row that is not core is noise unless a core row is within eps: among
 * the rows its count listed, or else by a search of the tree. */
static dial_status dbscan_count_noise(void *arg, size_t begin, size_t end, int worker) {
    dbscan_pass *pass = arg;
    const dbscan_tree *t = pass->tree;
    size_t slots = pass->min_samples - 1;
    for (size_t p = begin; p < end; p++) {
        if (t->core[p]) continue;
        bool noise = true;
        if (pass->near) {
            for (size_t i = 0; i < pass->n_near[p] && noise; i++)
                noise = !t->core[pass->near[p * slots + i]];
        } else {
            noise =
                dial_dbscan_tree_lowest_label(t, t->points + p * t->d, pass->r) == DBSCAN_NO_LABEL;
        }
        pass->found[worker] += noise;
    }
    return DIAL_OK;
}

static dial_status dbscan_assign(void *arg, size_t begin, size_t end, int worker) {
    (void)worker;
    dbscan_pass *pass = arg;
    const dbscan_tree *t = pass->tree;
    for (size_t i = begin; i < end; i++) {
        int64_t label = dial_dbscan_tree_lowest_label(t, pass->x + i * t->d, pass->r);
        pass->value[i] = label == DBSCAN_NO_LABEL ? -1.0 : (double)label;
    }
    return DIAL_OK;
}

static size_t dbscan_sum(const size_t *found, int threads) {
    size_t sum = 0;
    for (int w = 0; w < threads; w++) sum += found[w];
    return sum;
}

/* Finds the core rows and their clusters, and counts the noise: no core
 * row's neighbour list is kept, each row is asked about at most twice (how
 * many neighbours; for a core row, which core rows to join), so memory is
 * linear in the rows however dense the clusters. The join is one thread's
 * (a union-find); the other two passes use all. */
static dial_status dbscan_cluster(dial_ctx *ctx, const dial_fit_input *in, double eps,
                                  size_t min_samples, bool manhattan, dbscan_tree *t,
                                  size_t *position, size_t *n_core, int64_t *n_noise) {
    size_t n = in->n_rows, d = in->n_features;
    int threads = dial_ctx_threads(ctx);
    size_t *found = dial_calloc(ctx, (size_t)threads, sizeof *found);
    if (!found) return dial_fail(ctx, DIAL_ERR_NOMEM, "dbscan: out of memory");
    dial_status status = dial_dbscan_tree_build(ctx, in->x, n, d, manhattan, t);
    dbscan_pass pass = {
        .tree = t, .r = dbscan_radius(eps, manhattan), .min_samples = min_samples, .found = found};
    /* Without room for the lists (or with min_samples 1: every row core)
     * the noise pass searches the tree instead: the same answer. */
    size_t slots = min_samples - 1;
    if (slots > 0 && n > 0 && slots <= DBSCAN_NEAR_BYTES / sizeof(size_t) / n) {
        pass.near = dial_malloc_array(ctx, n * slots, sizeof *pass.near);
        pass.n_near = dial_malloc_array(ctx, n, sizeof *pass.n_near);
        if (!pass.near || !pass.n_near) {
            free(pass.near);
            free(pass.n_near);
            pass.near = pass.n_near = NULL;
        }
    }
    if (status == DIAL_OK) status = dial_parallel_for(ctx, threads, n, dbscan_find_core, &pass);
    if (status == DIAL_OK) {
        *n_core = dbscan_sum(found, threads);
        dial_dbscan_tree_sum_core(t);
        for (size_t p = 0; p < n; p++)
            if (t->core[p]) dial_dbscan_tree_join(t, p, pass.r);
        dbscan_number(t, position);
        dial_dbscan_tree_sum_labels(t);
        memset(found, 0, (size_t)threads * sizeof *found);
        status = dial_parallel_for(ctx, threads, n, dbscan_count_noise, &pass);
    }
    if (status == DIAL_OK) *n_noise = (int64_t)dbscan_sum(found, threads);
    free(pass.near);
    free(pass.n_near);
    free(found);
    return status;
}

static dial_status dbscan_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                              dial_tensors *learned) {
    if (in->task != DIAL_TASK_CLUSTERING || in->y)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "dbscan does clustering only, got %s",
                         dial_task_name(in->task));
    size_t n = in->n_rows, d = in->n_features;
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(in->x[i]))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "dbscan: input %zu of row %zu is %g; impute missing values first "
                             "(the impute knob)",
                             i % d, i / d, in->x[i]);
    double eps = dial_knobs_float(knobs, "eps");
    size_t min_samples = (size_t)dial_knobs_int(knobs, "min_samples");
    bool manhattan = strcmp(dial_knobs_choice(knobs, "metric"), "manhattan") == 0;
    dbscan_tree t = {0};
    size_t *position = dial_malloc_array(ctx, n ? n : 1, sizeof *position), n_core = 0;
    int64_t n_noise = 0;
    dial_status status = position ? dbscan_cluster(ctx, in, eps, min_samples, manhattan, &t,
                                                   position, &n_core, &n_noise)
                                  : dial_fail(ctx, DIAL_ERR_NOMEM, "dbscan: out of memory");
    size_t shape[2] = {n_core, d}, one = 1;
    double *rows = NULL;
    int64_t *core_labels = NULL, *noise = NULL;
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "core_rows", DIAL_F64, 2, shape, (void **)&rows);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "core_labels", DIAL_I64, 1, &n_core,
                                  (void **)&core_labels);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "n_noise", DIAL_I64, 1, &one, (void **)&noise);
    if (status == DIAL_OK) *noise = n_noise;
    /* the core rows in the order of the training rows */
    for (size_t i = 0, at = 0; status == DIAL_OK && i < n; i++) {
        size_t p = position[i];
        if (!t.core[p]) continue;
        memcpy(rows + at * d, t.points + p * d, d * sizeof *rows);
        core_labels[at++] = t.label[p];
    }
    free(position);
    dial_dbscan_tree_free(&t);
    return status;
}

/* The core rows and labels of a fit or a file, checked. */
static dial_status dbscan_core(dial_ctx *ctx, const dial_tensors *learned, size_t d,
                               const double **rows, const int64_t **labels, size_t *n_core) {
    const dial_tensor *r = dial_tensors_find(learned, "core_rows");
    const dial_tensor *l = dial_tensors_find(learned, "core_labels");
    const dial_tensor *noise = dial_tensors_find(learned, "n_noise");
    if (!r || !l || !noise)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "dbscan: the learned tensor '%s' is missing",
                         !r   ? "core_rows"
                         : !l ? "core_labels"
                              : "n_noise");
    if (r->dtype != DIAL_F64 || r->ndim != 2 || r->shape[1] != d)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "dbscan: the learned tensor 'core_rows' must be f64 of shape [n_core x "
                         "%zu]",
                         d);
    if (l->dtype != DIAL_I64 || l->ndim != 1 || l->shape[0] != r->shape[0])
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "dbscan: the learned tensor 'core_labels' must be i64 of shape [%zu], "
                         "one label per core row",
                         r->shape[0]);
    if (noise->dtype != DIAL_I64 || noise->ndim != 1 || noise->shape[0] != 1)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "dbscan: the learned tensor 'n_noise' must be i64 of shape [1]");
    dial_status status = dial_learned_check_finite(ctx, "dbscan", r);
    if (status != DIAL_OK) return status;
    const int64_t *label = l->data;
    for (size_t i = 0; i < l->shape[0]; i++)
        if (label[i] < 0 || (size_t)label[i] >= l->shape[0])
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "dbscan: core_labels[%zu] is %lld, not a cluster of the %zu core rows",
                             i, (long long)label[i], l->shape[0]);
    *rows = r->data;
    *labels = label;
    *n_core = r->shape[0];
    return DIAL_OK;
}

static dial_status dbscan_validate(dial_ctx *ctx, const dial_knobs *knobs,
                                   const dial_tensors *learned, const dial_fit_input *in) {
    (void)knobs;
    const double *rows = NULL;
    const int64_t *labels = NULL;
    size_t n_core = 0;
    return dbscan_core(ctx, learned, in->n_features, &rows, &labels, &n_core);
}

static dial_status dbscan_predict(dial_ctx *ctx, const dial_knobs *knobs,
                                  const dial_tensors *learned, const dial_fit_input *in,
                                  dial_predict_output *out) {
    const double *rows = NULL;
    const int64_t *labels = NULL;
    size_t n_core = 0, d = in->n_features;
    dial_status status = dbscan_core(ctx, learned, d, &rows, &labels, &n_core);
    if (status != DIAL_OK) return status;
    if (out->proba) return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "dbscan has no probabilities");
    for (size_t i = 0; i < in->n_rows * d; i++)
        if (!isfinite(in->x[i]))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "dbscan: input %zu of row %zu is %g; impute missing values first "
                             "(the impute knob)",
                             i % d, i / d, in->x[i]);
    double eps = dial_knobs_float(knobs, "eps");
    bool manhattan = strcmp(dial_knobs_choice(knobs, "metric"), "manhattan") == 0;
    /* The tree of the core rows is built here, from what the model keeps,
     * so a loaded model predicts exactly as the fitted one. */
    dbscan_tree t = {0};
    status = dial_dbscan_tree_build(ctx, rows, n_core, d, manhattan, &t);
    if (status != DIAL_OK) return status;
    for (size_t p = 0; p < n_core; p++) {
        t.core[p] = true;
        t.label[p] = labels[t.order[p]];
    }
    dial_dbscan_tree_sum_labels(&t);
    dbscan_pass pass = {
        .tree = &t, .r = dbscan_radius(eps, manhattan), .x = in->x, .value = out->value};
    status = dial_parallel_for(ctx, dial_ctx_threads(ctx), in->n_rows, dbscan_assign, &pass);
    dial_dbscan_tree_free(&t);
    return status;
}

const dial_model_family dial_model_dbscan = {
    .name = "dbscan",
    .summary = "DBSCAN: clusters of dense rows, the rest noise (-1)",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLUSTERING),
    .unsupervised = true,
    .knobs = dbscan_knobs,
    .n_knobs = sizeof dbscan_knobs / sizeof dbscan_knobs[0],
    .params = dbscan_params,
    .n_params = sizeof dbscan_params / sizeof dbscan_params[0],
    .fit = dbscan_fit,
    .predict = dbscan_predict,
    .validate = dbscan_validate,
};

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
 * new row's cluster). predict gives a new row the cluster of the nearest
 * core row within eps, else -1 (noise). The neighbourhoods are found by
 * brute force, n^2 distances: fine for thousands of rows, slow for
 * hundreds of thousands.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/model.h"
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

static double dbscan_distance(const double *a, const double *b, size_t d, bool manhattan) {
    double sum = 0;
    if (manhattan) {
        for (size_t j = 0; j < d; j++) sum += fabs(a[j] - b[j]);
        return sum;
    }
    for (size_t j = 0; j < d; j++) sum += (a[j] - b[j]) * (a[j] - b[j]);
    return sqrt(sum);
}

/* Rows within eps of each row (CSR: offsets n + 1, neighbours). */
typedef struct dbscan_graph {
    size_t *offsets, *neighbours;
} dbscan_graph;

static dial_status dbscan_neighbours(dial_ctx *ctx, const dial_fit_input *in, double eps,
                                     bool manhattan, dbscan_graph *g) {
    size_t n = in->n_rows, d = in->n_features, capacity = n ? n : 1, used = 0;
    g->offsets = dial_malloc_array(ctx, n + 1, sizeof *g->offsets);
    g->neighbours = dial_malloc_array(ctx, capacity, sizeof *g->neighbours);
    if (!g->offsets || !g->neighbours)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "dbscan: out of memory");
    for (size_t i = 0; i < n; i++) {
        g->offsets[i] = used;
        for (size_t j = 0; j < n; j++) {
            if (dbscan_distance(in->x + i * d, in->x + j * d, d, manhattan) > eps) continue;
            if (used == capacity) {
                size_t *more = dial_realloc_array(ctx, g->neighbours, capacity * 2, sizeof *more);
                if (!more) return dial_fail(ctx, DIAL_ERR_NOMEM, "dbscan: out of memory");
                g->neighbours = more;
                capacity *= 2;
            }
            g->neighbours[used++] = j;
        }
    }
    g->offsets[n] = used;
    return DIAL_OK;
}

/* scikit-learn's dbscan_inner: each unlabelled core row starts a cluster,
 * grown depth first through core rows. */
static dial_status dbscan_label(dial_ctx *ctx, const dbscan_graph *g, const bool *core, size_t n,
                                int64_t *labels) {
    size_t *stack = dial_malloc_array(ctx, g->offsets[n] + 1, sizeof *stack);
    if (!stack) return dial_fail(ctx, DIAL_ERR_NOMEM, "dbscan: out of memory");
    for (size_t i = 0; i < n; i++) labels[i] = -1;
    int64_t cluster = 0;
    for (size_t start = 0; start < n; start++) {
        if (labels[start] != -1 || !core[start]) continue;
        size_t top = 0, i = start;
        for (;;) {
            if (labels[i] == -1) {
                labels[i] = cluster;
                if (core[i])
                    for (size_t at = g->offsets[i]; at < g->offsets[i + 1]; at++)
                        if (labels[g->neighbours[at]] == -1) stack[top++] = g->neighbours[at];
            }
            if (top == 0) break;
            i = stack[--top];
        }
        cluster++;
    }
    free(stack);
    return DIAL_OK;
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
    dbscan_graph g = {NULL, NULL};
    bool *core = dial_calloc(ctx, n ? n : 1, sizeof *core);
    int64_t *labels = dial_malloc_array(ctx, n ? n : 1, sizeof *labels);
    dial_status status = core && labels ? dbscan_neighbours(ctx, in, eps, manhattan, &g)
                                        : dial_fail(ctx, DIAL_ERR_NOMEM, "dbscan: out of memory");
    size_t n_core = 0;
    for (size_t i = 0; status == DIAL_OK && i < n; i++) {
        core[i] = g.offsets[i + 1] - g.offsets[i] >= min_samples;
        n_core += core[i];
    }
    if (status == DIAL_OK) status = dbscan_label(ctx, &g, core, n, labels);
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
    for (size_t i = 0, at = 0; status == DIAL_OK && i < n; i++) {
        *noise += labels[i] == -1;
        if (!core[i]) continue;
        memcpy(rows + at * d, in->x + i * d, d * sizeof *rows);
        core_labels[at++] = labels[i];
    }
    free(g.offsets);
    free(g.neighbours);
    free(core);
    free(labels);
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
    double eps = dial_knobs_float(knobs, "eps");
    bool manhattan = strcmp(dial_knobs_choice(knobs, "metric"), "manhattan") == 0;
    for (size_t i = 0; i < in->n_rows; i++) {
        const double *row = in->x + i * d;
        for (size_t j = 0; j < d; j++)
            if (!isfinite(row[j]))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "dbscan: input %zu of row %zu is %g; impute missing values first "
                                 "(the impute knob)",
                                 j, i, row[j]);
        double best = INFINITY;
        int64_t label = -1;
        for (size_t c = 0; c < n_core; c++) {
            double dist = dbscan_distance(row, rows + c * d, d, manhattan);
            if (dist <= eps && dist < best) {
                best = dist;
                label = labels[c];
            }
        }
        out->value[i] = (double)label;
    }
    return DIAL_OK;
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

/*
 * k-nearest neighbours: classification by a (weighted) vote of the k training
 * rows nearest to a query, regression by their (weighted) mean.
 *
 * The model is nonparametric: fit keeps the training rows ("x", "y") and
 * predict searches them. Two exact searches give the same neighbours:
 *  - brute force over tiles of transposed training rows with vectorised
 *    kernels; for the euclidean metric the kernel estimates ||q||^2 +
 *    ||x||^2 - 2 q.x four queries at a time (the identity a dgemm would
 *    use: measured faster than OpenBLAS here, whose runtime detection may
 *    fall back to a generic kernel), and the rows whose estimate could be
 *    among the k nearest get their exact distance, so that cancellation
 *    never changes the order;
 *  - a kd-tree built inside predict from the stored rows (so a loaded model
 *    predicts exactly as the fitted one), for low dimension.
 * Every kept distance is computed by the same arithmetic, and neighbours are
 * ordered by (distance, training row index), so ties always go to the row
 * that comes first and both searches agree to the last bit.
 *
 * The files of the family:
 *   knn.c          this map, the knobs, fit (a copy of the rows), the
 *                  checks of stored rows, predict, prepare once / fit many,
 *                  the family table
 *   knn_search.c   the search itself: brute force and kd-tree walks, the
 *                  vote, on the thread budget (knn_search.h)
 *   knn_kdtree.c   building the kd-tree; knn_heap.h the k nearest so far
 *   knn_distance.h the distances; knn_compact.c rows kept as category codes
 *   knn_dots.c     the search by dot products: sparse rows (kept as the
 *                  compressed tensors "x.row_start", "x.column", "x.value",
 *                  learned_csr.h) and the cosine metric
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/model.h"
#include "models/family_tuning.h"
#include "models/knn_compact.h"
#include "models/knn_distance.h"
#include "models/knn_dots.h"
#include "models/knn_search.h"
#include "models/learned_csr.h"

static const char *const knn_weight_choices[] = {"uniform", "distance", NULL};
static const char *const knn_metric_choices[] = {"euclidean", "manhattan", "minkowski", "cosine",
                                                 NULL};
static const char *const knn_algorithm_choices[] = {"auto", "brute", "kd_tree", NULL};

static const dial_knob_spec knn_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "k",
     .type = DIAL_KNOB_INT,
     .default_text = "5",
     .lower = 1,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1,
     .search_high = 50,
     .condition = "",
     .doc = "number of neighbours that vote (or are averaged); all training rows when k exceeds "
            "their number (scikit-learn's default 5; searched 1..50, every k from one neighbour "
            "search per fold)"},
    {.name = "weights",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "uniform",
     .choices = knn_weight_choices,
     .condition = "",
     .doc = "weight of each neighbour: uniform, or distance (1/d; exact matches take all the "
            "weight)"},
    {.name = "metric",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "euclidean",
     .choices = knn_metric_choices,
     .condition = "",
     .doc = "distance between rows: euclidean, manhattan (sum of absolute differences), "
            "minkowski with power p, or cosine (1 - cosine similarity, searched by brute force); "
            "on sparse input euclidean or cosine"},
    {.name = "p",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "2",
     .lower = 1,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1,
     .search_high = 5,
     .condition = "metric=minkowski",
     .doc = "power of the minkowski distance (1 is manhattan, 2 euclidean)"},
    {.name = "algorithm",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "auto",
     .choices = knn_algorithm_choices,
     .condition = "",
     .doc = "neighbour search: brute force, kd_tree, or auto (kd_tree up to 8 features, brute "
            "beyond); all give the same neighbours"},
};

/* ---- the family ------------------------------------------------------- */

static dial_status knn_check_target(dial_ctx *ctx, const char *who, const double *y, size_t n,
                                    dial_task task, size_t n_classes, dial_status status) {
    for (size_t i = 0; i < n; i++) {
        if (task == DIAL_TASK_CLASSIFICATION) {
            if (!(y[i] >= 0 && y[i] < (double)n_classes && y[i] == floor(y[i])))
                return dial_fail(ctx, status,
                                 "knn: %s of row %zu is %g, expected a class index in 0..%zu", who,
                                 i, y[i], n_classes - 1);
        } else if (!isfinite(y[i])) {
            return dial_fail(ctx, status, "knn: %s of row %zu is %g, expected a finite number", who,
                             i, y[i]);
        }
    }
    return DIAL_OK;
}

static dial_status knn_check_features(dial_ctx *ctx, const double *x, size_t n, size_t d) {
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < d; t++)
            if (!isfinite(x[i * d + t]))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "knn: feature %zu of row %zu is %g; impute missing values first",
                                 t, i, x[i * d + t]);
    return DIAL_OK;
}

static dial_status knn_check_task(dial_ctx *ctx, dial_task task, size_t n_classes) {
    if (task == DIAL_TASK_REGRESSION) return DIAL_OK;
    if (task == DIAL_TASK_CLASSIFICATION && n_classes >= 1) return DIAL_OK;
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "knn: the task must be classification (with at least one class) or "
                     "regression, got %s with %zu classes",
                     dial_task_name(task), n_classes);
}

/* Sparse rows are measured by dot products (knn_dots.c): euclidean or
 * cosine only. */
static dial_status knn_check_sparse_metric(dial_ctx *ctx, const dial_knobs *knobs) {
    const char *metric = dial_knobs_choice(knobs, "metric");
    if (strcmp(metric, "euclidean") == 0 || strcmp(metric, "cosine") == 0) return DIAL_OK;
    return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                     "knn on sparse input measures metric=euclidean or metric=cosine, not "
                     "metric=%s",
                     metric);
}

/* Keeps copies of the training rows: they are what the model predicts from. */
static dial_status knn_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                           dial_tensors *learned) {
    dial_status status = knn_check_task(ctx, in->task, in->n_classes);
    if (status != DIAL_OK) return status;
    if (in->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "knn: no training rows");
    if (in->n_features == 0)
        return dial_fail(ctx, DIAL_ERR_DATA, "knn: no features to measure distances on");
    status = in->sparse ? knn_check_sparse_metric(ctx, knobs)
                        : knn_check_features(ctx, in->x, in->n_rows, in->n_features);
    if (status != DIAL_OK) return status;
    status =
        knn_check_target(ctx, "target", in->y, in->n_rows, in->task, in->n_classes, DIAL_ERR_DATA);
    if (status != DIAL_OK) return status;

    double *x, *y;
    size_t shape[2] = {in->n_rows, in->n_features};
    bool cosine = strcmp(dial_knobs_choice(knobs, "metric"), "cosine") == 0;
    if (in->sparse) {
        /* compressed rows, as they came: 12 bytes a nonzero */
        status = dial_learned_csr_add(ctx, learned, "x", in->sparse, NULL, in->n_rows);
    } else if (in->n_onehot && !cosine) {
        /* Category codes: a row costs a code per categorical feature, not a
         * column per level (knn_compact.h); cosine takes dense rows. */
        status = dial_knn_compact_fit(ctx, in, learned);
    } else {
        status = dial_tensors_add(ctx, learned, "x", DIAL_F64, 2, shape, (void **)&x);
        if (status == DIAL_OK) memcpy(x, in->x, in->n_rows * in->n_features * sizeof *x);
    }
    if (status != DIAL_OK) return status;
    status = dial_tensors_add(ctx, learned, "y", DIAL_F64, 1, shape, (void **)&y);
    if (status != DIAL_OK) return status;
    memcpy(y, in->y, in->n_rows * sizeof *y);
    return DIAL_OK;
}

/* The stored rows, checked: they may come from a file. Dense rows ("x")
 * set *x; rows kept as category codes set *compact (and leave *x NULL). */
typedef struct knn_rows {
    const double *x;
    knn_compact compact;
    bool sparse; /* compressed rows (x NULL) in csr */
    dial_learned_csr csr;
    const double *y;
    size_t n;
} knn_rows;

static dial_status knn_learned_rows(dial_ctx *ctx, const dial_tensors *learned,
                                    const dial_fit_input *in, knn_rows *rows) {
    memset(rows, 0, sizeof *rows);
    const dial_tensor *x = dial_tensors_find(learned, "x");
    const dial_tensor *y = dial_tensors_find(learned, "y");
    dial_status status = DIAL_OK;
    if (dial_learned_csr_present(learned, "x")) {
        if (x || dial_knn_compact_present(learned))
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "knn: the learned tensors hold compressed rows 'x.row_start' and "
                             "other rows too; a model keeps one kind");
        status = dial_learned_csr_read(ctx, "knn", learned, "x", in->n_features, &rows->csr);
        if (status != DIAL_OK) return status;
        if (rows->csr.n_rows == 0)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "knn: the learned tensor 'x.row_start' holds no row");
        rows->sparse = true;
        rows->n = rows->csr.n_rows;
    } else if (dial_knn_compact_present(learned)) {
        if (x)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "knn: the learned tensors hold both dense rows 'x' and category "
                             "codes 'x.codes'; a model keeps one or the other");
        status = dial_knn_compact_load(ctx, learned, in->n_features, &rows->compact);
        if (status != DIAL_OK) return status;
        rows->n = rows->compact.n_rows;
    } else {
        if (!x) return dial_fail(ctx, DIAL_ERR_FORMAT, "knn: the learned tensor 'x' is missing");
        if (x->dtype != DIAL_F64 || x->ndim != 2 || x->shape[0] == 0 ||
            x->shape[1] != in->n_features)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "knn: the learned tensor 'x' must be f64 of shape [rows x %zu] with "
                             "at least one row",
                             in->n_features);
        for (size_t i = 0; i < dial_tensor_size(x); i++)
            if (!isfinite(((const double *)x->data)[i]))
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "knn: the learned tensor 'x' holds %g at %zu",
                                 ((const double *)x->data)[i], i);
        rows->x = x->data;
        rows->n = x->shape[0];
    }
    if (!y) return dial_fail(ctx, DIAL_ERR_FORMAT, "knn: the learned tensor 'y' is missing");
    if (y->dtype != DIAL_F64 || y->ndim != 1 || y->shape[0] != rows->n)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "knn: the learned tensor 'y' must be f64 of shape [%zu], one value per "
                         "training row",
                         rows->n);
    status = knn_check_target(ctx, "learned tensor 'y'", y->data, y->shape[0], in->task,
                              in->n_classes, DIAL_ERR_FORMAT);
    if (status != DIAL_OK) return status;
    rows->y = y->data;
    return DIAL_OK;
}

/* Refuses damaged rows when a model file is loaded, not at its first use. */
static dial_status knn_validate(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in) {
    (void)knobs;
    dial_status status = knn_check_task(ctx, in->task, in->n_classes);
    knn_rows rows;
    if (status == DIAL_OK) status = knn_learned_rows(ctx, learned, in, &rows);
    return status;
}

/* The distance and the weighting the knobs ask for. */
static void knn_configure(const dial_knobs *knobs, knn_search *s) {
    s->weighting =
        strcmp(dial_knobs_choice(knobs, "weights"), "distance") == 0 ? KNN_DISTANCE : KNN_UNIFORM;
    const char *metric = dial_knobs_choice(knobs, "metric");
    s->metric = (knn_distance){.metric = strcmp(metric, "manhattan") == 0   ? KNN_MANHATTAN
                                         : strcmp(metric, "minkowski") == 0 ? KNN_MINKOWSKI
                                         : strcmp(metric, "cosine") == 0    ? KNN_COSINE
                                                                            : KNN_EUCLIDEAN};
    if (s->metric.metric == KNN_MINKOWSKI) {
        double p = dial_knobs_float(knobs, "p");
        s->metric.p = p;
        /* The same distances, computed faster (scikit-learn does the same). */
        if (p == 1) s->metric.metric = KNN_MANHATTAN;
        if (p == 2) s->metric.metric = KNN_EUCLIDEAN;
        if (p == floor(p) && p <= 16) s->metric.p_int = (int)p;
    }
}

/* Whether the search is by dot products (knn_dots.c): sparse rows or the
 * cosine metric. */
static bool knn_by_dots(const knn_search *s, bool sparse) {
    return sparse || s->metric.metric == KNN_COSINE;
}

/* k as predict uses it: at least 1, at most the training rows. */
static size_t knn_effective_k(long k, size_t n_train) {
    return k < 1 ? 1 : ((size_t)k > n_train ? n_train : (size_t)k);
}
static dial_status knn_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                               const dial_fit_input *in, dial_predict_output *out) {
    dial_status status = knn_check_task(ctx, in->task, in->n_classes);
    if (status != DIAL_OK) return status;
    if (in->task == DIAL_TASK_REGRESSION && out->proba)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "knn: no class probabilities in regression");
    knn_rows rows;
    status = knn_learned_rows(ctx, learned, in, &rows);
    if (status != DIAL_OK) return status;
    if (in->n_rows == 0) return DIAL_OK;
    status = in->sparse || rows.sparse ? knn_check_sparse_metric(ctx, knobs)
                                       : knn_check_features(ctx, in->x, in->n_rows, in->n_features);
    if (status != DIAL_OK) return status;

    knn_search s = {.train = rows.x,
                    .compact = rows.x ? NULL : &rows.compact,
                    .train_y = rows.y,
                    .n_train = rows.n,
                    .d = in->n_features,
                    .task = in->task,
                    .n_classes = in->task == DIAL_TASK_CLASSIFICATION ? in->n_classes : 0,
                    .queries = in->x,
                    .n_queries = in->n_rows,
                    .out = *out};
    knn_configure(knobs, &s);
    if (knn_by_dots(&s, in->sparse || rows.sparse)) {
        if (!rows.sparse && !rows.x)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "knn: metric=cosine needs the rows as 'x', not as category codes");
        s.compact = NULL;
        s.k = knn_effective_k(dial_knobs_int(knobs, "k"), s.n_train);
        knn_dot_rows train = {.x = rows.x, .rows = rows.csr};
        return dial_knn_dot_search(ctx, &train, in->x, in->sparse, &s);
    }
    int64_t *query_codes = NULL;
    if (s.compact) {
        status = dial_knn_compact_query_codes(ctx, s.compact, in->x, in->n_rows, &query_codes);
        if (status != DIAL_OK) return status;
        s.query_codes = query_codes;
    }
    s.k = knn_effective_k(dial_knobs_int(knobs, "k"), s.n_train);
    status = dial_knn_search_run(ctx, dial_knobs_choice(knobs, "algorithm"), &s);
    free(query_codes);
    return status;
}

/* ---- prepare once, fit many -----------------------------------------------
 * For tuning: the neighbours of a fold's test rows depend on the metric
 * (and p) but not on k or the weights. prepare_fold finds, for every test
 * row, its K nearest training rows once, K the largest k the search may
 * ask for, and keeps them sorted by (distance, index) as predict orders
 * them; the k nearest are then the first k of that list, so predict_fold
 * answers any k <= K and either weighting by knn_vote, the arithmetic of
 * predict, and the predictions are those of a full fit and predict to the
 * bit. The algorithm knob is among the prepare knobs only because it is a
 * search option: every algorithm finds the same neighbours. */

static const char *const knn_prepare_knobs[] = {"metric", "p", "algorithm", NULL};

/* Lists larger than this are not kept: the tuner then fits every trial in
 * full, whose search holds only a block of queries' heaps at a time. */
#define KNN_FOLD_MAX_BYTES ((size_t)1 << 30)

typedef struct knn_fold {
    size_t n_test, n_train, k_max; /* k_max: the K of the lists */
    dial_task task;
    size_t n_classes;
    knn_distance metric; /* what the lists were measured with */
    size_t *index;       /* n_test x k_max training rows, nearest first */
    double *dist;        /* n_test x k_max true distances */
    size_t *count;       /* n_test: entries of each list (k_max) */
    double *train_y;     /* n_train: class index or value */
} knn_fold;

static void knn_free_fold(void *state) {
    knn_fold *fold = state;
    if (!fold) return;
    free(fold->index);
    free(fold->dist);
    free(fold->count);
    free(fold->train_y);
    free(fold);
}

static dial_status knn_prepare_fold(dial_ctx *ctx, const dial_knobs *knobs,
                                    const dial_knobs *knobs_max, const dial_fit_input *train,
                                    const dial_fit_input *test, void **fold_state) {
    *fold_state = NULL;
    dial_status status = knn_check_task(ctx, train->task, train->n_classes);
    if (status != DIAL_OK) return status;
    if (train->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "knn: no training rows");
    if (train->n_features == 0 || test->n_features != train->n_features)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "knn: the fold has %zu training and %zu test features; expected the "
                         "same number, at least 1",
                         train->n_features, test->n_features);
    bool sparse = train->sparse != NULL;
    status = sparse ? knn_check_sparse_metric(ctx, knobs)
                    : knn_check_features(ctx, train->x, train->n_rows, train->n_features);
    if (status == DIAL_OK && !sparse)
        status = knn_check_features(ctx, test->x, test->n_rows, test->n_features);
    if (status == DIAL_OK)
        status = knn_check_target(ctx, "target", train->y, train->n_rows, train->task,
                                  train->n_classes, DIAL_ERR_DATA);
    if (status != DIAL_OK) return status;

    long k = dial_knobs_int(knobs, "k"), k_max = knobs_max ? dial_knobs_int(knobs_max, "k") : k;
    size_t big_k = knn_effective_k(k_max > k ? k_max : k, train->n_rows);
    size_t n_test = test->n_rows;
    if (n_test && big_k > KNN_FOLD_MAX_BYTES / n_test / (sizeof(double) + sizeof(size_t)))
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "knn: the lists of the %zu nearest of %zu test rows would exceed %zu MiB",
                         big_k, n_test, KNN_FOLD_MAX_BYTES >> 20);
    knn_fold *fold = dial_calloc(ctx, 1, sizeof *fold);
    if (!fold) return dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory preparing a fold");
    size_t cells = n_test * big_k;
    fold->index = dial_malloc(ctx, (cells ? cells : 1) * sizeof *fold->index);
    fold->dist = dial_malloc(ctx, (cells ? cells : 1) * sizeof *fold->dist);
    fold->count = dial_calloc(ctx, n_test ? n_test : 1, sizeof *fold->count);
    fold->train_y = dial_malloc(ctx, train->n_rows * sizeof *fold->train_y);
    if (!fold->index || !fold->dist || !fold->count || !fold->train_y) {
        knn_free_fold(fold);
        return dial_fail(ctx, DIAL_ERR_NOMEM,
                         "knn: out of memory for the %zu nearest of %zu test rows", big_k, n_test);
    }
    memcpy(fold->train_y, train->y, train->n_rows * sizeof *fold->train_y);
    fold->n_test = n_test;
    fold->n_train = train->n_rows;
    fold->k_max = big_k;
    fold->task = train->task;
    fold->n_classes = train->task == DIAL_TASK_CLASSIFICATION ? train->n_classes : 0;

    knn_search s = {.train = train->x,
                    .train_y = train->y,
                    .n_train = train->n_rows,
                    .d = train->n_features,
                    .task = fold->task,
                    .n_classes = fold->n_classes,
                    .queries = test->x,
                    .n_queries = n_test,
                    .k = big_k,
                    .keep_index = fold->index,
                    .keep_dist = fold->dist,
                    .keep_count = fold->count};
    knn_configure(knobs, &s);
    fold->metric = s.metric;
    /* the training rows as the dot search reads them (nothing copied) */
    knn_dot_rows rows = {.x = sparse ? NULL : train->x, .csr = train->sparse};
    if (status == DIAL_OK && n_test)
        status = knn_by_dots(&s, sparse)
                     ? dial_knn_dot_search(ctx, &rows, test->x, test->sparse, &s)
                     : dial_knn_search_run(ctx, dial_knobs_choice(knobs, "algorithm"), &s);
    if (status != DIAL_OK) {
        knn_free_fold(fold);
        return status;
    }
    *fold_state = fold;
    return DIAL_OK;
}

static dial_status knn_predict_fold(dial_ctx *ctx, const dial_knobs *knobs, const void *state,
                                    dial_predict_output *out) {
    const knn_fold *fold = state;
    if (fold->task == DIAL_TASK_REGRESSION && out->proba)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "knn: no class probabilities in regression");
    knn_search s = {.train_y = fold->train_y,
                    .n_train = fold->n_train,
                    .task = fold->task,
                    .n_classes = fold->n_classes,
                    .out = *out};
    knn_configure(knobs, &s);
    if (s.metric.metric != fold->metric.metric ||
        (s.metric.metric == KNN_MINKOWSKI && s.metric.p != fold->metric.p))
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "knn: the fold was prepared for another metric than '%s'",
                         dial_knobs_choice(knobs, "metric"));
    size_t k = knn_effective_k(dial_knobs_int(knobs, "k"), fold->n_train);
    if (k > fold->k_max)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "knn: the fold was prepared for k up to %zu, not %zu", fold->k_max, k);
    double *weight = dial_malloc(ctx, (k + fold->n_classes + 1) * sizeof *weight);
    if (!weight) return dial_fail(ctx, DIAL_ERR_NOMEM, "knn: out of memory predicting a fold");
    double *votes = weight + k;
    for (size_t i = 0; i < fold->n_test; i++) {
        size_t n = fold->count[i] < k ? fold->count[i] : k;
        if (s.weighting == KNN_DISTANCE)
            memcpy(weight, fold->dist + i * fold->k_max, n * sizeof *weight);
        dial_knn_vote(&s, votes, fold->index + i * fold->k_max, weight, n, i);
    }
    free(weight);
    return DIAL_OK;
}

static const char knn_nonparametric_doc[] =
    "keeps the training rows after preprocessing: \"x\" [n_rows x n_features] and \"y\" [n_rows] "
    "(class index or value); a prediction searches them for the k nearest. With categorical "
    "features a row keeps its level codes instead of one-hot columns: \"x.numeric\", "
    "\"x.codes\", \"x.blocks\" and \"x.onehot\" in place of \"x\"; fitted on sparse input, "
    "compressed rows \"x.row_start\", \"x.column\" and \"x.value\"";

static const dial_family_tuning knn_tuning = {
    .prepare_knobs = knn_prepare_knobs,
    .prepare_fold = knn_prepare_fold,
    .predict_fold = knn_predict_fold,
    .free_fold = knn_free_fold,
};

const dial_model_family dial_model_knn = {
    .name = "knn",
    .summary = "k-nearest neighbours: vote or mean of the k closest training rows",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION) | DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .has_proba = true,
    .knobs = knn_knobs,
    .n_knobs = sizeof knn_knobs / sizeof knn_knobs[0],
    .params = NULL,
    .n_params = 0,
    .nonparametric_doc = knn_nonparametric_doc,
    .fit = knn_fit,
    .predict = knn_predict,
    .tuning = &knn_tuning,
    .validate = knn_validate,
    .sparse_input = true,
};

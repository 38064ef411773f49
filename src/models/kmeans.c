/*
 * k-means: k centroids, each row in the cluster of the nearest one, placed
 * to make the sum of squared distances of the rows to their centroids (the
 * inertia) small. A clustering: it learns without a target. Follows
 * scikit-learn 1.2's KMeans, knob for knob: k-means++ seeding (the greedy
 * variant), n_init runs of which the lowest inertia is kept, Lloyd's or
 * Elkan's iterations (or Hamerly's), and tol relative to the mean
 * variance of the columns.
 *
 * The default algorithm is lloyd, as scikit-learn's, by measurement (CPU
 * seconds of a fit, one thread, n_init=3, the same clusters every time):
 * letter 20,000 x 16, k=20: lloyd 0.28, hamerly 0.41, elkan 0.50; 1,000,000
 * x 16 generated, k=10: lloyd and hamerly 1.58 (2 iterations: k-means++
 * is most of it); Fashion-MNIST 60,000 x 784, k=10: lloyd 8.1, hamerly
 * 6.6. Lloyd's distances come from blocked dot products (one dgemm per
 * block of rows), Hamerly's one by one for the rows its bounds do not
 * settle: on few inputs the dot products win whatever the bounds save,
 * on many the bounds do. The centroids are in the units the family sees (after
 * imputation, one-hot encoding and scaling), so predict needs nothing
 * else.
 *
 * The files of the family:
 *   kmeans.c        this map, the knobs, fit (the runs), predict (the
 *                   nearest centroid), the checks of a model file's
 *                   tensors, the family table
 *   kmeans_init.c   k-means++ and random seeding
 *   kmeans_blocks.c the sweeps over the rows in blocks: nearest centroids by
 *                   cblas_dgemm, each cluster's sums, the inertia, on the
 *                   fit's thread team
 *   kmeans_lloyd.c  Lloyd's iterations and the update of the centroids
 *   kmeans_elkan.c  Elkan's iterations (the same clusters, fewer distances)
 *   kmeans_hamerly.c Hamerly's iterations (the same clusters, 2 bounds a row)
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/kmeans.h"
#include "models/learned_check.h"

/* The stream of run r's seeding is KMEANS_STREAM + r: "kmea". */
#define KMEANS_STREAM 0x6b6d656100000000ULL

static const char *const kmeans_init_choices[] = {"k-means++", "random", NULL};
static const char *const kmeans_algorithm_choices[] = {"lloyd", "elkan", "hamerly", NULL};

static const dial_knob_spec kmeans_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "k",
     .type = DIAL_KNOB_INT,
     .default_text = "8",
     .lower = 1,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 2,
     .search_high = 20,
     .condition = "",
     .doc = "number of clusters (scikit-learn's default 8; searched 2..20: one cluster says "
            "nothing, and beyond 20 a clustering is rarely read by a person)"},
    {.name = "init",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "k-means++",
     .choices = kmeans_init_choices,
     .condition = "",
     .doc = "where the centroids start: k-means++ (spread out: each next one drawn far from "
            "those so far, the best of 2 + ln k draws; Arthur and Vassilvitskii 2007) or k "
            "random rows"},
    {.name = "n_init",
     .type = DIAL_KNOB_INT,
     .default_text = "10",
     .lower = 1,
     .upper = 1000,
     .condition = "",
     .doc = "runs from different starts; the one with the lowest inertia is kept "
            "(scikit-learn 1.2's default 10)"},
    {.name = "max_iter",
     .type = DIAL_KNOB_INT,
     .default_text = "300",
     .lower = 1,
     .upper = INFINITY,
     .condition = "",
     .doc = "iterations of a run at most (scikit-learn's default 300)"},
    {.name = "tol",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1e-4",
     .lower = 0,
     .upper = INFINITY,
     .condition = "",
     .doc = "a run stops when the centroids' squared moves sum to at most tol times the mean "
            "variance of the columns (as scikit-learn; default 1e-4), or when no row changes "
            "cluster"},
    {.name = "algorithm",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "lloyd",
     .choices = kmeans_algorithm_choices,
     .condition = "",
     .doc = "lloyd (every distance, every iteration) or elkan (skips distances the triangle "
            "inequality rules out, n x k bounds in memory) or hamerly (2 bounds a row); all "
            "give the same clusters. lloyd, the default, takes its distances in blocks through "
            "BLAS and is fastest on few inputs; hamerly on many (784 pixels)"},
};

static const dial_param_doc kmeans_params[] = {
    {"centroids", "k x n_inputs",
     "the centre of each cluster: the mean of its training rows, in the units the model sees "
     "(after imputation, one-hot encoding and scaling)"},
    {"inertia", "1",
     "the sum over the training rows of the squared distance to their centroid (what k-means "
     "makes small; scikit-learn's inertia_)"},
    {"cluster_size", "k", "the training rows in each cluster"},
    {"n_iter", "1", "the iterations of the run kept"},
};

/* ---- fit ------------------------------------------------------------------ */

/* scikit-learn's _tolerance, tol times the mean of the columns' variances,
 * from one pass over the rows on the team, in the order they lie in
 * memory: per item, each column's sum and sum of squares taken about the
 * first row (so that a column far from 0 loses no digits to the squares),
 * and whether every value was finite; combined in item order, so the
 * threads do not change them. */
typedef struct kmeans_spread_job {
    const double *x;
    size_t n, d;
    double *sums; /* items x 2 d */
    bool *finite; /* items */
} kmeans_spread_job;

static void kmeans_spread_item(void *arg, size_t item, int worker) {
    (void)worker;
    const kmeans_spread_job *job = arg;
    size_t d = job->d, begin = item * KMEANS_ITEM_ROWS, end = begin + KMEANS_ITEM_ROWS;
    if (end > job->n) end = job->n;
    double *sum = job->sums + item * 2 * d, *squares = sum + d;
    const double *shift = job->x;
    for (size_t j = 0; j < 2 * d; j++) sum[j] = 0;
    for (size_t i = begin; i < end; i++)
        for (size_t j = 0; j < d; j++) {
            double v = job->x[i * d + j] - shift[j];
            sum[j] += v;
            squares[j] += v * v;
        }
    /* A NaN or an infinity anywhere leaves a sum that is not finite. */
    bool finite = true;
    for (size_t j = 0; j < 2 * d; j++) finite = finite && isfinite(sum[j]);
    job->finite[item] = finite;
}

/* The tolerance into *out; *finite tells that every value was finite
 * (else, or when squares overflow, the caller looks for the value at
 * fault). */
static dial_status kmeans_tolerance(dial_ctx *ctx, const kmeans_run *run, double tol, double *out,
                                    bool *finite) {
    size_t n = run->n, d = run->d, items = dial_kmeans_items(n);
    *out = 0;
    *finite = true;
    if (n == 0 || d == 0) return DIAL_OK;
    double *sums = dial_malloc_array(ctx, items * 2 * d, sizeof *sums);
    bool *finite_by = dial_malloc_array(ctx, items, sizeof *finite_by);
    double *total = dial_calloc(ctx, 2 * d, sizeof *total);
    if (!sums || !finite_by || !total) {
        free(sums);
        free(finite_by);
        free(total);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory");
    }
    kmeans_spread_job job = {run->x, n, d, sums, finite_by};
    dial_team_run(run->team, kmeans_spread_item, &job, items);
    for (size_t item = 0; item < items; item++) {
        *finite = *finite && finite_by[item];
        for (size_t j = 0; j < 2 * d; j++) total[j] += sums[item * 2 * d + j];
    }
    double variance = 0;
    for (size_t j = 0; j < d; j++) {
        double mean = total[j] / (double)n;
        variance += total[d + j] / (double)n - mean * mean;
    }
    free(sums);
    free(finite_by);
    free(total);
    *out = variance / (double)d * tol;
    return DIAL_OK;
}

/* The team of a fit or a prediction: one thread for small work, where
 * waking a helper costs more than it saves (some thousands of distance
 * terms). */
dial_status dial_kmeans_team(dial_ctx *ctx, size_t n, size_t k, size_t d, dial_team **team,
                             int *threads) {
    *threads = n * k * d < 100000 ? 1 : dial_ctx_threads(ctx);
    dial_status status = dial_team_start(ctx, *threads, team);
    if (!*team) *threads = 1;
    return status;
}

static dial_status kmeans_check_rows(dial_ctx *ctx, const dial_fit_input *in, size_t k) {
    if (in->task != DIAL_TASK_CLUSTERING || in->y)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "kmeans does clustering only, got %s",
                         dial_task_name(in->task));
    if (in->n_rows < k)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "knob 'k' = %zu is more clusters than the %zu rows kmeans is fitted on: "
                         "lower k (-s k=%zu at most)",
                         k, in->n_rows, in->n_rows);
    return DIAL_OK;
}

/* The first value that is not finite, as an error (DIAL_OK if none). */
static dial_status kmeans_check_values(dial_ctx *ctx, const dial_fit_input *in) {
    size_t d = in->n_features;
    for (size_t i = 0; i < in->n_rows * d; i++)
        if (!isfinite(in->x[i]))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "kmeans: input %zu of row %zu is %g; impute missing values first "
                             "(the impute knob)",
                             i % d, i / d, in->x[i]);
    return DIAL_OK;
}

/* The tensors of the fit, filled from the run kept. */
static dial_status kmeans_store(dial_ctx *ctx, const kmeans_run *best, dial_tensors *learned) {
    size_t k = best->k, d = best->d, shape[2] = {k, d}, one = 1;
    double *centroids = NULL, *inertia = NULL;
    int64_t *sizes = NULL, *iterations = NULL;
    dial_status status =
        dial_tensors_add(ctx, learned, "centroids", DIAL_F64, 2, shape, (void **)&centroids);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "inertia", DIAL_F64, 1, &one, (void **)&inertia);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "cluster_size", DIAL_I64, 1, &k, (void **)&sizes);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "n_iter", DIAL_I64, 1, &one, (void **)&iterations);
    if (status != DIAL_OK) return status;
    memcpy(centroids, best->centroids, k * d * sizeof *centroids);
    *inertia = best->inertia;
    for (size_t i = 0; i < best->n; i++) sizes[best->labels[i]]++;
    *iterations = (int64_t)best->iterations;
    return DIAL_OK;
}

/* n_init runs (one from init_centroids when given), keeping the lowest
 * inertia (the first on a tie). */
static dial_status kmeans_fit_runs(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                                   const double *init_centroids, dial_tensors *learned) {
    size_t k = (size_t)dial_knobs_int(knobs, "k");
    dial_status status = kmeans_check_rows(ctx, in, k);
    if (status != DIAL_OK) return status;
    size_t n = in->n_rows, d = in->n_features;
    size_t runs = init_centroids ? 1 : (size_t)dial_knobs_int(knobs, "n_init");
    bool plusplus = strcmp(dial_knobs_choice(knobs, "init"), "k-means++") == 0;
    const char *algorithm = dial_knobs_choice(knobs, "algorithm");
    dial_status (*iterate)(dial_ctx *, kmeans_run *) =
        strcmp(algorithm, "elkan") == 0     ? dial_kmeans_elkan
        : strcmp(algorithm, "hamerly") == 0 ? dial_kmeans_hamerly
                                            : dial_kmeans_lloyd;
    kmeans_run run = {
        .x = in->x, .n = n, .d = d, .k = k, .max_iter = (size_t)dial_knobs_int(knobs, "max_iter")};
    bool finite = true;
    status = dial_kmeans_team(ctx, n, k, d, &run.team, &run.threads);
    if (status == DIAL_OK)
        status = kmeans_tolerance(ctx, &run, dial_knobs_float(knobs, "tol"), &run.tol, &finite);
    if (status == DIAL_OK && !finite) status = kmeans_check_values(ctx, in);
    if (status != DIAL_OK) {
        dial_team_stop(run.team);
        return status;
    }
    kmeans_run best = run;
    dial_rng *rngs = NULL;
    double *seeded = NULL;
    run.centroids = dial_malloc_array(ctx, k * (d ? d : 1), sizeof *run.centroids);
    run.labels = dial_malloc_array(ctx, n, sizeof *run.labels);
    best.centroids = dial_malloc_array(ctx, k * (d ? d : 1), sizeof *best.centroids);
    best.labels = dial_malloc_array(ctx, n, sizeof *best.labels);
    if (!run.centroids || !run.labels || !best.centroids || !best.labels) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory for %zu rows", n);
        goto done;
    }
    best.inertia = INFINITY;
    /* Run r draws from stream KMEANS_STREAM + r alone; k-means++ seeds
     * every run in one go, reading the rows once a step for all of them. */
    rngs = dial_malloc_array(ctx, runs, sizeof *rngs);
    if (!rngs) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory for %zu runs", runs);
        goto done;
    }
    uint64_t seed = dial_ctx_seed(ctx);
    for (size_t r = 0; r < runs; r++) rngs[r] = dial_rng_stream(seed, KMEANS_STREAM + r);
    if (plusplus && !init_centroids) {
        seeded = dial_malloc_array(ctx, runs * k * (d ? d : 1), sizeof *seeded);
        status = seeded
                     ? dial_kmeans_plusplus(ctx, &run, rngs, runs, seeded)
                     : dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory for %zu runs", runs);
    }
    for (size_t r = 0; r < runs && status == DIAL_OK; r++) {
        if (init_centroids)
            memcpy(run.centroids, init_centroids, k * d * sizeof *run.centroids);
        else if (plusplus)
            memcpy(run.centroids, seeded + r * k * d, k * d * sizeof *run.centroids);
        else
            status = dial_kmeans_random_rows(ctx, in->x, n, d, k, &rngs[r], run.centroids);
        if (status == DIAL_OK) status = iterate(ctx, &run);
        if (status == DIAL_OK && run.inertia < best.inertia) {
            double *centroids = best.centroids;
            int64_t *labels = best.labels;
            best = run;
            best.centroids = centroids;
            best.labels = labels;
            memcpy(best.centroids, run.centroids, k * d * sizeof *centroids);
            memcpy(best.labels, run.labels, n * sizeof *labels);
        }
    }
    if (status == DIAL_OK) status = kmeans_store(ctx, &best, learned);
done:
    dial_team_stop(run.team);
    free(rngs);
    free(seeded);
    free(run.centroids);
    free(run.labels);
    free(best.centroids);
    free(best.labels);
    return status;
}

static dial_status kmeans_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                              dial_tensors *learned) {
    return kmeans_fit_runs(ctx, knobs, in, NULL, learned);
}

dial_status dial_kmeans_fit_from(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                                 const double *init_centroids, dial_tensors *learned) {
    if (!init_centroids)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "kmeans: no initial centroids given");
    return kmeans_fit_runs(ctx, knobs, in, init_centroids, learned);
}

/* ---- the learned tensors, from a fit or a file ------------------------------ */

static const dial_tensor *kmeans_tensor(dial_ctx *ctx, const dial_tensors *learned,
                                        const char *name, dial_dtype dtype, int ndim, size_t rows,
                                        size_t cols, dial_status *status) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t) {
        *status =
            dial_fail(ctx, DIAL_ERR_FORMAT, "kmeans: the learned tensor '%s' is missing", name);
        return NULL;
    }
    if (t->dtype != dtype || t->ndim != ndim || t->shape[0] != rows ||
        (ndim == 2 && t->shape[1] != cols)) {
        const char *type = dtype == DIAL_F64 ? "f64" : "i64";
        *status = ndim == 1 ? dial_fail(ctx, DIAL_ERR_FORMAT,
                                        "kmeans: the learned tensor '%s' must be %s of shape [%zu]",
                                        name, type, rows)
                            : dial_fail(ctx, DIAL_ERR_FORMAT,
                                        "kmeans: the learned tensor '%s' must be %s of shape "
                                        "[%zu x %zu]",
                                        name, type, rows, cols);
        return NULL;
    }
    *status = dial_learned_check_finite(ctx, "kmeans", t);
    return *status == DIAL_OK ? t : NULL;
}

/* The centroids, once every tensor has been checked against the knobs. */
static dial_status kmeans_centroids(dial_ctx *ctx, const dial_knobs *knobs,
                                    const dial_tensors *learned, const dial_fit_input *in,
                                    const double **centroids) {
    size_t k = (size_t)dial_knobs_int(knobs, "k"), d = in->n_features;
    dial_status status = DIAL_OK;
    const dial_tensor *c = kmeans_tensor(ctx, learned, "centroids", DIAL_F64, 2, k, d, &status);
    const dial_tensor *inertia =
        c ? kmeans_tensor(ctx, learned, "inertia", DIAL_F64, 1, 1, 0, &status) : NULL;
    const dial_tensor *sizes =
        inertia ? kmeans_tensor(ctx, learned, "cluster_size", DIAL_I64, 1, k, 0, &status) : NULL;
    const dial_tensor *iterations =
        sizes ? kmeans_tensor(ctx, learned, "n_iter", DIAL_I64, 1, 1, 0, &status) : NULL;
    if (!iterations) return status;
    if (!(*(const double *)inertia->data >= 0))
        return dial_fail(ctx, DIAL_ERR_FORMAT, "kmeans: the learned inertia is %g, below 0",
                         *(const double *)inertia->data);
    for (size_t c_index = 0; c_index < k; c_index++)
        if (((const int64_t *)sizes->data)[c_index] < 0)
            return dial_fail(ctx, DIAL_ERR_FORMAT, "kmeans: cluster_size[%zu] is %lld, below 0",
                             c_index, (long long)((const int64_t *)sizes->data)[c_index]);
    *centroids = c->data;
    return DIAL_OK;
}

static dial_status kmeans_validate(dial_ctx *ctx, const dial_knobs *knobs,
                                   const dial_tensors *learned, const dial_fit_input *in) {
    const double *centroids = NULL;
    return kmeans_centroids(ctx, knobs, learned, in, &centroids);
}

/* ---- predict ------------------------------------------------------------------ */

static dial_status kmeans_predict(dial_ctx *ctx, const dial_knobs *knobs,
                                  const dial_tensors *learned, const dial_fit_input *in,
                                  dial_predict_output *out) {
    const double *centroids = NULL;
    dial_status status = kmeans_centroids(ctx, knobs, learned, in, &centroids);
    if (status != DIAL_OK) return status;
    if (out->proba)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "kmeans assigns each row to one cluster: it has no probabilities");
    size_t d = in->n_features, k = (size_t)dial_knobs_int(knobs, "k");
    for (size_t i = 0; i < in->n_rows * d; i++)
        if (!isfinite(in->x[i]))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "kmeans: input %zu of row %zu is %g; impute missing values first "
                             "(the impute knob)",
                             i % d, i / d, in->x[i]);
    /* The nearest centroid by the fit's blocked sweep: the labels a fit
     * gives its training rows. */
    size_t n = in->n_rows;
    kmeans_run run = {.x = in->x, .n = n, .d = d, .k = k, .centroids = (double *)centroids};
    kmeans_sweep sweep = {0};
    run.labels = dial_malloc_array(ctx, n ? n : 1, sizeof *run.labels);
    status = run.labels ? dial_kmeans_team(ctx, n, k, d, &run.team, &run.threads)
                        : dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory for %zu rows", n);
    if (status == DIAL_OK) status = dial_kmeans_sweep_alloc(ctx, &sweep, &run);
    if (status == DIAL_OK) {
        for (size_t i = 0; i < n; i++) run.labels[i] = -1;
        dial_kmeans_assign(&run, &sweep, centroids);
        for (size_t i = 0; i < n; i++) out->value[i] = (double)run.labels[i];
    }
    dial_kmeans_sweep_free(&sweep);
    dial_team_stop(run.team);
    free(run.labels);
    return status;
}

const dial_model_family dial_model_kmeans = {
    .name = "kmeans",
    .summary = "k-means: each row in the cluster of its nearest centroid",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLUSTERING),
    .unsupervised = true,
    .knobs = kmeans_knobs,
    .n_knobs = sizeof kmeans_knobs / sizeof kmeans_knobs[0],
    .params = kmeans_params,
    .n_params = sizeof kmeans_params / sizeof kmeans_params[0],
    .fit = kmeans_fit,
    .predict = kmeans_predict,
    .validate = kmeans_validate,
};

/*
 * Gaussian mixture: the rows as drawn from k normal distributions, each
 * with a weight, a mean and a covariance, fitted by expectation-
 * maximisation (Dempster, Laird and Rubin 1977). A clustering: it learns
 * without a target; a row's cluster is the component most likely to have
 * drawn it. Follows scikit-learn 1.2's GaussianMixture knob for knob (the
 * four covariance types, reg_covar, n_init runs of which the highest
 * likelihood is kept, a k-means or random start, tol on the change of the
 * mean log-likelihood), so the same start gives the same fit.
 *
 * The files of the family:
 *   gmm.c      this map, the knobs, fit (the runs and the EM loop),
 *              predict, the checks of a model file's tensors, the table
 *   gmm_em.c   the M step, the precisions' Cholesky factors, the E step
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/gmm.h"
#include "models/kmeans.h"
#include "models/learned_check.h"

/* The stream of run r's start is GMM_STREAM + r: "gmm". */
#define GMM_STREAM 0x676d6d0000000000ULL
/* The work of an EM step (n x k x d^2) from which a fit shares it out. */
#define GMM_TEAM_MIN_WORK 1e8

static const char *const gmm_covariance_choices[] = {"full", "tied", "diag", "spherical", NULL};
static const char *const gmm_init_choices[] = {"kmeans", "random", NULL};

static const dial_knob_spec gmm_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "n_components",
     .type = DIAL_KNOB_INT,
     .default_text = "1",
     .lower = 1,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 2,
     .search_high = 10,
     .condition = "",
     .doc = "number of normal components, the clusters (scikit-learn's default 1; searched "
            "2..10)"},
    {.name = "covariance",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "full",
     .choices = gmm_covariance_choices,
     .has_search_range = true,
     .condition = "",
     .doc = "the shape of the components: full (any ellipsoid each), tied (one shared "
            "ellipsoid), diag (axis-aligned ellipsoids) or spherical (balls)"},
    {.name = "reg_covar",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1e-6",
     .lower = 0,
     .upper = INFINITY,
     .condition = "",
     .doc = "added to every variance, so that a component on few rows stays a proper normal "
            "distribution (scikit-learn's default 1e-6)"},
    {.name = "n_init",
     .type = DIAL_KNOB_INT,
     .default_text = "1",
     .lower = 1,
     .upper = 1000,
     .condition = "",
     .doc = "runs from different starts; the one with the highest likelihood is kept "
            "(scikit-learn's default 1)"},
    {.name = "max_iter",
     .type = DIAL_KNOB_INT,
     .default_text = "100",
     .lower = 1,
     .upper = INFINITY,
     .condition = "",
     .doc = "EM iterations of a run at most (scikit-learn's default 100)"},
    {.name = "tol",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1e-3",
     .lower = 0,
     .upper = INFINITY,
     .condition = "",
     .doc = "a run stops when the mean log-likelihood of the rows changes by less (scikit-learn's "
            "default 1e-3)"},
    {.name = "init",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "kmeans",
     .choices = gmm_init_choices,
     .condition = "",
     .doc = "the start: the clusters of one k-means run (k-means++ seeded), or random "
            "responsibilities"},
};

static const dial_param_doc gmm_params[] = {
    {"weights", "n_components", "the share of the rows each component draws"},
    {"means", "n_components x n_inputs", "the centre of each component"},
    {"covariances", "depends on covariance",
     "each component's covariance: n_components x n_inputs x n_inputs (full), n_inputs x "
     "n_inputs (tied), n_components x n_inputs (diag) or n_components (spherical)"},
    {"precisions_cholesky", "as covariances",
     "an upper triangular U per covariance with U U^T its inverse (full, tied), or 1 / sqrt of "
     "each variance (diag, spherical): what predict uses"},
    {"lower_bound", "1", "the mean log-likelihood of the training rows at the last EM step"},
    {"n_iter", "1", "the EM iterations of the run kept"},
};

static gmm_covariance gmm_type(const dial_knobs *knobs) {
    const char *name = dial_knobs_choice(knobs, "covariance");
    if (strcmp(name, "tied") == 0) return GMM_TIED;
    if (strcmp(name, "diag") == 0) return GMM_DIAG;
    if (strcmp(name, "spherical") == 0) return GMM_SPHERICAL;
    return GMM_FULL;
}

/* The shape of a covariance tensor of the type. */
static int gmm_shape(gmm_covariance type, size_t k, size_t d, size_t *shape) {
    switch (type) {
    case GMM_FULL: shape[0] = k, shape[1] = d, shape[2] = d; return 3;
    case GMM_TIED: shape[0] = d, shape[1] = d; return 2;
    case GMM_DIAG: shape[0] = k, shape[1] = d; return 2;
    case GMM_SPHERICAL: shape[0] = k; return 1;
    }
    return 0;
}

/* ---- fit -------------------------------------------------------------------- */

typedef struct gmm_work {
    gmm_mixture m;
    double *log_resp, *resp; /* n x k each */
    double lower_bound;
    size_t iterations;
} gmm_work;

static dial_status gmm_work_alloc(dial_ctx *ctx, gmm_work *w, size_t n, size_t k, size_t d,
                                  gmm_covariance type) {
    size_t cov = gmm_covariance_size(type, k, d);
    memset(w, 0, sizeof *w);
    w->m = (gmm_mixture){.k = k, .d = d, .type = type};
    w->m.weights = dial_malloc_array(ctx, k + k * d + 2 * cov, sizeof(double));
    w->log_resp = dial_malloc_array(ctx, 2 * n * k, sizeof(double));
    if (!w->m.weights || !w->log_resp) {
        free(w->m.weights);
        free(w->log_resp);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "gmm: out of memory for %zu rows", n);
    }
    w->m.means = w->m.weights + k;
    w->m.covariances = w->m.means + k * d;
    w->m.precisions_cholesky = w->m.covariances + cov;
    w->resp = w->log_resp + n * k;
    return DIAL_OK;
}

static void gmm_work_free(gmm_work *w) {
    free(w->m.weights);
    free(w->log_resp);
}

/* EM from the mixture in w until the mean log-likelihood moves by less
 * than tol (scikit-learn's BaseMixture.fit_predict loop). */
static dial_status gmm_em(dial_ctx *ctx, dial_team *team, const dial_knobs *knobs,
                          const dial_fit_input *in, gmm_work *w) {
    size_t n = in->n_rows, k = w->m.k, max_iter = (size_t)dial_knobs_int(knobs, "max_iter");
    double tol = dial_knobs_float(knobs, "tol"), reg = dial_knobs_float(knobs, "reg_covar");
    double lower_bound = -INFINITY;
    dial_status status = DIAL_OK;
    for (size_t it = 1; it <= max_iter && status == DIAL_OK; it++) {
        double previous = lower_bound;
        status = dial_gmm_weighted_log_prob(ctx, team, &w->m, in->x, n, w->log_resp);
        if (status == DIAL_OK)
            status = dial_gmm_expect(ctx, team, w->log_resp, w->resp, n, k, &lower_bound);
        if (status != DIAL_OK) break;
        status = dial_gmm_maximize(ctx, team, in->x, n, w->resp, reg, &w->m);
        w->iterations = it;
        if (fabs(lower_bound - previous) < tol) break;
    }
    w->lower_bound = lower_bound;
    return status;
}

/* The start of a run: responsibilities from one k-means run or random. */
static dial_status gmm_start(dial_ctx *ctx, dial_team *team, int threads, const dial_knobs *knobs,
                             const dial_fit_input *in, dial_rng *rng, gmm_work *w) {
    size_t n = in->n_rows, k = w->m.k, d = in->n_features;
    memset(w->resp, 0, n * k * sizeof *w->resp);
    if (strcmp(dial_knobs_choice(knobs, "init"), "random") == 0) {
        for (size_t i = 0; i < n; i++) {
            double sum = 0;
            for (size_t c = 0; c < k; c++) sum += w->resp[i * k + c] = dial_rng_uniform(rng);
            for (size_t c = 0; c < k; c++) w->resp[i * k + c] /= sum;
        }
    } else {
        /* scikit-learn's KMeans(n_components, n_init=1) with its defaults */
        double mean_variance = 0;
        for (size_t j = 0; j < d; j++) {
            double mean = 0, squares = 0;
            for (size_t i = 0; i < n; i++) mean += in->x[i * d + j];
            mean /= (double)n;
            for (size_t i = 0; i < n; i++)
                squares += (in->x[i * d + j] - mean) * (in->x[i * d + j] - mean);
            mean_variance += squares / (double)n / (double)d;
        }
        kmeans_run run = {.x = in->x,
                          .n = n,
                          .d = d,
                          .k = k,
                          .max_iter = 300,
                          .tol = 1e-4 * mean_variance,
                          .threads = threads,
                          .team = team};
        run.centroids = dial_malloc_array(ctx, k * d, sizeof *run.centroids);
        run.labels = dial_malloc_array(ctx, n, sizeof *run.labels);
        dial_status status = run.centroids && run.labels
                                 ? dial_kmeans_plusplus(ctx, &run, rng, 1, run.centroids)
                                 : dial_fail(ctx, DIAL_ERR_NOMEM, "gmm: out of memory");
        if (status == DIAL_OK) status = dial_kmeans_lloyd(ctx, &run);
        for (size_t i = 0; status == DIAL_OK && i < n; i++) w->resp[i * k + run.labels[i]] = 1;
        free(run.centroids);
        free(run.labels);
        if (status != DIAL_OK) return status;
    }
    return dial_gmm_maximize(ctx, team, in->x, n, w->resp, dial_knobs_float(knobs, "reg_covar"),
                             &w->m);
}

static dial_status gmm_check_rows(dial_ctx *ctx, const dial_fit_input *in, size_t k) {
    if (in->task != DIAL_TASK_CLUSTERING || in->y)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "gmm does clustering only, got %s",
                         dial_task_name(in->task));
    if (in->n_rows < k || in->n_rows < 2)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "knob 'n_components' = %zu needs at least %zu rows, but gmm is fitted on "
                         "%zu: lower n_components",
                         k, k < 2 ? 2 : k, in->n_rows);
    size_t d = in->n_features;
    for (size_t i = 0; i < in->n_rows * d; i++)
        if (!isfinite(in->x[i]))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "gmm: input %zu of row %zu is %g; impute missing values first (the "
                             "impute knob)",
                             i % d, i / d, in->x[i]);
    return DIAL_OK;
}

static dial_status gmm_store(dial_ctx *ctx, const gmm_work *w, dial_tensors *learned) {
    const gmm_mixture *m = &w->m;
    size_t k = m->k, d = m->d, one = 1, means_shape[2] = {k, d}, shape[3];
    int ndim = gmm_shape(m->type, k, d, shape);
    size_t cov = gmm_covariance_size(m->type, k, d);
    double *weights = NULL, *means = NULL, *covariances = NULL, *precisions = NULL, *bound = NULL;
    int64_t *iterations = NULL;
    dial_status status =
        dial_tensors_add(ctx, learned, "weights", DIAL_F64, 1, &k, (void **)&weights);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "means", DIAL_F64, 2, means_shape, (void **)&means);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "covariances", DIAL_F64, ndim, shape,
                                  (void **)&covariances);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "precisions_cholesky", DIAL_F64, ndim, shape,
                                  (void **)&precisions);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "lower_bound", DIAL_F64, 1, &one, (void **)&bound);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "n_iter", DIAL_I64, 1, &one, (void **)&iterations);
    if (status != DIAL_OK) return status;
    memcpy(weights, m->weights, k * sizeof *weights);
    memcpy(means, m->means, k * d * sizeof *means);
    memcpy(covariances, m->covariances, cov * sizeof *covariances);
    memcpy(precisions, m->precisions_cholesky, cov * sizeof *precisions);
    *bound = w->lower_bound;
    *iterations = (int64_t)w->iterations;
    return DIAL_OK;
}

/* n_init runs (one from the given start), keeping the highest lower bound. */
static dial_status gmm_fit_runs(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                                const double *const *start, dial_tensors *learned) {
    size_t k = (size_t)dial_knobs_int(knobs, "n_components"), n = in->n_rows, d = in->n_features;
    dial_status status = gmm_check_rows(ctx, in, k);
    if (status != DIAL_OK) return status;
    gmm_covariance type = gmm_type(knobs);
    size_t cov = gmm_covariance_size(type, k, d);
    size_t runs = start ? 1 : (size_t)dial_knobs_int(knobs, "n_init");
    gmm_work run, best;
    status = gmm_work_alloc(ctx, &run, n, k, d, type);
    if (status != DIAL_OK) return status;
    status = gmm_work_alloc(ctx, &best, n, k, d, type);
    if (status != DIAL_OK) {
        gmm_work_free(&run);
        return status;
    }
    /* One team for the whole fit: the k-means start, the E step and the M
     * step's components. Below about 10^8 multiply-adds an EM step (n k
     * d^2) the fit is faster alone: measured on 100,000 x 8 with 5
     * components, 0.071 s on one thread and 0.085 s on two, whose
     * wake-ups and yields cost more than they share. */
    dial_team *team = NULL;
    int threads = 1;
    if ((double)n * (double)k * (double)d * (double)d >= GMM_TEAM_MIN_WORK)
        status = dial_kmeans_team(ctx, n, k, d * d, &team, &threads);
    bool have_best = false;
    uint64_t seed = dial_ctx_seed(ctx);
    for (size_t r = 0; r < runs && status == DIAL_OK; r++) {
        dial_rng rng = dial_rng_stream(seed, GMM_STREAM + r);
        if (start) {
            memcpy(run.m.weights, start[0], k * sizeof *run.m.weights);
            memcpy(run.m.means, start[1], k * d * sizeof *run.m.means);
            memcpy(run.m.covariances, start[2], cov * sizeof *run.m.covariances);
            status = dial_gmm_precisions(ctx, &run.m);
        } else {
            status = gmm_start(ctx, team, threads, knobs, in, &rng, &run);
        }
        if (status == DIAL_OK) status = gmm_em(ctx, team, knobs, in, &run);
        if (status == DIAL_OK && (!have_best || run.lower_bound > best.lower_bound)) {
            memcpy(best.m.weights, run.m.weights, (k + k * d + 2 * cov) * sizeof(double));
            best.lower_bound = run.lower_bound;
            best.iterations = run.iterations;
            have_best = true;
        }
    }
    if (status == DIAL_OK) status = gmm_store(ctx, &best, learned);
    dial_team_stop(team);
    gmm_work_free(&run);
    gmm_work_free(&best);
    return status;
}

static dial_status gmm_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                           dial_tensors *learned) {
    return gmm_fit_runs(ctx, knobs, in, NULL, learned);
}

dial_status dial_gmm_fit_from(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                              const double *weights, const double *means, const double *covariances,
                              dial_tensors *learned) {
    const double *start[3] = {weights, means, covariances};
    if (!weights || !means || !covariances)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "gmm: a start needs weights, means and "
                         "covariances");
    return gmm_fit_runs(ctx, knobs, in, start, learned);
}

/* ---- the learned tensors, from a fit or a file ------------------------------ */

static const dial_tensor *gmm_tensor(dial_ctx *ctx, const dial_tensors *learned, const char *name,
                                     dial_dtype dtype, int ndim, const size_t *shape,
                                     dial_status *status) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t) {
        *status = dial_fail(ctx, DIAL_ERR_FORMAT, "gmm: the learned tensor '%s' is missing", name);
        return NULL;
    }
    bool fits = t->dtype == dtype && t->ndim == ndim;
    for (int i = 0; fits && i < ndim; i++) fits = t->shape[i] == shape[i];
    if (!fits) {
        char text[96] = "";
        size_t used = 0;
        for (int i = 0; i < ndim && used < sizeof text; i++)
            used += (size_t)snprintf(text + used, sizeof text - used, "%s%zu", i ? " x " : "",
                                     shape[i]);
        *status =
            dial_fail(ctx, DIAL_ERR_FORMAT, "gmm: the learned tensor '%s' must be %s of shape [%s]",
                      name, dtype == DIAL_F64 ? "f64" : "i64", text);
        return NULL;
    }
    *status = dial_learned_check_finite(ctx, "gmm", t);
    return *status == DIAL_OK ? t : NULL;
}

/* The mixture of validated tensors (borrowed). */
static dial_status gmm_mixture_of(dial_ctx *ctx, const dial_knobs *knobs,
                                  const dial_tensors *learned, size_t d, gmm_mixture *m) {
    size_t k = (size_t)dial_knobs_int(knobs, "n_components"), one = 1, means_shape[2] = {k, d};
    size_t shape[3];
    gmm_covariance type = gmm_type(knobs);
    int ndim = gmm_shape(type, k, d, shape);
    dial_status status = DIAL_OK;
    const dial_tensor *weights = gmm_tensor(ctx, learned, "weights", DIAL_F64, 1, &k, &status);
    const dial_tensor *means =
        weights ? gmm_tensor(ctx, learned, "means", DIAL_F64, 2, means_shape, &status) : NULL;
    const dial_tensor *cov =
        means ? gmm_tensor(ctx, learned, "covariances", DIAL_F64, ndim, shape, &status) : NULL;
    const dial_tensor *prec =
        cov ? gmm_tensor(ctx, learned, "precisions_cholesky", DIAL_F64, ndim, shape, &status)
            : NULL;
    const dial_tensor *bound =
        prec ? gmm_tensor(ctx, learned, "lower_bound", DIAL_F64, 1, &one, &status) : NULL;
    if (!bound || !gmm_tensor(ctx, learned, "n_iter", DIAL_I64, 1, &one, &status)) return status;
    const double *w = weights->data, *p = prec->data;
    double sum = 0;
    for (size_t c = 0; c < k; c++) {
        if (!(w[c] >= 0 && w[c] <= 1))
            return dial_fail(ctx, DIAL_ERR_FORMAT, "gmm: weights[%zu] is %g, not in [0, 1]", c,
                             w[c]);
        sum += w[c];
    }
    if (!(fabs(sum - 1) < 1e-6))
        return dial_fail(ctx, DIAL_ERR_FORMAT, "gmm: the weights sum to %g, not 1", sum);
    /* The log-determinant takes the log of each factor's diagonal. */
    size_t matrices = type == GMM_FULL ? k : type == GMM_TIED ? 1 : 0;
    for (size_t c = 0; c < matrices; c++)
        for (size_t j = 0; j < d; j++)
            if (!(p[c * d * d + j * d + j] > 0))
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "gmm: precisions_cholesky of matrix %zu has %g on its diagonal "
                                 "(row %zu), not a positive number",
                                 c, p[c * d * d + j * d + j], j);
    for (size_t i = 0; !matrices && i < gmm_covariance_size(type, k, d); i++)
        if (!(p[i] > 0))
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "gmm: precisions_cholesky[%zu] is %g, not a positive number", i, p[i]);
    *m = (gmm_mixture){k,          d, type, (double *)w, (double *)means->data, (double *)cov->data,
                       (double *)p};
    return DIAL_OK;
}

static dial_status gmm_validate(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in) {
    gmm_mixture m;
    return gmm_mixture_of(ctx, knobs, learned, in->n_features, &m);
}

/* ---- predict ------------------------------------------------------------------ */

static dial_status gmm_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                               const dial_fit_input *in, dial_predict_output *out) {
    gmm_mixture m;
    dial_status status = gmm_mixture_of(ctx, knobs, learned, in->n_features, &m);
    if (status != DIAL_OK) return status;
    size_t n = in->n_rows, k = m.k, d = m.d;
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(in->x[i]))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "gmm: input %zu of row %zu is %g; impute missing values first (the "
                             "impute knob)",
                             i % d, i / d, in->x[i]);
    if (n == 0) return DIAL_OK;
    double *log_prob = dial_malloc_array(ctx, n * k, sizeof *log_prob);
    if (!log_prob) return dial_fail(ctx, DIAL_ERR_NOMEM, "gmm: out of memory for %zu rows", n);
    status = dial_gmm_weighted_log_prob(ctx, NULL, &m, in->x, n, log_prob);
    for (size_t i = 0; status == DIAL_OK && i < n; i++) {
        size_t best = 0;
        for (size_t c = 1; c < k; c++)
            if (log_prob[i * k + c] > log_prob[i * k + best]) best = c;
        out->value[i] = (double)best;
    }
    if (status == DIAL_OK && out->proba) {
        gmm_normalize(log_prob, n, k);
        for (size_t i = 0; i < n * k; i++) out->proba[i] = exp(log_prob[i]);
    }
    free(log_prob);
    return status;
}

/* ---- the likelihood, for bic and aic ------------------------------------------ */

/* The free parameters of the mixture, as scikit-learn's _n_parameters
 * counts them: the means, the covariances' distinct entries (a symmetric
 * matrix has d (d + 1) / 2), and the weights but one (they sum to 1). */
static size_t gmm_free_parameters(gmm_covariance type, size_t k, size_t d) {
    size_t covariance = 0;
    switch (type) {
    case GMM_FULL: covariance = k * d * (d + 1) / 2; break;
    case GMM_TIED: covariance = d * (d + 1) / 2; break;
    case GMM_DIAG: covariance = k * d; break;
    case GMM_SPHERICAL: covariance = k; break;
    }
    return covariance + k * d + k - 1;
}

static dial_status gmm_log_likelihood(dial_ctx *ctx, const dial_knobs *knobs,
                                      const dial_tensors *learned, const dial_fit_input *in,
                                      double *log_likelihood, size_t *n_parameters) {
    gmm_mixture m;
    dial_status status = gmm_mixture_of(ctx, knobs, learned, in->n_features, &m);
    if (status != DIAL_OK) return status;
    size_t n = in->n_rows, k = m.k, d = m.d;
    *n_parameters = gmm_free_parameters(m.type, k, d);
    for (size_t i = 0; i < n * d; i++)
        if (!isfinite(in->x[i]))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "gmm: input %zu of row %zu is %g; impute missing values first (the "
                             "impute knob)",
                             i % d, i / d, in->x[i]);
    if (n == 0) return DIAL_OK;
    double *log_prob = dial_malloc_array(ctx, n * k, sizeof *log_prob);
    if (!log_prob) return dial_fail(ctx, DIAL_ERR_NOMEM, "gmm: out of memory for %zu rows", n);
    status = dial_gmm_weighted_log_prob(ctx, NULL, &m, in->x, n, log_prob);
    /* a row's log-likelihood is the log-sum-exp of its weighted log
     * probabilities, which gmm_normalize takes (scikit-learn's
     * score_samples) */
    for (size_t i = 0; status == DIAL_OK && i < n; i++)
        log_likelihood[i] = gmm_normalize(log_prob + i * k, 1, k);
    free(log_prob);
    return status;
}

const dial_model_family dial_model_gmm = {
    .name = "gmm",
    .summary = "Gaussian mixture: normal components fitted by EM",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLUSTERING),
    .unsupervised = true,
    .knobs = gmm_knobs,
    .n_knobs = sizeof gmm_knobs / sizeof gmm_knobs[0],
    .params = gmm_params,
    .n_params = sizeof gmm_params / sizeof gmm_params[0],
    .fit = gmm_fit,
    .predict = gmm_predict,
    .validate = gmm_validate,
    .cluster_proba_knob = "n_components",
    .log_likelihood = gmm_log_likelihood,
};

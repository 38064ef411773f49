/*
 * The steps of EM for a Gaussian mixture (gmm.h), written after
 * scikit-learn 1.2's sklearn/mixture/_gaussian_mixture.py so that the
 * same start gives the same fit: the M step's estimates with reg_covar on
 * the diagonal, the precisions' Cholesky factors through LAPACKE, and the
 * E step in log space (log-sum-exp per row), so a component far from
 * every row gives responsibilities of 0, never NaN.
 */
#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/gmm.h"

/* log(2 pi) */
#define GMM_LOG_2PI 1.8378770664093454836

size_t gmm_covariance_size(gmm_covariance type, size_t k, size_t d) {
    switch (type) {
    case GMM_FULL: return k * d * d;
    case GMM_TIED: return d * d;
    case GMM_DIAG: return k * d;
    case GMM_SPHERICAL: return k;
    }
    return 0;
}

/* U with U U^T = inverse of the d x d covariance: the transpose of the
 * inverse of its lower Cholesky factor. scratch: d x d. */
static bool gmm_matrix_precision(const double *covariance, size_t d, double *scratch, double *out) {
    memcpy(scratch, covariance, d * d * sizeof *scratch);
    lapack_int info = LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'L', (lapack_int)d, scratch, (lapack_int)d);
    if (info != 0) return false;
    info = LAPACKE_dtrtri(LAPACK_ROW_MAJOR, 'L', 'N', (lapack_int)d, scratch, (lapack_int)d);
    if (info != 0) return false;
    for (size_t a = 0; a < d; a++)
        for (size_t b = 0; b < d; b++) out[a * d + b] = b >= a ? scratch[b * d + a] : 0;
    return true;
}

dial_status dial_gmm_precisions(dial_ctx *ctx, gmm_mixture *m) {
    size_t k = m->k, d = m->d;
    if (m->type == GMM_DIAG || m->type == GMM_SPHERICAL) {
        size_t size = gmm_covariance_size(m->type, k, d);
        for (size_t i = 0; i < size; i++) {
            if (!(m->covariances[i] > 0))
                return dial_fail(ctx, DIAL_ERR_NUMERIC,
                                 "gmm: component %zu has a variance of %g: it collapsed on too "
                                 "few rows; raise reg_covar or lower n_components",
                                 m->type == GMM_DIAG ? i / d : i, m->covariances[i]);
            m->precisions_cholesky[i] = 1 / sqrt(m->covariances[i]);
        }
        return DIAL_OK;
    }
    double *scratch = dial_malloc_array(ctx, d * d, sizeof *scratch);
    if (!scratch) return dial_fail(ctx, DIAL_ERR_NOMEM, "gmm: out of memory");
    size_t matrices = m->type == GMM_FULL ? k : 1;
    for (size_t c = 0; c < matrices; c++) {
        if (!gmm_matrix_precision(m->covariances + c * d * d, d, scratch,
                                  m->precisions_cholesky + c * d * d)) {
            free(scratch);
            return dial_fail(ctx, DIAL_ERR_NUMERIC,
                             "gmm: the covariance of %s%zu is not positive definite: it collapsed "
                             "on too few rows; raise reg_covar or lower n_components",
                             m->type == GMM_FULL ? "component " : "the tied components",
                             m->type == GMM_FULL ? c : 0);
        }
    }
    free(scratch);
    return DIAL_OK;
}

/* ---- the M step ---------------------------------------------------------- */

/* The M step's sums, one component at a time on the team: each
 * component's sums run over the rows in order whichever worker takes it,
 * so the estimates do not depend on the threads. */
typedef struct gmm_maximize_job {
    const double *x, *resp;
    size_t n;
    double reg_covar;
    gmm_mixture *m;
    double *nk; /* k */
} gmm_maximize_job;

/* The weight sum and mean of component c (scikit-learn's 10 * eps keeps
 * an empty component's mean finite). */
static void gmm_mean_of(void *arg, size_t c, int worker) {
    (void)worker;
    const gmm_maximize_job *job = arg;
    size_t k = job->m->k, d = job->m->d;
    double *mean = job->m->means + c * d, nk = 10 * DBL_EPSILON;
    for (size_t j = 0; j < d; j++) mean[j] = 0;
    for (size_t i = 0; i < job->n; i++) {
        double r = job->resp[i * k + c];
        nk += r;
        const double *row = job->x + i * d;
        for (size_t j = 0; j < d; j++) mean[j] += r * row[j];
    }
    for (size_t j = 0; j < d; j++) mean[j] /= nk;
    job->nk[c] = nk;
}

/* Component c's full covariance matrix. */
static void gmm_full_covariance_of(void *arg, size_t c, int worker) {
    (void)worker;
    const gmm_maximize_job *job = arg;
    const gmm_mixture *m = job->m;
    size_t k = m->k, d = m->d;
    double *matrix = m->covariances + c * d * d;
    const double *mean = m->means + c * d;
    memset(matrix, 0, d * d * sizeof *matrix);
    for (size_t i = 0; i < job->n; i++) {
        double r = job->resp[i * k + c];
        const double *row = job->x + i * d;
        for (size_t a = 0; a < d; a++) {
            double ra = r * (row[a] - mean[a]);
            for (size_t b = 0; b <= a; b++) matrix[a * d + b] += ra * (row[b] - mean[b]);
        }
    }
    for (size_t a = 0; a < d; a++) {
        for (size_t b = 0; b <= a; b++)
            matrix[b * d + a] = matrix[a * d + b] = matrix[a * d + b] / job->nk[c];
        matrix[a * d + a] += job->reg_covar;
    }
}

/* Component c's variances, avg_X2 - 2 avg_X_means + avg_means2 +
 * reg_covar per input, as scikit-learn writes it (diag), or their mean
 * (spherical). */
static void gmm_variances_of(void *arg, size_t c, int worker) {
    (void)worker;
    const gmm_maximize_job *job = arg;
    const gmm_mixture *m = job->m;
    size_t k = m->k, d = m->d;
    const double *mean = m->means + c * d;
    double spherical = 0, nk = job->nk[c];
    for (size_t j = 0; j < d; j++) {
        double squares = 0, sums = 0;
        for (size_t i = 0; i < job->n; i++) {
            double r = job->resp[i * k + c], v = job->x[i * d + j];
            squares += r * v * v;
            sums += r * v;
        }
        double variance =
            squares / nk - 2 * (mean[j] * sums / nk) + mean[j] * mean[j] + job->reg_covar;
        if (m->type == GMM_DIAG)
            m->covariances[c * d + j] = variance;
        else
            spherical += variance;
    }
    if (m->type == GMM_SPHERICAL) m->covariances[c] = spherical / (double)d;
}

/* The one covariance matrix shared by the components. */
static void gmm_tied_covariance(const gmm_maximize_job *job) {
    const gmm_mixture *m = job->m;
    size_t k = m->k, d = m->d;
    double *cov = m->covariances, total = 0;
    memset(cov, 0, d * d * sizeof *cov);
    for (size_t i = 0; i < job->n; i++)
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b <= a; b++) cov[a * d + b] += job->x[i * d + a] * job->x[i * d + b];
    for (size_t c = 0; c < k; c++) {
        total += job->nk[c];
        const double *mean = m->means + c * d;
        for (size_t a = 0; a < d; a++)
            for (size_t b = 0; b <= a; b++) cov[a * d + b] -= job->nk[c] * mean[a] * mean[b];
    }
    for (size_t a = 0; a < d; a++) {
        for (size_t b = 0; b <= a; b++) cov[b * d + a] = cov[a * d + b] = cov[a * d + b] / total;
        cov[a * d + a] += job->reg_covar;
    }
}

dial_status dial_gmm_maximize(dial_ctx *ctx, dial_team *team, const double *x, size_t n,
                              const double *resp, double reg_covar, gmm_mixture *m) {
    size_t k = m->k;
    double *nk = dial_malloc_array(ctx, k, sizeof *nk);
    if (!nk) return dial_fail(ctx, DIAL_ERR_NOMEM, "gmm: out of memory");
    gmm_maximize_job job = {.x = x, .resp = resp, .n = n, .reg_covar = reg_covar, .m = m, .nk = nk};
    dial_team_run(team, gmm_mean_of, &job, k);
    if (m->type == GMM_FULL)
        dial_team_run(team, gmm_full_covariance_of, &job, k);
    else if (m->type == GMM_TIED)
        gmm_tied_covariance(&job);
    else
        dial_team_run(team, gmm_variances_of, &job, k);
    double total = 0;
    for (size_t c = 0; c < k; c++) total += nk[c];
    for (size_t c = 0; c < k; c++) m->weights[c] = nk[c] / total;
    free(nk);
    return dial_gmm_precisions(ctx, m);
}

/* ---- the E step ------------------------------------------------------------ */

typedef struct gmm_log_job {
    const gmm_mixture *m;
    const double *x;
    const double *log_norm; /* k: log weight + log det - d/2 log(2 pi) */
    double *out;
    size_t n;
} gmm_log_job;

static double gmm_mahalanobis(const gmm_mixture *m, size_t c, const double *row) {
    size_t d = m->d;
    const double *mean = m->means + c * d;
    double sum = 0;
    if (m->type == GMM_FULL || m->type == GMM_TIED) {
        const double *u = m->precisions_cholesky + (m->type == GMM_FULL ? c * d * d : 0);
        for (size_t b = 0; b < d; b++) {
            double y = 0;
            for (size_t a = 0; a <= b; a++) y += (row[a] - mean[a]) * u[a * d + b];
            sum += y * y;
        }
    } else {
        for (size_t j = 0; j < d; j++) {
            double p = m->precisions_cholesky[m->type == GMM_DIAG ? c * d + j : c];
            double y = (row[j] - mean[j]) * p;
            sum += y * y;
        }
    }
    return sum;
}

static dial_status gmm_log_rows(void *arg, size_t begin, size_t end, int worker) {
    (void)worker;
    const gmm_log_job *job = arg;
    size_t k = job->m->k, d = job->m->d;
    for (size_t i = begin; i < end; i++)
        for (size_t c = 0; c < k; c++)
            job->out[i * k + c] =
                job->log_norm[c] - 0.5 * gmm_mahalanobis(job->m, c, job->x + i * d);
    return DIAL_OK;
}

static void gmm_log_item(void *arg, size_t item, int worker) {
    const gmm_log_job *job = arg;
    size_t n = job->n, begin = item * GMM_ITEM_ROWS;
    gmm_log_rows(arg, begin, n - begin < GMM_ITEM_ROWS ? n : begin + GMM_ITEM_ROWS, worker);
}

dial_status dial_gmm_weighted_log_prob(dial_ctx *ctx, dial_team *team, const gmm_mixture *m,
                                       const double *x, size_t n, double *out) {
    size_t k = m->k, d = m->d;
    double *log_norm = dial_malloc_array(ctx, k, sizeof *log_norm);
    if (!log_norm) return dial_fail(ctx, DIAL_ERR_NOMEM, "gmm: out of memory");
    for (size_t c = 0; c < k; c++) {
        double log_det = 0;
        if (m->type == GMM_FULL || m->type == GMM_TIED) {
            const double *u = m->precisions_cholesky + (m->type == GMM_FULL ? c * d * d : 0);
            for (size_t j = 0; j < d; j++) log_det += log(u[j * d + j]);
        } else if (m->type == GMM_DIAG) {
            for (size_t j = 0; j < d; j++) log_det += log(m->precisions_cholesky[c * d + j]);
        } else {
            log_det = (double)d * log(m->precisions_cholesky[c]);
        }
        log_norm[c] = log(m->weights[c]) + log_det - 0.5 * (double)d * GMM_LOG_2PI;
    }
    gmm_log_job job = {m, x, log_norm, out, n};
    dial_status status = DIAL_OK;
    if (team) {
        dial_team_run(team, gmm_log_item, &job, (n + GMM_ITEM_ROWS - 1) / GMM_ITEM_ROWS);
    } else {
        int threads = n * k * d * d < 100000 ? 1 : dial_ctx_threads(ctx);
        status = dial_parallel_for(ctx, threads, n, gmm_log_rows, &job);
    }
    free(log_norm);
    return status;
}

/* Row i's log responsibilities from its weighted log probabilities, in
 * place; returns the row's log-sum-exp. */
static double gmm_normalize_row(double *row, size_t k) {
    double top = -INFINITY;
    for (size_t c = 0; c < k; c++)
        if (row[c] > top) top = row[c];
    double sum = 0;
    for (size_t c = 0; c < k; c++) sum += exp(row[c] - top);
    double norm = top + log(sum);
    for (size_t c = 0; c < k; c++) row[c] -= norm;
    return norm;
}

double gmm_normalize(double *log_prob, size_t n, size_t k) {
    double total = 0;
    for (size_t i = 0; i < n; i++) total += gmm_normalize_row(log_prob + i * k, k);
    return total / (double)n;
}

typedef struct gmm_expect_job {
    double *log_resp, *resp; /* n x k */
    size_t n, k;
    double *partial; /* per item */
} gmm_expect_job;

static void gmm_expect_item(void *arg, size_t item, int worker) {
    (void)worker;
    const gmm_expect_job *job = arg;
    size_t k = job->k, begin = item * GMM_ITEM_ROWS, end = begin + GMM_ITEM_ROWS;
    if (end > job->n) end = job->n;
    double total = 0;
    for (size_t i = begin; i < end; i++) {
        total += gmm_normalize_row(job->log_resp + i * k, k);
        for (size_t c = 0; c < k; c++) job->resp[i * k + c] = exp(job->log_resp[i * k + c]);
    }
    job->partial[item] = total;
}

dial_status dial_gmm_expect(dial_ctx *ctx, dial_team *team, double *log_resp, double *resp,
                            size_t n, size_t k, double *mean_log_likelihood) {
    size_t items = (n + GMM_ITEM_ROWS - 1) / GMM_ITEM_ROWS;
    double *partial = dial_malloc_array(ctx, items ? items : 1, sizeof *partial);
    if (!partial) return dial_fail(ctx, DIAL_ERR_NOMEM, "gmm: out of memory");
    gmm_expect_job job = {log_resp, resp, n, k, partial};
    dial_team_run(team, gmm_expect_item, &job, items);
    double total = 0;
    for (size_t item = 0; item < items; item++) total += partial[item];
    free(partial);
    *mean_log_likelihood = total / (double)n;
    return DIAL_OK;
}

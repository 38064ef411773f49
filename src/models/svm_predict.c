/*
 * Prediction of the svm family (internal to src/models/svm*.c; the map of
 * the family is at the top of svm.c): the learned tensors read back and
 * checked, then the rows scored in blocks on the thread budget. Every pair
 * votes (decision > 0: class s, else t); the most votes win and a tie goes
 * to the smallest class index. Probabilities come from the pairs' sigmoids
 * by pairwise coupling; the class predicted is still the vote's. A
 * prepared fold's rows read their kernel values from the fold's test
 * kernel instead of computing them, the same values to the bit.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/model.h"
#include "models/svm_family.h"
#include "models/svm_kernel.h"
#include "models/svm_platt.h"
#include "models/svm_vector.h"

#define SVM_PREDICT_BLOCK 64 /* rows per unit of parallel work */

#define SVM_PROBABILITY_FLOOR 1e-7

/* The tensor called name, checked to be of the given type and shape
 * (rows, or rows x cols when ndim is 2). */
static dial_status svm_tensor(dial_ctx *ctx, const dial_tensors *learned, const char *name,
                              dial_dtype dtype, int ndim, size_t rows, size_t cols,
                              const void **out) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t) return dial_fail(ctx, DIAL_ERR_FORMAT, "svm model has no tensor '%s'", name);
    bool ok = t->dtype == dtype && t->ndim == ndim && t->shape[0] == rows && t->data &&
              (ndim == 1 || t->shape[1] == cols);
    const char *type = dtype == DIAL_F64 ? "float64" : "int64";
    if (!ok && ndim == 1)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "svm model tensor '%s' should be %zu %s values",
                         name, rows, type);
    if (!ok)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "svm model tensor '%s' should be %zu x %zu %s values", name, rows, cols,
                         type);
    *out = t->data;
    return DIAL_OK;
}

void dial_svm_model_free(dial_svm_model *m) {
    free(m->first);
    free(m->sv_norms);
    free(m->svt);
    m->first = NULL;
    m->sv_norms = m->svt = NULL;
}

/* Reads and checks the tensors; with_vectors: also lays the support
 * vectors out for computing kernel values. */
dial_status dial_svm_model_read(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in, bool want_proba, bool with_vectors,
                                dial_svm_model *m) {
    *m = (dial_svm_model){.kernel = dial_svm_kernel_of(knobs),
                          .d = in->n_features,
                          .regression = in->task == DIAL_TASK_REGRESSION};
    size_t k = m->regression ? 1 : in->n_classes;
    if (!m->regression && k < 2)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "svm classifier has %zu classes; needs at least 2",
                         k);
    m->n_classes = k;
    m->n_pairs = m->regression ? 1 : k * (k - 1) / 2;
    const dial_tensor *sv_tensor = dial_tensors_find(learned, "support_vectors");
    m->n_sv = sv_tensor && sv_tensor->ndim == 2 ? sv_tensor->shape[0] : 0;
    const void *data = NULL;
    bool sparse = dial_svm_has_sparse_vectors(learned);
    dial_status status =
        sparse ? dial_svm_sparse_vectors_read(ctx, learned, m)
               : svm_tensor(ctx, learned, "support_vectors", DIAL_F64, 2, m->n_sv, m->d, &data);
    if (!sparse) m->sv = data;
    if (status == DIAL_OK)
        status = svm_tensor(ctx, learned, "dual_coef", DIAL_F64, 2, m->regression ? 1 : k - 1,
                            m->n_sv, &data);
    m->coef = data;
    if (status == DIAL_OK)
        status = svm_tensor(ctx, learned, "intercept", DIAL_F64, 1, m->n_pairs, 1, &data);
    m->intercept = data;
    if (status == DIAL_OK) status = svm_tensor(ctx, learned, "n_support", DIAL_I64, 1, k, 1, &data);
    const int64_t *n_support = data;
    if (status == DIAL_OK) status = svm_tensor(ctx, learned, "gamma", DIAL_F64, 1, 1, 1, &data);
    const double *gamma = data;
    if (status != DIAL_OK) return status;
    if (!isfinite(*gamma) || *gamma < 0)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "svm model tensor 'gamma' is %g; expected a finite number >= 0", *gamma);
    m->kernel.gamma = *gamma;
    if (want_proba) {
        if (!dial_knobs_bool(knobs, "probability"))
            return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                             "svm gives class probabilities only when fitted with "
                             "probability=true");
        status = svm_tensor(ctx, learned, "probA", DIAL_F64, 1, m->n_pairs, 1, &data);
        m->prob_a = data;
        if (status == DIAL_OK)
            status = svm_tensor(ctx, learned, "probB", DIAL_F64, 1, m->n_pairs, 1, &data);
        m->prob_b = data;
        if (status != DIAL_OK) return status;
    }
    m->first = dial_calloc(ctx, k + 1, sizeof *m->first);
    m->sv_norms = dial_malloc(ctx, (m->n_sv ? m->n_sv : 1) * sizeof *m->sv_norms);
    /* compressed vectors are read as they are */
    if (!sparse)
        m->svt = dial_malloc(ctx, (m->n_sv ? m->n_sv : 1) * (m->d ? m->d : 1) * sizeof *m->svt);
    if (!m->first || !m->sv_norms || (!sparse && !m->svt)) {
        dial_svm_model_free(m);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory predicting");
    }
    uint64_t total = 0;
    for (size_t c = 0; c < k; c++) {
        if (n_support[c] < 0 || (uint64_t)n_support[c] > m->n_sv - total) {
            dial_svm_model_free(m);
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "svm model tensor 'n_support' is inconsistent: class %zu has %lld "
                             "support vectors, but only %zu are left of %zu",
                             c, (long long)n_support[c], m->n_sv - (size_t)total, m->n_sv);
        }
        total += (uint64_t)n_support[c];
        m->first[c + 1] = (size_t)total;
    }
    if (total != m->n_sv) {
        dial_svm_model_free(m);
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "svm model tensor 'n_support' adds up to %llu support vectors, but "
                         "'support_vectors' has %zu",
                         (unsigned long long)total, m->n_sv);
    }
    if (!with_vectors) return DIAL_OK;
    if (sparse) {
        dial_svm_sparse_vector_norms(m, m->sv_norms);
        return DIAL_OK;
    }
    dial_svm_kernel_norms(m->sv, m->n_sv, m->d, m->sv_norms);
    dial_svm_transpose(m->sv, m->n_sv, m->d, m->svt);
    return DIAL_OK;
}

typedef struct svm_scorer {
    const dial_svm_model *m;
    const double *x;
    const dial_csr *sparse; /* the rows when x is NULL */
    size_t n;
    dial_predict_output *out;
    double *scratch; /* per worker */
    size_t scratch_size;
} svm_scorer;

/* The decision value of every pair (dec, in pair order) from a row's
 * kernel values against every support vector: sum coef K + intercept over
 * the vectors of the pair's two classes. One cloned loop, so that the dot
 * products are inlined rather than called 2 n_pairs times a row. */
SVM_VECTOR_CLONES static void svm_pair_decisions(const double *restrict coef,
                                                 const size_t *restrict first,
                                                 const double *restrict intercept, size_t k,
                                                 size_t n_sv, const double *restrict values,
                                                 double *restrict dec) {
    size_t p = 0;
    for (size_t s = 0; s < k; s++) {
        for (size_t t = s + 1; t < k; t++, p++) {
            const double *coef_s = coef + (t - 1) * n_sv, *coef_t = coef + s * n_sv;
            size_t from_s = first[s], from_t = first[t];
            double sum_s = svm_vector_dot(coef_s + from_s, values + from_s, first[s + 1] - from_s);
            double sum_t = svm_vector_dot(coef_t + from_t, values + from_t, first[t + 1] - from_t);
            dec[p] = sum_s + sum_t + intercept[p];
        }
    }
}

/* Class and probabilities of one row from its kernel values against every
 * support vector. work: SVM_CLASSIFY_WORK(k) doubles. */
#define SVM_CLASSIFY_WORK(k) (2 * (k) * (k) + 2 * (k) + (k) * ((k)-1) / 2)
static void svm_classify_row(const dial_svm_model *m, const double *values, double *work,
                             double *value, double *proba) {
    size_t k = m->n_classes;
    double *r = work, *couple = work + k * k, *votes = couple + k * k + k, *decisions = votes + k;
    for (size_t c = 0; c < k; c++) votes[c] = 0;
    svm_pair_decisions(m->coef, m->first, m->intercept, k, m->n_sv, values, decisions);
    size_t p = 0;
    for (size_t s = 0; s < k; s++) {
        for (size_t t = s + 1; t < k; t++, p++) {
            double dec = decisions[p];
            votes[dec > 0 ? s : t] += 1;
            if (proba) {
                double q = dial_svm_platt_probability(dec, m->prob_a[p], m->prob_b[p]);
                if (q < SVM_PROBABILITY_FLOOR) q = SVM_PROBABILITY_FLOOR;
                if (q > 1 - SVM_PROBABILITY_FLOOR) q = 1 - SVM_PROBABILITY_FLOOR;
                r[s * k + t] = q;
                r[t * k + s] = 1 - q;
            }
        }
    }
    size_t best = 0;
    for (size_t c = 1; c < k; c++)
        if (votes[c] > votes[best]) best = c;
    *value = (double)best;
    if (!proba) return;
    if (k == 2) {
        proba[0] = r[1];
        proba[1] = r[2];
    } else {
        dial_svm_couple(k, r, proba, couple);
    }
}

/* The kernel values of row i against every support vector when the row
 * or the vectors are compressed: the row made dense in dense (d zeros on
 * entry and on return), then the vectors' dots over its entries. */
static void svm_sparse_values(const svm_scorer *sc, size_t i, double *dense, double *out) {
    const dial_svm_model *m = sc->m;
    const dial_csr *a = sc->sparse;
    const double *query = dense;
    double norm = 0;
    if (a) {
        for (size_t k = a->row_start[i]; k < a->row_start[i + 1]; k++) {
            dense[a->col[k]] = a->value[k];
            norm += a->value[k] * a->value[k];
        }
    } else {
        query = sc->x + i * m->d;
        dial_svm_kernel_norms(query, 1, m->d, &norm);
    }
    if (m->sv_start)
        dial_svm_sparse_kernel_row(m, query, norm, out);
    else
        dial_svm_kernel_columns(&m->kernel, m->svt, m->sv_norms, m->n_sv, m->d, query, &norm, 1,
                                out);
    for (size_t k = a ? a->row_start[i] : 0; a && k < a->row_start[i + 1]; k++)
        dense[a->col[k]] = 0;
}

static dial_status svm_score_blocks(void *arg, size_t begin, size_t end, int worker) {
    svm_scorer *sc = arg;
    const dial_svm_model *m = sc->m;
    size_t d = m->d, n_sv = m->n_sv, k = m->n_classes;
    double *values = sc->scratch + (size_t)worker * sc->scratch_size;
    double *work = values + SVM_QUERY_ROWS * (n_sv ? n_sv : 1);
    /* a query row scattered dense, all zeros between rows */
    double *dense = work + SVM_CLASSIFY_WORK(k);
    size_t first = begin * SVM_PREDICT_BLOCK;
    size_t last = end * SVM_PREDICT_BLOCK < sc->n ? end * SVM_PREDICT_BLOCK : sc->n;
    for (size_t i = first; i < last; i += SVM_QUERY_ROWS) {
        size_t count = last - i < SVM_QUERY_ROWS ? last - i : SVM_QUERY_ROWS;
        if (sc->sparse || m->sv_start) {
            for (size_t r = 0; r < count; r++)
                svm_sparse_values(sc, i + r, dense, values + r * n_sv);
        } else {
            const double *x = sc->x + i * d;
            double norms[SVM_QUERY_ROWS];
            dial_svm_kernel_norms(x, count, d, norms);
            dial_svm_kernel_columns(&m->kernel, m->svt, m->sv_norms, n_sv, d, x, norms, count,
                                    values);
        }
        for (size_t r = 0; r < count; r++) {
            const double *row = values + r * n_sv;
            double *value = sc->out->value + i + r;
            if (m->regression) {
                *value = dial_svm_dot(m->coef, row, n_sv) + m->intercept[0];
                continue;
            }
            double *proba = sc->out->proba ? sc->out->proba + (i + r) * k : NULL;
            svm_classify_row(m, row, work, value, proba);
        }
    }
    return DIAL_OK;
}

dial_status dial_svm_predict_with(dial_ctx *ctx, const dial_knobs *knobs,
                                  const dial_tensors *learned, const dial_fit_input *in,
                                  dial_predict_output *out) {
    bool want_proba = out->proba != NULL && in->task == DIAL_TASK_CLASSIFICATION;
    dial_svm_model m;
    dial_status status = dial_svm_model_read(ctx, knobs, learned, in, want_proba, true, &m);
    if (status != DIAL_OK) return status;
    size_t blocks = (in->n_rows + SVM_PREDICT_BLOCK - 1) / SVM_PREDICT_BLOCK;
    int threads = dial_ctx_threads(ctx);
    if ((size_t)threads > blocks) threads = (int)(blocks ? blocks : 1);
    size_t k = m.n_classes;
    /* kernel values of SVM_QUERY_ROWS rows, then svm_classify_row's work */
    size_t scratch_size = SVM_QUERY_ROWS * (m.n_sv ? m.n_sv : 1) + SVM_CLASSIFY_WORK(k) +
                          (in->sparse || m.sv_start ? (m.d ? m.d : 1) : 0);
    svm_scorer sc = {.m = &m,
                     .x = in->x,
                     .sparse = in->sparse,
                     .n = in->n_rows,
                     .out = out,
                     .scratch_size = scratch_size};
    if (in->sparse && in->sparse->n_cols > m.d) {
        dial_svm_model_free(&m);
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "svm: rows of %zu inputs for a model of %zu",
                         in->sparse->n_cols, m.d);
    }
    /* zeroed: the dense scatter of a query row starts all zeros */
    sc.scratch = dial_calloc(ctx, (size_t)threads * scratch_size, sizeof *sc.scratch);
    if (!sc.scratch) {
        status =
            dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory predicting %zu rows", in->n_rows);
    } else {
        dial_predict_output target = {.value = out->value, .proba = want_proba ? out->proba : NULL};
        sc.out = &target;
        status = dial_parallel_for(ctx, threads, blocks, svm_score_blocks, &sc);
    }
    free(sc.scratch);
    dial_svm_model_free(&m);
    return status;
}

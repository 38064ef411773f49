/*
 * Kernel values for the SVM: the kernel functions over BLAS dot products,
 * the LRU cache of rows, and the matrices Q of the C-SVC and epsilon-SVR
 * duals served from it (see svm_kernel.h).
 *
 * rbf uses |x - z|^2 = |x|^2 + |z|^2 - 2 x.z with the squared norms computed
 * once, so a row of kernel values is a matrix-vector product and a pass of
 * exponentials. The rows are kept by columns (feature-major) so that the
 * product is a few passes over contiguous memory that the compiler
 * vectorises; that is also why no BLAS is called here: the loops run on the
 * calling thread (the thread budget is dial's, spent on pairs of classes or
 * folds) and give the same bits on every processor and thread count.
 */
#include "core/alloc.h"
#include "models/svm_kernel.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The loops that compute kernel rows are compiled for several instruction
 * sets and the best the processor has is picked when the library loads
 * (all give the same bits: C11 mode does not fuse multiply-adds, and each
 * sum runs in the same order). */
#include "models/svm_vector.h"

void dial_svm_kernel_norms(const double *x, size_t n, size_t d, double *norms) {
    for (size_t i = 0; i < n; i++) {
        const double *row = x + i * d;
        double s = 0;
        for (size_t t = 0; t < d; t++) s += row[t] * row[t];
        norms[i] = s;
    }
}

/* e^x for -708 <= x <= 0, without branches so that a loop over it
 * vectorises: x = k ln2 + r with |r| <= ln2 / 2, e^r by its Taylor
 * polynomial of degree 12 (relative error below 2e-16 there), 2^k written
 * into the exponent bits. */
SVM_INLINE double svm_exp_nonpositive(double x) {
    const double round_shift = 6755399441055744.0;         /* 1.5 * 2^52: adding it rounds */
    double shifted = x * 1.4426950408889634 + round_shift; /* x / ln 2 */
    uint64_t k_bits;
    memcpy(&k_bits, &shifted, sizeof k_bits);
    double k = shifted - round_shift;
    /* ln 2 in two parts, the first with trailing zero bits so k ln2_hi is exact */
    double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
    double e = 1.0 / 479001600.0; /* 1/12! */
    e = e * r + 1.0 / 39916800.0;
    e = e * r + 1.0 / 3628800.0;
    e = e * r + 1.0 / 362880.0;
    e = e * r + 1.0 / 40320.0;
    e = e * r + 1.0 / 5040.0;
    e = e * r + 1.0 / 720.0;
    e = e * r + 1.0 / 120.0;
    e = e * r + 1.0 / 24.0;
    e = e * r + 1.0 / 6.0;
    e = e * r + 0.5;
    e = e * r + 1.0;
    e = e * r + 1.0;
    /* k sits in the low bits of shifted; moved into the exponent field */
    uint64_t scale_bits = (k_bits + 1023) << 52;
    double scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    return e * scale;
}

/* rbf from dot products: exp(-gamma (|a|^2 + |x_j|^2 - 2 a.x_j)). Three
 * passes, each simple enough to vectorise: the distance (never below 0,
 * which rounding could give for a row and itself), the exponent (never
 * below -708, where e^x leaves the normal range; e^-708 is 3e-308, as good
 * as 0 in any sum), then the exponential. */
SVM_VECTOR_CLONES static void svm_rbf_finish(double *restrict v, size_t m, double norm_a,
                                             const double *restrict norms, double gamma) {
    for (size_t j = 0; j < m; j++) {
        double distance = norm_a + norms[j] - 2 * v[j];
        v[j] = distance > 0 ? distance : 0;
    }
    for (size_t j = 0; j < m; j++) {
        double x = -gamma * v[j];
        v[j] = x < -708.0 ? -708.0 : x;
    }
    for (size_t j = 0; j < m; j++) v[j] = svm_exp_nonpositive(v[j]);
}

static double svm_power(double base, int degree) {
    double result = 1;
    for (int e = degree; e > 0; e >>= 1) {
        if (e & 1) result *= base;
        base *= base;
    }
    return result;
}

/* Turns the dot products v[j] = a.x_j into kernel values in place. */
void dial_svm_kernel_finish(const dial_svm_kernel *kernel, double *v, size_t m, double norm_a,
                            const double *norms) {
    double gamma = kernel->gamma, coef0 = kernel->coef0;
    switch (kernel->type) {
    case DIAL_SVM_LINEAR: return;
    case DIAL_SVM_RBF: svm_rbf_finish(v, m, norm_a, norms, gamma); return;
    case DIAL_SVM_POLY:
        for (size_t j = 0; j < m; j++) v[j] = svm_power(gamma * v[j] + coef0, kernel->degree);
        return;
    case DIAL_SVM_SIGMOID:
        for (size_t j = 0; j < m; j++) v[j] = tanh(gamma * v[j] + coef0);
        return;
    }
}

/* out[j] = a.x_j for the rows [from, from + count) of a matrix stored by
 * columns (feature t of row j at xt[t ld + j]): a pass per feature over
 * contiguous memory, four features at a time, each sum in feature order. */
SVM_VECTOR_CLONES static void svm_dots(const double *restrict xt, size_t ld, size_t d,
                                       const double *restrict a, size_t from, size_t count,
                                       double *restrict out) {
    for (size_t j = 0; j < count; j++) out[j] = 0;
    size_t t = 0;
    for (; t + 4 <= d; t += 4) {
        const double *c0 = xt + t * ld + from, *c1 = c0 + ld, *c2 = c1 + ld, *c3 = c2 + ld;
        double a0 = a[t], a1 = a[t + 1], a2 = a[t + 2], a3 = a[t + 3];
        for (size_t j = 0; j < count; j++) {
            double s = out[j];
            s += a0 * c0[j];
            s += a1 * c1[j];
            s += a2 * c2[j];
            s += a3 * c3[j];
            out[j] = s;
        }
    }
    for (; t < d; t++) {
        const double *c0 = xt + t * ld + from;
        double a0 = a[t];
        for (size_t j = 0; j < count; j++) out[j] += a0 * c0[j];
    }
}

/* Four rows of values at a time: vector accumulators of eight entries, two
 * per query row, stay in registers over the features, so each stored value
 * is loaded once per four query rows. The sums run in feature order, as in
 * svm_dots, so both give the same bits. */
typedef double svm_v8 __attribute__((vector_size(64)));

SVM_VECTOR_CLONES static void svm_dots4(const double *restrict xt, size_t ld, size_t d,
                                        const double *restrict a, size_t count,
                                        double *restrict out) {
    const double *a0 = a, *a1 = a + d, *a2 = a + 2 * d, *a3 = a + 3 * d;
    size_t j = 0;
    for (; j + 16 <= count; j += 16) {
        svm_v8 p0 = {0}, p1 = {0}, p2 = {0}, p3 = {0}, q0 = {0}, q1 = {0}, q2 = {0}, q3 = {0};
        for (size_t t = 0; t < d; t++) {
            svm_v8 c, e;
            memcpy(&c, xt + t * ld + j, sizeof c);
            memcpy(&e, xt + t * ld + j + 8, sizeof e);
            p0 += a0[t] * c;
            p1 += a1[t] * c;
            p2 += a2[t] * c;
            p3 += a3[t] * c;
            q0 += a0[t] * e;
            q1 += a1[t] * e;
            q2 += a2[t] * e;
            q3 += a3[t] * e;
        }
        memcpy(out + j, &p0, sizeof p0);
        memcpy(out + count + j, &p1, sizeof p1);
        memcpy(out + 2 * count + j, &p2, sizeof p2);
        memcpy(out + 3 * count + j, &p3, sizeof p3);
        memcpy(out + j + 8, &q0, sizeof q0);
        memcpy(out + count + j + 8, &q1, sizeof q1);
        memcpy(out + 2 * count + j + 8, &q2, sizeof q2);
        memcpy(out + 3 * count + j + 8, &q3, sizeof q3);
    }
    for (; j < count; j++)
        for (size_t r = 0; r < 4; r++) {
            double sum = 0;
            for (size_t t = 0; t < d; t++) sum += a[r * d + t] * xt[t * ld + j];
            out[r * count + j] = sum;
        }
}

void dial_svm_kernel_columns(const dial_svm_kernel *kernel, const double *xt, const double *norms,
                             size_t n, size_t d, const double *a, const double *norms_a, size_t m,
                             double *out) {
    size_t r = 0;
    for (; r + 4 <= m; r += 4) svm_dots4(xt, n, d, a + r * d, n, out + r * n);
    for (; r < m; r++) svm_dots(xt, n, d, a + r * d, 0, n, out + r * n);
    for (r = 0; r < m; r++) dial_svm_kernel_finish(kernel, out + r * n, n, norms_a[r], norms);
}

void dial_svm_transpose(const double *x, size_t n, size_t d, double *xt) {
    for (size_t i = 0; i < n; i++)
        for (size_t t = 0; t < d; t++) xt[t * n + i] = x[i * d + t];
}

SVM_VECTOR_CLONES static double svm_dot(const double *restrict a, const double *restrict b,
                                        size_t n) {
    return svm_vector_dot(a, b, n);
}

/* Clones are kept static: clang 14 does not resolve a call to a cloned
 * function declared without the attribute in a header. */
double dial_svm_dot(const double *a, const double *b, size_t n) { return svm_dot(a, b, n); }

/* ---- the LRU cache ----------------------------------------------------------
 * Rows live on a circular doubly linked list in order of use, the least
 * recently used first after the sentinel (index n). Each row is its own
 * allocation of `size` floats, of which the first `len` are valid. */

typedef struct svm_cache_row {
    float *data;
    size_t size, len;
    size_t prev, next; /* list links; prev == SIZE_MAX when not on the list */
} svm_cache_row;

struct dial_svm_cache {
    const dial_ctx *ctx; /* of the fit: whose allocation hook its rows ask */
    size_t n;
    size_t free_floats;  /* what the budget still allows */
    svm_cache_row *rows; /* n + 1, the last is the sentinel */
};

#define SVM_UNLINKED SIZE_MAX

dial_svm_cache *dial_svm_cache_new(const dial_ctx *ctx, size_t n_rows, size_t budget) {
    dial_svm_cache *cache = dial_calloc(ctx, 1, sizeof *cache);
    if (!cache) return NULL;
    cache->ctx = ctx;
    cache->rows = dial_calloc(ctx, n_rows + 1, sizeof *cache->rows);
    if (!cache->rows) {
        free(cache);
        return NULL;
    }
    cache->n = n_rows;
    /* two full rows always fit: the solver holds two rows at a time */
    cache->free_floats = budget > 2 * n_rows ? budget : 2 * n_rows;
    for (size_t i = 0; i < n_rows; i++) cache->rows[i].prev = SVM_UNLINKED;
    cache->rows[n_rows].prev = cache->rows[n_rows].next = n_rows;
    return cache;
}

void dial_svm_cache_free(dial_svm_cache *cache) {
    if (!cache) return;
    for (size_t i = 0; i < cache->n; i++) free(cache->rows[i].data);
    free(cache->rows);
    free(cache);
}

static void svm_cache_unlink(dial_svm_cache *cache, size_t i) {
    svm_cache_row *row = &cache->rows[i];
    if (row->prev == SVM_UNLINKED) return;
    cache->rows[row->prev].next = row->next;
    cache->rows[row->next].prev = row->prev;
    row->prev = row->next = SVM_UNLINKED;
}

/* Links row i as the most recently used (just before the sentinel). */
static void svm_cache_link(dial_svm_cache *cache, size_t i) {
    size_t sentinel = cache->n;
    svm_cache_row *row = &cache->rows[i];
    row->next = sentinel;
    row->prev = cache->rows[sentinel].prev;
    cache->rows[row->prev].next = i;
    cache->rows[sentinel].prev = i;
}

float *dial_svm_cache_row(dial_svm_cache *cache, size_t i, size_t len, size_t *valid) {
    const dial_ctx *ctx = cache->ctx;
    svm_cache_row *row = &cache->rows[i];
    svm_cache_unlink(cache, i);
    if (row->size < len) {
        size_t more = len - row->size, sentinel = cache->n;
        /* the row itself is off the list, so it is never the one evicted */
        while (cache->free_floats < more && cache->rows[sentinel].next != sentinel) {
            size_t old = cache->rows[sentinel].next;
            svm_cache_unlink(cache, old);
            free(cache->rows[old].data);
            cache->free_floats += cache->rows[old].size;
            cache->rows[old].data = NULL;
            cache->rows[old].size = cache->rows[old].len = 0;
        }
        float *data = dial_realloc(ctx, row->data, len * sizeof *data);
        if (!data) {
            if (row->data) svm_cache_link(cache, i);
            return NULL;
        }
        row->data = data;
        cache->free_floats -= cache->free_floats < more ? cache->free_floats : more;
        row->size = len;
    }
    *valid = row->len < len ? row->len : len;
    if (row->len < len) row->len = len;
    svm_cache_link(cache, i);
    return row->data;
}

void dial_svm_cache_swap(dial_svm_cache *cache, size_t i, size_t j) {
    if (i == j) return;
    svm_cache_row *a = &cache->rows[i], *b = &cache->rows[j];
    bool a_linked = a->prev != SVM_UNLINKED, b_linked = b->prev != SVM_UNLINKED;
    svm_cache_unlink(cache, i);
    svm_cache_unlink(cache, j);
    svm_cache_row held = *a;
    *a = *b;
    *b = held;
    if (b_linked) svm_cache_link(cache, i);
    if (a_linked) svm_cache_link(cache, j);
    size_t lo = i < j ? i : j, hi = i < j ? j : i, sentinel = cache->n;
    for (size_t h = cache->rows[sentinel].next; h != sentinel; h = cache->rows[h].next) {
        svm_cache_row *row = &cache->rows[h];
        if (row->len > hi) {
            float t = row->data[lo];
            row->data[lo] = row->data[hi];
            row->data[hi] = t;
        } else if (row->len > lo) {
            row->len = lo; /* holds lo's entry but not hi's: keep what is still right */
        }
    }
}

/* ---- the matrices of the duals ---------------------------------------------------
 * A matrix keeps its rows by columns (xt, d x l: feature t of row i at
 * xt[t l + i]) so that a row of kernel values is a few passes over
 * contiguous memory (svm_dots). */

struct dial_svm_matrix {
    dial_svm_q q;
    dial_svm_kernel kernel;
    size_t l, d;    /* data rows and their width */
    double *xt;     /* d x l: for SVC in the solver's order, for SVR in the original one */
    double *norms;  /* l */
    double *diag;   /* the diagonal of Q: l (SVC) or 2l (SVR) */
    double *values; /* l: kernel values being computed */
    double *query;  /* d: the row whose kernel values are computed (sparse: scattered) */
    /* compressed rows (borrowed): xt is NULL and row_of holds the row of a
     * at each position (SVC: in the solver's order; SVR: the original) */
    const dial_csr *sparse;
    size_t *row_of;
    dial_svm_cache *cache;
    /* SVC: the label of each position (+1.0 or -1.0). SVR: the sign (+1 for
     * alpha, -1 for alpha*) and data row of each of the 2l positions. */
    double *label;
    size_t *index;
    float *buffers[2]; /* SVR: rows of Q handed out, alternately */
    int next_buffer;
    /* with a Gram matrix: its values instead of xt and norms; index holds
     * the Gram row of each position (SVC and SVR alike) */
    const dial_svm_gram *gram;
    float *sign; /* SVC with a Gram matrix: label as a float */
    /* SVC with a Gram matrix, when Q fits the cache budget: room for all
     * of Q, row t at dense_rows[t] in the solver's order (no cache then),
     * each row filled whole when first asked for (filled[t]): copied by
     * runs of consecutive Gram positions with one label (n_runs, starting
     * at run[r]) while the order is the initial one and the runs are few
     * (by_runs), gathered otherwise */
    float *dense;
    float **dense_rows;
    unsigned char *filled;
    size_t *run, n_runs;
    bool by_runs;
    bool dense_owned; /* dense is the matrix's, not the caller's room */
};

/* K(x_i, x_j) for j in [from, from + count) into m->values. */
static void svm_matrix_kernel(dial_svm_matrix *m, size_t i, size_t from, size_t count) {
    size_t l = m->l, d = m->d;
    if (m->sparse) {
        dial_svm_sparse_dots(m->sparse, m->row_of, i, from, count, m->query, m->values);
        dial_svm_kernel_finish(&m->kernel, m->values, count, m->norms[i], m->norms + from);
        return;
    }
    for (size_t t = 0; t < d; t++) m->query[t] = m->xt[t * l + i];
    svm_dots(m->xt, l, d, m->query, from, count, m->values);
    dial_svm_kernel_finish(&m->kernel, m->values, count, m->norms[i], m->norms + from);
}

SVM_VECTOR_CLONES static void svm_signed_floats(float *restrict out, const double *restrict values,
                                                const double *restrict label, double sign,
                                                size_t count) {
    for (size_t j = 0; j < count; j++) out[j] = (float)(sign * label[j] * values[j]);
}

/* Q row i of a C-SVC: kernel values of position i against [valid, len),
 * times the labels, after the cached prefix. */
static const float *svm_svc_row(void *self, size_t i, size_t len) {
    dial_svm_matrix *m = self;
    size_t valid = 0;
    float *row = dial_svm_cache_row(m->cache, i, len, &valid);
    if (!row || valid >= len) return row;
    svm_matrix_kernel(m, i, valid, len - valid);
    svm_signed_floats(row + valid, m->values, m->label + valid, m->label[i], len - valid);
    return row;
}

static void svm_swap_doubles(double *v, size_t i, size_t j) {
    double held = v[i];
    v[i] = v[j];
    v[j] = held;
}

static void svm_svc_swap(void *self, size_t i, size_t j) {
    dial_svm_matrix *m = self;
    dial_svm_cache_swap(m->cache, i, j);
    if (m->sparse) {
        size_t held = m->row_of[i];
        m->row_of[i] = m->row_of[j];
        m->row_of[j] = held;
    }
    for (size_t t = 0; m->xt && t < m->d; t++) svm_swap_doubles(m->xt + t * m->l, i, j);
    svm_swap_doubles(m->norms, i, j);
    svm_swap_doubles(m->label, i, j);
}

/* Q row i of an epsilon-SVR from the kernel row of its data row (cached
 * whole, in the original order): Q_ij = s_i s_j K(x_index[i], x_index[j]). */
static const float *svm_svr_row(void *self, size_t i, size_t len) {
    dial_svm_matrix *m = self;
    size_t real = m->index[i], valid = 0, l = m->l;
    float *kernel_row = dial_svm_cache_row(m->cache, real, l, &valid);
    if (!kernel_row) return NULL;
    if (valid < l) {
        svm_matrix_kernel(m, real, valid, l - valid);
        for (size_t j = valid; j < l; j++) kernel_row[j] = (float)m->values[j - valid];
    }
    float *out = m->buffers[m->next_buffer];
    m->next_buffer ^= 1;
    double si = m->label[i];
    for (size_t j = 0; j < len; j++)
        out[j] = (float)(si * m->label[j] * (double)kernel_row[m->index[j]]);
    return out;
}

static void svm_svr_swap(void *self, size_t i, size_t j) {
    dial_svm_matrix *m = self;
    svm_swap_doubles(m->label, i, j);
    size_t held = m->index[i];
    m->index[i] = m->index[j];
    m->index[j] = held;
}

void dial_svm_matrix_free(dial_svm_matrix *m) {
    if (!m) return;
    free(m->xt);
    free(m->norms);
    free(m->diag);
    free(m->values);
    free(m->query);
    free(m->row_of);
    free(m->label);
    free(m->index);
    free(m->sign);
    if (m->dense_owned) free(m->dense);
    free(m->dense_rows);
    free(m->filled);
    free(m->run);
    free(m->buffers[0]);
    free(m->buffers[1]);
    dial_svm_cache_free(m->cache);
    free(m);
}

/* A matrix of l data rows with room for `variables` variables; copies
 * row rows[i] (or i when rows is NULL) of x into column storage, or
 * (sparse, x NULL) notes which row of sparse it is, and computes the
 * norms and the kernel's diagonal. NULL when out of memory. */
static dial_svm_matrix *svm_matrix_new(const dial_ctx *ctx, const dial_svm_kernel *kernel,
                                       const double *x, const dial_csr *sparse, size_t d,
                                       const size_t *rows, size_t l, size_t variables,
                                       size_t cache_bytes) {
    dial_svm_matrix *m = dial_calloc(ctx, 1, sizeof *m);
    if (!m) return NULL;
    size_t n = l ? l : 1, nv = variables ? variables : 1;
    m->kernel = *kernel;
    m->l = l;
    m->d = d;
    m->sparse = sparse;
    if (sparse)
        m->row_of = dial_malloc(ctx, n * sizeof *m->row_of);
    else
        m->xt = dial_malloc(ctx, n * (d ? d : 1) * sizeof *m->xt);
    m->norms = dial_malloc(ctx, n * sizeof *m->norms);
    m->diag = dial_malloc(ctx, nv * sizeof *m->diag);
    m->values = dial_malloc(ctx, n * sizeof *m->values);
    /* the scatter of a sparse row must start all zeros */
    m->query = dial_calloc(ctx, d ? d : 1, sizeof *m->query);
    m->label = dial_malloc(ctx, nv * sizeof *m->label);
    m->cache = dial_svm_cache_new(ctx, l, cache_bytes / sizeof(float));
    if (!(sparse ? (void *)m->row_of : (void *)m->xt) || !m->norms || !m->diag || !m->values ||
        !m->query || !m->label || !m->cache) {
        dial_svm_matrix_free(m);
        return NULL;
    }
    for (size_t i = 0; sparse && i < l; i++) {
        m->row_of[i] = rows ? rows[i] : i;
        m->norms[i] = dial_svm_sparse_norm(sparse, m->row_of[i]);
    }
    for (size_t i = 0; !sparse && i < l; i++) {
        const double *row = x + (rows ? rows[i] : i) * d;
        double norm = 0;
        for (size_t t = 0; t < d; t++) {
            m->xt[t * l + i] = row[t];
            norm += row[t] * row[t];
        }
        m->norms[i] = norm;
    }
    /* K(x_i, x_i) from the norms: rbf's is 1 */
    memcpy(m->diag, m->norms, l * sizeof *m->diag);
    if (kernel->type == DIAL_SVM_RBF)
        for (size_t i = 0; i < l; i++) m->diag[i] = 1;
    else
        dial_svm_kernel_finish(kernel, m->diag, l, 0, m->norms);
    return m;
}

/* The labels and the solver's view of a new C-SVC matrix (NULL: passed on). */
static dial_svm_matrix *svm_matrix_svc_finish(dial_svm_matrix *m, const signed char *y) {
    if (!m) return NULL;
    for (size_t i = 0; i < m->l; i++) m->label[i] = y[i] > 0 ? 1.0 : -1.0;
    m->q = (dial_svm_q){.self = m, .row = svm_svc_row, .swap = svm_svc_swap, .diag = m->diag};
    return m;
}

dial_svm_matrix *dial_svm_matrix_svc(const dial_ctx *ctx, const dial_svm_kernel *kernel,
                                     const double *x, size_t d, const size_t *rows, size_t l,
                                     const signed char *y, size_t cache_bytes) {
    dial_svm_matrix *m = svm_matrix_new(ctx, kernel, x, NULL, d, rows, l, l, cache_bytes);
    return svm_matrix_svc_finish(m, y);
}

dial_svm_matrix *dial_svm_matrix_svc_sparse(const dial_ctx *ctx, const dial_svm_kernel *kernel,
                                            const dial_csr *a, const size_t *rows, size_t l,
                                            const signed char *y, size_t cache_bytes) {
    dial_svm_matrix *m = svm_matrix_new(ctx, kernel, NULL, a, a->n_cols, rows, l, l, cache_bytes);
    return svm_matrix_svc_finish(m, y);
}

/* The variables and the solver's view of a new epsilon-SVR matrix (NULL:
 * passed on; also when out of memory). */
static dial_svm_matrix *svm_matrix_svr_finish(const dial_ctx *ctx, dial_svm_matrix *m) {
    if (!m) return NULL;
    size_t l = m->l, n = l ? l : 1;
    m->index = dial_malloc(ctx, 2 * n * sizeof *m->index);
    m->buffers[0] = dial_malloc(ctx, 2 * n * sizeof(float));
    m->buffers[1] = dial_malloc(ctx, 2 * n * sizeof(float));
    if (!m->index || !m->buffers[0] || !m->buffers[1]) {
        dial_svm_matrix_free(m);
        return NULL;
    }
    for (size_t i = 0; i < l; i++) {
        m->diag[i + l] = m->diag[i];
        m->label[i] = 1;
        m->label[i + l] = -1;
        m->index[i] = m->index[i + l] = i;
    }
    m->q = (dial_svm_q){.self = m, .row = svm_svr_row, .swap = svm_svr_swap, .diag = m->diag};
    return m;
}

dial_svm_matrix *dial_svm_matrix_svr(const dial_ctx *ctx, const dial_svm_kernel *kernel,
                                     const double *x, size_t d, size_t l, size_t cache_bytes) {
    return svm_matrix_svr_finish(
        ctx, svm_matrix_new(ctx, kernel, x, NULL, d, NULL, l, 2 * l, cache_bytes));
}

dial_svm_matrix *dial_svm_matrix_svr_sparse(const dial_ctx *ctx, const dial_svm_kernel *kernel,
                                            const dial_csr *a, size_t l, size_t cache_bytes) {
    return svm_matrix_svr_finish(
        ctx, svm_matrix_new(ctx, kernel, NULL, a, a->n_cols, NULL, l, 2 * l, cache_bytes));
}

dial_svm_q *dial_svm_matrix_q(dial_svm_matrix *matrix) { return &matrix->q; }

/* ---- the Gram matrix and the matrices read from it ---------------------------
 * A value is computed as a dual's row computes it (svm_dots and
 * svm_kernel_finish give each entry the same bits whichever rows are
 * computed together), then rounded to float as the row cache rounds it:
 * y_i y_j K is then the same float either way, as rounding is symmetric. */

#define SVM_GRAM_BLOCK 32 /* rows computed together */

typedef struct svm_gram_work {
    dial_svm_gram *gram;
    const double *x, *xt, *norms;
    size_t d;
    double *values; /* per worker: SVM_GRAM_BLOCK x n */
} svm_gram_work;

/* Rows [first, first + count) of the Gram matrix from column first on:
 * the upper triangle and the diagonal block. The kernel is symmetric to
 * the bit (the products of a dot commute and are summed in feature order;
 * the norms' sum commutes), so the lower triangle is a copy, written
 * here too. */
static dial_status svm_gram_rows(void *arg, size_t begin, size_t end, int worker) {
    svm_gram_work *w = arg;
    size_t n = w->gram->n, d = w->d;
    double *values = w->values + (size_t)worker * SVM_GRAM_BLOCK * n;
    for (size_t b = begin; b < end; b++) {
        size_t first = b * SVM_GRAM_BLOCK;
        size_t count = n - first < SVM_GRAM_BLOCK ? n - first : SVM_GRAM_BLOCK;
        size_t width = n - first;
        size_t r = 0;
        for (; r + 4 <= count; r += 4)
            svm_dots4(w->xt + first, n, d, w->x + (first + r) * d, width, values + r * width);
        for (; r < count; r++)
            svm_dots(w->xt, n, d, w->x + (first + r) * d, first, width, values + r * width);
        for (r = 0; r < count; r++) {
            double *v = values + r * width;
            dial_svm_kernel_finish(&w->gram->kernel, v, width, w->norms[first + r],
                                   w->norms + first);
            float *out = w->gram->k + (first + r) * n + first;
            for (size_t j = 0; j < width; j++) out[j] = (float)v[j];
        }
        /* and the same values down the block's columns: count consecutive
         * floats of each later row, which no other block writes */
        for (size_t j = count; j < width; j++) {
            float *out = w->gram->k + (first + j) * n + first;
            for (r = 0; r < count; r++) out[r] = (float)values[r * width + j];
        }
    }
    return DIAL_OK;
}

void dial_svm_gram_free(dial_svm_gram *gram) {
    if (!gram) return;
    free(gram->k);
    free(gram->diag);
    free(gram->position);
    free(gram);
}

dial_svm_gram *dial_svm_gram_new(dial_ctx *ctx, int threads, const dial_svm_kernel *kernel,
                                 const double *x_data, size_t n, size_t d, const size_t *order,
                                 dial_svm_gram *spare) {
    /* Every entry of k, diag and position is written below, so a spare's
     * memory serves as it is: a fresh block of this size would cost its
     * page faults and their zeroing, a fifth of preparing a fold. */
    if (spare && spare->n != n) {
        dial_svm_gram_free(spare);
        spare = NULL;
    }
    size_t blocks = (n + SVM_GRAM_BLOCK - 1) / SVM_GRAM_BLOCK;
    if (threads < 1) threads = 1;
    if ((size_t)threads > blocks) threads = (int)(blocks ? blocks : 1);
    size_t m = n ? n : 1, width = d ? d : 1;
    dial_svm_gram *gram = spare ? spare : dial_calloc(ctx, 1, sizeof *gram);
    double *xt = dial_malloc(ctx, m * width * sizeof *xt),
           *norms = dial_malloc(ctx, m * sizeof *norms);
    double *values = dial_malloc(ctx, (size_t)threads * SVM_GRAM_BLOCK * m * sizeof *values);
    /* the rows by position: each value is computed as in the data's order */
    double *ordered = order ? dial_malloc(ctx, m * width * sizeof *ordered) : NULL;
    const double *x = order ? ordered : x_data;
    if (gram) {
        gram->kernel = *kernel;
        gram->n = n;
        if (!spare) {
            gram->k = dial_malloc(ctx, m * m * sizeof *gram->k);
            gram->diag = dial_malloc(ctx, m * sizeof *gram->diag);
            gram->position = dial_malloc(ctx, m * sizeof *gram->position);
        }
    }
    dial_status status = DIAL_ERR_NOMEM;
    if (gram && gram->k && gram->diag && gram->position && xt && norms && values &&
        (!order || ordered)) {
        for (size_t k = 0; k < n; k++) {
            size_t row = order ? order[k] : k;
            gram->position[row] = k;
            if (order) memcpy(ordered + k * d, x_data + row * d, d * sizeof *ordered);
        }
        dial_svm_transpose(x, n, d, xt);
        dial_svm_kernel_norms(x, n, d, norms);
        /* the diagonal as svm_matrix_new makes it */
        memcpy(gram->diag, norms, n * sizeof *gram->diag);
        if (kernel->type == DIAL_SVM_RBF)
            for (size_t i = 0; i < n; i++) gram->diag[i] = 1;
        else
            dial_svm_kernel_finish(kernel, gram->diag, n, 0, norms);
        svm_gram_work w = {
            .gram = gram, .x = x, .xt = xt, .norms = norms, .d = d, .values = values};
        status = dial_parallel_for(ctx, threads, blocks, svm_gram_rows, &w);
    }
    free(xt);
    free(norms);
    free(values);
    free(ordered);
    if (status != DIAL_OK) {
        dial_svm_gram_free(gram);
        return NULL;
    }
    return gram;
}

/* out[j] = s sign[j] k[index[j]]: multiplying a float by +-1 is exact, so
 * this is the float of s sign[j] K that a computed row holds. */
static void svm_gather_signed(float *restrict out, const float *restrict k,
                              const size_t *restrict index, const float *restrict sign, float s,
                              size_t count) {
    size_t j = 0;
    for (; j + 4 <= count; j += 4) {
        float k0 = k[index[j]], k1 = k[index[j + 1]], k2 = k[index[j + 2]], k3 = k[index[j + 3]];
        out[j] = s * sign[j] * k0;
        out[j + 1] = s * sign[j + 1] * k1;
        out[j + 2] = s * sign[j + 2] * k2;
        out[j + 3] = s * sign[j + 3] * k3;
    }
    for (; j < count; j++) out[j] = s * sign[j] * k[index[j]];
}

/* Q row i of a C-SVC read from the Gram matrix after the cached prefix. */
static const float *svm_svc_gram_row(void *self, size_t i, size_t len) {
    dial_svm_matrix *m = self;
    size_t valid = 0;
    float *row = dial_svm_cache_row(m->cache, i, len, &valid);
    if (!row || valid >= len) return row;
    const float *k = m->gram->k + m->index[i] * m->gram->n;
    svm_gather_signed(row + valid, k, m->index + valid, m->sign + valid, m->sign[i], len - valid);
    return row;
}

static void svm_gram_swap(void *self, size_t i, size_t j) {
    dial_svm_matrix *m = self;
    if (m->cache) dial_svm_cache_swap(m->cache, i, j);
    if (m->sign) {
        float held = m->sign[i];
        m->sign[i] = m->sign[j];
        m->sign[j] = held;
    }
    svm_swap_doubles(m->label, i, j);
    size_t held = m->index[i];
    m->index[i] = m->index[j];
    m->index[j] = held;
}

/* out[j] = s k[j], count entries: a float times +-1 is exact. */
SVM_VECTOR_CLONES static void svm_copy_signed(float *restrict out, const float *restrict k, float s,
                                              size_t count) {
    for (size_t j = 0; j < count; j++) out[j] = s * k[j];
}

/* Q row i of a C-SVC with room for all of Q: filled whole the first time. */
static const float *svm_svc_dense_row(void *self, size_t i, size_t len) {
    (void)len;
    dial_svm_matrix *m = self;
    float *out = m->dense_rows[i];
    if (m->filled[i]) return out;
    size_t l = m->l;
    const float *k = m->gram->k + m->index[i] * m->gram->n;
    if (!m->by_runs) {
        svm_gather_signed(out, k, m->index, m->sign, m->sign[i], l);
    } else {
        for (size_t r = 0; r < m->n_runs; r++) {
            size_t from = m->run[r], to = r + 1 < m->n_runs ? m->run[r + 1] : l;
            svm_copy_signed(out + from, k + m->index[from], m->sign[i] * m->sign[from], to - from);
        }
    }
    m->filled[i] = 1;
    return out;
}

/* Exchanges positions i and j: the row pointers, and entries i and j of
 * every row filled so far (a row filled later is gathered in the new
 * order). */
static void svm_dense_swap(void *self, size_t i, size_t j) {
    dial_svm_matrix *m = self;
    if (i == j) return;
    m->by_runs = false;
    float **rows = m->dense_rows;
    float *held = rows[i];
    rows[i] = rows[j];
    rows[j] = held;
    unsigned char was = m->filled[i];
    m->filled[i] = m->filled[j];
    m->filled[j] = was;
    for (size_t t = 0; t < m->l; t++) {
        if (!m->filled[t]) continue;
        float *row = rows[t], v = row[i];
        row[i] = row[j];
        row[j] = v;
    }
    float sign = m->sign[i];
    m->sign[i] = m->sign[j];
    m->sign[j] = sign;
    svm_swap_doubles(m->label, i, j);
    size_t index = m->index[i];
    m->index[i] = m->index[j];
    m->index[j] = index;
}

dial_svm_matrix *dial_svm_matrix_svc_gram(const dial_ctx *ctx, const dial_svm_gram *gram,
                                          const size_t *rows, size_t l, const signed char *y,
                                          size_t cache_bytes, float *room) {
    dial_svm_matrix *m = dial_calloc(ctx, 1, sizeof *m);
    if (!m) return NULL;
    size_t n = l ? l : 1;
    bool dense = (double)l * (double)l * sizeof(float) <= (double)cache_bytes;
    m->gram = gram;
    m->kernel = gram->kernel;
    m->l = l;
    m->diag = dial_malloc(ctx, n * sizeof *m->diag);
    m->label = dial_malloc(ctx, n * sizeof *m->label);
    m->index = dial_malloc(ctx, n * sizeof *m->index);
    m->sign = dial_malloc(ctx, n * sizeof *m->sign);
    if (dense) {
        m->dense = room ? room : dial_malloc(ctx, n * n * sizeof *m->dense);
        m->dense_owned = !room;
        m->dense_rows = dial_malloc(ctx, n * sizeof *m->dense_rows);
        m->filled = dial_calloc(ctx, n, sizeof *m->filled);
        m->run = dial_malloc(ctx, n * sizeof *m->run);
    } else {
        m->cache = dial_svm_cache_new(ctx, l, cache_bytes / sizeof(float));
    }
    if (!m->diag || !m->label || !m->index || !m->sign ||
        (dense ? !m->dense || !m->dense_rows || !m->filled || !m->run : !m->cache)) {
        dial_svm_matrix_free(m);
        return NULL;
    }
    for (size_t i = 0; i < l; i++) {
        m->index[i] = gram->position[rows[i]];
        m->diag[i] = gram->diag[m->index[i]];
        m->label[i] = y[i] > 0 ? 1.0 : -1.0;
        m->sign[i] = y[i] > 0 ? 1.0f : -1.0f;
    }
    if (dense) {
        for (size_t j = 0; j < l; j++) {
            m->dense_rows[j] = m->dense + j * l;
            if (j == 0 || m->index[j] != m->index[j - 1] + 1 || m->sign[j] != m->sign[j - 1])
                m->run[m->n_runs++] = j;
        }
        /* rows in no order (a Platt fold's) make runs of one or two: a
         * gather is then faster than a copy per run */
        m->by_runs = m->n_runs <= l / 16 + 1;
        m->q = (dial_svm_q){
            .self = m, .row = svm_svc_dense_row, .swap = svm_dense_swap, .diag = m->diag};
    } else {
        m->q = (dial_svm_q){
            .self = m, .row = svm_svc_gram_row, .swap = svm_gram_swap, .diag = m->diag};
    }
    return m;
}

/* Q row i of an epsilon-SVR: the Gram row of its data row is whole already. */
static const float *svm_svr_gram_row(void *self, size_t i, size_t len) {
    dial_svm_matrix *m = self;
    const float *k = m->gram->k + m->index[i] * m->gram->n;
    float *out = m->buffers[m->next_buffer];
    m->next_buffer ^= 1;
    double si = m->label[i];
    for (size_t j = 0; j < len; j++) out[j] = (float)(si * m->label[j] * (double)k[m->index[j]]);
    return out;
}

dial_svm_matrix *dial_svm_matrix_svr_gram(const dial_ctx *ctx, const dial_svm_gram *gram) {
    dial_svm_matrix *m = dial_calloc(ctx, 1, sizeof *m);
    if (!m) return NULL;
    size_t l = gram->n, n = 2 * (l ? l : 1);
    m->gram = gram;
    m->kernel = gram->kernel;
    m->l = l;
    m->diag = dial_malloc(ctx, n * sizeof *m->diag);
    m->label = dial_malloc(ctx, n * sizeof *m->label);
    m->index = dial_malloc(ctx, n * sizeof *m->index);
    m->buffers[0] = dial_malloc(ctx, n * sizeof(float));
    m->buffers[1] = dial_malloc(ctx, n * sizeof(float));
    if (!m->diag || !m->label || !m->index || !m->buffers[0] || !m->buffers[1]) {
        dial_svm_matrix_free(m);
        return NULL;
    }
    for (size_t i = 0; i < l; i++) {
        size_t at = gram->position[i];
        m->diag[i] = m->diag[i + l] = gram->diag[at];
        m->label[i] = 1;
        m->label[i + l] = -1;
        m->index[i] = m->index[i + l] = at;
    }
    m->q = (dial_svm_q){.self = m, .row = svm_svr_gram_row, .swap = svm_gram_swap, .diag = m->diag};
    return m;
}

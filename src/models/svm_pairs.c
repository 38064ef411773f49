/*
 * The C-SVC fit of the svm family (internal to src/models/svm*.c; the map
 * of the family is at the top of svm.c).
 *
 * Each pair of classes (s, t), s < t, is a two-class C-SVC on the rows of
 * both, class s labelled +1; its dual is solved by SMO (svm_solver.c) over
 * kernel rows from an LRU cache or a prepared Gram matrix (svm_kernel.c).
 * The pairs are independent units of work run on up to dial_ctx_threads
 * threads, each with an equal share of cache_mb, largest first; a pair's
 * result does not depend on which thread ran it. With probability=true,
 * each pair also gets a Platt sigmoid fitted on decision values from a
 * 5-fold cross-validation inside its rows (svm_platt.c), shuffled by a
 * stream of the context's seed; each fold is a unit of work of its own.
 * Along increasing C a pair starts from the previous C's solution
 * (svm_warm.h), kept as it is when it is still optimal.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/model.h"
#include "models/svm_family.h"
#include "models/svm_kernel.h"
#include "models/svm_platt.h"
#include "models/svm_solver.h"
#include "models/svm_warm.h"

#define SVM_PLATT_FOLDS 5
#define SVM_PLATT_STREAM UINT64_C(0x73766d0000000000) /* "svm" */

/* ---- solving one two-class problem ------------------------------------------ */

/* Memory a worker lends to the matrices of its solves (see
 * dial_svm_matrix_svc_gram), grown as needed. */
typedef struct svm_room {
    float *data;
    size_t size;
} svm_room;

/* room's data with at least l x l floats when a Gram matrix's Q of l rows
 * is kept whole (else, or when out of memory, NULL: the matrix allocates
 * its own or uses the cache). */
static float *svm_room_for(const dial_ctx *ctx, svm_room *room, const dial_svm_gram *gram, size_t l,
                           size_t cache_bytes) {
    double floats = (double)l * (double)l;
    if (!room || !gram || floats * sizeof(float) > (double)cache_bytes) return NULL;
    if (room->size < l * l) {
        free(room->data);
        room->data = dial_malloc(ctx, (l ? l * l : 1) * sizeof *room->data);
        room->size = room->data ? l * l : 0;
    }
    return room->data;
}

/* A C-SVC on the l rows `rows` of x (or of sparse, when x is NULL): alpha
 * (l) and rho of its solution,
 * from alpha as it is when start (its gradient and G_bar, l each, the
 * latter may be NULL) is not NULL, else from zeros; the gradient and G_bar
 * at the solution into kept (may be NULL). With gram (the kernel of every
 * row of x), no kernel value is computed; room (may be NULL) lends the
 * memory for its Q. */
static dial_status svm_solve_classes(const dial_svm_settings *st, const double *x,
                                     const dial_csr *sparse, size_t d, const dial_svm_gram *gram,
                                     const size_t *rows, const signed char *y, size_t l,
                                     double c_pos, double c_neg, size_t cache_bytes, svm_room *room,
                                     double *alpha, const double *const *start, double *const *kept,
                                     double *rho, bool *hit_max_iter, long *iterations) {
    size_t n = l ? l : 1;
    dial_svm_matrix *matrix =
        gram     ? dial_svm_matrix_svc_gram(st->ctx, gram, rows, l, y, cache_bytes,
                                            svm_room_for(st->ctx, room, gram, l, cache_bytes))
        : sparse ? dial_svm_matrix_svc_sparse(st->ctx, &st->kernel, sparse, rows, l, y, cache_bytes)
                 : dial_svm_matrix_svc(st->ctx, &st->kernel, x, d, rows, l, y, cache_bytes);
    double *p = dial_malloc(st->ctx, n * sizeof *p),
           *upper = dial_malloc(st->ctx, n * sizeof *upper);
    dial_status status = DIAL_ERR_NOMEM;
    if (matrix && p && upper) {
        for (size_t i = 0; i < l; i++) {
            p[i] = -1;
            upper[i] = y[i] > 0 ? c_pos : c_neg;
            if (!start) alpha[i] = 0;
        }
        dial_svm_dual dual = {.ctx = st->ctx,
                              .l = l,
                              .p = p,
                              .y = y,
                              .upper = upper,
                              .eps = st->tol,
                              .max_iter = st->max_iter,
                              .shrinking = st->shrinking,
                              .gradient = start ? start[0] : NULL,
                              .gradient_bar = start ? start[1] : NULL,
                              .gradient_out = kept ? kept[0] : NULL,
                              .gradient_bar_out = kept ? kept[1] : NULL};
        dial_svm_dual_result result;
        status = dial_svm_dual_solve(&dual, dial_svm_matrix_q(matrix), alpha, &result);
        if (status == DIAL_OK) {
            *rho = result.rho;
            *hit_max_iter = result.hit_max_iter;
            *iterations += result.iterations;
        }
    }
    dial_svm_matrix_free(matrix);
    free(p);
    free(upper);
    return status;
}

/* ---- the pairs of classes ---------------------------------------------------- */

typedef struct svm_pair {
    size_t s, t;                     /* classes, s < t */
    size_t l, n_s;                   /* rows: n_s of class s first, then class t's */
    size_t *rows;                    /* l training rows */
    signed char *y;                  /* +1 for class s, -1 for t */
    double c_s, c_t;                 /* C of each class */
    double *alpha;                   /* l: the solution */
    double *gradient, *gradient_bar; /* l each: kept for a warm start */
    double rho;
    bool hit_max_iter; /* the solve of alpha stopped at max_iter */
    long iterations;   /* SMO iterations of that solve */
    /* probability: the rows' order for the folds and their held-out
     * decision values, in that order */
    size_t *order;
    double *dec;
    double prob_a, prob_b;
} svm_pair;

/* A unit of work: the fit of a pair (fold < 0) or one fold of its Platt
 * cross-validation. */
typedef struct svm_job {
    size_t pair;
    int fold;
    double cost;
    dial_status status;
    bool hit_max_iter;
    long iterations;
} svm_job;

typedef struct svm_work {
    const dial_svm_settings *settings;
    const double *x;
    const dial_csr *sparse; /* the rows when x is NULL */
    size_t d;
    const dial_svm_gram *gram; /* NULL: kernel values are computed */
    svm_pair *pairs;
    svm_job *jobs;
    size_t n_jobs;
    size_t cache_bytes; /* per job running at once */
    /* warm starts of the pairs' solves (NULL: cold); reuse: a part still
     * optimal may be kept as it is (same tol or looser) */
    const dial_svm_warm *from;
    bool reuse;
    bool keep; /* the pairs' gradients are wanted, for the next warm start */
    atomic_size_t next;
} svm_work;

/* Decision values of the rows `test` of x under the model (rows, y, alpha,
 * rho) of a C-SVC: sum y_i alpha_i K(x_i, x) - rho. */
static dial_status svm_decisions(const dial_svm_settings *st, const double *x, size_t d,
                                 const size_t *rows, const signed char *y, const double *alpha,
                                 size_t l, double rho, const size_t *test, size_t n_test,
                                 double *dec) {
    size_t n_sv = 0;
    for (size_t i = 0; i < l; i++) n_sv += alpha[i] > 0;
    size_t m = n_sv ? n_sv : 1, width = d ? d : 1;
    double *sv = dial_malloc(st->ctx, m * width * sizeof *sv),
           *svt = dial_malloc(st->ctx, m * width * sizeof *svt);
    double *coef = dial_malloc(st->ctx, m * sizeof *coef),
           *norms = dial_malloc(st->ctx, m * sizeof *norms);
    double *values = dial_malloc(st->ctx, SVM_QUERY_ROWS * m * sizeof *values);
    double *query = dial_malloc(st->ctx, SVM_QUERY_ROWS * width * sizeof *query);
    dial_status status = DIAL_ERR_NOMEM;
    if (sv && svt && coef && norms && values && query) {
        size_t k = 0;
        for (size_t i = 0; i < l; i++) {
            if (!(alpha[i] > 0)) continue;
            memcpy(sv + k * d, x + rows[i] * d, d * sizeof *sv);
            coef[k++] = y[i] * alpha[i];
        }
        dial_svm_kernel_norms(sv, n_sv, d, norms);
        dial_svm_transpose(sv, n_sv, d, svt);
        for (size_t first = 0; first < n_test; first += SVM_QUERY_ROWS) {
            size_t count = n_test - first < SVM_QUERY_ROWS ? n_test - first : SVM_QUERY_ROWS;
            double query_norms[SVM_QUERY_ROWS];
            for (size_t r = 0; r < count; r++)
                memcpy(query + r * d, x + test[first + r] * d, d * sizeof *query);
            dial_svm_kernel_norms(query, count, d, query_norms);
            dial_svm_kernel_columns(&st->kernel, svt, norms, n_sv, d, query, query_norms, count,
                                    values);
            for (size_t r = 0; r < count; r++)
                dec[first + r] = dial_svm_dot(coef, values + r * n_sv, n_sv) - rho;
        }
        status = DIAL_OK;
    }
    free(query);
    free(sv);
    free(svt);
    free(coef);
    free(norms);
    free(values);
    return status;
}

/* One fold of a pair's Platt cross-validation: fits on the other folds and
 * writes the decision values of this fold's rows into pair->dec. */
static dial_status svm_run_fold(const svm_work *w, svm_room *room, svm_pair *pair, int fold,
                                bool *hit_max_iter, long *iterations) {
    size_t l = pair->l;
    size_t first = l * (size_t)fold / SVM_PLATT_FOLDS;
    size_t last = l * (size_t)(fold + 1) / SVM_PLATT_FOLDS;
    if (first == last) return DIAL_OK;
    size_t n_train = l - (last - first), n = l ? l : 1;
    size_t *train = dial_malloc(w->settings->ctx, n * sizeof *train),
           *test = dial_malloc(w->settings->ctx, n * sizeof *test);
    signed char *y = dial_malloc(w->settings->ctx, n * sizeof *y);
    double *alpha = dial_malloc(w->settings->ctx, n * sizeof *alpha);
    dial_status status = DIAL_ERR_NOMEM;
    if (train && test && y && alpha) {
        size_t positives = 0, k = 0;
        for (size_t q = 0; q < l; q++) {
            if (q >= first && q < last) continue;
            size_t at = pair->order[q];
            train[k] = pair->rows[at];
            y[k] = pair->y[at];
            positives += y[k] > 0;
            k++;
        }
        for (size_t q = first; q < last; q++) test[q - first] = pair->rows[pair->order[q]];
        double *dec = pair->dec + first;
        if (positives == 0 || positives == n_train) {
            /* one class only in the training folds: it is all the model knows */
            double value = n_train == 0 ? 0 : positives ? 1 : -1;
            for (size_t q = first; q < last; q++) dec[q - first] = value;
            status = DIAL_OK;
        } else {
            double rho = 0;
            status = svm_solve_classes(w->settings, w->x, w->sparse, w->d, w->gram, train, y,
                                       n_train, pair->c_s, pair->c_t, w->cache_bytes, room, alpha,
                                       NULL, NULL, &rho, hit_max_iter, iterations);
            if (status == DIAL_OK && w->sparse)
                status = dial_svm_sparse_decisions(w->settings, w->sparse, train, y, alpha, n_train,
                                                   rho, test, last - first, dec);
            else if (status == DIAL_OK)
                status = svm_decisions(w->settings, w->x, w->d, train, y, alpha, n_train, rho, test,
                                       last - first, dec);
        }
    }
    free(train);
    free(test);
    free(y);
    free(alpha);
    return status;
}

/* The fit of a pair: from the warm solution's part when there is one that
 * fits, kept as it is when it is still optimal. */
static dial_status svm_solve_pair(const svm_work *w, svm_room *room, size_t p, svm_pair *pair) {
    const dial_svm_warm_part *part = w->from && p < w->from->n_parts ? &w->from->parts[p] : NULL;
    size_t l = pair->l, n = l ? l : 1;
    double *linear = NULL, *start[2] = {NULL, NULL};
    bool warm = false, optimal = false, bar_valid = false;
    if (part) {
        linear = dial_malloc(w->settings->ctx, n * sizeof *linear);
        start[0] = dial_malloc(w->settings->ctx, n * sizeof *start[0]);
        start[1] = dial_malloc(w->settings->ctx, n * sizeof *start[1]);
        if (!linear || !start[0] || !start[1]) {
            free(linear);
            free(start[0]);
            free(start[1]);
            return DIAL_ERR_NOMEM;
        }
        for (size_t i = 0; i < l; i++) linear[i] = -1;
        warm = dial_svm_warm_start(part, pair->y, linear, l, pair->c_s, pair->c_t, pair->alpha,
                                   start[0], start[1], &bar_valid, &optimal);
        if (!bar_valid) {
            free(start[1]);
            start[1] = NULL;
        }
    }
    dial_status status = DIAL_OK;
    if (warm && optimal && w->reuse) {
        pair->rho = part->rho;
        memcpy(pair->gradient, part->gradient, l * sizeof *pair->gradient);
        memcpy(pair->gradient_bar, part->gradient_bar, l * sizeof *pair->gradient_bar);
    } else {
        double *kept[2] = {pair->gradient, pair->gradient_bar};
        status =
            svm_solve_classes(w->settings, w->x, w->sparse, w->d, w->gram, pair->rows, pair->y, l,
                              pair->c_s, pair->c_t, w->cache_bytes, room, pair->alpha,
                              warm ? (const double *const *)start : NULL, w->keep ? kept : NULL,
                              &pair->rho, &pair->hit_max_iter, &pair->iterations);
    }
    free(linear);
    free(start[0]);
    free(start[1]);
    return status;
}

/* Runs jobs until none is left; which worker runs which job does not
 * change any result. */
static dial_status svm_work_body(void *arg, size_t begin, size_t end, int worker) {
    svm_work *w = arg;
    (void)begin;
    (void)end;
    (void)worker;
    svm_room room = {0};
    for (;;) {
        size_t k = atomic_fetch_add(&w->next, 1);
        if (k >= w->n_jobs) break;
        svm_job *job = &w->jobs[k];
        svm_pair *pair = &w->pairs[job->pair];
        if (job->fold < 0)
            job->status = svm_solve_pair(w, &room, job->pair, pair);
        else
            job->status =
                svm_run_fold(w, &room, pair, job->fold, &job->hit_max_iter, &job->iterations);
    }
    free(room.data);
    return DIAL_OK;
}

static int svm_job_compare(const void *a, const void *b) {
    const svm_job *x = a, *y = b;
    if (x->cost != y->cost) return x->cost > y->cost ? -1 : 1;
    if (x->pair != y->pair) return x->pair < y->pair ? -1 : 1;
    return (x->fold > y->fold) - (x->fold < y->fold);
}

static void svm_pairs_free(svm_pair *pairs, size_t n_pairs) {
    if (!pairs) return;
    for (size_t p = 0; p < n_pairs; p++) {
        free(pairs[p].rows);
        free(pairs[p].y);
        free(pairs[p].alpha);
        free(pairs[p].gradient);
        free(pairs[p].gradient_bar);
        free(pairs[p].order);
        free(pairs[p].dec);
    }
    free(pairs);
}

/* Sets up the pairs: their rows (class s's then t's, each in training
 * order), labels and costs, and for probability the shuffled fold order. */
static dial_status svm_pairs_make(dial_ctx *ctx, const dial_svm_settings *st,
                                  const dial_fit_input *in, svm_pair **out) {
    size_t k = in->n_classes, n = in->n_rows, n_pairs = k * (k - 1) / 2;
    size_t *count = dial_calloc(ctx, k, sizeof *count),
           *start = dial_calloc(ctx, k + 1, sizeof *start);
    size_t *grouped = dial_malloc(ctx, n * sizeof *grouped);
    svm_pair *pairs = dial_calloc(ctx, n_pairs, sizeof *pairs);
    if (!count || !start || !grouped || !pairs) {
        free(count);
        free(start);
        free(grouped);
        free(pairs);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory for %zu pairs of classes",
                         n_pairs);
    }
    for (size_t i = 0; i < n; i++) count[(size_t)in->y[i]]++;
    for (size_t c = 0; c < k; c++) start[c + 1] = start[c] + count[c];
    size_t *fill = dial_calloc(ctx, k, sizeof *fill);
    dial_status status = fill ? DIAL_OK : DIAL_ERR_NOMEM;
    for (size_t i = 0; fill && i < n; i++) {
        size_t c = (size_t)in->y[i];
        grouped[start[c] + fill[c]++] = i;
    }
    free(fill);
    size_t p = 0;
    for (size_t s = 0; s < k && status == DIAL_OK; s++) {
        for (size_t t = s + 1; t < k && status == DIAL_OK; t++, p++) {
            svm_pair *pair = &pairs[p];
            size_t l = count[s] + count[t], m = l ? l : 1;
            double weight_s = 1, weight_t = 1;
            if (st->balanced) {
                weight_s = count[s] ? (double)n / ((double)k * (double)count[s]) : 1;
                weight_t = count[t] ? (double)n / ((double)k * (double)count[t]) : 1;
            }
            *pair = (svm_pair){.s = s,
                               .t = t,
                               .l = l,
                               .n_s = count[s],
                               .c_s = st->c * weight_s,
                               .c_t = st->c * weight_t};
            pair->rows = dial_malloc(ctx, m * sizeof *pair->rows);
            pair->y = dial_malloc(ctx, m * sizeof *pair->y);
            pair->alpha = dial_calloc(ctx, m, sizeof *pair->alpha);
            pair->gradient = dial_malloc(ctx, m * sizeof *pair->gradient);
            pair->gradient_bar = dial_malloc(ctx, m * sizeof *pair->gradient_bar);
            if (st->probability) {
                pair->order = dial_malloc(ctx, m * sizeof *pair->order);
                pair->dec = dial_calloc(ctx, m, sizeof *pair->dec);
            }
            if (!pair->rows || !pair->y || !pair->alpha || !pair->gradient || !pair->gradient_bar ||
                (st->probability && (!pair->order || !pair->dec))) {
                status = DIAL_ERR_NOMEM;
                break;
            }
            memcpy(pair->rows, grouped + start[s], count[s] * sizeof *pair->rows);
            memcpy(pair->rows + count[s], grouped + start[t], count[t] * sizeof *pair->rows);
            for (size_t i = 0; i < l; i++) pair->y[i] = i < count[s] ? 1 : -1;
            if (st->probability) {
                for (size_t i = 0; i < l; i++) pair->order[i] = i;
                dial_rng rng = dial_rng_stream(dial_ctx_seed(ctx), SVM_PLATT_STREAM + p);
                dial_rng_shuffle(&rng, pair->order, l);
            }
        }
    }
    free(count);
    free(start);
    free(grouped);
    if (status != DIAL_OK) {
        svm_pairs_free(pairs, n_pairs);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory for %zu pairs of classes",
                         n_pairs);
    }
    *out = pairs;
    return DIAL_OK;
}

/* Solves every pair (and its Platt folds) on the thread budget. */
static dial_status svm_pairs_solve(dial_ctx *ctx, const dial_svm_settings *st,
                                   const dial_fit_input *in, const dial_svm_gram *gram,
                                   const dial_svm_warm *from, bool keep, svm_pair *pairs,
                                   size_t n_pairs) {
    size_t per_pair = st->probability ? 1 + SVM_PLATT_FOLDS : 1, n_jobs = n_pairs * per_pair;
    svm_job *jobs = dial_calloc(ctx, n_jobs ? n_jobs : 1, sizeof *jobs);
    if (!jobs) return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory for %zu jobs", n_jobs);
    for (size_t p = 0; p < n_pairs; p++) {
        double l = (double)pairs[p].l;
        for (size_t f = 0; f < per_pair; f++) {
            svm_job *job = &jobs[p * per_pair + f];
            job->pair = p;
            job->fold = (int)f - 1;
            /* solves cost about the square of their rows: the largest go
             * first so the threads finish together */
            job->cost = f == 0 ? l * l : 0.64 * l * l;
        }
    }
    qsort(jobs, n_jobs, sizeof *jobs, svm_job_compare);
    int threads = dial_ctx_threads(ctx);
    if ((size_t)threads > n_jobs) threads = (int)(n_jobs ? n_jobs : 1);
    svm_work w = {.settings = st,
                  .x = in->x,
                  .sparse = in->sparse,
                  .d = in->n_features,
                  .gram = gram,
                  .pairs = pairs,
                  .jobs = jobs,
                  .n_jobs = n_jobs,
                  .cache_bytes = st->cache_bytes / (size_t)threads,
                  .from = from,
                  .reuse = from && from->tol <= st->tol,
                  .keep = keep};
    atomic_init(&w.next, 0);
    dial_status status = dial_parallel_for(ctx, threads, (size_t)threads, svm_work_body, &w);
    size_t stopped = 0;
    for (size_t j = 0; j < n_jobs && status == DIAL_OK; j++) {
        if (jobs[j].status != DIAL_OK)
            status = dial_fail(ctx, jobs[j].status,
                               "svm: out of memory solving classes %zu and %zu (%zu rows); "
                               "lower cache_mb",
                               pairs[jobs[j].pair].s, pairs[jobs[j].pair].t, pairs[jobs[j].pair].l);
        stopped += jobs[j].fold < 0 ? pairs[jobs[j].pair].hit_max_iter : jobs[j].hit_max_iter;
    }
    free(jobs);
    if (status == DIAL_OK && stopped)
        dial_log(ctx, DIAL_LOG_WARN,
                 "svm: %zu of %zu solves stopped at max_iter=%ld before reaching tol=%g; raise "
                 "max_iter or tol, or scale the features",
                 stopped, n_jobs, st->max_iter, st->tol);
    if (status == DIAL_OK && st->probability)
        for (size_t p = 0; p < n_pairs; p++) {
            svm_pair *pair = &pairs[p];
            signed char *labels = dial_malloc(ctx, (pair->l ? pair->l : 1) * sizeof *labels);
            double *target = dial_malloc(ctx, (pair->l ? pair->l : 1) * sizeof *target);
            if (!labels || !target) {
                free(labels);
                free(target);
                return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory fitting sigmoids");
            }
            for (size_t q = 0; q < pair->l; q++) labels[q] = pair->y[pair->order[q]];
            if (!dial_svm_platt_fit(pair->dec, labels, pair->l, target, &pair->prob_a,
                                    &pair->prob_b))
                dial_log(ctx, DIAL_LOG_DEBUG,
                         "svm: the sigmoid of classes %zu and %zu stopped early (line search)",
                         pair->s, pair->t);
            free(labels);
            free(target);
        }
    return status;
}

/* ---- the learned tensors ------------------------------------------------------ */

/* Support vectors, their coefficients and the rest from the pairs'
 * solutions. */
static dial_status svm_classifier_tensors(dial_ctx *ctx, const dial_svm_settings *st,
                                          const dial_fit_input *in, const svm_pair *pairs,
                                          size_t n_pairs, dial_tensors *learned) {
    size_t n = in->n_rows, k = in->n_classes;
    size_t *column =
        dial_malloc(ctx, (n ? n : 1) * sizeof *column); /* SV column of a row, or SIZE_MAX */
    if (!column) return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory");
    for (size_t i = 0; i < n; i++) column[i] = SIZE_MAX;
    for (size_t p = 0; p < n_pairs; p++)
        for (size_t q = 0; q < pairs[p].l; q++)
            if (pairs[p].alpha[q] > 0) column[pairs[p].rows[q]] = 0;
    /* columns in class order, each class's rows in training order */
    size_t n_sv = 0, *per_class = dial_calloc(ctx, k, sizeof *per_class);
    if (!per_class) {
        free(column);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory");
    }
    for (size_t c = 0; c < k; c++)
        for (size_t i = 0; i < n; i++)
            if ((size_t)in->y[i] == c && column[i] != SIZE_MAX) {
                column[i] = n_sv++;
                per_class[c]++;
            }
    /* the training row of each vector */
    int64_t *rows = dial_malloc(ctx, (n_sv ? n_sv : 1) * sizeof *rows);
    if (!rows) {
        free(column);
        free(per_class);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory");
    }
    for (size_t i = 0; i < n; i++)
        if (column[i] != SIZE_MAX) rows[column[i]] = (int64_t)i;
    double *coef = NULL, *intercept = NULL, *gamma = NULL;
    int64_t *support = NULL, *n_support = NULL;
    dial_status status = dial_svm_vectors_add(ctx, learned, in, rows, n_sv);
    if (status == DIAL_OK)
        status = dial_svm_tensor_add(ctx, learned, "dual_coef", DIAL_F64, 2, k - 1, n_sv,
                                     (void **)&coef);
    if (status == DIAL_OK)
        status = dial_svm_tensor_add(ctx, learned, "intercept", DIAL_F64, 1, n_pairs, 1,
                                     (void **)&intercept);
    if (status == DIAL_OK)
        status =
            dial_svm_tensor_add(ctx, learned, "n_support", DIAL_I64, 1, k, 1, (void **)&n_support);
    if (status == DIAL_OK)
        status =
            dial_svm_tensor_add(ctx, learned, "support", DIAL_I64, 1, n_sv, 1, (void **)&support);
    if (status == DIAL_OK)
        status = dial_svm_tensor_add(ctx, learned, "gamma", DIAL_F64, 1, 1, 1, (void **)&gamma);
    if (status == DIAL_OK) memcpy(support, rows, n_sv * sizeof *support);
    free(rows);
    if (status != DIAL_OK) {
        free(column);
        free(per_class);
        return status;
    }
    for (size_t c = 0; c < k; c++) n_support[c] = (int64_t)per_class[c];
    free(per_class);
    for (size_t p = 0; p < n_pairs; p++) {
        const svm_pair *pair = &pairs[p];
        for (size_t q = 0; q < pair->l; q++) {
            if (!(pair->alpha[q] > 0)) continue;
            size_t row = q < pair->n_s ? pair->t - 1 : pair->s;
            coef[row * n_sv + column[pair->rows[q]]] = pair->y[q] * pair->alpha[q];
        }
        intercept[p] = -pair->rho;
    }
    *gamma = st->kernel.gamma;
    free(column);
    if (!st->probability) return DIAL_OK;
    double *prob_a = NULL, *prob_b = NULL;
    status = dial_svm_tensor_add(ctx, learned, "probA", DIAL_F64, 1, n_pairs, 1, (void **)&prob_a);
    if (status == DIAL_OK)
        status =
            dial_svm_tensor_add(ctx, learned, "probB", DIAL_F64, 1, n_pairs, 1, (void **)&prob_b);
    for (size_t p = 0; status == DIAL_OK && p < n_pairs; p++) {
        prob_a[p] = pairs[p].prob_a;
        prob_b[p] = pairs[p].prob_b;
    }
    return status;
}

/* ---- the fit -------------------------------------------------------------------- */

/* from: the solution of a smaller C to start from (NULL: cold); to (may be
 * NULL): receives this fit's solution. */
dial_status dial_svm_fit_classifier(dial_ctx *ctx, const dial_svm_settings *st,
                                    const dial_fit_input *in, const dial_svm_gram *gram,
                                    const dial_svm_warm *from, dial_svm_warm **to,
                                    dial_tensors *learned) {
    size_t k = in->n_classes, n_pairs = k * (k - 1) / 2;
    svm_pair *pairs = NULL;
    dial_status status = svm_pairs_make(ctx, st, in, &pairs);
    if (status != DIAL_OK) return status;
    status = svm_pairs_solve(ctx, st, in, gram, from, to != NULL, pairs, n_pairs);
    if (status == DIAL_OK) status = svm_classifier_tensors(ctx, st, in, pairs, n_pairs, learned);
    if (status == DIAL_OK && to) {
        dial_svm_warm *warm = dial_svm_warm_of(ctx, st, n_pairs);
        status = warm ? DIAL_OK : DIAL_ERR_NOMEM;
        for (size_t p = 0; status == DIAL_OK && p < n_pairs; p++) {
            const svm_pair *pair = &pairs[p];
            status = dial_svm_warm_keep(ctx, &warm->parts[p], pair->alpha, pair->gradient,
                                        pair->gradient_bar, pair->y, pair->l, pair->c_s, pair->c_t,
                                        pair->rho, !pair->hit_max_iter);
            warm->iterations += pair->iterations;
            if (status != DIAL_OK) dial_fail(ctx, status, "svm: out of memory keeping a solution");
        }
        if (status == DIAL_OK)
            *to = warm;
        else
            dial_svm_warm_free(warm);
    }
    svm_pairs_free(pairs, n_pairs);
    return status;
}

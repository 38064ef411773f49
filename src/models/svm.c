/*
 * Support vector machines: C-SVC for classification (one-vs-one over every
 * pair of classes, as LIBSVM) and epsilon-SVR for regression, with linear,
 * rbf, poly and sigmoid kernels.
 *
 * Each pair of classes (s, t), s < t, is a two-class C-SVC on the rows of
 * both, class s labelled +1; its dual is solved by SMO (svm_solver.c) over
 * kernel rows from an LRU cache (svm_kernel.c). The pairs are independent
 * and run on up to dial_ctx_threads threads, each with an equal share of
 * cache_mb; a pair's result does not depend on which thread ran it. With
 * probability=true, each pair also gets a Platt sigmoid fitted on decision
 * values from a 5-fold cross-validation inside its rows (svm_platt.c),
 * shuffled by a stream of the context's seed.
 *
 * Prediction: every pair votes (decision > 0: class s, else t); the most
 * votes win and a tie goes to the smallest class index. Probabilities come
 * from the pairs' sigmoids by pairwise coupling; the class predicted is
 * still the vote's.
 *
 * Prepare once, fit many (tuning; see the end of this file): the trials
 * of a fold that agree on the kernel (kernel, gamma, degree, coef0) share
 * its Gram matrix and the kernel of its test rows, so a trial only solves
 * its duals (any C, class_weight, epsilon, tol, ...) and predicts, with no
 * kernel value computed, and gets a full fit's predictions to the bit.
 * The Gram matrix keeps the training rows grouped by class, so that the Q
 * of a pair is copied from two blocks of it. Along increasing C (the
 * tuner's warm chain, predict_fold_warm), each pair starts from the
 * solution of the previous C and one that is still optimal is kept as it
 * is (svm_warm.h); when every pair's is, the model and its predictions are
 * the previous ones.
 *
 * The learned tensors follow LIBSVM's model (and scikit-learn's SVC):
 *   support_vectors [n_sv x n_inputs]  grouped by class, in class order,
 *                                      each class's in training-row order
 *   dual_coef [(n_classes - 1) x n_sv] y alpha of each support vector: for
 *       the pair (s, t), those of class s's vectors are in row t - 1 and
 *       those of class t's in row s. Regression: one row, alpha - alpha*.
 *   intercept [n_pairs]                -rho of each pair, in the order
 *       (0,1), (0,2), ..., (1,2), ...: decision = sum coef K + intercept
 *   n_support (int64) [n_classes]      support vectors per class
 *       (regression: [1], their number)
 *   support (int64) [n_sv]             each vector's training row (0-based)
 *   gamma [1]                          the gamma used (gamma=0 is "scale")
 *   probA, probB [n_pairs]             the sigmoid of each pair, P(s | s or
 *       t) = 1 / (1 + exp(A dec + B)); only with probability=true
 */
#include <math.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dial/model.h"
#include "models/family_tuning.h"
#include "models/learned_check.h"
#include "models/svm_kernel.h"
#include "models/svm_platt.h"
#include "models/svm_solver.h"
#include "models/svm_vector.h"
#include "models/svm_warm.h"

static const char *const svm_kernel_choices[] = {"linear", "rbf", "poly", "sigmoid", NULL};
static const char *const svm_class_weight_choices[] = {"none", "balanced", NULL};

/* Scaling: standard. The LIBSVM guide scales each feature linearly to
 * [-1, 1] (or [0, 1]) and gamma's default "scale" (1 / (n_features x
 * variance), scikit-learn's) adapts to either; standardised features make
 * every feature count the same whatever its units and outliers, and make
 * gamma=scale 1 / n_features, the classic default. For LIBSVM's own
 * figures, use scale=minmax with 4 gamma ([0, 1] is [-1, 1] halved, and
 * rbf sees |x - z|^2) or pre-scaled data with scale=none. */
static const dial_knob_spec svm_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "C",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .upper_open = true,
     .has_search_range = true,
     .search_low = 0.03125,
     .search_high = 32768,
     .log_scale = true,
     .condition = "",
     .doc = "cost of a margin violation: larger C fits the training rows more closely (searched "
            "2^-5..2^15 on a log scale: Hsu, Chang and Lin, A Practical Guide to Support "
            "Vector Classification)"},
    {.name = "kernel",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "rbf",
     .choices = svm_kernel_choices,
     .condition = "",
     .doc = "similarity of two rows: linear x.z, rbf exp(-gamma |x-z|^2), poly (gamma x.z + "
            "coef0)^degree, sigmoid tanh(gamma x.z + coef0)"},
    {.name = "gamma",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "scale",
     .special_word = "scale",
     .special_value = 0,
     .lower = 0,
     .upper = INFINITY,
     .upper_open = true,
     .has_search_range = true,
     .search_low = 3.0517578125e-05,
     .search_high = 8,
     .log_scale = true,
     .condition = "kernel=rbf|poly|sigmoid",
     .doc = "kernel width; 'scale' (or 0) is 1 / (n_inputs x variance of the preprocessed "
            "training matrix), scikit-learn's default (searched 2^-15..2^3 on a log scale: Hsu, "
            "Chang and Lin, A Practical Guide to Support Vector Classification)"},
    {.name = "degree",
     .type = DIAL_KNOB_INT,
     .default_text = "3",
     .lower = 1,
     .upper = 100,
     .has_search_range = true,
     .search_low = 2,
     .search_high = 5,
     .condition = "kernel=poly",
     .doc = "power of the polynomial kernel"},
    {.name = "coef0",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = -INFINITY,
     .lower_open = true,
     .upper = INFINITY,
     .upper_open = true,
     .condition = "kernel=poly|sigmoid",
     .doc = "constant added inside the polynomial and sigmoid kernels"},
    {.name = "epsilon",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0.1",
     .lower = 0,
     .upper = INFINITY,
     .upper_open = true,
     .condition = "",
     .doc = "regression only (ignored for classification): errors smaller than epsilon, in the "
            "target's units, cost nothing (no default search range, as it depends on those "
            "units)"},
    {.name = "class_weight",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "none",
     .choices = svm_class_weight_choices,
     .condition = "",
     .doc = "classification only: C of each class times none (1) or balanced (n / (n_classes x "
            "class count), as scikit-learn's)"},
    {.name = "tol",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1e-3",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .upper_open = true,
     .condition = "",
     .doc = "stop when the largest violation of the optimality conditions is below tol "
            "(LIBSVM's -e, default 1e-3)"},
    {.name = "shrinking",
     .type = DIAL_KNOB_BOOL,
     .default_text = "true",
     .condition = "",
     .doc = "set aside rows stuck at a bound during the solve (faster, same solution)"},
    {.name = "cache_mb",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "200",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .upper_open = true,
     .condition = "",
     .doc = "memory for cached kernel rows, in MiB, shared by the pairs solved at once"},
    {.name = "probability",
     .type = DIAL_KNOB_BOOL,
     .default_text = "false",
     .condition = "",
     .doc = "classification only: fit Platt sigmoids on a 5-fold cross-validation inside each "
            "pair (about 5 more fits) so that the model gives class probabilities"},
    {.name = "max_iter",
     .type = DIAL_KNOB_INT,
     .default_text = "10000000",
     .lower = 1,
     .upper = INFINITY,
     .upper_open = true,
     .condition = "",
     .doc = "most SMO iterations per solve (LIBSVM's cap, 10^7); a warning tells when reached"},
};

static const dial_param_doc svm_params[] = {
    {"support_vectors", "n_sv x n_inputs",
     "the training rows with a nonzero dual coefficient, grouped by class in class order"},
    {"dual_coef", "(n_classes - 1) x n_sv (1 x n_sv for regression)",
     "y alpha of each support vector, LIBSVM's layout: for the pair (s, t) class s's in row t-1, "
     "class t's in row s; regression: alpha - alpha*"},
    {"intercept", "n_classes (n_classes - 1) / 2 (1 for regression)",
     "-rho of each pair (0,1), (0,2), ..., (1,2), ...: decision = sum coef K(sv, x) + intercept"},
    {"n_support", "n_classes (1 for regression), int64", "number of support vectors per class"},
    {"support", "n_sv, int64", "training row (0-based) of each support vector"},
    {"gamma", "1", "the kernel's gamma as used (the value of 'scale' when gamma=0)"},
    {"probA", "n_classes (n_classes - 1) / 2, with probability=true",
     "slope A of each pair's sigmoid P(s | s or t) = 1 / (1 + exp(A dec + B))"},
    {"probB", "n_classes (n_classes - 1) / 2, with probability=true",
     "offset B of each pair's sigmoid"},
};

#define SVM_PLATT_FOLDS 5
#define SVM_PLATT_STREAM UINT64_C(0x73766d0000000000) /* "svm" */
#define SVM_PREDICT_BLOCK 64                          /* rows per unit of parallel work */
#define SVM_QUERY_ROWS 8 /* rows whose kernel values are computed together */
#define SVM_PROBABILITY_FLOOR 1e-7

typedef struct svm_settings {
    dial_svm_kernel kernel;
    double c, epsilon, tol;
    bool balanced, shrinking, probability;
    size_t cache_bytes;
    long max_iter;
} svm_settings;

static dial_svm_kernel_type svm_kernel_type(const char *name) {
    if (strcmp(name, "linear") == 0) return DIAL_SVM_LINEAR;
    if (strcmp(name, "poly") == 0) return DIAL_SVM_POLY;
    if (strcmp(name, "sigmoid") == 0) return DIAL_SVM_SIGMOID;
    return DIAL_SVM_RBF;
}

/* The kernel of the knobs, gamma aside (it may depend on the data). */
static dial_svm_kernel svm_kernel_of(const dial_knobs *knobs) {
    return (dial_svm_kernel){.type = svm_kernel_type(dial_knobs_choice(knobs, "kernel")),
                             .coef0 = dial_knobs_float(knobs, "coef0"),
                             .degree = (int)dial_knobs_int(knobs, "degree")};
}

/* scikit-learn's gamma='scale': 1 / (n_inputs x the variance of every
 * entry of the matrix), or 1 when that variance is 0. */
static double svm_gamma_scale(const dial_fit_input *in) {
    size_t count = in->n_rows * in->n_features;
    if (count == 0) return 1;
    double sum = 0;
    for (size_t k = 0; k < count; k++) sum += in->x[k];
    double mean = sum / (double)count, squares = 0;
    for (size_t k = 0; k < count; k++) squares += (in->x[k] - mean) * (in->x[k] - mean);
    double variance = squares / (double)count;
    return variance > 0 ? 1 / ((double)in->n_features * variance) : 1;
}

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
static float *svm_room_for(svm_room *room, const dial_svm_gram *gram, size_t l,
                           size_t cache_bytes) {
    double floats = (double)l * (double)l;
    if (!room || !gram || floats * sizeof(float) > (double)cache_bytes) return NULL;
    if (room->size < l * l) {
        free(room->data);
        room->data = malloc((l ? l * l : 1) * sizeof *room->data);
        room->size = room->data ? l * l : 0;
    }
    return room->data;
}

/* A C-SVC on the l rows `rows` of x: alpha (l) and rho of its solution,
 * from alpha as it is when start (its gradient and G_bar, l each, the
 * latter may be NULL) is not NULL, else from zeros; the gradient and G_bar
 * at the solution into kept (may be NULL). With gram (the kernel of every
 * row of x), no kernel value is computed; room (may be NULL) lends the
 * memory for its Q. */
static dial_status svm_solve_classes(const svm_settings *st, const double *x, size_t d,
                                     const dial_svm_gram *gram, const size_t *rows,
                                     const signed char *y, size_t l, double c_pos, double c_neg,
                                     size_t cache_bytes, svm_room *room, double *alpha,
                                     const double *const *start, double *const *kept, double *rho,
                                     bool *hit_max_iter, long *iterations) {
    size_t n = l ? l : 1;
    dial_svm_matrix *matrix =
        gram ? dial_svm_matrix_svc_gram(gram, rows, l, y, cache_bytes,
                                        svm_room_for(room, gram, l, cache_bytes))
             : dial_svm_matrix_svc(&st->kernel, x, d, rows, l, y, cache_bytes);
    double *p = malloc(n * sizeof *p), *upper = malloc(n * sizeof *upper);
    dial_status status = DIAL_ERR_NOMEM;
    if (matrix && p && upper) {
        for (size_t i = 0; i < l; i++) {
            p[i] = -1;
            upper[i] = y[i] > 0 ? c_pos : c_neg;
            if (!start) alpha[i] = 0;
        }
        dial_svm_dual dual = {.l = l,
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
    const svm_settings *settings;
    const double *x;
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
static dial_status svm_decisions(const svm_settings *st, const double *x, size_t d,
                                 const size_t *rows, const signed char *y, const double *alpha,
                                 size_t l, double rho, const size_t *test, size_t n_test,
                                 double *dec) {
    size_t n_sv = 0;
    for (size_t i = 0; i < l; i++) n_sv += alpha[i] > 0;
    size_t m = n_sv ? n_sv : 1, width = d ? d : 1;
    double *sv = malloc(m * width * sizeof *sv), *svt = malloc(m * width * sizeof *svt);
    double *coef = malloc(m * sizeof *coef), *norms = malloc(m * sizeof *norms);
    double *values = malloc(SVM_QUERY_ROWS * m * sizeof *values);
    double *query = malloc(SVM_QUERY_ROWS * width * sizeof *query);
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
    size_t *train = malloc(n * sizeof *train), *test = malloc(n * sizeof *test);
    signed char *y = malloc(n * sizeof *y);
    double *alpha = malloc(n * sizeof *alpha);
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
            status = svm_solve_classes(w->settings, w->x, w->d, w->gram, train, y, n_train,
                                       pair->c_s, pair->c_t, w->cache_bytes, room, alpha, NULL,
                                       NULL, &rho, hit_max_iter, iterations);
            if (status == DIAL_OK)
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
        linear = malloc(n * sizeof *linear);
        start[0] = malloc(n * sizeof *start[0]);
        start[1] = malloc(n * sizeof *start[1]);
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
        status = svm_solve_classes(
            w->settings, w->x, w->d, w->gram, pair->rows, pair->y, l, pair->c_s, pair->c_t,
            w->cache_bytes, room, pair->alpha, warm ? (const double *const *)start : NULL,
            w->keep ? kept : NULL, &pair->rho, &pair->hit_max_iter, &pair->iterations);
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
static dial_status svm_pairs_make(dial_ctx *ctx, const svm_settings *st, const dial_fit_input *in,
                                  svm_pair **out) {
    size_t k = in->n_classes, n = in->n_rows, n_pairs = k * (k - 1) / 2;
    size_t *count = calloc(k, sizeof *count), *start = calloc(k + 1, sizeof *start);
    size_t *grouped = malloc(n * sizeof *grouped);
    svm_pair *pairs = calloc(n_pairs, sizeof *pairs);
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
    size_t *fill = calloc(k, sizeof *fill);
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
            pair->rows = malloc(m * sizeof *pair->rows);
            pair->y = malloc(m * sizeof *pair->y);
            pair->alpha = calloc(m, sizeof *pair->alpha);
            pair->gradient = malloc(m * sizeof *pair->gradient);
            pair->gradient_bar = malloc(m * sizeof *pair->gradient_bar);
            if (st->probability) {
                pair->order = malloc(m * sizeof *pair->order);
                pair->dec = calloc(m, sizeof *pair->dec);
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
static dial_status svm_pairs_solve(dial_ctx *ctx, const svm_settings *st, const dial_fit_input *in,
                                   const dial_svm_gram *gram, const dial_svm_warm *from, bool keep,
                                   svm_pair *pairs, size_t n_pairs) {
    size_t per_pair = st->probability ? 1 + SVM_PLATT_FOLDS : 1, n_jobs = n_pairs * per_pair;
    svm_job *jobs = calloc(n_jobs ? n_jobs : 1, sizeof *jobs);
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
            signed char *labels = malloc((pair->l ? pair->l : 1) * sizeof *labels);
            if (!labels)
                return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory fitting sigmoids");
            for (size_t q = 0; q < pair->l; q++) labels[q] = pair->y[pair->order[q]];
            if (!dial_svm_platt_fit(pair->dec, labels, pair->l, &pair->prob_a, &pair->prob_b))
                dial_log(ctx, DIAL_LOG_DEBUG,
                         "svm: the sigmoid of classes %zu and %zu stopped early (line search)",
                         pair->s, pair->t);
            free(labels);
        }
    return status;
}

/* ---- the learned tensors ------------------------------------------------------ */

static dial_status svm_add(dial_ctx *ctx, dial_tensors *learned, const char *name, dial_dtype dtype,
                           int ndim, size_t rows, size_t cols, void **data) {
    size_t shape[2] = {rows, cols};
    return dial_tensors_add(ctx, learned, name, dtype, ndim, shape, data);
}

/* Support vectors, their coefficients and the rest from the pairs'
 * solutions. */
static dial_status svm_classifier_tensors(dial_ctx *ctx, const svm_settings *st,
                                          const dial_fit_input *in, const svm_pair *pairs,
                                          size_t n_pairs, dial_tensors *learned) {
    size_t n = in->n_rows, d = in->n_features, k = in->n_classes;
    size_t *column = malloc((n ? n : 1) * sizeof *column); /* SV column of a row, or SIZE_MAX */
    if (!column) return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory");
    for (size_t i = 0; i < n; i++) column[i] = SIZE_MAX;
    for (size_t p = 0; p < n_pairs; p++)
        for (size_t q = 0; q < pairs[p].l; q++)
            if (pairs[p].alpha[q] > 0) column[pairs[p].rows[q]] = 0;
    /* columns in class order, each class's rows in training order */
    size_t n_sv = 0, *per_class = calloc(k, sizeof *per_class);
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
    double *sv = NULL, *coef = NULL, *intercept = NULL, *gamma = NULL;
    int64_t *support = NULL, *n_support = NULL;
    dial_status status =
        svm_add(ctx, learned, "support_vectors", DIAL_F64, 2, n_sv, d, (void **)&sv);
    if (status == DIAL_OK)
        status = svm_add(ctx, learned, "dual_coef", DIAL_F64, 2, k - 1, n_sv, (void **)&coef);
    if (status == DIAL_OK)
        status = svm_add(ctx, learned, "intercept", DIAL_F64, 1, n_pairs, 1, (void **)&intercept);
    if (status == DIAL_OK)
        status = svm_add(ctx, learned, "n_support", DIAL_I64, 1, k, 1, (void **)&n_support);
    if (status == DIAL_OK)
        status = svm_add(ctx, learned, "support", DIAL_I64, 1, n_sv, 1, (void **)&support);
    if (status == DIAL_OK)
        status = svm_add(ctx, learned, "gamma", DIAL_F64, 1, 1, 1, (void **)&gamma);
    if (status != DIAL_OK) {
        free(column);
        free(per_class);
        return status;
    }
    for (size_t c = 0; c < k; c++) n_support[c] = (int64_t)per_class[c];
    free(per_class);
    for (size_t i = 0; i < n; i++) {
        if (column[i] == SIZE_MAX) continue;
        memcpy(sv + column[i] * d, in->x + i * d, d * sizeof *sv);
        support[column[i]] = (int64_t)i;
    }
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
    status = svm_add(ctx, learned, "probA", DIAL_F64, 1, n_pairs, 1, (void **)&prob_a);
    if (status == DIAL_OK)
        status = svm_add(ctx, learned, "probB", DIAL_F64, 1, n_pairs, 1, (void **)&prob_b);
    for (size_t p = 0; status == DIAL_OK && p < n_pairs; p++) {
        prob_a[p] = pairs[p].prob_a;
        prob_b[p] = pairs[p].prob_b;
    }
    return status;
}

static dial_status svm_check_finite(dial_ctx *ctx, const dial_tensors *learned) {
    static const char *const names[] = {"dual_coef", "intercept", "probA", "probB"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++) {
        const dial_tensor *t = dial_tensors_find(learned, names[k]);
        if (!t) continue;
        const double *v = t->data;
        for (size_t i = 0; i < dial_tensor_size(t); i++)
            if (!isfinite(v[i]))
                return dial_fail(ctx, DIAL_ERR_NUMERIC,
                                 "svm: the fit gave a non-finite %s; scale the features or "
                                 "lower gamma, degree or C",
                                 names[k]);
    }
    return DIAL_OK;
}

/* ---- fit ------------------------------------------------------------------------ */

/* A solution to start the next C from (see svm_warm.h), or NULL when out
 * of memory. */
static dial_svm_warm *svm_warm_of(dial_ctx *ctx, const svm_settings *st, size_t n_parts) {
    dial_svm_warm *warm = dial_svm_warm_new(n_parts);
    if (!warm) {
        dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory keeping a solution");
        return NULL;
    }
    warm->c = st->c;
    warm->epsilon = st->epsilon;
    warm->tol = st->tol;
    warm->balanced = st->balanced;
    return warm;
}

/* from: the solution of a smaller C to start from (NULL: cold); to (may be
 * NULL): receives this fit's solution. */
static dial_status svm_fit_classifier(dial_ctx *ctx, const svm_settings *st,
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
        dial_svm_warm *warm = svm_warm_of(ctx, st, n_pairs);
        status = warm ? DIAL_OK : DIAL_ERR_NOMEM;
        for (size_t p = 0; status == DIAL_OK && p < n_pairs; p++) {
            const svm_pair *pair = &pairs[p];
            status = dial_svm_warm_keep(&warm->parts[p], pair->alpha, pair->gradient,
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

/* epsilon-SVR: variables i (alpha) and i + l (alpha*) of row i, with
 * p = epsilon - y_i and epsilon + y_i, labels +1 and -1. */
static dial_status svm_fit_regressor(dial_ctx *ctx, const svm_settings *st,
                                     const dial_fit_input *in, const dial_svm_gram *gram,
                                     const dial_svm_warm *from, dial_svm_warm **to,
                                     dial_tensors *learned) {
    size_t l = in->n_rows, d = in->n_features, n = 2 * l;
    dial_svm_matrix *matrix = gram ? dial_svm_matrix_svr_gram(gram)
                                   : dial_svm_matrix_svr(&st->kernel, in->x, d, l, st->cache_bytes);
    double *p = malloc(n * sizeof *p), *upper = malloc(n * sizeof *upper);
    double *alpha = calloc(n, sizeof *alpha);
    double *start = malloc(n * sizeof *start), *gradient = malloc(n * sizeof *gradient);
    double *start_bar = malloc(n * sizeof *start_bar), *bar = malloc(n * sizeof *bar);
    signed char *y = malloc(n * sizeof *y);
    dial_status status = DIAL_OK;
    dial_svm_dual_result result = {0};
    if (!matrix || !p || !upper || !alpha || !start || !gradient || !start_bar || !bar || !y) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory fitting %zu x %zu", l, d);
    } else {
        for (size_t i = 0; i < l; i++) {
            p[i] = st->epsilon - in->y[i];
            p[i + l] = st->epsilon + in->y[i];
            y[i] = 1;
            y[i + l] = -1;
            upper[i] = upper[i + l] = st->c;
        }
        dial_svm_dual dual = {.l = n,
                              .p = p,
                              .y = y,
                              .upper = upper,
                              .eps = st->tol,
                              .max_iter = st->max_iter,
                              .shrinking = st->shrinking,
                              .gradient_out = to ? gradient : NULL,
                              .gradient_bar_out = to ? bar : NULL};
        /* the kept gradient is that of the same linear term (epsilon) */
        const dial_svm_warm_part *part =
            from && from->n_parts == 1 && from->epsilon == st->epsilon ? &from->parts[0] : NULL;
        bool optimal = false, bar_valid = false;
        if (dial_svm_warm_start(part, y, p, n, st->c, st->c, alpha, start, start_bar, &bar_valid,
                                &optimal)) {
            dual.gradient = start;
            dual.gradient_bar = bar_valid ? start_bar : NULL;
        }
        if (optimal && from->tol <= st->tol) {
            result.rho = part->rho;
            memcpy(gradient, part->gradient, n * sizeof *gradient);
            memcpy(bar, part->gradient_bar, n * sizeof *bar);
        } else {
            status = dial_svm_dual_solve(&dual, dial_svm_matrix_q(matrix), alpha, &result);
        }
        if (status != DIAL_OK)
            status =
                dial_fail(ctx, status, "svm: out of memory solving %zu rows; lower cache_mb", l);
        if (status == DIAL_OK && to) {
            dial_svm_warm *warm = svm_warm_of(ctx, st, 1);
            status = warm ? dial_svm_warm_keep(&warm->parts[0], alpha, gradient, bar, y, n, st->c,
                                               st->c, result.rho, !result.hit_max_iter)
                          : DIAL_ERR_NOMEM;
            if (status == DIAL_OK) {
                warm->iterations = result.iterations;
                *to = warm;
            } else {
                dial_svm_warm_free(warm);
                dial_fail(ctx, status, "svm: out of memory keeping a solution");
            }
        }
    }
    dial_svm_matrix_free(matrix);
    free(p);
    free(upper);
    free(y);
    free(start);
    free(gradient);
    free(start_bar);
    free(bar);
    if (status == DIAL_OK && result.hit_max_iter)
        dial_log(ctx, DIAL_LOG_WARN,
                 "svm: the solve stopped at max_iter=%ld before reaching tol=%g; raise max_iter "
                 "or tol, or scale the features",
                 st->max_iter, st->tol);
    size_t n_sv = 0;
    for (size_t i = 0; status == DIAL_OK && i < l; i++) n_sv += alpha[i] - alpha[i + l] != 0;
    double *sv = NULL, *coef = NULL, *intercept = NULL, *gamma = NULL;
    int64_t *support = NULL, *n_support = NULL;
    if (status == DIAL_OK)
        status = svm_add(ctx, learned, "support_vectors", DIAL_F64, 2, n_sv, d, (void **)&sv);
    if (status == DIAL_OK)
        status = svm_add(ctx, learned, "dual_coef", DIAL_F64, 2, 1, n_sv, (void **)&coef);
    if (status == DIAL_OK)
        status = svm_add(ctx, learned, "intercept", DIAL_F64, 1, 1, 1, (void **)&intercept);
    if (status == DIAL_OK)
        status = svm_add(ctx, learned, "n_support", DIAL_I64, 1, 1, 1, (void **)&n_support);
    if (status == DIAL_OK)
        status = svm_add(ctx, learned, "support", DIAL_I64, 1, n_sv, 1, (void **)&support);
    if (status == DIAL_OK)
        status = svm_add(ctx, learned, "gamma", DIAL_F64, 1, 1, 1, (void **)&gamma);
    if (status == DIAL_OK) {
        size_t v = 0;
        for (size_t i = 0; i < l; i++) {
            double c = alpha[i] - alpha[i + l];
            if (c == 0) continue;
            memcpy(sv + v * d, in->x + i * d, d * sizeof *sv);
            coef[v] = c;
            support[v++] = (int64_t)i;
        }
        *intercept = -result.rho;
        *n_support = (int64_t)n_sv;
        *gamma = st->kernel.gamma;
    }
    free(alpha);
    return status;
}

/* The settings of the knobs for the training matrix in (gamma=scale
 * resolved on it). */
static svm_settings svm_settings_of(const dial_knobs *knobs, const dial_fit_input *in) {
    svm_settings st = {.kernel = svm_kernel_of(knobs),
                       .c = dial_knobs_float(knobs, "C"),
                       .epsilon = dial_knobs_float(knobs, "epsilon"),
                       .tol = dial_knobs_float(knobs, "tol"),
                       .balanced =
                           strcmp(dial_knobs_choice(knobs, "class_weight"), "balanced") == 0,
                       .shrinking = dial_knobs_bool(knobs, "shrinking"),
                       .probability = dial_knobs_bool(knobs, "probability") &&
                                      in->task == DIAL_TASK_CLASSIFICATION,
                       .max_iter = dial_knobs_int(knobs, "max_iter")};
    double gamma = dial_knobs_float(knobs, "gamma");
    st.kernel.gamma = gamma > 0 ? gamma : svm_gamma_scale(in);
    double cache = dial_knobs_float(knobs, "cache_mb") * 1048576.0;
    st.cache_bytes = cache < (double)(SIZE_MAX / 2) ? (size_t)cache : SIZE_MAX / 2;
    return st;
}

/* Fits on in, reading the kernel values from gram (the Gram matrix of
 * in's rows under the knobs' kernel) when it is not NULL, starting from
 * the solution from when not NULL and keeping this one in *to when to is
 * not NULL. */
static dial_status svm_fit_with(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                                const dial_svm_gram *gram, const dial_svm_warm *from,
                                dial_svm_warm **to, dial_tensors *learned) {
    if (in->task != DIAL_TASK_CLASSIFICATION && in->task != DIAL_TASK_REGRESSION)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "svm does classification or regression, not %s",
                         dial_task_name(in->task));
    if (in->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "svm: no training rows to fit on");
    if (in->task == DIAL_TASK_CLASSIFICATION) {
        if (in->n_classes < 2)
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "svm needs at least 2 classes in the target, found %zu",
                             in->n_classes);
        for (size_t i = 0; i < in->n_rows; i++) {
            double label = in->y[i];
            if (!(label >= 0 && label < (double)in->n_classes && label == floor(label)))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "svm: target of row %zu is %g, expected a class index in 0..%zu",
                                 i + 1, label, in->n_classes - 1);
        }
    } else {
        for (size_t i = 0; i < in->n_rows; i++)
            if (!isfinite(in->y[i]))
                return dial_fail(ctx, DIAL_ERR_DATA, "svm: target of row %zu is %g", i + 1,
                                 in->y[i]);
    }
    svm_settings st = svm_settings_of(knobs, in);
    dial_status status = in->task == DIAL_TASK_CLASSIFICATION
                             ? svm_fit_classifier(ctx, &st, in, gram, from, to, learned)
                             : svm_fit_regressor(ctx, &st, in, gram, from, to, learned);
    if (status == DIAL_OK) status = svm_check_finite(ctx, learned);
    return status;
}

static dial_status svm_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                           dial_tensors *learned) {
    return svm_fit_with(ctx, knobs, in, NULL, NULL, NULL, learned);
}

/* ---- predict ---------------------------------------------------------------------- */

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

typedef struct svm_model {
    dial_svm_kernel kernel;
    size_t n_classes, n_pairs, n_sv, d;
    bool regression;
    const double *sv, *coef, *intercept, *prob_a, *prob_b;
    size_t *first; /* n_classes + 1: each class's first support vector */
    double *sv_norms;
    double *svt; /* the support vectors kept by columns (d x n_sv) */
} svm_model;

static void svm_model_free(svm_model *m) {
    free(m->first);
    free(m->sv_norms);
    free(m->svt);
    m->first = NULL;
    m->sv_norms = m->svt = NULL;
}

/* Reads and checks the tensors; with_vectors: also lays the support
 * vectors out for computing kernel values. */
static dial_status svm_model_read(dial_ctx *ctx, const dial_knobs *knobs,
                                  const dial_tensors *learned, const dial_fit_input *in,
                                  bool want_proba, bool with_vectors, svm_model *m) {
    *m = (svm_model){.kernel = svm_kernel_of(knobs),
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
    dial_status status =
        svm_tensor(ctx, learned, "support_vectors", DIAL_F64, 2, m->n_sv, m->d, &data);
    m->sv = data;
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
    m->first = calloc(k + 1, sizeof *m->first);
    m->sv_norms = malloc((m->n_sv ? m->n_sv : 1) * sizeof *m->sv_norms);
    m->svt = malloc((m->n_sv ? m->n_sv : 1) * (m->d ? m->d : 1) * sizeof *m->svt);
    if (!m->first || !m->sv_norms || !m->svt) {
        svm_model_free(m);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory predicting");
    }
    uint64_t total = 0;
    for (size_t c = 0; c < k; c++) {
        if (n_support[c] < 0 || (uint64_t)n_support[c] > m->n_sv - total) {
            svm_model_free(m);
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "svm model tensor 'n_support' is inconsistent: class %zu has %lld "
                             "support vectors, but only %zu are left of %zu",
                             c, (long long)n_support[c], m->n_sv - (size_t)total, m->n_sv);
        }
        total += (uint64_t)n_support[c];
        m->first[c + 1] = (size_t)total;
    }
    if (total != m->n_sv) {
        svm_model_free(m);
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "svm model tensor 'n_support' adds up to %llu support vectors, but "
                         "'support_vectors' has %zu",
                         (unsigned long long)total, m->n_sv);
    }
    if (!with_vectors) return DIAL_OK;
    dial_svm_kernel_norms(m->sv, m->n_sv, m->d, m->sv_norms);
    dial_svm_transpose(m->sv, m->n_sv, m->d, m->svt);
    return DIAL_OK;
}

typedef struct svm_scorer {
    const svm_model *m;
    const double *x;
    size_t n;
    /* prepared fold: the kernel of every row against every training row
     * (n x n_train) and each support vector's training row, read instead
     * of computing values from x */
    const double *kernel;
    size_t n_train;
    const int64_t *support;
    dial_predict_output *out;
    double *scratch; /* per worker */
    size_t scratch_size;
} svm_scorer;

/* out[v] = from[index[v]], n entries (the compiler's vector gathers). */
SVM_VECTOR_CLONES static void svm_gather(double *restrict out, const double *restrict from,
                                         const int64_t *restrict index, size_t n) {
    for (size_t v = 0; v < n; v++) out[v] = from[index[v]];
}

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
static void svm_classify_row(const svm_model *m, const double *values, double *work, double *value,
                             double *proba) {
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

static dial_status svm_score_blocks(void *arg, size_t begin, size_t end, int worker) {
    svm_scorer *sc = arg;
    const svm_model *m = sc->m;
    size_t d = m->d, n_sv = m->n_sv, k = m->n_classes;
    double *values = sc->scratch + (size_t)worker * sc->scratch_size;
    double *work = values + SVM_QUERY_ROWS * (n_sv ? n_sv : 1);
    size_t first = begin * SVM_PREDICT_BLOCK;
    size_t last = end * SVM_PREDICT_BLOCK < sc->n ? end * SVM_PREDICT_BLOCK : sc->n;
    for (size_t i = first; i < last; i += SVM_QUERY_ROWS) {
        size_t count = last - i < SVM_QUERY_ROWS ? last - i : SVM_QUERY_ROWS;
        if (sc->kernel) {
            for (size_t r = 0; r < count; r++) {
                const double *from = sc->kernel + (i + r) * sc->n_train;
                svm_gather(values + r * n_sv, from, sc->support, n_sv);
            }
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

/* Predicts the rows of in; with kernel (in's rows against the n_train
 * training rows), from those values: a prepared fold. */
static dial_status svm_predict_with(dial_ctx *ctx, const dial_knobs *knobs,
                                    const dial_tensors *learned, const dial_fit_input *in,
                                    const double *kernel, size_t n_train,
                                    dial_predict_output *out) {
    bool want_proba = out->proba != NULL && in->task == DIAL_TASK_CLASSIFICATION;
    svm_model m;
    /* a prepared fold reads kernel values: the vectors' layout is not needed */
    dial_status status = svm_model_read(ctx, knobs, learned, in, want_proba, kernel == NULL, &m);
    if (status != DIAL_OK) return status;
    size_t blocks = (in->n_rows + SVM_PREDICT_BLOCK - 1) / SVM_PREDICT_BLOCK;
    int threads = dial_ctx_threads(ctx);
    if ((size_t)threads > blocks) threads = (int)(blocks ? blocks : 1);
    size_t k = m.n_classes;
    /* kernel values of SVM_QUERY_ROWS rows, then svm_classify_row's work */
    size_t scratch_size = SVM_QUERY_ROWS * (m.n_sv ? m.n_sv : 1) + SVM_CLASSIFY_WORK(k);
    svm_scorer sc = {.m = &m,
                     .x = in->x,
                     .n = in->n_rows,
                     .kernel = kernel,
                     .n_train = n_train,
                     .out = out,
                     .scratch_size = scratch_size};
    if (kernel) {
        const void *support = NULL;
        status = svm_tensor(ctx, learned, "support", DIAL_I64, 1, m.n_sv, 1, &support);
        sc.support = support;
        for (size_t v = 0; status == DIAL_OK && v < m.n_sv; v++)
            if (sc.support[v] < 0 || (uint64_t)sc.support[v] >= n_train)
                status = dial_fail(ctx, DIAL_ERR_FORMAT,
                                   "svm model tensor 'support' names row %lld of %zu",
                                   (long long)sc.support[v], n_train);
        if (status != DIAL_OK) {
            svm_model_free(&m);
            return status;
        }
    }
    sc.scratch = malloc((size_t)threads * scratch_size * sizeof *sc.scratch);
    if (!sc.scratch) {
        status =
            dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory predicting %zu rows", in->n_rows);
    } else {
        dial_predict_output target = {.value = out->value, .proba = want_proba ? out->proba : NULL};
        sc.out = &target;
        status = dial_parallel_for(ctx, threads, blocks, svm_score_blocks, &sc);
    }
    free(sc.scratch);
    svm_model_free(&m);
    return status;
}

static dial_status svm_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                               const dial_fit_input *in, dial_predict_output *out) {
    return svm_predict_with(ctx, knobs, learned, in, NULL, 0, out);
}

/* A model file's tensors: the shapes and counts predict checks, the
 * probability tensors when the model was fitted with probability=true, and
 * every value finite (a NaN weight would give one class for every row). */
static dial_status svm_validate(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in) {
    bool with_proba = in->task == DIAL_TASK_CLASSIFICATION && dial_knobs_bool(knobs, "probability");
    svm_model m;
    dial_status status = svm_model_read(ctx, knobs, learned, in, with_proba, false, &m);
    if (status != DIAL_OK) return status;
    svm_model_free(&m);
    static const char *const names[] = {"support_vectors", "dual_coef", "intercept", "probA",
                                        "probB"};
    for (size_t k = 0; k < sizeof names / sizeof names[0] && status == DIAL_OK; k++) {
        const dial_tensor *t = dial_tensors_find(learned, names[k]);
        if (t) status = dial_learned_check_finite(ctx, "svm", t);
    }
    return status;
}

/* ---- prepare once, fit many ---------------------------------------------------
 * What a fold's trials share when they agree on the kernel: the Gram
 * matrix of the training rows and the kernel of every test row against
 * every training row. predict_fold then solves the trial's duals from the
 * Gram matrix (its C, class_weight, epsilon, tol, ... are free) and scores
 * the test rows from the test kernel: no kernel value is computed per
 * trial. Both hold each value as a full fit computes it, so the model and
 * its predictions are a full fit's to the bit. */

/* Gram matrix and test kernel together; a fold needing more is fitted in
 * full (for digits' 5 folds, 12 MB each). */
#define SVM_PREPARE_MAX_BYTES (512.0 * 1048576.0)

static const char *const svm_prepare_knobs[] = {"kernel", "gamma", "degree", "coef0", NULL};

typedef struct svm_fold {
    dial_fit_input train, test; /* borrowed: the tuner keeps them alive */
    dial_svm_gram *gram;
    double *test_kernel; /* n_test x n_train */
} svm_fold;

static void svm_free_fold(void *state) {
    svm_fold *fold = state;
    if (!fold) return;
    dial_svm_gram_free(fold->gram);
    free(fold->test_kernel);
    free(fold);
}

static bool svm_same_kernel(const dial_svm_kernel *a, const dial_svm_kernel *b) {
    if (a->type != b->type) return false;
    if (a->type == DIAL_SVM_LINEAR) return true;
    if (a->gamma != b->gamma) return false;
    if (a->type == DIAL_SVM_RBF) return true;
    return a->coef0 == b->coef0 && (a->type != DIAL_SVM_POLY || a->degree == b->degree);
}

/* The training rows grouped by class, in class order, each class's in
 * training order (NULL for regression, or when out of memory). */
static size_t *svm_class_order(const dial_fit_input *train) {
    if (train->task != DIAL_TASK_CLASSIFICATION) return NULL;
    size_t n = train->n_rows, k = train->n_classes;
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    size_t *start = calloc(k + 1, sizeof *start);
    if (!order || !start) {
        free(order);
        free(start);
        return NULL;
    }
    /* labels were checked by neither the tuner nor prepare: any that is not
     * a class index leaves the rows in their order (the fit then fails) */
    for (size_t i = 0; i < n; i++) {
        double label = train->y[i];
        if (!(label >= 0 && label < (double)k && label == floor(label))) {
            for (size_t r = 0; r < n; r++) order[r] = r;
            free(start);
            return order;
        }
        start[(size_t)label + 1]++;
    }
    for (size_t c = 0; c < k; c++) start[c + 1] += start[c];
    for (size_t i = 0; i < n; i++) order[start[(size_t)train->y[i]]++] = i;
    free(start);
    return order;
}

static dial_status svm_prepare_fold(dial_ctx *ctx, const dial_knobs *knobs,
                                    const dial_knobs *knobs_max, const dial_fit_input *train,
                                    const dial_fit_input *test, void **fold_state) {
    (void)knobs_max; /* nothing prepared depends on C or the other free knobs */
    *fold_state = NULL;
    if ((train->task != DIAL_TASK_CLASSIFICATION && train->task != DIAL_TASK_REGRESSION) ||
        train->n_rows == 0)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "svm: no prepared path for this fold");
    size_t n = train->n_rows, m = test->n_rows, d = train->n_features;
    double bytes = (double)n * (double)n * sizeof(float) + (double)m * (double)n * sizeof(double);
    if (bytes > SVM_PREPARE_MAX_BYTES)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "svm: the kernel of a fold of %zu training rows would take %.0f MiB, "
                         "above %.0f MiB; trials fit it in full",
                         n, bytes / 1048576.0, SVM_PREPARE_MAX_BYTES / 1048576.0);
    svm_settings st = svm_settings_of(knobs, train);
    svm_fold *fold = calloc(1, sizeof *fold);
    if (!fold) return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory preparing a fold");
    fold->train = *train;
    fold->test = *test;
    /* the Gram matrix by class, so that a pair's rows are two blocks of it */
    size_t *order = svm_class_order(train);
    if (order || train->task != DIAL_TASK_CLASSIFICATION)
        fold->gram =
            dial_svm_gram_new(ctx, dial_ctx_threads(ctx), &st.kernel, train->x, n, d, order);
    free(order);
    size_t nn = n ? n : 1, width = d ? d : 1;
    fold->test_kernel = malloc((m ? m : 1) * nn * sizeof *fold->test_kernel);
    double *xt = malloc(nn * width * sizeof *xt), *norms = malloc(nn * sizeof *norms);
    double *test_norms = malloc((m ? m : 1) * sizeof *test_norms);
    dial_status status = DIAL_OK;
    if (!fold->gram || !fold->test_kernel || !xt || !norms || !test_norms) {
        status =
            dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory preparing a fold of %zu rows", n);
    } else {
        /* the values svm_predict computes, against every training row */
        dial_svm_transpose(train->x, n, d, xt);
        dial_svm_kernel_norms(train->x, n, d, norms);
        dial_svm_kernel_norms(test->x, m, d, test_norms);
        dial_svm_kernel_columns(&st.kernel, xt, norms, n, d, test->x, test_norms, m,
                                fold->test_kernel);
    }
    free(xt);
    free(norms);
    free(test_norms);
    if (status != DIAL_OK) {
        svm_free_fold(fold);
        return status;
    }
    *fold_state = fold;
    return DIAL_OK;
}

/* Whether every part of from is still optimal for the settings st (a C no
 * smaller, the same weights and epsilon, a tol no tighter): the fit would
 * then give from's model again, and its predictions. */
static bool svm_warm_unchanged(const dial_svm_warm *from, const svm_settings *st,
                               const dial_fit_input *train) {
    size_t k = train->n_classes;
    size_t n_parts = train->task == DIAL_TASK_CLASSIFICATION ? k * (k - 1) / 2 : 1;
    if (!from->value || from->n_parts != n_parts || st->probability || !(st->c >= from->c) ||
        st->balanced != from->balanced || !(from->tol <= st->tol) ||
        (train->task == DIAL_TASK_REGRESSION && from->epsilon != st->epsilon))
        return false;
    for (size_t p = 0; p < n_parts; p++)
        if (!from->parts[p].alpha || from->parts[p].at_upper || !from->parts[p].converged)
            return false;
    return true;
}

/* A trial on a prepared fold, from the solution from (NULL: cold), keeping
 * its own in *to when to is not NULL. */
static dial_status svm_fold_trial(dial_ctx *ctx, const dial_knobs *knobs, const svm_fold *fold,
                                  const dial_svm_warm *from, dial_svm_warm **to,
                                  dial_predict_output *out) {
    svm_settings st = svm_settings_of(knobs, &fold->train);
    if (!svm_same_kernel(&st.kernel, &fold->gram->kernel))
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "svm: the fold was prepared for another kernel than the trial's");
    size_t n_test = fold->test.n_rows;
    if (from && to && !out->proba && from->n_value == n_test &&
        svm_warm_unchanged(from, &st, &fold->train)) {
        dial_svm_warm *same = dial_svm_warm_copy(from);
        if (!same) return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory keeping a solution");
        memcpy(out->value, from->value, n_test * sizeof *out->value);
        *to = same;
        return DIAL_OK;
    }
    dial_tensors learned = {0};
    dial_svm_warm *kept = NULL;
    dial_status status =
        svm_fit_with(ctx, knobs, &fold->train, fold->gram, from, to ? &kept : NULL, &learned);
    if (status == DIAL_OK)
        status = svm_predict_with(ctx, knobs, &learned, &fold->test, fold->test_kernel,
                                  fold->train.n_rows, out);
    dial_tensors_clear(&learned);
    if (status == DIAL_OK && to && !st.probability) {
        kept->value = malloc((n_test ? n_test : 1) * sizeof *kept->value);
        if (kept->value) {
            memcpy(kept->value, out->value, n_test * sizeof *kept->value);
            kept->n_value = n_test;
        }
    }
    if (status == DIAL_OK && to) {
        kept->fold = fold;
        *to = kept;
    } else {
        dial_svm_warm_free(kept);
    }
    return status;
}

static dial_status svm_predict_fold(dial_ctx *ctx, const dial_knobs *knobs, const void *state,
                                    dial_predict_output *out) {
    return svm_fold_trial(ctx, knobs, state, NULL, NULL, out);
}

/* Warm starts along C (svm_warm.h). A solution made on another fold state
 * is not used: the trial starts cold, as it would from NULL. */
static dial_status svm_predict_fold_warm(dial_ctx *ctx, const dial_knobs *knobs, const void *state,
                                         const void *warm, void **solution,
                                         dial_predict_output *out) {
    const dial_svm_warm *from = warm;
    *solution = NULL;
    if (from && from->fold != state) from = NULL;
    dial_svm_warm *kept = NULL;
    dial_status status = svm_fold_trial(ctx, knobs, state, from, &kept, out);
    if (status == DIAL_OK) *solution = kept;
    return status;
}

static const dial_family_tuning svm_tuning = {
    .prepare_knobs = svm_prepare_knobs,
    .prepare_fold = svm_prepare_fold,
    .predict_fold = svm_predict_fold,
    .free_fold = svm_free_fold,
    .warm_knob = "C",
    .predict_fold_warm = svm_predict_fold_warm,
    .free_warm = dial_svm_warm_free,
};

const dial_model_family dial_model_svm = {
    .name = "svm",
    .summary = "support vector machine: C-SVC (one-vs-one) or epsilon-SVR with linear, rbf, poly "
               "or sigmoid kernels",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION) | DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .has_proba = true,
    .proba_knob = "probability",
    .knobs = svm_knobs,
    .n_knobs = sizeof svm_knobs / sizeof svm_knobs[0],
    .params = svm_params,
    .n_params = sizeof svm_params / sizeof svm_params[0],
    .nonparametric_doc = NULL,
    .fit = svm_fit,
    .predict = svm_predict,
    .tuning = &svm_tuning,
    .validate = svm_validate,
};

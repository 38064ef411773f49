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
 *                                      each class's in training-row order;
 *       fitted on sparse input, three tensors of compressed rows instead
 *       (support_vectors.row_start, .column, .value: svm_sparse.c)
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
 *
 * The files of the family (svm_family.h says what they share):
 *   svm.c          this map, the knobs, fit and predict as the family table
 *                  calls them, validate, prepare once / fit many, the table
 *   svm_pairs.c    the C-SVC fit: the pairs of classes, their jobs on the
 *                  thread budget, Platt's folds, the classifier's tensors
 *   svm_regress.c  the epsilon-SVR fit
 *   svm_predict.c  reading the tensors back and scoring rows
 *   svm_sparse.c   what sparse input changes (compressed support vectors)
 *   svm_kernel.c   kernel values, their cache and the Gram matrix;
 *                  svm_kernel_sparse.c those of compressed rows
 *   svm_solver.c   SMO; svm_platt.c the sigmoids; svm_warm.c warm starts
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/model.h"
#include "models/family_tuning.h"
#include "models/learned_check.h"
#include "models/svm_family.h"
#include "models/svm_kernel.h"
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

static dial_svm_kernel_type svm_kernel_type(const char *name) {
    if (strcmp(name, "linear") == 0) return DIAL_SVM_LINEAR;
    if (strcmp(name, "poly") == 0) return DIAL_SVM_POLY;
    if (strcmp(name, "sigmoid") == 0) return DIAL_SVM_SIGMOID;
    return DIAL_SVM_RBF;
}

/* The kernel of the knobs, gamma aside (it may depend on the data). */
dial_svm_kernel dial_svm_kernel_of(const dial_knobs *knobs) {
    return (dial_svm_kernel){.type = svm_kernel_type(dial_knobs_choice(knobs, "kernel")),
                             .coef0 = dial_knobs_float(knobs, "coef0"),
                             .degree = (int)dial_knobs_int(knobs, "degree")};
}

/* scikit-learn's gamma='scale': 1 / (n_inputs x the variance of every
 * entry of the matrix), or 1 when that variance is 0. */
static double svm_gamma_scale(const dial_fit_input *in) {
    if (in->sparse) return dial_svm_gamma_scale_sparse(in->sparse, in->n_features);
    size_t count = in->n_rows * in->n_features;
    if (count == 0) return 1;
    double sum = 0;
    for (size_t k = 0; k < count; k++) sum += in->x[k];
    double mean = sum / (double)count, squares = 0;
    for (size_t k = 0; k < count; k++) squares += (in->x[k] - mean) * (in->x[k] - mean);
    double variance = squares / (double)count;
    return variance > 0 ? 1 / ((double)in->n_features * variance) : 1;
}

/* ---- shared by the two fits ------------------------------------------------ */

dial_status dial_svm_tensor_add(dial_ctx *ctx, dial_tensors *learned, const char *name,
                                dial_dtype dtype, int ndim, size_t rows, size_t cols, void **data) {
    size_t shape[2] = {rows, cols};
    return dial_tensors_add(ctx, learned, name, dtype, ndim, shape, data);
}

/* A solution to start the next C from (see svm_warm.h), or NULL when out
 * of memory. */
dial_svm_warm *dial_svm_warm_of(dial_ctx *ctx, const dial_svm_settings *st, size_t n_parts) {
    dial_svm_warm *warm = dial_svm_warm_new(ctx, n_parts);
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

/* The settings of the knobs for the training matrix in (gamma=scale
 * resolved on it). */
static dial_svm_settings svm_settings_of(const dial_ctx *ctx, const dial_knobs *knobs,
                                         const dial_fit_input *in) {
    dial_svm_settings st = {.ctx = ctx,
                            .kernel = dial_svm_kernel_of(knobs),
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
    dial_svm_settings st = svm_settings_of(ctx, knobs, in);
    dial_status status = in->task == DIAL_TASK_CLASSIFICATION
                             ? dial_svm_fit_classifier(ctx, &st, in, gram, from, to, learned)
                             : dial_svm_fit_regressor(ctx, &st, in, gram, from, to, learned);
    if (status == DIAL_OK) status = svm_check_finite(ctx, learned);
    return status;
}

static dial_status svm_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                           dial_tensors *learned) {
    return svm_fit_with(ctx, knobs, in, NULL, NULL, NULL, learned);
}

/* ---- predict and validate ------------------------------------------------------ */

static dial_status svm_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                               const dial_fit_input *in, dial_predict_output *out) {
    return dial_svm_predict_with(ctx, knobs, learned, in, out);
}

/* A model file's tensors: the shapes and counts predict checks, the
 * probability tensors when the model was fitted with probability=true, and
 * every value finite (a NaN weight would give one class for every row). */
static dial_status svm_validate(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in) {
    bool with_proba = in->task == DIAL_TASK_CLASSIFICATION && dial_knobs_bool(knobs, "probability");
    dial_svm_model m;
    dial_status status = dial_svm_model_read(ctx, knobs, learned, in, with_proba, false, &m);
    if (status != DIAL_OK) return status;
    dial_svm_model_free(&m);
    static const char *const names[] = {
        "support_vectors", "support_vectors.value", "dual_coef", "intercept", "probA", "probB"};
    for (size_t k = 0; k < sizeof names / sizeof names[0] && status == DIAL_OK; k++) {
        const dial_tensor *t = dial_tensors_find(learned, names[k]);
        if (t) status = dial_learned_check_finite(ctx, "svm", t);
    }
    return status;
}

/* ---- prepare once, fit many ---------------------------------------------------
 * What a fold's trials share when they agree on the kernel: the Gram
 * matrix of the training rows, each value as a full fit computes it.
 * predict_fold solves the trial's duals from it (its C, class_weight,
 * epsilon, tol, ... are free) and scores the test rows as svm_predict
 * does, against the support vectors only, so the model and its
 * predictions are a full fit's to the bit. (Preparing the kernel of every
 * test row against every training row too would add half again to each
 * entry's memory on satimage, and first touching that memory costs more
 * than the support vectors' kernel values it saves: without it 80 trials
 * take 0.85 of the time, bench/RESULTS.md.) */

/* A fold whose Gram matrix needs more is fitted in full (for digits' 5
 * folds, 8 MB each). */
#define SVM_PREPARE_MAX_BYTES (512.0 * 1048576.0)

static const char *const svm_prepare_knobs[] = {"kernel", "gamma", "degree", "coef0", NULL};

typedef struct svm_fold {
    dial_fit_input train, test; /* borrowed: the tuner keeps them alive */
    dial_svm_gram *gram;
} svm_fold;

static void svm_free_fold(void *state) {
    svm_fold *fold = state;
    if (!fold) return;
    dial_svm_gram_free(fold->gram);
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
static size_t *svm_class_order(const dial_ctx *ctx, const dial_fit_input *train) {
    if (train->task != DIAL_TASK_CLASSIFICATION) return NULL;
    size_t n = train->n_rows, k = train->n_classes;
    size_t *order = dial_malloc(ctx, (n ? n : 1) * sizeof *order);
    size_t *start = dial_calloc(ctx, k + 1, sizeof *start);
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

/* The fold's state for the knobs' kernel, made in the memory of spare (a
 * state of the same fold no trial needs any more, taken over; NULL: none)
 * where it fits, by dial_svm_gram_new's rule. */
static dial_status svm_prepare_fold_reusing(dial_ctx *ctx, const dial_knobs *knobs,
                                            const dial_knobs *knobs_max,
                                            const dial_fit_input *train, const dial_fit_input *test,
                                            void *spare, void **fold_state) {
    (void)knobs_max; /* nothing prepared depends on C or the other free knobs */
    *fold_state = NULL;
    svm_fold *old = spare;
    dial_svm_gram *spare_gram = NULL;
    if (old) {
        spare_gram = old->gram;
        free(old);
    }
    dial_status status = DIAL_OK;
    size_t n = train->n_rows, d = train->n_features;
    double bytes = (double)n * (double)n * sizeof(float);
    svm_fold *fold = NULL;
    if ((train->task != DIAL_TASK_CLASSIFICATION && train->task != DIAL_TASK_REGRESSION) ||
        train->n_rows == 0)
        status = dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "svm: no prepared path for this fold");
    /* compressed rows: every trial computes its kernel rows, as svm-train */
    else if (train->sparse)
        status = dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "svm: no prepared path for sparse rows");
    else if (bytes > SVM_PREPARE_MAX_BYTES)
        status = dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                           "svm: the kernel of a fold of %zu training rows would take %.0f MiB, "
                           "above %.0f MiB; trials fit it in full",
                           n, bytes / 1048576.0, SVM_PREPARE_MAX_BYTES / 1048576.0);
    else if (!(fold = dial_calloc(ctx, 1, sizeof *fold)))
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory preparing a fold");
    if (status != DIAL_OK) {
        dial_svm_gram_free(spare_gram);
        return status;
    }
    dial_svm_settings st = svm_settings_of(ctx, knobs, train);
    fold->train = *train;
    fold->test = *test;
    /* the Gram matrix by class, so that a pair's rows are two blocks of it */
    size_t *order = svm_class_order(ctx, train);
    if (order || train->task != DIAL_TASK_CLASSIFICATION)
        fold->gram = dial_svm_gram_new(ctx, dial_ctx_threads(ctx), &st.kernel, train->x, n, d,
                                       order, spare_gram);
    else
        dial_svm_gram_free(spare_gram);
    free(order);
    if (!fold->gram) {
        svm_free_fold(fold);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory preparing a fold of %zu rows", n);
    }
    *fold_state = fold;
    return DIAL_OK;
}

static dial_status svm_prepare_fold(dial_ctx *ctx, const dial_knobs *knobs,
                                    const dial_knobs *knobs_max, const dial_fit_input *train,
                                    const dial_fit_input *test, void **fold_state) {
    return svm_prepare_fold_reusing(ctx, knobs, knobs_max, train, test, NULL, fold_state);
}

/* Whether every part of from is still optimal for the settings st (a C no
 * smaller, the same weights and epsilon, a tol no tighter): the fit would
 * then give from's model again, and its predictions. */
static bool svm_warm_unchanged(const dial_svm_warm *from, const dial_svm_settings *st,
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
    dial_svm_settings st = svm_settings_of(ctx, knobs, &fold->train);
    if (!svm_same_kernel(&st.kernel, &fold->gram->kernel))
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "svm: the fold was prepared for another kernel than the trial's");
    size_t n_test = fold->test.n_rows;
    if (from && to && !out->proba && from->n_value == n_test &&
        svm_warm_unchanged(from, &st, &fold->train)) {
        dial_svm_warm *same = dial_svm_warm_copy(ctx, from);
        if (!same) return dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory keeping a solution");
        memcpy(out->value, from->value, n_test * sizeof *out->value);
        *to = same;
        return DIAL_OK;
    }
    dial_tensors learned = {0};
    dial_svm_warm *kept = NULL;
    dial_status status =
        svm_fit_with(ctx, knobs, &fold->train, fold->gram, from, to ? &kept : NULL, &learned);
    if (status == DIAL_OK) status = dial_svm_predict_with(ctx, knobs, &learned, &fold->test, out);
    dial_tensors_clear(&learned);
    if (status == DIAL_OK && to && !st.probability) {
        kept->value = dial_malloc(ctx, (n_test ? n_test : 1) * sizeof *kept->value);
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
    .prepare_fold_reusing = svm_prepare_fold_reusing,
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
    .sparse_input = true,
};

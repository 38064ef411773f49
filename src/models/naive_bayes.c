/*
 * Gaussian naive Bayes: each feature is, within a class, an independent
 * normal variable. Fit learns the class priors and each class's mean and
 * variance of every feature; predict takes the class of largest posterior,
 * with probabilities normalised by log-sum-exp so that no row underflows.
 * Follows scikit-learn's GaussianNB, including its var_smoothing.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/csr.h"
#include "dial/model.h"
#include "models/naive_bayes_counts.h"

static const char *const naive_bayes_prior_choices[] = {"empirical", "uniform", NULL};
static const char *const naive_bayes_variant_choices[] = {"gaussian", "multinomial", "bernoulli",
                                                          NULL};

static const dial_knob_spec naive_bayes_knobs[] = {
    DIAL_PREPROCESS_KNOBS("none"),
    {.name = "var_smoothing",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1e-9",
     .lower = 0,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1e-9,
     .search_high = 1,
     .log_scale = true,
     .condition = "",
     .doc = "added to every variance, as a fraction of the largest feature variance (as "
            "scikit-learn), so that a constant feature does not divide by zero (scikit-learn's "
            "default 1e-9; searched from it up to 1 on a log scale: below it the smoothing "
            "changes nothing but a constant feature)"},
    {.name = "priors",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "empirical",
     .choices = naive_bayes_prior_choices,
     .condition = "",
     .doc = "class priors: the class shares of the training rows (empirical) or equal (uniform)"},
    {.name = "variant",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "gaussian",
     .choices = naive_bayes_variant_choices,
     .condition = "",
     .doc = "the distribution of a feature within a class: gaussian (normal), multinomial (counts "
            "or tf-idf of words, scikit-learn's MultinomialNB) or bernoulli (a word present or "
            "not, BernoulliNB); the last two take sparse input as it is"},
    /* Not searched by default (no search range), so that the default
     * search of naive_bayes stays what it was; --space can search it. */
    {.name = "alpha",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .upper = INFINITY,
     .condition = "variant=multinomial|bernoulli",
     .doc = "additive (Laplace/Lidstone) smoothing of the counts, as scikit-learn's alpha "
            "(default 1; below 1e-10 taken as 1e-10)"},
    {.name = "binarize",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = 0,
     .upper = INFINITY,
     .condition = "variant=bernoulli",
     .doc = "a feature counts as present when its value is above this (scikit-learn's binarize, "
            "default 0)"},
};

static const dial_param_doc naive_bayes_params[] = {
    {"class_prior", "n_classes",
     "prior probability of each class (0 for a class absent from the training rows)"},
    {"mean", "n_classes x n_features", "mean of each feature within each class"},
    {"var", "n_classes x n_features",
     "variance of each feature within each class (divided by the class's rows), plus "
     "var_smoothing times the largest variance of a feature over all training rows; like "
     "scikit-learn's var_ (the standard deviation is its square root)"},
    {"feature_log_prob", "n_classes x n_features",
     "variant=multinomial and bernoulli (in place of mean and var): log probability of each "
     "feature (a word) within each class, smoothed by alpha; scikit-learn's feature_log_prob_"},
};

/* Which variant the knobs ask for: 0 gaussian, 1 multinomial, 2 bernoulli. */
static int naive_bayes_variant(const dial_knobs *knobs) {
    const char *variant = dial_knobs_choice(knobs, "variant");
    return strcmp(variant, "multinomial") == 0 ? 1 : strcmp(variant, "bernoulli") == 0 ? 2 : 0;
}

/* The gaussian variant works on dense rows: sparse ones are made dense
 * (within DIAL_DENSIFY_MAX_BYTES, as the pipeline would for a dense-only
 * family), giving the very matrix the dense path gets. *dense_in is in,
 * or a copy whose x the caller frees (*x). */
static dial_status naive_bayes_dense(dial_ctx *ctx, const dial_fit_input *in,
                                     dial_fit_input *dense_in, double **x) {
    *dense_in = *in;
    *x = NULL;
    if (!in->sparse) return DIAL_OK;
    if (dial_csr_dense_bytes(in->n_rows, in->n_features) > DIAL_DENSIFY_MAX_BYTES)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "naive_bayes variant=gaussian does not take sparse input, and these %zu x "
                         "%zu rows are too large to make dense; use variant=multinomial or "
                         "bernoulli",
                         in->n_rows, in->n_features);
    dial_status status = dial_csr_to_dense(ctx, in->sparse, x);
    dense_in->x = *x;
    dense_in->sparse = NULL;
    return status;
}

/* Learns priors, means and variances. Two passes (mean, then squared
 * deviations) keep the variances accurate for features far from zero. */
static dial_status naive_bayes_fit_checked(dial_ctx *ctx, const dial_knobs *knobs,
                                           const dial_fit_input *in, int variant,
                                           dial_tensors *learned);

static dial_status naive_bayes_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                                   dial_tensors *learned) {
    int variant = naive_bayes_variant(knobs);
    if (variant == 0) {
        dial_fit_input dense_in;
        double *x = NULL;
        dial_status status = naive_bayes_dense(ctx, in, &dense_in, &x);
        if (status == DIAL_OK)
            status = naive_bayes_fit_checked(ctx, knobs, &dense_in, variant, learned);
        free(x);
        return status;
    }
    return naive_bayes_fit_checked(ctx, knobs, in, variant, learned);
}

/* Checks the target and values, then fits the variant (0: gaussian, here;
 * 1, 2: models/naive_bayes_counts.h). */
static dial_status naive_bayes_fit_checked(dial_ctx *ctx, const dial_knobs *knobs,
                                           const dial_fit_input *in, int variant,
                                           dial_tensors *learned) {
    size_t n = in->n_rows, d = in->n_features, c_count = in->n_classes;
    if (in->task != DIAL_TASK_CLASSIFICATION || c_count == 0)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "naive_bayes does classification only (with at least one class), got %s",
                         dial_task_name(in->task));
    if (n == 0) return dial_fail(ctx, DIAL_ERR_DATA, "naive_bayes: no training rows");
    for (size_t i = 0; i < n; i++) {
        if (!(in->y[i] >= 0 && in->y[i] < (double)c_count && in->y[i] == floor(in->y[i])))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "naive_bayes: target of row %zu is %g, expected a class index in "
                             "0..%zu",
                             i, in->y[i], c_count - 1);
        if (in->sparse) continue; /* sparse values are finite (the dataset checks) */
        for (size_t j = 0; j < d; j++)
            if (!isfinite(in->x[i * d + j]))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "naive_bayes: feature %zu of row %zu is %g; impute missing values "
                                 "first",
                                 j, i, in->x[i * d + j]);
    }

    if (variant) return dial_naive_bayes_fit_counts(ctx, knobs, in, variant == 2, learned);
    double *prior = NULL, *mean = NULL, *var = NULL;
    size_t shape[2] = {c_count, d};
    dial_status status =
        dial_tensors_add(ctx, learned, "class_prior", DIAL_F64, 1, shape, (void **)&prior);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "mean", DIAL_F64, 2, shape, (void **)&mean);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "var", DIAL_F64, 2, shape, (void **)&var);
    if (status != DIAL_OK) return status;
    double *all_mean = dial_calloc(ctx, d ? d : 1, sizeof *all_mean);
    double *all_var = dial_calloc(ctx, d ? d : 1, sizeof *all_var);
    if (!all_mean || !all_var) {
        free(all_mean);
        free(all_var);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "naive_bayes: out of memory");
    }

    /* prior holds the class counts until the end */
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)in->y[i];
        prior[c] += 1;
        const double *row = in->x + i * d;
        for (size_t j = 0; j < d; j++) {
            mean[c * d + j] += row[j];
            all_mean[j] += row[j];
        }
    }
    for (size_t c = 0; c < c_count; c++)
        for (size_t j = 0; j < d; j++)
            if (prior[c] > 0) mean[c * d + j] /= prior[c];
    for (size_t j = 0; j < d; j++) all_mean[j] /= (double)n;
    for (size_t i = 0; i < n; i++) {
        size_t c = (size_t)in->y[i];
        const double *row = in->x + i * d;
        for (size_t j = 0; j < d; j++) {
            double dc = row[j] - mean[c * d + j], da = row[j] - all_mean[j];
            var[c * d + j] += dc * dc;
            all_var[j] += da * da;
        }
    }
    double largest = 0;
    for (size_t j = 0; j < d; j++)
        if (all_var[j] / (double)n > largest) largest = all_var[j] / (double)n;
    double epsilon = dial_knobs_float(knobs, "var_smoothing") * largest;
    free(all_mean);
    free(all_var);

    size_t present = 0;
    for (size_t c = 0; c < c_count; c++) present += prior[c] > 0;
    int uniform = strcmp(dial_knobs_choice(knobs, "priors"), "uniform") == 0;
    for (size_t c = 0; c < c_count; c++) {
        if (prior[c] == 0) {
            /* A class absent from these rows (a fold may miss a rare one) is
             * never predicted; unit variances keep the tensor valid. */
            for (size_t j = 0; j < d; j++) var[c * d + j] = 1;
            continue;
        }
        for (size_t j = 0; j < d; j++) {
            var[c * d + j] = var[c * d + j] / prior[c] + epsilon;
            if (!(var[c * d + j] > 0))
                return dial_fail(ctx, DIAL_ERR_NUMERIC,
                                 "naive_bayes: feature %zu has zero variance in class %zu; set "
                                 "var_smoothing > 0 (it is %g)",
                                 j, c, dial_knobs_float(knobs, "var_smoothing"));
        }
        prior[c] = uniform ? 1.0 / (double)present : prior[c] / (double)n;
    }
    return DIAL_OK;
}

static const double naive_bayes_two_pi = 6.283185307179586476925286766559;

typedef struct naive_bayes_job {
    size_t d, c_count;
    const double *x, *log_prior, *mean, *inv_var, *norm; /* norm: -0.5 sum log(2 pi var) */
    double *value, *proba;
} naive_bayes_job;

static dial_status naive_bayes_rows(void *arg, size_t begin, size_t end, int worker) {
    const naive_bayes_job *job = arg;
    size_t d = job->d, c_count = job->c_count;
    double joint_stack[64];
    double *joint = c_count <= 64 ? joint_stack : NULL;
    (void)worker;
    for (size_t i = begin; i < end; i++) {
        const double *row = job->x + i * d;
        size_t best = 0;
        double top = -INFINITY;
        /* Classes beyond the stack buffer are written straight to proba,
         * which then exists (checked by the caller). */
        double *jl = joint ? joint : job->proba + i * c_count;
        for (size_t c = 0; c < c_count; c++) {
            double s = 0;
            const double *m = job->mean + c * d, *iv = job->inv_var + c * d;
            for (size_t j = 0; j < d; j++) {
                double diff = row[j] - m[j];
                s += diff * diff * iv[j];
            }
            jl[c] = job->log_prior[c] + job->norm[c] - 0.5 * s;
            if (jl[c] > top) top = jl[c], best = c;
        }
        job->value[i] = (double)best;
        if (!job->proba) continue;
        double total = 0;
        for (size_t c = 0; c < c_count; c++) total += exp(jl[c] - top);
        for (size_t c = 0; c < c_count; c++) job->proba[i * c_count + c] = exp(jl[c] - top) / total;
    }
    return DIAL_OK;
}

static dial_status naive_bayes_tensor(dial_ctx *ctx, const dial_tensors *learned, const char *name,
                                      int ndim, size_t rows, size_t cols, const double **data) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "naive_bayes: the learned tensor '%s' is missing",
                         name);
    if (t->dtype != DIAL_F64 || t->ndim != ndim || t->shape[0] != rows ||
        (ndim == 2 && t->shape[1] != cols)) {
        if (ndim == 1)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "naive_bayes: the learned tensor '%s' must be f64 of shape [%zu]",
                             name, rows);
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "naive_bayes: the learned tensor '%s' must be f64 of shape [%zu x %zu]",
                         name, rows, cols);
    }
    *data = t->data;
    return DIAL_OK;
}

static dial_status naive_bayes_predict(dial_ctx *ctx, const dial_knobs *knobs,
                                       const dial_tensors *learned, const dial_fit_input *in,
                                       dial_predict_output *out) {
    size_t d = in->n_features, c_count = in->n_classes;
    if (in->task != DIAL_TASK_CLASSIFICATION || c_count == 0)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "naive_bayes does classification only (with at least one class), got %s",
                         dial_task_name(in->task));
    int variant = naive_bayes_variant(knobs);
    if (variant) return dial_naive_bayes_predict_counts(ctx, knobs, learned, in, variant == 2, out);
    if (in->sparse) {
        dial_fit_input dense_in;
        double *x = NULL;
        dial_status status = naive_bayes_dense(ctx, in, &dense_in, &x);
        if (status == DIAL_OK) status = naive_bayes_predict(ctx, knobs, learned, &dense_in, out);
        free(x);
        return status;
    }
    const double *prior = NULL, *mean = NULL, *var = NULL;
    dial_status status = naive_bayes_tensor(ctx, learned, "class_prior", 1, c_count, 0, &prior);
    if (status == DIAL_OK) status = naive_bayes_tensor(ctx, learned, "mean", 2, c_count, d, &mean);
    if (status == DIAL_OK) status = naive_bayes_tensor(ctx, learned, "var", 2, c_count, d, &var);
    if (status != DIAL_OK) return status;
    double prior_sum = 0;
    for (size_t c = 0; c < c_count; c++) {
        if (!(prior[c] >= 0 && prior[c] <= 1))
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "naive_bayes: class_prior[%zu] is %g, expected a probability", c,
                             prior[c]);
        prior_sum += prior[c];
        for (size_t j = 0; j < d; j++)
            if (!(var[c * d + j] > 0 && isfinite(var[c * d + j]) && isfinite(mean[c * d + j])))
                return dial_fail(ctx, DIAL_ERR_FORMAT,
                                 "naive_bayes: class %zu, feature %zu has mean %g and variance %g; "
                                 "expected finite values and a positive variance",
                                 c, j, mean[c * d + j], var[c * d + j]);
    }
    if (!(prior_sum > 0.5 && prior_sum < 1.5))
        return dial_fail(ctx, DIAL_ERR_FORMAT, "naive_bayes: the class priors sum to %g, not 1",
                         prior_sum);
    for (size_t i = 0; i < in->n_rows * d; i++)
        if (!isfinite(in->x[i]))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "naive_bayes: feature %zu of row %zu is %g; impute missing values "
                             "first",
                             i % d, i / d, in->x[i]);
    if (in->n_rows == 0) return DIAL_OK;

    double *buffer = dial_malloc(ctx, (2 * c_count + c_count * (d ? d : 1)) * sizeof *buffer);
    if (!buffer) return dial_fail(ctx, DIAL_ERR_NOMEM, "naive_bayes: out of memory");
    double *log_prior = buffer, *norm = buffer + c_count, *inv_var = buffer + 2 * c_count;
    for (size_t c = 0; c < c_count; c++) {
        log_prior[c] = prior[c] > 0 ? log(prior[c]) : -INFINITY;
        double s = 0;
        for (size_t j = 0; j < d; j++) {
            s += log(naive_bayes_two_pi * var[c * d + j]);
            inv_var[c * d + j] = 1 / var[c * d + j];
        }
        norm[c] = -0.5 * s;
    }
    naive_bayes_job job = {d,       c_count, in->x,      log_prior, mean,
                           inv_var, norm,    out->value, out->proba};
    double *scratch_proba = NULL;
    if (c_count > 64 && !out->proba) {
        scratch_proba = dial_malloc(ctx, in->n_rows * c_count * sizeof *scratch_proba);
        if (!scratch_proba) {
            free(buffer);
            return dial_fail(ctx, DIAL_ERR_NOMEM, "naive_bayes: out of memory");
        }
        job.proba = scratch_proba;
    }
    /* A thread pays off only for a few thousand row-class-feature products. */
    size_t work = in->n_rows * c_count * (d + 1);
    int threads = work < 200000 ? 1 : dial_ctx_threads(ctx);
    status = dial_parallel_for(ctx, threads, in->n_rows, naive_bayes_rows, &job);
    free(scratch_proba);
    free(buffer);
    return status;
}

const dial_model_family dial_model_naive_bayes = {
    .name = "naive_bayes",
    .summary = "Gaussian naive Bayes: independent normal features within each class",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION),
    .has_proba = true,
    .knobs = naive_bayes_knobs,
    .n_knobs = sizeof naive_bayes_knobs / sizeof naive_bayes_knobs[0],
    .params = naive_bayes_params,
    .n_params = sizeof naive_bayes_params / sizeof naive_bayes_params[0],
    .nonparametric_doc = NULL,
    .fit = naive_bayes_fit,
    .predict = naive_bayes_predict,
    .sparse_input = true,
};

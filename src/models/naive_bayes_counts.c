/*
 * The text classifiers of naive_bayes (models/naive_bayes_counts.h):
 * multinomial (word counts or tf-idf) and Bernoulli (word present or not)
 * naive Bayes, as scikit-learn's MultinomialNB and BernoulliNB, on dense or
 * sparse rows alike (a row is read through its nonzeros either way, so the
 * two give the same figures to the bit).
 *
 * With alpha smoothing (clipped to at least 1e-10, as scikit-learn does):
 *   multinomial: log p(j | c) = log(N_cj + alpha) - log(sum_j N_cj + alpha d)
 *                score(c, x) = log prior(c) + sum_j x_j log p(j | c)
 *   bernoulli:   p(j | c) = (N_cj + alpha) / (N_c + 2 alpha), N_cj the rows
 *                of class c with x_j > binarize;
 *                score(c, x) = log prior(c) + sum_j [b_j log p + (1 - b_j)
 *                log(1 - p)], b_j = (x_j > binarize)
 * The learned tensors: class_prior [n_classes] and feature_log_prob
 * [n_classes x n_features].
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/naive_bayes_counts.h"

/* Row i of in, through its nonzeros: col[k], value[k] for k < *count;
 * dense rows are gathered into the caller's buffers. */
static size_t nb_row(const dial_fit_input *in, size_t i, uint32_t *col_buf, double *value_buf,
                     const uint32_t **col, const double **value) {
    if (in->sparse) {
        const dial_csr *m = in->sparse;
        *col = m->col + m->row_start[i];
        *value = m->value + m->row_start[i];
        return m->row_start[i + 1] - m->row_start[i];
    }
    size_t n = 0, d = in->n_features;
    for (size_t j = 0; j < d; j++)
        if (in->x[i * d + j] != 0) {
            col_buf[n] = (uint32_t)j;
            value_buf[n++] = in->x[i * d + j];
        }
    *col = col_buf;
    *value = value_buf;
    return n;
}

dial_status dial_naive_bayes_fit_counts(dial_ctx *ctx, const dial_knobs *knobs,
                                        const dial_fit_input *in, bool bernoulli,
                                        dial_tensors *learned) {
    size_t n = in->n_rows, d = in->n_features, classes = in->n_classes;
    double alpha = fmax(dial_knobs_float(knobs, "alpha"), 1e-10);
    double threshold = dial_knobs_float(knobs, "binarize");
    bool uniform = strcmp(dial_knobs_choice(knobs, "priors"), "uniform") == 0;
    double *prior = NULL, *log_prob = NULL;
    size_t shape[2] = {classes, d};
    dial_status status =
        dial_tensors_add(ctx, learned, "class_prior", DIAL_F64, 1, shape, (void **)&prior);
    if (status == DIAL_OK)
        status = dial_tensors_add(ctx, learned, "feature_log_prob", DIAL_F64, 2, shape,
                                  (void **)&log_prob);
    if (status != DIAL_OK) return status;
    uint32_t *col_buf = dial_malloc_array(ctx, d ? d : 1, sizeof *col_buf);
    double *value_buf = dial_malloc_array(ctx, d ? d : 1, sizeof *value_buf);
    if (!col_buf || !value_buf) {
        free(col_buf);
        free(value_buf);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "naive_bayes: out of memory");
    }
    /* prior holds the class counts, log_prob the feature counts, until the
     * end. */
    for (size_t i = 0; i < n && status == DIAL_OK; i++) {
        size_t c = (size_t)in->y[i];
        prior[c] += 1;
        const uint32_t *col;
        const double *value;
        size_t count = nb_row(in, i, col_buf, value_buf, &col, &value);
        for (size_t k = 0; k < count; k++) {
            if (!bernoulli && value[k] < 0) {
                status = dial_fail(ctx, DIAL_ERR_DATA,
                                   "naive_bayes: feature %u of row %zu is %g; variant=multinomial "
                                   "takes counts (values >= 0)",
                                   (unsigned)col[k] + 1, i + 1, value[k]);
                break;
            }
            if (bernoulli)
                log_prob[c * d + col[k]] += value[k] > threshold ? 1 : 0;
            else
                log_prob[c * d + col[k]] += value[k];
        }
    }
    free(col_buf);
    free(value_buf);
    if (status != DIAL_OK) return status;
    size_t present = 0;
    for (size_t c = 0; c < classes; c++) present += prior[c] > 0;
    for (size_t c = 0; c < classes; c++) {
        double *row = log_prob + c * d;
        double total = bernoulli ? prior[c] + 2 * alpha : 0;
        if (!bernoulli) {
            for (size_t j = 0; j < d; j++) total += row[j] + alpha;
        }
        double log_total = log(total);
        for (size_t j = 0; j < d; j++) row[j] = log(row[j] + alpha) - log_total;
        /* A class absent from these rows (a fold may miss one) has prior 0:
         * never predicted. */
        prior[c] = prior[c] == 0 ? 0 : uniform ? 1.0 / (double)present : prior[c] / (double)n;
    }
    return DIAL_OK;
}

dial_status dial_naive_bayes_predict_counts(dial_ctx *ctx, const dial_knobs *knobs,
                                            const dial_tensors *learned, const dial_fit_input *in,
                                            bool bernoulli, dial_predict_output *out) {
    size_t d = in->n_features, classes = in->n_classes;
    const dial_tensor *p = dial_tensors_find(learned, "class_prior");
    const dial_tensor *f = dial_tensors_find(learned, "feature_log_prob");
    if (!p || !f || p->dtype != DIAL_F64 || f->dtype != DIAL_F64 || p->ndim != 1 ||
        p->shape[0] != classes || f->ndim != 2 || f->shape[0] != classes || f->shape[1] != d)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "naive_bayes: the learned tensors 'class_prior' [%zu] and "
                         "'feature_log_prob' [%zu x %zu] (f64) are missing or of another shape",
                         classes, classes, d);
    const double *prior = p->data, *log_prob = f->data;
    for (size_t k = 0; k < classes * d; k++)
        if (!(log_prob[k] <= 0))
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "naive_bayes: feature_log_prob holds %g, not a log probability",
                             log_prob[k]);
    double threshold = dial_knobs_float(knobs, "binarize");
    /* base[c]: the log prior, plus for bernoulli the score of a row of
     * zeros (sum_j log(1 - p)); delta[c][j] what a nonzero adds. */
    double *base = dial_malloc_array(ctx, classes ? classes : 1, sizeof *base);
    size_t cells = classes * d;
    double *delta = bernoulli ? dial_malloc_array(ctx, cells > 0 ? cells : 1, sizeof *delta) : NULL;
    double *score = dial_malloc_array(ctx, classes ? classes : 1, sizeof *score);
    uint32_t *col_buf = dial_malloc_array(ctx, d ? d : 1, sizeof *col_buf);
    double *value_buf = dial_malloc_array(ctx, d ? d : 1, sizeof *value_buf);
    dial_status status = DIAL_OK;
    if (!base || (bernoulli && !delta) || !score || !col_buf || !value_buf) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "naive_bayes: out of memory");
        goto done;
    }
    for (size_t c = 0; c < classes; c++) {
        base[c] = prior[c] > 0 ? log(prior[c]) : -INFINITY;
        for (size_t j = 0; bernoulli && j < d; j++) {
            double lp = log_prob[c * d + j], neg = log(-expm1(lp));
            base[c] += neg;
            delta[c * d + j] = lp - neg;
        }
    }
    for (size_t i = 0; i < in->n_rows; i++) {
        const uint32_t *col;
        const double *value;
        size_t count = nb_row(in, i, col_buf, value_buf, &col, &value);
        size_t best = 0;
        for (size_t c = 0; c < classes; c++) {
            double s = base[c];
            for (size_t k = 0; k < count; k++) {
                if (bernoulli)
                    s += value[k] > threshold ? delta[c * d + col[k]] : 0;
                else
                    s += value[k] * log_prob[c * d + col[k]];
            }
            score[c] = s;
            if (s > score[best]) best = c;
        }
        out->value[i] = (double)best;
        if (!out->proba) continue;
        double total = 0;
        for (size_t c = 0; c < classes; c++) total += exp(score[c] - score[best]);
        for (size_t c = 0; c < classes; c++)
            out->proba[i * classes + c] = exp(score[c] - score[best]) / total;
    }
done:
    free(base);
    free(delta);
    free(score);
    free(col_buf);
    free(value_buf);
    return status;
}

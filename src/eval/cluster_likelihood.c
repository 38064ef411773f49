/*
 * The information criteria of a model with a likelihood (a Gaussian
 * mixture): BIC (Schwarz 1978) and AIC (Akaike 1974), each minus twice the
 * log-likelihood of the rows plus a charge for every free parameter, so a
 * search over the number of components (and the covariance type) does not
 * simply pick the most parameters. Written as scikit-learn 1.2's
 * GaussianMixture.bic and aic (-2 * score(X) * n + p * log(n), score the
 * mean log-likelihood), so figures compare with it directly.
 */
#include <math.h>

#include "eval/cluster_metrics.h"

dial_status dial_eval_cluster_likelihood(dial_ctx *ctx, dial_metric metric,
                                         const dial_metric_rows *rows, double *score) {
    const char *name = dial_metric_name(metric);
    size_t n = rows->n;
    if (n == 0) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "metric '%s' needs at least 1 row", name);
    if (!rows->log_likelihood)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "metric '%s' needs each row's log-likelihood under the model "
                         "(dial_model_log_likelihood), but none was given",
                         name);
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        double value = rows->log_likelihood[i];
        /* -infinity is a row the model cannot have drawn: a valid, worst score */
        if (isnan(value) || value == INFINITY)
            return dial_fail(ctx, DIAL_ERR_DATA, "metric '%s': the log-likelihood of row %zu is %g",
                             name, i, value);
        total += value;
    }
    double mean = total / (double)n, p = (double)rows->n_parameters;
    double charge = metric == DIAL_METRIC_BIC ? p * log((double)n) : 2 * p;
    *score = -2 * mean * (double)n + charge;
    return DIAL_OK;
}

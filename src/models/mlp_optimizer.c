/*
 * Adam and stochastic gradient descent with momentum over a flat parameter
 * vector, and the learning-rate schedules of the multilayer perceptron.
 */
#include "models/mlp_optimizer.h"

#include <math.h>
#include <stdlib.h>

#define MLP_ADAM_BETA1 0.9
#define MLP_ADAM_BETA2 0.999
#define MLP_ADAM_EPSILON 1e-8

dial_status dial_mlp_optimizer_init(dial_ctx *ctx, dial_mlp_optimizer *opt, dial_mlp_solver solver,
                                    size_t n, double momentum, bool nesterov) {
    *opt = (dial_mlp_optimizer){.solver = solver,
                                .n = n,
                                .momentum = momentum,
                                .nesterov = nesterov,
                                .beta1_power = 1,
                                .beta2_power = 1};
    size_t slots = solver == DIAL_MLP_ADAM ? 2 : 1;
    opt->first = calloc(slots * n + 1, sizeof *opt->first);
    if (!opt->first)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the optimiser of %zu weights", n);
    if (solver == DIAL_MLP_ADAM) opt->second = opt->first + n;
    return DIAL_OK;
}

void dial_mlp_optimizer_free(dial_mlp_optimizer *opt) {
    if (!opt) return;
    free(opt->first);
    opt->first = opt->second = NULL;
}

void dial_mlp_optimizer_step(dial_mlp_optimizer *opt, double lr, const double *g, double *params) {
    size_t n = opt->n;
    if (opt->solver == DIAL_MLP_ADAM) {
        opt->beta1_power *= MLP_ADAM_BETA1;
        opt->beta2_power *= MLP_ADAM_BETA2;
        double rate = lr * sqrt(1 - opt->beta2_power) / (1 - opt->beta1_power);
        double *restrict m = opt->first, *restrict v = opt->second, *restrict theta = params;
        const double *restrict grad = g;
        for (size_t k = 0; k < n; k++) {
            m[k] = MLP_ADAM_BETA1 * m[k] + (1 - MLP_ADAM_BETA1) * grad[k];
            v[k] = MLP_ADAM_BETA2 * v[k] + (1 - MLP_ADAM_BETA2) * grad[k] * grad[k];
            theta[k] -= rate * m[k] / (sqrt(v[k]) + MLP_ADAM_EPSILON);
        }
        return;
    }
    double mu = opt->momentum, *u = opt->first;
    for (size_t k = 0; k < n; k++) {
        u[k] = mu * u[k] - lr * g[k];
        params[k] += opt->nesterov ? mu * u[k] - lr * g[k] : u[k];
    }
}

double dial_mlp_schedule_rate(dial_mlp_schedule schedule, double lr, size_t epoch, size_t epochs) {
    switch (schedule) {
    case DIAL_MLP_CONSTANT: return lr;
    case DIAL_MLP_INVSCALING: return lr / sqrt((double)epoch + 1);
    case DIAL_MLP_COSINE:
        return lr * 0.5 * (1 + cos(3.14159265358979323846 * (double)epoch / (double)epochs));
    }
    return lr;
}

/*
 * The optimisers that train a multilayer perceptron, over its flat parameter
 * vector, and the learning-rate schedules.
 */
#ifndef DIAL_MLP_OPTIMIZER_H
#define DIAL_MLP_OPTIMIZER_H

#include "dial/core.h"

/* In the order of the solver knob's choices. */
typedef enum dial_mlp_solver { DIAL_MLP_ADAM = 0, DIAL_MLP_SGD } dial_mlp_solver;

/* In the order of the schedule knob's choices. */
typedef enum dial_mlp_schedule {
    DIAL_MLP_CONSTANT = 0,
    DIAL_MLP_INVSCALING,
    DIAL_MLP_COSINE
} dial_mlp_schedule;

typedef struct dial_mlp_optimizer {
    dial_mlp_solver solver;
    size_t n;                        /* parameters */
    double momentum;                 /* sgd */
    bool nesterov;                   /* sgd */
    double *first, *second;          /* adam: the moment estimates; sgd: first is the velocity */
    double beta1_power, beta2_power; /* adam: beta^t after t steps */
} dial_mlp_optimizer;

/* Starts an optimiser for n parameters with zero state. Returns
 * DIAL_ERR_NOMEM; free with dial_mlp_optimizer_free. */
dial_status dial_mlp_optimizer_init(dial_ctx *ctx, dial_mlp_optimizer *opt, dial_mlp_solver solver,
                                    size_t n, double momentum, bool nesterov);
void dial_mlp_optimizer_free(dial_mlp_optimizer *opt);

/* Starts a step: advances adam's step count t (its bias correction). Call
 * once per step, before dial_mlp_optimizer_update on each range. */
void dial_mlp_optimizer_next(dial_mlp_optimizer *opt);

/* The step's update of the count parameters params[at .. at + count), with
 * learning rate lr, along the gradient g[0 .. count) + penalty params
 * (penalty 0 for none; g is overwritten with that sum):
 *  - adam (Kingma and Ba 2015, the form of their section 2 that scikit-learn
 *    uses): m = b1 m + (1-b1) g, v = b2 v + (1-b2) g^2,
 *    params -= lr sqrt(1-b2^t) / (1-b1^t) m / (sqrt(v) + eps), with b1 0.9,
 *    b2 0.999, eps 1e-8;
 *  - sgd with momentum mu: u = mu u - lr g, then params += u, or with
 *    Nesterov's momentum params += mu u - lr g (scikit-learn's form).
 * Touches only that range of params and of the optimiser's state, so
 * ranges can be updated on different threads. */
void dial_mlp_optimizer_update(const dial_mlp_optimizer *opt, double lr, double *g, double penalty,
                               size_t at, size_t count, double *params);

/* The learning rate of epoch (from 0) out of epochs: constant lr,
 * invscaling lr / sqrt(epoch + 1), or cosine lr (1 + cos(pi epoch / epochs)) / 2. */
double dial_mlp_schedule_rate(dial_mlp_schedule schedule, double lr, size_t epoch, size_t epochs);

#endif

/*
 * The shape of a multilayer perceptron and its forward pass, shared by the
 * trainer (models/mlp_train.c) and prediction (models/mlp.c).
 *
 * All weights and biases live in one flat vector, layer by layer: the weight
 * matrix of layer l (sizes[l] x sizes[l+1], row-major, so that a row of
 * inputs times it gives the layer's outputs) and then its bias vector. The
 * optimiser sees only that vector.
 *
 * Rows go through the network in blocks of at most block_rows. The products
 * are models/mlp_gemm.c's, whose every entry is a chain of fused
 * multiply-adds along one row, so a row's outputs never depend on the
 * other rows of its block, nor on the thread or the CPU that ran it.
 */
#ifndef DIAL_MLP_NETWORK_H
#define DIAL_MLP_NETWORK_H

#include "dial/core.h"
#include "dial/knobs.h"

/* Weight layers: every hidden layer and the output layer. */
#define DIAL_MLP_MAX_LAYERS (DIAL_KNOB_LIST_MAX + 1)

/* In the order of the activation knob's choices. */
typedef enum dial_mlp_activation {
    DIAL_MLP_RELU = 0,
    DIAL_MLP_TANH,
    DIAL_MLP_LOGISTIC
} dial_mlp_activation;

typedef enum dial_mlp_output {
    DIAL_MLP_SOFTMAX = 0, /* classification: class probabilities */
    DIAL_MLP_IDENTITY     /* regression: the value */
} dial_mlp_output;

typedef struct dial_mlp_network {
    size_t n_layers;                       /* weight layers, 1 .. DIAL_MLP_MAX_LAYERS */
    size_t sizes[DIAL_MLP_MAX_LAYERS + 1]; /* units: inputs, each hidden layer, outputs */
    size_t weight_at[DIAL_MLP_MAX_LAYERS]; /* offsets in the flat parameter vector */
    size_t bias_at[DIAL_MLP_MAX_LAYERS];
    size_t n_params;
    size_t unit_at[DIAL_MLP_MAX_LAYERS]; /* layer l's outputs start at block_rows * unit_at[l] */
    size_t n_units;                      /* outputs of all layers together */
    size_t widest;                       /* most units of any layer, inputs included */
    size_t block_rows;                   /* rows a block sends through the network at once */
    dial_mlp_activation activation;
    dial_mlp_output output;
} dial_mlp_network;

/* Lays out a network with n_hidden hidden layers (n_hidden + 1 <=
 * DIAL_MLP_MAX_LAYERS). */
void dial_mlp_network_layout(dial_mlp_network *net, size_t n_inputs, const size_t *hidden,
                             size_t n_hidden, size_t n_outputs, dial_mlp_activation activation,
                             dial_mlp_output output);

/* Glorot uniform initialisation as scikit-learn's: every weight and bias of
 * layer l drawn from U(-b, b), b = sqrt(f / (fan_in + fan_out)), f = 2 for
 * the logistic activation and 6 otherwise. */
void dial_mlp_network_init(const dial_mlp_network *net, dial_rng *rng, double *params);

/* Scratch for the activations of one block: block_rows * n_units doubles. */
size_t dial_mlp_block_scratch(const dial_mlp_network *net);

/* The outputs of layer l (0-based weight layer) for a block in acts. */
static inline double *dial_mlp_layer_out(const dial_mlp_network *net, double *acts, size_t l) {
    return acts + net->block_rows * net->unit_at[l];
}

/* Runs m rows of x (m x sizes[0], row stride sizes[0]) through the
 * network, writing layer l's outputs (m x sizes[l+1], row-major) to outs[l];
 * the last layer's are softmax probabilities or values. masks, when not
 * NULL, holds for each hidden layer l a pointer to m x sizes[l+1] dropout
 * factors (0 or 1/(1-p)) that multiply its outputs. */
void dial_mlp_forward_block(const dial_mlp_network *net, const double *params, const double *x,
                            size_t m, double *const *outs, const double *const *masks);

/* dial_mlp_forward_block from the first layer's pre-activations, which
 * outs[0] holds (made by the caller: models/mlp_sparse.c makes them from
 * compressed rows): the first layer's activation, then the layers after
 * it. */
void dial_mlp_forward_from_first(const dial_mlp_network *net, const double *params, size_t m,
                                 double *const *outs, const double *const *masks);

/* Runs n rows of x through the network on at most threads threads and
 * writes the last layer's outputs (n x outputs) to out. scratch holds
 * threads * dial_mlp_block_scratch(net) doubles. */
dial_status dial_mlp_forward_rows(dial_ctx *ctx, int threads, const dial_mlp_network *net,
                                  const double *params, const double *x, size_t n, double *out,
                                  double *scratch);

/* Turns the gradient with respect to count outputs a of a hidden layer into
 * the gradient with respect to its inputs: multiplies it by the derivative
 * of the activation, read from a itself, and by the dropout factors mask
 * that multiplied a (NULL when none did). */
void dial_mlp_activation_backward(dial_mlp_activation activation, const double *a,
                                  const double *mask, double *grad, size_t count);

#endif

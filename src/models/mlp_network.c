/*
 * A multilayer perceptron's layout, initialisation and forward pass.
 */
#include "models/mlp_network.h"

#include <math.h>
#include <string.h>

#include "models/mlp_gemm.h"
#include "models/mlp_vector.h"

/* Rows of a block: enough to keep the products' tiles full, few enough
 * that a block's activations stay in the cache. */
#define MLP_BLOCK_ROWS 64
#define MLP_MIN_BLOCK_ROWS 8
#define MLP_BLOCK_DOUBLES (1u << 19)

void dial_mlp_network_layout(dial_mlp_network *net, size_t n_inputs, const size_t *hidden,
                             size_t n_hidden, size_t n_outputs, dial_mlp_activation activation,
                             dial_mlp_output output) {
    memset(net, 0, sizeof *net);
    net->n_layers = n_hidden + 1;
    net->sizes[0] = n_inputs;
    for (size_t l = 0; l < n_hidden; l++) net->sizes[l + 1] = hidden[l];
    net->sizes[net->n_layers] = n_outputs;
    net->activation = activation;
    net->output = output;
    size_t at = 0, units = 0, widest = n_inputs;
    for (size_t l = 0; l < net->n_layers; l++) {
        size_t in = net->sizes[l], out = net->sizes[l + 1];
        net->weight_at[l] = at;
        at += in * out;
        net->bias_at[l] = at;
        at += out;
        net->unit_at[l] = units;
        units += out;
        if (out > widest) widest = out;
    }
    net->n_params = at;
    net->n_units = units;
    net->widest = widest;
    size_t rows = MLP_BLOCK_DOUBLES / (units + widest);
    if (rows < MLP_MIN_BLOCK_ROWS) rows = MLP_MIN_BLOCK_ROWS;
    if (rows > MLP_BLOCK_ROWS) rows = MLP_BLOCK_ROWS;
    net->block_rows = rows;
}

void dial_mlp_network_init(const dial_mlp_network *net, dial_rng *rng, double *params) {
    double factor = net->activation == DIAL_MLP_LOGISTIC ? 2.0 : 6.0;
    for (size_t l = 0; l < net->n_layers; l++) {
        size_t in = net->sizes[l], out = net->sizes[l + 1];
        double bound = sqrt(factor / (double)(in + out));
        double *w = params + net->weight_at[l], *b = params + net->bias_at[l];
        for (size_t k = 0; k < in * out; k++) w[k] = bound * (2 * dial_rng_uniform(rng) - 1);
        for (size_t k = 0; k < out; k++) b[k] = bound * (2 * dial_rng_uniform(rng) - 1);
    }
}

size_t dial_mlp_block_scratch(const dial_mlp_network *net) {
    return net->block_rows * net->n_units;
}

MLP_VECTOR_CLONES
static void activation_forward(dial_mlp_activation activation, double *z, size_t count) {
    switch (activation) {
    case DIAL_MLP_RELU:
        for (size_t k = 0; k < count; k++) z[k] = z[k] > 0 ? z[k] : 0;
        break;
    case DIAL_MLP_TANH:
        for (size_t k = 0; k < count; k++) z[k] = tanh(z[k]);
        break;
    case DIAL_MLP_LOGISTIC:
        for (size_t k = 0; k < count; k++) z[k] = 1 / (1 + exp(-z[k]));
        break;
    }
}

/* One copy per instruction set, so static: clang binds the copies of an
 * exported cloned function to a symbol other objects cannot link against;
 * dial_mlp_activation_backward below is the plain entry point. */
MLP_VECTOR_CLONES
static void activation_backward(dial_mlp_activation activation, const double *a, const double *mask,
                                double *grad, size_t count) {
    if (mask) {
        /* a holds the activations times the mask: divide it out where the
         * unit was kept; a dropped unit passes no gradient. */
        for (size_t k = 0; k < count; k++) {
            if (mask[k] == 0) {
                grad[k] = 0;
                continue;
            }
            double kept = a[k] / mask[k], slope = 0;
            switch (activation) {
            case DIAL_MLP_RELU: slope = kept > 0 ? 1 : 0; break;
            case DIAL_MLP_TANH: slope = 1 - kept * kept; break;
            case DIAL_MLP_LOGISTIC: slope = kept * (1 - kept); break;
            }
            grad[k] *= mask[k] * slope;
        }
        return;
    }
    switch (activation) {
    case DIAL_MLP_RELU:
        for (size_t k = 0; k < count; k++) grad[k] = a[k] > 0 ? grad[k] : 0;
        break;
    case DIAL_MLP_TANH:
        for (size_t k = 0; k < count; k++) grad[k] *= 1 - a[k] * a[k];
        break;
    case DIAL_MLP_LOGISTIC:
        for (size_t k = 0; k < count; k++) grad[k] *= a[k] * (1 - a[k]);
        break;
    }
}

void dial_mlp_activation_backward(dial_mlp_activation activation, const double *a,
                                  const double *mask, double *grad, size_t count) {
    activation_backward(activation, a, mask, grad, count);
}

/* Softmax of each of m rows of n scores, in place. */
static void softmax_rows(double *z, size_t m, size_t n) {
    for (size_t i = 0; i < m; i++) {
        double *row = z + i * n, top = row[0], sum = 0;
        for (size_t k = 1; k < n; k++) top = row[k] > top ? row[k] : top;
        for (size_t k = 0; k < n; k++) sum += row[k] = exp(row[k] - top);
        for (size_t k = 0; k < n; k++) row[k] /= sum;
    }
}

void dial_mlp_forward_from_first(const dial_mlp_network *net, const double *params, size_t m,
                                 double *const *outs, const double *const *masks) {
    for (size_t l = 0; l < net->n_layers; l++) {
        size_t n_in = net->sizes[l], n_out = net->sizes[l + 1];
        double *z = outs[l];
        if (l > 0)
            dial_mlp_gemm(DIAL_MLP_GEMM_ROW, params + net->bias_at[l], m, n_out, n_in, outs[l - 1],
                          n_in, 1, params + net->weight_at[l], n_out, z, n_out);
        bool last = l + 1 == net->n_layers;
        if (!last) {
            activation_forward(net->activation, z, m * n_out);
            if (masks)
                for (size_t k = 0; k < m * n_out; k++) z[k] *= masks[l][k];
        } else if (net->output == DIAL_MLP_SOFTMAX) {
            softmax_rows(z, m, n_out);
        }
    }
}

void dial_mlp_forward_block(const dial_mlp_network *net, const double *params, const double *x,
                            size_t m, double *const *outs, const double *const *masks) {
    size_t n_in = net->sizes[0], n_out = net->sizes[1];
    dial_mlp_gemm(DIAL_MLP_GEMM_ROW, params + net->bias_at[0], m, n_out, n_in, x, n_in, 1,
                  params + net->weight_at[0], n_out, outs[0], n_out);
    dial_mlp_forward_from_first(net, params, m, outs, masks);
}

typedef struct mlp_forward_job {
    const dial_mlp_network *net;
    const double *params, *x;
    size_t n;
    double *out, *scratch;
} mlp_forward_job;

static dial_status mlp_forward_blocks(void *arg, size_t begin, size_t end, int worker) {
    const mlp_forward_job *job = arg;
    const dial_mlp_network *net = job->net;
    size_t rows = net->block_rows, n_in = net->sizes[0], n_out = net->sizes[net->n_layers];
    double *acts = job->scratch + (size_t)worker * dial_mlp_block_scratch(net);
    double *outs[DIAL_MLP_MAX_LAYERS];
    for (size_t l = 0; l < net->n_layers; l++) outs[l] = dial_mlp_layer_out(net, acts, l);
    for (size_t block = begin; block < end; block++) {
        size_t first = block * rows, m = job->n - first < rows ? job->n - first : rows;
        dial_mlp_forward_block(net, job->params, job->x + first * n_in, m, outs, NULL);
        memcpy(job->out + first * n_out, dial_mlp_layer_out(net, acts, net->n_layers - 1),
               m * n_out * sizeof *job->out);
    }
    return DIAL_OK;
}

dial_status dial_mlp_forward_rows(dial_ctx *ctx, int threads, const dial_mlp_network *net,
                                  const double *params, const double *x, size_t n, double *out,
                                  double *scratch) {
    mlp_forward_job job = {net, params, x, n, out, scratch};
    size_t blocks = (n + net->block_rows - 1) / net->block_rows;
    return dial_parallel_for(ctx, threads, blocks, mlp_forward_blocks, &job);
}

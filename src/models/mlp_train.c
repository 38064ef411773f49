/*
 * Minibatch training of a multilayer perceptron.
 *
 * Each epoch shuffles the rows (a stream of the seed), cuts them into
 * minibatches of batch_size rows (the last may be smaller) and takes one
 * optimiser step per minibatch on the gradient of
 *
 *   (1/m) sum_i loss_i + alpha / (2 m) ||W||^2
 *
 * over the m rows of the minibatch, where loss_i is the cross-entropy of the
 * softmax output or half the squared error of the identity output, and W
 * every weight (not the biases): scikit-learn's objective, so alpha means
 * the same there and here.
 *
 * A minibatch goes through the network in blocks of the network's
 * block_rows. The blocks are dealt round-robin to a fixed number of lanes;
 * each lane runs the forward and backward pass of its blocks and sums their
 * gradients in block order, and the lanes' sums are added in lane order.
 * Threads take whole lanes, so the arithmetic, and the weights, are the same
 * for any thread count. The dropout factors of a minibatch are drawn from
 * one stream before the lanes start, for the same reason. Every buffer is
 * allocated once, before the first epoch.
 */
#include "models/mlp_train.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MLP_LANES 4
/* Streams of the seed ("mlp" and a number); the initial weights use
 * stream 1 (models/mlp.c). */
#define MLP_STREAM_SHUFFLE 0x6d6c700000000002ULL
#define MLP_STREAM_DROPOUT 0x6d6c700000000003ULL

typedef struct mlp_lane {
    double *acts;     /* block_rows x n_units: every layer's outputs for one block */
    double *delta[2]; /* block_rows x widest: gradients flowing back, in turn */
    double *grad;     /* n_params: this lane's sum over its blocks */
    double loss;      /* this lane's summed loss over its blocks */
} mlp_lane;

typedef struct mlp_trainer {
    const dial_mlp_network *net;
    const dial_mlp_options *options;
    const dial_mlp_rows *rows;
    double *params;
    size_t batch_size; /* rows of a full minibatch */
    size_t *order;     /* n: the rows in this epoch's order */
    double *batch_x;   /* batch_size x n_features */
    double *batch_y;   /* batch_size */
    double *masks;     /* hidden layer l at batch_size * unit_at[l]; NULL without dropout */
    size_t m;          /* rows of the current minibatch */
    size_t n_blocks, n_lanes;
    mlp_lane lanes[MLP_LANES];
    double *valid_out;     /* n_valid x outputs */
    double *valid_scratch; /* threads x block scratch */
    double *best;          /* the best epoch's parameters (early stopping) */
    double *memory;        /* everything above, one allocation */
    size_t *order_memory;
    int threads;
} mlp_trainer;

/* Turns the outputs of m rows into the gradient of (1/m) sum loss with
 * respect to the output layer's inputs, in place; returns the summed loss. */
static double mlp_output_gradient(dial_mlp_output output, double *out, const double *y, size_t m,
                                  size_t n_out, double inv_m) {
    double loss = 0;
    if (output == DIAL_MLP_SOFTMAX) {
        for (size_t i = 0; i < m; i++) {
            double *row = out + i * n_out;
            size_t label = (size_t)y[i];
            double p = row[label];
            p = p < DBL_EPSILON ? DBL_EPSILON : p > 1 - DBL_EPSILON ? 1 - DBL_EPSILON : p;
            loss -= log(p);
            row[label] -= 1;
            for (size_t k = 0; k < n_out; k++) row[k] *= inv_m;
        }
        return loss;
    }
    for (size_t i = 0; i < m; i++) {
        double r = out[i] - y[i];
        loss += 0.5 * r * r;
        out[i] = r * inv_m;
    }
    return loss;
}

/* Forward and backward pass of the blocks of one lane. */
static void mlp_lane_blocks(mlp_trainer *tr, size_t lane_index) {
    const dial_mlp_network *net = tr->net;
    mlp_lane *lane = &tr->lanes[lane_index];
    size_t rows = net->block_rows, layers = net->n_layers, p = net->sizes[0];
    double inv_m = 1.0 / (double)tr->m;
    lane->loss = 0;
    bool first = true;
    for (size_t block = lane_index; block < tr->n_blocks; block += tr->n_lanes) {
        size_t r0 = block * rows, mb = tr->m - r0 < rows ? tr->m - r0 : rows;
        const double *x = tr->batch_x + r0 * p;
        const double *mask_at[DIAL_MLP_MAX_LAYERS] = {0};
        for (size_t l = 0; tr->masks && l + 1 < layers; l++)
            mask_at[l] = tr->masks + tr->batch_size * net->unit_at[l] + r0 * net->sizes[l + 1];
        dial_mlp_forward_block(net, tr->params, x, mb, lane->acts, tr->masks ? mask_at : NULL);
        double *delta = dial_mlp_layer_out(net, lane->acts, layers - 1);
        lane->loss += mlp_output_gradient(net->output, delta, tr->batch_y + r0, mb,
                                          net->sizes[layers], inv_m);
        for (size_t l = layers; l-- > 0;) {
            size_t n_in = net->sizes[l], n_out = net->sizes[l + 1];
            const double *in = l == 0 ? x : dial_mlp_layer_out(net, lane->acts, l - 1);
            double *gw = lane->grad + net->weight_at[l], *gb = lane->grad + net->bias_at[l];
            dial_mlp_gemm(true, false, n_in, n_out, mb, in, n_in, delta, n_out, first ? 0.0 : 1.0,
                          gw, n_out);
            if (first) memset(gb, 0, n_out * sizeof *gb);
            for (size_t i = 0; i < mb; i++)
                for (size_t k = 0; k < n_out; k++) gb[k] += delta[i * n_out + k];
            if (l == 0) break;
            double *back = lane->delta[l % 2];
            dial_mlp_gemm(false, true, mb, n_in, n_out, delta, n_out,
                          tr->params + net->weight_at[l], n_out, 0.0, back, n_in);
            dial_mlp_activation_backward(net->activation, in, tr->masks ? mask_at[l - 1] : NULL,
                                         back, mb * n_in);
            delta = back;
        }
        first = false;
    }
}

static dial_status mlp_lanes_run(void *arg, size_t begin, size_t end, int worker) {
    (void)worker;
    for (size_t lane = begin; lane < end; lane++) mlp_lane_blocks(arg, lane);
    return DIAL_OK;
}

/* Draws the dropout factors of the current minibatch's hidden units. */
static void mlp_draw_masks(mlp_trainer *tr, dial_rng *rng) {
    const dial_mlp_network *net = tr->net;
    double drop = tr->options->dropout, keep_scale = 1 / (1 - drop);
    for (size_t l = 0; l + 1 < net->n_layers; l++) {
        double *mask = tr->masks + tr->batch_size * net->unit_at[l];
        size_t count = tr->m * net->sizes[l + 1];
        for (size_t k = 0; k < count; k++) mask[k] = dial_rng_uniform(rng) < drop ? 0 : keep_scale;
    }
}

/* One optimiser step on the minibatch of rows order[start .. start + m);
 * adds its summed loss to *loss. */
static dial_status mlp_step(dial_ctx *ctx, mlp_trainer *tr, dial_mlp_optimizer *opt,
                            dial_rng *dropout_rng, size_t start, size_t m, double lr,
                            double *loss) {
    const dial_mlp_network *net = tr->net;
    const dial_mlp_rows *rows = tr->rows;
    size_t p = net->sizes[0];
    for (size_t i = 0; i < m; i++) {
        size_t row = tr->order[start + i];
        memcpy(tr->batch_x + i * p, rows->x + row * p, p * sizeof *tr->batch_x);
        tr->batch_y[i] = rows->y[row];
    }
    tr->m = m;
    if (tr->masks) mlp_draw_masks(tr, dropout_rng);
    tr->n_blocks = (m + net->block_rows - 1) / net->block_rows;
    tr->n_lanes = tr->n_blocks < MLP_LANES ? tr->n_blocks : MLP_LANES;
    int threads = (size_t)tr->threads < tr->n_lanes ? tr->threads : (int)tr->n_lanes;
    dial_status status = dial_parallel_for(ctx, threads, tr->n_lanes, mlp_lanes_run, tr);
    if (status != DIAL_OK) return status;

    double *grad = tr->lanes[0].grad;
    *loss += tr->lanes[0].loss;
    for (size_t lane = 1; lane < tr->n_lanes; lane++) {
        const double *part = tr->lanes[lane].grad;
        for (size_t k = 0; k < net->n_params; k++) grad[k] += part[k];
        *loss += tr->lanes[lane].loss;
    }
    double penalty = tr->options->alpha / (double)m;
    if (penalty > 0)
        for (size_t l = 0; l < net->n_layers; l++) {
            size_t at = net->weight_at[l], count = net->sizes[l] * net->sizes[l + 1];
            for (size_t k = at; k < at + count; k++) grad[k] += penalty * tr->params[k];
        }
    dial_mlp_optimizer_step(opt, lr, grad, tr->params);
    return DIAL_OK;
}

/* Accuracy (softmax) or R^2 (identity) of the network on the validation
 * rows. */
static dial_status mlp_validation_score(dial_ctx *ctx, mlp_trainer *tr, double *score) {
    const dial_mlp_network *net = tr->net;
    const dial_mlp_rows *rows = tr->rows;
    size_t n = rows->n_valid, n_out = net->sizes[net->n_layers];
    size_t blocks = (n + net->block_rows - 1) / net->block_rows;
    int threads = (size_t)tr->threads < blocks ? tr->threads : (int)blocks;
    dial_status status = dial_mlp_forward_rows(ctx, threads, net, tr->params, rows->x_valid, n,
                                               tr->valid_out, tr->valid_scratch);
    if (status != DIAL_OK) return status;
    const double *out = tr->valid_out;
    if (net->output == DIAL_MLP_SOFTMAX) {
        size_t right = 0;
        for (size_t i = 0; i < n; i++) {
            const double *row = out + i * n_out;
            size_t top = 0;
            for (size_t k = 1; k < n_out; k++)
                if (row[k] > row[top]) top = k;
            right += (double)top == rows->y_valid[i];
        }
        *score = (double)right / (double)n;
        return DIAL_OK;
    }
    double mean = 0, total = 0, residual = 0;
    for (size_t i = 0; i < n; i++) mean += rows->y_valid[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = rows->y_valid[i] - mean, r = rows->y_valid[i] - out[i];
        total += d * d;
        residual += r * r;
    }
    /* As scikit-learn's r2_score: a constant target scores 1 when matched
     * exactly, else 0. */
    *score = total > 0 ? 1 - residual / total : residual == 0 ? 1.0 : 0.0;
    return DIAL_OK;
}

static dial_status mlp_trainer_alloc(dial_ctx *ctx, mlp_trainer *tr) {
    const dial_mlp_network *net = tr->net;
    const dial_mlp_rows *rows = tr->rows;
    size_t hidden_units = net->n_units - net->sizes[net->n_layers];
    size_t blocks = (tr->batch_size + net->block_rows - 1) / net->block_rows;
    size_t lanes = blocks < MLP_LANES ? blocks : MLP_LANES;
    size_t lane_size =
        dial_mlp_block_scratch(net) + 2 * net->block_rows * net->widest + net->n_params;
    size_t total = tr->batch_size * (net->sizes[0] + 1) +
                   (tr->options->dropout > 0 ? tr->batch_size * hidden_units : 0) +
                   lanes * lane_size + rows->n_valid * net->sizes[net->n_layers] +
                   (rows->n_valid ? (size_t)tr->threads * dial_mlp_block_scratch(net) : 0) +
                   (tr->options->early_stopping ? net->n_params : 0);
    tr->memory = malloc((total + 1) * sizeof *tr->memory);
    tr->order_memory = malloc((rows->n + 1) * sizeof *tr->order_memory);
    if (!tr->memory || !tr->order_memory)
        return dial_fail(ctx, DIAL_ERR_NOMEM,
                         "out of memory training mlp (%zu weights, minibatches of %zu rows)",
                         net->n_params, tr->batch_size);
    double *at = tr->memory;
    tr->batch_x = at;
    at += tr->batch_size * net->sizes[0];
    tr->batch_y = at;
    at += tr->batch_size;
    if (tr->options->dropout > 0) {
        tr->masks = at;
        at += tr->batch_size * hidden_units;
    }
    for (size_t lane = 0; lane < lanes; lane++) {
        tr->lanes[lane].acts = at;
        at += dial_mlp_block_scratch(net);
        tr->lanes[lane].delta[0] = at;
        at += net->block_rows * net->widest;
        tr->lanes[lane].delta[1] = at;
        at += net->block_rows * net->widest;
        tr->lanes[lane].grad = at;
        at += net->n_params;
    }
    if (rows->n_valid) {
        tr->valid_out = at;
        at += rows->n_valid * net->sizes[net->n_layers];
        tr->valid_scratch = at;
        at += (size_t)tr->threads * dial_mlp_block_scratch(net);
    }
    if (tr->options->early_stopping) tr->best = at;
    tr->order = tr->order_memory;
    for (size_t i = 0; i < rows->n; i++) tr->order[i] = i;
    return DIAL_OK;
}

/* Runs the epochs; the trainer's buffers are allocated. */
static dial_status mlp_epochs(dial_ctx *ctx, mlp_trainer *tr, dial_mlp_optimizer *opt,
                              dial_mlp_summary *summary) {
    const dial_mlp_options *options = tr->options;
    const dial_mlp_rows *rows = tr->rows;
    size_t n_params = tr->net->n_params;
    dial_rng shuffle_rng = dial_rng_stream(options->seed, MLP_STREAM_SHUFFLE);
    dial_rng dropout_rng = dial_rng_stream(options->seed, MLP_STREAM_DROPOUT);
    double best_score = -INFINITY;
    size_t stale = 0;
    for (size_t epoch = 0; epoch < options->epochs; epoch++) {
        dial_rng_shuffle(&shuffle_rng, tr->order, rows->n);
        double lr = dial_mlp_schedule_rate(options->schedule, options->learning_rate, epoch,
                                           options->epochs);
        double loss = 0;
        for (size_t start = 0; start < rows->n; start += tr->batch_size) {
            size_t m = rows->n - start < tr->batch_size ? rows->n - start : tr->batch_size;
            dial_status status = mlp_step(ctx, tr, opt, &dropout_rng, start, m, lr, &loss);
            if (status != DIAL_OK) return status;
        }
        dial_mlp_epoch_report report = {
            .epoch = epoch + 1, .train_loss = loss / (double)rows->n, .validation_score = NAN};
        summary->epochs_run = epoch + 1;
        summary->train_loss = report.train_loss;
        if (!isfinite(report.train_loss))
            return dial_fail(ctx, DIAL_ERR_NUMERIC,
                             "mlp: the training loss became %g in epoch %zu; lower learning_rate "
                             "(now %g)",
                             report.train_loss, epoch + 1, options->learning_rate);
        bool stop = false;
        if (rows->n_valid) {
            dial_status status = mlp_validation_score(ctx, tr, &report.validation_score);
            if (status != DIAL_OK) return status;
            if (report.validation_score > best_score + options->tol)
                stale = 0;
            else
                stale++;
            if (report.validation_score > best_score) {
                best_score = report.validation_score;
                summary->best_epoch = epoch + 1;
                summary->validation_score = best_score;
                if (tr->best) memcpy(tr->best, tr->params, n_params * sizeof *tr->best);
            }
            if (options->early_stopping && stale >= options->patience) stop = true;
        } else {
            summary->best_epoch = epoch + 1;
        }
        if (options->on_epoch) {
            bool asked = false;
            dial_status status = options->on_epoch(ctx, options->on_epoch_user, &report, &asked);
            if (status != DIAL_OK) return status;
            stop = stop || asked;
        }
        if (stop) break;
    }
    if (tr->best && summary->best_epoch > 0)
        memcpy(tr->params, tr->best, n_params * sizeof *tr->params);
    return DIAL_OK;
}

dial_status dial_mlp_train(dial_ctx *ctx, const dial_mlp_network *net,
                           const dial_mlp_options *options, const dial_mlp_rows *rows,
                           double *params, dial_mlp_summary *summary) {
    *summary = (dial_mlp_summary){.validation_score = NAN};
    if (rows->n == 0 || options->batch_size == 0 || options->batch_size > rows->n)
        return dial_fail(ctx, DIAL_ERR_INTERNAL,
                         "mlp: minibatches of %zu rows out of %zu training rows: a bug in dial",
                         options->batch_size, rows->n);
    if (options->early_stopping && rows->n_valid == 0)
        return dial_fail(ctx, DIAL_ERR_INTERNAL,
                         "mlp: early stopping without validation rows: a bug in dial");
    int threads = dial_ctx_threads(ctx);
    mlp_trainer tr = {.net = net,
                      .options = options,
                      .rows = rows,
                      .params = params,
                      .batch_size = options->batch_size,
                      .threads = threads < MLP_LANES ? threads : MLP_LANES};
    dial_mlp_optimizer opt = {0};
    dial_status status = mlp_trainer_alloc(ctx, &tr);
    if (status == DIAL_OK)
        status = dial_mlp_optimizer_init(ctx, &opt, options->solver, net->n_params,
                                         options->momentum, options->nesterov);
    if (status == DIAL_OK) status = mlp_epochs(ctx, &tr, &opt, summary);
    dial_mlp_optimizer_free(&opt);
    free(tr.memory);
    free(tr.order_memory);
    return status;
}

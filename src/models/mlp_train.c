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
 * A step runs in two parallel passes, whose items the fit's team of
 * threads (core/team.h) claims one by one. The first goes over
 * slices of the rows: it gathers them, runs them forward, and takes the
 * gradient back through the layers to each unit of each row, all of it
 * arithmetic within a row. The second goes over slices of the rows of the
 * weight matrices (and the biases): the gradient of a weight is one chain
 * of fused multiply-adds over the minibatch's rows in order
 * (models/mlp_gemm.h), and the optimiser updates it at once, while it is
 * in the cache. Nothing is summed across threads, so the weights are the
 * same bits whichever thread ran which item, and for any thread count; the
 * dropout factors of a minibatch are drawn from one stream before the
 * passes, and the loss is summed row by row after them, for the same
 * reason. Every buffer is allocated once, before the first epoch.
 *
 * On compressed rows (dial_mlp_rows.csr) the first layer is
 * models/mlp_sparse.c's: the forward product reads each row's nonzeros,
 * and the first pass's items no longer gather rows; before them the step
 * sorts the minibatch's nonzeros by column, and the second pass takes the
 * gradient of a row of the first weight matrix from that column's
 * nonzeros only. The update stays dense: every weight of the first layer
 * takes its optimiser step each minibatch, also those of inputs the
 * minibatch lacks (their gradient is the penalty alone, and Adam's moments
 * decay), as on dense rows and as scikit-learn does on sparse ones; a
 * lazy update would skip them and change the weights. So a fit on the
 * compressed rows gives the bits of the fit on the same rows dense, at the
 * cost of one pass over the first layer's weights a step.
 */
#include "core/alloc.h"
#include "models/mlp_train.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/team.h"
#include "models/mlp_gemm.h"
#include "models/mlp_sparse.h"
#include "models/mlp_vector.h"

/* Rows of a weight matrix whose gradient is taken at once: a multiple of
 * the products' tile heights (6 and 8), small enough for the cache. */
#define MLP_GRADIENT_ROWS 24
/* Rows of an item of the first pass: several items a minibatch, for the
 * threads to share, each enough work to be worth claiming. */
#define MLP_SHARE_ROWS 32
/* Multiply-adds of a step that make a thread worth waking for it: about a
 * quarter of a millisecond's work, against some microseconds to wake one
 * and to hand out the items (digits' 64-100-10 network in minibatches of
 * 200 runs on one). */
#define MLP_THREAD_WORK 8000000u
/* Streams of the seed ("mlp" and a number); the initial weights use
 * stream 1 (models/mlp.c). */
#define MLP_STREAM_SHUFFLE 0x6d6c700000000002ULL
#define MLP_STREAM_DROPOUT 0x6d6c700000000003ULL

typedef struct mlp_trainer {
    const dial_mlp_network *net;
    const dial_mlp_options *options;
    const dial_mlp_rows *rows;
    double *params;
    dial_mlp_optimizer *opt;
    size_t batch_size; /* rows of a full minibatch */
    size_t *order;     /* n: the rows in this epoch's order */
    /* The current minibatch: rows order[start .. start + m), learning rate
     * lr. Each array below holds batch_size rows; layer l's part of acts,
     * deltas and masks starts at batch_size * unit_at[l]. */
    size_t start, m;
    double lr;
    double *batch_x;    /* batch_size x n_features; NULL on compressed rows */
    double *batch_y;    /* batch_size */
    double *acts;       /* every layer's outputs */
    double *deltas;     /* gradient of the loss at each hidden unit's input */
    double *masks;      /* dropout factors of the hidden units; NULL without dropout */
    double *row_loss;   /* each row's loss */
    double *transposed; /* the weights of layers 1.. transposed, for the first pass */
    double *gradient;   /* threads x MLP_GRADIENT_ROWS x widest: each thread's rows of gradient */
    size_t n_chunks;    /* the second pass's items: rows of every weight matrix, the biases */
    dial_team *team;    /* NULL on one thread */
    double *valid_out;  /* n_valid x outputs */
    double *valid_scratch; /* threads x block scratch */
    double *best;          /* the best epoch's parameters (early stopping) */
    double *memory;        /* everything above, one allocation */
    size_t *order_memory;
    int threads;

    /* Compressed rows only: the minibatch's rows of csr (batch_size, in
     * order_memory after order) and its nonzeros by column. */
    size_t *batch_rows;
    dial_mlp_sparse_batch sparse;
} mlp_trainer;

/* Turns the outputs of m rows into the gradient of (1/m) sum loss with
 * respect to the output layer's inputs, in place, and writes each row's
 * loss. */
static void mlp_output_gradient(dial_mlp_output output, double *out, const double *y, size_t m,
                                size_t n_out, double inv_m, double *loss) {
    if (output == DIAL_MLP_SOFTMAX) {
        for (size_t i = 0; i < m; i++) {
            double *row = out + i * n_out;
            size_t label = (size_t)y[i];
            double p = row[label];
            p = p < DBL_EPSILON ? DBL_EPSILON : p > 1 - DBL_EPSILON ? 1 - DBL_EPSILON : p;
            loss[i] = -log(p);
            row[label] -= 1;
            for (size_t k = 0; k < n_out; k++) row[k] *= inv_m;
        }
        return;
    }
    for (size_t i = 0; i < m; i++) {
        double r = out[i] - y[i];
        loss[i] = 0.5 * r * r;
        out[i] = r * inv_m;
    }
}

/* sum[k] = the sum of x[i][k] over the m rows of x (n columns), in row
 * order. */
MLP_VECTOR_CLONES
static void mlp_column_sums(double *restrict sum, const double *restrict x, size_t m, size_t n) {
    memcpy(sum, x, n * sizeof *sum);
    for (size_t i = 1; i < m; i++)
        for (size_t k = 0; k < n; k++) sum[k] += x[i * n + k];
}

/* Where layer l's part of a per-unit array (acts, deltas, masks) for row i
 * of the minibatch starts. */
static double *mlp_unit_rows(const mlp_trainer *tr, double *base, size_t l, size_t i) {
    const dial_mlp_network *net = tr->net;
    return base + tr->batch_size * net->unit_at[l] + i * net->sizes[l + 1];
}

/* The first pass over rows r0 .. r0 + mb of the minibatch: gather, forward,
 * and the gradient back to every hidden unit. */
static void mlp_rows_pass(mlp_trainer *tr, size_t r0, size_t mb) {
    const dial_mlp_network *net = tr->net;
    size_t layers = net->n_layers, p = net->sizes[0];
    const dial_csr *csr = tr->rows->csr;
    for (size_t i = r0; i < r0 + mb; i++) {
        size_t row = tr->order[tr->start + i];
        if (!csr) memcpy(tr->batch_x + i * p, tr->rows->x + row * p, p * sizeof *tr->batch_x);
        tr->batch_y[i] = tr->rows->y[row];
    }
    double *outs[DIAL_MLP_MAX_LAYERS];
    const double *masks[DIAL_MLP_MAX_LAYERS] = {0};
    for (size_t l = 0; l < layers; l++) {
        outs[l] = mlp_unit_rows(tr, tr->acts, l, r0);
        if (tr->masks && l + 1 < layers) masks[l] = mlp_unit_rows(tr, tr->masks, l, r0);
    }
    if (csr) {
        dial_mlp_sparse_first_layer(net, tr->params, csr, tr->batch_rows, r0, mb, outs[0]);
        dial_mlp_forward_from_first(net, tr->params, mb, outs, tr->masks ? masks : NULL);
    } else {
        dial_mlp_forward_block(net, tr->params, tr->batch_x + r0 * p, mb, outs,
                               tr->masks ? masks : NULL);
    }
    double *delta = outs[layers - 1];
    mlp_output_gradient(net->output, delta, tr->batch_y + r0, mb, net->sizes[layers],
                        1.0 / (double)tr->m, tr->row_loss + r0);
    for (size_t l = layers - 1; l > 0; l--) {
        size_t n_in = net->sizes[l], n_out = net->sizes[l + 1];
        double *back = mlp_unit_rows(tr, tr->deltas, l - 1, r0);
        dial_mlp_gemm(DIAL_MLP_GEMM_ZERO, NULL, mb, n_in, n_out, delta, n_out, 1,
                      tr->transposed + (net->weight_at[l] - net->weight_at[1]), n_in, back, n_in);
        dial_mlp_activation_backward(net->activation, outs[l - 1], masks[l - 1], back, mb * n_in);
        delta = back;
    }
}

/* Item i of the first pass: rows i MLP_SHARE_ROWS .. of the minibatch. */
static void mlp_rows_item(void *arg, size_t i, int worker) {
    (void)worker;
    mlp_trainer *tr = arg;
    size_t first = i * MLP_SHARE_ROWS,
           last = first + MLP_SHARE_ROWS < tr->m ? first + MLP_SHARE_ROWS : tr->m;
    for (size_t r0 = first; r0 < last; r0 += tr->net->block_rows) {
        size_t mb = last - r0 < tr->net->block_rows ? last - r0 : tr->net->block_rows;
        mlp_rows_pass(tr, r0, mb);
    }
}

/* The layer (l) and the first row (j, n_in for the bias) of chunk c of
 * the second pass: each layer gives n_in / MLP_GRADIENT_ROWS rounded up
 * chunks of weight rows, then one for its bias. */
static void mlp_chunk_at(const dial_mlp_network *net, size_t c, size_t *l, size_t *j) {
    for (size_t layer = 0; layer < net->n_layers; layer++) {
        size_t n_in = net->sizes[layer],
               chunks = (n_in + MLP_GRADIENT_ROWS - 1) / MLP_GRADIENT_ROWS;
        if (c <= chunks) {
            *l = layer;
            *j = c < chunks ? c * MLP_GRADIENT_ROWS : n_in;
            return;
        }
        c -= chunks + 1;
    }
    *l = net->n_layers;
    *j = 0;
}

/* Item c of the second pass: the gradient of chunk c's weight rows (or
 * biases) over all the minibatch's rows, then the optimiser's update of
 * them. */
static void mlp_params_item(void *arg, size_t c, int worker) {
    mlp_trainer *tr = arg;
    const dial_mlp_network *net = tr->net;
    double *g = tr->gradient + (size_t)worker * MLP_GRADIENT_ROWS * net->widest;
    size_t l, j;
    mlp_chunk_at(net, c, &l, &j);
    size_t n_in = net->sizes[l], n_out = net->sizes[l + 1];
    const double *delta = l + 1 == net->n_layers ? mlp_unit_rows(tr, tr->acts, l, 0)
                                                 : mlp_unit_rows(tr, tr->deltas, l, 0);
    if (j == n_in) {
        /* The bias: the gradient at the units, summed over the rows. */
        mlp_column_sums(g, delta, tr->m, n_out);
        dial_mlp_optimizer_update(tr->opt, tr->lr, g, 0, net->bias_at[l], n_out, tr->params);
        return;
    }
    size_t rows = n_in - j < MLP_GRADIENT_ROWS ? n_in - j : MLP_GRADIENT_ROWS;
    if (l == 0 && tr->rows->csr) {
        dial_mlp_sparse_gradient(&tr->sparse, delta, n_out, j, rows, g);
        dial_mlp_optimizer_update(tr->opt, tr->lr, g, tr->options->alpha / (double)tr->m,
                                  net->weight_at[0] + j * n_out, rows * n_out, tr->params);
        return;
    }
    const double *in = l == 0 ? tr->batch_x : mlp_unit_rows(tr, tr->acts, l - 1, 0);
    dial_mlp_gemm(DIAL_MLP_GEMM_ZERO, NULL, rows, n_out, tr->m, in + j, 1, n_in, delta, n_out, g,
                  n_out);
    dial_mlp_optimizer_update(tr->opt, tr->lr, g, tr->options->alpha / (double)tr->m,
                              net->weight_at[l] + j * n_out, rows * n_out, tr->params);
}

/* Draws the dropout factors of the current minibatch's hidden units. */
static void mlp_draw_masks(mlp_trainer *tr, dial_rng *rng) {
    const dial_mlp_network *net = tr->net;
    double drop = tr->options->dropout, keep_scale = 1 / (1 - drop);
    for (size_t l = 0; l + 1 < net->n_layers; l++) {
        double *mask = mlp_unit_rows(tr, tr->masks, l, 0);
        size_t count = tr->m * net->sizes[l + 1];
        for (size_t k = 0; k < count; k++) mask[k] = dial_rng_uniform(rng) < drop ? 0 : keep_scale;
    }
}

/* One optimiser step on the minibatch of rows order[start .. start + m);
 * adds its summed loss to *loss. */
static dial_status mlp_step(mlp_trainer *tr, dial_rng *dropout_rng, size_t start, size_t m,
                            double lr, double *loss) {
    const dial_mlp_network *net = tr->net;
    tr->start = start;
    tr->m = m;
    tr->lr = lr;
    if (tr->masks) mlp_draw_masks(tr, dropout_rng);
    if (tr->rows->csr) {
        const size_t *train_at = tr->rows->train_at;
        for (size_t i = 0; i < m; i++) {
            size_t row = tr->order[start + i];
            tr->batch_rows[i] = train_at ? train_at[row] : row;
        }
        dial_mlp_sparse_batch_fill(&tr->sparse, tr->rows->csr, tr->batch_rows, m);
    }
    for (size_t l = 1; l < net->n_layers; l++) {
        size_t n_in = net->sizes[l], n_out = net->sizes[l + 1];
        const double *w = tr->params + net->weight_at[l];
        double *t = tr->transposed + (net->weight_at[l] - net->weight_at[1]);
        for (size_t j = 0; j < n_in; j++)
            for (size_t k = 0; k < n_out; k++) t[k * n_in + j] = w[j * n_out + k];
    }
    dial_team_run(tr->team, mlp_rows_item, tr, (m + MLP_SHARE_ROWS - 1) / MLP_SHARE_ROWS);
    for (size_t i = 0; i < m; i++) *loss += tr->row_loss[i];
    dial_mlp_optimizer_next(tr->opt);
    dial_team_run(tr->team, mlp_params_item, tr, tr->n_chunks);
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
    dial_status status =
        rows->csr
            ? dial_mlp_sparse_forward_rows(ctx, threads, net, tr->params, rows->csr, rows->valid_at,
                                           n, tr->valid_out, tr->valid_scratch)
            : dial_mlp_forward_rows(ctx, threads, net, tr->params, rows->x_valid, n, tr->valid_out,
                                    tr->valid_scratch);
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
    size_t batch = tr->batch_size, units = net->n_units;
    size_t hidden_units = units - net->sizes[net->n_layers];
    size_t n_transposed = net->n_params - net->weight_at[1];
    tr->n_chunks = 0;
    for (size_t l = 0; l < net->n_layers; l++)
        tr->n_chunks += (net->sizes[l] + MLP_GRADIENT_ROWS - 1) / MLP_GRADIENT_ROWS + 1;
    size_t batch_inputs = rows->csr ? 0 : net->sizes[0];
    size_t total = batch * (batch_inputs + 2 + 2 * units) + n_transposed +
                   (size_t)tr->threads * MLP_GRADIENT_ROWS * net->widest +
                   (tr->options->dropout > 0 ? batch * hidden_units : 0) +
                   rows->n_valid * net->sizes[net->n_layers] +
                   (rows->n_valid ? (size_t)tr->threads * dial_mlp_block_scratch(net) : 0) +
                   (tr->options->early_stopping ? net->n_params : 0);
    tr->memory = dial_malloc(ctx, (total + 1) * sizeof *tr->memory);
    tr->order_memory = dial_malloc(ctx, (rows->n + batch + 1) * sizeof *tr->order_memory);
    if (!tr->memory || !tr->order_memory)
        return dial_fail(ctx, DIAL_ERR_NOMEM,
                         "out of memory training mlp (%zu weights, minibatches of %zu rows)",
                         net->n_params, batch);
    double *at = tr->memory;
    tr->batch_x = rows->csr ? NULL : at;
    at += batch * batch_inputs;
    tr->batch_y = at;
    at += batch;
    tr->row_loss = at;
    at += batch;
    tr->acts = at;
    at += batch * units;
    tr->deltas = at;
    at += batch * units;
    tr->transposed = at;
    at += n_transposed;
    tr->gradient = at;
    at += (size_t)tr->threads * MLP_GRADIENT_ROWS * net->widest;
    if (tr->options->dropout > 0) {
        tr->masks = at;
        at += batch * hidden_units;
    }
    if (rows->n_valid) {
        tr->valid_out = at;
        at += rows->n_valid * net->sizes[net->n_layers];
        tr->valid_scratch = at;
        at += (size_t)tr->threads * dial_mlp_block_scratch(net);
    }
    if (tr->options->early_stopping) tr->best = at;
    tr->order = tr->order_memory;
    tr->batch_rows = tr->order_memory + rows->n;
    for (size_t i = 0; i < rows->n; i++) tr->order[i] = i;
    if (rows->csr)
        return dial_mlp_sparse_batch_init(ctx, &tr->sparse, rows->csr, rows->train_at, rows->n,
                                          net->sizes[0], batch);
    return DIAL_OK;
}

/* Runs the epochs; the trainer's buffers are allocated. */
static dial_status mlp_epochs(dial_ctx *ctx, mlp_trainer *tr, dial_mlp_summary *summary) {
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
            dial_status status = mlp_step(tr, &dropout_rng, start, m, lr, &loss);
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
    /* Each step wakes the team twice; a step too small to repay that runs
     * on fewer threads (the weights do not depend on how many). */
    size_t work = 0;
    for (size_t l = 0; l < net->n_layers; l++) work += net->sizes[l] * net->sizes[l + 1];
    work *= 3 * options->batch_size;
    int threads = dial_ctx_threads(ctx);
    if ((size_t)threads > work / MLP_THREAD_WORK) threads = (int)(work / MLP_THREAD_WORK);
    mlp_trainer tr = {.net = net,
                      .options = options,
                      .rows = rows,
                      .params = params,
                      .batch_size = options->batch_size,
                      .threads = threads > 0 ? threads : 1};
    dial_mlp_optimizer opt = {0};
    tr.opt = &opt;
    dial_status status = mlp_trainer_alloc(ctx, &tr);
    if (status == DIAL_OK)
        status = dial_mlp_optimizer_init(ctx, &opt, options->solver, net->n_params,
                                         options->momentum, options->nesterov);
    if (status == DIAL_OK) status = dial_team_start(ctx, tr.threads, &tr.team);
    if (status == DIAL_OK) status = mlp_epochs(ctx, &tr, summary);
    dial_team_stop(tr.team);
    dial_mlp_optimizer_free(&opt);
    dial_mlp_sparse_batch_free(&tr.sparse);
    free(tr.memory);
    free(tr.order_memory);
    return status;
}

/*
 * Training a multilayer perceptron by minibatch gradient descent: shuffled
 * minibatches, backpropagation, dropout, the optimiser step, the per-epoch
 * validation score, early stopping.
 *
 * The per-epoch report is the hook for pruning and for the epoch path:
 * after every epoch the caller gets the epoch number, the training loss and
 * (with validation rows) the validation score through on_epoch, with the
 * weights as they stand in params, and may stop the run there.
 * models/mlp.c uses it for the tuner's epoch path (see the note there).
 */
#ifndef DIAL_MLP_TRAIN_H
#define DIAL_MLP_TRAIN_H

#include "dial/core.h"
#include "dial/data.h"
#include "models/mlp_network.h"
#include "models/mlp_optimizer.h"

/* What one epoch gave. */
typedef struct dial_mlp_epoch_report {
    size_t epoch;            /* epochs done, from 1 */
    double train_loss;       /* mean loss of the epoch's training rows, before the penalty:
                                cross-entropy, or half the squared error */
    double validation_score; /* accuracy or R^2 on the validation rows (NaN without them) */
} dial_mlp_epoch_report;

/* Called after every epoch. Setting *stop ends the training after this
 * epoch (as early stopping would: the best weights are kept when early
 * stopping is on); a status other than DIAL_OK, with its message set on
 * ctx, ends it with that status. */
typedef dial_status (*dial_mlp_epoch_fn)(dial_ctx *ctx, void *user,
                                         const dial_mlp_epoch_report *report, bool *stop);

typedef struct dial_mlp_options {
    dial_mlp_solver solver;
    double learning_rate;
    dial_mlp_schedule schedule;
    double momentum;   /* sgd */
    bool nesterov;     /* sgd */
    size_t batch_size; /* 1 .. training rows */
    size_t epochs;
    double alpha;   /* L2 penalty: alpha / (2 m) ||W||^2 per minibatch of m rows */
    double dropout; /* probability that a hidden unit is dropped, in [0, 1) */
    /* Early stopping (needs validation rows): stop after patience epochs in
     * which the validation score did not beat the best by more than tol, and
     * keep the weights of the best epoch. */
    bool early_stopping;
    size_t patience;
    double tol;
    uint64_t seed;              /* shuffling and dropout draw from streams of it */
    dial_mlp_epoch_fn on_epoch; /* may be NULL */
    void *on_epoch_user;
} dial_mlp_options;

/* The rows to train on and, optionally, rows to score after each epoch.
 * y: class indices (softmax network) or values (identity), y_valid NULL
 * when n_valid is 0. The rows are dense (x, x_valid: n x n_features and
 * n_valid x n_features, csr NULL) or compressed (csr, x and x_valid NULL):
 * the training rows are then rows train_at[0 .. n) of csr (rows 0 .. n
 * when train_at is NULL), the validation rows valid_at[0 .. n_valid), and
 * the first layer is taken from their nonzeros (models/mlp_sparse.h). */
typedef struct dial_mlp_rows {
    const double *x, *y;
    size_t n;
    const double *x_valid, *y_valid;
    size_t n_valid;
    const dial_csr *csr;
    const size_t *train_at, *valid_at;
} dial_mlp_rows;

/* What the run did, for the log. */
typedef struct dial_mlp_summary {
    size_t epochs_run;
    size_t best_epoch;       /* the epoch whose weights were kept */
    double train_loss;       /* of the last epoch run */
    double validation_score; /* of the best epoch; NaN without validation rows */
} dial_mlp_summary;

/* Trains params (initialised, net->n_params values) in place on rows with
 * at most dial_ctx_threads(ctx) threads. The result depends on the options
 * and the data only, never on the thread count. Every buffer is allocated
 * before the first epoch. Errors: DIAL_ERR_NOMEM, DIAL_ERR_NUMERIC when the
 * loss stops being finite, or what on_epoch returned. */
dial_status dial_mlp_train(dial_ctx *ctx, const dial_mlp_network *net,
                           const dial_mlp_options *options, const dial_mlp_rows *rows,
                           double *params, dial_mlp_summary *summary);

#endif

/*
 * A multilayer perceptron (a feed-forward neural network) for
 * classification (a softmax output trained on the cross-entropy) and
 * regression (an identity output trained on the squared error), as
 * scikit-learn's MLPClassifier and MLPRegressor, trained by minibatch Adam
 * or SGD with momentum (models/mlp_train.c) over dense matrix products of
 * its own (models/mlp_gemm.c, faster here than OpenBLAS and the same bits
 * on any CPU and thread count).
 *
 * Two choices differ from scikit-learn, for better models with the default
 * knobs:
 *  - regression learns the target standardised (mean 0, standard deviation
 *    1 over the training rows) and folds the scaling back into the output
 *    layer's weights and bias after training, so the saved tensors predict
 *    the target directly; scikit-learn's MLPRegressor fits the raw target,
 *    and with its default learning rate does not reach it in 200 epochs on a
 *    target in the hundreds;
 *  - a two-class target has two softmax outputs, not one logistic output.
 *
 * Epoch by epoch: with early_stopping the fit holds out validation_fraction
 * of the training rows (stratified by class) and scores them after every
 * epoch (accuracy, or R^2). The trainer hands each epoch to an optional
 * callback (dial_mlp_options.on_epoch), the hook for pruning and for the
 * epoch path of tuning: predict_fold_path trains once for the largest
 * epochs a search asks for and predicts the fold's test rows after each
 * epoch it was asked about, which are, bit for bit, the predictions of fits
 * with those epochs (nothing in a run before epoch m depends on the total,
 * except the cosine schedule and early stopping's best epoch, which are
 * refused). The public fit has no way to receive per-epoch values yet; a
 * report callback on the context (dial_ctx_set_report(ctx, fn, user)),
 * which the tuner would point at dial_trial_report and its pruner, would
 * let this file forward on_epoch to it with no fit signature changing.
 *
 * Sparse input (a LIBSVM file) stays compressed: the first layer reads the
 * nonzeros of each row (models/mlp_sparse.c) in training and in predict,
 * early stopping holds rows out by index rather than by copy, and nothing
 * is made dense; the layers after the first are the dense ones. The fit
 * gives the weights of the fit on the same rows made dense, bit for bit
 * (models/mlp_train.c says why). Sparse data is not scaled by default
 * (scale=standard would centre it, and is refused on it).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/model.h"
#include "models/family_tuning.h"
#include "models/learned_check.h"
#include "models/mlp_network.h"
#include "models/mlp_optimizer.h"
#include "models/mlp_sparse.h"
#include "models/mlp_train.h"

static const char *const mlp_activation_choices[] = {"relu", "tanh", "logistic", NULL};
static const char *const mlp_solver_choices[] = {"adam", "sgd", NULL};
static const char *const mlp_schedule_choices[] = {"constant", "invscaling", "cosine", NULL};

static const dial_knob_spec mlp_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "hidden",
     .type = DIAL_KNOB_INT,
     .list_item = "layer",
     .default_text = "100",
     .lower = 1,
     .upper = 100000,
     .has_search_range = true,
     .search_low = 16,
     .search_high = 512,
     .log_scale = true,
     .condition = "",
     .doc = "units of each hidden layer from the input side: 100 is one layer of 100, 128,64 two "
            "layers (scikit-learn's default is one of 100; searched as one layer of 16..512 on "
            "a log scale, as Bergstra and Bengio, Random Search for Hyper-Parameter "
            "Optimization, JMLR 2012, search a layer's units)"},
    {.name = "activation",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "relu",
     .choices = mlp_activation_choices,
     .condition = "",
     .doc = "activation of the hidden units: relu max(0, z), tanh, or logistic 1 / (1 + e^-z)"},
    {.name = "solver",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "adam",
     .choices = mlp_solver_choices,
     .condition = "",
     .doc = "optimiser: adam (Kingma and Ba 2015; beta1 0.9, beta2 0.999, eps 1e-8) or sgd with "
            "momentum"},
    {.name = "momentum",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0.9",
     .lower = 0,
     .upper = 1,
     .condition = "solver=sgd",
     .doc = "share of the previous step that sgd keeps in the next"},
    {.name = "nesterov",
     .type = DIAL_KNOB_BOOL,
     .default_text = "true",
     .condition = "solver=sgd",
     .doc = "Nesterov's momentum: take the gradient step after the momentum step"},
    {.name = "learning_rate",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1e-3",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1e-5,
     .search_high = 1e-1,
     .log_scale = true,
     .condition = "",
     .doc = "step size of the optimiser (scikit-learn's default 1e-3; searched 1e-5..1e-1 on a "
            "log scale)"},
    {.name = "schedule",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "constant",
     .choices = mlp_schedule_choices,
     .condition = "",
     .doc = "learning rate of epoch e (from 0): constant, invscaling lr / sqrt(e + 1), or cosine "
            "lr (1 + cos(pi e / epochs)) / 2"},
    {.name = "batch_size",
     .type = DIAL_KNOB_INT,
     .default_text = "200",
     .lower = 1,
     .upper = INFINITY,
     .condition = "",
     .doc = "rows per minibatch, one optimiser step each; the default 200 becomes all rows when "
            "there are fewer (as scikit-learn's), a larger value set by hand is an error"},
    {.name = "epochs",
     .type = DIAL_KNOB_INT,
     .default_text = "200",
     .lower = 1,
     .upper = INFINITY,
     .condition = "",
     .doc = "passes over the training rows (scikit-learn's max_iter, default 200)"},
    {.name = "alpha",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1e-4",
     .lower = 0,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 1e-6,
     .search_high = 1e-1,
     .log_scale = true,
     .condition = "",
     .doc = "L2 penalty on the weights, alpha / (2 m) ||W||^2 per minibatch of m rows, as "
            "scikit-learn's (default 1e-4; searched 1e-6..1e-1 on a log scale)"},
    {.name = "dropout",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = 0,
     .upper = 1,
     .upper_open = true,
     .condition = "",
     .doc = "probability that a hidden unit is left out of a training step (inverted dropout, "
            "Srivastava et al. 2014); 0 for none"},
    {.name = "early_stopping",
     .type = DIAL_KNOB_BOOL,
     .default_text = "false",
     .condition = "",
     .doc = "hold out validation_fraction of the training rows, stop when their score stops "
            "improving and keep the weights of the best epoch"},
    {.name = "validation_fraction",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0.1",
     .lower = 0,
     .lower_open = true,
     .upper = 1,
     .upper_open = true,
     .condition = "early_stopping=true",
     .doc = "share of the training rows held out (stratified by class) to score each epoch"},
    {.name = "patience",
     .type = DIAL_KNOB_INT,
     .default_text = "10",
     .lower = 1,
     .upper = INFINITY,
     .condition = "early_stopping=true",
     .doc = "stop after this many epochs in a row without a validation score better than the "
            "best by more than tol (scikit-learn's n_iter_no_change)"},
    {.name = "tol",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1e-4",
     .lower = 0,
     .upper = INFINITY,
     .condition = "early_stopping=true",
     .doc = "least gain of the validation score (accuracy or R^2) that counts as an "
            "improvement"},
};

static const dial_param_doc mlp_params[] = {
    {"layer<l>.weight",
     "n_inputs x hidden[0] for l = 0, hidden[l-1] x hidden[l] after, hidden[last] x n_outputs "
     "for the output layer",
     "weights of layer l (from 0): entry (j, k) is what input j adds to unit k; n_outputs is "
     "n_classes (classification) or 1 (regression)"},
    {"layer<l>.bias", "hidden[l], or n_outputs for the output layer",
     "the constant added to each unit of layer l before its activation"},
};

/* Streams of the seed ("mlp" and a number); the trainer uses 2 and 3. */
#define MLP_STREAM_INIT 0x6d6c700000000001ULL
#define MLP_STREAM_HOLDOUT 0x6d6c700000000004ULL

static size_t mlp_choice(const dial_knobs *knobs, const char *name, const char *const *choices) {
    const char *value = dial_knobs_choice(knobs, name);
    for (size_t c = 0; choices[c]; c++)
        if (strcmp(choices[c], value) == 0) return c;
    return 0;
}

/* ---- fit ------------------------------------------------------------------- */

static dial_status mlp_check_input(dial_ctx *ctx, const dial_fit_input *in) {
    if (in->n_rows == 0) return dial_fail(ctx, DIAL_ERR_DATA, "mlp: no training rows to fit on");
    if (in->sparse) {
        dial_status status = dial_mlp_sparse_check(ctx, in->sparse, in->n_rows, in->n_features);
        if (status != DIAL_OK) return status;
    }
    if (in->task == DIAL_TASK_REGRESSION) {
        for (size_t i = 0; i < in->n_rows; i++)
            if (!isfinite(in->y[i]))
                return dial_fail(ctx, DIAL_ERR_DATA, "mlp: target of row %zu is %g, not a number",
                                 i + 1, in->y[i]);
        return DIAL_OK;
    }
    if (in->task != DIAL_TASK_CLASSIFICATION)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "mlp does classification or regression, not %s",
                         dial_task_name(in->task));
    if (in->n_classes < 2)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "mlp needs at least 2 classes in the target, found %zu", in->n_classes);
    for (size_t i = 0; i < in->n_rows; i++) {
        double label = in->y[i];
        if (!(label >= 0 && label < (double)in->n_classes && label == floor(label)))
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "mlp: target of row %zu is %g, expected a class index in 0..%zu",
                             i + 1, label, in->n_classes - 1);
    }
    return DIAL_OK;
}

/* The rows a fit trains and validates on when early stopping splits them:
 * dense rows copied, compressed rows by their index (train_at, valid_at). */
typedef struct mlp_split {
    double *x_train, *y_train, *x_valid, *y_valid; /* owned */
    size_t *train_at, *valid_at;                   /* owned; compressed rows only */
    size_t n_train, n_valid;
} mlp_split;

static void mlp_split_free(mlp_split *split) {
    free(split->train_at);
    free(split->valid_at);
    free(split->x_train);
    free(split->y_train);
    free(split->x_valid);
    free(split->y_valid);
}

/* Holds out ceil(fraction n) rows for validation, at evenly spaced places in
 * the shuffled rows sorted by class, so each class gives its share (within
 * a row); the rest train. Rows keep their order in each part. */
static dial_status mlp_holdout(dial_ctx *ctx, const dial_fit_input *in, double fraction,
                               mlp_split *split) {
    size_t n = in->n_rows, p = in->n_features;
    size_t n_valid = (size_t)ceil(fraction * (double)n);
    if (n_valid < 1) n_valid = 1;
    if (n_valid >= n)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "mlp: early_stopping holds out validation_fraction=%g of the %zu training "
                         "rows, which leaves none to train on",
                         fraction, n);
    size_t *order = dial_malloc(ctx, n * sizeof *order);
    unsigned char *held = dial_calloc(ctx, n, 1);
    bool sparse = in->sparse != NULL;
    if (sparse) {
        split->train_at = dial_malloc(ctx, (n - n_valid) * sizeof *split->train_at);
        split->valid_at = dial_malloc(ctx, n_valid * sizeof *split->valid_at);
    } else {
        split->x_train = dial_malloc(ctx, ((n - n_valid) * p + 1) * sizeof *split->x_train);
        split->x_valid = dial_malloc(ctx, (n_valid * p + 1) * sizeof *split->x_valid);
    }
    split->y_train = dial_malloc(ctx, (n - n_valid) * sizeof *split->y_train);
    split->y_valid = dial_malloc(ctx, n_valid * sizeof *split->y_valid);
    bool rows_ok = sparse ? split->train_at && split->valid_at : split->x_train && split->x_valid;
    if (!order || !held || !rows_ok || !split->y_train || !split->y_valid) {
        free(order);
        free(held);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory holding out validation rows");
    }
    for (size_t i = 0; i < n; i++) order[i] = i;
    dial_rng rng = dial_rng_stream(dial_ctx_seed(ctx), MLP_STREAM_HOLDOUT);
    dial_rng_shuffle(&rng, order, n);
    if (in->task == DIAL_TASK_CLASSIFICATION) {
        /* A stable counting sort by class keeps the shuffled order within
         * each class. */
        size_t *start = dial_calloc(ctx, in->n_classes + 1, sizeof *start),
               *sorted = dial_malloc(ctx, n * sizeof *sorted);
        if (!start || !sorted) {
            free(start);
            free(sorted);
            free(order);
            free(held);
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory holding out validation rows");
        }
        for (size_t i = 0; i < n; i++) start[(size_t)in->y[i] + 1]++;
        for (size_t c = 0; c < in->n_classes; c++) start[c + 1] += start[c];
        for (size_t i = 0; i < n; i++) sorted[start[(size_t)in->y[order[i]]]++] = order[i];
        memcpy(order, sorted, n * sizeof *order);
        free(start);
        free(sorted);
    }
    for (size_t j = 0; j < n_valid; j++) held[order[(2 * j + 1) * n / (2 * n_valid)]] = 1;
    size_t t = 0, v = 0;
    for (size_t i = 0; i < n; i++) {
        if (sparse) {
            *(held[i] ? split->valid_at + v : split->train_at + t) = i;
        } else {
            double *x = held[i] ? split->x_valid + v * p : split->x_train + t * p;
            memcpy(x, in->x + i * p, p * sizeof *x);
        }
        if (held[i])
            split->y_valid[v++] = in->y[i];
        else
            split->y_train[t++] = in->y[i];
    }
    split->n_train = t;
    split->n_valid = v;
    free(order);
    free(held);
    return DIAL_OK;
}

/* Reads the knobs into trainer options; checks batch_size against the rows
 * it will train on. */
static dial_status mlp_options(dial_ctx *ctx, const dial_knobs *knobs, size_t n_train,
                               size_t n_valid, dial_mlp_options *options) {
    bool early = dial_knobs_bool(knobs, "early_stopping");
    *options = (dial_mlp_options){
        .solver = (dial_mlp_solver)mlp_choice(knobs, "solver", mlp_solver_choices),
        .learning_rate = dial_knobs_float(knobs, "learning_rate"),
        .schedule = (dial_mlp_schedule)mlp_choice(knobs, "schedule", mlp_schedule_choices),
        .momentum = dial_knobs_float(knobs, "momentum"),
        .nesterov = dial_knobs_bool(knobs, "nesterov"),
        .epochs = (size_t)dial_knobs_int(knobs, "epochs"),
        .alpha = dial_knobs_float(knobs, "alpha"),
        .dropout = dial_knobs_float(knobs, "dropout"),
        .early_stopping = early,
        .patience = (size_t)dial_knobs_int(knobs, "patience"),
        .tol = dial_knobs_float(knobs, "tol"),
        .seed = dial_ctx_seed(ctx),
    };
    long i = dial_knobs_find(knobs, "batch_size");
    double batch = knobs->values[i].number;
    if (batch > (double)n_train) {
        if (!knobs->values[i].set_by_user)
            batch = (double)n_train;
        else if (early)
            return dial_fail(ctx, DIAL_ERR_KNOB,
                             "knob 'batch_size' = %.0f is larger than the %zu training rows left "
                             "after early_stopping holds out %zu",
                             batch, n_train, n_valid);
        else
            return dial_fail(ctx, DIAL_ERR_KNOB,
                             "knob 'batch_size' = %.0f is larger than the %zu training rows", batch,
                             n_train);
    }
    options->batch_size = (size_t)batch;
    return DIAL_OK;
}

/* Mean and standard deviation of the target; a constant target scales by
 * 1. */
static void mlp_target_scaling(const double *y, size_t n, double *center, double *scale) {
    double mean = 0, squares = 0;
    for (size_t i = 0; i < n; i++) mean += y[i];
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) squares += (y[i] - mean) * (y[i] - mean);
    double sd = sqrt(squares / (double)n);
    *center = mean;
    *scale = sd > 0 && isfinite(sd) ? sd : 1;
}

/* Adds the tensors "layer<l>.weight" and "layer<l>.bias" from params. */
static dial_status mlp_store(dial_ctx *ctx, const dial_mlp_network *net, const double *params,
                             dial_tensors *learned) {
    for (size_t l = 0; l < net->n_layers; l++) {
        char name[DIAL_TENSOR_NAME_MAX];
        size_t in = net->sizes[l], out = net->sizes[l + 1];
        size_t weight_shape[2] = {in, out}, bias_shape[1] = {out};
        double *data = NULL;
        snprintf(name, sizeof name, "layer%zu.weight", l);
        dial_status status =
            dial_tensors_add(ctx, learned, name, DIAL_F64, 2, weight_shape, (void **)&data);
        if (status != DIAL_OK) return status;
        memcpy(data, params + net->weight_at[l], in * out * sizeof *data);
        snprintf(name, sizeof name, "layer%zu.bias", l);
        status = dial_tensors_add(ctx, learned, name, DIAL_F64, 1, bias_shape, (void **)&data);
        if (status != DIAL_OK) return status;
        memcpy(data, params + net->bias_at[l], out * sizeof *data);
    }
    return DIAL_OK;
}

/* One training run and what it leaves: the network, its parameters and the
 * target's scaling (regression). */
typedef struct mlp_run {
    dial_mlp_network net;
    double *params; /* owned, net.n_params; the scaling is folded in after training */
    double center, scale;
    bool regression;
    double learning_rate; /* for the message when a weight is not finite */
} mlp_run;

/* Folds the target's scaling into the output layer of params, so that
 * they predict the target itself. */
static void mlp_unscale(const mlp_run *run, double *params) {
    if (!run->regression) return;
    const dial_mlp_network *net = &run->net;
    size_t last = net->n_layers - 1, n_in = net->sizes[last];
    double *weight = params + net->weight_at[last], *bias = params + net->bias_at[last];
    for (size_t k = 0; k < n_in; k++) weight[k] *= run->scale;
    bias[0] = bias[0] * run->scale + run->center;
}

static dial_status mlp_check_finite(dial_ctx *ctx, const mlp_run *run, const double *params) {
    for (size_t k = 0; k < run->net.n_params; k++)
        if (!isfinite(params[k]))
            return dial_fail(ctx, DIAL_ERR_NUMERIC,
                             "mlp: training gave a non-finite weight; lower learning_rate (now "
                             "%g)",
                             run->learning_rate);
    return DIAL_OK;
}

/* Trains a network on in with the knobs, for epochs passes when epochs is
 * not 0 (else the knob's), calling on_epoch (may be NULL) after each; on
 * success run->params (freed by the caller, also on failure) holds the
 * weights with the scaling folded in. */
static dial_status mlp_run_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                               size_t epochs, dial_mlp_epoch_fn on_epoch, void *on_epoch_user,
                               mlp_run *run) {
    *run = (mlp_run){.scale = 1, .regression = in->task == DIAL_TASK_REGRESSION};
    dial_status status = mlp_check_input(ctx, in);
    if (status != DIAL_OK) return status;
    bool regression = run->regression;
    mlp_split split = {0};
    dial_mlp_rows rows = {.x = in->x, .y = in->y, .n = in->n_rows, .csr = in->sparse};
    if (dial_knobs_bool(knobs, "early_stopping")) {
        status = mlp_holdout(ctx, in, dial_knobs_float(knobs, "validation_fraction"), &split);
        rows = (dial_mlp_rows){.x = split.x_train,
                               .y = split.y_train,
                               .n = split.n_train,
                               .x_valid = split.x_valid,
                               .y_valid = split.y_valid,
                               .n_valid = split.n_valid,
                               .csr = in->sparse,
                               .train_at = split.train_at,
                               .valid_at = split.valid_at};
    }
    dial_mlp_options options;
    if (status == DIAL_OK) status = mlp_options(ctx, knobs, rows.n, rows.n_valid, &options);
    if (status == DIAL_OK) {
        if (epochs) options.epochs = epochs;
        options.on_epoch = on_epoch;
        options.on_epoch_user = on_epoch_user;
        run->learning_rate = options.learning_rate;
    }

    const double *hidden_values = NULL;
    size_t n_hidden = dial_knobs_list(knobs, "hidden", &hidden_values);
    size_t hidden[DIAL_KNOB_LIST_MAX];
    for (size_t l = 0; l < n_hidden && l < DIAL_KNOB_LIST_MAX; l++)
        hidden[l] = (size_t)hidden_values[l];
    if (status == DIAL_OK && (n_hidden < 1 || n_hidden > DIAL_KNOB_LIST_MAX))
        status =
            dial_fail(ctx, DIAL_ERR_INTERNAL, "mlp: %zu hidden layers: a bug in dial", n_hidden);
    if (status != DIAL_OK) {
        mlp_split_free(&split);
        return status;
    }
    dial_mlp_network *net = &run->net;
    dial_mlp_network_layout(
        net, in->n_features, hidden, n_hidden, regression ? 1 : in->n_classes,
        (dial_mlp_activation)mlp_choice(knobs, "activation", mlp_activation_choices),
        regression ? DIAL_MLP_IDENTITY : DIAL_MLP_SOFTMAX);

    /* Regression trains on the standardised target: scaled copies of the
     * training and validation values. */
    double *scaled = NULL;
    run->params = dial_malloc(ctx, net->n_params * sizeof *run->params);
    if (regression) {
        mlp_target_scaling(rows.y, rows.n, &run->center, &run->scale);
        scaled = dial_malloc(ctx, (rows.n + rows.n_valid) * sizeof *scaled);
        if (scaled) {
            for (size_t i = 0; i < rows.n; i++) scaled[i] = (rows.y[i] - run->center) / run->scale;
            for (size_t i = 0; i < rows.n_valid; i++)
                scaled[rows.n + i] = (rows.y_valid[i] - run->center) / run->scale;
            rows.y = scaled;
            rows.y_valid = rows.n_valid ? scaled + rows.n : NULL;
        }
    }
    if (!run->params || (regression && !scaled))
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the %zu weights of mlp",
                           net->n_params);
    dial_mlp_summary summary;
    if (status == DIAL_OK) {
        dial_rng rng = dial_rng_stream(dial_ctx_seed(ctx), MLP_STREAM_INIT);
        dial_mlp_network_init(net, &rng, run->params);
        status = dial_mlp_train(ctx, net, &options, &rows, run->params, &summary);
    }
    if (status == DIAL_OK) {
        mlp_unscale(run, run->params);
        status = mlp_check_finite(ctx, run, run->params);
    }
    if (status == DIAL_OK)
        dial_log(ctx, DIAL_LOG_DEBUG,
                 "mlp: %zu epochs, kept epoch %zu, training loss %g, validation score %g",
                 summary.epochs_run, summary.best_epoch, summary.train_loss,
                 summary.validation_score);
    free(scaled);
    mlp_split_free(&split);
    return status;
}

static dial_status mlp_fit(dial_ctx *ctx, const dial_knobs *knobs, const dial_fit_input *in,
                           dial_tensors *learned) {
    mlp_run run;
    dial_status status = mlp_run_fit(ctx, knobs, in, 0, NULL, NULL, &run);
    if (status == DIAL_OK) status = mlp_store(ctx, &run.net, run.params, learned);
    free(run.params);
    return status;
}

/* ---- predict --------------------------------------------------------------- */

/* The tensor called name, checked to be float64 of the given shape
 * (cols 0 for a vector). */
static dial_status mlp_tensor(dial_ctx *ctx, const dial_tensors *learned, const char *name,
                              size_t rows, size_t cols, const dial_tensor **out) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    if (!t) return dial_fail(ctx, DIAL_ERR_FORMAT, "mlp model has no tensor '%s'", name);
    int ndim = cols ? 2 : 1;
    bool ok = t->dtype == DIAL_F64 && t->ndim == ndim && t->data && t->shape[0] == rows &&
              (ndim == 1 || t->shape[1] == cols);
    if (ok) {
        *out = t;
        return DIAL_OK;
    }
    if (ndim == 1)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "mlp model tensor '%s' should be %zu float64 values",
                         name, rows);
    return dial_fail(ctx, DIAL_ERR_FORMAT,
                     "mlp model tensor '%s' should be %zu x %zu float64 values", name, rows, cols);
}

/* Rebuilds the network from the tensors alone (the hidden knob of a model
 * file is not needed to predict) and gathers its parameters into *params
 * (malloc'ed). */
static dial_status mlp_load(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                            const dial_fit_input *in, dial_mlp_network *net, double **params) {
    size_t n_outputs = in->task == DIAL_TASK_REGRESSION ? 1 : in->n_classes;
    if (in->task != DIAL_TASK_REGRESSION && n_outputs < 2)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "mlp model has %zu classes; it needs at least 2",
                         n_outputs);
    size_t n_layers = 0, hidden[DIAL_MLP_MAX_LAYERS];
    size_t width = in->n_features;
    for (;; n_layers++) {
        char name[DIAL_TENSOR_NAME_MAX];
        snprintf(name, sizeof name, "layer%zu.weight", n_layers);
        const dial_tensor *w = dial_tensors_find(learned, name);
        if (!w) break;
        if (n_layers == DIAL_MLP_MAX_LAYERS)
            return dial_fail(ctx, DIAL_ERR_FORMAT, "mlp model has more than %d layers",
                             DIAL_MLP_MAX_LAYERS);
        if (w->dtype != DIAL_F64 || w->ndim != 2 || !w->data || w->shape[0] != width ||
            w->shape[1] == 0)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "mlp model tensor '%s' should be %zu x units float64 values", name,
                             width);
        width = w->shape[1];
        hidden[n_layers] = width;
    }
    if (n_layers == 0)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "mlp model has no tensor 'layer0.weight'");
    if (width != n_outputs)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "mlp model tensor 'layer%zu.weight' has %zu outputs, expected %zu",
                         n_layers - 1, width, n_outputs);
    dial_mlp_network_layout(
        net, in->n_features, hidden, n_layers - 1, n_outputs,
        (dial_mlp_activation)mlp_choice(knobs, "activation", mlp_activation_choices),
        in->task == DIAL_TASK_REGRESSION ? DIAL_MLP_IDENTITY : DIAL_MLP_SOFTMAX);
    for (size_t l = 0; l < n_layers; l++) {
        char name[DIAL_TENSOR_NAME_MAX];
        const dial_tensor *t;
        snprintf(name, sizeof name, "layer%zu.bias", l);
        dial_status status = mlp_tensor(ctx, learned, name, net->sizes[l + 1], 0, &t);
        if (status != DIAL_OK) return status;
    }
    *params = dial_malloc(ctx, net->n_params * sizeof **params);
    if (!*params) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory predicting mlp");
    for (size_t l = 0; l < n_layers; l++) {
        char name[DIAL_TENSOR_NAME_MAX];
        size_t n_in = net->sizes[l], n_out = net->sizes[l + 1];
        snprintf(name, sizeof name, "layer%zu.weight", l);
        memcpy(*params + net->weight_at[l], dial_tensors_find(learned, name)->data,
               n_in * n_out * sizeof **params);
        snprintf(name, sizeof name, "layer%zu.bias", l);
        memcpy(*params + net->bias_at[l], dial_tensors_find(learned, name)->data,
               n_out * sizeof **params);
    }
    return DIAL_OK;
}

/* A model file's layers: the shapes predict checks, and every weight and
 * bias finite (a NaN weight would predict NaN, or one class, for every
 * row). */
static dial_status mlp_validate(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                                const dial_fit_input *in) {
    dial_mlp_network net = {0};
    double *params = NULL;
    dial_status status = mlp_load(ctx, knobs, learned, in, &net, &params);
    free(params);
    for (size_t l = 0; status == DIAL_OK && l < net.n_layers; l++) {
        char name[DIAL_TENSOR_NAME_MAX];
        snprintf(name, sizeof name, "layer%zu.weight", l);
        status = dial_learned_check_finite(ctx, "mlp", dial_tensors_find(learned, name));
        snprintf(name, sizeof name, "layer%zu.bias", l);
        if (status == DIAL_OK)
            status = dial_learned_check_finite(ctx, "mlp", dial_tensors_find(learned, name));
    }
    return status;
}

/* Predicts the rows of in (dense or compressed) through net with params:
 * the class and its probabilities, or the value. */
static dial_status mlp_predict_rows(dial_ctx *ctx, const dial_mlp_network *net,
                                    const double *params, const dial_fit_input *in,
                                    dial_predict_output *out) {
    size_t n = in->n_rows;
    if (n == 0) return DIAL_OK;
    size_t n_out = net->sizes[net->n_layers];
    size_t blocks = (n + net->block_rows - 1) / net->block_rows;
    int threads = dial_ctx_threads(ctx);
    if ((size_t)threads > blocks) threads = (int)blocks;
    double *outputs = dial_malloc(ctx, n * n_out * sizeof *outputs);
    double *scratch =
        dial_malloc(ctx, (size_t)threads * dial_mlp_block_scratch(net) * sizeof *scratch);
    dial_status status;
    if (!outputs || !scratch)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory predicting %zu rows with mlp", n);
    else if (in->sparse)
        status = dial_mlp_sparse_forward_rows(ctx, threads, net, params, in->sparse, NULL, n,
                                              outputs, scratch);
    else
        status = dial_mlp_forward_rows(ctx, threads, net, params, in->x, n, outputs, scratch);
    for (size_t i = 0; status == DIAL_OK && i < n; i++) {
        const double *row = outputs + i * n_out;
        if (net->output == DIAL_MLP_IDENTITY) {
            out->value[i] = row[0];
            continue;
        }
        size_t top = 0;
        for (size_t k = 1; k < n_out; k++)
            if (row[k] > row[top]) top = k;
        out->value[i] = (double)top;
        if (out->proba) memcpy(out->proba + i * n_out, row, n_out * sizeof *row);
    }
    free(outputs);
    free(scratch);
    return status;
}

static dial_status mlp_predict(dial_ctx *ctx, const dial_knobs *knobs, const dial_tensors *learned,
                               const dial_fit_input *in, dial_predict_output *out) {
    dial_mlp_network net;
    double *params = NULL;
    dial_status status = mlp_load(ctx, knobs, learned, in, &net, &params);
    if (status == DIAL_OK && in->sparse)
        status = dial_mlp_sparse_check(ctx, in->sparse, in->n_rows, in->n_features);
    if (status == DIAL_OK) status = mlp_predict_rows(ctx, &net, params, in, out);
    free(params);
    return status;
}

/* ---- tuning: a fold and the epoch path --------------------------------------- */

/* Nothing about a network can be prepared before its knobs are known, so a
 * fold's state only borrows the fold's rows (the tuner keeps them alive
 * until free_fold); what the tuner gains is the epoch path: one run of the
 * largest epochs answers every smaller one. */
static const char *const mlp_prepare_knobs[] = {NULL};

typedef struct mlp_fold {
    dial_fit_input train, test; /* borrowed */
} mlp_fold;

static void mlp_free_fold(void *state) { free(state); }

static dial_status mlp_prepare_fold(dial_ctx *ctx, const dial_knobs *knobs,
                                    const dial_knobs *knobs_max, const dial_fit_input *train,
                                    const dial_fit_input *test, void **fold_state) {
    (void)knobs;
    (void)knobs_max;
    *fold_state = NULL;
    if (test->n_features != train->n_features)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "mlp: the fold's test rows have %zu features, its training rows %zu",
                         test->n_features, train->n_features);
    dial_status status = mlp_check_input(ctx, train);
    if (status == DIAL_OK && test->sparse)
        status = dial_mlp_sparse_check(ctx, test->sparse, test->n_rows, test->n_features);
    if (status != DIAL_OK) return status;
    mlp_fold *fold = dial_malloc(ctx, sizeof *fold);
    if (!fold) return dial_fail(ctx, DIAL_ERR_NOMEM, "mlp: out of memory preparing a fold");
    *fold = (mlp_fold){.train = *train, .test = *test};
    *fold_state = fold;
    return DIAL_OK;
}

static dial_status mlp_predict_fold(dial_ctx *ctx, const dial_knobs *knobs, const void *fold_state,
                                    dial_predict_output *out) {
    const mlp_fold *fold = fold_state;
    if (!fold) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "mlp: no prepared fold");
    mlp_run run;
    dial_status status = mlp_run_fit(ctx, knobs, &fold->train, 0, NULL, NULL, &run);
    if (status == DIAL_OK) status = mlp_predict_rows(ctx, &run.net, run.params, &fold->test, out);
    free(run.params);
    return status;
}

/* One run along the epoch path: where its predictions go and when. */
typedef struct mlp_path {
    const mlp_fold *fold;
    mlp_run run;
    const size_t *steps;
    size_t n_steps, next; /* steps[next] is the next epoch to predict after */
    double *unscaled;     /* regression: the weights with the scaling folded in */
    dial_predict_output out;
    dial_status (*on_step)(void *user, size_t s, const dial_predict_output *out);
    void *user;
} mlp_path;

/* After each epoch of the run: when it is a requested step, predicts the
 * test rows from the weights as they stand, as a fit that stopped here
 * would (its scaling folded in, its weights checked). */
static dial_status mlp_path_epoch(dial_ctx *ctx, void *user, const dial_mlp_epoch_report *report,
                                  bool *stop) {
    mlp_path *path = user;
    if (path->next >= path->n_steps || report->epoch != path->steps[path->next]) return DIAL_OK;
    const double *params = path->run.params;
    if (path->run.regression) {
        if (!path->unscaled)
            path->unscaled = dial_malloc(ctx, path->run.net.n_params * sizeof *path->unscaled);
        if (!path->unscaled)
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the %zu weights of mlp",
                             path->run.net.n_params);
        memcpy(path->unscaled, params, path->run.net.n_params * sizeof *path->unscaled);
        mlp_unscale(&path->run, path->unscaled);
        params = path->unscaled;
    }
    dial_status status = mlp_check_finite(ctx, &path->run, params);
    if (status == DIAL_OK)
        status = mlp_predict_rows(ctx, &path->run.net, params, &path->fold->test, &path->out);
    if (status == DIAL_OK) status = path->on_step(path->user, path->next, &path->out);
    path->next++;
    if (path->next == path->n_steps) *stop = true;
    return status;
}

static dial_status
mlp_predict_fold_path(dial_ctx *ctx, const dial_knobs *knobs, const void *fold_state,
                      const size_t *steps, size_t n_steps, bool want_proba,
                      dial_status (*on_step)(void *user, size_t s, const dial_predict_output *out),
                      void *user) {
    const mlp_fold *fold = fold_state;
    if (!fold) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "mlp: no prepared fold");
    if (n_steps == 0) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "mlp: an epoch path of no steps");
    for (size_t s = 0; s < n_steps; s++)
        if (steps[s] == 0 || (s > 0 && steps[s] <= steps[s - 1]))
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "mlp: the epochs of a path must be positive and increasing; step "
                             "%zu is %zu",
                             s, steps[s]);
    /* The weights after m epochs of a longer run are those of a run of m
     * epochs unless something reads the total: the cosine schedule's rate
     * does, and early stopping keeps the best epoch of the whole run. */
    if (strcmp(dial_knobs_choice(knobs, "schedule"), "cosine") == 0)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "mlp: no epoch path with schedule=cosine, whose rate depends on the "
                         "total epochs");
    if (dial_knobs_bool(knobs, "early_stopping"))
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "mlp: no epoch path with early_stopping=true, which keeps the best "
                         "epoch of the whole run");
    const dial_fit_input *test = &fold->test;
    /* Without want_proba the class is predicted all the same, from the
     * scores, and no probability row is copied out. */
    bool classes = fold->train.task != DIAL_TASK_REGRESSION;
    size_t n_out = classes && want_proba ? fold->train.n_classes : 0;
    mlp_path path = {
        .fold = fold, .steps = steps, .n_steps = n_steps, .on_step = on_step, .user = user};
    path.out.value = dial_malloc(ctx, (test->n_rows + 1) * sizeof *path.out.value);
    path.out.proba =
        n_out ? dial_malloc(ctx, (test->n_rows * n_out + 1) * sizeof *path.out.proba) : NULL;
    dial_status status = DIAL_OK;
    if (!path.out.value || (n_out && !path.out.proba))
        status =
            dial_fail(ctx, DIAL_ERR_NOMEM, "mlp: out of memory for %zu predictions", test->n_rows);
    /* The buffer of the unscaled weights needs the network's size, known
     * once the run has laid it out: the first requested epoch allocates it. */
    if (status == DIAL_OK)
        status = mlp_run_fit(ctx, knobs, &fold->train, steps[n_steps - 1], mlp_path_epoch, &path,
                             &path.run);
    free(path.run.params);
    free(path.unscaled);
    free(path.out.value);
    free(path.out.proba);
    return status;
}

static const dial_family_tuning mlp_tuning = {
    .prepare_knobs = mlp_prepare_knobs,
    .prepare_fold = mlp_prepare_fold,
    .predict_fold = mlp_predict_fold,
    .free_fold = mlp_free_fold,
    .path_knob = "epochs",
    .predict_fold_path = mlp_predict_fold_path,
};

const dial_model_family dial_model_mlp = {
    .name = "mlp",
    .summary = "multilayer perceptron (feed-forward neural network) trained by adam or sgd",
    .tasks = DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION) | DIAL_TASK_BIT(DIAL_TASK_REGRESSION),
    .has_proba = true,
    .knobs = mlp_knobs,
    .n_knobs = sizeof mlp_knobs / sizeof mlp_knobs[0],
    .params = mlp_params,
    .n_params = sizeof mlp_params / sizeof mlp_params[0],
    .nonparametric_doc = NULL,
    .fit = mlp_fit,
    .predict = mlp_predict,
    .sparse_input = true,
    .tuning = &mlp_tuning,
    .validate = mlp_validate,
};

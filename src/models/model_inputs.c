/*
 * Preparing inputs (models/model_inputs.h): raw columns to what a family's
 * fit sees. dial_model_fit and the tuner's prepared folds both come here,
 * so a fold the tuner prepares is, to the bit, the one a fit would see.
 */
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "data/csr.h"
#include "models/model_inputs.h"

/* Above this size a dense matrix made of sparse data is said on stderr. */
#define MODEL_INPUTS_DENSIFY_NOTE_BYTES ((size_t)16 << 20)

/* The choice of a knob as an index into choices; fallback when the family
 * has no such knob. */
static int choice_index(const dial_knobs *knobs, const char *name, const char *const *choices,
                        int fallback) {
    const char *value = dial_knobs_choice(knobs, name);
    for (int i = 0; choices[i]; i++)
        if (strcmp(choices[i], value) == 0) return i;
    return fallback;
}

dial_impute dial_model_impute(const dial_model_family *family, const dial_knobs *knobs) {
    dial_impute impute =
        (dial_impute)choice_index(knobs, "impute", dial_impute_choices, DIAL_IMPUTE_MEAN);
    return impute == DIAL_IMPUTE_NONE && family->handles_missing ? DIAL_IMPUTE_KEEP : impute;
}

dial_scale dial_model_scale(const dial_knobs *knobs) {
    return (dial_scale)choice_index(knobs, "scale", dial_scale_choices, DIAL_SCALE_NONE);
}

dial_scale dial_model_scale_for(const dial_knobs *knobs, const dial_dataset *data) {
    long i = dial_knobs_find(knobs, "scale");
    /* LIBSVM and LIBLINEAR never scale sparse data; a family's default
     * (standard, which centres) would make it dense. */
    if (data->sparse && (i < 0 || !knobs->values[i].set_by_user)) return DIAL_SCALE_NONE;
    return dial_model_scale(knobs);
}

/* Whether the rows of view, unscaled, are the data's compressed rows as
 * they are: feature j column j of n_features, and every row in order
 * unless any_rows (a tuner's fold, read by row index). */
static bool sparse_as_is(const dial_view *view, size_t n_features, bool any_rows) {
    const dial_dataset *data = view->data;
    if (data->sparse->n_cols != n_features) return false;
    if (!any_rows && view->n != data->sparse->n_rows) return false;
    for (size_t i = 0; !any_rows && view->rows && i < view->n; i++)
        if (view->rows[i] != i) return false;
    for (size_t j = 0; j < n_features; j++)
        if (dial_csr_feature_column(data, j) != j) return false;
    return true;
}

/* "logistic, naive_bayes": the built-in families that take sparse input. */
static void sparse_families(char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < dial_model_family_count() && used + 1 < size; i++) {
        const dial_model_family *f = dial_model_family_at(i);
        if (!f->sparse_input) continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", f->name);
        if (n < 0) break;
        used += (size_t)n;
    }
    if (!buf[0]) snprintf(buf, size, "none yet");
}

/* Whether sparse rows may be made dense for a family that takes dense
 * input only: at most DIAL_DENSIFY_MAX_BYTES, said on stderr above
 * MODEL_INPUTS_DENSIFY_NOTE_BYTES, refused above the cap. */
static dial_status check_densify(dial_ctx *ctx, const dial_model_family *family, size_t n_rows,
                                 size_t n_inputs) {
    size_t bytes = dial_csr_dense_bytes(n_rows, n_inputs);
    char families[256];
    if (bytes > DIAL_DENSIFY_MAX_BYTES) {
        sparse_families(families, sizeof families);
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "model '%s' does not take sparse input, and these %zu x %zu rows would "
                         "take %zu MB dense (at most %zu MB); models that take sparse input: %s",
                         family->name, n_rows, n_inputs, bytes >> 20,
                         (size_t)DIAL_DENSIFY_MAX_BYTES >> 20, families);
    }
    if (bytes > MODEL_INPUTS_DENSIFY_NOTE_BYTES) {
        sparse_families(families, sizeof families);
        dial_log(ctx, DIAL_LOG_WARN,
                 "model '%s' does not take sparse input: %zu x %zu rows made dense (%zu MB); "
                 "models that take sparse input: %s",
                 family->name, n_rows, n_inputs, bytes >> 20, families);
    }
    return DIAL_OK;
}

dial_status dial_model_inputs_schema(dial_ctx *ctx, const dial_dataset *data,
                                     dial_feature **features, size_t *n_inputs) {
    *features = dial_calloc(ctx, data->n_features ? data->n_features : 1, sizeof **features);
    if (!*features) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the feature schema");
    for (size_t j = 0; j < data->n_features; j++) {
        const dial_column *col = data->features[j];
        bool categorical = col->type == DIAL_COLUMN_CATEGORICAL;
        (*features)[j] = (dial_feature){.name = col->name,
                                        .type = col->type,
                                        .n_levels = categorical ? col->n_levels : 0,
                                        .levels = categorical ? col->levels : NULL};
    }
    *n_inputs = dial_preprocess_n_inputs(*features, data->n_features);
    return DIAL_OK;
}

void dial_model_inputs_free(dial_model_inputs *inputs) {
    if (!inputs) return;
    free(inputs->x);
    free(inputs->y);
    free(inputs->onehot);
    free(inputs->onehot_values);
    dial_csr_free(inputs->sparse);
    memset(inputs, 0, sizeof *inputs);
}

/* dial_model_inputs_transform; any_rows: sparse rows as they are are
 * borrowed whatever rows they are (dial_model_inputs_transform_in_place). */
static dial_status inputs_transform(dial_ctx *ctx, const dial_model_family *family,
                                    const dial_knobs *knobs, const dial_feature *features,
                                    size_t n_features, const dial_tensors *learned,
                                    const dial_view *rows, dial_task task, size_t n_classes,
                                    dial_model_inputs *out, size_t *unseen, bool any_rows) {
    memset(out, 0, sizeof *out);
    size_t n_inputs = dial_preprocess_n_inputs(features, n_features);
    if (rows->data->sparse && family->sparse_input) {
        if (unseen) *unseen = 0;
        const double *center = NULL, *spread = NULL;
        dial_status status =
            dial_preprocess_scaling(ctx, features, n_features, learned, &center, &spread);
        /* Every row in order, unscaled, each feature its own column: the
         * data's rows are the input as they are, borrowed, not copied. */
        bool borrow = status == DIAL_OK && !center && sparse_as_is(rows, n_features, any_rows);
        if (status == DIAL_OK && !borrow)
            status = dial_preprocess_transform_sparse(ctx, features, n_features, center, spread,
                                                      rows, &out->sparse);
        if (status != DIAL_OK) return status;
        out->in = (dial_fit_input){.n_rows = rows->n,
                                   .n_features = n_inputs,
                                   .task = task,
                                   .n_classes = n_classes,
                                   .sparse = borrow ? rows->data->sparse : out->sparse};
        return DIAL_OK;
    }
    if (rows->data->sparse) {
        dial_status status = check_densify(ctx, family, rows->n, n_inputs);
        if (status != DIAL_OK) return status;
    }
    bool keep_missing = dial_model_impute(family, knobs) == DIAL_IMPUTE_KEEP;
    dial_status status = dial_preprocess_transform_missing(ctx, features, n_features, learned, rows,
                                                           keep_missing, &out->x, unseen);
    /* Where the one-hot columns lie, so a family (knn) may keep category
     * codes rather than every column of every level. */
    size_t n_onehot = 0;
    if (status == DIAL_OK)
        status = dial_preprocess_onehot(ctx, features, n_features, learned, &out->onehot, &n_onehot,
                                        &out->onehot_values);
    if (status != DIAL_OK) {
        dial_model_inputs_free(out);
        return status;
    }
    out->in = (dial_fit_input){.x = out->x,
                               .n_rows = rows->n,
                               .n_features = dial_preprocess_n_inputs(features, n_features),
                               .y = NULL,
                               .task = task,
                               .n_classes = n_classes,
                               .onehot = out->onehot,
                               .n_onehot = n_onehot};
    return DIAL_OK;
}

dial_status dial_model_inputs_transform(dial_ctx *ctx, const dial_model_family *family,
                                        const dial_knobs *knobs, const dial_feature *features,
                                        size_t n_features, const dial_tensors *learned,
                                        const dial_view *rows, dial_task task, size_t n_classes,
                                        dial_model_inputs *out, size_t *unseen) {
    return inputs_transform(ctx, family, knobs, features, n_features, learned, rows, task,
                            n_classes, out, unseen, false);
}

dial_status dial_model_inputs_transform_in_place(dial_ctx *ctx, const dial_model_family *family,
                                                 const dial_knobs *knobs,
                                                 const dial_feature *features, size_t n_features,
                                                 const dial_tensors *learned, const dial_view *rows,
                                                 dial_task task, size_t n_classes,
                                                 dial_model_inputs *out) {
    return inputs_transform(ctx, family, knobs, features, n_features, learned, rows, task,
                            n_classes, out, NULL, true);
}

bool dial_model_inputs_in_place(const dial_model_inputs *inputs) {
    return inputs->in.sparse && !inputs->sparse;
}

/* dial_model_inputs_fit; any_rows as for inputs_transform. */
static dial_status inputs_fit(dial_ctx *ctx, const dial_model_family *family,
                              const dial_knobs *knobs, const dial_feature *features,
                              size_t n_features, const dial_view *train, dial_tensors *learned,
                              dial_model_inputs *out, bool any_rows) {
    memset(out, 0, sizeof *out);
    const dial_dataset *data = train->data;
    dial_status status = dial_preprocess_fit(ctx, dial_model_impute(family, knobs),
                                             dial_model_scale_for(knobs, data), features,
                                             n_features, train, learned);
    if (status != DIAL_OK) return status;
    dial_task task = dial_model_fit_task(family, data);
    status = inputs_transform(ctx, family, knobs, features, n_features, learned, train, task,
                              dial_model_fit_n_classes(family, data), out, NULL, any_rows);
    /* An unsupervised family learns from x alone: it gets no target, even
     * from data that has one. */
    if (status != DIAL_OK || !dial_task_needs_target(task)) return status;
    out->y = dial_malloc(ctx, (train->n ? train->n : 1) * sizeof *out->y);
    if (!out->y) {
        dial_model_inputs_free(out);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory gathering the target");
    }
    for (size_t i = 0; i < train->n; i++) out->y[i] = data->y[dial_view_row(train, i)];
    out->in.y = out->y;
    return DIAL_OK;
}

dial_status dial_model_inputs_fit(dial_ctx *ctx, const dial_model_family *family,
                                  const dial_knobs *knobs, const dial_feature *features,
                                  size_t n_features, const dial_view *train, dial_tensors *learned,
                                  dial_model_inputs *out) {
    return inputs_fit(ctx, family, knobs, features, n_features, train, learned, out, false);
}

dial_status dial_model_inputs_fit_in_place(dial_ctx *ctx, const dial_model_family *family,
                                           const dial_knobs *knobs, const dial_feature *features,
                                           size_t n_features, const dial_view *train,
                                           dial_tensors *learned, dial_model_inputs *out) {
    return inputs_fit(ctx, family, knobs, features, n_features, train, learned, out, true);
}

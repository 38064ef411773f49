/*
 * libFuzzer target for the .dial reader: any bytes must load as a model or
 * fail with a one-line DIAL_ERR_FORMAT (or out-of-memory) message, never
 * crash, leak or hit undefined behaviour.
 *
 * Random bytes almost never carry a right checksum, so each input is tried
 * twice: as it is (the frame checks), and with the checksum the writer
 * would have put at its end (everything after: the JSON header, the knobs,
 * the tensor index). A model that loads must save, load again and save to
 * the same bytes, and must predict two rows without crashing: its family's
 * predict is what reads the tensors a file supplies.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dial/dial.h"
#include "modelfile/checksum.h"
#include "models/model_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A load failed: the message must be one non-empty line naming the input. */
static void check_error(const dial_ctx *ctx, dial_status status, const dial_model *model) {
    const char *message = dial_ctx_error(ctx);
    if (model) abort();
    if (status != DIAL_ERR_FORMAT && status != DIAL_ERR_NOMEM) abort();
    if (strncmp(message, "fuzz.dial: ", 11) != 0 || strchr(message, '\n')) abort();
}

/* Two rows with every feature present (0 and 1.5, or the first and last
 * level), bound by name like a CSV with a header. */
static void predict_two_rows(dial_ctx *ctx, const dial_model *model) {
    size_t n = model->n_features;
    if (n > 4096) return;
    dial_column *cols = calloc(n ? n : 1, sizeof *cols);
    double *values = calloc(2 * (n ? n : 1), sizeof *values);
    if (!cols || !values) abort();
    for (size_t j = 0; j < n; j++) {
        const dial_feature *f = &model->features[j];
        cols[j] = (dial_column){.name = f->name, .type = f->type, .values = values + 2 * j};
        if (f->type == DIAL_COLUMN_CATEGORICAL) {
            cols[j].levels = f->levels;
            cols[j].n_levels = f->n_levels;
            values[2 * j] = 0;
            values[2 * j + 1] = f->n_levels ? (double)(f->n_levels - 1) : NAN;
        } else {
            values[2 * j] = 0;
            values[2 * j + 1] = 1.5;
        }
    }
    dial_table table = {.n_rows = 2, .n_cols = n, .cols = cols, .has_header = true};
    dial_dataset *rows = NULL;
    if (dial_model_bind(ctx, model, &table, &rows) == DIAL_OK) {
        dial_view all = dial_view_all(rows);
        double value[2];
        size_t n_classes = model->n_classes;
        double *proba = NULL;
        if (model->task == DIAL_TASK_CLASSIFICATION && model->family->has_proba && n_classes < 4096)
            proba = calloc(2 * (n_classes ? n_classes : 1), sizeof *proba);
        dial_model_predict(ctx, model, &all, value, proba);
        free(proba);
    }
    dial_dataset_free(rows);
    free(values);
    free(cols);
}

static void round_trip(dial_ctx *ctx, const dial_model *model) {
    unsigned char *first = NULL, *second = NULL;
    size_t first_length = 0, second_length = 0;
    /* Saving refuses only what no file can hold; a loaded model is not that. */
    if (dial_model_save_buffer(ctx, model, &first, &first_length) != DIAL_OK) abort();
    dial_model *again = NULL;
    if (dial_model_load_buffer(ctx, "fuzz.dial", first, first_length, &again) != DIAL_OK) abort();
    if (dial_model_save_buffer(ctx, again, &second, &second_length) != DIAL_OK) abort();
    if (first_length != second_length || memcmp(first, second, first_length) != 0) abort();
    dial_model_free(again);
    free(first);
    free(second);
}

static void load(dial_ctx *ctx, const uint8_t *data, size_t size) {
    dial_model *model = NULL;
    dial_status status = dial_model_load_buffer(ctx, "fuzz.dial", data, size, &model);
    if (status != DIAL_OK) {
        check_error(ctx, status, model);
        return;
    }
    round_trip(ctx, model);
    predict_two_rows(ctx, model);
    dial_model_free(model);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    dial_ctx *ctx = dial_ctx_new();
    if (!ctx) return 0;
    load(ctx, data, size);
    if (size >= 8) {
        uint8_t *fixed = malloc(size);
        if (!fixed) abort();
        memcpy(fixed, data, size);
        uint64_t checksum = dial_modelfile_checksum(fixed, size - 8);
        for (int i = 0; i < 8; i++) fixed[size - 8 + i] = (uint8_t)(checksum >> (8 * i));
        load(ctx, fixed, size);
        free(fixed);
    }
    dial_ctx_free(ctx);
    return 0;
}

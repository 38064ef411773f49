/*
 * tune_folds: the cross-validation folds `dial tune` scores its trials on,
 * so a benchmark can hand the very same folds to another library.
 *
 *   tune_folds DATA TARGET [FOLDS] [SEED]
 *
 * Reads DATA as `dial tune DATA --target TARGET` does, makes the built-in
 * objective `dial tune --cv FOLDS --seed SEED` makes (FOLDS default 5, SEED
 * default 0; one repeat, no holdout: every row is searched), and prints, for
 * each row of the data in order, the index of the fold whose test rows
 * hold it, one number per line (scikit-learn's PredefinedSplit reads that
 * as its test_fold). Exit status 1 with the error on stderr on failure.
 */
#include <stdio.h>
#include <stdlib.h>

#include <dial/dial.h>
#include <dial/tune_model.h>

static int fail(dial_ctx *ctx) {
    fprintf(stderr, "tune_folds: %s\n", dial_ctx_error(ctx));
    return 1;
}

int main(int argc, char **argv) {
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: tune_folds DATA TARGET [FOLDS] [SEED]\n");
        return 2;
    }
    size_t folds = argc > 3 ? (size_t)strtoul(argv[3], NULL, 10) : 5;
    uint64_t seed = argc > 4 ? (uint64_t)strtoull(argv[4], NULL, 10) : 0;
    dial_ctx *ctx = dial_ctx_new();
    if (!ctx) return 1;
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    const dial_model_family *family = NULL;
    dial_knobs knobs = {0};
    dial_model_objective *objective = NULL;
    int code = 0;
    if (dial_table_read(ctx, argv[1], NULL, &table) != DIAL_OK ||
        dial_dataset_from_table(ctx, table, argv[2], DIAL_TASK_AUTO, &data) != DIAL_OK ||
        dial_model_family_lookup(ctx, "knn", &family) != DIAL_OK ||
        dial_model_knobs_init(ctx, family, &knobs) != DIAL_OK) {
        code = fail(ctx);
    } else {
        dial_space space = {0, NULL};
        dial_tune_setup setup = {.family = family,
                                 .knobs = &knobs,
                                 .space = &space,
                                 .metric = dial_metric_default(data->task),
                                 .folds = folds,
                                 .repeats = 1,
                                 .seed = seed};
        if (dial_model_objective_create(ctx, &setup, data, NULL, 0, &objective) != DIAL_OK) {
            code = fail(ctx);
        } else {
            const dial_splits *splits = dial_model_objective_splits(objective);
            long *fold_of = malloc(data->n_rows * sizeof *fold_of);
            if (!fold_of) {
                fprintf(stderr, "tune_folds: out of memory\n");
                code = 1;
            } else {
                for (size_t i = 0; i < data->n_rows; i++) fold_of[i] = -1;
                for (size_t f = 0; f < splits->count; f++)
                    for (size_t j = 0; j < splits->items[f].n_test; j++)
                        fold_of[splits->items[f].test[j]] = (long)f;
                for (size_t i = 0; i < data->n_rows; i++) printf("%ld\n", fold_of[i]);
                free(fold_of);
            }
        }
    }
    dial_model_objective_free(objective);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return code;
}

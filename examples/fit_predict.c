/*
 * fit_predict: dial as a library, end to end, with the public header only.
 *
 * Loads data/iris.csv, estimates the accuracy of k-nearest neighbours with
 * k=7 by 5-fold cross-validation, fits it on every row, saves it to a .dial
 * file, loads that file back and predicts with it. Returns 0 only if every
 * step worked and the loaded model predicts exactly as the fitted one.
 *
 * Build against an installed dial:  cc fit_predict.c $(pkg-config --cflags --libs dial)
 * Run from the repository root, where data/iris.csv is.
 */
/* mkstemp is POSIX: ask for it, since a plain `cc -std=c11` does not. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dial/dial.h>

/* Prints the context's message when a call failed; true when it worked. */
static bool ok(dial_ctx *ctx, dial_status status, const char *what) {
    if (status == DIAL_OK) return true;
    fprintf(stderr, "fit_predict: %s failed: %s\n", what, dial_ctx_error(ctx));
    return false;
}

int main(void) {
    int exit_status = 1;
    dial_ctx *ctx = dial_ctx_new();
    if (!ctx) return 1;
    dial_ctx_set_seed(ctx, 0);
    dial_ctx_set_threads(ctx, 2);

    dial_table *table = NULL;
    dial_dataset *data = NULL;
    dial_knobs knobs = {0};
    dial_splits splits = {0, NULL};
    dial_cv_result cv = {0};
    dial_model *fitted = NULL, *loaded = NULL;
    double *from_fitted = NULL, *from_loaded = NULL;
    char path[] = "/tmp/dial_fit_predict_XXXXXX";
    bool have_file = false;

    /* The data: four measurements of 150 flowers and their species. */
    if (!ok(ctx, dial_csv_read(ctx, "data/iris.csv", NULL, &table), "reading data/iris.csv"))
        goto done;
    if (!ok(ctx, dial_dataset_from_table(ctx, table, "species", DIAL_TASK_AUTO, &data),
            "choosing the target"))
        goto done;

    /* The model and its knobs: k-nearest neighbours, k = 7. */
    const dial_model_family *knn = dial_model_family_find("knn");
    if (!knn) {
        fprintf(stderr, "fit_predict: no knn model in the registry\n");
        goto done;
    }
    if (!ok(ctx, dial_model_knobs_init(ctx, knn, &knobs), "setting the default knobs") ||
        !ok(ctx, dial_knobs_set(ctx, &knobs, "k", "7"), "setting k"))
        goto done;

    /* An honest estimate first: 5-fold cross-validation, stratified by class. */
    if (!ok(ctx, dial_split_kfold(ctx, data, 5, 1, true, 0, &splits), "splitting") ||
        !ok(ctx, dial_cv_run(ctx, knn, &knobs, data, &splits, DIAL_METRIC_ACCURACY, &cv),
            "cross-validating"))
        goto done;
    printf("knn k=7 on iris: 5-fold accuracy %.4f (std %.4f)\n", cv.mean, cv.std);

    /* Then the model to keep: fitted on every row, saved, loaded back. */
    dial_view all = dial_view_all(data);
    if (!ok(ctx, dial_model_fit(ctx, knn, &knobs, &all, &fitted), "fitting")) goto done;
    int fd = mkstemp(path);
    if (fd < 0) {
        perror("fit_predict: mkstemp");
        goto done;
    }
    close(fd);
    have_file = true;
    if (!ok(ctx, dial_model_save(ctx, fitted, path), "saving") ||
        !ok(ctx, dial_model_load(ctx, path, &loaded), "loading"))
        goto done;

    /* The loaded model must predict exactly as the one that was fitted. */
    from_fitted = calloc(data->n_rows, sizeof *from_fitted);
    from_loaded = calloc(data->n_rows, sizeof *from_loaded);
    if (!from_fitted || !from_loaded) goto done;
    if (!ok(ctx, dial_model_predict(ctx, fitted, &all, from_fitted, NULL), "predicting") ||
        !ok(ctx, dial_model_predict(ctx, loaded, &all, from_loaded, NULL), "predicting (loaded)"))
        goto done;
    if (memcmp(from_fitted, from_loaded, data->n_rows * sizeof *from_fitted) != 0) {
        fprintf(stderr, "fit_predict: the loaded model predicts differently\n");
        goto done;
    }
    size_t correct = 0;
    for (size_t i = 0; i < data->n_rows; i++) correct += from_loaded[i] == data->y[i];
    for (size_t i = 0; i < data->n_rows; i += 50)
        printf("row %3zu: true %-10s predicted %s\n", i + 1, data->class_names[(size_t)data->y[i]],
               dial_model_class_name(loaded, (size_t)from_loaded[i]));
    printf("training accuracy of the loaded model: %.4f\n", (double)correct / (double)data->n_rows);
    exit_status = cv.mean > 0.9 ? 0 : 1;

done:
    if (have_file) remove(path);
    free(from_fitted);
    free(from_loaded);
    dial_model_free(fitted);
    dial_model_free(loaded);
    dial_cv_result_free(&cv);
    dial_splits_free(&splits);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
    return exit_status;
}

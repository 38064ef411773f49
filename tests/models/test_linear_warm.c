/* Warm starts along C of LIBLINEAR's duals (src/models/dual_warm.h), for
 * linsvm and for logistic on sparse rows: a fit started from the solution
 * at a smaller C reaches the cold fit's optimum to the solver's tolerance,
 * predicts as it does, and takes fewer passes over the rows.
 *
 * The fold: data/text_small.libsvm (500 rows, 5 classes, 2,999 words),
 * rows with index % 5 == 0 test, the others train. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/dual_warm.h"
#include "models/family_tuning.h"

typedef struct sparse_fold {
    dial_table *table;
    dial_dataset *data;
    dial_csr train_x, test_x;
    double *train_y, *test_y;
    dial_fit_input train, test;
} sparse_fold;

/* The rows of data whose index % 5 == 0 is want_test, as their own CSR. */
static dial_csr subset(const dial_dataset *data, bool want_test, double *y) {
    const dial_csr *all = data->sparse;
    dial_csr x = {.n_cols = all->n_cols};
    x.row_start = malloc((data->n_rows + 1) * sizeof *x.row_start);
    x.col = malloc(all->row_start[all->n_rows] * sizeof *x.col);
    x.value = malloc(all->row_start[all->n_rows] * sizeof *x.value);
    size_t at = 0;
    for (size_t i = 0; i < data->n_rows; i++) {
        if ((i % 5 == 0) != want_test) continue;
        x.row_start[x.n_rows] = at;
        for (size_t k = all->row_start[i]; k < all->row_start[i + 1]; k++) {
            x.col[at] = all->col[k];
            x.value[at++] = all->value[k];
        }
        y[x.n_rows++] = data->y[i];
    }
    x.row_start[x.n_rows] = at;
    return x;
}

/* Fills *f in place: its inputs point into it. */
static void load_fold(dial_ctx *ctx, sparse_fold *f) {
    memset(f, 0, sizeof *f);
    f->data = test_load_dataset(ctx, "data/text_small.libsvm", NULL, &f->table);
    f->train_y = malloc(f->data->n_rows * sizeof *f->train_y);
    f->test_y = malloc(f->data->n_rows * sizeof *f->test_y);
    f->train_x = subset(f->data, false, f->train_y);
    f->test_x = subset(f->data, true, f->test_y);
    f->train = (dial_fit_input){.n_rows = f->train_x.n_rows,
                                .n_features = f->train_x.n_cols,
                                .y = f->train_y,
                                .task = DIAL_TASK_CLASSIFICATION,
                                .n_classes = f->data->n_classes,
                                .sparse = &f->train_x};
    f->test = f->train;
    f->test.n_rows = f->test_x.n_rows;
    f->test.y = NULL;
    f->test.sparse = &f->test_x;
}

static void free_fold(sparse_fold *f) {
    free(f->train_x.row_start);
    free(f->train_x.col);
    free(f->train_x.value);
    free(f->test_x.row_start);
    free(f->test_x.col);
    free(f->test_x.value);
    free(f->train_y);
    free(f->test_y);
    dial_dataset_free(f->data);
    dial_table_free(f->table);
}

static void set_c(dial_ctx *ctx, dial_knobs *knobs, double c) {
    char text[64];
    snprintf(text, sizeof text, "C=%.17g", c);
    assert_dial_ok(ctx, dial_knobs_set_assignment(ctx, knobs, text));
}

/* Climbs C over a ladder on the fold twice, cold at every C and warm from
 * the C below, and checks that the two agree: each binary problem's
 * objective within rel_objective (relative), the test predictions on all
 * but at most one row; and that the warm climb takes fewer passes. */
static void warm_climb_agrees_with_cold_fits(const char *family_name, const char *const *settings,
                                             double rel_objective) {
    dial_ctx *ctx = test_ctx();
    sparse_fold f;
    load_fold(ctx, &f);
    const dial_model_family *family = dial_model_family_find(family_name);
    const dial_family_tuning *tuning = family->tuning;
    assert_non_null(tuning);
    assert_string_equal(tuning->warm_knob, "C");
    dial_knobs knobs = test_knobs(ctx, family, settings);
    void *state = NULL;
    assert_dial_ok(ctx, tuning->prepare_fold(ctx, &knobs, &knobs, &f.train, &f.test, &state));
    static const double ladder[] = {0.01, 0.1, 1, 10, 100};
    size_t n = f.test.n_rows;
    double *cold_value = malloc(n * sizeof *cold_value),
           *warm_value = malloc(n * sizeof *warm_value);
    long cold_passes = 0, warm_passes = 0;
    void *previous = NULL;
    for (size_t s = 0; s < sizeof ladder / sizeof ladder[0]; s++) {
        set_c(ctx, &knobs, ladder[s]);
        void *cold = NULL, *warm = NULL;
        dial_predict_output cold_out = {cold_value, NULL}, warm_out = {warm_value, NULL};
        assert_dial_ok(ctx, tuning->predict_fold_warm(ctx, &knobs, state, NULL, &cold, &cold_out));
        assert_dial_ok(ctx,
                       tuning->predict_fold_warm(ctx, &knobs, state, previous, &warm, &warm_out));
        const dial_dual_warm *c = cold, *w = warm;
        assert_int_equal(c->n_problems, 5);
        for (size_t r = 0; r < c->n_problems; r++)
            if (fabs(c->objective[r] - w->objective[r]) > rel_objective * fabs(c->objective[r]))
                fail_msg("C=%g problem %zu: cold objective %.9g, warm %.9g", ladder[s], r,
                         c->objective[r], w->objective[r]);
        size_t differ = 0;
        for (size_t i = 0; i < n; i++) differ += cold_value[i] != warm_value[i];
        if (differ > 1) fail_msg("C=%g: %zu of %zu predictions differ", ladder[s], differ, n);
        if (s > 0) {
            cold_passes += c->passes;
            warm_passes += w->passes;
        }
        tuning->free_warm(cold);
        tuning->free_warm(previous);
        previous = warm;
    }
    tuning->free_warm(previous);
    print_message("%s: %ld passes cold, %ld warm over C = 0.1 .. 100\n", family_name, cold_passes,
                  warm_passes);
    if (!(warm_passes < cold_passes))
        fail_msg("warm starts took %ld passes, cold ones %ld", warm_passes, cold_passes);
    /* The cold hook predicts as predict_fold does, and as a full fit. */
    dial_predict_output out = {warm_value, NULL};
    assert_dial_ok(ctx, tuning->predict_fold(ctx, &knobs, state, &out));
    assert_memory_equal(warm_value, cold_value, n * sizeof *cold_value);
    tuning->free_fold(state);
    free(cold_value);
    free(warm_value);
    dial_knobs_free(&knobs);
    free_fold(&f);
    dial_ctx_free(ctx);
}

static void linsvm_l2_loss_warm_starts_reach_the_cold_optimum(void **state) {
    (void)state;
    warm_climb_agrees_with_cold_fits("linsvm", (const char *const[]){"tol=0.001", NULL}, 1e-4);
}

static void linsvm_l1_loss_warm_starts_reach_the_cold_optimum(void **state) {
    (void)state;
    warm_climb_agrees_with_cold_fits("linsvm",
                                     (const char *const[]){"loss=hinge", "tol=0.001", NULL}, 1e-4);
}

static void logistic_warm_starts_reach_the_cold_optimum(void **state) {
    (void)state;
    warm_climb_agrees_with_cold_fits("logistic", NULL, 1e-4);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(linsvm_l2_loss_warm_starts_reach_the_cold_optimum),
        cmocka_unit_test(linsvm_l1_loss_warm_starts_reach_the_cold_optimum),
        cmocka_unit_test(logistic_warm_starts_reach_the_cold_optimum),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The drift reference through the public API (dial/drift.h): set on a
 * model fitted on credit_data, it survives a save and a load exactly and
 * describes the training rows (counts that add up, sorted edges, the
 * target's classes); a model without one says so; comparing the training
 * rows with their own reference finds no drift and a shifted column
 * ranks first; the distributions the p-values come from equal scipy's. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct credit_fixture {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
    dial_model *model;
} credit_fixture;

static credit_fixture credit_fit(void) {
    credit_fixture f = {.ctx = test_ctx()};
    f.data = test_load_dataset(f.ctx, "data/credit_data.csv", "Status", &f.table);
    const dial_model_family *family = NULL;
    assert_dial_ok(f.ctx, dial_model_family_lookup(f.ctx, "naive_bayes", &family));
    dial_knobs knobs;
    assert_dial_ok(f.ctx, dial_model_knobs_init(f.ctx, family, &knobs));
    dial_view all = dial_view_all(f.data);
    assert_dial_ok(f.ctx, dial_model_fit(f.ctx, family, &knobs, &all, &f.model));
    dial_knobs_free(&knobs);
    return f;
}

static void credit_free(credit_fixture *f) {
    dial_model_free(f->model);
    dial_dataset_free(f->data);
    dial_table_free(f->table);
    dial_ctx_free(f->ctx);
}

static dial_model *save_and_load(dial_ctx *ctx, const dial_model *model) {
    unsigned char *bytes = NULL;
    size_t length = 0;
    assert_dial_ok(ctx, dial_model_save_buffer(ctx, model, &bytes, &length));
    dial_model *loaded = NULL;
    assert_dial_ok(ctx, dial_model_load_buffer(ctx, "credit.dial", bytes, length, &loaded));
    free(bytes);
    return loaded;
}

static void test_a_fitted_model_has_no_reference_until_one_is_set(void **state) {
    (void)state;
    credit_fixture f = credit_fit();
    assert_false(dial_model_has_drift_reference(f.model));
    dial_drift_reference *reference = (dial_drift_reference *)1;
    assert_dial_ok(f.ctx, dial_model_drift_reference(f.ctx, f.model, &reference));
    assert_null(reference);
    credit_free(&f);
}

static void test_the_reference_survives_a_save_and_describes_the_training_rows(void **state) {
    (void)state;
    credit_fixture f = credit_fit();
    dial_view all = dial_view_all(f.data);
    assert_dial_ok(f.ctx, dial_model_set_drift_reference(f.ctx, f.model, &all));
    dial_model *loaded = save_and_load(f.ctx, f.model);
    assert_true(dial_model_has_drift_reference(loaded));
    dial_drift_reference *reference = NULL;
    assert_dial_ok(f.ctx, dial_model_drift_reference(f.ctx, loaded, &reference));
    assert_non_null(reference);
    assert_int_equal(reference->n_rows, 4454);
    assert_int_equal(reference->n_features, 13);
    assert_int_equal(reference->n_model_features, 13);
    assert_null(reference->limit);
    assert_false(reference->has_cv);
    assert_true(reference->has_target);
    assert_int_equal(reference->target.n_cells, 2); /* good, bad */
    for (size_t i = 0; i < reference->n_features; i++) {
        const dial_drift_column *column = &reference->features[i];
        assert_int_equal(column->feature, i);
        assert_int_equal(column->count + column->missing, 4454);
        uint64_t sum = 0;
        for (size_t k = 0; k < column->n_cells; k++) sum += column->counts[k];
        assert_int_equal(sum, column->count);
        if (column->type == DIAL_COLUMN_NUMERIC) {
            assert_true(column->n_cells >= 2 && column->n_cells <= 21);
            for (size_t k = 1; k < column->n_cells; k++)
                assert_true(column->edges[k] > column->edges[k - 1]);
            assert_true(column->edges[0] == column->min);
            assert_true(column->edges[column->n_cells - 1] == column->max);
            assert_true(column->at_edge[0] == column->counts[0]);
        } else {
            assert_int_equal(column->n_cells, dial_model_feature_n_levels(loaded, i));
        }
    }
    /* Time takes 11 values, each kept as an edge */
    assert_string_equal(reference->features[2].name, "Time");
    assert_int_equal(reference->features[2].n_cells, 11);
    dial_drift_reference_free(reference);
    dial_model_free(loaded);
    credit_free(&f);
}

static void test_the_training_rows_do_not_drift_from_their_own_reference(void **state) {
    (void)state;
    credit_fixture f = credit_fit();
    dial_view all = dial_view_all(f.data);
    assert_dial_ok(f.ctx, dial_model_set_drift_reference(f.ctx, f.model, &all));
    dial_drift_reference *reference = NULL;
    assert_dial_ok(f.ctx, dial_model_drift_reference(f.ctx, f.model, &reference));
    dial_drift_feature_result *results = NULL;
    assert_dial_ok(f.ctx,
                   dial_drift_compare(f.ctx, f.model, reference, &all, NULL, 0.2, 0.01, &results));
    for (size_t i = 0; i < reference->n_features; i++) {
        assert_true(results[i].psi == 0);
        assert_false(results[i].drifted);
        assert_true(results[i].p_value > 0.001);
        assert_true(isnan(results[i].importance));
    }
    dial_drift_results_free(results, reference->n_features);
    /* Income (column 9 of the table) doubled ranks first, and has drifted */
    dial_column *income = &f.table->cols[9];
    assert_string_equal(income->name, "Income");
    for (size_t r = 0; r < f.table->n_rows; r++) income->values[r] *= 2;
    assert_dial_ok(f.ctx,
                   dial_drift_compare(f.ctx, f.model, reference, &all, NULL, 0.2, 0.01, &results));
    assert_string_equal(results[0].name, "Income");
    assert_true(results[0].drifted && results[0].psi > 1);
    assert_false(results[1].drifted);
    dial_drift_results_free(results, reference->n_features);
    dial_drift_reference_free(reference);
    credit_free(&f);
}

/* Pinned from scipy 1.10: stats.kstwobign.sf(x) and special.gammaincc(a, x). */
static void test_the_kolmogorov_tail_and_the_incomplete_gamma_equal_scipys(void **state) {
    (void)state;
    const double x[] = {0.3, 0.8, 1.0, 1.36, 2.5};
    const double sf[] = {0.9999906941986655, 0.5441424115741981, 0.26999967167735456,
                         0.049485876755377876, 7.453306344157342e-06};
    for (size_t i = 0; i < 5; i++) assert_true(fabs(dial_kolmogorov_sf(x[i]) - sf[i]) < 1e-13);
    const double a[] = {0.5, 1.5, 10, 10, 50}, at[] = {0.2, 4.0, 3, 15, 60};
    const double q[] = {0.5270892568655381, 0.04601170568923136, 0.9988975118698845,
                        0.06985366069940986, 0.08440668109369177};
    for (size_t i = 0; i < 5; i++) assert_true(fabs(dial_gamma_q(a[i], at[i]) - q[i]) < 1e-13);
    assert_true(dial_kolmogorov_sf(0) == 1);
    assert_true(isnan(dial_gamma_q(-1, 1)));
}

/* Pinned from scipy 1.10: stats.kstwo(n).sf(d), one case for each of the
 * methods dial_kstwo_sf chooses among (named beside each). */
static void test_the_finite_sample_ks_tail_equals_scipys_kstwo(void **state) {
    (void)state;
    dial_ctx *ctx = dial_ctx_new();
    assert_non_null(ctx);
    static const struct {
        uint64_t n;
        double d, sf;
    } cases[] = {
        {150, 0.005, 1.0},                       /* n d <= 1/2 */
        {5, 0.15, 0.9988},                       /* n d <= 1: Ruben-Gambino */
        {50, 0.985, 1.2752430004281557e-91},     /* d >= 1 - 1/n */
        {100, 0.6, 5.912822156396238e-35},       /* d >= 1/2: twice Smirnov's */
        {100, 0.05, 0.9532159710635725},         /* Durbin's matrix */
        {100, 0.15, 0.019839242125641813},       /* Pomeranz */
        {100, 0.3, 1.7719869892662917e-08},      /* Smirnov's, n <= 140 */
        {1000, 0.02, 0.8108971656895577},        /* Durbin's matrix, large n */
        {1000, 0.06, 0.001428597887952891},      /* Smirnov's, large n */
        {200000, 0.002, 0.39995085369038097},    /* Pelz-Good */
        {200000, 0.0045, 0.0006052431453602938}, /* Smirnov's, 200,000 terms */
        {3000000, 0.001, 0.0049542003601089},    /* Smirnov's, its large-n form */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double sf = dial_kstwo_sf(ctx, cases[i].n, cases[i].d);
        assert_true(fabs(sf - cases[i].sf) <= 1e-9 * cases[i].sf + 1e-15);
    }
    assert_true(dial_kstwo_sf(ctx, 10, 0) == 1 && dial_kstwo_sf(ctx, 10, 1) == 0);
    assert_true(isnan(dial_kstwo_sf(ctx, 0, 0.5)) && isnan(dial_kstwo_sf(ctx, 10, NAN)));
    dial_ctx_free(ctx);
}

static void test_psi_floors_empty_shares_and_skips_cells_empty_on_both_sides(void **state) {
    (void)state;
    const uint64_t reference[] = {50, 50, 0, 0}, current[] = {100, 0, 0, 0};
    /* (1 - 0.5) ln(1 / 0.5) + (1e-4 - 0.5) ln(1e-4 / 0.5) */
    double want = 0.5 * log(2) + (1e-4 - 0.5) * log(1e-4 / 0.5);
    assert_true(fabs(dial_drift_psi(reference, current, 4) - want) < 1e-15);
    assert_true(dial_drift_psi(reference, reference, 4) == 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_fitted_model_has_no_reference_until_one_is_set),
        cmocka_unit_test(test_the_reference_survives_a_save_and_describes_the_training_rows),
        cmocka_unit_test(test_the_training_rows_do_not_drift_from_their_own_reference),
        cmocka_unit_test(test_the_kolmogorov_tail_and_the_incomplete_gamma_equal_scipys),
        cmocka_unit_test(test_the_finite_sample_ks_tail_equals_scipys_kstwo),
        cmocka_unit_test(test_psi_floors_empty_shares_and_skips_cells_empty_on_both_sides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The context (dial/core.h) as a program that is not the CLI sees it: a new
 * context puts OpenBLAS on one thread, since dial spreads its work over the
 * context's budget itself; and the "did you mean" helper the CLI uses is
 * the public dial_closest_name. */
#include "test_support.h"

#include <cblas.h>

/* CTest runs every test with OPENBLAS_NUM_THREADS=1, so the program first
 * asks for two threads, as a program that uses BLAS for its own work
 * might; the context must bring it back to one. */
static void a_new_context_puts_blas_on_one_thread(void **state) {
    (void)state;
    openblas_set_num_threads(2);
    assert_int_equal(openblas_get_num_threads(), 2);
    dial_ctx *ctx = dial_ctx_new();
    assert_non_null(ctx);
    assert_int_equal(openblas_get_num_threads(), 1);
    dial_ctx_free(ctx);
}

static void closest_name_finds_a_typo_ignoring_case(void **state) {
    (void)state;
    const char *const models[] = {"linear", "logistic", "knn", "svm"};
    assert_string_equal(dial_closest_name("logistc", models, 4), "logistic");
    assert_string_equal(dial_closest_name("SVM", models, 4), "svm");
}

static void closest_name_is_null_when_nothing_is_close(void **state) {
    (void)state;
    const char *const models[] = {"linear", "logistic", "knn", "svm"};
    assert_null(dial_closest_name("gradient_boosting", models, 4));
    assert_null(dial_closest_name("svm", models, 0));
}

/* A name of 12 letters may be 4 edits away (12 / 3); one of 6 or 7 only 2. */
static void closest_name_allows_more_edits_for_longer_names(void **state) {
    (void)state;
    const char *const knobs[] = {"max_depth", "min_samples_leaf"};
    assert_string_equal(dial_closest_name("mn_smples_lf", knobs, 2), "min_samples_leaf");
    assert_string_equal(dial_closest_name("max_dpt", knobs, 2), "max_depth");
    assert_null(dial_closest_name("mx_dpt", knobs, 2));
}

static void closest_name_breaks_ties_by_order(void **state) {
    (void)state;
    const char *const names[] = {"cat", "bat"};
    assert_string_equal(dial_closest_name("at", names, 2), "cat");
    const char *const reversed[] = {"bat", "cat"};
    assert_string_equal(dial_closest_name("at", reversed, 2), "bat");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_new_context_puts_blas_on_one_thread),
        cmocka_unit_test(closest_name_finds_a_typo_ignoring_case),
        cmocka_unit_test(closest_name_is_null_when_nothing_is_close),
        cmocka_unit_test(closest_name_allows_more_edits_for_longer_names),
        cmocka_unit_test(closest_name_breaks_ties_by_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

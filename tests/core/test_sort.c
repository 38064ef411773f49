/* Sorting numbers (core/sort.h): the radix sort gives qsort's order on
 * every kind of double a column holds (negatives, zeros of both signs,
 * infinities, subnormals, repeats), below and above the size where it
 * takes over from qsort, and falls back to qsort when it is refused its
 * scratch. */
#include "test_support.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/sort.h"

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* n numbers of many kinds from a seeded stream. */
static double *mixed_numbers(size_t n, uint64_t seed) {
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    dial_rng rng = dial_rng_stream(seed, 1);
    static const double specials[] = {0.0,     -0.0,    INFINITY, -INFINITY, 5e-324,
                                      -5e-324, DBL_MAX, -DBL_MAX, 1.0,       -1.0,
                                      0.1,     -0.1,    1e300,    -1e-300};
    size_t n_specials = sizeof specials / sizeof *specials;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = dial_rng_next(&rng);
        if (r % 5 == 0)
            v[i] = specials[(r >> 8) % n_specials];
        else if (r % 5 == 1)
            v[i] = (double)((int)((r >> 8) % 7) - 3); /* repeats */
        else
            v[i] = ldexp((double)(r >> 11) / 9007199254740992.0 - 0.5, (int)((r >> 3) % 80) - 40);
    }
    return v;
}

static void check_sorted_like_qsort(dial_ctx *ctx, size_t n, uint64_t seed) {
    double *mine = mixed_numbers(n, seed), *theirs = mixed_numbers(n, seed);
    dial_sort_doubles(ctx, mine, n);
    qsort(theirs, n, sizeof *theirs, compare_doubles);
    for (size_t i = 0; i < n; i++) {
        /* qsort leaves a -0 where it was among the zeros; the sort gives 0 */
        assert_true(mine[i] == theirs[i]);
        if (mine[i] == 0)
            assert_false(signbit(mine[i]));
        else
            assert_memory_equal(&mine[i], &theirs[i], sizeof mine[i]);
    }
    free(mine);
    free(theirs);
}

static void test_sort_gives_qsorts_order(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    const size_t sizes[] = {0, 1, 2, 17, 255, 256, 257, 1000, 4096, 100003};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        check_sorted_like_qsort(ctx, sizes[s], 100 + s);
    dial_ctx_free(ctx);
}

/* A column of one value and a column whose numbers differ only in their
 * lowest bits: passes are skipped, or all six needed. */
static void test_sort_of_equal_and_near_numbers(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    size_t n = 5000;
    double *v = malloc(n * sizeof *v);
    assert_non_null(v);
    for (size_t i = 0; i < n; i++) v[i] = 42.5;
    dial_sort_doubles(ctx, v, n);
    for (size_t i = 0; i < n; i++) assert_true(v[i] == 42.5);
    for (size_t i = 0; i < n; i++) v[i] = nextafter(1.0, 2.0) + (double)((i * 7919) % n) * 0x1p-52;
    dial_sort_doubles(ctx, v, n);
    for (size_t i = 1; i < n; i++) assert_true(v[i - 1] < v[i]);
    free(v);
    dial_ctx_free(ctx);
}

static bool refuse_everything(void *user, size_t size) {
    (void)user;
    (void)size;
    return false;
}

static void test_sort_without_scratch_falls_back_to_qsort(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_ctx_set_alloc_hook(ctx, refuse_everything, NULL);
    check_sorted_like_qsort(ctx, 3000, 7);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sort_gives_qsorts_order),
        cmocka_unit_test(test_sort_of_equal_and_near_numbers),
        cmocka_unit_test(test_sort_without_scratch_falls_back_to_qsort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

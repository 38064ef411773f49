/* The multilayer perceptron's matrix product: every kernel this CPU runs
 * (AVX-512, AVX2) gives the bits of the portable loop of fused
 * multiply-adds, for every way of starting the chains, for a transposed A,
 * for shapes that leave partial tiles and masked columns, and for chains
 * longer than one slice of k; and a product split over k equals the
 * product in one piece. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/mlp_gemm.h"

/* Operands of one product, filled from a seeded stream. */
typedef struct operands {
    size_t m, n, k;
    bool transposed; /* A stored k x m */
    double *a, *b, *row, *c;
} operands;

static operands operands_new(uint64_t seed, size_t m, size_t n, size_t k, bool transposed) {
    operands o = {.m = m,
                  .n = n,
                  .k = k,
                  .transposed = transposed,
                  .a = malloc((m * k + 1) * sizeof(double)),
                  .b = malloc((k * n + 1) * sizeof(double)),
                  .row = malloc(n * sizeof(double)),
                  .c = malloc(m * n * sizeof(double))};
    dial_rng rng = dial_rng_stream(seed, 0);
    for (size_t i = 0; i < m * k; i++) o.a[i] = dial_rng_normal(&rng);
    for (size_t i = 0; i < k * n; i++) o.b[i] = dial_rng_normal(&rng);
    for (size_t j = 0; j < n; j++) o.row[j] = dial_rng_normal(&rng);
    for (size_t i = 0; i < m * n; i++) o.c[i] = dial_rng_normal(&rng);
    return o;
}

static void operands_free(operands *o) {
    free(o->a);
    free(o->b);
    free(o->row);
    free(o->c);
}

/* C after the product with kernel (C starts as o->c). */
static double *product(dial_mlp_gemm_kernel kernel, const operands *o, dial_mlp_gemm_start start) {
    double *c = malloc(o->m * o->n * sizeof(double));
    memcpy(c, o->c, o->m * o->n * sizeof(double));
    size_t a_row = o->transposed ? 1 : o->k, a_col = o->transposed ? o->m : 1;
    dial_mlp_gemm_on(kernel, start, o->row, o->m, o->n, o->k, o->a, a_row, a_col, o->b, o->n, c,
                     o->n);
    return c;
}

static void every_kernel_gives_the_bits_of_the_portable_loop(void **state) {
    (void)state;
    static const size_t shapes[][3] = {{1, 1, 1},     {6, 32, 10},    {7, 33, 5}, {50, 100, 784},
                                       {13, 10, 100}, {784, 100, 50}, {3, 7, 0},  {25, 9, 300},
                                       {12, 17, 129}, {5, 64, 1}};
    static const dial_mlp_gemm_kernel kernels[] = {DIAL_MLP_GEMM_AVX2, DIAL_MLP_GEMM_AVX512};
    size_t compared = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int transposed = 0; transposed < 2; transposed++)
            for (int start = DIAL_MLP_GEMM_ZERO; start <= DIAL_MLP_GEMM_ROW; start++) {
                operands o = operands_new(s, shapes[s][0], shapes[s][1], shapes[s][2], transposed);
                double *want = product(DIAL_MLP_GEMM_PORTABLE, &o, (dial_mlp_gemm_start)start);
                for (size_t q = 0; q < 2; q++) {
                    if (!dial_mlp_gemm_supports(kernels[q])) continue;
                    double *got = product(kernels[q], &o, (dial_mlp_gemm_start)start);
                    if (memcmp(want, got, o.m * o.n * sizeof(double)) != 0)
                        fail_msg("kernel %d differs on %zu x %zu x %zu, transposed %d, start %d",
                                 (int)kernels[q], o.m, o.n, o.k, transposed, start);
                    free(got);
                    compared++;
                }
                free(want);
                operands_free(&o);
            }
    /* 10 shapes, 2 layouts of A, 3 starts for each kernel the CPU runs. */
    if (dial_mlp_gemm_supports(DIAL_MLP_GEMM_AVX2)) assert_true(compared >= 60);
}

static void the_portable_loop_is_a_chain_of_fused_multiply_adds(void **state) {
    (void)state;
    operands o = operands_new(3, 4, 5, 9, false);
    double *got = product(DIAL_MLP_GEMM_PORTABLE, &o, DIAL_MLP_GEMM_ROW);
    for (size_t i = 0; i < o.m; i++)
        for (size_t j = 0; j < o.n; j++) {
            double chain = o.row[j];
            for (size_t p = 0; p < o.k; p++) chain = fma(o.a[i * o.k + p], o.b[p * o.n + j], chain);
            assert_memory_equal(&chain, &got[i * o.n + j], sizeof chain);
        }
    free(got);
    operands_free(&o);
}

static void a_product_split_over_k_equals_the_whole(void **state) {
    (void)state;
    operands o = operands_new(5, 30, 100, 200, true);
    dial_mlp_gemm_kernel kernel = dial_mlp_gemm_best();
    double *whole = product(kernel, &o, DIAL_MLP_GEMM_ZERO);
    double *split = malloc(o.m * o.n * sizeof(double));
    /* The first 77 rows of the transposed A, then the other 123. */
    dial_mlp_gemm(DIAL_MLP_GEMM_ZERO, NULL, o.m, o.n, 77, o.a, 1, o.m, o.b, o.n, split, o.n);
    dial_mlp_gemm(DIAL_MLP_GEMM_ADD, NULL, o.m, o.n, o.k - 77, o.a + 77 * o.m, 1, o.m,
                  o.b + 77 * o.n, o.n, split, o.n);
    assert_memory_equal(whole, split, o.m * o.n * sizeof(double));
    free(whole);
    free(split);
    operands_free(&o);
}

static void no_steps_of_k_leave_the_start(void **state) {
    (void)state;
    operands o = operands_new(9, 3, 11, 0, false);
    double *kept = product(dial_mlp_gemm_best(), &o, DIAL_MLP_GEMM_ADD);
    assert_memory_equal(kept, o.c, o.m * o.n * sizeof(double));
    double *rows = product(dial_mlp_gemm_best(), &o, DIAL_MLP_GEMM_ROW);
    for (size_t i = 0; i < o.m; i++)
        assert_memory_equal(rows + i * o.n, o.row, o.n * sizeof(double));
    double *zeros = product(dial_mlp_gemm_best(), &o, DIAL_MLP_GEMM_ZERO);
    for (size_t i = 0; i < o.m * o.n; i++) assert_true(zeros[i] == 0);
    free(kept);
    free(rows);
    free(zeros);
    operands_free(&o);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_kernel_gives_the_bits_of_the_portable_loop),
        cmocka_unit_test(the_portable_loop_is_a_chain_of_fused_multiply_adds),
        cmocka_unit_test(a_product_split_over_k_equals_the_whole),
        cmocka_unit_test(no_steps_of_k_leave_the_start),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The silhouette's distances kept between scores (eval/silhouette.h's
 * memo, eval/silhouette_tiles.h): the tuner's trials score one fold's rows
 * under one clustering after another, measuring the rows' distances once.
 * Every way of getting the distances (measured where needed, read twice
 * from the memo's tiles, read once through partial sums) gives the same
 * score to the last bit, on 1 and 2 threads; a memo serves only the rows
 * it measured. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval/silhouette.h"
#include "eval/silhouette_tiles.h"

/* digits: 1797 rows of 64 pixels, many alike (so the near-duplicate
 * distances are measured difference by difference), and their digit. */
typedef struct digits {
    dial_table *table;
    dial_dataset *data;
    double *x;
    size_t n, d;
} digits;

static digits digits_load(dial_ctx *ctx) {
    digits set = {0};
    set.data = test_load_dataset(ctx, "data/digits.csv", "digit", &set.table);
    set.n = set.data->n_rows;
    set.d = set.data->n_features;
    set.x = malloc(set.n * set.d * sizeof *set.x);
    assert_non_null(set.x);
    for (size_t i = 0; i < set.n; i++)
        for (size_t j = 0; j < set.d; j++) set.x[i * set.d + j] = set.data->features[j]->values[i];
    return set;
}

static void digits_free(digits *set) {
    free(set->x);
    dial_dataset_free(set->data);
    dial_table_free(set->table);
}

/* Three clusterings of the same rows: by digit, and two coarser ones. */
static double *labelling(const digits *set, int modulus) {
    double *labels = malloc(set->n * sizeof *labels);
    assert_non_null(labels);
    for (size_t i = 0; i < set->n; i++) labels[i] = fmod(set->data->y[i], modulus);
    return labels;
}

static double score(dial_ctx *ctx, const double *x, size_t n, size_t d, const double *labels,
                    dial_silhouette_memo *memo) {
    /* every row: 1797 rows make 15 blocks, the last of 5 rows */
    dial_metric_rows rows = {.n = n, .y_pred = labels, .x = x, .n_inputs = d, .max_rows = n};
    double value = NAN;
    assert_dial_ok(ctx, dial_eval_silhouette_memo(ctx, &rows, memo, &value));
    return value;
}

static void assert_same_bits(double got, double want) {
    if (memcmp(&got, &want, sizeof got) != 0) fail_msg("got %.17g, expected %.17g", got, want);
}

static void test_a_memo_gives_the_scores_measured_anew(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    digits set = digits_load(ctx);
    double *labels[3] = {labelling(&set, 10), labelling(&set, 3), labelling(&set, 7)};
    double fresh[3];
    for (int c = 0; c < 3; c++) fresh[c] = score(ctx, set.x, set.n, set.d, labels[c], NULL);
    /* scikit-learn's figure for digits by digit (tests/eval/test_silhouette.c) */
    assert_true(fabs(fresh[0] - 0.1629432052257522) < 1e-9);
    for (int threads = 1; threads <= 2; threads++) {
        dial_ctx_set_threads(ctx, threads);
        dial_silhouette_memo *memo = dial_silhouette_memo_create(ctx, (size_t)1 << 30);
        assert_non_null(memo);
        /* The first score measures the distances, the others read them;
         * the first clustering again reads them too. */
        for (int round = 0; round < 2; round++)
            for (int c = 0; c < 3; c++)
                assert_same_bits(score(ctx, set.x, set.n, set.d, labels[c], memo), fresh[c]);
        /* Other rows (the same rows scaled) are not those it measured. */
        double *scaled = malloc(set.n * set.d * sizeof *scaled);
        assert_non_null(scaled);
        for (size_t i = 0; i < set.n * set.d; i++) scaled[i] = set.x[i] * 3;
        assert_same_bits(score(ctx, scaled, set.n, set.d, labels[1], memo),
                         score(ctx, scaled, set.n, set.d, labels[1], NULL));
        free(scaled);
        dial_silhouette_memo_free(memo);
    }
    /* A memo too small for the distances scores as without one. */
    dial_silhouette_memo *small = dial_silhouette_memo_create(ctx, 1024);
    assert_same_bits(score(ctx, set.x, set.n, set.d, labels[2], small), fresh[2]);
    assert_same_bits(score(ctx, set.x, set.n, set.d, labels[2], small), fresh[2]);
    dial_silhouette_memo_free(small);
    for (int c = 0; c < 3; c++) free(labels[c]);
    digits_free(&set);
    dial_ctx_free(ctx);
}

/* The four ways of reading the distances, called directly: each tile
 * computed twice where needed (when the partial sums are not to be had) or
 * once, read twice or once from the kept tiles; with k clusters: by digit
 * (10, four running sums a cluster in each block) or row i in cluster i %
 * k (40: more than 16 in a block, one running sum). */
static void every_way_agrees(size_t k) {
    dial_ctx *ctx = test_ctx();
    digits set = digits_load(ctx);
    size_t n = set.n, d = set.d;
    double *norms = malloc(n * sizeof *norms);
    size_t *cluster = malloc(n * sizeof *cluster), *counts = calloc(k, sizeof *counts);
    assert_true(norms && cluster && counts);
    for (size_t i = 0; i < n; i++) {
        norms[i] = 0;
        for (size_t j = 0; j < d; j++) norms[i] += set.x[i * d + j] * set.x[i * d + j];
        cluster[i] = k == 10 ? (size_t)set.data->y[i] : i % k;
        counts[cluster[i]]++;
    }
    silhouette_points points = {set.x, norms, n, d, cluster, counts, k};
    double *tiles =
        malloc(dial_silhouette_tile_count(n) * SILHOUETTE_TILE * SILHOUETTE_TILE * sizeof *tiles);
    double *s[4];
    for (int w = 0; w < 4; w++) assert_non_null(s[w] = malloc(n * sizeof *s[w]));
    assert_non_null(tiles);
    for (size_t t = 0; t < dial_silhouette_tile_count(n); t++)
        dial_silhouette_tile_compute(&points, t, tiles);
    for (int threads = 1; threads <= 2; threads++) {
        dial_ctx_set_threads(ctx, threads);
        assert_dial_ok(ctx, dial_silhouette_tiles_score(ctx, &points, NULL, false, s[0]));
        assert_dial_ok(ctx, dial_silhouette_tiles_score(ctx, &points, tiles, false, s[1]));
        assert_dial_ok(ctx, dial_silhouette_tiles_score(ctx, &points, tiles, true, s[2]));
        assert_dial_ok(ctx, dial_silhouette_tiles_score(ctx, &points, NULL, true, s[3]));
        for (size_t i = 0; i < n; i++) {
            assert_same_bits(s[1][i], s[0][i]);
            assert_same_bits(s[2][i], s[0][i]);
            assert_same_bits(s[3][i], s[0][i]);
            assert_true(s[0][i] >= -1 && s[0][i] <= 1);
        }
    }
    for (int w = 0; w < 4; w++) free(s[w]);
    free(tiles);
    free(norms);
    free(cluster);
    free(counts);
    digits_free(&set);
    dial_ctx_free(ctx);
}

static void test_every_way_of_reading_the_tiles_agrees(void **state) {
    (void)state;
    every_way_agrees(10);
    every_way_agrees(40);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_memo_gives_the_scores_measured_anew),
        cmocka_unit_test(test_every_way_of_reading_the_tiles_agrees),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

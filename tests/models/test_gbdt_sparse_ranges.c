/* gbdt on sparse rows a range of features at a time (issue 17's memory
 * goal): a node's histogram is built one range of features after another
 * (src/models/gbdt_hist.c), and the bins' values are gathered one range
 * after another (src/models/gbdt_sparse_bins.c). What comes out must not
 * depend on the ranges: the histogram is the one summed entry by entry,
 * the bins and the forest are those of one range holding every feature.
 * On data/text_small.libsvm (500 documents, 2,999 words, 9,164 slots),
 * which the default ranges take whole, cut here into many. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "models/gbdt.h"
#include "models/gbdt_boost.h"
#include "models/gbdt_family.h"
#include "models/model_internal.h"

typedef struct text {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
    dial_gbdt_bins bins;
    uint8_t *codes;
    dial_gbdt_sparse_rows rows;
} text;

static text load_text(void) {
    text t = {.ctx = test_ctx()};
    t.data = test_load_dataset(t.ctx, "data/text_small.libsvm", NULL, &t.table);
    const dial_csr *a = t.data->sparse;
    assert_non_null(a);
    assert_dial_ok(t.ctx, dial_gbdt_bins_fit_sparse(t.ctx, a, 256, 1, &t.bins));
    assert_dial_ok(t.ctx, dial_gbdt_bins_code_sparse(t.ctx, &t.bins, a, 1, &t.codes));
    t.rows = (dial_gbdt_sparse_rows){.row_start = a->row_start, .col = a->col, .codes = t.codes};
    return t;
}

static void free_text(text *t) {
    free(t->codes);
    dial_gbdt_bins_free(&t->bins);
    dial_dataset_free(t->data);
    dial_table_free(t->table);
    dial_ctx_free(t->ctx);
}

/* The features cut into ranges of at most most slots (one feature when
 * it alone has more), as the grower cuts them; returns their number. */
static size_t cut_ranges(const dial_gbdt_bins *bins, size_t most, uint32_t *ranges) {
    size_t n = 0, d = bins->n_features;
    ranges[0] = 0;
    for (size_t f = 0; f < d;) {
        size_t last = f + 1;
        while (last < d && bins->slot[last + 1] - bins->slot[f] <= most) last++;
        ranges[++n] = (uint32_t)last;
        f = last;
    }
    return n;
}

/* The histogram of rows (rows[0 .. m), or 0 .. m-1 when NULL) as the
 * contract of dial_gbdt_hist_build_sparse says, summed entry by entry
 * over every feature at once: each entry into its slot in row order, then
 * each zero bin the total minus the feature's other bins, nothing when
 * every row had an entry. */
static void reference_histogram(const text *t, const dial_gbdt_pair *pairs, const uint32_t *rows,
                                size_t m, dial_gbdt_sum sum, dial_gbdt_sum *ref, uint32_t *held) {
    const dial_gbdt_bins *bins = &t->bins;
    for (size_t i = 0; i < m; i++) {
        uint32_t r = rows ? rows[i] : (uint32_t)i;
        for (size_t e = t->rows.row_start[r]; e < t->rows.row_start[r + 1]; e++) {
            dial_gbdt_sum *s = ref + bins->slot[t->rows.col[e]] + t->rows.codes[e];
            s->g += pairs[r].g, s->h += pairs[r].h;
            held[t->rows.col[e]]++;
        }
    }
    for (size_t f = 0; f < bins->n_features; f++) {
        unsigned zero = bins->zero_code[f];
        if (zero == DIAL_GBDT_NO_ZERO || held[f] == 0) continue;
        dial_gbdt_sum *h = ref + bins->slot[f], rest = {0, 0};
        for (unsigned c = 0; c <= bins->n_values[f]; c++)
            if (c != zero) rest.g += h[c].g, rest.h += h[c].h;
        bool none = held[f] == m && h[zero].h == 0;
        h[zero] = none ? (dial_gbdt_sum){0, 0} : (dial_gbdt_sum){sum.g - rest.g, sum.h - rest.h};
    }
}

/* Builds the histogram of rows range by range (ranges of at most most
 * slots) in one buffer, each range checked against the reference, then
 * cleared for the next; every entry is read once. */
static void check_ranges(const text *t, const dial_gbdt_pair *pairs, const uint32_t *rows, size_t m,
                         size_t most) {
    const dial_gbdt_bins *bins = &t->bins;
    size_t d = bins->n_features, n_slots = bins->slot[d];
    dial_gbdt_sum sum = {0, 0};
    for (size_t i = 0; i < m; i++) {
        uint32_t r = rows ? rows[i] : (uint32_t)i;
        sum.g += pairs[r].g, sum.h += pairs[r].h;
    }
    dial_gbdt_sum *ref = calloc(n_slots, sizeof *ref);
    uint32_t *ref_held = calloc(d, sizeof *ref_held);
    reference_histogram(t, pairs, rows, m, sum, ref, ref_held);

    uint32_t *ranges = malloc((d + 1) * sizeof *ranges), *features = malloc(d * sizeof *features);
    for (size_t f = 0; f < d; f++) features[f] = (uint32_t)f;
    size_t n_ranges = cut_ranges(bins, most, ranges), widest = 0;
    for (size_t q = 0; q < n_ranges; q++) {
        size_t slots = bins->slot[ranges[q + 1]] - bins->slot[ranges[q]];
        widest = slots > widest ? slots : widest;
    }
    dial_gbdt_sum *hist = calloc(widest, sizeof *hist);
    dial_gbdt_sparse_seen seen = {calloc(d, sizeof(uint32_t)), malloc(d), malloc(d)};
    size_t *cursor = malloc((m ? m : 1) * sizeof *cursor);
    for (size_t i = 0; i < m; i++) cursor[i] = t->rows.row_start[rows ? rows[i] : i];
    dial_gbdt_hist_input in = {
        .bins = bins, .sparse = &t->rows, .n_rows = t->data->sparse->n_rows, .pairs = pairs};
    for (size_t q = 0; q < n_ranges; q++) {
        uint32_t first = ranges[q], last = ranges[q + 1];
        size_t slots = bins->slot[last] - bins->slot[first];
        dial_gbdt_hist_build_sparse(&in, first, last, features + first, last - first, rows, m,
                                    cursor, sum, &seen, hist);
        assert_memory_equal(hist, ref + bins->slot[first], slots * sizeof *hist);
        assert_memory_equal(seen.held + first, ref_held + first, (last - first) * sizeof(uint32_t));
        dial_gbdt_hist_clear_sparse(bins, first, last, &seen, hist);
        for (size_t s = 0; s < slots; s++) {
            assert_true(hist[s].g == 0 && hist[s].h == 0);
            assert_false(signbit(hist[s].g) || signbit(hist[s].h));
        }
        for (uint32_t f = first; f < last; f++) assert_int_equal(seen.held[f], 0);
    }
    for (size_t i = 0; i < m; i++)
        assert_int_equal(cursor[i], t->rows.row_start[(rows ? rows[i] : i) + 1]);
    free(cursor);
    free(seen.held);
    free(seen.lo);
    free(seen.hi);
    free(hist);
    free(features);
    free(ranges);
    free(ref_held);
    free(ref);
}

static void a_histogram_built_range_by_range_is_the_sum_entry_by_entry(void **state) {
    (void)state;
    text t = load_text();
    size_t n = t.data->sparse->n_rows;
    dial_gbdt_pair *pairs = malloc(n * sizeof *pairs);
    for (size_t r = 0; r < n; r++)
        pairs[r] = (dial_gbdt_pair){(float)((double)(r * 7919 % 1000) / 997 - 0.5),
                                    (float)(0.25 + 0.125 * (double)(r % 5))};
    uint32_t *third = malloc(n * sizeof *third);
    size_t m = 0;
    for (size_t r = 1; r < n; r += 3) third[m++] = (uint32_t)r;
    /* a range per feature, ranges of about 64 slots, and one range */
    const size_t most[] = {1, 64, t.bins.slot[t.bins.n_features]};
    for (size_t k = 0; k < 3; k++) {
        check_ranges(&t, pairs, NULL, n, most[k]);
        check_ranges(&t, pairs, third, m, most[k]);
    }
    free(third);
    free(pairs);
    free_text(&t);
}

static void assert_same_bins(const dial_gbdt_bins *a, const dial_gbdt_bins *b) {
    size_t d = a->n_features;
    assert_int_equal(b->n_features, d);
    assert_memory_equal(a->n_values, b->n_values, d * sizeof *a->n_values);
    assert_memory_equal(a->zero_code, b->zero_code, d * sizeof *a->zero_code);
    assert_memory_equal(a->any_missing, b->any_missing, d * sizeof *a->any_missing);
    assert_memory_equal(a->slot, b->slot, (d + 1) * sizeof *a->slot);
    assert_memory_equal(a->edge_start, b->edge_start, (d + 1) * sizeof *a->edge_start);
    assert_memory_equal(a->edges, b->edges, a->edge_start[d] * sizeof *a->edges);
}

static void the_bins_are_the_same_however_many_values_are_gathered_at_a_time(void **state) {
    (void)state;
    text t = load_text();
    const dial_csr *a = t.data->sparse;
    size_t nnz = a->row_start[a->n_rows];
    /* one feature at a time, about a hundred ranges, and one range (the
     * default: the file has fewer values than it gathers) */
    const size_t most[] = {1, nnz / 100, nnz};
    for (size_t k = 0; k < 3; k++)
        for (int threads = 1; threads <= 2; threads++) {
            dial_gbdt_bins bins;
            assert_dial_ok(
                t.ctx, dial_gbdt_bins_fit_sparse_ranges(t.ctx, a, 256, most[k], threads, &bins));
            assert_same_bins(&t.bins, &bins);
            dial_gbdt_bins_free(&bins);
        }
    /* and with fewer bins than values: the cuts at quantiles */
    dial_gbdt_bins whole, one_at_a_time;
    assert_dial_ok(t.ctx, dial_gbdt_bins_fit_sparse(t.ctx, a, 4, 1, &whole));
    assert_dial_ok(t.ctx, dial_gbdt_bins_fit_sparse_ranges(t.ctx, a, 4, 1, 2, &one_at_a_time));
    assert_same_bins(&whole, &one_at_a_time);
    dial_gbdt_bins_free(&whole);
    dial_gbdt_bins_free(&one_at_a_time);
    free_text(&t);
}

static void assert_same_trees(const dial_gbdt_forest *a, const dial_gbdt_forest *b) {
    assert_int_equal(a->n_rounds, b->n_rounds);
    assert_int_equal(a->n_nodes, b->n_nodes);
    for (size_t i = 0; i < a->n_nodes; i++) {
        const dial_gbdt_node *x = &a->nodes[i], *y = &b->nodes[i];
        assert_int_equal(x->feature, y->feature);
        assert_int_equal(x->bin, y->bin);
        assert_int_equal(x->default_left, y->default_left);
        assert_int_equal(x->zero_left, y->zero_left);
        assert_int_equal(x->left, y->left);
        assert_int_equal(x->right, y->right);
        assert_memory_equal(&x->value, &y->value, sizeof x->value);
        assert_memory_equal(&x->gain, &y->gain, sizeof x->gain);
    }
}

static void a_forest_is_the_same_whatever_the_ranges_of_its_histograms(void **state) {
    (void)state;
    text t = load_text();
    static const char *const settings[] = {"n_estimators=10", "max_depth=4", "learning_rate=0.3",
                                           NULL};
    dial_knobs knobs = test_knobs(t.ctx, &dial_model_gbdt, settings);
    dial_gbdt_params params;
    assert_dial_ok(t.ctx, dial_gbdt_resolve(t.ctx, &knobs, DIAL_TASK_CLASSIFICATION,
                                            t.data->n_classes, &params));
    dial_gbdt_boost_data data = {.bins = &t.bins,
                                 .sparse = &t.rows,
                                 .n_rows = t.data->sparse->n_rows,
                                 .y = t.data->y,
                                 .n_classes = t.data->n_classes};
    dial_gbdt_forest whole, cut;
    params.tree.range_slots = 0; /* the default: one range on this file */
    assert_dial_ok(t.ctx, dial_gbdt_boost(t.ctx, &params, &data, &whole));
    assert_true(whole.n_nodes > 10 * t.data->n_classes * 8); /* trees, not stumps */
    const size_t most[] = {1, 64};
    for (size_t k = 0; k < 2; k++)
        for (int threads = 1; threads <= 2; threads++) {
            params.tree.range_slots = most[k];
            params.threads = threads;
            assert_dial_ok(t.ctx, dial_gbdt_boost(t.ctx, &params, &data, &cut));
            assert_same_trees(&whole, &cut);
            dial_gbdt_forest_free(&cut);
        }
    dial_gbdt_forest_free(&whole);
    dial_knobs_free(&knobs);
    free_text(&t);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_histogram_built_range_by_range_is_the_sum_entry_by_entry),
        cmocka_unit_test(the_bins_are_the_same_however_many_values_are_gathered_at_a_time),
        cmocka_unit_test(a_forest_is_the_same_whatever_the_ranges_of_its_histograms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

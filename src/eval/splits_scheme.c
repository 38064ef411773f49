/* Splitters for rows that are not independent draws: grouped folds (a group
 * never on both sides of a split), forward-chaining folds over time, and
 * folds given by the user. A shuffled k-fold on such rows scores a model on
 * rows it has, in effect, already seen: a patient's other visits, or the
 * days just after the test day, so its estimate is optimistic. Every split
 * here depends only on (keys, seed, repeat). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/eval.h"

/* ---- shared pieces --------------------------------------------------------- */

/* A split from a row -> side assignment: side 1 rows are the test rows, side
 * 0 rows the training rows, any other side neither (a time gap); both lists
 * ascending because rows are visited in order. */
static dial_status scheme_split_from_sides(dial_ctx *ctx, const unsigned char *side, size_t n_rows,
                                           dial_split *split) {
    size_t n_test = 0, n_train = 0;
    for (size_t row = 0; row < n_rows; row++) {
        n_test += side[row] == 1;
        n_train += side[row] == 0;
    }
    split->test = dial_malloc(ctx, (n_test ? n_test : 1) * sizeof *split->test);
    split->train = dial_malloc(ctx, (n_train ? n_train : 1) * sizeof *split->train);
    if (!split->test || !split->train)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory splitting %zu rows", n_rows);
    split->n_test = split->n_train = 0;
    for (size_t row = 0; row < n_rows; row++) {
        if (side[row] == 1) split->test[split->n_test++] = row;
        if (side[row] == 0) split->train[split->n_train++] = row;
    }
    return DIAL_OK;
}

static dial_status scheme_alloc(dial_ctx *ctx, size_t count, dial_splits *out) {
    out->items = dial_calloc(ctx, count ? count : 1, sizeof *out->items);
    out->count = 0;
    if (!out->items)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making %zu splits", count);
    out->count = count; /* zeroed items: freeing a half-filled set is safe */
    return DIAL_OK;
}

static const char *scheme_column(const dial_fold_scheme *scheme) {
    return scheme->column ? scheme->column : "the rows' order";
}

typedef struct keyed_row {
    double key;
    size_t row;
} keyed_row;

/* By key, then by row: a stable order, so equal keys keep the file's order. */
static int compare_keyed_rows(const void *a, const void *b) {
    const keyed_row *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* The rows sorted by key (the row order itself when keys is NULL). */
static dial_status scheme_sorted_rows(dial_ctx *ctx, const double *keys, size_t n,
                                      keyed_row **out) {
    keyed_row *rows = dial_malloc(ctx, (n ? n : 1) * sizeof *rows);
    if (!rows) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory sorting %zu rows", n);
    for (size_t i = 0; i < n; i++) rows[i] = (keyed_row){keys ? keys[i] : (double)i, i};
    qsort(rows, n, sizeof *rows, compare_keyed_rows);
    *out = rows;
    return DIAL_OK;
}

/* Numbers the distinct keys 0 .. *n_groups - 1 in ascending order. */
static dial_status scheme_group_ids(dial_ctx *ctx, const double *keys, size_t n, size_t *group_of,
                                    size_t *n_groups) {
    keyed_row *sorted = NULL;
    dial_status status = scheme_sorted_rows(ctx, keys, n, &sorted);
    if (status != DIAL_OK) return status;
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || sorted[i].key != sorted[i - 1].key) count++;
        group_of[sorted[i].row] = count - 1;
    }
    free(sorted);
    *n_groups = count;
    return DIAL_OK;
}

dial_status dial_fold_keys(dial_ctx *ctx, const dial_column *column, size_t n_rows,
                           dial_fold_kind kind, double **out) {
    *out = NULL;
    double *keys = dial_malloc(ctx, (n_rows ? n_rows : 1) * sizeof *keys);
    size_t *rank = NULL;
    if (!keys) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading %zu rows", n_rows);
    for (size_t i = 0; i < n_rows; i++) {
        if (isnan(column->values[i])) {
            free(keys);
            return dial_fail(ctx, DIAL_ERR_DATA,
                             "column '%s' is missing on row %zu: every row needs its %s",
                             column->name, i + 1,
                             kind == DIAL_FOLDS_TIME         ? "time"
                             : kind == DIAL_FOLDS_PREDEFINED ? "fold"
                                                             : "group");
        }
        keys[i] = column->values[i];
    }
    /* Levels are numbered in order of first appearance; time needs them in
     * the order of their text. */
    if (kind == DIAL_FOLDS_TIME && column->type == DIAL_COLUMN_CATEGORICAL && column->n_levels) {
        rank = dial_malloc(ctx, column->n_levels * sizeof *rank);
        if (!rank) {
            free(keys);
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading %zu rows", n_rows);
        }
        for (size_t l = 0; l < column->n_levels; l++) {
            rank[l] = 0;
            for (size_t m = 0; m < column->n_levels; m++)
                if (strcmp(column->levels[m], column->levels[l]) < 0) rank[l]++;
        }
        for (size_t i = 0; i < n_rows; i++) keys[i] = (double)rank[(size_t)keys[i]];
        free(rank);
    }
    *out = keys;
    return DIAL_OK;
}

/* ---- grouped folds --------------------------------------------------------- */

/* The state of a grouped assignment: per group and per fold, the rows of
 * each class (one class for regression). */
typedef struct group_plan {
    size_t n_groups, n_classes, folds;
    size_t *group_counts; /* n_groups x n_classes */
    size_t *fold_counts;  /* folds x n_classes */
    size_t *class_total;  /* n_classes */
    double *spread;       /* n_groups: how uneven a group's classes are */
} group_plan;

static size_t group_plan_fold_rows(const group_plan *plan, size_t f) {
    size_t rows = 0;
    for (size_t c = 0; c < plan->n_classes; c++) rows += plan->fold_counts[f * plan->n_classes + c];
    return rows;
}

/* StratifiedGroupKFold's measure of an uneven split if group g joined fold
 * f: the mean over classes of the population std over folds of each fold's
 * share of the class. Only fold f's shares change, so each class's std
 * comes from its sums over the folds (sum and sum_squares, n_classes each)
 * in O(1), and a fold costs O(classes) rather than O(folds x classes). */
static double group_plan_unevenness(const group_plan *plan, size_t g, size_t f, const double *sum,
                                    const double *sum_squares) {
    size_t k = plan->n_classes;
    double total = 0, folds = (double)plan->folds;
    for (size_t c = 0; c < k; c++) {
        double denominator = (double)plan->class_total[c];
        double before = (double)plan->fold_counts[f * k + c] / denominator;
        double after = before + (double)plan->group_counts[g * k + c] / denominator;
        double s = sum[c] - before + after;
        double q = sum_squares[c] - before * before + after * after;
        double variance = q / folds - (s / folds) * (s / folds);
        total += sqrt(variance > 0 ? variance : 0);
    }
    return total / (double)k;
}

/* The fold group g should join. Stratified: the one that leaves the
 * classes' shares most even, the smaller fold on a near tie (numpy's
 * isclose, as scikit-learn). Otherwise: the fold with the fewest rows.
 * sum and sum_squares are scratch of n_classes each. */
static size_t group_plan_best_fold(const group_plan *plan, size_t g, bool stratified, double *sum,
                                   double *sum_squares) {
    size_t best = 0, best_rows = (size_t)-1, k = plan->n_classes;
    double best_eval = INFINITY;
    if (stratified)
        for (size_t c = 0; c < k; c++) {
            sum[c] = sum_squares[c] = 0;
            for (size_t f = 0; f < plan->folds; f++) {
                double share = (double)plan->fold_counts[f * k + c] / (double)plan->class_total[c];
                sum[c] += share;
                sum_squares[c] += share * share;
            }
        }
    for (size_t f = 0; f < plan->folds; f++) {
        size_t rows = group_plan_fold_rows(plan, f);
        if (!stratified) {
            if (rows < best_rows) best = f, best_rows = rows;
            continue;
        }
        double eval = group_plan_unevenness(plan, g, f, sum, sum_squares);
        bool close = fabs(eval - best_eval) <= 1e-8 + 1e-5 * fabs(best_eval);
        if (eval < best_eval || (close && rows < best_rows)) {
            best = f;
            best_eval = eval;
            best_rows = rows;
        }
    }
    return best;
}

typedef struct ranked_group {
    double rank; /* larger first */
    size_t position, group;
} ranked_group;

static int compare_ranked_groups(const void *a, const void *b) {
    const ranked_group *x = a, *y = b;
    if (x->rank != y->rank) return x->rank > y->rank ? -1 : 1;
    return (x->position > y->position) - (x->position < y->position);
}

/* Assigns every group a fold for one repeat: the groups shuffled, then
 * ordered (stably) by spread or size, largest first, each placed in turn. */
static dial_status group_plan_assign(dial_ctx *ctx, group_plan *plan, bool stratified,
                                     dial_rng *rng, size_t *fold_of_group) {
    size_t n = plan->n_groups, k = plan->n_classes;
    size_t *shuffled = dial_malloc(ctx, n * sizeof *shuffled);
    ranked_group *ranked = dial_malloc(ctx, n * sizeof *ranked);
    double *sums = dial_malloc(ctx, 2 * k * sizeof *sums);
    if (!shuffled || !ranked || !sums) {
        free(shuffled);
        free(ranked);
        free(sums);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory assigning %zu groups", n);
    }
    for (size_t g = 0; g < n; g++) shuffled[g] = g;
    dial_rng_shuffle(rng, shuffled, n);
    for (size_t p = 0; p < n; p++) {
        size_t g = shuffled[p], rows = 0;
        for (size_t c = 0; c < k; c++) rows += plan->group_counts[g * k + c];
        ranked[p] = (ranked_group){stratified ? plan->spread[g] : (double)rows, p, g};
    }
    qsort(ranked, n, sizeof *ranked, compare_ranked_groups);
    memset(plan->fold_counts, 0, plan->folds * k * sizeof *plan->fold_counts);
    for (size_t p = 0; p < n; p++) {
        size_t g = ranked[p].group, f = group_plan_best_fold(plan, g, stratified, sums, sums + k);
        for (size_t c = 0; c < k; c++)
            plan->fold_counts[f * k + c] += plan->group_counts[g * k + c];
        fold_of_group[g] = f;
    }
    free(shuffled);
    free(ranked);
    free(sums);
    return DIAL_OK;
}

/* Fills the plan's counts and spreads from the rows' groups and classes. */
static dial_status group_plan_init(dial_ctx *ctx, const dial_dataset *data, const size_t *group_of,
                                   size_t n_groups, size_t folds, bool stratified,
                                   group_plan *plan) {
    size_t k = stratified ? data->n_classes : 1;
    *plan = (group_plan){.n_groups = n_groups, .n_classes = k, .folds = folds};
    plan->group_counts = dial_calloc(ctx, n_groups * k, sizeof *plan->group_counts);
    plan->fold_counts = dial_calloc(ctx, folds * k, sizeof *plan->fold_counts);
    plan->class_total = dial_calloc(ctx, k, sizeof *plan->class_total);
    plan->spread = dial_calloc(ctx, n_groups, sizeof *plan->spread);
    if (!plan->group_counts || !plan->fold_counts || !plan->class_total || !plan->spread)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory assigning %zu groups", n_groups);
    for (size_t i = 0; i < data->n_rows; i++) {
        size_t c = stratified ? (size_t)data->y[i] : 0;
        plan->group_counts[group_of[i] * k + c]++;
        plan->class_total[c]++;
    }
    for (size_t g = 0; g < n_groups; g++) {
        double mean = 0, squares = 0;
        for (size_t c = 0; c < k; c++) mean += (double)plan->group_counts[g * k + c];
        mean /= (double)k;
        for (size_t c = 0; c < k; c++) {
            double d = (double)plan->group_counts[g * k + c] - mean;
            squares += d * d;
        }
        plan->spread[g] = sqrt(squares / (double)k);
    }
    /* A class without rows here (a subset's folds) would divide by zero; it
     * cannot be uneven, so it counts as one row everywhere. */
    for (size_t c = 0; c < k; c++)
        if (!plan->class_total[c]) plan->class_total[c] = 1;
    return DIAL_OK;
}

static void group_plan_free(group_plan *plan) {
    free(plan->group_counts);
    free(plan->fold_counts);
    free(plan->class_total);
    free(plan->spread);
}

static dial_status split_grouped(dial_ctx *ctx, const dial_dataset *data,
                                 const dial_fold_scheme *scheme, size_t folds, size_t repeats,
                                 bool stratified, uint64_t seed, dial_splits *out) {
    size_t n = data->n_rows, n_groups = 0;
    size_t *group_of = dial_malloc(ctx, (n ? n : 1) * sizeof *group_of);
    size_t *fold_of_group = NULL;
    unsigned char *side = dial_malloc(ctx, n ? n : 1);
    group_plan plan = {0};
    dial_status status = DIAL_OK;
    if (!group_of || !side)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu rows", n);
    if (status == DIAL_OK) status = scheme_group_ids(ctx, scheme->keys, n, group_of, &n_groups);
    if (status == DIAL_OK && n_groups < folds)
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                           "cannot make %zu grouped folds from %zu groups of column '%s': ask for "
                           "at most %zu folds",
                           folds, n_groups, scheme_column(scheme), n_groups);
    if (status == DIAL_OK)
        status = group_plan_init(ctx, data, group_of, n_groups, folds, stratified, &plan);
    if (status == DIAL_OK && !(fold_of_group = dial_malloc(ctx, n_groups * sizeof *fold_of_group)))
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu groups", n_groups);
    if (status == DIAL_OK) status = scheme_alloc(ctx, folds * repeats, out);
    for (size_t r = 0; r < repeats && status == DIAL_OK; r++) {
        dial_rng rng = dial_rng_stream(seed, r);
        status = group_plan_assign(ctx, &plan, stratified, &rng, fold_of_group);
        for (size_t f = 0; f < folds && status == DIAL_OK; f++) {
            for (size_t i = 0; i < n; i++) side[i] = fold_of_group[group_of[i]] == f;
            dial_split *split = &out->items[r * folds + f];
            split->repeat = r;
            split->fold = f;
            status = scheme_split_from_sides(ctx, side, n, split);
        }
    }
    group_plan_free(&plan);
    free(fold_of_group);
    free(group_of);
    free(side);
    return status;
}

/* ---- forward chaining ------------------------------------------------------ */

static dial_status split_time(dial_ctx *ctx, const dial_dataset *data,
                              const dial_fold_scheme *scheme, size_t folds, dial_splits *out) {
    size_t n = data->n_rows, block = n / (folds + 1);
    if (block == 0 || n - folds * block <= scheme->gap)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "cannot make %zu forward-chaining folds with a gap of %zu from %zu rows: "
                         "the first fold would train on no row; ask for fewer folds or a smaller "
                         "gap",
                         folds, scheme->gap, n);
    keyed_row *sorted = NULL;
    unsigned char *side = dial_malloc(ctx, n);
    dial_status status = side ? scheme_sorted_rows(ctx, scheme->keys, n, &sorted)
                              : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu rows", n);
    if (status == DIAL_OK) status = scheme_alloc(ctx, folds, out);
    for (size_t f = 0; f < folds && status == DIAL_OK; f++) {
        size_t test_start = n - (folds - f) * block, train_end = test_start - scheme->gap;
        for (size_t p = 0; p < n; p++)
            side[sorted[p].row] = p < train_end                               ? 0
                                  : p >= test_start && p < test_start + block ? 1
                                                                              : 2;
        out->items[f].fold = f;
        status = scheme_split_from_sides(ctx, side, n, &out->items[f]);
    }
    free(sorted);
    free(side);
    return status;
}

/* ---- folds the user gave --------------------------------------------------- */

static dial_status split_predefined(dial_ctx *ctx, const dial_dataset *data,
                                    const dial_fold_scheme *scheme, dial_splits *out) {
    size_t n = data->n_rows, n_folds = 0;
    keyed_row *sorted = NULL;
    unsigned char *side = dial_malloc(ctx, n ? n : 1);
    dial_status status = side ? scheme_sorted_rows(ctx, scheme->keys, n, &sorted)
                              : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu rows", n);
    for (size_t p = 0; status == DIAL_OK && p < n; p++)
        if (sorted[p].key >= 0 && (p == 0 || sorted[p].key != sorted[p - 1].key)) n_folds++;
    if (status == DIAL_OK && n_folds < 2)
        status =
            dial_fail(ctx, DIAL_ERR_ARGUMENT,
                      "fold column '%s' gives %zu fold%s: cross-validation needs at least 2 "
                      "distinct values of 0 or more (a negative value keeps a row in training)",
                      scheme_column(scheme), n_folds, n_folds == 1 ? "" : "s");
    if (status == DIAL_OK) status = scheme_alloc(ctx, n_folds, out);
    size_t p = 0;
    while (status == DIAL_OK && p < n && sorted[p].key < 0) p++;
    for (size_t f = 0; status == DIAL_OK && f < n_folds; f++) {
        double key = sorted[p].key;
        for (size_t i = 0; i < n; i++) side[i] = scheme->keys[i] == key;
        while (p < n && sorted[p].key == key) p++;
        out->items[f].fold = f;
        status = scheme_split_from_sides(ctx, side, n, &out->items[f]);
        if (status == DIAL_OK && out->items[f].n_train == 0)
            status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                               "fold %g of column '%s' holds every row: no row is left to train on",
                               key, scheme_column(scheme));
    }
    free(sorted);
    free(side);
    return status;
}

dial_status dial_split_folds(dial_ctx *ctx, const dial_dataset *data,
                             const dial_fold_scheme *scheme, size_t folds, size_t repeats,
                             bool stratified, uint64_t seed, dial_splits *out) {
    if (!scheme || scheme->kind == DIAL_FOLDS_SHUFFLED)
        return dial_split_kfold(ctx, data, folds, repeats, stratified, seed, out);
    out->count = 0;
    out->items = NULL;
    if (scheme->kind != DIAL_FOLDS_TIME && !scheme->keys)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "grouped or predefined folds need a key per row");
    if (scheme->kind != DIAL_FOLDS_PREDEFINED && folds < 2)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "folds must be at least 2, got %zu", folds);
    if (repeats < 1 || repeats > SIZE_MAX / (folds ? folds : 1))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "repeats must be at least 1, got %zu", repeats);
    if (scheme->kind != DIAL_FOLDS_GROUPED && repeats > 1)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "%s folds are the same on every repeat: ask for 1 repeat, not %zu",
                         scheme->kind == DIAL_FOLDS_TIME ? "forward-chaining" : "predefined",
                         repeats);
    if (stratified && (!data->y || data->task != DIAL_TASK_CLASSIFICATION || !data->n_classes))
        stratified = false;
    dial_status status;
    switch (scheme->kind) {
    case DIAL_FOLDS_GROUPED:
        status = split_grouped(ctx, data, scheme, folds, repeats, stratified, seed, out);
        break;
    case DIAL_FOLDS_TIME: status = split_time(ctx, data, scheme, folds, out); break;
    default: status = split_predefined(ctx, data, scheme, out); break;
    }
    if (status != DIAL_OK) dial_splits_free(out);
    return status;
}

/* ---- holdouts -------------------------------------------------------------- */

dial_status dial_split_holdout_by(dial_ctx *ctx, const dial_dataset *data,
                                  const dial_fold_scheme *scheme, double test_fraction,
                                  bool stratified, uint64_t seed, dial_splits *out) {
    if (!scheme || scheme->kind == DIAL_FOLDS_SHUFFLED)
        return dial_split_holdout(ctx, data, test_fraction, stratified, seed, out);
    out->count = 0;
    out->items = NULL;
    size_t n = data->n_rows;
    if (!(test_fraction > 0 && test_fraction < 1))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "test fraction must be in (0, 1), got %g",
                         test_fraction);
    if (scheme->kind == DIAL_FOLDS_PREDEFINED)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "a holdout cannot be drawn from fold column '%s': its folds already say "
                         "which rows are scored; leave out the holdout",
                         scheme_column(scheme));
    if (scheme->kind == DIAL_FOLDS_GROUPED && !scheme->keys)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "a grouped holdout needs a key per row");
    size_t *group_of = dial_malloc(ctx, (n ? n : 1) * sizeof *group_of), *order = NULL,
           n_groups = 0;
    unsigned char *side = dial_malloc(ctx, n ? n : 1);
    keyed_row *sorted = NULL;
    dial_status status = group_of && side
                             ? DIAL_OK
                             : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu rows", n);
    if (status == DIAL_OK && scheme->kind == DIAL_FOLDS_GROUPED) {
        status = scheme_group_ids(ctx, scheme->keys, n, group_of, &n_groups);
        size_t n_test = (size_t)ceil(test_fraction * (double)n_groups);
        if (status == DIAL_OK && n_test >= n_groups)
            status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                               "a holdout of %g of the %zu groups of column '%s' leaves no group "
                               "to train on",
                               test_fraction, n_groups, scheme_column(scheme));
        if (status == DIAL_OK && !(order = dial_malloc(ctx, n_groups * sizeof *order)))
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu groups", n_groups);
        if (status == DIAL_OK) {
            dial_rng rng = dial_rng_stream(seed, 0);
            for (size_t g = 0; g < n_groups; g++) order[g] = g;
            dial_rng_shuffle(&rng, order, n_groups);
            /* The groups drawn first are held out: turn the draw into each
             * group's place in it, in place of its number. */
            size_t *place = dial_malloc(ctx, n_groups * sizeof *place);
            if (!place) {
                status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for %zu groups", n_groups);
            } else {
                for (size_t p = 0; p < n_groups; p++) place[order[p]] = p;
                for (size_t i = 0; i < n; i++) side[i] = place[group_of[i]] < n_test;
                free(place);
            }
        }
    } else if (status == DIAL_OK) {
        size_t n_test = (size_t)ceil(test_fraction * (double)n);
        if (n_test + scheme->gap >= n)
            status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                               "a holdout of the latest %zu of %zu rows with a gap of %zu leaves "
                               "no row to train on",
                               n_test, n, scheme->gap);
        if (status == DIAL_OK) status = scheme_sorted_rows(ctx, scheme->keys, n, &sorted);
        for (size_t p = 0; status == DIAL_OK && p < n; p++)
            side[sorted[p].row] = p >= n - n_test ? 1 : p < n - n_test - scheme->gap ? 0 : 2;
    }
    (void)stratified; /* a group or a time block is held out whole, whatever its classes */
    if (status == DIAL_OK) status = scheme_alloc(ctx, 1, out);
    if (status == DIAL_OK) status = scheme_split_from_sides(ctx, side, n, &out->items[0]);
    if (status != DIAL_OK) dial_splits_free(out);
    free(group_of);
    free(order);
    free(side);
    free(sorted);
    return status;
}

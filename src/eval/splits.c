/* Splitters: which rows a model is fitted on and which it is scored on.
 * K-fold (plain or stratified, repeated) and a single holdout. Every split
 * depends only on (seed, repeat), so the same seed gives the same folds on
 * any machine and thread count. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/eval.h"

void dial_splits_free(dial_splits *splits) {
    if (!splits) return;
    for (size_t i = 0; i < splits->count; i++) {
        free(splits->items[i].train);
        free(splits->items[i].test);
    }
    free(splits->items);
    splits->items = NULL;
    splits->count = 0;
}

/* Fills one split from a row -> group assignment: rows whose group is
 * `group` are the test rows, the others the train rows, both ascending
 * because rows are visited in order. */
static dial_status split_from_groups(dial_ctx *ctx, const size_t *group_of, size_t n_rows,
                                     size_t group, size_t n_test, dial_split *split) {
    split->n_test = n_test;
    split->n_train = n_rows - n_test;
    split->test = dial_malloc(ctx, (n_test ? n_test : 1) * sizeof *split->test);
    split->train = dial_malloc(ctx, (split->n_train ? split->n_train : 1) * sizeof *split->train);
    if (!split->test || !split->train)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory splitting %zu rows", n_rows);
    size_t at_test = 0, at_train = 0;
    for (size_t row = 0; row < n_rows; row++) {
        if (group_of[row] == group)
            split->test[at_test++] = row;
        else
            split->train[at_train++] = row;
    }
    return DIAL_OK;
}

/* Rows grouped by class, each class's rows in ascending order: the rows of
 * class c are order[start[c] .. start[c + 1]). start has n_classes + 1
 * entries. */
static dial_status split_group_by_class(dial_ctx *ctx, const dial_dataset *data, size_t **order,
                                        size_t **start) {
    size_t n = data->n_rows, k = data->n_classes;
    *order = dial_malloc(ctx, (n ? n : 1) * sizeof **order);
    *start = dial_calloc(ctx, k + 1, sizeof **start);
    size_t *fill = dial_calloc(ctx, k + 1, sizeof *fill);
    if (!*order || !*start || !fill) {
        free(fill);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory grouping %zu rows by class", n);
    }
    for (size_t i = 0; i < n; i++) (*start)[(size_t)data->y[i] + 1]++;
    for (size_t c = 0; c < k; c++) (*start)[c + 1] += (*start)[c];
    memcpy(fill, *start, (k + 1) * sizeof *fill);
    for (size_t i = 0; i < n; i++) (*order)[fill[(size_t)data->y[i]]++] = i;
    free(fill);
    return DIAL_OK;
}

/* The smallest class that has rows (classes without rows cannot unbalance a
 * split); the first one on a tie. */
static size_t split_smallest_class(const size_t *start, size_t n_classes) {
    size_t smallest = 0, smallest_count = (size_t)-1;
    for (size_t c = 0; c < n_classes; c++) {
        size_t count = start[c + 1] - start[c];
        if (count > 0 && count < smallest_count) {
            smallest = c;
            smallest_count = count;
        }
    }
    return smallest;
}

static dial_status split_check_stratifiable(dial_ctx *ctx, const dial_dataset *data,
                                            const char *what) {
    if (!data->y)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "%s needs a classification target; the dataset has no target", what);
    if (data->task != DIAL_TASK_CLASSIFICATION || data->n_classes == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "%s needs a classification target; '%s' is a regression target", what,
                         data->target_name ? data->target_name : "the target");
    for (size_t i = 0; i < data->n_rows; i++) {
        double v = data->y[i];
        if (!(v >= 0 && v < (double)data->n_classes))
            return dial_fail(ctx, DIAL_ERR_INTERNAL, "row %zu has class index %g, outside [0, %zu)",
                             i, v, data->n_classes);
    }
    return DIAL_OK;
}

static dial_status split_alloc(dial_ctx *ctx, size_t count, dial_splits *out) {
    out->items = dial_calloc(ctx, count, sizeof *out->items);
    out->count = 0;
    if (!out->items)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making %zu splits", count);
    out->count = count; /* every item is zeroed, so freeing a half-filled set is safe */
    return DIAL_OK;
}

/* Assigns every row a fold for one repeat. Plain: the shuffled rows are cut
 * into contiguous blocks whose sizes differ by at most one (as sklearn's
 * KFold). Stratified: the rows of each class are shuffled, the classes laid
 * end to end, and position p dealt to fold p % folds; each class then splits
 * over the folds as evenly as possible and fold sizes differ by at most one,
 * as sklearn's StratifiedKFold intends. */
static void split_assign_folds(const dial_dataset *data, size_t folds, bool stratified,
                               dial_rng *rng, size_t *order, const size_t *class_start,
                               size_t *fold_of, size_t *fold_size) {
    size_t n = data->n_rows;
    memset(fold_size, 0, folds * sizeof *fold_size);
    if (stratified) {
        for (size_t c = 0; c < data->n_classes; c++)
            dial_rng_shuffle(rng, order + class_start[c], class_start[c + 1] - class_start[c]);
        for (size_t p = 0; p < n; p++) {
            fold_of[order[p]] = p % folds;
            fold_size[p % folds]++;
        }
        return;
    }
    for (size_t i = 0; i < n; i++) order[i] = i;
    dial_rng_shuffle(rng, order, n);
    size_t base = n / folds, extra = n % folds, p = 0;
    for (size_t f = 0; f < folds; f++) {
        fold_size[f] = base + (f < extra ? 1 : 0);
        for (size_t j = 0; j < fold_size[f]; j++) fold_of[order[p++]] = f;
    }
}

/* Makes the folds of every repeat into out, which has room for them. order
 * is scratch of n_rows entries; stratified, base_order holds the rows grouped
 * by class (see split_group_by_class). */
static dial_status split_make_folds(dial_ctx *ctx, const dial_dataset *data, size_t folds,
                                    size_t repeats, bool stratified, uint64_t seed,
                                    const size_t *base_order, const size_t *class_start,
                                    size_t *order, dial_splits *out) {
    size_t n = data->n_rows;
    size_t *fold_of = dial_malloc(ctx, n * sizeof *fold_of);
    size_t *fold_size = dial_malloc(ctx, folds * sizeof *fold_size);
    dial_status status = DIAL_OK;
    if (!fold_of || !fold_size)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory splitting %zu rows", n);
    for (size_t r = 0; r < repeats && status == DIAL_OK; r++) {
        dial_rng rng = dial_rng_stream(seed, r);
        /* Each repeat shuffles from the same starting order, so a repeat
         * depends on (seed, r) alone. */
        if (stratified) memcpy(order, base_order, n * sizeof *order);
        split_assign_folds(data, folds, stratified, &rng, order, class_start, fold_of, fold_size);
        for (size_t f = 0; f < folds && status == DIAL_OK; f++) {
            dial_split *split = &out->items[r * folds + f];
            split->repeat = r;
            split->fold = f;
            status = split_from_groups(ctx, fold_of, n, f, fold_size[f], split);
        }
    }
    free(fold_of);
    free(fold_size);
    return status;
}

dial_status dial_split_kfold(dial_ctx *ctx, const dial_dataset *data, size_t folds, size_t repeats,
                             bool stratified, uint64_t seed, dial_splits *out) {
    out->count = 0;
    out->items = NULL;
    size_t n = data->n_rows;
    if (folds < 2)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "folds must be at least 2, got %zu", folds);
    if (repeats < 1)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "repeats must be at least 1, got %zu", repeats);
    if (folds > n)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "cannot make %zu folds from %zu rows", folds, n);
    if (repeats > SIZE_MAX / folds)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "%zu repeats of %zu folds are too many", repeats,
                         folds);

    size_t *base_order = NULL, *class_start = NULL;
    dial_status status = DIAL_OK;
    if (stratified) {
        if ((status = split_check_stratifiable(ctx, data, "a stratified split")) != DIAL_OK)
            return status;
        if ((status = split_group_by_class(ctx, data, &base_order, &class_start)) != DIAL_OK)
            goto done;
        /* sklearn only warns here and makes folds that miss the class; a
         * fold without a class scores the model on a different problem, so
         * dial refuses and says which class is short. */
        size_t c = split_smallest_class(class_start, data->n_classes);
        size_t count = class_start[c + 1] - class_start[c];
        if (count < folds) {
            status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                               "stratified %zu-fold needs at least %zu rows of every class; "
                               "class '%s' has %zu",
                               folds, folds, data->class_names[c], count);
            goto done;
        }
    }
    size_t *order = dial_malloc(ctx, n * sizeof *order);
    if (!order) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory shuffling %zu rows", n);
        goto done;
    }
    if ((status = split_alloc(ctx, folds * repeats, out)) == DIAL_OK)
        status = split_make_folds(ctx, data, folds, repeats, stratified, seed, base_order,
                                  class_start, order, out);
    if (status != DIAL_OK) dial_splits_free(out);
    free(order);

done:
    free(base_order);
    free(class_start);
    return status;
}

/* Per-class test counts for a stratified holdout: each class gets the floor
 * of its exact share of n_test, and the rows still missing go to the classes
 * with the largest remainders (the earlier class on a tie). */
static void split_holdout_quota(const size_t *class_start, size_t n_classes, size_t n,
                                size_t n_test, size_t *quota, double *remainder) {
    size_t given = 0;
    for (size_t c = 0; c < n_classes; c++) {
        double exact = (double)(class_start[c + 1] - class_start[c]) * (double)n_test / (double)n;
        quota[c] = (size_t)floor(exact);
        remainder[c] = exact - (double)quota[c];
        given += quota[c];
    }
    while (given < n_test) {
        size_t best = 0;
        for (size_t c = 1; c < n_classes; c++)
            if (remainder[c] > remainder[best]) best = c;
        quota[best]++;
        remainder[best] = -1;
        given++;
    }
}

dial_status dial_split_holdout(dial_ctx *ctx, const dial_dataset *data, double test_fraction,
                               bool stratified, uint64_t seed, dial_splits *out) {
    out->count = 0;
    out->items = NULL;
    size_t n = data->n_rows;
    if (!(test_fraction > 0 && test_fraction < 1))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "test fraction must be in (0, 1), got %g",
                         test_fraction);
    if (n < 2)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "a holdout needs at least 2 rows, got %zu", n);
    /* As sklearn's train_test_split: the test part is rounded up. */
    size_t n_test = (size_t)ceil(test_fraction * (double)n);
    if (n_test >= n)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "a test fraction of %g of %zu rows leaves no rows to train on",
                         test_fraction, n);

    size_t *order = NULL, *class_start = NULL, *group_of = NULL, *quota = NULL;
    double *remainder = NULL;
    dial_status status;
    dial_rng rng = dial_rng_stream(seed, 0);
    group_of = dial_malloc(ctx, (n ? n : 1) * sizeof *group_of);
    if (!group_of) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory splitting %zu rows", n);
        goto done;
    }
    /* group 1 is the test part, group 0 the train part */
    if (stratified) {
        if ((status = split_check_stratifiable(ctx, data, "a stratified holdout")) != DIAL_OK)
            goto done;
        if ((status = split_group_by_class(ctx, data, &order, &class_start)) != DIAL_OK) goto done;
        size_t c = split_smallest_class(class_start, data->n_classes);
        size_t count = class_start[c + 1] - class_start[c];
        if (count < 2) {
            status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                               "a stratified holdout needs at least 2 rows of every class; "
                               "class '%s' has %zu",
                               data->class_names[c], count);
            goto done;
        }
        quota = dial_malloc(ctx, data->n_classes * sizeof *quota);
        remainder = dial_malloc(ctx, data->n_classes * sizeof *remainder);
        if (!quota || !remainder) {
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory splitting %zu rows", n);
            goto done;
        }
        split_holdout_quota(class_start, data->n_classes, n, n_test, quota, remainder);
        for (size_t k = 0; k < data->n_classes; k++) {
            size_t *rows = order + class_start[k];
            size_t size = class_start[k + 1] - class_start[k];
            dial_rng_shuffle(&rng, rows, size);
            for (size_t i = 0; i < size; i++) group_of[rows[i]] = i < quota[k] ? 1 : 0;
        }
    } else {
        order = dial_malloc(ctx, n * sizeof *order);
        if (!order) {
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory shuffling %zu rows", n);
            goto done;
        }
        for (size_t i = 0; i < n; i++) order[i] = i;
        dial_rng_shuffle(&rng, order, n);
        for (size_t i = 0; i < n; i++) group_of[order[i]] = i < n_test ? 1 : 0;
    }
    if ((status = split_alloc(ctx, 1, out)) != DIAL_OK) goto done;
    status = split_from_groups(ctx, group_of, n, 1, n_test, &out->items[0]);
    if (status != DIAL_OK) dial_splits_free(out);

done:
    free(order);
    free(class_start);
    free(group_of);
    free(quota);
    free(remainder);
    return status;
}

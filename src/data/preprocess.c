/*
 * Preprocessing with learned state: impute, one-hot encode, scale.
 *
 * The steps follow scikit-learn's SimpleImputer -> OneHotEncoder ->
 * StandardScaler/MinMaxScaler pipeline so that figures can be checked
 * against it: imputation is learned per raw feature, scaling per column of
 * the expanded design matrix (one-hot columns included), the standard
 * deviation is the population one, and a constant column keeps scale 1.
 *
 * What it learns lives in tensors (preprocess.fill, .center, .scale) because
 * a model file stores tensors and a loaded model must transform exactly as
 * the fitted one. Those tensors may come from a damaged file, so transform
 * checks them before use.
 */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/sort.h"
#include "data/preprocess.h"

#define PREPROCESS_FILL "preprocess.fill"
#define PREPROCESS_CENTER "preprocess.center"
#define PREPROCESS_SCALE "preprocess.scale"

size_t dial_preprocess_n_inputs(const dial_feature *features, size_t n_features) {
    size_t n = 0;
    for (size_t j = 0; j < n_features; j++)
        n += features[j].type == DIAL_COLUMN_CATEGORICAL ? features[j].n_levels : 1;
    return n;
}

/* ---- level matching ------------------------------------------------------- */

typedef struct level_key {
    const char *name;
    size_t index;
} level_key;

static int compare_level_keys(const void *a, const void *b) {
    return strcmp(((const level_key *)a)->name, ((const level_key *)b)->name);
}

/* How the values of one view column become a feature's level indices. A
 * categorical column may list its levels in another order than training did
 * (another file), so levels are matched by name; a numeric column given for
 * a categorical feature (levels that look like numbers: "1", "2") is matched
 * by formatting each number with %g. */
typedef struct level_map {
    level_key *keys;   /* the feature's levels sorted by name */
    size_t *of_column; /* column level -> feature level, or SIZE_MAX if unseen */
    bool numeric;      /* the column is numeric: look each value up by text */
} level_map;

static void level_map_free(level_map *map) {
    free(map->keys);
    free(map->of_column);
}

static size_t level_lookup(const level_map *map, size_t n_levels, const char *name) {
    level_key key = {.name = name};
    const level_key *hit =
        bsearch(&key, map->keys, n_levels, sizeof *map->keys, compare_level_keys);
    return hit ? hit->index : SIZE_MAX;
}

static dial_status level_map_build(dial_ctx *ctx, const dial_feature *feature,
                                   const dial_column *col, level_map *map) {
    *map = (level_map){.numeric = col->type == DIAL_COLUMN_NUMERIC};
    map->keys = dial_malloc(ctx, (feature->n_levels ? feature->n_levels : 1) * sizeof *map->keys);
    if (!map->keys) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory matching levels");
    for (size_t l = 0; l < feature->n_levels; l++)
        map->keys[l] = (level_key){.name = feature->levels[l], .index = l};
    qsort(map->keys, feature->n_levels, sizeof *map->keys, compare_level_keys);
    if (map->numeric) return DIAL_OK;
    map->of_column = dial_malloc(ctx, (col->n_levels ? col->n_levels : 1) * sizeof *map->of_column);
    if (!map->of_column) {
        level_map_free(map);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory matching levels");
    }
    for (size_t l = 0; l < col->n_levels; l++)
        map->of_column[l] = level_lookup(map, feature->n_levels, col->levels[l]);
    return DIAL_OK;
}

/* The feature level of a non-missing value, or SIZE_MAX when unseen. */
static size_t level_map_apply(const level_map *map, const dial_feature *feature,
                              const dial_column *col, double v) {
    if (map->numeric) {
        char text[64];
        snprintf(text, sizeof text, "%g", v);
        return level_lookup(map, feature->n_levels, text);
    }
    if (!(v >= 0 && v < (double)col->n_levels)) return SIZE_MAX;
    return map->of_column[(size_t)v];
}

/* ---- the unscaled design matrix ----------------------------------------------- */

static dial_status check_column(dial_ctx *ctx, const dial_feature *feature,
                                const dial_column *col) {
    if (feature->type == DIAL_COLUMN_NUMERIC && col->type == DIAL_COLUMN_CATEGORICAL)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "feature '%s' is categorical (text) in the data but numeric in the model",
                         feature->name);
    return DIAL_OK;
}

static dial_status missing_error(dial_ctx *ctx, const dial_feature *feature, size_t row) {
    return dial_fail(ctx, DIAL_ERR_DATA,
                     "feature '%s' is missing on row %zu and impute=none; set impute to mean, "
                     "median or most_frequent, or remove the row",
                     feature->name, row + 1);
}

/* Checks every value of the view as expand will use it, a feature at a
 * time and down its rows, so the error named is the first in that order:
 * a missing value without a fill (unless kept), an infinite number. */
static dial_status check_values(dial_ctx *ctx, const dial_feature *features, size_t n_features,
                                bool have_fill, bool keep_missing, const dial_view *view) {
    for (size_t j = 0; j < n_features; j++) {
        const dial_feature *feature = &features[j];
        const dial_column *col = view->data->features[j];
        dial_status status = check_column(ctx, feature, col);
        if (status != DIAL_OK) return status;
        bool numeric = feature->type == DIAL_COLUMN_NUMERIC;
        for (size_t i = 0; i < view->n; i++) {
            size_t row = dial_view_row(view, i);
            double v = col->values[row];
            if (isnan(v) && !have_fill && !keep_missing) return missing_error(ctx, feature, row);
            if (numeric && isinf(v))
                return dial_fail(ctx, DIAL_ERR_DATA,
                                 "feature '%s' has an infinite value on row %zu", feature->name,
                                 row + 1);
        }
    }
    return DIAL_OK;
}

/* The rows are written a block at a time: the dataset keeps each column
 * whole and the design matrix keeps each row whole, so filling one column
 * down millions of rows strides through all of memory once per column,
 * where a block of rows stays in cache while every column fills it. */
#define EXPAND_BLOCK_ROWS 256

/* Writes one block of rows [begin, end) of the view into x. */
static void expand_block(const dial_feature *features, size_t n_features, const double *fill,
                         const level_map *maps, const dial_view *view, size_t begin, size_t end,
                         double *x, size_t n_inputs, size_t *unseen) {
    size_t offset = 0;
    for (size_t j = 0; j < n_features; j++) {
        const dial_feature *feature = &features[j];
        const dial_column *col = view->data->features[j];
        if (feature->type == DIAL_COLUMN_NUMERIC) {
            for (size_t i = begin; i < end; i++) {
                double v = col->values[dial_view_row(view, i)];
                if (isnan(v) && fill) v = fill[j];
                x[i * n_inputs + offset] = v; /* missing and kept: NaN */
            }
            offset++;
            continue;
        }
        for (size_t i = begin; i < end; i++) {
            double v = col->values[dial_view_row(view, i)];
            double *out = &x[i * n_inputs + offset];
            memset(out, 0, feature->n_levels * sizeof *out);
            size_t level;
            if (isnan(v)) {
                if (!fill) continue; /* missing and kept: all zeros */
                level = (size_t)fill[j];
            } else {
                level = level_map_apply(&maps[j], feature, col, v);
            }
            if (level == SIZE_MAX) {
                if (unseen) (*unseen)++;
                continue;
            }
            out[level] = 1;
        }
        offset += feature->n_levels;
    }
}

/* From this many cells of the design matrix up, the rows are written on
 * the context's threads: a fresh matrix of hundreds of megabytes costs
 * more in first-touch page faults than in copying, and the faults of
 * different threads are served side by side. */
#define EXPAND_PARALLEL_CELLS ((size_t)1 << 22)

typedef struct expand_job {
    const dial_feature *features;
    size_t n_features;
    const double *fill;
    const level_map *maps;
    const dial_view *view;
    double *x;
    size_t n_inputs;
    size_t *unseen_by; /* per worker */
} expand_job;

static dial_status expand_blocks(void *arg, size_t begin, size_t end, int worker) {
    const expand_job *job = arg;
    size_t n = job->view->n;
    for (size_t block = begin; block < end; block++) {
        size_t from = block * EXPAND_BLOCK_ROWS;
        size_t to = n - from < EXPAND_BLOCK_ROWS ? n : from + EXPAND_BLOCK_ROWS;
        expand_block(job->features, job->n_features, job->fill, job->maps, job->view, from, to,
                     job->x, job->n_inputs, &job->unseen_by[worker]);
    }
    return DIAL_OK;
}

/* Writes the one-hot / numeric design matrix of the view into x (n x
 * n_inputs), filling missing values from fill (NULL: a missing value is an
 * error unless keep_missing). Counts unseen levels into *unseen. */
static dial_status expand(dial_ctx *ctx, const dial_feature *features, size_t n_features,
                          const double *fill, bool keep_missing, const dial_view *view, double *x,
                          size_t n_inputs, size_t *unseen) {
    if (view->data->sparse)
        return dial_preprocess_expand_sparse(ctx, features, n_features, view, x, n_inputs);
    dial_status status = check_values(ctx, features, n_features, fill, keep_missing, view);
    if (status != DIAL_OK) return status;
    level_map *maps = dial_calloc(ctx, n_features ? n_features : 1, sizeof *maps);
    if (!maps) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory matching levels");
    for (size_t j = 0; j < n_features && status == DIAL_OK; j++)
        if (features[j].type == DIAL_COLUMN_CATEGORICAL)
            status = level_map_build(ctx, &features[j], view->data->features[j], &maps[j]);
    if (status == DIAL_OK) {
        size_t blocks = (view->n + EXPAND_BLOCK_ROWS - 1) / EXPAND_BLOCK_ROWS;
        int threads = view->n * n_inputs < EXPAND_PARALLEL_CELLS ? 1 : dial_ctx_threads(ctx);
        size_t *unseen_by =
            dial_calloc(ctx, (size_t)(threads > 1 ? threads : 1), sizeof *unseen_by);
        expand_job job = {features, n_features, fill, maps, view, x, n_inputs, unseen_by};
        status = unseen_by
                     ? dial_parallel_for(ctx, threads, blocks, expand_blocks, &job)
                     : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building the design matrix");
        for (int t = 0; unseen && unseen_by && t < (threads > 1 ? threads : 1); t++)
            *unseen += unseen_by[t];
        free(unseen_by);
    }
    for (size_t j = 0; j < n_features; j++) level_map_free(&maps[j]);
    free(maps);
    return status;
}

/* ---- fitting -------------------------------------------------------------------- */

/* The fill value of a numeric feature from its non-missing values (sorted
 * in place). A feature with no value at all in training gets 0: it is then
 * constant, and scaling leaves it alone. */
static double numeric_fill(const dial_ctx *ctx, dial_impute impute, double *values, size_t n) {
    if (n == 0) return 0;
    if (impute == DIAL_IMPUTE_MEAN) {
        double sum = 0;
        for (size_t i = 0; i < n; i++) sum += values[i];
        return sum / (double)n;
    }
    dial_sort_doubles(ctx, values, n);
    if (impute == DIAL_IMPUTE_MEDIAN)
        return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    /* Most frequent; a tie goes to the smallest value, as in scikit-learn. */
    double best = values[0];
    size_t best_count = 0;
    for (size_t i = 0; i < n;) {
        size_t k = i;
        while (k < n && values[k] == values[i]) k++;
        if (k - i > best_count) {
            best_count = k - i;
            best = values[i];
        }
        i = k;
    }
    return best;
}

/* The most frequent level of a categorical feature over the view; a tie
 * goes to the level whose name sorts first (scikit-learn's rule). */
static dial_status categorical_fill(dial_ctx *ctx, const dial_feature *feature,
                                    const dial_column *col, const dial_view *view, double *fill) {
    size_t *count = dial_calloc(ctx, feature->n_levels ? feature->n_levels : 1, sizeof *count);
    if (!count) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory imputing '%s'", feature->name);
    level_map map;
    dial_status status = level_map_build(ctx, feature, col, &map);
    if (status != DIAL_OK) {
        free(count);
        return status;
    }
    for (size_t i = 0; i < view->n; i++) {
        double v = col->values[dial_view_row(view, i)];
        if (isnan(v)) continue;
        size_t level = level_map_apply(&map, feature, col, v);
        if (level != SIZE_MAX) count[level]++;
    }
    size_t best = 0;
    for (size_t l = 1; l < feature->n_levels; l++)
        if (count[l] > count[best] ||
            (count[l] == count[best] && strcmp(feature->levels[l], feature->levels[best]) < 0))
            best = l;
    *fill = (double)best;
    level_map_free(&map);
    free(count);
    return DIAL_OK;
}

static dial_status fit_fill(dial_ctx *ctx, dial_impute impute, const dial_feature *features,
                            size_t n_features, const dial_view *train, dial_tensors *learned,
                            double **fill_out) {
    *fill_out = NULL;
    if (impute == DIAL_IMPUTE_NONE || impute == DIAL_IMPUTE_KEEP) return DIAL_OK;
    size_t shape[1] = {n_features};
    double *fill = NULL;
    dial_status status =
        dial_tensors_add(ctx, learned, PREPROCESS_FILL, DIAL_F64, 1, shape, (void **)&fill);
    if (status != DIAL_OK) return status;
    double *values = dial_malloc(ctx, (train->n ? train->n : 1) * sizeof *values);
    if (!values) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory imputing missing values");
    for (size_t j = 0; j < n_features && status == DIAL_OK; j++) {
        const dial_column *col = train->data->features[j];
        status = check_column(ctx, &features[j], col);
        if (status != DIAL_OK) break;
        if (features[j].type == DIAL_COLUMN_CATEGORICAL) {
            if (features[j].n_levels == 0)
                status = dial_fail(ctx, DIAL_ERR_DATA, "categorical feature '%s' has no levels",
                                   features[j].name);
            else
                status = categorical_fill(ctx, &features[j], col, train, &fill[j]);
            continue;
        }
        size_t n = 0;
        for (size_t i = 0; i < train->n; i++) {
            double v = col->values[dial_view_row(train, i)];
            if (!isnan(v)) values[n++] = v;
        }
        fill[j] = numeric_fill(ctx, impute, values, n);
    }
    free(values);
    *fill_out = fill;
    return status;
}

/* scikit-learn's test for a constant column: the variance is within the
 * rounding error of its own computation. */
static bool is_constant(double variance, double mean, size_t n) {
    double eps = DBL_EPSILON;
    double bound = (double)n * eps * variance + pow((double)n * mean * eps, 2);
    return variance <= bound;
}

/* Walks the matrix row by row (a column at a time strides n_inputs apart,
 * which a few thousand one-hot columns make slow) while each column still
 * sums its rows in order, so the figures are those of a column-wise loop. */
static dial_status fit_scaling(dial_ctx *ctx, dial_scale scale, const double *x, size_t n,
                               size_t n_inputs, dial_tensors *learned) {
    size_t shape[1] = {n_inputs};
    double *center = NULL, *spread = NULL;
    dial_status status =
        dial_tensors_add(ctx, learned, PREPROCESS_CENTER, DIAL_F64, 1, shape, (void **)&center);
    if (status == DIAL_OK)
        status =
            dial_tensors_add(ctx, learned, PREPROCESS_SCALE, DIAL_F64, 1, shape, (void **)&spread);
    if (status != DIAL_OK) return status;
    size_t *present = dial_calloc(ctx, n_inputs ? n_inputs : 1, sizeof *present);
    double *squares = dial_calloc(ctx, n_inputs ? n_inputs : 1, sizeof *squares);
    double *correction = dial_calloc(ctx, n_inputs ? n_inputs : 1, sizeof *correction);
    if (!present || !squares || !correction) {
        free(present);
        free(squares);
        free(correction);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory learning the scaling");
    }
    /* Missing values (NaN, only with DIAL_IMPUTE_KEEP) are left out: the
     * scaling is learned from the values present. */
    if (scale == DIAL_SCALE_STANDARD) {
        double *sum = center; /* the sums first, then the means */
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < n_inputs; k++) {
                double v = x[i * n_inputs + k];
                if (isnan(v)) continue;
                sum[k] += v;
                present[k]++;
            }
        for (size_t k = 0; k < n_inputs; k++)
            center[k] = present[k] ? sum[k] / (double)present[k] : 0;
        /* Two passes with the correction term: accurate even when the mean
         * is large against the spread. */
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < n_inputs; k++) {
                double v = x[i * n_inputs + k];
                if (isnan(v)) continue;
                double d = v - center[k];
                squares[k] += d * d;
                correction[k] += d;
            }
        for (size_t k = 0; k < n_inputs; k++) {
            double m = (double)present[k];
            double variance = present[k] ? (squares[k] - correction[k] * correction[k] / m) / m : 0;
            if (variance < 0) variance = 0;
            spread[k] = is_constant(variance, center[k], present[k]) ? 1 : sqrt(variance);
        }
    } else if (scale == DIAL_SCALE_MAXABS) {
        /* No centre: zeros stay zeros, as on sparse data. */
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < n_inputs; k++) {
                double v = fabs(x[i * n_inputs + k]);
                if (!isnan(v) && v > spread[k]) spread[k] = v;
            }
        for (size_t k = 0; k < n_inputs; k++)
            if (spread[k] == 0) spread[k] = 1;
    } else {
        double *lo = center, *hi = spread;
        for (size_t k = 0; k < n_inputs; k++) lo[k] = INFINITY, hi[k] = -INFINITY;
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < n_inputs; k++) {
                double v = x[i * n_inputs + k];
                if (isnan(v)) continue;
                if (v < lo[k]) lo[k] = v;
                if (v > hi[k]) hi[k] = v;
                present[k]++;
            }
        for (size_t k = 0; k < n_inputs; k++) {
            if (!present[k]) lo[k] = hi[k] = 0;
            double range = hi[k] - lo[k];
            spread[k] = range > 0 ? range : 1;
        }
    }
    free(present);
    free(squares);
    free(correction);
    return DIAL_OK;
}

static dial_status check_view(dial_ctx *ctx, size_t n_features, const dial_view *view) {
    if (!view || !view->data)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "no rows given to preprocess");
    if (view->data->n_features != n_features)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "the data has %zu features but the model has %zu",
                         view->data->n_features, n_features);
    for (size_t i = 0; view->rows && i < view->n; i++)
        if (view->rows[i] >= view->data->n_rows)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "row %zu of the view is out of range (%zu rows)", view->rows[i],
                             view->data->n_rows);
    return DIAL_OK;
}

dial_status dial_preprocess_fit(dial_ctx *ctx, dial_impute impute, dial_scale scale,
                                const dial_feature *features, size_t n_features,
                                const dial_view *train, dial_tensors *learned) {
    dial_status status = check_view(ctx, n_features, train);
    if (status != DIAL_OK) return status;
    if (impute > DIAL_IMPUTE_KEEP || scale > DIAL_SCALE_MAXABS)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "unknown imputation %d or scaling %d", (int)impute,
                         (int)scale);
    if (train->data->sparse)
        return dial_preprocess_fit_sparse(ctx, scale, features, n_features, train, learned);
    double *fill = NULL;
    status = fit_fill(ctx, impute, features, n_features, train, learned, &fill);
    if (status != DIAL_OK) return status;
    /* Without scaling nothing more is learned; with impute=none the values
     * are still checked so that a missing value fails at fit time, not later. */
    if (scale == DIAL_SCALE_NONE) {
        if (impute == DIAL_IMPUTE_NONE)
            status = check_values(ctx, features, n_features, false, false, train);
        return status;
    }
    bool keep_missing = impute == DIAL_IMPUTE_KEEP;
    size_t n_inputs = dial_preprocess_n_inputs(features, n_features);
    if (train->n && n_inputs > SIZE_MAX / sizeof(double) / train->n)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "the design matrix of %zu x %zu is too large",
                         train->n, n_inputs);
    size_t cells = train->n * n_inputs;
    double *x = dial_malloc(ctx, (cells ? cells : 1) * sizeof *x);
    if (!x) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building the design matrix");
    status = expand(ctx, features, n_features, fill, keep_missing, train, x, n_inputs, NULL);
    if (status == DIAL_OK && scale != DIAL_SCALE_NONE)
        status = fit_scaling(ctx, scale, x, train->n, n_inputs, learned);
    free(x);
    return status;
}

/* ---- transforming ---------------------------------------------------------------- */

/* A learned 1-d tensor of the expected length, or a DIAL_ERR_FORMAT. */
static dial_status find_vector(dial_ctx *ctx, const dial_tensors *learned, const char *name,
                               size_t length, const double **out) {
    const dial_tensor *t = dial_tensors_find(learned, name);
    *out = NULL;
    if (!t) return DIAL_OK;
    if (t->dtype != DIAL_F64 || t->ndim != 1 || t->shape[0] != length)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "tensor '%s' should be a float vector of %zu values, found %s with %d "
                         "dimension%s and %zu values",
                         name, length, t->dtype == DIAL_F64 ? "float" : "int", t->ndim,
                         t->ndim == 1 ? "" : "s", dial_tensor_size(t));
    *out = t->data;
    return DIAL_OK;
}

static dial_status load_state(dial_ctx *ctx, const dial_feature *features, size_t n_features,
                              size_t n_inputs, const dial_tensors *learned, const double **fill,
                              const double **center, const double **spread) {
    dial_status status = find_vector(ctx, learned, PREPROCESS_FILL, n_features, fill);
    if (status == DIAL_OK) status = find_vector(ctx, learned, PREPROCESS_CENTER, n_inputs, center);
    if (status == DIAL_OK) status = find_vector(ctx, learned, PREPROCESS_SCALE, n_inputs, spread);
    if (status != DIAL_OK) return status;
    if (!*center != !*spread)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "tensor '%s' is present without '%s'",
                         *center ? PREPROCESS_CENTER : PREPROCESS_SCALE,
                         *center ? PREPROCESS_SCALE : PREPROCESS_CENTER);
    for (size_t j = 0; *fill && j < n_features; j++) {
        double v = (*fill)[j];
        bool ok = features[j].type == DIAL_COLUMN_NUMERIC
                      ? isfinite(v)
                      : v >= 0 && v < (double)features[j].n_levels && v == floor(v);
        if (!ok)
            return dial_fail(ctx, DIAL_ERR_FORMAT, "tensor '%s' holds an invalid value %g for '%s'",
                             PREPROCESS_FILL, v, features[j].name);
    }
    for (size_t k = 0; *center && k < n_inputs; k++)
        if (!isfinite((*center)[k]) || !isfinite((*spread)[k]) || (*spread)[k] == 0)
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "tensors '%s' and '%s' hold an invalid pair %g, %g at input %zu",
                             PREPROCESS_CENTER, PREPROCESS_SCALE, (*center)[k], (*spread)[k], k);
    return DIAL_OK;
}

dial_status dial_preprocess_transform(dial_ctx *ctx, const dial_feature *features,
                                      size_t n_features, const dial_tensors *learned,
                                      const dial_view *rows, double **x, size_t *unseen) {
    return dial_preprocess_transform_missing(ctx, features, n_features, learned, rows, false, x,
                                             unseen);
}

dial_status dial_preprocess_transform_missing(dial_ctx *ctx, const dial_feature *features,
                                              size_t n_features, const dial_tensors *learned,
                                              const dial_view *rows, bool keep_missing, double **x,
                                              size_t *unseen) {
    *x = NULL;
    if (unseen) *unseen = 0;
    dial_status status = check_view(ctx, n_features, rows);
    if (status != DIAL_OK) return status;
    size_t n_inputs = dial_preprocess_n_inputs(features, n_features);
    const double *fill = NULL, *center = NULL, *spread = NULL;
    status = load_state(ctx, features, n_features, n_inputs, learned, &fill, &center, &spread);
    if (status != DIAL_OK) return status;
    if (rows->n && n_inputs > SIZE_MAX / sizeof(double) / rows->n)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "the design matrix of %zu x %zu is too large",
                         rows->n, n_inputs);
    size_t cells = rows->n * n_inputs;
    double *out = dial_malloc(ctx, (cells ? cells : 1) * sizeof *out);
    if (!out) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building the design matrix");
    status = expand(ctx, features, n_features, fill, keep_missing, rows, out, n_inputs, unseen);
    if (status != DIAL_OK) {
        free(out);
        return status;
    }
    if (center)
        for (size_t i = 0; i < rows->n; i++)
            for (size_t k = 0; k < n_inputs; k++)
                out[i * n_inputs + k] = (out[i * n_inputs + k] - center[k]) / spread[k];
    *x = out;
    return DIAL_OK;
}

dial_status dial_preprocess_scaling(dial_ctx *ctx, const dial_feature *features, size_t n_features,
                                    const dial_tensors *learned, const double **center,
                                    const double **spread) {
    const double *fill = NULL;
    return load_state(ctx, features, n_features, dial_preprocess_n_inputs(features, n_features),
                      learned, &fill, center, spread);
}

/* ---- what a family may know of the encoding -------------------------------------- */

dial_status dial_preprocess_onehot(dial_ctx *ctx, const dial_feature *features, size_t n_features,
                                   const dial_tensors *learned, dial_onehot_block **blocks,
                                   size_t *n_blocks, double **values) {
    *blocks = NULL;
    *n_blocks = 0;
    *values = NULL;
    size_t n_inputs = dial_preprocess_n_inputs(features, n_features);
    const double *fill = NULL, *center = NULL, *spread = NULL;
    dial_status status =
        load_state(ctx, features, n_features, n_inputs, learned, &fill, &center, &spread);
    if (status != DIAL_OK) return status;
    size_t count = 0, onehot_inputs = 0;
    for (size_t j = 0; j < n_features; j++)
        if (features[j].type == DIAL_COLUMN_CATEGORICAL) {
            count++;
            onehot_inputs += features[j].n_levels;
        }
    if (count == 0) return DIAL_OK;
    dial_onehot_block *out = dial_malloc(ctx, count * sizeof *out);
    double *cells = dial_malloc(ctx, (onehot_inputs ? 2 * onehot_inputs : 1) * sizeof *cells);
    if (!out || !cells) {
        free(out);
        free(cells);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory describing the one-hot columns");
    }
    size_t offset = 0, b = 0;
    double *at = cells;
    for (size_t j = 0; j < n_features; j++) {
        if (features[j].type != DIAL_COLUMN_CATEGORICAL) {
            offset++;
            continue;
        }
        size_t n = features[j].n_levels;
        out[b] = (dial_onehot_block){.offset = offset, .n_levels = n, .off = at, .on = at + n};
        /* The very arithmetic of transform, so the values compare equal. */
        for (size_t l = 0; l < n; l++) {
            size_t k = offset + l;
            at[l] = center ? (0.0 - center[k]) / spread[k] : 0.0;
            at[n + l] = center ? (1.0 - center[k]) / spread[k] : 1.0;
        }
        at += 2 * n;
        offset += n;
        b++;
    }
    *blocks = out;
    *n_blocks = count;
    *values = cells;
    return DIAL_OK;
}

void dial_preprocess_warn_identifiers(dial_ctx *ctx, const dial_dataset *data) {
    if (!data) return;
    for (size_t j = 0; j < data->n_features; j++) {
        const dial_column *col = data->features[j];
        if (col->type != DIAL_COLUMN_CATEGORICAL) continue;
        if (col->n_levels > DIAL_IDENTIFIER_MIN_LEVELS && 2 * col->n_levels > data->n_rows)
            dial_log(ctx, DIAL_LOG_WARN,
                     "column '%s' has %zu distinct values in %zu rows: it looks like an "
                     "identifier, which no model generalises from (one-hot encoding gives it an "
                     "input per value); leave it out with --ignore %s",
                     col->name ? col->name : "", col->n_levels, data->n_rows,
                     col->name ? col->name : "");
    }
}

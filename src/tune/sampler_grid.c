/*
 * Grid search: every combination of the parameters' values, in an order
 * that spans the whole grid early, so that a search stopped after a few
 * trials has still seen every part of every range.
 *
 * Values of one parameter: every integer of an INT range (or every step),
 * grid_points values evenly spaced over a FLOAT range (on the log scale when
 * it is logarithmic, both ends included), every choice, one fixed value.
 *
 * Order along one parameter: LIBSVM's grid.py (permute_sequence): the middle
 * value first, then the middles of the two halves, then of the quarters,
 * interleaving left and right. A value's *level* is how deep in that
 * recursion it was picked (the middle is level 0, the middles of the halves
 * level 1, ...), its *rank* its position in the order.
 *
 * Order of combinations, by these keys in turn:
 *   1. the largest level of its values: the grid is refined level by level,
 *      every coarse sub-grid finished before a finer one starts (grid.py
 *      does the same by growing a box of the first values of each axis);
 *   2. more values at that largest level first: within a refinement the
 *      points new along every axis (the corners of the coarse cells) come
 *      before those that repeat a value already tried;
 *   3. the largest rank, then the ranks in space order: ties broken
 *      middle-out again, deterministically.
 * On an 11 x 11 grid the first trials are (5,5), (2,2), (2,8), (8,2), (8,8),
 * then the edges of the 3 x 3 sub-grid: four trials already reach both
 * halves of both axes, where ordering by the largest rank alone would spend
 * them on (5,5), (5,2), (2,5), (2,2) and never leave the lower half.
 *
 * Roles (dial_order_role, the sampler's order hints): a tuner that
 * shares work between trials marks
 * parameters OUTER (the prepared state of svm's kernel, kNN's neighbour
 * lists) or ASCENDING / DESCENDING (svm's C, warm-started from the
 * previous C; gbdt's n_estimators, whose largest fit answers every smaller
 * one). Then the order is, by these keys in turn: the OUTER values' ranks
 * in space order (groups of trials sharing them come together, the groups
 * middle-out), the keys above over the SPREAD parameters alone, then the
 * ASCENDING / DESCENDING values in that order of their numbers (a choice
 * that is not a number counts by its position).
 *
 * Conditional parameters: a parameter whose condition names a choice of the
 * space is left out of the combinations where that choice deactivates it
 * (its value is not multiplied in), so the grid is the union over the
 * active combinations and holds no duplicate point. A condition on a knob
 * outside the space is taken to hold.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/sampler_internal.h"

/* A grid larger than this could never be searched to the end; refusing it
 * up front also bounds the memory of the enumeration. */
#define GRID_MAX_POINTS (1u << 20)

struct dial_grid {
    size_t n_params;
    int64_t size;
    size_t *n_values;
    double **values;  /* per parameter, in increasing (or listed) order */
    unsigned **level; /* per parameter and value */
    unsigned **rank;  /* per parameter and value */
    size_t *middle;   /* per parameter: the value of rank 0 */
    dial_order_role *role;
    double **number; /* per parameter and value: what ASCENDING orders by */
    int32_t *points; /* size x n_params value indices, -1 = inactive */
};

void dial_grid_free(dial_grid *grid) {
    if (!grid) return;
    for (size_t i = 0; i < grid->n_params; i++) {
        if (grid->values) free(grid->values[i]);
        if (grid->level) free(grid->level[i]);
        if (grid->rank) free(grid->rank[i]);
    }
    free(grid->values);
    free(grid->level);
    free(grid->rank);
    free(grid->n_values);
    for (size_t i = 0; grid->number && i < grid->n_params; i++) free(grid->number[i]);
    free(grid->number);
    free(grid->role);
    free(grid->middle);
    free(grid->points);
    free(grid);
}

int64_t dial_grid_size(const dial_grid *grid) { return grid ? grid->size : 0; }

static double value_count(const dial_param *param, size_t grid_points);

bool dial_grid_active(const dial_grid *grid, int64_t number, size_t index) {
    return grid->points[(size_t)(number % grid->size) * grid->n_params + index] >= 0;
}

double dial_grid_value_count(const dial_param *param, size_t grid_points) {
    return value_count(param, grid_points ? grid_points : 10);
}

double dial_grid_value(const dial_grid *grid, int64_t number, size_t index) {
    int64_t row = number % grid->size;
    int32_t v = grid->points[(size_t)row * grid->n_params + index];
    size_t at = v >= 0 ? (size_t)v : grid->middle[index];
    return grid->values[index][at];
}

/* ---- the values of one parameter ----------------------------------------- */

static double value_count(const dial_param *param, size_t grid_points) {
    if (param->fixed || param->low == param->high) return 1;
    switch (param->kind) {
    case DIAL_PARAM_CHOICE: return param->high - param->low + 1;
    case DIAL_PARAM_INT: {
        double low = ceil(param->low), high = floor(param->high);
        double step = param->step >= 1 ? floor(param->step) : 1;
        return low <= high ? floor((high - low) / step) + 1 : 1;
    }
    case DIAL_PARAM_FLOAT:
        if (param->step > 0) return dial_sampler_step_count(param->low, param->high, param->step);
        return (double)grid_points;
    }
    return 1;
}

static void fill_values(const dial_param *param, size_t count, double *out) {
    if (count == 1 && (param->fixed || param->low == param->high)) {
        out[0] = param->low;
        return;
    }
    double low = param->low, high = param->high;
    switch (param->kind) {
    case DIAL_PARAM_CHOICE:
        for (size_t k = 0; k < count; k++) out[k] = low + (double)k;
        return;
    case DIAL_PARAM_INT: {
        double step = param->step >= 1 ? floor(param->step) : 1;
        for (size_t k = 0; k < count; k++) out[k] = ceil(low) + (double)k * step;
        return;
    }
    case DIAL_PARAM_FLOAT:
        if (param->step > 0) {
            for (size_t k = 0; k < count; k++) out[k] = fmin(low + (double)k * param->step, high);
            return;
        }
        if (count == 1) { /* the middle of the range, on its scale */
            out[0] = param->log ? sqrt(low) * sqrt(high) : low + (high - low) / 2;
            return;
        }
        for (size_t k = 0; k < count; k++) {
            double t = (double)k / (double)(count - 1);
            out[k] =
                param->log ? exp(log(low) + t * (log(high) - log(low))) : low + t * (high - low);
        }
        /* The ends exactly as given, not as exp(log(x)) rounds them. */
        out[0] = low;
        out[count - 1] = high;
        return;
    }
}

/* grid.py's permute_sequence on the value indices [lo, hi): writes the
 * order into order[lo .. hi) (scratch[lo .. hi) is work space) and the
 * recursion depth of each value into level. */
static void middle_out(size_t lo, size_t hi, unsigned depth, size_t *order, size_t *scratch,
                       unsigned *level) {
    if (lo >= hi) return;
    size_t mid = lo + (hi - lo) / 2;
    level[mid] = depth;
    middle_out(lo, mid, depth + 1, order, scratch, level);
    middle_out(mid + 1, hi, depth + 1, order, scratch, level);
    size_t out = lo, left = lo, right = mid + 1;
    scratch[out++] = mid;
    while (left < mid || right < hi) {
        if (left < mid) scratch[out++] = order[left++];
        if (right < hi) scratch[out++] = order[right++];
    }
    memcpy(order + lo, scratch + lo, (hi - lo) * sizeof *order);
}

static dial_status too_large(dial_ctx *ctx) {
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "the grid has more than %u points: narrow the space, use fewer grid points "
                     "or a step, or sample it with random or qmc",
                     GRID_MAX_POINTS);
}

static dial_status build_values(dial_ctx *ctx, dial_grid *grid, const dial_space *space,
                                size_t grid_points, const dial_order_role *roles) {
    size_t n = space->n;
    grid->n_values = dial_calloc(ctx, n, sizeof *grid->n_values);
    grid->middle = dial_calloc(ctx, n, sizeof *grid->middle);
    grid->values = dial_calloc(ctx, n, sizeof *grid->values);
    grid->level = dial_calloc(ctx, n, sizeof *grid->level);
    grid->rank = dial_calloc(ctx, n, sizeof *grid->rank);
    grid->role = dial_calloc(ctx, n, sizeof *grid->role);
    grid->number = dial_calloc(ctx, n, sizeof *grid->number);
    if (!grid->n_values || !grid->middle || !grid->values || !grid->level || !grid->rank ||
        !grid->role || !grid->number)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building the grid");
    for (size_t i = 0; i < n; i++) {
        const dial_param *param = &space->params[i];
        double count = value_count(param, grid_points);
        if (!(count >= 1)) count = 1;
        if (count > GRID_MAX_POINTS) return too_large(ctx);
        size_t m = (size_t)count;
        grid->n_values[i] = m;
        grid->values[i] = dial_malloc_array(ctx, m, sizeof(double));
        grid->level[i] = dial_malloc_array(ctx, m, sizeof(unsigned));
        grid->rank[i] = dial_malloc_array(ctx, m, sizeof(unsigned));
        grid->number[i] = dial_malloc_array(ctx, m, sizeof(double));
        size_t *order = dial_malloc_array(ctx, 2 * m, sizeof(size_t));
        if (!grid->values[i] || !grid->level[i] || !grid->rank[i] || !grid->number[i] || !order) {
            free(order);
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building the grid");
        }
        fill_values(param, m, grid->values[i]);
        grid->role[i] = roles ? roles[i] : DIAL_ORDER_SPREAD;
        for (size_t v = 0; v < m; v++) {
            double x = grid->values[i][v];
            if (param->kind == DIAL_PARAM_CHOICE) {
                size_t c = (size_t)x;
                char *end = NULL;
                double parsed = c < param->n_choices ? strtod(param->choices[c], &end) : NAN;
                if (end && end != param->choices[c] && *end == '\0') x = parsed;
            }
            grid->number[i][v] = x; /* a choice that is no number: its position */
        }
        middle_out(0, m, 0, order, order + m, grid->level[i]);
        for (size_t r = 0; r < m; r++) grid->rank[i][order[r]] = (unsigned)r;
        grid->middle[i] = order[0];
        free(order);
    }
    return DIAL_OK;
}

double *dial_grid_param_numbers(const dial_ctx *ctx, const dial_param *param, size_t grid_points,
                                size_t *n) {
    double count = value_count(param, grid_points ? grid_points : 10);
    if (!(count >= 1)) count = 1;
    if (count > GRID_MAX_POINTS) return NULL;
    size_t m = (size_t)count;
    double *values = dial_malloc_array(ctx, m, sizeof *values);
    if (!values) return NULL;
    fill_values(param, m, values);
    for (size_t v = 0; param->kind == DIAL_PARAM_CHOICE && v < m; v++) {
        size_t c = (size_t)values[v];
        char *end = NULL;
        double parsed = c < param->n_choices ? strtod(param->choices[c], &end) : NAN;
        values[v] = end && end != param->choices[c] && *end == '\0' ? parsed : NAN;
    }
    *n = m;
    return values;
}

/* ---- conditions ------------------------------------------------------------ */

/* Whether value is among the '|'-separated alternatives. */
static bool alternatives_contain(const char *alternatives, const char *value) {
    size_t length = strlen(value);
    for (const char *p = alternatives;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == length && strncmp(p, value, n) == 0) return true;
        if (!bar) return false;
        p = bar + 1;
    }
}

/* What the enumeration needs to know about conditions. */
typedef struct grid_conditions {
    long *controller; /* per parameter: the space index of the choice it depends on, or -1 */
    bool **allowed;   /* per parameter: per value index of its controller, active or not */
    size_t *order;    /* parameters, every controller before its dependents */
} grid_conditions;

static void conditions_free(grid_conditions *c, size_t n) {
    if (c->allowed)
        for (size_t i = 0; i < n; i++) free(c->allowed[i]);
    free(c->allowed);
    free(c->controller);
    free(c->order);
}

static dial_status build_conditions(dial_ctx *ctx, const dial_grid *grid, const dial_space *space,
                                    grid_conditions *c) {
    size_t n = space->n;
    c->controller = dial_malloc_array(ctx, n, sizeof *c->controller);
    c->allowed = dial_calloc(ctx, n, sizeof *c->allowed);
    c->order = dial_malloc_array(ctx, n, sizeof *c->order);
    bool *placed = dial_calloc(ctx, n, sizeof *placed);
    if (!c->controller || !c->allowed || !c->order || !placed) {
        free(placed);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building the grid");
    }
    for (size_t i = 0; i < n; i++) {
        c->controller[i] = -1;
        const char *condition = space->params[i].condition;
        const char *eq = condition ? strchr(condition, '=') : NULL;
        if (!eq || eq == condition) continue;
        long j = -1;
        for (size_t k = 0; k < n; k++) {
            const char *name = space->params[k].name;
            if (strlen(name) == (size_t)(eq - condition) &&
                strncmp(name, condition, (size_t)(eq - condition)) == 0)
                j = (long)k;
        }
        if (j < 0 || (size_t)j == i || space->params[j].kind != DIAL_PARAM_CHOICE) continue;
        c->controller[i] = j;
        size_t m = grid->n_values[j];
        if (!(c->allowed[i] = dial_malloc_array(ctx, m, sizeof(bool)))) {
            free(placed);
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building the grid");
        }
        const dial_param *control = &space->params[j];
        for (size_t v = 0; v < m; v++) {
            size_t choice = (size_t)grid->values[j][v];
            c->allowed[i][v] = choice < control->n_choices &&
                               alternatives_contain(eq + 1, control->choices[choice]);
        }
    }
    /* Controllers first. A cycle (a faulty table) cannot be ordered: its
     * parameters are then taken as always active. */
    size_t count = 0;
    while (count < n) {
        bool progress = false;
        for (size_t i = 0; i < n; i++) {
            if (placed[i]) continue;
            long j = c->controller[i];
            if (j >= 0 && !placed[j]) continue;
            placed[i] = true;
            c->order[count++] = i;
            progress = true;
        }
        if (progress) continue;
        for (size_t i = 0; i < n; i++)
            if (!placed[i]) {
                c->controller[i] = -1;
                break;
            }
    }
    free(placed);
    return DIAL_OK;
}

/* ---- enumeration ------------------------------------------------------------ */

typedef struct grid_walk {
    const dial_ctx *ctx; /* whose allocation hook sees the points grow */
    dial_grid *grid;
    const grid_conditions *conditions;
    int32_t *current; /* the combination being built */
    size_t capacity;  /* of grid->points, in points */
    bool overflow, nomem;
} grid_walk;

static void walk(grid_walk *w, size_t position) {
    dial_grid *grid = w->grid;
    size_t n = grid->n_params;
    if (w->overflow || w->nomem) return;
    if (position == n) {
        if ((size_t)grid->size >= GRID_MAX_POINTS) {
            w->overflow = true;
            return;
        }
        if ((size_t)grid->size == w->capacity) {
            size_t capacity = w->capacity ? 2 * w->capacity : 64;
            int32_t *points =
                dial_realloc_array(w->ctx, grid->points, capacity * n, sizeof *points);
            if (!points) {
                w->nomem = true;
                return;
            }
            grid->points = points;
            w->capacity = capacity;
        }
        memcpy(grid->points + (size_t)grid->size * n, w->current, n * sizeof *w->current);
        grid->size++;
        return;
    }
    size_t p = w->conditions->order[position];
    long j = w->conditions->controller[p];
    bool active = j < 0 || (w->current[j] >= 0 && w->conditions->allowed[p][w->current[j]]);
    if (!active) {
        w->current[p] = -1;
        walk(w, position + 1);
        return;
    }
    for (size_t v = 0; v < grid->n_values[p]; v++) {
        w->current[p] = (int32_t)v;
        walk(w, position + 1);
    }
}

/* ---- ordering ------------------------------------------------------------------ */

typedef struct grid_key {
    unsigned top_level; /* the largest level of the point's values */
    unsigned at_top;    /* how many values have that level */
    unsigned top_rank;  /* the largest rank */
} grid_key;

/* The rank of a point's value of parameter i; -1 when inactive. */
static long point_rank(const dial_grid *grid, const int32_t *point, size_t i) {
    return point[i] >= 0 ? (long)grid->rank[i][point[i]] : -1;
}

static int compare_ranks(const dial_grid *grid, const int32_t *pa, const int32_t *pb,
                         dial_order_role role) {
    for (size_t i = 0; i < grid->n_params; i++) {
        if (grid->role[i] != role) continue;
        long ra = point_rank(grid, pa, i), rb = point_rank(grid, pb, i);
        if (ra != rb) return ra < rb ? -1 : 1;
    }
    return 0;
}

/* ASCENDING and DESCENDING parameters by their numbers, in space order; an
 * inactive value comes first. */
static int compare_numbers(const dial_grid *grid, const int32_t *pa, const int32_t *pb) {
    for (size_t i = 0; i < grid->n_params; i++) {
        dial_order_role role = grid->role[i];
        if (role != DIAL_ORDER_ASCENDING && role != DIAL_ORDER_DESCENDING) continue;
        if ((pa[i] < 0) != (pb[i] < 0)) return pa[i] < 0 ? -1 : 1;
        if (pa[i] < 0) continue;
        double xa = grid->number[i][pa[i]], xb = grid->number[i][pb[i]];
        if (xa == xb) continue;
        bool less = role == DIAL_ORDER_ASCENDING ? xa < xb : xa > xb;
        return less ? -1 : 1;
    }
    return 0;
}

static int compare_points(const dial_grid *grid, const grid_key *keys, size_t a, size_t b) {
    const int32_t *pa = grid->points + a * grid->n_params, *pb = grid->points + b * grid->n_params;
    int outer = compare_ranks(grid, pa, pb, DIAL_ORDER_OUTER);
    if (outer) return outer;
    const grid_key *ka = &keys[a], *kb = &keys[b];
    if (ka->top_level != kb->top_level) return ka->top_level < kb->top_level ? -1 : 1;
    if (ka->at_top != kb->at_top) return ka->at_top > kb->at_top ? -1 : 1;
    if (ka->top_rank != kb->top_rank) return ka->top_rank < kb->top_rank ? -1 : 1;
    int spread = compare_ranks(grid, pa, pb, DIAL_ORDER_SPREAD);
    if (spread) return spread;
    return compare_numbers(grid, pa, pb);
}

/* A stable merge sort of point indices (qsort has no context argument). */
static void merge_sort(const dial_grid *grid, const grid_key *keys, size_t *items, size_t *scratch,
                       size_t n) {
    if (n < 2) return;
    size_t half = n / 2;
    merge_sort(grid, keys, items, scratch, half);
    merge_sort(grid, keys, items + half, scratch, n - half);
    size_t i = 0, j = half, out = 0;
    while (i < half && j < n)
        scratch[out++] =
            compare_points(grid, keys, items[j], items[i]) < 0 ? items[j++] : items[i++];
    while (i < half) scratch[out++] = items[i++];
    while (j < n) scratch[out++] = items[j++];
    memcpy(items, scratch, n * sizeof *items);
}

static dial_status order_points(dial_ctx *ctx, dial_grid *grid) {
    size_t size = (size_t)grid->size, n = grid->n_params;
    grid_key *keys = dial_malloc_array(ctx, size, sizeof *keys);
    size_t *items = dial_malloc_array(ctx, size, sizeof *items);
    size_t *scratch = dial_malloc_array(ctx, size, sizeof *scratch);
    int32_t *sorted = dial_malloc_array(ctx, size * n, sizeof *sorted);
    dial_status status = DIAL_OK;
    if (!keys || !items || !scratch || !sorted) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory ordering the grid");
        goto done;
    }
    for (size_t p = 0; p < size; p++) {
        grid_key key = {0, 0, 0};
        const int32_t *point = grid->points + p * n;
        for (size_t i = 0; i < n; i++) {
            if (point[i] < 0 || grid->role[i] != DIAL_ORDER_SPREAD) continue;
            unsigned level = grid->level[i][point[i]], rank = grid->rank[i][point[i]];
            if (level > key.top_level) {
                key.top_level = level;
                key.at_top = 0;
            }
            if (level == key.top_level) key.at_top++;
            if (rank > key.top_rank) key.top_rank = rank;
        }
        keys[p] = key;
        items[p] = p;
    }
    merge_sort(grid, keys, items, scratch, size);
    for (size_t p = 0; p < size; p++)
        memcpy(sorted + p * n, grid->points + items[p] * n, n * sizeof *sorted);
    free(grid->points);
    grid->points = sorted;
    sorted = NULL;
done:
    free(keys);
    free(items);
    free(scratch);
    free(sorted);
    return status;
}

dial_status dial_grid_create(dial_ctx *ctx, const dial_space *space, size_t grid_points,
                             bool ordered, const dial_order_role *roles, dial_grid **out) {
    *out = NULL;
    dial_grid *grid = dial_calloc(ctx, 1, sizeof *grid);
    if (!grid) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building the grid");
    grid->n_params = space->n;
    dial_status status = build_values(ctx, grid, space, grid_points, roles);
    grid_conditions conditions = {0};
    if (status == DIAL_OK) status = build_conditions(ctx, grid, space, &conditions);
    if (status == DIAL_OK) {
        grid_walk w = {.ctx = ctx, .grid = grid, .conditions = &conditions};
        w.current = dial_malloc_array(ctx, space->n, sizeof *w.current);
        if (!w.current) {
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building the grid");
        } else {
            walk(&w, 0);
            if (w.nomem)
                status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building the grid");
            else if (w.overflow)
                status = too_large(ctx);
        }
        free(w.current);
    }
    conditions_free(&conditions, space->n);
    if (status == DIAL_OK && ordered) status = order_points(ctx, grid);
    if (status != DIAL_OK) {
        dial_grid_free(grid);
        return status;
    }
    *out = grid;
    return DIAL_OK;
}

dial_status dial_grid_build(dial_ctx *ctx, dial_sampler *sampler) {
    return dial_grid_create(ctx, &sampler->space, sampler->grid_points, true, sampler->roles,
                            &sampler->grid);
}

/* ---- the grid sampler's table ------------------------------------------------ */

static bool grid_suggest(const dial_sampler *sampler, int64_t number, long index,
                         const dial_param *own, double *value) {
    (void)own;
    if (index < 0) return false;
    *value = dial_grid_value(sampler->grid, number, (size_t)index);
    return true;
}

static int64_t grid_size(const dial_sampler *sampler) { return dial_grid_size(sampler->grid); }

static void grid_free(dial_sampler *sampler) { dial_grid_free(sampler->grid); }

const dial_sampler_ops dial_sampler_grid_ops = {
    .kind = DIAL_SAMPLER_GRID,
    .name = "grid",
    .create = dial_grid_build,
    .suggest = grid_suggest,
    .size = grid_size,
    .free = grid_free,
};

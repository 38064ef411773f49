/*
 * Hamerly's k-means (kmeans.h; Hamerly 2010, "Making k-means even
 * faster"). Each row keeps two bounds: upper, at least its distance to its
 * own centroid, and lower, at most its distance to any other. A centroid
 * that moves by p raises the upper bounds of its rows by p and lowers
 * every lower bound by at most the largest move of another centroid; and
 * no other centroid can be nearer than half the distance from a row's
 * centroid to the nearest other one. So while upper < max(lower, that
 * half distance) the row keeps its cluster without a single distance;
 * else its upper bound is tightened (one distance) and, if the bounds
 * still cross, the row is measured against every centroid.
 *
 * Why it is exact: a row skipped has its own centroid strictly nearer
 * than any other, which is the centroid Lloyd's argmin finds; a row whose
 * bounds tie is measured, and then takes the lower index on a tie as
 * Lloyd's. The iterations, the stopping rule and the update of the
 * centroids are Lloyd's (kmeans_lloyd.c), so the iteration counts agree
 * too. Distances are euclidean, not squared, for the triangle inequality,
 * and measured one by one (not by dot products) so the bounds hold to the
 * last digit.
 *
 * Against Elkan's: 2 bounds a row where Elkan keeps k + 1 (no n x k
 * array), a coarser test, so more rows measured when k is large.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "models/kmeans.h"

typedef struct hamerly_state {
    const kmeans_run *run;
    kmeans_sweep *sweep;
    const double *half;  /* k: half the distance from each centroid to its nearest other */
    const double *moved; /* k: how far each centroid moved since the last sweep */
    size_t farthest;     /* the centroid that moved most */
    double most, second; /* its move, and the largest move of another */
    double *upper;       /* n */
    double *lower;       /* n */
    bool first;          /* no bounds yet: every row is measured */
    bool shifted;        /* the centroids moved since the bounds were set */
} hamerly_state;

static double hamerly_distance(const double *a, const double *b, size_t d) {
    return sqrt(kmeans_distance2(a, b, d));
}

/* The nearest centroid of a row (the lower index on a tie), its distance
 * and the distance to the second nearest. */
static size_t hamerly_measure(const kmeans_run *run, const double *row, double *upper,
                              double *lower) {
    size_t d = run->d, label = 0;
    double nearest = INFINITY, second = INFINITY;
    for (size_t c = 0; c < run->k; c++) {
        double dist = hamerly_distance(row, run->centroids + c * d, d);
        if (dist < nearest) {
            second = nearest;
            nearest = dist;
            label = c;
        } else if (dist < second) {
            second = dist;
        }
    }
    *upper = nearest;
    *lower = second;
    return label;
}

static void hamerly_item(void *arg, size_t item, int worker) {
    (void)worker;
    const hamerly_state *s = arg;
    const kmeans_run *run = s->run;
    size_t d = run->d, begin = item * KMEANS_ITEM_ROWS, end = begin + KMEANS_ITEM_ROWS;
    if (end > run->n) end = run->n;
    size_t changed = 0;
    for (size_t i = begin; i < end; i++) {
        const double *row = run->x + i * d;
        size_t label = (size_t)run->labels[i];
        if (s->first) {
            label = hamerly_measure(run, row, &s->upper[i], &s->lower[i]);
        } else {
            if (s->shifted) {
                s->upper[i] += s->moved[label];
                s->lower[i] -= label == s->farthest ? s->second : s->most;
            }
            double bound = s->half[label] > s->lower[i] ? s->half[label] : s->lower[i];
            if (!(s->upper[i] < bound)) {
                s->upper[i] = hamerly_distance(row, run->centroids + label * d, d);
                if (!(s->upper[i] < bound))
                    label = hamerly_measure(run, row, &s->upper[i], &s->lower[i]);
            }
        }
        if (run->labels[i] == (int64_t)label) continue;
        dial_kmeans_item_move(run, s->sweep, item, i, run->labels[i], label);
        run->labels[i] = (int64_t)label;
        changed++;
    }
    s->sweep->changed[item] = changed;
}

/* One sweep over the rows; returns the rows whose label changed. */
static size_t hamerly_sweep(hamerly_state *s) {
    dial_team_run(s->run->team, hamerly_item, s, s->sweep->items);
    s->first = s->shifted = false;
    size_t changed = 0;
    for (size_t item = 0; item < s->sweep->items; item++) changed += s->sweep->changed[item];
    return changed;
}

/* Half the distance from each centroid to its nearest other. */
static void hamerly_half(const double *centroids, size_t k, size_t d, double *half) {
    for (size_t a = 0; a < k; a++) half[a] = INFINITY;
    for (size_t a = 0; a < k; a++)
        for (size_t b = a + 1; b < k; b++) {
            double dist = hamerly_distance(centroids + a * d, centroids + b * d, d) / 2;
            if (dist < half[a]) half[a] = dist;
            if (dist < half[b]) half[b] = dist;
        }
}

dial_status dial_kmeans_hamerly(dial_ctx *ctx, kmeans_run *run) {
    size_t n = run->n, d = run->d, k = run->k;
    /* With one centroid there is no other to rule out. */
    if (k < 2) return dial_kmeans_lloyd(ctx, run);
    kmeans_sweep sweep = {0};
    double *bounds = dial_malloc_array(ctx, 2 * n, sizeof *bounds);
    double *next = dial_malloc_array(ctx, k * (d ? d : 1), sizeof *next);
    double *half = dial_malloc_array(ctx, 2 * k, sizeof *half), *moved = half ? half + k : NULL;
    size_t *counts = dial_malloc_array(ctx, k, sizeof *counts);
    dial_status status =
        bounds && next && half && counts
            ? dial_kmeans_sweep_alloc(ctx, &sweep, run)
            : dial_fail(ctx, DIAL_ERR_NOMEM, "kmeans: out of memory for the bounds of %zu rows", n);
    if (status != DIAL_OK) goto done;
    hamerly_state s = {.run = run,
                       .sweep = &sweep,
                       .half = half,
                       .moved = moved,
                       .upper = bounds,
                       .lower = bounds + n,
                       .first = true};
    for (size_t i = 0; i < n; i++) run->labels[i] = -1;
    bool converged = false;
    run->iterations = 0;
    for (size_t it = 0; it < run->max_iter; it++) {
        size_t changed = hamerly_sweep(&s);
        status = dial_kmeans_reduce(ctx, run, &sweep, run->centroids, next, counts);
        if (status != DIAL_OK) goto done;
        /* Lloyd's shift, summed alike, so both stop at the same iteration. */
        double shift = 0;
        s.farthest = 0;
        s.most = s.second = 0;
        for (size_t c = 0; c < k; c++) {
            double move2 = kmeans_distance2(run->centroids + c * d, next + c * d, d);
            shift += move2;
            moved[c] = sqrt(move2);
            if (moved[c] > s.most) {
                s.second = s.most;
                s.most = moved[c];
                s.farthest = c;
            } else if (moved[c] > s.second) {
                s.second = moved[c];
            }
        }
        memcpy(run->centroids, next, k * d * sizeof *next);
        hamerly_half(run->centroids, k, d, half);
        s.shifted = true;
        run->iterations = it + 1;
        if (!changed) {
            converged = true;
            break;
        }
        if (shift <= run->tol) break;
    }
    if (!converged) hamerly_sweep(&s);
    run->inertia = dial_kmeans_inertia(run, &sweep);
done:
    dial_kmeans_sweep_free(&sweep);
    free(bounds);
    free(next);
    free(half);
    free(counts);
    return status;
}

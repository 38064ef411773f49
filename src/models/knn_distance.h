/*
 * The distances of k-nearest neighbours, internal to src/models/knn*.c: the
 * search over dense rows (knn_search.c) and over category codes
 * (knn_compact.c) must sum the very same terms in the very same order,
 * so that a row stored as category codes is exactly as far from a query as
 * the same row stored densely.
 */
#ifndef DIAL_KNN_DISTANCE_H
#define DIAL_KNN_DISTANCE_H

#include <math.h>
#include <stddef.h>

/* ---- distances ----------------------------------------------------------
 * A "reduced" distance orders rows like the true one and is cheaper: the
 * squared euclidean distance, the manhattan distance, and the sum of
 * |difference|^p for minkowski. */

/* KNN_COSINE (1 - cosine similarity) is no reduced distance of the rows'
 * differences: only the search by dot products (knn_dots.c) measures it. */
typedef enum knn_metric { KNN_EUCLIDEAN, KNN_MANHATTAN, KNN_MINKOWSKI, KNN_COSINE } knn_metric;

typedef struct knn_distance {
    knn_metric metric;
    double p;
    int p_int; /* p when it is a small integer (powers by multiplication), else 0 */
} knn_distance;

static inline double knn_power(const knn_distance *m, double a) {
    if (m->p_int) {
        double r = a;
        for (int i = 1; i < m->p_int; i++) r *= a;
        return r;
    }
    return pow(a, m->p);
}

/* The reduced distance of a row a to a row b, or of a query a to the box
 * [lo, hi] (a clamped into the box stands for b), or some value above bound
 * as soon as the partial sum exceeds it: the terms are never negative, so
 * such a row could not be kept anyway, and a row that is kept gets the full,
 * exact sum. One function per metric and per kind, written so that the box
 * and the row sums round alike: rounding is monotonic, so the box's
 * distance never exceeds that of a row inside it. */
static inline double knn_clamp(double v, double lo, double hi) {
    return v < lo ? lo : (v > hi ? hi : v);
}

#define KNN_DEFINE_DISTANCES(suffix, step, TERM)                                                   \
    static inline double knn_row_##suffix(const knn_distance *m, const double *a, const double *b, \
                                          size_t d, double bound) {                                \
        double s = 0;                                                                              \
        size_t t = 0;                                                                              \
        (void)m;                                                                                   \
        while (t < d) {                                                                            \
            size_t stop = t + step < d ? t + step : d;                                             \
            for (; t < stop; t++) s += TERM(m, a[t] - b[t]);                                       \
            if (s > bound) return s;                                                               \
        }                                                                                          \
        return s;                                                                                  \
    }                                                                                              \
    static inline double knn_box_##suffix(const knn_distance *m, const double *a,                  \
                                          const double *lo, const double *hi, size_t d,            \
                                          double bound) {                                          \
        double s = 0;                                                                              \
        size_t t = 0;                                                                              \
        (void)m;                                                                                   \
        while (t < d) {                                                                            \
            size_t stop = t + step < d ? t + step : d;                                             \
            for (; t < stop; t++) s += TERM(m, a[t] - knn_clamp(a[t], lo[t], hi[t]));              \
            if (s > bound) return s;                                                               \
        }                                                                                          \
        return s;                                                                                  \
    }

#define KNN_TERM_SQUARE(m, v) ((v) * (v))
#define KNN_TERM_ABS(m, v) fabs(v)
#define KNN_TERM_POWER(m, v) knn_power(m, fabs(v))
KNN_DEFINE_DISTANCES(euclidean, 8, KNN_TERM_SQUARE)
KNN_DEFINE_DISTANCES(manhattan, 8, KNN_TERM_ABS)
KNN_DEFINE_DISTANCES(minkowski, 4, KNN_TERM_POWER)

static inline double knn_reduced(const knn_distance *m, const double *a, const double *b, size_t d,
                                 double bound) {
    switch (m->metric) {
    case KNN_EUCLIDEAN: return knn_row_euclidean(m, a, b, d, bound);
    case KNN_MANHATTAN: return knn_row_manhattan(m, a, b, d, bound);
    case KNN_MINKOWSKI: return knn_row_minkowski(m, a, b, d, bound);
    case KNN_COSINE: break;
    }
    return INFINITY;
}

static inline double knn_true_distance(const knn_distance *m, double reduced) {
    switch (m->metric) {
    case KNN_EUCLIDEAN: return sqrt(reduced);
    case KNN_MANHATTAN: return reduced;
    case KNN_MINKOWSKI: return pow(reduced, 1.0 / m->p);
    case KNN_COSINE: break;
    }
    return reduced;
}

#endif

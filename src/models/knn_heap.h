/*
 * The k nearest so far of one query (internal to src/models/knn*.c): a
 * max-heap on (distance, training row index), so that the worst of the k
 * is at the root and a tie in distance goes to the row that comes first.
 * Inline: the searches push into it for every candidate row.
 */
#ifndef DIAL_KNN_HEAP_H
#define DIAL_KNN_HEAP_H

#include <math.h>
#include <stddef.h>

static inline int knn_before(double da, size_t ia, double db, size_t ib) {
    return da < db || (da == db && ia < ib);
}

typedef struct knn_heap {
    double *dist;
    size_t *index;
    size_t size, cap;
} knn_heap;

/* The distance a row must not exceed to enter: +inf until the heap is full. */
static inline double knn_heap_worst(const knn_heap *h) {
    return h->size < h->cap ? INFINITY : h->dist[0];
}

/* Puts (dist, index) at the root's place and lets it sink among the first
 * size entries. */
static inline void knn_heap_sink(knn_heap *h, size_t size, double dist, size_t index) {
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= size) break;
        if (child + 1 < size &&
            knn_before(h->dist[child], h->index[child], h->dist[child + 1], h->index[child + 1]))
            child++;
        if (!knn_before(dist, index, h->dist[child], h->index[child])) break;
        h->dist[i] = h->dist[child];
        h->index[i] = h->index[child];
        i = child;
    }
    h->dist[i] = dist;
    h->index[i] = index;
}

static inline void knn_heap_push(knn_heap *h, double dist, size_t index) {
    if (h->size == h->cap) {
        if (knn_before(dist, index, h->dist[0], h->index[0]))
            knn_heap_sink(h, h->size, dist, index);
        return;
    }
    size_t i = h->size++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!knn_before(h->dist[parent], h->index[parent], dist, index)) break;
        h->dist[i] = h->dist[parent];
        h->index[i] = h->index[parent];
        i = parent;
    }
    h->dist[i] = dist;
    h->index[i] = index;
}

/* Sorts the heap's entries nearest first: the farthest goes to the end,
 * again and again (heapsort, as k may be as large as the training set). */
static inline void knn_heap_sort(knn_heap *h) {
    for (size_t end = h->size; end > 1; end--) {
        double dist = h->dist[end - 1];
        size_t index = h->index[end - 1];
        h->dist[end - 1] = h->dist[0];
        h->index[end - 1] = h->index[0];
        knn_heap_sink(h, end - 1, dist, index);
    }
}

#endif

/* The median split of a kd-tree's build (kd_select.h). */
#include "models/kd_select.h"

#include <stddef.h>

static inline int kd_less(const double *x, size_t d, size_t dim, size_t a, size_t b) {
    double va = x[a * d + dim], vb = x[b * d + dim];
    return va < vb || (va == vb && a < b);
}

void dial_kd_select(const double *x, size_t d, size_t dim, size_t *order, size_t start, size_t end,
                    size_t nth) {
    ptrdiff_t lo = (ptrdiff_t)start, hi = (ptrdiff_t)end - 1, target = (ptrdiff_t)nth;
    while (hi > lo) {
        ptrdiff_t mid = lo + (hi - lo) / 2;
        size_t a = order[lo], b = order[mid], c = order[hi], pivot;
        if (kd_less(x, d, dim, a, b))
            pivot = kd_less(x, d, dim, b, c) ? b : (kd_less(x, d, dim, a, c) ? c : a);
        else
            pivot = kd_less(x, d, dim, a, c) ? a : (kd_less(x, d, dim, b, c) ? c : b);
        ptrdiff_t i = lo, j = hi;
        while (i <= j) {
            while (kd_less(x, d, dim, order[i], pivot)) i++;
            while (kd_less(x, d, dim, pivot, order[j])) j--;
            if (i <= j) {
                size_t swap = order[i];
                order[i] = order[j];
                order[j] = swap;
                i++;
                j--;
            }
        }
        if (target <= j)
            hi = j;
        else if (target >= i)
            lo = i;
        else
            return;
    }
}

/*
 * The median split of a kd-tree's build, shared by the trees of knn
 * (knn_kdtree.c) and dbscan (dbscan_tree.c).
 */
#ifndef DIAL_KD_SELECT_H
#define DIAL_KD_SELECT_H

#include <stddef.h>

/* Moves the row of rank nth among order[start .. end) (by coordinate dim
 * of the rows of x, d numbers a row, ties broken by row index) to
 * order[nth], smaller ones before it and larger after: quickselect with a
 * median-of-three pivot. The index makes every key distinct, so the split
 * is the same on every run and duplicates cost nothing. */
void dial_kd_select(const double *x, size_t d, size_t dim, size_t *order, size_t start, size_t end,
                    size_t nth);

#endif

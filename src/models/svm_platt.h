/*
 * Probabilities from SVM decision values (internal to src/models/svm*.c):
 *  - Platt's sigmoid P(y = +1 | f) = 1 / (1 + exp(A f + B)), fitted by the
 *    Newton method with a backtracking line search of Lin, Lin and Weng
 *    (2007, "A note on Platt's probabilistic outputs for support vector
 *    machines", Machine Learning 68);
 *  - pairwise coupling of the sigmoids of every pair of classes into class
 *    probabilities, the second method of Wu, Lin and Weng (2004,
 *    "Probability estimates for multi-class classification by pairwise
 *    coupling", JMLR 5).
 */
#ifndef DIAL_SVM_PLATT_H
#define DIAL_SVM_PLATT_H

#include <stdbool.h>
#include <stddef.h>

/* Fits A and B to the n decision values dec with labels y (+1 or -1), with
 * Platt's targets (N+ + 1) / (N+ + 2) and 1 / (N- + 2) in place of 1 and 0.
 * target is the caller's scratch of n doubles (so that running out of
 * memory is the caller's error, never a silently different sigmoid).
 * Returns false when the line search could not make progress (A and B are
 * then the best found). */
bool dial_svm_platt_fit(const double *dec, const signed char *y, size_t n, double *target,
                        double *a, double *b);

/* P(y = +1 | dec) under the sigmoid (A, B), computed without overflow. */
double dial_svm_platt_probability(double dec, double a, double b);

/* Class probabilities p (k of them) from r (k x k, row-major), where
 * r[i k + j] estimates P(class i | class i or j, x) and r[j k + i] is
 * 1 - r[i k + j]. work has room for k * k + k doubles. */
void dial_svm_couple(size_t k, const double *r, double *p, double *work);

#endif

/*
 * How the SVM's hot loops are compiled (internal): several instruction-set
 * copies of a function, the best picked when the library loads, all giving
 * the same bits (C11 mode fuses no multiply-add; clang is told not to), and
 * small helpers inlined even in debug builds, where a call per element would
 * make the tests crawl. Shared by svm_predict.c, svm_kernel.c and svm_solver.c.
 */
#ifndef DIAL_SVM_VECTOR_H
#define DIAL_SVM_VECTOR_H

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF /* gcc's C11 mode never fuses; clang would, per clone */
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define SVM_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SVM_VECTOR_CLONES
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SVM_INLINE static inline __attribute__((always_inline))
#else
#define SVM_INLINE static inline
#endif

#include <stddef.h>

/* The dot product of a and b (n entries) in eight lanes, added in a fixed
 * order: the same sum on every processor and in every clone. Inlined into
 * the cloned loops that call it (dial_svm_dot is the same sum). */
SVM_INLINE double svm_vector_dot(const double *restrict a, const double *restrict b, size_t n) {
    double lane[8] = {0};
    size_t t = 0;
    for (; t + 8 <= n; t += 8)
        for (size_t k = 0; k < 8; k++) lane[k] += a[t + k] * b[t + k];
    double sum =
        ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
    for (; t < n; t++) sum += a[t] * b[t];
    return sum;
}

#endif

/*
 * How the multilayer perceptron's elementwise loops are compiled
 * (internal): an AVX-512, an AVX2 and a baseline copy of each, the best
 * picked when the library loads, all giving the same bits (C11 mode fuses
 * no multiply-add, clang is told not to, and a square root or a division
 * rounds the same in every width). As models/svm_vector.h does for the SVM.
 */
#ifndef DIAL_MLP_VECTOR_H
#define DIAL_MLP_VECTOR_H

#ifdef __clang__
#pragma STDC FP_CONTRACT OFF
#endif
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define MLP_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define MLP_VECTOR_CLONES
#endif

#endif

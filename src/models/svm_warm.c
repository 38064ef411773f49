/*
 * Warm starts of the SVM duals along increasing C (see svm_warm.h).
 */
#include "core/alloc.h"
#include "models/svm_warm.h"

#include <stdlib.h>
#include <string.h>

dial_svm_warm *dial_svm_warm_new(const dial_ctx *ctx, size_t n_parts) {
    dial_svm_warm *warm = dial_calloc(ctx, 1, sizeof *warm);
    if (!warm) return NULL;
    warm->n_parts = n_parts;
    warm->parts = dial_calloc(ctx, n_parts ? n_parts : 1, sizeof *warm->parts);
    if (!warm->parts) {
        free(warm);
        return NULL;
    }
    return warm;
}

void dial_svm_warm_free(void *solution) {
    dial_svm_warm *warm = solution;
    if (!warm) return;
    for (size_t p = 0; p < warm->n_parts; p++) {
        free(warm->parts[p].alpha);
        free(warm->parts[p].gradient);
        free(warm->parts[p].gradient_bar);
    }
    free(warm->parts);
    free(warm->value);
    free(warm);
}

dial_svm_warm *dial_svm_warm_copy(const dial_ctx *ctx, const dial_svm_warm *from) {
    dial_svm_warm *warm = dial_svm_warm_new(ctx, from->n_parts);
    if (!warm) return NULL;
    dial_svm_warm_part *parts = warm->parts;
    *warm = *from;
    warm->parts = parts;
    warm->iterations = 0;
    warm->value = NULL;
    dial_status status = DIAL_OK;
    if (from->value) {
        warm->value = dial_malloc(ctx, (from->n_value ? from->n_value : 1) * sizeof *warm->value);
        if (warm->value)
            memcpy(warm->value, from->value, from->n_value * sizeof *warm->value);
        else
            status = DIAL_ERR_NOMEM;
    }
    for (size_t p = 0; status == DIAL_OK && p < from->n_parts; p++) {
        const dial_svm_warm_part *part = &from->parts[p];
        if (!part->alpha) continue;
        status =
            dial_svm_warm_keep(ctx, &parts[p], part->alpha, part->gradient, part->gradient_bar,
                               NULL, part->l, part->c_pos, part->c_neg, part->rho, part->converged);
        parts[p].at_upper = part->at_upper;
    }
    if (status != DIAL_OK) {
        dial_svm_warm_free(warm);
        return NULL;
    }
    return warm;
}

dial_status dial_svm_warm_keep(const dial_ctx *ctx, dial_svm_warm_part *part, const double *alpha,
                               const double *gradient, const double *gradient_bar,
                               const signed char *y, size_t l, double c_pos, double c_neg,
                               double rho, bool converged) {
    size_t n = l ? l : 1;
    double *copy = dial_malloc(ctx, n * sizeof *copy), *g = dial_malloc(ctx, n * sizeof *g);
    double *bar = dial_malloc(ctx, n * sizeof *bar);
    if (!copy || !g || !bar) {
        free(copy);
        free(g);
        free(bar);
        return DIAL_ERR_NOMEM;
    }
    memcpy(copy, alpha, l * sizeof *copy);
    memcpy(g, gradient, l * sizeof *g);
    memcpy(bar, gradient_bar, l * sizeof *bar);
    bool at_upper = false;
    for (size_t t = 0; y && t < l && !at_upper; t++)
        at_upper = alpha[t] >= (y[t] > 0 ? c_pos : c_neg);
    free(part->alpha);
    free(part->gradient);
    free(part->gradient_bar);
    *part = (dial_svm_warm_part){.l = l,
                                 .alpha = copy,
                                 .gradient = g,
                                 .gradient_bar = bar,
                                 .c_pos = c_pos,
                                 .c_neg = c_neg,
                                 .rho = rho,
                                 .at_upper = at_upper,
                                 .converged = converged};
    return DIAL_OK;
}

bool dial_svm_warm_start(const dial_svm_warm_part *part, const signed char *y, const double *p,
                         size_t l, double c_pos, double c_neg, double *alpha, double *gradient,
                         double *gradient_bar, bool *bar_valid, bool *optimal) {
    *optimal = false;
    /* a smaller box would cut alphas of one sign only and break y'a */
    if (!part || !part->alpha || part->l != l || !(c_pos >= part->c_pos) || !(c_neg >= part->c_neg))
        return false;
    *optimal = !part->at_upper && part->converged;
    /* one ratio for both labels keeps y'a; the smaller keeps the box (no
     * variable at the bound: the solution is one of every larger box) */
    double scale = 1, r_pos = 1, r_neg = 1;
    if (part->at_upper) {
        r_pos = c_pos / part->c_pos;
        r_neg = c_neg / part->c_neg;
        scale = r_pos < r_neg ? r_pos : r_neg;
    }
    *bar_valid = true;
    for (size_t t = 0; t < l; t++) {
        double c = y[t] > 0 ? c_pos : c_neg, a = part->alpha[t] * scale;
        bool was_upper = part->alpha[t] >= (y[t] > 0 ? part->c_pos : part->c_neg);
        /* C_old r is C_new but for rounding: a variable at its bound stays
         * exactly at it when its box grew by the ratio used */
        if (was_upper && (y[t] > 0 ? r_pos : r_neg) == scale) a = c;
        alpha[t] = a < 0 ? 0 : a > c ? c : a;
        if ((alpha[t] >= c) != was_upper) *bar_valid = false;
        gradient[t] = p[t] + scale * (part->gradient[t] - p[t]);
        gradient_bar[t] = scale * part->gradient_bar[t];
    }
    return true;
}

/*
 * The epsilon-SVR fit of the svm family (internal to src/models/svm*.c;
 * the map of the family is at the top of svm.c): one dual of 2 l
 * variables solved by SMO (svm_solver.c), over kernel rows from a cache or
 * a prepared Gram matrix (svm_kernel.c), warm-started along increasing C
 * with the same epsilon (svm_warm.h). Its tensors have the classifier's
 * names with one row of coefficients (alpha - alpha*) and one intercept.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/model.h"
#include "models/svm_family.h"
#include "models/svm_kernel.h"
#include "models/svm_solver.h"
#include "models/svm_warm.h"

/* epsilon-SVR: variables i (alpha) and i + l (alpha*) of row i, with
 * p = epsilon - y_i and epsilon + y_i, labels +1 and -1. */
dial_status dial_svm_fit_regressor(dial_ctx *ctx, const dial_svm_settings *st,
                                   const dial_fit_input *in, const dial_svm_gram *gram,
                                   const dial_svm_warm *from, dial_svm_warm **to,
                                   dial_tensors *learned) {
    size_t l = in->n_rows, d = in->n_features, n = 2 * l;
    dial_svm_matrix *matrix =
        gram         ? dial_svm_matrix_svr_gram(ctx, gram)
        : in->sparse ? dial_svm_matrix_svr_sparse(ctx, &st->kernel, in->sparse, l, st->cache_bytes)
                     : dial_svm_matrix_svr(ctx, &st->kernel, in->x, d, l, st->cache_bytes);
    double *p = dial_malloc(ctx, n * sizeof *p), *upper = dial_malloc(ctx, n * sizeof *upper);
    double *alpha = dial_calloc(ctx, n, sizeof *alpha);
    double *start = dial_malloc(ctx, n * sizeof *start),
           *gradient = dial_malloc(ctx, n * sizeof *gradient);
    double *start_bar = dial_malloc(ctx, n * sizeof *start_bar),
           *bar = dial_malloc(ctx, n * sizeof *bar);
    signed char *y = dial_malloc(ctx, n * sizeof *y);
    dial_status status = DIAL_OK;
    dial_svm_dual_result result = {0};
    if (!matrix || !p || !upper || !alpha || !start || !gradient || !start_bar || !bar || !y) {
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory fitting %zu x %zu", l, d);
    } else {
        for (size_t i = 0; i < l; i++) {
            p[i] = st->epsilon - in->y[i];
            p[i + l] = st->epsilon + in->y[i];
            y[i] = 1;
            y[i + l] = -1;
            upper[i] = upper[i + l] = st->c;
        }
        dial_svm_dual dual = {.ctx = ctx,
                              .l = n,
                              .p = p,
                              .y = y,
                              .upper = upper,
                              .eps = st->tol,
                              .max_iter = st->max_iter,
                              .shrinking = st->shrinking,
                              .gradient_out = to ? gradient : NULL,
                              .gradient_bar_out = to ? bar : NULL};
        /* the kept gradient is that of the same linear term (epsilon) */
        const dial_svm_warm_part *part =
            from && from->n_parts == 1 && from->epsilon == st->epsilon ? &from->parts[0] : NULL;
        bool optimal = false, bar_valid = false;
        if (dial_svm_warm_start(part, y, p, n, st->c, st->c, alpha, start, start_bar, &bar_valid,
                                &optimal)) {
            dual.gradient = start;
            dual.gradient_bar = bar_valid ? start_bar : NULL;
        }
        if (optimal && from->tol <= st->tol) {
            result.rho = part->rho;
            memcpy(gradient, part->gradient, n * sizeof *gradient);
            memcpy(bar, part->gradient_bar, n * sizeof *bar);
        } else {
            status = dial_svm_dual_solve(&dual, dial_svm_matrix_q(matrix), alpha, &result);
        }
        if (status != DIAL_OK)
            status =
                dial_fail(ctx, status, "svm: out of memory solving %zu rows; lower cache_mb", l);
        if (status == DIAL_OK && to) {
            dial_svm_warm *warm = dial_svm_warm_of(ctx, st, 1);
            status = warm ? dial_svm_warm_keep(ctx, &warm->parts[0], alpha, gradient, bar, y, n,
                                               st->c, st->c, result.rho, !result.hit_max_iter)
                          : DIAL_ERR_NOMEM;
            if (status == DIAL_OK) {
                warm->iterations = result.iterations;
                *to = warm;
            } else {
                dial_svm_warm_free(warm);
                dial_fail(ctx, status, "svm: out of memory keeping a solution");
            }
        }
    }
    dial_svm_matrix_free(matrix);
    free(p);
    free(upper);
    free(y);
    free(start);
    free(gradient);
    free(start_bar);
    free(bar);
    if (status == DIAL_OK && result.hit_max_iter)
        dial_log(ctx, DIAL_LOG_WARN,
                 "svm: the solve stopped at max_iter=%ld before reaching tol=%g; raise max_iter "
                 "or tol, or scale the features",
                 st->max_iter, st->tol);
    size_t n_sv = 0;
    for (size_t i = 0; status == DIAL_OK && i < l; i++) n_sv += alpha[i] - alpha[i + l] != 0;
    double *coef = NULL, *intercept = NULL, *gamma = NULL;
    int64_t *support = NULL, *n_support = NULL;
    /* the training row of each vector */
    int64_t *rows = status == DIAL_OK ? dial_malloc(ctx, (n_sv ? n_sv : 1) * sizeof *rows) : NULL;
    if (status == DIAL_OK && !rows) status = dial_fail(ctx, DIAL_ERR_NOMEM, "svm: out of memory");
    for (size_t i = 0, v = 0; status == DIAL_OK && i < l; i++)
        if (alpha[i] - alpha[i + l] != 0) rows[v++] = (int64_t)i;
    if (status == DIAL_OK) status = dial_svm_vectors_add(ctx, learned, in, rows, n_sv);
    free(rows);
    if (status == DIAL_OK)
        status =
            dial_svm_tensor_add(ctx, learned, "dual_coef", DIAL_F64, 2, 1, n_sv, (void **)&coef);
    if (status == DIAL_OK)
        status =
            dial_svm_tensor_add(ctx, learned, "intercept", DIAL_F64, 1, 1, 1, (void **)&intercept);
    if (status == DIAL_OK)
        status =
            dial_svm_tensor_add(ctx, learned, "n_support", DIAL_I64, 1, 1, 1, (void **)&n_support);
    if (status == DIAL_OK)
        status =
            dial_svm_tensor_add(ctx, learned, "support", DIAL_I64, 1, n_sv, 1, (void **)&support);
    if (status == DIAL_OK)
        status = dial_svm_tensor_add(ctx, learned, "gamma", DIAL_F64, 1, 1, 1, (void **)&gamma);
    if (status == DIAL_OK) {
        size_t v = 0;
        for (size_t i = 0; i < l; i++) {
            double c = alpha[i] - alpha[i + l];
            if (c == 0) continue;
            coef[v] = c;
            support[v++] = (int64_t)i;
        }
        *intercept = -result.rho;
        *n_support = (int64_t)n_sv;
        *gamma = st->kernel.gamma;
    }
    free(alpha);
    return status;
}

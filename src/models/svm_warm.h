/*
 * Warm starts of the SVM duals along increasing C (internal to
 * src/models/svm*.c).
 *
 * A solution kept for the next C holds, for each sub-problem of a fit (one
 * per pair of classes for C-SVC, one for epsilon-SVR), its dual variables in
 * the sub-problem's own order, the box they lived in and rho. The next fit,
 * on the same fold with a larger C, starts each sub-problem from them and
 * runs SMO to the same tol:
 *
 *  - A solution with no variable at its upper bound is still optimal for
 *    every larger C (the optimality conditions involve C only through which
 *    variables sit at that bound), so it is kept as it is, with no
 *    iteration. Separable pairs reach that point early on the LIBSVM
 *    guide's grid and stay there for every larger C.
 *    (A part kept so stays in the box it was solved in: any larger one
 *    will do.)
 *  - Otherwise the variables start scaled by the growth of the box,
 *    C_new / C_old: those at the bound stay at it, y'a stays 0 and every
 *    variable stays in its box. The variables at the bound are most of
 *    them at a small C, where they move with C (in the regularisation path
 *    of Hastie, Rosset, Tibshirani and Zhu 2004, alpha / C is piecewise
 *    linear in 1 / C); on the guide's grid this start takes about a third
 *    fewer iterations than the unscaled one, and a quarter of a cold
 *    start's over the whole grid. Scaling alpha by r makes the gradient
 *    p + r (G - p) and G_bar (the part of the variables at the bound) r
 *    G_bar, so the start needs no row of Q.
 */
#ifndef DIAL_SVM_WARM_H
#define DIAL_SVM_WARM_H

#include <stdbool.h>
#include <stddef.h>

#include "dial/core.h"

typedef struct dial_svm_warm_part {
    size_t l;
    double *alpha;        /* l: the solution, in the sub-problem's order */
    double *gradient;     /* l: p + Q alpha there */
    double *gradient_bar; /* l: the sum of C_t Q_t over the alpha_t at C_t */
    double c_pos, c_neg;  /* the box: alpha_t <= c_pos where y_t = +1, c_neg where -1 */
    double rho;
    bool at_upper;  /* some alpha sits at its upper bound */
    bool converged; /* met tol (did not stop at max_iter) */
} dial_svm_warm_part;

typedef struct dial_svm_warm {
    const void *fold; /* the fold state it was solved on (never dereferenced) */
    double c, epsilon, tol;
    bool balanced;
    size_t n_parts;
    dial_svm_warm_part *parts;
    long iterations; /* SMO iterations spent making it, over every part */
    /* the predictions of the fold's test rows it gave (NULL: not kept), for
     * a next C where every part is still optimal: the model is then the
     * same, and so are they */
    double *value;
    size_t n_value;
} dial_svm_warm;

/* A solution with room for n_parts parts (each empty: l = 0). NULL when
 * out of memory. */
dial_svm_warm *dial_svm_warm_new(const dial_ctx *ctx, size_t n_parts);
/* Frees a solution (NULL is fine); the free_warm hook. */
void dial_svm_warm_free(void *warm);
/* A copy of warm (its parts and predictions), with no iteration spent.
 * NULL when out of memory. */
dial_svm_warm *dial_svm_warm_copy(const dial_ctx *ctx, const dial_svm_warm *warm);

/* Keeps a copy of a sub-problem's solution alpha, its gradient and G_bar
 * (l values each, labels y: NULL when the caller sets at_upper itself) in
 * part. Returns DIAL_ERR_NOMEM (part unchanged) when out of memory. */
dial_status dial_svm_warm_keep(const dial_ctx *ctx, dial_svm_warm_part *part, const double *alpha,
                               const double *gradient, const double *gradient_bar,
                               const signed char *y, size_t l, double c_pos, double c_neg,
                               double rho, bool converged);

/* How a sub-problem of l variables (labels y, linear term p, box c_pos /
 * c_neg) starts from part (may be NULL):
 *   - false: it cannot (none kept, another size, or a box smaller than
 *     part's, where part's variables may not fit); start cold.
 *   - true, *optimal: part's variables are still optimal as they are (none
 *     was at its upper bound and the solve had met tol) and alpha (l)
 *     holds them unchanged; the caller also needs the same linear term and
 *     a tol no smaller to skip the solve.
 *   - true, not *optimal: alpha holds them scaled by the growth of the box
 *     (see above), a feasible start, gradient (l) its gradient and
 *     gradient_bar (l) its G_bar; *bar_valid is false when rounding put
 *     some alpha at or off its bound where the old one was not (G_bar
 *     must then be computed again). */
bool dial_svm_warm_start(const dial_svm_warm_part *part, const signed char *y, const double *p,
                         size_t l, double c_pos, double c_neg, double *alpha, double *gradient,
                         double *gradient_bar, bool *bar_valid, bool *optimal);

#endif

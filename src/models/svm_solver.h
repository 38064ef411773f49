/*
 * The SMO solver of the SVM duals (internal to src/models/svm*.c):
 *
 *   minimise    f(a) = a'Qa / 2 + p'a
 *   subject to  y'a = const,  0 <= a_t <= C_t,  y_t in {+1, -1}
 *
 * with the second-order working-set selection of Fan, Chen and Lin (2005,
 * "Working set selection using second order information for training
 * support vector machines", JMLR 6), shrinking of variables stuck at a
 * bound and the reconstruction of their gradient at the end, as described
 * in Chang and Lin, "LIBSVM: a library for support vector machines" (2011,
 * ACM TIST 2(3)), section 4 and 5.
 *
 * The solver starts from any feasible a (zeros, or the solution of a nearby
 * problem: a warm start along increasing C), and needs nothing from Q but
 * its rows, its diagonal and a way to reorder it. It touches no context, so
 * that several can run at once on worker threads.
 */
#ifndef DIAL_SVM_SOLVER_H
#define DIAL_SVM_SOLVER_H

#include <stdbool.h>
#include <stddef.h>

#include "dial/core.h"

/* The matrix Q as the solver sees it. Positions are the solver's current
 * order of the variables, which swap() changes. */
typedef struct dial_svm_q {
    void *self;
    /* Row i, entries [0, len). The pointer stays valid until the second
     * call to row() after this one. NULL when out of memory. */
    const float *(*row)(void *self, size_t i, size_t len);
    /* Exchanges positions i and j. */
    void (*swap)(void *self, size_t i, size_t j);
    /* Q_tt of every variable, in the initial order. */
    const double *diag;
} dial_svm_q;

typedef struct dial_svm_dual {
    const dial_ctx *ctx;  /* whose allocation hook the solver asks (NULL: none) */
    size_t l;             /* number of variables */
    const double *p;      /* linear term, l */
    const signed char *y; /* +1 or -1, l */
    const double *upper;  /* C_t, l, each > 0 */
    double eps;           /* stop when the maximal violation m(a) - M(a) < eps */
    long max_iter;        /* at most this many iterations (>= 1) */
    bool shrinking;
    /* The gradient p + Q a of the start, l values (NULL: computed from the
     * rows of Q of the nonzero a), and with it (may be NULL) G_bar, the sum
     * of C_t Q_t over the a_t at their upper bound C_t (NULL: computed from
     * those rows). A warm start that knows them reads no row of Q. */
    const double *gradient, *gradient_bar;
    /* Receive the gradient and G_bar at the solution, l values each (NULL:
     * not wanted). */
    double *gradient_out, *gradient_bar_out;
} dial_svm_dual;

typedef struct dial_svm_dual_result {
    double rho;       /* the decision function is sum y_t a_t K(x_t, x) - rho */
    double objective; /* f(a) at the solution */
    long iterations;
    bool hit_max_iter; /* stopped at max_iter before meeting eps */
} dial_svm_dual_result;

/* Solves the dual. alpha holds l values: a feasible start on entry (e.g.
 * zeros), the solution on return, in the original order of the variables.
 * Returns DIAL_OK, or DIAL_ERR_NOMEM (alpha is then unspecified). */
dial_status dial_svm_dual_solve(const dial_svm_dual *dual, dial_svm_q *q, double *alpha,
                                dial_svm_dual_result *result);

#endif

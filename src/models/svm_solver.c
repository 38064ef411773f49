/*
 * SMO for the SVM duals (see svm_solver.h), written from the published
 * descriptions:
 *
 *  - Working set: i maximises -y_t G_t over I_up = {t : a_t < C_t, y_t = 1
 *    or a_t > 0, y_t = -1}; j minimises -b_it^2 / a_it over the t of
 *    I_low = {t : a_t < C_t, y_t = -1 or a_t > 0, y_t = 1} with
 *    b_it = -y_i G_i + y_t G_t > 0, where a_it = K_ii + K_tt - 2 K_it (or a
 *    small tau when that is not positive, for kernels that are not positive
 *    semi-definite). That is the gain of the two-variable step to second
 *    order (Fan, Chen and Lin 2005, "WSS 2"). Stop when
 *    m(a) - M(a) = max_{I_up} -y G - min_{I_low} -y G < eps.
 *  - Step: a_i += y_i d, a_j -= y_j d with d = b_ij / a_ij, clipped so both
 *    stay in their box; a variable that reaches a bound is set to it exactly.
 *  - Shrinking (Chang and Lin 2011, section 5.1): every min(l, 1000)
 *    iterations, a variable at a bound whose -y G says it cannot be part of
 *    a violating pair leaves the active set (the first positions). The
 *    first time m - M <= 10 eps, every variable comes back once, as the
 *    early guesses may have been wrong.
 *  - Gradient reconstruction (section 5.2): G_bar_t = sum over a_s = C_s of
 *    C_s Q_ts is kept for every t, so the gradient of the variables that
 *    left is G_bar + p + the free variables' part, computed once at the end.
 *  - rho: the mean of y_t G_t over the free variables, or the middle of the
 *    interval the bounded ones allow when none is free.
 */
#include "core/alloc.h"
#include "models/svm_solver.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The passes over all active variables are compiled for several
 * instruction sets, the best picked when the library loads; each gives the
 * same bits (C11 mode fuses no multiply-add and the arithmetic is per
 * element). Their conditions are written as bit masks because the
 * compiler vectorises those and not branches on doubles. */
#include "models/svm_vector.h"

#define SVM_TAU 1e-12          /* curvature used when a_ij <= 0 */
#define SVM_SHRINK_PERIOD 1000 /* iterations between two shrinkings, at most */
#define SVM_NONE SIZE_MAX

enum { SVM_AT_LOWER = 0, SVM_AT_UPPER = 1, SVM_FREE = 2 };

typedef struct svm_smo {
    size_t l, active;
    dial_svm_q *q;
    double eps;
    double *alpha, *G, *G_bar, *p, *C, *diag; /* in the current order */
    double *y;                                /* +1.0 or -1.0 */
    unsigned char *state;
    int64_t *up, *low; /* all ones when the variable is in I_up, I_low; else 0 */
    size_t *original;  /* original index of each position */
    bool unshrunk;
} svm_smo;

static unsigned char svm_state(double alpha, double c) {
    return alpha >= c ? SVM_AT_UPPER : alpha <= 0 ? SVM_AT_LOWER : SVM_FREE;
}

static bool svm_in_up(const svm_smo *s, size_t t) { return s->up[t] != 0; }
static bool svm_in_low(const svm_smo *s, size_t t) { return s->low[t] != 0; }

/* Sets the state of variable t from its alpha, and its I_up and I_low
 * masks. */
static void svm_set_state(svm_smo *s, size_t t) {
    unsigned char state = svm_state(s->alpha[t], s->C[t]);
    s->state[t] = state;
    bool positive = s->y[t] > 0;
    bool up = positive ? state != SVM_AT_UPPER : state != SVM_AT_LOWER;
    bool low = positive ? state != SVM_AT_LOWER : state != SVM_AT_UPPER;
    s->up[t] = up ? -1 : 0;
    s->low[t] = low ? -1 : 0;
}

SVM_INLINE int64_t svm_bits(double v) {
    int64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

SVM_INLINE double svm_from_bits(int64_t bits) {
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

/* v where mask is all ones, w where it is 0. */
SVM_INLINE double svm_blend(int64_t mask, double v, double w) {
    return svm_from_bits((svm_bits(v) & mask) | (svm_bits(w) & ~mask));
}

/* All ones when v > 0 (for a double, its bits as an integer are > 0). */
SVM_INLINE int64_t svm_positive(double v) { return -(int64_t)(svm_bits(v) > 0); }

static void svm_swap_doubles(double *v, size_t i, size_t j) {
    double t = v[i];
    v[i] = v[j];
    v[j] = t;
}

static void svm_swap_positions(svm_smo *s, size_t i, size_t j) {
    s->q->swap(s->q->self, i, j);
    svm_swap_doubles(s->alpha, i, j);
    svm_swap_doubles(s->G, i, j);
    svm_swap_doubles(s->G_bar, i, j);
    svm_swap_doubles(s->p, i, j);
    svm_swap_doubles(s->C, i, j);
    svm_swap_doubles(s->diag, i, j);
    svm_swap_doubles(s->y, i, j);
    int64_t mask = s->up[i];
    s->up[i] = s->up[j];
    s->up[j] = mask;
    mask = s->low[i];
    s->low[i] = s->low[j];
    s->low[j] = mask;
    unsigned char state = s->state[i];
    s->state[i] = s->state[j];
    s->state[j] = state;
    size_t o = s->original[i];
    s->original[i] = s->original[j];
    s->original[j] = o;
}

/* v[t] += a row[t] for t in [0, m): the passes that add a row of Q to a
 * gradient. */
SVM_VECTOR_CLONES static void svm_add_row(double *restrict v, const float *restrict row, double a,
                                          size_t m) {
    for (size_t t = 0; t < m; t++) v[t] += a * (double)row[t];
}

/* Recomputes G of the positions [active, l) from G_bar and the free
 * variables, by whichever way needs fewer kernel values. */
static dial_status svm_reconstruct_gradient(svm_smo *s) {
    size_t l = s->l, active = s->active;
    if (active == l) return DIAL_OK;
    for (size_t t = active; t < l; t++) s->G[t] = s->G_bar[t] + s->p[t];
    size_t n_free = 0;
    for (size_t j = 0; j < active; j++)
        if (s->state[j] == SVM_FREE) n_free++;
    if ((double)n_free * (double)l > 2.0 * (double)active * (double)(l - active)) {
        for (size_t t = active; t < l; t++) {
            const float *row = s->q->row(s->q->self, t, active);
            if (!row) return DIAL_ERR_NOMEM;
            double sum = 0;
            for (size_t j = 0; j < active; j++)
                if (s->state[j] == SVM_FREE) sum += s->alpha[j] * (double)row[j];
            s->G[t] += sum;
        }
    } else {
        for (size_t j = 0; j < active; j++) {
            if (s->state[j] != SVM_FREE) continue;
            const float *row = s->q->row(s->q->self, j, l);
            if (!row) return DIAL_ERR_NOMEM;
            svm_add_row(s->G + active, row + active, s->alpha[j], l - active);
        }
    }
    return DIAL_OK;
}

/* The largest -y G over I_up (gmax) and y G over I_low (gmax2) among the
 * active variables: the violation is gmax + gmax2. */
static void svm_violation(const svm_smo *s, double *gmax, double *gmax2) {
    double up = -INFINITY, low = -INFINITY;
    for (size_t t = 0; t < s->active; t++) {
        double v = s->y[t] > 0 ? -s->G[t] : s->G[t]; /* -y_t G_t */
        if (svm_in_up(s, t) && v > up) up = v;
        if (svm_in_low(s, t) && -v > low) low = -v;
    }
    *gmax = up;
    *gmax2 = low;
}

/* Whether a variable at a bound cannot be in a violating pair now. */
static bool svm_can_shrink(const svm_smo *s, size_t t, double gmax, double gmax2) {
    double g = s->G[t];
    if (s->state[t] == SVM_AT_UPPER) return s->y[t] > 0 ? -g > gmax : -g > gmax2;
    if (s->state[t] == SVM_AT_LOWER) return s->y[t] > 0 ? g > gmax2 : g > gmax;
    return false;
}

static dial_status svm_shrink(svm_smo *s) {
    double gmax, gmax2;
    svm_violation(s, &gmax, &gmax2);
    if (!s->unshrunk && gmax + gmax2 <= s->eps * 10) {
        s->unshrunk = true;
        dial_status status = svm_reconstruct_gradient(s);
        if (status != DIAL_OK) return status;
        s->active = s->l;
    }
    for (size_t t = 0; t < s->active; t++) {
        if (!svm_can_shrink(s, t, gmax, gmax2)) continue;
        s->active--;
        /* move the last active variable that stays into position t */
        while (s->active > t) {
            if (!svm_can_shrink(s, s->active, gmax, gmax2)) {
                svm_swap_positions(s, t, s->active);
                break;
            }
            s->active--;
        }
    }
    return DIAL_OK;
}

/* The reductions over a scan run in SVM_LANES independent lanes, combined
 * at the end: one running maximum would make every element wait for the
 * comparison before it. */
#define SVM_LANES 8

/* The lanes as vectors: a comparison gives a mask per lane (all ones or
 * 0) and the masks blend values and positions, so a lane keeps exactly what
 * the scalar `if (v > best) { best = v; where = t; }` would. */
typedef double svm_lanes_d __attribute__((vector_size(SVM_LANES * sizeof(double))));
typedef int64_t svm_lanes_i __attribute__((vector_size(SVM_LANES * sizeof(int64_t))));

#define SVM_LANES_BLEND(mask, v, w) \
    ((svm_lanes_d)(((svm_lanes_i)(v) & (mask)) | ((svm_lanes_i)(w) & ~(mask))))

/* The full blocks of SVM_LANES among the first m variables: the largest
 * -y_t G_t over I_up of each lane (strictly larger replaces, so the first
 * position wins) into best and where. Returns how many were run. */
SVM_VECTOR_CLONES static size_t svm_lanes_up(const double *restrict y, const double *restrict G,
                                             const int64_t *restrict up, size_t m, double *best,
                                             size_t *where) {
    svm_lanes_d b, minus_inf;
    svm_lanes_i w, index;
    for (size_t k = 0; k < SVM_LANES; k++) {
        b[k] = best[k];
        w[k] = (int64_t)where[k];
        index[k] = (int64_t)k;
        minus_inf[k] = -INFINITY;
    }
    size_t t = 0;
    for (; t + SVM_LANES <= m; t += SVM_LANES) {
        svm_lanes_d yv, g;
        svm_lanes_i mask;
        memcpy(&yv, y + t, sizeof yv);
        memcpy(&g, G + t, sizeof g);
        memcpy(&mask, up + t, sizeof mask);
        svm_lanes_d x = -yv * g;
        x = SVM_LANES_BLEND(mask, x, minus_inf);
        svm_lanes_i above = x > b;
        b = SVM_LANES_BLEND(above, x, b);
        w = (index & above) | (w & ~above);
        index += SVM_LANES;
    }
    for (size_t k = 0; k < SVM_LANES; k++) {
        best[k] = b[k];
        where[k] = (size_t)w[k];
    }
    return t;
}

typedef float svm_lanes_f __attribute__((vector_size(SVM_LANES * sizeof(float))));

/* The same for the choice of j (see svm_find_low): the smallest gain of
 * each lane (the last position wins: <=) and the largest y_t G_t over
 * I_low. Each value is computed as the scalar tail computes it. */
SVM_VECTOR_CLONES static size_t svm_lanes_low(const double *restrict y, const double *restrict G,
                                              const double *restrict diag, const float *restrict qi,
                                              const int64_t *restrict low, double gmax,
                                              double diag_i, double y_i, size_t m, double *best,
                                              size_t *where, double *top) {
    svm_lanes_d b, h, minus_inf, one, tau;
    svm_lanes_i w, index;
    for (size_t k = 0; k < SVM_LANES; k++) {
        b[k] = best[k];
        h[k] = top[k];
        w[k] = (int64_t)where[k];
        index[k] = (int64_t)k;
        minus_inf[k] = -INFINITY;
        one[k] = 1.0;
        tau[k] = SVM_TAU;
    }
    double two_y_i = 2.0 * y_i;
    size_t t = 0;
    for (; t + SVM_LANES <= m; t += SVM_LANES) {
        svm_lanes_d yv, g, dg;
        svm_lanes_f qf;
        svm_lanes_i mask;
        memcpy(&yv, y + t, sizeof yv);
        memcpy(&g, G + t, sizeof g);
        memcpy(&dg, diag + t, sizeof dg);
        memcpy(&qf, qi + t, sizeof qf);
        memcpy(&mask, low + t, sizeof mask);
        svm_lanes_d q = __builtin_convertvector(qf, svm_lanes_d);
        svm_lanes_d ygt = yv * g;
        svm_lanes_d bt = gmax + ygt;
        svm_lanes_d a = diag_i + dg - two_y_i * yv * q;
        a = SVM_LANES_BLEND((svm_lanes_i)a > 0, a, tau);
        svm_lanes_d gain = SVM_LANES_BLEND(mask & ((svm_lanes_i)bt > 0), -(bt * bt) / a, one);
        svm_lanes_d yg = SVM_LANES_BLEND(mask, ygt, minus_inf);
        svm_lanes_i below = gain <= b;
        b = SVM_LANES_BLEND(below, gain, b);
        w = (index & below) | (w & ~below);
        svm_lanes_i higher = yg > h;
        h = SVM_LANES_BLEND(higher, yg, h);
        index += SVM_LANES;
    }
    for (size_t k = 0; k < SVM_LANES; k++) {
        best[k] = b[k];
        top[k] = h[k];
        where[k] = (size_t)w[k];
    }
    return t;
}

/* The first position of the largest -y_t G_t over the t of I_up among
 * the first m (SVM_NONE if none is above -inf) into *at, the value into
 * *top. */
static void svm_find_up(const svm_smo *s, size_t m, size_t *at, double *top) {
    double best[SVM_LANES];
    size_t where[SVM_LANES];
    for (size_t k = 0; k < SVM_LANES; k++) {
        best[k] = -INFINITY;
        where[k] = SVM_NONE;
    }
    size_t t = svm_lanes_up(s->y, s->G, s->up, m, best, where);
    for (size_t k = 0; t + k < m; k++) {
        double v = svm_blend(s->up[t + k], -s->y[t + k] * s->G[t + k], -INFINITY);
        if (v > best[k]) {
            best[k] = v;
            where[k] = t + k;
        }
    }
    *top = -INFINITY;
    *at = SVM_NONE;
    for (size_t k = 0; k < SVM_LANES; k++)
        if (where[k] != SVM_NONE && (best[k] > *top || (best[k] == *top && where[k] < *at))) {
            *top = best[k];
            *at = where[k];
        }
}

/* For i chosen with -y_i G_i = gmax (row qi of Q): the last position of
 * the smallest gain -b_it^2 / a_it over the t of I_low with b_it > 0 (a
 * gain of 1, above every real one, elsewhere) into *at and its gain into
 * *low; the largest y_t G_t over I_low into *high. */
static void svm_find_low(const svm_smo *s, const float *qi, double gmax, size_t i, size_t m,
                         size_t *at, double *low, double *high) {
    double best[SVM_LANES], top[SVM_LANES];
    size_t where[SVM_LANES];
    for (size_t k = 0; k < SVM_LANES; k++) {
        best[k] = INFINITY;
        top[k] = -INFINITY;
        where[k] = SVM_NONE;
    }
    double diag_i = s->diag[i], y_i = s->y[i];
    size_t t =
        svm_lanes_low(s->y, s->G, s->diag, qi, s->low, gmax, diag_i, y_i, m, best, where, top);
    for (size_t k = 0; t + k < m; k++) {
        size_t u = t + k;
        double ygt = s->y[u] * s->G[u];
        double b = gmax + ygt;
        /* K_it = y_i y_t Q_it */
        double a = diag_i + s->diag[u] - 2.0 * y_i * s->y[u] * (double)qi[u];
        a = svm_blend(svm_positive(a), a, SVM_TAU);
        double gain = svm_blend(s->low[u] & svm_positive(b), -(b * b) / a, 1.0);
        double yg = svm_blend(s->low[u], ygt, -INFINITY);
        if (gain <= best[k]) {
            best[k] = gain;
            where[k] = u;
        }
        if (yg > top[k]) top[k] = yg;
    }
    *low = INFINITY;
    *high = -INFINITY;
    *at = SVM_NONE;
    for (size_t k = 0; k < SVM_LANES; k++) {
        if (top[k] > *high) *high = top[k];
        if (where[k] != SVM_NONE &&
            (best[k] < *low || (best[k] == *low && (*at == SVM_NONE || where[k] > *at)))) {
            *low = best[k];
            *at = where[k];
        }
    }
}

/* Fan, Chen and Lin's WSS 2 over the active variables. Sets *optimal when
 * the violation is below eps (or no pair is left). */
static dial_status svm_select(svm_smo *s, size_t *out_i, size_t *out_j, bool *optimal) {
    size_t active = s->active, i = SVM_NONE, j = SVM_NONE;
    double gmax = -INFINITY, gmax2 = -INFINITY;
    svm_find_up(s, active, &i, &gmax);
    if (i != SVM_NONE) {
        const float *qi = s->q->row(s->q->self, i, active);
        if (!qi) return DIAL_ERR_NOMEM;
        double best;
        svm_find_low(s, qi, gmax, i, active, &j, &best, &gmax2);
        if (!(best <= 0)) j = SVM_NONE; /* no t of I_low with b_it > 0 */
    }
    *optimal = gmax + gmax2 < s->eps || j == SVM_NONE;
    *out_i = i;
    *out_j = j;
    return DIAL_OK;
}

SVM_VECTOR_CLONES static void svm_update_gradient(double *restrict G, const float *restrict qi,
                                                  const float *restrict qj, double delta_i,
                                                  double delta_j, size_t m) {
    for (size_t t = 0; t < m; t++) G[t] += (double)qi[t] * delta_i + (double)qj[t] * delta_j;
}

/* Adds C_t Q_t to (sign > 0) or takes it from G_bar. */
static dial_status svm_update_g_bar(svm_smo *s, size_t t, double sign) {
    const float *row = s->q->row(s->q->self, t, s->l);
    if (!row) return DIAL_ERR_NOMEM;
    svm_add_row(s->G_bar, row, sign * s->C[t], s->l);
    return DIAL_OK;
}

/* One SMO step on the pair (i, j). */
static dial_status svm_step(svm_smo *s, size_t i, size_t j) {
    size_t active = s->active;
    const float *qi = s->q->row(s->q->self, i, active);
    if (!qi) return DIAL_ERR_NOMEM;
    const float *qj = s->q->row(s->q->self, j, active);
    if (!qj) return DIAL_ERR_NOMEM;
    double yi = s->y[i], yj = s->y[j];
    double a = s->diag[i] + s->diag[j] - 2.0 * yi * yj * (double)qi[j];
    if (a <= 0) a = SVM_TAU;
    double b = -yi * s->G[i] + yj * s->G[j];
    double room_i = yi > 0 ? s->C[i] - s->alpha[i] : s->alpha[i];
    double room_j = yj > 0 ? s->alpha[j] : s->C[j] - s->alpha[j];
    /* the step b / a, or the largest that keeps both in their box */
    double d = b / a;
    bool clip_i = room_i <= d, clip_j = room_j <= d;
    if (clip_i || clip_j) {
        d = room_i < room_j ? room_i : room_j;
        clip_i = room_i <= d;
        clip_j = room_j <= d;
    }
    double old_i = s->alpha[i], old_j = s->alpha[j];
    s->alpha[i] = clip_i ? (yi > 0 ? s->C[i] : 0) : old_i + yi * d;
    s->alpha[j] = clip_j ? (yj > 0 ? 0 : s->C[j]) : old_j - yj * d;
    double delta_i = s->alpha[i] - old_i, delta_j = s->alpha[j] - old_j;
    svm_update_gradient(s->G, qi, qj, delta_i, delta_j, active);

    unsigned char was_i = s->state[i], was_j = s->state[j];
    svm_set_state(s, i);
    svm_set_state(s, j);
    dial_status status = DIAL_OK;
    if ((was_i == SVM_AT_UPPER) != (s->state[i] == SVM_AT_UPPER))
        status = svm_update_g_bar(s, i, s->state[i] == SVM_AT_UPPER ? 1 : -1);
    if (status == DIAL_OK && (was_j == SVM_AT_UPPER) != (s->state[j] == SVM_AT_UPPER))
        status = svm_update_g_bar(s, j, s->state[j] == SVM_AT_UPPER ? 1 : -1);
    return status;
}

static double svm_rho(const svm_smo *s) {
    double upper = INFINITY, lower = -INFINITY, sum = 0;
    size_t n_free = 0;
    for (size_t t = 0; t < s->active; t++) {
        double yg = s->y[t] * s->G[t];
        unsigned char state = s->state[t];
        if (state == SVM_FREE) {
            sum += yg;
            n_free++;
        } else if ((state == SVM_AT_UPPER) == (s->y[t] < 0)) {
            /* upper with y = -1, or lower with y = +1: rho <= y G */
            if (yg < upper) upper = yg;
        } else if (yg > lower) {
            lower = yg;
        }
    }
    if (n_free > 0) return sum / (double)n_free;
    if (isinf(upper) && isinf(lower)) return 0;
    if (isinf(upper)) return lower;
    if (isinf(lower)) return upper;
    return (upper + lower) / 2;
}

static void svm_smo_free(svm_smo *s) {
    free(s->alpha);
    free(s->G);
    free(s->G_bar);
    free(s->p);
    free(s->C);
    free(s->diag);
    free(s->y);
    free(s->state);
    free(s->up);
    free(s->low);
    free(s->original);
}

/* Copies the problem in and computes the gradient of the starting point. */
static dial_status svm_smo_init(svm_smo *s, const dial_svm_dual *dual, dial_svm_q *q,
                                const double *alpha) {
    size_t l = dual->l, n = l ? l : 1;
    *s = (svm_smo){.l = l, .active = l, .q = q, .eps = dual->eps};
    s->alpha = dial_malloc(dual->ctx, n * sizeof *s->alpha);
    s->G = dial_malloc(dual->ctx, n * sizeof *s->G);
    s->G_bar = dial_calloc(dual->ctx, n, sizeof *s->G_bar);
    s->p = dial_malloc(dual->ctx, n * sizeof *s->p);
    s->C = dial_malloc(dual->ctx, n * sizeof *s->C);
    s->diag = dial_malloc(dual->ctx, n * sizeof *s->diag);
    s->y = dial_malloc(dual->ctx, n * sizeof *s->y);
    s->state = dial_malloc(dual->ctx, n * sizeof *s->state);
    s->original = dial_malloc(dual->ctx, n * sizeof *s->original);
    s->up = dial_malloc(dual->ctx, n * sizeof *s->up);
    s->low = dial_malloc(dual->ctx, n * sizeof *s->low);
    if (!s->alpha || !s->G || !s->G_bar || !s->p || !s->C || !s->diag || !s->y || !s->state ||
        !s->original || !s->up || !s->low)
        return DIAL_ERR_NOMEM;
    memcpy(s->alpha, alpha, l * sizeof *s->alpha);
    memcpy(s->p, dual->p, l * sizeof *s->p);
    memcpy(s->C, dual->upper, l * sizeof *s->C);
    memcpy(s->diag, q->diag, l * sizeof *s->diag);
    memcpy(s->G, dual->p, l * sizeof *s->G);
    for (size_t t = 0; t < l; t++) {
        s->y[t] = dual->y[t] > 0 ? 1.0 : -1.0;
        s->original[t] = t;
        svm_set_state(s, t);
    }
    /* a warm start: G = p + Q a over the nonzero a (unless given) and
     * G_bar over the a at their bound */
    const double *bar = dual->gradient ? dual->gradient_bar : NULL;
    if (dual->gradient) memcpy(s->G, dual->gradient, l * sizeof *s->G);
    if (bar) memcpy(s->G_bar, bar, l * sizeof *s->G_bar);
    for (size_t t = 0; t < l; t++) {
        if (s->state[t] == SVM_AT_LOWER) continue;
        if (dual->gradient && (bar || s->state[t] != SVM_AT_UPPER)) continue;
        const float *row = q->row(q->self, t, l);
        if (!row) return DIAL_ERR_NOMEM;
        if (!dual->gradient) svm_add_row(s->G, row, s->alpha[t], l);
        if (s->state[t] == SVM_AT_UPPER) svm_add_row(s->G_bar, row, s->C[t], l);
    }
    return DIAL_OK;
}

dial_status dial_svm_dual_solve(const dial_svm_dual *dual, dial_svm_q *q, double *alpha,
                                dial_svm_dual_result *result) {
    *result = (dial_svm_dual_result){0};
    svm_smo s;
    dial_status status = svm_smo_init(&s, dual, q, alpha);
    size_t l = dual->l;
    size_t period = l < SVM_SHRINK_PERIOD ? l : SVM_SHRINK_PERIOD;
    size_t counter = period + 1;
    long iter = 0;
    bool converged = false;
    while (status == DIAL_OK && l > 0) {
        if (--counter == 0) {
            counter = period;
            if (dual->shrinking) status = svm_shrink(&s);
            if (status != DIAL_OK) break;
        }
        size_t i, j;
        bool optimal;
        status = svm_select(&s, &i, &j, &optimal);
        if (status != DIAL_OK) break;
        if (optimal) {
            /* optimal on the active set: check it on all of them */
            status = svm_reconstruct_gradient(&s);
            if (status != DIAL_OK) break;
            s.active = l;
            status = svm_select(&s, &i, &j, &optimal);
            if (status != DIAL_OK) break;
            if (optimal) {
                converged = true;
                break;
            }
            counter = 1; /* shrink again at the next iteration */
        }
        if (iter >= dual->max_iter) break;
        iter++;
        status = svm_step(&s, i, j);
    }
    if (status == DIAL_OK && !converged && l > 0) {
        status = svm_reconstruct_gradient(&s);
        s.active = l;
        result->hit_max_iter = true;
    }
    if (status == DIAL_OK) {
        result->rho = svm_rho(&s);
        result->iterations = iter;
        double objective = 0;
        for (size_t t = 0; t < l; t++) objective += s.alpha[t] * (s.G[t] + s.p[t]);
        result->objective = objective / 2;
        for (size_t t = 0; t < l; t++) alpha[s.original[t]] = s.alpha[t];
        if (dual->gradient_out)
            for (size_t t = 0; t < l; t++) dual->gradient_out[s.original[t]] = s.G[t];
        if (dual->gradient_bar_out)
            for (size_t t = 0; t < l; t++) dual->gradient_bar_out[s.original[t]] = s.G_bar[t];
    }
    svm_smo_free(&s);
    return status;
}

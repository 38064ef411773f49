/*
 * Platt scaling and pairwise coupling (see svm_platt.h).
 *
 * The sigmoid's fit minimises the cross-entropy
 *   F(A, B) = sum_i (t_i - 1) z_i + log(1 + e^z_i),  z_i = A f_i + B,
 * written for z >= 0 as t_i z_i + log(1 + e^-z_i) so nothing overflows.
 * Its gradient is sum (t_i - p_i) (f_i, 1) and its Hessian
 * sum p_i (1 - p_i) (f_i, 1)(f_i, 1)' with p_i = 1 / (1 + e^z_i); a tiny
 * ridge keeps the Hessian invertible when every p_i is 0 or 1.
 */
#include "models/svm_platt.h"

#include <math.h>
#include <stdlib.h>

#define PLATT_MAX_ITER 100
#define PLATT_MIN_STEP 1e-10
#define PLATT_RIDGE 1e-12
#define PLATT_GRADIENT_TOL 1e-5
#define PLATT_ARMIJO 1e-4

static double platt_objective(const double *dec, const double *target, size_t n, double a,
                              double b) {
    double f = 0;
    for (size_t i = 0; i < n; i++) {
        double z = dec[i] * a + b;
        f += z >= 0 ? target[i] * z + log1p(exp(-z)) : (target[i] - 1) * z + log1p(exp(z));
    }
    return f;
}

bool dial_svm_platt_fit(const double *dec, const signed char *y, size_t n, double *target,
                        double *a_out, double *b_out) {
    size_t positives = 0;
    for (size_t i = 0; i < n; i++) positives += y[i] > 0;
    size_t negatives = n - positives;
    double hi = ((double)positives + 1) / ((double)positives + 2);
    double lo = 1 / ((double)negatives + 2);
    double a = 0, b = log(((double)negatives + 1) / ((double)positives + 1));
    for (size_t i = 0; i < n; i++) target[i] = y[i] > 0 ? hi : lo;
    double f = platt_objective(dec, target, n, a, b);
    bool ok = true;
    for (int iter = 0; iter < PLATT_MAX_ITER; iter++) {
        double h11 = PLATT_RIDGE, h22 = PLATT_RIDGE, h21 = 0, g1 = 0, g2 = 0;
        for (size_t i = 0; i < n; i++) {
            double z = dec[i] * a + b;
            double p, q; /* p = 1 / (1 + e^z), q = 1 - p */
            if (z >= 0) {
                double e = exp(-z);
                p = e / (1 + e);
                q = 1 / (1 + e);
            } else {
                double e = exp(z);
                p = 1 / (1 + e);
                q = e / (1 + e);
            }
            double curvature = p * q, residual = target[i] - p;
            h11 += dec[i] * dec[i] * curvature;
            h22 += curvature;
            h21 += dec[i] * curvature;
            g1 += dec[i] * residual;
            g2 += residual;
        }
        if (fabs(g1) < PLATT_GRADIENT_TOL && fabs(g2) < PLATT_GRADIENT_TOL) break;
        double det = h11 * h22 - h21 * h21;
        double da = -(h22 * g1 - h21 * g2) / det;
        double db = -(-h21 * g1 + h11 * g2) / det;
        double slope = g1 * da + g2 * db;
        double step = 1;
        while (step >= PLATT_MIN_STEP) {
            double new_a = a + step * da, new_b = b + step * db;
            double new_f = platt_objective(dec, target, n, new_a, new_b);
            if (new_f < f + PLATT_ARMIJO * step * slope) {
                a = new_a;
                b = new_b;
                f = new_f;
                break;
            }
            step /= 2;
        }
        if (step < PLATT_MIN_STEP) {
            ok = false;
            break;
        }
    }
    *a_out = a;
    *b_out = b;
    return ok;
}

double dial_svm_platt_probability(double dec, double a, double b) {
    double z = dec * a + b;
    if (z >= 0) {
        double e = exp(-z);
        return e / (1 + e);
    }
    return 1 / (1 + exp(z));
}

/* Method 2 of Wu, Lin and Weng: p minimises p'Qp / 2 subject to
 * sum p = 1, with Q_tt = sum_{j != t} r_jt^2 and Q_tj = -r_jt r_tj. The
 * fixed point moves one p_t at a time to where (Qp)_t = p'Qp, renormalises,
 * and updates Qp and p'Qp for the change instead of recomputing them. */
void dial_svm_couple(size_t k, const double *r, double *p, double *work) {
    double *q = work, *qp = work + k * k;
    for (size_t t = 0; t < k; t++) {
        p[t] = 1.0 / (double)k;
        q[t * k + t] = 0;
        for (size_t j = 0; j < k; j++) {
            if (j == t) continue;
            q[t * k + t] += r[j * k + t] * r[j * k + t];
            q[t * k + j] = -r[j * k + t] * r[t * k + j];
        }
    }
    size_t max_iter = k > 100 ? k : 100;
    double eps = 0.005 / (double)k;
    for (size_t iter = 0; iter < max_iter; iter++) {
        double pqp = 0;
        for (size_t t = 0; t < k; t++) {
            qp[t] = 0;
            for (size_t j = 0; j < k; j++) qp[t] += q[t * k + j] * p[j];
            pqp += p[t] * qp[t];
        }
        double worst = 0;
        for (size_t t = 0; t < k; t++)
            if (fabs(qp[t] - pqp) > worst) worst = fabs(qp[t] - pqp);
        if (worst < eps) break;
        for (size_t t = 0; t < k; t++) {
            double diff = (pqp - qp[t]) / q[t * k + t];
            p[t] += diff;
            double scale = 1 + diff;
            pqp = (pqp + diff * (diff * q[t * k + t] + 2 * qp[t])) / (scale * scale);
            for (size_t j = 0; j < k; j++) {
                qp[j] = (qp[j] + diff * q[t * k + j]) / scale;
                p[j] /= scale;
            }
        }
    }
}

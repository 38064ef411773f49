/* Sums that do not overflow for finite inputs (see eval/sums.h). */
#include <math.h>

#include "eval/sums.h"

dial_eval_squares dial_eval_sum_squares(const double *a, const double *b, double b_constant,
                                        size_t n) {
    dial_eval_squares squares = {0, 0};
    for (size_t i = 0; i < n; i++) {
        double h = fabs(dial_eval_half_difference(a, b, b_constant, i));
        if (h > squares.scale) squares.scale = h;
    }
    for (size_t i = 0; squares.scale > 0 && i < n; i++) {
        double h = dial_eval_half_difference(a, b, b_constant, i) / squares.scale;
        squares.scaled_sum += h * h;
    }
    return squares;
}

double dial_eval_mean(const double *v, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += v[i];
    if (isfinite(sum)) return sum / (double)n;
    double mean = 0;
    for (size_t i = 0; i < n; i++) mean += v[i] / (double)n;
    return mean;
}

/*
 * Adam and stochastic gradient descent with momentum over a flat parameter
 * vector, and the learning-rate schedules of the multilayer perceptron.
 */
#include "core/alloc.h"
#include "models/mlp_optimizer.h"

#include <math.h>
#include <stdlib.h>

#include "models/mlp_vector.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define MLP_ADAM_X86 1
#include <immintrin.h>
#endif

#define MLP_ADAM_BETA1 0.9
#define MLP_ADAM_BETA2 0.999
#define MLP_ADAM_EPSILON 1e-8

dial_status dial_mlp_optimizer_init(dial_ctx *ctx, dial_mlp_optimizer *opt, dial_mlp_solver solver,
                                    size_t n, double momentum, bool nesterov) {
    *opt = (dial_mlp_optimizer){.solver = solver,
                                .n = n,
                                .momentum = momentum,
                                .nesterov = nesterov,
                                .beta1_power = 1,
                                .beta2_power = 1};
    size_t slots = solver == DIAL_MLP_ADAM ? 2 : 1;
    opt->first = dial_calloc(ctx, slots * n + 1, sizeof *opt->first);
    if (!opt->first)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the optimiser of %zu weights", n);
    if (solver == DIAL_MLP_ADAM) opt->second = opt->first + n;
    return DIAL_OK;
}

void dial_mlp_optimizer_free(dial_mlp_optimizer *opt) {
    if (!opt) return;
    free(opt->first);
    opt->first = opt->second = NULL;
}

/* Adam's update of count parameters from their gradient g. The loop is
 * written out for AVX-512 and AVX2, as the compiler keeps a loop with
 * sqrt scalar (sqrt may set errno); every version rounds each operation
 * as the portable loop does (square roots and divisions are exact in
 * every width, and nothing is fused), so they give the same bits. */
static void mlp_adam_portable(double *restrict m, double *restrict v, double *restrict theta,
                              const double *restrict g, double rate, size_t count) {
    for (size_t k = 0; k < count; k++) {
        m[k] = MLP_ADAM_BETA1 * m[k] + (1 - MLP_ADAM_BETA1) * g[k];
        v[k] = MLP_ADAM_BETA2 * v[k] + (1 - MLP_ADAM_BETA2) * g[k] * g[k];
        theta[k] -= rate * m[k] / (sqrt(v[k]) + MLP_ADAM_EPSILON);
    }
}

#ifdef MLP_ADAM_X86
__attribute__((target("avx512f"))) static void
mlp_adam_avx512(double *restrict m, double *restrict v, double *restrict theta,
                const double *restrict g, double rate, size_t count) {
    const __m512d b1 = _mm512_set1_pd(MLP_ADAM_BETA1), c1 = _mm512_set1_pd(1 - MLP_ADAM_BETA1);
    const __m512d b2 = _mm512_set1_pd(MLP_ADAM_BETA2), c2 = _mm512_set1_pd(1 - MLP_ADAM_BETA2);
    const __m512d eps = _mm512_set1_pd(MLP_ADAM_EPSILON), r = _mm512_set1_pd(rate);
    size_t k = 0;
    for (; k + 8 <= count; k += 8) {
        __m512d gk = _mm512_loadu_pd(g + k);
        __m512d mk =
            _mm512_add_pd(_mm512_mul_pd(b1, _mm512_loadu_pd(m + k)), _mm512_mul_pd(c1, gk));
        __m512d vk = _mm512_add_pd(_mm512_mul_pd(b2, _mm512_loadu_pd(v + k)),
                                   _mm512_mul_pd(_mm512_mul_pd(c2, gk), gk));
        __m512d step = _mm512_div_pd(_mm512_mul_pd(r, mk), _mm512_add_pd(_mm512_sqrt_pd(vk), eps));
        _mm512_storeu_pd(m + k, mk);
        _mm512_storeu_pd(v + k, vk);
        _mm512_storeu_pd(theta + k, _mm512_sub_pd(_mm512_loadu_pd(theta + k), step));
    }
    mlp_adam_portable(m + k, v + k, theta + k, g + k, rate, count - k);
}

__attribute__((target("avx2"))) static void mlp_adam_avx2(double *restrict m, double *restrict v,
                                                          double *restrict theta,
                                                          const double *restrict g, double rate,
                                                          size_t count) {
    const __m256d b1 = _mm256_set1_pd(MLP_ADAM_BETA1), c1 = _mm256_set1_pd(1 - MLP_ADAM_BETA1);
    const __m256d b2 = _mm256_set1_pd(MLP_ADAM_BETA2), c2 = _mm256_set1_pd(1 - MLP_ADAM_BETA2);
    const __m256d eps = _mm256_set1_pd(MLP_ADAM_EPSILON), r = _mm256_set1_pd(rate);
    size_t k = 0;
    for (; k + 4 <= count; k += 4) {
        __m256d gk = _mm256_loadu_pd(g + k);
        __m256d mk =
            _mm256_add_pd(_mm256_mul_pd(b1, _mm256_loadu_pd(m + k)), _mm256_mul_pd(c1, gk));
        __m256d vk = _mm256_add_pd(_mm256_mul_pd(b2, _mm256_loadu_pd(v + k)),
                                   _mm256_mul_pd(_mm256_mul_pd(c2, gk), gk));
        __m256d step = _mm256_div_pd(_mm256_mul_pd(r, mk), _mm256_add_pd(_mm256_sqrt_pd(vk), eps));
        _mm256_storeu_pd(m + k, mk);
        _mm256_storeu_pd(v + k, vk);
        _mm256_storeu_pd(theta + k, _mm256_sub_pd(_mm256_loadu_pd(theta + k), step));
    }
    mlp_adam_portable(m + k, v + k, theta + k, g + k, rate, count - k);
}
#endif

static void mlp_adam_apply(double *m, double *v, double *theta, const double *g, double rate,
                           size_t count) {
#ifdef MLP_ADAM_X86
    if (__builtin_cpu_supports("avx512f")) {
        mlp_adam_avx512(m, v, theta, g, rate, count);
        return;
    }
    if (__builtin_cpu_supports("avx2")) {
        mlp_adam_avx2(m, v, theta, g, rate, count);
        return;
    }
#endif
    mlp_adam_portable(m, v, theta, g, rate, count);
}

MLP_VECTOR_CLONES
static void mlp_add_penalty(double *restrict g, double penalty, const double *restrict theta,
                            size_t count) {
    for (size_t k = 0; k < count; k++) g[k] += penalty * theta[k];
}

MLP_VECTOR_CLONES
static void mlp_sgd_update(double *restrict u, double *restrict theta, const double *restrict g,
                           double mu, double lr, bool nesterov, size_t count) {
    if (nesterov)
        for (size_t k = 0; k < count; k++) {
            u[k] = mu * u[k] - lr * g[k];
            theta[k] += mu * u[k] - lr * g[k];
        }
    else
        for (size_t k = 0; k < count; k++) {
            u[k] = mu * u[k] - lr * g[k];
            theta[k] += u[k];
        }
}

void dial_mlp_optimizer_next(dial_mlp_optimizer *opt) {
    opt->beta1_power *= MLP_ADAM_BETA1;
    opt->beta2_power *= MLP_ADAM_BETA2;
}

void dial_mlp_optimizer_update(const dial_mlp_optimizer *opt, double lr, double *g, double penalty,
                               size_t at, size_t count, double *params) {
    if (penalty > 0) mlp_add_penalty(g, penalty, params + at, count);
    if (opt->solver == DIAL_MLP_ADAM) {
        double rate = lr * sqrt(1 - opt->beta2_power) / (1 - opt->beta1_power);
        mlp_adam_apply(opt->first + at, opt->second + at, params + at, g, rate, count);
        return;
    }
    mlp_sgd_update(opt->first + at, params + at, g, opt->momentum, lr, opt->nesterov, count);
}

double dial_mlp_schedule_rate(dial_mlp_schedule schedule, double lr, size_t epoch, size_t epochs) {
    switch (schedule) {
    case DIAL_MLP_CONSTANT: return lr;
    case DIAL_MLP_INVSCALING: return lr / sqrt((double)epoch + 1);
    case DIAL_MLP_COSINE:
        return lr * 0.5 * (1 + cos(3.14159265358979323846 * (double)epoch / (double)epochs));
    }
    return lr;
}

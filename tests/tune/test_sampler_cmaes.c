/* The cmaes sampler (src/tune/sampler_cmaes*.c): CMA-ES over the float and
 * int parameters, rebuilt from the history at every proposal. Each test
 * runs the study loop by hand: propose trial n from the trials before it,
 * evaluate a function with a known optimum, append the observation. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dial/tune.h"
#include "tune/sampler_cmaes.h"

/* ---- helpers ------------------------------------------------------------ */

typedef double (*objective)(const double *x, size_t n);

/* A study run by hand: every trial's point and loss, in number order. */
typedef struct study_run {
    size_t n_params, n_trials;
    double *points; /* n_trials x n_params */
    dial_sampler_observation *trials;
} study_run;

static study_run run_new(size_t n_params, size_t budget) {
    study_run run = {n_params, 0, calloc(budget * n_params, sizeof(double)),
                     calloc(budget, sizeof(dial_sampler_observation))};
    assert_non_null(run.points);
    assert_non_null(run.trials);
    return run;
}

static void run_free(study_run *run) {
    free(run->points);
    free(run->trials);
}

static dial_sampler_history history_of(const study_run *run, size_t n) {
    return (dial_sampler_history){n, run->trials};
}

/* Appends trial run->n_trials, proposed from the trials before it. */
static void run_step(dial_ctx *ctx, const dial_sampler *sampler, study_run *run, objective f) {
    size_t n = run->n_trials;
    double *x = &run->points[n * run->n_params];
    dial_sampler_history history = history_of(run, n);
    assert_dial_ok(ctx, dial_sampler_propose(ctx, sampler, (int64_t)n, &history, x));
    run->trials[n] = (dial_sampler_observation){.number = (int64_t)n,
                                                .state = DIAL_TRIAL_COMPLETE,
                                                .loss = f(x, run->n_params),
                                                .seconds = 1,
                                                .last_loss = NAN,
                                                .last_step = -1,
                                                .x = x};
    run->n_trials++;
}

static double best_loss(const study_run *run) {
    double best = INFINITY;
    for (size_t i = 0; i < run->n_trials; i++) best = fmin(best, run->trials[i].loss);
    return best;
}

/* The best loss of a study of budget trials of kind on f. */
static double best_after(dial_ctx *ctx, dial_sampler_kind kind, uint64_t seed, dial_param *params,
                         size_t n, objective f, size_t budget) {
    dial_sampler *sampler = test_sampler_make(ctx, kind, seed, params, n);
    study_run run = run_new(n, budget);
    for (size_t i = 0; i < budget; i++) run_step(ctx, sampler, &run, f);
    double best = best_loss(&run);
    run_free(&run);
    dial_sampler_free(sampler);
    return best;
}

/* The optimum sits off the centre of [-5, 10]^d, where a centred start
 * would not find it by luck. */
static const double shift[5] = {1.5, -2.0, 3.0, 0.5, -1.0};

static double sphere(const double *x, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) sum += (x[i] - shift[i]) * (x[i] - shift[i]);
    return sum;
}

/* Axis scales 1 .. 1000 (condition 10^6 on the squares). */
static double ellipsoid(const double *x, size_t n) {
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        double scale = pow(1000.0, (double)i / (double)(n - 1));
        sum += scale * scale * (x[i] - shift[i]) * (x[i] - shift[i]);
    }
    return sum;
}

static double rosenbrock(const double *x, size_t n) {
    double sum = 0;
    for (size_t i = 0; i + 1 < n; i++)
        sum += 100 * pow(x[i + 1] - x[i] * x[i], 2) + pow(1 - x[i], 2);
    return sum;
}

/* Many local optima, a unit apart; the global one at the shift. */
static double rastrigin(const double *x, size_t n) {
    double sum = 10 * (double)n;
    for (size_t i = 0; i < n; i++) {
        double y = x[i] - shift[i];
        sum += y * y - 10 * cos(2 * 3.14159265358979323846 * y);
    }
    return sum;
}

static double flat(const double *x, size_t n) {
    (void)x, (void)n;
    return 1;
}

/* x float, k int: optimum at x = 0.3, k = 13. */
static double mixed(const double *x, size_t n) {
    (void)n;
    return (x[0] - 0.3) * (x[0] - 0.3) + (x[1] - 13) * (x[1] - 13);
}

static void box(dial_param *params, size_t n) {
    static const char *names[] = {"x0", "x1", "x2", "x3", "x4"};
    for (size_t i = 0; i < n; i++) params[i] = test_float_param(names[i], -5, 10, false);
}

/* ---- convergence --------------------------------------------------------- */

static void test_sphere_5d_reaches_1e_3_in_400_trials_and_beats_random(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[5];
    box(params, 5);
    double cmaes = best_after(ctx, DIAL_SAMPLER_CMAES, 1, params, 5, sphere, 400);
    double random = best_after(ctx, DIAL_SAMPLER_RANDOM, 1, params, 5, sphere, 400);
    assert_true(cmaes < 1e-3);
    assert_true(random > 1);
    dial_ctx_free(ctx);
}

static void test_ellipsoid_5d_reaches_1e_3_in_1200_trials_and_beats_random(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[5];
    box(params, 5);
    double cmaes = best_after(ctx, DIAL_SAMPLER_CMAES, 2, params, 5, ellipsoid, 1200);
    double random = best_after(ctx, DIAL_SAMPLER_RANDOM, 2, params, 5, ellipsoid, 1200);
    assert_true(cmaes < 1e-3);
    assert_true(random > 100);
    dial_ctx_free(ctx);
}

static void test_rosenbrock_2d_reaches_1e_4_in_800_trials(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[2];
    box(params, 2);
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 3, params, 2);
    study_run run = run_new(2, 800);
    for (size_t i = 0; i < 10; i++) run_step(ctx, sampler, &run, rosenbrock);
    double startup = best_loss(&run);
    assert_true(startup > 1);
    for (size_t i = 10; i < 800; i++) run_step(ctx, sampler, &run, rosenbrock);
    /* down the curved valley, not only into it */
    assert_true(best_loss(&run) < 1e-4);
    run_free(&run);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_log_parameter_converges_on_its_log_axis(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[1] = {test_float_param("lr", 1e-6, 1, true)};
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 4, params, 1);
    study_run run = run_new(1, 120);
    for (size_t i = 0; i < 120; i++) {
        run_step(ctx, sampler, &run, flat);
        double lr = run.points[i];
        assert_true(lr >= 1e-6 && lr <= 1);
        run.trials[i].loss = pow(log10(lr) + 4.5, 2);
    }
    assert_true(best_loss(&run) < 1e-4);
    run_free(&run);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

/* ---- restarts ------------------------------------------------------------ */

/* The strategy that would propose the next trial of run. */
static dial_cmaes replayed(dial_ctx *ctx, const dial_sampler *sampler, const study_run *run) {
    dial_cmaes cmaes;
    dial_sampler_history history = history_of(run, run->n_trials);
    assert_dial_ok(ctx, dial_cmaes_replay(ctx, sampler, (int64_t)run->n_trials, &history, &cmaes));
    return cmaes;
}

static void test_flat_function_restarts_with_the_population_doubled(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[2];
    box(params, 2);
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 5, params, 2);
    study_run run = run_new(2, 200);
    for (size_t i = 0; i < 200; i++) run_step(ctx, sampler, &run, flat);
    dial_cmaes cmaes = replayed(ctx, sampler, &run);
    /* d = 2: lambda = 4 + floor(3 ln 2) = 6; 20 flat generations (120
     * trials) are stagnation. */
    assert_int_equal(cmaes.base_population, 6);
    assert_true(cmaes.restarts >= 1);
    assert_int_equal(cmaes.population, 6u << cmaes.restarts);
    dial_cmaes_free(&cmaes);
    run_free(&run);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_a_converging_run_does_not_restart(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[2];
    box(params, 2);
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 5, params, 2);
    study_run run = run_new(2, 200);
    for (size_t i = 0; i < 200; i++) run_step(ctx, sampler, &run, sphere);
    dial_cmaes cmaes = replayed(ctx, sampler, &run);
    assert_int_equal(cmaes.restarts, 0);
    assert_int_equal(cmaes.generations, (200 - 10) / 6);
    assert_true(cmaes.sigma < 0.01);
    dial_cmaes_free(&cmaes);
    run_free(&run);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_a_run_stuck_in_a_local_optimum_restarts_and_finds_a_better_one(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[2];
    box(params, 2);
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 1, params, 2);
    study_run run = run_new(2, 1500);
    for (size_t i = 0; i < 300; i++) run_step(ctx, sampler, &run, rastrigin);
    dial_cmaes cmaes = replayed(ctx, sampler, &run);
    /* converging in a local basin (Rastrigin's are 1 apart in value) */
    assert_int_equal(cmaes.restarts, 0);
    assert_true(cmaes.sigma < 1e-2);
    double stuck = best_loss(&run);
    assert_true(stuck > 1.5);
    dial_cmaes_free(&cmaes);
    for (size_t i = 300; i < 1500; i++) run_step(ctx, sampler, &run, rastrigin);
    cmaes = replayed(ctx, sampler, &run);
    assert_true(cmaes.restarts >= 1);
    assert_true(best_loss(&run) < stuck - 0.5);
    dial_cmaes_free(&cmaes);
    run_free(&run);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

/* ---- integers and categoricals ------------------------------------------ */

static void test_integers_are_valid_and_never_freeze(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[2] = {test_float_param("x", -5, 5, false),
                            test_int_param("k", 0, 30, 0, false)};
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 6, params, 2);
    study_run run = run_new(2, 400);
    for (size_t i = 0; i < 400; i++) {
        run_step(ctx, sampler, &run, mixed);
        double k = run.points[i * 2 + 1];
        assert_true(k == floor(k) && k >= 0 && k <= 30);
    }
    /* The float part has converged far below one integer's width, in one
     * run (without the margin, k froze at 13 until the run stagnated and
     * restarted)... */
    assert_true(best_loss(&run) < 1e-4);
    dial_cmaes cmaes = replayed(ctx, sampler, &run);
    assert_int_equal(cmaes.restarts, 0);
    assert_true(cmaes.sigma * sqrt(cmaes.cov[0]) < 1e-2);
    dial_cmaes_free(&cmaes);
    /* ...yet the integer keeps leaving its cell (the margin: at least
     * alpha = 1 / (d lambda) = 1/12 of the time), while mostly at k = 13. */
    size_t at_optimum = 0, elsewhere = 0;
    for (size_t i = 300; i < 400; i++) {
        if (run.points[i * 2 + 1] == 13)
            at_optimum++;
        else
            elsewhere++;
    }
    assert_true(at_optimum >= 50);
    assert_true(elsewhere >= 3);
    run_free(&run);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

/* kernel in {linear, rbf, poly}; gamma only for rbf and poly. */
static double kernel_loss(const double *x, size_t n) {
    (void)n;
    double penalty = x[0] == 1 ? 0 : 1;
    double gamma = isnan(x[1]) ? 1 : x[1];
    return penalty + pow(log10(gamma) + 1, 2) + pow(log10(x[2]) - 2, 2);
}

static void test_categoricals_are_valid_drawn_at_random_and_conditions_hold(void **state) {
    dial_ctx *ctx = test_ctx();
    char *kernels[] = {"linear", "rbf", "poly"};
    dial_param params[3] = {test_choice_param("kernel", kernels, 3, ""),
                            test_float_param("gamma", 1e-3, 1e1, true),
                            test_float_param("C", 1e-2, 1e4, true)};
    params[1].condition = "kernel=rbf|poly";
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 7, params, 3);
    char line[200];
    dial_sampler_describe(sampler, line, sizeof line);
    assert_string_equal(line, "cmaes, population 6 with IPOP restarts (qmc for the first 10 "
                              "trials; categoricals at random)");
    study_run run = run_new(3, 150);
    size_t kernel_counts[3] = {0};
    for (size_t i = 0; i < 150; i++) {
        run_step(ctx, sampler, &run, kernel_loss);
        const double *x = &run.points[i * 3];
        assert_true(x[0] == 0 || x[0] == 1 || x[0] == 2);
        kernel_counts[(size_t)x[0]]++;
        assert_true(x[0] == 0 ? isnan(x[1]) : x[1] >= 1e-3 && x[1] <= 1e1);
        assert_true(x[2] >= 1e-2 && x[2] <= 1e4);
        /* the kernel is the random sampler's draw for (seed, number) */
        if (i >= 10) assert_true(x[0] == dial_sampler_random_value(7, (int64_t)i, &params[0]));
    }
    for (size_t k = 0; k < 3; k++) assert_true(kernel_counts[k] > 30);
    run_free(&run);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_describe_without_categoricals_or_evolving_parameters(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[5];
    box(params, 5);
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 1, params, 5);
    char line[200];
    dial_sampler_describe(sampler, line, sizeof line);
    assert_string_equal(line,
                        "cmaes, population 8 with IPOP restarts (qmc for the first 10 trials)");
    dial_sampler_free(sampler);
    char *kernels[] = {"linear", "rbf"};
    dial_param only_choice[1] = {test_choice_param("kernel", kernels, 2, "")};
    sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 1, only_choice, 1);
    dial_sampler_describe(sampler, line, sizeof line);
    assert_string_equal(line, "cmaes, with no float or int parameter to evolve: every value at "
                              "random (qmc for the first 10 trials)");
    double point = NAN;
    dial_sampler_history empty = {0, NULL};
    assert_dial_ok(ctx, dial_sampler_propose(ctx, sampler, 12, &empty, &point));
    assert_true(point == dial_sampler_random_value(1, 12, &only_choice[0]));
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

/* ---- a pure function of (seed, number, history) -------------------------- */

static void test_same_seed_and_history_give_the_same_point(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[5];
    box(params, 5);
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 8, params, 5);
    study_run run = run_new(5, 60);
    for (size_t i = 0; i < 60; i++) run_step(ctx, sampler, &run, sphere);
    dial_sampler *again = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 8, params, 5);
    dial_sampler *other = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 9, params, 5);
    dial_sampler_history history = history_of(&run, 60);
    double a[5], b[5], c[5];
    assert_dial_ok(ctx, dial_sampler_propose(ctx, sampler, 60, &history, a));
    assert_dial_ok(ctx, dial_sampler_propose(ctx, again, 60, &history, b));
    assert_dial_ok(ctx, dial_sampler_propose(ctx, other, 60, &history, c));
    assert_memory_equal(a, b, sizeof a);
    for (size_t j = 0; j < 5; j++) assert_true(a[j] != c[j]);
    run_free(&run);
    dial_sampler_free(sampler);
    dial_sampler_free(again);
    dial_sampler_free(other);
    dial_ctx_free(ctx);
}

/* `dial ask` makes a new sampler per call and hands it the stored history:
 * it must propose what the in-process run did, trial after trial. */
static void test_replaying_the_history_proposes_what_the_run_did(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[3] = {test_float_param("x", -5, 10, false),
                            test_int_param("k", 0, 30, 0, false),
                            test_float_param("lr", 1e-5, 1, true)};
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 10, params, 3);
    study_run run = run_new(3, 150);
    for (size_t i = 0; i < 150; i++) run_step(ctx, sampler, &run, sphere);
    for (size_t n = 0; n < 150; n += 7) {
        dial_sampler *fresh = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 10, params, 3);
        dial_sampler_history history = history_of(&run, n);
        double point[3];
        assert_dial_ok(ctx, dial_sampler_propose(ctx, fresh, (int64_t)n, &history, point));
        assert_memory_equal(point, &run.points[n * 3], sizeof point);
        dial_sampler_free(fresh);
    }
    run_free(&run);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

/* d = 5: lambda = 8; after 10 startup trials, generation g is trials
 * 10 + 8g .. 17 + 8g. */
static void test_a_running_member_holds_its_generation_back(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[5];
    box(params, 5);
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 11, params, 5);
    study_run run = run_new(5, 50);
    for (size_t i = 0; i < 50; i++) run_step(ctx, sampler, &run, sphere);
    double complete[5], running[5], before[5];
    dial_sampler_history history = history_of(&run, 50);
    assert_dial_ok(ctx, dial_sampler_propose(ctx, sampler, 50, &history, complete));
    /* Trial 45 of generation 4 (trials 42..49) still runs: trial 50 comes
     * from the state after generation 3, as if 42..49 were not there. */
    run.trials[45].state = DIAL_TRIAL_RUNNING;
    run.trials[45].loss = NAN;
    assert_dial_ok(ctx, dial_sampler_propose(ctx, sampler, 50, &history, running));
    dial_sampler_history truncated = history_of(&run, 42);
    assert_dial_ok(ctx, dial_sampler_propose(ctx, sampler, 50, &truncated, before));
    assert_memory_equal(running, before, sizeof running);
    assert_true(memcmp(running, complete, sizeof running) != 0);
    /* Parallel workers draw different points from that state. */
    double next[5];
    assert_dial_ok(ctx, dial_sampler_propose(ctx, sampler, 51, &history, next));
    assert_true(memcmp(running, next, sizeof next) != 0);
    run_free(&run);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

static void test_pruned_and_failed_trials_rank_worst(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_param params[5];
    box(params, 5);
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 12, params, 5);
    study_run run = run_new(5, 42);
    for (size_t i = 0; i < 42; i++) run_step(ctx, sampler, &run, sphere);
    dial_sampler_history history = history_of(&run, 42);
    double reference[5], changed[5];
    assert_dial_ok(ctx, dial_sampler_propose(ctx, sampler, 42, &history, reference));
    /* The two worst of generation 3 (trials 34..41) pruned and failed:
     * they were below the parents already, nothing changes. */
    size_t worst = 34, second = 35;
    for (size_t i = 34; i < 42; i++)
        if (run.trials[i].loss > run.trials[worst].loss) worst = i;
    if (second == worst) second = 34;
    for (size_t i = 34; i < 42; i++)
        if (i != worst && run.trials[i].loss > run.trials[second].loss) second = i;
    run.trials[worst].state = DIAL_TRIAL_FAILED;
    run.trials[worst].loss = NAN;
    run.trials[second].state = DIAL_TRIAL_PRUNED;
    run.trials[second].last_loss = -1e9; /* an intermediate value never beats a finished one */
    run.trials[second].loss = NAN;
    assert_dial_ok(ctx, dial_sampler_propose(ctx, sampler, 42, &history, changed));
    assert_memory_equal(reference, changed, sizeof changed);
    /* The best of the generation failing changes the parents. */
    size_t best = 34;
    for (size_t i = 34; i < 42; i++)
        if (run.trials[i].state == DIAL_TRIAL_COMPLETE &&
            run.trials[i].loss < run.trials[best].loss)
            best = i;
    run.trials[best].state = DIAL_TRIAL_FAILED;
    run.trials[best].loss = NAN;
    assert_dial_ok(ctx, dial_sampler_propose(ctx, sampler, 42, &history, changed));
    assert_true(memcmp(reference, changed, sizeof changed) != 0);
    run_free(&run);
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
}

/* ---- out of memory ------------------------------------------------------------ */

typedef struct failing_hook {
    long count, fail_at;
} failing_hook;

static bool refuse_nth(void *user, size_t size) {
    (void)size;
    failing_hook *hook = user;
    return ++hook->count != hook->fail_at;
}

/* Each allocation of making the sampler and of a proposal whose replay
 * restarts (the population grows), refused in turn: a clean
 * DIAL_ERR_NOMEM (ASan checks the leaks), or the point a run without
 * failures proposes. */
static void test_every_allocation_failure_is_a_clean_nomem(void **state) {
    dial_param params[2] = {test_float_param("x", -5, 10, false),
                            test_int_param("k", 0, 30, 0, false)};
    dial_ctx *ctx = test_ctx();
    dial_sampler *sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 5, params, 2);
    study_run run = run_new(2, 200);
    for (size_t i = 0; i < 200; i++) run_step(ctx, sampler, &run, flat);
    dial_cmaes cmaes = replayed(ctx, sampler, &run);
    assert_true(cmaes.restarts >= 1);
    dial_cmaes_free(&cmaes);
    dial_sampler_free(sampler);
    dial_sampler_history history = history_of(&run, 200);
    double expected[2];
    sampler = test_sampler_make(ctx, DIAL_SAMPLER_CMAES, 5, params, 2);
    assert_dial_ok(ctx, dial_sampler_propose(ctx, sampler, 200, &history, expected));
    dial_sampler_free(sampler);
    dial_ctx_free(ctx);
    long failures = 0;
    for (long n = 1; n < 1000; n++) {
        ctx = test_ctx();
        failing_hook hook = {0, n};
        dial_ctx_set_alloc_hook(ctx, refuse_nth, &hook);
        dial_space space = {2, params};
        dial_sampler_settings settings = {.kind = DIAL_SAMPLER_CMAES, .seed = 5, .space = &space};
        sampler = NULL;
        double point[2] = {NAN, NAN};
        dial_status status = dial_sampler_create_with(ctx, &settings, &sampler);
        if (status == DIAL_OK) status = dial_sampler_propose(ctx, sampler, 200, &history, point);
        if (status == DIAL_OK) {
            assert_memory_equal(point, expected, sizeof point);
        } else {
            failures++;
            assert_int_equal(status, DIAL_ERR_NOMEM);
            assert_non_null(strstr(dial_ctx_error(ctx), "out of memory"));
        }
        dial_sampler_free(sampler);
        dial_ctx_free(ctx);
        if (hook.count < n) break; /* every allocation has been refused once */
    }
    assert_true(failures > 10);
    run_free(&run);
}

/* ---- through a study --------------------------------------------------------- */

#define STUDY_TRIALS 100
/* the startup trials and four generations of 7 */
#define ASKED_TRIALS 40

static dial_study *open_study(dial_ctx *ctx, const char *storage, const dial_space *space,
                              dial_sampler_kind kind) {
    dial_study_options options = {.name = "cmaes",
                                  .storage = storage,
                                  .direction = DIAL_MINIMIZE,
                                  .sampler = kind,
                                  .space = space,
                                  .seed = 13};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    return study;
}

/* x, y float, n int, c categorical (4 more unless "b"). */
static double study_loss(const dial_trial_record *record) {
    double sum = 0;
    for (size_t i = 0; i < record->n_params; i++) {
        const char *name = record->param_names[i];
        double v = record->param_values[i];
        if (strcmp(name, "x") == 0) sum += (v - 1.7) * (v - 1.7);
        if (strcmp(name, "y") == 0) sum += (v + 2.4) * (v + 2.4);
        if (strcmp(name, "n") == 0) sum += (v - 6) * (v - 6);
        if (strcmp(name, "c") == 0) sum += strcmp(record->param_texts[i], "b") == 0 ? 0 : 4;
    }
    return sum;
}

typedef struct study_user {
    const dial_space *space;
    bool shuffle;
} study_user;

static dial_status study_objective(void *p, dial_trial *trial, double *value, bool *pruned) {
    (void)pruned;
    const study_user *user = p;
    dial_status status = dial_trial_suggest_space(trial, user->space);
    if (status != DIAL_OK) return status;
    const dial_trial_record *record = dial_trial_get_record(trial);
    if (user->shuffle) {
        /* finish out of order: which thread ends first must not matter */
        struct timespec pause = {0, (long)((record->number * 7919) % 5) * 1000000L};
        nanosleep(&pause, NULL);
    }
    *value = study_loss(record);
    return DIAL_OK;
}

static void append_record(char *text, size_t size, const dial_trial_record *record) {
    for (size_t p = 0; p < record->n_params; p++)
        snprintf(text + strlen(text), size - strlen(text), "%s=%s ", record->param_names[p],
                 record->param_texts[p]);
    snprintf(text + strlen(text), size - strlen(text), "\n");
}

/* Every trial's values as text, one line per trial in number order. */
static char *run_study(dial_ctx *ctx, const dial_space *space, dial_sampler_kind kind, int jobs,
                       int64_t n_trials, double *best) {
    dial_study *study = open_study(ctx, NULL, space, kind);
    study_user user = {space, jobs > 1};
    dial_optimize_options options = {.n_trials = n_trials, .jobs = jobs};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, study_objective, &user, &options));
    dial_trial_list list = {0};
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    assert_int_equal(list.count, n_trials);
    char *text = calloc(1, 64 * 1024);
    assert_non_null(text);
    *best = INFINITY;
    for (size_t i = 0; i < list.count; i++) {
        assert_int_equal(list.items[i].number, (int64_t)i);
        *best = fmin(*best, list.items[i].value);
        append_record(text, 64 * 1024, &list.items[i]);
    }
    dial_trial_list_free(&list);
    dial_study_free(study);
    return text;
}

static dial_space study_space(dial_ctx *ctx) {
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_add_typed_json(ctx, &space,
                                                  "{\"x\": \"float:-5..5\", \"y\": "
                                                  "\"float:-5..5\", \"n\": \"int:1..9\", "
                                                  "\"c\": [\"a\", \"b\", \"c\"]}",
                                                  "space"));
    return space;
}

static void test_a_study_gives_the_same_trials_for_the_same_seed_and_jobs(void **state) {
    test_study_folder *f = *state;
    dial_space space = study_space(f->ctx);
    char plan[200];
    dial_study *study = open_study(f->ctx, NULL, &space, DIAL_SAMPLER_CMAES);
    dial_study_sampler_plan(study, plan, sizeof plan);
    assert_string_equal(plan, "cmaes, population 7 with IPOP restarts (qmc for the first 10 "
                              "trials; categoricals at random)");
    dial_study_free(study);
    double best1 = 0, best1again = 0, best4 = 0, best4again = 0;
    char *one = run_study(f->ctx, &space, DIAL_SAMPLER_CMAES, 1, STUDY_TRIALS, &best1);
    char *one_again = run_study(f->ctx, &space, DIAL_SAMPLER_CMAES, 1, STUDY_TRIALS, &best1again);
    char *four = run_study(f->ctx, &space, DIAL_SAMPLER_CMAES, 4, STUDY_TRIALS, &best4);
    char *four_again = run_study(f->ctx, &space, DIAL_SAMPLER_CMAES, 4, STUDY_TRIALS, &best4again);
    double random_best = 0;
    free(run_study(f->ctx, &space, DIAL_SAMPLER_RANDOM, 1, STUDY_TRIALS, &random_best));
    assert_string_equal(one, one_again);
    assert_string_equal(four, four_again);
    /* it learns with either: random search's best is twice as far */
    assert_true(best1 < random_best / 1.5);
    assert_true(best4 < random_best / 1.5);
    free(one);
    free(one_again);
    free(four);
    free(four_again);
    dial_space_free(&space);
}

/* `dial ask` once per trial: a fresh handle of the study file for each
 * ask and each tell proposes what one in-process run with one job does
 * (the history read back from the file replays to the same strategy). */
static void test_asking_once_per_process_proposes_what_one_run_does(void **state) {
    test_study_folder *f = *state;
    dial_space space = study_space(f->ctx);
    double best = 0;
    char *in_process = run_study(f->ctx, &space, DIAL_SAMPLER_CMAES, 1, ASKED_TRIALS, &best);
    char *asked = calloc(1, 64 * 1024);
    assert_non_null(asked);
    for (int i = 0; i < ASKED_TRIALS; i++) {
        dial_study *study = open_study(f->ctx, f->path, &space, DIAL_SAMPLER_CMAES);
        dial_trial *trial = NULL;
        assert_dial_ok(f->ctx, dial_study_ask(f->ctx, study, 0, &trial));
        assert_dial_ok(f->ctx, dial_trial_suggest_space(trial, &space));
        const dial_trial_record *record = dial_trial_get_record(trial);
        assert_int_equal(record->number, i);
        append_record(asked, 64 * 1024, record);
        int64_t number = record->number;
        double value = study_loss(record);
        dial_trial_release(trial);
        dial_study_free(study);
        study = open_study(f->ctx, f->path, &space, DIAL_SAMPLER_CMAES);
        assert_dial_ok(f->ctx, dial_study_tell_number(f->ctx, study, number, DIAL_TRIAL_COMPLETE,
                                                      value, NULL));
        dial_study_free(study);
    }
    assert_string_equal(asked, in_process);
    free(asked);
    free(in_process);
    dial_space_free(&space);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sphere_5d_reaches_1e_3_in_400_trials_and_beats_random),
        cmocka_unit_test(test_ellipsoid_5d_reaches_1e_3_in_1200_trials_and_beats_random),
        cmocka_unit_test(test_rosenbrock_2d_reaches_1e_4_in_800_trials),
        cmocka_unit_test(test_log_parameter_converges_on_its_log_axis),
        cmocka_unit_test(test_flat_function_restarts_with_the_population_doubled),
        cmocka_unit_test(test_a_converging_run_does_not_restart),
        cmocka_unit_test(test_a_run_stuck_in_a_local_optimum_restarts_and_finds_a_better_one),
        cmocka_unit_test(test_integers_are_valid_and_never_freeze),
        cmocka_unit_test(test_categoricals_are_valid_drawn_at_random_and_conditions_hold),
        cmocka_unit_test(test_describe_without_categoricals_or_evolving_parameters),
        cmocka_unit_test(test_same_seed_and_history_give_the_same_point),
        cmocka_unit_test(test_replaying_the_history_proposes_what_the_run_did),
        cmocka_unit_test(test_a_running_member_holds_its_generation_back),
        cmocka_unit_test(test_pruned_and_failed_trials_rank_worst),
        cmocka_unit_test(test_every_allocation_failure_is_a_clean_nomem),
        cmocka_unit_test_setup_teardown(
            test_a_study_gives_the_same_trials_for_the_same_seed_and_jobs, test_study_folder_setup,
            test_study_folder_teardown),
        cmocka_unit_test_setup_teardown(test_asking_once_per_process_proposes_what_one_run_does,
                                        test_study_folder_setup, test_study_folder_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

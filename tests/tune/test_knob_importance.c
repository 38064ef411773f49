/* Knob importance on studies whose answer is known: trials written into a
 * SQLite study through ask/tell (as `dial run` leaves them, with its typed
 * space recorded), read back as `dial knob-importance` reads them, and
 * the shares compared with the analytic ones. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/knob_importance.h"
#include "dial/tune.h"

typedef test_study_folder fixture;
#define setup test_study_folder_setup
#define teardown test_study_folder_teardown

typedef double (*objective_fn)(const dial_trial_record *record);

static double param(const dial_trial_record *record, const char *name) {
    for (size_t p = 0; p < record->n_params; p++)
        if (strcmp(record->param_names[p], name) == 0) return record->param_values[p];
    return NAN;
}

/* Writes study `name` of n trials of the typed space (QMC points) into the
 * fixture's file, each told objective(its params). */
static void write_study(fixture *fx, const char *name, const char *space_json, size_t n,
                        objective_fn objective) {
    dial_ctx *ctx = fx->ctx;
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_add_typed_json(ctx, &space, space_json, "space"));
    dial_study_identity identity = {0};
    assert_dial_ok(ctx, dial_study_identity_set(ctx, &identity, "kind", "program"));
    assert_dial_ok(ctx, dial_study_identity_set(ctx, &identity, "space", space_json));
    dial_study_options options = {.name = name,
                                  .storage = fx->path,
                                  .direction = DIAL_MINIMIZE,
                                  .sampler = DIAL_SAMPLER_QMC,
                                  .space = &space,
                                  .identity = &identity};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    for (size_t i = 0; i < n; i++) {
        dial_trial *trial = NULL;
        assert_dial_ok(ctx, dial_study_ask(ctx, study, 0, &trial));
        assert_dial_ok(ctx, dial_trial_suggest_space(trial, &space));
        double value = objective(dial_trial_get_record(trial));
        assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, value));
    }
    dial_study_free(study);
    dial_study_identity_free(&identity);
    dial_space_free(&space);
}

/* Ranks study `name` of the fixture's file as the command does: loaded
 * read-only, with the space its identity recorded. */
static dial_status rank(fixture *fx, const char *name, dial_knob_importance_method method,
                        bool pairs, uint64_t seed, dial_knob_importance_result *out) {
    dial_ctx *ctx = fx->ctx;
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_load(ctx, fx->path, name, &study));
    dial_study_identity identity = {0};
    bool found = false, has_space = false;
    dial_space space = {0};
    assert_dial_ok(ctx, dial_study_identity_read(ctx, fx->path, name, &identity, &found));
    assert_true(found);
    assert_dial_ok(ctx, dial_knob_importance_space(ctx, &identity, &space, &has_space));
    dial_knob_importance_options options = {.method = method, .pairs = pairs, .seed = seed};
    dial_status status = dial_knob_importance(ctx, study, has_space ? &space : NULL, &options, out);
    dial_space_free(&space);
    dial_study_identity_free(&identity);
    dial_study_free(study);
    return status;
}

static double share_of(const dial_knob_importance_result *r, const char *knob) {
    for (size_t i = 0; i < r->n_knobs; i++)
        if (strcmp(r->knobs[i].knob, knob) == 0) return r->knobs[i].importance;
    fail_msg("no knob %s", knob);
    return NAN;
}

static double pair_of(const dial_knob_importance_result *r, const char *a, const char *b) {
    for (size_t i = 0; i < r->n_pairs; i++)
        if (strcmp(r->pairs[i].knobs[0], a) == 0 && strcmp(r->pairs[i].knobs[1], b) == 0)
            return r->pairs[i].importance;
    fail_msg("no pair %s x %s", a, b);
    return NAN;
}

static const char *const three_knobs = "{\"x\": \"float:0..1\", \"y\": \"float:0..1\", "
                                       "\"z\": \"float:0..1\"}";

/* f = a u + b v + c u v with u = x - 1/2, v = y - 1/2 (x, y, z uniform on
 * [0, 1]): Var(a u) = a^2/12 = 0.90, Var(b v) = b^2/12 = 0.09,
 * Var(c u v) = c^2/144 = 0.01 (a^2 = 10.8, b^2 = 1.08, c^2 = 1.44), and z
 * is not in f. The functional ANOVA terms are x 0.90, y 0.09, the pair
 * x y 0.01, z 0; as shares of the single terms alone x 0.90/0.99 = 0.909,
 * y 0.09/0.99 = 0.091, z 0. */
static double ninety_nine_zero(const dial_trial_record *record) {
    double u = param(record, "x") - 0.5, v = param(record, "y") - 0.5;
    return sqrt(10.8) * u + sqrt(1.08) * v + 1.2 * u * v;
}

static void fanova_ranks_ninety_nine_zero(void **state) {
    fixture *fx = *state;
    write_study(fx, "f", three_knobs, 200, ninety_nine_zero);
    dial_knob_importance_result r;
    assert_dial_ok(fx->ctx, rank(fx, "f", DIAL_KNOB_IMPORTANCE_FANOVA, false, 0, &r));
    assert_int_equal(r.method, DIAL_KNOB_IMPORTANCE_FANOVA);
    assert_int_equal(r.n_trials, 200);
    assert_int_equal(r.n_trees, 64);
    assert_int_equal(r.n_knobs, 3);
    assert_string_equal(r.knobs[0].knob, "x");
    assert_string_equal(r.knobs[1].knob, "y");
    assert_string_equal(r.knobs[2].knob, "z");
    assert_true(fabs(share_of(&r, "x") - 0.90 / 0.99) < 0.05);
    assert_true(fabs(share_of(&r, "y") - 0.09 / 0.99) < 0.05);
    assert_true(share_of(&r, "z") < 0.05);
    assert_true(fabs(share_of(&r, "x") + share_of(&r, "y") + share_of(&r, "z") - 1) < 1e-12);
    assert_int_equal(r.n_pairs, 0);
    assert_null(r.pairs);
    dial_knob_importance_result_free(&r);
}

static void fanova_pairs_share_with_the_singles(void **state) {
    fixture *fx = *state;
    write_study(fx, "f", three_knobs, 200, ninety_nine_zero);
    dial_knob_importance_result r;
    assert_dial_ok(fx->ctx, rank(fx, "f", DIAL_KNOB_IMPORTANCE_FANOVA, true, 0, &r));
    assert_int_equal(r.n_pairs, 3);
    assert_true(fabs(share_of(&r, "x") - 0.90) < 0.05);
    assert_true(fabs(share_of(&r, "y") - 0.09) < 0.05);
    assert_true(share_of(&r, "z") < 0.05);
    assert_true(fabs(pair_of(&r, "x", "y") - 0.01) < 0.05);
    assert_true(pair_of(&r, "x", "z") < 0.05);
    assert_true(pair_of(&r, "y", "z") < 0.05);
    double total = 0;
    for (size_t i = 0; i < r.n_knobs; i++) total += r.knobs[i].importance;
    for (size_t i = 0; i < r.n_pairs; i++) total += r.pairs[i].importance;
    assert_true(fabs(total - 1) < 1e-12);
    dial_knob_importance_result_free(&r);
}

/* f = (x - 1/2)(y - 1/2): both single marginals are 0 everywhere, so all
 * of the variance is the pair's: x 0, y 0, x y 1. */
static double interaction_only(const dial_trial_record *record) {
    return (param(record, "x") - 0.5) * (param(record, "y") - 0.5);
}

static void fanova_finds_an_interaction_only_pair(void **state) {
    fixture *fx = *state;
    write_study(fx, "i", "{\"x\": \"float:0..1\", \"y\": \"float:0..1\"}", 200, interaction_only);
    dial_knob_importance_result r;
    assert_dial_ok(fx->ctx, rank(fx, "i", DIAL_KNOB_IMPORTANCE_FANOVA, true, 0, &r));
    assert_int_equal(r.n_pairs, 1);
    double pair = pair_of(&r, "x", "y");
    assert_true(pair > 0.5);
    assert_true(pair > 3 * share_of(&r, "x"));
    assert_true(pair > 3 * share_of(&r, "y"));
    dial_knob_importance_result_free(&r);
}

static void ped_anova_ranks_ninety_nine_zero(void **state) {
    fixture *fx = *state;
    write_study(fx, "f", three_knobs, 400, ninety_nine_zero);
    dial_knob_importance_result r;
    assert_dial_ok(fx->ctx, rank(fx, "f", DIAL_KNOB_IMPORTANCE_PED_ANOVA, false, 0, &r));
    assert_int_equal(r.method, DIAL_KNOB_IMPORTANCE_PED_ANOVA);
    assert_string_equal(r.knobs[0].knob, "x");
    assert_string_equal(r.knobs[1].knob, "y");
    assert_string_equal(r.knobs[2].knob, "z");
    assert_true(share_of(&r, "x") > 0.5);
    dial_knob_importance_result_free(&r);
}

static void the_same_seed_gives_the_same_shares(void **state) {
    fixture *fx = *state;
    write_study(fx, "f", three_knobs, 60, ninety_nine_zero);
    dial_knob_importance_result a, b, c;
    assert_dial_ok(fx->ctx, rank(fx, "f", DIAL_KNOB_IMPORTANCE_FANOVA, true, 7, &a));
    assert_dial_ok(fx->ctx, rank(fx, "f", DIAL_KNOB_IMPORTANCE_FANOVA, true, 7, &b));
    assert_dial_ok(fx->ctx, rank(fx, "f", DIAL_KNOB_IMPORTANCE_FANOVA, true, 8, &c));
    bool differs = false;
    for (size_t i = 0; i < a.n_knobs; i++) {
        assert_string_equal(a.knobs[i].knob, b.knobs[i].knob);
        assert_true(a.knobs[i].importance == b.knobs[i].importance);
        differs |= share_of(&c, a.knobs[i].knob) != a.knobs[i].importance;
    }
    for (size_t i = 0; i < a.n_pairs; i++)
        assert_true(a.pairs[i].importance == b.pairs[i].importance);
    /* The seed is the forest's: another one grows other trees. */
    assert_true(differs);
    dial_knob_importance_result_free(&a);
    dial_knob_importance_result_free(&b);
    dial_knob_importance_result_free(&c);
}

/* f = 4 (m - 1/2) when opt = a, 0 when opt = b, plus 2 (x - 1/2); m is
 * active only when opt = a, half the trials. Var(f) = 1/2 * 16/12 + 4/12
 * = 1 (the branches' means are both 0, so opt alone explains nothing).
 * Over the trials with opt = a the variance is 16/12 + 4/12 = 5/3, of
 * which m explains 4/5, and those trials hold half of 5/3 of the study's
 * variance 1, 5/6 of it: m's term is 4/5 * 5/6 = 2/3. x's term over all
 * trials is 1/3, opt's 0. */
static double conditional(const dial_trial_record *record) {
    double x = param(record, "x");
    double tail = 2 * (x - 0.5);
    return param(record, "opt") == 0 ? 4 * (param(record, "m") - 0.5) + tail : tail;
}

static void a_conditional_knob_is_judged_where_it_was_active(void **state) {
    fixture *fx = *state;
    write_study(
        fx, "c",
        "{\"opt\": [\"a\", \"b\"], \"m\": {\"range\": \"float:0..1\", \"when\": \"opt=a\"}, "
        "\"x\": \"float:0..1\"}",
        300, conditional);
    dial_knob_importance_result r;
    assert_dial_ok(fx->ctx, rank(fx, "c", DIAL_KNOB_IMPORTANCE_FANOVA, false, 0, &r));
    assert_string_equal(r.knobs[0].knob, "m");
    assert_string_equal(r.knobs[1].knob, "x");
    assert_string_equal(r.knobs[2].knob, "opt");
    assert_true(fabs(share_of(&r, "m") - 2.0 / 3) < 0.05);
    assert_true(fabs(share_of(&r, "x") - 1.0 / 3) < 0.05);
    assert_true(share_of(&r, "opt") < 0.05);
    assert_true(r.knobs[0].n_trials > 100 && r.knobs[0].n_trials < 200);
    assert_int_equal(r.knobs[1].n_trials, 300);
    dial_knob_importance_result_free(&r);
}

/* f = log10(lr) + 2 x, lr log-uniform on [1e-5, 1e-1]: on lr's log axis
 * log10(lr) is uniform on [-5, -1], variance 16/12, and 2 x has 4/12: the
 * shares are 0.8 and 0.2. Judged on a linear axis instead (no space), lr
 * would be a step near 0 of a mostly flat function, and its share far
 * smaller: the recorded log scale is what makes the answer right. */
static double log_knob(const dial_trial_record *record) {
    return log10(param(record, "lr")) + 2 * param(record, "x");
}

static void a_log_knob_is_judged_on_its_log_axis(void **state) {
    fixture *fx = *state;
    write_study(fx, "l", "{\"lr\": \"float:1e-5..1e-1:log\", \"x\": \"float:0..1\"}", 200,
                log_knob);
    dial_knob_importance_result r;
    assert_dial_ok(fx->ctx, rank(fx, "l", DIAL_KNOB_IMPORTANCE_FANOVA, false, 0, &r));
    assert_true(fabs(share_of(&r, "lr") - 0.8) < 0.05);
    assert_true(fabs(share_of(&r, "x") - 0.2) < 0.05);
    dial_knob_importance_result_free(&r);
    dial_study *study = NULL;
    assert_dial_ok(fx->ctx, dial_study_load(fx->ctx, fx->path, "l", &study));
    dial_knob_importance_options options = {0};
    assert_dial_ok(fx->ctx, dial_knob_importance(fx->ctx, study, NULL, &options, &r));
    assert_true(share_of(&r, "lr") < 0.6);
    dial_knob_importance_result_free(&r);
    dial_study_free(study);
}

/* f = (0, 1, 3 for opt = a, b, c) + 2 x: the categories weigh 1/3 each,
 * so opt's variance is ((4/3)^2 + (1/3)^2 + (5/3)^2) / 3 = 14/9 and x's
 * 1/3: shares 14/17 = 0.824 and 3/17 = 0.176. */
static double categorical(const dial_trial_record *record) {
    static const double level[] = {0, 1, 3};
    return level[(size_t)param(record, "opt")] + 2 * param(record, "x");
}

static void a_categorical_knob_is_judged_by_its_categories(void **state) {
    fixture *fx = *state;
    write_study(fx, "k", "{\"opt\": [\"a\", \"b\", \"c\"], \"x\": \"float:0..1\"}", 150,
                categorical);
    dial_knob_importance_result r;
    assert_dial_ok(fx->ctx, rank(fx, "k", DIAL_KNOB_IMPORTANCE_FANOVA, true, 0, &r));
    assert_true(fabs(share_of(&r, "opt") - 14.0 / 17) < 0.05);
    assert_true(fabs(share_of(&r, "x") - 3.0 / 17) < 0.05);
    assert_true(pair_of(&r, "opt", "x") < 0.05);
    dial_knob_importance_result_free(&r);
}

/* A study written through the C API with chosen values and no identity:
 * the knobs' ranges come from the trials. */
static void tell_values(fixture *fx, const char *name, size_t n, const double *x, const double *w,
                        const double *value) {
    dial_ctx *ctx = fx->ctx;
    dial_study_options options = {.name = name, .storage = fx->path};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    for (size_t i = 0; i < n; i++) {
        dial_trial *trial = NULL;
        double got;
        assert_dial_ok(ctx, dial_study_ask(ctx, study, 0, &trial));
        assert_dial_ok(ctx, dial_trial_suggest_float(trial, "x", x[i], x[i], DIAL_LINEAR, &got));
        assert_dial_ok(ctx, dial_trial_suggest_float(trial, "w", w[i], w[i], DIAL_LINEAR, &got));
        assert_dial_ok(ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, value[i]));
    }
    dial_study_free(study);
}

static dial_status rank_plain(fixture *fx, const char *name, dial_knob_importance_result *out) {
    dial_study *study = NULL;
    assert_dial_ok(fx->ctx, dial_study_load(fx->ctx, fx->path, name, &study));
    dial_knob_importance_options options = {0};
    dial_status status = dial_knob_importance(fx->ctx, study, NULL, &options, out);
    dial_study_free(study);
    return status;
}

static void a_knob_that_never_varied_gets_zero_and_says_so(void **state) {
    fixture *fx = *state;
    double x[] = {0.1, 0.9, 0.3, 0.7, 0.5, 0.2}, w[] = {3, 3, 3, 3, 3, 3};
    double value[] = {1, 9, 3, 7, 5, 2};
    tell_values(fx, "still", 6, x, w, value);
    dial_knob_importance_result r;
    assert_dial_ok(fx->ctx, rank_plain(fx, "still", &r));
    assert_int_equal(r.n_knobs, 2);
    assert_string_equal(r.knobs[0].knob, "x");
    assert_true(r.knobs[0].varied);
    assert_true(fabs(r.knobs[0].importance - 1) < 1e-12);
    assert_string_equal(r.knobs[1].knob, "w");
    assert_false(r.knobs[1].varied);
    assert_true(r.knobs[1].importance == 0);
    assert_string_equal(r.knobs[1].value_text, "3");
    assert_int_equal(r.knobs[1].n_trials, 6);
    dial_knob_importance_result_free(&r);
}

static void refused_when_no_knob_varied(void **state) {
    fixture *fx = *state;
    double x[] = {0.5, 0.5, 0.5}, w[] = {3, 3, 3}, value[] = {1, 2, 3};
    tell_values(fx, "flat", 3, x, w, value);
    dial_knob_importance_result r;
    char expected[512];
    snprintf(expected, sizeof expected,
             "study 'flat' in %s: no knob took two values across its 3 complete trials, so none "
             "can explain the objective; search a range of at least one knob",
             fx->path);
    assert_dial_error(fx->ctx, rank_plain(fx, "flat", &r), DIAL_ERR_DATA, expected);
}

static void refused_with_one_complete_trial(void **state) {
    fixture *fx = *state;
    double x[] = {0.5}, w[] = {3}, value[] = {1};
    tell_values(fx, "one", 1, x, w, value);
    dial_knob_importance_result r;
    char expected[512];
    snprintf(expected, sizeof expected,
             "study 'one' in %s has 1 complete trial; knob importance needs at least 2 (run more "
             "trials in it first)",
             fx->path);
    assert_dial_error(fx->ctx, rank_plain(fx, "one", &r), DIAL_ERR_DATA, expected);
}

static void refused_with_no_complete_trial(void **state) {
    fixture *fx = *state;
    dial_study_options options = {.name = "empty", .storage = fx->path};
    dial_study *study = NULL;
    assert_dial_ok(fx->ctx, dial_study_open(fx->ctx, &options, &study));
    dial_trial *trial = NULL;
    assert_dial_ok(fx->ctx, dial_study_ask(fx->ctx, study, 0, &trial));
    assert_dial_ok(fx->ctx, dial_study_tell(fx->ctx, study, trial, DIAL_TRIAL_FAILED, NAN));
    dial_study_free(study);
    dial_knob_importance_result r;
    char expected[512];
    snprintf(expected, sizeof expected,
             "study 'empty' in %s has 0 complete trials; knob importance needs at least 2 (run "
             "more trials in it first)",
             fx->path);
    assert_dial_error(fx->ctx, rank_plain(fx, "empty", &r), DIAL_ERR_DATA, expected);
}

static void refused_when_the_objective_never_changed(void **state) {
    fixture *fx = *state;
    double x[] = {0.1, 0.5, 0.9}, w[] = {1, 2, 3}, value[] = {0.25, 0.25, 0.25};
    tell_values(fx, "same", 3, x, w, value);
    dial_knob_importance_result r;
    char expected[512];
    snprintf(expected, sizeof expected,
             "study 'same' in %s: the objective was 0.25 in all 3 complete trials, so no knob "
             "explains any of its variation",
             fx->path);
    assert_dial_error(fx->ctx, rank_plain(fx, "same", &r), DIAL_ERR_DATA, expected);
}

static void pairs_need_fanova(void **state) {
    fixture *fx = *state;
    dial_knob_importance_result r;
    dial_knob_importance_options options = {.method = DIAL_KNOB_IMPORTANCE_PED_ANOVA,
                                            .pairs = true};
    assert_dial_error(fx->ctx, dial_knob_importance(fx->ctx, NULL, NULL, &options, &r),
                      DIAL_ERR_ARGUMENT,
                      "PED-ANOVA judges the knobs one at a time: pairs need fANOVA");
}

/* The space dial tune records ("space" with "model") reads back against
 * the model's knob table: C on its log axis, the kernel's choices. */
static void a_tuned_models_space_reads_back(void **state) {
    fixture *fx = *state;
    dial_ctx *ctx = fx->ctx;
    dial_study_identity identity = {0};
    assert_dial_ok(ctx, dial_study_identity_set(ctx, &identity, "model", "svm"));
    assert_dial_ok(ctx, dial_study_identity_set(ctx, &identity, "space",
                                                "C=0.03125..32768:log; kernel=rbf|linear"));
    dial_space space = {0};
    bool found = false;
    assert_dial_ok(ctx, dial_knob_importance_space(ctx, &identity, &space, &found));
    assert_true(found);
    long c = dial_space_find(&space, "C"), kernel = dial_space_find(&space, "kernel");
    assert_true(c >= 0 && kernel >= 0);
    assert_true(space.params[c].log);
    assert_true(space.params[c].low == 0.03125 && space.params[c].high == 32768);
    assert_int_equal(space.params[kernel].kind, DIAL_PARAM_CHOICE);
    assert_int_equal(space.params[kernel].n_choices, 2);
    dial_space_free(&space);
    dial_study_identity_free(&identity);
    dial_study_identity none = {0};
    assert_dial_ok(ctx, dial_knob_importance_space(ctx, &none, &space, &found));
    assert_false(found);
}

typedef struct failing_hook {
    long count, fail_at; /* fail_at 1-based; 0 refuses none */
} failing_hook;

static bool refuse_nth(void *user, size_t size) {
    (void)size;
    failing_hook *hook = user;
    return ++hook->count != hook->fail_at;
}

/* Every allocation of the procedure may fail: each refusal ends in a clean
 * DIAL_ERR_NOMEM ("out of memory"), or, for one it can do without, in the
 * undisturbed result; ASan (build-asan) checks that none leaks. */
static void every_allocation_may_fail(void **state) {
    fixture *fx = *state;
    write_study(fx, "f", three_knobs, 12, ninety_nine_zero);
    dial_ctx *ctx = fx->ctx;
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_load(ctx, fx->path, "f", &study));
    dial_knob_importance_options options = {.pairs = true, .n_trees = 3};
    dial_knob_importance_result expected;
    failing_hook hook = {0, 0};
    dial_ctx_set_alloc_hook(ctx, refuse_nth, &hook);
    assert_dial_ok(ctx, dial_knob_importance(ctx, study, NULL, &options, &expected));
    long total = hook.count;
    assert_true(total > 50);
    for (long n = 1; n <= total; n++) {
        hook = (failing_hook){0, n};
        dial_knob_importance_result got;
        dial_status status = dial_knob_importance(ctx, study, NULL, &options, &got);
        if (status == DIAL_OK) {
            for (size_t i = 0; i < expected.n_knobs; i++)
                assert_true(got.knobs[i].importance == expected.knobs[i].importance);
            dial_knob_importance_result_free(&got);
            continue;
        }
        assert_int_equal(status, DIAL_ERR_NOMEM);
        if (!strstr(dial_ctx_error(ctx), "out of memory"))
            fail_msg("refusing allocation %ld: %s", n, dial_ctx_error(ctx));
        assert_null(got.knobs);
    }
    dial_ctx_set_alloc_hook(ctx, NULL, NULL);
    dial_knob_importance_result_free(&expected);
    dial_study_free(study);
}

static void the_methods_have_names(void **state) {
    (void)state;
    dial_knob_importance_method method = DIAL_KNOB_IMPORTANCE_FANOVA;
    assert_true(dial_knob_importance_method_parse("ped-anova", &method));
    assert_int_equal(method, DIAL_KNOB_IMPORTANCE_PED_ANOVA);
    assert_string_equal(dial_knob_importance_method_name(method), "ped-anova");
    assert_true(dial_knob_importance_method_parse("fanova", &method));
    assert_string_equal(dial_knob_importance_method_name(method), "fanova");
    assert_false(dial_knob_importance_method_parse("anova", &method));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(fanova_ranks_ninety_nine_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(fanova_pairs_share_with_the_singles, setup, teardown),
        cmocka_unit_test_setup_teardown(fanova_finds_an_interaction_only_pair, setup, teardown),
        cmocka_unit_test_setup_teardown(ped_anova_ranks_ninety_nine_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(the_same_seed_gives_the_same_shares, setup, teardown),
        cmocka_unit_test_setup_teardown(a_conditional_knob_is_judged_where_it_was_active, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_log_knob_is_judged_on_its_log_axis, setup, teardown),
        cmocka_unit_test_setup_teardown(a_categorical_knob_is_judged_by_its_categories, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_knob_that_never_varied_gets_zero_and_says_so, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(refused_when_no_knob_varied, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_with_one_complete_trial, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_with_no_complete_trial, setup, teardown),
        cmocka_unit_test_setup_teardown(refused_when_the_objective_never_changed, setup, teardown),
        cmocka_unit_test_setup_teardown(pairs_need_fanova, setup, teardown),
        cmocka_unit_test_setup_teardown(a_tuned_models_space_reads_back, setup, teardown),
        cmocka_unit_test_setup_teardown(every_allocation_may_fail, setup, teardown),
        cmocka_unit_test(the_methods_have_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

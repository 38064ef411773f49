/* The knob schema: parsing, validation messages, conditions, formatting. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const penalty_choices[] = {"l2", "l1", "none", NULL};
static const char *const metric_choices[] = {"euclidean", "minkowski", NULL};
static const char *const p_mode_choices[] = {"exact", "fast", NULL};

/* One knob of every type, every kind of bound and every kind of condition. */
static const dial_knob_spec svm_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "C",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1.0",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .upper_open = true,
     .has_search_range = true,
     .search_low = 0x1p-5,
     .search_high = 0x1p15,
     .log_scale = true,
     .condition = "",
     .doc = "inverse regularisation strength"},
    {.name = "l1_ratio",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0.5",
     .lower = 0,
     .upper = 1,
     .condition = "",
     .doc = "share of the l1 penalty"},
    {.name = "tol",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1e-4",
     .lower = 0,
     .lower_open = true,
     .upper = 1,
     .condition = "",
     .doc = "stopping tolerance"},
    {.name = "shrink",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0",
     .lower = -INFINITY,
     .upper = 5,
     .condition = "",
     .doc = "an upper bound only"},
    {.name = "offset",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "-2.5",
     .lower = -INFINITY,
     .lower_open = true,
     .upper = INFINITY,
     .upper_open = true,
     .condition = "",
     .doc = "no bound at all"},
    {.name = "k",
     .type = DIAL_KNOB_INT,
     .default_text = "5",
     .lower = 1,
     .upper = INFINITY,
     .condition = "",
     .doc = "an integer"},
    {.name = "fit_intercept",
     .type = DIAL_KNOB_BOOL,
     .default_text = "true",
     .condition = "",
     .doc = "a bool"},
    {.name = "penalty",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "l2",
     .choices = penalty_choices,
     .condition = "",
     .doc = "a choice"},
    {.name = "metric",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "euclidean",
     .choices = metric_choices,
     .condition = "",
     .doc = "controls p"},
    {.name = "p",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "2",
     .lower = 1,
     .upper = INFINITY,
     .condition = "metric=minkowski",
     .doc = "closed infinite upper bound: inf is a valid value"},
    {.name = "gamma",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0.1",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .upper_open = true,
     .condition = "penalty=l1|l2",
     .doc = "a condition with alternatives"},
    {.name = "jitter",
     .type = DIAL_KNOB_BOOL,
     .default_text = "false",
     .condition = "fit_intercept=true",
     .doc = "a condition on a bool"},
    {.name = "p_mode",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "exact",
     .choices = p_mode_choices,
     .condition = "metric=minkowski",
     .doc = "itself conditional"},
    {.name = "p_tolerance",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0.01",
     .lower = 0,
     .upper = INFINITY,
     .upper_open = true,
     .condition = "p_mode=fast",
     .doc = "depends on a conditional knob"},
};
#define SVM_N_KNOBS (sizeof svm_knobs / sizeof svm_knobs[0])

typedef struct fixture {
    dial_ctx *ctx;
    dial_knobs knobs;
} fixture;

static int setup(void **state) {
    fixture *f = calloc(1, sizeof *f);
    f->ctx = test_ctx();
    assert_dial_ok(f->ctx, dial_knobs_init(f->ctx, "svm", svm_knobs, SVM_N_KNOBS, &f->knobs));
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    dial_knobs_free(&f->knobs);
    dial_ctx_free(f->ctx);
    free(f);
    return 0;
}

#define F fixture *f = *state
#define EXPECT_KNOB_ERROR(call, message) assert_dial_error(f->ctx, call, DIAL_ERR_KNOB, message)

static void format_knob(const dial_knobs *knobs, const char *name, char *buf, size_t size) {
    long i = dial_knobs_find(knobs, name);
    assert_true(i >= 0);
    dial_knobs_format(knobs, (size_t)i, buf, size);
}

static const dial_knob_spec *spec_named(const char *name) {
    for (size_t i = 0; i < SVM_N_KNOBS; i++)
        if (strcmp(svm_knobs[i].name, name) == 0) return &svm_knobs[i];
    fail_msg("no knob %s", name);
    return NULL;
}

/* ---- defaults and getters ---------------------------------------------------------- */

static void init_sets_every_default(void **state) {
    F;
    assert_int_equal(f->knobs.n, SVM_N_KNOBS);
    assert_string_equal(dial_knobs_choice(&f->knobs, "impute"), "mean");
    assert_string_equal(dial_knobs_choice(&f->knobs, "scale"), "standard");
    assert_true(dial_knobs_float(&f->knobs, "C") == 1.0);
    assert_true(dial_knobs_float(&f->knobs, "tol") == 1e-4);
    assert_true(dial_knobs_float(&f->knobs, "offset") == -2.5);
    assert_int_equal(dial_knobs_int(&f->knobs, "k"), 5);
    assert_true(dial_knobs_bool(&f->knobs, "fit_intercept"));
    assert_false(dial_knobs_bool(&f->knobs, "jitter"));
    assert_string_equal(dial_knobs_choice(&f->knobs, "penalty"), "l2");
    for (size_t i = 0; i < f->knobs.n; i++) assert_false(f->knobs.values[i].set_by_user);
}

static void getters_of_an_unknown_name_return_zero(void **state) {
    F;
    assert_true(dial_knobs_float(&f->knobs, "nope") == 0);
    assert_int_equal(dial_knobs_int(&f->knobs, "nope"), 0);
    assert_false(dial_knobs_bool(&f->knobs, "nope"));
    assert_string_equal(dial_knobs_choice(&f->knobs, "nope"), "");
    assert_int_equal(dial_knobs_find(&f->knobs, "nope"), -1);
    assert_int_equal(dial_knobs_find(&f->knobs, "C"), 2);
}

static void type_names(void **state) {
    (void)state;
    assert_string_equal(dial_knob_type_name(DIAL_KNOB_FLOAT), "float");
    assert_string_equal(dial_knob_type_name(DIAL_KNOB_INT), "int");
    assert_string_equal(dial_knob_type_name(DIAL_KNOB_BOOL), "bool");
    assert_string_equal(dial_knob_type_name(DIAL_KNOB_CHOICE), "choice");
}

/* src/data/preprocess.h's enums index these arrays. */
static void preprocess_choices_keep_their_order(void **state) {
    (void)state;
    const char *impute[] = {"mean", "median", "most_frequent", "none"};
    const char *scale[] = {"none", "standard", "minmax", "maxabs"};
    for (size_t i = 0; i < 4; i++) assert_string_equal(dial_impute_choices[i], impute[i]);
    assert_null(dial_impute_choices[4]);
    for (size_t i = 0; i < 4; i++) assert_string_equal(dial_scale_choices[i], scale[i]);
    assert_null(dial_scale_choices[4]);
}

/* ---- floats ---------------------------------------------------------------------------- */

static void float_accepts_plain_exponent_and_padded_text(void **state) {
    F;
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "C", "1e-3"));
    assert_true(dial_knobs_float(&f->knobs, "C") == 1e-3);
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "C", " 0.5 "));
    assert_true(dial_knobs_float(&f->knobs, "C") == 0.5);
    assert_true(f->knobs.values[dial_knobs_find(&f->knobs, "C")].set_by_user);
}

static void float_below_an_open_lower_bound_is_out_of_range(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "C", "-1"),
                      "knob 'C' = -1 is out of range: must be > 0");
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "C", "0"),
                      "knob 'C' = 0 is out of range: must be > 0");
    assert_true(dial_knobs_float(&f->knobs, "C") == 1.0);
}

static void float_outside_a_closed_interval_is_out_of_range(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "l1_ratio", "2"),
                      "knob 'l1_ratio' = 2 is out of range: must be in [0, 1]");
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "l1_ratio", "0"));
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "l1_ratio", "1"));
}

static void float_at_an_open_end_of_an_interval_is_out_of_range(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "tol", "0"),
                      "knob 'tol' = 0 is out of range: must be in (0, 1]");
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "tol", "1"));
}

static void float_above_an_upper_bound_is_out_of_range(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "shrink", "6"),
                      "knob 'shrink' = 6 is out of range: must be <= 5");
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "shrink", "-1e300"));
}

static void float_infinity_needs_a_closed_infinite_bound(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "C", "inf"),
                      "knob 'C' = inf is out of range: must be > 0 and finite");
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "offset", "-inf"),
                      "knob 'offset' = -inf is out of range: must be finite");
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "C", "-inf"),
                      "knob 'C' = -inf is out of range: must be > 0");
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "p", "inf"));
    assert_true(isinf(dial_knobs_float(&f->knobs, "p")));
}

static void float_that_is_not_a_number_is_refused(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "C", "abc"),
                      "knob 'C' expects a number, got 'abc'");
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "C", "1.5x"),
                      "knob 'C' expects a number, got '1.5x'");
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "C", ""),
                      "knob 'C' expects a number, got ''");
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "C", "nan"),
                      "knob 'C' expects a number, got 'nan'");
}

/* ---- integers, bools, choices ---------------------------------------------------------- */

static void int_accepts_integer_literals(void **state) {
    F;
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "k", "7"));
    assert_int_equal(dial_knobs_int(&f->knobs, "k"), 7);
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "k", "+12"));
    assert_int_equal(dial_knobs_int(&f->knobs, "k"), 12);
}

static void int_refuses_fractions_and_exponents(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "k", "2.5"),
                      "knob 'k' expects an integer, got '2.5'");
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "k", "1e2"),
                      "knob 'k' expects an integer, got '1e2'");
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "k", "7.0"),
                      "knob 'k' expects an integer, got '7.0'");
    assert_int_equal(dial_knobs_int(&f->knobs, "k"), 5);
}

static void int_below_its_bound_is_out_of_range(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "k", "0"),
                      "knob 'k' = 0 is out of range: must be >= 1");
}

static void int_too_large_for_a_double_is_out_of_range(void **state) {
    F;
    EXPECT_KNOB_ERROR(
        dial_knobs_set(f->ctx, &f->knobs, "k", "99999999999999999999"),
        "knob 'k' = 99999999999999999999 is out of range: must be >= 1 and at most 2^53 in "
        "magnitude");
}

/* A double holds every integer only up to 2^53: 2^53 + 1 would be kept as
 * 2^53, a value the user did not write. */
static void int_just_past_2_to_the_53_is_out_of_range(void **state) {
    F;
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "k", "9007199254740992"));
    assert_true(dial_knobs_float(&f->knobs, "k") == 9007199254740992.0);
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "k", "9007199254740993"),
                      "knob 'k' = 9007199254740993 is out of range: must be >= 1 and at most 2^53 "
                      "in magnitude");
    assert_true(dial_knobs_float(&f->knobs, "k") == 9007199254740992.0);
}

static void float_overflowing_to_infinity_is_out_of_range(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "C", "1e999"),
                      "knob 'C' = 1e999 is out of range: must be > 0 and finite");
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "tol", "inf"),
                      "knob 'tol' = inf is out of range: must be in (0, 1]");
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "C", "1e-400"),
                      "knob 'C' = 1e-400 is out of range: must be > 0");
}

static void hexadecimal_numbers_are_refused_with_the_range(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "C", "0x1p3"),
                      "knob 'C' = 0x1p3 is written in hexadecimal: must be a decimal number > 0");
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "offset", "-0X1.8p1"),
                      "knob 'offset' = -0X1.8p1 is written in hexadecimal: must be a decimal "
                      "number");
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "k", "0x10"),
                      "knob 'k' = 0x10 is written in hexadecimal: must be a decimal integer >= 1");
    assert_true(dial_knobs_float(&f->knobs, "C") == 1.0);
    assert_int_equal(dial_knobs_int(&f->knobs, "k"), 5);
}

static void bool_accepts_the_usual_spellings(void **state) {
    F;
    const char *yes[] = {"true", "1", "yes", "TRUE", "Yes"};
    const char *no[] = {"false", "0", "no", "False"};
    for (size_t i = 0; i < 5; i++) {
        assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "fit_intercept", "false"));
        assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "fit_intercept", yes[i]));
        assert_true(dial_knobs_bool(&f->knobs, "fit_intercept"));
    }
    for (size_t i = 0; i < 4; i++) {
        assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "fit_intercept", "true"));
        assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "fit_intercept", no[i]));
        assert_false(dial_knobs_bool(&f->knobs, "fit_intercept"));
    }
}

static void bool_refuses_anything_else(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "fit_intercept", "maybe"),
                      "knob 'fit_intercept' expects true or false, got 'maybe'");
}

static void choice_accepts_a_listed_value(void **state) {
    F;
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "penalty", "none"));
    assert_string_equal(dial_knobs_choice(&f->knobs, "penalty"), "none");
    assert_true(f->knobs.values[dial_knobs_find(&f->knobs, "penalty")].number == 2);
}

static void choice_refuses_an_unlisted_value(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "penalty", "l3"),
                      "knob 'penalty' = 'l3' is not one of: l2, l1, none");
}

/* ---- names and assignments ---------------------------------------------------------------- */

static void unknown_knob_suggests_a_close_name(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "gama", "1"),
                      "unknown knob 'gama' for svm; did you mean 'gamma'?");
}

static void unknown_knob_far_from_any_lists_them_all(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set(f->ctx, &f->knobs, "zzzzzzzzzz", "1"),
                      "unknown knob 'zzzzzzzzzz' for svm; known knobs: impute, scale, C, "
                      "l1_ratio, tol, shrink, offset, k, fit_intercept, penalty, metric, p, "
                      "gamma, jitter, p_mode, p_tolerance");
}

static void assignment_sets_name_equals_value(void **state) {
    F;
    assert_dial_ok(f->ctx, dial_knobs_set_assignment(f->ctx, &f->knobs, "k=9"));
    assert_int_equal(dial_knobs_int(&f->knobs, "k"), 9);
    assert_dial_ok(f->ctx, dial_knobs_set_assignment(f->ctx, &f->knobs, " C = 0.25 "));
    assert_true(dial_knobs_float(&f->knobs, "C") == 0.25);
}

static void assignment_without_equals_sign_is_refused(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set_assignment(f->ctx, &f->knobs, "k"),
                      "knob setting 'k' for svm is not of the form name=value");
    EXPECT_KNOB_ERROR(dial_knobs_set_assignment(f->ctx, &f->knobs, "=3"),
                      "knob setting '=3' for svm is not of the form name=value");
}

static void assignment_passes_on_value_errors(void **state) {
    F;
    EXPECT_KNOB_ERROR(dial_knobs_set_assignment(f->ctx, &f->knobs, "C=-1"),
                      "knob 'C' = -1 is out of range: must be > 0");
}

/* ---- numbers ----------------------------------------------------------------------------------
 */

static void set_number_validates_like_text(void **state) {
    F;
    assert_dial_ok(f->ctx, dial_knobs_set_number(f->ctx, &f->knobs, "C", 3.5));
    assert_true(dial_knobs_float(&f->knobs, "C") == 3.5);
    EXPECT_KNOB_ERROR(dial_knobs_set_number(f->ctx, &f->knobs, "C", -1),
                      "knob 'C' = -1 is out of range: must be > 0");
    EXPECT_KNOB_ERROR(dial_knobs_set_number(f->ctx, &f->knobs, "C", NAN),
                      "knob 'C' expects a number, got 'nan'");
    EXPECT_KNOB_ERROR(dial_knobs_set_number(f->ctx, &f->knobs, "k", 2.5),
                      "knob 'k' expects an integer, got '2.5'");
    EXPECT_KNOB_ERROR(dial_knobs_set_number(f->ctx, &f->knobs, "fit_intercept", 2),
                      "knob 'fit_intercept' expects true or false, got '2'");
    EXPECT_KNOB_ERROR(dial_knobs_set_number(f->ctx, &f->knobs, "nope", 1),
                      "unknown knob 'nope' for svm; known knobs: impute, scale, C, l1_ratio, tol, "
                      "shrink, offset, k, fit_intercept, penalty, metric, p, gamma, jitter, "
                      "p_mode, p_tolerance");
}

static void set_number_takes_a_choice_index(void **state) {
    F;
    assert_dial_ok(f->ctx, dial_knobs_set_number(f->ctx, &f->knobs, "penalty", 1));
    assert_string_equal(dial_knobs_choice(&f->knobs, "penalty"), "l1");
    EXPECT_KNOB_ERROR(dial_knobs_set_number(f->ctx, &f->knobs, "penalty", 3),
                      "knob 'penalty' choice index 3 is out of range: must be an integer in [0, "
                      "2] (l2, l1, none)");
}

/* ---- conditions
 * ----------------------------------------------------------------------------------- */

static void conditional_knob_follows_its_controller(void **state) {
    F;
    size_t p = (size_t)dial_knobs_find(&f->knobs, "p");
    assert_false(dial_knobs_active(&f->knobs, p));
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "metric", "minkowski"));
    assert_true(dial_knobs_active(&f->knobs, p));
}

static void condition_with_alternatives_matches_any_of_them(void **state) {
    F;
    size_t gamma = (size_t)dial_knobs_find(&f->knobs, "gamma");
    assert_true(dial_knobs_active(&f->knobs, gamma));
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "penalty", "l1"));
    assert_true(dial_knobs_active(&f->knobs, gamma));
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "penalty", "none"));
    assert_false(dial_knobs_active(&f->knobs, gamma));
}

static void condition_on_a_bool_knob(void **state) {
    F;
    size_t jitter = (size_t)dial_knobs_find(&f->knobs, "jitter");
    assert_true(dial_knobs_active(&f->knobs, jitter));
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "fit_intercept", "no"));
    assert_false(dial_knobs_active(&f->knobs, jitter));
}

static void knob_under_an_inactive_knob_is_inactive(void **state) {
    F;
    size_t tolerance = (size_t)dial_knobs_find(&f->knobs, "p_tolerance");
    f->knobs.values[dial_knobs_find(&f->knobs, "p_mode")].number = 1; /* fast, by default */
    assert_false(dial_knobs_active(&f->knobs, tolerance));
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "metric", "minkowski"));
    assert_true(dial_knobs_active(&f->knobs, tolerance));
}

static void check_refuses_an_inactive_knob_set_by_the_user(void **state) {
    F;
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "p", "3"));
    EXPECT_KNOB_ERROR(dial_knobs_check(f->ctx, &f->knobs),
                      "knob 'p' is inactive: it applies only when metric=minkowski");
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "metric", "minkowski"));
    assert_dial_ok(f->ctx, dial_knobs_check(f->ctx, &f->knobs));
}

static void check_accepts_inactive_defaults(void **state) {
    F;
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "penalty", "none"));
    assert_dial_ok(f->ctx, dial_knobs_check(f->ctx, &f->knobs));
}

/* ---- formatting
 * ------------------------------------------------------------------------------------ */

static void format_writes_every_type(void **state) {
    F;
    char buf[64];
    format_knob(&f->knobs, "C", buf, sizeof buf);
    assert_string_equal(buf, "1");
    format_knob(&f->knobs, "tol", buf, sizeof buf);
    assert_string_equal(buf, "0.0001");
    format_knob(&f->knobs, "k", buf, sizeof buf);
    assert_string_equal(buf, "5");
    format_knob(&f->knobs, "fit_intercept", buf, sizeof buf);
    assert_string_equal(buf, "true");
    format_knob(&f->knobs, "jitter", buf, sizeof buf);
    assert_string_equal(buf, "false");
    format_knob(&f->knobs, "penalty", buf, sizeof buf);
    assert_string_equal(buf, "l2");
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "p", "inf"));
    format_knob(&f->knobs, "p", buf, sizeof buf);
    assert_string_equal(buf, "inf");
}

static void format_uses_the_shortest_text_that_round_trips(void **state) {
    F;
    char buf[64];
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "C", "0.1"));
    format_knob(&f->knobs, "C", buf, sizeof buf);
    assert_string_equal(buf, "0.1");
    assert_dial_ok(f->ctx, dial_knobs_set_number(f->ctx, &f->knobs, "C", 1.0 / 3.0));
    format_knob(&f->knobs, "C", buf, sizeof buf);
    assert_string_equal(buf, "0.3333333333333333");
    assert_true(strtod(buf, NULL) == 1.0 / 3.0);
    assert_dial_ok(f->ctx, dial_knobs_set_number(f->ctx, &f->knobs, "C", 0.1 + 0.2));
    format_knob(&f->knobs, "C", buf, sizeof buf);
    assert_string_equal(buf, "0.30000000000000004");
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "C", "1e-300"));
    format_knob(&f->knobs, "C", buf, sizeof buf);
    assert_string_equal(buf, "1e-300");
}

static void bounds_text_of_every_kind(void **state) {
    (void)state;
    char buf[128];
    dial_knob_spec_bounds_text(spec_named("C"), buf, sizeof buf);
    assert_string_equal(buf, "> 0");
    dial_knob_spec_bounds_text(spec_named("p_tolerance"), buf, sizeof buf);
    assert_string_equal(buf, ">= 0");
    dial_knob_spec_bounds_text(spec_named("l1_ratio"), buf, sizeof buf);
    assert_string_equal(buf, "in [0, 1]");
    dial_knob_spec_bounds_text(spec_named("tol"), buf, sizeof buf);
    assert_string_equal(buf, "in (0, 1]");
    dial_knob_spec_bounds_text(spec_named("shrink"), buf, sizeof buf);
    assert_string_equal(buf, "<= 5");
    dial_knob_spec_bounds_text(spec_named("offset"), buf, sizeof buf);
    assert_string_equal(buf, "any");
    dial_knob_spec_bounds_text(spec_named("k"), buf, sizeof buf);
    assert_string_equal(buf, ">= 1");
    dial_knob_spec_bounds_text(spec_named("penalty"), buf, sizeof buf);
    assert_string_equal(buf, "l2, l1, none");
    dial_knob_spec_bounds_text(spec_named("fit_intercept"), buf, sizeof buf);
    assert_string_equal(buf, "true, false");
}

/* ---- copies and broken tables
 * ----------------------------------------------------------------------- */

static void copy_is_independent_of_the_original(void **state) {
    F;
    dial_knobs copy;
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "k", "8"));
    assert_dial_ok(f->ctx, dial_knobs_copy(f->ctx, &f->knobs, &copy));
    assert_dial_ok(f->ctx, dial_knobs_set(f->ctx, &f->knobs, "k", "3"));
    assert_int_equal(dial_knobs_int(&copy, "k"), 8);
    assert_true(copy.values[dial_knobs_find(&copy, "k")].set_by_user);
    assert_string_equal(copy.model_name, "svm");
    dial_knobs_free(&copy);
    dial_knobs_free(&copy); /* freeing twice is harmless */
}

static void init_reports_a_bad_default_as_a_bug(void **state) {
    (void)state;
    static const dial_knob_spec broken[] = {
        {.name = "C",
         .type = DIAL_KNOB_FLOAT,
         .default_text = "-1",
         .lower = 0,
         .lower_open = true,
         .upper = INFINITY,
         .condition = ""},
    };
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs;
    assert_dial_error(ctx, dial_knobs_init(ctx, "broken", broken, 1, &knobs), DIAL_ERR_INTERNAL,
                      "knob table of broken: bad default: knob 'C' = -1 is out of range: must be "
                      "> 0");
    dial_ctx_free(ctx);
}

static void init_reports_a_bad_condition_as_a_bug(void **state) {
    (void)state;
    static const dial_knob_spec unknown[] = {
        {.name = "p", .type = DIAL_KNOB_BOOL, .default_text = "true", .condition = "metric=x"},
    };
    static const dial_knob_spec on_float[] = {
        {.name = "C",
         .type = DIAL_KNOB_FLOAT,
         .default_text = "1",
         .upper = INFINITY,
         .condition = ""},
        {.name = "p", .type = DIAL_KNOB_BOOL, .default_text = "true", .condition = "C=1"},
    };
    static const dial_knob_spec bad_value[] = {
        {.name = "metric",
         .type = DIAL_KNOB_CHOICE,
         .default_text = "euclidean",
         .choices = metric_choices,
         .condition = ""},
        {.name = "p",
         .type = DIAL_KNOB_BOOL,
         .default_text = "true",
         .condition = "metric=minkowski|chebyshev"},
    };
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs;
    assert_dial_error(ctx, dial_knobs_init(ctx, "broken", unknown, 1, &knobs), DIAL_ERR_INTERNAL,
                      "knob table of broken: condition 'metric=x' of knob 'p' names no other knob");
    assert_dial_error(ctx, dial_knobs_init(ctx, "broken", on_float, 2, &knobs), DIAL_ERR_INTERNAL,
                      "knob table of broken: condition 'C=1' of knob 'p' depends on float knob "
                      "'C'; conditions need a choice or bool knob");
    assert_dial_error(ctx, dial_knobs_init(ctx, "broken", bad_value, 2, &knobs), DIAL_ERR_INTERNAL,
                      "knob table of broken: condition 'metric=minkowski|chebyshev' of knob 'p' "
                      "names value 'chebyshev', which knob 'metric' cannot take");
    dial_ctx_free(ctx);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
    const struct CMUnitTest tests[] = {
        T(init_sets_every_default),
        T(getters_of_an_unknown_name_return_zero),
        cmocka_unit_test(type_names),
        cmocka_unit_test(preprocess_choices_keep_their_order),
        T(float_accepts_plain_exponent_and_padded_text),
        T(float_below_an_open_lower_bound_is_out_of_range),
        T(float_outside_a_closed_interval_is_out_of_range),
        T(float_at_an_open_end_of_an_interval_is_out_of_range),
        T(float_above_an_upper_bound_is_out_of_range),
        T(float_infinity_needs_a_closed_infinite_bound),
        T(float_that_is_not_a_number_is_refused),
        T(int_accepts_integer_literals),
        T(int_refuses_fractions_and_exponents),
        T(int_below_its_bound_is_out_of_range),
        T(int_too_large_for_a_double_is_out_of_range),
        T(int_just_past_2_to_the_53_is_out_of_range),
        T(float_overflowing_to_infinity_is_out_of_range),
        T(hexadecimal_numbers_are_refused_with_the_range),
        T(bool_accepts_the_usual_spellings),
        T(bool_refuses_anything_else),
        T(choice_accepts_a_listed_value),
        T(choice_refuses_an_unlisted_value),
        T(unknown_knob_suggests_a_close_name),
        T(unknown_knob_far_from_any_lists_them_all),
        T(assignment_sets_name_equals_value),
        T(assignment_without_equals_sign_is_refused),
        T(assignment_passes_on_value_errors),
        T(set_number_validates_like_text),
        T(set_number_takes_a_choice_index),
        T(conditional_knob_follows_its_controller),
        T(condition_with_alternatives_matches_any_of_them),
        T(condition_on_a_bool_knob),
        T(knob_under_an_inactive_knob_is_inactive),
        T(check_refuses_an_inactive_knob_set_by_the_user),
        T(check_accepts_inactive_defaults),
        T(format_writes_every_type),
        T(format_uses_the_shortest_text_that_round_trips),
        T(bounds_text_of_every_kind),
        T(copy_is_independent_of_the_original),
        cmocka_unit_test(init_reports_a_bad_default_as_a_bug),
        cmocka_unit_test(init_reports_a_bad_condition_as_a_bug),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Search spaces: the default space of a knob table, items in text and JSON,
 * and every message a bad space gives. */
#include "test_support.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "dial/tune.h"

static const char *const kernel_choices[] = {"linear", "rbf", "poly", NULL};

/* An SVM-like table: a searched choice, a searched bool, conditional knobs
 * (one nested under another's value) and knobs without a search range. */
static const dial_knob_spec svm_knobs[] = {
    DIAL_PREPROCESS_KNOBS("standard"),
    {.name = "C",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 0x1p-5,
     .search_high = 0x1p15,
     .log_scale = true,
     .condition = "",
     .doc = "penalty (LIBSVM guide's range)"},
    {.name = "kernel",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "rbf",
     .choices = kernel_choices,
     .has_search_range = true,
     .condition = "",
     .doc = "kernel"},
    {.name = "gamma",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "0.1",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 0x1p-15,
     .search_high = 0x1p3,
     .log_scale = true,
     .condition = "kernel=rbf|poly",
     .doc = "kernel width"},
    {.name = "degree",
     .type = DIAL_KNOB_INT,
     .default_text = "3",
     .lower = 1,
     .upper = 10,
     .has_search_range = true,
     .search_low = 2,
     .search_high = 5,
     .condition = "kernel=poly",
     .doc = "polynomial degree"},
    {.name = "shrinking",
     .type = DIAL_KNOB_BOOL,
     .default_text = "true",
     .has_search_range = true,
     .condition = "",
     .doc = "shrinking heuristic"},
    {.name = "tol",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1e-3",
     .lower = 0,
     .lower_open = true,
     .upper = INFINITY,
     .condition = "",
     .doc = "stopping tolerance"},
};

/* A knob whose value is a list ("128,64": two hidden layers). */
static const dial_knob_spec mlp_knobs[] = {
    {.name = "hidden",
     .type = DIAL_KNOB_INT,
     .default_text = "100",
     .lower = 1,
     .upper = 100000,
     .has_search_range = true,
     .search_low = 16,
     .search_high = 256,
     .log_scale = true,
     .condition = "",
     .doc = "units of each hidden layer",
     .list_item = "layer"},
};

static const dial_knob_spec bad_range_knobs[] = {
    {.name = "C",
     .type = DIAL_KNOB_FLOAT,
     .default_text = "1",
     .lower = 0,
     .upper = INFINITY,
     .has_search_range = true,
     .search_low = 0,
     .search_high = 10,
     .log_scale = true,
     .condition = "",
     .doc = "a log range from 0: a bug in the table"},
};

static const char *const rule_choices[] = {"auto", "all", "sqrt", NULL};
static const char *const rule_searched_badly[] = {"all", "half", NULL};

static const dial_knob_spec bad_search_choices_knobs[] = {
    {.name = "rule",
     .type = DIAL_KNOB_CHOICE,
     .default_text = "auto",
     .choices = rule_choices,
     .has_search_range = true,
     .search_choices = rule_searched_badly,
     .condition = "",
     .doc = "searches a value it does not have: a bug in the table"},
};

/* ---- helpers ------------------------------------------------------------ */

static dial_knobs model_knobs(dial_ctx *ctx, const char *model) {
    const dial_model_family *family = dial_model_family_find(model);
    assert_non_null(family);
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_model_knobs_init(ctx, family, &knobs));
    return knobs;
}

static dial_knobs svm(dial_ctx *ctx) {
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_knobs_init(ctx, "svm", svm_knobs,
                                        sizeof svm_knobs / sizeof svm_knobs[0], &knobs));
    return knobs;
}

static const dial_param *find(const dial_space *space, const char *name) {
    long i = dial_space_find(space, name);
    if (i < 0) fail_msg("no parameter '%s' in the space", name);
    return &space->params[i];
}

/* Sets one item on an empty space and returns the space. */
static dial_space one_item(dial_ctx *ctx, const dial_knobs *knobs, const char *item) {
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_set(ctx, &space, knobs, item));
    return space;
}

/* Asserts that an item fails with exactly the message expected and leaves
 * the space as it was. */
static void assert_item_error(dial_ctx *ctx, const dial_knobs *knobs, const char *item,
                              const char *expected) {
    dial_space space;
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, knobs, &space));
    size_t n = space.n;
    assert_dial_error(ctx, dial_space_set(ctx, &space, knobs, item), DIAL_ERR_KNOB, expected);
    assert_int_equal(space.n, n);
    dial_space_free(&space);
}

static void assert_json_error(dial_ctx *ctx, const dial_knobs *knobs, const char *json,
                              const char *expected) {
    dial_space space = {0};
    assert_dial_error(ctx, dial_space_set_json(ctx, &space, knobs, json), DIAL_ERR_KNOB, expected);
    assert_int_equal(space.n, 0);
    dial_space_free(&space);
}

/* ---- the default space ------------------------------------------------------ */

static void test_default_space_of_logistic_is_C_on_a_log_scale(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "logistic");
    dial_space space;
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, &knobs, &space));
    assert_int_equal(space.n, 1);
    const dial_param *c = find(&space, "C");
    assert_int_equal(c->kind, DIAL_PARAM_FLOAT);
    assert_true(c->low == 1e-4 && c->high == 1e4);
    assert_true(c->log);
    assert_false(c->fixed);
    assert_string_equal(c->condition, "penalty=l2|l1");
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_default_space_of_knn_leaves_out_p_while_the_metric_is_euclidean(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "knn");
    dial_space space;
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, &knobs, &space));
    assert_int_equal(space.n, 1);
    const dial_param *k = find(&space, "k");
    assert_int_equal(k->kind, DIAL_PARAM_INT);
    assert_true(k->low == 1 && k->high == 50);
    assert_false(k->log);
    assert_int_equal(dial_space_find(&space, "p"), -1);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_default_space_of_knn_has_p_when_the_metric_is_minkowski(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "knn");
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "metric", "minkowski"));
    dial_space space;
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, &knobs, &space));
    assert_int_equal(space.n, 2);
    const dial_param *p = find(&space, "p");
    assert_true(p->low == 1 && p->high == 5);
    assert_string_equal(p->condition, "metric=minkowski");
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_default_space_searches_every_value_of_choice_and_bool_knobs(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = svm(ctx);
    dial_space space;
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, &knobs, &space));
    /* In table order; tol has no search range. */
    assert_int_equal(space.n, 5);
    const char *names[] = {"C", "kernel", "gamma", "degree", "shrinking"};
    for (size_t i = 0; i < 5; i++) assert_string_equal(space.params[i].name, names[i]);
    const dial_param *kernel = find(&space, "kernel");
    assert_int_equal(kernel->kind, DIAL_PARAM_CHOICE);
    assert_int_equal(kernel->n_choices, 3);
    assert_string_equal(kernel->choices[2], "poly");
    assert_true(kernel->low == 0 && kernel->high == 2);
    const dial_param *shrinking = find(&space, "shrinking");
    assert_int_equal(shrinking->kind, DIAL_PARAM_CHOICE);
    assert_int_equal(shrinking->n_choices, 2);
    assert_string_equal(shrinking->choices[0], "false");
    assert_string_equal(shrinking->choices[1], "true");
    assert_string_equal(find(&space, "degree")->condition, "kernel=poly");
    assert_int_equal(find(&space, "degree")->kind, DIAL_PARAM_INT);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_default_space_with_a_bad_table_range_is_an_internal_error(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_knobs_init(ctx, "broken", bad_range_knobs, 1, &knobs));
    dial_space space;
    assert_dial_error(ctx, dial_space_from_knobs(ctx, &knobs, &space), DIAL_ERR_INTERNAL,
                      "knob table of broken: search range 0..10:log of knob 'C' is not a valid "
                      "range");
    assert_int_equal(space.n, 0);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_default_space_of_forest_leaves_out_auto_and_count(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "forest");
    dial_space space;
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, &knobs, &space));
    const dial_param *rule = find(&space, "max_features");
    assert_int_equal(rule->kind, DIAL_PARAM_CHOICE);
    assert_int_equal(rule->n_choices, 4);
    const char *searched[] = {"all", "sqrt", "log2", "fraction"};
    for (size_t c = 0; c < 4; c++) assert_string_equal(rule->choices[c], searched[c]);
    assert_true(rule->low == 0 && rule->high == 3);
    /* fraction is searched, so its share is too; count is not, nor its count. */
    assert_true(dial_space_find(&space, "max_features_fraction") >= 0);
    assert_int_equal(dial_space_find(&space, "max_features_count"), -1);
    assert_int_equal(dial_space_find(&space, "max_depth"), -1);
    dial_space_free(&space);
    /* auto and count stay valid values, with -s and --space. */
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "max_features", "count"));
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, &knobs, &space));
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "max_features=auto,count"));
    assert_int_equal(find(&space, "max_features")->n_choices, 2);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_default_space_searching_a_value_the_knob_lacks_is_an_internal_error(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_knobs_init(ctx, "broken", bad_search_choices_knobs, 1, &knobs));
    dial_space space;
    assert_dial_error(ctx, dial_space_from_knobs(ctx, &knobs, &space), DIAL_ERR_INTERNAL,
                      "knob table of broken: knob 'rule' searches 'half', which is not one of its "
                      "choices");
    assert_int_equal(space.n, 0);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- items --------------------------------------------------------------------- */

static void test_log_float_range_is_parsed(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "logistic");
    dial_space space = one_item(ctx, &knobs, "C=1e-3..1e3:log");
    assert_int_equal(space.n, 1);
    const dial_param *c = &space.params[0];
    assert_string_equal(c->name, "C");
    assert_int_equal(c->kind, DIAL_PARAM_FLOAT);
    assert_true(c->low == 1e-3 && c->high == 1e3 && c->log && c->step == 0 && !c->fixed);
    assert_string_equal(c->condition, "penalty=l2|l1");
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_integer_range_is_parsed_with_and_without_a_step(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "knn");
    dial_space space = one_item(ctx, &knobs, " k = 1..50 ");
    assert_int_equal(space.params[0].kind, DIAL_PARAM_INT);
    assert_true(space.params[0].low == 1 && space.params[0].high == 50);
    assert_true(space.params[0].step == 0 && !space.params[0].log);
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "k=1..50:step=2"));
    assert_int_equal(space.n, 1); /* replaced, not added */
    assert_true(space.params[0].step == 2);
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "k=1..100:log"));
    assert_true(space.params[0].log && space.params[0].high == 100);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_float_range_takes_a_step(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "linear");
    dial_space space = one_item(ctx, &knobs, "l1_ratio=0..1:step=0.25");
    assert_true(space.params[0].step == 0.25);
    assert_int_equal(space.params[0].kind, DIAL_PARAM_FLOAT);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_choices_are_parsed_in_the_order_given(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "knn");
    dial_space space = one_item(ctx, &knobs, "weights=distance, uniform");
    const dial_param *w = &space.params[0];
    assert_int_equal(w->kind, DIAL_PARAM_CHOICE);
    assert_int_equal(w->n_choices, 2);
    assert_string_equal(w->choices[0], "distance");
    assert_string_equal(w->choices[1], "uniform");
    assert_true(w->low == 0 && w->high == 1 && !w->fixed);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_bool_choices_are_written_as_true_and_false(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "logistic");
    dial_space space = one_item(ctx, &knobs, "fit_intercept=True,0");
    const dial_param *f = &space.params[0];
    assert_int_equal(f->kind, DIAL_PARAM_CHOICE);
    assert_string_equal(f->choices[0], "true");
    assert_string_equal(f->choices[1], "false");
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_a_list_of_numbers_is_a_choice_among_them(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "knn");
    dial_space space = one_item(ctx, &knobs, "k=1,3,5");
    const dial_param *k = &space.params[0];
    assert_int_equal(k->kind, DIAL_PARAM_CHOICE);
    assert_int_equal(k->n_choices, 3);
    assert_string_equal(k->choices[1], "3");
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_one_value_is_fixed(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "logistic");
    dial_space space = one_item(ctx, &knobs, "tol=1e-3");
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "max_iter=200"));
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "penalty=l1"));
    const dial_param *tol = find(&space, "tol");
    assert_int_equal(tol->kind, DIAL_PARAM_FLOAT);
    assert_true(tol->fixed && tol->low == 1e-3 && tol->high == 1e-3);
    const dial_param *max_iter = find(&space, "max_iter");
    assert_int_equal(max_iter->kind, DIAL_PARAM_INT);
    assert_true(max_iter->fixed && max_iter->low == 200);
    const dial_param *penalty = find(&space, "penalty");
    assert_int_equal(penalty->kind, DIAL_PARAM_CHOICE);
    assert_true(penalty->fixed && penalty->low == 0 && penalty->high == 0);
    assert_int_equal(penalty->n_choices, 1);
    assert_string_equal(penalty->choices[0], "l1");
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_set_overrides_a_default_in_place_and_appends_a_new_knob(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = svm(ctx);
    dial_space space;
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, &knobs, &space));
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "gamma=1e-4..1:log"));
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "tol=1e-4..1e-2:log"));
    assert_int_equal(space.n, 6);
    assert_string_equal(space.params[2].name, "gamma");
    assert_true(space.params[2].low == 1e-4);
    assert_string_equal(space.params[2].condition, "kernel=rbf|poly");
    assert_string_equal(space.params[5].name, "tol");
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_searching_a_controlling_knob_brings_in_its_dependents(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "knn");
    dial_space space;
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, &knobs, &space));
    assert_int_equal(dial_space_find(&space, "p"), -1);
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "metric=euclidean,minkowski"));
    assert_int_equal(space.n, 3);
    const dial_param *p = find(&space, "p");
    assert_true(p->low == 1 && p->high == 5);
    assert_string_equal(p->condition, "metric=minkowski");
    /* A metric that cannot activate p brings nothing. */
    dial_space other;
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, &knobs, &other));
    assert_dial_ok(ctx, dial_space_set(ctx, &other, &knobs, "metric=euclidean,manhattan"));
    assert_int_equal(dial_space_find(&other, "p"), -1);
    dial_space_free(&other);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_a_user_range_of_a_dependent_is_kept(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "knn");
    dial_space space = one_item(ctx, &knobs, "p=1..3");
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "metric=minkowski"));
    assert_int_equal(space.n, 2);
    assert_true(find(&space, "p")->high == 3);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_list_knob_values_are_separated_by_bars(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs;
    assert_dial_ok(ctx, dial_knobs_init(ctx, "mlp", mlp_knobs, 1, &knobs));
    dial_space space;
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, &knobs, &space));
    /* The default range searches lists of one layer. */
    assert_int_equal(space.params[0].kind, DIAL_PARAM_INT);
    assert_true(space.params[0].low == 16 && space.params[0].high == 256 && space.params[0].log);
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "hidden=128,64"));
    const dial_param *hidden = &space.params[0];
    assert_int_equal(hidden->kind, DIAL_PARAM_CHOICE);
    assert_true(hidden->fixed);
    assert_string_equal(hidden->choices[0], "128,64");
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "hidden=64 | 128,64"));
    hidden = &space.params[0];
    assert_int_equal(hidden->n_choices, 2);
    assert_string_equal(hidden->choices[0], "64");
    assert_string_equal(hidden->choices[1], "128,64");
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "hidden=32"));
    assert_int_equal(space.params[0].kind, DIAL_PARAM_INT);
    assert_true(space.params[0].fixed && space.params[0].low == 32);
    assert_item_error(ctx, &knobs, "hidden=0..10",
                      "space for 'hidden': 0..10 is out of range: must be in [1, 100000]");
    assert_item_error(ctx, &knobs, "hidden=64|128,0",
                      "knob 'hidden' = '128,0' is out of range: each layer must be in [1, 100000]");
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* The list a knob holds after a trial sets it from a choice's text, as
 * the tuner's objective does. */
static size_t list_after_setting(dial_ctx *ctx, const dial_knobs *knobs, const char *text,
                                 double *items) {
    dial_knobs trial;
    assert_dial_ok(ctx, dial_knobs_copy(ctx, knobs, &trial));
    assert_dial_ok(ctx, dial_knobs_set(ctx, &trial, "hidden", text));
    const double *values = NULL;
    size_t n = dial_knobs_list(&trial, "hidden", &values);
    memcpy(items, values, n * sizeof *items);
    dial_knobs_free(&trial);
    return n;
}

static void test_mlp_hidden_alternatives_set_a_trials_knobs_as_lists(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "mlp");
    dial_space space = one_item(ctx, &knobs, "hidden=8|16,8");
    const dial_param *hidden = find(&space, "hidden");
    assert_int_equal(hidden->kind, DIAL_PARAM_CHOICE);
    assert_false(hidden->fixed);
    assert_int_equal(hidden->n_choices, 2);
    assert_string_equal(hidden->choices[0], "8");
    assert_string_equal(hidden->choices[1], "16,8");
    double items[DIAL_KNOB_LIST_MAX];
    assert_int_equal(list_after_setting(ctx, &knobs, hidden->choices[0], items), 1);
    assert_true(items[0] == 8);
    assert_int_equal(list_after_setting(ctx, &knobs, hidden->choices[1], items), 2);
    assert_true(items[0] == 16 && items[1] == 8);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_mlp_hidden_range_searches_lists_of_one_layer(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "mlp");
    dial_space space = one_item(ctx, &knobs, "hidden=16..512:log");
    const dial_param *hidden = find(&space, "hidden");
    assert_int_equal(hidden->kind, DIAL_PARAM_INT);
    assert_true(hidden->low == 16 && hidden->high == 512 && hidden->log);
    /* A trial's draw is set as a number: a list of that one layer. */
    dial_knobs trial;
    assert_dial_ok(ctx, dial_knobs_copy(ctx, &knobs, &trial));
    assert_dial_ok(ctx, dial_knobs_set_number(ctx, &trial, "hidden", 90));
    const double *layers = NULL;
    assert_int_equal(dial_knobs_list(&trial, "hidden", &layers), 1);
    assert_true(layers[0] == 90);
    dial_knobs_free(&trial);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* Text with bars, a list of texts and a list of arrays say the same. */
static void test_json_gives_list_knob_alternatives_as_text_or_arrays(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "mlp");
    static const char *const forms[] = {
        "{\"hidden\": \"8|16,8\"}",
        "{\"hidden\": [\"8\", \"16,8\"]}",
        "{\"hidden\": [[8], [16, 8]]}",
        "{\"hidden\": [8, [16, 8]]}",
    };
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
        dial_space space = {0};
        assert_dial_ok(ctx, dial_space_set_json(ctx, &space, &knobs, forms[i]));
        const dial_param *hidden = find(&space, "hidden");
        assert_int_equal(hidden->kind, DIAL_PARAM_CHOICE);
        assert_int_equal(hidden->n_choices, 2);
        assert_string_equal(hidden->choices[0], "8");
        assert_string_equal(hidden->choices[1], "16,8");
        dial_space_free(&space);
    }
    /* Two numbers stay a range, as for any number knob. */
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_set_json(ctx, &space, &knobs, "{\"hidden\": [16, 64]}"));
    assert_int_equal(find(&space, "hidden")->kind, DIAL_PARAM_INT);
    dial_space_free(&space);
    assert_json_error(ctx, &knobs, "{\"hidden\": [[16, 0]]}",
                      "knob 'hidden' = '16,0' is out of range: each layer must be in [1, 100000]");
    assert_json_error(ctx, &knobs, "{\"hidden\": [[16, \"8\"]]}",
                      "space for 'hidden': each layer of a list is a number, got a string");
    assert_json_error(ctx, &knobs, "{\"hidden\": [[8], [8]]}",
                      "space for 'hidden': '8' is listed twice");
    dial_knobs_free(&knobs);
    /* Only a list knob takes arrays as values. */
    knobs = model_knobs(ctx, "knn");
    assert_json_error(ctx, &knobs, "{\"k\": [[1], [3]]}",
                      "space for 'k': expected \"low..high[:log][:step=S]\", [low, high], a list "
                      "of values or one value, got a list");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* The whole path of `dial tune mlp --space 'hidden=8|16,8'`: every trial
 * runs with its alternative as the list it names, and the best knobs hold
 * the best trial's list. */
static void test_a_tuned_mlp_runs_each_hidden_alternative_as_a_list(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_table *table = NULL;
    dial_dataset *data = test_load_dataset(ctx, "data/iris.csv", "species", &table);
    const dial_model_family *mlp = dial_model_family_find("mlp");
    dial_knobs knobs = model_knobs(ctx, "mlp");
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "epochs", "5"));
    dial_space space = one_item(ctx, &knobs, "hidden=8|16,8");
    dial_tune_setup setup = {.family = mlp,
                             .knobs = &knobs,
                             .space = &space,
                             .metric = DIAL_METRIC_ACCURACY,
                             .folds = 3,
                             .seed = 4};
    dial_tune_options options = {.sampler = DIAL_SAMPLER_GRID, .optimize = {.jobs = 1}};
    dial_tune_result result;
    assert_dial_ok(ctx, dial_tune_model(ctx, &setup, data, &options, &result));
    assert_int_equal(result.trials.count, 2);
    dial_model_objective *objective = NULL;
    assert_dial_ok(ctx, dial_model_objective_create(ctx, &setup, data, NULL, 0, &objective));
    bool seen[2] = {false, false};
    for (size_t t = 0; t < result.trials.count; t++) {
        const dial_trial_record *trial = &result.trials.items[t];
        assert_int_equal(trial->state, DIAL_TRIAL_COMPLETE);
        assert_int_equal(trial->n_params, 1);
        assert_string_equal(trial->param_names[0], "hidden");
        bool two = strcmp(trial->param_texts[0], "16,8") == 0;
        assert_true(two || strcmp(trial->param_texts[0], "8") == 0);
        seen[two] = true;
        dial_knobs ran;
        assert_dial_ok(ctx, dial_model_objective_knobs(ctx, objective, trial, &ran));
        const double *layers = NULL;
        assert_int_equal(dial_knobs_list(&ran, "hidden", &layers), two ? 2 : 1);
        assert_true(layers[0] == (two ? 16 : 8));
        dial_knobs_free(&ran);
    }
    assert_true(seen[0] && seen[1]);
    dial_model_objective_free(objective);
    const double *best = NULL;
    size_t n_best = dial_knobs_list(&result.best_knobs, "hidden", &best);
    assert_int_equal(n_best, strcmp(result.best.param_texts[0], "16,8") == 0 ? 2 : 1);
    dial_tune_result_free(&result);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_dataset_free(data);
    dial_table_free(table);
    dial_ctx_free(ctx);
}

/* ---- errors ---------------------------------------------------------------------- */

static void test_unknown_knob_suggests_the_closest_name(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "logistic");
    assert_item_error(ctx, &knobs, "penalti=l1,l2",
                      "unknown knob 'penalti' for logistic; did you mean 'penalty'?");
    assert_item_error(ctx, &knobs, "zzzzzzzzzz=1..2",
                      "unknown knob 'zzzzzzzzzz' for logistic; known knobs: impute, scale, C, "
                      "penalty, class_weight, fit_intercept, tol, max_iter");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_range_outside_the_knob_bounds_is_refused(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "logistic");
    assert_item_error(ctx, &knobs, "C=0..10", "space for 'C': 0..10 is out of range: must be > 0");
    dial_knobs_free(&knobs);
    knobs = model_knobs(ctx, "linear");
    assert_item_error(ctx, &knobs, "l1_ratio=0.5..2",
                      "space for 'l1_ratio': 0.5..2 is out of range: must be in [0, 1]");
    dial_knobs_free(&knobs);
    knobs = model_knobs(ctx, "knn");
    assert_item_error(ctx, &knobs, "k=0..10", "space for 'k': 0..10 is out of range: must be >= 1");
    assert_item_error(ctx, &knobs, "k=1..99999999999999999999",
                      "space for 'k': 1..99999999999999999999 is out of range: must be >= 1 and "
                      "at most 2^53 in magnitude");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_integer_knob_refuses_a_float_range(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "knn");
    assert_item_error(ctx, &knobs, "k=1.5..3",
                      "space for 'k': expects decimal integers >= 1, got '1.5..3'");
    assert_item_error(ctx, &knobs, "k=1..1e2",
                      "space for 'k': expects decimal integers >= 1, got '1..1e2'");
    dial_knobs_free(&knobs);
    knobs = model_knobs(ctx, "logistic");
    assert_item_error(ctx, &knobs, "C=a..3",
                      "space for 'C': expects finite decimal numbers > 0, got 'a..3'");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* Issue 9: a range end that is hexadecimal or infinite is refused with the
 * knob's valid range, as one value given with -s is. */
static void test_hexadecimal_and_infinite_range_ends_are_refused_with_the_range(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "logistic");
    assert_item_error(ctx, &knobs, "C=0x1p3..10",
                      "space for 'C': expects finite decimal numbers > 0, got '0x1p3..10'");
    assert_item_error(ctx, &knobs, "C=1e-3..1e999",
                      "space for 'C': expects finite decimal numbers > 0, got '1e-3..1e999'");
    assert_item_error(ctx, &knobs, "C=1..inf",
                      "space for 'C': expects finite decimal numbers > 0, got '1..inf'");
    dial_knobs_free(&knobs);
    knobs = model_knobs(ctx, "knn");
    assert_item_error(ctx, &knobs, "k=0x10..20",
                      "space for 'k': expects decimal integers >= 1, got '0x10..20'");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_empty_range_is_refused(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "logistic");
    assert_item_error(ctx, &knobs, "C=10..1",
                      "space for 'C': 10..1 needs low < high (for one value write C=10)");
    assert_item_error(ctx, &knobs, "C=2..2",
                      "space for 'C': 2..2 needs low < high (for one value write C=2)");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_log_scale_needs_a_positive_low(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "linear");
    assert_item_error(ctx, &knobs, "l1_ratio=0..1:log",
                      "space for 'l1_ratio': a log scale needs low > 0, got 0..1");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_bad_steps_are_refused(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "knn");
    assert_item_error(ctx, &knobs, "k=1..50:step=1.5",
                      "space for 'k': step must be a positive integer, got '1.5'");
    assert_item_error(ctx, &knobs, "k=1..50:step=0",
                      "space for 'k': step must be a positive integer, got '0'");
    assert_item_error(ctx, &knobs, "k=1..50:log:step=2",
                      "space for 'k': a step cannot be combined with a log scale");
    assert_item_error(ctx, &knobs, "k=1..5:step=10",
                      "space for 'k': step 10 is wider than the range 1..5");
    assert_item_error(ctx, &knobs, "p=1..5:step=-1",
                      "space for 'p': step must be a positive number, got '-1'");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_unknown_choice_is_refused_with_the_words_of_set(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "knn");
    assert_item_error(ctx, &knobs, "weights=uniform,far",
                      "knob 'weights' = 'far' is not one of: uniform, distance");
    assert_item_error(ctx, &knobs, "weights=uniform,uniform",
                      "space for 'weights': 'uniform' is listed twice");
    assert_item_error(ctx, &knobs, "weights=1..3",
                      "space for 'weights': expects one or more of: uniform, distance, got the "
                      "range '1..3'");
    dial_knobs_free(&knobs);
    knobs = model_knobs(ctx, "logistic");
    assert_item_error(ctx, &knobs, "fit_intercept=true,maybe",
                      "knob 'fit_intercept' expects true or false, got 'maybe'");
    assert_item_error(ctx, &knobs, "C=-1", "knob 'C' = -1 is out of range: must be > 0");
    assert_item_error(ctx, &knobs, "max_iter=2.5", "knob 'max_iter' expects an integer, got '2.5'");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_malformed_items_are_refused(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "logistic");
    const char *items[] = {
        "C=1..",           "C",       "=1..2",       "C=",           "C=..2", "C=1..10:lg",
        "C=1..10:log:log", "C=1...5", "penalty=l1,", "C=1..10:step="};
    for (size_t i = 0; i < sizeof items / sizeof items[0]; i++) {
        char expected[256];
        snprintf(expected, sizeof expected,
                 "bad space item '%s': expected name=low..high[:log][:step=S], name=a,b,c or "
                 "name=value",
                 items[i]);
        assert_item_error(ctx, &knobs, items[i], expected);
    }
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- JSON ---------------------------------------------------------------------------- */

static void test_json_sets_many_knobs_at_once(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "knn");
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_set_json(ctx, &space, &knobs,
                                            "{\"k\": [1, 50], \"weights\": [\"uniform\", "
                                            "\"distance\"], \"p\": \"1..4:step=0.5\", "
                                            "\"metric\": \"minkowski\"}"));
    assert_int_equal(space.n, 4);
    const dial_param *k = &space.params[0];
    assert_string_equal(k->name, "k");
    assert_true(k->kind == DIAL_PARAM_INT && k->low == 1 && k->high == 50);
    assert_int_equal(space.params[1].n_choices, 2);
    assert_true(space.params[2].step == 0.5);
    assert_true(space.params[3].fixed);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    knobs = model_knobs(ctx, "logistic");
    assert_dial_ok(ctx, dial_space_set_json(ctx, &space, &knobs,
                                            "{\"C\": \"1e-3..1e3:log\", \"tol\": 0.001, "
                                            "\"fit_intercept\": [true, false], \"max_iter\": 50}"));
    assert_int_equal(space.n, 4);
    assert_true(space.params[0].log && space.params[0].low == 1e-3);
    assert_true(space.params[1].fixed && space.params[1].low == 0.001);
    assert_string_equal(space.params[2].choices[1], "false");
    assert_true(space.params[3].kind == DIAL_PARAM_INT && space.params[3].low == 50);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void test_json_errors_are_clear_and_leave_the_space_unchanged(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "knn");
    assert_json_error(ctx, &knobs, "{\"k\": [1, 50",
                      "bad space JSON at line 1, column 12: ']' expected near end of file");
    assert_json_error(ctx, &knobs, "[1, 2]",
                      "bad space JSON: expected an object such as {\"C\": \"1e-3..1e3:log\"}, got "
                      "a list");
    assert_json_error(ctx, &knobs, "{\"k\": [1, 3, 5]}",
                      "space for 'k': a list of numbers is a range [low, high], got 3 numbers; "
                      "write a list of values as text, as in \"1,3,5\"");
    assert_json_error(ctx, &knobs, "{\"k\": {\"low\": 1}}",
                      "space for 'k': expected \"low..high[:log][:step=S]\", [low, high], a list "
                      "of values or one value, got an object");
    assert_json_error(ctx, &knobs, "{\"weights\": []}", "space for 'weights': the list is empty");
    assert_json_error(ctx, &knobs, "{\"k\": [1.5, 3]}",
                      "space for 'k': expects decimal integers >= 1, got '1.5..3'");
    assert_json_error(ctx, &knobs, "{\"kk\": [1, 3]}",
                      "unknown knob 'kk' for knn; did you mean 'k'?");
    assert_json_error(ctx, &knobs, "{\"k\": \"1..\"}",
                      "bad space item 'k=1..': expected name=low..high[:log][:step=S], name=a,b,c "
                      "or name=value");
    /* A later bad item undoes the earlier good ones. */
    assert_json_error(ctx, &knobs, "{\"k\": [1, 9], \"weights\": [\"far\"]}",
                      "knob 'weights' = 'far' is not one of: uniform, distance");
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- copying and freeing --------------------------------------------------------------- */

static void test_copy_is_deep_and_free_is_safe(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = svm(ctx);
    dial_space space, copy;
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, &knobs, &space));
    assert_dial_ok(ctx, dial_space_copy(ctx, &space, &copy));
    dial_space_free(&space);
    assert_int_equal(space.n, 0);
    assert_int_equal(copy.n, 5);
    assert_string_equal(copy.params[1].choices[1], "rbf");
    assert_string_equal(copy.params[2].condition, "kernel=rbf|poly");
    assert_int_equal(dial_space_find(&copy, "shrinking"), 4);
    assert_int_equal(dial_space_find(&copy, "nope"), -1);
    dial_space_free(&copy);
    dial_space_free(&copy);
    dial_space_free(NULL);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

static void searching_a_knob_leaves_out_its_dependents_fixed_by_the_user(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_knobs knobs = model_knobs(ctx, "logistic");
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "penalty=l2,none"));
    assert_true(dial_space_find(&space, "C") >= 0); /* brought in with its default range */
    dial_space_free(&space);
    assert_dial_ok(ctx, dial_knobs_set(ctx, &knobs, "C", "2"));
    assert_dial_ok(ctx, dial_space_set(ctx, &space, &knobs, "penalty=l2,none"));
    assert_true(dial_space_find(&space, "C") < 0); /* fixed with -s: stays fixed */
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
}

/* ---- narrowing by conditions (dial_space_drop_fixed) ---------------------------- */

/* svm's default space after -s: what is fixed leaves, and gamma, which
 * applies only when kernel=rbf|poly|sigmoid, leaves with kernel=linear. */
static void narrowed_svm_space(const char *setting, dial_space *space, dial_knobs *knobs) {
    dial_ctx *ctx = test_ctx();
    const dial_model_family *svm = dial_model_family_find("svm");
    assert_non_null(svm);
    const char *const settings[] = {setting, NULL};
    *knobs = test_knobs(ctx, svm, settings);
    assert_dial_ok(ctx, dial_space_from_knobs(ctx, knobs, space));
    dial_space_drop_fixed(space, knobs);
    dial_ctx_free(ctx);
}

static void test_fixing_a_controller_drops_the_knobs_it_turns_off(void **state) {
    (void)state;
    dial_space space = {0};
    dial_knobs knobs;
    narrowed_svm_space("kernel=linear", &space, &knobs);
    assert_true(dial_space_find(&space, "kernel") < 0);
    assert_true(dial_space_find(&space, "gamma") < 0);
    assert_true(dial_space_find(&space, "C") >= 0);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    narrowed_svm_space("kernel=rbf", &space, &knobs);
    assert_true(dial_space_find(&space, "kernel") < 0);
    assert_true(dial_space_find(&space, "gamma") >= 0);
    assert_false(dial_space_never_active(&space, &knobs, (size_t)dial_space_find(&space, "gamma")));
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    narrowed_svm_space("C=2", &space, &knobs);
    assert_true(dial_space_find(&space, "C") < 0);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
}

static void test_a_condition_splits_into_its_knob_and_alternatives(void **state) {
    (void)state;
    char name[16];
    const char *values = dial_knob_condition_split("kernel=rbf|poly", name, sizeof name);
    assert_string_equal(name, "kernel");
    assert_string_equal(values, "rbf|poly");
    assert_null(dial_knob_condition_split("", name, sizeof name));
    assert_string_equal(name, "");
    assert_null(dial_knob_condition_split(NULL, name, sizeof name));
    assert_null(dial_knob_condition_split("=rbf", name, sizeof name));
    assert_null(dial_knob_condition_split("kernel=", name, sizeof name));
    assert_null(dial_knob_condition_split("a_knob_name_too_long=x", name, sizeof name));
    assert_string_equal(name, "");
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixing_a_controller_drops_the_knobs_it_turns_off),
        cmocka_unit_test(test_a_condition_splits_into_its_knob_and_alternatives),
        cmocka_unit_test(searching_a_knob_leaves_out_its_dependents_fixed_by_the_user),
        cmocka_unit_test(test_default_space_of_logistic_is_C_on_a_log_scale),
        cmocka_unit_test(test_default_space_of_knn_leaves_out_p_while_the_metric_is_euclidean),
        cmocka_unit_test(test_default_space_of_knn_has_p_when_the_metric_is_minkowski),
        cmocka_unit_test(test_default_space_searches_every_value_of_choice_and_bool_knobs),
        cmocka_unit_test(test_default_space_with_a_bad_table_range_is_an_internal_error),
        cmocka_unit_test(test_default_space_of_forest_leaves_out_auto_and_count),
        cmocka_unit_test(test_default_space_searching_a_value_the_knob_lacks_is_an_internal_error),
        cmocka_unit_test(test_log_float_range_is_parsed),
        cmocka_unit_test(test_integer_range_is_parsed_with_and_without_a_step),
        cmocka_unit_test(test_float_range_takes_a_step),
        cmocka_unit_test(test_choices_are_parsed_in_the_order_given),
        cmocka_unit_test(test_bool_choices_are_written_as_true_and_false),
        cmocka_unit_test(test_a_list_of_numbers_is_a_choice_among_them),
        cmocka_unit_test(test_one_value_is_fixed),
        cmocka_unit_test(test_set_overrides_a_default_in_place_and_appends_a_new_knob),
        cmocka_unit_test(test_searching_a_controlling_knob_brings_in_its_dependents),
        cmocka_unit_test(test_a_user_range_of_a_dependent_is_kept),
        cmocka_unit_test(test_list_knob_values_are_separated_by_bars),
        cmocka_unit_test(test_mlp_hidden_alternatives_set_a_trials_knobs_as_lists),
        cmocka_unit_test(test_mlp_hidden_range_searches_lists_of_one_layer),
        cmocka_unit_test(test_json_gives_list_knob_alternatives_as_text_or_arrays),
        cmocka_unit_test(test_a_tuned_mlp_runs_each_hidden_alternative_as_a_list),
        cmocka_unit_test(test_unknown_knob_suggests_the_closest_name),
        cmocka_unit_test(test_range_outside_the_knob_bounds_is_refused),
        cmocka_unit_test(test_integer_knob_refuses_a_float_range),
        cmocka_unit_test(test_hexadecimal_and_infinite_range_ends_are_refused_with_the_range),
        cmocka_unit_test(test_empty_range_is_refused),
        cmocka_unit_test(test_log_scale_needs_a_positive_low),
        cmocka_unit_test(test_bad_steps_are_refused),
        cmocka_unit_test(test_unknown_choice_is_refused_with_the_words_of_set),
        cmocka_unit_test(test_malformed_items_are_refused),
        cmocka_unit_test(test_json_sets_many_knobs_at_once),
        cmocka_unit_test(test_json_errors_are_clear_and_leave_the_space_unchanged),
        cmocka_unit_test(test_copy_is_deep_and_free_is_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

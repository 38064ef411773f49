/* Typed search spaces (a study of any program): every form of a --space
 * item and of a --space-file member, conditions, every message a bad
 * space gives, and the canonical JSON that reads back to the same space. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dial/tune.h"

static dial_space typed(dial_ctx *ctx, const char *const *items) {
    dial_space space = {0};
    for (size_t i = 0; items[i]; i++)
        assert_dial_ok(ctx, dial_space_add_typed(ctx, &space, items[i]));
    return space;
}

static const dial_param *param_named(const dial_space *space, const char *name) {
    long at = dial_space_find(space, name);
    if (at < 0) fail_msg("no parameter '%s' in the space", name);
    return &space->params[at];
}

/* The item is refused with exactly that message and a space of one
 * parameter is left as it was. */
static void refuse_item(const char *item, const char *expected) {
    dial_ctx *ctx = test_ctx();
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_add_typed(ctx, &space, "keep=float:0..1"));
    dial_status status = dial_space_add_typed(ctx, &space, item);
    if (status != DIAL_ERR_ARGUMENT || strcmp(dial_ctx_error(ctx), expected) != 0)
        fail_msg("item '%s': got %s \"%s\", expected \"%s\"", item, dial_status_name(status),
                 dial_ctx_error(ctx), expected);
    assert_int_equal(space.n, 1);
    assert_string_equal(space.params[0].name, "keep");
    assert_true(space.params[0].high == 1);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

/* The JSON is refused with exactly that message, the space left empty. */
static void refuse_json(const char *json, const char *expected) {
    dial_ctx *ctx = test_ctx();
    dial_space space = {0};
    dial_status status = dial_space_add_typed_json(ctx, &space, json, "space.json");
    if (status != DIAL_ERR_ARGUMENT || strcmp(dial_ctx_error(ctx), expected) != 0)
        fail_msg("JSON %s: got %s \"%s\", expected \"%s\"", json, dial_status_name(status),
                 dial_ctx_error(ctx), expected);
    assert_int_equal(space.n, 0);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_float_ranges_are_parsed_with_log_and_step(void **state) {
    dial_ctx *ctx = test_ctx();
    const char *const items[] = {"x=float:-5..10", "lr=float:1e-5..1e-1:log",
                                 "m=float:0..0.99:step=0.01", NULL};
    dial_space space = typed(ctx, items);
    assert_int_equal(space.n, 3);
    const dial_param *x = param_named(&space, "x");
    assert_int_equal(x->kind, DIAL_PARAM_FLOAT);
    assert_true(x->low == -5 && x->high == 10 && x->step == 0 && !x->log && !x->fixed);
    assert_string_equal(x->condition, "");
    assert_int_equal(x->n_choices, 0);
    const dial_param *lr = param_named(&space, "lr");
    assert_true(lr->low == 1e-5 && lr->high == 1e-1 && lr->log && lr->step == 0);
    const dial_param *m = param_named(&space, "m");
    assert_true(m->low == 0 && m->high == 0.99 && m->step == 0.01 && !m->log);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_int_ranges_are_parsed_with_log_and_step(void **state) {
    dial_ctx *ctx = test_ctx();
    const char *const items[] = {"n=int:1..8", "width=int:8..512:log", "batch=int:16..256:step=16",
                                 NULL};
    dial_space space = typed(ctx, items);
    const dial_param *n = param_named(&space, "n");
    assert_int_equal(n->kind, DIAL_PARAM_INT);
    assert_true(n->low == 1 && n->high == 8 && n->step == 0 && !n->log);
    const dial_param *width = param_named(&space, "width");
    assert_true(width->low == 8 && width->high == 512 && width->log);
    const dial_param *batch = param_named(&space, "batch");
    assert_true(batch->low == 16 && batch->high == 256 && batch->step == 16);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_categorical_values_are_kept_byte_for_byte(void **state) {
    dial_ctx *ctx = test_ctx();
    const char *const items[] = {"opt=adam,sgd,rmsprop",
                                 "cmd=a b; echo $HOME,'quoted' \"x\",  pad ", NULL};
    dial_space space = typed(ctx, items);
    const dial_param *opt = param_named(&space, "opt");
    assert_int_equal(opt->kind, DIAL_PARAM_CHOICE);
    assert_int_equal(opt->n_choices, 3);
    assert_true(opt->low == 0 && opt->high == 2 && !opt->fixed);
    assert_string_equal(opt->choices[0], "adam");
    assert_string_equal(opt->choices[2], "rmsprop");
    const dial_param *cmd = param_named(&space, "cmd");
    assert_int_equal(cmd->n_choices, 3);
    assert_string_equal(cmd->choices[0], "a b; echo $HOME");
    assert_string_equal(cmd->choices[1], "'quoted' \"x\"");
    assert_string_equal(cmd->choices[2], "  pad ");
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_an_item_replaces_the_parameter_of_its_name_in_place(void **state) {
    dial_ctx *ctx = test_ctx();
    const char *const items[] = {"a=float:0..1", "b=int:1..3", "a=x,y", NULL};
    dial_space space = typed(ctx, items);
    assert_int_equal(space.n, 2);
    assert_string_equal(space.params[0].name, "a");
    assert_int_equal(space.params[0].kind, DIAL_PARAM_CHOICE);
    assert_string_equal(space.params[1].name, "b");
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_names_follow_the_shell_rules(void **state) {
    dial_ctx *ctx = test_ctx();
    const char *const items[] = {"_x=float:0..1", "Layer_2=int:1..3", NULL};
    dial_space space = typed(ctx, items);
    assert_int_equal(space.n, 2);
    dial_space_free(&space);
    dial_ctx_free(ctx);
    refuse_item("1x=float:0..1",
                "space item '1x=float:0..1': '1x' is not a valid parameter name: it must begin "
                "with a letter or '_' and hold only letters, digits and '_', at most 64 "
                "characters");
    refuse_item("my-lr=float:0..1",
                "space item 'my-lr=float:0..1': 'my-lr' is not a valid parameter name: it must "
                "begin with a letter or '_' and hold only letters, digits and '_', at most 64 "
                "characters");
    refuse_item("a23456789012345678901234567890123456789012345678901234567890123456=int:1..2",
                "space item "
                "'a23456789012345678901234567890123456789012345678901234567890123456=int:1..2': "
                "'a23456789012345678901234567890123456789012345678901234567890123456' is not a "
                "valid parameter name: it must begin with a letter or '_' and hold only letters, "
                "digits and '_', at most 64 characters");
    refuse_item("trial=int:1..9", "space item 'trial=int:1..9': the parameter name 'trial' is "
                                  "reserved for the trial number; choose another name");
    refuse_item("=float:0..1", "space item '=float:0..1': a parameter needs a name, as in "
                               "NAME=float:LOW..HIGH[:log][:step=S], NAME=int:LOW..HIGH[:log]["
                               ":step=S] or NAME=a,b,c");
}

static void test_malformed_items_say_what_is_expected(void **state) {
    refuse_item("x", "space item 'x': expected NAME=float:LOW..HIGH[:log][:step=S], "
                     "NAME=int:LOW..HIGH[:log][:step=S] or NAME=a,b,c");
    refuse_item("x=", "space item 'x=': nothing after '='; expected "
                      "NAME=float:LOW..HIGH[:log][:step=S], NAME=int:LOW..HIGH[:log][:step=S] or "
                      "NAME=a,b,c");
    refuse_item("x=float:5",
                "space item 'x=float:5': expected x=float:LOW..HIGH[:log][:step=S], got "
                "'float:5'");
    refuse_item("x=float:1...2",
                "space item 'x=float:1...2': expected x=float:LOW..HIGH[:log][:step=S], got "
                "'float:1...2'");
}

static void test_unknown_and_missing_types_are_refused(void **state) {
    refuse_item("x=double:0..1",
                "space item 'x=double:0..1': unknown type 'double'; the types are float and "
                "int, as in x=float:0..1 or x=int:0..1");
    refuse_item("x=0..1", "space item 'x=0..1': a study of a program needs typed parameters: "
                          "write x=float:0..1 for a float range or x=int:LOW..HIGH for an "
                          "integer one");
}

static void test_bounds_must_be_whole_finite_numbers(void **state) {
    refuse_item("x=float:abc..1", "space item 'x=float:abc..1': low 'abc' is not a number: float "
                                  "bounds are finite decimal numbers, such as -5, 0.5 or 1e-5");
    refuse_item("x=float:0..inf", "space item 'x=float:0..inf': high 'inf' is not a number: "
                                  "float bounds are finite decimal numbers, such as -5, 0.5 or "
                                  "1e-5");
    refuse_item("x=float:nan..1", "space item 'x=float:nan..1': low 'nan' is not a number: float "
                                  "bounds are finite decimal numbers, such as -5, 0.5 or 1e-5");
    refuse_item("x=float:0x1..2", "space item 'x=float:0x1..2': low '0x1' is not a number: float "
                                  "bounds are finite decimal numbers, such as -5, 0.5 or 1e-5");
    refuse_item("x=float:1e-5x..2", "space item 'x=float:1e-5x..2': low '1e-5x' is not a "
                                    "number: float bounds are finite decimal numbers, such as "
                                    "-5, 0.5 or 1e-5");
    refuse_item("n=int:1.5..8", "space item 'n=int:1.5..8': low '1.5' is not an integer: int "
                                "bounds are whole numbers of at most 2^53 in magnitude, such as 1 "
                                "or 512");
    refuse_item("n=int:0..99999999999999999999",
                "space item 'n=int:0..99999999999999999999': high '99999999999999999999' is not "
                "an integer: int bounds are whole numbers of at most 2^53 in magnitude, such as 1 "
                "or 512");
    refuse_item("n=int:0..1e3", "space item 'n=int:0..1e3': high '1e3' is not an integer: int "
                                "bounds are whole numbers of at most 2^53 in magnitude, such as 1 "
                                "or 512");
    /* 2^53 itself is still exact. */
    dial_ctx *ctx = test_ctx();
    dial_space space = {0};
    assert_dial_ok(ctx,
                   dial_space_add_typed(ctx, &space, "n=int:-9007199254740992..9007199254740992"));
    assert_true(space.params[0].high == 9007199254740992.0);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_a_range_needs_low_below_high(void **state) {
    refuse_item("x=float:1..1", "space item 'x=float:1..1': a range needs low < high, got 1..1");
    refuse_item("n=int:8..1", "space item 'n=int:8..1': a range needs low < high, got 8..1");
}

static void test_log_scales_need_a_positive_low(void **state) {
    refuse_item("lr=float:0..1:log",
                "space item 'lr=float:0..1:log': a log scale needs low > 0 (got 0)");
    refuse_item("lr=float:-1..1:log",
                "space item 'lr=float:-1..1:log': a log scale needs low > 0 (got -1)");
    refuse_item("n=int:0..8:log",
                "space item 'n=int:0..8:log': an int log scale needs low >= 1 (got 0)");
}

static void test_steps_are_checked(void **state) {
    refuse_item("b=int:16..256:step=1.5",
                "space item 'b=int:16..256:step=1.5': step must be a positive integer, got '1.5'");
    refuse_item("b=int:16..256:step=0",
                "space item 'b=int:16..256:step=0': step must be a positive integer, got '0'");
    refuse_item("m=float:0..1:step=-0.1",
                "space item 'm=float:0..1:step=-0.1': step must be a positive number, got '-0.1'");
    refuse_item("m=float:0..1:step=",
                "space item 'm=float:0..1:step=': step must be a positive number, got ''");
    refuse_item("m=float:0..1:step=2",
                "space item 'm=float:0..1:step=2': step 2 is wider than the range 0..1");
    refuse_item("lr=float:1..10:log:step=1",
                "space item 'lr=float:1..10:log:step=1': a range takes :log or :step=S, not both");
}

static void test_unknown_and_repeated_options_are_refused(void **state) {
    refuse_item("x=float:0..1:lg",
                "space item 'x=float:0..1:lg': unknown option ':lg'; a range takes :log or "
                ":step=S");
    refuse_item("x=float:1..2:log:log", "space item 'x=float:1..2:log:log': ':log' is given twice");
    refuse_item("x=int:1..9:step=2:step=2",
                "space item 'x=int:1..9:step=2:step=2': ':step=' is given twice");
}

static void test_categoricals_need_two_distinct_non_empty_values(void **state) {
    refuse_item("x=5", "space item 'x=5': a categorical needs two values or more, got one ('5'), "
                       "which searches nothing; give two values or more (x=a,b) or a range "
                       "(x=float:LOW..HIGH or x=int:LOW..HIGH)");
    refuse_item("opt=adam,,sgd", "space item 'opt=adam,,sgd': value 2 is empty; a categorical "
                                 "lists non-empty values, as in opt=adam,sgd");
    refuse_item("opt=adam,", "space item 'opt=adam,': value 2 is empty; a categorical lists "
                             "non-empty values, as in opt=adam,sgd");
    refuse_item("opt=adam,sgd,adam", "space item 'opt=adam,sgd,adam': 'adam' is listed twice");
    refuse_item("opt=a,\xff", "space item 'opt=a,\xff': value 2 is not valid UTF-8 text");
}

static void test_json_members_come_in_file_order(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_add_typed_json(
                            ctx, &space,
                            "{\"x\": \"float:-5..10\", \"opt\": [\"adam\", \"sgd\"], \"batch\": "
                            "[16, 32, 64], \"flag\": [true, false], \"rate\": [0.5, 0.25], \"n\": "
                            "\"int:1..8:log\"}",
                            "space.json"));
    assert_int_equal(space.n, 6);
    const char *const order[] = {"x", "opt", "batch", "flag", "rate", "n"};
    for (size_t i = 0; i < 6; i++) assert_string_equal(space.params[i].name, order[i]);
    assert_int_equal(space.params[0].kind, DIAL_PARAM_FLOAT);
    assert_int_equal(space.params[2].kind, DIAL_PARAM_CHOICE);
    assert_string_equal(space.params[2].choices[0], "16");
    assert_string_equal(space.params[2].choices[2], "64");
    assert_string_equal(space.params[3].choices[0], "true");
    assert_string_equal(space.params[4].choices[1], "0.25");
    assert_true(space.params[5].log && space.params[5].kind == DIAL_PARAM_INT);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_json_conditions_are_kept_in_the_knob_format(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = {0};
    /* The condition names a parameter further down the file. */
    assert_dial_ok(ctx,
                   dial_space_add_typed_json(
                       ctx, &space,
                       "{\"m\": {\"range\": \"float:0..0.99\", \"when\": \"opt=sgd|rmsprop\"}, "
                       "\"opt\": [\"adam\", \"sgd\", \"rmsprop\"], \"beta\": {\"range\": "
                       "[\"a\", \"b\"], \"when\": \"opt=adam\"}}",
                       NULL));
    assert_int_equal(space.n, 3);
    const dial_param *m = param_named(&space, "m");
    assert_string_equal(m->condition, "opt=sgd|rmsprop");
    assert_int_equal(m->kind, DIAL_PARAM_FLOAT);
    char controller[64];
    assert_string_equal(dial_knob_condition_split(m->condition, controller, sizeof controller),
                        "sgd|rmsprop");
    assert_string_equal(controller, "opt");
    const dial_param *beta = param_named(&space, "beta");
    assert_string_equal(beta->condition, "opt=adam");
    assert_int_equal(beta->n_choices, 2);
    assert_string_equal(param_named(&space, "opt")->condition, "");
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_bad_conditions_are_refused(void **state) {
    refuse_json("{\"m\": {\"range\": \"float:0..1\", \"when\": \"opt=sgd\"}}",
                "space.json: parameter 'm': when 'opt=sgd' names no parameter of the space (it "
                "has: m)");
    refuse_json("{\"x\": \"float:0..1\", \"m\": {\"range\": \"float:0..1\", \"when\": \"x=1\"}}",
                "space.json: parameter 'm': when 'x=1' names 'x', a float range; a condition "
                "names a categorical parameter, such as opt=adam,sgd");
    refuse_json("{\"opt\": [\"adam\", \"sgd\"], \"m\": {\"range\": \"float:0..1\", \"when\": "
                "\"opt=sgdd\"}}",
                "space.json: parameter 'm': when 'opt=sgdd' lists 'sgdd', which 'opt' does not "
                "have (its values: adam, sgd)");
    refuse_json("{\"opt\": [\"adam\", \"sgd\"], \"m\": {\"range\": \"float:0..1\", \"when\": "
                "\"opt=adam||sgd\"}}",
                "space.json: parameter 'm': when 'opt=adam||sgd' lists an empty value");
    refuse_json("{\"m\": {\"range\": \"float:0..1\", \"when\": \"opt\"}}",
                "space.json: parameter 'm': when 'opt' is not of the form NAME=VALUE or "
                "NAME=V1|V2");
    refuse_json("{\"a\": {\"range\": [\"x\", \"y\"], \"when\": \"a=x\"}}",
                "space.json: parameter 'a': when 'a=x' names the parameter itself");
    refuse_json("{\"a\": {\"range\": [\"x\", \"y\"], \"when\": \"b=u\"}, \"b\": {\"range\": "
                "[\"u\", \"v\"], \"when\": \"a=x\"}}",
                "space.json: parameter 'a': the conditions form a cycle: a -> b -> a");
    refuse_json("{\"m\": {\"range\": \"float:0..1\", \"when\": 3}}",
                "space.json: parameter 'm': \"when\" is a number; it takes a string such as "
                "\"opt=sgd\" or \"opt=sgd|rmsprop\"");
}

static void test_a_replaced_controller_must_keep_the_values_conditions_name(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_add_typed_json(ctx, &space,
                                                  "{\"opt\": [\"adam\", \"sgd\"], \"m\": "
                                                  "{\"range\": \"float:0..1\", \"when\": "
                                                  "\"opt=sgd\"}}",
                                                  "space.json"));
    assert_dial_error(ctx, dial_space_add_typed(ctx, &space, "opt=adam,rmsprop"), DIAL_ERR_ARGUMENT,
                      "space item 'opt=adam,rmsprop': parameter 'm': when 'opt=sgd' lists 'sgd', "
                      "which 'opt' does not have (its values: adam, rmsprop)");
    assert_int_equal(param_named(&space, "opt")->n_choices, 2);
    assert_string_equal(param_named(&space, "opt")->choices[1], "sgd");
    assert_dial_ok(ctx, dial_space_add_typed(ctx, &space, "opt=adam,sgd,rmsprop"));
    assert_int_equal(param_named(&space, "opt")->n_choices, 3);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_bad_json_members_are_refused_with_the_file_and_parameter(void **state) {
    refuse_json("{\"x\": \"float:0..1\",\n \"y\": }",
                "space.json: invalid JSON at line 2, column 7: unexpected token near '}'");
    refuse_json("[\"x\"]", "space.json: expected a JSON object such as {\"x\": \"float:-5..10\", "
                           "\"opt\": [\"adam\", \"sgd\"]}, got a list");
    refuse_json("{\"x\": 5}", "space.json: parameter 'x': expected a string such as "
                              "\"float:0..1\", a list of values such as [\"adam\", \"sgd\"], or "
                              "{\"range\": ..., \"when\": \"opt=sgd\"}; got a number");
    refuse_json("{\"x\": \"double:0..1\"}",
                "space.json: parameter 'x': unknown type 'double'; the types are float and int, "
                "as in x=float:0..1 or x=int:0..1");
    refuse_json("{\"lr\": \"float:0..1:log\"}",
                "space.json: parameter 'lr': a log scale needs low > 0 (got 0)");
    refuse_json("{\"x\": {\"range\": \"float:0..1\", \"if\": \"opt=a\"}}",
                "space.json: parameter 'x': unknown key 'if'; a parameter's object takes "
                "\"range\" and \"when\"");
    refuse_json("{\"x\": {\"when\": \"opt=a\"}}",
                "space.json: parameter 'x': the object has no \"range\", as in {\"range\": "
                "\"float:0..1\", \"when\": \"opt=sgd\"}");
    refuse_json("{\"opt\": [\"a\", null]}", "space.json: parameter 'opt': value 2 of the list is "
                                            "null; a categorical lists strings, numbers or "
                                            "booleans");
    refuse_json("{\"opt\": [\"a\"]}",
                "space.json: parameter 'opt': a categorical needs two values or more, got one "
                "('a'), which searches nothing; give two values or more (opt=a,b) or a range "
                "(opt=float:LOW..HIGH or opt=int:LOW..HIGH)");
    refuse_json("{\"opt\": [\"a,b\", \"c\"]}",
                "space.json: parameter 'opt': value 'a,b' holds a comma, which a value cannot");
    refuse_json("{\"opt\": [16, 16.0]}", "space.json: parameter 'opt': '16' is listed twice");
    refuse_json("{\"trial\": \"int:1..2\"}", "space.json: parameter 'trial': the parameter name "
                                             "'trial' is reserved for the trial number; choose "
                                             "another name");
    refuse_json("{\"a b\": \"int:1..2\"}",
                "space.json: parameter 'a b': 'a b' is not a valid parameter name: it must begin "
                "with a letter or '_' and hold only letters, digits and '_', at most 64 "
                "characters");
    refuse_json("{\"x\": \"int:1..2\", \"x\": \"int:1..3\"}",
                "space.json: invalid JSON at line 1, column 21: duplicate object key near '\"x\"'");
}

static void test_json_without_a_file_name_says_space_json(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = {0};
    assert_dial_error(ctx, dial_space_add_typed_json(ctx, &space, "{\"x\": [1]}", NULL),
                      DIAL_ERR_ARGUMENT,
                      "space JSON: parameter 'x': a categorical needs two values or more, got one "
                      "('1'), which searches nothing; give two values or more (x=a,b) or a range "
                      "(x=float:LOW..HIGH or x=int:LOW..HIGH)");
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void assert_spaces_equal(const dial_space *a, const dial_space *b) {
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        const dial_param *x = &a->params[i], *y = &b->params[i];
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->kind, y->kind);
        /* Bitwise: the text form must not lose a digit. */
        assert_memory_equal(&x->low, &y->low, sizeof x->low);
        assert_memory_equal(&x->high, &y->high, sizeof x->high);
        assert_memory_equal(&x->step, &y->step, sizeof x->step);
        assert_int_equal(x->log, y->log);
        assert_int_equal(x->fixed, y->fixed);
        assert_string_equal(x->condition, y->condition);
        assert_int_equal(x->n_choices, y->n_choices);
        for (size_t c = 0; c < x->n_choices; c++) assert_string_equal(x->choices[c], y->choices[c]);
    }
}

static void test_canonical_json_is_exact_and_reads_back_to_an_equal_space(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_add_typed_json(
                            ctx, &space,
                            "{\"x\": \"float:-5..10\", \"lr\": \"float:1e-5..1e-1:log\", \"opt\": "
                            "[\"adam\", \"sgd\"], \"m\": {\"range\": \"float:0..0.99\", \"when\": "
                            "\"opt=sgd\"}}",
                            "space.json"));
    char *json = NULL;
    assert_dial_ok(ctx, dial_space_typed_json(ctx, &space, &json));
    assert_string_equal(json, "{\"x\": \"float:-5..10\", \"lr\": \"float:1e-05..0.1:log\", "
                              "\"opt\": [\"adam\", \"sgd\"], \"m\": {\"range\": \"float:0..0.99\", "
                              "\"when\": \"opt=sgd\"}}");
    dial_space back = {0};
    assert_dial_ok(ctx, dial_space_add_typed_json(ctx, &back, json, "recorded"));
    assert_spaces_equal(&space, &back);
    free(json);
    dial_space_free(&back);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_round_trip_keeps_every_bit_of_awkward_numbers(void **state) {
    dial_ctx *ctx = test_ctx();
    const char *const items[] = {"a=float:0.1..0.30000000000000004",
                                 "b=float:1e-300..1.7976931348623157e308:log",
                                 "c=float:-0.3333333333333333..2.5e-7:step=1e-9",
                                 "d=int:-9007199254740992..9007199254740992:step=3",
                                 "e=int:8..512:log",
                                 "f=a b; c,$HOME,'q' \"w\",héllo",
                                 NULL};
    dial_space space = typed(ctx, items);
    char *json = NULL;
    assert_dial_ok(ctx, dial_space_typed_json(ctx, &space, &json));
    assert_string_equal(json,
                        "{\"a\": \"float:0.1..0.30000000000000004\", \"b\": "
                        "\"float:1e-300..1.7976931348623157e+308:log\", \"c\": "
                        "\"float:-0.3333333333333333..2.5e-07:step=1e-09\", \"d\": "
                        "\"int:-9007199254740992..9007199254740992:step=3\", \"e\": "
                        "\"int:8..512:log\", \"f\": [\"a b; c\", \"$HOME\", \"'q' \\\"w\\\"\", "
                        "\"héllo\"]}");
    dial_space back = {0};
    assert_dial_ok(ctx, dial_space_add_typed_json(ctx, &back, json, NULL));
    assert_spaces_equal(&space, &back);
    free(json);
    dial_space_free(&back);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

typedef struct failing_hook {
    long count, fail_at;
} failing_hook;

static bool refuse_nth(void *user, size_t size) {
    (void)size;
    failing_hook *hook = user;
    return ++hook->count != hook->fail_at;
}

/* Each allocation of reading and writing a typed space, refused in turn:
 * a clean DIAL_ERR_NOMEM that leaves the space as it was (ASan checks the
 * leaks), or the result of a run where nothing failed. */
static void test_every_allocation_failure_is_a_clean_nomem(void **state) {
    const char *json = "{\"x\": \"float:-5..10\", \"opt\": [\"adam\", \"sgd\", 3], \"m\": "
                       "{\"range\": \"int:1..9:step=2\", \"when\": \"opt=sgd\"}}";
    const char *expected = "{\"keep\": \"float:0..1\", \"x\": \"float:-5..10\", \"opt\": "
                           "[\"adam\", \"sgd\", \"3\"], \"m\": {\"range\": \"int:1..9:step=2\", "
                           "\"when\": \"opt=sgd\"}, \"n\": [\"a\", \"b\"]}";
    long failures = 0;
    for (long n = 1; n < 200; n++) {
        dial_ctx *ctx = test_ctx();
        dial_space space = {0};
        assert_dial_ok(ctx, dial_space_add_typed(ctx, &space, "keep=float:0..1"));
        failing_hook hook = {0, n};
        dial_ctx_set_alloc_hook(ctx, refuse_nth, &hook);
        char *text = NULL;
        /* The parameters the space holds after each step: a failed step adds none. */
        const size_t held_before[] = {1, 4, 5};
        int step = 0;
        dial_status status = dial_space_add_typed_json(ctx, &space, json, "space.json");
        if (status == DIAL_OK && ++step) status = dial_space_add_typed(ctx, &space, "n=a,b");
        if (status == DIAL_OK && ++step) status = dial_space_typed_json(ctx, &space, &text);
        if (status == DIAL_OK) {
            assert_string_equal(text, expected);
        } else {
            failures++;
            assert_int_equal(status, DIAL_ERR_NOMEM);
            assert_non_null(strstr(dial_ctx_error(ctx), "out of memory"));
            assert_int_equal(space.n, held_before[step]);
            assert_null(text);
        }
        free(text);
        dial_space_free(&space);
        dial_ctx_free(ctx);
        if (hook.count < n) break; /* every allocation has been refused once */
    }
    assert_true(failures > 3);
}

static void test_an_empty_space_is_an_empty_object(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = {0};
    char *json = NULL;
    assert_dial_ok(ctx, dial_space_typed_json(ctx, &space, &json));
    assert_string_equal(json, "{}");
    free(json);
    dial_ctx_free(ctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_float_ranges_are_parsed_with_log_and_step),
        cmocka_unit_test(test_int_ranges_are_parsed_with_log_and_step),
        cmocka_unit_test(test_categorical_values_are_kept_byte_for_byte),
        cmocka_unit_test(test_an_item_replaces_the_parameter_of_its_name_in_place),
        cmocka_unit_test(test_names_follow_the_shell_rules),
        cmocka_unit_test(test_malformed_items_say_what_is_expected),
        cmocka_unit_test(test_unknown_and_missing_types_are_refused),
        cmocka_unit_test(test_bounds_must_be_whole_finite_numbers),
        cmocka_unit_test(test_a_range_needs_low_below_high),
        cmocka_unit_test(test_log_scales_need_a_positive_low),
        cmocka_unit_test(test_steps_are_checked),
        cmocka_unit_test(test_unknown_and_repeated_options_are_refused),
        cmocka_unit_test(test_categoricals_need_two_distinct_non_empty_values),
        cmocka_unit_test(test_json_members_come_in_file_order),
        cmocka_unit_test(test_json_conditions_are_kept_in_the_knob_format),
        cmocka_unit_test(test_bad_conditions_are_refused),
        cmocka_unit_test(test_a_replaced_controller_must_keep_the_values_conditions_name),
        cmocka_unit_test(test_bad_json_members_are_refused_with_the_file_and_parameter),
        cmocka_unit_test(test_json_without_a_file_name_says_space_json),
        cmocka_unit_test(test_canonical_json_is_exact_and_reads_back_to_an_equal_space),
        cmocka_unit_test(test_round_trip_keeps_every_bit_of_awkward_numbers),
        cmocka_unit_test(test_an_empty_space_is_an_empty_object),
        cmocka_unit_test(test_every_allocation_failure_is_a_clean_nomem),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

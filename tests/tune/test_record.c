/* Trial records: the text of a value, and records that grow and copy. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tune/record.h"

static void expect_text(dial_param_kind kind, double value, const char *expected) {
    char text[64];
    dial_format_param_value(kind, value, text, sizeof text);
    assert_string_equal(text, expected);
}

static void test_chosen_values_print_as_written(void **state) {
    expect_text(DIAL_PARAM_FLOAT, 0.001, "0.001");
    expect_text(DIAL_PARAM_FLOAT, 2.5, "2.5");
    expect_text(DIAL_PARAM_FLOAT, 1e-5, "1e-05");
    expect_text(DIAL_PARAM_FLOAT, 1000, "1000");
    expect_text(DIAL_PARAM_FLOAT, -0.1, "-0.1");
    expect_text(DIAL_PARAM_FLOAT, 0, "0");
    expect_text(DIAL_PARAM_FLOAT, 1e22, "1e+22");
    expect_text(DIAL_PARAM_FLOAT, 1e-300, "1e-300");
    expect_text(DIAL_PARAM_INT, 7, "7");
    expect_text(DIAL_PARAM_INT, -12, "-12");
}

static void test_values_that_need_17_digits_get_them(void **state) {
    expect_text(DIAL_PARAM_FLOAT, 0.1 + 0.2, "0.30000000000000004");
    expect_text(DIAL_PARAM_FLOAT, 1.0 / 3.0, "0.33333333333333331");
    expect_text(DIAL_PARAM_FLOAT, INFINITY, "inf");
    expect_text(DIAL_PARAM_FLOAT, NAN, "nan");
}

/* The text always reads back to the same double, and is the 15-digit form
 * whenever that reads back too. */
static void test_every_text_reads_back_to_its_value(void **state) {
    dial_rng rng = dial_rng_stream(5, 0);
    char text[64], fifteen[64];
    for (int i = 0; i < 200000; i++) {
        double value =
            (dial_rng_uniform(&rng) - 0.5) * pow(10, (double)dial_rng_below(&rng, 80) - 40);
        if (i % 2) value = round(value * 1e6) / 1e6;
        dial_format_param_value(DIAL_PARAM_FLOAT, value, text, sizeof text);
        assert_true(strtod(text, NULL) == value);
        snprintf(fifteen, sizeof fifteen, "%.15g", value);
        if (strtod(fifteen, NULL) == value) assert_string_equal(text, fifteen);
    }
}

static void test_records_grow_copy_and_replace(void **state) {
    dial_trial_record record = {0};
    char name[16], text[16];
    for (int i = 0; i < 40; i++) {
        snprintf(name, sizeof name, "p%d", i);
        snprintf(text, sizeof text, "%d", i);
        assert_true(dial_record_add_param(NULL, &record, name, DIAL_PARAM_INT, i, text));
        assert_true(dial_record_set_intermediate(NULL, &record, i, i * 0.5));
    }
    assert_true(dial_record_set_intermediate(NULL, &record, 3, 9.0));
    assert_true(dial_record_set_param(NULL, &record, "p7", DIAL_PARAM_INT, 70, "70"));
    assert_true(dial_record_set_message(NULL, &record, "boom"));
    dial_trial_record copy;
    assert_true(dial_record_copy(NULL, &copy, &record));
    dial_trial_record_clear(&record);
    assert_true(dial_record_add_param(NULL, &copy, "extra", DIAL_PARAM_FLOAT, 1.5, "1.5"));
    assert_int_equal(copy.n_params, 41);
    assert_int_equal(copy.n_intermediate, 40);
    assert_true(copy.intermediate_values[3] == 9.0);
    assert_int_equal(dial_record_find_param(&copy, "p7"), 7);
    assert_string_equal(copy.param_texts[7], "70");
    assert_string_equal(copy.param_names[40], "extra");
    assert_string_equal(copy.message, "boom");
    dial_trial_record_clear(&copy);
    assert_int_equal(copy.n_params, 0);
    assert_null(copy.message);
}

static void test_a_path_is_copied_replaced_and_cleared(void **state) {
    dial_trial_record record = {0};
    const int64_t steps[] = {10, 20, 50};
    const double values[] = {0.8, 0.85, 0.84};
    assert_true(dial_record_set_path(NULL, &record, steps, values, 3));
    dial_trial_record copy;
    assert_true(dial_record_copy(NULL, &copy, &record));
    /* Replacing shrinks the path of the record and leaves the copy alone. */
    const int64_t fewer_steps[] = {5};
    const double fewer_values[] = {0.7};
    assert_true(dial_record_set_path(NULL, &record, fewer_steps, fewer_values, 1));
    assert_int_equal(record.n_path, 1);
    assert_int_equal(record.path_steps[0], 5);
    assert_true(record.path_values[0] == 0.7);
    assert_int_equal(copy.n_path, 3);
    assert_int_equal(copy.path_steps[2], 50);
    assert_true(copy.path_values[1] == 0.85);
    /* A path read back row by row grows past the size it was set with. */
    for (int64_t step = 60; step <= 200; step += 10)
        assert_true(dial_record_append_path(NULL, &copy, step, (double)step / 1000));
    assert_int_equal(copy.n_path, 18);
    assert_int_equal(copy.path_steps[17], 200);
    assert_true(copy.path_values[17] == 0.2);
    assert_true(copy.path_values[0] == 0.8);
    /* An empty path empties it. */
    assert_true(dial_record_set_path(NULL, &record, NULL, NULL, 0));
    assert_int_equal(record.n_path, 0);
    assert_null(record.path_steps);
    assert_null(record.path_values);
    dial_trial_record_clear(&copy);
    assert_int_equal(copy.n_path, 0);
    assert_null(copy.path_steps);
    assert_null(copy.path_values);
    dial_trial_record_clear(&record);
}

static void test_names_of_states_and_kinds_read_back(void **state) {
    dial_trial_state parsed_state;
    for (int s = DIAL_TRIAL_RUNNING; s <= DIAL_TRIAL_FAILED; s++) {
        assert_true(
            dial_trial_state_parse(dial_trial_state_name((dial_trial_state)s), &parsed_state));
        assert_int_equal(parsed_state, s);
    }
    assert_string_equal(dial_trial_state_name(DIAL_TRIAL_PRUNED), "pruned");
    assert_false(dial_trial_state_parse("done", &parsed_state));
    dial_param_kind kind;
    assert_true(dial_param_kind_parse("choice", &kind));
    assert_int_equal(kind, DIAL_PARAM_CHOICE);
    assert_false(dial_param_kind_parse("bool", &kind));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chosen_values_print_as_written),
        cmocka_unit_test(test_values_that_need_17_digits_get_them),
        cmocka_unit_test(test_every_text_reads_back_to_its_value),
        cmocka_unit_test(test_records_grow_copy_and_replace),
        cmocka_unit_test(test_a_path_is_copied_replaced_and_cleared),
        cmocka_unit_test(test_names_of_states_and_kinds_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

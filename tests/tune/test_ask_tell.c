/* Asking a whole typed space and telling a trial by its number, as `dial
 * ask` and `dial tell` do from two processes: every suggestion path
 * (ranges, steps, log scales, conditions), the same trials for the same
 * seed, and every way a told number can be wrong, in memory and across
 * two handles of one SQLite file. */
#include "test_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dial/tune.h"

typedef test_study_folder fixture;
#define setup test_study_folder_setup
#define teardown test_study_folder_teardown

/* Asserts that call fails with DIAL_ERR_ARGUMENT and the message format
 * gives with the study file's path for its %s. */
#define assert_error_in_file(ctx, call, path, format)               \
    do {                                                            \
        char expected_[768];                                        \
        snprintf(expected_, sizeof expected_, format, path);        \
        assert_dial_error(ctx, call, DIAL_ERR_ARGUMENT, expected_); \
    } while (0)

static const char *const space_json =
    "{\"x\": \"float:-5..10\", \"lr\": \"float:1e-5..1e-1:log\", \"batch\": "
    "\"int:16..256:step=16\", \"width\": \"int:8..512:log\", \"opt\": [\"adam\", \"sgd\", "
    "\"rmsprop\"], \"m\": {\"range\": \"float:0..0.99\", \"when\": \"opt=sgd|rmsprop\"}, "
    "\"beta\": {\"range\": \"float:0.9..0.999\", \"when\": \"opt=adam\"}}";

static dial_space load_space(dial_ctx *ctx) {
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_add_typed_json(ctx, &space, space_json, "space.json"));
    return space;
}

/* A study of the space; storage NULL = in memory. */
static dial_study *open_study(dial_ctx *ctx, const char *storage, const char *name,
                              const dial_space *space, uint64_t seed, double heartbeat) {
    dial_study_options options = {.name = name,
                                  .storage = storage,
                                  .direction = DIAL_MINIMIZE,
                                  .sampler = DIAL_SAMPLER_RANDOM,
                                  .space = space,
                                  .seed = seed,
                                  .heartbeat_seconds = heartbeat};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    return study;
}

/* Asks a trial, suggests the whole space, releases it; returns its number
 * and, when copy is not NULL, a copy of its record. */
static int64_t ask_and_release(dial_ctx *ctx, dial_study *study, const dial_space *space,
                               dial_trial_record *copy) {
    dial_trial *trial = NULL;
    assert_dial_ok(ctx, dial_study_ask(ctx, study, 0, &trial));
    assert_non_null(trial);
    assert_dial_ok(dial_trial_ctx(trial), dial_trial_suggest_space(trial, space));
    const dial_trial_record *record = dial_trial_get_record(trial);
    int64_t number = record->number;
    assert_int_equal(number, dial_trial_number(trial));
    if (copy) {
        /* The public header has no copy: keep what the tests compare. */
        *copy = (dial_trial_record){0};
        copy->number = number;
        copy->n_params = record->n_params;
        copy->param_names = calloc(record->n_params, sizeof(char *));
        copy->param_texts = calloc(record->n_params, sizeof(char *));
        copy->param_values = calloc(record->n_params, sizeof(double));
        copy->param_kinds = calloc(record->n_params, sizeof(dial_param_kind));
        for (size_t i = 0; i < record->n_params; i++) {
            copy->param_names[i] = strdup(record->param_names[i]);
            copy->param_texts[i] = strdup(record->param_texts[i]);
            copy->param_values[i] = record->param_values[i];
            copy->param_kinds[i] = record->param_kinds[i];
        }
    }
    dial_trial_release(trial);
    return number;
}

static long find_param(const dial_trial_record *record, const char *name) {
    for (size_t i = 0; i < record->n_params; i++)
        if (strcmp(record->param_names[i], name) == 0) return (long)i;
    return -1;
}

/* The study's trial of that number, as stored. */
static dial_trial_record stored(dial_ctx *ctx, dial_study *study, int64_t number) {
    dial_trial_list list = {0};
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    for (size_t i = 0; i < list.count; i++) {
        if (list.items[i].number != number) continue;
        dial_trial_record record = list.items[i];
        list.items[i] = (dial_trial_record){0};
        dial_trial_list_free(&list);
        return record;
    }
    fail_msg("no trial %lld stored", (long long)number);
    return (dial_trial_record){0};
}

static void assert_records_equal(const dial_trial_record *a, const dial_trial_record *b) {
    assert_int_equal(a->n_params, b->n_params);
    for (size_t i = 0; i < a->n_params; i++) {
        assert_string_equal(a->param_names[i], b->param_names[i]);
        assert_string_equal(a->param_texts[i], b->param_texts[i]);
        assert_memory_equal(&a->param_values[i], &b->param_values[i], sizeof(double));
    }
}

/* ---- asking a whole space ---------------------------------------------------- */

static void test_suggest_space_draws_every_active_parameter_in_its_range(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = load_space(ctx);
    dial_study *study = open_study(ctx, NULL, "free", &space, 3, 0);
    bool seen_adam = false, seen_sgd = false;
    for (int t = 0; t < 40; t++) {
        dial_trial_record record;
        ask_and_release(ctx, study, &space, &record);
        const double *v = record.param_values;
        long x = find_param(&record, "x"), lr = find_param(&record, "lr");
        long batch = find_param(&record, "batch"), width = find_param(&record, "width");
        long opt = find_param(&record, "opt"), m = find_param(&record, "m");
        long beta = find_param(&record, "beta");
        assert_true(x >= 0 && v[x] >= -5 && v[x] <= 10);
        assert_int_equal(record.param_kinds[x], DIAL_PARAM_FLOAT);
        assert_true(lr >= 0 && v[lr] >= 1e-5 && v[lr] <= 1e-1);
        assert_true(batch >= 0 && v[batch] >= 16 && v[batch] <= 256);
        assert_true(fmod(v[batch], 16) == 0);
        assert_int_equal(record.param_kinds[batch], DIAL_PARAM_INT);
        assert_true(width >= 0 && v[width] >= 8 && v[width] <= 512 && v[width] == round(v[width]));
        assert_true(opt >= 0);
        assert_int_equal(record.param_kinds[opt], DIAL_PARAM_CHOICE);
        const char *chosen = record.param_texts[opt];
        bool adam = strcmp(chosen, "adam") == 0;
        seen_adam |= adam;
        seen_sgd |= strcmp(chosen, "sgd") == 0;
        /* An inactive parameter is not listed; an active one comes after
         * the parameter its condition names. */
        if (adam) {
            assert_true(m < 0);
            assert_true(beta > opt && v[beta] >= 0.9 && v[beta] <= 0.999);
        } else {
            assert_true(beta < 0);
            assert_true(m > opt && v[m] >= 0 && v[m] <= 0.99);
        }
        assert_int_equal(record.n_params, 6);
        dial_trial_record_clear(&record);
    }
    assert_true(seen_adam && seen_sgd);
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_the_same_seed_gives_the_same_trials(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = load_space(ctx);
    dial_study *first = open_study(ctx, NULL, "a", &space, 11, 0);
    dial_study *second = open_study(ctx, NULL, "b", &space, 11, 0);
    dial_study *other = open_study(ctx, NULL, "c", &space, 12, 0);
    bool differs = false;
    for (int t = 0; t < 10; t++) {
        dial_trial_record a, b, c;
        ask_and_release(ctx, first, &space, &a);
        ask_and_release(ctx, second, &space, &b);
        ask_and_release(ctx, other, &space, &c);
        assert_records_equal(&a, &b);
        differs |= strcmp(a.param_texts[0], c.param_texts[0]) != 0;
        dial_trial_record_clear(&a);
        dial_trial_record_clear(&b);
        dial_trial_record_clear(&c);
    }
    assert_true(differs);
    dial_study_free(first);
    dial_study_free(second);
    dial_study_free(other);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_a_conditional_parameter_before_its_controller_waits_for_it(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = {0};
    assert_dial_ok(ctx, dial_space_add_typed_json(
                            ctx, &space,
                            "{\"m\": {\"range\": \"float:0..1\", \"when\": \"opt=sgd\"}, \"opt\": "
                            "[\"sgd\", \"adam\"], \"k\": \"int:1..3\"}",
                            NULL));
    dial_study *study = open_study(ctx, NULL, "order", &space, 5, 0);
    bool seen_m = false;
    for (int t = 0; t < 20; t++) {
        dial_trial_record record;
        ask_and_release(ctx, study, &space, &record);
        assert_string_equal(record.param_names[0], "opt");
        assert_string_equal(record.param_names[1], "k");
        bool sgd = strcmp(record.param_texts[0], "sgd") == 0;
        assert_int_equal(record.n_params, sgd ? 3 : 2);
        if (sgd) assert_string_equal(record.param_names[2], "m");
        seen_m |= sgd;
        dial_trial_record_clear(&record);
    }
    assert_true(seen_m);
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_a_grid_over_a_conditional_space_visits_each_active_point_once(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = {0};
    assert_dial_ok(
        ctx, dial_space_add_typed_json(ctx, &space,
                                       "{\"opt\": [\"a\", \"b\"], \"k\": {\"range\": \"int:1..3\", "
                                       "\"when\": \"opt=b\"}}",
                                       NULL));
    dial_study_options options = {.name = "grid",
                                  .direction = DIAL_MINIMIZE,
                                  .sampler = DIAL_SAMPLER_GRID,
                                  .space = &space,
                                  .seed = 1};
    dial_study *study = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &study));
    /* opt=a alone, then opt=b with each k: four points, then the grid ends. */
    bool seen[4] = {false};
    for (int t = 0; t < 4; t++) {
        dial_trial_record record;
        ask_and_release(ctx, study, &space, &record);
        int point = strcmp(record.param_texts[0], "a") == 0 ? 0 : (int)record.param_values[1];
        assert_int_equal(record.n_params, point == 0 ? 1 : 2);
        assert_false(seen[point]);
        seen[point] = true;
        dial_trial_record_clear(&record);
    }
    dial_trial *trial = NULL;
    assert_dial_ok(ctx, dial_study_ask(ctx, study, 0, &trial));
    assert_null(trial);
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_a_released_trial_stays_running_with_its_params_stored(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = load_space(ctx);
    dial_study *study = open_study(ctx, NULL, "free", &space, 1, 0);
    dial_trial_record asked;
    int64_t number = ask_and_release(ctx, study, &space, &asked);
    dial_trial_record record = stored(ctx, study, number);
    assert_int_equal(record.state, DIAL_TRIAL_RUNNING);
    assert_records_equal(&asked, &record);
    dial_trial_record_clear(&record);
    dial_trial_record_clear(&asked);
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

/* ---- telling by number, in memory -------------------------------------------- */

static void test_tell_number_completes_a_released_trial(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = load_space(ctx);
    dial_study *study = open_study(ctx, NULL, "free", &space, 1, 0);
    int64_t first = ask_and_release(ctx, study, &space, NULL);
    int64_t second = ask_and_release(ctx, study, &space, NULL);
    assert_dial_ok(ctx,
                   dial_study_tell_number(ctx, study, second, DIAL_TRIAL_COMPLETE, 0.125, NULL));
    assert_dial_ok(ctx, dial_study_tell_number(ctx, study, first, DIAL_TRIAL_FAILED, NAN,
                                               "exit status 3: out of memory"));
    dial_trial_record record = stored(ctx, study, second);
    assert_int_equal(record.state, DIAL_TRIAL_COMPLETE);
    assert_true(record.value == 0.125);
    assert_true(record.finished_at > 0);
    dial_trial_record_clear(&record);
    record = stored(ctx, study, first);
    assert_int_equal(record.state, DIAL_TRIAL_FAILED);
    assert_string_equal(record.message, "exit status 3: out of memory");
    dial_trial_record_clear(&record);
    dial_trial_record best = {0};
    assert_dial_ok(ctx, dial_study_best(ctx, study, &best));
    assert_int_equal(best.number, second);
    dial_trial_record_clear(&best);
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_telling_twice_is_refused_and_keeps_the_first_value(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = load_space(ctx);
    dial_study *study = open_study(ctx, NULL, "free", &space, 1, 0);
    int64_t number = ask_and_release(ctx, study, &space, NULL);
    assert_dial_ok(ctx,
                   dial_study_tell_number(ctx, study, number, DIAL_TRIAL_COMPLETE, 0.913, NULL));
    assert_dial_error(ctx, dial_study_tell_number(ctx, study, number, DIAL_TRIAL_COMPLETE, 2, NULL),
                      DIAL_ERR_ARGUMENT,
                      "trial 0 of study 'free' in memory is already complete (value 0.913); it was "
                      "told before");
    assert_dial_error(ctx, dial_study_tell_number(ctx, study, number, DIAL_TRIAL_FAILED, NAN, NULL),
                      DIAL_ERR_ARGUMENT,
                      "trial 0 of study 'free' in memory is already complete (value 0.913); it was "
                      "told before");
    dial_trial_record record = stored(ctx, study, number);
    assert_true(record.value == 0.913);
    dial_trial_record_clear(&record);
    int64_t failed = ask_and_release(ctx, study, &space, NULL);
    assert_dial_ok(ctx, dial_study_tell_number(ctx, study, failed, DIAL_TRIAL_FAILED, NAN, NULL));
    assert_dial_error(ctx, dial_study_tell_number(ctx, study, failed, DIAL_TRIAL_COMPLETE, 1, NULL),
                      DIAL_ERR_ARGUMENT,
                      "trial 1 of study 'free' in memory is already failed; it was told before");
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_an_unknown_number_names_the_numbers_the_study_has(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = load_space(ctx);
    dial_study *study = open_study(ctx, NULL, "free", &space, 1, 0);
    assert_dial_error(ctx, dial_study_tell_number(ctx, study, 0, DIAL_TRIAL_COMPLETE, 1, NULL),
                      DIAL_ERR_ARGUMENT,
                      "study 'free' in memory has no trial 0; it has no trials yet");
    ask_and_release(ctx, study, &space, NULL);
    assert_dial_error(ctx, dial_study_tell_number(ctx, study, 1, DIAL_TRIAL_COMPLETE, 1, NULL),
                      DIAL_ERR_ARGUMENT,
                      "study 'free' in memory has no trial 1; its only trial is number 0");
    for (int t = 0; t < 9; t++) ask_and_release(ctx, study, &space, NULL);
    assert_dial_error(ctx, dial_study_tell_number(ctx, study, 12, DIAL_TRIAL_COMPLETE, 1, NULL),
                      DIAL_ERR_ARGUMENT,
                      "study 'free' in memory has no trial 12; its trials are numbered 0 to 9");
    assert_dial_error(ctx, dial_study_tell_number(ctx, study, -1, DIAL_TRIAL_COMPLETE, 1, NULL),
                      DIAL_ERR_ARGUMENT,
                      "study 'free' in memory has no trial -1; its trials are numbered 0 to 9");
    bool prune = true;
    assert_dial_error(ctx, dial_study_report_number(ctx, study, 10, 1, 0.5, &prune),
                      DIAL_ERR_ARGUMENT,
                      "study 'free' in memory has no trial 10; its trials are numbered 0 to 9");
    assert_false(prune);
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_a_trial_the_memory_study_no_longer_keeps_was_told_before(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_study *study = open_study(ctx, NULL, "free", NULL, 1, 0);
    /* Trial 0 is the worst of 1102, and 1101 finished after it: neither
     * among the 1000 most recent nor among the 100 best, it is forgotten. */
    for (int t = 0; t < 1102; t++) {
        dial_trial *trial = NULL;
        assert_dial_ok(ctx, dial_study_ask(ctx, study, 0, &trial));
        assert_dial_ok(
            ctx, dial_study_tell(ctx, study, trial, DIAL_TRIAL_COMPLETE, t == 0 ? 1e9 : (double)t));
    }
    assert_dial_error(ctx, dial_study_tell_number(ctx, study, 0, DIAL_TRIAL_COMPLETE, 1, NULL),
                      DIAL_ERR_ARGUMENT,
                      "trial 0 of study 'free' in memory finished long ago and is no longer kept; "
                      "it was told before");
    assert_dial_error(ctx, dial_study_tell_number(ctx, study, 1102, DIAL_TRIAL_COMPLETE, 1, NULL),
                      DIAL_ERR_ARGUMENT,
                      "study 'free' in memory has no trial 1102; its trials are numbered 0 to "
                      "1101");
    dial_study_free(study);
    dial_ctx_free(ctx);
}

static void test_nan_and_states_other_than_complete_or_failed_change_nothing(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = load_space(ctx);
    dial_study *study = open_study(ctx, NULL, "free", &space, 1, 0);
    int64_t number = ask_and_release(ctx, study, &space, NULL);
    assert_dial_error(ctx,
                      dial_study_tell_number(ctx, study, number, DIAL_TRIAL_COMPLETE, NAN, NULL),
                      DIAL_ERR_ARGUMENT,
                      "trial 0 of study 'free' in memory cannot be complete with the value nan; "
                      "tell it failed instead");
    assert_dial_error(ctx, dial_study_tell_number(ctx, study, number, DIAL_TRIAL_RUNNING, 1, NULL),
                      DIAL_ERR_ARGUMENT,
                      "trial 0 of study 'free' in memory cannot be told running; a told trial is "
                      "complete (with its value), pruned or failed");
    dial_trial_record record = stored(ctx, study, number);
    assert_int_equal(record.state, DIAL_TRIAL_RUNNING);
    dial_trial_record_clear(&record);
    /* An infinite value is a value. */
    assert_dial_ok(ctx,
                   dial_study_tell_number(ctx, study, number, DIAL_TRIAL_COMPLETE, INFINITY, NULL));
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

static void test_report_number_records_steps_then_tell_finishes(void **state) {
    dial_ctx *ctx = test_ctx();
    dial_space space = load_space(ctx);
    dial_study *study = open_study(ctx, NULL, "free", &space, 1, 0);
    int64_t number = ask_and_release(ctx, study, &space, NULL);
    bool prune = true;
    assert_dial_ok(ctx, dial_study_report_number(ctx, study, number, 1, 0.81, &prune));
    assert_false(prune);
    assert_dial_ok(ctx, dial_study_report_number(ctx, study, number, 2, 0.7, NULL));
    assert_dial_ok(ctx, dial_study_report_number(ctx, study, number, 1, 0.8, &prune));
    assert_dial_ok(ctx, dial_study_tell_number(ctx, study, number, DIAL_TRIAL_COMPLETE, 0.6, NULL));
    dial_trial_record record = stored(ctx, study, number);
    assert_int_equal(record.state, DIAL_TRIAL_COMPLETE);
    assert_int_equal(record.n_intermediate, 2);
    assert_int_equal(record.intermediate_steps[0], 1);
    assert_true(record.intermediate_values[0] == 0.8);
    assert_int_equal(record.intermediate_steps[1], 2);
    assert_true(record.intermediate_values[1] == 0.7);
    dial_trial_record_clear(&record);
    assert_dial_error(ctx, dial_study_report_number(ctx, study, number, 3, 0.5, &prune),
                      DIAL_ERR_ARGUMENT,
                      "trial 0 of study 'free' in memory is already complete (value 0.6); it was "
                      "told before");
    dial_study_free(study);
    dial_space_free(&space);
    dial_ctx_free(ctx);
}

/* ---- two handles of one SQLite file ------------------------------------------- */

static void test_a_trial_asked_on_one_handle_is_told_on_another(void **state) {
    fixture *f = *state;
    dial_ctx *ctx = f->ctx;
    dial_space space = load_space(ctx);
    dial_study *asker = open_study(ctx, f->path, "free", &space, 1, 0);
    dial_trial_record asked;
    int64_t number = ask_and_release(ctx, asker, &space, &asked);
    int64_t other = ask_and_release(ctx, asker, &space, NULL);
    dial_study_free(asker);

    /* The teller opens the study without a space, as `dial tell` may. */
    dial_study *teller = open_study(ctx, f->path, "free", NULL, 1, 0);
    bool prune = true;
    assert_dial_ok(ctx, dial_study_report_number(ctx, teller, number, 1, 0.5, &prune));
    assert_false(prune);
    assert_dial_ok(ctx, dial_study_tell_number(ctx, teller, number, DIAL_TRIAL_COMPLETE,
                                               0.30000000000000004, NULL));
    assert_error_in_file(
        ctx, dial_study_tell_number(ctx, teller, number, DIAL_TRIAL_COMPLETE, 1, NULL), f->path,
        "trial 0 of study 'free' in %s is already complete (value "
        "0.30000000000000004); it was told before");
    dial_trial_record record = stored(ctx, teller, number);
    assert_int_equal(record.state, DIAL_TRIAL_COMPLETE);
    assert_true(record.value == 0.30000000000000004);
    assert_int_equal(record.n_intermediate, 1);
    assert_records_equal(&asked, &record);
    dial_trial_record_clear(&record);
    record = stored(ctx, teller, other);
    assert_int_equal(record.state, DIAL_TRIAL_RUNNING);
    dial_trial_record_clear(&record);
    dial_trial_record_clear(&asked);
    dial_study_free(teller);
    dial_space_free(&space);
}

static void test_a_number_told_to_the_wrong_study_changes_nothing(void **state) {
    fixture *f = *state;
    dial_ctx *ctx = f->ctx;
    dial_space space = load_space(ctx);
    dial_study *mine = open_study(ctx, f->path, "mine", &space, 1, 0);
    for (int t = 0; t < 3; t++) ask_and_release(ctx, mine, &space, NULL);
    dial_study *theirs = open_study(ctx, f->path, "theirs", &space, 1, 0);
    ask_and_release(ctx, theirs, &space, NULL);
    assert_error_in_file(ctx, dial_study_tell_number(ctx, theirs, 2, DIAL_TRIAL_COMPLETE, 1, NULL),
                         f->path,
                         "study 'theirs' in %s has no trial 2; its only trial is number 0");
    dial_trial_record record = stored(ctx, mine, 2);
    assert_int_equal(record.state, DIAL_TRIAL_RUNNING);
    dial_trial_record_clear(&record);
    dial_study_free(mine);
    dial_study_free(theirs);
    dial_space_free(&space);
}

static void sleep_seconds(double seconds) {
    struct timespec pause = {(time_t)seconds, (long)((seconds - floor(seconds)) * 1e9)};
    while (nanosleep(&pause, &pause) != 0) {
    }
}

static void test_a_trial_never_told_expires_and_its_params_run_again(void **state) {
    fixture *f = *state;
    dial_ctx *ctx = f->ctx;
    dial_space space = load_space(ctx);
    dial_study *first = open_study(ctx, f->path, "free", &space, 1, 0.2);
    dial_trial_record asked;
    int64_t number = ask_and_release(ctx, first, &space, &asked);
    sleep_seconds(0.3);

    /* The next ask, on any handle, finds it silent past its heartbeat. */
    dial_study *second = open_study(ctx, f->path, "free", &space, 1, 0.2);
    dial_trial_record again;
    int64_t rerun = ask_and_release(ctx, second, &space, &again);
    assert_int_equal(rerun, number + 1);
    assert_records_equal(&asked, &again);
    /* A handle of another heartbeat still gives the period that expired it. */
    dial_study *teller = open_study(ctx, f->path, "free", &space, 1, 0);
    assert_error_in_file(
        ctx, dial_study_tell_number(ctx, teller, number, DIAL_TRIAL_COMPLETE, 1, NULL), f->path,
        "trial 0 of study 'free' in %s expired after 0.2 s without a tell; "
        "its params were queued for another trial");
    bool prune = true;
    assert_error_in_file(ctx, dial_study_report_number(ctx, second, number, 1, 1, &prune), f->path,
                         "trial 0 of study 'free' in %s expired after 0.2 s without a tell; "
                         "its params were queued for another trial");
    dial_trial_record record = stored(ctx, second, number);
    assert_int_equal(record.state, DIAL_TRIAL_FAILED);
    assert_true(record.stale);
    assert_int_equal(record.n_intermediate, 0);
    dial_trial_record_clear(&record);
    assert_dial_ok(ctx, dial_study_tell_number(ctx, first, rerun, DIAL_TRIAL_COMPLETE, 2, NULL));
    dial_trial_record_clear(&asked);
    dial_trial_record_clear(&again);
    dial_study_free(first);
    dial_study_free(second);
    dial_study_free(teller);
    dial_space_free(&space);
}

static void test_a_report_keeps_a_trial_alive(void **state) {
    fixture *f = *state;
    dial_ctx *ctx = f->ctx;
    dial_space space = load_space(ctx);
    dial_study *study = open_study(ctx, f->path, "free", &space, 1, 0.4);
    int64_t number = ask_and_release(ctx, study, &space, NULL);
    sleep_seconds(0.3);
    assert_dial_ok(ctx, dial_study_report_number(ctx, study, number, 1, 0.5, NULL));
    sleep_seconds(0.3);
    /* 0.6 s after the ask but 0.3 s after the report: still running. */
    int64_t next = ask_and_release(ctx, study, &space, NULL);
    assert_int_equal(next, number + 1);
    assert_dial_ok(ctx, dial_study_tell_number(ctx, study, number, DIAL_TRIAL_COMPLETE, 1, NULL));
    dial_study_free(study);
    dial_space_free(&space);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_suggest_space_draws_every_active_parameter_in_its_range),
        cmocka_unit_test(test_the_same_seed_gives_the_same_trials),
        cmocka_unit_test(test_a_conditional_parameter_before_its_controller_waits_for_it),
        cmocka_unit_test(test_a_grid_over_a_conditional_space_visits_each_active_point_once),
        cmocka_unit_test(test_a_released_trial_stays_running_with_its_params_stored),
        cmocka_unit_test(test_tell_number_completes_a_released_trial),
        cmocka_unit_test(test_telling_twice_is_refused_and_keeps_the_first_value),
        cmocka_unit_test(test_an_unknown_number_names_the_numbers_the_study_has),
        cmocka_unit_test(test_a_trial_the_memory_study_no_longer_keeps_was_told_before),
        cmocka_unit_test(test_nan_and_states_other_than_complete_or_failed_change_nothing),
        cmocka_unit_test(test_report_number_records_steps_then_tell_finishes),
        cmocka_unit_test_setup_teardown(test_a_trial_asked_on_one_handle_is_told_on_another, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_number_told_to_the_wrong_study_changes_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_trial_never_told_expires_and_its_params_run_again,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_report_keeps_a_trial_alive, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

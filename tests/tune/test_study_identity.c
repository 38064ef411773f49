/* A study is one experiment: it records what defines it when it is made
 * (model, data, target, task, metric, folds, seed, sampler, space, ...),
 * and a run that differs in any of them cannot resume it; data in another
 * row or column order is still other data, and says so. A run counts its
 * own trials, not those another process adds meanwhile. */
#define _DEFAULT_SOURCE
#include "test_support.h"

#include <inttypes.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dial/tune_model.h"

typedef struct fixture {
    dial_ctx *ctx;
    dial_table *table;
    dial_dataset *data;
    const dial_model_family *family;
    dial_knobs knobs;
    dial_space space;
    char *path;
} fixture;

static void setup(fixture *f, const char *data_path, const char *target) {
    memset(f, 0, sizeof *f);
    f->ctx = test_ctx();
    f->data = test_load_dataset(f->ctx, data_path, target, &f->table);
    assert_dial_ok(f->ctx, dial_model_family_lookup(f->ctx, "knn", &f->family));
    assert_dial_ok(f->ctx, dial_model_knobs_init(f->ctx, f->family, &f->knobs));
    assert_dial_ok(f->ctx, dial_space_set(f->ctx, &f->space, &f->knobs, "k=1..30"));
    f->path = test_write_temp("", 0, ".db");
    unlink(f->path);
}

static void teardown(fixture *f) {
    unlink(f->path);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", f->path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", f->path);
    unlink(side);
    free(f->path);
    dial_space_free(&f->space);
    dial_knobs_free(&f->knobs);
    dial_dataset_free(f->data);
    dial_table_free(f->table);
    dial_ctx_free(f->ctx);
}

static dial_tune_setup tune_setup(const fixture *f, dial_metric metric) {
    return (dial_tune_setup){.family = f->family,
                             .knobs = &f->knobs,
                             .space = &f->space,
                             .metric = metric,
                             .folds = 5,
                             .seed = 3};
}

static dial_tune_options tune_options(const fixture *f, int64_t n_trials) {
    return (dial_tune_options){.storage = f->path,
                               .sampler = DIAL_SAMPLER_RANDOM,
                               .optimize = {.n_trials = n_trials, .jobs = 1}};
}

/* Runs a search that must succeed, and returns how many trials the study
 * holds after it. */
static int64_t tune(fixture *f, const dial_tune_setup *s, const dial_tune_options *options) {
    dial_tune_result result;
    assert_dial_ok(f->ctx, dial_tune_model(f->ctx, s, f->data, options, &result));
    int64_t n = result.n_finished;
    dial_tune_result_free(&result);
    return n;
}

/* The number of trials study `name` of the file holds. */
static size_t stored_trials(fixture *f, const char *name) {
    dial_study *study = NULL;
    dial_trial_list list = {0};
    assert_dial_ok(f->ctx, dial_study_load(f->ctx, f->path, name, &study));
    assert_dial_ok(f->ctx, dial_study_trials(f->ctx, study, &list));
    size_t n = list.count;
    dial_trial_list_free(&list);
    dial_study_free(study);
    return n;
}

static void expect_refused(fixture *f, const dial_tune_setup *s, const dial_tune_options *options,
                           const char *expected_tail) {
    dial_tune_result result;
    char expected[1024];
    snprintf(expected, sizeof expected,
             "study 'knn' in %s was created with %s; use --study-name "
             "NAME for a new study in the same file",
             f->path, expected_tail);
    assert_dial_error(f->ctx, dial_tune_model(f->ctx, s, f->data, options, &result),
                      DIAL_ERR_ARGUMENT, expected);
}

/* ---- what differs is refused, before any trial runs ----------------------------- */

static void test_another_metric_is_refused_before_any_trial_runs(void **state) {
    (void)state;
    fixture f;
    setup(&f, "data/iris.csv", "species");
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY);
    dial_tune_options options = tune_options(&f, 4);
    assert_int_equal(tune(&f, &s, &options), 4);
    s.metric = DIAL_METRIC_F1;
    options.optimize.n_trials = 8;
    expect_refused(&f, &s, &options, "metric accuracy, this run asks for f1");
    assert_int_equal(stored_trials(&f, "knn"), 4);
    teardown(&f);
}

static void test_another_seed_folds_or_space_is_refused(void **state) {
    (void)state;
    fixture f;
    setup(&f, "data/iris.csv", "species");
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY);
    dial_tune_options options = tune_options(&f, 3);
    tune(&f, &s, &options);
    s.seed = 4;
    expect_refused(&f, &s, &options, "seed 3, this run asks for 4");
    s.seed = 3;
    s.folds = 3;
    expect_refused(&f, &s, &options, "folds 5, this run asks for 3");
    s.folds = 5;
    dial_space other = {0};
    assert_dial_ok(f.ctx, dial_space_set(f.ctx, &other, &f.knobs, "k=1..20"));
    s.space = &other;
    expect_refused(&f, &s, &options, "space k=1..30, this run asks for k=1..20");
    dial_space_free(&other);
    s.space = &f.space;
    options.holdout = 0.2;
    expect_refused(&f, &s, &options, "holdout 0, this run asks for 0.2");
    /* The same experiment resumes. */
    options.holdout = 0;
    options.optimize.n_trials = 5;
    assert_int_equal(tune(&f, &s, &options), 5);
    teardown(&f);
}

static void test_switching_the_sampler_is_refused(void **state) {
    (void)state;
    fixture f;
    setup(&f, "data/iris.csv", "species");
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY);
    dial_tune_options options = tune_options(&f, 6);
    tune(&f, &s, &options);
    options.sampler = DIAL_SAMPLER_GRID;
    options.optimize.n_trials = 0;
    expect_refused(&f, &s, &options, "sampler random, this run asks for grid");
    assert_int_equal(stored_trials(&f, "knn"), 6);
    teardown(&f);
}

static void test_a_knob_fixed_otherwise_is_refused(void **state) {
    (void)state;
    fixture f;
    setup(&f, "data/iris.csv", "species");
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY);
    dial_tune_options options = tune_options(&f, 3);
    tune(&f, &s, &options);
    assert_dial_ok(f.ctx, dial_knobs_set_assignment(f.ctx, &f.knobs, "weights=distance"));
    expect_refused(&f, &s, &options, "knobs (none), this run asks for weights=distance");
    teardown(&f);
}

/* ---- data ----------------------------------------------------------------------- */

/* Writes iris.csv with its rows reversed, or its first two columns swapped. */
static char *rewritten_iris(bool reverse_rows, bool swap_columns) {
    size_t length = 0;
    char *text = test_read_file("data/iris.csv", &length);
    char *lines[400];
    size_t n = 0;
    for (char *line = strtok(text, "\n"); line && n < 400; line = strtok(NULL, "\n"))
        lines[n++] = line;
    char *out = calloc(length + 16, 1);
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        const char *line = i == 0 || !reverse_rows ? lines[i] : lines[n - i];
        if (swap_columns) {
            const char *first_comma = strchr(line, ',');
            const char *second_comma = strchr(first_comma + 1, ',');
            used +=
                (size_t)sprintf(out + used, "%.*s,%.*s%s\n", (int)(second_comma - first_comma - 1),
                                first_comma + 1, (int)(first_comma - line), line, second_comma);
        } else {
            used += (size_t)sprintf(out + used, "%s\n", line);
        }
    }
    char *path = test_write_temp(out, used, ".csv");
    free(out);
    free(text);
    return path;
}

/* Resumes the iris study with another file's data; returns the message. */
static void expect_data_refused(fixture *f, const char *csv, const char *expected_fmt) {
    fixture other;
    setup(&other, csv, "species");
    dial_tune_setup s = tune_setup(&other, DIAL_METRIC_ACCURACY);
    dial_tune_options options = tune_options(f, 6);
    dial_study_identity notes = {0};
    assert_dial_ok(f->ctx, dial_study_identity_set(f->ctx, &notes, "note.data_file", csv));
    options.identity = &notes;
    dial_tune_result result;
    char expected[1024];
    snprintf(expected, sizeof expected, expected_fmt, f->path, csv);
    assert_dial_error(other.ctx, dial_tune_model(other.ctx, &s, other.data, &options, &result),
                      DIAL_ERR_ARGUMENT, expected);
    dial_study_identity_free(&notes);
    teardown(&other);
}

static void test_data_in_another_row_or_column_order_is_still_other_data(void **state) {
    (void)state;
    fixture f;
    setup(&f, "data/iris.csv", "species");
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY);
    dial_tune_options options = tune_options(&f, 3);
    dial_study_identity notes = {0};
    assert_dial_ok(f.ctx, dial_study_identity_set(f.ctx, &notes, "note.data_file", "iris.csv"));
    options.identity = &notes;
    tune(&f, &s, &options);
    char *rows = rewritten_iris(true, false), *columns = rewritten_iris(false, true),
         *both = rewritten_iris(true, true);
    expect_data_refused(&f, rows,
                        "study 'knn' in %s was created on iris.csv; this run's %s holds the same "
                        "rows in another order, which a study still counts as other data; use "
                        "--study-name NAME for a new study in the same file");
    expect_data_refused(&f, columns,
                        "study 'knn' in %s was created on iris.csv; this run's %s holds the same "
                        "columns in another order, which a study still counts as other data; use "
                        "--study-name NAME for a new study in the same file");
    expect_data_refused(&f, both,
                        "study 'knn' in %s was created on iris.csv; this run's %s holds the same "
                        "rows and columns in other orders, which a study still counts as other "
                        "data; use --study-name NAME for a new study in the same file");
    unlink(rows);
    unlink(columns);
    unlink(both);
    free(rows);
    free(columns);
    free(both);
    dial_study_identity_free(&notes);
    teardown(&f);
}

static void test_other_data_names_both_fingerprints(void **state) {
    (void)state;
    fixture f;
    setup(&f, "data/iris.csv", "species");
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY);
    dial_tune_options options = tune_options(&f, 3);
    tune(&f, &s, &options);
    /* The first 100 rows: two classes, other data. */
    size_t rows[100];
    for (size_t i = 0; i < 100; i++) rows[i] = i;
    dial_view all = dial_view_all(f.data), part = {f.data, rows, 100};
    char expected[512];
    snprintf(expected, sizeof expected,
             "study 'knn' in %s was created on its data (fingerprint %016" PRIx64
             "); this run's data is other data (fingerprint %016" PRIx64
             "); use --study-name NAME for a new study in the same file",
             f.path, dial_view_fingerprint(&all), dial_view_fingerprint(&part));
    /* The same file less its last 50 rows. */
    size_t length = 0;
    char *text = test_read_file("data/iris.csv", &length);
    char *cut = text;
    for (int line = 0; line < 101; line++) cut = strchr(cut, '\n') + 1;
    char *csv = test_write_temp(text, (size_t)(cut - text), ".csv");
    fixture small;
    setup(&small, csv, "species");
    dial_tune_setup t = tune_setup(&small, DIAL_METRIC_ACCURACY);
    dial_tune_result result;
    assert_dial_error(small.ctx, dial_tune_model(small.ctx, &t, small.data, &options, &result),
                      DIAL_ERR_ARGUMENT, expected);
    unlink(csv);
    free(csv);
    free(text);
    teardown(&small);
    teardown(&f);
}

/* The study keeps the content hash the model file keeps. */
static void test_the_data_key_starts_with_the_model_files_fingerprint(void **state) {
    (void)state;
    fixture f;
    setup(&f, "data/iris.csv", "species");
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY);
    dial_tune_options options = tune_options(&f, 3);
    options.refit = true;
    dial_tune_result result;
    assert_dial_ok(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &result));
    dial_study_identity stored = {0};
    bool found = false;
    assert_dial_ok(f.ctx, dial_study_identity_read(f.ctx, f.path, "knn", &stored, &found));
    assert_true(found);
    char exact[32];
    snprintf(exact, sizeof exact, "%016" PRIx64,
             dial_model_get_facts(result.model)->data_fingerprint);
    assert_memory_equal(dial_study_identity_get(&stored, "data"), exact, 16);
    assert_string_equal(dial_study_identity_get(&stored, "model"), "knn");
    assert_string_equal(dial_study_identity_get(&stored, "target"), "species");
    assert_string_equal(dial_study_identity_get(&stored, "task"), "classification");
    assert_string_equal(dial_study_identity_get(&stored, "metric"), "accuracy");
    assert_string_equal(dial_study_identity_get(&stored, "sampler"), "random");
    assert_null(dial_study_identity_get(&stored, "grid_points"));
    dial_study_identity_free(&stored);
    dial_tune_result_free(&result);
    teardown(&f);
}

/* ---- studies made before identities, nested runs ----------------------------------- */

static void test_a_study_made_before_identities_takes_the_next_runs(void **state) {
    (void)state;
    fixture f;
    setup(&f, "data/iris.csv", "species");
    dial_study_options plain = {.name = "knn", .storage = f.path, .direction = DIAL_MAXIMIZE};
    dial_study *study = NULL;
    assert_dial_ok(f.ctx, dial_study_open(f.ctx, &plain, &study));
    dial_study_free(study);
    dial_study_identity stored = {0};
    bool found = false;
    assert_dial_ok(f.ctx, dial_study_identity_read(f.ctx, f.path, "knn", &stored, &found));
    assert_true(found);
    assert_int_equal(stored.n, 0);
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY);
    dial_tune_options options = tune_options(&f, 3);
    assert_int_equal(tune(&f, &s, &options), 3);
    assert_dial_ok(f.ctx, dial_study_identity_read(f.ctx, f.path, "knn", &stored, &found));
    assert_string_equal(dial_study_identity_get(&stored, "metric"), "accuracy");
    dial_study_identity_free(&stored);
    s.metric = DIAL_METRIC_F1;
    expect_refused(&f, &s, &options, "metric accuracy, this run asks for f1");
    teardown(&f);
}

static void test_outer_studies_of_a_nested_run_carry_identities(void **state) {
    (void)state;
    fixture f;
    setup(&f, "data/iris.csv", "species");
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY);
    dial_tune_options options = tune_options(&f, 2);
    options.nested = 2;
    tune(&f, &s, &options);
    dial_study_identity stored = {0};
    bool found = false;
    assert_dial_ok(f.ctx, dial_study_identity_read(f.ctx, f.path, "knn-outer-2", &stored, &found));
    assert_true(found);
    assert_string_equal(dial_study_identity_get(&stored, "outer_fold"), "2 of 2");
    assert_string_equal(dial_study_identity_get(&stored, "nested"), "2");
    dial_study_identity_free(&stored);
    /* An outer study made by another experiment stops the run before the
     * main search adds a trial. */
    s.seed = 9;
    assert_dial_ok(f.ctx, dial_study_delete(f.ctx, f.path, "knn"));
    dial_tune_result result;
    char expected[512];
    snprintf(expected, sizeof expected,
             "study 'knn-outer-1' in %s was created with seed 3, this run asks for 9; use "
             "--study-name NAME for a new study in the same file",
             f.path);
    assert_dial_error(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &result),
                      DIAL_ERR_ARGUMENT, expected);
    char **names = NULL;
    size_t n = 0;
    assert_dial_ok(f.ctx, dial_study_names(f.ctx, f.path, &names, &n));
    assert_int_equal(n, 2); /* no new "knn" */
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    teardown(&f);
}

/* ---- the check itself --------------------------------------------------------------- */

static void test_a_key_on_one_side_only_and_notes_are_no_conflict(void **state) {
    (void)state;
    dial_ctx *ctx = test_ctx();
    dial_study_identity stored = {0}, wanted = {0};
    assert_dial_ok(ctx, dial_study_identity_set(ctx, &stored, "metric", "f1"));
    assert_dial_ok(ctx, dial_study_identity_set(ctx, &stored, "note.data_file", "a.csv"));
    assert_dial_ok(ctx, dial_study_identity_set(ctx, &wanted, "note.data_file", "b.csv"));
    assert_dial_ok(ctx, dial_study_identity_set(ctx, &wanted, "pruner", "median"));
    assert_dial_ok(ctx, dial_study_identity_check(ctx, "s", "s.db", &stored, &wanted));
    assert_dial_ok(ctx, dial_study_identity_set(ctx, &wanted, "metric", "roc_auc"));
    assert_dial_error(ctx, dial_study_identity_check(ctx, "s", "s.db", &stored, &wanted),
                      DIAL_ERR_ARGUMENT,
                      "study 's' in s.db was created with metric f1, this run asks for roc_auc; "
                      "use --study-name NAME for a new study in the same file");
    /* Setting a key again replaces its value in place. */
    assert_dial_ok(ctx, dial_study_identity_set(ctx, &wanted, "note.data_file", "c.csv"));
    assert_int_equal(wanted.n, 3);
    assert_string_equal(dial_study_identity_get(&wanted, "note.data_file"), "c.csv");
    assert_dial_error(ctx, dial_study_identity_set(ctx, &wanted, "", "x"), DIAL_ERR_ARGUMENT,
                      "a study identity key cannot be empty");
    dial_study_identity_free(&stored);
    dial_study_identity_free(&wanted);
    dial_ctx_free(ctx);
}

/* ---- this run's trials --------------------------------------------------------- */

/* On the first trial of the run, another handle on the same file (as
 * another process would) finishes three trials of the study. */
typedef struct intruder {
    const char *path;
    bool done;
} intruder;

static void add_foreign_trials(void *user, const dial_study *study,
                               const dial_trial_record *trial) {
    (void)study;
    (void)trial;
    intruder *in = user;
    if (in->done) return;
    in->done = true;
    dial_ctx *ctx = test_ctx();
    dial_study_options options = {.name = "knn", .storage = in->path, .direction = DIAL_MAXIMIZE};
    dial_study *other = NULL;
    assert_dial_ok(ctx, dial_study_open(ctx, &options, &other));
    for (int i = 0; i < 3; i++) {
        dial_trial *foreign = NULL;
        assert_dial_ok(ctx, dial_study_ask(ctx, other, 0, &foreign));
        assert_dial_ok(ctx, dial_study_tell(ctx, other, foreign, DIAL_TRIAL_COMPLETE, 0.0));
    }
    dial_study_free(other);
    dial_ctx_free(ctx);
}

static void test_a_run_counts_its_own_trials_while_another_adds_some(void **state) {
    (void)state;
    fixture f;
    setup(&f, "data/iris.csv", "species");
    dial_tune_setup s = tune_setup(&f, DIAL_METRIC_ACCURACY);
    dial_tune_options options = tune_options(&f, 10);
    intruder in = {f.path, false};
    options.optimize.on_trial = add_foreign_trials;
    options.optimize.on_trial_user = &in;
    dial_tune_result result;
    assert_dial_ok(f.ctx, dial_tune_model(f.ctx, &s, f.data, &options, &result));
    assert_int_equal(result.n_finished, 10);
    assert_int_equal(result.n_new, 7); /* 10 in the study, 3 of them the other handle's */
    dial_tune_result_free(&result);
    teardown(&f);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_another_metric_is_refused_before_any_trial_runs),
        cmocka_unit_test(test_another_seed_folds_or_space_is_refused),
        cmocka_unit_test(test_switching_the_sampler_is_refused),
        cmocka_unit_test(test_a_knob_fixed_otherwise_is_refused),
        cmocka_unit_test(test_data_in_another_row_or_column_order_is_still_other_data),
        cmocka_unit_test(test_other_data_names_both_fingerprints),
        cmocka_unit_test(test_the_data_key_starts_with_the_model_files_fingerprint),
        cmocka_unit_test(test_a_study_made_before_identities_takes_the_next_runs),
        cmocka_unit_test(test_outer_studies_of_a_nested_run_carry_identities),
        cmocka_unit_test(test_a_key_on_one_side_only_and_notes_are_no_conflict),
        cmocka_unit_test(test_a_run_counts_its_own_trials_while_another_adds_some),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

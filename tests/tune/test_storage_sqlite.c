/* Studies in a SQLite file: resuming, several studies per file, the errors
 * of a wrong file, trial paths and the upgrade of files made before them,
 * and worker processes: four at once on one study, and a worker killed
 * with SIGKILL in the middle of a trial. */
#define _DEFAULT_SOURCE /* mkdtemp */
#include "test_support.h"

#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dial/tune.h"

/* A temporary folder with a study file path in it (test_support.h). */
typedef test_study_folder fixture;
#define setup test_study_folder_setup
#define teardown test_study_folder_teardown

static dial_status open_named(dial_ctx *ctx, const char *path, const char *name,
                              dial_direction direction, double heartbeat, dial_study **out) {
    dial_study_options options = {.name = name,
                                  .storage = path,
                                  .direction = direction,
                                  .sampler = DIAL_SAMPLER_RANDOM,
                                  .seed = 7,
                                  .heartbeat_seconds = heartbeat};
    return dial_study_open(ctx, &options, out);
}

static dial_study *open_study(fixture *f, const char *name) {
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, open_named(f->ctx, f->path, name, DIAL_MINIMIZE, 0, &study));
    return study;
}

static dial_status sum_of_squares(void *user, dial_trial *trial, double *value, bool *pruned) {
    double x, y;
    dial_status status = dial_trial_suggest_float(trial, "x", -1, 1, DIAL_LINEAR, &x);
    if (status == DIAL_OK) status = dial_trial_suggest_float(trial, "y", -1, 1, DIAL_LINEAR, &y);
    if (status == DIAL_OK) status = dial_trial_report(trial, 0, x);
    if (status != DIAL_OK) return status;
    *value = x * x + y * y;
    return DIAL_OK;
}

static void optimize(dial_ctx *ctx, dial_study *study, int64_t n, int jobs) {
    dial_optimize_options options = {.n_trials = n, .jobs = jobs};
    assert_dial_ok(ctx, dial_study_optimize(ctx, study, sum_of_squares, NULL, &options));
}

static dial_trial_list trials_of(dial_ctx *ctx, dial_study *study) {
    dial_trial_list list;
    assert_dial_ok(ctx, dial_study_trials(ctx, study, &list));
    return list;
}

static void test_study_is_resumed_from_the_file(void **state) {
    fixture *f = *state;
    dial_study *study = open_study(f, "resume");
    optimize(f->ctx, study, 5, 1);
    dial_trial_list before = trials_of(f->ctx, study);
    dial_study_free(study);

    study = open_study(f, "resume");
    dial_trial_list after = trials_of(f->ctx, study);
    assert_int_equal(after.count, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(after.items[i].number, (int64_t)i);
        assert_int_equal(after.items[i].state, DIAL_TRIAL_COMPLETE);
        assert_true(after.items[i].value == before.items[i].value);
        assert_int_equal(after.items[i].n_params, 2);
        assert_true(after.items[i].param_values[1] == before.items[i].param_values[1]);
        assert_string_equal(after.items[i].param_texts[0], before.items[i].param_texts[0]);
        assert_int_equal(after.items[i].n_intermediate, 1);
    }
    dial_trial_list_free(&after);
    optimize(f->ctx, study, 8, 2);
    after = trials_of(f->ctx, study);
    assert_int_equal(after.count, 8);
    dial_trial_list_free(&after);
    dial_trial_list_free(&before);
    dial_study_free(study);
}

static void test_several_named_studies_share_one_file(void **state) {
    fixture *f = *state;
    dial_study *a = open_study(f, "a"), *b = open_study(f, "b");
    optimize(f->ctx, a, 3, 1);
    optimize(f->ctx, b, 2, 1);
    optimize(f->ctx, a, 4, 1);
    dial_trial_list la = trials_of(f->ctx, a), lb = trials_of(f->ctx, b);
    assert_int_equal(la.count, 4);
    assert_int_equal(lb.count, 2);
    assert_int_equal(la.items[3].number, 3);
    assert_int_equal(lb.items[1].number, 1);
    dial_trial_list_free(&la);
    dial_trial_list_free(&lb);
    dial_study_free(a);
    dial_study_free(b);
}

static void test_resuming_with_the_other_direction_is_refused(void **state) {
    fixture *f = *state;
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, open_named(f->ctx, f->path, "x", DIAL_MAXIMIZE, 0, &study));
    dial_study_free(study);
    char expected[256];
    snprintf(expected, sizeof expected,
             "study 'x' in %s was created to maximize; cannot resume it to minimize", f->path);
    assert_dial_error(f->ctx, open_named(f->ctx, f->path, "x", DIAL_MINIMIZE, 0, &study),
                      DIAL_ERR_ARGUMENT, expected);
    assert_null(study);
}

static void test_storage_in_a_missing_directory_is_refused(void **state) {
    fixture *f = *state;
    dial_study *study = NULL;
    char path[200], expected[400];
    snprintf(path, sizeof path, "%s/no/such/s.db", f->dir);
    snprintf(expected, sizeof expected,
             "cannot open study storage %s: directory '%s/no/such' does not exist", path, f->dir);
    assert_dial_error(f->ctx, open_named(f->ctx, path, "x", DIAL_MINIMIZE, 0, &study), DIAL_ERR_IO,
                      expected);
}

static void test_a_file_that_is_not_sqlite_is_refused(void **state) {
    fixture *f = *state;
    FILE *file = fopen(f->path, "w");
    for (int i = 0; i < 100; i++) fputs("number,state,value\n", file);
    fclose(file);
    dial_study *study = NULL;
    char expected[256];
    snprintf(expected, sizeof expected, "%s is not a dial study database: it is not an SQLite file",
             f->path);
    assert_dial_error(f->ctx, open_named(f->ctx, f->path, "x", DIAL_MINIMIZE, 0, &study),
                      DIAL_ERR_FORMAT, expected);
}

static void run_sql(const char *path, const char *sql) {
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
}

static void test_an_sqlite_file_of_another_program_is_refused(void **state) {
    fixture *f = *state;
    run_sql(f->path, "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)");
    dial_study *study = NULL;
    char expected[256];
    snprintf(expected, sizeof expected,
             "%s is not a dial study database: it has tables but no dial_schema table", f->path);
    assert_dial_error(f->ctx, open_named(f->ctx, f->path, "x", DIAL_MINIMIZE, 0, &study),
                      DIAL_ERR_FORMAT, expected);
}

static void test_a_newer_schema_version_is_refused(void **state) {
    fixture *f = *state;
    dial_study *study = open_study(f, "x");
    dial_study_free(study);
    run_sql(f->path, "UPDATE dial_schema SET version = 99");
    char expected[256];
    snprintf(expected, sizeof expected,
             "%s has study schema version 99, from a newer dial; this dial %s reads versions 1 "
             "to 3: open it with a newer dial",
             f->path, DIAL_VERSION_STRING);
    study = NULL;
    assert_dial_error(f->ctx, open_named(f->ctx, f->path, "x", DIAL_MINIMIZE, 0, &study),
                      DIAL_ERR_FORMAT, expected);
    assert_dial_error(f->ctx, dial_study_load(f->ctx, f->path, "x", &study), DIAL_ERR_FORMAT,
                      expected);
}

static void test_a_schema_version_below_1_is_refused(void **state) {
    fixture *f = *state;
    dial_study *study = open_study(f, "x");
    dial_study_free(study);
    run_sql(f->path, "UPDATE dial_schema SET version = 0");
    char expected[256];
    snprintf(expected, sizeof expected,
             "%s has study schema version 0; this dial %s reads versions 1 to 3", f->path,
             DIAL_VERSION_STRING);
    study = NULL;
    assert_dial_error(f->ctx, open_named(f->ctx, f->path, "x", DIAL_MINIMIZE, 0, &study),
                      DIAL_ERR_FORMAT, expected);
}

/* ---- paths and the version-1 files made before them ----------------------- */

/* The schema as dial wrote it before trial paths (version 1), verbatim. */
static const char version_1_schema[] =
    "CREATE TABLE dial_schema (version INTEGER NOT NULL);\n"
    "INSERT INTO dial_schema (version) VALUES (1);\n"
    "CREATE TABLE studies (\n"
    "  study_id INTEGER PRIMARY KEY,\n"
    "  name TEXT NOT NULL UNIQUE,\n"
    "  direction TEXT NOT NULL CHECK (direction IN ('minimize', 'maximize')),\n"
    "  created_at REAL NOT NULL,\n"
    "  next_number INTEGER NOT NULL DEFAULT 0,\n"
    "  next_sample INTEGER NOT NULL DEFAULT 0,\n"
    "  n_running INTEGER NOT NULL DEFAULT 0,\n"
    "  n_finished INTEGER NOT NULL DEFAULT 0\n"
    ");\n"
    "CREATE TABLE trials (\n"
    "  trial_id INTEGER PRIMARY KEY,\n"
    "  study_id INTEGER NOT NULL REFERENCES studies (study_id),\n"
    "  number INTEGER NOT NULL,\n"
    "  sample INTEGER,\n"
    "  state TEXT NOT NULL CHECK (state IN ('running', 'complete', 'pruned', 'failed')),\n"
    "  value REAL,\n"
    "  started_at REAL NOT NULL,\n"
    "  finished_at REAL,\n"
    "  heartbeat REAL NOT NULL,\n"
    "  stale INTEGER NOT NULL DEFAULT 0,\n"
    "  message TEXT,\n"
    "  UNIQUE (study_id, number)\n"
    ");\n"
    "CREATE INDEX trials_running ON trials (study_id, heartbeat) WHERE state = 'running';\n"
    "CREATE INDEX trials_complete ON trials (study_id, value, number) WHERE state = 'complete';\n"
    "CREATE TABLE trial_params (\n"
    "  trial_id INTEGER NOT NULL REFERENCES trials (trial_id),\n"
    "  position INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('float', 'int', 'choice')),\n"
    "  value REAL NOT NULL,\n"
    "  text TEXT NOT NULL,\n"
    "  PRIMARY KEY (trial_id, name)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE trial_values (\n"
    "  trial_id INTEGER NOT NULL REFERENCES trials (trial_id),\n"
    "  step INTEGER NOT NULL,\n"
    "  value REAL,\n"
    "  PRIMARY KEY (trial_id, step)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE param_queue (\n"
    "  queue_id INTEGER PRIMARY KEY,\n"
    "  study_id INTEGER NOT NULL REFERENCES studies (study_id),\n"
    "  from_number INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX param_queue_by_study ON param_queue (study_id, queue_id);\n"
    "CREATE TABLE param_queue_params (\n"
    "  queue_id INTEGER NOT NULL REFERENCES param_queue (queue_id),\n"
    "  position INTEGER NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  kind TEXT NOT NULL CHECK (kind IN ('float', 'int', 'choice')),\n"
    "  value REAL NOT NULL,\n"
    "  text TEXT NOT NULL,\n"
    "  PRIMARY KEY (queue_id, name)\n"
    ") WITHOUT ROWID;\n";

/* Two finished trials of study 'old' as a version-1 dial left them. */
static const char version_1_trials[] =
    "INSERT INTO studies (study_id, name, direction, created_at, next_number, next_sample,\n"
    "  n_running, n_finished) VALUES (1, 'old', 'minimize', 1700000000, 2, 2, 0, 2);\n"
    "INSERT INTO trials (trial_id, study_id, number, sample, state, value, started_at,\n"
    "  finished_at, heartbeat) VALUES\n"
    "  (1, 1, 0, 0, 'complete', 0.5, 1700000001, 1700000002, 1700000002),\n"
    "  (2, 1, 1, 1, 'complete', 0.25, 1700000003, 1700000004, 1700000004);\n"
    "INSERT INTO trial_params VALUES (1, 0, 'x', 'float', 0.5, '0.5'),\n"
    "  (2, 0, 'x', 'float', 0.25, '0.25');\n"
    "INSERT INTO trial_values VALUES (1, 0, 0.5), (2, 0, 0.25);\n";

/* The file's schema version, and whether it has the trial_path table. */
static int64_t file_version(const char *path, bool *has_path_table) {
    sqlite3 *db = NULL;
    sqlite3_stmt *stmt = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db,
                                        "SELECT (SELECT group_concat(version) FROM dial_schema), "
                                        "(SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                        "AND name = 'trial_path')",
                                        -1, &stmt, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    /* group_concat: one row of the version, never two */
    const char *versions = (const char *)sqlite3_column_text(stmt, 0);
    assert_non_null(versions);
    assert_null(strchr(versions, ','));
    int64_t version = strtoll(versions, NULL, 10);
    *has_path_table = sqlite3_column_int64(stmt, 1) == 1;
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return version;
}

/* x*x + y*y, reporting a path that falls to it over three steps. */
static dial_status sum_of_squares_with_path(void *user, dial_trial *trial, double *value,
                                            bool *pruned) {
    dial_status status = sum_of_squares(user, trial, value, pruned);
    if (status != DIAL_OK) return status;
    const int64_t steps[] = {10, 20, 30};
    const double values[] = {*value + 2, *value + 1, *value};
    return dial_trial_report_path(trial, steps, values, 3);
}

static void expect_path_of_value(const dial_trial_record *trial) {
    assert_int_equal(trial->n_path, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(trial->path_steps[i], 10 * (int64_t)(i + 1));
        assert_true(trial->path_values[i] == trial->value + (double)(2 - i));
    }
}

static void test_a_path_survives_closing_and_reopening_the_file(void **state) {
    fixture *f = *state;
    dial_study *study = open_study(f, "paths");
    bool has_path_table = false;
    assert_int_equal(file_version(f->path, &has_path_table), 3); /* a new file */
    assert_true(has_path_table);
    dial_optimize_options options = {.n_trials = 4, .jobs = 2};
    assert_dial_ok(f->ctx,
                   dial_study_optimize(f->ctx, study, sum_of_squares_with_path, NULL, &options));
    dial_study_free(study);

    dial_study *loaded = NULL;
    assert_dial_ok(f->ctx, dial_study_load(f->ctx, f->path, "paths", &loaded));
    dial_trial_list list = trials_of(f->ctx, loaded);
    assert_int_equal(list.count, 4);
    for (size_t i = 0; i < list.count; i++) expect_path_of_value(&list.items[i]);
    dial_trial_list_free(&list);
    dial_trial_record best;
    assert_dial_ok(f->ctx, dial_study_best(f->ctx, loaded, &best));
    expect_path_of_value(&best);
    dial_trial_record_clear(&best);
    dial_study_free(loaded);
}

static void test_a_version_1_file_gains_the_path_table_and_keeps_its_trials(void **state) {
    fixture *f = *state;
    run_sql(f->path, version_1_schema);
    run_sql(f->path, version_1_trials);
    bool has_path_table = true;
    assert_int_equal(file_version(f->path, &has_path_table), 1);
    assert_false(has_path_table);

    dial_study *study = open_study(f, "old");
    assert_int_equal(file_version(f->path, &has_path_table), 3);
    assert_true(has_path_table);
    dial_trial_list list = trials_of(f->ctx, study);
    assert_int_equal(list.count, 2);
    assert_true(list.items[0].value == 0.5);
    assert_true(list.items[1].value == 0.25);
    assert_string_equal(list.items[1].param_texts[0], "0.25");
    assert_int_equal(list.items[1].n_intermediate, 1);
    assert_int_equal(list.items[0].n_path, 0);
    assert_int_equal(list.items[1].n_path, 0);
    dial_trial_list_free(&list);

    /* The study goes on, with paths, from where the old dial left it. */
    dial_optimize_options options = {.n_trials = 3, .jobs = 1};
    assert_dial_ok(f->ctx,
                   dial_study_optimize(f->ctx, study, sum_of_squares_with_path, NULL, &options));
    list = trials_of(f->ctx, study);
    assert_int_equal(list.count, 3);
    assert_int_equal(list.items[2].number, 2);
    expect_path_of_value(&list.items[2]);
    dial_trial_list_free(&list);
    dial_study_free(study);
}

static void test_reading_a_version_1_file_leaves_it_at_version_1(void **state) {
    fixture *f = *state;
    run_sql(f->path, version_1_schema);
    run_sql(f->path, version_1_trials);
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, dial_study_load(f->ctx, f->path, "old", &study));
    dial_trial_list list = trials_of(f->ctx, study);
    assert_int_equal(list.count, 2);
    assert_int_equal(list.items[1].n_path, 0);
    dial_trial_list_free(&list);
    dial_trial_record best;
    assert_dial_ok(f->ctx, dial_study_best(f->ctx, study, &best));
    assert_true(best.value == 0.25);
    dial_trial_record_clear(&best);
    /* A handle opened to read cannot write. */
    dial_trial *trial = NULL;
    assert_int_not_equal(dial_study_ask(f->ctx, study, 0, &trial), DIAL_OK);
    assert_null(trial);
    dial_study_free(study);
    bool has_path_table = true;
    assert_int_equal(file_version(f->path, &has_path_table), 1);
    assert_false(has_path_table);
}

/* The identity of study `name`, as the library reads it. */
static const char *stored_value(fixture *f, const char *name, const char *key,
                                dial_study_identity *holder) {
    bool found = false;
    assert_dial_ok(f->ctx, dial_study_identity_read(f->ctx, f->path, name, holder, &found));
    assert_true(found);
    return dial_study_identity_get(holder, key);
}

static dial_status open_with_metric(fixture *f, const char *name, const char *metric,
                                    dial_study **out) {
    dial_study_identity identity = {0};
    assert_dial_ok(f->ctx, dial_study_identity_set(f->ctx, &identity, "metric", metric));
    dial_study_options options = {
        .name = name, .storage = f->path, .direction = DIAL_MINIMIZE, .identity = &identity};
    dial_status status = dial_study_open(f->ctx, &options, out);
    dial_study_identity_free(&identity);
    return status;
}

static void
test_a_version_2_file_gains_identities_and_its_studies_take_the_next_runs(void **state) {
    fixture *f = *state;
    dial_study *study = open_study(f, "old");
    optimize(f->ctx, study, 2, 1);
    dial_study_free(study);
    run_sql(f->path, "DROP TABLE study_identity; UPDATE dial_schema SET version = 2");
    bool has_path_table = false;
    assert_int_equal(file_version(f->path, &has_path_table), 2);
    /* Read-only, the old file reads (without identities) and stays as it is. */
    dial_study_identity holder = {0};
    assert_null(stored_value(f, "old", "metric", &holder));
    assert_int_equal(holder.n, 0);
    assert_int_equal(file_version(f->path, &has_path_table), 2);

    assert_dial_ok(f->ctx, open_with_metric(f, "old", "rmse", &study));
    dial_study_free(study);
    assert_int_equal(file_version(f->path, &has_path_table), 3);
    assert_string_equal(stored_value(f, "old", "metric", &holder), "rmse");
    dial_study_identity_free(&holder);
    char expected[256];
    snprintf(expected, sizeof expected,
             "study 'old' in %s was created with metric rmse, this run asks for mae; use "
             "--study-name NAME for a new study in the same file",
             f->path);
    assert_dial_error(f->ctx, open_with_metric(f, "old", "mae", &study), DIAL_ERR_ARGUMENT,
                      expected);
    assert_null(study);
    /* Its trials are still there. */
    assert_dial_ok(f->ctx, open_with_metric(f, "old", "rmse", &study));
    dial_trial_list list = trials_of(f->ctx, study);
    assert_int_equal(list.count, 2);
    dial_trial_list_free(&list);
    dial_study_free(study);
}

static void test_deleting_a_study_leaves_no_row_of_it_and_renaming_keeps_them(void **state) {
    fixture *f = *state;
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, open_with_metric(f, "a", "rmse", &study));
    optimize(f->ctx, study, 3, 1);
    dial_study_free(study);
    assert_dial_ok(f->ctx, open_with_metric(f, "b", "mae", &study));
    optimize(f->ctx, study, 2, 1);
    dial_study_free(study);

    assert_dial_ok(f->ctx, dial_study_rename(f->ctx, f->path, "b", "c"));
    dial_study_summary *summaries = NULL;
    size_t n = 0;
    assert_dial_ok(f->ctx, dial_study_summaries(f->ctx, f->path, &summaries, &n));
    assert_int_equal(n, 2);
    assert_string_equal(summaries[1].name, "c");
    assert_int_equal(summaries[1].n_complete, 2);
    assert_string_equal(dial_study_identity_get(&summaries[1].identity, "metric"), "mae");
    assert_true(summaries[0].best_value <= summaries[0].best_value); /* not NaN */
    dial_study_summaries_free(summaries, n);

    assert_dial_ok(f->ctx, dial_study_delete(f->ctx, f->path, "a"));
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    static const char *const counts[] = {
        "SELECT count(*) FROM studies WHERE name = 'a'",
        "SELECT count(*) FROM trials WHERE study_id NOT IN (SELECT study_id FROM studies)",
        "SELECT count(*) FROM trial_params WHERE trial_id NOT IN (SELECT trial_id FROM trials)",
        "SELECT count(*) FROM trial_values WHERE trial_id NOT IN (SELECT trial_id FROM trials)",
        "SELECT count(*) FROM study_identity WHERE study_id NOT IN (SELECT study_id FROM studies)",
    };
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        sqlite3_stmt *stmt = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, counts[i], -1, &stmt, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
        if (sqlite3_column_int64(stmt, 0) != 0) fail_msg("%s is not 0", counts[i]);
        sqlite3_finalize(stmt);
    }
    sqlite3_close(db);
    char expected[256];
    snprintf(expected, sizeof expected, "%s has no study 'a'; it holds: c", f->path);
    assert_dial_error(f->ctx, dial_study_delete(f->ctx, f->path, "a"), DIAL_ERR_ARGUMENT, expected);
    assert_dial_error(f->ctx, dial_study_rename(f->ctx, f->path, "c", "c"), DIAL_ERR_ARGUMENT,
                      "study 'c' already has that name");
}

/* Runs in a child: opens study 'old' when the gate opens and optimizes it
 * to n trials with paths. */
static int path_worker_process(const char *path, int64_t n, int start_fd) {
    char go;
    if (read(start_fd, &go, 1) < 0) return 3;
    dial_ctx *ctx = dial_ctx_new();
    dial_study *study = NULL;
    dial_status status = open_named(ctx, path, "old", DIAL_MINIMIZE, 0, &study);
    if (status == DIAL_OK) {
        dial_optimize_options options = {.n_trials = n, .jobs = 1};
        status = dial_study_optimize(ctx, study, sum_of_squares_with_path, NULL, &options);
    }
    if (status != DIAL_OK) fprintf(stderr, "worker %d: %s\n", (int)getpid(), dial_ctx_error(ctx));
    dial_study_free(study);
    dial_ctx_free(ctx);
    return status == DIAL_OK ? 0 : 1;
}

static void test_processes_opening_a_version_1_file_at_once_upgrade_it_once(void **state) {
    fixture *f = *state;
    run_sql(f->path, version_1_schema);
    run_sql(f->path, version_1_trials);
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t children[4];
    for (int i = 0; i < 4; i++) {
        children[i] = fork();
        assert_true(children[i] >= 0);
        if (children[i] == 0) {
            close(gate[1]);
            _exit(path_worker_process(f->path, 14, gate[0]));
        }
    }
    close(gate[0]);
    close(gate[1]); /* every child opens the file now */
    for (int i = 0; i < 4; i++) {
        int status = 0;
        assert_int_equal(waitpid(children[i], &status, 0), children[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    bool has_path_table = false;
    assert_int_equal(file_version(f->path, &has_path_table), 3);
    assert_true(has_path_table);
    dial_study *study = open_study(f, "old");
    dial_trial_list list = trials_of(f->ctx, study);
    assert_int_equal(list.count, 14);
    assert_int_equal(list.items[0].n_path, 0);
    for (size_t i = 2; i < list.count; i++) {
        assert_int_equal(list.items[i].state, DIAL_TRIAL_COMPLETE);
        expect_path_of_value(&list.items[i]);
    }
    dial_trial_list_free(&list);
    dial_study_free(study);
}

static void test_a_report_is_visible_to_other_workers_at_once(void **state) {
    fixture *f = *state;
    dial_study *writer = open_study(f, "live"), *reader = open_study(f, "live");
    dial_trial *trial = NULL;
    assert_dial_ok(f->ctx, dial_study_ask(f->ctx, writer, 0, &trial));
    double x;
    assert_dial_ok(f->ctx, dial_trial_suggest_float(trial, "x", 0, 1, DIAL_LINEAR, &x));
    assert_dial_ok(f->ctx, dial_trial_report(trial, 0, 0.75));
    dial_trial_list list = trials_of(f->ctx, reader);
    assert_int_equal(list.count, 1);
    assert_int_equal(list.items[0].state, DIAL_TRIAL_RUNNING);
    assert_true(list.items[0].param_values[0] == x);
    assert_int_equal(list.items[0].n_intermediate, 1);
    assert_true(list.items[0].intermediate_values[0] == 0.75);
    dial_trial_list_free(&list);
    /* The reader's budget counts the writer's running trial. */
    dial_trial *none = NULL;
    assert_dial_ok(f->ctx, dial_study_ask(f->ctx, reader, 1, &none));
    assert_null(none);
    dial_fail(dial_trial_ctx(trial), DIAL_ERR_DATA, "fold 2 has no row of class 'setosa'");
    assert_dial_ok(f->ctx, dial_study_tell(f->ctx, writer, trial, DIAL_TRIAL_FAILED, NAN));
    dial_study_free(writer);

    list = trials_of(f->ctx, reader);
    assert_int_equal(list.items[0].state, DIAL_TRIAL_FAILED);
    assert_string_equal(list.items[0].message, "fold 2 has no row of class 'setosa'");
    dial_trial_list_free(&list);
    dial_study_free(reader);
}

/* ---- worker processes ----------------------------------------------------- */

/* Runs in a child: opens the study and optimizes it to n trials. */
static int worker_process(const char *path, int64_t n, int jobs, int start_fd) {
    char go;
    if (start_fd >= 0 && read(start_fd, &go, 1) < 0) return 3;
    dial_ctx *ctx = dial_ctx_new();
    dial_ctx_set_threads(ctx, jobs);
    dial_study *study = NULL;
    dial_status status = open_named(ctx, path, "shared", DIAL_MINIMIZE, 0, &study);
    if (status == DIAL_OK) {
        dial_optimize_options options = {.n_trials = n, .jobs = jobs};
        status = dial_study_optimize(ctx, study, sum_of_squares, NULL, &options);
    }
    if (status != DIAL_OK) fprintf(stderr, "worker %d: %s\n", (int)getpid(), dial_ctx_error(ctx));
    dial_study_free(study);
    dial_ctx_free(ctx);
    return status == DIAL_OK ? 0 : 1;
}

static void test_four_processes_share_one_study_exactly(void **state) {
    fixture *f = *state;
    int gate[2];
    assert_int_equal(pipe(gate), 0);
    pid_t children[4];
    for (int i = 0; i < 4; i++) {
        children[i] = fork();
        assert_true(children[i] >= 0);
        if (children[i] == 0) {
            close(gate[1]);
            _exit(worker_process(f->path, 40, 1 + i % 2, gate[0]));
        }
    }
    close(gate[0]);
    close(gate[1]); /* every child starts now */
    for (int i = 0; i < 4; i++) {
        int status = 0;
        assert_int_equal(waitpid(children[i], &status, 0), children[i]);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, open_named(f->ctx, f->path, "shared", DIAL_MINIMIZE, 0, &study));
    dial_trial_list list = trials_of(f->ctx, study);
    assert_int_equal(list.count, 40);
    for (size_t i = 0; i < list.count; i++) {
        assert_int_equal(list.items[i].number, (int64_t)i);
        assert_int_equal(list.items[i].state, DIAL_TRIAL_COMPLETE);
        assert_false(list.items[i].stale);
    }
    dial_trial_list_free(&list);
    dial_study_free(study);
}

#define KILLED_AT 5
#define KILL_TRIALS 12

/* After a worker died: opens the study with a 10 ms heartbeat, once the
 * dead trial has been silent longer than that, and runs one trial by ask
 * and tell. Starting it sweeps the dead trial and takes its params. The
 * caller then goes on with the default heartbeat (60 s), so no live trial
 * of a slow or busy machine is taken for dead. */
static void sweep_dead_trial(fixture *f, dial_study *swept, dial_objective_fn objective) {
    dial_trial *trial = NULL;
    assert_dial_ok(f->ctx, dial_study_ask(f->ctx, swept, 0, &trial));
    assert_non_null(trial);
    double value = NAN;
    bool pruned = false;
    assert_dial_ok(f->ctx, objective(NULL, trial, &value, &pruned));
    assert_dial_ok(f->ctx, dial_study_tell(f->ctx, swept, trial, DIAL_TRIAL_COMPLETE, value));
}

static void wait_past_a_10_ms_heartbeat(void) {
    struct timespec pause = {0, 30 * 1000 * 1000};
    nanosleep(&pause, NULL);
}

/* Runs in the doomed child: trial KILLED_AT dies mid-trial. */
static dial_status dies_mid_trial(void *user, dial_trial *trial, double *value, bool *pruned) {
    dial_status status = sum_of_squares(user, trial, value, pruned);
    if (dial_trial_number(trial) == KILLED_AT) raise(SIGKILL);
    return status;
}

static void test_killed_worker_loses_nothing_and_its_params_run_once_more(void **state) {
    fixture *f = *state;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        dial_ctx *ctx = dial_ctx_new();
        dial_study *study = NULL;
        if (open_named(ctx, f->path, "kill", DIAL_MINIMIZE, 0, &study) != DIAL_OK) _exit(2);
        dial_optimize_options options = {.n_trials = KILL_TRIALS, .jobs = 1};
        dial_study_optimize(ctx, study, dies_mid_trial, NULL, &options);
        _exit(1); /* not reached: the trial kills its process */
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(WTERMSIG(status), SIGKILL);

    wait_past_a_10_ms_heartbeat();
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, open_named(f->ctx, f->path, "kill", DIAL_MINIMIZE, 0.01, &study));
    dial_trial_list before = trials_of(f->ctx, study);
    assert_int_equal(before.count, KILLED_AT + 1);
    assert_int_equal(before.items[KILLED_AT].state, DIAL_TRIAL_RUNNING);
    assert_int_equal(before.items[KILLED_AT].n_params, 2);
    sweep_dead_trial(f, study, sum_of_squares);
    dial_study_free(study);
    assert_dial_ok(f->ctx, open_named(f->ctx, f->path, "kill", DIAL_MINIMIZE, 0, &study));
    optimize(f->ctx, study, KILL_TRIALS, 2);
    dial_trial_list after = trials_of(f->ctx, study);

    assert_int_equal(after.count, KILL_TRIALS + 1);
    size_t finished = 0;
    for (size_t i = 0; i < after.count; i++) {
        const dial_trial_record *r = &after.items[i];
        if (i == KILLED_AT) {
            assert_int_equal(r->state, DIAL_TRIAL_FAILED);
            assert_true(r->stale);
            continue;
        }
        assert_int_equal(r->state, DIAL_TRIAL_COMPLETE);
        assert_false(r->stale);
        finished++;
        if (i < KILLED_AT) assert_true(r->value == before.items[i].value); /* nothing lost */
    }
    assert_int_equal(finished, KILL_TRIALS);
    /* Every complete param set is distinct, and the killed trial's set is
     * among them exactly once. */
    const dial_trial_record *killed = &before.items[KILLED_AT];
    int reruns = 0;
    for (size_t i = 0; i < after.count; i++) {
        const dial_trial_record *r = &after.items[i];
        if (r->state != DIAL_TRIAL_COMPLETE) continue;
        if (r->param_values[0] == killed->param_values[0] &&
            r->param_values[1] == killed->param_values[1])
            reruns++;
        for (size_t j = i + 1; j < after.count; j++)
            if (after.items[j].state == DIAL_TRIAL_COMPLETE)
                assert_false(after.items[j].param_values[0] == r->param_values[0] &&
                             after.items[j].param_values[1] == r->param_values[1]);
    }
    assert_int_equal(reruns, 1);
    dial_trial_list_free(&before);
    dial_trial_list_free(&after);
    dial_study_free(study);
}

static char *grid_modes[] = {"a", "b", "c"};
static dial_param grid_params[] = {
    {.name = "k", .kind = DIAL_PARAM_INT, .low = 1, .high = 4, .condition = ""},
    {.name = "mode",
     .kind = DIAL_PARAM_CHOICE,
     .low = 0,
     .high = 2,
     .n_choices = 3,
     .choices = grid_modes,
     .condition = ""},
};

static dial_status open_grid(dial_ctx *ctx, const char *path, double heartbeat, dial_study **out) {
    dial_space space = {2, grid_params};
    dial_study_options options = {.name = "grid",
                                  .storage = path,
                                  .sampler = DIAL_SAMPLER_GRID,
                                  .space = &space,
                                  .seed = 3,
                                  .heartbeat_seconds = heartbeat};
    return dial_study_open(ctx, &options, out);
}

/* value = 10 k + mode index, so a value names its grid point. */
static dial_status grid_point(void *user, dial_trial *trial, double *value, bool *pruned) {
    static const char *const modes[] = {"a", "b", "c"};
    int64_t k;
    size_t mode;
    dial_status status = dial_trial_suggest_int(trial, "k", 1, 4, DIAL_LINEAR, &k);
    if (status == DIAL_OK) status = dial_trial_suggest_choice(trial, "mode", modes, 3, &mode);
    if (status == DIAL_OK) status = dial_trial_report(trial, 0, (double)k);
    if (status != DIAL_OK) return status;
    *value = (double)k * 10 + (double)mode;
    if (user && dial_trial_number(trial) == KILLED_AT) raise(SIGKILL);
    return status;
}

static void test_killed_worker_in_a_grid_still_leaves_every_point_run_once(void **state) {
    fixture *f = *state;
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        dial_ctx *ctx = dial_ctx_new();
        dial_study *study = NULL;
        if (open_grid(ctx, f->path, 0, &study) != DIAL_OK) _exit(2);
        dial_optimize_options options = {.jobs = 1};
        dial_study_optimize(ctx, study, grid_point, "die", &options);
        _exit(1);
    }
    int status = 0;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_true(WIFSIGNALED(status));

    wait_past_a_10_ms_heartbeat();
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, open_grid(f->ctx, f->path, 0.01, &study));
    sweep_dead_trial(f, study, grid_point);
    dial_study_free(study);
    assert_dial_ok(f->ctx, open_grid(f->ctx, f->path, 0, &study));
    dial_optimize_options options = {.jobs = 2};
    assert_dial_ok(f->ctx, dial_study_optimize(f->ctx, study, grid_point, NULL, &options));
    dial_trial_list list = trials_of(f->ctx, study);
    assert_int_equal(list.count, 13);
    bool seen[5][3] = {{false}};
    int complete = 0;
    for (size_t i = 0; i < list.count; i++) {
        const dial_trial_record *r = &list.items[i];
        if (i == KILLED_AT) {
            assert_true(r->stale);
            continue;
        }
        assert_int_equal(r->state, DIAL_TRIAL_COMPLETE);
        int k = (int)(r->value / 10), mode = (int)r->value % 10;
        assert_false(seen[k][mode]);
        seen[k][mode] = true;
        complete++;
    }
    assert_int_equal(complete, 12);
    dial_trial_list_free(&list);
    dial_study_free(study);
}

static void test_a_study_is_loaded_with_the_direction_it_was_created_with(void **state) {
    fixture *f = *state;
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, open_named(f->ctx, f->path, "up", DIAL_MAXIMIZE, 0, &study));
    optimize(f->ctx, study, 3, 1);
    dial_trial_record best;
    assert_dial_ok(f->ctx, dial_study_best(f->ctx, study, &best));
    dial_study_free(study);

    dial_study *loaded = NULL;
    assert_dial_ok(f->ctx, dial_study_load(f->ctx, f->path, NULL, &loaded));
    assert_string_equal(dial_study_name(loaded), "up");
    assert_int_equal(dial_study_direction(loaded), DIAL_MAXIMIZE);
    dial_trial_record again;
    assert_dial_ok(f->ctx, dial_study_best(f->ctx, loaded, &again));
    assert_int_equal(again.number, best.number);
    assert_true(again.value == best.value);
    dial_trial_list list = trials_of(f->ctx, loaded);
    assert_int_equal(list.count, 3);
    dial_trial_list_free(&list);
    dial_trial_record_clear(&best);
    dial_trial_record_clear(&again);
    dial_study_free(loaded);
}

static void test_loading_needs_a_name_when_the_file_holds_several_studies(void **state) {
    fixture *f = *state;
    dial_study *a = open_study(f, "b"), *b = open_study(f, "a");
    dial_study_free(a);
    dial_study_free(b);
    char **names = NULL;
    size_t n = 0;
    assert_dial_ok(f->ctx, dial_study_names(f->ctx, f->path, &names, &n));
    assert_int_equal(n, 2);
    assert_string_equal(names[0], "a");
    assert_string_equal(names[1], "b");
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);

    dial_study *study = NULL;
    char expected[300];
    snprintf(expected, sizeof expected, "%s holds several studies (a, b); name the one to read",
             f->path);
    assert_dial_error(f->ctx, dial_study_load(f->ctx, f->path, NULL, &study), DIAL_ERR_ARGUMENT,
                      expected);
    snprintf(expected, sizeof expected, "%s has no study 'c'; it holds: a, b", f->path);
    assert_dial_error(f->ctx, dial_study_load(f->ctx, f->path, "c", &study), DIAL_ERR_ARGUMENT,
                      expected);
    assert_null(study);
    assert_dial_ok(f->ctx, dial_study_load(f->ctx, f->path, "b", &study));
    assert_string_equal(dial_study_name(study), "b");
    dial_study_free(study);
}

static void test_loading_a_missing_file_creates_nothing(void **state) {
    fixture *f = *state;
    dial_study *study = NULL;
    char expected[300];
    snprintf(expected, sizeof expected, "cannot open study file %s: no such file", f->path);
    assert_dial_error(f->ctx, dial_study_load(f->ctx, f->path, NULL, &study), DIAL_ERR_IO,
                      expected);
    char **names = NULL;
    size_t n = 0;
    assert_dial_error(f->ctx, dial_study_names(f->ctx, f->path, &names, &n), DIAL_ERR_IO, expected);
    assert_int_equal(access(f->path, F_OK), -1);
}

static dial_status sleeps_past_the_heartbeat(void *user, dial_trial *trial, double *value,
                                             bool *pruned) {
    dial_status status = sum_of_squares(user, trial, value, pruned);
    struct timespec pause = {0, 600 * 1000 * 1000}; /* 1.5 heartbeat periods */
    nanosleep(&pause, NULL);
    return status;
}

/* Trials longer than the heartbeat period, with no reports while they
 * sleep: the executor's heartbeats keep the other job from taking them for
 * dead. */
static void test_optimize_keeps_long_trials_alive(void **state) {
    fixture *f = *state;
    dial_study *study = NULL;
    assert_dial_ok(f->ctx, open_named(f->ctx, f->path, "long", DIAL_MINIMIZE, 0.4, &study));
    dial_optimize_options options = {.n_trials = 4, .jobs = 2};
    assert_dial_ok(f->ctx,
                   dial_study_optimize(f->ctx, study, sleeps_past_the_heartbeat, NULL, &options));
    dial_trial_list list = trials_of(f->ctx, study);
    assert_int_equal(list.count, 4);
    for (size_t i = 0; i < list.count; i++) {
        assert_int_equal(list.items[i].state, DIAL_TRIAL_COMPLETE);
        assert_false(list.items[i].stale);
    }
    dial_trial_list_free(&list);
    dial_study_free(study);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_study_is_resumed_from_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_named_studies_share_one_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_resuming_with_the_other_direction_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_storage_in_a_missing_directory_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_file_that_is_not_sqlite_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_sqlite_file_of_another_program_is_refused, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_newer_schema_version_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_schema_version_below_1_is_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_path_survives_closing_and_reopening_the_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_a_version_1_file_gains_the_path_table_and_keeps_its_trials, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_processes_opening_a_version_1_file_at_once_upgrade_it_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_report_is_visible_to_other_workers_at_once, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_four_processes_share_one_study_exactly, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_killed_worker_loses_nothing_and_its_params_run_once_more, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_killed_worker_in_a_grid_still_leaves_every_point_run_once, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_a_study_is_loaded_with_the_direction_it_was_created_with, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_loading_needs_a_name_when_the_file_holds_several_studies, setup, teardown),
        cmocka_unit_test_setup_teardown(test_loading_a_missing_file_creates_nothing, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_optimize_keeps_long_trials_alive, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reading_a_version_1_file_leaves_it_at_version_1, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_a_version_2_file_gains_identities_and_its_studies_take_the_next_runs, setup,
            teardown),
        cmocka_unit_test_setup_teardown(
            test_deleting_a_study_leaves_no_row_of_it_and_renaming_keeps_them, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

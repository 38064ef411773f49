/* dial tune MODEL DATA: searches a model's knobs for the best
 * cross-validated score, shows the leaderboard and refits the best. The
 * search itself is the library's (dial_tune_model); this file builds the
 * space from the options, reports progress and prints the outcome. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_mpi.h"
#include "cli/progress.h"

static const cli_command tune_command = {
    .name = "tune",
    .usage = "dial tune MODEL DATA [options]",
    .positional = (const char *const[]){"MODEL", "DATA"},
    .n_positional = 2,
    .options = CLI_OPTS_DATA | CLI_OPT_LABELS | CLI_OPT_SET | CLI_OPT_OUTPUT | CLI_OPT_REPEATS |
               CLI_OPT_METRIC | CLI_OPT_SEED | CLI_OPT_JOBS | CLI_OPT_JSON | CLI_OPT_HELP |
               CLI_OPT_QUIET | CLI_OPT_TRIALS | CLI_OPT_TIMEOUT | CLI_OPT_SAMPLER | CLI_OPT_SPACE |
               CLI_OPT_SPACE_FILE | CLI_OPT_GRID_POINTS | CLI_OPT_FOLDS | CLI_OPT_CV |
               CLI_OPT_HOLDOUT | CLI_OPT_NESTED | CLI_OPT_STUDY | CLI_OPT_STUDY_NAME |
               CLI_OPT_HOLDOUT_OUT | CLI_OPT_REFIT | CLI_OPT_FOLD_SCHEME | CLI_OPT_STARTUP_TRIALS |
               CLI_OPT_ENQUEUE | CLI_OPT_COST_AWARE | CLI_OPT_PRUNER | CLI_OPT_MPI |
               CLI_OPT_WARM_START | CLI_OPT_WARM_START_NAME,
    .help = "Usage: dial tune MODEL DATA [options]\n"
            "\n"
            "Searches the knobs of MODEL for the best cross-validated score on DATA. Each\n"
            "trial sets the searched knobs, fits the model on all folds but one and scores the\n"
            "fold left out, for every fold; its value is the mean score. The folds are made\n"
            "once, so every trial is scored on the same rows. The space is the model's default\n"
            "search ranges ('dial knobs MODEL') less the knobs fixed with -s, changed by\n"
            "--space. At the end: the 10 best trials, the best knobs, and with -o a refit of\n"
            "the best on the rows the search saw (all of them without --holdout), whose model\n"
            "file records how its knobs were chosen.\n"
            "\n"
            "With --study FILE every finished trial is kept in a SQLite file (or, with\n"
            "--study postgresql://user@host/db, in a PostgreSQL database that workers on\n"
            "many machines share): the same command\n"
            "run again continues a stopped search (--trials counts the study's total), and\n"
            "several runs at once share the work. A study is one experiment: resuming it with\n"
            "other data, another metric, sampler, space, folds or seed is refused (another\n"
            "--study-name makes a new study in the same file), and the options of the\n"
            "experiment left out take the study's values. Ctrl-C stops cleanly: running\n"
            "trials finish and every completed one is kept; a second Ctrl-C exits at once.\n"
            "\n"
            "Search:\n"
            "  --space NAME=VALUES   search a knob over VALUES instead of its default range\n"
            "                        (repeatable): C=1e-3..1e3:log, k=1..50, k=1..50:step=2,\n"
            "                        weights=uniform,distance, alpha=0.1 (fixed); a list\n"
            "                        knob separates its alternatives with |:\n"
            "                        'hidden=64|128,64'; see docs/search-spaces.md\n"
            "  --space-file FILE     the same for many knobs, from a JSON object\n"
            "  -s, --set NAME=VALUE  fix a knob for every trial (it leaves the space)\n"
            "  --sampler NAME        auto (default: qmc, then gp while the study is small and\n"
            "                        its space continuous, taking turns with tpe in up to 3\n"
            "                        knobs, then tpe), tpe (Parzen estimators), gp\n"
            "                        (Gaussian process), cmaes, qmc (scrambled Sobol\n"
            "                        points), random or grid (every combination, the\n"
            "                        middle of each range first); the header on stderr\n"
            "                        says what it uses and why\n"
            "  --startup-trials N    trials drawn by qmc before tpe, gp, cmaes or auto learn\n"
            "                        from the finished ones (default 10, at least 1)\n"
            "  --cost-aware          gp (and auto's gp) prefers the cheaper of near ties,\n"
            "                        from the trials' measured times: faster to a score, but\n"
            "                        the same seed no longer gives the same trials\n"
            "  --enqueue K=V,...     run these knobs first (repeatable), as 'C=1,gamma=0.01';\n"
            "                        knobs left out are drawn; knobs the study holds already\n"
            "                        are not queued again\n"
            "  --warm-start STUDY    start from an old study (a file or postgresql://) of\n"
            "                        the same model, metric and knobs: its best 10 knobs\n"
            "                        run first, and tpe, gp and auto learn from all its\n"
            "                        complete trials (never this study's own); old trials\n"
            "                        outside the ranges searched are left out\n"
            "                        (docs/retrain.md)\n"
            "  --warm-start-name N   the old study, when its file holds several\n"
            "  --pruner SPEC         stop a trial whose first folds (or, for a path knob such\n"
            "                        as gbdt's n_estimators, its first rounds) fall behind:\n"
            "                        none (default), median, asha, hyperband, with settings\n"
            "                        as 'asha:reduction_factor=3'; the study keeps it and a\n"
            "                        pruned trial is never the best (docs/pruners.md)\n"
            "  --trials N            finished trials to bring the study to (default: the whole\n"
            "                        grid for grid, else 50; no limit with --timeout alone)\n"
            "  --timeout TIME        start no trial after TIME: 90, 90s, 10m, 1h\n"
            "  --grid-points N       values of a continuous knob in a grid (default 10)\n"
            "  --seed N              seed of the folds, the fits and the sampler (default 0)\n"
            "  -j, --jobs N          trials run at once (default: the number of CPUs)\n"
            "  --mpi                 under mpirun -np N: rank 0 holds the study, and every\n"
            "                        rank runs trials, as --jobs N would (docs/mpi.md)\n"
            "\n"
            "Scoring:\n"
            "  -m, --metric NAME     accuracy, balanced_accuracy, log_loss, roc_auc, f1 for\n"
            "                        classification (default accuracy); rmse, mae, r2 for\n"
            "                        regression (default r2); for a clustering (kmeans):\n"
            "                        silhouette (default), davies_bouldin,\n"
            "                        calinski_harabasz, inertia, and with --labels\n"
            "                        adjusted_rand, normalized_mutual_info; a gmm's\n"
            "                        bic and aic (lower is better)\n"
            "  --labels COLUMN       a clustering's known groups, compared with its clusters\n"
            "                        (adjusted_rand, normalized_mutual_info); not a feature\n"
            "  --folds K             folds (default 5, stratified for classification); --cv K\n"
            "                        is the same\n"
            "  --repeats R           repeats of the K folds, each shuffled anew (default 1)\n"
            "  --holdout F           set a stratified fraction F of the rows aside before the\n"
            "                        search, which never sees them; the best knobs, refitted\n"
            "                        on the other rows, are scored on them\n"
            "  --holdout-out FILE    write the held-out rows (CSV, every column, in the file's\n"
            "                        order) to FILE, for 'dial score' later\n"
            "  --nested K            estimate the whole procedure with an outer K-fold: K outer\n"
            "                        searches of N trials (--trials), each on its training\n"
            "                        rows, scoring its refitted best on its test rows; with -o,\n"
            "                        first a search of N trials on all rows for the model -o\n"
            "                        saves ((K+1) x N trials in all), without -o none (K x N)\n"
            "  --groups COL, --time-column COL, --time-order, --gap N, --fold-column COL: split\n"
            "                        as in 'dial cv --help', in the folds, the holdout (whole\n"
            "                        groups; the latest rows) and the outer folds\n"
            "\n"
            "Study and output:\n"
            "  --study FILE          keep the trials in a SQLite file (default: in memory),\n"
            "                        or a PostgreSQL database: postgresql://user@host/db;\n"
            "                        'dial studies FILE' lists the studies it holds\n"
            "  --study-name NAME     the study in FILE (default: the model's name); --nested\n"
            "                        adds NAME-outer-1 .. NAME-outer-K\n"
            "  -o, --output FILE     refit the best and save it\n"
            "  --refit ROWS          the rows of that refit: search (default: the rows the\n"
            "                        search saw, never the held-out ones) or all (every row;\n"
            "                        the holdout is still scored by a fit that never saw it)\n"
            "  --json                the summary as one JSON object: {\"best_value\",\n"
            "                        \"best_knobs\", \"best_number\", \"best_std\", \"trials\",\n"
            "                        \"leaderboard\", ...}, with \"holdout_score\" or \"nested\":\n"
            "                        {\"mean\", \"std\", \"scores\", \"inner_best_mean\"}\n"
            "  --quiet               no progress on stderr (a bar on a terminal, else one line\n"
            "                        per trial)\n"
            "  -t, --target COLUMN   the column to predict (default: the last column; a LIBSVM\n"
            "                        file's label)\n"
            "  --ignore COL[,COL]    columns that are not features, such as an id\n"
            "  --task TASK           classification, regression or auto (default: auto)\n"
            "  --sep CHAR            the CSV separator (default: detect , ; or tab)\n"
            "  --no-header           the first row is data, not column names\n"
            "  --sparse              read a CSV sparse: numbers and one-hot levels in\n"
            "                        compressed rows (models that take sparse input)\n"
            "  --dense               read a CSV dense even when its one-hot encoding would\n"
            "                        be mostly zeros (then read sparse by default)\n"
            "  -h, --help            this help\n"
            "\n"
            "Example:\n"
            "  dial tune knn data/iris.csv --target species --trials 40 --holdout 0.2\n"
            "  dial tune knn data/iris.csv --target species --holdout 0.2 --holdout-out held.csv "
            "-o iris.dial\n"
            "  dial tune logistic data/breast_cancer.csv --target diagnosis --sampler grid "
            "--space 'C=1e-3..1e3:log' --grid-points 13 -o bc.dial\n"
            "  dial tune gbdt data/iris.csv --target species --pruner asha --trials 40\n",
};

/* Trials of a random or qmc search without --trials or --timeout. */
#define DEFAULT_TRIALS 50
/* Rows of the leaderboard. */
#define LEADERBOARD_SIZE 10

/* ---- Ctrl-C ------------------------------------------------------------------ */

/* A signal handler can reach nothing but static storage, so the stop flag
 * the executor polls lives here (the library itself has no such state).
 * SA_RESETHAND restores the default action: a second Ctrl-C ends the
 * process at once. */
static volatile int interrupted;

static void on_interrupt(int signal_number) {
    (void)signal_number;
    interrupted = 1;
}

/* ---- warnings ------------------------------------------------------------------ */

/* The fits of a search can warn hundreds of times (a solver stopping at
 * max_iter in some corner of the space): the first warning is kept and the
 * others counted, and one line is printed when the search is over. Trials
 * run on several threads, hence the lock. */
typedef struct warning_log {
    pthread_mutex_t lock;
    size_t count;
    char first[512];
} warning_log;

static void collect_warning(void *user, dial_log_level level, const char *message) {
    warning_log *log = user;
    if (level != DIAL_LOG_WARN) return;
    pthread_mutex_lock(&log->lock);
    if (log->count++ == 0) snprintf(log->first, sizeof log->first, "%s", message);
    pthread_mutex_unlock(&log->lock);
}

static void print_warnings(const warning_log *log) {
    if (log->count == 1) fprintf(stderr, "dial: warning: %s\n", log->first);
    if (log->count > 1)
        fprintf(stderr, "dial: warning: %s (and %zu more warnings from the fits of the search)\n",
                log->first, log->count - 1);
}

/* ---- progress ------------------------------------------------------------------ */

/* A grid this large is seldom meant: the default space's other knobs
 * multiply it. The search runs anyway, after a note that says so. */
#define LARGE_GRID 10000

/* The progress of dial tune, which knows whether the whole grid is the
 * study's trial count. */
typedef struct tune_watch {
    cli_progress progress;
    bool grid_size_known;
    const cli_options *opts;
    dial_study *warm_start; /* --warm-start's study, or NULL */
    char *plan;             /* the first study's sampler plan, for the header and --json */
    char pruner[256];       /* the first study's pruner plan, for --json */
} tune_watch;

/* Each study of the run, once open: the --enqueue items join its queue;
 * the first one's sampler plan heads the run on stderr. */
static dial_status on_study(dial_ctx *ctx, void *user, dial_study *study) {
    tune_watch *watch = user;
    /* The old study's best before the --enqueue items: re-measured first. */
    dial_status status = cli_warm_start(ctx, watch->opts, study, watch->warm_start,
                                        !watch->plan && !watch->opts->quiet);
    if (status == DIAL_OK)
        status = cli_enqueue_items(ctx, watch->opts, study, !watch->plan && !watch->opts->quiet);
    if (status != DIAL_OK || watch->plan) return status;
    watch->plan = cli_sampler_plan(study);
    dial_study_pruner_plan(study, watch->pruner, sizeof watch->pruner);
    if (!watch->opts->quiet) fprintf(stderr, "sampler: %s\n", watch->plan);
    if (!watch->opts->quiet) cli_print_pruner_plan(study);
    return DIAL_OK;
}

static void on_search(void *user, const dial_tune_search *search) {
    tune_watch *watch = user;
    cli_progress *p = &watch->progress;
    p->outer = search->outer;
    p->n_outer = search->n_outer;
    cli_progress_begin(p, search->n_trials, search->n_finished, search->best);
    if (p->quiet) return;
    if (search->outer)
        fprintf(stderr, "outer fold %zu of %zu: a search on its %zu training rows (study %s)\n",
                search->outer, search->n_outer, search->n_rows, search->study_name);
    if (watch->grid_size_known && search->outer == 0 && search->n_trials > LARGE_GRID)
        fprintf(stderr,
                "note: the grid has %lld points: every knob of the model's default space is "
                "searched unless fixed with -s (--trials or --timeout stop it earlier)\n",
                (long long)search->n_trials);
    if (search->n_finished > 0)
        fprintf(stderr, "study %s holds %lld finished trials; continuing to %lld\n",
                search->study_name, (long long)search->n_finished, (long long)search->n_trials);
    cli_progress_draw(p);
}

/* ---- the outcome ------------------------------------------------------------------ */

typedef struct tune_report {
    const char *model_name, *data_path, *output;
    const cli_options *opts;
    const dial_dataset *data;
    const dial_space *space;
    dial_metric metric;
    const dial_tune_result *result;
    int64_t n_trials; /* finished trials each search was brought to (0: no limit) */
    const dial_fold_scheme *scheme;
    const char *plan;   /* NULL when no study opened */
    const char *pruner; /* the pruner's plan ("none", "asha (...)"); NULL when no study opened */
} tune_report;

static void upper_case(const char *text, char *buf, size_t size) {
    size_t i = 0;
    for (; text[i] && i + 1 < size; i++) buf[i] = (char)toupper((unsigned char)text[i]);
    buf[i] = '\0';
}

static void print_leaderboard(const tune_report *report) {
    const dial_tune_result *result = report->result;
    const dial_trial_record **ranked = NULL;
    size_t n = cli_trials_ranked(&result->trials, result->direction, &ranked);
    size_t shown = n < LEADERBOARD_SIZE ? n : LEADERBOARD_SIZE;
    printf("\nTop %zu of %lld trials (%lld complete, %lld pruned, %lld failed)\n", shown,
           (long long)result->n_finished, (long long)result->n_complete,
           (long long)result->n_pruned, (long long)result->n_failed);
    char metric[64];
    upper_case(dial_metric_name(report->metric), metric, sizeof metric);
    cli_table table;
    cli_table_init(&table, 5);
    table.right[0] = table.right[1] = table.right[2] = table.right[4] = true;
    table.wrap[3] = true;
    cli_table_add(&table, (const char *[]){"TRIAL", metric, "STD", "KNOBS", "TIME"});
    for (size_t i = 0; i < shown; i++) {
        const dial_trial_record *trial = ranked[i];
        char *number = cli_format("%lld", (long long)trial->number);
        char *value = cli_format("%.4f", trial->value);
        double std = dial_objective_fold_std(trial);
        char *spread = isnan(std) ? cli_strdup("-") : cli_format("%.4f", std);
        char *knobs = cli_trial_params_text(trial);
        char *seconds = cli_seconds_text(cli_trial_seconds(trial));
        cli_table_add(&table, (const char *[]){number, value, spread, knobs, seconds});
        /* A trial that prepared what later ones reuse says so under TIME. */
        if (trial->prepare_seconds > 0) {
            char *prepared = cli_seconds_text(trial->prepare_seconds);
            char *note = cli_format("time incl. %s of shared preparation, done once for the "
                                    "trials after it",
                                    prepared);
            cli_table_note(&table, note);
            free(note);
            free(prepared);
        }
        free(number);
        free(value);
        free(spread);
        free(knobs);
        free(seconds);
    }
    cli_table_print(&table, stdout, 2);
    cli_table_free(&table);
    free(ranked);
}

static void print_tune_text(const tune_report *report) {
    const cli_options *opts = report->opts;
    const dial_tune_result *result = report->result;
    const dial_dataset *data = report->data;
    const char *metric = dial_metric_name(report->metric);
    bool stratified = cli_folds_stratified(data, report->scheme);

    if (report->opts->labels) /* only a clustering takes them */
        printf("%s on %s (%zu rows, labels %s, clustering)\n", report->model_name,
               report->data_path, data->n_rows, report->opts->labels);
    else if (data->target_name)
        printf("%s on %s (%zu rows, target %s, %s)\n", report->model_name, report->data_path,
               data->n_rows, data->target_name, dial_task_name(data->task));
    else /* only a clustering is tuned without a target */
        printf("%s on %s (%zu rows, no target: clustering)\n", report->model_name,
               report->data_path, data->n_rows);
    char *space = cli_space_text(report->space);
    printf("space: %s\n", space);
    free(space);
    char *how = cli_fold_scheme_text(report->scheme, stratified);
    printf("search: %s sampler, seed %llu; %zu-fold cross-validation%s",
           cli_sampler_name(opts->sampler), (unsigned long long)opts->seed, opts->folds, how);
    free(how);
    if (opts->repeats > 1) printf(" x %zu repeats", opts->repeats);
    printf("; %s (%s is better)\n", metric,
           result->direction == DIAL_MAXIMIZE ? "higher" : "lower");
    char *shown = opts->study ? dial_study_storage_shown(NULL, opts->study) : NULL;
    const char *where = shown ? shown : opts->study; /* no PostgreSQL password */
    if (!result->main_searched)
        printf("studies: %s-outer-1 .. %s-outer-%zu %s%s\n", result->study_name, result->study_name,
               opts->nested, opts->study ? "in " : "in memory", opts->study ? where : "");
    else if (opts->study)
        printf("study: %s in %s (%lld trials, %lld of them in this run)\n", result->study_name,
               where, (long long)result->n_finished, (long long)result->n_new);
    else
        printf("study: %s in memory (%lld trials)\n", result->study_name,
               (long long)result->n_finished);
    free(shown);
    if (result->n_holdout)
        printf("holdout: %zu rows set aside before the search, which saw the other %zu\n",
               result->n_holdout, result->n_search_rows);
    if (opts->nested) {
        char *runs = cli_tune_nested_runs_text(opts, report->n_trials, data->n_rows);
        printf("runs: %s\n", runs);
        free(runs);
    }
    if (result->main_searched) print_leaderboard(report);

    const dial_trial_record *best = &result->best;
    if (result->main_searched) {
        char *knobs = cli_trial_params_text(best);
        printf("\nbest: trial %lld, %s %.4f", (long long)best->number, metric, best->value);
        if (best->n_intermediate > 1)
            printf(" \u00b1 %.4f over %zu folds", result->best_std, best->n_intermediate);
        printf("\n  %s\n", knobs);
        free(knobs);
    } else {
        printf("\n");
    }
    if (result->n_holdout)
        printf("holdout: %s %.4f on the %zu rows the search never saw%s%s (cross-validated "
               "%.4f)\n",
               metric, result->holdout_score, result->n_holdout,
               opts->holdout_out ? ", written to " : "", opts->holdout_out ? opts->holdout_out : "",
               best->value);
    if (opts->nested) cli_tune_print_nested(opts, metric, result);
    char *refit = cli_tune_refit_text(opts, result);
    printf("%s\n", refit);
    free(refit);
    if (result->stopped)
        printf("stopped early: %s\n",
               opts->study ? "run the same command again to continue the study"
                           : "the study was in memory; use --study FILE to keep and continue "
                             "one");
}

static json_t *leaderboard_json(const dial_tune_result *result) {
    const dial_trial_record **ranked = NULL;
    size_t n = cli_trials_ranked(&result->trials, result->direction, &ranked);
    json_t *list = json_array();
    for (size_t i = 0; i < n && i < LEADERBOARD_SIZE; i++)
        json_array_append_new(
            list,
            json_pack("{s:I, s:o, s:o, s:o, s:o, s:o}", "number", (json_int_t)ranked[i]->number,
                      "value", cli_json_number(ranked[i]->value), "std",
                      cli_json_number(dial_objective_fold_std(ranked[i])), "knobs",
                      cli_json_trial_knobs(ranked[i], &result->best_knobs), "duration",
                      cli_json_number(cli_trial_seconds(ranked[i])), "prepare_seconds",
                      cli_json_number(ranked[i]->prepare_seconds)));
    free(ranked);
    return list;
}

static json_t *doubles_json(const double *values, size_t n) {
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++) json_array_append_new(list, cli_json_number(values[i]));
    return list;
}

static json_t *tune_json(const tune_report *report) {
    const cli_options *opts = report->opts;
    const dial_tune_result *result = report->result;
    /* The storage as shown: no PostgreSQL password in the output. */
    char *study = opts->study ? dial_study_storage_shown(NULL, opts->study) : NULL;
    /* The best knobs typed by the knob table: true, 7, "distance". */
    json_t *best_knobs = json_object();
    for (size_t i = 0; i < result->best.n_params; i++) {
        long k = dial_knobs_find(&result->best_knobs, result->best.param_names[i]);
        if (k >= 0)
            json_object_set_new(best_knobs, result->best.param_names[i],
                                cli_json_knob_value(&result->best_knobs, (size_t)k));
    }
    json_t *root =
        json_pack("{s:s, s:s, s:s?, s:s, s:s, s:s, s:I, s:I, s:o, s:o, s:s, s:I, s:I, s:b}",
                  "model", report->model_name, "data", report->data_path, "target",
                  report->data->target_name, "metric", dial_metric_name(report->metric),
                  "direction", result->direction == DIAL_MAXIMIZE ? "maximize" : "minimize",
                  "sampler", cli_sampler_name(opts->sampler), "folds", (json_int_t)opts->folds,
                  "repeats", (json_int_t)opts->repeats, "seed", cli_json_u64(opts->seed), "study",
                  study ? json_string(study) : json_null(), "study_name", result->study_name,
                  "trials", (json_int_t)result->n_finished, "new_trials", (json_int_t)result->n_new,
                  "stopped", result->stopped);
    bool searched = result->main_searched;
    json_object_set_new(root, "sampler_plan",
                        report->plan ? json_string(report->plan) : json_null());
    json_object_set_new(root, "pruner", report->pruner ? json_string(report->pruner) : json_null());
    json_object_set_new(root, "folds_by", cli_fold_scheme_json(report->scheme));
    json_object_set_new(root, "best_number",
                        searched ? json_integer((json_int_t)result->best.number) : json_null());
    json_object_set_new(root, "best_value", cli_json_number(searched ? result->best.value : NAN));
    json_object_set_new(root, "best_std", cli_json_number(searched ? result->best_std : NAN));
    json_object_set_new(root, "best_knobs", best_knobs);
    json_object_set_new(root, "leaderboard", leaderboard_json(result));
    json_object_set_new(root, "output", report->output ? json_string(report->output) : json_null());
    json_object_set_new(root, "refit_rows",
                        report->output ? json_integer((json_int_t)result->n_refit_rows)
                                       : json_null());
    if (result->n_holdout) {
        json_object_set_new(root, "holdout_score", cli_json_number(result->holdout_score));
        json_object_set_new(root, "holdout_rows", json_integer((json_int_t)result->n_holdout));
        json_object_set_new(root, "holdout_out",
                            opts->holdout_out ? json_string(opts->holdout_out) : json_null());
    }
    if (opts->nested) {
        json_t *studies = json_array();
        for (size_t i = 0; i < result->n_outer; i++)
            json_array_append_new(studies, json_string(result->outer_studies[i]));
        json_object_set_new(
            root, "nested",
            json_pack("{s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:o}", "folds", (json_int_t)opts->nested,
                      "completed", (json_int_t)result->n_outer, "mean",
                      cli_json_number(result->nested_mean), "std",
                      cli_json_number(result->nested_std), "scores",
                      doubles_json(result->outer_scores, result->n_outer), "inner_best",
                      doubles_json(result->inner_best, result->n_outer), "inner_best_mean",
                      cli_json_number(result->inner_best_mean), "studies", studies));
    }
    free(study);
    return root;
}

/* ---- the command ------------------------------------------------------------------ */

/* Items joined by newlines (none of them holds one: each was one argument
 * of the command line). malloc'ed. */
static char *joined_lines(const char *const *items, size_t n) {
    char *text = cli_strdup("");
    for (size_t i = 0; i < n; i++) {
        char *longer = cli_format("%s%s%s", text, i ? "\n" : "", items[i]);
        free(text);
        text = longer;
    }
    return text;
}

/* What the study keeps beside its identity: the data file's name for
 * listings, and the --target, -s, --space and --space-file items as given,
 * so a later run that leaves them out resumes the same experiment. */
static dial_status study_notes(dial_ctx *ctx, const cli_options *opts, const char *data_path,
                               const char *space_json, dial_study_identity *notes) {
    char *sets = joined_lines(opts->sets, opts->n_sets);
    char *spaces = joined_lines(opts->spaces, opts->n_spaces);
    dial_status status = dial_study_identity_set(ctx, notes, "note.data_file", data_path);
    if (status == DIAL_OK) status = dial_study_identity_set(ctx, notes, "note.set", sets);
    if (status == DIAL_OK) status = dial_study_identity_set(ctx, notes, "note.space", spaces);
    if (status == DIAL_OK && opts->target)
        status = dial_study_identity_set(ctx, notes, "note.target", opts->target);
    if (status == DIAL_OK && space_json)
        status = dial_study_identity_set(ctx, notes, "note.space_json", space_json);
    /* Not a note: another count of startup trials makes other trials. */
    if (status == DIAL_OK)
        status = cli_startup_trials_identity(ctx, opts->sampler, opts->startup_trials, notes);
    free(sets);
    free(spaces);
    return status;
}

static dial_status choose_metric(dial_ctx *ctx, const cli_options *opts,
                                 const dial_model_family *family, const dial_dataset *data,
                                 dial_metric *metric) {
    if (!opts->metric) {
        *metric = dial_metric_default(dial_model_fit_task(family, data));
        return DIAL_OK;
    }
    return dial_metric_parse(ctx, opts->metric, metric);
}

/* A rank other than 0 of --mpi: evaluates rank 0's trials with the
 * objective of the search rank 0 runs (the same folds, seeds and pruner);
 * setup_error (non-NULL: this rank could not get that far) fails each. */
static dial_status serve_rank0(dial_ctx *ctx, cli_mpi *mpi, const dial_tune_setup *setup,
                               const dial_dataset *data, const dial_tune_options *options,
                               const char *setup_error) {
    dial_model_objective *objective = NULL;
    char error[1024];
    snprintf(error, sizeof error, "%s", setup_error ? setup_error : "");
    if (!setup_error && dial_tune_model_objective(ctx, setup, data, options, &objective) != DIAL_OK)
        snprintf(error, sizeof error, "rank %d: %s", cli_mpi_rank(mpi), dial_ctx_error(ctx));
    dial_status status =
        cli_mpi_serve(ctx, mpi, objective ? dial_model_objective_run : NULL, objective, error);
    dial_model_objective_free(objective);
    return status;
}

int cli_cmd_tune(int argc, char **argv) {
    cli_mpi_quiet_other_ranks(argc, argv);
    cli_options opts;
    int status = cli_parse(&tune_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    if (opts.holdout > 0 && opts.nested > 0) {
        cli_options_free(&opts);
        return cli_error(CLI_EXIT_USAGE, "--holdout and --nested cannot be combined; choose one");
    }
    if (opts.mpi && (opts.nested > 0 || (opts.given & CLI_OPT_JOBS))) {
        cli_options_free(&opts);
        return cli_error(CLI_EXIT_USAGE,
                         opts.nested > 0
                             ? "--mpi runs one search and --nested runs one per outer fold; they "
                               "cannot be combined"
                             : "--jobs and --mpi cannot be combined: under --mpi the trials run "
                               "at once are the ranks (mpirun -np N runs N)");
    }
    int refused = cli_tune_check_outputs(&opts);
    if (refused >= 0) {
        cli_options_free(&opts);
        return refused;
    }
    const char *model_name = opts.positional[0];
    const char *data_path = cli_display_path(opts.positional[1]);
    dial_ctx *ctx = cli_context(&opts);
    warning_log warnings = {.count = 0};
    pthread_mutex_init(&warnings.lock, NULL);
    dial_ctx_set_log(ctx, collect_warning, &warnings);
    const dial_model_family *family = NULL;
    cli_resumed resumed;
    memset(&resumed, 0, sizeof resumed);
    char *space_json = NULL;
    dial_study_identity notes = {0};
    dial_knobs knobs = {0};
    dial_space space = {0, NULL};
    dial_table *table = NULL;
    dial_dataset *data = NULL;
    dial_fold_scheme scheme = {.kind = DIAL_FOLDS_SHUFFLED};
    double *keys = NULL;
    dial_metric metric = DIAL_METRIC_ACCURACY;
    dial_tune_result result;
    memset(&result, 0, sizeof result);
    tune_watch watch = {.progress = {.quiet = opts.quiet, .terminal = isatty(STDERR_FILENO) == 1},
                        .opts = &opts};

    /* Under --mpi every rank runs this command; ranks other than 0
     * (remote) only evaluate trials, and print nothing. */
    cli_mpi *mpi = NULL;
    dial_status outcome = opts.mpi ? cli_mpi_start(ctx, &mpi) : DIAL_OK;
    bool remote = cli_mpi_rank(mpi) > 0;
    /* A resumed study's settings come first: they may fill in the target,
     * the knobs and the space. */
    if (outcome == DIAL_OK) outcome = dial_model_family_lookup(ctx, model_name, &family);
    if (outcome == DIAL_OK)
        outcome = cli_resume_options(ctx, &opts, family->name,
                                     opts.study_name ? opts.study_name : family->name, &resumed);
    if (outcome == DIAL_OK) outcome = cli_tune_check_holdout_out(ctx, &opts);
    if (outcome == DIAL_OK && opts.space_file)
        outcome = cli_read_space_file(ctx, opts.space_file, &space_json);
    if (outcome == DIAL_OK) outcome = cli_model_knobs(ctx, &opts, model_name, &family, &knobs);
    if (outcome == DIAL_OK)
        outcome = cli_build_space(ctx, &opts, space_json ? space_json : resumed.space_json, &knobs,
                                  &space);
    if (outcome == DIAL_OK)
        outcome = study_notes(ctx, &opts, data_path, space_json ? space_json : resumed.space_json,
                              &notes);
    watch.grid_size_known = opts.sampler == DIAL_SAMPLER_GRID && opts.trials == 0;
    if (outcome == DIAL_OK)
        outcome = cli_load_dataset_for(ctx, &opts, family, opts.positional[1], &table, &data);
    if (outcome == DIAL_OK) outcome = cli_fold_scheme(ctx, &opts, data, &scheme, &keys);
    if (scheme.kind == DIAL_FOLDS_PREDEFINED) opts.folds = cli_given_folds(&scheme, data->n_rows);
    if (outcome == DIAL_OK) outcome = cli_check_task(ctx, family, data);
    if (outcome == DIAL_OK) outcome = choose_metric(ctx, &opts, family, data, &metric);
    if (outcome == DIAL_OK) outcome = cli_check_labels(ctx, metric, data);
    if (outcome == DIAL_OK && !remote)
        outcome = cli_warm_start_open(ctx, &opts, family->name, dial_metric_name(metric),
                                      &watch.warm_start);
    /* The prior changes the trials: a study resumed must be warm-started
     * from the same study (a run without --warm-start is not compared). */
    if (outcome == DIAL_OK && watch.warm_start) {
        char *shown = dial_study_storage_shown(ctx, opts.warm_start);
        char *where =
            cli_format("%s %s", shown ? shown : opts.warm_start, dial_study_name(watch.warm_start));
        outcome = dial_study_identity_set(ctx, &notes, "warm_start", where);
        free(where);
        free(shown);
    }

    bool stopped_by_user = false;
    if (remote && outcome != DIAL_OK) {
        char error[1024];
        snprintf(error, sizeof error, "rank %d: %s", cli_mpi_rank(mpi), dial_ctx_error(ctx));
        outcome = serve_rank0(ctx, mpi, NULL, NULL, NULL, error);
    } else if (outcome == DIAL_OK) {
        int64_t n_trials = opts.trials;
        if (n_trials == 0 && opts.sampler != DIAL_SAMPLER_GRID && opts.timeout == 0)
            n_trials = DEFAULT_TRIALS;
        dial_tune_setup setup = {.family = family,
                                 .knobs = &knobs,
                                 .space = &space,
                                 .metric = metric,
                                 .folds = opts.folds,
                                 .repeats = opts.repeats,
                                 .seed = opts.seed,
                                 .fold_scheme = &scheme};
        watch.progress.metric = dial_metric_name(metric);
        watch.progress.direction =
            dial_metric_greater_is_better(metric) ? DIAL_MAXIMIZE : DIAL_MINIMIZE;
        watch.progress.timeout = opts.timeout > 0 ? opts.timeout / (double)(1 + opts.nested) : 0;
        dial_tune_options options = {
            .study_name = opts.study_name,
            .storage = opts.study,
            .sampler = opts.sampler,
            .grid_points = opts.grid_points,
            .optimize = {.n_trials = n_trials,
                         .timeout_seconds = opts.timeout,
                         .jobs = opts.jobs,
                         .stop = &interrupted,
                         .on_trial = cli_progress_on_trial,
                         .on_trial_user = &watch.progress,
                         .on_wait = cli_progress_on_wait,
                         .on_wait_user = &watch.progress},
            .holdout = opts.holdout,
            .nested = opts.nested,
            .refit = opts.output != NULL,
            .on_search = on_search,
            .on_search_user = &watch,
            .identity = &notes,
            .refit_all = opts.refit_all,
            .nested_only = opts.nested > 0 && !opts.output,
            .startup_trials = opts.startup_trials,
            .cost_aware = opts.cost_aware,
            .pruner = opts.pruner,
            .on_study = on_study,
            .on_study_user = &watch,
        };
        struct sigaction action, previous;
        memset(&action, 0, sizeof action);
        action.sa_handler = on_interrupt;
        sigemptyset(&action.sa_mask);
        action.sa_flags = SA_RESETHAND;
        interrupted = 0;
        sigaction(SIGINT, &action, &previous);
        if (mpi && !remote) cli_mpi_coordinate(mpi, &options.optimize, 0, opts.study);
        if (remote)
            outcome = serve_rank0(ctx, mpi, &setup, data, &options, NULL);
        else
            outcome = dial_tune_model(ctx, &setup, data, &options, &result);
        sigaction(SIGINT, &previous, NULL);
        stopped_by_user = interrupted != 0;
        cli_progress_clear(&watch.progress);
        print_warnings(&warnings);
    }
    if (remote) {
        /* a remote rank's failures are rank 0's to tell */
        status = outcome == DIAL_OK ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
        outcome = DIAL_ERR_INTERNAL; /* nothing more to do or print */
    }
    if (outcome == DIAL_OK) outcome = cli_tune_write_holdout(ctx, &opts, table, &result);
    if (outcome == DIAL_OK && opts.output)
        outcome = cli_tune_set_drift_reference(ctx, data, &result);
    if (outcome == DIAL_OK && opts.output) outcome = cli_save_model(ctx, result.model, opts.output);

    if (remote) {
        /* told above */
    } else if (outcome != DIAL_OK) {
        status = cli_fail(ctx, outcome);
    } else {
        tune_report report = {.model_name = family->name,
                              .data_path = data_path,
                              .output = opts.output,
                              .opts = &opts,
                              .data = data,
                              .space = &space,
                              .metric = metric,
                              .result = &result,
                              .n_trials = watch.progress.total,
                              .scheme = &scheme,
                              .plan = watch.plan,
                              .pruner = watch.plan ? watch.pruner : NULL};
        if (opts.output && strcmp(opts.output, "-") == 0) {
            /* the model went to stdout: nothing else may */
        } else if (opts.json) {
            cli_json_print(tune_json(&report), stdout, 17);
        } else {
            print_tune_text(&report);
        }
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
        if (status == CLI_EXIT_OK && stopped_by_user)
            status = cli_error(CLI_EXIT_FAILURE, "interrupted after %lld trials; %s",
                               (long long)result.n_finished,
                               opts.study ? "every completed trial is kept: run the same command "
                                            "again to continue"
                                          : "the study was in memory");
    }
    cli_mpi_finish(mpi);
    cli_progress_free(&watch.progress);
    free(watch.plan);
    dial_study_free(watch.warm_start);
    free(space_json);
    cli_resumed_free(&resumed);
    dial_study_identity_free(&notes);
    pthread_mutex_destroy(&warnings.lock);
    dial_tune_result_free(&result);
    dial_dataset_free(data);
    free(keys);
    dial_table_free(table);
    dial_space_free(&space);
    dial_knobs_free(&knobs);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}

/* dial run --study FILE [options] -- PROGRAM ARGS...: tunes any program.
 * Each trial runs PROGRAM once with its {name} arguments filled in
 * (run_template.c) and reads its value from what it prints
 * (run_program.c); the study is a program's study (program_study.c), so
 * dial ask, tell, trials and best serve it too, and dial run again
 * continues it. This file checks everything it can before the first trial,
 * runs the trials through the library's executor and prints the outcome. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_mpi.h"
#include "cli/progress.h"
#include "cli/run_program.h"

static const cli_command run_command = {
    .name = "run",
    .usage = "dial run --study FILE [options] -- PROGRAM [ARGS...]",
    .takes_program = true,
    .options = CLI_OPT_STUDY | CLI_OPT_STUDY_NAME | CLI_OPT_SPACE | CLI_OPT_SPACE_FILE |
               CLI_OPT_DIRECTION | CLI_OPT_SAMPLER | CLI_OPT_SEED | CLI_OPT_GRID_POINTS |
               CLI_OPT_TRIALS | CLI_OPT_TIMEOUT | CLI_OPT_JOBS | CLI_OPT_TIMEOUT_TRIAL |
               CLI_OPT_LOG_DIR | CLI_OPT_HEARTBEAT | CLI_OPT_QUIET | CLI_OPT_HELP |
               CLI_OPT_STARTUP_TRIALS | CLI_OPT_ENQUEUE | CLI_OPT_COST_AWARE | CLI_OPT_PRUNER |
               CLI_OPT_MPI,
    .help =
        "Usage: dial run --study FILE [options] -- PROGRAM [ARGS...]\n"
        "\n"
        "Tunes any program: each trial runs PROGRAM once, with every {name} in its\n"
        "arguments replaced by the trial's value of parameter name ({trial} by the trial's\n"
        "number), and reads the trial's value from what it prints: the last line of\n"
        "standard output that is a number, or a line 'dial: value=NUMBER'. Lines\n"
        "'dial: step=N value=NUMBER' report intermediate values. The arguments reach the\n"
        "program as they are, never through a shell; the knobs are also in its\n"
        "environment (DIAL_KNOB_lr=0.001, DIAL_TRIAL=7). A trial whose program exits\n"
        "non-zero, is killed, prints no value or runs past --timeout-trial fails, and the\n"
        "study keeps its exit status and the end of its stderr ('dial trials FILE').\n"
        "Each trial's output goes to DIR/<trial>.log. Ctrl-C stops the programs\n"
        "(SIGTERM to their process groups, SIGKILL 5 s later or at a second Ctrl-C) and\n"
        "keeps every completed trial; the same command again continues the study.\n"
        "See docs/run.md.\n"
        "\n"
        "Study:\n"
        "  --study FILE          the SQLite file that keeps the trials (required), or a\n"
        "                        PostgreSQL database: postgresql://user@host/db\n"
        "  --study-name NAME     the study in FILE (default: default)\n"
        "  --space NAME=TYPE     a parameter (repeatable): x=float:-5..10,\n"
        "                        lr=float:1e-5..1e-1:log, n=int:1..8, batch=int:16..256:step=16,\n"
        "                        opt=adam,sgd; given once, the study keeps it\n"
        "  --space-file FILE     the parameters as a JSON object, with conditions\n"
        "  --direction D         minimize (default) or maximize the value\n"
        "  --sampler NAME        auto (default: qmc, then gp while the study is small and\n"
        "                        its space continuous, taking turns with tpe in up to 3\n"
        "                        knobs, then tpe), tpe, gp, cmaes, qmc, random or grid;\n"
        "                        the header on stderr says which and why\n"
        "  --startup-trials N    trials drawn by qmc before tpe, gp, cmaes or auto learn\n"
        "                        from the finished ones (default 10, at least 1)\n"
        "  --cost-aware          gp (and auto's gp) prefers the cheaper of near ties,\n"
        "                        from the trials' measured times; the same seed no\n"
        "                        longer gives the same trials\n"
        "  --enqueue K=V,...     run these values first (repeatable), as 'lr=0.01,opt=sgd';\n"
        "                        parameters left out are drawn; values the study holds\n"
        "                        already are not queued again\n"
        "  --grid-points N       values of a continuous parameter in a grid (default 10)\n"
        "  --seed N              seed of the sampler (default 0)\n"
        "  --pruner SPEC         stop a trial whose 'dial: step=N value=V' lines fall\n"
        "                        behind: none (default), median, asha, or\n"
        "                        hyperband:max_resource=N, with settings as\n"
        "                        'asha:reduction_factor=3,min_resource=1'; the study keeps\n"
        "                        it (docs/pruners.md)\n"
        "\n"
        "Running:\n"
        "  --trials N            finished trials to bring the study to (default: 100, the\n"
        "                        whole grid for grid; no limit with --timeout alone)\n"
        "  --timeout TIME        start no trial after TIME: 90, 90s, 10m, 1h\n"
        "  -j, --jobs N          programs run at once (default 1)\n"
        "  --mpi                 under mpirun -np N: rank 0 holds the study, and every\n"
        "                        rank runs programs, as --jobs N would (docs/mpi.md)\n"
        "  --timeout-trial TIME  stop a program that runs longer, and fail its trial\n"
        "  --log-dir DIR         where each trial's output goes (default runs)\n"
        "  --heartbeat TIME      a trial of another worker silent this long is taken for\n"
        "                        dead and run again (default 60)\n"
        "  --quiet               no progress on stderr (a bar on a terminal, else one line\n"
        "                        per trial)\n"
        "  -h, --help            this help\n"
        "\n"
        "Example:\n"
        "  dial run --study s.db --space 'lr=float:1e-4..1e-1:log' --space 'layers=int:1..4'\n"
        "      --trials 50 --jobs 2 --timeout-trial 10m -- python3 train.py --lr {lr}\n"
        "      --layers {layers} --out runs/{trial}.pt\n"
        "  dial run --study s.db --space 'lr=float:1e-4..1e-1:log' --pruner asha\n"
        "      --trials 50 -- python3 train.py --lr {lr} --epochs 27\n",
};

/* Trials of a random or qmc study without --trials or --timeout: a
 * program's trial is often long, and the study can always be continued. */
#define DEFAULT_TRIALS 100
/* SIGTERM to SIGKILL. */
#define GRACE_SECONDS 5.0
#define DEFAULT_LOG_DIR "runs"

/* ---- Ctrl-C ------------------------------------------------------------------ */

/* A signal handler reaches nothing but static storage: the count of
 * interrupts (a second one kills the programs at once), the flag the
 * executor polls, and the write end of a pipe whose read end every running
 * trial polls, so each wakes at once to stop its program. */
static volatile sig_atomic_t interrupts;
static volatile int stop_requested;
static int stop_pipe_write = -1;

static void on_interrupt(int signal_number) {
    (void)signal_number;
    int saved = errno;
    interrupts++;
    stop_requested = 1;
    if (stop_pipe_write >= 0) {
        ssize_t ignored = write(stop_pipe_write, "!", 1);
        (void)ignored;
    }
    errno = saved;
}

static const int stop_signals[] = {SIGINT, SIGTERM, SIGHUP};
#define N_STOP_SIGNALS (sizeof stop_signals / sizeof stop_signals[0])

/* Catches the stop signals. SIGHUP stays ignored when dial was started
 * ignoring it (nohup); SIGINT is caught even so, as dial tune does, since
 * a shell script's background job starts with it ignored and `kill -INT`
 * is then the way to stop it. Returns their previous actions. */
static void catch_stop_signals(struct sigaction *previous) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_interrupt;
    sigemptyset(&action.sa_mask);
    for (size_t i = 0; i < N_STOP_SIGNALS; i++) {
        sigaction(stop_signals[i], NULL, &previous[i]);
        if (stop_signals[i] != SIGHUP || previous[i].sa_handler != SIG_IGN)
            sigaction(stop_signals[i], &action, NULL);
    }
}

static void restore_stop_signals(const struct sigaction *previous) {
    for (size_t i = 0; i < N_STOP_SIGNALS; i++) sigaction(stop_signals[i], &previous[i], NULL);
}

/* ---- the objective ------------------------------------------------------------- */

typedef struct run_setup {
    char **templates;
    size_t n_templates;
    const dial_space *space;
    const char *log_dir;
    cli_run_limits limits;
} run_setup;

static dial_status run_trial(void *user, dial_trial *trial, double *value, bool *pruned) {
    const run_setup *setup = user;
    dial_ctx *ctx = dial_trial_ctx(trial);
    dial_status status = dial_trial_suggest_space(trial, setup->space);
    if (status != DIAL_OK) return status;
    const dial_trial_record *record = dial_trial_get_record(trial);
    cli_run_command command;
    cli_run_command_build(setup->templates, setup->n_templates, record, &command);
    char *log_path = cli_format("%s/%lld.log", setup->log_dir, (long long)record->number);
    cli_run_outcome outcome;
    cli_run_program(&command, log_path, &setup->limits, trial, &outcome);
    switch (outcome.end) {
    case CLI_RUN_COMPLETE: *value = outcome.value; break;
    case CLI_RUN_PRUNED: *pruned = true; break;
    case CLI_RUN_FAILED: status = dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s", outcome.message); break;
    case CLI_RUN_INTERRUPTED:
        /* Not an outcome of its params: the trial does not count, and the
         * next run takes its params. */
        dial_trial_abandon(trial);
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s", outcome.message);
        break;
    }
    free(outcome.message);
    free(log_path);
    cli_run_command_free(&command);
    return status;
}

/* ---- before the first trial ---------------------------------------------------- */

/* mkdir -p: the log folder and every missing folder above it. */
static int make_log_dir(const char *path) {
    char *copy = cli_strdup(path);
    int status = -1;
    for (char *slash = copy + 1;; slash++) {
        bool last = *slash == '\0';
        if (!last && *slash != '/') continue;
        *slash = '\0';
        if (mkdir(copy, 0777) != 0 && errno != EEXIST) {
            status = cli_error(CLI_EXIT_FAILURE,
                               "cannot make the log folder %s: %s (--log-dir "
                               "DIR chooses another)",
                               copy, strerror(errno));
            break;
        }
        if (last) break;
        *slash = '/';
    }
    free(copy);
    struct stat info;
    if (status < 0 && (stat(path, &info) != 0 || !S_ISDIR(info.st_mode)))
        status = cli_error(CLI_EXIT_FAILURE,
                           "the log folder %s is not a folder (--log-dir DIR "
                           "chooses another)",
                           path);
    else if (status < 0 && access(path, W_OK | X_OK) != 0)
        status = cli_error(CLI_EXIT_FAILURE,
                           "cannot write in the log folder %s: %s (--log-dir "
                           "DIR chooses another)",
                           path, strerror(errno));
    return status;
}

/* Checks the templates against the space the command line gives, before
 * the study is opened, so that a mistake creates no study. A space that
 * does not parse is left for cli_program_study_open to refuse; without
 * one, the study's own space is checked once it is open (opening an
 * existing study creates nothing). Returns -1 or the exit status. */
static int check_templates_early(dial_ctx *ctx, const cli_options *opts) {
    if (opts->n_spaces == 0 && !opts->space_file) return -1;
    dial_space space = {0, NULL};
    char *text = NULL;
    dial_status status = DIAL_OK;
    if (opts->space_file) status = cli_read_space_file(ctx, opts->space_file, &text);
    if (status == DIAL_OK && text)
        status = dial_space_add_typed_json(ctx, &space, text, opts->space_file);
    for (size_t i = 0; status == DIAL_OK && i < opts->n_spaces; i++)
        status = dial_space_add_typed(ctx, &space, opts->spaces[i]);
    int exit_status = -1;
    if (status == DIAL_OK)
        exit_status = cli_run_check_templates(opts->program, opts->n_program, &space);
    dial_ctx_clear_error(ctx);
    free(text);
    dial_space_free(&space);
    return exit_status;
}

/* The program and its argument templates, as the study notes them. */
static char *program_note(char *const *templates, size_t n) {
    char *text = cli_strdup("");
    for (size_t i = 0; i < n; i++) {
        char *longer = cli_format("%s%s%s", text, i ? " " : "", templates[i]);
        free(text);
        text = longer;
    }
    return text;
}

/* The study's counts of finished trials (not stale ones). */
typedef struct study_counts {
    int64_t finished, complete, pruned, failed;
} study_counts;

static dial_status count_trials(dial_ctx *ctx, dial_study *study, study_counts *counts) {
    dial_trial_list list = {0, NULL};
    dial_status status = dial_study_trials(ctx, study, &list);
    memset(counts, 0, sizeof *counts);
    for (size_t i = 0; status == DIAL_OK && i < list.count; i++) {
        const dial_trial_record *trial = &list.items[i];
        if (trial->state == DIAL_TRIAL_RUNNING || trial->stale) continue;
        counts->finished++;
        counts->complete += trial->state == DIAL_TRIAL_COMPLETE;
        counts->pruned += trial->state == DIAL_TRIAL_PRUNED;
        counts->failed += trial->state == DIAL_TRIAL_FAILED;
    }
    dial_trial_list_free(&list);
    return status;
}

/* ---- the outcome ---------------------------------------------------------------- */

static void print_outcome(const cli_options *opts, dial_study *study, const study_counts *after,
                          int64_t new_trials, const dial_trial_record *best, const char *log_dir) {
    char *shown = dial_study_storage_shown(NULL, opts->study); /* no PostgreSQL password */
    printf("study %s in %s: %lld trials (%lld complete, %lld pruned, %lld failed), %lld of them "
           "in this run\n",
           dial_study_name(study), shown ? shown : opts->study, (long long)after->finished,
           (long long)after->complete, (long long)after->pruned, (long long)after->failed,
           (long long)new_trials);
    free(shown);
    if (best) {
        char value[40];
        cli_format_double(best->value, value, sizeof value);
        char *knobs = cli_program_knobs_text(best);
        printf("best: trial %lld, value %s (%s is better)\n", (long long)best->number, value,
               dial_study_direction(study) == DIAL_MAXIMIZE ? "higher" : "lower");
        printf("  knobs: %s\n", knobs);
        free(knobs);
    }
    printf("logs: %s/<trial>.log\n", log_dir);
}

/* ---- --mpi: a rank other than 0 -------------------------------------------------- */

/* Runs the programs of the trials rank 0 sends, with the space rank 0
 * read from the study (only rank 0 opens it), and prints nothing: rank 0
 * checked the command line and tells every failure. */
static int serve_rank0(dial_ctx *ctx, cli_mpi *mpi, const cli_options *opts, const char *log_dir) {
    char *space_json = NULL;
    dial_status outcome = cli_mpi_receive_setup(ctx, mpi, &space_json);
    if (outcome != DIAL_OK || !space_json) return outcome == DIAL_OK ? 0 : 1;
    char error[1024] = "";
    dial_space space = {0, NULL};
    if (dial_space_add_typed_json(ctx, &space, space_json, "the space from rank 0") != DIAL_OK)
        snprintf(error, sizeof error, "rank %d: %s", cli_mpi_rank(mpi), dial_ctx_error(ctx));
    /* This rank's node may not share rank 0's folders. */
    if (!error[0] && mkdir(log_dir, 0777) != 0 && errno != EEXIST)
        snprintf(error, sizeof error, "rank %d: cannot make the log folder %s: %s",
                 cli_mpi_rank(mpi), log_dir, strerror(errno));
    int stop_pipe[2] = {-1, -1};
    if (!error[0] && pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        snprintf(error, sizeof error, "rank %d: cannot make a pipe: %s", cli_mpi_rank(mpi),
                 strerror(errno));
    run_setup setup = {.templates = opts->program,
                       .n_templates = opts->n_program,
                       .space = &space,
                       .log_dir = log_dir,
                       .limits = {.timeout_seconds = opts->timeout_trial,
                                  .grace_seconds = GRACE_SECONDS,
                                  .stop_fd = stop_pipe[0],
                                  .interrupts = &interrupts}};
    struct sigaction previous[N_STOP_SIGNALS];
    interrupts = 0;
    stop_pipe_write = stop_pipe[1];
    catch_stop_signals(previous);
    outcome = cli_mpi_serve(ctx, mpi, error[0] ? NULL : run_trial, &setup, error);
    restore_stop_signals(previous);
    stop_pipe_write = -1;
    if (stop_pipe[0] >= 0) close(stop_pipe[0]);
    if (stop_pipe[1] >= 0) close(stop_pipe[1]);
    dial_space_free(&space);
    free(space_json);
    return outcome == DIAL_OK ? 0 : 1;
}

/* ---- the command ------------------------------------------------------------------ */

int cli_cmd_run(int argc, char **argv) {
    cli_mpi_quiet_other_ranks(argc, argv);
    cli_options opts;
    int status = cli_parse(&run_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    if (opts.n_program == 0 || !opts.study) {
        cli_options_free(&opts);
        return cli_error(CLI_EXIT_USAGE,
                         opts.n_program == 0
                             ? "missing the program to run after --; usage: %s"
                             : "dial run needs --study FILE, where the trials are kept; usage: %s",
                         run_command.usage);
    }
    if (opts.mpi && (opts.given & CLI_OPT_JOBS)) {
        cli_options_free(&opts);
        return cli_error(CLI_EXIT_USAGE,
                         "--jobs and --mpi cannot be combined: under --mpi the programs run at "
                         "once are the ranks (mpirun -np N runs N)");
    }
    const char *log_dir = opts.log_dir ? opts.log_dir : DEFAULT_LOG_DIR;
    int jobs = (opts.given & CLI_OPT_JOBS) ? opts.jobs : 1;
    opts.jobs = jobs;
    dial_ctx *ctx = cli_context(&opts);
    /* Under --mpi every rank runs this command; the ranks but 0 only run
     * programs, and print nothing. */
    cli_mpi *mpi = NULL;
    if (opts.mpi) {
        dial_status started = cli_mpi_start(ctx, &mpi);
        if (started == DIAL_OK && cli_mpi_rank(mpi) > 0) {
            status = serve_rank0(ctx, mpi, &opts, log_dir);
        } else if (started != DIAL_OK) {
            status = cli_mpi_rank(mpi) > 0 ? CLI_EXIT_FAILURE : cli_fail(ctx, started);
        }
        if (started != DIAL_OK || cli_mpi_rank(mpi) > 0) {
            cli_mpi_finish(mpi);
            dial_ctx_free(ctx);
            cli_options_free(&opts);
            return status;
        }
    }
    dial_study *study = NULL;
    dial_space space = {0, NULL};
    status = check_templates_early(ctx, &opts);
    if (status < 0) status = cli_run_check_program(opts.program[0]);
    if (status < 0) status = make_log_dir(log_dir);
    char *note = program_note(opts.program, opts.n_program);
    dial_status outcome = DIAL_OK;
    if (status < 0)
        outcome = cli_program_study_open(ctx, &opts, opts.study, note, &study, &space, NULL);
    if (status < 0 && outcome == DIAL_OK)
        outcome = cli_enqueue_items(ctx, &opts, study, !opts.quiet);
    free(note);
    if (status >= 0 || outcome != DIAL_OK) {
        if (status < 0) status = cli_fail(ctx, outcome);
        cli_mpi_finish(mpi);
        dial_space_free(&space);
        dial_study_free(study);
        dial_ctx_free(ctx);
        cli_options_free(&opts);
        return status;
    }
    status = cli_run_check_templates(opts.program, opts.n_program, &space);
    study_counts before = {0};
    dial_trial_record best_before;
    memset(&best_before, 0, sizeof best_before);
    if (status < 0) {
        outcome = count_trials(ctx, study, &before);
        if (outcome == DIAL_OK && before.complete > 0)
            outcome = dial_study_best(ctx, study, &best_before);
        if (outcome != DIAL_OK) status = cli_fail(ctx, outcome);
    }
    int stop_pipe[2] = {-1, -1};
    if (status < 0 && pipe2(stop_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        status = cli_error(CLI_EXIT_FAILURE, "cannot make a pipe: %s", strerror(errno));

    bool interrupted = false;
    study_counts after = before;
    if (status < 0) {
        int64_t n_trials = opts.trials;
        if (n_trials == 0 && opts.sampler != DIAL_SAMPLER_GRID && opts.timeout == 0)
            n_trials = DEFAULT_TRIALS;
        cli_progress progress = {.quiet = opts.quiet,
                                 .terminal = isatty(STDERR_FILENO) == 1,
                                 .metric = "value",
                                 .general_values = true,
                                 .direction = dial_study_direction(study),
                                 .timeout = opts.timeout};
        cli_progress_begin(&progress, n_trials, before.finished,
                           before.complete > 0 ? &best_before : NULL);
        if (!opts.quiet) cli_print_sampler_plan(study);
        if (!opts.quiet) cli_print_pruner_plan(study);
        if (!opts.quiet && before.finished > 0)
            fprintf(stderr, "study %s holds %lld finished trials; continuing to %lld\n",
                    dial_study_name(study), (long long)before.finished, (long long)n_trials);
        cli_progress_draw(&progress);
        run_setup setup = {.templates = opts.program,
                           .n_templates = opts.n_program,
                           .space = &space,
                           .log_dir = log_dir,
                           .limits = {.timeout_seconds = opts.timeout_trial,
                                      .grace_seconds = GRACE_SECONDS,
                                      .stop_fd = stop_pipe[0],
                                      .interrupts = &interrupts}};
        dial_optimize_options options = {.n_trials = n_trials,
                                         .timeout_seconds = opts.timeout,
                                         .jobs = jobs,
                                         .stop = &stop_requested,
                                         .on_trial = cli_progress_on_trial,
                                         .on_trial_user = &progress,
                                         .on_wait = cli_progress_on_wait,
                                         .on_wait_user = &progress};
        if (mpi) {
            char *space_json = NULL;
            outcome = dial_space_typed_json(ctx, &space, &space_json);
            if (outcome == DIAL_OK) outcome = cli_mpi_send_setup(ctx, mpi, space_json);
            free(space_json);
            cli_mpi_coordinate(mpi, &options, opts.heartbeat, opts.study);
        }
        struct sigaction previous[N_STOP_SIGNALS];
        interrupts = 0;
        stop_requested = 0;
        stop_pipe_write = stop_pipe[1];
        catch_stop_signals(previous);
        cli_mpi_catch_termination(mpi); /* under --mpi, SIGTERM is the launcher's */
        if (outcome == DIAL_OK)
            outcome = dial_study_optimize(ctx, study, run_trial, &setup, &options);
        restore_stop_signals(previous);
        stop_pipe_write = -1;
        interrupted = interrupts > 0;
        cli_progress_clear(&progress);
        cli_progress_free(&progress);
        if (outcome == DIAL_OK) outcome = count_trials(ctx, study, &after);
        if (outcome != DIAL_OK) status = cli_fail(ctx, outcome);
    }
    if (stop_pipe[0] >= 0) close(stop_pipe[0]);
    if (stop_pipe[1] >= 0) close(stop_pipe[1]);

    if (status < 0) {
        dial_trial_record best;
        memset(&best, 0, sizeof best);
        bool has_best = after.complete > 0 && dial_study_best(ctx, study, &best) == DIAL_OK;
        if (!has_best && !interrupted) {
            /* A failure: one line, nothing on stdout. */
            status = cli_error(CLI_EXIT_FAILURE,
                               "no trial of study '%s' in %s completed; 'dial trials %s' shows "
                               "why each failed, and %s/ holds their output",
                               dial_study_name(study), opts.study, opts.study, log_dir);
        } else {
            print_outcome(&opts, study, &after, after.finished - before.finished,
                          has_best ? &best : NULL, log_dir);
            status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
            if (status == CLI_EXIT_OK && interrupted)
                status =
                    cli_error(CLI_EXIT_FAILURE,
                              "interrupted after %lld trials; every completed trial is kept: run "
                              "the same command again to continue",
                              (long long)after.finished);
        }
        dial_trial_record_clear(&best);
    }
    dial_trial_record_clear(&best_before);
    cli_mpi_finish(mpi);
    dial_space_free(&space);
    dial_study_free(study);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}

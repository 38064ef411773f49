/*
 * The dial program's shared pieces: the subcommands, the common options, the
 * exit statuses and the helpers that turn library errors into one line on
 * stderr. Unlike the library, the CLI may print and exit.
 *
 * Exit status: 0 success, 2 usage error (bad option or value, unknown model,
 * knob or metric, missing argument), 1 anything else. Every failure prints
 * exactly one line on stderr, prefixed "dial: ".
 */
#ifndef DIAL_CLI_H
#define DIAL_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dial/dial.h"

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAILURE = 1, CLI_EXIT_USAGE = 2 };

/* ---- subcommands ----------------------------------------------------------
 * Each receives the arguments after its name (argv[0] is the command name)
 * and returns the exit status. */
int cli_cmd_models(int argc, char **argv);
int cli_cmd_knobs(int argc, char **argv);
int cli_cmd_fit(int argc, char **argv);
int cli_cmd_predict(int argc, char **argv);
int cli_cmd_inspect(int argc, char **argv);
int cli_cmd_cv(int argc, char **argv);
int cli_cmd_tune(int argc, char **argv);
int cli_cmd_trials(int argc, char **argv);
int cli_cmd_best(int argc, char **argv);
int cli_cmd_importance(int argc, char **argv);
int cli_cmd_knob_importance(int argc, char **argv);
int cli_cmd_studies(int argc, char **argv);
int cli_cmd_score(int argc, char **argv);
int cli_cmd_drift(int argc, char **argv);
int cli_cmd_ask(int argc, char **argv);
int cli_cmd_tell(int argc, char **argv);
int cli_cmd_run(int argc, char **argv);
int cli_cmd_report(int argc, char **argv);
int cli_cmd_retrain(int argc, char **argv);

/* ---- common options -------------------------------------------------------
 * One parser for every subcommand; each says which options it accepts, so
 * `dial models --folds 3` is a usage error rather than silently ignored. */
/* The options, one bit each in a 64-bit set (more than 32 options). */
#define CLI_OPT_TARGET (UINT64_C(1) << 0)
#define CLI_OPT_SET (UINT64_C(1) << 1)
#define CLI_OPT_OUTPUT (UINT64_C(1) << 2)
#define CLI_OPT_FOLDS (UINT64_C(1) << 3)
#define CLI_OPT_REPEATS (UINT64_C(1) << 4)
#define CLI_OPT_METRIC (UINT64_C(1) << 5)
#define CLI_OPT_SEED (UINT64_C(1) << 6)
#define CLI_OPT_JOBS (UINT64_C(1) << 7)
#define CLI_OPT_JSON (UINT64_C(1) << 8)
#define CLI_OPT_PROBA (UINT64_C(1) << 9)
#define CLI_OPT_TASK (UINT64_C(1) << 10)
#define CLI_OPT_SEP (UINT64_C(1) << 11)
#define CLI_OPT_NO_HEADER (UINT64_C(1) << 12)
#define CLI_OPT_HELP (UINT64_C(1) << 13)
/* dial tune, trials and best */
#define CLI_OPT_QUIET (UINT64_C(1) << 14)
#define CLI_OPT_TRIALS (UINT64_C(1) << 15)
#define CLI_OPT_TIMEOUT (UINT64_C(1) << 16)
#define CLI_OPT_SAMPLER (UINT64_C(1) << 17)
#define CLI_OPT_SPACE (UINT64_C(1) << 18)
#define CLI_OPT_SPACE_FILE (UINT64_C(1) << 19)
#define CLI_OPT_GRID_POINTS (UINT64_C(1) << 20)
#define CLI_OPT_CV (UINT64_C(1) << 21)
#define CLI_OPT_HOLDOUT (UINT64_C(1) << 22)
#define CLI_OPT_NESTED (UINT64_C(1) << 23)
#define CLI_OPT_STUDY (UINT64_C(1) << 24)
#define CLI_OPT_STUDY_NAME (UINT64_C(1) << 25)
#define CLI_OPT_CSV (UINT64_C(1) << 26)
/* dial inspect */
#define CLI_OPT_TREE (UINT64_C(1) << 27)
/* dial studies */
#define CLI_OPT_DELETE (UINT64_C(1) << 28)
#define CLI_OPT_RENAME (UINT64_C(1) << 29)
/* columns that are not features (fit, cv, tune), or are copied beside
 * the predictions (predict) */
#define CLI_OPT_IGNORE (UINT64_C(1) << 30)
#define CLI_OPT_KEEP (UINT64_C(1) << 31)
/* dial tune --holdout-out FILE, --refit search|all */
#define CLI_OPT_HOLDOUT_OUT (UINT64_C(1) << 32)
#define CLI_OPT_REFIT (UINT64_C(1) << 33)
/* dial cv, tune: --groups, --time-column, --time-order, --gap and
 * --fold-column, which say how rows that are not independent may be split
 * (one bit for the five, told apart by name) */
#define CLI_OPT_FOLD_SCHEME (UINT64_C(1) << 34)
/* dial ask, tell and run (studies of any program) */
#define CLI_OPT_DIRECTION (UINT64_C(1) << 35)
#define CLI_OPT_COUNT (UINT64_C(1) << 36)
#define CLI_OPT_FAIL (UINT64_C(1) << 37)
#define CLI_OPT_MESSAGE (UINT64_C(1) << 38)
#define CLI_OPT_STEP (UINT64_C(1) << 39)
#define CLI_OPT_VALUE (UINT64_C(1) << 40)
#define CLI_OPT_HEARTBEAT (UINT64_C(1) << 41)
#define CLI_OPT_TIMEOUT_TRIAL (UINT64_C(1) << 42)
#define CLI_OPT_LOG_DIR (UINT64_C(1) << 43)
/* dial tune, ask and run: the samplers that learn (issue 13) */
#define CLI_OPT_STARTUP_TRIALS (UINT64_C(1) << 44)
#define CLI_OPT_ENQUEUE (UINT64_C(1) << 45)
#define CLI_OPT_COST_AWARE (UINT64_C(1) << 46)
/* dial tune, ask and run: --pruner SPEC (issue 14) */
#define CLI_OPT_PRUNER (UINT64_C(1) << 47)
/* dial tell: the trial was pruned (a worker stopped it when told prune) */
#define CLI_OPT_PRUNED (UINT64_C(1) << 48)
/* dial trials --plot: the history drawn in the terminal (issue 15) */
#define CLI_OPT_PLOT (UINT64_C(1) << 49)
/* dial tune and run --mpi: trials on the ranks of an MPI job (issue 16) */
#define CLI_OPT_MPI (UINT64_C(1) << 50)
/* dial studies SRC --copy-to DST */
#define CLI_OPT_COPY_TO (UINT64_C(1) << 56)
/* dial fit, cv and tune of a clustering: --labels COL, the known groups
 * its clusters are compared with (issue 18) */
#define CLI_OPT_LABELS (UINT64_C(1) << 51)
/* dial score --silhouette-rows N|all: the silhouette's sample size
 * (issue 18) */
#define CLI_OPT_SILHOUETTE_ROWS (UINT64_C(1) << 57)
/* dial retrain --append OLD.csv (issue 19) */
#define CLI_OPT_APPEND (UINT64_C(1) << 60)
/* dial tune --warm-start STUDY [--warm-start-name NAME] (issue 19) */
#define CLI_OPT_WARM_START (UINT64_C(1) << 61)
#define CLI_OPT_WARM_START_NAME (UINT64_C(1) << 62)

/* --sparse and --dense: how a CSV is read for a fit (issue 17; one bit
 * for the two, told apart by name) */
#define CLI_OPT_SPARSE (UINT64_C(1) << 59)

/* The options that read a data file. */
#define CLI_OPTS_DATA                                                                   \
    (CLI_OPT_TARGET | CLI_OPT_TASK | CLI_OPT_SEP | CLI_OPT_NO_HEADER | CLI_OPT_IGNORE | \
     CLI_OPT_SPARSE)

#define CLI_MAX_POSITIONAL 4

typedef struct cli_options {
    const char *target; /* NULL: the last column */
    const char *labels; /* --labels COL of a clustering; NULL: none */
    /* --silhouette-rows: rows the silhouette scores before it samples (0:
     * DIAL_SILHOUETTE_MAX_ROWS; SIZE_MAX, "all": every row) */
    size_t silhouette_rows;
    const char **sets; /* the -s NAME=VALUE assignments, in order; owned array */
    size_t n_sets;
    const char *output; /* NULL: the command's default */
    size_t folds;       /* 5 */
    size_t repeats;     /* 1 */
    const char *metric; /* NULL: the task's default */
    uint64_t seed;      /* 0 */
    int jobs;           /* the number of online CPUs */
    bool json, proba, no_header, help;
    dial_task task; /* AUTO */
    char separator; /* 0: detect */
    const char *positional[CLI_MAX_POSITIONAL];
    size_t n_positional;
    /* dial tune, trials and best */
    bool quiet, csv;
    bool mpi;                  /* --mpi: trials on MPI ranks (cli_mpi.h) */
    bool plot;                 /* dial trials --plot */
    int64_t trials;            /* 0: the command's default */
    double timeout;            /* seconds; 0: none */
    dial_sampler_kind sampler; /* AUTO */
    size_t startup_trials;     /* --startup-trials N >= 1; 0: not given (10) */
    const char **enqueues;     /* the --enqueue items, in order; owned array */
    size_t n_enqueues;
    bool cost_aware;     /* --cost-aware: gp prefers the cheaper of near ties */
    const char *pruner;  /* --pruner SPEC, checked where its resource is known; NULL: none */
    const char **spaces; /* the --space items, in order; owned array */
    size_t n_spaces;
    const char *space_file;
    size_t grid_points; /* 0: 10 */
    double holdout;     /* 0: none */
    size_t nested;      /* 0: none */
    const char *study, *study_name;
    /* dial studies --delete NAME, --rename OLD NEW */
    const char *delete_name, *rename_from, *rename_to;
    /* dial studies SRC --copy-to DST */
    const char *copy_to;
    /* dial retrain --append OLD.csv: rows read before the new data */
    const char *append;
    /* dial tune --warm-start STUDY and --warm-start-name NAME */
    const char *warm_start, *warm_start_name;
    /* dial inspect --tree[=N] */
    bool tree;
    size_t tree_index; /* 0: the first tree */
    /* The CLI_OPT_* bits of the options on the command line, so that a
     * resumed study can tell a default from a choice. */
    uint64_t given;
    /* --sparse (1), --dense (-1) or neither (0: sparse when a family that
     * takes sparse input meets dial_dataset_prefers_sparse) */
    int sparse;
    /* --ignore and --keep: each item a comma-separated list of columns, in
     * order; owned arrays */
    const char **ignores, **keeps;
    size_t n_ignores, n_keeps;
    /* every -m/--metric item, in order (dial score takes several); owned array */
    const char **metrics;
    size_t n_metrics;
    /* dial tune --holdout-out FILE and --refit all */
    const char *holdout_out;
    bool refit_all;
    /* --groups, --time-column or --fold-column COLUMN (at most one), or
     * --time-order; --gap N rows between past and future */
    const char *groups, *time_column, *fold_column;
    bool time_order, gap_given;
    size_t gap;
    /* dial ask, tell and run: --direction (MINIMIZE unless given: see
     * `given`), --count K trials at once (1), tell's --fail and --message
     * TEXT, --step S --value V (value_text as given), --heartbeat and
     * --timeout-trial in seconds (0: not given), --log-dir FOLDER (NULL:
     * the command's default) */
    dial_direction direction;
    size_t count;
    bool fail;
    bool pruned; /* tell --pruned */
    const char *message;
    int64_t step;
    double value;
    const char *value_text;
    double heartbeat, timeout_trial;
    const char *log_dir;
    /* After `--` in a command that runs a program (dial run): the program
     * and its arguments, verbatim; NULL-terminated, not owned (argv's). */
    char **program;
    size_t n_program;
} cli_options;

/* What a subcommand accepts and how its help reads. */
typedef struct cli_command {
    const char *name;
    const char *usage;             /* "dial fit MODEL DATA [options]" */
    const char *const *positional; /* names of the required arguments, e.g. "MODEL" */
    size_t n_positional;
    /* Positional arguments that may follow the required ones (dial tell's
     * VALUE, absent with --fail or --step); their count is n_positional -
     * the required, read from opts->n_positional. */
    size_t n_optional;
    /* Whether everything after `--` is a program to run (dial run) rather
     * than more positional arguments. */
    bool takes_program;
    uint64_t options; /* CLI_OPT_* bits */
    const char *help; /* the whole --help text */
} cli_command;

/* Parses argv (argv[0] is the command name) into *opts. Returns -1 when the
 * command should go on, or an exit status: 0 after printing --help, 2 after
 * printing a usage error. Free *opts with cli_options_free either way. */
int cli_parse(const cli_command *command, int argc, char **argv, cli_options *opts);
void cli_options_free(cli_options *opts);
/* Reads a sampler's name (random, grid, qmc, tpe, gp, cmaes, auto) into
 * *out; false for any other text. */
bool cli_sampler_parse(const char *name, dial_sampler_kind *out);
/* Reads a value told to a trial (a positional VALUE of dial tell, a
 * program's output in dial run): a whole number text strtod reads, infinite
 * included; false for anything else and for NaN. */
bool cli_told_value_parse(const char *text, double *out);

/* ---- errors and the library context ---------------------------------------- */

/* Prints "dial: " and the formatted message on one line to stderr and
 * returns exit_status, so a failure reads `return cli_error(2, "...")`. */
int cli_error(int exit_status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the context's last error and returns the exit status of status:
 * 2 for knob and argument errors (the user's command line), 1 otherwise. */
int cli_fail(dial_ctx *ctx, dial_status status);
/* The exit status a library status maps to. */
int cli_exit_status(dial_status status);
/* A context with the options' seed and thread budget whose warnings go to
 * stderr as "dial: warning: ...". Exits on allocation failure. */
dial_ctx *cli_context(const cli_options *opts);

/* Allocation that exits with "dial: out of memory" instead of returning NULL. */
void *cli_alloc(size_t count, size_t size);
char *cli_strdup(const char *s);
/* A malloc'ed formatted string. */
char *cli_format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- data with the common options ---------------------------------------- */

/* Reads a CSV or LIBSVM file with --sep and --no-header. */
dial_status cli_read_table(dial_ctx *ctx, const cli_options *opts, const char *path,
                           dial_table **out);
/* Whether a model predicts from a CSV made sparse: fitted on one
 * (dial_model_takes_sparse) rather than on a LIBSVM file, whose features
 * "f1" .. "fN" are bound by index and whose model asks for LIBSVM rows. */
bool cli_model_reads_csv_sparse(const dial_model *model);
/* Reads DATA for a fitted model: a CSV is made sparse when the model was
 * fitted on a CSV made sparse (dial_model_takes_sparse, with named
 * features), as --sep and --no-header say otherwise. */
dial_status cli_read_table_for_model(dial_ctx *ctx, const cli_options *opts,
                                     const dial_model *model, const char *path, dial_table **out);
/* Reads a file and builds a dataset with --target, --task and --ignore. On
 * success the caller frees *data, then *table. */
dial_status cli_load_dataset(dial_ctx *ctx, const cli_options *opts, const char *path,
                             dial_table **table, dial_dataset **data);
/* cli_load_dataset for a fit of family: an unsupervised family (a
 * clustering) takes every column as a feature but those of --ignore and
 * --labels (whose column becomes the dataset's y, as class indices, which
 * the family never sees and the metrics with labels read), and refuses
 * --target; a supervised one refuses --labels (DIAL_ERR_ARGUMENT). */
dial_status cli_load_dataset_for(dial_ctx *ctx, const cli_options *opts,
                                 const dial_model_family *family, const char *path,
                                 dial_table **table, dial_dataset **data);
/* Fails with DIAL_ERR_ARGUMENT when metric compares clusters with known
 * labels (dial_metric_needs_labels) but the data has none (no --labels). */
dial_status cli_check_labels(dial_ctx *ctx, dial_metric metric, const dial_dataset *data);
/* Calls each(ctx, column, context) for every column of the comma-separated
 * lists items[0..n) in order, stopping at the first failure. */
dial_status cli_each_column(dial_ctx *ctx, const char *const *items, size_t n,
                            dial_status (*each)(dial_ctx *, const char *, void *), void *context);
/* Looks up the model, sets its knobs from the -s assignments and checks
 * them. On success the caller frees *knobs. */
dial_status cli_model_knobs(dial_ctx *ctx, const cli_options *opts, const char *model_name,
                            const dial_model_family **family, dial_knobs *knobs);
/* Fails with DIAL_ERR_ARGUMENT when the family cannot do the dataset's task,
 * saying how to fix it (an unsupervised family does its own task). */
dial_status cli_check_task(dial_ctx *ctx, const dial_model_family *family,
                           const dial_dataset *data);
/* The folds the options ask for: a scheme of kind SHUFFLED without
 * --groups, --time-column, --time-order or --fold-column; otherwise the
 * column is taken out of data's features and its keys read into *keys
 * (owned by the caller, NULL for --time-order), which scheme->keys points
 * to. Errors: a column that does not exist or is the target
 * (DIAL_ERR_DATA), a missing key (DIAL_ERR_DATA). */
dial_status cli_fold_scheme(dial_ctx *ctx, const cli_options *opts, dial_dataset *data,
                            dial_fold_scheme *scheme, double **keys);
/* Whether the folds keep each class's share: shuffled and grouped folds do
 * for classification; forward chaining and given folds keep their order. */
bool cli_folds_stratified(const dial_dataset *data, const dial_fold_scheme *scheme);
/* The folds a fold column gives: its distinct keys of 0 or more. */
size_t cli_given_folds(const dial_fold_scheme *scheme, size_t n_rows);
/* How folds are made, as the line "5-fold cross-validation ..." goes on:
 * " (grouped by firm, stratified)", " (forward-chaining by year, gap 2)",
 * " (given by fold)", " (stratified)" or "": malloc'ed. */
char *cli_fold_scheme_text(const dial_fold_scheme *scheme, bool stratified);
/* "classification", "regression", "classification, regression" or
 * "clustering". */
const char *cli_tasks_text(unsigned tasks);

/* ---- output ----------------------------------------------------------------- */

/* Opens an output file (NULL or "-": stdout) through dial_output: a regular
 * file is replaced atomically when cli_output_commit succeeds, a device or
 * FIFO written in place. Until the output is committed or aborted, SIGINT,
 * SIGTERM and SIGHUP remove its temporary file before ending the program.
 * Errors as dial_output_open (the message on ctx; nothing printed). */
dial_status cli_output_open(dial_ctx *ctx, const char *path, dial_output **out);
/* dial_output_commit, then the signals are as they were. */
dial_status cli_output_commit(dial_ctx *ctx, dial_output *output);
/* dial_output_abort (the old file untouched), then the signals are as they
 * were. NULL is harmless. */
void cli_output_abort(dial_output *output);
/* Saves a model to path ("-": stdout) through cli_output_open. Errors as
 * dial_model_save (the message on ctx; nothing printed). */
dial_status cli_save_model(dial_ctx *ctx, const dial_model *model, const char *path);
/* Refuses an output that is the same file (device and inode, through links)
 * as an input, before anything is read or written: one line, and returns
 * exit status 2; returns -1 when they differ. what names the input ("the
 * data file"); chosen: the output came from -o (else it is the default). An
 * input "-" is compared through standard input. */
int cli_check_output_not_input(const char *output, bool chosen, const char *input,
                               const char *what);
/* The same for an output named by another option ("--holdout-out"), which
 * the message names. */
int cli_check_option_output_not_input(const char *option, const char *output, const char *input,
                                      const char *what);
/* Flushes stdout ("-") or closes out; returns false and prints the error
 * when the write failed. */
bool cli_close_output(FILE *out, const char *path);
/* The path as a message shows it: "standard input" for "-". */
const char *cli_display_path(const char *path);
/* Writes one CSV field, quoted when it needs to be. */
void cli_write_csv_field(FILE *out, const char *text);
/* Formats a double so that it reads back as the same double, shortest form. */
void cli_format_double(double value, char *buf, size_t size);
/* "0.412 ms", "12.3 ms" or "2.051 s": a malloc'ed duration. */
char *cli_duration_text(double seconds);
/* Prints text word-wrapped to width columns, each line indented by indent. */
void cli_print_wrapped(FILE *out, const char *text, size_t indent, size_t width);

/* Width of the terminal dial lays its tables out for. */
#define CLI_WIDTH 100

/* An aligned text table whose cells wrap when the table would be wider than
 * CLI_WIDTH, with an optional note (a knob's doc) on its own line(s) under a
 * row. */
#define CLI_TABLE_MAX_COLS 10
typedef struct cli_table {
    size_t n_cols, n_rows, capacity;
    char **cells;                   /* n_rows x n_cols, owned */
    char **notes;                   /* n_rows, owned, may be NULL */
    bool wrap[CLI_TABLE_MAX_COLS];  /* the column may be wrapped to fit */
    bool right[CLI_TABLE_MAX_COLS]; /* right-aligned (numbers) */
} cli_table;

void cli_table_init(cli_table *table, size_t n_cols);
/* Adds a row of n_cols cells (copied; NULL prints as empty). */
void cli_table_add(cli_table *table, const char *const *cells);
/* Attaches a note to the last row. */
void cli_table_note(cli_table *table, const char *note);
void cli_table_print(const cli_table *table, FILE *out, size_t indent);
void cli_table_free(cli_table *table);

/* ---- dial inspect --tree ---------------------------------------------------- */

/* Prints tree number tree_index of a model with trees (tree, forest,
 * gbdt: whichever family fills the trees slot) as if/else rules on out;
 * returns an exit status, after one "dial: ..." line on stderr when the
 * model has no trees or no tree of that number. */
int cli_print_tree_rules(dial_ctx *ctx, const dial_model *model, size_t tree_index, FILE *out);
/* The test of split node `node` of a tree of model as the rules word it
 * ("petal_length <= 2.45", "color is not E", "color in {red, blue}"): a
 * row that passes it goes left. For dial report's drawing of a tree. */
void cli_tree_split_text(const dial_model *model, const dial_tree *tree, size_t node, char *buf,
                         size_t size);

/* ---- studies (dial tune, trials, best) ------------------------------------------ */

/* Opens study `name` of a SQLite study file for reading, or the file's only
 * study when name is NULL. Fails (without creating anything) when the file
 * or the study does not exist; DIAL_ERR_ARGUMENT when the name is missing or
 * ambiguous (the message lists the file's studies). */
dial_status cli_open_study(dial_ctx *ctx, const char *path, const char *name, dial_study **out);
/* What `dial tune --study FILE` resumes with: the options of the study's
 * experiment. */
typedef struct cli_resumed {
    dial_study_identity stored; /* the study's identity; empty for a new study */
    char *lines;                /* owned text the restored -s and --space items point into */
    const char *space_json;     /* --space-file's text (owned by stored), or NULL */
} cli_resumed;

/* Reads the identity of the study `dial tune` is about to resume (study
 * `name` of opts->study; nothing for a new file or study) and fills in
 * every option of the experiment the command line left out with the
 * stored value: --metric, --folds, --repeats, --seed, --holdout, --nested,
 * --sampler, --grid-points, --target, --task, --ignore, the split
 * (--groups, --time-column or --time-order with --gap, --fold-column) when
 * none of those is given, and -s/--space/--space-file
 * when none of the three is given. Options given are left for the library
 * to compare. A study of another model is refused here, before its knobs
 * are read (DIAL_ERR_ARGUMENT). Free *out with cli_resumed_free. */
dial_status cli_resume_options(dial_ctx *ctx, cli_options *opts, const char *model,
                               const char *name, cli_resumed *out);
void cli_resumed_free(cli_resumed *resumed);
/* "random", "grid", "qmc". */
const char *cli_sampler_name(dial_sampler_kind kind);
/* "k=3, weights=distance": a trial's params, floats to 4 significant
 * digits; "(none)" without params. malloc'ed. */
char *cli_trial_params_text(const dial_trial_record *trial);
/* Seconds a trial took (so far, while it runs). */
double cli_trial_seconds(const dial_trial_record *trial);
/* "0.4 s", "12 s", "3 min 5 s", "2 h 10 min": a malloc'ed duration for
 * progress lines. */
char *cli_seconds_text(double seconds);
/* Index of the best value of a trial's path for the direction (the lowest
 * step among ties; NaN never wins), or -1 when the path has no value. */
long cli_trial_best_path_step(const dial_trial_record *trial, dial_direction direction);
/* Complete trials of a list, best first (ties: lower number first). Returns
 * how many; *out is malloc'ed and points into list. */
size_t cli_trials_ranked(const dial_trial_list *list, dial_direction direction,
                         const dial_trial_record ***out);

/* ---- JSON -------------------------------------------------------------------- */

#include <jansson.h>

/* A JSON number, or null for NaN and infinities (which JSON lacks). */
json_t *cli_json_number(double value);
/* Prints value indented, with a newline, and releases it. precision: 17 for
 * values that must read back exactly, fewer for readable summaries. */
void cli_json_print(json_t *value, FILE *out, int precision);
/* A u64 as a JSON integer, or as a decimal string when jansson's signed
 * integer cannot hold it. */
json_t *cli_json_u64(uint64_t value);
/* The value of knob i as JSON: a number, a bool or the choice's name; a
 * list knob as an array of numbers ([128, 64]). */
json_t *cli_json_knob_value(const dial_knobs *knobs, size_t i);
/* A trial's params as a JSON object: numbers, true/false, or the text of a
 * choice (a choice among numbers, such as k=1,3,5, as a number; one of
 * several numbers, such as the hidden=64|128,64 of a list knob, as an
 * array). A trial record does not know its model, so a list of one reads
 * as a number here; cli_json_trial_knobs knows better. */
json_t *cli_json_trial_params(const dial_trial_record *trial);
/* The same, typed by the knob table (NULL: as cli_json_trial_params): a
 * param that is a list knob is always an array, [64] as well as [128, 64]. */
json_t *cli_json_trial_knobs(const dial_trial_record *trial, const dial_knobs *knobs);
/* A trial's intermediate values as [{"step", "value"}, ...]. */
json_t *cli_json_trial_intermediate(const dial_trial_record *trial);
/* A trial's scores along its model's path knob as [{"step", "value"}, ...];
 * [] when it has none. */
json_t *cli_json_trial_path(const dial_trial_record *trial);

/* ---- labelled data for a saved model (dial importance, dial score) ------------- */

/* Binds table to the model's features (dial_model_bind) and attaches the
 * true values as the model encodes them (its own class indices, matched by
 * label, or values), read from --target or else the column named like the
 * model's target (in a file without a header, the target's column in
 * training). data_path names DATA in messages. On success the caller frees
 * *out (before table). Errors: DIAL_ERR_DATA for a missing target column or
 * a class the model was not trained on; those of dial_model_bind and
 * dial_dataset_from_table. */
dial_status cli_model_truth(dial_ctx *ctx, const cli_options *opts, const dial_model *model,
                            const dial_table *table, const char *data_path, dial_dataset **out);

/* ---- rows out (dial tune --holdout-out) --------------------------------------- */

/* Writes rows[0 .. n) of table (ascending: the file's order) as CSV with a
 * header of the table's column names, every column, through
 * cli_output_open (atomic; "-" is stdout): numbers in their shortest exact
 * form, categories by their text, missing values empty. Errors as
 * cli_output_open and cli_output_commit (the message on ctx). */
dial_status cli_write_rows(dial_ctx *ctx, const dial_table *table, const size_t *rows, size_t n,
                           const char *path);

/* ---- the space dial tune searches (tune_space.c) ------------------------------ */

/* Reads a --space-file into a malloc'ed string (DIAL_ERR_IO naming it). */
dial_status cli_read_space_file(dial_ctx *ctx, const char *path, char **text);
/* The model's default space less the knobs fixed with -s (and those that
 * then never apply), then space_json (a --space-file's text, may be NULL),
 * then each --space item. Errors (one message on ctx): a knob both fixed
 * and searched, a searched knob that never applies, nothing left to
 * search, and dial_space_set's. */
dial_status cli_build_space(dial_ctx *ctx, const cli_options *opts, const char *space_json,
                            const dial_knobs *knobs, dial_space *space);
/* "k=1..50, weights=uniform,distance": the space as the output shows it.
 * malloc'ed. */
char *cli_space_text(const dial_space *space);

/* ---- what dial tune writes and runs (tune_outputs.c) --------------------------- */

/* The usage mistakes of -o, --holdout-out and --refit (one line on
 * stderr): -o - with --json, --refit without -o, both outputs one file, an
 * output that is the data or the study file. Returns -1 when there is
 * none, else the exit status (2). */
int cli_tune_check_outputs(const cli_options *opts);
/* --holdout-out without a holdout (DIAL_ERR_ARGUMENT); checked once a
 * resumed study has filled in its --holdout. */
dial_status cli_tune_check_holdout_out(dial_ctx *ctx, const cli_options *opts);
/* Keeps the drift reference of the rows the refit learned from on the
 * refit model (nothing without one). */
dial_status cli_tune_set_drift_reference(dial_ctx *ctx, const dial_dataset *data,
                                         const dial_tune_result *result);
/* Writes the held-out rows to --holdout-out (nothing without it). */
dial_status cli_tune_write_holdout(dial_ctx *ctx, const cli_options *opts, const dial_table *table,
                                   const dial_tune_result *result);
/* "refit on the 120 rows the search saw, not the 30 held out (--refit all
 * uses every row): saved to m.dial", or "not saved: ...". malloc'ed. */
char *cli_tune_refit_text(const cli_options *opts, const dial_tune_result *result);
/* What a nested run runs: the K outer searches of n_trials each (0: the
 * grid's size or the time given), and with -o the search on all n_rows
 * rows before them. malloc'ed. */
char *cli_tune_nested_runs_text(const cli_options *opts, int64_t n_trials, size_t n_rows);
/* Prints the nested estimate: the mean outer score, each fold's, and the
 * optimistic inner best values beside them (or that it did not run). */
void cli_tune_print_nested(const cli_options *opts, const char *metric,
                           const dial_tune_result *result);

/* ---- studies of any program (dial ask, tell, run: program_study.c) ------------ */

/* Opens study opts->study_name (default "default") of the SQLite file path
 * for writing, creating it on first use, as a study of a program (no
 * model): its typed space from --space-file then each --space item
 * (dial_space_add_typed_json, dial_space_add_typed), or, with neither, the
 * space the study was created with; --direction, --sampler, --seed and
 * --grid-points, --startup-trials where given, else the study's own (a new
 * study: minimize, auto, 0, 10, 10); --heartbeat (0: 60 s). Records and
 * compares the identity kind=program, space (canonical JSON), sampler,
 * seed, grid_points (grid only), startup_trials (samplers that learn).
 * The caller enqueues the --enqueue items (cli_enqueue_items). *created
 * (may be NULL) tells whether this call created the study. Keeps
 * note.direction and note.command = program_note (when not
 * NULL), never compared. Errors (one message on ctx): a study of a model
 * (dial tune's), a new study without a space, a bad space item, another
 * space, sampler, seed or direction than the study's (DIAL_ERR_ARGUMENT);
 * the file's (DIAL_ERR_IO, DIAL_ERR_FORMAT). On success *study and *space
 * are the caller's (dial_study_free, dial_space_free); on error both are
 * empty. */
dial_status cli_program_study_open(dial_ctx *ctx, const cli_options *opts, const char *path,
                                   const char *program_note, dial_study **study, dial_space *space,
                                   bool *created);
/* Opens an existing program study for writing (dial tell) with the
 * settings and space it was created with; nothing is compared. Errors: no
 * such file, no such study (naming the file's studies), a study of a
 * model; never creates anything. *study is the caller's. */
dial_status cli_program_study_open_existing(dial_ctx *ctx, const cli_options *opts,
                                            const char *path, dial_study **study);
/* Whether a study identity is a program study's (kind=program). */
bool cli_is_program_study(const dial_study_identity *identity);
/* Whether study (read from the SQLite file path) is a program's: reads its
 * identity read-only. Errors: the file's. */
dial_status cli_study_is_program(dial_ctx *ctx, const char *path, const dial_study *study,
                                 bool *program);
/* Param i of a trial as text, unquoted: as cli_program_knobs_text writes
 * it, without the sh quotes. malloc'ed. */
char *cli_program_knob_text(const dial_trial_record *trial, size_t i);
/* A trial's params as sh assignments for eval: "x=1.25 n=3 opt='adam'":
 * floats in shortest round-trip form, ints as integers, categorical values
 * single-quoted (' as '\''). malloc'ed; "" without params. */
char *cli_program_knobs_text(const dial_trial_record *trial);
/* The same as a JSON object: floats as reals, ints as integers,
 * categorical values as strings (never read as numbers). */
json_t *cli_program_knobs_json(const dial_trial_record *trial);
/* Prints value as cli_json_print does (indented, a newline, released), or
 * on one line ({"a": 1, "b": [2, 3]}), but every real in its shortest
 * round-trip form (0.1, not 0.10000000000000001), with a ".0" when it
 * would read as an integer. */
void cli_json_print_shortest(json_t *value, FILE *out, bool one_line);

/* ---- samplers (dial tune, ask and run: cli_sampler.c) --------------------------- */

/* The startup trials of a learning sampler when --startup-trials is not
 * given (dial_study_options.startup_trials 0 means the same). */
#define CLI_STARTUP_TRIALS 10
/* Whether the kind learns from the trials before (tpe, gp, cmaes, auto). */
bool cli_sampler_learns(dial_sampler_kind kind);
/* The best complete trials of the old study dial tune --warm-start
 * enqueues first. */
#define CLI_WARM_START_BEST 10
/* Opens the study of --warm-start (and --warm-start-name) for reading into
 * *old, after checking from its identity that it tuned `model` with
 * `metric` (DIAL_ERR_ARGUMENT otherwise, one line). Nothing without
 * --warm-start (*old NULL). */
dial_status cli_warm_start_open(dial_ctx *ctx, const cli_options *opts, const char *model,
                                const char *metric, dial_study **old);
/* Warm-starts study from old (dial_study_warm_start, CLI_WARM_START_BEST
 * enqueued) and, when tell, says on stderr what it took. */
dial_status cli_warm_start(dial_ctx *ctx, const cli_options *opts, dial_study *study,
                           dial_study *old, bool tell);
/* Enqueues each --enqueue item into study, in order (dial_study_enqueue;
 * one the study holds already is skipped, with a note on stderr when
 * tell_skipped). Errors: the library's, as one line prefixed
 * "--enqueue 'ITEM': " (DIAL_ERR_ARGUMENT for a bad item). */
dial_status cli_enqueue_items(dial_ctx *ctx, const cli_options *opts, dial_study *study,
                              bool tell_skipped);
/* The study's sampler plan (dial_study_sampler_plan), malloc'ed. */
char *cli_sampler_plan(const dial_study *study);
/* Prints "sampler: PLAN" on stderr: a run's header. */
void cli_print_sampler_plan(const dial_study *study);
/* Prints "pruner: PLAN" on stderr when the study prunes (cli_pruner.c):
 * a run's header, after the sampler's. */
void cli_print_pruner_plan(const dial_study *study);
/* Where a pruned trial stopped, malloc'ed: "pruned at step 3" (a program's
 * study: its last step), "pruned at path step 54" (a model's path: its
 * last path step), "pruned after 2 folds" (a model's folds). */
char *cli_pruned_where(const dial_trial_record *trial, bool program);
/* Reads a stored startup_trials value (an integer in [1, 1000000]);
 * false for anything else. */
bool cli_startup_trials_parse(const char *text, size_t *out);
/* Records "startup_trials" (startup_trials, or CLI_STARTUP_TRIALS for 0) in
 * a study's identity when kind learns; nothing for the blind samplers,
 * whose trials it does not change. Errors: DIAL_ERR_NOMEM. */
dial_status cli_startup_trials_identity(dial_ctx *ctx, dial_sampler_kind kind,
                                        size_t startup_trials, dial_study_identity *identity);

/* {"kind": "groups" | "time" | "given", "column", "gap"} (column null for
 * --time-order), or JSON null for shuffled folds. */
json_t *cli_fold_scheme_json(const dial_fold_scheme *scheme);

#endif

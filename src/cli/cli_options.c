/* The common options of every subcommand: one table, one parser, one
 * message per mistake. A hand-written parser (rather than getopt_long) so
 * that each error is exactly one line that names the command. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

typedef struct cli_option_def {
    uint64_t id;
    const char *long_name;
    char short_name; /* 0: none */
    bool has_value;
} cli_option_def;

static const cli_option_def option_defs[] = {
    {CLI_OPT_TARGET, "target", 't', true},
    {CLI_OPT_SET, "set", 's', true},
    {CLI_OPT_OUTPUT, "output", 'o', true},
    {CLI_OPT_FOLDS, "folds", 0, true},
    {CLI_OPT_REPEATS, "repeats", 0, true},
    {CLI_OPT_METRIC, "metric", 'm', true},
    {CLI_OPT_SEED, "seed", 0, true},
    {CLI_OPT_JOBS, "jobs", 'j', true},
    {CLI_OPT_JSON, "json", 0, false},
    {CLI_OPT_PROBA, "proba", 0, false},
    {CLI_OPT_TASK, "task", 0, true},
    {CLI_OPT_SEP, "sep", 0, true},
    {CLI_OPT_NO_HEADER, "no-header", 0, false},
    {CLI_OPT_HELP, "help", 'h', false},
    {CLI_OPT_QUIET, "quiet", 0, false},
    {CLI_OPT_TRIALS, "trials", 0, true},
    {CLI_OPT_TIMEOUT, "timeout", 0, true},
    {CLI_OPT_SAMPLER, "sampler", 0, true},
    {CLI_OPT_SPACE, "space", 0, true},
    {CLI_OPT_SPACE_FILE, "space-file", 0, true},
    {CLI_OPT_GRID_POINTS, "grid-points", 0, true},
    {CLI_OPT_CV, "cv", 0, true},
    {CLI_OPT_HOLDOUT, "holdout", 0, true},
    {CLI_OPT_NESTED, "nested", 0, true},
    {CLI_OPT_STUDY, "study", 0, true},
    {CLI_OPT_STUDY_NAME, "study-name", 0, true},
    {CLI_OPT_CSV, "csv", 0, false},
    {CLI_OPT_PLOT, "plot", 0, false},
    {CLI_OPT_TREE, "tree", 0, false},
    {CLI_OPT_DELETE, "delete", 0, true},
    {CLI_OPT_RENAME, "rename", 0, true},
    {CLI_OPT_COPY_TO, "copy-to", 0, true},
    {CLI_OPT_IGNORE, "ignore", 0, true},
    {CLI_OPT_KEEP, "keep", 0, true},
    {CLI_OPT_HOLDOUT_OUT, "holdout-out", 0, true},
    {CLI_OPT_REFIT, "refit", 0, true},
    {CLI_OPT_FOLD_SCHEME, "groups", 0, true},
    {CLI_OPT_FOLD_SCHEME, "time-column", 0, true},
    {CLI_OPT_FOLD_SCHEME, "time-order", 0, false},
    {CLI_OPT_FOLD_SCHEME, "gap", 0, true},
    {CLI_OPT_FOLD_SCHEME, "fold-column", 0, true},
    {CLI_OPT_DIRECTION, "direction", 0, true},
    {CLI_OPT_COUNT, "count", 0, true},
    {CLI_OPT_FAIL, "fail", 0, false},
    {CLI_OPT_PRUNED, "pruned", 0, false},
    {CLI_OPT_MESSAGE, "message", 0, true},
    {CLI_OPT_STEP, "step", 0, true},
    {CLI_OPT_VALUE, "value", 0, true},
    {CLI_OPT_HEARTBEAT, "heartbeat", 0, true},
    {CLI_OPT_TIMEOUT_TRIAL, "timeout-trial", 0, true},
    {CLI_OPT_LOG_DIR, "log-dir", 0, true},
    {CLI_OPT_STARTUP_TRIALS, "startup-trials", 0, true},
    {CLI_OPT_ENQUEUE, "enqueue", 0, true},
    {CLI_OPT_COST_AWARE, "cost-aware", 0, false},
    {CLI_OPT_PRUNER, "pruner", 0, true},
    {CLI_OPT_MPI, "mpi", 0, false},
    {CLI_OPT_LABELS, "labels", 0, true},
    {CLI_OPT_SILHOUETTE_ROWS, "silhouette-rows", 0, true},
    {CLI_OPT_APPEND, "append", 0, true},
    {CLI_OPT_WARM_START, "warm-start", 0, true},
    {CLI_OPT_WARM_START_NAME, "warm-start-name", 0, true},
    {CLI_OPT_SPARSE, "sparse", 0, false},
    {CLI_OPT_SPARSE, "dense", 0, false},
};

#define N_OPTION_DEFS (sizeof option_defs / sizeof option_defs[0])

/* An option whose value may be left out: "--tree", "--tree=N" or "--tree N"
 * when N is a number. */
static bool optional_value(const cli_option_def *def) { return def->id == CLI_OPT_TREE; }

bool cli_sampler_parse(const char *name, dial_sampler_kind *out) {
    return dial_sampler_kind_parse(name, out);
}

static int online_cpus(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
}

/* A usage error that names the option and suggests the closest option the
 * command accepts: a typo ("--trails"), a long name with one dash
 * ("-target"), or tune's --cv elsewhere, where the folds are --folds. */
static int unknown_option(const cli_command *command, const char *arg) {
    const char *names[N_OPTION_DEFS];
    size_t n = 0;
    for (size_t i = 0; i < N_OPTION_DEFS; i++)
        if (command->options & option_defs[i].id) names[n++] = option_defs[i].long_name;
    const char *word = arg;
    while (*word == '-') word++;
    char name[64];
    size_t length = strcspn(word, "=");
    if (length >= sizeof name) length = sizeof name - 1;
    memcpy(name, word, length);
    name[length] = '\0';
    /* A short option's letter is too short to guess from. */
    bool long_form = arg[1] == '-' || length > 2;
    const char *closest = NULL;
    if (strcmp(name, "ignore") == 0 && (command->options & CLI_OPT_KEEP))
        return cli_error(CLI_EXIT_USAGE,
                         "unknown option '%s' for %s: the columns a model was not fitted on are "
                         "ignored already; --keep COL copies one beside the predictions",
                         arg, command->name);
    if (strcmp(name, "keep") == 0 && (command->options & CLI_OPT_IGNORE))
        return cli_error(CLI_EXIT_USAGE,
                         "unknown option '%s' for %s: dial predict keeps columns; --ignore COL "
                         "leaves one out of the features here",
                         arg, command->name);
    if (strcmp(name, "cv") == 0 && (command->options & CLI_OPT_FOLDS))
        closest = "folds";
    else if (long_form && name[0])
        closest = dial_closest_name(name, names, n);
    if (closest)
        return cli_error(CLI_EXIT_USAGE, "unknown option '%s' for %s; did you mean '--%s'?", arg,
                         command->name, closest);
    return cli_error(CLI_EXIT_USAGE, "unknown option '%s' for %s; see 'dial %s --help'", arg,
                     command->name, command->name);
}

static bool parse_count(const char *text, long long min, long long max, long long *out) {
    if (!*text) return false;
    char *end;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (errno || *end || value < min || value > max) return false;
    *out = value;
    return true;
}

/* A duration: seconds, or a number with s, m or h ("90", "90s", "10m",
 * "1.5h"); false unless it is positive and finite. */
static bool parse_duration(const char *text, double *seconds) {
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || errno || !(value > 0) || value > 1e9) return false;
    double unit = 1;
    if (*end == 's')
        end++;
    else if (*end == 'm')
        unit = 60, end++;
    else if (*end == 'h')
        unit = 3600, end++;
    if (*end) return false;
    *seconds = value * unit;
    return true;
}

/* A told value: any number strtod reads whole ("0.913", "-1e-3", "inf");
 * false for anything else (NaN included: a value that is no number is a
 * failed trial, told with --fail). */
static bool parse_value(const char *text, double *out) {
    char *end;
    errno = 0;
    double value = strtod(text, &end);
    if (end == text || *end || isnan(value) || (errno && isfinite(value))) return false;
    *out = value;
    return true;
}

/* The options of dial ask, tell and run; returns -1 or the usage exit
 * status. */
static int set_program_option(const cli_option_def *def, const char *value, cli_options *opts) {
    long long number;
    switch (def->id) {
    case CLI_OPT_DIRECTION:
        if (strcmp(value, "minimize") == 0)
            opts->direction = DIAL_MINIMIZE;
        else if (strcmp(value, "maximize") == 0)
            opts->direction = DIAL_MAXIMIZE;
        else
            return cli_error(CLI_EXIT_USAGE, "--direction expects minimize or maximize, got '%s'",
                             value);
        break;
    case CLI_OPT_COUNT:
        if (!parse_count(value, 1, 1000000, &number))
            return cli_error(CLI_EXIT_USAGE, "--count expects an integer in [1, 1000000], got '%s'",
                             value);
        opts->count = (size_t)number;
        break;
    case CLI_OPT_FAIL: opts->fail = true; break;
    case CLI_OPT_PRUNED: opts->pruned = true; break;
    case CLI_OPT_MESSAGE: opts->message = value; break;
    case CLI_OPT_STEP:
        if (!parse_count(value, 0, INT64_MAX, &number))
            return cli_error(CLI_EXIT_USAGE, "--step expects an integer >= 0, got '%s'", value);
        opts->step = (int64_t)number;
        break;
    case CLI_OPT_VALUE:
        if (!parse_value(value, &opts->value))
            return cli_error(CLI_EXIT_USAGE, "--value expects a number such as 0.81, got '%s'",
                             value);
        opts->value_text = value;
        break;
    case CLI_OPT_HEARTBEAT:
    case CLI_OPT_TIMEOUT_TRIAL: {
        double *seconds = def->id == CLI_OPT_HEARTBEAT ? &opts->heartbeat : &opts->timeout_trial;
        if (!parse_duration(value, seconds))
            return cli_error(CLI_EXIT_USAGE,
                             "--%s expects a duration such as 90, 90s, 10m or 1h, got '%s'",
                             def->long_name, value);
        break;
    }
    case CLI_OPT_LOG_DIR:
        if (!*value) return cli_error(CLI_EXIT_USAGE, "--log-dir needs a folder name");
        opts->log_dir = value;
        break;
    }
    return -1;
}

bool cli_told_value_parse(const char *text, double *out) { return parse_value(text, out); }

/* The options of dial tune, trials and best; returns -1 or the usage exit
 * status. */
static int set_tune_option(const cli_option_def *def, const char *value, cli_options *opts) {
    long long number;
    switch (def->id) {
    case CLI_OPT_QUIET: opts->quiet = true; break;
    case CLI_OPT_CSV: opts->csv = true; break;
    case CLI_OPT_TRIALS:
        if (!parse_count(value, 1, INT64_MAX, &number))
            return cli_error(CLI_EXIT_USAGE, "--trials expects an integer >= 1, got '%s'", value);
        opts->trials = (int64_t)number;
        break;
    case CLI_OPT_TIMEOUT:
        if (!parse_duration(value, &opts->timeout))
            return cli_error(CLI_EXIT_USAGE,
                             "--timeout expects a duration such as 90, 90s, 10m or 1h, got '%s'",
                             value);
        break;
    case CLI_OPT_SAMPLER:
        if (!cli_sampler_parse(value, &opts->sampler))
            return cli_error(CLI_EXIT_USAGE,
                             "--sampler expects auto, tpe, gp, cmaes, qmc, random or grid, got "
                             "'%s'",
                             value);
        break;
    case CLI_OPT_STARTUP_TRIALS:
        /* A sampler cannot learn from no trial: the first is always drawn
         * blindly, so 0 would mean 1 and is refused rather than bent. */
        if (!parse_count(value, 1, 1000000, &number))
            return cli_error(CLI_EXIT_USAGE,
                             "--startup-trials expects an integer in [1, 1000000] (the first "
                             "trials drawn by qmc before the sampler learns), got '%s'",
                             value);
        opts->startup_trials = (size_t)number;
        break;
    case CLI_OPT_COST_AWARE: opts->cost_aware = true; break;
    case CLI_OPT_MPI: opts->mpi = true; break;
    /* Its settings' defaults depend on the resource (steps, folds, a
     * path): the command reads it with dial_pruner_spec_normalize. */
    case CLI_OPT_PRUNER: opts->pruner = value; break;
    case CLI_OPT_ENQUEUE:
        if (!*value)
            return cli_error(CLI_EXIT_USAGE,
                             "--enqueue expects NAME=VALUE items, such as 'C=1,gamma=0.01'");
        opts->enqueues[opts->n_enqueues++] = value;
        break;
    case CLI_OPT_SPACE: opts->spaces[opts->n_spaces++] = value; break;
    case CLI_OPT_SPACE_FILE: opts->space_file = value; break;
    case CLI_OPT_GRID_POINTS:
        if (!parse_count(value, 1, 1000000, &number))
            return cli_error(CLI_EXIT_USAGE, "--grid-points expects an integer >= 1, got '%s'",
                             value);
        opts->grid_points = (size_t)number;
        break;
    case CLI_OPT_HOLDOUT: {
        char *end;
        errno = 0;
        double fraction = strtod(value, &end);
        if (end == value || *end || errno || !(fraction > 0 && fraction < 1))
            return cli_error(CLI_EXIT_USAGE,
                             "--holdout expects a fraction between 0 and 1 such as 0.2, got '%s'",
                             value);
        opts->holdout = fraction;
        break;
    }
    case CLI_OPT_NESTED:
        if (!parse_count(value, 2, 1000000, &number))
            return cli_error(CLI_EXIT_USAGE,
                             "--nested expects an integer >= 2 (the outer folds), got '%s'", value);
        opts->nested = (size_t)number;
        break;
    case CLI_OPT_STUDY: opts->study = value; break;
    case CLI_OPT_HOLDOUT_OUT:
        if (!*value) return cli_error(CLI_EXIT_USAGE, "--holdout-out needs a file name");
        opts->holdout_out = value;
        break;
    case CLI_OPT_REFIT:
        if (strcmp(value, "search") != 0 && strcmp(value, "all") != 0)
            return cli_error(CLI_EXIT_USAGE,
                             "--refit expects search (the rows the search saw) or all (every "
                             "row, the held-out ones too), got '%s'",
                             value);
        opts->refit_all = strcmp(value, "all") == 0;
        break;
    case CLI_OPT_DELETE:
        if (!*value) return cli_error(CLI_EXIT_USAGE, "--delete needs the name of a study");
        opts->delete_name = value;
        break;
    case CLI_OPT_RENAME: opts->rename_from = value; break;
    case CLI_OPT_COPY_TO:
        if (!*value) return cli_error(CLI_EXIT_USAGE, "--copy-to needs a study file or database");
        opts->copy_to = value;
        break;
    case CLI_OPT_APPEND:
        if (!*value) return cli_error(CLI_EXIT_USAGE, "--append needs a data file");
        opts->append = value;
        break;
    case CLI_OPT_WARM_START:
        if (!*value)
            return cli_error(CLI_EXIT_USAGE, "--warm-start needs a study file or database");
        opts->warm_start = value;
        break;
    case CLI_OPT_WARM_START_NAME:
        if (!*value) return cli_error(CLI_EXIT_USAGE, "--warm-start-name cannot be empty");
        opts->warm_start_name = value;
        break;
    case CLI_OPT_STUDY_NAME:
        if (!*value) return cli_error(CLI_EXIT_USAGE, "--study-name cannot be empty");
        opts->study_name = value;
        break;
    }
    return -1;
}

/* --groups, --time-column, --time-order, --gap, --fold-column: they share
 * one bit, so they are told apart by name. At most one way of splitting;
 * returns -1 or the usage exit status. */
static int set_fold_option(const cli_option_def *def, const char *value, cli_options *opts) {
    const char *name = def->long_name;
    if (strcmp(name, "gap") == 0) {
        long long number;
        if (!parse_count(value, 0, 1000000000, &number))
            return cli_error(CLI_EXIT_USAGE, "--gap expects a number of rows >= 0, got '%s'",
                             value);
        opts->gap = (size_t)number;
        opts->gap_given = true;
        return -1;
    }
    const char *chosen = opts->groups        ? "--groups"
                         : opts->time_column ? "--time-column"
                         : opts->time_order  ? "--time-order"
                         : opts->fold_column ? "--fold-column"
                                             : NULL;
    if (chosen && strcmp(chosen + 2, name) != 0)
        return cli_error(CLI_EXIT_USAGE,
                         "--%s and %s cannot be combined: rows are split one way, by groups, "
                         "by time or by given folds",
                         name, chosen);
    if (value && !*value) return cli_error(CLI_EXIT_USAGE, "--%s needs a column name", name);
    if (strcmp(name, "groups") == 0)
        opts->groups = value;
    else if (strcmp(name, "time-column") == 0)
        opts->time_column = value;
    else if (strcmp(name, "time-order") == 0)
        opts->time_order = true;
    else
        opts->fold_column = value;
    return -1;
}

/* Stores the value of one option; returns -1 or the usage exit status. */
static int set_option(const cli_option_def *def, const char *value, cli_options *opts) {
    long long number;
    switch (def->id) {
    case CLI_OPT_TARGET: opts->target = value; break;
    case CLI_OPT_LABELS: opts->labels = value; break;
    case CLI_OPT_SILHOUETTE_ROWS:
        if (strcmp(value, "all") == 0) {
            opts->silhouette_rows = SIZE_MAX;
            break;
        }
        if (!parse_count(value, 2, INT64_MAX, &number))
            return cli_error(CLI_EXIT_USAGE,
                             "--silhouette-rows expects 'all' or an integer >= 2 (the rows scored "
                             "before a sample is drawn), got '%s'",
                             value);
        opts->silhouette_rows = (size_t)number;
        break;
    case CLI_OPT_SET: opts->sets[opts->n_sets++] = value; break;
    case CLI_OPT_OUTPUT: opts->output = value; break;
    case CLI_OPT_METRIC:
        opts->metric = value;
        opts->metrics[opts->n_metrics++] = value;
        break;
    case CLI_OPT_FOLDS:
    case CLI_OPT_CV: /* tune's older name for --folds */
        if (!parse_count(value, 2, 1000000, &number))
            return cli_error(CLI_EXIT_USAGE, "--%s expects an integer >= 2%s, got '%s'",
                             def->long_name, def->id == CLI_OPT_CV ? " (the folds)" : "", value);
        opts->folds = (size_t)number;
        break;
    case CLI_OPT_IGNORE:
    case CLI_OPT_KEEP: {
        size_t length = strlen(value);
        if (!length || value[0] == ',' || value[length - 1] == ',' || strstr(value, ",,"))
            return cli_error(CLI_EXIT_USAGE,
                             "--%s expects column names separated by commas, such as id,name; "
                             "got '%s'",
                             def->long_name, value);
        if (def->id == CLI_OPT_IGNORE)
            opts->ignores[opts->n_ignores++] = value;
        else
            opts->keeps[opts->n_keeps++] = value;
        break;
    }
    case CLI_OPT_REPEATS:
        if (!parse_count(value, 1, 1000000, &number))
            return cli_error(CLI_EXIT_USAGE, "--repeats expects an integer >= 1, got '%s'", value);
        opts->repeats = (size_t)number;
        break;
    case CLI_OPT_JOBS:
        if (!parse_count(value, 1, 1024, &number))
            return cli_error(CLI_EXIT_USAGE, "--jobs expects an integer in [1, 1024], got '%s'",
                             value);
        opts->jobs = (int)number;
        break;
    case CLI_OPT_SEED: {
        char *end;
        errno = 0;
        unsigned long long seed = strtoull(value, &end, 10);
        if (!*value || *value == '-' || *value == '+' || *end || errno)
            return cli_error(CLI_EXIT_USAGE, "--seed expects a non-negative integer, got '%s'",
                             value);
        opts->seed = (uint64_t)seed;
        break;
    }
    case CLI_OPT_TASK:
        if (strcmp(value, "classification") == 0)
            opts->task = DIAL_TASK_CLASSIFICATION;
        else if (strcmp(value, "regression") == 0)
            opts->task = DIAL_TASK_REGRESSION;
        else if (strcmp(value, "auto") == 0)
            opts->task = DIAL_TASK_AUTO;
        else
            return cli_error(CLI_EXIT_USAGE,
                             "--task expects classification, regression or auto, got '%s'", value);
        break;
    case CLI_OPT_SEP:
        if (strcmp(value, "\\t") == 0 || strcmp(value, "tab") == 0)
            opts->separator = '\t';
        else if (strlen(value) == 1 && value[0] != '"' && value[0] != '\n' && value[0] != '\r')
            opts->separator = value[0];
        else
            return cli_error(CLI_EXIT_USAGE, "--sep expects one character (or 'tab'), got '%s'",
                             value);
        break;
    case CLI_OPT_JSON: opts->json = true; break;
    case CLI_OPT_PROBA: opts->proba = true; break;
    case CLI_OPT_NO_HEADER: opts->no_header = true; break;
    case CLI_OPT_HELP: opts->help = true; break;
    case CLI_OPT_PLOT: opts->plot = true; break;
    case CLI_OPT_TREE:
        opts->tree = true;
        if (value && !parse_count(value, 0, INT64_MAX, &number))
            return cli_error(CLI_EXIT_USAGE,
                             "--tree expects a tree number (0 for the first), got '%s'", value);
        opts->tree_index = value ? (size_t)number : 0;
        break;
    case CLI_OPT_FOLD_SCHEME: return set_fold_option(def, value, opts);
    case CLI_OPT_SPARSE: {
        int wanted = strcmp(def->long_name, "sparse") == 0 ? 1 : -1;
        if (opts->sparse && opts->sparse != wanted)
            return cli_error(CLI_EXIT_USAGE,
                             "--sparse and --dense cannot be combined: a CSV is read one way");
        opts->sparse = wanted;
        break;
    }
    case CLI_OPT_DIRECTION:
    case CLI_OPT_COUNT:
    case CLI_OPT_FAIL:
    case CLI_OPT_PRUNED:
    case CLI_OPT_MESSAGE:
    case CLI_OPT_STEP:
    case CLI_OPT_VALUE:
    case CLI_OPT_HEARTBEAT:
    case CLI_OPT_TIMEOUT_TRIAL:
    case CLI_OPT_LOG_DIR: return set_program_option(def, value, opts);
    default: return set_tune_option(def, value, opts);
    }
    return -1;
}

static const cli_option_def *find_long(const char *name, size_t length) {
    for (size_t i = 0; i < N_OPTION_DEFS; i++)
        if (strlen(option_defs[i].long_name) == length &&
            strncmp(option_defs[i].long_name, name, length) == 0)
            return &option_defs[i];
    return NULL;
}

static const cli_option_def *find_short(char name) {
    for (size_t i = 0; i < N_OPTION_DEFS; i++)
        if (option_defs[i].short_name == name) return &option_defs[i];
    return NULL;
}

/* --help wins over every other mistake on the line, as in git. */
static bool asks_for_help(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0) return false;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) return true;
    }
    return false;
}

static int unexpected_argument(const cli_command *command, const char *arg) {
    return cli_error(CLI_EXIT_USAGE, "unexpected argument '%s' for %s; usage: %s", arg,
                     command->name, command->usage);
}

static int missing_argument(const cli_command *command, const char *what) {
    return cli_error(CLI_EXIT_USAGE, "missing %s for %s; usage: %s", what, command->name,
                     command->usage);
}

int cli_parse(const cli_command *command, int argc, char **argv, cli_options *opts) {
    memset(opts, 0, sizeof *opts);
    opts->folds = 5;
    opts->repeats = 1;
    opts->jobs = online_cpus();
    opts->task = DIAL_TASK_AUTO;
    opts->count = 1;
    opts->sampler = DIAL_SAMPLER_AUTO;
    opts->sets = cli_alloc((size_t)argc + 1, sizeof *opts->sets);
    opts->spaces = cli_alloc((size_t)argc + 1, sizeof *opts->spaces);
    opts->ignores = cli_alloc((size_t)argc + 1, sizeof *opts->ignores);
    opts->keeps = cli_alloc((size_t)argc + 1, sizeof *opts->keeps);
    opts->metrics = cli_alloc((size_t)argc + 1, sizeof *opts->metrics);
    opts->enqueues = cli_alloc((size_t)argc + 1, sizeof *opts->enqueues);

    if (asks_for_help(argc, argv)) {
        fputs(command->help, stdout);
        return CLI_EXIT_OK;
    }

    bool options_done = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!options_done && strcmp(arg, "--") == 0) {
            options_done = true;
            if (command->takes_program) {
                /* The program's own arguments are never options of dial. */
                opts->program = &argv[i + 1];
                opts->n_program = (size_t)(argc - i - 1);
                break;
            }
            continue;
        }
        /* A negative number ("dial tell s.db 3 -1.5") is a value, not an
         * option: no option of dial is a digit. */
        bool negative_number = arg[0] == '-' && (arg[1] == '.' || (arg[1] >= '0' && arg[1] <= '9'));
        if (options_done || arg[0] != '-' || arg[1] == '\0' || negative_number) {
            if (opts->n_positional >= command->n_positional + command->n_optional ||
                opts->n_positional >= CLI_MAX_POSITIONAL)
                return unexpected_argument(command, arg);
            opts->positional[opts->n_positional++] = arg;
            continue;
        }
        const cli_option_def *def;
        const char *value = NULL;
        char shown[80]; /* the option as the user should see it in a message */
        if (arg[1] == '-') {
            const char *name = arg + 2;
            size_t length = strcspn(name, "=");
            def = find_long(name, length);
            if (!def || !(command->options & def->id)) return unknown_option(command, arg);
            snprintf(shown, sizeof shown, "--%s", def->long_name);
            if (name[length] == '=') {
                if (!def->has_value && !optional_value(def))
                    return cli_error(CLI_EXIT_USAGE, "option '%s' takes no value", shown);
                value = name + length + 1;
            }
        } else {
            /* "-target species" would read as -t with the value "arget":
             * a long name with one dash is a slip, not a value. */
            const cli_option_def *spelled = find_long(arg + 1, strcspn(arg + 1, "="));
            if (arg[2] != '\0' && spelled && (command->options & spelled->id))
                return unknown_option(command, arg);
            def = find_short(arg[1]);
            if (!def || !(command->options & def->id)) return unknown_option(command, arg);
            snprintf(shown, sizeof shown, "-%c", def->short_name);
            if (arg[2] != '\0') {
                if (!def->has_value) return unknown_option(command, arg);
                value = arg + 2;
            }
        }
        if (optional_value(def) && !value && i + 1 < argc && argv[i + 1][0] >= '0' &&
            argv[i + 1][0] <= '9' && strspn(argv[i + 1], "0123456789") == strlen(argv[i + 1]))
            value = argv[++i];
        if (def->has_value && !value) {
            if (i + 1 >= argc) return cli_error(CLI_EXIT_USAGE, "option '%s' needs a value", shown);
            value = argv[++i];
        }
        /* --rename OLD NEW: the one option with two values. */
        if (def->id == CLI_OPT_RENAME) {
            if (i + 1 >= argc || !*value || !*argv[i + 1])
                return cli_error(CLI_EXIT_USAGE,
                                 "--rename needs two study names: --rename OLD NEW");
            opts->rename_to = argv[++i];
        }
        int status = set_option(def, value, opts);
        if (status >= 0) return status;
        opts->given |= def->id;
        /* --folds and tune's --cv are one option under two names. */
        if (def->id == CLI_OPT_FOLDS || def->id == CLI_OPT_CV)
            opts->given |= CLI_OPT_FOLDS | CLI_OPT_CV;
    }
    if (opts->n_positional < command->n_positional)
        return missing_argument(command, command->positional[opts->n_positional]);
    if (opts->gap_given && !opts->time_column && !opts->time_order)
        return cli_error(CLI_EXIT_USAGE,
                         "--gap applies to forward-chaining folds: add --time-column COLUMN or "
                         "--time-order");
    return -1;
}

void cli_options_free(cli_options *opts) {
    free(opts->sets);
    opts->sets = NULL;
    free(opts->spaces);
    opts->spaces = NULL;
    free(opts->ignores);
    opts->ignores = NULL;
    free(opts->keeps);
    opts->keeps = NULL;
    free(opts->metrics);
    opts->metrics = NULL;
    free(opts->enqueues);
    opts->enqueues = NULL;
}

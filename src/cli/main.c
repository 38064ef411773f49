/* dial: the command line. Dispatches git-style subcommands; each lives in
 * its own cmd_*.c and is a thin client of the library. */
#include <string.h>

#include "cli/cli.h"

typedef struct subcommand {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} subcommand;

static const subcommand subcommands[] = {
    {"models", cli_cmd_models, "list the models, their tasks and what they are"},
    {"knobs", cli_cmd_knobs, "show a model's hyperparameters and the parameters it learns"},
    {"fit", cli_cmd_fit, "fit a model on a CSV file and save it to a .dial file"},
    {"retrain", cli_cmd_retrain,
     "refit a saved model's knobs on new data (its record says from what)"},
    {"predict", cli_cmd_predict, "predict new data with a saved model (no refit)"},
    {"inspect", cli_cmd_inspect, "show what a saved model learned and the knobs that produced it"},
    {"score", cli_cmd_score, "score a saved model on labelled data: metrics and confusion matrix"},
    {"cv", cli_cmd_cv, "estimate a model's score by repeated k-fold cross-validation"},
    {"tune", cli_cmd_tune, "search a model's knobs for the best cross-validated score"},
    {"trials", cli_cmd_trials, "list the trials of a tuning study"},
    {"best", cli_cmd_best, "show the best trial of a tuning study and its knobs"},
    {"studies", cli_cmd_studies,
     "list, delete, rename or copy the studies of a study file or database"},
    {"ask", cli_cmd_ask, "reserve a trial of a study of any program and print its knobs"},
    {"tell", cli_cmd_tell, "report the value of a trial that dial ask gave out"},
    {"run", cli_cmd_run, "tune any program: run it once per trial with its knobs filled in"},
    {"importance", cli_cmd_importance, "rank a saved model's features by permutation importance"},
    {"knob-importance", cli_cmd_knob_importance,
     "rank a tuning study's knobs by fANOVA or PED-ANOVA importance"},
    {"report", cli_cmd_report, "write one HTML page of plots of a study or a model file"},
    {"drift", cli_cmd_drift,
     "compare new data with a saved model's training rows: keep, retrain or re-tune"},
};

#define N_SUBCOMMANDS (sizeof subcommands / sizeof subcommands[0])

static void print_help(FILE *out) {
    fputs("dial: train machine-learning models and tune their hyperparameters\n"
          "\n"
          "Usage: dial COMMAND [arguments] [options]\n"
          "\n"
          "Commands:\n",
          out);
    int width = 0;
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        if ((int)strlen(subcommands[i].name) > width) width = (int)strlen(subcommands[i].name);
    for (size_t i = 0; i < N_SUBCOMMANDS; i++)
        fprintf(out, "  %-*s %s\n", width, subcommands[i].name, subcommands[i].summary);
    fputs("\n"
          "Run 'dial COMMAND --help' for the options and an example of each command.\n"
          "\n"
          "Example:\n"
          "  dial knobs logistic\n"
          "  dial cv logistic data/breast_cancer.csv --target diagnosis -s C=0.5\n"
          "  dial fit logistic data/breast_cancer.csv --target diagnosis -s C=0.5 -o bc.dial\n"
          "  dial predict bc.dial data/breast_cancer.csv -o predictions.csv\n"
          "  dial score bc.dial data/breast_cancer.csv\n"
          "  dial tune knn data/iris.csv --target species --trials 40 -o iris.dial\n"
          "\n"
          "Exit status: 0 on success, 2 on a usage error (bad option, unknown model, knob or\n"
          "metric, missing argument), 1 on any other error; errors are one line on stderr.\n",
          out);
}

int main(int argc, char **argv) {
    if (argc < 2) return cli_error(CLI_EXIT_USAGE, "missing command; see 'dial --help'");
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        print_help(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("dial %s\n", dial_version());
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3) {
            print_help(stdout);
            return CLI_EXIT_OK;
        }
        for (size_t i = 0; i < N_SUBCOMMANDS; i++) {
            if (strcmp(argv[2], subcommands[i].name) == 0) {
                char *help_argv[] = {argv[2], "--help", NULL};
                return subcommands[i].run(2, help_argv);
            }
        }
        name = argv[2];
    } else {
        for (size_t i = 0; i < N_SUBCOMMANDS; i++)
            if (strcmp(name, subcommands[i].name) == 0)
                return subcommands[i].run(argc - 1, argv + 1);
    }

    if (name[0] == '-')
        return cli_error(CLI_EXIT_USAGE, "unknown option '%s'; see 'dial --help'", name);
    const char *names[N_SUBCOMMANDS];
    for (size_t i = 0; i < N_SUBCOMMANDS; i++) names[i] = subcommands[i].name;
    const char *closest = dial_closest_name(name, names, N_SUBCOMMANDS);
    if (closest)
        return cli_error(CLI_EXIT_USAGE, "unknown command '%s'; did you mean '%s'?", name, closest);
    /* The list comes from the command table, so a new command joins it. */
    char list[256] = "";
    for (size_t i = 0; i < N_SUBCOMMANDS; i++) {
        size_t used = strlen(list);
        snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
    }
    return cli_error(CLI_EXIT_USAGE, "unknown command '%s'; commands: %s", name, list);
}

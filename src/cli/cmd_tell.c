/* dial tell STUDY.db NUMBER VALUE: finishes a trial that `dial ask`
 * reserved, from any process: with its value, as failed (--fail), as
 * pruned (--pruned, after the pruner said so), or
 * reports an intermediate value (--step S --value V) and says whether to
 * go on. A mistake changes nothing in the file. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define TELL_USAGE                                                                          \
    "dial tell STUDY.db NUMBER VALUE | NUMBER --fail [--message TEXT] | NUMBER --pruned | " \
    "NUMBER --step S --value V [--study-name N]"

static const cli_command tell_command = {
    .name = "tell",
    .usage = TELL_USAGE,
    .positional = (const char *const[]){"STUDY.db", "NUMBER", "VALUE"},
    .n_positional = 2,
    .n_optional = 1,
    .options = CLI_OPT_STUDY_NAME | CLI_OPT_FAIL | CLI_OPT_PRUNED | CLI_OPT_MESSAGE | CLI_OPT_STEP |
               CLI_OPT_VALUE | CLI_OPT_HELP,
    .help = "Usage: dial tell STUDY.db NUMBER VALUE [--study-name N]\n"
            "       dial tell STUDY.db NUMBER --fail [--message TEXT] [--study-name N]\n"
            "       dial tell STUDY.db NUMBER --pruned [--study-name N]\n"
            "       dial tell STUDY.db NUMBER --step S --value V [--study-name N]\n"
            "\n"
            "Finishes trial NUMBER of a study that 'dial ask' reserved in STUDY.db: with\n"
            "its VALUE (any number: 0.913, -1e-3; kept to full double precision), or as\n"
            "failed with --fail and an optional --message saying why ('dial trials' shows\n"
            "it). With --step S --value V it records an intermediate value instead (an\n"
            "epoch's loss) and prints 'continue', or 'prune' when the study's pruner would\n"
            "stop the trial; the trial keeps running, and its heartbeat is refreshed. A\n"
            "worker told 'prune' stops the trial and tells it --pruned: it is stored as\n"
            "pruned at the last step it reported, and the samplers count it as bad there.\n"
            "\n"
            "A trial that does not exist, was told before, or expired (no tell within its\n"
            "heartbeat period: its knobs were asked again) is refused with one line and\n"
            "exit status 1; nothing changes.\n"
            "\n"
            "Options:\n"
            "  --study-name NAME   the study in the file (default: default)\n"
            "  --fail              the trial failed: it has no value\n"
            "  --message TEXT      why it failed (with --fail)\n"
            "  --pruned            the trial was pruned where its last --step left it\n"
            "  --step S            an intermediate value's step (an integer >= 0)\n"
            "  --value V           the intermediate value at step S\n"
            "  -h, --help          this help\n"
            "\n"
            "Example:\n"
            "  dial ask t.db --space x=float:-5..10 --count 4\n"
            "  dial tell t.db 0 0.913\n"
            "  dial tell t.db 1 --step 1 --value 0.5\n"
            "  dial tell t.db 1 --pruned\n"
            "  dial tell t.db 2 --fail --message 'out of memory'\n"
            "  dial tell t.db 3 -1.5\n",
};

/* The usage mistakes of the positional VALUE, --fail, --message, --step
 * and --value: returns -1 when there is none, else 2 after one line. */
static int check_usage(const cli_options *opts, int64_t *number, double *value) {
    const char *number_text = opts->positional[1];
    char *end;
    errno = 0;
    long long parsed = strtoll(number_text, &end, 10);
    if (!*number_text || *end || errno || parsed < 0)
        return cli_error(CLI_EXIT_USAGE,
                         "NUMBER expects a trial number (an integer >= 0, as dial ask printed "
                         "it), got '%s'",
                         number_text);
    *number = (int64_t)parsed;
    const char *value_text = opts->n_positional > 2 ? opts->positional[2] : NULL;
    bool step = opts->given & CLI_OPT_STEP, step_value = opts->given & CLI_OPT_VALUE;
    if (opts->pruned && (opts->fail || value_text || step || step_value))
        return cli_error(
            CLI_EXIT_USAGE,
            "a trial told --pruned has no VALUE, --fail or --step: it stopped where its "
            "last --step left it");
    if ((opts->given & CLI_OPT_MESSAGE) && opts->pruned)
        return cli_error(CLI_EXIT_USAGE, "--message says why a trial failed: it goes with --fail, "
                                         "not --pruned");
    if (opts->fail && value_text)
        return cli_error(CLI_EXIT_USAGE,
                         "a trial told with --fail has no VALUE (got '%s'); give one or the other",
                         value_text);
    if (opts->fail && (step || step_value))
        return cli_error(CLI_EXIT_USAGE,
                         "--fail cannot be combined with --step and --value: a failed trial "
                         "is finished");
    if ((opts->given & CLI_OPT_MESSAGE) && !opts->fail)
        return cli_error(CLI_EXIT_USAGE, "--message says why a trial failed: add --fail");
    if (step != step_value)
        return cli_error(CLI_EXIT_USAGE, "%s needs %s: an intermediate value is --step S --value V",
                         step ? "--step" : "--value", step ? "--value" : "--step");
    if (step && value_text)
        return cli_error(CLI_EXIT_USAGE,
                         "--step and --value report an intermediate value; the final VALUE "
                         "('%s') is told without them",
                         value_text);
    if (!opts->fail && !opts->pruned && !step && !value_text)
        return cli_error(CLI_EXIT_USAGE,
                         "missing VALUE for tell (or --fail, --pruned, or --step S --value V); "
                         "usage: %s",
                         TELL_USAGE);
    if (value_text && !cli_told_value_parse(value_text, value))
        return cli_error(CLI_EXIT_USAGE,
                         "VALUE expects a number such as 0.913 (a trial without one is told "
                         "with --fail), got '%s'",
                         value_text);
    return -1;
}

int cli_cmd_tell(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&tell_command, argc, argv, &opts);
    int64_t number = 0;
    double value = NAN;
    if (status < 0) status = check_usage(&opts, &number, &value);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    const char *path = opts.positional[0];
    dial_ctx *ctx = cli_context(&opts);
    dial_study *study = NULL;
    bool prune = false;
    bool intermediate = opts.given & CLI_OPT_STEP;
    dial_status result = cli_program_study_open_existing(ctx, &opts, path, &study);
    if (result == DIAL_OK && intermediate)
        result = dial_study_report_number(ctx, study, number, opts.step, opts.value, &prune);
    else if (result == DIAL_OK && opts.pruned)
        result = dial_study_tell_number(ctx, study, number, DIAL_TRIAL_PRUNED, NAN, NULL);
    else if (result == DIAL_OK && opts.fail)
        result = dial_study_tell_number(ctx, study, number, DIAL_TRIAL_FAILED, NAN, opts.message);
    else if (result == DIAL_OK)
        result = dial_study_tell_number(ctx, study, number, DIAL_TRIAL_COMPLETE, value, NULL);
    /* Past the command line, every refusal is about the study's state (a
     * trial unknown, told or expired; a study missing): status 1. */
    if (result != DIAL_OK) {
        const char *message = dial_ctx_error(ctx);
        status = cli_error(CLI_EXIT_FAILURE, "%s", message[0] ? message : dial_status_name(result));
    } else {
        if (intermediate) puts(prune ? "prune" : "continue");
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    dial_study_free(study);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}

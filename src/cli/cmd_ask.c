/* dial ask STUDY.db: reserves trials of a program's study and prints their
 * knobs, for a worker in any language to evaluate and `dial tell`. The
 * trial stays running in the file after dial exits; one never told goes
 * stale after the heartbeat period and its knobs are asked again. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static const cli_command ask_command = {
    .name = "ask",
    .usage = "dial ask STUDY.db [--study-name N] [--space ... | --space-file F] [--direction D] "
             "[--sampler S] [--startup-trials N] [--enqueue K=V,...] [--seed N] [--pruner P] "
             "[--count K] [--heartbeat T] [--json]",
    .positional = (const char *const[]){"STUDY.db"},
    .n_positional = 1,
    .options = CLI_OPT_STUDY_NAME | CLI_OPT_SPACE | CLI_OPT_SPACE_FILE | CLI_OPT_DIRECTION |
               CLI_OPT_SAMPLER | CLI_OPT_SEED | CLI_OPT_GRID_POINTS | CLI_OPT_COUNT |
               CLI_OPT_HEARTBEAT | CLI_OPT_JSON | CLI_OPT_HELP | CLI_OPT_STARTUP_TRIALS |
               CLI_OPT_ENQUEUE | CLI_OPT_COST_AWARE | CLI_OPT_PRUNER,
    .help = "Usage: dial ask STUDY.db [--study-name N] [--space ... | --space-file F]\n"
            "                [--direction D] [--sampler S] [--startup-trials N]\n"
            "                [--enqueue K=V,...] [--seed N] [--pruner P] [--count K]\n"
            "                [--heartbeat T] [--json]\n"
            "\n"
            "Reserves a trial of a study of any program kept in STUDY.db (a SQLite file,\n"
            "created on first use, or a PostgreSQL database: postgresql://user@host/db)\n"
            "and prints its number and knobs as sh assignments, ready for eval:\n"
            "  trial=0 x=3.0517578125 n=5 opt='sgd'\n"
            "Evaluate them, then report the value with 'dial tell STUDY.db NUMBER VALUE'.\n"
            "The first ask creates the study with its space; later asks give the same\n"
            "space or none (another is refused: give it its own --study-name). A trial\n"
            "asked and never told is asked again after its heartbeat period.\n"
            "\n"
            "Options:\n"
            "  --study-name NAME   the study in the file (default: default)\n"
            "  --space NAME=TYPE   one parameter (repeatable): x=float:-5..10,\n"
            "                      lr=float:1e-5..1e-1:log, n=int:1..8, n=int:8..512:log,\n"
            "                      batch=int:16..256:step=16, opt=adam,sgd,rmsprop\n"
            "  --space-file FILE   the parameters as JSON: {\"x\": \"float:-5..10\",\n"
            "                      \"opt\": [\"adam\", \"sgd\"], \"momentum\": {\"range\":\n"
            "                      \"float:0..0.99\", \"when\": \"opt=sgd\"}}\n"
            "  --direction D       minimize (default) or maximize the told values\n"
            "  --sampler S         auto (default: qmc, then gp while the study is small and\n"
            "                      its space continuous, taking turns with tpe in up to 3\n"
            "                      knobs, then tpe), tpe, gp, cmaes, qmc, random or grid;\n"
            "                      the first ask says which on stderr\n"
            "  --startup-trials N  trials drawn by qmc before tpe, gp, cmaes or auto learn\n"
            "                      from the told ones (default 10, at least 1)\n"
            "  --cost-aware        gp (and auto's gp) prefers the cheaper of near ties,\n"
            "                      from the time between ask and tell (not kept: give\n"
            "                      it to every ask); the same seed no longer gives the\n"
            "                      same trials\n"
            "  --enqueue K=V,...   ask these values first (repeatable), as 'x=1.5,opt=sgd';\n"
            "                      parameters left out are drawn; values the study holds\n"
            "                      already are not queued again\n"
            "  --grid-points N     grid points per float parameter (default 10)\n"
            "  --seed N            the sampler's seed (default 0)\n"
            "  --pruner P          what 'dial tell NUMBER --step S --value V' consults: none\n"
            "                      (default), median, asha, hyperband:max_resource=N, with\n"
            "                      settings as 'median:warmup_trials=5'; kept by the study\n"
            "                      when the first ask creates it (docs/pruners.md)\n"
            "  --count K           reserve K trials at once, one line each (default 1)\n"
            "  --heartbeat T       a trial not told within T (90, 90s, 10m, 1h; default\n"
            "                      60 s) is failed and its knobs asked again\n"
            "  --json              {\"number\": 0, \"knobs\": {\"x\": 3.0517578125, ...}}, an\n"
            "                      array of them with --count K > 1; ints are integers,\n"
            "                      categorical values strings\n"
            "  -h, --help          this help\n"
            "\n"
            "Exit status: 1 when a grid has no point left to ask.\n"
            "\n"
            "Example:\n"
            "  dial ask s.db --space x=float:-5..10 --space opt=adam,sgd\n"
            "  dial ask s.db --json\n"
            "  dial ask s.db --count 2\n"
            "  dial tell s.db 0 0.913\n"
            "  dial ask p.db --space x=float:0..1 --pruner asha\n"
            "  dial tell p.db 0 --step 1 --value 0.5\n",
};

/* The trials of the study that hold a place in a grid: running or finished,
 * not stale (their knobs were asked again). */
static dial_status grid_points_asked(dial_ctx *ctx, dial_study *study, size_t *n) {
    dial_trial_list list = {0, NULL};
    dial_status status = dial_study_trials(ctx, study, &list);
    *n = 0;
    for (size_t i = 0; i < list.count; i++) *n += !list.items[i].stale;
    dial_trial_list_free(&list);
    return status;
}

/* One trial as a line for eval or a JSON object. */
static void add_trial(const dial_trial_record *record, bool json, json_t *items, char **lines) {
    if (json) {
        json_array_append_new(items, json_pack("{s:I, s:o}", "number", (json_int_t)record->number,
                                               "knobs", cli_program_knobs_json(record)));
        return;
    }
    char *knobs = cli_program_knobs_text(record);
    char *longer = cli_format("%strial=%lld%s%s\n", *lines, (long long)record->number,
                              record->n_params ? " " : "", knobs);
    free(knobs);
    free(*lines);
    *lines = longer;
}

/* Reserves one trial, suggests the space and adds it to the output; *done
 * when a grid has no point left. */
static dial_status ask_one(dial_ctx *ctx, dial_study *study, const dial_space *space, bool json,
                           json_t *items, char **lines, bool *done) {
    dial_trial *trial = NULL;
    dial_status status = dial_study_ask(ctx, study, 0, &trial);
    if (status != DIAL_OK) return status;
    if (!trial) {
        *done = true;
        return DIAL_OK;
    }
    status = dial_trial_suggest_space(trial, space);
    if (status != DIAL_OK) {
        /* Leave no trial running without knobs: fail it now. */
        char *message = cli_strdup(dial_ctx_error(dial_trial_ctx(trial)));
        dial_study_tell(ctx, study, trial, DIAL_TRIAL_FAILED, NAN);
        dial_fail(ctx, status, "%s", message);
        free(message);
        return status;
    }
    add_trial(dial_trial_get_record(trial), json, items, lines);
    dial_trial_release(trial);
    return DIAL_OK;
}

int cli_cmd_ask(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&ask_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    const char *path = opts.positional[0];
    dial_ctx *ctx = cli_context(&opts);
    dial_study *study = NULL;
    dial_space space = {0, NULL};
    json_t *items = json_array();
    char *lines = cli_strdup("");
    bool exhausted = false, created = false;
    size_t asked = 0;
    dial_status result = cli_program_study_open(ctx, &opts, path, NULL, &study, &space, &created);
    /* Said once, when the study is made: a loop of asks stays quiet, and
     * standard output keeps only the knobs. */
    if (result == DIAL_OK && created) {
        cli_print_sampler_plan(study);
        cli_print_pruner_plan(study);
    }
    /* A loop that repeats the same --enqueue asks it once, silently. */
    if (result == DIAL_OK) result = cli_enqueue_items(ctx, &opts, study, false);
    while (result == DIAL_OK && !exhausted && asked < opts.count) {
        result = ask_one(ctx, study, &space, opts.json, items, &lines, &exhausted);
        asked += result == DIAL_OK && !exhausted;
    }
    size_t grid_asked = 0;
    if (result == DIAL_OK && exhausted) result = grid_points_asked(ctx, study, &grid_asked);

    /* What was reserved is printed, even when a later ask failed: those
     * trials run in the file and wait for their tell. */
    if (asked > 0 && opts.json)
        cli_json_print_shortest(opts.count > 1 ? json_incref(items)
                                               : json_incref(json_array_get(items, 0)),
                                stdout, true);
    else if (asked > 0)
        fputs(lines, stdout);
    bool written = asked == 0 || cli_close_output(stdout, "-");
    if (result != DIAL_OK)
        status = cli_fail(ctx, result);
    else if (exhausted) {
        char *shown = dial_study_storage_shown(ctx, path); /* no PostgreSQL password */
        status =
            cli_error(CLI_EXIT_FAILURE, "study '%s' in %s: the grid's %zu points are all asked",
                      dial_study_name(study), shown ? shown : path, grid_asked);
        free(shown);
    } else
        status = written ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    json_decref(items);
    free(lines);
    dial_space_free(&space);
    dial_study_free(study);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}

/* dial knob-importance FILE: which searched knobs explain the variation of
 * the objective across a study's complete trials (fANOVA or PED-ANOVA). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

#define BAR_WIDTH 40

static const cli_command knob_importance_command = {
    .name = "knob-importance",
    .usage = "dial knob-importance FILE [--study-name NAME] [--method fanova|ped-anova] "
             "[--pairs] [--json] [--seed N]",
    .positional = (const char *const[]){"FILE"},
    .n_positional = 1,
    .options = CLI_OPT_JSON | CLI_OPT_STUDY_NAME | CLI_OPT_SEED | CLI_OPT_JOBS | CLI_OPT_HELP,
    .help =
        "Usage: dial knob-importance FILE [--study-name NAME] [--method fanova|ped-anova]\n"
        "                            [--pairs] [--json] [--seed N]\n"
        "\n"
        "Says which searched knobs explain the variation of the objective across the\n"
        "complete trials of a study kept in FILE (the SQLite file or the PostgreSQL\n"
        "database, postgresql://user@host/db, of 'dial tune --study FILE' or 'dial run\n"
        "--study FILE'): a ranked table of each knob's share, the\n"
        "shares summing to 1. Knobs are judged on their searched range (a log knob on\n"
        "its log axis); a conditional knob over the trials where it was active, its\n"
        "term weighed by those trials' share of the objective's variation; a knob that\n"
        "never varied is listed with share 0. See docs/knob-importance.md.\n"
        "\n"
        "Options:\n"
        "  --study-name NAME   the study to read (default: the file's only study)\n"
        "  --method M          fanova (default): the functional ANOVA of a random forest\n"
        "                      of 64 trees fitted to the trials (Hutter et al. 2014);\n"
        "                      ped-anova: the Pearson divergence between the top 10% of\n"
        "                      the trials and all of them, per knob (Watanabe et al.\n"
        "                      2023), with no model: for studies of thousands of trials\n"
        "  --pairs             also the pairs' interaction terms (fanova only); the\n"
        "                      knobs' and pairs' shares then sum to 1 together\n"
        "  --seed N            the forest's seed (default 0): the same seed, the same\n"
        "                      shares\n"
        "  --json              {\"method\", \"importances\": [{\"knob\", \"importance\"}],\n"
        "                      \"pairs\": [{\"knobs\", \"importance\"}]}, most important first\n"
        "\n"
        "Example:\n"
        "  dial tune svm data/iris.csv --target species --trials 60 --study s.db --quiet\n"
        "  dial knob-importance s.db --pairs\n",
};

/* Takes --method M (or --method=M) and --pairs out of argv, which the
 * shared parser does not know; the rest is left for it. Returns -1 to go
 * on, or an exit status after a usage error. */
static int take_own_options(int *argc, char **argv, dial_knob_importance_method *method,
                            bool *pairs) {
    int kept = 1;
    for (int i = 1; i < *argc; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        if (strcmp(arg, "--pairs") == 0) {
            *pairs = true;
            continue;
        }
        if (strcmp(arg, "--method") == 0) {
            if (i + 1 >= *argc)
                return cli_error(CLI_EXIT_USAGE,
                                 "--method needs a value: fanova or ped-anova; see 'dial "
                                 "knob-importance --help'");
            value = argv[++i];
        } else if (strncmp(arg, "--method=", 9) == 0) {
            value = arg + 9;
        } else {
            argv[kept++] = argv[i];
            continue;
        }
        if (!dial_knob_importance_method_parse(value, method))
            return cli_error(CLI_EXIT_USAGE,
                             "--method '%s' is not a method: choose fanova or ped-anova", value);
    }
    *argc = kept;
    argv[kept] = NULL;
    return -1;
}

static const char *method_title(dial_knob_importance_method method) {
    return method == DIAL_KNOB_IMPORTANCE_FANOVA ? "fANOVA" : "PED-ANOVA";
}

static void print_bar(double share, double largest) {
    char bar[BAR_WIDTH + 1] = "";
    size_t length = largest > 0 && share > 0 ? (size_t)lround(BAR_WIDTH * share / largest) : 0;
    memset(bar, '#', length);
    bar[length] = '\0';
    printf("%s%s", length ? "  " : "", bar);
}

static void print_text(const char *path, const dial_study *study, const cli_options *opts,
                       const dial_knob_importance_result *result) {
    char *shown = dial_study_storage_shown(NULL, path); /* no PostgreSQL password */
    printf("knob importance of study '%s' in %s by %s: %zu complete trials", dial_study_name(study),
           shown ? shown : path, method_title(result->method), result->n_trials);
    free(shown);
    if (result->method == DIAL_KNOB_IMPORTANCE_FANOVA)
        printf(", forest of %zu trees, seed %" PRIu64 "\n\n", result->n_trees, opts->seed);
    else
        printf(", top 10%% against all\n\n");
    size_t width = strlen("knob");
    double largest = 0;
    for (size_t i = 0; i < result->n_knobs; i++) {
        size_t length = strlen(result->knobs[i].knob);
        if (length > width) width = length;
        largest = fmax(largest, result->knobs[i].importance);
    }
    for (size_t i = 0; i < result->n_pairs; i++) {
        size_t length = strlen(result->pairs[i].knobs[0]) + strlen(result->pairs[i].knobs[1]) + 3;
        if (length > width) width = length;
        largest = fmax(largest, result->pairs[i].importance);
    }
    printf("  %-*s  %6s\n", (int)width, "knob", "share");
    for (size_t i = 0; i < result->n_knobs; i++) {
        const dial_knob_share *share = &result->knobs[i];
        printf("  %-*s  %6.4f", (int)width, share->knob, share->importance);
        print_bar(share->importance, largest);
        if (!share->varied)
            printf("  (never varied: %s in all %zu trials)", share->value_text, share->n_trials);
        else if (share->n_trials < result->n_trials)
            printf("  (active in %zu of %zu trials)", share->n_trials, result->n_trials);
        printf("\n");
    }
    for (size_t i = 0; i < result->n_pairs; i++) {
        const dial_knob_pair_share *pair = &result->pairs[i];
        /* The sign is two bytes and one column wide: pad by columns. */
        char *name = cli_format("%s \u00d7 %s", pair->knobs[0], pair->knobs[1]);
        printf("  %s%*s  %6.4f", name, (int)(width - (strlen(name) - 1)), "", pair->importance);
        print_bar(pair->importance, largest);
        printf("\n");
        free(name);
    }
}

static json_t *result_json(const dial_knob_importance_result *result, bool pairs) {
    json_t *knobs = json_array();
    for (size_t i = 0; i < result->n_knobs; i++)
        json_array_append_new(knobs,
                              json_pack("{s:s, s:o}", "knob", result->knobs[i].knob, "importance",
                                        cli_json_number(result->knobs[i].importance)));
    json_t *root =
        json_pack("{s:s, s:o}", "method", dial_knob_importance_method_name(result->method),
                  "importances", knobs);
    if (pairs) {
        json_t *list = json_array();
        for (size_t i = 0; i < result->n_pairs; i++)
            json_array_append_new(list,
                                  json_pack("{s:[s, s], s:o}", "knobs", result->pairs[i].knobs[0],
                                            result->pairs[i].knobs[1], "importance",
                                            cli_json_number(result->pairs[i].importance)));
        json_object_set_new(root, "pairs", list);
    }
    return root;
}

int cli_cmd_knob_importance(int argc, char **argv) {
    dial_knob_importance_options options = {.method = DIAL_KNOB_IMPORTANCE_FANOVA};
    int status = take_own_options(&argc, argv, &options.method, &options.pairs);
    if (status >= 0) return status;
    cli_options opts;
    status = cli_parse(&knob_importance_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    if (options.pairs && options.method != DIAL_KNOB_IMPORTANCE_FANOVA) {
        cli_options_free(&opts);
        return cli_error(CLI_EXIT_USAGE,
                         "--pairs needs --method fanova: PED-ANOVA judges the knobs one at a time");
    }
    options.seed = opts.seed;
    const char *path = opts.positional[0];
    dial_ctx *ctx = cli_context(&opts);
    dial_study *study = NULL;
    dial_study_identity identity = {0};
    dial_space space = {0};
    bool found = false, has_space = false;
    dial_knob_importance_result result = {0};
    dial_status outcome = cli_open_study(ctx, path, opts.study_name, &study);
    if (outcome == DIAL_OK)
        outcome = dial_study_identity_read(ctx, path, dial_study_name(study), &identity, &found);
    if (outcome == DIAL_OK && found)
        outcome = dial_knob_importance_space(ctx, &identity, &space, &has_space);
    if (outcome == DIAL_OK)
        outcome = dial_knob_importance(ctx, study, has_space ? &space : NULL, &options, &result);
    if (outcome != DIAL_OK) {
        status = cli_fail(ctx, outcome);
    } else {
        if (opts.json)
            cli_json_print(result_json(&result, options.pairs), stdout, 4);
        else
            print_text(path, study, &opts, &result);
        status = cli_close_output(stdout, "-") ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
    }
    dial_knob_importance_result_free(&result);
    dial_space_free(&space);
    dial_study_identity_free(&identity);
    dial_study_free(study);
    dial_ctx_free(ctx);
    cli_options_free(&opts);
    return status;
}

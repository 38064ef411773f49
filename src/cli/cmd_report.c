/* dial report FILE -o report.html: one self-contained HTML page of a study
 * (its settings, the plots people look at, the best trial and how to refit
 * it, the sortable trial table) or of a model file (report_model.c). The
 * file's kind is told by its first bytes: SQLite's header is a study file,
 * dial's magic a model. The page is built in memory and written in one go
 * beside the target, then renamed over it (report_write). */
#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report_study.h"

static const cli_command report_command = {
    .name = "report",
    .usage = "dial report FILE -o REPORT.html [--study-name NAME]",
    .positional = (const char *const[]){"FILE"},
    .n_positional = 1,
    .options = CLI_OPT_OUTPUT | CLI_OPT_STUDY_NAME | CLI_OPT_HELP,
    .help = "Usage: dial report FILE -o REPORT.html [--study-name NAME]\n"
            "\n"
            "Writes one self-contained HTML page (inline SVG and CSS, nothing fetched from\n"
            "anywhere: it opens from a file on a machine with no network) about FILE:\n"
            "  - a study file or a PostgreSQL database (postgresql://user@host/db) of\n"
            "    'dial tune --study', 'dial run', 'dial ask': its settings;\n"
            "    the optimisation history; intermediate values per trial; parallel\n"
            "    coordinates; a slice per knob; a contour of the two most important\n"
            "    numeric knobs; knob importance; the best trial with the command that\n"
            "    refits it; the trial table, sortable. A running study is shown as it\n"
            "    stands (a snapshot).\n"
            "  - a model file ('dial fit', 'dial tune -o'): its knobs beside their\n"
            "    defaults, the feature importance it learned, its tree (tree models,\n"
            "    depth-limited) or coefficients (linear and logistic models), and the\n"
            "    tuning record that chose its knobs.\n"
            "The file's kind is told by its content. The page is written beside REPORT.html\n"
            "and renamed when whole. See docs/report.md.\n"
            "\n"
            "Options:\n"
            "  -o, --output FILE   where to write the page (required)\n"
            "  --study-name NAME   the study to show (default: the file's only study)\n"
            "  -h, --help          this help\n"
            "\n"
            "Example:\n"
            "  dial tune svm data/iris.csv --target species --trials 40 --study s.db --quiet\n"
            "  dial report s.db -o report.html\n",
};

typedef enum file_kind { KIND_OTHER, KIND_STUDY, KIND_MODEL } file_kind;

/* Reads the first bytes of path: an SQLite database or a dial model file.
 * Returns an exit status after one error line when it cannot be read, else
 * -1. */
static int read_kind(const char *path, file_kind *kind) {
    static const char sqlite[16] = "SQLite format 3";
    static const char model[9] = "\x89"
                                 "DIAL\r\n\x1a\n";
    FILE *in = fopen(path, "rb");
    if (!in) return cli_error(CLI_EXIT_FAILURE, "cannot read %s: %s", path, strerror(errno));
    char head[16] = {0};
    size_t got = fread(head, 1, sizeof head, in);
    fclose(in);
    *kind = KIND_OTHER;
    if (got == sizeof head && memcmp(head, sqlite, sizeof sqlite) == 0)
        *kind = KIND_STUDY;
    else if (got >= sizeof model && memcmp(head, model, sizeof model) == 0)
        *kind = KIND_MODEL;
    return -1;
}

/* Refuses an output that cannot be written before any work, in words
 * that do not depend on the temporary file's name: a folder, or a file in
 * a folder that does not exist or cannot be written. Returns an exit
 * status after one error line, else -1. */
static int check_output(const char *output) {
    struct stat info;
    if (stat(output, &info) == 0 && S_ISDIR(info.st_mode))
        return cli_error(CLI_EXIT_USAGE,
                         "-o %s is a folder; give the page's file name, such as "
                         "%s/report.html",
                         output, output);
    const char *slash = strrchr(output, '/');
    char *folder = slash ? cli_format("%.*s", (int)(slash - output) + (slash == output), output)
                         : cli_strdup(".");
    int status = -1;
    if (stat(folder, &info) != 0 || !S_ISDIR(info.st_mode))
        status =
            cli_error(CLI_EXIT_FAILURE, "cannot write %s: there is no folder %s", output, folder);
    else if (access(folder, W_OK) != 0)
        status = cli_error(CLI_EXIT_FAILURE, "cannot write %s: the folder %s is not writable (%s)",
                           output, folder, strerror(errno));
    free(folder);
    return status;
}

/* ---- settings ------------------------------------------------------------------ */

static const char *identity_or(const report_study *rs, const char *key, const char *otherwise) {
    const char *value = dial_study_identity_get(&rs->identity, key);
    return value && value[0] ? value : otherwise;
}

static void settings_section(report_buf *buf, const report_study *rs) {
    report_puts(buf,
                "<section id=\"settings\">\n<h2>Settings</h2>\n<div class=\"scroll\"><table>\n");
    char *study = cli_format("%s in %s", dial_study_name(rs->study), rs->path);
    report_setting(buf, "study", study);
    free(study);
    const char *unknown = "(not recorded)";
    if (rs->program) {
        report_setting(buf, "program",
                       identity_or(rs, "note.command", "(told by dial ask and dial tell)"));
    } else {
        report_setting(buf, "model", identity_or(rs, "model", unknown));
        const char *data = identity_or(rs, "data", NULL);
        char fingerprint[17] = "";
        if (data) snprintf(fingerprint, sizeof fingerprint, "%.16s", data);
        char *data_text = cli_format("%s (fingerprint %s)", identity_or(rs, "note.data_file", "?"),
                                     data ? fingerprint : unknown);
        report_setting(buf, "data", data_text);
        free(data_text);
        report_setting(buf, "target", identity_or(rs, "target", unknown));
        report_setting(buf, "task", identity_or(rs, "task", unknown));
    }
    char *metric = cli_format("%s (%s: %s is better)", rs->metric,
                              rs->direction == DIAL_MAXIMIZE ? "maximize" : "minimize",
                              rs->direction == DIAL_MAXIMIZE ? "higher" : "lower");
    report_setting(buf, rs->program ? "value" : "metric", metric);
    free(metric);
    if (!rs->program) {
        const char *folds = identity_or(rs, "folds", "?"),
                   *repeats = identity_or(rs, "repeats", "1");
        const char *holdout = identity_or(rs, "holdout", "0");
        char *text = cli_format(
            "%s-fold cross-validation%s%s%s%s", folds, strcmp(repeats, "1") ? ", repeated " : "",
            strcmp(repeats, "1") ? repeats : "", strcmp(holdout, "0") ? ", holdout " : "",
            strcmp(holdout, "0") ? holdout : "");
        report_setting(buf, "folds", text);
        free(text);
    }
    const char *sampler = identity_or(rs, "sampler", unknown);
    const char *startup = dial_study_identity_get(&rs->identity, "startup_trials");
    const char *grid = dial_study_identity_get(&rs->identity, "grid_points");
    char *sampler_text = rs->sampler_plan ? cli_strdup(rs->sampler_plan)
                         : startup
                             ? cli_format("%s (qmc for the first %s trials)", sampler, startup)
                         : grid ? cli_format("%s (%s points per continuous knob)", sampler, grid)
                                : cli_strdup(sampler);
    report_setting(buf, "sampler", sampler_text);
    free(sampler_text);
    report_setting(buf, "pruner",
                   rs->pruner_plan ? rs->pruner_plan : identity_or(rs, "pruner", "none"));
    report_setting(buf, "seed", identity_or(rs, "seed", unknown));
    report_setting(buf, "space", identity_or(rs, "space", unknown));
    if (!rs->program) report_setting(buf, "fixed knobs", identity_or(rs, "knobs", "none"));
    char *trials =
        cli_format("%zu (%zu complete, %zu pruned, %zu failed, %zu running)", rs->trials.count,
                   rs->counts[DIAL_TRIAL_COMPLETE], rs->counts[DIAL_TRIAL_PRUNED],
                   rs->counts[DIAL_TRIAL_FAILED], rs->counts[DIAL_TRIAL_RUNNING]);
    report_setting(buf, "trials", trials);
    free(trials);
    report_puts(buf, "</table></div>\n");
    if (rs->counts[DIAL_TRIAL_RUNNING])
        report_printf(buf,
                      "<p class=\"note\" id=\"running\">The study is still running: this page is "
                      "a snapshot of its trials when it was written (%zu running then). Run "
                      "dial report again for a newer one.</p>\n",
                      rs->counts[DIAL_TRIAL_RUNNING]);
    report_puts(buf, "</section>\n");
}

/* ---- the best trial ------------------------------------------------------------- */

/* A word for sh: as it is when it is safe, else single-quoted. */
static void shell_word(report_buf *out, const char *word) {
    bool plain = word[0] != '\0';
    for (const char *p = word; *p && plain; p++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-+=.,/:@%",
                       *p) != NULL;
    if (plain) {
        report_puts(out, word);
        return;
    }
    report_puts(out, "'");
    for (const char *p = word; *p; p++) {
        if (*p == '\'')
            report_puts(out, "'\\''");
        else
            report_printf(out, "%c", *p);
    }
    report_puts(out, "'");
}

/* `dial fit MODEL DATA --target T -s k=v ... -o MODEL.dial`: the best
 * trial's knobs and the knobs the study fixed, on the data it searched. */
static char *refit_command(const report_study *rs, const dial_trial_record *best) {
    report_buf text = {0};
    const char *model = identity_or(rs, "model", "MODEL");
    report_puts(&text, "dial fit ");
    shell_word(&text, model);
    report_puts(&text, " ");
    shell_word(&text, identity_or(rs, "note.data_file", "DATA"));
    const char *target = identity_or(rs, "note.target", identity_or(rs, "target", NULL));
    if (target) {
        report_puts(&text, " --target ");
        shell_word(&text, target);
    }
    const char *ignore = identity_or(rs, "ignore", NULL);
    if (ignore) {
        report_puts(&text, " --ignore ");
        shell_word(&text, ignore);
    }
    const char *sets = identity_or(rs, "note.set", NULL);
    for (const char *line = sets; line && *line;) {
        const char *end = strchr(line, '\n');
        size_t length = end ? (size_t)(end - line) : strlen(line);
        if (length) {
            char *item = cli_format("%.*s", (int)length, line);
            report_puts(&text, " -s ");
            shell_word(&text, item);
            free(item);
        }
        line = end ? end + 1 : NULL;
    }
    for (size_t p = 0; p < best->n_params; p++) {
        char number[40];
        const char *value = best->param_texts[p];
        if (best->param_kinds[p] == DIAL_PARAM_FLOAT || !value) {
            /* the exact double, so the refit is the trial's fit */
            cli_format_double(best->param_values[p], number, sizeof number);
            value = number;
        }
        char *item = cli_format("%s=%s", best->param_names[p], value);
        report_puts(&text, " -s ");
        shell_word(&text, item);
        free(item);
    }
    report_puts(&text, " -o ");
    char *file = cli_format("%s.dial", model);
    shell_word(&text, file);
    free(file);
    return text.data;
}

static void best_section(report_buf *buf, const report_study *rs) {
    report_puts(buf, "<section id=\"best\">\n<h2>Best trial</h2>\n");
    if (rs->best < 0) {
        report_puts(buf, "<p>No complete trial yet.</p>\n</section>\n");
        return;
    }
    const dial_trial_record *best = &rs->trials.items[rs->best];
    char value[40];
    report_value_text(rs, best->value, value, sizeof value);
    report_printf(buf, "<p>Trial %lld: %s ", (long long)best->number, rs->metric);
    report_escape(buf, value);
    if (!rs->program && best->n_intermediate > 1) {
        char std[40];
        snprintf(std, sizeof std, "%.4f", dial_objective_fold_std(best));
        report_printf(buf, " \u00b1 %s over %zu folds", std, best->n_intermediate);
    }
    report_puts(buf, ".</p>\n<div class=\"scroll\"><table>\n");
    for (size_t k = 0; k < rs->n_knobs; k++) {
        char *text = report_trial_knob_text(rs, best, k);
        if (text) report_setting(buf, rs->knobs[k].name, text);
        free(text);
    }
    report_puts(buf, "</table></div>\n");
    if (rs->program) {
        char *knobs = cli_program_knobs_text(best);
        report_puts(buf, "<p>Its knobs, as dial ask gives them to a program:</p>\n<code>");
        report_escape(buf, knobs);
        free(knobs);
    } else {
        char *command = refit_command(rs, best);
        report_puts(buf, "<p>The command that refits it on all the data:</p>\n<code>");
        report_escape(buf, command);
        free(command);
    }
    report_puts(buf, "</code>\n</section>\n");
}

/* ---- the trial table ------------------------------------------------------------- */

static void trial_table(report_buf *buf, const report_study *rs) {
    report_puts(buf, "<section id=\"table\">\n<h2>Trials</h2>\n<p>Click a column's header to sort "
                     "by it.</p>\n<div class=\"scroll\"><table id=\"trials\">\n<thead><tr>"
                     "<th class=\"n\">trial</th><th>state</th><th class=\"n\">");
    report_escape(buf, rs->metric);
    report_puts(buf, "</th>");
    if (!rs->program) report_puts(buf, "<th class=\"n\">std</th>");
    for (size_t k = 0; k < rs->n_knobs; k++) {
        report_puts(buf, rs->knobs[k].categorical ? "<th>" : "<th class=\"n\">");
        report_escape(buf, rs->knobs[k].name);
        report_puts(buf, "</th>");
    }
    report_puts(buf, "<th class=\"n\">time</th><th>note</th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < rs->trials.count; i++) {
        const dial_trial_record *trial = &rs->trials.items[i];
        const char *state = dial_trial_state_name(trial->state);
        char value[40];
        report_value_text(rs, trial->value, value, sizeof value);
        report_printf(buf, "<tr class=\"%s\"><td>%lld</td><td class=\"t\">%s</td><td>", state,
                      (long long)trial->number, state);
        report_escape(buf, value);
        report_puts(buf, "</td>");
        if (!rs->program) {
            double std = dial_objective_fold_std(trial);
            if (isnan(std))
                report_puts(buf, "<td>-</td>");
            else
                report_printf(buf, "<td>%.4f</td>", std);
        }
        for (size_t k = 0; k < rs->n_knobs; k++) {
            char *text = report_trial_knob_text(rs, trial, k);
            report_puts(buf, rs->knobs[k].categorical ? "<td class=\"t\">" : "<td>");
            report_escape(buf, text ? text : "");
            report_puts(buf, "</td>");
            free(text);
        }
        double seconds = cli_trial_seconds(trial);
        char *duration = cli_seconds_text(seconds);
        report_printf(buf, "<td data-v=\"%.3f\">", seconds);
        report_escape(buf, duration);
        report_puts(buf, "</td><td class=\"t\">");
        free(duration);
        if (trial->state == DIAL_TRIAL_PRUNED) {
            char *where = cli_pruned_where(trial, rs->program);
            report_escape(buf, where);
            free(where);
        } else if (trial->message) {
            report_escape(buf, trial->message);
        }
        report_puts(buf, "</td></tr>\n");
    }
    report_puts(buf, "</tbody>\n</table></div>\n</section>\n");
}

/* ---- the page ------------------------------------------------------------------------- */

static size_t count_figures(const report_buf *buf) {
    size_t n = 0;
    for (const char *p = buf->data; (p = strstr(p, "<figure class=\"plot\"")); p++) n++;
    return n;
}

static int study_page(dial_ctx *ctx, const cli_options *opts, const char *path) {
    report_study rs;
    dial_status status = report_study_read(ctx, path, opts->study_name, &rs);
    if (status != DIAL_OK) {
        report_study_free(&rs);
        return cli_fail(ctx, status);
    }
    /* The page and the line name the storage without a PostgreSQL password. */
    char *shown = dial_study_storage_shown(ctx, path);
    if (shown) rs.path = path = shown;
    report_buf page = {0};
    char *title = cli_format("Study %s", dial_study_name(rs.study));
    char *subtitle = cli_format(
        "%s: a study of %s, %zu trials%s. Written by dial %s.", path,
        rs.program ? "a program" : identity_or(&rs, "model", "a model"), rs.trials.count,
        rs.counts[DIAL_TRIAL_RUNNING] ? ", still running (a snapshot)" : "", dial_version());
    report_page_begin(&page, title, subtitle);
    settings_section(&page, &rs);
    report_puts(&page, "<section id=\"plots\">\n<h2>Plots</h2>\n<div class=\"plots\">\n");
    report_plot_history(&page, &rs);
    report_plot_cluster_curve(&page, &rs);
    report_plot_intermediate(&page, &rs);
    report_plot_parallel(&page, &rs);
    report_plot_contour(&page, &rs);
    report_plot_importance(&page, &rs);
    report_plot_slices(&page, &rs);
    report_puts(&page, "</div>\n</section>\n");
    best_section(&page, &rs);
    trial_table(&page, &rs);
    report_page_end(&page);
    int exit_status = CLI_EXIT_OK;
    if (page.length > REPORT_MAX_BYTES)
        exit_status =
            cli_error(CLI_EXIT_FAILURE,
                      "the page of study '%s' would be %zu bytes, over the %u a report may "
                      "be; nothing written",
                      dial_study_name(rs.study), page.length, REPORT_MAX_BYTES);
    else if ((status = report_write(ctx, opts->output, &page)) != DIAL_OK)
        exit_status = cli_fail(ctx, status);
    else if (strcmp(opts->output, "-") != 0) /* the page itself is on stdout */
        printf("wrote %s: study '%s' in %s, %zu trials (%zu complete, %zu pruned, %zu failed, %zu "
               "running), %zu plot%s\n",
               opts->output, dial_study_name(rs.study), path, rs.trials.count,
               rs.counts[DIAL_TRIAL_COMPLETE], rs.counts[DIAL_TRIAL_PRUNED],
               rs.counts[DIAL_TRIAL_FAILED], rs.counts[DIAL_TRIAL_RUNNING], count_figures(&page),
               count_figures(&page) == 1 ? "" : "s");
    free(title);
    free(subtitle);
    report_buf_free(&page);
    report_study_free(&rs);
    free(shown);
    return exit_status;
}

int cli_cmd_report(int argc, char **argv) {
    cli_options opts;
    int status = cli_parse(&report_command, argc, argv, &opts);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    const char *path = opts.positional[0];
    if (!opts.output) {
        cli_options_free(&opts);
        return cli_error(CLI_EXIT_USAGE,
                         "dial report needs -o FILE.html, the page to write; see 'dial report "
                         "--help'");
    }
    file_kind kind = KIND_OTHER;
    status = cli_check_output_not_input(opts.output, true, path, "the file");
    if (status < 0) status = check_output(opts.output);
    if (status < 0 && dial_study_storage_is_database(path))
        kind = KIND_STUDY; /* a PostgreSQL study: no file to look into */
    else if (status < 0)
        status = read_kind(path, &kind);
    if (status >= 0) {
        cli_options_free(&opts);
        return status;
    }
    if (kind == KIND_OTHER) {
        status =
            cli_error(CLI_EXIT_FAILURE,
                      "%s is neither a study file (SQLite, from dial tune --study or dial run) "
                      "nor a model file (.dial, from dial fit or dial tune -o)",
                      path);
    } else if (kind == KIND_MODEL && opts.study_name) {
        status =
            cli_error(CLI_EXIT_USAGE,
                      "--study-name names a study, and %s is a model file; leave it out", path);
    } else {
        dial_ctx *ctx = cli_context(&opts);
        status = kind == KIND_STUDY ? study_page(ctx, &opts, path)
                                    : report_model_page(ctx, path, opts.output);
        dial_ctx_free(ctx);
    }
    cli_options_free(&opts);
    return status;
}

/* What `dial report` reads of a study (report_study.h): one snapshot of its
 * trials, its identity and space, the knobs as the plots draw them, and
 * the knob importance, whose refusal (one trial, no knob that varied) is
 * kept to be shown in place of its plot rather than failing the page. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report_study.h"

static const dial_param *space_param(const report_study *rs, const char *name) {
    if (!rs->has_space) return NULL;
    long i = dial_space_find(&rs->space, name);
    return i < 0 ? NULL : &rs->space.params[i];
}

static long trial_param(const dial_trial_record *trial, const char *name) {
    for (size_t p = 0; p < trial->n_params; p++)
        if (strcmp(trial->param_names[p], name) == 0) return (long)p;
    return -1;
}

char *report_trial_knob_text(const report_study *rs, const dial_trial_record *trial, size_t k) {
    long p = trial_param(trial, rs->knobs[k].name);
    if (p < 0) return NULL;
    if (rs->program) return cli_program_knob_text(trial, (size_t)p);
    /* as dial trials lists a model's knobs: floats to 4 significant digits */
    if (trial->param_kinds[p] == DIAL_PARAM_FLOAT)
        return cli_format("%.4g", trial->param_values[p]);
    const char *text = trial->param_texts[p];
    if (text) return cli_strdup(text);
    char number[40];
    cli_format_double(trial->param_values[p], number, sizeof number);
    return cli_strdup(number);
}

bool report_trial_knob(const report_study *rs, const dial_trial_record *trial, size_t k,
                       double *value) {
    const report_knob *knob = &rs->knobs[k];
    long p = trial_param(trial, knob->name);
    if (p < 0) return false;
    if (!knob->categorical) {
        *value = trial->param_values[p];
        return isfinite(*value);
    }
    /* A categorical's column is found by its text, so that the trials
     * and the space agree whatever index either kept. */
    char *text = report_trial_knob_text(rs, trial, k);
    bool found = false;
    for (size_t c = 0; c < knob->n_choices && !found; c++)
        if (strcmp(knob->choices[c], text) == 0) {
            *value = (double)c;
            found = true;
        }
    free(text);
    return found;
}

void report_value_text(const report_study *rs, double value, char *buf, size_t size) {
    if (isnan(value))
        snprintf(buf, size, "-");
    else if (rs->program)
        cli_format_double(value, buf, size);
    else
        snprintf(buf, size, "%.4f", value);
}

bool report_better(const report_study *rs, double a, double b) {
    if (isnan(a)) return false;
    if (isnan(b)) return true;
    return rs->direction == DIAL_MAXIMIZE ? a > b : a < b;
}

size_t report_points_limit(const report_study *rs) {
    size_t limit = 6000 / (rs->n_knobs + 3);
    return limit < 200 ? 200 : limit > 1500 ? 1500 : limit;
}

size_t report_thin(const report_study *rs, size_t max, bool **keep, size_t *stride) {
    size_t n = rs->trials.count;
    *keep = cli_alloc(n ? n : 1, sizeof **keep);
    *stride = n <= max ? 1 : (n + max - 1) / max;
    /* Every k-th of each state, counted apart, so that the pruned trials
     * keep their share of the marks whatever the order they came in. */
    size_t seen[4] = {0, 0, 0, 0}, kept = 0;
    for (size_t i = 0; i < n; i++) {
        dial_trial_state state = rs->trials.items[i].state;
        (*keep)[i] = seen[state]++ % *stride == 0 || (long)i == rs->best;
        kept += (*keep)[i];
    }
    return kept;
}

char *report_thin_note(size_t shown, size_t total, size_t stride) {
    if (stride <= 1) return cli_strdup("");
    return cli_format(" Showing %zu of %zu trials (every %zu%s, and the best), to keep the page "
                      "small; the table lists them all.",
                      shown, total, stride,
                      stride % 10 == 1 && stride % 100 != 11   ? "st"
                      : stride % 10 == 2 && stride % 100 != 12 ? "nd"
                      : stride % 10 == 3 && stride % 100 != 13 ? "rd"
                                                               : "th");
}

static void add_choice(report_knob *knob, const char *text) {
    for (size_t c = 0; c < knob->n_choices; c++)
        if (strcmp(knob->choices[c], text) == 0) return;
    char **grown = cli_alloc(knob->n_choices + 1, sizeof *grown);
    if (knob->n_choices) memcpy(grown, knob->choices, knob->n_choices * sizeof *grown);
    free(knob->choices);
    knob->choices = grown;
    knob->choices[knob->n_choices++] = cli_strdup(text);
}

/* The knobs in order of first appearance; scale and categories from the
 * space the study recorded, else from the trials (a categorical's values
 * in the order seen). */
static void find_knobs(report_study *rs) {
    const dial_trial_list *list = &rs->trials;
    size_t capacity = 0;
    for (size_t i = 0; i < list->count; i++) capacity += list->items[i].n_params;
    rs->knobs = cli_alloc(capacity ? capacity : 1, sizeof *rs->knobs);
    for (size_t i = 0; i < list->count; i++) {
        const dial_trial_record *trial = &list->items[i];
        for (size_t p = 0; p < trial->n_params; p++) {
            bool seen = false;
            for (size_t k = 0; k < rs->n_knobs && !seen; k++)
                seen = strcmp(rs->knobs[k].name, trial->param_names[p]) == 0;
            if (seen) continue;
            report_knob *knob = &rs->knobs[rs->n_knobs++];
            knob->name = trial->param_names[p];
            knob->plot_name = report_plot_name(knob->name);
            const dial_param *param = space_param(rs, knob->name);
            knob->categorical = param ? param->kind == DIAL_PARAM_CHOICE
                                      : trial->param_kinds[p] == DIAL_PARAM_CHOICE;
            knob->log = param && param->kind != DIAL_PARAM_CHOICE && param->log;
            knob->integer =
                param ? param->kind == DIAL_PARAM_INT : trial->param_kinds[p] == DIAL_PARAM_INT;
            if (param && knob->categorical)
                for (size_t c = 0; c < param->n_choices; c++) add_choice(knob, param->choices[c]);
        }
    }
    for (size_t k = 0; k < rs->n_knobs; k++) {
        if (!rs->knobs[k].categorical) continue;
        for (size_t i = 0; i < list->count; i++) {
            char *text = report_trial_knob_text(rs, &list->items[i], k);
            if (text) add_choice(&rs->knobs[k], text);
            free(text);
        }
    }
}

/* The sampler's plan as the run's header said it ("auto: qmc for the
 * first 10 trials, then gp (...)"): the stored study cannot tell it (it is
 * read with no sampler), so a study in memory is opened with the settings
 * the identity recorded and the space, and asked. Nothing is written
 * anywhere; NULL when the identity lacks them. */
static char *sampler_plan(dial_ctx *ctx, const report_study *rs) {
    const char *kind_text = dial_study_identity_get(&rs->identity, "sampler");
    const char *seed_text = dial_study_identity_get(&rs->identity, "seed");
    const char *startup_text = dial_study_identity_get(&rs->identity, "startup_trials");
    const char *grid_text = dial_study_identity_get(&rs->identity, "grid_points");
    dial_sampler_kind kind;
    if (!rs->has_space || !kind_text || !dial_sampler_kind_parse(kind_text, &kind)) return NULL;
    dial_study_options options = {.direction = rs->direction,
                                  .sampler = kind,
                                  .space = &rs->space,
                                  .seed = seed_text ? strtoull(seed_text, NULL, 10) : 0,
                                  .startup_trials =
                                      startup_text ? strtoull(startup_text, NULL, 10) : 0,
                                  .grid_points = grid_text ? strtoull(grid_text, NULL, 10) : 0};
    dial_study *memory = NULL;
    if (dial_study_open(ctx, &options, &memory) != DIAL_OK) return NULL;
    char plan[512];
    dial_study_sampler_plan(memory, plan, sizeof plan);
    dial_study_free(memory);
    return cli_strdup(plan);
}

dial_status report_study_read(dial_ctx *ctx, const char *path, const char *name,
                              report_study *out) {
    *out = (report_study){.path = path, .best = -1, .metric = "value"};
    bool found = false;
    dial_status status = cli_open_study(ctx, path, name, &out->study);
    if (status == DIAL_OK) status = cli_study_is_program(ctx, path, out->study, &out->program);
    if (status == DIAL_OK) status = dial_study_trials(ctx, out->study, &out->trials);
    if (status == DIAL_OK)
        status = dial_study_identity_read(ctx, path, dial_study_name(out->study), &out->identity,
                                          &found);
    if (status == DIAL_OK && found)
        status = dial_knob_importance_space(ctx, &out->identity, &out->space, &out->has_space);
    if (status != DIAL_OK) return status;
    out->direction = dial_study_direction(out->study);
    const char *metric = dial_study_identity_get(&out->identity, "metric");
    if (metric && metric[0]) out->metric = metric;
    for (size_t i = 0; i < out->trials.count; i++) {
        const dial_trial_record *trial = &out->trials.items[i];
        out->counts[trial->state]++;
        if (trial->state == DIAL_TRIAL_COMPLETE &&
            (out->best < 0 || report_better(out, trial->value, out->trials.items[out->best].value)))
            out->best = (long)i;
    }
    find_knobs(out);
    out->sampler_plan = sampler_plan(ctx, out);
    /* The same options as `dial knob-importance` without any: the page
     * shows what that command would print. */
    dial_knob_importance_options options = {.method = DIAL_KNOB_IMPORTANCE_FANOVA};
    dial_status refused = dial_knob_importance(ctx, out->study, out->has_space ? &out->space : NULL,
                                               &options, &out->importance);
    if (refused == DIAL_OK)
        out->has_importance = true;
    else if (refused == DIAL_ERR_NOMEM)
        return refused;
    else
        out->importance_refusal = cli_strdup(dial_ctx_error(ctx));
    return DIAL_OK;
}

void report_study_free(report_study *rs) {
    for (size_t k = 0; k < rs->n_knobs; k++) {
        free(rs->knobs[k].plot_name);
        for (size_t c = 0; c < rs->knobs[k].n_choices; c++) free(rs->knobs[k].choices[c]);
        free(rs->knobs[k].choices);
    }
    free(rs->knobs);
    free(rs->importance_refusal);
    free(rs->sampler_plan);
    dial_knob_importance_result_free(&rs->importance);
    dial_space_free(&rs->space);
    dial_study_identity_free(&rs->identity);
    dial_trial_list_free(&rs->trials);
    dial_study_free(rs->study);
    *rs = (report_study){.best = -1};
}

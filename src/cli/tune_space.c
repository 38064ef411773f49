/* The space dial tune searches, from the model's default space and the
 * command's -s, --space and --space-file: what the user fixed leaves the
 * space, what they searched replaces or joins it, and a knob both fixed and
 * searched, or searched where it never applies, is a mistake to point out. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* The -s assignment of a knob, for messages. */
static const char *fixed_assignment(const cli_options *opts, const char *name) {
    size_t length = strlen(name);
    const char *found = NULL;
    for (size_t i = 0; i < opts->n_sets; i++) {
        const char *set = opts->sets[i];
        while (isspace((unsigned char)*set)) set++;
        if (strncmp(set, name, length) == 0 &&
            (set[length] == '=' || isspace((unsigned char)set[length])))
            found = opts->sets[i];
    }
    return found;
}

dial_status cli_read_space_file(dial_ctx *ctx, const char *path, char **text) {
    FILE *file = fopen(path, "rb");
    if (!file)
        return dial_fail(ctx, DIAL_ERR_IO, "cannot read space file %s: %s", path, strerror(errno));
    size_t length = 0, capacity = 4096;
    char *buffer = cli_alloc(capacity, 1);
    size_t got;
    while ((got = fread(buffer + length, 1, capacity - length - 1, file)) > 0) {
        length += got;
        if (length + 1 == capacity) {
            char *grown = cli_alloc(capacity * 2, 1);
            memcpy(grown, buffer, length);
            free(buffer);
            buffer = grown;
            capacity *= 2;
        }
    }
    bool failed = ferror(file) != 0;
    fclose(file);
    if (failed) {
        free(buffer);
        return dial_fail(ctx, DIAL_ERR_IO, "cannot read space file %s: read error", path);
    }
    buffer[length] = '\0';
    *text = buffer;
    return DIAL_OK;
}

/* The default space after -s, then --space-file, then each --space. A knob
 * both fixed and searched is a mistake to point out, not to resolve. */
dial_status cli_build_space(dial_ctx *ctx, const cli_options *opts, const char *space_json,
                            const dial_knobs *knobs, dial_space *space) {
    dial_status status = dial_space_from_knobs(ctx, knobs, space);
    if (status != DIAL_OK) return status;
    dial_space_drop_fixed(space, knobs);
    if (space_json) {
        const char *source =
            opts->space_file ? opts->space_file : "the space file the study was created with";
        status = dial_space_set_json(ctx, space, knobs, space_json);
        for (size_t i = 0; status == DIAL_OK && i < space->n; i++) {
            long k = dial_knobs_find(knobs, space->params[i].name);
            if (k >= 0 && knobs->values[k].set_by_user)
                status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                                   "knob '%s' is fixed with -s %s and searched in %s; drop one",
                                   space->params[i].name,
                                   fixed_assignment(opts, space->params[i].name), source);
        }
    }
    for (size_t i = 0; status == DIAL_OK && i < opts->n_spaces; i++) {
        const char *item = opts->spaces[i];
        char name[128];
        size_t skip = strspn(item, " \t"), length = strcspn(item + skip, "= \t");
        if (length >= sizeof name) length = sizeof name - 1;
        memcpy(name, item + skip, length);
        name[length] = '\0';
        long k = dial_knobs_find(knobs, name);
        if (k >= 0 && knobs->values[k].set_by_user)
            status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                               "knob '%s' is fixed with -s %s and searched with --space %s; drop "
                               "one",
                               name, fixed_assignment(opts, name), item);
        else
            status = dial_space_set(ctx, space, knobs, item);
    }
    for (size_t i = 0; status == DIAL_OK && i < space->n; i++)
        if (dial_space_never_active(space, knobs, i)) {
            const dial_param *param = &space->params[i];
            char controller[128];
            dial_knob_condition_split(param->condition, controller, sizeof controller);
            status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                               "knob '%s' is searched but never applies: it applies only when %s; "
                               "set %s with -s or search it with --space",
                               param->name, param->condition, controller);
        }
    if (status == DIAL_OK && space->n == 0)
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                           "nothing to search: %s has no knob with a default search range left "
                           "once -s fixed its knobs; add one with --space NAME=RANGE",
                           knobs->model_name);
    return status;
}

/* "k=1..50, weights=uniform,distance" */
char *cli_space_text(const dial_space *space) {
    char *text = cli_strdup("");
    for (size_t i = 0; i < space->n; i++) {
        const dial_param *param = &space->params[i];
        char *value;
        if (param->kind == DIAL_PARAM_CHOICE) {
            bool bars = false;
            for (size_t c = 0; c < param->n_choices; c++)
                bars |= strchr(param->choices[c], ',') != NULL;
            value = cli_strdup("");
            for (size_t c = 0; c < param->n_choices; c++) {
                char *longer =
                    cli_format("%s%s%s", value, c ? (bars ? "|" : ",") : "", param->choices[c]);
                free(value);
                value = longer;
            }
        } else if (param->fixed || param->low == param->high) {
            value = cli_format("%g", param->low);
        } else {
            char step[48] = "";
            if (param->step > 0) snprintf(step, sizeof step, ":step=%g", param->step);
            value =
                cli_format("%g..%g%s%s", param->low, param->high, param->log ? ":log" : "", step);
        }
        char *longer = cli_format("%s%s%s=%s", text, i ? ", " : "", param->name, value);
        free(value);
        free(text);
        text = longer;
    }
    return text;
}

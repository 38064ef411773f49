/* The space dial tune searches, from the model's default space and the
 * command's -s, --space and --space-file: what the user fixed leaves the
 * space, what they searched replaces or joins it, and a knob both fixed and
 * searched, or searched where it never applies, is a mistake to point out. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static void remove_param(dial_space *space, size_t i) {
    dial_param *param = &space->params[i];
    free(param->name);
    for (size_t c = 0; c < param->n_choices; c++) free(param->choices[c]);
    free(param->choices);
    free(param->condition);
    memmove(param, param + 1, (space->n - i - 1) * sizeof *param);
    space->n--;
}

/* The knob a condition ("metric=minkowski") depends on. */
static void condition_knob(const char *condition, char *name, size_t size) {
    const char *eq = condition ? strchr(condition, '=') : NULL;
    size_t length = eq ? (size_t)(eq - condition) : 0;
    if (length >= size) length = size - 1;
    memcpy(name, condition ? condition : "", length);
    name[length] = '\0';
}

static void drop_fixed(dial_space *space, const dial_knobs *knobs) {
    for (size_t i = space->n; i-- > 0;) {
        long k = dial_knobs_find(knobs, space->params[i].name);
        if (k >= 0 && knobs->values[k].set_by_user) remove_param(space, i);
    }
}

/* Whether param i of the space can never apply: its condition names a knob
 * outside the space whose value turns it off. */
static bool never_active(const dial_space *space, const dial_knobs *knobs, size_t i) {
    char controller[128];
    condition_knob(space->params[i].condition, controller, sizeof controller);
    if (!controller[0] || dial_space_find(space, controller) >= 0) return false;
    long k = dial_knobs_find(knobs, space->params[i].name);
    return k >= 0 && !dial_knobs_active(knobs, (size_t)k);
}

/* Takes the knobs fixed with -s out of the default space, then the knobs
 * that only applied under a value the fixed ones no longer have. */
static void drop_fixed_and_unreachable(dial_space *space, const dial_knobs *knobs) {
    drop_fixed(space, knobs);
    for (bool dropped = true; dropped;) {
        dropped = false;
        for (size_t i = 0; i < space->n && !dropped; i++) {
            if (!never_active(space, knobs, i)) continue;
            remove_param(space, i);
            dropped = true;
        }
    }
}

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
    drop_fixed_and_unreachable(space, knobs);
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
        if (never_active(space, knobs, i)) {
            const dial_param *param = &space->params[i];
            char controller[128];
            condition_knob(param->condition, controller, sizeof controller);
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

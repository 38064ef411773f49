/*
 * Search spaces: which knobs a study searches, over what values.
 *
 * The default space comes from the model's knob table (its default search
 * ranges); the user overrides or adds one knob at a time with text
 * (`--space C=1e-3..1e3:log`) or many with JSON (`--space-file`). Every item
 * is checked against the knob table with the words of `-s`: the knob's
 * name, what was given and what would be valid, so a bad space fails before
 * the first trial instead of inside one.
 *
 * A conditional knob keeps its condition. It is put in the default space
 * only when the condition can hold (its controlling knob is searched over a
 * value that satisfies it, or is set to one): knn's `p` (metric=minkowski)
 * stays out while the metric is euclidean, so a grid is not multiplied by
 * values that change nothing. Searching the controlling knob later
 * (`--space metric=euclidean,minkowski`) brings such dependents in with
 * their default ranges.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/alloc.h"
#include "core/text.h"
#include "dial/tune.h"
#include "tune/space_json.h"

#define SPACE_USAGE "expected name=low..high[:log][:step=S], name=a,b,c or name=value"
/* Longest item text kept for a message or a piece of a value. */
#define SPACE_TEXT_MAX 512
/* Integers are kept in a double, exact up to 2^53. */
#define SPACE_INT_LIMIT 9007199254740992.0

/* ---- owning and copying ---------------------------------------------------- */

static void param_clear(dial_param *param) {
    free(param->name);
    for (size_t c = 0; c < param->n_choices; c++)
        if (param->choices) free(param->choices[c]);
    free(param->choices);
    free(param->condition);
    *param = (dial_param){0};
}

void dial_space_free(dial_space *space) {
    if (!space) return;
    for (size_t i = 0; i < space->n; i++) param_clear(&space->params[i]);
    free(space->params);
    *space = (dial_space){0};
}

/* Removes parameter i, keeping the others in order. */
static void remove_param(dial_space *space, size_t i) {
    param_clear(&space->params[i]);
    memmove(&space->params[i], &space->params[i + 1], (space->n - i - 1) * sizeof space->params[i]);
    space->n--;
}

bool dial_space_never_active(const dial_space *space, const dial_knobs *knobs, size_t i) {
    char controller[128];
    dial_knob_condition_split(space->params[i].condition, controller, sizeof controller);
    if (!controller[0] || dial_space_find(space, controller) >= 0) return false;
    long k = dial_knobs_find(knobs, space->params[i].name);
    return k >= 0 && !dial_knobs_active(knobs, (size_t)k);
}

void dial_space_drop_fixed(dial_space *space, const dial_knobs *knobs) {
    for (size_t i = space->n; i-- > 0;) {
        long k = dial_knobs_find(knobs, space->params[i].name);
        if (k >= 0 && knobs->values[k].set_by_user) remove_param(space, i);
    }
    for (bool dropped = true; dropped;) {
        dropped = false;
        for (size_t i = 0; i < space->n && !dropped; i++) {
            if (!dial_space_never_active(space, knobs, i)) continue;
            remove_param(space, i);
            dropped = true;
        }
    }
}

long dial_space_find(const dial_space *space, const char *name) {
    if (!space || !name) return -1;
    for (size_t i = 0; i < space->n; i++)
        if (space->params[i].name && strcmp(space->params[i].name, name) == 0) return (long)i;
    return -1;
}

/* Deep copy; on failure *to is cleared and false returned. */
static bool param_copy(const dial_ctx *ctx, dial_param *to, const dial_param *from) {
    *to = *from;
    to->name = NULL;
    to->choices = NULL;
    to->condition = NULL;
    to->n_choices = 0;
    if (!(to->name = dial_strdup(ctx, from->name ? from->name : ""))) goto nomem;
    if (!(to->condition = dial_strdup(ctx, from->condition ? from->condition : ""))) goto nomem;
    if (from->n_choices) {
        if (!(to->choices = dial_calloc(ctx, from->n_choices, sizeof *to->choices))) goto nomem;
        to->n_choices = from->n_choices;
        for (size_t c = 0; c < from->n_choices; c++)
            if (!(to->choices[c] = dial_strdup(ctx, from->choices[c] ? from->choices[c] : "")))
                goto nomem;
    }
    return true;
nomem:
    param_clear(to);
    return false;
}

dial_status dial_space_copy(dial_ctx *ctx, const dial_space *from, dial_space *to) {
    *to = (dial_space){0};
    if (!from || from->n == 0) return DIAL_OK;
    to->params = dial_calloc(ctx, from->n, sizeof *to->params);
    if (!to->params) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory copying a search space");
    for (size_t i = 0; i < from->n; i++) {
        if (!param_copy(ctx, &to->params[i], &from->params[i])) {
            dial_space_free(to);
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory copying a search space");
        }
        to->n = i + 1;
    }
    return DIAL_OK;
}

/* Puts param (whose fields the space takes over) in place of the one of the
 * same name, or at the end. */
static dial_status space_put(dial_ctx *ctx, dial_space *space, dial_param *param) {
    long at = dial_space_find(space, param->name);
    if (at >= 0) {
        param_clear(&space->params[at]);
        space->params[at] = *param;
        *param = (dial_param){0};
        return DIAL_OK;
    }
    dial_param *params = dial_realloc_array(ctx, space->params, space->n + 1, sizeof *params);
    if (!params) {
        param_clear(param);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory growing a search space");
    }
    space->params = params;
    space->params[space->n++] = *param;
    *param = (dial_param){0};
    return DIAL_OK;
}

/* ---- small text helpers ---------------------------------------------------------- */

/* Copies text[0 .. length) without leading and trailing blanks into out.
 * Returns false when it does not fit. */
static bool trim_copy(const char *text, size_t length, char *out, size_t size) {
    while (length && isspace((unsigned char)*text)) {
        text++;
        length--;
    }
    while (length && isspace((unsigned char)text[length - 1])) length--;
    if (length >= size) return false;
    memcpy(out, text, length);
    out[length] = '\0';
    return true;
}

static void append(char *buf, size_t size, size_t *used, const char *text) {
    if (*used >= size) return;
    int written = snprintf(buf + *used, size - *used, "%s", text);
    if (written < 0) return;
    *used += (size_t)written;
    if (*used >= size) *used = size - 1;
}

/* Whether value is among the '|'-separated alternatives of a condition. */
static bool alternatives_contain(const char *alternatives, const char *value) {
    size_t length = strlen(value);
    for (const char *p = alternatives;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == length && strncmp(p, value, n) == 0) return true;
        if (!bar) return false;
        p = bar + 1;
    }
}

/* Integer literals only (a sign and digits), as `-s` takes them; beyond
 * long long is an infinity, which the range checks then refuse. */
static bool parse_integer(const char *text, double *out) {
    bool overflow = false;
    if (!dial_parse_integer(text, out, &overflow)) return false;
    if (overflow) *out = text[0] == '-' ? -INFINITY : INFINITY;
    return true;
}

/* A finite real: a range end or step of infinity means nothing. */
static bool parse_float(const char *text, double *out) {
    return dial_parse_real(text, out) && isfinite(*out);
}

/* ---- errors ---------------------------------------------------------------------- */

static dial_status malformed(dial_ctx *ctx, const char *item) {
    return dial_fail(ctx, DIAL_ERR_KNOB, "bad space item '%s': " SPACE_USAGE, item);
}

/* The words of dial_knobs_set for a name the table lacks. */
static dial_status unknown_knob(dial_ctx *ctx, const dial_knobs *knobs, const char *name) {
    const char **names = dial_malloc_array(ctx, knobs->n, sizeof *names);
    if (!names)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory looking up knob '%s' for %s", name,
                         knobs->model_name);
    for (size_t i = 0; i < knobs->n; i++) names[i] = knobs->specs[i].name;
    const char *closest = dial_closest_name(name, names, knobs->n);
    free(names);
    if (closest)
        return dial_fail(ctx, DIAL_ERR_KNOB, "unknown knob '%s' for %s; did you mean '%s'?", name,
                         knobs->model_name, closest);
    char list[SPACE_TEXT_MAX];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < knobs->n; i++) {
        if (i) append(list, sizeof list, &used, ", ");
        append(list, sizeof list, &used, knobs->specs[i].name);
    }
    if (!knobs->n) append(list, sizeof list, &used, "(none)");
    return dial_fail(ctx, DIAL_ERR_KNOB, "unknown knob '%s' for %s; known knobs: %s", name,
                     knobs->model_name, list);
}

/* ---- bounds ------------------------------------------------------------------------- */

static bool within_bounds(const dial_knob_spec *spec, double v) {
    if (isnan(v)) return false;
    if (spec->lower_open ? !(v > spec->lower) : !(v >= spec->lower)) return false;
    if (spec->upper_open ? !(v < spec->upper) : !(v <= spec->upper)) return false;
    return !(spec->type == DIAL_KNOB_INT && !(fabs(v) <= SPACE_INT_LIMIT));
}

/* ---- one item ----------------------------------------------------------------------- */

/* What one item says before it is checked against the knob. */
typedef struct space_item {
    const char *text;  /* the whole item, for messages */
    const char *name;  /* the knob */
    const char *value; /* what follows '=', trimmed */
} space_item;

/* name, its spec and a scratch copy of the knobs for checking values with
 * dial_knobs_set (and its messages). */
typedef struct space_target {
    const dial_knobs *knobs;
    dial_knobs scratch;
    size_t index;
    const dial_knob_spec *spec;
} space_target;

static dial_status param_start(dial_ctx *ctx, const space_target *target, dial_param *param) {
    *param = (dial_param){0};
    param->name = dial_strdup(ctx, target->spec->name);
    param->condition = dial_strdup(ctx, target->spec->condition ? target->spec->condition : "");
    if (!param->name || !param->condition) {
        param_clear(param);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building a search space");
    }
    return DIAL_OK;
}

/* Checks one value with dial_knobs_set (so its messages are those of -s)
 * and writes its canonical text ("true", "0.5", "uniform") into canonical. */
static dial_status check_value(dial_ctx *ctx, space_target *target, const char *text,
                               char *canonical, size_t size, double *number) {
    dial_status status = dial_knobs_set(ctx, &target->scratch, target->spec->name, text);
    if (status != DIAL_OK) return status;
    dial_knobs_format(&target->scratch, target->index, canonical, size);
    *number = target->scratch.values[target->index].number;
    return DIAL_OK;
}

static dial_status parse_range(dial_ctx *ctx, space_target *target, const space_item *item,
                               dial_param *param) {
    const dial_knob_spec *spec = target->spec;
    const char *name = spec->name;
    /* range[:option]... */
    const char *colon = strchr(item->value, ':');
    size_t range_length = colon ? (size_t)(colon - item->value) : strlen(item->value);
    char range[SPACE_TEXT_MAX], low_text[SPACE_TEXT_MAX], high_text[SPACE_TEXT_MAX];
    if (!trim_copy(item->value, range_length, range, sizeof range))
        return malformed(ctx, item->text);
    const char *dots = strstr(range, "..");
    if (!dots || !trim_copy(range, (size_t)(dots - range), low_text, sizeof low_text) ||
        !trim_copy(dots + 2, strlen(dots + 2), high_text, sizeof high_text) || !low_text[0] ||
        !high_text[0] || high_text[0] == '.')
        return malformed(ctx, item->text);

    bool log_scale = false, has_step = false;
    char step_text[SPACE_TEXT_MAX] = "";
    for (const char *p = colon; p; p = strchr(p + 1, ':')) {
        const char *next = strchr(p + 1, ':');
        char option[SPACE_TEXT_MAX];
        if (!trim_copy(p + 1, next ? (size_t)(next - p - 1) : strlen(p + 1), option, sizeof option))
            return malformed(ctx, item->text);
        if (strcmp(option, "log") == 0 && !log_scale) {
            log_scale = true;
        } else if (strncmp(option, "step=", 5) == 0 && !has_step) {
            has_step = true;
            if (!trim_copy(option + 5, strlen(option + 5), step_text, sizeof step_text) ||
                !step_text[0])
                return malformed(ctx, item->text);
        } else {
            return malformed(ctx, item->text);
        }
    }

    if (spec->type == DIAL_KNOB_CHOICE || spec->type == DIAL_KNOB_BOOL) {
        char bounds[SPACE_TEXT_MAX];
        dial_knob_spec_bounds_text(spec, bounds, sizeof bounds);
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "space for '%s': expects one or more of: %s, got the range '%s'", name,
                         bounds, range);
    }
    bool integer = spec->type == DIAL_KNOB_INT;
    double low, high;
    if (integer ? !(parse_integer(low_text, &low) && parse_integer(high_text, &high))
                : !(parse_float(low_text, &low) && parse_float(high_text, &high))) {
        /* Hexadecimal, infinite and unreadable ends alike: say what the
         * knob takes, as dial_knobs_set does for one value. */
        dial_knob_spec one_value = *spec;
        one_value.list_item = NULL;
        char bounds[SPACE_TEXT_MAX];
        dial_knob_spec_bounds_text(&one_value, bounds, sizeof bounds);
        return dial_fail(ctx, DIAL_ERR_KNOB, "space for '%s': expects %s %s, got '%s'", name,
                         integer ? "decimal integers" : "finite decimal numbers", bounds, range);
    }
    if (!within_bounds(spec, low) || !within_bounds(spec, high)) {
        /* A range of a list knob searches lists of one value: give the
         * bounds of one value, not of a list. */
        dial_knob_spec one_value = *spec;
        one_value.list_item = NULL;
        char bounds[SPACE_TEXT_MAX];
        dial_knob_spec_bounds_text(&one_value, bounds, sizeof bounds);
        bool too_large =
            integer && !(fabs(low) <= SPACE_INT_LIMIT && fabs(high) <= SPACE_INT_LIMIT);
        return dial_fail(ctx, DIAL_ERR_KNOB, "space for '%s': %s is out of range: must be %s%s",
                         name, range, bounds, too_large ? " and at most 2^53 in magnitude" : "");
    }
    if (!(low < high))
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "space for '%s': %s needs low < high (for one value write %s=%s)", name,
                         range, name, low_text);
    if (log_scale && low <= 0)
        return dial_fail(ctx, DIAL_ERR_KNOB, "space for '%s': a log scale needs low > 0, got %s",
                         name, range);
    double step = 0;
    if (has_step) {
        bool ok = integer ? parse_integer(step_text, &step) : parse_float(step_text, &step);
        if (!ok || !(step > 0) || !isfinite(step))
            return dial_fail(ctx, DIAL_ERR_KNOB,
                             "space for '%s': step must be a positive %s, got '%s'", name,
                             integer ? "integer" : "number", step_text);
        if (log_scale)
            return dial_fail(ctx, DIAL_ERR_KNOB,
                             "space for '%s': a step cannot be combined with a log scale", name);
        if (step > high - low)
            return dial_fail(ctx, DIAL_ERR_KNOB,
                             "space for '%s': step %s is wider than the range %s", name, step_text,
                             range);
    }
    dial_status status = param_start(ctx, target, param);
    if (status != DIAL_OK) return status;
    param->kind = integer ? DIAL_PARAM_INT : DIAL_PARAM_FLOAT;
    param->low = low;
    param->high = high;
    param->step = step;
    param->log = log_scale;
    return DIAL_OK;
}

/* A list of values (at least one): CHOICE over their canonical texts, a
 * single value fixed. Numbers and choices alike, so `k=1,3,5` searches
 * exactly those. */
static dial_status parse_list(dial_ctx *ctx, space_target *target, const char *const *pieces,
                              size_t n, dial_param *param) {
    const dial_knob_spec *spec = target->spec;
    dial_status status = param_start(ctx, target, param);
    if (status != DIAL_OK) return status;
    param->choices = dial_calloc(ctx, n, sizeof *param->choices);
    if (!param->choices) {
        param_clear(param);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building a search space");
    }
    double number = 0;
    for (size_t i = 0; i < n; i++) {
        char canonical[SPACE_TEXT_MAX];
        status = check_value(ctx, target, pieces[i], canonical, sizeof canonical, &number);
        for (size_t j = 0; status == DIAL_OK && j < param->n_choices; j++)
            if (strcmp(param->choices[j], canonical) == 0)
                status = dial_fail(ctx, DIAL_ERR_KNOB, "space for '%s': '%s' is listed twice",
                                   spec->name, canonical);
        if (status == DIAL_OK && !(param->choices[i] = dial_strdup(ctx, canonical)))
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building a search space");
        if (status != DIAL_OK) {
            param_clear(param);
            return status;
        }
        param->n_choices = i + 1;
    }
    param->kind = DIAL_PARAM_CHOICE;
    param->low = 0;
    param->high = (double)(n - 1);
    if (n == 1) {
        param->fixed = true;
        /* One number stays a number, so the trial records 0.1, not "0.1";
         * a list of several ("128,64") stays text. */
        if ((spec->type == DIAL_KNOB_FLOAT || spec->type == DIAL_KNOB_INT) &&
            !strchr(param->choices[0], ',')) {
            for (size_t c = 0; c < param->n_choices; c++) free(param->choices[c]);
            free(param->choices);
            param->choices = NULL;
            param->n_choices = 0;
            param->kind = spec->type == DIAL_KNOB_INT ? DIAL_PARAM_INT : DIAL_PARAM_FLOAT;
            param->low = param->high = number;
        }
    }
    return DIAL_OK;
}

/* Splits text at separator and parses the pieces as a list. */
static dial_status parse_list_text(dial_ctx *ctx, space_target *target, const space_item *item,
                                   char separator, dial_param *param) {
    size_t n = 1;
    for (const char *p = item->value; *p; p++) n += *p == separator;
    char *copy = dial_strdup(ctx, item->value);
    const char **pieces = dial_malloc_array(ctx, n, sizeof *pieces);
    if (!copy || !pieces) {
        free(copy);
        free(pieces);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building a search space");
    }
    dial_status status = DIAL_OK;
    char *p = copy;
    for (size_t i = 0; i < n; i++) {
        char *cut = strchr(p, separator);
        if (cut) *cut = '\0';
        char *end = p + strlen(p);
        while (isspace((unsigned char)*p)) p++;
        while (end > p && isspace((unsigned char)end[-1])) *--end = '\0';
        if (!*p) status = malformed(ctx, item->text);
        pieces[i] = p;
        p = cut ? cut + 1 : end;
    }
    if (status == DIAL_OK) status = parse_list(ctx, target, pieces, n, param);
    free(pieces);
    free(copy);
    return status;
}

static dial_status parse_value(dial_ctx *ctx, space_target *target, const space_item *item,
                               dial_param *param) {
    if (strstr(item->value, "..")) return parse_range(ctx, target, item, param);
    /* A list knob's value has commas of its own ("128,64": two layers), so
     * its alternatives are separated by bars: hidden=64|128,64. */
    const dial_knob_spec *spec = target->spec;
    bool list_knob =
        spec->list_item && (spec->type == DIAL_KNOB_FLOAT || spec->type == DIAL_KNOB_INT);
    return parse_list_text(ctx, target, item, list_knob ? '|' : ',', param);
}

/* ---- conditions -------------------------------------------------------------------- */

/* Whether knob i's condition can hold: the knob it depends on is searched
 * over a value that satisfies it, or (outside the space) is set to one; and
 * so on up the chain. depth guards against a cycle in a faulty table. */
static bool condition_can_hold(const dial_space *space, const dial_knobs *knobs, size_t i,
                               size_t depth) {
    const char *condition = knobs->specs[i].condition;
    if (!condition || !*condition || depth > knobs->n) return true;
    const char *eq = strchr(condition, '=');
    if (!eq) return true;
    char name[SPACE_TEXT_MAX];
    if (!trim_copy(condition, (size_t)(eq - condition), name, sizeof name)) return true;
    long j = dial_knobs_find(knobs, name);
    if (j < 0) return true;
    long at = dial_space_find(space, name);
    if (at >= 0) {
        const dial_param *control = &space->params[at];
        if (control->kind != DIAL_PARAM_CHOICE) return true;
        bool any = false;
        for (size_t c = 0; c < control->n_choices && !any; c++)
            any = c >= control->low && c <= control->high &&
                  alternatives_contain(eq + 1, control->choices[c]);
        if (!any) return false;
    } else {
        char current[SPACE_TEXT_MAX];
        dial_knobs_format(knobs, (size_t)j, current, sizeof current);
        if (!alternatives_contain(eq + 1, current)) return false;
    }
    return condition_can_hold(space, knobs, (size_t)j, depth + 1);
}

/* Whether knob i's condition names knob j. */
static bool depends_on(const dial_knobs *knobs, size_t i, size_t j) {
    const char *condition = knobs->specs[i].condition;
    const char *eq = condition ? strchr(condition, '=') : NULL;
    const char *name = knobs->specs[j].name;
    return eq && (size_t)(eq - condition) == strlen(name) &&
           strncmp(condition, name, (size_t)(eq - condition)) == 0;
}

/* ---- the default space ------------------------------------------------------------- */

static bool choices_contain(const char *const *choices, const char *value) {
    for (; choices && *choices; choices++)
        if (strcmp(*choices, value) == 0) return true;
    return false;
}

static dial_status default_param(dial_ctx *ctx, const dial_knobs *knobs, size_t i,
                                 dial_param *param) {
    static const char *const bool_choices[] = {"false", "true"};
    const dial_knob_spec *spec = &knobs->specs[i];
    *param = (dial_param){0};
    switch (spec->type) {
    case DIAL_KNOB_FLOAT:
    case DIAL_KNOB_INT:
        if (!isfinite(spec->search_low) || !isfinite(spec->search_high) ||
            !(spec->search_low < spec->search_high) || (spec->log_scale && spec->search_low <= 0) ||
            (spec->type == DIAL_KNOB_INT && (spec->search_low != floor(spec->search_low) ||
                                             spec->search_high != floor(spec->search_high))))
            return dial_fail(ctx, DIAL_ERR_INTERNAL,
                             "knob table of %s: search range %g..%g%s of knob '%s' is not a valid "
                             "range",
                             knobs->model_name, spec->search_low, spec->search_high,
                             spec->log_scale ? ":log" : "", spec->name);
        param->kind = spec->type == DIAL_KNOB_INT ? DIAL_PARAM_INT : DIAL_PARAM_FLOAT;
        param->low = spec->search_low;
        param->high = spec->search_high;
        param->log = spec->log_scale;
        break;
    case DIAL_KNOB_BOOL:
    case DIAL_KNOB_CHOICE: {
        const char *const *choices = spec->type == DIAL_KNOB_BOOL ? bool_choices : spec->choices;
        /* A table may search fewer values than are valid (search_choices). */
        if (spec->type == DIAL_KNOB_CHOICE && spec->search_choices) {
            for (const char *const *c = spec->search_choices; *c; c++)
                if (!choices_contain(spec->choices, *c))
                    return dial_fail(ctx, DIAL_ERR_INTERNAL,
                                     "knob table of %s: knob '%s' searches '%s', which is not one "
                                     "of its choices",
                                     knobs->model_name, spec->name, *c);
            choices = spec->search_choices;
        }
        size_t n = 0;
        if (spec->type == DIAL_KNOB_BOOL)
            n = 2;
        else
            while (choices && choices[n]) n++;
        if (n == 0)
            return dial_fail(ctx, DIAL_ERR_INTERNAL, "knob table of %s: knob '%s' has no choices",
                             knobs->model_name, spec->name);
        param->kind = DIAL_PARAM_CHOICE;
        param->low = 0;
        param->high = (double)(n - 1);
        param->fixed = n == 1;
        if (!(param->choices = dial_calloc(ctx, n, sizeof *param->choices))) goto nomem;
        for (size_t c = 0; c < n; c++) {
            if (!(param->choices[c] = dial_strdup(ctx, choices[c]))) goto nomem;
            param->n_choices = c + 1;
        }
        break;
    }
    }
    if (!(param->name = dial_strdup(ctx, spec->name)) ||
        !(param->condition = dial_strdup(ctx, spec->condition ? spec->condition : "")))
        goto nomem;
    return DIAL_OK;
nomem:
    param_clear(param);
    return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building a search space");
}

/* Drops, until none is left, the parameters whose condition cannot hold. */
static void drop_unreachable(dial_space *space, const dial_knobs *knobs) {
    for (bool dropped = true; dropped;) {
        dropped = false;
        for (size_t i = 0; i < space->n; i++) {
            long k = dial_knobs_find(knobs, space->params[i].name);
            if (k < 0 || condition_can_hold(space, knobs, (size_t)k, 0)) continue;
            param_clear(&space->params[i]);
            memmove(&space->params[i], &space->params[i + 1],
                    (space->n - i - 1) * sizeof *space->params);
            space->n--;
            dropped = true;
            break;
        }
    }
}

dial_status dial_space_from_knobs(dial_ctx *ctx, const dial_knobs *knobs, dial_space *out) {
    *out = (dial_space){0};
    size_t n = 0;
    for (size_t i = 0; i < knobs->n; i++) n += knobs->specs[i].has_search_range;
    if (n == 0) return DIAL_OK;
    out->params = dial_calloc(ctx, n, sizeof *out->params);
    if (!out->params)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building a search space");
    for (size_t i = 0; i < knobs->n; i++) {
        if (!knobs->specs[i].has_search_range) continue;
        dial_status status = default_param(ctx, knobs, i, &out->params[out->n]);
        if (status != DIAL_OK) {
            dial_space_free(out);
            return status;
        }
        out->n++;
    }
    drop_unreachable(out, knobs);
    return DIAL_OK;
}

/* After knob `set` was put in the space, adds the knobs that depend on it
 * (and on those, in turn) with their default ranges, when they have one, are
 * not in the space yet, were not fixed by the caller (set_by_user: `-s`) and
 * their condition can now hold. */
static dial_status add_dependents(dial_ctx *ctx, dial_space *space, const dial_knobs *knobs,
                                  size_t set) {
    bool *added = dial_calloc(ctx, knobs->n, sizeof *added);
    if (!added) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building a search space");
    added[set] = true;
    dial_status status = DIAL_OK;
    for (bool more = true; more && status == DIAL_OK;) {
        more = false;
        for (size_t i = 0; i < knobs->n && status == DIAL_OK; i++) {
            if (added[i] || !knobs->specs[i].has_search_range || knobs->values[i].set_by_user ||
                dial_space_find(space, knobs->specs[i].name) >= 0)
                continue;
            bool depends = false;
            for (size_t j = 0; j < knobs->n && !depends; j++)
                depends = added[j] && depends_on(knobs, i, j);
            if (!depends || !condition_can_hold(space, knobs, i, 0)) continue;
            dial_param param;
            status = default_param(ctx, knobs, i, &param);
            if (status == DIAL_OK) status = space_put(ctx, space, &param);
            added[i] = more = true;
        }
    }
    free(added);
    return status;
}

/* ---- setting items ----------------------------------------------------------------- */

/* Parses one value for knob `name` and puts it in the space. */
static dial_status space_set_value(dial_ctx *ctx, dial_space *space, const dial_knobs *knobs,
                                   const space_item *item, const char *const *list, size_t n_list) {
    long index = dial_knobs_find(knobs, item->name);
    if (index < 0) return unknown_knob(ctx, knobs, item->name);
    space_target target = {.knobs = knobs, .index = (size_t)index, .spec = &knobs->specs[index]};
    dial_status status = dial_knobs_copy(ctx, knobs, &target.scratch);
    if (status != DIAL_OK) return status;
    dial_param param;
    status = list ? parse_list(ctx, &target, list, n_list, &param)
                  : parse_value(ctx, &target, item, &param);
    dial_knobs_free(&target.scratch);
    if (status == DIAL_OK) status = space_put(ctx, space, &param);
    if (status == DIAL_OK) status = add_dependents(ctx, space, knobs, (size_t)index);
    return status;
}

dial_status dial_space_set(dial_ctx *ctx, dial_space *space, const dial_knobs *knobs,
                           const char *item) {
    const char *eq = strchr(item, '=');
    char name[SPACE_TEXT_MAX], value[SPACE_TEXT_MAX];
    if (!eq || !trim_copy(item, (size_t)(eq - item), name, sizeof name) ||
        !trim_copy(eq + 1, strlen(eq + 1), value, sizeof value) || !name[0] || !value[0])
        return malformed(ctx, item);
    space_item parsed = {.text = item, .name = name, .value = value};
    /* Work on a copy so that a failure leaves the space as it was. */
    dial_space work;
    dial_status status = dial_space_copy(ctx, space, &work);
    if (status == DIAL_OK) status = space_set_value(ctx, &work, knobs, &parsed, NULL, 0);
    if (status != DIAL_OK) {
        dial_space_free(&work);
        return status;
    }
    dial_space_free(space);
    *space = work;
    return DIAL_OK;
}

/* ---- JSON --------------------------------------------------------------------------- */

const char *dial_space_json_type_words(const json_t *value) {
    switch (json_typeof(value)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "something else";
}

/* A scalar JSON value as the text a user would have typed. */
static bool json_scalar_text(const json_t *value, char *buf, size_t size) {
    if (json_is_string(value)) {
        snprintf(buf, size, "%s", json_string_value(value));
    } else if (json_is_integer(value)) {
        snprintf(buf, size, "%lld", (long long)json_integer_value(value));
    } else if (json_is_real(value)) {
        dial_format_shortest(json_real_value(value), buf, size);
    } else if (json_is_boolean(value)) {
        snprintf(buf, size, "%s", json_is_true(value) ? "true" : "false");
    } else {
        return false;
    }
    return true;
}

/* An array of numbers as the text of a list knob's value: "128,64". */
static void json_list_text(const json_t *array, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < json_array_size(array); k++) {
        char number[64];
        json_scalar_text(json_array_get(array, k), number, sizeof number);
        if (k) append(buf, size, &used, ",");
        append(buf, size, &used, number);
    }
}

static dial_status json_bad_value(dial_ctx *ctx, const char *name, const json_t *value) {
    return dial_fail(ctx, DIAL_ERR_KNOB,
                     "space for '%s': expected \"low..high[:log][:step=S]\", [low, high], a list "
                     "of values or one value, got %s",
                     name, dial_space_json_type_words(value));
}

static dial_status json_set_one(dial_ctx *ctx, dial_space *space, const dial_knobs *knobs,
                                const char *name, const json_t *value) {
    char text[SPACE_TEXT_MAX], item_text[2 * SPACE_TEXT_MAX];
    space_item item = {.text = item_text, .name = name, .value = text};
    if (json_is_string(value) || json_is_number(value) || json_is_boolean(value)) {
        json_scalar_text(value, text, sizeof text);
        char trimmed[SPACE_TEXT_MAX];
        trim_copy(text, strlen(text), trimmed, sizeof trimmed);
        snprintf(item_text, sizeof item_text, "%s=%s", name, text);
        if (!trimmed[0]) return malformed(ctx, item_text);
        item.value = trimmed;
        return space_set_value(ctx, space, knobs, &item, NULL, 0);
    }
    if (!json_is_array(value)) return json_bad_value(ctx, name, value);
    size_t n = json_array_size(value), numbers = 0;
    if (n == 0) return dial_fail(ctx, DIAL_ERR_KNOB, "space for '%s': the list is empty", name);
    long index = dial_knobs_find(knobs, name);
    const dial_knob_spec *spec = index >= 0 ? &knobs->specs[index] : NULL;
    bool list_knob =
        spec && spec->list_item && (spec->type == DIAL_KNOB_FLOAT || spec->type == DIAL_KNOB_INT);
    for (size_t i = 0; i < n; i++) {
        const json_t *element = json_array_get(value, i);
        /* A list knob's value may itself be a list: [[64], [128, 64]]. */
        if (list_knob && json_is_array(element)) {
            for (size_t k = 0; k < json_array_size(element); k++)
                if (!json_is_number(json_array_get(element, k)))
                    return dial_fail(ctx, DIAL_ERR_KNOB,
                                     "space for '%s': each %s of a list is a number, got %s", name,
                                     spec->list_item,
                                     dial_space_json_type_words(json_array_get(element, k)));
            continue;
        }
        if (!json_is_string(element) && !json_is_number(element) && !json_is_boolean(element))
            return json_bad_value(ctx, name, element);
        numbers += json_is_number(element);
    }
    if (numbers == n) {
        /* Numbers are a range; choices among numbers are written as text
         * ("1,3,5") so that [1, 50] cannot be misread as two choices. */
        if (n != 2)
            return dial_fail(ctx, DIAL_ERR_KNOB,
                             "space for '%s': a list of numbers is a range [low, high], got %zu "
                             "numbers; write a list of values as text, as in \"1,3,5\"",
                             name, n);
        char low[64], high[64];
        json_scalar_text(json_array_get(value, 0), low, sizeof low);
        json_scalar_text(json_array_get(value, 1), high, sizeof high);
        snprintf(text, sizeof text, "%s..%s", low, high);
        snprintf(item_text, sizeof item_text, "%s=%s", name, text);
        return space_set_value(ctx, space, knobs, &item, NULL, 0);
    }
    char(*pieces)[SPACE_TEXT_MAX] = dial_malloc_array(ctx, n, sizeof *pieces);
    const char **list = dial_malloc_array(ctx, n, sizeof *list);
    if (!pieces || !list) {
        free(pieces);
        free(list);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading a search space");
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *element = json_array_get(value, i);
        if (json_is_array(element))
            json_list_text(element, pieces[i], sizeof pieces[i]);
        else
            json_scalar_text(element, pieces[i], sizeof pieces[i]);
        list[i] = pieces[i];
    }
    snprintf(item_text, sizeof item_text, "%s=[...]", name);
    dial_status status = space_set_value(ctx, space, knobs, &item, list, n);
    free(pieces);
    free(list);
    return status;
}

dial_status dial_space_set_json(dial_ctx *ctx, dial_space *space, const dial_knobs *knobs,
                                const char *json_text) {
    json_error_t error;
    json_t *root = json_loads(json_text ? json_text : "", JSON_REJECT_DUPLICATES, &error);
    if (!root)
        return dial_fail(ctx, DIAL_ERR_KNOB, "bad space JSON at line %d, column %d: %s", error.line,
                         error.column, error.text);
    if (!json_is_object(root)) {
        dial_status status =
            dial_fail(ctx, DIAL_ERR_KNOB,
                      "bad space JSON: expected an object such as {\"C\": \"1e-3..1e3:log\"}, "
                      "got %s",
                      dial_space_json_type_words(root));
        json_decref(root);
        return status;
    }
    dial_space work;
    dial_status status = dial_space_copy(ctx, space, &work);
    const char *name;
    json_t *value;
    json_object_foreach(root, name, value) {
        if (status != DIAL_OK) break;
        status = json_set_one(ctx, &work, knobs, name, value);
    }
    json_decref(root);
    if (status != DIAL_OK) {
        dial_space_free(&work);
        return status;
    }
    dial_space_free(space);
    *space = work;
    return DIAL_OK;
}

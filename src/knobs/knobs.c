/*
 * Knob values of one model: parsing from text, validation against the
 * model's spec table, conditions between knobs, and formatting.
 *
 * Every message names the knob, the value the user gave and what would have
 * been valid, because that is what a user needs to fix a command line.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/text.h"
#include "dial/knobs.h"

/* Orders mirror dial_impute and dial_scale in data/preprocess.h. */
const char *const dial_impute_choices[] = {"mean", "median", "most_frequent", "none", NULL};
const char *const dial_scale_choices[] = {"none", "standard", "minmax", "maxabs", NULL};

/* Longest knob value, condition value or name we accept from text. */
#define KNOB_TEXT_MAX 256
#define KNOB_MESSAGE_MAX 1024

const char *dial_knob_type_name(dial_knob_type type) {
    switch (type) {
    case DIAL_KNOB_FLOAT: return "float";
    case DIAL_KNOB_INT: return "int";
    case DIAL_KNOB_BOOL: return "bool";
    case DIAL_KNOB_CHOICE: return "choice";
    }
    return "unknown";
}

/* ---- small text helpers ------------------------------------------------ */

static size_t choice_count(const dial_knob_spec *spec) {
    size_t n = 0;
    if (spec->choices)
        while (spec->choices[n]) n++;
    return n;
}

/* Appends text to buf (always NUL-terminated, silently truncated). */
static void append(char *buf, size_t size, size_t *used, const char *text) {
    if (*used >= size) return;
    int written = snprintf(buf + *used, size - *used, "%s", text);
    if (written < 0) return;
    *used += (size_t)written;
    if (*used >= size) *used = size - 1;
}

static void list_choices(const dial_knob_spec *spec, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t c = 0; spec->choices && spec->choices[c]; c++) {
        if (c) append(buf, size, &used, ", ");
        append(buf, size, &used, spec->choices[c]);
    }
}

/* Copies text without its leading and trailing blanks into out. */
static void trim_copy(const char *text, size_t length, char *out, size_t size) {
    while (length && isspace((unsigned char)*text)) {
        text++;
        length--;
    }
    while (length && isspace((unsigned char)text[length - 1])) length--;
    if (length >= size) length = size - 1;
    memcpy(out, text, length);
    out[length] = '\0';
}

static bool equal_ignoring_case(const char *a, const char *b) {
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
    return *a == *b;
}

/* ---- bounds ------------------------------------------------------------ */

/* The bounds of one number of the spec: "> 0", "in [0, 1]", "any". */
static void number_bounds_text(const dial_knob_spec *spec, char *buf, size_t size) {
    bool has_lower = isfinite(spec->lower), has_upper = isfinite(spec->upper);
    if (has_lower && has_upper)
        snprintf(buf, size, "in %c%g, %g%c", spec->lower_open ? '(' : '[', spec->lower, spec->upper,
                 spec->upper_open ? ')' : ']');
    else if (has_lower)
        snprintf(buf, size, "%s %g", spec->lower_open ? ">" : ">=", spec->lower);
    else if (has_upper)
        snprintf(buf, size, "%s %g", spec->upper_open ? "<" : "<=", spec->upper);
    else
        snprintf(buf, size, "any");
}

static bool is_list(const dial_knob_spec *spec) {
    return spec->list_item != NULL &&
           (spec->type == DIAL_KNOB_FLOAT || spec->type == DIAL_KNOB_INT);
}

void dial_knob_spec_bounds_text(const dial_knob_spec *spec, char *buf, size_t size) {
    if (!size) return;
    if (is_list(spec)) {
        char each[128];
        number_bounds_text(spec, each, sizeof each);
        snprintf(buf, size, "1 to %d %ss, each %s", DIAL_KNOB_LIST_MAX, spec->list_item, each);
        return;
    }
    if (spec->type == DIAL_KNOB_CHOICE) {
        list_choices(spec, buf, size);
        return;
    }
    if (spec->type == DIAL_KNOB_BOOL) {
        snprintf(buf, size, "true, false");
        return;
    }
    number_bounds_text(spec, buf, size);
    if (spec->special_word) {
        size_t used = strlen(buf);
        snprintf(buf + used, size > used ? size - used : 0, " or %s", spec->special_word);
    }
}

/* Whether a number lies within the spec's bounds. An infinite value is valid
 * only against an infinite, closed bound on its side (e.g. p in [1, inf]):
 * an open or absent bound means the value must stay finite. */
static bool within_bounds(const dial_knob_spec *spec, double v) {
    if (isnan(v)) return false;
    if (spec->lower_open ? !(v > spec->lower) : !(v >= spec->lower)) return false;
    if (spec->upper_open ? !(v < spec->upper) : !(v <= spec->upper)) return false;
    return true;
}

/* ---- parsing ------------------------------------------------------------ */

/* Integers are kept in a double, exact up to 2^53. */
#define KNOB_INT_LIMIT 9007199254740992.0

/* Checks number against the spec's bounds; value_text is what the user wrote
 * (for a list knob, the whole list). On failure writes the message into why. */
static dial_status check_range(const dial_knob_spec *spec, double number, const char *value_text,
                               char *why, size_t why_size) {
    bool too_large = spec->type == DIAL_KNOB_INT && !(fabs(number) <= KNOB_INT_LIMIT);
    if (within_bounds(spec, number) && !too_large) return DIAL_OK;
    char bounds[128];
    number_bounds_text(spec, bounds, sizeof bounds);
    /* An infinite value past an infinite, open bound breaks no finite bound:
     * say what is wrong with it. */
    bool infinite_past_open_end = isinf(number) && isinf(number > 0 ? spec->upper : spec->lower);
    const char *extra = too_large                ? "at most 2^53 in magnitude"
                        : infinite_past_open_end ? "finite"
                                                 : NULL;
    if (is_list(spec)) {
        bool no_bound = strcmp(bounds, "any") == 0;
        snprintf(why, why_size, "knob '%s' = '%s' is out of range: each %s must be %s%s%s",
                 spec->name, value_text, spec->list_item, no_bound ? "" : bounds,
                 extra && !no_bound ? " and " : "", extra ? extra : "");
        return DIAL_ERR_KNOB;
    }
    if (!extra)
        snprintf(why, why_size, "knob '%s' = %s is out of range: must be %s", spec->name,
                 value_text, bounds);
    else if (strcmp(bounds, "any") == 0)
        snprintf(why, why_size, "knob '%s' = %s is out of range: must be %s", spec->name,
                 value_text, extra);
    else
        snprintf(why, why_size, "knob '%s' = %s is out of range: must be %s and %s", spec->name,
                 value_text, bounds, extra);
    return DIAL_ERR_KNOB;
}

static bool parse_bool(const char *text, double *out) {
    static const char *const yes[] = {"true", "1", "yes"};
    static const char *const no[] = {"false", "0", "no"};
    for (size_t i = 0; i < 3; i++) {
        if (equal_ignoring_case(text, yes[i])) {
            *out = 1;
            return true;
        }
        if (equal_ignoring_case(text, no[i])) {
            *out = 0;
            return true;
        }
    }
    return false;
}

/* Whether text looks like C's hexadecimal notation ("0x1p3", "0x10"), which
 * the number parsers refuse: the message then says so and gives the range,
 * since "expects a number" would puzzle someone who wrote one. */
static bool written_in_hex(const char *text) {
    const char *p = text + (*text == '+' || *text == '-');
    return p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
}

static dial_status refuse_hex(const dial_knob_spec *spec, const char *value_text, char *why,
                              size_t why_size) {
    char bounds[128];
    number_bounds_text(spec, bounds, sizeof bounds);
    bool no_bound = strcmp(bounds, "any") == 0;
    const char *kind = spec->type == DIAL_KNOB_INT ? "integer" : "number";
    if (is_list(spec))
        snprintf(why, why_size,
                 "knob '%s' = '%s' is written in hexadecimal: each %s must be a "
                 "decimal %s%s%s",
                 spec->name, value_text, spec->list_item, kind, no_bound ? "" : " ",
                 no_bound ? "" : bounds);
    else
        snprintf(why, why_size,
                 "knob '%s' = %s is written in hexadecimal: must be a decimal %s%s%s", spec->name,
                 value_text, kind, no_bound ? "" : " ", no_bound ? "" : bounds);
    return DIAL_ERR_KNOB;
}

/* Parses text (already trimmed) as a value of spec into *out; on failure
 * writes the user-facing message into why. */
static dial_status parse_value(const dial_knob_spec *spec, const char *text, double *out, char *why,
                               size_t why_size) {
    double v = 0;
    switch (spec->type) {
    case DIAL_KNOB_FLOAT:
        if (spec->special_word && strcmp(text, spec->special_word) == 0) {
            *out = spec->special_value;
            return DIAL_OK;
        }
        if (!dial_parse_real(text, &v)) {
            if (written_in_hex(text)) return refuse_hex(spec, text, why, why_size);
            if (spec->special_word)
                snprintf(why, why_size, "knob '%s' expects a number or '%s', got '%s'", spec->name,
                         spec->special_word, text);
            else
                snprintf(why, why_size, "knob '%s' expects a number, got '%s'", spec->name, text);
            return DIAL_ERR_KNOB;
        }
        break;
    case DIAL_KNOB_INT: {
        bool overflow = false;
        if (!dial_parse_integer(text, &v, &overflow)) {
            if (written_in_hex(text)) return refuse_hex(spec, text, why, why_size);
            snprintf(why, why_size, "knob '%s' expects an integer, got '%s'", spec->name, text);
            return DIAL_ERR_KNOB;
        }
        if (overflow) v = text[0] == '-' ? -INFINITY : INFINITY;
        break;
    }
    case DIAL_KNOB_BOOL:
        if (!parse_bool(text, &v)) {
            snprintf(why, why_size, "knob '%s' expects true or false, got '%s'", spec->name, text);
            return DIAL_ERR_KNOB;
        }
        *out = v;
        return DIAL_OK;
    case DIAL_KNOB_CHOICE: {
        size_t n = choice_count(spec);
        for (size_t c = 0; c < n; c++)
            if (strcmp(spec->choices[c], text) == 0) {
                *out = (double)c;
                return DIAL_OK;
            }
        char choices[512];
        list_choices(spec, choices, sizeof choices);
        snprintf(why, why_size, "knob '%s' = '%s' is not one of: %s", spec->name, text, choices);
        return DIAL_ERR_KNOB;
    }
    default:
        snprintf(why, why_size, "knob '%s' has an unknown type %d", spec->name, (int)spec->type);
        return DIAL_ERR_INTERNAL;
    }
    dial_status status = check_range(spec, v, text, why, why_size);
    if (status == DIAL_OK) *out = v;
    return status;
}

/* Parses a list knob's text ("128,64") into out: every value must parse as
 * the spec's type and lie within its bounds. On failure writes the message
 * into why. */
static dial_status parse_list(const dial_knob_spec *spec, const char *text, dial_knob_value *out,
                              char *why, size_t why_size) {
    size_t count = 1;
    for (const char *p = text; *p; p++) count += *p == ',';
    if (count > DIAL_KNOB_LIST_MAX) {
        snprintf(why, why_size, "knob '%s' = '%s' has %zu %ss: at most %d", spec->name, text, count,
                 spec->list_item, DIAL_KNOB_LIST_MAX);
        return DIAL_ERR_KNOB;
    }
    bool integer = spec->type == DIAL_KNOB_INT;
    const char *p = text;
    for (size_t n = 0; n < count; n++) {
        const char *comma = strchr(p, ',');
        size_t length = comma ? (size_t)(comma - p) : strlen(p);
        char item[KNOB_TEXT_MAX];
        trim_copy(p, length, item, sizeof item);
        double v = 0;
        bool overflow = false;
        if (integer ? !dial_parse_integer(item, &v, &overflow) : !dial_parse_real(item, &v)) {
            if (written_in_hex(item)) return refuse_hex(spec, text, why, why_size);
            snprintf(why, why_size, "knob '%s' expects %s separated by commas, got '%s'",
                     spec->name, integer ? "integers" : "numbers", text);
            return DIAL_ERR_KNOB;
        }
        if (overflow) v = item[0] == '-' ? -INFINITY : INFINITY;
        dial_status status = check_range(spec, v, text, why, why_size);
        if (status != DIAL_OK) return status;
        out->items[n] = v;
        p = comma ? comma + 1 : p + length;
    }
    out->n_items = count;
    out->number = out->items[0];
    return DIAL_OK;
}

/* Parses text (already trimmed) as the value of any knob into *out, leaving
 * its set_by_user alone. */
static dial_status parse_knob(const dial_knob_spec *spec, const char *text, dial_knob_value *out,
                              char *why, size_t why_size) {
    if (is_list(spec)) return parse_list(spec, text, out, why, why_size);
    double v = 0;
    dial_status status = parse_value(spec, text, &v, why, why_size);
    if (status != DIAL_OK) return status;
    out->number = v;
    out->n_items = 0;
    return DIAL_OK;
}

/* Validates a number given directly (no text): the same rules as text. */
static dial_status check_number(const dial_knob_spec *spec, double v, char *why, size_t why_size) {
    char text[64];
    dial_format_shortest(v, text, sizeof text);
    switch (spec->type) {
    case DIAL_KNOB_FLOAT:
        if (isnan(v)) {
            snprintf(why, why_size, "knob '%s' expects a number, got '%s'", spec->name, text);
            return DIAL_ERR_KNOB;
        }
        return check_range(spec, v, text, why, why_size);
    case DIAL_KNOB_INT:
        if (isnan(v) || (isfinite(v) && v != floor(v))) {
            snprintf(why, why_size, "knob '%s' expects an integer, got '%s'", spec->name, text);
            return DIAL_ERR_KNOB;
        }
        return check_range(spec, v, text, why, why_size);
    case DIAL_KNOB_BOOL:
        if (v != 0 && v != 1) {
            snprintf(why, why_size, "knob '%s' expects true or false, got '%s'", spec->name, text);
            return DIAL_ERR_KNOB;
        }
        return DIAL_OK;
    case DIAL_KNOB_CHOICE: {
        size_t n = choice_count(spec);
        if (!(v >= 0 && v < (double)n && v == floor(v))) {
            char choices[512];
            list_choices(spec, choices, sizeof choices);
            snprintf(why, why_size,
                     "knob '%s' choice index %s is out of range: must be an integer in [0, %zu] "
                     "(%s)",
                     spec->name, text, n ? n - 1 : 0, choices);
            return DIAL_ERR_KNOB;
        }
        return DIAL_OK;
    }
    }
    snprintf(why, why_size, "knob '%s' has an unknown type %d", spec->name, (int)spec->type);
    return DIAL_ERR_INTERNAL;
}

/* ---- conditions ---------------------------------------------------------- */

const char *dial_knob_condition_split(const char *condition, char *name, size_t size) {
    if (size) name[0] = '\0';
    const char *eq = condition ? strchr(condition, '=') : NULL;
    if (!eq || eq == condition || !eq[1]) return NULL;
    size_t length = (size_t)(eq - condition);
    if (length >= size) return NULL;
    memcpy(name, condition, length);
    name[length] = '\0';
    return eq + 1;
}

/* A condition split into the controlling knob's name and the
 * alternatives. Returns false when it is malformed. */
typedef struct knob_condition {
    char name[KNOB_TEXT_MAX];
    const char *values; /* "v1|v2" inside the spec's condition string */
} knob_condition;

static bool condition_split(const char *condition, knob_condition *out) {
    out->values = dial_knob_condition_split(condition, out->name, sizeof out->name);
    return out->values != NULL;
}

/* Whether value appears among the '|'-separated alternatives. */
static bool alternatives_contain(const char *alternatives, const char *value) {
    size_t length = strlen(value);
    const char *p = alternatives;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        if (n == length && strncmp(p, value, n) == 0) return true;
        if (!bar) return false;
        p = bar + 1;
    }
}

/* Active when the condition holds and the knob it depends on is itself
 * active; depth guards against a cycle in a faulty table. */
static bool knob_active(const dial_knobs *knobs, size_t i, size_t depth) {
    const char *condition = knobs->specs[i].condition;
    if (!condition || !*condition) return true;
    if (depth > knobs->n) return true;
    knob_condition parsed;
    if (!condition_split(condition, &parsed)) return true;
    long j = dial_knobs_find(knobs, parsed.name);
    if (j < 0) return true;
    char current[KNOB_TEXT_MAX]; /* "l2", "true": the text a condition names */
    dial_knobs_format(knobs, (size_t)j, current, sizeof current);
    if (!alternatives_contain(parsed.values, current)) return false;
    return knob_active(knobs, (size_t)j, depth + 1);
}

bool dial_knobs_active(const dial_knobs *knobs, size_t i) {
    if (i >= knobs->n) return false;
    return knob_active(knobs, i, 0);
}

/* A condition must name another CHOICE or BOOL knob of the table and only
 * values that knob can take; anything else is a bug in the table. */
static dial_status condition_validate(dial_ctx *ctx, const dial_knobs *knobs, size_t i) {
    const dial_knob_spec *spec = &knobs->specs[i];
    if (!spec->condition || !*spec->condition) return DIAL_OK;
    knob_condition parsed;
    if (!condition_split(spec->condition, &parsed))
        return dial_fail(ctx, DIAL_ERR_INTERNAL,
                         "knob table of %s: condition '%s' of knob '%s' is not knob=value",
                         knobs->model_name, spec->condition, spec->name);
    long j = dial_knobs_find(knobs, parsed.name);
    if (j < 0 || (size_t)j == i)
        return dial_fail(ctx, DIAL_ERR_INTERNAL,
                         "knob table of %s: condition '%s' of knob '%s' names no other knob",
                         knobs->model_name, spec->condition, spec->name);
    const dial_knob_spec *controller = &knobs->specs[j];
    if (controller->type != DIAL_KNOB_CHOICE && controller->type != DIAL_KNOB_BOOL)
        return dial_fail(ctx, DIAL_ERR_INTERNAL,
                         "knob table of %s: condition '%s' of knob '%s' depends on %s knob '%s'; "
                         "conditions need a choice or bool knob",
                         knobs->model_name, spec->condition, spec->name,
                         dial_knob_type_name(controller->type), controller->name);
    const char *p = parsed.values;
    for (;;) {
        const char *bar = strchr(p, '|');
        size_t n = bar ? (size_t)(bar - p) : strlen(p);
        char alternative[KNOB_TEXT_MAX];
        trim_copy(p, n, alternative, sizeof alternative);
        double ignored;
        char why[KNOB_MESSAGE_MAX];
        bool ok = controller->type == DIAL_KNOB_CHOICE
                      ? parse_value(controller, alternative, &ignored, why, sizeof why) == DIAL_OK
                      : (strcmp(alternative, "true") == 0 || strcmp(alternative, "false") == 0);
        if (!ok || n != strlen(alternative))
            return dial_fail(ctx, DIAL_ERR_INTERNAL,
                             "knob table of %s: condition '%s' of knob '%s' names value '%s', "
                             "which knob '%s' cannot take",
                             knobs->model_name, spec->condition, spec->name, alternative,
                             controller->name);
        if (!bar) break;
        p = bar + 1;
    }
    return DIAL_OK;
}

/* ---- life cycle ------------------------------------------------------------ */

dial_status dial_knobs_init(dial_ctx *ctx, const char *model_name, const dial_knob_spec *specs,
                            size_t n, dial_knobs *knobs) {
    *knobs = (dial_knobs){.model_name = model_name, .specs = specs, .n = n};
    knobs->values = dial_calloc(ctx, n ? n : 1, sizeof *knobs->values);
    if (!knobs->values)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the knobs of %s", model_name);
    for (size_t i = 0; i < n; i++) {
        char text[KNOB_TEXT_MAX], why[KNOB_MESSAGE_MAX];
        const char *default_text = specs[i].default_text ? specs[i].default_text : "";
        trim_copy(default_text, strlen(default_text), text, sizeof text);
        if (specs[i].list_item && !is_list(&specs[i])) {
            dial_knobs_free(knobs);
            return dial_fail(ctx, DIAL_ERR_INTERNAL,
                             "knob table of %s: knob '%s' is a list of %s values; a list holds "
                             "float or int values",
                             model_name, specs[i].name, dial_knob_type_name(specs[i].type));
        }
        dial_status status = parse_knob(&specs[i], text, &knobs->values[i], why, sizeof why);
        if (status != DIAL_OK) {
            dial_knobs_free(knobs);
            return dial_fail(ctx, DIAL_ERR_INTERNAL, "knob table of %s: bad default: %s",
                             model_name, why);
        }
    }
    for (size_t i = 0; i < n; i++) {
        dial_status status = condition_validate(ctx, knobs, i);
        if (status != DIAL_OK) {
            dial_knobs_free(knobs);
            return status;
        }
    }
    return DIAL_OK;
}

void dial_knobs_free(dial_knobs *knobs) {
    if (!knobs) return;
    free(knobs->values);
    knobs->values = NULL;
    knobs->n = 0;
}

dial_status dial_knobs_copy(dial_ctx *ctx, const dial_knobs *from, dial_knobs *to) {
    dial_knob_value *values = dial_malloc(ctx, (from->n ? from->n : 1) * sizeof *values);
    if (!values)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory copying the knobs of %s",
                         from->model_name);
    if (from->n) memcpy(values, from->values, from->n * sizeof *values);
    *to = *from;
    to->values = values;
    return DIAL_OK;
}

long dial_knobs_find(const dial_knobs *knobs, const char *name) {
    for (size_t i = 0; i < knobs->n; i++)
        if (strcmp(knobs->specs[i].name, name) == 0) return (long)i;
    return -1;
}

/* ---- setting ------------------------------------------------------------------ */

static dial_status unknown_knob(dial_ctx *ctx, const dial_knobs *knobs, const char *name) {
    const char **names = dial_malloc(ctx, (knobs->n ? knobs->n : 1) * sizeof *names);
    if (!names) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < knobs->n; i++) names[i] = knobs->specs[i].name;
    const char *closest = dial_closest_name(name, names, knobs->n);
    free(names);
    if (closest)
        return dial_fail(ctx, DIAL_ERR_KNOB, "unknown knob '%s' for %s; did you mean '%s'?", name,
                         knobs->model_name, closest);
    char list[KNOB_MESSAGE_MAX / 2];
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

dial_status dial_knobs_set(dial_ctx *ctx, dial_knobs *knobs, const char *name, const char *text) {
    long i = dial_knobs_find(knobs, name);
    if (i < 0) return unknown_knob(ctx, knobs, name);
    char trimmed[KNOB_TEXT_MAX], why[KNOB_MESSAGE_MAX];
    trim_copy(text, strlen(text), trimmed, sizeof trimmed);
    dial_knob_value value = {0};
    dial_status status = parse_knob(&knobs->specs[i], trimmed, &value, why, sizeof why);
    if (status != DIAL_OK) return dial_fail(ctx, status, "%s", why);
    value.set_by_user = true;
    knobs->values[i] = value;
    return DIAL_OK;
}

dial_status dial_knobs_set_assignment(dial_ctx *ctx, dial_knobs *knobs, const char *assignment) {
    const char *eq = strchr(assignment, '=');
    char name[KNOB_TEXT_MAX];
    if (eq) trim_copy(assignment, (size_t)(eq - assignment), name, sizeof name);
    if (!eq || !name[0])
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "knob setting '%s' for %s is not of the form name=value", assignment,
                         knobs->model_name);
    return dial_knobs_set(ctx, knobs, name, eq + 1);
}

dial_status dial_knobs_set_number(dial_ctx *ctx, dial_knobs *knobs, const char *name,
                                  double value) {
    long i = dial_knobs_find(knobs, name);
    if (i < 0) return unknown_knob(ctx, knobs, name);
    char why[KNOB_MESSAGE_MAX];
    dial_status status = check_number(&knobs->specs[i], value, why, sizeof why);
    if (status != DIAL_OK) return dial_fail(ctx, status, "%s", why);
    knobs->values[i].number = value;
    knobs->values[i].set_by_user = true;
    if (is_list(&knobs->specs[i])) {
        knobs->values[i].items[0] = value;
        knobs->values[i].n_items = 1;
    }
    return DIAL_OK;
}

dial_status dial_knobs_set_list(dial_ctx *ctx, dial_knobs *knobs, const char *name,
                                const double *items, size_t n) {
    long i = dial_knobs_find(knobs, name);
    if (i < 0) return unknown_knob(ctx, knobs, name);
    const dial_knob_spec *spec = &knobs->specs[i];
    if (!is_list(spec))
        return dial_fail(ctx, DIAL_ERR_KNOB, "knob '%s' of %s takes one value, not a list",
                         spec->name, knobs->model_name);
    if (n == 0 || n > DIAL_KNOB_LIST_MAX)
        return dial_fail(ctx, DIAL_ERR_KNOB, "knob '%s' has %zu %ss: it takes 1 to %d", spec->name,
                         n, spec->list_item, DIAL_KNOB_LIST_MAX);
    dial_knob_value value = {.set_by_user = true, .n_items = n};
    for (size_t k = 0; k < n; k++) {
        char why[KNOB_MESSAGE_MAX];
        dial_status status = check_number(spec, items[k], why, sizeof why);
        if (status != DIAL_OK) return dial_fail(ctx, status, "%s", why);
        value.items[k] = items[k];
    }
    value.number = items[0];
    knobs->values[i] = value;
    return DIAL_OK;
}

dial_status dial_knobs_check(dial_ctx *ctx, const dial_knobs *knobs) {
    for (size_t i = 0; i < knobs->n; i++)
        if (knobs->values[i].set_by_user && !dial_knobs_active(knobs, i))
            return dial_fail(ctx, DIAL_ERR_KNOB, "knob '%s' is inactive: it applies only when %s",
                             knobs->specs[i].name, knobs->specs[i].condition);
    return DIAL_OK;
}

/* ---- getters and formatting ------------------------------------------------------ */

double dial_knobs_float(const dial_knobs *knobs, const char *name) {
    long i = dial_knobs_find(knobs, name);
    return i < 0 ? 0 : knobs->values[i].number;
}

long dial_knobs_int(const dial_knobs *knobs, const char *name) {
    long i = dial_knobs_find(knobs, name);
    return i < 0 ? 0 : (long)knobs->values[i].number;
}

bool dial_knobs_bool(const dial_knobs *knobs, const char *name) {
    long i = dial_knobs_find(knobs, name);
    return i >= 0 && knobs->values[i].number != 0;
}

const char *dial_knobs_choice(const dial_knobs *knobs, const char *name) {
    long i = dial_knobs_find(knobs, name);
    if (i < 0 || knobs->specs[i].type != DIAL_KNOB_CHOICE) return "";
    double index = knobs->values[i].number;
    if (!(index >= 0 && index < (double)choice_count(&knobs->specs[i]))) return "";
    return knobs->specs[i].choices[(size_t)index];
}

size_t dial_knobs_list(const dial_knobs *knobs, const char *name, const double **items) {
    long i = dial_knobs_find(knobs, name);
    *items = NULL;
    if (i < 0) return 0;
    const dial_knob_value *value = &knobs->values[i];
    if (!is_list(&knobs->specs[i]) || value->n_items == 0) {
        *items = &value->number;
        return 1;
    }
    *items = value->items;
    return value->n_items;
}

/* Writes a list knob's values joined by commas. */
static void format_list(const dial_knob_spec *spec, const dial_knob_value *value, char *buf,
                        size_t size) {
    size_t used = 0;
    size_t n = value->n_items ? value->n_items : 1;
    for (size_t k = 0; k < n; k++) {
        char item[64];
        double v = value->n_items ? value->items[k] : value->number;
        if (spec->type == DIAL_KNOB_INT)
            snprintf(item, sizeof item, "%.0f", v);
        else
            dial_format_shortest(v, item, sizeof item);
        if (k) append(buf, size, &used, ",");
        append(buf, size, &used, item);
    }
}

void dial_knobs_format(const dial_knobs *knobs, size_t i, char *buf, size_t size) {
    if (!size) return;
    buf[0] = '\0';
    if (i >= knobs->n) return;
    const dial_knob_spec *spec = &knobs->specs[i];
    double v = knobs->values[i].number;
    if (is_list(spec)) {
        format_list(spec, &knobs->values[i], buf, size);
        return;
    }
    switch (spec->type) {
    case DIAL_KNOB_FLOAT:
        if (spec->special_word && v == spec->special_value)
            snprintf(buf, size, "%s", spec->special_word);
        else
            dial_format_shortest(v, buf, size);
        break;
    case DIAL_KNOB_INT: snprintf(buf, size, "%.0f", v); break;
    case DIAL_KNOB_BOOL: snprintf(buf, size, "%s", v != 0 ? "true" : "false"); break;
    case DIAL_KNOB_CHOICE:
        if (v >= 0 && v < (double)choice_count(spec))
            snprintf(buf, size, "%s", spec->choices[(size_t)v]);
        break;
    }
}

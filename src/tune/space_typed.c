/*
 * Typed search spaces: the parameters of a study that tunes a program
 * rather than one of dial's models. With no knob table to consult, each
 * parameter carries its type in its own text
 *   x=float:-5..10   lr=float:1e-5..1e-1:log   n=int:1..8   opt=adam,sgd
 * read here from a --space item (dial_space_add_typed) or a --space-file
 * member (dial_space_add_typed_json, which adds conditions: "when":
 * "opt=sgd"), and written back as canonical JSON that reads back to the
 * same space, bit for bit (dial_space_typed_json), so a study can record
 * its space and a later run that gives none can reuse it.
 *
 * A parameter's name becomes a shell variable in `dial ask` and an
 * environment variable in `dial run`, hence the rules on names; a
 * categorical value reaches a program byte for byte as one argument, hence
 * no trimming and no quoting rules beyond "no comma". Every message begins
 * with where the mistake is ("space item 'ITEM': " or "FILE: parameter
 * 'NAME': ") and says what would be valid, so a bad space fails before
 * the first trial with one line the user can act on.
 */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/text.h"
#include "dial/tune.h"
#include "tune/space_json.h"

/* Shell and environment variable names; 64 is plenty and keeps messages short. */
#define TYPED_NAME_MAX 64
/* The longest piece of an item quoted in a message. */
#define TYPED_QUOTE_MAX 300
#define TYPED_PREFIX_MAX (TYPED_QUOTE_MAX + 160)
#define TYPED_USAGE \
    "NAME=float:LOW..HIGH[:log][:step=S], NAME=int:LOW..HIGH[:log][:step=S] or NAME=a,b,c"

/* ---- owning parameters ------------------------------------------------------ */

static void typed_param_clear(dial_param *param) {
    free(param->name);
    for (size_t c = 0; param->choices && c < param->n_choices; c++) free(param->choices[c]);
    free(param->choices);
    free(param->condition);
    *param = (dial_param){0};
}

static dial_status typed_nomem(dial_ctx *ctx) {
    return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory building a search space");
}

/* Puts param (whose fields the space takes over) in place of the one of the
 * same name, or at the end. On failure param is cleared, the space unchanged. */
static dial_status typed_put(dial_ctx *ctx, dial_space *space, dial_param *param) {
    long at = dial_space_find(space, param->name);
    if (at >= 0) {
        typed_param_clear(&space->params[at]);
        space->params[at] = *param;
        *param = (dial_param){0};
        return DIAL_OK;
    }
    dial_param *params =
        dial_realloc_array(ctx, space->params, space->n + 1, sizeof *space->params);
    if (!params) {
        typed_param_clear(param);
        return typed_nomem(ctx);
    }
    space->params = params;
    space->params[space->n++] = *param;
    *param = (dial_param){0};
    return DIAL_OK;
}

/* ---- messages --------------------------------------------------------------- */

/* Fails with prefix (where the mistake is) followed by the formatted words. */
static dial_status typed_fail(dial_ctx *ctx, const char *prefix, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static dial_status typed_fail(dial_ctx *ctx, const char *prefix, const char *fmt, ...) {
    char words[768];
    va_list args;
    va_start(args, fmt);
    vsnprintf(words, sizeof words, fmt, args);
    va_end(args);
    return dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s%s", prefix, words);
}

/* text, or its first TYPED_QUOTE_MAX bytes and "...", for quoting. */
static const char *quoted(const char *text, char *buf, size_t size) {
    if (strlen(text) <= TYPED_QUOTE_MAX) return text;
    snprintf(buf, size, "%.*s...", TYPED_QUOTE_MAX, text);
    return buf;
}

/* "space item 'ITEM': " */
static void item_prefix(const char *item, char *prefix, size_t size) {
    char shortened[TYPED_QUOTE_MAX + 4];
    snprintf(prefix, size, "space item '%s': ", quoted(item, shortened, sizeof shortened));
}

/* "WHERE: parameter 'NAME': " (WHERE "space JSON" when the caller gave none). */
static void member_prefix(const char *where, const char *name, char *prefix, size_t size) {
    char shortened[TYPED_QUOTE_MAX + 4];
    snprintf(prefix, size, "%s: parameter '%s': ", where,
             quoted(name, shortened, sizeof shortened));
}

/* ---- names ---------------------------------------------------------------- */

static dial_status check_name(dial_ctx *ctx, const char *prefix, const char *name) {
    if (!name[0]) return typed_fail(ctx, prefix, "a parameter needs a name, as in " TYPED_USAGE);
    bool valid =
        strlen(name) <= TYPED_NAME_MAX && (isalpha((unsigned char)name[0]) || name[0] == '_');
    for (const char *p = name; valid && *p; p++) valid = isalnum((unsigned char)*p) || *p == '_';
    if (!valid) {
        char shortened[TYPED_QUOTE_MAX + 4];
        return typed_fail(ctx, prefix,
                          "'%s' is not a valid parameter name: it must begin with a letter or "
                          "'_' and hold only letters, digits and '_', at most %d characters",
                          quoted(name, shortened, sizeof shortened), TYPED_NAME_MAX);
    }
    if (strcmp(name, "trial") == 0)
        return typed_fail(ctx, prefix,
                          "the parameter name 'trial' is reserved for the trial number; choose "
                          "another name");
    return DIAL_OK;
}

/* ---- ranges --------------------------------------------------------------- */

/* Copies text[0 .. length) without surrounding blanks; false when it does not fit. */
static bool trimmed_copy(const char *text, size_t length, char *out, size_t size) {
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

/* A bound or step of an int range: a whole number within 2^53. */
static bool read_integer(const char *text, double *out) {
    bool overflow = false;
    return dial_parse_integer(text, out, &overflow) && !overflow;
}

/* A bound or step of a float range: a finite decimal number. */
static bool read_real(const char *text, double *out) {
    return dial_parse_real(text, out) && isfinite(*out);
}

static dial_status bad_bound(dial_ctx *ctx, const char *prefix, const char *which, const char *text,
                             bool integer) {
    if (integer)
        return typed_fail(ctx, prefix,
                          "%s '%s' is not an integer: int bounds are whole numbers of at most "
                          "2^53 in magnitude, such as 1 or 512",
                          which, text);
    return typed_fail(ctx, prefix,
                      "%s '%s' is not a number: float bounds are finite decimal numbers, such as "
                      "-5, 0.5 or 1e-5",
                      which, text);
}

/* The options after a range: ":log", ":step=S". */
typedef struct range_options {
    bool log, has_step;
    char step_text[TYPED_QUOTE_MAX];
} range_options;

static dial_status read_options(dial_ctx *ctx, const char *prefix, const char *options,
                                range_options *out) {
    *out = (range_options){0};
    for (const char *p = options; p; p = strchr(p + 1, ':')) {
        const char *next = strchr(p + 1, ':');
        char option[TYPED_QUOTE_MAX];
        if (!trimmed_copy(p + 1, next ? (size_t)(next - p - 1) : strlen(p + 1), option,
                          sizeof option))
            return typed_fail(ctx, prefix, "an option is too long; a range takes :log or :step=S");
        if (strcmp(option, "log") == 0) {
            if (out->log) return typed_fail(ctx, prefix, "':log' is given twice");
            out->log = true;
        } else if (strncmp(option, "step=", 5) == 0) {
            if (out->has_step) return typed_fail(ctx, prefix, "':step=' is given twice");
            out->has_step = true;
            trimmed_copy(option + 5, strlen(option + 5), out->step_text, sizeof out->step_text);
        } else {
            return typed_fail(ctx, prefix, "unknown option ':%s'; a range takes :log or :step=S",
                              option);
        }
    }
    return DIAL_OK;
}

/* "LOW..HIGH[:log][:step=S]" of a float or int parameter (type is the text
 * before it, for messages). */
static dial_status parse_range(dial_ctx *ctx, const char *prefix, const char *name,
                               const char *type, const char *text, dial_param *out) {
    bool integer = strcmp(type, "int") == 0;
    const char *colon = strchr(text, ':');
    char range[TYPED_QUOTE_MAX], low_text[TYPED_QUOTE_MAX], high_text[TYPED_QUOTE_MAX];
    const char *dots = NULL;
    bool ok =
        trimmed_copy(text, colon ? (size_t)(colon - text) : strlen(text), range, sizeof range) &&
        (dots = strstr(range, "..")) != NULL &&
        trimmed_copy(range, (size_t)(dots - range), low_text, sizeof low_text) &&
        trimmed_copy(dots + 2, strlen(dots + 2), high_text, sizeof high_text) && low_text[0] &&
        high_text[0] && high_text[0] != '.';
    if (!ok) {
        char shortened[TYPED_QUOTE_MAX + 4];
        return typed_fail(ctx, prefix, "expected %s=%s:LOW..HIGH[:log][:step=S], got '%s:%s'", name,
                          type, type, quoted(text, shortened, sizeof shortened));
    }
    double low = 0, high = 0;
    if (!(integer ? read_integer(low_text, &low) : read_real(low_text, &low)))
        return bad_bound(ctx, prefix, "low", low_text, integer);
    if (!(integer ? read_integer(high_text, &high) : read_real(high_text, &high)))
        return bad_bound(ctx, prefix, "high", high_text, integer);
    if (!(low < high))
        return typed_fail(ctx, prefix, "a range needs low < high, got %s..%s", low_text, high_text);
    range_options options;
    dial_status status = read_options(ctx, prefix, colon, &options);
    if (status != DIAL_OK) return status;
    if (options.log && integer && low < 1)
        return typed_fail(ctx, prefix, "an int log scale needs low >= 1 (got %s)", low_text);
    if (options.log && !integer && low <= 0)
        return typed_fail(ctx, prefix, "a log scale needs low > 0 (got %s)", low_text);
    double step = 0;
    if (options.has_step) {
        if (options.log) return typed_fail(ctx, prefix, "a range takes :log or :step=S, not both");
        if (integer ? !(read_integer(options.step_text, &step) && step > 0)
                    : !(read_real(options.step_text, &step) && step > 0))
            return typed_fail(ctx, prefix, "step must be a positive %s, got '%s'",
                              integer ? "integer" : "number", options.step_text);
        if (step > high - low)
            return typed_fail(ctx, prefix, "step %s is wider than the range %s..%s",
                              options.step_text, low_text, high_text);
    }
    *out = (dial_param){.kind = integer ? DIAL_PARAM_INT : DIAL_PARAM_FLOAT,
                        .low = low,
                        .high = high,
                        .step = step,
                        .log = options.log};
    return DIAL_OK;
}

/* ---- categoricals ------------------------------------------------------------ */

/* Two or more distinct, non-empty values without commas, kept byte for byte. */
static dial_status parse_choices(dial_ctx *ctx, const char *prefix, const char *name,
                                 const char *const *values, size_t n, dial_param *out) {
    char shortened[TYPED_QUOTE_MAX + 4];
    if (n < 2)
        return typed_fail(ctx, prefix,
                          "a categorical needs two values or more, got one ('%s'), which searches "
                          "nothing; give two values or more (%s=a,b) or a range "
                          "(%s=float:LOW..HIGH or %s=int:LOW..HIGH)",
                          n ? quoted(values[0], shortened, sizeof shortened) : "", name, name,
                          name);
    for (size_t i = 0; i < n; i++) {
        if (!values[i][0])
            return typed_fail(ctx, prefix,
                              "value %zu is empty; a categorical lists non-empty values, as in "
                              "%s=adam,sgd",
                              i + 1, name);
        if (strchr(values[i], ','))
            return typed_fail(ctx, prefix, "value '%s' holds a comma, which a value cannot",
                              quoted(values[i], shortened, sizeof shortened));
        /* The space is written back as JSON, whose strings are UTF-8. */
        json_t *check = json_string(values[i]);
        json_decref(check);
        if (!check) return typed_fail(ctx, prefix, "value %zu is not valid UTF-8 text", i + 1);
        for (size_t j = 0; j < i; j++)
            if (strcmp(values[i], values[j]) == 0)
                return typed_fail(ctx, prefix, "'%s' is listed twice",
                                  quoted(values[i], shortened, sizeof shortened));
    }
    *out = (dial_param){.kind = DIAL_PARAM_CHOICE, .low = 0, .high = (double)(n - 1)};
    if (!(out->choices = dial_calloc(ctx, n, sizeof *out->choices))) return typed_nomem(ctx);
    for (size_t i = 0; i < n; i++) {
        if (!(out->choices[i] = dial_strdup(ctx, values[i]))) {
            out->n_choices = i;
            typed_param_clear(out);
            return typed_nomem(ctx);
        }
    }
    out->n_choices = n;
    return DIAL_OK;
}

/* Splits text at every comma (empty pieces kept, for their message) and
 * parses the pieces as a categorical. */
static dial_status parse_choices_text(dial_ctx *ctx, const char *prefix, const char *name,
                                      const char *text, dial_param *out) {
    size_t n = 1;
    for (const char *p = text; *p; p++) n += *p == ',';
    char *copy = dial_strdup(ctx, text);
    const char **pieces = dial_calloc(ctx, n, sizeof *pieces);
    if (!copy || !pieces) {
        free(copy);
        free(pieces);
        return typed_nomem(ctx);
    }
    char *p = copy;
    for (size_t i = 0; i < n; i++) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        pieces[i] = p;
        p = comma ? comma + 1 : p + strlen(p);
    }
    dial_status status = parse_choices(ctx, prefix, name, pieces, n, out);
    free(pieces);
    free(copy);
    return status;
}

/* ---- one parameter's text ----------------------------------------------------- */

/* Whether text begins with a word of letters and a colon ("double:"). */
static size_t type_word_length(const char *text) {
    size_t length = 0;
    while (isalpha((unsigned char)text[length])) length++;
    return length > 0 && text[length] == ':' ? length : 0;
}

/* The text after '=' (or a JSON member's string) into *out, without name
 * or condition. */
static dial_status parse_value_text(dial_ctx *ctx, const char *prefix, const char *name,
                                    const char *text, dial_param *out) {
    *out = (dial_param){0};
    if (strncmp(text, "float:", 6) == 0)
        return parse_range(ctx, prefix, name, "float", text + 6, out);
    if (strncmp(text, "int:", 4) == 0) return parse_range(ctx, prefix, name, "int", text + 4, out);
    bool has_comma = strchr(text, ',') != NULL, has_dots = strstr(text, "..") != NULL;
    size_t type_length = type_word_length(text);
    if (!has_comma && has_dots && type_length > 0) {
        char shortened[TYPED_QUOTE_MAX + 4];
        const char *range = text + type_length + 1;
        return typed_fail(ctx, prefix,
                          "unknown type '%.*s'; the types are float and int, as in "
                          "%s=float:%s or %s=int:%s",
                          (int)type_length, text, name, quoted(range, shortened, sizeof shortened),
                          name, quoted(range, shortened, sizeof shortened));
    }
    if (!has_comma && has_dots) {
        char shortened[TYPED_QUOTE_MAX + 4];
        return typed_fail(ctx, prefix,
                          "a study of a program needs typed parameters: write %s=float:%s for a "
                          "float range or %s=int:LOW..HIGH for an integer one",
                          name, quoted(text, shortened, sizeof shortened), name);
    }
    return parse_choices_text(ctx, prefix, name, text, out);
}

/* Gives a parsed parameter its name and condition (copied). */
static dial_status name_param(dial_ctx *ctx, dial_param *param, const char *name,
                              const char *condition) {
    if (!(param->name = dial_strdup(ctx, name)) ||
        !(param->condition = dial_strdup(ctx, condition ? condition : ""))) {
        typed_param_clear(param);
        return typed_nomem(ctx);
    }
    return DIAL_OK;
}

/* ---- conditions -------------------------------------------------------------- */

/* "a, b, c" into buf (shortened when long). */
static void list_text(const char *const *items, size_t n, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < size; i++) {
        int written = snprintf(buf + used, size - used, "%s%s", i ? ", " : "", items[i]);
        if (written < 0) break;
        used += (size_t)written;
    }
}

/* The space index of the parameter param i's condition names, or -1. */
static long controller_of(const dial_space *space, size_t i) {
    char controller[TYPED_NAME_MAX + 2];
    if (!dial_knob_condition_split(space->params[i].condition, controller, sizeof controller))
        return -1;
    return dial_space_find(space, controller);
}

/* What is wrong with param i's condition on its own, into why (empty: nothing). */
static void condition_problem(const dial_space *space, size_t i, char *why, size_t size) {
    const dial_param *param = &space->params[i];
    const char *when = param->condition;
    why[0] = '\0';
    char controller[TYPED_NAME_MAX + 2];
    const char *values = dial_knob_condition_split(when, controller, sizeof controller);
    if (!values) {
        snprintf(why, size, "when '%s' is not of the form NAME=VALUE or NAME=V1|V2", when);
        return;
    }
    long at = dial_space_find(space, controller);
    if (at == (long)i) {
        snprintf(why, size, "when '%s' names the parameter itself", when);
        return;
    }
    if (at < 0) {
        char names[400];
        size_t used = 0;
        names[0] = '\0';
        for (size_t k = 0; k < space->n && used + 1 < sizeof names; k++) {
            int written = snprintf(names + used, sizeof names - used, "%s%s", k ? ", " : "",
                                   space->params[k].name);
            if (written < 0) break;
            used += (size_t)written;
        }
        snprintf(why, size, "when '%s' names no parameter of the space (it has: %s)", when, names);
        return;
    }
    const dial_param *control = &space->params[at];
    if (control->kind != DIAL_PARAM_CHOICE) {
        snprintf(why, size,
                 "when '%s' names '%s', %s range; a condition names a categorical parameter, "
                 "such as opt=adam,sgd",
                 when, controller, control->kind == DIAL_PARAM_INT ? "an int" : "a float");
        return;
    }
    for (const char *p = values;;) {
        const char *bar = strchr(p, '|');
        size_t length = bar ? (size_t)(bar - p) : strlen(p);
        bool known = false;
        for (size_t c = 0; c < control->n_choices && !known; c++)
            known = strlen(control->choices[c]) == length &&
                    strncmp(control->choices[c], p, length) == 0;
        if (length == 0) {
            snprintf(why, size, "when '%s' lists an empty value", when);
            return;
        }
        if (!known) {
            char choices[400];
            list_text((const char *const *)control->choices, control->n_choices, choices,
                      sizeof choices);
            snprintf(why, size, "when '%s' lists '%.*s', which '%s' does not have (its values: %s)",
                     when, (int)length, p, controller, choices);
            return;
        }
        if (!bar) return;
        p = bar + 1;
    }
}

/* Whether following conditions from param i leads back to it; path gets
 * "a -> b -> a" when it does. */
static bool in_cycle(const dial_space *space, size_t i, char *path, size_t size) {
    size_t used = (size_t)snprintf(path, size, "%s", space->params[i].name);
    long at = controller_of(space, i);
    for (size_t steps = 0; at >= 0 && steps < space->n; steps++) {
        if (used < size)
            used += (size_t)snprintf(path + used, size - used, " -> %s", space->params[at].name);
        if ((size_t)at == i) return true;
        at = controller_of(space, (size_t)at);
    }
    return false;
}

/* Checks every condition of the space. The message begins with prefix,
 * then (JSON) the parameter, or (text) the dependent parameter named. */
static dial_status check_conditions(dial_ctx *ctx, const dial_space *space, const char *where,
                                    const char *item) {
    for (size_t i = 0; i < space->n; i++) {
        if (!space->params[i].condition || !space->params[i].condition[0]) continue;
        char why[900], prefix[TYPED_PREFIX_MAX];
        condition_problem(space, i, why, sizeof why);
        if (!why[0]) {
            char path[400];
            if (in_cycle(space, i, path, sizeof path))
                snprintf(why, sizeof why, "the conditions form a cycle: %s", path);
        }
        if (!why[0]) continue;
        if (item) {
            char shortened[TYPED_QUOTE_MAX + 4];
            snprintf(prefix, sizeof prefix,
                     "space item '%s': parameter '%s': ", quoted(item, shortened, sizeof shortened),
                     space->params[i].name);
        } else {
            member_prefix(where, space->params[i].name, prefix, sizeof prefix);
        }
        return typed_fail(ctx, prefix, "%s", why);
    }
    return DIAL_OK;
}

/* ---- the text form ------------------------------------------------------------ */

dial_status dial_space_add_typed(dial_ctx *ctx, dial_space *space, const char *item) {
    if (!space || !item)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_space_add_typed needs a space and an item");
    char prefix[TYPED_PREFIX_MAX];
    item_prefix(item, prefix, sizeof prefix);
    const char *eq = strchr(item, '=');
    if (!eq) return typed_fail(ctx, prefix, "expected " TYPED_USAGE);
    char name[TYPED_QUOTE_MAX];
    size_t name_length = (size_t)(eq - item);
    snprintf(name, sizeof name, "%.*s",
             (int)(name_length < sizeof name ? name_length : sizeof name - 1), item);
    dial_status status = name_length >= sizeof name
                             ? typed_fail(ctx, prefix,
                                          "the parameter name is too long (at most %d "
                                          "characters)",
                                          TYPED_NAME_MAX)
                             : check_name(ctx, prefix, name);
    if (status != DIAL_OK) return status;
    if (!eq[1]) return typed_fail(ctx, prefix, "nothing after '='; expected " TYPED_USAGE);

    dial_param param;
    status = parse_value_text(ctx, prefix, name, eq + 1, &param);
    if (status == DIAL_OK) status = name_param(ctx, &param, name, NULL);
    if (status != DIAL_OK) return status;
    /* A replaced controller must still satisfy the conditions that name it. */
    dial_space work;
    status = dial_space_copy(ctx, space, &work);
    if (status != DIAL_OK) {
        typed_param_clear(&param);
        return status;
    }
    status = typed_put(ctx, &work, &param);
    if (status == DIAL_OK) status = check_conditions(ctx, &work, NULL, item);
    if (status != DIAL_OK) {
        dial_space_free(&work);
        return status;
    }
    dial_space_free(space);
    *space = work;
    return DIAL_OK;
}

/* ---- the JSON form ------------------------------------------------------------ */

/* A list of categorical values: strings as they are, numbers and booleans
 * as their JSON text ([16, 32] is "16", "32"). */
static dial_status parse_json_list(dial_ctx *ctx, const char *prefix, const char *name,
                                   const json_t *array, dial_param *out) {
    size_t n = json_array_size(array);
    char(*numbers)[40] = dial_calloc(ctx, n ? n : 1, sizeof *numbers);
    const char **values = dial_calloc(ctx, n ? n : 1, sizeof *values);
    if (!numbers || !values) {
        free(numbers);
        free(values);
        return typed_nomem(ctx);
    }
    dial_status status = DIAL_OK;
    for (size_t i = 0; i < n && status == DIAL_OK; i++) {
        const json_t *element = json_array_get(array, i);
        values[i] = numbers[i];
        if (json_is_string(element))
            values[i] = json_string_value(element);
        else if (json_is_integer(element))
            snprintf(numbers[i], sizeof numbers[i], "%lld", (long long)json_integer_value(element));
        else if (json_is_real(element))
            dial_format_shortest(json_real_value(element), numbers[i], sizeof numbers[i]);
        else if (json_is_boolean(element))
            values[i] = json_is_true(element) ? "true" : "false";
        else
            status = typed_fail(ctx, prefix,
                                "value %zu of the list is %s; a categorical lists strings, numbers "
                                "or booleans",
                                i + 1, dial_space_json_type_words(element));
    }
    if (status == DIAL_OK) status = parse_choices(ctx, prefix, name, values, n, out);
    free(numbers);
    free(values);
    return status;
}

/* A range or list: a string (the text after '=') or an array. */
static dial_status parse_json_range(dial_ctx *ctx, const char *prefix, const char *name,
                                    const json_t *value, dial_param *out) {
    if (json_is_string(value))
        return parse_value_text(ctx, prefix, name, json_string_value(value), out);
    if (json_is_array(value)) return parse_json_list(ctx, prefix, name, value, out);
    return typed_fail(ctx, prefix,
                      "expected a string such as \"float:0..1\", a list of values such as "
                      "[\"adam\", \"sgd\"], or {\"range\": ..., \"when\": \"opt=sgd\"}; got %s",
                      dial_space_json_type_words(value));
}

/* One member: its name and value into *out (named, with its condition). */
static dial_status parse_json_member(dial_ctx *ctx, const char *where, const char *name,
                                     const json_t *value, dial_param *out) {
    *out = (dial_param){0};
    char prefix[TYPED_PREFIX_MAX];
    member_prefix(where, name, prefix, sizeof prefix);
    dial_status status = check_name(ctx, prefix, name);
    if (status != DIAL_OK) return status;
    const char *when = NULL;
    if (json_is_object(value)) {
        const char *key;
        json_t *member;
        json_object_foreach((json_t *)value, key, member) {
            if (strcmp(key, "range") != 0 && strcmp(key, "when") != 0)
                return typed_fail(ctx, prefix,
                                  "unknown key '%s'; a parameter's object takes \"range\" and "
                                  "\"when\"",
                                  key);
        }
        const json_t *condition = json_object_get(value, "when");
        if (condition && !json_is_string(condition))
            return typed_fail(ctx, prefix,
                              "\"when\" is %s; it takes a string such as \"opt=sgd\" or "
                              "\"opt=sgd|rmsprop\"",
                              dial_space_json_type_words(condition));
        when = condition ? json_string_value(condition) : NULL;
        value = json_object_get(value, "range");
        if (!value)
            return typed_fail(ctx, prefix,
                              "the object has no \"range\", as in {\"range\": \"float:0..1\", "
                              "\"when\": \"opt=sgd\"}");
    }
    status = parse_json_range(ctx, prefix, name, value, out);
    if (status == DIAL_OK) status = name_param(ctx, out, name, when);
    return status;
}

dial_status dial_space_add_typed_json(dial_ctx *ctx, dial_space *space, const char *json_text,
                                      const char *where) {
    if (!space || !json_text)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "dial_space_add_typed_json needs a space and JSON text");
    if (!where || !where[0]) where = "space JSON";
    json_error_t error;
    json_t *root = json_loads(json_text, JSON_REJECT_DUPLICATES, &error);
    if (!root)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s: invalid JSON at line %d, column %d: %s",
                         where, error.line, error.column, error.text);
    if (!json_is_object(root)) {
        dial_status status =
            dial_fail(ctx, DIAL_ERR_ARGUMENT,
                      "%s: expected a JSON object such as {\"x\": \"float:-5..10\", \"opt\": "
                      "[\"adam\", \"sgd\"]}, got %s",
                      where, dial_space_json_type_words(root));
        json_decref(root);
        return status;
    }
    dial_space work;
    dial_status status = dial_space_copy(ctx, space, &work);
    const char *name;
    json_t *value;
    json_object_foreach(root, name, value) {
        if (status != DIAL_OK) break;
        dial_param param;
        status = parse_json_member(ctx, where, name, value, &param);
        if (status == DIAL_OK) status = typed_put(ctx, &work, &param);
    }
    json_decref(root);
    /* Conditions may name parameters further down the file. */
    if (status == DIAL_OK) status = check_conditions(ctx, &work, where, NULL);
    if (status != DIAL_OK) {
        dial_space_free(&work);
        return status;
    }
    dial_space_free(space);
    *space = work;
    return DIAL_OK;
}

/* ---- writing a typed space back ------------------------------------------------ */

/* "float:-5..10:log", "int:16..256:step=16": what dial_space_add_typed reads. */
static void range_text(const dial_param *param, char *buf, size_t size) {
    char low[40], high[40], step[40] = "";
    if (param->kind == DIAL_PARAM_INT) {
        snprintf(low, sizeof low, "%lld", (long long)param->low);
        snprintf(high, sizeof high, "%lld", (long long)param->high);
        if (param->step > 0) snprintf(step, sizeof step, "%lld", (long long)param->step);
    } else {
        dial_format_shortest(param->low, low, sizeof low);
        dial_format_shortest(param->high, high, sizeof high);
        if (param->step > 0) dial_format_shortest(param->step, step, sizeof step);
    }
    snprintf(buf, size, "%s:%s..%s%s%s%s", param->kind == DIAL_PARAM_INT ? "int" : "float", low,
             high, param->log ? ":log" : "", step[0] ? ":step=" : "", step);
}

/* One parameter's JSON value; NULL when out of memory. */
static json_t *param_json(const dial_param *param) {
    json_t *range = NULL;
    if (param->kind == DIAL_PARAM_CHOICE) {
        range = json_array();
        for (size_t c = 0; range && c < param->n_choices; c++)
            if (json_array_append_new(range, json_string(param->choices[c])) != 0) {
                json_decref(range);
                range = NULL;
            }
    } else {
        char text[160];
        range_text(param, text, sizeof text);
        range = json_string(text);
    }
    if (!range || !param->condition || !param->condition[0]) return range;
    json_t *object = json_object();
    if (!object || json_object_set_new(object, "range", range) != 0 ||
        json_object_set_new(object, "when", json_string(param->condition)) != 0) {
        json_decref(object);
        return NULL;
    }
    return object;
}

dial_status dial_space_typed_json(dial_ctx *ctx, const dial_space *space, char **out) {
    *out = NULL;
    for (size_t i = 0; space && i < space->n; i++)
        if (space->params[i].fixed)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "parameter '%s' is fixed to one value; a typed space has none",
                             space->params[i].name);
    json_t *root = json_object();
    bool ok = root != NULL;
    for (size_t i = 0; ok && space && i < space->n; i++)
        ok = json_object_set_new(root, space->params[i].name, param_json(&space->params[i])) == 0;
    char *text = ok ? json_dumps(root, 0) : NULL;
    json_decref(root);
    if (text) *out = dial_strdup(ctx, text);
    free(text);
    if (!*out)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory writing a search space as JSON");
    return DIAL_OK;
}

/* A program study's knobs as `dial ask` prints them, and as `dial trials`
 * and `dial best` show them for the same study: sh assignments that eval
 * reads back byte for byte, or JSON typed by the parameter (an int is an
 * integer, a categorical value a string even when it looks like a number). */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

bool cli_is_program_study(const dial_study_identity *identity) {
    const char *kind = dial_study_identity_get(identity, "kind");
    return kind && strcmp(kind, "program") == 0;
}

/* text in single quotes for sh, each ' written as '\'' (close, an escaped
 * quote, reopen): nothing inside single quotes is special to sh. */
static char *sh_quoted(const char *text) {
    size_t quotes = 0;
    for (const char *c = text; *c; c++) quotes += *c == '\'';
    char *out = cli_alloc(strlen(text) + 3 * quotes + 3, 1);
    char *p = out;
    *p++ = '\'';
    for (const char *c = text; *c; c++) {
        if (*c == '\'') {
            memcpy(p, "'\\''", 4);
            p += 4;
        } else {
            *p++ = *c;
        }
    }
    *p++ = '\'';
    *p = '\0';
    return out;
}

/* A param's value as text: shortest round-trip float, integer, or the
 * categorical text quoted for sh (quote) or as it is. malloc'ed. */
static char *value_text(const dial_trial_record *trial, size_t i, bool quote) {
    char number[40];
    switch (trial->param_kinds[i]) {
    case DIAL_PARAM_FLOAT:
        cli_format_double(trial->param_values[i], number, sizeof number);
        return cli_strdup(number);
    case DIAL_PARAM_INT: return cli_format("%.0f", trial->param_values[i]);
    default: break;
    }
    const char *text = trial->param_texts[i] ? trial->param_texts[i] : "";
    return quote ? sh_quoted(text) : cli_strdup(text);
}

char *cli_program_knob_text(const dial_trial_record *trial, size_t i) {
    return value_text(trial, i, false);
}

char *cli_program_knobs_text(const dial_trial_record *trial) {
    char *text = cli_strdup("");
    for (size_t i = 0; i < trial->n_params; i++) {
        char *value = value_text(trial, i, true);
        char *longer = cli_format("%s%s%s=%s", text, i ? " " : "", trial->param_names[i], value);
        free(value);
        free(text);
        text = longer;
    }
    return text;
}

json_t *cli_program_knobs_json(const dial_trial_record *trial) {
    json_t *object = json_object();
    for (size_t i = 0; i < trial->n_params; i++) {
        json_t *value;
        switch (trial->param_kinds[i]) {
        case DIAL_PARAM_FLOAT: value = cli_json_number(trial->param_values[i]); break;
        case DIAL_PARAM_INT: value = json_integer((json_int_t)trial->param_values[i]); break;
        default: value = json_string(trial->param_texts[i] ? trial->param_texts[i] : ""); break;
        }
        json_object_set_new(object, trial->param_names[i], value);
    }
    return object;
}

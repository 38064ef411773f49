/* The --json output of every subcommand goes through jansson. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "cli/cli.h"

json_t *cli_json_number(double value) { return isfinite(value) ? json_real(value) : json_null(); }

void cli_json_print(json_t *value, FILE *out, int precision) {
    if (!value) {
        cli_error(CLI_EXIT_FAILURE, "out of memory");
        exit(CLI_EXIT_FAILURE);
    }
    json_dumpf(value, out, JSON_INDENT(2) | JSON_REAL_PRECISION(precision));
    fputc('\n', out);
    json_decref(value);
}

json_t *cli_json_u64(uint64_t value) {
    if (value <= (uint64_t)INT64_MAX) return json_integer((json_int_t)value);
    char text[32];
    snprintf(text, sizeof text, "%" PRIu64, value);
    return json_string(text);
}

/* One number of a FLOAT or INT knob. */
static json_t *knob_number(const dial_knob_spec *spec, double number) {
    return spec->type == DIAL_KNOB_INT ? json_integer((json_int_t)number) : cli_json_number(number);
}

json_t *cli_json_knob_value(const dial_knobs *knobs, size_t i) {
    const dial_knob_spec *spec = &knobs->specs[i];
    double number = knobs->values[i].number;
    if (spec->list_item && (spec->type == DIAL_KNOB_FLOAT || spec->type == DIAL_KNOB_INT)) {
        const double *items = NULL;
        size_t n = dial_knobs_list(knobs, spec->name, &items);
        json_t *list = json_array();
        for (size_t k = 0; k < n; k++) json_array_append_new(list, knob_number(spec, items[k]));
        return list;
    }
    switch (spec->type) {
    case DIAL_KNOB_INT: return json_integer((json_int_t)number);
    case DIAL_KNOB_BOOL: return json_boolean(number != 0);
    case DIAL_KNOB_CHOICE: return json_string(dial_knobs_choice(knobs, spec->name));
    case DIAL_KNOB_FLOAT: break;
    }
    return knob_number(spec, number);
}

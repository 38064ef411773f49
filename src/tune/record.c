/* Trial records: the params, intermediate values, path and outcome of a trial as
 * storages return them. Arrays grow to powers of two so that appending is
 * amortised O(1) without storing a capacity in the public struct. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/text.h"
#include "tune/record.h"

/* The capacity an array of count items has: 0, or a power of two >= 4. */
static size_t capacity_for(size_t count) {
    if (count == 0) return 0;
    size_t capacity = 4;
    while (capacity < count) capacity *= 2;
    return capacity;
}

/* Whether appending to an array of count items needs more room. */
static bool needs_growth(size_t count) { return capacity_for(count) == count; }

static bool grow(const dial_ctx *ctx, void **array, size_t item_size, size_t capacity) {
    void *bigger = dial_realloc_array(ctx, *array, capacity, item_size);
    if (!bigger) return false;
    *array = bigger;
    return true;
}

const char *dial_trial_state_name(dial_trial_state state) {
    switch (state) {
    case DIAL_TRIAL_RUNNING: return "running";
    case DIAL_TRIAL_COMPLETE: return "complete";
    case DIAL_TRIAL_PRUNED: return "pruned";
    case DIAL_TRIAL_FAILED: return "failed";
    }
    return "unknown";
}

bool dial_trial_state_parse(const char *name, dial_trial_state *out) {
    static const dial_trial_state states[] = {DIAL_TRIAL_RUNNING, DIAL_TRIAL_COMPLETE,
                                              DIAL_TRIAL_PRUNED, DIAL_TRIAL_FAILED};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
        if (strcmp(name, dial_trial_state_name(states[i])) == 0) {
            *out = states[i];
            return true;
        }
    }
    return false;
}

const char *dial_param_kind_name(dial_param_kind kind) {
    switch (kind) {
    case DIAL_PARAM_FLOAT: return "float";
    case DIAL_PARAM_INT: return "int";
    case DIAL_PARAM_CHOICE: return "choice";
    }
    return "unknown";
}

bool dial_param_kind_parse(const char *name, dial_param_kind *out) {
    static const dial_param_kind kinds[] = {DIAL_PARAM_FLOAT, DIAL_PARAM_INT, DIAL_PARAM_CHOICE};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        if (strcmp(name, dial_param_kind_name(kinds[i])) == 0) {
            *out = kinds[i];
            return true;
        }
    }
    return false;
}

/* Whether 15 significant digits read back to value: 1 yes, 0 no, -1 when
 * this cannot tell. It rounds |value| to a 15-digit integer m with an exact
 * power of ten p (1e0 .. 1e22) and checks that m / p (or m * p), which IEEE
 * arithmetic rounds correctly, is value again: exactly the test strtod
 * would make on the printed digits, without printing and parsing (the two
 * dominate the cost of a trial in memory). */
static int fits_15_digits(double value) {
    static const double powers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    double magnitude = fabs(value);
    if (magnitude == 0) return 1;
    int shift = 14 - (int)floor(log10(magnitude));
    if (shift < -22 || shift > 22) return -1;
    double power = powers[shift < 0 ? -shift : shift];
    double digits = nearbyint(shift >= 0 ? magnitude * power : magnitude / power);
    /* log10 may misjudge the exponent by one next to a power of ten. */
    if (digits >= 1e15 || digits < 1e13) return -1;
    return (shift >= 0 ? digits / power : digits * power) == magnitude;
}

void dial_format_param_value(dial_param_kind kind, double value, char *buf, size_t size) {
    if (kind == DIAL_PARAM_INT && isfinite(value)) {
        snprintf(buf, size, "%lld", (long long)value);
        return;
    }
    if (!isfinite(value)) {
        snprintf(buf, size, "%s", isnan(value) ? "nan" : value > 0 ? "inf" : "-inf");
        return;
    }
    /* Most values a person chose (0.001, 2.5) read back from 15 digits;
     * a random draw needs 17, which always reads back. */
    int short_enough = fits_15_digits(value);
    if (short_enough < 0) {
        snprintf(buf, size, "%.15g", value);
        short_enough = strtod(buf, NULL) == value;
        if (short_enough) return;
    }
    snprintf(buf, size, short_enough ? "%.15g" : "%.17g", value);
}

void dial_trial_record_clear(dial_trial_record *record) {
    if (!record) return;
    for (size_t i = 0; i < record->n_params; i++) {
        free(record->param_names[i]);
        free(record->param_texts[i]);
    }
    free(record->param_names);
    free(record->param_values);
    free(record->param_kinds);
    free(record->param_texts);
    free(record->intermediate_steps);
    free(record->intermediate_values);
    free(record->path_steps);
    free(record->path_values);
    free(record->message);
    *record = (dial_trial_record){0};
}

void dial_trial_list_free(dial_trial_list *list) {
    if (!list) return;
    for (size_t i = 0; i < list->count; i++) dial_trial_record_clear(&list->items[i]);
    free(list->items);
    *list = (dial_trial_list){0};
}

dial_trial_record *dial_trial_list_push(const dial_ctx *ctx, dial_trial_list *list) {
    if (needs_growth(list->count)) {
        size_t capacity = list->count == 0 ? 4 : list->count * 2;
        if (!grow(ctx, (void **)&list->items, sizeof *list->items, capacity)) return NULL;
    }
    dial_trial_record *record = &list->items[list->count++];
    *record = (dial_trial_record){0};
    return record;
}

long dial_record_find_param(const dial_trial_record *record, const char *name) {
    for (size_t i = 0; i < record->n_params; i++)
        if (strcmp(record->param_names[i], name) == 0) return (long)i;
    return -1;
}

bool dial_record_add_param(const dial_ctx *ctx, dial_trial_record *record, const char *name,
                           dial_param_kind kind, double value, const char *text) {
    size_t n = record->n_params;
    if (needs_growth(n)) {
        size_t capacity = n == 0 ? 4 : n * 2;
        if (!grow(ctx, (void **)&record->param_names, sizeof(char *), capacity) ||
            !grow(ctx, (void **)&record->param_values, sizeof(double), capacity) ||
            !grow(ctx, (void **)&record->param_kinds, sizeof(dial_param_kind), capacity) ||
            !grow(ctx, (void **)&record->param_texts, sizeof(char *), capacity))
            return false;
    }
    char *name_copy = dial_strdup(ctx, name);
    char *text_copy = dial_strdup(ctx, text ? text : "");
    if (!name_copy || !text_copy) {
        free(name_copy);
        free(text_copy);
        return false;
    }
    record->param_names[n] = name_copy;
    record->param_values[n] = value;
    record->param_kinds[n] = kind;
    record->param_texts[n] = text_copy;
    record->n_params = n + 1;
    return true;
}

bool dial_record_set_param(const dial_ctx *ctx, dial_trial_record *record, const char *name,
                           dial_param_kind kind, double value, const char *text) {
    long at = dial_record_find_param(record, name);
    if (at < 0) return dial_record_add_param(ctx, record, name, kind, value, text);
    char *text_copy = dial_strdup(ctx, text ? text : "");
    if (!text_copy) return false;
    free(record->param_texts[at]);
    record->param_texts[at] = text_copy;
    record->param_values[at] = value;
    record->param_kinds[at] = kind;
    return true;
}

bool dial_record_set_intermediate(const dial_ctx *ctx, dial_trial_record *record, int64_t step,
                                  double value) {
    for (size_t i = record->n_intermediate; i-- > 0;) {
        if (record->intermediate_steps[i] == step) {
            record->intermediate_values[i] = value;
            return true;
        }
    }
    size_t n = record->n_intermediate;
    if (needs_growth(n)) {
        size_t capacity = n == 0 ? 4 : n * 2;
        if (!grow(ctx, (void **)&record->intermediate_steps, sizeof(int64_t), capacity) ||
            !grow(ctx, (void **)&record->intermediate_values, sizeof(double), capacity))
            return false;
    }
    /* kept in step order, whatever order the steps were reported in (a
     * trial may score its folds out of order) */
    size_t at = n;
    while (at > 0 && record->intermediate_steps[at - 1] > step) {
        record->intermediate_steps[at] = record->intermediate_steps[at - 1];
        record->intermediate_values[at] = record->intermediate_values[at - 1];
        at--;
    }
    record->intermediate_steps[at] = step;
    record->intermediate_values[at] = value;
    record->n_intermediate = n + 1;
    return true;
}

bool dial_record_set_path(const dial_ctx *ctx, dial_trial_record *record, const int64_t *steps,
                          const double *values, size_t n) {
    int64_t *new_steps = NULL;
    double *new_values = NULL;
    /* Room for capacity_for(n), so that appending to a path set here
     * follows the same growth rule as one built by appending. */
    size_t capacity = capacity_for(n);
    if (capacity) {
        new_steps = dial_malloc_array(ctx, capacity, sizeof *new_steps);
        new_values = dial_malloc_array(ctx, capacity, sizeof *new_values);
        if (!new_steps || !new_values) {
            free(new_steps);
            free(new_values);
            return false;
        }
        memcpy(new_steps, steps, n * sizeof *new_steps);
        memcpy(new_values, values, n * sizeof *new_values);
    }
    free(record->path_steps);
    free(record->path_values);
    record->path_steps = new_steps;
    record->path_values = new_values;
    record->n_path = n;
    return true;
}

bool dial_record_append_path(const dial_ctx *ctx, dial_trial_record *record, int64_t step,
                             double value) {
    size_t n = record->n_path;
    if (needs_growth(n)) {
        size_t capacity = n == 0 ? 4 : n * 2;
        if (!grow(ctx, (void **)&record->path_steps, sizeof(int64_t), capacity) ||
            !grow(ctx, (void **)&record->path_values, sizeof(double), capacity))
            return false;
    }
    record->path_steps[n] = step;
    record->path_values[n] = value;
    record->n_path = n + 1;
    return true;
}

bool dial_record_set_message(const dial_ctx *ctx, dial_trial_record *record, const char *message) {
    char *copy = NULL;
    if (message && !(copy = dial_strdup(ctx, message))) return false;
    free(record->message);
    record->message = copy;
    return true;
}

bool dial_record_copy(const dial_ctx *ctx, dial_trial_record *to, const dial_trial_record *from) {
    *to = (dial_trial_record){0};
    to->number = from->number;
    to->state = from->state;
    to->value = from->value;
    to->started_at = from->started_at;
    to->finished_at = from->finished_at;
    to->prepare_seconds = from->prepare_seconds;
    to->stale = from->stale;
    size_t params = capacity_for(from->n_params);
    size_t steps = capacity_for(from->n_intermediate);
    if (params) {
        to->param_names = dial_calloc(ctx, params, sizeof(char *));
        to->param_values = dial_malloc_array(ctx, params, sizeof(double));
        to->param_kinds = dial_malloc_array(ctx, params, sizeof(dial_param_kind));
        to->param_texts = dial_calloc(ctx, params, sizeof(char *));
        if (!to->param_names || !to->param_values || !to->param_kinds || !to->param_texts)
            goto nomem;
    }
    for (size_t i = 0; i < from->n_params; i++) {
        to->param_names[i] = dial_strdup(ctx, from->param_names[i]);
        to->param_texts[i] = dial_strdup(ctx, from->param_texts[i]);
        to->param_values[i] = from->param_values[i];
        to->param_kinds[i] = from->param_kinds[i];
        to->n_params = i + 1;
        if (!to->param_names[i] || !to->param_texts[i]) goto nomem;
    }
    if (steps) {
        to->intermediate_steps = dial_malloc_array(ctx, steps, sizeof(int64_t));
        to->intermediate_values = dial_malloc_array(ctx, steps, sizeof(double));
        if (!to->intermediate_steps || !to->intermediate_values) goto nomem;
        memcpy(to->intermediate_steps, from->intermediate_steps,
               from->n_intermediate * sizeof(int64_t));
        memcpy(to->intermediate_values, from->intermediate_values,
               from->n_intermediate * sizeof(double));
        to->n_intermediate = from->n_intermediate;
    }
    if (from->n_path &&
        !dial_record_set_path(ctx, to, from->path_steps, from->path_values, from->n_path))
        goto nomem;
    if (from->message && !(to->message = dial_strdup(ctx, from->message))) goto nomem;
    return true;
nomem:
    /* n_params already counts a half-filled slot, so clearing frees it. */
    dial_trial_record_clear(to);
    return false;
}

double dial_tune_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

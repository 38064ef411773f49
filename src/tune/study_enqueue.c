/* dial_study_enqueue: known configurations first, as Optuna's enqueue_trial.
 *
 * "C=1,gamma=0.01" is read against the study's space and each value is
 * checked as the sampler would draw it (in range, an integer for an int, on
 * its step, one of the choices), so a queued configuration is one the study
 * could have drawn itself. Its texts are formatted as trial.c formats a
 * drawn value (dial_format_param_value), so a queued configuration and a
 * trial that ran it compare equal, and the storage can skip one the study
 * already holds. The storage keeps the queue (storage.h: op enqueue); the
 * next trials started, by any worker, take its entries in order. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/record.h"
#include "tune/study_internal.h"

/* Room for one parameter's description in a message. */
#define RANGE_TEXT 160

/* What a parameter accepts, for messages: "a float in [0.001, 1000] (log
 * scale)", "an int in [1, 50], step 2", "one of linear, rbf". */
static void describe_param(const dial_param *param, char *buf, size_t size) {
    if (param->kind == DIAL_PARAM_CHOICE) {
        size_t used = (size_t)snprintf(buf, size, "one of ");
        for (size_t i = 0; i < param->n_choices && used < size; i++) {
            int written =
                snprintf(buf + used, size - used, "%s%s", i ? ", " : "", param->choices[i]);
            if (written < 0) break;
            used += (size_t)written;
        }
        return;
    }
    const char *kind = param->kind == DIAL_PARAM_INT ? "an int" : "a float";
    if (param->fixed || param->low == param->high) {
        snprintf(buf, size, "fixed at %.15g in this study", param->low);
        return;
    }
    char step[80] = "";
    if (param->step > 0 && !(param->kind == DIAL_PARAM_INT && param->step <= 1))
        snprintf(step, sizeof step, ", step %.15g from %.15g", param->step, param->low);
    snprintf(buf, size, "%s in [%.15g, %.15g]%s%s", kind, param->low, param->high, step,
             param->log ? " (log scale)" : "");
}

static dial_status refuse(dial_ctx *ctx, const dial_param *param, const char *item,
                          const char *why) {
    char range[RANGE_TEXT];
    describe_param(param, range, sizeof range);
    return dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s: %s; %s is %s", item, why, param->name, range);
}

/* A number's value as the sampler would draw it, or a refusal. */
static dial_status check_number(dial_ctx *ctx, const dial_param *param, const char *item,
                                const char *text, double *value) {
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || errno == ERANGE || !isfinite(v)) {
        char why[96];
        snprintf(why, sizeof why, "'%.40s' is not a number", text);
        return refuse(ctx, param, item, why);
    }
    if (param->fixed || param->low == param->high) {
        if (v != param->low) return refuse(ctx, param, item, "not the value the study fixed");
        *value = v;
        return DIAL_OK;
    }
    if (!(v >= param->low && v <= param->high)) return refuse(ctx, param, item, "out of range");
    if (param->kind == DIAL_PARAM_INT && v != floor(v))
        return refuse(ctx, param, item, "not an integer");
    double step =
        param->kind == DIAL_PARAM_INT ? (param->step >= 1 ? floor(param->step) : 1) : param->step;
    if (step > 0) {
        /* On the step as sampler_random.c places it: low + k * step. */
        double k = round((v - param->low) / step);
        double snapped = param->low + k * step;
        if (fabs(snapped - v) > 1e-9 * fmax(fabs(step), fabs(v)))
            return refuse(ctx, param, item, "not on the step");
        v = param->kind == DIAL_PARAM_INT ? v : fmin(snapped, param->high);
    }
    *value = v;
    return DIAL_OK;
}

/* The value and text of one assignment, checked against param. */
static dial_status check_value(dial_ctx *ctx, const dial_param *param, const char *item,
                               const char *text, double *value, char *out, size_t size) {
    if (param->kind == DIAL_PARAM_CHOICE) {
        for (size_t i = 0; i < param->n_choices; i++)
            if (strcmp(param->choices[i], text) == 0) {
                *value = (double)i;
                snprintf(out, size, "%s", text);
                return DIAL_OK;
            }
        return refuse(ctx, param, item, "not a choice");
    }
    dial_status status = check_number(ctx, param, item, text, value);
    if (status == DIAL_OK) dial_format_param_value(param->kind, *value, out, size);
    return status;
}

/* The names of the space, for a "did you mean" and the list. */
static dial_status unknown_name(dial_ctx *ctx, const dial_study *study, const char *item,
                                const char *name) {
    const char *names[64];
    size_t n = study->space.n < 64 ? study->space.n : 64;
    char list[512];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n; i++) {
        names[i] = study->space.params[i].name;
        if (used < sizeof list) {
            int written =
                snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", names[i]);
            if (written > 0) used += (size_t)written;
        }
    }
    const char *closest = dial_closest_name(name, names, n);
    if (closest)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "%s: study '%s' has no parameter '%s'; did you mean '%s'? (its "
                         "parameters: %s)",
                         item, study->name, name, closest, list);
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "%s: study '%s' has no parameter '%s' (its parameters: %s)", item, study->name,
                     name, list);
}

/* Cuts assignments into "name=value" items. A piece without '=' belongs to
 * the value before it: a choice may hold a comma ("hidden=128,64"). The
 * items point into text, which is cut up. Returns how many, or 0 when the
 * text starts with a piece that is no assignment. */
static size_t split_items(char *text, char **items, size_t capacity) {
    size_t n = 0;
    char *piece = text;
    while (piece) {
        char *comma = strchr(piece, ',');
        if (comma) *comma = '\0';
        if (strchr(piece, '=') || n == 0) {
            if (n == capacity) return 0;
            items[n++] = piece;
        } else {
            piece[-1] = ','; /* glue it back onto the value before */
        }
        piece = comma ? comma + 1 : NULL;
    }
    return n;
}

static char *trimmed(char *text) {
    while (*text == ' ') text++;
    size_t length = strlen(text);
    while (length > 0 && text[length - 1] == ' ') text[--length] = '\0';
    return text;
}

/* Reads every assignment into record, in the order given. */
static dial_status parse_assignments(dial_ctx *ctx, const dial_study *study, char *text,
                                     dial_trial_record *record) {
    size_t capacity = strlen(text) / 2 + 1;
    char **items = dial_calloc(ctx, capacity, sizeof *items);
    if (!items) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading an enqueued trial");
    size_t n = split_items(text, items, capacity);
    dial_status status = DIAL_OK;
    for (size_t i = 0; status == DIAL_OK && i < n; i++) {
        char *item = items[i];
        char *equals = strchr(item, '=');
        if (!equals) {
            status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                               "'%s' is not NAME=VALUE (such as C=1,gamma=0.01)", trimmed(item));
            break;
        }
        char shown[256];
        snprintf(shown, sizeof shown, "%s", item);
        *equals = '\0';
        char *name = trimmed(item);
        char *value_text = trimmed(equals + 1);
        if (!*name || !*value_text) {
            status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                               "'%s' is not NAME=VALUE (such as C=1,gamma=0.01)", shown);
            break;
        }
        long at = dial_space_find(&study->space, name);
        if (at < 0) {
            status = unknown_name(ctx, study, shown, name);
            break;
        }
        if (dial_record_find_param(record, name) >= 0) {
            status = dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s is given twice", name);
            break;
        }
        const dial_param *param = &study->space.params[at];
        double value = 0;
        char formatted[256];
        status = check_value(ctx, param, shown, value_text, &value, formatted, sizeof formatted);
        if (status == DIAL_OK &&
            !dial_record_add_param(ctx, record, param->name, param->kind, value, formatted))
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading an enqueued trial");
    }
    free(items);
    return status;
}

dial_status dial_study_enqueue(dial_ctx *ctx, dial_study *study, const char *assignments,
                               bool *added) {
    if (added) *added = false;
    if (!study || !assignments)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "dial_study_enqueue needs a study and assignments");
    if (study->space.n == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "study '%s' was opened without a search space, so there is nothing to "
                         "check an enqueued trial against; open it with its space",
                         study->name);
    if (!study->storage.ops->enqueue)
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED, "the %s study storage cannot enqueue trials",
                         study->storage.ops->kind);
    char *text = dial_strdup(ctx, assignments);
    if (!text) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory reading an enqueued trial");
    dial_trial_record record = {0};
    dial_status status = DIAL_OK;
    if (!*trimmed(text))
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT,
                           "an enqueued trial needs NAME=VALUE items, such as C=1,gamma=0.01");
    if (status == DIAL_OK) status = parse_assignments(ctx, study, text, &record);
    bool queued = false;
    if (status == DIAL_OK) {
        pthread_mutex_lock(&study->lock);
        status = study->storage.ops->enqueue(ctx, study->storage.self, study->study_id, &record,
                                             &queued);
        pthread_mutex_unlock(&study->lock);
    }
    if (status == DIAL_OK && added) *added = queued;
    dial_trial_record_clear(&record);
    free(text);
    return status;
}

/*
 * A pruner as --pruner spells it: "NAME[:k=v,...]" read into its settings
 * with the defaults of the study's resource, and written back canonically
 * (dial_pruner_spec_normalize) so that a study's identity compares alike
 * however the settings were spelled: the name, then every setting the
 * kind takes in its table's order, each a decimal integer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/pruner.h"

/* Every setting of every kind: its name, where it lives, its least
 * valid value. */
typedef struct setting_info {
    const char *name;
    size_t offset;
    int64_t minimum;
} setting_info;

static const setting_info setting_infos[] = {
    {"warmup_trials", offsetof(dial_pruner_settings, warmup_trials), 0},
    {"warmup_steps", offsetof(dial_pruner_settings, warmup_steps), 0},
    {"reduction_factor", offsetof(dial_pruner_settings, reduction_factor), 2},
    {"min_resource", offsetof(dial_pruner_settings, min_resource), 1},
    {"max_resource", offsetof(dial_pruner_settings, max_resource), 1},
};

#define SETTING_COUNT (sizeof setting_infos / sizeof setting_infos[0])

static int64_t *setting_slot(dial_pruner_settings *settings, const setting_info *info) {
    return (int64_t *)((char *)settings + info->offset);
}

/* The info of a setting the kind takes, or NULL. */
static const setting_info *kind_setting(const dial_pruner_ops *ops, const char *name, size_t n) {
    for (const char *const *s = ops->settings; *s; s++)
        if (strlen(*s) == n && strncmp(*s, name, n) == 0)
            for (size_t i = 0; i < SETTING_COUNT; i++)
                if (strcmp(setting_infos[i].name, *s) == 0) return &setting_infos[i];
    return NULL;
}

static void kind_setting_names(const dial_pruner_ops *ops, char *buf, size_t size) {
    size_t used = 0;
    buf[0] = '\0';
    for (const char *const *s = ops->settings; *s && used < size; s++)
        used +=
            (size_t)snprintf(buf + used, size - used, "%s%s", s == ops->settings ? "" : ", ", *s);
}

/* The first rung when none is given: a path's 1/27 (three rungs of
 * reduction factor 3 below its end), else one step or fold. */
static int64_t default_min_resource(dial_resource resource, int64_t max_resource) {
    return resource == DIAL_RESOURCE_PATH && max_resource >= 27 ? max_resource / 27 : 1;
}

/* The defaults for the resource, max_resource the largest a trial uses
 * (0 = unknown). */
static void set_defaults(dial_pruner_settings *settings, dial_resource resource,
                         int64_t max_resource) {
    settings->resource = resource;
    settings->warmup_trials = 5;
    settings->warmup_steps = 0;
    settings->reduction_factor = 3;
    settings->max_resource = max_resource > 0 ? max_resource : 0;
    settings->min_resource = default_min_resource(resource, settings->max_resource);
}

/* Reads the comma-separated "k=v" items of text into settings; `given` marks each setting
 * read, by its index in setting_infos. */
static dial_status read_settings(dial_ctx *ctx, const char *text, dial_pruner_settings *settings,
                                 bool *given) {
    const dial_pruner_ops *ops = settings->ops;
    const char *p = text;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t length = comma ? (size_t)(comma - p) : strlen(p);
        const char *equals = memchr(p, '=', length);
        size_t name_length = equals ? (size_t)(equals - p) : length;
        const setting_info *info = kind_setting(ops, p, name_length);
        char names[160];
        kind_setting_names(ops, names, sizeof names);
        if (!info) {
            if (!ops->settings[0])
                return dial_fail(ctx, DIAL_ERR_ARGUMENT, "pruner %s takes no settings, got '%.*s'",
                                 ops->name, (int)length, p);
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "unknown setting '%.*s' of pruner %s; its settings are: %s",
                             (int)name_length, p, ops->name, names);
        }
        size_t index = (size_t)(info - setting_infos);
        if (given[index])
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "pruner %s: setting %s is given twice; give it once", ops->name,
                             info->name);
        const char *digits = equals ? equals + 1 : p + length;
        size_t n_digits = (size_t)(p + length - digits);
        char value[32] = "";
        char *end = NULL;
        long long parsed = 0;
        if (equals && n_digits > 0 && n_digits < sizeof value) {
            memcpy(value, digits, n_digits);
            value[n_digits] = '\0';
            errno = 0;
            parsed = strtoll(value, &end, 10);
        }
        if (!equals || n_digits == 0 || n_digits >= sizeof value || *end || errno)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "pruner %s: %s expects an integer >= %lld, as in %s=%lld; got '%.*s'",
                             ops->name, info->name, (long long)info->minimum, info->name,
                             (long long)(*setting_slot(settings, info) > 0
                                             ? *setting_slot(settings, info)
                                             : info->minimum),
                             (int)length, p);
        if (parsed < info->minimum)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "pruner %s: %s = %lld is out of range: must be an integer >= %lld",
                             ops->name, info->name, parsed, (long long)info->minimum);
        *setting_slot(settings, info) = (int64_t)parsed;
        given[index] = true;
        if (!comma) return DIAL_OK;
        p = comma + 1;
    }
}

dial_status dial_pruner_spec_read(dial_ctx *ctx, const char *spec, dial_resource resource,
                                  int64_t max_resource, dial_pruner_settings *out) {
    *out = (dial_pruner_settings){0};
    if (resource != DIAL_RESOURCE_STEPS && resource != DIAL_RESOURCE_FOLDS &&
        resource != DIAL_RESOURCE_PATH)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "pruner resource %d is not DIAL_RESOURCE_STEPS, FOLDS or PATH",
                         (int)resource);
    const char *text = spec && *spec ? spec : "none";
    const char *colon = strchr(text, ':');
    size_t name_length = colon ? (size_t)(colon - text) : strlen(text);
    char name[32];
    const dial_pruner_ops *ops = NULL;
    if (name_length < sizeof name) {
        memcpy(name, text, name_length);
        name[name_length] = '\0';
        ops = dial_pruner_kind(name);
    }
    if (!ops) {
        char names[128];
        dial_pruner_kind_names(names, sizeof names);
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "unknown pruner '%.*s'; pruners are: %s",
                         (int)name_length, text, names);
    }
    set_defaults(out, resource, max_resource);
    out->ops = ops;
    bool given[SETTING_COUNT] = {false};
    if (colon) {
        dial_status status = read_settings(ctx, colon + 1, out, given);
        if (status != DIAL_OK) return status;
        /* A min_resource left out follows a max_resource given. */
        const setting_info *min_info = kind_setting(ops, "min_resource", strlen("min_resource"));
        if (min_info && !given[min_info - setting_infos])
            out->min_resource = default_min_resource(resource, out->max_resource);
    }
    if (ops->needs_max_resource && out->max_resource == 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "pruner %s needs max_resource, the most steps a trial reports, and the "
                         "steps have no known end: give it, as in --pruner %s:max_resource=27",
                         ops->name, ops->name);
    if (kind_setting(ops, "min_resource", strlen("min_resource")) && out->max_resource > 0 &&
        out->min_resource > out->max_resource)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "pruner %s: min_resource = %lld is above max_resource = %lld: it must "
                         "be at most max_resource",
                         ops->name, (long long)out->min_resource, (long long)out->max_resource);
    return DIAL_OK;
}

dial_status dial_pruner_spec_normalize(dial_ctx *ctx, const char *spec, dial_resource resource,
                                       int64_t max_resource, char **out) {
    *out = NULL;
    dial_pruner_settings settings;
    dial_status status = dial_pruner_spec_read(ctx, spec, resource, max_resource, &settings);
    if (status != DIAL_OK) return status;
    char text[256];
    size_t used = (size_t)snprintf(text, sizeof text, "%s", settings.ops->name);
    for (const char *const *s = settings.ops->settings; *s && used < sizeof text; s++) {
        const setting_info *info = kind_setting(settings.ops, *s, strlen(*s));
        int64_t value = *setting_slot(&settings, info);
        /* An unknown max_resource is left out: asha works without it. */
        if (strcmp(*s, "max_resource") == 0 && value == 0) continue;
        used += (size_t)snprintf(text + used, sizeof text - used, "%c%s=%lld",
                                 s == settings.ops->settings ? ':' : ',', *s, (long long)value);
    }
    *out = dial_strdup(ctx, text);
    return *out ? DIAL_OK : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for a pruner");
}

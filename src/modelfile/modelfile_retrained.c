/* The check of the model file's "retrained_from" record
 * (modelfile_retrained.h): the writer and the reader run the same one. */
#include "modelfile/modelfile_retrained.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

static bool is_hex16(const char *text) {
    size_t n = 0;
    for (; text[n]; n++) {
        char c = text[n];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return false;
    }
    return n == 16;
}

/* A member that is a string (of 16 hexadecimal digits when hex). */
static bool string_field(const json_t *object, const char *path, const char *key, bool hex,
                         char *why, size_t size) {
    const json_t *value = json_object_get(object, key);
    if (!value) {
        snprintf(why, size, "field '%s%s' is missing", path, key);
        return false;
    }
    if (!json_is_string(value)) {
        snprintf(why, size, "field '%s%s' must be a string", path, key);
        return false;
    }
    if (hex && !is_hex16(json_string_value(value))) {
        snprintf(why, size, "field '%s%s' must be 16 hexadecimal digits", path, key);
        return false;
    }
    return true;
}

/* Entry i of "data": {"file", "rows", "fingerprint"}; adds its rows to
 * *total. */
static bool data_entry(const json_t *entry, size_t i, uint64_t *total, char *why, size_t size) {
    char path[32];
    snprintf(path, sizeof path, "data[%zu].", i);
    if (!json_is_object(entry)) {
        snprintf(why, size, "field 'data[%zu]' must be an object", i);
        return false;
    }
    if (!string_field(entry, path, "file", false, why, size) ||
        !string_field(entry, path, "fingerprint", true, why, size))
        return false;
    const json_t *rows = json_object_get(entry, "rows");
    if (!json_is_integer(rows) || json_integer_value(rows) < 0) {
        snprintf(why, size, "field '%srows' must be an integer >= 0", path);
        return false;
    }
    *total += (uint64_t)json_integer_value(rows);
    return true;
}

bool dial_modelfile_retrained_check(const json_t *record, size_t n_rows, char *why, size_t size) {
    if (!json_is_object(record)) {
        snprintf(why, size, "must be an object");
        return false;
    }
    if (!string_field(record, "", "model_file", false, why, size) ||
        !string_field(record, "", "model_checksum", true, why, size) ||
        !string_field(record, "", "model_data_fingerprint", true, why, size))
        return false;
    const json_t *source = json_object_get(record, "knobs_source");
    if (!source || !(json_is_null(source) || json_is_object(source))) {
        snprintf(why, size, "field 'knobs_source' must be null or an object");
        return false;
    }
    const json_t *data = json_object_get(record, "data");
    size_t n = json_array_size(data);
    if (!json_is_array(data) || n == 0 || n > DIAL_RETRAINED_MAX_FILES) {
        snprintf(why, size, "field 'data' must be an array of 1 to %d files",
                 DIAL_RETRAINED_MAX_FILES);
        return false;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        if (!data_entry(json_array_get(data, i), i, &total, why, size)) return false;
    /* The rows a model says it saw are those of its files, or the record
     * belongs to another model. */
    if (total != (uint64_t)n_rows) {
        snprintf(why, size, "says its data files hold %llu rows, but the model was fitted on %zu",
                 (unsigned long long)total, n_rows);
        return false;
    }
    return true;
}

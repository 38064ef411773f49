/*
 * The text of a model file's JSON header. jansson prints every real with one
 * precision for the whole document: 17 digits always read back as the same
 * double but spell 1e-9 as 1.0000000000000001e-9, and 15 are readable but
 * lose some doubles. The header is meant to be read by people too, so each
 * real here gets the fewest of 15, 16 or 17 significant digits that read
 * back exactly. Everything else is laid out as json_dumps(JSON_INDENT(2))
 * lays it out, so the text differs from jansson's only in how reals are
 * spelled.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/text.h"
#include "modelfile/modelfile_internal.h"

/* A growing NUL-terminated text; failed records a lost allocation, after
 * which nothing more is appended. */
typedef struct json_text {
    const dial_ctx *ctx; /* whose allocation hook the text asks */
    char *text;
    size_t length, capacity;
    bool failed;
} json_text;

static void put_bytes(json_text *out, const char *bytes, size_t n) {
    if (out->failed) return;
    if (out->length + n + 1 > out->capacity) {
        size_t capacity = out->capacity ? out->capacity : 4096;
        while (out->length + n + 1 > capacity) capacity *= 2;
        char *grown = dial_realloc(out->ctx, out->text, capacity);
        if (!grown) {
            out->failed = true;
            return;
        }
        out->text = grown;
        out->capacity = capacity;
    }
    memcpy(out->text + out->length, bytes, n);
    out->length += n;
    out->text[out->length] = '\0';
}

static void put_text(json_text *out, const char *text) { put_bytes(out, text, strlen(text)); }

static void put_newline(json_text *out, size_t depth) {
    put_text(out, "\n");
    for (size_t i = 0; i < depth; i++) put_text(out, "  ");
}

void dial_modelfile_format_real(double value, char *buf, size_t size) {
    char text[40];
    dial_format_shortest(value, text, sizeof text);
    /* As jansson spells reals: a real never reads as an integer, and the
     * exponent has no '+' and no leading zeros ("1e-09" is "1e-9"). */
    if (!strchr(text, '.') && !strchr(text, 'e')) strcat(text, ".0");
    char *exponent = strchr(text, 'e');
    if (exponent) {
        char *sign = exponent + 1, *digits = sign + 1;
        while (*digits == '0' && digits[1]) digits++;
        char *to = *sign == '-' ? sign + 1 : sign;
        memmove(to, digits, strlen(digits) + 1);
    }
    snprintf(buf, size, "%s", text);
}

/* The escapes jansson writes: the two that JSON requires, the short forms
 * of the usual control characters, \uXXXX for the others. Bytes from 0x80
 * up are copied: the writer has checked that the text is UTF-8. */
static void put_string(json_text *out, const char *text, size_t length) {
    put_text(out, "\"");
    size_t start = 0;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        const char *escape = NULL;
        char code[8];
        switch (c) {
        case '"': escape = "\\\""; break;
        case '\\': escape = "\\\\"; break;
        case '\b': escape = "\\b"; break;
        case '\f': escape = "\\f"; break;
        case '\n': escape = "\\n"; break;
        case '\r': escape = "\\r"; break;
        case '\t': escape = "\\t"; break;
        default:
            if (c < 0x20) {
                snprintf(code, sizeof code, "\\u%04X", c);
                escape = code;
            }
        }
        if (!escape) continue;
        put_bytes(out, text + start, i - start);
        put_text(out, escape);
        start = i + 1;
    }
    put_bytes(out, text + start, length - start);
    put_text(out, "\"");
}

static void put_value(json_text *out, const json_t *value, size_t depth) {
    char number[64];
    switch (json_typeof(value)) {
    case JSON_OBJECT: {
        if (json_object_size(value) == 0) {
            put_text(out, "{}");
            return;
        }
        put_text(out, "{");
        const char *key;
        json_t *member;
        bool first = true;
        /* Keys keep the order they were set in, as in json_dumps. */
        json_object_foreach((json_t *)value, key, member) {
            put_text(out, first ? "" : ",");
            first = false;
            put_newline(out, depth + 1);
            put_string(out, key, strlen(key));
            put_text(out, ": ");
            put_value(out, member, depth + 1);
        }
        put_newline(out, depth);
        put_text(out, "}");
        return;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(value);
        if (n == 0) {
            put_text(out, "[]");
            return;
        }
        put_text(out, "[");
        for (size_t i = 0; i < n; i++) {
            put_text(out, i ? "," : "");
            put_newline(out, depth + 1);
            put_value(out, json_array_get(value, i), depth + 1);
        }
        put_newline(out, depth);
        put_text(out, "]");
        return;
    }
    case JSON_STRING: put_string(out, json_string_value(value), json_string_length(value)); return;
    case JSON_INTEGER:
        snprintf(number, sizeof number, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        put_text(out, number);
        return;
    case JSON_REAL:
        dial_modelfile_format_real(json_real_value(value), number, sizeof number);
        put_text(out, number);
        return;
    case JSON_TRUE: put_text(out, "true"); return;
    case JSON_FALSE: put_text(out, "false"); return;
    case JSON_NULL: put_text(out, "null"); return;
    }
}

char *dial_modelfile_json_dumps(const dial_ctx *ctx, const json_t *root) {
    json_text out = {.ctx = ctx};
    put_value(&out, root, 0);
    if (out.failed) {
        free(out.text);
        return NULL;
    }
    return out.text;
}

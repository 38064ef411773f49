/* Where a study lives, from the text of --study: a PostgreSQL connection
 * (a postgresql:// or postgres:// URL, or libpq's key=value form) or a
 * SQLite file; and the text to show for it, with any password hidden.
 *
 * This file knows libpq's syntax but not libpq itself, so the study code
 * and the CLI can name a storage without linking a database client. */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/storage.h"

#define HIDDEN "***"

static bool starts_with(const char *text, const char *prefix) {
    return strncmp(text, prefix, strlen(prefix)) == 0;
}

/* libpq's connection keywords: a file name is taken for a key=value
 * string only when it starts with one of them and '=', so "a=b.db" stays a
 * file. */
static const char *const conninfo_keys[] = {
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "service",
    "options",
    "sslmode",
    "connect_timeout",
    "application_name",
    "target_session_attrs",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "channel_binding",
    "gssencmode",
};

/* The length of the keyword at text when it is followed by '=' (spaces
 * allowed around it), else 0; *value is where its value starts. */
static size_t conninfo_key(const char *text, const char **value) {
    size_t n = 0;
    while (text[n] == '_' || islower((unsigned char)text[n])) n++;
    if (n == 0) return 0;
    const char *after = text + n;
    while (*after == ' ') after++;
    if (*after != '=') return 0;
    after++;
    while (*after == ' ') after++;
    *value = after;
    return n;
}

bool dial_storage_is_postgres(const char *spec) {
    if (!spec) return false;
    if (starts_with(spec, "postgresql://") || starts_with(spec, "postgres://")) return true;
    while (*spec == ' ') spec++;
    const char *value = NULL;
    size_t n = conninfo_key(spec, &value);
    for (size_t i = 0; n > 0 && i < sizeof conninfo_keys / sizeof conninfo_keys[0]; i++)
        if (strlen(conninfo_keys[i]) == n && strncmp(spec, conninfo_keys[i], n) == 0) return true;
    return false;
}

/* The end of a key=value value: a quoted one ('...' with \' and \\) or a
 * run of non-spaces. */
static const char *conninfo_value_end(const char *value) {
    if (*value != '\'') {
        while (*value && *value != ' ') value++;
        return value;
    }
    for (value++; *value && *value != '\''; value++)
        if (*value == '\\' && value[1]) value++;
    return *value ? value + 1 : value;
}

/* Appends n bytes of text at *out. */
static void put(char **out, const char *text, size_t n) {
    memcpy(*out, text, n);
    *out += n;
}

static void redact_conninfo(const char *spec, char *out) {
    const char *p = spec;
    while (*p) {
        if (*p == ' ') {
            *out++ = *p++;
            continue;
        }
        const char *value = NULL;
        size_t n = conninfo_key(p, &value);
        if (n == 0) { /* not key=value: libpq refuses it; copy it as it is */
            *out++ = *p++;
            continue;
        }
        const char *end = conninfo_value_end(value);
        put(&out, p, (size_t)(value - p));
        if (n == strlen("password") && strncmp(p, "password", n) == 0)
            put(&out, HIDDEN, strlen(HIDDEN));
        else
            put(&out, value, (size_t)(end - value));
        p = end;
    }
    *out = '\0';
}

/* scheme://user:password@host:port/db?password=...&...: the password of
 * the user part and of the query both go. */
static void redact_url(const char *spec, char *out) {
    const char *authority = strstr(spec, "://") + 3;
    size_t authority_length = strcspn(authority, "/?");
    const char *at = NULL;
    for (const char *p = authority; p < authority + authority_length; p++)
        if (*p == '@') at = p;
    const char *colon = at ? memchr(authority, ':', (size_t)(at - authority)) : NULL;
    const char *p = spec;
    if (colon) {
        put(&out, p, (size_t)(colon + 1 - p));
        put(&out, HIDDEN, strlen(HIDDEN));
        p = at;
    }
    const char *query = strchr(p, '?');
    if (!query) {
        strcpy(out, p);
        return;
    }
    put(&out, p, (size_t)(query + 1 - p));
    for (p = query + 1; *p;) {
        size_t length = strcspn(p, "&");
        if (starts_with(p, "password=")) {
            put(&out, "password=" HIDDEN, strlen("password=" HIDDEN));
        } else {
            put(&out, p, length);
        }
        p += length;
        if (*p == '&') *out++ = *p++;
    }
    *out = '\0';
}

char *dial_storage_redact(const dial_ctx *ctx, const char *spec) {
    if (!spec) spec = "";
    /* Hiding never makes a text longer than the text plus one HIDDEN per
     * byte, and in practice only adds a few bytes. */
    size_t size = strlen(spec) * (1 + strlen(HIDDEN)) + 1;
    char *out = dial_malloc(ctx, size);
    if (!out) return NULL;
    if (starts_with(spec, "postgresql://") || starts_with(spec, "postgres://"))
        redact_url(spec, out);
    else if (dial_storage_is_postgres(spec))
        redact_conninfo(spec, out);
    else
        strcpy(out, spec);
    return out;
}

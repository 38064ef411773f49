/*
 * The studies a SQLite study file holds, read without changing the file:
 * `dial trials FILE` and `dial best FILE` need to know which study to open
 * (and its direction) before they open one, and opening an absent study
 * would create it. Reads the `studies` table of docs/study-schema.md.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "core/text.h"
#include "dial/tune_model.h"

/* Readers wait this long for a writer's lock, as the storage does. */
#define CATALOG_BUSY_MS 10000

void dial_study_summaries_free(dial_study_summary *summaries, size_t n) {
    if (!summaries) return;
    for (size_t i = 0; i < n; i++) free(summaries[i].name);
    free(summaries);
}

static dial_status catalog_error(dial_ctx *ctx, sqlite3 *db, const char *path) {
    int code = sqlite3_errcode(db);
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        return dial_fail(ctx, DIAL_ERR_FORMAT, "%s is not a dial study database (%s)", path,
                         sqlite3_errmsg(db));
    return dial_fail(ctx, DIAL_ERR_IO, "cannot read study file %s: %s", path, sqlite3_errmsg(db));
}

/* Whether the file has a table of that name. */
static dial_status has_table(dial_ctx *ctx, sqlite3 *db, const char *path, const char *table,
                             bool *found) {
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
                           -1, &stmt, NULL) != SQLITE_OK)
        return catalog_error(ctx, db, path);
    sqlite3_bind_text(stmt, 1, table, -1, SQLITE_STATIC);
    int rc = sqlite3_step(stmt);
    *found = rc == SQLITE_ROW && sqlite3_column_int64(stmt, 0) > 0;
    sqlite3_finalize(stmt);
    return rc == SQLITE_ROW ? DIAL_OK : catalog_error(ctx, db, path);
}

static dial_status read_studies(dial_ctx *ctx, sqlite3 *db, const char *path,
                                dial_study_summary **out, size_t *n) {
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT name, direction, n_finished, n_running FROM studies "
                           "ORDER BY study_id",
                           -1, &stmt, NULL) != SQLITE_OK)
        return catalog_error(ctx, db, path);
    size_t count = 0, capacity = 0;
    dial_study_summary *list = NULL;
    dial_status status = DIAL_OK;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        if (count == capacity) {
            capacity = capacity ? 2 * capacity : 8;
            dial_study_summary *grown = realloc(list, capacity * sizeof *grown);
            if (!grown) {
                status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory listing studies");
                break;
            }
            list = grown;
        }
        const char *name = (const char *)sqlite3_column_text(stmt, 0);
        const char *direction = (const char *)sqlite3_column_text(stmt, 1);
        dial_study_summary *item = &list[count];
        item->name = dial_strdup(name ? name : "");
        if (!item->name) {
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory listing studies");
            break;
        }
        count++;
        item->direction =
            direction && strcmp(direction, "maximize") == 0 ? DIAL_MAXIMIZE : DIAL_MINIMIZE;
        item->n_finished = sqlite3_column_int64(stmt, 2);
        item->n_running = sqlite3_column_int64(stmt, 3);
    }
    if (status == DIAL_OK && rc != SQLITE_DONE) status = catalog_error(ctx, db, path);
    sqlite3_finalize(stmt);
    if (status != DIAL_OK) {
        dial_study_summaries_free(list, count);
        return status;
    }
    *out = list;
    *n = count;
    return DIAL_OK;
}

dial_status dial_study_catalog(dial_ctx *ctx, const char *path, dial_study_summary **out,
                               size_t *n) {
    *out = NULL;
    *n = 0;
    /* SQLite would report a missing file as "unable to open database
     * file"; the system's words say more. */
    struct stat info;
    if (stat(path, &info) != 0)
        return dial_fail(ctx, DIAL_ERR_IO, "cannot open study file %s: %s", path, strerror(errno));
    if (S_ISDIR(info.st_mode))
        return dial_fail(ctx, DIAL_ERR_IO, "cannot open study file %s: it is a directory", path);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        dial_status status = dial_fail(ctx, DIAL_ERR_IO, "cannot open study file %s: %s", path,
                                       db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return status;
    }
    sqlite3_busy_timeout(db, CATALOG_BUSY_MS);
    bool schema = false, studies = false;
    dial_status status = has_table(ctx, db, path, "dial_schema", &schema);
    if (status == DIAL_OK) status = has_table(ctx, db, path, "studies", &studies);
    if (status == DIAL_OK && !(schema && studies))
        status = dial_fail(ctx, DIAL_ERR_FORMAT, "%s is not a dial study database", path);
    if (status == DIAL_OK) status = read_studies(ctx, db, path, out, n);
    sqlite3_close(db);
    return status;
}

/* What every storage shares: opening by the text of --study, and closing
 * through the table. */
#include "tune/storage.h"

dial_status dial_storage_open(dial_ctx *ctx, const char *spec, dial_storage *out) {
    return dial_storage_is_postgres(spec) ? dial_storage_postgres_open(ctx, spec, false, out)
                                          : dial_storage_sqlite_open(ctx, spec, out);
}

dial_status dial_storage_open_read(dial_ctx *ctx, const char *spec, dial_storage *out) {
    return dial_storage_is_postgres(spec) ? dial_storage_postgres_open(ctx, spec, true, out)
                                          : dial_storage_sqlite_open_read(ctx, spec, out);
}

void dial_storage_close(dial_storage *storage) {
    if (!storage || !storage->ops) return;
    storage->ops->close(storage->self);
    *storage = (dial_storage){0};
}

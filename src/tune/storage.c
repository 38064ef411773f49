/* What every storage shares: closing through the table. */
#include "tune/storage.h"

void dial_storage_close(dial_storage *storage) {
    if (!storage || !storage->ops) return;
    storage->ops->close(storage->self);
    *storage = (dial_storage){0};
}

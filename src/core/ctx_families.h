/*
 * The model families a program registered on a context: internal to the
 * library. src/core/ctx.c keeps the list (a context owns it, a clone copies
 * it), src/models/registry.c reads and extends it; the public side is
 * dial_model_family_register in dial/model.h. The core knows the tables
 * only as pointers, so it depends on nothing of the models layer.
 */
#ifndef DIAL_CORE_CTX_FAMILIES_H
#define DIAL_CORE_CTX_FAMILIES_H

#include "dial/core.h"

struct dial_model_family;

/* Appends family (borrowed, never freed here) to ctx's list. Errors:
 * DIAL_ERR_NOMEM, with the message set and the list as it was. */
dial_status dial_ctx_family_add(dial_ctx *ctx, const struct dial_model_family *family);
/* ctx's registered families in registration order (NULL when none); *n
 * gets their count. Valid until the next dial_ctx_family_add. */
const struct dial_model_family *const *dial_ctx_families(const dial_ctx *ctx, size_t *n);

#endif

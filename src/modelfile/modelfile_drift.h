/*
 * The header's "drift_reference" section (internal; docs/modelfile.md):
 * its own section, so the rest of the header is untouched by it, and a
 * file without it (written before it existed) loads as a model without a
 * reference.
 */
#ifndef DIAL_MODELFILE_DRIFT_H
#define DIAL_MODELFILE_DRIFT_H

#include <jansson.h>

#include "modelfile/modelfile_reader.h"

/* Adds "drift_reference" to the header root when the model has one. */
dial_status dial_modelfile_encode_drift(dial_ctx *ctx, const dial_model *model, json_t *root);
/* Checks the header's "drift_reference" (absent or null: none) against
 * the decoded model's schema and keeps it on model. */
dial_status dial_modelfile_decode_drift(const dial_modelfile_reader *r, const json_t *header,
                                        dial_model *model);

#endif

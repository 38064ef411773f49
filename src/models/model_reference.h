/*
 * The drift reference's text on a fitted model (internal): the eval
 * layer's drift code (src/eval/drift_*.c) builds and reads it, the model
 * file writes and checks it; the model only keeps it.
 */
#ifndef DIAL_MODEL_REFERENCE_H
#define DIAL_MODEL_REFERENCE_H

#include "dial/model.h"

/* The reference as the text of a JSON object, or NULL when the model has
 * none. Owned by the model. */
const char *dial_model_reference_text(const dial_model *model);
/* Gives the model text (malloc'ed, taken over; NULL clears it), freeing
 * the one it had. */
void dial_model_reference_take(dial_model *model, char *text);

#endif

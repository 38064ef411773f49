/* The drift reference's section of the header (modelfile/modelfile_drift.h):
 * the model keeps it as text; here it becomes part of the header, and is
 * checked field by field when read (src/eval/drift_reference_json.c). */
#include <stdlib.h>

#include "eval/drift_internal.h"
#include "modelfile/modelfile_drift.h"
#include "models/model_reference.h"

dial_status dial_modelfile_encode_drift(dial_ctx *ctx, const dial_model *model, json_t *root) {
    const char *text = dial_model_reference_text(model);
    /* No key at all without one: such a model's bytes stay as they were. */
    if (!text) return DIAL_OK;
    json_t *reference = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    if (!reference || json_object_set_new(root, "drift_reference", reference) != 0)
        return dial_fail(ctx, text && !reference ? DIAL_ERR_ARGUMENT : DIAL_ERR_NOMEM,
                         text && !reference
                             ? "the model's drift reference is not JSON: a bug in dial"
                             : "out of memory saving the model");
    return DIAL_OK;
}

dial_status dial_modelfile_decode_drift(const dial_modelfile_reader *r, const json_t *header,
                                        dial_model *model) {
    json_t *json = json_object_get(header, "drift_reference");
    if (!json || json_is_null(json)) return DIAL_OK;
    dial_drift_reference *reference = NULL;
    dial_status status = dial_drift_reference_decode(r->ctx, json, model, &reference);
    if (status != DIAL_OK) return dial_modelfile_wrap(r, status);
    dial_drift_reference_free(reference);
    char *text = json_dumps(json, JSON_COMPACT | JSON_REAL_PRECISION(17));
    if (!text)
        return dial_fail(r->ctx, DIAL_ERR_NOMEM, "%s: out of memory reading the drift reference",
                         r->name);
    dial_model_reference_take(model, text);
    return DIAL_OK;
}

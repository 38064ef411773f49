/* Where a fitted model keeps its drift reference (models/model_reference.h). */
#include <stdlib.h>

#include "models/model_internal.h"
#include "models/model_reference.h"

const char *dial_model_reference_text(const dial_model *model) {
    return model ? model->drift_reference_json : NULL;
}

void dial_model_reference_take(dial_model *model, char *text) {
    free(model->drift_reference_json);
    model->drift_reference_json = text;
}

/* Checks on learned tensors shared by the families' validate hooks. */
#include <math.h>

#include "models/learned_check.h"

dial_status dial_learned_check_finite(dial_ctx *ctx, const char *family_name,
                                      const dial_tensor *t) {
    if (t->dtype != DIAL_F64) return DIAL_OK;
    const double *values = t->data;
    size_t n = dial_tensor_size(t);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(values[i]))
            return dial_fail(ctx, DIAL_ERR_FORMAT,
                             "%s model tensor '%s' holds %g at element %zu: learned values must "
                             "be finite numbers",
                             family_name, t->name, values[i], i);
    return DIAL_OK;
}

/* The auto sampler: being written (issue 13). */
#include "tune/sampler_internal.h"

static bool auto_suggest(const dial_sampler *sampler, int64_t number, long index,
                         const dial_param *own, double *value) {
    (void)sampler, (void)number, (void)index, (void)own, (void)value;
    return false;
}

const dial_sampler_ops dial_sampler_auto_ops = {
    .kind = DIAL_SAMPLER_AUTO,
    .name = "auto",
    .suggest = auto_suggest,
};

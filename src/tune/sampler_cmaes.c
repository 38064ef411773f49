/* The cmaes sampler: being written (issue 13); until then its table draws at
 * random, as a kind without propose does. */
#include "tune/sampler_internal.h"

static bool cmaes_suggest(const dial_sampler *sampler, int64_t number, long index,
                        const dial_param *own, double *value) {
    (void)sampler, (void)number, (void)index, (void)own, (void)value;
    return false;
}

const dial_sampler_ops dial_sampler_cmaes_ops = {
    .kind = DIAL_SAMPLER_CMAES,
    .name = "cmaes",
    .suggest = cmaes_suggest,
};

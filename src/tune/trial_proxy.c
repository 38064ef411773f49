/* Proxy trials: a trial whose study lives in another process. The
 * objective of a remote worker (an MPI rank other than 0) runs on a proxy
 * exactly as on a study's trial; trial.c sends what needs the study
 * (suggestions, reports, pruning) to the proxy's ops, which carry it to
 * the real trial, and keeps a copy of the params and reports in the
 * proxy's record so the objective reads them back as usual. The proxy's
 * context has the real trial's seed: the objective draws the same numbers
 * in either process. */
#include <math.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "tune/record.h"
#include "tune/study_internal.h"

dial_status dial_trial_proxy_create(dial_ctx *ctx, int64_t number, uint64_t seed, int threads,
                                    const dial_trial_proxy_ops *ops, void *user, dial_trial **out) {
    *out = NULL;
    if (!ops || !ops->suggest || !ops->report || !ops->report_path || !ops->should_prune ||
        !ops->prune_rungs)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "dial_trial_proxy_create needs every op");
    dial_trial *trial = dial_calloc(ctx, 1, sizeof *trial);
    dial_ctx *trial_ctx = trial ? dial_ctx_clone(ctx, threads > 0 ? threads : 1) : NULL;
    if (!trial_ctx) {
        free(trial);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making a proxy of trial %lld",
                         (long long)number);
    }
    dial_ctx_set_seed(trial_ctx, seed);
    trial->ctx = trial_ctx;
    trial->trial_id = -1;
    trial->sample = number;
    trial->record.number = number;
    trial->record.state = DIAL_TRIAL_RUNNING;
    trial->record.value = NAN;
    trial->proxy = ops;
    trial->proxy_user = user;
    *out = trial;
    return DIAL_OK;
}

bool dial_trial_proxy_abandoned(const dial_trial *proxy) { return proxy && proxy->abandoned; }

void dial_trial_proxy_free(dial_trial *proxy) {
    if (!proxy || !proxy->proxy) return;
    dial_trial_record_clear(&proxy->record);
    dial_ctx_free(proxy->ctx);
    free(proxy);
}

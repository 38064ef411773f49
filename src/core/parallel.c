/* Parallel loops over index ranges with POSIX threads. */
#include <pthread.h>
#include <stdlib.h>

#include "core/alloc.h"
#include "dial/core.h"

typedef struct range_job {
    dial_range_fn body;
    void *arg;
    size_t begin, end;
    int worker;
    dial_status status;
} range_job;

static void *range_job_run(void *p) {
    range_job *job = p;
    job->status = job->body(job->arg, job->begin, job->end, job->worker);
    return NULL;
}

dial_status dial_parallel_for(dial_ctx *ctx, int threads, size_t n, dial_range_fn body, void *arg) {
    if (n == 0) return DIAL_OK;
    if (threads < 1) threads = 1;
    if ((size_t)threads > n) threads = (int)n;
    if (threads == 1) return body(arg, 0, n, 0);

    range_job *jobs = dial_calloc(ctx, (size_t)threads, sizeof *jobs);
    pthread_t *ids = dial_calloc(ctx, (size_t)threads, sizeof *ids);
    if (!jobs || !ids) {
        free(jobs);
        free(ids);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory starting %d threads", threads);
    }
    size_t chunk = n / (size_t)threads, extra = n % (size_t)threads, at = 0;
    for (int t = 0; t < threads; t++) {
        size_t len = chunk + ((size_t)t < extra ? 1 : 0);
        jobs[t] = (range_job){body, arg, at, at + len, t, DIAL_OK};
        at += len;
    }
    int started = 1; /* job 0 runs on the calling thread */
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&ids[t], NULL, range_job_run, &jobs[t]) != 0) break;
        started++;
    }
    /* Jobs whose thread could not start run here, so the work is always done. */
    for (int t = started; t < threads; t++) range_job_run(&jobs[t]);
    range_job_run(&jobs[0]);
    for (int t = 1; t < started; t++) pthread_join(ids[t], NULL);

    dial_status status = DIAL_OK;
    for (int t = 0; t < threads && status == DIAL_OK; t++) status = jobs[t].status;
    free(jobs);
    free(ids);
    return status;
}

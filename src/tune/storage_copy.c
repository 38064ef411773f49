/* Copying studies between storages (dial_study_copy, `dial studies SRC
 * --copy-to DST`): a laptop's SQLite study to the cluster's PostgreSQL and
 * back, or between two files or two databases. It goes through the storage
 * table (dump_study, load_study), so any pair of backends copies, and the
 * copy holds everything the schema holds: the identity, direction and
 * creation time; every trial with its number, sample index, state, value,
 * params, intermediate values, path, times, heartbeat, stale mark and
 * message; the counters; the queue of params waiting to run.
 *
 * Refused before anything is written: a study the source lacks, a name the
 * destination already holds, a study with a trial still running (its
 * result would reach the source only, so the copy would miss it and, once
 * its heartbeat aged, run its params again). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/alloc.h"
#include "tune/storage.h"

void dial_storage_study_dump_free(dial_storage_study_dump *dump) {
    if (!dump) return;
    free(dump->name);
    dial_study_identity_free(&dump->identity);
    dial_trial_list_free(&dump->trials);
    free(dump->samples);
    free(dump->heartbeats);
    dial_trial_list_free(&dump->queue);
    *dump = (dial_storage_study_dump){0};
}

/* The pair of storages of one copy, with the texts that name them. */
typedef struct copy_job {
    dial_storage source, target;
    char *source_shown, *target_shown; /* passwords hidden */
} copy_job;

static void copy_job_close(copy_job *job) {
    dial_storage_close(&job->source);
    dial_storage_close(&job->target);
    free(job->source_shown);
    free(job->target_shown);
}

static dial_status refuse_running(dial_ctx *ctx, const copy_job *job, const char *name,
                                  int64_t running) {
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "study '%s' in %s has %lld %s still running; copy it once its workers "
                     "have finished (the copy would miss %s)",
                     name, job->source_shown, (long long)running, running == 1 ? "trial" : "trials",
                     running == 1 ? "that trial's result" : "those trials' results");
}

static dial_status refuse_taken(dial_ctx *ctx, const copy_job *job, const char *name) {
    return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                     "%s already holds a study '%s'; rename one of the two first (dial studies "
                     "%s --rename %s NEW) and copy again",
                     job->target_shown, name, job->target_shown, name);
}

/* "a.db has no study 'x'; it holds: a, b", from the listing in hand. */
static dial_status refuse_missing(dial_ctx *ctx, const copy_job *job, const char *name,
                                  const dial_study_summary *studies, size_t n) {
    if (n == 0) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s holds no study", job->source_shown);
    char list[400];
    size_t used = 0;
    list[0] = '\0';
    for (size_t i = 0; i < n && used + 1 < sizeof list; i++) {
        int written =
            snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", studies[i].name);
        if (written < 0) break;
        used += (size_t)written;
    }
    return dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s has no study '%s'; it holds: %s",
                     job->source_shown, name, list);
}

/* Opens the source read-only: it must exist (a missing file is not
 * created) and stays as it was. */
static dial_status open_source(dial_ctx *ctx, const char *from, const char *to, copy_job *job) {
    if (!from || !from[0] || !to || !to[0])
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "copying studies needs two study storages");
    job->source_shown = dial_storage_redact(ctx, from);
    job->target_shown = dial_storage_redact(ctx, to);
    if (!job->source_shown || !job->target_shown)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory copying studies");
    struct stat info;
    if (!dial_storage_is_postgres(from) && stat(from, &info) != 0)
        return dial_fail(ctx, DIAL_ERR_IO, "cannot open study file %s: no such file", from);
    dial_status status = dial_storage_open_read(ctx, from, &job->source);
    if (status == DIAL_OK && !job->source.ops->dump_study)
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT, "a %s storage cannot copy studies",
                           job->source.ops->kind);
    return status;
}

/* Opens the target to write, once the source's checks passed: a new file
 * or an empty database gains dial's schema. */
static dial_status open_target(dial_ctx *ctx, const char *to, copy_job *job) {
    dial_status status = dial_storage_open(ctx, to, &job->target);
    if (status == DIAL_OK && !job->target.ops->load_study)
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT, "a %s storage cannot receive studies",
                           job->target.ops->kind);
    return status;
}

/* Copies one study whose checks passed; the dump is checked again, as a
 * worker may have started a trial since the listing. */
static dial_status copy_one(dial_ctx *ctx, copy_job *job, const char *name, int64_t *n_trials) {
    dial_storage_study_dump dump;
    bool found = false, created = false;
    dial_status status = job->source.ops->dump_study(ctx, job->source.self, name, &dump, &found);
    if (status != DIAL_OK) return status;
    if (!found)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "study '%s' left %s while it was copied", name,
                         job->source_shown);
    int64_t running = 0;
    for (size_t i = 0; i < dump.trials.count; i++)
        running += dump.trials.items[i].state == DIAL_TRIAL_RUNNING;
    if (running > 0)
        status = refuse_running(ctx, job, name, running);
    else
        status = job->target.ops->load_study(ctx, job->target.self, &dump, &created);
    if (status == DIAL_OK && !created) status = refuse_taken(ctx, job, name);
    if (status == DIAL_OK) *n_trials += (int64_t)dump.trials.count;
    dial_storage_study_dump_free(&dump);
    return status;
}

dial_status dial_study_copy(dial_ctx *ctx, const char *from, const char *to, const char *name,
                            size_t *n_studies, int64_t *n_trials) {
    *n_studies = 0;
    *n_trials = 0;
    copy_job job = {0};
    dial_study_summary *studies = NULL;
    size_t n = 0;
    dial_status status = open_source(ctx, from, to, &job);
    if (status == DIAL_OK) status = job.source.ops->studies(ctx, job.source.self, &studies, &n);
    /* Every check first, so that a refusal leaves the target as it was
     * (and a target file that did not exist is not created). */
    size_t wanted = 0;
    for (size_t i = 0; status == DIAL_OK && i < n; i++) {
        if (name && strcmp(studies[i].name, name) != 0) continue;
        wanted++;
        if (studies[i].n_running > 0)
            status = refuse_running(ctx, &job, studies[i].name, studies[i].n_running);
    }
    if (status == DIAL_OK && name && wanted == 0)
        status = refuse_missing(ctx, &job, name, studies, n);
    if (status == DIAL_OK && wanted == 0)
        status = dial_fail(ctx, DIAL_ERR_ARGUMENT, "%s holds no study to copy", job.source_shown);
    if (status == DIAL_OK) status = open_target(ctx, to, &job);
    for (size_t i = 0; status == DIAL_OK && i < n; i++) {
        if (name && strcmp(studies[i].name, name) != 0) continue;
        int64_t id = 0;
        dial_direction direction = DIAL_MINIMIZE;
        bool taken = false;
        status = job.target.ops->find_study(ctx, job.target.self, studies[i].name, &id, &direction,
                                            NULL, &taken);
        if (status == DIAL_OK && taken) status = refuse_taken(ctx, &job, studies[i].name);
    }
    for (size_t i = 0; status == DIAL_OK && i < n; i++) {
        if (name && strcmp(studies[i].name, name) != 0) continue;
        status = copy_one(ctx, &job, studies[i].name, n_trials);
        if (status == DIAL_OK) (*n_studies)++;
    }
    dial_study_summaries_free(studies, n);
    copy_job_close(&job);
    return status;
}

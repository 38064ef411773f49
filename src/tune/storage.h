/*
 * Study storages (internal): where studies and their trials live.
 *
 * Every backend (in memory, SQLite, PostgreSQL) fills one table of
 * function pointers, so the study and the executor never know which one
 * they talk to. A storage handle belongs to one study handle, which
 * serialises the calls (one mutex per study handle): a backend need not be
 * thread-safe itself, but must be safe against other processes when it is
 * shared (SQLite: transactions, busy timeout and retries).
 *
 * The rules every backend keeps, so that workers never lose or repeat work:
 *   - A trial number is allocated in the same atomic step that marks stale
 *     trials failed, checks the study's trial budget and pops the queue of
 *     fixed params; numbers are 0-based, unique and never reused.
 *   - The budget counts finished trials (complete, pruned, failed by the
 *     objective) plus running ones, of every worker, but not stale ones.
 *   - A stale trial (running, heartbeat older than heartbeat_seconds) is
 *     marked failed and stale, and its params are queued: the next trial
 *     allocated takes exactly those params instead of the sampler's.
 *   - A trial that takes no params from the queue takes the next sample
 *     index, the number the sampler is asked for. Without stale trials the
 *     sample index is the trial number; a queued trial does not consume one,
 *     so a grid still runs every point after a worker died.
 *   - Each call that writes is durable when it returns (SQLite: its own
 *     committed transaction).
 */
#ifndef DIAL_TUNE_STORAGE_H
#define DIAL_TUNE_STORAGE_H

#include "dial/tune.h"

/* What start_trial needs to know. */
typedef struct dial_storage_start {
    int64_t max_trials;       /* 0 = no limit */
    double heartbeat_seconds; /* > 0 */
    double now;               /* unix seconds */
} dial_storage_start;

/* What start_trial allocated. record holds number, state RUNNING,
 * started_at and the params taken from the queue (already stored with the
 * trial). The caller owns record (dial_trial_record_clear). */
typedef struct dial_storage_trial {
    bool allocated; /* false: the study already has max_trials trials */
    int64_t trial_id;
    int64_t sample; /* sample index, or -1 when the params came from the queue */
    size_t n_marked_stale;
    dial_trial_record record;
} dial_storage_trial;

/* How many trials of a study are in each state; failed counts those that
 * failed by their objective, stale those whose worker died. */
typedef struct dial_storage_tally {
    int64_t complete, pruned, failed, stale, running;
} dial_storage_tally;

/* Everything a study holds, for copying it to another storage
 * (storage_copy.c): what dump_study reads and load_study writes. */
typedef struct dial_storage_study_dump {
    char *name; /* owned */
    dial_direction direction;
    double created_at;
    dial_study_identity identity; /* owned */
    int64_t next_number, next_sample;
    dial_trial_list trials; /* every trial, whole, ascending number */
    int64_t *samples;       /* per trial: its sample index, -1 when it took queued params */
    double *heartbeats;     /* per trial */
    /* The params waiting in the queue, oldest first; each record holds
     * only params, and its number is the entry's from_number (-1 for an
     * enqueued configuration, else the stale trial's number). */
    dial_trial_list queue;
} dial_storage_study_dump;

void dial_storage_study_dump_free(dial_storage_study_dump *dump);

typedef struct dial_storage_ops {
    /* Short name for messages ("memory", "sqlite"). */
    const char *kind;
    /* Opens study `name`, creating it with `direction` and `identity` (may
     * be NULL or empty) when absent, in one atomic step. Fails
     * (DIAL_ERR_ARGUMENT) when it exists with the other direction, or with
     * an identity that dial_study_identity_check refuses; a study stored
     * without an identity takes this one. */
    dial_status (*open_study)(dial_ctx *ctx, void *self, const char *name, dial_direction direction,
                              const dial_study_identity *identity, int64_t *study_id);
    /* Looks study `name` up without creating it: *found, and when found its
     * id, direction and (identity not NULL) its identity, which the caller
     * frees. NULL in a backend of one study per handle (memory). */
    dial_status (*find_study)(dial_ctx *ctx, void *self, const char *name, int64_t *study_id,
                              dial_direction *direction, dial_study_identity *identity,
                              bool *found);
    /* Every study of the storage, ascending name; the caller frees them
     * (dial_study_summaries_free). NULL in memory. */
    dial_status (*studies)(dial_ctx *ctx, void *self, dial_study_summary **out, size_t *n);
    /* Deletes a study and all it holds in one durable write; renames one
     * (DIAL_ERR_ARGUMENT when `to` is taken). *found false when there is no
     * study `name` / `from` (nothing changes). NULL in memory. */
    dial_status (*delete_study)(dial_ctx *ctx, void *self, const char *name, bool *found);
    dial_status (*rename_study)(dial_ctx *ctx, void *self, const char *from, const char *to,
                                bool *found);
    /* Allocates the next trial of the study (see the rules above). */
    dial_status (*start_trial)(dial_ctx *ctx, void *self, int64_t study_id,
                               const dial_storage_start *request, dial_storage_trial *out);
    /* Stores one param of a running trial (replacing one of the same name);
     * position orders the params as they were suggested. */
    dial_status (*set_param)(dial_ctx *ctx, void *self, int64_t trial_id, size_t position,
                             const char *name, dial_param_kind kind, double value,
                             const char *text);
    /* Stores an intermediate value (replacing one of the same step) and
     * refreshes the trial's heartbeat. */
    dial_status (*report)(dial_ctx *ctx, void *self, int64_t trial_id, int64_t step, double value,
                          double now);
    /* Replaces the trial's whole path (steps ascending, each >= 1; n 0
     * empties it) in one durable write, and refreshes its heartbeat. */
    dial_status (*report_path)(dial_ctx *ctx, void *self, int64_t trial_id, const int64_t *steps,
                               const double *values, size_t n, double now);
    /* Refreshes the heartbeat of running trials, in one write. */
    dial_status (*heartbeat)(dial_ctx *ctx, void *self, const int64_t *trial_ids, size_t n,
                             double now);
    /* Finishes a running trial: state COMPLETE (value finite or infinite),
     * PRUNED or FAILED (message may be NULL). When another worker declared
     * the trial stale meanwhile, it stays failed and stale (its params run
     * in another trial) and *was_stale is set. */
    dial_status (*finish)(dial_ctx *ctx, void *self, int64_t trial_id, dial_trial_state state,
                          double value, const char *message, double now, bool *was_stale);
    /* Looks trial `number` of the study up, for a process that tells a
     * trial another one asked (dial_study_tell_number): *found, and when
     * found the trial's id and its whole record as stored (params,
     * intermediate values, path, state, stale, message), which the caller
     * clears. *found is false when the study has no trial of that number,
     * and in memory also for a finished trial no longer kept (see
     * storage_memory.c); a number below the study's count of trials
     * (tally) is then one finished long ago. Reads only. */
    dial_status (*find_trial)(dial_ctx *ctx, void *self, int64_t study_id, int64_t number,
                              int64_t *trial_id, dial_trial_record *out, bool *found);
    /* The trials of the study numbered from_number or more, ascending, as
     * `trials` lists them (memory: those it keeps, which include every
     * running one): a model-based sampler's history reads only what changed
     * since it last looked (study_history.c). */
    dial_status (*trials_from)(dial_ctx *ctx, void *self, int64_t study_id, int64_t from_number,
                               dial_trial_list *out);
    /* Queues params (record's names, kinds, values and texts; its other
     * fields are ignored) behind those queued already, for the next trials
     * started to take (dial_study_enqueue), in one durable write, unless
     * the study already holds them: a queued entry or a trial (any state)
     * with the same names and texts; then nothing changes and *added is
     * false. */
    dial_status (*enqueue)(dial_ctx *ctx, void *self, int64_t study_id,
                           const dial_trial_record *params, bool *added);
    /* The trials of the study, ascending number: every one (SQLite), or
     * those kept in memory (storage_memory.c: the running ones, the most
     * recent finished ones, the best complete ones, the first failed). */
    dial_status (*trials)(dial_ctx *ctx, void *self, int64_t study_id, dial_trial_list *out);
    /* The best complete trial (lowest number among ties); *found false if none. */
    dial_status (*best)(dial_ctx *ctx, void *self, int64_t study_id, dial_direction direction,
                        dial_trial_record *out, bool *found);
    /* Finished (not stale) and running trials of the study. */
    dial_status (*counts)(dial_ctx *ctx, void *self, int64_t study_id, int64_t *finished,
                          int64_t *running);
    /* The study's trials counted by state (all of them, kept or not). */
    dial_status (*tally)(dial_ctx *ctx, void *self, int64_t study_id, dial_storage_tally *out);
    /* What a leaderboard needs, without listing the study: its n best
     * complete trials (n <= 100; lowest number first among ties) and its
     * first trial failed by the objective, ascending number. */
    dial_status (*leaders)(dial_ctx *ctx, void *self, int64_t study_id, dial_direction direction,
                           size_t n, dial_trial_list *out);
    /* Reads study `name` whole (dial_storage_study_dump) in one read
     * transaction, so the dump is one moment of the study; *found false
     * when there is none. The caller frees *out
     * (dial_storage_study_dump_free). NULL in memory. */
    dial_status (*dump_study)(dial_ctx *ctx, void *self, const char *name,
                              dial_storage_study_dump *out, bool *found);
    /* Writes a dump as a new study of that name, with its trial numbers,
     * sample indexes, counters and queue, in one durable write; *created
     * false (nothing written) when the storage already holds a study of
     * that name. NULL in memory. */
    dial_status (*load_study)(dial_ctx *ctx, void *self, const dial_storage_study_dump *study,
                              bool *created);
    void (*close)(void *self);
} dial_storage_ops;

typedef struct dial_storage {
    const dial_storage_ops *ops;
    void *self;
} dial_storage;

/* A fresh in-memory storage (its studies live as long as the handle). */
dial_status dial_storage_memory_open(dial_ctx *ctx, dial_storage *out);
/* Opens or creates a SQLite study file at path; a file of schema version 1
 * or 2 (before trial paths, before study identities) is upgraded in place.
 * Errors: a missing directory, a file that is not a dial study database, a
 * schema version this dial does not read (newer, or below 1) (DIAL_ERR_IO
 * or DIAL_ERR_FORMAT). */
dial_status dial_storage_sqlite_open(dial_ctx *ctx, const char *path, dial_storage *out);
/* Opens an existing SQLite study file read-only: nothing in it or beside it
 * is created or changed (no schema, no upgrade, no journal mode), and a
 * file whose directory cannot be written (a read-only mount) is read as
 * immutable. Every write fails. Errors: as dial_storage_sqlite_open, and an
 * empty file or another program's database is "not a dial study database"
 * (DIAL_ERR_FORMAT). */
dial_status dial_storage_sqlite_open_read(dial_ctx *ctx, const char *path, dial_storage *out);
/* Opens or creates the dial schema in a PostgreSQL database: conninfo is
 * a postgresql:// or postgres:// URL or libpq's key=value string, and the
 * PG* environment variables fill in what it leaves out, as libpq does. A
 * database of an older schema version is upgraded in place; one of a newer
 * version, or that holds tables named like dial's without dial_schema, is
 * refused (DIAL_ERR_FORMAT). Errors name the server with its password
 * hidden (dial_storage_redact): a server that cannot be reached after the
 * retries (DIAL_ERR_IO). read_only: nothing is created or upgraded, and a
 * database without dial's schema is "holds no dial study" (DIAL_ERR_FORMAT). */
dial_status dial_storage_postgres_open(dial_ctx *ctx, const char *conninfo, bool read_only,
                                       dial_storage *out);
/* Whether --study's text names a PostgreSQL database rather than a SQLite
 * file: a postgresql:// or postgres:// URL, or a key=value string that
 * starts with one of libpq's keywords ("host=db dbname=s"). */
bool dial_storage_is_postgres(const char *spec);
/* The text to show for a storage: spec with the password of a PostgreSQL
 * URL (user part and password= parameter) or key=value string replaced by
 * "***"; a file's path as it is. malloc'ed (free it); NULL when out of
 * memory. Every message and listing that names a storage shows this. */
char *dial_storage_redact(const dial_ctx *ctx, const char *spec);
/* Opens spec as dial_storage_is_postgres says: PostgreSQL, or a SQLite
 * file (dial_storage_sqlite_open / _open_read). */
dial_status dial_storage_open(dial_ctx *ctx, const char *spec, dial_storage *out);
dial_status dial_storage_open_read(dial_ctx *ctx, const char *spec, dial_storage *out);
/* Closes the storage; a zeroed storage is harmless. */
void dial_storage_close(dial_storage *storage);

/* Deep copy of an identity (from may be NULL: *to is empty). On error
 * (DIAL_ERR_NOMEM) *to is empty. */
dial_status dial_study_identity_copy(dial_ctx *ctx, const dial_study_identity *from,
                                     dial_study_identity *to);
/* Whether a key is a note (kept, never compared). */
bool dial_study_identity_is_note(const char *key);

#endif

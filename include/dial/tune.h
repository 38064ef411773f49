/*
 * dial/tune.h: studies, trials, search spaces, samplers and storages.
 *
 * A study is a named search: a direction, a sampler, a storage and its
 * trials. Two ways to drive it, as in Optuna:
 *   define-by-run: dial_study_optimize(study, objective, user, n_trials),
 *     where the objective calls dial_trial_suggest_float(trial, "lr", 1e-5,
 *     1e-1, DIAL_LOG) and friends and returns the value;
 *   ask-and-tell: dial_study_ask gives a trial, the caller suggests and
 *     evaluates, dial_study_tell reports its value.
 * The value a blind sampler (random, grid, qmc) gives trial n depends only
 * on (study seed, n) and, for the grid, n's position in the grid; a sampler
 * that learns (tpe, gp, cmaes, auto) also on the trials numbered below n
 * (dial_study_optimize with J jobs: those numbered n - J or below, the
 * others taken as still running), so the same seed and the same jobs give
 * the same trials in one process (docs/samplers.md).
 */
#ifndef DIAL_TUNE_H
#define DIAL_TUNE_H

#include "dial/core.h"
#include "dial/knobs.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dial_direction { DIAL_MINIMIZE = 0, DIAL_MAXIMIZE = 1 } dial_direction;

typedef enum dial_trial_state {
    DIAL_TRIAL_RUNNING = 0,
    DIAL_TRIAL_COMPLETE,
    DIAL_TRIAL_PRUNED,
    DIAL_TRIAL_FAILED
} dial_trial_state;

/* "running", "complete", "pruned", "failed" */
DIAL_API const char *dial_trial_state_name(dial_trial_state state);

/* Flags of dial_trial_suggest_float / _int. */
enum { DIAL_LINEAR = 0, DIAL_LOG = 1 };

/* ---- search spaces ----------------------------------------------------- */

typedef enum dial_param_kind {
    DIAL_PARAM_FLOAT = 0,
    DIAL_PARAM_INT,
    DIAL_PARAM_CHOICE
} dial_param_kind;

/* The distribution of one searched parameter. A CHOICE value is the index
 * into choices; a fixed parameter always takes `low` (or choice index low). */
typedef struct dial_param {
    char *name; /* owned */
    dial_param_kind kind;
    double low, high; /* inclusive; for CHOICE 0 .. n_choices-1 */
    double step;      /* INT or FLOAT grid step; 0 = none (INT: 1) */
    bool log;
    bool fixed;
    size_t n_choices;
    char **choices;  /* owned, CHOICE only */
    char *condition; /* owned, "" or "knob=v1|v2" (from the knob table) */
} dial_param;

typedef struct dial_space {
    size_t n;
    dial_param *params; /* owned */
} dial_space;

/* The default space of a model: every knob of the table with a default
 * search range (CHOICE and BOOL knobs search all values only when they have
 * has_search_range set). */
DIAL_API dial_status dial_space_from_knobs(dial_ctx *ctx, const dial_knobs *knobs, dial_space *out);
/* Overrides or adds one parameter from text, validated against the knob
 * table (the same messages as dial_knobs_set; DIAL_ERR_KNOB):
 *   C=1e-3..1e3:log     float range on a log scale
 *   k=1..50             integer range (the knob is INT)
 *   k=1..50:step=2      with a step
 *   weights=uniform,distance   choices
 *   alpha=0.1           fixed */
DIAL_API dial_status dial_space_set(dial_ctx *ctx, dial_space *space, const dial_knobs *knobs,
                                    const char *item);
/* The same for a JSON object {"C": "1e-3..1e3:log", "k": [1, 50], ...}. */
DIAL_API dial_status dial_space_set_json(dial_ctx *ctx, dial_space *space, const dial_knobs *knobs,
                                         const char *json_text);
DIAL_API long dial_space_find(const dial_space *space, const char *name);
/* Whether parameter i of space can never apply: its knob's condition names
 * a knob outside the space whose value in knobs turns it off (with
 * penalty=none fixed, l1_ratio of penalty=elasticnet). */
DIAL_API bool dial_space_never_active(const dial_space *space, const dial_knobs *knobs, size_t i);
/* Narrows a model's default space to what is left to search: takes out the
 * knobs fixed in knobs (set by the user), then, again and again, those
 * that can never apply (dial_space_never_active). Never fails. */
DIAL_API void dial_space_drop_fixed(dial_space *space, const dial_knobs *knobs);
/* Deep copy of from into *to (overwritten). On error (DIAL_ERR_NOMEM) *to
 * is left empty. Free with dial_space_free. */
DIAL_API dial_status dial_space_copy(dial_ctx *ctx, const dial_space *from, dial_space *to);
DIAL_API void dial_space_free(dial_space *space);

/* ---- typed spaces (a study of any program, no model) ------------------------
 * A study that tunes something other than dial's models has no knob table:
 * each parameter carries its type. Parameter names are shell and
 * environment variable names (a letter or '_', then letters, digits or '_',
 * at most 64 characters; "trial" is reserved for the trial number), so that
 * `dial ask` can print `x=1.25 opt='adam'` for eval and `dial run` can pass
 * DIAL_KNOB_x. */

/* Adds one parameter to space from text, replacing one of the same name:
 *   x=float:-5..10            a float range
 *   lr=float:1e-5..1e-1:log   on a log scale (low > 0)
 *   n=int:1..8                an integer range
 *   n=int:8..512:log          on a log scale (low >= 1)
 *   batch=int:16..256:step=16 with a step (high is reached when
 *                             (high - low) is a multiple of it)
 *   m=float:0..0.99:step=0.01 a float grid
 *   opt=adam,sgd,rmsprop      a categorical (two values or more, distinct;
 *                             a value is any text without a comma)
 * Errors (DIAL_ERR_ARGUMENT): one line naming the parameter, what was
 * given and what would be valid, e.g.
 *   space item 'lr=float:0..1:log': a log scale needs low > 0 (got 0)
 * The space is unchanged on error. */
DIAL_API dial_status dial_space_add_typed(dial_ctx *ctx, dial_space *space, const char *item);
/* The same for a JSON object (a --space-file): each member is a parameter,
 * its value the text after '=' above ("float:-5..10"), an array of
 * categorical values (["adam", "sgd"]; numbers and booleans are taken as
 * their text), or an object {"range": TEXT or ARRAY, "when": "opt=sgd"} for
 * a conditional parameter, active only in trials whose categorical `opt`
 * takes one of the values listed ("opt=sgd|rmsprop"). A condition must name
 * another categorical parameter of the same space and values it has, and
 * conditions must not form a cycle. `where` (a file name, may be NULL)
 * begins each message: "space.json: parameter 'm': ...". On error the
 * space is unchanged. */
DIAL_API dial_status dial_space_add_typed_json(dial_ctx *ctx, dial_space *space,
                                               const char *json_text, const char *where);
/* A typed space as canonical JSON text, members in the space's order, that
 * dial_space_add_typed_json reads back to an equal space (so a study can
 * record its space and a later run that gives none can use it). Numbers are
 * written in their shortest form that reads back to the same double, so
 * the round trip is exact. *out is the caller's (free). Errors:
 * DIAL_ERR_ARGUMENT for a fixed parameter (a typed space has none),
 * DIAL_ERR_NOMEM. */
DIAL_API dial_status dial_space_typed_json(dial_ctx *ctx, const dial_space *space, char **out);

/* ---- trials -------------------------------------------------------------- */

typedef struct dial_study dial_study;
typedef struct dial_trial dial_trial;

/* One finished or running trial as stored. params holds the values drawn
 * (CHOICE: index); absent parameters (inactive conditions) are not listed. */
typedef struct dial_trial_record {
    int64_t number;
    dial_trial_state state;
    double value; /* NaN unless complete */
    size_t n_params;
    char **param_names; /* owned */
    double *param_values;
    dial_param_kind *param_kinds;
    char **param_texts; /* owned: value as text ("0.5", "7", "uniform") */
    size_t n_intermediate;
    int64_t *intermediate_steps;
    double *intermediate_values;
    /* The trial's scores along its model's path knob (gbdt's n_estimators,
     * mlp's epochs), when the tuner scored one: path_values[i] is the mean
     * over the folds after path_steps[i] steps (rounds, epochs), ascending;
     * the last is the trial's own value of the knob. Empty otherwise. */
    size_t n_path;
    int64_t *path_steps;
    double *path_values;
    double started_at, finished_at; /* unix seconds; finished 0 while running */
    /* Seconds of the trial's time spent preparing what later trials reuse
     * (dial_tune_model prepares each fold once: kNN's neighbour lists, an
     * SVM's kernel), so its duration is not its fit's alone. Known only in
     * the run that ran the trial (dial_tune_result's records); storages do
     * not keep it and read it as 0. */
    double prepare_seconds;
    bool stale;    /* failed because its worker stopped sending heartbeats; its
                    * params were queued for another trial, and it does not
                    * count toward n_trials */
    char *message; /* owned: why a failed trial failed; NULL otherwise */
} dial_trial_record;

DIAL_API void dial_trial_record_clear(dial_trial_record *record);

typedef struct dial_trial_list {
    size_t count;
    dial_trial_record *items; /* owned, ascending number */
} dial_trial_list;

DIAL_API void dial_trial_list_free(dial_trial_list *list);

/* Draws a float in [low, high] (on a log scale with DIAL_LOG, then low > 0).
 * Suggesting the same name twice in a trial returns the same value. */
DIAL_API dial_status dial_trial_suggest_float(dial_trial *trial, const char *name, double low,
                                              double high, int flags, double *value);
DIAL_API dial_status dial_trial_suggest_int(dial_trial *trial, const char *name, int64_t low,
                                            int64_t high, int flags, int64_t *value);
/* Draws one of n choices; *index receives its index. */
DIAL_API dial_status dial_trial_suggest_choice(dial_trial *trial, const char *name,
                                               const char *const *choices, size_t n, size_t *index);
/* Draws a parameter as dial_trial_suggest_space does for one of its
 * parameters: param's kind, range, step, log scale and choices (a CHOICE
 * value is the index into param->choices), or the study's space's when it
 * has the name; the same value again when the trial already has it.
 * Errors: those of dial_trial_suggest_float and friends. */
DIAL_API dial_status dial_trial_suggest(dial_trial *trial, const dial_param *param, double *value);
/* Records an intermediate value (a fold's score, an epoch's loss); durable
 * when it returns. */
DIAL_API dial_status dial_trial_report(dial_trial *trial, int64_t step, double value);
/* Records the trial's scores along its model's path knob (see
 * dial_trial_record.path_steps), replacing any it had: steps ascending,
 * each >= 1. Durable when it returns. Errors: DIAL_ERR_ARGUMENT (steps not
 * ascending), DIAL_ERR_NOMEM, the storage's. */
DIAL_API dial_status dial_trial_report_path(dial_trial *trial, const int64_t *steps,
                                            const double *values, size_t n);
/* Gives up a trial that its objective could not judge because it was
 * stopped from outside (dial run's program, ended by a Ctrl-C): the value
 * and status the objective then returns are ignored, and dial_study_optimize
 * leaves the trial to expire at once, as a dead worker's trial: it never
 * counts toward n_trials, on_trial is not called for it, and the next trial
 * any run starts marks it failed and stale and takes its params. Until
 * then the storage lists it as running. */
DIAL_API void dial_trial_abandon(dial_trial *trial);
/* Whether the study's pruner says to stop this trial now (false without a
 * pruner): it judges the trial's last value in the study's resource
 * (dial_study_options.resource): the last intermediate value (STEPS,
 * FOLDS) or the last value of its path (PATH, dial_trial_report_path),
 * against what the other trials had at the same resource. An objective
 * that stops then sets *pruned; the trial is stored as pruned with the
 * values it reported, the last of them the step it reached. In
 * dial_study_optimize with J jobs, trial n is judged against the trials
 * numbered n - J and below only (a pruned study's trial waits, before it
 * starts, for them to finish), so the same seed and jobs prune the same
 * trials; an asked trial (dial_study_ask, dial_study_report_number) is
 * judged against every other trial stored (docs/pruners.md). */
DIAL_API bool dial_trial_should_prune(dial_trial *trial);
/* The resources, ascending and each <= max_resource, at which the study's
 * pruner judges a trial that will use max_resource (its rungs: for asha
 * min_resource * reduction_factor^k; below max_resource itself, which ends
 * the trial rather than judges it); writes up to capacity of them into
 * rungs and returns how many there are (0 without a pruner). The
 * objective of a PATH study scores its folds in step to each rung, reports
 * the path so far and asks dial_trial_should_prune. */
DIAL_API size_t dial_trial_prune_rungs(const dial_trial *trial, int64_t max_resource,
                                       int64_t *rungs, size_t capacity);
DIAL_API int64_t dial_trial_number(const dial_trial *trial);
/* The context the objective should use for this trial: its seed is derived
 * from (study seed, trial number), its thread budget is the trial's share. */
DIAL_API dial_ctx *dial_trial_ctx(dial_trial *trial);

/* ---- studies ------------------------------------------------------------- */

/* Where a trial's values come from. RANDOM, GRID and QMC draw blindly;
 * TPE, GP and CMAES learn from the trials finished before (after their
 * first dial_study_options.startup_trials, drawn by QMC); AUTO uses QMC,
 * then GP while the study is small and its space continuous, then TPE
 * (dial_study_sampler_plan says which and why). docs/samplers.md. */
typedef enum dial_sampler_kind {
    DIAL_SAMPLER_RANDOM = 0,
    DIAL_SAMPLER_GRID,
    DIAL_SAMPLER_QMC,
    DIAL_SAMPLER_TPE,   /* Parzen estimators of good and bad trials, multivariate */
    DIAL_SAMPLER_GP,    /* Gaussian process (Matern 5/2), log expected improvement */
    DIAL_SAMPLER_CMAES, /* CMA-ES with IPOP restarts */
    DIAL_SAMPLER_AUTO   /* qmc, then gp, then tpe */
} dial_sampler_kind;

/* The word --sampler spells a kind with ("random", "grid", "qmc", "tpe",
 * "gp", "cmaes", "auto"; "unknown" for another value), and the way back
 * (false for a word that names no kind). */
DIAL_API const char *dial_sampler_kind_name(dial_sampler_kind kind);
DIAL_API bool dial_sampler_kind_parse(const char *name, dial_sampler_kind *out);

/* What a trial's resource is, for the pruner (dial_study_options.resource):
 *   STEPS: the steps the objective reports (dial_trial_report; dial run's
 *          and dial tell's --step): resource = step;
 *   FOLDS: the built-in objective's fold scores, reported at steps 0, 1,
 *          ..., folds - 1: resource = step + 1, the folds done;
 *   PATH:  rounds or epochs of a path knob (gbdt's n_estimators, mlp's
 *          epochs): resource = a step of the trial's path
 *          (dial_trial_report_path), whose value is the mean over the
 *          folds after that many steps. */
typedef enum dial_resource {
    DIAL_RESOURCE_STEPS = 0,
    DIAL_RESOURCE_FOLDS,
    DIAL_RESOURCE_PATH
} dial_resource;

/* Checks a pruner as --pruner spells it and writes it canonically, every
 * setting given, into *out (the caller's, free): "none" (NULL or "" too),
 * "median", "asha", "hyperband", each optionally followed by ':' and
 * comma-separated settings (docs/pruners.md):
 *   median:warmup_trials=5,warmup_steps=0
 *   asha:reduction_factor=3,min_resource=1  (",max_resource=N" too when
 *                                            known: given, or FOLDS, PATH)
 *   hyperband:reduction_factor=3,min_resource=1,max_resource=27
 * (every value a decimal integer; median has no rungs to bound)
 * Settings left out take their defaults for the resource: min_resource is
 * one fold (FOLDS), max_resource / 27 rounded down but at least 1 (PATH),
 * or 1 (STEPS); max_resource is the folds (FOLDS) or the largest path
 * step (PATH); max_resource is 0 when unknown (STEPS), and hyperband then
 * needs it given. The canonical text is what a study records in its
 * identity ("pruner"), so the same pruner with the same settings is
 * always spelled alike. Errors (DIAL_ERR_ARGUMENT, one line naming the
 * setting and what is valid): an unknown pruner (listing them), an unknown
 * setting of it (listing its settings), a value out of range. */
DIAL_API dial_status dial_pruner_spec_normalize(dial_ctx *ctx, const char *spec,
                                                dial_resource resource, int64_t max_resource,
                                                char **out);

/* What a study is an experiment of: ordered key/value texts recorded when
 * the study is created ("model" = "knn", "metric" = "accuracy", "seed" =
 * "0", ...), so that a run with another setup cannot resume it and mix
 * trials that mean different things. Keys are free: a new setting that
 * changes what a trial's value means is one more key, and needs no schema
 * change. Keys that begin with "note." are kept with the study (for
 * listings, and to fill in what a resuming run leaves out) but never
 * compared. dial_tune_model's keys are listed in docs/study-schema.md. */
typedef struct dial_study_identity {
    size_t n;
    char **keys;   /* owned */
    char **values; /* owned */
} dial_study_identity;

/* Sets key to value, replacing its value when the key is there (it keeps its
 * place), else appending it. Errors: DIAL_ERR_ARGUMENT for an empty key,
 * DIAL_ERR_NOMEM (the identity is then unchanged). */
DIAL_API dial_status dial_study_identity_set(dial_ctx *ctx, dial_study_identity *identity,
                                             const char *key, const char *value);
/* The value of key, or NULL when the identity has none. */
DIAL_API const char *dial_study_identity_get(const dial_study_identity *identity, const char *key);
/* Frees the keys and values and empties the identity; a zeroed one is
 * harmless. */
DIAL_API void dial_study_identity_free(dial_study_identity *identity);
/* Compares the identity a study was created with (stored) with the one a
 * run asks for (wanted). A key that only one of them has is no conflict:
 * the other side predates it. Fails (DIAL_ERR_ARGUMENT) at the first key
 * whose values differ, with one line naming the study, the storage (where:
 * a file path, or "memory"), the key, both values and the way out:
 *   study 'knn' in s.db was created with metric accuracy, this run asks for
 *   f1; use --study-name NAME for a new study in the same file
 * The key "data" (dial_tune_model's fingerprints) is told as data: other
 * data, or the same rows or columns in another order. */
DIAL_API dial_status dial_study_identity_check(dial_ctx *ctx, const char *study, const char *where,
                                               const dial_study_identity *stored,
                                               const dial_study_identity *wanted);

typedef struct dial_study_options {
    const char *name;    /* study name; NULL = "default" */
    const char *storage; /* NULL or "" = in memory; else a SQLite file path */
    dial_direction direction;
    dial_sampler_kind sampler;
    const dial_space *space; /* needed by GRID (and used by QMC for dimensions); may be NULL */
    size_t grid_points;      /* points per continuous parameter for GRID; 0 = 10 */
    uint64_t seed;
    double heartbeat_seconds; /* a running trial silent this long is stale; 0 = 60 */
    /* What the study is an experiment of; NULL or empty: nothing recorded
     * or checked. */
    const dial_study_identity *identity;
    /* TPE, GP, CMAES, AUTO: how many first trials are drawn by QMC before
     * the sampler learns from the finished ones; 0 = 10. */
    size_t startup_trials;
    /* GP (and AUTO while it uses gp): prefer the cheaper of two candidates
     * whose expected improvements are close, learning what a trial costs
     * from the measured times of the finished ones. Off by default: the
     * times differ from run to run, and so would the trials; on, the same
     * seed no longer promises the same trials. */
    bool cost_aware;
    /* The pruner, as dial_pruner_spec_normalize reads it; NULL or "" =
     * none. Only the study handle's pruner judges: a study resumed with
     * another pruner is refused by the identity (dial_tune_model records
     * "pruner"), not here. */
    const char *pruner;
    /* What the pruner's resource is (STEPS by default). */
    dial_resource resource;
} dial_study_options;

/* Creates the study, or opens it when the storage already has one of that
 * name. Resuming, the direction must match, and so must the identity
 * (dial_study_identity_check's message); a study created without one (or
 * before dial kept them) takes this run's identity. The check and the
 * creation are one transaction, so two runs creating one study at once
 * cannot both win. The study keeps a copy of the options. Free with
 * dial_study_free (the stored study persists). */
DIAL_API dial_status dial_study_open(dial_ctx *ctx, const dial_study_options *options,
                                     dial_study **out);
/* Opens a study that exists in a SQLite file, with the direction it was
 * created with, to read it (`dial trials`, `dial best`); to run more trials
 * open it with dial_study_open and its options. name NULL picks the file's
 * only study, or "default" when it has several. The file is opened
 * read-only and never written (nor upgraded, nor switched to another
 * journal mode), so another program's file is left as it was, and a file
 * on a read-only mount can be read. A study handle from here cannot run
 * trials (the storage refuses the write). Errors: no such file
 * (DIAL_ERR_IO), not a dial study database (DIAL_ERR_FORMAT), no such
 * study, naming those the file holds (DIAL_ERR_ARGUMENT). Free with
 * dial_study_free. */
DIAL_API dial_status dial_study_load(dial_ctx *ctx, const char *storage, const char *name,
                                     dial_study **out);
/* The names of the studies in a SQLite file, ascending; *names is owned by
 * the caller (free each, then the array). Reads the file read-only, as
 * dial_study_load. */
DIAL_API dial_status dial_study_names(dial_ctx *ctx, const char *storage, char ***names, size_t *n);

/* One study of a file, as `dial studies` lists it. */
typedef struct dial_study_summary {
    char *name; /* owned */
    dial_direction direction;
    double created_at;                                 /* unix seconds */
    int64_t n_complete, n_pruned, n_failed, n_running; /* failed: not counting stale ones */
    double best_value;                                 /* NaN without a complete trial */
    dial_study_identity identity; /* owned; empty for a study made before identities */
} dial_study_summary;

/* The text to show for a study storage (--study): a file's path as it is,
 * a PostgreSQL URL or key=value string with its password replaced by
 * "***". malloc'ed (free it); NULL when out of memory. */
DIAL_API char *dial_study_storage_shown(dial_ctx *ctx, const char *storage);
/* Whether storage names a PostgreSQL database (a postgresql:// or
 * postgres:// URL, or libpq's key=value form) rather than a SQLite file. */
DIAL_API bool dial_study_storage_is_database(const char *storage);
/* Every study of a SQLite file, ascending name; read-only as
 * dial_study_load. On success *out (n items) is the caller's: free it with
 * dial_study_summaries_free. Errors: those of dial_study_load's file. */
DIAL_API dial_status dial_study_summaries(dial_ctx *ctx, const char *storage,
                                          dial_study_summary **out, size_t *n);
DIAL_API void dial_study_summaries_free(dial_study_summary *summaries, size_t n);
/* The identity study `name` of a SQLite file was created with, read
 * read-only. A missing file or study is no error: *found is false (a run
 * that will create it); so is an empty file (one that another run has just
 * created). A study made before identities gives *found true
 * and an empty identity. On success *out is the caller's
 * (dial_study_identity_free). Errors: a file that is not a dial study
 * database (DIAL_ERR_FORMAT), DIAL_ERR_IO, DIAL_ERR_NOMEM. */
DIAL_API dial_status dial_study_identity_read(dial_ctx *ctx, const char *storage, const char *name,
                                              dial_study_identity *out, bool *found);
/* Deletes study `name` and all its trials from a SQLite file, in one
 * transaction. Errors: the file's, as dial_study_load; no such study,
 * naming those the file holds (DIAL_ERR_ARGUMENT). */
DIAL_API dial_status dial_study_delete(dial_ctx *ctx, const char *storage, const char *name);
/* Renames study `from` to `to` in a SQLite file. Errors: the file's; no
 * study `from`, a study `to` already there, an empty name
 * (DIAL_ERR_ARGUMENT). */
DIAL_API dial_status dial_study_rename(dial_ctx *ctx, const char *storage, const char *from,
                                       const char *to);
/* Copies study `name` (NULL: every study) of storage `from` (a SQLite file
 * or a PostgreSQL database, read-only) into storage `to` (created when a
 * file does not exist), whole: identity, direction, creation time, every
 * trial with its number, state, value, params, intermediate values, path,
 * times and message, and the queue, so that the copy lists, ranks and
 * resumes as the original. Each study is one transaction in `to`. Refused
 * before anything is written (DIAL_ERR_ARGUMENT, one line): no such study
 * in `from` (naming those it holds), a name `to` already holds, a study
 * with a trial still running. On success *n_studies and *n_trials say what
 * was copied. Errors: those of opening either storage. */
DIAL_API dial_status dial_study_copy(dial_ctx *ctx, const char *from, const char *to,
                                     const char *name, size_t *n_studies, int64_t *n_trials);
DIAL_API void dial_study_free(dial_study *study);

/* Puts a known configuration first in the study, as Optuna's
 * enqueue_trial: the next trial started (by any worker) takes these values
 * instead of the sampler's; parameters it leaves out are drawn as usual.
 * assignments is "C=1,gamma=0.01": names of the study's space, values in
 * their range (a categorical's by its text). A configuration the study
 * already holds (queued, or run by a trial) is not added again (*added
 * false, may be NULL), so a command repeated with the same --enqueue does
 * not repeat it. Errors (DIAL_ERR_ARGUMENT, one line naming the item and
 * what is valid; nothing queued): a name outside the space, a value out of
 * range, off its step or not a choice, a name given twice. */
DIAL_API dial_status dial_study_enqueue(dial_ctx *ctx, dial_study *study, const char *assignments,
                                        bool *added);
/* What dial_study_warm_start took from the old study. */
typedef struct dial_warm_start_report {
    size_t n_old_complete; /* complete trials of the old study */
    size_t n_prior;        /* of which inside this study's space: the sampler's prior */
    size_t n_outside;      /* left out: a value outside this study's ranges or choices */
    size_t n_enqueued;     /* best ones enqueued (fewer than asked when held already) */
} dial_warm_start_report;
/* Warm-starts study (open for writing, with a space) from old (any study,
 * e.g. from dial_study_load): the n_best best complete trials of old that
 * lie in study's space are enqueued, best first (dial_study_enqueue: one
 * held already is not added again), and every complete trial of old in
 * the space becomes a prior that study's model-based sampler (tpe, gp,
 * auto; not cmaes) learns from before its own trials, counted toward its
 * startup trials. The prior lives on this handle only: it is never stored,
 * never one of study's trials, never its best; another process sharing the
 * study does not see it (its enqueued trials it does). Errors
 * (DIAL_ERR_ARGUMENT, one line naming the knob; nothing changed): old
 * optimizes the other direction, has no complete trial, set a knob that is
 * not in study's space or of another type (float, int, choice), or lacks
 * one of its knobs; the storage's. report (may be NULL) says what was
 * taken. */
DIAL_API dial_status dial_study_warm_start(dial_ctx *ctx, dial_study *study, dial_study *old,
                                           size_t n_best, dial_warm_start_report *report);
/* The study's pruner in one line for a run's header: "none", "asha
 * (reduction factor 3; judged after 1 and 3 folds of 5)". */
DIAL_API void dial_study_pruner_plan(const dial_study *study, char *buf, size_t size);
/* What the study's sampler uses and why, in one line for a run's header:
 * "tpe (qmc for the first 10 trials)", "auto: qmc for the first 10 trials,
 * then gp (a continuous space of 2 knobs) up to trial 200, then tpe". */
DIAL_API void dial_study_sampler_plan(const dial_study *study, char *buf, size_t size);

/* Returns the value of one trial, or a non-OK status to mark it failed (the
 * message on dial_trial_ctx(trial) is kept). An objective that stops early
 * because dial_trial_should_prune said so sets *pruned (and returns
 * DIAL_OK): the trial is stored as pruned, its value ignored. */
typedef dial_status (*dial_objective_fn)(void *user, dial_trial *trial, double *value,
                                         bool *pruned);

/* Runs trials until the study holds n_trials finished ones (complete,
 * pruned or failed; counting those of other workers and earlier runs), the
 * timeout passes (seconds, 0 = none), or *stop becomes true (may be NULL;
 * set it from a signal handler for a clean Ctrl-C). jobs trials run at once,
 * each with a context of threads_per_trial threads.
 *
 * Trials running in other workers (other processes, other handles of the
 * study) hold places in n_trials while they run. When they are all that
 * keeps the budget full, the run waits: for each to finish (it then
 * counts), or for its heartbeat to expire (its worker died: it is marked
 * failed and stale, never counts, and its params run in a trial of this
 * run). A run right after a crash thus never ends short of n_trials; it
 * waits at most one heartbeat period (dial_study_options.heartbeat_seconds)
 * per dead trial, and the stop flag and the timeout end the wait. */
typedef struct dial_optimize_options {
    int64_t n_trials;
    double timeout_seconds;
    int jobs;
    volatile int *stop;
    /* Called after each finished trial (from the thread that ran it, under a
     * lock so calls never overlap); may be NULL. */
    void (*on_trial)(void *user, const dial_study *study, const dial_trial_record *trial);
    void *on_trial_user;
    /* Called at most once per run, when it starts waiting for n_running
     * trials of other workers (see above); within_seconds is the study's
     * heartbeat period, the longest a dead worker's trial can hold its
     * place. From a worker thread, under the lock of on_trial; may be NULL. */
    void (*on_wait)(void *user, const dial_study *study, int64_t n_running, double within_seconds);
    void *on_wait_user;
    /* Evaluates a trial elsewhere (another process: `dial tune --mpi`)
     * instead of calling the objective here; NULL = here. Called from
     * worker `slot` (0 .. jobs - 1; one call per slot at a time, so a slot
     * may own one remote worker) with the trial started and proposed as for
     * the objective, and returns what the objective would: its status (the
     * message on dial_trial_ctx(trial)), *value and *pruned. It serves the
     * remote objective's suggestions, reports and pruning questions on this
     * trial (dial_trial_suggest, dial_trial_report, ...), so the trials and
     * their order are those of `jobs` local workers. */
    dial_status (*evaluate)(void *user, int slot, dial_trial *trial, double *value, bool *pruned);
    void *evaluate_user;
    /* With evaluate: asked (evaluate_user first) before worker `slot` takes
     * each trial; false retires the slot for the rest of the run, the other
     * slots going on (`--mpi`: the slot's rank died; its trial, abandoned,
     * goes stale and runs again on another slot). NULL = every slot stays. */
    bool (*slot_open)(void *user, int slot);
    /* With evaluate: the last local_jobs slots (jobs - local_jobs .. jobs - 1)
     * run the objective here, as without evaluate, and are always open
     * (slot_open is not asked for them): `--mpi`'s rank 0 evaluates too.
     * 0 = none; at most jobs. */
    int local_jobs;
} dial_optimize_options;

DIAL_API dial_status dial_study_optimize(dial_ctx *ctx, dial_study *study,
                                         dial_objective_fn objective, void *user,
                                         const dial_optimize_options *options);

/* Ask-and-tell. ask starts a new trial (NULL via *out with DIAL_OK when the
 * study already has max_trials finished or running trials, max_trials 0 =
 * no limit). tell finishes it with a state and value and frees the trial. */
DIAL_API dial_status dial_study_ask(dial_ctx *ctx, dial_study *study, int64_t max_trials,
                                    dial_trial **out);
DIAL_API dial_status dial_study_tell(dial_ctx *ctx, dial_study *study, dial_trial *trial,
                                     dial_trial_state state, double value);

/* Suggests every parameter of a typed space in trial (dial_space_add_typed),
 * in the space's order except that a conditional parameter comes after the
 * parameter its condition names, and only when that condition holds; an
 * inactive parameter is not suggested and the trial's record does not list
 * it. The values are stored before it returns. Errors: those of
 * dial_trial_suggest_*, with the message on dial_trial_ctx(trial). */
DIAL_API dial_status dial_trial_suggest_space(dial_trial *trial, const dial_space *space);
/* The trial's record as it stands: its number and the params suggested so
 * far (owned by the trial; valid until it is told or released). */
DIAL_API const dial_trial_record *dial_trial_get_record(const dial_trial *trial);
/* Frees the handle of an asked trial and leaves the trial running in the
 * study's storage, for another process to finish by its number
 * (dial_study_tell_number): `dial ask` exits after printing it. A trial
 * left running that no one tells goes stale after the heartbeat period of
 * the next run or ask that looks (its params are queued again). */
DIAL_API void dial_trial_release(dial_trial *trial);

/* Finishes trial `number` of the study, which another handle or process
 * asked: state COMPLETE with its value, PRUNED (a worker that stopped it
 * because dial_study_report_number said to: it keeps the intermediate
 * values it reported, the last of them where it stopped; value ignored),
 * or FAILED with message (may be NULL). Nothing changes on error, and each
 * is one line that names the study and the trial (DIAL_ERR_ARGUMENT):
 *   no such trial ("study 'mlp' in s.db has no trial 12; its trials are
 *   numbered 0 to 9"), one already finished ("trial 3 of study 'mlp' in
 *   s.db is already complete (value 0.913); it was told before"), one
 *   declared stale because no tell came within the heartbeat period ("...
 *   expired after 60 s without a tell; its params were queued for another
 *   trial"), a NaN value for COMPLETE, or RUNNING. An
 * in-memory study keeps only some finished trials (see dial_study_trials):
 * one it no longer keeps is refused as told before. After a tell, the
 * sampler and pruner of this handle learn from the trial. */
DIAL_API dial_status dial_study_tell_number(dial_ctx *ctx, dial_study *study, int64_t number,
                                            dial_trial_state state, double value,
                                            const char *message);
/* Records an intermediate value of running trial `number` (replacing one at
 * the same step) and refreshes its heartbeat; *prune (may be NULL) says
 * whether the study's pruner would stop the trial now (false without one).
 * Errors as dial_study_tell_number's for a trial that is not running. */
DIAL_API dial_status dial_study_report_number(dial_ctx *ctx, dial_study *study, int64_t number,
                                              int64_t step, double value, bool *prune);

/* ---- trials evaluated in another process (docs/mpi.md) ---------------------
 * A proxy trial stands, in a process that does not hold the study, for a
 * trial that another process started: the objective runs on it unchanged,
 * and each of its calls that needs the study goes to the ops, which carry
 * it to the real trial (under MPI: a message to rank 0, which answers with
 * dial_trial_suggest, dial_trial_report, ... on the trial). Each op runs
 * on the objective's thread; one that fails sets its message on ctx (the
 * proxy's context) and returns its status. */
typedef struct dial_trial_proxy_ops {
    /* param as dial_trial_suggest takes it; *value the real trial's. */
    dial_status (*suggest)(void *user, dial_ctx *ctx, const dial_param *param, double *value);
    dial_status (*report)(void *user, dial_ctx *ctx, int64_t step, double value);
    dial_status (*report_path)(void *user, dial_ctx *ctx, const int64_t *steps,
                               const double *values, size_t n);
    bool (*should_prune)(void *user);
    size_t (*prune_rungs)(void *user, int64_t max_resource, int64_t *rungs, size_t capacity);
} dial_trial_proxy_ops;

/* Makes a proxy for trial `number` whose context (a clone of ctx with
 * `threads` threads) has seed `seed`, the seed of the real trial's
 * context (dial_ctx_seed(dial_trial_ctx(real))), so the objective draws
 * what it would draw there. ops and user are borrowed and must outlive
 * the proxy. dial_trial_abandon marks it; dial_trial_proxy_abandoned
 * tells. Errors: DIAL_ERR_NOMEM. Free with dial_trial_proxy_free. */
DIAL_API dial_status dial_trial_proxy_create(dial_ctx *ctx, int64_t number, uint64_t seed,
                                             int threads, const dial_trial_proxy_ops *ops,
                                             void *user, dial_trial **out);
DIAL_API bool dial_trial_proxy_abandoned(const dial_trial *proxy);
/* Frees a proxy (and only a proxy: a study's trial is the study's);
 * NULL is harmless. */
DIAL_API void dial_trial_proxy_free(dial_trial *proxy);

/* Reading a study (also while other workers write it). dial_study_trials
 * lists a SQLite study's every trial. An in-memory study keeps what a
 * search needs, so that its memory is bounded by the work rather than by
 * the time (a fast objective under a long timeout finishes millions of
 * trials): its running trials, its 1000 most recent finished ones, its 100
 * best complete ones and its first failed one; those are what it lists,
 * ascending number, each once. dial_study_best is exact for both. On
 * success *out is owned by the caller (dial_trial_list_free). */
DIAL_API dial_status dial_study_trials(dial_ctx *ctx, dial_study *study, dial_trial_list *out);
/* The best complete trial; DIAL_ERR_ARGUMENT "the study has no complete trial" if none. */
DIAL_API dial_status dial_study_best(dial_ctx *ctx, dial_study *study, dial_trial_record *out);
DIAL_API dial_direction dial_study_direction(const dial_study *study);
DIAL_API const char *dial_study_name(const dial_study *study);

#ifdef __cplusplus
}
#endif
#endif

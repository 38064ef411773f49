/*
 * What the three files of the built-in objective share (internal to
 * src/tune/objective.c, objective_prepared.c and objective_chains.c): the
 * objective's layout, its folds, the prepared-fold cache and the chain
 * memos. Nothing else includes this header; the rest of the tuner uses
 * tune/objective.h.
 */
#ifndef DIAL_TUNE_OBJECTIVE_INTERNAL_H
#define DIAL_TUNE_OBJECTIVE_INTERNAL_H

#include <pthread.h>

#include "eval/silhouette.h"
#include "models/family_tuning.h"
#include "models/model_inputs.h"
#include "tune/objective.h"
#include "tune/record.h"
#include "tune/sampler_internal.h"

/* The bytes of the test rows' distances that a silhouette search keeps,
 * for all its folds together: 5 folds of the default sample of 4096 rows
 * take 330 MiB, 10 folds 660 MiB. A fold whose distances do not fit its
 * share is measured anew by each trial. */
#define OBJECTIVE_SILHOUETTE_BYTES ((size_t)768 << 20)

/* Entries each fold's cache keeps: a search over preprocessing variants
 * or metrics keeps the 4 most recently used per fold (beyond that an entry
 * is rebuilt when it is needed again), so memory stays bounded at about 4
 * x folds x (the data as doubles, twice, plus the family's state). */
#define OBJECTIVE_PREPARED_PER_FOLD 4

/* One fold, ready for every trial. */
typedef struct objective_fold {
    dial_view train, test;
    double *test_y; /* the targets of the test rows, owned; NULL when the fit has none */
    uint64_t fit_seed;
    /* silhouette: the test rows' distances, measured by the first trial
     * and summed again by the others (owned; NULL for other metrics) */
    dial_silhouette_memo *distances;
} objective_fold;

typedef enum prepared_state {
    PREPARED_BUILDING, /* a trial is making it; others wait or help */
    PREPARED_READY,    /* fold_state answers predict_fold */
    PREPARED_FULL      /* preparing failed: trials fit this fold in full */
} prepared_state;

/* Scores along the chain knob, for one fold, one entry and one value of
 * every other knob. */
typedef struct memo {
    struct memo *next;
    double *key; /* owned */
    size_t key_length;
    bool busy;        /* a trial is extending it: others score other folds */
    bool unsupported; /* the family cannot chain these knobs */
    double *scores;   /* owned; path: by step - 1 (NaN: not asked); warm: by rung */
    size_t n_scores;
    void *solution; /* warm: the solution at rung n_scores - 1 */
} memo;

/* Memos an entry keeps; beyond that the oldest idle one goes. */
#define OBJECTIVE_MEMOS_PER_ENTRY 256

/* One fold preprocessed and prepared for one key. */
typedef struct prepared {
    struct prepared *next; /* in its fold's list, most recently used first */
    double *key;           /* owned */
    size_t key_length;
    prepared_state state;
    int users;                     /* trials holding it: it is never evicted meanwhile */
    dial_tensors preprocess;       /* what preprocessing learned on the training rows */
    dial_model_inputs train, test; /* owned; outlive fold_state */
    void *fold_state;
    memo *memos; /* newest first */
    size_t n_memos;
} prepared;

typedef struct prepared_cache {
    pthread_mutex_t lock; /* guards every list and entry header */
    pthread_cond_t built; /* an entry left PREPARED_BUILDING */
    bool enabled;
    size_t n_folds;
    prepared **lists;  /* per fold */
    size_t *counts;    /* entries per fold */
    size_t builds;     /* entries built, for the tests */
    uint64_t settled;  /* memos that stopped being busy: a waiting trial looks again */
    size_t chain_fits; /* path fits and warm rungs solved, for the tests */
    /* The trials that built entries, and the seconds it took each: the
     * leaderboard says that such a trial's time includes work later trials
     * reuse (dial_objective_prepare_seconds). */
    int64_t *paid_numbers;
    double *paid_seconds;
    size_t n_paid, paid_capacity;
} prepared_cache;

struct dial_model_objective {
    const dial_model_family *family;
    dial_knobs knobs;             /* the fixed knobs, owned */
    dial_space space;             /* owned */
    size_t *order;                /* space indices, a knob's controlling knob before it */
    dial_order_role *order_roles; /* hints for the study's sampler, per space param; NULL: none */
    dial_metric metric;
    const dial_dataset *data;
    dial_task task;   /* of a fit of family on data: dial_model_fit_task */
    size_t n_classes; /* of a fit of family on data: dial_model_fit_n_classes */
    size_t *rows;     /* the rows the objective sees, ascending, owned */
    size_t n_rows;
    dial_splits splits; /* row indices of data */
    objective_fold *folds;
    /* prepare once, fit many: NULL when the family has no prepare_fold */
    prepared_cache *cache;
    dial_feature *features; /* the data's schema, names and levels borrowed */
    long *key_knobs;        /* impute, scale and the family's prepare_knobs, by index */
    size_t n_key_knobs;
    /* chains: chain_knob is the searched path or warm knob (-1: none) */
    long chain_knob;
    bool warm; /* the chain is a warm ladder, else a path */
    const dial_param *chain_param;
    long *memo_knobs; /* every knob but chain_knob, by index */
    size_t n_memo_knobs;
    size_t *path_steps; /* path, a choice: its steps ascending (NULL: an int range) */
    size_t n_path_steps;
    bool path_to_top; /* path: fit to the largest step the search may ask for */
    double *ladder;   /* warm: the rungs ascending */
    size_t n_ladder;
    /* pruning (dial_objective_set_pruning): with a pruner, folds are
     * scored strictly in order, so a pruned trial's folds are its first
     * ones; a PATH pruner judges a path trial at its rungs
     * (objective_rungs.c) */
    bool pruning;
    dial_resource pruning_resource;
};

/* Where a path fit pauses (objective_rungs.c): after scoring each step up
 * to path_length it writes the score to path[step - 1] (a fit may go
 * beyond, to the top of a list), and after scoring rungs[i] it calls
 * at_rung(user, i, score), which returns DIAL_OK for the fit to go on; any
 * other status ends the fit and is returned from it. */
typedef struct path_pause {
    const size_t *rungs; /* ascending */
    size_t n_rungs;
    double *path; /* the fold's scores by step - 1, as they come */
    size_t path_length;
    dial_status (*at_rung)(void *user, size_t i, double score);
    void *user;
} path_pause;

/* ---- objective.c ----------------------------------------------------------- */

/* Fits on the fold's training rows and scores its test rows. */
dial_status dial_objective_score_fold(dial_ctx *ctx, const dial_model_objective *objective,
                                      const dial_knobs *knobs, const objective_fold *fold,
                                      double *score);

/* ---- objective_prepared.c -------------------------------------------------- */

/* Sets the objective's order hints (sampler.h) to those that share the
 * most: the knobs of a prepared entry vary slowest, the chain knob fastest
 * (a path from its top, a warm ladder from its bottom); the others spread.
 * None without a cache. Errors: DIAL_ERR_NOMEM. */
dial_status dial_objective_order(dial_ctx *ctx, dial_model_objective *objective);

/* The cache of a family with a prepare path: the data's schema as the
 * preprocessing reads it, the knobs of the key, and empty lists. */
dial_status dial_objective_cache_create(dial_ctx *ctx, dial_model_objective *objective);

/* Frees the cache, its entries and their memos; NULL is harmless. */
void dial_objective_cache_free(const dial_model_family *family, prepared_cache *cache);

/* The key of a trial's knobs: for each key knob whether it is active and,
 * if so, its value (a list knob's items too). -0 is 0: they preprocess
 * alike. Returns NULL when out of memory. */
double *dial_objective_make_key(const dial_ctx *ctx, const long *indices, size_t n_indices,
                                const dial_knobs *knobs, size_t *length);

/* A malloc'ed copy of a key, NULL when out of memory. */
double *dial_objective_key_copy(const dial_ctx *ctx, const double *key, size_t length);

/* Scores fold f from its prepared entry: predict_fold and the metric, no
 * fit. Falls back to the full fit when the entry could not be prepared or
 * predict_fold cannot answer these knobs. */
dial_status dial_objective_score_fold_prepared(dial_ctx *ctx, const dial_model_objective *objective,
                                               const dial_knobs *knobs, size_t f, const double *key,
                                               size_t key_length, double *score, double *path,
                                               bool *busy, double *paid);

/* Scores fold f of a path trial by one fit to its own value that pauses
 * at pause's rungs (objective_rungs.c): the score from the chain's memo
 * when it has it, else from a fit of its own, whose scores then join the
 * memo. path receives the scores of steps 1 .. the trial's value. Without
 * a path to pause along (an entry that could not be prepared, knobs that
 * break the path) the fold is scored as dial_objective_score_fold_in_order
 * does, and path is left as it was. Errors: the fit's, or pause's status
 * when it stopped the fit. */
dial_status dial_objective_score_fold_paused(dial_ctx *ctx, const dial_model_objective *objective,
                                             const dial_knobs *knobs, size_t f, const double *key,
                                             size_t key_length, const path_pause *pause,
                                             double *score, double *path, double *paid);

/* Scores the predictions value (and proba) of fold's test rows, whose
 * input the family saw as test: against their targets, or for a
 * clustering metric on test->x, a sample drawn from ctx's seed (which the
 * caller has set to the fold's fit seed, as a full fit's scoring has).
 * What dial_eval_score_view does after predicting. Errors: those of
 * dial_metric_score_rows. */
dial_status dial_objective_score_predictions(dial_ctx *ctx, const dial_model_objective *objective,
                                             const objective_fold *fold, const dial_fit_input *test,
                                             const double *value, const double *proba,
                                             double *score);
/* Notes that trial `number` spent `seconds` preparing entries (kept
 * whatever the trial's outcome: the entries stay for the others). Out of
 * memory, the note is lost and the leaderboard says nothing of it. */
void dial_objective_record_paid(const dial_ctx *ctx, prepared_cache *cache, int64_t number,
                                double seconds);

/* ---- objective_chains.c ---------------------------------------------------- */

/* Frees a memo and the warm solution it holds. */
void dial_objective_memo_free(const dial_model_family *family, memo *m);

/* Picks the chain knob from the family's hooks and the space: a searched
 * path knob, or a searched warm knob whose values are known in advance (a
 * list of numbers, or a range under the grid sampler). */
dial_status dial_objective_chain_setup(dial_ctx *ctx, dial_model_objective *objective,
                                       dial_sampler_kind sampler, size_t grid_points);

/* Scores fold f along the chain from the held entry; for a path, path
 * (when not NULL) receives the scores of steps 1 .. the trial's value
 * (NaN where not asked). *busy: another trial
 * is extending the memo this one needs (nothing done; try another fold).
 * DIAL_ERR_UNSUPPORTED: the chain cannot answer these knobs (the caller
 * uses predict_fold). */
dial_status dial_objective_chain_score(dial_ctx *ctx, const dial_model_objective *objective,
                                       size_t f, const dial_knobs *knobs, prepared *entry,
                                       double *score, double *path, bool *busy);

/* dial_objective_chain_score for a path fit that pauses at pause's rungs:
 * never waits for a busy memo and never holds one busy (a paused fit
 * would hold it while its trial's pruner waits for other trials). Fills
 * path with steps 1 .. the trial's value. DIAL_ERR_UNSUPPORTED: no path
 * here (a warm chain, a refused path, a skipped step). */
dial_status dial_objective_chain_score_paused(dial_ctx *ctx, const dial_model_objective *objective,
                                              size_t f, const dial_knobs *knobs, prepared *entry,
                                              const path_pause *pause, double *score, double *path);

/* The steps of a path trial's fold scores (n_folds rows of stride
 * entries, NaN where not asked or where a fold was fitted in full) among
 * the first count that every fold scored, each with its mean over the
 * folds, recorded as the trial's path. */
dial_status dial_objective_report_path(dial_trial *trial, const double *paths, size_t n_folds,
                                       size_t stride, size_t count);

/* How many path steps a trial of these knobs scores (its path knob's
 * value), or 0 when it has no path. */
size_t dial_objective_path_length(const dial_model_objective *objective, const dial_knobs *knobs);

/* The first step at or above r that a path fit scores for any trial (r
 * in a range at or above its low end, the low end below it, the next step
 * of a list), or 0 when there is none: where a pruner's rung r is judged. */
size_t dial_objective_path_step_from(const dial_model_objective *objective, size_t r);

/* ---- objective_rungs.c ----------------------------------------------------- */

/* Scores fold f of a trial, waiting while another trial extends the memo
 * it needs (folds strictly in order, as a pruner wants): what
 * dial_objective_score_fold_prepared does, never *busy. */
dial_status dial_objective_score_fold_in_order(dial_ctx *ctx, const dial_model_objective *objective,
                                               const dial_knobs *knobs, size_t f, const double *key,
                                               size_t key_length, double *score, double *path,
                                               double *paid);

/* Judges a path trial (a PATH pruner, its path `steps` long) at each rung
 * dial_trial_prune_rungs gives, by one fit per fold that pauses there: at
 * each rung every fold's fit reaches it, the path so far is reported and
 * dial_trial_should_prune asked; *pruned is set when told to stop (the
 * trial's path then ends at that rung, and the fits end there). A trial
 * that goes on has its fits run to its own value: *scored is then set,
 * scores (n_folds) holds each fold's score and paths (the trial's
 * n_folds x steps buffer) its path. Otherwise paths is left all NaN and
 * the caller scores the folds. A rung some fold cannot answer (no prepared
 * fold, a refused path) ends the judging: the trial runs to its end.
 * Errors: a fold's fit, with the fold named on the trial's context;
 * DIAL_ERR_NOMEM when the folds' threads cannot start. */
dial_status dial_objective_judge_rungs(dial_ctx *fold_ctx, const dial_model_objective *objective,
                                       dial_trial *trial, const dial_knobs *knobs,
                                       const double *key, size_t key_length, double *paths,
                                       size_t steps, double *scores, double *paid, bool *pruned,
                                       bool *scored);

#endif

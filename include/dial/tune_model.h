/*
 * dial/tune_model.h: tuning the knobs of a built-in model, as `dial tune`
 * does.
 *
 * The objective of a trial is the mean cross-validated score of the model
 * with the trial's knobs, over folds made once per search: every trial is
 * scored on the same rows, so trials are compared fairly, and each fold's
 * score is reported as an intermediate value (step = fold index) for
 * pruners. Around that objective, dial_tune_model runs the whole procedure:
 * the search, optionally a stratified holdout the search never sees, or a
 * nested cross-validation whose outer folds each run a fresh search, then a
 * refit of the best knobs that records how they were chosen.
 *
 * The fits of a trial use the same seeds whatever the trial (from the
 * setup's seed and the fold), so `dial cv MODEL DATA -s <knobs> --seed N
 * --folds K` reproduces the score of a trial searched on all rows (to the
 * solver's tolerance when the trial was warm-started along a ladder of a
 * warm knob, such as svm's C in a grid).
 */
#ifndef DIAL_TUNE_MODEL_H
#define DIAL_TUNE_MODEL_H

#include "dial/eval.h"
#include "dial/model.h"
#include "dial/tune.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What one search scores. */
typedef struct dial_tune_setup {
    const dial_model_family *family;
    const dial_knobs *knobs; /* fixed knobs: every trial starts from a copy */
    const dial_space *space; /* the searched knobs (may be empty) */
    dial_metric metric;
    size_t folds;   /* 0 = 5 */
    size_t repeats; /* 0 = 1 */
    uint64_t seed;  /* seed of the folds, of the fits and of the sampler */
    /* How rows may be split (see dial_split_folds): NULL for shuffled
     * folds. Its keys index the rows of the whole dataset; the inner folds,
     * the holdout and the outer folds of a nested run all keep it. Borrowed:
     * it must outlive the objective and the run. */
    const dial_fold_scheme *fold_scheme;
} dial_tune_setup;

/* ---- the objective --------------------------------------------------------- */

typedef struct dial_model_objective dial_model_objective;

/* Prepares the objective on rows[0 .. n_rows) of data (rows NULL: every
 * row): checks the metric against the task and the family, and makes the
 * folds (stratified for classification; by setup->fold_scheme when set, on
 * those rows alone). Copies what it needs from setup
 * and rows; borrows data, which must outlive it. Errors: DIAL_ERR_ARGUMENT
 * (a metric for the other task, a metric needing probabilities the family
 * lacks, too few rows of a class for the folds), DIAL_ERR_NOMEM. Free with
 * dial_model_objective_free. */
DIAL_API dial_status dial_model_objective_create(dial_ctx *ctx, const dial_tune_setup *setup,
                                                 const dial_dataset *data, const size_t *rows,
                                                 size_t n_rows, dial_model_objective **out);
DIAL_API void dial_model_objective_free(dial_model_objective *objective);

/* A dial_objective_fn; pass the objective as user. Sets the knobs from the
 * trial's suggestions (a knob whose condition fails is not asked for), fits
 * and scores every fold, reports each score, and returns the mean. Returns
 * the error of a failing fit (the trial fails with its message). Safe to
 * call from several threads at once. */
DIAL_API dial_status dial_model_objective_run(void *objective, dial_trial *trial, double *value,
                                              bool *pruned);

/* The population standard deviation of a trial's intermediate values (the
 * objective's fold scores); NaN when it has none. */
DIAL_API double dial_objective_fold_std(const dial_trial_record *record);

/* The search space to open the study with: the setup's, its knobs
 * ordered so that a knob comes after the knob its condition names. Owned
 * by the objective. */
DIAL_API const dial_space *dial_model_objective_space(const dial_model_objective *objective);

/* The folds: row indices into the dataset (never outside the objective's
 * rows). Owned by the objective. */
DIAL_API const dial_splits *dial_model_objective_splits(const dial_model_objective *objective);

/* The knobs a trial ran with: the fixed knobs with the record's params set.
 * On success *out is a new set (dial_knobs_free). DIAL_ERR_KNOB when a param
 * does not fit the knob table (a study made for another model). */
DIAL_API dial_status dial_model_objective_knobs(dial_ctx *ctx,
                                                const dial_model_objective *objective,
                                                const dial_trial_record *record, dial_knobs *out);

/* ---- the procedure --------------------------------------------------------- */

/* Told before each search starts. */
typedef struct dial_tune_search {
    const char *study_name;
    size_t outer;                  /* 0: the main search; k >= 1: outer fold k of a nested run */
    size_t n_outer;                /* outer folds of a nested run, else 0 */
    size_t n_rows;                 /* rows the search sees */
    int64_t n_trials;              /* finished trials the study is brought to (0: no limit) */
    int64_t n_finished;            /* finished trials it already held (a resumed study) */
    const dial_trial_record *best; /* its best complete trial so far, or NULL */
} dial_tune_search;

typedef struct dial_tune_options {
    const char *study_name; /* NULL: the family's name */
    const char *storage;    /* NULL: in memory; else a SQLite file path */
    dial_sampler_kind sampler;
    size_t grid_points; /* 0 = 10 */
    /* n_trials (0: the grid's size, or no limit), jobs, stop and on_trial
     * as for dial_study_optimize. timeout_seconds bounds the whole run: a
     * nested run gives each of its searches an equal share. */
    dial_optimize_options optimize;
    double holdout; /* fraction of rows set aside before the search; 0: none */
    size_t nested;  /* outer folds of a nested cross-validation; 0: none */
    bool refit;     /* refit the best on the search's rows (always with holdout) */
    void (*on_search)(void *user, const dial_tune_search *search);
    void *on_search_user;
    /* Entries the caller adds to every study's identity (see
     * dial_study_identity): a setting of its own that changes what a
     * trial's value means, or notes ("note.data_file"); may be NULL. */
    const dial_study_identity *identity;
    /* With refit and a holdout: the refit saved is fitted on every row,
     * the held-out ones too (holdout_score still comes from a fit on the
     * search's rows alone, which never saw them). Default false: the refit
     * is fitted on the rows the search saw. */
    bool refit_all;
    /* With nested: run only the K outer searches, not the main search on
     * all rows, whose result only the refit uses (refit must be false);
     * the result then holds the nested estimate alone (no trials, no
     * best, n_finished 0). */
    bool nested_only;
    /* Samplers that learn (TPE, GP, CMAES, AUTO): how many first trials
     * are drawn by QMC; 0 = 10 (dial_study_options.startup_trials). */
    size_t startup_trials;
    /* GP (and AUTO's GP): prefer the cheaper of near ties, from the
     * measured times of the finished trials (dial_study_options.cost_aware;
     * the same seed then no longer promises the same trials). */
    bool cost_aware;
    /* Called with each study of the run once it is open and before its
     * first trial (the main search's, and each outer fold's): the caller
     * may enqueue known configurations (dial_study_enqueue) or read the
     * sampler's plan (dial_study_sampler_plan). A status other than DIAL_OK
     * (its message set on ctx) ends the run with it. May be NULL. */
    dial_status (*on_study)(dial_ctx *ctx, void *user, dial_study *study);
    void *on_study_user;
    /* The pruner (dial_pruner_spec_normalize's text; NULL = none). Its
     * resource is the path knob's rounds or epochs when the space searches
     * one (gbdt's n_estimators, mlp's epochs: a trial's folds are scored
     * in step, judged at each rung on their mean), else the folds (a
     * trial's first folds are its first rungs); its canonical text is the
     * identity's "pruner". A complete trial always has all its folds, so
     * the best is never a pruned one. */
    const char *pruner;
} dial_tune_options;

typedef struct dial_tune_result {
    dial_direction direction;
    char *study_name; /* owned */
    /* The main study's trials a leaderboard needs, ascending number: its
     * best complete ones (up to 100) and its first failed one. However
     * many trials the study holds, this stays small; dial_study_trials on
     * a SQLite study lists them all. */
    dial_trial_list trials;
    dial_trial_record best;                 /* its best complete trial */
    double best_std;                        /* population std of the best's fold scores */
    dial_knobs best_knobs;                  /* the knobs of the best trial */
    int64_t n_finished;                     /* finished trials of the main study: */
    int64_t n_complete, n_pruned, n_failed; /* (failed by the objective) */
    int64_t n_new;       /* of which this run added (this process: not another's at once) */
    bool stopped;        /* the stop flag or the timeout ended the run early */
    size_t *search_rows; /* rows the main search saw, ascending */
    size_t n_search_rows;
    /* holdout (n_holdout 0 without one) */
    size_t *holdout_rows;
    size_t n_holdout;
    double holdout_score; /* NaN without a holdout */
    /* nested: outer_splits holds the outer folds; n_outer of them ran
     * (fewer than asked when stopped) */
    dial_splits outer_splits;
    size_t n_outer;
    double *outer_scores; /* n_outer: the refit inner best scored on the outer test rows */
    double *inner_best;   /* n_outer: best value of each inner search */
    char **outer_studies; /* n_outer study names */
    double nested_mean, nested_std, inner_best_mean; /* NaN without nested */
    dial_model *model;   /* the refit, tuning record set; NULL unless refit */
    size_t n_refit_rows; /* rows the refit was fitted on; 0 without one */
    bool main_searched;  /* false when nested_only skipped the main search */
} dial_tune_result;

/* Tunes setup->family on data (which must have a target): runs the search
 * in study options->study_name (created, or resumed from the storage),
 * each study carrying the identity of the experiment: model, data
 * fingerprints, target, task, metric, folds, repeats, seed, holdout,
 * nested, sampler (and grid_points for a grid), the searched space, the
 * fixed knobs, outer_fold for the studies of a nested run, the fold
 * scheme's column when there is one (groups, time_column and gap, or
 * fold_column), and options->identity's entries (refit_all and nested_only
 * are not part of it: they change what is refitted, not what a trial's
 * value means). Resuming a study (or any of a nested run's studies) whose
 * identity differs is refused before any trial runs (DIAL_ERR_ARGUMENT,
 * dial_study_identity_check's message). The search refits the best knobs
 * when asked (always with a holdout, which the refit is then scored on),
 * then runs the nested estimate when asked, its outer
 * searches reporting to the same on_search and on_trial. On success *out
 * owns everything it holds (dial_tune_result_free); a stopped run is a
 * success when the main study has a complete trial. Errors: those of
 * dial_model_objective_create and dial_study_open; DIAL_ERR_ARGUMENT for a
 * holdout outside (0, 1), nested of 1, or both at once, nested_only
 * without nested or with refit, a holdout or a nested run with given folds
 * (DIAL_FOLDS_PREDEFINED); DIAL_ERR_DATA when
 * the main study (or an outer fold's) has no complete trial, the message
 * giving the first failure; the refit's fit errors. On error *out is left
 * empty. */
DIAL_API dial_status dial_tune_model(dial_ctx *ctx, const dial_tune_setup *setup,
                                     const dial_dataset *data, const dial_tune_options *options,
                                     dial_tune_result *out);
DIAL_API void dial_tune_result_free(dial_tune_result *result);

/* The objective of the main search dial_tune_model runs with these
 * options on data (on the rows its holdout leaves, its pruner set): what
 * a remote worker (`dial tune --mpi`, docs/mpi.md) evaluates the trials
 * of that search with, on proxy trials, so that they score as they would
 * in one process. Errors: those of dial_tune_model's options and of
 * dial_model_objective_create; DIAL_ERR_ARGUMENT for a nested run (one
 * objective per outer fold). Free with dial_model_objective_free. */
DIAL_API dial_status dial_tune_model_objective(dial_ctx *ctx, const dial_tune_setup *setup,
                                               const dial_dataset *data,
                                               const dial_tune_options *options,
                                               dial_model_objective **out);

#ifdef __cplusplus
}
#endif
#endif

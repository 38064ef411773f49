/*
 * dial/knob_importance.h: which searched knobs explain the variation of the
 * objective across a study's complete trials (`dial knob-importance`).
 *
 * Two methods (docs/knob-importance.md):
 *   fANOVA (Hutter, Hoos and Leyton-Brown, "An Efficient Approach for
 *     Assessing Hyperparameter Importance", ICML 2014): a random forest
 *     (dial's forest, regression) is fitted to the trials, each knob in its
 *     unit coordinate (a log knob on its log axis, a categorical by its
 *     category), and each tree's functional ANOVA decomposition is computed
 *     exactly from its leaves' boxes: a knob's term is the variance of the
 *     tree's marginal over that knob, divided by the tree's total variance,
 *     averaged over the trees. A pair's term is the variance of the pair's
 *     marginal minus the two single terms.
 *   PED-ANOVA (Watanabe, Bansal and Hutter, "PED-ANOVA: Efficiently
 *     Quantifying Hyperparameter Importance in Arbitrary Subspaces", IJCAI
 *     2023): per knob, the Pearson divergence between the Parzen density of
 *     the top 10% of the trials and that of all of them; no model is fitted,
 *     so it suits large studies.
 * The terms are shares: they are divided by their sum, so the knobs' shares
 * sum to 1 (with pairs, the knobs' and pairs' shares together).
 *
 * A conditional knob (active only in some trials) is judged over the trials
 * where it was active, and its term there is weighed by the share of the
 * objective's total variation (sum of squares about the mean) that those
 * trials hold, so that it reads as a part of the whole study's variation.
 * A knob that never varied gets share 0 and varied false.
 */
#ifndef DIAL_KNOB_IMPORTANCE_H
#define DIAL_KNOB_IMPORTANCE_H

#include "dial/core.h"
#include "dial/tune.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum dial_knob_importance_method {
    DIAL_KNOB_IMPORTANCE_FANOVA = 0,
    DIAL_KNOB_IMPORTANCE_PED_ANOVA
} dial_knob_importance_method;

/* "fanova", "ped-anova" ("unknown" for another value), and the way back
 * (false for a word that names no method). */
DIAL_API const char *dial_knob_importance_method_name(dial_knob_importance_method method);
DIAL_API bool dial_knob_importance_method_parse(const char *name, dial_knob_importance_method *out);

typedef struct dial_knob_importance_options {
    dial_knob_importance_method method;
    bool pairs;    /* fANOVA only: also the pairs' terms */
    uint64_t seed; /* the forest's seed (fANOVA) */
    /* fANOVA: trees in the forest; 0 = 64 (Optuna's FanovaImportanceEvaluator's) */
    size_t n_trees;
} dial_knob_importance_options;

/* One knob's share. */
typedef struct dial_knob_share {
    char *knob; /* owned */
    double importance;
    bool varied;      /* false: the knob took one value in every trial it was in */
    double value;     /* when !varied: that value (a categorical's index) */
    char *value_text; /* owned, when !varied: that value as the trials show it */
    size_t n_trials;  /* the complete trials where the knob was active */
} dial_knob_share;

typedef struct dial_knob_pair_share {
    char *knobs[2]; /* owned, in the study's knob order */
    double importance;
} dial_knob_pair_share;

typedef struct dial_knob_importance_result {
    dial_knob_importance_method method;
    size_t n_trees;              /* fANOVA: trees in each forest; 0 for PED-ANOVA */
    size_t n_trials;             /* complete trials used */
    size_t n_knobs;              /* every knob the trials searched */
    dial_knob_share *knobs;      /* owned, from the most important (ties: study order) */
    size_t n_pairs;              /* with options.pairs: every pair judged together */
    dial_knob_pair_share *pairs; /* owned, from the most important */
} dial_knob_importance_result;

/* Ranks the knobs of a study's complete trials (the study may be loaded
 * read-only: dial_study_load). space gives each knob's range, log scale and
 * categories (dial_knob_importance_space reads the one a study recorded);
 * NULL takes each numeric knob's range from its smallest and largest value
 * in the trials, on a linear axis, and a categorical's categories from the
 * values seen. The same study, options and seed give the same result.
 * On success *out is the caller's (dial_knob_importance_result_free).
 * Errors: one line naming the study (DIAL_ERR_DATA) for fewer than two
 * complete trials, no knob that took two values, an objective that took
 * one value in every trial; DIAL_ERR_ARGUMENT for pairs with PED-ANOVA;
 * DIAL_ERR_NOMEM, the storage's. */
DIAL_API dial_status dial_knob_importance(dial_ctx *ctx, dial_study *study, const dial_space *space,
                                          const dial_knob_importance_options *options,
                                          dial_knob_importance_result *out);
DIAL_API void dial_knob_importance_result_free(dial_knob_importance_result *result);

/* The space a study recorded in its identity (dial_study_identity_read):
 * the typed space of a study of a program (`dial run`, `dial ask`), or the
 * model's knobs as `dial tune` records them ("space" = "k=1..50;
 * weights=uniform|distance", read against the knob table of "model").
 * *found is false, *out empty, when the identity records none. On success
 * *out is the caller's (dial_space_free). Errors: a recorded space that does
 * not read back (DIAL_ERR_FORMAT, naming the item), DIAL_ERR_NOMEM. */
DIAL_API dial_status dial_knob_importance_space(dial_ctx *ctx, const dial_study_identity *identity,
                                                dial_space *out, bool *found);

#ifdef __cplusplus
}
#endif
#endif

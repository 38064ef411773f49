/*
 * Pruners (internal to src/tune): whether a running trial should stop
 * after an intermediate value, judged from what the study has seen. Like
 * samplers and storages, a pruner kind is a table of functions
 * (dial_pruner_ops) with a contract per slot; a kind (none, median, asha,
 * hyperband) is a file with its table and one line in pruner.c's list,
 * touching neither the objective nor the CLI. Adding one:
 * docs/adding-a-sampler.md.
 *
 * What every kind shares lives here and in pruner.c: the settings as
 * --pruner spells them (pruner_spec.c), and what the study told the
 * pruner of each trial (dial_pruner_note): its state and its values as
 * losses (lower is better, the direction applied; NaN counts as +inf)
 * against the resource they were reached at (dial_resource). A kind's
 * should_prune only reads that.
 */
#ifndef DIAL_TUNE_PRUNER_H
#define DIAL_TUNE_PRUNER_H

#include "dial/tune.h"

/* What a pruner is made for: the study's direction and seed. */
typedef struct dial_pruner_setup {
    dial_direction direction;
    uint64_t seed;
} dial_pruner_setup;

typedef struct dial_pruner_ops dial_pruner_ops;

/* A pruner's settings, read from its text (pruner_spec.c): a setting the
 * kind does not take keeps its default and is never used. */
typedef struct dial_pruner_settings {
    const dial_pruner_ops *ops;
    dial_resource resource;
    int64_t warmup_trials;    /* median: complete trials before any pruning */
    int64_t warmup_steps;     /* median: resource below which nothing is judged */
    int64_t reduction_factor; /* asha, hyperband: eta */
    int64_t min_resource;     /* asha, hyperband: the first rung */
    int64_t max_resource;     /* 0 = unknown */
} dial_pruner_settings;

/* One trial as the pruner saw it last: resources ascending, one loss
 * each. */
typedef struct dial_pruner_trial {
    bool known;
    dial_trial_state state;
    size_t n, capacity;
    int64_t *resources;
    double *losses;
} dial_pruner_trial;

/* The trial being judged: its values so far, and which others count:
 * those numbered <= horizon (and not itself). */
typedef struct dial_pruner_query {
    const dial_ctx *ctx; /* for a kind's scratch memory */
    int64_t number;
    const int64_t *resources; /* ascending */
    const double *losses;
    size_t n; /* >= 1 */
    int64_t horizon;
} dial_pruner_query;

typedef struct dial_pruner {
    dial_pruner_settings settings;
    dial_pruner_setup setup;
    size_t n_trials; /* trials[number], dense by number */
    dial_pruner_trial *trials;
} dial_pruner;

struct dial_pruner_ops {
    const char *name; /* as --pruner spells it */
    /* The settings it takes, in the order its canonical text lists them;
     * NULL-terminated. */
    const char *const *settings;
    /* Whether it cannot work without max_resource (hyperband). */
    bool needs_max_resource;
    /* Whether the trial of query should stop now. Reads the pruner only
     * (the study calls it with its lock held); must depend on the trials
     * numbered <= query->horizon and on the query alone, never on timing,
     * so that runs told alike prune alike. */
    bool (*should_prune)(const dial_pruner *pruner, const dial_pruner_query *query);
    /* The resources at which it judges trial number when the trial will
     * use max_resource (> 0), ascending and below max_resource; writes up
     * to capacity, returns how many there are. */
    size_t (*rungs)(const dial_pruner *pruner, int64_t number, int64_t max_resource, int64_t *out,
                    size_t capacity);
    /* Its settings in words for a header: "reduction factor 3". */
    void (*describe)(const dial_pruner *pruner, char *buf, size_t size);
};

extern const dial_pruner_ops dial_pruner_none_ops;
extern const dial_pruner_ops dial_pruner_median_ops;
extern const dial_pruner_ops dial_pruner_asha_ops;
extern const dial_pruner_ops dial_pruner_hyperband_ops;

/* The kind named name, or NULL; *names gets "none, median, ..." for
 * messages. */
const dial_pruner_ops *dial_pruner_kind(const char *name);
void dial_pruner_kind_names(char *buf, size_t size);

/* Reads spec (NULL or "": none) for resource, with max_resource the
 * largest resource a trial uses (0 = unknown): the settings with their
 * defaults. Errors: DIAL_ERR_ARGUMENT, one line naming the setting and
 * what is valid (dial_pruner_spec_normalize's). */
dial_status dial_pruner_spec_read(dial_ctx *ctx, const char *spec, dial_resource resource,
                                  int64_t max_resource, dial_pruner_settings *out);

/* Makes the pruner spec names (NULL: "none") for a study whose resource is
 * resource; free with dial_pruner_free. Errors: dial_pruner_spec_read's,
 * DIAL_ERR_NOMEM. */
dial_status dial_pruner_create(dial_ctx *ctx, const char *spec, dial_resource resource,
                               const dial_pruner_setup *setup, dial_pruner **out);
void dial_pruner_free(dial_pruner *pruner);

/* Whether the pruner is anything but none (NULL: false). */
bool dial_pruner_active(const dial_pruner *pruner);

/* Tells the pruner a trial as stored (running or finished), again when it
 * changes: it keeps the trial's state and its values in the resource.
 * Called with the study's lock held. Out of memory leaves the trial as it
 * was noted before (it is judged against less). */
void dial_pruner_note(const dial_ctx *ctx, dial_pruner *pruner, const dial_trial_record *record);

/* Whether trial (its record so far) should stop now, judged on its last
 * value in the resource against the trials numbered <= horizon; false for
 * a trial that has reported nothing or a NULL pruner (or when out of
 * memory). Called with the study's lock held. */
bool dial_pruner_should_prune(const dial_ctx *ctx, const dial_pruner *pruner,
                              const dial_trial_record *trial, int64_t horizon);

/* The kind's rungs for trial number (0 without a pruner). */
size_t dial_pruner_rungs(const dial_pruner *pruner, int64_t number, int64_t max_resource,
                         int64_t *out, size_t capacity);

/* "asha (reduction factor 3; judged after 1 and 3 folds of 5)". */
void dial_pruner_plan(const dial_pruner *pruner, char *buf, size_t size);

/* ---- shared by the kinds (pruner.c, pruner_rungs.c) ---- */

/* The loss at the first resource >= rung among n ascending resources;
 * false when none reaches it. */
bool dial_pruner_value_at(const int64_t *resources, const double *losses, size_t n, int64_t rung,
                          double *loss);
/* Successive halving at the rungs first * eta^k below max (0 = none):
 * whether the query's trial, at a rung it has just reached, ranks outside
 * the top max(1, floor(n / eta)) of the n values there (its own
 * included) among the trials that `member` admits. */
bool dial_pruner_halving_prunes(const dial_pruner *pruner, const dial_pruner_query *query,
                                int64_t first,
                                bool (*member)(const dial_pruner *pruner, int64_t number,
                                               int64_t judged));
/* The rungs first * eta^k below max_resource, up to capacity written;
 * returns how many there are. */
size_t dial_pruner_geometric_rungs(int64_t first, int64_t eta, int64_t max_resource, int64_t *out,
                                   size_t capacity);

#endif

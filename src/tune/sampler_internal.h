/*
 * Samplers (internal to sampler*.c): the sampler handle, the table every
 * sampler fills (dial_sampler_ops), and what the samplers share.
 * sampler.c checks the space and sends each request to the kind's table;
 * sampler_random.c maps a unit value to a parameter's scale and draws
 * independent values (the random sampler's table, with
 * sampler_distinct.c, which deals the points of a finite space without
 * repeats); sampler_grid.c enumerates and orders the grid; sampler_qmc.c
 * gives scrambled Sobol points. Adding a sampler: docs/adding-a-sampler.md.
 */
#ifndef DIAL_TUNE_SAMPLER_INTERNAL_H
#define DIAL_TUNE_SAMPLER_INTERNAL_H

#include "tune/sampler.h"

/* The grid, built once when the sampler is made (sampler_grid.c). */
typedef struct dial_grid dial_grid;

/* Dimensions with Joe and Kuo's direction numbers; parameters beyond them
 * fall back to random draws. */
#define DIAL_SOBOL_DIMENSIONS 40
#define DIAL_SOBOL_BITS 32

typedef struct dial_sampler_ops dial_sampler_ops;

struct dial_sampler {
    const dial_sampler_ops *ops; /* the kind's table */
    void *state;                 /* the kind's own state, if it keeps it here (NULL) */
    dial_sampler_kind kind;
    uint64_t seed;
    size_t startup_trials;  /* model-based kinds: the first numbers get qmc points */
    bool cost_blind;        /* dial_sampler_settings.cost_blind */
    dial_space space;       /* own copy; n = 0 without one */
    dial_order_role *roles; /* order hints, one per space parameter; NULL: all SPREAD */
    size_t grid_points;
    dial_grid *grid; /* GRID only */
    /* RANDOM and TPE over a finite space of at most DIAL_DISTINCT_MAX_POINTS
     * points (sampler_distinct.c): its points, and the seeded order in
     * which sample i takes point distinct_order[i]; NULL otherwise. */
    dial_grid *distinct;
    int64_t *distinct_order;
    int64_t n_distinct;
    /* QMC, and the model-based kinds for their startup trials: direction
     * numbers per dimension, and the scrambling key of each dimension
     * (from the seed). sampler.c frees them. */
    uint32_t (*directions)[DIAL_SOBOL_BITS];
    uint64_t *scramble_keys;
    size_t n_dimensions;
};

/* A sampler kind: a table of functions, one per step of a sampler's life.
 * Every suggestion must be a pure function of (seed, trial number,
 * parameter) and what the sampler was told, never of which worker or
 * thread asks, so the same seed gives the same trials with any --jobs.
 * sampler.c has checked the space (names, ranges, choices) and copied it
 * into sampler->space before create is called. */
struct dial_sampler_ops {
    dial_sampler_kind kind;
    const char *name; /* as --sampler spells it */
    /* Optional (NULL: nothing to make): makes what the kind keeps, from
     * sampler->space, seed, grid_points and the order hints sampler->roles
     * (which a kind that does not order its trials ignores), into the sampler's fields or
     * sampler->state. Errors: DIAL_ERR_ARGUMENT with the space's problem
     * (a grid too large), DIAL_ERR_NOMEM; free is called after a failure
     * too, so it must free what create left half made. */
    dial_status (*create)(dial_ctx *ctx, dial_sampler *sampler);
    /* The value of param for trial number (CHOICE: the index): index is
     * param's position in sampler->space, or -1 when the space lacks it
     * (define-by-run); own is the sampler's copy when index >= 0, else
     * param. Returns false to leave the parameter to the random draw
     * (dial_sampler_random_value), as every kind does for a parameter
     * outside its space. May run on several threads at once: it only reads
     * the sampler. A sampler that picks a whole trial at once (cmaes)
     * computes the trial's point from the number and answers one
     * coordinate per call. */
    bool (*suggest)(const dial_sampler *sampler, int64_t number, long index, const dial_param *own,
                    double *value);
    /* Optional (NULL: the kind ignores the history): learns from a trial
     * this process has finished (complete, pruned or failed), for a
     * model-based sampler. Called with the study's lock held, so never at
     * the same time as another tell; suggest may run meanwhile and must
     * see either the old or the new state. */
    void (*tell)(dial_sampler *sampler, const dial_trial_record *record);
    /* Optional (NULL: no natural end): the number of trials after which
     * the sampler has nothing new to give (the grid's size). */
    int64_t (*size)(const dial_sampler *sampler);
    /* Optional (NULL: nothing to free): frees what create made; the
     * sampler's space and the handle are sampler.c's. */
    void (*free)(dial_sampler *sampler);
    /* Optional (NULL: a blind kind, answered by suggest alone): a
     * model-based kind's whole point for trial number >= startup_trials
     * (sampler.c gives earlier numbers qmc points), learnt from history
     * (sampler.h: the trials numbered below it, running ones included, to
     * be given a liar value so that parallel workers spread out). point
     * has one entry per parameter of sampler->space: a valid value (within
     * [low, high], on its step, an integer for INT, an index for CHOICE;
     * dial_sampler_from_unit gives one from a unit coordinate) or NaN for
     * a parameter inactive at the point (dial_sampler_point_settle). A
     * pure function of (seed, number, history): the same history gives
     * the same point in any process, so `dial ask` run once per trial
     * proposes what an in-process run does. May run on several threads at
     * once: reads the sampler only; scratch memory is its own (through
     * ctx). Errors: DIAL_ERR_NOMEM. */
    dial_status (*propose)(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                           const dial_sampler_history *history, double *point);
    /* Optional (NULL: the name): one line saying what the kind uses and
     * why, after "NAME" ("tpe, multivariate (qmc for the first 10
     * trials)"), with startup the words on the startup trials ("qmc for
     * the first 10 trials", or what a warm start's prior leaves of them:
     * dial_sampler_describe_after). */
    void (*describe)(const dial_sampler *sampler, const char *startup, char *buf, size_t size);
};

extern const dial_sampler_ops dial_sampler_random_ops;
extern const dial_sampler_ops dial_sampler_grid_ops;
extern const dial_sampler_ops dial_sampler_qmc_ops;
extern const dial_sampler_ops dial_sampler_tpe_ops;
extern const dial_sampler_ops dial_sampler_gp_ops;
extern const dial_sampler_ops dial_sampler_cmaes_ops;
extern const dial_sampler_ops dial_sampler_auto_ops;

/* ---- sampler_point.c: what the model-based kinds share ---- */

/* The inverse of dial_sampler_from_unit: the unit coordinate of value on
 * param's scale (log for log), the centre of its cell for a value of a
 * finite set (an INT, a step, a CHOICE index), in (0, 1). */
double dial_sampler_to_unit(const dial_param *param, double value);
/* Whether parameter i of space applies at point (one value per parameter,
 * CHOICE an index, NaN when inactive): unconditional, or its condition's
 * controller (a CHOICE of the space) is active and takes one of the values
 * the condition lists. A condition on a name outside the space holds. */
bool dial_sampler_point_active(const dial_space *space, size_t i, const double *point);
/* Sets every parameter of point that is inactive (dial_sampler_point_active,
 * followed through chains of conditions) to NaN. */
void dial_sampler_point_settle(const dial_space *space, double *point);
/* Whether every parameter of space is FLOAT or INT (the GP's domain; auto
 * uses gp only then). */
bool dial_sampler_space_continuous(const dial_space *space);

/* ---- sampler_random.c ---- */

/* Maps u in [0, 1) onto the parameter's distribution: uniform on its scale
 * (log scale when param->log), integers and steps rounded so that both ends
 * are reachable, a choice index for CHOICE, low for a fixed parameter. */
double dial_sampler_from_unit(const dial_param *param, double u);
/* How many of low, low + step, low + 2 step, ... lie in [low, high]. */
double dial_sampler_step_count(double low, double high, double step);
/* The random draw of param for trial number: depends only on (seed,
 * number, param->name). */
double dial_sampler_random_value(uint64_t seed, int64_t number, const dial_param *param);

/* ---- sampler_grid.c ---- */

/* Enumerates every point of space (the union over the active combinations
 * of its conditions), ordered as the grid sampler asks for them when
 * ordered (following roles, one per parameter, NULL: all SPREAD), else in
 * enumeration order, into *out (free with dial_grid_free). Errors:
 * DIAL_ERR_ARGUMENT (more than 2^20 points), DIAL_ERR_NOMEM. */
dial_status dial_grid_create(dial_ctx *ctx, const dial_space *space, size_t grid_points,
                             bool ordered, const dial_order_role *roles, dial_grid **out);
/* Enumerates and orders the grid of the sampler's space; sets sampler->grid. */
dial_status dial_grid_build(dial_ctx *ctx, dial_sampler *sampler);
void dial_grid_free(dial_grid *grid);
int64_t dial_grid_size(const dial_grid *grid);
/* How many values the grid gives param (grid_points 0 = 10). */
double dial_grid_value_count(const dial_param *param, size_t grid_points);
/* The value of space parameter `index` at grid point number (mod size). An
 * inactive parameter at that point gets its middle value. */
double dial_grid_value(const dial_grid *grid, int64_t number, size_t index);
/* Whether space parameter `index` is active at grid point number (mod size). */
bool dial_grid_active(const dial_grid *grid, int64_t number, size_t index);
/* The values the grid gives param, as numbers, ascending as the grid lists
 * them (a choice that is not a number is NaN); *n receives their count.
 * NULL when out of memory or beyond the grid's size limit. The tuner uses
 * them to chain warm starts along the values a grid will ask for. */
double *dial_grid_param_numbers(const dial_ctx *ctx, const dial_param *param, size_t grid_points,
                                size_t *n);

/* ---- sampler_distinct.c ---- */

/* Random search draws without repeats from spaces of up to this many
 * points (the bound: beyond it a repeat is rare anyway). */
#define DIAL_DISTINCT_MAX_POINTS 10000

/* RANDOM, TPE and GP: when every parameter of the sampler's space takes finitely many
 * values (ints, steps, choices) and they make at most
 * DIAL_DISTINCT_MAX_POINTS points, sets distinct and distinct_order; else
 * leaves them NULL. Errors: DIAL_ERR_NOMEM. */
dial_status dial_distinct_init(dial_ctx *ctx, dial_sampler *sampler);
/* For a model-based sampler given the deck by dial_distinct_init (called
 * by dial_sampler_propose after the sampler's propose): when point
 * (settled) repeats a trial of history, replaces it with the first point
 * of the deck that no trial has; leaves it when there is no deck, no
 * repeat, or no point left. Errors: DIAL_ERR_NOMEM. */
dial_status dial_distinct_replace_repeat(dial_ctx *ctx, const dial_sampler *sampler,
                                         const dial_sampler_history *history, double *point);
/* Frees the deck (the free of a sampler that has one). */
void dial_distinct_free(dial_sampler *sampler);
/* The probability that a random draw of param gives value (one of the
 * values its grid lists). */
double dial_sampler_value_probability(const dial_param *param, double value);

/* ---- sampler_qmc.c ---- */

/* Fills directions and scramble_keys of a QMC sampler. */
dial_status dial_qmc_init(dial_ctx *ctx, dial_sampler *sampler);
/* The unscrambled Sobol coordinate `dimension` of point index, as 32 bits
 * (point index in binary order: the XOR of the direction numbers of its
 * bits). */
uint32_t dial_qmc_sobol(const dial_sampler *sampler, uint64_t index, size_t dimension);
/* Scrambled Sobol coordinate `dimension` (< n_dimensions) of point number,
 * in (0, 1). */
double dial_qmc_unit(const dial_sampler *sampler, int64_t number, size_t dimension);

#endif

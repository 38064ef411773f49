/*
 * The tpe sampler: the Tree-structured Parzen Estimator (Bergstra,
 * Bardenet, Bengio and Kegl, 2011), multivariate and group-decomposed as
 * Optuna 3.1's TPESampler(multivariate=True, group=True, constant_liar=True)
 * with its default gamma, weights, prior and magic clip.
 *
 * A proposal, as a pure function of (seed, number, history):
 *   1. groups: parameters that every finished trial has together or lacks
 *      together form a group (a conditional knob and its siblings apart
 *      from the unconditional ones); each group is sampled jointly from the
 *      trials that have it, one group after another;
 *   2. split: a group's trials are ranked (complete ones by loss, then the
 *      pruned ones, deeper first, then running ones) and the first
 *      gamma(n) = min(ceil(n / 10), 25) finished ones are the good, the
 *      rest the bad; running trials are always bad (the constant liar), so
 *      parallel workers do not all ask for the same point;
 *   3. two Parzen estimators, l of the good and g of the bad
 *      (sampler_tpe_parzen.c), weighted by Optuna's default_weights (older
 *      trials past the newest 25 weigh less, on a ramp);
 *   4. 24 candidates drawn from l; the one with the largest
 *      log l(x) - log g(x) is the group's values.
 * Parameters no finished trial has yet are drawn from the prior (at
 * random), as are groups with fewer trials than the startup count;
 * parameters inactive at the point are then set to NaN.
 *
 * Cost: one pass over the history, a selection of a group's best trials, and the
 * estimators. The bad estimator is capped at DIAL_TPE_MAX_BAD_KERNELS
 * kernels (bad_kernels below), so past a thousand trials a suggestion's
 * cost grows only with the pass.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/sampler_tpe.h"

/* The stream of a proposal: keyed by the trial's number, apart from the
 * streams of the random sampler (a name's hash) and of the trials. */
#define TPE_STREAM UINT64_C(0x7470655f70726f70)

/* The most good trials a group has (Optuna's default_gamma's cap). */
#define MAX_GOOD 25

/* Optuna's default_gamma: how many of n trials are good. */
static size_t good_count(size_t n) {
    size_t good = (n + 9) / 10;
    return good < MAX_GOOD ? good : MAX_GOOD;
}

/* Optuna's default_weights(n)[i], i in chronological order: the newest 25
 * weigh 1, the older ones rise linearly from 1/n. */
static double ramp_weight(size_t i, size_t n) {
    if (n <= 25 || i >= n - 25) return 1;
    size_t older = n - 25;
    if (older == 1) return 1.0 / (double)n;
    return 1.0 / (double)n + (1 - 1.0 / (double)n) * (double)i / (double)(older - 1);
}

/* ---- groups -------------------------------------------------------------------- */

/* Labels each parameter of the space with its group (0, 1, ... in order of
 * their first parameter), -1 for one no finished trial has, -2 for a
 * single-valued one: partition refinement over the finished trials (each
 * splits every group into the parameters it has and those it lacks, and
 * the parameters it brings that no trial had form a new group), as
 * Optuna's group decomposed search space. Returns the number of groups;
 * next_label and map are scratch of d and 2 d + 1 entries. */
static size_t find_groups(const dial_space *space, const dial_sampler_history *history, long *label,
                          long *next_label, long *map) {
    size_t d = space->n;
    for (size_t i = 0; i < d; i++) label[i] = dial_tpe_param_single(&space->params[i]) ? -2 : -1;
    size_t groups = 0;
    const double *previous = NULL;
    for (size_t t = 0; t < history->n; t++) {
        const dial_sampler_observation *trial = &history->trials[t];
        if (trial->state != DIAL_TRIAL_COMPLETE && trial->state != DIAL_TRIAL_PRUNED) continue;
        /* Splitting again by the parameters the previous trial had changes
         * nothing, and most trials have the same ones. */
        bool same = previous != NULL;
        for (size_t i = 0; i < d && same; i++) same = isnan(trial->x[i]) == isnan(previous[i]);
        if (same) continue;
        previous = trial->x;
        for (size_t key = 0; key < 2 * d + 1; key++) map[key] = -1;
        long next = 0;
        for (size_t i = 0; i < d; i++) {
            bool present = !isnan(trial->x[i]);
            next_label[i] = label[i];
            if (label[i] == -2 || (label[i] == -1 && !present)) continue;
            size_t key = label[i] == -1 ? 2 * d : (size_t)label[i] * 2 + present;
            if (map[key] < 0) map[key] = next++;
            next_label[i] = map[key];
        }
        memcpy(label, next_label, d * sizeof *label);
        groups = (size_t)next;
    }
    return groups;
}

/* ---- ranking ----------------------------------------------------------------- */

/* A trial's place in the ranking of a group's trials: by tier (complete,
 * pruned with a step, pruned without, running), then by first and second
 * (a complete one's loss; a pruned one's minus step, then its last loss),
 * then by age, so ties are broken the same way everywhere. */
typedef struct ranked {
    int tier;
    double first, second;
    size_t slot; /* chronological position among the group's trials */
} ranked;

enum { TIER_COMPLETE, TIER_PRUNED_STEP, TIER_PRUNED, TIER_RUNNING };

static double loss_or_worst(double loss) { return isnan(loss) ? INFINITY : loss; }

static ranked rank_of(const dial_sampler_observation *trial, size_t slot) {
    ranked r = {.tier = TIER_RUNNING, .first = 0, .second = 0, .slot = slot};
    if (trial->state == DIAL_TRIAL_COMPLETE) {
        r.tier = TIER_COMPLETE;
        r.first = loss_or_worst(trial->loss);
    } else if (trial->state == DIAL_TRIAL_PRUNED && trial->last_step >= 0) {
        r.tier = TIER_PRUNED_STEP;
        r.first = -(double)trial->last_step;
        r.second = loss_or_worst(trial->last_loss);
    } else if (trial->state == DIAL_TRIAL_PRUNED) {
        r.tier = TIER_PRUNED;
    }
    return r;
}

static int compare_ranked(const void *pa, const void *pb) {
    const ranked *a = pa, *b = pb;
    if (a->tier != b->tier) return a->tier < b->tier ? -1 : 1;
    if (a->first != b->first) return a->first < b->first ? -1 : 1;
    if (a->second != b->second) return a->second < b->second ? -1 : 1;
    return (a->slot > b->slot) - (a->slot < b->slot);
}

/* Offers entry to best, the kept (at most MAX_GOOD) best entries so far,
 * best first: each trial costs one comparison with the worst kept, and a
 * few moves when it enters, so a group's good trials are found in one pass
 * where sorting every trial would cost O(n log n) and a ranking of n
 * entries. */
static void offer_best(ranked *best, size_t *kept, ranked entry) {
    if (*kept == MAX_GOOD && compare_ranked(&entry, &best[MAX_GOOD - 1]) >= 0) return;
    size_t at = *kept < MAX_GOOD ? (*kept)++ : MAX_GOOD - 1;
    while (at > 0 && compare_ranked(&entry, &best[at - 1]) < 0) {
        best[at] = best[at - 1];
        at--;
    }
    best[at] = entry;
}

/* ---- one group --------------------------------------------------------------- */

/* What sampling one group needs, allocated for the largest group. */
typedef struct group_work {
    size_t *slots;         /* history index of each of the group's trials, by age */
    ranked best[MAX_GOOD]; /* the group's best trials, best first */
    bool *good;            /* by slot */
    double *values;        /* rows of m values: the good, then the bad kernels */
    double *weights;       /* the good's, then the bad kernels' */
    double *candidate;     /* DIAL_TPE_CANDIDATES rows of m values */
    double *scratch;       /* for dial_parzen_log_pdf */
    dial_tpe_dimension *dims;
} group_work;

static void free_work(group_work *work) {
    free(work->slots);
    free(work->good);
    free(work->values);
    free(work->weights);
    free(work->candidate);
    free(work->scratch);
    free(work->dims);
    *work = (group_work){0};
}

/* Errors: DIAL_ERR_NOMEM, with what was made left for free_work. */
static dial_status alloc_work(dial_ctx *ctx, size_t n, size_t d, group_work *work) {
    size_t kernels = (n < DIAL_TPE_MAX_BAD_KERNELS ? n : DIAL_TPE_MAX_BAD_KERNELS) + 32;
    size_t rows = n + 1;
    *work = (group_work){0};
    work->slots = dial_malloc_array(ctx, rows, sizeof *work->slots);
    work->good = dial_malloc_array(ctx, rows, sizeof *work->good);
    work->values = dial_malloc_array(ctx, (kernels + 1) * d, sizeof *work->values);
    work->weights = dial_malloc_array(ctx, kernels + 1, sizeof *work->weights);
    work->candidate = dial_malloc_array(ctx, DIAL_TPE_CANDIDATES * d, sizeof *work->candidate);
    work->scratch = dial_malloc_array(ctx, kernels + 2 + d, sizeof *work->scratch);
    work->dims = dial_malloc_array(ctx, d, sizeof *work->dims);
    if (work->slots && work->good && work->values && work->weights && work->candidate &&
        work->scratch && work->dims)
        return DIAL_OK;
    return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory proposing a tpe trial from %zu trials", n);
}

/* Copies the group's values of trial (members[0..m)) into row, each the
 * nearest valid value (a stored trial may predate a narrower range). */
static void copy_row(const group_work *work, const long *members, size_t m,
                     const dial_sampler_observation *trial, double *row) {
    for (size_t j = 0; j < m; j++) row[j] = dial_tpe_nearest(&work->dims[j], trial->x[members[j]]);
}

/* The bad kernels: every bad trial with its ramp weight while they are at
 * most DIAL_TPE_MAX_BAD_KERNELS; past that, the newest half of the cap as
 * they are (the liars among them, and the trials that weigh most) and the
 * older trials cut into as many blocks as the other half, each block
 * represented by one of its trials drawn at random, carrying the block's
 * whole weight: an unbiased thinning of the same mixture, at a bounded
 * cost. Writes the rows and weights from kernel index `at`; returns how
 * many kernels it wrote. */
static size_t bad_kernels(const group_work *work, const dial_sampler_history *history,
                          const long *members, size_t m, size_t count, dial_rng *rng, size_t at) {
    size_t n_bad = 0;
    for (size_t s = 0; s < count; s++) n_bad += !work->good[s];
    size_t keep = n_bad <= DIAL_TPE_MAX_BAD_KERNELS ? n_bad : DIAL_TPE_MAX_BAD_KERNELS / 2;
    size_t older = n_bad - keep;
    size_t blocks = older ? DIAL_TPE_MAX_BAD_KERNELS - keep : 0;
    size_t written = 0, i = 0, block = 0, block_end = 0, pick = 0;
    double block_weight = 0;
    for (size_t s = 0; s < count; s++) {
        if (work->good[s]) continue;
        const dial_sampler_observation *trial = &history->trials[work->slots[s]];
        double w = ramp_weight(i, n_bad);
        if (i >= older) {
            copy_row(work, members, m, trial, &work->values[(at + written) * m]);
            work->weights[at + written++] = w;
        } else {
            if (i == block_end) { /* a new block [i, block_end): draw its representative */
                block_end = older * (block + 1) / blocks;
                pick = i + (size_t)dial_rng_below(rng, block_end - i);
                block++;
                block_weight = 0;
            }
            block_weight += w;
            if (i == pick) copy_row(work, members, m, trial, &work->values[(at + written) * m]);
            if (i + 1 == block_end) work->weights[at + written++] = block_weight;
        }
        i++;
    }
    return written;
}

/* Draws every member of the group from the prior (the random draw). */
static void draw_prior(const dial_space *space, const long *members, size_t m, dial_rng *rng,
                       double *point) {
    for (size_t j = 0; j < m; j++)
        point[members[j]] =
            dial_sampler_from_unit(&space->params[members[j]], dial_rng_uniform(rng));
}

/* Samples the group members[0..m) into point. */
static dial_status propose_group(dial_ctx *ctx, const dial_sampler *sampler,
                                 const dial_sampler_history *history, const long *members, size_t m,
                                 group_work *work, dial_rng *rng, double *point,
                                 dial_tpe_trace *trace) {
    const dial_space *space = &sampler->space;
    for (size_t j = 0; j < m; j++)
        dial_tpe_dimension_init(&space->params[members[j]], &work->dims[j]);
    /* The group's trials: those that have every member (failed ones tell
     * nothing about the loss). */
    size_t count = 0, finished = 0, kept = 0;
    for (size_t t = 0; t < history->n; t++) {
        const dial_sampler_observation *trial = &history->trials[t];
        if (trial->state == DIAL_TRIAL_FAILED) continue;
        bool has_all = true;
        for (size_t j = 0; j < m && has_all; j++) has_all = !isnan(trial->x[members[j]]);
        if (!has_all) continue;
        offer_best(work->best, &kept, rank_of(trial, count));
        finished += trial->state != DIAL_TRIAL_RUNNING;
        work->slots[count++] = t;
    }
    if (count < sampler->startup_trials) {
        draw_prior(space, members, m, rng, point);
        return DIAL_OK;
    }
    size_t n_good = good_count(count);
    if (n_good > finished) n_good = finished;
    for (size_t s = 0; s < count; s++) work->good[s] = false;
    for (size_t r = 0; r < n_good; r++) work->good[work->best[r].slot] = true;
    size_t g = 0;
    for (size_t s = 0; s < count; s++)
        if (work->good[s]) {
            copy_row(work, members, m, &history->trials[work->slots[s]], &work->values[g * m]);
            work->weights[g] = ramp_weight(g, n_good);
            g++;
        }
    size_t n_bad = bad_kernels(work, history, members, m, count, rng, n_good);

    dial_parzen *below = NULL, *above = NULL;
    dial_status status =
        dial_parzen_create(ctx, work->dims, m, n_good, work->values, work->weights, &below);
    if (status == DIAL_OK)
        status = dial_parzen_create(ctx, work->dims, m, n_bad, &work->values[n_good * m],
                                    &work->weights[n_good], &above);
    if (status == DIAL_OK) {
        double best = -INFINITY;
        size_t chosen = 0;
        for (size_t c = 0; c < DIAL_TPE_CANDIDATES; c++) {
            double *x = &work->candidate[c * m];
            dial_parzen_sample(below, rng, x);
            double score = dial_parzen_log_pdf(below, x, work->scratch) -
                           dial_parzen_log_pdf(above, x, work->scratch);
            if (score > best) {
                best = score;
                chosen = c;
            }
        }
        for (size_t j = 0; j < m; j++) point[members[j]] = work->candidate[chosen * m + j];
        trace->modelled_groups++;
        if (n_good > trace->good_kernels) trace->good_kernels = n_good;
        if (n_bad > trace->bad_kernels) trace->bad_kernels = n_bad;
    }
    dial_parzen_free(below);
    dial_parzen_free(above);
    return status;
}

/* ---- the proposal -------------------------------------------------------------- */

dial_status dial_tpe_propose_traced(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                                    const dial_sampler_history *history, double *point,
                                    dial_tpe_trace *trace) {
    dial_tpe_trace local = {0};
    const dial_space *space = &sampler->space;
    size_t d = space->n;
    dial_rng rng = dial_rng_stream(sampler->seed,
                                   TPE_STREAM ^ ((uint64_t)number * UINT64_C(0x9e3779b97f4a7c15)));
    long *label = dial_malloc_array(ctx, 5 * d + 1, sizeof *label);
    if (!label) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory proposing a tpe trial");
    long *members = label + d, *scratch = label + 2 * d;
    local.groups = find_groups(space, history, label, scratch, scratch + d);
    /* Single-valued parameters take their value; those no finished trial
     * has, a random one. */
    for (size_t i = 0; i < d; i++) {
        if (label[i] == -2) point[i] = dial_sampler_from_unit(&space->params[i], 0.5);
        if (label[i] == -1)
            point[i] = dial_sampler_from_unit(&space->params[i], dial_rng_uniform(&rng));
    }
    group_work work = {0};
    dial_status status = local.groups ? alloc_work(ctx, history->n, d, &work) : DIAL_OK;
    for (size_t group = 0; status == DIAL_OK && group < local.groups; group++) {
        size_t m = 0;
        for (size_t i = 0; i < d; i++)
            if (label[i] == (long)group) members[m++] = (long)i;
        status = propose_group(ctx, sampler, history, members, m, &work, &rng, point, &local);
    }
    free_work(&work);
    free(label);
    if (status != DIAL_OK) return status;
    dial_sampler_point_settle(space, point);
    if (trace) *trace = local;
    return DIAL_OK;
}

static dial_status tpe_propose(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                               const dial_sampler_history *history, double *point) {
    return dial_tpe_propose_traced(ctx, sampler, number, history, point, NULL);
}

static void tpe_describe(const dial_sampler *sampler, const char *startup, char *buf, size_t size) {
    (void)sampler;
    snprintf(buf, size, "tpe, multivariate (%s)", startup);
}

/* A parameter outside the space (define-by-run) has no history to learn
 * from: it is left to the random draw. */
static bool tpe_suggest(const dial_sampler *sampler, int64_t number, long index,
                        const dial_param *own, double *value) {
    (void)sampler, (void)number, (void)index, (void)own, (void)value;
    return false;
}

const dial_sampler_ops dial_sampler_tpe_ops = {
    .kind = DIAL_SAMPLER_TPE,
    .name = "tpe",
    .create = dial_distinct_init, /* its deck: no repeats on a small finite space */
    .free = dial_distinct_free,
    .suggest = tpe_suggest,
    .propose = tpe_propose,
    .describe = tpe_describe,
};

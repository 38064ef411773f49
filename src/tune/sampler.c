/*
 * Samplers: making one, and sending each request to its kind's table
 * (dial_sampler_ops in sampler_internal.h); a new kind is a file with its
 * table and one line in the list below.
 * The sampler keeps its own copy of the space so that the caller may free
 * or change theirs; every request is then a pure function of (seed, trial
 * number, parameter), which is what lets many workers share one study.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "tune/sampler_internal.h"

/* Checks that a parameter can be sampled; the study layer builds spaces
 * from many places (knob tables, the CLI, C callers). */
static dial_status check_param(dial_ctx *ctx, const dial_param *param) {
    const char *name = param->name ? param->name : "";
    if (!name[0]) return dial_fail(ctx, DIAL_ERR_ARGUMENT, "a search space parameter needs a name");
    switch (param->kind) {
    case DIAL_PARAM_FLOAT:
    case DIAL_PARAM_INT: break;
    case DIAL_PARAM_CHOICE:
        if (param->n_choices == 0 || !param->choices)
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "search space parameter '%s' is a choice with no choices", name);
        for (size_t c = 0; c < param->n_choices; c++)
            if (!param->choices[c])
                return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                                 "search space parameter '%s': choice %zu is NULL", name, c);
        if (!(param->low >= 0 && param->high <= (double)(param->n_choices - 1)))
            return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                             "search space parameter '%s': choice indices %g..%g are out of "
                             "range: must be in [0, %zu]",
                             name, param->low, param->high, param->n_choices - 1);
        break;
    default:
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "search space parameter '%s' has unknown kind %d",
                         name, (int)param->kind);
    }
    if (!isfinite(param->low) || !isfinite(param->high))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "search space parameter '%s': low and high must be finite, got %g and %g",
                         name, param->low, param->high);
    if (param->low > param->high)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "search space parameter '%s': low = %g is above high = %g", name,
                         param->low, param->high);
    if (param->log && param->kind != DIAL_PARAM_CHOICE && param->low <= 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "search space parameter '%s': a log scale needs low > 0, got low = %g",
                         name, param->low);
    if (!(param->step >= 0) || isinf(param->step))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "search space parameter '%s': step = %g must be >= 0 (0 = none)", name,
                         param->step);
    return DIAL_OK;
}

static dial_status check_space(dial_ctx *ctx, const dial_space *space) {
    for (size_t i = 0; i < space->n; i++) {
        dial_status status = check_param(ctx, &space->params[i]);
        if (status != DIAL_OK) return status;
        for (size_t j = 0; j < i; j++)
            if (strcmp(space->params[j].name, space->params[i].name) == 0)
                return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                                 "search space parameter '%s' is listed twice",
                                 space->params[i].name);
    }
    return DIAL_OK;
}

/* Every sampler kind, by its table. */
static const dial_sampler_ops *const sampler_kinds[] = {
    &dial_sampler_random_ops, &dial_sampler_grid_ops, &dial_sampler_qmc_ops,
    &dial_sampler_tpe_ops,    &dial_sampler_gp_ops,   &dial_sampler_cmaes_ops,
    &dial_sampler_auto_ops,
};

static const dial_sampler_ops *find_kind(dial_sampler_kind kind) {
    for (size_t i = 0; i < sizeof sampler_kinds / sizeof sampler_kinds[0]; i++)
        if (sampler_kinds[i]->kind == kind) return sampler_kinds[i];
    return NULL;
}

const char *dial_sampler_kind_name(dial_sampler_kind kind) {
    const dial_sampler_ops *ops = find_kind(kind);
    return ops ? ops->name : "unknown";
}

bool dial_sampler_kind_parse(const char *name, dial_sampler_kind *out) {
    for (size_t i = 0; name && i < sizeof sampler_kinds / sizeof sampler_kinds[0]; i++)
        if (strcmp(name, sampler_kinds[i]->name) == 0) {
            *out = sampler_kinds[i]->kind;
            return true;
        }
    return false;
}

dial_status dial_sampler_create(dial_ctx *ctx, dial_sampler_kind kind, uint64_t seed,
                                const dial_space *space, size_t grid_points, dial_sampler **out) {
    return dial_sampler_create_ordered(ctx, kind, seed, space, grid_points, NULL, out);
}

dial_status dial_sampler_create_ordered(dial_ctx *ctx, dial_sampler_kind kind, uint64_t seed,
                                        const dial_space *space, size_t grid_points,
                                        const dial_order_role *roles, dial_sampler **out) {
    dial_sampler_settings settings = {
        .kind = kind, .seed = seed, .space = space, .grid_points = grid_points, .roles = roles};
    return dial_sampler_create_with(ctx, &settings, out);
}

#define DEFAULT_STARTUP_TRIALS 10

dial_status dial_sampler_create_with(dial_ctx *ctx, const dial_sampler_settings *settings,
                                     dial_sampler **out) {
    *out = NULL;
    dial_sampler_kind kind = settings->kind;
    const dial_space *space = settings->space;
    size_t grid_points = settings->grid_points;
    const dial_order_role *roles = settings->roles;
    const dial_sampler_ops *ops = find_kind(kind);
    if (!ops)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "sampler %d is not one of DIAL_SAMPLER_RANDOM, _GRID, _QMC, _TPE, _GP, "
                         "_CMAES or _AUTO",
                         (int)kind);
    if (kind == DIAL_SAMPLER_GRID && (!space || space->n == 0))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "the grid sampler needs a search space with at least one parameter");
    if (space && space->n && !space->params)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "a search space of %zu parameters has none",
                         space->n);
    if (space) {
        dial_status status = check_space(ctx, space);
        if (status != DIAL_OK) return status;
    }
    dial_sampler *sampler = dial_calloc(ctx, 1, sizeof *sampler);
    if (!sampler) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making a sampler");
    sampler->ops = ops;
    sampler->kind = kind;
    sampler->seed = settings->seed;
    sampler->cost_blind = settings->cost_blind;
    sampler->startup_trials =
        settings->startup_trials ? settings->startup_trials : DEFAULT_STARTUP_TRIALS;
    sampler->grid_points = grid_points ? grid_points : 10;
    dial_status status = space ? dial_space_copy(ctx, space, &sampler->space) : DIAL_OK;
    if (status == DIAL_OK && roles && sampler->space.n) {
        sampler->roles = dial_malloc(ctx, sampler->space.n * sizeof *sampler->roles);
        if (sampler->roles)
            memcpy(sampler->roles, roles, sampler->space.n * sizeof *sampler->roles);
        else
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory making a sampler");
    }
    /* A kind that learns draws its startup trials by qmc. */
    if (status == DIAL_OK && ops->propose) status = dial_qmc_init(ctx, sampler);
    if (status == DIAL_OK && ops->create) status = ops->create(ctx, sampler);
    if (status != DIAL_OK) {
        dial_sampler_free(sampler);
        return status;
    }
    *out = sampler;
    return DIAL_OK;
}

void dial_sampler_free(dial_sampler *sampler) {
    if (!sampler) return;
    if (sampler->ops && sampler->ops->free) sampler->ops->free(sampler);
    free(sampler->directions);
    free(sampler->scramble_keys);
    dial_space_free(&sampler->space);
    free(sampler->roles);
    free(sampler);
}

dial_status dial_sampler_suggest(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                                 const dial_param *param, double *value) {
    if (!sampler || !param || !param->name)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "dial_sampler_suggest needs a sampler and a named parameter");
    if (number < 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "trial number %lld is negative",
                         (long long)number);
    /* The sampler's own copy is the distribution of record: for grid and
     * qmc its position in the space is the parameter's dimension. */
    long index = dial_space_find(&sampler->space, param->name);
    if (index >= 0 && sampler->space.params[index].kind != param->kind) index = -1;
    const dial_param *own = index >= 0 ? &sampler->space.params[index] : param;
    if (sampler->ops->suggest(sampler, number, index, own, value)) return DIAL_OK;
    /* Random draws, and the fallback for a parameter the space lacks. */
    *value = dial_sampler_random_value(sampler->seed, number, own);
    return DIAL_OK;
}

void dial_sampler_tell(dial_sampler *sampler, const dial_trial_record *record) {
    if (sampler && sampler->ops->tell) sampler->ops->tell(sampler, record);
}

int64_t dial_sampler_grid_size(const dial_sampler *sampler) {
    return sampler && sampler->ops->size ? sampler->ops->size(sampler) : 0;
}

bool dial_sampler_learns(const dial_sampler *sampler) {
    return sampler && sampler->ops->propose != NULL;
}

/* The qmc point of number, for a kind's startup trials. */
static void startup_point(const dial_sampler *sampler, int64_t number, double *point) {
    const dial_space *space = &sampler->space;
    for (size_t i = 0; i < space->n; i++) {
        const dial_param *param = &space->params[i];
        point[i] = i < sampler->n_dimensions
                       ? dial_sampler_from_unit(param, dial_qmc_unit(sampler, number, i))
                       : dial_sampler_random_value(sampler->seed, number, param);
    }
    dial_sampler_point_settle(space, point);
}

dial_status dial_sampler_propose(dial_ctx *ctx, const dial_sampler *sampler, int64_t number,
                                 const dial_sampler_history *history, double *point) {
    if (!sampler || number < 0)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "dial_sampler_propose needs a sampler and a "
                         "trial number >= 0");
    const dial_space *space = &sampler->space;
    if (!sampler->ops->propose) {
        for (size_t i = 0; i < space->n; i++) {
            dial_status status =
                dial_sampler_suggest(ctx, sampler, number, &space->params[i], &point[i]);
            if (status != DIAL_OK) return status;
        }
        dial_sampler_point_settle(space, point);
        return DIAL_OK;
    }
    /* A warm start's prior trials stand for startup trials already run. */
    uint64_t prior = 0;
    while (history && prior < history->n && history->trials[prior].number < 0) prior++;
    if ((uint64_t)number + prior < sampler->startup_trials) {
        startup_point(sampler, number, point);
        return DIAL_OK;
    }
    static const dial_sampler_history empty = {0, NULL};
    if (!history) history = &empty;
    dial_status status = sampler->ops->propose(ctx, sampler, number, history, point);
    /* A model-based sampler with a deck (a small finite space) runs no
     * point twice while one is untried (sampler_distinct.c). */
    if (status == DIAL_OK && sampler->distinct)
        status = dial_distinct_replace_repeat(ctx, sampler, history, point);
    return status;
}

void dial_sampler_describe_after(const dial_sampler *sampler, size_t n_prior, char *buf,
                                 size_t size) {
    if (!size) return;
    if (!sampler) {
        buf[0] = '\0';
        return;
    }
    if (!sampler->ops->describe) {
        snprintf(buf, size, "%s", sampler->ops->name);
        return;
    }
    size_t startup = sampler->startup_trials;
    char words[128];
    if (n_prior == 0)
        snprintf(words, sizeof words, "qmc for the first %zu trials", startup);
    else if (n_prior < startup)
        snprintf(words, sizeof words,
                 "qmc for the first %zu trials (a warm start's %zu count toward %zu)",
                 startup - n_prior, n_prior, startup);
    else
        snprintf(words, sizeof words, "no qmc trials (a warm start's %zu stand in for its %zu)",
                 n_prior, startup);
    sampler->ops->describe(sampler, words, buf, size);
}

void dial_sampler_describe(const dial_sampler *sampler, char *buf, size_t size) {
    dial_sampler_describe_after(sampler, 0, buf, size);
}

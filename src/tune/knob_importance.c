/*
 * Knob importance (dial/knob_importance.h): a study's complete trials as
 * matrices of the knobs' unit coordinates, the analyses that judge them
 * (one for the knobs active in every trial, one per conditional knob over
 * the trials where it was active), and the shares.
 *
 * Why one analysis per conditional knob: a knob absent from a trial has
 * no coordinate there, and inventing one (a sentinel value, the middle of
 * its range) would let the forest credit the knob with what its parent's
 * choice did. Judged over its own trials, its term is a fraction of the
 * variation among those trials only; weighing it by their share of the
 * study's total sum of squares about the mean makes it a fraction of the
 * whole study's variation, as the unconditional knobs' terms are.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "dial/model.h"
#include "tune/knob_importance_internal.h"
#include "tune/study_internal.h"

#define DEFAULT_TREES 64

const char *dial_knob_importance_method_name(dial_knob_importance_method method) {
    switch (method) {
    case DIAL_KNOB_IMPORTANCE_FANOVA: return "fanova";
    case DIAL_KNOB_IMPORTANCE_PED_ANOVA: return "ped-anova";
    }
    return "unknown";
}

bool dial_knob_importance_method_parse(const char *name, dial_knob_importance_method *out) {
    if (!name) return false;
    if (strcmp(name, "fanova") == 0)
        *out = DIAL_KNOB_IMPORTANCE_FANOVA;
    else if (strcmp(name, "ped-anova") == 0)
        *out = DIAL_KNOB_IMPORTANCE_PED_ANOVA;
    else
        return false;
    return true;
}

/* ---- the knobs and their coordinates ---------------------------------------- */

/* One knob as the analyses see it. */
typedef struct knob_axis {
    const char *name;    /* borrowed from the trials or the space */
    size_t n_categories; /* 0: numeric */
    double low, high;
    bool log;
    bool varied;
    size_t n_active;  /* complete trials where it was active */
    size_t first_row; /* the first of them */
    long first_param; /* its param index in that trial */
} knob_axis;

/* The complete trials and their knobs. */
typedef struct knob_study {
    const dial_trial_record **rows; /* borrowed: complete trials with a finite value */
    size_t n_rows;
    knob_axis *axes;
    size_t n_axes;
    long *where; /* n_rows x n_axes: the knob's param index in the trial, -1 if inactive */
    double *y;
} knob_study;

static long record_find(const dial_trial_record *record, const char *name) {
    for (size_t p = 0; p < record->n_params; p++)
        if (strcmp(record->param_names[p], name) == 0) return (long)p;
    return -1;
}

static long axes_find(const knob_study *s, const char *name) {
    for (size_t a = 0; a < s->n_axes; a++)
        if (strcmp(s->axes[a].name, name) == 0) return (long)a;
    return -1;
}

/* The knobs, in the space's order, then those of the trials the space
 * does not name, in the order they first appear. */
static dial_status collect_axes(dial_ctx *ctx, const dial_space *space, knob_study *s) {
    size_t capacity = space ? space->n : 0;
    for (size_t r = 0; r < s->n_rows; r++) capacity += s->rows[r]->n_params;
    s->axes = dial_calloc(ctx, capacity ? capacity : 1, sizeof *s->axes);
    if (!s->axes) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the study's knobs");
    for (size_t i = 0; space && i < space->n; i++) {
        const dial_param *param = &space->params[i];
        bool seen = false;
        for (size_t r = 0; !seen && r < s->n_rows; r++)
            seen = record_find(s->rows[r], param->name) >= 0;
        if (!seen || axes_find(s, param->name) >= 0) continue;
        s->axes[s->n_axes++] = (knob_axis){
            .name = param->name,
            .n_categories = param->kind == DIAL_PARAM_CHOICE ? param->n_choices : 0,
            .low = param->low,
            .high = param->high,
            .log = param->log && param->kind != DIAL_PARAM_CHOICE && param->low > 0,
        };
    }
    size_t from_space = s->n_axes;
    for (size_t r = 0; r < s->n_rows; r++) {
        const dial_trial_record *record = s->rows[r];
        for (size_t p = 0; p < record->n_params; p++) {
            long a = axes_find(s, record->param_names[p]);
            bool choice = record->param_kinds[p] == DIAL_PARAM_CHOICE;
            double v = record->param_values[p];
            if (a < 0) {
                a = (long)s->n_axes++;
                s->axes[a] = (knob_axis){.name = record->param_names[p], .low = v, .high = v};
            }
            knob_axis *axis = &s->axes[a];
            /* Without a space: the categories the trials show (with one, a
             * category past its choices still gets a cell of its own). */
            if (choice && v >= 0 && (size_t)v + 1 > axis->n_categories)
                axis->n_categories = (size_t)v + 1;
            if ((size_t)a < from_space) continue;
            /* and the range the trials span. */
            axis->low = fmin(axis->low, v);
            axis->high = fmax(axis->high, v);
        }
    }
    return DIAL_OK;
}

static double unit_coordinate(const knob_axis *axis, double v) {
    if (axis->n_categories) return v;
    double low = axis->low, high = axis->high;
    if (axis->log && v > 0) {
        v = log(v);
        low = log(low);
        high = log(high);
    }
    if (!(high > low)) return 0.5;
    return fmin(fmax((v - low) / (high - low), 0), 1);
}

static dial_status study_read(dial_ctx *ctx, const dial_trial_list *list, const dial_space *space,
                              knob_study *s) {
    s->rows = dial_malloc_array(ctx, list->count + 1, sizeof *s->rows);
    if (!s->rows) return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the study's trials");
    for (size_t i = 0; i < list->count; i++)
        if (list->items[i].state == DIAL_TRIAL_COMPLETE && isfinite(list->items[i].value))
            s->rows[s->n_rows++] = &list->items[i];
    dial_status status = collect_axes(ctx, space, s);
    if (status != DIAL_OK) return status;
    s->where = dial_malloc_array(ctx, s->n_rows * s->n_axes + 1, sizeof *s->where);
    s->y = dial_malloc_array(ctx, s->n_rows + 1, sizeof *s->y);
    if (!s->where || !s->y)
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the study's trials");
    for (size_t r = 0; r < s->n_rows; r++) {
        s->y[r] = s->rows[r]->value;
        for (size_t a = 0; a < s->n_axes; a++) {
            knob_axis *axis = &s->axes[a];
            long p = record_find(s->rows[r], axis->name);
            s->where[r * s->n_axes + a] = p;
            if (p < 0) continue;
            double v = s->rows[r]->param_values[p];
            if (axis->n_active == 0) {
                axis->first_row = r;
                axis->first_param = p;
            } else if (v != s->rows[axis->first_row]->param_values[axis->first_param]) {
                axis->varied = true;
            }
            axis->n_active++;
        }
    }
    return DIAL_OK;
}

static void study_free(knob_study *s) {
    free(s->rows);
    free(s->axes);
    free(s->where);
    free(s->y);
}

/* ---- analyses ------------------------------------------------------------------- */

/* Sum of squares of y over the rows about their mean. */
static double sum_of_squares(const double *y, const size_t *rows, size_t n) {
    double mean = 0, sum = 0;
    for (size_t i = 0; i < n; i++) mean += y[rows[i]] / (double)n;
    for (size_t i = 0; i < n; i++) sum += (y[rows[i]] - mean) * (y[rows[i]] - mean);
    return sum;
}

/* The raw terms, before they become shares. */
typedef struct knob_terms {
    double *single; /* per axis */
    double *pair;   /* n_axes x n_axes, [a * n + b] for a < b; NULL without pairs */
} knob_terms;

/* Whether an analysis owns the single term of axis a (everywhere: a is
 * active in all of its rows): the unconditional one owns the knobs active
 * in every trial, a conditional knob's analysis that knob alone. */
static bool owns_single(const knob_study *s, long focus, size_t a) {
    return focus < 0 ? s->axes[a].n_active == s->n_rows : a == (size_t)focus;
}

/* Whether it owns the pair (a, b), so that each pair is judged once: the
 * unconditional analysis the pairs of unconditional knobs; a conditional
 * knob's the pairs of it with a knob active in all its rows that is
 * unconditional or comes before it. */
static bool owns_pair(const knob_study *s, long focus, size_t a, size_t b, bool b_everywhere,
                      bool a_everywhere) {
    if (focus < 0) return owns_single(s, focus, a) && owns_single(s, focus, b);
    if (a != (size_t)focus && b != (size_t)focus) return false;
    size_t other = a == (size_t)focus ? b : a;
    bool everywhere = a == (size_t)focus ? b_everywhere : a_everywhere;
    return everywhere && (s->axes[other].n_active == s->n_rows || other < (size_t)focus);
}

/* One analysis: the rows where `focus` is active (every row when focus is
 * -1), its columns every knob that varies in them. A knob inactive in some
 * of the rows gets there a coordinate drawn at random (from the seed):
 * the model can then fit what the knob does where it is active, which it
 * would otherwise read as noise and credit, in part, to the other knobs;
 * where it is inactive it explains nothing, and the terms taken from this
 * analysis are only those of knobs active in all its rows. They are added
 * weighed by the rows' share of the total sum of squares. */
static dial_status analyse(dial_ctx *ctx, const knob_study *s, long focus,
                           const dial_knob_importance_options *options, dial_direction direction,
                           double total_ss, knob_terms *terms) {
    size_t n_axes = s->n_axes;
    size_t *rows = dial_malloc_array(ctx, s->n_rows + 1, sizeof *rows);
    size_t *columns = dial_malloc_array(ctx, n_axes + 1, sizeof *columns);
    size_t *categories = dial_malloc_array(ctx, n_axes + 1, sizeof *categories);
    bool *everywhere = dial_calloc(ctx, n_axes + 1, sizeof *everywhere);
    if (!rows || !columns || !categories || !everywhere) {
        free(rows), free(columns), free(categories), free(everywhere);
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for knob importance");
    }
    size_t n_rows = 0, n_cols = 0;
    for (size_t r = 0; r < s->n_rows; r++)
        if (focus < 0 || s->where[r * n_axes + (size_t)focus] >= 0) rows[n_rows++] = r;
    for (size_t a = 0; a < n_axes; a++) {
        bool seen = false, varied = false;
        double first = 0;
        everywhere[a] = true;
        for (size_t i = 0; i < n_rows; i++) {
            long p = s->where[rows[i] * n_axes + a];
            everywhere[a] &= p >= 0;
            if (p < 0) continue;
            double v = s->rows[rows[i]]->param_values[p];
            if (!seen)
                first = v;
            else if (v != first)
                varied = true;
            seen = true;
        }
        if (varied) {
            categories[n_cols] = s->axes[a].n_categories;
            columns[n_cols++] = a;
        }
    }
    double ss = sum_of_squares(s->y, rows, n_rows);
    double weight = total_ss > 0 ? ss / total_ss : 0;
    double *x = dial_malloc_array(ctx, n_rows * n_cols + 1, sizeof *x);
    double *y = dial_malloc_array(ctx, n_rows + 1, sizeof *y);
    double *singles = dial_calloc(ctx, n_cols + 1, sizeof *singles);
    double *pairs = terms->pair ? dial_calloc(ctx, n_cols * n_cols + 1, sizeof *pairs) : NULL;
    dial_status status = x && y && singles && (pairs || !terms->pair)
                             ? DIAL_OK
                             : dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for knob importance");
    dial_rng rng = dial_rng_stream(options->seed, (uint64_t)(focus + 1));
    for (size_t i = 0; status == DIAL_OK && i < n_rows; i++) {
        y[i] = s->y[rows[i]];
        for (size_t c = 0; c < n_cols; c++) {
            const knob_axis *axis = &s->axes[columns[c]];
            long p = s->where[rows[i] * n_axes + columns[c]];
            double *cell = &x[i * n_cols + c];
            if (p >= 0)
                *cell = unit_coordinate(axis, s->rows[rows[i]]->param_values[p]);
            else if (axis->n_categories)
                *cell = (double)dial_rng_below(&rng, axis->n_categories);
            else
                *cell = dial_rng_uniform(&rng);
        }
    }
    dial_knob_matrix m = {n_rows, n_cols, x, categories, y};
    /* An analysis with nothing to explain (its rows all alike) adds nothing. */
    bool useful = status == DIAL_OK && n_rows >= 2 && n_cols > 0 && ss > 0;
    if (useful && options->method == DIAL_KNOB_IMPORTANCE_FANOVA)
        status =
            dial_knob_fanova(ctx, &m, options->seed,
                             options->n_trees ? options->n_trees : DEFAULT_TREES, singles, pairs);
    bool ped = options->method == DIAL_KNOB_IMPORTANCE_PED_ANOVA;
    for (size_t c = 0; useful && status == DIAL_OK && c < n_cols; c++) {
        if (!owns_single(s, focus, columns[c])) continue;
        if (ped) status = dial_knob_ped_anova(ctx, &m, c, direction == DIAL_MINIMIZE, &singles[c]);
        terms->single[columns[c]] += weight * singles[c];
    }
    for (size_t a = 0; useful && status == DIAL_OK && pairs && a < n_cols; a++)
        for (size_t b = a + 1; b < n_cols; b++) {
            size_t ka = columns[a], kb = columns[b];
            if (owns_pair(s, focus, ka, kb, everywhere[kb], everywhere[ka]))
                terms->pair[ka * n_axes + kb] += weight * pairs[a * n_cols + b];
        }
    free(rows), free(columns), free(categories), free(everywhere);
    free(x), free(y), free(singles), free(pairs);
    return status;
}

/* ---- the result ------------------------------------------------------------------ */

static void value_text(const knob_study *s, const knob_axis *axis, char *buf, size_t size) {
    const dial_trial_record *record = s->rows[axis->first_row];
    const char *text = record->param_texts ? record->param_texts[axis->first_param] : NULL;
    if (text)
        snprintf(buf, size, "%s", text);
    else
        snprintf(buf, size, "%.17g", record->param_values[axis->first_param]);
}

static int share_compare(const void *a, const void *b) {
    const dial_knob_share *p = a, *q = b;
    if (p->importance > q->importance) return -1;
    if (p->importance < q->importance) return 1;
    return 0;
}

static int pair_compare(const void *a, const void *b) {
    const dial_knob_pair_share *p = a, *q = b;
    if (p->importance > q->importance) return -1;
    if (p->importance < q->importance) return 1;
    return 0;
}

/* A stable sort: qsort's order among ties is not fixed, the study's is. */
static void insertion_sort(void *items, size_t n, size_t size,
                           int (*compare)(const void *, const void *), void *scratch) {
    char *base = items;
    for (size_t i = 1; i < n; i++) {
        memcpy(scratch, base + i * size, size);
        size_t j = i;
        while (j > 0 && compare(base + (j - 1) * size, scratch) > 0) {
            memcpy(base + j * size, base + (j - 1) * size, size);
            j--;
        }
        memcpy(base + j * size, scratch, size);
    }
}

static dial_status build_result(dial_ctx *ctx, const knob_study *s, const knob_terms *terms,
                                const dial_knob_importance_options *options,
                                dial_knob_importance_result *out) {
    size_t n = s->n_axes;
    double total = 0;
    for (size_t a = 0; a < n; a++) total += terms->single[a];
    size_t n_pairs = 0;
    for (size_t a = 0; terms->pair && a < n; a++)
        for (size_t b = a + 1; b < n; b++) {
            total += terms->pair[a * n + b];
            n_pairs += s->axes[a].varied && s->axes[b].varied;
        }
    out->method = options->method;
    if (options->method == DIAL_KNOB_IMPORTANCE_FANOVA)
        out->n_trees = options->n_trees ? options->n_trees : DEFAULT_TREES;
    out->n_trials = s->n_rows;
    out->knobs = dial_calloc(ctx, n + 1, sizeof *out->knobs);
    out->pairs = terms->pair ? dial_calloc(ctx, n_pairs + 1, sizeof *out->pairs) : NULL;
    if (!out->knobs || (terms->pair && !out->pairs))
        return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for knob importance");
    for (size_t a = 0; a < n; a++) {
        const knob_axis *axis = &s->axes[a];
        dial_knob_share *share = &out->knobs[out->n_knobs++];
        share->knob = dial_strdup(ctx, axis->name);
        share->importance = total > 0 ? terms->single[a] / total : 0;
        share->varied = axis->varied;
        share->n_trials = axis->n_active;
        if (!axis->varied) {
            char text[64];
            value_text(s, axis, text, sizeof text);
            share->value = s->rows[axis->first_row]->param_values[axis->first_param];
            share->value_text = dial_strdup(ctx, text);
            if (!share->value_text)
                return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for knob importance");
        }
        if (!share->knob)
            return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for knob importance");
    }
    for (size_t a = 0; terms->pair && a < n; a++)
        for (size_t b = a + 1; b < n; b++) {
            if (!s->axes[a].varied || !s->axes[b].varied) continue;
            dial_knob_pair_share *pair = &out->pairs[out->n_pairs++];
            pair->knobs[0] = dial_strdup(ctx, s->axes[a].name);
            pair->knobs[1] = dial_strdup(ctx, s->axes[b].name);
            pair->importance = total > 0 ? terms->pair[a * n + b] / total : 0;
            if (!pair->knobs[0] || !pair->knobs[1])
                return dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for knob importance");
        }
    dial_knob_share knob_scratch;
    dial_knob_pair_share pair_scratch;
    insertion_sort(out->knobs, out->n_knobs, sizeof *out->knobs, share_compare, &knob_scratch);
    insertion_sort(out->pairs, out->n_pairs, sizeof *out->pairs, pair_compare, &pair_scratch);
    return DIAL_OK;
}

void dial_knob_importance_result_free(dial_knob_importance_result *result) {
    if (!result) return;
    for (size_t i = 0; i < result->n_knobs; i++) {
        free(result->knobs[i].knob);
        free(result->knobs[i].value_text);
    }
    for (size_t i = 0; i < result->n_pairs; i++) {
        free(result->pairs[i].knobs[0]);
        free(result->pairs[i].knobs[1]);
    }
    free(result->knobs);
    free(result->pairs);
    *result = (dial_knob_importance_result){0};
}

/* ---- the procedure ------------------------------------------------------------------ */

/* What the study can be judged on, or why not, in one line. */
static dial_status check_study(dial_ctx *ctx, const dial_study *study, const knob_study *s) {
    char where[512];
    if (study->storage_path)
        snprintf(where, sizeof where, "study '%s' in %s", study->name, study->storage_shown);
    else
        snprintf(where, sizeof where, "study '%s' (in memory)", study->name);
    if (s->n_rows < 2)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "%s has %zu complete trial%s; knob importance needs at least 2 (run more "
                         "trials in it first)",
                         where, s->n_rows, s->n_rows == 1 ? "" : "s");
    bool any = false;
    for (size_t a = 0; a < s->n_axes; a++) any |= s->axes[a].varied;
    if (!any)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "%s: no knob took two values across its %zu complete trials, so none can "
                         "explain the objective; search a range of at least one knob",
                         where, s->n_rows);
    bool flat = true;
    for (size_t r = 1; r < s->n_rows; r++) flat &= s->y[r] == s->y[0];
    if (flat)
        return dial_fail(ctx, DIAL_ERR_DATA,
                         "%s: the objective was %.17g in all %zu complete trials, so no knob "
                         "explains any of its variation",
                         where, s->y[0], s->n_rows);
    return DIAL_OK;
}

dial_status dial_knob_importance(dial_ctx *ctx, dial_study *study, const dial_space *space,
                                 const dial_knob_importance_options *options,
                                 dial_knob_importance_result *out) {
    *out = (dial_knob_importance_result){0};
    if (options->pairs && options->method != DIAL_KNOB_IMPORTANCE_FANOVA)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "PED-ANOVA judges the knobs one at a time: pairs need fANOVA");
    dial_trial_list list = {0, NULL};
    knob_study s = {0};
    knob_terms terms = {0};
    dial_status status = dial_study_trials(ctx, study, &list);
    if (status == DIAL_OK) status = study_read(ctx, &list, space, &s);
    if (status == DIAL_OK) status = check_study(ctx, study, &s);
    if (status == DIAL_OK) {
        terms.single = dial_calloc(ctx, s.n_axes + 1, sizeof *terms.single);
        terms.pair =
            options->pairs ? dial_calloc(ctx, s.n_axes * s.n_axes + 1, sizeof *terms.pair) : NULL;
        if (!terms.single || (options->pairs && !terms.pair))
            status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for knob importance");
    }
    double total_ss = 0;
    if (status == DIAL_OK) {
        size_t *all = dial_malloc_array(ctx, s.n_rows, sizeof *all);
        if (!all) status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for knob importance");
        for (size_t r = 0; all && r < s.n_rows; r++) all[r] = r;
        if (all) total_ss = sum_of_squares(s.y, all, s.n_rows);
        free(all);
    }
    dial_direction direction = dial_study_direction(study);
    if (status == DIAL_OK) status = analyse(ctx, &s, -1, options, direction, total_ss, &terms);
    for (size_t a = 0; status == DIAL_OK && a < s.n_axes; a++)
        if (s.axes[a].varied && s.axes[a].n_active < s.n_rows)
            status = analyse(ctx, &s, (long)a, options, direction, total_ss, &terms);
    if (status == DIAL_OK) status = build_result(ctx, &s, &terms, options, out);
    if (status != DIAL_OK) dial_knob_importance_result_free(out);
    free(terms.single);
    free(terms.pair);
    study_free(&s);
    dial_trial_list_free(&list);
    return status;
}

/* ---- the space a study recorded ---------------------------------------------------------- */

/* A model's space as dial_tune_model records it: "k=1..50; weights=a|b". */
static dial_status model_space(dial_ctx *ctx, const char *model, const char *text,
                               dial_space *out) {
    const dial_model_family *family = dial_model_family_find_in(ctx, model);
    if (!family)
        return dial_fail(ctx, DIAL_ERR_FORMAT,
                         "the study was made by model '%s', which this dial does not know", model);
    dial_knobs knobs = {0};
    dial_status status = dial_model_knobs_init(ctx, family, &knobs);
    char *copy = status == DIAL_OK ? dial_strdup(ctx, text) : NULL;
    if (status == DIAL_OK && !copy)
        status = dial_fail(ctx, DIAL_ERR_NOMEM, "out of memory for the study's space");
    char *item = copy;
    while (status == DIAL_OK && item && *item) {
        char *end = strstr(item, "; ");
        if (end) *end = '\0';
        /* The record lists choices with '|', dial_space_set reads ','. */
        for (char *c = item; *c; c++)
            if (*c == '|') *c = ',';
        status = dial_space_set(ctx, out, &knobs, item);
        if (status != DIAL_OK) {
            char why[512];
            snprintf(why, sizeof why, "%s", dial_ctx_error(ctx));
            status = dial_fail(ctx, DIAL_ERR_FORMAT,
                               "the study's recorded space does not read back: %s", why);
        }
        item = end ? end + 2 : NULL;
    }
    free(copy);
    dial_knobs_free(&knobs);
    return status;
}

dial_status dial_knob_importance_space(dial_ctx *ctx, const dial_study_identity *identity,
                                       dial_space *out, bool *found) {
    *out = (dial_space){0};
    *found = false;
    const char *text = identity ? dial_study_identity_get(identity, "space") : NULL;
    if (!text) return DIAL_OK;
    const char *model = dial_study_identity_get(identity, "model");
    dial_status status;
    if (text[0] == '{') {
        status = dial_space_add_typed_json(ctx, out, text, "the study's recorded space");
        if (status != DIAL_OK) {
            char why[512];
            snprintf(why, sizeof why, "%s", dial_ctx_error(ctx));
            status = dial_fail(ctx, DIAL_ERR_FORMAT, "%s", why);
        }
    } else if (model) {
        status = model_space(ctx, model, text, out);
    } else {
        return DIAL_OK; /* a space without a model to read it against: none */
    }
    if (status != DIAL_OK) dial_space_free(out);
    *found = status == DIAL_OK;
    return status;
}

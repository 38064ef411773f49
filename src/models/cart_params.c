/*
 * The knobs the tree families (tree, forest) share, read into the
 * parameters of each tree they grow. See cart.h.
 */
#include <math.h>
#include <string.h>

#include "models/cart.h"

const char *const dial_cart_criterion_choices[] = {"auto",          "gini",           "entropy",
                                                   "squared_error", "absolute_error", NULL};
const char *const dial_cart_max_features_choices[] = {"auto",     "all",   "sqrt", "log2",
                                                      "fraction", "count", NULL};
/* The default search leaves out auto, the same rule as sqrt (or all), and
 * count, whose count is 1 unless set: a third and a sixth of the trials
 * went there, count=1 scoring 3 to 5 points lower on spam. */
const char *const dial_cart_max_features_searched[] = {"all", "sqrt", "log2", "fraction", NULL};
const char *const dial_cart_class_weight_choices[] = {"none", "balanced", NULL};
const char *const dial_cart_categorical_choices[] = {"native", "onehot", NULL};

/* ---- knobs ----------------------------------------------------------------- */

static double cart_knob(const dial_knobs *knobs, const char *name, double fallback) {
    long i = dial_knobs_find(knobs, name);
    return i < 0 ? fallback : knobs->values[i].number;
}

/* A count knob as a size, with values beyond any data read as "no limit"
 * (a double past 2^63 does not convert). */
static size_t cart_count(double v) { return v >= 1e15 ? (size_t)1e15 : v <= 0 ? 0 : (size_t)v; }

static size_t cart_max_features(const char *rule, const dial_knobs *knobs, size_t n_features,
                                bool classification) {
    double n = (double)n_features, m = n;
    if (strcmp(rule, "auto") == 0) rule = classification ? "sqrt" : "all";
    if (strcmp(rule, "sqrt") == 0)
        m = floor(sqrt(n));
    else if (strcmp(rule, "log2") == 0)
        m = n > 0 ? floor(log2(n)) : 0;
    else if (strcmp(rule, "fraction") == 0)
        m = floor(cart_knob(knobs, "max_features_fraction", 1) * n);
    else if (strcmp(rule, "count") == 0)
        m = cart_knob(knobs, "max_features_count", n);
    if (m < 1) m = 1;
    if (m > n) m = n;
    return (size_t)m;
}

dial_status dial_cart_params_from_knobs(dial_ctx *ctx, const char *family, const dial_knobs *knobs,
                                        const dial_fit_input *in, dial_cart_params *out) {
    bool classification = in->task == DIAL_TASK_CLASSIFICATION;
    const char *criterion = dial_knobs_choice(knobs, "criterion");
    *out = (dial_cart_params){0};
    if (strcmp(criterion, "auto") == 0 || criterion[0] == '\0')
        out->criterion = classification ? DIAL_CART_GINI : DIAL_CART_SQUARED_ERROR;
    else if (strcmp(criterion, "gini") == 0)
        out->criterion = DIAL_CART_GINI;
    else if (strcmp(criterion, "entropy") == 0)
        out->criterion = DIAL_CART_ENTROPY;
    else if (strcmp(criterion, "squared_error") == 0)
        out->criterion = DIAL_CART_SQUARED_ERROR;
    else
        out->criterion = DIAL_CART_ABSOLUTE_ERROR;
    bool regression_criterion = out->criterion >= DIAL_CART_SQUARED_ERROR;
    if (classification && regression_criterion)
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "%s: criterion '%s' is for regression; for classification use gini or "
                         "entropy (or auto)",
                         family, criterion);
    if (!classification && !regression_criterion)
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "%s: criterion '%s' is for classification; for regression use "
                         "squared_error or absolute_error (or auto)",
                         family, criterion);

    double depth = cart_knob(knobs, "max_depth", 0);
    out->max_depth = depth <= 0 ? SIZE_MAX : cart_count(depth);
    out->min_samples_split = cart_count(cart_knob(knobs, "min_samples_split", 2));
    out->min_samples_leaf = cart_count(cart_knob(knobs, "min_samples_leaf", 1));
    if (out->min_samples_split < 2) out->min_samples_split = 2;
    if (out->min_samples_leaf < 1) out->min_samples_leaf = 1;
    out->min_impurity_decrease = cart_knob(knobs, "min_impurity_decrease", 0);
    out->ccp_alpha = cart_knob(knobs, "ccp_alpha", 0);

    long weight = dial_knobs_find(knobs, "class_weight");
    out->balanced =
        weight >= 0 && strcmp(dial_knobs_choice(knobs, "class_weight"), "balanced") == 0;
    if (out->balanced && !classification)
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "%s: class_weight=balanced applies to classification only; use "
                         "class_weight=none for regression",
                         family);

    const char *rule = dial_knobs_choice(knobs, "max_features");
    if (strcmp(rule, "count") == 0 &&
        cart_knob(knobs, "max_features_count", 1) > (double)in->n_features)
        return dial_fail(ctx, DIAL_ERR_KNOB,
                         "%s: knob 'max_features_count' = %.0f is more than the %zu inputs; use "
                         "at most %zu or max_features=all",
                         family, cart_knob(knobs, "max_features_count", 1), in->n_features,
                         in->n_features);
    long categorical = dial_knobs_find(knobs, "categorical");
    out->native = categorical < 0 || strcmp(dial_knobs_choice(knobs, "categorical"), "native") == 0;
    /* mtry counts split candidates: a categorical feature split natively
     * is one, not one per level */
    size_t candidates = in->n_features;
    for (size_t b = 0; out->native && in->onehot && b < in->n_onehot; b++)
        if (in->onehot[b].n_levels <= DIAL_CART_CATEGORY_MAX_LEVELS &&
            in->onehot[b].n_levels <= candidates)
            candidates -= in->onehot[b].n_levels - 1;
    out->max_features = cart_max_features(rule, knobs, candidates, classification);
    return DIAL_OK;
}

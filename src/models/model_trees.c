/*
 * The trees of a fitted model in a form that is the same for every family
 * with trees (dial_tree in dial/model.h): what `dial inspect --tree`
 * prints and what a C program walks to explain a prediction. Each family
 * answers through its optional `trees` slot, from its own tensors, so no
 * code outside the family knows its layout or compares its name; a family
 * without the slot has no trees.
 */
#include <stdio.h>
#include <string.h>

#include "dial/model.h"

/* The families with trees, "tree, forest, gbdt", into buf. */
static void families_with_trees(char *buf, size_t size) {
    size_t at = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < dial_model_family_count(); i++) {
        const dial_model_family *family = dial_model_family_at(i);
        if (!family->trees || at >= size) continue;
        int n = snprintf(buf + at, size - at, "%s%s", at ? ", " : "", family->name);
        if (n < 0) break;
        at += (size_t)n;
    }
}

/* Asks the family for tree index (none when index is SIZE_MAX). */
static dial_status model_trees(dial_ctx *ctx, const dial_model *model, size_t index,
                               size_t *n_trees, dial_tree *out) {
    const dial_model_family *family = dial_model_get_family(model);
    if (!family->trees) {
        char names[256];
        families_with_trees(names, sizeof names);
        return dial_fail(ctx, DIAL_ERR_UNSUPPORTED,
                         "model '%s' has no trees; the families with trees are %s", family->name,
                         names);
    }
    dial_task task = dial_model_get_task(model);
    dial_fit_input in = {
        .n_features = dial_model_n_inputs(model),
        .task = task,
        .n_classes = task == DIAL_TASK_CLASSIFICATION ? dial_model_n_classes(model) : 0,
    };
    return family->trees(ctx, dial_model_get_knobs(model), dial_model_get_tensors(model), &in,
                         index, n_trees, out);
}

dial_status dial_model_tree_count(dial_ctx *ctx, const dial_model *model, size_t *n_trees) {
    size_t n = 0;
    dial_status status = model_trees(ctx, model, SIZE_MAX, &n, NULL);
    if (status == DIAL_OK) *n_trees = n;
    return status;
}

dial_status dial_model_tree_get(dial_ctx *ctx, const dial_model *model, size_t index,
                                dial_tree *out) {
    size_t n = 0;
    dial_tree tree;
    dial_status status = model_trees(ctx, model, index, &n, &tree);
    if (status != DIAL_OK) return status;
    if (index >= n)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "tree %zu is out of range: the %s model has %zu trees (0 to %zu)", index,
                         dial_model_get_family(model)->name, n, n ? n - 1 : 0);
    *out = tree;
    return DIAL_OK;
}

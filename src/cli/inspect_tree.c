/* dial inspect --tree: one tree of a tree or forest model as nested if/else
 * rules, in the words of the data (feature names, levels, class names).
 * The tensors were checked when the model was loaded (children inside the
 * tree and after their parent, features in range); the walk still keeps to
 * the arrays, and needs no recursion however deep the tree. Each level
 * indents two more spaces, so levels below RULES_MAX_DEPTH are summed up in
 * one line rather than printed: the output stays linear in the nodes shown
 * (a crafted chain 100,000 deep would otherwise print 10^10 spaces). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* Deeper than any tree a real fit grows into readable rules (sklearn's
 * export_text stops at 10 by default); deeper subtrees get one line. */
#define RULES_MAX_DEPTH 64

/* The tensor called name if it has the dtype and at least n elements. */
static const void *rules_tensor(const dial_model *model, const char *name, dial_dtype dtype,
                                size_t n) {
    const dial_tensor *t = dial_tensors_find(dial_model_get_tensors(model), name);
    return t && t->dtype == dtype && dial_tensor_size(t) >= n ? t->data : NULL;
}

/* What design-matrix input j is: a numeric feature, or the one-hot column
 * of a categorical feature's level (*level set). */
static const char *rules_input(const dial_model *model, size_t j, const char **level) {
    *level = NULL;
    for (size_t i = 0; i < dial_model_n_features(model); i++) {
        size_t width = dial_model_feature_type(model, i) == DIAL_COLUMN_NUMERIC
                           ? 1
                           : dial_model_feature_n_levels(model, i);
        if (j < width) {
            if (dial_model_feature_type(model, i) == DIAL_COLUMN_CATEGORICAL)
                *level = dial_model_feature_level(model, i, j);
            return dial_model_feature_name(model, i);
        }
        j -= width;
    }
    return "?";
}

/* A threshold as the shortest decimal that reads back as it ("16.795",
 * "1750"), cut at 10 significant digits (a midpoint such as
 * 4.800000000000001 reads 4.8), without an exponent unless it is very large
 * or small. */
static void rules_number(double v, char *buf, size_t size) {
    if (isfinite(v) && (v == 0 || (fabs(v) >= 1e-4 && fabs(v) < 1e15))) {
        int magnitude = v == 0 ? 0 : (int)floor(log10(fabs(v)));
        for (int digits = 0; digits <= 17; digits++) {
            snprintf(buf, size, "%.*f", digits, v);
            if (strtod(buf, NULL) == v) return;
            if (magnitude + 1 + digits >= 10) {
                size_t end = strlen(buf);
                while (end > 0 && strchr(buf, '.') && (buf[end - 1] == '0' || buf[end - 1] == '.'))
                    buf[--end] = '\0';
                return;
            }
        }
    }
    cli_format_double(v, buf, size);
}

/* The test of a split and its negation: "x.bar <= 6.5" and "x.bar > 6.5",
 * or for a one-hot column "color is not E" and "color is E". */
static void rules_condition(const dial_model *model, int64_t input, double threshold, bool negate,
                            char *buf, size_t size) {
    const char *level;
    const char *name = rules_input(model, (size_t)input, &level);
    if (level && threshold >= 0 && threshold < 1) {
        snprintf(buf, size, "%s is %s%s", name, negate ? "" : "not ", level);
        return;
    }
    char number[64];
    rules_number(threshold, number, sizeof number);
    if (level)
        snprintf(buf, size, "%s=%s %s %s", name, level, negate ? ">" : "<=", number);
    else
        snprintf(buf, size, "%s %s %s", name, negate ? ">" : "<=", number);
}

typedef struct rules_tree {
    const int64_t *feature, *left, *right, *n_samples;
    const double *threshold, *value;
    size_t n_nodes, n_outputs;
    const int64_t *category, *bits; /* splits on a category, NULL without */
    size_t n_words;
} rules_tree;

/* Levels named in a condition before the rest are counted instead. */
#define RULES_MAX_LEVELS 8

/* The test of a split on a category and its negation, "color in {red,
 * blue}" and "color not in {red, blue}": the levels whose bit is set go
 * left. False when the node is not such a split. */
static bool rules_category(const dial_model *model, const rules_tree *t, size_t node, bool negate,
                           char *buf, size_t size) {
    if (!t->category || t->category[node] < 0) return false;
    size_t input = (size_t)t->feature[node], feature = 0;
    for (; feature < dial_model_n_features(model); feature++) {
        size_t width = dial_model_feature_type(model, feature) == DIAL_COLUMN_NUMERIC
                           ? 1
                           : dial_model_feature_n_levels(model, feature);
        if (input < width) break;
        input -= width;
    }
    if (feature == dial_model_n_features(model)) return false;
    size_t n_levels = dial_model_feature_n_levels(model, feature), word = (size_t)t->category[node];
    if (word + n_levels / 64 >= t->n_words) return false; /* checked at load; kept all the same */
    int at = snprintf(buf, size, "%s %sin {", dial_model_feature_name(model, feature),
                      negate ? "not " : "");
    size_t shown = 0, left = 0;
    for (size_t l = 0; l < n_levels; l++) {
        if (!((uint64_t)t->bits[word + l / 64] >> (l % 64) & 1)) continue;
        if (left++ >= RULES_MAX_LEVELS) continue;
        const char *level = dial_model_feature_level(model, feature, l);
        if (at >= 0 && (size_t)at < size)
            at += snprintf(buf + at, size - (size_t)at, "%s%s", shown++ ? ", " : "",
                           level ? level : "?");
    }
    if (at >= 0 && (size_t)at < size && left > RULES_MAX_LEVELS)
        at += snprintf(buf + at, size - (size_t)at, ", ... %zu levels in all", left);
    if (at >= 0 && (size_t)at < size) snprintf(buf + at, size - (size_t)at, "}");
    return true;
}

static void rules_leaf(const dial_model *model, const rules_tree *t, size_t node, FILE *out) {
    const double *value = t->value + node * t->n_outputs;
    int64_t rows = t->n_samples[node];
    if (dial_model_get_task(model) != DIAL_TASK_CLASSIFICATION) {
        fprintf(out, "%s = %.6g  (%" PRId64 " rows)\n", dial_model_target_name(model), value[0],
                rows);
        return;
    }
    size_t best = 0;
    for (size_t c = 1; c < t->n_outputs; c++)
        if (value[c] > value[best]) best = c;
    const char *name = dial_model_class_name(model, best);
    fprintf(out, "%s = %s  (%.2f of %" PRId64 " rows)\n", dial_model_target_name(model),
            name ? name : "?", value[best], rows);
}

/* Depth of the deepest leaf, and the number of leaves. */
static size_t rules_depth(const rules_tree *t, size_t *leaves) {
    size_t *depth = calloc(t->n_nodes, sizeof *depth), deepest = 0;
    if (!depth) return 0;
    *leaves = 0;
    for (size_t i = 0; i < t->n_nodes; i++) {
        if (depth[i] > deepest) deepest = depth[i];
        if (t->left[i] < 0) {
            (*leaves)++;
            continue;
        }
        depth[t->left[i]] = depth[t->right[i]] = depth[i] + 1;
    }
    free(depth);
    return deepest;
}

/* Per node: the nodes, leaves and levels of the subtree it roots, counted
 * from the last node back (children come after their parent), so that a
 * cut subtree can be told in one line. */
typedef struct rules_subtree {
    size_t nodes, leaves, levels;
} rules_subtree;

static rules_subtree *rules_subtrees(const rules_tree *t) {
    rules_subtree *sub = cli_alloc(t->n_nodes, sizeof *sub);
    for (size_t i = t->n_nodes; i-- > 0;) {
        sub[i] = (rules_subtree){1, 0, 0};
        int64_t children[2] = {t->left[i], t->right[i]};
        if (children[0] < 0) sub[i].leaves = 1;
        for (int side = 0; side < 2; side++) {
            int64_t c = children[side];
            /* checked at load; kept to the arrays all the same */
            if (c <= (int64_t)i || (uint64_t)c >= t->n_nodes) continue;
            sub[i].nodes += sub[c].nodes;
            sub[i].leaves += sub[c].leaves;
            if (sub[c].levels + 1 > sub[i].levels) sub[i].levels = sub[c].levels + 1;
        }
    }
    return sub;
}

static void rules_print(const dial_model *model, const rules_tree *t, FILE *out) {
    typedef struct step {
        size_t node, depth;
        bool otherwise; /* the else branch is next */
    } step;
    step *stack = cli_alloc(2 * t->n_nodes + 2, sizeof *stack);
    rules_subtree *sub = NULL;
    size_t top = 0;
    stack[top++] = (step){0, 0, false};
    char condition[1024];
    while (top > 0) {
        step s = stack[--top];
        int indent = (int)(2 * s.depth);
        if (s.otherwise) {
            if (!rules_category(model, t, s.node, true, condition, sizeof condition))
                rules_condition(model, t->feature[s.node], t->threshold[s.node], true, condition,
                                sizeof condition);
            fprintf(out, "%*selse:  # %s\n", indent, "", condition);
            stack[top++] = (step){(size_t)t->right[s.node], s.depth + 1, false};
            continue;
        }
        fprintf(out, "%*s", indent, "");
        if (t->left[s.node] < 0) {
            rules_leaf(model, t, s.node, out);
            continue;
        }
        if (s.depth >= RULES_MAX_DEPTH) {
            if (!sub) sub = rules_subtrees(t);
            const rules_subtree *cut = &sub[s.node];
            fprintf(out, "... %zu more nodes (%zu leaves, %zu levels) not shown\n", cut->nodes,
                    cut->leaves, cut->levels);
            continue;
        }
        if (!rules_category(model, t, s.node, false, condition, sizeof condition))
            rules_condition(model, t->feature[s.node], t->threshold[s.node], false, condition,
                            sizeof condition);
        fprintf(out, "if %s:\n", condition);
        stack[top++] = (step){s.node, s.depth, true};
        stack[top++] = (step){(size_t)t->left[s.node], s.depth + 1, false};
    }
    free(sub);
    free(stack);
}

int cli_print_tree_rules(const dial_model *model, size_t tree_index, FILE *out) {
    const char *family = dial_model_get_family(model)->name;
    bool forest = strcmp(family, "forest") == 0;
    if (!forest && strcmp(family, "tree") != 0)
        return cli_error(CLI_EXIT_USAGE,
                         "model '%s' has no trees; --tree shows the rules of tree and forest "
                         "models",
                         family);
    const dial_tensor *feature = dial_tensors_find(dial_model_get_tensors(model), "feature");
    size_t total = feature ? dial_tensor_size(feature) : 0;
    size_t n_outputs =
        dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION ? dial_model_n_classes(model) : 1;
    size_t n_trees = 1, start = 0, end = total;
    if (forest) {
        const dial_tensor *offset = dial_tensors_find(dial_model_get_tensors(model), "tree_offset");
        n_trees =
            offset && offset->dtype == DIAL_I64 && offset->shape[0] > 1 ? offset->shape[0] - 1 : 0;
        if (tree_index >= n_trees)
            return cli_error(CLI_EXIT_USAGE,
                             "--tree %zu is out of range: the forest has %zu trees (0 to %zu)",
                             tree_index, n_trees, n_trees ? n_trees - 1 : 0);
        start = (size_t)((const int64_t *)offset->data)[tree_index];
        end = (size_t)((const int64_t *)offset->data)[tree_index + 1];
    } else if (tree_index > 0) {
        return cli_error(CLI_EXIT_USAGE,
                         "--tree %zu is out of range: a tree model has one tree (0)", tree_index);
    }
    const int64_t *f = rules_tensor(model, "feature", DIAL_I64, total);
    const int64_t *l = rules_tensor(model, "left", DIAL_I64, total);
    const int64_t *r = rules_tensor(model, "right", DIAL_I64, total);
    const int64_t *n = rules_tensor(model, "n_samples", DIAL_I64, total);
    const double *th = rules_tensor(model, "threshold", DIAL_F64, total);
    const double *v = rules_tensor(model, "value", DIAL_F64, total * n_outputs);
    if (!f || !l || !r || !n || !th || !v || start >= end || end > total)
        return cli_error(CLI_EXIT_FAILURE, "the model's node tensors are missing or misshapen");
    rules_tree t = {f + start,   l + start, r + start, n + start, th + start, v + start * n_outputs,
                    end - start, n_outputs, NULL,      NULL,      0};
    const dial_tensor *bits = dial_tensors_find(dial_model_get_tensors(model), "category_bits");
    t.category = rules_tensor(model, "category", DIAL_I64, total);
    t.bits = t.category ? rules_tensor(model, "category_bits", DIAL_I64, 1) : NULL;
    t.n_words = t.bits ? dial_tensor_size(bits) : 0;
    if (!t.bits) t.category = NULL;
    if (t.category) t.category += start;
    size_t leaves = 0, depth = rules_depth(&t, &leaves);
    if (forest)
        fprintf(out, "# tree %zu of %zu: %zu nodes, %zu leaves, depth %zu\n", tree_index, n_trees,
                t.n_nodes, leaves, depth);
    else
        fprintf(out, "# %zu nodes, %zu leaves, depth %zu\n", t.n_nodes, leaves, depth);
    if (dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION)
        fprintf(out, "# a leaf gives its class and that class's share of its training rows\n");
    if (depth > RULES_MAX_DEPTH)
        fprintf(out,
                "# the rules stop at depth %d: a line '... N more nodes' stands for each deeper "
                "subtree ('dial inspect --json' lists every node)\n",
                RULES_MAX_DEPTH);
    rules_print(model, &t, out);
    return CLI_EXIT_OK;
}

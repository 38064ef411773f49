/* dial inspect --tree: one tree of a model with trees (tree, forest, gbdt)
 * as nested if/else rules, in the words of the data (feature names,
 * levels, class names). The trees come from the library's query
 * (dial_model_tree_get), the same for every family, checked there
 * (children inside the tree and after their parent, inputs in range); the
 * walk still keeps to the arrays, and needs no recursion however deep the
 * tree. Each level
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

/* What design-matrix input j is: a numeric feature, or the one-hot column
 * of a categorical feature's level (*level set). */
static const char *rules_input(const dial_model *model, size_t j, const char **level) {
    *level = NULL;
    size_t feature, index;
    if (!dial_model_input_feature(model, j, &feature, &index)) return "?";
    if (index != SIZE_MAX) *level = dial_model_feature_level(model, feature, index);
    return dial_model_feature_name(model, feature);
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

/* The tree being printed, and the name its leaves' scores add to. */
typedef struct rules_tree {
    dial_tree nodes;
    const char *score_name; /* "log-odds(yes)", "score(setosa)", the target */
} rules_tree;

/* Levels named in a condition before the rest are counted instead. */
#define RULES_MAX_LEVELS 8

/* The test of a split on a category and its negation, "color in {red,
 * blue}" and "color not in {red, blue}": the levels whose bit is set go
 * left. False when the node is not such a split. */
static bool rules_category(const dial_model *model, const rules_tree *t, size_t node, bool negate,
                           char *buf, size_t size) {
    const dial_tree *tree = &t->nodes;
    if (!tree->category || tree->category[node] < 0) return false;
    size_t feature, input_level;
    if (!dial_model_input_feature(model, (size_t)tree->input[node], &feature, &input_level))
        return false;
    size_t n_levels = dial_model_feature_n_levels(model, feature),
           word = (size_t)tree->category[node];
    if (word + n_levels / 64 >= tree->n_category_words)
        return false; /* checked; kept all the same */
    int at = snprintf(buf, size, "%s %sin {", dial_model_feature_name(model, feature),
                      negate ? "not " : "");
    size_t shown = 0, left = 0;
    for (size_t l = 0; l < n_levels; l++) {
        if (!(tree->category_bits[word + l / 64] >> (l % 64) & 1)) continue;
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

void cli_tree_split_text(const dial_model *model, const dial_tree *tree, size_t node, char *buf,
                         size_t size) {
    rules_tree t = {.nodes = *tree};
    if (!rules_category(model, &t, node, false, buf, size))
        rules_condition(model, tree->input[node], tree->threshold[node], false, buf, size);
}

static void rules_leaf(const dial_model *model, const rules_tree *t, size_t node, FILE *out) {
    const dial_tree *tree = &t->nodes;
    const double *value = tree->value + node * tree->n_values;
    if (tree->leaf == DIAL_TREE_LEAF_SCORE) {
        fprintf(out, "%s += %.6g\n", t->score_name, value[0]);
        return;
    }
    int64_t rows = tree->n_samples ? tree->n_samples[node] : -1;
    char count[64] = "";
    if (tree->leaf != DIAL_TREE_LEAF_CLASS_SHARES) {
        if (rows >= 0) snprintf(count, sizeof count, "  (%" PRId64 " rows)", rows);
        fprintf(out, "%s = %.6g%s\n", dial_model_target_name(model), value[0], count);
        return;
    }
    size_t best = 0;
    for (size_t c = 1; c < tree->n_values; c++)
        if (value[c] > value[best]) best = c;
    const char *name = dial_model_class_name(model, best);
    if (rows >= 0) snprintf(count, sizeof count, " of %" PRId64 " rows", rows);
    fprintf(out, "%s = %s  (%.2f%s)\n", dial_model_target_name(model), name ? name : "?",
            value[best], count);
}

/* Depth of the deepest leaf, and the number of leaves. */
static size_t rules_depth(const dial_tree *t, size_t *leaves) {
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

static rules_subtree *rules_subtrees(const dial_tree *t) {
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
    step *stack = cli_alloc(2 * t->nodes.n_nodes + 2, sizeof *stack);
    rules_subtree *sub = NULL;
    size_t top = 0;
    stack[top++] = (step){0, 0, false};
    char condition[1024];
    while (top > 0) {
        step s = stack[--top];
        int indent = (int)(2 * s.depth);
        if (s.otherwise) {
            if (!rules_category(model, t, s.node, true, condition, sizeof condition))
                rules_condition(model, t->nodes.input[s.node], t->nodes.threshold[s.node], true,
                                condition, sizeof condition);
            fprintf(out, "%*selse:  # %s\n", indent, "", condition);
            stack[top++] = (step){(size_t)t->nodes.right[s.node], s.depth + 1, false};
            continue;
        }
        fprintf(out, "%*s", indent, "");
        if (t->nodes.left[s.node] < 0) {
            rules_leaf(model, t, s.node, out);
            continue;
        }
        if (s.depth >= RULES_MAX_DEPTH) {
            if (!sub) sub = rules_subtrees(&t->nodes);
            const rules_subtree *cut = &sub[s.node];
            fprintf(out, "... %zu more nodes (%zu leaves, %zu levels) not shown\n", cut->nodes,
                    cut->leaves, cut->levels);
            continue;
        }
        if (!rules_category(model, t, s.node, false, condition, sizeof condition))
            rules_condition(model, t->nodes.input[s.node], t->nodes.threshold[s.node], false,
                            condition, sizeof condition);
        fprintf(out, "if %s:\n", condition);
        stack[top++] = (step){s.node, s.depth, true};
        stack[top++] = (step){(size_t)t->nodes.left[s.node], s.depth + 1, false};
    }
    free(sub);
    free(stack);
}

/* "the log-odds of class 'yes'", "the score of class 'setosa'", "the
 * prediction of Price": the score a gbdt tree's leaves add to. */
static char *rules_score_text(const dial_model *model, const dial_tree *tree, bool leaf) {
    const char *target = dial_model_target_name(model);
    if (dial_model_get_task(model) != DIAL_TASK_CLASSIFICATION)
        return leaf ? cli_strdup(target) : cli_format("the prediction of %s", target);
    const char *name = dial_model_class_name(model, tree->score_class);
    if (!name) name = "?";
    if (leaf) return cli_format("%s(%s)", tree->log_odds ? "log-odds" : "score", name);
    return cli_format("the %s of class '%s'", tree->log_odds ? "log-odds" : "score", name);
}

/* The families with trees, "tree, forest and gbdt" (malloc'ed). */
static char *families_with_trees(void) {
    char *text = cli_strdup("");
    size_t count = 0, n = 0;
    for (size_t i = 0; i < dial_model_family_count(); i++)
        count += !!dial_model_family_at(i)->trees;
    for (size_t i = 0; i < dial_model_family_count(); i++) {
        const dial_model_family *family = dial_model_family_at(i);
        if (!family->trees) continue;
        n++;
        char *longer = cli_format("%s%s%s", text,
                                  n == 1       ? ""
                                  : n == count ? " and "
                                               : ", ",
                                  family->name);
        free(text);
        text = longer;
    }
    return text;
}

int cli_print_tree_rules(dial_ctx *ctx, const dial_model *model, size_t tree_index, FILE *out) {
    const dial_model_family *family = dial_model_get_family(model);
    if (!family->trees) {
        char *families = families_with_trees();
        int status = cli_error(CLI_EXIT_USAGE,
                               "model '%s' has no trees; --tree shows the rules of %s models",
                               family->name, families);
        free(families);
        return status;
    }
    size_t n_trees = 0;
    dial_status status = dial_model_tree_count(ctx, model, &n_trees);
    if (status != DIAL_OK) return cli_fail(ctx, status);
    rules_tree t = {.score_name = NULL};
    if (n_trees > 0 && tree_index < n_trees) {
        status = dial_model_tree_get(ctx, model, tree_index, &t.nodes);
        if (status != DIAL_OK) return cli_fail(ctx, status);
    } else {
        /* the first tree tells whether the model is an ensemble */
        dial_tree first = {.ensemble = true};
        if (n_trees > 0 && (status = dial_model_tree_get(ctx, model, 0, &first)) != DIAL_OK)
            return cli_fail(ctx, status);
        if (!first.ensemble)
            return cli_error(CLI_EXIT_USAGE,
                             "--tree %zu is out of range: a %s model has one tree (0)", tree_index,
                             family->name);
        return cli_error(CLI_EXIT_USAGE,
                         "--tree %zu is out of range: the %s has %zu tree%s (0 to %zu)", tree_index,
                         family->name, n_trees, n_trees == 1 ? "" : "s", n_trees ? n_trees - 1 : 0);
    }
    const dial_tree *tree = &t.nodes;
    size_t leaves = 0, depth = rules_depth(tree, &leaves);
    bool scores = tree->leaf == DIAL_TREE_LEAF_SCORE;
    if (scores && dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION && !tree->log_odds) {
        const char *name = dial_model_class_name(model, tree->score_class);
        fprintf(out, "# tree %zu of %zu (round %zu, class %s): %zu nodes, %zu leaves, depth %zu\n",
                tree_index, n_trees, tree->round, name ? name : "?", tree->n_nodes, leaves, depth);
    } else if (scores) {
        fprintf(out, "# tree %zu of %zu (round %zu): %zu nodes, %zu leaves, depth %zu\n",
                tree_index, n_trees, tree->round, tree->n_nodes, leaves, depth);
    } else if (tree->ensemble) {
        fprintf(out, "# tree %zu of %zu: %zu nodes, %zu leaves, depth %zu\n", tree_index, n_trees,
                tree->n_nodes, leaves, depth);
    } else {
        fprintf(out, "# %zu nodes, %zu leaves, depth %zu\n", tree->n_nodes, leaves, depth);
    }
    if (tree->leaf == DIAL_TREE_LEAF_CLASS_SHARES)
        fprintf(out, "# a leaf gives its class and that class's share of its training rows\n");
    char *score_text = NULL;
    if (scores) {
        score_text = rules_score_text(model, tree, false);
        t.score_name = rules_score_text(model, tree, true);
        fprintf(out, "# a leaf adds to %s, which starts at %.6g (learning rate included)\n",
                score_text, tree->base_score);
    }
    if (depth > RULES_MAX_DEPTH)
        fprintf(out,
                "# the rules stop at depth %d: a line '... N more nodes' stands for each deeper "
                "subtree ('dial inspect --json' lists every node)\n",
                RULES_MAX_DEPTH);
    rules_print(model, &t, out);
    free(score_text);
    free((char *)t.score_name);
    return CLI_EXIT_OK;
}

/* The page `dial report MODEL.dial` writes (report_study.h): what the
 * model is and was trained on, its knobs beside their defaults, the
 * feature importance it learned (tree, forest, gbdt), its first tree drawn
 * to a few levels, its coefficients (linear, logistic) and the tuning
 * record that chose its knobs. What the model learned is read through the
 * public queries (dial_model_feature_importance, dial_model_tree_get,
 * dial_model_tensor_axis), as dial inspect reads it. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/report_study.h"
#include "cli/report_svg.h"

#define WIDTH 640
#define BLUE "#0072b2"
#define VERMILLION "#d55e00"
/* Bars past this many are left out (the largest kept) and the caption
 * says so. */
#define MAX_BARS 30
/* The tree is drawn this many levels deep; below, a box counts what is
 * left out. */
#define TREE_DEPTH 3

static void settings_section(report_buf *buf, const char *path, const dial_model *model) {
    const dial_model_family *family = dial_model_get_family(model);
    const dial_model_facts *facts = dial_model_get_facts(model);
    report_puts(buf,
                "<section id=\"settings\">\n<h2>The model</h2>\n<div class=\"scroll\"><table>\n");
    report_setting(buf, "file", path);
    char *text = cli_format("%s (%s): %s", family->name, dial_task_name(dial_model_get_task(model)),
                            family->summary);
    report_setting(buf, "model", text);
    free(text);
    report_setting(buf, "target", dial_model_target_name(model));
    if (dial_model_get_task(model) == DIAL_TASK_CLASSIFICATION) {
        report_buf classes = {0};
        for (size_t i = 0; i < dial_model_n_classes(model); i++)
            report_printf(&classes, "%s%s", i ? ", " : "", dial_model_class_name(model, i));
        report_setting(buf, "classes", classes.data ? classes.data : "");
        report_buf_free(&classes);
    }
    report_buf features = {0};
    report_printf(&features, "%zu:", dial_model_n_features(model));
    for (size_t i = 0; i < dial_model_n_features(model); i++)
        report_printf(&features, "%s %s", i ? "," : "", dial_model_feature_name(model, i));
    report_setting(buf, "features", features.data);
    report_buf_free(&features);
    text = cli_format("%zu rows, seed %" PRIu64 ", dial %s", facts->n_rows, facts->seed,
                      facts->dial_version);
    report_setting(buf, "trained on", text);
    free(text);
    text = cli_format("%016" PRIx64, facts->data_fingerprint);
    report_setting(buf, "data fingerprint", text);
    free(text);
    report_puts(buf, "</table></div>\n</section>\n");
}

static void knobs_section(report_buf *buf, const dial_model *model) {
    const dial_knobs *knobs = dial_model_get_knobs(model);
    report_puts(buf, "<section id=\"knobs-section\">\n<h2>Knobs it was trained with</h2>\n"
                     "<div class=\"scroll\"><table id=\"knobs\">\n<thead><tr><th>knob</th>"
                     "<th>value</th><th>default</th><th></th></tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < knobs->n; i++) {
        char value[64];
        dial_knobs_format(knobs, i, value, sizeof value);
        const char *marker = knobs->values[i].set_by_user ? "set by the user" : "";
        if (!dial_knobs_active(knobs, i)) marker = "inactive";
        report_puts(buf, "<tr><td>");
        report_escape(buf, knobs->specs[i].name);
        report_puts(buf, "</td><td>");
        report_escape(buf, value);
        report_puts(buf, "</td><td>");
        report_escape(buf, knobs->specs[i].default_text);
        report_puts(buf, "</td><td>");
        report_escape(buf, marker);
        report_puts(buf, "</td></tr>\n");
    }
    report_puts(buf, "</tbody></table></div>\n</section>\n");
}

/* ---- bars ------------------------------------------------------------------------ */

typedef struct bar {
    const char *name;
    double value;
} bar;

static int larger_first(const void *a, const void *b) {
    double x = fabs(((const bar *)a)->value), y = fabs(((const bar *)b)->value);
    return x < y ? 1 : x > y ? -1 : 0;
}

/* Horizontal bars from 0 (negative to the left), the largest first;
 * returns how many were drawn. */
static size_t draw_bars(report_buf *buf, bar *bars, size_t n, const char *axis) {
    qsort(bars, n, sizeof *bars, larger_first);
    size_t shown = n < MAX_BARS ? n : MAX_BARS;
    double low = 0, high = 0;
    for (size_t i = 0; i < shown; i++) {
        low = fmin(low, bars[i].value);
        high = fmax(high, bars[i].value);
    }
    if (!(high > low)) high = low + 1;
    double row = 22;
    report_frame frame = {.left = 160, .right = 70};
    frame.x.low = low < 0 ? low * 1.1 : 0;
    frame.x.high = high > 0 ? high * 1.1 : 0;
    report_frame_begin(&frame, buf, WIDTH, 70 + row * (double)shown, axis);
    report_axis_x(&frame, axis);
    double zero = report_scale_at(&frame.x, 0);
    for (size_t i = 0; i < shown; i++) {
        double y = frame.top + row * (double)i + 3, at = report_scale_at(&frame.x, bars[i].value);
        char value[32];
        snprintf(value, sizeof value, "%.4g", bars[i].value);
        char *title = cli_format("%s: %s", bars[i].name, value);
        double x = fmin(zero, at), w = fabs(at - zero);
        report_rect(buf, x, y, w > 0.5 ? w : 0.5, row - 6, bars[i].value < 0 ? VERMILLION : BLUE,
                    title);
        report_text(buf, frame.x.from - 6, y + row / 2, "end", 12, bars[i].name);
        report_text(buf, fmax(zero, at) + 4, y + row / 2, "start", 11, value);
        free(title);
    }
    report_line(buf, zero, frame.top, zero, frame.y.from, "#333", 1);
    report_frame_end(&frame);
    return shown;
}

static char *more_note(size_t shown, size_t n) {
    return shown < n ? cli_format(" The %zu largest of %zu are shown.", shown, n) : cli_strdup("");
}

static void feature_importance(report_buf *buf, dial_ctx *ctx, const dial_model *model) {
    const char *family = dial_model_get_family(model)->name;
    if (!dial_model_has_feature_importance(model)) {
        char *why = cli_format("No feature importance: a %s model learns none while fitting "
                               "(dial importance ranks any model's features by permutation).",
                               family);
        report_missing(buf, "feature-importance", why);
        free(why);
        return;
    }
    size_t n = dial_model_n_features(model);
    double *importance = cli_alloc(n ? n : 1, sizeof *importance);
    if (dial_model_feature_importance(ctx, model, importance) != DIAL_OK) {
        char *why = cli_format("No feature importance: %s", dial_ctx_error(ctx));
        report_missing(buf, "feature-importance", why);
        free(why);
        free(importance);
        return;
    }
    bar *bars = cli_alloc(n ? n : 1, sizeof *bars);
    for (size_t j = 0; j < n; j++)
        bars[j] = (bar){dial_model_feature_name(model, j), importance[j]};
    report_figure_begin(buf, "feature-importance");
    size_t shown = draw_bars(buf, bars, n, "importance learned while fitting");
    char *more = more_note(shown, n);
    char *caption = cli_format("Feature importance the %s learned while fitting (the impurity "
                               "its splits removed), per feature, a categorical feature's levels "
                               "summed.%s",
                               family, more);
    report_figure_end(buf, caption);
    free(caption);
    free(more);
    free(bars);
    free(importance);
}

/* ---- coefficients ---------------------------------------------------------------- */

/* Names of the design-matrix inputs: a numeric feature's name, or
 * "feature=level"; NULL when the schema does not add up. */
static char **input_names(const dial_model *model, size_t *n_out) {
    size_t n_inputs = dial_model_n_inputs(model), n = 0;
    char **names = cli_alloc(n_inputs ? n_inputs : 1, sizeof *names);
    for (size_t j = 0; j < n_inputs; j++) {
        size_t feature, level;
        if (!dial_model_input_feature(model, j, &feature, &level)) break;
        const char *name = dial_model_feature_name(model, feature);
        names[n++] =
            level == SIZE_MAX
                ? cli_strdup(name)
                : cli_format("%s=%s", name, dial_model_feature_level(model, feature, level));
    }
    *n_out = n;
    return names;
}

/* The tensor the family names as its weights per input (a linear
 * model's), when its shape is a vector over the inputs or a row per class
 * score over them. */
static const dial_tensor *coefficient_tensor(const dial_model *model) {
    const char *name = dial_model_get_family(model)->coefficients;
    const dial_tensors *tensors = dial_model_get_tensors(model);
    for (size_t i = 0; name && i < tensors->count; i++) {
        const dial_tensor *t = &tensors->items[i];
        if (strcmp(t->name, name) != 0 || t->dtype != DIAL_F64) continue;
        if (t->ndim == 1 || t->ndim == 2) return t;
    }
    return NULL;
}

static void coefficients(report_buf *buf, const dial_model *model) {
    const char *family = dial_model_get_family(model)->name;
    const dial_tensor *t = coefficient_tensor(model);
    size_t n_names;
    char **names = input_names(model, &n_names);
    size_t cols = t ? t->shape[t->ndim - 1] : 0, rows = t && t->ndim == 2 ? t->shape[0] : 1;
    if (!t || cols != n_names) {
        char *why = cli_format("No coefficients: a %s model learns no weight per input (they are "
                               "drawn for linear models such as linear and logistic).",
                               family);
        report_missing(buf, "coefficients", why);
        free(why);
        for (size_t j = 0; j < n_names; j++) free(names[j]);
        free(names);
        return;
    }
    const double *values = t->data;
    bar *bars = cli_alloc(rows * cols, sizeof *bars);
    char **labels = cli_alloc(rows * cols, sizeof *labels);
    dial_tensor_axis row_axis =
        t->ndim == 2 ? dial_model_tensor_axis(model, t->name, 0) : DIAL_AXIS_NONE;
    for (size_t r = 0; r < rows; r++)
        for (size_t c = 0; c < cols; c++) {
            size_t class = row_axis == DIAL_AXIS_SECOND_CLASS ? r + 1 : r;
            const char *class_name = rows > 1 || row_axis == DIAL_AXIS_SECOND_CLASS
                                         ? dial_model_class_name(model, class)
                                         : NULL;
            labels[r * cols + c] =
                class_name ? cli_format("%s: %s", class_name, names[c]) : cli_strdup(names[c]);
            bars[r * cols + c] = (bar){labels[r * cols + c], values[r * cols + c]};
        }
    report_figure_begin(buf, "coefficients");
    size_t shown = draw_bars(buf, bars, rows * cols, "coefficient");
    char *more = more_note(shown, rows * cols);
    char *caption = cli_format(
        "Coefficients of the %s model (%s), largest first; blue positive, vermillion negative. "
        "They weigh the inputs as the model sees them, after its preprocessing (scaled when "
        "scale=standard, a categorical feature one input per level).%s",
        family, t->name, more);
    report_figure_end(buf, caption);
    free(caption);
    free(more);
    for (size_t i = 0; i < rows * cols; i++) free(labels[i]);
    free(labels);
    free(bars);
    for (size_t j = 0; j < n_names; j++) free(names[j]);
    free(names);
}

/* ---- the tree -------------------------------------------------------------------- */

typedef struct tree_drawing {
    report_buf *buf;
    const dial_model *model;
    const dial_tree *tree;
    size_t *below; /* per node: the nodes of its subtree */
    double slot;   /* px per box */
    size_t next;   /* the next free slot */
    size_t drawn;  /* boxes drawn */
} tree_drawing;

static void leaf_text(const tree_drawing *d, size_t node, char *text, size_t size) {
    const dial_tree *tree = d->tree;
    const double *value = tree->value + node * tree->n_values;
    if (tree->leaf == DIAL_TREE_LEAF_SCORE) {
        snprintf(text, size, "adds %.4g", value[0]);
    } else if (tree->leaf == DIAL_TREE_LEAF_PREDICTION) {
        snprintf(text, size, "%.4g", value[0]);
    } else {
        size_t best = 0;
        for (size_t c = 1; c < tree->n_values; c++)
            if (value[c] > value[best]) best = c;
        const char *name = dial_model_class_name(d->model, best);
        snprintf(text, size, "%s (%.2f)", name ? name : "?", value[best]);
    }
}

/* Draws the subtree of node at depth and returns its box's centre x. */
static double draw_node(tree_drawing *d, size_t node, size_t depth) {
    const dial_tree *tree = d->tree;
    double y = 20 + 70 * (double)depth, x;
    bool leaf = tree->left[node] < 0;
    bool cut = !leaf && depth >= TREE_DEPTH;
    char text[256];
    if (leaf || cut) {
        x = d->slot * ((double)d->next++ + 0.5);
        if (leaf)
            leaf_text(d, node, text, sizeof text);
        else
            snprintf(text, sizeof text, "... %zu more nodes", d->below[node] - 1);
    } else {
        double left = draw_node(d, (size_t)tree->left[node], depth + 1);
        double right = draw_node(d, (size_t)tree->right[node], depth + 1);
        x = (left + right) / 2;
        report_line(d->buf, x, y + 30, left, y + 70, "#888", 1);
        report_line(d->buf, x, y + 30, right, y + 70, "#888", 1);
        cli_tree_split_text(d->model, tree, node, text, sizeof text);
    }
    const char *fill = leaf ? "#e8f1f8" : cut ? "#f4f4f4" : "#fdf0e0";
    char *title = tree->n_samples ? cli_format("%s (%" PRId64 " rows)", text, tree->n_samples[node])
                                  : cli_strdup(text);
    report_rect(d->buf, x - d->slot / 2 + 4, y, d->slot - 8, 30, fill, title);
    report_text(d->buf, x, y + 19, "middle", 11, text);
    d->drawn++;
    free(title);
    return x;
}

static void draw_tree(report_buf *buf, dial_ctx *ctx, const dial_model *model) {
    const dial_model_family *family = dial_model_get_family(model);
    dial_tree tree;
    size_t n_trees = 0;
    if (!family->trees || dial_model_tree_count(ctx, model, &n_trees) != DIAL_OK || n_trees == 0 ||
        dial_model_tree_get(ctx, model, 0, &tree) != DIAL_OK || tree.n_nodes == 0) {
        char *why = cli_format("No tree: a %s model grows none (trees are drawn for tree, forest "
                               "and gbdt models).",
                               family->name);
        report_missing(buf, "tree", why);
        free(why);
        return;
    }
    tree_drawing d = {.buf = buf, .model = model, .tree = &tree, .slot = 150};
    d.below = cli_alloc(tree.n_nodes, sizeof *d.below);
    size_t slots = 0, deepest = 0;
    size_t *depth = cli_alloc(tree.n_nodes, sizeof *depth);
    /* children come after their parent: one pass back counts subtrees,
     * one pass forward the depths and the boxes of the bottom row */
    for (size_t i = tree.n_nodes; i-- > 0;) {
        d.below[i] = 1;
        if (tree.left[i] > (int64_t)i && (size_t)tree.left[i] < tree.n_nodes)
            d.below[i] += d.below[tree.left[i]];
        if (tree.right[i] > (int64_t)i && (size_t)tree.right[i] < tree.n_nodes)
            d.below[i] += d.below[tree.right[i]];
    }
    for (size_t i = 0; i < tree.n_nodes; i++) {
        bool leaf = tree.left[i] < 0;
        if (depth[i] <= TREE_DEPTH && (leaf || depth[i] == TREE_DEPTH)) slots++;
        if (depth[i] <= TREE_DEPTH && depth[i] > deepest) deepest = depth[i];
        if (!leaf) depth[tree.left[i]] = depth[tree.right[i]] = depth[i] + 1;
    }
    size_t levels = deepest < TREE_DEPTH ? deepest : TREE_DEPTH;
    double width = fmax(WIDTH, d.slot * (double)slots), height = 20 + 70 * (double)levels + 50;
    report_figure_begin(buf, "tree");
    report_printf(buf,
                  "<svg viewBox=\"0 0 %g %g\" width=\"100%%\" role=\"img\" aria-label=\"tree\" "
                  "font-size=\"11\">\n",
                  width, height);
    d.slot = width / (double)(slots ? slots : 1);
    draw_node(&d, 0, 0);
    report_puts(buf, "</svg>\n");
    char *caption = cli_format(
        "%s %zu nodes. Orange boxes split (a row that passes the test goes left), blue boxes are "
        "leaves (%s). Drawn %d levels deep: a grey box counts the nodes below it; 'dial inspect "
        "--tree' prints every rule.",
        tree.ensemble ? "The first tree of the model," : "The tree,", tree.n_nodes,
        tree.leaf == DIAL_TREE_LEAF_SCORE        ? "what each adds to the score"
        : tree.leaf == DIAL_TREE_LEAF_PREDICTION ? "the prediction"
                                                 : "the class and its share of the leaf's rows",
        TREE_DEPTH);
    report_figure_end(buf, caption);
    free(caption);
    free(depth);
    free(d.below);
}

/* ---- the tuning record ------------------------------------------------------------- */

static void tuning_section(report_buf *buf, const dial_model *model) {
    report_puts(buf, "<section id=\"tuning\">\n<h2>The tuning that chose its knobs</h2>\n");
    const char *record = dial_model_get_tuning(model);
    json_t *tuning = record ? json_loads(record, 0, NULL) : NULL;
    if (!json_is_object(tuning)) {
        report_puts(buf, "<p>None: the knobs were set by hand (dial fit), not chosen by dial "
                         "tune.</p>\n</section>\n");
        json_decref(tuning);
        return;
    }
    report_puts(buf, "<div class=\"scroll\"><table>\n");
    const char *key;
    json_t *value;
    json_object_foreach(tuning, key, value) {
        char *text;
        if (json_is_string(value))
            text = cli_strdup(json_string_value(value));
        else if (json_is_real(value))
            text = cli_format("%.4f", json_real_value(value));
        else
            text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(6));
        report_setting(buf, key, text ? text : "");
        free(text);
    }
    report_puts(buf, "</table></div>\n</section>\n");
    json_decref(tuning);
}

int report_model_page(dial_ctx *ctx, const char *path, const char *output) {
    dial_model *model = NULL;
    dial_status status = dial_model_load(ctx, path, &model);
    if (status != DIAL_OK) return cli_fail(ctx, status);
    const dial_model_family *family = dial_model_get_family(model);
    report_buf page = {0};
    char *title = cli_format("Model %s", path);
    char *subtitle = cli_format("a %s model (%s) fitted on %zu rows. Written by dial %s.",
                                family->name, dial_task_name(dial_model_get_task(model)),
                                dial_model_get_facts(model)->n_rows, dial_version());
    report_page_begin(&page, title, subtitle);
    settings_section(&page, path, model);
    knobs_section(&page, model);
    report_puts(&page, "<section id=\"plots\">\n<h2>What it learned</h2>\n<div class=\"plots\">\n");
    feature_importance(&page, ctx, model);
    coefficients(&page, model);
    draw_tree(&page, ctx, model);
    report_puts(&page, "</div>\n</section>\n");
    tuning_section(&page, model);
    report_page_end(&page);
    size_t figures = 0;
    for (const char *p = page.data; (p = strstr(p, "<figure class=\"plot\"")); p++) figures++;
    int exit_status = CLI_EXIT_OK;
    if ((status = report_write(ctx, output, &page)) != DIAL_OK)
        exit_status = cli_fail(ctx, status);
    else if (strcmp(output, "-") != 0) /* the page itself is on stdout */
        printf("wrote %s: model %s (%s) from %s, %zu plot%s\n", output, family->name,
               dial_task_name(dial_model_get_task(model)), path, figures, figures == 1 ? "" : "s");
    free(title);
    free(subtitle);
    report_buf_free(&page);
    dial_model_free(model);
    return exit_status;
}

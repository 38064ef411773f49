/*
 * The registry of model families: the built-in ones (adding a model is one
 * line in the list below) and the check every family's table passes before
 * a context accepts it from a program (dial_model_family_register). A
 * context keeps the families registered on it (core/ctx_families.h), so
 * there is no global list to guard: two contexts may know different ones.
 */
#include <stdio.h>
#include <string.h>

#include "core/ctx_families.h"
#include "dial/model.h"

extern const dial_model_family dial_model_linear;
extern const dial_model_family dial_model_logistic;
extern const dial_model_family dial_model_linsvm;
extern const dial_model_family dial_model_naive_bayes;
extern const dial_model_family dial_model_knn;
extern const dial_model_family dial_model_svm;
extern const dial_model_family dial_model_mlp;
extern const dial_model_family dial_model_tree;
extern const dial_model_family dial_model_forest;
extern const dial_model_family dial_model_gbdt;
extern const dial_model_family dial_model_kmeans;
extern const dial_model_family dial_model_gmm;
extern const dial_model_family dial_model_dbscan;

static const dial_model_family *const registry[] = {
    &dial_model_linear, &dial_model_logistic, &dial_model_linsvm, &dial_model_naive_bayes,
    &dial_model_knn,    &dial_model_svm,      &dial_model_mlp,    &dial_model_tree,
    &dial_model_forest, &dial_model_gbdt,     &dial_model_kmeans, &dial_model_gmm,
    &dial_model_dbscan,
};

/* A family's name is a word of the command line and of the model file. */
#define REGISTRY_NAME_MAX 63

/* The tasks the library knows: a family's tasks are a subset. */
#define REGISTRY_KNOWN_TASKS                                                         \
    (DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION) | DIAL_TASK_BIT(DIAL_TASK_REGRESSION) | \
     DIAL_TASK_BIT(DIAL_TASK_CLUSTERING))

size_t dial_model_family_count(void) { return sizeof registry / sizeof registry[0]; }

const dial_model_family *dial_model_family_at(size_t i) {
    return i < dial_model_family_count() ? registry[i] : NULL;
}

const dial_model_family *dial_model_family_find(const char *name) {
    for (size_t i = 0; i < dial_model_family_count(); i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

const dial_model_family *dial_model_family_find_in(const dial_ctx *ctx, const char *name) {
    const dial_model_family *found = dial_model_family_find(name);
    if (found || !ctx) return found;
    size_t n = 0;
    const dial_model_family *const *registered = dial_ctx_families(ctx, &n);
    for (size_t i = 0; i < n; i++)
        if (strcmp(registered[i]->name, name) == 0) return registered[i];
    return NULL;
}

/* ---- the contract of a table -------------------------------------------------- */

static bool name_is_word(const char *name) {
    size_t length = strlen(name);
    if (length == 0 || length > REGISTRY_NAME_MAX) return false;
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    }
    return true;
}

/* The tasks of a family agree with whether it needs a target. */
static dial_status check_tasks(dial_ctx *ctx, const dial_model_family *family) {
    unsigned tasks = family->tasks;
    if (tasks == 0 || (tasks & ~(unsigned)REGISTRY_KNOWN_TASKS))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "model family '%s' has tasks 0x%x: set them with DIAL_TASK_BIT of "
                         "DIAL_TASK_CLASSIFICATION, DIAL_TASK_REGRESSION or DIAL_TASK_CLUSTERING",
                         family->name, tasks);
    unsigned supervised =
        DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION) | DIAL_TASK_BIT(DIAL_TASK_REGRESSION);
    if (family->unsupervised && (tasks & supervised))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "model family '%s' is unsupervised but does a task that needs a target "
                         "(classification or regression): an unsupervised family does "
                         "clustering only",
                         family->name);
    if (!family->unsupervised && !(tasks & supervised))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "model family '%s' does only clustering, which needs no target: set "
                         ".unsupervised = true",
                         family->name);
    if (family->has_proba && !(tasks & DIAL_TASK_BIT(DIAL_TASK_CLASSIFICATION)))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "model family '%s' says it gives class probabilities (has_proba) but "
                         "does not do classification",
                         family->name);
    if (family->cluster_proba_knob && !family->unsupervised)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "model family '%s' names a knob counting clusters (cluster_proba_knob) "
                         "but is not unsupervised",
                         family->name);
    return DIAL_OK;
}

/* The knob table initialises to its defaults, and the tensors have docs. */
static dial_status check_tables(dial_ctx *ctx, const dial_model_family *family) {
    if ((family->n_knobs && !family->knobs) || (family->n_params && !family->params))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "model family '%s' counts %zu knobs and %zu parameter docs but gives "
                         "no table for them",
                         family->name, family->n_knobs, family->n_params);
    dial_knobs knobs;
    dial_status status = dial_model_knobs_init(ctx, family, &knobs);
    if (status != DIAL_OK) {
        if (status == DIAL_ERR_NOMEM) return status;
        char why[512]; /* the message is rewritten in place: copy it first */
        snprintf(why, sizeof why, "%s", dial_ctx_error(ctx));
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "model family '%s' has a knob table that fails: %s", family->name, why);
    }
    long proba_knob = family->proba_knob ? dial_knobs_find(&knobs, family->proba_knob) : 0;
    bool proba_knob_ok =
        proba_knob >= 0 && (!family->proba_knob || knobs.specs[proba_knob].type == DIAL_KNOB_BOOL);
    dial_knobs_free(&knobs);
    if (!proba_knob_ok)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "model family '%s' names proba_knob '%s', which is no bool knob of its "
                         "table",
                         family->name, family->proba_knob);
    return DIAL_OK;
}

dial_status dial_model_family_check(dial_ctx *ctx, const dial_model_family *family) {
    if (!family || !family->name)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT, "a model family needs a table with a name");
    if (!name_is_word(family->name))
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "model family name '%.80s' must be 1 to %d letters, digits or '_'",
                         family->name, REGISTRY_NAME_MAX);
    if (!family->summary || !family->fit || !family->predict)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "model family '%s' needs a summary, a fit and a predict function",
                         family->name);
    dial_status status = check_tasks(ctx, family);
    return status == DIAL_OK ? check_tables(ctx, family) : status;
}

dial_status dial_model_family_register(dial_ctx *ctx, const dial_model_family *family) {
    dial_status status = dial_model_family_check(ctx, family);
    if (status != DIAL_OK) return status;
    const dial_model_family *known = dial_model_family_find_in(ctx, family->name);
    if (known == family) return DIAL_OK;
    if (known)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "a model family named '%s' is already %s: give yours another name",
                         family->name,
                         dial_model_family_find(family->name) ? "built in" : "registered");
    if (family->tuning)
        return dial_fail(ctx, DIAL_ERR_ARGUMENT,
                         "model family '%s' sets tuning hooks, which are internal to the library "
                         "(src/models/family_tuning.h): leave them NULL, and dial tune fits every "
                         "trial in full",
                         family->name);
    return dial_ctx_family_add(ctx, family);
}

/* ---- the task of a fit ---------------------------------------------------------- */

dial_task dial_model_fit_task(const dial_model_family *family, const dial_dataset *data) {
    /* Clustering is the one task without a target so far; the next one
     * picks its bit out of family->tasks here. */
    if (family && family->unsupervised) return DIAL_TASK_CLUSTERING;
    return data ? data->task : DIAL_TASK_AUTO;
}

size_t dial_model_fit_n_classes(const dial_model_family *family, const dial_dataset *data) {
    return dial_model_fit_task(family, data) == DIAL_TASK_CLASSIFICATION ? data->n_classes : 0;
}

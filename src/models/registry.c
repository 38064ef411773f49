/* The registry of model families: adding a model is one line here. */
#include <string.h>

#include "dial/model.h"

extern const dial_model_family dial_model_linear;
extern const dial_model_family dial_model_logistic;
extern const dial_model_family dial_model_naive_bayes;
extern const dial_model_family dial_model_knn;
extern const dial_model_family dial_model_svm;
extern const dial_model_family dial_model_mlp;
extern const dial_model_family dial_model_tree;
extern const dial_model_family dial_model_forest;
extern const dial_model_family dial_model_gbdt;

static const dial_model_family *const registry[] = {
    &dial_model_linear, &dial_model_logistic, &dial_model_naive_bayes,
    &dial_model_knn,    &dial_model_svm,      &dial_model_mlp,
    &dial_model_tree,   &dial_model_forest,   &dial_model_gbdt,
};

size_t dial_model_family_count(void) { return sizeof registry / sizeof registry[0]; }

const dial_model_family *dial_model_family_at(size_t i) {
    return i < dial_model_family_count() ? registry[i] : NULL;
}

const dial_model_family *dial_model_family_find(const char *name) {
    for (size_t i = 0; i < dial_model_family_count(); i++)
        if (strcmp(registry[i]->name, name) == 0) return registry[i];
    return NULL;
}

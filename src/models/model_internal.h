/*
 * The fitted model's layout, shared by models/model.c (fit, predict, bind)
 * and modelfile/ (save, load). Nothing else looks inside a dial_model.
 */
#ifndef DIAL_MODEL_INTERNAL_H
#define DIAL_MODEL_INTERNAL_H

#include "models/model_inputs.h"
#include "dial/model.h"

struct dial_model {
    const dial_model_family *family;
    dial_knobs knobs; /* owned copy, the knobs of the fit */
    dial_task task;
    size_t n_classes;
    char **class_names; /* n_classes, owned */
    char *target_name;  /* owned */
    size_t n_features;
    dial_feature *features; /* raw feature schema, owned */
    size_t n_inputs;        /* design-matrix columns */
    /* Fitted on sparse data (a LIBSVM file): features are "f1" .. "fN",
     * numeric, and it predicts from a LIBSVM file with any indices. */
    bool sparse;
    dial_tensors tensors; /* preprocess.* and the family's tensors */
    dial_model_facts facts;
    char *tuning_json; /* owned: the tuning record (a JSON object), NULL if not tuned */
    /* owned: what a retrain refitted it from (a JSON object,
     * src/modelfile/modelfile_retrained.h), NULL for a model fitted afresh */
    char *retrained_from_json;
    /* owned: the drift reference (a JSON object, include/dial/drift.h),
     * NULL for a model without one */
    char *drift_reference_json;
};

/* An empty model (calloc'ed); free with dial_model_free, which frees any
 * field that is set. */
dial_model *dial_model_alloc(const dial_ctx *ctx);

#endif

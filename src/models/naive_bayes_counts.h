/*
 * Multinomial and Bernoulli naive Bayes (src/models/naive_bayes_counts.c),
 * the variants of the naive_bayes family for counts and presence, on dense
 * or sparse rows. Internal to the family (src/models/naive_bayes.c).
 */
#ifndef DIAL_NAIVE_BAYES_COUNTS_H
#define DIAL_NAIVE_BAYES_COUNTS_H

#include "dial/model.h"

/* Learns class_prior and feature_log_prob from in (classes checked by the
 * caller) with the knobs alpha, binarize (bernoulli) and priors. Errors:
 * DIAL_ERR_DATA for a negative value with the multinomial variant (the
 * row and feature), NOMEM. */
dial_status dial_naive_bayes_fit_counts(dial_ctx *ctx, const dial_knobs *knobs,
                                        const dial_fit_input *in, bool bernoulli,
                                        dial_tensors *learned);
/* Predicts in's rows from those tensors (checked: DIAL_ERR_FORMAT). */
dial_status dial_naive_bayes_predict_counts(dial_ctx *ctx, const dial_knobs *knobs,
                                            const dial_tensors *learned, const dial_fit_input *in,
                                            bool bernoulli, dial_predict_output *out);

#endif

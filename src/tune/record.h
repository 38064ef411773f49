/*
 * Trial records (internal): building, copying and freeing the
 * dial_trial_record that storages return and the executor reports.
 * The functions that allocate take the call's context first, whose
 * allocation hook sees every allocation (core/alloc.h); they return false
 * (or NULL) when out of memory and leave the message to the caller, who
 * knows what was being recorded.
 */
#ifndef DIAL_TUNE_RECORD_H
#define DIAL_TUNE_RECORD_H

#include "dial/tune.h"

/* Appends a param (name and text copied). Returns false when out of memory,
 * leaving the record unchanged. */
bool dial_record_add_param(const dial_ctx *ctx, dial_trial_record *record, const char *name,
                           dial_param_kind kind, double value, const char *text);
/* Sets the value of a param that exists, or appends it. */
bool dial_record_set_param(const dial_ctx *ctx, dial_trial_record *record, const char *name,
                           dial_param_kind kind, double value, const char *text);
/* Index of the param with that name, or -1. */
long dial_record_find_param(const dial_trial_record *record, const char *name);
/* Records the intermediate value of a step, replacing an earlier one of the
 * same step. Returns false when out of memory. */
bool dial_record_set_intermediate(const dial_ctx *ctx, dial_trial_record *record, int64_t step,
                                  double value);
/* Replaces the record's path (see dial_trial_record.path_steps) with a
 * copy of n steps and values; n 0 empties it. The caller checks the steps.
 * Returns false when out of memory, leaving the record unchanged. */
bool dial_record_set_path(const dial_ctx *ctx, dial_trial_record *record, const int64_t *steps,
                          const double *values, size_t n);
/* Appends one step to the record's path, for readers that get a path row
 * by row in ascending step order. Returns false when out of memory. */
bool dial_record_append_path(const dial_ctx *ctx, dial_trial_record *record, int64_t step,
                             double value);
/* Sets the message (copied; NULL clears it). Returns false when out of memory. */
bool dial_record_set_message(const dial_ctx *ctx, dial_trial_record *record, const char *message);
/* Deep copy of from into *to (which is overwritten). Returns false when out
 * of memory, leaving *to empty. */
bool dial_record_copy(const dial_ctx *ctx, dial_trial_record *to, const dial_trial_record *from);
/* Appends a zeroed record to a list and returns it, or NULL when out of
 * memory. The list grows geometrically. */
dial_trial_record *dial_trial_list_push(const dial_ctx *ctx, dial_trial_list *list);

/* Writes a param value as text: for FLOAT 15 significant digits when they
 * read back to the same double, else 17 (which always do); for INT the
 * integer. */
void dial_format_param_value(dial_param_kind kind, double value, char *buf, size_t size);
/* "float", "int", "choice", and back; false for an unknown name. */
const char *dial_param_kind_name(dial_param_kind kind);
bool dial_param_kind_parse(const char *name, dial_param_kind *out);
/* Parses a state name; false for an unknown one. */
bool dial_trial_state_parse(const char *name, dial_trial_state *out);

/* Wall-clock time in unix seconds (heartbeats are compared across
 * processes, so this is CLOCK_REALTIME). */
double dial_tune_now(void);

#endif

/*
 * The model file's "retrained_from" record (internal to src/modelfile/):
 * what `dial retrain` refitted a model from. One check serves the writer
 * (a record set through dial_model_set_retrained_from) and the reader (a
 * record from a file), so a file dial writes always loads.
 *
 *   {"model_file": "bc.dial",              the old model, as it was named
 *    "model_checksum": "6a9285566cbefdf3",  its CRC-64/XZ: the file exactly
 *    "model_data_fingerprint": "...",       its facts.data_fingerprint
 *    "knobs_source": {...} | null,          its tuning record, or the
 *                                           knobs_source of its own
 *                                           retrained_from; null: set by hand
 *    "data": [{"file", "rows", "fingerprint"}, ...]}   1 to 16 files, in
 *                                           the order their rows were read
 */
#ifndef DIAL_MODELFILE_RETRAINED_H
#define DIAL_MODELFILE_RETRAINED_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* At most this many data files in a record's "data". */
#define DIAL_RETRAINED_MAX_FILES 16

/* Whether record is a well-formed retrained_from record of a model fitted
 * on n_rows rows (its files' rows add up to n_rows). When not, why (size
 * bytes) says what is wrong, naming the field: "field 'data[1].rows' is
 * missing". */
bool dial_modelfile_retrained_check(const json_t *record, size_t n_rows, char *why, size_t size);

#endif

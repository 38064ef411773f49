/*
 * What space.c and space_typed.c share about reading a --space-file
 * (internal to libdial).
 */
#ifndef DIAL_TUNE_SPACE_JSON_H
#define DIAL_TUNE_SPACE_JSON_H

#include <jansson.h>

/* How a message names the JSON type of value: "an object", "a list",
 * "a string", "a number", "a boolean" or "null". */
const char *dial_space_json_type_words(const json_t *value);

#endif

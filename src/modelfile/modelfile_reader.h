/*
 * The parts of the .dial reader (internal): modelfile_read.c checks the
 * frame (prefix, lengths, checksum) and parses the JSON header,
 * modelfile_header.c turns the header's fields into the model's schema and
 * knobs, modelfile_tensors.c checks the tensor index and decodes the data.
 * Every failure is DIAL_ERR_FORMAT (or DIAL_ERR_NOMEM) with a message that
 * starts with the file's name.
 */
#ifndef DIAL_MODELFILE_READER_H
#define DIAL_MODELFILE_READER_H

#include <jansson.h>

#include "models/model_internal.h"

typedef struct dial_modelfile_reader {
    dial_ctx *ctx;
    const char *name; /* the file, as messages name it */
} dial_modelfile_reader;

/* Records "NAME: <formatted text>" as DIAL_ERR_FORMAT and returns it. */
dial_status dial_modelfile_fail(const dial_modelfile_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* After a call below the modelfile layer failed (a knob check, a lookup):
 * prefixes its message with the file's name; status stays DIAL_ERR_NOMEM
 * when memory ran out and becomes DIAL_ERR_FORMAT otherwise, since the
 * file is what is wrong. */
dial_status dial_modelfile_wrap(const dial_modelfile_reader *r, dial_status status);

/* text when it is printable and shorter than size; otherwise a copy in buf
 * cut short with "..." and with control bytes shown as '?', so that a
 * message quoting the file stays one readable line. */
const char *dial_modelfile_printable(const char *text, char *buf, size_t size);

/* The kinds of value a header field may be required to hold. */
typedef enum dial_modelfile_kind {
    DIAL_MODELFILE_OBJECT,
    DIAL_MODELFILE_ARRAY,
    DIAL_MODELFILE_STRING,
    DIAL_MODELFILE_INTEGER,
    DIAL_MODELFILE_NUMBER, /* integer or real */
    DIAL_MODELFILE_BOOL
} dial_modelfile_kind;

/* Member key of object, whose own path in the header is path ("" at the
 * top, "facts", "features[2]"). A missing member is an error unless
 * optional (then *out is NULL); a member of another kind is an error. */
dial_status dial_modelfile_member(const dial_modelfile_reader *r, const json_t *object,
                                  const char *path, const char *key, dial_modelfile_kind kind,
                                  bool optional, json_t **out);
/* A member that is a string; *out points into the JSON. */
dial_status dial_modelfile_string(const dial_modelfile_reader *r, const json_t *object,
                                  const char *path, const char *key, const char **out);
/* A member that is an integer in [0, max]. */
dial_status dial_modelfile_count(const dial_modelfile_reader *r, const json_t *object,
                                 const char *path, const char *key, uint64_t max, uint64_t *out);

/* Fills the model's family, knobs, task, target, classes, features,
 * n_inputs and facts from the header (the tensors are left to the next). */
dial_status dial_modelfile_decode_header(const dial_modelfile_reader *r, const json_t *header,
                                         dial_model *model);
/* Checks the header's tensor index against data_bytes, the length of the
 * tensor data region at data, then adds every tensor to model->tensors. */
dial_status dial_modelfile_decode_tensors(const dial_modelfile_reader *r, const json_t *header,
                                          const unsigned char *data, uint64_t data_bytes,
                                          dial_model *model);

#endif

/*
 * dial/modelfile.h: reading and writing .dial model files.
 *
 * Layout (all integers little-endian):
 *   magic      8 bytes  "\x89DIAL\r\n\x1a\n" (catches newline and 7-bit mangling)
 *   version    u32      format version (DIAL_MODELFILE_VERSION)
 *   flags      u32      0
 *   header_len u64      length of the JSON header
 *   header     JSON     model family, knobs, feature schema with levels,
 *                       task and classes, training facts, tensor index
 *                       (name, dtype, shape, offset from the data start,
 *                       byte length)
 *   padding    zeros to a multiple of 64 bytes
 *   tensors    each at its offset, 64-byte aligned
 *   checksum   u64      FNV-1a... see src/modelfile for the exact function,
 *                       over every byte before it
 *
 * Loading never trusts a count: every size is checked against the file's
 * length and against caps before anything is allocated; a damaged,
 * truncated or hostile file gives DIAL_ERR_FORMAT with a clear message.
 */
#ifndef DIAL_MODELFILE_H
#define DIAL_MODELFILE_H

#include "dial/core.h"
#include "dial/model.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DIAL_MODELFILE_VERSION 1

/* Writes the model to path ("-" for standard output), atomically: to a
 * temporary file renamed over path, so a crash never leaves half a file. */
dial_status dial_model_save(dial_ctx *ctx, const dial_model *model, const char *path);
/* Reads a model file. On success *out owns a new model. */
dial_status dial_model_load(dial_ctx *ctx, const char *path, dial_model **out);

/* The same in memory. save_buffer: *bytes is malloc'ed, free it with free. */
dial_status dial_model_save_buffer(dial_ctx *ctx, const dial_model *model, unsigned char **bytes,
                                   size_t *length);
dial_status dial_model_load_buffer(dial_ctx *ctx, const char *name, const unsigned char *bytes,
                                   size_t length, dial_model **out);

#ifdef __cplusplus
}
#endif
#endif

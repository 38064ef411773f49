/*
 * dial/modelfile.h: reading and writing .dial model files.
 *
 * Layout (all integers little-endian; docs/modelfile.md has every field):
 *   magic      9 bytes  "\x89DIAL\r\n\x1a\n" (catches newline and 7-bit mangling)
 *   version    u32      format version (DIAL_MODELFILE_VERSION)
 *   flags      u32      0
 *   header_len u64      length of the JSON header
 *   header     JSON     model family, knobs, feature schema with levels,
 *                       task and classes, training facts, tensor index
 *                       (name, dtype, shape, offset from the data start,
 *                       byte length)
 *   padding    zeros to a multiple of 64 bytes
 *   tensors    each at its offset, 64-byte aligned
 *   checksum   u64      CRC-64/XZ (src/modelfile/checksum.h) of every byte
 *                       before it
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

/* Writes the model to path ("-" for standard output) through dial_output
 * (dial/core.h): a regular file is replaced atomically (a temporary file
 * "path.tmp-XXXXXX" beside it, flushed to disk and renamed over it, so a
 * crash or a full disk never leaves half a file or destroys the old one); a
 * symbolic link's target is replaced; a device or FIFO is written in place.
 * Errors: DIAL_ERR_IO (the message names the file and the system's reason),
 * DIAL_ERR_DATA (a name that is not UTF-8; a model over the file's size
 * limits), DIAL_ERR_NOMEM. */
DIAL_API dial_status dial_model_save(dial_ctx *ctx, const dial_model *model, const char *path);
/* Writes the model file to an open output (dial/core.h) piece by piece,
 * never holding the whole file in memory (a forest's file is as large as
 * its trees); the same bytes as dial_model_save_buffer. The caller commits
 * the output (where write errors are reported) or aborts it. Errors:
 * DIAL_ERR_DATA (as dial_model_save), DIAL_ERR_NOMEM; nothing is written
 * then. */
DIAL_API dial_status dial_model_save_output(dial_ctx *ctx, const dial_model *model,
                                            dial_output *output);
/* Reads a model file ("-" for standard input; at most 4 GiB). The fixed
 * prefix is read first, so an input that is not a model file is refused
 * after 25 bytes, and no more than 4 GiB + 1 bytes are ever read or held.
 * On success *out owns a new model (free with dial_model_free); on error
 * *out is NULL and the status is DIAL_ERR_IO (cannot open or read) or
 * DIAL_ERR_FORMAT (not a model file, too large, newer, truncated, damaged
 * or inconsistent; the message starts with path). */
DIAL_API dial_status dial_model_load(dial_ctx *ctx, const char *path, dial_model **out);

/* The same in memory. save_buffer: *bytes is malloc'ed, free it with free;
 * the same model always gives the same bytes. load_buffer does every check
 * of dial_model_load and borrows bytes only for the call; name is what
 * messages call the input. */
DIAL_API dial_status dial_model_save_buffer(dial_ctx *ctx, const dial_model *model,
                                            unsigned char **bytes, size_t *length);
DIAL_API dial_status dial_model_load_buffer(dial_ctx *ctx, const char *name,
                                            const unsigned char *bytes, size_t length,
                                            dial_model **out);

#ifdef __cplusplus
}
#endif
#endif

/*
 * Reading a model file from a descriptor (internal to src/modelfile; the
 * tests call it with a small cap, which a real 4 GiB input would need to
 * show).
 */
#ifndef DIAL_MODELFILE_IO_H
#define DIAL_MODELFILE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "dial/core.h"

/* Reads all of fd into a malloc'ed *out of *length bytes (free with free).
 * The 25-byte prefix comes first: an input that does not start with the
 * magic is refused having read only that (DIAL_ERR_FORMAT, the message of
 * dial_model_load_buffer). An input of more than cap bytes is refused
 * (DIAL_ERR_FORMAT) having read and held at most cap + 1 of them: a
 * regular file at once by its size, a stream (pipe, device) when the
 * (cap + 1)-th byte arrives. Read errors are DIAL_ERR_IO; name is what the
 * messages call the input. */
dial_status dial_modelfile_read_capped(dial_ctx *ctx, int fd, const char *name, uint64_t cap,
                                       unsigned char **out, size_t *length);

#endif

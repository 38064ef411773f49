#ifndef DIAL_DATA_LIBSVM_MAPPED_H
#define DIAL_DATA_LIBSVM_MAPPED_H

#include <stddef.h>

#include "dial/data.h"

/* As dial_libsvm_parse, over bytes that are a private, read-only mapping of
 * a file (page-aligned, from mmap): the pages already parsed are dropped
 * from memory as the parse goes (madvise), so that the file's text does not
 * stay resident beside the entries read from it. The bytes stay readable
 * (a dropped page reads back from the file). */
dial_status dial_libsvm_parse_mapping(dial_ctx *ctx, const char *name, const char *bytes,
                                      size_t length, dial_table **out);

#endif

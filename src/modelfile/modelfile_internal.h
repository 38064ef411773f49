/*
 * What the writer and the reader of .dial files share (internal): the fixed
 * prefix, the caps a reader enforces, little-endian byte access that does
 * not depend on the host's byte order, and the header's JSON text.
 */
#ifndef DIAL_MODELFILE_INTERNAL_H
#define DIAL_MODELFILE_INTERNAL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* As PNG's: 0x89 (octal 211), a byte whose high bit a 7-bit transfer
 * clears; the name; \r\n and a lone \n, which newline conversions change;
 * ^Z (octal 032), which stops a DOS `type`. Octal escapes, because a hex
 * escape would swallow the 'D'. */
#define DIAL_MODELFILE_MAGIC "\211DIAL\r\n\032\n"
#define DIAL_MODELFILE_MAGIC_SIZE 9
/* magic, u32 version, u32 flags, u64 header length; the integers are read
 * byte by byte, so that they are not 4- or 8-aligned does not matter. */
#define DIAL_MODELFILE_PREFIX_SIZE 25
#define DIAL_MODELFILE_VERSION_OFFSET 9
#define DIAL_MODELFILE_FLAGS_OFFSET 13
#define DIAL_MODELFILE_HEADER_LENGTH_OFFSET 17
#define DIAL_MODELFILE_CHECKSUM_SIZE 8
#define DIAL_MODELFILE_ALIGN 64

/* Caps a reader checks before it allocates anything. The header holds the
 * feature schema, so a few thousand levels fit many times over. */
#define DIAL_MODELFILE_MAX_HEADER ((uint64_t)16 << 20)
#define DIAL_MODELFILE_MAX_TENSORS 65536
/* dial_model_load refuses larger files: a kNN model of a 60000 x 784 image
 * set is 376 MB, well under it. */
#define DIAL_MODELFILE_MAX_FILE ((uint64_t)4 << 30)

/* Values of the header's "format" and "model_version" fields. */
#define DIAL_MODELFILE_FORMAT_NAME "dial-model"
#define DIAL_MODELFILE_MODEL_VERSION 1

/* The header's text: root laid out as json_dumps(JSON_INDENT(2)) does, but
 * each real spelled with the fewest of 15, 16 or 17 significant digits that
 * read back as the same double (1e-9, not 1.0000000000000001e-9). Returns
 * a malloc'ed string (free it with free), or NULL when out of memory. */
char *dial_modelfile_json_dumps(const dial_ctx *ctx, const json_t *root);
/* A finite double as that text, as jansson spells reals ("0.5", "1e-9",
 * "2.0"), into buf (40 bytes hold any). */
void dial_modelfile_format_real(double value, char *buf, size_t size);

static inline uint64_t dial_modelfile_align(uint64_t n) {
    return (n + (DIAL_MODELFILE_ALIGN - 1)) & ~(uint64_t)(DIAL_MODELFILE_ALIGN - 1);
}

static inline void dial_modelfile_put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline void dial_modelfile_put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static inline uint32_t dial_modelfile_get_u32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}

static inline uint64_t dial_modelfile_get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

#endif

/*
 * The checksum that ends a .dial file (internal): CRC-64/XZ, the CRC of xz
 * and of ECMA-182 reflected (polynomial 0x42F0E1EBA9EA3693, reflected
 * 0xC96C5795D7870F42, initial value and final xor all ones). Its check value,
 * the CRC of the nine bytes "123456789", is 0x995DC9BBDF1939FA. A CRC finds
 * every burst of up to 64 flipped bits and every odd number of flipped bits,
 * which is the damage a disk or a transfer does; it is no defence against a
 * forger, which is why the reader checks every field after it as well.
 */
#ifndef DIAL_MODELFILE_CHECKSUM_H
#define DIAL_MODELFILE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* The CRC-64/XZ of length bytes. */
uint64_t dial_modelfile_checksum(const unsigned char *bytes, size_t length);

/* The same over bytes that come piece by piece (a file written as it is
 * made): start, add each piece in order, end. Any cut gives the CRC of
 * the whole. 16 KiB of tables: keep it off small stacks. */
typedef struct dial_checksum {
    uint64_t table[8][256];
    uint64_t crc;
} dial_checksum;

void dial_checksum_start(dial_checksum *checksum);
void dial_checksum_add(dial_checksum *checksum, const unsigned char *bytes, size_t length);
uint64_t dial_checksum_end(const dial_checksum *checksum);

#endif

/* CRC-64/XZ, eight bytes per step ("slicing by 8"). */
#include "modelfile/checksum.h"

#define CRC64_XZ_REFLECTED_POLY 0xC96C5795D7870F42u

/* table[0][b] is the CRC of byte b; table[k][b] advances it over k more zero
 * bytes, so eight lookups consume eight input bytes at once. 16 KiB, built
 * on the stack in a few microseconds, which keeps the library free of
 * globals and of a page of generated constants. */
typedef struct crc64_tables {
    uint64_t table[8][256];
} crc64_tables;

static void crc64_tables_build(crc64_tables *t) {
    for (unsigned b = 0; b < 256; b++) {
        uint64_t crc = b;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 1) ? (crc >> 1) ^ CRC64_XZ_REFLECTED_POLY : crc >> 1;
        t->table[0][b] = crc;
    }
    for (unsigned b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++) {
            uint64_t previous = t->table[k - 1][b];
            t->table[k][b] = (previous >> 8) ^ t->table[0][previous & 0xff];
        }
}

uint64_t dial_modelfile_checksum(const unsigned char *bytes, size_t length) {
    crc64_tables t;
    crc64_tables_build(&t);
    uint64_t crc = ~(uint64_t)0;
    while (length >= 8) {
        /* The bytes are combined little-endian whatever the host's order. */
        uint64_t word = 0;
        for (int i = 0; i < 8; i++) word |= (uint64_t)bytes[i] << (8 * i);
        crc ^= word;
        crc = t.table[7][crc & 0xff] ^ t.table[6][(crc >> 8) & 0xff] ^
              t.table[5][(crc >> 16) & 0xff] ^ t.table[4][(crc >> 24) & 0xff] ^
              t.table[3][(crc >> 32) & 0xff] ^ t.table[2][(crc >> 40) & 0xff] ^
              t.table[1][(crc >> 48) & 0xff] ^ t.table[0][crc >> 56];
        bytes += 8;
        length -= 8;
    }
    while (length--) crc = (crc >> 8) ^ t.table[0][(crc ^ *bytes++) & 0xff];
    return ~crc;
}

/* CRC-64/XZ, eight bytes per step ("slicing by 8"). */
#include "modelfile/checksum.h"

#define CRC64_XZ_REFLECTED_POLY 0xC96C5795D7870F42u

/* table[0][b] is the CRC of byte b; table[k][b] advances it over k more zero
 * bytes, so eight lookups consume eight input bytes at once. 16 KiB, built
 * in a few microseconds by whoever computes a CRC, which keeps the library
 * free of globals and of a page of generated constants. */
void dial_checksum_start(dial_checksum *c) {
    for (unsigned b = 0; b < 256; b++) {
        uint64_t crc = b;
        for (int bit = 0; bit < 8; bit++)
            crc = (crc & 1) ? (crc >> 1) ^ CRC64_XZ_REFLECTED_POLY : crc >> 1;
        c->table[0][b] = crc;
    }
    for (unsigned b = 0; b < 256; b++)
        for (int k = 1; k < 8; k++) {
            uint64_t previous = c->table[k - 1][b];
            c->table[k][b] = (previous >> 8) ^ c->table[0][previous & 0xff];
        }
    c->crc = ~(uint64_t)0;
}

/* Eight bytes a step, the rest one by one: a CRC is the same whichever
 * way its bytes are consumed, so pieces may end anywhere. */
void dial_checksum_add(dial_checksum *c, const unsigned char *bytes, size_t length) {
    uint64_t crc = c->crc;
    while (length >= 8) {
        /* The bytes are combined little-endian whatever the host's order. */
        uint64_t word = 0;
        for (int i = 0; i < 8; i++) word |= (uint64_t)bytes[i] << (8 * i);
        crc ^= word;
        crc = c->table[7][crc & 0xff] ^ c->table[6][(crc >> 8) & 0xff] ^
              c->table[5][(crc >> 16) & 0xff] ^ c->table[4][(crc >> 24) & 0xff] ^
              c->table[3][(crc >> 32) & 0xff] ^ c->table[2][(crc >> 40) & 0xff] ^
              c->table[1][(crc >> 48) & 0xff] ^ c->table[0][crc >> 56];
        bytes += 8;
        length -= 8;
    }
    while (length--) crc = (crc >> 8) ^ c->table[0][(crc ^ *bytes++) & 0xff];
    c->crc = crc;
}

uint64_t dial_checksum_end(const dial_checksum *c) { return ~c->crc; }

uint64_t dial_modelfile_checksum(const unsigned char *bytes, size_t length) {
    dial_checksum c;
    dial_checksum_start(&c);
    dial_checksum_add(&c, bytes, length);
    return dial_checksum_end(&c);
}

/* crc32.c - CRC-32 by slicing: eight tables of 256 entries, so that one
 * step takes eight bytes with eight look-ups instead of eight steps of one.
 * Table 0 is the classic byte table; table k gives what a byte does to
 * the CRC when k zero bytes follow it. The eight bytes are read one at a
 * time and put together, so any alignment and either byte order will do. */
#include "crc32.h"

static unsigned crc_tables[8][256];

void crc32_init(void)
{
    for (unsigned i = 0; i < 256; i++) {
        unsigned c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_tables[0][i] = c;
    }
    for (unsigned i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++) {
            unsigned c = crc_tables[t - 1][i];
            crc_tables[t][i] = crc_tables[0][c & 0xff] ^ (c >> 8);
        }
}

/* One byte the classic way: the head and the tail of a run. */
static unsigned crc_byte(unsigned crc, unsigned char b)
{
    return crc_tables[0][(crc ^ b) & 0xff] ^ (crc >> 8);
}

unsigned crc32_add(unsigned crc, const void *data, size_t len)
{
    const unsigned char *p = (const unsigned char *)data;
    crc = ~crc;
    for (; len >= 8; p += 8, len -= 8) {
        /* the first four bytes meet the CRC; the last four go in as they are */
        unsigned lo = crc ^ ((unsigned)p[0] | (unsigned)p[1] << 8 | (unsigned)p[2] << 16 | (unsigned)p[3] << 24);
        unsigned hi = (unsigned)p[4] | (unsigned)p[5] << 8 | (unsigned)p[6] << 16 | (unsigned)p[7] << 24;
        crc = crc_tables[7][lo & 0xff] ^ crc_tables[6][(lo >> 8) & 0xff] ^ crc_tables[5][(lo >> 16) & 0xff] ^
              crc_tables[4][lo >> 24] ^ crc_tables[3][hi & 0xff] ^ crc_tables[2][(hi >> 8) & 0xff] ^
              crc_tables[1][(hi >> 16) & 0xff] ^ crc_tables[0][hi >> 24];
    }
    while (len--) crc = crc_byte(crc, *p++);
    return ~crc;
}

/* crc_zlib.c - the demo's CRC-32 (demos/crc32.c) against zlib's crc32():
 * every start alignment 0..7 and every length 0..100, a few large runs,
 * and a run split into pieces at every offset (as a body's pieces come).
 * A program of its own, so that only it links zlib. Exit 0 when all agree. */
#include "../../demos/crc32.h"
#include <stdio.h>
#include <string.h>
#include <zlib.h>

static unsigned char data[(1 << 20) + 64];
static int failures;

static void agree(const unsigned char *p, size_t len, const char *what)
{
    unsigned ours = crc32_add(0, p, len);
    unsigned theirs = (unsigned)crc32(0L, p, (uInt)len);
    if (ours == theirs) return;
    if (failures++ < 10)
        fprintf(stderr, "crc_zlib: %s: alignment %u, %zu bytes: ours %08x, zlib %08x\n", what,
                (unsigned)((size_t)p & 7), len, ours, theirs);
}

int main(void)
{
    crc32_init();
    unsigned x = 12345;
    for (size_t i = 0; i < sizeof(data); i++) {   /* any bytes, the same each run */
        x = x * 1103515245u + 12345u;
        data[i] = (unsigned char)(x >> 16);
    }
    int cases = 0;
    const unsigned char *base = data + (8 - ((size_t)data & 7)) % 8;   /* aligned to 8 */
    for (unsigned a = 0; a < 8; a++) {
        for (size_t len = 0; len <= 100; len++, cases++) agree(base + a, len, "short");
        const size_t large[] = { 4093, 65536, 65539, (1 << 20) };
        for (size_t k = 0; k < sizeof(large) / sizeof(large[0]); k++, cases++) agree(base + a, large[k], "large");
    }
    /* In two pieces split anywhere: the CRC carries over. */
    unsigned whole = (unsigned)crc32(0L, base + 3, 200);
    for (size_t cut = 0; cut <= 200; cut++, cases++) {
        unsigned ours = crc32_add(crc32_add(0, base + 3, cut), base + 3 + cut, 200 - cut);
        if (ours != whole && failures++ < 10)
            fprintf(stderr, "crc_zlib: split at %zu of 200: ours %08x, zlib %08x\n", cut, ours, whole);
    }
    /* zlib's own check value */
    if (crc32_add(0, "123456789", 9) != 0xcbf43926u && failures++ < 10) fprintf(stderr, "crc_zlib: \"123456789\" is not cbf43926\n");
    cases++;
    printf("%d passed, %d failed\n", cases - failures, failures);
    return failures != 0;
}

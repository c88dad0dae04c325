/* crc32.h - the demo's CRC-32, as zlib's crc32() computes it (reflected,
 * polynomial 0xEDB88320): POST /upload answers it. Table-driven, eight
 * bytes a step (slicing by 8). */
#ifndef NM_DEMO_CRC32_H
#define NM_DEMO_CRC32_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Build the tables: once, before the first crc32_add. */
void crc32_init(void);
/* The CRC of the bytes so far (0 for none) carried over len more bytes at
 * data, which may have any alignment. */
unsigned crc32_add(unsigned crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif

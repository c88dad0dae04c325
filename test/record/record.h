/* record.h - a test-only transport's wire format: the session's bytes in
 * length-prefixed records, as a TLS library would carry them, so that the
 * loop drivers are seen to honour a transport that holds plaintext of its
 * own and has bytes of its own to write.
 *
 *   record: type (1 byte), payload length (2 bytes, big-endian, at most
 *   REC_MAX), payload. The server sends REC_HELLO first, before it reads
 *   anything; REC_DATA carries the bytes; REC_CLOSE ends a direction
 *   cleanly (a close without it is abrupt).
 *
 * transport.cpp is the server's side (nmserve_record), proxy.cpp the
 * client's (record_proxy, between the conformance suite and the server). */
#ifndef NM_TEST_RECORD_H
#define NM_TEST_RECORD_H

#include <stddef.h>
#include <string.h>

enum { REC_MAX = 512, REC_HEAD = 3 };
enum { REC_HELLO = 'H', REC_DATA = 'D', REC_CLOSE = 'C' };
#define REC_HELLO_TEXT "netmodels-record/1"

/* Write a record's head for `len` payload bytes at h. */
static inline void rec_head(unsigned char *h, int type, size_t len)
{
    h[0] = (unsigned char)type;
    h[1] = (unsigned char)(len >> 8);
    h[2] = (unsigned char)len;
}

/* The record at p (n bytes there): its whole size (head and payload) and
 * *type; 0 when not all there yet; -1 when it is no record. */
static inline long rec_whole(const unsigned char *p, size_t n, int *type)
{
    if (n < REC_HEAD) return 0;
    size_t len = (size_t)p[1] << 8 | p[2];
    if ((p[0] != REC_HELLO && p[0] != REC_DATA && p[0] != REC_CLOSE) || len > REC_MAX) return -1;
    *type = p[0];
    return n < REC_HEAD + len ? 0 : (long)(REC_HEAD + len);
}

/* Records for the n bytes at src, into dst (room bytes): how many bytes
 * of src went, *used what of dst they took. */
static inline size_t rec_pack(unsigned char *dst, size_t room, const unsigned char *src, size_t n, size_t *used)
{
    size_t taken = 0, at = 0;
    while (taken < n && room - at > REC_HEAD) {
        size_t k = n - taken;
        if (k > REC_MAX) k = REC_MAX;
        if (k > room - at - REC_HEAD) k = room - at - REC_HEAD;
        rec_head(dst + at, REC_DATA, k);
        memcpy(dst + at + REC_HEAD, src + taken, k);
        at += REC_HEAD + k;
        taken += k;
    }
    *used = at;
    return taken;
}

#endif

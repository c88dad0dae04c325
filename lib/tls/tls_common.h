/* tls_common.h - what the engines of libnetmodels_tls.a share (common.cpp):
 * a server's TLS (its slot, its engine, its counters), the slot pools,
 * the counting of a connection's end, the errors' one line, and a look at
 * PEM text. Not installed. */
#ifndef NM_TLS_COMMON_H
#define NM_TLS_COMMON_H

#include "nm_tls.h"

/* A server's TLS: one of NM_TLS_SERVERS; an engine keeps its own state for
 * it at the same index (tls_index). */
struct nm_tls {
    int in_use;
    const nm_transport_ops *ops;
    nm_tls_stats stats;
    int client;   /* client certificates asked (nm_tls_client_ca): 1 | its flags << 1, or 0 */
};

/* A connection's verified client certificate: its subject's CN and O
 * ("" when none), in the engine's connection slot. */
struct tls_peer {
    int verified;
    char cn[NM_TLS_PEER_NAME], org[NM_TLS_PEER_NAME];
};

/* The clock for a client certificate's validity: TLS_CLOCK_SET (its
 * seconds since 1970 in *now), TLS_CLOCK_UNSET (before
 * NM_TLS_TIME_FLOOR: refuse), TLS_CLOCK_ANY (before it, and t takes any
 * clock: dates not judged). */
enum { TLS_CLOCK_SET, TLS_CLOCK_UNSET, TLS_CLOCK_ANY };
int tls_clock(const nm_tls *t, long long *now);
int tls_client_flag(const nm_tls *t, int flag);

/* A free server slot for ops' engine, its counters zero; NULL with err
 * said when none is left. */
nm_tls *tls_server_claim(const nm_transport_ops *ops, char *err, size_t el);
void tls_server_free(nm_tls *t);
int tls_index(const nm_tls *t);

/* A pool of `count` slots of `size` bytes from base, each beginning with
 * its int in_use: a free one, taken; or NULL, counted as t's refusal. */
void *tls_slot_claim(void *base, size_t size, int count, nm_tls *t);
void tls_slot_free(int *in_use);
/* st one of those slots? (an engine's state, not another's) */
int tls_slot_of(const void *st, const void *base, size_t size, int count);

void tls_count(unsigned long *n);
/* How a connection ended, counted in t's stats: cut (release's why), a
 * fatal alert of the peer's, a protocol error, or closed during its
 * handshake (not done) without either. */
enum { TLS_END_CLEAN, TLS_END_ALERT, TLS_END_BAD, TLS_END_UNTRUSTED, TLS_END_EXPIRED, TLS_END_MISSING, TLS_END_CLOCK };
void tls_count_end(nm_tls *t, int why, int kind, int done);

/* Each engine's nm_tls_replace and nm_tls_sni (bearssl.cpp, wolfssl.cpp):
 * weak, so that an archive without one links; common.cpp's calls ask the
 * engine's. An engine's sni says NULL for another engine's state. */
int tls_bearssl_replace(nm_tls *t, const void *chain, size_t chain_len, const void *key, size_t key_len, char *err,
                        size_t err_len) __attribute__((weak));
const char *tls_bearssl_sni(const void *st) __attribute__((weak));
/* Each engine's nm_tls_client_ca, and a connection's client certificate
 * (NULL: not a connection of that engine's); C names, the same on every
 * target (the symbol audit's lists name the other engine's). */
extern "C" {
int tls_bearssl_client_ca(nm_tls *t, const void *ca, size_t ca_len, char *err, size_t err_len) __attribute__((weak));
int tls_wolfssl_client_ca(nm_tls *t, const void *ca, size_t ca_len, char *err, size_t err_len) __attribute__((weak));
const tls_peer *tls_bearssl_peer(const void *st) __attribute__((weak));
const tls_peer *tls_wolfssl_peer(const void *st) __attribute__((weak));
}
/* Copy at most NM_TLS_PEER_NAME - 1 bytes of s (n of them) into to, NUL
 * ended, cut short on a UTF-8 character's first byte. */
void tls_peer_name(char *to, const char *s, size_t n);
int tls_wolfssl_replace(nm_tls *t, const void *chain, size_t chain_len, const void *key, size_t key_len, char *err,
                        size_t err_len) __attribute__((weak));
const char *tls_wolfssl_sni(const void *st) __attribute__((weak));

/* One line into err; returns -1. */
int tls_say(char *err, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The certificates of p: not PEM, or PEM with a CERTIFICATE: 0; else -1
 * with what: "not a certificate (a PRIVATE KEY)", "no CERTIFICATE in the
 * PEM" after `what: ` in err. */
int tls_certs_check(const void *p, size_t n, const char *what, char *err, size_t el);
/* PEM text (a "-----BEGIN " line in it)? */
int tls_is_pem(const void *p, size_t n);
/* PEM text with an object named `label` ("CERTIFICATE"), or whose name
 * ends with it ("PRIVATE KEY": EC, RSA, PKCS#8)? */
int tls_pem_has(const void *p, size_t n, const char *label);

#endif

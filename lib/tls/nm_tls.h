/* nm_tls.h - TLS for netmodels' servers (libnetmodels_tls.a, built with
 * `make TLS=bearssl`, `TLS=wolfssl` or `TLS=bearssl,wolfssl`): an engine
 * behind the transport API of netmodels.h (nm_transport_ops), its
 * certificate and key from memory, its counters. No allocation from the
 * heap: a server's TLS is one of NM_TLS_SERVERS, a connection's one of
 * NM_TLS_CONNS, both static; what wolfSSL allocates comes from a static
 * arena of NM_TLS_ARENA_BYTES. */
#ifndef NM_TLS_H
#define NM_TLS_H

#include <stddef.h>
#include "netmodels.h"   /* (installed beside it: -I of lib/ or include/netmodels/) */

#ifdef __cplusplus
extern "C" {
#endif

/* TLS connections at once, per process: past it a connection is refused
 * (closed before its handshake) and counted. BearSSL keeps a connection's
 * two record buffers, 33 KB, in its slot even while it is idle. */
#ifndef NM_TLS_CONNS
#define NM_TLS_CONNS 32
#endif
/* Certificates and keys loaded at once (one a server), and what one may hold. */
#ifndef NM_TLS_SERVERS
#define NM_TLS_SERVERS NM_MAX_SERVERS
#endif
#ifndef NM_TLS_CHAIN_BYTES
#define NM_TLS_CHAIN_BYTES 8192   /* the certificate chain, DER */
#endif
#ifndef NM_TLS_CHAIN_CERTS
#define NM_TLS_CHAIN_CERTS 4
#endif
/* TLS 1.2 sessions kept for resumption, shared by a process model's
 * workers (about 100 bytes each, in one mapping); 0: no resumption. */
#ifndef NM_TLS_SESSIONS
#define NM_TLS_SESSIONS 64
#endif
/* wolfSSL: each of a connection's four buffers (the socket's bytes in and
 * out, the plaintext in and out), in its slot. */
#ifndef NM_TLS_WOLFSSL_BUF
#define NM_TLS_WOLFSSL_BUF 8192
#endif
/* wolfSSL: the arena all its allocations come from (nm_tls_wolfssl_init),
 * bytes: a certificate and key's context, what each connection holds,
 * and what a handshake takes while it runs. wolfSSL as Debian builds it
 * (FP_ECC, 4096-bit numbers) takes 2.2 MB for an ECDSA signature's point
 * tables, given back when the call ends: NM_TLS_SIGNERS is how many
 * threads may be in a handshake at once (a build of wolfSSL without
 * FP_ECC needs a small part of it). Full: the handshake fails and the
 * refusal is counted (nm_tls_arena_get_stats). */
#ifndef NM_TLS_SIGNERS
#define NM_TLS_SIGNERS 2
#endif
#ifndef NM_TLS_ARENA_BYTES
#define NM_TLS_ARENA_BYTES (128 * 1024 + (NM_TLS_CONNS) * 96 * 1024 + (NM_TLS_SIGNERS) * 2304 * 1024)
#endif
#define NM_TLS_ERROR_TEXT 160      /* room enough for any error nm_tls_* writes */
/* Client certificates (nm_tls_client_ca): the trust anchors a server
 * takes (their DER in NM_TLS_CHAIN_BYTES; 0: no client certificates, and
 * a BearSSL connection's slot is 4.8 KB smaller, without the X.509 engine
 * that verifies them), and the room a connection keeps for its client's
 * CN and O, each (64 characters of ASCII, the bound X.520 sets, and the
 * terminating NUL). */
#ifndef NM_TLS_CLIENT_CAS
#define NM_TLS_CLIENT_CAS 4
#endif
#ifndef NM_TLS_PEER_NAME
#define NM_TLS_PEER_NAME 65
#endif
/* A clock before this (seconds since 1970; default 2026-01-01 00:00 UTC,
 * fixed so that a build does not depend on its day) has not been set (a
 * board without a battery-backed clock, before NTP): a client
 * certificate's validity cannot be judged against it, and it is refused,
 * unless nm_tls_client_ca was given NM_TLS_CLIENT_ANY_CLOCK. */
#ifndef NM_TLS_TIME_FLOOR
#define NM_TLS_TIME_FLOOR 1767225600LL
#endif

typedef struct nm_tls nm_tls;

/* What a server's TLS counts (nm_tls_get_stats): handshakes finished, and
 * connections that failed, by kind; a process model's workers count
 * together (the counters are in memory shared across its fork). */
typedef struct nm_tls_stats {
    unsigned long handshakes;
    unsigned long refused;    /* no connection slot left (NM_TLS_CONNS) */
    unsigned long cut;        /* a handshake that passed tls_handshake_ms */
    unsigned long alerts;     /* the client sent a fatal alert */
    unsigned long bad;        /* a protocol error: not TLS, a bad record, no common suite ... */
    unsigned long aborted;    /* closed during its handshake without an error */
    unsigned long resumed;    /* handshakes (of those counted above) that resumed a session: BearSSL's
                                 cached TLS 1.2 one, wolfSSL's ticket (TLS 1.3 or 1.2) */
    /* client certificates (nm_tls_client_ca): */
    unsigned long peers;          /* handshakes with a client certificate verified */
    unsigned long peer_untrusted; /* refused: not signed by the trust anchors (or not a valid chain) */
    unsigned long peer_expired;   /* refused: outside its validity (notBefore, notAfter) */
    unsigned long peer_missing;   /* refused: none given, and one is required */
    unsigned long clock_unset;    /* refused: the clock is before NM_TLS_TIME_FLOOR */
} nm_tls_stats;

/* BearSSL: TLS 1.2, ECDHE with AES-GCM or ChaCha20-Poly1305 (ChaCha20
 * first on a CPU without AES instructions), an ECDSA P-256 or RSA (2048
 * bits at least) key. `chain`: the server's certificate then its
 * intermediates, PEM (one or more CERTIFICATE blocks) or one DER
 * certificate; `key`: PEM (EC, RSA or PKCS#8 PRIVATE KEY) or DER. Both are
 * copied. Returns the server's TLS, or NULL with one line in err saying
 * what was wrong: not a certificate, not a key, an unsupported curve, the
 * key and the certificate do not match, no room left. */
nm_tls *nm_tls_bearssl(const void *chain, size_t chain_len, const void *key, size_t key_len,
                       char *err, size_t err_len);

/* wolfSSL: once, before nm_tls_wolfssl and before any thread uses wolfSSL.
 * It installs the arena as wolfSSL's allocator (wolfSSL_SetAllocators),
 * which is process-wide: every wolfSSL call of the process then allocates
 * from it, the program's own included; CLOCK_REALTIME as the clock it
 * judges certificates' dates by (wc_SetTimeCb), process-wide too; and the
 * key that seals the session tickets (getrandom): a process model's
 * workers, forked after it, resume each other's. 0, or -1 with err said. */
int nm_tls_wolfssl_init(char *err, size_t err_len);
/* wolfSSL: TLS 1.3 and 1.2, ECDHE with AES-GCM or ChaCha20-Poly1305, an
 * ECDSA P-256 or RSA (2048 bits at least) key; chain and key as for
 * nm_tls_bearssl, the same errors; also NULL when nm_tls_wolfssl_init was
 * not called or the arena is full. */
nm_tls *nm_tls_wolfssl(const void *chain, size_t chain_len, const void *key, size_t key_len,
                       char *err, size_t err_len);

/* The arena (wolfSSL's allocations): its size, the bytes of its blocks in
 * use now and at most so far, the allocations it refused (full, or a size
 * past its largest block), and those it gave. */
typedef struct nm_tls_arena_stats {
    size_t size, in_use, peak;
    unsigned long refusals, allocs;
} nm_tls_arena_stats;
void nm_tls_arena_get_stats(nm_tls_arena_stats *out);
/* The peak from now on starts at what is in use now (to measure a phase). */
void nm_tls_arena_reset_peak(void);

/* Serve cfg's connections over t (nm_config_transport with t's engine). */
void nm_tls_use(nm_config *cfg, nm_tls *t);
/* Replace t's certificate and key while it serves (chain and key as
 * nm_tls_bearssl takes them, either engine): handshakes that begin after
 * it use the new pair; connections begun before keep theirs, whose memory
 * stays until the last of them ends. BearSSL's new pair takes one more of
 * NM_TLS_SERVERS (the one it replaces, unless t's own, goes back once
 * unused); wolfSSL's is a context in the arena. Sessions made with the
 * old pair no longer resume. This process's only: a process model's
 * workers keep the pair they were forked with. 0, or -1 with one line in
 * err, t unchanged. */
int nm_tls_replace(nm_tls *t, const void *chain, size_t chain_len, const void *key, size_t key_len,
                   char *err, size_t err_len);
/* The server name the client asked for (SNI) on the connection req came
 * on, or NULL: none asked, or not a connection of this engine. */
const char *nm_tls_sni(const nm_request *req);
/* Ask each client for a certificate, verified against the trust anchors
 * in `ca` (PEM, one or more CERTIFICATE blocks, or one DER certificate;
 * copied; at most NM_TLS_CLIENT_CAS): the handshakes that begin after it,
 * so call it before nm_run. A certificate given that does not verify
 * fails the handshake, counted: not signed by an anchor (peer_untrusted),
 * outside its validity (peer_expired). A client that gives none is served
 * (nm_tls_peer says 0) unless flags has NM_TLS_CLIENT_REQUIRED (refused,
 * peer_missing). Validity is judged against CLOCK_REALTIME; while that
 * reads before NM_TLS_TIME_FLOOR every certificate is refused
 * (clock_unset), or, with NM_TLS_CLIENT_ANY_CLOCK, accepted without its
 * dates judged (the signatures still are). The anchors' own dates are not
 * judged. 0, or -1 with one line in err (not a certificate, too many). */
#define NM_TLS_CLIENT_REQUIRED 1
#define NM_TLS_CLIENT_ANY_CLOCK 2
int nm_tls_client_ca(nm_tls *t, const void *ca, size_t ca_len, int flags, char *err, size_t err_len);
/* The verified client certificate on the connection req came on: 1, its
 * subject's CN and O into *cn and *org (each NULL when the subject has
 * none; copied at the handshake into NM_TLS_PEER_NAME bytes each, a longer
 * one cut short on a UTF-8 character's start; one past 255 bytes BearSSL
 * gives not at all); 0 when the client gave none, or not a connection of
 * this library's engines. */
int nm_tls_peer(const nm_request *req, const char **cn, const char **org);
/* The engine's name ("bearssl", "wolfssl"), and t's counters so far (this process's). */
const char *nm_tls_engine(const nm_tls *t);
void nm_tls_get_stats(const nm_tls *t, nm_tls_stats *out);

#ifdef __cplusplus
}
#endif
#endif

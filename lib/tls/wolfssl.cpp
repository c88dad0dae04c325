/* wolfssl.cpp - the wolfSSL engine behind the transport API (nm_tls.h).
 * wolfSSL does its record I/O through our callbacks, over four buffers of
 * the connection's slot (the socket's bytes in and out, the plaintext in
 * and out); what it allocates comes from the static arena (arena.cpp),
 * installed by nm_tls_wolfssl_init. */
#include "arena.h"
#include "tls_common.h"
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/error-ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <sys/random.h>

namespace {

int ready;   /* nm_tls_wolfssl_init done */

/* A certificate and key: their context, and a name, random, made as they
 * are loaded: the tickets a pair issues carry it, and resume only with
 * that pair. */
struct pair_name {
    unsigned char b[WOLFSSL_TICKET_NAME_SZ];
};
struct pair {
    WOLFSSL_CTX *ctx;
    pair_name name;
};
pair pairs[NM_TLS_SERVERS];   /* the one a server's new handshakes use, at its nm_tls's index (ctx_lock) */

enum { BUF = NM_TLS_WOLFSSL_BUF };

struct tls_conn {
    int in_use;
    int done;      /* its handshake finished (counted) */
    int closing;   /* close asked: close_notify owed */
    int ended;     /* the peer's close_notify read */
    int failed;    /* TLS_END_ALERT or TLS_END_BAD, or 0 */
    nm_tls *t;
    WOLFSSL *ssl;
    pair_name pair;            /* the name of the pair it was opened with */
    size_t in_at, in_len;      /* net_in's bytes not yet read by wolfSSL */
    size_t out_at, out_len;    /* net_out's bytes not yet sent */
    size_t pin_at, pin_len;    /* plain_in's bytes not yet taken */
    size_t pout_len, writing;  /* plain_out's bytes, and how many wolfSSL_write has */
    int peer_kind;             /* TLS_END_* of a client certificate refused, or 0 */
    tls_peer peer;
    unsigned char net_in[BUF], net_out[BUF], plain_in[BUF], plain_out[BUF];
};

tls_conn conns[NM_TLS_CONNS];

char alpn[] = "http/1.1";

/* ECDHE, AEAD. ChaCha20 first unless wolfSSL was built with AES
 * instructions (Debian's is not: its AES-GCM is the portable code). */
#ifdef WOLFSSL_AESNI
#define AEAD12(k) "ECDHE-" k "-AES128-GCM-SHA256:ECDHE-" k "-AES256-GCM-SHA384:ECDHE-" k "-CHACHA20-POLY1305"
#define AEAD13 "TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384:TLS13-CHACHA20-POLY1305-SHA256"
#else
#define AEAD12(k) "ECDHE-" k "-CHACHA20-POLY1305:ECDHE-" k "-AES128-GCM-SHA256:ECDHE-" k "-AES256-GCM-SHA384"
#define AEAD13 "TLS13-CHACHA20-POLY1305-SHA256:TLS13-AES128-GCM-SHA256:TLS13-AES256-GCM-SHA384"
#endif
const char suites[] = AEAD13 ":" AEAD12("ECDSA") ":" AEAD12("RSA");

/* ---- client certificates ------------------------------------------------- */

/* A client certificate's verdict, for each certificate of its chain (the
 * callback sees them all: WOLFSSL_ALWAYS_VERIFY_CB): the clock unset
 * refuses it; any clock taken lets a date error go; the leaf's CN and O
 * kept. wolfSSL judges the dates itself, against our clock (wc_SetTimeCb). */
int on_verify(int ok, WOLFSSL_X509_STORE_CTX *store)
{
    tls_conn *c = (tls_conn *)store->userCtx;
    if (!c || !store->totalCerts) return ok;   /* (called when none was given too) */
    long long now;
    int clock = tls_clock(c->t, &now), e = store->error;
    /* (as OpenSSL names it: wolfSSL says a date error is one in the field) */
    int dates = e == ASN_BEFORE_DATE_E || e == ASN_AFTER_DATE_E || e == X509_V_ERR_CERT_NOT_YET_VALID ||
                e == X509_V_ERR_CERT_HAS_EXPIRED || e == X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD ||
                e == X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD;
    if (clock == TLS_CLOCK_ANY && dates) ok = 1;
    else if (clock == TLS_CLOCK_UNSET && (ok || dates)) ok = 0, dates = 0, c->peer_kind = TLS_END_CLOCK;
    if (!ok) {
        if (!c->peer_kind) c->peer_kind = dates ? TLS_END_EXPIRED : TLS_END_UNTRUSTED;
        return 0;
    }
    if (wolfSSL_X509_STORE_CTX_get_error_depth(store) == 0) {
        WOLFSSL_X509_NAME *name = store->current_cert ? wolfSSL_X509_get_subject_name(store->current_cert) : 0;
        char text[256];
        int n = name ? wolfSSL_X509_NAME_get_text_by_NID(name, NID_commonName, text, sizeof(text)) : -1;
        tls_peer_name(c->peer.cn, text, n > 0 ? (size_t)n : 0);
        n = name ? wolfSSL_X509_NAME_get_text_by_NID(name, NID_organizationName, text, sizeof(text)) : -1;
        tls_peer_name(c->peer.org, text, n > 0 ? (size_t)n : 0);
        c->peer.verified = 1;
    }
    return 1;
}

/* A handshake's error e, of a client certificate: its TLS_END_*, or 0. */
int peer_failed(tls_conn *c, int e)
{
    if (c->peer_kind) return c->peer_kind;
    return e == NO_PEER_CERT && c->t->client ? TLS_END_MISSING : 0;
}

/* A connection of a server that asks for client certificates. */
void peer_open(tls_conn *c)
{
    c->peer_kind = c->peer.verified = 0;
    if (c->t->client) wolfSSL_SetCertCbCtx(c->ssl, c);
}

time_t clock_now(time_t *out)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    if (out) *out = ts.tv_sec;
    return ts.tv_sec;
}

/* ---- wolfSSL's I/O: the four buffers ---------------------------------- */

int on_recv(WOLFSSL *, char *buf, int sz, void *ctx)
{
    tls_conn *c = (tls_conn *)ctx;
    size_t n = c->in_len - c->in_at;
    if (!n) return WOLFSSL_CBIO_ERR_WANT_READ;
    if (n > (size_t)sz) n = (size_t)sz;
    memcpy(buf, c->net_in + c->in_at, n);
    c->in_at += n;
    if (c->in_at == c->in_len) c->in_at = c->in_len = 0;
    return (int)n;
}

int on_send(WOLFSSL *, char *buf, int sz, void *ctx)
{
    tls_conn *c = (tls_conn *)ctx;
    if (c->out_at) {
        memmove(c->net_out, c->net_out + c->out_at, c->out_len - c->out_at);
        c->out_len -= c->out_at;
        c->out_at = 0;
    }
    size_t n = BUF - c->out_len;
    if (!n) return WOLFSSL_CBIO_ERR_WANT_WRITE;
    if (n > (size_t)sz) n = (size_t)sz;
    memcpy(c->net_out + c->out_len, buf, n);
    c->out_len += n;
    return (int)n;
}

/* wolfSSL_* returned r: 0 it waits for bytes in or room out, else the
 * connection failed (its alert, if any, is in net_out). */
int failed(tls_conn *c, int r)
{
    int e = wolfSSL_get_error(c->ssl, r);
    if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE) return 0;
    c->failed = peer_failed(c, e) ? peer_failed(c, e) : e == FATAL_ERROR ? TLS_END_ALERT : TLS_END_BAD;
    return 1;
}

/* As far as the bytes at hand go: the handshake, the plaintext flushed into
 * records, close_notify, the next record's plaintext. */
void pump(tls_conn *c)
{
    if (c->failed) return;
    if (!c->done) {
        int r = wolfSSL_accept(c->ssl);
        /* wolfSSL as Debian builds it (FP_ECC) keeps, per thread, a table
         * of 256 points of 4096-bit numbers for each point it multiplies
         * (the key's base point, a client's P-256 share): 830 KB each,
         * 2.2 MB at a signing handshake's peak. Given back at once, so a
         * thread holds none between its calls. */
        wc_ecc_fp_free();
        if (r != WOLFSSL_SUCCESS) {
            failed(c, r);
            return;
        }
        c->done = 1;
        tls_count(&c->t->stats.handshakes);
        if (c->peer.verified) tls_count(&c->t->stats.peers);
        if (wolfSSL_session_reused(c->ssl)) tls_count(&c->t->stats.resumed);
    }
    while (c->writing) {   /* (a write wolfSSL could not finish is asked again the same) */
        int r = wolfSSL_write(c->ssl, c->plain_out, (int)c->writing);
        if (r <= 0) {
            failed(c, r);
            return;
        }
        memmove(c->plain_out, c->plain_out + r, c->pout_len - (size_t)r);
        c->pout_len -= (size_t)r;
        c->writing -= (size_t)r;
    }
    if (c->closing == 1) {
        int r = wolfSSL_shutdown(c->ssl);
        if (r == WOLFSSL_SUCCESS || r == WOLFSSL_SHUTDOWN_NOT_DONE) c->closing = 2;
        else if (failed(c, r)) return;
    }
    if (!c->ended && !c->closing && c->pin_at == c->pin_len) {   /* (nothing is read past our close) */
        int r = wolfSSL_read(c->ssl, c->plain_in, BUF);
        c->pin_at = 0;
        c->pin_len = r > 0 ? (size_t)r : 0;
        if (r <= 0 && wolfSSL_get_error(c->ssl, r) == WOLFSSL_ERROR_ZERO_RETURN) c->ended = 1;
        else if (r <= 0) failed(c, r);
    }
}

/* ---- resumption: tickets keyed before the fork ---------------------------
 * wolfSSL resumes a TLS 1.3 session (and a TLS 1.2 one a client asks by
 * ticket) from a ticket the server sealed: its state, encrypted and
 * authenticated with ChaCha20-Poly1305 under one key, made from getrandom()
 * by nm_tls_wolfssl_init, so that a process model's workers, forked after
 * it, open each other's tickets (wolfSSL's own key would be made in each
 * worker, at its first ticket). The ticket's name is its pair's: a ticket
 * resumes only with the certificate and key that issued it. No memory but
 * the key's: wolfSSL keeps the ticket, in the arena. */
unsigned char ticket_key[CHACHA20_POLY1305_AEAD_KEYSIZE];

int random_bytes(void *p, size_t n) { return getrandom(p, n, 0) == (ssize_t)n ? 0 : -1; }

/* Seal (enc) or open a ticket's state in place, its name, nonce (iv) and
 * tag (mac) beside it; a ticket of another pair or key is refused, and the
 * handshake goes on in full. */
int on_ticket(WOLFSSL *ssl, unsigned char name[WOLFSSL_TICKET_NAME_SZ], unsigned char iv[WOLFSSL_TICKET_IV_SZ],
              unsigned char mac[WOLFSSL_TICKET_MAC_SZ], int enc, unsigned char *state, int len, int *out_len, void *)
{
    const tls_conn *c = (const tls_conn *)wolfSSL_GetIOReadCtx(ssl);
    unsigned char aad[WOLFSSL_TICKET_NAME_SZ + WOLFSSL_TICKET_IV_SZ];
    if (enc) {
        memcpy(name, c->pair.b, sizeof(c->pair.b));
        if (random_bytes(iv, WOLFSSL_TICKET_IV_SZ)) return WOLFSSL_TICKET_RET_FATAL;
    } else if (memcmp(name, c->pair.b, sizeof(c->pair.b))) {
        return WOLFSSL_TICKET_RET_REJECT;
    }
    memcpy(aad, name, WOLFSSL_TICKET_NAME_SZ);
    memcpy(aad + WOLFSSL_TICKET_NAME_SZ, iv, WOLFSSL_TICKET_IV_SZ);
    int r = enc ? wc_ChaCha20Poly1305_Encrypt(ticket_key, iv, aad, sizeof(aad), state, (word32)len, state, mac)
                : wc_ChaCha20Poly1305_Decrypt(ticket_key, iv, aad, sizeof(aad), state, (word32)len, mac, state);
    if (r) return enc ? WOLFSSL_TICKET_RET_FATAL : WOLFSSL_TICKET_RET_REJECT;
    if (enc) memset(mac + CHACHA20_POLY1305_AEAD_AUTHTAG_SIZE, 0, WOLFSSL_TICKET_MAC_SZ - CHACHA20_POLY1305_AEAD_AUTHTAG_SIZE);
    *out_len = len;
    return WOLFSSL_TICKET_RET_OK;
}

/* ---- the pair new handshakes use ------------------------------------------
 * A connection's WOLFSSL holds a count of its context (wolfSSL's own): a
 * context replaced while connections use it goes when the last of them
 * ends. The lock covers taking the current one. */
pthread_mutex_t ctx_lock = PTHREAD_MUTEX_INITIALIZER;

/* c's WOLFSSL, over its server's current pair (NULL: the arena is full). */
WOLFSSL *conn_ssl(tls_conn *c)
{
    const pair *p = &pairs[tls_index(c->t)];
    pthread_mutex_lock(&ctx_lock);
    WOLFSSL_CTX *ctx = p->ctx;
    int held = wolfSSL_CTX_up_ref(ctx) == WOLFSSL_SUCCESS;
    c->pair = p->name;
    pthread_mutex_unlock(&ctx_lock);
    WOLFSSL *ssl = held ? wolfSSL_new(ctx) : 0;
    if (held) wolfSSL_CTX_free(ctx);   /* (the connection's own count, if any, keeps it) */
    return ssl;
}

/* p becomes server i's pair; the one it replaces goes once unused. */
void pair_set(int i, const pair *p)
{
    pthread_mutex_lock(&ctx_lock);
    WOLFSSL_CTX *old = pairs[i].ctx;
    pairs[i] = *p;
    pthread_mutex_unlock(&ctx_lock);
    wolfSSL_CTX_free(old);
}

/* ---- the transport ------------------------------------------------------ */

void *tls_open(void *ctx)
{
    nm_tls *t = (nm_tls *)ctx;
    tls_conn *c = (tls_conn *)tls_slot_claim(conns, sizeof(conns[0]), NM_TLS_CONNS, t);
    if (!c) return 0;
    c->t = t;
    c->done = c->closing = c->ended = c->failed = 0;
    c->in_at = c->in_len = c->out_at = c->out_len = c->pin_at = c->pin_len = c->pout_len = c->writing = 0;
    c->ssl = conn_ssl(c);
    if (!c->ssl || wolfSSL_UseALPN(c->ssl, alpn, sizeof(alpn) - 1, WOLFSSL_ALPN_CONTINUE_ON_MISMATCH) != WOLFSSL_SUCCESS) {
        wolfSSL_free(c->ssl);   /* (the arena is full: a refusal of its own, counted there) */
        tls_slot_free(&c->in_use);
        tls_count(&t->stats.refused);
        return 0;
    }
    wolfSSL_SetIOReadCtx(c->ssl, c);
    wolfSSL_SetIOWriteCtx(c->ssl, c);
    peer_open(c);
    return c;
}

void tls_release(void *, void *st, int why)
{
    tls_conn *c = (tls_conn *)st;
    tls_count_end(c->t, why, c->failed, c->done);
    wolfSSL_free(c->ssl);
    c->ssl = 0;
    tls_slot_free(&c->in_use);
}

unsigned char *tls_buf(void *st, int which, size_t *len)
{
    tls_conn *c = (tls_conn *)st;
    unsigned char *p = 0;
    switch (which) {
    case NM_TRANSPORT_NET_IN:
        if (c->in_at) {
            memmove(c->net_in, c->net_in + c->in_at, c->in_len - c->in_at);
            c->in_len -= c->in_at;
            c->in_at = 0;
        }
        *len = BUF - c->in_len;
        p = c->net_in + c->in_len;
        break;
    case NM_TRANSPORT_NET_OUT:
        *len = c->out_len - c->out_at;
        p = c->net_out + c->out_at;
        break;
    case NM_TRANSPORT_PLAIN_IN:
        *len = c->pin_len - c->pin_at;
        p = c->plain_in + c->pin_at;
        break;
    default:
        *len = c->done && !c->closing && !c->failed ? BUF - c->pout_len : 0;
        p = c->plain_out + c->pout_len;
    }
    return *len ? p : 0;
}

int tls_ack(void *st, int which, size_t n)
{
    tls_conn *c = (tls_conn *)st;
    switch (which) {
    case NM_TRANSPORT_NET_IN: c->in_len += n; break;
    case NM_TRANSPORT_NET_OUT:
        c->out_at += n;
        if (c->out_at == c->out_len) c->out_at = c->out_len = 0;
        break;
    case NM_TRANSPORT_PLAIN_IN: c->pin_at += n; break;
    default: c->pout_len += n; return 0;   /* (sealed at the flush) */
    }
    pump(c);
    return c->failed ? -1 : 0;
}

void tls_flush(void *st)
{
    tls_conn *c = (tls_conn *)st;
    if (!c->writing) c->writing = c->pout_len;
    pump(c);
}

void tls_close(void *st)
{
    tls_conn *c = (tls_conn *)st;
    if (!c->closing) c->closing = 1;
    pump(c);
}

int tls_state(void *st)
{
    tls_conn *c = (tls_conn *)st;
    if (c->failed) return NM_TRANSPORT_CLOSED | NM_TRANSPORT_FAILED;
    if (c->ended) return NM_TRANSPORT_CLOSED;
    return c->done ? 0 : NM_TRANSPORT_HANDSHAKE;
}

/* The stack its calls take: Debian's wolfSSL keeps 4096-bit numbers on it
 * (SP_INT_BITS); a fiber served 45.5 KB deeper over it than plain (an RSA
 * key's handshake, x86_64; an EC key's 39 KB): 56 KiB, for what was not
 * measured. A wolfSSL built for a small board takes a small part of it. */
enum { WOLFSSL_STACK = 56 * 1024 };

const nm_transport_ops wolfssl_ops = { "wolfssl", tls_open, tls_release, tls_buf, tls_ack, tls_flush, tls_close, tls_state,
                                       WOLFSSL_STACK };

/* ---- the certificate and key ---------------------------------------------- */

int load_chain(WOLFSSL_CTX *ctx, const unsigned char *p, size_t n, char *err, size_t el)
{
    int pem = tls_is_pem(p, n);
    if (pem && !tls_pem_has(p, n, "CERTIFICATE")) {
        if (tls_pem_has(p, n, "PRIVATE KEY")) return tls_say(err, el, "certificate: not a certificate (a PRIVATE KEY)");
        return tls_say(err, el, "certificate: no CERTIFICATE in the PEM");
    }
    int r = wolfSSL_CTX_use_certificate_chain_buffer_format(ctx, p, (long)n, pem ? WOLFSSL_FILETYPE_PEM : WOLFSSL_FILETYPE_ASN1);
    if (r != WOLFSSL_SUCCESS) return tls_say(err, el, "certificate: not a certificate (wolfSSL error %d)", r);
    return 0;
}

/* A public key, SubjectPublicKeyInfo DER. */
struct pub_key {
    unsigned char der[1024];
    int len;
};

/* The key's kind (an EC key on P-256, or RSA of 2048 bits at least) and
 * its public half. */
int check_key(const unsigned char *p, size_t n, pub_key *pub, char *err, size_t el)
{
    unsigned char der[4096];
    int len = (int)n;
    if (tls_is_pem(p, n)) {
        if (!tls_pem_has(p, n, "PRIVATE KEY"))
            return tls_say(err, el, tls_pem_has(p, n, "CERTIFICATE") ? "key: not a key (a CERTIFICATE)" : "key: not a key (no PRIVATE KEY in the PEM)");
        len = wc_KeyPemToDer(p, (int)n, der, sizeof(der), 0);
        if (len <= 0) return tls_say(err, el, "key: not a key (wolfSSL error %d)", len);
    } else {
        if (n > sizeof(der)) return tls_say(err, el, "key: not a key (%zu bytes)", n);
        memcpy(der, p, n);
    }
    word32 at = 0;
    if (wc_GetPkcs8TraditionalOffset(der, &at, (word32)len) < 0) at = 0;
    word32 i = at;
    ecc_key ec;
    if (!wc_ecc_init(&ec)) {
        int r = wc_EccPrivateKeyDecode(der, &i, &ec, (word32)len);
        int curve = r ? 0 : wc_ecc_get_curve_id(ec.idx);
        if (!r && ec.type == ECC_PRIVATEKEY_ONLY) r = wc_ecc_make_pub(&ec, 0);
        if (!r && curve == ECC_SECP256R1) pub->len = wc_EccPublicKeyToDer(&ec, pub->der, sizeof(pub->der), 1);
        wc_ecc_free(&ec);
        if (!r && curve != ECC_SECP256R1) return tls_say(err, el, "key: unsupported curve (%s): P-256 only", wc_ecc_get_name(curve));
        if (!r) return 0;
    }
    RsaKey rsa;
    i = at;
    if (wc_InitRsaKey(&rsa, 0)) return tls_say(err, el, "key: no room (the arena, NM_TLS_ARENA_BYTES)");
    int r = wc_RsaPrivateKeyDecode(der, &i, &rsa, (word32)len);
    int bits = r ? 0 : wc_RsaEncryptSize(&rsa) * 8;
    if (!r) pub->len = wc_RsaKeyToPublicDer(&rsa, pub->der, sizeof(pub->der));
    wc_FreeRsaKey(&rsa);
    if (r) return tls_say(err, el, "key: not a key (neither EC nor RSA)");
    if (bits < 2048) return tls_say(err, el, "key: RSA of %d bits: 2048 at least", bits);
    return 0;
}

/* The public key of the chain's first certificate. */
int cert_key(const unsigned char *p, size_t n, pub_key *pub)
{
    unsigned char der[NM_TLS_CHAIN_BYTES];
    int len = (int)n;
    if (tls_is_pem(p, n)) len = wc_CertPemToDer(p, (int)n, der, sizeof(der), CERT_TYPE);
    WOLFSSL_X509 *x = len > 0 ? wolfSSL_X509_load_certificate_buffer(tls_is_pem(p, n) ? der : p, len, WOLFSSL_FILETYPE_ASN1) : 0;
    pub->len = sizeof(pub->der);
    int r = x ? wolfSSL_X509_get_pubkey_buffer(x, pub->der, &pub->len) : 0;
    wolfSSL_X509_free(x);
    return r == WOLFSSL_SUCCESS ? 0 : -1;
}

int load_key(WOLFSSL_CTX *ctx, const unsigned char *chain, size_t chain_len, const unsigned char *p, size_t n, char *err,
             size_t el)
{
    pub_key mine, theirs;
    if (check_key(p, n, &mine, err, el)) return -1;
    if (cert_key(chain, chain_len, &theirs) || mine.len <= 0 || mine.len != theirs.len || memcmp(mine.der, theirs.der, (size_t)mine.len))
        return tls_say(err, el, "key and certificate do not match");
    int r = wolfSSL_CTX_use_PrivateKey_buffer(ctx, p, (long)n, tls_is_pem(p, n) ? WOLFSSL_FILETYPE_PEM : WOLFSSL_FILETYPE_ASN1);
    if (r != WOLFSSL_SUCCESS) return tls_say(err, el, "key: not a key (wolfSSL error %d)", r);
    return 0;
}

WOLFSSL_CTX *new_ctx(char *err, size_t el)
{
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolfSSLv23_server_method());
    if (!ctx) return tls_say(err, el, "no room for the context (the arena, NM_TLS_ARENA_BYTES)"), (WOLFSSL_CTX *)0;
    int groups[] = { WOLFSSL_ECC_X25519, WOLFSSL_ECC_SECP256R1, WOLFSSL_ECC_SECP384R1 };
    if (wolfSSL_CTX_SetMinVersion(ctx, WOLFSSL_TLSV1_2) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_set_cipher_list(ctx, suites) != WOLFSSL_SUCCESS ||
        wolfSSL_CTX_set_groups(ctx, groups, 3) != WOLFSSL_SUCCESS) {
        wolfSSL_CTX_free(ctx);
        return tls_say(err, el, "wolfSSL refused the versions, suites or groups"), (WOLFSSL_CTX *)0;
    }
    wolfSSL_CTX_set_options(ctx, WOLFSSL_OP_CIPHER_SERVER_PREFERENCE);
    wolfSSL_CTX_SetIORecv(ctx, on_recv);
    wolfSSL_CTX_SetIOSend(ctx, on_send);
    wolfSSL_CTX_set_TicketEncCb(ctx, on_ticket);
    return ctx;
}

/* chain and key loaded into a new context, named: 0, or -1 with err said. */
int load_pair(pair *p, const void *chain, size_t chain_len, const void *key, size_t key_len, char *err, size_t el)
{
    pair_name name = {};
    WOLFSSL_CTX *ctx = new_ctx(err, el);
    int bad = !ctx || load_chain(ctx, (const unsigned char *)chain, chain_len, err, el) ||
              load_key(ctx, (const unsigned char *)chain, chain_len, (const unsigned char *)key, key_len, err, el) ||
              (random_bytes(name.b, sizeof(name.b)) && tls_say(err, el, "wolfSSL: no randomness for the pair's name (getrandom)"));
    wc_ecc_fp_free();   /* (the key's check multiplied its base point: see pump) */
    if (bad) wolfSSL_CTX_free(ctx);
    p->ctx = bad ? 0 : ctx;
    p->name = name;
    return bad ? -1 : 0;
}

}

extern "C" int nm_tls_wolfssl_init(char *err, size_t err_len)
{
    if (__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) return 0;
    if (random_bytes(ticket_key, sizeof(ticket_key))) return tls_say(err, err_len, "wolfSSL: no randomness for the ticket key (getrandom)");
    if (wolfSSL_SetAllocators(tls_arena_alloc, tls_arena_free, tls_arena_realloc) ||
        wolfSSL_Init() != WOLFSSL_SUCCESS || wc_SetTimeCb(clock_now))
        return tls_say(err, err_len, "wolfSSL: its allocator or its start refused");
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    return 0;
}

extern "C" nm_tls *nm_tls_wolfssl(const void *chain, size_t chain_len, const void *key, size_t key_len, char *err,
                                  size_t err_len)
{
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        tls_say(err, err_len, "wolfSSL: nm_tls_wolfssl_init() first");
        return 0;
    }
    nm_tls *t = tls_server_claim(&wolfssl_ops, err, err_len);
    if (!t) return 0;
    pair p;
    if (load_pair(&p, chain, chain_len, key, key_len, err, err_len)) {
        tls_server_free(t);
        return 0;
    }
    pair_set(tls_index(t), &p);   /* (a server's earlier one goes) */
    return t;
}

namespace {
/* A server's client CA certificates, as given (PEM or DER), at its
 * nm_tls's index: kept, so that a context made later for it (a
 * replaced certificate and key) asks for client certificates as well. */
struct wolf_client {
    unsigned char ca[NM_TLS_CLIENT_CAS ? NM_TLS_CHAIN_BYTES : 1];   /* (none without client certificates) */
    size_t len;
} clients[NM_TLS_SERVERS];

/* t's client certificates asked on ctx, when t asks for them: the
 * anchors, their own dates not judged; no resumption (a resumed session
 * would not show the client's certificate again). 0, or a wolfSSL error. */
int client_apply(WOLFSSL_CTX *ctx, const nm_tls *t)
{
    const wolf_client *cl = &clients[tls_index(t)];
    if (!t->client) return 0;
    int r = wolfSSL_CTX_load_verify_buffer_ex(ctx, cl->ca, (long)cl->len,
                                              tls_is_pem(cl->ca, cl->len) ? WOLFSSL_FILETYPE_PEM : WOLFSSL_FILETYPE_ASN1, 0,
                                              WOLFSSL_LOAD_FLAG_DATE_ERR_OKAY);
    if (r != WOLFSSL_SUCCESS) return r;
    int mode = WOLFSSL_VERIFY_PEER | (tls_client_flag(t, NM_TLS_CLIENT_REQUIRED) ? WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0);
    wolfSSL_CTX_set_verify(ctx, mode, on_verify);
    wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
    wolfSSL_CTX_NoTicketTLSv12(ctx);
    wolfSSL_CTX_no_ticket_TLSv13(ctx);
    return 0;
}
}

/* nm_tls_client_ca for this engine (common.cpp asks; t->client set). */
int tls_wolfssl_client_ca(nm_tls *t, const void *ca, size_t ca_len, char *err, size_t err_len)
{
    wolf_client *cl = &clients[tls_index(t)];
    if (ca_len > sizeof(cl->ca)) return tls_say(err, err_len, "client CA: %zu bytes, more than NM_TLS_CHAIN_BYTES (%d)", ca_len, NM_TLS_CHAIN_BYTES);
    memcpy(cl->ca, ca, ca_len);
    cl->len = ca_len;
    pthread_mutex_lock(&ctx_lock);
    int r = client_apply(pairs[tls_index(t)].ctx, t);
    pthread_mutex_unlock(&ctx_lock);
    if (r) return tls_say(err, err_len, "client CA: not a certificate (wolfSSL error %d)", r);
    return 0;
}

const tls_peer *tls_wolfssl_peer(const void *st)
{
    return tls_slot_of(st, conns, sizeof(conns[0]), NM_TLS_CONNS) ? &((const tls_conn *)st)->peer : 0;
}

/* nm_tls_replace and nm_tls_sni for this engine (common.cpp asks). */
int tls_wolfssl_replace(nm_tls *t, const void *chain, size_t chain_len, const void *key, size_t key_len, char *err,
                        size_t err_len)
{
    pair p;
    if (load_pair(&p, chain, chain_len, key, key_len, err, err_len)) return -1;
    int r = client_apply(p.ctx, t);   /* (the new pair asks for client certificates as the old one did) */
    if (r) {
        wolfSSL_CTX_free(p.ctx);
        return tls_say(err, err_len, "client CA: refused by the new context (wolfSSL error %d)", r);
    }
    pair_set(tls_index(t), &p);
    return 0;
}

const char *tls_wolfssl_sni(const void *st)
{
    if (!tls_slot_of(st, conns, sizeof(conns[0]), NM_TLS_CONNS)) return 0;   /* (another engine's) */
    void *name = 0;
    return wolfSSL_SNI_GetRequest(((const tls_conn *)st)->ssl, WOLFSSL_SNI_HOST_NAME, &name) ? (const char *)name : 0;
}

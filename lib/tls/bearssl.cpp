/* bearssl.cpp - the BearSSL engine behind the transport API (nm_tls.h).
 * BearSSL allocates nothing: every buffer and context is here, static. */
#include "nm_tls.h"
#include <bearssl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

struct nm_tls {
    int in_use;
    br_x509_certificate chain[NM_TLS_CHAIN_CERTS];
    size_t chain_count;
    unsigned char der[NM_TLS_CHAIN_BYTES];
    size_t der_len;
    br_skey_decoder_context key;   /* holds the key's bytes */
    int key_type;                  /* BR_KEYTYPE_EC or BR_KEYTYPE_RSA */
    unsigned issuer_type;          /* the key type of the certificate's signer */
    uint16_t suites[3];
    nm_tls_stats stats;
};

namespace {

nm_tls servers[NM_TLS_SERVERS];

struct tls_conn {
    int in_use;
    int done;   /* its handshake finished (counted) */
    nm_tls *t;
    br_ssl_server_context sc;
    unsigned char io[BR_SSL_BUFSIZE_BIDI];
};

tls_conn conns[NM_TLS_CONNS];

const char *alpn[] = { "http/1.1" };

void count(unsigned long *n) { __atomic_fetch_add(n, 1ul, __ATOMIC_RELAXED); }

int say(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int is_pem(const void *p, size_t n) { return n >= 11 && memmem(p, n, "-----BEGIN ", 11); }

/* Where a PEM object's bytes go. */
struct pem_sink {
    unsigned char *out;
    size_t room, len;
    int over;
};

void pem_append(void *ctx, const void *buf, size_t n)
{
    pem_sink *s = (pem_sink *)ctx;
    if (s->len + n > s->room) {
        s->over = 1;
        return;
    }
    memcpy(s->out + s->len, buf, n);
    s->len += n;
}

/* The next PEM object of p (from *at): its name into name, its bytes into
 * out (room). 1 an object, 0 no more, -1 malformed or too big. */
int pem_next(const unsigned char *p, size_t n, size_t *at, char *name, size_t name_len, unsigned char *out,
             size_t room, size_t *len)
{
    br_pem_decoder_context pc;
    br_pem_decoder_init(&pc);
    pem_sink sink = { out, room, 0, 0 };
    int inside = 0;
    while (*at < n) {
        size_t k = br_pem_decoder_push(&pc, p + *at, n - *at);
        *at += k;
        switch (br_pem_decoder_event(&pc)) {
        case BR_PEM_BEGIN_OBJ:
            snprintf(name, name_len, "%s", br_pem_decoder_name(&pc));
            br_pem_decoder_setdest(&pc, pem_append, &sink);
            inside = 1;
            break;
        case BR_PEM_END_OBJ:
            *len = sink.len;
            return sink.over ? -1 : 1;
        case BR_PEM_ERROR:
            return -1;
        }
    }
    if (!inside) return 0;
    /* the last line may lack its end of line */
    br_pem_decoder_push(&pc, "\n", 1);
    if (br_pem_decoder_event(&pc) != BR_PEM_END_OBJ) return -1;
    *len = sink.len;
    return sink.over ? -1 : 1;
}

int load_chain(nm_tls *t, const unsigned char *p, size_t n, char *err, size_t el)
{
    t->chain_count = t->der_len = 0;
    if (!is_pem(p, n)) {
        if (n > sizeof(t->der)) return say(err, el, "certificate: %zu bytes, more than NM_TLS_CHAIN_BYTES (%d)", n, NM_TLS_CHAIN_BYTES);
        memcpy(t->der, p, n);
        t->chain[0].data = t->der;
        t->chain[0].data_len = n;
        t->chain_count = 1;
        t->der_len = n;
        return 0;
    }
    size_t at = 0;
    for (;;) {
        char name[128];
        size_t len = 0;
        int r = pem_next(p, n, &at, name, sizeof(name), t->der + t->der_len, sizeof(t->der) - t->der_len, &len);
        if (r < 0) return say(err, el, "certificate: malformed PEM, or a chain past NM_TLS_CHAIN_BYTES (%d)", NM_TLS_CHAIN_BYTES);
        if (!r) break;
        if (strcmp(name, "CERTIFICATE")) {
            if (strstr(name, "PRIVATE KEY")) return say(err, el, "certificate: not a certificate (a %s)", name);
            continue;
        }
        if (t->chain_count == NM_TLS_CHAIN_CERTS) return say(err, el, "certificate: more than NM_TLS_CHAIN_CERTS (%d) in the chain", NM_TLS_CHAIN_CERTS);
        t->chain[t->chain_count].data = t->der + t->der_len;
        t->chain[t->chain_count].data_len = len;
        t->chain_count++;
        t->der_len += len;
    }
    if (!t->chain_count) return say(err, el, "certificate: no CERTIFICATE in the PEM");
    return 0;
}

int load_key(nm_tls *t, const unsigned char *p, size_t n, char *err, size_t el)
{
    unsigned char der[4096];
    size_t len = n;
    const unsigned char *k = p;
    if (is_pem(p, n)) {
        size_t at = 0;
        char name[128];
        int r;
        while ((r = pem_next(p, n, &at, name, sizeof(name), der, sizeof(der), &len)) > 0 && !strstr(name, "PRIVATE KEY")) {
            if (!strcmp(name, "CERTIFICATE")) return say(err, el, "key: not a key (a CERTIFICATE)");
            if (!strcmp(name, "EC PARAMETERS")) continue;
        }
        if (r <= 0) return say(err, el, "key: not a key (no PRIVATE KEY in the PEM)");
        k = der;
    }
    br_skey_decoder_init(&t->key);
    br_skey_decoder_push(&t->key, k, len);
    int e = br_skey_decoder_last_error(&t->key);
    if (e || !br_skey_decoder_key_type(&t->key)) return say(err, el, "key: not a key (BearSSL error %d)", e);
    t->key_type = br_skey_decoder_key_type(&t->key);
    if (t->key_type == BR_KEYTYPE_EC && br_skey_decoder_get_ec(&t->key)->curve != BR_EC_secp256r1)
        return say(err, el, "key: unsupported curve (%d): P-256 only", br_skey_decoder_get_ec(&t->key)->curve);
    if (t->key_type == BR_KEYTYPE_RSA && br_skey_decoder_get_rsa(&t->key)->n_bitlen < 2048)
        return say(err, el, "key: RSA of %u bits: 2048 at least", br_skey_decoder_get_rsa(&t->key)->n_bitlen);
    return 0;
}

/* The numbers without their leading zeros, equal? */
int same_int(const unsigned char *a, size_t al, const unsigned char *b, size_t bl)
{
    while (al && !*a) a++, al--;
    while (bl && !*b) b++, bl--;
    return al == bl && !memcmp(a, b, al);
}

/* The certificate's public key is the key's? */
int check_pair(nm_tls *t, char *err, size_t el)
{
    br_x509_decoder_context xd;
    br_x509_decoder_init(&xd, 0, 0);
    br_x509_decoder_push(&xd, t->chain[0].data, t->chain[0].data_len);
    const br_x509_pkey *pk = br_x509_decoder_get_pkey(&xd);
    if (!pk) return say(err, el, "certificate: not a certificate (BearSSL error %d)", br_x509_decoder_last_error(&xd));
    t->issuer_type = (unsigned)br_x509_decoder_get_signer_key_type(&xd);
    if (pk->key_type == BR_KEYTYPE_EC && pk->key.ec.curve != BR_EC_secp256r1)
        return say(err, el, "certificate: unsupported curve (%d): P-256 only", pk->key.ec.curve);
    if (pk->key_type != t->key_type) return say(err, el, "key and certificate do not match (%s key, %s certificate)",
                                               t->key_type == BR_KEYTYPE_EC ? "EC" : "RSA", pk->key_type == BR_KEYTYPE_EC ? "EC" : "RSA");
    if (t->key_type == BR_KEYTYPE_EC) {
        unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
        br_ec_public_key pub;
        size_t ql = br_ec_compute_pub(br_ec_get_default(), &pub, q, br_skey_decoder_get_ec(&t->key));
        if (!ql || ql != pk->key.ec.qlen || memcmp(q, pk->key.ec.q, ql))
            return say(err, el, "key and certificate do not match");
    } else {
        unsigned char n[512];
        const br_rsa_private_key *sk = br_skey_decoder_get_rsa(&t->key);
        br_rsa_compute_modulus mod = br_rsa_compute_modulus_get_default();
        if ((sk->n_bitlen + 7) / 8 > sizeof(n)) return say(err, el, "key: RSA of %u bits: 4096 at most", sk->n_bitlen);
        size_t nl = mod(n, sk);
        if (!nl || !same_int(n, nl, pk->key.rsa.n, pk->key.rsa.nlen)) return say(err, el, "key and certificate do not match");
    }
    return 0;
}

/* ECDHE, AEAD; ChaCha20 first unless the CPU has AES instructions. */
void choose_suites(nm_tls *t)
{
    int ec = t->key_type == BR_KEYTYPE_EC;
    uint16_t chacha = ec ? BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 : BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256;
    uint16_t aes128 = ec ? BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 : BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    uint16_t aes256 = ec ? BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 : BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384;
    int aes_fast = br_aes_x86ni_ctr_get_vtable() != 0;
    t->suites[0] = aes_fast ? aes128 : chacha;
    t->suites[1] = aes_fast ? aes256 : aes128;
    t->suites[2] = aes_fast ? chacha : aes256;
}

/* ---- the transport ------------------------------------------------------ */

br_ssl_engine_context *eng(void *st) { return &((tls_conn *)st)->sc.eng; }

void *tls_open(void *ctx)
{
    nm_tls *t = (nm_tls *)ctx;
    for (int i = 0; i < NM_TLS_CONNS; i++) {
        tls_conn *c = &conns[i];
        int free_slot = 0;
        if (!__atomic_compare_exchange_n(&c->in_use, &free_slot, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) continue;
        c->t = t;
        c->done = 0;
        if (t->key_type == BR_KEYTYPE_EC)
            br_ssl_server_init_full_ec(&c->sc, t->chain, t->chain_count, t->issuer_type, br_skey_decoder_get_ec(&t->key));
        else
            br_ssl_server_init_full_rsa(&c->sc, t->chain, t->chain_count, br_skey_decoder_get_rsa(&t->key));
        br_ssl_engine_context *e = &c->sc.eng;
        br_ssl_engine_set_versions(e, BR_TLS12, BR_TLS12);
        br_ssl_engine_set_suites(e, t->suites, 3);
        br_ssl_engine_add_flags(e, BR_OPT_ENFORCE_SERVER_PREFERENCES | BR_OPT_NO_RENEGOTIATION);
        br_ssl_engine_set_protocol_names(e, alpn, 1);
        br_ssl_engine_set_buffer(e, c->io, sizeof(c->io), 1);
        unsigned char seed[32];
        if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed) || !br_ssl_server_reset(&c->sc)) {
            __atomic_store_n(&c->in_use, 0, __ATOMIC_RELEASE);
            count(&t->stats.bad);
            return 0;
        }
        br_ssl_engine_inject_entropy(e, seed, sizeof(seed));
        return c;
    }
    count(&t->stats.refused);
    return 0;
}

void tls_release(void *, void *st, int why)
{
    tls_conn *c = (tls_conn *)st;
    nm_tls_stats *s = &c->t->stats;
    int e = br_ssl_engine_last_error(&c->sc.eng);
    if (why == NM_TRANSPORT_CUT) count(&s->cut);
    else if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT) count(&s->alerts);
    else if (e) count(&s->bad);
    else if (!c->done) count(&s->aborted);
    __atomic_store_n(&c->in_use, 0, __ATOMIC_RELEASE);
}

unsigned char *tls_buf(void *st, int which, size_t *len)
{
    br_ssl_engine_context *e = eng(st);
    switch (which) {
    case NM_TRANSPORT_NET_IN: return br_ssl_engine_recvrec_buf(e, len);
    case NM_TRANSPORT_NET_OUT: return br_ssl_engine_sendrec_buf(e, len);
    case NM_TRANSPORT_PLAIN_IN: return br_ssl_engine_recvapp_buf(e, len);
    default: return br_ssl_engine_sendapp_buf(e, len);
    }
}

int tls_ack(void *st, int which, size_t n)
{
    tls_conn *c = (tls_conn *)st;
    br_ssl_engine_context *e = &c->sc.eng;
    switch (which) {
    case NM_TRANSPORT_NET_IN: br_ssl_engine_recvrec_ack(e, n); break;
    case NM_TRANSPORT_NET_OUT: br_ssl_engine_sendrec_ack(e, n); break;
    case NM_TRANSPORT_PLAIN_IN: br_ssl_engine_recvapp_ack(e, n); break;
    default: br_ssl_engine_sendapp_ack(e, n);
    }
    unsigned s = br_ssl_engine_current_state(e);
    if (!c->done && (s & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))) {
        c->done = 1;
        count(&c->t->stats.handshakes);
    }
    return (s & BR_SSL_CLOSED) && br_ssl_engine_last_error(e) ? -1 : 0;
}

void tls_flush(void *st) { br_ssl_engine_flush(eng(st), 0); }

/* close_notify, once a version is agreed: before it (a handshake cut
 * before its ClientHello was read) BearSSL's would be a record of version
 * 0, which is not TLS, and the connection ends without one. */
void tls_close(void *st)
{
    if (br_ssl_engine_get_version(eng(st))) br_ssl_engine_close(eng(st));
}

int tls_state(void *st)
{
    tls_conn *c = (tls_conn *)st;
    unsigned s = br_ssl_engine_current_state(&c->sc.eng);
    if (s & BR_SSL_CLOSED)
        return NM_TRANSPORT_CLOSED | (br_ssl_engine_last_error(&c->sc.eng) ? NM_TRANSPORT_FAILED : 0);
    return c->done ? 0 : NM_TRANSPORT_HANDSHAKE;
}

const nm_transport_ops bearssl_ops = { "bearssl", tls_open, tls_release, tls_buf, tls_ack, tls_flush, tls_close, tls_state };

}

extern "C" nm_tls *nm_tls_bearssl(const void *chain, size_t chain_len, const void *key, size_t key_len, char *err,
                                  size_t err_len)
{
    nm_tls *t = 0;
    for (int i = 0; i < NM_TLS_SERVERS && !t; i++) {
        int free_slot = 0;
        if (__atomic_compare_exchange_n(&servers[i].in_use, &free_slot, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            t = &servers[i];
    }
    if (!t) {
        say(err, err_len, "no room for another certificate (NM_TLS_SERVERS, %d)", NM_TLS_SERVERS);
        return 0;
    }
    if (load_chain(t, (const unsigned char *)chain, chain_len, err, err_len) ||
        load_key(t, (const unsigned char *)key, key_len, err, err_len) || check_pair(t, err, err_len)) {
        __atomic_store_n(&t->in_use, 0, __ATOMIC_RELEASE);
        return 0;
    }
    memset(&t->stats, 0, sizeof(t->stats));
    choose_suites(t);
    return t;
}

extern "C" void nm_tls_use(nm_config *cfg, nm_tls *t) { nm_config_transport(cfg, t ? &bearssl_ops : 0, t); }

extern "C" const char *nm_tls_engine(const nm_tls *) { return bearssl_ops.name; }

extern "C" void nm_tls_get_stats(const nm_tls *t, nm_tls_stats *out)
{
    const unsigned long *from = &t->stats.handshakes;
    unsigned long *to = &out->handshakes;
    for (size_t i = 0; i < sizeof(*out) / sizeof(unsigned long); i++) to[i] = __atomic_load_n(from + i, __ATOMIC_RELAXED);
}

/* bearssl.cpp - the BearSSL engine behind the transport API (nm_tls.h).
 * BearSSL allocates nothing: every buffer and context is here, static. */
#include "tls_common.h"
#include <bearssl.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

namespace {

/* A server's certificate and key (at its nm_tls's index). */
struct br_server {
    br_x509_certificate chain[NM_TLS_CHAIN_CERTS];
    size_t chain_count;
    unsigned char der[NM_TLS_CHAIN_BYTES];
    size_t der_len;
    br_skey_decoder_context key;   /* holds the key's bytes */
    int key_type;                  /* BR_KEYTYPE_EC or BR_KEYTYPE_RSA */
    unsigned issuer_type;          /* the key type of the certificate's signer */
    uint16_t suites[3];
    /* The pair new handshakes use: NULL, this one's own; or the server slot
     * that nm_tls_replace loaded, freed once replaced again and unused. */
    nm_tls *pair;
    int users;   /* connections whose handshake uses this slot's pair */
};

br_server servers[NM_TLS_SERVERS];

br_server *br_of(const nm_tls *t) { return &servers[tls_index(t)]; }

struct tls_conn {
    int in_use;
    int done;   /* its handshake finished (counted) */
    int saved;  /* its session went into the cache: a full handshake, not a resumed one */
    nm_tls *t;
    nm_tls *pair;   /* whose certificate and key it was opened with (t's, or a replacement's) */
    br_ssl_server_context sc;
    unsigned char io[BR_SSL_BUFSIZE_BIDI];
};

tls_conn conns[NM_TLS_CONNS];

const char *alpn[] = { "http/1.1" };

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

int load_chain(br_server *t, const unsigned char *p, size_t n, char *err, size_t el)
{
    t->chain_count = t->der_len = 0;
    if (!tls_is_pem(p, n)) {
        if (n > sizeof(t->der)) return tls_say(err, el, "certificate: %zu bytes, more than NM_TLS_CHAIN_BYTES (%d)", n, NM_TLS_CHAIN_BYTES);
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
        if (r < 0) return tls_say(err, el, "certificate: malformed PEM, or a chain past NM_TLS_CHAIN_BYTES (%d)", NM_TLS_CHAIN_BYTES);
        if (!r) break;
        if (strcmp(name, "CERTIFICATE")) {
            if (strstr(name, "PRIVATE KEY")) return tls_say(err, el, "certificate: not a certificate (a %s)", name);
            continue;
        }
        if (t->chain_count == NM_TLS_CHAIN_CERTS) return tls_say(err, el, "certificate: more than NM_TLS_CHAIN_CERTS (%d) in the chain", NM_TLS_CHAIN_CERTS);
        t->chain[t->chain_count].data = t->der + t->der_len;
        t->chain[t->chain_count].data_len = len;
        t->chain_count++;
        t->der_len += len;
    }
    if (!t->chain_count) return tls_say(err, el, "certificate: no CERTIFICATE in the PEM");
    return 0;
}

int load_key(br_server *t, const unsigned char *p, size_t n, char *err, size_t el)
{
    unsigned char der[4096];
    size_t len = n;
    const unsigned char *k = p;
    if (tls_is_pem(p, n)) {
        size_t at = 0;
        char name[128];
        int r;
        while ((r = pem_next(p, n, &at, name, sizeof(name), der, sizeof(der), &len)) > 0 && !strstr(name, "PRIVATE KEY")) {
            if (!strcmp(name, "CERTIFICATE")) return tls_say(err, el, "key: not a key (a CERTIFICATE)");
            if (!strcmp(name, "EC PARAMETERS")) continue;
        }
        if (r <= 0) return tls_say(err, el, "key: not a key (no PRIVATE KEY in the PEM)");
        k = der;
    }
    br_skey_decoder_init(&t->key);
    br_skey_decoder_push(&t->key, k, len);
    int e = br_skey_decoder_last_error(&t->key);
    if (e || !br_skey_decoder_key_type(&t->key)) return tls_say(err, el, "key: not a key (BearSSL error %d)", e);
    t->key_type = br_skey_decoder_key_type(&t->key);
    if (t->key_type == BR_KEYTYPE_EC && br_skey_decoder_get_ec(&t->key)->curve != BR_EC_secp256r1)
        return tls_say(err, el, "key: unsupported curve (%d): P-256 only", br_skey_decoder_get_ec(&t->key)->curve);
    if (t->key_type == BR_KEYTYPE_RSA && br_skey_decoder_get_rsa(&t->key)->n_bitlen < 2048)
        return tls_say(err, el, "key: RSA of %u bits: 2048 at least", br_skey_decoder_get_rsa(&t->key)->n_bitlen);
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
int check_pair(br_server *t, char *err, size_t el)
{
    br_x509_decoder_context xd;
    br_x509_decoder_init(&xd, 0, 0);
    br_x509_decoder_push(&xd, t->chain[0].data, t->chain[0].data_len);
    const br_x509_pkey *pk = br_x509_decoder_get_pkey(&xd);
    if (!pk) return tls_say(err, el, "certificate: not a certificate (BearSSL error %d)", br_x509_decoder_last_error(&xd));
    t->issuer_type = (unsigned)br_x509_decoder_get_signer_key_type(&xd);
    if (pk->key_type == BR_KEYTYPE_EC && pk->key.ec.curve != BR_EC_secp256r1)
        return tls_say(err, el, "certificate: unsupported curve (%d): P-256 only", pk->key.ec.curve);
    if (pk->key_type != t->key_type) return tls_say(err, el, "key and certificate do not match (%s key, %s certificate)",
                                               t->key_type == BR_KEYTYPE_EC ? "EC" : "RSA", pk->key_type == BR_KEYTYPE_EC ? "EC" : "RSA");
    if (t->key_type == BR_KEYTYPE_EC) {
        unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
        br_ec_public_key pub;
        size_t ql = br_ec_compute_pub(br_ec_get_default(), &pub, q, br_skey_decoder_get_ec(&t->key));
        if (!ql || ql != pk->key.ec.qlen || memcmp(q, pk->key.ec.q, ql))
            return tls_say(err, el, "key and certificate do not match");
    } else {
        unsigned char n[512];
        const br_rsa_private_key *sk = br_skey_decoder_get_rsa(&t->key);
        br_rsa_compute_modulus mod = br_rsa_compute_modulus_get_default();
        if ((sk->n_bitlen + 7) / 8 > sizeof(n)) return tls_say(err, el, "key: RSA of %u bits: 4096 at most", sk->n_bitlen);
        size_t nl = mod(n, sk);
        if (!nl || !same_int(n, nl, pk->key.rsa.n, pk->key.rsa.nlen)) return tls_say(err, el, "key and certificate do not match");
    }
    return 0;
}

/* ECDHE, AEAD; ChaCha20 first unless the CPU has AES instructions. */
void choose_suites(br_server *t)
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

/* ---- resumption: a session-ID cache the processes share -----------------
 * TLS 1.2 sessions by their ID, NM_TLS_SESSIONS of them, the least
 * recently used given up for a new one. One mapping, MAP_SHARED, made at
 * the first nm_tls_bearssl (before nm_run forks a process model's
 * workers), so that a session one worker made resumes on another; a
 * process-shared lock (robust: a worker that dies holding it does not stop
 * the others). A session resumes only with the certificate it was made
 * with (its server's slot). */
struct sess_entry {
    int server;   /* its nm_tls's slot, or -1: empty */
    unsigned long used;
    br_ssl_session_parameters p;
};

struct sess_cache {
    pthread_mutex_t lock;
    unsigned long clock;
    sess_entry e[NM_TLS_SESSIONS];
};

sess_cache *cache;   /* NULL: no mapping (resumption off) */

void cache_map()
{
    if (cache || !NM_TLS_SESSIONS) return;
    void *p = mmap(0, sizeof(sess_cache), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return;
    sess_cache *k = (sess_cache *)p;
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&k->lock, &a);
    pthread_mutexattr_destroy(&a);
    for (int i = 0; i < NM_TLS_SESSIONS; i++) k->e[i].server = -1;
    cache = k;
}

void cache_lock()
{
    if (pthread_mutex_lock(&cache->lock) == EOWNERDEAD) pthread_mutex_consistent(&cache->lock);
}

/* The connection whose BearSSL context this is, and its server's slot. */
tls_conn *conn_of(br_ssl_server_context *sc);
int server_of(br_ssl_server_context *sc);


void cache_save(const br_ssl_session_cache_class **, br_ssl_server_context *sc, const br_ssl_session_parameters *p)
{
    int server = server_of(sc);
    conn_of(sc)->saved = 1;
    cache_lock();
    sess_entry *to = &cache->e[0];
    for (int i = 0; i < NM_TLS_SESSIONS; i++) {
        sess_entry *e = &cache->e[i];
        if (e->server == server && !memcmp(e->p.session_id, p->session_id, sizeof(p->session_id))) {
            to = e;
            break;
        }
        if (e->used < to->used) to = e;   /* (an empty one's is 0) */
    }
    to->server = server;
    to->used = ++cache->clock;
    to->p = *p;
    pthread_mutex_unlock(&cache->lock);
}

int cache_load(const br_ssl_session_cache_class **, br_ssl_server_context *sc, br_ssl_session_parameters *p)
{
    int server = server_of(sc), found = 0;
    cache_lock();
    for (int i = 0; i < NM_TLS_SESSIONS && !found; i++) {
        sess_entry *e = &cache->e[i];
        if (e->server != server || memcmp(e->p.session_id, p->session_id, sizeof(p->session_id))) continue;
        e->used = ++cache->clock;
        *p = e->p;
        found = 1;
    }
    pthread_mutex_unlock(&cache->lock);
    return found;
}

const br_ssl_session_cache_class cache_class = { sizeof(br_ssl_session_cache_class *), cache_save, cache_load };
const br_ssl_session_cache_class *cache_vtable = &cache_class;

/* A slot's sessions gone: another pair is loaded into it. */
void cache_forget(int server)
{
    if (!cache) return;
    cache_lock();
    for (int i = 0; i < NM_TLS_SESSIONS; i++)
        if (cache->e[i].server == server) cache->e[i].server = -1, cache->e[i].used = 0;
    pthread_mutex_unlock(&cache->lock);
}

/* A connection's context resumes through the cache, when there is one. */
void cache_use(br_ssl_server_context *sc)
{
    if (cache) br_ssl_server_set_cache(sc, &cache_vtable);
}

/* ---- replacing the certificate and key -------------------------------- *
 * A connection takes the pair current when it opens and keeps it (its
 * server context points into it); a pair that is replaced stays until the
 * last connection using it ends. One lock for all: it is held for a count. */
pthread_mutex_t pair_lock = PTHREAD_MUTEX_INITIALIZER;

nm_tls *pair_take(nm_tls *t)
{
    pthread_mutex_lock(&pair_lock);
    nm_tls *p = br_of(t)->pair ? br_of(t)->pair : t;
    br_of(p)->users++;
    pthread_mutex_unlock(&pair_lock);
    return p;
}

/* p no longer current (nor t's own): its slot back once nobody uses it. */
void pair_drop_if_unused(nm_tls *t, nm_tls *p)
{
    if (p != t && p != br_of(t)->pair && !br_of(p)->users) tls_server_free(p);
}

void pair_give(nm_tls *t, nm_tls *p)
{
    pthread_mutex_lock(&pair_lock);
    br_of(p)->users--;
    pair_drop_if_unused(t, p);
    pthread_mutex_unlock(&pair_lock);
}

void pair_set(nm_tls *t, nm_tls *n)
{
    pthread_mutex_lock(&pair_lock);
    nm_tls *old = br_of(t)->pair ? br_of(t)->pair : t;
    br_of(t)->pair = n;
    pair_drop_if_unused(t, old);
    pthread_mutex_unlock(&pair_lock);
}

/* ---- the transport ------------------------------------------------------ */

br_ssl_engine_context *eng(void *st) { return &((tls_conn *)st)->sc.eng; }

tls_conn *conn_of(br_ssl_server_context *sc) { return (tls_conn *)((char *)sc - offsetof(tls_conn, sc)); }

int server_of(br_ssl_server_context *sc) { return tls_index(conn_of(sc)->pair); }

void *tls_open(void *ctx)
{
    nm_tls *t = (nm_tls *)ctx;
    tls_conn *c = (tls_conn *)tls_slot_claim(conns, sizeof(conns[0]), NM_TLS_CONNS, t);
    if (!c) return 0;
    c->t = t;
    c->pair = pair_take(t);
    c->done = c->saved = 0;
    br_server *b = br_of(c->pair);
    if (b->key_type == BR_KEYTYPE_EC)
        br_ssl_server_init_full_ec(&c->sc, b->chain, b->chain_count, b->issuer_type, br_skey_decoder_get_ec(&b->key));
    else
        br_ssl_server_init_full_rsa(&c->sc, b->chain, b->chain_count, br_skey_decoder_get_rsa(&b->key));
    br_ssl_engine_context *e = &c->sc.eng;
    br_ssl_engine_set_versions(e, BR_TLS12, BR_TLS12);
    br_ssl_engine_set_suites(e, b->suites, 3);
    br_ssl_engine_add_flags(e, BR_OPT_ENFORCE_SERVER_PREFERENCES | BR_OPT_NO_RENEGOTIATION);
    br_ssl_engine_set_protocol_names(e, alpn, 1);
    br_ssl_engine_set_buffer(e, c->io, sizeof(c->io), 1);
    cache_use(&c->sc);
    unsigned char seed[32];
    if (getrandom(seed, sizeof(seed), 0) != (ssize_t)sizeof(seed) || !br_ssl_server_reset(&c->sc)) {
        pair_give(t, c->pair);
        tls_slot_free(&c->in_use);
        tls_count(&t->stats.bad);
        return 0;
    }
    br_ssl_engine_inject_entropy(e, seed, sizeof(seed));
    return c;
}

void tls_release(void *, void *st, int why)
{
    tls_conn *c = (tls_conn *)st;
    int e = br_ssl_engine_last_error(&c->sc.eng);
    tls_count_end(c->t, why, e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT ? TLS_END_ALERT : e ? TLS_END_BAD : TLS_END_CLEAN,
                  c->done);
    pair_give(c->t, c->pair);
    tls_slot_free(&c->in_use);
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
        tls_count(&c->t->stats.handshakes);
        if (cache && !c->saved) tls_count(&c->t->stats.resumed);
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

/* (stack 0: a fiber served 0.5 KB deeper over BearSSL than plain) */
const nm_transport_ops bearssl_ops = { "bearssl", tls_open, tls_release, tls_buf, tls_ack, tls_flush, tls_close, tls_state, 0 };

}

extern "C" nm_tls *nm_tls_bearssl(const void *chain, size_t chain_len, const void *key, size_t key_len, char *err,
                                  size_t err_len)
{
    nm_tls *t = tls_server_claim(&bearssl_ops, err, err_len);
    if (!t) return 0;
    br_server *b = &servers[tls_index(t)];
    if (load_chain(b, (const unsigned char *)chain, chain_len, err, err_len) ||
        load_key(b, (const unsigned char *)key, key_len, err, err_len) || check_pair(b, err, err_len)) {
        tls_server_free(t);
        return 0;
    }
    choose_suites(b);
    b->pair = 0;
    b->users = 0;
    cache_map();
    cache_forget(tls_index(t));   /* (a slot a replaced pair left) */
    return t;
}

/* nm_tls_replace and nm_tls_sni for this engine (common.cpp asks). */
int tls_bearssl_replace(nm_tls *t, const void *chain, size_t chain_len, const void *key, size_t key_len, char *err,
                        size_t err_len)
{
    nm_tls *n = nm_tls_bearssl(chain, chain_len, key, key_len, err, err_len);
    if (!n) return -1;
    pair_set(t, n);
    return 0;
}

const char *tls_bearssl_sni(const void *st)
{
    if (!tls_slot_of(conns, sizeof(conns), st)) return 0;   /* (another engine's) */
    const char *name = br_ssl_engine_get_server_name(&((const tls_conn *)st)->sc.eng);
    return name && *name ? name : 0;
}

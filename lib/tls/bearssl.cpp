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

/* ---- client certificates ------------------------------------------------
 * (none built with NM_TLS_CLIENT_CAS 0: a connection's slot keeps no
 * verifier then, nm_tls_client_ca says so)
 * A server's trust anchors (nm_tls_client_ca), at its nm_tls's index: their
 * names and keys copied out of the certificates. */
#if NM_TLS_CLIENT_CAS
struct br_client {
    br_x509_trust_anchor tas[NM_TLS_CLIENT_CAS];
    size_t count;
    unsigned char data[NM_TLS_CHAIN_BYTES / 2];   /* their DNs and keys */
    size_t used;
};

br_client clients[NM_TLS_SERVERS];

/* A connection's X.509 engine: BearSSL's minimal one, wrapped to judge the
 * dates against our clock (the clock unset: refused, or each certificate
 * judged at its own notBefore when any clock goes), to fail a handshake
 * whose certificate does not verify even where none is required
 * (BR_OPT_TOLERATE_NO_CLIENT_AUTH alone would serve it as if it had given
 * none), and to take the subject's CN and O. */
struct verifier {
    const br_x509_class *vtable;
    br_x509_minimal_context xm;
    br_x509_decoder_context xd;   /* the certificate's dates (TLS_CLOCK_ANY) */
    br_name_element names[2];
    char name[2][256];   /* CN and O as BearSSL gives them (a longer one it gives not at all) */
    int clock;      /* TLS_CLOCK_* */
    int dated;      /* the current certificate's time given to xm */
    int tolerate;   /* none required */
    int kind;       /* TLS_END_* of a certificate refused, or 0 */
    tls_peer peer;
};
#else
struct verifier {
    int kind;
    struct {
        int verified;
    } peer;
};
#endif

struct tls_conn {
    int in_use;
    int done;   /* its handshake finished (counted) */
    int saved;  /* its session went into the cache: a full handshake, not a resumed one */
    nm_tls *t;
    nm_tls *pair;   /* whose certificate and key it was opened with (t's, or a replacement's) */
    br_ssl_server_context sc;
    verifier v;
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

/* Where certificates go: their DER in der (room bytes), each in certs (at
 * most max, named max_name in an error); what they are in an error. */
struct cert_sink {
    br_x509_certificate *certs;
    size_t max, count;
    unsigned char *der;
    size_t room, len;
    const char *what, *max_name;
};

/* PEM (CERTIFICATE blocks, the others skipped) or one DER certificate. */
int load_certs(cert_sink *k, const unsigned char *p, size_t n, char *err, size_t el)
{
    k->count = k->len = 0;
    if (!tls_is_pem(p, n)) {
        if (n > k->room) return tls_say(err, el, "%s: %zu bytes, more than NM_TLS_CHAIN_BYTES (%d)", k->what, n, NM_TLS_CHAIN_BYTES);
        memcpy(k->der, p, n);
        k->certs[0].data = k->der;
        k->certs[0].data_len = n;
        k->count = 1;
        k->len = n;
        return 0;
    }
    size_t at = 0;
    for (;;) {
        char name[128];
        size_t len = 0;
        int r = pem_next(p, n, &at, name, sizeof(name), k->der + k->len, k->room - k->len, &len);
        if (r < 0) return tls_say(err, el, "%s: malformed PEM, or past NM_TLS_CHAIN_BYTES (%d)", k->what, NM_TLS_CHAIN_BYTES);
        if (!r) break;
        if (strcmp(name, "CERTIFICATE")) {
            if (strstr(name, "PRIVATE KEY")) return tls_say(err, el, "%s: not a certificate (a %s)", k->what, name);
            continue;
        }
        if (k->count == k->max) return tls_say(err, el, "%s: more than %s (%zu)", k->what, k->max_name, k->max);
        k->certs[k->count].data = k->der + k->len;
        k->certs[k->count].data_len = len;
        k->count++;
        k->len += len;
    }
    if (!k->count) return tls_say(err, el, "%s: no CERTIFICATE in the PEM", k->what);
    return 0;
}

int load_chain(br_server *t, const unsigned char *p, size_t n, char *err, size_t el)
{
    cert_sink k = { t->chain, NM_TLS_CHAIN_CERTS, 0, t->der, sizeof(t->der), 0, "certificate", "NM_TLS_CHAIN_CERTS" };
    int r = load_certs(&k, p, n, err, el);
    t->chain_count = k.count;
    t->der_len = k.len;
    return r;
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

/* ---- client certificates: the anchors, the verifier ------------------------ */
#if NM_TLS_CLIENT_CAS

/* The anchors' room: n bytes of data, or NULL. */
unsigned char *anchor_room(br_client *cl, size_t n)
{
    if (n > sizeof(cl->data) - cl->used) return 0;
    cl->used += n;
    return cl->data + cl->used - n;
}

unsigned char *anchor_copy(br_client *cl, const unsigned char *p, size_t n)
{
    unsigned char *to = anchor_room(cl, n);
    if (to) memcpy(to, p, n);
    return to;
}

void dn_append(void *ctx, const void *buf, size_t n)
{
    br_client *cl = (br_client *)ctx;
    unsigned char *to = anchor_room(cl, n);
    br_x500_name *dn = &cl->tas[cl->count].dn;
    if (!to) dn->data = 0;
    else if (dn->data) memcpy(to, buf, n), dn->len += n;
}

/* A certificate as a trust anchor (its subject's name and its key). */
int add_anchor(br_client *cl, const br_x509_certificate *c, char *err, size_t el)
{
    br_x509_trust_anchor *ta = &cl->tas[cl->count];
    br_x509_decoder_context xd;
    ta->dn.data = cl->data + cl->used;
    ta->dn.len = 0;
    br_x509_decoder_init(&xd, dn_append, cl);
    br_x509_decoder_push(&xd, c->data, c->data_len);
    const br_x509_pkey *pk = br_x509_decoder_get_pkey(&xd);
    if (!pk) return tls_say(err, el, "client CA: not a certificate (BearSSL error %d)", br_x509_decoder_last_error(&xd));
    ta->flags = BR_X509_TA_CA;
    ta->pkey = *pk;
    int room;
    if (pk->key_type == BR_KEYTYPE_EC) {
        room = !!(ta->pkey.key.ec.q = anchor_copy(cl, pk->key.ec.q, pk->key.ec.qlen));
    } else {
        room = (ta->pkey.key.rsa.n = anchor_copy(cl, pk->key.rsa.n, pk->key.rsa.nlen)) &&
               (ta->pkey.key.rsa.e = anchor_copy(cl, pk->key.rsa.e, pk->key.rsa.elen));
    }
    if (!ta->dn.data || !room) return tls_say(err, el, "client CA: names and keys past NM_TLS_CHAIN_BYTES / 2 (%d)", NM_TLS_CHAIN_BYTES / 2);
    cl->count++;
    return 0;
}

verifier *ver(const br_x509_class **ctx) { return (verifier *)(void *)ctx; }

void v_start_chain(const br_x509_class **ctx, const char *server_name)
{
    verifier *v = ver(ctx);
    v->kind = 0;
    v->xm.vtable->start_chain(&v->xm.vtable, server_name);
}

void v_start_cert(const br_x509_class **ctx, uint32_t length)
{
    verifier *v = ver(ctx);
    if (v->clock == TLS_CLOCK_ANY) br_x509_decoder_init(&v->xd, 0, 0);
    v->dated = 0;
    v->xm.vtable->start_cert(&v->xm.vtable, length);
}

/* Any clock goes: xm judges each certificate at its own notBefore, known
 * from xd as soon as its bytes are (xd reads them first). */
void v_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
    verifier *v = ver(ctx);
    if (v->clock == TLS_CLOCK_ANY && !v->dated) {
        br_x509_decoder_push(&v->xd, buf, len);
        if (v->xd.notbefore_days) {
            br_x509_minimal_set_time(&v->xm, v->xd.notbefore_days, v->xd.notbefore_seconds);
            v->dated = 1;
        }
    }
    v->xm.vtable->append(&v->xm.vtable, buf, len);
}

void v_end_cert(const br_x509_class **ctx) { ver(ctx)->xm.vtable->end_cert(&ver(ctx)->xm.vtable); }

unsigned v_end_chain(const br_x509_class **ctx)
{
    verifier *v = ver(ctx);
    unsigned e = v->xm.vtable->end_chain(&v->xm.vtable);
    if (v->clock == TLS_CLOCK_UNSET && (!e || e == BR_ERR_X509_EXPIRED)) v->kind = TLS_END_CLOCK;
    else if (e) v->kind = e == BR_ERR_X509_EXPIRED ? TLS_END_EXPIRED : TLS_END_UNTRUSTED;
    if (!v->kind) {
        v->peer.verified = 1;
        tls_peer_name(v->peer.cn, v->name[0], v->names[0].status == 1 ? strlen(v->name[0]) : 0);
        tls_peer_name(v->peer.org, v->name[1], v->names[1].status == 1 ? strlen(v->name[1]) : 0);
        return 0;
    }
    /* refused: where none is required, BearSSL would go on as if none was
     * given; it is told the chain is good but gets a key that may not sign,
     * and fails at the client's CertificateVerify */
    return v->tolerate ? 0 : e ? e : BR_ERR_X509_TIME_UNKNOWN;
}

const br_x509_pkey no_key = {};

const br_x509_pkey *v_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
    verifier *v = ver((const br_x509_class **)ctx);
    if (!v->kind) return v->xm.vtable->get_pkey(&v->xm.vtable, usages);
    if (usages) *usages = 0;
    return &no_key;
}

const br_x509_class verifier_class = { sizeof(verifier), v_start_chain, v_start_cert, v_append, v_end_cert, v_end_chain, v_get_pkey };

const unsigned char oid_cn[] = { 3, 0x55, 0x04, 0x03 }, oid_org[] = { 3, 0x55, 0x04, 0x0a };

/* A connection of a server that asks for client certificates: its
 * verifier, the anchors' names in its CertificateRequest. */
void verifier_use(tls_conn *c)
{
    verifier *v = &c->v;
    br_client *cl = &clients[tls_index(c->t)];
    long long now;
    v->vtable = &verifier_class;
    br_x509_minimal_init_full(&v->xm, cl->tas, cl->count);
    v->clock = tls_clock(c->t, &now);
    if (now < 0) now = 0;
    br_x509_minimal_set_time(&v->xm, (uint32_t)(now / 86400 + 719528), (uint32_t)(now % 86400));   /* (days from 0 AD) */
    v->names[0] = { oid_cn, v->name[0], sizeof(v->name[0]), 0 };
    v->names[1] = { oid_org, v->name[1], sizeof(v->name[1]), 0 };
    br_x509_minimal_set_name_elements(&v->xm, v->names, 2);
    v->tolerate = !tls_client_flag(c->t, NM_TLS_CLIENT_REQUIRED);
    br_ssl_engine_context *e = &c->sc.eng;
    br_ssl_engine_set_x509(e, &v->vtable);
    br_ssl_engine_set_default_rsavrfy(e);
    br_ssl_engine_set_default_ecdsa(e);
    br_ssl_server_set_trust_anchor_names_alt(&c->sc, cl->tas, cl->count);
    if (v->tolerate) br_ssl_engine_add_flags(e, BR_OPT_TOLERATE_NO_CLIENT_AUTH);
}
#else
void verifier_use(tls_conn *) {}
#endif

/* How a connection ended, by its engine's error. */
int end_kind(tls_conn *c, int e)
{
    if (c->v.kind) return c->v.kind;
    if (e == BR_ERR_NO_CLIENT_AUTH) return TLS_END_MISSING;
    if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT) return TLS_END_ALERT;
    return e ? TLS_END_BAD : TLS_END_CLEAN;
}

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
    c->v.kind = c->v.peer.verified = 0;
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
    if (t->client) verifier_use(c);   /* (and no resumption: a session does not keep the client's certificate) */
    else cache_use(&c->sc);
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
    tls_count_end(c->t, why, end_kind(c, e), c->done);
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
        if (cache && !c->saved && !c->t->client) tls_count(&c->t->stats.resumed);
        if (c->v.peer.verified) tls_count(&c->t->stats.peers);
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
    if (!tls_slot_of(st, conns, sizeof(conns[0]), NM_TLS_CONNS)) return 0;   /* (another engine's) */
    const char *name = br_ssl_engine_get_server_name(&((const tls_conn *)st)->sc.eng);
    return name && *name ? name : 0;
}

#if NM_TLS_CLIENT_CAS
int tls_bearssl_client_ca(nm_tls *t, const void *ca, size_t ca_len, char *err, size_t err_len)
{
    br_x509_certificate certs[NM_TLS_CLIENT_CAS];
    unsigned char der[NM_TLS_CHAIN_BYTES];
    cert_sink k = { certs, NM_TLS_CLIENT_CAS, 0, der, sizeof(der), 0, "client CA", "NM_TLS_CLIENT_CAS" };
    br_client *cl = &clients[tls_index(t)];
    cl->count = cl->used = 0;
    if (load_certs(&k, (const unsigned char *)ca, ca_len, err, err_len)) return -1;
    for (size_t i = 0; i < k.count; i++)
        if (add_anchor(cl, &certs[i], err, err_len)) return cl->count = 0, -1;
    return 0;
}

const tls_peer *tls_bearssl_peer(const void *st)
{
    return tls_slot_of(st, conns, sizeof(conns[0]), NM_TLS_CONNS) ? &((const tls_conn *)st)->v.peer : 0;
}
#endif

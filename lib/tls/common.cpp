/* common.cpp - what the engines share (tls_common.h), and the calls of
 * nm_tls.h that are not an engine's own. */
#include "tls_common.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

namespace {
/* The servers' TLS, their counters with them, in one shared mapping made
 * at the first claim (before a process model forks): every worker counts
 * into the same counters, and the /stats any of them answers is the sum,
 * as the server's own counters are (procs/procs.h). */
nm_tls *servers;

nm_tls *mapped(char *err, size_t el)
{
    nm_tls *have = __atomic_load_n(&servers, __ATOMIC_ACQUIRE);
    if (have) return have;
    void *p = mmap(0, sizeof(nm_tls) * NM_TLS_SERVERS, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        tls_say(err, el, "no shared memory for the TLS servers' counters (%zu bytes)", sizeof(nm_tls) * NM_TLS_SERVERS);
        return 0;
    }
    if (__atomic_compare_exchange_n(&servers, &have, (nm_tls *)p, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) return (nm_tls *)p;
    munmap(p, sizeof(nm_tls) * NM_TLS_SERVERS);   /* (another thread's came first) */
    return have;
}

int claim(int *in_use)
{
    int free_slot = 0;
    return __atomic_compare_exchange_n(in_use, &free_slot, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}
}

nm_tls *tls_server_claim(const nm_transport_ops *ops, char *err, size_t el)
{
    if (!mapped(err, el)) return 0;
    for (int i = 0; i < NM_TLS_SERVERS; i++) {
        if (!claim(&servers[i].in_use)) continue;
        servers[i].ops = ops;
        memset(&servers[i].stats, 0, sizeof(servers[i].stats));
        return &servers[i];
    }
    tls_say(err, el, "no room for another certificate (NM_TLS_SERVERS, %d)", NM_TLS_SERVERS);
    return 0;
}

void tls_server_free(nm_tls *t) { tls_slot_free(&t->in_use); }

int tls_index(const nm_tls *t) { return (int)(t - servers); }

void *tls_slot_claim(void *base, size_t size, int count, nm_tls *t)
{
    for (int i = 0; i < count; i++) {
        int *in_use = (int *)((char *)base + (size_t)i * size);
        if (claim(in_use)) return in_use;
    }
    tls_count(&t->stats.refused);
    return 0;
}

int tls_slot_of(const void *st, const void *base, size_t size, int count)
{
    const char *a = (const char *)st, *b = (const char *)base;
    return a >= b && a < b + (size_t)count * size;
}

void tls_slot_free(int *in_use) { __atomic_store_n(in_use, 0, __ATOMIC_RELEASE); }

void tls_count(unsigned long *n) { __atomic_fetch_add(n, 1ul, __ATOMIC_RELAXED); }

void tls_count_end(nm_tls *t, int why, int kind, int done)
{
    nm_tls_stats *s = &t->stats;
    if (why == NM_TRANSPORT_CUT) tls_count(&s->cut);
    else if (kind == TLS_END_ALERT) tls_count(&s->alerts);
    else if (kind == TLS_END_BAD) tls_count(&s->bad);
    else if (kind == TLS_END_UNTRUSTED) tls_count(&s->peer_untrusted);
    else if (kind == TLS_END_EXPIRED) tls_count(&s->peer_expired);
    else if (kind == TLS_END_MISSING) tls_count(&s->peer_missing);
    else if (kind == TLS_END_CLOCK) tls_count(&s->clock_unset);
    else if (!done) tls_count(&s->aborted);
}

int tls_say(char *err, size_t len, const char *fmt, ...)
{
    if (err && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, len, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int tls_client_flag(const nm_tls *t, int flag) { return (t->client >> 1) & flag; }

int tls_clock(const nm_tls *t, long long *now)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    *now = (long long)ts.tv_sec;
    if (*now >= NM_TLS_TIME_FLOOR) return TLS_CLOCK_SET;
    return tls_client_flag(t, NM_TLS_CLIENT_ANY_CLOCK) ? TLS_CLOCK_ANY : TLS_CLOCK_UNSET;
}

void tls_peer_name(char *to, const char *s, size_t n)
{
    if (n > NM_TLS_PEER_NAME - 1) {
        n = NM_TLS_PEER_NAME - 1;
        while (n && ((unsigned char)s[n] & 0xc0) == 0x80) n--;   /* (not inside a character) */
    }
    memcpy(to, s, n);
    to[n] = 0;
}

int tls_certs_check(const void *p, size_t n, const char *what, char *err, size_t el)
{
    if (!tls_is_pem(p, n) || tls_pem_has(p, n, "CERTIFICATE")) return 0;
    if (tls_pem_has(p, n, "PRIVATE KEY")) return tls_say(err, el, "%s: not a certificate (a PRIVATE KEY)", what);
    return tls_say(err, el, "%s: no CERTIFICATE in the PEM", what);
}

int tls_is_pem(const void *p, size_t n) { return n >= 11 && memmem(p, n, "-----BEGIN ", 11); }

int tls_pem_has(const void *p, size_t n, const char *label)
{
    const char *s = (const char *)p, *end = s + n;
    size_t ll = strlen(label);
    while (s < end && (s = (const char *)memmem(s, (size_t)(end - s), "-----BEGIN ", 11))) {
        s += 11;
        const char *e = (const char *)memmem(s, (size_t)(end - s), "-----", 5);
        if (!e) return 0;
        if ((size_t)(e - s) >= ll && !memcmp(e - ll, label, ll)) return 1;
        s = e + 5;
    }
    return 0;
}

extern "C" void nm_tls_use(nm_config *cfg, nm_tls *t) { nm_config_transport(cfg, t ? t->ops : 0, t); }

extern "C" const char *nm_tls_engine(const nm_tls *t) { return t->ops->name; }

extern "C" void nm_tls_get_stats(const nm_tls *t, nm_tls_stats *out)
{
    const unsigned long *from = &t->stats.handshakes;
    unsigned long *to = &out->handshakes;
    for (size_t i = 0; i < sizeof(*out) / sizeof(unsigned long); i++) to[i] = __atomic_load_n(from + i, __ATOMIC_RELAXED);
}

extern "C" int nm_tls_replace(nm_tls *t, const void *chain, size_t chain_len, const void *key, size_t key_len,
                              char *err, size_t err_len)
{
    if (!strcmp(t->ops->name, "bearssl") && tls_bearssl_replace)
        return tls_bearssl_replace(t, chain, chain_len, key, key_len, err, err_len);
    if (!strcmp(t->ops->name, "wolfssl") && tls_wolfssl_replace)
        return tls_wolfssl_replace(t, chain, chain_len, key, key_len, err, err_len);
    return tls_say(err, err_len, "the %s engine cannot replace its certificate while serving", t->ops->name);
}

extern "C" const char *nm_tls_sni(const nm_request *req)
{
    const void *st = nm_transport_state(req);
    const char *name = st && tls_bearssl_sni ? tls_bearssl_sni(st) : 0;
    return name || !st || !tls_wolfssl_sni ? name : tls_wolfssl_sni(st);
}

extern "C" int nm_tls_client_ca(nm_tls *t, const void *ca, size_t ca_len, int flags, char *err, size_t err_len)
{
    if (flags & ~(NM_TLS_CLIENT_REQUIRED | NM_TLS_CLIENT_ANY_CLOCK))
        return tls_say(err, err_len, "client CA: unknown flags %#x", (unsigned)flags);
    if (!NM_TLS_CLIENT_CAS) return tls_say(err, err_len, "client CA: built without client certificates (NM_TLS_CLIENT_CAS 0)");
    if (tls_certs_check(ca, ca_len, "client CA", err, err_len)) return -1;
    int r = -1;
    t->client = 1 | flags << 1;   /* (the engine reads the flags) */
    if (!strcmp(t->ops->name, "bearssl") && tls_bearssl_client_ca) r = tls_bearssl_client_ca(t, ca, ca_len, err, err_len);
    else if (!strcmp(t->ops->name, "wolfssl") && tls_wolfssl_client_ca) r = tls_wolfssl_client_ca(t, ca, ca_len, err, err_len);
    else tls_say(err, err_len, "the %s engine has no client certificates", t->ops->name);
    if (r) t->client = 0;
    return r;
}

extern "C" int nm_tls_peer(const nm_request *req, const char **cn, const char **org)
{
    const void *st = nm_transport_state(req);
    const tls_peer *p = 0;
    if (st && tls_bearssl_peer) p = tls_bearssl_peer(st);
    if (st && !p && tls_wolfssl_peer) p = tls_wolfssl_peer(st);
    if (!p || !p->verified) return 0;
    *cn = p->cn[0] ? p->cn : 0;
    *org = p->org[0] ? p->org : 0;
    return 1;
}

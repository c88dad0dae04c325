/* common.cpp - what the engines share (tls_common.h), and the calls of
 * nm_tls.h that are not an engine's own. */
#include "tls_common.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

namespace {
nm_tls servers[NM_TLS_SERVERS];

int claim(int *in_use)
{
    int free_slot = 0;
    return __atomic_compare_exchange_n(in_use, &free_slot, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}
}

nm_tls *tls_server_claim(const nm_transport_ops *ops, char *err, size_t el)
{
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

void tls_slot_free(int *in_use) { __atomic_store_n(in_use, 0, __ATOMIC_RELEASE); }

int tls_slot_of(const void *base, size_t bytes, const void *st)
{
    return (uintptr_t)st >= (uintptr_t)base && (uintptr_t)st < (uintptr_t)base + bytes;
}

void tls_count(unsigned long *n) { __atomic_fetch_add(n, 1ul, __ATOMIC_RELAXED); }

void tls_count_end(nm_tls *t, int why, int kind, int done)
{
    nm_tls_stats *s = &t->stats;
    if (why == NM_TRANSPORT_CUT) tls_count(&s->cut);
    else if (kind == TLS_END_ALERT) tls_count(&s->alerts);
    else if (kind == TLS_END_BAD) tls_count(&s->bad);
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

/* openssl_adapter.cpp - OpenSSL (Debian's libssl, test code only) behind
 * the transport API of netmodels.h, over two memory BIOs a connection: the
 * proof that the public API is enough for an engine that is not BearSSL.
 * Built against the installed headers alone (the Makefile gives it no
 * other -I: no lib/, no internal header), linked into nmserve_openssl,
 * whose --tls-cert and --tls-key it serves (nmserve_transport, below).
 *
 * The four buffers: NET_IN is a buffer of ours whose bytes go into the
 * read BIO at their ack; NET_OUT is what the write BIO holds, copied out a
 * piece at a time; PLAIN_IN is filled by SSL_read when empty (the
 * handshake driven first); PLAIN_OUT gathers the answers' plaintext until
 * flush hands it to SSL_write. */
#include "netmodels.h"
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <string.h>

namespace {

enum { CONNS = 128, BUF = 16384 };

struct ossl_conn {
    int in_use;
    SSL *ssl;
    BIO *rbio, *wbio;   /* the socket's bytes in; the records for the socket */
    int failed, closed;
    unsigned char net_in[BUF];
    unsigned char net_out[BUF];
    size_t out_len, out_off;
    unsigned char plain_in[BUF];
    size_t in_len, in_off;
    unsigned char plain_out[BUF];
    size_t plain_out_len;
};

ossl_conn conns[CONNS];
SSL_CTX *ctx;

/* After a call that moved nothing: a fatal error, or the peer's close_notify. */
void note(ossl_conn *c, int r)
{
    switch (SSL_get_error(c->ssl, r)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE: break;
    case SSL_ERROR_ZERO_RETURN: c->closed = 1; break;
    default: c->failed = c->closed = 1;
    }
    ERR_clear_error();
}

/* The handshake as far as the bytes given allow, then plaintext into
 * PLAIN_IN while it is empty. */
void advance(ossl_conn *c)
{
    if (c->closed) return;
    if (!SSL_is_init_finished(c->ssl)) {
        int r = SSL_do_handshake(c->ssl);
        if (r != 1) return note(c, r);
    }
    if (c->in_off == c->in_len) {
        c->in_off = c->in_len = 0;
        int r = SSL_read(c->ssl, c->plain_in, sizeof(c->plain_in));
        if (r > 0) c->in_len = (size_t)r;
        else note(c, r);
    }
}

void *ossl_open(void *)
{
    for (int i = 0; i < CONNS; i++) {
        ossl_conn *c = &conns[i];
        int free_slot = 0;
        if (!__atomic_compare_exchange_n(&c->in_use, &free_slot, 1, 0, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) continue;
        c->ssl = SSL_new(ctx);
        c->rbio = BIO_new(BIO_s_mem());
        c->wbio = BIO_new(BIO_s_mem());
        if (!c->ssl || !c->rbio || !c->wbio) {
            SSL_free(c->ssl);
            BIO_free(c->rbio);
            BIO_free(c->wbio);
            __atomic_store_n(&c->in_use, 0, __ATOMIC_RELEASE);
            return 0;
        }
        SSL_set_bio(c->ssl, c->rbio, c->wbio);   /* (the SSL owns them now) */
        SSL_set_accept_state(c->ssl);
        c->failed = c->closed = 0;
        c->out_len = c->out_off = c->in_len = c->in_off = c->plain_out_len = 0;
        return c;
    }
    return 0;   /* refused: every slot taken */
}

void ossl_release(void *, void *st, int)
{
    ossl_conn *c = (ossl_conn *)st;
    SSL_free(c->ssl);
    c->ssl = 0;
    __atomic_store_n(&c->in_use, 0, __ATOMIC_RELEASE);
}

unsigned char *ossl_buf(void *st, int which, size_t *len)
{
    ossl_conn *c = (ossl_conn *)st;
    switch (which) {
    case NM_TRANSPORT_NET_IN:
        *len = sizeof(c->net_in);
        return c->closed ? 0 : c->net_in;
    case NM_TRANSPORT_NET_OUT:
        if (c->out_off == c->out_len) {
            int n = BIO_read(c->wbio, c->net_out, sizeof(c->net_out));
            c->out_off = 0;
            c->out_len = n > 0 ? (size_t)n : 0;
        }
        *len = c->out_len - c->out_off;
        return *len ? c->net_out + c->out_off : 0;
    case NM_TRANSPORT_PLAIN_IN:
        advance(c);   /* records the read BIO holds yet */
        *len = c->in_len - c->in_off;
        return *len ? c->plain_in + c->in_off : 0;
    default:   /* none while records wait for the socket: a stalled reader's answers must not pile up */
        *len = sizeof(c->plain_out) - c->plain_out_len;
        if (c->out_off < c->out_len || BIO_ctrl_pending(c->wbio)) return 0;
        return *len && !c->closed && SSL_is_init_finished(c->ssl) ? c->plain_out + c->plain_out_len : 0;
    }
}

int ossl_ack(void *st, int which, size_t n)
{
    ossl_conn *c = (ossl_conn *)st;
    switch (which) {
    case NM_TRANSPORT_NET_IN:
        if (BIO_write(c->rbio, c->net_in, (int)n) != (int)n) return -1;
        advance(c);
        break;
    case NM_TRANSPORT_NET_OUT: c->out_off += n; break;
    case NM_TRANSPORT_PLAIN_IN: c->in_off += n; break;
    default: c->plain_out_len += n;
    }
    return c->failed ? -1 : 0;
}

void ossl_flush(void *st)
{
    ossl_conn *c = (ossl_conn *)st;
    size_t off = 0;
    while (off < c->plain_out_len && !c->failed) {
        int r = SSL_write(c->ssl, c->plain_out + off, (int)(c->plain_out_len - off));
        if (r <= 0) {
            note(c, r);
            break;
        }
        off += (size_t)r;
    }
    c->plain_out_len = 0;   /* (a memory BIO takes every record: nothing is left but after a failure) */
}

void ossl_close(void *st)
{
    ossl_conn *c = (ossl_conn *)st;
    if (SSL_is_init_finished(c->ssl)) SSL_shutdown(c->ssl);
    ERR_clear_error();
}

int ossl_state(void *st)
{
    ossl_conn *c = (ossl_conn *)st;
    if (c->closed) return NM_TRANSPORT_CLOSED | (c->failed ? NM_TRANSPORT_FAILED : 0);
    return SSL_is_init_finished(c->ssl) ? 0 : NM_TRANSPORT_HANDSHAKE;
}

/* (stack 0: OpenSSL's calls take little of it) */
const nm_transport_ops ops = { "openssl", ossl_open, ossl_release, ossl_buf, ossl_ack, ossl_flush, ossl_close, ossl_state, 0 };

}

/* nmserve's hook for a transport linked beside it: cfg served over OpenSSL
 * with this certificate chain and key (PEM files). The engine's name, or
 * NULL with one line in err. */
extern "C" const char *nmserve_transport(nm_config *cfg, const char *cert, const char *key, char *err, size_t len)
{
    ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_chain_file(ctx, cert) != 1 || SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(ctx) != 1) {
        unsigned long e = ERR_get_error();
        snprintf(err, len, "openssl: %s", e ? ERR_reason_error_string(e) : "no context");
        return 0;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    nm_config_transport(cfg, &ops, 0);
    return ops.name;
}

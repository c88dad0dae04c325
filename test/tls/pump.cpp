/* pump.cpp - tls_proxy's client side (test/tls/proxy.cpp): a plain
 * client's bytes to a TLS server and back, over OpenSSL (Debian's libssl,
 * test code only). TLS 1.2 (1.3 when NM_TLS_MAX is 1.3); the server's
 * certificate verified against the CA file named by NM_TLS_CA. A client's end is a TCP half-close toward
 * the server (no close_notify: the server still answers what it read, as
 * over plain TCP); the server's close_notify ends the client's side. */
#include "pump.h"
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

static SSL_CTX *ctx;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void make_ctx(void)
{
    ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    const char *max = getenv("NM_TLS_MAX");
    SSL_CTX_set_max_proto_version(ctx, max && !strcmp(max, "1.3") ? TLS1_3_VERSION : TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    const char *ca = getenv("NM_TLS_CA");
    if (ca && SSL_CTX_load_verify_locations(ctx, ca, 0) == 1) SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, 0);
}

/* What an SSL call that moved nothing wants of the socket: POLLIN or
 * POLLOUT, or 0 when the connection is over (*end: 1 close_notify, 0 not). */
static short wants(SSL *s, int r, int *end)
{
    switch (SSL_get_error(s, r)) {
    case SSL_ERROR_WANT_READ: return POLLIN;
    case SSL_ERROR_WANT_WRITE: return POLLOUT;
    case SSL_ERROR_ZERO_RETURN: *end = 1; return 0;
    default: *end = 0; return 0;
    }
}

int tls_pump(int client, int server)
{
    pthread_once(&ctx_once, make_ctx);
    SSL *s = SSL_new(ctx);
    struct timeval tv = { 5, 0 }, none = { 0, 0 };
    setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (!s || !SSL_set_fd(s, server) || SSL_connect(s) != 1) {
        ERR_clear_error();
        SSL_free(s);
        return -1;
    }
    setsockopt(server, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
    fcntl(server, F_SETFL, fcntl(server, F_GETFL) | O_NONBLOCK);
    fcntl(client, F_SETFL, fcntl(client, F_GETFL) | O_NONBLOCK);
    char up[16384], down[16384];
    size_t up_len = 0, up_off = 0, down_len = 0, down_off = 0;
    int client_end = 0, end = -1;
    short up_wants = 0, down_wants = 0;
    for (;;) {
        int moved = 0;
        if (!client_end && !up_len) {   /* the client's bytes */
            ssize_t n = recv(client, up, sizeof(up), 0);
            if (n > 0) {
                up_len = (size_t)n;
                up_off = 0;
                moved = 1;
            } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
                client_end = moved = 1;
                shutdown(server, SHUT_WR);
            }
        }
        if (!down_len) {   /* the server's bytes */
            int r = SSL_read(s, down, sizeof(down));
            down_wants = 0;
            if (r > 0) {
                down_len = (size_t)r;
                down_off = 0;
                moved = 1;
            } else if (!(down_wants = wants(s, r, &end))) {
                break;
            }
        }
        if (up_len) {   /* to the server; once that fails, the client's bytes are dropped */
            int r = SSL_write(s, up + up_off, (int)(up_len - up_off));
            up_wants = 0;
            if (r > 0) {
                up_off += (size_t)r;
                if (up_off == up_len) up_len = 0;
                moved = 1;
            } else if (!(up_wants = wants(s, r, &end))) {
                up_len = 0;
                client_end = moved = 1;   /* (the server's answer may still be read) */
            }
        }
        if (down_len) {   /* to the client */
            ssize_t n = send(client, down + down_off, down_len - down_off, MSG_NOSIGNAL);
            if (n > 0) {
                down_off += (size_t)n;
                if (down_off == down_len) down_len = 0;
                moved = 1;
            } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
                end = 0;
                break;
            }
        }
        if (moved) continue;
        struct pollfd p[2] = { { client, 0, 0 }, { server, (short)(up_wants | down_wants), 0 } };
        if (!client_end && !up_len) p[0].events |= POLLIN;
        if (down_len) p[0].events |= POLLOUT;
        poll(p, 2, -1);
    }
    /* the rest of what the server sent, to the client */
    fcntl(client, F_SETFL, fcntl(client, F_GETFL) & ~O_NONBLOCK);
    while (down_len > down_off) {
        ssize_t n = send(client, down + down_off, down_len - down_off, MSG_NOSIGNAL);
        if (n <= 0) break;
        down_off += (size_t)n;
    }
    ERR_clear_error();
    SSL_free(s);
    return end > 0;
}

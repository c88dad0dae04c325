/* tls_arena CERT KEY CA - wolfSSL allocates from the arena only: this
 * program links libwolfssl.a statically with malloc, calloc, realloc and
 * free wrapped (-Wl,--wrap=...), starts an epoll server over wolfSSL
 * (nm_tls_wolfssl_init, nm_tls_wolfssl), and after start-up (one
 * handshake and request done) serves 10,000 keep-alive requests over TLS
 * 1.3 and 1.2 to a client of its own (Debian's libssl, a shared library:
 * its allocations are not wrapped), resumes a session of each from its
 * ticket, and replaces the certificate and key 21 times while those
 * connections are open (the replaced pairs given back, the connections
 * served on). Fails if any wrapped call came after
 * start-up, or the arena refused one; prints the arena's bytes per
 * connection: held between requests, and at the peak of the handshakes. */
#include "tls/nm_tls.h"
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern "C" {
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t k);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
}

static int armed;                 /* start-up is over */
static unsigned long wrapped;     /* calls since */

extern "C" void *__wrap_malloc(size_t n)
{
    if (__atomic_load_n(&armed, __ATOMIC_RELAXED)) __atomic_fetch_add(&wrapped, 1ul, __ATOMIC_RELAXED);
    return __real_malloc(n);
}
extern "C" void *__wrap_calloc(size_t n, size_t k)
{
    if (__atomic_load_n(&armed, __ATOMIC_RELAXED)) __atomic_fetch_add(&wrapped, 1ul, __ATOMIC_RELAXED);
    return __real_calloc(n, k);
}
extern "C" void *__wrap_realloc(void *p, size_t n)
{
    if (__atomic_load_n(&armed, __ATOMIC_RELAXED)) __atomic_fetch_add(&wrapped, 1ul, __ATOMIC_RELAXED);
    return __real_realloc(p, n);
}
extern "C" void __wrap_free(void *p)
{
    if (p && __atomic_load_n(&armed, __ATOMIC_RELAXED)) __atomic_fetch_add(&wrapped, 1ul, __ATOMIC_RELAXED);
    __real_free(p);
}

enum { CONNS = 8, REQUESTS = 10000 };

static int passed, failed;
static const nm_server *server;
static int port;

static void check(int ok, const char *what)
{
    if (ok) passed++;
    else {
        failed++;
        printf("FAIL %s\n", what);
    }
}

static int hello(const nm_request *, nm_response *res, void *)
{
    return nm_resp_body(res, "Hello, World!", 13);
}

static void on_ready(const nm_server *srv, int p, void *)
{
    __atomic_store_n(&port, p, __ATOMIC_RELEASE);
    server = srv;
}

static nm_config cfg;
static nm_handler handler;

static void *serve(void *)
{
    nm_run("epoll", &cfg, &handler);
    return 0;
}

static long slurp(const char *path, char *buf, size_t room)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t n = fread(buf, 1, room, f);
    fclose(f);
    return n == room ? -1 : (long)n;
}

/* A TLS connection to the server, at most `version`, resuming `sess`
 * when given; NULL when refused. */
static SSL *dial(SSL_CTX *ctx, int version, SSL_SESSION *sess = 0)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {};
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a))) return close(fd), (SSL *)0;
    SSL *s = SSL_new(ctx);
    SSL_set_max_proto_version(s, version);
    if (sess) SSL_set_session(s, sess);
    SSL_set_fd(s, fd);
    if (SSL_connect(s) != 1) {
        SSL_free(s);
        close(fd);
        return 0;
    }
    return s;
}

/* One request on s and its whole answer: 1, or 0. */
static int ask(SSL *s)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    char buf[1024];
    size_t got = 0;
    if (SSL_write(s, req, sizeof(req) - 1) != (int)sizeof(req) - 1) return 0;
    for (;;) {
        int n = SSL_read(s, buf + got, (int)(sizeof(buf) - 1 - got));
        if (n <= 0) return 0;
        got += (size_t)n;
        buf[got] = 0;
        char *end = strstr(buf, "\r\n\r\n");
        if (end && strstr(end, "Hello, World!")) return !strncmp(buf, "HTTP/1.1 200", 12);
        if (got == sizeof(buf) - 1) return 0;
    }
}

static void hang_up(SSL *s)
{
    int fd = SSL_get_fd(s);
    SSL_shutdown(s);
    SSL_free(s);
    close(fd);
}

int main(int argc, char **argv)
{
    static char cert[65536], key[16384];
    char err[NM_TLS_ERROR_TEXT];
    if (argc != 4) return fprintf(stderr, "usage: tls_arena CERT KEY CA\n"), 2;
    long cl = slurp(argv[1], cert, sizeof(cert)), kl = slurp(argv[2], key, sizeof(key));
    if (cl < 0 || kl < 0) return fprintf(stderr, "tls_arena: cannot read %s or %s\n", argv[1], argv[2]), 2;

    /* start-up: wolfSSL, the server, the client's context, one request */
    if (nm_tls_wolfssl_init(err, sizeof(err))) return printf("FAIL %s\n", err), 1;
    nm_tls *t = nm_tls_wolfssl(cert, (size_t)cl, key, (size_t)kl, err, sizeof(err));
    if (!t) return printf("FAIL %s\n", err), 1;
    nm_config_init(&cfg);
    cfg.port = NM_PORT_ANY;
    cfg.host = "127.0.0.1";
    cfg.on_ready = on_ready;
    nm_tls_use(&cfg, t);
    handler.fn = hello;
    pthread_t th;
    pthread_create(&th, 0, serve, 0);
    for (int i = 0; i < 500 && !__atomic_load_n(&port, __ATOMIC_ACQUIRE); i++) usleep(10000);
    if (!port) return printf("FAIL the server did not start\n"), 1;
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(ctx, argv[3], 0);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, 0);
    SSL *first = dial(ctx, TLS1_3_VERSION);
    check(first && ask(first), "start-up: a request over TLS 1.3");
    if (first) hang_up(first);
    usleep(100000);   /* (its close served) */

    nm_tls_arena_stats base, st;
    nm_tls_arena_get_stats(&base);
    nm_tls_arena_reset_peak();
    __atomic_store_n(&armed, 1, __ATOMIC_RELAXED);

    /* half the connections TLS 1.3, half 1.2 */
    SSL *s[CONNS];
    int up = 0;
    for (int i = 0; i < CONNS; i++) up += (s[i] = dial(ctx, i % 2 ? TLS1_2_VERSION : TLS1_3_VERSION)) != 0;
    check(up == CONNS, "every connection's handshake");
    nm_tls_arena_get_stats(&st);
    size_t shake_peak = st.peak - base.in_use;
    nm_tls_arena_reset_peak();
    int ok = 0;
    for (int i = 0; i < REQUESTS && up == CONNS; i++) ok += ask(s[i % CONNS]);
    check(ok == REQUESTS, "10,000 keep-alive requests answered");
    nm_tls_arena_get_stats(&st);
    size_t held = st.in_use - base.in_use, serve_peak = st.peak - base.in_use;

    /* a session of each version resumed from its ticket */
    int resumed = 0;
    for (int i = 0; i < 2 && up == CONNS; i++) {
        SSL_SESSION *sess = SSL_get1_session(s[i]);   /* (its ticket came with the requests' answers) */
        SSL *r = dial(ctx, i % 2 ? TLS1_2_VERSION : TLS1_3_VERSION, sess);
        resumed += r && SSL_session_reused(r) && ask(r);
        if (r) hang_up(r);
        SSL_SESSION_free(sess);
    }
    check(resumed == 2, "a TLS 1.3 and a TLS 1.2 session resumed from their tickets");

    /* the pair replaced (by the same files) while the connections are
     * open: each replaced one given back at once, the one they began with
     * kept until they close, and they are served on */
    check(!nm_tls_replace(t, cert, (size_t)cl, key, (size_t)kl, err, sizeof(err)), "the pair replaced");
    nm_tls_arena_stats once;
    nm_tls_arena_get_stats(&once);
    int replaced = 0;
    for (int i = 0; i < 20; i++) replaced += !nm_tls_replace(t, cert, (size_t)cl, key, (size_t)kl, err, sizeof(err));
    nm_tls_arena_get_stats(&st);
    check(replaced == 20 && st.in_use == once.in_use, "twenty more replacements: each replaced pair given back");
    int on = 0;
    for (int i = 0; i < CONNS && up == CONNS; i++) on += ask(s[i]);
    check(on == CONNS, "the connections begun before the replacements served on");
    for (int i = 0; i < CONNS; i++)
        if (s[i]) hang_up(s[i]);
    usleep(200000);
    /* a new handshake, over the last pair (whose first connection gives
     * back what a context holds until then, as at start-up) */
    SSL *last = dial(ctx, TLS1_3_VERSION);
    check(last && ask(last), "a connection after the replacements");
    if (last) hang_up(last);
    usleep(100000);

    __atomic_store_n(&armed, 0, __ATOMIC_RELAXED);
    unsigned long calls = __atomic_load_n(&wrapped, __ATOMIC_RELAXED);
    nm_tls_arena_get_stats(&st);
    nm_tls_stats ts;
    nm_tls_get_stats(t, &ts);
    printf("tls_arena: %d requests on %d connections (TLS 1.3 and 1.2), %lu handshakes: %lu allocator calls past "
           "start-up; arena bytes per connection: %zu held between requests, %zu at the requests' peak, %zu at the "
           "handshakes' peak (%zu for %d; %zu before them, of %zu; %lu refusals)\n",
           ok, CONNS, ts.handshakes, calls, held / CONNS, serve_peak / CONNS, shake_peak / CONNS, shake_peak, CONNS,
           base.in_use, st.size, st.refusals);
    check(calls == 0, "no call of malloc, calloc, realloc or free past start-up");
    check(st.refusals == 0, "the arena refused nothing");
    check(st.in_use == base.in_use, "every byte given back when the connections closed");
    check(ts.handshakes == CONNS + 4 && ts.resumed == 2, "handshakes counted, and those resumed");
    nm_server_stop(server);
    pthread_join(th, 0);
    SSL_CTX_free(ctx);
    printf("%d passed, %d failed, 0 skipped\n", passed, failed);
    return failed != 0;
}

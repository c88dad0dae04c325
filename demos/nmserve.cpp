/* nmserve - serve the demo application under any model.
 *
 *   nmserve --model NAME [--poller P] [--port N] [--host A] [--threads N]
 *           [--workers N] [--pool N] [--protocol http|echo|modbus|resp] [--edge]
 *           [--idle-timeout MS] [--header-timeout MS] [--write-timeout MS]
 *           [--body-timeout MS] [--max-conns N]
 *           [--proactor auto|io_uring|emulated] [--listen-fd N] [--tick MS] [--max-body BYTES]
 *           [--max-streams N] [--queue-wait MS] [--min-rate BYTES] [--yield-slice MS]
 *           [--tls-cert FILE --tls-key FILE [--tls-engine bearssl|wolfssl] [--tls-handshake MS]
 *            [--tls-client-ca FILE [--tls-client-required] [--tls-any-clock]]]
 *   nmserve --list            model names, one a line
 *   nmserve --list-pollers    each model with the pollers it can run on
 *
 * --host takes an IPv4 address (default 127.0.0.1), an IPv6 one ("::" takes
 * IPv4 clients too where the system allows, "::1"), or unix:/path; with
 * --listen-fd N it serves the listening socket N it was started with.
 *
 * First line on stdout: "listening on ADDRESS model=NAME poller=POLLER", the
 * address as 127.0.0.1:PORT, [::1]:PORT or unix:/path (the proactor model
 * adds " proactor=io_uring" or " proactor=emulated").
 * SIGTERM or SIGINT stops it: no new connections, answers in flight are
 * finished, exit 0. A bad option, a port in use or a count (--threads,
 * --workers, --pool, --max-conns) past the build's cap: one line on stderr,
 * exit 2.
 *
 * --tick MS: a timer of the application's own every MS ms, a pipe it
 * watches and SIGUSR1 posting a call, all run in the server's loop and
 * counted in /stats ("ticks", "piped", "posted", "overlaps").
 *
 * --queue-wait MS: how long a request may wait for a buffer or a place in a
 * queue before it is answered 503 (nm_config.queue_wait_ms).
 *
 * --min-rate BYTES: bytes a second a head or body must keep coming at once
 * begun, 0 for no minimum (nm_config.min_rate; cut ones: "slow" in /stats).
 *
 * --yield-slice MS: models with a worker per connection keep a keep-alive
 * connection this long while other clients wait, then close it after an
 * answer or once idle (default 5; 0: at the first answer;
 * nm_config.yield_slice_ms; an idle one is given up as its slice ends).
 *
 * --tls-cert FILE --tls-key FILE: serve over TLS (a build with `make
 * TLS=bearssl`, `wolfssl` or `bearssl,wolfssl`; another says so and exits
 * 2): the certificate chain and key, PEM or DER; --tls-engine picks one of
 * the engines built (the first by default); --tls-handshake MS bounds a handshake
 * (nm_config.tls_handshake_ms). The first line adds " tls=ENGINE"; /stats adds the
 * handshakes and the TLS failures by kind (this process's, lib/tls/nm_tls.h).
 * GET /tls/sni answers the server name the client asked for ("-": none).
 * --tls-client-ca FILE asks each client for a certificate, verified against
 * the CA certificates in FILE (PEM or DER; nm_tls_client_ca): one that does
 * not verify fails the handshake; a client without one is served, unless
 * --tls-client-required. --tls-any-clock: while the clock reads before
 * NM_TLS_TIME_FLOOR, client certificates are taken without their dates
 * judged (refused otherwise). GET /tls/peer answers the verified client
 * certificate's subject, "CN=..., O=..." (either left out when absent),
 * or 204 when the client gave none.
 * SIGHUP reads the certificate and key files again and serves new
 * handshakes with them (in the process that gets it: a process model's
 * workers keep theirs); one line on stderr says it was done, or why not. */
#include "app.h"
#include "protocols.h"
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

static const char *model = "epoll";
static const char *tls_cert, *tls_key, *tls_client_ca;
static int tls_client_required, tls_any_clock;
#ifdef NMSERVE_TLS_bearssl
static const char *tls_engine = "bearssl";
#else
static const char *tls_engine = "wolfssl";
#endif

static int usage(const char *why, const char *arg)
{
    fprintf(stderr, "nmserve: %s%s (try --list, or see README.md)\n", why, arg ? arg : "");
    return 2;
}

#ifdef NMSERVE_TLS
#include "tls/nm_tls.h"
static nm_tls *tls;

static int tls_stats(char *out, size_t room)
{
    nm_tls_stats st;
    nm_tls_get_stats(tls, &st);
    int n = snprintf(out, room, ",\"tls_handshakes\":%lu,\"tls_refused\":%lu,\"tls_cut\":%lu,\"tls_alerts\":%lu,"
                     "\"tls_bad\":%lu,\"tls_aborted\":%lu,\"tls_resumed\":%lu,\"tls_peers\":%lu,\"tls_peer_untrusted\":%lu,"
                     "\"tls_peer_expired\":%lu,\"tls_peer_missing\":%lu,\"tls_clock_unset\":%lu",
                     st.handshakes, st.refused, st.cut, st.alerts, st.bad, st.aborted, st.resumed, st.peers, st.peer_untrusted,
                     st.peer_expired, st.peer_missing, st.clock_unset);
#ifdef NMSERVE_TLS_wolfssl
    nm_tls_arena_stats a;
    nm_tls_arena_get_stats(&a);
    if (!strcmp(tls_engine, "wolfssl") && n > 0 && (size_t)n < room)
        n += snprintf(out + n, room - (size_t)n, ",\"tls_arena_in_use\":%zu,\"tls_arena_peak\":%zu,\"tls_arena_refusals\":%lu",
                      a.in_use, a.peak, a.refusals);
#endif
    return n;
}

/* A file whole into buf (room bytes): its length, or -1. */
static long slurp(const char *path, char *buf, size_t room)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    size_t n = fread(buf, 1, room, f);
    int bad = ferror(f) || n == room;
    fclose(f);
    return bad ? -1 : (long)n;
}

static int target_is(const nm_request *req, const char *path)
{
    return req->target.n == strlen(path) && !memcmp(req->target.p, path, req->target.n);
}

/* GET /tls/sni: the server name the client asked for (SNI), "-" when none.
 * GET /tls/peer: the client certificate's subject, 204 when none. */
static int tls_handle(const nm_request *req, nm_response *res, void *user)
{
    char line[300];
    int n;
    if (target_is(req, "/tls/sni")) {
        const char *name = nm_tls_sni(req);
        n = snprintf(line, sizeof(line), "%s\n", name ? name : "-");
    } else if (target_is(req, "/tls/peer")) {
        const char *cn, *org;
        if (!nm_tls_peer(req, &cn, &org)) {
            nm_resp_status(res, 204);
            return 0;
        }
        n = snprintf(line, sizeof(line), "%s%s%s%s%s\n", cn ? "CN=" : "", cn ? cn : "", cn && org ? ", " : "", org ? "O=" : "",
                     org ? org : "");
    } else {
        return app_handle(req, res, user);
    }
    return nm_resp_body(res, line, (size_t)n);
}

/* SIGHUP: --tls-cert and --tls-key read again and put in place
 * (nm_tls_replace) by a thread that waits for it, the signal blocked in
 * every other; one line on stderr says what came of it. */
static void *tls_reload(void *arg)
{
    static char cert[65536], key[16384];
    sigset_t *hup = (sigset_t *)arg;
    for (int sig; !sigwait(hup, &sig);) {
        char err[NM_TLS_ERROR_TEXT];
        long cl = slurp(tls_cert, cert, sizeof(cert)), kl = slurp(tls_key, key, sizeof(key));
        if (cl < 0 || kl < 0) fprintf(stderr, "nmserve: tls: cannot read %s\n", cl < 0 ? tls_cert : tls_key);
        else if (nm_tls_replace(tls, cert, (size_t)cl, key, (size_t)kl, err, sizeof(err))) fprintf(stderr, "nmserve: tls: %s\n", err);
        else fprintf(stderr, "nmserve: tls: certificate and key replaced\n");
    }
    return 0;
}

static int tls_reload_start(void)
{
    static sigset_t hup;
    pthread_t th;
    sigemptyset(&hup);
    sigaddset(&hup, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &hup, 0);
    if (pthread_create(&th, 0, tls_reload, &hup)) return fprintf(stderr, "nmserve: tls: no thread for SIGHUP\n"), 2;
    pthread_detach(th);
    return 0;
}

static int tls_setup(nm_config *cfg)
{
    static char cert[65536], key[16384];
    char err[NM_TLS_ERROR_TEXT];
    long cl = slurp(tls_cert, cert, sizeof(cert)), kl = slurp(tls_key, key, sizeof(key));
    if (cl < 0) return fprintf(stderr, "nmserve: --tls-cert: cannot read %s\n", tls_cert), 2;
    if (kl < 0) return fprintf(stderr, "nmserve: --tls-key: cannot read %s\n", tls_key), 2;
    int built = 0;
    tls = 0;
#ifdef NMSERVE_TLS_bearssl
    if (!strcmp(tls_engine, "bearssl") && (built = 1)) tls = nm_tls_bearssl(cert, (size_t)cl, key, (size_t)kl, err, sizeof(err));
#endif
#ifdef NMSERVE_TLS_wolfssl
    if (!strcmp(tls_engine, "wolfssl") && (built = 1) && !nm_tls_wolfssl_init(err, sizeof(err)))
        tls = nm_tls_wolfssl(cert, (size_t)cl, key, (size_t)kl, err, sizeof(err));
#endif
    if (!built) return usage("--tls-engine: not built in (make TLS=bearssl,wolfssl): ", tls_engine);
    if (!tls) return fprintf(stderr, "nmserve: tls: %s\n", err), 2;
    if (tls_client_ca) {
        long al = slurp(tls_client_ca, cert, sizeof(cert));
        if (al < 0) return fprintf(stderr, "nmserve: --tls-client-ca: cannot read %s\n", tls_client_ca), 2;
        int flags = (tls_client_required ? NM_TLS_CLIENT_REQUIRED : 0) | (tls_any_clock ? NM_TLS_CLIENT_ANY_CLOCK : 0);
        if (nm_tls_client_ca(tls, cert, (size_t)al, flags, err, sizeof(err))) return fprintf(stderr, "nmserve: tls: %s\n", err), 2;
    }
    nm_tls_use(cfg, tls);
    app_stats_more = tls_stats;
    return tls_reload_start();
}
#else
/* A transport linked in beside nmserve over the public API alone (test
 * program nmserve_openssl: test/tls/openssl_adapter.cpp): its name, or
 * NULL with one line in err. */
extern "C" const char *nmserve_transport(nm_config *cfg, const char *cert, const char *key, char *err, size_t len)
    __attribute__((weak));

static int tls_setup(nm_config *cfg)
{
    char err[160];
    if (!nmserve_transport) return usage("--tls-cert: built without TLS (make TLS=bearssl)", 0);
    if (tls_client_ca) return usage("--tls-client-ca: not with this transport", 0);
    if (!(tls_engine = nmserve_transport(cfg, tls_cert, tls_key, err, sizeof(err))))
        return fprintf(stderr, "nmserve: tls: %s\n", err), 2;
    return 0;
}
#endif

static void on_signal(int sig)
{
    (void)sig;
    nm_server_stop(0);
}

/* ---- --tick MS: work of the application's own in the server's loop ------
 * A periodic timer counts ticks and writes a byte into a pipe; a watch on
 * the pipe's other end counts the bytes; SIGUSR1 posts a call that counts
 * itself. The counts live in shared memory so that /stats shows them
 * whichever process answers it. */
static int tick_ms, tick_pipe[2] = { -1, -1 };
static int max_body = -1;   /* --max-body: nm_config.max_body, when given */
static const nm_server *ticking;
static int in_callback;

static void enter(void)
{
    if (__atomic_fetch_add(&in_callback, 1, __ATOMIC_ACQ_REL)) __atomic_fetch_add(&app_loop->overlaps, 1ul, __ATOMIC_RELAXED);
}
static void leave(void) { __atomic_fetch_sub(&in_callback, 1, __ATOMIC_ACQ_REL); }

static void on_tick(const nm_server *srv, void *user)
{
    (void)user;
    enter();
    __atomic_fetch_add(&app_loop->ticks, 1ul, __ATOMIC_RELAXED);
    (void)!write(tick_pipe[1], "t", 1);
    nm_conn_id to = app_subscriber(0);
    if (to) __atomic_fetch_add(nm_send(srv, to, "tick\n", 5) ? &app_loop->push_refused : &app_loop->pushed, 1ul, __ATOMIC_RELAXED);
    leave();
}

static void on_pipe(const nm_server *srv, int fd, int events, void *user)
{
    (void)srv; (void)events; (void)user;
    enter();
    char buf[64];
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) __atomic_fetch_add(&app_loop->piped, (unsigned long)n, __ATOMIC_RELAXED);
    leave();
}

static void on_posted(const nm_server *srv, void *user)
{
    (void)srv; (void)user;
    enter();
    __atomic_fetch_add(&app_loop->posted, 1ul, __ATOMIC_RELAXED);
    leave();
}

static void on_usr1(int sig)
{
    (void)sig;
    const nm_server *srv = __atomic_load_n(&ticking, __ATOMIC_ACQUIRE);
    if (srv) nm_post(srv, on_posted, 0);
}

static int tick_open(void)
{
    void *shared = mmap(0, sizeof(struct app_loop_counts), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED || pipe(tick_pipe)) return -1;
    fcntl(tick_pipe[0], F_SETFL, O_NONBLOCK);
    fcntl(tick_pipe[1], F_SETFL, O_NONBLOCK);
    app_loop = (struct app_loop_counts *)shared;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, 0);
    return 0;
}

static void tick_start(const nm_server *srv)
{
    if (nm_timer_start(srv, (unsigned)tick_ms, 1, on_tick, 0) < 0 || nm_watch(srv, tick_pipe[0], NM_EV_READ, on_pipe, 0))
        fprintf(stderr, "nmserve: --tick: no timer or watch left\n");
    __atomic_store_n(&ticking, srv, __ATOMIC_RELEASE);
}

/* The address a listening socket handed in is bound to, as --host writes it. */
static const char *host_of_fd(int fd, char *text, size_t n)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &len)) return "?";
    if (sa.ss_family == AF_UNIX) snprintf(text, n, "unix:%s", ((struct sockaddr_un *)&sa)->sun_path);
    else if (sa.ss_family == AF_INET6) inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, text, (socklen_t)n);
    else inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, text, (socklen_t)n);
    return text;
}

/* The address served, as clients write it: 127.0.0.1:80, [::1]:80, unix:/path. */
static void print_address(const nm_config *cfg, int port)
{
    char text[sizeof(struct sockaddr_storage) + 8];
    const char *host = cfg->listen_fd >= 0 ? host_of_fd(cfg->listen_fd, text, sizeof(text)) : cfg->host;
    if (!strncmp(host, "unix:", 5)) printf("%s", host);
    else if (host[0] == '[') printf("%s:%d", host, port);
    else printf(strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
}

static void on_ready(const nm_server *srv, int port, void *user)
{
    const nm_config *cfg = (const nm_config *)user;
    printf("listening on ");
    print_address(cfg, port);
    printf(" model=%s poller=%s", model, nm_server_poller(srv));
    if (!strcmp(model, "proactor")) {
        const char *kind = nm_proactor_kind(cfg->proactor);   /* NULL: io_uring asked for and refused */
        printf(" proactor=%s", kind ? kind : "unavailable");
    }
    if (tls_cert) printf(" tls=%s", tls_engine);
    printf("\n");
    fflush(stdout);
    if (tick_ms) tick_start(srv);
}

static int number(const char *s, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 1000000000L) return -1;
    *out = (int)v;
    return 0;
}

int main(int argc, char **argv)
{
    nm_config cfg;
    nm_config_init(&cfg);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : 0;
        int *num = 0;
        if (!strcmp(a, "--list")) {
            for (int m = 0; m < nm_model_count(); m++) printf("%s\n", nm_model_name(m));
            return 0;
        } else if (!strcmp(a, "--list-pollers")) {
            /* each model and the pollers it can run on ("-": none, blocking I/O) */
            for (int m = 0; m < nm_model_count(); m++) {
                const char *p = nm_model_poller(m);
                printf("%s", nm_model_name(m));
                if (!p) printf(" -");
                else if (*p) printf(" %s", p);
                else
                    for (int k = 0; k < nm_poller_count(); k++) printf(" %s", nm_poller_name(k));
                printf("\n");
            }
            return 0;
        } else if (!strcmp(a, "--edge")) {
            cfg.edge_triggered = 1;
            continue;
        } else if (!strcmp(a, "--model")) {
            if (v) model = v;
        } else if (!strcmp(a, "--proactor")) {
            if (v && strcmp(v, "auto") && strcmp(v, "io_uring") && strcmp(v, "emulated"))
                return usage("unknown proactor (auto, io_uring, emulated): ", v);
            cfg.proactor = v && strcmp(v, "auto") ? v : 0;
        } else if (!strcmp(a, "--tls-cert")) {
            tls_cert = v;
        } else if (!strcmp(a, "--tls-key")) {
            tls_key = v;
        } else if (!strcmp(a, "--tls-client-ca")) {
            tls_client_ca = v;
        } else if (!strcmp(a, "--tls-client-required") || !strcmp(a, "--tls-any-clock")) {
            *(a[6] == 'c' ? &tls_client_required : &tls_any_clock) = 1;
            continue;
        } else if (!strcmp(a, "--tls-engine")) {
            if (v && strcmp(v, "bearssl") && strcmp(v, "wolfssl")) return usage("unknown TLS engine (bearssl, wolfssl): ", v);
            if (v) tls_engine = v;
        } else if (!strcmp(a, "--poller")) {
            cfg.poller = v;
        } else if (!strcmp(a, "--host")) {
            if (v) cfg.host = v;
        } else if (!strcmp(a, "--protocol")) {
            if (v && !strcmp(v, "http")) cfg.proto = &nm_proto_http;
            else if (v && !strcmp(v, "echo")) cfg.proto = &nm_proto_echo;
            else if (v && !strcmp(v, "modbus")) cfg.proto = &modbus_protocol;
            else if (v && !strcmp(v, "resp")) cfg.proto = &resp_protocol;
            else if (v) return usage("unknown protocol (http, echo, modbus, resp): ", v);
        } else if (!strcmp(a, "--port")) num = &cfg.port;
        else if (!strcmp(a, "--threads")) num = &cfg.threads;
        else if (!strcmp(a, "--workers")) num = &cfg.workers;
        else if (!strcmp(a, "--pool")) num = &cfg.pool;
        else if (!strcmp(a, "--idle-timeout")) num = &cfg.idle_timeout_ms;
        else if (!strcmp(a, "--header-timeout")) num = &cfg.header_timeout_ms;
        else if (!strcmp(a, "--write-timeout")) num = &cfg.write_timeout_ms;
        else if (!strcmp(a, "--body-timeout")) num = &cfg.body_timeout_ms;
        else if (!strcmp(a, "--max-conns")) num = &cfg.max_conns;
        else if (!strcmp(a, "--tick")) num = &tick_ms;
        else if (!strcmp(a, "--max-body")) num = &max_body;
        else if (!strcmp(a, "--max-streams")) num = &cfg.max_streams;
        else if (!strcmp(a, "--queue-wait")) num = &cfg.queue_wait_ms;
        else if (!strcmp(a, "--min-rate")) num = &cfg.min_rate;
        else if (!strcmp(a, "--yield-slice")) num = &cfg.yield_slice_ms;
        else if (!strcmp(a, "--listen-fd")) num = &cfg.listen_fd;
        else if (!strcmp(a, "--tls-handshake")) num = &cfg.tls_handshake_ms;
        else return usage("unknown option: ", a);
        if (!v) return usage("missing value for ", a);
        if (num && (number(v, num) || (num == &cfg.port && *num > 65535)))
            return usage("bad number for ", a);
        i++;
    }
    if (max_body >= 0) cfg.max_body = (unsigned long long)max_body;
    if (!tls_cert != !tls_key) return usage("--tls-cert and --tls-key go together", 0);
    if ((tls_client_ca || tls_client_required || tls_any_clock) && !tls_cert) return usage("--tls-client-*: with --tls-cert", 0);
    if ((tls_client_required || tls_any_clock) && !tls_client_ca) return usage("--tls-client-required, --tls-any-clock: with --tls-client-ca", 0);
    if (tls_cert && tls_setup(&cfg)) return 2;
    if (app_init()) return usage("no shared memory for the counters", 0);
    if (tick_ms && tick_open()) return usage("--tick: no shared memory or pipe", 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;   /* no SA_RESTART: blocking calls return EINTR */
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGINT, &sa, 0);
    signal(SIGPIPE, SIG_IGN);
    cfg.on_ready = on_ready;
    cfg.on_open = app_on_open;
    cfg.on_close = app_on_close;
    cfg.user = &cfg;
    nm_handler h = { app_handle, 0 };
#ifdef NMSERVE_TLS
    if (tls) h.fn = tls_handle;
#endif
    if (cfg.proto == &modbus_protocol) h.fn = modbus_handle;
    if (cfg.proto == &resp_protocol) h.fn = resp_handle;
    if ((cfg.proto == &modbus_protocol && modbus_init()) || (cfg.proto == &resp_protocol && resp_init()))
        return usage("--protocol: no shared memory for the table", 0);
    int rc = nm_run(model, &cfg, &h);
    if (rc == NM_ERR_USAGE) fprintf(stderr, "nmserve: %s\n", nm_last_error());
    else if (rc) perror("nmserve");
    return rc;
}

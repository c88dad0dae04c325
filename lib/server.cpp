/* server.cpp - nm_run: choose the model and the port, open the listener,
 * hand the server to the model, and clean up after it. */
#include "loop/server.h"
#include "loop/accept.h"
#include "loop/listen.h"
#include "base/mstat.h"
#include "base/pool.h"
#include "loop/blocking.h"
#include "loop/conn.h"
#include "proto/protocol.h"
#include "session/session.h"
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

extern const nm_model nm_models[];
extern const int nm_models_count;

extern nm_server nm_server_slots[NM_MAX_SERVERS];
extern nm_conn *nm_conn_by_fd[NM_MAX_FDS];
/* Per thread: a failure can come before any server exists, and two servers
 * failing at once on two threads each keep their own line. Sized for the
 * longest: a Unix path (107 bytes) with a system error's text; what the
 * caller names past that is cut (nm_quote), never a number. */
static __thread char last_error[256];

static int usage_error(const char *fmt, const char *arg)
{
    snprintf(last_error, sizeof(last_error), fmt, arg);
    return NM_ERR_USAGE;
}

extern "C" const char *nm_last_error(void) { return last_error; }

extern "C" void nm_config_init(nm_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->host = "127.0.0.1";
    cfg->port = 8080;
    cfg->threads = NM_DEFAULT;
    cfg->workers = NM_DEFAULT;
    cfg->pool = NM_DEFAULT;
    cfg->max_threads = NM_UNLIMITED;
    cfg->proto = &nm_proto_http;
    cfg->header_timeout_ms = NM_HEADER_TIMEOUT_MS;
    cfg->idle_timeout_ms = NM_IDLE_TIMEOUT_MS;
    cfg->write_timeout_ms = NM_WRITE_TIMEOUT_MS;
    cfg->body_timeout_ms = NM_BODY_TIMEOUT_MS;
    cfg->max_conns = NM_MAX_CONNS;
    cfg->max_body = NM_MAX_BODY;
    cfg->max_streams = NM_STREAM_BUFFERS;
    cfg->queue_wait_ms = NM_QUEUE_WAIT_MS;
    cfg->min_rate = NM_MIN_RATE;
    cfg->yield_slice_ms = NM_YIELD_SLICE_MS;
    cfg->listen_fd = -1;
}

/* ---- the pointers a run hands out ----------------------------------------
 * A run of a slot hands the application (on_ready, req->server, the
 * callbacks) not the slot but a face of it: one byte of the slot's row
 * below, chosen by the run's generation. So a pointer kept past its run
 * names no later run of the slot (until the generation comes round,
 * NM_SERVER_FACES runs of that slot later): the calls taking it do nothing
 * or fail. A stop through a face records which face it aimed at, and only
 * the run of that face sees it: a stop racing the slot's next claim cannot
 * reach the new run. */
enum { NM_SERVER_FACES = 64 };
static char server_faces[NM_MAX_SERVERS][NM_SERVER_FACES];
static unsigned server_face_now[NM_MAX_SERVERS];    /* the face of the slot's run */
static unsigned server_face_stop[NM_MAX_SERVERS];   /* a stop aimed at face n: n + 1 */

static int slot_index(const nm_server *s)
{
    return s >= nm_server_slots && s < nm_server_slots + NM_MAX_SERVERS ? (int)(s - nm_server_slots) : -1;
}

const nm_server *nm_server_face(const nm_server *s)
{
    int i = slot_index(s);
    return i < 0 ? s : (const nm_server *)(const void *)&server_faces[i][__atomic_load_n(&server_face_now[i], __ATOMIC_ACQUIRE)];
}

/* The face's slot and face number, or -1 for a pointer that is no face. */
static int face_slot(const nm_server *p, unsigned *face)
{
    const char *c = (const char *)(const void *)p, *base = &server_faces[0][0];
    if (c < base || c >= base + sizeof(server_faces)) return -1;
    *face = (unsigned)((c - base) % NM_SERVER_FACES);
    return (int)((c - base) / NM_SERVER_FACES);
}

nm_server *nm_server_of(const nm_server *p)
{
    unsigned face;
    int i = face_slot(p, &face);
    if (i < 0) return const_cast<nm_server *>(p);
    nm_server *s = &nm_server_slots[i];
    if (!__atomic_load_n(&s->in_use, __ATOMIC_ACQUIRE) || __atomic_load_n(&server_face_now[i], __ATOMIC_ACQUIRE) != face) return 0;
    return s;
}

extern "C" void nm_server_stop(const nm_server *srv)
{
    /* atomic stores and loads: read by every thread of a model, and
     * lock-free, so still async-signal-safe */
    unsigned face;
    int i = srv ? face_slot(srv, &face) : -1;
    if (i >= 0) {
        __atomic_store_n(&server_face_stop[i], face + 1, __ATOMIC_RELEASE);
        return;
    }
    if (srv) {
        __atomic_store_n(&const_cast<nm_server *>(srv)->stopping, 1, __ATOMIC_RELAXED);
        return;
    }
    for (int k = 0; k < NM_MAX_SERVERS; k++)
        if (__atomic_load_n(&nm_server_slots[k].in_use, __ATOMIC_ACQUIRE)) __atomic_store_n(&nm_server_slots[k].stopping, 1, __ATOMIC_RELAXED);
}

int nm_stop_requested(const nm_server *s)
{
    if (__atomic_load_n(&s->stopping, __ATOMIC_RELAXED)) return 1;
    int i = slot_index(s);
    return i >= 0 && __atomic_load_n(&server_face_stop[i], __ATOMIC_ACQUIRE) == __atomic_load_n(&server_face_now[i], __ATOMIC_ACQUIRE) + 1;
}

static nm_server *claim_server(void)
{
    for (int i = 0; i < NM_MAX_SERVERS; i++) {
        nm_server *s = &nm_server_slots[i];
        if (__atomic_load_n(&s->in_use, __ATOMIC_RELAXED)) continue;
        /* clear everything but the claim, then take the slot, under a new face */
        if (__atomic_exchange_n(&s->in_use, 1, __ATOMIC_ACQ_REL)) continue;
        __atomic_store_n(&server_face_now[i], (server_face_now[i] + 1) % NM_SERVER_FACES, __ATOMIC_RELEASE);
        __atomic_store_n(&server_face_stop[i], 0u, __ATOMIC_RELEASE);   /* a stop of an older face, come round again */
        memset(s, 0, offsetof(nm_server, in_use));
        s->listen_fd = -1;   /* a child forked now by another server closes nothing of this one */
        return s;
    }
    return 0;
}

/* ---- fork: one server's child, another server's threads ---------------- */

/* The locks a child of any server may take (the close lock, the spare
 * descriptor's, every pool's), taken in that order (the order code nests
 * them) before any fork in the process and given back on both sides: a
 * thread of another server holding one at the fork would leave it held for
 * ever in the child, which has no such thread. */
static void fork_prepare(void)
{
    nm_blocking_fork_hold(1);
    nm_accept_fork_hold(1);
    nm_pools_hold(1);
}

static void fork_done(void)
{
    nm_pools_hold(0);
    nm_accept_fork_hold(0);
    nm_blocking_fork_hold(0);
}

static pthread_once_t fork_handlers_once = PTHREAD_ONCE_INIT;
static void install_fork_handlers(void) { pthread_atfork(fork_prepare, fork_done, fork_done); }

void nm_server_forked(const nm_server *s)
{
    for (int i = 0; i < NM_MAX_SERVERS; i++) {
        nm_server *other = &nm_server_slots[i];
        if (other == s || !__atomic_load_n(&other->in_use, __ATOMIC_ACQUIRE)) continue;
        if (other->listen_fd >= 0) close(other->listen_fd);
        other->listen_fd = -1;
        __atomic_store_n(&other->in_use, 0, __ATOMIC_RELEASE);   /* a stop here is this server's only */
    }
    for (int fd = 0; fd < NM_MAX_FDS; fd++) {
        nm_conn *c = nm_conn_of_fd(fd);
        if (!c || c->srv == s) continue;
        close(fd);   /* the copy only: the other server's process keeps its own */
        __atomic_store_n(&nm_conn_by_fd[fd], (nm_conn *)0, __ATOMIC_RELEASE);
    }
}

/* ---- handle_signals: SIGTERM and SIGINT stop every server --------------- */

/* Signal dispositions are the process's: installed by the first nm_run that
 * asks, put back by the last one of them to return. */
static const int stop_signals[2] = { SIGTERM, SIGINT };
static pthread_mutex_t signals_lock = PTHREAD_MUTEX_INITIALIZER;
static int signals_users;
static struct sigaction signals_before[2];

static void on_stop_signal(int sig)
{
    (void)sig;
    nm_server_stop(0);
}

static void take_stop_signals(void)
{
    pthread_mutex_lock(&signals_lock);
    if (signals_users++ == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        for (int i = 0; i < 2; i++) sigaction(stop_signals[i], &sa, &signals_before[i]);
    }
    pthread_mutex_unlock(&signals_lock);
}

static void give_back_stop_signals(void)
{
    pthread_mutex_lock(&signals_lock);
    if (--signals_users == 0)
        for (int i = 0; i < 2; i++) sigaction(stop_signals[i], &signals_before[i], 0);
    pthread_mutex_unlock(&signals_lock);
}

extern "C" void nm_server_stats(const nm_server *srv, nm_stats *out)
{
    srv = nm_server_of(srv);
    if (!srv) {   /* a run that is over */
        memset(out, 0, sizeof(*out));
        return;
    }
    const nm_counters *c = srv->counters;
    out->accepted = __atomic_load_n(&c->accepted, __ATOMIC_RELAXED);
    out->active = __atomic_load_n(&c->active, __ATOMIC_RELAXED);
    out->requests = __atomic_load_n(&c->requests, __ATOMIC_RELAXED);
    out->refused = __atomic_load_n(&c->refused, __ATOMIC_RELAXED);
    out->errors = __atomic_load_n(&c->errors, __ATOMIC_RELAXED);
    out->timeouts = __atomic_load_n(&c->timeouts, __ATOMIC_RELAXED);
    out->waited = __atomic_load_n(&c->waited, __ATOMIC_RELAXED);
    out->slow = __atomic_load_n(&c->slow, __ATOMIC_RELAXED);
    out->free_slots = nm_conn_free();
    out->free_buffers = nm_buf_free();
}

void nm_announce(nm_server *s)
{
    if (s->cfg.on_ready) s->cfg.on_ready(nm_server_face(s), s->port_number, s->cfg.user);
}

int nm_run_size(int asked, int dflt, int cap, const char *option, const char *limit)
{
    if (asked == NM_DEFAULT) return dflt < cap ? dflt : cap;
    if (asked < 1) {
        snprintf(last_error, sizeof(last_error), "%s %d: at least 1, or NM_DEFAULT (%d) for the default", option, asked,
                 NM_DEFAULT);
        return -1;
    }
    if (asked <= cap) return asked;
    snprintf(last_error, sizeof(last_error), "%s %d is past this build's cap of %d (%s)", option, asked, cap, limit);
    return -1;
}

/* A pool ran short on this thread since its nm_run began: a model that
 * fails for it fails for want of what the build has, not of a system call. */
static __thread int pool_short;

int nm_pool_short(const nm_pool *p, unsigned asked, unsigned left)
{
    snprintf(last_error, sizeof(last_error), "%s: %u asked, %u of %u left", p->name, asked, left, p->capacity);
    pool_short = 1;
    return NM_ERR_USAGE;
}

int nm_fit_free(int n, const nm_pool *p, int besides)
{
    int room = (int)nm_pool_free(p) - besides;
    return n < room ? n : room > 1 ? room : 1;
}

int nm_reserve(nm_server *s, const nm_pool_claim *want, int count)
{
    unsigned left = 0;
    int i = nm_pools_reserve(&s->reservation, want, count, &left);
    return i < 0 ? NM_OK : nm_pool_short(want[i].pool, want[i].n, left);
}

extern "C" int nm_server_gauge(const nm_server *srv, const char *name, long *out)
{
    static const char *const names[] = { "in_accept", "accept_peak", "in_wait", "wait_peak" };
    srv = nm_server_of(srv);
    if (!srv) return -1;
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (!strcmp(names[i], name)) {
            *out = (long)__atomic_load_n(&srv->counters->gauge[i], __ATOMIC_RELAXED);
            return 0;
        }
    return -1;
}

extern "C" int nm_server_model_stat(const nm_server *srv, int i, const char **name, unsigned long *value)
{
    srv = nm_server_of(srv);
    return srv ? nm_mstat_at(&srv->model_stats, i, name, value) : -1;
}

/* The server whose thread calls: nm_run's thread and every thread started
 * under it carry the server's thread share. */
static const nm_server *calling_server(void)
{
    nm_thread_share *share = nm_thread_share_current();
    if (share) return (const nm_server *)share->owner;
    for (int i = 0; i < NM_MAX_SERVERS; i++)
        if (__atomic_load_n(&nm_server_slots[i].in_use, __ATOMIC_ACQUIRE)) return &nm_server_slots[i];
    return 0;
}

extern "C" int nm_model_stat(int i, const char **name, unsigned long *value)
{
    const nm_server *s = calling_server();
    return s ? nm_server_model_stat(s, i, name, value) : -1;
}

int nm_server_index(const nm_server *s) { return (int)(s - nm_server_slots); }

extern "C" const char *nm_server_poller(const nm_server *srv)
{
    srv = nm_server_of(srv);
    return srv && srv->port ? srv->port->name : "none";
}

void nm_set_nonblocking(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* A listener handed in open: served as it is, its state noted to be put
 * back at stop. */
static int adopt_listener(nm_server *s, char *why, size_t n)
{
    int fd = s->cfg.listen_fd;
    int family = nm_listen_adopt(fd, why, n);
    if (family < 0) return -1;
    s->listen_family = family;
    s->listen_handed = 1;
    s->listen_handed_flags = fcntl(fd, F_GETFL);
    socklen_t len = sizeof(s->listen_handed_timeout);
    getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &s->listen_handed_timeout, &len);
    return fd;
}

static int open_host(nm_server *s, int reuseport, char *why, size_t n)
{
    nm_listen_addr a;
    if (nm_listen_parse(s->cfg.host, s->port_number, &a, why, n)) {
        errno = EINVAL;
        return -1;
    }
    int fd = nm_listen_bind(&a, reuseport, why, n);
    if (fd < 0) return -1;
    s->listen_family = a.sa.ss_family;
    if (s->listen_family == AF_UNIX) s->unix_owner = getpid();
    return fd;
}

int nm_listen_open(nm_server *s, int nonblocking, int reuseport)
{
    char why[sizeof(last_error)];
    why[0] = 0;
    int fd = s->cfg.listen_fd >= 0 ? adopt_listener(s, why, sizeof(why)) : open_host(s, reuseport, why, sizeof(why));
    if (fd < 0) {
        int e = errno;
        if (why[0]) usage_error("%s", why);
        errno = e;
        return -1;
    }
    s->port_number = nm_listen_port(fd);
    if (nonblocking) nm_set_nonblocking(fd, 1);
    return fd;
}

/* Close what nm_run opened. A listener handed in stays open, its flags and
 * receive timeout put back; a Unix socket's file goes with the process that
 * bound it (a forked child leaving never removes its parent's). */
static void close_listener(nm_server *s)
{
    if (s->listen_handed) {
        if (s->listen_handed_flags >= 0) fcntl(s->cfg.listen_fd, F_SETFL, s->listen_handed_flags);
        setsockopt(s->cfg.listen_fd, SOL_SOCKET, SO_RCVTIMEO, &s->listen_handed_timeout, sizeof(s->listen_handed_timeout));
        return;
    }
    if (s->listen_fd >= 0) close(s->listen_fd);
    if (s->unix_owner && s->unix_owner == getpid()) unlink(s->cfg.host + 5);
}

static void release_server(nm_server *s)
{
    close_listener(s);
    __atomic_store_n(&s->in_use, 0, __ATOMIC_RELEASE);
}

/* A model that opens a SO_REUSEPORT listener in each of its processes
 * (prefork_reuseport, and the process models on a poller that cannot share
 * one listener) cannot do so on a Unix socket's path or on a listener
 * handed in: refused before anything starts. */
static int refuse_listener(const nm_server *s, const nm_model *m)
{
    int per_child = (m->flags & NM_MODEL_REUSEPORT) && !nm_shares_listener(s);
    const char *kind = s->cfg.listen_fd >= 0 ? "a listener handed in"
                       : s->cfg.host && !strncmp(s->cfg.host, "unix:", 5) ? "a Unix socket" : 0;
    if (!per_child || !kind) return 0;
    snprintf(last_error, sizeof(last_error), "model %s%s%s opens a SO_REUSEPORT listener in each process, impossible on %s%s",
             m->name, s->port ? " on poller " : "", s->port ? s->port->name : "", kind,
             s->port ? " (on epoll the processes share one)" : "");
    return NM_ERR_USAGE;
}

extern "C" int nm_model_count(void) { return nm_models_count; }
extern "C" const char *nm_model_name(int i) { return i >= 0 && i < nm_models_count ? nm_models[i].name : 0; }

extern "C" const char *nm_model_poller(int i)
{
    if (i < 0 || i >= nm_models_count || !(nm_models[i].flags & NM_MODEL_USES_PORT)) return 0;
    return nm_models[i].port_name ? nm_models[i].port_name : "";
}

extern "C" int nm_poller_count(void)
{
    int n = 0;
    while (nm_port_at(n)) n++;
    return n;
}
extern "C" const char *nm_poller_name(int i) { return nm_port_at(i) ? nm_port_at(i)->name : 0; }

static const nm_model *find_model(const char *name)
{
    for (int i = 0; i < nm_models_count; i++)
        if (!strcmp(nm_models[i].name, name)) return &nm_models[i];
    return 0;
}

/* The port a model runs on: its own for the multiplexing models, else the
 * one asked for, else the best this build has. */
static int choose_port(nm_server *s, const nm_model *m)
{
    const char *want = s->cfg.poller;
    if (m->port_name) {
        if (want && strcmp(want, m->port_name))
            return usage_error("model %s runs on its own port only (drop --poller)", m->name);
        want = m->port_name;
    }
    s->port = want ? nm_port_find(want) : nm_port_at(0);
    if (!s->port) {
        char q[NM_QUOTE_MAX + 4];
        return usage_error("unknown or unavailable poller '%s'", nm_quote(want, q));
    }
    if (s->cfg.edge_triggered && !s->port->edge_capable)
        return usage_error("poller %s cannot be edge-triggered", s->port->name);
    return 0;
}

int nm_config_differs(const long long *program, int count, char *why, size_t n);   /* config_check.cpp */

extern "C" int NM_RUN_SYMBOL(const char *model, const nm_config *cfg, const nm_handler *handler, const long long *tunables,
                             int count)
{
    last_error[0] = 0;
    pool_short = 0;
    if (nm_config_differs(tunables, count, last_error, sizeof(last_error))) return NM_ERR_USAGE;
    const nm_model *m = find_model(model ? model : "");
    if (!m) {
        char q[NM_QUOTE_MAX + 4];
        return usage_error("unknown model '%s' (nm_model_name() lists this build's)", nm_quote(model ? model : "", q));
    }
    if (!handler || !handler->fn) return usage_error("%s", "no handler given");
    if (!cfg->proto) return usage_error("%s", "no protocol (nm_config_init sets &nm_proto_http)");
    if (!cfg->proto->frame || !cfg->proto->name) return usage_error("%s", "a protocol needs a name and a frame function");
    int conns = nm_run_size(cfg->max_conns, NM_MAX_CONNS, NM_MAX_CONNS, "--max-conns", "NM_MAX_CONNS");
    if (conns < 0) return NM_ERR_USAGE;
    int streams = cfg->max_streams == 0 ? 0
                  : nm_run_size(cfg->max_streams, NM_STREAM_BUFFERS, NM_STREAM_BUFFERS, "--max-streams", "NM_STREAM_BUFFERS");
    if (streams < 0) return NM_ERR_USAGE;
    if (cfg->queue_wait_ms < 0) return usage_error("queue_wait_ms below 0 (NM_NO_WAIT, %s: refuse at once)", "0");
    if (cfg->min_rate < 0) return usage_error("min_rate below 0 (NM_NO_MIN_RATE, %s: no minimum)", "0");
    if (cfg->yield_slice_ms < 0 && cfg->yield_slice_ms != NM_DEFAULT)
        return usage_error("yield_slice_ms below 0 (NM_DEFAULT, %s: the build's NM_YIELD_SLICE_MS)", "-1");
    if (cfg->max_threads != NM_UNLIMITED && cfg->max_threads < 1)
        return usage_error("max_threads below 1 (NM_UNLIMITED, %s: no cap)", "-2");
    if (cfg->max_threads != NM_UNLIMITED && nm_run_size(cfg->max_threads, 0, NM_MAX_THREADS, "max_threads", "NM_MAX_THREADS") < 0)
        return NM_ERR_USAGE;
    pthread_once(&fork_handlers_once, install_fork_handlers);

    nm_server *s = claim_server();
    if (!s) return usage_error("%s", "too many servers running at once (NM_MAX_SERVERS)");
    s->cfg = *cfg;
    s->cfg.max_conns = conns;
    s->cfg.max_streams = streams;
    if (cfg->yield_slice_ms == NM_DEFAULT) s->cfg.yield_slice_ms = NM_YIELD_SLICE_MS;
    s->streams = 0;
    s->handler = *handler;
    nm_session_bind(s, cfg->proto);
    s->counters = &s->own_counters;
    s->port_number = cfg->port;
    s->listen_fd = -1;
    nm_user_begin(s);
    s->threads.cap = cfg->max_threads == NM_UNLIMITED ? 0 : cfg->max_threads;   /* the share's 0: no cap */
    s->threads.owner = s;
    nm_thread_share *outer = nm_thread_share_enter(&s->threads);
    nm_reservation *outer_reservation = nm_reservation_enter(&s->reservation);
    if (cfg->handle_signals) take_stop_signals();
    int rc = NM_OK;
    if (m->flags & NM_MODEL_USES_PORT) rc = choose_port(s, m);
    else if (cfg->poller) rc = usage_error("model %s does not use a poller (drop --poller)", m->name);
    if (!rc) rc = refuse_listener(s, m);
    if (!rc) {
        nm_reserve_fd_open();
        s->listen_fd = nm_listen_open(s, (m->flags & NM_MODEL_USES_PORT) != 0, (m->flags & NM_MODEL_REUSEPORT) != 0);
        if (s->listen_fd < 0) rc = last_error[0] ? NM_ERR_USAGE : NM_ERR_SYSTEM;
    }
    if (!rc) {
        if (!(m->flags & NM_MODEL_ANNOUNCES)) nm_announce(s);
        rc = m->run(s);
    }
    int failed_call = errno;   /* NM_ERR_SYSTEM's: what cleans up below may set its own */
    nm_user_end(s);
    if (rc == NM_ERR_SYSTEM && pool_short) rc = NM_ERR_USAGE;
    if (rc == NM_ERR_SYSTEM && s->threads.refused && !last_error[0]) {
        snprintf(last_error, sizeof(last_error), "max_threads %d is too few for model %s", cfg->max_threads, m->name);
        rc = NM_ERR_USAGE;
    }
    if (cfg->handle_signals) give_back_stop_signals();
    nm_thread_share_enter(outer);
    nm_pools_unreserve(&s->reservation);
    nm_reservation_enter(outer_reservation);
    release_server(s);
    if (rc == NM_ERR_SYSTEM) errno = failed_call;
    return rc;
}

/* server.cpp - nm_run: check what it is given, choose the model and the
 * port, open the listener, hand the server to the model, and clean up after
 * it. The server table, the stop and the listener are the loop's
 * (loop/servers.cpp, loop/listen.cpp). */
#include "loop/server.h"
#include "loop/accept.h"
#include "loop/listen.h"
#include "base/error.h"
#include "base/mstat.h"
#include "base/pool.h"
#include "loop/conn.h"
#include "proto/protocol.h"
#include "session/session.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>

extern const nm_model nm_models[];
extern const int nm_models_count;

extern nm_server nm_server_slots[NM_MAX_SERVERS];

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


extern "C" const char *nm_server_poller(const nm_server *srv)
{
    srv = nm_server_of(srv);
    return srv && srv->port ? srv->port->name : "none";
}




/* The flags of the models this build keeps, any of them has (kept_any)
 * and every one has (kept_all): a branch for what none of them does (a
 * firmware's one model: no SO_REUSEPORT listener, none without a port) is
 * not compiled in. */
#include "models/kept.h"
#define NM_LEFT_OUT(name, flags, port)
#define NM_MODEL(name, file, flags, port) NM_KEPT(NM_WITHOUT_##name)(name, flags, port)
#define NM_ENTRY(name, flags, port) | (flags)
static const int kept_any = 0
#include "models/models.def"
    ;
#undef NM_ENTRY
#define NM_ENTRY(name, flags, port) & (flags)
static const int kept_all = ~0
#include "models/models.def"
    ;
#undef NM_ENTRY
#undef NM_MODEL
#undef NM_LEFT_OUT
/* m's flags as far as this build can tell. */
static int flags_of(const nm_model *m)
{
    /* cppcheck-suppress badBitmaskCheck ; kept_all is 0 in a build of every model, not in a firmware's */
    return (m->flags & kept_any) | kept_all;
}

/* A model that opens a SO_REUSEPORT listener in each of its processes
 * (prefork_reuseport, and the process models on a poller that cannot share
 * one listener) cannot do so on a Unix socket's path or on a listener
 * handed in: refused before anything starts. */
static int refuse_listener(const nm_server *s, const nm_model *m)
{
    int per_child = (flags_of(m) & NM_MODEL_REUSEPORT) && !nm_shares_listener(s);
    const char *kind = s->cfg.listen_fd >= 0 ? "a listener handed in"
                       : s->cfg.host && !strncmp(s->cfg.host, "unix:", 5) ? "a Unix socket" : 0;
    if (!per_child || !kind) return 0;
    return nm_error_set("model %s%s%s opens a SO_REUSEPORT listener in each process, impossible on %s%s",
             m->name, s->port ? " on poller " : "", s->port ? s->port->name : "", kind,
             s->port ? " (on epoll the processes share one)" : "");
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
            return nm_error_set("model %s runs on its own port only (drop --poller)", m->name);
        want = m->port_name;
    }
    s->port = want ? nm_port_find(want) : nm_port_at(0);
    if (!s->port) {
        char q[NM_QUOTE_MAX + 4];
        return nm_error_set("unknown or unavailable poller '%s'", nm_quote(want, q));
    }
    if (s->cfg.edge_triggered && !s->port->edge_capable)
        return nm_error_set("poller %s cannot be edge-triggered", s->port->name);
    return 0;
}

int nm_config_differs(const long long *program, int count, char *why, size_t n);   /* config_check.cpp */

extern "C" int NM_RUN_SYMBOL(const char *model, const nm_config *cfg, const nm_handler *handler, const long long *tunables,
                             int count)
{
    nm_error_line[0] = 0;
    nm_error_pool_short = 0;
    if (nm_config_differs(tunables, count, nm_error_line, sizeof(nm_error_line))) return NM_ERR_USAGE;
    const nm_model *m = find_model(model ? model : "");
    if (!m) {
        char q[NM_QUOTE_MAX + 4];
        return nm_error_set("unknown model '%s' (nm_model_name() lists this build's)", nm_quote(model ? model : "", q));
    }
    if (!handler || !handler->fn) return nm_error_set("%s", "no handler given");
    if (!cfg->proto) return nm_error_set("%s", "no protocol (nm_config_init sets &nm_proto_http)");
    if (!cfg->proto->frame || !cfg->proto->name) return nm_error_set("%s", "a protocol needs a name and a frame function");
    int conns = NM_RUN_SIZE(cfg->max_conns, NM_MAX_CONNS, NM_MAX_CONNS, "--max-conns");
    if (conns < 0) return NM_ERR_USAGE;
    int streams = cfg->max_streams == 0 ? 0
                  : NM_RUN_SIZE(cfg->max_streams, NM_STREAM_BUFFERS, NM_STREAM_BUFFERS, "--max-streams");
    if (streams < 0) return NM_ERR_USAGE;
    if (cfg->queue_wait_ms < 0) return nm_error_set("queue_wait_ms below 0 (NM_NO_WAIT, %s: refuse at once)", "0");
    if (cfg->min_rate < 0) return nm_error_set("min_rate below 0 (NM_NO_MIN_RATE, %s: no minimum)", "0");
    if (cfg->yield_slice_ms < 0 && cfg->yield_slice_ms != NM_DEFAULT)
        return nm_error_set("yield_slice_ms below 0 (NM_DEFAULT, %s: the build's NM_YIELD_SLICE_MS)", "-1");
    if (cfg->max_threads != NM_UNLIMITED && cfg->max_threads < 1)
        return nm_error_set("max_threads below 1 (NM_UNLIMITED, %s: no cap)", "-2");
    if (cfg->max_threads != NM_UNLIMITED && NM_RUN_SIZE(cfg->max_threads, 0, NM_MAX_THREADS, "max_threads") < 0)
        return NM_ERR_USAGE;

    nm_server *s = nm_server_claim();
    if (!s) return nm_error_set("%s", "too many servers running at once (NM_MAX_SERVERS)");
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
    if (flags_of(m) & NM_MODEL_USES_PORT) rc = choose_port(s, m);
    else if (cfg->poller) rc = nm_error_set("model %s does not use a poller (drop --poller)", m->name);
    if (!rc) rc = refuse_listener(s, m);
    if (!rc) {
        nm_reserve_fd_open();
        s->listen_fd = nm_listen_open(s, (flags_of(m) & NM_MODEL_USES_PORT) != 0, (flags_of(m) & NM_MODEL_REUSEPORT) != 0);
        if (s->listen_fd < 0) rc = nm_error_line[0] ? NM_ERR_USAGE : NM_ERR_SYSTEM;
    }
    if (!rc) {
        if (!(flags_of(m) & NM_MODEL_ANNOUNCES)) nm_announce(s);
        rc = m->run(s);
    }
    int failed_call = errno;   /* NM_ERR_SYSTEM's: what cleans up below may set its own */
    nm_user_end(s);
    if (rc == NM_ERR_SYSTEM && nm_error_pool_short) rc = NM_ERR_USAGE;
    if (rc == NM_ERR_SYSTEM && s->threads.refused && !nm_error_line[0]) {
        rc = nm_error_set("max_threads %d is too few for model %s", cfg->max_threads, m->name);
    }
    if (cfg->handle_signals) give_back_stop_signals();
    nm_thread_share_enter(outer);
    nm_pools_unreserve(&s->reservation);
    nm_reservation_enter(outer_reservation);
    nm_server_release(s);
    if (rc == NM_ERR_SYSTEM) errno = failed_call;
    return rc;
}

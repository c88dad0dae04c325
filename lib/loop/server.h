/* server.h - what every model is handed: settings, handler, protocol,
 * listener, counters. */
#ifndef NM_SERVER_H
#define NM_SERVER_H

#include "../netmodels.h"
#include <sys/time.h>
#include "../base/mstat.h"
#include "../base/thread.h"
#include "../base/pool.h"
#include "../../ports/port.h"
#include "user.h"

struct nm_conn;
struct nm_transport;

/* What a driver tells the session and what the session answers: the
 * contract is lib/session/session.h's (nm_session_on). */
enum nm_session_event { NM_ON_START, NM_ON_READY, NM_ON_RECEIVED, NM_ON_SENT, NM_ON_RETURNED, NM_ON_TIMEOUT, NM_ON_STOP };
enum nm_action_kind { NM_ACT_CLOSE, NM_ACT_WAIT, NM_ACT_SUBMIT, NM_ACT_HANDOFF, NM_ACT_PARK, NM_ACT_QUEUE };
struct nm_action {
    uint8_t kind;        /* nm_action_kind */
    uint8_t io;          /* NM_READ | NM_WRITE: what a WAIT or a SUBMIT is for */
    uint32_t deadline;   /* ms */
};

/* The session's entry points, handed down as functions: the session is a
 * room above the loops and threads that drive it (lib/session/README). */
struct nm_drive_ops {
    /* An event: the one action to take (the loop drivers' only entry). */
    nm_action (*on)(nm_conn *c, int event);
    /* On the thread an NM_ACT_HANDOFF sent c to: run the handler for the
     * whole requests buffered (NULL unless the server hands off). */
    void (*handle)(nm_conn *c);
};
/* NM_PARK: a paused body, watch nothing (loop/pause.h). NM_QUEUE: no buffer
 * or no place for it now: it waits in its loop's queue (loop.h). */
enum { NM_PARK = 16, NM_QUEUE = 32 };

/* Counters, updated atomically. Multi-process models point `counters` at a
 * block of shared memory so that every process adds into one set. */
struct nm_counters {
    unsigned long accepted, active, requests, refused, errors, timeouts, waited, slow;
    unsigned long gauge[4];   /* nm_gauge_id: what a model's invariant test reads */
    unsigned long body_reads; /* receive calls into streaming bodies (session: NM_BODY_READ_BUFS) */
    unsigned long lingered;   /* closes that read and dropped the client's input first (session.h) */
};

struct nm_server {
    nm_config cfg;
    nm_handler handler;
    const nm_protocol *proto;
    const nm_drive_ops *drive;
    const char *refusal;         /* the protocol's answer to a connection refused unread, or NULL */
    const nm_transport *transport;   /* how the session receives and sends (lib/session/transport.h) */
    /* Blocking models: do clients wait for a worker (in the model's queue or
     * the listener's backlog)? Then a worker gives up a connection that goes
     * idle (lib/loop/blocking.h). NULL: never asked. */
    int (*clients_wait)(const nm_server *s);
    void *clients_wait_arg;
    /* Features a firmware may not call, reached through pointers that their
     * entry points set, so that one that never calls them links none of
     * them: a body's pause (nm_body_take sets it, loop/pause.h) and the
     * step that makes a streaming answer's pieces (nm_resp_stream). NULL
     * until then; set before any connection of the server could use them. */
    const struct nm_pause_ops *pausing;
    int (*stream_step)(nm_conn *c);
    int hooks_in_child;          /* connections are opened by a parent and served by a child of
                                    their own: on_open waits for nm_conn_hook_open there */
    const nm_port_ops *port;     /* chosen by --poller, or the best one */
    int listen_fd;
    int port_number;
    /* Listeners beyond IPv4: what listen_fd is, so that TCP options go to
     * TCP only, a listener handed in stays open and as it was, and a Unix
     * socket's file is removed by the process that bound it, not its children. */
    int listen_family;           /* AF_INET, AF_INET6 or AF_UNIX */
    int listen_handed;           /* cfg.listen_fd: the caller's, never closed here */
    int listen_handed_flags;     /* its file status flags when handed in, restored at stop */
    struct timeval listen_handed_timeout;   /* and its SO_RCVTIMEO (blocking models set one) */
    int unix_owner;              /* pid that bound the Unix socket's file, or 0 */
    nm_counters *counters;
    nm_counters own_counters;
    nm_mstats model_stats;       /* the model's own counters (nm_mstat), this server's only */
    nm_thread_share threads;     /* its share of the stack pool (cfg.max_threads) */
    nm_reservation reservation;  /* what its model holds of the pools to start (nm_reserve) */
    volatile int stopping;       /* set by nm_server_stop(), read by the loops */
    nm_user_svc user;            /* the application's watches, timers and posts (user.h) */
    int in_use;                  /* this slot of the server table runs an nm_run */
    unsigned streams;            /* bodies and answers streaming now, this process's (cfg.max_streams) */
    /* Its slot's run (loop/servers.cpp): the face of the run, and a stop
     * aimed at face n (n + 1; 0 none); kept past a claim's clearing. */
    unsigned face_now, face_stop;
    const nm_server *face;       /* the pointer of this run (nm_server_face) */
};

enum nm_counter_id { NM_C_ACCEPTED, NM_C_ACTIVE, NM_C_REQUESTS, NM_C_REFUSED, NM_C_ERRORS, NM_C_TIMEOUTS, NM_C_WAITED, NM_C_SLOW };

static inline unsigned long *nm_counter(nm_server *s, nm_counter_id id)
{
    return &(&s->counters->accepted)[id];
}
static inline void nm_count(nm_server *s, nm_counter_id id)
{
    __atomic_fetch_add(nm_counter(s, id), 1ul, __ATOMIC_RELAXED);
}
static inline void nm_uncount(nm_server *s, nm_counter_id id)
{
    __atomic_fetch_sub(nm_counter(s, id), 1ul, __ATOMIC_RELAXED);
}

/* Do clients wait for a blocking worker (s->clients_wait)? */
static inline int nm_clients_wait(const nm_server *s) { return s->clients_wait && s->clients_wait(s); }

/* Gauges: how many threads or processes are inside a call now, and the most
 * ever seen at once (read by name through nm_server_gauge). */
enum nm_gauge_id { NM_G_IN_ACCEPT, NM_G_ACCEPT_PEAK, NM_G_IN_WAIT, NM_G_WAIT_PEAK };

static inline void nm_gauge_enter(nm_server *s, nm_gauge_id now)
{
    unsigned long *g = s->counters->gauge;
    unsigned long v = __atomic_add_fetch(&g[now], 1ul, __ATOMIC_SEQ_CST);
    unsigned long peak = __atomic_load_n(&g[now + 1], __ATOMIC_RELAXED);
    while (v > peak && !__atomic_compare_exchange_n(&g[now + 1], &peak, v, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
    }
}
static inline void nm_gauge_leave(nm_server *s, nm_gauge_id now)
{
    __atomic_fetch_sub(&s->counters->gauge[now], 1ul, __ATOMIC_SEQ_CST);
}

/* The pointer a run of s hands the application (on_ready, req->server,
 * the callbacks); and back, the server a pointer of the API names: NULL
 * for a pointer of a run that is over; a pointer that is no face (a server
 * outside the table) as it is. */
static inline const nm_server *nm_server_face(const nm_server *s) { return s->face ? s->face : s; }
nm_server *nm_server_of(const nm_server *p);

/* nm_run's slot of the server table, under a new face, or NULL when
 * NM_MAX_SERVERS run; given back with its listener closed (nm_listen_close). */
nm_server *nm_server_claim(void);
void nm_server_release(nm_server *s);
/* True once this server (or every server) was asked to stop: its flag,
 * or a stop aimed at the face of its run (a stop through an older face
 * reaches no later run). Inline: the session asks it for every request. */
static inline int nm_stop_requested(const nm_server *s)
{
    return __atomic_load_n(&s->stopping, __ATOMIC_RELAXED) ||
           __atomic_load_n(&s->face_stop, __ATOMIC_ACQUIRE) == __atomic_load_n(&s->face_now, __ATOMIC_ACQUIRE) + 1;
}

/* In a child just forked for s (a process of a multi-process model): forget
 * the other servers of the process, closing their listeners and connections,
 * so that each server stops alone and its clients see their connections end
 * when its own processes close them. */
void nm_server_forked(const nm_server *s);
/* Where this server's slot is in the server table (0 .. NM_MAX_SERVERS - 1):
 * the index of a model's per-server state. */
int nm_server_index(const nm_server *s);

/* The listener (loop/listen.cpp). */
/* The listener cfg names (listen_fd handed in, or host and port): fd, or -1
 * (with nm_last_error() set when the address is at fault). */
int nm_listen_open(nm_server *s, int nonblocking, int reuseport);
/* Close what nm_listen_open opened. A listener handed in stays open, its
 * flags and receive timeout put back; a Unix socket's file goes with the
 * process that bound it (a forked child leaving never removes its parent's). */
void nm_listen_close(nm_server *s);
void nm_set_nonblocking(int fd, int on);

/* Model table entry. */
struct nm_model {
    const char *name;
    int (*run)(nm_server *s);
    unsigned flags;
    const char *port_name;   /* the multiplexing models are defined by their port */
};
enum {
    NM_MODEL_USES_PORT = 1,
    NM_MODEL_ANNOUNCES = 2,   /* the model calls nm_announce() once it can serve */
    NM_MODEL_REUSEPORT = 4    /* the first listener is opened with SO_REUSEPORT */
};

/* The processes of a model flagged NM_MODEL_REUSEPORT share the first
 * listener when its port wakes only one of them per connection
 * (EPOLLEXCLUSIVE); otherwise each opens a SO_REUSEPORT listener of its own,
 * which only a TCP address of nm_run's own choosing allows. */
static inline int nm_shares_listener(const nm_server *s) { return s->port && s->port->wakes_one_of_shared; }

/* A model, before it takes anything: hold for its start what it needs of
 * each pool (want[0 .. count - 1], at most NM_RESERVE_POOLS), all of it or
 * none. NM_OK, or NM_ERR_USAGE naming the first pool short, what was asked
 * and what is left. What is held and not taken goes back when nm_run ends. */
int nm_reserve(nm_server *s, const nm_pool_claim *want, int count);
/* A count the model chose itself (--threads not given): n, or fewer so
 * that n + besides fit what p has free now, at least 1; a server beside
 * others starts smaller rather than not at all. */
int nm_fit_free(int n, const nm_pool *p, int besides);
/* Say that pool p had `left` when `asked` were wanted at start (as
 * nm_reserve does): NM_ERR_USAGE, and nm_run returns it for the model's
 * NM_ERR_SYSTEM. For a start that takes one element and needs no more. */
int nm_pool_short(const nm_pool *p, unsigned asked, unsigned left);

/* Tell the application the server is ready (cfg.on_ready), once. */
void nm_announce(nm_server *s);
/* The one sizing policy of every count option (--threads, --workers, --pool,
 * --max-conns, --max-streams): `asked` when given; asked past `cap` (the build's maximum,
 * set by the macros named in `limit`), -1 with a usage error naming `option`
 * and the cap; below 1, -1 and a usage error too. NM_DEFAULT, `dflt` (a
 * macro of nm_config.h; NM_PER_CPU: nm_cpu_count), silently clamped to `cap`.
 * Called through NM_RUN_SIZE, which names the cap by its expression, or
 * NM_RUN_SIZE_BESIDE, so that a cap and its name cannot disagree. */
int nm_run_size(int asked, int dflt, int cap, const char *option, const char *limit);
#define NM_RUN_SIZE(asked, dflt, cap, option) nm_run_size(asked, dflt, cap, option, #cap)
/* A pool of threads beside `subs` loops on threads of the same model. */
#define NM_RUN_SIZE_BESIDE(asked, dflt, subs, option) \
    nm_run_size(asked, dflt, NM_MAX_THREADS - (subs), option, "NM_MAX_THREADS less the sub-loops")
/* Online CPUs, at least 1, at most `cap`. */
int nm_cpu_count(int cap);

#endif

/*
 * netmodels.h - the C API of libnetmodels.
 *
 * An application writes one handler and runs it under any concurrency model:
 *
 *   static int hello(const nm_request *req, nm_response *res, void *user) {
 *       nm_resp_body(res, "Hello, World!", 13);
 *       return 0;
 *   }
 *   nm_config cfg; nm_config_init(&cfg); cfg.port = 8080;
 *   nm_handler h = { hello, 0 };
 *   return nm_run("epoll", &cfg, &h);
 *
 * Nothing here allocates: requests are views into the connection's input
 * buffer, responses are written straight into buffers from the static pool.
 */
#ifndef NETMODELS_H
#define NETMODELS_H

#include <stddef.h>
#include "nm_config.h"

/* ---- version and build compatibility ------------------------------------
 * Until 1.0 a minor release may change the source and binary interface
 * (lib/VERSIONS.md). Every public struct depends on the version, and
 * nm_request's layout and the pools on nm_config.h's tunables: nm_run (an
 * inline function, below) calls nm_run_v0_4, a symbol named after the
 * version, so a program compiled against another version than its library
 * fails to link; and it hands over the program's value of every tunable
 * (NM_TUNABLES), which the library compares with its own: a program
 * compiled against another configuration gets NM_ERR_USAGE, nm_last_error()
 * naming the first tunable that differs and both values. */
#define NM_VERSION_MAJOR 0
#define NM_VERSION_MINOR 4
#define NM_VERSION_PATCH 0
#define NM_RUN_NAME_(major, minor) nm_run_v##major##_##minor
#define NM_RUN_NAME(major, minor) NM_RUN_NAME_(major, minor)
#define NM_RUN_SYMBOL NM_RUN_NAME(NM_VERSION_MAJOR, NM_VERSION_MINOR)

#ifdef __cplusplus
extern "C" {
#endif

/* Return codes of nm_run. */
enum {
    NM_OK = 0,          /* stopped cleanly */
    NM_ERR_SYSTEM = 1,  /* a system call failed at start-up (errno is that call's) */
    NM_ERR_USAGE = 2    /* unknown model or poller, bad option, port in use, a shared
                           pool (stacks, loops) too small for what the model needs,
                           a program built with other tunables than the library */
};

/* Which protocol framed a request (nm_request.protocol, read only): the two
 * built in, or NM_PROTO_OTHER under a protocol of your own. A server's
 * protocol is chosen by nm_config.proto alone. */
enum nm_protocol_id { NM_PROTO_HTTP = 0, NM_PROTO_ECHO = 1, NM_PROTO_OTHER = 2 };

typedef struct nm_slice { const char *p; size_t n; } nm_slice;
typedef struct nm_header { nm_slice name, value; } nm_header;

typedef struct nm_server nm_server;
typedef struct nm_response nm_response;
/* A connection, as long as it lives: its slot and the slot's generation, so
 * an id outliving its connection never names the next one (nm_send). */
typedef unsigned long long nm_conn_id;

/* One request, as views into the input buffer; valid during the handler call.
 * For the echo protocol only `body` is set (the bytes received). Under a
 * protocol other than HTTP, method, target and headers are empty: the
 * message is `head_bytes` and `body`, as the protocol's framing cut it. */
typedef struct nm_request {
    int protocol;               /* nm_protocol_id */
    nm_slice method;            /* "GET" */
    nm_slice target;            /* "/path?query" */
    int version_minor;          /* HTTP/1.<minor> */
    int keep_alive;             /* the connection stays open after this answer */
    int head;                   /* HEAD: the body will not be sent */
    int header_count;
    nm_header headers[NM_MAX_HEADERS];
    nm_slice body;
    size_t size;                /* bytes the whole request took on the wire */
    nm_server *server;          /* for nm_server_stats() and the like */
    nm_conn_id conn;            /* the connection it came on (nm_send) */
    /* Listeners beyond IPv4: the connection's socket (nm_request_peer reads it). */
    int fd;
    /* Your own protocol: the head of the message (HTTP: the request line
     * and header fields) as bytes. */
    nm_slice head_bytes;
    /* The connection's own NM_CONN_USER_SIZE bytes (zero when it opened),
     * kept across its requests; NULL when NM_CONN_USER_SIZE is 0. */
    void *state;
    /* A body that streams (nm_body_take): 1 in the handler's call for the
     * head, `body` then empty; body_size is its length, or -1 when it is
     * chunked (not known before its end). */
    int body_streams;
    long long body_size;
} nm_request;

/* The handler: fill `res`, return 0. A non-zero return answers 500. */
typedef int (*nm_handler_fn)(const nm_request *req, nm_response *res, void *user);
typedef struct nm_handler { nm_handler_fn fn; void *user; } nm_handler;

/* Building a response: status first, then headers, then one body.
 * Each returns 0, or -1 when out of order or out of buffer space. */
int nm_resp_status(nm_response *res, int status);
int nm_resp_header(nm_response *res, const char *name, const char *value);
int nm_resp_body(nm_response *res, const void *data, size_t len);        /* copied */
int nm_resp_body_static(nm_response *res, const void *data, size_t len); /* by reference:
                                        data must stay valid until it is sent */

/* ---- Request bodies larger than a buffer ----------------------------
 * A body that does not fit NM_BUF_SIZE beside its head (a Content-Length up
 * to nm_config.max_body, or Transfer-Encoding: chunked, any protocol whose
 * framing says NM_BODY_LENGTH or NM_BODY_CHUNKED) streams. The handler is
 * called once the head is in, with req->body_streams set and req->body
 * empty. To read the body it calls nm_body_take: fn is then called with each
 * piece as it arrives (data, len; the connection holds one buffer, whatever
 * the body's size), on the thread that runs handlers for the connection,
 * and once more at the end with data NULL and `res` to answer with (res is
 * NULL for the pieces). fn returns 0, NM_BODY_PAUSE (below), or anything
 * else to fail: 500 and a close.
 * Within a piece's call, req holds only server, conn, fd, state and
 * body_size (the head's views are gone: keep what you need in req->state).
 * A handler that does not take the body answers at once, and the body is
 * read and dropped. HTTP answers "Expect: 100-continue" with 100 Continue. */
typedef int (*nm_body_fn)(const nm_request *req, const void *data, size_t len, nm_response *res, void *user);
/* In the handler's call for a streaming head only: 0, or -1. */
int nm_body_take(nm_response *res, nm_body_fn fn, void *user);
/* A piece's call may return NM_BODY_PAUSE instead of 0: the piece is taken,
 * and nothing more is read from the connection (the rest of the body stays
 * in the kernel, then the client's window: backpressure) until
 * nm_body_resume names it, from any thread of the process that serves the
 * connection (req->conn is its id); a pause of the last piece delays the
 * end call too. While paused no deadline runs (the wait is the
 * application's), the body deadline restarts at the resume, and a stop
 * closes it. A resume that comes before the pause it answers cancels it.
 * nm_body_resume: 0, or -1 when id names no connection whose body streams
 * to a callback in this process. */
#define NM_BODY_PAUSE 0x7061
int nm_body_resume(const nm_server *srv, nm_conn_id id);

/* ---- Answers larger than the output queue ----------------------------
 * nm_resp_stream answers with a body made piece by piece: fn is asked for
 * the next piece each time the connection's queue has been sent, so a slow
 * reader holds one buffer, never the whole answer. fn writes up to `room`
 * bytes at buf and returns how many (> 0), 0 at the end, or -1 to fail
 * (the head is gone: the connection is closed). It runs on the thread that
 * writes the connection (a model's I/O thread, which may not be the
 * handler's) and must not block; `user` must live until it returns 0 or
 * the connection closes (req->state lives as long as the connection).
 * total: the body's length (the protocol's head says it; fn is asked until
 * that many bytes came, fewer is a failure), or NM_LENGTH_UNKNOWN: the
 * protocol frames the pieces while the connection stays open (HTTP/1.1:
 * chunked), else the close ends the body (HTTP/1.0). Call it instead of
 * nm_resp_body, after the status and headers. Answers and request bodies
 * that stream hold a place each, at most nm_config.max_streams at once:
 * past it, -1, a refusal counted and the answer undone (its headers too),
 * for the handler to answer anew (503, say). */
#define NM_LENGTH_UNKNOWN (-1LL)
typedef long (*nm_produce_fn)(void *user, char *buf, size_t room);
int nm_resp_stream(nm_response *res, long long total, nm_produce_fn fn, void *user);

/* Under a protocol other than HTTP a handler may answer raw bytes in several
 * calls, answer nothing (a notification), or close after its answer. */
int nm_resp_write(nm_response *res, const void *data, size_t len);       /* copied, unframed */
void nm_resp_close(nm_response *res);   /* close the connection once this answer is sent */

/* ---- Your own protocol ------------------------------------------------
 * A protocol is a framing function and the writers that frame what a handler
 * answers; HTTP and echo are two of these (nm_proto_http, nm_proto_echo),
 * made with nothing but what is declared here. nm_config.proto names the one
 * a server runs.
 *
 * Framing: frame() looks at the bytes received so far, buf[0, len), from the
 * start of one message, and returns
 *   NM_FRAME_MORE     not a whole head yet (a full buffer is then refused
 *                     with status 431 and the connection closed);
 *   NM_FRAME_MESSAGE  f->head bytes of head, then a body of kind f->body
 *                     (f->body_len bytes for NM_BODY_LENGTH); it may fill
 *                     req's method, target, headers and keep_alive;
 *   NM_FRAME_REFUSE   refuse: the error answer for f->status (the writers
 *                     below and error_body) is sent and the connection closed.
 * f->scan is the protocol's own: 0 at the start of each message and kept
 * between the calls for that message, e.g. how far a search got. Called
 * again as more bytes arrive, until it says MESSAGE, and once more on the
 * bytes after that message (pipelining). A message of zero bytes is refused.
 * A body that does not fit NM_BUF_SIZE beside its head streams (above:
 * nm_body_take) up to nm_config.max_body (past it: 413); a head never
 * whole in a full buffer is refused with 431. f->interim, when set, is
 * sent before a streaming body is read (HTTP's 100 Continue). */
enum nm_frame_result { NM_FRAME_MORE = 0, NM_FRAME_MESSAGE = 1, NM_FRAME_REFUSE = 2 };
enum nm_body_kind {
    NM_BODY_NONE = 0,       /* the head is the message (a Modbus frame, a RESP command) */
    NM_BODY_LENGTH = 1,     /* body_len bytes follow the head */
    NM_BODY_CHUNKED = 2,    /* HTTP/1.1 chunked coding: it streams */
    NM_BODY_TO_CLOSE = 3    /* everything until the peer closes its side */
};
typedef struct nm_frame {
    size_t scan;                 /* the protocol's: 0 at a message's start, kept between calls */
    size_t head;                 /* MESSAGE: the head's length */
    int body;                    /* MESSAGE: nm_body_kind */
    unsigned long long body_len; /* NM_BODY_LENGTH: the body's length */
    int status;                  /* REFUSE: the status of the error answer */
    const char *interim;         /* MESSAGE: bytes to send before a streaming body is read, or NULL */
} nm_frame;

typedef struct nm_protocol {
    const char *name;
    int (*frame)(const char *buf, size_t len, nm_frame *f, nm_request *req);
    /* The writers, each 0 or -1 (the answer fails: 500, or a close). NULL:
     * nothing to write (a header then fails). open_head starts an answer
     * (HTTP: the status line), header adds one field, close_head ends the
     * head before a body of body_len bytes. They write with nm_resp_write
     * and read the answer with the nm_resp_ getters below. */
    int (*open_head)(nm_response *res);
    int (*header)(nm_response *res, const char *name, const char *value);
    int (*close_head)(nm_response *res, size_t body_len);   /* body_len (size_t)-1: not known
                                  (nm_resp_stream): pieces framed by piece() below while the
                                  connection stays open, or the protocol calls nm_resp_close */
    /* Sent, as it is, to a connection refused before any request was read
     * (no slot free): a NUL-terminated text, or NULL to just close. */
    const char *refusal;
    /* The body of an error answer the library makes itself (refused input,
     * a failed handler) into out[0, cap), its length; NULL: none. */
    size_t (*error_body)(int status, char *out, size_t cap);
    /* A body of unknown length on a connection that stays open goes in
     * pieces: piece() writes at out (NM_PIECE_MAX bytes of room) what comes
     * before a piece of len bytes, len 0 being the end; first: nothing came
     * before it. Its length; NULL: pieces go unframed. */
    size_t (*piece)(char *out, size_t len, int first);
} nm_protocol;
#define NM_PIECE_MAX 24

extern const nm_protocol nm_proto_http;
extern const nm_protocol nm_proto_echo;

/* What a protocol's writers read of the answer they frame (the getters of
 * a response are nm_resp_get_*, its setters nm_resp_<what>). */
int nm_resp_get_status(const nm_response *res);
int nm_resp_get_keep_alive(const nm_response *res);          /* the connection stays open after it */
const nm_request *nm_resp_get_request(const nm_response *res); /* NULL: an answer to refused input */

/* Counters of a server (summed over processes in multi-process models). */
typedef struct nm_stats {
    unsigned long accepted;  /* connections accepted */
    unsigned long active;    /* connections open now */
    unsigned long requests;  /* requests answered */
    unsigned long refused;   /* connections or requests refused for lack of a resource */
    unsigned long errors;    /* protocol errors and I/O failures */
    unsigned long timeouts;  /* connections closed by a header, body, idle or write timeout */
    /* Requests that waited inside the server for a buffer or a place in a
     * queue (backpressure) instead of being refused; refused past
     * nm_config.queue_wait_ms. */
    unsigned long waited;
    /* Free elements of this process's pools now (not summed over processes). */
    unsigned long free_slots, free_buffers;
    /* Of the timeouts, connections cut because their head or body came
     * slower than nm_config.min_rate. */
    unsigned long slow;
} nm_stats;

void nm_server_stats(const nm_server *srv, nm_stats *out);
/* A model's gauge by name, summed over processes like the counters:
 * "in_accept" / "accept_peak": threads or processes inside accept() now / at
 * most at once; "in_wait" / "wait_peak": the same for waiting in the poller.
 * 0 with *out set, or -1 for an unknown name. */
int nm_server_gauge(const nm_server *srv, const char *name, long *out);
/* Counters of the running model's own (e.g. "steals"): the i-th one's name
 * and value, 0; -1 past the last. Those of the server whose thread calls
 * (a handler's), else of the first server running; with several servers,
 * nm_server_model_stat says which. */
int nm_model_stat(int i, const char **name, unsigned long *value);
/* The poller a server runs on ("epoll", ...), or "none" for blocking models. */
const char *nm_server_poller(const nm_server *srv);
/* Ask a running server to stop: stop accepting, finish answers in flight,
 * return from nm_run. Async-signal-safe; NULL stops every running server.
 * The pointer on_ready hands over will do (it only raises a flag).
 * A server pointer (on_ready, req->server, the callbacks) names one run:
 * once its nm_run has returned, a stop through it does nothing and the
 * other calls taking it fail (-1, or zero counters), even when another
 * server runs in the same slot. */
void nm_server_stop(const nm_server *srv);

/* ---- Your own descriptors, timers and work in the server's loop ----
 * A server runs these on one thread of its own: an event model on its main
 * loop (no extra thread), a multi-process model in the parent (handlers in
 * the children do not see the parent's state), a blocking model on the
 * thread that accepts, between its blocking steps (at most NM_STOP_POLL_MS
 * late). Callbacks of one server never run at the same time as each other;
 * whether they may run beside its handlers is said per model in README.
 * nm_watch, nm_timer_start and nm_timer_stop may be called from any thread
 * (not a signal handler: nm_post a function that calls them): on that
 * thread they act at once; from another, a timer's id is taken at once and
 * the change is posted to that thread (it takes a place among the
 * NM_USER_POSTS). Capacities: NM_USER_WATCHES, NM_USER_TIMERS, NM_USER_POSTS. */
enum { NM_EV_READ = 1, NM_EV_WRITE = 2 };
typedef void (*nm_fd_fn)(const nm_server *srv, int fd, int events, void *user);
typedef void (*nm_call_fn)(const nm_server *srv, void *user);
/* Call fn when fd is ready for `events` (NM_EV_READ, NM_EV_WRITE; level-
 * triggered); events 0 stops watching fd. 0, or -1: every watch is in use,
 * fd is out of range or the poller refuses it. From another thread, 0 says
 * the change was posted: a full table or a refusal is then not seen. */
int nm_watch(const nm_server *srv, int fd, int events, nm_fd_fn fn, void *user);
/* Call fn in ms, and every ms after that when periodic: the timer's id
 * (>= 0), or -1 when every timer is in use (or, from another thread,
 * NM_USER_POSTS calls wait). */
int nm_timer_start(const nm_server *srv, unsigned ms, int periodic, nm_call_fn fn, void *user);
/* 0, or -1 when id names no running timer (a one-shot timer that fired).
 * From another thread the stop is posted: a one-shot timer may fire first. */
int nm_timer_stop(const nm_server *srv, int id);
/* Any thread, a signal handler too: call fn on the server's thread soon,
 * in the order posted. 0, or -1 at once when NM_USER_POSTS calls wait. */
int nm_post(const nm_server *srv, nm_call_fn fn, void *user);
/* Any thread (not a signal handler): send len bytes (at most NM_SEND_MAX)
 * to connection `id` outside its handler, e.g. a UART line pushed to a
 * client. They are copied now into a buffer from the pool and queued on the
 * connection's own thread behind what it has queued already. 0, or -1 when
 * the connection is gone, no buffer is free, or the model cannot take
 * bytes from outside (README: the models whose connections are not served
 * by a loop of theirs). A queue found full when they arrive drops them,
 * counted in `errors`. */
int nm_send(const nm_server *srv, nm_conn_id id, const void *data, size_t len);

/* Values of nm_config's fields that are not a number of something; each
 * field says which it takes (anything else below 1 is NM_ERR_USAGE). */
#define NM_PORT_ANY 0       /* port: a free port (on_ready says which) */
#define NM_DEFAULT (-1)     /* the model's default, or the build's (the field says) */
#define NM_UNLIMITED (-2)   /* no cap */
#define NM_NO_WAIT 0        /* queue_wait_ms: refuse at once, no wait */
#define NM_NO_MIN_RATE 0    /* min_rate: no minimum, the timeouts alone */

/* Run-time settings; nm_config_init() fills in the defaults. */
typedef struct nm_config {
    const char *host;        /* listen address, default "127.0.0.1" */
    int port;                /* a port, or NM_PORT_ANY; default 8080 */
    const char *poller;      /* "epoll", "poll", "select", "kqueue"; NULL = best */
    int edge_triggered;      /* ports that can: report edges only */
    /* threads, workers, pool: a count, or NM_DEFAULT (the default) for the
     * model's own; past the model's cap, nm_run refuses with NM_ERR_USAGE
     * (README.md: count options) */
    int threads;             /* worker threads (models that use them) */
    int workers;             /* worker processes (models that use them) */
    /* The protocol the server speaks: &nm_proto_http (the default),
     * &nm_proto_echo, or one of your own. */
    const nm_protocol *proto;
    int header_timeout_ms;   /* a request's header section must arrive within this */
    int idle_timeout_ms;     /* an idle keep-alive connection is closed after this */
    int write_timeout_ms;    /* a peer that reads nothing for this long is dropped */
    int body_timeout_ms;     /* a request's body must arrive within this of its head */
    int max_conns;           /* connections open at once, at most NM_MAX_CONNS (more: NM_ERR_USAGE),
                                or NM_DEFAULT: NM_MAX_CONNS (the default); past it a new
                                client is answered 503 and counted */
    int pool;                /* handler threads of a worker pool (models that have one): a count,
                                or NM_DEFAULT (the default) */
    /* Called once the listener is open, with the port it has. */
    void (*on_ready)(const nm_server *srv, int port, void *user);
    void *user;
    /* The proactor model's engine: "io_uring", "emulated", NULL = io_uring
     * where the kernel allows it. */
    const char *proactor;
    /* Listeners beyond IPv4 (host above also takes "::", "::1" and
     * "unix:/path"): a listening stream socket already open, handed in by
     * a supervisor (socket activation), or -1 to open `host` and `port`.
     * nm_run serves it and leaves it open at stop: the caller owns it. */
    int listen_fd;
    /* Several servers in one process (README.md: several servers). */
    int max_threads;         /* threads this server may take from the shared stack pool
                                (NM_MAX_THREADS): a count, or NM_UNLIMITED (the default).
                                Past it a thread is refused as an empty pool refuses it;
                                a model that cannot start makes nm_run return NM_ERR_USAGE */
    int handle_signals;      /* 1: while nm_run runs, SIGTERM and SIGINT stop every server
                                (the previous handlers are put back after); 0 = leave
                                signals to the program (the default) */
    /* Per connection, exactly once each, in the process that serves it and
     * never at the same time as a handler of that connection: on_open
     * before its first request, on_close once it is closed. `state` is its
     * NM_CONN_USER_SIZE bytes (req->state), zero at on_open; `user` is
     * nm_config.user. NULL: not called. */
    void (*on_open)(const nm_server *srv, nm_conn_id id, void *state, void *user);
    void (*on_close)(const nm_server *srv, nm_conn_id id, void *state, void *user);
    /* The largest request body that may stream (nm_body_take), bytes; past
     * it a request is answered 413. Default NM_MAX_BODY. */
    unsigned long long max_body;
    /* Request bodies and answers streaming at once (each holds a buffer),
     * per process: a count up to NM_STREAM_BUFFERS (more: NM_ERR_USAGE),
     * 0 (none streams: each is refused as past the cap), or NM_DEFAULT:
     * NM_STREAM_BUFFERS (the default). */
    int max_streams;
    /* How long a request may wait inside the server when every buffer or
     * place in a queue is taken (its bytes stay in the kernel, its own
     * deadlines stopped) before it is answered 503: ms (default
     * NM_QUEUE_WAIT_MS), or NM_NO_WAIT: refused at once. */
    int queue_wait_ms;
    /* Once part of a request's head or body has arrived, the rest must
     * keep coming at this many bytes a second (default NM_MIN_RATE), or
     * the connection is closed, counted in `slow`: judged over windows of
     * a second after a first one of grace, and only in windows in which
     * bytes arrived (a stall, then everything at once, is not slow).
     * NM_NO_MIN_RATE: no minimum. The header and body timeouts apply too. */
    int min_rate;
    /* Models that serve one connection per worker (the blocking ones):
     * while other clients wait for a worker, a connection that has held
     * its worker this long, ms, is closed after its answer ("Connection:
     * close") or once idle. Default NM_YIELD_SLICE_MS, 5 (NM_DEFAULT is the
     * same); 0: no slice, the first answer given while others wait says
     * close. Longer keeps more connections alive under load, at the cost
     * of the waiting clients' latency; an idle connection is given up as
     * its slice ends (lib/nm_config.h says what its clients see). */
    int yield_slice_ms;
    /* A record layer between the socket and the session (TLS): the ops
     * and their context, below; NULL: the plain socket. Set them with
     * nm_config_transport(), which links the library's side of it. */
    const struct nm_transport_ops *transport;
    void *transport_ctx;
    /* Under a transport, a connection's handshake must end within this,
     * ms, or it is cut (the engine counts it); 0 (nm_config_init's) or
     * NM_DEFAULT: NM_HANDSHAKE_MS (10 s). The header timeout applies too. */
    int tls_handshake_ms;
} nm_config;

/* ---- Transports: TLS, or any record layer -----------------------------
 * An engine that sits between the socket and the session provides these
 * ops; the library moves the bytes between the socket and the engine, and
 * between the engine and the session, for every model whose connections
 * the session drives (not the proactor's io_uring engine, which takes the
 * plain socket only). The engine does no I/O of its own and keeps four
 * buffers per connection, as BearSSL's engine does (lib/tls/README says
 * how another engine maps onto them):
 *
 *   NM_TRANSPORT_NET_IN     room for bytes from the socket
 *   NM_TRANSPORT_NET_OUT    bytes owed to the socket (a handshake, records,
 *                           an alert, close_notify): while there are any the
 *                           connection also waits for writable, even when
 *                           the session only reads
 *   NM_TRANSPORT_PLAIN_IN   plaintext for the session: while there is any,
 *                           the engine holds plaintext the socket's
 *                           readiness says nothing of
 *   NM_TRANSPORT_PLAIN_OUT  room for the answers' plaintext: none while
 *                           NET_OUT holds records, so that the socket paces
 *                           the answers (a stalled reader's would pile up
 *                           in the engine, and no write timeout cut it)
 *
 * Each connection has a state of the engine's own, from a static pool of
 * its own: open gives one, or NULL to refuse the connection (the engine
 * counts it). Called on the thread that serves the connection; two
 * connections' states may be used at once from two threads. */
enum nm_transport_buf { NM_TRANSPORT_NET_IN, NM_TRANSPORT_NET_OUT, NM_TRANSPORT_PLAIN_IN, NM_TRANSPORT_PLAIN_OUT };
/* What state() says, bits. */
#define NM_TRANSPORT_HANDSHAKE 1   /* not yet ready for plaintext */
#define NM_TRANSPORT_CLOSED 2      /* closed: the peer's close_notify, or failed */
#define NM_TRANSPORT_FAILED 4      /* a protocol error (its alert may be in NET_OUT) */
/* release's why */
#define NM_TRANSPORT_DONE 0        /* the connection ended */
#define NM_TRANSPORT_CUT 1         /* its handshake passed tls_handshake_ms */
typedef struct nm_transport_ops {
    const char *name;                          /* "bearssl": nmserve's first line says tls=NAME */
    void *(*open)(void *ctx);                  /* a connection begins: its state, or NULL (refused) */
    void (*release)(void *ctx, void *st, int why);   /* it ended: the state goes back to the pool */
    /* The buffer `which` (nm_transport_buf): where it is, and its bytes
     * (NET_OUT, PLAIN_IN) or room (NET_IN, PLAIN_OUT) in *len; NULL when
     * it has none now. */
    unsigned char *(*buf)(void *st, int which, size_t *len);
    /* n bytes of it taken (NET_OUT, PLAIN_IN) or put there (NET_IN,
     * PLAIN_OUT): 0, or -1 when the engine fails (a bad record). */
    int (*ack)(void *st, int which, size_t n);
    void (*flush)(void *st);                   /* seal the plaintext put so far into records */
    void (*close)(void *st);                   /* a clean close: close_notify into NET_OUT */
    int (*state)(void *st);                    /* NM_TRANSPORT_* bits */
    /* The stack its calls take at most, bytes, beyond the library's and the
     * handler's own; 0: little. The fiber model refuses to start under a
     * transport its stacks cannot hold (nm_last_error names the
     * NM_FIBER_STACK_SIZE needed: this, and 16 KiB, the default, for the
     * rest). */
    size_t stack;
} nm_transport_ops;
/* Serve cfg's connections through ops (NULL: the plain socket). */
void nm_config_transport(nm_config *cfg, const nm_transport_ops *ops, void *ctx);
/* The engine's state (open's) of the connection req came on, for the
 * engine's own accessors (a TLS engine's server name); NULL when it has
 * none. From the handler, on the thread that serves the connection. */
void *nm_transport_state(const nm_request *req);

/* The engine the proactor model gets with `mode` here: "io_uring" or
 * "emulated"; NULL when "io_uring" is asked for and refused. */
const char *nm_proactor_kind(const char *mode);

void nm_config_init(nm_config *cfg);

/* Run `model` until stopped. Returns NM_OK, NM_ERR_SYSTEM or NM_ERR_USAGE;
 * on NM_ERR_USAGE, nm_last_error() says why in one line. (It checks the
 * program's configuration against the library's: see the top of this file.) */
int NM_RUN_SYMBOL(const char *model, const nm_config *cfg, const nm_handler *handler,
                  const long long *tunables, int count);
#define NM_TUNABLE_VALUE_(name) (long long)(name),
static inline int nm_run(const char *model, const nm_config *cfg, const nm_handler *handler)
{
    static const long long tunables[] = { NM_TUNABLES(NM_TUNABLE_VALUE_) };
    return NM_RUN_SYMBOL(model, cfg, handler, tunables, (int)(sizeof(tunables) / sizeof(tunables[0])));
}
const char *nm_last_error(void);

/* ---- Several servers in one process ----------------------------------
 * Each nm_run (up to NM_MAX_SERVERS at once, on threads of the program's)
 * has its own counters, model state, model counters and stop; the static
 * pools are shared (cap a server's share with max_conns and max_threads).
 * nm_last_error() is per thread. */
/* The model counters of one server, as nm_model_stat. */
int nm_server_model_stat(const nm_server *srv, int i, const char **name, unsigned long *value);

/* The models compiled into this library, and the pollers. */
int nm_model_count(void);
const char *nm_model_name(int i);
/* The poller model i runs on: NULL for blocking models, "" when any poller
 * can drive it (--poller), else the one it is defined by. */
const char *nm_model_poller(int i);
int nm_poller_count(void);
const char *nm_poller_name(int i);

/* Listeners beyond IPv4: the peer of a request's connection as text,
 * "127.0.0.1:40312", "[::1]:40312", or for a Unix socket "unix" followed,
 * where the system tells (SO_PEERCRED), by " pid=P uid=U gid=G" of the
 * peer process. Written to buf with its NUL; returns the length, or -1 when
 * the peer cannot be read or the text does not fit (NM_PEER_TEXT always does). */
#define NM_PEER_TEXT 80
int nm_request_peer(const nm_request *req, char *buf, size_t len);

/* The static pools, for footprint reports: name, element size, count. */
typedef struct nm_pool_info { const char *name; size_t size; size_t count; } nm_pool_info;
int nm_pool_count(void);
nm_pool_info nm_pool_info_at(int i);   /* a name NULL past the last */

#ifdef __cplusplus
}
#endif
#endif

/* conn.h - connection slots and I/O buffers.
 *
 * A slot is small and holds no buffer while its connection is idle; buffers
 * come from a separate pool and are held only while a request is being read
 * or an answer written. The fd -> slot map is process-wide, so any thread of
 * a model can find the connection of an fd. */
#ifndef NM_CONN_H
#define NM_CONN_H

#include <stdint.h>
#include <stddef.h>
#include "../base/timer.h"
#include "server.h"
#include "../base/rate.h"
#include "../base/error.h"

struct nm_buf {
    char data[NM_BUF_SIZE];
};

/* One queued piece of output: a part of a pooled buffer, or a static body. */
struct nm_seg {
    const char *p;
    uint32_t len;
    uint32_t at;     /* p's offset in the pooled buffer it owns (given back once sent),
                        or NM_SEG_STATIC: static data, owned by nobody here */
};
static const uint32_t NM_SEG_STATIC = UINT32_MAX;
static inline int nm_seg_owns(const nm_seg *s) { return s->at != NM_SEG_STATIC; }
/* The buffer an owning segment is part of, and the room left in it after it. */
static inline nm_buf *nm_seg_buf(const nm_seg *s) { return (nm_buf *)(void *)(s->p - s->at); }
static inline uint32_t nm_seg_room(const nm_seg *s) { return NM_BUF_SIZE - s->at - s->len; }

enum nm_conn_flags {
    NM_CF_CLOSE_AFTER = 1,   /* close once the output queue is empty */
    NM_CF_READ_EOF = 2,      /* the peer finished sending */
    NM_CF_BUSY = 4,          /* a request is being answered away from the loop */
    NM_CF_DEAD = 8,          /* an I/O error: close without writing more */
    NM_CF_BLOCKING = 16,     /* a blocking socket (thread models): its timeouts are stop-poll steps */
    NM_CF_LEVEL = 32,        /* watched by a level-triggered port, which reports bytes left unread
                                (not set under a transport that holds plaintext: session.h) */
    NM_CF_DRAINED = 64,      /* the last read took less than asked: the socket is empty */
    NM_CF_HELD = 128,        /* the session found its body paused (pause.h): park it, or drive
                                on if resumed since */
};

/* Backpressure (loop.h: nm_loop_queue): NM_Q_WANT, the session found no
 * buffer for it (its driver queues it); NM_Q_IN, in its loop's queue. */
enum nm_queue_mark { NM_Q_NONE = 0, NM_Q_IN = 1, NM_Q_WANT = 2 };

/* What the connection is waiting to read: it picks the timeout that applies. */
enum nm_read_phase {
    NM_RP_HEAD = 0,   /* a request's header section (a new connection starts here) */
    NM_RP_BODY = 1,   /* the body of a request whose head is complete */
    NM_RP_IDLE = 2,   /* nothing: a keep-alive connection between requests */
    NM_RP_LINGER = 3, /* closing: what the client still sends is read and dropped (session.h) */
};

/* The streaming state of a connection whose body or answer streams: one
 * of NM_STREAM_BUFFERS entries (the cap on streams), drawn when one begins
 * and given back when it has ended and its read-ahead is used up. */
#if NM_STREAM_BUFFERS < 255
typedef uint8_t nm_stream_ix;
#elif NM_STREAM_BUFFERS < 65535
typedef uint16_t nm_stream_ix;
#else
#error "NM_STREAM_BUFFERS: at most 65534"
#endif
struct nm_stream {
    uint64_t body_left;             /* body bytes to come (length), or of this chunk (chunked) */
    uint64_t body_seen;             /* body bytes delivered so far */
    uint64_t unit_size;             /* chunked: the size a chunk-size line said */
    uint64_t produce_left;          /* bytes still to come of an answer whose length was given */
    nm_body_fn body_fn;             /* the handler's body callback, NULL: the body is dropped */
    void *body_user;
    nm_produce_fn produce_fn;       /* nm_resp_stream's producer, and its argument */
    void *produce_user;
#if NM_BODY_READ_BUFS > 1
    /* A streaming body's bytes read past a full c->in by the same receive,
     * in order (session.cpp): each becomes c->in when c->in empties. */
    nm_buf *ahead[NM_BODY_READ_BUFS - 1];
    uint32_t ahead_len[NM_BODY_READ_BUFS - 1];
    uint32_t ahead_off;             /* bytes of ahead[0] already moved into c->in */
    uint8_t ahead_count;            /* buffers in ahead[] */
#endif
    struct nm_loop *parked_in;      /* the loop its paused body's connection waits in (pause.h) */
    uint8_t chunk_state;            /* chunked: what the next bytes are (session.cpp) */
    uint8_t body_keep;              /* the head's keep-alive, for the answer at the body's end */
    uint32_t taken;                 /* a connection holds it (nm_stream_take; a word: an exchange of a byte is a libatomic call on riscv64) */
};

/* A posting: what a thread hands a loop (loop.h: nm_loop_post), linked
 * through itself into the loop's inbox; `arrive` runs it there. */
struct nm_posting {
    nm_posting *next;
    void (*arrive)(nm_posting *p);
};

/* The one job a connection's link does at a time (nm_conn.link_job), and
 * the member of the union that holds it. */
enum nm_link_job {
    NM_LJ_TIMER = 0,     /* c->timer: its deadline in its loop's wheel, armed or stopped */
    NM_LJ_POSTED = 1,    /* c->post: on its way to a loop (nm_loop_hand_over, nm_loop_return,
                            nm_loop_unpark_post), with what it wants there */
    NM_LJ_WAITING = 2,   /* c->wait: in a queue for a buffer, a place (nm_loop_queue) or a
                            task thread (tasks.h), since when */
};
struct nm_conn_post {
    nm_posting posting;
    int want;                       /* nm_loop_return: what it is to be watched for on arrival */
};
struct nm_conn_wait {
    nm_link link;
    uint64_t since;                 /* ms: it began to wait (nm_loop_queue) */
};

struct nm_conn {
    int fd;
    uint8_t flags;
    uint8_t out_first, out_count;   /* ring of queued segments */
    /* Lent away (nm_conn_lend): written and read only by the loop's thread,
     * a byte of its own, so that a loop looking at its connections while
     * one is away never reads the flags the borrower writes. */
    uint8_t lent;
    nm_buf *in;
    uint32_t in_len;                /* bytes buffered */
    uint32_t in_scan;               /* bytes already searched for the header end */
    uint32_t out_off;               /* bytes of the first segment already sent */
    uint32_t held_since;            /* ms (low 32 bits): a blocking worker took it (yield_slice_ms) */
    nm_seg out[NM_OUT_SEGS];
    union {                         /* the member link_job names, and no other */
        nm_timer timer;
        nm_conn_post post;
        nm_conn_wait wait;
    };
    nm_server *srv;
    void *owner;                    /* the model's: its loop, worker, ... */
    uint8_t read_phase;             /* nm_read_phase */
    uint8_t hooked;                 /* on_open ran for it in this process: on_close will */
    uint8_t queued;                 /* nm_queue_mark: waiting for a buffer or a place (loop.h) */
    nm_stream_ix stream;            /* its nm_stream entry (below) + 1, 0: none */
    uint32_t gen;                   /* opens and closes of this slot: in its nm_conn_id, so an id
                                       of a closed connection matches no slot */
    /* A request body streaming to the handler's body callback, or an
     * answer from a producer (session): what every slot keeps of it. The
     * rest is in an nm_stream entry, drawn only while one streams. */
    uint8_t body_mode;              /* 0, NM_BODY_LENGTH or NM_BODY_CHUNKED while one streams */
    uint8_t unit;                   /* what nm_session_next cut last: a request or a body step */
    uint8_t produce;                /* an answer streaming from produce_fn: how its pieces go (session.cpp) */
    uint8_t link_job;               /* nm_link_job: what the union above holds */
    uint32_t pause;                 /* a streaming body's pause, shared with resumers (pause.h) */
    union {
        const char *body_interim;   /* the protocol's bytes before a streaming body (100 Continue) */
        uint32_t lingered;          /* a lingering close (it reads no request): the bytes it dropped */
    };
    uint64_t read_since;            /* ms: start of the read phase (not moved by each byte) */
    uint64_t write_since;           /* ms: the last progress of the output queue */
    nm_rate rate;                   /* what the read phase brought, for cfg.min_rate (base/rate.h) */
};

/* The application's bytes of a connection (NM_CONN_USER_SIZE, req->state),
 * in an array beside the slots: the same index. */
#if NM_CONN_USER_SIZE > 0
struct nm_conn_user_area { alignas(8) unsigned char bytes[NM_CONN_USER_SIZE]; };
extern nm_conn_user_area nm_conn_user[NM_MAX_CONNS];
#endif
static inline void *nm_conn_state(const nm_conn *c);   /* below: the slot's index */

nm_buf *nm_buf_get(void);
void nm_buf_put(nm_buf *b);
unsigned nm_buf_free(void);
/* A new request's buffer: one is taken only while more than
 * NM_BUF_ANSWER_RESERVE are free, the rest being kept for the answers of
 * requests already read. Is there one to spare; take it (NULL: none). */
static inline int nm_buf_spare(void) { return nm_buf_free() > NM_BUF_ANSWER_RESERVE; }
nm_buf *nm_buf_get_spare(void);

/* Give back the buffers read ahead of c->in (bytes dropped with it). */
void nm_conn_drop_ahead(nm_conn *c);
/* Buffered input beyond c->in: has c bytes read ahead (0 when NM_BODY_READ_BUFS is 1). */
static inline int nm_conn_has_ahead(const nm_conn *c);   /* below: its nm_stream entry */

/* Take a slot for `fd`; NULL when slots are exhausted or fd is out of range. */
nm_conn *nm_conn_open(nm_server *s, int fd);
/* Streaming bodies and answers hold a buffer each: at most
 * cfg.max_streams of a server at once, and NM_STREAM_BUFFERS of a process.
 * nm_stream_hold: 0, or -1 at a cap; nm_stream_release gives it back.
 * nm_stream_begin holds one for c's request body (-1 at the cap),
 * nm_stream_end when it ends (nm_conn_close ends one cut short, and an
 * answer's: nm_produce_end). */
int nm_stream_hold(nm_server *s);
void nm_stream_release(nm_server *s);
/* nm_stream_take: c's entry (drawn, and held as above, unless c has one
 * already), 0, or -1 at a cap; nm_stream_give gives it back once c's body
 * and answer have ended and no bytes are read ahead. */
int nm_stream_take(nm_conn *c);
void nm_stream_give(nm_conn *c);
extern nm_stream nm_streams[NM_STREAM_BUFFERS];
static inline nm_stream *nm_stream_of(const nm_conn *c) { return &nm_streams[c->stream - 1]; }
static inline int nm_conn_has_ahead(const nm_conn *c)
{
#if NM_BODY_READ_BUFS > 1
    return c->stream && nm_stream_of(c)->ahead_count;
#else
    (void)c;
    return 0;
#endif
}
int nm_stream_begin(nm_conn *c);
void nm_stream_end(nm_conn *c);
void nm_produce_end(nm_conn *c);
/* on_open for c, in the process that serves it (nm_conn_open calls it,
 * unless the server's connections are served by a child of their own). */
void nm_conn_hook_open(nm_conn *c);
/* Return the buffers and the slot, and close the fd. */
void nm_conn_close(nm_conn *c);
nm_conn *nm_conn_of_fd(int fd);
/* A connection's id (its slot and the slot's generation), and back: the
 * slot, or NULL when the id names no slot; its gen says if it is still that
 * connection. */
nm_conn *nm_conn_of_id(nm_conn_id id);
static inline uint32_t nm_conn_gen(const nm_conn *c) { return __atomic_load_n(&c->gen, __ATOMIC_ACQUIRE); }
/* (inline: every request carries it; the slot is the pointer's offset in
 * the slot array, a division by a constant) */
extern const nm_conn *const nm_conn_slots;
static inline nm_conn_id nm_conn_id_of(const nm_conn *c)
{
    return (nm_conn_id)(uint32_t)(c - nm_conn_slots) << 32 | nm_conn_gen(c);
}
unsigned nm_conn_free(void);

static inline void *nm_conn_state(const nm_conn *c)
{
#if NM_CONN_USER_SIZE > 0
    return nm_conn_user[c - nm_conn_slots].bytes;
#else
    (void)c;
    return 0;
#endif
}

/* The time a connection's deadlines are read against: a blocking
 * connection checks them around every read, so it reads the clock itself;
 * a loop's connections take the round's time. */
static inline uint64_t nm_conn_clock(const nm_conn *c) { return c->flags & NM_CF_BLOCKING ? nm_now_ms() : nm_clock_ms(); }

/* The read phase's bytes come too slowly (cfg.min_rate, base/rate.h):
 * its deadline is the rule's, when that comes first. */
static inline uint64_t nm_conn_rate_due(const nm_conn *c)
{
    if (c->read_phase >= NM_RP_IDLE || c->out_count) return UINT64_MAX;
    return nm_rate_due(&c->rate, c->srv->cfg.min_rate);
}

/* Milliseconds left before the deadline of the state c is in (reading a
 * head, a body, idle, or writing), 0 when it has passed. Each deadline is
 * fixed when its phase begins: a byte that arrives does not move the header
 * or body deadline (a client trickling a byte a second is still cut), and
 * only bytes the peer takes move the write deadline. A head or body that
 * trickles below cfg.min_rate is cut sooner (base/rate.h). */
static inline unsigned nm_conn_timeout_ms(const nm_conn *c)
{
    const nm_config *cfg = &c->srv->cfg;
    uint64_t since = c->read_since;
    int limit = c->read_phase == NM_RP_IDLE ? cfg->idle_timeout_ms
              : c->read_phase == NM_RP_BODY ? cfg->body_timeout_ms
              : c->read_phase == NM_RP_LINGER ? NM_LINGER_MS / 4 : cfg->header_timeout_ms;
    if (c->out_count) {
        since = c->write_since;
        limit = cfg->write_timeout_ms;
    }
    uint64_t due = since + (uint64_t)(limit > 0 ? limit : 0), now = nm_conn_clock(c);
    uint64_t rate_due = nm_conn_rate_due(c);
    if (rate_due < due) due = rate_due;
    return due > now ? (unsigned)(due - now) : 0;
}

/* Has the blocking worker held c for its slice (cfg.yield_slice_ms)? */
static inline int nm_conn_slice_spent(const nm_conn *c)
{
    return (uint32_t)nm_now_ms() - c->held_since >= (uint32_t)c->srv->cfg.yield_slice_ms;
}

/* c is closed because its deadline passed: counted in `timeouts`, and in
 * `slow` too when it trickled below cfg.min_rate. */
static inline void nm_conn_count_timeout(nm_conn *c)
{
    if (c->read_phase == NM_RP_LINGER) return;   /* a lingering close's end, not a timeout */
    nm_count(c->srv, NM_C_TIMEOUTS);
    if (nm_conn_rate_due(c) <= nm_conn_clock(c)) nm_count(c->srv, NM_C_SLOW);
}

/* A connection's owner is written by the thread that owns it and read by
 * every loop of a group when it drains (looking for its own): relaxed
 * atomics, so that read is not a data race. */
static inline void *nm_conn_owner(const nm_conn *c) { return __atomic_load_n(&c->owner, __ATOMIC_RELAXED); }
static inline void nm_conn_set_owner(nm_conn *c, void *owner) { __atomic_store_n(&c->owner, owner, __ATOMIC_RELAXED); }

#define NM_CONTAINER_OF(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* The link changes jobs, from the one it does (checked: NM_CHECKS). A
 * timer leaves its job stopped and takes it up again stopped, calling
 * `fn` (a loop's connections: nm_loop_conn_timeout) unless armed for
 * another (nm_conn_arm). */
static inline void nm_conn_link_job(nm_conn *c, enum nm_link_job from, enum nm_link_job to)
{
    (void)from;
    NM_CHECK(c->link_job == from);
    NM_CHECK(from != NM_LJ_TIMER || !nm_timer_armed(&c->timer));
    c->link_job = (uint8_t)to;
}
static inline void nm_conn_link_timer(nm_conn *c, enum nm_link_job from, void (*fn)(nm_timer *))
{
    nm_conn_link_job(c, from, NM_LJ_TIMER);
    c->timer.link.prev = c->timer.link.next = 0;
    c->timer.fn = fn;
}
/* Arm c's deadline ms from now: to call fn, or (NULL) the function it has. */
static inline void nm_conn_arm(nm_wheel *w, nm_conn *c, uint64_t now, unsigned ms, void (*fn)(nm_timer *))
{
    NM_CHECK(c->link_job == NM_LJ_TIMER);
    if (fn) c->timer.fn = fn;
    nm_wheel_add(w, &c->timer, now, ms);
}
static inline void nm_conn_disarm(nm_wheel *w, nm_conn *c)
{
    NM_CHECK(c->link_job == NM_LJ_TIMER);
    nm_wheel_del(w, &c->timer);
}
static inline nm_conn *nm_conn_of_timer(nm_timer *t) { return NM_CONTAINER_OF(t, nm_conn, timer); }
static inline nm_conn *nm_conn_of_posting(nm_posting *p) { return NM_CONTAINER_OF(p, nm_conn, post.posting); }
static inline nm_conn *nm_conn_of_wait(nm_link *l) { return NM_CONTAINER_OF(l, nm_conn, wait.link); }

#endif

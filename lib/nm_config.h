/*
 * nm_config.h - every capacity of netmodels, fixed at compile time.
 *
 * Each value below is a default. Override one with -DNAME=value, or put your
 * overrides in a header named nm_user_config.h on the include path: it is read
 * first, so whatever it defines wins. Nothing is sized at run time; running out
 * of any of these is a counted refusal, never a crash or a heap allocation.
 *
 * The RAM each pool costs is declared in one place, lib/pools.cpp, and
 * printed by `make size`.
 */
#ifndef NM_CONFIG_H
#define NM_CONFIG_H

#if defined(__has_include)
#if __has_include("nm_user_config.h")
#include "nm_user_config.h"
#endif
/* An installed library: `make install` writes beside this header the
 * values it was built with; a program's own value of any of them that
 * differs (nm_user_config.h, -D) is an #error naming the macro. */
#if __has_include("nm_build_config.h")
#include "nm_build_config.h"
#endif
#endif

/* Connections open at once (one small slot each, no buffer while idle). */
#ifndef NM_MAX_CONNS
#define NM_MAX_CONNS 1024
#endif

/* Highest file descriptor number + 1 that the loops index directly.
 * An accepted fd at or above it is refused and counted. */
#ifndef NM_MAX_FDS
#define NM_MAX_FDS (NM_MAX_CONNS + 64)
#endif

/* Size of one I/O buffer. A request's header section plus body must fit in
 * one buffer (431 / 413 otherwise); one response segment fits in one. */
#ifndef NM_BUF_SIZE
#define NM_BUF_SIZE 4096
#endif

/* Buffers in the shared pool. A connection borrows one to read a request and
 * one or more to write its answers, and returns them as soon as it is idle. */
#ifndef NM_BUF_COUNT
#define NM_BUF_COUNT 256
#endif

/* Buffers a new request may not take: kept for the answers of requests
 * already being read, so that a flood of new clients exhausting the pool is
 * refused (503) while the clients being served still get their answers. */
#ifndef NM_BUF_ANSWER_RESERVE
#define NM_BUF_ANSWER_RESERVE (NM_BUF_COUNT / 16 + 1)
#endif

/* Output segments a connection may queue (buffers plus static bodies);
 * pipelined answers beyond that wait until the queue drains. */
#ifndef NM_OUT_SEGS
#define NM_OUT_SEGS 4
#endif

/* Request headers kept per request (431 past it). */
#ifndef NM_MAX_HEADERS
#define NM_MAX_HEADERS 24
#endif

/* Threads that can run at once, each on a stack from the static stack pool. */
#ifndef NM_MAX_THREADS
#define NM_MAX_THREADS 16
#endif

/* glibc on AArch64 and MIPS will not start a thread on less than 128 KiB. */
#ifndef NM_THREAD_STACK_SIZE
#if defined(__aarch64__) || defined(__mips__)
#define NM_THREAD_STACK_SIZE (128 * 1024)
#else
#define NM_THREAD_STACK_SIZE (64 * 1024)
#endif
#endif

/* Alignment of the thread stack pool (a page, so no stack shares one). */
#ifndef NM_THREAD_STACK_ALIGN
#define NM_THREAD_STACK_ALIGN 4096
#endif

/* Event loops that can exist at once (one per loop thread). */
#ifndef NM_MAX_LOOPS
#define NM_MAX_LOOPS 8
#endif

/* Events taken from the port per wait. */
#ifndef NM_MAX_EVENTS
#define NM_MAX_EVENTS 128
#endif

/* Timer wheel: slots and the length of one tick. The wheel covers
 * NM_TIMER_SLOTS * NM_TIMER_TICK_MS; longer timeouts go round again (a
 * timer is looked at once a round). Below 256 connections, 64 slots (6.4 s
 * a round at 100 ms a tick): a loop's wheel is 1.5 KiB smaller, and its
 * few timers go round a few more times. */
#ifndef NM_TIMER_SLOTS
#define NM_TIMER_SLOTS (NM_MAX_CONNS < 256 ? 64 : 256)
#endif

#ifndef NM_TIMER_TICK_MS
#define NM_TIMER_TICK_MS 100
#endif

/* Default timeouts, each changeable at run time in nm_config. */
#ifndef NM_HEADER_TIMEOUT_MS
#define NM_HEADER_TIMEOUT_MS 10000
#endif

#ifndef NM_IDLE_TIMEOUT_MS
#define NM_IDLE_TIMEOUT_MS 30000
#endif

#ifndef NM_WRITE_TIMEOUT_MS
#define NM_WRITE_TIMEOUT_MS 30000
#endif

/* A request's body must arrive within this of its header section's end. */
#ifndef NM_BODY_TIMEOUT_MS
#define NM_BODY_TIMEOUT_MS 10000
#endif

/* nm_config.min_rate's default: bytes a second a head or body must keep
 * coming at once it has begun (lib/base/rate.h). */
#ifndef NM_MIN_RATE
#define NM_MIN_RATE 500
#endif

/* How long a request may wait inside the server for a buffer or a place
 * (a worker queue, a fiber) before it is refused 503: nm_config.queue_wait_ms's
 * default. While it waits its bytes stay in the kernel (or its buffer) and
 * none of its own deadlines runs. A loop holding waiters looks for room
 * every NM_QUEUE_RETRY_MS. */
#ifndef NM_QUEUE_WAIT_MS
#define NM_QUEUE_WAIT_MS 3000
#endif

#ifndef NM_QUEUE_RETRY_MS
#define NM_QUEUE_RETRY_MS 1
#endif

/* How long a stopping server keeps finishing answers in flight. */
#ifndef NM_DRAIN_TIMEOUT_MS
#define NM_DRAIN_TIMEOUT_MS 3000
#endif

/* The application's own work in a server's loop (netmodels.h: nm_watch,
 * nm_timer_start, nm_post), per server: descriptors watched, timers
 * running, and calls posted but not yet run (a power of two). */
#ifndef NM_USER_WATCHES
#define NM_USER_WATCHES 8
#endif
#ifndef NM_USER_TIMERS
#define NM_USER_TIMERS 8
#endif
#ifndef NM_USER_POSTS
#define NM_USER_POSTS 16
#endif
/* nm_send: the most bytes one call sends (they travel in one pooled buffer
 * with a small header). */
#ifndef NM_SEND_MAX
#define NM_SEND_MAX (NM_BUF_SIZE - 64)
#endif

/* Per-connection state of the application's own (req->state, on_open,
 * on_close): this many bytes per connection slot, zeroed when a connection
 * opens, in a static array beside the slots (NM_MAX_CONNS x this of .bss).
 * 0 costs nothing and gives req->state NULL. A multiple of 8, so that any
 * scalar lies aligned in it. */
#ifndef NM_CONN_USER_SIZE
#define NM_CONN_USER_SIZE 32
#endif

/* Request bodies that stream (nm_body_take): nm_config.max_body's
 * default; and the most request bodies and answers (nm_resp_stream) that
 * stream at once in a process, each holding one buffer, so that uploads
 * and slow readers never leave new requests without one (past it: 503);
 * nm_config.max_streams may lower it. */
#ifndef NM_MAX_BODY
#define NM_MAX_BODY (1024ull * 1024)
#endif
#ifndef NM_STREAM_BUFFERS
#define NM_STREAM_BUFFERS (NM_BUF_COUNT / 4 > 0 ? NM_BUF_COUNT / 4 : 1)
#endif

/* A body that streams is received into up to this many buffers at once
 * (one readv), the first the connection's own, the others taken only while
 * the pool has them beyond NM_BUF_ANSWER_RESERVE and given back once their
 * bytes are handed to the body callback: fewer system calls a large upload.
 * 1 reads a buffer at a time. The proactor's io_uring receive fills as
 * many buffers of its ring at once where the kernel has bundles (6.10). */
#ifndef NM_BODY_READ_BUFS
#define NM_BODY_READ_BUFS 2
#endif

/* Blocking models: a keep-alive connection idle this long while other
 * clients wait for a worker is closed (lib/loop/blocking.h); shorter pauses
 * between a client's requests keep it. */
#ifndef NM_IDLE_YIELD_MS
#define NM_IDLE_YIELD_MS 1000
#endif

/* A connection closed after its answers while the client still sends (a
 * refused or untaken body, bytes after its last request) sends its FIN,
 * then reads and drops what comes, so that its close is no reset that can
 * destroy the answers unread: until the client's FIN, this long (ms), a
 * pause of a quarter of it, or 16 MiB dropped (lib/session/README). */
#ifndef NM_LINGER_MS
#define NM_LINGER_MS 2000
#endif

/* nm_config.yield_slice_ms's default: while other clients wait, a blocking
 * worker keeps a keep-alive connection this long, ms, then closes it after
 * an answer or once idle. Under a load of many keep-alive clients on few
 * workers it sets how often a client must connect again (the shorter, the
 * more often) and how long a waiting one waits (the longer, the longer).
 * 5 is the shortest of 5, 10, 20 and 50 with which, on 4 workers, 100
 * keep-alive clients see a p99 under 500 ms and 1,000 one-request clients
 * are all answered within 10 s (on 2 x86 cores: about 120 ms and 3.2 s;
 * 10 gave 250 ms and 4.2 s, 50 took 14 s). An idle connection is given up
 * as its slice ends (its close a FIN, the socket checked for a request
 * first), so a client that pauses longer than the slice between requests
 * finds it closed when it comes back: an HTTP client sees the close and
 * connects again (as it does after any server's keep-alive timeout); a
 * Modbus master connects again for its next poll, as it would after the
 * close that ends the answer with 0. 0: no slice, every answer given while
 * others wait says close, an idle connection is given up after
 * NM_IDLE_YIELD_MS. */
#ifndef NM_YIELD_SLICE_MS
#define NM_YIELD_SLICE_MS 5
#endif

/* Under a transport (nm_config_transport), a handshake's default bound
 * (nm_config.tls_handshake_ms). */
#ifndef NM_HANDSHAKE_MS
#define NM_HANDSHAKE_MS 10000
#endif

/* Servers (nm_run calls) running at once in one process. */
#ifndef NM_MAX_SERVERS
#define NM_MAX_SERVERS 4
#endif

#ifndef NM_LISTEN_BACKLOG
#define NM_LISTEN_BACKLOG 1024
#endif

/* Connections accepted per readiness event of the listener. */
#ifndef NM_ACCEPT_BATCH
#define NM_ACCEPT_BATCH 64
#endif

/* Blocking models: processes and threads.
 * Worker processes of the prefork models (--workers, at most NM_MAX_WORKERS). */
#ifndef NM_MAX_WORKERS
#define NM_MAX_WORKERS 16
#endif

#ifndef NM_DEFAULT_WORKERS
#define NM_DEFAULT_WORKERS 4
#endif

/* Live children of fork_per_conn (--workers lowers it at run time); one more
 * connection is answered 503 and closed. */
#ifndef NM_MAX_CHILDREN
#define NM_MAX_CHILDREN 256
#endif

/* Worker threads of the thread models when --threads is not given
 * (--threads is capped by NM_MAX_THREADS, the stack pool). */
#ifndef NM_DEFAULT_THREADS
#define NM_DEFAULT_THREADS 4
#endif

/* A count's default may be NM_PER_CPU: one per online CPU, at most the
 * count's cap (nm_run_size, nm_cpu_count: the one rule). */
#define NM_PER_CPU 0

/* Loops on threads beside the main one of multi_reactor,
 * multi_reactor_worker_pool and reactor_conn_thread (--threads overrides,
 * at most NM_MAX_LOOPS - 1). */
#ifndef NM_SUB_LOOPS
#define NM_SUB_LOOPS NM_PER_CPU
#endif

/* Worker threads of reactor_worker_pool's and multi_reactor_worker_pool's
 * pool (--pool overrides; --threads too for reactor_worker_pool). */
#ifndef NM_POOL_WORKERS
#define NM_POOL_WORKERS 4
#endif

/* Processes of process_pool_reactors and hybrid (--workers overrides, at
 * most NM_MAX_WORKERS). */
#ifndef NM_REACTOR_PROCS
#define NM_REACTOR_PROCS NM_PER_CPU
#endif

/* hybrid, in each process: loops on threads beside the main one
 * (--threads) and worker threads (--pool). */
#ifndef NM_HYBRID_LOOPS
#define NM_HYBRID_LOOPS 1
#endif

#ifndef NM_HYBRID_POOL
#define NM_HYBRID_POOL 2
#endif

/* Items a bounded queue between threads holds (thread_pool's accepted
 * connections, the worker pools' and pipeline's requests); also the most a
 * mailbox or producer_consumer's ring may hold. */
#ifndef NM_QUEUE_DEPTH
#define NM_QUEUE_DEPTH 256
#endif

/* Thread crews (sets of threads one model runs) that can exist at once. */
#ifndef NM_MAX_CREWS
#define NM_MAX_CREWS 4
#endif

/* producer_consumer: threads that read requests (the rest of --threads
 * compute the answers). */
#ifndef NM_PRODUCERS
#define NM_PRODUCERS 2
#endif

/* producer_consumer: depth of the ring of parsed requests. A job waiting in
 * it holds its connection's input buffer: half the buffers stay free for
 * reading and for the answers, so a flood meets a full ring (503) before an
 * empty buffer pool. */
#ifndef NM_JOB_RING
#define NM_JOB_RING (NM_BUF_COUNT / 2 < NM_QUEUE_DEPTH ? NM_BUF_COUNT / 2 : NM_QUEUE_DEPTH)
#endif

/* producer_consumer: jobs that exist at once, a full ring plus one in each
 * consumer's hands. */
#ifndef NM_JOBS
#define NM_JOBS (NM_JOB_RING + NM_MAX_THREADS)
#endif

/* How long accepting pauses after a failure that does not clear at once
 * (out of descriptors or memory), instead of spinning on the listener. */
#ifndef NM_ACCEPT_BACKOFF_MS
#define NM_ACCEPT_BACKOFF_MS 10
#endif

/* How often a thread or process blocked in accept() looks at the stop flag
 * when no signal interrupts it. */
#ifndef NM_STOP_POLL_MS
#define NM_STOP_POLL_MS 200
#endif

/* ---- asynchronous and message-passing models ---------------------------- */

/* Counters a model may add to /stats (steals, mailbox refusals, ...). */
#ifndef NM_MAX_MODEL_STATS
#define NM_MAX_MODEL_STATS 12
#endif

/* Worker threads of half_sync_half_async's sync layer (--threads overrides). */
#ifndef NM_HSHA_WORKERS
#define NM_HSHA_WORKERS 4
#endif

/* Workers of work_stealing, each a loop with a deque (--threads overrides,
 * at most NM_MAX_LOOPS; 0: one per online CPU, at least two so that there
 * is a peer to steal from), and the tasks one deque holds (a power of two). */
#ifndef NM_STEAL_WORKERS
#define NM_STEAL_WORKERS 0
#endif

#ifndef NM_STEAL_DEQUE_SIZE
#define NM_STEAL_DEQUE_SIZE 256
#endif

/* Worker actors (--threads overrides, at most NM_MAX_LOOPS - 1), and the
 * messages one mailbox holds (at most NM_QUEUE_DEPTH). */
#ifndef NM_ACTOR_WORKERS
#define NM_ACTOR_WORKERS 4
#endif

#ifndef NM_MAILBOX_DEPTH
#define NM_MAILBOX_DEPTH 64
#endif

/* Fibers (one per connection of the fiber model) and the stack of each. A
 * connection past the last fiber is refused (503). Under a transport whose
 * calls take more stack (nm_transport_ops.stack) than a fiber leaves them
 * beside 16 KiB of its own, the fiber model refuses to start, naming the
 * size that would do; a build with wolfSSL sets 72 KiB (the Makefile). */
#ifndef NM_FIBER_COUNT
#define NM_FIBER_COUNT 256
#endif

#ifndef NM_FIBER_STACK_SIZE
#define NM_FIBER_STACK_SIZE (16 * 1024)
#endif

/* NM_FIBER_PORTABLE, when defined, switches fibers through <ucontext.h>
 * instead of the assembly of lib/fiber/fiber_switch.cpp. */

/* io_uring rings of the proactor model: submission entries, and completion
 * entries (the kernel rounds both up to a power of two, and clamps them to
 * its maximum). Every operation in flight has room for its completion, and
 * every connection, idle ones too, has one operation in flight: so the
 * completion ring follows NM_MAX_CONNS (+ 2 for the listener's wait and its
 * cancel). With a provided buffer ring (NM_PROACTOR_BUFS) a connection's
 * receive stays armed beside its send where the kernel allows (6.0): two
 * entries a connection, and room for a completion per buffer of the ring.
 * A smaller one caps the proactor's connections below the slots: past it a
 * connection is refused (503), counted. */
#ifndef NM_PROACTOR_SQ_ENTRIES
#define NM_PROACTOR_SQ_ENTRIES 256
#endif

#ifndef NM_PROACTOR_CQ_ENTRIES
#define NM_PROACTOR_CQ_ENTRIES (NM_PROACTOR_BUFS > 0 ? 2 * NM_MAX_CONNS + NM_PROACTOR_BUFS + 3 : NM_MAX_CONNS + 2)
#endif

/* Buffers the proactor lends io_uring up front (a provided buffer ring, on
 * kernels that have one, 5.19+): an idle connection's receive takes one only
 * when its bytes arrive, so no buffer waits on a receive that has not
 * completed, and the readiness wait before it is saved; on 6.0+ the
 * receive is a multishot one, armed from one request to the next. A power
 * of two; by default a quarter of NM_BUF_COUNT up to 64 (0 below 64
 * buffers). 0: wait for readiness, then receive into a buffer from the
 * pool, which keeps the ring's buffers in the pool and one entry of the
 * completion ring a connection (README: the proactor). */
#ifndef NM_PROACTOR_BUFS
#if NM_BUF_COUNT >= 256
#define NM_PROACTOR_BUFS 64
#elif NM_BUF_COUNT >= 128
#define NM_PROACTOR_BUFS 32
#elif NM_BUF_COUNT >= 64
#define NM_PROACTOR_BUFS 16
#else
#define NM_PROACTOR_BUFS 0
#endif
#endif

/* ---- every tunable above, once -----------------------------------------
 * What a program and its library must agree on: nm_run hands the library
 * the program's value of each (netmodels.h) and the library compares them
 * with its own; `make install` records them (nm_build_config.h). A new
 * tunable is added here too (test/packaging/install.sh checks the list). */
#define NM_TUNABLES(X) \
    X(NM_MAX_CONNS) X(NM_MAX_FDS) X(NM_BUF_SIZE) X(NM_BUF_COUNT) X(NM_BUF_ANSWER_RESERVE) \
    X(NM_OUT_SEGS) X(NM_MAX_HEADERS) X(NM_MAX_THREADS) X(NM_THREAD_STACK_SIZE) \
    X(NM_THREAD_STACK_ALIGN) X(NM_MAX_LOOPS) X(NM_MAX_EVENTS) X(NM_TIMER_SLOTS) \
    X(NM_TIMER_TICK_MS) X(NM_HEADER_TIMEOUT_MS) X(NM_IDLE_TIMEOUT_MS) X(NM_WRITE_TIMEOUT_MS) \
    X(NM_BODY_TIMEOUT_MS) X(NM_MIN_RATE) X(NM_QUEUE_WAIT_MS) X(NM_QUEUE_RETRY_MS) X(NM_DRAIN_TIMEOUT_MS) \
    X(NM_USER_WATCHES) X(NM_USER_TIMERS) X(NM_USER_POSTS) X(NM_SEND_MAX) \
    X(NM_CONN_USER_SIZE) X(NM_MAX_BODY) X(NM_STREAM_BUFFERS) X(NM_BODY_READ_BUFS) X(NM_IDLE_YIELD_MS) \
    X(NM_LINGER_MS) X(NM_HANDSHAKE_MS) X(NM_YIELD_SLICE_MS) X(NM_MAX_SERVERS) X(NM_LISTEN_BACKLOG) X(NM_ACCEPT_BATCH) X(NM_MAX_WORKERS) \
    X(NM_DEFAULT_WORKERS) X(NM_MAX_CHILDREN) X(NM_DEFAULT_THREADS) X(NM_SUB_LOOPS) X(NM_POOL_WORKERS) \
    X(NM_REACTOR_PROCS) X(NM_HYBRID_LOOPS) X(NM_HYBRID_POOL) X(NM_QUEUE_DEPTH) \
    X(NM_MAX_CREWS) X(NM_PRODUCERS) X(NM_JOB_RING) X(NM_JOBS) X(NM_ACCEPT_BACKOFF_MS) \
    X(NM_STOP_POLL_MS) X(NM_MAX_MODEL_STATS) X(NM_HSHA_WORKERS) X(NM_STEAL_WORKERS) \
    X(NM_STEAL_DEQUE_SIZE) X(NM_ACTOR_WORKERS) X(NM_MAILBOX_DEPTH) X(NM_FIBER_COUNT) \
    X(NM_FIBER_STACK_SIZE) X(NM_PROACTOR_SQ_ENTRIES) X(NM_PROACTOR_CQ_ENTRIES) \
    X(NM_PROACTOR_BUFS)

/* ---- combinations that cannot work -------------------------------------
 * Refused here, for C and C++ alike. The checks that need the library's
 * types (a field's width, a model's threads) are in lib/config_check.cpp. */
#if NM_MAX_CONNS < 1
#error "NM_MAX_CONNS: at least 1"
#endif
#if NM_BUF_ANSWER_RESERVE >= NM_BUF_COUNT
#error "NM_BUF_ANSWER_RESERVE: below NM_BUF_COUNT, or no request ever gets a buffer"
#endif
#if NM_BODY_READ_BUFS < 1 || NM_BODY_READ_BUFS > 64
#error "NM_BODY_READ_BUFS: 1 to 64 (the buffers of one receive)"
#endif
#if NM_PROACTOR_BUFS < 0 || (NM_PROACTOR_BUFS & (NM_PROACTOR_BUFS - 1)) || NM_PROACTOR_BUFS > 32768
#error "NM_PROACTOR_BUFS: 0 or a power of two up to 32768"
#endif
#if NM_PROACTOR_BUFS > 0 && NM_PROACTOR_BUFS + NM_BUF_ANSWER_RESERVE >= NM_BUF_COUNT
#error "NM_PROACTOR_BUFS: the ring would take the buffers requests and answers need (below NM_BUF_COUNT - NM_BUF_ANSWER_RESERVE)"
#endif
#if NM_OUT_SEGS < 2
#error "NM_OUT_SEGS: at least 2 (an answer's head and a body by reference take one each)"
#endif
#if NM_MAX_HEADERS < 1
#error "NM_MAX_HEADERS: at least 1 (an HTTP/1.1 request must carry Host)"
#endif
#if NM_MAX_LOOPS < 1
#error "NM_MAX_LOOPS: at least 1 (every event-driven model runs a loop)"
#endif
#if NM_MAX_THREADS < 1
#error "NM_MAX_THREADS: at least 1"
#endif
#if NM_MAX_EVENTS < 1 || NM_ACCEPT_BATCH < 1
#error "NM_MAX_EVENTS, NM_ACCEPT_BATCH: at least 1"
#endif
#if NM_CONN_USER_SIZE < 0 || NM_CONN_USER_SIZE % 8 != 0
#error "NM_CONN_USER_SIZE: 0 or a multiple of 8 (what is kept in it lies aligned)"
#endif
#if NM_USER_POSTS < 1 || (NM_USER_POSTS & (NM_USER_POSTS - 1)) != 0
#error "NM_USER_POSTS: a power of two (the ring of posted calls wraps by masking)"
#endif
#if NM_USER_TIMERS < 1 || NM_USER_TIMERS > 255 || NM_USER_WATCHES < 1
#error "NM_USER_TIMERS: 1 to 255 (a timer id holds its index in a byte); NM_USER_WATCHES: at least 1"
#endif
#if NM_TIMER_SLOTS < 1 || NM_TIMER_TICK_MS < 1
#error "NM_TIMER_SLOTS, NM_TIMER_TICK_MS: at least 1 (the wheel divides by both)"
#endif
#if NM_STOP_POLL_MS < 1
#error "NM_STOP_POLL_MS: at least 1 (a timeout of 0 blocks for ever, and a stop is never seen)"
#endif
#if NM_MAX_WORKERS > NM_MAX_CHILDREN
#error "NM_MAX_WORKERS: at most NM_MAX_CHILDREN (the child table holds every worker process)"
#endif
#if NM_PRODUCERS < 1
#error "NM_PRODUCERS: at least 1"
#endif
#if NM_MAILBOX_DEPTH < 1 || NM_MAILBOX_DEPTH > NM_QUEUE_DEPTH
#error "NM_MAILBOX_DEPTH: 1 to NM_QUEUE_DEPTH (a mailbox is a bounded queue)"
#endif
#if NM_JOB_RING < 1 || NM_JOB_RING > NM_QUEUE_DEPTH
#error "NM_JOB_RING: 1 to NM_QUEUE_DEPTH (the ring is a bounded queue)"
#endif
#if NM_STEAL_DEQUE_SIZE < 1 || (NM_STEAL_DEQUE_SIZE & (NM_STEAL_DEQUE_SIZE - 1)) != 0
#error "NM_STEAL_DEQUE_SIZE: a power of two (the deque masks its indexes)"
#endif

#endif

/* uring.cpp - the io_uring engine of completion/proactor.h by raw system calls:
 * io_uring_setup, three mmaps (submission ring, completion ring, entries),
 * io_uring_enter. No liburing; ring sizes are compile-time. */
#include "proactor.h"
#include "../base/pool.h"
#include <errno.h>

#if defined(__linux__) && defined(__has_include)
#if __has_include(<linux/io_uring.h>)
#define NM_HAVE_URING 1
#endif
#endif

#if defined(NM_HAVE_URING)
#include <linux/io_uring.h>
#include <poll.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef __NR_io_uring_setup   /* same number on every architecture since 5.1 */
#define __NR_io_uring_setup 425
#define __NR_io_uring_enter 426
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 427
#endif

static_assert(sizeof(io_uring_sqe) == 64 && sizeof(io_uring_cqe) == 16, "io_uring ABI sizes");

#ifndef IORING_FEAT_MIN_TIMEOUT   /* headers before 6.12 */
#define IORING_FEAT_MIN_TIMEOUT (1U << 15)
#endif
#ifndef IORING_RECVSEND_BUNDLE    /* headers before 6.10 */
#define IORING_RECVSEND_BUNDLE (1U << 4)
#define IORING_FEAT_RECVSEND_BUNDLE (1U << 14)
#endif

/* io_uring_getevents_arg, whose padding became min_wait_usec in 6.12 */
struct getevents_arg {
    uint64_t sigmask;
    uint32_t sigmask_sz, min_wait_usec;
    uint64_t ts;
};
static_assert(sizeof(getevents_arg) == 24, "io_uring_getevents_arg ABI size");

static unsigned *field(void *map, unsigned off) { return (unsigned *)((char *)map + off); }

/* ---- the provided buffer ring ------------------------------------------ */

#if NM_PROACTOR_BUFS > 0
/* The ring's tail is the first entry's last 16 bits; only this thread
 * writes it. */
static uint16_t *pbuf_tail(nm_uring *r) { return &((io_uring_buf *)r->pbuf_map)->resv; }

/* Put b in the ring at its tail. A buffer's id is its place in the ring
 * (tail mod entries): the kernel takes buffers in ring order, so the
 * buffers of one receive have consecutive ids, and the place a buffer is
 * lent to was emptied by a receive seen before (owed). */
static void lend_buf(nm_uring *r, nm_buf *b)
{
    uint16_t t = *pbuf_tail(r);
    unsigned bid = t & (r->pbuf_entries - 1);
    io_uring_buf *e = (io_uring_buf *)r->pbuf_map + bid;
    e->addr = (uint64_t)(uintptr_t)b->data;   /* (not resv: entry 0's is the tail) */
    e->len = NM_BUF_SIZE;
    e->bid = (uint16_t)bid;
    r->lent[bid] = b;
    __atomic_store_n(pbuf_tail(r), (uint16_t)(t + 1), __ATOMIC_RELEASE);   /* the entry before the tail */
}

#endif

void nm_uring_repay(nm_uring *r)
{
#if NM_PROACTOR_BUFS > 0
    while (r->owed) {
        nm_buf *b = nm_buf_get_spare();
        if (!b) return;
        lend_buf(r, b);
        r->owed--;
    }
#else
    (void)r;
#endif
}

/* The ring's memory is ours (a page mapped here, as the rings are), which
 * kernels since 5.19 take; one that refuses it leaves the readiness wait. */
static void open_pbufs(nm_uring *r, unsigned features)
{
    r->pbuf_entries = r->owed = 0;
    r->multishot = r->bundle = 0;
    r->bundles = 0;
    if (r->polled) return;
#if NM_PROACTOR_BUFS > 0
    struct {   /* io_uring_buf_reg, whose last fields were renamed across kernels */
        uint64_t ring_addr;
        uint32_t ring_entries;
        uint16_t bgid, flags;
        uint64_t resv[3];
    } reg;
    long page = sysconf(_SC_PAGESIZE);
    r->pbuf_len = (NM_PROACTOR_BUFS * sizeof(io_uring_buf) + (unsigned long)page - 1) / (unsigned long)page * (unsigned long)page;
    r->pbuf_map = mmap(0, r->pbuf_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (r->pbuf_map == MAP_FAILED) return;
    memset(&reg, 0, sizeof(reg));
    reg.ring_addr = (uint64_t)(uintptr_t)r->pbuf_map;
    reg.ring_entries = NM_PROACTOR_BUFS;   /* buffer group 0 */
    if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_PBUF_RING, &reg, 1) < 0) {
        munmap(r->pbuf_map, r->pbuf_len);
        return;
    }
    r->pbuf_entries = r->owed = NM_PROACTOR_BUFS;
    for (unsigned bid = 0; bid < NM_PROACTOR_BUFS; bid++) r->lent[bid] = 0;
    nm_uring_repay(r);
#if defined(IORING_RECV_MULTISHOT)
    r->multishot = 1;   /* until a kernel without it (before 6.0) refuses the first, EINVAL */
    /* Several buffers a receive (6.10), until the kernel refuses the first:
     * as many as a body may be received into at once (NM_BODY_READ_BUFS),
     * and never more than half the ring, which stays for other connections. */
    unsigned most = NM_BODY_READ_BUFS < NM_PROACTOR_BUFS / 2 ? NM_BODY_READ_BUFS : NM_PROACTOR_BUFS / 2;
    if (most > 1 && (features & IORING_FEAT_RECVSEND_BUNDLE)) r->bundle = most;
#endif
#endif
    (void)features;
}

/* A sparse table of registered files, one slot per descriptor a connection
 * may have (fewer when RLIMIT_NOFILE is lower: the kernel holds the table
 * to it; the descriptors past it are named as they are). Updates need
 * completions skipped on success (5.17), a sparse table 5.19. */
static void open_files(nm_uring *r, unsigned features)
{
    r->files = 0;
#if defined(IORING_RSRC_REGISTER_SPARSE) && defined(IOSQE_CQE_SKIP_SUCCESS) && defined(IORING_FEAT_CQE_SKIP)
    if (!(features & IORING_FEAT_CQE_SKIP)) return;
    struct rlimit lim;
    unsigned n = NM_MAX_FDS;
    if (!getrlimit(RLIMIT_NOFILE, &lim) && lim.rlim_cur < n) n = (unsigned)lim.rlim_cur;
    io_uring_rsrc_register reg;
    memset(&reg, 0, sizeof(reg));
    reg.nr = n;
    reg.flags = IORING_RSRC_REGISTER_SPARSE;
    if (syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_FILES2, &reg, sizeof(reg)) == 0) r->files = n;
#else
    (void)features;
#endif
}

/* Name c's descriptor in e: its slot when it has one. */
static void name_file(const nm_uring *r, io_uring_sqe *e, int fd)
{
    e->fd = fd;
#if defined(IOSQE_CQE_SKIP_SUCCESS)
    if ((unsigned)fd < r->files) e->flags |= IOSQE_FIXED_FILE;
#else
    (void)r;
#endif
}

/* A WAIT that received into provided buffers: res bytes from buffer id
 * `bid` on, NM_BUF_SIZE a buffer, over consecutive ids (a bundle: several),
 * join c's receive queue in order, and the ring gets as many from the pool
 * in their place. */
static void received_into_ring(nm_uring *r, nm_conn *c, unsigned flags, int res)
{
#if NM_PROACTOR_BUFS > 0
    if (!(flags & IORING_CQE_F_BUFFER)) return;
    unsigned bid = flags >> IORING_CQE_BUFFER_SHIFT, mask = r->pbuf_entries - 1;
    unsigned left = res > 0 ? (unsigned)res : 0, taken = 0;
    if (res <= 0 && r->bundle) return;   /* a bundle of nothing kept its buffers in the ring */
    do {   /* (a one-buffer receive of nothing took its buffer all the same) */
        unsigned at = (bid + taken++) & mask, len = left < NM_BUF_SIZE ? left : NM_BUF_SIZE;
        nm_buf *b = r->lent[at];
        left -= len;
        if (!b) continue;   /* (never: the kernel takes only what was lent) */
        r->lent[at] = 0;
        r->owed++;
        if (len) {
            nm_proactor_rx_push(c, b, len);
        } else {   /* a buffer taken for nothing: back in the ring */
            lend_buf(r, b);
            r->owed--;
        }
    } while (left);
    if (taken > 1) r->bundles++;
    nm_uring_repay(r);
#else
    (void)r, (void)c, (void)flags, (void)res;
#endif
}

int nm_uring_open(nm_uring *r, int polled)
{
    io_uring_params prm;
    /* CLAMP: a connection count past the kernel's largest ring is refused
     * connection by connection, not the whole engine. */
    const unsigned base = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
    /* One thread submits and reaps (6.1): the kernel then runs the work that
     * completes an operation only when the loop asks for completions, instead
     * of interrupting the thread as each socket becomes ready. Older kernels
     * refuse the flags (EINVAL) and get the plain ring. */
    unsigned quiet = 0;
#if defined(IORING_SETUP_DEFER_TASKRUN)
    quiet = IORING_SETUP_SUBMIT_ALL | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN;
#endif
    int fd = -1;
    for (int attempt = quiet ? 0 : 1; attempt < 2 && fd < 0; attempt++) {
        memset(&prm, 0, sizeof(prm));
        prm.flags = base | (attempt ? 0 : quiet);
        /* the kernel wants at least as many completion entries as submission ones */
        prm.cq_entries = NM_PROACTOR_CQ_ENTRIES < NM_PROACTOR_SQ_ENTRIES ? NM_PROACTOR_SQ_ENTRIES : NM_PROACTOR_CQ_ENTRIES;
        fd = (int)syscall(__NR_io_uring_setup, NM_PROACTOR_SQ_ENTRIES, &prm);
        if (fd < 0 && errno != EINVAL) return -errno;
    }
    if (fd < 0) return -errno;
    /* completion-based sends need IORING_OP_SEND/RECV (5.6): older kernels lack NODROP too */
    if (!(prm.features & IORING_FEAT_NODROP) || !(prm.features & IORING_FEAT_SINGLE_MMAP)) {
        close(fd);
        return -ENOSYS;
    }
    r->fd = fd;
    r->deferred = (prm.flags & quiet) != 0;
    /* a wait bounded by a timeout in the same call that submits (5.11) */
    r->timed_enter = (prm.features & IORING_FEAT_EXT_ARG) != 0;
    r->min_wait = (prm.features & IORING_FEAT_MIN_TIMEOUT) != 0;
    r->batch_us = NM_URING_BATCH_US;
    r->round = r->capped = 0;
    r->waits = r->reaped = 0;
    r->sq_entries = prm.sq_entries;
    r->cq_entries = prm.cq_entries;
    r->inflight = r->conn_ops = r->unsubmitted = 0;
    r->sq_len = prm.sq_off.array + prm.sq_entries * sizeof(unsigned);
    r->cq_len = prm.cq_off.cqes + prm.cq_entries * sizeof(io_uring_cqe);
    if (r->cq_len > r->sq_len) r->sq_len = r->cq_len;   /* one mapping holds both rings */
    r->sqe_len = prm.sq_entries * sizeof(io_uring_sqe);
    r->sq_map = mmap(0, r->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
    r->sqe_map = mmap(0, r->sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
    if (r->sq_map == MAP_FAILED || r->sqe_map == MAP_FAILED) {
        int e = errno;
        if (r->sq_map != MAP_FAILED) munmap(r->sq_map, r->sq_len);
        if (r->sqe_map != MAP_FAILED) munmap(r->sqe_map, r->sqe_len);
        close(fd);
        return -e;
    }
    r->cq_map = r->sq_map;
    r->cq_len = 0;
    r->sq_head = field(r->sq_map, prm.sq_off.head);
    r->sq_tail = field(r->sq_map, prm.sq_off.tail);
    r->sq_mask = field(r->sq_map, prm.sq_off.ring_mask);
    r->sq_array = field(r->sq_map, prm.sq_off.array);
    r->cq_head = field(r->cq_map, prm.cq_off.head);
    r->cq_tail = field(r->cq_map, prm.cq_off.tail);
    r->cq_mask = field(r->cq_map, prm.cq_off.ring_mask);
    r->cqes = (char *)r->cq_map + prm.cq_off.cqes;
    r->sqes = r->sqe_map;
    r->polled = polled;
    open_pbufs(r, prm.features);
    open_files(r, prm.features);
    return 0;
}

void nm_uring_close(nm_uring *r)
{
    nm_uring_flush(r);   /* the last table updates: the ring's files are let go of only later */
    munmap(r->sqe_map, r->sqe_len);
    munmap(r->sq_map, r->sq_len);
    close(r->fd);   /* the kernel lets go of the buffer ring with it */
#if NM_PROACTOR_BUFS > 0
    if (!r->pbuf_entries) return;
    munmap(r->pbuf_map, r->pbuf_len);
    for (unsigned bid = 0; bid < r->pbuf_entries; bid++)
        if (r->lent[bid]) nm_buf_put(r->lent[bid]);
#endif
}

int nm_uring_flush(nm_uring *r)
{
    while (r->unsubmitted) {
        long n = syscall(__NR_io_uring_enter, r->fd, r->unsubmitted, 0, 0, (void *)0, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return -errno;
        }
        r->unsubmitted -= (unsigned)n;
        if (n == 0) break;
    }
    return 0;
}

/* The completions the next wait asks for: as many as the last round found,
 * at most NM_URING_BATCH and the operations in flight. A round of two or
 * fewer asks for one: one client's request and the send of its answer
 * come two by two, and holding its send's completion for its next request
 * would only make the loop sleep with a timer armed. 1 when the loop only
 * looks (timeout 0). A bundle that filled all its buffers is received on
 * by the kernel only when the loop next asks for completions, one a wait:
 * after one, a wait asks for bundles of NM_URING_BATCH_BUFS buffers in all,
 * whatever is in flight, and the kernel receives on until it has them (or
 * the batch's time is up). */
static unsigned batch_of(const nm_uring *r, int timeout_ms)
{
    unsigned k = r->capped ? (NM_URING_BATCH_BUFS + r->bundle - 1) / r->bundle : r->round;
    if (k > NM_URING_BATCH) k = NM_URING_BATCH;
    if (k > r->inflight && !r->capped) k = r->inflight;
    return timeout_ms > 0 && k >= NM_URING_BATCH_MIN && r->batch_us ? k : 1;
}

int nm_uring_wait(nm_uring *r, int timeout_ms)
{
    getevents_arg arg;
    __kernel_timespec ts;
    unsigned want = batch_of(r, timeout_ms);
    memset(&arg, 0, sizeof(arg));
    ts.tv_sec = timeout_ms / 1000;
    ts.tv_nsec = (long long)(timeout_ms % 1000) * 1000000;
    if (want > 1 && r->min_wait) {
        arg.min_wait_usec = r->batch_us;
    } else if (want > 1) {   /* the batch's time is the whole wait (the loop's, 1 ms or more, is longer) */
        ts.tv_sec = r->batch_us / 1000000;
        ts.tv_nsec = (long long)(r->batch_us % 1000000) * 1000;
    }
    arg.ts = (uint64_t)(uintptr_t)&ts;
    r->waits++;
    long n = syscall(__NR_io_uring_enter, r->fd, r->unsubmitted, want,
                     IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, &arg, sizeof(arg));
    if (n < 0) return errno == ETIME || errno == EINTR ? 0 : -errno;
    r->unsubmitted -= (unsigned)n;
    return 0;
}

/* A free submission entry, submitting what is queued when there is none;
 * NULL when the kernel takes none of them now. */
static io_uring_sqe *free_sqe(nm_uring *r)
{
    unsigned tail = *r->sq_tail;
    if (tail - __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) >= r->sq_entries) {
        nm_uring_flush(r);
        if (tail - __atomic_load_n(r->sq_head, __ATOMIC_ACQUIRE) >= r->sq_entries) return 0;
    }
    io_uring_sqe *e = (io_uring_sqe *)r->sqes + (tail & *r->sq_mask);
    memset(e, 0, sizeof(*e));
    return e;
}

/* Queue e, written: it is submitted at the next enter. */
static void push_sqe(nm_uring *r, const io_uring_sqe *e)
{
    unsigned tail = *r->sq_tail;
    r->sq_array[tail & *r->sq_mask] = (unsigned)(e - (const io_uring_sqe *)r->sqes);
    __atomic_store_n(r->sq_tail, tail + 1, __ATOMIC_RELEASE);   /* the entry is written before it counts */
    r->unsubmitted++;
}

/* A free submission entry for a connection's operation (conn) or the
 * listener's, NULL when the rings have no room for it. */
static io_uring_sqe *next_sqe(nm_uring *r, int conn)
{
    /* Every completion must find room: never more in flight than the CQ
     * holds, so it never overflows (no completion is left to the kernel's
     * overflow list, which may drop one when short of memory). A full ring
     * refuses connections, never the listener: its wait and its cancel
     * always find room, so accepting (and refusing) goes on. */
    if (conn ? r->conn_ops >= nm_uring_conn_room(r) : r->inflight >= r->cq_entries) return 0;
    return free_sqe(r);
}

static void queue_sqe(nm_uring *r, io_uring_sqe *e, int conn)
{
    push_sqe(r, e);
    r->inflight++;
    r->conn_ops += (unsigned)conn;
}

static uint32_t poll_of(unsigned events)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return (uint32_t)events << 16;   /* the kernel reads poll32_events half-word swapped on BE */
#else
    return events;
#endif
}

static uint32_t poll_in(void) { return poll_of(POLLIN); }

unsigned nm_uring_conn_room(const nm_uring *r)
{
    /* an armed receive may bring a completion for each buffer of the ring at once */
    unsigned kept = NM_URING_LISTENER_OPS + (r->multishot ? r->pbuf_entries : 0);
    return r->cq_entries > kept ? r->cq_entries - kept : 0;
}

unsigned nm_uring_conns(const nm_uring *r)
{
    return r->multishot ? nm_uring_conn_room(r) / 2 : nm_uring_conn_room(r);
}

int nm_uring_submit(nm_uring *r, nm_conn *c, int op, int listen_fd)
{
    io_uring_sqe *e = next_sqe(r, c != 0);
    if (!e) return -EBUSY;
    e->user_data = (uint64_t)(uintptr_t)c | (uint64_t)op;
    switch (op) {
    case NM_OP_WAIT:
        if (r->pbuf_entries) {   /* a receive that takes a buffer only when its bytes arrive */
            e->opcode = IORING_OP_RECV;
            name_file(r, e, c->fd);
            e->len = NM_BUF_SIZE;
            e->flags |= IOSQE_BUFFER_SELECT;
            e->buf_group = 0;
#if defined(IORING_RECV_MULTISHOT)
            if (r->multishot) {   /* armed until it ends: each arrival a completion */
                e->ioprio = IORING_RECV_MULTISHOT;
                e->len = 0;   /* (kernels before 6.10 take no length with it) */
                if (r->bundle) {   /* an arrival fills up to `bundle` buffers: the rest stay for others */
                    e->ioprio |= IORING_RECVSEND_BUNDLE;
                    e->len = r->bundle * NM_BUF_SIZE;
                }
                queue_sqe(r, e, 1);
                return 1;
            }
#endif
            break;
        }
        /* fall through */
    case NM_OP_ACCEPT:
        e->opcode = IORING_OP_POLL_ADD;
        if (op == NM_OP_ACCEPT) e->fd = listen_fd;
        else name_file(r, e, c->fd);
        e->poll32_events = poll_in();
        break;
    case NM_OP_RECV:
    case NM_OP_SEND:
        name_file(r, e, c->fd);
        if (r->polled) {   /* readiness only: the engine's caller moves the bytes */
            e->opcode = IORING_OP_POLL_ADD;
            e->poll32_events = poll_of(op == NM_OP_RECV ? POLLIN : POLLOUT);
        } else if (op == NM_OP_RECV) {
            e->opcode = IORING_OP_RECV;
            e->addr = (uint64_t)(uintptr_t)(c->in->data + c->in_len);
            e->len = NM_BUF_SIZE - c->in_len;
        } else {
            const nm_seg *s = &c->out[c->out_first];
            e->opcode = IORING_OP_SEND;
            e->addr = (uint64_t)(uintptr_t)(s->p + c->out_off);
            e->len = s->len - c->out_off;
            e->msg_flags = MSG_NOSIGNAL;
        }
        break;
    default:
        return -EINVAL;
    }
    queue_sqe(r, e, c != 0);
    return 0;
}

/* A table update's completion, posted only when the kernel refused it;
 * likewise a receive's cancel. */
static const uint64_t FILE_UPDATE = (uint64_t)1 << 63;
static const uint64_t RX_CANCEL = ((uint64_t)1 << 63) | 1;

void nm_uring_cancel_rx(nm_uring *r, nm_conn *c)
{
#if defined(IOSQE_CQE_SKIP_SUCCESS)
    io_uring_sqe *e = free_sqe(r);
    if (!e) return;   /* the receive stays armed: its bytes wait in the queue */
    e->opcode = IORING_OP_ASYNC_CANCEL;
    e->fd = -1;
    e->addr = (uint64_t)(uintptr_t)c | (uint64_t)NM_OP_WAIT;
    e->flags = IOSQE_CQE_SKIP_SUCCESS;
    e->user_data = RX_CANCEL;
    push_sqe(r, e);   /* (not in flight: no completion comes back) */
#else
    (void)r, (void)c;
#endif
}

void nm_uring_file(nm_uring *r, const int *fd, int adopt)
{
#if defined(IOSQE_CQE_SKIP_SUCCESS)
    static const int none = -1;
    unsigned slot = (unsigned)*fd;
    if (slot >= r->files) return;
    /* The kernel reads the descriptor when it takes the entry: the
     * connection's own field, which outlives it (a connection closed before
     * then leaves -1 there, or the descriptor of the next connection in its
     * slot, whose own adopt follows: either way the table ends right). */
    const int *value = adopt ? fd : &none;
    io_uring_sqe *e = free_sqe(r);
    if (!e) {
        /* no room in the ring: the same update by a system call, now (the
         * ring's entries before it were submitted by free_sqe) */
        io_uring_rsrc_update u;
        memset(&u, 0, sizeof(u));
        u.offset = slot;
        u.data = (uint64_t)(uintptr_t)value;
        syscall(__NR_io_uring_register, r->fd, IORING_REGISTER_FILES_UPDATE, &u, 1);
        return;
    }
    e->opcode = IORING_OP_FILES_UPDATE;
    e->fd = -1;
    e->addr = (uint64_t)(uintptr_t)value;
    e->len = 1;
    e->off = slot;
    e->flags = IOSQE_CQE_SKIP_SUCCESS;
    e->user_data = FILE_UPDATE;
    push_sqe(r, e);   /* (not in flight: no completion comes back) */
#else
    (void)r, (void)fd, (void)adopt;
#endif
}

int nm_uring_cancel_accept(nm_uring *r)
{
    io_uring_sqe *e = next_sqe(r, 0);
    if (!e) return -EBUSY;
    e->opcode = IORING_OP_POLL_REMOVE;
    e->fd = -1;
    e->addr = (uint64_t)NM_OP_ACCEPT;           /* the listener's wait: no connection, ACCEPT */
    e->user_data = (uint64_t)NM_OP_WAIT;        /* no connection, not ACCEPT: the cancel itself */
    queue_sqe(r, e, 0);
    return 0;
}

int nm_uring_poll_port(nm_uring *r, int fd)
{
    io_uring_sqe *e = next_sqe(r, 0);
    if (!e) return -EBUSY;
    e->opcode = IORING_OP_POLL_ADD;
    e->fd = fd;
    e->poll32_events = poll_in();
    e->user_data = (uint64_t)NM_OP_RECV;   /* no connection, RECV: the port */
    queue_sqe(r, e, 0);
    return 0;
}

void nm_uring_reap(nm_uring *r, nm_proactor *p, nm_completion_fn fn)
{
    unsigned head = *r->cq_head, first = head, capped = 0;
    for (;;) {
        unsigned tail = __atomic_load_n(r->cq_tail, __ATOMIC_ACQUIRE);
        if (head == tail) break;
        const io_uring_cqe *e = (const io_uring_cqe *)r->cqes + (head & *r->cq_mask);
        uint64_t data = e->user_data;
        int res = e->res;
        unsigned flags = e->flags;
        head++;
        /* hand the slot back before the handler queues more work */
        __atomic_store_n(r->cq_head, head, __ATOMIC_RELEASE);
        /* a refused table update: the operation after it fails on its own
         * (EBADF), so its connection ends; nothing was counted in flight */
        if (data == FILE_UPDATE || data == RX_CANCEL) continue;
        nm_conn *c = (nm_conn *)(uintptr_t)(data & ~(uint64_t)3);
        int op = (int)(data & 3);
        int more = 0;
        if (op == NM_OP_WAIT && c && r->pbuf_entries) {
            more = (flags & IORING_CQE_F_MORE) != 0;
            if (res == -EINVAL && r->multishot && !more) {   /* a kernel without bundles, or multishot receives */
                if (r->bundle) r->bundle = 0;
                else r->multishot = 0;
                res = -ENOBUFS;   /* (nothing taken: the connection receives as it would then) */
            }
            received_into_ring(r, c, flags, res);
            if (more && r->bundle && res >= (int)(r->bundle * NM_BUF_SIZE)) capped++;
            op = more ? NM_OP_RX_MORE : NM_OP_RX;
        }
        if (!more) {   /* an armed receive stays in flight */
            r->inflight--;
            r->conn_ops -= c != 0;
        }
        fn(p, c, op, res);
    }
    r->round = head - first;
    r->reaped += r->round;
    r->capped = capped;
}

#else   /* no io_uring on this system: the emulation is all there is */

int nm_uring_open(nm_uring *r, int polled) { (void)r; (void)polled; return -ENOSYS; }
void nm_uring_close(nm_uring *r) { (void)r; }
int nm_uring_submit(nm_uring *r, nm_conn *c, int op, int listen_fd) { (void)r; (void)c; (void)op; (void)listen_fd; return -ENOSYS; }
int nm_uring_cancel_accept(nm_uring *r) { (void)r; return -ENOSYS; }
void nm_uring_cancel_rx(nm_uring *r, nm_conn *c) { (void)r; (void)c; }
int nm_uring_poll_port(nm_uring *r, int fd) { (void)r; (void)fd; return -ENOSYS; }
int nm_uring_flush(nm_uring *r) { (void)r; return -ENOSYS; }
int nm_uring_wait(nm_uring *r, int timeout_ms) { (void)r; (void)timeout_ms; return -ENOSYS; }
void nm_uring_reap(nm_uring *r, nm_proactor *p, nm_completion_fn fn) { (void)r; (void)p; (void)fn; }
unsigned nm_uring_conn_room(const nm_uring *r) { (void)r; return 0; }
unsigned nm_uring_conns(const nm_uring *r) { (void)r; return 0; }
void nm_uring_repay(nm_uring *r) { (void)r; }
void nm_uring_file(nm_uring *r, const int *fd, int adopt) { (void)r; (void)fd; (void)adopt; }

#endif

#include "loop.h"
#include "pause.h"
#include "accept.h"
#include "../base/pool.h"
#include <stdio.h>
#include <string.h>

extern nm_pool nm_loop_pool;

static void take_posts(nm_loop *l);

static void on_wake(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask; (void)ctx;
    /* Drain before clearing: a poster that finds the flag clear writes a new
     * wakeup, which must survive until the next wait. */
    nm_wakeup_drain(&l->wake);
    __atomic_store_n(&l->signalled, 0, __ATOMIC_SEQ_CST);
    nm_loop_run_posted(l);
}

nm_loop *nm_loop_open(nm_server *s, const nm_port_ops *port, int edge)
{
    nm_loop *l = (nm_loop *)nm_pool_get(&nm_loop_pool);
    if (!l) {
        nm_pool_short(&nm_loop_pool, 1, nm_pool_free(&nm_loop_pool));
        return 0;
    }
    l->port.ops = port;
    l->port.fd = -1;
    l->port.edge = edge;
    if (port->create(&l->port)) {
        nm_pool_put(&nm_loop_pool, l);
        return 0;
    }
    l->now = nm_now_ms();
    nm_wheel_init(&l->wheel, l->now);
    l->srv = s;
    l->live = 0;
    l->draining = 0;
    l->drain_deadline = 0;
    l->conn_fn = 0;
    l->place = 0;
    l->user = 0;
    l->max_wait_ms = 0;
    l->on_return = 0;
    l->posted = 0;
    l->sleeping = l->signalled = l->closed = 0;
    l->svc = 0;
    l->kick = 0;
    l->unpark = 0;
    nm_link_init(&l->queue);
    l->retrying = 0;
    l->retrying_since = 0;
    l->stuck = 0;
    l->retry = 0;
    memset(l->ch, 0, sizeof(l->ch));
    if (!nm_wakeup_open(&l->wake)) {
        if (!nm_loop_watch(l, l->wake.rfd, NM_READ, on_wake, 0)) {
            nm_user_maybe_attach(s, l);
            return l;
        }
        nm_wakeup_close(&l->wake);
    }
    port->destroy(&l->port);
    nm_pool_put(&nm_loop_pool, l);
    return 0;
}

void nm_loop_close(nm_loop *l)
{
    while (!nm_link_empty(&l->queue)) {   /* waiting still (a loop that served none of them) */
        nm_conn *c = nm_conn_of_wait(l->queue.next);
        nm_loop_unqueue(c);
        nm_conn_close(c);
    }
    l->closed = 1;
    take_posts(l);   /* what was posted to a loop that had stopped */
    nm_user_detach(l);
    nm_loop_watch(l, l->wake.rfd, 0, 0, 0);
    nm_wakeup_close(&l->wake);
    l->port.ops->destroy(&l->port);
    nm_pool_put(&nm_loop_pool, l);
}

/* ---- the inbox ---------------------------------------------------------- */

void nm_loop_post(nm_loop *l, nm_posting *p, void (*arrive)(nm_posting *p))
{
    p->arrive = arrive;
    nm_posting *head = __atomic_load_n(&l->posted, __ATOMIC_RELAXED);
    do p->next = head;
    while (!__atomic_compare_exchange_n(&l->posted, &head, p, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
    nm_loop_nudge(l);
}

int nm_loop_nudge(nm_loop *l)
{
    /* Pairs with the fence in nm_loop_sleep_begin: either the loop sees what
     * was published before this or this sees it asleep. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!__atomic_load_n(&l->sleeping, __ATOMIC_RELAXED) || __atomic_exchange_n(&l->signalled, 1, __ATOMIC_SEQ_CST))
        return 0;
    nm_wakeup_signal(&l->wake);
    return 1;
}

void nm_loop_wake(nm_loop *l) { nm_wakeup_signal(&l->wake); }

int nm_loop_sleep_begin(nm_loop *l, int ms)
{
    __atomic_store_n(&l->sleeping, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return __atomic_load_n(&l->posted, __ATOMIC_RELAXED) ? 0 : ms;   /* posted meanwhile: look, don't sleep */
}

void nm_loop_sleep_end(nm_loop *l) { __atomic_store_n(&l->sleeping, 0, __ATOMIC_RELAXED); }

/* The whole stack at once, then in the order posted (it was pushed newest first). */
static void take_posts(nm_loop *l)
{
    if (!__atomic_load_n(&l->posted, __ATOMIC_RELAXED)) return;
    nm_posting *p = __atomic_exchange_n(&l->posted, (nm_posting *)0, __ATOMIC_ACQUIRE), *fifo = 0;
    while (p) {
        nm_posting *next = p->next;
        p->next = fifo;
        fifo = p;
        p = next;
    }
    while (fifo) {
        nm_posting *next = fifo->next;
        fifo->arrive(fifo);
        fifo = next;
    }
}

/* ---- connections between loops and threads ------------------------------ */

/* c goes to loop l's inbox, to arrive there: its link becomes a posting. */
static void post_conn(nm_loop *l, nm_conn *c, void (*arrive)(nm_posting *p))
{
    nm_conn_link_job(c, NM_LJ_TIMER, NM_LJ_POSTED);
    nm_loop_post(l, &c->post.posting, arrive);
}

/* ... and has arrived: its link a stopped timer again. */
static nm_conn *conn_arrived(nm_posting *p)
{
    nm_conn *c = nm_conn_of_posting(p);
    nm_conn_link_timer(c, NM_LJ_POSTED, nm_loop_conn_timeout);
    return c;
}

static void adopt_posted(nm_posting *p)
{
    nm_conn *c = conn_arrived(p);
    nm_loop *l = (nm_loop *)nm_conn_owner(c);
    if (l->closed) nm_conn_close(c);
    else nm_loop_adopt(l, c);
}

void nm_loop_hand_over(nm_loop *to, nm_conn *c)
{
    nm_conn_set_owner(c, to);
    post_conn(to, c, adopt_posted);
}

void nm_loop_send_away(nm_loop *l, nm_conn *c)
{
    nm_loop_watch(l, c->fd, 0, 0, 0);
    nm_conn_disarm(&l->wheel, c);
    c->lent = 1;
}

static void return_posted(nm_posting *p)
{
    int want = nm_conn_of_posting(p)->post.want;
    nm_conn *c = conn_arrived(p);
    nm_loop *l = (nm_loop *)nm_conn_owner(c);
    if (l->on_return) l->on_return(l, c, want);
    else nm_loop_take_back(l, c, want);
}

/* The thread that served c leaves c->owner alone (the loop reads it while
 * it drains): what it wants travels in its posting. */
void nm_loop_return(nm_conn *c, int want)
{
    c->post.want = want;
    post_conn((nm_loop *)nm_conn_owner(c), c, return_posted);
}

int nm_loop_take_back(nm_loop *l, nm_conn *c, int want)
{
    c->lent = 0;
    if (l->draining && want != NM_PARK && want != NM_QUEUE && !c->in_len && !c->out_count) want = 0;   /* idle, the loop draining */
    return nm_loop_rearm(l, c, want);
}

int nm_loop_watch(nm_loop *l, int fd, int mask, nm_io_fn fn, void *ctx)
{
    if (fd < 0 || fd >= NM_MAX_FDS) return -1;
    nm_channel *ch = &l->ch[fd];
    if (!mask) {
        if (ch->mask) l->port.ops->del(&l->port, fd, ch->mask);
        ch->fn = 0;
        ch->ctx = 0;
        ch->mask = 0;
        return 0;
    }
    if (mask != ch->mask && l->port.ops->set(&l->port, fd, ch->mask, mask)) return -1;
    ch->fn = fn;
    ch->ctx = ctx;
    ch->mask = (uint8_t)mask;
    return 0;
}

int nm_loop_wait_ms(const nm_loop *l)
{
    /* Sleep until the next timer tick at most, and never so long that a stop
     * request raised without a signal goes unseen. */
    int cap = l->max_wait_ms > 0 ? l->max_wait_ms : l->max_wait_ms < 0 ? 0 : 500;
    int timeout = nm_wheel_wait_ms(&l->wheel, l->now);
    timeout = timeout < 0 || timeout > cap ? cap : timeout;
    if (!nm_link_empty(&l->queue) && timeout > NM_QUEUE_RETRY_MS) timeout = NM_QUEUE_RETRY_MS;   /* look for room soon */
    return l->svc ? nm_user_wait_ms(l->svc, l->now, timeout) : timeout;
}

void nm_loop_clock(nm_loop *l)
{
    l->now = nm_now_ms();
    nm_clock_round(l->now);
}

int nm_loop_wait(nm_loop *l)
{
    int ms = nm_loop_sleep_begin(l, nm_loop_wait_ms(l));
    int n = l->port.ops->wait(&l->port, l->events, NM_MAX_EVENTS, ms);
    nm_loop_sleep_end(l);
    nm_loop_clock(l);
    return n < 0 ? 0 : n;
}

int nm_loop_poll(nm_loop *l)
{
    int n = l->port.ops->wait(&l->port, l->events, NM_MAX_EVENTS, 0);
    return n < 0 ? 0 : n;
}

void nm_loop_dispatch_one(nm_loop *l, int i)
{
    int fd = l->events[i].fd;
    nm_channel *ch = &l->ch[fd];
    if (ch->fn && ch->mask) ch->fn(l, fd, l->events[i].mask, ch->ctx);   /* watched for nothing: reported before */
}

void nm_loop_dispatch(nm_loop *l, int n)
{
    for (int i = 0; i < n; i++) nm_loop_dispatch_one(l, i);
}

static void drop_conns(nm_loop *l, int idle_only)
{
    for (int fd = 0; fd < NM_MAX_FDS && l->live; fd++) {
        nm_conn *c = nm_conn_of_fd(fd);
        if (!c || nm_conn_owner(c) != l || c->lent || (c->flags & NM_CF_BUSY)) continue;
        if ((!idle_only || (!c->in_len && !c->out_count)) && nm_pause_may_drop(c))
            nm_loop_act(l, c, c->srv->drive->on(c, NM_ON_STOP));
    }
}

void nm_loop_run_posted(nm_loop *l)
{
    take_posts(l);
    nm_user_svc *u = l->svc;
    if (u && (u->next_due <= l->now || __atomic_load_n(&u->tail, __ATOMIC_RELAXED) != u->head)) nm_user_run(u, l->now);
}

int nm_loop_tick(nm_loop *l)
{
    nm_loop_run_posted(l);   /* posters wake only a sleeping loop: an awake one looks each round */
    nm_wheel_advance(&l->wheel, l->now);
    if (!nm_link_empty(&l->queue)) nm_loop_retry(l);
    nm_server *s = l->srv;
    if (!l->draining && nm_stop_requested(s)) {
        l->draining = 1;
        l->drain_deadline = l->now + NM_DRAIN_TIMEOUT_MS;
        if (s->listen_fd >= 0 && l->ch[s->listen_fd].mask) nm_loop_watch(l, s->listen_fd, 0, 0, 0);
        drop_conns(l, 1);
    }
    if (!l->draining) return 0;
    if (l->now >= l->drain_deadline) drop_conns(l, 0);
    return l->live == 0;
}

void nm_loop_run_until_drained(nm_loop *l)
{
    do nm_loop_dispatch(l, nm_loop_wait(l));
    while (!nm_loop_tick(l));
}

void nm_loop_conn_timeout(nm_timer *t)
{
    nm_conn *c = nm_conn_of_timer(t);
    nm_loop *l = (nm_loop *)c->owner;
    /* Armed from a clock read before the last drive: the deadline may be a
     * moment away still. */
    unsigned left = nm_conn_timeout_ms(c);
    if (left) {
        nm_conn_arm(&l->wheel, c, l->now, left, 0);
        return;
    }
    nm_loop_act(l, c, c->srv->drive->on(c, NM_ON_TIMEOUT));
}

int nm_loop_adopt(nm_loop *l, nm_conn *c)
{
    nm_conn_set_owner(c, l);
    c->timer.fn = nm_loop_conn_timeout;
    if (!l->port.edge) c->flags |= NM_CF_LEVEL;
    nm_action a = c->srv->drive->on(c, NM_ON_START);
    if (a.kind != NM_ACT_WAIT) {   /* its transport would not start */
        nm_count(c->srv, NM_C_ERRORS);
        nm_conn_close(c);
        return -1;
    }
    if (nm_loop_watch(l, c->fd, a.io, l->conn_fn, c)) {
        static int told;   /* once per process, whichever loop thread meets it first */
        if (!__atomic_exchange_n(&told, 1, __ATOMIC_RELAXED))
            dprintf(2, "netmodels: %s cannot watch fd %d (limit %d); refusing such connections\n",
                    l->port.ops->name, c->fd, l->port.ops->fd_limit);
        nm_count(c->srv, NM_C_REFUSED);
        nm_conn_close(c);
        return -1;
    }
    l->live++;
    nm_conn_arm(&l->wheel, c, l->now, a.deadline, 0);
    return 0;
}

void nm_loop_accept(nm_loop *l)
{
    /* Level-triggered: a batch, the port reports the rest. Edge-triggered:
     * until the backlog is empty, as no further edge would come. */
    int more = 1;
    for (int i = 0; more && (l->port.edge || i < NM_ACCEPT_BATCH); i++) {
        nm_conn *c = nm_accept(l->srv, 1, &more);
        if (c) (l->place ? l->place : nm_loop_adopt)(l, c);
    }
}

/* Watch c for io (no port call if it is watched for that already) with a
 * timer of ms, or drop it when the port refuses: 1 if still open. Every
 * wait a loop arms for a connection it serves comes through here (inline:
 * the session's wait is every request's, and a call costs the firmware more). */
static inline __attribute__((always_inline)) int watch_or_drop(nm_loop *l, nm_conn *c, uint8_t io, unsigned ms)
{
    nm_conn_arm(&l->wheel, c, l->now, ms, 0);
    if (io != l->ch[c->fd].mask && nm_loop_watch(l, c->fd, io, l->conn_fn, c)) {
        nm_loop_drop(l, c);
        return 0;
    }
    return 1;
}

static inline void act(nm_loop *l, nm_conn *c, nm_action a)
{
    if (a.kind == NM_ACT_WAIT) {
        watch_or_drop(l, c, a.io, a.deadline);
    } else if (a.kind == NM_ACT_PARK) {
        nm_pause_ops_of(c)->park(l, c);   /* the resume calls the loop's conn_fn */
    } else if (a.kind == NM_ACT_QUEUE) {
        nm_loop_queue(l, c);
    } else {   /* NM_ACT_CLOSE (a loop submits nothing and hands nothing off) */
        nm_loop_drop(l, c);
    }
}

void nm_loop_act(nm_loop *l, nm_conn *c, nm_action a) { act(l, c, a); }

void nm_loop_serve(nm_loop *l, nm_conn *c) { act(l, c, c->srv->drive->on(c, NM_ON_READY)); }

int nm_loop_rearm(nm_loop *l, nm_conn *c, int want)
{
    if (!want) {
        nm_loop_drop(l, c);
        return 0;
    }
    if (nm_loop_hold(l, c, want)) return 0;
    return watch_or_drop(l, c, (uint8_t)want, nm_conn_timeout_ms(c));
}

/* A paused body's resume arrives: drive the connection again. */
static void unpark_arrived(nm_posting *p)
{
    nm_conn *c = conn_arrived(p);
    nm_loop *l = nm_stream_of(c)->parked_in;   /* (its body paused: it holds its entry) */
    nm_pause_arrived(c, l->now);
    if (l->unpark) {
        l->unpark(l, c);
        return;
    }
    if (!l->conn_fn) {
        l->kick(l, c);   /* a loop that dispatches its connections itself */
        return;
    }
    nm_loop_watch(l, c->fd, NM_READ, l->conn_fn, c);   /* watched again, as before the pause */
    l->conn_fn(l, c->fd, NM_READ, c);
}

/* A parked connection's channel: readiness the port reported before the
 * park is not acted on (it may be on its way in a resume's post). */
static void parked_event(nm_loop *l, int fd, int mask, void *ctx) { (void)l, (void)fd, (void)mask, (void)ctx; }

void nm_loop_unpark_post(nm_loop *l, nm_conn *c) { post_conn(l, c, unpark_arrived); }

void nm_loop_park(nm_loop *l, nm_conn *c)
{
    unsigned st = nm_pause_state_of(c);
    if (st == NM_PS_PARKED || st == NM_PS_POSTED) return;   /* driven by a loop that dispatches itself: left as it is */
    nm_channel *ch = &l->ch[c->fd];
    if (ch->mask) l->port.ops->del(&l->port, c->fd, ch->mask);
    ch->mask = 0;
    if (ch->fn) ch->fn = parked_event;   /* its ctx stays (a fiber's unpark reads it) */
    nm_conn_disarm(&l->wheel, c);
    if (!nm_pause_park(c, l)) nm_loop_unpark_post(l, c);   /* resumed on its way here: driven next round */
}

void nm_loop_drop(nm_loop *l, nm_conn *c)
{
    nm_loop_unqueue(c);
    nm_channel *ch = &l->ch[c->fd];
    if (l->port.ops->closing_forgets) ch->mask = 0;   /* the close below unregisters it: a syscall saved */
    nm_loop_watch(l, c->fd, 0, 0, 0);
    nm_conn_disarm(&l->wheel, c);
    nm_conn_close(c);
    l->live--;
}

/* ---- backpressure ------------------------------------------------------- */

int nm_loop_hold(nm_loop *l, nm_conn *c, int want)
{
    if (want == NM_PARK) nm_pause_ops_of(c)->park(l, c);   /* the resume calls the loop's conn_fn */
    else if (want == NM_QUEUE) nm_loop_queue(l, c);
    else return 0;
    return 1;
}

void nm_loop_queue(nm_loop *l, nm_conn *c)
{
    nm_channel *ch = &l->ch[c->fd];
    if (ch->mask) l->port.ops->del(&l->port, c->fd, ch->mask);
    ch->mask = 0;   /* its callback and ctx stay: the retry calls them */
    if (c->queued == NM_Q_IN) return;
    nm_conn_disarm(&l->wheel, c);
    nm_conn_link_job(c, NM_LJ_TIMER, NM_LJ_WAITING);
    c->queued = NM_Q_IN;
    int again = c == l->retrying;   /* no room yet: first in line still, waiting since it did */
    l->stuck |= again;
    c->wait.since = again ? l->retrying_since : l->now;
    if (!again) nm_count(c->srv, NM_C_WAITED);
    nm_link_push(again ? l->queue.next : &l->queue, &c->wait.link);
}

void nm_loop_unqueue(nm_conn *c)
{
    if (c->queued != NM_Q_IN) return;
    nm_link_remove(&c->wait.link);
    nm_conn_link_timer(c, NM_LJ_WAITING, nm_loop_conn_timeout);
    c->queued = 0;
}

void nm_loop_retry(nm_loop *l)
{
    while (!nm_link_empty(&l->queue)) {
        nm_conn *c = nm_conn_of_wait(l->queue.next);
        if (l->now - c->wait.since >= (uint64_t)c->srv->cfg.queue_wait_ms) {
            /* waited as long as it may: refused, and closed by its own
             * driver (a fiber unwinds), which finds it dead */
            if (!(c->flags & NM_CF_DEAD)) nm_refuse(c->srv, c->fd);
            c->flags |= NM_CF_DEAD;
        } else if (!c->in && !nm_buf_spare()) {
            return;   /* no buffer to try it with (a driver on another thread would queue it anew) */
        }
        l->retrying_since = c->wait.since;   /* kept, should it wait again */
        nm_loop_unqueue(c);
        if (!c->in_len) c->read_since = l->now;   /* nothing read yet: the wait was ours, not its client's */
        l->retrying = c;
        l->stuck = 0;
        nm_channel *ch = &l->ch[c->fd];
        if (l->retry) l->retry(l, c);
        else if (ch->fn) ch->fn(l, c->fd, NM_READ, ch->ctx);
        else l->kick(l, c);
        l->retrying = 0;
        if (l->stuck) return;   /* no room yet: the rest waits too */
    }
}

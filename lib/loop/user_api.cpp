/* user_api.cpp - nm_watch, nm_timer_start, nm_timer_stop and nm_post, the
 * tables they fill and what runs them, and what every server does with them
 * (start, end, the loop taking them over). A program that calls none of
 * them links none of this: nm_run and the loop reach it through weak
 * references (user.h), and the runner through nm_user_runner_set, which
 * the calls set. */
#include "user.h"
#include "loop.h"
#include <string.h>

extern nm_server nm_server_slots[NM_MAX_SERVERS];
extern nm_user_tables nm_user_tables_of[NM_MAX_SERVERS];

const nm_user_runner *nm_user_runner_set;

/* ---- the loop that runs them ------------------------------------------- */

void nm_user_maybe_attach_linked(nm_server *s, nm_loop *l)
{
    nm_user_svc *u = &s->user;
    if (u->home || !nm_user_on_server_thread(u)) return;
    __atomic_store_n(&u->home, l, __ATOMIC_RELEASE);
    l->svc = u;
    const nm_user_runner *r = __atomic_load_n(&nm_user_runner_set, __ATOMIC_ACQUIRE);
    if (r) r->watch_all(u, l);
}

void nm_user_detach_linked(nm_loop *l)
{
    nm_user_svc *u = l->svc;
    if (!u) return;
    __atomic_store_n(&u->home, (nm_loop *)0, __ATOMIC_RELEASE);
    l->svc = 0;
}

/* Something is due or posted, so the runner was set: by this thread (a
 * timer), or by a poster before it wrote the cell, which makes it seen. */
void nm_user_run_linked(nm_user_svc *u, uint64_t now)
{
    const nm_user_runner *r = __atomic_load_n(&nm_user_runner_set, __ATOMIC_ACQUIRE);
    if (!r && u->t && __atomic_load_n(&u->t->ring[u->head % NM_USER_POSTS].seq, __ATOMIC_ACQUIRE) == u->head + 1)
        r = __atomic_load_n(&nm_user_runner_set, __ATOMIC_ACQUIRE);
    if (r) r->run(u, now);
}

/* ---- the server's life ------------------------------------------------- */

void nm_user_begin_linked(nm_server *s)
{
    nm_user_svc *u = &s->user;
    u->t = nm_user_tables_take(s);
    u->next_due = UINT64_MAX;
    u->head = u->tail = 0;
    u->home = u->own = 0;
    u->thread = pthread_self();
    u->in_child = u->used = 0;
}

void nm_user_end_linked(nm_server *s)
{
    nm_user_svc *u = &s->user;
    if (u->own) nm_loop_close(u->own);   /* detaches it */
    u->own = 0;
    u->in_child = 1;   /* what is posted from now on is refused */
}

void nm_user_forget_linked(nm_server *s)
{
    nm_user_svc *u = &s->user;
    u->in_child = 1;
    if (u->own) {
        nm_loop *own = u->own;
        u->own = 0;
        nm_loop_close(own);
    }
    u->home = 0;
}

int nm_user_wait_linked(nm_server *s, int ms)
{
    nm_user_svc *u = &s->user;
    if (!nm_user_on_server_thread(u) || (u->home && u->home != u->own)) return 0;   /* the model's own loop runs them */
    if (!u->used && __atomic_load_n(&u->tail, __ATOMIC_ACQUIRE) == u->head) return 0;
    if (!u->own && !u->home) {
        u->own = nm_loop_open(s, s->port ? s->port : nm_port_at(0), 0);   /* takes the tables over */
        if (!u->own) return 0;
    }
    nm_loop *l = u->home;
    l->max_wait_ms = ms > 0 ? ms : -1;
    nm_loop_dispatch(l, nm_loop_wait(l));
    nm_loop_run_posted(l);
    return 1;
}

/* NULL for a server pointer of a run that is over. */
static nm_user_svc *svc_of(const nm_server *srv)
{
    nm_server *s = nm_server_of(srv);
    return s ? &s->user : 0;
}

static void watch_io(nm_loop *l, int fd, int mask, void *ctx)
{
    nm_user_watch *w = (nm_user_watch *)ctx;
    w->fn(nm_server_face(l->srv), fd, mask & (NM_READ | NM_WRITE), w->arg);
}

static void find_next_due(nm_user_svc *u)
{
    uint64_t next = UINT64_MAX;
    for (int i = 0; i < NM_USER_TIMERS; i++)
        if (u->t->timer[i].used && u->t->timer[i].due < next) next = u->t->timer[i].due;
    u->next_due = next;
}

static void run_due(nm_user_svc *u, uint64_t now)
{
    if (u->next_due > now) return;
    for (int i = 0; i < NM_USER_TIMERS; i++) {
        nm_user_timer *t = &u->t->timer[i];
        if (!t->used || t->due > now) continue;
        nm_call_fn fn = t->fn;
        void *arg = t->arg;
        if (!t->period_ms) {
            t->used = 0;
            __atomic_store_n(&t->claimed, 0, __ATOMIC_RELEASE);   /* any thread may take the slot now */
        } else {
            t->due = t->due + t->period_ms > now ? t->due + t->period_ms : now + t->period_ms;   /* no burst after a stall */
        }
        fn(nm_server_face(u->home->srv), arg);   /* may start or stop timers */
    }
    find_next_due(u);
}

static int watch_in(nm_loop *l, nm_user_watch *w)
{
    return nm_loop_watch(l, w->fd, w->events, watch_io, w);
}

static void watch_all(nm_user_svc *u, nm_loop *l)
{
    for (int i = 0; i < NM_USER_WATCHES; i++)
        if (u->t->watch[i].fd >= 0) watch_in(l, &u->t->watch[i]);
}

static void run(nm_user_svc *u, uint64_t now);

static const nm_user_runner the_runner = { watch_all, run };
static void need_runner(void) { __atomic_store_n(&nm_user_runner_set, &the_runner, __ATOMIC_RELEASE); }

/* Only what is there now: a call posted while these run waits a round. */
static void run_posted(nm_user_svc *u)
{
    unsigned n = __atomic_load_n(&u->tail, __ATOMIC_ACQUIRE) - u->head;
    while (n--) {
        nm_user_tables::cell *c = &u->t->ring[u->head % NM_USER_POSTS];
        if (__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) != u->head + 1) return;   /* claimed, not yet written */
        nm_user_call call = c->call;
        __atomic_store_n(&c->seq, u->head + NM_USER_POSTS, __ATOMIC_RELEASE);
        u->head++;
        call.fn(nm_server_face(u->home->srv), call.arg);
    }
}

static void run(nm_user_svc *u, uint64_t now)
{
    run_due(u, now);
    if (__atomic_load_n(&u->tail, __ATOMIC_ACQUIRE) != u->head) run_posted(u);
}

/* A server outside the slots (a test's) takes the last slot's tables. */
nm_user_tables *nm_user_tables_take(const nm_server *s)
{
    int i = s >= nm_server_slots && s < nm_server_slots + NM_MAX_SERVERS ? (int)(s - nm_server_slots) : NM_MAX_SERVERS - 1;
    nm_user_tables *t = &nm_user_tables_of[i];
    for (int k = 0; k < NM_USER_WATCHES; k++) t->watch[k].fd = -1;
    for (int k = 0; k < NM_USER_TIMERS; k++) {
        t->timer[k].used = t->timer[k].cancelled = 0;
        t->timer[k].claimed = 0;
    }
    for (int k = 0; k < NM_USER_WATCHES; k++) t->watch_call[k].busy = 0;
    for (unsigned k = 0; k < NM_USER_POSTS; k++) t->ring[k].seq = k;
    return t;
}

/* ---- the API ------------------------------------------------------------ */

/* Any thread but the server's: the call goes to the server's thread. */
static int elsewhere(const nm_user_svc *u) { return !pthread_equal(pthread_self(), u->thread); }

static int watch_here(nm_user_svc *u, int fd, int events, nm_fd_fn fn, void *user)
{
    nm_user_watch *free_one = 0, *w = 0;
    for (int i = 0; i < NM_USER_WATCHES; i++) {
        if (u->t->watch[i].fd == fd) w = &u->t->watch[i];
        else if (u->t->watch[i].fd < 0 && !free_one) free_one = &u->t->watch[i];
    }
    if (!events) {
        if (!w) return -1;
        if (u->home) nm_loop_watch(u->home, fd, 0, 0, 0);
        w->fd = -1;
        return 0;
    }
    if (!(w ? w : free_one)) return -1;
    int fresh = !w;
    if (fresh) w = free_one;
    w->fd = fd;
    w->events = (uint8_t)(events & (NM_EV_READ | NM_EV_WRITE));
    w->fn = fn;
    w->arg = user;
    if (u->home && watch_in(u->home, w)) {
        if (fresh) w->fd = -1;
        return -1;
    }
    u->used = 1;
    return 0;
}

static void watch_posted(const nm_server *srv, void *arg)
{
    nm_user_watch_call *call = (nm_user_watch_call *)arg;
    watch_here(svc_of(srv), call->fd, call->events, call->fn, call->arg);
    __atomic_store_n(&call->busy, 0, __ATOMIC_RELEASE);
}

extern "C" int nm_watch(const nm_server *srv, int fd, int events, nm_fd_fn fn, void *user)
{
    nm_user_svc *u = svc_of(srv);
    if (!u) return -1;
    if (events && (fd < 0 || fd >= NM_MAX_FDS || !fn)) return -1;
    need_runner();
    if (!elsewhere(u)) return watch_here(u, fd, events, fn, user);
    for (int i = 0; i < NM_USER_WATCHES; i++) {
        nm_user_watch_call *call = &u->t->watch_call[i];
        if (__atomic_load_n(&call->busy, __ATOMIC_RELAXED) || __atomic_exchange_n(&call->busy, 1, __ATOMIC_ACQUIRE)) continue;
        call->fd = fd;
        call->events = events;
        call->fn = fn;
        call->arg = user;
        if (!nm_post(srv, watch_posted, call)) return 0;
        __atomic_store_n(&call->busy, 0, __ATOMIC_RELEASE);
        return -1;
    }
    return -1;   /* as many calls on their way as there are watches */
}

static void arm(nm_user_svc *u, nm_user_timer *ut)
{
    if (ut->cancelled) {   /* stopped on this thread before it arrived */
        ut->cancelled = 0;
        __atomic_store_n(&ut->claimed, 0, __ATOMIC_RELEASE);
        return;
    }
    ut->used = 1;
    if (ut->due < u->next_due) u->next_due = ut->due;
    u->used = 1;
}

static void arm_posted(const nm_server *srv, void *arg) { arm(svc_of(srv), (nm_user_timer *)arg); }

extern "C" int nm_timer_start(const nm_server *srv, unsigned ms, int periodic, nm_call_fn fn, void *user)
{
    nm_user_svc *u = svc_of(srv);
    if (!u) return -1;
    if (!fn) return -1;
    need_runner();
    for (int i = 0; i < NM_USER_TIMERS; i++) {
        nm_user_timer *ut = &u->t->timer[i];
        if (__atomic_load_n(&ut->claimed, __ATOMIC_RELAXED) || __atomic_exchange_n(&ut->claimed, 1, __ATOMIC_ACQUIRE)) continue;
        uint16_t gen = (uint16_t)(__atomic_load_n(&ut->gen, __ATOMIC_RELAXED) + 1);
        __atomic_store_n(&ut->gen, gen ? gen : 1, __ATOMIC_RELAXED);
        ut->period_ms = periodic ? (ms ? ms : 1) : 0;
        ut->fn = fn;
        ut->arg = user;
        ut->due = nm_now_ms() + ms;
        int id = (int)__atomic_load_n(&ut->gen, __ATOMIC_RELAXED) << 8 | i;
        if (!elsewhere(u)) arm(u, ut);
        else if (nm_post(srv, arm_posted, ut)) {
            __atomic_store_n(&ut->claimed, 0, __ATOMIC_RELEASE);
            return -1;
        }
        return id;
    }
    return -1;
}

/* The timer id names, or NULL when it names none now. */
static nm_user_timer *timer_of(nm_user_svc *u, int id)
{
    int i = id & 0xff;
    if (id < 0 || i >= NM_USER_TIMERS) return 0;
    nm_user_timer *ut = &u->t->timer[i];
    int mine = __atomic_load_n(&ut->claimed, __ATOMIC_ACQUIRE) && __atomic_load_n(&ut->gen, __ATOMIC_RELAXED) == (uint16_t)(id >> 8);
    return mine ? ut : 0;
}

static int stop_here(nm_user_svc *u, int id)
{
    nm_user_timer *ut = timer_of(u, id);
    if (!ut || ut->cancelled) return -1;
    if (!ut->used) {   /* its arming is on its way: it finds it stopped */
        ut->cancelled = 1;
        return 0;
    }
    ut->used = 0;
    __atomic_store_n(&ut->claimed, 0, __ATOMIC_RELEASE);
    find_next_due(u);
    return 0;
}

static void stop_posted(const nm_server *srv, void *arg) { stop_here(svc_of(srv), (int)(intptr_t)arg); }

extern "C" int nm_timer_stop(const nm_server *srv, int id)
{
    nm_user_svc *u = svc_of(srv);
    if (!u) return -1;
    if (!elsewhere(u)) return stop_here(u, id);
    if (!timer_of(u, id)) return -1;
    return nm_post(srv, stop_posted, (void *)(intptr_t)id);
}

extern "C" int nm_post(const nm_server *srv, nm_call_fn fn, void *user)
{
    nm_user_svc *u = svc_of(srv);
    if (!u) return -1;
    if (!fn || u->in_child) return -1;
    need_runner();
    unsigned pos = __atomic_load_n(&u->tail, __ATOMIC_RELAXED);
    for (;;) {
        nm_user_tables::cell *c = &u->t->ring[pos % NM_USER_POSTS];
        int diff = (int)(__atomic_load_n(&c->seq, __ATOMIC_ACQUIRE) - pos);
        if (diff < 0) return -1;   /* not yet run: full */
        if (diff == 0 && __atomic_compare_exchange_n(&u->tail, &pos, pos + 1, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
            c->call.fn = fn;
            c->call.arg = user;
            __atomic_store_n(&c->seq, pos + 1, __ATOMIC_RELEASE);
            nm_loop *home = __atomic_load_n(&u->home, __ATOMIC_ACQUIRE);
            if (home) nm_loop_wake(home);   /* a write(2): async-signal-safe */
            return 0;
        }
        if (diff > 0) pos = __atomic_load_n(&u->tail, __ATOMIC_RELAXED);
    }
}


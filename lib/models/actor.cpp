/* actor - an acceptor actor and N worker actors that share nothing but
 * their mailboxes (fixed rings, base/mailbox.h).
 *
 * The acceptor (this thread, a loop over the listener and its mailbox)
 * accepts and sends each connection to the worker it believes least loaded.
 * Its belief is its own state, kept from messages alone: +1 per connection
 * sent, -k when a worker reports k connections gone. Each worker (a thread
 * with its own loop over any port) adopts the connections from its mailbox,
 * serves them, and mails the acceptor how many it has finished. A full
 * worker mailbox is backpressure: the connection waits in the acceptor's
 * queue (loop.h: nm_loop_queue), its request in the kernel, and is sent
 * again as mailboxes drain (each full one counted, "mailbox_full" in
 * /stats); past queue_wait_ms it is refused. A full acceptor mailbox makes the
 * worker keep the count and try again on its next turn. The state is the
 * server's, in the table of models/model_state.h. */
#include "model_state.h"
#include "../loop/accept.h"
#include "../base/mstat.h"
#include "../session/session.h"
#include <stdint.h>

extern nm_actor_state nm_actor_states[NM_MAX_SERVERS];

typedef nm_actor_worker worker_actor;

/* "k connections of worker i are gone", in one pointer-sized message */
static void *gone_message(int worker, int k) { return (void *)(((uintptr_t)k << 8) | (uintptr_t)worker); }

static void report_gone(worker_actor *w)
{
    int gone = w->held - w->loop->live;
    if (gone <= 0) return;
    if (nm_mailbox_send(&w->st->acceptor_inbox, gone_message((int)(w - w->st->workers), gone))) {
        nm_mstat_add(w->st->mailbox_full, 1);
        return;   /* kept in `held`: sent with the next report */
    }
    w->held -= gone;
}

static void serve(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    nm_loop_serve(l, (nm_conn *)ctx);
}

static void on_worker_mail(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)l; (void)fd; (void)mask;
    worker_actor *w = (worker_actor *)ctx;
    for (nm_conn *c; (c = (nm_conn *)nm_mailbox_receive(&w->inbox));) {
        w->held++;
        nm_loop_adopt(w->loop, c);
    }
}

static void *worker_main(void *arg)
{
    worker_actor *w = (worker_actor *)arg;
    nm_thread_name("nm-actor");
    int told = 0;
    do {
        report_gone(w);
        if (!told && nm_stop_requested(w->loop->srv)) {   /* the signal landed here: tell the acceptor */
            told = 1;
            nm_wakeup_signal(&w->st->acceptor_inbox.bell);
        }
        nm_loop_dispatch(w->loop, nm_loop_wait(w->loop));
    } while (!nm_loop_tick(w->loop));
    report_gone(w);
    return 0;
}

/* ---- the acceptor ------------------------------------------------------ */

static void publish_loads(nm_actor_state *st)
{
    const int *load = st->load;
    int lo = load[0], hi = load[0], sum = 0;
    for (int i = 0; i < st->worker_count; i++) {
        if (load[i] < lo) lo = load[i];
        if (load[i] > hi) hi = load[i];
        sum += load[i];
    }
    nm_mstat_set(st->load_spread, (unsigned long)(hi - lo));
    nm_mstat_set(st->load_known, (unsigned long)sum);
}

static void on_acceptor_mail(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)l; (void)fd; (void)mask;
    nm_actor_state *st = (nm_actor_state *)ctx;
    for (void *m; (m = nm_mailbox_receive(&st->acceptor_inbox));) {
        uintptr_t v = (uintptr_t)m;
        st->load[v & 0xff] -= (int)(v >> 8);
    }
    publish_loads(st);
}

static void send_to_least_loaded(nm_conn *c, void *ctx)
{
    nm_actor_state *st = (nm_actor_state *)ctx;
    int least = 0;
    for (int k = 1; k < st->worker_count; k++)
        if (st->load[k] < st->load[least]) least = k;
    if (nm_mailbox_send(&st->workers[least].inbox, c)) {
        nm_mstat_add(st->mailbox_full, 1);
        nm_loop_queue(st->acceptor, c);   /* sent again as a mailbox drains (resend) */
        return;
    }
    st->load[least]++;
    publish_loads(st);
}

/* A connection that waited for room in a mailbox: sent again, or closed
 * once refused (it waited queue_wait_ms). */
static void resend(nm_loop *l, nm_conn *c)
{
    if (c->flags & NM_CF_DEAD) nm_conn_close(c);
    else send_to_least_loaded(c, l->user);
}

static void on_listener(nm_loop *l, int fd, int mask, void *ctx)
{
    (void)fd; (void)mask;
    nm_accept_each(l->srv, 1, send_to_least_loaded, ctx);
}

static int open_workers(nm_server *s, nm_actor_state *st, int want)
{
    int n = 0;
    for (; n < want; n++) {
        worker_actor *w = &st->workers[n];
        w->st = st;
        w->held = 0;
        st->load[n] = 0;
        if (nm_mailbox_open(&w->inbox)) break;
        w->loop = nm_loop_open(s, s->port, 0);
        if (!w->loop) {
            nm_mailbox_close(&w->inbox);
            break;
        }
        w->loop->conn_fn = serve;
        nm_loop_watch(w->loop, w->inbox.bell.rfd, NM_READ, on_worker_mail, w);
    }
    return n;
}

static void close_worker(worker_actor *w)
{
    /* connections mailed after the worker stopped were never served */
    for (nm_conn *c; (c = (nm_conn *)nm_mailbox_receive(&w->inbox));) nm_conn_close(c);
    nm_loop_watch(w->loop, w->inbox.bell.rfd, 0, 0, 0);
    nm_loop_close(w->loop);
    nm_mailbox_close(&w->inbox);
}

int nm_model_actor(nm_server *s)
{
    nm_actor_state *st = &nm_actor_states[nm_server_index(s)];
    st->mailbox_full = nm_mstat(&s->model_stats, "mailbox_full");
    st->load_spread = nm_mstat(&s->model_stats, "load_spread");
    st->load_known = nm_mstat(&s->model_stats, "load_known");
    int want = NM_RUN_SIZE(s->cfg.threads, NM_ACTOR_WORKERS, NM_MAX_LOOPS - 1, "--threads");
    if (want < 0) return NM_ERR_USAGE;
    if (s->cfg.threads == NM_DEFAULT) want = nm_fit_free(want, &nm_loop_pool, 1);   /* the acceptor's loop besides */
    const nm_pool_claim need[] = { { &nm_loop_pool, (unsigned)(1 + want) }, { &nm_stack_pool, (unsigned)want } };
    if (nm_reserve(s, need, 2)) return NM_ERR_USAGE;
    if (nm_mailbox_open(&st->acceptor_inbox)) return NM_ERR_SYSTEM;
    nm_loop *l = nm_loop_open(s, s->port, 0);
    st->acceptor = l;
    if (l) {
        l->user = st;
        l->retry = resend;
    }
    st->worker_count = l ? open_workers(s, st, want) : 0;
    worker_actor *workers = st->workers;
    int count = st->worker_count, started = 0;
    while (started < count && nm_thread_start(&workers[started].thread, worker_main, &workers[started]) == 0)
        started++;
    if (started == count && started > 0) {
        nm_loop_watch(l, st->acceptor_inbox.bell.rfd, NM_READ, on_acceptor_mail, st);
        nm_loop_watch(l, s->listen_fd, NM_READ, on_listener, st);
        nm_loop_run_until_drained(l);
        /* stopping: wake the workers rather than let them sleep out their wait */
        for (int i = 0; i < count; i++) nm_wakeup_signal(&workers[i].inbox.bell);
        nm_loop_watch(l, st->acceptor_inbox.bell.rfd, 0, 0, 0);
    } else {
        nm_server_stop(s);
    }
    for (int i = 0; i < started; i++) nm_thread_join(&workers[i].thread);
    for (int i = 0; i < count; i++) close_worker(&workers[i]);
    if (l) nm_loop_close(l);
    nm_mailbox_close(&st->acceptor_inbox);
    return started == count && started > 0 ? NM_OK : NM_ERR_SYSTEM;
}

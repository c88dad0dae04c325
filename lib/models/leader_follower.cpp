/* leader_follower - --threads threads share one event loop (any poller);
 * the caller's thread only waits for the stop.
 * Exactly one, the leader, waits on the port; the others, the followers,
 * wait for the leader mutex. The leader takes one ready event: the
 * listener it accepts itself; a connection it takes out of the loop, then
 * hands the leadership over (a follower becomes leader and waits on the port)
 * and only then tells the connection's session it is ready (session.h:
 * nm_session_on, non-blocking). Done, it sends the connection back to the
 * loop with what the session's action asks for (nm_loop_return: a
 * readiness to wait for, a park, a queue, or a close) and queues up as a
 * follower again. The deadline and the stop reach the session on the
 * leader, through the loop's timer and drain. Only the leader touches the
 * loop, so no port needs to be thread-safe. */
#include "../handoff/crew.h"
#include "../loop/loop.h"
#include "../session/session.h"

struct leader_follower {
    nm_server *s;
    nm_loop *l;
    pthread_mutex_t lead;   /* held by the leader */
    int done;
};

/* The leader's wait: one event at a time, so whatever else is ready stays
 * ready for the next leader. */
static int wait_one(leader_follower *f)
{
    nm_loop *l = f->l;
    int timeout = nm_loop_sleep_begin(l, nm_loop_wait_ms(l));   /* at most 500 ms: a stop without a signal is seen */
    nm_gauge_enter(f->s, NM_G_IN_WAIT);
    int n = l->port.ops->wait(&l->port, l->events, 1, timeout);
    nm_gauge_leave(f->s, NM_G_IN_WAIT);
    nm_loop_sleep_end(l);
    l->now = nm_now_ms();
    return n;
}

/* The session's answer to a connection that was ready, back to the loop:
 * the action as the `want` nm_loop_return carries (nm_loop_take_back acts
 * on it as nm_loop_act would, its deadline taken there). */
static void serve(nm_conn *c)
{
    nm_action a = nm_session_on(c, NM_ON_READY);
    int want = a.kind == NM_ACT_WAIT ? a.io : a.kind == NM_ACT_PARK ? NM_PARK : a.kind == NM_ACT_QUEUE ? NM_QUEUE : 0;
    nm_loop_return(c, want);
}

static void *follow(void *arg)
{
    leader_follower *f = (leader_follower *)arg;
    nm_loop *l = f->l;
    pthread_mutex_lock(&f->lead);
    while (!f->done) {
        int n = wait_one(f);
        if (nm_loop_tick(l)) f->done = 1;
        if (n <= 0 || f->done) continue;
        int fd = l->events[0].fd;
        nm_conn *c = nm_conn_of_fd(fd);
        if (fd == f->s->listen_fd) {
            nm_loop_accept(l);
        } else if (c && c->owner == l && !c->lent) {
            nm_loop_send_away(l, c);
            pthread_mutex_unlock(&f->lead);   /* promote a follower, then handle */
            serve(c);
            pthread_mutex_lock(&f->lead);
        } else {
            nm_loop_dispatch_one(l, 0);   /* the loop's own wakeup: what came back */
        }
    }
    pthread_mutex_unlock(&f->lead);
    return 0;
}

/* A resumed body's connection, or one that waited for a buffer, on the
 * leader's thread: driven at once. */
static void drive_now(nm_loop *l, nm_conn *c)
{
    nm_loop_send_away(l, c);
    serve(c);
}

int nm_model_leader_follower(nm_server *s)
{
    int n = NM_RUN_SIZE(s->cfg.threads, NM_DEFAULT_THREADS, NM_MAX_THREADS, "--threads");
    if (n < 0) return NM_ERR_USAGE;
    const nm_pool_claim need[] = { { &nm_loop_pool, 1 }, { &nm_crew_pool, 1 }, { &nm_stack_pool, (unsigned)n } };
    if (nm_reserve(s, need, 3)) return NM_ERR_USAGE;
    leader_follower f;
    f.s = s;
    f.done = 0;
    f.l = nm_loop_open(s, s->port, s->cfg.edge_triggered);
    if (!f.l) return NM_ERR_SYSTEM;
    f.l->unpark = drive_now;
    f.l->retry = drive_now;
    nm_user_detach(f.l);   /* the leaders run the loop: the application's callbacks stay on this thread */
    nm_crew *k = nm_crew_open();
    if (!k) {
        nm_loop_close(f.l);
        return NM_ERR_SYSTEM;
    }
    pthread_mutex_init(&f.lead, 0);
    nm_loop_watch(f.l, s->listen_fd, NM_READ, 0, 0);
    int rc = NM_OK;
    for (int i = 0; i < n && rc == NM_OK; i++)
        if (nm_crew_start(k, "nm-follower", follow, &f)) rc = NM_ERR_SYSTEM;
    if (rc == NM_OK) nm_announce(s);
    else nm_server_stop(s);
    /* The caller's thread takes the process's signals (the followers block
     * them) and runs the application's callbacks: it waits for the stop,
     * then wakes the leader to see it at once. */
    while (!nm_stop_requested(s) && !nm_crew_wait_below(k, 1, nm_now_ms() + (nm_user_wait(s, 100) ? 0 : 100))) {
    }
    nm_loop_wake(f.l);
    nm_crew_close(k, 0);
    pthread_mutex_destroy(&f.lead);
    nm_loop_close(f.l);
    return rc;
}

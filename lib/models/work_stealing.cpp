/* work_stealing - N workers, each an event loop (any port) that accepts,
 * reads and writes its own connections, with a Chase-Lev deque of tasks.
 * A task is a connection whose request is whole: its owner pushes it on its
 * deque and answers its tasks newest first. A worker with nothing to do
 * steals the oldest task of a random other worker, answers it and gives the
 * connection back to its owner's loop to write. A worker whose round queues
 * more than it can start wakes one peer that sleeps to come and steal.
 * Steals and those wakeups are counted ("steals", "steal_wakes" in /stats).
 * The state is the server's, in the table of models/model_state.h. */
#include "model_state.h"
#include "../base/mstat.h"
#include "../session/session.h"

extern nm_steal_state nm_steal_states[NM_MAX_SERVERS];

typedef nm_steal_worker ws_worker;

static int random_peer(ws_worker *w)
{
    w->seed = w->seed * 1103515245u + 12345u;
    int self = (int)(w - w->st->workers);
    /* scaled, not divided: no division helper on cores without a divider */
    int k = (int)(((unsigned long long)w->seed * (unsigned)(w->st->worker_count - 1)) >> 32);
    return k < self ? k : k + 1;
}

/* The i-th worker of st counting round from `first`. */
static ws_worker *round_from(nm_steal_state *st, int first, int i)
{
    int at = first + i;
    return &st->workers[at < st->worker_count ? at : at - st->worker_count];
}

/* Wake one peer that sleeps, trying each once: 1 if one was rung. A peer
 * that is awake steals before it sleeps anyway; one just falling asleep may
 * miss this backlog, which its owner then answers itself. */
static int call_for_help(ws_worker *w)
{
    int first = random_peer(w);
    for (int i = 0; i < w->st->worker_count; i++) {
        ws_worker *peer = round_from(w->st, first, i);
        if (peer != w && nm_loop_nudge(peer->io.loop)) {
            nm_mstat_add(w->st->steal_wakes, 1);
            return 1;
        }
    }
    return 0;
}

/* As soon as a round has queued more than this worker starts at once, a
 * sleeping peer is called; once per round, as a wakeup per task would cost
 * more than the tasks it moves. */
static int push_task(nm_offload *o, nm_conn *c)
{
    ws_worker *w = (ws_worker *)o->ctx;
    if (nm_deque_push(&w->tasks, c)) return -1;
    if (!w->called && w->st->worker_count > 1 && nm_deque_size(&w->tasks) > 1) w->called = call_for_help(w);
    return 0;
}

static void next_round(nm_offload *o) { ((ws_worker *)o->ctx)->called = 0; }

static void run_task(ws_worker *w, nm_conn *c)
{
    nm_lend_answer(c);
    if (nm_conn_owner(c) == w->io.loop) nm_lend_resume(w->io.loop, c, 0);   /* its own: no post */
    else nm_lend_return(c);
}

/* One task from a random victim's top, trying each other worker once. */
static nm_conn *steal(ws_worker *w)
{
    if (w->st->worker_count < 2) return 0;
    int first = random_peer(w);
    for (int i = 0; i < w->st->worker_count; i++) {
        ws_worker *v = round_from(w->st, first, i);
        if (v == w) continue;
        nm_conn *c = (nm_conn *)nm_deque_steal(&v->tasks);
        if (c) {
            nm_mstat_add(w->st->steals, 1);
            return c;
        }
    }
    return 0;
}

/* A stop is seen by the thread the signal lands on: it wakes the others
 * rather than let them sleep out their wait. */
static void pass_stop_on(ws_worker *w)
{
    if (w->told_stop || !nm_stop_requested(w->io.loop->srv)) return;
    w->told_stop = 1;
    for (int i = 0; i < w->st->worker_count; i++)
        if (&w->st->workers[i] != w) nm_loop_wake(w->st->workers[i].io.loop);
}

static void *worker_main(void *arg)
{
    ws_worker *w = (ws_worker *)arg;
    do {
        for (;;) {
            nm_conn *c = (nm_conn *)nm_deque_pop(&w->tasks);
            if (!c) c = steal(w);
            if (!c) break;
            run_task(w, c);
        }
        pass_stop_on(w);
    } while (!nm_offload_turn(&w->io));
    pass_stop_on(w);   /* a worker with nothing to drain ends at once */
    return 0;
}

static void *worker_thread(void *arg)
{
    nm_thread_name("nm-steal");
    return worker_main(arg);
}

int nm_model_work_stealing(nm_server *s)
{
    nm_steal_state *st = &nm_steal_states[nm_server_index(s)];
    st->steals = nm_mstat(&s->model_stats, "steals");
    st->steal_wakes = nm_mstat(&s->model_stats, "steal_wakes");
    /* More workers than CPUs only take turns on them: more sleeping, waking
     * and stealing for the same work. */
    int per_cpu = nm_cpu_count(NM_MAX_LOOPS);
    int want = NM_RUN_SIZE(s->cfg.threads, NM_STEAL_WORKERS > 0 ? NM_STEAL_WORKERS : per_cpu < 2 ? 2 : per_cpu, NM_MAX_LOOPS, "--threads");
    if (want < 0) return NM_ERR_USAGE;
    if (s->cfg.threads == NM_DEFAULT) want = nm_fit_free(want, &nm_loop_pool, 0);
    const nm_pool_claim need[] = { { &nm_loop_pool, (unsigned)want }, { &nm_loop_thread_pool, (unsigned)want },
                                   { &nm_stack_pool, (unsigned)(want - 1) } };
    if (nm_reserve(s, need, 3)) return NM_ERR_USAGE;
    nm_session_handoff(s);
    ws_worker *workers = st->workers;
    int opened = 0;
    while (opened < want && nm_offload_open(&workers[opened].io, s, push_task, &workers[opened]) == 0) {
        workers[opened].st = st;
        workers[opened].io.after_round = next_round;
        nm_deque_init(&workers[opened].tasks);
        workers[opened].seed = (unsigned)opened * 2654435761u + 1;
        workers[opened].told_stop = 0;
        workers[opened].called = 0;
        opened++;
    }
    st->worker_count = opened;
    /* worker 0 is this thread, where a stop signal usually lands */
    int started = 1;
    while (started < opened && nm_thread_start(&workers[started].thread, worker_thread, &workers[started]) == 0)
        started++;
    if (started < opened) nm_server_stop(s);   /* a worker's connections would have no thread */
    if (opened) worker_main(&workers[0]);
    for (int i = 1; i < started; i++) nm_thread_join(&workers[i].thread);
    for (int i = 0; i < opened; i++) nm_offload_close(&workers[i].io);
    return started == opened && opened ? NM_OK : NM_ERR_SYSTEM;
}

/* prefork_fd_passing - only the parent accepts. It hands each connection to
 * the worker process holding the fewest live connections, over that worker's
 * Unix socketpair as SCM_RIGHTS, and closes its own copy. Workers never see
 * the listener: they block in recvmsg() for their next descriptor and serve
 * it with blocking I/O, one at a time. The live counts are in shared memory: the parent adds
 * one as it sends, the worker takes it off as it closes. Ties go to
 * the lowest-numbered worker. A worker that dies is not replaced: the
 * connections go to the others. A worker's clients wait in its socketpair,
 * out of the listener's sight: its live count above one says some do. */
#include "../loop/blocking.h"
#include "../procs/procs.h"
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

enum { NM_WORKER_GONE = 1 << 30 };

struct fd_passing {
    nm_procs *g;
    int n;
    int pair[NM_MAX_WORKERS][2];   /* [0] the parent's end, [1] the worker's */
    int self;                       /* the worker index, in a worker */
};

/* s->clients_wait in a worker: connections handed to it wait behind the one it serves */
static int handed_more(const nm_server *s)
{
    const fd_passing *p = (const fd_passing *)s->clients_wait_arg;
    return __atomic_load_n(&p->g->sh->live[p->self], __ATOMIC_SEQ_CST) > 1;
}

static int worker(nm_server *s, void *arg)
{
    fd_passing *p = (fd_passing *)arg;
    int me = p->self;
    s->clients_wait_arg = p;   /* (this process's copy of the server) */
    s->clients_wait = handed_more;
    close(s->listen_fd);
    for (int i = 0; i < p->n; i++) {
        close(p->pair[i][0]);
        if (i != me) close(p->pair[i][1]);
    }
    nm_procs_ready(p->g);
    while (!nm_stop_requested(s)) {
        int fd = nm_fd_recv(p->pair[me][1]);
        if (fd < 0) {
            if (errno == EINTR) continue;
            break;   /* the parent closed its end: it is stopping */
        }
        nm_conn *c = nm_conn_open(s, fd);
        if (c) nm_blocking_run(c);
        else nm_count(s, NM_C_REFUSED);
        /* lighter before the connection stops counting as active, so that
         * whoever sees it gone also sees this worker free */
        __atomic_fetch_sub(&p->g->sh->live[me], 1, __ATOMIC_SEQ_CST);
        if (c) nm_blocking_close(c);
        else close(fd);
    }
    return NM_OK;
}

static int least_loaded(const fd_passing *p)
{
    int best = 0;
    for (int i = 1; i < p->n; i++)
        if (__atomic_load_n(&p->g->sh->live[i], __ATOMIC_SEQ_CST) <
            __atomic_load_n(&p->g->sh->live[best], __ATOMIC_SEQ_CST))
            best = i;
    return best;
}

static void hand_over(fd_passing *p, nm_conn *c)
{
    int k = least_loaded(p);
    __atomic_fetch_add(&p->g->sh->live[k], 1, __ATOMIC_SEQ_CST);
    if (nm_fd_send(p->pair[k][0], c->fd)) {
        /* the worker is gone: never the least loaded again */
        __atomic_store_n(&p->g->sh->live[k], NM_WORKER_GONE, __ATOMIC_SEQ_CST);
        nm_blocking_refuse(c);
        return;
    }
    nm_conn_close(c);   /* the worker counts its copy as active */
}

static int start_workers(nm_server *s, fd_passing *p)
{
    for (int i = 0; i < p->n; i++)
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p->pair[i])) return -1;
    for (int i = 0; i < p->n; i++) {
        p->self = i;
        if (nm_procs_spawn(p->g, worker, p) < 0) return -1;
    }
    for (int i = 0; i < p->n; i++) {
        close(p->pair[i][1]);
        p->pair[i][1] = -1;
    }
    if (nm_procs_wait_ready(p->g, p->n)) return -1;
    nm_blocking_listener(s->listen_fd);
    return 0;
}

int nm_model_prefork_fd_passing(nm_server *s)
{
    fd_passing p;
    p.n = NM_RUN_SIZE(s->cfg.workers, NM_DEFAULT_WORKERS, NM_MAX_WORKERS, "--workers");
    if (p.n < 0) return NM_ERR_USAGE;
    p.g = nm_procs_open(s);
    if (!p.g) return NM_ERR_SYSTEM;
    for (int i = 0; i < p.n; i++) p.pair[i][0] = p.pair[i][1] = -1;
    int rc = start_workers(s, &p) ? NM_ERR_SYSTEM : NM_OK;
    if (rc == NM_OK) nm_announce(s);
    while (rc == NM_OK && !nm_stop_requested(s)) {
        nm_procs_reap(p.g);
        nm_conn *c = nm_blocking_accept(s);
        if (c) hand_over(&p, c);
    }
    for (int i = 0; i < p.n; i++)
        for (int e = 0; e < 2; e++)
            if (p.pair[i][e] >= 0) close(p.pair[i][e]);
    nm_procs_close(p.g);
    return nm_stop_requested(s) ? NM_OK : rc;
}

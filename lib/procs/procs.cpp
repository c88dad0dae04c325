#include "procs.h"
#include "../base/pool.h"
#include "../base/timer.h"
#include "../loop/accept.h"
#include "../loop/blocking.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

extern nm_pool nm_procs_pool;

static void pause_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, 0);   /* a signal ends it early, which is what a stop wants */
}

static void init_accept_lock(pthread_mutex_t *m)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
#ifdef __linux__
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
#endif
    /* Without kernel robust-list support (some emulators) a robust mutex
     * cannot be made; a plain shared one still keeps accept() to one worker,
     * only a worker dying inside accept() would then leave it held. */
    if (pthread_mutex_init(m, &a)) {
#ifdef __linux__
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_STALLED);
#endif
        pthread_mutex_init(m, &a);
    }
    pthread_mutexattr_destroy(&a);
}

nm_procs *nm_procs_open(nm_server *s)
{
    nm_procs *g = (nm_procs *)nm_pool_get(&nm_procs_pool);
    if (!g) return 0;
    void *p = mmap(0, sizeof(nm_shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        nm_pool_put(&nm_procs_pool, g);
        return 0;
    }
    memset(g, 0, sizeof(*g));
    g->srv = s;
    g->sh = (nm_shared *)p;
    memset(g->sh, 0, sizeof(*g->sh));
    g->sh->counters = *s->counters;
    init_accept_lock(&g->sh->accept_lock);
    s->counters = &g->sh->counters;
    return g;
}

static void on_stop_signal(int sig)
{
    (void)sig;
    nm_server_stop(0);
}

/* A child ends with its parent, however the parent ends (SIGKILL too): on
 * Linux the kernel sends it SIGTERM (which stops it as a stop request does)
 * when the thread that forked it ends; a parent already gone before that
 * was asked is seen in getppid(). Elsewhere a child outlives a parent
 * killed without a chance to stop it. */
static void end_with_parent(pid_t parent)
{
#ifdef __linux__
    prctl(PR_SET_PDEATHSIG, SIGTERM);
#endif
    if (getppid() != parent) _exit(0);
}

/* ---- fork: one server's child, another server's threads ---------------- */

/* The locks a child of any server may take (the close lock, the spare
 * descriptor's, every pool's), taken in that order (the order code nests
 * them) before any fork in the process and given back on both sides: a
 * thread of another server holding one at the fork would leave it held for
 * ever in the child, which has no such thread. Installed before the
 * library's first fork, here, so that a build without a process model
 * links none of it (nor the C library's table of fork handlers). */
static void fork_prepare(void)
{
    nm_blocking_fork_hold(1);
    nm_accept_fork_hold(1);
    nm_pools_hold(1);
}

static void fork_done(void)
{
    nm_pools_hold(0);
    nm_accept_fork_hold(0);
    nm_blocking_fork_hold(0);
}

static pthread_once_t fork_handlers_once = PTHREAD_ONCE_INIT;
static void install_fork_handlers(void) { pthread_atfork(fork_prepare, fork_done, fork_done); }


int nm_procs_spawn(nm_procs *g, int (*fn)(nm_server *s, void *arg), void *arg)
{
    pthread_once(&fork_handlers_once, install_fork_handlers);
    int i = 0;
    while (i < NM_MAX_CHILDREN && g->pid[i]) i++;
    if (i == NM_MAX_CHILDREN) return -1;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        nm_user_forget(g->srv);   /* the application's watches, timers and posts stay the parent's */
        end_with_parent(parent);
        nm_server_forked(g->srv);
        /* No SA_RESTART: a blocking accept() or recv() returns EINTR on a stop. */
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_stop_signal;
        sigaction(SIGTERM, &sa, 0);
        sigaction(SIGINT, &sa, 0);
        sigset_t none;
        sigemptyset(&none);
        pthread_sigmask(SIG_SETMASK, &none, 0);
        _exit(fn(g->srv, arg));
    }
    g->pid[i] = pid;
    g->count++;
    return i;
}

/* Its own children only, by pid: waitpid(-1) would take those of another
 * server in the process, or of the program, from under them. */
int nm_procs_reap(nm_procs *g)
{
    int n = 0, status;
    for (int i = 0, left = g->count; i < NM_MAX_CHILDREN && left; i++) {
        if (!g->pid[i]) continue;
        left--;
        pid_t r = waitpid(g->pid[i], &status, WNOHANG);
        if (r == 0 || (r < 0 && errno == EINTR)) continue;
        g->pid[i] = 0;   /* ended, or not a child at all any more (ECHILD) */
        g->count--;
        n++;
    }
    return n;
}

int nm_procs_wait_below(nm_procs *g, int cap, uint64_t deadline)
{
    /* Polled in 1 ms steps: a library cannot own SIGCHLD (the program around
     * it may have a handler of its own), and the parent has nothing else to
     * do while every slot is taken. A child that has just answered is
     * usually gone within the first step. */
    for (;;) {
        nm_procs_reap(g);
        if (g->count < cap) return 1;
        if (nm_stop_requested(g->srv) || nm_now_ms() >= deadline) return 0;
        pause_ms(1);
    }
}

void nm_procs_ready(nm_procs *g)
{
    __atomic_fetch_add(&g->sh->ready, 1, __ATOMIC_SEQ_CST);
}

int nm_procs_wait_ready(nm_procs *g, int n)
{
    uint64_t deadline = nm_now_ms() + 10000;
    while (__atomic_load_n(&g->sh->ready, __ATOMIC_SEQ_CST) < n) {
        if (nm_procs_reap(g) || nm_now_ms() > deadline || nm_stop_requested(g->srv)) return -1;
        pause_ms(2);
    }
    return 0;
}

void nm_procs_supervise(nm_procs *g, int (*fn)(nm_server *s, void *arg), void *arg)
{
    int want = g->count;
    while (!nm_stop_requested(g->srv)) {
        nm_procs_reap(g);
        if (g->count < want && !nm_stop_requested(g->srv)) nm_procs_spawn(g, fn, arg);
        if (!nm_user_wait(g->srv, 100)) pause_ms(100);   /* the parent runs the application's callbacks */
    }
}

static void signal_all(nm_procs *g, int sig)
{
    for (int i = 0; i < NM_MAX_CHILDREN; i++)
        if (g->pid[i]) kill(g->pid[i], sig);
}

void nm_procs_close(nm_procs *g)
{
    uint64_t start = nm_now_ms();
    for (int round = 0; g->count; round++) {
        if (round % 10 == 0) signal_all(g, SIGTERM);
        if (nm_now_ms() - start > NM_DRAIN_TIMEOUT_MS) break;
        pause_ms(10);
        nm_procs_reap(g);
    }
    if (g->count) {
        signal_all(g, SIGKILL);
        for (int i = 0; i < NM_MAX_CHILDREN; i++)
            if (g->pid[i]) waitpid(g->pid[i], 0, 0);
    }
    nm_server *s = g->srv;
    s->own_counters = g->sh->counters;
    s->counters = &s->own_counters;
    pthread_mutex_destroy(&g->sh->accept_lock);
    munmap(g->sh, sizeof(nm_shared));
    nm_pool_put(&nm_procs_pool, g);
}

void nm_accept_lock(nm_shared *sh)
{
    int rc = pthread_mutex_lock(&sh->accept_lock);
#ifdef __linux__
    if (rc == EOWNERDEAD) pthread_mutex_consistent(&sh->accept_lock);   /* its holder died */
#else
    (void)rc;
#endif
}

void nm_accept_unlock(nm_shared *sh)
{
    pthread_mutex_unlock(&sh->accept_lock);
}

/* One byte of data carrying one descriptor in its control part. */
struct fd_msg {
    char byte;
    struct iovec iov;
    struct msghdr m;
    alignas(struct cmsghdr) char space[CMSG_SPACE(sizeof(int))];
};

static void fd_msg_init(fd_msg *f)
{
    memset(f, 0, sizeof(*f));
    f->iov.iov_base = &f->byte;
    f->iov.iov_len = 1;
    f->m.msg_iov = &f->iov;
    f->m.msg_iovlen = 1;
    f->m.msg_control = f->space;
    f->m.msg_controllen = sizeof(f->space);
}

int nm_fd_send(int sock, int fd)
{
    fd_msg f;
    fd_msg_init(&f);
    struct cmsghdr *h = CMSG_FIRSTHDR(&f.m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof(int));
    for (;;) {
        ssize_t n = sendmsg(sock, &f.m, MSG_NOSIGNAL);
        if (n == 1) return 0;
        if (n < 0 && errno == EINTR) continue;
        return -1;
    }
}

int nm_fd_recv(int sock)
{
    fd_msg f;
    fd_msg_init(&f);
#ifdef MSG_CMSG_CLOEXEC
    int flags = MSG_CMSG_CLOEXEC;
#else
    int flags = 0;
#endif
    ssize_t n = recvmsg(sock, &f.m, flags);
    if (n == 0) errno = EPIPE;   /* the other end closed */
    if (n != 1) return -1;
    struct cmsghdr *h = CMSG_FIRSTHDR(&f.m);
    if (!h || h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS) return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(h), sizeof(int));
    return fd;
}

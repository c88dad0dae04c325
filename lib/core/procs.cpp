#include "procs.h"
#include "loop.h"
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int nm_procs_start(nm_procs *p, nm_server *s, int n, int (*child)(nm_server *s, int index))
{
    p->count = 0;
    p->shared = (nm_counters *)mmap(0, sizeof(nm_counters), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
                                    -1, 0);
    if (p->shared == (nm_counters *)MAP_FAILED) return -1;
    *p->shared = *s->counters;
    s->counters = p->shared;
    if (n > NM_MAX_PROCS) n = NM_MAX_PROCS;
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) _exit(child(s, i));
        if (pid < 0) {
            nm_server_stop(s);
            nm_procs_wait(p, s);
            return -1;
        }
        p->pids[p->count++] = pid;
    }
    return 0;
}

int nm_procs_wait(nm_procs *p, nm_server *s)
{
    int rc = NM_OK, forwarded = 0;
    while (p->count) {
        if (!forwarded && nm_stop_requested(s)) {
            for (int i = 0; i < p->count; i++) kill(p->pids[i], SIGTERM);
            forwarded = 1;
        }
        for (int i = 0; i < p->count;) {
            int st;
            if (waitpid(p->pids[i], &st, WNOHANG) == p->pids[i]) {
                if (!WIFEXITED(st) || WEXITSTATUS(st)) rc = NM_ERR_SYSTEM;
                p->pids[i] = p->pids[--p->count];
            } else {
                i++;
            }
        }
        /* A stop arrives as a signal, which cuts this sleep short. */
        if (p->count) poll(0, 0, 50);
    }
    if (p->shared) {
        s->own_counters = *p->shared;
        s->counters = &s->own_counters;
        munmap(p->shared, sizeof(nm_counters));
        p->shared = 0;
    }
    return rc;
}

int nm_procs_serve(nm_server *s, int n, int (*child)(nm_server *s, int index))
{
    nm_procs p;
    if (nm_procs_start(&p, s, n, child)) return NM_ERR_SYSTEM;
    close(s->listen_fd);   /* the children hold it */
    s->listen_fd = -1;
    nm_server_ready(s);
    return nm_procs_wait(&p, s);
}

int nm_procs_listen(nm_server *s, int index, nm_loop *l)
{
#ifdef __linux__
    if (l->port.ops == &nm_port_epoll) {
        l->port.exclusive_fd = s->listen_fd;
        return 0;
    }
#endif
    if (index == 0) return 0;
    int fd = nm_listen_open(s, 1, 1);
    if (fd < 0) return -1;
    close(s->listen_fd);
    s->listen_fd = fd;
    return 0;
}

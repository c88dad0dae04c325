/* thread_per_conn - the caller's thread accepts; every connection gets a
 * thread of its own, on a stack from the static pool, that serves it with
 * blocking I/O and ends. At most --threads (NM_MAX_THREADS, the stack pool)
 * run at once. A burst past that waits up to NM_ROOM_WAIT_MS for a thread
 * to end; once the pool has stayed full that long, each further connection
 * is answered 503 at once until a thread ends: never a stack from the heap. */
#include "../loop/blocking.h"
#include "../handoff/crew.h"
#include "../base/timer.h"

static void *serve(void *arg)
{
    nm_blocking_serve((nm_conn *)arg);
    return 0;
}

int nm_model_thread_per_conn(nm_server *s)
{
    int cap = nm_run_size(s->cfg.threads, NM_MAX_THREADS, NM_MAX_THREADS, "--threads", "NM_MAX_THREADS");
    if (cap < 0) return NM_ERR_USAGE;
    nm_crew *k = nm_crew_open();
    if (!k) return NM_ERR_SYSTEM;
    nm_blocking_listener(s->listen_fd);
    nm_announce(s);
    nm_room room = { 0 };
    while (!nm_stop_requested(s)) {
        nm_conn *c = nm_blocking_accept(s);
        if (!c) continue;
        int found = nm_crew_wait_below(k, cap, nm_room_deadline(&room));
        nm_room_found(&room, found);
        if (!found || nm_crew_start(k, "nm-conn", serve, c)) nm_blocking_refuse(c);
    }
    nm_crew_close(k, s);
    return NM_OK;
}

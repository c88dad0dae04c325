/* servers.cpp - the table of servers a process runs at once: a run's slot
 * and the pointers it hands out, the stop, a child forgetting the other
 * servers, what a model holds of the pools to start, and the sizing of
 * every count option. */
#include "server.h"
#include "conn.h"
#include "../base/error.h"
#include "../base/pool.h"
#include <stddef.h>
#include <string.h>
#include <unistd.h>

extern nm_server nm_server_slots[NM_MAX_SERVERS];
extern nm_conn *nm_conn_by_fd[NM_MAX_FDS];

/* ---- the pointers a run hands out ----------------------------------------
 * A run of a slot hands the application (on_ready, req->server, the
 * callbacks) not the slot but a face of it: one byte of the slot's row
 * below, chosen by the run's generation. So a pointer kept past its run
 * names no later run of the slot (until the generation comes round,
 * NM_SERVER_FACES runs of that slot later): the calls taking it do nothing
 * or fail. A stop through a face records which face it aimed at, and only
 * the run of that face sees it: a stop racing the slot's next claim cannot
 * reach the new run. */
enum { NM_SERVER_FACES = 64 };
static char server_faces[NM_MAX_SERVERS][NM_SERVER_FACES];

/* The face's slot and face number, or -1 for a pointer that is no face. */
static int face_slot(const nm_server *p, unsigned *face)
{
    const char *c = (const char *)(const void *)p, *base = &server_faces[0][0];
    if (c < base || c >= base + sizeof(server_faces)) return -1;
    *face = (unsigned)((c - base) % NM_SERVER_FACES);
    return (int)((c - base) / NM_SERVER_FACES);
}

nm_server *nm_server_of(const nm_server *p)
{
    unsigned face;
    int i = face_slot(p, &face);
    if (i < 0) return const_cast<nm_server *>(p);
    nm_server *s = &nm_server_slots[i];
    if (!__atomic_load_n(&s->in_use, __ATOMIC_ACQUIRE) || __atomic_load_n(&s->face_now, __ATOMIC_ACQUIRE) != face) return 0;
    return s;
}

extern "C" void nm_server_stop(const nm_server *srv)
{
    /* atomic stores and loads: read by every thread of a model, and
     * lock-free, so still async-signal-safe */
    unsigned face;
    int i = srv ? face_slot(srv, &face) : -1;
    if (i >= 0) {
        __atomic_store_n(&nm_server_slots[i].face_stop, face + 1, __ATOMIC_RELEASE);
        return;
    }
    if (srv) {
        __atomic_store_n(&const_cast<nm_server *>(srv)->stopping, 1, __ATOMIC_RELAXED);
        return;
    }
    for (int k = 0; k < NM_MAX_SERVERS; k++)
        if (__atomic_load_n(&nm_server_slots[k].in_use, __ATOMIC_ACQUIRE)) __atomic_store_n(&nm_server_slots[k].stopping, 1, __ATOMIC_RELAXED);
}

nm_server *nm_server_claim(void)
{
    for (int i = 0; i < NM_MAX_SERVERS; i++) {
        nm_server *s = &nm_server_slots[i];
        if (__atomic_load_n(&s->in_use, __ATOMIC_RELAXED)) continue;
        /* clear everything but the claim, then take the slot, under a new face */
        if (__atomic_exchange_n(&s->in_use, 1, __ATOMIC_ACQ_REL)) continue;
        __atomic_store_n(&s->face_now, (s->face_now + 1) % NM_SERVER_FACES, __ATOMIC_RELEASE);
        __atomic_store_n(&s->face_stop, 0u, __ATOMIC_RELEASE);
        s->face = (const nm_server *)(const void *)&server_faces[i][s->face_now];   /* a stop of an older face, come round again */
        memset(s, 0, offsetof(nm_server, in_use));
        s->listen_fd = -1;   /* a child forked now by another server closes nothing of this one */
        return s;
    }
    return 0;
}

void nm_server_release(nm_server *s)
{
    nm_listen_close(s);
    __atomic_store_n(&s->in_use, 0, __ATOMIC_RELEASE);
}

int nm_server_index(const nm_server *s) { return (int)(s - nm_server_slots); }

void nm_server_forked(const nm_server *s)
{
    for (int i = 0; i < NM_MAX_SERVERS; i++) {
        nm_server *other = &nm_server_slots[i];
        if (other == s || !__atomic_load_n(&other->in_use, __ATOMIC_ACQUIRE)) continue;
        if (other->listen_fd >= 0) close(other->listen_fd);
        other->listen_fd = -1;
        __atomic_store_n(&other->in_use, 0, __ATOMIC_RELEASE);   /* a stop here is this server's only */
    }
    for (int fd = 0; fd < NM_MAX_FDS; fd++) {
        nm_conn *c = nm_conn_of_fd(fd);
        if (!c || c->srv == s) continue;
        close(fd);   /* the copy only: the other server's process keeps its own */
        __atomic_store_n(&nm_conn_by_fd[fd], (nm_conn *)0, __ATOMIC_RELEASE);
    }
}

void nm_announce(nm_server *s)
{
    if (s->cfg.on_ready) s->cfg.on_ready(nm_server_face(s), s->port_number, s->cfg.user);
}

int nm_cpu_count(int cap)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1) n = 1;
    return n > cap ? cap : (int)n;
}

int nm_run_size(int asked, int dflt, int cap, const char *option, const char *limit)
{
    if (asked == NM_DEFAULT) {
        if (dflt == NM_PER_CPU) return nm_cpu_count(cap);
        return dflt < cap ? dflt : cap;
    }
    if (asked < 1) {
        nm_error_set("%s %d: at least 1, or NM_DEFAULT (%d) for the default", option, asked, NM_DEFAULT);
        return -1;
    }
    if (asked <= cap) return asked;
    nm_error_set("%s %d is past this build's cap of %d (%s)", option, asked, cap, limit);
    return -1;
}

int nm_pool_short(const nm_pool *p, unsigned asked, unsigned left)
{
    nm_error_pool_short = 1;
    return nm_error_set("%s: %u asked, %u of %u left", p->name, asked, left, p->capacity);
}

int nm_fit_free(int n, const nm_pool *p, int besides)
{
    int room = (int)nm_pool_free(p) - besides;
    return n < room ? n : room > 1 ? room : 1;
}

int nm_reserve(nm_server *s, const nm_pool_claim *want, int count)
{
    unsigned left = 0;
    int i = nm_pools_reserve(&s->reservation, want, count, &left);
    return i < 0 ? NM_OK : nm_pool_short(want[i].pool, want[i].n, left);
}

#include "handback.h"
#include "../session.h"
#include <stdint.h>

int nm_handback_open(nm_handback *h, nm_loop *l)
{
    /* every connection of the loop may be away at once: the queue never fills */
    nm_queue_init(&h->q, NM_QUEUE_DEPTH);
    if (nm_wakeup_open(&h->w)) return -1;
    if (nm_loop_watch(l, h->w.rfd, NM_READ, 0, h)) {
        nm_wakeup_close(&h->w);
        return -1;
    }
    return 0;
}

void nm_handback_close(nm_handback *h, nm_loop *l)
{
    nm_loop_watch(l, h->w.rfd, 0, 0, 0);
    nm_wakeup_close(&h->w);
    nm_queue_destroy(&h->q);
}

void nm_handback_away(nm_handback *h, nm_loop *l, nm_conn *c)
{
    nm_loop_watch(l, c->fd, 0, 0, 0);
    nm_wheel_del(&l->wheel, &c->timer);
    c->owner = &h->away;
}

/* The serving thread leaves c->owner alone (the loop reads it while it
 * drains): what it wants travels in the free low bits of the pointer. */
enum { WANT_BITS = NM_READ | NM_WRITE };
static_assert(alignof(nm_conn) > WANT_BITS, "connection pointers keep two free low bits");

void nm_handback_send(nm_conn *c, int want)
{
    nm_handback *h = NM_CONTAINER_OF(c->owner, nm_handback, away);
    nm_queue_push(&h->q, (void *)((uintptr_t)c | (uintptr_t)(want & WANT_BITS)));
    nm_wakeup_signal(&h->w);
}

void nm_handback_take(nm_handback *h, nm_loop *l, void (*resume)(nm_loop *l, nm_conn *c))
{
    nm_wakeup_drain(&h->w);
    for (void *item; (item = nm_queue_try_pop(&h->q));) {
        int want = (int)((uintptr_t)item & WANT_BITS);
        nm_conn *c = (nm_conn *)((uintptr_t)item & ~(uintptr_t)WANT_BITS);
        c->owner = l;
        int idle = !c->in_len && !c->out_count;
        if (!want || (l->draining && idle) || nm_loop_watch(l, c->fd, want, l->conn_fn, c)) {
            nm_loop_drop(l, c);
            continue;
        }
        nm_wheel_add(&l->wheel, &c->timer, l->now, nm_session_timeout_ms(c));
        if (resume) resume(l, c);
    }
}

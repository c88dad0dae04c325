#include "handback.h"
#include "../session.h"

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

void nm_handback_send(nm_conn *c, int want)
{
    nm_handback *h = NM_CONTAINER_OF(c->owner, nm_handback, away);
    c->owner = &h->want[want & (NM_READ | NM_WRITE)];
    nm_queue_push(&h->q, c);
    nm_wakeup_signal(&h->w);
}

void nm_handback_take(nm_handback *h, nm_loop *l, void (*resume)(nm_loop *l, nm_conn *c))
{
    nm_wakeup_drain(&h->w);
    for (nm_conn *c; (c = (nm_conn *)nm_queue_try_pop(&h->q));) {
        int want = (int)((char *)c->owner - h->want);
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

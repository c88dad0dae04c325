#include "handback.h"
#include "../session/session.h"

int nm_handback_open(nm_handback *h, nm_loop *l)
{
    pthread_mutex_init(&h->lock, 0);
    nm_link_init(&h->back);
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
    pthread_mutex_destroy(&h->lock);
}

void nm_handback_away(nm_handback *h, nm_loop *l, nm_conn *c)
{
    nm_loop_watch(l, c->fd, 0, 0, 0);
    nm_wheel_del(&l->wheel, &c->timer);
    nm_conn_set_owner(c, &h->away);
}

/* The serving thread leaves c->owner alone (the loop reads it while it
 * drains): what it wants travels in the stopped timer's expiry. */
void nm_handback_send(nm_conn *c, int want)
{
    nm_handback *h = NM_CONTAINER_OF(c->owner, nm_handback, away);
    c->timer.expires = (uint64_t)want;
    pthread_mutex_lock(&h->lock);
    nm_link_push(&h->back, &c->timer.link);
    pthread_mutex_unlock(&h->lock);
    nm_wakeup_signal(&h->w);
}

void nm_handback_take(nm_handback *h, nm_loop *l, void (*resume)(nm_loop *l, nm_conn *c))
{
    nm_wakeup_drain(&h->w);
    nm_link came;   /* the whole list at once: the lock is held for a few stores */
    nm_link_init(&came);
    pthread_mutex_lock(&h->lock);
    if (!nm_link_empty(&h->back)) {
        came.next = h->back.next;
        came.prev = h->back.prev;
        came.next->prev = &came;
        came.prev->next = &came;
        nm_link_init(&h->back);
    }
    pthread_mutex_unlock(&h->lock);
    while (!nm_link_empty(&came)) {
        nm_link *first = came.next;
        nm_link_remove(first);   /* leaves the timer unarmed */
        nm_conn *c = NM_CONTAINER_OF(first, nm_conn, timer.link);
        int want = (int)c->timer.expires;
        nm_conn_set_owner(c, l);
        int idle = !c->in_len && !c->out_count;
        if (!want || (l->draining && idle) || nm_loop_watch(l, c->fd, want, l->conn_fn, c)) {
            nm_loop_drop(l, c);
            continue;
        }
        nm_wheel_add(&l->wheel, &c->timer, l->now, nm_session_timeout_ms(c));
        if (resume) resume(l, c);
    }
}

#include "mailbox.h"

int nm_mailbox_open(nm_mailbox *m)
{
    if (nm_wakeup_open(&m->bell)) return -1;
    nm_queue_init(&m->ring, NM_MAILBOX_DEPTH);
    return 0;
}

void nm_mailbox_close(nm_mailbox *m)
{
    nm_queue_destroy(&m->ring);
    nm_wakeup_close(&m->bell);
}

int nm_mailbox_send(nm_mailbox *m, void *msg)
{
    if (nm_queue_try_push(&m->ring, msg)) return -1;
    nm_wakeup_signal(&m->bell);
    return 0;
}

void *nm_mailbox_receive(nm_mailbox *m)
{
    void *msg = nm_queue_try_pop(&m->ring);
    if (!msg) {
        /* drain, then look again: a message sent in between rang after the drain */
        nm_wakeup_drain(&m->bell);
        msg = nm_queue_try_pop(&m->ring);
    }
    return msg;
}

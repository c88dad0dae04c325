/* mailbox.h - an actor's mailbox: a fixed ring of messages (pointer-sized)
 * and a wakeup its owner's loop watches. Sending never waits: a full
 * mailbox refuses the message, and the sender decides (and counts) what
 * that means. */
#ifndef NM_MAILBOX_H
#define NM_MAILBOX_H

#include "queue.h"
#include "wakeup.h"

struct nm_mailbox {
    nm_queue ring;
    nm_wakeup bell;
};

int nm_mailbox_open(nm_mailbox *m);               /* 0 or -1 */
void nm_mailbox_close(nm_mailbox *m);
int nm_mailbox_send(nm_mailbox *m, void *msg);    /* 0, or -1 when full (msg must not be NULL) */
/* The owner: the next message, NULL when none (the bell is drained first). */
void *nm_mailbox_receive(nm_mailbox *m);

#endif

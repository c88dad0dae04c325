/* rig.h - one connection of a server held in-process, its peer the other end
 * of a socket pair: drives the session without a model, for the unit tests
 * and the session fuzz target. */
#ifndef NM_TEST_RIG_H
#define NM_TEST_RIG_H

#include "../lib/loop/conn.h"
#include "../lib/session/session.h"

struct rig {
    nm_server srv;
    nm_conn *c;
    int peer;               /* the client's end */
    unsigned long handled;  /* handler calls */
};

/* Serve HTTP (or echo) on a fresh socket pair with the rig's handler:
 * GET / -> Hello, World!; POST /echo -> the body; GET /big -> 256 KiB by
 * reference. 0, or -1 when no pair or slot could be had. */
int rig_open(rig *r, int protocol);
/* Drive the session once; closes the connection when it ends. Returns what
 * nm_session_drive returned. */
int rig_drive(rig *r);
/* Close whatever is still open. */
void rig_close(rig *r);

unsigned long rig_counter(rig *r, nm_counter_id id);

#endif

/* prefork.h - N worker processes forked before the first connection, each
 * serving one connection at a time with blocking I/O. How a worker gets its
 * connections is what tells the prefork models apart. A worker that dies is
 * replaced. */
#ifndef NM_PREFORK_H
#define NM_PREFORK_H

#include "../loop/server.h"

enum nm_prefork_accept {
    NM_PREFORK_SHARED,     /* all block in accept() on the one inherited listener */
    NM_PREFORK_LOCKED,     /* the same, one at a time under a cross-process lock */
    NM_PREFORK_REUSEPORT   /* each opens its own SO_REUSEPORT listener */
};

int nm_prefork_run(nm_server *s, nm_prefork_accept how);

#endif

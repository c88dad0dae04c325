/* server.h - what every model is handed: settings, handler, protocol,
 * listener, counters. */
#ifndef NM_SERVER_H
#define NM_SERVER_H

#include "../netmodels.h"
#include "../../ports/port.h"

struct nm_protocol;

/* Counters, updated atomically. Multi-process models point `counters` at a
 * block of shared memory so that every process adds into one set. */
struct nm_counters {
    unsigned long accepted, active, requests, refused, errors, timeouts;
};

struct nm_server {
    nm_config cfg;
    nm_handler handler;
    const nm_protocol *proto;
    const nm_port_ops *port;     /* chosen by --poller, or the best one */
    int listen_fd;
    int port_number;
    nm_counters *counters;
    nm_counters own_counters;
    volatile int stopping;       /* set by nm_server_stop(), read by the loops */
    int in_use;                  /* this slot of the server table runs an nm_run */
};

enum nm_counter_id { NM_C_ACCEPTED, NM_C_ACTIVE, NM_C_REQUESTS, NM_C_REFUSED, NM_C_ERRORS, NM_C_TIMEOUTS };

static inline unsigned long *nm_counter(nm_server *s, nm_counter_id id)
{
    return &(&s->counters->accepted)[id];
}
static inline void nm_count(nm_server *s, nm_counter_id id)
{
    __atomic_fetch_add(nm_counter(s, id), 1ul, __ATOMIC_RELAXED);
}
static inline void nm_uncount(nm_server *s, nm_counter_id id)
{
    __atomic_fetch_sub(nm_counter(s, id), 1ul, __ATOMIC_RELAXED);
}

/* True once this server (or every server) was asked to stop. */
int nm_stop_requested(const nm_server *s);

/* Listener helpers shared by the models. */
int nm_listen_open(nm_server *s, int nonblocking, int reuseport);  /* fd or -1 */
void nm_set_nonblocking(int fd, int on);

/* Model table entry. */
struct nm_model {
    const char *name;
    int (*run)(nm_server *s);
    unsigned flags;
    const char *port_name;   /* the multiplexing models are defined by their port */
};
enum { NM_MODEL_USES_PORT = 1 };
/* The model opens its loops, threads or processes first and then calls
 * nm_server_ready itself, so the announced server is complete. */
enum { NM_MODEL_ANNOUNCES = 2 };
/* The listener is opened with SO_REUSEPORT (processes open more on its port). */
enum { NM_MODEL_REUSEPORT = 4 };
void nm_server_ready(nm_server *s);

#endif

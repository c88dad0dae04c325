/* transport.h - how the session moves bytes: one receive and one gathered
 * send per connection, so that a transport of the firmware's own (TLS from
 * mbedTLS or wolfSSL, say) can stand in for the plain socket without a
 * change to the session or to any model. Both behave as recv(2) and
 * sendmsg(2) on the connection's non-blocking or blocking socket: bytes
 * moved, 0 at the peer's end (receive), or -1 with errno (EAGAIN, EINTR, ...).
 * The proactor moves the plain socket's bytes itself (io_uring, with its
 * provided buffers); under any other transport it only waits for the
 * socket and the transport moves them (complete.cpp: nm_session_move). */
#ifndef NM_TRANSPORT_H
#define NM_TRANSPORT_H

#include <sys/types.h>
#include "../loop/conn.h"

struct iovec;

struct nm_transport {
    const char *name;
    ssize_t (*recv)(nm_conn *c, void *buf, size_t len, int flags);
    ssize_t (*sendv)(nm_conn *c, const struct iovec *iov, int count);
    /* A scattered receive, as recvmsg(2): a streaming body's bytes into
     * several buffers at once (NM_BODY_READ_BUFS). NULL: recv alone. */
    ssize_t (*recvv)(nm_conn *c, const struct iovec *iov, int count, int flags);
    /* Does it hold plaintext already taken from the socket (a record read
     * whole, handed out in parts)? Then the next receive returns bytes
     * whatever the port says, and no driver waits on the port for them.
     * NULL: it holds none: a receive that took less than asked emptied the
     * socket (the level-triggered loops' NM_CF_DRAINED, the plain socket's
     * alone). */
    int (*pending)(const nm_conn *c);
    /* Does it have bytes of its own to send (a handshake, a hello, the rest
     * of a record whose plaintext sendv took) while the session may only
     * read? Then the driver waits for writable too, and flush sends them:
     * 1 all sent, 0 some left (EAGAIN), -1 failed. NULL: never. */
    int (*wants_write)(const nm_conn *c);
    int (*flush)(nm_conn *c);
    /* A connection begins (before its first byte: a server-first hello is
     * queued here for flush) and ends (a clean close message, sent if the
     * socket takes it now; not after an I/O error, NM_CF_DEAD). start: 0,
     * or -1 to close it. NULL: nothing. */
    int (*start)(nm_conn *c);
    void (*close)(nm_conn *c);
};

extern const nm_transport nm_transport_plain;
/* The transport nm_session_bind gives a server: the plain socket unless
 * the program linked one of its own and set this before nm_run (a test's
 * record transport, test/record). */
extern const nm_transport *nm_transport_default;
/* A record layer of the program's (nm_config.transport, netmodels.h) on
 * the socket (records.cpp). Weak: only nm_config_transport links it, so a
 * firmware without one carries none of it. */
extern const nm_transport nm_transport_records __attribute__((weak));
/* A model that serves on fibers (its name), under cfg's record layer:
 * refused (NM_ERR_USAGE, nm_last_error naming the NM_FIBER_STACK_SIZE that
 * would do) when the layer's calls take more stack than a fiber leaves
 * them; 0 otherwise (records.cpp, weak as nm_transport_records is). */
int nm_transport_fibers_refused(const nm_config *cfg, const char *model) __attribute__((weak));

#endif

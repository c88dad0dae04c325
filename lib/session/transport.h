/* transport.h - how the session moves bytes: one receive and one gathered
 * send per connection, so that a transport of the firmware's own (TLS from
 * mbedTLS or wolfSSL, say) can stand in for the plain socket without a
 * change to the session or to any model. Both behave as recv(2) and
 * sendmsg(2) on the connection's non-blocking or blocking socket: bytes
 * moved, 0 at the peer's end (receive), or -1 with errno (EAGAIN, EINTR, ...).
 * The proactor's io_uring engine moves bytes itself and takes the plain
 * socket only. */
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
};

extern const nm_transport nm_transport_plain;

#endif

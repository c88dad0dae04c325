/* transport.cpp - the plain socket. */
#include "transport.h"
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

static ssize_t plain_recv(nm_conn *c, void *buf, size_t len, int flags) { return recv(c->fd, buf, len, flags); }

static ssize_t plain_sendv(nm_conn *c, const struct iovec *iov, int count)
{
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = (struct iovec *)iov;
    msg.msg_iovlen = (size_t)count;
    return sendmsg(c->fd, &msg, MSG_NOSIGNAL);
}

static ssize_t plain_recvv(nm_conn *c, const struct iovec *iov, int count, int flags)
{
    struct msghdr msg;
    memset(&msg, 0, sizeof(msg));
    msg.msg_iov = (struct iovec *)iov;
    msg.msg_iovlen = (size_t)count;
    return recvmsg(c->fd, &msg, flags);
}

const nm_transport nm_transport_plain = { "plain", plain_recv, plain_sendv, plain_recvv, 0, 0, 0, 0, 0 };
const nm_transport *nm_transport_default = &nm_transport_plain;

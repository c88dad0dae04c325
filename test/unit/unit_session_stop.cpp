/* A stopping server waits for no new request on an idle connection. On a
 * blocking socket a stop signal handled just before recv() would otherwise
 * leave the model waiting for the whole idle timeout: under qemu-user, which
 * delivers signals at system call boundaries, nmserve then did not stop. */
#include "../check.h"
#include "../lib/session/session.h"
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

TEST(session_fill_on_a_stopping_server_ends_an_idle_connection)
{
    static nm_server srv;
    memset(&srv, 0, sizeof(srv));
    srv.counters = &srv.own_counters;
    nm_session_bind(&srv, &nm_proto_http);
    int sv[2];
    REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
    struct timeval tv = { 0, 200 * 1000 };   /* a recv() with nothing to read gives up: EAGAIN */
    setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    nm_conn *c = nm_conn_open(&srv, sv[0]);
    REQUIRE(c != 0);
    srv.stopping = 1;
    c->in = nm_buf_get();                 /* half a request held: the rest may still come */
    REQUIRE(c->in != 0);
    memcpy(c->in->data, "GET", 3);
    c->in_len = 3;
    REQUIRE(send(sv[1], " / HTTP/1.1", 11, 0) == 11);
    CHECK_EQ(nm_session_fill(c), 1);
    CHECK_EQ(c->in_len, 14);
    c->in_len = 0;                        /* the request done, nothing more sent: idle */
    CHECK_EQ(nm_session_fill(c), -1);
    CHECK(c->flags & NM_CF_READ_EOF);
    CHECK_EQ(nm_session_drive(c), 0);
    nm_conn_close(c);
    close(sv[1]);
}

#include "rig.h"
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char big_body[256 * 1024];

static int is(nm_slice s, const char *lit) { return s.n == strlen(lit) && !memcmp(s.p, lit, s.n); }

static int handle(const nm_request *req, nm_response *res, void *user)
{
    ((rig *)user)->handled++;
    if (req->protocol == NM_PROTO_ECHO) return nm_resp_body(res, req->body.p, req->body.n);
    if (is(req->target, "/")) return nm_resp_body(res, "Hello, World!", 13);
    if (is(req->target, "/echo")) return nm_resp_body(res, req->body.p, req->body.n);
    if (is(req->target, "/big")) return nm_resp_body_static(res, big_body, sizeof(big_body));
    nm_resp_status(res, 404);
    return nm_resp_body(res, "", 0);
}

int rig_open(rig *r, int protocol)
{
    if (!big_body[0])
        for (size_t i = 0; i < sizeof(big_body); i++) big_body[i] = (char)('a' + i % 26);
    memset(&r->srv, 0, sizeof(r->srv));
    nm_config_init(&r->srv.cfg);
    r->srv.cfg.proto = protocol == NM_PROTO_ECHO ? &nm_proto_echo : &nm_proto_http;
    r->srv.handler.fn = handle;
    r->srv.handler.user = r;
    nm_session_bind(&r->srv, r->srv.cfg.proto);
    r->srv.counters = &r->srv.own_counters;
    r->srv.listen_fd = -1;
    r->handled = 0;
    r->c = 0;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) return -1;
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    r->peer = sv[1];
    r->c = nm_conn_open(&r->srv, sv[0]);
    if (!r->c) {
        close(sv[0]);
        close(sv[1]);
        r->peer = -1;
        return -1;
    }
    return 0;
}

int rig_drive(rig *r)
{
    if (!r->c) return 0;
    int want = nm_session_drive(r->c);
    if (!want) {
        nm_conn_close(r->c);
        r->c = 0;
    }
    return want;
}

void rig_close(rig *r)
{
    if (r->c) nm_conn_close(r->c);
    r->c = 0;
    if (r->peer >= 0) close(r->peer);
    r->peer = -1;
}

unsigned long rig_counter(rig *r, nm_counter_id id) { return *nm_counter(&r->srv, id); }

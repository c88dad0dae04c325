/* echo.cpp - the echo protocol: every byte received is one request's body,
 * and the handler's body goes back unframed. Made with the public protocol
 * API only, as a user's protocol is. */
#include "../netmodels.h"

static int echo_frame(const char *buf, size_t len, nm_frame *f, nm_request *req)
{
    (void)buf;
    if (!len) return NM_FRAME_MORE;
    req->protocol = NM_PROTO_ECHO;
    f->head = 0;
    f->body = NM_BODY_LENGTH;
    f->body_len = len;
    return NM_FRAME_MESSAGE;
}

extern "C" const nm_protocol nm_proto_echo = { "echo", echo_frame, 0, 0, 0, 0, 0, 0 };

/* resp.c - placeholder until the resp demo lands: every message is refused. */
#include "protocols.h"

static int resp_frame(const char *buf, size_t len, nm_frame *f, nm_request *req)
{
    (void)buf; (void)len; (void)req;
    f->status = 501;
    return NM_FRAME_REFUSE;
}

const nm_protocol resp_protocol = { "resp", resp_frame, 0, 0, 0, 0, 0 };

int resp_init(void) { return 0; }

int resp_handle(const nm_request *req, nm_response *res, void *user)
{
    (void)req; (void)res; (void)user;
    return -1;
}

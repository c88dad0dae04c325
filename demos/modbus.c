/* modbus.c - placeholder until the modbus demo lands: every message is refused. */
#include "protocols.h"

static int modbus_frame(const char *buf, size_t len, nm_frame *f, nm_request *req)
{
    (void)buf; (void)len; (void)req;
    f->status = 501;
    return NM_FRAME_REFUSE;
}

const nm_protocol modbus_protocol = { "modbus", modbus_frame, 0, 0, 0, 0, 0 };

int modbus_init(void) { return 0; }

int modbus_handle(const nm_request *req, nm_response *res, void *user)
{
    (void)req; (void)res; (void)user;
    return -1;
}

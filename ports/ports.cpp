/* ports.cpp - which ports this build has, best first. poll and select are
 * left out (NM_WITHOUT_PORT_*, lib/models.mk) when NM_MODELS names neither
 * them nor a model that takes --poller: nothing could run on them. */
#include "port.h"
#include <string.h>

static const nm_port_ops *const ports[] = {
#ifdef __linux__
    &nm_port_epoll,
#endif
#ifdef NM_HAVE_KQUEUE
    &nm_port_kqueue,
#endif
#ifdef NM_PORT_HAS_POLL   /* (one port at least) */
    &nm_port_poll,
#endif
#ifdef NM_PORT_HAS_SELECT
    &nm_port_select,
#endif
    0,
};

const nm_port_ops *nm_port_at(int i)
{
    return i >= 0 && i < (int)(sizeof(ports) / sizeof(ports[0])) ? ports[i] : 0;
}

const nm_port_ops *nm_port_find(const char *name)
{
    for (int i = 0; ports[i]; i++)
        if (!strcmp(ports[i]->name, name)) return ports[i];
    return 0;
}

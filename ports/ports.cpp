/* ports.cpp - which ports this build has, best first. */
#include "port.h"
#include <string.h>

static const nm_port_ops *const ports[] = {
#ifdef __linux__
    &nm_port_epoll,
#endif
#ifdef NM_HAVE_KQUEUE
    &nm_port_kqueue,
#endif
    &nm_port_poll,
    &nm_port_select,
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

/* prefork_reuseport - N worker processes, each with a listener of its own
 * bound to the same port with SO_REUSEPORT; the kernel spreads incoming
 * connections over the listeners by a hash of the addresses, so no worker
 * contends with another for accept(). */
#include "../procs/prefork.h"

int nm_model_prefork_reuseport(nm_server *s) { return nm_prefork_run(s, NM_PREFORK_REUSEPORT); }

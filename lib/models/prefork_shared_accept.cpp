/* prefork_shared_accept - N worker processes are forked up front and all
 * block in accept() on the one listener they inherited; the kernel wakes one
 * (or, on older kernels, several: the thundering herd) per connection. Each
 * worker serves its connection with blocking I/O, then accepts again. */
#include "../procs/prefork.h"

int nm_model_prefork_shared_accept(nm_server *s) { return nm_prefork_run(s, NM_PREFORK_SHARED); }

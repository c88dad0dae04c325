/* prefork_locked_accept - as prefork_shared_accept, but a worker takes a
 * process-shared mutex in mmap'ed memory before accept() and lets go after:
 * only one worker waits in accept() at a time, so no herd is ever woken, and
 * a worker that dies holding the lock does not block the others (robust). */
#include "../procs/prefork.h"

int nm_model_prefork_locked_accept(nm_server *s) { return nm_prefork_run(s, NM_PREFORK_LOCKED); }

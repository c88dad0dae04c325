/* proactor - completion-based: the model submits operations (accept, wait
 * for input, receive, send) and runs a handler when each completes; it never
 * asks whether a socket is ready. One thread, nm_run's; the operations run
 * on io_uring where the kernel has it, or on an emulation over the chosen
 * port (completion/proactor.h); nm_config.proactor / --proactor chooses,
 * "auto" by default, and "io_uring" in /stats says which one runs (1 or 0).
 * The completion driver (completion/engine.cpp) turns the session's actions
 * into submissions and the completions into its events. Under a transport
 * other than the plain socket the engine only waits for the socket and the
 * transport moves the bytes. The engine and its counts are the server's, on
 * nm_run's stack (about 2 KiB). */
#include "../completion/proactor.h"
#include "../session/session.h"
#include "../session/transport.h"

static const nm_completion_ops session_done = { nm_session_on_done, nm_session_move, nm_session_pending };

int nm_model_proactor(nm_server *s)
{
    return nm_proactor_serve(s, &session_done, s->transport != &nm_transport_plain);
}

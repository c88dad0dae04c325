/* tlsserve.c - a program built against an installed TLS archive (through
 * netmodels-tls.pc, and through CMake's netmodels::tls): it serves MODEL
 * over TLS with the certificate and key of two files (a firmware's would
 * be in flash: the same call takes them from memory), prints
 * "port N tls=ENGINE" and answers "tls ok" until SIGTERM.
 *
 *   tlsserve CERT KEY [MODEL] */
#define _POSIX_C_SOURCE 200809L
#include "nm_tls.h"
#include <stdio.h>

static char cert[65536], key[16384];
static const nm_tls *tls;

static int handle(const nm_request *req, nm_response *res, void *user)
{
    (void)req;
    (void)user;
    return nm_resp_body(res, "tls ok\n", 7);
}

static void ready(const nm_server *srv, int port, void *user)
{
    (void)srv;
    (void)user;
    printf("port %d tls=%s\n", port, nm_tls_engine(tls));
    fflush(stdout);
}

/* A file whole into buf: its length, or 0. */
static size_t slurp(const char *path, char *buf, size_t room)
{
    FILE *f = fopen(path, "rb");
    size_t n = f ? fread(buf, 1, room, f) : 0;
    if (f) fclose(f);
    return n < room ? n : 0;
}

int main(int argc, char **argv)
{
    nm_config cfg;
    nm_handler h = { handle, 0 };
    char err[NM_TLS_ERROR_TEXT];
    size_t cl, kl;
    nm_tls *t;
    int rc;
    if (argc < 3) {
        fprintf(stderr, "usage: tlsserve CERT KEY [MODEL]\n");
        return 2;
    }
    cl = slurp(argv[1], cert, sizeof(cert));
    kl = slurp(argv[2], key, sizeof(key));
    t = nm_tls_bearssl(cert, cl, key, kl, err, sizeof(err));
    if (!t) {
        fprintf(stderr, "tlsserve: %s\n", err);
        return 2;
    }
    tls = t;
    nm_config_init(&cfg);
    cfg.port = NM_PORT_ANY;
    cfg.on_ready = ready;
    cfg.handle_signals = 1;
    nm_tls_use(&cfg, t);
    rc = nm_run(argc > 3 ? argv[3] : nm_model_name(0), &cfg, &h);
    if (rc != NM_OK) fprintf(stderr, "tlsserve: nm_run: %d %s\n", rc, nm_last_error());
    return rc != NM_OK;
}

/* size_bare.c - demos/firmware.c without the library: the same libc calls
 * (formatting, signals, stdio), no server. `make size` links both the same way
 * and reports the difference as the bytes the library adds to a firmware. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

static volatile sig_atomic_t stopping;

static void stop(int sig)
{
    (void)sig;
    stopping = 1;
}

int main(int argc, char **argv)
{
    char body[64];
    int n = snprintf(body, sizeof(body), "device ok, request %lu\n", (unsigned long)argc);
    signal(SIGTERM, stop);
    signal(SIGINT, stop);
    printf("firmware: serving on port %d with %.*s\n", argc > 1 ? atoi(argv[1]) : 8080, n, body);
    fflush(stdout);
    return stopping;
}

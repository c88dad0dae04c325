/* leave - start a server and end without stopping it, as a test that
 * fails before its stop does: the client library must stop it at exit
 * (test/harness/servers_end.sh checks that none is left running). */
#include "../client.h"
#include <stdio.h>

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: leave NMSERVE MODEL\n");
        return 2;
    }
    tc_server s;
    const char *args[] = { argv[1], "--model", argv[2], "--port", "0", 0 };
    if (tc_server_start(&s, args)) return 1;
    printf("started %d\n", (int)s.pid);
    return 0;
}

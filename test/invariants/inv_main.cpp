#include "inv.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *inv_nmserve;

int inv_start(tc_server *s, const char *model, ...)
{
    const char *args[16] = { inv_nmserve, "--model", model, "--port", "0" };
    int n = 5;
    va_list ap;
    va_start(ap, model);
    for (const char *a; n < 15 && (a = va_arg(ap, const char *));) args[n++] = a;
    va_end(ap);
    args[n] = 0;
    return tc_server_start(s, args);
}

int inv_has_model(const char *model)
{
    char cmd[512], line[128];
    snprintf(cmd, sizeof(cmd), "%s %s --list", getenv("NM_RUN_PREFIX") ? getenv("NM_RUN_PREFIX") : "",
             inv_nmserve);
    FILE *p = popen(cmd, "r");
    int found = 0;
    while (p && fgets(line, sizeof(line), p)) {
        line[strcspn(line, "\n")] = 0;
        if (!strcmp(line, model)) found = 1;
    }
    if (p) pclose(p);
    return found;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: invariants NMSERVE\n");
        return 2;
    }
    inv_nmserve = argv[1];
    const char *filter = getenv("NM_TEST_FILTER");
    char *args[2] = { argv[0], (char *)filter };
    return nm_test_main(filter ? 2 : 1, args);
}

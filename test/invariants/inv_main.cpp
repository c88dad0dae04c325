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

/* nmserve --list, asked once: the models one a line; probed -1 when it
 * could not be asked (why says so). */
static char listed[4096];
static int probed;
static char why[600];

static void probe_models(void)
{
    char cmd[420], line[128];
    const char *prefix = getenv("NM_RUN_PREFIX");
    snprintf(cmd, sizeof(cmd), "%.100s %.300s --list 2>&1", prefix ? prefix : "", inv_nmserve);
    probed = -1;
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(why, sizeof(why), "cannot run '%s'", cmd);
        return;
    }
    size_t used = 0;
    int lines = 0;
    listed[0] = 0;
    while (fgets(line, sizeof(line), p)) {
        size_t n = strlen(line);
        if (used + n + 1 < sizeof(listed)) {
            memcpy(listed + used, line, n + 1);
            used += n;
        }
        lines++;
    }
    int status = pclose(p);
    if (status != 0) {
        listed[strcspn(listed, "\n")] = 0;   /* its first line says why */
        snprintf(why, sizeof(why), "'%s' failed (status %d): %.120s", cmd, status, listed);
    } else if (!lines) {
        snprintf(why, sizeof(why), "'%s' listed no model", cmd);
    } else {
        probed = 1;
    }
}

int inv_has_model(const char *model)
{
    if (!probed) probe_models();
    if (probed < 0) {
        fprintf(stderr, "  cannot tell whether nmserve has %s: %s\n", model, why);
        nm_test_failures++;
        return -1;
    }
    size_t n = strlen(model);
    for (const char *l = listed; *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] != 0))
        if (!strncmp(l, model, n) && (l[n] == '\n' || !l[n])) return 1;
    return 0;
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

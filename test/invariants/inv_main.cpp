#include "inv.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *inv_nmserve;

/* Every model of the library, that a test can be named after. */
static const char *const all_models[] = {
#define NM_MODEL(name, file, flags, port) #name,
#include "../../lib/models/models.def"
#undef NM_MODEL
};
#define N_MODELS (sizeof(all_models) / sizeof(all_models[0]))

/* The model a test is named after: the longest model name its name begins
 * with, then '_'. 0 for one named after none (bursts, backpressure,
 * lending, tricklers, the application's own work: several models each). */
static const char *named_after(const char *test)
{
    const char *best = 0;
    for (size_t i = 0; i < N_MODELS; i++) {
        size_t n = strlen(all_models[i]);
        if (!strncmp(test, all_models[i], n) && test[n] == '_' && (!best || n > strlen(best)))
            best = all_models[i];
    }
    return best;
}

/* NM_INV_MODELS (test/run.sh: a target's NM_TARGET_MODELS, the models whose
 * conformance runs there): a test named after a model runs only when that
 * model is a word of it, and the others are left out, not skipped. A test
 * named after a model starts that model only (inv_start), so the name
 * tells exactly which tests a list leaves out. */
static const char *only_models;
static const char *running_model;   /* the model the running test is named after */

static int wanted(const char *test)
{
    running_model = named_after(test);
    return !only_models || !running_model || nm_test_required(running_model, only_models);
}

int inv_start(tc_server *s, const char *model, ...)
{
    if (running_model && strcmp(model, running_model)) {
        fprintf(stderr, "  a test named after %s starts %s: NM_INV_MODELS would leave it out by %s\n", running_model,
                model, running_model);
        nm_test_failures++;
        return -1;
    }
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

int inv_model_wanted(const char *model)
{
    int has = inv_has_model(model);
    if (has <= 0) return has;
    return !only_models || nm_test_required(model, only_models);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: invariants NMSERVE\n");
        return 2;
    }
    inv_nmserve = argv[1];
    only_models = getenv("NM_INV_MODELS");   /* empty: every model */
    if (only_models && !only_models[strspn(only_models, " ")]) only_models = 0;
    for (const char *p = only_models; p && *p;) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " "), i = 0;
        while (n && i < N_MODELS && (strlen(all_models[i]) != n || strncmp(p, all_models[i], n))) i++;
        if (n && i == N_MODELS) {
            fprintf(stderr, "NM_INV_MODELS names '%.*s', which is no model\n", (int)n, p);
            return 2;
        }
        p += n;
    }
    nm_test_wanted = wanted;
    const char *filter = getenv("NM_TEST_FILTER");
    char *args[2] = { argv[0], (char *)filter };
    return nm_test_main(filter ? 2 : 1, args);
}

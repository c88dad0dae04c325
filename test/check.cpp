#include "check.h"
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int nm_test_failures;
int (*nm_test_wanted)(const char *name);
static int skipped_now;            /* the running test said SKIP */
static const char *running_name;
static nm_test_case *head, *tail;

nm_test_case::nm_test_case(const char *n, void (*f)(void)) : name(n), fn(f), next(0)
{
    /* keep declaration order, so output reads like the source */
    if (tail) tail->next = this;
    else head = this;
    tail = this;
}

int nm_test_required(const char *feature, const char *list)
{
    if (!list) list = getenv("NM_REQUIRE_FEATURES");
    size_t n = strlen(feature);
    for (const char *p = list; p && *p;) {
        p += strspn(p, " \t");
        size_t w = strcspn(p, " \t");
        if (w == n && n && !strncmp(p, feature, n)) return 1;
        p += w;
    }
    return 0;
}

void nm_test_skip(const char *feature, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    const char *name = running_name ? running_name : "?";
    if (feature && nm_test_required(feature, 0)) {
        printf("  FAIL %s: required feature %s (NM_REQUIRE_FEATURES) is missing: %s\n", name, feature, why);
        nm_test_failures++;
        return;
    }
    if (feature) printf("  skipped: %s: %s (feature %s)\n", name, why, feature);
    else printf("  skipped: %s: %s\n", name, why);
    skipped_now = 1;
    fflush(stdout);
}

/* Does the filter take `name`? Its words apart by spaces: a test runs
 * when its name contains a word (any name when all begin with '-') and no
 * word after a '-'. */
static int selected(const char *name, const char *filter)
{
    int want = 0, wanted = 0;
    for (const char *p = filter; *p;) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " ");
        int out = *p == '-';
        char word[128];
        snprintf(word, sizeof(word), "%.*s", (int)(n - out), p + out);
        p += n;
        if (!word[0]) continue;
        if (out && strstr(name, word)) return 0;
        if (!out) {
            wanted = 1;
            if (strstr(name, word)) want = 1;
        }
    }
    return want || !wanted;
}

int nm_test_main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : 0;
    int passed = 0, failed = 0, skipped = 0;
    for (nm_test_case *t = head; t; t = t->next) {
        if (filter && !selected(t->name, filter)) continue;
        if (nm_test_wanted && !nm_test_wanted(t->name)) continue;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        nm_test_failures = 0;
        skipped_now = 0;
        running_name = t->name;
        t->fn();
        running_name = 0;
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        const char *word = nm_test_failures ? "FAIL" : skipped_now ? "skip" : "ok  ";
        printf("%s %s (%.0f ms)\n", word, t->name, ms);
        fflush(stdout);
        if (nm_test_failures) failed++;
        else if (skipped_now) skipped++;
        else passed++;
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}

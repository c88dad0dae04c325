#include "check.h"
#include <string.h>
#include <time.h>

int nm_test_failures;
static nm_test_case *head, *tail;

nm_test_case::nm_test_case(const char *n, void (*f)(void)) : name(n), fn(f), next(0)
{
    /* keep declaration order, so output reads like the source */
    if (tail) tail->next = this;
    else head = this;
    tail = this;
}

int nm_test_main(int argc, char **argv)
{
    const char *filter = argc > 1 ? argv[1] : 0;
    int passed = 0, failed = 0;
    for (nm_test_case *t = head; t; t = t->next) {
        if (filter && !strstr(t->name, filter)) continue;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        nm_test_failures = 0;
        t->fn();
        clock_gettime(CLOCK_MONOTONIC, &b);
        double ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        printf("%s %s (%.0f ms)\n", nm_test_failures ? "FAIL" : "ok  ", t->name, ms);
        fflush(stdout);
        if (nm_test_failures) failed++;
        else passed++;
    }
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}

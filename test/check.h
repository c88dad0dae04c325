/* check.h - the project's own small test framework.
 *
 *   TEST(name) { CHECK(cond); CHECK_EQ(a, b); }
 *
 * Tests register themselves; nm_test_main() runs those whose name contains
 * a word of argv[1] (all without it) and none of its words after a '-'
 * ("proactor -capacity"), and ends with "N passed, N failed, N skipped".
 *
 * A test that cannot run here ends with SKIP("why") or, when what is
 * missing is a feature of the machine, SKIP_FEATURE("io_uring", "why") (the
 * features are the words listed in test/run.sh). Either prints
 *   "  skipped: TEST: why" (with " (feature F)" after a feature)
 * and the test counts as skipped, not passed. A feature named in the
 * environment's NM_REQUIRE_FEATURES (words apart by spaces) must be there:
 * its skip is a failure. */
#ifndef NM_CHECK_H
#define NM_CHECK_H

#include <stdio.h>

struct nm_test_case {
    const char *name;
    void (*fn)(void);
    nm_test_case *next;
    nm_test_case(const char *n, void (*f)(void));
};

extern int nm_test_failures;   /* failed checks in the running test */

#define TEST(name)                                              \
    static void test_##name(void);                              \
    static nm_test_case test_reg_##name(#name, test_##name);    \
    static void test_##name(void)

#define CHECK(cond)                                                                   \
    do {                                                                              \
        if (!(cond)) {                                                                \
            fprintf(stderr, "  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
            nm_test_failures++;                                                       \
        }                                                                             \
    } while (0)

#define CHECK_EQ(a, b)                                                                        \
    do {                                                                                      \
        long long va_ = (long long)(a), vb_ = (long long)(b);                                 \
        if (va_ != vb_) {                                                                     \
            fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, \
                    #b, va_, vb_);                                                            \
            nm_test_failures++;                                                               \
        }                                                                                     \
    } while (0)

/* Stop the current test when a precondition fails (e.g. a server did not start). */
#define REQUIRE(cond)                                                                  \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "  %s:%d: REQUIRE(%s) failed\n", __FILE__, __LINE__, #cond); \
            nm_test_failures++;                                                        \
            return;                                                                    \
        }                                                                              \
    } while (0)

/* End the current test as skipped: the reason, printf-style. */
#define SKIP(...)                          \
    do {                                   \
        nm_test_skip(0, __VA_ARGS__);      \
        return;                            \
    } while (0)

/* End it as skipped for want of FEATURE, or failed when FEATURE is required. */
#define SKIP_FEATURE(feature, ...)             \
    do {                                       \
        nm_test_skip(feature, __VA_ARGS__);    \
        return;                                \
    } while (0)

/* Mark the running test skipped (the macros above also return from it). */
void nm_test_skip(const char *feature, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Is `feature` a word of `list` (NM_REQUIRE_FEATURES when list is NULL)? */
int nm_test_required(const char *feature, const char *list);

/* When set, a test it returns 0 for is left out like one the filter does
 * not take: not run, not counted. It is asked just before the test runs. */
extern int (*nm_test_wanted)(const char *name);

int nm_test_main(int argc, char **argv);

#endif

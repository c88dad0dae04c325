/* check.h - the project's own small test framework.
 *
 *   TEST(name) { CHECK(cond); CHECK_EQ(a, b); }
 *
 * Tests register themselves; nm_test_main() runs those whose name contains
 * argv[1] (all without it) and ends with "N passed, N failed". */
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

int nm_test_main(int argc, char **argv);

#endif

/* error.h - the one line nm_last_error() reads. Per thread: a failure can
 * come before any server exists, and two servers failing at once on two
 * threads each keep their own line. */
#ifndef NM_ERROR_H
#define NM_ERROR_H

/* Sized for the longest: a Unix path (107 bytes) with a system error's
 * text; what the caller names past that is cut (nm_quote), never a number. */
enum { NM_ERROR_MAX = 256 };
extern __thread char nm_error_line[NM_ERROR_MAX];
/* The line says a pool ran short (nm_pool_short): a model that fails for it
 * fails for want of what the build has, not of a system call. */
extern __thread int nm_error_pool_short;

/* Write the line, as printf does; returns NM_ERR_USAGE. */
int nm_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A state the code relies on, checked in a build made with -DNM_CHECKS
 * (the sanitizer builds): one line naming it, then a trap. Nothing in any
 * other build. */
#ifdef NM_CHECKS
[[noreturn]] void nm_check_failed(const char *file, int line, const char *what);
#define NM_CHECK(cond) ((cond) ? (void)0 : nm_check_failed(__FILE__, __LINE__, #cond))
#else
#define NM_CHECK(cond) ((void)0)
#endif

#endif

#include "error.h"
#include "../netmodels.h"
#include <stdarg.h>
#include <stdio.h>

__thread char nm_error_line[NM_ERROR_MAX];
__thread int nm_error_pool_short;

int nm_error_set(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(nm_error_line, sizeof(nm_error_line), fmt, ap);
    va_end(ap);
    return NM_ERR_USAGE;
}

extern "C" const char *nm_last_error(void) { return nm_error_line; }

#ifdef NM_CHECKS
void nm_check_failed(const char *file, int line, const char *what)
{
    dprintf(2, "netmodels: %s:%d: %s does not hold\n", file, line, what);
    __builtin_trap();
}
#endif

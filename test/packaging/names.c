/* names.c - a program's own identifiers are its own: nm_run is a function
 * of netmodels.h, not a macro, so a field or a variable of that name
 * declared before the header and used after it is untouched. Compiled (and
 * run) by install.sh against the installed headers; exit 0. */
#include <string.h>

struct job {
    int nm_run;   /* a field declared before netmodels.h is read */
};

#include "netmodels.h"

#ifdef nm_run
#error "nm_run is a macro"
#endif

static int count(const struct job *j)
{
    int nm_run = j->nm_run + 1;   /* a local variable of the name */
    return nm_run;
}

int main(void)
{
    struct job j;
    int (*run)(const char *, const nm_config *, const nm_handler *) = nm_run;
    memset(&j, 0, sizeof(j));
    j.nm_run = 1;
    return count(&j) == 2 && run != 0 ? 0 : 1;
}

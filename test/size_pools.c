/* size_pools.c - print the library's static pools, one per line, as
 * "bytes<TAB>element size<TAB>count<TAB>name", for `make size`. It runs on the
 * target (under its emulator) because element sizes are the target's. */
#include "netmodels.h"
#include <stdio.h>

int main(void)
{
    for (int i = 0; i < nm_pool_count(); i++) {
        nm_pool_info p = nm_pool_info_at(i);
        printf("%lu\t%lu\t%lu\t%s\n", (unsigned long)(p.size * p.count), (unsigned long)p.size,
               (unsigned long)p.count, p.name);
    }
    return 0;
}

#include "mstat.h"
#include <string.h>

unsigned long *nm_mstat(nm_mstats *t, const char *name)
{
    int used = t->used;
    for (int i = 0; i < used; i++)
        if (!strcmp(t->entry[i].name, name)) return &t->entry[i].value;
    if (used == NM_MAX_MODEL_STATS) return &t->overflow;
    t->entry[used].name = name;
    t->entry[used].value = 0;
    __atomic_store_n(&t->used, used + 1, __ATOMIC_RELEASE);   /* readers see the entry whole */
    return &t->entry[used].value;
}

int nm_mstat_at(const nm_mstats *t, int i, const char **name, unsigned long *value)
{
    if (i < 0 || i >= __atomic_load_n(&t->used, __ATOMIC_ACQUIRE)) return -1;
    *name = t->entry[i].name;
    *value = __atomic_load_n(&t->entry[i].value, __ATOMIC_RELAXED);
    return 0;
}

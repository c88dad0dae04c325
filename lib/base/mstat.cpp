#include "mstat.h"
#include "../netmodels.h"
#include <string.h>

struct mstat_entry {
    const char *name;
    unsigned long value;
};

static mstat_entry table[NM_MAX_MODEL_STATS];
static unsigned long overflow;   /* where counters past the table go */
static int used;

void nm_mstat_clear(void)
{
    __atomic_store_n(&used, 0, __ATOMIC_RELEASE);
}

unsigned long *nm_mstat(const char *name)
{
    for (int i = 0; i < used; i++)
        if (!strcmp(table[i].name, name)) return &table[i].value;
    if (used == NM_MAX_MODEL_STATS) return &overflow;
    table[used].name = name;
    table[used].value = 0;
    __atomic_store_n(&used, used + 1, __ATOMIC_RELEASE);
    return &table[used - 1].value;
}

extern "C" int nm_model_stat(int i, const char **name, unsigned long *value)
{
    if (i < 0 || i >= __atomic_load_n(&used, __ATOMIC_ACQUIRE)) return -1;
    *name = table[i].name;
    *value = __atomic_load_n(&table[i].value, __ATOMIC_RELAXED);
    return 0;
}

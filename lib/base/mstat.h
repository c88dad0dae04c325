/* mstat.h - counters of a model's own (steals, mailbox refusals, ...), served
 * next to the common ones: nm_server_model_stat() and the demo's GET /stats.
 *
 * Each server has its own table (nm_server.model_stats), fixed in size
 * (NM_MAX_MODEL_STATS), so that two servers in one process, even of the
 * same model, count apart. A model names its counters when it starts, on
 * nm_run's thread; values are updated atomically from any thread. */
#ifndef NM_MSTAT_H
#define NM_MSTAT_H

#include "../nm_config.h"

struct nm_mstat_entry {
    const char *name;
    unsigned long value;
};

struct nm_mstats {
    nm_mstat_entry entry[NM_MAX_MODEL_STATS];
    unsigned long overflow;   /* where counters past the table go */
    int used;
};

/* The counter called `name` (a string literal) in t, zeroed when first
 * named; a dummy slot when the table is full, so callers never test for NULL. */
unsigned long *nm_mstat(nm_mstats *t, const char *name);
/* The i-th counter of t: 0, or -1 past the last. */
int nm_mstat_at(const nm_mstats *t, int i, const char **name, unsigned long *value);

static inline void nm_mstat_add(unsigned long *v, unsigned long n) { __atomic_fetch_add(v, n, __ATOMIC_RELAXED); }
static inline void nm_mstat_set(unsigned long *v, unsigned long n) { __atomic_store_n(v, n, __ATOMIC_RELAXED); }

#endif

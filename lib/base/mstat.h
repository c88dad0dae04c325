/* mstat.h - counters of a model's own (steals, mailbox refusals, ...), served
 * next to the common ones: nm_model_stat() and the demo's GET /stats.
 *
 * A model names its counters when it starts; the table is process-wide and
 * fixed in size (NM_MAX_MODEL_STATS). Values are updated atomically. */
#ifndef NM_MSTAT_H
#define NM_MSTAT_H

#include "../nm_config.h"

/* Forget the previous run's counters (nm_run does, before the model runs). */
void nm_mstat_clear(void);
/* The counter called `name` (a string literal), zeroed when first named;
 * a dummy slot when the table is full, so callers never test for NULL. */
unsigned long *nm_mstat(const char *name);

static inline void nm_mstat_add(unsigned long *v, unsigned long n) { __atomic_fetch_add(v, n, __ATOMIC_RELAXED); }
static inline void nm_mstat_set(unsigned long *v, unsigned long n) { __atomic_store_n(v, n, __ATOMIC_RELAXED); }

#endif

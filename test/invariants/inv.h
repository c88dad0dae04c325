/* inv.h - shared by the model invariant tests (test/inv_*.cpp), which run as
 * one binary: invariants NMSERVE. Each test is named after its model. */
#ifndef NM_INV_H
#define NM_INV_H

#include "../check.h"
#include "../client.h"

extern const char *inv_nmserve;   /* path of the nmserve under test */

/* Start `model` on a free port with up to 6 more options (NULL-terminated). */
int inv_start(tc_server *s, const char *model, ...);
/* Is `model` compiled into this nmserve? */
int inv_has_model(const char *model);

#endif

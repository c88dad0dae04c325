/* inv.h - shared by the model invariant tests (test/inv_*.cpp), which run as
 * one binary: invariants NMSERVE. Each test is named after its model. */
#ifndef NM_INV_H
#define NM_INV_H

#include "../check.h"
#include "../client.h"

extern const char *inv_nmserve;   /* path of the nmserve under test */

/* Start `model` on a free port with up to 6 more options (NULL-terminated). */
int inv_start(tc_server *s, const char *model, ...);
/* Is `model` compiled into this nmserve? 1 or 0; -1, the running test
 * failed, when nmserve could not be asked (it does not run, or lists
 * nothing): a failed probe is not an absent model. */
int inv_has_model(const char *model);

/* For a test named after no model that goes through several: is `model`
 * compiled in and listed by NM_INV_MODELS (when set)? 1 or 0; -1 as
 * inv_has_model. */
int inv_model_wanted(const char *model);

/* Go on only when nmserve has `model`: else skip the test (a build of
 * fewer models), or end it failed when nmserve could not be asked. */
#define INV_NEED_MODEL(model)                                                 \
    do {                                                                      \
        int has_ = inv_has_model(model);                                      \
        if (has_ < 0) return;                                                 \
        if (!has_) SKIP("%s was built without the model %s", inv_nmserve, model); \
    } while (0)

#endif

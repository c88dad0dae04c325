/* app.h - the demo application: one handler, served by any model. */
#ifndef NM_DEMO_APP_H
#define NM_DEMO_APP_H

#include "netmodels.h"

#define APP_BIG_SIZE (1024 * 1024)
/* Byte i of the body of GET /big. */
#define APP_BIG_BYTE(i) ((char)('a' + (i) % 26))

void app_init(void);
int app_handle(const nm_request *req, nm_response *res, void *user);

#endif

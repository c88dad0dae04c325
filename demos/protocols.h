/* protocols.h - the protocols nmserve serves beside HTTP and echo, each made
 * as a firmware team makes its own: an nm_protocol (netmodels.h), a handler,
 * and a start-up that maps its table shared before nm_run forks any process,
 * so that every thread and process of any model sees one table.
 *
 *   nmserve --protocol modbus   Modbus/TCP (demos/modbus.c)
 *   nmserve --protocol resp     a RESP (Redis protocol) key-value store (demos/resp.c)
 *
 * Each *_init returns 0, or -1 when its shared memory cannot be mapped. */
#ifndef NM_DEMO_PROTOCOLS_H
#define NM_DEMO_PROTOCOLS_H

#include "netmodels.h"

#ifdef __cplusplus
extern "C" {
#endif

extern const nm_protocol modbus_protocol;
int modbus_init(void);
int modbus_handle(const nm_request *req, nm_response *res, void *user);

extern const nm_protocol resp_protocol;
int resp_init(void);
int resp_handle(const nm_request *req, nm_response *res, void *user);

#ifdef __cplusplus
}
#endif
#endif

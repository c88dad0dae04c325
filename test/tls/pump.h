/* pump.h - tls_proxy's TLS client (pump.cpp). */
#ifndef NM_TEST_TLS_PUMP_H
#define NM_TEST_TLS_PUMP_H

/* Carry a connected client's bytes to a connected TLS server and back
 * until the server ends: 1 it ended with close_notify, 0 without, -1 no
 * handshake. */
int tls_pump(int client, int server);

#endif

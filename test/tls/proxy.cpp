/* tls_proxy - record_proxy (test/record/proxy.cpp) with TLS instead of
 * records toward the server (pump.cpp): the conformance suite, given it
 * as NM_RUN_PREFIX, runs against nmserve over TLS unchanged
 * (test/tls/check.sh). */
#define PROXY_TLS 1
#include "../record/proxy.cpp"

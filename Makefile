# netmodels - build, test and measure.
#
#   make                 build/$(TARGET)/libnetmodels.a (TARGET=host by default)
#   make demo            build, serve, load, print a result table
#   make deps check      install what the tests need (Debian/Ubuntu), run them all
#   make install         library, headers (with the build's configuration),
#                        netmodels.pc and a CMake package under $(DESTDIR)$(PREFIX)
#   make TARGET=armhf    cross-build for a target of toolchains/ (check and size too)
#   make size            footprint per target with -Os: library, pools, a firmware
#   make bench           every model side by side with nginx and peer servers: table, CSV, SVG in build/bench/
#   make bench-full      the same, the peers, the connection sweep (10 to 5000 keep-alive connections) and the headline rounds
#
# Honoured: CROSS_COMPILE CC CXX AR CPPFLAGS CXXFLAGS CFLAGS LDFLAGS PREFIX DESTDIR TARGET
#           NM_MODELS="epoll reactor ..." (only these models) NM_TARGETS NM_REQUIRE_TARGETS

TARGET ?= host
-include toolchains/$(TARGET).mk

# A toolchain given only by CROSS_COMPILE (no fragment) builds apart from the host.
ifeq ($(TARGET)$(origin BUILD),hostundefined)
ifneq ($(CROSS_COMPILE),)
BUILD = build/$(notdir $(patsubst %-,%,$(CROSS_COMPILE)))
endif
endif
# make check SANITIZE=address,undefined (or thread): the same build and
# checks in a separate directory, with the sanitizers compiled in and linked
# through the compiler driver (test builds only: a release build has none).
comma := ,
space := $(subst ,, )
ifneq ($(SANITIZE),)
BUILD ?= build/$(TARGET)-$(subst $(comma),-,$(SANITIZE))
# (The sanitizer runtimes need far more stack and thread-local storage;
# NM_CHECKS: the states the library relies on are checked, base/error.h.)
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer \
             -DNM_THREAD_STACK_SIZE=1048576 -DNM_CHECKS
export NM_SKIP_STATIC = 1
export NM_SKIP_VALGRIND = 1
export NM_SKIP_FUZZ = 1
# (the whole catalogue on every listener kind and twice over in one process
# is the plain build's; a sanitized one runs one model of each kind there)
export NM_SANITIZED = 1
endif
# make TLS=bearssl, TLS=wolfssl or TLS=bearssl,wolfssl: the TLS engines'
# own archive beside the library (lib/tls/README), in a build of its own
# unless BUILD says where (make check's is BUILD/tls, below, both engines).
ifneq ($(TLS),)
BUILD ?= build/$(TARGET)/tls-$(subst $(comma),-,$(TLS))
endif
BUILD ?= build/$(TARGET)
PREFIX ?= /usr/local

ifeq ($(origin CC),default)
CC = $(CROSS_COMPILE)gcc
endif
ifeq ($(origin CXX),default)
CXX = $(CROSS_COMPILE)g++
endif
ifeq ($(origin AR),default)
AR = $(CROSS_COMPILE)ar
endif

CXXFLAGS ?= -O2 -g
CFLAGS ?= -O2 -g
# The library's language rules: no exceptions, no RTTI, no runtime support.
# CPPFLAGS (say -DNM_MAX_HEADERS=16, or -I of a directory holding an
# nm_user_config.h) reach the library and the C programs alike.
NM_CXXFLAGS = -std=c++17 -fno-exceptions -fno-rtti -fno-threadsafe-statics \
              -fno-asynchronous-unwind-tables -Wall -Wextra -Wshadow -Wno-missing-field-initializers \
              -pthread -Ilib $(ARCH_FLAGS) $(EXTRA_CPPFLAGS) $(CPPFLAGS)
NM_CFLAGS = -std=c99 -Wall -Wextra -pthread -Ilib $(ARCH_FLAGS) $(EXTRA_CPPFLAGS) $(CPPFLAGS)
# Programs link with the C driver: a C++ runtime reference fails the link.
NM_LDFLAGS = -pthread $(ARCH_LDFLAGS) $(LDFLAGS)
NM_CXXFLAGS += $(SAN_FLAGS)
NM_CFLAGS += $(SAN_FLAGS)
NM_LDFLAGS += $(SAN_FLAGS)

LIB_SRCS := $(filter-out lib/tls/%,$(wildcard lib/*.cpp lib/*/*.cpp ports/*.cpp)) $(EXTRA_SRCS)
include lib/models.mk
LIB_OBJS := $(LIB_SRCS:%.cpp=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libnetmodels.a

DEMO_COMMON := $(BUILD)/obj/demos/app.o $(BUILD)/obj/demos/crc32.o $(BUILD)/obj/demos/modbus.o $(BUILD)/obj/demos/resp.o
TEST_COMMON := $(BUILD)/obj/test/check.o $(BUILD)/obj/test/client.o

# One short line a file (  CXX lib/loop/loop.cpp, as Linux's build prints);
# V=1 prints every command whole; make -s prints neither.
ifeq ($(V),1)
Q :=
SAY := @:
else ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
Q := @
SAY := @:
else
Q := @
SAY := @printf '  %-3s %s\n'
endif

all: $(LIB)

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(SAY) CXX $<
	$(Q)$(CXX) $(NM_CXXFLAGS) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(SAY) CC $<
	$(Q)$(CC) $(NM_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(SAY) AR $(@:$(BUILD)/%=%)
	$(Q)$(AR) rcs $@ $^

$(BUILD)/nmserve: $(BUILD)/obj/demos/nmserve.o $(DEMO_COMMON) $(LIB)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS)

$(BUILD)/nmbench: $(BUILD)/obj/demos/nmbench.o $(LIB)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS)

$(BUILD)/firmware: $(BUILD)/obj/demos/firmware.o $(LIB)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS)

# libnetmodels_tls.a: the engines asked for (TLS=bearssl,wolfssl), their
# shared part (common.cpp) and wolfSSL's arena, each engine linked with
# its library; nmserve then takes --tls-cert, --tls-key and --tls-engine.
TLS_ENGINES := $(subst $(comma), ,$(TLS))
ifneq ($(filter-out bearssl wolfssl,$(TLS_ENGINES)),)
$(error TLS: bearssl, wolfssl or bearssl$(comma)wolfssl, not $(TLS))
endif
# wolfSSL as Debian builds it (4096-bit numbers on the stack) needs more
# than 128 KB of a thread's stack for a handshake: 256 KB in such a build,
# and fibers of 72 KiB (its transport says it takes 56 KiB; the fiber
# model refuses less), unless the build says otherwise (lib/tls/README).
ifneq ($(filter wolfssl,$(TLS_ENGINES)),)
ifeq ($(findstring NM_THREAD_STACK_SIZE,$(EXTRA_CPPFLAGS) $(CPPFLAGS) $(SAN_FLAGS)),)
NM_CXXFLAGS += -DNM_THREAD_STACK_SIZE=262144
NM_CFLAGS += -DNM_THREAD_STACK_SIZE=262144
endif
ifeq ($(findstring NM_FIBER_STACK_SIZE,$(EXTRA_CPPFLAGS) $(CPPFLAGS) $(SAN_FLAGS)),)
NM_CXXFLAGS += -DNM_FIBER_STACK_SIZE=73728
NM_CFLAGS += -DNM_FIBER_STACK_SIZE=73728
endif
endif
ifneq ($(TLS),)
TLS_LIB := $(BUILD)/libnetmodels_tls.a
TLS_OBJS := $(patsubst %,$(BUILD)/obj/lib/tls/%.o,common $(TLS_ENGINES) $(if $(filter wolfssl,$(TLS_ENGINES)),arena))
all: $(TLS_LIB)
$(TLS_LIB): $(TLS_OBJS)
	@rm -f $@
	$(SAY) AR $(@:$(BUILD)/%=%)
	$(Q)$(AR) rcs $@ $^
$(BUILD)/obj/demos/nmserve.o: NM_CXXFLAGS += -DNMSERVE_TLS $(patsubst %,-DNMSERVE_TLS_%,$(TLS_ENGINES))
$(BUILD)/nmserve: $(TLS_LIB)
TLS_LIBS := $(patsubst %,-l%,$(TLS_ENGINES))
# (wolfSSL's static archive calls pow() and log(), in its DH key sizes)
TLS_LIBS += $(if $(findstring wolfssl,$(TLS)),-lm)
$(BUILD)/nmserve: NM_LDFLAGS += $(LIB) $(TLS_LIBS)
# A cross target's engines: Debian's packages of its architecture,
# unpacked by make deps into NM_TLS_SYSROOT (test/sysroot.sh).
ifneq ($(NM_TLS_SYSROOT),)
NM_CXXFLAGS += -isystem $(NM_TLS_SYSROOT)/usr/include
NM_LDFLAGS += -L$(NM_TLS_SYSROOT)/usr/lib/$(patsubst %-,%,$(CROSS_COMPILE))
endif
# wolfSSL allocates from the arena only (test/tls/arena.cpp): libwolfssl.a
# linked statically, the allocator's calls wrapped and counted.
$(BUILD)/test/tls_arena: $(BUILD)/obj/test/tls/arena.o $(TLS_LIB) $(LIB)
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS) -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
	  -Wl,-Bstatic -lwolfssl -Wl,-Bdynamic -lssl -lcrypto -lm
# The wall clock a test sets (test/tls/clock.c, LD_PRELOADed by
# test/tls/clientcert.sh: a clock before NM_TLS_TIME_FLOOR).
$(BUILD)/test/tls_clock.so: test/tls/clock.c
	@mkdir -p $(dir $@)
	$(SAY) CC $<
	$(Q)$(CC) -shared -fPIC -O2 -Wall -Wextra $< -o $@ -ldl
# The arena alone, at 64 KiB (test/tls/arena_unit.cpp).
$(BUILD)/test/tls_arena_unit: $(BUILD)/obj/test/tls/arena_unit.o
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS)
endif

DEMOS := $(BUILD)/nmserve $(BUILD)/nmbench $(BUILD)/firmware
demos: $(DEMOS)

UNIT_SRCS := $(wildcard test/unit/unit_*.cpp)
$(BUILD)/test/unit: $(UNIT_SRCS:%.cpp=$(BUILD)/obj/%.o) $(TEST_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS)

$(BUILD)/test/conformance: $(BUILD)/obj/test/conformance/conformance.o $(TEST_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS)

$(BUILD)/test/soak: $(BUILD)/obj/test/soak/soak.o $(TEST_COMMON)
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS)

# A program that leaves its server running (test/harness/servers_end.sh).
$(BUILD)/test/leave: $(BUILD)/obj/test/harness/leave.o $(TEST_COMMON)
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS)

# Several servers in one process, and no orphans, through the C API only.
$(BUILD)/test/servers: $(BUILD)/obj/test/servers/servers.o $(LIB)
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS)

# The demo Modbus server judged by libmodbus (test/protocols/modbus.sh): a
# host program only; a cross build is checked with the host's client.
$(BUILD)/test/modbus_client: $(BUILD)/obj/test/protocols/modbus_client.o
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS) -lmodbus

# The demo's CRC-32 against zlib's: a program of its own, the only one
# that links zlib (a test's dependency, never the library's).
$(BUILD)/test/crc_zlib: $(BUILD)/obj/test/unit/crc_zlib.o $(BUILD)/obj/demos/crc32.o
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS) -lz

# The record transport (test/record): nmserve with it installed, and its
# client, which the conformance suite runs the server under.
$(BUILD)/test/nmserve_record: $(BUILD)/obj/demos/nmserve.o $(BUILD)/obj/test/record/transport.o $(DEMO_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS)

$(BUILD)/test/record_proxy: $(BUILD)/obj/test/record/proxy.o
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS)

# The same client with TLS toward the server (OpenSSL, test code only),
# for the conformance suite against BUILD/tls/nmserve (test/tls/check.sh).
$(BUILD)/test/tls_proxy: $(BUILD)/obj/test/tls/proxy.o $(BUILD)/obj/test/tls/pump.o
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS) -lssl -lcrypto

# The transport API's proof: OpenSSL behind it (test/tls/openssl_adapter.cpp,
# test code only), built against the headers as make install lays them out
# and no other -I, so that it can reach no internal header; nmserve with it
# linked in serves --tls-cert over it (test/tls/check.sh).
PUBLIC_INC := $(BUILD)/public
$(PUBLIC_INC)/netmodels/netmodels.h: lib/netmodels.h lib/nm_config.h $(BUILD)/include/nm_build_config.h
	@mkdir -p $(@D)
	$(Q)cp $^ $(@D)/
$(BUILD)/obj/test/tls/openssl_adapter.o: test/tls/openssl_adapter.cpp $(PUBLIC_INC)/netmodels/netmodels.h
	@mkdir -p $(@D)
	$(SAY) CXX $<
	$(Q)$(CXX) -std=c++17 -fno-exceptions -fno-rtti -Wall -Wextra -Wshadow -pthread -I$(PUBLIC_INC)/netmodels $(ARCH_FLAGS) $(SAN_FLAGS) \
	  $(CXXFLAGS) -c $< -o $@
$(BUILD)/test/nmserve_openssl: $(BUILD)/obj/demos/nmserve.o $(BUILD)/obj/test/tls/openssl_adapter.o $(DEMO_COMMON) $(LIB)
	@mkdir -p $(@D)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS) -lssl -lcrypto

INV_SRCS := $(wildcard test/invariants/inv_*.cpp)
$(BUILD)/test/invariants: $(INV_SRCS:%.cpp=$(BUILD)/obj/%.o) $(BUILD)/obj/demos/crc32.o $(TEST_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS)

# The kqueue port on a system without kqueue: the same sources built again
# against a test-only kqueue made of epoll.
KQEMU := $(BUILD)/kqemu
$(KQEMU)/nmserve: FORCE
	@$(MAKE) --no-print-directory BUILD=$(KQEMU) EXTRA_SRCS=test/kqemu/kqueue_emu.cpp \
	  EXTRA_CPPFLAGS="-DNM_HAVE_KQUEUE -Itest/kqemu" $(KQEMU)/nmserve $(KQEMU)/test/unit
FORCE:

TESTS := $(BUILD)/test/unit $(BUILD)/test/conformance $(BUILD)/test/invariants
TESTS += $(BUILD)/test/soak $(BUILD)/test/servers $(BUILD)/test/nmserve_record $(BUILD)/test/record_proxy $(BUILD)/test/leave
ifneq ($(shell uname -s),Linux)
else ifneq ($(TARGET)$(CROSS_COMPILE),host)
else ifneq ($(wildcard test/kqemu/kqueue_emu.cpp),)
TESTS += $(KQEMU)/nmserve
endif

# The proactor alone at small capacities, for the tests that take it past
# them (test/invariants/inv_proactor.cpp): more connections than ring entries (SQ 4,
# CQ 32: 13 connections at two entries each, the multishot receive beside
# the send, 2 kept for the buffer ring's), slots (40), buffers (8, 2 of them
# lent to io_uring's provided buffer ring) and events per wait (16).
SMALL := $(BUILD)/small
SMALL_CPPFLAGS := -DNM_MAX_CONNS=40 -DNM_PROACTOR_SQ_ENTRIES=4 -DNM_PROACTOR_CQ_ENTRIES=32 \
                  -DNM_BUF_COUNT=8 -DNM_PROACTOR_BUFS=2 -DNM_MAX_EVENTS=16
$(SMALL)/nmserve: FORCE
	@$(MAKE) --no-print-directory BUILD=$(SMALL) NM_MODELS=proactor EXTRA_CPPFLAGS="$(SMALL_CPPFLAGS)" $(SMALL)/nmserve
# The models at a small board's capacities (demos/nm_user_config_small.h:
# 32 connections, 16 buffers, one loop, two threads; actor and
# producer_consumer, which need two loops, left out), for the soak.
PIZERO := $(BUILD)/pizero
PIZERO_MODELS := $(filter-out actor producer_consumer,$(or $(NM_MODELS),$(NM_ALL_MODELS)))
$(PIZERO)/nmserve: FORCE
	@$(MAKE) --no-print-directory BUILD=$(PIZERO) NM_MODELS="$(PIZERO_MODELS)" \
	  EXTRA_CPPFLAGS="-include demos/nm_user_config_small.h" $(PIZERO)/nmserve
# The proactor without a provided buffer ring (NM_PROACTOR_BUFS 0): a
# readiness wait, then a receive into a pool buffer, one completion entry a
# connection; the conformance suite and the proactor's invariants run on it
# (test/run.sh), as the default build runs the ring and its multishot
# receive where the kernel has them.
NORING := $(BUILD)/noring
$(NORING)/nmserve: FORCE
	@$(MAKE) --no-print-directory BUILD=$(NORING) NM_MODELS=proactor EXTRA_CPPFLAGS="-DNM_PROACTOR_BUFS=0" $(NORING)/nmserve
# nmserve over TLS (BearSSL and wolfSSL), for test/tls/check.sh: when the
# engines' headers are installed (test/deps.sh installs them); 64 TLS
# slots, room for the short conformance suite's 50 clients at once, and
# wolfSSL's arena room for 16 threads' handshakes at once (nm_tls.h).
TLSB := $(BUILD)/tls
TLSB_ENGINES := $(subst $(space),$(comma),$(strip $(if $(wildcard /usr/include/bearssl.h),bearssl) \
                $(if $(wildcard /usr/include/wolfssl/ssl.h),wolfssl)))
# (a cross target's: those make deps unpacked into its NM_TLS_SYSROOT;
# wolfSSL's arena test, an OpenSSL client, on the host alone)
TLSB_USE := $(if $(NM_TLS_SYSROOT),$(subst $(space),$(comma),$(strip \
              $(if $(wildcard $(NM_TLS_SYSROOT)/usr/include/bearssl.h),bearssl) \
              $(if $(wildcard $(NM_TLS_SYSROOT)/usr/include/wolfssl/ssl.h),wolfssl))),$(TLSB_ENGINES))
$(TLSB)/nmserve: FORCE
	@$(MAKE) --no-print-directory BUILD=$(TLSB) TLS=$(TLSB_USE) EXTRA_CPPFLAGS="-DNM_TLS_CONNS=64 -DNM_TLS_SIGNERS=16" \
	  $(TLSB)/nmserve $(if $(NM_TLS_SYSROOT),,$(TLSB)/test/tls_clock.so) \
	  $(if $(and $(findstring wolfssl,$(TLSB_USE)),$(if $(NM_TLS_SYSROOT),,host)),$(TLSB)/test/tls_arena $(TLSB)/test/tls_arena_unit)
ifneq ($(NM_TLS_SYSROOT),)
ifneq ($(wildcard $(NM_TLS_SYSROOT)/usr/include/bearssl.h),)
TESTS += $(TLSB)/nmserve
# (the two models its check runs)
$(TLSB)/nmserve: export NM_MODELS = epoll thread_pool
endif
endif
ifeq ($(TARGET)$(CROSS_COMPILE),host)
TESTS += $(BUILD)/test/modbus_client $(BUILD)/test/crc_zlib
ifneq ($(filter proactor,$(or $(NM_MODELS),proactor)),)
TESTS += $(SMALL)/nmserve $(NORING)/nmserve
endif
TESTS += $(PIZERO)/nmserve
ifneq ($(TLSB_ENGINES),)
TESTS += $(TLSB)/nmserve
endif
ifneq ($(wildcard /usr/include/openssl/ssl.h),)
TESTS += $(BUILD)/test/tls_proxy $(BUILD)/test/nmserve_openssl
endif
endif

tests: $(LIB) $(DEMOS) $(TESTS)

# The host's checks, then every cross target whose toolchain is installed;
# a cross build checks itself under its emulator.
# (tests built two at a time however make was called: `make deps check`)
check:
	@$(MAKE) --no-print-directory -j2 tests
ifneq ($(SANITIZE),)
	@sh test/run.sh $(BUILD)
else ifeq ($(TARGET)$(CROSS_COMPILE),host)
	@sh test/targets.sh host $(BUILD) $(NM_TARGETS)
else
	@sh test/targets.sh cross $(BUILD) "$(QEMU)" "$(NM)" "$(CC)"
endif

# Hostile and good clients against every model, NM_SOAK_SECONDS each, and
# the same at the small builds' pools (make check runs a short form of it).
SOAK_SECONDS ?= 20
SOAK_SMALL := $(filter $(SMALL)/nmserve $(PIZERO)/nmserve,$(TESTS))
soak: $(BUILD)/nmserve $(BUILD)/test/soak $(SOAK_SMALL)
	@rc=0; for s in $(BUILD) $(SOAK_SMALL:/nmserve=); do \
	  NM_SOAK_SECONDS=$(SOAK_SECONDS) sh test/soak/soak.sh $(BUILD) $$s || rc=1; done; exit $$rc

# libFuzzer targets (clang): the HTTP parser and the session, each run for
# FUZZ_SECONDS from the seed corpus in test/fuzz/corpus/ (make check runs a
# few seconds of each when clang is present).
FUZZ_SECONDS ?= 60
FUZZ_BUILD := build/fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
fuzz-build:
	@$(MAKE) --no-print-directory BUILD=$(FUZZ_BUILD) CC=clang CXX=clang++ CXXFLAGS="-O1 -g" \
	  SAN_FLAGS="$(FUZZ_SAN) -fsanitize=fuzzer-no-link" fuzz-link
fuzz-link: $(LIB) $(BUILD)/obj/test/unit/unit_rig.o $(BUILD)/obj/test/fuzz/fuzz_http.o $(BUILD)/obj/test/fuzz/fuzz_session.o
	clang++ $(FUZZ_SAN) -fsanitize=fuzzer $(BUILD)/obj/test/fuzz/fuzz_http.o $(LIB) -o $(BUILD)/fuzz_http
	clang++ $(FUZZ_SAN) -fsanitize=fuzzer $(BUILD)/obj/test/fuzz/fuzz_session.o $(BUILD)/obj/test/unit/unit_rig.o \
	  $(LIB) -o $(BUILD)/fuzz_session -pthread
fuzz: fuzz-build
	@sh test/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

demo: $(DEMOS)
	@sh demos/demo.sh $(BUILD)

deps:
	@sh test/deps.sh

# The benchmark build: -O2, and room for 10,000 idle connections and for a
# thread per connection of the load client.
BENCH_BUILD = build/bench/$(TARGET)
BENCH_CPPFLAGS = -DNM_MAX_CONNS=10240 -DNM_MAX_THREADS=256
$(BUILD)/bench/%: $(BUILD)/obj/test/bench/%.o
	@mkdir -p $(dir $@)
	$(SAY) LD $(@:$(BUILD)/%=%)
	$(Q)$(CC) $^ -o $@ $(NM_LDFLAGS) $(PEER_LIBS)

# The peers: other servers' libraries answering the same request, built for
# the benchmark only (never part of the library, nor of make check).
$(BUILD)/bench/peer_mhd: PEER_LIBS = -lmicrohttpd
$(BUILD)/bench/peer_civetweb: PEER_LIBS = -lcivetweb
$(BUILD)/bench/peer_evhttp: PEER_LIBS = -levent
BENCH_PEER_PROGRAMS = peer_mhd peer_civetweb peer_evhttp
# The tls workload's nmserve (BUILD/tls): BearSSL, and wolfSSL when the
# tree and the machine have it; 256 TLS slots, room for the client's 100
# connections and the handshake client's, and wolfSSL's arena room for 16
# threads' handshakes at once (NM_TLS_SIGNERS, nm_tls.h; BearSSL has no use
# for it).
BENCH_TLS = bearssl$(if $(and $(wildcard lib/tls/wolfssl.cpp),$(wildcard /usr/include/wolfssl/ssl.h)),$(comma)wolfssl)

# make bench: every model beside nginx, the quick default (about 15 minutes
# and the RESP workload); make bench-full adds the peers (BENCH_PEERS), the
# connection sweep, the headline rounds, the one-core rounds and TLS
# beside nginx (BENCH_WORKLOADS), about 48 (53 with wolfSSL).
bench-build:
	@NM_DEPS_PACKAGES="nginx-light wrk curl redis-server redis-tools lighttpd libmicrohttpd-dev libcivetweb-dev libevent-dev" \
	  sh test/deps.sh || echo "bench: without nginx or wrk, nmbench alone"
	@$(MAKE) -s --no-print-directory BUILD=$(BENCH_BUILD) CXXFLAGS="-O2 -g" EXTRA_CPPFLAGS="$(BENCH_CPPFLAGS)" \
	  $(BENCH_BUILD)/nmserve $(BENCH_BUILD)/nmbench $(BENCH_BUILD)/bench/idle $(BENCH_BUILD)/bench/report
	@mkdir -p $(BENCH_BUILD)/bench
	@if [ -f /usr/include/bearssl.h ]; then \
	  $(MAKE) -s --no-print-directory BUILD=$(BENCH_BUILD)/tls TLS=$(BENCH_TLS) CXXFLAGS="-O2 -g" \
	    EXTRA_CPPFLAGS="$(BENCH_CPPFLAGS) -DNM_TLS_CONNS=256 -DNM_TLS_SIGNERS=16" $(BENCH_BUILD)/tls/nmserve > $(BENCH_BUILD)/bench/tls.log 2>&1 \
	    || echo "bench: the TLS nmserve not built (see $(BENCH_BUILD)/bench/tls.log)"; \
	fi
	@for p in $(BENCH_PEER_PROGRAMS); do \
	  $(MAKE) -s --no-print-directory BUILD=$(BENCH_BUILD) CFLAGS="-O2 -g" $(BENCH_BUILD)/bench/$$p \
	    > $(BENCH_BUILD)/bench/$$p.log 2>&1 || echo "bench: $$p not built (its library missing? see $(BENCH_BUILD)/bench/$$p.log)"; \
	done

bench: bench-build
	@BENCH_PEERS="$${BENCH_PEERS-}" sh test/bench/bench.sh $(BENCH_BUILD)
	@sh test/bench/resp.sh $(BENCH_BUILD)

bench-full: bench-build
	@BENCH_WORKLOADS="$${BENCH_WORKLOADS:-keepalive close idle burst sweep rounds onecore tls}" sh test/bench/bench.sh $(BENCH_BUILD)
	@sh test/bench/resp.sh $(BENCH_BUILD)

# The configuration the library is built with, for its install: the values
# of every tunable and the models in, as the compiler sees them. Read anew
# at every build, for an nm_user_config.h found through CPPFLAGS is no
# prerequisite make sees; replaced only when it says something new.
NM_BUILD_CONFIG := $(BUILD)/include/nm_build_config.h
$(NM_BUILD_CONFIG): FORCE
	@mkdir -p $(@D)
	@sh lib/build_config.sh $(NM_FLAGS_NOW) > $@.tmp && { cmp -s $@.tmp $@ || mv $@.tmp $@; } && rm -f $@.tmp

# One version, read from netmodels.h, for netmodels.pc and the CMake package.
NM_VERSION_PART = $(shell sed -n 's/^\#define NM_VERSION_$(1) \([0-9]*\)$$/\1/p' lib/netmodels.h)
NM_VERSION = $(call NM_VERSION_PART,MAJOR).$(call NM_VERSION_PART,MINOR).$(call NM_VERSION_PART,PATCH)
NM_CMAKE_DIR = $(DESTDIR)$(PREFIX)/lib/cmake/netmodels
NM_SUBST = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(NM_VERSION)|g' \
           -e 's|@VERSION_MAJOR@|$(call NM_VERSION_PART,MAJOR)|g' -e 's|@VERSION_MINOR@|$(call NM_VERSION_PART,MINOR)|g'

install: $(LIB) $(NM_BUILD_CONFIG)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/netmodels $(NM_CMAKE_DIR)
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 lib/netmodels.h lib/netmodels.hpp lib/nm_config.h $(NM_BUILD_CONFIG) $(DESTDIR)$(PREFIX)/include/netmodels/
	$(NM_SUBST) lib/netmodels.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/netmodels.pc
	$(NM_SUBST) lib/netmodelsConfig.cmake.in > $(NM_CMAKE_DIR)/netmodelsConfig.cmake
	$(NM_SUBST) lib/netmodelsConfigVersion.cmake.in > $(NM_CMAKE_DIR)/netmodelsConfigVersion.cmake

# With TLS=...: the TLS archive, nm_tls.h, netmodels-tls.pc (the engines'
# libraries in its Libs.private: lib/tls/README) and netmodels::tls.
ifneq ($(TLS),)
install: install-tls
install-tls: $(TLS_LIB) $(LIB)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/netmodels $(NM_CMAKE_DIR)
	install -m 644 $(TLS_LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 lib/tls/nm_tls.h $(DESTDIR)$(PREFIX)/include/netmodels/
	$(NM_SUBST) -e 's|@TLS@|$(TLS)|g' -e 's|@TLS_LIBS@|$(TLS_LIBS)|g' lib/tls/netmodels-tls.pc.in \
	  > $(DESTDIR)$(PREFIX)/lib/pkgconfig/netmodels-tls.pc
	$(NM_SUBST) -e 's|@TLS@|$(TLS)|g' -e 's|@TLS_LIBS@|$(subst $() ,;,$(TLS_LIBS))|g' lib/tls/netmodels-tls.cmake.in \
	  > $(NM_CMAKE_DIR)/netmodels-tls.cmake
.PHONY: install-tls
endif

clean:
	rm -rf build

.PHONY: all demos tests check demo deps install clean bench bench-build bench-full FORCE soak fuzz fuzz-build fuzz-link
include test/targets.mk
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

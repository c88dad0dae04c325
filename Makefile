# netmodels - build, test and measure.
#
#   make                 build/$(TARGET)/libnetmodels.a (TARGET=host by default)
#   make demo            build, serve, load, print a result table
#   make deps check      install what the tests need (Debian/Ubuntu), run them all
#   make install         library, headers and netmodels.pc under $(DESTDIR)$(PREFIX)
#   make bench           every model side by side with nginx: table, CSV, SVG in build/bench/
#
# Honoured: CROSS_COMPILE CC CXX AR CXXFLAGS CFLAGS LDFLAGS PREFIX DESTDIR TARGET

TARGET ?= host
-include toolchains/$(TARGET).mk

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
NM_CXXFLAGS = -std=c++17 -fno-exceptions -fno-rtti -fno-threadsafe-statics \
              -fno-asynchronous-unwind-tables -Wall -Wextra -Wshadow -Wno-missing-field-initializers \
              -pthread -Ilib $(ARCH_FLAGS) $(EXTRA_CPPFLAGS)
NM_CFLAGS = -std=c99 -Wall -Wextra -pthread -Ilib $(ARCH_FLAGS)
# Programs link with the C driver: a C++ runtime reference fails the link.
NM_LDFLAGS = -pthread $(ARCH_LDFLAGS) $(LDFLAGS)

LIB_SRCS := $(wildcard lib/*.cpp lib/*/*.cpp ports/*.cpp) $(EXTRA_SRCS)
LIB_OBJS := $(LIB_SRCS:%.cpp=$(BUILD)/obj/%.o)
LIB := $(BUILD)/libnetmodels.a

DEMO_COMMON := $(BUILD)/obj/demos/app.o
TEST_COMMON := $(BUILD)/obj/test/check.o $(BUILD)/obj/test/client.o

all: $(LIB)

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CXX) $(NM_CXXFLAGS) $(CXXFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(NM_CFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/nmserve: $(BUILD)/obj/demos/nmserve.o $(DEMO_COMMON) $(LIB)
	$(CC) $^ -o $@ $(NM_LDFLAGS)

$(BUILD)/nmbench: $(BUILD)/obj/demos/nmbench.o $(LIB)
	$(CC) $^ -o $@ $(NM_LDFLAGS)

$(BUILD)/firmware: $(BUILD)/obj/demos/firmware.o $(LIB)
	$(CC) $^ -o $@ $(NM_LDFLAGS)

DEMOS := $(BUILD)/nmserve $(BUILD)/nmbench $(BUILD)/firmware
demos: $(DEMOS)

UNIT_SRCS := $(wildcard test/unit_*.cpp)
$(BUILD)/test/unit: $(UNIT_SRCS:%.cpp=$(BUILD)/obj/%.o) $(TEST_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $^ -o $@ $(NM_LDFLAGS)

$(BUILD)/test/conformance: $(BUILD)/obj/test/conformance.o $(TEST_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $^ -o $@ $(NM_LDFLAGS)

INV_SRCS := $(wildcard test/inv_*.cpp)
$(BUILD)/test/invariants: $(INV_SRCS:%.cpp=$(BUILD)/obj/%.o) $(TEST_COMMON) $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $^ -o $@ $(NM_LDFLAGS)

# The kqueue port on a system without kqueue: the same sources built again
# against a test-only kqueue made of epoll.
KQEMU := $(BUILD)/kqemu
$(KQEMU)/nmserve: FORCE
	@$(MAKE) --no-print-directory BUILD=$(KQEMU) EXTRA_SRCS=test/kqemu/kqueue_emu.cpp \
	  EXTRA_CPPFLAGS="-DNM_HAVE_KQUEUE -Itest/kqemu" $(KQEMU)/nmserve $(KQEMU)/test/unit
FORCE:

TESTS := $(BUILD)/test/unit $(BUILD)/test/conformance $(BUILD)/test/invariants
ifneq ($(shell uname -s),Linux)
else
TESTS += $(KQEMU)/nmserve
endif

tests: $(LIB) $(DEMOS) $(TESTS)

check: tests
	@sh test/run.sh $(BUILD)

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
	$(CC) $^ -o $@ $(NM_LDFLAGS)

bench:
	@NM_DEPS_PACKAGES="nginx-light wrk" sh test/deps.sh || echo "bench: without nginx or wrk, nmbench alone"
	@$(MAKE) -s --no-print-directory BUILD=$(BENCH_BUILD) CXXFLAGS="-O2 -g" EXTRA_CPPFLAGS="$(BENCH_CPPFLAGS)" \
	  $(BENCH_BUILD)/nmserve $(BENCH_BUILD)/nmbench $(BENCH_BUILD)/bench/idle $(BENCH_BUILD)/bench/report
	@sh test/bench/bench.sh $(BENCH_BUILD)

install: $(LIB)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/netmodels
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 lib/netmodels.h lib/netmodels.hpp lib/nm_config.h $(DESTDIR)$(PREFIX)/include/netmodels/
	sed -e 's|@PREFIX@|$(PREFIX)|' lib/netmodels.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/netmodels.pc

clean:
	rm -rf build

.PHONY: all demos tests check demo deps install clean bench FORCE
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

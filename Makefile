# netmodels - build, test and measure.
#
#   make                 build/$(TARGET)/libnetmodels.a (TARGET=host by default)
#   make demo            build, serve, load, print a result table
#   make deps check      install what the tests need (Debian/Ubuntu), run them all
#   make install         library, headers and netmodels.pc under $(DESTDIR)$(PREFIX)
#   make TARGET=armhf    cross-build for a target of toolchains/ (check and size too)
#   make size            footprint per target with -Os: library, pools, a firmware
#
# Honoured: CROSS_COMPILE CC CXX AR CXXFLAGS CFLAGS LDFLAGS PREFIX DESTDIR TARGET
#           NM_MODELS="epoll reactor ..." (only these models) NM_TARGETS NM_REQUIRE_TARGETS

TARGET ?= host
-include toolchains/$(TARGET).mk

# A toolchain given only by CROSS_COMPILE (no fragment) builds apart from the host.
ifeq ($(TARGET)$(origin BUILD),hostundefined)
ifneq ($(CROSS_COMPILE),)
BUILD = build/$(notdir $(patsubst %-,%,$(CROSS_COMPILE)))
endif
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
NM_CXXFLAGS = -std=c++17 -fno-exceptions -fno-rtti -fno-threadsafe-statics \
              -fno-asynchronous-unwind-tables -Wall -Wextra -Wshadow -Wno-missing-field-initializers \
              -pthread -Ilib $(ARCH_FLAGS) $(EXTRA_CPPFLAGS)
NM_CFLAGS = -std=c99 -Wall -Wextra -pthread -Ilib $(ARCH_FLAGS)
# Programs link with the C driver: a C++ runtime reference fails the link.
NM_LDFLAGS = -pthread $(ARCH_LDFLAGS) $(LDFLAGS)

LIB_SRCS := $(wildcard lib/*.cpp lib/*/*.cpp ports/*.cpp) $(EXTRA_SRCS)
include lib/models.mk
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
else ifneq ($(TARGET)$(CROSS_COMPILE),host)
else ifneq ($(wildcard test/kqemu/kqueue_emu.cpp),)
TESTS += $(KQEMU)/nmserve
endif

tests: $(LIB) $(DEMOS) $(TESTS)

# The host's checks, then every cross target whose toolchain is installed;
# a cross build checks itself under its emulator.
check: tests
ifeq ($(TARGET)$(CROSS_COMPILE),host)
	@sh test/targets.sh host $(BUILD) $(NM_TARGETS)
else
	@sh test/targets.sh cross $(BUILD) "$(QEMU)" "$(NM)" "$(CC)"
endif

demo: $(DEMOS)
	@sh demos/demo.sh $(BUILD)

deps:
	@sh test/deps.sh

install: $(LIB)
	install -d $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/netmodels
	install -m 644 $(LIB) $(DESTDIR)$(PREFIX)/lib/
	install -m 644 lib/netmodels.h lib/netmodels.hpp lib/nm_config.h $(DESTDIR)$(PREFIX)/include/netmodels/
	sed -e 's|@PREFIX@|$(PREFIX)|' lib/netmodels.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/netmodels.pc

clean:
	rm -rf build

.PHONY: all demos tests check demo deps install clean FORCE
include test/targets.mk
-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# targets.mk - what the cross targets share: tools named after the
# toolchain, the stamp of the build flags, the facts the check and size
# scripts ask of a target, and `make size`.
NM ?= $(CROSS_COMPILE)nm
SIZE ?= $(CROSS_COMPILE)size
READELF ?= $(CROSS_COMPILE)readelf
OBJDUMP ?= $(CROSS_COMPILE)objdump
# Settings of the check scripts may be given on the make command line too.
export NM_REQUIRE_TARGETS NM_RUN_PREFIX

# Every fragment in toolchains/ is a target of `make check` and `make size`.
NM_TARGETS ?= $(sort $(basename $(notdir $(wildcard toolchains/*.mk))))

# The compiler, its flags and the model selection are part of every library
# object: changing any of them (NM_MODELS, a fragment's ARCH_FLAGS, CPPFLAGS,
# CXXFLAGS) rebuilds the objects, the programs' objects compiled against the
# same configuration, and the configuration an install records, instead of
# mixing old and new ones.
NM_FLAGS_STAMP := $(BUILD)/build.flags
NM_FLAGS_NOW = $(CXX) $(NM_CXXFLAGS) $(CXXFLAGS)
NM_PROGRAM_OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(wildcard demos/*.c demos/*.cpp test/*.c test/*.cpp test/*/*.c test/*/*.cpp)))
$(LIB_OBJS) $(TLS_OBJS) $(NM_PROGRAM_OBJS) $(NM_BUILD_CONFIG): $(NM_FLAGS_STAMP)
$(NM_FLAGS_STAMP): FORCE
	@mkdir -p $(@D)
	@echo '$(NM_FLAGS_NOW)' | cmp -s - $@ || echo '$(NM_FLAGS_NOW)' > $@

# A cross build is for a board: `make TARGET=armhf` builds the programs and
# the tests that run there along with the library.
ifneq ($(TARGET)$(CROSS_COMPILE),host)
all: $(DEMOS) $(TESTS)
endif

# Settings a fragment may give for the checks of its target (test/targets.sh):
#   QEMU              the emulator, with -cpu the CPU of the board the target
#                     stands for: every check runs there
#   NM_TARGET_MODELS  the models whose conformance and invariants run (empty: every model;
#                     `make check NM_TARGET_MODELS=` runs all on every target)
#   NM_SMOKE_CPUS     CPUs of further boards the same build serves: unit
#                     tests, invariants and NM_SMOKE_MODELS run on each too
#   NM_REFUSED_CPUS   CPUs of boards the build is not for: it must die there
#                     (SIGILL), and run under QEMU
#   NM_TLS_SYSROOT    Debian's TLS engines of the target, unpacked by make
#                     deps: BUILD/tls is built and the short suite runs
#                     over TLS on epoll and thread_pool
#   NM_ARM_ARCH       every object's ARM architecture tag (readelf -A), in
#                     the ARM instruction set only (no Thumb code), with
#                     every atomic inline (no __sync_*/__atomic_* call)
# The representative set of a smoke run: an event model, a thread model,
# two process models (one takes accept() under the process-shared robust
# lock) and the fiber (the assembly context switch).
NM_SMOKE_MODELS ?= epoll thread_pool process_pool_reactors prefork_locked_accept fiber

# What test/targets.sh and test/size.sh need to know of TARGET, as shell
# assignments.
nm-target-info:
	@echo "T_CC='$(CC)'; T_QEMU='$(QEMU)'; T_NM='$(NM)'; T_SIZE='$(SIZE)'; T_BUILD='$(BUILD)'; \
	  T_READELF='$(READELF)'; T_OBJDUMP='$(OBJDUMP)'; T_MODELS='$(NM_TARGET_MODELS)'; \
	  T_SMOKE_CPUS='$(NM_SMOKE_CPUS)'; T_SMOKE_MODELS='$(NM_SMOKE_MODELS)'; \
	  T_REFUSED_CPUS='$(NM_REFUSED_CPUS)'; T_ARM_ARCH='$(NM_ARM_ARCH)'; T_TLS_SYSROOT='$(NM_TLS_SYSROOT)'"

nm-models:
	@echo $(NM_ALL_MODELS)

# The programs of the footprint report: the pool table, and the firmware's
# libc calls without the library.
$(BUILD)/size-pools: $(BUILD)/obj/test/size_pools.o $(LIB)
	$(CC) $^ -o $@ $(NM_LDFLAGS)

$(BUILD)/size-bare: $(BUILD)/obj/test/size_bare.o
	$(CC) $^ -o $@ $(NM_LDFLAGS)

# Footprint with -Os: the library per object, the static pools, and what a
# firmware with one event model and HTTP adds to a program without it.
NM_SIZE_TARGETS ?= $(NM_TARGETS)
size:
ifeq ($(TARGET)$(CROSS_COMPILE),host)
	@sh test/size.sh $(NM_SIZE_TARGETS)
else
	@sh test/size.sh $(TARGET)
endif

.PHONY: nm-target-info nm-models size

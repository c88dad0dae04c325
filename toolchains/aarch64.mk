# aarch64 - Raspberry Pi 3/4/5 running a 64-bit OS (ARMv8-A).
CROSS_COMPILE ?= aarch64-linux-gnu-
# Atomics inline as load/store-exclusive instructions, which every ARMv8 core
# has, rather than calls to libgcc's run-time choice of LSE.
ARCH_FLAGS += -march=armv8-a -mno-outline-atomics
ARCH_LDFLAGS += -static
QEMU ?= qemu-aarch64

# aarch64 - Raspberry Pi 3/4/5 and Zero 2 W running a 64-bit OS (ARMv8-A):
# checked under the Cortex-A53 of the Pi 3 and Zero 2 W, smoke-tested under
# the Pi 5's Cortex-A76 (the Pi 4's Cortex-A72 runs the same ARMv8.0 code
# with no atomic of its own: -mno-outline-atomics; `make TARGET=aarch64
# NM_SMOKE_CPUS="cortex-a72 cortex-a76" check` takes it too).
CROSS_COMPILE ?= aarch64-linux-gnu-
# Atomics inline as load/store-exclusive instructions, which every ARMv8 core
# has, rather than calls to libgcc's run-time choice of LSE.
ARCH_FLAGS += -march=armv8-a -mno-outline-atomics
ARCH_LDFLAGS += -static
QEMU ?= qemu-aarch64 -cpu cortex-a53
NM_SMOKE_CPUS ?= cortex-a76
# The representative set: the host (x86-64) and armhf run every model; this
# target adds 64-bit ARM's memory order, on two cores.
NM_TARGET_MODELS ?= $(NM_SMOKE_MODELS)

# riscv64 - 64-bit RISC-V boards (RV64GC, the Linux profile).
CROSS_COMPILE ?= riscv64-linux-gnu-
ARCH_FLAGS += -march=rv64gc -mabi=lp64d
ARCH_LDFLAGS += -static
QEMU ?= qemu-riscv64
# The representative set: every model runs on armhf, armel-v6, aarch64 and
# mips (big-endian, strict alignment); the shared code is the same here.
NM_TARGET_MODELS ?= $(NM_SMOKE_MODELS)

# riscv64 - 64-bit RISC-V boards (RV64GC, the Linux profile).
CROSS_COMPILE ?= riscv64-linux-gnu-
ARCH_FLAGS += -march=rv64gc -mabi=lp64d
ARCH_LDFLAGS += -static
QEMU ?= qemu-riscv64

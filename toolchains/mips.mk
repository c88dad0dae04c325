# mips - 32-bit big-endian MIPS, as on many routers. Being big-endian and
# strict about alignment, it finds the byte-order and alignment mistakes
# that the little-endian targets forgive.
CROSS_COMPILE ?= mips-linux-gnu-
ARCH_FLAGS += -march=mips32r2 -EB
ARCH_LDFLAGS += -static
QEMU ?= qemu-mips

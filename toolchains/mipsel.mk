# mipsel - 32-bit little-endian MIPS, as on MediaTek routers (MT7621,
# MT7628). Beside mips (big-endian) it runs the same code in the other byte
# order on the same strict-alignment core.
CROSS_COMPILE ?= mipsel-linux-gnu-
ARCH_FLAGS += -march=mips32r2 -EL
ARCH_LDFLAGS += -static
QEMU ?= qemu-mipsel
# The representative set, as mips (the other byte order).
NM_TARGET_MODELS ?= $(NM_SMOKE_MODELS)

# mips - 32-bit big-endian MIPS, as on many routers. Being big-endian and
# strict about alignment, it finds the byte-order and alignment mistakes
# that the little-endian targets forgive.
CROSS_COMPILE ?= mips-linux-gnu-
ARCH_FLAGS += -march=mips32r2 -EB
ARCH_LDFLAGS += -static
QEMU ?= qemu-mips
# The representative set: the byte order lives in code every model shares
# (the session, the protocols, the ports), which these models run.
NM_TARGET_MODELS ?= $(NM_SMOKE_MODELS)

# armel-v6 - Raspberry Pi Zero, Zero W and Pi 1 (BCM2835, ARM1176JZF-S), run
# under qemu's arm1176. ARMv6KZ in the ARM instruction set (the core has
# Thumb-1 only, no Thumb-2), VFPv2 used within Debian armel's soft-float
# calling convention (-mfloat-abi=softfp), so a static program runs on any
# ARMv6 board whatever its userland. -march=armv6kz, not armv6: ARMv6K has
# ldrexb/h/d and strexb/h/d, so every atomic is inline, 64-bit ones
# included; plain armv6 makes byte, half-word and 64-bit atomics calls to
# libgcc's kernel helpers (__sync_*) and to libatomic (__atomic_*_8).
CROSS_COMPILE ?= arm-linux-gnueabi-
ARCH_FLAGS += -march=armv6kz -mfpu=vfp -mfloat-abi=softfp -marm
ARCH_LDFLAGS += -static
QEMU ?= qemu-arm -cpu arm1176
# Checked: every object is ARMv6KZ, ARM code, its atomics inline.
NM_ARM_ARCH = v6KZ
# The representative set: armhf runs every model on 32-bit ARM; this target
# adds the older core and its calling convention.
NM_TARGET_MODELS ?= $(NM_SMOKE_MODELS)

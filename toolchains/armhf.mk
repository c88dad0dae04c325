# armhf - Raspberry Pi 2/3/4 running a 32-bit OS: ARMv7-A, hard float,
# Thumb-2 code (the denser encoding; armhf-arm.mk builds the same in ARM).
# Checked under the Pi 2's Cortex-A7; refused by the ARMv6 Pi Zero and Pi 1
# (ARM1176), which armel-v6.mk serves.
CROSS_COMPILE ?= arm-linux-gnueabihf-
ARM_MODE ?= -mthumb
ARCH_FLAGS += -march=armv7-a+fp -mfloat-abi=hard $(ARM_MODE)
ARCH_LDFLAGS += -static
QEMU ?= qemu-arm -cpu cortex-a7
NM_REFUSED_CPUS = arm1176
# Its TLS engines (BUILD/tls, test/tls/check.sh under qemu-arm): Debian's
# armhf packages, unpacked by make deps (ARMv7 code: a Pi Zero's firmware
# builds its engine itself).
NM_TLS_SYSROOT ?= build/sysroot-armhf

# armhf-arm - armhf built in the ARM instruction set instead of Thumb-2, so
# that both encodings of the library are compiled and tested.
ARM_MODE = -marm
# (the TLS run is armhf's alone)
NM_TLS_SYSROOT :=
include toolchains/armhf.mk
# The second encoding of armhf's own code, under the same CPU: the
# representative set (armhf runs every model).
NM_TARGET_MODELS ?= $(NM_SMOKE_MODELS)

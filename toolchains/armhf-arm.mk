# armhf-arm - armhf built in the ARM instruction set instead of Thumb-2, so
# that both encodings of the library are compiled and tested.
ARM_MODE = -marm
include toolchains/armhf.mk

# musl - the host's architecture on musl libc, linked statically, as on
# OpenWrt and Alpine-style systems. musl-tools brings a C compiler wrapper
# and no C++ headers; the library needs none, since it includes only C
# headers and uses no C++ runtime. So the C++ sources are compiled by the
# system g++ given musl-gcc's specs file, which swaps glibc's include path,
# start files and libc for musl's.
MUSL_SPECS ?= $(shell sed -n 's/.*-specs "\([^"]*\)".*/\1/p' "$$(command -v musl-gcc)" 2>/dev/null)
CC = musl-gcc
CXX = g++ -specs $(MUSL_SPECS)
ARCH_LDFLAGS += -static
QEMU =

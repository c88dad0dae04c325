#!/bin/sh
# deps.sh - install on Debian/Ubuntu what building and testing need and the
# machine lacks. Only the system's package manager is used.
need=""
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
# The cross targets of make check: a compiler per toolchains/*.mk (armel for
# armel-v6, the ARMv6 boards; mipsel beside mips), qemu-user
# to run their programs, musl-tools for the musl build. valgrind: memcheck of
# the unit tests; clang and its runtimes: the fuzz targets (libFuzzer) and the
# sanitizer builds. pkg-config and cmake: test/packaging/install.sh builds
# programs against an installed library the two ways users do (the library
# itself needs neither). libmodbus-dev and redis-tools: the clients that judge
# the demo protocols (test/protocols/), linked into test programs only;
# python3 drives the RESP demo byte by byte from a plain socket. curl
# judges nmserve's POST /echo (test/conformance/curl.sh). zlib1g-dev: zlib's
# crc32() judges the demo's CRC-32 (test/unit/crc_zlib.c, that program only).
# nftables: the lossy loopback of test/conformance/loss.sh. libbearssl-dev:
# the TLS build (make TLS=bearssl, BUILD/tls), judged by curl and openssl
# (its s_client, and the test certificates it makes: test/tls/check.sh);
# libssl-dev: test/tls_proxy, the suite's TLS client (test code only).
# libwolfssl-dev: the other TLS engine (make TLS=wolfssl, TLS 1.3), its
# libwolfssl.a linked statically by test/tls_arena. testssl.sh: judges the
# TLS engines' protocols, suites and known flaws (test/tls/testssl.sh).
cross="g++-arm-linux-gnueabihf g++-arm-linux-gnueabi g++-aarch64-linux-gnu g++-mips-linux-gnu g++-mipsel-linux-gnu
       g++-riscv64-linux-gnu qemu-user musl-tools"
for pkg in $NM_DEPS_PACKAGES g++ make cppcheck binutils valgrind clang libclang-rt-dev pkg-config cmake libmodbus-dev redis-tools python3 curl zlib1g-dev nftables libbearssl-dev libwolfssl-dev libssl-dev openssl testssl.sh $cross; do
    have "$pkg" || need="$need $pkg"
done
# armhf's TLS engines (the armhf TLS build, run under qemu-arm): Debian's
# armhf packages unpacked into build/sysroot-armhf, not installed.
sysroot() {
    sh test/sysroot.sh armhf build/sysroot-armhf libbearssl-dev libbearssl0 libwolfssl-dev libwolfssl35
}
if [ -z "$need" ]; then
    echo "deps: nothing to install"
    sysroot
    exit
fi
if ! command -v apt-get > /dev/null; then
    echo "deps: missing$need, and no apt-get here: install them by hand" >&2
    exit 1
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "deps: installing$need"
$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need &&
    sysroot

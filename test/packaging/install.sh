#!/bin/sh
# install.sh - `make install` keeps the configuration the library was built
# with, and programs are built against the install as a user would build
# them: through pkg-config and through CMake, on the host and for armhf
# (run under qemu-arm).
#
# The library is built apart (build/host/install*), with NM_MODELS=epoll
# and an nm_user_config.h of its own (NM_MAX_CONNS 32, NM_MAX_HEADERS 16)
# found through CPPFLAGS. Checked: the installed nm_build_config.h says
# 16; a program compiled against the install serves a request of 16
# headers; one compiling with another NM_MAX_HEADERS (-D, or its own
# nm_user_config.h) fails to compile, naming the mismatch; one compiled
# against the source tree's defaults links and nm_run refuses it naming
# NM_MAX_CONNS and both values; one compiled against another version's
# headers fails to link; an edit of nm_user_config.h reaches the installed
# header; CPPFLAGS reaches the objects and a new value rebuilds them;
# netmodels.pc and the CMake package say the same. With TLS=bearssl, the
# TLS archive's install (netmodels-tls.pc, netmodels::tls): a program built
# each way serves over TLS and answers curl.
# The armhf part is skipped without its compiler or qemu-arm (unless
# NM_REQUIRE_TARGETS names armhf), pkg-config's part without pkg-config
# (the file read by hand instead): each one skip of the closing
# "N passed, N failed, N skipped" (test/counts.sh).
MAKE=${MAKE:-make}
B=build/host/install
tmp=${TMPDIR:-/tmp}/nm-install.$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/other" "$B-config"
. test/counts.sh
fails=0 oks=0 skips=0
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
ok() { echo "ok   $*"; oks=$((oks + 1)); }
skip() {   # skip WHAT FEATURE WHY
    if nm_skip "$@"; then skips=$((skips + 1)); else fails=$((fails + 1)); fi
}
command -v pkg-config > /dev/null ||
    skip "install.sh, pkg-config" pkg-config "pkg-config is not installed: netmodels.pc is read by hand"

# The library's own configuration, in a directory CPPFLAGS names (written
# only when it changes, so that a second run rebuilds nothing).
cfg='#define NM_MAX_CONNS 32
#define NM_MAX_HEADERS 16'
[ "$(cat "$B-config/nm_user_config.h" 2> /dev/null)" = "$cfg" ] || echo "$cfg" > "$B-config/nm_user_config.h"
echo '#define NM_MAX_HEADERS 24' > "$tmp/other/nm_user_config.h"
version=$(sed -n 's/^#define NM_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$/\2/p' lib/netmodels.h | paste -sd. -)

# install BUILD DEST [make args]: build and install the library with that configuration.
install_lib() {
    b=$1 dest=$2
    shift 2
    $MAKE --no-print-directory -j2 BUILD="$b" NM_MODELS=epoll CPPFLAGS="-I$PWD/$B-config" "$@" \
        install DESTDIR="$dest" PREFIX=/usr > "$b.log" 2>&1 || { fail "make install (log: $b.log)"; return 1; }
}

# pc DEST ARGS...: pkg-config on the netmodels.pc under DEST, as for a sysroot;
# without pkg-config, the same read from the file.
pc() {
    dest=$1
    shift
    if command -v pkg-config > /dev/null; then
        PKG_CONFIG_LIBDIR=$dest/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest pkg-config "$@" netmodels
        return
    fi
    f=$dest/usr/lib/pkgconfig/netmodels.pc
    case $1 in
        --modversion) sed -n 's/^Version: //p' "$f" ;;
        --cflags) sed -n 's/^Cflags: //p' "$f" | sed "s|\${includedir}|$dest/usr/include/netmodels|" ;;
        --libs) sed -n 's/^Libs: //p' "$f" | sed "s|\${libdir}|$dest/usr/lib|" ;;
    esac
}

# package DEST: what netmodels.pc says, in the form of cmake/CMakeLists.txt's package.txt.
package() {
    cflags=$(pc "$1" --cflags | tr ' ' '\n' | grep .)
    libs=$(pc "$1" --libs | tr ' ' '\n' | grep .)
    printf 'version %s\ninclude %s\ndefinitions %s\ncompile options %s\nlibrary %s/libnetmodels.a\nlink options %s\n' \
        "$(pc "$1" --modversion)" "$(echo "$cflags" | sed -n 's/^-I//p')" "$(echo "$cflags" | sed -n 's/^-D//p' | paste -sd';' -)" \
        "$(echo "$cflags" | grep -v '^-[ID]' | paste -sd';' -)" "$(echo "$libs" | sed -n 's/^-L//p')" \
        "$(echo "$libs" | grep -v '^-[Ll]' | paste -sd';' -)"
}

# cmake_check NAME DEST RUN [cmake args]: configure, build and run cmake/ against DEST.
cmake_check() {
    name=$1 dest=$2 run=$3
    shift 3
    dir=$tmp/cmake-$name
    if ! cmake -S test/packaging/cmake -B "$dir" -DNM_WANT_VERSION="$version" -DCMAKE_PREFIX_PATH="$dest/usr" \
            "$@" > "$dir.log" 2>&1 || ! cmake --build "$dir" >> "$dir.log" 2>&1; then
        fail "$name: the CMake project does not build against the install:"; tail -5 "$dir.log"; return
    fi
    $run "$dir/selfserve" epoll > "$dir.out" 2>&1 && grep -q "NM_MAX_HEADERS=16" "$dir.out" &&
        ok "$name: CMake's netmodels::netmodels builds a program that serves: $(tail -1 "$dir.out")" ||
        { fail "$name: the CMake-built program:"; cat "$dir.out"; }
    package "$dest" > "$dir.pc.txt"
    cmp -s "$dir/package.txt" "$dir.pc.txt" && ok "$name: netmodels.pc and the CMake package say the same" ||
        { fail "$name: netmodels.pc and the CMake package differ:"; diff "$dir.pc.txt" "$dir/package.txt"; }
}

# ---- host ------------------------------------------------------------------
dest=$tmp/host
if install_lib "$B" "$dest"; then
    inc=$dest/usr/include/netmodels
    for f in lib/libnetmodels.a include/netmodels/netmodels.h include/netmodels/netmodels.hpp \
             include/netmodels/nm_config.h include/netmodels/nm_build_config.h lib/pkgconfig/netmodels.pc \
             lib/cmake/netmodels/netmodelsConfig.cmake lib/cmake/netmodels/netmodelsConfigVersion.cmake; do
        [ -f "$dest/usr/$f" ] || fail "not installed: $f"
    done
    grep -qx '#define NM_BUILT_MAX_HEADERS 16' "$inc/nm_build_config.h" &&
        grep -qx '#define NM_BUILD_MODELS "epoll"' "$inc/nm_build_config.h" &&
        ok "nm_build_config.h: NM_MAX_HEADERS 16 (nm_user_config.h through CPPFLAGS), models epoll" ||
        fail "nm_build_config.h does not hold the build's configuration: $(grep -E 'BUILT_MAX_HEADERS|BUILD_MODELS' "$inc/nm_build_config.h")"
    [ "$(pc "$dest" --modversion)" = "$version" ] && ok "netmodels.pc: Version $version, as netmodels.h" ||
        fail "netmodels.pc says version $(pc "$dest" --modversion), netmodels.h $version"

    # shellcheck disable=SC2046
    if cc -std=c99 -Wall -Wextra -Werror $(pc "$dest" --cflags) test/packaging/selfserve.c -o "$tmp/selfserve" \
            $(pc "$dest" --libs) 2> "$tmp/cc.err"; then
        "$tmp/selfserve" epoll > "$tmp/out" 2>&1 && grep -q "NM_MAX_HEADERS=16" "$tmp/out" &&
            ok "pkg-config: a C program built against the install serves: $(tail -1 "$tmp/out")" ||
            { fail "the program built against the install:"; cat "$tmp/out"; }
        "$tmp/selfserve" nosuchmodel > "$tmp/out" 2>&1 && fail "an unknown model ran"
        grep -q "unknown model" "$tmp/out" || fail "an unknown model: $(cat "$tmp/out")"
    else
        fail "pkg-config: the C program does not build against the install:"; head -5 "$tmp/cc.err"
    fi

    # The program's own identifiers: nm_run is no macro (a field declared
    # before netmodels.h, a local variable); the names 0.4 replaced are gone.
    # shellcheck disable=SC2046
    cc -std=c99 -Wall -Wextra -Werror $(pc "$dest" --cflags) test/packaging/names.c -o "$tmp/names" $(pc "$dest" --libs) \
        2> "$tmp/cc.err" && "$tmp/names" && ok "nm_run as a field and a variable of the program's: untouched" ||
        { fail "a program's own nm_run does not build or run:"; head -3 "$tmp/cc.err"; }
    for old in "c.protocol = 0" "nm_resp_keeps_alive(0)" "nm_resp_request(0)" "nm_pool_get(0)"; do
        printf '#include "netmodels.h"\nint f(void) { nm_config c; nm_config_init(&c); %s; return 0; }\n' "$old" > "$tmp/old.c"
        # shellcheck disable=SC2046
        cc -std=c99 -Werror -Wall $(pc "$dest" --cflags) -c "$tmp/old.c" -o "$tmp/old.o" 2> /dev/null &&
            fail "the name 0.4 replaced still compiles: $old"
    done
    ok "gone since 0.4: nm_config.protocol, nm_resp_keeps_alive, nm_resp_request, nm_pool_get"

    # Another configuration than the library's: caught at compile time, naming the macro...
    if cc -std=c99 -DNM_MAX_HEADERS=24 $(pc "$dest" --cflags) -c test/packaging/selfserve.c -o "$tmp/x.o" 2> "$tmp/cc.err"; then
        fail "-DNM_MAX_HEADERS=24 against a library built with 16 compiles"
    else
        grep -q 'NM_MAX_HEADERS: .* not the 16' "$tmp/cc.err" && ok "-DNM_MAX_HEADERS=24 against the install: $(grep -o 'NM_MAX_HEADERS: [^"]*' "$tmp/cc.err" | head -1)" ||
            { fail "-DNM_MAX_HEADERS=24 fails without naming the macro:"; head -3 "$tmp/cc.err"; }
    fi
    if cc -std=c99 $(pc "$dest" --cflags) -I"$tmp/other" -c test/packaging/selfserve.c -o "$tmp/x.o" 2> "$tmp/cc.err"; then
        fail "a program's own nm_user_config.h with NM_MAX_HEADERS 24 compiles against a library built with 16"
    else
        grep -q 'NM_MAX_HEADERS: .* not the 16' "$tmp/cc.err" && ok "a program's own nm_user_config.h that disagrees: an #error naming NM_MAX_HEADERS" ||
            { fail "a disagreeing nm_user_config.h fails without naming the macro:"; head -3 "$tmp/cc.err"; }
    fi
    # ... at run time when the headers are not the installed ones: the
    # source tree's defaults (1024 connections) against 32 ...
    if cc -std=c99 -Ilib test/packaging/selfserve.c -o "$tmp/x" $(pc "$dest" --libs) 2> "$tmp/cc.err"; then
        "$tmp/x" epoll > "$tmp/out" 2>&1
        grep -q "nm_run: 2 NM_MAX_CONNS: the program was compiled with 1024, the library with 32$" "$tmp/out" &&
            ok "the source tree's headers against a 32-connection library: NM_ERR_USAGE, $(sed -n 's/.*nm_run: 2 //p' "$tmp/out")" ||
            { fail "a program of the default configuration against a 32-connection library:"; cat "$tmp/out"; }
    else
        fail "a program of the source tree's headers does not link against the install:"; head -3 "$tmp/cc.err"
    fi
    # ... and at link time against another version's headers.
    mkdir -p "$tmp/v03"
    cp "$inc/nm_config.h" "$inc/nm_build_config.h" "$tmp/v03/"
    sed 's/^#define NM_VERSION_MINOR .*/#define NM_VERSION_MINOR 3/' "$inc/netmodels.h" > "$tmp/v03/netmodels.h"
    if cc -std=c99 -I"$tmp/v03" test/packaging/selfserve.c -o "$tmp/x" $(pc "$dest" --libs) 2> "$tmp/cc.err"; then
        fail "a program compiled against version 0.3's headers links against $version"
    else
        grep -q "undefined reference to .nm_run_v0_3'" "$tmp/cc.err" &&
            ok "headers of another version: the link fails on nm_run_v0_3" ||
            { fail "the link against another version fails without naming it:"; head -3 "$tmp/cc.err"; }
    fi

    if command -v cmake > /dev/null; then
        cmake_check host "$dest" ""
        # Until 1.0, another minor version is not this one.
        major=${version%%.*} minor=$(echo "$version" | cut -d. -f2)
        for want in "$version:TRUE" "$major.$minor:TRUE" "$major.$((minor + 1)):FALSE" "$((major + 1)).0:FALSE"; do
            w=${want%:*}
            printf 'include("%s")\nif(PACKAGE_VERSION_COMPATIBLE)\nmessage("TRUE")\nelse()\nmessage("FALSE")\nendif()\n' \
                "$dest/usr/lib/cmake/netmodels/netmodelsConfigVersion.cmake" > "$tmp/v.cmake"
            got=$(cmake -DPACKAGE_FIND_VERSION="$w" -DPACKAGE_FIND_VERSION_MAJOR="${w%%.*}" \
                -DPACKAGE_FIND_VERSION_MINOR="$(echo "$w" | cut -d. -f2)" -P "$tmp/v.cmake" 2>&1)
            [ "$got" = "${want#*:}" ] || fail "netmodelsConfigVersion.cmake $version: find_package($w) compatible is $got"
        done
        [ "$major" -eq 0 ] && [ "$minor" -gt 0 ] && w=$major.$((minor - 1)) && got=$(cmake -DPACKAGE_FIND_VERSION="$w" \
            -DPACKAGE_FIND_VERSION_MAJOR="$major" -DPACKAGE_FIND_VERSION_MINOR=$((minor - 1)) -P "$tmp/v.cmake" 2>&1) &&
            { [ "$got" = FALSE ] || fail "netmodelsConfigVersion.cmake $version: find_package($w) compatible is $got"; }
        ok "netmodelsConfigVersion.cmake: $version meets $version and $major.$minor, no other minor before 1.0"
    else
        fail "cmake is not installed (make deps)"
    fi
fi

# ---- the TLS archive ----------------------------------------------------------
# make install TLS=bearssl: libnetmodels_tls.a, nm_tls.h, netmodels-tls.pc
# and netmodels::tls; a program built against them through each, serving
# over TLS, answers curl (the certificate made here, verified).
# tls_serve NAME PROGRAM: PROGRAM serves; curl's answer checked.
tls_serve() {
    rm -f "$tmp/tls.out"
    mkfifo "$tmp/tls.out"
    "$2" "$tmp/tls.crt" "$tmp/tls.key" epoll > "$tmp/tls.out" 2> "$tmp/tls.err" &
    pid=$!
    read -r line < "$tmp/tls.out"
    port=${line#port }
    port=${port%% *}
    got=$(curl -sS -m 10 --cacert "$tmp/tls.crt" "https://127.0.0.1:$port/" 2>&1)
    kill -TERM $pid 2> /dev/null
    wait $pid
    [ "$got" = "tls ok" ] && ok "$1: a program over TLS ($line) answers curl: $got" ||
        fail "$1: the TLS program ($line; $(cat "$tmp/tls.err")) answered curl: $got"
}
if [ ! -f /usr/include/bearssl.h ] || ! command -v curl > /dev/null || ! command -v openssl > /dev/null; then
    skip "install.sh, TLS" "" "libbearssl-dev, curl or openssl is not installed (make deps)"
elif install_lib "$B-tls" "$tmp/tls" TLS=bearssl; then
    dest=$tmp/tls
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$tmp/tls.key" -out "$tmp/tls.crt" \
        -days 30 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2> "$tmp/openssl.err" || cat "$tmp/openssl.err"
    for f in lib/libnetmodels_tls.a include/netmodels/nm_tls.h lib/pkgconfig/netmodels-tls.pc \
             lib/cmake/netmodels/netmodels-tls.cmake; do
        [ -f "$dest/usr/$f" ] || fail "make install TLS=bearssl: not installed: $f"
    done
    if command -v pkg-config > /dev/null; then
        tpc() { PKG_CONFIG_LIBDIR=$dest/usr/lib/pkgconfig PKG_CONFIG_SYSROOT_DIR=$dest pkg-config "$@" netmodels-tls; }
        # (a static archive: its engine, Libs.private, comes with --static)
        # shellcheck disable=SC2046
        if cc -std=c99 -Wall -Wextra -Werror $(tpc --cflags) test/packaging/tlsserve.c -o "$tmp/tlsserve" \
                $(tpc --static --libs) 2> "$tmp/cc.err"; then
            tls_serve "pkg-config netmodels-tls --static ($(tpc --static --libs | tr -s ' ' | sed "s|$dest||g"))" "$tmp/tlsserve"
        else
            fail "pkg-config: a TLS program does not build against netmodels-tls.pc:"; head -5 "$tmp/cc.err"
        fi
    fi
    if command -v cmake > /dev/null; then
        cmake_check tls "$dest" ""
        [ -x "$tmp/cmake-tls/tlsserve" ] && tls_serve "CMake's netmodels::tls" "$tmp/cmake-tls/tlsserve" ||
            fail "CMake: netmodels::tls built no program (log: $tmp/cmake-tls.log)"
    fi
fi

# The installed configuration follows nm_user_config.h: a second install
# after an edit of it records the new value (the header the compiler reads
# through CPPFLAGS is no prerequisite make could see).
mkdir -p "$B-edit"
for loops in 8 12; do
    echo "#define NM_MAX_LOOPS $loops" > "$B-edit/nm_user_config.h"
    $MAKE --no-print-directory -j2 BUILD="$B-edit/build" NM_MODELS=epoll CXXFLAGS=-O0 CPPFLAGS="-I$PWD/$B-edit" \
        install DESTDIR="$tmp/edit" PREFIX=/usr > "$B-edit.log" 2>&1 || fail "make install with NM_MAX_LOOPS $loops (log: $B-edit.log)"
    got=$(sed -n 's/^#define NM_BUILT_MAX_LOOPS //p' "$tmp/edit/usr/include/netmodels/nm_build_config.h")
    [ "$got" = "$loops" ] || fail "nm_user_config.h says NM_MAX_LOOPS $loops, the installed nm_build_config.h $got"
done
[ "$got" = 12 ] && ok "nm_user_config.h edited between two installs: nm_build_config.h says the new NM_MAX_LOOPS"

# CPPFLAGS reaches the objects, and a new value of it rebuilds them: the
# tunables config_check.o compares a program's with hold the new value.
for h in 16 12; do
    $MAKE --no-print-directory BUILD="$B-stamp" CXXFLAGS=-O0 CPPFLAGS="-DNM_MAX_HEADERS=$h" "$B-stamp/obj/lib/config_check.o" \
        > "$B-stamp.log" 2>&1 || fail "CPPFLAGS=-DNM_MAX_HEADERS=$h: config_check.o does not build (log: $B-stamp.log)"
    cp "$B-stamp/obj/lib/config_check.o" "$tmp/check$h.o"
done
cmp -s "$tmp/check16.o" "$tmp/check12.o" && fail "CPPFLAGS=-DNM_MAX_HEADERS=16, then 12: config_check.o not rebuilt" ||
    ok "CPPFLAGS=-DNM_MAX_HEADERS=16, then 12: config_check.o rebuilt for each"

# Every tunable of nm_config.h is in NM_TUNABLES, which nm_run hands over.
printf '#include "nm_config.h"\n#define NM_NAME_(name) #name\nNM_TUNABLES(NM_NAME_)\n' > "$tmp/list.c"
listed=$(cc -E -P -Ilib "$tmp/list.c" | tr -s ' "' '\n\n' | grep . | sort)
defined=$(sed -n 's/^#ifndef \(NM_[A-Z0-9_]*\)$/\1/p' lib/nm_config.h | grep -vx NM_CONFIG_H | sort)
[ "$listed" = "$defined" ] && ok "NM_TUNABLES lists the $(echo "$defined" | wc -l) tunables of nm_config.h" ||
    { fail "NM_TUNABLES and the tunables of nm_config.h differ:"; echo "$listed" > "$tmp/l"; echo "$defined" | diff "$tmp/l" -; }

# ---- armhf -------------------------------------------------------------------
if ! command -v arm-linux-gnueabihf-gcc > /dev/null || ! command -v qemu-arm > /dev/null; then
    case " ${NM_REQUIRE_TARGETS:-} " in
        *" armhf "*) fail "armhf: required, but arm-linux-gnueabihf-gcc or qemu-arm is not installed" ;;
        *) skip "install.sh, armhf" "" "arm-linux-gnueabihf-gcc or qemu-arm is not installed (make deps)" ;;
    esac
else
    dest=$tmp/armhf
    if install_lib "$B-armhf" "$dest" TARGET=armhf CXXFLAGS=-Os; then
        # shellcheck disable=SC2046
        if arm-linux-gnueabihf-gcc -std=c99 -Wall -Werror -Os $(pc "$dest" --cflags) test/packaging/selfserve.c \
                -o "$tmp/selfserve-armhf" -static $(pc "$dest" --libs) 2> "$tmp/cc.err"; then
            qemu-arm "$tmp/selfserve-armhf" epoll > "$tmp/out" 2>&1 && grep -q "NM_MAX_HEADERS=16" "$tmp/out" &&
                ok "armhf: pkg-config with a sysroot, -static, under qemu-arm: $(tail -1 "$tmp/out")" ||
                { fail "armhf: the program under qemu-arm:"; cat "$tmp/out"; }
        else
            fail "armhf: the C program does not build against the install:"; head -5 "$tmp/cc.err"
        fi
        command -v cmake > /dev/null &&
            cmake_check armhf "$dest" qemu-arm -DCMAKE_TOOLCHAIN_FILE="$PWD/test/packaging/cmake/armhf.cmake" -DNM_SYSROOT="$dest"
    fi
fi
echo "$oks passed, $fails failed, $skips skipped"
[ $fails -eq 0 ]

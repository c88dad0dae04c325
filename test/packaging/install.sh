#!/bin/sh
# install.sh - `make install` into a scratch DESTDIR, then build the C demo
# against the installed library, headers and netmodels.pc, as a user would.
set -e
dest=${TMPDIR:-/tmp}/nm-install.$$
trap 'rm -rf "$dest"' EXIT
make --no-print-directory -s install DESTDIR="$dest" PREFIX=/usr > /dev/null
pc=$dest/usr/lib/pkgconfig/netmodels.pc
test -f "$dest/usr/lib/libnetmodels.a"
test -f "$dest/usr/include/netmodels/netmodels.h"
test -f "$dest/usr/include/netmodels/netmodels.hpp"
test -f "$dest/usr/include/netmodels/nm_config.h"
grep -q '^Libs: .*-lnetmodels' "$pc"
# pkg-config may be absent: read the flags from the file the same way it would
cflags=$(sed -n 's/^Cflags: //p' "$pc" | sed "s|\${includedir}|$dest/usr/include/netmodels|")
libs=$(sed -n 's/^Libs: //p' "$pc" | sed "s|\${libdir}|$dest/usr/lib|")
cc -std=c99 $cflags demos/firmware.c -o "$dest/firmware" $libs
"$dest/firmware" 0 nosuchmodel 2> "$dest/err" && exit 1
grep -q "unknown model" "$dest/err"
echo "installed library, headers and netmodels.pc build a C program"

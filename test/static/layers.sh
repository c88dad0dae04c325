#!/bin/sh
# layers.sh [LIBDIR] - include arrows point down. Every room of lib/ says in
# its README which rooms it may include ("may include: base loop"); an
# #include of any other room (or of ports/ outside loop, which owns the port
# interface) fails, with the file and the line. The top-level files of lib/
# (public headers, the registry, the pool table) may include every room.
# layers.sh --selftest: the check must fail on a copy of lib/ with one
# arrow pointing up.
if [ "$1" = --selftest ]; then
    tmp=${TMPDIR:-/tmp}/nm-layers-selftest.$$
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp" && cp -r lib "$tmp/lib"
    sh "$0" "$tmp/lib" > /dev/null || { echo "layers: the tree itself fails"; exit 1; }
    echo '#include "../session/session.h"' >> "$tmp/lib/loop/conn.h"
    if sh "$0" "$tmp/lib" > "$tmp/out"; then echo "layers: an include of the session from loop/ passed"; exit 1; fi
    grep -q "loop may not include ../session/session.h" "$tmp/out" && echo "layers: an arrow up is caught"
    exit $?
fi
lib=${1:-lib}
bad=0
for readme in "$lib"/*/README; do
    dir=${readme%/README}
    room=${dir##*/}
    allowed=" $room $(sed -n 's/^may include: *//p' "$readme" | sed 's/(.*)//') "
    [ "$room" = loop ] && allowed="$allowed ports "
    for f in "$dir"/*.h "$dir"/*.cpp; do
        [ -f "$f" ] || continue
        grep -n '^#include "' "$f" | while IFS= read -r line; do
            path=$(echo "$line" | sed 's/.*#include "\([^"]*\)".*/\1/')
            case $path in
                ../../ports/*) target=ports ;;
                ../*/*) target=${path#../}; target=${target%%/*} ;;
                ../*) target=top ;;
                */*) target=unknown ;;
                *) target=$room ;;
            esac
            case $target in
                top) case $path in ../nm_config.h|../netmodels.h) continue ;; esac ;;
            esac
            case "$allowed" in *" $target "*) continue ;; esac
            echo "$f:${line%%:*}: $room may not include $path"
            echo x >> "${TMPDIR:-/tmp}/nm-layers.$$"
        done
    done
done
[ -s "${TMPDIR:-/tmp}/nm-layers.$$" ] && bad=1
rm -f "${TMPDIR:-/tmp}/nm-layers.$$"
[ $bad -eq 0 ] && echo "layers: every include points down"
exit $bad

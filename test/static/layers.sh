#!/bin/sh
# layers.sh [LIBDIR [OBJDIR]] - arrows point down, in includes and in calls.
# Every room of lib/ says in its README which rooms it may include ("may
# include: base loop"); an #include of any other room (or of ports/ outside
# loop, which owns the port interface) fails, with the file and the line.
# The top-level files of lib/ (public headers, the registry, the pool table)
# may include every room. Calls are checked on the objects of the host
# build (OBJDIR, build/host/obj): a symbol an object of a room needs (nm -u)
# that only rooms it may not include define (nm --defined-only) fails, with
# the object, the symbol and the rooms; ports/ may call base only, and an
# object of lib/'s top is above every room, but for the pool table
# (pools.cpp): storage every room declares and the top defines, where the
# types of all of them are known, not a call. test/static/layers_allow.txt
# lists the calls allowed anyway, one "room symbol reason" a line.
# layers.sh --selftest: the check must fail on a copy of lib/ with one
# include pointing up, and on the objects with one planted call up.
NM=${NM_NM:-nm}
allow_file=$(dirname "$0")/layers_allow.txt

# The rooms room may use: itself and what its README lets it include.
allowed_rooms() {
    case $2 in
        top|pools) echo ALL ;;
        ports) echo " ports base pools " ;;
        *) a=" $2 $(sed -n 's/^may include: *//p' "$1/$2/README" | sed 's/(.*)//') "
           [ "$2" = loop ] && a="$a ports "
           a="$a pools "
           echo "$a" ;;
    esac
}

# calls_up LIBDIR OBJDIR [EXTRA]: every object of a source of LIBDIR (and
# ports/ beside it), plus EXTRA ("room object" lines, the self-test's), by
# room; prints each call to a symbol defined only in rooms the caller may
# not use, and fails if there is one not in the allow-list.
calls_up() {
    l=$1 o=$2 extra=$3
    t=${TMPDIR:-/tmp}/nm-calls.$$
    : > "$t.objs"
    for src in "$l"/*.cpp "$l"/*/*.cpp "$l"/../ports/*.cpp; do
        [ -f "$src" ] || continue
        rel=${src#"$l"/}
        case $rel in
            ../ports/*) room=ports obj=$o/ports/${rel#../ports/} ;;
            pools.cpp) room=pools obj=$o/lib/$rel ;;
            */*) room=${rel%%/*} obj=$o/lib/$rel ;;
            *) room=top obj=$o/lib/$rel ;;
        esac
        obj=${obj%.cpp}.o
        [ -f "$obj" ] && echo "$room $obj" >> "$t.objs"
    done
    [ -n "$extra" ] && echo "$extra" >> "$t.objs"
    if ! [ -s "$t.objs" ]; then
        echo "layers: no objects under $o (build the library first: make)"
        rm -f "$t".*
        return 1
    fi
    : > "$t.syms"
    : > "$t.rooms"
    while read -r room obj; do
        "$NM" --defined-only -g "$obj" | awk -v r="$room" 'NF >= 3 { print "D", r, $3 }' >> "$t.syms"
        "$NM" -u "$obj" | awk -v r="$room" -v f="$obj" '{ print "U", r, $NF, f }' >> "$t.syms"
        echo "$room $(allowed_rooms "$l" "$room")" >> "$t.rooms"
    done < "$t.objs"
    sed 's/#.*//' "$allow_file" 2>/dev/null | awk 'NF >= 2 { print "A", $1, $2 }' > "$t.allow"
    awk '
        FILENAME ~ /rooms$/ { r = $1; $1 = ""; may[r] = $0 " "; next }
        $1 == "A" { allow[$2 " " $3] = 1; next }
        $1 == "D" { if (index(defs[$3], " " $2 " ") == 0) defs[$3] = defs[$3] " " $2 " "; next }
        $1 == "U" { n++; ur[n] = $2; us[n] = $3; uf[n] = $4 }
        END {
            bad = 0
            for (i = 1; i <= n; i++) {
                r = ur[i]; s = us[i]; d = defs[s]
                if (d == "" || may[r] ~ /ALL/) continue
                ok = 0; split(d, ds, " ")
                for (k in ds) if (index(may[r], " " ds[k] " ")) ok = 1
                if (ok) continue
                gsub(/^ +| +$/, "", d); gsub(/ +/, " ", d)
                if ((r " " s) in allow) { print uf[i] ": " r " calls " s " (" d "): allowed in layers_allow.txt"; continue }
                print uf[i] ": " r " calls " s ", defined only in " d
                bad = 1
            }
            exit bad
        }' "$t.rooms" "$t.allow" "$t.syms"
    rc=$?
    rm -f "$t".*
    return $rc
}

if [ "$1" = --selftest ]; then
    tmp=${TMPDIR:-/tmp}/nm-layers-selftest.$$
    trap 'rm -rf "$tmp"' EXIT
    objs=${2:-build/host/obj}
    mkdir -p "$tmp" && cp -r lib "$tmp/lib" && cp -r ports "$tmp/ports"
    sh "$0" "$tmp/lib" "$objs" > "$tmp/out" || { cat "$tmp/out"; echo "layers: the tree itself fails"; exit 1; }
    # A call up: an object of loop/ needing a function only session/ defines.
    sym=$("$NM" --defined-only -g "$objs/lib/session/session.o" | awk '$2 == "T" { print $3; exit }')
    [ -n "$sym" ] || { echo "layers: no function in $objs/lib/session/session.o to plant a call to"; exit 1; }
    printf 'void up(void) __asm__("%s");\nvoid planted(void) { up(); }\n' "$sym" > "$tmp/planted.c"
    ${CC:-cc} -c "$tmp/planted.c" -o "$tmp/planted.o" || exit 1
    if calls_up "$tmp/lib" "$objs" "loop $tmp/planted.o" > "$tmp/out"; then
        echo "layers: a call from loop/ to the session's $sym passed"; exit 1
    fi
    grep -q "planted.o: loop calls $sym, defined only in session" "$tmp/out" || { cat "$tmp/out"; exit 1; }
    echo "layers: a call up is caught"
    echo '#include "../session/session.h"' >> "$tmp/lib/loop/conn.h"
    if sh "$0" "$tmp/lib" "$objs" > "$tmp/out"; then echo "layers: an include of the session from loop/ passed"; exit 1; fi
    grep -q "loop may not include ../session/session.h" "$tmp/out" && echo "layers: an arrow up is caught"
    exit $?
fi
lib=${1:-lib}
objs=${2:-build/host/obj}
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
calls_up "$lib" "$objs" || bad=1
[ $bad -eq 0 ] && echo "layers: every call points down"
exit $bad

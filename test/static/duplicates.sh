#!/bin/sh
# duplicates.sh [--selftest] - nothing in lib/ and ports/ written twice.
# test/static/duplicates.py reads the sources and reports each run of lines
# that stands again elsewhere: six normalised lines the same, or six of the
# same shape (other names, numbers and strings) rich enough not to be every
# file's braces (its thresholds are written at its top). A run may stand
# only if test/static/duplicates_allow.txt lists its key with a reason; an
# entry no longer found fails too, so the list stays true. Run from the
# repository's root.
# duplicates.sh --selftest: the check must pass on the tree, and fail on a
# copy of it with a function of lib/ planted again in ports/ (identical), and
# again with its names changed (shape).
case ${1:-} in
    ""|--selftest) ;;
    *) echo "duplicates: unknown option $1 (--selftest)"; exit 2 ;;
esac
here=$(dirname "$0")
allow=$here/duplicates_allow.txt
command -v python3 > /dev/null || { echo "duplicates: python3 is needed"; exit 1; }

if [ "$1" != --selftest ]; then
    exec python3 "$here/duplicates.py" --allow "$allow" . lib ports
fi

tmp=${TMPDIR:-/tmp}/nm-duplicates.$$
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
bad=0
python3 "$here/duplicates.py" --allow "$allow" . lib ports > "$tmp/out" ||
    { echo "duplicates: the tree itself fails"; cat "$tmp/out"; exit 1; }
# The planted copy: nm_room_wait (lib/loop/blocking.cpp), as it is, then
# with every name changed.
src=lib/loop/blocking.cpp
sed -n '/^int nm_room_wait(/,/^}/p' "$src" > "$tmp/fn"
[ "$(wc -l < "$tmp/fn")" -ge 10 ] || { echo "duplicates: no nm_room_wait to plant in $src"; exit 1; }
for how in identical shape; do
    rm -rf "$tmp/tree"
    mkdir -p "$tmp/tree"
    cp -r lib ports "$tmp/tree/"
    if [ $how = identical ]; then
        sed 's/nm_room_wait/planted_wait/' "$tmp/fn" > "$tmp/tree/ports/planted.cpp"
    else
        sed -e 's/nm_room_wait/planted_wait/' -e 's/full_since/began/g' -e 's/deadline/limit/g' \
            -e 's/got/have/g' -e 's/queue_wait_ms/wait_limit/' "$tmp/fn" > "$tmp/tree/ports/planted.cpp"
    fi
    if python3 "$here/duplicates.py" --allow "$allow" "$tmp/tree" lib ports > "$tmp/out"; then
        echo "duplicates: a copy of nm_room_wait planted in ports/ ($how) passes"
        bad=1
    elif ! grep -q "ports/planted.cpp.* $how" "$tmp/out"; then
        echo "duplicates: the planted copy ($how) is not the run reported"
        cat "$tmp/out"
        bad=1
    fi
done
# An entry without a reason fails.
key=$(python3 "$here/duplicates.py" --list . lib ports | sed -n 's/.* \([0-9a-f]\{12\}\) .*/\1/p' | head -1)
if [ -n "$key" ]; then
    { grep -v "^$key" "$allow"; echo "$key"; } > "$tmp/allow"
    if python3 "$here/duplicates.py" --allow "$tmp/allow" . lib ports > "$tmp/out"; then
        echo "duplicates: an allowed run without a reason passes"
        bad=1
    fi
fi
[ $bad = 0 ] && echo "duplicates: planted copies fail the check"
exit $bad

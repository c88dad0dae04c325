#!/bin/sh
# pools_listed.sh [LIBDIR] - every nm_pool of the library is a line of
# lib/pools.def, so that `make size` shows it: a pool is defined only by the
# list's expansion in pools.cpp (one NM_POOL_INIT, one "nm_pool x ="), and
# every `extern nm_pool x` names a pool of the list. Without LIBDIR, also
# checks that a pool defined outside the list fails the check.
lib=${1:-lib}
tmp=${TMPDIR:-/tmp}/nm-pools-listed.$$

# problems LIBDIR: one line per pool that the list does not declare.
problems() {
    sources=$(find "$1" -name '*.cpp' -o -name '*.h' | grep -v '/base/pool\.h$' | sort)
    grep -nE 'NM_POOL_INIT *\(|(^|[^A-Za-z0-9_])nm_pool +[A-Za-z0-9_]+ *=' $sources |
        grep -v "^$1/pools.cpp:" | sed 's/$/: a pool defined outside lib\/pools.def/'
    [ "$(grep -cE 'NM_POOL_INIT *\(' "$1/pools.cpp")" -eq 1 ] ||
        echo "$1/pools.cpp: NM_POOL_INIT outside the expansion of the list"
    listed=" $(sed -n 's/^NM_POOL( *\([A-Za-z0-9_]*\) *,.*/\1/p' "$1/pools.def" | tr '\n' ' ') "
    grep -nE 'extern +nm_pool +[A-Za-z0-9_]+ *;' $sources | while IFS= read -r line; do
        name=$(echo "$line" | sed 's/.*extern *nm_pool *\([A-Za-z0-9_]*\).*/\1/')
        case "$listed" in *" $name "*) ;; *) echo "$line: $name is not a pool of lib/pools.def" ;; esac
    done
}

out=$(problems "$lib")
if [ -n "$out" ]; then
    echo "$out" | sed 's/^/FAIL /'
    exit 1
fi
echo "ok   every pool of $lib is a line of $lib/pools.def ($(grep -c '^NM_POOL(' "$lib/pools.def") pools)"
[ $# -gt 0 ] && exit 0

# The check catches a pool defined in another file, one beside the list in
# pools.cpp, and one used but not listed.
rm -rf "$tmp" && mkdir -p "$tmp" && cp -r "$lib" "$tmp/lib"
extra='static char extra_items[4][8]; nm_pool nm_extra_pool = NM_POOL_INIT("extra", extra_items);'
echo "$extra" >> "$tmp/lib/base/pool.cpp"
echo "$extra" >> "$tmp/lib/pools.cpp"
echo 'extern nm_pool nm_unlisted_pool;' >> "$tmp/lib/base/pool.cpp"
caught=$(problems "$tmp/lib" | wc -l)
rm -rf "$tmp"
if [ "$caught" -ne 3 ]; then
    echo "FAIL of a pool in another file, one beside the list and one unlisted, $caught caught, not 3"
    exit 1
fi
echo "ok   a pool in another file, one beside the list and one unlisted fail the check"

#!/bin/sh
# readme_examples.sh LIB - every C example of README.md and of the READMEs
# beside the code (lib/, demos/, toolchains/, test/) that has a main()
# compiles without a warning of -Wall and links against LIB (libnetmodels.a),
# so the examples a user copies cannot drift from the API.
lib=${1:-build/host/libnetmodels.a}
CC=${CC:-cc}
out=${TMPDIR:-/tmp}/nm-readme.$$
mkdir -p "$out"
docs="README.md $(find lib demos toolchains test -type f \( -name 'README*' -o -name '*.md' \) | sort)"
awk -v dir="$out" '
    /^```c$/ { n++; file = dir "/example" n ".c"; print "/* " FILENAME ":" FNR + 1 " */" > file; inblock = 1; next }
    /^```/ { inblock = 0; next }
    inblock { print > file }
' $docs
fails=0
count=0
for f in "$out"/example*.c; do
    [ -f "$f" ] || continue
    grep -q 'int main' "$f" || continue
    count=$((count + 1))
    if $CC -std=c99 -Wall -Werror -Ilib "$f" "$lib" -pthread -o "$f.bin" 2> "$f.err"; then
        echo "ok   $(head -2 "$f" | tr '\n' ' ')"
    else
        echo "FAIL the example at $(head -1 "$f"):"
        head -5 "$f.err"
        fails=$((fails + 1))
    fi
done
rm -rf "$out"
[ "$count" -gt 0 ] || { echo "FAIL no C example with a main() found in $docs"; exit 1; }
echo "readme examples: $count built"
[ "$fails" -eq 0 ]

#!/bin/sh
# audit.sh LIB [NM] - fail when the library references a symbol that is not
# defined inside it and not in test/libc_allowlist.txt (heap, C++ runtime...).
lib=$1
nmtool=${2:-nm}
here=$(dirname "$0")
tmp=${TMPDIR:-/tmp}/nm-audit.$$
"$nmtool" --defined-only "$lib" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u > "$tmp.def"
"$nmtool" -u "$lib" 2>/dev/null | awk 'NF>=1 && $NF !~ /:$/ {print $NF}' | sort -u > "$tmp.und"
grep -v '^#' "$here/libc_allowlist.txt" | sort -u > "$tmp.allow"
bad=$(comm -23 "$tmp.und" "$tmp.def" | comm -23 - "$tmp.allow")
rm -f "$tmp.def" "$tmp.und" "$tmp.allow"
if [ -n "$bad" ]; then
    echo "symbol audit: $lib references symbols outside libc/POSIX:"
    echo "$bad" | sed 's/^/  /'
    exit 1
fi
echo "symbol audit: $lib references libc/POSIX only"

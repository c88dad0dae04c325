#!/bin/sh
# audit.sh LIB [NM [CC]] - fail when the library references a symbol that is
# not defined inside it and not in test/static/libc_allowlist.txt (heap, C++ runtime...).
# NM_AUDIT_ALLOW names more lists, an archive's own: its TLS engines'
# (tls_bearssl_allowlist.txt, tls_wolfssl_allowlist.txt, for
# libnetmodels_tls.a), separated by spaces.
#
# Given the target's C compiler, the helpers of its own runtime, libgcc, are
# accepted too: integer division on cores without a divide instruction
# (__aeabi_uidiv, __udivdi3...), and they are listed. libgcc comes with every
# C toolchain and every C program links it, so it is not a dependency of ours;
# its unwinder (_Unwind_*, the C++ exception machinery) stays refused. So are
# the symbols the static linker itself defines for position-independent code.
lib=$1
nmtool=${2:-nm}
cc=${3:-}
here=$(dirname "$0")
tmp=${TMPDIR:-/tmp}/nm-audit.$$
"$nmtool" --defined-only "$lib" 2>/dev/null | awk 'NF==3 {print $3}' | sort -u > "$tmp.def"
# (a weak reference, w or v, is none: it is null when nothing defines it)
"$nmtool" -u "$lib" 2>/dev/null | awk 'NF>=1 && $NF !~ /:$/ && $(NF-1) !~ /^[wv]$/ {print $NF}' | sort -u > "$tmp.und"
cat "$here/libc_allowlist.txt" ${NM_AUDIT_ALLOW:-} | grep -v '^#' | sort -u > "$tmp.allow"
printf '%s\n' _GLOBAL_OFFSET_TABLE_ _gp_disp __gnu_local_gp | sort > "$tmp.linker"
: > "$tmp.rt"
if [ -n "$cc" ]; then
    libgcc=$($cc -print-libgcc-file-name 2>/dev/null)
    [ -f "$libgcc" ] && "$nmtool" --defined-only "$libgcc" 2>/dev/null |
        awk 'NF==3 && $3 !~ /^_Unwind_|personality/ {print $3}' | sort -u > "$tmp.rt"
fi
outside=$(comm -23 "$tmp.und" "$tmp.def" | comm -23 - "$tmp.allow" | comm -23 - "$tmp.linker")
bad=$(echo "$outside" | comm -23 - "$tmp.rt" | grep .)
helpers=$(echo "$outside" | comm -12 - "$tmp.rt" | tr '\n' ' ')
rm -f "$tmp.def" "$tmp.und" "$tmp.allow" "$tmp.linker" "$tmp.rt"
[ -n "$helpers" ] && echo "symbol audit: compiler runtime (libgcc) helpers used: $helpers"
if [ -n "$bad" ]; then
    echo "symbol audit: $lib references symbols outside libc/POSIX:"
    echo "$bad" | sed 's/^/  /'
    exit 1
fi
echo "symbol audit: $lib references libc/POSIX only"

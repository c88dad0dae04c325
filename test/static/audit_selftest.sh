#!/bin/sh
# audit_selftest.sh - the symbol audit must fail on an archive that calls malloc
# or operator new; a check that cannot fail proves nothing.
nmtool=${1:-nm}
dir=${TMPDIR:-/tmp}/nm-audit-selftest.$$
mkdir -p "$dir"
trap 'rm -rf "$dir"' EXIT
here=$(dirname "$0")
printf '#include <stdlib.h>\nvoid *grab(void) { return malloc(16); }\n' > "$dir/heap.c"
printf 'struct X { int a; };\nX *make() { return new X; }\n' > "$dir/new.cpp"
cc -c "$dir/heap.c" -o "$dir/heap.o" && c++ -c "$dir/new.cpp" -o "$dir/new.o" || exit 1
ar rcs "$dir/heap.a" "$dir/heap.o"
ar rcs "$dir/new.a" "$dir/new.o"
if sh "$here/audit.sh" "$dir/heap.a" nm > "$dir/out1"; then echo "audit passed malloc"; exit 1; fi
if sh "$here/audit.sh" "$dir/new.a" nm > "$dir/out2"; then echo "audit passed operator new"; exit 1; fi
grep -q malloc "$dir/out1" && grep -q _Znw "$dir/out2" && echo "audit rejects malloc and operator new" || exit 1
# Given the compiler, its runtime helpers pass and are named; the unwinder of
# C++ exceptions, although libgcc's family, does not.
printf 'int pc(unsigned long long x) { return __builtin_popcountll(x); }\n' > "$dir/rt.c"
printf 'struct G { ~G(); };\nvoid f();\nvoid g() { G x; f(); }\n' > "$dir/uw.cpp"
cc -O2 -c "$dir/rt.c" -o "$dir/rt.o" && c++ -O2 -c "$dir/uw.cpp" -o "$dir/uw.o" || exit 1
ar rcs "$dir/rt.a" "$dir/rt.o"
ar rcs "$dir/uw.a" "$dir/uw.o"
if sh "$here/audit.sh" "$dir/rt.a" nm > "$dir/out3"; then echo "audit passed a helper without the compiler"; exit 1; fi
sh "$here/audit.sh" "$dir/rt.a" nm cc > "$dir/out4" || { echo "audit refused a libgcc helper"; cat "$dir/out4"; exit 1; }
if sh "$here/audit.sh" "$dir/uw.a" nm cc > "$dir/out5"; then echo "audit passed _Unwind_Resume"; exit 1; fi
grep -q __popcountdi2 "$dir/out4" && grep -q _Unwind_Resume "$dir/out5" &&
    echo "audit accepts libgcc helpers only from the compiler's own libgcc, never its unwinder"

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
grep -q malloc "$dir/out1" && grep -q _Znw "$dir/out2" && echo "audit rejects malloc and operator new"

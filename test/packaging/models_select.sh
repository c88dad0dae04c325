#!/bin/sh
# models_select.sh NMSERVE - NM_MODELS="epoll reactor" builds a library with
# those models only, whose other model files are not even compiled; every
# model the full build registers is one NM_MODELS can name; every model
# function of lib/models/ is in lib/models/models.def, and naming a model
# compiles the file that defines it; an unknown name stops the build.
full=$1
MAKE=${MAKE:-make}
B=build/host/models-select
fails=0
fail() { echo "FAIL $1"; fails=$((fails + 1)); }

known=$($MAKE -s --no-print-directory nm-models)
for m in $("$full" --list); do
    case " $known " in
        *" $m "*) ;;
        *) fail "model $m is registered but NM_MODELS cannot name it: lib/models.mk does not read its line of lib/models/models.def" ;;
    esac
done
defined=$(sed -n 's/^\(extern "C" \)\{0,1\}int nm_model_\([A-Za-z0-9_]*\) *(.*/\2/p' lib/models/*.cpp)
for m in $defined; do
    case " $known " in
        *" $m "*) ;;
        *) fail "lib/models/ defines nm_model_$m, but lib/models/models.def has no NM_MODEL($m, ...) line" ;;
    esac
done
# Each model alone (a dry run): the file that defines its function is compiled.
for m in $known; do
    file=$(grep -lE "^(extern \"C\" )?int nm_model_$m *\\(" lib/models/*.cpp)
    $MAKE -n --no-print-directory BUILD=$B-dry NM_MODELS="$m" "$B-dry/libnetmodels.a" 2> /dev/null |
        grep -q -- "-c $file " || fail "NM_MODELS=$m does not compile ${file:-the file defining nm_model_$m}: its file in lib/models/models.def is wrong"
done
[ $fails -eq 0 ] && echo "ok   lib/models/models.def lists every model function; each of its $(echo $known | wc -w) models alone compiles its own file"

rm -rf "$B"   # objects of an older selection must not pass for this one's
if ! $MAKE --no-print-directory -j2 BUILD=$B CXXFLAGS=-O0 CFLAGS=-O0 NM_MODELS="epoll reactor" "$B/nmserve" > "$B.log" 2>&1; then
    fail "NM_MODELS=\"epoll reactor\" does not build (log: $B.log)"
else
    listed=$("$B/nmserve" --list | tr '\n' ' ')
    [ "$listed" = "epoll reactor " ] || fail "NM_MODELS=\"epoll reactor\" registers: $listed"
    built=$(cd "$B/obj/lib/models" && ls -- *.o | tr '\n' ' ')
    case " $built " in *" reactor.o "*) ;; *) fail "reactor.o not built" ;; esac
    for file in lib/models/*.cpp; do
        o=$(basename "$file" .cpp).o
        [ "$o" = reactor.o ] && continue
        grep -q 'nm_model_epoll *(' "$file" && continue   # the file epoll lives in stays
        case " $built " in *" $o "*) fail "$o compiled although none of its models is named" ;; esac
    done
    echo "ok   NM_MODELS=\"epoll reactor\": registry '$listed', model objects: $built"
fi

if $MAKE -s --no-print-directory BUILD=$B NM_MODELS="epoll nosuch" nm-models > "$B.err" 2>&1; then
    fail "an unknown name in NM_MODELS was accepted"
else
    grep -q "no model named 'nosuch'" "$B.err" || fail "unknown name: $(cat "$B.err")"
    echo "ok   unknown name: $(grep -o "NM_MODELS: .*" "$B.err")"
fi
[ $fails -eq 0 ]

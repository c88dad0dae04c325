#!/bin/sh
# build_config.sh COMPILER FLAGS... - the configuration a library build
# compiles with, as the header `make install` puts beside nm_config.h
# (nm_build_config.h): every tunable of lib/nm_config.h as the compiler
# sees it with the build's flags and nm_user_config.h, and the models
# compiled in. The compiler only preprocesses, so a cross build is read
# the same way, without running anything on the target.
set -e
tmp=${TMPDIR:-/tmp}/nm-build-config.$$
trap 'rm -f "$tmp.cpp" "$tmp.out"' EXIT
models=$(sed -n 's/^NM_MODEL( *\([A-Za-z0-9_]*\) *,.*/\1/p' lib/models/models.def)
{
    echo '#include "nm_config.h"'
    echo '#define NM_TUNABLE_LINE_(name) #name name;'
    echo 'NM_TUNABLES(NM_TUNABLE_LINE_)'
    echo '#ifdef NM_FIBER_PORTABLE'
    echo '"NM_FIBER_PORTABLE" 1'
    echo '#endif'
    for m in $models; do printf '#ifdef NM_WITHOUT_%s\n"NM_WITHOUT_%s" 1\n#endif\n' "$m" "$m"; done
    echo '#define NM_MODEL(name, file, flags, port) "NM_MODEL" name'
    echo '#include "models/models.def"'
} > "$tmp.cpp"
# (the tunables come on one line, each ended by a ';')
"$@" -E -P "$tmp.cpp" | tr ';' '\n' | sed 's/^ *//' > "$tmp.out"

# A value the shell can compute (the defaults' arithmetic) is written as
# its number, as a reader would want it.
number() {
    case $1 in
        *[!0-9\ \(\)+*/%\<\>=?:\&\|!-]*) echo "$1" ;;
        *) echo $(($1)) ;;
    esac
}

echo "/* nm_build_config.h - written by make install: the configuration"
echo " * libnetmodels.a was built with. A program's own value of any of these"
echo " * must be the same (nm_config.h reads this after nm_user_config.h). */"
echo "#ifndef NM_BUILD_CONFIG_H"
echo "#define NM_BUILD_CONFIG_H"
left_out=""
built=""
while IFS= read -r line; do
    case $line in
        '"NM_MODEL" '*) built="$built ${line#\"NM_MODEL\" }" ;;
        '"NM_WITHOUT_'*) m=${line#\"NM_WITHOUT_}; left_out="$left_out ${m%%\"*}" ;;
        '"NM_FIBER_PORTABLE" 1') printf '#ifndef NM_FIBER_PORTABLE\n#define NM_FIBER_PORTABLE 1\n#endif\n' ;;
        '"NM_'*)
            name=${line#\"}; name=${name%%\"*}
            value=$(number "${line#\"$name\" }")
            short=${name#NM_}
            echo "#define NM_BUILT_$short $value"
            echo "#ifndef $name"
            echo "#define $name NM_BUILT_$short"
            echo "#elif $name != NM_BUILT_$short"
            echo "#error \"$name: this program's value is not the $value libnetmodels was built with (nm_build_config.h)\""
            echo "#endif" ;;
    esac
done < "$tmp.out"
models_in=""
for m in $built; do
    case " $left_out " in *" $m "*) ;; *) models_in="$models_in $m" ;; esac
done
for m in $left_out; do echo "#define NM_WITHOUT_$m 1"; done
echo "/* The models nm_run knows in this build (NM_MODELS). */"
echo "#define NM_BUILD_MODELS \"${models_in# }\""
echo "#endif"

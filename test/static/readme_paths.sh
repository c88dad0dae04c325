#!/bin/sh
# readme_paths.sh [FILE...] - every path a README names in backticks exists.
# A word written in backticks that starts with lib/, ports/, demos/, test/ or
# toolchains/ must name a file or folder of the repository (a glob: at least
# one), in README.md and in every room's README and the notes beside them
# (default: every README* and *.md of the tree, build/ aside). Fails with the
# file, the line and the path. Run from the repository's root.
# readme_paths.sh --selftest: the check must fail on a README that names a
# path that is not there, in README.md and in a room's README.
# readme_paths.sh --list: the files checked by default.

# Named in backticks but not in the tree, on purpose:
#   lib/pkgconfig/..., lib/cmake/..., lib/libnetmodels.a: the install tree
#   (under PREFIX), not the source's lib/;
#   *.o, *.a: objects and archives the build makes (under build/).
exempt() {
    case $1 in
        lib/pkgconfig|lib/pkgconfig/*|lib/cmake|lib/cmake/*|lib/libnetmodels.a) return 0 ;;
        *.o|*.a) return 0 ;;
    esac
    return 1
}

docs() {
    find . \( -path ./build -o -path ./.git \) -prune -o -type f \( -name 'README*' -o -name '*.md' \) -print |
        sed 's|^\./||' | sort
}

if [ "$1" = --list ]; then docs; exit 0; fi

if [ "$1" = --selftest ]; then
    tmp=${TMPDIR:-/tmp}/nm-readme-paths.$$
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp"
    bad=0
    sh "$0" > "$tmp/out" || { echo "readme paths: the tree itself fails"; cat "$tmp/out"; exit 1; }
    for room in lib/ test/ toolchains/ demos/; do
        docs | grep -q "^$room.*README" || { echo "readme paths: no README under $room is checked"; bad=1; }
    done
    # A bad path planted in a copy of README.md, and in a copy of a room's README.
    for f in README.md lib/models/README; do
        cp "$f" "$tmp/doc"
        printf 'See `%s` and `%s`.\n' lib/models/no_such_model.cpp toolchains/no-such-board.mk >> "$tmp/doc"
        if sh "$0" "$tmp/doc" > "$tmp/out"; then
            echo "readme paths: a missing path planted in $f passed"; bad=1
        elif ! grep -q 'lib/models/no_such_model.cpp' "$tmp/out" || ! grep -q 'toolchains/no-such-board.mk' "$tmp/out"; then
            echo "readme paths: the planted paths are not named:"; cat "$tmp/out"; bad=1
        fi
    done
    # The exceptions hold, and only they: an install path and an object pass.
    printf '`lib/pkgconfig/netmodels.pc`, `lib/models/epoll.o`, `test/invariants/inv_*.cpp`\n' > "$tmp/doc"
    sh "$0" "$tmp/doc" > "$tmp/out" || { echo "readme paths: an exempt path or a glob failed:"; cat "$tmp/out"; bad=1; }
    printf '`test/invariants/inv_nothing*.cpp`\n' > "$tmp/doc"
    sh "$0" "$tmp/doc" > "$tmp/out" && { echo "readme paths: a glob matching nothing passed"; bad=1; }
    [ $bad -eq 0 ] && echo "readme paths: a missing path is caught, in README.md and in a room's README"
    exit $bad
fi

[ $# -gt 0 ] || set -- $(docs)
out=${TMPDIR:-/tmp}/nm-readme-paths-out.$$
# file:line:word for every backticked word with one of the prefixes, outside
# fenced code blocks.
awk '
    FNR == 1 { fenced = 0 }
    /^```/ { fenced = !fenced; next }
    fenced { next }
    {
        line = $0
        while (match(line, /`[^`]+`/)) {
            span = substr(line, RSTART + 1, RLENGTH - 2)
            line = substr(line, RSTART + RLENGTH)
            n = split(span, words, /[ \t]+/)
            for (i = 1; i <= n; i++)
                if (words[i] ~ /^(lib|ports|demos|test|toolchains)\//) print FILENAME ":" FNR ":" words[i]
        }
    }
' "$@" | while IFS= read -r hit; do
    word=${hit##*:}
    where=${hit%:*}
    word=${word%[,.;:)]}
    exempt "$word" && continue
    case $word in
        *[*?[]*) set -- $word; [ -e "$1" ] && continue ;;
        *) [ -e "$word" ] && continue ;;
    esac
    echo "$where: \`$word\` names no file or folder of the repository"
done > "$out"
if [ -s "$out" ]; then
    cat "$out"
    rm -f "$out"
    exit 1
fi
rm -f "$out"
echo "readme paths: every path named in backticks is there ($# files)"

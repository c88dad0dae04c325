#!/bin/sh
# readme_models.sh [README [LIST]] - the table under "## Models" in README.md
# names exactly the models of lib/models/models.def, each once; and the
# check itself fails on a README missing a model of the list.
readme=${1:-README.md}
list=${2:-lib/models/models.def}
tmp=${TMPDIR:-/tmp}/nm-readme-models.$$
fails=0
fail() { echo "FAIL $1"; fails=$((fails + 1)); }

listed() { sed -n 's/^NM_MODEL( *\([A-Za-z0-9_]*\) *,.*/\1/p' "$list" | sort; }
# The first column of the table's rows, up to the next heading.
documented() { sed -n '/^## Models$/,/^#/ s/^| `\([A-Za-z0-9_]*\)` |.*/\1/p' "$1" | sort; }

# differences README: one line per model in one list and not the other.
differences() {
    listed > "$tmp.list"
    documented "$1" > "$tmp.doc"
    comm -23 "$tmp.list" "$tmp.doc" | sed 's/^/missing from README: /'
    comm -13 "$tmp.list" "$tmp.doc" | sed 's/^/in README but not in the list: /'
    uniq -d "$tmp.doc" | sed 's/^/twice in README: /'
}

out=$(differences "$readme")
if [ -n "$out" ]; then
    echo "$out" | while IFS= read -r line; do echo "FAIL $line"; done
    fails=$((fails + 1))
else
    echo "ok   README's model table names the $(listed | wc -l) models of $list"
fi

one=$(listed | tail -1)
grep -v "^| \`$one\` |" "$readme" > "$tmp.readme"
if [ -z "$(differences "$tmp.readme")" ]; then
    fail "the check misses a README without $one"
else
    echo "ok   a README without $one fails the check"
fi
rm -f "$tmp.list" "$tmp.doc" "$tmp.readme"
[ $fails -eq 0 ]

#!/bin/sh
# readme_models.sh [README [LIST [MODELS_README]]] - the model tables name
# exactly the models of lib/models/models.def, each once: README.md's under
# "## Choosing a model", and in lib/models/README the definitions (the
# tables under "## What a model is") and the costs (under "## Choosing,
# with the costs"). The check itself fails on a README missing a model of
# the list.
readme=${1:-README.md}
list=${2:-lib/models/models.def}
models_readme=${3:-lib/models/README}
tmp=${TMPDIR:-/tmp}/nm-readme-models.$$
fails=0
fail() { echo "FAIL $1"; fails=$((fails + 1)); }

listed() { sed -n 's/^NM_MODEL( *\([A-Za-z0-9_]*\) *,.*/\1/p' "$list" | sort; }
# documented FILE HEADING: the first column of the table rows in the section
# under "## HEADING", up to the next "## " heading.
documented() {
    awk -v h="## $2" '$0 == h { on = 1; next } on && /^## / { on = 0 } on' "$1" |
        sed -n 's/^| `\([A-Za-z0-9_]*\)` |.*/\1/p' | sort
}

# differences FILE HEADING: one line per model in one list and not the other.
differences() {
    listed > "$tmp.list"
    documented "$1" "$2" > "$tmp.doc"
    comm -23 "$tmp.list" "$tmp.doc" | sed 's/^/missing: /'
    comm -13 "$tmp.list" "$tmp.doc" | sed 's/^/not in the list: /'
    uniq -d "$tmp.doc" | sed 's/^/twice: /'
}

# table FILE HEADING: the check of one table.
table() {
    out=$(differences "$1" "$2")
    if [ -n "$out" ]; then
        echo "$out" | while IFS= read -r line; do echo "FAIL $1, \"## $2\": $line"; done
        fails=$((fails + 1))
    else
        echo "ok   $1, \"## $2\", names the $(listed | wc -l) models of $list"
    fi
}

table "$readme" "Choosing a model"
table "$models_readme" "What a model is"
table "$models_readme" "Choosing, with the costs"

one=$(listed | tail -1)
grep -v "^| \`$one\` |" "$readme" > "$tmp.readme"
if [ -z "$(differences "$tmp.readme" "Choosing a model")" ]; then
    fail "the check misses a README without $one"
else
    echo "ok   a README without $one fails the check"
fi
rm -f "$tmp.list" "$tmp.doc" "$tmp.readme"
[ $fails -eq 0 ]

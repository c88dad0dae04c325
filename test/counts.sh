# shellcheck shell=sh
# counts.sh - sourced by the shell checks: the closing counts line every test
# program and script ends with, and skips said the way check.h says them.
#
#   "N passed, N failed, N skipped"   (", N skipped" may be absent)
#   "  skipped: WHAT: WHY (feature F)" one line per skip; F, when the skip is
#                                      for want of a feature of the machine,
#                                      is a word of NM_FEATURES.

# The features a skip can name (test/run.sh's header says what each is).
NM_FEATURES="io_uring multishot bundle ipv6 nofile valgrind clang libmodbus redis python3 pkg-config netns"

# nm_counts: the last counts line of stdin into $counts, its numbers into
# $p $f $s ($counts empty when there is none).
nm_counts() {
    counts=$(grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
    p=${counts%% passed*}
    f=${counts#*, }; f=${f%% failed*}
    s=0
    case $counts in *" skipped") s=${counts##*, }; s=${s%% skipped} ;; esac
}

# nm_required FEATURE: FEATURE is named in NM_REQUIRE_FEATURES.
nm_required() { case " $(echo ${NM_REQUIRE_FEATURES:-}) " in *" $1 "*) return 0 ;; esac; return 1; }

# nm_skip WHAT FEATURE WHY: say that WHAT was skipped (FEATURE may be empty);
# status 1, and a FAIL line instead, when FEATURE is required.
nm_skip() {
    if [ -n "$2" ] && nm_required "$2"; then
        echo "  FAIL $1: required feature $2 (NM_REQUIRE_FEATURES) is missing: $3"
        return 1
    fi
    echo "  skipped: $1: $3${2:+ (feature $2)}"
}

# The tallies of a script that adds checks up (test/run.sh): it sets
# passed, failed, skipped, failures and skips_file (where each skip's line
# goes) before these.

# nm_record NAME LOG RC: one check's line; its log's counts added (one
# passed or failed, by RC, when the log has none), its skips listed. A
# check all of whose tests were skipped says "skip".
nm_record() {
    nm_counts < "$2"
    if [ -z "$counts" ]; then
        s=0
        if [ "$3" -eq 0 ]; then p=1; f=0; else p=0; f=1; fi
    fi
    [ "$3" -ne 0 ] && [ "$f" -eq 0 ] && f=1
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    [ "$s" -gt 0 ] && grep -E '^ *skipped: ' "$2" | sed 's/^ *skipped: //' >> "$skips_file"
    if [ "$3" -ne 0 ]; then
        printf 'FAIL  %-48s %s (log: %s)\n' "$1" "${counts:-}" "$2"
        grep -E 'FAIL|failed|error' "$2" | head -8 | sed 's/^/      /'
        failures="$failures $1"
    elif [ "$p" -eq 0 ] && [ "$s" -gt 0 ]; then
        printf 'skip  %-48s %s\n' "$1" "$counts"
    else
        printf 'ok    %-48s %s\n' "$1" "${counts:-}"
    fi
}

# nm_skip_check NAME FEATURE WHY: a whole check not run for WHY (FEATURE
# may be empty): one skip, or one failure when FEATURE is required.
nm_skip_check() {
    if [ -n "$2" ] && nm_required "$2"; then
        printf 'FAIL  %-48s required feature %s (NM_REQUIRE_FEATURES) is missing: %s\n' "$1" "$2" "$3"
        failed=$((failed + 1))
        failures="$failures $1"
        return
    fi
    printf 'skip  %-48s %s\n' "$1" "$3${2:+ (feature $2)}"
    skipped=$((skipped + 1))
    echo "$1: $3${2:+ (feature $2)}" >> "$skips_file"
}

# nm_features_known: a failure for each word of NM_REQUIRE_FEATURES that
# is not a feature (a misspelt one would require nothing).
nm_features_known() {
    for w in ${NM_REQUIRE_FEATURES:-}; do
        case " $NM_FEATURES " in *" $w "*) continue ;; esac
        echo "FAIL  NM_REQUIRE_FEATURES names '$w', which is no feature; they are: $NM_FEATURES"
        failed=$((failed + 1))
        failures="$failures NM_REQUIRE_FEATURES"
    done
}

# nm_skips_said FILE...: what was skipped and why, a line each, the first 12.
nm_skips_said() {
    nm_n=$(cat "$@" 2> /dev/null | wc -l)
    [ "$nm_n" -gt 0 ] || return 0
    echo "skipped:"
    cat "$@" 2> /dev/null | head -12 | sed 's/^/  /'
    [ "$nm_n" -gt 12 ] && echo "  (and $((nm_n - 12)) more: $*)"
    return 0
}

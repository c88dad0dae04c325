#!/bin/sh
# skips.sh BUILD - a skip is counted apart and says why, a skip of a feature
# named in NM_REQUIRE_FEATURES fails, and a failed probe is a failure: each
# through the programs and scripts that make check runs. A skip is forced
# where a test meets it: a descriptor limit below FD_SETSIZE (select's test),
# an nmserve without the model, a PATH without redis-cli.
B=${1:-build/host}
. test/counts.sh
dir=${TMPDIR:-/tmp}/nm-skips.$$
mkdir -p "$dir/path"
trap 'rm -rf "$dir"' EXIT
unset NM_REQUIRE_FEATURES   # CI's; each case below sets its own
n=0 bad=0

# expect WHAT RC LINE CMD...: CMD exits RC (0 or not 0) and prints LINE.
expect() {
    what=$1 rc=$2 line=$3
    shift 3
    "$@" > "$dir/out" 2>&1
    got=$?
    n=$((n + 1))
    if { [ "$rc" = 0 ] && [ $got -ne 0 ]; } || { [ "$rc" != 0 ] && [ $got -eq 0 ]; }; then
        echo "FAIL $what: exit $got"
    elif ! grep -qxF -- "$line" "$dir/out"; then
        echo "FAIL $what: no line '$line'"
    else
        echo "ok   $what"
        return
    fi
    sed 's/^/     /' "$dir/out" | tail -5
    bad=$((bad + 1))
}

low() { ulimit -n 1000 && "$@"; }   # hard and soft: select's test cannot go past FD_SETSIZE
expect "a skipped unit test is counted apart" 0 "0 passed, 0 failed, 1 skipped" \
    low "$B/test/unit" select_refuses_fds
grep -q '^  skipped: select_refuses_fds_past_fd_setsize: .* (feature nofile)$' "$dir/out" ||
    { echo "FAIL the skip's line does not say why and which feature"; bad=$((bad + 1)); }
expect "a skip of a required feature fails the test program" 1 "0 passed, 1 failed, 0 skipped" \
    env NM_REQUIRE_FEATURES="ipv6 nofile" sh -c 'ulimit -n 1000 && exec "$0" select_refuses_fds' "$B/test/unit"
expect "the invariants fail when nmserve cannot be asked for its models" 1 "0 passed, 1 failed, 0 skipped" \
    env NM_TEST_FILTER=coroutine_resumes "$B/test/invariants" "$dir/no-nmserve"
if [ -x "$B/small/nmserve" ]; then   # the proactor alone
    expect "an invariant of a model the build lacks is skipped" 0 "0 passed, 0 failed, 1 skipped" \
        env NM_TEST_FILTER=coroutine_resumes "$B/test/invariants" "$B/small/nmserve"
fi

# A PATH of the tools resp.sh needs, without redis-cli.
for t in sh env timeout sleep grep sed head tail cat mkdir rm kill tr dirname python3; do
    p=$(command -v $t) && ln -s "$p" "$dir/path/$t"
done
expect "resp.sh without redis-cli: one skip" 0 "0 passed, 0 failed, 1 skipped" \
    env PATH="$dir/path" sh test/protocols/resp.sh "$B" epoll
expect "resp.sh without redis-cli, redis required: a failure" 1 "0 passed, 1 failed, 0 skipped" \
    env PATH="$dir/path" NM_REQUIRE_FEATURES=redis sh test/protocols/resp.sh "$B" epoll

# test/run.sh's tallies (test/counts.sh) over logs made up here.
tally() {
    passed=0 failed=0 skipped=0 failures="" skips_file=$dir/skips.txt
    : > "$skips_file"
    printf '  skipped: t1: no io_uring here (feature io_uring)\nskip t1 (0 ms)\n2 passed, 0 failed, 1 skipped\n' > "$dir/a.log"
    printf 'ok   t2 (0 ms)\n3 passed, 0 failed\n' > "$dir/b.log"
    printf '0 passed, 0 failed, 2 skipped\n' > "$dir/c.log"
    nm_record "three tests, one skipped" "$dir/a.log" 0
    nm_record "an older program's line" "$dir/b.log" 0
    nm_record "all skipped" "$dir/c.log" 0
    nm_skip_check "a check not run" redis "no redis-cli"
    nm_features_known
    nm_skips_said "$skips_file"
    echo "$passed passed, $failed failed, $skipped skipped"
}
expect "run.sh adds skips apart" 0 "5 passed, 0 failed, 4 skipped" tally
grep -q '^skip  all skipped ' "$dir/out" && grep -qx '  t1: no io_uring here (feature io_uring)' "$dir/out" &&
    grep -qx '  a check not run: no redis-cli (feature redis)' "$dir/out" ||
    { echo "FAIL run.sh's lines and list of skips:"; cat "$dir/out"; bad=$((bad + 1)); }
required_tally() (NM_REQUIRE_FEATURES=$1 && tally)
expect "run.sh fails a required feature's skip" 0 "5 passed, 1 failed, 3 skipped" required_tally redis
expect "run.sh fails a word of NM_REQUIRE_FEATURES that is no feature" 0 "5 passed, 1 failed, 4 skipped" \
    required_tally io-uring
echo "$((n - bad)) passed, $bad failed, 0 skipped"
[ $bad -eq 0 ]

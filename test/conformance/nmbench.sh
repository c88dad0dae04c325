#!/bin/sh
# nmbench.sh BUILD - the load client's own checks: a bad option is one line
# and exit 2; --rate R sends R requests a second whatever the server's pace
# (due = R x seconds, every one answered but those in flight at the end).
B=${1:-build/host}
. "$(dirname "$0")/../protocols/serve.sh"
serve_checks nmbench
for args in "--rate -1" "--rate 100 --close" "--rate 100 --pipeline 2"; do
    # shellcheck disable=SC2086 # the options, one word each
    "$B/nmbench" -p 1 $args > /dev/null 2> "$tmp/err"
    rc=$?
    if [ $rc = 2 ] && [ "$(wc -l < "$tmp/err")" = 1 ]; then ok "nmbench $args: $(cat "$tmp/err")"
    else bad "nmbench $args: exit $rc, $(wc -l < "$tmp/err") lines"
    fi
done
serve_start "$tmp/out" "$B/nmserve" --model epoll --port 0
if [ -z "$port" ]; then
    bad "nmserve did not start: $(head -1 "$tmp/out")"
else
    "$B/nmbench" -p "$port" -c 4 -d 2 --rate 400 > "$tmp/bench" 2>&1
    rc=$?
    due=$(sed -n 's/.* due=\([0-9]*\).*/\1/p' "$tmp/bench")
    done=$(sed -n 's/^requests=\([0-9]*\) .*/\1/p' "$tmp/bench")
    if [ $rc = 0 ] && [ "${due:-0}" -ge 799 ] && [ "${due:-0}" -le 801 ] && [ "${done:-0}" -ge $((due - 4)) ] &&
       [ "${done:-0}" -le "$due" ]; then
        ok "--rate 400 for 2 s: $done answered of $due due"
    else
        bad "--rate 400 for 2 s: exit $rc, $(tr '\n' ' ' < "$tmp/bench")"
    fi
    serve_stop || bad "nmserve did not stop on SIGTERM"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

#!/bin/sh
# resp.sh BUILD [MODEL...] - the RESP demo (demos/resp.c) under a few models
# beside a real redis-server (nothing saved, no append-only file), measured
# by redis-benchmark: SET and GET, 50 clients, 100000 requests, without and
# with a pipeline of 16. Three rounds, the servers interleaved in each (so a
# busy moment of a shared machine spreads over all of them); the table has
# each figure's median over the rounds and its ratio to redis-server.
# A blocking model whose keep-alive client holds one of its workers cannot
# serve 50 clients at once (thread_pool: 16 workers at most); such a model is
# named MODEL@C: run with --threads C under C clients, and compared with
# redis-server@C, redis-server under C clients.
# A measurement, not a test: it is not part of make check.
B=${1:-build/host}
[ $# -gt 0 ] && shift
logs=$B/test/logs
mkdir -p "$logs"
for tool in redis-benchmark redis-cli redis-server; do
    command -v $tool > /dev/null 2>&1 || { echo "$tool missing (Debian: redis-tools, redis-server)"; exit 1; }
done
rounds=${NM_BENCH_ROUNDS:-3}
requests=${NM_BENCH_REQUESTS:-100000}
models=$*
if [ -z "$models" ]; then
    list=$("$B/nmserve" --list)
    for m in epoll multi_reactor process_pool_reactors thread_pool@16 proactor; do
        printf '%s\n' "$list" | grep -qx "${m%@*}" && models="$models $m"
    done
fi
. "$(dirname "$0")/../protocols/serve.sh"
servers="$models redis-server"
for m in $models; do
    case $m in *@*) printf '%s\n' $servers | grep -qx "redis-server@${m#*@}" || servers="$servers redis-server@${m#*@}" ;; esac
done
clients_of() { case $1 in *@*) echo "${1#*@}" ;; *) echo 50 ;; esac; }

# start SERVER: its pid into $pid and port into $port, or a message and 1.
start() {
    out=$logs/bench-resp-$1.out
    case $1 in *@*) threads="--threads ${1#*@}" ;; *) threads= ;; esac
    if [ "${1%@*}" = redis-server ]; then
        port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2> /dev/null \
               || echo $((20000 + $$ % 20000)))
        redis-server --save '' --appendonly no --port "$port" --bind 127.0.0.1 > "$out" 2>&1 &
        pid=$!
        n=0
        until [ "$(timeout 2 redis-cli -p "$port" ping 2> /dev/null)" = PONG ]; do
            n=$((n + 1))
            [ $n -lt 50 ] && kill -0 $pid 2> /dev/null || { echo "redis-server did not start: $(tail -1 "$out")"; return 1; }
            sleep 0.1
        done
        return 0
    fi
    serve_start "$out" "$B/nmserve" --protocol resp --model "${1%@*}" $threads --port 0
    [ -n "$port" ] || { echo "$1 did not start: $(head -1 "$out")"; return 1; }
}

# measure: one line per figure into $results: SERVER TEST PIPELINE RPS.
results=$logs/bench-resp.results
: > "$results"
r=1
while [ "$r" -le "$rounds" ]; do
    for s in $servers; do
        start "$s" || continue
        for p in 1 16; do
            timeout 300 redis-benchmark -p "$port" -t set,get -n "$requests" -c "$(clients_of "$s")" -P $p -q 2>&1 |
                tr '\r' '\n' | sed -n 's/^\([A-Z]*\): \([0-9.]*\) requests per second.*/\1 \2/p' |
                while read -r test rps; do echo "$s $test $p $rps"; done >> "$results"
        done
        serve_stop
    done
    echo "round $r of $rounds done" >&2
    r=$((r + 1))
done

# median SERVER TEST PIPELINE: the median of the rounds' figures (0: none).
median() {
    awk -v s="$1" -v t="$2" -v p="$3" '$1 == s && $2 == t && $3 == p { print $4 }' "$results" | sort -n |
        awk '{ v[NR] = $1 } END { if (!NR) print 0; else if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "redis-benchmark -t set,get -n $requests -c 50 (SERVER@C: -c C), median of $rounds rounds, requests/s (ratio to redis-server)"
printf '%-24s %18s %18s %18s %18s\n' server SET GET "SET -P 16" "GET -P 16"
for s in $servers; do
    line=$(printf '%-24s' "$s")
    for p in 1 16; do
        for t in SET GET; do
            v=$(median "$s" $t $p)
            ref=$(median "redis-server${s#"${s%@*}"}" $t $p)
            cell=$(awk -v v="$v" -v r="$ref" 'BEGIN { if (r > 0) printf "%.0f (%.2f)", v, v / r; else printf "%.0f", v }')
            line="$line$(printf ' %18s' "$cell")"
        done
    done
    echo "$line"
done

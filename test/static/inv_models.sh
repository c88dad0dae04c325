#!/bin/sh
# inv_models.sh BUILD - NM_INV_MODELS leaves out the invariants named after
# a model it does not list (the longest model name a test's name begins
# with), and no other: neither run nor counted. Run against a program that
# is no server, every test fails at once and its line names it.
B=${1:-build/host}
n=0 bad=0

# ran MODELS FILTER: the tests that run, in one line.
ran() {
    NM_INV_MODELS=$1 NM_TEST_FILTER=$2 timeout 60 "$B/test/invariants" /bin/false 2>&1 |
        sed -n 's/^[a-zA-Z]* *\([a-z0-9_]*\) ([0-9]* ms)$/\1/p' | tr '\n' ' '
}

# expect WHAT GOT WANT: GOT is WANT.
expect() {
    n=$((n + 1))
    if [ "$2" = "$3" ]; then
        echo "ok   $1"
    else
        echo "FAIL $1: ran '$2', not '$3'"
        bad=$((bad + 1))
    fi
}

pool="thread_pool_fixed_workers thread_pool_full_queue_refuses_past_the_queue_wait thread_pool_full_queue_waits_for_a_place"
per_conn="thread_per_conn_one_thread_per_connection thread_per_conn_refuses_past_the_stack_pool"
burst=burst_thread_per_conn_at_its_cap_all_answered
f="thread_pool_f thread_per_conn_"
expect "every model: every test" "$(ran "" "$f")" "$burst $per_conn $pool "
expect "thread_pool: its tests, and those named after no model" "$(ran thread_pool "$f")" "$burst $pool "
expect "thread_per_conn: its tests" "$(ran "epoll thread_per_conn" "$f")" "$burst $per_conn "
expect "multi_reactor: not multi_reactor_worker_pool's" "$(ran multi_reactor multi_reactor)" \
    "multi_reactor_sub_loops_own_connections_for_life "
expect "multi_reactor_worker_pool: not multi_reactor's" "$(ran multi_reactor_worker_pool multi_reactor)" \
    "multi_reactor_worker_pool_handler_runs_on_a_worker "
counts=$(NM_INV_MODELS=thread_pool NM_TEST_FILTER="$f" "$B/test/invariants" /bin/false 2>&1 | tail -1)
expect "the tests left out are not counted" "$counts" "0 passed, 4 failed, 0 skipped"
err=$(NM_INV_MODELS="epoll threadpool" "$B/test/invariants" /bin/false 2>&1)
expect "a word that is no model: one line, exit 2" "$err, exit $?" "NM_INV_MODELS names 'threadpool', which is no model, exit 2"

echo "$((n - bad)) passed, $bad failed"
[ "$bad" -eq 0 ]

# procs.sh - sourced by the bench scripts: a server's process tree and the
# CPU time it has used.

# tree ROOT: ROOT and every process descended from it, one pid a line.
tree() {
    cat /proc/[0-9]*/stat 2> /dev/null | awk -v root="$1" '
        { parent[$1] = $4 }
        END {
            seen[root] = 1; print root
            for (grew = 1; grew; ) {
                grew = 0
                for (p in parent) if (!(p in seen) && (parent[p] in seen)) { seen[p] = 1; print p; grew = 1 }
            }
        }'
}

# cpu_ticks ROOT: "user system" clock ticks used by ROOT's tree so far, its
# reaped children included (utime + cutime, stime + cstime of each process:
# a fork_per_conn child that ended is in its parent's c-fields). The command
# name, in parentheses, may hold spaces: the fields are counted after it.
cpu_ticks() {
    files=""
    for p in $(tree "$1"); do [ -r "/proc/$p/stat" ] && files="$files /proc/$p/stat"; done
    [ -n "$files" ] || { echo "0 0"; return; }
    # shellcheck disable=SC2086
    cat $files 2> /dev/null | sed 's/^.*) //' | awk '{ u += $12 + $14; s += $13 + $15 } END { print u + 0, s + 0 }'
}

CLK_TCK=$(getconf CLK_TCK 2> /dev/null || echo 100)

# per_request_us TICKS REQUESTS: microseconds of CPU per request.
per_request_us() { awk -v t="$1" -v n="$2" -v hz="$CLK_TCK" 'BEGIN { if (n > 0) printf "%.2f", t * 1e6 / hz / n; else printf "0" }'; }

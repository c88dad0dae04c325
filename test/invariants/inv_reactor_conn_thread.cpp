/* reactor_conn_thread: a ready connection's reads and writes run on a
 * short-lived thread, and the connection goes back to its loop afterwards:
 * it stays open and served, while no such thread is left between requests. */
#include "inv_family.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

TEST(reactor_conn_thread_io_on_a_short_lived_thread)
{
    tc_server s;
    REQUIRE(inv_start(&s, "reactor_conn_thread", "--threads", "2", (const char *)0) == 0);
    CHECK_EQ(fam_wait_threads(s.pid, "nm-loop", 2), 2);
    tc_conn c;
    char body[64];
    REQUIRE(!tc_connect(&c, s.port));
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(fam_get(&c, "/thread", body, sizeof(body)), 200);
        CHECK(!strcmp(body, "nm-conn-io"));
        /* Between requests the connection is back with its loop, no thread holds it. */
        CHECK_EQ(fam_wait_threads(s.pid, "nm-conn-io", 0), 0);
    }
    CHECK_EQ(fam_threads(s.pid, "nm-"), 2);
    tc_close(&c);
    CHECK_EQ(fam_pipelined_echo_16(s.port), 16);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

/* CPU time (user + system) the process has used, in ms; -1 if unknown. */
static long cpu_ms(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')');   /* the name may hold spaces */
    unsigned long ut = 0, st = 0;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2) return -1;
    return (long)((ut + st) * 1000 / (unsigned long)sysconf(_SC_CLK_TCK));
}

/* Stacks are shared by the loops: when one loop's slow requests hold them
 * all, a connection of the other loop waits for a stack without spinning,
 * and every request is answered once stacks come back. Connections are
 * placed on the sub-loops in turn, so the even ones share a loop. */
TEST(reactor_conn_thread_waits_for_a_stack_without_spinning)
{
    enum { N = 34 };
    tc_server s;
    REQUIRE(inv_start(&s, "reactor_conn_thread", "--threads", "2", (const char *)0) == 0);
    CHECK_EQ(fam_wait_threads(s.pid, "nm-loop", 2), 2);
    static tc_conn c[N];
    int open = 0;
    while (open < N && !tc_connect(&c[open], s.port)) open++;
    REQUIRE(open == N);
    for (int i = 0; i < N; i += 2) CHECK(!tc_send_str(&c[i], "GET /sleep/1500 HTTP/1.1\r\nHost: t\r\n\r\n"));
    int busy = 0;
    for (int i = 0; i < 40 && (busy = fam_threads(s.pid, "nm-conn-io")) < 8; i++) usleep(50 * 1000);
    CHECK(busy >= 8);
    usleep(200 * 1000);   /* every free stack is taken by now */
    CHECK(!tc_send_str(&c[1], "GET / HTTP/1.1\r\nHost: t\r\n\r\n"));
    long before = cpu_ms(s.pid);
    usleep(800 * 1000);
    long used = cpu_ms(s.pid) - before;
    CHECK(before >= 0 && used < 400);   /* a retry per tick, not a loop around the port */
    tc_response r;
    char body[64];
    CHECK(tc_read_response(&c[1], &r, body, sizeof(body)) == 0 && r.status == 200);
    int answered = 0;
    for (int i = 0; i < N; i += 2) answered += tc_read_response(&c[i], &r, body, sizeof(body)) == 0 && r.status == 200;
    CHECK_EQ(answered, N / 2);
    for (int i = 0; i < N; i++) tc_close(&c[i]);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

/* servers.c - several servers in one process, and no process outliving
 * its server, through the public C API only (what a program embedding the
 * library sees). Every check is bounded in time; every process started is
 * reaped or killed before the check ends.
 *
 *   servers same      two servers of every model at once: each answers,
 *                     stops alone (from another thread, within a bound)
 *   servers mixed     two different models at once, the same way
 *   servers orphans   the parent of every multi-process model killed by
 *                     SIGKILL, and by SIGTERM without a handler: nothing
 *                     of it is left answering, no process of its group
 *   servers options   handle_signals, max_threads, nm_last_error per thread,
 *                     a stale server pointer stops nothing
 *   servers pools     servers started at once past a shared pool: those
 *                     that fit start, the others are refused naming the
 *                     pool; a system call's failure keeps its errno
 *   servers timers    threads of the program's start and stop timers and
 *                     watch descriptors of a running server at once: ids
 *                     unique, every timer fires, every watch is called
 *
 * Ends with "N passed, N failed, N skipped" as the other test programs do. */
#define _GNU_SOURCE
#include "netmodels.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { STOP_BOUND_MS = 6000, GETS = 5 };

static int passed, failed, skipped;

static void check(int ok, const char *what, const char *model)
{
    if (ok) passed++;
    else {
        failed++;
        printf("FAIL %s (%s)\n", what, model);
        fflush(stdout);
    }
}

static long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000L + t.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, 0);
}

/* ---- the server side ---------------------------------------------------- */

/* "/" answers the requests this server has counted before this one. */
static int count_handler(const nm_request *req, nm_response *res, void *user)
{
    nm_stats st;
    char body[32];
    (void)user;
    nm_server_stats(req->server, &st);
    int n = snprintf(body, sizeof(body), "%lu", st.requests);
    return nm_resp_body(res, body, (size_t)n);
}

struct running {
    const char *model;
    nm_config cfg;
    pthread_t thread;
    nm_server *srv;     /* set by on_ready */
    int port;
    int rc;
    int done;
    long returned_at;
    char error[200];    /* nm_last_error() and errno on nm_run's thread, as it returned */
    int err;
};

static void on_ready(const nm_server *srv, int port, void *user)
{
    struct running *r = user;
    r->port = port;
    __atomic_store_n(&r->srv, (nm_server *)srv, __ATOMIC_RELEASE);
}

static void *serve(void *arg)
{
    struct running *r = arg;
    nm_handler h = { count_handler, 0 };
    r->rc = nm_run(r->model, &r->cfg, &h);
    r->err = errno;
    snprintf(r->error, sizeof(r->error), "%s", nm_last_error());
    r->returned_at = now_ms();
    __atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
    return 0;
}

/* Start `model` on a thread with `threads` (NM_DEFAULT: the model's own), not
 * waiting: -1 if no thread was started. */
static int launch(struct running *r, const char *model, int threads)
{
    memset(r, 0, sizeof(*r));
    r->model = model;
    nm_config_init(&r->cfg);
    r->cfg.port = 0;
    r->cfg.workers = 2;
    r->cfg.threads = threads;
    r->cfg.on_ready = on_ready;
    r->cfg.user = r;
    if (pthread_create(&r->thread, 0, serve, r)) {
        r->done = 1;
        return -1;
    }
    return 0;
}

/* 0 once the server launched is ready, -1 if it never was (nm_run returned). */
static int ready(struct running *r)
{
    for (long end = now_ms() + 10000; now_ms() < end; sleep_ms(5)) {
        if (__atomic_load_n(&r->srv, __ATOMIC_ACQUIRE)) return 0;
        if (__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) break;
    }
    return -1;
}

/* Start `model` on a thread; 0 once it is ready, -1 if it never was. */
static int start(struct running *r, const char *model)
{
    return launch(r, model, NM_DEFAULT) ? -1 : ready(r);
}

/* Stop it from this thread: 1 when nm_run returned NM_OK within the bound. */
static int stop(struct running *r)
{
    if (!__atomic_load_n(&r->srv, __ATOMIC_ACQUIRE)) nm_server_stop(0);   /* never ready: stop all */
    else nm_server_stop(r->srv);
    long asked = now_ms();
    while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) && now_ms() - asked < STOP_BOUND_MS) sleep_ms(5);
    if (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
        printf("  %s: nm_run still running %d ms after the stop\n", r->model, STOP_BOUND_MS);
        return 0;   /* the thread is left running: the program ends with a failure */
    }
    pthread_join(r->thread, 0);
    return r->rc == NM_OK;
}

/* ---- the client side ---------------------------------------------------- */

static int dial(int port)
{
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons((unsigned short)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct timeval tv = { 3, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
        close(fd);
        return -1;
    }
    return fd;
}

/* One GET /: the number in the body, or -1 on any failure. */
static long get(int port)
{
    int fd = dial(port);
    if (fd < 0) return -1;
    const char *q = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    char buf[1024];
    size_t got = 0;
    if (send(fd, q, strlen(q), MSG_NOSIGNAL) != (ssize_t)strlen(q)) got = sizeof(buf);
    for (ssize_t n; got < sizeof(buf) - 1 && (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0;) got += (size_t)n;
    close(fd);
    if (got >= sizeof(buf)) return -1;
    buf[got] = 0;
    const char *body = strstr(buf, "\r\n\r\n");
    if (strncmp(buf, "HTTP/1.1 200", 12) || !body) return -1;
    return strtol(body + 4, 0, 10);
}

static int answers(int port, int times)
{
    for (int i = 0; i < times; i++)
        if (get(port) < 0) return 0;
    return 1;
}

/* No one accepts on the port any more (within a bound: a listener's last
 * copy may take a moment to go). */
static int port_closed(int port, long bound_ms)
{
    for (long end = now_ms() + bound_ms;; sleep_ms(20)) {
        int fd = dial(port);
        if (fd < 0) return 1;
        close(fd);
        if (now_ms() > end) return 0;
    }
}

/* ---- two servers at once ------------------------------------------------ */

/* a and b at once: both answer; a stops alone (b still answers, counting
 * its own requests only); then b stops. */
static void two_at_once(const char *a_model, const char *b_model)
{
    char what[96];
    snprintf(what, sizeof(what), "%s + %s", a_model, b_model);
    struct running a, b;
    int a_up = start(&a, a_model) == 0;
    int b_up = start(&b, b_model) == 0;
    check(a_up && b_up, "both servers start", what);
    if (a_up && b_up) {
        check(answers(a.port, GETS), "the first answers", what);
        check(answers(b.port, GETS), "the second answers", what);
    }
    check(stop(&a), "the first stops (from another thread) within the bound", what);
    if (a_up && b_up) {
        check(port_closed(a.port, 2000), "the first's port is closed once it stopped", what);
        long before = get(b.port);
        check(before >= GETS && before < 2 * GETS, "the second still answers, counting its own requests", what);
        check(answers(b.port, GETS), "the second keeps answering", what);
    }
    check(stop(&b), "the second stops within the bound", what);
    if (b_up) check(port_closed(b.port, 2000), "the second's port is closed", what);
}

/* The models named after the mode (all when none is): under an emulator a
 * representative set, the whole catalogue there would not fit the run. */
static char **only;
static int only_count;

static int selected(const char *model)
{
    for (int i = 0; i < only_count; i++)
        if (!strcmp(only[i], model)) return 1;
    return only_count == 0;
}

static void same_model_twice(void)
{
    for (int i = 0; i < nm_model_count(); i++) {
        if (!selected(nm_model_name(i))) continue;
        printf("%s twice\n", nm_model_name(i));
        fflush(stdout);
        two_at_once(nm_model_name(i), nm_model_name(i));
    }
}

static void two_models(void)
{
    int n = nm_model_count();
    for (int i = 0; i < n; i++) {
        if (!selected(nm_model_name(i))) continue;
        int j = (i + 1) % n;   /* the next selected one */
        while (!selected(nm_model_name(j))) j = (j + 1) % n;
        printf("%s with %s\n", nm_model_name(i), nm_model_name(j));
        fflush(stdout);
        two_at_once(nm_model_name(i), nm_model_name(j));
    }
}

/* ---- no orphans ---------------------------------------------------------- */

static const char *const multi_process[] = {
    "fork_per_conn", "process_pool_reactors", "hybrid", "prefork_shared_accept",
    "prefork_locked_accept", "prefork_reuseport", "prefork_fd_passing",
};

static int has_model(const char *name)
{
    for (int i = 0; i < nm_model_count(); i++)
        if (!strcmp(nm_model_name(i), name)) return 1;
    return 0;
}

static int ready_pipe = -1;

static void tell_port(const nm_server *srv, int port, void *user)
{
    (void)srv;
    (void)user;
    (void)!write(ready_pipe, &port, sizeof(port));
}

/* In a forked program: serve `model`, telling the port on `ready_fd`. */
static int run_program(const char *model, int ready_fd, int handle_signals)
{
    ready_pipe = ready_fd;
    nm_config cfg;
    nm_config_init(&cfg);
    cfg.port = 0;
    cfg.workers = 2;
    cfg.handle_signals = handle_signals;
    cfg.on_ready = tell_port;
    nm_handler h = { count_handler, 0 };
    return nm_run(model, &cfg, &h);
}

/* A program of its own process group serving `model` with no signal
 * handler of its own; its pid, and the port in *port (0: not ready). */
static pid_t start_program(const char *model, int *port)
{
    int p[2];
    *port = 0;
    if (pipe(p)) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        close(p[0]);
        _exit(run_program(model, p[1], 0));
    }
    close(p[1]);
    if (pid > 0) setpgid(pid, pid);
    for (long end = now_ms() + 10000; pid > 0 && now_ms() < end && !*port; sleep_ms(5)) {
        fd_set rd;
        FD_ZERO(&rd);
        FD_SET(p[0], &rd);
        struct timeval step = { 0, 50000 };
        if (select(p[0] + 1, &rd, 0, 0, &step) == 1 && read(p[0], port, sizeof(*port)) != sizeof(*port)) break;
    }
    close(p[0]);
    return pid;
}

/* Every process of the group has ended (and, as this process is their
 * subreaper, been reaped here), within the bound. */
static int group_gone(pid_t pgid, long bound_ms)
{
    for (long end = now_ms() + bound_ms;; sleep_ms(20)) {
        while (waitpid(-1, 0, WNOHANG) > 0) {
        }
        if (kill(-pgid, 0) < 0 && errno == ESRCH) return 1;
        if (now_ms() > end) return 0;
    }
}

static void kill_parent(const char *model, int sig)
{
    char what[96];
    snprintf(what, sizeof(what), "%s, parent killed by %s", model, sig == SIGKILL ? "SIGKILL" : "SIGTERM");
    int port;
    pid_t pid = start_program(model, &port);
    check(pid > 0 && port > 0, "the program starts", what);
    if (pid <= 0) return;
    int held = -1;
    if (port > 0) {
        check(answers(port, 2), "it answers", what);
        held = dial(port);   /* fork_per_conn: a child serving this connection */
        if (held >= 0) (void)!send(held, "GET / HTTP/1.1\r\nHost: t\r\n\r\n", 27, MSG_NOSIGNAL);
        sleep_ms(100);
    }
    kill(pid, sig);
    waitpid(pid, 0, 0);
    if (port > 0) check(port_closed(port, 5000), "nothing answers on its port", what);
    check(group_gone(pid, 5000), "no process of its group is left", what);
    kill(-pid, SIGKILL);   /* whatever the check found left */
    group_gone(pid, 1000);
    if (held >= 0) close(held);
}

static void orphans(void)
{
    prctl(PR_SET_CHILD_SUBREAPER, 1);   /* orphans come here to be counted and reaped */
    for (size_t i = 0; i < sizeof(multi_process) / sizeof(multi_process[0]); i++) {
        if (!has_model(multi_process[i]) || !selected(multi_process[i])) continue;
        printf("%s\n", multi_process[i]);
        fflush(stdout);
        kill_parent(multi_process[i], SIGKILL);
        kill_parent(multi_process[i], SIGTERM);
    }
}

/* ---- options ------------------------------------------------------------- */

static volatile sig_atomic_t program_saw;
static void program_handler(int sig) { program_saw = sig; }

/* A program with a SIGTERM handler of its own runs a server with
 * handle_signals: SIGTERM stops the server (nm_run returns NM_OK), then the
 * program's handler is back. Exit 0 when both hold. */
static int signals_program(void)
{
    int p[2];
    if (pipe(p)) return 3;
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGTERM, program_handler);
        close(p[0]);
        if (run_program("reactor", p[1], 1) != NM_OK || program_saw) _exit(4);
        raise(SIGTERM);
        _exit(program_saw == SIGTERM ? 0 : 5);
    }
    close(p[1]);
    int port = 0;
    int ok = read(p[0], &port, sizeof(port)) == sizeof(port) && answers(port, 1);
    close(p[0]);
    kill(pid, SIGTERM);
    int status = -1;
    long end = now_ms() + STOP_BOUND_MS;
    while (waitpid(pid, &status, WNOHANG) == 0 && now_ms() < end) sleep_ms(10);
    if (now_ms() >= end) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    }
    return ok && WIFEXITED(status) ? WEXITSTATUS(status) : 6;
}

static void *fail_on_thread(void *arg)
{
    nm_handler h = { count_handler, 0 };
    nm_config cfg;
    nm_config_init(&cfg);
    nm_run("no_such_model", &cfg, &h);
    *(int *)arg = strstr(nm_last_error(), "no_such_model") != 0;
    return 0;
}

/* A server pointer kept past its run: a stop through it, once another run
 * took the same slot, leaves that run alone; the calls taking it fail. */
static void noop_call(const nm_server *srv, void *user)
{
    (void)srv;
    (void)user;
}

static void stale_pointer(const char *model)
{
    struct running a, b;
    if (start(&a, model)) {
        check(0, "the first server starts", model);
        return;
    }
    const nm_server *stale = a.srv;
    check(stop(&a), "the first server stops", model);
    if (start(&b, model)) {   /* the slot a left is the first free one: b runs in it */
        check(0, "the second server starts", model);
        return;
    }
    check(b.srv != stale, "a new run hands out another pointer than the last run of its slot", model);
    nm_server_stop(stale);
    sleep_ms(300);
    check(!__atomic_load_n(&b.done, __ATOMIC_ACQUIRE) && answers(b.port, 2),
          "nm_server_stop with the pointer of a finished run: the server now in its slot keeps running", model);
    nm_stats st;
    nm_server_stats(stale, &st);
    check(nm_post(stale, noop_call, 0) == -1 && nm_timer_start(stale, 10, 0, noop_call, 0) == -1 && st.requests == 0,
          "nm_post, nm_timer_start with a finished run's pointer: -1; its stats: zero", model);
    check(stop(&b), "the second server stops with its own pointer", model);
}

static void options(void)
{
    if (!has_model("reactor") || !has_model("pipeline")) {
        printf("  skipped: options: the build has no reactor or no pipeline model\n");
        skipped++;
        return;
    }
    check(signals_program() == 0, "handle_signals: SIGTERM stops the server, the program's handler comes back", "reactor");

    nm_config cfg;
    nm_config_init(&cfg);
    cfg.port = 0;
    cfg.max_threads = 1;   /* the pipeline's two stages need two */
    nm_handler h = { count_handler, 0 };
    const char *capped = "pipeline";
    int rc = nm_run(capped, &cfg, &h);
    check(rc == NM_ERR_USAGE && strstr(nm_last_error(), "max_threads"), "max_threads below what the model starts: a usage error naming it", capped);
    cfg.max_threads = NM_MAX_THREADS + 1;
    check(nm_run(capped, &cfg, &h) == NM_ERR_USAGE && strstr(nm_last_error(), "max_threads"), "max_threads past the pool: a usage error", capped);

    /* nm_last_error is the thread's own */
    pthread_t t;
    int seen = 0;
    pthread_create(&t, 0, fail_on_thread, &seen);
    pthread_join(t, 0);
    check(seen && !strstr(nm_last_error(), "no_such_model"), "nm_last_error is per thread", "-");

    stale_pointer("reactor");
}

static void stop_at_once(const nm_server *srv, int port, void *user)
{
    (void)port;
    (void)user;
    nm_server_stop(srv);
}

/* ---- pools ---------------------------------------------------------------- */

/* n servers of `model` with `threads` each, launched together: those that
 * fit the pools start and answer, the others return NM_ERR_USAGE with
 * `refusal` as their error; then every one stops. */
static void past_a_pool(const char *model, int n, int threads, int fit, const char *refusal)
{
    char what[96];
    snprintf(what, sizeof(what), "%d x %s --threads %d", n, model, threads);
    printf("%s\n", what);
    fflush(stdout);
    struct running r[4];
    for (int i = 0; i < n; i++) launch(&r[i], model, threads);
    int up = 0, refused = 0;
    for (int i = 0; i < n; i++) {
        if (ready(&r[i]) == 0) {
            up++;
            check(answers(r[i].port, 2), "a server that fits answers", what);
            continue;
        }
        pthread_join(r[i].thread, 0);
        r[i].thread = 0;
        if (r[i].rc == NM_ERR_USAGE && !strcmp(r[i].error, refusal)) refused++;
        else printf("  refused with %d, \"%s\" (errno %d); wanted %d, \"%s\"\n", r[i].rc, r[i].error, r[i].err, NM_ERR_USAGE, refusal);
    }
    check(up == fit, "the servers that fit start", what);
    check(refused == n - fit, "the others are a usage error naming the pool, what was asked and what is left", what);
    for (int i = 0; i < n; i++)
        if (r[i].thread) check(stop(&r[i]), "a server that started stops", what);
}

/* nm_run of `model`, stopped once ready: its return, its errno in *e,
 * both printed with nm_last_error(). */
static int run_once(const char *model, int *e)
{
    nm_config cfg;
    nm_config_init(&cfg);
    cfg.port = 0;
    cfg.on_ready = stop_at_once;
    nm_handler h = { count_handler, 0 };
    errno = 0;
    int rc = nm_run(model, &cfg, &h);
    *e = errno;
    printf("  %s: nm_run %d, errno %d, \"%s\"\n", model, rc, *e, nm_last_error());
    fflush(stdout);
    return rc;
}

/* In a child: the lowest descriptor free, then limits from there up, so
 * that nm_run runs out of descriptors at each of its opens in turn. Each
 * NM_ERR_SYSTEM must carry its call's errno (EMFILE). Exit: 0 when at
 * least one was a system error and all kept EMFILE; 1 when none was; 2
 * when one lost its errno. */
static int out_of_descriptors(const char *model)
{
    int lowest = dup(0);
    close(lowest);
    int systems = 0, lost = 0;
    for (int extra = 0; extra < 24; extra++) {
        pid_t pid = fork();
        if (pid == 0) {
            struct rlimit rl = { (rlim_t)(lowest + extra), (rlim_t)(lowest + extra) };
            setrlimit(RLIMIT_NOFILE, &rl);
            int e, rc = run_once(model, &e);
            _exit(rc == NM_ERR_SYSTEM ? (e == EMFILE ? 10 : 11) : 12);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        int code = WIFEXITED(status) ? WEXITSTATUS(status) : 11;
        systems += code == 10 || code == 11;
        lost += code == 11;
    }
    return lost ? 2 : systems ? 0 : 1;
}

/* In a child that may start no thread (RLIMIT_NPROC, as a user the limit
 * binds: root's is not enforced): the model's first thread fails. Exit 0
 * when nm_run returned NM_ERR_SYSTEM with that failure's errno (EAGAIN), 1
 * when it returned something else, 2 when errno was lost. */
static int out_of_threads(const char *model)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit rl = { 1, 1 };
        setrlimit(RLIMIT_NPROC, &rl);
        if (getuid() == 0 && (setgid(65534) || setuid(65534))) _exit(3);
        int e, rc = run_once(model, &e);
        _exit(rc != NM_ERR_SYSTEM ? 1 : e == EAGAIN ? 0 : 2);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 4;
}

static void pools(void)
{
    if (NM_MAX_SERVERS < 3) {
        printf("  skipped: pools: NM_MAX_SERVERS %d runs fewer than 3 servers\n", NM_MAX_SERVERS);
        skipped++;
        return;
    }
    char refusal[128];
    if (has_model("thread_pool") && NM_MAX_THREADS >= 2) {
        /* three servers of half the stacks each: two start */
        int half = NM_MAX_THREADS / 2;
        snprintf(refusal, sizeof(refusal), "thread stacks: %d asked, %d of %d left", half, NM_MAX_THREADS - 2 * half, NM_MAX_THREADS);
        past_a_pool("thread_pool", 3, half, 2, refusal);
    } else if (has_model("thread_pool")) {
        printf("  skipped: pools: NM_MAX_THREADS %d is too few to share\n", NM_MAX_THREADS);
        skipped++;
    }
    /* servers of k loops each (a main loop, k - 1 sub-loops, as many stacks)
     * past the loop pool */
    int k = NM_MAX_LOOPS / 3 + 1, n = NM_MAX_SERVERS < 4 ? NM_MAX_SERVERS : 4;
    if (has_model("multi_reactor") && k >= 2 && NM_MAX_LOOPS / k < n && NM_MAX_THREADS >= (NM_MAX_LOOPS / k) * (k - 1)) {
        snprintf(refusal, sizeof(refusal), "event loops: %d asked, %d of %d left", k, NM_MAX_LOOPS % k, NM_MAX_LOOPS);
        past_a_pool("multi_reactor", n, k - 1, NM_MAX_LOOPS / k, refusal);
    } else if (has_model("multi_reactor")) {
        printf("  skipped: pools: NM_MAX_LOOPS %d, NM_MAX_THREADS %d leave no multi_reactor servers to run past the loop pool\n",
               NM_MAX_LOOPS, NM_MAX_THREADS);
        skipped++;
    }
    /* NM_ERR_SYSTEM's errno is the failed call's */
    const char *const models[] = { "reactor", "thread_pool", "multi_reactor", "actor", "leader_follower", "producer_consumer" };
    for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
        if (!has_model(models[i])) continue;
        int rc = out_of_descriptors(models[i]);
        check(rc != 2, "out of descriptors: NM_ERR_SYSTEM with errno EMFILE", models[i]);
        check(rc != 1, "out of descriptors: some open fails as a system error", models[i]);
    }
    const char *const threaded[] = { "thread_pool", "multi_reactor", "pipeline" };
    for (size_t i = 0; i < sizeof(threaded) / sizeof(threaded[0]); i++)
        if (has_model(threaded[i]))
            check(out_of_threads(threaded[i]) == 0, "no thread can start: NM_ERR_SYSTEM with pthread_create's errno", threaded[i]);
}

/* ---- timers and watches from threads of the program's ------------------- */

enum { CALLERS = 4, ROUNDS = 40 };

struct caller {
    struct running *r;
    int ids[ROUNDS];
    int fired[ROUNDS];     /* set by the timer's call */
    int pipe[2];
    int watched;           /* the watch's calls */
    int refused;
};

static void fire(const nm_server *srv, void *user)
{
    (void)srv;
    __atomic_store_n((int *)user, 1, __ATOMIC_RELEASE);
}

static void never(const nm_server *srv, void *user)
{
    (void)srv;
    __atomic_store_n((int *)user, -1, __ATOMIC_RELEASE);
}

static void readable(const nm_server *srv, int fd, int events, void *user)
{
    struct caller *c = user;
    char b[16];
    (void)srv;
    (void)events;
    if (read(fd, b, sizeof(b)) > 0) __atomic_fetch_add(&c->watched, 1, __ATOMIC_RELAXED);
}

/* A one-shot timer, waiting while every timer runs (one fires or is
 * stopped soon): its id, or -1 after 5 s. */
static int timer_when_free(const nm_server *srv, unsigned ms, nm_call_fn fn, void *arg)
{
    int id;
    for (long end = now_ms() + 5000; (id = nm_timer_start(srv, ms, 0, fn, arg)) < 0 && now_ms() < end;) sleep_ms(1);
    return id;
}

/* A thread of the program's: each round a one-shot timer that fires and
 * one stopped before it can; a watch on a pipe written once, taken away. */
static void *call_from_outside(void *arg)
{
    struct caller *c = arg;
    const nm_server *srv = c->r->srv;
    int spare = 0;
    if (nm_watch(srv, c->pipe[0], NM_EV_READ, readable, c)) c->refused++;
    for (int i = 0; i < ROUNDS; i++) {
        c->ids[i] = timer_when_free(srv, 1, fire, &c->fired[i]);
        int id = timer_when_free(srv, 60000, never, &spare);
        if (id < 0 || nm_timer_stop(srv, id)) c->refused++;
    }
    (void)!write(c->pipe[1], "x", 1);
    for (long end = now_ms() + 5000; !__atomic_load_n(&c->watched, __ATOMIC_ACQUIRE) && now_ms() < end;) sleep_ms(1);
    if (nm_watch(srv, c->pipe[0], 0, 0, 0)) c->refused++;
    if (__atomic_load_n(&spare, __ATOMIC_ACQUIRE)) c->refused++;   /* a stopped timer fired */
    return 0;
}

static void timers(void)
{
    const char *const models[] = { "epoll", "thread_pool", "multi_reactor" };
    for (size_t m = 0; m < sizeof(models) / sizeof(models[0]); m++) {
        if (!has_model(models[m]) || !selected(models[m])) continue;
        const char *what = models[m];
        printf("%s\n", what);
        fflush(stdout);
        struct running r;
        if (start(&r, what)) {
            check(0, "the server starts", what);
            stop(&r);
            continue;
        }
        struct caller c[CALLERS];
        pthread_t t[CALLERS];
        memset(c, 0, sizeof(c));
        for (int i = 0; i < CALLERS; i++) {
            c[i].r = &r;
            if (pipe(c[i].pipe)) c[i].refused++;
            pthread_create(&t[i], 0, call_from_outside, &c[i]);
        }
        for (int i = 0; i < CALLERS; i++) pthread_join(t[i], 0);
        long end = now_ms() + 5000;
        int fired = 0, started = 0, refused = 0, watched = 0;
        for (int i = 0; i < CALLERS; i++) {
            refused += c[i].refused;
            watched += __atomic_load_n(&c[i].watched, __ATOMIC_ACQUIRE) > 0;
            for (int j = 0; j < ROUNDS; j++) {
                started += c[i].ids[j] >= 0;
                while (c[i].ids[j] >= 0 && !__atomic_load_n(&c[i].fired[j], __ATOMIC_ACQUIRE) && now_ms() < end) sleep_ms(1);
                fired += __atomic_load_n(&c[i].fired[j], __ATOMIC_ACQUIRE) == 1;
            }
        }
        int same = 0;   /* an id names one timer: never given twice here (its generation moves on) */
        for (int i = 0; i < CALLERS * ROUNDS; i++)
            for (int j = i + 1; j < CALLERS * ROUNDS; j++)
                same += c[i / ROUNDS].ids[i % ROUNDS] >= 0 && c[i / ROUNDS].ids[i % ROUNDS] == c[j / ROUNDS].ids[j % ROUNDS];
        check(same == 0, "every id is unique", what);
        check(refused == 0, "no call refused (a watch, its end, a timer to stop, its stop), no stopped timer fired", what);
        check(started == CALLERS * ROUNDS, "every timer started", what);
        check(fired == started, "every timer started fires", what);
        check(watched == CALLERS, "every watch is called", what);
        if (fired != started || started != CALLERS * ROUNDS) printf("  %d started, %d fired of %d\n", started, fired, CALLERS * ROUNDS);
        check(stop(&r), "the server stops", what);
        for (int i = 0; i < CALLERS; i++) {
            close(c[i].pipe[0]);
            close(c[i].pipe[1]);
        }
    }
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    const char *what = argc > 1 ? argv[1] : "same";
    only = argv + 2;
    only_count = argc > 2 ? argc - 2 : 0;
    if (!strcmp(what, "same")) same_model_twice();
    else if (!strcmp(what, "mixed")) two_models();
    else if (!strcmp(what, "orphans")) orphans();
    else if (!strcmp(what, "options")) options();
    else if (!strcmp(what, "pools")) pools();
    else if (!strcmp(what, "timers")) timers();
    else {
        fprintf(stderr, "usage: servers same|mixed|orphans|options|pools|timers [MODEL...]\n");
        return 2;
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    fflush(stdout);
    if (failed) _exit(1);   /* a server that never stopped may still hold its thread */
    return 0;
}

/* Listeners beyond IPv4: the forms cfg.host takes, a Unix socket's file
 * (stale one removed, live one or a plain file refused), and a listener
 * handed in through cfg.listen_fd: served, then left open as it was. */
#include "../check.h"
#include "../client.h"
#include "loop/listen.h"
#include "netmodels.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int family_of(const char *host)
{
    nm_listen_addr a;
    char why[160];
    return nm_listen_parse(host, 80, &a, why, sizeof(why)) ? -1 : a.sa.ss_family;
}

TEST(listen_address_forms)
{
    CHECK_EQ(family_of("127.0.0.1"), AF_INET);
    CHECK_EQ(family_of("0.0.0.0"), AF_INET);
    CHECK_EQ(family_of("::"), AF_INET6);
    CHECK_EQ(family_of("::1"), AF_INET6);
    CHECK_EQ(family_of("[::1]"), AF_INET6);
    CHECK_EQ(family_of("unix:/tmp/x"), AF_UNIX);
    CHECK_EQ(family_of("1.2.3"), -1);
    CHECK_EQ(family_of("[::1"), -1);
    CHECK_EQ(family_of("localhost"), -1);   /* no name lookups: numeric only */
    CHECK_EQ(family_of("unix:"), -1);
    char path[200];
    memset(path, 'p', sizeof(path));
    memcpy(path, "unix:/", 6);
    path[sizeof(path) - 1] = 0;
    CHECK_EQ(family_of(path), -1);   /* longer than sun_path */
}

static void scratch_path(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/nm-unit-listen.%d.%s", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid(), name);
    unlink(out);
}

static int bind_unix(const char *host, char *why, size_t n)
{
    nm_listen_addr a;
    if (nm_listen_parse(host, 0, &a, why, n)) return -1;
    return nm_listen_bind(&a, 0, why, n);
}

/* A socket file whose server is gone (bound, never listening, closed) is
 * removed and bound again; one a live listener holds is refused, and so is
 * a path that is not a socket. */
TEST(unix_socket_stale_live_and_not_a_socket)
{
    char path[100], host[110], why[160];
    scratch_path(path, sizeof(path), "sock");
    snprintf(host, sizeof(host), "unix:%s", path);
    int dead = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un u;
    memset(&u, 0, sizeof(u));
    u.sun_family = AF_UNIX;
    snprintf(u.sun_path, sizeof(u.sun_path), "%s", path);
    REQUIRE(bind(dead, (struct sockaddr *)&u, sizeof(u)) == 0);
    close(dead);   /* its file stays: stale */
    int fd = bind_unix(host, why, sizeof(why));
    CHECK(fd >= 0);
    if (fd < 0) fprintf(stderr, "  stale socket not taken over: %s\n", why);
    int again = bind_unix(host, why, sizeof(why));
    CHECK(again < 0 && strstr(why, "another process listens there"));
    if (again >= 0) close(again);
    if (fd >= 0) close(fd);
    unlink(path);
    close(open(path, O_CREAT | O_WRONLY, 0600));
    again = bind_unix(host, why, sizeof(why));
    CHECK(again < 0 && strstr(why, "is not a socket"));
    struct stat st;
    CHECK(stat(path, &st) == 0);   /* a file that is no socket is never removed */
    unlink(path);
}

/* Each error a listener meets is said in its own words (an errno's entry
 * of the table, the table's last words for one it does not know). */
TEST(listen_errors_in_words)
{
    char path[100], host[130], why[200];
    scratch_path(path, sizeof(path), "nodir");
    snprintf(host, sizeof(host), "unix:%s/sock", path);
    CHECK(bind_unix(host, why, sizeof(why)) < 0);
    CHECK(strstr(why, ": no such file or directory") != 0);
    close(open(path, O_CREAT | O_WRONLY, 0600));   /* a file where a directory should be */
    CHECK(bind_unix(host, why, sizeof(why)) < 0);
    CHECK(strstr(why, ": a part of the path is not a directory") != 0);
    unlink(path);
    int fd = open("/dev/null", O_RDONLY);
    REQUIRE(fd >= 0);
    CHECK(nm_listen_adopt(fd, why, sizeof(why)) < 0);
    CHECK(strstr(why, ": not a socket") != 0);
    close(fd);
    CHECK(nm_listen_adopt(fd, why, sizeof(why)) < 0);   /* closed now */
    CHECK(strstr(why, ": not an open descriptor") != 0);
}

static volatile int ready;
static int run_rc;

static void on_ready(const nm_server *, int, void *) { __atomic_store_n(&ready, 1, __ATOMIC_RELEASE); }

static int hello(const nm_request *, nm_response *res, void *)
{
    return nm_resp_body(res, "Hello, World!", 13);
}

struct run_args {
    const char *model;
    nm_config cfg;
};

static void *serve(void *arg)
{
    run_args *a = (run_args *)arg;
    nm_handler h = { hello, 0 };
    run_rc = nm_run(a->model, &a->cfg, &h);
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    return 0;
}

/* nm_run of `model` in a thread, on `host` or the listener `fd`, until it
 * has served one request at `addr` (as a server announces it), then stopped. */
static int serve_once(const char *model, const char *host, int fd, const char *addr)
{
    run_args a;
    a.model = model;
    nm_config_init(&a.cfg);
    if (host) a.cfg.host = host;
    a.cfg.listen_fd = fd;
    a.cfg.on_ready = on_ready;
    tc_server where;
    memset(&where, 0, sizeof(where));
    snprintf(where.addr, sizeof(where.addr), "%s", addr);
    const char *colon = strrchr(addr, ':');
    where.port = strncmp(addr, "unix:", 5) && colon ? atoi(colon + 1) : 0;
    pthread_t t;
    ready = 0;
    run_rc = -1;
    if (pthread_create(&t, 0, serve, &a)) return -1;
    for (int i = 0; i < 500 && !__atomic_load_n(&ready, __ATOMIC_ACQUIRE); i++) tc_sleep_ms(10);
    tc_target(&where);
    char body[32];
    int st = tc_get(where.port, "/", body, sizeof(body));
    nm_server_stop(0);
    pthread_join(t, 0);
    return st == 200 && run_rc == NM_OK ? 0 : -1;
}

/* A listener handed in is served; at stop it is still open, still
 * listening, and blocking again as it was handed in. */
TEST(listen_fd_handed_in_is_served_and_left_open)
{
    int fd = tc_listen("127.0.0.1");
    REQUIRE(fd >= 0);
    struct sockaddr_in sa;
    socklen_t len = sizeof(sa);
    REQUIRE(getsockname(fd, (struct sockaddr *)&sa, &len) == 0);
    char addr[64];
    snprintf(addr, sizeof(addr), "127.0.0.1:%d", ntohs(sa.sin_port));
    CHECK(serve_once("epoll", 0, fd, addr) == 0);
    CHECK(fcntl(fd, F_GETFD) >= 0);                  /* not closed */
    CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);    /* as it was */
    int listening = 0;
    len = sizeof(listening);
    CHECK(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening);
    CHECK(serve_once("thread_pool", 0, fd, addr) == 0);   /* and the next run serves it again */
    struct timeval tv = { 1, 1 };
    len = sizeof(tv);
    CHECK(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len) == 0 && !tv.tv_sec && !tv.tv_usec);   /* a blocking model's timeout gone */
    close(fd);
}

/* The Unix socket's file is there while the server runs and gone after it,
 * removed by the process that bound it. */
TEST(unix_socket_file_removed_at_stop)
{
    char path[100], host[110];
    scratch_path(path, sizeof(path), "run");
    snprintf(host, sizeof(host), "unix:%s", path);
    CHECK(serve_once("reactor", host, -1, host) == 0);
    struct stat st;
    CHECK(stat(path, &st) != 0);
    unlink(path);
}

/* nm_last_error says every refusal whole: the limit of a Unix path too
 * long, however long the path or an address given; never a number cut. */
TEST(last_error_whole_for_long_addresses)
{
    nm_config cfg;
    nm_config_init(&cfg);
    nm_handler h = { [](const nm_request *, nm_response *res, void *) { return nm_resp_body(res, "", 0); }, 0 };
    char host[4200], limit[32];
    snprintf(limit, sizeof(limit), "longer than %d bytes", (int)sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
    const size_t lens[] = { 120, 300, sizeof(host) - 1 };
    for (size_t len : lens) {
        memset(host, 'p', len);
        memcpy(host, "unix:/", 6);
        host[len] = 0;
        cfg.host = host;
        CHECK_EQ(nm_run("epoll", &cfg, &h), NM_ERR_USAGE);
        CHECK(strstr(nm_last_error(), limit) != 0);
        if (!strstr(nm_last_error(), limit)) fprintf(stderr, "  %zu bytes: \"%s\"\n", len, nm_last_error());
        host[0] = '1';   /* not an address: said whole too, what it is told ends the line */
        CHECK_EQ(nm_run("epoll", &cfg, &h), NM_ERR_USAGE);
        CHECK(strstr(nm_last_error(), "unix:/path)") != 0);
        if (!strstr(nm_last_error(), "unix:/path)")) fprintf(stderr, "  %zu bytes: \"%s\"\n", len, nm_last_error());
    }
}

#include "listen.h"
#include "server.h"
#include "../base/error.h"
#include "../netmodels.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(char *why, size_t n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, n, fmt, ap);
    va_end(ap);
    return -1;
}

/* The errors a listen address meets, in words: strerror is not used, as
 * some libcs allocate its text for a number they do not know. A table (an
 * errno and the index of its words), not a switch: a ladder of compares
 * costs more code than the table's bytes. */
static const char error_words[] = "no such file or directory\0a part of the path is not a directory\0"
                                  "permission denied\0read-only file system\0name too long\0address in use\0"
                                  "no such address here\0address family not supported\0not an open descriptor\0"
                                  "not a socket\0too many open files\0system error";
static const unsigned char error_codes[][2] = {
    { ENOENT, 0 }, { ENOTDIR, 1 }, { EACCES, 2 }, { EPERM, 2 }, { EROFS, 3 }, { ENAMETOOLONG, 4 }, { EADDRINUSE, 5 },
    { EADDRNOTAVAIL, 6 }, { EAFNOSUPPORT, 7 }, { EBADF, 8 }, { ENOTSOCK, 9 }, { EMFILE, 10 }, { ENFILE, 10 },
};

static const char *error_text(int e)
{
    unsigned i = 0, n = sizeof(error_codes) / sizeof(error_codes[0]);
    while (i < n && error_codes[i][0] != e) i++;
    unsigned k = i < n ? error_codes[i][1] : 11;   /* else "system error" */
    const char *p = error_words;
    while (k--) p += strlen(p) + 1;
    return p;
}

const char *nm_quote(const char *text, char (&buf)[NM_QUOTE_MAX + 4])
{
    snprintf(buf, sizeof(buf), "%.*s%s", (int)NM_QUOTE_MAX, text, strlen(text) > NM_QUOTE_MAX ? "..." : "");
    return buf;
}

static int parse_unix(const char *path, nm_listen_addr *a, char *why, size_t n)
{
    struct sockaddr_un *u = (struct sockaddr_un *)&a->sa;
    size_t len = strlen(path);
    if (!len) return fail(why, n, "bad listen address 'unix:': no path");
    if (len >= sizeof(u->sun_path)) {
        char q[NM_QUOTE_MAX + 4];
        return fail(why, n, "unix socket path '%s' is longer than %d bytes", nm_quote(path, q), (int)sizeof(u->sun_path) - 1);
    }
    u->sun_family = AF_UNIX;
    memcpy(u->sun_path, path, len + 1);
    a->len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
    return 0;
}

/* "::1" or "[::1]" */
static int parse_ipv6(const char *host, int port, nm_listen_addr *a)
{
    char text[INET6_ADDRSTRLEN];
    size_t len = strlen(host);
    if (host[0] == '[' && len > 2 && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    if (len >= sizeof(text)) return -1;
    memcpy(text, host, len);
    text[len] = 0;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&a->sa;
    if (inet_pton(AF_INET6, text, &v6->sin6_addr) != 1) return -1;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    a->len = sizeof(*v6);
    return 0;
}

int nm_listen_parse(const char *host, int port, nm_listen_addr *a, char *why, size_t n)
{
    memset(a, 0, sizeof(*a));
    if (!host) return fail(why, n, "no listen address");
    if (!strncmp(host, "unix:", 5)) return parse_unix(host + 5, a, why, n);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&a->sa;
    if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)port);
        a->len = sizeof(*v4);
        return 0;
    }
    if (!parse_ipv6(host, port, a)) return 0;
    char q[NM_QUOTE_MAX + 4];
    return fail(why, n, "bad listen address '%s' (an IPv4 or IPv6 address, or unix:/path)", nm_quote(host, q));
}

/* A socket file left where we would bind: removed when no process listens
 * on it (its server died), refused otherwise. 0 when the path is free now. */
static int clear_stale_socket(const nm_listen_addr *a, char *why, size_t n)
{
    const char *path = ((const struct sockaddr_un *)&a->sa)->sun_path;
    struct stat st;
    if (lstat(path, &st)) return errno == ENOENT ? 0 : fail(why, n, "unix:%s: %s", path, error_text(errno));
    if (!S_ISSOCK(st.st_mode)) return fail(why, n, "unix:%s exists and is not a socket", path);
    /* Non-blocking, so a live server with a full backlog answers EAGAIN
     * here instead of holding us up. */
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (probe < 0) return -1;
    int live = connect(probe, (const struct sockaddr *)&a->sa, a->len) == 0 || errno == EAGAIN || errno == EINPROGRESS;
    int e = errno;
    close(probe);
    if (live) return fail(why, n, "unix:%s: another process listens there", path);
    if (e != ECONNREFUSED && e != ENOENT) return fail(why, n, "unix:%s: %s", path, error_text(e));
    if (unlink(path) && errno != ENOENT) return fail(why, n, "unix:%s: stale socket not removed: %s", path, error_text(errno));
    return 0;
}

static int port_of(const struct sockaddr_storage *sa)
{
    if (sa->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)sa)->sin_port);
    if (sa->ss_family == AF_INET6) return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
    return 0;
}

static void set_options(int fd, int family, int reuseport)
{
    int one = 1, zero = 0;
    if (family == AF_UNIX) return;   /* no ports to reuse, no Nagle */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (reuseport) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    /* "::" takes IPv4 clients too where the system allows it */
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));   /* answers leave at once (see nm_accept) */
}

/* A socket, bind or listen refused for a reason the user can fix: one line.
 * Any other failure leaves why[] empty (a system error: errno). */
static void explain(const nm_listen_addr *a, int e, char *why, size_t n)
{
    char where[128];
    if (a->sa.ss_family == AF_UNIX)
        fail(why, n, "unix:%s: %s", ((const struct sockaddr_un *)&a->sa)->sun_path, error_text(e));
    else if (e == EADDRINUSE)
        fail(why, n, "port %d is in use", port_of(&a->sa));
    else if ((e == EADDRNOTAVAIL || e == EAFNOSUPPORT) &&
             nm_sockaddr_text((const struct sockaddr *)&a->sa, a->len, where, sizeof(where)) >= 0)
        fail(why, n, "cannot listen on %s: %s", where, error_text(e));
}

int nm_listen_bind(const nm_listen_addr *a, int reuseport, char *why, size_t n)
{
    why[0] = 0;
    int family = a->sa.ss_family;
    if (family == AF_UNIX && clear_stale_socket(a, why, n)) return -1;
    int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        set_options(fd, family, reuseport);
        if (!bind(fd, (const struct sockaddr *)&a->sa, a->len) && !listen(fd, NM_LISTEN_BACKLOG)) return fd;
    }
    int e = errno;
    explain(a, e, why, n);
    if (fd >= 0) close(fd);
    errno = e;
    return -1;
}

/* Whether fd is a listening socket; where SO_ACCEPTCONN is unknown, taken
 * on trust (accept will say). */
static int is_listening(int fd)
{
#ifdef SO_ACCEPTCONN
    int listening = 0;
    socklen_t len = sizeof(listening);
    return !getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) && listening;
#else
    (void)fd;
    return 1;
#endif
}

int nm_listen_adopt(int fd, char *why, size_t n)
{
    int type = 0;
    socklen_t len = sizeof(type);
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len)) return fail(why, n, "listen fd %d: %s", fd, error_text(errno));
    if (type != SOCK_STREAM || !is_listening(fd)) return fail(why, n, "listen fd %d is not a listening stream socket", fd);
    struct sockaddr_storage sa;
    socklen_t salen = sizeof(sa);
    if (getsockname(fd, (struct sockaddr *)&sa, &salen)) return fail(why, n, "listen fd %d: %s", fd, error_text(errno));
    set_options(fd, sa.ss_family, 0);
    return sa.ss_family;
}

int nm_listen_port(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    return getsockname(fd, (struct sockaddr *)&sa, &len) ? 0 : port_of(&sa);
}

int nm_sockaddr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t n)
{
    char ip[INET6_ADDRSTRLEN];
    int w = -1;
    if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;
        if (inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof(ip))) w = snprintf(buf, n, "%s:%d", ip, ntohs(v4->sin_port));
    } else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
        if (inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof(ip))) w = snprintf(buf, n, "[%s]:%d", ip, ntohs(v6->sin6_port));
    } else if (sa->sa_family == AF_UNIX) {
        w = snprintf(buf, n, "unix");
    }
    return w >= 0 && (size_t)w < n ? w : -1;
}

/* A Unix peer's process and user, where the system tells them. */
static int peer_credentials(int fd, char *buf, size_t n)
{
#ifdef SO_PEERCRED
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
        return snprintf(buf, n, " pid=%ld uid=%lu gid=%lu", (long)cred.pid, (unsigned long)cred.uid, (unsigned long)cred.gid);
#endif
    (void)fd;
    if (n) buf[0] = 0;
    return 0;
}

extern "C" int nm_request_peer(const nm_request *req, char *buf, size_t len)
{
    struct sockaddr_storage sa;
    socklen_t sl = sizeof(sa);
    if (!req || !buf || req->fd < 0 || getpeername(req->fd, (struct sockaddr *)&sa, &sl)) return -1;
    int w = nm_sockaddr_text((struct sockaddr *)&sa, sl, buf, len);
    if (w < 0 || sa.ss_family != AF_UNIX) return w;
    int more = peer_credentials(req->fd, buf + w, len - (size_t)w);
    if (more < 0 || (size_t)more >= len - (size_t)w) {
        buf[w] = 0;
        return -1;
    }
    return w + more;
}

/* ---- the server's listener: opened, handed in, put back ---------------- */

void nm_set_nonblocking(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

/* A listener handed in open: served as it is, its state noted to be put
 * back at stop. */
static int adopt_listener(nm_server *s, char *why, size_t n)
{
    int fd = s->cfg.listen_fd;
    int family = nm_listen_adopt(fd, why, n);
    if (family < 0) return -1;
    s->listen_family = family;
    s->listen_handed = 1;
    s->listen_handed_flags = fcntl(fd, F_GETFL);
    socklen_t len = sizeof(s->listen_handed_timeout);
    getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &s->listen_handed_timeout, &len);
    return fd;
}

static int open_host(nm_server *s, int reuseport, char *why, size_t n)
{
    nm_listen_addr a;
    if (nm_listen_parse(s->cfg.host, s->port_number, &a, why, n)) {
        errno = EINVAL;
        return -1;
    }
    int fd = nm_listen_bind(&a, reuseport, why, n);
    if (fd < 0) return -1;
    s->listen_family = a.sa.ss_family;
    if (s->listen_family == AF_UNIX) s->unix_owner = getpid();
    return fd;
}

int nm_listen_open(nm_server *s, int nonblocking, int reuseport)
{
    char why[NM_ERROR_MAX];
    why[0] = 0;
    int fd = s->cfg.listen_fd >= 0 ? adopt_listener(s, why, sizeof(why)) : open_host(s, reuseport, why, sizeof(why));
    if (fd < 0) {
        int e = errno;
        if (why[0]) nm_error_set("%s", why);
        errno = e;
        return -1;
    }
    s->port_number = nm_listen_port(fd);
    if (nonblocking) nm_set_nonblocking(fd, 1);
    return fd;
}

void nm_listen_close(nm_server *s)
{
    if (s->listen_handed) {
        if (s->listen_handed_flags >= 0) fcntl(s->cfg.listen_fd, F_SETFL, s->listen_handed_flags);
        setsockopt(s->cfg.listen_fd, SOL_SOCKET, SO_RCVTIMEO, &s->listen_handed_timeout, sizeof(s->listen_handed_timeout));
        return;
    }
    if (s->listen_fd >= 0) close(s->listen_fd);
    if (s->unix_owner && s->unix_owner == getpid()) unlink(s->cfg.host + 5);
}

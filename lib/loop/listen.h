/* listen.h - the listener's address: what cfg.host names (an IPv4 or IPv6
 * address, or a Unix socket's path), opening it, taking a listener handed
 * in open, and a socket address as text. */
#ifndef NM_LISTEN_H
#define NM_LISTEN_H

#include <stddef.h>
#include <sys/socket.h>

struct nm_listen_addr {
    socklen_t len;
    struct sockaddr_storage sa;   /* AF_INET, AF_INET6 or AF_UNIX */
};

/* "127.0.0.1", "::", "::1" or "[::1]", "unix:/path" with `port` (ignored for
 * a path). 0, or -1 with why[] saying what is wrong in one line. */
int nm_listen_parse(const char *host, int port, nm_listen_addr *a, char *why, size_t n);
/* A listening socket on `a`: SO_REUSEADDR, SO_REUSEPORT if asked, TCP_NODELAY
 * on TCP, IPV6_V6ONLY off (dual-stack where the system allows it). A Unix
 * socket's file left by a dead process is removed first; a file that is not
 * a socket, or one a live process listens on, is refused. fd, or -1 with
 * why[] (empty for a plain system error: see errno). */
int nm_listen_bind(const nm_listen_addr *a, int reuseport, char *why, size_t n);
/* The address family of a listening stream socket handed in open, or -1
 * with why[]. */
int nm_listen_adopt(int fd, char *why, size_t n);
/* Text the caller gave (an address, a name) inside a message: at most
 * NM_QUOTE_MAX bytes of it, "..." after when cut, so that the message's
 * own words and numbers always fit its line. Returns buf. */
enum { NM_QUOTE_MAX = 64 };
const char *nm_quote(const char *text, char (&buf)[NM_QUOTE_MAX + 4]);
/* The port a socket is bound to; 0 for a Unix socket. */
int nm_listen_port(int fd);
/* "127.0.0.1:80", "[::1]:80" or "unix"; the length, or -1 if it does not fit. */
int nm_sockaddr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t n);

#endif

#include "wakeup.h"
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/eventfd.h>
#endif

int nm_wakeup_open(nm_wakeup *w)
{
#ifdef __linux__
    w->rfd = w->wfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    return w->rfd < 0 ? -1 : 0;
#else
    int p[2];
    if (pipe(p)) return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(p[i], F_SETFL, fcntl(p[i], F_GETFL) | O_NONBLOCK);
        fcntl(p[i], F_SETFD, FD_CLOEXEC);
    }
    w->rfd = p[0];
    w->wfd = p[1];
    return 0;
#endif
}

void nm_wakeup_close(nm_wakeup *w)
{
    if (w->wfd != w->rfd) close(w->wfd);
    close(w->rfd);
    w->rfd = w->wfd = -1;
}

void nm_wakeup_signal(nm_wakeup *w)
{
    uint64_t one = 1;   /* 8 bytes for an eventfd; a pipe takes them too */
    ssize_t r;
    do r = write(w->wfd, &one, sizeof(one));
    while (r < 0 && errno == EINTR);
}

void nm_wakeup_drain(nm_wakeup *w)
{
    uint64_t buf[8];
    /* An eventfd gives its whole count to one read (a second would only say
     * EAGAIN); a pipe may hold more than a read takes. */
    ssize_t r;
    do r = read(w->rfd, buf, sizeof(buf));
    while (w->wfd != w->rfd && r > 0);
}

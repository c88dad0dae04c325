#include "signals.h"
#include <errno.h>
#include <string.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/signalfd.h>
#endif

static const int stop_signals[2] = { SIGTERM, SIGINT };

void nm_signals_leave_to_loops(void)
{
    sigset_t set;
    sigemptyset(&set);
    for (int s : stop_signals) sigaddset(&set, s);
    pthread_sigmask(SIG_BLOCK, &set, 0);
}

#ifdef __linux__

int nm_signals_open(nm_signals *sg)
{
    sigemptyset(&sg->set);
    for (int s : stop_signals) sigaddset(&sg->set, s);
    if (pthread_sigmask(SIG_BLOCK, &sg->set, &sg->old_mask)) return -1;
    sg->fd = signalfd(-1, &sg->set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sg->fd >= 0) return 0;
    pthread_sigmask(SIG_SETMASK, &sg->old_mask, 0);
    return -1;
}

int nm_signals_read(nm_signals *sg)
{
    struct signalfd_siginfo si;
    ssize_t n;
    do n = read(sg->fd, &si, sizeof(si));
    while (n < 0 && errno == EINTR);
    return n == (ssize_t)sizeof(si) ? (int)si.ssi_signo : 0;
}

void nm_signals_close(nm_signals *sg)
{
    close(sg->fd);
    sg->fd = -1;
    pthread_sigmask(SIG_SETMASK, &sg->old_mask, 0);
}

#else

static int self_pipe_wfd = -1;

static void to_pipe(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    (void)!write(self_pipe_wfd, &b, 1);
    errno = saved;
}

int nm_signals_open(nm_signals *sg)
{
    if (nm_wakeup_open(&sg->pipe)) return -1;   /* a non-blocking pipe here */
    sg->fd = sg->pipe.rfd;
    self_pipe_wfd = sg->pipe.wfd;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = to_pipe;
    sa.sa_flags = SA_RESTART;
    for (int i = 0; i < 2; i++) sigaction(stop_signals[i], &sa, &sg->old[i]);
    return 0;
}

int nm_signals_read(nm_signals *sg)
{
    unsigned char b;
    return read(sg->fd, &b, 1) == 1 ? b : 0;
}

void nm_signals_close(nm_signals *sg)
{
    for (int i = 0; i < 2; i++) sigaction(stop_signals[i], &sg->old[i], 0);
    self_pipe_wfd = -1;
    nm_wakeup_close(&sg->pipe);
    sg->fd = -1;
}

#endif

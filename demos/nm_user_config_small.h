/* nm_user_config_small.h - an example of capacities for a small board (a
 * 64 MB Pi Zero, a router): 32 connections, 16 I/O buffers, one event loop,
 * two threads. `make size` prints what demos/firmware.c costs with it beside
 * the defaults of lib/nm_config.h.
 *
 * Use it either way, for the library and the program alike:
 *   - copy it as nm_user_config.h into a directory on the include path
 *     (-Imyconfig): lib/nm_config.h reads nm_user_config.h first;
 *   - or name it on the command line:
 *       make TARGET=armel-v6 CXXFLAGS="-Os -include demos/nm_user_config_small.h" \
 *            CFLAGS="-Os -include demos/nm_user_config_small.h"
 *
 * With one loop and two threads it suits the single-loop models (iterative,
 * select, poll, epoll, reactor, event_loop, coroutine, fiber, proactor) and
 * thread or process models run with --threads/--pool of 2 or less; the
 * other loop models run on its one loop, and actor and producer_consumer,
 * which need two, do not build (leave them out: NM_MODELS). */
#ifndef NM_USER_CONFIG_SMALL_H
#define NM_USER_CONFIG_SMALL_H

#define NM_MAX_CONNS 32          /* slots: connections open at once */
#define NM_BUF_COUNT 16          /* 4 KiB I/O buffers, lent per request */
#define NM_MAX_LOOPS 1           /* event loops */
#define NM_MAX_EVENTS 32         /* events taken per wait */
#define NM_MAX_THREADS 2         /* the static stack pool */
#define NM_DEFAULT_THREADS 2     /* --threads when not given */
#define NM_HSHA_WORKERS 2
#define NM_FIBER_COUNT 32        /* fibers (16 KiB stacks): one per connection served */

#endif

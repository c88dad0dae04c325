/* app.h - the demo application: one handler, served by any model. */
#ifndef NM_DEMO_APP_H
#define NM_DEMO_APP_H

#include "netmodels.h"

#define APP_BIG_SIZE (1024 * 1024)
/* Byte i of the body of GET /big. */
#define APP_BIG_BYTE(i) ((char)('a' + (i) % 26))

/* What nmserve --tick counts in the server's loop (nm_timer_start, nm_watch,
 * nm_post), shown in /stats when set; shared with the children of a
 * multi-process model, whose handlers answer /stats. */
struct app_loop_counts {
    unsigned long ticks;      /* the periodic timer fired */
    unsigned long piped;      /* bytes the watched pipe delivered (one per tick) */
    unsigned long posted;     /* calls posted from a signal handler (SIGUSR1) that ran */
    unsigned long overlaps;   /* a callback began while another ran: never, if all is well */
    nm_conn_id subscriber;    /* the last GET /subscribe: each tick is pushed to it (nm_send);
                                 under subscriber_lock: 32-bit MIPS has no 64-bit atomics */
    int subscriber_lock;
    unsigned long pushed;     /* ticks nm_send took for it */
    unsigned long push_refused;   /* ticks nm_send refused (the model takes no bytes from outside) */
};
extern struct app_loop_counts *app_loop;

/* Connections as the hooks see them (nm_config.on_open, on_close), in
 * memory shared with the children of a multi-process model: /stats shows
 * them, so a test can hold opened == closed + open connections. */
struct app_conn_counts {
    unsigned long opened, closed;
    unsigned long unclean;    /* a connection's state was not zero at on_open */
    unsigned long resume_failed;   /* POST /upload?pause: nm_body_resume said -1 */
};
#define APP_RESUMES 64   /* paused uploads waiting for their resume, per process */
extern struct app_conn_counts *app_conns;
void app_on_open(const nm_server *srv, nm_conn_id id, void *state, void *user);
void app_on_close(const nm_server *srv, nm_conn_id id, void *state, void *user);

/* The subscriber, read and written whole under its lock. */
nm_conn_id app_subscriber(const nm_conn_id *set);

/* More of /stats, appended: what it wrote (as snprintf), or NULL. */
extern int (*app_stats_more)(char *out, size_t room);

int app_init(void);   /* 0, or -1 without shared memory */
int app_handle(const nm_request *req, nm_response *res, void *user);

#endif

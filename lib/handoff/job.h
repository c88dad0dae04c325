/* job.h - a whole request with its connection, as it travels between threads
 * of producer_consumer: parsed once by the producer, answered by a consumer. */
#ifndef NM_JOB_H
#define NM_JOB_H

#include "../loop/conn.h"
#include "../base/queue.h"

struct nm_job {
    nm_conn *conn;
    nm_request req;
};

/* Depth of the ring of jobs. A job waiting in it holds its connection's
 * input buffer: half the buffers stay free for reading and for the answers,
 * so a flood meets a full ring (503) before an empty buffer pool. */
#ifndef NM_JOB_RING
#define NM_JOB_RING (NM_BUF_COUNT / 2 < NM_QUEUE_DEPTH ? NM_BUF_COUNT / 2 : NM_QUEUE_DEPTH)
#endif

/* Jobs that exist at once: a full ring plus one in each consumer's hands. */
#ifndef NM_JOBS
#define NM_JOBS (NM_JOB_RING + NM_MAX_THREADS)
#endif

nm_job *nm_job_get(void);   /* NULL when none is left */
void nm_job_put(nm_job *j);

#endif

/* job.h - a whole request with its connection, as it travels between threads
 * of producer_consumer: parsed once by the producer, answered by a consumer. */
#ifndef NM_JOB_H
#define NM_JOB_H

#include "conn.h"
#include "queue.h"

struct nm_job {
    nm_conn *conn;
    nm_request req;
};

/* Jobs that exist at once: a full ring plus one in each consumer's hands. */
#ifndef NM_JOBS
#define NM_JOBS (NM_QUEUE_DEPTH + NM_MAX_THREADS)
#endif

nm_job *nm_job_get(void);   /* NULL when none is left */
void nm_job_put(nm_job *j);

#endif

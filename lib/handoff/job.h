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

nm_job *nm_job_get(void);   /* NULL when none is left */
void nm_job_put(nm_job *j);

#endif

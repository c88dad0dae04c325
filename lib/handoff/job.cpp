#include "job.h"
#include "../base/pool.h"

extern nm_pool nm_job_pool;

nm_job *nm_job_get(void) { return (nm_job *)nm_pool_get(&nm_job_pool); }
void nm_job_put(nm_job *j) { nm_pool_put(&nm_job_pool, j); }

/* pools.cpp - every static pool of the library, declared in one place.
 * The table at the end is what `make size` prints. */
#include "base/pool.h"
#include "loop/conn.h"
#include "base/thread.h"
#include "loop/loop.h"
#include "handoff/loop_group.h"
#include "handoff/tasks.h"
#include "handoff/crew.h"
#include "procs/procs.h"
#include "handoff/job.h"

static nm_conn conn_slots[NM_MAX_CONNS];
static nm_buf buffers[NM_BUF_COUNT];
alignas(NM_THREAD_STACK_ALIGN) static char stacks[NM_MAX_THREADS][NM_THREAD_STACK_SIZE];
nm_conn *nm_conn_by_fd[NM_MAX_FDS];
static nm_loop loops[NM_MAX_LOOPS];
static nm_loop_thread loop_threads[NM_MAX_LOOPS];
static nm_task tasks[NM_MAX_THREADS];
/* Servers live here, not on nm_run's stack, so that a stop request from a
 * signal handler never writes into memory that has gone. */
nm_server nm_server_slots[NM_MAX_SERVERS];
static nm_crew crews[NM_MAX_CREWS];
static nm_procs procs_tables[1];
static nm_job jobs[NM_JOBS];
#include "base/pt.h"
nm_lc nm_coroutine_lc[NM_MAX_CONNS];
#include "fiber/fiber.h"
static nm_fiber fibers[NM_FIBER_COUNT];
nm_pool nm_fiber_pool = NM_POOL_INIT("fibers", fibers);
uint8_t nm_proactor_op[NM_MAX_CONNS];

nm_pool nm_conn_pool = NM_POOL_INIT("connection slots", conn_slots);
nm_pool nm_buf_pool = NM_POOL_INIT("I/O buffers", buffers);
nm_pool nm_stack_pool = NM_POOL_INIT("thread stacks", stacks);
nm_pool nm_loop_pool = NM_POOL_INIT("event loops", loops);
nm_pool nm_loop_thread_pool = NM_POOL_INIT("loop threads", loop_threads);
nm_pool nm_task_pool = NM_POOL_INIT("task threads", tasks);
nm_pool nm_crew_pool = NM_POOL_INIT("thread crews", crews);
nm_pool nm_procs_pool = NM_POOL_INIT("process table", procs_tables);
nm_pool nm_job_pool = NM_POOL_INIT("request jobs", jobs);

static const nm_pool_info pool_table[] = {
    { "connection slots", sizeof(nm_conn), NM_MAX_CONNS },
    { "fd -> connection map", sizeof(nm_conn *), NM_MAX_FDS },
    { "I/O buffers", sizeof(nm_buf), NM_BUF_COUNT },
    { "thread stacks", NM_THREAD_STACK_SIZE, NM_MAX_THREADS },
    { "event loops (port, timers, channels)", sizeof(nm_loop), NM_MAX_LOOPS },
    { "loop threads (inbox, wakeup)", sizeof(nm_loop_thread), NM_MAX_LOOPS },
    { "task threads (handle, connection)", sizeof(nm_task), NM_MAX_THREADS },
    { "servers (nm_run calls)", sizeof(nm_server), NM_MAX_SERVERS },
    { "thread crews (threads of one model)", sizeof(nm_crew), NM_MAX_CREWS },
    { "process table (children of one model)", sizeof(nm_procs), 1 },
    { "shared counters (mmap, process models)", sizeof(nm_shared), 1 },
    { "request jobs (producer_consumer ring)", sizeof(nm_job), NM_JOBS },
    { "coroutine continuations", sizeof(nm_lc), NM_MAX_CONNS },
    { "fibers (with their stacks)", sizeof(nm_fiber), NM_FIBER_COUNT },
    { "proactor operations in flight", sizeof(uint8_t), NM_MAX_CONNS },
};

int nm_pool_count(void) { return (int)(sizeof(pool_table) / sizeof(pool_table[0])); }

nm_pool_info nm_pool_get(int i)
{
    nm_pool_info none = { 0, 0, 0 };
    return i >= 0 && i < nm_pool_count() ? pool_table[i] : none;
}

/* models.cpp - the registry: every model compiled into this library.
 * A model can be left out at build time with -DNM_WITHOUT_<name>. */
#include "loop/server.h"

#define NM_MODEL_FN(name) int nm_model_##name(nm_server *s);
NM_MODEL_FN(iterative)
NM_MODEL_FN(select)
NM_MODEL_FN(poll)
NM_MODEL_FN(epoll)
NM_MODEL_FN(kqueue)
NM_MODEL_FN(reactor)
NM_MODEL_FN(event_loop)
NM_MODEL_FN(reactor_worker_pool)
NM_MODEL_FN(reactor_thread_per_task)
NM_MODEL_FN(multi_reactor)
NM_MODEL_FN(multi_reactor_worker_pool)
NM_MODEL_FN(reactor_conn_thread)
NM_MODEL_FN(process_pool_reactors)
NM_MODEL_FN(hybrid)
NM_MODEL_FN(fork_per_conn)
NM_MODEL_FN(thread_per_conn)
NM_MODEL_FN(prefork_shared_accept)
NM_MODEL_FN(prefork_locked_accept)
NM_MODEL_FN(prefork_reuseport)
NM_MODEL_FN(prefork_fd_passing)
NM_MODEL_FN(thread_pool)
NM_MODEL_FN(leader_follower)
NM_MODEL_FN(producer_consumer)
NM_MODEL_FN(coroutine)
NM_MODEL_FN(half_sync_half_async)
NM_MODEL_FN(pipeline)
NM_MODEL_FN(work_stealing)
NM_MODEL_FN(actor)
NM_MODEL_FN(fiber)
NM_MODEL_FN(proactor)

extern const nm_model nm_models[] = {
#ifndef NM_WITHOUT_iterative
    { "iterative", nm_model_iterative, 0, 0 },
#endif
#ifndef NM_WITHOUT_select
    { "select", nm_model_select, NM_MODEL_USES_PORT, "select" },
#endif
#ifndef NM_WITHOUT_poll
    { "poll", nm_model_poll, NM_MODEL_USES_PORT, "poll" },
#endif
#if defined(__linux__) && !defined(NM_WITHOUT_epoll)
    { "epoll", nm_model_epoll, NM_MODEL_USES_PORT, "epoll" },
#endif
#if defined(NM_HAVE_KQUEUE) && !defined(NM_WITHOUT_kqueue)
    { "kqueue", nm_model_kqueue, NM_MODEL_USES_PORT, "kqueue" },
#endif
#ifndef NM_WITHOUT_reactor
    { "reactor", nm_model_reactor, NM_MODEL_USES_PORT, 0 },
#endif
#ifndef NM_WITHOUT_event_loop
    { "event_loop", nm_model_event_loop, NM_MODEL_USES_PORT | NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_reactor_worker_pool
    { "reactor_worker_pool", nm_model_reactor_worker_pool, NM_MODEL_USES_PORT | NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_reactor_thread_per_task
    { "reactor_thread_per_task", nm_model_reactor_thread_per_task, NM_MODEL_USES_PORT | NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_multi_reactor
    { "multi_reactor", nm_model_multi_reactor, NM_MODEL_USES_PORT | NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_multi_reactor_worker_pool
    { "multi_reactor_worker_pool", nm_model_multi_reactor_worker_pool, NM_MODEL_USES_PORT | NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_reactor_conn_thread
    { "reactor_conn_thread", nm_model_reactor_conn_thread, NM_MODEL_USES_PORT | NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_process_pool_reactors
    { "process_pool_reactors", nm_model_process_pool_reactors,
      NM_MODEL_USES_PORT | NM_MODEL_ANNOUNCES | NM_MODEL_REUSEPORT, 0 },
#endif
#ifndef NM_WITHOUT_hybrid
    { "hybrid", nm_model_hybrid, NM_MODEL_USES_PORT | NM_MODEL_ANNOUNCES | NM_MODEL_REUSEPORT, 0 },
#endif
#ifndef NM_WITHOUT_fork_per_conn
    { "fork_per_conn", nm_model_fork_per_conn, NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_thread_per_conn
    { "thread_per_conn", nm_model_thread_per_conn, NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_prefork_shared_accept
    { "prefork_shared_accept", nm_model_prefork_shared_accept, NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_prefork_locked_accept
    { "prefork_locked_accept", nm_model_prefork_locked_accept, NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_prefork_reuseport
    { "prefork_reuseport", nm_model_prefork_reuseport, NM_MODEL_ANNOUNCES | NM_MODEL_REUSEPORT, 0 },
#endif
#ifndef NM_WITHOUT_prefork_fd_passing
    { "prefork_fd_passing", nm_model_prefork_fd_passing, NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_thread_pool
    { "thread_pool", nm_model_thread_pool, NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_leader_follower
    { "leader_follower", nm_model_leader_follower, NM_MODEL_USES_PORT | NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_producer_consumer
    { "producer_consumer", nm_model_producer_consumer, NM_MODEL_USES_PORT | NM_MODEL_ANNOUNCES, 0 },
#endif
#ifndef NM_WITHOUT_coroutine
    { "coroutine", nm_model_coroutine, NM_MODEL_USES_PORT, 0 },
#endif
#ifndef NM_WITHOUT_half_sync_half_async
    { "half_sync_half_async", nm_model_half_sync_half_async, NM_MODEL_USES_PORT, 0 },
#endif
#ifndef NM_WITHOUT_pipeline
    { "pipeline", nm_model_pipeline, NM_MODEL_USES_PORT, 0 },
#endif
#ifndef NM_WITHOUT_work_stealing
    { "work_stealing", nm_model_work_stealing, NM_MODEL_USES_PORT, 0 },
#endif
#ifndef NM_WITHOUT_actor
    { "actor", nm_model_actor, NM_MODEL_USES_PORT, 0 },
#endif
#ifndef NM_WITHOUT_fiber
    { "fiber", nm_model_fiber, NM_MODEL_USES_PORT, 0 },
#endif
#ifndef NM_WITHOUT_proactor
    { "proactor", nm_model_proactor, NM_MODEL_USES_PORT, 0 },
#endif
};

extern const int nm_models_count = (int)(sizeof(nm_models) / sizeof(nm_models[0]));

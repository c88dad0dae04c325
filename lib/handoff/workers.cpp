#include "workers.h"
#include "loop_group.h"
#include "../base/signals.h"

static void *worker_main(void *arg)
{
    nm_workers *w = (nm_workers *)arg;
    nm_thread_name_nr(w->name, w->numbered ? __atomic_fetch_add(&w->named, 1, __ATOMIC_RELAXED) : -1);
    nm_signals_leave_to_loops();
    for (void *item; (item = nm_queue_pop(&w->queue));) w->run(item);
    return 0;
}

int nm_workers_start(nm_workers *w, int count, void (*run)(void *item), const char *name, int numbered)
{
    nm_queue_init(&w->queue, 0);
    w->run = run;
    w->name = name;
    w->count = 0;
    w->numbered = numbered;
    w->named = 0;
    if (count > NM_MAX_THREADS) count = NM_MAX_THREADS;
    while (w->count < count && !nm_thread_start(&w->threads[w->count], worker_main, w)) w->count++;
    if (w->count) return 0;
    nm_queue_destroy(&w->queue);
    return -1;
}

int nm_workers_submit(nm_workers *w, void *item) { return nm_queue_push_quiet(&w->queue, item); }
int nm_workers_try_submit(nm_workers *w, void *item) { return nm_queue_try_push_quiet(&w->queue, item); }
void nm_workers_wake(nm_workers *w) { nm_queue_wake(&w->queue); }

void nm_workers_stop(nm_workers *w)
{
    nm_queue_close(&w->queue);
    for (int i = 0; i < w->count; i++) nm_thread_join(&w->threads[i]);
    nm_queue_destroy(&w->queue);
    w->count = 0;
}

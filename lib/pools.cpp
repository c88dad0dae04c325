/* pools.cpp - every static pool of the library, from the one list in
 * pools.def: its storage, its nm_pool, and its row of the table that
 * `make size` prints. */
#include "base/pool.h"
#include "loop/conn.h"
#include "base/thread.h"
#include "loop/loop.h"
#include "handoff/loop_group.h"
#include "handoff/tasks.h"
#include "handoff/crew.h"
#include "procs/procs.h"
#include "handoff/job.h"
#include "base/pt.h"
#include "fiber/fiber.h"
#include "completion/proactor.h"
#include "models/model_state.h"

/* A pool's storage: its array, aligned as the compiler chooses, except
 * thread stacks, which start on a page. */
template <class T, size_t N> struct nm_storage { T items[N]; };
typedef char nm_thread_stack[NM_THREAD_STACK_SIZE];
template <size_t N> struct alignas(NM_THREAD_STACK_ALIGN) nm_storage<nm_thread_stack, N> {
    nm_thread_stack items[N];   /* cppcheck-suppress unusedStructMember ; read through NM_POOL_INIT */
};

/* A pool's name is an array of its own, not a literal: with
 * -fdata-sections a firmware keeps the names of the pools it links, and
 * neither the others' nor the table's below. */
#define NM_POOL(pool, type, count, name, detail) \
    static nm_storage<type, count> pool##_storage; \
    static const char pool##_name[] = name; \
    nm_pool pool = NM_POOL_INIT(pool##_name, pool##_storage.items);
#define NM_ARRAY(array, type, count, name) type array[count];
#define NM_MAPPED(type, count, name)
#include "pools.def"
#undef NM_POOL
#undef NM_ARRAY
#undef NM_MAPPED

/* The slot array's start: a connection's id is its offset there (conn.h). */
const nm_conn *const nm_conn_slots = nm_conn_pool_storage.items;

static const nm_pool_info pool_table[] = {
#define NM_POOL(pool, type, count, name, detail) { name detail, sizeof(type), count },
#define NM_ARRAY(array, type, count, name) { name, sizeof(type), count },
#define NM_MAPPED(type, count, name) { name, sizeof(type), count },
#include "pools.def"
#undef NM_POOL
#undef NM_ARRAY
#undef NM_MAPPED
};

int nm_pool_count(void) { return (int)(sizeof(pool_table) / sizeof(pool_table[0])); }

nm_pool_info nm_pool_info_at(int i)
{
    nm_pool_info none = { 0, 0, 0 };
    return i >= 0 && i < nm_pool_count() ? pool_table[i] : none;
}

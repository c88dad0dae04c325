/* arena.cpp - the static arena of arena.h, and its counters (nm_tls.h). */
#include "arena.h"
#include "nm_tls.h"
#include <pthread.h>
#include <stdint.h>
#include <string.h>

namespace {

enum { CLASSES = 22, HEAD = 16 };   /* 32, 48, 64, 96 ... 49152, 65536 */

size_t class_size(int i) { return (size_t)((i & 1) ? 48 : 32) << (i >> 1); }

int class_of(size_t n)
{
    for (int i = 0; i < CLASSES; i++)
        if (class_size(i) >= n) return i;
    return -1;
}

/* A block's head, HEAD bytes: its class; the caller's bytes follow. */
struct block {
    int cls;
    block *next;   /* in its class's free list */
};
static_assert(sizeof(block) <= HEAD, "a block's head");

alignas(16) unsigned char heap[NM_TLS_ARENA_BYTES];
size_t cut;   /* bytes of heap cut into blocks so far */
block *free_list[CLASSES];
nm_tls_arena_stats st = { sizeof(heap), 0, 0, 0, 0 };
pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

block *head_of(void *p) { return (block *)((unsigned char *)p - HEAD); }

}

void *tls_arena_alloc(size_t n)
{
    int c = class_of(n ? n : 1);
    pthread_mutex_lock(&lock);
    block *b = 0;
    if (c >= 0 && (b = free_list[c])) {
        free_list[c] = b->next;
    } else if (c >= 0 && sizeof(heap) - cut >= HEAD + class_size(c)) {
        b = (block *)(heap + cut);
        b->cls = c;
        cut += HEAD + class_size(c);
    }
    if (b) {
        st.in_use += HEAD + class_size(c);
        if (st.in_use > st.peak) st.peak = st.in_use;
        st.allocs++;
    } else {
        st.refusals++;
    }
    pthread_mutex_unlock(&lock);
    return b ? (unsigned char *)b + HEAD : 0;
}

void tls_arena_free(void *p)
{
    if (!p) return;
    block *b = head_of(p);
    pthread_mutex_lock(&lock);
    st.in_use -= HEAD + class_size(b->cls);
    b->next = free_list[b->cls];
    free_list[b->cls] = b;
    pthread_mutex_unlock(&lock);
}

void *tls_arena_realloc(void *p, size_t n)
{
    if (!p) return tls_arena_alloc(n);
    if (!n) {
        tls_arena_free(p);
        return 0;
    }
    size_t had = class_size(head_of(p)->cls);
    if (n <= had) return p;   /* (its class's room is the caller's) */
    void *q = tls_arena_alloc(n);
    if (!q) return 0;              /* p stays the caller's, as realloc's */
    memcpy(q, p, had);
    tls_arena_free(p);
    return q;
}

extern "C" void nm_tls_arena_get_stats(nm_tls_arena_stats *out)
{
    pthread_mutex_lock(&lock);
    *out = st;
    pthread_mutex_unlock(&lock);
}

extern "C" void nm_tls_arena_reset_peak(void)
{
    pthread_mutex_lock(&lock);
    st.peak = st.in_use;
    pthread_mutex_unlock(&lock);
}

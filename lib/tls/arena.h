/* arena.h - a fixed static arena (arena.cpp) for an engine that allocates:
 * blocks of size classes (two an octave, 32 bytes to 64 KiB) cut from
 * NM_TLS_ARENA_BYTES as first asked, and kept in a free list of their
 * class when given back; a lock. Full: NULL, and the refusal counted.
 * Never the heap. Not installed. */
#ifndef NM_TLS_ARENA_H
#define NM_TLS_ARENA_H

#include <stddef.h>

void *tls_arena_alloc(size_t n);
void tls_arena_free(void *p);
void *tls_arena_realloc(void *p, size_t n);

#endif

/* tls_arena_unit - the arena of lib/tls/arena.cpp at 64 KiB: its size
 * classes, a block given back taken again, realloc (in its block while it
 * fits, moved with its bytes when not, kept when no room), and the
 * refusals counted when it is full or a size is past its largest class. */
#define NM_TLS_ARENA_BYTES (64 * 1024)
#include "tls/arena.cpp"
#include <stdio.h>

static int passed, failed;

static void check(int ok, const char *what)
{
    if (ok) passed++;
    else {
        failed++;
        printf("FAIL %s\n", what);
    }
}

static nm_tls_arena_stats now(void)
{
    nm_tls_arena_stats s;
    nm_tls_arena_get_stats(&s);
    return s;
}

int main(void)
{
    check(now().size == 64 * 1024 && now().in_use == 0, "64 KiB, empty");
    char *a = (char *)tls_arena_alloc(100);   /* class 128, with its head */
    check(a && now().in_use == 16 + 128, "100 bytes take a block of 128 and its head");
    check(((unsigned long)a & 15) == 0, "blocks aligned to 16");
    memset(a, 'a', 100);
    char *b = (char *)tls_arena_realloc(a, 120);
    check(b == a, "realloc within the block stays");
    b = (char *)tls_arena_realloc(a, 1000);
    check(b && b != a && b[0] == 'a' && b[99] == 'a' && now().in_use == 16 + 1024, "realloc past it moves the bytes");
    char *c = (char *)tls_arena_alloc(128);
    check(c == a, "a block given back is taken again by its class");
    tls_arena_free(c);
    tls_arena_free(b);
    check(now().in_use == 0 && now().peak == 16 + 128 + 16 + 1024, "all given back; the peak kept");
    nm_tls_arena_reset_peak();
    check(now().peak == 0, "the peak starts again at what is in use");

    check(!tls_arena_alloc(65537) && now().refusals == 1, "past the largest class: refused, counted");
    void *held[64];
    int n = 0;
    while (n < 64 && (held[n] = tls_arena_alloc(4000))) n++;
    check(n == 15 && now().refusals == 2, "full: 15 blocks of 4096 fit 64 KiB, the 16th refused and counted");
    void *big = tls_arena_realloc(held[0], 8000);
    check(!big && now().refusals == 3, "realloc with no room: NULL, the block kept");
    for (int i = 0; i < n; i++) tls_arena_free(held[i]);
    check(now().in_use == 0, "every block back");
    check(tls_arena_alloc(4000) != 0, "and taken again");
    printf("%d passed, %d failed, 0 skipped\n", passed, failed);
    return failed != 0;
}

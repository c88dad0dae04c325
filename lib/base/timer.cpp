#include "timer.h"
#include "udiv.h"
#include <time.h>

uint64_t nm_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint32_t)ts.tv_nsec / 1000000u;   /* (below 10^9: 32 bits) */
}

__thread uint64_t nm_round_ms;

void nm_clock_round(uint64_t now_ms) { nm_round_ms = now_ms; }

void nm_wheel_init(nm_wheel *w, uint64_t now_ms)
{
    for (unsigned i = 0; i < NM_TIMER_SLOTS; i++) nm_link_init(&w->slots[i]);
    w->tick = 0;
    w->start_ms = now_ms;
    w->armed = 0;
}

void nm_timer_init(nm_timer *t, void (*fn)(nm_timer *))
{
    t->link.prev = t->link.next = 0;
    t->expires = 0;
    t->fn = fn;
}

int nm_timer_armed(const nm_timer *t) { return t->link.next != 0; }

static uint64_t tick_of(const nm_wheel *w, uint64_t ms)
{
    uint32_t rem;
    return ms <= w->start_ms ? 0 : nm_udiv<NM_TIMER_TICK_MS>(ms - w->start_ms, &rem);
}

void nm_wheel_add(nm_wheel *w, nm_timer *t, uint64_t now_ms, unsigned ms)
{
    if (nm_timer_armed(t)) nm_wheel_del(w, t);
    uint64_t due = tick_of(w, now_ms + ms + NM_TIMER_TICK_MS - 1);
    if (due <= w->tick) due = w->tick + 1;
    t->expires = due;
    nm_link_push(&w->slots[due % NM_TIMER_SLOTS], &t->link);
    w->armed++;
}

void nm_wheel_del(nm_wheel *w, nm_timer *t)
{
    if (!nm_timer_armed(t)) return;
    nm_link_remove(&t->link);
    w->armed--;
}

unsigned nm_wheel_advance(nm_wheel *w, uint64_t now_ms)
{
    uint64_t target = tick_of(w, now_ms);
    unsigned fired = 0;
    while (w->tick < target) {
        w->tick++;
        if (!w->armed) { w->tick = target; break; }
        nm_link *head = &w->slots[w->tick % NM_TIMER_SLOTS];
        /* Detach the due timers first, so callbacks may re-arm into this slot. */
        nm_link due;
        nm_link_init(&due);
        for (nm_link *l = head->next; l != head;) {
            nm_link *next = l->next;
            if (((nm_timer *)l)->expires <= w->tick) {
                nm_link_remove(l);
                nm_link_push(&due, l);
            }
            l = next;
        }
        while (due.next != &due) {
            nm_timer *t = (nm_timer *)due.next;
            nm_link_remove(&t->link);
            w->armed--;
            fired++;
            t->fn(t);
        }
    }
    return fired;
}

int nm_wheel_wait_ms(const nm_wheel *w, uint64_t now_ms)
{
    if (!w->armed) return -1;
    /* Sleep to the first slot that holds a timer, so an idle device with only
     * long timeouts armed does not wake every tick. A slot may hold timers of
     * a later round: waking for them early is harmless. */
    uint64_t ahead = 1;
    while (ahead < NM_TIMER_SLOTS) {
        const nm_link *slot = &w->slots[(w->tick + ahead) % NM_TIMER_SLOTS];
        if (slot->next != slot) break;
        ahead++;
    }
    uint64_t next_ms = w->start_ms + (w->tick + ahead) * NM_TIMER_TICK_MS;
    return next_ms <= now_ms ? 0 : (int)(next_ms - now_ms);
}

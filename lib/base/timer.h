/* timer.h - a hashed timer wheel with intrusive timers.
 *
 * Timers live inside the objects they time (a connection embeds one), so the
 * wheel needs no storage of its own beyond its slot heads. Adding, removing
 * and re-arming are O(1); advancing walks only the slots the clock passed.
 * One wheel belongs to one thread (one event loop). */
#ifndef NM_TIMER_H
#define NM_TIMER_H

#include <stdint.h>
#include "../nm_config.h"

struct nm_link { nm_link *prev, *next; };

/* Intrusive doubly linked lists: a head is a link that points at itself. */
static inline void nm_link_init(nm_link *head) { head->prev = head->next = head; }
static inline int nm_link_empty(const nm_link *head) { return head->next == head; }
static inline void nm_link_remove(nm_link *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    l->prev = l->next = 0;   /* a removed timer reads as not armed */
}
static inline void nm_link_push(nm_link *head, nm_link *l)   /* at the tail */
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

struct nm_timer {
    nm_link link;          /* first: a timer is its own list node */
    uint64_t expires;      /* absolute tick */
    void (*fn)(nm_timer *);
};

struct nm_wheel {
    nm_link slots[NM_TIMER_SLOTS];
    uint64_t tick;         /* ticks processed so far */
    uint64_t start_ms;
    unsigned armed;
};

uint64_t nm_now_ms(void);  /* monotonic milliseconds */
/* A thread that runs an event loop reads the clock once a round (after its
 * wait) and tells it here; nm_clock_ms is then that time, and on any other
 * thread nm_now_ms. Deadlines of non-blocking connections use it: a few
 * clock reads a request saved, at the price of a round's staleness. */
void nm_clock_round(uint64_t now_ms);
extern __thread uint64_t nm_round_ms;   /* 0: this thread runs no loop */
static inline uint64_t nm_clock_ms(void) { return nm_round_ms ? nm_round_ms : nm_now_ms(); }

void nm_wheel_init(nm_wheel *w, uint64_t now_ms);
void nm_timer_init(nm_timer *t, void (*fn)(nm_timer *));
int nm_timer_armed(const nm_timer *t);
/* Arm (or re-arm) `t` to fire `ms` from `now_ms` (at least one tick later). */
void nm_wheel_add(nm_wheel *w, nm_timer *t, uint64_t now_ms, unsigned ms);
void nm_wheel_del(nm_wheel *w, nm_timer *t);
/* Fire every timer due by `now_ms`; returns how many fired. A timer's fn may
 * add or delete any timer, itself included. */
unsigned nm_wheel_advance(nm_wheel *w, uint64_t now_ms);
/* Milliseconds until the first tick whose slot holds a timer (at most one
 * revolution), -1 when nothing is armed. */
int nm_wheel_wait_ms(const nm_wheel *w, uint64_t now_ms);

#endif

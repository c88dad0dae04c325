/* rate.h - the minimum rate a request's head or body must keep
 * (nm_config.min_rate): the one rule every model's deadlines read.
 *
 * Once a byte of the head (or of the body) has arrived, time is cut into
 * windows of NM_RATE_WINDOW_MS from that byte. The first window is grace: a
 * head's first segment may come alone. Each later window in which bytes
 * arrived must bring min_rate bytes a second; one that brings fewer is a
 * trickle, and the connection is cut at its end. A window in which nothing
 * arrived is a stall, not a trickle: a lost segment waits for its
 * retransmission, then everything comes at once, so a stall is judged by
 * the header or body timeout alone, never here. So a client sending a byte
 * a second is cut two seconds after its first byte, and a head sent half,
 * then the rest 2.5 s later, is answered. */
#ifndef NM_RATE_H
#define NM_RATE_H

#include <stdint.h>
#include <stddef.h>

#define NM_RATE_WINDOW_MS 1000

/* What has arrived in the read phase so far (zero: nothing yet). */
struct nm_rate {
    uint64_t start;   /* ms: the phase's first byte */
    uint32_t bytes;   /* bytes arrived in window `win` */
    uint16_t win;     /* from 0 (the grace); past 18 h the last window lasts */
    uint8_t on;       /* a byte has arrived */
    uint8_t slow;     /* a window past the grace ended short of the rate */
};

static inline void nm_rate_reset(nm_rate *r)
{
    r->start = 0;
    r->bytes = 0;
    r->win = 0;
    r->on = r->slow = 0;
}

/* The window counted now brought bytes, fewer than the rate asks. */
static inline int nm_rate_short(const nm_rate *r, int min_rate)
{
    return r->win >= 1 && r->bytes > 0 && (uint64_t)r->bytes * 1000 < (uint64_t)min_rate * NM_RATE_WINDOW_MS;
}

/* n bytes arrived at `now` (ms). */
static inline void nm_rate_add(nm_rate *r, uint64_t now, size_t n, int min_rate)
{
    if (min_rate <= 0 || !n) return;
    if (!r->on) {
        r->on = 1;
        r->start = now;
    }
    uint64_t ms = now > r->start ? now - r->start : 0;   /* (divided in 32 bits: past the last window, the last) */
    uint32_t w = ms >= (uint64_t)UINT16_MAX * NM_RATE_WINDOW_MS ? UINT16_MAX : (uint32_t)ms / NM_RATE_WINDOW_MS;
    if (w != r->win) {   /* the counted window has ended: its verdict stays */
        if (nm_rate_short(r, min_rate)) r->slow = 1;
        r->win = (uint16_t)w;
        r->bytes = 0;
    }
    uint64_t b = (uint64_t)r->bytes + n;
    r->bytes = b > UINT32_MAX ? UINT32_MAX : (uint32_t)b;
}

/* When the rule cuts the connection (ms; at or before now: cut now), or
 * UINT64_MAX while it is keeping the rate, stalled, in its grace, or off. */
static inline uint64_t nm_rate_due(const nm_rate *r, int min_rate)
{
    if (min_rate <= 0 || !r->on) return UINT64_MAX;
    if (r->slow) return r->start;
    if (nm_rate_short(r, min_rate)) return r->start + ((uint64_t)r->win + 1) * NM_RATE_WINDOW_MS;
    return UINT64_MAX;
}

#endif

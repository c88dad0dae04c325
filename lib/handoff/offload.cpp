#include "offload.h"
#include "lend.h"

static int hand(nm_loop *l, nm_conn *c)
{
    nm_offload *o = (nm_offload *)nm_loop_thread_of(l)->group->user;
    return o->hand(o, c);
}

static void after_round(nm_loop_thread *t)
{
    nm_offload *o = (nm_offload *)t->group->user;
    if (o->after_round) o->after_round(o);
}

int nm_offload_open(nm_offload *o, nm_server *s, int (*hand_fn)(nm_offload *, nm_conn *), void *ctx)
{
    if (nm_group_open(&o->group, s, 1, nm_lend_io, nm_lend_resume)) return -1;
    o->hand = hand_fn;
    o->ctx = ctx;
    o->group.user = o;
    o->group.dispatch = hand;
    o->group.on_turn = after_round;
    o->after_round = 0;
    o->loop = o->group.loops[0]->loop;
    if (nm_loop_watch(o->loop, s->listen_fd, NM_READ, nm_accept_io, 0)) {
        nm_group_close(&o->group);
        return -1;
    }
    return 0;
}

void nm_offload_close(nm_offload *o) { nm_group_close(&o->group); }

int nm_offload_turn(nm_offload *o) { return nm_group_turn(o->group.loops[0]); }

/* modbus.c - a Modbus/TCP server over a table of holding registers, made
 * with nothing but netmodels.h and libc, as a firmware team makes one.
 *
 * A request is an MBAP header (transaction id 2 bytes, protocol id 2 bytes,
 * always 0, length 2 bytes counting the unit id and the PDU, unit id 1 byte)
 * then the PDU (function code and its data), all big-endian. Served:
 *   0x03 read holding registers     (quantity 1..125)
 *   0x06 write single register
 *   0x10 write multiple registers   (quantity 1..123, byte count 2 * quantity)
 * Anything else is answered with exception 0x01 (illegal function); a range
 * past the table with 0x02 (illegal data address); a bad quantity, byte count
 * or PDU length with 0x03 (illegal data value). A malformed header (protocol
 * id not 0, a length below 2 or above 254) closes the connection unanswered.
 *
 * The table is one per server: modbus_init() maps it shared before nm_run,
 * so the threads and the forked processes of every model see the same
 * registers, under a spinlock that lives in the mapping (int-sized atomics
 * only: 32-bit MIPS has no 64-bit ones). Register i starts at value i. */
#define _DEFAULT_SOURCE
#include "protocols.h"
#include <sched.h>
#include <string.h>
#include <sys/mman.h>

#ifndef MODBUS_REGISTERS
#define MODBUS_REGISTERS 1024
#endif
#if MODBUS_REGISTERS < 1 || MODBUS_REGISTERS > 65536
#error "MODBUS_REGISTERS: 1 to 65536 (a register address is 16 bits)"
#endif

enum {
    MBAP_SIZE = 7,          /* transaction id, protocol id, length, unit id */
    MBAP_LENGTH_MIN = 2,    /* the unit id and a function code */
    MBAP_LENGTH_MAX = 254,  /* the unit id and the largest PDU, 253 bytes */
    READ_MAX = 125,         /* registers one read may ask for */
    WRITE_MAX = 123         /* registers one write multiple may carry */
};

enum {
    FC_READ_HOLDING = 0x03,
    FC_WRITE_SINGLE = 0x06,
    FC_WRITE_MULTIPLE = 0x10
};

enum {
    EX_ILLEGAL_FUNCTION = 0x01,
    EX_ILLEGAL_ADDRESS = 0x02,
    EX_ILLEGAL_VALUE = 0x03
};

struct modbus_table {
    int lock;   /* 0 free, 1 held */
    unsigned short reg[MODBUS_REGISTERS];
};

static struct modbus_table *table;

static void table_lock(void)
{
    while (__atomic_exchange_n(&table->lock, 1, __ATOMIC_ACQUIRE))
        sched_yield();   /* the holder may be a preempted process on a single core */
}

static void table_unlock(void)
{
    __atomic_store_n(&table->lock, 0, __ATOMIC_RELEASE);
}

static unsigned get16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

int modbus_init(void)
{
    void *m = mmap(0, sizeof(struct modbus_table), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return -1;
    table = (struct modbus_table *)m;
    for (unsigned i = 0; i < MODBUS_REGISTERS; i++) table->reg[i] = (unsigned short)i;
    table->lock = 0;
    return 0;
}

/* Whole MBAP frames only: the header's checks as soon as its bytes are
 * there, then wait for the PDU the length announces. */
static int modbus_frame(const char *buf, size_t len, nm_frame *f, nm_request *req)
{
    const unsigned char *b = (const unsigned char *)buf;
    (void)req;
    if (len >= 4 && get16(b + 2) != 0) {
        f->status = 400;
        return NM_FRAME_REFUSE;
    }
    if (len < 6) return NM_FRAME_MORE;
    unsigned length = get16(b + 4);
    if (length < MBAP_LENGTH_MIN || length > MBAP_LENGTH_MAX) {
        f->status = 400;
        return NM_FRAME_REFUSE;
    }
    if (len < 6 + (size_t)length) return NM_FRAME_MORE;
    f->head = 6 + (size_t)length;
    f->body = NM_BODY_NONE;
    return NM_FRAME_MESSAGE;
}

/* The answer's PDU into out[], its length; 0 for none (an exception
 * then, its code in *ex). */
static size_t serve(const unsigned char *pdu, size_t n, unsigned char *out, int *ex)
{
    unsigned addr = n >= 3 ? get16(pdu + 1) : 0;
    unsigned qty = n >= 5 ? get16(pdu + 3) : 0;
    switch (pdu[0]) {
    case FC_READ_HOLDING:
        if (n != 5 || qty < 1 || qty > READ_MAX) { *ex = EX_ILLEGAL_VALUE; return 0; }
        if (addr + qty > MODBUS_REGISTERS) { *ex = EX_ILLEGAL_ADDRESS; return 0; }
        out[0] = FC_READ_HOLDING;
        out[1] = (unsigned char)(2 * qty);
        table_lock();
        for (unsigned i = 0; i < qty; i++) put16(out + 2 + 2 * i, table->reg[addr + i]);
        table_unlock();
        return 2 + 2 * qty;
    case FC_WRITE_SINGLE:
        if (n != 5) { *ex = EX_ILLEGAL_VALUE; return 0; }
        if (addr >= MODBUS_REGISTERS) { *ex = EX_ILLEGAL_ADDRESS; return 0; }
        table_lock();
        table->reg[addr] = (unsigned short)qty;   /* the value stands where a quantity would */
        table_unlock();
        memcpy(out, pdu, 5);
        return 5;
    case FC_WRITE_MULTIPLE:
        if (n < 6 || qty < 1 || qty > WRITE_MAX || pdu[5] != 2 * qty || n != 6 + (size_t)pdu[5]) {
            *ex = EX_ILLEGAL_VALUE;
            return 0;
        }
        if (addr + qty > MODBUS_REGISTERS) { *ex = EX_ILLEGAL_ADDRESS; return 0; }
        table_lock();
        for (unsigned i = 0; i < qty; i++) table->reg[addr + i] = (unsigned short)get16(pdu + 6 + 2 * i);
        table_unlock();
        memcpy(out, pdu, 5);
        return 5;
    default:
        *ex = EX_ILLEGAL_FUNCTION;
        return 0;
    }
}

int modbus_handle(const nm_request *req, nm_response *res, void *user)
{
    const unsigned char *in = (const unsigned char *)req->head_bytes.p;
    size_t n = req->head_bytes.n;
    unsigned char out[MBAP_SIZE + 2 + 2 * READ_MAX];
    int ex = 0;
    (void)user;
    if (!table || n < MBAP_SIZE + 1) return -1;   /* the framing lets no shorter frame through */
    size_t pdu = serve(in + MBAP_SIZE, n - MBAP_SIZE, out + MBAP_SIZE, &ex);
    if (!pdu) {
        out[MBAP_SIZE] = (unsigned char)(in[MBAP_SIZE] | 0x80);
        out[MBAP_SIZE + 1] = (unsigned char)ex;
        pdu = 2;
    }
    memcpy(out, in, 4);   /* transaction id, protocol id (0) */
    put16(out + 4, (unsigned)(1 + pdu));
    out[6] = in[6];       /* unit id */
    return nm_resp_write(res, out, MBAP_SIZE + pdu) ? -1 : 0;
}

const nm_protocol modbus_protocol = { "modbus", modbus_frame, 0, 0, 0, 0, 0, 0 };

/* modbus_client.c HOST PORT [REGISTERS] - the demo Modbus/TCP server
 * (demos/modbus.c) judged by libmodbus, a client nobody here wrote, and by
 * hand-made frames on a plain socket for what libmodbus never sends: bytes
 * one at a time, requests pipelined or split, malformed headers.
 *
 * REGISTERS is the server's table size (default 1024, MODBUS_REGISTERS).
 * Only registers near the top of the table are written, and each is put
 * back to its start value (register i holds i), so runs repeat. One
 * connection is open at a time: the iterative model serves one client at
 * a time. Every wait is bounded (5 s). One line per check, then
 * "N passed, M failed"; the exit status is non-zero on a failure. */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <modbus/modbus.h>

enum { UNIT = 1, WAIT_S = 5 };

static const char *host;
static int port;
static int passed, failed;

static void check(int ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs(ok ? "ok   " : "FAIL ", stdout);
    vprintf(fmt, ap);
    putchar('\n');
    va_end(ap);
    if (ok) passed++;
    else failed++;
}

static void pause_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&ts, 0);
}

/* ---- through libmodbus ---- */

static modbus_t *mb_open(void)
{
    modbus_t *ctx = modbus_new_tcp(host, port);
    if (!ctx) return 0;
    modbus_set_response_timeout(ctx, WAIT_S, 0);
    modbus_set_slave(ctx, UNIT);
    if (modbus_connect(ctx) == -1) {
        modbus_free(ctx);
        return 0;
    }
    return ctx;
}

static void mb_close(modbus_t *ctx)
{
    if (!ctx) return;
    modbus_close(ctx);
    modbus_free(ctx);
}

/* n registers from addr read as want[i] (want NULL: each holds its address). */
static int mb_read_is(modbus_t *ctx, int addr, int n, const uint16_t *want)
{
    uint16_t got[125];
    if (modbus_read_registers(ctx, addr, n, got) != n) return 0;
    for (int i = 0; i < n; i++)
        if (got[i] != (want ? want[i] : (uint16_t)(addr + i))) return 0;
    return 1;
}

/* A raw request through libmodbus: the exception code of its answer, or -1. */
static int mb_raw_exception(modbus_t *ctx, const uint8_t *pdu, int n)
{
    uint8_t req[16], rsp[MODBUS_TCP_MAX_ADU_LENGTH];
    req[0] = UNIT;
    memcpy(req + 1, pdu, (size_t)n);
    if (modbus_send_raw_request(ctx, req, n + 1) == -1) return -1;
    int got = modbus_receive_confirmation(ctx, rsp);
    if (got != 9 || rsp[7] != (pdu[0] | 0x80)) return -1;
    return rsp[8];
}

static void libmodbus_checks(int regs)
{
    modbus_t *ctx = mb_open();
    check(ctx != 0, "connect with libmodbus to %s:%d%s%s", host, port, ctx ? "" : ": ", ctx ? "" : modbus_strerror(errno));
    if (!ctx) return;

    check(mb_read_is(ctx, 0, 10, 0), "read registers 0..9: 0..9");
    check(mb_read_is(ctx, regs - 1, 1, 0), "read the last register, %d", regs - 1);
    check(mb_read_is(ctx, regs - 125, 125, 0), "read 125 registers at once, the most a read may ask");

    int one = regs - 24;
    int ok = modbus_write_register(ctx, one, 0xBEEF) == 1;
    uint16_t beef = 0xBEEF;
    check(ok && mb_read_is(ctx, one, 1, &beef), "write single register %d, read it back", one);
    modbus_write_register(ctx, one, (uint16_t)one);
    check(mb_read_is(ctx, one, 1, 0), "register %d written back to its start value", one);

    int many = regs - 23, count = 10;
    uint16_t vals[10], start[10];
    for (int i = 0; i < count; i++) {
        vals[i] = (uint16_t)(0xA000 + 17 * i);
        start[i] = (uint16_t)(many + i);
    }
    ok = modbus_write_registers(ctx, many, count, vals) == count;
    check(ok && mb_read_is(ctx, many, count, vals), "write %d registers at %d, read them back", count, many);
    modbus_write_registers(ctx, many, count, start);
    check(mb_read_is(ctx, many, count, 0), "registers %d.. written back to their start values", many);

    uint16_t got[10];
    errno = 0;
    int r = modbus_read_registers(ctx, regs - 5, 10, got);
    check(r == -1 && errno == EMBXILADD, "read past the table: illegal data address (%s)", modbus_strerror(errno));
    errno = 0;
    r = modbus_write_register(ctx, regs, 1);
    check(r == -1 && errno == EMBXILADD, "write register %d, past the table: illegal data address", regs);
    uint8_t bits[8];
    errno = 0;
    r = modbus_read_bits(ctx, 0, 8, bits);
    check(r == -1 && errno == EMBXILFUN, "read coils, not served: illegal function (%s)", modbus_strerror(errno));

    static const uint8_t unknown[] = { 0x41, 0x00, 0x00 };
    check(mb_raw_exception(ctx, unknown, 3) == MODBUS_EXCEPTION_ILLEGAL_FUNCTION,
          "function 0x41 sent raw: exception illegal function");
    static const uint8_t none[] = { 0x03, 0x00, 0x00, 0x00, 0x00 };
    check(mb_raw_exception(ctx, none, 5) == MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE,
          "read of 0 registers sent raw: exception illegal data value");
    static const uint8_t too_many[] = { 0x03, 0x00, 0x00, 0x00, 126 };
    check(mb_raw_exception(ctx, too_many, 5) == MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE,
          "read of 126 registers sent raw: exception illegal data value");
    static const uint8_t bad_count[] = { 0x10, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00 };
    check(mb_raw_exception(ctx, bad_count, 10) == MODBUS_EXCEPTION_ILLEGAL_DATA_VALUE,
          "write multiple with byte count != 2 * quantity: exception illegal data value");
    check(mb_read_is(ctx, 0, 2, 0), "the connection still serves after the exceptions");
    mb_close(ctx);
}

/* One table for the whole server: written on one connection, read on the
 * next; several rounds, so that a multi-process model likely hands the two
 * to different processes. */
static void shared_checks(int regs)
{
    int reg = regs - 12, rounds = 4, ok = 1;
    for (int r = 0; r < rounds && ok; r++) {
        uint16_t v = (uint16_t)(0x5A00 + r);
        modbus_t *a = mb_open();
        ok = a && modbus_write_register(a, reg, v) == 1;
        mb_close(a);
        modbus_t *b = ok ? mb_open() : 0;
        ok = b && mb_read_is(b, reg, 1, &v);
        mb_close(b);
    }
    check(ok, "written on one connection, read on another (%d rounds)", rounds);
    modbus_t *c = mb_open();
    ok = c && modbus_write_register(c, reg, (uint16_t)reg) == 1;
    mb_close(c);
    check(ok, "register %d written back to its start value", reg);
}

/* ---- hand-made frames on a plain socket ---- */

static int raw_open(void)
{
    char service[16];
    struct addrinfo hints, *ai = 0;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    snprintf(service, sizeof(service), "%d", port);
    if (getaddrinfo(host, service, &hints, &ai) || !ai) return -1;
    int fd = socket(ai->ai_family, SOCK_STREAM, 0);
    struct timeval tv = { WAIT_S, 0 };
    int one = 1;
    if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
                    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) ||
                    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
                    connect(fd, ai->ai_addr, ai->ai_addrlen))) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(ai);
    return fd;
}

static int send_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* n bytes, or fewer when the peer closes or WAIT_S passes. */
static size_t recv_all(int fd, unsigned char *p, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, p + got, n - got, 0);
        if (r <= 0) break;
        got += (size_t)r;
    }
    return got;
}

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
}

static unsigned get16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }

enum { READ_REQ = 12 };

/* A read of qty registers at addr, transaction tid, into b[READ_REQ]. */
static void read_request(unsigned char *b, unsigned tid, unsigned addr, unsigned qty)
{
    put16(b, tid);
    put16(b + 2, 0);
    put16(b + 4, 6);
    b[6] = UNIT;
    b[7] = 0x03;
    put16(b + 8, addr);
    put16(b + 10, qty);
}

/* The answer to read_request(tid, addr, qty) arrives whole and right. */
static int read_answer_ok(int fd, unsigned tid, unsigned addr, unsigned qty)
{
    unsigned char b[9 + 2 * 125];
    size_t n = 9 + 2 * (size_t)qty;
    if (recv_all(fd, b, n) != n) return 0;
    if (get16(b) != tid || get16(b + 2) != 0 || get16(b + 4) != 3 + 2 * qty || b[6] != UNIT) return 0;
    if (b[7] != 0x03 || b[8] != 2 * qty) return 0;
    for (unsigned i = 0; i < qty; i++)
        if (get16(b + 9 + 2 * i) != addr + i) return 0;
    return 1;
}

static void framing_checks(void)
{
    unsigned char req[3 * READ_REQ];
    int fd = raw_open();
    int ok = fd >= 0;
    read_request(req, 0x1111, 5, 3);
    for (int i = 0; ok && i < READ_REQ; i++) {
        ok = send_all(fd, req + i, 1) == 0;
        pause_ms(2);
    }
    check(ok && read_answer_ok(fd, 0x1111, 5, 3), "a request sent a byte at a time");

    read_request(req, 0x0101, 10, 1);
    read_request(req + READ_REQ, 0x0102, 20, 2);
    read_request(req + 2 * READ_REQ, 0x0103, 30, 3);
    ok = fd >= 0 && send_all(fd, req, 3 * READ_REQ) == 0;
    ok = ok && read_answer_ok(fd, 0x0101, 10, 1);
    ok = ok && read_answer_ok(fd, 0x0102, 20, 2);
    ok = ok && read_answer_ok(fd, 0x0103, 30, 3);
    check(ok, "three requests in one write: three answers in order, transaction ids matching");

    read_request(req, 0x2222, 40, 4);
    ok = fd >= 0 && send_all(fd, req, 5) == 0;
    pause_ms(50);
    ok = ok && send_all(fd, req + 5, READ_REQ - 5) == 0;
    check(ok && read_answer_ok(fd, 0x2222, 40, 4), "a request split in two writes after byte 5");

    read_request(req, 0x3331, 50, 2);
    read_request(req + READ_REQ, 0x3332, 60, 2);
    ok = fd >= 0 && send_all(fd, req, READ_REQ + 3) == 0;
    ok = ok && read_answer_ok(fd, 0x3331, 50, 2);
    ok = ok && send_all(fd, req + READ_REQ + 3, READ_REQ - 3) == 0;
    check(ok && read_answer_ok(fd, 0x3332, 60, 2), "a whole request and 3 bytes of the next, then the rest");
    if (fd >= 0) close(fd);
}

/* A malformed header: the server closes without a byte of answer. */
static void refused(const char *what, unsigned proto, unsigned length)
{
    unsigned char req[READ_REQ];
    read_request(req, 0x4444, 0, 1);
    put16(req + 2, proto);
    put16(req + 4, length);
    int fd = raw_open();
    ssize_t r = -2;
    if (fd >= 0 && send_all(fd, req, READ_REQ) == 0) {
        unsigned char b[16];
        r = recv(fd, b, sizeof(b), 0);
    }
    int e = errno;
    check(r == 0, "%s: closed unanswered (recv %d%s%s)", what, (int)r, r < 0 ? ", " : "", r < 0 ? strerror(e) : "");
    if (fd >= 0) close(fd);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: modbus_client HOST PORT [REGISTERS]\n");
        return 2;
    }
    host = argv[1];
    port = atoi(argv[2]);
    int regs = argc > 3 ? atoi(argv[3]) : 1024;
    if (port <= 0 || port > 65535 || regs < 125 || regs > 65536) {
        fprintf(stderr, "modbus_client: bad port or register count\n");
        return 2;
    }
    libmodbus_checks(regs);
    shared_checks(regs);
    framing_checks();
    refused("protocol id 1", 1, 6);
    refused("length 1", 0, 1);
    refused("length 255", 0, 255);
    modbus_t *ctx = mb_open();
    check(ctx && mb_read_is(ctx, 0, 3, 0), "the server still serves after the malformed frames");
    mb_close(ctx);
    printf("%d passed, %d failed\n", passed, failed);
    return failed != 0;
}

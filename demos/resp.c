/* resp.c - a small key-value store that speaks RESP2, the Redis protocol,
 * made the way a firmware team makes its own protocol: netmodels.h and libc.
 *
 * A command is an array of bulk strings (*N\r\n$len\r\narg\r\n..., what
 * redis-cli and redis-benchmark send) or one inline line of words (PING\r\n,
 * what a person types through nc). Commands: PING [msg], ECHO msg, SET key
 * value, GET key, DEL key [key...], INCR key, QUIT, and COMMAND and CONFIG
 * GET answered with an empty array so that the real clients start quietly.
 *
 * The table is fixed in size and mapped shared (MAP_SHARED|MAP_ANONYMOUS) by
 * resp_init() before nm_run, so that every thread and every process of any
 * model sees the one table. A spinlock on an int inside the mapping guards
 * it: int-sized atomics only, as 32-bit MIPS has no 64-bit ones. */
#define _DEFAULT_SOURCE 1
#include "protocols.h"
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#ifndef RESP_KEYS
#define RESP_KEYS 1024        /* keys the table holds */
#endif
#ifndef RESP_KEY_MAX
#define RESP_KEY_MAX 64       /* bytes of a key */
#endif
#ifndef RESP_VALUE_MAX
#define RESP_VALUE_MAX 512    /* bytes of a value */
#endif
#ifndef RESP_ARGS_MAX
#define RESP_ARGS_MAX 16      /* words of one command */
#endif

#if RESP_KEY_MAX > 255 || RESP_VALUE_MAX > 65535
#error "RESP_KEY_MAX: at most 255; RESP_VALUE_MAX: at most 65535"
#endif

/* ---- the command's words ------------------------------------------------ */

typedef struct resp_args {
    int n;
    const char *p[RESP_ARGS_MAX];
    size_t len[RESP_ARGS_MAX];
} resp_args;

enum { RESP_MORE = 0, RESP_WHOLE = 1, RESP_BAD = 2 };

/* A decimal number at buf[*pos] ending in \r\n, at most `digits` digits, an
 * optional '-' before them when `sign`. RESP_WHOLE with *pos past the \r\n. */
static int resp_number(const char *buf, size_t len, size_t *pos, int digits, int sign, long *out)
{
    size_t i = *pos;
    int neg = 0, seen = 0;
    long v = 0;
    if (sign && i < len && buf[i] == '-') {
        neg = 1;
        i++;
    }
    for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
        if (++seen > digits) return RESP_BAD;
        v = v * 10 + (buf[i] - '0');
    }
    if (i == len) return RESP_MORE;
    if (!seen || buf[i] != '\r') return RESP_BAD;
    if (i + 1 == len) return RESP_MORE;
    if (buf[i + 1] != '\n') return RESP_BAD;
    *pos = i + 2;
    *out = neg ? -v : v;
    return RESP_WHOLE;
}

/* An array of bulk strings. *scan keeps, between calls for one command, where
 * the last whole element ended (times 32) and how many there were, so a
 * command that arrives in pieces is not read again from its start. */
static int resp_array(const char *buf, size_t len, size_t *scan, size_t *end, resp_args *a)
{
    size_t pos = 1;
    long count, size;
    int done, r = resp_number(buf, len, &pos, 3, 1, &count);
    if (r != RESP_WHOLE) return r;
    if (count > RESP_ARGS_MAX || count < -1) return RESP_BAD;
    if (count <= 0) {   /* *0 and *-1: an empty command, answered with nothing */
        *end = pos;
        if (a) a->n = 0;
        return RESP_WHOLE;
    }
    done = 0;
    if (!a && *scan) {
        done = (int)(*scan & 31u);
        pos = *scan >> 5;
    }
    for (; done < count; done++) {
        if (pos == len) return RESP_MORE;
        if (buf[pos] != '$') return RESP_BAD;
        pos++;
        r = resp_number(buf, len, &pos, 5, 0, &size);
        if (r != RESP_WHOLE) return r;
        if (size > (long)NM_BUF_SIZE) return RESP_BAD;   /* never fits the buffer */
        if (len - pos < (size_t)size + 2) return RESP_MORE;
        if (buf[pos + size] != '\r' || buf[pos + size + 1] != '\n') return RESP_BAD;
        if (a) {
            a->p[done] = buf + pos;
            a->len[done] = (size_t)size;
        }
        pos += (size_t)size + 2;
        if (!a) *scan = pos << 5 | (size_t)(done + 1);
    }
    if (a) a->n = (int)count;
    *end = pos;
    return RESP_WHOLE;
}

/* One inline line: words split by spaces or tabs, ending in \n or \r\n.
 * *scan is how far the search for the newline got. */
static int resp_inline(const char *buf, size_t len, size_t *scan, size_t *end, resp_args *a)
{
    const char *nl = (const char *)memchr(buf + *scan, '\n', len - *scan);
    size_t stop, i = 0;
    resp_args words;
    if (!nl) {
        *scan = len;
        return RESP_MORE;
    }
    if (!a) a = &words;
    *end = (size_t)(nl - buf) + 1;
    stop = *end - 1;
    if (stop && buf[stop - 1] == '\r') stop--;
    a->n = 0;
    for (;;) {
        size_t from;
        while (i < stop && (buf[i] == ' ' || buf[i] == '\t')) i++;
        if (i == stop) return RESP_WHOLE;
        if (a->n == RESP_ARGS_MAX) return RESP_BAD;
        from = i;
        while (i < stop && buf[i] != ' ' && buf[i] != '\t') i++;
        a->p[a->n] = buf + from;
        a->len[a->n++] = i - from;
    }
}

/* The command at the start of buf: its words into a (NULL: only measure it),
 * its length into *end. */
static int resp_parse(const char *buf, size_t len, size_t *scan, size_t *end, resp_args *a)
{
    if (!len) return RESP_MORE;
    return buf[0] == '*' ? resp_array(buf, len, scan, end, a) : resp_inline(buf, len, scan, end, a);
}

static int resp_frame(const char *buf, size_t len, nm_frame *f, nm_request *req)
{
    size_t end = 0;
    int r = resp_parse(buf, len, &f->scan, &end, 0);
    (void)req;
    if (r == RESP_MORE) return NM_FRAME_MORE;
    if (r == RESP_BAD) {
        f->status = 400;
        return NM_FRAME_REFUSE;
    }
    f->head = end;
    f->body = NM_BODY_NONE;
    return NM_FRAME_MESSAGE;
}

/* What the client reads before the library closes on input it refused. */
static size_t resp_error_body(int status, char *out, size_t cap)
{
    const char *text = status >= 500 ? "-ERR internal error\r\n" : "-ERR Protocol error\r\n";
    size_t n = strlen(text);
    if (n > cap) return 0;
    memcpy(out, text, n);
    return n;
}

const nm_protocol resp_protocol = { "resp", resp_frame, 0, 0, 0,
                                    "-ERR max number of clients reached\r\n", resp_error_body, 0 };

/* ---- the table ---------------------------------------------------------- */

typedef struct resp_entry {
    unsigned hash;
    unsigned char used, klen;
    unsigned short vlen;
    char key[RESP_KEY_MAX];
    char value[RESP_VALUE_MAX];
} resp_entry;

typedef struct resp_table {
    int lock;        /* 0 free, 1 held; int-sized atomics only */
    int count;
    resp_entry slot[RESP_KEYS];
} resp_table;

static resp_table *table;

static void table_lock(void)
{
    int spins = 0;
    while (__atomic_exchange_n(&table->lock, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&table->lock, __ATOMIC_RELAXED))
            if (++spins > 64) {   /* the holder may be a preempted thread or process */
                spins = 0;
                sched_yield();
            }
    }
}

static void table_unlock(void) { __atomic_store_n(&table->lock, 0, __ATOMIC_RELEASE); }

int resp_init(void)
{
    void *m;
    if (table) return 0;
    m = mmap(0, sizeof(resp_table), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return -1;
    table = (resp_table *)m;   /* a fresh anonymous mapping is zero: empty and unlocked */
    return 0;
}

static unsigned key_hash(const char *k, size_t n)
{
    unsigned h = 2166136261u;   /* FNV-1a */
    size_t i;
    for (i = 0; i < n; i++) h = (h ^ (unsigned char)k[i]) * 16777619u;
    return h;
}

/* Open addressing with linear probing. Under the lock: the slot holding the
 * key, else -1 with *free_at the first empty slot met (-1: none). */
static int table_find(const char *k, size_t n, unsigned h, int *free_at)
{
    int i = (int)(h % RESP_KEYS), step;
    *free_at = -1;
    for (step = 0; step < RESP_KEYS; step++) {
        const resp_entry *e = &table->slot[i];
        if (!e->used) {
            *free_at = i;
            return -1;
        }
        if (e->hash == h && e->klen == n && !memcmp(e->key, k, n)) return i;
        i = (i + 1) % RESP_KEYS;
    }
    return -1;
}

/* Under the lock: empty slot i and move later entries of its run back, so
 * that every key stays reachable from its home slot without tombstones. */
static void table_remove(int i)
{
    int j = i, step;
    table->slot[i].used = 0;
    table->count--;
    for (step = 1; step < RESP_KEYS; step++) {
        int home;
        j = (j + 1) % RESP_KEYS;
        if (!table->slot[j].used) return;
        home = (int)(table->slot[j].hash % RESP_KEYS);
        /* the entry at j may move to the hole at i unless its home lies in (i, j] */
        if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
            table->slot[i] = table->slot[j];
            table->slot[j].used = 0;
            i = j;
        }
    }
}

/* Under the lock: the slot for key k, made when missing (its value empty);
 * -1 when the table is full. */
static int table_slot(const char *k, size_t n, unsigned h)
{
    int free_at, i = table_find(k, n, h, &free_at);
    resp_entry *e;
    if (i >= 0) return i;
    if (free_at < 0 || table->count >= RESP_KEYS) return -1;
    e = &table->slot[free_at];
    e->used = 1;
    e->hash = h;
    e->klen = (unsigned char)n;
    e->vlen = 0;
    memcpy(e->key, k, n);
    table->count++;
    return free_at;
}

/* ---- answers ------------------------------------------------------------ */

static int reply(nm_response *res, const char *text) { return nm_resp_write(res, text, strlen(text)); }

static int reply_bulk(nm_response *res, const char *p, size_t n)
{
    char out[RESP_VALUE_MAX + 32];
    int k;
    if (n > RESP_VALUE_MAX) return reply(res, "-ERR value too long\r\n");
    k = snprintf(out, sizeof(out), "$%u\r\n", (unsigned)n);
    memcpy(out + k, p, n);
    memcpy(out + k + n, "\r\n", 2);
    return nm_resp_write(res, out, (size_t)k + n + 2);
}

/* ":v\r\n", or another type's mark before a count ("*2\r\n"). */
static int reply_integer_as(nm_response *res, char mark, long long v)
{
    char out[32];
    int k = snprintf(out, sizeof(out), "%c%lld\r\n", mark, v);
    return nm_resp_write(res, out, (size_t)k);
}

static int reply_integer(nm_response *res, long long v) { return reply_integer_as(res, ':', v); }

/* An error naming the command: the name cut short and kept to one line. */
static int reply_named(nm_response *res, const char *before, const char *name, size_t len, const char *after)
{
    char out[160];
    size_t k = strlen(before), i;
    memcpy(out, before, k);
    for (i = 0; i < len && i < 64; i++) {
        char c = name[i];
        out[k++] = c == '\r' || c == '\n' ? ' ' : c;
    }
    memcpy(out + k, after, strlen(after));
    return nm_resp_write(res, out, k + strlen(after));
}

static int word_is(const char *p, size_t n, const char *upper)
{
    size_t i;
    for (i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'a' && c <= 'z') c = (char)(c - 'a' + 'A');
        if (!upper[i] || c != upper[i]) return 0;
    }
    return upper[n] == 0;
}

/* A value as a signed 64-bit decimal, as INCR reads it: 0, or -1. */
static int as_integer(const char *p, size_t n, long long *out)
{
    unsigned long long v = 0, lim = 9223372036854775807ULL;
    size_t i = 0;
    int neg = 0;
    if (n && p[0] == '-') {
        neg = 1;
        lim++;
        i = 1;
    }
    if (i == n || n - i > 19 || (p[i] == '0' && n - i > 1)) return -1;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') return -1;
        if (v > (lim - (unsigned)(p[i] - '0')) / 10) return -1;
        v = v * 10 + (unsigned)(p[i] - '0');
    }
    *out = neg ? (long long)(0 - v) : (long long)v;
    return 0;
}

static int cmd_set(nm_response *res, const resp_args *a)
{
    unsigned h;
    int i;
    if (a->len[1] > RESP_KEY_MAX) return reply(res, "-ERR key too long\r\n");
    if (a->len[2] > RESP_VALUE_MAX) return reply(res, "-ERR value too long\r\n");
    h = key_hash(a->p[1], a->len[1]);
    table_lock();
    i = table_slot(a->p[1], a->len[1], h);
    if (i >= 0) {
        memcpy(table->slot[i].value, a->p[2], a->len[2]);
        table->slot[i].vlen = (unsigned short)a->len[2];
    }
    table_unlock();
    return reply(res, i >= 0 ? "+OK\r\n" : "-ERR table full\r\n");
}

static int cmd_get(nm_response *res, const resp_args *a)
{
    char value[RESP_VALUE_MAX];
    size_t n = 0;
    int free_at, i;
    if (a->len[1] > RESP_KEY_MAX) return reply(res, "$-1\r\n");
    table_lock();
    i = table_find(a->p[1], a->len[1], key_hash(a->p[1], a->len[1]), &free_at);
    if (i >= 0) {
        n = table->slot[i].vlen;
        memcpy(value, table->slot[i].value, n);
    }
    table_unlock();
    return i >= 0 ? reply_bulk(res, value, n) : reply(res, "$-1\r\n");
}

static int cmd_del(nm_response *res, const resp_args *a)
{
    long long gone = 0;
    int k, i, free_at;
    table_lock();
    for (k = 1; k < a->n; k++) {
        if (a->len[k] > RESP_KEY_MAX) continue;
        i = table_find(a->p[k], a->len[k], key_hash(a->p[k], a->len[k]), &free_at);
        if (i < 0) continue;
        table_remove(i);
        gone++;
    }
    table_unlock();
    return reply_integer(res, gone);
}

static int cmd_incr(nm_response *res, const resp_args *a)
{
    const char *err = 0;
    long long v = 0;
    int i;
    if (a->len[1] > RESP_KEY_MAX) return reply(res, "-ERR key too long\r\n");
    table_lock();
    i = table_slot(a->p[1], a->len[1], key_hash(a->p[1], a->len[1]));
    if (i < 0) err = "-ERR table full\r\n";
    else {
        resp_entry *e = &table->slot[i];
        if (e->vlen && as_integer(e->value, e->vlen, &v)) err = "-ERR value is not an integer or out of range\r\n";
        else if (v == 9223372036854775807LL) err = "-ERR increment or decrement would overflow\r\n";
        else {
            char text[24];
            int n = snprintf(text, sizeof(text), "%lld", ++v);
            memcpy(e->value, text, (size_t)n);   /* 20 bytes at most: fits any RESP_VALUE_MAX >= 20 */
            e->vlen = (unsigned short)n;
        }
    }
    table_unlock();
    return err ? reply(res, err) : reply_integer(res, v);
}

/* CONFIG GET name...: the two settings redis-benchmark reads (nothing is
 * saved), as name and value pairs; other names match nothing. */
static int cmd_config(nm_response *res, const resp_args *a)
{
    static const char *const known[] = { "save", "", "appendonly", "no" };
    char out[128];
    size_t k = 0;
    int pairs = 0, i, j;
    if (!word_is(a->p[1], a->len[1], "GET")) return reply(res, "-ERR unknown subcommand for 'config'\r\n");
    for (j = 0; j < 4; j += 2)
        for (i = 2; i < a->n; i++)
            if (a->len[i] == strlen(known[j]) && !memcmp(a->p[i], known[j], a->len[i])) {
                k += (size_t)snprintf(out + k, sizeof(out) - k, "$%u\r\n%s\r\n$%u\r\n%s\r\n",
                                      (unsigned)strlen(known[j]), known[j],
                                      (unsigned)strlen(known[j + 1]), known[j + 1]);
                pairs++;
                break;
            }
    if (reply_integer_as(res, '*', 2 * pairs)) return -1;
    return nm_resp_write(res, out, k);
}

#if RESP_VALUE_MAX < 20
#error "RESP_VALUE_MAX: at least 20 (INCR keeps a 64-bit number as text)"
#endif

int resp_handle(const nm_request *req, nm_response *res, void *user)
{
    resp_args a;
    size_t scan = 0, end = 0;
    const char *cmd;
    size_t n;
    int min = 1, max = RESP_ARGS_MAX;   /* words, the command's name included */
    (void)user;
    if (resp_parse(req->head_bytes.p, req->head_bytes.n, &scan, &end, &a) != RESP_WHOLE) return -1;
    if (!a.n) return 0;   /* an empty line or *0: nothing to answer */
    cmd = a.p[0];
    n = a.len[0];
    if (word_is(cmd, n, "PING")) max = 2;
    else if (word_is(cmd, n, "ECHO")) min = max = 2;
    else if (word_is(cmd, n, "SET")) min = max = 3;
    else if (word_is(cmd, n, "GET")) min = max = 2;
    else if (word_is(cmd, n, "DEL")) min = 2;
    else if (word_is(cmd, n, "INCR")) min = max = 2;
    else if (word_is(cmd, n, "CONFIG")) min = 2;
    else if (word_is(cmd, n, "QUIT")) max = 1;
    else if (!word_is(cmd, n, "COMMAND"))
        return reply_named(res, "-ERR unknown command '", cmd, n, "'\r\n");
    if (a.n < min || a.n > max) return reply_named(res, "-ERR wrong number of arguments for '", cmd, n, "' command\r\n");

    if (word_is(cmd, n, "PING")) return a.n == 2 ? reply_bulk(res, a.p[1], a.len[1]) : reply(res, "+PONG\r\n");
    if (word_is(cmd, n, "ECHO")) return reply_bulk(res, a.p[1], a.len[1]);
    if (word_is(cmd, n, "SET")) return cmd_set(res, &a);
    if (word_is(cmd, n, "GET")) return cmd_get(res, &a);
    if (word_is(cmd, n, "DEL")) return cmd_del(res, &a);
    if (word_is(cmd, n, "INCR")) return cmd_incr(res, &a);
    if (word_is(cmd, n, "QUIT")) {
        nm_resp_close(res);
        return reply(res, "+OK\r\n");
    }
    if (word_is(cmd, n, "CONFIG")) return cmd_config(res, &a);
    return reply(res, "*0\r\n");   /* COMMAND [...]: an empty array, the client starts quietly */
}

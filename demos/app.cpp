/* The demo routes:
 *   GET /       -> "Hello, World!" (13 bytes)
 *   GET /stats  -> the server's counters as JSON
 *   POST /echo  -> the request body back; one too large for a buffer, or
 *                  chunked, streams in (nm_body_take, up to --max-body) into
 *                  a spool (an anonymous file) and goes back from it
 *                  (nm_resp_stream) with its length
 *   GET /big    -> 1 MiB body, sent by reference (larger than any socket buffer)
 *   GET /pid    -> the id of the process that ran the handler
 *   GET /peer   -> the client's address (nm_request_peer): 127.0.0.1:PORT,
 *                  [::1]:PORT, or "unix pid=P uid=U gid=G"
 *   GET /thread -> the name of the thread that ran the handler (Linux)
 *   GET /gauge/NAME -> a model's gauge (nm_server_gauge), 404 when it has none
 *   GET /sleep/MS -> answers after the handler slept MS ms (at most 10 s): a slow handler
 *   POST /upload -> {"bytes":N,"crc32":"xxxxxxxx"}: the body's length and CRC-32
 *                  (as zlib computes it), a body of any size up to --max-body
 *                  read as it streams (nm_body_take), one buffer at a time;
 *                  /upload?pause=MS pauses after every piece (NM_BODY_PAUSE) and a
 *                  thread resumes it MS ms later (nm_body_resume): "pauses":P added;
 *                  /upload?hold=MS pauses after the first piece only;
 *                  /upload?discard -> {"bytes":N}: the body taken and dropped,
 *                  only counted (what a benchmark sets beside a server that
 *                  discards: the library's part alone)
 *   GET /stream/N -> N bytes (byte i = i mod 251) made as the client takes them
 *                  (nm_resp_stream), one buffer at a time; /stream/N?chunked without
 *                  the length first (chunked, or to the close for HTTP/1.0); ?short
 *                  and ?fail stop half way (the connection closes); 503
 *                  when --max-streams answers and bodies stream already
 *   GET /conn   -> how many requests this connection has made, this one
 *                  included (kept in the connection's req->state)
 *   GET /subscribe -> "subscribed\n"; with nmserve --tick, each tick then pushes
 *                 "tick\n" to this connection from the server's loop (nm_send)
 *   otherwise   -> 404
 * Under the echo protocol every request's bytes go back as they came. */
#include "app.h"
#include "crc32.h"
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

static char big[APP_BIG_SIZE];
struct app_loop_counts *app_loop;
struct app_conn_counts *app_conns;

/* What a connection keeps in its NM_CONN_USER_SIZE bytes. */
struct app_conn_state {
    unsigned short magic;      /* set by on_open: the hook ran before its first request */
    unsigned short spooling;   /* POST /echo: spool_fd is open */
    unsigned requests;
    unsigned long long upload_bytes;   /* POST /upload: the body so far; GET /stream: bytes made;
                                          POST /echo: bytes spooled */
    unsigned upload_crc;
    unsigned pauses;                   /* POST /upload?pause=MS: the pieces that paused it */
    union {
        unsigned long long stream_end; /* GET /stream: its length */
        struct {
            unsigned pause_ms;         /* POST /upload?pause=MS or ?hold=MS */
            unsigned pause_hold;       /* ?hold: the first piece only */
        };
        int spool_fd;                  /* POST /echo: the body, while spooling */
    };
};
#define APP_CONN_MAGIC 0x6f70u
static_assert(NM_CONN_USER_SIZE == 0 || NM_CONN_USER_SIZE >= sizeof(app_conn_state), "a connection's state holds app_conn_state");

void app_on_open(const nm_server *srv, nm_conn_id id, void *state, void *user)
{
    (void)srv, (void)id, (void)user;
    __atomic_fetch_add(&app_conns->opened, 1ul, __ATOMIC_RELAXED);
    if (!state) return;
    const unsigned char *b = (const unsigned char *)state;
    for (size_t i = 0; i < NM_CONN_USER_SIZE; i++)
        if (b[i]) {
            __atomic_fetch_add(&app_conns->unclean, 1ul, __ATOMIC_RELAXED);
            break;
        }
    ((app_conn_state *)state)->magic = APP_CONN_MAGIC;
}

static void spool_close(app_conn_state *st)
{
    if (!st->spooling) return;
    close(st->spool_fd);
    st->spooling = 0;
}

void app_on_close(const nm_server *srv, nm_conn_id id, void *state, void *user)
{
    (void)srv, (void)id, (void)user;
    if (state) spool_close((app_conn_state *)state);   /* a body or its echo cut short */
    __atomic_fetch_add(&app_conns->closed, 1ul, __ATOMIC_RELAXED);
}

nm_conn_id app_subscriber(const nm_conn_id *set)
{
    while (__atomic_exchange_n(&app_loop->subscriber_lock, 1, __ATOMIC_ACQUIRE)) {
    }
    if (set) app_loop->subscriber = *set;
    nm_conn_id now = app_loop->subscriber;
    __atomic_store_n(&app_loop->subscriber_lock, 0, __ATOMIC_RELEASE);
    return now;
}

static int upload_answer(nm_response *res, const app_conn_state *st, int discard)
{
    char json[80];
    int n = discard ? snprintf(json, sizeof(json), "{\"bytes\":%llu}\n", st->upload_bytes)
            : st->pauses ? snprintf(json, sizeof(json), "{\"bytes\":%llu,\"crc32\":\"%08x\",\"pauses\":%u}\n",
                                  st->upload_bytes, st->upload_crc, st->pauses)
                       : snprintf(json, sizeof(json), "{\"bytes\":%llu,\"crc32\":\"%08x\"}\n", st->upload_bytes, st->upload_crc);
    nm_resp_header(res, "Content-Type", "application/json");
    return nm_resp_body(res, json, (size_t)n);
}

/* POST /upload?pause=MS: every piece pauses the body (NM_BODY_PAUSE), as a
 * handler that writes to slow flash would, and a thread of the process that
 * serves the connection resumes it MS ms later (nm_body_resume); with 0 the
 * resume races the pause. One thread per process, started by its first
 * pause (a forked child starts its own), a fixed queue. */
struct app_resume { const nm_server *srv; nm_conn_id id; struct timespec due; };
static struct {
    pthread_mutex_t lock;
    pthread_cond_t more;
    app_resume q[APP_RESUMES];
    unsigned n;
    pid_t pid;   /* the process whose thread serves q */
} resumer;

static void *resume_later_thread(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&resumer.lock);
    for (;;) {
        if (!resumer.n) {
            pthread_cond_wait(&resumer.more, &resumer.lock);
            continue;
        }
        app_resume r = resumer.q[0];   /* due in the order asked: every pause is as long */
        if (pthread_cond_timedwait(&resumer.more, &resumer.lock, &r.due) != ETIMEDOUT) continue;
        memmove(resumer.q, resumer.q + 1, --resumer.n * sizeof(app_resume));
        pthread_mutex_unlock(&resumer.lock);
        if (nm_body_resume(r.srv, r.id)) __atomic_fetch_add(&app_conns->resume_failed, 1ul, __ATOMIC_RELAXED);
        pthread_mutex_lock(&resumer.lock);
    }
    return 0;
}

/* 0, or -1 when the queue is full or no thread can start (the piece fails). */
static int resume_later(const nm_request *req, unsigned ms)
{
    static pthread_mutex_t starting = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&starting);
    if (resumer.pid != getpid()) {   /* none yet in this process */
        pthread_mutex_init(&resumer.lock, 0);
        pthread_condattr_t a;
        pthread_condattr_init(&a);
        pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
        pthread_cond_init(&resumer.more, &a);
        resumer.n = 0;
        pthread_t t;
        if (pthread_create(&t, 0, resume_later_thread, 0)) {
            pthread_mutex_unlock(&starting);
            return -1;
        }
        pthread_detach(t);
        resumer.pid = getpid();
    }
    pthread_mutex_unlock(&starting);
    app_resume r = { req->server, req->conn, { 0, 0 } };
    clock_gettime(CLOCK_MONOTONIC, &r.due);
    r.due.tv_nsec += (long)(ms % 1000) * 1000000L;
    r.due.tv_sec += ms / 1000 + r.due.tv_nsec / 1000000000L;
    r.due.tv_nsec %= 1000000000L;
    pthread_mutex_lock(&resumer.lock);
    int full = resumer.n == APP_RESUMES;
    if (!full) resumer.q[resumer.n++] = r;
    pthread_cond_signal(&resumer.more);
    pthread_mutex_unlock(&resumer.lock);
    return full ? -1 : 0;
}

/* A body that streams: each piece into the running CRC, the answer at its end. */
/* user: non-NULL (the connection's state) when the body pauses */
// cppcheck-suppress constParameter ; the signature is nm_body_fn's
static int upload_piece(const nm_request *req, const void *data, size_t len, nm_response *res, void *user)
{
    app_conn_state *st = (app_conn_state *)req->state;
    if (res) return upload_answer(res, st, 0);
    st->upload_crc = crc32_add(st->upload_crc, data, len);
    st->upload_bytes += len;
    if (!user || (st->pause_hold && st->pauses)) return 0;
    st->pauses++;
    return resume_later(req, st->pause_ms) ? -1 : NM_BODY_PAUSE;
}

/* POST /upload?discard: each piece counted, nothing more. */
// cppcheck-suppress constParameter ; the signature is nm_body_fn's
static int discard_piece(const nm_request *req, const void *data, size_t len, nm_response *res, void *user)
{
    (void)data, (void)user;
    app_conn_state *st = (app_conn_state *)req->state;
    if (res) return upload_answer(res, st, 1);
    st->upload_bytes += len;
    return 0;
}

/* GET /stream/N: N bytes made as they are sent, byte i being i mod 251;
 * /stream/N?chunked does not say the length first. Two that go wrong half
 * way, to see the connection closed: ?short says N and makes N/2, ?fail
 * gives up (-1) after N/2. */
static char stream_pattern[251 + NM_BUF_SIZE];   /* byte i is i mod 251: any piece is a copy from it */

static long stream_piece(void *user, char *buf, size_t room)
{
    app_conn_state *st = (app_conn_state *)user;
    for (size_t done = 0; done < room;) {   /* a piece is at most a buffer */
        size_t k = room - done < NM_BUF_SIZE ? room - done : NM_BUF_SIZE;
        memcpy(buf + done, stream_pattern + (st->upload_bytes + done) % 251, k);
        done += k;
    }
    st->upload_bytes += room;
    return (long)room;
}

static long stream_piece_to(void *user, char *buf, size_t room)
{
    app_conn_state *st = (app_conn_state *)user;
    unsigned long long left = st->stream_end - st->upload_bytes;
    return stream_piece(user, buf, room < left ? room : (size_t)left);
}

static long stream_piece_fail(void *user, char *buf, size_t room)
{
    app_conn_state *st = (app_conn_state *)user;
    return st->upload_bytes >= st->stream_end ? -1 : stream_piece_to(user, buf, room);
}

static int is(nm_slice s, const char *lit);

static int stream(const nm_request *req, nm_response *res)
{
    app_conn_state *st = (app_conn_state *)req->state;
    nm_slice t = req->target;
    char digits[24];
    size_t k = 8, n = 0;   /* after "/stream/" */
    while (k + n < t.n && n < sizeof(digits) - 1 && t.p[k + n] >= '0' && t.p[k + n] <= '9') digits[n] = t.p[k + n], n++;
    digits[n] = 0;
    nm_slice mode = { t.p + k + n, t.n - k - n };
    int chunked = is(mode, "?chunked"), cut = is(mode, "?short"), fail = is(mode, "?fail");
    if (!st || !n || (mode.n && !chunked && !cut && !fail)) {
        nm_resp_status(res, 404);
        return nm_resp_body(res, "not found\n", 10);
    }
    unsigned long long total = strtoull(digits, 0, 10);
    st->upload_bytes = 0;
    st->stream_end = cut || fail ? total / 2 : total;
    nm_resp_header(res, "Content-Type", "application/octet-stream");
    nm_produce_fn fn = chunked || cut ? stream_piece_to : fail ? stream_piece_fail : stream_piece;
    if (!nm_resp_stream(res, chunked ? NM_LENGTH_UNKNOWN : (long long)total, fn, st)) return 0;
    return 1;   /* as many streams as may be: the caller answers 503 */
}

/* POST /echo with a body that streams: its pieces go to a spool, an
 * anonymous file (a demo's choice: a firmware would echo into flash or not
 * at all), and the answer is read back from it as the client takes it. */
static int spool_open(void)
{
#ifdef __linux__
    return memfd_create("nmserve-echo", MFD_CLOEXEC);
#else
    char path[] = "/tmp/nmserve-echo-XXXXXX";
    int fd = mkstemp(path);
    if (fd >= 0) unlink(path);
    return fd;
#endif
}

static long echo_produce(void *user, char *buf, size_t room)
{
    app_conn_state *st = (app_conn_state *)user;
    ssize_t n = read(st->spool_fd, buf, room);
    if (n <= 0) return -1;   /* the spool holds what was counted: short means it failed */
    if (lseek(st->spool_fd, 0, SEEK_CUR) == (off_t)st->upload_bytes) spool_close(st);
    return (long)n;
}

// cppcheck-suppress constParameter ; the signature is nm_body_fn's
static int echo_piece(const nm_request *req, const void *data, size_t len, nm_response *res, void *user)
{
    (void)user;
    app_conn_state *st = (app_conn_state *)req->state;
    if (!res) {
        for (size_t done = 0; done < len;) {
            ssize_t n = write(st->spool_fd, (const char *)data + done, len - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return -1;
            done += (size_t)n;
        }
        st->upload_bytes += len;
        return 0;
    }
    if (!st->upload_bytes || lseek(st->spool_fd, 0, SEEK_SET) != 0) {
        int failed = st->upload_bytes != 0;
        spool_close(st);
        return failed ? -1 : nm_resp_body(res, "", 0);
    }
    if (!nm_resp_stream(res, (long long)st->upload_bytes, echo_produce, st)) return 0;
    spool_close(st);   /* every stream's place taken */
    nm_resp_status(res, 503);
    return nm_resp_body(res, "Service Unavailable\n", 20);
}

static int echo(const nm_request *req, nm_response *res)
{
    app_conn_state *st = (app_conn_state *)req->state;
    if (!req->body_streams) return nm_resp_body(res, req->body.p, req->body.n);
    if (!st) return -1;
    spool_close(st);
    st->spool_fd = spool_open();
    if (st->spool_fd < 0) return -1;
    st->spooling = 1;
    st->upload_bytes = 0;
    if (!nm_body_take(res, echo_piece, 0)) return 0;
    spool_close(st);
    return -1;
}

/* /upload?pause=MS or /upload?hold=MS */
static int is_upload_pausing(nm_slice t)
{
    return t.n > 13 && (!memcmp(t.p, "/upload?pause=", 14) || !memcmp(t.p, "/upload?hold=", 13));
}

static int upload(const nm_request *req, nm_response *res)
{
    app_conn_state *st = (app_conn_state *)req->state;
    if (!st) return -1;
    st->upload_bytes = 0;
    st->upload_crc = 0;
    st->pauses = 0;
    nm_slice t = req->target;
    int pausing = is_upload_pausing(t);
    if (pausing) {   /* the target is not NUL-ended: digits, then the space before the version */
        st->pause_hold = t.p[8] == 'h';
        st->pause_ms = (unsigned)strtoul(t.p + (st->pause_hold ? 13 : 14), 0, 10) % 10000;
    }
    int discard = is(t, "/upload?discard");
    if (req->body_streams) return nm_body_take(res, discard ? discard_piece : upload_piece, pausing ? st : 0);
    if (!discard) st->upload_crc = crc32_add(0, req->body.p, req->body.n);   /* the whole body in the buffer */
    st->upload_bytes = req->body.n;
    return upload_answer(res, st, discard);
}

int app_init(void)
{
    crc32_init();
    for (int i = 0; i < APP_BIG_SIZE; i++) big[i] = APP_BIG_BYTE(i);
    for (size_t i = 0; i < sizeof(stream_pattern); i++) stream_pattern[i] = (char)(i % 251);
    void *m = mmap(0, sizeof(*app_conns), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return -1;
    app_conns = (app_conn_counts *)m;
    return 0;
}

static int is(nm_slice s, const char *lit)
{
    return s.n == strlen(lit) && !memcmp(s.p, lit, s.n);
}

int (*app_stats_more)(char *out, size_t room);

static int stats(const nm_request *req, nm_response *res)
{
    nm_stats st;
    nm_server_stats(req->server, &st);
    char json[1024];
    /* "active" counts the other connections: the one asking is open too.
     * The free slots and buffers leave out the asker's slot and input buffer. */
    int n = snprintf(json, sizeof(json),
                     "{\"accepted\":%lu,\"active\":%lu,\"requests\":%lu,\"refused\":%lu,\"errors\":%lu,"
                     "\"timeouts\":%lu,\"waited\":%lu,\"free_slots\":%lu,\"free_buffers\":%lu,\"slow\":%lu",
                     st.accepted, st.active ? st.active - 1 : 0, st.requests, st.refused, st.errors,
                     st.timeouts, st.waited, st.free_slots + 1, st.free_buffers + 1, st.slow);
    n += snprintf(json + n, sizeof(json) - (size_t)n, ",\"opened\":%lu,\"closed\":%lu,\"unclean\":%lu,\"resume_failed\":%lu",
                  __atomic_load_n(&app_conns->opened, __ATOMIC_RELAXED),
                  __atomic_load_n(&app_conns->closed, __ATOMIC_RELAXED),
                  __atomic_load_n(&app_conns->unclean, __ATOMIC_RELAXED),
                  __atomic_load_n(&app_conns->resume_failed, __ATOMIC_RELAXED));
    const char *name;
    unsigned long value;
    for (int i = 0; n < (int)sizeof(json) - 64 && !nm_server_model_stat(req->server, i, &name, &value); i++)
        n += snprintf(json + n, sizeof(json) - (size_t)n, ",\"%.24s\":%lu", name, value);
    if (app_loop)
        n += snprintf(json + n, sizeof(json) - (size_t)n,
                      ",\"ticks\":%lu,\"piped\":%lu,\"posted\":%lu,\"overlaps\":%lu,\"pushed\":%lu,\"push_refused\":%lu",
                      __atomic_load_n(&app_loop->ticks, __ATOMIC_RELAXED), __atomic_load_n(&app_loop->piped, __ATOMIC_RELAXED),
                      __atomic_load_n(&app_loop->posted, __ATOMIC_RELAXED), __atomic_load_n(&app_loop->overlaps, __ATOMIC_RELAXED),
                      __atomic_load_n(&app_loop->pushed, __ATOMIC_RELAXED),
                      __atomic_load_n(&app_loop->push_refused, __ATOMIC_RELAXED));
    if (app_stats_more && n < (int)sizeof(json) - 200) n += app_stats_more(json + n, sizeof(json) - (size_t)n);
    n += snprintf(json + n, sizeof(json) - (size_t)n, "}\n");
    if (n >= (int)sizeof(json)) n = (int)sizeof(json) - 1;   /* cut, never read past it */
    nm_resp_header(res, "Content-Type", "application/json");
    return nm_resp_body(res, json, (size_t)n);
}

static int number(nm_response *res, long v)
{
    char text[32];
    int n = snprintf(text, sizeof(text), "%ld\n", v);
    return nm_resp_body(res, text, (size_t)n);
}

/* What the invariant tests look at: which process, which thread, which gauge. */
static int where(const nm_request *req, nm_response *res)
{
    nm_slice t = req->target;
    if (is(t, "/pid")) return number(res, (long)getpid());
    if (is(t, "/peer")) {
        char peer[NM_PEER_TEXT];
        int n = nm_request_peer(req, peer, sizeof(peer));
        return n < 0 ? -1 : nm_resp_body(res, peer, (size_t)n);
    }
    if (is(t, "/thread")) {
        char name[17] = "?";
#ifdef __linux__
        prctl(PR_GET_NAME, name, 0, 0, 0);
#endif
        return nm_resp_body(res, name, strlen(name));
    }
    if (t.n > 7 && t.n < 20 && !memcmp(t.p, "/sleep/", 7)) {
        char digits[16];
        memcpy(digits, t.p + 7, t.n - 7);
        digits[t.n - 7] = 0;
        long ms = strtol(digits, 0, 10);
        ms = ms < 0 ? 0 : ms > 10000 ? 10000 : ms;
        struct timespec d = { ms / 1000, (ms % 1000) * 1000000L };
        nanosleep(&d, 0);
        return number(res, ms);
    }
    const char *prefix = "/gauge/";
    size_t k = strlen(prefix);
    char gauge[32];
    long v;
    if (t.n > k && t.n - k < sizeof(gauge) && !memcmp(t.p, prefix, k)) {
        memcpy(gauge, t.p + k, t.n - k);
        gauge[t.n - k] = 0;
        if (!nm_server_gauge(req->server, gauge, &v)) return number(res, v);
    }
    return 1;   /* not one of these */
}

int app_handle(const nm_request *req, nm_response *res, void *user)
{
    (void)user;
    if (req->protocol == NM_PROTO_ECHO) return nm_resp_body(res, req->body.p, req->body.n);
    int get = is(req->method, "GET") || is(req->method, "HEAD");
    if (get && is(req->target, "/")) {
        nm_resp_header(res, "Content-Type", "text/plain");
        return nm_resp_body(res, "Hello, World!", 13);
    }
    if (get && app_loop && is(req->target, "/subscribe")) {
        nm_conn_id id = req->conn;
        app_subscriber(&id);
        return nm_resp_body(res, "subscribed\n", 11);
    }
    if (get && is(req->target, "/stats")) return stats(req, res);
    if (get && is(req->target, "/conn")) {
        app_conn_state *st = (app_conn_state *)req->state;
        if (!st || st->magic != APP_CONN_MAGIC) return -1;   /* no state, or on_open did not run first */
        return number(res, (long)++st->requests);
    }
    if (get) {
        int r = where(req, res);
        if (r <= 0) return r;
    }
    if (get && is(req->target, "/big")) return nm_resp_body_static(res, big, sizeof(big));
    if (get && req->target.n > 8 && !memcmp(req->target.p, "/stream/", 8)) {
        int r = stream(req, res);
        if (r <= 0) return r;
        nm_resp_status(res, 503);
        return nm_resp_body(res, "Service Unavailable\n", 20);
    }
    if (is(req->method, "POST") && is(req->target, "/echo")) return echo(req, res);
    if (is(req->method, "POST") && (is(req->target, "/upload") || is(req->target, "/upload?discard") || is_upload_pausing(req->target))) return upload(req, res);
    nm_resp_status(res, 404);
    return nm_resp_body(res, "not found\n", 10);
}

/* http.cpp - HTTP/1.1 server side: a strict request parser over zero-copy
 * views, and the response head writer; a protocol made with the public API
 * (netmodels.h) only, beside nm_utoa.
 *
 * Strict because a device meets scanners and smugglers: bare CR or LF,
 * whitespace before a colon, obs-fold, control characters, repeated or
 * malformed Content-Length, Content-Length with Transfer-Encoding are all
 * refused with a status and a close; none reaches the handler. */
#include "protocol.h"
#include "../base/udiv.h"
#include <string.h>

/* What each byte may be, as a table built at compile time: the parser asks
 * for every byte of every method, header name and value, so one load and
 * one test a byte. C_TOKEN: RFC 9110's token characters (letters, digits
 * and !#$%&'*+-.^_`|~); C_VALUE: a byte of a field value (not a control
 * character other than HTAB, so not CR: a value's scan stops there). */
enum { C_TOKEN = 1, C_VALUE = 2 };
struct byte_classes {
    uint8_t of[256];
    constexpr byte_classes() : of()
    {
        const char extra[] = "!#$%&'*+-.^_`|~";
        for (int ch = 0; ch < 256; ch++) {
            bool in = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
            for (const char *e = extra; *e; e++) in = in || ch == (unsigned char)*e;
            of[ch] = (uint8_t)((in ? C_TOKEN : 0) | ((ch >= ' ' && ch != 0x7f) || ch == '\t' ? C_VALUE : 0));
        }
    }
};
static constexpr byte_classes classes;

static int is_tchar(unsigned char ch) { return classes.of[ch] & C_TOKEN; }

static int eq_nocase(const char *a, size_t n, const char *lit)
{
    size_t i = 0;
    for (; i < n && lit[i]; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)lit[i];
        if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
        if (x != y) return 0;
    }
    return i == n && !lit[i];
}

/* Is header name n (tchars only, checked) the lower-case literal lit, of
 * len bytes? A tchar or'ed with 0x20 is a lower-case letter only if it was
 * that letter in either case, and '-' only if it was '-': so a word at a
 * time, the literal's words folded to constants where it is inlined. */
static inline uint64_t word_at(const char *p, size_t k)
{
    uint64_t w = 0;
    memcpy(&w, p, k);
    return w;
}

static inline int name_is(nm_slice n, const char *lit, size_t len)
{
    if (n.n != len) return 0;
    uint64_t diff = 0;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) diff |= (word_at(n.p + i, 8) | 0x2020202020202020ull) ^ word_at(lit + i, 8);
    if (i < len) diff |= (word_at(n.p + i, len - i) | word_at("        ", len - i)) ^ word_at(lit + i, len - i);   /* (the mask loaded as the bytes are: either byte order) */
    return diff == 0;
}

/* Does the comma-separated list in v contain token `lit`? */
static int has_token(nm_slice v, const char *lit)
{
    size_t i = 0;
    while (i < v.n) {
        while (i < v.n && (v.p[i] == ' ' || v.p[i] == '\t' || v.p[i] == ',')) i++;
        size_t start = i;
        while (i < v.n && v.p[i] != ',') i++;
        size_t end = i;
        while (end > start && (v.p[end - 1] == ' ' || v.p[end - 1] == '\t')) end--;
        if (end > start && eq_nocase(v.p + start, end - start, lit)) return 1;
    }
    return 0;
}

/* Find the end of the header section. Returns the offset just past
 * CRLFCRLF, 0 if not there yet, -400 on a bare CR or LF. */
static int find_head_end(const char *buf, uint32_t len, uint32_t *scan)
{
    /* A line at a time with memchr (word- or vector-wide in libc), each LF
     * checked for its CR. A CR elsewhere in a complete head is left to the
     * parser, which stops at every CR and takes it only before an LF. */
    uint32_t i = *scan;
    for (;;) {
        const char *nl = (const char *)memchr(buf + i, '\n', len - i);
        if (!nl) break;
        uint32_t lf = (uint32_t)(nl - buf);
        if (lf == 0 || buf[lf - 1] != '\r') return -400;
        if (lf >= 3 && buf[lf - 2] == '\n' && buf[lf - 3] == '\r') return (int)(lf + 1);
        i = lf + 1;
    }
    /* Not all there: a CR not before an LF is refused now, not at the end
     * (the last byte may be one whose LF comes next). */
    for (uint32_t k = *scan; k < len;) {
        const char *cr = (const char *)memchr(buf + k, '\r', len - k);
        if (!cr) break;
        k = (uint32_t)(cr - buf) + 1;
        if (k < len && buf[k] != '\n') return -400;
    }
    *scan = i;   /* the complete lines need no second look */
    return 0;
}

static int parse_version(const char *p, const char *end, int *minor)
{
    if (end - p != 8 || memcmp(p, "HTTP/", 5) != 0) return -400;
    if (p[5] < '0' || p[5] > '9' || p[6] != '.' || p[7] < '0' || p[7] > '9') return -400;
    if (p[5] != '1' || (p[7] != '0' && p[7] != '1')) return -505;
    *minor = p[7] - '0';
    return 0;
}

static int parse_content_length(nm_slice v, uint32_t *out)
{
    if (v.n == 0 || v.n > 9) return -400;   /* 9 digits: far above any buffer */
    uint32_t n = 0;
    for (size_t i = 0; i < v.n; i++) {
        if (v.p[i] < '0' || v.p[i] > '9') return -400;
        n = n * 10 + (uint32_t)(v.p[i] - '0');
    }
    *out = n;
    return 0;
}

/* What the head says of the body that follows it. */
struct body_info {
    uint32_t length;   /* Content-Length */
    int chunked;       /* Transfer-Encoding: chunked */
    int expect;        /* Expect: 100-continue */
};

static int http_head(const char *buf, uint32_t len, uint32_t *scan, nm_request *req, body_info *bi)
{
    /* Empty lines before a request line are tolerated (RFC 9112 2.2). */
    uint32_t lead = 0;
    while (lead + 1 < len && buf[lead] == '\r' && buf[lead + 1] == '\n') lead += 2;
    if (*scan < lead) *scan = lead;
    int end = find_head_end(buf, len, scan);
    if (end <= 0) return end;

    const char *p = buf + lead, *stop = buf + end - 2;   /* stop: the final CRLF */
    /* request line */
    const char *m = p;
    while (p < stop && is_tchar((unsigned char)*p)) p++;
    if (p == m || *p != ' ') return -400;
    req->method.p = m;
    req->method.n = (size_t)(p - m);
    const char *t = ++p;
    while (p < stop && (unsigned char)*p > ' ' && *p != 0x7f) p++;
    if (p == t || *p != ' ') return -400;
    req->target.p = t;
    req->target.n = (size_t)(p - t);
    /* the version: eight bytes and the line's CRLF (stop is a CR, an LF
     * after it: v[8] and v[9] are in the buffer) */
    const char *v = ++p;
    if (stop - v < 8 || v[8] != '\r' || v[9] != '\n') return -400;
    int rc = parse_version(v, v + 8, &req->version_minor);
    if (rc) return rc;
    p = v + 10;

    /* header fields */
    int hosts = 0, has_cl = 0, has_te = 0, te_chunked = 0, expect = 0;
    uint32_t content_length = 0;
    int conn_close = 0, conn_keep = 0;
    req->header_count = 0;
    while (p < stop) {
        const char *name = p;
        while (p < stop && is_tchar((unsigned char)*p)) p++;
        if (p == name || *p != ':') return -400;   /* also: space before colon, obs-fold */
        nm_slice hn = { name, (size_t)(p - name) };
        p++;
        while (p < stop && (*p == ' ' || *p == '\t')) p++;
        const char *val = p;
        while (classes.of[(unsigned char)*p] & C_VALUE) p++;
        if (*p != '\r' || p[1] != '\n') return -400;   /* a control character in the value, a CR alone */
        const char *vend = p;
        while (vend > val && (vend[-1] == ' ' || vend[-1] == '\t')) vend--;
        nm_slice hv = { val, (size_t)(vend - val) };
        p += 2;
        if (req->header_count == NM_MAX_HEADERS) return -431;
        req->headers[req->header_count].name = hn;
        req->headers[req->header_count].value = hv;
        req->header_count++;
        /* The few fields the server itself reads, told apart by length first. */
        if (name_is(hn, "content-length", 14)) {
            if (has_cl++) return -400;
            if (parse_content_length(hv, &content_length)) return -400;
        } else if (name_is(hn, "transfer-encoding", 17)) {
            has_te++;
            te_chunked = eq_nocase(hv.p, hv.n, "chunked");   /* the one coding taken, alone */
        } else if (name_is(hn, "expect", 6)) {
            if (!eq_nocase(hv.p, hv.n, "100-continue")) return -417;
            expect = 1;
        } else if (name_is(hn, "host", 4)) {
            hosts++;
        } else if (name_is(hn, "connection", 10)) {
            conn_close |= has_token(hv, "close");
            conn_keep |= has_token(hv, "keep-alive");
        }
    }
    /* Content-Length beside Transfer-Encoding, or a coding in HTTP/1.0, is
     * a smuggling attempt; a coding other than chunked alone we cannot read */
    if (has_te && (has_cl || req->version_minor == 0)) return -400;
    if (has_te && (has_te > 1 || !te_chunked)) return -501;
    if (hosts > 1 || (req->version_minor == 1 && hosts == 0)) return -400;
    req->protocol = NM_PROTO_HTTP;
    req->keep_alive = req->version_minor == 1 ? !conn_close : (conn_keep && !conn_close);
    req->head = req->method.n == 4 && !memcmp(req->method.p, "HEAD", 4);
    bi->length = content_length;
    bi->chunked = has_te;
    bi->expect = expect && req->version_minor == 1;
    return end;
}

static int http_frame(const char *buf, size_t len, nm_frame *f, nm_request *req)
{
    uint32_t scan = (uint32_t)f->scan;   /* len <= NM_BUF_SIZE, a uint32_t (nm_config.h) */
    body_info bi = { 0, 0, 0 };
    int end = http_head(buf, (uint32_t)len, &scan, req, &bi);
    f->scan = scan;
    if (end < 0) {
        f->status = -end;
        return NM_FRAME_REFUSE;
    }
    if (end == 0) return NM_FRAME_MORE;
    f->head = (size_t)end;
    f->body = bi.chunked ? NM_BODY_CHUNKED : bi.length ? NM_BODY_LENGTH : NM_BODY_NONE;
    f->body_len = bi.length;
    if (bi.expect) f->interim = "HTTP/1.1 100 Continue\r\n\r\n";
    return NM_FRAME_MESSAGE;
}

/* Each reason phrase after its status code, in one string scanned per
 * answer that is not a 200 (whose status line is written whole): a handful
 * of compares, and a fraction of a switch's code on a small board. */
static const char reasons[] =
    "200OK\0" "201Created\0" "204No Content\0" "301Moved Permanently\0" "302Found\0" "304Not Modified\0"
    "400Bad Request\0" "403Forbidden\0" "404Not Found\0" "405Method Not Allowed\0" "408Request Timeout\0"
    "413Content Too Large\0" "414URI Too Long\0" "417Expectation Failed\0"
    "431Request Header Fields Too Large\0" "500Internal Server Error\0" "501Not Implemented\0"
    "503Service Unavailable\0" "505HTTP Version Not Supported\0";

static const char *reason(int status)
{
    char code[12];
    if (nm_utoa(code, (unsigned)status) != 3) return "Unknown";
    for (const char *p = reasons; *p; p += strlen(p) + 1)
        if (!memcmp(p, code, 3)) return p + 3;
    return "Unknown";
}

/* Each part of a head is assembled here and queued with one write. */
struct line {
    char buf[128];
    size_t n;
};

static void add(line *l, const char *s, size_t n)
{
    memcpy(l->buf + l->n, s, n);
    l->n += n;
}

static int put(nm_response *res, const line *l) { return nm_resp_write(res, l->buf, l->n); }

static int http_open_head(nm_response *res)
{
    static const char ok[] = "HTTP/1.1 200 OK\r\n";
    int status = nm_resp_get_status(res);
    if (status == 200) return nm_resp_write(res, ok, sizeof(ok) - 1);   /* most answers: no line to make */
    line l = { "HTTP/1.1 ", 9 };
    if (status < 100 || status > 999) status = 500;
    l.n += nm_utoa(l.buf + l.n, (unsigned)status);
    const char *why = reason(status);
    l.buf[l.n++] = ' ';
    add(&l, why, strlen(why));   /* the longest reason fits */
    add(&l, "\r\n", 2);
    return put(res, &l);
}

static int http_header(nm_response *res, const char *name, const char *value)
{
    size_t nn = 0, vn = 0;
    while (is_tchar((unsigned char)name[nn])) nn++;   /* NUL is no tchar: one test a byte */
    if (name[nn] || !nn) return -1;
    for (unsigned char ch; (ch = (unsigned char)value[vn]) != 0; vn++)   /* no response splitting */
        if (ch <= '\r' && (ch == '\r' || ch == '\n')) return -1;
    line l;
    l.n = 0;
    if (nn + vn + 4 > sizeof(l.buf))   /* a long field goes in pieces */
        return nm_resp_write(res, name, nn) | nm_resp_write(res, ": ", 2) |
               nm_resp_write(res, value, vn) | nm_resp_write(res, "\r\n", 2);
    add(&l, name, nn);
    add(&l, ": ", 2);
    add(&l, value, vn);
    add(&l, "\r\n", 2);
    return put(res, &l);
}

static int http_close_head(nm_response *res, size_t body_len)
{
    static const char close_[] = "Connection: close\r\n", keep[] = "Connection: keep-alive\r\n";
    static const char chunked[] = "Transfer-Encoding: chunked\r\n";
    line l = { "Content-Length: ", 16 };
    const nm_request *req = nm_resp_get_request(res);
    if (body_len != (size_t)-1) {
        l.n += nm_utoa(l.buf + l.n, body_len);
        add(&l, "\r\n", 2);
    } else if (!nm_resp_get_keep_alive(res) || (req && req->version_minor == 0)) {
        l.n = 0;   /* a length not known: the close ends the body (all HTTP/1.0 has) */
        nm_resp_close(res);
    } else {   /* or chunks, on a connection that stays open */
        l.n = 0;
        add(&l, chunked, sizeof(chunked) - 1);
    }
    if (!nm_resp_get_keep_alive(res)) add(&l, close_, sizeof(close_) - 1);
    else if (req && req->version_minor == 0) add(&l, keep, sizeof(keep) - 1);
    add(&l, "\r\n", 2);
    return put(res, &l);
}

/* Chunked coding: the size in hex before each piece, the CRLF that ends
 * the piece before, and the last chunk (no trailer) at the end. */
static size_t http_piece(char *out, size_t len, int first)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;
    if (!first) {
        out[n++] = '\r';
        out[n++] = '\n';
    }
    int digits = 1;
    while (digits < (int)(2 * sizeof(size_t)) && (len >> (4 * digits))) digits++;   /* no shift past the width */
    for (int i = digits - 1; i >= 0; i--) out[n++] = hex[(len >> (4 * i)) & 15];
    out[n++] = '\r';
    out[n++] = '\n';
    if (!len) {
        out[n++] = '\r';
        out[n++] = '\n';
    }
    return n;
}

/* A person at a terminal (curl, a browser) sees why: the reason, a line. */
static size_t http_error_body(int status, char *out, size_t cap)
{
    const char *why = reason(status);
    size_t n = strlen(why);
    if (status < 400 || n + 1 > cap) return 0;
    memcpy(out, why, n);
    out[n] = '\n';
    return n + 1;
}

extern "C" const nm_protocol nm_proto_http = {
    "http", http_frame, http_open_head, http_header, http_close_head,
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 20\r\nConnection: close\r\n\r\nService Unavailable\n",
    http_error_body,
    http_piece,
};

unsigned nm_utoa(char *dst, unsigned long long v)
{
    char tmp[24];
    unsigned n = 0;
    do {
        uint32_t digit;
        v = nm_udiv<10>(v, &digit);
        tmp[n++] = (char)('0' + digit);
    } while (v);
    for (unsigned i = 0; i < n; i++) dst[i] = tmp[n - 1 - i];
    return n;
}

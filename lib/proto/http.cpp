/* http.cpp - HTTP/1.1 server side: a strict request parser over zero-copy
 * views, and the response head writer.
 *
 * Strict because a device meets scanners and smugglers: bare CR or LF,
 * whitespace before a colon, obs-fold, control characters, repeated or
 * malformed Content-Length, Content-Length with Transfer-Encoding are all
 * refused with a status and a close; none reaches the handler. */
#include "protocol.h"
#include "../core/conn.h"
#include <string.h>

static int is_tchar(unsigned char ch)
{
    /* token characters of RFC 9110: letters, digits and !#$%&'*+-.^_`|~ */
    static const char extra[] = "!#$%&'*+-.^_`|~";
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           (ch && memchr(extra, ch, sizeof(extra) - 1));
}

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

/* Find the end of the header section, checking line endings on the way.
 * Returns the offset just past CRLFCRLF, 0 if not there yet, -400 on a bare
 * CR or LF. */
static int find_head_end(const char *buf, uint32_t len, uint32_t *scan)
{
    uint32_t i = *scan;
    for (; i < len; i++) {
        char ch = buf[i];
        if (ch == '\n') {
            if (i == 0 || buf[i - 1] != '\r') return -400;
            if (i >= 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r') return (int)(i + 1);
        } else if (ch == '\r') {
            if (i + 1 < len && buf[i + 1] != '\n') return -400;
            if (i + 1 == len) break;   /* decide when the next byte arrives */
        }
    }
    *scan = i;
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

static int http_parse(const char *buf, uint32_t len, uint32_t *scan, nm_request *req)
{
    /* Empty lines before a request line are tolerated (RFC 9112 2.2). */
    uint32_t lead = 0;
    while (lead + 1 < len && buf[lead] == '\r' && buf[lead + 1] == '\n') lead += 2;
    if (*scan < lead) *scan = lead;
    int end = find_head_end(buf, len, scan);
    if (end < 0) return end;
    if (end == 0) return len >= NM_BUF_SIZE ? -431 : 0;

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
    const char *v = ++p;
    while (p < stop && *p != '\r') p++;
    int rc = parse_version(v, p, &req->version_minor);
    if (rc) return rc;
    p += 2;

    /* header fields */
    int hosts = 0, has_cl = 0, has_te = 0;
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
        while (*p != '\r') {
            unsigned char ch = (unsigned char)*p;
            if ((ch < ' ' && ch != '\t') || ch == 0x7f) return -400;
            p++;
        }
        const char *vend = p;
        while (vend > val && (vend[-1] == ' ' || vend[-1] == '\t')) vend--;
        nm_slice hv = { val, (size_t)(vend - val) };
        p += 2;
        if (req->header_count == NM_MAX_HEADERS) return -431;
        req->headers[req->header_count].name = hn;
        req->headers[req->header_count].value = hv;
        req->header_count++;
        if (eq_nocase(hn.p, hn.n, "content-length")) {
            if (has_cl++) return -400;
            if (parse_content_length(hv, &content_length)) return -400;
        } else if (eq_nocase(hn.p, hn.n, "transfer-encoding")) {
            has_te = 1;
        } else if (eq_nocase(hn.p, hn.n, "host")) {
            hosts++;
        } else if (eq_nocase(hn.p, hn.n, "connection")) {
            conn_close |= has_token(hv, "close");
            conn_keep |= has_token(hv, "keep-alive");
        }
    }
    if (has_te) return has_cl ? -400 : -501;
    if (hosts > 1 || (req->version_minor == 1 && hosts == 0)) return -400;
    if ((uint32_t)end + content_length > NM_BUF_SIZE) return -413;
    if ((uint32_t)end + content_length > len) return 0;

    req->protocol = NM_PROTO_HTTP;
    req->keep_alive = req->version_minor == 1 ? !conn_close : (conn_keep && !conn_close);
    req->head = req->method.n == 4 && !memcmp(req->method.p, "HEAD", 4);
    req->body.p = buf + end;
    req->body.n = content_length;
    return end + (int)content_length;
}

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 400: return "Bad Request";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
    }
}

static int put(nm_response *res, const char *s, size_t n) { return nm_out_write(res->conn, s, n); }
static int puts_(nm_response *res, const char *s) { return put(res, s, strlen(s)); }

static int http_open_head(nm_response *res)
{
    char line[64];
    int status = res->status < 100 || res->status > 999 ? 500 : res->status;
    memcpy(line, "HTTP/1.1 ", 9);
    unsigned n = 9 + nm_utoa(line + 9, (unsigned)status);
    line[n++] = ' ';
    int rc = put(res, line, n);
    rc |= puts_(res, reason(status));
    return rc | put(res, "\r\n", 2);
}

static int http_header(nm_response *res, const char *name, const char *value)
{
    if (!*name) return -1;
    for (const char *s = name; *s; s++)
        if (!is_tchar((unsigned char)*s)) return -1;
    for (const char *s = value; *s; s++)
        if (*s == '\r' || *s == '\n') return -1;   /* no response splitting */
    int rc = puts_(res, name);
    rc |= put(res, ": ", 2);
    rc |= puts_(res, value);
    return rc | put(res, "\r\n", 2);
}

static int http_close_head(nm_response *res, size_t body_len)
{
    char line[48] = "Content-Length: ";
    unsigned n = 16 + nm_utoa(line + 16, body_len);
    line[n++] = '\r';
    line[n++] = '\n';
    int rc = put(res, line, n);
    if (!res->keep_alive)
        rc |= puts_(res, "Connection: close\r\n");
    else if (res->req && res->req->version_minor == 0)
        rc |= puts_(res, "Connection: keep-alive\r\n");
    return rc | put(res, "\r\n", 2);
}

const nm_protocol nm_proto_http = {
    "http", http_parse, http_open_head, http_header, http_close_head,
    "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
};

unsigned nm_utoa(char *dst, unsigned long long v)
{
    char tmp[24];
    unsigned n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (unsigned i = 0; i < n; i++) dst[i] = tmp[n - 1 - i];
    return n;
}

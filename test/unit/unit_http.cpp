/* The HTTP/1.1 request parser and the echo protocol's, called directly. */
#include "../check.h"
#include "proto/protocol.h"
#include <string.h>

static nm_request req;

static int parse_n(const char *buf, size_t len)
{
    size_t scan = 0;
    memset(&req, 0, sizeof(req));
    return nm_proto_cut(&nm_proto_http, buf, (uint32_t)len, &scan, 0, &req);
}

static int parse(const char *s) { return parse_n(s, strlen(s)); }

static int is(nm_slice s, const char *lit) { return s.n == strlen(lit) && !memcmp(s.p, lit, s.n); }

static const char GET[] = "GET /path?q=1 HTTP/1.1\r\nHost: example\r\nAccept:  */*  \r\n\r\n";

TEST(http_plain_get)
{
    CHECK_EQ(parse(GET), sizeof(GET) - 1);
    CHECK_EQ(req.protocol, NM_PROTO_HTTP);
    CHECK(is(req.method, "GET"));
    CHECK(is(req.target, "/path?q=1"));
    CHECK_EQ(req.version_minor, 1);
    CHECK_EQ(req.header_count, 2);
    CHECK(is(req.headers[0].name, "Host"));
    CHECK(is(req.headers[0].value, "example"));
    CHECK(is(req.headers[1].name, "Accept"));
    CHECK(is(req.headers[1].value, "*/*"));   /* spaces around a value are not part of it */
    CHECK_EQ(req.keep_alive, 1);
    CHECK_EQ(req.head, 0);
    CHECK_EQ(req.body.n, 0);
    CHECK(req.method.p == GET);   /* views into the buffer, no copies */
}

TEST(http_byte_at_a_time)
{
    static const char in[] = "POST /up HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc";
    const uint32_t n = sizeof(in) - 1;
    char buf[sizeof(in)];
    size_t scan = 0;
    int early = 0;
    for (uint32_t len = 1; len < n; len++) {
        memcpy(buf, in, len);
        if (nm_proto_cut(&nm_proto_http, buf, len, &scan, 0, &req) != 0) early++;
        if (scan > len) early++;
    }
    CHECK_EQ(early, 0);
    memcpy(buf, in, n);
    memset(&req, 0, sizeof(req));
    CHECK_EQ(nm_proto_cut(&nm_proto_http, buf, n, &scan, 0, &req), n);
    CHECK(is(req.method, "POST"));
    CHECK(is(req.target, "/up"));
    CHECK_EQ(req.header_count, 2);
    CHECK(is(req.headers[1].value, "3"));
    CHECK(is(req.body, "abc"));
    /* the same as in one piece */
    nm_request whole;
    size_t scan2 = 0;
    CHECK_EQ(nm_proto_cut(&nm_proto_http, buf, n, &scan2, 0, &whole), n);
    CHECK(whole.body.p == req.body.p && whole.header_count == req.header_count);
}

TEST(http_byte_at_a_time_with_refusal_midway)
{
    static const char in[] = "GET / HTTP/1.1\r\nHost: h\rX\r\n\r\n";
    size_t scan = 0;
    int got = 0;
    uint32_t len = 1;
    for (; len <= sizeof(in) - 1 && !got; len++) got = nm_proto_cut(&nm_proto_http, in, len, &scan, 0, &req);
    CHECK_EQ(got, -400);
    CHECK_EQ(len - 1, 25);   /* refused as soon as the byte after the CR is seen */
}

TEST(http_keep_alive_rules)
{
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\n\r\n") > 0);
    CHECK_EQ(req.keep_alive, 1);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n") > 0);
    CHECK_EQ(req.keep_alive, 0);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: Keep-Alive, CLOSE\r\n\r\n") > 0);
    CHECK_EQ(req.keep_alive, 0);
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: closed\r\n\r\n") > 0);
    CHECK_EQ(req.keep_alive, 1);   /* a token, not a prefix */
    CHECK(parse("GET / HTTP/1.0\r\n\r\n") > 0);
    CHECK_EQ(req.version_minor, 0);
    CHECK_EQ(req.keep_alive, 0);
    CHECK(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n") > 0);
    CHECK_EQ(req.keep_alive, 1);
    CHECK(parse("GET / HTTP/1.0\r\nConnection: upgrade ,  Keep-Alive \r\n\r\n") > 0);
    CHECK_EQ(req.keep_alive, 1);
    CHECK(parse("GET / HTTP/1.0\r\nConnection: keep-alive\r\nConnection: close\r\n\r\n") > 0);
    CHECK_EQ(req.keep_alive, 0);
}

TEST(http_head_flag)
{
    CHECK(parse("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n") > 0);
    CHECK_EQ(req.head, 1);
    CHECK(parse("HEADER / HTTP/1.1\r\nHost: h\r\n\r\n") > 0);
    CHECK_EQ(req.head, 0);
    CHECK(parse("head / HTTP/1.1\r\nHost: h\r\n\r\n") > 0);   /* methods are case-sensitive */
    CHECK_EQ(req.head, 0);
}

TEST(http_content_length_body)
{
    static const char in[] = "POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
    const int head = (int)sizeof(in) - 1 - 5;
    CHECK_EQ(parse_n(in, sizeof(in) - 1 - 2), 0);   /* body incomplete */
    CHECK_EQ(parse_n(in, (size_t)head), 0);
    CHECK_EQ(parse(in), sizeof(in) - 1);
    CHECK(is(req.body, "hello"));
    CHECK(req.body.p == in + head);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 007\r\n\r\n1234567"), 56);
    CHECK_EQ(req.body.n, 7);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"), 47);
    CHECK_EQ(req.body.n, 0);
}

TEST(http_pipelined_requests)
{
    static const char in[] = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                             "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nxy"
                             "GET /c HTTP/1.1\r\nHost: h\r\n\r\n";
    const size_t n = sizeof(in) - 1;
    int first = parse_n(in, n);
    CHECK_EQ(first, 28);
    CHECK(is(req.target, "/a"));
    int second = parse_n(in + first, n - (size_t)first);
    CHECK_EQ(second, 50);
    CHECK(is(req.target, "/b"));
    CHECK(is(req.body, "xy"));
    int third = parse_n(in + first + second, n - (size_t)(first + second));
    CHECK_EQ(third, 28);
    CHECK(is(req.target, "/c"));
    CHECK_EQ((size_t)(first + second + third), n);
}

TEST(http_leading_empty_lines)
{
    static const char in[] = "\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
    CHECK_EQ(parse(in), sizeof(in) - 1);
    CHECK(is(req.method, "GET"));
    CHECK(req.method.p == in + 4);
    CHECK_EQ(parse("\r\n"), 0);
    CHECK_EQ(parse("\r\n\r\n"), 0);
}

TEST(http_refuses_bad_line_endings)
{
    CHECK_EQ(parse("GET / HTTP/1.1\nHost: h\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\n\n"), -400);
    CHECK_EQ(parse("\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\rHost: h\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\r\n\r\n"), -400);
}

TEST(http_refuses_malformed_fields)
{
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost\t: h\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n  b\r\n\r\n"), -400);    /* obs-fold */
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\n Host: h\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x01" "b\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\x7f\r\n\r\n"), -400);
    static const char nul[] = "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\0b\r\n\r\n";
    CHECK_EQ(parse_n(nul, sizeof(nul) - 1), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: h\r\n: empty-name\r\n\r\n"), -400);
    /* a tab inside a value is allowed */
    CHECK(parse("GET / HTTP/1.1\r\nHost: h\r\nX-A: a\tb\r\n\r\n") > 0);
    CHECK(is(req.headers[1].value, "a\tb"));
}

TEST(http_refuses_bad_request_lines)
{
    CHECK_EQ(parse("GARBAGE\r\n\r\n"), -400);
    CHECK_EQ(parse("GET  / HTTP/1.1\r\nHost: h\r\n\r\n"), -400);
    CHECK_EQ(parse("GET /\r\nHost: h\r\n\r\n"), -400);
    CHECK_EQ(parse("G(T / HTTP/1.1\r\nHost: h\r\n\r\n"), -400);
    CHECK_EQ(parse(" GET / HTTP/1.1\r\nHost: h\r\n\r\n"), -400);
    CHECK_EQ(parse("GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n"), -400);
}

TEST(http_version_checks)
{
    CHECK_EQ(parse("GET / HTTP/2.0\r\nHost: h\r\n\r\n"), -505);
    CHECK_EQ(parse("GET / HTTP/1.2\r\nHost: h\r\n\r\n"), -505);
    CHECK_EQ(parse("GET / HTTP/0.9\r\nHost: h\r\n\r\n"), -505);
    CHECK_EQ(parse("GET / HTTX/1.1\r\nHost: h\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1x\r\nHost: h\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/11\r\nHost: h\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / http/1.1\r\nHost: h\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1 \r\nHost: h\r\n\r\n"), -400);
}

TEST(http_content_length_checks)
{
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na"), -400);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\ncontent-length: 1\r\nCONTENT-LENGTH: 2\r\n\r\nab"), -400);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n"), -400);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5x\r\n\r\n"), -400);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n"), -400);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +1\r\n\r\n"), -400);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1 2\r\n\r\n"), -400);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length:\r\n\r\n"), -400);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 18446744073709551617\r\n\r\n"), -400);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4294967297\r\n\r\n"), -400);
}

TEST(http_transfer_encoding)
{
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc"),
             -400);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nabc"),
             -400);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"), -501);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\ntransfer-encoding: identity\r\n\r\n"), -501);
}

TEST(http_host_rules)
{
    CHECK_EQ(parse("GET / HTTP/1.1\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nhost: a\r\nHOST: a\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.0\r\n\r\n"), 18);
    /* the name in any case, and only that name: one letter off, or one more */
    CHECK_EQ(parse("GET / HTTP/1.1\r\nhOsT: a\r\n\r\n"), 27);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHosu: a\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nGost: a\r\n\r\n"), -400);
    CHECK_EQ(parse("GET / HTTP/1.1\r\nHosts: a\r\n\r\n"), -400);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nCONTENT-length: 2\r\n\r\nab"), 49);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Lengti: 2\r\n\r\nab"), 47);   /* not a length: no body */
}

/* A request with Host plus `extra` more header fields, into buf. */
static size_t with_headers(char *buf, size_t cap, int extra)
{
    size_t n = (size_t)snprintf(buf, cap, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < extra; i++) n += (size_t)snprintf(buf + n, cap - n, "X-%d: v\r\n", i);
    n += (size_t)snprintf(buf + n, cap - n, "\r\n");
    return n;
}

TEST(http_header_count_limit)
{
    static char buf[NM_BUF_SIZE];
    size_t n = with_headers(buf, sizeof(buf), NM_MAX_HEADERS - 1);
    CHECK_EQ(parse_n(buf, n), n);
    CHECK_EQ(req.header_count, NM_MAX_HEADERS);
    n = with_headers(buf, sizeof(buf), NM_MAX_HEADERS);
    CHECK_EQ(parse_n(buf, n), -431);
}

TEST(http_header_section_too_large)
{
    static char buf[NM_BUF_SIZE];
    static const char start[] = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: ";
    memcpy(buf, start, sizeof(start) - 1);
    memset(buf + sizeof(start) - 1, 'a', sizeof(buf) - (sizeof(start) - 1));
    CHECK_EQ(parse_n(buf, sizeof(buf) - 1), 0);   /* may still end */
    CHECK_EQ(parse_n(buf, sizeof(buf)), -431);    /* the buffer is full */
    size_t scan = 0;                             /* also when found full step by step */
    CHECK_EQ(nm_proto_cut(&nm_proto_http, buf, NM_BUF_SIZE / 2, &scan, 0, &req), 0);
    CHECK_EQ(nm_proto_cut(&nm_proto_http, buf, NM_BUF_SIZE, &scan, 0, &req), -431);
}

TEST(http_body_larger_than_the_buffer)
{
    static char buf[NM_BUF_SIZE + 64];
    static const char fmt[] = "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: %5u\r\n\r\n";
    const unsigned head = (unsigned)snprintf(buf, sizeof(buf), fmt, 0u);
    snprintf(buf, sizeof(buf), fmt, NM_BUF_SIZE - head + 1);
    CHECK_EQ(parse_n(buf, head), -413);   /* refused before the body arrives */
    snprintf(buf, sizeof(buf), fmt, NM_BUF_SIZE - head);
    CHECK_EQ(parse_n(buf, head), 0);      /* exactly fills the buffer: wait for it */
    memset(buf + head, 'b', NM_BUF_SIZE - head);
    CHECK_EQ(parse_n(buf, NM_BUF_SIZE), NM_BUF_SIZE);
    CHECK_EQ(req.body.n, NM_BUF_SIZE - head);
    CHECK_EQ(parse("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 999999999\r\n\r\n"), -413);
}

TEST(echo_parse_takes_everything)
{
    static const char in[] = "any\r\nbytes\0at all";
    size_t scan = 0;
    memset(&req, 0, sizeof(req));
    CHECK_EQ(nm_proto_cut(&nm_proto_echo, in, sizeof(in) - 1, &scan, 0, &req), sizeof(in) - 1);
    CHECK_EQ(req.protocol, NM_PROTO_ECHO);
    CHECK(req.body.p == in);
    CHECK_EQ(req.body.n, sizeof(in) - 1);
    CHECK_EQ(req.keep_alive, 1);
    CHECK_EQ(req.header_count, 0);
    CHECK_EQ(nm_proto_cut(&nm_proto_echo, in, 0, &scan, 0, &req), 0);
    CHECK_EQ(nm_proto_cut(&nm_proto_echo, in, 1, &scan, 0, &req), 1);
}

TEST(utoa_digits)
{
    char d[24];
    CHECK_EQ(nm_utoa(d, 0), 1);
    CHECK(d[0] == '0');
    unsigned n = nm_utoa(d, 18446744073709551615ull);
    CHECK_EQ(n, 20);
    CHECK(!memcmp(d, "18446744073709551615", 20));
    n = nm_utoa(d, 4096);
    CHECK(n == 4 && !memcmp(d, "4096", 4));
}

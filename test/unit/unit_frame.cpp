/* The framing rules every protocol shares (nm_proto_cut), seen through a
 * protocol of a user's own: a 2-byte big-endian length, then that many bytes. */
#include "../check.h"
#include "../lib/proto/protocol.h"
#include <string.h>

static int kind = NM_BODY_NONE;   /* what the test protocol says follows its head */
static unsigned long long body_len;

static int lp_frame(const char *buf, size_t len, nm_frame *f, nm_request *req)
{
    (void)req;
    f->scan++;   /* the protocol's own: counts the calls for this message */
    if (len < 2) return NM_FRAME_MORE;
    size_t n = ((size_t)(unsigned char)buf[0] << 8) | (unsigned char)buf[1];
    if (n == 0xffff) {
        f->status = 400;
        return NM_FRAME_REFUSE;
    }
    f->head = kind == NM_BODY_NONE ? 2 + n : 2;
    f->body = kind;
    f->body_len = body_len;
    if (kind == NM_BODY_NONE && len < 2 + n) return NM_FRAME_MORE;
    return NM_FRAME_MESSAGE;
}

static const nm_protocol lp = { "length-prefixed", lp_frame, 0, 0, 0, 0, 0 };

static int cut(const char *buf, size_t len, size_t *scan, int eof, nm_request *req)
{
    return nm_proto_cut(&lp, buf, len, scan, eof, req);
}

TEST(frame_user_protocol_whole_messages_only)
{
    kind = NM_BODY_NONE;
    const char two[] = "\0\3abc\0\2de";   /* two messages in one read */
    nm_request req;
    size_t scan = 0;
    for (size_t len = 0; len < 5; len++) CHECK_EQ(cut(two, len, &scan, 0, &req), 0);   /* a byte at a time */
    CHECK_EQ(scan, 5u);   /* the protocol's scan kept between the calls */
    scan = 0;
    CHECK_EQ(cut(two, 9, &scan, 0, &req), 5);   /* the first of two, alone */
    CHECK_EQ(req.protocol, NM_PROTO_OTHER);
    CHECK_EQ(req.head_bytes.n, 5u);
    CHECK(req.head_bytes.p == two);
    CHECK_EQ(req.body.n, 0u);
    CHECK_EQ(req.method.n, 0u);
    CHECK_EQ(req.header_count, 0);
    scan = 0;
    CHECK_EQ(cut(two + 5, 4, &scan, 0, &req), 4);   /* then the second */
    CHECK(!memcmp(req.head_bytes.p, "\0\2de", 4));
}

TEST(frame_refusals_carry_their_status)
{
    nm_request req;
    size_t scan = 0;
    kind = NM_BODY_NONE;
    CHECK_EQ(cut("\xff\xff", 2, &scan, 0, &req), -400);   /* the protocol's own */
    static char full[NM_BUF_SIZE];
    full[0] = (char)0x7f;   /* a head longer than the buffer: never whole */
    scan = 0;
    CHECK_EQ(cut(full, sizeof(full), &scan, 0, &req), -431);
    kind = NM_BODY_LENGTH;
    body_len = NM_BUF_SIZE;   /* head and body past the buffer */
    scan = 0;
    CHECK_EQ(cut("\0\0", 2, &scan, 0, &req), -413);
    kind = NM_BODY_CHUNKED;
    scan = 0;
    CHECK_EQ(cut("\0\0", 2, &scan, 0, &req), -501);
    kind = 9;   /* no such kind */
    scan = 0;
    CHECK_EQ(cut("\0\0", 2, &scan, 0, &req), -500);
}

TEST(frame_body_kinds)
{
    nm_request req;
    size_t scan = 0;
    kind = NM_BODY_LENGTH;
    body_len = 3;
    CHECK_EQ(cut("\0\0xy", 4, &scan, 0, &req), 0);   /* the body awaited ... */
    CHECK_EQ(req.size, 5u);                          /* ... and its end known */
    scan = 0;
    CHECK_EQ(cut("\0\0xyzNEXT", 9, &scan, 0, &req), 5);
    CHECK_EQ(req.body.n, 3u);
    CHECK(!memcmp(req.body.p, "xyz", 3));
    kind = NM_BODY_TO_CLOSE;
    scan = 0;
    CHECK_EQ(cut("\0\0tail", 6, &scan, 0, &req), 0);   /* until the peer closes */
    scan = 0;
    CHECK_EQ(cut("\0\0tail", 6, &scan, 1, &req), 6);
    CHECK_EQ(req.body.n, 4u);
    kind = NM_BODY_NONE;
    body_len = 0;
    scan = 0;
    CHECK_EQ(cut("\0", 1, &scan, 0, &req), 0);
}

/* HTTP and echo are protocols like any other: public, with a frame. */
TEST(frame_builtin_protocols_are_public)
{
    CHECK(nm_proto_http.frame != 0);
    CHECK(nm_proto_echo.frame != 0);
    CHECK(!strcmp(nm_proto_http.name, "http"));
    CHECK(nm_proto_echo.header == 0);   /* echo frames no head */
}

/* HTTP's framing of a streamed answer's pieces: chunk sizes in hex, each
 * chunk's CRLF before the next size, the last chunk and the blank line. */
TEST(frame_http_pieces_are_chunks)
{
    char out[NM_PIECE_MAX + 1];
    size_t n = nm_proto_http.piece(out, 4072, 1);
    out[n] = 0;
    CHECK(!strcmp(out, "fe8\r\n"));
    n = nm_proto_http.piece(out, 16, 0);
    out[n] = 0;
    CHECK(!strcmp(out, "\r\n10\r\n"));
    n = nm_proto_http.piece(out, 0, 0);
    out[n] = 0;
    CHECK(!strcmp(out, "\r\n0\r\n\r\n"));
    n = nm_proto_http.piece(out, 0, 1);   /* an empty body: the last chunk alone */
    out[n] = 0;
    CHECK(!strcmp(out, "0\r\n\r\n"));
    n = nm_proto_http.piece(out, (size_t)-1, 0);   /* the widest size fits the room */
    CHECK(n <= NM_PIECE_MAX);
    CHECK(nm_proto_echo.piece == 0);   /* echo's pieces go as they are */
}

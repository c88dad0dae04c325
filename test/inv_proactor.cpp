/* proactor: the model says which engine runs - on its first line and in
 * /stats, the same answer - and the emulated engine can be forced. Both
 * engines serve keep-alive and pipelined requests (the conformance suite
 * runs on each). */
#include "inv.h"
#include "inv_stat.h"

static void engine_is(const char *mode, const char *expect)
{
    tc_server s;
    if (mode) REQUIRE(inv_start(&s, "proactor", "--proactor", mode, (const char *)0) == 0);
    else REQUIRE(inv_start(&s, "proactor", (const char *)0) == 0);
    const char *word = strstr(s.line, " proactor=");
    REQUIRE(word != 0);
    word += strlen(" proactor=");
    int uring = !strncmp(word, "io_uring", 8);
    CHECK(uring || !strncmp(word, "emulated", 8));
    if (expect) CHECK(!strncmp(word, expect, strlen(expect)));
    CHECK_EQ(inv_model_stat(s.port, "io_uring"), uring);   /* what runs is what was said */
    tc_conn c;
    REQUIRE(!tc_connect(&c, s.port));
    CHECK(inv_echo_roundtrip(&c, "first") == 0);
    CHECK(inv_echo_roundtrip(&c, "second") == 0);
    tc_close(&c);
    CHECK_EQ(tc_server_stop(&s, 5000), 0);
}

TEST(proactor_reports_its_engine)
{
    if (!inv_has_model("proactor")) return;
    engine_is(0, 0);
}

TEST(proactor_emulated_engine_can_be_forced)
{
    if (!inv_has_model("proactor")) return;
    engine_is("emulated", "emulated");
}

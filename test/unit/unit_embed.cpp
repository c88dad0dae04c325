/* What a program embedding the library sees of it: nm_run is a function,
 * not a macro, that links by a name carrying the version and hands over
 * the program's tunables, refused when they are not the library's;
 * nm_server_stop takes the pointer on_ready hands over; an unknown model's
 * error speaks of the API, not of a program the embedder does not have. */
#include "../check.h"
#include "netmodels.h"
#include <stdio.h>
#include <string.h>

#define NM_TEXT_(x) #x
#define NM_TEXT(x) NM_TEXT_(x)

TEST(embed_nm_run_links_by_its_version)
{
    char want[64];
    snprintf(want, sizeof(want), "nm_run_v%d_%d", NM_VERSION_MAJOR, NM_VERSION_MINOR);
    CHECK(strcmp(NM_TEXT(NM_RUN_SYMBOL), want) == 0);
    CHECK(strcmp(NM_TEXT(nm_run), "nm_run") == 0);   /* no macro renames a program's nm_run */
}

static int never(const nm_request *, nm_response *, void *);

#define NM_VALUE_(name) (long long)(name),
TEST(embed_other_tunables_are_a_usage_error_naming_the_first)
{
    long long program[] = { NM_TUNABLES(NM_VALUE_) };
    const int count = (int)(sizeof(program) / sizeof(program[0]));
    nm_config cfg;
    nm_config_init(&cfg);
    cfg.port = NM_PORT_ANY;
    nm_handler h = { never, 0 };
    program[0] = 32;   /* NM_MAX_CONNS */
    program[6] = 99;   /* NM_MAX_HEADERS: not the first */
    CHECK_EQ(NM_RUN_SYMBOL(nm_model_name(0), &cfg, &h, program, count), NM_ERR_USAGE);
    char want[128];
    snprintf(want, sizeof(want), "NM_MAX_CONNS: the program was compiled with 32, the library with %d", NM_MAX_CONNS);
    CHECK(strcmp(nm_last_error(), want) == 0);
    program[0] = NM_MAX_CONNS;   /* a name further down the list */
    CHECK_EQ(NM_RUN_SYMBOL(nm_model_name(0), &cfg, &h, program, count), NM_ERR_USAGE);
    snprintf(want, sizeof(want), "NM_MAX_HEADERS: the program was compiled with 99, the library with %d", NM_MAX_HEADERS);
    CHECK(strcmp(nm_last_error(), want) == 0);
    CHECK_EQ(NM_RUN_SYMBOL(nm_model_name(0), &cfg, &h, program, count - 1), NM_ERR_USAGE);
    CHECK(strstr(nm_last_error(), "tunables") != 0);
}

static int never(const nm_request *, nm_response *, void *) { return 0; }

static void stop_when_ready(const nm_server *srv, int port, void *user)
{
    (void)port;
    (void)user;
    nm_server_stop(srv);
}

TEST(embed_stop_takes_the_pointer_on_ready_hands)
{
    nm_config cfg;
    nm_config_init(&cfg);
    cfg.port = 0;
    cfg.on_ready = stop_when_ready;
    nm_handler h = { never, 0 };
    CHECK_EQ(nm_run(nm_model_name(0), &cfg, &h), NM_OK);
}

TEST(embed_unknown_model_error_names_the_api)
{
    nm_config cfg;
    nm_config_init(&cfg);
    nm_handler h = { never, 0 };
    CHECK_EQ(nm_run("nosuch", &cfg, &h), NM_ERR_USAGE);
    CHECK(strstr(nm_last_error(), "nosuch") != 0);
    CHECK(strstr(nm_last_error(), "nm_model_name()") != 0);
    CHECK(strstr(nm_last_error(), "nmserve") == 0);
}

/* A transport whose calls take more stack than a fiber leaves them (its
 * NM_FIBER_STACK_SIZE less 16 KiB): the fiber model refuses to start,
 * before it announces, naming the size that would do; one that fits
 * starts, as does a model of threads under the deeper one. */
static int announced;
static void count_and_stop(const nm_server *srv, int, void *)
{
    announced++;
    nm_server_stop(srv);
}

TEST(embed_fibers_refuse_a_transport_deeper_than_their_stacks)
{
    nm_transport_ops deep = {};
    deep.name = "deep";
    deep.stack = NM_FIBER_STACK_SIZE - 16 * 1024 + 1;
    nm_config cfg;
    nm_config_init(&cfg);
    cfg.port = 0;
    cfg.on_ready = count_and_stop;
    nm_config_transport(&cfg, &deep, 0);
    nm_handler h = { never, 0 };
    announced = 0;
    CHECK_EQ(nm_run("fiber", &cfg, &h), NM_ERR_USAGE);
    CHECK_EQ(announced, 0);
    char want[64];
    snprintf(want, sizeof(want), "NM_FIBER_STACK_SIZE=%d at least", NM_FIBER_STACK_SIZE + 1);
    CHECK(strstr(nm_last_error(), want) != 0);
    CHECK(strstr(nm_last_error(), "transport deep takes") != 0);
    CHECK_EQ(nm_run("epoll", &cfg, &h), NM_OK);
    deep.stack--;
    CHECK_EQ(nm_run("fiber", &cfg, &h), NM_OK);
    CHECK_EQ(announced, 2);
}

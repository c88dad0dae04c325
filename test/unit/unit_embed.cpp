/* What a program embedding the library sees of it: the name nm_run links
 * by carries the version and NM_MAX_HEADERS; nm_server_stop takes the
 * pointer on_ready hands over; an unknown model's error speaks of the API,
 * not of a program the embedder does not have. */
#include "../check.h"
#include "netmodels.h"
#include <stdio.h>
#include <string.h>

#define NM_TEXT_(x) #x
#define NM_TEXT(x) NM_TEXT_(x)

TEST(embed_nm_run_links_by_its_layout)
{
    char want[64];
    snprintf(want, sizeof(want), "nm_run_v%d_%d_headers%d", NM_VERSION_MAJOR, NM_VERSION_MINOR, NM_MAX_HEADERS);
    CHECK(strcmp(NM_TEXT(nm_run), want) == 0);
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

/* The one sizing policy of the count options: a count asked for past the
 * build's cap is a usage error naming the option and the cap; a default is
 * clamped to the cap without a word. */
#include "../check.h"
#include "../lib/loop/server.h"
#include <string.h>
#include <unistd.h>

TEST(sizing_asked_within_the_cap_is_taken)
{
    CHECK_EQ(nm_run_size(3, 4, 7, "--threads", "NM_MAX_LOOPS - 1"), 3);
    CHECK_EQ(nm_run_size(7, 4, 7, "--threads", "NM_MAX_LOOPS - 1"), 7);
}

TEST(sizing_asked_past_the_cap_is_a_usage_error)
{
    CHECK_EQ(nm_run_size(8, 4, 7, "--threads", "NM_MAX_LOOPS - 1"), -1);
    CHECK(strstr(nm_last_error(), "--threads 8") != 0);
    CHECK(strstr(nm_last_error(), "cap of 7 (NM_MAX_LOOPS - 1)") != 0);
    CHECK(strchr(nm_last_error(), '\n') == 0);
}

TEST(sizing_default_is_clamped_silently)
{
    CHECK_EQ(nm_run_size(NM_DEFAULT, 4, 16, "--workers", "NM_MAX_WORKERS"), 4);
    CHECK_EQ(nm_run_size(NM_DEFAULT, 64, 16, "--workers", "NM_MAX_WORKERS"), 16);   /* one per CPU on a big machine */
    CHECK_EQ(nm_run_size(NM_DEFAULT, 2, 0, "--threads", "NM_MAX_LOOPS - 1"), 0);   /* a build with one loop */
}

/* A cap is named by the expression that makes it: one text, no second copy. */
TEST(sizing_cap_named_by_its_expression)
{
    CHECK_EQ(NM_RUN_SIZE(NM_MAX_LOOPS, 4, NM_MAX_LOOPS - 1, "--threads"), -1);
    CHECK(strstr(nm_last_error(), "(NM_MAX_LOOPS - 1)") != 0);
    CHECK_EQ(NM_RUN_SIZE_BESIDE(NM_MAX_THREADS, 4, 1, "--pool"), -1);
    CHECK(strstr(nm_last_error(), "(NM_MAX_THREADS less the sub-loops)") != 0);
}

/* NM_PER_CPU: one per online CPU, at most the cap. */
TEST(sizing_per_cpu_default_counts_the_cpus)
{
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    CHECK_EQ(nm_run_size(NM_DEFAULT, NM_PER_CPU, 1000, "--workers", "NM_MAX_WORKERS"), (int)(cpus < 1 ? 1 : cpus));
    CHECK_EQ(nm_run_size(NM_DEFAULT, NM_PER_CPU, 1, "--workers", "NM_MAX_WORKERS"), 1);
    CHECK_EQ(nm_cpu_count(1000), (int)(cpus < 1 ? 1 : cpus));
}

static int never(const nm_request *, nm_response *, void *) { return 0; }

TEST(sizing_max_conns_past_the_slots_is_a_usage_error)
{
    nm_config cfg;
    nm_config_init(&cfg);
    cfg.port = 0;
    cfg.max_conns = NM_MAX_CONNS + 1;
    nm_handler h = { never, 0 };
    CHECK_EQ(nm_run(nm_model_name(0), &cfg, &h), NM_ERR_USAGE);
    CHECK(strstr(nm_last_error(), "--max-conns") != 0);
}

/* A setting below 0 (the int field at `field` of nm_config, its default
 * `dflt`; `bad`, below 0) is refused by nm_run, the message naming it. */
static void below_0_refused(int nm_config::*field, int dflt, const char *name, int bad = -1)
{
    nm_config cfg;
    nm_config_init(&cfg);
    CHECK_EQ(cfg.*field, dflt);
    cfg.port = 0;
    cfg.*field = bad;
    nm_handler h = { never, 0 };
    CHECK_EQ(nm_run(nm_model_name(0), &cfg, &h), NM_ERR_USAGE);
    CHECK(strstr(nm_last_error(), name) != 0);
}

TEST(sizing_queue_wait_below_0_is_a_usage_error) { below_0_refused(&nm_config::queue_wait_ms, NM_QUEUE_WAIT_MS, "queue_wait_ms"); }

TEST(sizing_min_rate_below_0_is_a_usage_error) { below_0_refused(&nm_config::min_rate, NM_MIN_RATE, "min_rate"); }

/* yield_slice_ms takes NM_DEFAULT (-1); below that it is refused */
TEST(sizing_yield_slice_below_0_is_a_usage_error)
{
    below_0_refused(&nm_config::yield_slice_ms, NM_YIELD_SLICE_MS, "yield_slice_ms", -5);
}

TEST(sizing_config_init_names_what_each_field_takes)
{
    nm_config cfg;
    nm_config_init(&cfg);
    CHECK_EQ(cfg.threads, NM_DEFAULT);
    CHECK_EQ(cfg.workers, NM_DEFAULT);
    CHECK_EQ(cfg.pool, NM_DEFAULT);
    CHECK_EQ(cfg.max_threads, NM_UNLIMITED);
    CHECK_EQ(cfg.max_conns, NM_MAX_CONNS);
    CHECK_EQ(cfg.max_streams, NM_STREAM_BUFFERS);
    CHECK(cfg.proto == &nm_proto_http);
    /* the constants that are not a count are apart from every count */
    CHECK(NM_DEFAULT < 0 && NM_UNLIMITED < 0 && NM_DEFAULT != NM_UNLIMITED);
    CHECK_EQ(NM_PORT_ANY, 0);
    CHECK_EQ(NM_NO_WAIT, 0);
    CHECK_EQ(NM_NO_MIN_RATE, 0);
}

TEST(sizing_zero_is_no_count_of_threads)
{
    CHECK_EQ(nm_run_size(0, 4, 16, "--threads", "NM_MAX_THREADS"), -1);
    CHECK(strstr(nm_last_error(), "--threads 0: at least 1, or NM_DEFAULT") != 0);
    nm_config cfg;
    nm_config_init(&cfg);
    cfg.port = NM_PORT_ANY;
    cfg.max_threads = 0;
    nm_handler h = { never, 0 };
    CHECK_EQ(nm_run(nm_model_name(0), &cfg, &h), NM_ERR_USAGE);
    CHECK(strstr(nm_last_error(), "max_threads below 1 (NM_UNLIMITED") != 0);
    cfg.max_threads = NM_UNLIMITED;
    cfg.proto = 0;
    CHECK_EQ(nm_run(nm_model_name(0), &cfg, &h), NM_ERR_USAGE);
    CHECK(strstr(nm_last_error(), "no protocol") != 0);
}

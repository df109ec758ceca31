/*
 * test_admit.c: the supervisor's own limits as far as they are pure: the
 * SUP_LIMITS keys of the configuration, the per-tenant session table and
 * the max_startups drop rule. (admit_accept and friends need a live
 * daemon: tests/integration/test_limits.c drives them from outside.)
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"
#include "config.h"
#include "tenant.h"

#include "cfgfix.h"

TestSuite(admit, .init = cfgfix_setup, .fini = cfgfix_teardown);

/* --- the keys ------------------------------------------------------------ */

Test(admit, the_defaults)
{
	cr_assert_eq(build(""), 0, "%s", errors());
	cr_assert_eq(c->sup.sessions, 64);
	cr_assert_eq(c->sup.sessions_per_source, 16);
	cr_assert_eq(c->sup.max_startups.start, 64);
	cr_assert_eq(c->sup.max_startups.rate, 30);
	cr_assert_eq(c->sup.max_startups.full, 256);
	cr_assert_eq(c->sup.source_exempt.n, 2, "loopback v4 and v6");
	cr_assert_eq(c->sup.penalty_min, 15);
	cr_assert_eq(c->sup.penalty_max, 600);
	cr_assert_eq(c->sup.penalty_sources, 65536);
	cr_assert_eq(c->sup.penalty_crash, 90);
	cr_assert_eq(c->sup.penalty_sandbox, 300);
	cr_assert_eq(c->sup.penalty_authfail, 5);
}

/* The table's penalty defaults are source.h's (one place must not drift). */
Test(admit, penalty_defaults_match_the_offence_list)
{
	struct source_cfg sc;

	cr_assert_eq(build(""), 0);
	source_cfg_defaults(&sc);
#define SAME(N, n, secs, what)						\
	cr_assert_eq(c->sup.penalty_##n, sc.penalty[SOURCE_##N], #n);
	SOURCE_OFFENCES(SAME)
#undef SAME
	cr_assert_eq(c->sup.penalty_min, sc.penalty_min);
	cr_assert_eq(c->sup.penalty_max, sc.penalty_max);
	cr_assert_eq(c->sup.penalty_sources, sc.max_sources);
}

Test(admit, limits_and_tenant_overrides)
{
	const char text[] =
	    "[limits]\nsessions = 10\nsessions_per_source = 3\n"
	    "max_startups = 5:50:20\nsource_exempt = 10.0.0.0/8,\n"
	    "  2001:db8::/32\npenalty_crash = 7\n"
	    "[tenant acme]\nsessions = 2\n"
	    "[tenant other]\nsessions_per_source = 0\n";

	cr_assert_eq(build(text), 0, "%s", errors());
	cr_assert_eq(c->sup.sessions, 10);
	cr_assert_eq(c->sup.max_startups.start, 5);
	cr_assert_eq(c->sup.max_startups.rate, 50);
	cr_assert_eq(c->sup.max_startups.full, 20);
	cr_assert_eq(c->sup.source_exempt.n, 2);
	cr_assert_eq(c->sup.penalty_crash, 7);
	cr_assert_eq(config_tenant_sup(c, "acme")->sessions, 2);
	cr_assert_eq(config_tenant_sup(c, "acme")->sessions_per_source, 3,
	    "the rest from [limits]");
	cr_assert_eq(config_tenant_sup(c, "other")->sessions, 10);
	cr_assert_eq(config_tenant_sup(c, "other")->sessions_per_source, 0);
	cr_assert_eq(config_tenant_sup(c, "nobody")->sessions, 10,
	    "a tenant without a section has [limits]");
}

Test(admit, server_wide_keys_are_refused_in_a_tenant)
{
	one_error("[tenant acme]\nmax_startups = 10\n",
	    "t.conf:2: [tenant acme] max_startups: only [limits] sets it (it "
	    "is server-wide, not a tenant's)");
	one_error("[tenant acme]\npenalty_min = 10\n",
	    "t.conf:2: [tenant acme] penalty_min: only [limits] sets it (it "
	    "is server-wide, not a tenant's)");
	one_error("[tenant acme]\nsource_exempt = 10.0.0.0/8\n  10.1.0.0/16\n",
	    "t.conf:2: [tenant acme] source_exempt: only [limits] sets it (it "
	    "is server-wide, not a tenant's)");
}

Test(admit, max_startups_values)
{
	static const struct {
		const char	*v;
		unsigned	 start, rate, full;
		const char	*shown;
	} ok[] = {
		{ "10", 10, 100, 10, "10" },
		{ "10:30:100", 10, 30, 100, "10:30:100" },
		{ "0", 0, 100, 0, "0" },
		{ "5:100:5", 5, 100, 5, "5" },
		{ "1:1:1000000", 1, 1, 1000000, "1:1:1000000" },
	};
	static const struct {
		const char	*v;
		const char	*err;
	} bad[] = {
		{ "10:0:100", "\"10:0:100\": RATE must be a percentage, "
		    "1..100" },
		{ "10:101:100", "\"10:101:100\": RATE must be a percentage, "
		    "1..100" },
		{ "100:30:10", "\"100:30:10\": START is above FULL" },
		{ "1:2", "\"1:2\" is not START:RATE:FULL or a number" },
		{ "1:2:3:4", "\"1:2:3:4\" is not START:RATE:FULL or a number" },
		{ "ten", "\"ten\" is not START:RATE:FULL or a number" },
		{ "-1", "\"-1\" is not START:RATE:FULL or a number" },
		{ "10:30:2000000", "\"10:30:2000000\": 2000000 is out of range "
		    "(0..1000000)" },
	};
	struct startups	 st;
	char		 err[256], v[64];
	size_t		 i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(&st, 0, sizeof(st));
		cr_assert_eq(config_value_set(CK_SUP_max_startups, &st, ok[i].v,
		    false, err, sizeof(err)), 0, "%s: %s", ok[i].v, err);
		cr_assert_eq(st.start, ok[i].start, "%s", ok[i].v);
		cr_assert_eq(st.rate, ok[i].rate, "%s", ok[i].v);
		cr_assert_eq(st.full, ok[i].full, "%s", ok[i].v);
		config_value_format(CK_SUP_max_startups, &st, v, sizeof(v));
		cr_assert_str_eq(v, ok[i].shown);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(config_value_set(CK_SUP_max_startups, &st,
		    bad[i].v, false, err, sizeof(err)), -1, "%s", bad[i].v);
		cr_assert_str_eq(err, bad[i].err);
	}
}

Test(admit, penalty_min_above_max_is_an_error)
{
	one_error("[limits]\npenalty_min = 700\n",
	    "t.conf:2: [limits] penalty_min (700) is above penalty_max (600): "
	    "no source would ever be refused");
}

Test(admit, limit_flags_reach_the_supervisor_keys)
{
	struct cfg_flags f;
	char		 err[256];

	memset(&f, 0, sizeof(f));
	cr_assert_eq(config_flag_add(&f, CF_LIMITS, "max_startups", "3", err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(config_flag_add(&f, CF_LIMITS, "sessions_per_source",
	    "2", err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(config_flag_add(&f, CF_LIMITS, "max_startups", "x",
	    err, sizeof(err)), -1);
	cr_assert_str_eq(err, "max_startups: \"x\" is not START:RATE:FULL or "
	    "a number");
	cfg_errors_free(&e);
	cfg_errors_init(&e);
	cr_assert_eq(config_build_buf(c, "t.conf", "", 0, &f, &e), 0, "%s",
	    errors());
	cr_assert_eq(c->sup.max_startups.full, 3);
	cr_assert_eq(c->sup.sessions_per_source, 2);
}

Test(admit, the_effective_config_shows_them_and_reads_back)
{
	struct config	*c2 = calloc(1, sizeof(*c2));
	char		*out = NULL;
	size_t		 len;
	FILE		*f;

	cr_assert_eq(build("[limits]\nmax_startups = 7:40:70\n[tenant t]\n"
	    "sessions = 3\n"), 0, "%s", errors());
	f = open_memstream(&out, &len);
	config_write(f, c);
	fclose(f);
	cr_assert_not_null(strstr(out, "max_startups = 7:40:70\n"), "%s", out);
	cr_assert_not_null(strstr(out, "source_exempt = 127.0.0.1/32, "
	    "::1/128\n"), "%s", out);
	/* A tenant shows its own keys, never the server-wide ones. */
	cr_assert_null(strstr(strstr(out, "[tenant t]"), "max_startups"));
	cr_assert_eq(config_build_buf(c2, "t2.conf", out, len, NULL, &e), 0,
	    "%s", errors());
	cr_assert_eq(memcmp(&c2->sup, &c->sup, sizeof(c->sup)), 0);
	cr_assert_eq(c2->tenants[0].sup.sessions, 3);
	free(out);
	free(c2);
}

Test(admit, a_reload_diff_names_them)
{
	struct config	*a = calloc(1, sizeof(*a));
	struct buf	 b;

	buf_init(&b, 0);
	cr_assert_eq(config_build_buf(a, "t.conf", "[limits]\nsessions = 4\n",
	    22, NULL, &e), 0);
	cr_assert_eq(build("[limits]\nsessions = 5\npenalty_max = 60\n"), 0);
	config_diff(a, c, cfgfix_line, &b);
	cr_assert_str_eq(b.data, "[limits] sessions: \"4\" -> \"5\"\n"
	    "[limits] penalty_max: \"600\" -> \"60\"\n");
	buf_free(&b);
	free(a);
}

/* --- the tenant table ---------------------------------------------------- */

Test(admit, tenant_sessions_are_capped_and_released)
{
	struct tenant_table	*t = tenant_new();
	char			 why[256];

	cr_assert_not_null(t);
	cr_assert_eq(tenant_admit(t, "acme", 2, why, sizeof(why)), 0);
	tenant_hold(t, "acme");
	tenant_hold(t, "acme");
	cr_assert_eq(tenant_active(t, "acme"), 2);
	cr_assert_eq(tenant_admit(t, "acme", 2, why, sizeof(why)), -1);
	cr_assert_str_eq(why, "Too many sessions for tenant acme (at most 2). "
	    "Please try again later.");
	cr_assert_eq(tenant_refused(t, "acme"), 1);
	cr_assert_eq(tenant_admit(t, "other", 2, why, sizeof(why)), 0,
	    "other tenants are not affected");
	cr_assert_eq(tenant_admit(t, "acme", 0, why, sizeof(why)), 0,
	    "0 is no limit");
	tenant_release(t, "acme");
	cr_assert_eq(tenant_admit(t, "acme", 2, why, sizeof(why)), 0);
	tenant_release(t, "acme");
	tenant_release(t, "acme");
	tenant_release(t, "never");
	cr_assert_eq(tenant_active(t, "acme"), 0, "never below zero");
	tenant_free(t);
}

Test(admit, the_tenant_table_is_bounded)
{
	struct tenant_table	*t = tenant_new();
	char			 name[32];
	int			 i;

	for (i = 0; i < TENANT_MAX; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		tenant_hold(t, name);
	}
	tenant_hold(t, "late");
	cr_assert_eq(tenant_active(t, "late"), 0, "not counted");
	cr_assert_eq(tenant_overflow(t), 1);
	/* One that holds nothing leaves room. */
	tenant_release(t, "t7");
	tenant_hold(t, "late");
	cr_assert_eq(tenant_active(t, "late"), 1);
	cr_assert_eq(tenant_active(t, "t8"), 1);
	tenant_free(t);
}

/* --- max_startups -------------------------------------------------------- */

Test(admit, max_startups_drops_as_sshd_does)
{
	struct startups	 st = { 10, 30, 100 };
	struct startups	 hard = { 3, 100, 3 }, none = { 0, 100, 0 };
	unsigned	 r, drops;

	cr_assert(!admit_drop_startup(&st, 9, 0), "below start: never");
	cr_assert(admit_drop_startup(&st, 100, 99), "at full: always");
	cr_assert(admit_drop_startup(&st, 500, 99));
	/* At start, rate percent of the draws. */
	for (r = 0, drops = 0; r < 100; r++)
		drops += admit_drop_startup(&st, 10, r);
	cr_assert_eq(drops, 30);
	/* Halfway, halfway between rate and all. */
	for (r = 0, drops = 0; r < 100; r++)
		drops += admit_drop_startup(&st, 55, r);
	cr_assert_eq(drops, 65);
	cr_assert(!admit_drop_startup(&hard, 2, 99));
	cr_assert(admit_drop_startup(&hard, 3, 0));
	cr_assert(!admit_drop_startup(&none, 100000, 0), "0: no limit");
}

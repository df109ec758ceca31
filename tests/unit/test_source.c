/*
 * test_source.c: per-source counts and penalties.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "source.h"

static struct source_key
key(const char *a)
{
	struct source_key k;

	cr_assert_eq(source_key_str(&k, a), 0, "%s", a);
	return k;
}

static bool
same(const char *a, const char *b)
{
	struct source_key ka = key(a), kb = key(b);

	return memcmp(&ka, &kb, sizeof(ka)) == 0;
}

Test(source, keys_group_ipv6_by_64_and_fold_mapped_ipv4)
{
	char	 n[64];
	struct source_key k;
	struct sockaddr_in6 s6;

	cr_assert(same("2001:db8:1:2::1", "2001:db8:1:2:ffff::9"));
	cr_assert(!same("2001:db8:1:2::1", "2001:db8:1:3::1"));
	cr_assert(same("192.0.2.7", "::ffff:192.0.2.7"));
	cr_assert(!same("192.0.2.7", "192.0.2.8"));
	k = key("2001:db8:1:2::5");
	cr_assert_str_eq(source_key_name(&k, n, sizeof(n)),
	    "2001:db8:1:2::/64");
	k = key("::ffff:10.1.2.3");
	cr_assert_str_eq(source_key_name(&k, n, sizeof(n)), "10.1.2.3");
	cr_assert_eq(source_key_str(&k, "nonsense"), -1);

	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::ffff:192.0.2.7", &s6.sin6_addr);
	cr_assert_eq(source_key_sa(&k, (struct sockaddr *)&s6), 0);
	cr_assert_str_eq(source_key_name(&k, n, sizeof(n)), "192.0.2.7");
}

Test(source, cidr_parse_and_match)
{
	struct source_cidr c;

	cr_assert_eq(source_cidr_parse(&c, "10.0.0.0/8"), 0);
	cr_assert(source_cidr_match(&c, &(struct source_key){ 0 }) == false);
	{
		struct source_key in = key("10.200.3.4"), out = key("11.0.0.1");

		cr_assert(source_cidr_match(&c, &in));
		cr_assert(!source_cidr_match(&c, &out));
	}
	cr_assert_eq(source_cidr_parse(&c, "192.0.2.7"), 0);
	{
		struct source_key in = key("192.0.2.7"), out = key("192.0.2.6");

		cr_assert(source_cidr_match(&c, &in));
		cr_assert(!source_cidr_match(&c, &out));
	}
	cr_assert_eq(source_cidr_parse(&c, "2001:db8::/32"), 0);
	{
		struct source_key in = key("2001:db8:5::1"),
		    out = key("2001:db9::1");

		cr_assert(source_cidr_match(&c, &in));
		cr_assert(!source_cidr_match(&c, &out));
	}
	cr_assert_eq(source_cidr_parse(&c, "10.0.0.0/33"), -1);
	cr_assert_eq(source_cidr_parse(&c, "10.0.0.0/"), -1);
	cr_assert_eq(source_cidr_parse(&c, "10.0.0.0/8x"), -1);
	cr_assert_eq(source_cidr_parse(&c, "host.example"), -1);
	cr_assert_eq(source_cidr_parse(&c, "::1/129"), -1);
	cr_assert_eq(source_cidr_parse(&c, "0.0.0.0/0"), 0);
	{
		struct source_key any = key("203.0.113.1");

		cr_assert(source_cidr_match(&c, &any));
	}
}

Test(source, per_source_cap)
{
	struct source_cfg	 cfg;
	struct source_table	*t;
	struct source_key	 a = key("192.0.2.1"), b = key("192.0.2.2");
	char			 why[128];

	source_cfg_defaults(&cfg);
	t = source_new(&cfg);
	cr_assert_not_null(t);
	cr_assert_eq(source_admit(t, &a, 2, 0, why, sizeof(why)), 0);
	source_hold(t, &a, 0);
	source_hold(t, &a, 0);
	cr_assert_eq(source_active(t, &a), 2);
	cr_assert_eq(source_admit(t, &a, 2, 0, why, sizeof(why)), -1);
	cr_assert_str_eq(why, "Too many sessions from your address (at most "
	    "2). Please try again later.");
	cr_assert_eq(source_admit(t, &b, 2, 0, why, sizeof(why)), 0,
	    "another source is not affected");
	cr_assert_eq(source_admit(t, &a, 0, 0, why, sizeof(why)), 0,
	    "0 means no cap");
	source_release(t, &a, 0);
	cr_assert_eq(source_admit(t, &a, 2, 0, why, sizeof(why)), 0);
	source_release(t, &a, 0);
	source_release(t, &a, 0);
	cr_assert_eq(source_active(t, &a), 0, "never below zero");
	source_free(t);
}

Test(source, penalties_accumulate_from_the_minimum_up_to_the_cap)
{
	struct source_cfg	 cfg;
	struct source_table	*t;
	struct source_key	 a = key("198.51.100.9");
	struct source_stats	 st;
	char			 why[128];
	int			 i;

	source_cfg_defaults(&cfg);	/* authfail 5 s, min 15, max 600 */
	t = source_new(&cfg);
	cr_assert_eq(source_penalise(t, &a, SOURCE_AUTHFAIL, 1000), 5);
	cr_assert_eq(source_admit(t, &a, 0, 1000, why, sizeof(why)), 0,
	    "below the minimum: admitted");
	source_penalise(t, &a, SOURCE_AUTHFAIL, 1000);
	cr_assert_eq(source_penalise(t, &a, SOURCE_AUTHFAIL, 1000), 15);
	cr_assert_eq(source_admit(t, &a, 0, 1000, why, sizeof(why)), -1);
	cr_assert_str_eq(why, "Connections from your address are refused for "
	    "15 more seconds after earlier failures.");
	/* It runs down with time. */
	cr_assert_eq(source_penalty_left(t, &a, 6000), 10);
	cr_assert_eq(source_admit(t, &a, 0, 6000, why, sizeof(why)), 0);
	/* Repeats grow it, to the cap. */
	for (i = 0; i < 20; i++)
		source_penalise(t, &a, SOURCE_CRASH, 6000);
	cr_assert_eq(source_penalty_left(t, &a, 6000), 600);
	source_stats(t, 6000, &st);
	cr_assert_eq(st.offences[SOURCE_AUTHFAIL], 3);
	cr_assert_eq(st.offences[SOURCE_CRASH], 20);
	cr_assert_eq(st.penalised, 1);
	cr_assert_eq(st.refused_penalty, 1);
	/* After it, the source is forgotten entirely. */
	source_expire(t, 6000 + 600 * 1000);
	source_stats(t, 6000 + 600 * 1000, &st);
	cr_assert_eq(st.tracked, 0);
	cr_assert_eq(source_admit(t, &a, 0, 6000 + 600 * 1000, why,
	    sizeof(why)), 0);
	source_free(t);
}

Test(source, exempt_sources_are_never_penalised)
{
	struct source_cfg	 cfg;
	struct source_cidr	 ex;
	struct source_table	*t;
	struct source_key	 a = key("10.9.8.7"), b = key("10.99.0.1");
	char			 why[128];

	source_cfg_defaults(&cfg);
	cr_assert_eq(source_cidr_parse(&ex, "10.9.0.0/16"), 0);
	cfg.exempt = &ex;
	cfg.nexempt = 1;
	t = source_new(&cfg);
	cr_assert(source_exempt(t, &a));
	cr_assert_eq(source_penalise(t, &a, SOURCE_SANDBOX, 0), 0);
	cr_assert_eq(source_admit(t, &a, 0, 0, why, sizeof(why)), 0);
	source_hold(t, &a, 0);
	cr_assert_eq(source_admit(t, &a, 1, 0, why, sizeof(why)), 0,
	    "nor capped");
	cr_assert(!source_exempt(t, &b));
	cr_assert_gt(source_penalise(t, &b, SOURCE_SANDBOX, 0), 15);
	cr_assert_eq(source_admit(t, &b, 0, 0, why, sizeof(why)), -1);
	source_free(t);
}

Test(source, a_full_table_is_permissive_and_counts_it)
{
	struct source_cfg	 cfg;
	struct source_table	*t;
	struct source_key	 a = key("192.0.2.1"), b = key("192.0.2.2");
	struct source_stats	 st;
	char			 why[128];

	source_cfg_defaults(&cfg);
	cfg.max_sources = 1;
	t = source_new(&cfg);
	source_hold(t, &a, 0);
	source_hold(t, &b, 0);	/* no room: untracked */
	cr_assert_eq(source_active(t, &b), 0);
	source_penalise(t, &b, SOURCE_SANDBOX, 0);
	cr_assert_eq(source_admit(t, &b, 1, 0, why, sizeof(why)), 0);
	source_stats(t, 0, &st);
	cr_assert_eq(st.tracked, 1);
	cr_assert_eq(st.overflow, 2);
	/* Room again once a source leaves. */
	source_release(t, &a, 0);
	source_expire(t, 0);
	source_hold(t, &b, 0);
	cr_assert_eq(source_active(t, &b), 1);
	source_free(t);
}

Test(source, many_sources_stay_distinct)
{
	struct source_cfg	 cfg;
	struct source_table	*t;
	struct source_key	 k;
	char			 a[32];
	int			 i;

	source_cfg_defaults(&cfg);
	t = source_new(&cfg);
	for (i = 0; i < 50000; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
		    i & 255);
		k = key(a);
		source_hold(t, &k, 0);
	}
	for (i = 0; i < 50000; i += 997) {
		snprintf(a, sizeof(a), "10.%d.%d.%d", i >> 16, (i >> 8) & 255,
		    i & 255);
		k = key(a);
		cr_assert_eq(source_active(t, &k), 1, "%s", a);
	}
	source_free(t);
}

Test(source, ranges_match_as_ipv6_and_ipv6_keys_by_their_64)
{
	struct source_cidr	 c;
	struct source_key	 v4 = key("192.0.2.1"), lo6 = key("::1");
	struct source_key	 v6 = key("2001:db8:1:2::7");
	struct source_key	 m = key("::ffff:101.0.0.0");

	cr_assert_eq(source_cidr_parse(&c, "::/0"), 0);
	cr_assert(source_cidr_match(&c, &v6));
	cr_assert(source_cidr_match(&c, &v4), "::/0 holds ::ffff:0:0/96");
	/* Found by tests/fuzz/fuzz_source.c: a range misses its address. */
	cr_assert_eq(source_cidr_parse(&c, "::ffff:101.0.0.0/4"), 0);
	cr_assert(source_cidr_match(&c, &m));
	cr_assert_eq(source_cidr_parse(&c, "10.0.0.0/8"), 0);
	cr_assert(!source_cidr_match(&c, &lo6), "no IPv4 range holds ::1");
	cr_assert_eq(source_cidr_parse(&c, "0.0.0.0/0"), 0);
	cr_assert(!source_cidr_match(&c, &v6));
	cr_assert_eq(source_cidr_parse(&c, "::1"), 0);
	cr_assert(source_cidr_match(&c, &lo6), "::1/128 covers ::1");
	cr_assert(!source_cidr_match(&c, &v4));
	cr_assert_eq(source_cidr_parse(&c, "2001:db8:1:2::9/128"), 0);
	cr_assert(source_cidr_match(&c, &v6), "a /128 names its /64");
	cr_assert_eq(source_cidr_parse(&c, "::ffff:192.0.2.0/120"), 0);
	cr_assert(source_cidr_match(&c, &v4), "v4-mapped ranges are IPv4");
}

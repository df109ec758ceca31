/*
 * test_metrics.c: the status document as Prometheus text (metrics.c),
 * read back by a strict checker of the exposition format (tests/lib/
 * promcheck.c), and the checker itself held to each rule it enforces.
 */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "metrics.h"
#include "promcheck.h"
#include "status.h"

/*
 * A document as iridiumd writes it, with the awkward cases: a draining
 * listener and pool beside their successor of the same name, a tenant
 * name with every character the format must escape, two sessions.
 */
static const char doc_text[] =
"{\"schema_version\": 1, \"version\": \"0.1.0\","
" \"daemon\": {\"version\": \"0.1.0\", \"build\": \"0.1.0-x\", \"pid\": 7,"
"  \"started\": 1700000000, \"uptime_seconds\": 12, \"config\": \"\","
"  \"control\": \"/run/c\", \"generation\": 2, \"reloads\": 1,"
"  \"reload_failures\": 3, \"listeners\": ["
"   {\"name\": \"line\", \"transport\": \"line\", \"address\": \"a\","
"    \"port\": 1, \"tenant\": \"anonymous\", \"state\": \"accepting\"},"
"   {\"name\": \"line\", \"transport\": \"line\", \"address\": \"b\","
"    \"port\": 2, \"tenant\": \"anonymous\", \"state\": \"draining\"}]},"
" \"pools\": ["
"  {\"listener\": \"line\", \"workers\": 3, \"idle\": 2, \"busy\": 1,"
"   \"starting\": 0, \"stopping\": 0, \"min_spare\": 2, \"max_spare\": 8,"
"   \"max_workers\": 64, \"queued\": 0, \"spawned\": 9, \"exits\": {"
"   \"normal\": 5, \"died_before_ready\": 0, \"crashed\": 1,"
"   \"sandbox_violations\": 2, \"killed\": 0, \"failed\": 0,"
"   \"cpu_limit\": 1}},"
"  {\"listener\": \"line\", \"workers\": 1, \"idle\": 0, \"busy\": 1,"
"   \"starting\": 0, \"stopping\": 0, \"min_spare\": 0, \"max_spare\": 0,"
"   \"max_workers\": 64, \"queued\": 0, \"spawned\": 4, \"exits\": {}}],"
" \"sessions\": {\"active\": 2, \"accepted\": 10, \"completed\": 6,"
"  \"rejected\": 1, \"failed\": 1, \"per_tenant\": {"
"   \"anonymous\": {\"active\": 1, \"accepted\": 8, \"max_sessions\": 64,"
"    \"refused\": 0},"
"   \"we\\\"ird\\\\na\\nme\": {\"active\": 1, \"accepted\": 2,"
"    \"max_sessions\": 2, \"refused\": 4}}},"
" \"admission\": {\"startups\": 1, \"sources\": 3, \"penalised\": 1,"
"  \"untracked\": 0, \"refused\": {\"penalty\": 2,"
"  \"sessions_per_source\": 195, \"sessions\": 4, \"max_startups\": 0,"
"  \"proxy_untrusted\": 1}, \"offences\": {\"crash\": 1, \"sandbox\": 2,"
"  \"authfail\": 0, \"grace\": 0, \"protocol\": 0}},"
" \"limits\": {\"sessions\": 64, \"sessions_per_source\": 16,"
"  \"max_startups\": \"64:30:256\", \"source_exempt\": \"127.0.0.1/32\","
"  \"penalty_min\": 15, \"penalty_max\": 600, \"penalty_sources\": 65536,"
"  \"penalty_crash\": 90, \"penalty_sandbox\": 300,"
"  \"penalty_authfail\": 5, \"penalty_grace\": 20,"
"  \"penalty_protocol\": 90},"
" \"workers\": ["
"  {\"pid\": 10, \"state\": \"busy\", \"listener\": \"line\","
"   \"generation\": 2, \"session\": {\"id\": 17, \"tenant\": \"anonymous\","
"   \"peer\": \"127.0.0.1:5\", \"via\": \"\", \"transport\": \"line\","
"   \"started\": 1, \"age_seconds\": 4, \"idle_seconds\": 1,"
"   \"bytes_in\": 11, \"bytes_out\": 50, \"instructions\": 7,"
"   \"heap_bytes\": 64, \"program_bytes\": 72}},"
"  {\"pid\": 11, \"state\": \"idle\", \"listener\": \"line\","
"   \"generation\": 2, \"session\": null}]}";

static json_t	*doc;
static char	*out;
static struct prom p;

static void
teardown(void)
{
	json_decref(doc);
	free(out);
	prom_free(&p);
}

TestSuite(metrics, .fini = teardown);

/* Write doc's metrics and read them back strictly. */
static void
write_and_check(unsigned flags)
{
	json_error_t	 jerr;
	char		 err[256];
	size_t		 len;
	FILE		*f;

	doc = json_loads(doc_text, 0, &jerr);
	cr_assert_not_null(doc, "the test's document: %s", jerr.text);
	f = open_memstream(&out, &len);
	cr_assert_eq(metrics_write(f, doc, flags, err, sizeof(err)), 0, "%s",
	    err);
	fclose(f);
	cr_assert_eq(prom_parse(out, &p, err, sizeof(err)), 0, "%s\n%s", err,
	    out);
}

static double
get(const char *name, const char *labels)
{
	double	 v;

	cr_assert_eq(prom_get(&p, name, labels, &v), 0, "no %s{%s} in\n%s",
	    name, labels, out);
	return v;
}

Test(metrics, the_document_as_strict_exposition_text)
{
	write_and_check(0);
	cr_assert_eq(get("iridium_up", ""), 1);
	cr_assert_eq(get("iridium_daemon_info",
	    "build=\"0.1.0-x\",version=\"0.1.0\""), 1);
	cr_assert_eq(get("iridium_daemon_uptime_seconds", ""), 12);
	cr_assert_eq(get("iridium_daemon_reload_failures_total", ""), 3);
	cr_assert_eq(get("iridium_pool_busy", "listener=\"line\""), 1);
	cr_assert_eq(get("iridium_pool_exits_total",
	    "kind=\"sandbox_violations\",listener=\"line\""), 2);
	cr_assert_eq(get("iridium_pool_exits_total",
	    "kind=\"cpu_limit\",listener=\"line\""), 1);
	cr_assert_eq(get("iridium_sessions_accepted_total", ""), 10);
	cr_assert_eq(get("iridium_tenant_refused_total",
	    "tenant=\"we\\\"ird\\\\na\\nme\""), 4);
	cr_assert_eq(get("iridium_tenant_max_sessions",
	    "tenant=\"anonymous\""), 64);
	cr_assert_eq(get("iridium_admission_refused_total",
	    "limit=\"sessions_per_source\""), 195);
	cr_assert_eq(get("iridium_admission_offences_total",
	    "offence=\"sandbox\""), 2);
	cr_assert_eq(get("iridium_admission_startups", ""), 1);
	cr_assert_eq(get("iridium_limits_penalty_crash", ""), 90);
	/* A text limit is for people: no metric. */
	cr_assert_eq(prom_count(&p, "iridium_limits_max_startups"), 0);
	/* The draining pool of the same name is written once, the first. */
	cr_assert_eq(prom_count(&p, "iridium_pool_busy"), 1);
	cr_assert_eq(get("iridium_pool_spawned_total", "listener=\"line\""),
	    9);
	/* No series per session unless asked. */
	cr_assert_eq(prom_count(&p, "iridium_session_bytes_in_total"), 0);
}

Test(metrics, every_number_of_the_schema_is_a_family)
{
	char	 name[128];
	double	 v;

	write_and_check(METRICS_SESSIONS);
	/* Each GAUGE and COUNTER field, from the same X-macros. */
#define FAMILY(obj, n, t, k, h)						\
	if (strcmp(#k, "GAUGE") == 0 || strcmp(#k, "COUNTER") == 0) {	\
		snprintf(name, sizeof(name), "iridium_%s_%s%s", obj, #n, \
		    strcmp(#k, "COUNTER") == 0 ? "_total" : "");	\
		cr_assert_not_null(strstr(out, name), "no %s", name);	\
	}
#define POOL(n, t, k, h)	FAMILY("pool", n, t, k, h)
#define SESS(n, t, k, h)	FAMILY("sessions", n, t, k, h)
#define TEN(n, t, k, h)		FAMILY("tenant", n, t, k, h)
#define ADM(n, t, k, h)		FAMILY("admission", n, t, k, h)
#define ONE(n, t, k, h)		FAMILY("session", n, t, k, h)
	STATUS_POOL_FIELDS(POOL)
	STATUS_SESSIONS_FIELDS(SESS)
	STATUS_TENANT_FIELDS(TEN)
	STATUS_ADMISSION_FIELDS(ADM)
	STATUS_SESSION_FIELDS(ONE)
	(void)v;
	cr_assert_eq(get("iridium_session_bytes_out_total",
	    "listener=\"line\",session=\"17\",tenant=\"anonymous\""), 50);
	cr_assert_eq(prom_count(&p, "iridium_session_age_seconds"), 1,
	    "the idle worker has no session");
}

Test(metrics, a_document_of_another_schema_is_refused)
{
	char	 err[256];
	FILE	*f;
	size_t	 len;

	doc = json_pack("{s:i, s:{}}", "schema_version", 99, "daemon");
	f = open_memstream(&out, &len);
	cr_assert_eq(metrics_write(f, doc, 0, err, sizeof(err)), -1);
	fclose(f);
	cr_assert_str_eq(err, "not a status document of schema version 1");
}

Test(metrics, down_says_so)
{
	char	 err[256];
	size_t	 len;
	FILE	*f = open_memstream(&out, &len);
	double	 v;

	metrics_write_down(f);
	fclose(f);
	cr_assert_eq(prom_parse(out, &p, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(prom_get(&p, "iridium_up", "", &v), 0);
	cr_assert_eq(v, 0);
}

/* --- the checker refuses what it must ------------------------------------ */

static void
refused(const char *text, const char *want)
{
	struct prom	 q;
	char		 err[256];

	cr_assert_eq(prom_parse(text, &q, err, sizeof(err)), -1,
	    "accepted:\n%s", text);
	cr_assert_not_null(strstr(err, want), "want \"%s\", got \"%s\"", want,
	    err);
	prom_free(&q);
}

#define HT(n, t)	"# HELP " n " h\n# TYPE " n " " t "\n"

Test(metrics, the_checker_is_strict)
{
	struct prom	 q;
	char		 err[256];
	double		 v;

	cr_assert_eq(prom_parse(HT("a_b", "gauge") "a_b{x=\"1\",y=\"\\\\\"} "
	    "-1.5e3 1700000000000\n# a comment\n\n" HT("c", "counter")
	    "c +Inf\n", &q, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(prom_get(&q, "a_b", "x=\"1\",y=\"\\\\\"", &v), 0);
	cr_assert_eq(v, -1500);
	prom_free(&q);
	refused("a 1\n", "before its HELP and TYPE");
	refused("# TYPE a gauge\na 1\n", "before its HELP and TYPE");
	refused(HT("a", "gauge") "# TYPE a gauge\n", "second TYPE");
	refused(HT("a", "gauge") "# HELP a again\n", "second HELP");
	refused(HT("a", "gauge") HT("b", "gauge") "a 1\nb 1\na{x=\"2\"} 1\n",
	    "not one group");
	refused(HT("a", "meter") "a 1\n", "unknown type");
	refused(HT("a", "gauge") "a 1\na 1\n", "twice");
	refused(HT("a", "gauge") "a{y=\"1\",x=\"2\"} 1\na{x=\"2\",y=\"1\"} 1\n",
	    "twice");
	refused(HT("a", "gauge") "a{x=\"1\",x=\"2\"} 1\n", "label x twice");
	refused(HT("a", "gauge") "a{x=\"\\t\"} 1\n", "bad escape");
	refused(HT("a", "gauge") "a{x=\"\xff\"} 1\n", "not UTF-8");
	refused(HT("a", "gauge") "a{1x=\"1\"} 1\n", "bad label name");
	refused(HT("a", "gauge") "a{__x=\"1\"} 1\n", "bad label name");
	refused(HT("a", "gauge") "a{x=\"1\",} 1\n", "a comma before");
	refused(HT("a", "gauge") "a{x=\"1} 1\n", "unterminated");
	refused(HT("a", "gauge") "a 0x10\n", "not a float");
	refused(HT("a", "gauge") "a one\n", "not a float");
	refused(HT("a", "gauge") "a\n", "expected a space");
	refused(HT("a", "counter") "a -1\n", "negative");
	refused(HT("a-b", "gauge"), "bad metric name");
	refused(HT("a", "gauge") "a 1", "no newline");
	refused(HT("a", "gauge") "a 1\r\n", "carriage return");
	refused("# HELP a bad \\t escape\n", "bad escape in HELP");
}

/*
 * test_admission.c: the supervisor's own limits from outside (admit.c):
 * sessions per tenant, sessions per source address, max_startups with
 * silent connections, and a penalised source refused with one line and
 * admitted again once its penalty runs out; then `iridiumctl metrics`,
 * read by a strict checker of the exposition format, against what the
 * tests did. Each test uses addresses of its own in 127.0.0.0/8 (only
 * 127.0.0.1 is exempt by default).
 */
#include <criterion/criterion.h>

#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "promcheck.h"

#define PROMPT		">>> "
#define BANNER		"Welcome to Iridium! Let's be productive!\r\n"
#define BUSY		"Server busy, please try again later.\r\n"

static struct hd	 d;

TestSuite(admission, .fini = hd_fini, .timeout = 90);

/* Connect from src and read to EOF: the one refusal line, exactly. */
static void
refused_from(const char *src, const char *line)
{
	int	 fd = tc_connect_from(src, d.host, d.port);
	char	*s;

	cr_assert_geq(fd, 0);
	s = tc_read_all(fd, 10000, NULL);
	cr_assert_str_eq(s, line, "from %s", src);
	free(s);
	close(fd);
}


static long long
stat_num(const char *path)
{
	json_t		*st = hd_status(&d);
	long long	 n = hd_json_num(st, path);

	json_decref(st);
	return n;
}

/* `iridiumctl metrics`, parsed strictly. */
static void
metrics(struct prom *p)
{
	char	*out, *err, perr[256];

	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "metrics", NULL), 0,
	    "iridiumctl metrics: %s", err);
	cr_assert_eq(prom_parse(out, p, perr, sizeof(perr)), 0, "%s in:\n%s",
	    perr, out);
	free(out);
	free(err);
}

static double
metric(const struct prom *p, const char *name, const char *labels)
{
	double	 v;

	cr_assert_eq(prom_get(p, name, labels, &v), 0, "no %s{%s}", name,
	    labels);
	return v;
}

/* --- sessions per tenant ------------------------------------------------- */

Test(admission, a_tenant_has_at_most_its_sessions)
{
	int	 fd[3], again;

	hd_start_conf(&d, "[tenant anonymous]\nsessions = 3\n", NULL);
	fd[0] = tc_session_from(&d, "127.0.0.21");
	fd[1] = tc_session_from(&d, "127.0.0.22");
	fd[2] = tc_session_from(&d, "127.0.0.23");
	refused_from("127.0.0.24", "Too many sessions for tenant anonymous "
	    "(at most 3). Please try again later.\r\n");
	cr_assert(hd_wait_log(&d, "listener line: connection from "
	    "127.0.0.24:", 5000));
	cr_assert(hd_wait_log(&d, " refused (the tenant holds its sessions "
	    "limit): tenant anonymous holds 3 sessions (sessions 3)", 5000));
	/* One leaves: there is room again. */
	tc_send(fd[0], "!quit\r\n");
	free(tc_read_all(fd[0], 10000, NULL));
	cr_assert(hd_wait_log(&d, "ended (quit)", 10000));
	again = tc_session_from(&d, "127.0.0.24");
	cr_assert_eq(stat_num("sessions.per_tenant.anonymous.refused"), 1);
	cr_assert_eq(stat_num("admission.refused.sessions"), 1);
	close(again);
	close(fd[1]);
	close(fd[2]);
}

/* --- sessions per source ------------------------------------------------- */

Test(admission, two_hundred_connections_from_one_address_meet_its_cap)
{
	struct prom	 p;
	int		 fd[200], i, sessions = 0, refusals = 0, other;
	char		*s;

	hd_start_conf(&d, "[limits]\nsessions_per_source = 5\n"
	    "[pool]\nmin_spare = 5\nmax_spare = 8\nmax_workers = 16\n", NULL);
	for (i = 0; i < 200; i++) {
		fd[i] = tc_connect_from("127.0.0.30", d.host, d.port);
		cr_assert_geq(fd[i], 0, "connect %d", i);
	}
	for (i = 0; i < 200; i++) {
		s = tc_read_until(fd[i], "\r\n", 20000);
		cr_assert_not_null(s, "connection %d: no line", i);
		if (strncmp(s, BANNER, strlen(BANNER)) == 0)
			sessions++;
		else if (strcmp(s, "Too many sessions from your address (at "
		    "most 5). Please try again later.\r\n") == 0)
			refusals++;
		else
			cr_assert_fail("connection %d: \"%s\"", i, s);
		free(s);
	}
	cr_assert_eq(sessions, 5);
	cr_assert_eq(refusals, 195);
	/* Another address is not affected. */
	other = tc_session_from(&d, "127.0.0.31");
	close(other);
	/* The log stays readable: a second's budget of refusal lines. */
	cr_assert(hd_wait_log(&d, "more refused connections not logged",
	    5000));
	cr_assert_leq(hd_log_count(&d, "refused (the source holds "
	    "sessions_per_source sessions)"), 40);
	metrics(&p);
	cr_assert_eq(metric(&p, "iridium_admission_refused_total",
	    "limit=\"sessions_per_source\""), 195);
	cr_assert_eq(metric(&p, "iridium_sessions_rejected_total", ""), 195);
	cr_assert_eq(metric(&p, "iridium_sessions_active", ""), 5);
	cr_assert_eq(metric(&p, "iridium_limits_sessions_per_source", ""), 5);
	prom_free(&p);
	for (i = 0; i < 200; i++)
		close(fd[i]);
}

/* --- max_startups -------------------------------------------------------- */

Test(admission, max_startups_refuses_past_its_silent_connections)
{
	int	 busy, q[3], late, fresh, i;
	char	*s;
	struct pollfd pfd;

	/* One worker: the connections after the first wait in the queue. */
	hd_start_conf(&d, "[limits]\nmax_startups = 3\n[pool]\nmin_spare = 1\n"
	    "max_spare = 1\nmax_workers = 1\nqueue = 10\nqueue_timeout = 60\n",
	    NULL);
	busy = tc_session_from(&d, "127.0.0.41");
	q[0] = tc_connect_from("127.0.0.42", d.host, d.port);
	q[1] = tc_connect_from("127.0.0.43", d.host, d.port);
	q[2] = tc_connect_from("127.0.0.44", d.host, d.port);
	for (i = 0; i < 100 && stat_num("admission.startups") < 3; i++)
		usleep(50000);
	cr_assert_eq(stat_num("admission.startups"), 3);
	late = tc_connect_from("127.0.0.45", d.host, d.port);
	s = tc_read_all(late, 10000, NULL);
	cr_assert_str_eq(s, BUSY);
	free(s);
	close(late);
	cr_assert(hd_wait_log(&d, "refused (too many connections not yet in "
	    "a session): 3 connections are not in a session yet "
	    "(max_startups 3:100:3)", 5000));
	/* The session ends: the first in the queue gets the worker. */
	tc_send(busy, "!quit\r\n");
	free(tc_read_all(busy, 10000, NULL));
	s = tc_read_until(q[0], PROMPT, 20000);
	cr_assert_not_null(s, "the first queued connection was not served");
	free(s);
	for (i = 0; i < 100 && stat_num("admission.startups") > 2; i++)
		usleep(50000);
	/* Room for one more: it waits, it is not refused. */
	fresh = tc_connect_from("127.0.0.46", d.host, d.port);
	pfd.fd = fresh;
	pfd.events = POLLIN;
	cr_assert_eq(poll(&pfd, 1, 500), 0, "the connection was answered");
	cr_assert_eq(stat_num("admission.refused.max_startups"), 1);
	close(fresh);
	for (i = 0; i < 3; i++)
		close(q[i]);
	close(busy);
}

/* --- penalties ----------------------------------------------------------- */

Test(admission, a_crash_penalises_its_source_until_the_penalty_runs_out)
{
	struct prom	 p;
	long long	 t0, took;
	int		 fd, other, lo, tries = 0;
	char		*s;

	hd_start_conf(&d, "[limits]\npenalty_crash = 3\npenalty_min = 1\n",
	    "iridium-worker-test");
	fd = tc_session_from(&d, "127.0.0.51");
	tc_send(fd, "!test crash\r\n");
	free(tc_read_all(fd, 10000, NULL));
	close(fd);
	cr_assert(hd_wait_log(&d, "crashed (signal 6 (ABRT))", 10000));
	cr_assert(hd_wait_log(&d, "its worker crashed; source 127.0.0.51 "
	    "penalised (crash): refused for the next 3s", 5000));
	t0 = hd_now_ms();
	fd = tc_connect_from("127.0.0.51", d.host, d.port);
	s = tc_read_all(fd, 10000, NULL);
	close(fd);
	cr_assert(strncmp(s, "Connections from your address are refused for ",
	    46) == 0 && strstr(s, " more seconds after earlier failures.\r\n")
	    != NULL && strchr(s, '\n') == s + strlen(s) - 1,
	    "one line, got \"%s\"", s);
	free(s);
	cr_assert(hd_wait_log(&d, "refused (the source is serving a penalty): "
	    "source 127.0.0.51 is penalised for ", 5000));
	/* Nobody else pays for it. */
	other = tc_session_from(&d, "127.0.0.52");
	close(other);
	/* Admitted again once less than penalty_min is left. */
	for (;;) {
		fd = tc_connect_from("127.0.0.51", d.host, d.port);
		s = tc_read_until(fd, "\r\n", 10000);
		cr_assert_not_null(s);
		tries++;
		if (strncmp(s, BANNER, strlen(BANNER)) == 0) {
			free(s);
			break;
		}
		free(s);
		close(fd);
		cr_assert_lt(hd_now_ms() - t0, 8000, "still refused after 8s");
		usleep(250000);
	}
	took = hd_now_ms() - t0;
	close(fd);
	cr_assert_gt(took, 1000, "admitted after %lld ms", took);
	cr_assert_gt(tries, 1);
	/* 127.0.0.1 is exempt: its crash costs nothing. */
	lo = tc_session_from(&d, "127.0.0.1");
	tc_send(lo, "!test crash\r\n");
	free(tc_read_all(lo, 10000, NULL));
	close(lo);
	cr_assert(hd_wait_log(&d, "source 127.0.0.1 is in source_exempt: no "
	    "penalty", 10000));
	lo = tc_session_from(&d, "127.0.0.1");
	close(lo);
	metrics(&p);
	cr_assert_eq(metric(&p, "iridium_admission_offences_total",
	    "offence=\"crash\""), 2);
	cr_assert_geq(metric(&p, "iridium_admission_refused_total",
	    "limit=\"penalty\""), 1);
	cr_assert_eq(metric(&p, "iridium_pool_exits_total",
	    "kind=\"crashed\",listener=\"line\""), 2);
	prom_free(&p);
}

Test(admission, a_protocol_violation_and_a_sandbox_kill_are_offences_too)
{
	int	 fd;

	hd_start_conf(&d, "[limits]\n", "iridium-worker-test");
	fd = tc_session_from(&d, "127.0.0.56");
	tc_send(fd, "!test malformed\r\n");
	free(tc_read_all(fd, 10000, NULL));
	close(fd);
	cr_assert(hd_wait_log(&d, "its worker broke the protocol; source "
	    "127.0.0.56 penalised (protocol): refused for the next 90s",
	    10000));
	refused_from("127.0.0.56", "Connections from your address are refused "
	    "for 90 more seconds after earlier failures.\r\n");
	fd = tc_session_from(&d, "127.0.0.57");
	tc_send(fd, "!test execve\r\n");
	free(tc_read_all(fd, 10000, NULL));
	close(fd);
	cr_assert(hd_wait_log(&d, "sandbox violation", 10000));
	cr_assert(hd_wait_log(&d, "its worker broke the sandbox; source "
	    "127.0.0.57 penalised (sandbox): refused for the next 300s",
	    10000));
	refused_from("127.0.0.57", "Connections from your address are refused "
	    "for 300 more seconds after earlier failures.\r\n");
	cr_assert_eq(stat_num("admission.offences.protocol"), 1);
	cr_assert_eq(stat_num("admission.offences.sandbox"), 1);
	cr_assert_eq(stat_num("admission.penalised"), 2);
}

Test(admission, a_reload_applies_new_limits_to_new_connections)
{
	char	*out, *err;
	int	 a, b;

	hd_start_conf(&d, "[limits]\nsessions_per_source = 5\n", NULL);
	a = tc_session_from(&d, "127.0.0.71");
	hd_write_conf(&d, "[limits]\nsessions_per_source = 1\n");
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "reload", NULL), 0, "%s",
	    err);
	cr_assert_not_null(strstr(out, "[limits] sessions_per_source: \"5\" "
	    "-> \"1\""), "%s", out);
	free(out);
	free(err);
	/* The open session stays; a second one from there does not come. */
	refused_from("127.0.0.71", "Too many sessions from your address (at "
	    "most 1). Please try again later.\r\n");
	b = tc_session_from(&d, "127.0.0.72");
	close(a);
	close(b);
}

/* --- metrics ------------------------------------------------------------- */

Test(admission, metrics_say_what_happened_and_the_file_is_written_whole)
{
	struct prom	 p;
	struct stat	 st;
	char		 path[320], tmp[330], *out, *err, perr[256], *text;
	int		 fd[2], i;
	FILE		*f;
	size_t		 n;

	hd_start_conf(&d, "[tenant anonymous]\nsessions = 2\n[listener line]\n"
	    "transport = line\nport = 0\n", NULL);
	/*
	 * The client sees EOF before iridiumd reaps the worker, which is
	 * when the tenant's slot is released (and per_tenant stops counting
	 * it): wait for that before each new session, or the third could
	 * meet the cap while the first two are still being reaped.
	 */
	for (i = 0; i < 4; i++) {
		int	 j;

		for (j = 0; i > 0 && j < 200 &&
		    stat_num("sessions.per_tenant.anonymous.active") > 0; j++)
			usleep(50000);
		if (i == 3)
			break;
		fd[0] = tc_session_from(&d, "127.0.0.61");
		tc_send(fd[0], "!quit\r\n");
		free(tc_read_all(fd[0], 10000, NULL));
		close(fd[0]);
	}
	fd[0] = tc_session_from(&d, "127.0.0.62");
	fd[1] = tc_session_from(&d, "127.0.0.63");
	refused_from("127.0.0.64", "Too many sessions for tenant anonymous "
	    "(at most 2). Please try again later.\r\n");
	for (i = 0; i < 100 && stat_num("sessions.completed") < 3; i++)
		usleep(50000);
	snprintf(path, sizeof(path), "%s/iridium.prom", d.confdir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "metrics", "-o", path,
	    NULL), 0, "%s", err);
	cr_assert_str_eq(out, "", "nothing on stdout with -o");
	free(out);
	free(err);
	cr_assert_eq(stat(tmp, &st), -1, "%s left behind", tmp);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0644, "node_exporter must read it");
	text = calloc(1, 1 << 20);
	f = fopen(path, "r");
	n = fread(text, 1, (1 << 20) - 1, f);
	fclose(f);
	text[n] = '\0';
	cr_assert_eq(prom_parse(text, &p, perr, sizeof(perr)), 0, "%s:\n%s",
	    perr, text);
	free(text);
	cr_assert_eq(metric(&p, "iridium_up", ""), 1);
	cr_assert_eq(metric(&p, "iridium_sessions_completed_total", ""), 3);
	cr_assert_eq(metric(&p, "iridium_sessions_rejected_total", ""), 1);
	cr_assert_eq(metric(&p, "iridium_sessions_accepted_total", ""), 6);
	cr_assert_eq(metric(&p, "iridium_sessions_active", ""), 2);
	cr_assert_eq(metric(&p, "iridium_tenant_active",
	    "tenant=\"anonymous\""), 2);
	cr_assert_eq(metric(&p, "iridium_tenant_accepted_total",
	    "tenant=\"anonymous\""), 6);
	cr_assert_eq(metric(&p, "iridium_tenant_refused_total",
	    "tenant=\"anonymous\""), 1);
	cr_assert_eq(metric(&p, "iridium_tenant_max_sessions",
	    "tenant=\"anonymous\""), 2);
	cr_assert_eq(metric(&p, "iridium_pool_busy", "listener=\"line\""), 2);
	cr_assert_eq(metric(&p, "iridium_pool_exits_total",
	    "kind=\"normal\",listener=\"line\""), 3);
	cr_assert_eq(metric(&p, "iridium_listener_info",
	    "listener=\"line\",transport=\"line\""), 1);
	prom_free(&p);
	/* With --sessions, one series per live session. */
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "metrics", "--sessions",
	    NULL), 0, "%s", err);
	cr_assert_eq(prom_parse(out, &p, perr, sizeof(perr)), 0, "%s", perr);
	cr_assert_eq(prom_count(&p, "iridium_session_bytes_in_total"), 2);
	prom_free(&p);
	free(out);
	free(err);
	close(fd[0]);
	close(fd[1]);
	/* iridiumd gone: the file says so instead of going stale. */
	cr_assert_eq(hd_stop(&d, SIGTERM, 20000), 0);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "metrics", "-o", path,
	    NULL), 1);
	cr_assert_not_null(strstr(err, "cannot reach iridiumd"), "%s", err);
	free(out);
	free(err);
	f = fopen(path, "r");
	text = calloc(1, 4096);
	n = fread(text, 1, 4095, f);
	fclose(f);
	text[n] = '\0';
	cr_assert_eq(prom_parse(text, &p, perr, sizeof(perr)), 0, "%s", perr);
	cr_assert_eq(metric(&p, "iridium_up", ""), 0);
	prom_free(&p);
	free(text);
}

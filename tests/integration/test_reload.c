/*
 * test_reload.c: re-reading the configuration of a running iridiumd
 * (SIGHUP and iridiumctl reload): new sessions get the new settings,
 * open ones keep theirs, idle workers of the old generation are replaced,
 * listeners come and go, and a bad file changes nothing.
 */
#include <criterion/criterion.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"

#define PROMPT	">>> "

static struct hd	 d;

TestSuite(reload, .fini = hd_fini, .timeout = 60);

static long long
inum(json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

static int
session_on(int port)
{
	int	 fd = tc_connect("127.0.0.1", port);
	char	*s;

	cr_assert_geq(fd, 0, "connect to %d", port);
	s = tc_read_until(fd, PROMPT, 10000);
	cr_assert_not_null(s);
	free(s);
	return fd;
}

/* A line of n bytes the REPL takes: an instruction and a comment. */
static char *
long_line(size_t n)
{
	char	*s = malloc(n + 1);

	memset(s, 'x', n);
	memcpy(s, "load $1 #7 ; ", 13);
	s[n] = '\0';
	return s;
}

/* Every idle worker is of generation gen (polls a while). */
static void
wait_idle_generation(long long gen)
{
	json_t	*st, *w;
	size_t	 i;
	int	 tries, old, idle;

	for (tries = 0; tries < 100; tries++) {
		st = hd_status(&d);
		old = idle = 0;
		json_array_foreach(json_object_get(st, "workers"), i, w) {
			if (strcmp(json_string_value(json_object_get(w,
			    "state")), "idle") != 0)
				continue;
			idle++;
			if (inum(w, "generation") != gen)
				old++;
		}
		json_decref(st);
		if (idle > 0 && old == 0)
			return;
		usleep(100000);
	}
	cr_assert_fail("idle workers of another generation than %lld remain",
	    gen);
}

Test(reload, hup_applies_a_new_limit_to_new_sessions_only)
{
	char	*line, *s;
	int	 before, after;
	json_t	*st, *w;
	size_t	 i;
	int	 busy_old = 0;

	hd_start_conf(&d, "[listener line]\ntransport = line\nport = 0\n"
	    "min_spare = 2\n[limits]\nline_max = 4096\n", NULL);
	before = session_on(d.port);
	wait_idle_generation(1);
	hd_write_conf(&d, "[listener line]\ntransport = line\nport = 0\n"
	    "min_spare = 2\n[limits]\nline_max = 100\n");
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait_log(&d, "reloaded ", 10000));
	cr_assert(hd_wait_log(&d, "reload: [limits] line_max: \"4096\" -> "
	    "\"100\"", 1000));
	wait_idle_generation(2);

	line = long_line(200);
	/* The session open across the HUP keeps its 4096. */
	s = tc_cmd(before, line);
	cr_assert_not_null(s);
	cr_assert_null(strstr(s, "line too long"), "%s", s);
	free(s);
	/* A new one gets 100. */
	after = session_on(d.port);
	s = tc_cmd(after, line);
	cr_assert_not_null(s);
	cr_assert_not_null(strstr(s, "error: line too long (limit 100 "
	    "bytes)"), "%s", s);
	free(s);
	free(line);

	st = hd_status(&d);
	cr_assert_eq(inum(json_object_get(st, "daemon"), "generation"), 2);
	cr_assert_eq(inum(json_object_get(st, "daemon"), "reloads"), 1);
	json_array_foreach(json_object_get(st, "workers"), i, w)
		if (strcmp(json_string_value(json_object_get(w, "state")),
		    "busy") == 0 && inum(w, "generation") == 1)
			busy_old++;
	cr_assert_eq(busy_old, 1, "the old session's worker is untouched");
	json_decref(st);
	close(before);
	close(after);
}

Test(reload, a_bad_config_changes_nothing)
{
	char	*out, *err, *s, want[512];
	int	 fd;
	json_t	*st;

	hd_start_conf(&d, "[listener line]\ntransport = line\nport = 0\n",
	    NULL);
	hd_write_conf(&d, "[listener line]\ntransport = line\nport = 0\n"
	    "max_workers = many\n");
	kill(d.pid, SIGHUP);
	snprintf(want, sizeof(want), "%s/iridiumd.conf:4: [listener line] "
	    "max_workers: \"many\" is not a number", d.confdir);
	cr_assert(hd_wait_log(&d, want, 10000), "%s", d.log);
	cr_assert(hd_wait_log(&d, "reload failed: 1 error; still running "
	    "configuration generation 1", 5000));
	fd = session_on(d.port);
	s = tc_cmd(fd, "load $1 #1");
	cr_assert_not_null(s, "still serving");
	free(s);
	close(fd);
	/* iridiumctl reload says the same, and exits 1. */
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "reload", NULL), 1);
	cr_assert_not_null(strstr(err, "iridiumctl: reload failed: 1 error in "
	    ), "%s", err);
	cr_assert_not_null(strstr(err, want), "%s", err);
	free(out);
	free(err);
	st = hd_status(&d);
	cr_assert_eq(inum(json_object_get(st, "daemon"), "generation"), 1);
	cr_assert_eq(inum(json_object_get(st, "daemon"), "reload_failures"),
	    2);
	json_decref(st);
}

static json_t *
listener(json_t *st, const char *name)
{
	json_t	*l;
	size_t	 i;

	json_array_foreach(json_object_get(json_object_get(st, "daemon"),
	    "listeners"), i, l)
		if (strcmp(json_string_value(json_object_get(l, "name")),
		    name) == 0)
			return l;
	return NULL;
}

Test(reload, listeners_come_and_go)
{
	char	*out, *err, *s;
	int	 pa, pb, a, b, tries;
	json_t	*st, *se;

	hd_start_conf(&d, "[listener a]\ntransport = line\nport = 0\n",
	    NULL);
	pa = d.port;
	a = session_on(pa);

	/* Add b. */
	hd_write_conf(&d, "[listener a]\ntransport = line\nport = 0\n"
	    "[listener b]\ntransport = line\nport = 0\nmin_spare = 3\n"
	    "max_spare = 3\n");
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "reload", NULL), 0, "%s",
	    err);
	cr_assert_not_null(strstr(out, "reloaded: configuration generation "
	    "2\n"), "%s", out);
	cr_assert_not_null(strstr(out, "  [listener b] added\n"), "%s", out);
	free(out);
	free(err);
	pb = hd_listener_port(&d, "b");
	cr_assert_gt(pb, 0);
	b = session_on(pb);

	/* Remove a, with a session open on it. */
	hd_write_conf(&d, "[listener b]\ntransport = line\nport = 0\n"
	    "min_spare = 3\nmax_spare = 3\n");
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "reload", NULL), 0, "%s",
	    err);
	cr_assert_not_null(strstr(out, "[listener a] removed"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(tc_connect("127.0.0.1", pa), -1, "a stopped accepting");
	s = tc_cmd(a, "load $2 #2");
	cr_assert_not_null(s, "a's open session goes on");
	free(s);
	st = hd_status(&d);
	cr_assert_str_eq(json_string_value(json_object_get(listener(st, "a"),
	    "state")), "draining");
	cr_assert_str_eq(json_string_value(json_object_get(listener(st, "b"),
	    "state")), "accepting");
	json_decref(st);
	/* It ends: a is gone, and the totals still add up. */
	tc_send(a, "!quit\r\n");
	free(tc_read_all(a, 10000, NULL));
	close(a);
	for (tries = 0; tries < 50; tries++) {
		st = hd_status(&d);
		if (listener(st, "a") == NULL)
			break;
		json_decref(st);
		st = NULL;
		usleep(200000);
	}
	cr_assert_not_null(st, "listener a never drained");
	cr_assert(hd_wait_log(&d, "listener a: drained", 1000));
	se = json_object_get(st, "sessions");
	cr_assert_eq(inum(se, "accepted"), 2);
	cr_assert_eq(inum(se, "completed"), 1);
	cr_assert_eq(inum(se, "active"), 1);
	cr_assert_eq(inum(se, "accepted"), inum(se, "completed") +
	    inum(se, "rejected") + inum(se, "failed") + inum(se, "active"));
	json_decref(st);
	s = tc_cmd(b, "load $2 #2");
	cr_assert_not_null(s);
	free(s);
	close(b);
}

Test(reload, without_a_file_there_is_nothing_to_reload)
{
	char	*out, *err;

	cr_assert_eq(hd_start(&d, NULL), 0);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "reload", NULL), 1);
	cr_assert_str_eq(err, "iridiumctl: iridiumd was started without a "
	    "configuration file (-f): nothing to reload\n");
	free(out);
	free(err);
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait_log(&d, "SIGHUP: no configuration file (-f) to "
	    "reload", 5000));
}

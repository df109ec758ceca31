/*
 * test_audit.c: the audit log with the real iridiumd, its workers, the
 * OpenSSH client and iridiumctl. Each event is one JSON line: a line
 * session's start and end, an ssh login refused and one accepted (with
 * its key's fingerprint and its recording), iridiumctl kill, reload and
 * upgrade (and SIGUSR2)
 * with the caller's uid; a logrotate-style rename and SIGUSR1 lose no
 * line and split none.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "sshc.h"

#define T		20000

static struct hd	 d;
static char		 dir[256];
static struct sshc_opts	 so;

static void
setup(void)
{
	hd_tmpdir(dir, sizeof(dir), "audit");
	sshc_keys(dir, "dev other");
	so.dir = dir;
}

TestSuite(audit, .init = setup, .fini = hd_fini, .timeout = 90);

static void
start(void)
{
	char	 text[1024];

	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\naudit_log = audit.log\n"
	    "[pool]\nmin_spare = 1\n"
	    "[listener line]\ntransport = line\nport = 0\nrecord = output\n"
	    "[listener ssh]\ntransport = ssh\nport = 0\nrecord = all\n"
	    "[tenant dev]\nauthorized_keys = %s/dev.keys\n", dir, dir);
	sshc_daemon(&d, &so, text, NULL);
	so.port = hd_listener_port(&d, "ssh");
	d.port = hd_listener_port(&d, "line");
	sshc_trust(&so, SSHC_HOSTKEY, NULL, 0);
}

/* Every line of file, parsed (each must be one JSON object). */
static json_t *
lines_of(const char *name)
{
	char	 path[512], *text, *line, *save = NULL;
	FILE	*f;
	long	 n;
	json_t	*a = json_array(), *o;
	json_error_t je;

	snprintf(path, sizeof(path), "%s/state/%s", dir, name);
	cr_assert_not_null(f = fopen(path, "r"), "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	cr_assert(n == 0 || text[n - 1] == '\n', "%s: a line cut short",
	    path);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		o = json_loads(line, JSON_REJECT_DUPLICATES, &je);
		cr_assert(json_is_object(o), "%s: not a JSON object (%s): %s",
		    path, je.text, line);
		cr_assert(json_is_string(json_object_get(o, "time")) &&
		    json_is_string(json_object_get(o, "event")), "%s: %s",
		    path, line);
		json_array_append_new(a, o);
	}
	free(text);
	return a;
}

/* The events named event in a, in order. */
static int
count(json_t *a, const char *event)
{
	size_t	 i;
	json_t	*o;
	int	 n = 0;

	json_array_foreach(a, i, o)
		if (strcmp(json_string_value(json_object_get(o, "event")),
		    event) == 0)
			n++;
	return n;
}

static json_t *
nth(json_t *a, const char *event, int k)
{
	size_t	 i;
	json_t	*o;

	json_array_foreach(a, i, o)
		if (strcmp(json_string_value(json_object_get(o, "event")),
		    event) == 0 && k-- == 0)
			return o;
	cr_assert_fail("no %s event", event);
	return NULL;
}

static const char *
str(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	cr_assert_not_null(s, "no string %s", key);
	return s;
}

/* Wait until the log has n lines of event. */
static json_t *
wait_for(const char *file, const char *event, int n)
{
	long long	 end = hd_now_ms() + T;
	json_t		*a;

	for (;;) {
		a = lines_of(file);
		if (count(a, event) >= n || hd_now_ms() > end)
			return a;
		json_decref(a);
		usleep(50000);
	}
}

/* n line sessions, one after another, each just !quit. */
static void
quits(int n)
{
	int	 fd;

	while (n-- > 0) {
		fd = tc_session(&d);
		cr_assert_geq(fd, 0);
		tc_send(fd, "!quit\n");
		free(tc_read_all(fd, T, NULL));
		close(fd);
	}
}

Test(audit, sessions_logins_kill_and_reload_each_make_one_line)
{
	struct sshc	 c;
	char		*out, *err, uid[16];
	json_t		*a, *o;
	int		 fd;

	start();
	/* A line session, start to end. */
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	free(tc_cmd(fd, "load $1 #1"));
	tc_send(fd, "!quit\n");
	free(tc_read_all(fd, T, NULL));
	close(fd);
	/* An ssh login refused, then one accepted. */
	sshc_ssh(&c, &so, "other", "dev", "load $1 #1", NULL);
	cr_expect_eq(c.status, 255, "the other key logged in: %s", c.e.data);
	sshc_free(&c);
	/* Accepted, its command refused: exit status 1, as ssh says. */
	sshc_ssh(&c, &so, "dev", "dev", "!nope", NULL);
	cr_expect_eq(c.status, 1, "%s", c.e.data);
	sshc_free(&c);
	/* iridiumctl kill of a live line session, and a reload. */
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	a = wait_for("audit.log", "session_start", 3);
	o = nth(a, "session_start", 2);
	snprintf(uid, sizeof(uid), "%lld", (long long)json_integer_value(
	    json_object_get(o, "session")));
	json_decref(a);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "kill", uid, NULL), 0,
	    "kill: %s", err);
	free(out);
	free(err);
	free(tc_read_all(fd, T, NULL));
	close(fd);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "reload", NULL), 0,
	    "reload: %s", err);
	free(out);
	free(err);

	a = wait_for("audit.log", "session_end", 3);
	cr_expect_eq(count(a, "session_start"), 3);
	cr_expect_eq(count(a, "session_end"), 3);
	cr_expect_eq(count(a, "login_failed"), 1);
	cr_expect_eq(count(a, "kill"), 1);
	cr_expect_eq(count(a, "reload"), 1);
	/* The line session: its tenant, peer, recording, why it ended. */
	o = nth(a, "session_start", 0);
	cr_expect_str_eq(str(o, "tenant"), "anonymous");
	cr_expect_str_eq(str(o, "transport"), "line");
	cr_expect_not_null(strstr(str(o, "peer"), "127.0.0.1:"));
	cr_expect_not_null(strstr(str(o, "recording"), "anonymous/"));
	o = nth(a, "session_end", 0);
	cr_expect_str_eq(str(o, "reason"), "quit");
	/* A line session has no exit status; the ssh one's is its client's. */
	cr_expect(json_is_null(json_object_get(o, "exit_status")));
	cr_expect_eq(json_integer_value(json_object_get(nth(a, "session_end",
	    1), "exit_status")), 1);
	cr_expect(json_is_integer(json_object_get(nth(a, "session_end", 1),
	    "exit_status")));
	cr_expect(json_is_integer(json_object_get(o, "duration_ms")) &&
	    json_is_integer(json_object_get(o, "bytes_out")) &&
	    json_integer_value(json_object_get(o, "bytes_out")) > 0);
	/* The refused key, and the accepted one's fingerprint. */
	o = nth(a, "login_failed", 0);
	cr_expect_str_eq(str(o, "user"), "dev");
	cr_expect_str_eq(str(o, "method"), "publickey");
	cr_expect_str_eq(str(o, "fingerprint"),
	    sshc_fingerprint(&so, "other.pub"));
	o = nth(a, "session_start", 1);
	cr_expect_str_eq(str(o, "tenant"), "dev");
	cr_expect_str_eq(str(o, "transport"), "ssh");
	cr_expect_str_eq(str(o, "fingerprint"),
	    sshc_fingerprint(&so, "dev.pub"));
	cr_expect_not_null(strstr(str(o, "recording"), "dev/"));
	/* The admin's uid, as the control socket saw it. */
	o = nth(a, "kill", 0);
	cr_expect_eq(json_integer_value(json_object_get(o, "uid")),
	    (json_int_t)getuid());
	cr_expect_str_eq(str(o, "tenant"), "anonymous");
	o = nth(a, "reload", 0);
	cr_expect_eq(json_integer_value(json_object_get(o, "uid")),
	    (json_int_t)getuid());
	cr_expect(json_is_true(json_object_get(o, "ok")));
	o = nth(a, "session_end", 2);
	cr_expect_str_eq(str(o, "reason"), "shutdown");
	json_decref(a);
}

/*
 * iridiumctl upgrade and SIGUSR2 each make one line, with who asked: the
 * caller's uid, or the signal's sender; the session moved stays one
 * session in the log.
 */
Test(audit, upgrade_and_sigusr2_each_make_one_line)
{
	json_t	*a, *o;
	char	*out;
	int	 fd;

	start();
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	free(tc_cmd(fd, "load $1 #1"));
	cr_assert_eq(hd_ctl(&d, NULL, NULL, NULL, "upgrade", NULL), 0);
	cr_assert(hd_wait_log(&d, "upgrade to generation 2 done", T));
	free(tc_read_until(fd, "goes on.\r\n>>> ", T));
	cr_assert_eq(kill(d.pid, SIGUSR2), 0);
	cr_assert(hd_wait_log(&d, "upgrade to generation 3 done", T));
	free(tc_read_until(fd, "goes on.\r\n>>> ", T));
	cr_log_info("CASE: iridiumctl upgrade, then SIGUSR2, a line session "
	    "moved by each");
	/* Still the same session, in its third worker. */
	out = tc_cmd(fd, "!registers");
	cr_assert_not_null(strstr(out, "$1            1"), "%s", out);
	free(out);
	a = wait_for("audit.log", "upgrade", 2);
	cr_expect_eq(count(a, "upgrade"), 2);
	cr_expect_eq(count(a, "session_start"), 1);
	cr_expect_eq(count(a, "session_end"), 0);
	o = nth(a, "upgrade", 0);
	cr_expect_str_eq(str(o, "by"), "iridiumctl");
	cr_expect_eq(json_integer_value(json_object_get(o, "uid")),
	    (json_int_t)getuid());
	cr_expect(json_is_true(json_object_get(o, "ok")));
	cr_expect_eq(json_integer_value(json_object_get(o, "generation")), 2);
	cr_expect_eq(json_integer_value(json_object_get(o, "line_sessions")),
	    1);
	cr_expect_null(json_object_get(o, "pid"));
	o = nth(a, "upgrade", 1);
	cr_expect_str_eq(str(o, "by"), "SIGUSR2");
	cr_expect_eq(json_integer_value(json_object_get(o, "pid")),
	    (json_int_t)getpid());
	cr_expect_eq(json_integer_value(json_object_get(o, "uid")),
	    (json_int_t)getuid());
	cr_expect_eq(json_integer_value(json_object_get(o, "generation")), 3);
	json_decref(a);
	/* Its end, from its third worker: one line. */
	tc_send(fd, "!quit\n");
	free(tc_read_all(fd, T, NULL));
	close(fd);
	a = wait_for("audit.log", "session_end", 1);
	cr_expect_eq(count(a, "session_end"), 1);
	cr_expect_str_eq(str(nth(a, "session_end", 0), "reason"), "quit");
	/* Its recording, named at its start, named at its end. */
	cr_expect_not_null(strstr(str(nth(a, "session_end", 0), "recording"),
	    "anonymous/"));
	cr_expect_str_eq(str(nth(a, "session_end", 0), "recording"),
	    str(nth(a, "session_start", 0), "recording"));
	json_decref(a);
}

Test(audit, a_rename_and_sigusr1_lose_no_line)
{
	char	 from[512], to[512];
	json_t	*a, *b;

	start();
	quits(3);
	json_decref(wait_for("audit.log", "session_end", 3));
	/* logrotate's way: rename, then tell the daemon. */
	snprintf(from, sizeof(from), "%s/state/audit.log", dir);
	snprintf(to, sizeof(to), "%s/state/audit.log.1", dir);
	cr_assert_eq(rename(from, to), 0);
	cr_assert_eq(kill(d.pid, SIGUSR1), 0);
	cr_assert(hd_wait_log(&d, "SIGUSR1: audit log ", T));
	quits(2);
	b = wait_for("audit.log", "session_end", 2);
	a = lines_of("audit.log.1");
	cr_expect_eq(count(a, "session_start"), 3);
	cr_expect_eq(count(a, "session_end"), 3);
	cr_expect_eq(count(b, "session_start"), 2);
	cr_expect_eq(count(b, "session_end"), 2);
	cr_expect_eq(json_array_size(b), 4, "%zu lines after the rotation",
	    json_array_size(b));
	json_decref(a);
	json_decref(b);
}

/*
 * contrib's logrotate example, run by logrotate itself against this
 * daemon: its path and its postrotate command (systemctl, for the real
 * service) point at the test daemon instead; nothing else changes.
 */
Test(audit, the_logrotate_example_rotates_without_a_loss)
{
	char	 conf[512], *src = getenv("IRIDIUM_SRC");
	json_t	*a, *b;

	cr_assert_not_null(src);
	start();
	quits(2);
	json_decref(wait_for("audit.log", "session_end", 2));
	snprintf(conf, sizeof(conf), "%s/logrotate.conf", dir);
	hd_sh("sed -e 's|/var/lib/iridium/audit.log|%s/state/audit.log|' "
	    "-e 's|systemctl kill .*|kill -USR1 %d|' "
	    "%s/contrib/iridium-audit.logrotate > %s && "
	    "grep -q 'kill -USR1 %d' %s && "
	    "logrotate -f -s %s/logrotate.state %s", dir, (int)d.pid, src,
	    conf, (int)d.pid, conf, dir, conf);
	cr_assert(hd_wait_log(&d, "SIGUSR1: audit log ", T));
	quits(1);
	b = wait_for("audit.log", "session_end", 1);
	a = lines_of("audit.log.1");
	cr_expect_eq(count(a, "session_end"), 2);
	cr_expect_eq(count(b, "session_start"), 1);
	cr_expect_eq(count(b, "session_end"), 1);
	json_decref(a);
	json_decref(b);
}

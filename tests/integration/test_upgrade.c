/*
 * test_upgrade.c: iridiumctl upgrade and SIGUSR2 with the real iridiumd,
 * its workers and plain TCP clients. Fifty line sessions, each with a
 * register set and a label defined, some idle and some in the middle of
 * a program's output, go on after an upgrade in new worker processes
 * with the same state, the output neither lost nor doubled, each told in
 * one line; the status totals count each session once. A worker program
 * on disk that cannot start leaves every session in its old worker,
 * working, until a good one is back.
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
#include "repl.h"

#define T		20000
#define NSESSIONS	50
#define NOTICE		"The server was upgraded; your session goes on."
/* The program some sessions run at the upgrade: REPS + 1 lines of X. */
#define REPS		999
#define XLINE		"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

static struct hd	 d;

TestSuite(upgrade, .fini = hd_fini, .timeout = 180);

/* iridiumd with a line listener; worker_path: its line worker (NULL:
 * the build's). */
static void
start(const char *worker_path)
{
	static char	 conf[300];
	char		 dir[256];
	const char	*argv[] = { "-f", conf, "--worker-path", worker_path,
			    NULL };
	/*
	 * One address's limits off (the test's clients all come from one);
	 * output slow enough that a program still prints at the upgrade.
	 */
	const char	*text = "[limits]\nsessions = 0\n"
			    "sessions_per_source = 0\nmax_startups = 0\n"
			    "output_rate = 20000\n"
			    "[pool]\nmin_spare = 4\nmax_workers = 100\n"
			    "[listener line]\ntransport = line\nport = 0\n";

	if (worker_path == NULL) {
		hd_start_conf(&d, text, NULL);
		return;
	}
	hd_tmpdir(dir, sizeof(dir), "cfg");
	snprintf(conf, sizeof(conf), "%s/iridiumd.conf", dir);
	hd_write(conf, text);
	/* The last --worker-path is the one. */
	cr_assert_eq(hd_start(&d, argv), 0, "iridiumd did not start");
}

/* The number after "$N" in !registers' output. */
static long
reg(const char *regs, int n)
{
	char		 name[8];
	const char	*p = regs;
	size_t		 len;

	len = (size_t)snprintf(name, sizeof(name), "$%d ", n);
	while ((p = strstr(p, name)) != NULL) {
		if (p == regs || p[-1] == ' ' || p[-1] == '\n')
			return strtol(p + len, NULL, 10);
		p += len;
	}
	cr_assert_fail("no %s in %s", name, regs);
	return 0;
}

/* How many times needle occurs in s. */
static int
count(const char *s, const char *needle)
{
	int	 n = 0;

	while ((s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

static json_t *
status_when(long long active)
{
	json_t	*st = NULL;

	for (int i = 0; i < 200; i++) {
		cr_assert_not_null(st = hd_status(&d));
		if (hd_json_num(st, "sessions.active") == active)
			return st;
		json_decref(st);
		usleep(50000);
	}
	cr_assert_fail("never %lld active sessions", active);
	return NULL;
}

/* accepted = completed + rejected + failed + active, as status says. */
static void
totals_add_up(long long active, long long completed)
{
	json_t	*st = status_when(active);

	cr_assert_eq(hd_json_num(st, "sessions.accepted"),
	    hd_json_num(st, "sessions.completed") +
	    hd_json_num(st, "sessions.rejected") +
	    hd_json_num(st, "sessions.failed") + active);
	if (completed >= 0)
		cr_assert_eq(hd_json_num(st, "sessions.completed"), completed);
	cr_assert_eq(hd_json_num(st, "sessions.failed"), 0);
	json_decref(st);
}

/* Set a register and a label in session i. */
static void
fill(int fd, int i)
{
	char	 line[64];

	snprintf(line, sizeof(line), "load $1 #%d", 1000 + i);
	free(tc_cmd(fd, line));
	snprintf(line, sizeof(line), "mark%d: inc $1", i);
	free(tc_cmd(fd, line));
}

/* Session i's state is there: its register, its label, its history. */
static void
check_state(int fd, int i)
{
	char	 want[32], *out;

	out = tc_cmd(fd, "!registers");
	cr_assert_eq(reg(out, 1), 1001 + i, "session %d: %s", i, out);
	free(out);
	out = tc_cmd(fd, "!symbols");
	snprintf(want, sizeof(want), "mark%d", i);
	cr_assert_not_null(strstr(out, want), "session %d: %s", i, out);
	free(out);
	out = tc_cmd(fd, "!history");
	snprintf(want, sizeof(want), "load $1 #%d", 1000 + i);
	cr_assert_not_null(strstr(out, want), "session %d: %s", i, out);
	free(out);
}

/*
 * A program that prints REPS + 1 lines of X, slowly (output_rate), then
 * session i's register and label, typed ahead (a new program's labels
 * replace the ones typed before it).
 */
static void
print_slowly(int fd, int i)
{
	char	 line[512];

	snprintf(line, sizeof(line), "!load\r\n.data\r\nx: .asciiz '" XLINE
	    "'\r\n.code\r\ncloop #%d\r\nagain: prts @x\r\nloop @again\r\n"
	    "!end\r\nload $1 #%d\r\nmark%d: inc $1\r\n", REPS, 1000 + i, i);
	tc_send(fd, line);
}

Test(upgrade, fifty_line_sessions_go_on_in_new_workers_with_their_state)
{
	int		 fd[NSESSIONS], port[NSESSIONS], i, busy = 0;
	pid_t		 before[NSESSIONS], after;
	char		*out, *ctl, *rest;

	start(NULL);
	for (i = 0; i < NSESSIONS; i++) {
		fd[i] = tc_session(&d);
		port[i] = tc_local_port(fd[i]);
		if (i % 5 != 0)
			fill(fd[i], i);
		cr_assert_gt(before[i] = hd_worker_for_port(&d, port[i]), 0);
	}
	/* One in five is printing when the upgrade comes. */
	for (i = 0; i < NSESSIONS; i += 5, busy++)
		print_slowly(fd[i], i);
	cr_assert_eq(hd_ctl(&d, NULL, &ctl, NULL, "upgrade", NULL), 0);
	cr_assert_not_null(strstr(ctl, "50 line sessions to move"), "%s", ctl);
	free(ctl);
	cr_assert(hd_wait_log(&d, "upgrade to generation 2 done: 50 line "
	    "sessions moved, 0 stayed", 90000), "the upgrade did not finish");

	for (i = 0; i < NSESSIONS; i++) {
		/* Everything the old worker owed, then the notice, once. */
		out = tc_read_until(fd[i], NOTICE "\r\n" REPL_PROMPT, T);
		cr_assert_not_null(out, "session %d: no notice", i);
		if (i % 5 == 0)
			cr_assert_eq(count(out, XLINE), REPS + 1,
			    "session %d: %d lines of output", i,
			    count(out, XLINE));
		cr_assert_eq(count(out, NOTICE), 1);
		free(out);
		check_state(fd[i], i);
		after = hd_worker_for_port(&d, port[i]);
		cr_assert_gt(after, 0, "session %d: no worker", i);
		cr_assert_neq(after, before[i], "session %d: still in worker "
		    "%d", i, (int)after);
		cr_assert(proc_gone(before[i]), "session %d: its old worker "
		    "%d stayed", i, (int)before[i]);
	}
	cr_assert_eq(hd_ctl(&d, NULL, &ctl, NULL, "status", NULL), 0);
	cr_assert_not_null(strstr(ctl, "; upgrades: 1 (50 line sessions moved, "
	    "0 stayed)\n"), "%s", ctl);
	free(ctl);
	cr_assert_eq(hd_ctl(&d, NULL, &ctl, NULL, "metrics", NULL), 0);
	cr_assert_not_null(strstr(ctl, "\niridium_daemon_upgrade_moves_total "
	    "50\n"), "%s", ctl);
	cr_assert_not_null(strstr(ctl, "\niridium_daemon_upgrade_failures_total"
	    " 0\n"), "%s", ctl);
	free(ctl);
	/* Each session counted once: 50 active, none ended, none failed. */
	totals_add_up(NSESSIONS, 0);
	cr_assert_eq(hd_log_count(&d, "moved from worker"), NSESSIONS);
	for (i = 0; i < NSESSIONS; i++) {
		tc_send(fd[i], "!quit\r\n");
		rest = tc_read_until(fd[i], REPL_FAREWELL, T);
		cr_assert_not_null(rest, "session %d: no farewell", i);
		free(rest);
		close(fd[i]);
	}
	totals_add_up(0, NSESSIONS);
	printf("CASE: %d line sessions (%d printing) moved to new workers\n",
	    NSESSIONS, busy);
}

Test(upgrade, sigusr2_does_the_same)
{
	int	 fd, port;
	pid_t	 before, after;
	char	*out;

	start(NULL);
	fd = tc_session(&d);
	port = tc_local_port(fd);
	fill(fd, 7);
	before = hd_worker_for_port(&d, port);
	cr_assert_eq(kill(d.pid, SIGUSR2), 0);
	cr_assert(hd_wait_log(&d, "SIGUSR2 from pid ", T));
	out = tc_read_until(fd, NOTICE "\r\n" REPL_PROMPT, T);
	cr_assert_not_null(out);
	free(out);
	check_state(fd, 7);
	after = hd_worker_for_port(&d, port);
	cr_assert_neq(after, before);
	close(fd);
}

Test(upgrade, a_worker_program_that_cannot_start_leaves_sessions_where_they_are)
{
	char	 dir[256], path[300], *out;
	int	 fd, port;
	pid_t	 before;

	hd_tmpdir(dir, sizeof(dir), "upgrade");
	snprintf(path, sizeof(path), "%s/iridium-worker", dir);
	hd_sh("chmod 755 %s && cp %s %s", dir, hd_bin("iridium-worker"), path);
	start(path);
	fd = tc_session(&d);
	port = tc_local_port(fd);
	fill(fd, 3);
	before = hd_worker_for_port(&d, port);
	/* The program on disk now fails at once. */
	hd_sh("printf '#!/bin/sh\\nexit 1\\n' > %s.new && chmod 755 %s.new && "
	    "mv %s.new %s", path, path, path, path);
	cr_assert_eq(hd_ctl(&d, NULL, &out, NULL, "upgrade", NULL), 0);
	free(out);
	cr_assert(hd_wait_log(&d, "died before it was ready", T));
	/* The session goes on in its old worker, untouched. */
	check_state(fd, 3);
	cr_assert_eq(hd_worker_for_port(&d, port), before);
	cr_assert_eq(hd_log_count(&d, NOTICE), 0);
	/* A good program back: the upgrade goes on and the session moves. */
	hd_sh("cp %s %s.new && mv %s.new %s", hd_bin("iridium-worker"), path,
	    path, path);
	cr_assert(hd_wait_log(&d, "upgrade to generation 2 done: 1 line "
	    "session moved", 60000));
	out = tc_read_until(fd, NOTICE "\r\n" REPL_PROMPT, T);
	cr_assert_not_null(out);
	free(out);
	check_state(fd, 3);
	cr_assert_neq(hd_worker_for_port(&d, port), before);
	close(fd);
	printf("CASE: a broken worker program on disk: the session stayed "
	    "until a good one came\n");
}

Test(upgrade, a_worker_that_claims_a_takeover_it_was_not_given_is_killed)
{
	int	 fd, port, other;
	pid_t	 pid;
	char	*out;

	hd_start_conf(&d, "[listener line]\ntransport = line\nport = 0\n",
	    "iridium-worker-test");
	other = tc_session(&d);
	fill(other, 1);
	fd = tc_session(&d);
	port = tc_local_port(fd);
	pid = hd_worker_for_port(&d, port);
	tc_send(fd, "!test taken\r\n");
	cr_assert(hd_wait_log(&d, "taken with no takeover", T));
	free(tc_read_all(fd, T, NULL));
	close(fd);
	for (int i = 0; i < 100 && !proc_gone(pid); i++)
		usleep(50000);
	cr_assert(proc_gone(pid));
	/* The other session is untouched, and an upgrade still moves it. */
	cr_assert_eq(hd_ctl(&d, NULL, &out, NULL, "upgrade", NULL), 0);
	free(out);
	out = tc_read_until(other, NOTICE "\r\n" REPL_PROMPT, T);
	cr_assert_not_null(out);
	free(out);
	check_state(other, 1);
	close(other);
}

Test(upgrade, a_move_refused_or_broken_off_leaves_no_half_session)
{
	int	 fd, port, gone;
	pid_t	 pid;
	char	*out;
	json_t	*st;

	hd_start_conf(&d, "[listener line]\ntransport = line\nport = 0\n",
	    "iridium-worker-test");
	/* Its old worker hands over garbage: the taker refuses it. */
	fd = tc_session(&d);
	port = tc_local_port(fd);
	pid = hd_worker_for_port(&d, port);
	fill(fd, 5);
	free(tc_cmd(fd, "!test badstate"));
	cr_assert_eq(hd_ctl(&d, NULL, &out, NULL, "upgrade", NULL), 0);
	free(out);
	cr_assert(hd_wait_log(&d, "upgrade to generation 2 done: 0 line "
	    "sessions moved, 1 stayed in their old worker", 60000));
	cr_assert(hd_log_count(&d, "could not take it over: a moved session "
	    "of version 1, flags 0x0") == 1);
	/* It goes on where it was, untouched, and said nothing. */
	check_state(fd, 5);
	cr_assert_eq(hd_worker_for_port(&d, port), pid);
	cr_assert_eq(hd_log_count(&d, NOTICE), 0);

	/* Its old worker dies at the handover: ended, not half moved. */
	gone = tc_session(&d);
	port = tc_local_port(gone);
	fill(gone, 6);
	free(tc_cmd(gone, "!test dieonmove"));
	pid = hd_worker_for_port(&d, port);
	cr_assert_eq(hd_ctl(&d, NULL, &out, NULL, "upgrade", NULL), 0);
	free(out);
	out = tc_read_all(gone, T, NULL);
	cr_assert_null(strstr(out, NOTICE), "%s", out);
	free(out);
	close(gone);
	for (int i = 0; i < 100 && !proc_gone(pid); i++)
		usleep(50000);
	cr_assert(proc_gone(pid));
	cr_assert(hd_wait_log(&d, "upgrade to generation 3 done", 60000));
	/* The first one, refused again, still goes on where it was. */
	check_state(fd, 5);
	cr_assert_eq(hd_log_count(&d, NOTICE), 0);
	/* Counted once each: one going on, one failed (its worker died). */
	st = status_when(1);
	cr_assert_eq(hd_json_num(st, "sessions.failed"), 1);
	cr_assert_eq(hd_json_num(st, "sessions.accepted"),
	    hd_json_num(st, "sessions.completed") +
	    hd_json_num(st, "sessions.rejected") + 1 + 1);
	json_decref(st);
	close(fd);
	printf("CASE: a move refused by its taker, and an old worker dead at "
	    "the handover\n");
}

/*
 * test_history.c: an ssh tenant's REPL history across its sessions, with
 * the real iridiumd, its ssh workers and OpenSSH's ssh (one-line
 * commands, and a shell on a pty): lines typed in one session are in the
 * next one's !history, the file is the supervisor's (mode 0600, under
 * state_dir/history); never another tenant's; not for line sessions;
 * history_lines = 0 keeps none; !history clear forgets them; a corrupted
 * file (junk, a foreign owner, a symbolic link) is logged and replaced; a
 * hostile worker's oversized or escape-laden history_save kills it as a
 * protocol violation, and a flood of valid ones is bounded; on a slow
 * disk (strace holding the history thread's fsync) logins are served and
 * see the lines not yet written.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "probe.h"
#include "repl.h"
#include "sshc.h"

#define T		20000

static struct hd	 d;
static char		 dir[256];
static struct sshc_opts	 so;

static void
setup(void)
{
	hd_tmpdir(dir, sizeof(dir), "history");
	sshc_keys(dir, "dev ops");
	so.dir = dir;
}

TestSuite(history, .init = setup, .fini = hd_fini, .timeout = 120);

static void
start(const char *limits, const char *worker)
{
	char	 text[2048];

	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\nlog_level = debug\n"
	    "[pool]\nmin_spare = 2\n"
	    "[limits]\n%s\n"
	    "[listener ssh]\ntransport = ssh\nport = 0\n"
	    "[listener line]\ntransport = line\nport = 0\n"
	    "[tenant dev]\nauthorized_keys = %s/dev.keys\n"
	    "[tenant ops]\nauthorized_keys = %s/ops.keys\n",
	    dir, limits != NULL ? limits : "", dir, dir);
	sshc_daemon(&d, &so, text, worker);
	sshc_trust(&so, SSHC_HOSTKEY, NULL, 0);
}

/* Every history write iridiumd queued is done, or replaced by a newer. */
static bool
writes_done(void)
{
	return hd_log_count(&d, ": write queued (") <= hd_log_count(&d,
	    ": write done") + hd_log_count(&d, ": write replaced");
}

/* `ssh key@host line`: its stdout (malloc'd), asserting exit status 0. */
static char *
one(const char *key, const char *line)
{
	struct sshc	 c;
	char		*out;
	int		 n = hd_log_count(&d, ": ended (");
	long long	 t0 = hd_now_ms();

	sshc_ssh(&c, &so, key, key, line, "");
	cr_assert_eq(c.status, 0, "%s: exit %d: %s %s", line, c.status,
	    c.o.data, c.e.data);
	/* Its history_save came before its session_end. */
	while (hd_log_count(&d, ": ended (") == n && hd_now_ms() - t0 < T)
		usleep(10000);
	/* iridiumd writes it beside its loop: until every write is done. */
	while (!writes_done() && hd_now_ms() - t0 < T)
		usleep(10000);
	out = strdup(c.o.data != NULL ? c.o.data : "");
	sshc_free(&c);
	return out;
}

static void
has(const char *s, const char *want)
{
	cr_assert_not_null(strstr(s, want), "no \"%s\" in:\n%s", want, s);
}

static void
lacks(const char *s, const char *want)
{
	cr_assert_null(strstr(s, want), "\"%s\" in:\n%s", want, s);
}

static void
file_is_private(const char *tenant)
{
	char		 path[512];
	struct stat	 st;

	snprintf(path, sizeof(path), "%s/state/history/%s", dir, tenant);
	cr_assert_eq(lstat(path, &st), 0, "no %s", path);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq(st.st_mode & 07777, 0600, "%s: mode %o", path,
	    (unsigned)(st.st_mode & 07777));
	cr_assert_eq(st.st_uid, geteuid());
	snprintf(path, sizeof(path), "%s/state/history", dir);
	cr_assert_eq(lstat(path, &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700, "%s: mode %o", path,
	    (unsigned)(st.st_mode & 07777));
}

Test(history, lines_of_one_session_are_in_the_next_and_only_the_tenants)
{
	char	*s;

	start(NULL, NULL);
	free(one("dev", "load $1 #7"));
	free(one("dev", "!registers $1"));
	s = one("dev", "!history");
	cr_assert_str_eq(s, "    1  load $1 #7\n    2  !registers $1\n"
	    "    3  !history\n");
	free(s);
	file_is_private("dev");
	/* A line repeated is kept once, as a shell's history does. */
	free(one("dev", "!history"));
	s = one("dev", "!history");
	cr_assert_str_eq(s, "    1  load $1 #7\n    2  !registers $1\n"
	    "    3  !history\n    4  !history\n");
	free(s);
	s = one("dev", "!history");
	cr_assert_str_eq(s, "    1  load $1 #7\n    2  !registers $1\n"
	    "    3  !history\n    4  !history\n");
	free(s);
	/* Another tenant has its own. */
	s = one("ops", "!history");
	cr_assert_str_eq(s, "    1  !history\n");
	free(s);
	cr_assert(hd_wait_log(&d, "made the history directory", T));
}

/* `ssh -tt dev [cmd]`, at its first prompt. */
static void
shell(struct sshc *c, size_t *seen, const char *cmd)
{
	const char	*opts[] = { "-tt", NULL };

	sshc_start(c, sshc_argv(&so, "dev", "dev", opts, cmd), NULL, 0, true,
	    true);
	sshc_expect(c, seen, REPL_PROMPT, T);
}

/* On a pty, typed lines: they come back after a reconnect. */
Test(history, a_shell_on_a_pty_gets_its_earlier_lines)
{
	struct sshc	 a, b;
	struct sshc	*cs[1];
	size_t		 sa = 0, sb = 0;

	start(NULL, NULL);
	shell(&a, &sa, NULL);
	sshc_type(&a, "load $3 #33\r");
	sshc_expect(&a, &sa, REPL_PROMPT, T);
	sshc_type(&a, "!quit\r");
	cs[0] = &a;
	sshc_finish(cs, 1, T);
	cr_assert_eq(a.status, 0);
	shell(&b, &sb, NULL);
	sshc_type(&b, "!history\r");
	sshc_expect(&b, &sb, "    1  load $3 #33\r\n    2  !quit\r\n"
	    "    3  !history\r\n" REPL_PROMPT, T);
	sshc_type(&b, "!quit\r");
	cs[0] = &b;
	sshc_finish(cs, 1, T);
	sshc_free(&a);
	sshc_free(&b);
}

/*
 * A session that detached gave its lines back then; the one that resumes
 * it adds only those typed after the resume (and its own before it).
 */
Test(history, a_resumed_session_adds_each_line_once)
{
	struct sshc	 a, b;
	struct sshc	*cs[1];
	size_t		 sa = 0, sb = 0;
	char		*s, *p;

	start(NULL, NULL);
	shell(&a, &sa, NULL);
	sshc_type(&a, "load $6 #6\r");
	sshc_expect(&a, &sa, REPL_PROMPT, T);
	cr_assert_eq(kill(a.pid, SIGKILL), 0);
	cs[0] = &a;
	sshc_finish(cs, 1, T);
	cr_assert(hd_wait_log(&d, "detached", T));
	shell(&b, &sb, "resume");
	sshc_type(&b, "load $7 #7\r");
	sshc_expect(&b, &sb, REPL_PROMPT, T);
	sshc_type(&b, "!quit\r");
	cs[0] = &b;
	sshc_finish(cs, 1, T);
	cr_assert(hd_wait_log(&d, "ended (quit)", T));
	s = one("dev", "!history");
	has(s, "load $6 #6\n");
	has(s, "load $7 #7\n");
	p = strstr(s, "load $6 #6");
	lacks(p + 1, "load $6 #6");
	free(s);
	sshc_free(&a);
	sshc_free(&b);
}

Test(history, clear_forgets_the_stored_lines)
{
	struct sshc	 c;
	char		*s;

	start(NULL, NULL);
	free(one("dev", "load $1 #1"));
	s = one("dev", "!history clear");
	cr_assert_str_eq(s, "history cleared\n");
	free(s);
	s = one("dev", "!history");
	cr_assert_str_eq(s, "    1  !history\n");
	free(s);
	sshc_ssh(&c, &so, "dev", "dev", "!history nonsense", "");
	cr_assert_eq(c.status, 1);
	has(c.o.data, "error: !history takes no argument but clear, got "
	    "nonsense");
	sshc_free(&c);
}

Test(history, history_lines_bounds_and_zero_keeps_none)
{
	char	*s, path[512];

	start("history_lines = 2", NULL);
	free(one("dev", "load $1 #1"));
	free(one("dev", "load $2 #2"));
	free(one("dev", "load $3 #3"));
	s = one("dev", "!history");
	cr_assert_str_eq(s, "    1  load $2 #2\n    2  load $3 #3\n"
	    "    3  !history\n");
	free(s);
	hd_cleanup(&d);
	snprintf(path, sizeof(path), "%s/state/history", dir);
	hd_rmtree(path);
	start("history_lines = 0", NULL);
	free(one("dev", "load $1 #1"));
	s = one("dev", "!history");
	cr_assert_str_eq(s, "    1  !history\n");
	free(s);
	cr_assert_neq(access(path, F_OK), 0, "%s made with history_lines 0",
	    path);
}

Test(history, line_sessions_keep_theirs_for_the_session_only)
{
	int	 fd, port;
	char	*s;

	start(NULL, NULL);
	port = hd_listener_port(&d, "line");
	cr_assert_gt(port, 0);
	cr_assert_geq(fd = tc_connect("127.0.0.1", port), 0);
	free(tc_read_until(fd, REPL_PROMPT, T));
	free(tc_cmd(fd, "load $4 #4"));
	s = tc_cmd(fd, "!history");
	has(s, "    1  load $4 #4\r\n    2  !history\r\n");
	free(s);
	close(fd);
	cr_assert_geq(fd = tc_connect("127.0.0.1", port), 0);
	free(tc_read_until(fd, REPL_PROMPT, T));
	s = tc_cmd(fd, "!history");
	has(s, "    1  !history\r\n");
	lacks(s, "load $4");
	free(s);
	close(fd);
	/* Nor do they reach a tenant's file: anonymous has none. */
	s = one("dev", "!history");
	lacks(s, "load $4");
	free(s);
}

/*
 * A slow disk under the histories, made to order: strace holds each fsync
 * of iridiumd's history thread for 5 s. A session's lines wait for the
 * disk, yet a line session is served meanwhile, and the tenant's next
 * login has those lines before the file does.
 */
Test(history, a_slow_disk_holds_up_no_login_and_loses_no_line)
{
	struct sshc	 c;
	char		*s, path[512];
	pid_t		 tid, st;
	int		 fd, queued;

	start(NULL, NULL);
	free(one("dev", "load $1 #1"));
	/* The thread is born with the first write. */
	tid = proc_thread_named(d.pid, "iridiumd-sync");
	cr_assert_gt(tid, 0, "iridiumd %d has no thread iridiumd-sync",
	    (int)d.pid);
	if ((st = proc_strace_delay(tid, "fsync", 5000000)) == -1) {
		probe_ci_requires("strace cannot trace iridiumd's thread %d "
		    "here (ptrace_scope, or not root)", (int)tid);
		return;
	}
	probe_case("strace holds each fsync of thread %d (iridiumd-sync) "
	    "for 5 s", (int)tid);
	queued = hd_log_count(&d, ": write queued (");
	sshc_ssh(&c, &so, "dev", "dev", "load $2 #22", "");
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	sshc_free(&c);
	while (hd_log_count(&d, ": write queued (") == queued)
		usleep(10000);
	/* Its write waits for the disk; iridiumd does not. */
	fd = tc_connect("127.0.0.1", hd_listener_port(&d, "line"));
	cr_assert_geq(fd, 0);
	s = tc_read_until(fd, ">>> ", T);
	cr_assert_not_null(s, "a line session was not served");
	free(s);
	s = tc_cmd(fd, "load $3 #3");
	cr_assert_not_null(s);
	free(s);
	close(fd);
	sshc_ssh(&c, &so, "dev", "dev", "!history", "");
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	has(c.o.data, "load $2 #22\n");
	sshc_free(&c);
	/*
	 * That login's save waits behind the first write; the next one
	 * replaces it (each is the whole file), so one fsync less.
	 */
	sshc_ssh(&c, &so, "dev", "dev", "load $4 #4", "");
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	sshc_free(&c);
	cr_assert(hd_wait_log(&d, "history: dev: write replaced by a newer "
	    "one", T));
	/* All that while, the first write had not reached the disk. */
	cr_assert_eq(hd_log_count(&d, ": write done"), 1, "the write was "
	    "done already: the check proves nothing");
	{
		json_t	*js = hd_status(&d);

		cr_assert_not_null(js);
		cr_expect_eq(hd_json_num(js, "daemon.file_jobs_waiting"), 2,
		    "the write under way and the one that replaced another");
		json_decref(js);
	}
	proc_strace_end(st);
	while (!writes_done())
		usleep(10000);
	snprintf(path, sizeof(path), "%s/state/history/dev", dir);
	hd_sh("grep -qx 'load \\$2 #22' %s && grep -qx '!history' %s && "
	    "grep -qx 'load \\$4 #4' %s", path, path, path);
	file_is_private("dev");
}

Test(history, a_corrupted_file_is_reported_and_replaced)
{
	json_t	*st;
	char	*s, path[512];

	start(NULL, NULL);
	free(one("dev", "load $1 #1"));
	snprintf(path, sizeof(path), "%s/state/history/dev", dir);
	/* Binary junk. */
	hd_sh("head -c 3000 /dev/urandom > %s && printf '\\001\\n' >> %s",
	    path, path);
	s = one("dev", "!history");
	cr_assert_str_eq(s, "    1  !history\n");
	free(s);
	cr_assert(hd_wait_log(&d, "state/history/dev: line ", T));
	cr_assert(hd_wait_log(&d, "replaced by an empty history", T));
	file_is_private("dev");
	/* An overlong line. */
	hd_sh("head -c 5000 /dev/zero | tr '\\0' x > %s && echo >> %s", path,
	    path);
	s = one("dev", "!history");
	cr_assert_str_eq(s, "    1  !history\n");
	free(s);
	cr_assert(hd_wait_log(&d, "line 1 is 5000 bytes", T));
	/* Another owner. */
	hd_sh("printf 'load $5 #5\\n' > %s && chown 12345 %s", path, path);
	s = one("dev", "!history");
	cr_assert_str_eq(s, "    1  !history\n");
	free(s);
	cr_assert(hd_wait_log(&d, "owned by uid 12345", T));
	file_is_private("dev");
	/* A symbolic link: never followed, its target untouched. */
	hd_sh("printf 'secret\\n' > %s/target && chmod 600 %s/target && "
	    "rm -f %s && ln -s %s/target %s", dir, dir, path, dir, path);
	s = one("dev", "!history");
	cr_assert_str_eq(s, "    1  !history\n");
	free(s);
	cr_assert(hd_wait_log(&d, "a symbolic link", T));
	file_is_private("dev");
	hd_sh("grep -qx secret %s/target", dir);
	/* The daemon goes on. */
	cr_assert_not_null(st = hd_status(&d));
	json_decref(st);
}

/* A hostile worker's `history_save`. */
static void
hostile(const char *hook, bool killed)
{
	struct sshc	 c;
	char		 line[64];

	snprintf(line, sizeof(line), "!test %s", hook);
	sshc_ssh(&c, &so, "dev", "dev", line, "");
	if (killed) {
		cr_assert(hd_wait_log(&d, "(protocol violation): killing it",
		    T), "%s", hook);
	} else
		cr_assert_eq(c.status, 0, "%s: %s", hook, c.e.data);
	sshc_free(&c);
}

Test(history, a_hostile_workers_history_is_a_protocol_violation)
{
	char	*s;

	start(NULL, "iridium-worker-ssh-test");
	hostile("historybig", true);
	cr_assert(hd_wait_log(&d, "history_save: field \"lines\"", T));
	hostile("historyctl", true);
	cr_assert(hd_wait_log(&d, "control character 0x1b", T));
	/* A valid one is stored, as the tenant's own. */
	hostile("historysave", false);
	s = one("dev", "!history");
	has(s, "load $9 #99\n");
	free(s);
	/* A flood is bounded: said once, the rest ignored, not killed. */
	hostile("historyflood", false);
	cr_assert(hd_wait_log(&d, "more than 256 history saves", T));
	cr_assert_eq(hd_log_count(&d, "more than 256 history saves"), 1);
}

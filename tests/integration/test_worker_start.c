/*
 * test_worker_start.c: iridium-worker's start-up contract and the hostile
 * worker of iridium-worker-test, with this test as the supervisor
 * (fakesup.h).
 *
 * Start-up: --version and --help, refusing to run by hand, dying on a bad
 * `hello` (a supervisor bug), `ready` with the worker's own build id,
 * leaving when the channel closes. Hostile: every "!test NAME" of
 * testhooks.c reaches the supervisor as the protocol violation it stands
 * for, and the normal binary knows no such command.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "fakesup.h"
#include "harness.h"
#include "msg.h"
#include "repl.h"

#define T	FS_TIMEOUT

static struct fs_worker	 w;
static struct fs_client	 c;

TestSuite(start, .fini = hd_fini, .timeout = 60);
TestSuite(hooks, .fini = hd_fini, .timeout = 60);

/*
 * Run bin with args, fd 3 closed, and return its exit status; what it
 * wrote (stdout and stderr together) goes to out.
 */
static int
run_by_hand(const char *bin, const char *arg, char *out, size_t outlen)
{
	char *const	 argv[] = { (char *)(uintptr_t)bin,
	    (char *)(uintptr_t)arg, NULL };
	int		 p[2], status;
	size_t		 len = 0;
	ssize_t		 n;
	pid_t		 pid;

	cr_assert_eq(pipe(p), 0);
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close_range(3, ~0U, 0);
		execv(bin, argv);
		_exit(127);
	}
	close(p[1]);
	while (len + 1 < outlen && (n = read(p[0], out + len,
	    outlen - len - 1)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(p[0]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status));
	return WEXITSTATUS(status);
}

Test(start, version_and_help)
{
	char	 out[4096];

	cr_assert_eq(run_by_hand(fs_bin("iridium-worker"), "--version", out,
	    sizeof(out)), 0);
	cr_assert_neq(strstr(out, "iridium-worker " IRIDIUM_VERSION), NULL,
	    "%s", out);
	cr_assert_neq(strstr(out, "transports: line"), NULL, "%s", out);
	cr_assert_eq(run_by_hand(fs_bin("iridium-worker"), "--help", out,
	    sizeof(out)), 0);
	cr_assert_neq(strstr(out, "usage: iridium-worker"), NULL, "%s", out);
}

Test(start, refuses_to_run_by_hand)
{
	char	 out[4096];

	cr_assert_eq(run_by_hand(fs_bin("iridium-worker"), NULL, out,
	    sizeof(out)), 1);
	cr_assert_neq(strstr(out, "started by iridiumd"), NULL, "%s", out);
	/* One line, nothing else. */
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "%s", out);
}

static void
expect_death(const char *why)
{
	char	*e;

	fs_expect_exit(&w, 1, T);
	e = fs_stderr(&w);
	cr_assert_neq(strstr(e, why), NULL, "stderr: %s", e);
	free(e);
}

Test(start, malformed_hello_kills_the_worker)
{
	static const char	 junk[] = "{\"type\":\"hello\",";

	fs_spawn(&w, fs_bin("iridium-worker"));
	cr_assert_eq(msg_send_raw(w.chan, junk, sizeof(junk) - 1, -1, 0), 0);
	expect_death("bad message from supervisor: message: invalid JSON");
}

Test(start, hello_with_a_bad_field_kills_the_worker)
{
	struct msg_hello	 h;
	struct buf		 b;

	fs_spawn(&w, fs_bin("iridium-worker"));
	fs_hello_init(&w, &h);
	buf_init(&b, 0);
	cr_assert_eq(msg_encode(&b, MSG_HELLO, &h, NULL, 0), 0);
	/* Valid JSON, one field too many. */
	b.len--;
	buf_puts(&b, ",\"extra\":1}");
	cr_assert_eq(msg_send_raw(w.chan, b.data, b.len, -1, 0), 0);
	buf_free(&b);
	expect_death("unexpected field");
}

Test(start, no_hello_in_ten_seconds_kills_the_worker)
{
	long long	 t0 = fs_now_ms();

	fs_spawn(&w, fs_bin("iridium-worker"));
	expect_death("no hello from the supervisor in 10 seconds");
	cr_assert_geq(fs_now_ms() - t0, 9500);
}

Test(start, a_message_before_hello_kills_the_worker)
{
	struct msg_ping	 p = { 1 };

	fs_spawn(&w, fs_bin("iridium-worker"));
	fs_send(&w, MSG_PING, &p, -1);
	expect_death("ping before hello");
}

Test(start, hello_for_another_transport_kills_the_worker)
{
	struct msg_hello	 h;

	fs_spawn(&w, fs_bin("iridium-worker"));
	fs_hello_init(&w, &h);
	strlcpy(h.transport, "ssh", sizeof(h.transport));
	h.hostkey = "not a key: a line worker never reads it";
	h.kex = "curve25519-sha256";
	h.ciphers = "aes128-ctr";
	h.macs = "hmac-sha2-256";
	h.hostkey_algorithms = "ssh-ed25519";
	fs_send(&w, MSG_HELLO, &h, -1);
	expect_death("hello: transport ssh is not served by iridium-worker");
}

Test(start, session_for_another_transport_kills_the_worker)
{
	struct msg_session	 s;
	int			 sv[2];

	fs_start(&w, fs_bin("iridium-worker"), NULL);
	memset(&s, 0, sizeof(s));
	s.id = 3;
	strlcpy(s.transport, "ssh", sizeof(s.transport));
	msg_limits_default(&s.limits);
	/* Any socket will do: the worker must not get as far as using it. */
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fs_send(&w, MSG_SESSION, &s, sv[0]);
	fs_expect_exit(&w, 1, T);
}

/* More in test_worker_proxy.c; here: the step runs on any stream. */
Test(start, proxy_session_closed_before_its_header_ends_as_proxy)
{
	struct msg_session	 s;
	struct msg		 m;
	int			 sv[2];

	fs_start(&w, fs_bin("iridium-worker"), NULL);
	memset(&s, 0, sizeof(s));
	s.id = 4;
	strlcpy(s.transport, "line", sizeof(s.transport));
	msg_limits_default(&s.limits);
	s.proxy = true;
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	fs_send(&w, MSG_SESSION, &s, sv[0]);
	close(sv[0]);
	close(sv[1]);
	w.state = WS_BUSY;
	fs_expect(&w, MSG_SESSION_END, &m, T);
	cr_assert_str_eq(m.u.session_end.reason, "proxy");
	msg_clear(&m);
	cr_assert_neq(strstr(w.logs.data, "session 4: PROXY header from an "
	    "unknown peer: missing: the connection closed before any byte"),
	    NULL, "%s", w.logs.data);
	fs_expect_exit(&w, 0, T);
}

Test(start, ready_carries_the_workers_own_build_id)
{
	struct msg	 m;

	fs_spawn(&w, fs_bin("iridium-worker"));
	fs_hello_init(&w, &w.hello);
	strlcpy(w.hello.build, "some-other-build", sizeof(w.hello.build));
	fs_send(&w, MSG_HELLO, &w.hello, -1);
	fs_expect(&w, MSG_READY, &m, T);
	cr_assert_str_neq(m.u.ready.build, "some-other-build");
	cr_assert_neq(m.u.ready.build[0], '\0');
	cr_assert_eq(m.u.ready.pid, w.pid);
	msg_clear(&m);
}

Test(start, channel_eof_while_idle_ends_the_worker)
{
	fs_start(&w, fs_bin("iridium-worker"), NULL);
	close(w.chan);
	w.chan = -1;
	fs_expect_exit(&w, 0, T);
}

Test(start, log_lines_reach_the_supervisor_at_its_level)
{
	struct msg	 m;

	/* Debug level: the session's start is logged. */
	fs_start(&w, fs_bin("iridium-worker"), NULL);
	fs_session(&w, NULL, &c, NULL);
	cl_expect(&c, REPL_PROMPT, T);
	fs_expect_log(&w, "session 17: line from 127.0.0.1:", T);
	cl_puts(&c, "!quit\n");
	fs_expect(&w, MSG_SESSION_END, &m, T);
	msg_clear(&m);
}

/* A session that hits output_max, at log level; returns the logs. */
static const char *
output_limit_logs(int level)
{
	struct msg_limits	 l;
	struct msg		 m;

	fs_spawn(&w, fs_bin("iridium-worker"));
	fs_hello_init(&w, &w.hello);
	w.hello.log_level = level;
	fs_send(&w, MSG_HELLO, &w.hello, -1);
	fs_expect(&w, MSG_READY, &m, T);
	msg_clear(&m);
	w.state = WS_IDLE;
	msg_limits_default(&l);
	l.output_max = 100;
	fs_session(&w, &l, &c, NULL);
	cl_expect(&c, REPL_PROMPT, T);
	cl_puts(&c, "!help\n");
	fs_expect(&w, MSG_SESSION_END, &m, T);
	cr_assert_str_eq(m.u.session_end.reason, "output");
	msg_clear(&m);
	return w.logs.data != NULL ? w.logs.data : "";
}

Test(start, log_lines_at_the_level_reach_the_supervisor)
{
	/* The line is logged at info (6). */
	cr_assert_neq(strstr(output_limit_logs(6), "output limit of 100 "
	    "bytes reached"), NULL, "%s", w.logs.data);
}

Test(start, log_lines_below_the_level_stay_in_the_worker)
{
	cr_assert_eq(strstr(output_limit_logs(5), "output limit"), NULL,
	    "%s", w.logs.data);
}

/* --- the hostile worker ---------------------------------------------------- */

/* A test-hook worker in a session, banner read. */
static void
hostile(void)
{
	fs_start(&w, fs_bin("iridium-worker-test"), NULL);
	fs_session(&w, NULL, &c, NULL);
	cl_expect(&c, REPL_PROMPT, T);
}

/* Run a hook and expect the message that breaks the protocol. */
static void
expect_violation(const char *hook, const char *why)
{
	struct msg	 m;
	char		 cmd[64], err[512];
	int		 n;

	snprintf(cmd, sizeof(cmd), "!test %s\n", hook);
	cl_puts(&c, cmd);
	do {
		n = fs_recv(&w, &m, T, err, sizeof(err));
		if (n == 1)
			msg_clear(&m);
	} while (n == 1 && (m.type == MSG_LOG || m.type == MSG_STATUS));
	cr_assert_eq(n, -2, "%s: no protocol violation (%d)", hook, n);
	cr_assert_neq(strstr(err, why), NULL, "%s: %s", hook, err);
	/* The worker goes on; the real supervisor would kill it now. */
	snprintf(cmd, sizeof(cmd), "test %s: sent", hook);
	cl_expect(&c, cmd, T);
}

Test(hooks, malformed)
{
	hostile();
	expect_violation("malformed", "invalid JSON");
}

Test(hooks, outofstate)
{
	hostile();
	expect_violation("outofstate", "ready: not allowed in state busy");
}

Test(hooks, badfield)
{
	hostile();
	expect_violation("badfield", "unexpected field \"evil\"");
}

Test(hooks, fd)
{
	hostile();
	expect_violation("fd", "status: unexpected fd");
}

Test(hooks, big)
{
	hostile();
	expect_violation("big", "truncated");
}

Test(hooks, flood)
{
	struct msg	 m;
	char		 err[256];
	int		 logs = 0;

	hostile();
	cl_puts(&c, "!test flood\n");
	while (logs < 10000) {
		cr_assert_eq(fs_recv(&w, &m, T, err, sizeof(err)), 1,
		    "after %d logs: %s", logs, err);
		if (m.type == MSG_LOG && strncmp(m.u.log.msg, "test flood ",
		    11) == 0)
			logs++;
		msg_clear(&m);
	}
	cl_expect(&c, "test flood: sent", T);
}

Test(hooks, crash)
{
	int	 st;

	hostile();
	cl_puts(&c, "!test crash\n");
	st = fs_exit_status(&w, T);
	/* abort(): SIGABRT, or SIGSYS when the sandbox stops raise(). */
	cr_assert(st == -SIGABRT || st == -SIGSYS, "exit status %d", st);
}

Test(hooks, hang)
{
	struct msg_ping	 p = { 9 };
	struct msg	 m;
	char		 err[256];
	int		 n;

	hostile();
	cl_puts(&c, "!test hang\n");
	usleep(200000);
	fs_send(&w, MSG_PING, &p, -1);
	do {
		n = fs_recv(&w, &m, 2000, err, sizeof(err));
		if (n == 1) {
			cr_assert_neq(m.type, MSG_PONG, "a hung worker "
			    "answered");
			msg_clear(&m);
		}
	} while (n == 1);
	cr_assert_eq(n, 0);
	cr_assert(!fs_wait(&w, 0), "the worker is gone, not hung");
}

Test(hooks, exit)
{
	struct msg	 m;
	char		 err[256];
	int		 n;

	hostile();
	cl_puts(&c, "!test exit\n");
	fs_expect_exit(&w, 3, T);
	/* No session_end, just the end of the channel. */
	while ((n = fs_recv(&w, &m, T, err, sizeof(err))) == 1) {
		cr_assert_neq(m.type, MSG_SESSION_END);
		msg_clear(&m);
	}
	cr_assert_eq(n, -1);
}

Test(hooks, unknown_names_are_refused)
{
	hostile();
	cl_puts(&c, "!test nosuchhook\n");
	cl_expect(&c, "test: unknown hook", T);
	cl_puts(&c, "!test\n");
	cl_expect(&c, "flood", T);
	cl_expect(&c, REPL_PROMPT, T);
}

Test(hooks, the_normal_worker_has_none)
{
	struct msg	 m;

	fs_start(&w, fs_bin("iridium-worker"), NULL);
	fs_session(&w, NULL, &c, NULL);
	cl_expect(&c, REPL_PROMPT, T);
	cl_puts(&c, "!test crash\n");
	cl_expect(&c, "Invalid command!", T);
	cl_puts(&c, "!quit\n");
	fs_expect(&w, MSG_SESSION_END, &m, T);
	cr_assert_str_eq(m.u.session_end.reason, "quit");
	msg_clear(&m);
	fs_expect_exit(&w, 0, T);
}

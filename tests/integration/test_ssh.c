/*
 * test_ssh.c: SSH end to end: the real iridiumd with an ssh listener on
 * loopback (its host key generated into a fresh state directory, tenants
 * with authorized_keys files made by ssh-keygen), its real ssh workers,
 * and the real OpenSSH client (BatchMode, IdentitiesOnly, a known_hosts
 * file seeded with the host key, StrictHostKeyChecking), ssh-keyscan and
 * ssh-audit. What the ssh worker does on its own is test_worker_ssh.c's;
 * here is what needs the supervisor: authentication against the tenants'
 * files, their limits, reload, status, penalties, the sandbox, `check`
 * answering it while it assembles.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <jansson.h>

#include "crafted.h"
#include "harness.h"
#include "repl.h"
#include "sshc.h"

#define T		20000
#define BIG_BUDGET	"1000000000000"

static struct hd	 d;
static char		 dir[256];
static struct sshc_opts	 so;
static char		 hostpub[512];

static const char hello_prog[] =
    ".data\nm: .asciiz 'Hello over ssh\\n'\n.code\nprts @m\nhlt\n";

static void
setup(void)
{
	hd_tmpdir(dir, sizeof(dir), "ssh");
	hd_sh("cd %s && for k in dev dev2 ops stranger s1 s2 s3; do "
	    "ssh-keygen -q -t ed25519 -N '' -C $k -f $k || exit 1; done && "
	    "cp dev.pub dev.keys && cp ops.pub ops.keys", dir);
	so.dir = dir;
}

TestSuite(ssh, .init = setup, .fini = hd_fini, .timeout = 60);

/*
 * iridiumd with one ssh listener and the tenants dev (a budget big
 * enough for an endless loop) and ops; limits are more [limits] lines.
 * Seeds known_hosts with the host key it generated.
 */
static void
start(const char *limits, const char *worker)
{
	char	 text[2048];

	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\n"
	    "[pool]\nmin_spare = 2\n"
	    "[limits]\n%s\n"
	    "[listener ssh]\ntransport = ssh\nport = 0\n"
	    "[tenant dev]\nbudget = " BIG_BUDGET "\n"
	    "authorized_keys = %s/dev.keys\n"
	    "[tenant ops]\nauthorized_keys = %s/ops.keys\n",
	    dir, limits != NULL ? limits : "", dir, dir);
	sshc_daemon(&d, &so, text, worker);
	sshc_trust(&so, SSHC_HOSTKEY, hostpub, sizeof(hostpub));
}

/* --- the tests ------------------------------------------------------------ */

Test(ssh, run_gives_the_programs_output_and_exit_status)
{
	struct sshc	 a, b, c;
	char		 want[640];

	start(NULL, NULL);
	sshc_ssh(&a, &so, "dev", "dev", "run", hello_prog);
	cr_assert_eq(a.status, 0, "stderr: %s", a.e.data);
	cr_assert_str_eq(a.o.data, "Hello over ssh\n");
	cr_assert_str_eq(a.e.data, "");
	sshc_ssh(&b, &so, "dev", "dev", "run", "load $0 #1\nload $1 #0\n"
	    "div $0 $1 $2\n");
	cr_assert_eq(b.status, 1, "a runtime error: %s", b.e.data);
	cr_assert_not_null(strstr(b.e.data, "<stdin>: division by zero at pc"),
	    "%s", b.e.data);
	sshc_ssh(&c, &so, "ops", "ops", "run", "load $0 #1\nbogus $1\n");
	cr_assert_eq(c.status, 65, "an assembly error: %s", c.e.data);
	cr_assert_not_null(strstr(c.e.data, "<stdin>:2:1: "), "%s", c.e.data);
	/* sshd's audit line, and the end of the session with its key. */
	cr_assert(hd_wait_log(&d, "accepted publickey for dev from 127.0.0.1 "
	    "port ", T));
	snprintf(want, sizeof(want), " ssh: ED25519 %s\n",
	    sshc_fingerprint(&so, "dev.pub"));
	cr_assert(hd_wait_log(&d, want, T), "no \"%s\"", want);
	snprintf(want, sizeof(want), "; tenant ops, key ED25519 %s",
	    sshc_fingerprint(&so, "ops.pub"));
	cr_assert(hd_wait_log(&d, want, T), "no end line with \"%s\"", want);
	/* A worker built after the system's libraries is not stale. */
	cr_assert_eq(hd_log_count(&d, "links its own copy"), 0);
	sshc_free(&a);
	sshc_free(&b);
	sshc_free(&c);
}

/*
 * Mistakes on the command line: "run" or "check" with arguments is a
 * usage error (64), not a line of assembly; an unknown !command and a
 * command given arguments it does not take exit 1, as other errors do.
 */
Test(ssh, usage_mistakes_get_their_own_words_and_status)
{
	struct sshc	 a, b, c, e, f;

	start(NULL, NULL);
	sshc_ssh(&a, &so, "dev", "dev", "run prog.iasm", hello_prog);
	cr_assert_eq(a.status, 64, "stderr: %s", a.e.data);
	cr_assert_str_eq(a.e.data, "run takes no arguments; send the program "
	    "on stdin\n");
	cr_assert_str_eq(a.o.data, "");
	sshc_ssh(&b, &so, "dev", "dev", "check\t-v", hello_prog);
	cr_assert_eq(b.status, 64, "stderr: %s", b.e.data);
	cr_assert_str_eq(b.e.data, "check takes no arguments; send the program "
	    "on stdin\n");
	sshc_ssh(&c, &so, "dev", "dev", "!nope", "");
	cr_assert_eq(c.status, 1, "stdout: %s", c.o.data);
	cr_assert_not_null(strstr(c.o.data, "!nope is not a command"), "%s",
	    c.o.data);
	sshc_ssh(&e, &so, "dev", "dev", "!quit now", "");
	cr_assert_eq(e.status, 1, "stdout: %s", e.o.data);
	/* What works still exits 0: the named registers. */
	sshc_ssh(&f, &so, "dev", "dev", "!registers $0-$1", "");
	cr_assert_eq(f.status, 0, "stderr: %s", f.e.data);
	cr_assert_not_null(strstr(f.o.data, "  $0            0  $1            0\n"),
	    "%s", f.o.data);
	sshc_free(&a);
	sshc_free(&b);
	sshc_free(&c);
	sshc_free(&e);
	sshc_free(&f);
}

/*
 * The worker once slept until its next timer (a second) when the pull
 * that met the client's EOF read no data, i.e. whenever the EOF came in a
 * packet of its own: here, always.
 */
Test(ssh, a_run_ends_as_soon_as_stdin_does)
{
	struct sshc	 c;
	struct sshc	*cs[1] = { &c };
	long long	 t0, t;

	start(NULL, NULL);
	sshc_start(&c, sshc_argv(&so, "dev", "dev", NULL, "run"), hello_prog,
	    strlen(hello_prog), true, false);
	cr_assert(hd_wait_log(&d, "accepted publickey for dev", T));
	t0 = hd_now_ms();
	while (hd_now_ms() - t0 < 100)
		sshc_pump(cs, 1, 50);
	t0 = hd_now_ms();
	sshc_close_in(&c);
	sshc_finish(cs, 1, T);
	t = c.ended_ms - t0;
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_str_eq(c.o.data, "Hello over ssh\n");
	cr_log_info("from stdin's EOF to the exit status: %lld ms", t);
	cr_assert_lt(t, 400, "%lld ms from EOF to exit", t);
	sshc_free(&c);
}

Test(ssh, an_interactive_session_under_tt)
{
	struct sshc	 c;
	struct sshc	*cs[1] = { &c };
	const char	*opts[] = { "-tt", NULL };
	size_t		 seen = 0;

	start(NULL, NULL);
	sshc_start(&c, sshc_argv(&so, "dev", "dev", opts, NULL), NULL, 0,
	    true, true);
	/* ^C stops the endless loop: the tenant's budget would not. */
	sshc_pty_session(&c, &seen, T);
	sshc_type(&c, "\x04");
	sshc_expect(&c, &seen, REPL_FAREWELL, T);
	sshc_finish(cs, 1, T);
	cr_assert_eq(c.status, 0);
	sshc_free(&c);
}

Test(ssh, a_wrong_key_and_an_unknown_user_look_the_same)
{
	struct sshc	 a, b;
	long long	 ta, tb;
	char		 want[640];

	start(NULL, NULL);
	sshc_ssh(&a, &so, "stranger", "dev", "!help", NULL);
	sshc_ssh(&b, &so, "dev", "nosuchtenant", "!help", NULL);
	cr_assert_eq(a.status, 255);
	cr_assert_eq(b.status, 255);
	cr_assert_not_null(strstr(a.e.data, "Permission denied (publickey)"),
	    "%s", a.e.data);
	/* The same words, but for the user name the client repeats. */
	cr_assert_str_eq(strchr(a.e.data, ':'), strchr(b.e.data, ':'));
	cr_assert_str_eq(a.o.data, "");
	ta = a.ended_ms - a.started_ms;
	tb = b.ended_ms - b.started_ms;
	cr_log_info("wrong key %lld ms, unknown user %lld ms", ta, tb);
	cr_assert(llabs(ta - tb) < 400, "%lld ms against %lld ms", ta, tb);
	/* The log tells them apart, with the source and the key. */
	snprintf(want, sizeof(want), "failed publickey for dev from 127.0.0.1 "
	    "port ");
	cr_assert(hd_wait_log(&d, want, T), "no \"%s\"", want);
	snprintf(want, sizeof(want), "ssh: ED25519 %s (key not in the "
	    "tenant's authorized_keys; attempt 1 of 6)",
	    sshc_fingerprint(&so, "stranger.pub"));
	cr_assert(hd_wait_log(&d, want, T), "no \"%s\"", want);
	snprintf(want, sizeof(want), "failed publickey for invalid user "
	    "nosuchtenant from 127.0.0.1 port ");
	cr_assert(hd_wait_log(&d, want, T), "no \"%s\"", want);
	sshc_free(&a);
	sshc_free(&b);
}

Test(ssh, a_client_that_never_logs_in_is_cut_at_the_grace_time)
{
	char		 buf[512];
	long long	 t0, t;
	ssize_t		 n, got = 0;
	int		 fd;

	start("login_grace = 2", NULL);
	t0 = hd_now_ms();
	cr_assert_neq(fd = tc_connect("127.0.0.1", so.port), -1);
	/* The server's version line, then nothing until it gives up. */
	while ((n = read(fd, buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	t = hd_now_ms() - t0;
	buf[got] = '\0';
	close(fd);
	cr_assert_eq(strncmp(buf, "SSH-2.0-", 8), 0, "%s", buf);
	cr_assert(t >= 1900 && t < 6000, "cut after %lld ms", t);
	cr_assert(hd_wait_log(&d, "no key exchange within the login grace "
	    "time", T));
	cr_assert(hd_wait_log(&d, "ended (auth)", T));
}

/* The session rows of a status document, by tenant. */
static json_t *
session_of(json_t *st, const char *tenant)
{
	json_t	*w, *s;
	size_t	 i;

	json_array_foreach(json_object_get(st, "workers"), i, w) {
		s = json_object_get(w, "session");
		if (json_is_object(s) && strcmp(json_string_value(
		    json_object_get(s, "tenant")), tenant) == 0)
			return s;
	}
	return NULL;
}

Test(ssh, two_tenants_at_once_each_in_its_own_vm_and_in_status)
{
	struct sshc	 a, b;
	struct sshc	*cs[2] = { &a, &b };
	const char	*opts[] = { "-T", NULL };
	size_t		 sa = 0, sb = 0;
	json_t		*st, *s;
	char		*out, *err;
	int		 rc;

	start(NULL, NULL);
	sshc_start(&a, sshc_argv(&so, "dev", "dev", opts, NULL), NULL, 0,
	    true, false);
	sshc_start(&b, sshc_argv(&so, "ops", "ops", opts, NULL), NULL, 0,
	    true, false);
	/* Without a pty: no banner, no prompts, as the local iridium. */
	sshc_type(&a, "load $1 #42\n!registers\n");
	sshc_type(&b, "load $1 #7\n!registers\n");
	sshc_expect(&a, &sa, "$1           42", T);
	sshc_expect(&b, &sb, "$1            7", T);
	cr_assert_null(strstr(a.o.data, REPL_PROMPT), "%s", a.o.data);
	cr_assert_null(strstr(a.o.data, REPL_BANNER), "%s", a.o.data);

	/* Both live: status names each tenant, its peer and its key. */
	st = hd_status(&d);
	cr_assert_not_null(s = session_of(st, "dev"), "no dev session");
	cr_assert_str_eq(json_string_value(json_object_get(s, "transport")),
	    "ssh");
	cr_assert_eq(strncmp(json_string_value(json_object_get(s, "peer")),
	    "127.0.0.1:", 10), 0);
	cr_assert_str_eq(json_string_value(json_object_get(s,
	    "key_fingerprint")), sshc_fingerprint(&so, "dev.pub"));
	cr_assert_str_eq(json_string_value(json_object_get(s, "key_type")),
	    "ED25519");
	cr_assert_not_null(s = session_of(st, "ops"), "no ops session");
	cr_assert_str_eq(json_string_value(json_object_get(s,
	    "key_fingerprint")), sshc_fingerprint(&so, "ops.pub"));
	s = json_array_get(json_object_get(json_object_get(st, "daemon"),
	    "host_keys"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(s, "type")),
	    "ssh-ed25519");
	cr_assert_str_eq(json_string_value(json_object_get(s, "fingerprint")),
	    sshc_fingerprint(&so, SSHC_HOSTKEY));
	json_decref(st);
	rc = hd_ctl(&d, NULL, &out, &err, "status", NULL);
	cr_assert_eq(rc, 0, "%s", err);
	cr_assert_not_null(strstr(out, "ssh host key ssh-ed25519 SHA256:"),
	    "%s", out);
	cr_assert_not_null(strstr(out, sshc_fingerprint(&so, "dev.pub")),
	    "%s", out);
	cr_assert_not_null(strstr(out, "  dev  "), "%s", out);
	free(out);
	free(err);

	sshc_close_in(&a);
	sshc_close_in(&b);
	sshc_finish(cs, 2, T);
	cr_assert_eq(a.status, 0, "%s", a.e.data);
	cr_assert_eq(b.status, 0, "%s", b.e.data);
	cr_assert_null(strstr(a.o.data, "$1            7"), "dev saw ops' $1");
	cr_assert_null(strstr(b.o.data, "$1           42"), "ops saw dev's $1");
	sshc_free(&a);
	sshc_free(&b);
}

Test(ssh, four_mib_to_a_slow_reader_arrive_intact)
{
	struct sshc	 c;

	start("output_rate = 0\noutbuf_max = 65536", NULL);
	sshc_run_big(&c, sshc_argv(&so, "dev", "dev", NULL, "run"), 45000);
	cr_assert_eq(c.status, 0, "status %d, %zu bytes, %s", c.status,
	    c.o.len, c.e.data);
	sshc_assert_big(&c);
	sshc_free(&c);
}

/* Serve c until the test worker logs its first slow poll checkpoint. */
static void
wait_slowpoll(struct sshc *c)
{
	struct sshc	*cs[1] = { c };
	long long	 until = hd_now_ms() + T;

	while (hd_log_count(&d, "test slowpoll: a poll checkpoint waits") ==
	    0) {
		cr_assert_lt(hd_now_ms(), until, "the check never polled: "
		    "%s%s", c->o.data != NULL ? c->o.data : "",
		    c->e.data != NULL ? c->e.data : "");
		sshc_pump(cs, 1, 100);
	}
}

/*
 * `check` polls while it assembles, as `run` does: the supervisor is
 * answered meanwhile, so `iridiumctl kill` ends a long check at once. The
 * test worker makes each of the assembler's poll checkpoints last a
 * second (the env request IRIDIUM_TEST=slowpoll, which only test workers
 * take), as a slow machine would, and says so in the log the first time.
 */
Test(ssh, a_check_answers_the_supervisor_while_it_assembles)
{
	struct sshc	 c;
	struct sshc	*cs[1] = { &c };
	const char	*opts[] = { "-o", "SetEnv=IRIDIUM_TEST=slowpoll",
			    NULL };
	json_t		*st, *w, *ss;
	char		*src, *out, *err, id[32];
	size_t		 len, i;

	start(NULL, "iridium-worker-ssh-test");
	cr_assert_not_null(src = crafted_source(100000, false, &len));
	sshc_start(&c, sshc_argv(&so, "dev", "dev", opts, "check"), src, len,
	    false, false);
	wait_slowpoll(&c);
	id[0] = '\0';
	st = hd_status(&d);
	json_array_foreach(json_object_get(st, "workers"), i, w) {
		if (json_is_object(ss = json_object_get(w, "session")))
			snprintf(id, sizeof(id), "%lld", (long long)
			    json_integer_value(json_object_get(ss, "id")));
	}
	json_decref(st);
	cr_assert_neq(id[0], '\0', "no session in status");
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "kill", id, NULL), 0, "%s",
	    err);
	free(out);
	free(err);
	sshc_finish(cs, 1, T);
	cr_assert_eq(c.status, 1);
	cr_assert_not_null(c.e.data);
	cr_assert_not_null(strstr(c.e.data, "Session ended by the "
	    "administrator. Goodbye!"), "%s", c.e.data);
	cr_assert(hd_wait_log(&d, "ended (shutdown)", T));
	sshc_free(&c);
	free(src);
}

/*
 * And a client's `signal` INT stops a check's assembly, as ^C stops a
 * run: "interrupted while assembling", exit status 1. OpenSSH sends no
 * signal requests; paramiko (Debian's python3-paramiko, through
 * tests/ssh/client.py) sends one when the log says the assembly is in
 * its (slow) checkpoints.
 */
Test(ssh, a_signal_interrupts_a_check)
{
	struct sshc	 c;
	struct sshc	*cs[1] = { &c };
	char		*argv[9], script[320], path[320], port[16], key[320];
	char		*src;
	size_t		 len;

	if (system("/usr/bin/python3 -c 'import paramiko' 2>/dev/null") != 0) {
		cr_assert_null(getenv("CI"), "paramiko is missing: CI installs "
		    "python3-paramiko (contrib/deps.txt)");
		cr_skip_test("paramiko is not installed for /usr/bin/python3 "
		    "(python3-paramiko)");
	}
	start(NULL, "iridium-worker-ssh-test");
	cr_assert_not_null(src = crafted_source(100000, false, &len));
	snprintf(path, sizeof(path), "%s/big.iasm", dir);
	hd_write(path, src);
	free(src);
	snprintf(script, sizeof(script), "%s/tests/ssh/client.py",
	    getenv("IRIDIUM_SRC"));
	snprintf(port, sizeof(port), "%d", so.port);
	snprintf(key, sizeof(key), "%s/dev", dir);
	argv[0] = (char *)(uintptr_t)"/usr/bin/python3";
	argv[1] = script;
	argv[2] = (char *)(uintptr_t)"interrupt";
	argv[3] = port;
	argv[4] = key;
	argv[5] = (char *)(uintptr_t)"check";
	argv[6] = path;
	argv[7] = (char *)(uintptr_t)"IRIDIUM_TEST=slowpoll";
	argv[8] = NULL;
	sshc_start(&c, argv, NULL, 0, true, false);
	wait_slowpoll(&c);
	sshc_type(&c, "signal\n");
	sshc_finish(cs, 1, T);
	cr_assert_eq(c.status, 1, "%s%s", c.o.data != NULL ? c.o.data : "",
	    c.e.data != NULL ? c.e.data : "");
	cr_assert_not_null(c.e.data);
	cr_assert_not_null(strstr(c.e.data, "<stdin>: interrupted while "
	    "assembling\n"), "%s", c.e.data);
	cr_assert(hd_wait_log(&d, "ended (quit)", T));
	sshc_free(&c);
}

Test(ssh, a_second_session_channel_is_refused_and_the_first_goes_on)
{
	struct sshc	 m, x;
	struct sshc	*cs[1] = { &m };
	char		 mux[320];
	const char	*mopts[] = { "-M", "-S", mux, "-o", "ControlPersist=no",
			    NULL };
	/* Where ssh falls back to a connection of its own: nobody. */
	const char	*xopts[] = { "-S", mux, "-o", "HostName=127.0.0.9",
			    NULL };
	struct stat	 sb;
	long long	 until;

	start(NULL, NULL);
	snprintf(mux, sizeof(mux), "%s/mux", dir);
	/* The master runs `run`, its program not sent yet. */
	sshc_start(&m, sshc_argv(&so, "dev", "dev", mopts, "run"), NULL, 0,
	    true, false);
	until = hd_now_ms() + T;
	while (stat(mux, &sb) == -1) {
		cr_assert_lt(hd_now_ms(), until, "no control socket: %s",
		    m.e.data);
		sshc_pump(cs, 1, 50);
	}
	cr_assert(hd_wait_log(&d, "accepted publickey for dev", T));
	sshc_run(&x, sshc_argv(&so, "dev", "dev", xopts, "!help"), NULL);
	cr_assert_eq(x.status, 255, "%s%s", x.o.data, x.e.data);
	cr_assert_not_null(strstr(x.e.data, "Session open refused by peer"),
	    "%s", x.e.data);
	cr_assert(hd_wait_log(&d, "refused a second session channel", T));
	/* The first channel is as it was: its program runs. */
	sshc_type(&m, hello_prog);
	sshc_close_in(&m);
	sshc_finish(cs, 1, T);
	cr_assert_eq(m.status, 0, "%s", m.e.data);
	cr_assert_str_eq(m.o.data, "Hello over ssh\n");
	cr_assert_not_null(strstr(m.e.data, "iridium: refused a second "
	    "session channel"), "%s", m.e.data);
	sshc_free(&m);
	sshc_free(&x);
}

Test(ssh, the_sandbox_still_kills_a_forbidden_syscall)
{
	struct sshc	 c;
	json_t		*st, *p;
	size_t		 i;
	long long	 n = -1;

	start(NULL, "iridium-worker-ssh-test");
	sshc_ssh(&c, &so, "dev", "dev", "!test ptrace", NULL);
	cr_assert_eq(c.status, 255, "%s%s", c.o.data, c.e.data);
	cr_assert(hd_wait_log(&d, "sandbox violation (signal 31 (SYS)", T));
	cr_assert(hd_wait_log(&d, "(tenant dev, peer 127.0.0.1:", T));
	st = hd_status(&d);
	json_array_foreach(json_object_get(st, "pools"), i, p)
		n = json_integer_value(json_object_get(json_object_get(p,
		    "exits"), "sandbox_violations"));
	cr_assert_eq(n, 1);
	json_decref(st);
	sshc_free(&c);
}

Test(ssh, keyscan_shows_the_host_key_iridiumd_logged)
{
	struct sshc	 c;
	char		 port[16], want[640];
	char		*argv[] = { (char *)(uintptr_t)"ssh-keyscan",
			    (char *)(uintptr_t)"-t", (char *)(uintptr_t)"ed25519",
			    (char *)(uintptr_t)"-p", port,
			    (char *)(uintptr_t)"127.0.0.1", NULL };

	start(NULL, NULL);
	snprintf(port, sizeof(port), "%d", so.port);
	sshc_run(&c, argv, NULL);
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_not_null(strstr(c.o.data, hostpub), "%s", c.o.data);
	snprintf(want, sizeof(want), "ssh host key ED25519 %s %s/state/"
	    "ssh_host_ed25519_key (generated now)",
	    sshc_fingerprint(&so, SSHC_HOSTKEY), dir);
	cr_assert(hd_wait_log(&d, want, T), "no \"%s\"", want);
	sshc_free(&c);
}

Test(ssh, the_ssh_audit_policy_passes)
{
	struct sshc	 c;
	char		 port[16], policy[512];
	const char	*src = getenv("IRIDIUM_SRC");
	char		*argv[] = { (char *)(uintptr_t)"ssh-audit",
			    (char *)(uintptr_t)"-P", policy,
			    (char *)(uintptr_t)"-p", port,
			    (char *)(uintptr_t)"127.0.0.1", NULL };

	cr_assert_not_null(src, "IRIDIUM_SRC is not set");
	snprintf(policy, sizeof(policy), "%s/tests/ssh/policy.txt", src);
	start(NULL, NULL);
	snprintf(port, sizeof(port), "%d", so.port);
	sshc_run(&c, argv, NULL);
	cr_assert_eq(c.status, 0, "ssh-audit: %s%s", c.o.data, c.e.data);
	cr_assert_not_null(strstr(c.o.data, "Passed"), "%s", c.o.data);
	sshc_free(&c);
}

/* Log in as dev with key and say whether it worked. */
static int
dev_with(const char *key)
{
	struct sshc	 c;
	int		 st;

	sshc_ssh(&c, &so, key, "dev", "run", "hlt\n");
	st = c.status;
	sshc_free(&c);
	return st;
}

Test(ssh, a_reload_reads_authorized_keys_again)
{
	char	*out, *err;
	int	 rc;

	start(NULL, NULL);
	cr_assert_eq(dev_with("dev"), 0);
	cr_assert_eq(dev_with("dev2"), 255);
	/* dev2 in, dev out. */
	hd_sh("cp %s/dev2.pub %s/dev.keys", dir, dir);
	rc = hd_ctl(&d, NULL, &out, &err, "reload", NULL);
	cr_assert_eq(rc, 0, "%s%s", out, err);
	free(out);
	free(err);
	cr_assert_eq(dev_with("dev2"), 0, "a key added is not taken");
	cr_assert_eq(dev_with("dev"), 255, "a key removed still works");
	/* A bad line: the reload fails, naming it; the old table stays. */
	hd_sh("(cat %s/dev.pub; echo 'from=\"10.0.0.1\" '$(cat %s/dev.pub)) > "
	    "%s/dev.keys", dir, dir, dir);
	rc = hd_ctl(&d, NULL, &out, &err, "reload", NULL);
	cr_assert_eq(rc, 1, "%s%s", out, err);
	cr_assert_not_null(strstr(err, "/dev.keys:2: [tenant dev] "
	    "authorized_keys: option \"from\""), "%s", err);
	free(out);
	free(err);
	cr_assert_eq(dev_with("dev2"), 0, "the old table is gone");
	cr_assert_eq(dev_with("dev"), 255, "the bad file was taken");
	/* SIGHUP does the same as iridiumctl reload. */
	hd_sh("cp %s/dev.pub %s/dev.keys", dir, dir);
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait_log(&d, "configuration generation 3", T));
	cr_assert_eq(dev_with("dev"), 0);
	cr_assert_eq(dev_with("dev2"), 255);
}

Test(ssh, failed_logins_penalise_their_source)
{
	struct sshc	 c;
	const char	*opts[] = { "-b", "127.0.0.2", "-i", NULL, "-i", NULL,
			    "-i", NULL, NULL };
	char		 k[3][320];
	int		 i;

	/* Loopback is exempt by default: not here. */
	start("source_exempt =", NULL);
	for (i = 0; i < 3; i++) {
		snprintf(k[i], sizeof(k[i]), "%s/s%d", dir, i + 1);
		opts[3 + 2 * i] = k[i];
	}
	/* Four wrong keys in one connection: 4 x 5 s, past the 15 s. */
	sshc_run(&c, sshc_argv(&so, "stranger", "dev", opts, "!help"), NULL);
	cr_assert_eq(c.status, 255, "%s", c.e.data);
	sshc_free(&c);
	cr_assert(hd_wait_log(&d, "failed login 4 of 4; source 127.0.0.2 "
	    "penalised (authfail): refused for the next 20s", T));
	/* The right key from there is refused now; from elsewhere not. */
	opts[2] = NULL;
	sshc_run(&c, sshc_argv(&so, "dev", "dev", opts, "!help"), NULL);
	cr_assert_eq(c.status, 255, "a penalised source logged in: %s%s",
	    c.o.data, c.e.data);
	sshc_free(&c);
	opts[1] = "127.0.0.3";
	sshc_run(&c, sshc_argv(&so, "dev", "dev", opts, "!help"), NULL);
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	sshc_free(&c);
}

/*
 * The default build links the workers statically: iridiumd says so when
 * the system's copy of a library the ssh worker carries (libssh,
 * libcrypto, glibc, ...) was installed after the worker was built. Here the worker is a copy dated
 * 1970. A dynamically linked worker (the sanitizer build) never warns.
 */
Test(ssh, a_static_worker_older_than_the_system_libraries_is_reported)
{
	char	 old[320];
	bool	 dynamic;

	snprintf(old, sizeof(old), "%s/old-worker", dir);
	hd_sh("cp %s %s && touch -d @86400 %s", hd_bin("iridium-worker-ssh"),
	    old, old);
	dynamic = hd_is_dynamic(old);
	start(NULL, old);
	if (dynamic) {
		cr_log_info("this build links the ssh worker dynamically");
		sleep(1);
		cr_assert_eq(hd_log_count(&d, "links its own copy"), 0);
		return;
	}
	cr_assert(hd_wait_log(&d, "links its own copy of libcrypto.so.3, but "
	    "/", T));
	cr_assert(hd_wait_log(&d, "links its own copy of libssh.so.4, but /",
	    T));
	cr_assert(hd_wait_log(&d, "links its own copy of libc.so.6, but /",
	    T));
	cr_assert(hd_wait_log(&d, "rebuild and reinstall iridium", T));
}

/*
 * test_worker_ssh.c: the real iridium-worker-ssh with this test as its
 * supervisor (fakesup.h) and the real OpenSSH tools as its clients.
 *
 * The test makes a host key, a tenant key and a stranger's key with
 * ssh-keygen, listens on loopback, and for each accepted connection
 * starts a worker (as iridiumd's pool would) and hands it the socket in
 * `session`; it answers `auth_query` as the supervisor does: the tenant
 * "dev" with its key, nothing else. Then `ssh` (BatchMode, IdentitiesOnly,
 * a known_hosts file seeded with the host key, StrictHostKeyChecking),
 * `ssh-keyscan` and `ssh-audit` talk to it through sshc.h, which serves
 * this supervisor's side (the listener, the workers' channels) while it
 * waits for them.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "buf.h"
#include "fakesup.h"
#include "harness.h"
#include "msg.h"
#include "repl.h"
#include "sshalgo.h"
#include "sshc.h"

#define T		FS_TIMEOUT
#define NWORKERS	8
#define BIG_BUDGET	1000000000000ULL
#define FINISH_MS	60000		/* a client, start to end (a slow reader) */

static char			 dir[64];
static char			 hostpub[512];
static struct fs_worker		 w[NWORKERS];
static int			 nw;
static int			 lfd = -1, port;
static struct sshc_opts		 so;		/* dir and port, for ssh */
static struct msg_limits	 lim;
static struct buf		 ends;		/* session_end reasons */
static struct buf		 queries;	/* auth_query, answered */
static struct buf		 negotiated;	/* `negotiated`, one a line */
static const char		*wbin = "iridium-worker-ssh";

static char *
slurp(const char *path)
{
	struct buf	 b;
	char		 tmp[4096];
	size_t		 n;
	FILE		*f;

	cr_assert_not_null(f = fopen(path, "r"), "%s", path);
	buf_init(&b, 0);
	while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
		buf_append(&b, tmp, n);
	fclose(f);
	return buf_steal(&b);
}

static int	serve_fds(struct pollfd *, int);
static void	serve_ready(const struct pollfd *, int);

static void
setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	hd_tmpdir(dir, sizeof(dir), "wssh");
	hd_sh("cd %s && ssh-keygen -q -t ed25519 -N '' -f host && "
	    "ssh-keygen -q -t ed25519 -N '' -f dev && "
	    "ssh-keygen -q -t ed25519 -N '' -f stranger", dir);
	lfd = tc_listen(&port);
	so.dir = dir;
	so.port = port;
	sshc_trust(&so, "host.pub", hostpub, sizeof(hostpub));
	sshc_serve(serve_fds, serve_ready);
	msg_limits_default(&lim);
	lim.output_rate = 0;
	buf_init(&ends, 0);
	buf_init(&queries, 0);
	buf_init(&negotiated, 0);
	nw = 0;
}

static void
teardown(void)
{
	hd_fini();
	if (lfd != -1)
		close(lfd);
	buf_free(&ends);
	buf_free(&queries);
	buf_free(&negotiated);
}

TestSuite(ssh, .init = setup, .fini = teardown, .timeout = 120);

/* --- the supervisor's side ----------------------------------------------- */

/* A worker for the next connection, past `ready`. */
static struct fs_worker *
spawn(void)
{
	struct fs_worker	*x;
	struct msg		 m;
	char			 path[128];
	char			*key;

	cr_assert_lt(nw, NWORKERS, "too many connections");
	x = &w[nw++];
	fs_spawn(x, fs_bin(wbin));
	fs_hello_init(x, &x->hello);
	strlcpy(x->hello.transport, "ssh", sizeof(x->hello.transport));
	x->hello.limits = lim;		/* the ceilings: no lower */
	snprintf(path, sizeof(path), "%s/host", dir);
	key = slurp(path);
	x->hello.hostkey = key;
	x->hello.kex = sshalgo_default(SSHALGO_KIND_KEX);
	x->hello.ciphers = sshalgo_default(SSHALGO_KIND_CIPHER);
	x->hello.macs = sshalgo_default(SSHALGO_KIND_MAC);
	x->hello.hostkey_algorithms = sshalgo_default(SSHALGO_KIND_HOSTKEY);
	fs_send(x, MSG_HELLO, &x->hello, -1);
	x->hello.hostkey = NULL;
	free(key);
	fs_expect(x, MSG_READY, &m, T);
	msg_clear(&m);
	x->state = WS_IDLE;
	return x;
}

/* Hand an accepted connection to a fresh worker. */
static void
accept_one(void)
{
	struct msg_session	 s;
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	struct fs_worker	*x;
	int			 fd;

	cr_assert_neq(fd = accept4(lfd, (struct sockaddr *)&sin, &len,
	    SOCK_CLOEXEC), -1);
	x = spawn();
	memset(&s, 0, sizeof(s));
	s.id = 100 + nw;
	strlcpy(s.listener, "ssh", sizeof(s.listener));
	snprintf(s.peer, sizeof(s.peer), "127.0.0.1:%d", ntohs(sin.sin_port));
	strlcpy(s.transport, "ssh", sizeof(s.transport));
	s.limits = lim;
	fs_send(x, MSG_SESSION, &s, fd);
	close(fd);
	x->state = WS_BUSY;
}

/* How often needle occurs in s (NULL: none). */
static int
count(const char *s, const char *needle)
{
	int	 n = 0;

	while (s != NULL && (s = strstr(s, needle)) != NULL) {
		n++;
		s += strlen(needle);
	}
	return n;
}

/* The dev tenant's key, as auth_query carries it. */
static const char *
devkey(void)
{
	static char	 b64[256];
	char		 path[128], *pub;

	if (b64[0] == '\0') {
		snprintf(path, sizeof(path), "%s/dev.pub", dir);
		pub = slurp(path);
		strlcpy(b64, strchr(pub, ' ') + 1, sizeof(b64));
		b64[strcspn(b64, " \n")] = '\0';
		free(pub);
	}
	return b64;
}

/* One message from worker x: auth answered, the rest noted. */
static void
answer(struct fs_worker *x)
{
	struct msg_auth_reply	 r;
	struct msg		 m;
	char			 err[512];
	int			 n;

	if ((n = fs_recv(x, &m, 0, err, sizeof(err))) != 1) {
		cr_assert_neq(n, -2, "bad message from the worker: %s", err);
		if (n == -1) {
			close(x->chan);
			x->chan = -1;
		}
		return;
	}
	switch (m.type) {
	case MSG_AUTH_QUERY:
		memset(&r, 0, sizeof(r));
		if (strcmp(m.u.auth_query.method, "publickey") == 0 &&
		    strcmp(m.u.auth_query.user, "dev") == 0 &&
		    strcmp(m.u.auth_query.keytype, "ssh-ed25519") == 0 &&
		    strcmp(m.u.auth_query.key, devkey()) == 0) {
			r.ok = true;
			strlcpy(r.tenant, "dev", sizeof(r.tenant));
			r.limits = lim;
		}
		/* "publickey dev ssh-ed25519 signed ssh-ed25519: ok" */
		buf_printf(&queries, "%s %s%s%s%s%s%s: %s\n",
		    m.u.auth_query.method, m.u.auth_query.user,
		    m.u.auth_query.keytype[0] != '\0' ? " " : "",
		    m.u.auth_query.keytype, m.u.auth_query.signed_ ?
		    " signed" : "", m.u.auth_query.sigalg[0] != '\0' ? " " : "",
		    m.u.auth_query.sigalg, r.ok ? "ok" : "refused");
		fs_send(x, MSG_AUTH_REPLY, &r, -1);
		break;
	case MSG_NEGOTIATED:
		buf_printf(&negotiated, "%s %s %s %s\n", m.u.negotiated.kex,
		    m.u.negotiated.cipher, m.u.negotiated.mac[0] != '\0' ?
		    m.u.negotiated.mac : "-", m.u.negotiated.client);
		break;
	case MSG_LOG:
		buf_printf(&x->logs, "%s\n", m.u.log.msg);
		break;
	case MSG_STATUS:
		x->nstatus++;
		break;
	case MSG_SESSION_END:
		buf_printf(&ends, "%s\n", m.u.session_end.reason);
		x->state = WS_STOPPING;
		break;
	default:
		cr_assert_fail("unexpected %s", msg_type_name(m.type));
	}
	msg_clear(&m);
}

/* What sshc polls for us while it waits: the listener, the channels. */
static int
serve_fds(struct pollfd *p, int max)
{
	int	 i, k = 0;

	p[k].fd = lfd;
	p[k++].events = POLLIN;
	for (i = 0; i < nw && k < max; i++) {
		p[k].fd = w[i].chan;
		p[k++].events = POLLIN;
	}
	return k;
}

static void
serve_ready(const struct pollfd *p, int n)
{
	int	 i;

	if (p[0].revents != 0)
		accept_one();
	for (i = 1; i < n; i++)
		if (p[i].revents != 0 && w[i - 1].chan != -1)
			answer(&w[i - 1]);
}

/* Wait for every worker's session_end; returns the reasons seen. */
static const char *
ended(int n)
{
	long long	 until = hd_now_ms() + T;
	int		 i, got;

	for (;;) {
		for (i = 0, got = 0; i < nw; i++)
			got += w[i].state == WS_STOPPING;
		if (got >= n || hd_now_ms() >= until)
			break;
		sshc_pump(NULL, 0, 50);
	}
	cr_assert_geq(got, n, "session_end: %d of %d; reasons so far: %s",
	    got, n, ends.data != NULL ? ends.data : "");
	return ends.data;
}

static const char hello_prog[] =
    ".data\nm: .asciiz 'Hello over ssh\\n'\n.code\nprts @m\nhlt\n";

/* --- the tests ------------------------------------------------------------ */

Test(ssh, run_prints_the_output_and_exits_0)
{
	struct sshc	 c;

	sshc_ssh(&c, &so, "dev", "dev", "run", hello_prog);
	cr_assert_eq(c.status, 0, "stderr: %s", c.e.data);
	cr_assert_str_eq(c.o.data, "Hello over ssh\n");
	cr_assert_str_eq(c.e.data, "");
	cr_assert_str_eq(ended(1), "quit\n");
	/* OpenSSH asks first, then signs; the supervisor logs the login. */
	cr_assert_str_eq(queries.data, "publickey dev ssh-ed25519: ok\n"
	    "publickey dev ssh-ed25519 signed ssh-ed25519: ok\n");
	cr_assert_null(strstr(w[0].logs.data, "accepted"), "%s",
	    w[0].logs.data);
	/* Once, after the key exchange: OpenSSH's first choices. */
	cr_assert_not_null(negotiated.data);
	cr_assert_eq(strncmp(negotiated.data, "curve25519-sha256 "
	    "chacha20-poly1305@openssh.com - SSH-2.0-OpenSSH_", 49), 0, "%s",
	    negotiated.data);
	cr_assert_eq(count(negotiated.data, "\n"), 1);
	sshc_free(&c);
}

Test(ssh, run_runtime_error_exits_1_with_the_error_on_stderr)
{
	struct sshc	 c;

	sshc_ssh(&c, &so, "dev", "dev", "run", "load $0 #1\nload $1 #0\n"
	    "div $0 $1 $2\n");
	cr_assert_eq(c.status, 1);
	cr_assert_str_eq(c.o.data, "");
	cr_assert_not_null(strstr(c.e.data, "<stdin>: division by zero at pc"),
	    "%s", c.e.data);
	sshc_free(&c);
}

Test(ssh, run_assembly_error_exits_65)
{
	struct sshc	 c;

	sshc_ssh(&c, &so, "dev", "dev", "run", "load $0 #1\nbogus $1\n");
	cr_assert_eq(c.status, 65);
	cr_assert_not_null(strstr(c.e.data, "<stdin>:2:1: "), "%s", c.e.data);
	sshc_free(&c);
}

Test(ssh, check_assembles_only)
{
	struct sshc	 c, d;

	sshc_ssh(&c, &so, "dev", "dev", "check", hello_prog);
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_str_eq(c.o.data, "", "check ran the program");
	sshc_ssh(&d, &so, "dev", "dev", "check", "hlt\nnope\n");
	cr_assert_eq(d.status, 65);
	cr_assert_not_null(strstr(d.e.data, "<stdin>:2:1: "), "%s", d.e.data);
	sshc_free(&c);
	sshc_free(&d);
}

Test(ssh, any_other_command_is_one_repl_line)
{
	struct sshc	 c, d;

	sshc_ssh(&c, &so, "dev", "dev", "!help", NULL);
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_not_null(strstr(c.o.data, "!quit"), "%s", c.o.data);
	sshc_ssh(&d, &so, "dev", "dev", "bogus $1", NULL);
	cr_assert_eq(d.status, 1, "a REPL error exits 1");
	sshc_free(&c);
	sshc_free(&d);
}

Test(ssh, interactive_session_with_a_pty)
{
	static const char *const tt[] = { "-tt", NULL };
	struct sshc	 c;
	struct sshc	*cs[1] = { &c };
	size_t		 seen = 0;

	lim.budget = BIG_BUDGET;
	sshc_start(&c, sshc_argv(&so, "dev", "dev", tt, NULL), NULL, 0, false,
	    true);
	sshc_pty_session(&c, &seen, T);
	/* ^C at the prompt drops the line; ^D on an empty line ends. */
	sshc_type(&c, "load $3 #7\x03");
	sshc_expect(&c, &seen, "^C\r\n" REPL_PROMPT, T);
	sshc_type(&c, "\x04");
	sshc_expect(&c, &seen, REPL_FAREWELL, T);
	sshc_finish(cs, 1, FINISH_MS);
	cr_assert_eq(c.status, 0);
	cr_assert_str_eq(ended(1), "quit\n");
	sshc_free(&c);
}

Test(ssh, a_wrong_key_is_refused)
{
	struct sshc	 c;

	sshc_ssh(&c, &so, "stranger", "dev", "run", hello_prog);
	cr_assert_eq(c.status, 255);
	cr_assert_not_null(strstr(c.e.data, "Permission denied (publickey)"),
	    "%s", c.e.data);
	cr_assert_str_eq(c.o.data, "");
	cr_assert_str_eq(ended(1), "auth\n");
	cr_assert_str_eq(queries.data, "publickey dev ssh-ed25519: refused\n");
	sshc_free(&c);
}

Test(ssh, an_unknown_user_looks_like_a_wrong_key)
{
	struct sshc	 a, b;
	long long	 t0, ta, tb;

	t0 = hd_now_ms();
	sshc_ssh(&a, &so, "stranger", "dev", "!help", NULL);
	ta = hd_now_ms() - t0;
	t0 = hd_now_ms();
	sshc_ssh(&b, &so, "dev", "nosuchtenant", "!help", NULL);
	tb = hd_now_ms() - t0;
	cr_assert_eq(a.status, 255);
	cr_assert_eq(b.status, 255);
	/* The same words, but for the user name the client repeats. */
	cr_assert_str_eq(strchr(a.e.data, ':'), strchr(b.e.data, ':'));
	/* Both wait out the failure delay (250 ms); neither much longer. */
	cr_assert(ta >= 250 && tb >= 250, "%lld ms, %lld ms", ta, tb);
	cr_assert(llabs(ta - tb) < 400, "%lld ms against %lld ms", ta, tb);
	cr_log_info("wrong key %lld ms, unknown user %lld ms", ta, tb);
	sshc_free(&a);
	sshc_free(&b);
}

Test(ssh, six_failures_end_the_connection)
{
	struct sshc	 c;
	const char	*opts[2 * 7 + 1];
	char		 keys[7][160];
	int		 n = 0, i;

	for (i = 0; i < 7; i++) {
		snprintf(keys[i], sizeof(keys[i]), "%s/x%d", dir, i);
		hd_sh("ssh-keygen -q -t ed25519 -N '' -f %s", keys[i]);
	}
	for (i = 0; i < 7; i++) {
		opts[n++] = "-i";
		opts[n++] = keys[i];
	}
	opts[n] = NULL;
	sshc_run(&c, sshc_argv(&so, "stranger", "dev", opts, "!help"), NULL);
	cr_assert_eq(c.status, 255);
	cr_assert_str_eq(ended(1), "auth\n");
	cr_assert_not_null(strstr(w[0].logs.data, "too many authentication "
	    "failures"), "%s", w[0].logs.data);
	/* Six refused, the seventh never asked about; the client is told. */
	cr_assert_eq(count(queries.data, ": refused\n"), 6, "%s",
	    queries.data);
	cr_assert_not_null(strstr(c.e.data, "Received disconnect from "
	    "127.0.0.1"), "%s", c.e.data);
	cr_assert_not_null(strstr(c.e.data, "Too many authentication "
	    "failures"), "%s", c.e.data);
	sshc_free(&c);
}

Test(ssh, a_silent_client_is_cut_at_the_grace_time)
{
	long long	 t0, t;
	char		 buf[512];
	ssize_t		 n;
	int		 fd;

	lim.login_grace = 2;	/* the session's, from the supervisor */
	t0 = hd_now_ms();
	cr_assert_neq(fd = tc_connect("127.0.0.1", port), -1);
	sshc_pump(NULL, 0, 500);
	cr_assert_eq(nw, 1);
	/* The server's banner, then nothing until it gives up. */
	cr_assert_str_eq(ended(1), "auth\n");
	t = hd_now_ms() - t0;
	cr_assert(t >= 1900 && t < 6000, "cut after %lld ms", t);
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0)
		buf[n] = '\0';
	cr_assert_eq(n, 0, "the connection was not closed");
	cr_assert_not_null(strstr(w[0].logs.data, "login grace time"), "%s",
	    w[0].logs.data);
	close(fd);
}

Test(ssh, four_mib_to_a_slow_reader_arrive_intact)
{
	struct sshc	 c;

	lim.outbuf_max = 65536;
	sshc_run_big(&c, sshc_argv(&so, "dev", "dev", NULL, "run"),
	    FINISH_MS);
	cr_assert_eq(c.status, 0, "status %d, %zu bytes, %s; logs:\n%s",
	    c.status, c.o.len, c.e.data, ended(1) != NULL ? w[0].logs.data :
	    "");
	sshc_assert_big(&c);
	sshc_free(&c);
}

Test(ssh, forwarding_channels_are_refused_and_the_session_goes_on)
{
	struct sshc	 c;
	struct sshc	*cs[1] = { &c };
	const char	*opts[3];
	char		 fwd[64];
	char		 buf[64];
	long long	 until;
	int		 fd, lport = hd_free_port();

	snprintf(fwd, sizeof(fwd), "127.0.0.1:%d:127.0.0.1:9", lport);
	opts[0] = "-L";
	opts[1] = fwd;
	opts[2] = NULL;
	/* stdin stays open: the session waits for the program. */
	sshc_start(&c, sshc_argv(&so, "dev", "dev", opts, "run"), NULL, 0, true,
	    false);
	until = hd_now_ms() + T;
	while (nw == 0 || w[0].logs.data == NULL ||
	    strstr(w[0].logs.data, "exec run") == NULL) {
		cr_assert_lt(hd_now_ms(), until, "no session");
		sshc_pump(cs, 1, 50);
	}
	cr_assert_neq(fd = tc_connect("127.0.0.1", lport), -1);
	while (strstr(w[0].logs.data, "refused a direct-tcpip channel") ==
	    NULL) {
		cr_assert_lt(hd_now_ms(), until, "no refusal: %s",
		    w[0].logs.data);
		sshc_pump(cs, 1, 50);
	}
	/* The forwarded connection is closed; the session is not. */
	cr_assert_leq(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	sshc_close_in(&c);
	sshc_finish(cs, 1, FINISH_MS);
	/* The empty program ran: the session outlived the refusal. */
	cr_assert_eq(c.status, 0, "the session did not finish (%d): %s",
	    c.status, c.e.data);
	cr_assert_not_null(strstr(c.e.data, "refused a direct-tcpip channel"),
	    "%s", c.e.data);
	sshc_free(&c);
}

Test(ssh, keyscan_shows_the_host_key)
{
	struct sshc	 c;
	char		*argv[8], p[16];

	snprintf(p, sizeof(p), "%d", port);
	argv[0] = (char *)(uintptr_t)"ssh-keyscan";
	argv[1] = (char *)(uintptr_t)"-t";
	argv[2] = (char *)(uintptr_t)"ed25519";
	argv[3] = (char *)(uintptr_t)"-p";
	argv[4] = p;
	argv[5] = (char *)(uintptr_t)"127.0.0.1";
	argv[6] = NULL;
	sshc_run(&c, argv, NULL);
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_not_null(strstr(c.o.data, hostpub), "%s", c.o.data);
	sshc_free(&c);
}

Test(ssh, ssh_audit_policy_passes)
{
	struct sshc	 c;
	char		*argv[10], p[16], policy[512];
	const char	*src = getenv("IRIDIUM_SRC");

	cr_assert_not_null(src, "IRIDIUM_SRC is not set");
	snprintf(policy, sizeof(policy), "%s/tests/ssh/policy.txt", src);
	snprintf(p, sizeof(p), "%d", port);
	argv[0] = (char *)(uintptr_t)"ssh-audit";
	argv[1] = (char *)(uintptr_t)"-P";
	argv[2] = policy;
	argv[3] = (char *)(uintptr_t)"-p";
	argv[4] = p;
	argv[5] = (char *)(uintptr_t)"127.0.0.1";
	argv[6] = NULL;
	sshc_run(&c, argv, NULL);
	cr_assert_eq(c.status, 0, "ssh-audit: %s%s", c.o.data, c.e.data);
	cr_assert_not_null(strstr(c.o.data, "Passed"), "%s", c.o.data);
	sshc_free(&c);
}

Test(ssh, the_sandbox_kills_a_forbidden_syscall)
{
	struct sshc	 c;

	wbin = "iridium-worker-ssh-test";
	sshc_ssh(&c, &so, "dev", "dev", "!test ptrace", NULL);
	cr_assert_eq(c.status, 255, "%s%s", c.o.data, c.e.data);
	cr_assert_eq(fs_exit_status(&w[0], T), -SIGSYS);
	sshc_free(&c);
}

Test(ssh, an_idle_ssh_worker_stays_small)
{
	static struct fs_worker	 line;
	struct fs_worker	*x;
	long			 ssh_kib, line_kib;

	x = spawn();
	fs_start(&line, fs_bin("iridium-worker"), NULL);
	usleep(200000);
	cr_assert_geq(ssh_kib = proc_status_num(x->pid, "VmRSS:"), 0);
	cr_assert_geq(line_kib = proc_status_num(line.pid, "VmRSS:"), 0);
	cr_log_info("idle worker RSS: ssh %ld KiB, line %ld KiB", ssh_kib,
	    line_kib);
	printf("idle worker RSS: ssh %ld KiB, line %ld KiB\n", ssh_kib,
	    line_kib);
	cr_assert_lt(ssh_kib, 32 * 1024);
	fs_cleanup(&line);
}

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
 * `ssh-keyscan` and `ssh-audit` talk to it.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <errno.h>
#include <fcntl.h>
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

/* An endless loop: jmpb $0 with $0 = 4 jumps to itself. */
#define PROG_LOOP	"!load\rload $0 #4\rloop: jmpb $0\r!end\r"

struct client {
	pid_t		 pid;
	int		 in, out, err;	/* pipes, or the pty master in out */
	struct buf	 input;		/* what to write to its stdin */
	size_t		 inoff;
	struct buf	 o, e;		/* its stdout, stderr */
	int		 status;	/* exit status, or 128 + signal */
	bool		 done;
	int		 slow_ms;	/* pause between reads of stdout */
};

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

static void
setup(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	char			*pub;

	signal(SIGPIPE, SIG_IGN);
	strcpy(dir, "/tmp/iridium-ssh-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	hd_sh("cd %s && ssh-keygen -q -t ed25519 -N '' -f host && "
	    "ssh-keygen -q -t ed25519 -N '' -f dev && "
	    "ssh-keygen -q -t ed25519 -N '' -f stranger", dir);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_neq(lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), -1);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(lfd, 8), 0);
	cr_assert_eq(getsockname(lfd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	so.dir = dir;
	so.port = port;
	pub = slurp(strcat(strcpy(hostpub, dir), "/host.pub"));
	pub[strcspn(pub, "\n")] = '\0';
	*strrchr(pub, ' ') = '\0';	/* the comment */
	strlcpy(hostpub, pub, sizeof(hostpub));
	free(pub);
	hd_sh("echo '[127.0.0.1]:%d %s' > %s/known_hosts", port, hostpub, dir);
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
	int	 i;

	for (i = 0; i < nw; i++)
		fs_cleanup(&w[i]);
	if (lfd != -1)
		close(lfd);
	buf_free(&ends);
	buf_free(&queries);
	buf_free(&negotiated);
	hd_sh("rm -rf %s", dir);
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

/* --- clients ------------------------------------------------------------- */

/* Start argv with stdin from input (or a pty when pty). */
static void
start(struct client *c, char *const argv[], const char *input, size_t len,
    bool pty)
{
	int	 pi[2], po[2], pe[2], m = -1, s;

	memset(c, 0, sizeof(*c));
	buf_init(&c->input, 0);
	buf_init(&c->o, 0);
	buf_init(&c->e, 0);
	if (input != NULL)
		buf_append(&c->input, input, len);
	if (pty) {
		cr_assert_neq(m = posix_openpt(O_RDWR | O_NOCTTY), -1);
		cr_assert_eq(grantpt(m), 0);
		cr_assert_eq(unlockpt(m), 0);
	} else
		cr_assert(pipe2(pi, O_CLOEXEC) == 0 &&
		    pipe2(po, O_CLOEXEC) == 0 && pipe2(pe, O_CLOEXEC) == 0);
	cr_assert_neq(c->pid = fork(), -1);
	if (c->pid == 0) {
		if (pty) {
			setsid();
			if ((s = open(ptsname(m), O_RDWR)) == -1)
				_exit(126);
			dup2(s, 0);
			dup2(s, 1);
			dup2(s, 2);
		} else {
			dup2(pi[0], 0);
			dup2(po[1], 1);
			dup2(pe[1], 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pty) {
		c->in = c->out = m;
		c->err = -1;
	} else {
		close(pi[0]);
		close(po[1]);
		close(pe[1]);
		c->in = pi[1];
		c->out = po[0];
		c->err = pe[0];
	}
	fcntl(c->in, F_SETFL, O_NONBLOCK);
	fcntl(c->out, F_SETFL, O_NONBLOCK);
	if (c->err != -1)
		fcntl(c->err, F_SETFL, O_NONBLOCK);
	if (c->input.len == 0 && !pty) {
		close(c->in);
		c->in = -1;
	}
}

static void
reap(struct client *c)
{
	int	 st;

	if (c->done || waitpid(c->pid, &st, WNOHANG) != c->pid)
		return;
	c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	c->done = true;
}

/*
 * One round of everything: connections, workers' messages, the
 * clients' pipes. Returns after at most ms.
 */
static void
pump(struct client **cs, int ncs, int ms)
{
	struct pollfd	 p[NWORKERS + 1 + 8 * 3];
	char		 tmp[16384];
	ssize_t		 n;
	int		 i, k = 0, j;

	p[k].fd = lfd;
	p[k++].events = POLLIN;
	for (i = 0; i < nw; i++) {
		p[k].fd = w[i].chan;
		p[k++].events = POLLIN;
	}
	for (i = 0; i < ncs; i++) {
		p[k].fd = cs[i]->out;
		p[k++].events = cs[i]->slow_ms > 0 ? 0 : POLLIN;
		p[k].fd = cs[i]->err;
		p[k++].events = POLLIN;
		p[k].fd = cs[i]->in;
		p[k++].events = cs[i]->inoff < cs[i]->input.len ? POLLOUT : 0;
	}
	for (i = 0; i < ncs; i++)
		if (cs[i]->slow_ms > 0 && ms > cs[i]->slow_ms)
			ms = cs[i]->slow_ms;
	if (poll(p, (nfds_t)k, ms) <= 0)
		goto slow;
	if (p[0].revents != 0)
		accept_one();
	for (i = 0; i < nw; i++)
		if (p[1 + i].revents != 0 && w[i].chan != -1)
			answer(&w[i]);
	for (i = 0, j = 1 + nw; i < ncs; i++, j += 3) {
		if ((p[j].revents & (POLLIN | POLLHUP)) != 0 &&
		    (n = read(cs[i]->out, tmp, sizeof(tmp))) > 0)
			buf_append(&cs[i]->o, tmp, (size_t)n);
		if ((p[j + 1].revents & (POLLIN | POLLHUP)) != 0 &&
		    (n = read(cs[i]->err, tmp, sizeof(tmp))) > 0)
			buf_append(&cs[i]->e, tmp, (size_t)n);
		if ((p[j + 2].revents & POLLOUT) != 0) {
			n = write(cs[i]->in, cs[i]->input.data + cs[i]->inoff,
			    cs[i]->input.len - cs[i]->inoff);
			if (n > 0)
				cs[i]->inoff += (size_t)n;
			if (cs[i]->inoff == cs[i]->input.len &&
			    cs[i]->err != -1) {
				close(cs[i]->in);	/* stdin's EOF */
				cs[i]->in = -1;
			}
		}
	}
slow:
	for (i = 0; i < ncs; i++) {
		if (cs[i]->slow_ms > 0) {
			/* A slow reader: a little now and then. */
			usleep((useconds_t)cs[i]->slow_ms * 1000);
			while ((n = read(cs[i]->out, tmp, 8192)) == -1 &&
			    errno == EINTR)
				continue;
			if (n > 0)
				buf_append(&cs[i]->o, tmp, (size_t)n);
		}
		reap(cs[i]);
	}
}

/* Pump until every client has exited and its pipes are drained. */
/* Read fd to EOF into b (the writer has exited). */
static void
drain(int fd, struct buf *b)
{
	char	 tmp[16384];
	ssize_t	 n;

	if (fd == -1)
		return;
	for (;;) {
		n = read(fd, tmp, sizeof(tmp));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		buf_append(b, tmp, (size_t)n);
	}
}

static void
finish(struct client **cs, int ncs)
{
	long long	 until = fs_now_ms() + 60000;
	int		 i, left;

	do {
		pump(cs, ncs, 50);
		for (i = 0, left = 0; i < ncs; i++)
			left += !cs[i]->done;
	} while (left > 0 && fs_now_ms() < until);
	cr_assert_eq(left, 0, "a client did not exit");
	pump(cs, ncs, 200);
	for (i = 0; i < ncs; i++) {
		/*
		 * The client has exited: its pipes hold what it wrote that
		 * we (a slow reader, say) have not read yet. Read to EOF;
		 * one read per pump would leave up to a pipe's worth behind.
		 */
		cs[i]->slow_ms = 0;
		drain(cs[i]->out, &cs[i]->o);
		drain(cs[i]->err, &cs[i]->e);
		buf_putc(&cs[i]->o, '\0');
		cs[i]->o.len--;
		buf_putc(&cs[i]->e, '\0');
		cs[i]->e.len--;
	}
}

/* Wait for every worker's session_end; returns the reasons seen. */
static const char *
ended(int n)
{
	long long	 until = fs_now_ms() + T;
	int		 i, got;

	for (;;) {
		for (i = 0, got = 0; i < nw; i++)
			got += w[i].state == WS_STOPPING;
		if (got >= n || fs_now_ms() >= until)
			break;
		pump(NULL, 0, 50);
	}
	cr_assert_geq(got, n, "session_end: %d of %d; reasons so far: %s",
	    got, n, ends.data != NULL ? ends.data : "");
	return ends.data;
}

static void
client_free(struct client *c)
{
	if (!c->done) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->in != -1 && c->in != c->out)
		close(c->in);
	close(c->out);
	if (c->err != -1)
		close(c->err);
	buf_free(&c->input);
	buf_free(&c->o);
	buf_free(&c->e);
}

/* ssh as user with key, running cmd (NULL: none) with input on stdin. */
static void
ssh_run(struct client *c, const char *key, const char *user, const char *cmd,
    const char *input)
{
	struct client	*cs[1] = { c };

	start(c, sshc_argv(&so, key, user, NULL, cmd), input,
	    input != NULL ? strlen(input) : 0, false);
	finish(cs, 1);
}

static const char hello_prog[] =
    ".data\nm: .asciiz 'Hello over ssh\\n'\n.code\nprts @m\nhlt\n";

/* --- the tests ------------------------------------------------------------ */

Test(ssh, run_prints_the_output_and_exits_0)
{
	struct client	 c;

	ssh_run(&c, "dev", "dev", "run", hello_prog);
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
	client_free(&c);
}

Test(ssh, run_runtime_error_exits_1_with_the_error_on_stderr)
{
	struct client	 c;

	ssh_run(&c, "dev", "dev", "run", "load $0 #1\nload $1 #0\n"
	    "div $0 $1 $2\n");
	cr_assert_eq(c.status, 1);
	cr_assert_str_eq(c.o.data, "");
	cr_assert_not_null(strstr(c.e.data, "<stdin>: division by zero at pc"),
	    "%s", c.e.data);
	client_free(&c);
}

Test(ssh, run_assembly_error_exits_65)
{
	struct client	 c;

	ssh_run(&c, "dev", "dev", "run", "load $0 #1\nbogus $1\n");
	cr_assert_eq(c.status, 65);
	cr_assert_not_null(strstr(c.e.data, "<stdin>:2:1: "), "%s", c.e.data);
	client_free(&c);
}

Test(ssh, check_assembles_only)
{
	struct client	 c, d;

	ssh_run(&c, "dev", "dev", "check", hello_prog);
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_str_eq(c.o.data, "", "check ran the program");
	ssh_run(&d, "dev", "dev", "check", "hlt\nnope\n");
	cr_assert_eq(d.status, 65);
	cr_assert_not_null(strstr(d.e.data, "<stdin>:2:1: "), "%s", d.e.data);
	client_free(&c);
	client_free(&d);
}

Test(ssh, any_other_command_is_one_repl_line)
{
	struct client	 c, d;

	ssh_run(&c, "dev", "dev", "!help", NULL);
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_not_null(strstr(c.o.data, "!quit"), "%s", c.o.data);
	ssh_run(&d, "dev", "dev", "bogus $1", NULL);
	cr_assert_eq(d.status, 1, "a REPL error exits 1");
	client_free(&c);
	client_free(&d);
}

/* Read the pty until want shows up after *seen. */
static void
pty_expect(struct client *c, size_t *seen, const char *want)
{
	struct client	*cs[1] = { c };
	long long	 until = fs_now_ms() + T;
	const char	*hit;

	for (;;) {
		if (c->o.len > *seen && (hit = memmem(c->o.data + *seen,
		    c->o.len - *seen, want, strlen(want))) != NULL) {
			*seen = (size_t)(hit - c->o.data) + strlen(want);
			return;
		}
		cr_assert_lt(fs_now_ms(), until, "no \"%s\" on the pty; got:\n"
		    "%.*s", want, (int)c->o.len, c->o.data);
		pump(cs, 1, 50);
	}
}

static void
pty_type(struct client *c, const char *s)
{
	cr_assert_eq(write(c->out, s, strlen(s)), (ssize_t)strlen(s));
}

Test(ssh, interactive_session_with_a_pty)
{
	static const char *const tt[] = { "-tt", NULL };
	struct client	 c;
	struct client	*cs[1] = { &c };
	size_t		 seen = 0;

	lim.budget = BIG_BUDGET;
	start(&c, sshc_argv(&so, "dev", "dev", tt, NULL), NULL, 0, true);
	pty_expect(&c, &seen, REPL_BANNER "\r\n" REPL_PROMPT);
	/* Typed text is echoed; DEL erases the X. */
	pty_type(&c, "load $1 #42\r");
	pty_expect(&c, &seen, "load $1 #42\r\n" REPL_PROMPT);
	pty_type(&c, "load $2 #5X\x7f\r");
	pty_expect(&c, &seen, "X\b \b\r\n" REPL_PROMPT);
	pty_type(&c, "!registers\r");
	pty_expect(&c, &seen, "$1           42  $2            5");
	pty_expect(&c, &seen, REPL_PROMPT);
	/* ^C stops an endless loop; the session goes on. */
	pty_type(&c, PROG_LOOP);
	pty_expect(&c, &seen, "loaded 2 instructions");
	usleep(300000);
	cr_assert_null(memmem(c.o.data, c.o.len, "interrupted", 11));
	pty_type(&c, "\x03");
	pty_expect(&c, &seen, "interrupted at pc");
	pty_expect(&c, &seen, REPL_PROMPT);
	/* ^C at the prompt drops the line; ^D on an empty line ends. */
	pty_type(&c, "load $3 #7\x03");
	pty_expect(&c, &seen, "^C\r\n" REPL_PROMPT);
	pty_type(&c, "\x04");
	pty_expect(&c, &seen, REPL_FAREWELL);
	finish(cs, 1);
	cr_assert_eq(c.status, 0);
	cr_assert_str_eq(ended(1), "quit\n");
	client_free(&c);
}

Test(ssh, a_wrong_key_is_refused)
{
	struct client	 c;

	ssh_run(&c, "stranger", "dev", "run", hello_prog);
	cr_assert_eq(c.status, 255);
	cr_assert_not_null(strstr(c.e.data, "Permission denied (publickey)"),
	    "%s", c.e.data);
	cr_assert_str_eq(c.o.data, "");
	cr_assert_str_eq(ended(1), "auth\n");
	cr_assert_str_eq(queries.data, "publickey dev ssh-ed25519: refused\n");
	client_free(&c);
}

Test(ssh, an_unknown_user_looks_like_a_wrong_key)
{
	struct client	 a, b;
	long long	 t0, ta, tb;

	t0 = fs_now_ms();
	ssh_run(&a, "stranger", "dev", "!help", NULL);
	ta = fs_now_ms() - t0;
	t0 = fs_now_ms();
	ssh_run(&b, "dev", "nosuchtenant", "!help", NULL);
	tb = fs_now_ms() - t0;
	cr_assert_eq(a.status, 255);
	cr_assert_eq(b.status, 255);
	/* The same words, but for the user name the client repeats. */
	cr_assert_str_eq(strchr(a.e.data, ':'), strchr(b.e.data, ':'));
	/* Both wait out the failure delay (250 ms); neither much longer. */
	cr_assert(ta >= 250 && tb >= 250, "%lld ms, %lld ms", ta, tb);
	cr_assert(llabs(ta - tb) < 400, "%lld ms against %lld ms", ta, tb);
	cr_log_info("wrong key %lld ms, unknown user %lld ms", ta, tb);
	client_free(&a);
	client_free(&b);
}

Test(ssh, six_failures_end_the_connection)
{
	struct client	 c;
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
	start(&c, sshc_argv(&so, "stranger", "dev", opts, "!help"), NULL, 0,
	    false);
	{
		struct client	*cs[1] = { &c };

		finish(cs, 1);
	}
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
	client_free(&c);
}

Test(ssh, a_silent_client_is_cut_at_the_grace_time)
{
	struct sockaddr_in	 sin;
	long long		 t0, t;
	char			 buf[512];
	ssize_t			 n;
	int			 fd;

	lim.login_grace = 2;	/* the session's, from the supervisor */
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	cr_assert_neq(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	t0 = fs_now_ms();
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	pump(NULL, 0, 500);
	cr_assert_eq(nw, 1);
	/* The server's banner, then nothing until it gives up. */
	cr_assert_str_eq(ended(1), "auth\n");
	t = fs_now_ms() - t0;
	cr_assert(t >= 1900 && t < 6000, "cut after %lld ms", t);
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0)
		buf[n] = '\0';
	cr_assert_eq(n, 0, "the connection was not closed");
	cr_assert_not_null(strstr(w[0].logs.data, "login grace time"), "%s",
	    w[0].logs.data);
	close(fd);
}

/* 65536 lines of 64 bytes: 4 MiB. */
static const char big_prog[] =
    ".data\nl: .asciiz '0123456789abcdefghijklmnopqrstuvwxyz"
    "ABCDEFGHIJKLMNOPQRSTUVWXYZ!\\n'\n.code\ncloop #65535\nt: prts @l\n"
    "loop @t\nhlt\n";

Test(ssh, four_mib_to_a_slow_reader_arrive_intact)
{
	struct client	 c;
	struct client	*cs[1] = { &c };
	const char	*line = "0123456789abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ!\n";
	size_t		 i;

	lim.outbuf_max = 65536;
	start(&c, sshc_argv(&so, "dev", "dev", NULL, "run"), big_prog,
	    strlen(big_prog), false);
	c.slow_ms = 2;
	finish(cs, 1);
	cr_assert_eq(c.status, 0, "status %d, %zu bytes, %s; logs:\n%s",
	    c.status, c.o.len, c.e.data, ended(1) != NULL ? w[0].logs.data :
	    "");
	cr_assert_eq(c.o.len, 4u << 20, "%zu bytes", c.o.len);
	for (i = 0; i < c.o.len; i += 64)
		cr_assert_eq(memcmp(c.o.data + i, line, 64), 0, "at %zu", i);
	client_free(&c);
}

Test(ssh, forwarding_channels_are_refused_and_the_session_goes_on)
{
	struct sockaddr_in	 sin;
	struct client		 c;
	struct client		*cs[1] = { &c };
	const char		*opts[3];
	char			 fwd[64];
	char			 buf[64];
	long long		 until;
	int			 n = 0, fd, lport = port + 1, i;

	/* A free port for -L: try a few near ours. */
	for (i = 0; i < 20; i++, lport++) {
		cr_assert_neq(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		sin.sin_port = htons((uint16_t)lport);
		n = bind(fd, (struct sockaddr *)&sin, sizeof(sin));
		close(fd);
		if (n == 0)
			break;
	}
	snprintf(fwd, sizeof(fwd), "127.0.0.1:%d:127.0.0.1:9", lport);
	opts[0] = "-L";
	opts[1] = fwd;
	opts[2] = NULL;
	/* stdin stays open: the session waits for the program. */
	start(&c, sshc_argv(&so, "dev", "dev", opts, "run"), "x", 1, false);
	c.inoff = 1;
	until = fs_now_ms() + T;
	while (nw == 0 || w[0].logs.data == NULL ||
	    strstr(w[0].logs.data, "exec run") == NULL) {
		cr_assert_lt(fs_now_ms(), until, "no session");
		pump(cs, 1, 50);
	}
	cr_assert_neq(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	while (strstr(w[0].logs.data, "refused a direct-tcpip channel") ==
	    NULL) {
		cr_assert_lt(fs_now_ms(), until, "no refusal: %s",
		    w[0].logs.data);
		pump(cs, 1, 50);
	}
	/* The forwarded connection is closed; the session is not. */
	cr_assert_leq(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	close(c.in);
	c.in = -1;
	finish(cs, 1);
	/* The empty program ran: the session outlived the refusal. */
	cr_assert_eq(c.status, 0, "the session did not finish (%d): %s",
	    c.status, c.e.data);
	cr_assert_not_null(strstr(c.e.data, "refused a direct-tcpip channel"),
	    "%s", c.e.data);
	client_free(&c);
}

Test(ssh, keyscan_shows_the_host_key)
{
	struct client	 c;
	struct client	*cs[1] = { &c };
	char		*argv[8], p[16];

	snprintf(p, sizeof(p), "%d", port);
	argv[0] = (char *)(uintptr_t)"ssh-keyscan";
	argv[1] = (char *)(uintptr_t)"-t";
	argv[2] = (char *)(uintptr_t)"ed25519";
	argv[3] = (char *)(uintptr_t)"-p";
	argv[4] = p;
	argv[5] = (char *)(uintptr_t)"127.0.0.1";
	argv[6] = NULL;
	start(&c, argv, NULL, 0, false);
	finish(cs, 1);
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_not_null(strstr(c.o.data, hostpub), "%s", c.o.data);
	client_free(&c);
}

Test(ssh, ssh_audit_policy_passes)
{
	struct client	 c;
	struct client	*cs[1] = { &c };
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
	start(&c, argv, NULL, 0, false);
	finish(cs, 1);
	cr_assert_eq(c.status, 0, "ssh-audit: %s%s", c.o.data, c.e.data);
	cr_assert_not_null(strstr(c.o.data, "Passed"), "%s", c.o.data);
	client_free(&c);
}

Test(ssh, the_sandbox_kills_a_forbidden_syscall)
{
	struct client	 c;

	wbin = "iridium-worker-ssh-test";
	ssh_run(&c, "dev", "dev", "!test ptrace", NULL);
	cr_assert_eq(c.status, 255, "%s%s", c.o.data, c.e.data);
	cr_assert_eq(fs_exit_status(&w[0], T), -SIGSYS);
	client_free(&c);
}

/* VmRSS of pid, in KiB. */
static long
rss_kib(pid_t pid)
{
	char	 path[64], *s, *p;
	long	 kib;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	s = slurp(path);
	cr_assert_not_null(p = strstr(s, "VmRSS:"));
	kib = strtol(p + 6, NULL, 10);
	free(s);
	return kib;
}

Test(ssh, an_idle_ssh_worker_stays_small)
{
	struct fs_worker	*x;
	struct fs_worker	 line;
	long			 ssh_kib, line_kib;

	x = spawn();
	fs_start(&line, fs_bin("iridium-worker"), NULL);
	usleep(200000);
	ssh_kib = rss_kib(x->pid);
	line_kib = rss_kib(line.pid);
	cr_log_info("idle worker RSS: ssh %ld KiB, line %ld KiB", ssh_kib,
	    line_kib);
	printf("idle worker RSS: ssh %ld KiB, line %ld KiB\n", ssh_kib,
	    line_kib);
	cr_assert_lt(ssh_kib, 32 * 1024);
	fs_cleanup(&line);
}

/*
 * fakesup.c: a fake supervisor for the worker's integration tests (see
 * fakesup.h).
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "buf.h"
#include "fakesup.h"
#include "harness.h"
#include "msg.h"

/* Room the worker's process title is written into. */
#define FS_PADDING \
    "                                                                "

/* fs_cleanup and cl_close for hd_defer. */
static void
end_worker(void *w)
{
	fs_cleanup(w);
}

static void
end_client(void *c)
{
	cl_close(c);
}

long long
fs_now_ms(void)
{
	return hd_now_ms();
}

const char *
fs_bin(const char *name)
{
	const char	*p;

	cr_assert_not_null(getenv("IRIDIUM_BUILD"), "IRIDIUM_BUILD is not "
	    "set (run the tests through make)");
	p = hd_bin(name);
	cr_assert_eq(access(p, X_OK), 0, "%s: %s", p, strerror(errno));
	return p;
}

/*
 * A uid and gid for the next worker, of its own within this test
 * process's slice of the tests' uids (harness.h), held until it exits.
 */
static int64_t
own_uid(void)
{
	static char	 range[32];
	static unsigned	 next;
	unsigned long	 first, last;

	if (range[0] == '\0')
		(void)hd_uids_take(range, sizeof(range));
	cr_assert_eq(sscanf(range, "%lu-%lu", &first, &last), 2);
	return (int64_t)(first + next++ % (last - first + 1));
}

void
fs_hello_init(struct fs_worker *w, struct msg_hello *h)
{
	memset(h, 0, sizeof(*h));
	strlcpy(h->build, "test-build", sizeof(h->build));
	strlcpy(h->transport, "line", sizeof(h->transport));
	strlcpy(h->listener, "test", sizeof(h->listener));
	msg_limits_default(&h->limits);
	h->log_level = 7;
	/* Set it to see which syscall a sandboxed worker was refused. */
	h->sandbox_debug = getenv("IRIDIUM_SANDBOX_DEBUG") != NULL;
	h->uid = h->gid = -1;
	if (geteuid() == 0) {
		/* What iridiumd does as root: a uid of its own, a chroot. */
		h->uid = h->gid = own_uid();
		if (w->root[0] == '\0') {
			strlcpy(w->root, "/tmp/iridium-wroot-XXXXXX",
			    sizeof(w->root));
			cr_assert_not_null(mkdtemp(w->root));
			chmod(w->root, 0755);
		}
		strlcpy(h->chroot, w->root, sizeof(h->chroot));
	}
}

void
fs_spawn(struct fs_worker *w, const char *bin)
{
	char *const	 argv[] = { (char *)(uintptr_t)"iridium-worker",
	    (char *)(uintptr_t)FS_PADDING, NULL };
	/* Leak detection needs ptrace, which the sandbox forbids. */
	char *const	 envp[] = { (char *)(uintptr_t)"PATH=/usr/bin:/bin",
	    (char *)(uintptr_t)"ASAN_OPTIONS=detect_leaks=0", NULL };
	sigset_t	 all;
	int		 sv[2], ep[2], devnull, high;

	memset(w, 0, sizeof(*w));
	w->chan = w->errfd = -1;
	w->state = WS_STARTING;
	hd_defer(end_worker, w);
	buf_init(&w->logs, 0);
	buf_init(&w->err, 0);
	signal(SIGPIPE, SIG_IGN);
	/*
	 * A pipe, as iridiumd gives debug and sanitizer builds: the sandbox
	 * sets RLIMIT_FSIZE to 0, so a file would kill the worker with
	 * SIGXFSZ at its first write.
	 */
	cr_assert_eq(pipe2(ep, O_CLOEXEC), 0);
	w->errfd = ep[0];
	fcntl(w->errfd, F_SETFL, O_NONBLOCK);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
	    sv), 0);
	cr_assert_neq(w->pid = fork(), -1);
	if (w->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		/* Out of the way of 0..3 first, then into place. */
		if ((high = fcntl(sv[1], F_DUPFD_CLOEXEC, 64)) == -1 ||
		    (devnull = open("/dev/null", O_RDWR)) == -1 ||
		    dup2(devnull, 0) == -1 || dup2(devnull, 1) == -1 ||
		    dup2(ep[1], 2) == -1 || dup2(high, MSG_CHAN_FD) == -1)
			_exit(126);
		close_range(MSG_CHAN_FD + 1, ~0U, 0);
		sigfillset(&all);
		sigprocmask(SIG_UNBLOCK, &all, NULL);
		signal(SIGPIPE, SIG_DFL);
		execve(bin, argv, envp);
		_exit(127);
	}
	close(sv[1]);
	close(ep[1]);
	w->chan = sv[0];
}

/* Take what the worker wrote to stderr, so the pipe never fills. */
static void
fs_pump(struct fs_worker *w)
{
	char	 tmp[4096];
	ssize_t	 n;

	while (w->errfd != -1 && (n = read(w->errfd, tmp, sizeof(tmp))) > 0)
		buf_append(&w->err, tmp, (size_t)n);
}

void
fs_send(struct fs_worker *w, enum msg_type type, const void *body, int fd)
{
	char	 err[256] = "";

	cr_assert_eq(msg_send(w->chan, type, body, fd, 0, err, sizeof(err)),
	    0, "send %s: %s %s", msg_type_name(type), err, strerror(errno));
}

int
fs_recv(struct fs_worker *w, struct msg *m, int timeout_ms, char *err,
    size_t errlen)
{
	struct pollfd	 pfd;
	int		 n;

	fs_pump(w);
	pfd.fd = w->chan;
	pfd.events = POLLIN;
	if ((n = poll(&pfd, 1, timeout_ms)) == 0)
		return 0;
	cr_assert_gt(n, 0, "poll: %s", strerror(errno));
	n = msg_recv(w->chan, MSG_FROM_WORKER, w->state, m, err, errlen);
	cr_assert_neq(n, -1, "recv: %s", strerror(errno));
	return n == 0 ? -1 : n == -2 ? -2 : 1;
}

void
fs_expect(struct fs_worker *w, enum msg_type type, struct msg *m,
    int timeout_ms)
{
	long long	 until = fs_now_ms() + timeout_ms, left;
	char		 err[512];
	char		*e;
	int		 n;

	for (;;) {
		left = until - fs_now_ms();
		n = fs_recv(w, m, left > 0 ? (int)left : 0, err, sizeof(err));
		if (n != 1) {
			e = fs_stderr(w);
			cr_assert_fail("waiting for %s: %s%s; worker stderr:\n"
			    "%s\nlogs:\n%s", msg_type_name(type), n == 0 ?
			    "timeout" : n == -1 ? "EOF" : "bad message: ",
			    n == -2 ? err : "", e, w->logs.data != NULL ?
			    w->logs.data : "");
			free(e);
		}
		if (m->type == type)
			return;
		if (m->type == MSG_LOG)
			buf_printf(&w->logs, "%s\n", m->u.log.msg);
		else if (m->type == MSG_STATUS)
			w->nstatus++;
		else
			cr_assert_fail("waiting for %s: got %s",
			    msg_type_name(type), msg_type_name(m->type));
		msg_clear(m);
	}
}

void
fs_expect_log(struct fs_worker *w, const char *needle, int timeout_ms)
{
	long long	 until = fs_now_ms() + timeout_ms, left;
	struct msg	 m;
	char		 err[512];
	int		 n;

	while (w->logs.data == NULL || strstr(w->logs.data, needle) == NULL) {
		left = until - fs_now_ms();
		n = fs_recv(w, &m, left > 0 ? (int)left : 0, err, sizeof(err));
		cr_assert_eq(n, 1, "waiting for log \"%s\": %s; logs:\n%s",
		    needle, n == 0 ? "timeout" : n == -1 ? "EOF" : err,
		    w->logs.data != NULL ? w->logs.data : "");
		if (m.type == MSG_LOG)
			buf_printf(&w->logs, "%s\n", m.u.log.msg);
		else if (m.type == MSG_STATUS)
			w->nstatus++;
		msg_clear(&m);
	}
}

void
fs_start(struct fs_worker *w, const char *bin,
    const struct msg_limits *ceilings)
{
	struct msg	 m;

	fs_spawn(w, bin);
	fs_hello_init(w, &w->hello);
	if (ceilings != NULL)
		w->hello.limits = *ceilings;
	fs_send(w, MSG_HELLO, &w->hello, -1);
	fs_expect(w, MSG_READY, &m, FS_TIMEOUT);
	cr_assert_eq(m.u.ready.pid, w->pid);
	msg_clear(&m);
	w->state = WS_IDLE;
}

void
cl_connect(struct fs_client *c, int *server, const struct fs_opts *o)
{
	struct sockaddr_in	 sin;
	int			 lfd, fd, port;

	lfd = tc_listen(&port);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	cr_assert_neq(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), -1);
	if (o != NULL && o->client_rcvbuf != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &o->client_rcvbuf,
		    sizeof(o->client_rcvbuf));
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_neq(*server = accept4(lfd, NULL, NULL, SOCK_CLOEXEC), -1);
	if (o != NULL && o->server_sndbuf != 0)
		setsockopt(*server, SOL_SOCKET, SO_SNDBUF, &o->server_sndbuf,
		    sizeof(o->server_sndbuf));
	close(lfd);
	cl_open(c, fd);
}

void
cl_open(struct fs_client *c, int fd)
{
	memset(c, 0, sizeof(*c));
	buf_init(&c->in, 0);
	c->fd = fd;
	c->port = tc_local_port(fd);
	cr_assert_gt(c->port, 0);
	hd_defer(end_client, c);
}

void
fs_session(struct fs_worker *w, const struct msg_limits *lim,
    struct fs_client *c, const struct fs_opts *o)
{
	struct msg_session	 s;
	struct msg		 m;
	int			 server;

	cl_connect(c, &server, o);
	memset(&s, 0, sizeof(s));
	s.id = 17;
	strlcpy(s.listener, "test", sizeof(s.listener));
	snprintf(s.peer, sizeof(s.peer), "127.0.0.1:%d", c->port);
	strlcpy(s.transport, "line", sizeof(s.transport));
	strlcpy(s.tenant, "anonymous", sizeof(s.tenant));
	if (lim != NULL)
		s.limits = *lim;
	else
		msg_limits_default(&s.limits);
	fs_send(w, MSG_SESSION, &s, server);
	close(server);
	w->state = WS_BUSY;
	fs_expect(w, MSG_STATUS, &m, FS_TIMEOUT);
	cr_assert_str_eq(m.u.status.state, "busy");
	msg_clear(&m);
}

bool
fs_wait(struct fs_worker *w, int timeout_ms)
{
	long long	 until = fs_now_ms() + timeout_ms;
	pid_t		 p;

	while (!w->reaped) {
		p = waitpid(w->pid, &w->status, WNOHANG);
		if (p == w->pid) {
			w->reaped = true;
			break;
		}
		fs_pump(w);
		if (fs_now_ms() >= until)
			return false;
		usleep(10000);
	}
	return true;
}

int
fs_exit_status(struct fs_worker *w, int timeout_ms)
{
	char	*e;

	if (!fs_wait(w, timeout_ms)) {
		e = fs_stderr(w);
		cr_assert_fail("worker %d still running; stderr:\n%s",
		    (int)w->pid, e);
		free(e);
	}
	if (WIFSIGNALED(w->status))
		return -WTERMSIG(w->status);
	return WEXITSTATUS(w->status);
}

void
fs_expect_exit(struct fs_worker *w, int status, int timeout_ms)
{
	char	*e;
	int	 st;

	if ((st = fs_exit_status(w, timeout_ms)) != status) {
		e = fs_stderr(w);
		cr_assert_fail("worker exit status %d (negative: a signal), "
		    "expected %d; stderr:\n%s", st, status, e);
		free(e);
	}
}

void
fs_expect_end(struct fs_worker *w, const char *reason,
    struct msg_counters *out)
{
	struct msg	 m;

	fs_expect(w, MSG_SESSION_END, &m, FS_TIMEOUT);
	cr_assert_str_eq(m.u.session_end.reason, reason);
	if (out != NULL)
		*out = m.u.session_end.counters;
	msg_clear(&m);
	fs_expect_exit(w, 0, FS_TIMEOUT);
}

char *
fs_stderr(struct fs_worker *w)
{
	fs_pump(w);
	return strdup(w->err.data != NULL ? w->err.data : "");
}

void
fs_cleanup(struct fs_worker *w)
{
	if (w->pid > 0 && !w->reaped) {
		kill(w->pid, SIGKILL);
		fs_wait(w, FS_TIMEOUT);
	}
	if (w->chan != -1)
		close(w->chan);
	w->chan = -1;
	if (w->errfd != -1)
		close(w->errfd);
	w->errfd = -1;
	buf_free(&w->err);
	if (w->root[0] != '\0')
		rmdir(w->root);
	buf_free(&w->logs);
	hd_undefer(end_worker, w);
}

/* --- the client ------------------------------------------------------ */

void
cl_send(struct fs_client *c, const void *p, size_t n)
{
	const char	*q = p;
	ssize_t		 k;

	while (n > 0) {
		k = send(c->fd, q, n, MSG_NOSIGNAL);
		cr_assert_gt(k, 0, "send to worker: %s", strerror(errno));
		q += k;
		n -= (size_t)k;
	}
}

void
cl_puts(struct fs_client *c, const char *s)
{
	cl_send(c, s, strlen(s));
}

/* Read once, waiting up to ms; false at EOF or timeout. */
static bool
cl_read(struct fs_client *c, int ms)
{
	struct pollfd	 pfd;
	char		 tmp[65536];
	ssize_t		 n;

	if (c->eof)
		return false;
	pfd.fd = c->fd;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) <= 0)
		return false;
	n = recv(c->fd, tmp, sizeof(tmp), 0);
	if (n <= 0) {
		c->eof = true;
		return false;
	}
	buf_append(&c->in, tmp, (size_t)n);
	return true;
}

/* What came, printable, for a failure message (malloc'd). */
static char *
cl_show(const struct fs_client *c, size_t from)
{
	struct buf	 b;
	size_t		 i, start = c->in.len - from > 3000 ? c->in.len - 3000 :
			    from;
	unsigned char	 ch;

	buf_init(&b, 0);
	for (i = start; i < c->in.len; i++) {
		ch = (unsigned char)c->in.data[i];
		if (ch == '\n' || (ch >= 0x20 && ch < 0x7f))
			buf_putc(&b, (char)ch);
		else
			buf_printf(&b, "\\x%02x", ch);
	}
	return buf_steal(&b);
}

const char *
cl_expectn(struct fs_client *c, const void *needle, size_t len,
    int timeout_ms)
{
	long long	 until = fs_now_ms() + timeout_ms, left;
	const char	*hit;
	char		*shown;

	for (;;) {
		if (c->in.len >= c->seen + len && (hit = memmem(c->in.data +
		    c->seen, c->in.len - c->seen, needle, len)) != NULL) {
			c->seen = (size_t)(hit - c->in.data) + len;
			return hit;
		}
		left = until - fs_now_ms();
		if (left <= 0 || (!cl_read(c, (int)left) && c->eof)) {
			shown = cl_show(c, c->seen);
			cr_assert_fail("expected \"%.*s\" from the worker%s; "
			    "got:\n%s", (int)len, (const char *)needle,
			    c->eof ? " before EOF" : "", shown);
			free(shown);
		}
	}
}

const char *
cl_expect(struct fs_client *c, const char *needle, int timeout_ms)
{
	return cl_expectn(c, needle, strlen(needle), timeout_ms);
}

void
cl_drain(struct fs_client *c, int ms)
{
	long long	 until = fs_now_ms() + ms, left;

	while ((left = until - fs_now_ms()) > 0 && !c->eof)
		cl_read(c, (int)left);
}

bool
cl_wait_eof(struct fs_client *c, int timeout_ms)
{
	cl_drain(c, timeout_ms);
	return c->eof;
}

int
cl_count(const struct fs_client *c, const char *needle)
{
	const char	*p, *end;
	size_t		 len = strlen(needle);
	int		 n = 0;

	if (c->in.data == NULL)
		return 0;
	p = c->in.data;
	end = c->in.data + c->in.len;
	while ((size_t)(end - p) >= len && (p = memmem(p, (size_t)(end - p),
	    needle, len)) != NULL) {
		n++;
		p += len;
	}
	return n;
}

void
cl_close(struct fs_client *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
	hd_undefer(end_client, c);
}

char *
fs_title(pid_t pid)
{
	static char	 s[512];
	char		 path[64];
	ssize_t		 n, i;
	int		 fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	cr_assert_neq(fd = open(path, O_RDONLY), -1);
	n = read(fd, s, sizeof(s) - 1);
	close(fd);
	cr_assert_gt(n, 0);
	for (i = 0; i < n; i++)
		if (s[i] == '\0')
			s[i] = ' ';
	s[n] = '\0';
	return s;
}

/*
 * sshc.c: see sshc.h.
 */
#include <criterion/criterion.h>

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "repl.h"
#include "sshc.h"

#define SSHC_MAX	16	/* clients pumped at once */
#define SIDE_MAX	16	/* the server side's fds */

/* An endless loop: jmpb $0 with $0 = 4 jumps to itself. */
#define PROG_LOOP	"!load\rload $0 #4\rloop: jmpb $0\r!end\r"

/* 65536 lines of 64 bytes: 4 MiB. */
#define BIG_TEXT	"0123456789abcdefghijklmnopqrstuvwxyz" \
			"ABCDEFGHIJKLMNOPQRSTUVWXYZ!"
#define BIG_LINE	BIG_TEXT "\n"
#define BIG_LINES	65536
static const char big_prog[] = ".data\nl: .asciiz '" BIG_TEXT "\\n'\n"
    ".code\ncloop #65535\nt: prts @l\nloop @t\nhlt\n";

/* The test's server side (sshc_serve). */
static int	(*side_fds)(struct pollfd *, int);
static void	(*side_ready)(const struct pollfd *, int);

void
sshc_serve(int (*fds)(struct pollfd *, int max),
    void (*ready)(const struct pollfd *, int n))
{
	side_fds = fds;
	side_ready = ready;
}

void
sshc_daemon(struct hd *d, struct sshc_opts *o, const char *text,
    const char *worker)
{
	char		 conf[320];
	const char	*argv[] = { "-f", conf, "--ssh-worker-path", NULL,
	    NULL };

	snprintf(conf, sizeof(conf), "%s/iridiumd.conf", o->dir);
	hd_write(conf, text);
	if (worker == NULL)
		worker = "iridium-worker-ssh";
	argv[3] = strchr(worker, '/') != NULL ? worker : hd_bin(worker);
	cr_assert_eq(hd_start(d, argv), 0, "iridiumd did not start");
	o->port = d->port;
}

void
sshc_keys(const char *dir, const char *names)
{
	hd_sh("cd %s && for k in %s; do ssh-keygen -q -t ed25519 -N '' "
	    "-C $k -f $k && cp $k.pub $k.keys || exit 1; done", dir, names);
}

void
sshc_trust(const struct sshc_opts *o, const char *name, char *key,
    size_t keylen)
{
	char	 path[512], line[2048];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", o->dir, name);
	cr_assert_not_null(f = fopen(path, "re"), "%s", path);
	cr_assert_not_null(fgets(line, sizeof(line), f), "%s", path);
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	*strrchr(line, ' ') = '\0';	/* the comment */
	hd_sh("echo '[127.0.0.1]:%d %s' > %s/known_hosts", o->port, line,
	    o->dir);
	if (key != NULL)
		cr_assert_lt(snprintf(key, keylen, "%s", line), (int)keylen);
}

const char *
sshc_fingerprint(const struct sshc_opts *o, const char *name)
{
	static char	 fpr[4][128];
	static int	 slot;
	char		 cmd[640], *f = fpr[slot++ % 4];
	FILE		*p;

	snprintf(cmd, sizeof(cmd), "ssh-keygen -l -E sha256 -f '%s/%s'",
	    o->dir, name);
	cr_assert_not_null(p = popen(cmd, "r"));
	cr_assert_eq(fscanf(p, "%*d %127s", f), 1, "%s", cmd);
	pclose(p);
	return f;
}

char **
sshc_argv(const struct sshc_opts *o, const char *key, const char *user,
    const char *const *opts, const char *cmd)
{
	static char	*argv[SSHC_ARGS_MAX];
	static char	 kopt[320], khopt[320], port[16], target[96];
	int		 n = 0;

	snprintf(kopt, sizeof(kopt), "%s/%s", o->dir, key);
	snprintf(khopt, sizeof(khopt), "UserKnownHostsFile=%s/known_hosts",
	    o->dir);
	snprintf(port, sizeof(port), "%d", o->port);
	snprintf(target, sizeof(target), "%s@127.0.0.1", user);
#define A(s)	argv[n++] = (char *)(uintptr_t)(s)
	A("ssh"); A("-F"); A("/dev/null"); A("-p"); A(port);
	A("-i"); A(kopt); A("-o"); A("BatchMode=yes");
	A("-o"); A("IdentitiesOnly=yes"); A("-o"); A(khopt);
	A("-o"); A("GlobalKnownHostsFile=/dev/null");
	A("-o"); A("StrictHostKeyChecking=yes"); A("-o"); A("LogLevel=ERROR");
	while (opts != NULL && *opts != NULL && n < SSHC_ARGS_MAX - 3)
		A(*opts++);
	A(target);
	if (cmd != NULL)
		A(cmd);
#undef A
	argv[n] = NULL;
	return argv;
}

void
sshc_start(struct sshc *c, char *const argv[], const char *input,
    size_t len, bool keep_open, bool pty)
{
	int	 pi[2], po[2], pe[2], m = -1, s;

	/* A client that exits early must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	memset(c, 0, sizeof(*c));
	buf_init(&c->input, 0);
	buf_init(&c->o, 0);
	buf_init(&c->e, 0);
	if (input != NULL)
		buf_append(&c->input, input, len);
	c->keep_open = keep_open || pty;
	if (pty) {
		cr_assert_neq(m = posix_openpt(O_RDWR | O_NOCTTY), -1);
		cr_assert_eq(grantpt(m), 0);
		cr_assert_eq(unlockpt(m), 0);
	} else {
		cr_assert(pipe2(pi, O_CLOEXEC) == 0 &&
		    pipe2(po, O_CLOEXEC) == 0 && pipe2(pe, O_CLOEXEC) == 0);
	}
	c->started_ms = hd_now_ms();
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
		signal(SIGPIPE, SIG_DFL);
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
	if (c->input.len == 0 && !c->keep_open)
		sshc_close_in(c);
}

void
sshc_type(struct sshc *c, const char *s)
{
	cr_assert_neq(c->in, -1, "stdin is closed");
	buf_append(&c->input, s, strlen(s));
}

void
sshc_close_in(struct sshc *c)
{
	c->keep_open = false;
	if (c->in != -1 && c->inoff == c->input.len && c->in != c->out) {
		close(c->in);
		c->in = -1;
	}
}

static void
sshc_reap(struct sshc *c)
{
	int	 st;

	if (c->done || waitpid(c->pid, &st, WNOHANG) != c->pid)
		return;
	c->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	c->done = true;
	c->ended_ms = hd_now_ms();
}

/* Read once (at most max bytes); returns how many came. */
static size_t
sshc_read(int fd, struct buf *b, size_t max)
{
	char	 tmp[16384];
	ssize_t	 n;

	if (fd == -1)
		return 0;
	if (max > sizeof(tmp))
		max = sizeof(tmp);
	while ((n = read(fd, tmp, max)) == -1 && errno == EINTR)
		continue;
	if (n <= 0)
		return 0;
	buf_append(b, tmp, (size_t)n);
	return (size_t)n;
}

void
sshc_pump(struct sshc **cs, int ncs, int ms)
{
	struct pollfd	 p[3 * SSHC_MAX + SIDE_MAX];
	ssize_t		 n;
	int		 i, k = 0, nside = 0;

	cr_assert_leq(ncs, SSHC_MAX);
	for (i = 0; i < ncs; i++) {
		p[k].fd = cs[i]->out;
		p[k++].events = cs[i]->slow_ms > 0 ? 0 : POLLIN;
		p[k].fd = cs[i]->err;
		p[k++].events = POLLIN;
		p[k].fd = cs[i]->in != cs[i]->out ? cs[i]->in : -1;
		p[k++].events = cs[i]->inoff < cs[i]->input.len ? POLLOUT : 0;
		if (cs[i]->slow_ms > 0 && ms > cs[i]->slow_ms)
			ms = cs[i]->slow_ms;
	}
	for (i = 0; i < ncs; i++) {
		/* A pty takes typed input at once (it is small). */
		if (cs[i]->in == cs[i]->out && cs[i]->inoff <
		    cs[i]->input.len) {
			n = write(cs[i]->in, cs[i]->input.data + cs[i]->inoff,
			    cs[i]->input.len - cs[i]->inoff);
			if (n > 0)
				cs[i]->inoff += (size_t)n;
		}
	}
	if (side_fds != NULL)
		nside = side_fds(p + k, SIDE_MAX);
	if (poll(p, (nfds_t)(k + nside), ms) > 0) {
		if (nside > 0)
			side_ready(p + k, nside);
		for (i = 0; i < ncs; i++) {
			if ((p[3 * i].revents & (POLLIN | POLLHUP)) != 0)
				sshc_read(cs[i]->out, &cs[i]->o, SIZE_MAX);
			if ((p[3 * i + 1].revents & (POLLIN | POLLHUP)) != 0)
				sshc_read(cs[i]->err, &cs[i]->e, SIZE_MAX);
			if ((p[3 * i + 2].revents & (POLLOUT | POLLERR)) != 0 &&
			    cs[i]->inoff < cs[i]->input.len) {
				n = write(cs[i]->in, cs[i]->input.data +
				    cs[i]->inoff, cs[i]->input.len -
				    cs[i]->inoff);
				if (n > 0)
					cs[i]->inoff += (size_t)n;
			}
		}
	}
	for (i = 0; i < ncs; i++) {
		if (cs[i]->inoff == cs[i]->input.len && !cs[i]->keep_open)
			sshc_close_in(cs[i]);
		if (cs[i]->slow_ms > 0) {
			usleep((useconds_t)cs[i]->slow_ms * 1000);
			sshc_read(cs[i]->out, &cs[i]->o, 8192);
		}
		sshc_reap(cs[i]);
	}
}

void
sshc_expect(struct sshc *c, size_t *seen, const char *want, int timeout_ms)
{
	struct sshc	*cs[1] = { c };
	long long	 until = hd_now_ms() + timeout_ms;
	const char	*hit;

	for (;;) {
		if (c->o.len > *seen && (hit = memmem(c->o.data + *seen,
		    c->o.len - *seen, want, strlen(want))) != NULL) {
			*seen = (size_t)(hit - c->o.data) + strlen(want);
			return;
		}
		cr_assert_lt(hd_now_ms(), until, "no \"%s\" from ssh; got:\n"
		    "%.*s\nstderr: %.*s", want, (int)c->o.len, c->o.data,
		    (int)c->e.len, c->e.data);
		cr_assert_not(c->done && c->o.len <= *seen, "ssh exited (%d) "
		    "without \"%s\"; stderr: %.*s", c->status, want,
		    (int)c->e.len, c->e.data);
		sshc_pump(cs, 1, 50);
	}
}

void
sshc_pty_session(struct sshc *c, size_t *seen, int timeout_ms)
{
	struct sshc	*cs[1] = { c };

	sshc_expect(c, seen, REPL_BANNER "\r\n" REPL_PROMPT, timeout_ms);
	/* Typed text is echoed; DEL erases the X. */
	sshc_type(c, "load $1 #42\r");
	sshc_expect(c, seen, "load $1 #42\r\n" REPL_PROMPT, timeout_ms);
	sshc_type(c, "load $2 #5X\x7f\r");
	sshc_expect(c, seen, "X\b \b\r\n" REPL_PROMPT, timeout_ms);
	sshc_type(c, "!registers\r");
	sshc_expect(c, seen, "$1           42  $2            5", timeout_ms);
	sshc_expect(c, seen, REPL_PROMPT, timeout_ms);
	/* ^C stops an endless loop; the session goes on. */
	sshc_type(c, PROG_LOOP);
	sshc_expect(c, seen, "loaded 2 instructions", timeout_ms);
	usleep(300000);
	sshc_pump(cs, 1, 10);
	cr_assert_null(memmem(c->o.data, c->o.len, "interrupted", 11),
	    "the loop ended by itself");
	sshc_type(c, "\x03");
	sshc_expect(c, seen, "interrupted at pc", timeout_ms);
	sshc_expect(c, seen, REPL_PROMPT, timeout_ms);
}

void
sshc_finish(struct sshc **cs, int ncs, int timeout_ms)
{
	long long	 until = hd_now_ms() + timeout_ms;
	int		 i, left;

	do {
		sshc_pump(cs, ncs, 50);
		for (i = 0, left = 0; i < ncs; i++)
			left += !cs[i]->done;
	} while (left > 0 && hd_now_ms() < until);
	cr_assert_eq(left, 0, "an ssh client did not exit in %d ms",
	    timeout_ms);
	for (i = 0; i < ncs; i++) {
		/*
		 * The client has exited: its pipes hold what it wrote that
		 * was not read yet (a slow reader's, say). Read to their end.
		 */
		cs[i]->slow_ms = 0;
		while (sshc_read(cs[i]->out, &cs[i]->o, SIZE_MAX) > 0)
			continue;
		while (sshc_read(cs[i]->err, &cs[i]->e, SIZE_MAX) > 0)
			continue;
		buf_putc(&cs[i]->o, '\0');
		cs[i]->o.len--;
		buf_putc(&cs[i]->e, '\0');
		cs[i]->e.len--;
	}
}

void
sshc_run(struct sshc *c, char *const argv[], const char *input)
{
	struct sshc	*cs[1] = { c };

	sshc_start(c, argv, input, input != NULL ? strlen(input) : 0, false,
	    false);
	sshc_finish(cs, 1, 30000);
}

void
sshc_run_big(struct sshc *c, char *const argv[], int timeout_ms)
{
	struct sshc	*cs[1] = { c };

	sshc_start(c, argv, big_prog, strlen(big_prog), false, false);
	c->slow_ms = 2;
	sshc_finish(cs, 1, timeout_ms);
}

void
sshc_assert_big(const struct sshc *c)
{
	size_t	 i, len = strlen(BIG_LINE);

	cr_assert_eq(c->o.len, len * BIG_LINES, "%zu bytes", c->o.len);
	for (i = 0; i < c->o.len; i += len)
		cr_assert_eq(memcmp(c->o.data + i, BIG_LINE, len), 0, "at %zu",
		    i);
}

void
sshc_ssh(struct sshc *c, const struct sshc_opts *o, const char *key,
    const char *user, const char *cmd, const char *input)
{
	sshc_run(c, sshc_argv(o, key, user, NULL, cmd), input);
}

void
sshc_free(struct sshc *c)
{
	if (c->pid > 0 && !c->done) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	if (c->in != -1 && c->in != c->out)
		close(c->in);
	if (c->out != -1)
		close(c->out);
	if (c->err != -1)
		close(c->err);
	buf_free(&c->input);
	buf_free(&c->o);
	buf_free(&c->e);
	memset(c, 0, sizeof(*c));
	c->in = c->out = c->err = -1;
}

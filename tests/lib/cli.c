/*
 * cli.c: running the `iridium` tool from integration tests (see cli.h).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define CLI_TIMEOUT_MS	20000

const char *
cli_bin(void)
{
	static char	 p[4096];
	const char	*b = getenv("IRIDIUM_BUILD");

	cr_assert_not_null(b, "IRIDIUM_BUILD is not set");
	cr_assert_lt(snprintf(p, sizeof(p), "%s/iridium", b),
	    (int)sizeof(p));
	cr_assert_eq(access(p, X_OK), 0, "%s: %s", p, strerror(errno));
	return p;
}

const char *
cli_examples(void)
{
	static char	 p[4096];
	const char	*s = getenv("IRIDIUM_SRC");

	cr_assert_not_null(s, "IRIDIUM_SRC is not set");
	cr_assert_lt(snprintf(p, sizeof(p), "%s/contrib/examples", s),
	    (int)sizeof(p));
	return p;
}

const char *
cli_example(const char *name)
{
	static char	 p[4][4200];
	static int	 i;

	i = (i + 1) % 4;
	cr_assert_lt(snprintf(p[i], sizeof(p[i]), "%s/%s", cli_examples(),
	    name), (int)sizeof(p[i]));
	return p[i];
}

void
cli_run(struct cli_proc *p, const char *input, size_t inlen, int close_out,
    char *const *args)
{
	int		 in[2], out[2], err[2], st, n;
	struct pollfd	 pfd[3];
	char		*argv[32], chunk[4096];
	const char	*bin = cli_bin();
	size_t		 i, off = 0;
	ssize_t		 r;
	pid_t		 pid;

	argv[0] = CLI_ARG("iridium");
	for (i = 0; args[i] != NULL && i < 30; i++)
		argv[i + 1] = args[i];
	argv[i + 1] = NULL;
	buf_init(&p->out, 0);
	buf_init(&p->err, 0);
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pipe(in), 0);
	cr_assert_eq(pipe(out), 0);
	cr_assert_eq(pipe(err), 0);
	/* No reader from the start: a write the child makes before we
	 * would have closed it must fail too. */
	if (close_out) {
		close(out[0]);
		out[0] = -1;
	}
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[0]);
		close(in[1]);
		if (out[0] != -1)
			close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		signal(SIGPIPE, SIG_DFL);
		execv(bin, argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (inlen == 0) {
		close(in[1]);
		in[1] = -1;
	}
	while (in[1] != -1 || out[0] != -1 || err[0] != -1) {
		pfd[0].fd = in[1];
		pfd[0].events = POLLOUT;
		pfd[1].fd = out[0];
		pfd[1].events = POLLIN;
		pfd[2].fd = err[0];
		pfd[2].events = POLLIN;
		n = poll(pfd, 3, CLI_TIMEOUT_MS);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			cr_assert_fail("iridium %s timed out", args[0] != NULL ?
			    args[0] : "");
		}
		cr_assert_gt(n, 0);
		if (pfd[0].revents != 0) {
			r = write(in[1], input + off, inlen - off);
			if (r > 0)
				off += (size_t)r;
			if ((r == -1 && errno != EAGAIN) || off == inlen) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (pfd[1].revents != 0) {
			if ((r = read(out[0], chunk, sizeof(chunk))) > 0)
				buf_append(&p->out, chunk, (size_t)r);
			else {
				close(out[0]);
				out[0] = -1;
			}
		}
		if (pfd[2].revents != 0) {
			if ((r = read(err[0], chunk, sizeof(chunk))) > 0)
				buf_append(&p->err, chunk, (size_t)r);
			else {
				close(err[0]);
				err[0] = -1;
			}
		}
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	buf_append(&p->out, "", 0);
	buf_append(&p->err, "", 0);
}

void
cli_proc_free(struct cli_proc *p)
{
	buf_free(&p->out);
	buf_free(&p->err);
}

int
cli_pty_start(pid_t *pidp)
{
	const char	*bin = cli_bin();
	pid_t		 pid;
	int		 m, s;

	m = posix_openpt(O_RDWR | O_NOCTTY);
	cr_assert_geq(m, 0);
	cr_assert_eq(grantpt(m), 0);
	cr_assert_eq(unlockpt(m), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* A session of its own: the pty becomes its terminal. */
		setsid();
		if ((s = open(ptsname(m), O_RDWR)) == -1)
			_exit(127);
		close(m);
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		setenv("TERM", "dumb", 1);
		execl(bin, "iridium", (char *)NULL);
		_exit(127);
	}
	*pidp = pid;
	return m;
}

void
cli_pty_wait(int m, struct buf *b, const char *want)
{
	struct pollfd	 pfd = { m, POLLIN, 0 };
	char		 chunk[1024];
	ssize_t		 n;
	time_t		 end = time(NULL) + CLI_TIMEOUT_MS / 1000;

	while (b->data == NULL || strstr(b->data, want) == NULL) {
		cr_assert_lt(time(NULL), end, "no '%s' in:\n%s", want,
		    b->data != NULL ? b->data : "");
		if (poll(&pfd, 1, 1000) <= 0)
			continue;
		n = read(m, chunk, sizeof(chunk));
		cr_assert_gt(n, 0, "pty closed; waiting for '%s' in:\n%s",
		    want, b->data != NULL ? b->data : "");
		buf_append(b, chunk, (size_t)n);
	}
}

void
cli_pty_raw_wait(int m)
{
	struct termios	 t;
	int		 i;

	for (i = 0; i < CLI_TIMEOUT_MS / 10; i++) {
		cr_assert_eq(tcgetattr(m, &t), 0);
		if ((t.c_lflag & ICANON) == 0)
			return;
		usleep(10000);
	}
	cr_assert_fail("the terminal never left canonical mode");
}

int
cli_pty_exit(pid_t pid)
{
	int	 st, i;

	for (i = 0; i < CLI_TIMEOUT_MS / 10; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid)
			return st;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	cr_assert_fail("iridium did not exit");
	return -1;
}

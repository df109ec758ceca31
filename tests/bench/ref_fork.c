/*
 * ref_fork.c: the reference for session rate and time to first prompt in
 * tests/bench/sessions.sh: a plain fork-per-connection TCP server on
 * 127.0.0.1 speaking what iridiumd's line transport shows a client (its
 * banner and prompt; ">>> " after each line, which is all iridiumd
 * answers to `load $0 #1`). No sandbox, no supervisor, no exec.
 *
 * usage: ref_fork PORT	(0: any free port; "port N" is printed)
 *
 * The parent accepts and forks; each child serves one connection and
 * exits at its EOF; SIGCHLD's handler reaps them (no zombies). Ends on
 * SIGTERM or SIGINT (the default action).
 */
#define _GNU_SOURCE	/* accept4 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What iridiumd's line transport sends first (captured with nc). */
static const char banner[] = "Welcome to Iridium! Let's be productive!\r\n>>> ";
/* What it answers to `load $0 #1`: the next prompt. */
static const char prompt[] = ">>> ";

static int
write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
serve(int fd)
{
	char	buf[4096], out[4096];

	if (write_all(fd, banner, sizeof(banner) - 1) == -1)
		return;
	for (;;) {
		ssize_t	n = read(fd, buf, sizeof(buf));
		size_t	len = 0;

		if (n == 0)
			return;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			return;
		}
		/* One prompt per line end read. */
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n')
				continue;
			if (len + sizeof(prompt) - 1 > sizeof(out)) {
				if (write_all(fd, out, len) == -1)
					return;
				len = 0;
			}
			memcpy(out + len, prompt, sizeof(prompt) - 1);
			len += sizeof(prompt) - 1;
		}
		if (len > 0 && write_all(fd, out, len) == -1)
			return;
	}
}

static void
on_chld(int sig)
{
	int	saved = errno;

	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	errno = saved;
}

static int
listen_on(const char *arg)
{
	struct sockaddr_in	sin;
	socklen_t		len = sizeof(sin);
	char			*end;
	long			p;
	int			fd, one = 1;

	p = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || p < 0 || p > 65535) {
		fprintf(stderr, "usage: ref_fork PORT (0: any)\n");
		exit(2);
	}
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		perror("socket");
		exit(1);
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)p);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(fd, 128) == -1 ||	/* iridiumd's backlog */
	    getsockname(fd, (struct sockaddr *)&sin, &len) == -1) {
		perror("bind");
		exit(1);
	}
	printf("port %u\n", ntohs(sin.sin_port));
	fflush(stdout);
	return fd;
}

int
main(int argc, char **argv)
{
	struct sigaction	sa;
	int			lfd;

	if (argc != 2) {
		fprintf(stderr, "usage: ref_fork PORT (0: any)\n");
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_chld;
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(argv[1]);
	for (;;) {
		int	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		pid_t	pid;

		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				struct timespec ts = { 0, 100000000 };

				nanosleep(&ts, NULL);
			}
			continue;	/* EINTR, ECONNABORTED, ... */
		}
		pid = fork();
		if (pid == 0) {
			close(lfd);
			serve(fd);
			_exit(0);
		}
		if (pid == -1) {
			struct timespec ts = { 0, 10000000 };

			perror("fork");
			nanosleep(&ts, NULL);
		}
		close(fd);
	}
}

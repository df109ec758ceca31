/*
 * ref_server.c: the reference servers of tests/bench/sessions.sh. A plain
 * TCP server on 127.0.0.1 speaking what iridiumd's line transport shows a
 * client (its banner and prompt; ">>> " after each line, which is all
 * iridiumd answers to `load $0 #1`), in one of two designs:
 *
 *   ref_server fork PORT	fork per connection (the reference for
 *				session rate and time to first prompt): no
 *				sandbox, no supervisor, no exec; SIGCHLD's
 *				handler reaps the children
 *   ref_server thread PORT	thread per connection in one process (the
 *				reference for REPL latency, the seed's
 *				design): a detached pthread per connection
 *
 * PORT 0: any free port; "port N" is printed. Each connection is served
 * until its EOF. Ends on SIGTERM or SIGINT (the default action).
 */
#define _GNU_SOURCE	/* accept4 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define USAGE	"usage: ref_server fork|thread PORT (0: any)\n"

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

/* Serve one connection until its EOF, then close it. */
static void
serve(int fd)
{
	char	buf[4096], out[4096];

	if (write_all(fd, banner, sizeof(banner) - 1) == -1)
		goto out;
	for (;;) {
		ssize_t	n = read(fd, buf, sizeof(buf));
		size_t	len = 0;

		if (n == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* One prompt per line end read. */
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] != '\n')
				continue;
			if (len + sizeof(prompt) - 1 > sizeof(out)) {
				if (write_all(fd, out, len) == -1)
					goto out;
				len = 0;
			}
			memcpy(out + len, prompt, sizeof(prompt) - 1);
			len += sizeof(prompt) - 1;
		}
		if (len > 0 && write_all(fd, out, len) == -1)
			break;
	}
out:
	close(fd);
}

static void *
serve_thread(void *arg)
{
	serve((int)(intptr_t)arg);
	return NULL;
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
		fputs(USAGE, stderr);
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

static void
pause_ms(long ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Hand fd to a child process (fork) or to a detached thread. */
static void
hand_off(int lfd, int fd, bool threads, pthread_attr_t *attr)
{
	pthread_t	t;
	pid_t		pid;
	int		e;

	if (threads) {
		if ((e = pthread_create(&t, attr, serve_thread,
		    (void *)(intptr_t)fd)) != 0) {
			fprintf(stderr, "ref_server: pthread_create: %s\n",
			    strerror(e));
			close(fd);
		}
		return;
	}
	if ((pid = fork()) == 0) {
		close(lfd);
		serve(fd);
		_exit(0);
	}
	if (pid == -1) {
		perror("fork");
		pause_ms(10);
	}
	close(fd);
}

int
main(int argc, char **argv)
{
	struct sigaction	sa;
	pthread_attr_t		attr;
	bool			threads;
	int			lfd, fd;

	if (argc != 3 || (strcmp(argv[1], "fork") != 0 &&
	    strcmp(argv[1], "thread") != 0)) {
		fputs(USAGE, stderr);
		return 2;
	}
	threads = strcmp(argv[1], "thread") == 0;
	signal(SIGPIPE, SIG_IGN);
	if (threads) {
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 256 * 1024);
	} else {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_chld;
		sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGCHLD, &sa, NULL);
	}
	lfd = listen_on(argv[2]);
	for (;;) {
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				pause_ms(100);
			continue;	/* EINTR, ECONNABORTED, ... */
		}
		hand_off(lfd, fd, threads, &attr);
	}
}

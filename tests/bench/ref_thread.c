/*
 * ref_thread.c: the reference for REPL latency in tests/bench/sessions.sh:
 * the protocol of ref_fork.c (iridiumd's banner and prompt; ">>> " after
 * each line) served thread-per-connection in one process: each accepted
 * connection gets a detached pthread that serves it and ends at its EOF.
 *
 * usage: ref_thread PORT	(0: any free port; "port N" is printed)
 *
 * Ends on SIGTERM or SIGINT (the default action).
 */
#define _GNU_SOURCE	/* accept4 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
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

static void *
serve(void *arg)
{
	int	fd = (int)(intptr_t)arg;
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
	return NULL;
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
		fprintf(stderr, "usage: ref_thread PORT (0: any)\n");
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
	pthread_attr_t	attr;
	int		lfd;

	if (argc != 2) {
		fprintf(stderr, "usage: ref_thread PORT (0: any)\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(argv[1]);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	for (;;) {
		int		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		pthread_t	t;
		int		e;

		if (fd == -1) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				struct timespec ts = { 0, 100000000 };

				nanosleep(&ts, NULL);
			}
			continue;	/* EINTR, ECONNABORTED, ... */
		}
		if ((e = pthread_create(&t, &attr, serve,
		    (void *)(intptr_t)fd)) != 0) {
			fprintf(stderr, "ref_thread: pthread_create: %s\n",
			    strerror(e));
			close(fd);
		}
	}
}

/*
 * sockact.c: taking listening sockets from systemd (see sockact.h).
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "sockact.h"

static int
check_fd(int fd, char *err, size_t errlen)
{
	int		 type, listening, flags;
	socklen_t	 len;
	struct sockaddr_storage ss;

	len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == -1) {
		snprintf(err, errlen, "socket activation: fd %d is not a "
		    "socket: %s", fd, strerror(errno));
		return -1;
	}
	len = sizeof(listening);
	if (type != SOCK_STREAM || getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN,
	    &listening, &len) == -1 || !listening) {
		snprintf(err, errlen, "socket activation: fd %d is not a "
		    "listening stream socket", fd);
		return -1;
	}
	len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == -1 ||
	    (ss.ss_family != AF_INET && ss.ss_family != AF_INET6)) {
		snprintf(err, errlen, "socket activation: fd %d is not a TCP "
		    "socket", fd);
		return -1;
	}
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) == -1 ||
	    (flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "socket activation: fd %d: %s", fd,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
sockact_init(struct sockact *sa, int start, char *err, size_t errlen)
{
	const char	*pid, *fds, *names;
	char		*end, *copy, *p, *tok;
	long		 n, i;

	memset(sa, 0, sizeof(*sa));
	pid = getenv("LISTEN_PID");
	fds = getenv("LISTEN_FDS");
	names = getenv("LISTEN_FDNAMES");
	if (pid == NULL || fds == NULL || strtol(pid, NULL, 10) !=
	    (long)getpid()) {
		/* Not for us (or none): leave nothing behind for children. */
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		return 0;
	}
	errno = 0;
	n = strtol(fds, &end, 10);
	if (errno != 0 || *end != '\0' || n < 0 || n > SOCKACT_MAX) {
		snprintf(err, errlen, "socket activation: LISTEN_FDS=\"%s\" "
		    "(at most %d)", fds, SOCKACT_MAX);
		return -1;
	}
	copy = strdup(names != NULL ? names : "");
	if (copy == NULL) {
		snprintf(err, errlen, "socket activation: %s",
		    strerror(errno));
		return -1;
	}
	p = copy;
	for (i = 0; i < n; i++) {
		sa->fd[i] = start + (int)i;
		tok = strsep(&p, ":");
		if (tok == NULL || *tok == '\0') {
			snprintf(err, errlen, "socket activation: fd %d has no "
			    "name in LISTEN_FDNAMES (name each socket after "
			    "its [listener NAME] with FileDescriptorName=)",
			    sa->fd[i]);
			free(copy);
			return -1;
		}
		strlcpy(sa->name[i], tok, sizeof(sa->name[i]));
		if (check_fd(sa->fd[i], err, errlen) == -1) {
			free(copy);
			return -1;
		}
	}
	free(copy);
	sa->n = (int)n;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return sa->n;
}

int
sockact_take(struct sockact *sa, const char *name)
{
	int	 i;

	for (i = 0; i < sa->n; i++) {
		if (!sa->taken[i] && strcmp(sa->name[i], name) == 0) {
			sa->taken[i] = true;
			return sa->fd[i];
		}
	}
	return -1;
}

void
sockact_unused(const struct sockact *sa, char *buf, size_t len)
{
	int	 i;

	buf[0] = '\0';
	for (i = 0; i < sa->n; i++) {
		if (sa->taken[i])
			continue;
		if (buf[0] != '\0')
			strlcat(buf, ", ", len);
		strlcat(buf, sa->name[i], len);
	}
}

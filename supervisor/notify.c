/*
 * notify.c: sd_notify(3)'s protocol without libsystemd (see notify.h).
 * The protocol is one AF_UNIX datagram of newline-separated KEY=VALUE
 * assignments to the socket named in $NOTIFY_SOCKET: a path, or an
 * abstract name written with a leading '@'.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "notify.h"

int
notify_init(struct notify *n, char *err, size_t errlen)
{
	const char	*path, *usec, *pid;
	size_t		 len;
	char		*end;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	path = getenv("NOTIFY_SOCKET");
	usec = getenv("WATCHDOG_USEC");
	pid = getenv("WATCHDOG_PID");
	if (usec != NULL && (pid == NULL || strtol(pid, NULL, 10) ==
	    (long)getpid())) {
		errno = 0;
		n->watchdog_usec = strtoull(usec, &end, 10);
		if (errno != 0 || *end != '\0')
			n->watchdog_usec = 0;
	}
	if (path == NULL) {
		n->watchdog_usec = 0;	/* nobody to tell */
		goto done;
	}
	len = strlen(path);
	if ((path[0] != '/' && path[0] != '@') || len < 2 ||
	    len >= sizeof(n->path)) {
		snprintf(err, errlen, "NOTIFY_SOCKET \"%s\" is neither an "
		    "absolute path nor an abstract name", path);
		return -1;
	}
	memcpy(n->path, path, len);
	if (path[0] == '@')
		n->path[0] = '\0';
	n->pathlen = (unsigned)len;
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n->fd == -1) {
		snprintf(err, errlen, "NOTIFY_SOCKET: socket: %s",
		    strerror(errno));
		return -1;
	}
done:
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
	return 0;
}

bool
notify_enabled(const struct notify *n)
{
	return n->fd != -1;
}

int
notify_send(struct notify *n, const char *msg)
{
	struct sockaddr_un	 sun;
	socklen_t		 sl;

	if (n->fd == -1)
		return 0;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, n->path, n->pathlen);
	sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n->pathlen);
	if (sendto(n->fd, msg, strlen(msg), MSG_NOSIGNAL | MSG_DONTWAIT,
	    (struct sockaddr *)&sun, sl) == -1)
		return -1;
	return 0;
}

int
notify_ready(struct notify *n)
{
	return notify_send(n, "READY=1");
}

int
notify_stopping(struct notify *n)
{
	return notify_send(n, "STOPPING=1");
}

int
notify_reloading(struct notify *n)
{
	struct timespec	 ts;
	char		 msg[96];

	clock_gettime(CLOCK_MONOTONIC, &ts);
	snprintf(msg, sizeof(msg), "RELOADING=1\nMONOTONIC_USEC=%llu",
	    (unsigned long long)ts.tv_sec * 1000000ULL +
	    (unsigned long long)ts.tv_nsec / 1000ULL);
	return notify_send(n, msg);
}

int
notify_status(struct notify *n, const char *status)
{
	char	 msg[sizeof(n->status) + 8];

	if (n->fd == -1 || strncmp(n->status, status, sizeof(n->status)) ==
	    0)
		return 0;
	snprintf(n->status, sizeof(n->status), "%s", status);
	snprintf(msg, sizeof(msg), "STATUS=%s", n->status);
	return notify_send(n, msg);
}

int
notify_watchdog(struct notify *n, int64_t now_ms)
{
	int64_t	 half;

	if (n->fd == -1 || n->watchdog_usec == 0)
		return 0;
	half = (int64_t)(n->watchdog_usec / 2000);
	if (n->watchdog_last_ms != 0 && now_ms - n->watchdog_last_ms < half)
		return 0;
	n->watchdog_last_ms = now_ms;
	return notify_send(n, "WATCHDOG=1");
}

void
notify_close(struct notify *n)
{
	if (n->fd != -1)
		close(n->fd);
	n->fd = -1;
}

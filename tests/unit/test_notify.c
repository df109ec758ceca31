/*
 * test_notify.c: the systemd notification protocol and socket activation,
 * against sockets the test makes itself.
 */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "notify.h"
#include "sockact.h"

/* A datagram socket standing in for systemd; returns its fd. */
static int
listener(const char *path, bool abstract)
{
	struct sockaddr_un	 sun;
	socklen_t		 sl;
	int			 fd;

	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (abstract) {
		memcpy(sun.sun_path + 1, path, strlen(path));
		sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
		    strlen(path));
	} else {
		unlink(path);
		memcpy(sun.sun_path, path, strlen(path));
		sl = sizeof(sun);
	}
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sl), 0);
	return fd;
}

static char *
next(int fd)
{
	static char	 buf[512];
	struct pollfd	 p = { fd, POLLIN, 0 };
	ssize_t		 n;

	if (poll(&p, 1, 2000) != 1)
		return NULL;
	n = recv(fd, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	return buf;
}

Test(notify, without_notify_socket_nothing_happens)
{
	struct notify	 n;
	char		 err[128];

	unsetenv("NOTIFY_SOCKET");
	cr_assert_eq(notify_init(&n, err, sizeof(err)), 0);
	cr_assert(!notify_enabled(&n));
	cr_assert_eq(notify_ready(&n), 0);
	cr_assert_eq(notify_watchdog(&n, 1000), 0);
}

Test(notify, path_socket_messages)
{
	struct notify	 n;
	char		 err[128], path[64], *m;
	int		 fd;

	snprintf(path, sizeof(path), "/tmp/iridium-notify-%d", (int)getpid());
	fd = listener(path, false);
	setenv("NOTIFY_SOCKET", path, 1);
	cr_assert_eq(notify_init(&n, err, sizeof(err)), 0);
	cr_assert_null(getenv("NOTIFY_SOCKET"), "unset for children");
	cr_assert_eq(notify_ready(&n), 0);
	cr_assert_str_eq(next(fd), "READY=1");
	cr_assert_eq(notify_status(&n, "2 sessions, 3 idle workers"), 0);
	cr_assert_str_eq(next(fd), "STATUS=2 sessions, 3 idle workers");
	cr_assert_eq(notify_status(&n, "2 sessions, 3 idle workers"), 0);
	cr_assert_null(next(fd), "an unchanged status is not sent again");
	cr_assert_eq(notify_reloading(&n), 0);
	m = next(fd);
	cr_assert_not_null(m);
	cr_assert_eq(strncmp(m, "RELOADING=1\nMONOTONIC_USEC=", 27), 0, "%s",
	    m);
	cr_assert_gt(strtoull(m + 27, NULL, 10), 0);
	cr_assert_eq(notify_stopping(&n), 0);
	cr_assert_str_eq(next(fd), "STOPPING=1");
	notify_close(&n);
	close(fd);
	unlink(path);
}

Test(notify, abstract_socket)
{
	struct notify	 n;
	char		 err[128], name[64], env[70];
	int		 fd;

	snprintf(name, sizeof(name), "iridium-test-%d", (int)getpid());
	fd = listener(name, true);
	snprintf(env, sizeof(env), "@%s", name);
	setenv("NOTIFY_SOCKET", env, 1);
	cr_assert_eq(notify_init(&n, err, sizeof(err)), 0);
	cr_assert_eq(notify_ready(&n), 0);
	cr_assert_str_eq(next(fd), "READY=1");
	notify_close(&n);
	close(fd);
}

Test(notify, watchdog_at_half_the_interval)
{
	struct notify	 n;
	char		 err[128], path[64], pid[16];
	int		 fd;

	snprintf(path, sizeof(path), "/tmp/iridium-wd-%d", (int)getpid());
	fd = listener(path, false);
	setenv("NOTIFY_SOCKET", path, 1);
	setenv("WATCHDOG_USEC", "4000000", 1);	/* 4 s: ping every 2 s */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("WATCHDOG_PID", pid, 1);
	cr_assert_eq(notify_init(&n, err, sizeof(err)), 0);
	cr_assert_eq(n.watchdog_usec, 4000000);
	cr_assert_eq(notify_watchdog(&n, 10000), 0);
	cr_assert_str_eq(next(fd), "WATCHDOG=1");
	cr_assert_eq(notify_watchdog(&n, 11999), 0);
	cr_assert_null(next(fd), "not before half the interval");
	cr_assert_eq(notify_watchdog(&n, 12000), 0);
	cr_assert_str_eq(next(fd), "WATCHDOG=1");
	notify_close(&n);
	close(fd);
	unlink(path);
}

Test(notify, watchdog_for_another_pid_is_ignored)
{
	struct notify	 n;
	char		 err[128];

	setenv("NOTIFY_SOCKET", "/tmp/nowhere", 1);
	setenv("WATCHDOG_USEC", "4000000", 1);
	setenv("WATCHDOG_PID", "1", 1);
	cr_assert_eq(notify_init(&n, err, sizeof(err)), 0);
	cr_assert_eq(n.watchdog_usec, 0);
	notify_close(&n);
}

Test(notify, bad_notify_socket_is_an_error)
{
	struct notify	 n;
	char		 err[128];

	setenv("NOTIFY_SOCKET", "relative/path", 1);
	cr_assert_eq(notify_init(&n, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "neither an absolute path"));
}

/* Listening TCP sockets at fds base.., as systemd would pass them. */
static void
pass_listeners(int base, int n)
{
	struct sockaddr_in	 sin;
	int			 i, fd;

	for (i = 0; i < n; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)),
		    0);
		cr_assert_eq(listen(fd, 8), 0);
		cr_assert_eq(dup2(fd, base + i), base + i);
		close(fd);
	}
}

static void
set_listen_env(int n, const char *names)
{
	char	 buf[32];

	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	setenv("LISTEN_PID", buf, 1);
	snprintf(buf, sizeof(buf), "%d", n);
	setenv("LISTEN_FDS", buf, 1);
	if (names != NULL)
		setenv("LISTEN_FDNAMES", names, 1);
	else
		unsetenv("LISTEN_FDNAMES");
}

Test(sockact, named_listeners_are_taken_and_marked_cloexec)
{
	struct sockact	 sa;
	char		 err[256], unused[64];
	int		 fd;

	pass_listeners(200, 2);
	set_listen_env(2, "line:ssh");
	cr_assert_eq(sockact_init(&sa, 200, err, sizeof(err)), 2, "%s", err);
	cr_assert_null(getenv("LISTEN_FDS"), "variables unset");
	cr_assert_null(getenv("LISTEN_PID"));
	fd = sockact_take(&sa, "ssh");
	cr_assert_eq(fd, 201);
	cr_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	cr_assert(fcntl(fd, F_GETFL) & O_NONBLOCK);
	cr_assert_eq(sockact_take(&sa, "ssh"), -1, "taken once");
	cr_assert_eq(sockact_take(&sa, "other"), -1);
	sockact_unused(&sa, unused, sizeof(unused));
	cr_assert_str_eq(unused, "line");
}

Test(sockact, not_for_us_when_the_pid_differs)
{
	struct sockact	 sa;
	char		 err[256];

	setenv("LISTEN_PID", "1", 1);
	setenv("LISTEN_FDS", "1", 1);
	cr_assert_eq(sockact_init(&sa, 200, err, sizeof(err)), 0);
	cr_assert_null(getenv("LISTEN_FDS"));
}

Test(sockact, an_unnamed_fd_is_an_error)
{
	struct sockact	 sa;
	char		 err[256];

	pass_listeners(210, 1);
	set_listen_env(1, NULL);
	cr_assert_eq(sockact_init(&sa, 210, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "has no name in LISTEN_FDNAMES"),
	    "%s", err);
}

Test(sockact, a_non_listening_fd_is_refused)
{
	struct sockact	 sa;
	char		 err[256];
	int		 fd = socket(AF_INET, SOCK_STREAM, 0);

	cr_assert_eq(dup2(fd, 220), 220);
	set_listen_env(1, "line");
	cr_assert_eq(sockact_init(&sa, 220, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "not a listening stream socket"), "%s",
	    err);
}

Test(sockact, a_datagram_fd_is_refused)
{
	struct sockact	 sa;
	char		 err[256];
	int		 fd = socket(AF_INET, SOCK_DGRAM, 0);

	cr_assert_eq(dup2(fd, 230), 230);
	set_listen_env(1, "line");
	cr_assert_eq(sockact_init(&sa, 230, err, sizeof(err)), -1);
	cr_assert_not_null(strstr(err, "not a listening stream socket"));
}

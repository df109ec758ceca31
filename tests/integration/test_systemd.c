/*
 * test_systemd.c: iridiumd under systemd's two protocols, against the
 * real daemon: the notification socket (a datagram socket the test owns,
 * named in NOTIFY_SOCKET) and socket activation (Debian's
 * systemd-socket-activate handing it named listening sockets).
 */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"

static struct hd	 d;
static int		 nfd = -1;
static char		 npath[300];

static void
teardown(void)
{
	hd_fini();
	if (nfd != -1)
		close(nfd);
	if (npath[0] != '\0')
		unlink(npath);
}

TestSuite(systemd, .fini = teardown, .timeout = 120);

/* Our stand-in for systemd's notification socket. */
static void
notify_socket(void)
{
	struct sockaddr_un	 sun;
	static char		 env[340];
	static const char	*envv[3];
	static char		 wd[] = "WATCHDOG_USEC=2000000";
	char			 dir[256];

	hd_tmpdir(dir, sizeof(dir), "notify");
	snprintf(npath, sizeof(npath), "%s/notify.sock", dir);
	nfd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(nfd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, npath, strlen(npath));
	cr_assert_eq(bind(nfd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	snprintf(env, sizeof(env), "NOTIFY_SOCKET=%s", npath);
	envv[0] = env;
	envv[1] = wd;
	envv[2] = NULL;
	hd_extra_env = envv;
}

/* The next datagram, or NULL after timeout_ms. */
static char *
next_msg(int timeout_ms)
{
	static char	 buf[1024];
	struct pollfd	 p = { nfd, POLLIN, 0 };
	ssize_t		 n;

	if (poll(&p, 1, timeout_ms) != 1)
		return NULL;
	n = recv(nfd, buf, sizeof(buf) - 1, 0);
	cr_assert_gt(n, 0);
	buf[n] = '\0';
	return buf;
}

/* Wait for a message starting with prefix, skipping others (counted). */
static char *
wait_msg(const char *prefix, int timeout_ms, int *watchdogs)
{
	long long	 end = hd_now_ms() + timeout_ms;
	char		*m;

	while (hd_now_ms() < end) {
		if ((m = next_msg((int)(end - hd_now_ms()))) == NULL)
			return NULL;
		if (strncmp(m, "WATCHDOG=1", 10) == 0 && watchdogs != NULL)
			(*watchdogs)++;
		if (strncmp(m, prefix, strlen(prefix)) == 0)
			return m;
	}
	return NULL;
}

static json_int_t
idle_workers(void)
{
	char		*out = NULL;
	json_t		*doc, *pools;
	json_int_t	 idle;

	cr_assert_eq(hd_ctl(&d, NULL, &out, NULL, "status", "--json", NULL),
	    0);
	doc = json_loads(out, 0, NULL);
	cr_assert_not_null(doc, "%s", out);
	pools = json_object_get(doc, "pools");
	idle = json_integer_value(json_object_get(json_array_get(pools, 0),
	    "idle"));
	json_decref(doc);
	free(out);
	return idle;
}

Test(systemd, ready_status_reloading_stopping_and_the_watchdog)
{
	char		 conf[300], *m;
	const char	*argv[8];
	int		 watchdogs = 0, n = 0;
	long long	 t0, now, last, gap = 0;

	notify_socket();
	hd_tmpdir(conf, sizeof(conf), "conf");
	strcat(conf, "/iridiumd.conf");
	hd_write(conf, "[pool]\nmin_spare = 3\n[listener line]\n"
	    "transport = line\nport = 0\n");
	argv[n++] = "-f";
	argv[n++] = conf;
	argv[n] = NULL;
	cr_assert_eq(hd_start(&d, argv), 0);

	/* READY=1 comes once the pool has its three spare workers. */
	m = wait_msg("READY=1", 15000, &watchdogs);
	cr_assert_not_null(m, "no READY=1");
	cr_assert_geq(idle_workers(), 3, "READY before the pool was ready");

	m = wait_msg("STATUS=", 5000, &watchdogs);
	cr_assert_not_null(m, "no STATUS=");
	cr_assert_not_null(strstr(m, "0 sessions, 3 idle workers"), "%s", m);

	/*
	 * WATCHDOG=1 every second (half of WATCHDOG_USEC=2 s). What systemd
	 * enforces is the deadline: no 2 s without a ping. So over 5 s,
	 * every gap (from the start, between pings, to the end) must be
	 * under 2 s, and the pings not a flood.
	 */
	watchdogs = 0;
	t0 = last = hd_now_ms();
	while ((now = hd_now_ms()) - t0 < 5000) {
		m = wait_msg("WATCHDOG=1", (int)(5000 - (now - t0)), NULL);
		now = hd_now_ms();
		if (now - last > gap)
			gap = now - last;
		if (m == NULL)
			break;
		watchdogs++;
		last = now;
	}
	cr_assert(gap < 2000, "%lld ms without a watchdog ping (deadline "
	    "2000 ms; %d pings in 5 s)", gap, watchdogs);
	cr_assert(watchdogs >= 2 && watchdogs <= 8, "%d watchdog pings in "
	    "5 s", watchdogs);

	/* HUP: RELOADING=1 with MONOTONIC_USEC, then READY=1. */
	kill(d.pid, SIGHUP);
	m = wait_msg("RELOADING=1", 5000, NULL);
	cr_assert_not_null(m, "no RELOADING=1");
	cr_assert_not_null(strstr(m, "\nMONOTONIC_USEC="), "%s", m);
	cr_assert_not_null(wait_msg("READY=1", 5000, NULL), "no READY=1 "
	    "after the reload");

	/* TERM: STOPPING=1. */
	kill(d.pid, SIGTERM);
	cr_assert_not_null(wait_msg("STOPPING=1", 5000, NULL));
	cr_assert_eq(hd_stop(&d, 0, 15000), 0);
	cr_assert_null(getenv("NOTIFY_SOCKET"));
}

Test(systemd, no_ready_while_the_pool_cannot_fill)
{
	static const char *const argv[] = { "--worker-path", "/bin/false",
	    NULL };

	notify_socket();
	cr_assert_eq(hd_start(&d, argv), 0);
	cr_assert_null(wait_msg("READY=1", 3000, NULL), "READY=1 although "
	    "no worker ever became ready");
}


Test(systemd, socket_activation_with_named_listeners)
{
	char		 dir[256], conf[300], state[300], l1[64], l2[64];
	char		 keyscan[512], *s, *out = NULL;
	const char	*argv[32];
	int		 n = 0, p1 = hd_free_port(), p2 = hd_free_port(), fd, st;

	hd_tmpdir(dir, sizeof(dir), "sa");
	snprintf(conf, sizeof(conf), "%s/iridiumd.conf", dir);
	snprintf(state, sizeof(state), "%s/state", dir);
	hd_write(conf, "[listener line]\ntransport = line\nport = 0\n"
	    "[listener ssh]\ntransport = ssh\nport = 0\n");
	snprintf(l1, sizeof(l1), "127.0.0.1:%d", p1);
	snprintf(l2, sizeof(l2), "127.0.0.1:%d", p2);
	argv[n++] = "/usr/bin/systemd-socket-activate";
	argv[n++] = "-l";
	argv[n++] = l1;
	argv[n++] = "-l";
	argv[n++] = l2;
	argv[n++] = "--fdname=line:ssh";
	argv[n++] = hd_bin("iridiumd");
	argv[n++] = "-f";
	argv[n++] = conf;
	argv[n++] = "--run-dir";
	argv[n++] = dir;
	argv[n++] = "--state-dir";
	argv[n++] = state;
	argv[n++] = "--worker-path";
	argv[n++] = hd_bin("iridium-worker");
	argv[n++] = "--ssh-worker-path";
	argv[n++] = hd_bin("iridium-worker-ssh");
	argv[n] = NULL;
	cr_assert_eq(hd_start_exec(&d, argv, "Listening on"), 0,
	    "systemd-socket-activate did not start");
	snprintf(d.dir, sizeof(d.dir), "%s", dir);

	/* The first connection starts iridiumd, which takes both sockets. */
	fd = tc_connect("127.0.0.1", p1);
	cr_assert_geq(fd, 0);
	s = tc_read_until(fd, ">>> ", 20000);
	cr_assert_not_null(s, "no banner through the inherited socket");
	free(s);
	close(fd);
	cr_assert(hd_wait_log(&d, "socket activation: 2 listening sockets "
	    "from systemd", 1000));
	snprintf(keyscan, sizeof(keyscan), "listening on line %s (socket "
	    "from systemd)", l1);
	cr_assert(hd_wait_log(&d, keyscan, 1000), "%s", d.log);
	snprintf(keyscan, sizeof(keyscan), "listening on ssh %s (socket "
	    "from systemd)", l2);
	cr_assert(hd_wait_log(&d, keyscan, 1000));

	/* The ssh listener answers on its inherited socket too. */
	{
		char		 port[16];
		const char	*av[] = { "/usr/bin/ssh-keyscan", "-t",
		    "ed25519", "-p", port, "127.0.0.1", NULL };

		snprintf(port, sizeof(port), "%d", p2);
		st = hd_run(av, &out, NULL, 20000);
		cr_assert_eq(st, 0);
		cr_assert_not_null(strstr(out, "ssh-ed25519 "), "%s", out);
		free(out);
	}
	cr_assert_eq(hd_stop(&d, SIGTERM, 15000), 0);
}

Test(systemd, an_unclaimed_inherited_socket_is_an_error)
{
	char		 dir[256], conf[300], l1[64];
	const char	*argv[16];
	int		 n = 0, p1 = hd_free_port(), fd;

	hd_tmpdir(dir, sizeof(dir), "sa");
	snprintf(conf, sizeof(conf), "%s/iridiumd.conf", dir);
	hd_write(conf, "[listener line]\ntransport = line\nport = 0\n");
	snprintf(l1, sizeof(l1), "127.0.0.1:%d", p1);
	argv[n++] = "/usr/bin/systemd-socket-activate";
	argv[n++] = "-l";
	argv[n++] = l1;
	argv[n++] = "--fdname=nosuch";
	argv[n++] = hd_bin("iridiumd");
	argv[n++] = "-f";
	argv[n++] = conf;
	argv[n++] = "--run-dir";
	argv[n++] = dir;
	argv[n++] = "--worker-path";
	argv[n++] = hd_bin("iridium-worker");
	argv[n] = NULL;
	cr_assert_eq(hd_start_exec(&d, argv, "Listening on"), 0);
	fd = tc_connect("127.0.0.1", p1);
	cr_assert(hd_wait_log(&d, "no [listener NAME] for the socket named "
	    "nosuch", 15000), "%s", d.log);
	cr_assert_eq(hd_stop(&d, 0, 10000), 1, "start-up fails");
	if (fd != -1)
		close(fd);
}

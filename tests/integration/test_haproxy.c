/*
 * test_haproxy.c: several iridiumd hosts behind HAProxy with the PROXY
 * protocol, on loopback: Debian's haproxy in front of two
 * iridiumd instances, each with its own ports, health-checked as
 * contrib/haproxy/haproxy.cfg does it (send-proxy-v2, check-send-proxy,
 * expect the banner). Sessions land on both; each iridiumd shows the
 * clients' real addresses and holds them to its per-source limit; a
 * direct connection from an address outside proxy_trusted is closed
 * unanswered; bad headers are closed with their log line.
 */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "promcheck.h"

#define PROMPT	">>> "
#define BANNER	"Welcome to Iridium! Let's be productive!\r\n"

static struct hd	 d[2];
static char		 dir[256];
static pid_t		 haproxy = -1;
static int		 front;		/* haproxy's frontend port */

static void
teardown(void)
{
	int	 status;

	if (haproxy > 0) {
		kill(haproxy, SIGTERM);
		waitpid(haproxy, &status, 0);
		haproxy = -1;
	}
	hd_fini();
}

TestSuite(haproxy, .fini = teardown, .timeout = 90);


/* Two iridiumd with a PROXY line listener each, haproxy in front. */
/* How many of the backend's servers haproxy's stats call UP. */
static int
servers_up(void)
{
	struct sockaddr_un	 sun;
	char			 buf[16384], *line, *save;
	size_t			 len = 0;
	ssize_t			 n;
	int			 fd, up = 0;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if ((size_t)snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "%.*s/haproxy.sock", (int)sizeof(sun.sun_path) - 14, dir) >=
	    sizeof(sun.sun_path))
		return 0;
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1)
		return 0;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    write(fd, "show stat\n", 10) != 10) {
		close(fd);
		return 0;
	}
	while (len < sizeof(buf) - 1 &&
	    (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	/* CSV: pxname,svname,...,status,...; a server row's status UP. */
	for (line = strtok_r(buf, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if ((strncmp(line, "iridium_line,a,", 15) == 0 ||
		    strncmp(line, "iridium_line,b,", 15) == 0) &&
		    strstr(line, ",UP,") != NULL)
			up++;
	return up;
}

static void
start_all(const char *limits)
{
	char		 path[320], conf[1024], log[320];
	const char	*argv[] = { "-f", path, NULL };
	int		 i, fd;
	pid_t		 pid;
	char		*s;
	long long	 end;

	hd_tmpdir(dir, sizeof(dir), "haproxy");
	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/iridiumd%d.conf", dir, i);
		snprintf(conf, sizeof(conf), "[limits]\n%s\n[listener line]\n"
		    "transport = line\nport = 0\nproxy_protocol = yes\n"
		    "proxy_trusted = 127.0.0.1/32\n", limits);
		hd_write(path, conf);
		cr_assert_eq(hd_start(&d[i], argv), 0, "iridiumd %d", i);
	}
	front = hd_free_port();
	snprintf(path, sizeof(path), "%s/haproxy.cfg", dir);
	snprintf(conf, sizeof(conf),
	    "global\n"
	    "    maxconn 512\n"
	    "    stats socket %s/haproxy.sock mode 600\n"
	    "defaults\n"
	    "    mode tcp\n"
	    "    timeout connect 2s\n"
	    "    timeout client 60s\n"
	    "    timeout server 60s\n"
	    "frontend iridium_line\n"
	    "    bind 127.0.0.1:%d\n"
	    "    default_backend iridium_line\n"
	    "backend iridium_line\n"
	    "    balance roundrobin\n"
	    "    option tcp-check\n"
	    "    tcp-check expect string Welcome\n"
	    "    server a 127.0.0.1:%d send-proxy-v2 check check-send-proxy "
	    "inter 2s\n"
	    "    server b 127.0.0.1:%d send-proxy-v2 check check-send-proxy "
	    "inter 2s\n", dir, front, d[0].port, d[1].port);
	hd_write(path, conf);
	snprintf(log, sizeof(log), "%s/haproxy.log", dir);
	switch ((pid = fork())) {
	case -1:
		cr_assert_fail("fork");
		break;
	case 0:
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("haproxy", "haproxy", "-db", "-f", path, (char *)NULL);
		_exit(127);
	default:
		haproxy = pid;
		break;
	}
	/* Both servers up: the health checks (a PROXY LOCAL header, then
	 * the banner) reached each iridiumd. */
	for (i = 0; i < 2; i++)
		cr_assert(hd_wait_log(&d[i], "PROXY v2 LOCAL header from "
		    "127.0.0.1:", 15000), "no health check reached %d", i);
	/*
	 * Both servers UP in haproxy's own view (its stats socket), so
	 * round robin has both to choose from: under load a health check
	 * can be slow, and a server not yet up would take no session.
	 */
	end = hd_now_ms() + 20000;
	while (servers_up() < 2) {
		cr_assert_lt(hd_now_ms(), end, "haproxy never saw both "
		    "servers up");
		usleep(100000);
	}
	/* And the frontend answers (from an address no test counts). */
	end = hd_now_ms() + 10000;
	for (;;) {
		fd = tc_connect_from("127.0.0.70", "127.0.0.1", front);
		if (fd != -1) {
			s = tc_read_until(fd, PROMPT, 5000);
			close(fd);
			if (s != NULL) {
				free(s);
				break;
			}
		}
		cr_assert_lt(hd_now_ms(), end, "haproxy does not serve");
		usleep(100000);
	}
}

/* Whether either iridiumd logs needle within timeout_ms. */
static bool
either_log(const char *needle, int timeout_ms)
{
	long long	 end = hd_now_ms() + timeout_ms;

	while (hd_now_ms() < end)
		if (hd_wait_log(&d[0], needle, 50) ||
		    hd_wait_log(&d[1], needle, 50))
			return true;
	return false;
}

/* A session through haproxy from src: banner and prompt read. */
static int
through(const char *src)
{
	int	 fd = tc_connect_from(src, "127.0.0.1", front);
	char	*s;

	cr_assert_geq(fd, 0, "connect from %s", src);
	s = tc_read_until(fd, PROMPT, 10000);
	cr_assert_not_null(s, "no prompt for %s through haproxy", src);
	free(s);
	return fd;
}

/* The live sessions of iridiumd i whose peer starts with prefix. */
static int
sessions_from(int i, const char *prefix, bool check_via)
{
	json_error_t	 jerr;
	json_t		*j, *w, *s;
	char		*out, *err;
	const char	*peer, *via;
	size_t		 k;
	int		 n = 0;

	cr_assert_eq(hd_ctl(&d[i], NULL, &out, &err, "sessions", "--json",
	    NULL), 0, "%s", err);
	j = json_loads(out, 0, &jerr);
	cr_assert_not_null(j, "%s", jerr.text);
	json_array_foreach(j, k, w) {
		s = json_object_get(w, "session");
		peer = json_string_value(json_object_get(s, "peer"));
		via = json_string_value(json_object_get(s, "via"));
		if (peer == NULL || strncmp(peer, prefix, strlen(prefix)) != 0)
			continue;
		if (check_via)
			cr_assert(via != NULL && strncmp(via, "127.0.0.1:",
			    10) == 0, "session from %s via \"%s\"", peer,
			    via != NULL ? via : "(none)");
		n++;
	}
	json_decref(j);
	free(out);
	free(err);
	return n;
}

Test(haproxy, sessions_land_on_both_with_the_clients_real_addresses)
{
	static const char *const src[] = { "127.0.0.81", "127.0.0.82",
	    "127.0.0.83", "127.0.0.84" };
	int	 fd[4], i, n0, n1;
	char	*out, *err;

	start_all("");
	for (i = 0; i < 4; i++)
		fd[i] = through(src[i]);
	n0 = sessions_from(0, "127.0.0.8", true);
	n1 = sessions_from(1, "127.0.0.8", true);
	cr_assert_eq(n0 + n1, 4, "%d + %d sessions", n0, n1);
	cr_assert_gt(n0, 0, "none on the first iridiumd");
	cr_assert_gt(n1, 0, "none on the second iridiumd");
	/* The human summary names them too, as the log does. */
	for (i = 0; i < 2; i++) {
		cr_assert_eq(hd_ctl(&d[i], NULL, &out, &err, "status", NULL),
		    0);
		cr_assert_not_null(strstr(out, "127.0.0.8"), "%s", out);
		free(out);
		free(err);
	}
	cr_assert(either_log(": client 127.0.0.8", 5000));
	cr_assert(either_log(" via 127.0.0.1:", 5000));
	cr_assert(either_log("PROXY v2 header from 127.0.0.1:", 5000));
	for (i = 0; i < 4; i++)
		close(fd[i]);
}

Test(haproxy, per_source_limits_act_on_the_real_address)
{
	int	 fd[8], i, n = 0, other;
	char	*s;

	start_all("sessions_per_source = 2");
	/* Round robin: two each, then the next finds its server full. */
	for (i = 0; i < 8; i++) {
		fd[i] = tc_connect_from("127.0.0.90", "127.0.0.1", front);
		cr_assert_geq(fd[i], 0);
		s = tc_read_until(fd[i], "\r\n", 10000);
		cr_assert_not_null(s, "connection %d got nothing", i);
		if (strncmp(s, BANNER, strlen(BANNER)) != 0) {
			cr_assert_str_eq(s, "Too many sessions from your "
			    "address (at most 2). Please try again later.\r\n");
			free(s);
			break;
		}
		free(s);
		n++;
	}
	cr_assert_eq(n, 4, "%d sessions from one address on two servers", n);
	/* The refused one ends at once, as the worker's log says. */
	cr_assert(either_log("ended (refused)", 5000));
	cr_assert_eq(sessions_from(0, "127.0.0.90:", true), 2);
	cr_assert_eq(sessions_from(1, "127.0.0.90:", true), 2);
	cr_assert(either_log("(via 127.0.0.1:", 5000));
	cr_assert(either_log("refused (the source holds sessions_per_source "
	    "sessions): source 127.0.0.90 holds 2 sessions", 5000));
	/* The balancer's own address is never held to it. */
	other = through("127.0.0.91");
	close(other);
	for (i = 0; i <= n && i < 8; i++)
		close(fd[i]);
}

/* A direct connection to a PROXY listener: nothing read, the reason. */
static void
dropped(int i, const char *src, const char *send, bool half_close)
{
	int	 fd = tc_connect_from(src, "127.0.0.1", d[i].port);
	size_t	 len;
	char	*s;

	cr_assert_geq(fd, 0);
	if (send != NULL)
		tc_send(fd, send);
	if (half_close)
		shutdown(fd, SHUT_WR);
	s = tc_read_all(fd, 10000, &len);
	cr_assert_eq(len, 0, "%s got \"%s\"", src, s);
	free(s);
	close(fd);
}

Test(haproxy, untrusted_peers_and_bad_headers_are_closed_with_a_log_line)
{
	struct prom	 p;
	char		*out, *err, perr[256], big[300];
	int		 slow;
	double		 v;

	start_all("");
	/* Outside proxy_trusted: a header from it means nothing. */
	dropped(0, "127.0.0.77", "PROXY TCP4 203.0.113.9 127.0.0.1 4711 "
	    "2244\r\n", false);
	cr_assert(hd_wait_log(&d[0], "listener line: connection from "
	    "127.0.0.77:", 5000));
	cr_assert(hd_wait_log(&d[0], "refused (a PROXY listener's peer is not "
	    "in proxy_trusted): not in proxy_trusted", 5000));
	/* From the balancer's address, but no good header. */
	slow = tc_connect_from("127.0.0.1", "127.0.0.1", d[1].port);
	tc_send(slow, "PROXY");
	dropped(1, "127.0.0.1", "PROXY TCP4 1.2.3.4 5.6.7.8 99999 80\r\n",
	    false);
	cr_assert(hd_wait_log(&d[1], ": malformed: v1: source port \"99999\" "
	    "is not a port", 5000));
	dropped(1, "127.0.0.1", "PROXY TCP4 1.2", true);
	cr_assert(hd_wait_log(&d[1], ": truncated: the connection closed "
	    "after 14 bytes", 5000));
	/* UNKNOWN may carry anything up to its CRLF: but 107 bytes at most. */
	memset(big, 'A', sizeof(big) - 1);
	memcpy(big, "PROXY UNKNOWN ", 14);
	big[sizeof(big) - 1] = '\0';
	dropped(1, "127.0.0.1", big, false);
	cr_assert(hd_wait_log(&d[1], ": oversized: v1: no CRLF within 107 "
	    "bytes", 5000));
	dropped(1, "127.0.0.1", "GET / HTTP/1.0\r\n\r\n", false);
	cr_assert(hd_wait_log(&d[1], ": missing: no PROXY protocol signature: "
	    "the connection starts with 'G'", 5000));
	/* The slow one: 5 s for the whole header, then closed. */
	free(tc_read_all(slow, 15000, NULL));
	close(slow);
	cr_assert(hd_wait_log(&d[1], ": timed out after 5 s (5 bytes "
	    "received)", 5000));
	/* None of them was a session of the real kind, none penalised. */
	cr_assert_eq(hd_log_count(&d[1], "penalised"), 0);
	cr_assert_eq(hd_ctl(&d[0], NULL, &out, &err, "metrics", NULL), 0);
	cr_assert_eq(prom_parse(out, &p, perr, sizeof(perr)), 0, "%s", perr);
	cr_assert_eq(prom_get(&p, "iridium_admission_refused_total",
	    "limit=\"proxy_untrusted\"", &v), 0);
	cr_assert_eq(v, 1);
	prom_free(&p);
	free(out);
	free(err);
}

Test(haproxy, the_contrib_example_is_a_valid_haproxy_config)
{
	char		 path[512], *out, *err;
	const char	*src = getenv("IRIDIUM_SRC");
	const char	*argv[] = { "/usr/sbin/haproxy", "-c", "-f", path,
	    NULL };

	cr_assert_not_null(src);
	snprintf(path, sizeof(path), "%s/contrib/haproxy/haproxy.cfg", src);
	cr_assert_eq(hd_run(argv, &out, &err, 20000), 0, "%s%s", out, err);
	free(out);
	free(err);
}

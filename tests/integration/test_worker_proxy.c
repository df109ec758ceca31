/*
 * test_worker_proxy.c: the real iridium-worker on a listener that speaks
 * the PROXY protocol (session.proxy), with this test as its supervisor
 * (fakesup.h) and as the balancer in front of it: v1 and v2 headers give
 * a `peer` with the header's address, and after an allowing
 * `peer_verdict` the REPL serves the real client with every byte that
 * followed the header; a refusal gives the client the verdict's line;
 * LOCAL and UNKNOWN headers keep the direct peer and send no `peer`;
 * missing, malformed, truncated, oversized and slow headers each end the
 * session with reason "proxy", their log line, and not a byte to the
 * balancer; the channel is answered throughout. Last, Debian's haproxy
 * itself in front of the worker, with send-proxy and send-proxy-v2.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "fakesup.h"
#include "harness.h"
#include "msg.h"
#include "repl.h"

#define T		FS_TIMEOUT
#define PROMPT		REPL_PROMPT
#define BANNER		REPL_BANNER "\r\n" PROMPT
#define V2SIG		"\r\n\r\n\0\r\nQUIT\n"
#define HAPROXY		"/usr/sbin/haproxy"

static struct fs_worker	 w;
static struct fs_client	 c;
static pid_t		 haproxy = -1;

static void
fini(void)
{
	if (haproxy > 0) {
		kill(haproxy, SIGKILL);
		waitpid(haproxy, NULL, 0);
		haproxy = -1;
	}
	hd_fini();
}

TestSuite(proxy, .fini = fini, .timeout = 60);

/*
 * Hand fd to the worker as session id of a PROXY listener (as iridiumd
 * would after checking that peer is a trusted balancer); take `status`.
 */
static void
proxy_session(int fd, const char *peer, int64_t id)
{
	struct msg_session	 s;
	struct msg		 m;

	memset(&s, 0, sizeof(s));
	s.id = id;
	strlcpy(s.listener, "balanced", sizeof(s.listener));
	strlcpy(s.peer, peer, sizeof(s.peer));
	strlcpy(s.transport, "line", sizeof(s.transport));
	strlcpy(s.tenant, "anonymous", sizeof(s.tenant));
	msg_limits_default(&s.limits);
	s.proxy = true;
	fs_send(&w, MSG_SESSION, &s, fd);
	close(fd);
	w.state = WS_BUSY;
	fs_expect(&w, MSG_STATUS, &m, T);
	cr_assert_str_eq(m.u.status.state, "busy");
	msg_clear(&m);
}

/*
 * A worker with session 17 of a PROXY listener, this test its balancer
 * on the other end of a loopback connection; no header sent yet.
 */
static void
start(void)
{
	char	 peer[64];
	int	 fd;

	fs_start(&w, fs_bin("iridium-worker"), NULL);
	cl_connect(&c, &fd, NULL);
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", c.port);
	proxy_session(fd, peer, 17);
}

static void
expect_peer(const char *addr, int port)
{
	struct msg	 m;

	fs_expect(&w, MSG_PEER, &m, T);
	cr_assert_str_eq(m.u.peer.addr, addr);
	cr_assert_eq(m.u.peer.port, port);
	msg_clear(&m);
}

static void
verdict(bool allow, const char *message)
{
	struct msg_peer_verdict	 v;

	memset(&v, 0, sizeof(v));
	v.allow = allow;
	strlcpy(v.message, message, sizeof(v.message));
	fs_send(&w, MSG_PEER_VERDICT, &v, -1);
}

/* The "$n  v" cell of !registers. */
static const char *
reg(int n, int v)
{
	static char	 s[32];

	snprintf(s, sizeof(s), "$%-2d %11d", n, v);
	return s;
}

static void	expect_log(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
static void	expect_dropped(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/* Wait for a worker log line (formatted). */
static void
expect_log(const char *fmt, ...)
{
	char	 line[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fs_expect_log(&w, line, T);
}

/*
 * The header went wrong: reason "proxy", the log line, and the
 * balancer got nothing but the end of the connection.
 */
static void
expect_dropped(const char *fmt, ...)
{
	char	 line[512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fs_expect_log(&w, line, T);
	fs_expect_end(&w, "proxy", NULL);
	cr_assert(cl_wait_eof(&c, T), "the connection stayed open");
	cr_assert_eq(c.in.len, 0, "the balancer got %zu bytes", c.in.len);
}

/* --- headers that work -------------------------------------------------- */

Test(proxy, v1_header_gives_peer_and_the_repl_gets_the_bytes_after_it)
{
	static const char	 input[] = "load $1 #42\n!registers\n";
	struct msg_counters	 k;
	char			 want[128];

	start();
	/* One segment: header and input together, as a balancer may send. */
	cl_puts(&c, "PROXY TCP4 203.0.113.9 127.0.0.1 4711 2244\r\n");
	cl_puts(&c, input);
	expect_peer("203.0.113.9", 4711);
	expect_log("session 17: PROXY v1 header from 127.0.0.1:%d: client "
	    "203.0.113.9:4711", c.port);
	cr_assert_eq(c.in.len, 0, "output before the verdict");
	verdict(true, "");
	cl_expect(&c, BANNER, T);
	cl_expect(&c, reg(1, 42), T);
	cl_expect(&c, PROMPT, T);
	snprintf(want, sizeof(want), "iridium-worker: line s17 anonymous "
	    "203.0.113.9:4711");
	cr_assert_neq(strstr(fs_title(w.pid), want), NULL, "title: %s",
	    fs_title(w.pid));
	cl_puts(&c, "!quit\n");
	cl_expect(&c, REPL_FAREWELL, T);
	fs_expect_end(&w, "quit", &k);
	/* The header is the balancer's, not the user's input. */
	cr_assert_eq(k.bytes_in, sizeof(input) - 1 + 6);
	cr_assert_eq(k.commands, 3);
}

Test(proxy, v2_ipv6_header_with_tlvs_gives_peer)
{
	static const uint8_t	 addrs[36] = {
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x07,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08,
		0x12, 0x67, 0x08, 0xc4
	};
	static const uint8_t	 tlvs[] = { 0x01, 0, 2, 'h', '2', 0x04, 0, 0 };
	uint8_t			 hdr[128];
	size_t			 n = 0;
	char			 want[128];

	memcpy(hdr, V2SIG, 12);
	hdr[12] = 0x21;
	hdr[13] = 0x21;
	hdr[14] = 0;
	hdr[15] = sizeof(addrs) + sizeof(tlvs);
	n = 16;
	memcpy(hdr + n, addrs, sizeof(addrs));
	n += sizeof(addrs);
	memcpy(hdr + n, tlvs, sizeof(tlvs));
	n += sizeof(tlvs);
	memcpy(hdr + n, "load $2 #7\n", 11);
	n += 11;
	start();
	cl_send(&c, hdr, n);
	expect_peer("2001:db8::7", 4711);
	verdict(true, "");
	cl_expect(&c, BANNER, T);
	cl_expect(&c, PROMPT, T);
	cl_puts(&c, "!registers\n");
	cl_expect(&c, reg(2, 7), T);
	snprintf(want, sizeof(want), "anonymous [2001:db8::7]:4711");
	cr_assert_neq(strstr(fs_title(w.pid), want), NULL, "title: %s",
	    fs_title(w.pid));
}

Test(proxy, header_arriving_in_pieces_is_put_together)
{
	static const char	 h[] = "PROXY TCP4 198.51.100.20 10.0.0.1 "
	    "65535 2244\r\nload $3 #9\n";
	size_t			 i;

	start();
	for (i = 0; i < sizeof(h) - 1; i++) {
		cl_send(&c, h + i, 1);
		usleep(10000);
	}
	expect_peer("198.51.100.20", 65535);
	verdict(true, "");
	cl_expect(&c, BANNER, T);
	cl_expect(&c, PROMPT, T);
	cl_puts(&c, "!registers\n");
	cl_expect(&c, reg(3, 9), T);
}

Test(proxy, refusal_gives_the_client_the_verdicts_line)
{
	start();
	cl_puts(&c, "PROXY TCP4 203.0.113.9 127.0.0.1 4711 2244\r\n"
	    "load $1 #1\n");
	expect_peer("203.0.113.9", 4711);
	verdict(false, "Too many sessions from 203.0.113.9. Goodbye!");
	cr_assert(cl_wait_eof(&c, T));
	cr_assert_str_eq(c.in.data, "Too many sessions from 203.0.113.9. "
	    "Goodbye!\r\n");
	fs_expect_log(&w, "session 17: client 203.0.113.9 refused by the "
	    "supervisor: Too many sessions", T);
	fs_expect_end(&w, "refused", NULL);
}

Test(proxy, local_header_keeps_the_direct_peer_and_sends_no_peer)
{
	char	 want[128];

	start();
	cl_send(&c, V2SIG "\x20\x00\x00\x00", 16);
	cl_expect(&c, BANNER, T);
	snprintf(want, sizeof(want), "anonymous 127.0.0.1:%d", c.port);
	cr_assert_neq(strstr(fs_title(w.pid), want), NULL, "title: %s",
	    fs_title(w.pid));
	cl_puts(&c, "!quit\n");
	/* fs_expect fails on the way if a `peer` comes. */
	fs_expect_end(&w, "quit", NULL);
	expect_log("session 17: PROXY v2 LOCAL header from 127.0.0.1:%d: no "
	    "client address; the session keeps 127.0.0.1:%d", c.port, c.port);
}

Test(proxy, unknown_header_keeps_the_direct_peer)
{
	start();
	cl_puts(&c, "PROXY UNKNOWN\r\n!quit\n");
	cl_expect(&c, REPL_FAREWELL, T);
	fs_expect_end(&w, "quit", NULL);
	fs_expect_log(&w, "PROXY v1 UNKNOWN header", T);
}

/* --- headers that do not ------------------------------------------------ */

Test(proxy, malformed_header_is_dropped_with_its_log_line)
{
	start();
	cl_puts(&c, "PROXY TCP4 1.2.3.4 5.6.7.8 99999 1\r\nload $1 #1\n");
	expect_dropped("session 17: PROXY header from 127.0.0.1:%d: "
	    "malformed: v1: source port \"99999\" is not a port", c.port);
}

Test(proxy, plain_client_without_header_is_dropped)
{
	start();
	cl_puts(&c, "hello\r\n");
	expect_dropped("session 17: PROXY header from 127.0.0.1:%d: missing: "
	    "no PROXY protocol signature: the connection starts with 'h'",
	    c.port);
}

Test(proxy, truncated_header_is_dropped)
{
	start();
	cl_puts(&c, "PROXY TCP4 1.2.3.4");
	shutdown(c.fd, SHUT_WR);
	expect_dropped("session 17: PROXY header from 127.0.0.1:%d: "
	    "truncated: the connection closed after 18 bytes", c.port);
}

Test(proxy, oversized_v2_header_is_dropped_before_its_body)
{
	start();
	/* Length 4096: refused at once, not after 4096 bytes. */
	cl_send(&c, V2SIG "\x21\x11\x10\x00", 16);
	expect_dropped("session 17: PROXY header from 127.0.0.1:%d: "
	    "oversized: v2: length 4096 passes the limit of 520 bytes", c.port);
}

Test(proxy, v1_line_without_crlf_is_dropped)
{
	char	 line[300];

	memset(line, 'x', sizeof(line));
	memcpy(line, "PROXY UNKNOWN ", 14);
	start();
	cl_send(&c, line, sizeof(line));
	expect_dropped("session 17: PROXY header from 127.0.0.1:%d: "
	    "oversized: v1: no CRLF within 107 bytes", c.port);
}

Test(proxy, silent_connection_times_out_after_5_s)
{
	long long	 t0, t;

	t0 = fs_now_ms();
	start();
	expect_dropped("session 17: PROXY header from 127.0.0.1:%d: timed out "
	    "after 5 s (0 bytes received)", c.port);
	t = fs_now_ms() - t0;
	cr_assert(t >= 4900 && t < 9000, "ended after %lld ms", t);
}

Test(proxy, trickling_header_does_not_extend_the_deadline)
{
	static const char	 h[] = "PROXY TCP4 203.0.113.9 127.0.0.1 4711 "
	    "2244\r\n";
	long long		 t0;
	size_t			 i = 0;

	start();
	t0 = fs_now_ms();
	/* A byte every 250 ms: the whole line would take 11 s. */
	while (fs_now_ms() - t0 < 6000 && i < sizeof(h) - 1) {
		if (send(c.fd, h + i++, 1, MSG_NOSIGNAL) != 1)
			break;
		usleep(250000);
	}
	expect_log("session 17: PROXY header from 127.0.0.1:%d: timed out "
	    "after 5 s (", c.port);
	fs_expect_end(&w, "proxy", NULL);
}

/* --- the channel meanwhile --------------------------------------------- */

Test(proxy, ping_is_answered_while_the_header_is_awaited)
{
	struct msg_ping	 p = { 77 };
	struct msg	 m;

	start();
	cl_puts(&c, "PROXY TCP4 203.0");
	fs_send(&w, MSG_PING, &p, -1);
	fs_expect(&w, MSG_PONG, &m, 1000);
	cr_assert_eq(m.u.ping.seq, 77);
	msg_clear(&m);
	cl_puts(&c, ".113.9 127.0.0.1 4711 2244\r\n");
	expect_peer("203.0.113.9", 4711);
	/* And while the verdict is awaited. */
	p.seq = 78;
	fs_send(&w, MSG_PING, &p, -1);
	fs_expect(&w, MSG_PONG, &m, 1000);
	cr_assert_eq(m.u.ping.seq, 78);
	msg_clear(&m);
	verdict(true, "");
	cl_expect(&c, BANNER, T);
}

Test(proxy, shutdown_while_the_header_is_awaited)
{
	struct msg_shutdown	 s = { 5, "test" };

	start();
	fs_send(&w, MSG_SHUTDOWN, &s, -1);
	fs_expect_end(&w, "shutdown", NULL);
	cr_assert(cl_wait_eof(&c, T));
	cr_assert_eq(c.in.len, 0);
}

Test(proxy, no_verdict_in_10_s_ends_the_session_as_an_error)
{
	start();
	cl_puts(&c, "PROXY TCP4 203.0.113.9 127.0.0.1 4711 2244\r\n");
	expect_peer("203.0.113.9", 4711);
	fs_expect_log(&w, "session 17: no peer_verdict from the supervisor in "
	    "10 s", 13000);
	fs_expect_end(&w, "error", NULL);
	cr_assert(cl_wait_eof(&c, T));
	cr_assert_eq(c.in.len, 0);
}

Test(proxy, verdict_without_a_peer_is_a_supervisor_bug)
{
	fs_start(&w, fs_bin("iridium-worker"), NULL);
	fs_session(&w, NULL, &c, NULL);
	cl_expect(&c, BANNER, T);
	verdict(true, "");
	fs_expect_exit(&w, 1, T);
}

/* --- haproxy in front ----------------------------------------------------- */

/* haproxy in TCP mode on front, relaying to back with server options. */
static void
haproxy_start(int front, int back, const char *options)
{
	char	 dir[256], cfg[300], errpath[300];
	FILE	*f;
	int	 fd;

	cr_assert_eq(access(HAPROXY, X_OK), 0, "%s: %s (contrib/deps.txt "
	    "lists haproxy: run contrib/install-deps.sh)", HAPROXY,
	    strerror(errno));
	hd_tmpdir(dir, sizeof(dir), "haproxy");
	snprintf(cfg, sizeof(cfg), "%s/haproxy.cfg", dir);
	snprintf(errpath, sizeof(errpath), "%s/haproxy.err", dir);
	cr_assert_not_null(f = fopen(cfg, "w"));
	fprintf(f, "global\n\tmaxconn 16\n"
	    "defaults\n\tmode tcp\n\ttimeout connect 5s\n"
	    "\ttimeout client 30s\n\ttimeout server 30s\n"
	    "frontend fe\n\tbind 127.0.0.1:%d\n\tdefault_backend be\n"
	    "backend be\n\tserver w1 127.0.0.1:%d %s\n", front, back, options);
	fclose(f);
	cr_assert_neq(haproxy = fork(), -1);
	if (haproxy == 0) {
		if ((fd = open(errpath, O_WRONLY | O_CREAT | O_TRUNC,
		    0600)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(HAPROXY, "haproxy", "-db", "-f", cfg, (char *)NULL);
		_exit(127);
	}
}

/*
 * A client from 127.0.0.5 through haproxy to the worker: haproxy's own
 * connection (from 127.0.0.1) goes to the worker as the session's
 * socket, with its header; the worker must report 127.0.0.5.
 */
static void
through_haproxy(const char *options)
{
	struct sockaddr_in	 from;
	socklen_t		 len;
	long long		 until;
	char			 peer[64];
	int			 lfd, fd, front, back;

	lfd = tc_listen(&back);
	front = hd_free_port();
	haproxy_start(front, back, options);
	fs_start(&w, fs_bin("iridium-worker"), NULL);

	/* The client, from its own loopback address. */
	until = fs_now_ms() + T;
	while ((fd = tc_connect_from("127.0.0.5", "127.0.0.1", front)) == -1) {
		cr_assert_lt(fs_now_ms(), until, "haproxy does not listen on "
		    "%d: %s", front, strerror(errno));
		usleep(50000);
	}
	cl_open(&c, fd);

	/* haproxy's connection to the backend: the session's socket. */
	len = sizeof(from);
	cr_assert_neq(fd = accept4(lfd, (struct sockaddr *)&from, &len,
	    SOCK_CLOEXEC), -1);
	close(lfd);
	snprintf(peer, sizeof(peer), "127.0.0.1:%d", ntohs(from.sin_port));
	proxy_session(fd, peer, 18);

	expect_peer("127.0.0.5", c.port);
	verdict(true, "");
	cl_expect(&c, BANNER, T);
	cl_puts(&c, "load $4 #44\n!registers\n");
	cl_expect(&c, reg(4, 44), T);
	cl_puts(&c, "!quit\n");
	cl_expect(&c, REPL_FAREWELL, T);
	fs_expect_end(&w, "quit", NULL);
}

Test(proxy, haproxy_send_proxy_v1)
{
	through_haproxy("send-proxy");
	fs_expect_log(&w, "PROXY v1 header from 127.0.0.1:", T);
}

Test(proxy, haproxy_send_proxy_v2_with_crc32c)
{
	through_haproxy("send-proxy-v2 proxy-v2-options crc32c");
	fs_expect_log(&w, "PROXY v2 header from 127.0.0.1:", T);
	/* haproxy's checksum, checked: the byte order is right. */
	fs_expect_log(&w, " (CRC32C checked)", T);
}

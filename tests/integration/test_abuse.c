/*
 * test_abuse.c: what an attacker (or bad luck) tried against the real
 * daemon on loopback, each as it was reported, with what must happen
 * instead:
 *
 *   - a client that trickles a line byte by byte, never ending it, is
 *     idle, and a line begun and not finished ends at line_timeout, over
 *     the line protocol and over ssh, with a pty and without;
 *   - a !load of 100,000 labels named to collide in an unkeyed hash
 *     loads like any other (the worker answering pings meanwhile), and
 *     an interrupt stops a long assembly with nothing loaded;
 *   - a !load block with one over-long line loads nothing;
 *   - idle workers stopped with SIGSTOP are not handed the session;
 *   - a burst is refused only past max_workers busy and a full queue;
 *   - refusals are logged at most 20 a second, with a summary;
 *   - a stopped spawner is one log line, and is replaced;
 *   - a control request ended by EOF, not a newline, is answered.
 *
 * Nothing here asserts a duration: each test waits (with generous
 * timeouts) for the behaviour and the log line it proves.
 */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <jansson.h>

#include "buf.h"
#include "crafted.h"
#include "harness.h"
#include "sshc.h"

#define PROMPT		">>> "
#define BUSY		"Server busy, please try again later.\r\n"
#define T		10000		/* ms: a generous wait for one reply */

static struct hd	 d;
static pid_t		 stopped[16];	/* SIGCONT at the end, in any case */
static int		 nstopped;

static void
teardown(void)
{
	int	 i;

	for (i = 0; i < nstopped; i++)
		kill(stopped[i], SIGCONT);
	nstopped = 0;
	hd_fini();
}

TestSuite(abuse, .fini = teardown, .timeout = 120);

static void
stop_process(pid_t pid)
{
	cr_assert_lt(nstopped, 16);
	stopped[nstopped++] = pid;
	cr_assert_eq(kill(pid, SIGSTOP), 0, "SIGSTOP %d", (int)pid);
}

/*
 * Send len bytes of text while reading what comes back (a REPL answers
 * every line, and a client that does not read is cut off); then read
 * until needle has come count times in all. Returns everything read
 * (malloc'd), or fails.
 */
static char *
send_reading(int fd, const char *text, size_t len, const char *needle,
    unsigned count, int timeout_ms)
{
	struct pollfd	 pfd;
	struct buf	 got;
	char		 tmp[65536];
	const char	*p;
	size_t		 off = 0, scan = 0;
	unsigned	 seen = 0;
	ssize_t		 n;
	long long	 end = hd_now_ms() + timeout_ms;
	int		 fl = fcntl(fd, F_GETFL);

	buf_init(&got, 0);
	cr_assert_eq(fcntl(fd, F_SETFL, fl | O_NONBLOCK), 0);
	while (off < len || seen < count) {
		cr_assert_lt(hd_now_ms(), end, "\"%s\" %u of %u times after "
		    "%zu of %zu bytes sent; got %zu bytes, ending \"%.300s\"",
		    needle, seen, count, off, len, got.len, got.len > 300 ?
		    got.data + got.len - 300 : got.data != NULL ? got.data :
		    "");
		pfd.fd = fd;
		pfd.events = POLLIN | (off < len ? POLLOUT : 0);
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		if (pfd.revents & POLLIN) {
			n = read(fd, tmp, sizeof(tmp));
			cr_assert_gt(n, 0, "the session ended: \"%.300s\"",
			    got.len > 300 ? got.data + got.len - 300 :
			    got.data != NULL ? got.data : "");
			for (ssize_t i = 0; i < n; i++)
				if (tmp[i] == '\0')
					tmp[i] = '\1';
			cr_assert_eq(buf_append(&got, tmp, (size_t)n), 0);
			while ((p = strstr(got.data + scan, needle)) != NULL) {
				seen++;
				scan = (size_t)(p - got.data) + strlen(needle);
			}
		}
		if ((pfd.revents & POLLOUT) && off < len) {
			n = send(fd, text + off, len - off > 65536 ? 65536 :
			    len - off, MSG_NOSIGNAL);
			if (n > 0)
				off += (size_t)n;
			else
				cr_assert(n == -1 && errno == EAGAIN,
				    "send: %s", strerror(errno));
		}
	}
	cr_assert_eq(fcntl(fd, F_SETFL, fl), 0);
	return buf_steal(&got);
}

/* A !load block of source text with CRLF line ends, then !end. */
static char *
load_block(const char *src, size_t len, size_t *outlen)
{
	struct buf	 b;
	size_t		 i;

	buf_init(&b, 0);
	buf_puts(&b, "!load\r\n");
	for (i = 0; i < len; i++) {
		if (src[i] == '\n')
			buf_putc(&b, '\r');
		buf_putc(&b, src[i]);
	}
	buf_puts(&b, "!end\r\n");
	*outlen = b.len;
	return buf_steal(&b);
}

/*
 * Send one byte every gap_ms until the session says needle (or ends);
 * what it said. sent gets the bytes sent.
 */
static char *
trickle_until(int fd, const char *needle, int gap_ms, int timeout_ms,
    int *sent)
{
	struct buf	 got;
	char		 tmp[4096];
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	long long	 end = hd_now_ms() + timeout_ms;
	ssize_t		 n;

	buf_init(&got, 0);
	*sent = 0;
	for (;;) {
		cr_assert_lt(hd_now_ms(), end, "no \"%s\" while trickling; got "
		    "\"%s\"", needle, got.data != NULL ? got.data : "");
		if (poll(&pfd, 1, gap_ms) > 0) {
			n = read(fd, tmp, sizeof(tmp));
			if (n <= 0)
				break;
			buf_append(&got, tmp, (size_t)n);
			if (strstr(got.data, needle) != NULL)
				break;
			continue;
		}
		if (send(fd, "x", 1, MSG_NOSIGNAL) == 1)
			(*sent)++;
	}
	return buf_steal(&got);
}

/* --- 1. a line trickled byte by byte ------------------------------------- */

/*
 * One byte every 300 ms, never a line end: the session is idle all the
 * same (warned, then ended at idle), however many bytes came.
 */
Test(abuse, a_trickled_line_is_idle)
{
	json_t	*j, *o;
	size_t	 k;
	char	*s;
	int	 fd, sent, i, seen = 0;

	hd_start_conf(&d, "[limits]\nidle = 4\nidle_warn = 2\n"
	    "line_timeout = 0\n", NULL);
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	/* As iridiumctl sees it: the bytes are counted, the time is idle. */
	for (i = 0; i < 6; i++) {
		tc_send(fd, "x");
		usleep(300000);
	}
	j = hd_status(&d);
	json_array_foreach(json_object_get(j, "workers"), k, o) {
		if ((o = json_object_get(o, "session")) == NULL ||
		    json_is_null(o))
			continue;
		cr_assert_geq(hd_json_num(o, "bytes_in"), 3);
		cr_assert_geq(hd_json_num(o, "idle_seconds"), 1);
		seen++;
	}
	json_decref(j);
	cr_assert_eq(seen, 1);
	s = trickle_until(fd, "Idle timeout. Goodbye!", 300, 30000, &sent);
	cr_assert_not_null(strstr(s, "warning: idle for 2 seconds; this "
	    "session ends in 2 seconds without input\r\n"), "%s", s);
	cr_assert_not_null(strstr(s, "Idle timeout. Goodbye!\r\n"), "%s", s);
	cr_assert_geq(6 + sent, 8, "only %d bytes were trickled", 6 + sent);
	free(s);
	free(tc_read_all(fd, T, NULL));
	close(fd);
	cr_assert(hd_wait_log(&d, "no complete line for 4 s: idle limit "
	    "reached", T));
	cr_assert(hd_wait_log(&d, "ended (idle)", T));
}

/*
 * With no idle limit to speak of, a line begun and never finished ends
 * the session at line_timeout; lines that do end, however slowly typed
 * within it, are commands as always.
 */
Test(abuse, a_line_never_finished_ends_at_line_timeout)
{
	char	*s;
	int	 fd, sent;

	hd_start_conf(&d, "[limits]\nidle = 600\nline_timeout = 3\n", NULL);
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	/* A line in three pieces over about 2 s: a command. */
	tc_send(fd, "load $1");
	usleep(900000);
	tc_send(fd, " #4");
	usleep(900000);
	tc_send(fd, "2\r\n");
	free(tc_read_until(fd, PROMPT, T));
	s = tc_cmd(fd, "!registers");
	cr_assert_not_null(s);
	cr_assert_not_null(strstr(s, "$1           42"), "%s", s);
	free(s);
	s = trickle_until(fd, "Goodbye!", 300, 30000, &sent);
	cr_assert_not_null(strstr(s, "Line not finished within 3 seconds. "
	    "Goodbye!\r\n"), "%s", s);
	cr_assert_geq(sent, 5, "only %d bytes were trickled", sent);
	free(s);
	free(tc_read_all(fd, T, NULL));
	close(fd);
	cr_assert(hd_wait_log(&d, "is not finished: line_timeout of 3 s "
	    "reached", T));
	cr_assert(hd_wait_log(&d, "ended (line)", T));
	cr_assert_eq(hd_log_count(&d, "ended (idle)"), 0);
}

/* --- 2. the assembler's cost --------------------------------------------- */

/*
 * 100,000 labels (891 KB) whose names collide in an unkeyed FNV-1a table
 * load as any program does, well under the assembler's budget, and the
 * worker answers every ping meanwhile (pinged each second, unresponsive
 * after one: none is reported).
 */
Test(abuse, colliding_label_names_load_like_any_others)
{
	char	*src, *block, *s;
	size_t	 len, blen;
	int	 fd;

	hd_start_conf(&d, "[pool]\nping_interval = 1\nping_timeout = 1\n",
	    NULL);
	src = crafted_source(100000, true, &len);
	cr_assert_not_null(src);
	block = load_block(src, len, &blen);
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	s = send_reading(fd, block, blen, "loaded 1 instruction and 0 bytes "
	    "of data\r\n" PROMPT, 1, 120000);
	cr_assert_null(strstr(s, "assembly stopped"), "%.500s", s);
	free(s);
	s = tc_cmd(fd, "!program");
	cr_assert_not_null(s);
	cr_assert_not_null(strstr(s, "hlt"), "%s", s);
	free(s);
	cr_assert_eq(hd_log_count(&d, "unresponsive"), 0, "%s", d.log);
	close(fd);
	free(block);
	free(src);
}

/*
 * An interrupt (telnet IP) stops an assembly that takes long: nothing is
 * loaded, the program is what it was, and the worker answered the
 * supervisor all along. The test worker's "!test slowpoll" makes each of
 * the assembler's poll checkpoints last a second (still serving the
 * client and the channel), as a slow machine would.
 */
Test(abuse, an_interrupt_stops_a_long_assembly)
{
	static const char ip[] = { (char)0xff, (char)0xf4 };
	char	*src, *block, *s;
	size_t	 len, blen;
	int	 fd;

	hd_start_conf(&d, "[pool]\nping_interval = 1\nping_timeout = 1\n"
	    "kill_timeout = 60\n[limits]\ncpu = 0\n", "iridium-worker-test");
	src = crafted_source(100000, true, &len);
	cr_assert_not_null(src);
	block = load_block(src, len, &blen);
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	free(tc_cmd(fd, "load $1 #1"));
	s = tc_cmd(fd, "!test slowpoll");
	cr_assert_not_null(s);
	cr_assert_not_null(strstr(s, "test slowpoll:"), "%s", s);
	free(s);
	/*
	 * Every line of the block ("!load", the labels, "hlt") has had its
	 * "... " prompt before !end comes: the interrupt then finds the
	 * assembly running.
	 */
	s = send_reading(fd, block, blen - strlen("!end\r\n"), "... ",
	    100002, 120000);
	free(s);
	tc_send(fd, "!end\r\n");
	usleep(2500000);
	tc_sendn(fd, ip, sizeof(ip));
	s = tc_read_until(fd, "interrupted while assembling; nothing was "
	    "loaded and the program is unchanged\r\n" PROMPT, 60000);
	cr_assert_not_null(s, "the assembly was not interrupted");
	cr_assert_null(strstr(s, "loaded 1 instruction"), "%s", s);
	free(s);
	s = tc_cmd(fd, "!program");
	cr_assert_not_null(s);
	cr_assert_not_null(strstr(s, "load $1 #1"), "%s", s);
	cr_assert_null(strstr(s, "hlt"), "%s", s);
	free(s);
	cr_assert_eq(hd_log_count(&d, "unresponsive"), 0, "%s", d.log);
	close(fd);
	free(block);
	free(src);
}

/* --- 3. an over-long line inside !load ------------------------------------ */

Test(abuse, a_load_block_with_an_overlong_line_loads_nothing)
{
	struct buf	 b;
	char		*s;
	int		 fd, i;

	hd_start_conf(&d, "[limits]\nline_max = 4096\n", NULL);
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	buf_init(&b, 0);
	buf_puts(&b, "!load\r\nload $1 #1\r\nload $2 #2 ; ");
	for (i = 0; i < 4100; i++)
		buf_putc(&b, 'x');
	buf_puts(&b, "\r\nload $3 #3\r\n!end\r\n!registers\r\n");
	tc_sendn(fd, b.data, b.len);
	s = tc_read_until(fd, "remainder", T);
	cr_assert_not_null(s);
	cr_assert_not_null(strstr(s, "error: line too long (limit 4096 bytes); "
	    "this !load block will load nothing (send !end to close it)"),
	    "%s", s);
	cr_assert_not_null(strstr(s, "error: line 2 of the !load block was "
	    "over the limit of 4096 bytes; nothing was loaded and the "
	    "program is unchanged\r\n" PROMPT), "%s", s);
	cr_assert_null(strstr(s, "loaded 2 instructions"), "%s", s);
	cr_assert_not_null(strstr(s, "$1            0"), "%s", s);
	cr_assert_not_null(strstr(s, "$3            0"), "%s", s);
	free(s);
	buf_free(&b);
	close(fd);
}

/*
 * iridiumd with one ssh listener, tenant dev (key dev in so->dir) and the
 * [limits] lines given; *so is set for sshc_argv().
 */
static void
ssh_start(struct sshc_opts *so, const char *limits)
{
	static char	 dir[256];
	char		 text[1024];

	hd_tmpdir(dir, sizeof(dir), "ssh");
	hd_sh("cd %s && ssh-keygen -q -t ed25519 -N '' -C dev -f dev && "
	    "cp dev.pub dev.keys", dir);
	snprintf(text, sizeof(text), "[daemon]\nstate_dir = %s/state\n"
	    "[limits]\n%s\n[listener ssh]\ntransport = ssh\nport = 0\n"
	    "[tenant dev]\nauthorized_keys = %s/dev.keys\n", dir, limits, dir);
	so->dir = dir;
	sshc_daemon(&d, so, text, NULL);
	sshc_trust(so, SSHC_HOSTKEY, NULL, 0);
}

/* The same over ssh: a shell without a pty, the block on its stdin. */
Test(abuse, an_overlong_line_spoils_a_load_block_over_ssh_too)
{
	struct sshc_opts so;
	struct sshc	 c;
	struct buf	 in;
	int		 i;

	ssh_start(&so, "");
	buf_init(&in, 0);
	buf_puts(&in, "!load\nload $1 #1\nload $2 #2 ; ");
	for (i = 0; i < 4100; i++)
		buf_putc(&in, 'x');
	buf_puts(&in, "\nload $3 #3\n!end\n!registers\n");
	sshc_run(&c, sshc_argv(&so, "dev", "dev", NULL, NULL), in.data);
	buf_putc(&c.o, '\0');
	cr_assert_not_null(strstr(c.o.data, "error: line too long (limit 4096 "
	    "bytes); this !load block will load nothing"), "%s", c.o.data);
	cr_assert_not_null(strstr(c.o.data, "error: line 2 of the !load block "
	    "was over the limit of 4096 bytes; nothing was loaded"), "%s",
	    c.o.data);
	cr_assert_not_null(strstr(c.o.data, "$1            0"), "%s",
	    c.o.data);
	cr_assert_not_null(strstr(c.o.data, "$3            0"), "%s",
	    c.o.data);
	sshc_free(&c);
	buf_free(&in);
}

/*
 * The idle rule is the session's, whatever the transport: keys typed on
 * an ssh pty without Enter, one every 300 ms, leave the session idle.
 */
Test(abuse, keys_typed_over_ssh_without_a_line_are_idle)
{
	struct sshc_opts so;
	struct sshc	 c;
	struct sshc	*cs[1] = { &c };
	const char	*opts[] = { "-tt", NULL };
	size_t		 seen = 0;
	long long	 t0;
	int		 typed = 0;

	ssh_start(&so, "idle = 3\nidle_warn = 0");
	sshc_start(&c, sshc_argv(&so, "dev", "dev", opts, NULL), NULL, 0,
	    true, true);
	sshc_expect(&c, &seen, ">>> ", T);
	t0 = hd_now_ms();
	while (memmem(c.o.data, c.o.len, "Idle timeout", 12) == NULL) {
		cr_assert_lt(hd_now_ms() - t0, 30000, "no idle end after %d "
		    "keys", typed);
		sshc_type(&c, "x");
		typed++;
		sshc_pump(cs, 1, 300);
	}
	cr_assert_geq(typed, 8);
	sshc_finish(cs, 1, T);
	sshc_free(&c);
}

/* Keep the client served (its output read) for ms. */
static void
ssh_pause(struct sshc *c, int ms)
{
	struct sshc	*cs[1] = { c };
	long long	 t0 = hd_now_ms();

	while (hd_now_ms() - t0 < ms)
		sshc_pump(cs, 1, 50);
}

/* Type a key every 300 ms until the session says goodbye; the keys. */
static int
ssh_trickle_until_goodbye(struct sshc *c)
{
	long long	 t0 = hd_now_ms();
	int		 typed = 0;

	while (c->o.data == NULL ||
	    memmem(c->o.data, c->o.len, "Goodbye!", 8) == NULL) {
		cr_assert_lt(hd_now_ms() - t0, 30000, "no goodbye after %d "
		    "keys", typed);
		sshc_type(c, "x");
		typed++;
		ssh_pause(c, 300);
	}
	return typed;
}

/*
 * line_timeout is the session's too, whatever the transport: over ssh a
 * line begun and never finished ends the session with the message and
 * one log line, on a pty (keys typed one every 300 ms, never Enter) and
 * in a shell without one (a line without its end, stdin left open);
 * lines that do end, however slowly typed within it, are commands.
 */
Test(abuse, a_line_never_finished_over_ssh_ends_at_line_timeout)
{
	static const char unfinished[] = "load $2 #7\n!registers\nload $3";
	struct sshc_opts so;
	struct sshc	 c, p;
	struct sshc	*cs[1] = { &c }, *ps[1] = { &p };
	const char	*opts[] = { "-tt", NULL };
	size_t		 seen = 0;
	long long	 t0;

	ssh_start(&so, "idle = 600\nline_timeout = 3");
	sshc_start(&c, sshc_argv(&so, "dev", "dev", opts, NULL), NULL, 0,
	    true, true);
	sshc_expect(&c, &seen, ">>> ", T);
	/* A line in three pieces over about 2 s: a command. */
	sshc_type(&c, "load $1");
	ssh_pause(&c, 900);
	sshc_type(&c, " #4");
	ssh_pause(&c, 900);
	sshc_type(&c, "2\r");
	sshc_expect(&c, &seen, ">>> ", T);
	sshc_type(&c, "!registers\r");
	sshc_expect(&c, &seen, "$1           42", T);
	sshc_expect(&c, &seen, ">>> ", T);
	cr_assert_geq(ssh_trickle_until_goodbye(&c), 5);
	sshc_expect(&c, &seen, "\r\nLine not finished within 3 seconds. "
	    "Goodbye!\r\n", T);
	sshc_finish(cs, 1, T);
	cr_assert(hd_wait_log(&d, "is not finished: line_timeout of 3 s "
	    "reached", T));
	cr_assert(hd_wait_log(&d, "session 1: ended (line)", T));
	sshc_free(&c);

	/* Without a pty: the shell's lines come whole, or not at all. */
	sshc_start(&p, sshc_argv(&so, "dev", "dev", NULL, NULL), unfinished,
	    strlen(unfinished), true, false);
	t0 = hd_now_ms();
	while (p.o.data == NULL ||
	    memmem(p.o.data, p.o.len, "Goodbye!", 8) == NULL) {
		cr_assert_lt(hd_now_ms() - t0, 30000, "no goodbye");
		sshc_pump(ps, 1, 100);
	}
	sshc_finish(ps, 1, T);
	buf_putc(&p.o, '\0');
	cr_assert_not_null(strstr(p.o.data, "$2            7"), "%s",
	    p.o.data);
	cr_assert_not_null(strstr(p.o.data, "Line not finished within 3 "
	    "seconds. Goodbye!\n"), "%s", p.o.data);
	/* Its end is logged once the client has gone: wait for it. */
	cr_assert(hd_wait_log(&d, "session 2: ended (line)", T), "%s", d.log);
	cr_assert_eq(hd_log_count(&d, "ended (idle)"), 0);
	sshc_free(&p);
}

/* --- 4. stopped idle workers ---------------------------------------------- */

/* The pids of the pool's idle workers, from status; how many. */
static int
idle_workers(pid_t *pids, int max)
{
	json_t	*j = hd_status(&d), *o;
	size_t	 i;
	int	 n = 0;

	json_array_foreach(json_object_get(j, "workers"), i, o) {
		if (n < max && strcmp(json_string_value(json_object_get(o,
		    "state")), "idle") == 0)
			pids[n++] = (pid_t)hd_json_num(o, "pid");
	}
	json_decref(j);
	return n;
}

/*
 * Every idle worker stopped: a client still gets its prompt, from a
 * worker that answers; the stopped ones are killed, none of them keeps a
 * session, and every later client is served too.
 */
Test(abuse, stopped_idle_workers_are_not_handed_the_session)
{
	pid_t		 idle[8];
	char		*s;
	int		 n, i, fd[3];
	long long	 t0;

	hd_start_conf(&d, "[pool]\nmin_spare = 3\nmax_spare = 3\n"
	    "handoff_timeout = 1\nping_interval = 10\n", NULL);
	cr_assert(hd_wait_log(&d, "every pool has its spare workers", T));
	t0 = hd_now_ms();
	while ((n = idle_workers(idle, 8)) < 3 && hd_now_ms() - t0 < T)
		usleep(50000);
	cr_assert_eq(n, 3);
	for (i = 0; i < n; i++)
		stop_process(idle[i]);
	for (i = 0; i < 3; i++) {
		fd[i] = tc_connect(d.host, d.port);
		cr_assert_geq(fd[i], 0);
		s = tc_read_until(fd[i], PROMPT, 30000);
		cr_assert_not_null(s, "client %d got no prompt", i);
		free(s);
		s = tc_cmd(fd[i], "load $2 #7");
		cr_assert_not_null(s, "client %d is not served", i);
		free(s);
	}
	cr_assert(hd_wait_log(&d, "did not take it; the connection from "
	    "127.0.0.1:", T));
	for (i = 0; i < n; i++) {
		t0 = hd_now_ms();
		while (!proc_gone(idle[i]) && hd_now_ms() - t0 < 20000)
			usleep(50000);
		cr_assert(proc_gone(idle[i]), "stopped worker %d lives on",
		    (int)idle[i]);
		cr_assert_neq(hd_worker_for_port(&d, tc_local_port(fd[0])),
		    idle[i]);
	}
	/* Each session is counted once: none lost, none failed. */
	for (i = 0; i < 3; i++) {
		tc_send(fd[i], "!quit\r\n");
		free(tc_read_all(fd[i], T, NULL));
		close(fd[i]);
	}
	t0 = hd_now_ms();
	while (hd_log_count(&d, "ended (quit)") < 3 && hd_now_ms() - t0 < T)
		usleep(50000);
	cr_assert_eq(hd_log_count(&d, "ended (quit)"), 3);
	/* No session failed: the ones handed to stopped workers went on. */
	cr_assert_eq(hd_log_count(&d, "(tenant anonymous, peer"), 0, "%s",
	    d.log);
}

/* --- 5. bursts ------------------------------------------------------------ */

/*
 * Connect n clients at once and see what each meets: 'p' its prompt, 'b'
 * the one busy line and the end, 'w' nothing (it waits, its connection
 * open). Up to 30 s for want_prompts prompts, then one more second for
 * anything else to come.
 */
static void
burst(int n, int want_prompts, int *fds, char *what, int *prompts,
    int *busy, int *waiting)
{
	struct pollfd	 pfd[32];
	struct buf	 got[32];
	char		 tmp[4096];
	long long	 end = hd_now_ms() + 30000, grace = 0;
	ssize_t		 r;
	int		 i, open;

	cr_assert_leq(n, 32);
	for (i = 0; i < n; i++) {
		fds[i] = tc_connect(d.host, d.port);
		cr_assert_geq(fds[i], 0, "connect %d", i);
		buf_init(&got[i], 0);
		what[i] = 'w';
	}
	*prompts = *busy = 0;
	for (;;) {
		if (grace == 0 && (*prompts >= want_prompts ||
		    hd_now_ms() >= end))
			grace = hd_now_ms() + 1000;
		if (grace != 0 && hd_now_ms() >= grace)
			break;
		for (i = open = 0; i < n; i++) {
			pfd[i].fd = what[i] == 'w' ? fds[i] : -1;
			pfd[i].events = POLLIN;
			open += what[i] == 'w';
		}
		if (open == 0 || poll(pfd, (nfds_t)n, 100) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			if ((r = read(fds[i], tmp, sizeof(tmp))) <= 0) {
				cr_assert_str_eq(got[i].data != NULL ?
				    got[i].data : "", BUSY, "client %d", i);
				what[i] = 'b';
				(*busy)++;
				close(fds[i]);
				fds[i] = -1;
				continue;
			}
			buf_append(&got[i], tmp, (size_t)r);
			if (strstr(got[i].data, PROMPT) != NULL) {
				what[i] = 'p';
				(*prompts)++;
			}
		}
	}
	for (i = *waiting = 0; i < n; i++) {
		if (what[i] == 'w') {
			cr_assert_eq(got[i].len, 0, "client %d: \"%s\"", i,
			    got[i].data);
			(*waiting)++;
		}
		buf_free(&got[i]);
	}
}

/*
 * 20 clients at once on an idle pool of max_workers 16 and queue 16: 16
 * are served, the 4 others wait for a worker; none is told "busy".
 */
Test(abuse, a_burst_waits_for_workers_up_to_max_workers)
{
	int	 fds[20], prompts, busy, waiting, i;
	char	 what[20], *s;

	hd_start_conf(&d, "[pool]\nmin_spare = 2\nmax_spare = 2\n"
	    "max_workers = 16\nqueue = 16\nqueue_timeout = 60\n", NULL);
	cr_assert(hd_wait_log(&d, "every pool has its spare workers", T));
	burst(20, 16, fds, what, &prompts, &busy, &waiting);
	cr_assert_eq(busy, 0, "%d told busy", busy);
	cr_assert_eq(prompts, 16);
	cr_assert_eq(waiting, 4);
	cr_assert_eq(hd_log_count(&d, "refused"), 0);
	/* As sessions end, the waiting ones are served. */
	for (i = 0; i < 20; i++)
		if (what[i] == 'p')
			close(fds[i]);
	for (i = 0; i < 20; i++) {
		if (what[i] != 'w')
			continue;
		s = tc_read_until(fds[i], PROMPT, 30000);
		cr_assert_not_null(s, "waiting client %d was not served", i);
		free(s);
		close(fds[i]);
	}
}

/*
 * The limit, exactly: max_workers 4 busy and 2 waiting (queue 2): the
 * next is told "busy", with the log line saying why.
 */
Test(abuse, busy_exactly_when_max_workers_are_busy_and_the_queue_is_full)
{
	int	 fds[7], prompts, busy, waiting, i;
	char	 what[7];

	hd_start_conf(&d, "[pool]\nmin_spare = 1\nmax_spare = 1\n"
	    "max_workers = 4\nqueue = 2\nqueue_timeout = 60\n", NULL);
	cr_assert(hd_wait_log(&d, "every pool has its spare workers", T));
	burst(6, 4, fds, what, &prompts, &busy, &waiting);
	cr_assert_eq(busy, 0);
	cr_assert_eq(prompts, 4);
	cr_assert_eq(waiting, 2);
	burst(1, 0, fds + 6, what + 6, &prompts, &busy, &waiting);
	cr_assert_eq(busy, 1);
	cr_assert(hd_wait_log(&d, "refused: all 4 workers (max_workers) busy, "
	    "starting or ending, and 2 connections waiting (queue 2)", T));
	for (i = 0; i < 6; i++)
		close(fds[i]);
}

/* --- 6. refusals in the log ----------------------------------------------- */

/* The number after "kind " in the log's summaries, summed. */
static int
summarised(const char *kind)
{
	const char	*p = d.log;
	char		 want[64];
	int		 total = 0;

	snprintf(want, sizeof(want), " %s ", kind);
	while ((p = strstr(p, "more refused connections not logged")) !=
	    NULL) {
		const char *eol = strchr(p, '\n'), *k = strstr(p, want);

		if (k != NULL && (eol == NULL || k < eol))
			total += atoi(k + strlen(want));
		p++;
	}
	return total;
}

/*
 * 300 connections refused as busy in a burst: at most 20 refusal lines
 * a second reach the log, and a summary accounts for every other one.
 */
Test(abuse, refusals_are_logged_twenty_a_second_with_a_summary)
{
	int	 held, i, fd, logged, left_out;
	long long t0;
	char	*s;

	hd_start_conf(&d, "[pool]\nmin_spare = 1\nmax_spare = 1\n"
	    "max_workers = 1\nqueue = 0\n", NULL);
	held = tc_session(&d);
	cr_assert_geq(held, 0);
	for (i = 0; i < 300; i++) {
		fd = tc_connect(d.host, d.port);
		cr_assert_geq(fd, 0);
		s = tc_read_all(fd, T, NULL);
		cr_assert_str_eq(s, BUSY, "connection %d", i);
		free(s);
		close(fd);
	}
	t0 = hd_now_ms();
	for (;;) {
		(void)hd_wait_log(&d, "\1", 200);	/* read on */
		logged = hd_log_count(&d, "refused: all 1 worker (max_workers)");
		left_out = summarised("busy");
		if (logged + left_out >= 300 || hd_now_ms() - t0 > 20000)
			break;
	}
	cr_assert_eq(logged + left_out, 300, "%d logged, %d summarised",
	    logged, left_out);
	cr_assert_gt(left_out, 0);
	cr_assert(hd_log_count(&d, "(at most 20 lines a second): busy ") >= 1);
	close(held);
}

/* --- 7. the spawner and the control socket -------------------------------- */

/*
 * The spawner stopped while workers are asked for: one log line, naming
 * it (no "worker 0"), it is killed, and a new one serves the next ones.
 */
Test(abuse, a_stopped_spawner_is_one_log_line_and_is_replaced)
{
	pid_t		 sp;
	char		 want[64], *s;
	int		 fd[4], i;
	long long	 t0;

	hd_start_conf(&d, "[pool]\nmin_spare = 1\nmax_spare = 1\n"
	    "ready_timeout = 1\nthrottle = 1\n", NULL);
	cr_assert(hd_wait_log(&d, "every pool has its spare workers", T));
	cr_assert_neq(sp = hd_spawner(&d), 0);
	stop_process(sp);
	/* Each session asks for a replacement the spawner never starts. */
	for (i = 0; i < 2; i++)
		fd[i] = tc_connect(d.host, d.port);
	snprintf(want, sizeof(want), "spawner %d did not answer for ", (int)sp);
	cr_assert(hd_wait_log(&d, want, 20000));
	cr_assert_eq(hd_log_count(&d, want), 1);
	cr_assert_eq(hd_log_count(&d, "worker 0"), 0, "%s", d.log);
	cr_assert_eq(hd_log_count(&d, "no ready message"), 0, "%s", d.log);
	for (i = 0; i < 2; i++) {
		s = tc_read_until(fd[i], PROMPT, 30000);
		cr_assert_not_null(s, "client %d was not served", i);
		free(s);
	}
	for (i = 2; i < 4; i++) {
		fd[i] = tc_session(&d);
		cr_assert_geq(fd[i], 0, "client %d after the new spawner", i);
	}
	t0 = hd_now_ms();
	while (!proc_gone(sp) && hd_now_ms() - t0 < T)
		usleep(50000);
	cr_assert(proc_gone(sp), "the stopped spawner lives on");
	cr_assert_neq(hd_spawner(&d), sp);
	cr_assert_eq(hd_log_count(&d, want), 1);
	for (i = 0; i < 4; i++)
		close(fd[i]);
}

/* A request with no newline, then EOF: answered all the same. */
Test(abuse, a_control_request_ended_by_eof_is_answered)
{
	struct sockaddr_un	 sun;
	json_t			*j;
	char			*s;
	int			 fd;

	hd_start_conf(&d, "", NULL);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, hd_control(&d), sizeof(sun.sun_path));
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	tc_send(fd, "{\"v\":1,\"command\":\"status\"}");
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	s = tc_read_all(fd, T, NULL);
	j = json_loads(s, 0, NULL);
	cr_assert_not_null(j, "no JSON reply: \"%s\"", s);
	cr_assert(json_is_true(json_object_get(j, "ok")), "%s", s);
	cr_assert_not_null(json_object_get(json_object_get(j, "status"),
	    "schema_version"), "%.300s", s);
	json_decref(j);
	free(s);
	close(fd);
}

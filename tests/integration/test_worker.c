/*
 * test_worker.c: the real iridium-worker ($IRIDIUM_BUILD/iridium-worker)
 * serving a line session, with this test as its supervisor (fakesup.h)
 * and as its client on TCP loopback: banner and prompt, CRLF out and
 * every line end in, telnet IAC handling, interrupts, long lines, binary
 * input, every way a session ends (quit, hangup, idle, lifetime, output
 * limits, a client that stops reading, shutdown) with its session_end,
 * pings answered idle and mid-run, status at most once a second, and the
 * process title.
 */
#include <sys/socket.h>

#include <criterion/criterion.h>
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
#include "telnet.h"

#define T		FS_TIMEOUT
#define PROMPT		REPL_PROMPT
#define BIG_BUDGET	1000000000000ULL

/* An endless loop: jmpb $0 with $0 = 4 jumps to itself. */
#define PROG_LOOP	"!load\nload $0 #4\nloop: jmpb $0\n!end\n"
/* An endless loop printing 36 bytes per turn. */
#define SPAM		"spam spam spam spam spam spam spam!"
#define PROG_SPAM	"!load\n.data\nmsg: .asciiz '" SPAM "\\n'\n.code\n" \
			"load $0 #8\ntop: prts @msg\njmpb $0\n!end\n"

static struct fs_worker	 w;
static struct fs_client	 c;

TestSuite(worker, .fini = hd_fini, .timeout = 90);

/* A worker in a session with lim (NULL: defaults), banner read. */
static void
start(const struct msg_limits *lim, const struct fs_opts *o)
{
	fs_start(&w, fs_bin("iridium-worker"), lim);
	fs_session(&w, lim, &c, o);
	cl_expect(&c, REPL_BANNER "\r\n" PROMPT, T);
}

static void
limits(struct msg_limits *l)
{
	msg_limits_default(l);
}

/* The "$n  v" cell of !registers. */
static const char *
reg(int n, int v)
{
	static char	 s[4][32];
	static int	 slot;
	char		*p = s[slot++ % 4];

	snprintf(p, 32, "$%-2d %11d", n, v);
	return p;
}

static void
registers(void)
{
	cl_puts(&c, "!registers\n");
	cl_expect(&c, "loop_counter", T);
	cl_expect(&c, PROMPT, T);
}

/* Every LF the worker sent is part of a CRLF. */
static void
assert_crlf_only(void)
{
	size_t	 i;

	for (i = 0; i < c.in.len; i++)
		if (c.in.data[i] == '\n')
			cr_assert(i > 0 && c.in.data[i - 1] == '\r',
			    "bare LF at byte %zu of the output", i);
}

Test(worker, banner_prompt_and_crlf_output)
{
	start(NULL, NULL);
	cl_puts(&c, "!help\n");
	cl_expect(&c, "!quit", T);
	cl_expect(&c, PROMPT, T);
	assert_crlf_only();
}

Test(worker, instruction_changes_registers)
{
	start(NULL, NULL);
	cl_puts(&c, "load $1 #42\n");
	cl_expect(&c, PROMPT, T);
	cl_puts(&c, "!registers\n");
	cl_expect(&c, reg(1, 42), T);
	cl_expect(&c, PROMPT, T);
}

Test(worker, load_runs_a_prts_program)
{
	start(NULL, NULL);
	cl_puts(&c, "!load\n.data\nhello: .asciiz 'Hello from PRTS\\n'\n"
	    ".code\nprts @hello\nhlt\n!end\n");
	cl_expect(&c, REPL_PROMPT_LOAD, T);
	cl_expect(&c, "loaded 2 instructions", T);
	cl_expect(&c, "\r\nHello from PRTS\r\n" PROMPT, T);
	assert_crlf_only();
}

Test(worker, every_line_end_is_accepted)
{
	static const char	 in[] = "load $2 #7\r\nload $3 #9\nload $4 "
	    "#11\r\0load $5 #13\rload $6 #15\n";

	start(NULL, NULL);
	cl_send(&c, in, sizeof(in) - 1);
	registers();
	cr_assert_neq(strstr(c.in.data, reg(2, 7)), NULL);
	cr_assert_neq(strstr(c.in.data, reg(3, 9)), NULL);
	cr_assert_neq(strstr(c.in.data, reg(4, 11)), NULL);
	cr_assert_neq(strstr(c.in.data, reg(5, 13)), NULL);
	cr_assert_neq(strstr(c.in.data, reg(6, 15)), NULL);
	/* Banner, 5 lines, !registers: CR NUL and CR LF are one end each. */
	cr_assert_eq(cl_count(&c, PROMPT), 7, "prompts: %d",
	    cl_count(&c, PROMPT));
}

Test(worker, telnet_sequences_are_stripped_and_refused)
{
	static const uint8_t	 in[] = { 'l', 'o', TELNET_IAC, TELNET_DO, 24,
	    'a', 'd', ' ', '$', '5', ' ', TELNET_IAC, TELNET_SB, 31, 0, 80, 0,
	    24, TELNET_IAC, TELNET_SE, '#', '1', '3', '\r', '\n' };
	/* A telnet command shows a telnet client: character mode is
	 * offered (it does not answer: line mode stays); TTYPE refused. */
	static const uint8_t	 offer[] = { TELNET_IAC, TELNET_WILL, 1,
	    TELNET_IAC, TELNET_WILL, 3, TELNET_IAC, TELNET_DO, 31 };
	static const uint8_t	 wont[] = { TELNET_IAC, TELNET_WONT, 24 };

	start(NULL, NULL);
	cl_send(&c, in, sizeof(in));
	cl_expectn(&c, offer, sizeof(offer), T);
	cl_expectn(&c, wont, sizeof(wont), T);
	cl_expect(&c, PROMPT, T);
	cl_puts(&c, "!registers\r\n");
	cl_expect(&c, reg(5, 13), T);
}

Test(worker, telnet_ayt_is_answered)
{
	static const uint8_t	 ayt[] = { TELNET_IAC, TELNET_AYT };

	start(NULL, NULL);
	cl_send(&c, ayt, sizeof(ayt));
	cl_expect(&c, "[Iridium: yes]", T);
}

Test(worker, ip_at_the_prompt_discards_the_partial_line)
{
	static const uint8_t	 ip[] = { TELNET_IAC, TELNET_IP };

	start(NULL, NULL);
	cl_puts(&c, "load $6 #99");
	cl_send(&c, ip, sizeof(ip));
	cl_puts(&c, "load $7 #3\r\n");
	cl_expect(&c, "\r\n" PROMPT, T);
	cl_expect(&c, PROMPT, T);
	registers();
	cr_assert_neq(strstr(c.in.data, reg(6, 0)), NULL, "$6 was set");
	cr_assert_neq(strstr(c.in.data, reg(7, 3)), NULL);
}

Test(worker, ip_interrupts_a_running_program_and_typed_input_waits)
{
	static const uint8_t	 ip[] = { TELNET_IAC, TELNET_IP };
	struct msg_limits	 l;

	limits(&l);
	l.budget = BIG_BUDGET;
	start(&l, NULL);
	cl_puts(&c, PROG_LOOP);
	/* Flushed at the first poll checkpoint: the loop is running. */
	cl_expect(&c, "loaded 2 instructions", T);
	cl_drain(&c, 300);
	cr_assert_eq(cl_count(&c, "interrupted"), 0);
	/* Typed while it runs: kept until the run is over. */
	cl_puts(&c, "load $9 #5\n");
	cl_send(&c, ip, sizeof(ip));
	cl_expect(&c, "interrupted at pc", T);
	cl_expect(&c, PROMPT, T);
	registers();
	cr_assert_neq(strstr(c.in.data, reg(9, 5)), NULL);
}

Test(worker, line_past_line_max_is_refused_and_the_session_goes_on)
{
	size_t	 n = 1 << 20;
	char	*big = malloc(n + 1);

	cr_assert_not_null(big);
	memset(big, 'a', n);
	big[n] = '\n';
	start(NULL, NULL);
	cl_send(&c, big, n + 1);
	cl_expect(&c, "error: line too long (limit 4096 bytes); ignored\r\n"
	    PROMPT, T);
	cl_puts(&c, "load $1 #3\n");
	registers();
	cr_assert_neq(strstr(c.in.data, reg(1, 3)), NULL);
	cr_assert_eq(cl_count(&c, "too long"), 1);
	free(big);
}

Test(worker, line_max_is_the_longest_line_taken)
{
	char	 line[4096 + 2];

	start(NULL, NULL);
	/* Exactly line_max bytes: the REPL gets it (and finds no opcode). */
	memset(line, 'x', 4096);
	line[4096] = '\n';
	cl_send(&c, line, 4097);
	cl_expect(&c, PROMPT, T);
	cr_assert_eq(cl_count(&c, "too long"), 0);
	/* One more byte: refused. */
	memset(line, 'x', 4097);
	line[4097] = '\n';
	cl_send(&c, line, 4098);
	cl_expect(&c, "line too long", T);
}

Test(worker, binary_garbage_does_not_break_the_session)
{
	uint8_t		 junk[65536];
	unsigned	 seed = 7;
	size_t		 i;

	for (i = 0; i < sizeof(junk); i++) {
		seed = seed * 1103515245 + 12345;
		/* Every byte but IAC (whose sequences are tested above). */
		junk[i] = (uint8_t)((seed >> 16) % 255);
	}
	start(NULL, NULL);
	cl_send(&c, junk, sizeof(junk));
	cl_puts(&c, "\nload $8 #1\n");
	registers();
	cr_assert_neq(strstr(c.in.data, reg(8, 1)), NULL);
}

Test(worker, quit_says_farewell_and_reports_counters)
{
	static const char	 cmds[] = "load $1 #1\n!quit\n";
	struct msg_counters	 k;

	start(NULL, NULL);
	cl_puts(&c, cmds);
	cl_expect(&c, REPL_FAREWELL "\r\n", T);
	cr_assert(cl_wait_eof(&c, T), "no EOF after !quit");
	fs_expect_end(&w, "quit", &k);
	cr_assert_eq(k.bytes_in, sizeof(cmds) - 1);
	cr_assert_eq(k.bytes_out, c.in.len);
	cr_assert_eq(k.commands, 2);
	cr_assert_eq(k.instructions, 1);
	cr_assert_gt(k.program_bytes, 0);
	cr_assert_gt(k.duration_ms, 0);
}

Test(worker, client_hangup_ends_the_session)
{
	start(NULL, NULL);
	cl_puts(&c, "load $1 #1\n");
	cl_expect(&c, PROMPT, T);
	close(c.fd);
	c.fd = -1;
	fs_expect_end(&w, "hangup", NULL);
}

Test(worker, half_closed_client_still_gets_its_output)
{
	start(NULL, NULL);
	cl_puts(&c, "load $1 #5\n!registers");	/* no final newline */
	shutdown(c.fd, SHUT_WR);
	cl_expect(&c, reg(1, 5), T);
	cr_assert(cl_wait_eof(&c, T));
	fs_expect_end(&w, "hangup", NULL);
}

Test(worker, idle_warning_then_timeout)
{
	struct msg_limits	 l;
	long long		 t0, t;

	limits(&l);
	l.idle = 4;
	l.idle_warn = 2;
	t0 = fs_now_ms();
	start(&l, NULL);
	cl_expect(&c, "\r\nwarning: idle for 2 seconds; this session ends in "
	    "2 seconds without input\r\n" PROMPT, T);
	t = fs_now_ms() - t0;
	cr_assert(t >= 1900 && t < 3900, "warning after %lld ms", t);
	cl_expect(&c, "\r\nIdle timeout. Goodbye!\r\n", T);
	t = fs_now_ms() - t0;
	cr_assert(t >= 3900, "timeout after %lld ms", t);
	cr_assert(cl_wait_eof(&c, T));
	fs_expect_end(&w, "idle", NULL);
}

Test(worker, input_restarts_the_idle_timer)
{
	struct msg_limits	 l;
	long long		 t0, t;

	limits(&l);
	l.idle = 3;
	l.idle_warn = 0;
	t0 = fs_now_ms();
	start(&l, NULL);
	usleep(2000000);
	cl_puts(&c, "\n");
	cl_expect(&c, "Idle timeout", T);
	t = fs_now_ms() - t0;
	cr_assert(t >= 4900, "ended after %lld ms", t);
	cr_assert_eq(cl_count(&c, "warning"), 0);
	fs_expect_end(&w, "idle", NULL);
}

Test(worker, lifetime_warning_then_end_even_mid_run)
{
	struct msg_limits	 l;

	limits(&l);
	l.lifetime = 3;
	l.lifetime_warn = 2;
	l.budget = BIG_BUDGET;
	start(&l, NULL);
	cl_expect(&c, "warning: this session ends in 2 seconds (lifetime "
	    "limit of 3 seconds)\r\n", T);
	cl_puts(&c, PROG_LOOP);
	cl_expect(&c, "\r\nSession lifetime of 3 seconds reached. Goodbye!\r\n",
	    T);
	cr_assert(cl_wait_eof(&c, T));
	fs_expect_end(&w, "lifetime", NULL);
}

Test(worker, client_that_stops_reading_is_cut_off)
{
	struct msg_limits	 l;
	struct fs_opts		 o = { 4096, 4096 };

	limits(&l);
	l.budget = BIG_BUDGET;
	l.output_rate = 0;
	l.outbuf_max = 4096;
	start(&l, &o);
	cl_puts(&c, PROG_SPAM);
	/* Never read again. */
	fs_expect_log(&w, "client stopped reading", 30000);
	fs_expect_end(&w, "output", NULL);
}

Test(worker, output_max_ends_the_session_with_a_notice)
{
	struct msg_limits	 l;
	struct msg_counters	 k;

	limits(&l);
	l.budget = BIG_BUDGET;
	l.output_max = 1000;
	start(&l, NULL);
	cl_puts(&c, PROG_SPAM);
	cl_expect(&c, "\r\nOutput limit of 1000 bytes for this session "
	    "reached. Goodbye!\r\n", T);
	cr_assert(cl_wait_eof(&c, T));
	fs_expect_end(&w, "output", &k);
	/*
	 * 1000 bytes: the "loaded" line, then spam lines of 37 bytes with
	 * CRLF; never more.
	 */
	cr_assert_leq(cl_count(&c, "spam!"),
	    (int)(1000 / (sizeof(SPAM) + 1) + 1));
	cr_assert_geq(cl_count(&c, "spam!"),
	    (int)(900 / (sizeof(SPAM) + 1) - 1));
}

Test(worker, output_rate_throttles_and_ip_still_interrupts)
{
	static const uint8_t	 ip[] = { TELNET_IAC, TELNET_IP };
	struct msg_limits	 l;
	size_t			 before, got;
	long long		 t0;

	limits(&l);
	l.budget = BIG_BUDGET;
	l.output_rate = 4000;
	start(&l, NULL);
	cl_puts(&c, PROG_SPAM);
	cl_expect(&c, "spam!", T);
	before = c.in.len;
	t0 = fs_now_ms();
	cl_drain(&c, 3000);
	got = c.in.len - before;
	/* Three seconds at 4000 bytes/s, give or take a window. */
	cr_assert(got >= 6000 && got <= 18000, "%zu bytes in %lld ms", got,
	    fs_now_ms() - t0);
	cl_send(&c, ip, sizeof(ip));
	cl_expect(&c, "interrupted at pc", T);
	cl_expect(&c, PROMPT, T);
}

Test(worker, ping_is_answered_while_idle)
{
	struct msg_ping	 p = { 41 };
	struct msg	 m;

	fs_start(&w, fs_bin("iridium-worker"), NULL);
	fs_send(&w, MSG_PING, &p, -1);
	fs_expect(&w, MSG_PONG, &m, T);
	cr_assert_eq(m.u.ping.seq, 41);
	msg_clear(&m);
}

Test(worker, ping_is_answered_while_a_program_runs)
{
	struct msg_ping		 p = { 42 };
	struct msg_limits	 l;
	struct msg		 m;
	long long		 t0;

	limits(&l);
	l.budget = BIG_BUDGET;
	start(&l, NULL);
	cl_puts(&c, PROG_LOOP);
	cl_expect(&c, "loaded 2 instructions", T);
	t0 = fs_now_ms();
	fs_send(&w, MSG_PING, &p, -1);
	fs_expect(&w, MSG_PONG, &m, T);
	cr_assert_eq(m.u.ping.seq, 42);
	cr_assert_lt(fs_now_ms() - t0, 1000);
	msg_clear(&m);
	cr_assert_eq(cl_count(&c, "interrupted"), 0, "the loop ended");
}

Test(worker, shutdown_while_idle_exits)
{
	struct msg_shutdown	 s = { 5, "test" };

	fs_start(&w, fs_bin("iridium-worker"), NULL);
	fs_send(&w, MSG_SHUTDOWN, &s, -1);
	fs_expect_exit(&w, 0, T);
}

Test(worker, shutdown_mid_run_says_goodbye)
{
	struct msg_shutdown	 s = { 5, "server shutting down" };
	struct msg_limits	 l;

	limits(&l);
	l.budget = BIG_BUDGET;
	start(&l, NULL);
	cl_puts(&c, PROG_LOOP);
	cl_expect(&c, "loaded 2 instructions", T);
	fs_send(&w, MSG_SHUTDOWN, &s, -1);
	cl_expect(&c, "\r\nServer shutting down. Goodbye!\r\n", T);
	cr_assert(cl_wait_eof(&c, T));
	fs_expect_end(&w, "shutdown", NULL);
}

/* The supervisor's reason is what the client reads (iridiumctl kill). */
Test(worker, an_administrators_end_says_so)
{
	struct msg_shutdown	 s = { 5, "session ended by the administrator" };
	struct msg_limits	 l;

	limits(&l);
	start(&l, NULL);
	cl_puts(&c, "load $1 #1\n");
	fs_send(&w, MSG_SHUTDOWN, &s, -1);
	cl_expect(&c, "\r\nSession ended by the administrator. Goodbye!\r\n",
	    T);
	cr_assert(cl_wait_eof(&c, T));
	fs_expect_end(&w, "shutdown", NULL);
}

Test(worker, status_comes_at_most_once_a_second)
{
	struct msg	 m;
	long long	 t0, last = 0, t;
	char		 err[256];
	int		 n = 0, r;

	start(NULL, NULL);
	t0 = fs_now_ms();
	/* Activity every 100 ms for 3.5 s: plenty to report. */
	while (fs_now_ms() - t0 < 3500) {
		cl_puts(&c, "!symbols\n");
		cl_drain(&c, 20);
		while ((r = fs_recv(&w, &m, 80, err, sizeof(err))) == 1) {
			cr_assert_eq(m.type, MSG_STATUS, "got %s",
			    msg_type_name(m.type));
			cr_assert_str_eq(m.u.status.state, "busy");
			t = fs_now_ms();
			/* 1 s apart at the worker; allow delivery jitter. */
			if (n > 0)
				cr_assert_geq(t - last, 900, "%lld ms apart",
				    t - last);
			last = t;
			n++;
			msg_clear(&m);
		}
		cr_assert_eq(r, 0, "%s", err);
	}
	cr_assert(n >= 2 && n <= 5, "%d status messages in 3.5 s", n);
}

Test(worker, process_title_says_idle_then_the_session)
{
	char	 want[128];

	fs_start(&w, fs_bin("iridium-worker"), NULL);
	cr_assert_neq(strstr(fs_title(w.pid), "iridium-worker: line idle"),
	    NULL, "title: %s", fs_title(w.pid));
	fs_session(&w, NULL, &c, NULL);
	cl_expect(&c, PROMPT, T);
	snprintf(want, sizeof(want), "iridium-worker: line s17 anonymous "
	    "127.0.0.1:%d", c.port);
	cr_assert_neq(strstr(fs_title(w.pid), want), NULL, "title: %s",
	    fs_title(w.pid));
}

Test(worker, limits_command_shows_the_transport_limits)
{
	start(NULL, NULL);
	cl_puts(&c, "!limits\n");
	cl_expect(&c, "line:         4096 bytes per input line\r\n", T);
	cl_expect(&c, "idle:         the session ends after 600 s", T);
}

Test(worker, byte_255_in_output_is_doubled_for_telnet_clients)
{
	/* IAC IAC sends a literal 255 into the program text. */
	static const uint8_t	 in[] = "!load\n.data\nm: .asciiz 'a\xff\xff"
	    "b'\n.code\nprts @m\nhlt\n!end\n";
	static const uint8_t	 want[] = { 'a', TELNET_IAC, TELNET_IAC, 'b',
	    '\r', '\n' };

	start(NULL, NULL);
	cl_send(&c, in, sizeof(in) - 1);
	cl_expect(&c, "loaded 2 instructions", T);
	cl_expectn(&c, want, sizeof(want), T);
}

Test(worker, cpu_limit_ends_a_running_program_politely)
{
	struct msg_limits	 l;
	struct msg_counters	 k;

	limits(&l);
	l.budget = BIG_BUDGET;
	l.cpu = 1;
	start(&l, NULL);
	cl_puts(&c, PROG_LOOP);
	/* SIGXCPU at the soft limit; the hard one (a second later) kills. */
	cl_expect(&c, "\r\nCPU time limit of 1 second reached. Goodbye!\r\n",
	    T);
	cr_assert(cl_wait_eof(&c, T));
	fs_expect_end(&w, "cpu", &k);
	/*
	 * The kernel checks RLIMIT_CPU against tick-sampled time while
	 * getrusage() reports the scheduler's exact runtime; on a loaded
	 * machine the two drift apart (under 900 ms was seen with the limit at
	 * 1 s), so this only checks that the time is reported and plausible.
	 */
	cr_assert_geq(k.cpu_ms, 500, "cpu_ms %llu",
	    (unsigned long long)k.cpu_ms);
}

/*
 * test_session.c: the worker's session core (worker/session.h) on its
 * own, with a transport of the test's making: its flush collects what
 * would go to the client, its wait does nothing. What every transport
 * relies on: output converted as the client needs it and metered, the
 * client's bytes made into lines at every kind of line end, an over-long
 * line refused whole, ^C at the prompt, the line editor for a client
 * that sends keys, the REPL fed line by line, and the limits' verdicts
 * (session_due) at the moments they fall due.
 *
 * The session has no supervisor here: it is marked orphaned, so that
 * `status` is never sent.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "msg.h"
#include "repl.h"
#include "session.h"

static struct session	 s;
static struct buf	 sent[SESSION_STREAMS];	/* what the client got */

static void
t_flush(void *arg)
{
	size_t	 n;
	int	 k;

	(void)arg;
	for (k = 0; k < SESSION_STREAMS; k++) {
		n = session_pending(&s, k);
		buf_append(&sent[k], session_queued(&s, k), n);
		session_sent(&s, k, n);
	}
}

static void
t_wait(void *arg, int timeout)
{
	(void)arg;
	(void)timeout;
}

static const struct session_io	 t_io = {
	.flush = t_flush,
	.wait = t_wait,
	.stall_ms = 1000,
};

static void
setup(void)
{
	int	 k;

	memset(&s, 0, sizeof(s));
	s.id = 1;
	s.transport = "test";
	s.listener = s.peer = s.tenant = "";
	s.orphaned = true;
	/* No state coming, none to hand over: as session_open() sets. */
	s.resume_fd = s.handover_fd = s.takeover_fd = -1;
	record_init(&s.rec);		/* not recorded */
	msg_limits_default(&s.limits);
	s.start = s.idle_since = session_now();
	for (k = 0; k < SESSION_STREAMS; k++)
		buf_init(&sent[k], 0);
	session_attach(&s, &t_io);
}

static void
teardown(void)
{
	int	 k;

	session_detach(&s);
	for (k = 0; k < SESSION_STREAMS; k++)
		buf_free(&sent[k]);
}

TestSuite(session, .init = setup, .fini = teardown);

/* What the client got on stream k, as a string. */
static const char *
got(int k)
{
	session_flush(&s);
	if (sent[k].data == NULL)
		buf_puts(&sent[k], "");
	return sent[k].data;
}

/* The lines session_take_line() hands on, "|"-separated; D a dropped line. */
static const char *
lines(void)
{
	static struct buf	 b;

	buf_free(&b);
	buf_init(&b, 0);
	for (;;) {
		switch (session_take_line(&s)) {
		case SESSION_TAKE_NONE:
			buf_puts(&b, "");
			return b.data;
		case SESSION_TAKE_LINE:
			buf_append(&b, s.in.line.data, s.in.line.len);
			break;
		case SESSION_TAKE_DROPPED:
			buf_putc(&b, 'D');
			break;
		case SESSION_TAKE_REPROMPT:
			buf_putc(&b, 'R');
			break;
		}
		buf_putc(&b, '|');
	}
}

/* --- output ------------------------------------------------------------- */

Test(session, output_goes_out_as_it_came_without_conversion)
{
	cr_assert_eq(session_write(&s, SESSION_STDOUT, "a\nb\xff\n", 5), 0);
	cr_assert_str_eq(got(SESSION_STDOUT), "a\nb\xff\n");
	cr_assert_eq(s.out.produced, 5);
}

Test(session, crlf_for_a_terminal_without_doubling_a_cr)
{
	s.out.crlf = true;
	cr_assert_eq(session_write(&s, SESSION_STDOUT, "a\nb\r\nc", 6), 0);
	/* A line end split across writes is seen whole. */
	cr_assert_eq(session_write(&s, SESSION_STDOUT, "\r", 1), 0);
	cr_assert_eq(session_write(&s, SESSION_STDOUT, "\n", 1), 0);
	cr_assert_str_eq(got(SESSION_STDOUT), "a\r\nb\r\nc\r\n");
}

Test(session, iac_doubled_for_a_telnet_client)
{
	s.out.iac = true;
	cr_assert_eq(session_write(&s, SESSION_STDOUT, "x\xffy", 3), 0);
	cr_assert_str_eq(got(SESSION_STDOUT), "x\xff\xffy");
}

Test(session, streams_are_apart_and_notices_start_a_fresh_line)
{
	s.out.crlf = true;
	session_text(&s, SESSION_STDERR, "err\n");
	session_text(&s, SESSION_STDOUT, ">>> ");
	session_notice(&s, "warning: %d\n", 7);
	cr_assert_str_eq(got(SESSION_STDERR), "err\r\n");
	cr_assert_str_eq(got(SESSION_STDOUT), ">>> \r\nwarning: 7\r\n");
	/* Our own lines do not count against output_max. */
	cr_assert_eq(s.out.produced, 0);
}

Test(session, output_max_ends_the_session_with_its_goodbye)
{
	s.out.crlf = true;
	s.limits.output_max = 4;
	cr_assert_eq(session_write(&s, SESSION_STDOUT, "abcdef", 6), -1);
	cr_assert_str_eq(s.reason, SESSION_END_OUTPUT);
	cr_assert_str_eq(got(SESSION_STDOUT), "abcd\r\nOutput limit of 4 "
	    "bytes for this session reached. Goodbye!\r\n");
	/* Once: the end keeps its first reason. */
	session_bye(&s, SESSION_END_IDLE, "no");
	cr_assert_str_eq(s.reason, SESSION_END_OUTPUT);
}

Test(session, after_an_interrupt_output_is_dropped_and_counted)
{
	s.running = true;
	s.interrupt = true;
	cr_assert_eq(session_write(&s, SESSION_STDOUT, "lost", 4), 0);
	cr_assert_eq(s.out.dropped, 4);
	cr_assert_str_eq(got(SESSION_STDOUT), "");
}

/* A client that takes nothing. */
static void
t_stuck(void *arg)
{
	(void)arg;
}

Test(session, a_client_that_takes_nothing_is_cut_off)
{
	static const struct session_io	 stuck = {
		.flush = t_stuck,
		.wait = t_wait,
		.stall_ms = 0,
	};
	char	 big[8192];

	s.io = &stuck;
	s.limits.outbuf_max = 4096;
	memset(big, 'x', sizeof(big));
	cr_assert_eq(session_write(&s, SESSION_STDOUT, big, sizeof(big)), -1);
	cr_assert_str_eq(s.reason, SESSION_END_OUTPUT);
	cr_assert_eq(session_pending(&s, SESSION_STDOUT), 4096);
}

/* --- input ----------------------------------------------------------------- */

Test(session, every_line_end_ends_a_line)
{
	static const char in[] = "a\nb\r\nc\r\0d\re\r";

	session_input(&s, in, sizeof(in) - 1);
	cr_assert_str_eq(lines(), "a|b|c|d|e|");
	/* The LF after a CR that ended a line, in the next read. */
	session_input(&s, "\nf\n", 3);
	cr_assert_str_eq(lines(), "f|");
}

Test(session, the_start_of_a_line_waits_and_runs_the_line_clock)
{
	session_input(&s, "load $1", 7);
	cr_assert_str_eq(lines(), "");
	cr_assert(session_input_partial(&s));
	session_input(&s, " #4\n", 4);
	cr_assert_str_eq(lines(), "load $1 #4|");
	cr_assert_not(session_input_partial(&s));
}

Test(session, a_line_past_line_max_is_dropped_whole)
{
	char	 big[100];

	s.limits.line_max = 64;
	memset(big, 'x', sizeof(big));
	session_input(&s, "ok\n", 3);
	session_input(&s, big, sizeof(big));
	cr_assert_str_eq(lines(), "ok|");
	/* Its start is dropped as it comes, its end ends it. */
	cr_assert_eq(s.in.q.len, 0);
	session_input(&s, big, 10);
	session_input(&s, "\nnext\n", 6);
	cr_assert_str_eq(lines(), "D|next|");
	/* A line of exactly line_max is taken. */
	session_input(&s, big, 64);
	session_input(&s, "\n", 1);
	cr_assert_eq(session_take_line(&s), SESSION_TAKE_LINE);
	cr_assert_eq(s.in.line.len, 64);
}

Test(session, the_queue_is_bounded_and_says_how_much_it_takes)
{
	s.limits.line_max = 64;
	cr_assert_gt(session_input_room(&s), 64);
	session_input(&s, "abc", 3);
	cr_assert_eq(session_input_room(&s) + 3, 64 + 4096);
}

Test(session, ctrl_c_at_the_prompt_drops_the_line_being_typed)
{
	session_input(&s, "one\ntw", 6);
	session_interrupt(&s);
	session_input(&s, "three\n", 6);
	cr_assert_str_eq(lines(), "one|R|three|");
	/* While a command runs it interrupts the command instead. */
	s.running = true;
	session_input(&s, "four", 4);
	session_interrupt(&s);
	cr_assert(s.interrupt);
	cr_assert(session_input_partial(&s));
}

Test(session, the_line_editor_echoes_and_makes_lines)
{
	s.limits.line_max = 64;
	s.out.crlf = true;
	session_edit(&s, true);
	/* Keys typed before the prompt wait for it, unechoed. */
	session_input(&s, "ab\x7f" "c\rd", 6);
	cr_assert_str_eq(lines(), "");
	cr_assert_str_eq(got(SESSION_STDOUT), "");
	cr_assert(session_input_partial(&s));
	cr_assert(session_edit_prompt(&s, "> "));
	session_typeahead(&s);
	cr_assert_str_eq(lines(), "ac|");
	cr_assert_str_eq(got(SESSION_STDOUT), "> \x1b[?2004h" "ab\b \bc\r\n");
	/* One line at a time: "d" waits for the next prompt. */
	cr_assert(session_edit_prompt(&s, "> "));
	session_typeahead(&s);
	cr_assert_not_null(strstr(got(SESSION_STDOUT), "\r\n> d"));
	/* A key without Enter is the start of a line. */
	session_input(&s, "x", 1);
	cr_assert(session_input_partial(&s));
	cr_assert_str_eq(lines(), "");
	/* ^D on an empty line is !quit. */
	session_input(&s, "\x15\x04", 2);
	cr_assert_str_eq(lines(), "!quit|");
}

Test(session, a_notice_goes_below_a_wrapped_line)
{
	s.limits.line_max = 256;
	s.out.crlf = true;
	session_edit(&s, true);
	session_width(&s, 20);
	cr_assert(session_edit_prompt(&s, "> "));
	/* 2 + 45 columns: three rows; Home puts the cursor on the first. */
	session_input(&s, "0123456789012345678901234567890123456789"
	    "01234\x1b[H", 48);
	cr_assert_eq(s.in.tty.crow, 0);
	cr_assert_eq(s.in.tty.erow, 2);
	session_notice(&s, "%s\n", "idle");
	cr_assert_not_null(strstr(got(SESSION_STDOUT), "\x1b[2B\r\nidle\r\n"));
}

Test(session, a_control_c_typed_ahead_interrupts_and_drops_the_keys)
{
	s.limits.line_max = 64;
	s.out.crlf = true;
	session_edit(&s, true);
	cr_assert(session_edit_prompt(&s, "> "));
	session_input(&s, "!x\r", 3);
	cr_assert_str_eq(lines(), "!x|");
	/* "!x" runs now; keys typed meanwhile wait, ^C stops it. */
	s.running = true;
	session_input(&s, "abc\x03" "de", 6);
	cr_assert(s.interrupt);
	s.running = false;
	cr_assert(session_edit_prompt(&s, "> "));
	session_typeahead(&s);
	session_input(&s, "\r", 1);
	cr_assert_str_eq(lines(), "de|");
}

Test(session, the_last_bytes_before_eof_are_a_line)
{
	session_input(&s, "!registers", 10);
	session_input_end(&s);
	cr_assert_str_eq(lines(), "!registers|");
}

/* --- the REPL ------------------------------------------------------------- */

Test(session, lines_reach_the_repl_and_prompts_follow)
{
	s.out.crlf = true;
	s.prompts = true;
	cr_assert_eq(session_repl_start(&s), 0);
	session_input(&s, "load $1 #42\n!registers\n!quit\n", 30);
	session_drain(&s);
	cr_assert_str_eq(s.reason, SESSION_END_QUIT);
	cr_assert_not_null(strstr(got(SESSION_STDOUT), REPL_BANNER "\r\n"
	    REPL_PROMPT REPL_PROMPT));
	cr_assert_not_null(strstr(got(SESSION_STDOUT), "$1           42"));
	cr_assert_eq(s.vm.commands, 3);
}

Test(session, without_prompts_only_the_repl_speaks)
{
	cr_assert_eq(session_repl_start(&s), 0);
	session_input(&s, "load $2 #7\n!registers\n", 22);
	session_drain(&s);
	cr_assert_null(s.reason);
	cr_assert_null(strstr(got(SESSION_STDOUT), REPL_PROMPT));
	cr_assert_null(strstr(got(SESSION_STDOUT), REPL_BANNER));
	cr_assert_not_null(strstr(got(SESSION_STDOUT), "$2            7"));
}

/* --- the limits' verdicts ------------------------------------------------- */

Test(session, an_unfinished_line_ends_at_line_timeout)
{
	struct session_due	 d;
	uint64_t		 now = session_now();

	s.limits.line_timeout = 3;
	s.limits.idle = 600;
	session_partial(&s, true);
	session_due(&s, now, true, &d);
	cr_assert_null(d.end);
	cr_assert_eq(d.next, s.partial_since + 3000);
	session_due(&s, s.partial_since + 3000, true, &d);
	cr_assert_str_eq(d.end, SESSION_END_LINE);
	cr_assert_str_eq(d.words, "Line not finished within 3 seconds. "
	    "Goodbye!");
	/* While a command runs, only CPU and lifetime count. */
	session_due(&s, s.partial_since + 3000, false, &d);
	cr_assert_null(d.end);
}

Test(session, idle_warns_once_then_ends)
{
	struct session_due	 d;
	uint64_t		 t0 = session_line_done(&s);

	s.limits.idle = 10;
	s.limits.idle_warn = 4;
	s.limits.lifetime = 0;
	session_due(&s, t0 + 5000, true, &d);
	cr_assert_null(d.end);
	cr_assert_not(d.warn);
	cr_assert_eq(d.next, t0 + 6000);
	session_due(&s, t0 + 6000, true, &d);
	cr_assert(d.warn);
	cr_assert_str_eq(d.words, "warning: idle for 6 seconds; this session "
	    "ends in 4 seconds without input");
	session_due(&s, t0 + 7000, true, &d);
	cr_assert_not(d.warn);
	session_due(&s, t0 + 10000, true, &d);
	cr_assert_str_eq(d.end, SESSION_END_IDLE);
	cr_assert_str_eq(d.words, "Idle timeout. Goodbye!");
	/* A complete line starts the clock over, and the warning. */
	t0 = session_line_done(&s);
	session_due(&s, t0 + 6000, true, &d);
	cr_assert(d.warn);
}

Test(session, lifetime_ends_even_mid_command)
{
	struct session_due	 d;

	s.limits.lifetime = 5;
	s.limits.lifetime_warn = 2;
	session_due(&s, s.start + 3000, true, &d);
	cr_assert(d.warn);
	cr_assert_str_eq(d.words, "warning: this session ends in 2 seconds "
	    "(lifetime limit of 5 seconds)");
	session_due(&s, s.start + 5000, false, &d);
	cr_assert_str_eq(d.end, SESSION_END_LIFETIME);
	cr_assert_str_eq(d.words, "Session lifetime of 5 seconds reached. "
	    "Goodbye!");
}

/* --- the tail of a session moved with its client (the upgrade) ----------- */

/* A tail: nothing queued, flags, five counts, then extra as given. */
static size_t
tail(uint8_t *p, uint8_t flags, const uint8_t *extra, size_t n)
{
	size_t	 len = 0;

	memset(p, 0, 8);		/* no output, no input queued */
	len = 8;
	p[len++] = flags;
	memset(p + len, 0, 40);		/* age, bytes in, out, produced, cpu */
	len += 40;
	memcpy(p + len, extra, n);
	return len + n;
}

Test(session, move_tail_takes_a_terminal_and_a_recording_checked)
{
	/* Terminal: every option, the editor, 80x24, 3 keys; recording:
	 * mode all, 5 s old, 100 bytes used of 1000. */
	static const uint8_t	 good[] = {
		0x3f, 0, 80, 0, 24, 0, 0, 0, 3, 'a', 'b', 'c',
		0x01, 0, 0, 0, 0, 0, 0, 0x13, 0x88, 0, 0, 0, 0, 0, 0, 0,
		100, 0, 0, 0, 0, 0, 0, 0x03, 0xe8,
	};
	uint8_t			 p[128], bad[sizeof(good)];
	struct move_tail	 t;
	char			 err[256];
	size_t			 len;

	len = tail(p, MOVE_TAIL_TERM | MOVE_TAIL_REC, good, sizeof(good));
	cr_assert_eq(session_move_tail(p, len, 0, 16, 100000, &t, err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_eq(t.term.flags, 0x3f);
	cr_expect_eq(t.term.cols, 80);
	cr_expect_eq(t.term.rows, 24);
	cr_expect_eq(t.keys_len, 3);
	cr_expect_eq(memcmp(p + t.keys_off, "abc", 3), 0);
	cr_expect_eq(t.rec_flags, MOVE_REC_INPUT);
	cr_expect_eq(t.rec_age_ms, 5000);
	cr_expect_eq(t.rec_used, 100);
	cr_expect_eq(t.rec_max, 1000);
	cr_expect_eq(t.used, len);
	/* Cut anywhere in the blocks: refused. */
	for (size_t cut = len - sizeof(good); cut < len; cut++)
		cr_expect_eq(session_move_tail(p, cut, 0, 16, 100000, &t, err,
		    sizeof(err)), -1, "cut at %zu", cut);
	/* An unknown tail flag, the editor without echo, keys without the
	 * editor, keys past twice in_max, a flag of the recording unknown,
	 * its bytes past its bound, its age past the uptime: refused. */
	cr_expect_eq(session_move_tail(p, tail(p, 0x10, good, 0), 0, 16,
	    100000, &t, err, sizeof(err)), -1);
	memcpy(bad, good, sizeof(good));
	bad[0] = MOVE_TERM_OFFERED | MOVE_TERM_EDIT;
	len = tail(p, MOVE_TAIL_TERM | MOVE_TAIL_REC, bad, sizeof(bad));
	cr_expect_eq(session_move_tail(p, len, 0, 16, 100000, &t, err,
	    sizeof(err)), -1);
	cr_expect_not_null(strstr(err, "do not hold together"), "%s", err);
	bad[0] = MOVE_TERM_OFFERED | MOVE_TERM_ECHO | MOVE_TERM_SGA;
	len = tail(p, MOVE_TAIL_TERM | MOVE_TAIL_REC, bad, sizeof(bad));
	cr_expect_eq(session_move_tail(p, len, 0, 16, 100000, &t, err,
	    sizeof(err)), -1);
	cr_expect_eq(session_move_tail(p, len, 0, 1, 100000, &t, err,
	    sizeof(err)), -1);
	memcpy(bad, good, sizeof(good));
	bad[12] = 0x04;
	len = tail(p, MOVE_TAIL_TERM | MOVE_TAIL_REC, bad, sizeof(bad));
	cr_expect_eq(session_move_tail(p, len, 0, 16, 100000, &t, err,
	    sizeof(err)), -1);
	memcpy(bad, good, sizeof(good));
	bad[25] = 0x40;			/* used: 0x40000064 of 1000 */
	len = tail(p, MOVE_TAIL_TERM | MOVE_TAIL_REC, bad, sizeof(bad));
	cr_expect_eq(session_move_tail(p, len, 0, 16, 100000, &t, err,
	    sizeof(err)), -1);
	len = tail(p, MOVE_TAIL_TERM | MOVE_TAIL_REC, good, sizeof(good));
	cr_expect_eq(session_move_tail(p, len, 0, 16, 4999, &t, err,
	    sizeof(err)), -1);
}

/*
 * test_telnet.c: the line transport's telnet filter (telnet.h) on its
 * own: plain bytes pass, IAC IAC is a 255, negotiation is refused only
 * where a refusal is due, subnegotiations vanish (also when unterminated
 * or oversized), IP/BRK/ABORT are interrupts, AYT is reported, and the
 * result never depends on where the input was split. Once character
 * mode is offered: a client that agrees (or asks itself) is in it, one
 * that refuses is not, nothing loops, and NAWS gives the window size.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "telnet.h"

#define IAC	TELNET_IAC

/* Everything the filter said about one input. */
struct seen {
	struct buf	 data;
	struct buf	 replies;
	int		 interrupts;
	int		 ayts;
	/* The order of events, one letter each: d i a r. */
	struct buf	 order;
};

static void
seen_init(struct seen *s)
{
	buf_init(&s->data, 0);
	buf_init(&s->replies, 0);
	buf_init(&s->order, 0);
	s->interrupts = s->ayts = 0;
}

static void
seen_free(struct seen *s)
{
	buf_free(&s->data);
	buf_free(&s->replies);
	buf_free(&s->order);
}

static void
feed(struct telnet *t, struct seen *s, const uint8_t *p, size_t n)
{
	uint8_t	 d;
	size_t	 i;

	for (i = 0; i < n; i++) {
		d = 0xAA;
		switch (telnet_byte(t, p[i], &d)) {
		case TELNET_EV_NONE:
			break;
		case TELNET_EV_DATA:
			buf_putc(&s->data, (char)d);
			buf_putc(&s->order, 'd');
			break;
		case TELNET_EV_INTERRUPT:
			s->interrupts++;
			buf_putc(&s->order, 'i');
			break;
		case TELNET_EV_AYT:
			s->ayts++;
			buf_putc(&s->order, 'a');
			break;
		case TELNET_EV_REPLY:
			cr_assert_eq(t->replylen, 3);
			buf_append(&s->replies, t->reply, t->replylen);
			buf_putc(&s->order, 'r');
			break;
		default:
			cr_assert_fail("unknown event");
		}
	}
}

/* Filter one whole input with a fresh filter. */
static void
run(struct seen *s, const uint8_t *p, size_t n)
{
	struct telnet	 t;

	telnet_init(&t);
	seen_init(s);
	feed(&t, s, p, n);
}

static void
assert_data(const struct seen *s, const void *want, size_t len)
{
	cr_assert_eq(s->data.len, len, "data: %zu bytes, want %zu",
	    s->data.len, len);
	if (len > 0)
		cr_assert_eq(memcmp(s->data.data, want, len), 0,
		    "data differs");
}

Test(telnet, plain_bytes_pass_unchanged)
{
	uint8_t		 in[255];
	struct seen	 s;
	size_t		 i;

	/* Every byte but IAC, NUL and CR and LF included. */
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	run(&s, in, sizeof(in));
	assert_data(&s, in, sizeof(in));
	cr_assert_eq(s.replies.len, 0);
	cr_assert_eq(s.interrupts + s.ayts, 0);
	seen_free(&s);
}

Test(telnet, iac_iac_is_one_literal_255)
{
	const uint8_t	 in[] = { 'a', IAC, IAC, 'b', IAC, IAC, IAC, IAC };
	const uint8_t	 want[] = { 'a', 255, 'b', 255, 255 };
	struct telnet	 t;
	struct seen	 s;

	telnet_init(&t);
	seen_init(&s);
	feed(&t, &s, in, sizeof(in));
	assert_data(&s, want, sizeof(want));
	/* An escaped 255 is data, not a command. */
	cr_assert_eq(t.commands, 0);
	cr_assert_eq(t.escapes, 3);
	seen_free(&s);
}

Test(telnet, do_and_will_are_refused)
{
	const uint8_t	 in[] = { 'x', IAC, TELNET_DO, 1, 'y', IAC,
	    TELNET_WILL, 31, 'z' };
	const uint8_t	 want[] = { IAC, TELNET_WONT, 1, IAC, TELNET_DONT,
	    31 };
	struct seen	 s;

	run(&s, in, sizeof(in));
	assert_data(&s, "xyz", 3);
	cr_assert_eq(s.replies.len, sizeof(want));
	cr_assert_eq(memcmp(s.replies.data, want, sizeof(want)), 0);
	seen_free(&s);
}

Test(telnet, wont_and_dont_get_no_answer)
{
	/* Answering these is what makes two refusing ends loop. */
	const uint8_t	 in[] = { IAC, TELNET_WONT, 1, IAC, TELNET_DONT, 3,
	    'k' };
	struct telnet	 t;
	struct seen	 s;

	telnet_init(&t);
	seen_init(&s);
	feed(&t, &s, in, sizeof(in));
	assert_data(&s, "k", 1);
	cr_assert_eq(s.replies.len, 0);
	cr_assert_eq(t.commands, 2);
	seen_free(&s);
}

Test(telnet, option_byte_255_is_an_option)
{
	/* IAC DO IAC: the option is 255 (EXOPL), not an escape. */
	const uint8_t	 in[] = { IAC, TELNET_DO, IAC, 'q' };
	const uint8_t	 want[] = { IAC, TELNET_WONT, IAC };
	struct seen	 s;

	run(&s, in, sizeof(in));
	assert_data(&s, "q", 1);
	cr_assert_eq(s.replies.len, 3);
	cr_assert_eq(memcmp(s.replies.data, want, 3), 0);
	seen_free(&s);
}

Test(telnet, subnegotiation_vanishes)
{
	/* NAWS 80x24 and TTYPE IS "xterm", between data. */
	const uint8_t	 in[] = { 'a', IAC, TELNET_SB, 31, 0, 80, 0, 24, IAC,
	    TELNET_SE, 'b', IAC, TELNET_SB, 24, 0, 'x', 't', 'e', 'r', 'm',
	    IAC, TELNET_SE, 'c' };
	struct seen	 s;

	run(&s, in, sizeof(in));
	assert_data(&s, "abc", 3);
	cr_assert_eq(s.replies.len + (size_t)s.interrupts, 0);
	seen_free(&s);
}

Test(telnet, iac_iac_inside_subnegotiation_is_not_data)
{
	const uint8_t	 in[] = { IAC, TELNET_SB, 1, IAC, IAC, 2, IAC,
	    TELNET_SE, 'z' };
	struct seen	 s;

	run(&s, in, sizeof(in));
	assert_data(&s, "z", 1);
	seen_free(&s);
}

Test(telnet, subnegotiation_just_under_the_bound_is_kept_whole)
{
	uint8_t		 in[TELNET_SB_MAX + 8];
	struct telnet	 t;
	struct seen	 s;
	size_t		 n = 0, i;

	in[n++] = IAC;
	in[n++] = TELNET_SB;
	for (i = 0; i < TELNET_SB_MAX - 1; i++)
		in[n++] = 'x';
	in[n++] = IAC;
	in[n++] = TELNET_SE;
	in[n++] = 'o';
	in[n++] = 'k';
	telnet_init(&t);
	seen_init(&s);
	feed(&t, &s, in, n);
	assert_data(&s, "ok", 2);
	cr_assert_eq(t.sb_dropped, 0);
	seen_free(&s);
}

Test(telnet, oversized_subnegotiation_is_given_up)
{
	uint8_t		 in[TELNET_SB_MAX + 8];
	struct telnet	 t;
	struct seen	 s;
	size_t		 n = 0, i;

	in[n++] = IAC;
	in[n++] = TELNET_SB;
	for (i = 0; i < TELNET_SB_MAX; i++)
		in[n++] = 'x';
	in[n++] = 'o';
	in[n++] = 'k';
	telnet_init(&t);
	seen_init(&s);
	feed(&t, &s, in, n);
	/* The filter reads data again: the client is not silenced. */
	assert_data(&s, "ok", 2);
	cr_assert_eq(t.sb_dropped, 1);
	seen_free(&s);
}

Test(telnet, unterminated_subnegotiation_swallows_only_the_bound)
{
	uint8_t		*in;
	struct telnet	 t;
	struct seen	 s;
	size_t		 n = 10 * TELNET_SB_MAX, i;

	/* A client that opens SB and then only types text. */
	in = malloc(n);
	cr_assert_not_null(in);
	in[0] = IAC;
	in[1] = TELNET_SB;
	for (i = 2; i < n; i++)
		in[i] = 'y';
	telnet_init(&t);
	seen_init(&s);
	feed(&t, &s, in, n);
	cr_assert_eq(s.data.len, n - 2 - TELNET_SB_MAX);
	free(in);
	seen_free(&s);
}

Test(telnet, interrupts_are_reported)
{
	const uint8_t	 in[] = { 'a', IAC, TELNET_IP, 'b', IAC, TELNET_BRK,
	    IAC, TELNET_ABORT, 'c' };
	struct seen	 s;

	run(&s, in, sizeof(in));
	assert_data(&s, "abc", 3);
	cr_assert_eq(s.interrupts, 3);
	cr_assert_str_eq(s.order.data, "didiid");
	seen_free(&s);
}

Test(telnet, ip_inside_a_broken_subnegotiation_still_interrupts)
{
	const uint8_t	 in[] = { IAC, TELNET_SB, 24, 'a', IAC, TELNET_IP,
	    'b' };
	struct seen	 s;

	run(&s, in, sizeof(in));
	cr_assert_eq(s.interrupts, 1);
	/* The subnegotiation ended with the command: 'b' is data. */
	assert_data(&s, "b", 1);
	seen_free(&s);
}

Test(telnet, ayt_is_reported)
{
	const uint8_t	 in[] = { IAC, TELNET_AYT, 'x' };
	struct seen	 s;

	run(&s, in, sizeof(in));
	cr_assert_eq(s.ayts, 1);
	assert_data(&s, "x", 1);
	seen_free(&s);
}

Test(telnet, other_commands_are_swallowed)
{
	const uint8_t	 cmds[] = { TELNET_NOP, TELNET_GA, TELNET_EL,
	    TELNET_EC, TELNET_AO, TELNET_DM, TELNET_EOR, TELNET_EOF,
	    TELNET_SUSP, TELNET_SE, 1, 'A' };
	uint8_t		 in[3];
	struct telnet	 t;
	struct seen	 s;
	size_t		 i;

	for (i = 0; i < sizeof(cmds); i++) {
		in[0] = IAC;
		in[1] = cmds[i];
		in[2] = '.';
		telnet_init(&t);
		seen_init(&s);
		feed(&t, &s, in, sizeof(in));
		assert_data(&s, ".", 1);
		cr_assert_eq(s.replies.len + (size_t)s.interrupts +
		    (size_t)s.ayts, 0, "command %u", cmds[i]);
		cr_assert_eq(t.commands, 1);
		seen_free(&s);
	}
}

/* A stream with a bit of everything. */
static const uint8_t mixed[] = {
	'h', 'i', IAC, IAC, '\r', '\n', IAC, TELNET_DO, 1, IAC, TELNET_WILL,
	3, 'l', 'o', IAC, TELNET_SB, 31, 0, 80, IAC, IAC, 0, 24, IAC,
	TELNET_SE, IAC, TELNET_IP, '\r', 0, IAC, TELNET_AYT, IAC, TELNET_NOP,
	0xff - 1, 0x80, IAC, TELNET_DONT, 5, IAC, TELNET_BRK, 'e', 'n', 'd',
	'\n'
};

static void
same(const struct seen *a, const struct seen *b)
{
	cr_assert_eq(a->data.len, b->data.len);
	cr_assert_eq(memcmp(a->data.data, b->data.data, a->data.len), 0);
	cr_assert_eq(a->replies.len, b->replies.len);
	cr_assert_eq(memcmp(a->replies.data, b->replies.data,
	    a->replies.len), 0);
	cr_assert_str_eq(a->order.data, b->order.data);
}

Test(telnet, mixed_stream_is_filtered_as_expected)
{
	const uint8_t	 want[] = { 'h', 'i', 255, '\r', '\n', 'l', 'o',
	    '\r', 0, 0xfe, 0x80, 'e', 'n', 'd', '\n' };
	struct seen	 s;

	run(&s, mixed, sizeof(mixed));
	assert_data(&s, want, sizeof(want));
	cr_assert_eq(s.interrupts, 2);
	cr_assert_eq(s.ayts, 1);
	cr_assert_eq(s.replies.len, 6);
	seen_free(&s);
}

Test(telnet, split_at_every_pair_of_boundaries)
{
	struct seen	 whole, parts;
	struct telnet	 t;
	size_t		 i, j, n = sizeof(mixed);

	run(&whole, mixed, n);
	for (i = 0; i <= n; i++) {
		for (j = i; j <= n; j++) {
			telnet_init(&t);
			seen_init(&parts);
			feed(&t, &parts, mixed, i);
			feed(&t, &parts, mixed + i, j - i);
			feed(&t, &parts, mixed + j, n - j);
			same(&whole, &parts);
			seen_free(&parts);
		}
	}
	seen_free(&whole);
}

Test(telnet, random_input_keeps_the_invariants)
{
	uint8_t		 in[4096];
	struct telnet	 t;
	struct seen	 s;
	unsigned	 seed = 12345, round;
	size_t		 i;

	for (round = 0; round < 200; round++) {
		for (i = 0; i < sizeof(in); i++) {
			seed = seed * 1103515245 + 12345;
			/* Plenty of IACs and command bytes. */
			in[i] = (seed >> 16) % 3 == 0 ? IAC :
			    (uint8_t)(seed >> 8);
		}
		telnet_init(&t);
		seen_init(&s);
		feed(&t, &s, in, sizeof(in));
		cr_assert_leq(s.data.len, sizeof(in));
		/* Every reply is a refusal: IAC WONT x or IAC DONT x. */
		for (i = 0; i < s.replies.len; i += 3) {
			cr_assert_eq((uint8_t)s.replies.data[i], IAC);
			cr_assert((uint8_t)s.replies.data[i + 1] ==
			    TELNET_WONT || (uint8_t)s.replies.data[i + 1] ==
			    TELNET_DONT);
		}
		seen_free(&s);
	}
}

/* --- character mode ------------------------------------------------------- */

static enum telnet_event
feed_all(struct telnet *t, const uint8_t *p, size_t n, struct buf *replies,
    int *naws)
{
	enum telnet_event	 ev = TELNET_EV_NONE;
	uint8_t			 d;

	for (size_t i = 0; i < n; i++) {
		ev = telnet_byte(t, p[i], &d);
		if (ev == TELNET_EV_REPLY)
			buf_append(replies, t->reply, t->replylen);
		if (ev == TELNET_EV_NAWS)
			(*naws)++;
	}
	return ev;
}

Test(telnet, an_offer_agreed_is_character_mode)
{
	const uint8_t	 offer[] = { IAC, TELNET_WILL, 1, IAC, TELNET_WILL, 3,
	    IAC, TELNET_DO, 31 };
	const uint8_t	 in[] = { IAC, TELNET_DO, 1, IAC, TELNET_DO, 3, IAC,
	    TELNET_WILL, 31, IAC, TELNET_SB, 31, 0, 100, 0, 40, IAC,
	    TELNET_SE };
	struct telnet	 t;
	struct buf	 r;
	int		 naws = 0;

	telnet_init(&t);
	buf_init(&r, 0);
	cr_assert_not(telnet_charmode(&t));
	telnet_offer(&t);
	cr_assert_eq(t.replylen, sizeof(offer));
	cr_assert_eq(memcmp(t.reply, offer, sizeof(offer)), 0);
	feed_all(&t, in, sizeof(in), &r, &naws);
	/* Answers to our requests are not answered again. */
	cr_assert_eq(r.len, 0);
	cr_assert(telnet_charmode(&t));
	cr_assert_eq(naws, 1);
	cr_assert_eq(t.cols, 100);
	cr_assert_eq(t.rows, 40);
	/* A window of 255 columns: the 255 comes as IAC IAC. */
	const uint8_t	 big[] = { IAC, TELNET_SB, 31, 0, IAC, IAC, 1, 0, IAC,
	    TELNET_SE };
	feed_all(&t, big, sizeof(big), &r, &naws);
	cr_assert_eq(naws, 2);
	cr_assert_eq(t.cols, 255);
	cr_assert_eq(t.rows, 256);
	/* The client changes its mind: confirmed once, no loop. */
	const uint8_t	 off[] = { IAC, TELNET_DONT, 1, IAC, TELNET_DONT, 1 };
	const uint8_t	 wont[] = { IAC, TELNET_WONT, 1 };
	feed_all(&t, off, sizeof(off), &r, &naws);
	cr_assert_eq(r.len, 3);
	cr_assert_eq(memcmp(r.data, wont, 3), 0);
	cr_assert_not(telnet_charmode(&t));
	buf_free(&r);
}

Test(telnet, an_offer_refused_stays_line_mode_without_a_loop)
{
	const uint8_t	 in[] = { IAC, TELNET_DONT, 1, IAC, TELNET_DONT, 3,
	    IAC, TELNET_WONT, 31, IAC, TELNET_SB, 31, 0, 80, 0, 24, IAC,
	    TELNET_SE, 'k' };
	struct telnet	 t;
	struct buf	 r;
	int		 naws = 0;

	telnet_init(&t);
	buf_init(&r, 0);
	telnet_offer(&t);
	feed_all(&t, in, sizeof(in), &r, &naws);
	cr_assert_eq(r.len, 0);
	cr_assert_not(telnet_charmode(&t));
	cr_assert_eq(naws, 0, "NAWS refused: its subnegotiation is skipped");
	/* Options other than the three are still refused. */
	const uint8_t	 ask[] = { IAC, TELNET_DO, 24 };
	const uint8_t	 no[] = { IAC, TELNET_WONT, 24 };
	feed_all(&t, ask, sizeof(ask), &r, &naws);
	cr_assert_eq(r.len, 3);
	cr_assert_eq(memcmp(r.data, no, 3), 0);
	buf_free(&r);
}

Test(telnet, without_an_offer_echo_is_refused)
{
	const uint8_t	 in[] = { IAC, TELNET_DO, 1, IAC, TELNET_WILL, 31 };
	const uint8_t	 want[] = { IAC, TELNET_WONT, 1, IAC, TELNET_DONT,
	    31 };
	struct telnet	 t;
	struct buf	 r;
	int		 naws = 0;

	telnet_init(&t);
	buf_init(&r, 0);
	feed_all(&t, in, sizeof(in), &r, &naws);
	cr_assert_eq(r.len, sizeof(want));
	cr_assert_eq(memcmp(r.data, want, sizeof(want)), 0);
	cr_assert_not(telnet_charmode(&t));
	buf_free(&r);
}

/*
 * telnet.c: the telnet filter of the line transport (see telnet.h).
 *
 * The line transport runs every byte a client sends through
 * telnet_byte() before it looks for line ends, so IAC sequences never
 * reach the REPL, whichever client sent them. The policy is the NVT's
 * plainest, every option refused, until the host offers character mode
 * (then ECHO, SUPPRESS-GO-AHEAD and NAWS are agreed to, and NAWS's
 * subnegotiation read); other subnegotiations skipped, the commands
 * that mean "stop" (IP, BRK, ABORT) reported as interrupts, AYT reported
 * so the host can answer, everything else (NOP, GA, DM, EL, EC, AO, and
 * bytes after IAC that name no command) ignored.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "telnet.h"

void
telnet_init(struct telnet *t)
{
	memset(t, 0, sizeof(*t));
	t->state = TS_DATA;
}

/* The byte after IAC, outside a subnegotiation. */
static enum telnet_event
telnet_command(struct telnet *t, uint8_t c, uint8_t *data)
{
	t->state = TS_DATA;
	switch (c) {
	case TELNET_IAC:
		t->escapes++;
		*data = TELNET_IAC;
		return TELNET_EV_DATA;
	case TELNET_WILL:
	case TELNET_WONT:
	case TELNET_DO:
	case TELNET_DONT:
		t->verb = c;
		t->state = TS_OPT;
		return TELNET_EV_NONE;
	case TELNET_SB:
		t->commands++;
		t->sblen = 0;
		t->nawslen = 0;
		t->sb_naws = false;
		t->state = TS_SB;
		return TELNET_EV_NONE;
	case TELNET_IP:
	case TELNET_BRK:
	case TELNET_ABORT:
		t->commands++;
		return TELNET_EV_INTERRUPT;
	case TELNET_AYT:
		t->commands++;
		return TELNET_EV_AYT;
	default:
		t->commands++;
		return TELNET_EV_NONE;
	}
}

static enum telnet_event
telnet_reply(struct telnet *t, uint8_t verb, uint8_t opt)
{
	t->reply[0] = TELNET_IAC;
	t->reply[1] = verb;
	t->reply[2] = opt;
	t->replylen = 3;
	return TELNET_EV_REPLY;
}

/*
 * One of our options (ECHO, SGA) after DO (want) or DONT: agree to a
 * change, confirm it unless it answers our own request.
 */
static enum telnet_event
telnet_ours(struct telnet *t, bool want, bool *on, bool *asked, uint8_t opt)
{
	bool	 answer = *asked;

	*asked = false;
	if (want == *on)
		return TELNET_EV_NONE;
	*on = want;
	if (answer)
		return TELNET_EV_NONE;
	return telnet_reply(t, want ? TELNET_WILL : TELNET_WONT, opt);
}

/*
 * IAC verb option. Outside character mode we enable nothing, so only a
 * request to enable needs an answer: DO gets WONT, WILL gets DONT. WONT
 * and DONT confirm the state we are in and are not answered (RFC 854: no
 * acknowledgement of a mode already in effect), which is what keeps two
 * ends from looping.
 */
static enum telnet_event
telnet_option(struct telnet *t, uint8_t opt)
{
	bool	 want = t->verb == TELNET_DO || t->verb == TELNET_WILL;
	bool	 ours = t->verb == TELNET_DO || t->verb == TELNET_DONT;
	bool	 answer;

	t->commands++;
	t->state = TS_DATA;
	t->replylen = 0;
	if (t->charmode_ok && ours && opt == TELNET_OPT_ECHO)
		return telnet_ours(t, want, &t->echo_on, &t->echo_asked, opt);
	if (t->charmode_ok && ours && opt == TELNET_OPT_SGA)
		return telnet_ours(t, want, &t->sga_on, &t->sga_asked, opt);
	if (t->charmode_ok && !ours && opt == TELNET_OPT_NAWS) {
		answer = t->naws_asked;
		t->naws_asked = false;
		if (want == t->naws_on)
			return TELNET_EV_NONE;
		t->naws_on = want;
		if (answer)
			return TELNET_EV_NONE;
		return telnet_reply(t, want ? TELNET_DO : TELNET_DONT, opt);
	}
	if (!want)
		return TELNET_EV_NONE;
	return telnet_reply(t, ours ? TELNET_WONT : TELNET_DONT, opt);
}

void
telnet_offer(struct telnet *t)
{
	static const uint8_t	 offer[9] = {
		TELNET_IAC, TELNET_WILL, TELNET_OPT_ECHO,
		TELNET_IAC, TELNET_WILL, TELNET_OPT_SGA,
		TELNET_IAC, TELNET_DO, TELNET_OPT_NAWS,
	};

	t->charmode_ok = true;
	t->echo_asked = !t->echo_on;
	t->sga_asked = !t->sga_on;
	t->naws_asked = !t->naws_on;
	memcpy(t->reply, offer, sizeof(offer));
	t->replylen = sizeof(offer);
}

bool
telnet_charmode(const struct telnet *t)
{
	return t->echo_on && t->sga_on;
}

/* A byte inside IAC SB ... IAC SE: counted, never stored (but NAWS's). */
static enum telnet_event
telnet_sb_byte(struct telnet *t, uint8_t c)
{
	if (t->sblen == 0)
		t->sb_naws = c == TELNET_OPT_NAWS && t->naws_on;
	else if (t->sb_naws && t->nawslen < sizeof(t->naws))
		t->naws[t->nawslen++] = c;
	if (++t->sblen >= TELNET_SB_MAX) {
		/* Unterminated or absurd: give up, read data again. */
		t->sb_dropped++;
		t->state = TS_DATA;
	}
	return TELNET_EV_NONE;
}

enum telnet_event
telnet_byte(struct telnet *t, uint8_t c, uint8_t *data)
{
	switch (t->state) {
	case TS_DATA:
		if (c == TELNET_IAC) {
			t->state = TS_IAC;
			return TELNET_EV_NONE;
		}
		*data = c;
		return TELNET_EV_DATA;
	case TS_IAC:
		return telnet_command(t, c, data);
	case TS_OPT:
		return telnet_option(t, c);
	case TS_SB:
		if (c == TELNET_IAC) {
			t->state = TS_SB_IAC;
			return TELNET_EV_NONE;
		}
		return telnet_sb_byte(t, c);
	case TS_SB_IAC:
		if (c == TELNET_SE) {
			t->state = TS_DATA;
			/* NAWS: width and height, 16 bits each. */
			if (!t->sb_naws || t->nawslen != sizeof(t->naws) ||
			    t->sblen != 1 + sizeof(t->naws))
				return TELNET_EV_NONE;
			t->cols = (unsigned)t->naws[0] << 8 | t->naws[1];
			t->rows = (unsigned)t->naws[2] << 8 | t->naws[3];
			return TELNET_EV_NAWS;
		}
		if (c == TELNET_IAC) {
			/* An escaped 255 inside the subnegotiation. */
			t->state = TS_SB;
			return telnet_sb_byte(t, c);
		}
		/*
		 * IAC and a command inside SB: the peer never ended it.
		 * Take the command as it stands, so IAC IP still
		 * interrupts after a broken subnegotiation.
		 */
		return telnet_command(t, c, data);
	}
	/* Not reached: every state is handled above. */
	t->state = TS_DATA;
	return TELNET_EV_NONE;
}

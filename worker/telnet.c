/*
 * telnet.c: the telnet filter of the line transport (see telnet.h).
 *
 * The line transport runs every byte a client sends through
 * telnet_byte() before it looks for line ends, so IAC sequences never
 * reach the REPL, whichever client sent them. The policy is the NVT's
 * plainest: every option refused, subnegotiations skipped, the commands
 * that mean "stop" (IP, BRK, ABORT) reported as interrupts, AYT reported
 * so the host can answer, everything else (NOP, GA, DM, EL, EC, AO, and
 * bytes after IAC that name no command) ignored.
 */
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

/*
 * IAC verb option. We enable nothing, so only a request to enable needs
 * an answer: DO gets WONT, WILL gets DONT. WONT and DONT confirm the
 * state we are in and are not answered (RFC 854: no acknowledgement of a
 * mode already in effect), which is what keeps two ends from looping.
 */
static enum telnet_event
telnet_option(struct telnet *t, uint8_t opt)
{
	t->commands++;
	t->state = TS_DATA;
	t->replylen = 0;
	if (t->verb != TELNET_DO && t->verb != TELNET_WILL)
		return TELNET_EV_NONE;
	t->reply[0] = TELNET_IAC;
	t->reply[1] = t->verb == TELNET_DO ? TELNET_WONT : TELNET_DONT;
	t->reply[2] = opt;
	t->replylen = 3;
	return TELNET_EV_REPLY;
}

/* A byte inside IAC SB ... IAC SE: counted, never stored. */
static enum telnet_event
telnet_sb_byte(struct telnet *t)
{
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
		return telnet_sb_byte(t);
	case TS_SB_IAC:
		if (c == TELNET_SE) {
			t->state = TS_DATA;
			return TELNET_EV_NONE;
		}
		if (c == TELNET_IAC) {
			/* An escaped 255 inside the subnegotiation. */
			t->state = TS_SB;
			return telnet_sb_byte(t);
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

/*
 * telnet.h: the telnet filter of the line transport.
 *
 * A byte-at-a-time state machine that takes what a client sent and tells
 * data bytes from telnet commands (RFC 854/855), so `telnet host 2244`
 * and `nc host 2244` both reach the REPL with nothing but their text. It
 * keeps no buffer: a subnegotiation is skipped, not stored, and given up
 * after TELNET_SB_MAX bytes without IAC SE, so a client cannot make the
 * filter swallow its input forever. Every option is refused (the line
 * transport stays in the NVT's line mode), except, once the host has
 * offered character mode (telnet_offer), the three it needs: ECHO and
 * SUPPRESS-GO-AHEAD on our side, NAWS (the window size) on the client's.
 * A reply is produced only for a change of an option, so two ends never
 * loop.
 *
 * It knows no sockets and no REPL; it is fuzzable on its own.
 */
#ifndef IRIDIUM_TELNET_H
#define IRIDIUM_TELNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TELNET_IAC	255
#define TELNET_DONT	254
#define TELNET_DO	253
#define TELNET_WONT	252
#define TELNET_WILL	251
#define TELNET_SB	250
#define TELNET_GA	249
#define TELNET_EL	248
#define TELNET_EC	247
#define TELNET_AYT	246
#define TELNET_AO	245
#define TELNET_IP	244
#define TELNET_BRK	243
#define TELNET_DM	242
#define TELNET_NOP	241
#define TELNET_SE	240
#define TELNET_EOR	239
#define TELNET_ABORT	238
#define TELNET_SUSP	237
#define TELNET_EOF	236

/* Bytes of one subnegotiation before the filter gives up on it. */
#define TELNET_SB_MAX	512

/* The options of character mode (RFC 857, 858, 1073). */
#define TELNET_OPT_ECHO	1
#define TELNET_OPT_SGA	3
#define TELNET_OPT_NAWS	31

enum telnet_event {
	TELNET_EV_NONE,		/* the byte was part of a command */
	TELNET_EV_DATA,		/* *data is a data byte (IAC IAC: 255) */
	TELNET_EV_INTERRUPT,	/* IAC IP, IAC BRK or IAC ABORT */
	TELNET_EV_AYT,		/* IAC AYT: the peer asks for a sign of life */
	TELNET_EV_REPLY,		/* send t->reply (t->replylen bytes) back */
	TELNET_EV_NAWS,		/* the client's window size: t->cols, t->rows */
};

enum telnet_state {
	TS_DATA,
	TS_IAC,			/* after IAC */
	TS_OPT,			/* after IAC WILL/WONT/DO/DONT */
	TS_SB,			/* inside IAC SB ... */
	TS_SB_IAC,		/* IAC inside a subnegotiation */
};

struct telnet {
	enum telnet_state state;
	uint8_t		 verb;		/* the WILL/WONT/DO/DONT being read */
	size_t		 sblen;		/* bytes of the current subnegotiation */
	uint8_t		 reply[9];
	size_t		 replylen;
	/*
	 * Character mode, when the host allows it (charmode_ok): we echo
	 * and suppress go-ahead, the client reports its window size. Each
	 * option is on (agreed) or asked (our request unanswered); a reply
	 * goes out only when an option changes, so two ends never loop.
	 */
	bool		 charmode_ok;
	bool		 echo_on, echo_asked, sga_on, sga_asked;
	bool		 naws_on, naws_asked;
	uint8_t		 naws[4];
	size_t		 nawslen;
	bool		 sb_naws;	/* this subnegotiation is NAWS */
	unsigned	 cols, rows;
	/* What was seen, for the host's decisions and for tests. */
	uint64_t	 commands;	/* IAC sequences other than IAC IAC */
	uint64_t	 escapes;	/* IAC IAC: a literal 255 */
	uint64_t	 sb_dropped;	/* subnegotiations given up on */
};

void			telnet_init(struct telnet *);
/*
 * Ask for character mode: WILL ECHO, WILL SUPPRESS-GO-AHEAD, DO NAWS
 * into t->reply (t->replylen bytes) for the host to send. Sets
 * charmode_ok. A client that agrees makes telnet_charmode() true.
 */
void			telnet_offer(struct telnet *);
/* The client agreed: we echo and it sends every key as typed. */
bool			telnet_charmode(const struct telnet *);
/* Feed one byte. *data is set for TELNET_EV_DATA only. */
enum telnet_event	telnet_byte(struct telnet *, uint8_t c, uint8_t *data);

#endif

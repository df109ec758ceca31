/*
 * testhooks.h: a compromised worker on demand, for tests only.
 *
 * Built only with IRIDIUM_TEST_HOOKS defined, into iridium-worker-test,
 * which only tests start. There, a transport offers every input line to
 * testhook_line() before the REPL sees it; "!test NAME" makes the worker
 * misbehave toward the supervisor in the way NAME says (a malformed
 * datagram, a message out of state, a crash, a hang, ...), so tests can
 * prove the supervisor survives each. The normal binary has none of it:
 * there "!test" is just another line for the REPL ("Invalid command!").
 */
#ifndef IRIDIUM_TESTHOOKS_H
#define IRIDIUM_TESTHOOKS_H

#ifdef IRIDIUM_TEST_HOOKS

#include <stddef.h>

#include "buf.h"
#include "transport.h"

/*
 * If line is "!test NAME" (or "!test" alone, which lists the hooks), act
 * on it, put what to tell the client in reply ("\n" line ends) and return
 * 1. Any other line: return 0 and touch nothing. Some hooks never return
 * (crash, hang, exit).
 */
int	testhook_line(struct session *s, const char *line, size_t len,
	    struct buf *reply);
/*
 * After "!test slowpoll": how long (ms) a transport waits, still serving
 * the client and the channel, at each poll checkpoint of a command; 0
 * before.
 */
int	testhook_poll_ms(void);

#endif

#endif

/*
 * fuzz_session.c: libFuzzer target for the session core's input
 * (worker/session.h): the bytes a client sends, as every transport hands
 * them on, in chunks the input chooses, with or without the line editor,
 * with ^C now and then, then EOF. However they come, every line handed on
 * holds no line end and is at most line_max bytes, and the queue never
 * holds more than what session_input_room() let in (plus, with the
 * editor, the one line a key may complete).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "session.h"

#define FUZZ_IN_SLACK	4096	/* session_in.c's queue past line_max */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The client takes everything at once. */
static void
fuzz_flush(void *arg)
{
	struct session	*s = arg;
	int		 k;

	for (k = 0; k < SESSION_STREAMS; k++)
		session_sent(s, k, session_pending(s, k));
}

static void
fuzz_wait(void *arg, int timeout)
{
	(void)arg;
	(void)timeout;
}

/* Hand on every complete line; each must be one. */
static void
fuzz_take(struct session *s)
{
	enum session_take	 t;

	while ((t = session_take_line(s)) != SESSION_TAKE_NONE) {
		if (t != SESSION_TAKE_LINE)
			continue;
		if (s->in.line.len > s->limits.line_max ||
		    memchr(s->in.line.data != NULL ? s->in.line.data : "", '\n',
		    s->in.line.len) != NULL ||
		    memchr(s->in.line.data != NULL ? s->in.line.data : "", '\r',
		    s->in.line.len) != NULL)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct session		 s;
	struct session_io	 io;
	size_t			 i = 2, chunk, room, max;

	if (n < 2)
		return 0;
	memset(&s, 0, sizeof(s));
	s.orphaned = true;	/* no supervisor: no `status` */
	msg_limits_default(&s.limits);
	s.limits.line_max = 64 + p[0] % 64;
	memset(&io, 0, sizeof(io));
	io.flush = fuzz_flush;
	io.wait = fuzz_wait;
	io.arg = &s;
	io.stall_ms = 1000;
	session_attach(&s, &io);
	s.out.crlf = (p[1] & 2) != 0;
	s.out.iac = (p[1] & 4) != 0;
	session_edit(&s, (p[1] & 1) != 0);
	max = s.limits.line_max + FUZZ_IN_SLACK +
	    (s.in.edit ? s.limits.line_max + 1 : 0);
	while (i < n && s.reason == NULL) {
		/* A control byte: its low bits the chunk, 0xff a ^C. */
		if (p[i] == 0xff) {
			session_interrupt(&s);
			i++;
			continue;
		}
		chunk = 1 + p[i++] % 32;
		if (chunk > n - i)
			chunk = n - i;
		room = session_input_room(&s);
		if (chunk > room)
			chunk = room;
		session_input(&s, (const char *)p + i, chunk);
		i += chunk;
		if (s.in.q.len > max)
			abort();
		session_flush(&s);
		fuzz_take(&s);
	}
	session_input_end(&s);
	fuzz_take(&s);
	if (s.reason == NULL && s.in.q.len != 0)
		abort();
	session_detach(&s);
	return 0;
}

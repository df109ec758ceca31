/*
 * session_out.c: where a session's output goes out (see session.h), the
 * one path from the REPL, a program or the session's own notices to the
 * transport's client.
 *
 * Output waits in one bounded queue per stream (stdout, stderr) until the
 * transport's flush takes it: outbuf_max bytes, and a little past it
 * (SESSION_OUT_SLACK) for what must not wait, a goodbye, an echo, a
 * telnet reply. Text with "\n" line ends is converted as the client
 * needs: CRLF for a terminal or a telnet client, IAC doubled once the
 * client has shown it speaks telnet (so a program that prints byte 255
 * does not send telnet commands to its own user). A program's output
 * (counted) is metered: output_max for the session, output_rate per
 * second; a program that prints faster than either, or faster than the
 * client reads, is held in its output callback, which waits in the
 * transport's loop (session_wait), and a client that takes no byte for
 * io->stall_ms while the queue is full is cut off. Every byte queued for
 * the client, whatever it is, passes session_append().
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <bsd/string.h>

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "repl.h"
#include "session.h"

#define SESSION_OUT_SLACK	1024	/* goodbyes, echo, replies past the cap */
#define SESSION_CONV_CHUNK	2048	/* output converted per step */
#define SESSION_FLUSH_AT	16384	/* during a run, send once this waits */
#define SESSION_TELNET_IAC	255

size_t
session_pending(const struct session *s, int k)
{
	return s->out.st[k].q.len - s->out.st[k].off;
}

size_t
session_pending_all(const struct session *s)
{
	size_t	 n = 0;
	int	 k;

	for (k = 0; k < SESSION_STREAMS; k++)
		n += session_pending(s, k);
	return n;
}

const char *
session_queued(const struct session *s, int k)
{
	return s->out.st[k].q.data != NULL ?
	    s->out.st[k].q.data + s->out.st[k].off : "";
}

void
session_sent(struct session *s, int k, size_t n)
{
	struct session_stream	*st = &s->out.st[k];

	if (n == 0)
		return;
	/* What the client was sent, as it was sent. */
	record_data(&s->rec, 'o', st->q.data + st->off, n, session_now());
	st->off += n;
	s->out.progress = session_now();
	if (st->off >= st->q.len) {
		buf_reset(&st->q);
		st->off = 0;
	}
}

void
session_flush(struct session *s)
{
	if (s->io != NULL && !s->gone)
		s->io->flush(s->io->arg);
}

/* Append to stream k if the cap allows; the caller checks the cap. */
static int
session_append(struct session *s, int k, const void *p, size_t n, size_t cap,
    bool visible)
{
	struct session_stream	*st = &s->out.st[k];

	if (n == 0)
		return 0;
	if (session_pending(s, k) + n > cap)
		return -1;
	/* Keep the sent part from growing without bound: compact. */
	if (st->off > 0 && st->off >= st->q.len / 2) {
		buf_consume(&st->q, st->off);
		st->off = 0;
	}
	if (buf_append(&st->q, p, n) == -1)
		return -1;
	if (visible)
		st->last = ((const char *)p)[n - 1];
	return 0;
}

int
session_queue(struct session *s, int k, const void *p, size_t n,
    bool visible)
{
	return session_append(s, k, p, n,
	    (size_t)s->limits.outbuf_max + SESSION_OUT_SLACK, visible);
}

/* Text with "\n" line ends, as stream k's client needs it, into out. */
static int
session_convert(struct session *s, int k, struct buf *out, const char *p,
    size_t n)
{
	size_t	 i, start = 0;
	char	 prev = s->out.st[k].last;

	buf_reset(out);
	if (!s->out.crlf && !s->out.iac)
		return buf_append(out, p, n);
	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && s->out.crlf && prev != '\r') {
			if (buf_append(out, p + start, i - start) == -1 ||
			    buf_putc(out, '\r') == -1)
				return -1;
			start = i;
		} else if ((unsigned char)p[i] == SESSION_TELNET_IAC &&
		    s->out.iac) {
			if (buf_append(out, p + start, i - start) == -1 ||
			    buf_putc(out, (char)SESSION_TELNET_IAC) == -1)
				return -1;
			start = i;
		}
		prev = p[i];
	}
	return buf_append(out, p + start, n - start);
}

void
session_end(struct session *s, const char *reason)
{
	if (s->reason == NULL) {
		s->reason = reason;
		session_edit_end(s);
	}
}

/*
 * The supervisor's reason for a shutdown ("server shutting down",
 * "session ended by the administrator", a tenant's session limit) as
 * the client reads it: a capital first, one line, no trailing stop.
 */
void
session_shutdown_words(const struct session *s, char *buf, size_t len)
{
	size_t	 n;

	strlcpy(buf, s->shutdown_why[0] != '\0' ? s->shutdown_why :
	    "server shutting down", len);
	if (buf[0] >= 'a' && buf[0] <= 'z')
		buf[0] = (char)(buf[0] - 'a' + 'A');
	n = strcspn(buf, "\r\n");
	while (n > 0 && buf[n - 1] == '.')
		n--;
	buf[n] = '\0';
}

void
session_bye(struct session *s, const char *reason, const char *fmt, ...)
{
	struct session_stream	*st = &s->out.st[s->out.text];
	va_list			 ap;
	int			 rv;

	if (s->reason != NULL)
		return;
	s->reason = reason;
	if (s->gone)
		return;
	session_edit_end(s);
	buf_reset(&s->out.fmt);
	va_start(ap, fmt);
	rv = st->last != '\n' ? buf_putc(&s->out.fmt, '\n') : 0;
	if (rv == 0)
		rv = buf_vprintf(&s->out.fmt, fmt, ap);
	va_end(ap);
	if (rv == 0 && buf_putc(&s->out.fmt, '\n') == 0 &&
	    session_convert(s, s->out.text, &s->out.conv, s->out.fmt.data,
	    s->out.fmt.len) == 0)
		(void)session_queue(s, s->out.text, s->out.conv.data,
		    s->out.conv.len, true);
}

void
session_check(struct session *s)
{
	struct session_due	 d;

	if (s->reason != NULL)
		return;
	session_due(s, session_now(), false, &d);
	if (d.end != NULL)
		session_bye(s, d.end, "%s", d.words);
}

void
session_wait(struct session *s, int timeout)
{
	int	 due;

	/*
	 * Output events held by the recording go within RECORD_HOLD_MS: every
	 * transport's loop waits here.
	 */
	if (record_on(&s->rec) && (due = record_flush_due(&s->rec,
	    session_now())) >= 0 && (timeout < 0 || due < timeout))
		timeout = due;
	if (s->reason != NULL)
		return;
	s->io->wait(s->io->arg, timeout);
	if (record_on(&s->rec))
		(void)record_flush_due(&s->rec, session_now());
	session_check(s);
	(void)session_tick(s);
}

/* Start a new output-rate window when a second has passed. */
static void
session_rate_window(struct session *s, uint64_t now)
{
	if (now - s->out.win_start >= 1000) {
		s->out.win_start = now;
		s->out.win_bytes = 0;
	}
}

/*
 * Queue converted output on stream k. counted: the program's or the
 * REPL's, which output_max and output_rate govern; our prompts and
 * notices are not. Waits while the rate window is spent or the queue is
 * full. Returns 0, or -1 when the session is ending.
 */
static int
session_put(struct session *s, int k, const char *p, size_t n, bool counted)
{
	const struct msg_limits	*lim = &s->limits;
	size_t			 max = (size_t)lim->outbuf_max, chunk, room;
	uint64_t		 now;

	while (n > 0) {
		/* Ending, or nobody to write to: the command is told so. */
		if (s->reason != NULL || s->gone)
			return -1;
		if (counted && s->interrupt) {
			/* ^C: the rest is dropped, and the user told so. */
			s->out.dropped += n;
			return 0;
		}
		chunk = n;
		if (counted && lim->output_max != 0) {
			if (s->out.produced >= lim->output_max) {
				log_info("session %lld: output limit of %llu "
				    "bytes reached", (long long)s->id,
				    (unsigned long long)lim->output_max);
				session_bye(s, SESSION_END_OUTPUT, "Output "
				    "limit of %llu bytes for this session "
				    "reached. Goodbye!",
				    (unsigned long long)lim->output_max);
				return -1;
			}
			if (chunk > lim->output_max - s->out.produced)
				chunk = (size_t)(lim->output_max -
				    s->out.produced);
		}
		now = session_now();
		if (counted && lim->output_rate != 0) {
			session_rate_window(s, now);
			if (s->out.win_bytes >= lim->output_rate) {
				session_wait(s, (int)(s->out.win_start + 1000 -
				    now));
				continue;
			}
			if (chunk > lim->output_rate - s->out.win_bytes)
				chunk = (size_t)(lim->output_rate -
				    s->out.win_bytes);
		}
		if (session_pending(s, k) + chunk > max)
			session_flush(s);
		room = max > session_pending(s, k) ?
		    max - session_pending(s, k) : 0;
		if (room == 0) {
			if (now - s->out.progress >= (uint64_t)s->io->stall_ms) {
				log_warnx("session %lld: client stopped "
				    "reading: %zu bytes queued, none taken for "
				    "%d s; disconnecting", (long long)s->id,
				    session_pending_all(s),
				    s->io->stall_ms / 1000);
				session_end(s, SESSION_END_OUTPUT);
				return -1;
			}
			session_wait(s, (int)(s->out.progress +
			    (uint64_t)s->io->stall_ms - now));
			continue;
		}
		if (chunk > room)
			chunk = room;
		if (session_append(s, k, p, chunk, max, true) == -1) {
			log_warnx("session %lld: output queue: out of memory",
			    (long long)s->id);
			session_end(s, SESSION_END_ERROR);
			return -1;
		}
		if (counted) {
			s->out.produced += chunk;
			s->out.win_bytes += chunk;
		}
		p += chunk;
		n -= chunk;
	}
	if (!s->running || session_pending_all(s) >= SESSION_FLUSH_AT)
		session_flush(s);
	return s->reason != NULL ? -1 : 0;
}

int
session_write(struct session *s, int k, const char *p, size_t n)
{
	size_t	 m;

	while (n > 0) {
		if (s->reason != NULL)
			return -1;
		if (s->interrupt) {
			s->out.dropped += n;
			return 0;
		}
		m = n < SESSION_CONV_CHUNK ? n : SESSION_CONV_CHUNK;
		if (session_convert(s, k, &s->out.conv, p, m) == -1) {
			session_end(s, SESSION_END_ERROR);
			return -1;
		}
		if (session_put(s, k, s->out.conv.data, s->out.conv.len,
		    true) == -1)
			return -1;
		p += m;
		n -= m;
	}
	return 0;
}

/* Our own text on stream k; fresh: on a line of its own. */
static void __attribute__((format(printf, 4, 0)))
session_vtext(struct session *s, int k, bool fresh, const char *fmt,
    va_list ap)
{
	if (fresh)
		session_edit_below(s);
	buf_reset(&s->out.fmt);
	if ((fresh && s->out.st[k].last != '\n' &&
	    buf_putc(&s->out.fmt, '\n') == -1) ||
	    buf_vprintf(&s->out.fmt, fmt, ap) == -1 ||
	    session_convert(s, k, &s->out.conv, s->out.fmt.data,
	    s->out.fmt.len) == -1) {
		session_end(s, SESSION_END_ERROR);
		return;
	}
	(void)session_put(s, k, s->out.conv.data, s->out.conv.len, false);
}

void
session_text(struct session *s, int k, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	session_vtext(s, k, false, fmt, ap);
	va_end(ap);
}

void
session_notice(struct session *s, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	session_vtext(s, s->out.text, true, fmt, ap);
	va_end(ap);
}

void
session_prompt(struct session *s)
{
	const char	*p;

	if (s->repl == NULL || !s->prompts)
		return;
	/* No line end, no IAC: nothing to convert. */
	p = repl_prompt(s->repl);
	if (session_edit_prompt(s, p))
		return;
	(void)session_put(s, s->out.text, p, strlen(p), false);
}

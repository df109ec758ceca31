/*
 * line.c: the line transport, what `telnet host 2244` and `nc host 2244`
 * expect (../shared/DESIGN.md, "Sessions"; transport.h).
 *
 * One poll() loop over the client socket and the channel drives the
 * session; no threads, no signals. Bytes from the client go through the
 * telnet filter (telnet.c) into a bounded input queue, where lines end at
 * LF, CRLF, CR NUL or a bare CR; each line goes to the REPL, whose output
 * comes back through line_write() with "\n" turned into CRLF and queued in
 * a bounded output queue that is sent whenever the socket takes it.
 *
 * While the REPL runs a program it calls line_poll() at every budget
 * checkpoint (about a million instructions): that flushes output, reads
 * input into the queue (IAC IP interrupts the run), answers the channel
 * and checks the lifetime and CPU limits. A program that prints faster
 * than output_rate, or faster than the client reads, is held inside its
 * output callback, which waits in the same poll loop; a client that takes
 * no byte for LINE_STALL_MS while the queue is full is cut off.
 *
 * Every queue is bounded: input by line_max + LINE_IN_SLACK (past that
 * the socket is simply not read, so nothing typed is lost), output by
 * outbuf_max (+ LINE_OUT_SLACK for goodbyes and telnet replies).
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "repl.h"
#include "telnet.h"
#include "transport.h"

#define LINE_READ_CHUNK	4096	/* bytes per recv() */
#define LINE_IN_SLACK	4096	/* input queued past line_max */
#define LINE_OUT_SLACK	1024	/* goodbyes and telnet replies past outbuf_max */
#define LINE_CONV_CHUNK	2048	/* REPL output converted per step */
#define LINE_FLUSH_AT	16384	/* during a run, send once this is queued */
#define LINE_STALL_MS	5000	/* full queue, no byte taken: cut off */
#define LINE_FINAL_MS	2000	/* sending what is left at the end */
#define LINE_LINGER_MS	500	/* reading the client's last bytes */

#define LINE_BYE_SHUTDOWN	"Server shutting down. Goodbye!"
#define LINE_BYE_IDLE		"Idle timeout. Goodbye!"
#define LINE_BYE_LINE		"Line not finished within %llu seconds. Goodbye!"
#define LINE_AYT_REPLY		"\r\n[Iridium: yes]\r\n"

struct line {
	struct session		*s;
	const struct msg_limits	*lim;
	struct repl		*repl;
	struct telnet		 tn;
	int			 fd;

	/* Input: filtered bytes not yet handed to the REPL. */
	struct buf		 inq;
	size_t			 inq_max;
	struct buf		 cur;		/* the line being fed */
	bool			 after_cr;	/* drop a following LF or NUL */
	bool			 discarding;	/* inside a line past line_max */
	bool			 eof;		/* the client sent FIN */
	bool			 running;	/* inside repl_feed() */
	bool			 interrupt;	/* IAC IP during a command */
	bool			 reprompt;	/* IAC IP at the prompt ... */
	size_t			 reprompt_at;	/* ... after this much of inq */
	bool			 telnet;	/* the client speaks telnet */
	uint64_t		 dropped;	/* output dropped after IP */

	/* Output: outq.data[outoff .. outq.len) waits for the socket. */
	struct buf		 outq;
	size_t			 outoff;
	size_t			 outmax;
	struct buf		 conv;		/* REPL output, converted */
	struct buf		 text;		/* our own lines, formatted */
	struct buf		 ttext;		/* ... and converted */
	char			 lastout;	/* last visible byte queued */
	uint64_t		 produced;	/* REPL output bytes (output_max) */
	uint64_t		 win_start;	/* output_rate window */
	uint64_t		 win_bytes;

	bool			 life_warned;
	bool			 broken;	/* a send or recv failed */
	const char		*reason;	/* set once: the session ends */
};

static void	line_io(struct line *, int);

/* --- output -------------------------------------------------------------- */

static size_t
line_pending(const struct line *l)
{
	return l->outq.len - l->outoff;
}

/* The socket failed: the client is gone, whatever we still wanted. */
static void
line_broken(struct line *l, const char *what)
{
	if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN ||
	    errno == ETIMEDOUT)
		log_debug("session %lld: %s: %s", (long long)l->s->id, what,
		    strerror(errno));
	else
		log_warn("session %lld: %s", (long long)l->s->id, what);
	l->broken = true;
	if (l->reason == NULL)
		l->reason = SESSION_END_HANGUP;
}

/* Send what the socket takes now; never blocks. */
static void
line_flush(struct line *l)
{
	ssize_t	 n;

	while (line_pending(l) > 0 && !l->broken) {
		n = send(l->fd, l->outq.data + l->outoff, line_pending(l),
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				line_broken(l, "send to client");
			break;
		}
		l->s->bytes_out += (uint64_t)n;
		l->outoff += (size_t)n;
	}
	if (l->outoff == l->outq.len) {
		buf_reset(&l->outq);
		l->outoff = 0;
	}
}

/* Append to the output queue if the hard cap allows; the caller checks. */
static int
line_queue(struct line *l, const void *p, size_t n, size_t cap, bool visible)
{
	if (n == 0)
		return 0;
	if (line_pending(l) + n > cap)
		return -1;
	/* Keep the sent part from growing without bound: compact. */
	if (l->outoff > 0 && l->outoff >= l->outq.len / 2) {
		buf_consume(&l->outq, l->outoff);
		l->outoff = 0;
	}
	if (buf_append(&l->outq, p, n) == -1)
		return -1;
	if (visible)
		l->lastout = ((const char *)p)[n - 1];
	return 0;
}

/*
 * The session ends: say why, once, and queue a goodbye line (a complete
 * line of our own, already CRLF) past the soft limit, so even a client
 * with a full queue gets it if it still reads.
 */
static void __attribute__((format(printf, 3, 4)))
line_bye(struct line *l, const char *reason, const char *fmt, ...)
{
	char	 msg[256];
	va_list	 ap;
	int	 n;

	if (l->reason != NULL)
		return;
	l->reason = reason;
	if (l->broken)
		return;
	n = 0;
	if (l->lastout != '\n')
		n = snprintf(msg, sizeof(msg), "\r\n");
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n - 2, fmt, ap);
	va_end(ap);
	strlcat(msg, "\r\n", sizeof(msg));
	(void)line_queue(l, msg, strlen(msg), l->outmax + LINE_OUT_SLACK,
	    true);
}

static void
line_end(struct line *l, const char *reason)
{
	if (l->reason == NULL)
		l->reason = reason;
}

/*
 * Turn text with "\n" line ends into what goes on the wire: CRLF, and
 * IAC doubled once the client has shown it speaks telnet (so a program
 * that prints byte 255 does not send telnet commands to its own user).
 */
static int
line_convert(struct line *l, struct buf *out, const char *p, size_t n)
{
	size_t	 i, start = 0;
	char	 prev = l->lastout;

	buf_reset(out);
	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && prev != '\r') {
			if (buf_append(out, p + start, i - start) == -1 ||
			    buf_putc(out, '\r') == -1)
				return -1;
			start = i;
		} else if ((unsigned char)p[i] == TELNET_IAC && l->telnet) {
			if (buf_append(out, p + start, i - start) == -1 ||
			    buf_putc(out, (char)TELNET_IAC) == -1)
				return -1;
			start = i;
		}
		prev = p[i];
	}
	return buf_append(out, p + start, n - start);
}

/* Start a new output-rate window when a second has passed. */
static void
line_rate_window(struct line *l, uint64_t now)
{
	if (now - l->win_start >= 1000) {
		l->win_start = now;
		l->win_bytes = 0;
	}
}

static void
line_output_max(struct line *l)
{
	log_info("session %lld: output limit of %llu bytes reached",
	    (long long)l->s->id, (unsigned long long)l->lim->output_max);
	line_bye(l, SESSION_END_OUTPUT, "Output limit of %llu bytes for "
	    "this session reached. Goodbye!",
	    (unsigned long long)l->lim->output_max);
}

/*
 * Queue converted output. counted: the REPL's output, which output_max
 * and output_rate govern; our prompts and notices are not. Waits (in the
 * session's poll loop) while the rate window is spent or the queue is
 * full. Returns 0, or -1 when the session is ending.
 */
static int
line_put(struct line *l, const char *p, size_t n, bool counted)
{
	uint64_t	 now, stall = 0;
	size_t		 chunk, room;

	while (n > 0) {
		if (l->reason != NULL)
			return -1;
		if (counted && l->interrupt) {
			/* ^C: the rest is dropped, and the user told so. */
			l->dropped += n;
			return 0;
		}
		chunk = n;
		if (counted && l->lim->output_max != 0) {
			if (l->produced >= l->lim->output_max) {
				line_output_max(l);
				return -1;
			}
			if (chunk > l->lim->output_max - l->produced)
				chunk = (size_t)(l->lim->output_max -
				    l->produced);
		}
		if (counted && l->lim->output_rate != 0) {
			now = session_now();
			line_rate_window(l, now);
			if (l->win_bytes >= l->lim->output_rate) {
				line_io(l, (int)(l->win_start + 1000 - now));
				continue;
			}
			if (chunk > l->lim->output_rate - l->win_bytes)
				chunk = (size_t)(l->lim->output_rate -
				    l->win_bytes);
		}
		if (line_pending(l) + chunk > l->outmax)
			line_flush(l);
		room = l->outmax > line_pending(l) ?
		    l->outmax - line_pending(l) : 0;
		if (room == 0) {
			now = session_now();
			if (stall == 0)
				stall = now + LINE_STALL_MS;
			if (now >= stall) {
				log_warnx("session %lld: client stopped "
				    "reading: %zu bytes queued, none taken for "
				    "%d s; disconnecting", (long long)l->s->id,
				    line_pending(l), LINE_STALL_MS / 1000);
				line_end(l, SESSION_END_OUTPUT);
				return -1;
			}
			line_io(l, (int)(stall - now));
			continue;
		}
		stall = 0;
		if (chunk > room)
			chunk = room;
		if (line_queue(l, p, chunk, l->outmax, true) == -1) {
			log_warnx("session %lld: output queue: out of memory",
			    (long long)l->s->id);
			line_end(l, SESSION_END_ERROR);
			return -1;
		}
		if (counted) {
			l->produced += chunk;
			l->win_bytes += chunk;
		}
		p += chunk;
		n -= chunk;
	}
	if (!l->running || line_pending(l) >= LINE_FLUSH_AT)
		line_flush(l);
	return l->reason != NULL ? -1 : 0;
}

/*
 * A line of our own (prompt, notice, warning), "\n" line ends. fresh:
 * start it on a line of its own, even when the cursor is after a prompt.
 */
static void __attribute__((format(printf, 3, 0)))
line_vtext(struct line *l, bool fresh, const char *fmt, va_list ap)
{
	buf_reset(&l->text);
	if ((fresh && l->lastout != '\n' && buf_putc(&l->text, '\n') == -1) ||
	    buf_vprintf(&l->text, fmt, ap) == -1 ||
	    line_convert(l, &l->ttext, l->text.data, l->text.len) == -1) {
		line_end(l, SESSION_END_ERROR);
		return;
	}
	(void)line_put(l, l->ttext.data, l->ttext.len, false);
}

static void __attribute__((format(printf, 2, 3)))
line_text(struct line *l, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	line_vtext(l, false, fmt, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 2, 3)))
line_notice(struct line *l, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	line_vtext(l, true, fmt, ap);
	va_end(ap);
}

static void
line_prompt(struct line *l)
{
	const char	*p = repl_prompt(l->repl);

	/* Sent after every line: no line end, no IAC, nothing to convert. */
	(void)line_put(l, p, strlen(p), false);
}

/* --- input --------------------------------------------------------------- */

/*
 * IAC IP at the prompt: throw away the line being typed (what follows
 * the last line end in the queue), as a terminal's ^C would.
 */
static void
line_cancel_partial(struct line *l)
{
	size_t	 i = l->inq.len;

	while (i > 0 && l->inq.data[i - 1] != '\n' &&
	    l->inq.data[i - 1] != '\r')
		i--;
	l->inq.len = i;
	if (l->inq.data != NULL)
		l->inq.data[i] = '\0';
	if (i == 0)
		l->discarding = false;
	/* The fresh prompt comes after the lines that came before IP. */
	l->reprompt = true;
	l->reprompt_at = i;
}

/* Drop n bytes from the head of the input queue. */
static void
line_consume(struct line *l, size_t n)
{
	if (n > l->inq.len)
		n = l->inq.len;
	buf_consume(&l->inq, n);
	l->reprompt_at -= n < l->reprompt_at ? n : l->reprompt_at;
}

static void
line_filter(struct line *l, const uint8_t *p, size_t n)
{
	uint8_t	 d;
	size_t	 i;

	for (i = 0; i < n; i++) {
		switch (telnet_byte(&l->tn, p[i], &d)) {
		case TELNET_EV_DATA:
			/* Fits: the caller read at most the room left. */
			(void)buf_putc(&l->inq, (char)d);
			break;
		case TELNET_EV_INTERRUPT:
			if (l->running)
				l->interrupt = true;
			else
				line_cancel_partial(l);
			break;
		case TELNET_EV_AYT:
			(void)line_queue(l, LINE_AYT_REPLY,
			    sizeof(LINE_AYT_REPLY) - 1,
			    l->outmax + LINE_OUT_SLACK, true);
			break;
		case TELNET_EV_REPLY:
			/* Dropped when a client does not read: it is moot. */
			(void)line_queue(l, l->tn.reply, l->tn.replylen,
			    l->outmax + LINE_OUT_SLACK, false);
			break;
		case TELNET_EV_NONE:
			break;
		}
	}
	/* Any IAC sequence, even an escaped 255, says: a telnet client. */
	if (l->tn.commands > 0 || l->tn.escapes > 0)
		l->telnet = true;
}

/* Read what the client sent, as far as the input queue has room. */
static void
line_read(struct line *l)
{
	uint8_t		 tmp[LINE_READ_CHUNK];
	size_t		 room;
	ssize_t		 n;

	if (l->eof || l->broken || l->inq.len >= l->inq_max)
		return;
	room = l->inq_max - l->inq.len;
	if (room > sizeof(tmp))
		room = sizeof(tmp);
	n = recv(l->fd, tmp, room, MSG_DONTWAIT);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			line_broken(l, "recv from client");
		return;
	}
	if (n == 0) {
		l->eof = true;
		return;
	}
	l->s->bytes_in += (uint64_t)n;
	line_filter(l, tmp, (size_t)n);
}

/* --- the REPL's callbacks ------------------------------------------------ */

static int
line_write(void *arg, const char *p, size_t n)
{
	struct line	*l = arg;
	size_t		 k;

	while (n > 0) {
		if (l->reason != NULL)
			return -1;
		if (l->interrupt) {
			l->dropped += n;
			return 0;
		}
		k = n < LINE_CONV_CHUNK ? n : LINE_CONV_CHUNK;
		if (line_convert(l, &l->conv, p, k) == -1) {
			line_end(l, SESSION_END_ERROR);
			return -1;
		}
		if (line_put(l, l->conv.data, l->conv.len, true) == -1)
			return -1;
		p += k;
		n -= k;
	}
	return 0;
}

/* Lifetime and CPU: checked in the loop and at every poll checkpoint. */
static void
line_check(struct line *l)
{
	if (l->reason != NULL)
		return;
	if (session_cpu_spent(l->s)) {
		log_info("session %lld: CPU limit of %llu s reached",
		    (long long)l->s->id, (unsigned long long)l->lim->cpu);
		line_bye(l, SESSION_END_CPU, "CPU time limit of %llu seconds "
		    "reached. Goodbye!", (unsigned long long)l->lim->cpu);
	} else if (l->lim->lifetime != 0 &&
	    session_now() - l->s->start >= l->lim->lifetime * 1000)
		line_bye(l, SESSION_END_LIFETIME, "Session lifetime of %llu "
		    "seconds reached. Goodbye!",
		    (unsigned long long)l->lim->lifetime);
}

static enum repl_poll
line_poll(void *arg)
{
	struct line	*l = arg;
	uint64_t	 now, until;

	/* Test workers: "!test slowpoll", a slow command that still answers. */
	if (l->s->hooks != NULL) {
		until = session_now() + (uint64_t)l->s->hooks->poll_ms();
		while (l->reason == NULL && !l->interrupt &&
		    (now = session_now()) < until) {
			line_flush(l);
			line_io(l, (int)(until - now));
		}
	}

	if (l->reason == NULL) {
		line_flush(l);
		line_io(l, 0);
		repl_stats(l->repl, &l->s->vm);
	}
	if (l->reason != NULL)
		return REPL_POLL_HANGUP;
	if (l->interrupt) {
		l->interrupt = false;
		return REPL_POLL_INTERRUPT;
	}
	return REPL_POLL_GO;
}

static void
line_limits(void *arg, struct buf *out)
{
	struct line	*l = arg;

	session_limits_report(l->s, l->produced, out);
}

/* --- the loop ------------------------------------------------------------ */

/*
 * One turn: wait up to timeout ms (-1: no limit) for the client or the
 * channel, then handle what came. Also the wait of a held output
 * callback, and (timeout 0) the poll checkpoint of a running program.
 */
static void
line_io(struct line *l, int timeout)
{
	struct pollfd	 pfd[2];
	int		 n;

	if (l->reason != NULL)
		return;
	pfd[0].fd = l->fd;
	pfd[0].events = 0;
	if (!l->eof && l->inq.len < l->inq_max)
		pfd[0].events |= POLLIN;
	if (line_pending(l) > 0)
		pfd[0].events |= POLLOUT;
	pfd[0].revents = 0;
	pfd[1].fd = MSG_CHAN_FD;
	pfd[1].events = POLLIN;
	pfd[1].revents = 0;
	n = poll(pfd, 2, timeout);
	if (n == -1 && errno != EINTR) {
		log_warn("session %lld: poll", (long long)l->s->id);
		line_end(l, SESSION_END_ERROR);
		return;
	}
	if (n > 0) {
		if (pfd[1].revents != 0 && session_chan(l->s) == -1)
			line_bye(l, SESSION_END_SHUTDOWN, "%s",
			    LINE_BYE_SHUTDOWN);
		if ((pfd[0].revents & POLLOUT) != 0)
			line_flush(l);
		if ((pfd[0].revents & POLLIN) != 0)
			line_read(l);
		else if ((pfd[0].revents & (POLLERR | POLLHUP)) != 0) {
			/* Gone both ways (POLLHUP), or reset. */
			l->broken = true;
			line_end(l, SESSION_END_HANGUP);
		}
	}
	line_check(l);
	(void)session_tick(l->s);
}

/* Feed one complete line to the REPL (or a test hook). */
static void
line_command(struct line *l, const char *p, size_t n)
{
	enum repl_result rv;
	struct buf	 reply;

	(void)session_line_done(l->s);
	if (l->s->hooks != NULL) {
		buf_init(&reply, 0);
		if (l->s->hooks->line(l->s, p, n, &reply) == 1) {
			line_text(l, "%s", reply.data != NULL ? reply.data :
			    "");
			buf_free(&reply);
			line_prompt(l);
			return;
		}
		buf_free(&reply);
	}
	l->running = true;
	rv = repl_feed(l->repl, p, n);
	l->running = false;
	l->interrupt = false;
	(void)session_line_done(l->s);
	repl_stats(l->repl, &l->s->vm);
	if (l->dropped > 0 && l->reason == NULL) {
		line_notice(l, "(%llu bytes of output dropped after the "
		    "interrupt)\n", (unsigned long long)l->dropped);
		l->dropped = 0;
	}
	switch (rv) {
	case REPL_CONTINUE:
		line_prompt(l);
		break;
	case REPL_QUIT:
		line_end(l, SESSION_END_QUIT);
		break;
	case REPL_HANGUP:
		/* We said stop (reason set), or the REPL failed itself. */
		if (l->reason == NULL) {
			log_warnx("session %lld: the REPL gave up (out of "
			    "memory?)", (long long)l->s->id);
			line_bye(l, SESSION_END_ERROR, "Internal error. "
			    "Goodbye!");
		}
		break;
	}
}

/*
 * A line past line_max, dropped: the REPL says so (and spoils the !load
 * block it was part of, so that the block loads nothing).
 */
static void
line_dropped(struct line *l)
{
	session_line_done(l->s);
	switch (repl_feed_dropped(l->repl, (size_t)l->lim->line_max)) {
	case REPL_CONTINUE:
		line_prompt(l);
		break;
	case REPL_QUIT:
	case REPL_HANGUP:
		line_end(l, SESSION_END_HANGUP);
		break;
	}
}

/*
 * Hand every complete line in the input queue to the REPL. A line past
 * line_max is refused with one error line; the rest of it, up to its
 * line end, is dropped as it arrives.
 */
static void
line_drain(struct line *l)
{
	const char	*p;
	size_t		 i;

	while (l->reason == NULL) {
		if (l->reprompt && l->reprompt_at == 0) {
			l->reprompt = false;
			line_text(l, "\n");
			line_prompt(l);
			continue;
		}
		if (l->inq.len == 0)
			break;
		p = l->inq.data;
		if (l->after_cr) {
			l->after_cr = false;
			if (p[0] == '\n' || p[0] == '\0') {
				line_consume(l, 1);
				continue;
			}
		}
		for (i = 0; i < l->inq.len && p[i] != '\n' && p[i] != '\r';
		    i++)
			continue;
		if (i == l->inq.len) {
			if (l->discarding || i > l->lim->line_max) {
				l->discarding = true;
				line_consume(l, i);
			}
			break;
		}
		l->after_cr = p[i] == '\r';
		if (l->discarding || i > l->lim->line_max) {
			line_consume(l, i + 1);
			l->discarding = false;
			line_dropped(l);
			continue;
		}
		buf_reset(&l->cur);
		if (buf_append(&l->cur, p, i) == -1) {
			line_end(l, SESSION_END_ERROR);
			break;
		}
		/* The REPL may read more input into the queue: consume first. */
		line_consume(l, i + 1);
		line_command(l, l->cur.data != NULL ? l->cur.data : "",
		    l->cur.len);
	}
	/* What is left is the start of a line: its clock runs. */
	session_partial(l->s, l->inq.len > 0 || l->discarding);
}

/* The client closed its side: what it typed last is still a line. */
static void
line_hangup(struct line *l)
{
	if (l->inq.len > 0 && !l->discarding) {
		buf_reset(&l->cur);
		if (buf_append(&l->cur, l->inq.data, l->inq.len) == 0) {
			line_consume(l, l->inq.len);
			line_command(l, l->cur.data, l->cur.len);
		}
	}
	line_end(l, SESSION_END_HANGUP);
}

/*
 * Idle and lifetime warnings and ends. Returns the milliseconds until
 * the next timer (or status), -1 for none.
 */
static int
line_timers(struct line *l)
{
	const struct msg_limits	*m = l->lim;
	uint64_t		 now = session_now(), at, next = UINT64_MAX;
	int			 tick;

	line_check(l);
	if (l->reason != NULL)
		return 0;
	switch (session_idle_due(l->s, now, &next)) {
	case SESSION_DUE_LINE:
		line_bye(l, SESSION_END_LINE, LINE_BYE_LINE,
		    (unsigned long long)m->line_timeout);
		return 0;
	case SESSION_DUE_IDLE:
		line_bye(l, SESSION_END_IDLE, "%s", LINE_BYE_IDLE);
		return 0;
	case SESSION_DUE_IDLE_WARN:
		line_notice(l, "warning: idle for %llu seconds; this session "
		    "ends in %llu seconds without input\n",
		    (unsigned long long)(m->idle - m->idle_warn),
		    (unsigned long long)m->idle_warn);
		line_prompt(l);
		/* The end is still to come: look again. */
		return 0;
	case SESSION_DUE_NONE:
		break;
	}
	if (m->lifetime != 0 && m->lifetime_warn != 0 &&
	    m->lifetime_warn < m->lifetime && !l->life_warned) {
		at = l->s->start + (m->lifetime - m->lifetime_warn) * 1000;
		if (now >= at) {
			l->life_warned = true;
			line_notice(l, "warning: this session ends in %llu "
			    "seconds (lifetime limit of %llu seconds)\n",
			    (unsigned long long)m->lifetime_warn,
			    (unsigned long long)m->lifetime);
			line_prompt(l);
		} else if (at < next)
			next = at;
	}
	if (m->lifetime != 0 && l->s->start + m->lifetime * 1000 < next)
		next = l->s->start + m->lifetime * 1000;
	tick = session_tick(l->s);
	if (tick >= 0 && now + (uint64_t)tick < next)
		next = now + (uint64_t)tick;
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

/*
 * The end: send what is queued (for a while), close our side, and read
 * what the client still sends until it closes too, so the kernel does
 * not answer unread input with a reset that eats the goodbye.
 */
static void
line_close(struct line *l)
{
	struct pollfd	 pfd;
	uint8_t		 tmp[LINE_READ_CHUNK];
	uint64_t	 now, until;
	ssize_t		 n;

	until = session_now() + LINE_FINAL_MS;
	while (line_pending(l) > 0 && !l->broken &&
	    (now = session_now()) < until) {
		pfd.fd = l->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, (int)(until - now)) == -1 &&
		    errno != EINTR)
			break;
		line_flush(l);
	}
	if (!l->broken && shutdown(l->fd, SHUT_WR) == 0) {
		until = session_now() + LINE_LINGER_MS;
		while ((now = session_now()) < until) {
			pfd.fd = l->fd;
			pfd.events = POLLIN;
			if (poll(&pfd, 1, (int)(until - now)) <= 0)
				break;
			n = recv(l->fd, tmp, sizeof(tmp), MSG_DONTWAIT);
			if (n <= 0 && !(n == -1 && errno == EINTR))
				break;
			if (n > 0)
				l->s->bytes_in += (uint64_t)n;
		}
	}
	close(l->fd);
	l->s->client = -1;
}

static const char *
line_serve(struct session *s)
{
	struct line	 l;
	struct repl_config cfg;
	struct repl_io	 io;
	int		 flags, timeout;

	memset(&l, 0, sizeof(l));
	l.s = s;
	l.lim = &s->limits;
	l.fd = s->client;
	l.inq_max = (size_t)s->limits.line_max + LINE_IN_SLACK;
	l.outmax = (size_t)s->limits.outbuf_max;
	l.lastout = '\n';
	l.win_start = session_now();
	telnet_init(&l.tn);
	buf_init(&l.inq, l.inq_max);
	buf_init(&l.cur, 0);
	buf_init(&l.outq, 0);
	buf_init(&l.conv, 0);
	buf_init(&l.text, 0);
	buf_init(&l.ttext, 0);

	/* MSG_DONTWAIT is used throughout; O_NONBLOCK is the belt. */
	if ((flags = fcntl(l.fd, F_GETFL)) == -1 ||
	    fcntl(l.fd, F_SETFL, flags | O_NONBLOCK) == -1)
		log_warn("session %lld: O_NONBLOCK on the client socket",
		    (long long)s->id);

	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = s->limits.budget;
	cfg.heap_bytes = (uint32_t)s->limits.heap;
	cfg.stack_depth = (uint32_t)s->limits.stack;
	memset(&io, 0, sizeof(io));
	io.write = line_write;
	io.poll = line_poll;
	io.limits = line_limits;
	io.arg = &l;

	if ((l.repl = repl_new(&cfg, &io)) == NULL) {
		log_warnx("session %lld: cannot start the REPL (out of "
		    "memory?)", (long long)s->id);
		line_bye(&l, SESSION_END_ERROR, "Internal error. Goodbye!");
	} else {
		repl_stats(l.repl, &s->vm);
		line_text(&l, "%s\n", REPL_BANNER);
		line_prompt(&l);
	}

	while (l.reason == NULL) {
		line_drain(&l);
		if (l.reason != NULL)
			break;
		if (l.eof) {
			line_hangup(&l);
			break;
		}
		timeout = line_timers(&l);
		if (l.reason != NULL)
			break;
		line_io(&l, timeout);
	}

	line_close(&l);
	if (l.repl != NULL)
		repl_stats(l.repl, &s->vm);
	repl_free(l.repl);
	buf_free(&l.inq);
	buf_free(&l.cur);
	buf_free(&l.outq);
	buf_free(&l.conv);
	buf_free(&l.text);
	buf_free(&l.ttext);
	return l.reason;
}

const struct transport transport_line = {
	.name = "line",
	.prepare = NULL,
	.serve = line_serve,
};

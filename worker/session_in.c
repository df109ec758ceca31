/*
 * session_in.c: where a session's input arrives (see session.h): the
 * client's bytes, its own protocol already taken out by the transport,
 * become lines for the REPL.
 *
 * A client that edits its lines itself (telnet, nc, ssh without a pty)
 * sends them whole: its bytes go into a bounded queue, where lines end at
 * LF, CRLF, CR NUL or a bare CR. A client that sends every key as typed
 * (ssh with a pty) goes through the line editor first (tty.h), whose
 * echo is queued at once; only its complete lines reach the queue. The
 * queue holds line_max + SESSION_IN_SLACK bytes: past that the transport
 * stops reading (session_input_room), so nothing typed is lost, and a
 * line past line_max is refused as a whole, its bytes dropped as they
 * come. session_take_line() hands the lines on, one at a time.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "buf.h"
#include "log.h"
#include "repl.h"
#include "session.h"
#include "tty.h"

#define SESSION_IN_SLACK	4096	/* input queued past line_max */

/* The line editor's history and completions: the REPL's. */
static size_t
session_hist_count(void *arg)
{
	struct session	*s = arg;

	return s->repl != NULL ? repl_history_count(s->repl) : 0;
}

static const char *
session_hist_line(void *arg, size_t i, size_t *lenp)
{
	struct session	*s = arg;

	*lenp = 0;
	return s->repl != NULL ? repl_history_line(s->repl, i, lenp) : NULL;
}

static size_t
session_complete(void *arg, const char *line, size_t len, size_t *startp,
    struct buf *out)
{
	struct session	*s = arg;

	*startp = len;
	return s->repl != NULL ? repl_complete(s->repl, line, len, startp,
	    out) : 0;
}

void
session_edit(struct session *s, bool on)
{
	struct session_in	*in = &s->in;

	if (on && !in->edit) {
		in->src.hist_count = session_hist_count;
		in->src.hist_line = session_hist_line;
		in->src.complete = session_complete;
		in->src.arg = s;
		tty_free(&in->tty);
		tty_init(&in->tty, (size_t)s->limits.line_max, &in->src);
	}
	in->edit = on;
	in->tty.max = (size_t)s->limits.line_max;
}

void
session_width(struct session *s, int cols)
{
	if (s->in.edit)
		tty_width(&s->in.tty, cols);
}

size_t
session_input_room(const struct session *s)
{
	size_t	 max = (size_t)s->limits.line_max + SESSION_IN_SLACK;
	size_t	 used = s->in.q.len + s->in.typed.len;

	return used < max ? max - used : 0;
}

/* Drop n bytes from the head of the queue. */
static void
session_consume(struct session *s, size_t n)
{
	struct session_in	*in = &s->in;

	if (n > in->q.len)
		n = in->q.len;
	buf_consume(&in->q, n);
	in->reprompt_at -= n < in->reprompt_at ? n : in->reprompt_at;
}

/* Keys typed: through the line editor, its echo straight back. */
static void
session_typed(struct session *s)
{
	struct session_in	*in = &s->in;
	const unsigned char	*p = (const unsigned char *)in->typed.data;
	enum tty_event		 ev;
	const char		*line;
	size_t			 i, len;

	for (i = 0; i < in->typed.len && in->ready && s->reason == NULL;
	    i++) {
		buf_reset(&in->echo);
		if (tty_byte(&in->tty, p[i], &in->echo, &ev) == -1) {
			session_end(s, SESSION_END_ERROR);
			return;
		}
		(void)session_queue(s, s->out.text, in->echo.data,
		    in->echo.len, true);
		switch (ev) {
		case TTY_LINE:
			line = tty_line(&in->tty, &len);
			if (buf_append(&in->q, line, len) == -1 ||
			    buf_putc(&in->q, '\n') == -1)
				session_end(s, SESSION_END_ERROR);
			tty_next(&in->tty);
			in->ready = false;
			break;
		case TTY_INTR:
			in->ready = false;
			session_interrupt(s);
			break;
		case TTY_EOF:
			/* ^D: as !quit, after what was typed before. */
			in->ready = false;
			if (buf_puts(&in->q, "!quit\n") == -1)
				session_end(s, SESSION_END_ERROR);
			break;
		case TTY_FULL:
			log_info("session %lld: a typed line reached "
			    "line_max (%zu bytes)", (long long)s->id,
			    in->tty.max);
			break;
		case TTY_NONE:
			break;
		}
	}
	buf_consume(&in->typed, i);
}

void
session_typeahead(struct session *s)
{
	if (s->in.edit && s->in.ready && s->in.typed.len > 0)
		session_typed(s);
}

bool
session_edit_prompt(struct session *s, const char *prompt)
{
	struct session_in	*in = &s->in;

	if (!in->edit)
		return false;
	buf_reset(&in->echo);
	if (tty_prompt(&in->tty, prompt, &in->echo) == -1) {
		session_end(s, SESSION_END_ERROR);
		return true;
	}
	(void)session_queue(s, s->out.text, in->echo.data, in->echo.len,
	    false);
	in->ready = true;
	return true;
}

void
session_edit_adopt(struct session *s)
{
	struct session_in	*in = &s->in;

	/* A command runs, or lines wait: the next prompt is the editor's. */
	if (!in->edit || s->repl == NULL || s->running || in->q.len > 0)
		return;
	buf_reset(&in->echo);
	if (tty_adopt(&in->tty, repl_prompt(s->repl), &in->echo) == -1) {
		session_end(s, SESSION_END_ERROR);
		return;
	}
	(void)session_queue(s, s->out.text, in->echo.data, in->echo.len,
	    false);
	in->ready = true;
}

void
session_edit_below(struct session *s)
{
	struct tty	*t = &s->in.tty;
	char		 down[32];
	int		 n;

	/* A notice goes below all of a wrapped line, not over its rows. */
	if (!s->in.edit || !t->shown || t->crow >= t->erow)
		return;
	n = snprintf(down, sizeof(down), "\x1b[%zuB", t->erow - t->crow);
	(void)session_queue(s, s->out.text, down, (size_t)n, false);
	t->crow = t->erow;
}

void
session_edit_end(struct session *s)
{
	/* The terminal as it was: no more marked pastes. */
	if (s->in.edit && s->in.tty.prompt.data != NULL && !s->in.pasteoff &&
	    !s->gone) {
		s->in.pasteoff = true;
		(void)session_queue(s, s->out.text, "\x1b[?2004l", 8, false);
	}
}

void
session_input(struct session *s, const char *p, size_t n)
{
	struct session_in	*in = &s->in;
	size_t			 i;

	record_data(&s->rec, 'i', p, n, session_now());
	if (!in->edit) {
		if (buf_append(&in->q, p, n) == -1)
			session_end(s, SESSION_END_ERROR);
		return;
	}
	/*
	 * Keys typed while no prompt is up wait for it, as in a terminal;
	 * a ^C among them stops what runs and throws them away.
	 */
	i = 0;
	while (i < n && !in->ready && !in->tty.paste) {
		if (p[i++] != '\x03')
			continue;
		buf_reset(&in->typed);
		p += i;
		n -= i;
		i = 0;
		session_interrupt(s);
	}
	if (buf_append(&in->typed, p, n) == -1) {
		session_end(s, SESSION_END_ERROR);
		return;
	}
	session_typeahead(s);
}

void
session_interrupt(struct session *s)
{
	struct session_in	*in = &s->in;
	size_t			 i = in->q.len;

	if (s->running) {
		s->interrupt = true;
		return;
	}
	/* At the prompt: the line being typed goes, as a terminal's ^C. */
	while (i > 0 && in->q.data[i - 1] != '\n' && in->q.data[i - 1] != '\r')
		i--;
	in->q.len = i;
	if (in->q.data != NULL)
		in->q.data[i] = '\0';
	if (i == 0)
		in->discarding = false;
	/* The fresh prompt comes after the lines that came before ^C. */
	in->reprompt = true;
	in->reprompt_at = i;
}

void
session_input_end(struct session *s)
{
	if (s->in.q.len > 0 && !s->in.discarding &&
	    buf_putc(&s->in.q, '\n') == -1)
		session_end(s, SESSION_END_ERROR);
}

bool
session_input_partial(const struct session *s)
{
	return s->in.q.len > 0 || s->in.discarding ||
	    (s->in.edit && (s->in.tty.line.len > 0 || s->in.typed.len > 0));
}

enum session_take
session_take_line(struct session *s)
{
	struct session_in	*in = &s->in;
	const char		*p;
	size_t			 i, max = (size_t)s->limits.line_max;

	for (;;) {
		if (in->reprompt && in->reprompt_at == 0) {
			in->reprompt = false;
			return SESSION_TAKE_REPROMPT;
		}
		if (in->q.len == 0)
			return SESSION_TAKE_NONE;
		p = in->q.data;
		if (in->after_cr) {
			in->after_cr = false;
			if (p[0] == '\n' || p[0] == '\0') {
				session_consume(s, 1);
				continue;
			}
		}
		for (i = 0; i < in->q.len && p[i] != '\n' && p[i] != '\r'; i++)
			continue;
		if (i == in->q.len) {
			/* The start of a line: past line_max, dropped now. */
			if (in->discarding || i > max) {
				in->discarding = true;
				session_consume(s, i);
			}
			return SESSION_TAKE_NONE;
		}
		in->after_cr = p[i] == '\r';
		if (in->discarding || i > max) {
			session_consume(s, i + 1);
			in->discarding = false;
			return SESSION_TAKE_DROPPED;
		}
		buf_reset(&in->line);
		if (buf_append(&in->line, p, i) == -1) {
			session_end(s, SESSION_END_ERROR);
			return SESSION_TAKE_NONE;
		}
		/* The REPL may read more input into the queue: consume first. */
		session_consume(s, i + 1);
		return SESSION_TAKE_LINE;
	}
}

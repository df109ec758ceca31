/*
 * session_repl.c: a session serving its REPL (see session.h), the top of
 * the session core, what a transport's loop calls.
 *
 * Complete input lines become commands (session_drain, session_command);
 * a line past line_max is refused with one error line. While the REPL
 * runs a command it calls session_poll() at every budget checkpoint
 * (about a million instructions): that flushes output, lets the
 * transport take a turn (client input, where ^C interrupts the run; the
 * channel, where `shutdown` ends it), checks the CPU and lifetime limits
 * and sends `status`. Between commands the transport's loop waits for
 * what session_timers() says is next: a warning, an end, a `status`.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "repl.h"
#include "session.h"
#include "tty.h"

void
session_attach(struct session *s, const struct session_io *io)
{
	int	 k;

	s->io = io;
	for (k = 0; k < SESSION_STREAMS; k++)
		s->out.st[k].last = '\n';
	s->out.text = SESSION_STDOUT;
	s->out.win_start = s->out.progress = session_now();
}

void
session_begin(struct session *s)
{
	s->out.win_start = s->out.progress = session_line_done(s);
}

void
session_detach(struct session *s)
{
	int	 k;

	if (s->repl != NULL) {
		repl_stats(s->repl, &s->vm);
		session_history_save(s);
	}
	buf_free(&s->hist_in);
	if (s->repl != NULL && s->reason != NULL &&
	    (strcmp(s->reason, SESSION_END_HANGUP) == 0 ||
	    strcmp(s->reason, SESSION_END_DETACH) == 0) &&
	    session_may_detach(s))
		s->kept = s->repl;	/* session_detached() takes it on */
	else
		repl_free(s->repl);
	s->repl = NULL;
	for (k = 0; k < SESSION_STREAMS; k++)
		buf_free(&s->out.st[k].q);
	buf_free(&s->out.conv);
	buf_free(&s->out.fmt);
	buf_free(&s->in.q);
	buf_free(&s->in.line);
	buf_free(&s->in.echo);
	buf_free(&s->in.typed);
	tty_free(&s->in.tty);
}

/* --- the REPL's callbacks -------------------------------------------------- */

int
session_repl_write(void *arg, const char *p, size_t n)
{
	return session_write(arg, SESSION_STDOUT, p, n);
}

enum repl_poll
session_poll(void *arg)
{
	struct session	*s = arg;
	uint64_t	 now, until;

	/* Test workers: "!test slowpoll", a slow command that still answers. */
	if (s->hooks != NULL) {
		until = session_now() + (uint64_t)s->hooks->poll_ms();
		while (s->reason == NULL && !s->interrupt && !s->gone &&
		    (now = session_now()) < until) {
			session_flush(s);
			session_wait(s, (int)(until - now));
		}
	}
	if (s->reason == NULL) {
		session_flush(s);
		session_wait(s, 0);
		if (s->repl != NULL)
			repl_stats(s->repl, &s->vm);
	}
	if (s->reason != NULL || s->gone)
		return REPL_POLL_HANGUP;
	if (s->interrupt) {
		s->interrupt = false;
		return REPL_POLL_INTERRUPT;
	}
	return REPL_POLL_GO;
}

static void
session_repl_limits(void *arg, struct buf *out)
{
	struct session	*s = arg;

	if (s->io->limits != NULL)
		s->io->limits(s->io->arg, out);
	session_limits_report(s, s->out.produced, out);
}

int
session_repl_start(struct session *s)
{
	struct repl_config	 cfg;
	struct repl_io		 io;

	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = s->limits.budget;
	cfg.heap_bytes = (uint32_t)s->limits.heap;
	cfg.stack_depth = (uint32_t)s->limits.stack;
	memset(&io, 0, sizeof(io));
	io.write = session_repl_write;
	io.poll = session_poll;
	io.limits = session_repl_limits;
	io.help = session_move_help;
	io.arg = s;
	if ((s->repl = repl_new(&cfg, &io)) == NULL) {
		log_warnx("session %lld: cannot start the REPL (out of "
		    "memory?)", (long long)s->id);
		session_bye(s, SESSION_END_ERROR, "Internal error. Goodbye!");
		return -1;
	}
	repl_stats(s->repl, &s->vm);
	session_history_start(s);
	/* The upgrade: a session moved in from its old worker. */
	if (s->takeover_fd != -1)
		return session_taken(s);
	if (s->prompts) {
		session_text(s, s->out.text, "%s\n", REPL_BANNER);
		if (record_on(&s->rec) && s->rec.notice[0] != '\0')
			session_text(s, s->out.text, "%s\n", s->rec.notice);
		if (s->resume_note[0] != '\0' && !s->resume_first)
			session_text(s, s->out.text, "%s\n", s->resume_note);
	}
	/* ssh's exec "resume [ID]": the session taken up first. */
	if (s->resume_first)
		(void)session_resume(s, s->resume_id, NULL);
	if (s->prompts)
		session_prompt(s);
	return 0;
}

/* --- commands ---------------------------------------------------------------- */

enum repl_result
session_command(struct session *s, const char *p, size_t n)
{
	enum repl_result rv;
	struct buf	 reply;

	(void)session_line_done(s);
	if (session_move_line(s, p, n) == 1)
		return s->reason != NULL ? REPL_QUIT : REPL_CONTINUE;
	if (s->hooks != NULL) {
		buf_init(&reply, 0);
		if (s->hooks->line(s, p, n, &reply) == 1) {
			session_text(s, SESSION_STDOUT, "%s",
			    reply.data != NULL ? reply.data : "");
			buf_free(&reply);
			session_prompt(s);
			return REPL_CONTINUE;
		}
		buf_free(&reply);
	}
	s->running = true;
	rv = repl_feed(s->repl, p, n);
	s->running = false;
	s->interrupt = false;
	(void)session_line_done(s);
	repl_stats(s->repl, &s->vm);
	/* !history clear: the stored lines go too, now. */
	if (repl_history_clears(s->repl) != s->hist_clears)
		session_history_save(s);
	if (s->out.dropped > 0 && s->reason == NULL) {
		session_notice(s, "(%llu bytes of output dropped after the "
		    "interrupt)\n", (unsigned long long)s->out.dropped);
		s->out.dropped = 0;
	}
	switch (rv) {
	case REPL_CONTINUE:
		session_prompt(s);
		break;
	case REPL_QUIT:
		session_end(s, SESSION_END_QUIT);
		break;
	case REPL_HANGUP:
		/* What ran was cut short: said should the session resume. */
		s->cut = true;
		/* We said stop (reason set), the client left, or it failed. */
		if (s->reason != NULL)
			break;
		if (s->gone) {
			session_end(s, SESSION_END_HANGUP);
			break;
		}
		log_warnx("session %lld: the REPL gave up (out of memory?)",
		    (long long)s->id);
		session_bye(s, SESSION_END_ERROR, "Internal error. Goodbye!");
		break;
	}
	return rv;
}

int
session_test_hook(struct session *s, const char *name)
{
	struct buf	 line, reply;
	int		 rv = -1;

	if (s->hooks == NULL)
		return -1;
	buf_init(&line, 0);
	buf_init(&reply, 0);
	if (buf_printf(&line, "!test %s", name) == 0 &&
	    s->hooks->line(s, line.data, line.len, &reply) == 1) {
		log_debug("session %lld: %s", (long long)s->id,
		    reply.data != NULL ? reply.data : "");
		rv = 0;
	}
	buf_free(&line);
	buf_free(&reply);
	return rv;
}

/*
 * A line past line_max, dropped: the REPL says so (and spoils the !load
 * block it was part of, so that the block loads nothing).
 */
static void
session_dropped(struct session *s)
{
	(void)session_line_done(s);
	switch (repl_feed_dropped(s->repl, (size_t)s->limits.line_max)) {
	case REPL_CONTINUE:
		session_prompt(s);
		break;
	case REPL_QUIT:
	case REPL_HANGUP:
		session_end(s, SESSION_END_HANGUP);
		break;
	}
}

void
session_drain(struct session *s)
{
	bool	 more = true;

	while (more && s->reason == NULL) {
		session_typeahead(s);
		switch (session_take_line(s)) {
		case SESSION_TAKE_NONE:
			more = false;
			break;
		case SESSION_TAKE_REPROMPT:
			if (s->prompts) {
				session_notice(s, "%s", "");
				session_prompt(s);
			}
			break;
		case SESSION_TAKE_DROPPED:
			session_dropped(s);
			break;
		case SESSION_TAKE_LINE:
			(void)session_command(s, s->in.line.data != NULL ?
			    s->in.line.data : "", s->in.line.len);
			break;
		}
	}
	/* What is left is the start of a line: its clock runs. */
	session_partial(s, session_input_partial(s));
}

/* --- the channel and the clocks ------------------------------------------ */

void
session_answer(struct session *s)
{
	char	 why[MSG_TEXT_MAX + 1];

	if (session_chan(s) == 0)
		return;
	if (s->io != NULL && s->io->shutdown != NULL)
		s->io->shutdown(s->io->arg);
	else {
		session_shutdown_words(s, why, sizeof(why));
		session_bye(s, SESSION_END_SHUTDOWN, "%s. Goodbye!", why);
	}
}

int
session_timers(struct session *s)
{
	struct session_due	 d;
	uint64_t		 now = session_now(), next;
	int			 tick;

	if (s->reason != NULL)
		return 0;
	session_due(s, now, true, &d);
	if (d.end != NULL) {
		session_bye(s, d.end, "%s", d.words);
		return 0;
	}
	if (d.warn) {
		session_notice(s, "%s\n", d.words);
		session_prompt(s);
		/* The end is still to come: look again. */
		return 0;
	}
	next = d.next;
	tick = session_tick(s);
	if (tick >= 0 && now + (uint64_t)tick < next)
		next = now + (uint64_t)tick;
	if (next == UINT64_MAX)
		return -1;
	if (next <= now)
		return 0;
	return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

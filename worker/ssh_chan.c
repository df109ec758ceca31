/*
 * ssh_chan.c: the ssh transport's session channel (see ssh_internal.h):
 * its requests, the bytes that flow on it, and what runs behind it.
 *
 * Requests: `pty-req` and `window-change` (recorded), `env` for LANG,
 * LC_* and TERM (others refused), then exactly one of `shell` (the REPL;
 * with a pty, the line transport's banner and prompt, without one
 * neither, as the local `iridium` reading a pipe) or `exec`: "run" reads a
 * program from stdin until EOF and runs it (output on stdout, messages
 * on stderr, exit-status as ISA.md says), "check" only assembles it, and
 * anything else is one REPL line. `signal` INT interrupts a run;
 * subsystems are refused.
 *
 * Input is pulled from libssh's channel buffer only as far as our queue
 * has room, so the channel window (and so the client) waits while a
 * program runs; with a pty each byte goes through the line editor
 * (ssh_tty.c), whose echo goes back at once. Output waits in two queues
 * (stdout, stderr) bounded by outbuf_max and goes out only as far as the
 * client's window allows, while libssh has nothing unsent: a libssh
 * callback never writes, and a program that prints faster than the
 * client reads is held in its output callback, in this loop.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bsd/string.h>

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "repl.h"
#include "run.h"
#include "ssh_internal.h"
#include "ssh_tty.h"
#include "transport.h"

#define SSH_IN_SLACK	4096	/* input queued past line_max */
#define SSH_OUT_SLACK	1024	/* notices and echo past outbuf_max */
#define SSH_CONV_CHUNK	2048	/* REPL output converted per step */
#define SSH_WRITE_MAX	65536	/* bytes handed to libssh per write */
#define SSH_ENV_MAX	64	/* longest env value taken */

#define SSH_BYE_IDLE	"Idle timeout. Goodbye!"


/* --- output -------------------------------------------------------------- */

static size_t
ssh_pending(const struct sshc *c, int k)
{
	return c->outq[k].len - c->outoff[k];
}

size_t
ssh_chan_pending(const struct sshc *c)
{
	return ssh_pending(c, SSH_OUT) + ssh_pending(c, SSH_ERR);
}

/* Where our own lines go: the terminal in a shell, stderr for exec. */
static int
ssh_textq(const struct sshc *c)
{
	return c->mode == SSH_MODE_SHELL ? SSH_OUT : SSH_ERR;
}

void
ssh_chan_flush(struct sshc *c)
{
	uint32_t	 win;
	size_t		 n;
	int		 k, rc;

	if (c->chan == NULL || c->chan_closed || c->broken)
		return;
	for (k = SSH_OUT; k <= SSH_ERR; k++) {
		while (ssh_pending(c, k) > 0) {
			/*
			 * libssh queues without limit what the socket does
			 * not take: write only when it has sent everything.
			 */
			if ((ssh_get_poll_flags(c->ss) & SSH_WRITE_PENDING) != 0)
				return;
			if ((win = ssh_channel_window_size(c->chan)) == 0)
				return;
			n = ssh_pending(c, k);
			if (n > win)
				n = win;
			if (n > SSH_WRITE_MAX)
				n = SSH_WRITE_MAX;
			rc = k == SSH_OUT ? ssh_channel_write(c->chan,
			    c->outq[k].data + c->outoff[k], (uint32_t)n) :
			    ssh_channel_write_stderr(c->chan,
			    c->outq[k].data + c->outoff[k], (uint32_t)n);
			if (rc == SSH_ERROR) {
				ssh_broken(c, "write to channel");
				return;
			}
			if (rc <= 0)
				return;
			c->outoff[k] += (size_t)rc;
			c->progress = session_now();
		}
		buf_reset(&c->outq[k]);
		c->outoff[k] = 0;
	}
}

/* Append to queue k if the cap allows. */
static int
ssh_queue(struct sshc *c, int k, const void *p, size_t n, size_t cap)
{
	if (n == 0)
		return 0;
	if (ssh_pending(c, k) + n > cap)
		return -1;
	if (c->outoff[k] > 0 && c->outoff[k] >= c->outq[k].len / 2) {
		buf_consume(&c->outq[k], c->outoff[k]);
		c->outoff[k] = 0;
	}
	if (buf_append(&c->outq[k], p, n) == -1)
		return -1;
	if (k == ssh_textq(c))
		c->lastout = ((const char *)p)[n - 1];
	return 0;
}

/* With a pty the client's terminal is raw: "\n" must become "\r\n". */
static int
ssh_convert(struct sshc *c, struct buf *out, const char *p, size_t n)
{
	size_t	 i, start = 0;

	buf_reset(out);
	if (!c->pty)
		return buf_append(out, p, n);
	for (i = 0; i < n; i++) {
		if (p[i] == '\n' && (i > 0 ? p[i - 1] : c->lastout) != '\r') {
			if (buf_append(out, p + start, i - start) == -1 ||
			    buf_putc(out, '\r') == -1)
				return -1;
			start = i;
		}
	}
	return buf_append(out, p + start, n - start);
}

void
ssh_end(struct sshc *c, const char *reason)
{
	if (c->reason == NULL)
		c->reason = reason;
}

void
ssh_chan_notice(struct sshc *c, const char *msg)
{
	char	 line[256];

	if (c->chan == NULL || c->chan_closed || c->broken)
		return;
	snprintf(line, sizeof(line), "iridium: %s%s", msg,
	    c->pty ? "\r\n" : "\n");
	(void)ssh_queue(c, SSH_ERR, line, strlen(line),
	    c->outmax + SSH_OUT_SLACK);
}

void
ssh_chan_bye(struct sshc *c, const char *reason, const char *msg)
{
	char	 line[256];
	int	 k = ssh_textq(c);

	if (c->reason != NULL)
		return;
	c->reason = reason;
	if (msg == NULL || c->chan == NULL || c->mode == SSH_MODE_NONE ||
	    c->chan_closed || c->broken)
		return;
	snprintf(line, sizeof(line), "%s%s%s", k == SSH_OUT &&
	    c->lastout != '\n' ? "\n" : "", msg, "\n");
	if (ssh_convert(c, &c->conv, line, strlen(line)) == 0)
		(void)ssh_queue(c, k, c->conv.data, c->conv.len,
		    c->outmax + SSH_OUT_SLACK);
}

static void
ssh_rate_window(struct sshc *c, uint64_t now)
{
	if (now - c->win_start >= 1000) {
		c->win_start = now;
		c->win_bytes = 0;
	}
}

/*
 * Queue output (already converted) on stream k. counted: the program's
 * or REPL's, which output_max and output_rate govern. Waits in the loop
 * while the rate is spent or the queue is full; a client that takes no
 * byte for SSH_STALL_MS meanwhile is cut off. -1: the session is ending.
 */
static int
ssh_put(struct sshc *c, int k, const char *p, size_t n, bool counted)
{
	const struct msg_limits	*lim = &c->s->limits;
	uint64_t		 now;
	size_t			 chunk, room;
	char			 msg[128];

	while (n > 0) {
		if (c->reason != NULL)
			return -1;
		if (counted && c->interrupt) {
			c->dropped += n;
			return 0;
		}
		chunk = n;
		if (counted && lim->output_max != 0) {
			if (c->produced >= lim->output_max) {
				log_info("session %lld: output limit of %llu "
				    "bytes reached", (long long)c->s->id,
				    (unsigned long long)lim->output_max);
				snprintf(msg, sizeof(msg), "Output limit of "
				    "%llu bytes for this session reached. "
				    "Goodbye!",
				    (unsigned long long)lim->output_max);
				ssh_chan_bye(c, SESSION_END_OUTPUT, msg);
				return -1;
			}
			if (chunk > lim->output_max - c->produced)
				chunk = (size_t)(lim->output_max - c->produced);
		}
		now = session_now();
		if (counted && lim->output_rate != 0) {
			ssh_rate_window(c, now);
			if (c->win_bytes >= lim->output_rate) {
				ssh_turn(c, (int)(c->win_start + 1000 - now));
				continue;
			}
			if (chunk > lim->output_rate - c->win_bytes)
				chunk = (size_t)(lim->output_rate -
				    c->win_bytes);
		}
		if (ssh_pending(c, k) + chunk > c->outmax)
			ssh_chan_flush(c);
		room = c->outmax > ssh_pending(c, k) ?
		    c->outmax - ssh_pending(c, k) : 0;
		if (room == 0) {
			if (now - c->progress >= SSH_STALL_MS) {
				log_warnx("session %lld: client stopped "
				    "reading: %zu bytes queued, none taken for "
				    "%d s; disconnecting", (long long)c->s->id,
				    ssh_chan_pending(c), SSH_STALL_MS / 1000);
				ssh_end(c, SESSION_END_OUTPUT);
				return -1;
			}
			ssh_turn(c, (int)(c->progress + SSH_STALL_MS - now));
			continue;
		}
		if (chunk > room)
			chunk = room;
		if (ssh_queue(c, k, p, chunk, c->outmax) == -1) {
			log_warnx("session %lld: output queue: out of memory",
			    (long long)c->s->id);
			ssh_end(c, SESSION_END_ERROR);
			return -1;
		}
		if (counted) {
			c->produced += chunk;
			c->win_bytes += chunk;
		}
		p += chunk;
		n -= chunk;
	}
	ssh_chan_flush(c);
	return c->reason != NULL ? -1 : 0;
}

/* Program or REPL output: converted in chunks, then queued. */
int
ssh_out(struct sshc *c, int k, const char *p, size_t n)
{
	size_t	 m;

	while (n > 0) {
		if (c->reason != NULL)
			return -1;
		if (c->interrupt) {
			c->dropped += n;
			return 0;
		}
		m = n < SSH_CONV_CHUNK ? n : SSH_CONV_CHUNK;
		if (ssh_convert(c, &c->conv, p, m) == -1) {
			ssh_end(c, SESSION_END_ERROR);
			return -1;
		}
		if (ssh_put(c, k, c->conv.data, c->conv.len, true) == -1)
			return -1;
		p += m;
		n -= m;
	}
	return 0;
}

/* A line of our own on stream k (prompts, notices), "\n" line ends. */
void
ssh_text(struct sshc *c, int k, const char *fmt, ...)
{
	va_list	 ap;
	int	 rv;

	buf_reset(&c->text);
	va_start(ap, fmt);
	rv = buf_vprintf(&c->text, fmt, ap);
	va_end(ap);
	if (rv == -1 ||
	    ssh_convert(c, &c->conv, c->text.data, c->text.len) == -1) {
		ssh_end(c, SESSION_END_ERROR);
		return;
	}
	(void)ssh_put(c, k, c->conv.data, c->conv.len, false);
}

/*
 * The prompt, in a shell with a pty only: without one the shell is the
 * local `iridium` reading a pipe (no banner, no prompts), so that
 * `echo '!registers' | ssh host` prints what the REPL says and no more.
 */
void
ssh_prompt(struct sshc *c)
{
	if (c->repl != NULL && c->mode == SSH_MODE_SHELL && c->pty)
		ssh_text(c, SSH_OUT, "%s", repl_prompt(c->repl));
}

/* --- the channel's requests -------------------------------------------- */

static int
ssh_cb_pty(ssh_session ss, ssh_channel ch, const char *term, int width,
    int height, int pxwidth, int pxheight, void *arg)
{
	struct sshc	*c = arg;

	(void)ss;
	(void)ch;
	(void)pxwidth;
	(void)pxheight;
	if (c->pty || c->mode != SSH_MODE_NONE)
		return -1;
	c->pty = true;
	strlcpy(c->term, term != NULL ? term : "", sizeof(c->term));
	c->cols = width;
	c->rows = height;
	log_debug("session %lld: pty %s %dx%d", (long long)c->s->id, c->term,
	    width, height);
	return 0;
}

static int
ssh_cb_winch(ssh_session ss, ssh_channel ch, int width, int height,
    int pxwidth, int pxheight, void *arg)
{
	struct sshc	*c = arg;

	(void)ss;
	(void)ch;
	(void)pxwidth;
	(void)pxheight;
	if (!c->pty)
		return -1;
	c->cols = width;
	c->rows = height;
	return 0;
}

/* LANG, LC_* and TERM are taken (and unused: the REPL is ASCII); no more. */
static int
ssh_cb_env(ssh_session ss, ssh_channel ch, const char *name,
    const char *value, void *arg)
{
	struct sshc	*c = arg;

	(void)ss;
	(void)ch;
	if (c->mode != SSH_MODE_NONE || name == NULL || value == NULL ||
	    strlen(value) > SSH_ENV_MAX)
		return -1;
	if (strcmp(name, "LANG") == 0 || strcmp(name, "TERM") == 0 ||
	    (strncmp(name, "LC_", 3) == 0 && strlen(name) < 32))
		return 0;
	log_debug("session %lld: env request ignored", (long long)c->s->id);
	return -1;
}

static int
ssh_cb_shell(ssh_session ss, ssh_channel ch, void *arg)
{
	struct sshc	*c = arg;

	(void)ss;
	(void)ch;
	if (c->mode != SSH_MODE_NONE)
		return -1;
	c->mode = SSH_MODE_SHELL;
	return 0;
}

static int
ssh_cb_exec(ssh_session ss, ssh_channel ch, const char *command, void *arg)
{
	struct sshc	*c = arg;
	const char	*p, *e;

	(void)ss;
	(void)ch;
	if (c->mode != SSH_MODE_NONE || command == NULL)
		return -1;
	for (p = command; *p == ' ' || *p == '\t'; p++)
		continue;
	for (e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t' ||
	    e[-1] == '\n' || e[-1] == '\r'); e--)
		continue;
	if ((c->command = strndup(p, (size_t)(e - p))) == NULL)
		return -1;
	if (strcmp(c->command, "run") == 0)
		c->mode = SSH_MODE_RUN;
	else if (strcmp(c->command, "check") == 0)
		c->mode = SSH_MODE_CHECK;
	else
		c->mode = SSH_MODE_LINE;
	return 0;
}

static int
ssh_cb_subsystem(ssh_session ss, ssh_channel ch, const char *name,
    void *arg)
{
	struct sshc	*c = arg;

	(void)ss;
	(void)ch;
	(void)name;
	log_info("session %lld: refused a subsystem request",
	    (long long)c->s->id);
	return -1;
}

static void
ssh_cb_signal(ssh_session ss, ssh_channel ch, const char *sig, void *arg)
{
	struct sshc	*c = arg;

	(void)ss;
	(void)ch;
	if (sig != NULL && strcmp(sig, "INT") == 0)
		c->sigint = true;
}

static void
ssh_cb_close(ssh_session ss, ssh_channel ch, void *arg)
{
	struct sshc	*c = arg;

	(void)ss;
	(void)ch;
	c->chan_closed = true;
}

void
ssh_chan_callbacks(struct sshc *c)
{
	memset(&c->ccb, 0, sizeof(c->ccb));
	c->ccb.userdata = c;
	c->ccb.channel_close_function = ssh_cb_close;
	c->ccb.channel_signal_function = ssh_cb_signal;
	c->ccb.channel_pty_request_function = ssh_cb_pty;
	c->ccb.channel_shell_request_function = ssh_cb_shell;
	c->ccb.channel_pty_window_change_function = ssh_cb_winch;
	c->ccb.channel_exec_request_function = ssh_cb_exec;
	c->ccb.channel_env_request_function = ssh_cb_env;
	c->ccb.channel_subsystem_request_function = ssh_cb_subsystem;
	ssh_callbacks_init(&c->ccb);
	ssh_set_channel_callbacks(c->chan, &c->ccb);
}

/* --- input ---------------------------------------------------------------- */

/* How many bytes the current mode can take now. */
static size_t
ssh_room(const struct sshc *c)
{
	switch (c->mode) {
	case SSH_MODE_SHELL:
		return c->inq.len < c->inq_max ? c->inq_max - c->inq.len : 0;
	case SSH_MODE_RUN:
	case SSH_MODE_CHECK:
		/* One byte past the limit tells "too large". */
		return c->prog.len <= SSH_PROG_MAX ?
		    SSH_PROG_MAX + 1 - c->prog.len : 0;
	case SSH_MODE_LINE:
		return SSH_READ_CHUNK;	/* read and dropped */
	case SSH_MODE_NONE:
		break;
	}
	return 0;
}

/* Bytes typed on a pty: through the line editor, echo straight back. */
static void
ssh_typed(struct sshc *c, const unsigned char *p, size_t n)
{
	enum tty_event	 ev;
	const char	*line;
	size_t		 i, len;

	for (i = 0; i < n && c->reason == NULL; i++) {
		buf_reset(&c->echo);
		if (tty_byte(&c->tty, p[i], &c->echo, &ev) == -1) {
			ssh_end(c, SESSION_END_ERROR);
			return;
		}
		(void)ssh_queue(c, SSH_OUT, c->echo.data, c->echo.len,
		    c->outmax + SSH_OUT_SLACK);
		switch (ev) {
		case TTY_LINE:
			line = tty_line(&c->tty, &len);
			if (buf_append(&c->inq, line, len) == -1 ||
			    buf_putc(&c->inq, '\n') == -1)
				ssh_end(c, SESSION_END_ERROR);
			tty_next(&c->tty);
			break;
		case TTY_INTR:
			if (c->running)
				c->interrupt = true;
			else if (c->inq.len == 0)
				ssh_prompt(c);
			break;
		case TTY_EOF:
			/* ^D: as !quit, after what was typed before. */
			if (buf_puts(&c->inq, "!quit\n") == -1)
				ssh_end(c, SESSION_END_ERROR);
			break;
		case TTY_NONE:
			break;
		}
	}
}

static void
ssh_input(struct sshc *c, const char *p, size_t n)
{
	switch (c->mode) {
	case SSH_MODE_SHELL:
		if (c->pty)
			ssh_typed(c, (const unsigned char *)p, n);
		else if (buf_append(&c->inq, p, n) == -1)
			ssh_end(c, SESSION_END_ERROR);
		break;
	case SSH_MODE_RUN:
	case SSH_MODE_CHECK:
		if (buf_append(&c->prog, p, n) == -1)
			ssh_end(c, SESSION_END_ERROR);
		break;
	case SSH_MODE_LINE:
	case SSH_MODE_NONE:
		break;
	}
}

/* Take what the channel holds, as far as there is room. Returns bytes. */
size_t
ssh_pull(struct sshc *c)
{
	char	 tmp[SSH_READ_CHUNK];
	size_t	 room, got = 0;
	int	 n;

	while (c->chan != NULL && !c->in_eof && !c->chan_closed &&
	    !c->broken && c->reason == NULL) {
		if ((room = ssh_room(c)) == 0)
			break;
		n = ssh_channel_read_nonblocking(c->chan, tmp,
		    (uint32_t)(room < sizeof(tmp) ? room : sizeof(tmp)), 0);
		if (n == SSH_EOF || (n < 0 && ssh_channel_is_eof(c->chan))) {
			c->in_eof = true;
			break;
		}
		if (n < 0) {
			if (ssh_channel_is_closed(c->chan))
				c->chan_closed = true;
			else
				ssh_broken(c, "read from channel");
			break;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		ssh_input(c, tmp, (size_t)n);
	}
	return got;
}

/* --- timers and the loop --------------------------------------------------- */

/*
 * Idle and lifetime warnings and ends, keepalives. Returns the
 * milliseconds until the next timer, -1 for none.
 */
static int
ssh_timers(struct sshc *c)
{
	const struct msg_limits	*m = &c->s->limits;
	uint64_t		 now = session_now(), at, next;
	int			 k = ssh_textq(c), tick;

	ssh_check(c);
	if (c->reason != NULL)
		return 0;
	/* A quiet client gets a keepalive; one that is gone fails it. */
	if (c->raw.in_bytes != c->raw_in_seen) {
		c->raw_in_seen = c->raw.in_bytes;
		c->keepalive_at = now + SSH_KEEPALIVE_MS;
	} else if (now >= c->keepalive_at) {
		(void)ssh_send_keepalive(c->ss);
		c->keepalive_at = now + SSH_KEEPALIVE_MS;
	}
	next = c->keepalive_at;
	if (m->idle != 0) {
		at = c->active + m->idle * 1000;
		if (now >= at) {
			ssh_chan_bye(c, SESSION_END_IDLE, SSH_BYE_IDLE);
			return 0;
		}
		if (at < next)
			next = at;
		if (m->idle_warn != 0 && m->idle_warn < m->idle &&
		    !c->idle_warned) {
			at -= m->idle_warn * 1000;
			if (now >= at) {
				c->idle_warned = true;
				ssh_text(c, k, "%swarning: idle for %llu seconds; "
				    "this session ends in %llu seconds without "
				    "input\n", c->lastout != '\n' && k == SSH_OUT ?
				    "\n" : "", (unsigned long long)(m->idle -
				    m->idle_warn), (unsigned long long)m->idle_warn);
				ssh_prompt(c);
			} else if (at < next)
				next = at;
		}
	}
	if (m->lifetime != 0 && m->lifetime_warn != 0 &&
	    m->lifetime_warn < m->lifetime && !c->life_warned) {
		at = c->s->start + (m->lifetime - m->lifetime_warn) * 1000;
		if (now >= at) {
			c->life_warned = true;
			ssh_text(c, k, "%swarning: this session ends in %llu "
			    "seconds (lifetime limit of %llu seconds)\n",
			    c->lastout != '\n' && k == SSH_OUT ? "\n" : "",
			    (unsigned long long)m->lifetime_warn,
			    (unsigned long long)m->lifetime);
			ssh_prompt(c);
		} else if (at < next)
			next = at;
	}
	if (m->lifetime != 0 && c->s->start + m->lifetime * 1000 < next)
		next = c->s->start + m->lifetime * 1000;
	tick = session_tick(c->s);
	if (tick >= 0 && now + (uint64_t)tick < next)
		next = now + (uint64_t)tick;
	if (next <= now)
		return 0;
	return next - now > INT_MAX ? INT_MAX : (int)(next - now);
}

/* Wait for input (and everything else) until the mode has what it needs. */
static void
ssh_wait(struct sshc *c)
{
	int	 timeout;

	/*
	 * A pull that met the client's EOF (or close) read nothing, yet it
	 * is news: waiting now would sleep until the next timer, since the
	 * packet that said so has already been taken off the socket.
	 */
	if (ssh_pull(c) > 0 || c->in_eof || c->chan_closed || c->broken)
		return;
	timeout = ssh_timers(c);
	if (c->reason == NULL)
		ssh_turn(c, timeout);
}

/* Send our CLOSE (once), however many turns libssh needs for it. */
static void
ssh_close_channel(struct sshc *c)
{
	/*
	 * ssh_channel_close() sends EOF first and gives up, CLOSE unsent,
	 * when the EOF could not be flushed at once; a second call sends
	 * the CLOSE. It returns SSH_OK once the CLOSE went out (or was
	 * queued and flushed), SSH_AGAIN until then.
	 */
	if (c->closed_local || c->broken)
		return;
	switch (ssh_channel_close(c->chan)) {
	case SSH_OK:
		c->closed_local = true;
		break;
	case SSH_AGAIN:
		break;
	default:
		ssh_broken(c, "close channel");
		break;
	}
}

/*
 * The end of the channel, as clients expect it: what is queued goes out
 * while the client keeps taking it; then exit-status, EOF and CLOSE; then
 * the client's CLOSE, for a few seconds at most (longer while it keeps
 * sending, as a client reading a window's worth still in flight does).
 * A client that closed first gets our CLOSE back, as the protocol wants.
 * The disconnect comes after this (ssh.c).
 */
static void
ssh_finish(struct sshc *c)
{
	uint64_t	 now, until, seen, cap;

	if (c->chan == NULL || c->broken)
		return;
	c->progress = session_now();
	while (ssh_chan_pending(c) > 0 && !c->chan_closed && !c->broken &&
	    !(c->s->shutdown && session_now() >= c->s->shutdown_by) &&
	    session_now() - c->progress < SSH_FINAL_MS)
		ssh_turn(c, 100);
	if (c->broken)
		return;
	if (!c->chan_closed) {
		if (c->mode != SSH_MODE_NONE)
			(void)ssh_channel_request_send_exit_status(c->chan,
			    c->status);
		(void)ssh_channel_send_eof(c->chan);
	}
	ssh_close_channel(c);
	seen = c->raw.in_bytes;
	/*
	 * A few seconds since the client last sent anything; a slow reader
	 * still taking what is in flight (window adjusts) up to the idle
	 * limit.
	 */
	cap = session_now() + (c->s->limits.idle != 0 ?
	    c->s->limits.idle * 1000 : SSH_CLOSE_CAP_MS);
	until = ssh_until(c, SSH_CLOSE_MS);
	while (!c->broken && !c->s->orphaned &&
	    (!c->closed_local || !c->chan_closed) &&
	    (now = session_now()) < until && now < cap) {
		ssh_turn(c, (int)(until - now > 1000 ? 1000 : until - now));
		ssh_close_channel(c);
		if (c->raw.in_bytes != seen) {
			seen = c->raw.in_bytes;
			until = ssh_until(c, SSH_CLOSE_MS);
		}
	}
	log_debug("session %lld: channel closed%s%s%s", (long long)c->s->id,
	    c->chan_closed ? ", by the client too" : ", the client did not",
	    c->closed_local ? "" : " (our CLOSE unsent)",
	    c->broken ? ", connection lost" : "");
}

void
ssh_chan_init(struct sshc *c)
{
	c->lastout = '\n';
	buf_init(&c->inq, 0);
	buf_init(&c->cur, 0);
	buf_init(&c->echo, 0);
	buf_init(&c->prog, 0);
	buf_init(&c->outq[SSH_OUT], 0);
	buf_init(&c->outq[SSH_ERR], 0);
	buf_init(&c->conv, 0);
	buf_init(&c->text, 0);
	tty_init(&c->tty, 0);
}

void
ssh_chan_free(struct sshc *c)
{
	if (c->repl != NULL)
		repl_stats(c->repl, &c->s->vm);
	repl_free(c->repl);
	c->repl = NULL;
	free(c->command);
	c->command = NULL;
	buf_free(&c->inq);
	buf_free(&c->cur);
	buf_free(&c->echo);
	buf_free(&c->prog);
	buf_free(&c->outq[SSH_OUT]);
	buf_free(&c->outq[SSH_ERR]);
	buf_free(&c->conv);
	buf_free(&c->text);
	tty_free(&c->tty);
}

void
ssh_chan_serve(struct sshc *c)
{
	const struct msg_limits	*lim = &c->s->limits;

	/* The tenant's limits are known now. */
	c->outmax = (size_t)lim->outbuf_max;
	c->inq_max = (size_t)lim->line_max + SSH_IN_SLACK;
	c->tty.max = (size_t)lim->line_max;
	c->active = c->win_start = c->progress = session_now();
	c->keepalive_at = c->active + SSH_KEEPALIVE_MS;
	log_debug("session %lld: %s%s%s", (long long)c->s->id,
	    c->mode == SSH_MODE_SHELL ? "shell" : "exec ",
	    c->command != NULL ? c->command : "", c->pty ? " with a pty" : "");

	switch (c->mode) {
	case SSH_MODE_SHELL:
		if (ssh_repl_new(c) == -1)
			break;
		if (c->pty)
			ssh_text(c, SSH_OUT, "%s\n", REPL_BANNER);
		ssh_prompt(c);
		while (c->reason == NULL) {
			ssh_drain(c);
			if (c->reason != NULL)
				break;
			if (c->chan_closed) {
				/* Closed, EOF or not: nobody to answer. */
				ssh_end(c, SESSION_END_HANGUP);
				break;
			}
			if (c->in_eof) {
				/* What came last without a line end counts. */
				if (c->inq.len > 0 && !c->discarding &&
				    buf_putc(&c->inq, '\n') == 0) {
					ssh_drain(c);
					continue;
				}
				c->status = 0;
				ssh_end(c, SESSION_END_QUIT);
				break;
			}
			ssh_wait(c);
		}
		break;
	case SSH_MODE_RUN:
	case SSH_MODE_CHECK:
		while (c->reason == NULL && !c->in_eof && !c->chan_closed &&
		    c->prog.len <= SSH_PROG_MAX)
			ssh_wait(c);
		if (c->chan_closed)
			ssh_end(c, SESSION_END_HANGUP);
		if (c->reason != NULL)
			break;
		if (c->prog.len > SSH_PROG_MAX) {
			ssh_text(c, SSH_ERR, "%s: too large (over %d bytes)\n",
			    SSH_RUN_NAME, SSH_PROG_MAX);
			c->status = RUN_EXIT_ERROR;
		} else if (c->mode == SSH_MODE_RUN)
			ssh_exec_run(c);
		else
			ssh_exec_check(c);
		ssh_end(c, SESSION_END_QUIT);
		break;
	case SSH_MODE_LINE:
		if (ssh_repl_new(c) == -1)
			break;
		ssh_exec_line(c);
		ssh_end(c, SESSION_END_QUIT);
		break;
	case SSH_MODE_NONE:
		break;
	}
	if (c->chan_closed && strcmp(c->reason, SESSION_END_QUIT) == 0)
		c->reason = SESSION_END_HANGUP;
	ssh_finish(c);
}

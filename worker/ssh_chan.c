/*
 * ssh_chan.c: the ssh transport's session channel (see ssh_internal.h):
 * its requests, the bytes that flow on it, and its end.
 *
 * Requests: `pty-req` and `window-change` (recorded), `env` for LANG,
 * LC_* and TERM (others refused), then exactly one of `shell` (the REPL;
 * with a pty, the line transport's banner and prompt, without one
 * neither, as the local `iridium` reading a pipe) or `exec`: "run" reads a
 * program from stdin until EOF and runs it (output on stdout, messages
 * on stderr, exit-status as `iridium run` gives it), "check" only assembles it, and
 * anything else is one REPL line. `signal` INT interrupts a run;
 * subsystems are refused.
 *
 * The shell's input is the session core's (session.h): pulled from
 * libssh's channel buffer only as far as the core's queue has room, so
 * the channel window (and so the client) waits while a program runs;
 * with a pty each byte goes through the core's line editor, whose echo
 * goes back at once. The core's two output streams are the channel's
 * data (stdout) and extended data (stderr); they go out only as far as
 * the client's window allows, while libssh has nothing unsent: a libssh
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
#include "session.h"
#include "ssh_internal.h"
#include "transport.h"

#define SSH_WRITE_MAX	65536	/* bytes handed to libssh per write */
#define SSH_ENV_MAX	64	/* longest env value taken */


/* --- output -------------------------------------------------------------- */

void
ssh_chan_flush(struct sshc *c)
{
	struct session	*s = c->s;
	uint32_t	 win;
	size_t		 n;
	int		 k, rc;

	if (c->chan == NULL || c->chan_closed || c->broken)
		return;
	for (k = SESSION_STDOUT; k <= SESSION_STDERR; k++) {
		while (session_pending(s, k) > 0) {
			/*
			 * libssh queues without limit what the socket does
			 * not take: write only when it has sent everything.
			 */
			if ((ssh_get_poll_flags(c->ss) & SSH_WRITE_PENDING) != 0)
				return;
			if ((win = ssh_channel_window_size(c->chan)) == 0)
				return;
			n = session_pending(s, k);
			if (n > win)
				n = win;
			if (n > SSH_WRITE_MAX)
				n = SSH_WRITE_MAX;
			rc = k == SESSION_STDOUT ? ssh_channel_write(c->chan,
			    session_queued(s, k), (uint32_t)n) :
			    ssh_channel_write_stderr(c->chan,
			    session_queued(s, k), (uint32_t)n);
			if (rc == SSH_ERROR) {
				ssh_broken(c, "write to channel");
				return;
			}
			if (rc <= 0)
				return;
			session_sent(s, k, (size_t)rc);
		}
	}
}

static void
ssh_io_flush(void *arg)
{
	ssh_chan_flush(arg);
}

void
ssh_chan_notice(struct sshc *c, const char *msg)
{
	char	 line[256];

	if (c->chan == NULL || c->chan_closed || c->broken)
		return;
	snprintf(line, sizeof(line), "iridium: %s%s", msg,
	    c->pty ? "\r\n" : "\n");
	(void)session_queue(c->s, SESSION_STDERR, line, strlen(line), true);
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
	if (c->s->auth_reply.no_pty) {
		log_info("session %lld: refused a pty: the certificate has no "
		    "permit-pty", (long long)c->s->id);
		return -1;
	}
	c->pty = true;
	strlcpy(c->term, term != NULL ? term : "", sizeof(c->term));
	c->cols = width;
	c->rows = height;
	if (width > 0 && height > 0)
		record_resize(&c->s->rec, (unsigned)width, (unsigned)height,
		    session_now());
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
	if (width > 0 && height > 0)
		record_resize(&c->s->rec, (unsigned)width, (unsigned)height,
		    session_now());
	session_width(c->s, width);
	return 0;
}

/*
 * LANG, LC_* and TERM are taken (and unused: the REPL is ASCII); no more.
 * A test worker also takes IRIDIUM_TEST=NAME: the test hook NAME, before
 * the command (session_test_hook).
 */
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
	if (strcmp(name, "IRIDIUM_TEST") == 0 &&
	    session_test_hook(c->s, value) == 0)
		return 0;
	log_debug("session %lld: env request ignored", (long long)c->s->id);
	return -1;
}

/* The command the session runs: "run", "check", resume or a REPL line. */
static int
ssh_exec_set(struct sshc *c, const char *command)
{
	const char	*p, *e;

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
	else if (ssh_exec_resume(c->command, &c->s->resume_id)) {
		c->mode = SSH_MODE_SHELL;	/* a shell, resumed first */
		c->s->resume_first = true;
	}
	else
		c->mode = SSH_MODE_LINE;
	return 0;
}

/*
 * A certificate's force-command replaces what the client asks for, a
 * shell or another command, as sshd's does.
 */
static bool
ssh_forced(struct sshc *c, const char *asked)
{
	if (c->s->auth_reply.command[0] == '\0')
		return false;
	log_info("session %lld: the certificate's force-command runs instead "
	    "of %s", (long long)c->s->id, asked != NULL ? "the command asked "
	    "for" : "a shell");
	return true;
}

static int
ssh_cb_shell(ssh_session ss, ssh_channel ch, void *arg)
{
	struct sshc	*c = arg;

	(void)ss;
	(void)ch;
	if (c->mode != SSH_MODE_NONE)
		return -1;
	if (ssh_forced(c, NULL))
		return ssh_exec_set(c, c->s->auth_reply.command);
	c->mode = SSH_MODE_SHELL;
	return 0;
}

static int
ssh_cb_exec(ssh_session ss, ssh_channel ch, const char *command, void *arg)
{
	struct sshc	*c = arg;

	(void)ss;
	(void)ch;
	if (c->mode != SSH_MODE_NONE || command == NULL)
		return -1;
	if (ssh_forced(c, command))
		command = c->s->auth_reply.command;
	return ssh_exec_set(c, command);
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
		session_interrupt(c->s);
}

static void
ssh_cb_close(ssh_session ss, ssh_channel ch, void *arg)
{
	struct sshc	*c = arg;

	(void)ss;
	(void)ch;
	c->chan_closed = true;
	c->s->gone = true;
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
		return session_input_room(c->s);
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

static void
ssh_input(struct sshc *c, const char *p, size_t n)
{
	switch (c->mode) {
	case SSH_MODE_SHELL:
		session_input(c->s, p, n);
		break;
	case SSH_MODE_RUN:
	case SSH_MODE_CHECK:
		/* The program, as the client sent it (record = all). */
		record_data(&c->s->rec, 'i', p, n, session_now());
		if (buf_append(&c->prog, p, n) == -1)
			session_end(c->s, SESSION_END_ERROR);
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
	    !c->broken && c->s->reason == NULL) {
		if ((room = ssh_room(c)) == 0)
			break;
		n = ssh_channel_read_nonblocking(c->chan, tmp,
		    (uint32_t)(room < sizeof(tmp) ? room : sizeof(tmp)), 0);
		if (n == SSH_EOF || (n < 0 && ssh_channel_is_eof(c->chan))) {
			c->in_eof = true;
			break;
		}
		if (n < 0) {
			if (ssh_channel_is_closed(c->chan)) {
				c->chan_closed = true;
				c->s->gone = true;
			} else
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

/* The core's turn (session_io): the event loop's, then the channel's. */
static void
ssh_io_wait(void *arg, int timeout)
{
	struct sshc	*c = arg;

	ssh_turn(c, timeout);
	(void)ssh_pull(c);
}

/* --- timers and the loop --------------------------------------------------- */

/*
 * The session's timers, and keepalives: a quiet client gets a keepalive
 * request; one that is gone fails it. Returns the milliseconds until the
 * next timer, -1 for none.
 */
static int
ssh_timers(struct sshc *c)
{
	uint64_t	 now = session_now(), next;
	int		 t;

	if ((t = session_timers(c->s)) == 0 || c->s->reason != NULL)
		return 0;
	if (c->raw.in_bytes != c->raw_in_seen) {
		c->raw_in_seen = c->raw.in_bytes;
		c->keepalive_at = now + SSH_KEEPALIVE_MS;
	} else if (now >= c->keepalive_at) {
		(void)ssh_send_keepalive(c->ss);
		c->keepalive_at = now + SSH_KEEPALIVE_MS;
	}
	next = c->keepalive_at;
	if (t > 0 && now + (uint64_t)t < next)
		next = now + (uint64_t)t;
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
	if (c->s->reason == NULL)
		session_wait(c->s, timeout);
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
	c->s->out.progress = session_now();
	while (session_pending_all(c->s) > 0 && !c->chan_closed &&
	    !c->broken &&
	    !(c->s->shutdown && session_now() >= c->s->shutdown_by) &&
	    session_now() - c->s->out.progress < SSH_FINAL_MS)
		ssh_turn(c, 100);
	if (c->broken)
		return;
	if (!c->chan_closed) {
		if (c->mode != SSH_MODE_NONE) {
			(void)ssh_channel_request_send_exit_status(c->chan,
			    c->status);
			c->s->exit_status = c->status;
			if (c->mode != SSH_MODE_SHELL) {
				char	 mark[32];

				snprintf(mark, sizeof(mark), "exit status %d",
				    c->status);
				record_mark(&c->s->rec, mark, session_now());
			}
		}
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

static void
ssh_io_shutdown(void *arg)
{
	struct sshc	*c = arg;

	if (c->s->shutdown)
		ssh_shutdown_bye(c);
	else
		session_end(c->s, SESSION_END_HANGUP);
}

void
ssh_chan_init(struct sshc *c)
{
	static const struct session_io io = {
		.flush = ssh_io_flush,
		.wait = ssh_io_wait,
		.limits = ssh_exec_limits,
		.shutdown = ssh_io_shutdown,
		.stall_ms = SSH_STALL_MS,
	};

	c->io = io;
	c->io.arg = c;
	session_attach(c->s, &c->io);
	/* Nothing reaches the client until the channel serves. */
	c->s->gone = true;
	buf_init(&c->prog, 0);
}

void
ssh_chan_free(struct sshc *c)
{
	session_detach(c->s);
	free(c->command);
	free(c->cert_probe);
	c->command = NULL;
	c->cert_probe = NULL;
	buf_free(&c->prog);
}

/* The shell: every complete line to the REPL until the end. */
static void
ssh_shell(struct sshc *c)
{
	struct session	*s = c->s;

	if (session_repl_start(s) == -1)
		return;
	while (s->reason == NULL) {
		session_drain(s);
		if (s->reason != NULL)
			break;
		if (c->chan_closed) {
			/* Closed, EOF or not: nobody to answer. */
			session_end(s, SESSION_END_HANGUP);
			break;
		}
		if (c->in_eof) {
			/* What came last without a line end counts. */
			session_input_end(s);
			session_drain(s);
			session_end(s, SESSION_END_QUIT);
			break;
		}
		ssh_wait(c);
	}
	if (strcmp(s->reason, SESSION_END_QUIT) == 0)
		c->status = 0;
}

void
ssh_chan_serve(struct sshc *c)
{
	struct session	*s = c->s;

	/* The tenant's limits are known now: the session proper begins. */
	s->gone = c->chan_closed || c->broken;
	s->out.crlf = c->pty;
	s->out.text = c->mode == SSH_MODE_SHELL ? SESSION_STDOUT :
	    SESSION_STDERR;
	s->prompts = c->mode == SSH_MODE_SHELL && c->pty;
	session_edit(s, c->mode == SSH_MODE_SHELL && c->pty);
	if (c->cols > 0)
		session_width(s, c->cols);
	session_begin(s);
	c->keepalive_at = session_now() + SSH_KEEPALIVE_MS;
	log_debug("session %lld: %s%s%s", (long long)s->id,
	    c->mode == SSH_MODE_SHELL ? "shell" : "exec ",
	    c->command != NULL ? c->command : "", c->pty ? " with a pty" : "");
	if (c->mode != SSH_MODE_SHELL && c->command != NULL) {
		struct buf	 mark;

		buf_init(&mark, 0);
		(void)buf_printf(&mark, "exec %s", c->command);
		if (mark.data != NULL)
			record_mark(&s->rec, mark.data, session_now());
		buf_free(&mark);
	}

	switch (c->mode) {
	case SSH_MODE_SHELL:
		ssh_shell(c);
		break;
	case SSH_MODE_RUN:
	case SSH_MODE_CHECK:
		while (s->reason == NULL && !c->in_eof && !c->chan_closed &&
		    c->prog.len <= SSH_PROG_MAX)
			ssh_wait(c);
		if (c->chan_closed)
			session_end(s, SESSION_END_HANGUP);
		if (s->reason != NULL)
			break;
		if (c->prog.len > SSH_PROG_MAX) {
			session_text(s, SESSION_STDERR, "%s: too large (over "
			    "%d bytes)\n", SSH_RUN_NAME, SSH_PROG_MAX);
			c->status = RUN_EXIT_ERROR;
		} else if (c->mode == SSH_MODE_RUN)
			ssh_exec_run(c);
		else
			ssh_exec_check(c);
		session_end(s, SESSION_END_QUIT);
		break;
	case SSH_MODE_LINE:
		if (session_repl_start(s) == -1)
			break;
		ssh_exec_line(c);
		session_end(s, SESSION_END_QUIT);
		break;
	case SSH_MODE_NONE:
		break;
	}
	if (c->chan_closed && strcmp(s->reason, SESSION_END_QUIT) == 0)
		s->reason = SESSION_END_HANGUP;
	/* Stored before the client hears the end: its next login has it. */
	session_history_save(s);
	ssh_finish(c);
}

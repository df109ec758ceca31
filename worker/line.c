/*
 * line.c: the line transport, what `telnet host 2244` and `nc host 2244`
 * expect (iridiumd(8), "THE LINE TRANSPORT"; transport.h),
 * written against the session core (session.h).
 *
 * One poll() loop over the client socket and the channel drives the
 * session; no threads, no signals. What this file adds to the core is the
 * socket and telnet: bytes from the client go through the telnet filter
 * (telnet.c), whose data bytes are the session's input and whose IAC IP
 * is its ^C; AYT is answered, option requests refused; once the client
 * has shown it speaks telnet, IAC in the output is doubled and character
 * mode is offered: a client that agrees gets the session's line editor
 * (tty.h), one that does not keeps line mode. Output goes
 * out with "\n" as CRLF, as the core queued it, whenever the socket
 * takes it. At the end what is queued goes out (for a while), then our
 * side is closed and the client's last bytes read.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "session.h"
#include "telnet.h"
#include "transport.h"

#define LINE_READ_CHUNK	4096	/* bytes per recv() */
#define LINE_STALL_MS	5000	/* full queue, no byte taken: cut off */
#define LINE_FINAL_MS	2000	/* sending what is left at the end */
#define LINE_LINGER_MS	500	/* reading the client's last bytes */

#define LINE_TYPED_MS	1000	/* a first line this late was typed */

#define LINE_AYT_REPLY	"\r\n[Iridium: yes]\r\n"

struct line {
	struct session		*s;
	struct telnet		 tn;
	int			 fd;
	bool			 eof;		/* the client sent FIN */
	bool			 offered;	/* character mode offered */
	bool			 first_end;	/* the first line has ended */
	uint8_t			 prev;		/* the last data byte */
};

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
	l->s->gone = true;
	session_end(l->s, SESSION_END_HANGUP);
}

/* Send what the socket takes now; never blocks. */
static void
line_flush(void *arg)
{
	struct line	*l = arg;
	ssize_t		 n;

	while (session_pending(l->s, SESSION_STDOUT) > 0 && !l->s->gone) {
		n = send(l->fd, session_queued(l->s, SESSION_STDOUT),
		    session_pending(l->s, SESSION_STDOUT),
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				line_broken(l, "send to client");
			break;
		}
		l->s->bytes_out += (uint64_t)n;
		session_sent(l->s, SESSION_STDOUT, (size_t)n);
	}
}

/*
 * Offer character mode once the client shows it is a telnet client: it
 * sends a telnet command, or its first line looks typed into telnet's
 * line mode: ended with CR LF or CR NUL as the NVT does, a while after
 * the session began, nothing after it. nc and scripts (lines ending in
 * LF, or sent at once) never see the offer.
 */
static void
line_offer(struct line *l)
{
	if (l->offered)
		return;
	l->offered = true;
	telnet_offer(&l->tn);
	(void)session_queue(l->s, SESSION_STDOUT, l->tn.reply,
	    l->tn.replylen, false);
	log_debug("session %lld: character mode offered",
	    (long long)l->s->id);
}

/* The client agreed to character mode: the editor takes its keys. */
static void
line_charmode(struct line *l)
{
	if (l->s->in.edit || !telnet_charmode(&l->tn))
		return;
	session_edit(l->s, true);
	if (l->tn.cols > 0)
		session_width(l->s, (int)l->tn.cols);
	session_edit_adopt(l->s);
	log_debug("session %lld: telnet character mode",
	    (long long)l->s->id);
}

/*
 * The upgrade: the telnet options agreed and the editor go with the
 * session (s->term), so that the new worker echoes and edits as this one
 * did; the filter's place inside a command does not (a move waits for a
 * prompt, when a client has nothing half-sent).
 */
static void
line_term_save(struct line *l)
{
	struct move_term	*t = &l->s->term;

	t->flags = (l->offered ? MOVE_TERM_OFFERED : 0) |
	    (l->tn.echo_on ? MOVE_TERM_ECHO : 0) |
	    (l->tn.sga_on ? MOVE_TERM_SGA : 0) |
	    (l->tn.naws_on ? MOVE_TERM_NAWS : 0) |
	    (l->first_end ? MOVE_TERM_FIRST : 0) |
	    (l->s->in.edit ? MOVE_TERM_EDIT : 0);
	t->cols = (uint16_t)l->tn.cols;
	t->rows = (uint16_t)l->tn.rows;
}

/* A session taken over: its terminal as its old worker left it. */
static void
line_term_take(struct line *l)
{
	const struct move_term	*t = &l->s->term;

	if (!l->s->term_moved || l->s->reason != NULL)
		return;
	l->offered = (t->flags & MOVE_TERM_OFFERED) != 0;
	l->first_end = (t->flags & MOVE_TERM_FIRST) != 0;
	l->tn.charmode_ok = l->offered;
	l->tn.echo_on = (t->flags & MOVE_TERM_ECHO) != 0;
	l->tn.sga_on = (t->flags & MOVE_TERM_SGA) != 0;
	l->tn.naws_on = (t->flags & MOVE_TERM_NAWS) != 0;
	l->tn.cols = t->cols;
	l->tn.rows = t->rows;
	/* The prompt is on the screen: the editor adopts it. */
	if ((t->flags & MOVE_TERM_EDIT) != 0)
		line_charmode(l);
}

/* Client bytes through the telnet filter, into the session. */
static void
line_filter(struct line *l, const uint8_t *p, size_t n)
{
	uint8_t	 d;
	size_t	 i;

	for (i = 0; i < n; i++) {
		/* A client that negotiates first gets the offer first, so
		 * that its requests read as answers. */
		if (p[i] == TELNET_IAC && l->tn.state == TS_DATA)
			line_offer(l);
		switch (telnet_byte(&l->tn, p[i], &d)) {
		case TELNET_EV_DATA:
			/* Fits: the caller read at most the room left. */
			session_input(l->s, (const char *)&d, 1);
			if (l->prev == '\r' && (d == '\n' || d == '\0') &&
			    !l->first_end) {
				l->first_end = true;
				if (i + 1 == n && session_now() >=
				    l->s->start + LINE_TYPED_MS)
					line_offer(l);
			}
			l->prev = d;
			break;
		case TELNET_EV_NAWS:
			if (l->tn.cols > 0)
				session_width(l->s, (int)l->tn.cols);
			break;
		case TELNET_EV_INTERRUPT:
			/* With the editor, as the ^C key: the line goes too. */
			if (l->s->in.edit)
				session_input(l->s, "\x03", 1);
			else
				session_interrupt(l->s);
			break;
		case TELNET_EV_AYT:
			(void)session_queue(l->s, SESSION_STDOUT, LINE_AYT_REPLY,
			    sizeof(LINE_AYT_REPLY) - 1, true);
			break;
		case TELNET_EV_REPLY:
			/* Dropped when a client does not read: it is moot. */
			(void)session_queue(l->s, SESSION_STDOUT, l->tn.reply,
			    l->tn.replylen, false);
			line_charmode(l);
			break;
		case TELNET_EV_NONE:
			line_charmode(l);
			break;
		}
	}
	/* Any IAC sequence, even an escaped 255, says: a telnet client. */
	if (l->tn.commands > 0 || l->tn.escapes > 0)
		l->s->out.iac = true;
}

/* Read what the client sent, as far as the input queue has room. */
static void
line_read(struct line *l)
{
	uint8_t		 tmp[LINE_READ_CHUNK];
	size_t		 room;
	ssize_t		 n;

	if (l->eof || l->s->gone ||
	    (room = session_input_room(l->s)) == 0)
		return;
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

/*
 * One turn: wait up to timeout ms (-1: no limit) for the client or the
 * channel, then handle what came. The loop's wait, a held output's, and
 * (timeout 0) the poll checkpoint of a running program.
 */
static void
line_wait(void *arg, int timeout)
{
	struct line	*l = arg;
	struct pollfd	 pfd[2];
	int		 n;

	pfd[0].fd = l->fd;
	pfd[0].events = 0;
	if (!l->eof && session_input_room(l->s) > 0)
		pfd[0].events |= POLLIN;
	if (session_pending(l->s, SESSION_STDOUT) > 0)
		pfd[0].events |= POLLOUT;
	pfd[0].revents = 0;
	pfd[1].fd = MSG_CHAN_FD;
	pfd[1].events = POLLIN;
	pfd[1].revents = 0;
	n = poll(pfd, 2, timeout);
	if (n == -1 && errno != EINTR) {
		log_warn("session %lld: poll", (long long)l->s->id);
		session_end(l->s, SESSION_END_ERROR);
		return;
	}
	if (n <= 0)
		return;
	if (pfd[1].revents != 0)
		session_answer(l->s);
	if ((pfd[0].revents & POLLOUT) != 0)
		line_flush(l);
	if ((pfd[0].revents & POLLIN) != 0)
		line_read(l);
	else if ((pfd[0].revents & (POLLERR | POLLHUP)) != 0) {
		/* Gone both ways (POLLHUP), or reset. */
		l->s->gone = true;
		session_end(l->s, SESSION_END_HANGUP);
	}
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
	uint64_t	 now, until;

	/* The socket goes on in another worker: not a byte more here. */
	if (l->s->shared) {
		close(l->fd);
		l->s->client = -1;
		return;
	}
	until = session_now() + LINE_FINAL_MS;
	while (session_pending(l->s, SESSION_STDOUT) > 0 && !l->s->gone &&
	    (now = session_now()) < until) {
		pfd.fd = l->fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, (int)(until - now)) == -1 &&
		    errno != EINTR)
			break;
		line_flush(l);
	}
	if (!l->s->gone)
		l->s->bytes_in += session_linger(l->fd, session_now() +
		    LINE_LINGER_MS);
	close(l->fd);
	l->s->client = -1;
}

static const struct session_io line_io = {
	.flush = line_flush,
	.wait = line_wait,
	.stall_ms = LINE_STALL_MS,
};

static const char *
line_serve(struct session *s)
{
	struct line		 l;
	struct session_io	 io;
	int			 flags;

	memset(&l, 0, sizeof(l));
	l.s = s;
	l.fd = s->client;
	telnet_init(&l.tn);
	io = line_io;
	io.arg = &l;
	session_attach(s, &io);
	s->out.crlf = true;
	s->prompts = true;

	/* MSG_DONTWAIT is used throughout; O_NONBLOCK is the belt. */
	if ((flags = fcntl(l.fd, F_GETFL)) == -1 ||
	    fcntl(l.fd, F_SETFL, flags | O_NONBLOCK) == -1)
		log_warn("session %lld: O_NONBLOCK on the client socket",
		    (long long)s->id);

	(void)session_repl_start(s);
	line_term_take(&l);
	while (s->reason == NULL) {
		session_drain(s);
		if (s->reason != NULL)
			break;
		/* The upgrade: at a prompt, the session may move on. */
		if (s->handover_fd != -1) {
			line_term_save(&l);
			if (session_handover(s) == 1)
				break;
		}
		if (l.eof) {
			/* The client closed its side: its last line counts. */
			session_input_end(s);
			session_drain(s);
			session_end(s, SESSION_END_HANGUP);
			break;
		}
		session_wait(s, session_timers(s));
	}

	line_close(&l);
	session_detach(s);
	return s->reason;
}

const struct transport transport_line = {
	.name = "line",
	.prepare = NULL,
	.serve = line_serve,
};

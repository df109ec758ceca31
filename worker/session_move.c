/*
 * session_move.c: sessions that outlive their connection, in the worker
 * (see session.h and msg.h's `detach`).
 *
 * A session whose client went away (or typed !detach) keeps its REPL
 * when its login allows it (auth_reply's resume_window): the worker says
 * `detach` and waits, running nothing. A `move` brings one end of a
 * socketpair the supervisor made; the worker writes its state into it
 * (the REPL's, repl_save(), behind a small header of its own) and waits
 * on: only a `shutdown` ends it, so a move that fails on the other side
 * leaves it detached and resumable.
 *
 * The other side: !resume [ID] (or ssh's `resume [ID]`) sends `resume`;
 * the supervisor's `resume_reply` brings the other end, and the state is
 * read from it, bounded by what this session's limits allow and checked
 * field by field (repl_load(): the writer may be hostile), then `resumed`
 * says how it went. A state refused leaves this session as it was.
 *
 * A line session has no login: its !detach asks the supervisor for a
 * token (`detach_reply`) and shows it once; !resume TOKEN forwards what
 * the client typed, and the supervisor alone decides whether it matches.
 *
 * The header before the REPL's state: "IRIDMOVE", a u8 version (1), a u8
 * of flags (bit 0: a command was cut short when the client went away),
 * both checked.
 */
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <bsd/unistd.h>

#include "buf.h"
#include "chan.h"
#include "log.h"
#include "msg.h"
#include "record.h"
#include "repl.h"
#include "sandbox.h"
#include "session.h"

#define MOVE_MAGIC	"IRIDMOVE"
#define MOVE_MAGIC_LEN	8
#define MOVE_HEADER	(MOVE_MAGIC_LEN + 2)
#define MOVE_VERSION	1
#define MOVE_CUT	0x01
#define MOVE_CLIENT	0x02	/* the upgrade: the client socket came too */
#define MOVE_REC	0x04	/* ... and the recording's fd after it */
/* How long one side waits for the other, and for the supervisor. */
#define MOVE_MS		5000
/*
 * The upgrade: a session hands over at its next prompt, after the
 * command running (bounded by its budget and the output limits); the
 * taker waits that long for it, and the old worker for `handed` a little
 * longer than the supervisor gives the move (UPGRADE_MOVE_MS).
 */
#define MOVE_TAKE_MS	30000
#define MOVE_HANDED_MS	45000
/* After the header: output and input lengths (u32 each), a flags byte. */
#define MOVE_IAC	0x01	/* the client speaks telnet: IAC doubled */
#define MOVE_AFTER_CR	0x02	/* a CR ended the last line */

bool
session_may_detach(const struct session *s)
{
	if (s->shutdown || s->orphaned)
		return false;
	/* A line session only by !detach, once it has its token. */
	if (strcmp(s->transport, "line") == 0)
		return s->detach_granted;
	return s->resume_window > 0 && s->tenant[0] != '\0' &&
	    strcmp(s->transport, "ssh") == 0;
}

/*
 * Wait for the supervisor's answer to what (its handler clears
 * *waiting), answering pings meanwhile. No answer within MOVE_MS is the
 * supervisor's bug: the worker dies.
 */
static void
session_await(struct session *s, const bool *waiting, const char *what,
    int ms)
{
	uint64_t	 until = session_now() + (uint64_t)ms, now;

	while (*waiting && !s->orphaned) {
		if ((now = session_now()) >= until)
			fatalx("session %lld: no answer to %s from the "
			    "supervisor in %d ms", (long long)s->id, what, ms);
		if (chan_wait(s->chan, (int)(until - now)) == -1)
			s->orphaned = true;
	}
}

void
session_move_help(void *arg, struct buf *out)
{
	struct session	*s = arg;
	bool		 line = strcmp(s->transport, "line") == 0;

	(void)buf_printf(out, "  %-18s %s\n", "!detach", line ?
	    "leave this session for later: a token takes it back" :
	    "leave this session for later (a dropped link does too)");
	(void)buf_printf(out, "  %-18s %s\n", line ? "!resume TOKEN" :
	    "!resume [ID]", "take up a detached session");
}

/* --- the detached side ---------------------------------------------------- */

/* Write all of p to fd within MOVE_MS. 0, or -1 with errno. */
static int
move_write(int fd, const uint8_t *p, size_t len)
{
	uint64_t	 until = session_now() + MOVE_MS, now;
	struct pollfd	 pfd;
	ssize_t		 n;
	int		 rv;

	pfd.fd = fd;
	pfd.events = POLLOUT;
	while (len > 0) {
		if ((now = session_now()) >= until) {
			errno = ETIMEDOUT;
			return -1;
		}
		if ((rv = poll(&pfd, 1, (int)(until - now))) == -1 &&
		    errno != EINTR)
			return -1;
		if (rv <= 0)
			continue;
		n = send(fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
session_on_move(void *arg, struct msg *m)
{
	struct session	*s = arg;
	uint8_t		 head[MOVE_HEADER], *state;
	size_t		 len;
	char		 err[256];
	int		 fd = m->fd;

	m->fd = -1;
	if (s->hooks != NULL && s->hooks->move != NULL &&
	    s->hooks->move(s, fd) == 1)
		return;
	memcpy(head, MOVE_MAGIC, MOVE_MAGIC_LEN);
	head[MOVE_MAGIC_LEN] = MOVE_VERSION;
	head[MOVE_MAGIC_LEN + 1] = s->cut ? MOVE_CUT : 0;
	if (repl_save(s->kept, &state, &len, err, sizeof(err)) == -1) {
		log_warnx("session %lld: cannot save it for session %lld: %s",
		    (long long)s->id, (long long)m->u.move.to, err);
		close(fd);
		return;
	}
	if (move_write(fd, head, sizeof(head)) == -1 ||
	    move_write(fd, state, len) == -1)
		log_warn("session %lld: writing it for session %lld",
		    (long long)s->id, (long long)m->u.move.to);
	else {
		log_debug("session %lld: %zu bytes of state written for "
		    "session %lld", (long long)s->id, len,
		    (long long)m->u.move.to);
		/* Its recording ends naming the session that goes on. */
		snprintf(err, sizeof(err), "resumed by session %lld",
		    (long long)m->u.move.to);
		record_mark(&s->rec, err, session_now());
	}
	free(state);
	close(fd);
}

const char *
session_detached(struct session *s)
{
	struct msg_detach	 d;

	memset(&d, 0, sizeof(d));
	strlcpy(d.reason, s->cut || strcmp(s->reason, SESSION_END_DETACH) !=
	    0 ? "hangup" : "detach", sizeof(d.reason));
	if (s->client != -1) {
		close(s->client);
		s->client = -1;
	}
	/* An upgrade's handover that came too late: the taker sees EOF. */
	if (s->handover_fd != -1) {
		close(s->handover_fd);
		s->handover_fd = -1;
	}
	chan_on(s->chan, MSG_MOVE, session_on_move, s);
	/* The connection's memory goes back: a detached session waits small. */
	(void)malloc_trim(0);
	/* A line session said it when it asked for its token. */
	if (!s->detach_sent)
		chan_send(MSG_DETACH, &d);
	setproctitle("%s s%lld %s detached", s->transport, (long long)s->id,
	    s->tenant);
	log_debug("session %lld: detached (%s)", (long long)s->id, d.reason);
	while (!s->shutdown && !s->orphaned)
		if (chan_wait(s->chan, -1) == -1)
			s->orphaned = true;
	repl_free(s->kept);
	s->kept = NULL;
	return strcmp(s->shutdown_why, "resumed elsewhere") == 0 ?
	    SESSION_END_RESUMED : SESSION_END_DETACHED;
}

/* --- the resuming side ---------------------------------------------------- */

static void
session_on_resume_reply(void *arg, struct msg *m)
{
	struct session	*s = arg;

	if (!s->resume_waiting)
		fatalx("bad message from supervisor: resume_reply without "
		    "resume");
	s->resume_waiting = false;
	s->resume_fd = m->fd;
	s->resume_from = m->u.resume_reply.id;
	m->fd = -1;
}

static void
session_on_resume_refused(void *arg, struct msg *m)
{
	struct session	*s = arg;

	if (!s->resume_waiting)
		fatalx("bad message from supervisor: resume_refused without "
		    "resume");
	s->resume_waiting = false;
	strlcpy(s->resume_refusal, m->u.resume_refused.message,
	    sizeof(s->resume_refusal));
}

/*
 * Read the whole state from fd (to its EOF) within ms, at most max
 * bytes. 0, or -1 with err.
 */
static int
move_read(int fd, size_t max, int ms, struct buf *in, char *err,
    size_t errlen)
{
	uint64_t	 until = session_now() + (uint64_t)ms, now;
	struct pollfd	 pfd;
	char		 chunk[65536];
	ssize_t		 n;
	int		 rv;

	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		if ((now = session_now()) >= until) {
			snprintf(err, errlen, "the state did not come within "
			    "%d s", ms / 1000);
			return -1;
		}
		if ((rv = poll(&pfd, 1, (int)(until - now))) == -1 &&
		    errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
		if (rv <= 0)
			continue;
		n = recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1) {
			snprintf(err, errlen, "reading the state: %s",
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			return 0;
		if ((size_t)n > max - in->len) {
			snprintf(err, errlen, "the state is larger than this "
			    "session's limits allow (%zu bytes)", max);
			return -1;
		}
		if (buf_append(in, chunk, (size_t)n) == -1) {
			snprintf(err, errlen, "out of memory reading the "
			    "state");
			return -1;
		}
	}
}

/* Take the state coming on s->resume_fd. 0, or -1 with err. */
static int
session_take(struct session *s, bool *cut, char *err, size_t errlen)
{
	struct buf	 in;
	const uint8_t	*p;
	int		 rv = -1;

	buf_init(&in, 0);
	if (move_read(s->resume_fd, MOVE_HEADER + repl_state_max(s->repl),
	    MOVE_MS, &in, err, errlen) == -1)
		goto out;
	p = (const uint8_t *)in.data;
	if (in.len < MOVE_HEADER || memcmp(p, MOVE_MAGIC,
	    MOVE_MAGIC_LEN) != 0) {
		snprintf(err, errlen, "%s", in.len == 0 ? "no state came (its "
		    "worker went away?)" : "not a moved session");
		goto out;
	}
	if (p[MOVE_MAGIC_LEN] != MOVE_VERSION ||
	    (p[MOVE_MAGIC_LEN + 1] & ~MOVE_CUT) != 0) {
		snprintf(err, errlen, "a moved session of version %u, flags "
		    "0x%x: this worker reads version %d", p[MOVE_MAGIC_LEN],
		    p[MOVE_MAGIC_LEN + 1], MOVE_VERSION);
		goto out;
	}
	*cut = (p[MOVE_MAGIC_LEN + 1] & MOVE_CUT) != 0;
	rv = repl_load(s->repl, p + MOVE_HEADER, in.len - MOVE_HEADER, err,
	    errlen);
out:
	buf_free(&in);
	close(s->resume_fd);
	s->resume_fd = -1;
	return rv;
}

int
session_resume(struct session *s, int64_t id, const char *token)
{
	struct msg_resume	 rq;
	struct msg_resumed	 done;
	bool			 cut = false;
	char			 err[MSG_TEXT_MAX + 1];

	if (s->repl == NULL || (token == NULL &&
	    (strcmp(s->transport, "ssh") != 0 || s->tenant[0] == '\0'))) {
		session_text(s, s->out.text, "!resume takes up a detached ssh "
		    "session, from a new ssh login of its tenant.\n");
		return -1;
	}
	chan_on(s->chan, MSG_RESUME_REPLY, session_on_resume_reply, s);
	chan_on(s->chan, MSG_RESUME_REFUSED, session_on_resume_refused, s);
	memset(&rq, 0, sizeof(rq));
	rq.id = id;
	if (token != NULL)
		strlcpy(rq.token, token, sizeof(rq.token));
	s->resume_refusal[0] = '\0';
	s->resume_waiting = true;
	chan_send(MSG_RESUME, &rq);
	session_await(s, &s->resume_waiting, "resume", MOVE_MS);
	if (s->orphaned)
		return -1;
	if (s->resume_fd == -1) {
		session_text(s, s->out.text, "%s\n", s->resume_refusal);
		return -1;
	}
	/* This session's own lines so far are kept before they go. */
	session_history_save(s);
	/* The supervisor named the session that comes: said back. */
	memset(&done, 0, sizeof(done));
	done.id = s->resume_from;
	if (session_take(s, &cut, err, sizeof(err)) == 0) {
		done.ok = true;
		repl_stats(s->repl, &s->vm);
		snprintf(err, sizeof(err), "resumed session %lld",
		    (long long)done.id);
		record_mark(&s->rec, err, session_now());
		/* Its lines were given back when it detached. */
		session_history_start(s);
		session_text(s, s->out.text, "Resumed session %lld: its "
		    "registers, program, labels, heap and history are here.\n",
		    (long long)done.id);
		if (cut)
			session_text(s, s->out.text, "The command running when "
			    "its connection dropped was stopped there.\n");
	} else {
		strlcpy(done.message, err, sizeof(done.message));
		log_warnx("session %lld: resuming session %lld: %s",
		    (long long)s->id, (long long)done.id, err);
		session_text(s, s->out.text, "Cannot resume session %lld: %s. "
		    "It stays detached; this session goes on as it was.\n",
		    (long long)done.id, err);
	}
	chan_send(MSG_RESUMED, &done);
	return done.ok ? 0 : -1;
}

/* --- a line session's token ---------------------------------------------- */

static void
session_on_detach_reply(void *arg, struct msg *m)
{
	struct session	*s = arg;

	if (!s->detach_waiting)
		fatalx("bad message from supervisor: detach_reply without "
		    "detach");
	s->detach_waiting = false;
	strlcpy(s->detach_token, m->u.detach_reply.token,
	    sizeof(s->detach_token));
	strlcpy(s->detach_refusal, m->u.detach_reply.message,
	    sizeof(s->detach_refusal));
}

/* !detach in a line session: the supervisor's token, shown once. */
static void
session_detach_line(struct session *s)
{
	struct msg_detach	 d;

	chan_on(s->chan, MSG_DETACH_REPLY, session_on_detach_reply, s);
	memset(&d, 0, sizeof(d));
	strlcpy(d.reason, "detach", sizeof(d.reason));
	s->detach_waiting = true;
	s->detach_sent = true;
	chan_send(MSG_DETACH, &d);
	session_await(s, &s->detach_waiting, "detach", MOVE_MS);
	if (s->detach_token[0] == '\0') {
		s->detach_sent = false;
		session_text(s, s->out.text, "%s\n", s->detach_refusal[0] !=
		    '\0' ? s->detach_refusal : "This session cannot be "
		    "detached now.");
		session_prompt(s);
		return;
	}
	s->detach_granted = true;
	/* The token is for the client alone: not in its recording. */
	record_stop(&s->rec, "detached; the resume token shown is not "
	    "recorded", session_now());
	session_bye(s, SESSION_END_DETACH, "Session %lld detached. To take it "
	    "up, connect to this port again and type:\n!resume %s\n(This "
	    "token is shown only now.)", (long long)s->id, s->detach_token);
	explicit_bzero(s->detach_token, sizeof(s->detach_token));
}

/* --- the commands ----------------------------------------------------------- */

/* p[0..n) without the blanks around it is word, then maybe an argument. */
static bool
move_word(const char *p, size_t n, const char *word, const char **arg,
    size_t *arglen)
{
	size_t	 a = 0, b = n, w = strlen(word);

	while (a < b && (p[a] == ' ' || p[a] == '\t'))
		a++;
	while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t'))
		b--;
	if (b - a < w || memcmp(p + a, word, w) != 0)
		return false;
	if (b - a > w && p[a + w] != ' ' && p[a + w] != '\t')
		return false;
	a += w;
	while (a < b && (p[a] == ' ' || p[a] == '\t'))
		a++;
	*arg = p + a;
	*arglen = b - a;
	return true;
}

/* A session id: 1..2^53 in decimal; 0 for none given; -1 when bad. */
static int64_t
move_id(const char *p, size_t n)
{
	int64_t	 v = 0;
	size_t	 i;

	if (n == 0)
		return 0;
	if (n > 16)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v > 0 ? v : -1;
}

int
session_move_line(struct session *s, const char *p, size_t n)
{
	const char	*arg;
	size_t		 arglen;
	int64_t		 id;
	char		 token[MSG_TOKEN_LEN + 1];

	if (s->repl != NULL && repl_prompt(s->repl)[0] != REPL_PROMPT[0])
		return 0;	/* inside a !load block: program text */
	if (move_word(p, n, "!detach", &arg, &arglen)) {
		if (arglen == 0 && strcmp(s->transport, "line") == 0) {
			session_detach_line(s);
			return 1;
		}
		if (arglen > 0)
			session_text(s, s->out.text, "error: !detach takes no "
			    "arguments\n");
		else if (!session_may_detach(s))
			session_text(s, s->out.text, "This session cannot be "
			    "detached: %s.\n", strcmp(s->transport, "ssh") != 0 ?
			    "only ssh sessions can" : "the server keeps no "
			    "detached sessions (resume_window is 0)");
		else {
			session_bye(s, SESSION_END_DETACH, "Session %lld "
			    "detached; it waits %llu minutes for you. From a "
			    "new login: !resume %lld, or ssh -t %s@HOST resume "
			    "%lld", (long long)s->id, (unsigned long long)
			    (s->resume_window + 59) / 60, (long long)s->id,
			    s->tenant, (long long)s->id);
			return 1;
		}
		session_prompt(s);
		return 1;
	}
	if (move_word(p, n, "!resume", &arg, &arglen)) {
		if (strcmp(s->transport, "line") == 0) {
			if (msg_token_ok(arg, arglen)) {
				memcpy(token, arg, arglen);
				token[arglen] = '\0';
				(void)session_resume(s, 0, token);
			} else
				session_text(s, s->out.text, "usage: !resume "
				    "TOKEN (the token !detach showed)\n");
		} else if ((id = move_id(arg, arglen)) == -1)
			session_text(s, s->out.text, "usage: !resume [ID] (a "
			    "session id, as the login said)\n");
		else
			(void)session_resume(s, id, NULL);
		session_prompt(s);
		return 1;
	}
	return 0;
}

/* --- the upgrade: a line session moves, client socket and all ---------- */

/*
 * What follows the header when the client socket comes too (MOVE_CLIENT,
 * the socket itself attached to the header's bytes): u32 bytes of output
 * not yet sent, those bytes, u32 bytes of input not yet a line, those
 * bytes, a byte of MOVE_IAC | MOVE_AFTER_CR, then u64s: the session's
 * age in ms (its lifetime goes on), bytes in, bytes out, output counted
 * toward output_max, and CPU time used in ms (its cpu limit goes on);
 * then the REPL's state.
 */
#define MOVE_TAIL	(1 + 5 * 8)
/*
 * With MOVE_TAIL_TERM in that flags byte, the client's terminal follows
 * (a telnet client in character mode keeps its options and its editor):
 * a byte of MOVE_TERM_* flags, u16 columns and rows, u32 bytes of keys
 * typed but not yet a line (the editor's line, then keys not yet
 * edited), those bytes. A worker that does not know the flag refuses the
 * move, and the session stays where it was.
 */
#define MOVE_TERM_LEN	(1 + 2 + 2 + 4)
/*
 * With MOVE_TAIL_REC (and MOVE_REC in the header, the recording's fd
 * passed after the client socket): a byte of MOVE_REC_* flags, then u64s:
 * the recording's age in ms (its clock goes on), the event bytes it has
 * used, its bound (0: none). The taker writes on where the old worker
 * stopped, in the same file: the supervisor opened it once, for the
 * session, and the old worker already held it, so passing it gives the
 * new worker nothing its session did not have.
 */
#define MOVE_REC_LEN	(1 + 3 * 8)

void
session_on_handover(void *arg, struct msg *m)
{
	struct session	*s = arg;
	int		 fd = m->fd;

	m->fd = -1;
	if (s->handover_fd != -1 || s->handed_waiting)
		fatalx("bad message from supervisor: handover while one is "
		    "under way");
	/* Only a line session's socket moves; the taker sees EOF. */
	if (strcmp(s->transport, "line") != 0 || s->kept != NULL ||
	    s->reason != NULL) {
		log_debug("session %lld: handover declined", (long long)s->id);
		close(fd);
		return;
	}
	s->handover_fd = fd;
	s->handover_to = m->u.handover.to;
}

void
session_on_handed(void *arg, struct msg *m)
{
	struct session	*s = arg;

	if (!s->handed_waiting) {
		/* A move called off before this worker wrote a byte. */
		if (m->u.handed.ok)
			fatalx("bad message from supervisor: handed ok with "
			    "no handover");
		return;
	}
	s->handed_waiting = false;
	s->handed_ok = m->u.handed.ok;
}

void
session_on_reconnect(void *arg, struct msg *m)
{
	struct session	*s = arg;

	/* The running command stops at its next checkpoint (s->cut). */
	if (session_may_detach(s))
		session_bye(s, SESSION_END_DETACH, "%s",
		    m->u.reconnect.message);
	else
		session_bye(s, SESSION_END_SHUTDOWN, "%s",
		    m->u.reconnect.message);
}

static void
put32(struct buf *b, uint32_t v)
{
	uint8_t	 p[4];

	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
	(void)buf_append(b, p, sizeof(p));
}

static void
put64(struct buf *b, uint64_t v)
{
	put32(b, (uint32_t)(v >> 32));
	put32(b, (uint32_t)v);
}

static void
put16(struct buf *b, uint16_t v)
{
	uint8_t	 p[2];

	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	(void)buf_append(b, p, sizeof(p));
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/*
 * The header, with the client socket (and recfd, unless -1) attached. 0,
 * or -1 with errno.
 */
static int
move_send_client(int fd, const uint8_t *head, int client, int recfd)
{
	int		 fds[2] = { client, recfd };
	size_t		 nfd = recfd == -1 ? 1 : 2;
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	union {
		struct cmsghdr	 align;
		char		 buf[CMSG_SPACE(2 * sizeof(int))];
	}		 ctl;
	ssize_t		 n;

	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	iov.iov_base = (void *)(uintptr_t)head;
	iov.iov_len = MOVE_HEADER;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = CMSG_SPACE(nfd * sizeof(int));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(nfd * sizeof(int));
	memcpy(CMSG_DATA(cm), fds, nfd * sizeof(int));
	while ((n = sendmsg(fd, &mh, MSG_NOSIGNAL)) == -1 && errno == EINTR)
		continue;
	if (n == -1)
		return -1;
	/* The rest of a short send goes without the socket. */
	return move_write(fd, head + n, MOVE_HEADER - (size_t)n);
}

int
session_handover(struct session *s)
{
	struct buf		 b;
	struct msg_counters	 c;
	uint8_t			 head[MOVE_HEADER], *state = NULL;
	size_t			 len, out, keys = 0, want;
	bool			 term = s->term.flags != 0;
	bool			 rec = record_on(&s->rec);
	char			 err[256];
	int			 fd = s->handover_fd, rv = -1;

	s->handover_fd = -1;
	if (s->repl == NULL || s->client == -1) {
		close(fd);
		return 0;
	}
	/* Test workers: the hook may answer the handover itself. */
	if (s->hooks != NULL && s->hooks->move != NULL &&
	    s->hooks->move(s, fd) == 1) {
		len = 0;
		goto wait;
	}
	/* What the client takes now need not travel. */
	session_flush(s);
	if (repl_save(s->repl, &state, &len, err, sizeof(err)) == -1) {
		log_warnx("session %lld: cannot save it for worker %lld: %s",
		    (long long)s->id, (long long)s->handover_to, err);
		close(fd);
		return 0;
	}
	memcpy(head, MOVE_MAGIC, MOVE_MAGIC_LEN);
	head[MOVE_MAGIC_LEN] = MOVE_VERSION;
	head[MOVE_MAGIC_LEN + 1] = MOVE_CLIENT | (rec ? MOVE_REC : 0);
	/* What the recorder holds back goes out first, with a marker. */
	record_mark(&s->rec, "upgrade: the session goes on in a new worker",
	    session_now());
	buf_init(&b, 0);
	out = session_pending(s, SESSION_STDOUT);
	put32(&b, (uint32_t)out);
	(void)buf_append(&b, session_queued(s, SESSION_STDOUT), out);
	put32(&b, (uint32_t)s->in.q.len);
	(void)buf_append(&b, s->in.q.data, s->in.q.len);
	(void)buf_putc(&b, (char)((s->out.iac ? MOVE_IAC : 0) |
	    (s->in.after_cr ? MOVE_AFTER_CR : 0) |
	    (term ? MOVE_TAIL_TERM : 0) | (rec ? MOVE_TAIL_REC : 0)));
	put64(&b, session_now() - s->start);
	put64(&b, s->bytes_in);
	put64(&b, s->bytes_out);
	put64(&b, s->out.produced);
	session_counters(s, &c);
	put64(&b, c.cpu_ms);
	want = 4 + out + 4 + s->in.q.len + MOVE_TAIL;
	if (term) {
		/* The editor's line is typed again there, then the rest. */
		if ((s->term.flags & MOVE_TERM_EDIT) != 0)
			keys = s->in.tty.line.len + s->in.typed.len;
		(void)buf_putc(&b, (char)s->term.flags);
		put16(&b, s->term.cols);
		put16(&b, s->term.rows);
		put32(&b, (uint32_t)keys);
		if (keys > 0) {
			(void)buf_append(&b, s->in.tty.line.data,
			    s->in.tty.line.len);
			(void)buf_append(&b, s->in.typed.data,
			    s->in.typed.len);
		}
		want += MOVE_TERM_LEN + keys;
	}
	if (rec) {
		(void)buf_putc(&b, (char)((s->rec.input ? MOVE_REC_INPUT : 0) |
		    (s->rec.full ? MOVE_REC_FULL : 0)));
		put64(&b, session_now() - s->rec.t0);
		put64(&b, s->rec.used);
		put64(&b, s->rec.max);
		want += MOVE_REC_LEN;
	}
	if (b.len != want)
		log_warnx("session %lld: out of memory handing it over",
		    (long long)s->id);
	else if (move_send_client(fd, head, s->client, s->rec.fd) == -1 ||
	    move_write(fd, (const uint8_t *)b.data, b.len) == -1 ||
	    move_write(fd, state, len) == -1)
		log_warn("session %lld: handing it over to worker %lld",
		    (long long)s->id, (long long)s->handover_to);
	else
		rv = 0;
	buf_free(&b);
	free(state);
	close(fd);
	if (rv == -1)
		return 0;
wait:
	/* The taker has it all; the supervisor says whether it took it. */
	s->handed_waiting = true;
	session_await(s, &s->handed_waiting, "handover", MOVE_HANDED_MS);
	if (s->orphaned || !s->handed_ok) {
		log_info("session %lld: worker %lld did not take it; it goes "
		    "on here", (long long)s->id, (long long)s->handover_to);
		record_mark(&s->rec, "upgrade: the session stays in its "
		    "worker", session_now());
		return 0;
	}
	log_debug("session %lld: %zu bytes of state and its client went to "
	    "worker %lld", (long long)s->id, len, (long long)s->handover_to);
	s->shared = true;
	session_end(s, SESSION_END_MOVED);
	return 1;
}

int
session_take_client(int movefd, int *client, int *recfd, uint8_t *flags,
    char *err, size_t errlen)
{
	uint64_t	 until = session_now() + MOVE_TAKE_MS, now;
	uint8_t		 head[MOVE_HEADER];
	struct msghdr	 mh;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	struct pollfd	 pfd;
	union {
		struct cmsghdr	 align;
		char		 buf[CMSG_SPACE(2 * sizeof(int))];
	}		 ctl;
	size_t		 got = 0, nfd, i;
	ssize_t		 n;
	int		 fds[2], type = -1, fl;
	socklen_t	 tl = sizeof(type);

	*client = -1;
	*recfd = -1;
	pfd.fd = movefd;
	pfd.events = POLLIN;
	while (got < MOVE_HEADER) {
		if ((now = session_now()) >= until) {
			snprintf(err, errlen, "the session did not come within "
			    "%d s", MOVE_TAKE_MS / 1000);
			goto fail;
		}
		if (poll(&pfd, 1, (int)(until - now)) <= 0)
			continue;
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = head + got;
		iov.iov_len = MOVE_HEADER - got;
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.buf;
		mh.msg_controllen = sizeof(ctl.buf);
		n = recvmsg(movefd, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1) {
			snprintf(err, errlen, "reading the session: %s",
			    strerror(errno));
			goto fail;
		}
		/* Every fd that came is ours to close or keep. */
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL;
		    cm = CMSG_NXTHDR(&mh, cm)) {
			if (cm->cmsg_level != SOL_SOCKET ||
			    cm->cmsg_type != SCM_RIGHTS)
				continue;
			nfd = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			if (nfd > 2)
				nfd = 2;
			memcpy(fds, CMSG_DATA(cm), nfd * sizeof(int));
			for (i = 0; i < nfd; i++) {
				if (*client == -1 && got == 0 && i == 0)
					*client = fds[i];
				else if (*recfd == -1 && got == 0 && i == 1)
					*recfd = fds[i];
				else
					close(fds[i]);
			}
		}
		if ((mh.msg_flags & MSG_CTRUNC) != 0) {
			snprintf(err, errlen, "more than the client socket "
			    "came");
			goto fail;
		}
		if (n == 0) {
			snprintf(err, errlen, "%s", got == 0 ? "no session came "
			    "(its worker could not hand it over)" :
			    "the session was cut short");
			goto fail;
		}
		got += (size_t)n;
	}
	if (memcmp(head, MOVE_MAGIC, MOVE_MAGIC_LEN) != 0) {
		snprintf(err, errlen, "not a moved session");
		goto fail;
	}
	if (head[MOVE_MAGIC_LEN] != MOVE_VERSION ||
	    (head[MOVE_MAGIC_LEN + 1] != MOVE_CLIENT &&
	    head[MOVE_MAGIC_LEN + 1] != (MOVE_CLIENT | MOVE_REC))) {
		snprintf(err, errlen, "a moved session of version %u, flags "
		    "0x%x: this worker takes version %d with its client",
		    head[MOVE_MAGIC_LEN], head[MOVE_MAGIC_LEN + 1],
		    MOVE_VERSION);
		goto fail;
	}
	if (*client == -1 || getsockopt(*client, SOL_SOCKET, SO_TYPE, &type,
	    &tl) == -1 || type != SOCK_STREAM) {
		snprintf(err, errlen, "the client socket did not come with "
		    "it");
		goto fail;
	}
	/* Its recording: came as the header says, a file open to append. */
	if ((*recfd != -1) != ((head[MOVE_MAGIC_LEN + 1] & MOVE_REC) != 0) ||
	    (*recfd != -1 && ((fl = fcntl(*recfd, F_GETFL)) == -1 ||
	    (fl & O_ACCMODE) != O_WRONLY || (fl & O_APPEND) == 0))) {
		snprintf(err, errlen, "its recording did not come as a file "
		    "open to append, or came unannounced");
		goto fail;
	}
	*flags = head[MOVE_MAGIC_LEN + 1];
	return 0;
fail:
	if (*client != -1)
		close(*client);
	*client = -1;
	if (*recfd != -1)
		close(*recfd);
	*recfd = -1;
	close(movefd);
	return -1;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

/*
 * The terminal at p[off..len): its flags known and consistent (the
 * editor only with echo and no go-ahead agreed, keys only for the
 * editor), its keys inside p and at most twice in_max (the editor's line
 * and the keys after it).
 */
static int
move_term(const uint8_t *p, size_t len, size_t off, size_t in_max,
    struct move_tail *t, char *err, size_t errlen)
{
	const uint8_t	 charmode = MOVE_TERM_ECHO | MOVE_TERM_SGA;

	if (len - off < MOVE_TERM_LEN) {
		snprintf(err, errlen, "its terminal is cut short");
		return -1;
	}
	t->term.flags = p[off];
	t->term.cols = get16(p + off + 1);
	t->term.rows = get16(p + off + 3);
	t->keys_len = get32(p + off + 5);
	t->keys_off = off + MOVE_TERM_LEN;
	if ((t->term.flags & ~MOVE_TERM_ALL) != 0 ||
	    ((t->term.flags & MOVE_TERM_EDIT) != 0 &&
	    (t->term.flags & charmode) != charmode) ||
	    ((t->term.flags & charmode) != 0 &&
	    (t->term.flags & MOVE_TERM_OFFERED) == 0)) {
		snprintf(err, errlen, "its terminal's flags 0x%x do not hold "
		    "together", t->term.flags);
		return -1;
	}
	if ((t->keys_len > 0 && (t->term.flags & MOVE_TERM_EDIT) == 0) ||
	    t->keys_len > 2 * in_max || len - t->keys_off < t->keys_len) {
		snprintf(err, errlen, "its keys typed are cut short, past "
		    "twice line_max, or without the editor");
		return -1;
	}
	return 0;
}

int
session_move_tail(const uint8_t *p, size_t len, size_t out_max,
    size_t in_max, uint64_t now, struct move_tail *t, char *err,
    size_t errlen)
{
	size_t		 off;

	memset(t, 0, sizeof(*t));
	if (len < 4 || (t->out_len = get32(p)) > out_max ||
	    len - 4 < t->out_len + 4) {
		snprintf(err, errlen, "its output waiting is cut short or "
		    "past twice outbuf_max");
		return -1;
	}
	t->out_off = 4;
	off = 4 + t->out_len;
	t->in_len = get32(p + off);
	t->in_off = off + 4;
	if (t->in_len > in_max || len - t->in_off < t->in_len + MOVE_TAIL) {
		snprintf(err, errlen, "its input waiting is cut short or past "
		    "line_max");
		return -1;
	}
	off = t->in_off + t->in_len;
	t->flags = p[off];
	if ((t->flags & ~(MOVE_IAC | MOVE_AFTER_CR | MOVE_TAIL_TERM |
	    MOVE_TAIL_REC)) != 0) {
		snprintf(err, errlen, "its flags 0x%x are not known", t->flags);
		return -1;
	}
	t->age_ms = get64(p + off + 1);
	t->bytes_in = get64(p + off + 9);
	t->bytes_out = get64(p + off + 17);
	t->produced = get64(p + off + 25);
	t->cpu_ms = get64(p + off + 33);
	/* Its age: at most what this machine has run. */
	if (t->age_ms > now) {
		snprintf(err, errlen, "its age is past this machine's uptime");
		return -1;
	}
	off += MOVE_TAIL;
	if ((t->flags & MOVE_TAIL_TERM) != 0) {
		if (move_term(p, len, off, in_max, t, err, errlen) == -1)
			return -1;
		off = t->keys_off + t->keys_len;
	}
	if ((t->flags & MOVE_TAIL_REC) != 0) {
		if (len - off < MOVE_REC_LEN) {
			snprintf(err, errlen, "its recording is cut short");
			return -1;
		}
		t->rec_flags = p[off];
		t->rec_age_ms = get64(p + off + 1);
		t->rec_used = get64(p + off + 9);
		t->rec_max = get64(p + off + 17);
		if ((t->rec_flags & ~(MOVE_REC_INPUT | MOVE_REC_FULL)) != 0 ||
		    t->rec_age_ms > now || t->rec_max > INT64_MAX ||
		    (t->rec_max != 0 && t->rec_used > t->rec_max +
		    RECORD_MARK_ROOM)) {
			snprintf(err, errlen, "its recording's flags, age or "
			    "bytes do not hold together");
			return -1;
		}
		off += MOVE_REC_LEN;
	}
	t->used = off;
	return 0;
}

int
session_taken(struct session *s)
{
	struct msg_taken	 t;
	struct buf		 in;
	struct move_tail	 mt;
	struct msg_limits	 lim;
	const uint8_t		*p;
	char			 err[MSG_TEXT_MAX + 1];
	int			 rv = -1;

	buf_init(&in, 0);
	memset(&t, 0, sizeof(t));
	err[0] = '\0';
	if (move_read(s->takeover_fd, (size_t)s->limits.outbuf_max * 2 +
	    3 * session_input_room(s) + 8 + MOVE_TAIL + MOVE_TERM_LEN +
	    MOVE_REC_LEN + repl_state_max(s->repl),
	    MOVE_TAKE_MS, &in, err, sizeof(err)) == 0) {
		p = (const uint8_t *)in.data;
		if (session_move_tail(p, in.len, (size_t)s->limits.outbuf_max *
		    2, session_input_room(s), session_now(), &mt, err,
		    sizeof(err)) == 0 && repl_load(s->repl, p + mt.used,
		    in.len - mt.used, err, sizeof(err)) == 0)
			rv = 0;
		/* A recording said in the tail came with the socket. */
		if (rv == 0 && ((mt.flags & MOVE_TAIL_REC) != 0) !=
		    (s->takeover_rec != -1)) {
			snprintf(err, sizeof(err), "its recording's fd and its "
			    "tail do not agree");
			rv = -1;
		}
	}
	close(s->takeover_fd);
	s->takeover_fd = -1;
	t.ok = rv == 0;
	if (rv == -1) {
		strlcpy(t.message, err, sizeof(t.message));
		log_warnx("session %lld: cannot take it over: %s",
		    (long long)s->id, err);
		chan_send(MSG_TAKEN, &t);
		buf_free(&in);
		if (s->takeover_rec != -1)
			close(s->takeover_rec);
		s->takeover_rec = -1;
		/* The client is still its old worker's: not a byte here. */
		s->shared = true;
		session_end(s, SESSION_END_MOVED);
		return -1;
	}
	chan_send(MSG_TAKEN, &t);
	p = (const uint8_t *)in.data;
	/* Its lifetime and output_max go on from where they were. */
	s->start = session_now() - mt.age_ms;
	s->bytes_in = mt.bytes_in;
	s->bytes_out = mt.bytes_out;
	s->out.produced = mt.produced;
	/* What CPU it has left: this process starts from none used. */
	s->cpu_carried_ms = mt.cpu_ms;
	if (s->limits.cpu != 0) {
		lim = s->limits;
		lim.cpu = mt.cpu_ms / 1000 + 1 >= lim.cpu ? 1 :
		    lim.cpu - mt.cpu_ms / 1000;
		if (sandbox_lower(&lim, err, sizeof(err)) == -1)
			log_warnx("session %lld: %s", (long long)s->id, err);
	}
	s->out.iac = (mt.flags & MOVE_IAC) != 0;
	s->in.after_cr = (mt.flags & MOVE_AFTER_CR) != 0;
	if (mt.out_len > 0)
		(void)session_queue(s, SESSION_STDOUT, p + mt.out_off,
		    mt.out_len, true);
	if (mt.in_len > 0)
		session_input(s, (const char *)p + mt.in_off, mt.in_len);
	/* The recording goes on from here: the input above is in it. */
	if (s->takeover_rec != -1) {
		record_adopt(&s->rec, s->takeover_rec, (mt.rec_flags &
		    MOVE_REC_INPUT) != 0, mt.rec_max, mt.rec_used,
		    (mt.rec_flags & MOVE_REC_FULL) != 0, session_now() -
		    mt.rec_age_ms);
		s->takeover_rec = -1;
	}
	/* The terminal: the transport takes it up; the keys wait for the
	 * editor's first prompt. */
	if ((mt.flags & MOVE_TAIL_TERM) != 0) {
		s->term = mt.term;
		s->term_moved = true;
		if (mt.keys_len > 0 && buf_append(&s->in.typed, p +
		    mt.keys_off, mt.keys_len) == -1)
			session_end(s, SESSION_END_ERROR);
	}
	buf_free(&in);
	repl_stats(s->repl, &s->vm);
	log_info("session %lld: taken over from its old worker",
	    (long long)s->id);
	/* It moved at a prompt, which is on the screen: a line of its own. */
	s->out.st[s->out.text].last = ' ';
	session_notice(s, "The server was upgraded; your session goes on.\n");
	session_prompt(s);
	return 0;
}

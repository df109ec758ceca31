/*
 * session.h: the session core, what every transport shares about the one
 * session a worker serves.
 *
 * worker.c opens the session from the supervisor's `session` message
 * (session_open) and closes it with `session_end` (session_close); in
 * between a transport (transport.h) serves it. struct session holds what
 * the supervisor said (peer, tenant, limits), the counters the worker
 * reports, the clocks of the idle and line limits, and the supervisor's
 * side of the session: `shutdown`, `auth_reply`, `status`, `negotiated`.
 * The transport keeps the counters current and, from its own poll loop,
 * calls session_chan() when the channel is readable and session_tick()
 * after every event, so the supervisor is answered even while a program
 * runs.
 */
#ifndef IRIDIUM_SESSION_H
#define IRIDIUM_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "chan.h"
#include "msg.h"
#include "repl.h"

/* Why a session ended: the `session_end` reasons. */
#define SESSION_END_QUIT	"quit"		/* !quit */
#define SESSION_END_HANGUP	"hangup"	/* the client closed or reset */
#define SESSION_END_IDLE	"idle"		/* limits.idle without a line */
#define SESSION_END_LINE	"line"		/* limits.line_timeout: a line
						   begun and never finished */
#define SESSION_END_LIFETIME	"lifetime"	/* limits.lifetime */
#define SESSION_END_SHUTDOWN	"shutdown"	/* the supervisor said so */
#define SESSION_END_CPU		"cpu"		/* limits.cpu */
#define SESSION_END_OUTPUT	"output"	/* output_max, or not reading */
#define SESSION_END_ERROR	"error"		/* out of memory, a bug */
#define SESSION_END_PROXY	"proxy"		/* PROXY header missing/bad */
#define SESSION_END_REFUSED	"refused"	/* peer_verdict said no */
#define SESSION_END_AUTH	"auth"		/* ssh: no login (failures,
						   grace time) */

struct session;

/*
 * Test workers only (testhooks.h): what worker.c lends the session so
 * that a test can make it misbehave. NULL in the real workers.
 */
struct session_hooks {
	/*
	 * Offered every input line before the REPL: 1 when it took the
	 * line (reply: what to tell the client, "\n" line ends), else 0.
	 */
	int	(*line)(struct session *, const char *line, size_t len,
		    struct buf *reply);
	/* How long each poll checkpoint of a command waits (ms; 0: none). */
	int	(*poll_ms)(void);
};

struct session {
	/* Set by session_open(); read-only for the transport. */
	int			 client;	/* the socket; serve() closes it */
	int64_t			 id;
	const char		*transport;	/* "line", "ssh" */
	const char		*listener;
	const char		*peer;		/* "addr:port" */
	const char		*tenant;	/* "" until ssh authentication */
	bool			 proxy;		/* a PROXY header comes first:
						   read before serve() */
	struct msg_limits	 limits;	/* min(hello ceilings, session) */
	const struct msg_limits	*ceilings;	/* hello's */
	const char		*quota;		/* the supervisor's limits, as
						   lines for !limits; or NULL */
	uint64_t		 start;		/* session_now() at the start */
	struct chan		*chan;		/* the channel, busy */
	const struct session_hooks *hooks;	/* test workers only */
	volatile sig_atomic_t	*xcpu;		/* SIGXCPU came (worker.c) */

	/*
	 * Kept current by the transport, read for `status` and
	 * `session_end`: the REPL's counters (copy repl_stats() after each
	 * command and at each poll checkpoint) and bytes on the client
	 * socket.
	 */
	struct repl_stats	 vm;
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;

	/*
	 * The idle and line clocks, kept by session_line_done() and
	 * session_partial() and read by session_idle_due(): idle time
	 * counts from the last complete line or the end of a command,
	 * whatever bytes came since (a client that trickles a line byte by
	 * byte is idle); a line begun and not finished has a clock of its
	 * own (limits.line_timeout).
	 */
	uint64_t		 idle_since;	/* session_now() */
	uint64_t		 partial_since;	/* 0: no unfinished line */
	bool			 idle_warned;

	/* Set by session_chan(); the transport ends the session on either. */
	bool			 shutdown;	/* the supervisor said `shutdown` */
	uint64_t		 shutdown_by;	/* ... to be gone by then (its
						   grace; session_now()) */
	char			 shutdown_why[MSG_TEXT_MAX + 1];	/* its
						   reason, for the client */
	/* session_auth(): a refusal's words for the client, or "". */
	char			 refusal[MSG_TEXT_MAX + 1];
	bool			 orphaned;	/* the channel is gone */

	/* The supervisor's side: `status` and `auth_query`. */
	struct msg_counters	 reported;	/* what the last status said */
	uint64_t		 status_next;	/* session_now() */
	char			 tenant_buf[MSG_NAME_MAX + 1];
	bool			 auth_pending;	/* auth_query unanswered */
	bool			 auth_waiting;	/* session_auth() waits */
	bool			 auth_in;	/* ... and its reply came */
	struct msg_auth_reply	 auth_reply;
};

/* A monotonic clock in milliseconds. */
uint64_t	session_now(void);

/*
 * Open the session the supervisor's `session` message m describes, for a
 * worker that said hello h, on channel ch (which becomes busy: the
 * session takes `shutdown` and `auth_reply` from here on): take the
 * client socket (m->fd), lower the rlimits to the session's limits, set
 * the process title and send `status` busy. xcpu is the flag the SIGXCPU
 * handler sets. Strings point into m and h: keep both.
 */
void		session_open(struct session *, struct chan *ch,
		    const struct msg_hello *h, struct msg *m,
		    volatile sig_atomic_t *xcpu);
/* The process title: transport, session, tenant, peer. */
void		session_title(const struct session *);
/*
 * The session is over, for reason: `session_end` with the counters (not
 * when the channel is gone: there is nobody to tell).
 */
void		session_close(struct session *, const char *reason);

/*
 * Handle what is waiting on the channel, without blocking: `ping` is
 * answered, `shutdown` noted in s->shutdown, an EOF in s->orphaned. A bad
 * message from the supervisor ends the process. Returns 0, or -1 when the
 * session must end (s->shutdown or s->orphaned).
 */
int		session_chan(struct session *);

/*
 * Send a `status` when the counters changed and a second has passed since
 * the last one. Returns the milliseconds until it wants to be called
 * again, or -1 when nothing is pending (the next event will do).
 */
int		session_tick(struct session *);

/*
 * Ask the supervisor whether q's key may log in (`auth_query`) and wait
 * up to timeout_ms for its `auth_reply`, answering `ping` and noting
 * `shutdown` meanwhile: the worker never sees the key lists. On ok the
 * session becomes the tenant's: s->tenant, s->limits (the reply's, under
 * hello's ceilings; the rlimits lowered to them), the process title and
 * a `status`. Returns 1 (accepted), 0 (refused; when the supervisor
 * ends the session for its own reason, s->refusal holds the words for
 * the client), or -1 when the session must end (s->shutdown,
 * s->orphaned, or no answer in time).
 */
int		session_auth(struct session *,
		    const struct msg_auth_query *q, int timeout_ms);

/* ssh: tell the supervisor what the key exchange settled on (once). */
void		session_negotiated(struct session *,
		    const struct msg_negotiated *n);

/* The counters as `status` and `session_end` report them. */
void		session_counters(const struct session *,
		    struct msg_counters *c);

/*
 * True once the process has passed its soft CPU limit (SIGXCPU, from the
 * sandbox's RLIMIT_CPU): end the session with SESSION_END_CPU before the
 * hard limit kills the process.
 */
bool		session_cpu_spent(const struct session *);

/*
 * The !limits lines every transport shares (line length, output, queue,
 * idle, lifetime, CPU, the supervisor's quotas), given the bytes the
 * session has produced.
 */
void		session_limits_report(struct session *, uint64_t produced,
		    struct buf *out);

/*
 * A complete line came (or a command ended): the idle clock starts over
 * and no line is unfinished. Returns session_now().
 */
uint64_t	session_line_done(struct session *);
/*
 * Whether the transport holds the start of a line whose end has not
 * come (call it after handing complete lines on): its clock starts at
 * the first such call and stops with the line.
 */
void		session_partial(struct session *, bool unfinished);

/* What the idle and line clocks say (session_idle_due). */
enum session_due {
	SESSION_DUE_NONE,
	SESSION_DUE_IDLE_WARN,	/* warn, once: limits.idle_warn s are left */
	SESSION_DUE_IDLE,	/* limits.idle without a line: end it */
	SESSION_DUE_LINE,	/* limits.line_timeout: end it */
};
/*
 * What is due at now, the IDLE and LINE ends also logged (one line
 * each, the transport tells the client); *next gets the time of the
 * next event (session_now() scale), UINT64_MAX for none.
 */
enum session_due session_idle_due(struct session *, uint64_t now,
		    uint64_t *next);

#endif

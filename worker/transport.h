/*
 * transport.h: how iridium-worker hands its one session to a transport.
 *
 * The worker (worker/worker.c) owns the process: the channel to the
 * supervisor on fd 3, the sandbox, `status`, `ping`, `shutdown` and
 * `session_end`. A transport owns the client connection: it speaks the
 * client's protocol (line: telnet/nc; ssh: libssh, in its own
 * executable), runs a REPL for it, and returns why the session ended.
 * Between the two sits struct session: the worker fills in what the
 * supervisor said; the transport keeps the counters current and, from
 * its own poll loop, calls session_chan() when fd 3 is readable and
 * session_tick() after every event, so the supervisor is answered even
 * while a program runs.
 *
 * Each executable lists the transports it serves in worker_transports[]
 * (worker/worker_line.c for iridium-worker, worker/worker_ssh.c for
 * iridium-worker-ssh), so a line worker links no SSH or crypto code.
 */
#ifndef IRIDIUM_TRANSPORT_H
#define IRIDIUM_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "msg.h"
#include "repl.h"

/* Why a session ended: the `session_end` reasons a transport returns. */
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

struct worker;

struct session {
	/* Set by the worker before serve(); read-only for the transport. */
	int			 client;	/* the socket; serve() closes it */
	int64_t			 id;
	const char		*listener;
	const char		*peer;		/* "addr:port" */
	const char		*tenant;	/* "" until ssh authentication */
	bool			 proxy;		/* a PROXY header came first: the
						   worker read it before serve() */
	struct msg_limits	 limits;	/* min(hello ceilings, session) */
	const char		*quota;		/* the supervisor's limits, as
						   lines for !limits; or NULL */
	uint64_t		 start;		/* session_now() at the start */

	/*
	 * Kept current by the transport, read by the worker for `status`
	 * and `session_end`: the REPL's counters (copy repl_stats() after
	 * each command and at each poll checkpoint) and bytes on the client
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

	/*
	 * The PROXY step (proxy.h) sets verdict_wanted after its `peer`;
	 * session_chan() then keeps the `peer_verdict` here. A verdict at
	 * any other time is a supervisor bug.
	 */
	bool			 verdict_wanted;
	bool			 verdict_in;
	struct msg_peer_verdict	 verdict;

	struct worker		*w;		/* the worker's own state */
};

struct transport {
	const char	*name;		/* as in `hello` and `session` */
	/*
	 * Work that needs files or privileges (ssh: the host key), after
	 * `hello` and before the sandbox. NULL when there is none. Returns
	 * 0, or -1 with err set; the worker then exits.
	 */
	int		(*prepare)(const struct msg_hello *, char *err,
			    size_t errlen);
	/*
	 * Serve the session until it ends; close s->client. Returns one of
	 * the SESSION_END_* reasons.
	 */
	const char	*(*serve)(struct session *s);
};

/* The transports of this executable, NULL-terminated, and its name. */
extern const struct transport *const worker_transports[];
extern const char worker_name[];

extern const struct transport transport_line;
extern const struct transport transport_ssh;

/* --- what the worker offers a transport (worker/worker.c) --------------- */

/* A monotonic clock in milliseconds. */
uint64_t	session_now(void);

/*
 * Handle what is waiting on the channel (fd MSG_CHAN_FD), without
 * blocking: answer `ping`, note `shutdown` in s->shutdown, and an EOF in
 * s->orphaned. A bad message from the supervisor ends the process.
 * Returns 0, or -1 when the session must end (s->shutdown or s->orphaned).
 */
int		session_chan(struct session *s);
/*
 * The !limits lines every transport shares (line length, output, queue,
 * idle, lifetime, CPU, the supervisor's quotas), given the bytes the
 * session has produced.
 */
void		session_limits_report(struct session *s, uint64_t produced,
		    struct buf *out);

/*
 * Send a `status` when the counters changed and a second has passed since
 * the last one. Returns the milliseconds until it wants to be called
 * again, or -1 when nothing is pending (the next event will do).
 */
int		session_tick(struct session *s);

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
int		session_auth(struct session *s,
		    const struct msg_auth_query *q, int timeout_ms);

/*
 * A complete line came (or a command ended): the idle clock starts over
 * and no line is unfinished. Returns session_now().
 */
uint64_t	session_line_done(struct session *s);
/*
 * Whether the transport holds the start of a line whose end has not
 * come (call it after handing complete lines on): its clock starts at
 * the first such call and stops with the line.
 */
void		session_partial(struct session *s, bool unfinished);

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
enum session_due session_idle_due(struct session *s, uint64_t now,
		    uint64_t *next);

/* ssh: tell the supervisor what the key exchange settled on (once). */
void		session_negotiated(struct session *s,
		    const struct msg_negotiated *n);

/* The counters as `status` and `session_end` report them. */
void		session_counters(const struct session *s,
		    struct msg_counters *c);

/*
 * True once the process has passed its soft CPU limit (SIGXCPU, from the
 * sandbox's RLIMIT_CPU): end the session with SESSION_END_CPU before the
 * hard limit kills the process.
 */
bool		session_cpu_spent(void);

#endif

/*
 * admit.h: the supervisor's own limits (SUP_LIMITS in status.h): who
 * may start a session, and what a source pays when its session goes
 * wrong. The workers enforce the per-session limits (MSG_LIMITS); these
 * need a view across sessions, which only the supervisor has.
 *
 * Every accepted connection gets a hold (struct admit_hold) that says
 * what it counts against: its source's sessions (sessions_per_source),
 * its tenant's sessions (sessions) and, until it is in a session, the
 * connections not yet in one (max_startups). The hold travels with the
 * connection (queue, then worker) and is released exactly once, when the
 * connection is refused or its worker is reaped.
 *
 *   accept        admit_accept(): proxy_trusted, penalty and source cap
 *                 (not for a PROXY listener's balancer), tenant cap (line),
 *                 max_startups; a refusal is one line to the client (none
 *                 on a PROXY listener) and a log line
 *   hand-off      admit_started() at once for a plain line session
 *   `peer`        admit_peer(): the real client's penalty and source cap;
 *                 `peer_verdict` at once
 *   ssh login     admit_login() (supervisor/auth.c): the tenant's cap;
 *                 the connection is a session from then on
 *   failed login  admit_penalise(w, SOURCE_AUTHFAIL or SOURCE_GRACE)
 *   worker reaped admit_reaped(): penalties by how it died, release
 *
 * Penalties fall on the client's address (after `peer`, the real one),
 * never on a balancer's, and never for CPU or memory limits.
 */
#ifndef IRIDIUM_ADMIT_H
#define IRIDIUM_ADMIT_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "msg.h"
#include "source.h"
#include "status.h"

struct daemon;
struct worker;
struct tenant_table;

/* Why a connection was refused before it became a session. */
enum admit_refusal {
#define ADMIT_REFUSAL_ENUM(E, json, words)	ADMIT_##E,
	STATUS_REFUSAL_KINDS(ADMIT_REFUSAL_ENUM)
#undef ADMIT_REFUSAL_ENUM
	ADMIT_NREFUSALS
};

#define ADMIT_LOGS_PER_SECOND	20
#define ADMIT_LOG_KINDS		8	/* kinds told apart in the summary */

/* What one connection counts against. */
struct admit_hold {
	struct source_key key;		/* its source, when `keyed` */
	bool		 keyed;		/* the client's source is known */
	bool		 source;	/* holds a session of key */
	bool		 startup;	/* counts against max_startups */
	char		 tenant[CONFIG_NAMELEN];	/* held; "": none */
};

/* The state behind it; the source table is the daemon's d->sources. */
struct admission {
	struct tenant_table	*tenants;
	unsigned		 startups;	/* holds with startup set */
	uint64_t		 refused[ADMIT_NREFUSALS];
	/* refusal log lines, of every kind: at most ADMIT_LOGS_PER_SECOND */
	int64_t			 log_window_ms;
	unsigned		 log_count;
	struct {
		const char	*kind;		/* NULL: a free slot */
		unsigned	 n;
	}			 log_dropped[ADMIT_LOG_KINDS];
	unsigned		 log_dropped_other;
};

/*
 * Log one refused connection. Every kind of refusal (kind, a constant
 * string, names it: "busy", "queue timeout", the admission kinds) shares
 * one budget of ADMIT_LOGS_PER_SECOND lines a second, so a flood of
 * connections cannot flood the log; once a second a summary says how
 * many of each kind were left out.
 */
void		 admit_log_refusal(struct daemon *, const char *kind,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The tables, configured from d->cfg. -1 on failure (no memory). */
int		 admit_init(struct daemon *);
void		 admit_free(struct daemon *);
/* A reload changed d->cfg: the new penalty settings (entries are kept). */
void		 admit_configure(struct daemon *);
/* Once a second: forget sources that hold nothing and owe nothing. */
void		 admit_tick(struct daemon *, int64_t now);

/* What a connection hears when the server cannot take it now. */
#define BUSY_TEXT	"Server busy, please try again later."
#define BUSY_LINE	BUSY_TEXT "\r\n"

/* The verdict on an accepted connection; the listener acts on it. */
enum admit_verdict {
	ADMIT_PASS,	/* *h filled: hand the connection off, or queue it */
	ADMIT_REFUSE,	/* write the line given (CRLF ended), then close */
	ADMIT_DROP,	/* close without a word (a PROXY listener's peer) */
};

/*
 * A connection accepted on the listener lc from sa (peer is its text).
 * A refusal is logged and counted here, its line (if any) left in line.
 */
enum admit_verdict admit_accept(struct daemon *,
		    const struct listener_cfg *lc, const struct sockaddr *sa,
		    const char *peer, struct admit_hold *h, char *line,
		    size_t linelen);
/* The connection is in a session now: no longer a startup. */
void		 admit_started(struct daemon *, struct admit_hold *);
/* Give back what h holds (idempotent). */
void		 admit_release(struct daemon *, struct admit_hold *);

/*
 * `peer` from w's worker: the client's address behind a PROXY listener.
 * Checks it may come (a PROXY listener's busy session, the first one,
 * a numeric address), records it, applies the client's penalty and
 * per-source cap, and sends `peer_verdict` at once. Returns 0, or -1 with
 * err when the message breaks the protocol (the caller kills w).
 */
int		 admit_peer(struct worker *w, const struct msg_peer *p,
		    char *err, size_t errlen);
/*
 * ssh: w's client logged in as tenant. Applies the tenant's `sessions`
 * limit. Returns 0 (w's session is now the tenant's, no longer a
 * startup), or -1 with the line for the client in why (refused, logged,
 * counted: the caller answers the login with a refusal).
 */
int		 admit_login(struct worker *w, const char *tenant, char *why,
		    size_t whylen);
/* An offence of w's client (its real address); logged. */
void		 admit_penalise(struct worker *w, enum source_offence,
		    const char *what);
/*
 * w was reaped: its session's penalty (crash, sandbox, protocol; never
 * a CPU or memory limit, never SIGKILL from outside), then its release.
 */
void		 admit_reaped(struct worker *w, int kind, int status);
/* Per worker, once a second: a PROXY line session that sent no `peer`
 * (a LOCAL header: a health check) stops being a startup in time. */
void		 admit_tick_worker(struct worker *w, int64_t now);

/*
 * max_startups, as sshd's MaxStartups: with n connections not yet in a
 * session, is the next one dropped? r is uniform in 0..99.
 */
bool		 admit_drop_startup(const struct startups *, unsigned n,
		    unsigned r);

/*
 * The lines `session` carries for !limits: the tenant's and the source's
 * sessions against their limits as the session starts (a PROXY session's
 * source is not known yet, an ssh session's tenant neither).
 */
const char	*admit_quota(struct daemon *, const struct admit_hold *,
		    const char *tenant, char *buf, size_t len);

/* What status shows: refusals by kind, source table figures. */
void		 admit_stats(struct daemon *, int64_t now,
		    struct source_stats *);

#endif

/*
 * admit.h: the supervisor's own limits (SUP_LIMITS in status.h): who
 * may start a session, and what a source pays when its session goes
 * wrong. The workers enforce the per-session limits (MSG_LIMITS); these
 * need a view across sessions, which only the supervisor has.
 *
 * It owns struct admission: the per-source table (source.h) with its
 * penalties, the per-tenant table (tenant.h), the connections not yet in
 * a session, the refusals and their log budget, and the sessions each
 * tenant has had. It decides and returns verdicts; it never writes to a
 * client: the listener acts on admit_accept's verdict, and a worker hears
 * its `peer_verdict` from here only because the worker asked.
 *
 * Every accepted connection gets a hold (struct admit_hold, wproc.h)
 * that says what it counts against: its source's sessions
 * (sessions_per_source), its tenant's sessions (sessions) and, until it
 * is in a session, the connections not yet in one (max_startups). The
 * hold travels with the connection (queue, then worker) and is released
 * exactly once, when the connection is refused or its worker is reaped.
 *
 *   accept        admit_accept(): proxy_trusted, penalty and source cap
 *                 (not for a PROXY listener's balancer), tenant cap (line),
 *                 max_startups; a refusal is a log line and a verdict:
 *                 one line to the client, or (a PROXY listener) none
 *   hand-off      a plain line session is under way at its worker's first
 *                 `status` (the handler admit_register adds)
 *   `peer`        the real client's penalty and source cap; `peer_verdict`
 *                 at once (the handler admit_register adds)
 *   ssh login     admit_login() (auth.c): the tenant's cap; the
 *                 connection is a session from then on
 *   worker reaped admit_reaped(): penalties by how it died and for failed
 *                 logins, then the release
 *
 * Penalties fall on the client's address (after `peer`, the real one),
 * never on a balancer's, and never for CPU or memory limits.
 */
#ifndef IRIDIUM_ADMIT_H
#define IRIDIUM_ADMIT_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "ctx.h"
#include "msg.h"
#include "source.h"
#include "status.h"
#include "wproc.h"

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
#define ADMIT_MAX_TENANT_STATS	1024

/* Sessions per tenant so far (the active ones are counted live). */
struct tenant_stat {
	char		 name[CONFIG_NAMELEN];
	uint64_t	 accepted;
};

struct admission {
	struct ctx		*ctx;
	struct source_table	*sources;	/* per-source penalties */
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
	/* sessions each tenant had: a line listener's from their accept,
	 * an ssh tenant's from their login */
	struct tenant_stat	*stats;
	size_t			 nstats;
};

/*
 * Log one refused connection. Every kind of refusal (kind, a constant
 * string, names it: "busy", "queue timeout", the admission kinds) shares
 * one budget of ADMIT_LOGS_PER_SECOND lines a second, so a flood of
 * connections cannot flood the log; once a second a summary says how
 * many of each kind were left out.
 */
void		 admit_log_refusal(struct admission *, const char *kind,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* The tables, configured from ctx->cfg. -1 on failure (no memory). */
int		 admit_init(struct admission *, struct ctx *);
void		 admit_free(struct admission *);
/*
 * Handle the workers' `peer` and (a plain line session under way at its
 * worker's first one) `status`.
 */
void		 admit_register(struct admission *, struct workers *);
/* A reload changed ctx->cfg: the new penalty settings (entries are kept). */
void		 admit_configure(struct admission *);
/* Once a second: forget sources that hold nothing and owe nothing. */
void		 admit_tick(struct admission *, int64_t now);

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
enum admit_verdict admit_accept(struct admission *,
		    const struct listener_cfg *lc, const struct sockaddr *sa,
		    const char *peer, struct admit_hold *h, char *line,
		    size_t linelen);
/* A session of tenant began: counted for status (line: at its accept,
 * which admit_accept does; ssh: at its login, auth.c). */
void		 admit_tenant_accepted(struct admission *, const char *tenant);
/* Give back what h holds (idempotent). */
void		 admit_release(struct admission *, struct admit_hold *);

/*
 * ssh: w's client logged in as tenant. Applies the tenant's `sessions`
 * limit. Returns 0 (w's session is now the tenant's, no longer a
 * startup, and counted for it), or -1 with the line for the client in
 * why (refused, logged, counted: the caller answers the login with a
 * refusal). A tenant at its limit that has detached sessions may go over
 * it by as many, to resume them: 1, w admitted only for that, until
 * w->resume_only_ms (login_grace; admit_tick_worker ends it then unless
 * a resume cleared it).
 */
int		 admit_login(struct admission *, struct worker *w,
		    const char *tenant, unsigned detached, char *why,
		    size_t whylen);
/*
 * An offence of w's client, o, for the reason what ("a wrong resume
 * token"): its source's penalty grows (logged), unless it is exempt.
 */
void		 admit_penalise(struct admission *, struct worker *w,
		    enum source_offence o, const char *what);
/*
 * w was reaped: its session's penalties (a crash, the sandbox, the
 * protocol, never a CPU or memory limit nor SIGKILL from outside; its
 * failed or missing ssh login), then its release.
 */
void		 admit_reaped(struct admission *, struct worker *w,
		    enum wend kind, int status);
/* Per worker, once a second: a PROXY line session that sent no `peer`
 * (a LOCAL header: a health check) stops being a startup in time. */
void		 admit_tick_worker(struct admission *, struct worker *w,
		    int64_t now);

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
const char	*admit_quota(struct admission *, const struct admit_hold *,
		    char *buf, size_t len);

/* What status shows: refusals by kind, source table figures. */
void		 admit_stats(struct admission *, int64_t now,
		    struct source_stats *);

#endif

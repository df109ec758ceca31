/*
 * resume.h: sessions that outlive their connection, on iridiumd's side.
 *
 * An ssh worker whose client went away without !quit (or typed !detach)
 * keeps its session and says `detach`; it then waits, detached, running
 * nothing, for its tenant's resume_window ([limits], [tenant]): counted
 * toward the tenant's sessions, pinged, shown as "detached" in the status,
 * ended by iridiumctl kill and at shutdown like any busy worker. Another
 * ssh worker of the same tenant asks `resume`; this module decides, from
 * the supervisor's own records only (the tenant of each side is the one
 * its own auth_reply accepted), and makes a socketpair whose ends go to
 * the two workers (`move`, `resume_reply`). The state flows between them
 * and never through the supervisor. When the asker says `resumed` ok, the
 * detached worker gets its `shutdown`; otherwise it stays detached and
 * resumable. Every decision is one log line.
 *
 * A line session has no login: its !detach gets a token, 128 bits from
 * arc4random_buf() in base64url, shown to its client once; the supervisor
 * keeps only an HMAC-SHA256 of it under a key of its own, compared in
 * constant time with the HMAC of what a new line session of the same
 * listener forwards. A token that matches nothing is an offence of the
 * source, penalised as a failed login; one that matched dies with its
 * session.
 */
#ifndef IRIDIUM_RESUME_H
#define IRIDIUM_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "admit.h"
#include "ctx.h"
#include "wproc.h"

/* A move whose taker has not answered by then is called off. */
#define RESUME_MOVE_MS		10000
/* Detached sessions a login notice lists at most. */
#define RESUME_NOTICE_MAX	5

struct resume {
	struct ctx	*ctx;
	struct workers	*wk;
	struct admission *adm;		/* a wrong token's penalty */
	uint8_t		 key[32];	/* the tokens' keyed hash, random */
	uint64_t	 detached;	/* sessions that detached */
	uint64_t	 resumed;	/* ... and were taken up */
	uint64_t	 expired;	/* ... and ended with their window */
	uint64_t	 refused;	/* resume requests refused */
};

void		 resume_init(struct resume *, struct ctx *, struct workers *,
		    struct admission *);
/* Handle the workers' `detach`, `resume` and `resumed`. */
void		 resume_register(struct resume *);
/* Once a second: windows that passed, moves that never finished. */
void		 resume_tick(struct resume *, int64_t now);
/*
 * The tenant's detached sessions, as the notice its new ssh login shows
 * before the prompt ("" when none): at most RESUME_NOTICE_MAX of them,
 * newest first.
 */
void		 resume_notice(const struct resume *, const char *tenant,
		    int64_t now, char *out, size_t len);
/* How many detached sessions tenant has. */
unsigned	 resume_count(const struct resume *, const char *tenant);
/* The window of tenant's sessions (seconds; 0: they do not detach). */
unsigned	 resume_window(const struct resume *, const char *tenant);

#endif

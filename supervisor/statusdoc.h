/*
 * statusdoc.h: the status document iridiumctl shows (its schema is
 * include/proto/status.h), built from what the daemon's modules keep:
 * the listeners, their pools and workers, admission and the host keys.
 *
 * It owns struct statusdoc: the counters that only the document shows,
 * namely ssh sessions by the algorithms they settled on (it handles the
 * workers' `negotiated`) and the daemon's history (its start, reloads,
 * and the sessions of listeners a reload removed), which the daemon adds
 * to. It reads the modules below it and changes none of them.
 */
#ifndef IRIDIUM_STATUSDOC_H
#define IRIDIUM_STATUSDOC_H

#include <stdint.h>

#include <jansson.h>

#include "admit.h"
#include "auth.h"
#include "ctx.h"
#include "listener.h"
#include "pool.h"
#include "sshalgo.h"
#include "wproc.h"

struct upgrade;
struct filer;
struct recorder;

struct statusdoc {
	struct ctx		*ctx;
	const struct listener_list *listeners;	/* the daemon's */
	struct admission	*adm;
	const struct auth	*auth;
	const struct upgrade	*upgrade;	/* its counts; NULL: none */
	const struct filer	*filer;		/* NULL: none */
	const struct recorder	*rec;		/* NULL: none */
	int64_t			 started_ms, started_unix;
	uint64_t		 reloads, reload_failures;
	struct session_totals	 gone;	/* of listeners a reload removed */
	/* ssh sessions by what their key exchange settled on (sshalgo.h) */
	uint64_t		 by_kex[SSHALGO_KIND_MAX];
	uint64_t		 by_cipher[SSHALGO_KIND_MAX];
};

/* Started now, reading what the pointers give. */
void	 statusdoc_init(struct statusdoc *, struct ctx *,
	    const struct listener_list *, struct admission *,
	    const struct auth *);
/* Handle the workers' `negotiated`: checked, kept, counted. */
void	 statusdoc_register(struct statusdoc *, struct workers *);
/* The document, and its "workers" that have a session. NULL: no memory. */
json_t	*status_document(struct statusdoc *);
json_t	*status_sessions(struct statusdoc *);

#endif

/*
 * ctx.h: what every part of iridiumd reads: the running configuration
 * and the file it came from, the event loop, the configuration
 * generation, the build id, the session ids, and whether the daemon is
 * shutting down.
 *
 * One struct ctx lives in struct daemon (daemon.h), and only the daemon
 * changes it (start-up, reload, shutdown). Each module is given a pointer
 * to it when it starts, beside pointers to the modules below it that it
 * uses: the context owns no module's state, and has no code of its own.
 */
#ifndef IRIDIUM_CTX_H
#define IRIDIUM_CTX_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ev.h"
#include "msg.h"

struct ctx {
	struct config	 cfg;		/* the running configuration */
	char		 cfgpath[CONFIG_PATHLEN];	/* -f; "" without */
	unsigned	 generation;	/* of cfg: bumped on every reload */
	struct evloop	 loop;
	char		 build[MSG_BUILD_MAX + 1];	/* a worker's must match */
	int64_t		 session_seq;	/* the last session id given */
	bool		 stopping;	/* shutting down: nothing new starts */
};

/* A session id no session had before. */
static inline int64_t
ctx_next_session(struct ctx *c)
{
	return ++c->session_seq;
}

#endif

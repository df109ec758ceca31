/*
 * history.h: an ssh tenant's REPL history across its sessions, on
 * iridiumd's side.
 *
 * One file per tenant, STATE_DIR/history/TENANT: the lines, each ending
 * in LF, oldest first, at most the tenant's history_lines ([limits],
 * [tenant]) and MSG_HISTORY_BYTES bytes; owned by iridiumd's user, mode
 * 0600, in a directory of mode 0700. After an accepted ssh login the
 * tenant's lines go to the worker (`history`); the worker's
 * `history_save` (the lines typed since, and whether `!history clear`
 * forgot the stored ones) is checked as any message, appended, cut to the
 * bound and written atomically: a temporary file in the same directory,
 * fsync, rename, fsync of the directory, so a crash leaves the old file
 * or the new one. The write is done beside the event loop (filer.h);
 * until it is, a login of the tenant gets the lines it will hold; at most
 * HISTORY_WRITES_MAX wait at once (more are not saved, in one log line). Every open is relative to the directory, with
 * O_NOFOLLOW. A file that is not what iridiumd writes (not a regular
 * file, another owner, readable by others, too large, a line that breaks
 * the rules) is logged and replaced. Line sessions have no login: they
 * get no history.
 */
#ifndef IRIDIUM_HISTORY_H
#define IRIDIUM_HISTORY_H

#include <bsd/sys/queue.h>
#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "wproc.h"

#define HISTORY_DIR		"history"
/* history_save messages one session may send; more are ignored. */
#define HISTORY_SAVES_MAX	256
/* Writes waiting for the disk at once, every tenant's. */
#define HISTORY_WRITES_MAX	256

struct history_job;
TAILQ_HEAD(history_jobs, history_job);

struct history {
	struct ctx	*ctx;
	struct workers	*wk;
	int		 dirfd;		/* STATE_DIR/history; -1: not open */
	uint64_t	 saves;		/* files written */
	uint64_t	 replaced;	/* corrupted files replaced */
	struct history_jobs writes;	/* queued, not done; newest last */
	unsigned	 nwrites;
	uint64_t	 dropped;	/* writes refused since one was taken */
	uint64_t	 merged;	/* writes replaced before they started */
};

void		 history_init(struct history *, struct ctx *,
		    struct workers *);
void		 history_free(struct history *);
/* Handle the workers' `history_save`. */
void		 history_register(struct history *);
/*
 * w's ssh login as tenant is accepted: send it the tenant's lines, just
 * before the auth_reply that says so (so they are there when it starts).
 */
void		 history_login(struct history *, struct worker *w,
		    const char *tenant);

/*
 * The contents of a history file, len bytes: 0 when it is lines as
 * iridiumd writes them (each ending in LF, the message's rules), with
 * *start set to the offset of the last keep lines that fit in
 * MSG_HISTORY_BYTES; -1 with why in err.
 */
int		 history_parse(const char *p, size_t len, unsigned keep,
		    size_t *start, char *err, size_t errlen);

#endif

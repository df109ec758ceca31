/*
 * control.h: iridiumd's control socket; the protocol iridiumctl speaks
 * on it is include/proto/ctl.h.
 *
 * A Unix stream socket (mode 0660, group admin_group). Callers:
 * uid 0, iridiumd's own uid and members of admin_group (SO_PEERCRED,
 * SO_PEERGROUPS); anyone else is told so and closed. A malformed request
 * or one longer than CTL_LINE_MAX is answered when possible, and that
 * client alone is dropped; an unknown command is answered and the client
 * may go on.
 *
 * It knows the socket and its clients only: what each command does is
 * the daemon's, given at control_open() as a table of operations
 * (struct control_ops), so the control socket sits below everything it
 * drives.
 */
#ifndef IRIDIUM_CONTROL_H
#define IRIDIUM_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "config.h"
#include "ctl.h"
#include "ev.h"

#define CTL_OUT_MAX		(16 << 20)	/* bytes queued for a client */
#define CTL_PER_UID		4		/* connections per uid */
#define CTL_MAX_CLIENTS		64		/* connections in all */
#define CTL_TIMEOUT_MS		10000		/* for a request to arrive */

struct control;

/* What `kill` did: the session's worker and the grace it was given. */
struct control_killed {
	int64_t		 pid;
	unsigned	 grace;
};

/* What `reload` did. */
enum control_reload {
	CONTROL_RELOADED,	/* generation, changes, errs' warnings */
	CONTROL_RELOAD_FAILED,	/* why, and errs' errors */
	CONTROL_RELOAD_REFUSED,	/* why alone: nothing was read */
};

struct control_reloaded {
	unsigned	 generation;	/* running now */
	struct buf	 changes;	/* one line each */
	struct cfg_errors errs;
	char		 why[CONFIG_PATHLEN + 128];
};

/* What `upgrade` found to do. */
struct control_upgraded {
	unsigned	 generation;	/* the new workers' */
	unsigned	 line;		/* line sessions to move */
	unsigned	 ssh;		/* ssh sessions told to reconnect */
	unsigned	 ssh_ended;	/* ... ended (resume_window 0) */
	unsigned	 idle;		/* idle workers to replace */
};

/*
 * The commands, done by the daemon for a client of uid (arg is the one
 * given with them). status and sessions return a new document, or NULL;
 * kill returns 0 with what it did, or -1 with why for the client.
 */
struct control_ops {
	json_t	*(*status)(void *arg);
	json_t	*(*sessions)(void *arg);
	int	 (*kill)(void *arg, unsigned uid, int64_t session,
		    struct control_killed *, char *why, size_t whylen);
	enum control_reload (*reload)(void *arg, unsigned uid,
		    struct control_reloaded *);
	/* upgrade: 0 with what it found to do, or -1 with why. */
	int	 (*upgrade)(void *arg, unsigned uid, struct control_upgraded *,
		    char *why, size_t whylen);
	/*
	 * The recordings of tenant ("": all) from day since ("": all): a
	 * reply's members, or NULL with why for the client.
	 */
	json_t	*(*recordings)(void *arg, const char *tenant,
		    const char *since, char *why, size_t whylen);
};

/*
 * Create the socket at path (group admin_group unless empty), served
 * from loop with ops. Refuses when another daemon answers there; a stale
 * socket is replaced. NULL with err on failure.
 */
struct control	*control_open(struct evloop *loop, const char *path,
		    const char *admin_group, const struct control_ops *ops,
		    void *arg, char *err, size_t errlen);
/* Close every client and the socket, and remove it. */
void		 control_close(struct control *);
/* Drop clients past their timeout. */
void		 control_tick(struct control *, int64_t now);
/* A reload changed admin_group. -1 with err (the old group stays). */
int		 control_set_group(struct control *, const char *admin_group,
		    char *err, size_t errlen);

#endif

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
 */
#ifndef IRIDIUM_CONTROL_H
#define IRIDIUM_CONTROL_H

#include <stddef.h>
#include <stdint.h>

#include "ctl.h"

#define CTL_OUT_MAX		(16 << 20)	/* bytes queued for a client */
#define CTL_PER_UID		4		/* connections per uid */
#define CTL_MAX_CLIENTS		64		/* connections in all */
#define CTL_TIMEOUT_MS		10000		/* for a request to arrive */

struct control;
struct daemon;

/*
 * Create the socket at path (group admin_group unless empty). Refuses
 * when another daemon answers there; a stale socket is replaced. NULL
 * with err on failure.
 */
struct control	*control_open(struct daemon *, const char *path,
		    const char *admin_group, char *err, size_t errlen);
/* Close every client and the socket, and remove it. */
void		 control_close(struct control *);
/* Drop clients past their timeout. */
void		 control_tick(struct control *, int64_t now);
/* A reload changed admin_group. -1 with err (the old group stays). */
int		 control_set_group(struct control *, const char *admin_group,
		    char *err, size_t errlen);

#endif

/*
 * control.h: iridiumd's control socket, and the protocol iridiumctl
 * speaks on it.
 *
 * A Unix stream socket (mode 0660, group admin_group). One JSON object
 * per line each way: a request {"v":1,"command":"status"} gets one reply
 * line {"v":1,"ok":true,...} or {"v":1,"ok":false,"error":"..."}.
 * Commands: status, sessions, kill (with "session": ID), reload. Callers:
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

#define CTL_VERSION		1
#define CTL_LINE_MAX		65536		/* bytes of one request line */
#define CTL_OUT_MAX		(16 << 20)	/* bytes queued for a client */
#define CTL_PER_UID		4		/* connections per uid */
#define CTL_MAX_CLIENTS		64		/* connections in all */
#define CTL_TIMEOUT_MS		10000		/* for a request to arrive */
#define CTL_DEFAULT_PATH	"/run/iridium/control.sock"

/* X(ENUM, name, what) */
#define CTL_COMMANDS(X)							\
	X(STATUS, status, "the status document")			\
	X(SESSIONS, sessions, "the sessions being served")		\
	X(KILL, kill, "end the session \"session\": ID")		\
	X(RELOAD, reload, "re-read the configuration file")

enum ctl_cmd {
	CTL_UNKNOWN,
#define CTL_ENUM(E, n, what)	CTL_##E,
	CTL_COMMANDS(CTL_ENUM)
#undef CTL_ENUM
};

struct ctl_request {
	enum ctl_cmd	 cmd;
	int64_t		 session;	/* kill */
	char		 name[64];	/* the command as sent, escaped */
};

/*
 * Parse one request line (without its newline). Returns 0 with req
 * filled (cmd CTL_UNKNOWN for a well-formed request naming an unknown
 * command), or -1 with a printable err: the request is malformed.
 */
int		 ctl_request_parse(const char *line, size_t len,
		    struct ctl_request *req, char *err, size_t errlen);
const char	*ctl_cmd_name(enum ctl_cmd);

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

/*
 * ctl.h: the control protocol, spoken between iridiumctl and iridiumd's
 * control socket.
 *
 * A Unix stream socket. One JSON object per line each way: a request
 * {"v":1,"command":"status"} gets one reply line {"v":1,"ok":true,...}
 * or {"v":1,"ok":false,"error":"..."}. CTL_COMMANDS is the one list of
 * commands; ctl_request_parse() (proto/ctlreq.c) is the server's reader
 * of a request line, kept here with the format it reads.
 */
#ifndef IRIDIUM_CTL_H
#define IRIDIUM_CTL_H

#include <stddef.h>
#include <stdint.h>

#define CTL_VERSION		1
#define CTL_LINE_MAX		65536		/* bytes of one request line */
#define CTL_DEFAULT_PATH	"/run/iridium/control.sock"

/* X(ENUM, name, what) */
#define CTL_COMMANDS(X)							\
	X(STATUS, status, "the status document")			\
	X(SESSIONS, sessions, "the sessions being served")		\
	X(KILL, kill, "end the session \"session\": ID")		\
	X(RELOAD, reload, "re-read the configuration file")		\
	X(UPGRADE, upgrade, "replace every worker by the program on disk")		\
	X(RECORDINGS, recordings, "the session recordings, of \"tenant\" " \
	    "and from \"since\" (YYYY-MM-DD) when given")

enum ctl_cmd {
	CTL_UNKNOWN,
#define CTL_ENUM(E, n, what)	CTL_##E,
	CTL_COMMANDS(CTL_ENUM)
#undef CTL_ENUM
};

struct ctl_request {
	enum ctl_cmd	 cmd;
	int64_t		 session;	/* kill */
	char		 tenant[64];	/* recordings: "" for all */
	char		 since[11];	/* recordings: YYYY-MM-DD, or "" */
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

#endif

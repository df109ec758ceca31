/*
 * audit.h: the audit log, one JSON object a line, written by iridiumd
 * alone (no worker ever has it): sessions that start (a line session at
 * its hand-off, an ssh session at its login) and end, refused logins,
 * and what iridiumctl's kill and reload did and for which uid.
 *
 * Each line is appended with one write(2) to a file opened O_APPEND, so
 * lines never interleave; the file is reopened on SIGUSR1 and on reload
 * (logrotate's rename, then a signal), and fdatasync'ed at most once a
 * second, from the daemon's tick, when something was written since.
 */
#ifndef IRIDIUM_AUDIT_H
#define IRIDIUM_AUDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "config.h"

struct audit {
	int		 fd;		/* -1: off, or the file failed */
	char		 path[CONFIG_PATHLEN];	/* "": off */
	bool		 dirty;		/* written since the last sync */
	int64_t		 synced_ms;
	bool		 failing;	/* a write failed: said once */
};

void		 audit_init(struct audit *);
/* audit_log's path (relative: under state_dir), "" when off; -1: too long. */
int		 audit_path(const struct config *, char *out, size_t len);
/*
 * Open (or reopen, after a rename or a reload) the file c names; off
 * when it names none. 0, or -1 with err: the log stays off.
 */
int		 audit_open(struct audit *, const struct config *c, char *err,
		    size_t errlen);
void		 audit_close(struct audit *);
/*
 * One line: {"time": ..., "event": event, then fields' members}; fields
 * is taken (may be NULL). Nothing when the log is off.
 */
void		 audit_event(struct audit *, const char *event, json_t *fields);
/* Once a second: fdatasync when something was written since. */
void		 audit_tick(struct audit *, int64_t now_ms);

#endif

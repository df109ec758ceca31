/*
 * daemon.h: iridiumd's context and its top-level loop.
 *
 * One struct daemon is passed to every part of the supervisor; there are
 * no globals beyond signal state and the log configuration.
 */
#ifndef IRIDIUM_DAEMON_H
#define IRIDIUM_DAEMON_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ev.h"
#include "listener.h"
#include "pool.h"

struct daemon {
	struct config	 cfg;
	unsigned	 generation;	/* bumped on every reload */
	struct evloop	 loop;
	struct ev	 ev_sig;
	struct ev	 ev_tick;
	int		 sigfd, tickfd;
	int		 devnull;
	struct listener_list listeners;
	struct worker_list graveyard;	/* freed after the loop turn */
	int64_t		 started_ms;
	int64_t		 session_seq;
	bool		 stopping;
	int64_t		 stop_deadline_ms;
	char		 build[MSG_BUILD_MAX + 1];
	/* workers drop to this identity; -1 when we are not root */
	int64_t		 uid, gid;
	char		 chroot[CONFIG_PATHLEN];
	bool		 worker_stderr;	/* pipe workers' fd 2 into the log */
};

int		 daemon_init(struct daemon *, const struct config *);
/* Run until shut down. Returns the exit status. */
int		 daemon_run(struct daemon *);
int64_t		 daemon_next_session(struct daemon *);

#endif

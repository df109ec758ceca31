/*
 * listener.h: listening sockets and the hand-off of accepted connections
 * to workers. The supervisor accepts, writes at most one fixed "busy"
 * line, and never reads a byte a client sent.
 */
#ifndef IRIDIUM_LISTENER_H
#define IRIDIUM_LISTENER_H

#include <bsd/sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include "config.h"
#include "ev.h"
#include "pool.h"

struct daemon;

struct listener {
	TAILQ_ENTRY(listener) entry;
	struct daemon	*d;
	struct listener_cfg cfg;
	int		 fd;
	struct ev	 ev;
	char		 bound[MSG_ADDR_MAX + 1];	/* "127.0.0.1:2244" */
	int		 bound_port;
	int64_t		 paused_until_ms;	/* EMFILE back-off */
	bool		 activated;	/* the socket came from systemd */
	bool		 draining;	/* a reload removed it: no accepts */
	struct pool	 pool;
	/* sessions: accepted = completed + rejected + failed + active */
	uint64_t	 accepted, completed, rejected, failed;
};

TAILQ_HEAD(listener_list, listener);

/* Bind and listen as cfg says. NULL with err on failure. */
struct listener	*listener_open(struct daemon *, const struct listener_cfg *,
		    char *err, size_t errlen);
void		 listener_close(struct listener *);
void		 listener_tick(struct listener *, int64_t now);
/* Stop accepting (shutdown): close the socket, keep the pool. */
void		 listener_stop(struct listener *);
/* Tell a connection we cannot serve it, in one line, and close it. */
void		 listener_refuse(struct listener *, int fd, const char *line);
/* Close a connection we will not serve without a word (counted too). */
void		 listener_drop(struct listener *, int fd);
/* Active sessions of this listener (queued + busy). */
uint64_t	 listener_active(const struct listener *);

#endif

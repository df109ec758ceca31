/*
 * listener.h: the listening sockets, and what happens to each accepted
 * connection: admission's verdict (admit.h), then its listener's pool
 * (pool.h), which hands it to a worker or lets it wait. The supervisor
 * accepts, writes at most one fixed line, and never reads a byte a
 * client sent.
 *
 * It owns struct listener, one per [listener NAME], with the pool it
 * embeds; the daemon keeps the list of them (daemon.h).
 */
#ifndef IRIDIUM_LISTENER_H
#define IRIDIUM_LISTENER_H

#include <bsd/sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include "admit.h"
#include "config.h"
#include "ctx.h"
#include "ev.h"
#include "pool.h"
#include "wproc.h"

struct listener {
	TAILQ_ENTRY(listener) entry;
	struct ctx	*ctx;
	struct admission *adm;
	struct listener_cfg cfg;
	int		 fd;
	struct ev	 ev;
	char		 bound[MSG_ADDR_MAX + 1];	/* "127.0.0.1:2244" */
	int		 bound_port;
	int64_t		 paused_until_ms;	/* EMFILE back-off */
	bool		 activated;	/* the socket came from systemd */
	bool		 draining;	/* a reload removed it: no accepts */
	struct pool	 pool;		/* its workers, its sessions' totals */
};

TAILQ_HEAD(listener_list, listener);

/*
 * Listen as cfg says: on fd when it is a socket systemd passed (socket
 * activation; taken over, even on failure), else bind a new one. Its
 * pool's workers come from wk. NULL with err on failure.
 */
struct listener	*listener_open(struct ctx *, struct admission *,
		    struct workers *wk, const struct listener_cfg *cfg, int fd,
		    char *err, size_t errlen);
void		 listener_close(struct listener *);
void		 listener_tick(struct listener *, int64_t now);
/* Stop accepting (shutdown): close the socket, keep the pool. */
void		 listener_stop(struct listener *);

#endif

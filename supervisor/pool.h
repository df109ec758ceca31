/*
 * pool.h: the pre-forked workers of one listener, and the connections
 * waiting for one of them (supervisor side).
 *
 * pool.c decides how many workers a pool has: a new worker for each idle
 * one a session takes, started once the loop turn that handed the session
 * over is done (pool_turn); the Apache prefork / PHP-FPM rule on top (fork
 * 1, 2, 4 ... 32 per tick while idle workers are short, retire one per
 * tick while there are too many); a pause after a worker dies before
 * `ready`. It owns its workers (wproc.h runs each one): it is told of
 * their states and their ends (struct wproc_owner), and handles their
 * `ready` and `pong`, after which a waiting connection may go to them.
 * It also keeps its listener's session totals, and refuses (one line,
 * then close) what it cannot serve.
 */
#ifndef IRIDIUM_POOL_H
#define IRIDIUM_POOL_H

#include <bsd/sys/queue.h>

#include <stdbool.h>
#include <stdint.h>

#include "admit.h"
#include "config.h"
#include "ctx.h"
#include "wproc.h"

/* Sessions of a listener, or of every listener a reload removed. */
struct session_totals {
	/* accepted = completed + rejected + failed + active */
	uint64_t	 accepted, completed, rejected, failed;
};

struct pool {
	struct ctx	*ctx;
	struct workers	*wk;
	struct admission *adm;
	const struct listener_cfg *lc;	/* its listener's */
	struct pool_cfg	 cfg;
	struct worker_list workers;
	struct worker_list idle;	/* its WS_IDLE workers, oldest first */
	unsigned	 nworkers, nstarting, nidle, nbusy, nstopping;
	unsigned	 owed;		/* idle workers sessions took, not yet
					   replaced (pool_turn) */
	unsigned	 batch;		/* workers to fork next tick */
	int64_t		 throttle_until_ms;
	uint64_t	 spawned;
	uint64_t	 ended[WEND_NKINDS];
	struct session_totals totals;	/* its listener's sessions */
	struct pending	*queue;		/* oldest first */
	unsigned	 qlen, qcap;
};

/*
 * Make pool.c the owner of every worker of wk (their life's events), and
 * the handler of their `ready` and `pong`.
 */
void		 pool_register(struct workers *);
int		 pool_init(struct pool *, struct ctx *, struct workers *,
		    struct admission *, const struct listener_cfg *lc);
void		 pool_free(struct pool *);
void		 pool_tick(struct pool *, int64_t now);
/*
 * After each turn of the event loop: start workers for the connections
 * waiting and for the idle workers sessions took, a few per turn. True
 * when more are due: the loop should turn again without waiting.
 */
bool		 pool_turn(struct pool *);
/*
 * A connection admitted (*q is copied): handed to an idle worker at once
 * when none waits before it, or queued. -1: no worker will be free for it
 * (every one max_workers allows is busy and cfg.queue connections wait
 * already); q is untouched, to be refused.
 */
int		 pool_take(struct pool *, const struct pending *q);
/*
 * Tell a connection we cannot serve it, in one line (none: NULL), and
 * close it; counted as rejected. The lines: BUSY_LINE (admit.h), or
 * SHUTDOWN_LINE.
 */
void		 pool_refuse(struct pool *, int fd, const char *line);
#define SHUTDOWN_LINE	"Server shutting down. Goodbye!\r\n"
/* Send `shutdown` to every worker (idle ones exit at once). */
void		 pool_shutdown(struct pool *, unsigned grace,
		    const char *reason);
/* New settings (reload): sizes apply from the next tick. -1: no memory. */
int		 pool_reconfigure(struct pool *, const struct pool_cfg *);
/*
 * Idle workers of older configuration generations. They take sessions
 * only when no current one is idle, and pool_tick retires them once the
 * current generation has min_spare ready (pool.c).
 */
unsigned	 pool_stale(const struct pool *);
/* Its listener is gone: keep no spares, serve what is queued, drain. */
void		 pool_drain(struct pool *);
/* Sessions this pool serves or holds (busy workers and queued). */
unsigned	 pool_sessions(const struct pool *);

#endif

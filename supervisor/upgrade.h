/*
 * upgrade.h: iridiumctl upgrade (and SIGUSR2): every worker replaced by
 * the program now on disk, the sessions going on.
 *
 * The generation goes up, as a reload's does: idle workers of older
 * generations are retired and new ones start from the files on disk
 * (pool.c). Each busy line session is marked; after each turn of the
 * loop, as fresh idle workers come, a marked session's worker and a
 * fresh one get the two ends of a socketpair (`handover`, `takeover`):
 * at its next prompt the old worker writes its client socket and its
 * state into it; the new one checks them, says `taken`, and serves the
 * client from then on, the client told in one line. The supervisor never
 * reads the state; it moves the session's records (its id, its holds,
 * its counts) only once `taken` says ok. A move that fails (refused, a
 * worker gone, no answer in UPGRADE_MOVE_MS) leaves the session in its
 * old worker, serving as before.
 *
 * An ssh session cannot move: its keys live in the worker that made
 * them. Each logged-in one is told to reconnect (`reconnect`) and stays
 * detached for its tenant's resume_window (resume.h); with a window of 0
 * it ends, told why. A detached session is moved when it is resumed.
 *
 * The supervisor itself is not replaced: a new iridiumd needs a restart
 * (iridiumd(8), UPGRADE). A worker of another build than the supervisor
 * is refused as always, and the sessions stay where they are.
 */
#ifndef IRIDIUM_UPGRADE_H
#define IRIDIUM_UPGRADE_H

#include <stdbool.h>
#include <stdint.h>

#include "admit.h"
#include "ctx.h"
#include "pool.h"
#include "resume.h"
#include "wproc.h"

/* A taker that has not said `taken` by then is killed. */
#define UPGRADE_MOVE_MS		40000
/* Moves under way at once, per pool. */
#define UPGRADE_MOVES_MAX	8

struct upgrade {
	struct ctx	*ctx;
	struct workers	*wk;
	struct resume	*resume;	/* the ssh sessions' windows */
	struct admission *adm;		/* the quota lines of a taker */
	unsigned	 generation;	/* the one under way; 0: none */
	uint64_t	 upgrades;	/* asked for */
	uint64_t	 moved;		/* line sessions moved */
	uint64_t	 failed;	/* ... that stayed where they were */
	uint64_t	 reconnected;	/* ssh sessions told to reconnect */
};

/* What an upgrade found to do. */
struct upgrade_plan {
	unsigned	 generation;	/* the new one */
	unsigned	 line;		/* line sessions to move */
	unsigned	 ssh;		/* ssh sessions told to reconnect */
	unsigned	 ssh_ended;	/* ... ended (resume_window 0) */
	unsigned	 idle;		/* idle workers to be replaced */
};

void		 upgrade_init(struct upgrade *, struct ctx *, struct workers *,
		    struct resume *, struct admission *);
/* Handle the workers' `taken`. */
void		 upgrade_register(struct upgrade *);
/* Start one: the generation goes up (plan->generation). */
void		 upgrade_begin(struct upgrade *, struct upgrade_plan *);
/* ... and its part in pool p: sessions marked, ssh ones told. */
void		 upgrade_pool(struct upgrade *, struct pool *p,
		    struct upgrade_plan *);
/* After each turn of the loop: moves to fresh idle workers of p. */
void		 upgrade_turn(struct upgrade *, struct pool *p);
/*
 * Once a second, per pool: moves past UPGRADE_MOVE_MS ended. Returns the
 * sessions of p still to move.
 */
unsigned	 upgrade_tick(struct upgrade *, struct pool *p, int64_t now);
/* After upgrade_tick of every pool: left, the sessions still to move. */
void		 upgrade_settle(struct upgrade *, unsigned left);

#endif

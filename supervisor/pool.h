/*
 * pool.h: pre-forked workers, one pool per listener (supervisor side).
 *
 * pool.c decides how many workers a pool has: a new worker for each idle
 * one a session takes, started once the loop turn that handed the session
 * over is done (pool_turn); the Apache prefork / PHP-FPM rule on top (fork
 * 1, 2, 4 ... 32 per tick while idle workers are short, retire one per
 * tick while there are too many); a pause after a worker dies before
 * `ready`. wproc.c runs one worker process: its start (through the
 * spawner, spawner.h), its channel (every message validated, every peer
 * untrusted), pings, reaping.
 */
#ifndef IRIDIUM_POOL_H
#define IRIDIUM_POOL_H

#include <bsd/sys/queue.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "admit.h"
#include "auth.h"
#include "config.h"
#include "ev.h"
#include "msg.h"
#include "spawner.h"
#include "status.h"

struct daemon;
struct listener;
struct pool;

/* Why the supervisor killed a worker, so its death is told right. */
enum wkill {
	WKILL_NONE,
	WKILL_PROTOCOL,		/* broke the protocol */
	WKILL_UNRESPONSIVE,	/* did not answer pings */
	WKILL_READY_TIMEOUT,	/* never said ready */
	WKILL_GRACE,		/* still there after shutdown's grace */
	WKILL_BUILD,		/* build id mismatch */
	WKILL_ADMIN,		/* iridiumctl kill */
};

/*
 * How a worker's life ended, counted per pool (the list is in status.h):
 * NORMAL exit 0 after its session or retirement; BEFORE_READY died before
 * `ready`; CRASH a signal we did not send; SANDBOX SIGSYS, the sandbox
 * killed it; KILLED we killed it; FAILED non-zero exit; CPU its CPU limit.
 */
enum wend {
#define WEND_ENUM(E, json, words)	WEND_##E,
	STATUS_EXIT_KINDS(WEND_ENUM)
#undef WEND_ENUM
	WEND_NKINDS
};

struct ratelimit {
	int64_t		 window_ms;	/* start of the current second */
	unsigned	 count;		/* events in it */
	unsigned	 dropped;	/* since the last report */
};

struct worker {
	TAILQ_ENTRY(worker) entry;
	TAILQ_ENTRY(worker) idle_entry;	/* in pool.idle while WS_IDLE */
	struct spawn_wait spawn;	/* waiting for the spawner */
	struct pool	*pool;
	pid_t		 pid;		/* 0 until the spawner says */
	int64_t		 uid;		/* its own uid and gid (uidpool.h);
					   -1: the daemon's shared one */
	int		 chan;		/* our end of the socketpair */
	int		 errfd;		/* its stderr pipe, or -1 */
	struct ev	 ev_chan;
	struct ev	 ev_err;
	unsigned	 state;		/* enum msg_wstate */
	unsigned	 generation;	/* config generation of its hello */
	int64_t		 spawned_ms, ready_ms, busy_ms;
	int64_t		 busy_unix;	/* wall clock at its session */
	bool		 reaped;

	/* its session */
	int64_t		 session_id;
	char		 peer[MSG_ADDR_MAX + 1];
	char		 tenant[MSG_NAME_MAX + 1];
	bool		 ended;		/* got session_end */
	char		 end_reason[32];
	struct msg_counters counters;	/* latest status / session_end */
	int64_t		 counters_ms;	/* when they came */
	bool		 admin_kill;	/* iridiumctl kill: ending it */
	struct auth_state auth;		/* ssh: the login, as we decided it */
	bool		 negotiated;	/* ssh: its `negotiated` came */
	struct msg_negotiated nego;	/* ... validated, as it said */
	struct admit_hold hold;		/* what it counts against (admit.h) */
	bool		 proxy;		/* a PROXY header comes first */
	bool		 peer_seen;	/* its `peer` came: peer is the real
					   client */
	char		 via[MSG_ADDR_MAX + 1];	/* then: the balancer */
	uint64_t	 cpu_limit;	/* seconds, of its session; 0: none */

	/*
	 * The hand-off: the client's fd stays ours until the worker says
	 * it took its session (its first `status`), so that a worker that
	 * never does (stopped, dead) cannot lose the connection: it goes
	 * to another worker (wproc_take_back).
	 */
	int		 handoff_fd;	/* -1: none pending */
	int64_t		 handoff_ms;	/* when it was handed */
	int64_t		 waiting_ms;	/* when the connection began to wait */

	/* liveness */
	int64_t		 ping_seq;
	int64_t		 ping_sent_ms;	/* 0: none outstanding */
	int64_t		 ping_last_ms;	/* when the last pong came */
	bool		 unresponsive;
	int64_t		 kill_at_ms;	/* 0: no deadline */
	enum wkill	 killed;

	/* an untrusted peer's budget */
	struct ratelimit msgs;
	struct ratelimit logs;
	char		 errline[512];	/* a partial stderr line */
	size_t		 errlen;
};

TAILQ_HEAD(worker_list, worker);

/* A connection waiting for a worker. */
struct pending {
	int		 fd;
	char		 peer[MSG_ADDR_MAX + 1];
	int64_t		 since_ms;	/* waiting since (queue_timeout) */
	struct admit_hold hold;
	int64_t		 session_id;	/* 0: none given yet */
	/*
	 * A worker it was handed to never took it: from then on it goes
	 * only to a worker that has shown it is alive since (a `ready` or
	 * a `pong` after this time).
	 */
	int64_t		 retry_ms;	/* 0: never handed */
};

struct pool {
	struct listener	*lst;
	struct daemon	*d;
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
	struct pending	*queue;		/* oldest first */
	unsigned	 qlen, qcap;
};

/* pool.c */
int		 pool_init(struct pool *, struct daemon *, struct listener *,
		    const struct pool_cfg *);
void		 pool_free(struct pool *);
void		 pool_tick(struct pool *, int64_t now);
/*
 * An idle worker that may be handed a session: none with a ping
 * unanswered for handoff_timeout; those with no ping outstanding and of
 * the current configuration first. proven: only a worker that said
 * `ready` or answered a ping at or after this time (0: any).
 */
struct worker	*pool_idle_worker(struct pool *, int64_t proven);
/*
 * After each turn of the event loop: start workers for the connections
 * waiting and for the idle workers sessions took, a few per turn. True
 * when more are due: the loop should turn again without waiting.
 */
bool		 pool_turn(struct pool *);
void		 pool_set_state(struct worker *, unsigned state);
void		 pool_worker_gone(struct worker *, enum wend);
void		 pool_spawn_failed(struct pool *, const char *path, int err);
/* A worker whose program never started: as if never spawned. */
void		 pool_worker_unspawned(struct worker *);
/* Hand queued connections to idle workers, oldest first. */
void		 pool_drain_queue(struct pool *);
/*
 * Whether one more connection may wait: every worker max_workers allows
 * is busy and cfg.queue connections wait already, or not.
 */
bool		 pool_can_wait(const struct pool *);
/* Queue a connection (*q is copied); -1 when pool_can_wait() says no. */
int		 pool_enqueue(struct pool *, const struct pending *q);
/*
 * A connection a worker never took, first in line again whatever the
 * queue holds (it was admitted once); refused when shutting down or
 * when memory is short.
 */
void		 pool_requeue(struct pool *, const struct pending *q);
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

/* wproc.c */
/* Ask the spawner for a worker; it is WS_STARTING until it says ready. */
struct worker	*wproc_spawn(struct pool *);
/*
 * The spawner's answer (spawn_answer in spawner.h), cookie a worker: its
 * pid, or -1 with err (its program did not start). early: it died before
 * this answer came.
 */
void		 wproc_spawned(void *arg, void *cookie, pid_t pid, int err,
		    const struct spawn_early *early);
/*
 * Hand q's connection to an idle worker with a `session`. 0: w holds the
 * connection now (q->fd is -1, q->hold emptied) until it takes it or it
 * goes back to the queue; -1: w is killed and q is untouched.
 */
int		 wproc_session(struct worker *, struct pending *q);
void		 wproc_kill(struct worker *, enum wkill, const char *why);
void		 wproc_shutdown(struct worker *, unsigned grace,
		    const char *reason);
/* iridiumctl kill: `shutdown`, then SIGKILL after the pool's grace. */
void		 wproc_end_session(struct worker *);
void		 wproc_tick(struct worker *, int64_t now);
/* A child exited: drain its channel, classify, log, free later. */
void		 wproc_reaped(struct worker *, int status,
		    const struct rusage *);
const char	*wend_name(enum wend);
/* "starting", "idle", "busy", "stopping". */
const char	*wstate_name(unsigned state);

#endif

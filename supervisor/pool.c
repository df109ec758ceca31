/*
 * pool.c: how many workers a pool keeps, and the queue of connections
 * waiting for one (see pool.h).
 *
 * Each idle worker a session takes is replaced at once, so a pool holds
 * min_spare idle workers however fast connections come (within
 * max_workers): the next connection finds a worker that is already
 * waiting, not one that starts for it. The replacements are started after
 * the loop turn that handed the sessions over (pool_turn), so spawning
 * never delays a hand-off of the same turn, and at most SPAWNS_PER_TURN
 * per turn, so a burst of them does not hold up the accepts of the next
 * turn either: the loop turns again at once while some are due.
 *
 * On top of that, every tick (1 s) a pool still short of idle workers
 * (start-up, a reload, workers that died) forks 1, 2, 4 ... up to 32 (the
 * batch doubles while the shortage lasts, the rule Apache prefork and
 * PHP-FPM share) and a pool with too many idle workers retires one. A
 * worker that dies before `ready` pauses spawning for cfg.throttle seconds
 * (Postfix's rule), so a broken worker binary cannot make us spin.
 *
 * A connection that finds no idle worker waits in the pool's queue, up to
 * queue_timeout, and goes to the first worker that becomes idle (its
 * `ready`) or proves alive again (its `pong`); one its worker never took
 * comes back here, first in line (requeue).
 */
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "admit.h"
#include "log.h"
#include "pool.h"
#include "wproc.h"

#define BATCH_MAX	32
/*
 * Spawns asked for between two looks at the listeners: each costs the loop
 * a socketpair, hello and a message to the spawner (spawner.h), not the
 * worker's start, which the loop never waits for.
 */
#define SPAWNS_PER_TURN	4

int
pool_init(struct pool *p, struct ctx *ctx, struct workers *wk,
    struct admission *adm, const struct listener_cfg *lc)
{
	memset(p, 0, sizeof(*p));
	p->ctx = ctx;
	p->wk = wk;
	p->adm = adm;
	p->lc = lc;
	p->cfg = lc->pool;
	p->batch = 1;
	TAILQ_INIT(&p->workers);
	TAILQ_INIT(&p->idle);
	return 0;
}

void
pool_refuse(struct pool *p, int fd, const char *line)
{
	/* One try, never blocking: a client that cannot take it loses it. */
	if (line != NULL && send(fd, line, strlen(line), MSG_DONTWAIT |
	    MSG_NOSIGNAL) == -1)
		log_debug("listener %s: refusal line: %s", p->lc->name,
		    strerror(errno));
	close(fd);
	p->totals.rejected++;
}

void
pool_free(struct pool *p)
{
	unsigned	 i;

	for (i = 0; i < p->qlen; i++) {
		admit_release(p->adm, &p->queue[i].hold);
		close(p->queue[i].fd);
	}
	p->qlen = p->qcap = 0;
	free(p->queue);
	p->queue = NULL;
}

static unsigned *
state_counter(struct pool *p, unsigned state)
{
	switch (state) {
	case WS_STARTING:
		return &p->nstarting;
	case WS_IDLE:
		return &p->nidle;
	case WS_BUSY:
		return &p->nbusy;
	case WS_STOPPING:
		return &p->nstopping;
	}
	return NULL;
}

/* Take w, in state, out of that state's count (and the idle list). */
static void
leave_state(struct pool *p, struct worker *w, unsigned state)
{
	unsigned	*c;

	if ((c = state_counter(p, state)) != NULL)
		(*c)--;
	if (state == WS_IDLE)
		TAILQ_REMOVE(&p->idle, w, idle_entry);
}

/*
 * Pause spawning for cfg.throttle seconds (Postfix's rule), starting over
 * at a batch of one, and say why: "pool NAME: WHY; spawning paused for Ns".
 */
static void
throttle(struct pool *p, const char *why)
{
	int64_t	 now = ev_now_ms();

	/* Said once per pause: a batch failing together is one event. */
	if (now >= p->throttle_until_ms)
		log_warnx("pool %s: %s; spawning paused for %us",
		    p->lc->name, why, p->cfg.throttle);
	p->throttle_until_ms = now + (int64_t)p->cfg.throttle * 1000;
	p->batch = 1;
}

/*
 * The worker program could not be started at all (exec failed: removed or
 * replaced by a broken file after start-up, or no memory or processes
 * left): the same pause as for a worker that dies before `ready`.
 */
static void
spawn_failed(struct pool *p, int err)
{
	char	 why[PATH_MAX + 128];

	snprintf(why, sizeof(why), "cannot start worker %s: %s",
	    wproc_program(p->wk, p->lc), strerror(err));
	throttle(p, why);
}

/* Take w out of the pool. */
static void
detach(struct pool *p, struct worker *w)
{
	leave_state(p, w, w->state);
	w->state = 0;
	TAILQ_REMOVE(&p->workers, w, entry);
	p->nworkers--;
}

static bool
throttled(const struct pool *p, int64_t now)
{
	return p->ctx->stopping || now < p->throttle_until_ms;
}

/* Start up to n workers; how many were started. */
static unsigned
spawn(struct pool *p, unsigned n)
{
	struct worker	*w;
	unsigned	 done = 0;
	int		 err;

	while (done < n && p->nworkers < p->cfg.max_workers) {
		if ((w = wproc_spawn(p->wk, p, p->lc, &p->cfg,
		    &err)) == NULL) {
			if (err != 0)
				spawn_failed(p, err);
			break;
		}
		TAILQ_INSERT_TAIL(&p->workers, w, entry);
		p->nworkers++;
		p->spawned++;
		done++;
	}
	return done;
}

bool
pool_turn(struct pool *p)
{
	unsigned	 queued, owed, avail, n, done;

	if (throttled(p, ev_now_ms())) {
		p->owed = 0;
		return false;
	}
	/* One starting worker per waiting connection, no more. */
	queued = p->qlen > p->nstarting ? p->qlen - p->nstarting : 0;
	/* Then those sessions took: min_spare idle once the queue is served. */
	avail = p->nidle + p->nstarting + queued - p->qlen;
	owed = avail < p->cfg.min_spare ? p->cfg.min_spare - avail : 0;
	if (owed > p->owed)
		owed = p->owed;
	p->owed = owed;		/* the rest is no longer needed */
	if (queued + owed == 0)
		return false;
	n = queued + owed < SPAWNS_PER_TURN ? queued + owed : SPAWNS_PER_TURN;
	done = spawn(p, n);
	if (done > queued)
		p->owed -= done - queued;
	/* Short of n: max_workers, or spawning failed and is paused. */
	return done == n && queued + owed > n;
}

/* How fit w is to take a session now: 0 not at all, else higher better. */
static int
idle_fitness(const struct pool *p, const struct worker *w, int64_t now,
    int64_t proven)
{
	int64_t	 lived = w->ping_last_ms > w->ready_ms ? w->ping_last_ms :
		    w->ready_ms;
	int	 fit = 1;

	/*
	 * A reaped worker's last words (a `ready`, a `pong`) are read as it
	 * is reaped, and may make it idle and proven: it takes nothing, and
	 * cannot be killed for failing to (wproc_kill ignores the dead).
	 */
	if (w->reaped || w->killed != WKILL_NONE || w->unresponsive)
		return 0;
	if (proven != 0 && lived < proven)
		return 0;
	if (w->ping_sent_ms != 0) {
		/* Asked and not answered: it may be stopped. */
		if (now - w->ping_sent_ms >= (int64_t)p->cfg.handoff_timeout *
		    1000)
			return 0;
	} else
		fit += 2;
	if (w->generation == p->ctx->generation)
		fit++;
	return fit;
}

/*
 * An idle worker that may be handed a session: none with a ping
 * unanswered for handoff_timeout; those with no ping outstanding and of
 * the current configuration first. proven: only a worker that said
 * `ready` or answered a ping at or after this time (0: any).
 */
static struct worker *
idle_worker(struct pool *p, int64_t proven)
{
	struct worker	*w, *best = NULL;
	int64_t		 now = ev_now_ms();
	int		 fit, bestfit = 0;

	/* The oldest of the fittest. */
	TAILQ_FOREACH(w, &p->idle, idle_entry) {
		if ((fit = idle_fitness(p, w, now, proven)) > bestfit) {
			best = w;
			bestfit = fit;
		}
	}
	return best;
}

/* Hand q's connection to w: 0, or -1 (w is killed, q untouched). */
static int
hand(struct pool *p, struct worker *w, struct pending *q)
{
	char	 quota[512];

	return wproc_session(w, q, admit_quota(p->adm, &q->hold, quota,
	    sizeof(quota)));
}

/* Room for one more entry in the queue's array. -1: no memory. */
static int
queue_room(struct pool *p)
{
	struct pending	*q;
	unsigned	 ncap;

	if (p->qlen < p->qcap)
		return 0;
	ncap = p->qcap != 0 ? p->qcap * 2 : 16;
	if ((q = reallocarray(p->queue, ncap, sizeof(*q))) == NULL)
		return -1;
	p->queue = q;
	p->qcap = ncap;
	return 0;
}

/*
 * Whether one more connection may wait: every worker max_workers allows
 * is busy and cfg.queue connections wait already, or not.
 */
static bool
can_wait(const struct pool *p)
{
	unsigned	 room;

	/* One waits for each worker starting or that may still start. */
	room = p->cfg.max_workers > p->nworkers ?
	    p->cfg.max_workers - p->nworkers : 0;
	return p->qlen < p->cfg.queue + p->nstarting + room;
}

/* Hand queued connections to idle workers, oldest first. */
static void
drain_queue(struct pool *p)
{
	struct worker	*w;

	while (p->qlen > 0 &&
	    (w = idle_worker(p, p->queue[0].retry_ms)) != NULL) {
		if (hand(p, w, &p->queue[0]) == -1)
			continue;	/* w is dead; the connection waits on */
		memmove(&p->queue[0], &p->queue[1],
		    (p->qlen - 1) * sizeof(p->queue[0]));
		p->qlen--;
	}
}

int
pool_take(struct pool *p, const struct pending *conn)
{
	struct worker	*w;
	struct pending	 q = *conn;

	/* Behind others waiting: in line after them. */
	while (p->qlen == 0 && (w = idle_worker(p, 0)) != NULL)
		if (hand(p, w, &q) == 0)
			return 0;
	if (!can_wait(p) || queue_room(p) == -1)
		return -1;
	p->queue[p->qlen++] = q;
	/* A worker starts for it after this turn (pool_turn). */
	log_debug("listener %s: no idle worker; %s queued (%u waiting)",
	    p->lc->name, q.peer, p->qlen);
	drain_queue(p);
	return 0;
}

/*
 * A connection a worker never took, first in line again whatever the
 * queue holds (it was admitted once); refused when shutting down or
 * when memory is short.
 */
static void
requeue(struct pool *p, const struct pending *q)
{
	struct pending	 c = *q;

	if (p->ctx->stopping || queue_room(p) == -1) {
		if (!p->ctx->stopping)
			log_warn("pool %s: queue", p->lc->name);
		admit_release(p->adm, &c.hold);
		pool_refuse(p, c.fd, p->ctx->stopping ? SHUTDOWN_LINE :
		    BUSY_LINE);
		return;
	}
	memmove(&p->queue[1], &p->queue[0], p->qlen * sizeof(p->queue[0]));
	p->queue[0] = c;
	p->qlen++;
}

static void
queue_expire(struct pool *p, int64_t now)
{
	unsigned	 i = 0;

	while (i < p->qlen) {
		if (now - p->queue[i].since_ms <
		    (int64_t)p->cfg.queue_timeout * 1000) {
			i++;
			continue;
		}
		admit_log_refusal(p->adm, "queue timeout", "pool %s: "
		    "connection from %s waited %us for a worker: refused",
		    p->lc->name, p->queue[i].peer, p->cfg.queue_timeout);
		admit_release(p->adm, &p->queue[i].hold);
		pool_refuse(p, p->queue[i].fd, BUSY_LINE);
		memmove(&p->queue[i], &p->queue[i + 1],
		    (p->qlen - i - 1) * sizeof(p->queue[0]));
		p->qlen--;
	}
}

/* --- its workers' events (struct wproc_owner) and messages -------------- */

static void
worker_state(struct worker *w, unsigned from)
{
	struct pool	*p = w->pool;
	unsigned	*c;

	/* An idle worker went to a session: the pool owes a new one. */
	if (from == WS_IDLE && w->state == WS_BUSY)
		p->owed++;
	leave_state(p, w, from);
	if ((c = state_counter(p, w->state)) != NULL)
		(*c)++;
	if (w->state == WS_IDLE)
		TAILQ_INSERT_TAIL(&p->idle, w, idle_entry);
}

static void
worker_unspawned(struct worker *w, int err)
{
	struct pool	*p = w->pool;

	detach(p, w);
	p->spawned--;
	if (err != 0)
		spawn_failed(p, err);
}

/*
 * w never took the connection handed to it: it waits again, and every
 * other idle worker not asked already is pinged, since after a hand-off
 * that was never taken the others may be stopped too; they are told
 * apart (idle_fitness, wproc_tick) before they get a session. A fresh
 * worker starts for it (pool_turn) if no idle one answers.
 */
static void
worker_requeue(struct worker *w, const struct pending *q)
{
	struct pool	*p = w->pool;
	struct worker	*v;
	int64_t		 now = ev_now_ms();

	requeue(p, q);
	TAILQ_FOREACH(v, &p->idle, idle_entry)
		wproc_ping(v, now);
}

static void
worker_gone(struct worker *w, enum wend kind, int status,
    enum wsession outcome)
{
	struct pool	*p = w->pool;
	char		 why[64];

	/* Its source's penalty, if it earned one; its holds back. */
	admit_reaped(p->adm, w, kind, status);
	switch (outcome) {
	case WSESSION_COMPLETED:
		p->totals.completed++;
		break;
	case WSESSION_REJECTED:
		p->totals.rejected++;
		break;
	case WSESSION_FAILED:
		p->totals.failed++;
		break;
	case WSESSION_NONE:
		break;
	}
	detach(p, w);
	p->ended[kind]++;
	if (kind == WEND_BEFORE_READY && !p->ctx->stopping) {
		snprintf(why, sizeof(why), "worker %d died before it was ready",
		    (int)w->pid);
		throttle(p, why);
	}
	/* Someone waiting for the room it held gets it in pool_turn(). */
}

/* `ready`: an idle worker more, for the connections waiting. */
static int
worker_ready(void *arg, struct worker *w, const struct msg *m, char *err,
    size_t errlen)
{
	(void)arg;
	(void)m;
	(void)err;
	(void)errlen;
	drain_queue(w->pool);
	return 0;
}

/* A `pong` to our ping: proven alive, a connection handed back may go. */
static int
worker_pong(void *arg, struct worker *w, const struct msg *m, char *err,
    size_t errlen)
{
	(void)arg;
	(void)m;
	(void)err;
	(void)errlen;
	if (w->state == WS_IDLE && w->pool->qlen > 0)
		drain_queue(w->pool);
	return 0;
}

static const struct wproc_owner pool_owner = {
	.state = worker_state,
	.unspawned = worker_unspawned,
	.requeue = worker_requeue,
	.gone = worker_gone,
};

void
pool_register(struct workers *wk)
{
	wproc_set_owner(wk, &pool_owner);
	wproc_handle(wk, MSG_READY, worker_ready, NULL);
	wproc_handle(wk, MSG_PONG, worker_pong, NULL);
}

/* --- the pool's size ---------------------------------------------------- */

static void
retire_one(struct pool *p)
{
	struct worker	*w;

	/* The oldest idle worker goes first. */
	TAILQ_FOREACH(w, &p->idle, idle_entry) {
		if (w->killed == WKILL_NONE) {
			log_debug("pool %s: retiring idle worker %d",
			    p->lc->name, (int)w->pid);
			wproc_shutdown(w, 0, "retired");
			return;
		}
	}
}
/*
 * Spare workers by generation: idle and starting ones of the current
 * configuration, and idle ones of older generations ("stale").
 */
struct spare {
	unsigned	 idle, starting, stale;
};

static void
count_spare(const struct pool *p, struct spare *s)
{
	const struct worker	*w;

	memset(s, 0, sizeof(*s));
	TAILQ_FOREACH(w, &p->workers, entry) {
		if (w->killed != WKILL_NONE)
			continue;
		if (w->generation != p->ctx->generation)
			s->stale += w->state == WS_IDLE;
		else if (w->state == WS_IDLE)
			s->idle++;
		else if (w->state == WS_STARTING)
			s->starting++;
	}
}

/*
 * After a reload, stale idle workers go on taking sessions (the session
 * message brings the new limits) until the current generation has its
 * min_spare ready: then they are all retired. Before that, only as many
 * as the replacements need room under max_workers. So a reload never
 * leaves a pool without a worker, however often it comes, and the new
 * `hello` (log level, host key) reaches every new session within a tick
 * of the replacements being ready.
 */
static void
retire_stale(struct pool *p, struct spare *s)
{
	struct worker	*w, *tmp;
	unsigned	 want = 0, short_by = 0, room = 0;

	if (s->stale == 0)
		return;
	if (s->idle >= p->cfg.min_spare)
		want = s->stale;
	else {
		short_by = p->cfg.min_spare - s->idle - s->starting;
		if (p->cfg.max_workers > p->nworkers)
			room = p->cfg.max_workers - p->nworkers;
		if (short_by > room)
			want = short_by - room;
	}
	TAILQ_FOREACH_SAFE(w, &p->workers, entry, tmp) {
		if (want == 0)
			break;
		if (w->state != WS_IDLE || w->killed != WKILL_NONE ||
		    w->generation == p->ctx->generation)
			continue;
		wproc_shutdown(w, 0, "configuration reloaded");
		s->stale--;
		want--;
	}
}

void
pool_tick(struct pool *p, int64_t now)
{
	struct worker	*w, *tmp;
	struct spare	 s;
	unsigned	 avail, n;

	TAILQ_FOREACH_SAFE(w, &p->workers, entry, tmp) {
		admit_tick_worker(p->adm, w, now);
		wproc_tick(w, now);
	}
	queue_expire(p, now);
	if (throttled(p, now))
		return;

	count_spare(p, &s);
	retire_stale(p, &s);
	avail = s.idle + s.starting;
	if (avail < p->cfg.min_spare && p->nworkers < p->cfg.max_workers) {
		n = p->cfg.min_spare - avail;
		if (n > p->batch)
			n = p->batch;
		spawn(p, n);
		if (p->batch < BATCH_MAX)
			p->batch *= 2;
	} else {
		p->batch = 1;
	}
	if (p->nidle > p->cfg.max_spare)
		retire_one(p);
	/* The queue's workers come in pool_turn(), after this tick. */
}

int
pool_reconfigure(struct pool *p, const struct pool_cfg *cfg)
{
	/* Queued connections stay queued even if the queue shrinks. */
	p->cfg = *cfg;
	p->batch = 1;
	return 0;
}

unsigned
pool_stale(const struct pool *p)
{
	struct spare	 s;

	count_spare(p, &s);
	return s.stale;
}

void
pool_drain(struct pool *p)
{
	struct worker	*w;

	p->cfg.min_spare = 0;
	p->cfg.max_spare = 0;
	TAILQ_FOREACH(w, &p->workers, entry)
		if (w->killed == WKILL_NONE && (w->state == WS_IDLE ||
		    (w->state == WS_STARTING && p->qlen == 0)))
			wproc_shutdown(w, 0, "listener removed");
}

unsigned
pool_sessions(const struct pool *p)
{
	const struct worker	*w;
	unsigned		 n = p->qlen;

	TAILQ_FOREACH(w, &p->workers, entry)
		if (w->session_id != 0 && !w->reaped)
			n++;
	return n;
}

void
pool_shutdown(struct pool *p, unsigned grace, const char *reason)
{
	struct worker	*w;
	unsigned	 i;

	for (i = 0; i < p->qlen; i++) {
		admit_release(p->adm, &p->queue[i].hold);
		pool_refuse(p, p->queue[i].fd, SHUTDOWN_LINE);
	}
	p->qlen = 0;
	TAILQ_FOREACH(w, &p->workers, entry)
		wproc_shutdown(w, w->state == WS_BUSY ? grace : 0, reason);
}

/*
 * wproc.c: one worker process, seen from the supervisor (see pool.h).
 *
 * Workers are started by the spawner (spawner.h) with the exec contract
 * of DESIGN.md: fds 0 and 1 on /dev/null, fd 2 on /dev/null or a pipe we
 * log, the channel on fd 3, nothing else open, default signal
 * dispositions, an empty mask and a minimal environment. From then on a
 * worker is untrusted: every message is validated against the table for
 * its state, reads are budgeted per wakeup and per second, sends never
 * block, log lines are rate-limited and escaped, and a worker that breaks
 * a rule is killed and logged.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "admit.h"
#include "auth.h"
#include "daemon.h"
#include "escape.h"
#include "listener.h"
#include "log.h"
#include "msg.h"
#include "pool.h"
#include "spawner.h"

#define MSGS_PER_WAKEUP		32	/* then back to the loop */
#define MSGS_PER_SECOND		2000	/* more is a flood: killed */
#define LOGS_PER_SECOND		20	/* more are dropped, counted */
#define TITLE_PAD		160	/* argv room for setproctitle */

static const char *const wend_names[WEND_NKINDS] = {
#define WEND_WORDS(E, json, words)	[WEND_##E] = words,
	STATUS_EXIT_KINDS(WEND_WORDS)
#undef WEND_WORDS
};

static const char *const wkill_names[] = {
	[WKILL_NONE] = "",
	[WKILL_PROTOCOL] = "protocol violation",
	[WKILL_UNRESPONSIVE] = "unresponsive",
	[WKILL_READY_TIMEOUT] = "no ready in time",
	[WKILL_GRACE] = "still running after the shutdown grace",
	[WKILL_BUILD] = "build mismatch",
	[WKILL_ADMIN] = "killed by the administrator",
};

const char *
wend_name(enum wend e)
{
	return e < WEND_NKINDS ? wend_names[e] : "unknown";
}

const char *
wstate_name(unsigned state)
{
	switch (state) {
	case WS_STARTING:
		return "starting";
	case WS_IDLE:
		return "idle";
	case WS_BUSY:
		return "busy";
	case WS_STOPPING:
		return "stopping";
	}
	return "unknown";
}

/* "worker 1234" or "worker 1234 session 17" for log lines. */
static const char *
wname(const struct worker *w)
{
	static char	 buf[96];

	if (w->session_id != 0)
		snprintf(buf, sizeof(buf), "worker %d session %lld",
		    (int)w->pid, (long long)w->session_id);
	else
		snprintf(buf, sizeof(buf), "worker %d", (int)w->pid);
	return buf;
}

/* True when one more event fits this second's budget. */
static bool
rl_take(struct ratelimit *rl, int64_t now, unsigned per_second)
{
	if (now - rl->window_ms >= 1000) {
		rl->window_ms = now;
		rl->count = 0;
	}
	if (rl->count >= per_second) {
		rl->dropped++;
		return false;
	}
	rl->count++;
	return true;
}

/* Log one untrusted line from a worker, escaped and rate-limited. */
static void
log_untrusted(struct worker *w, int prio, const char *what, const char *s,
    size_t len)
{
	char	 vis[1024], own[40];
	int64_t	 now = ev_now_ms();

	if (now - w->logs.window_ms >= 1000 && w->logs.dropped > 0) {
		log_warnx("%s: %u log line%s dropped (over %d per second)",
		    wname(w), w->logs.dropped, plural(w->logs.dropped),
		    LOGS_PER_SECOND);
		w->logs.dropped = 0;
	}
	if (!rl_take(&w->logs, now, LOGS_PER_SECOND))
		return;
	/* Its "session N: " is in our prefix already (wname). */
	if (w->session_id != 0) {
		snprintf(own, sizeof(own), "session %lld: ",
		    (long long)w->session_id);
		if (len >= strlen(own) && strncmp(s, own, strlen(own)) == 0) {
			s += strlen(own);
			len -= strlen(own);
		}
	}
	escape_untrusted(vis, sizeof(vis), s, len);
	/* A worker may not raise alarms above "err". */
	if (prio < LOG_ERR)
		prio = LOG_ERR;
	log_msg(prio, "%s%s: %s", wname(w), what, vis);
}

/* --- spawning ------------------------------------------------------------ */

static void	chan_cb(struct ev *, uint32_t);
static void	chan_read(struct worker *, int);
static void	send_ping(struct worker *, int64_t);
static void	err_cb(struct ev *, uint32_t);

static void
send_hello(struct worker *w)
{
	struct pool		*p = w->pool;
	struct daemon		*d = p->d;
	struct msg_hello	 h;
	char			 err[256];

	memset(&h, 0, sizeof(h));
	strlcpy(h.build, d->build, sizeof(h.build));
	strlcpy(h.transport, p->lst->cfg.transport, sizeof(h.transport));
	strlcpy(h.listener, p->lst->cfg.name, sizeof(h.listener));
	h.uid = w->uid != -1 ? w->uid : d->uid;
	h.gid = w->uid != -1 ? w->uid : d->gid;
	strlcpy(h.chroot, d->chroot, sizeof(h.chroot));
	/* Ceilings: no tenant's limits may pass them. */
	config_ceilings(&d->cfg, &h.limits);
	h.log_level = d->cfg.log_level;
	h.sandbox_debug = d->cfg.sandbox_debug;
	/* The host keys go to ssh workers only (the table insists too). */
	if (strcmp(h.transport, "ssh") == 0) {
		h.hostkey = d->hostkey_text;
		h.kex = d->cfg.ssh_kex;
		h.ciphers = d->cfg.ssh_ciphers;
		h.macs = d->cfg.ssh_macs;
		h.hostkey_algorithms = d->cfg.ssh_hostkey_algorithms;
	}
	if (msg_send(w->chan, MSG_HELLO, &h, -1, MSG_DONTWAIT, err,
	    sizeof(err)) == -1) {
		if (err[0] != '\0')
			log_warnx("%s: hello: %s", wname(w), err);
		else
			log_warn("%s: send hello", wname(w));
		wproc_kill(w, WKILL_PROTOCOL, "could not send hello");
	}
}

/*
 * A uid of its own for a new worker of p (with worker_uids), or -1 and
 * false when every one is held: then one line a minute says so, and the
 * pool asks again at its next turn.
 */
static bool
take_uid(struct pool *p, struct worker *w)
{
	struct daemon	*d = p->d;
	int64_t		 now = ev_now_ms();

	w->uid = -1;
	if (d->uids.count == 0)
		return true;
	if ((w->uid = uidpool_take(&d->uids)) != -1)
		return true;
	if (d->uids_said_ms == 0 || now - d->uids_said_ms >= 60000) {
		d->uids_said_ms = now;
		log_warnx("pool %s: every worker uid (%u of worker_uids %u-%u) "
		    "is held by a worker: no new worker until one exits",
		    p->lst->cfg.name, d->uids.count, d->uids.first,
		    d->uids.first + d->uids.count - 1);
	}
	return false;
}

/* Its worker is gone, reaped or never started: the uid is free again. */
static void
release_uid(struct worker *w)
{
	if (w->uid != -1)
		uidpool_give(&w->pool->d->uids, (uint32_t)w->uid);
	w->uid = -1;
}

/* The program of p's workers. */
static const char *
worker_path(const struct pool *p)
{
	return strcmp(p->lst->cfg.transport, "ssh") == 0 ?
	    p->d->cfg.ssh_worker_path : p->d->cfg.worker_path;
}

struct worker *
wproc_spawn(struct pool *p)
{
	struct daemon	*d = p->d;
	struct worker	*w;
	int		 sv[2], ep[2] = { -1, -1 };
	char		 pad[TITLE_PAD + 1];
	char		*argv[3];
	static char	 env_asan[] = "ASAN_OPTIONS=detect_leaks=0:"
			    "symbolize=0:abort_on_error=0:color=never";
	static char	 env_ubsan[] = "UBSAN_OPTIONS=print_stacktrace=1:"
			    "color=never";
	char		*envp[3];
	const char	*path = worker_path(p);
	int		 e;
	bool		 ssh = strcmp(p->lst->cfg.transport, "ssh") == 0;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("spawn worker");
		return NULL;
	}
	w->pool = p;
	if (!take_uid(p, w)) {
		free(w);
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("spawn worker: socketpair");
		release_uid(w);
		free(w);
		return NULL;
	}
	if (d->worker_stderr && pipe2(ep, O_CLOEXEC) == -1) {
		log_warn("spawn worker: pipe");
		close(sv[0]);
		close(sv[1]);
		release_uid(w);
		free(w);
		return NULL;
	}
	/* argv[1] is room for the worker's process title. */
	memset(pad, ' ', TITLE_PAD);
	pad[TITLE_PAD] = '\0';
	argv[0] = (char *)(uintptr_t)(ssh ? "iridium-worker-ssh" :
	    "iridium-worker");
	argv[1] = pad;
	argv[2] = NULL;
	/* A minimal environment: nothing of ours leaks into a worker. */
	envp[0] = env_asan;
	envp[1] = env_ubsan;
	envp[2] = NULL;

	w->spawn.cookie = w;
	w->spawn.asked_ms = ev_now_ms();
	w->spawn.timeout_ms = (int64_t)p->cfg.ready_timeout * 1000;
	e = spawner_request(&d->spawner, &w->spawn, path, argv, envp, sv[1],
	    ep[1]);
	close(sv[1]);
	if (ep[1] != -1)
		close(ep[1]);
	if (e != 0) {
		close(sv[0]);
		if (ep[0] != -1)
			close(ep[0]);
		release_uid(w);
		free(w);
		/* A spawner behind on its work: the next turn asks again. */
		if (e == EAGAIN)
			log_debug("pool %s: spawner busy", p->lst->cfg.name);
		else
			pool_spawn_failed(p, path, e);
		return NULL;
	}

	w->pool = p;
	w->chan = sv[0];
	w->errfd = ep[0];
	w->handoff_fd = -1;
	w->generation = d->generation;
	w->spawned_ms = ev_now_ms();
	w->state = 0;
	TAILQ_INSERT_TAIL(&p->workers, w, entry);
	p->nworkers++;
	p->spawned++;
	pool_set_state(w, WS_STARTING);
	/*
	 * hello goes now, to be read when the worker runs; what it says is
	 * read once its pid is known (wproc_spawned), so that every message
	 * and every kill has a pid to go by.
	 */
	(void)fcntl(w->chan, F_SETFL, O_NONBLOCK);
	send_hello(w);
	return w;
}

void
wproc_spawned(void *arg, void *cookie, pid_t pid, int err,
    const struct spawn_early *early)
{
	struct worker	*w = cookie;
	struct pool	*p = w->pool;
	struct daemon	*d = p->d;

	(void)arg;
	if (pid == -1) {
		release_uid(w);
		close(w->chan);
		w->chan = -1;
		if (w->errfd != -1)
			close(w->errfd);
		w->errfd = -1;
		pool_worker_unspawned(w);
		/* err 0: the spawner failed us, not the program. */
		if (err != 0)
			pool_spawn_failed(p, worker_path(p), err);
		TAILQ_INSERT_TAIL(&d->graveyard, w, entry);
		return;
	}
	w->pid = pid;
	if (w->uid != -1)
		log_debug("pool %s: spawned worker %d (uid %lld)",
		    p->lst->cfg.name, (int)pid, (long long)w->uid);
	else
		log_debug("pool %s: spawned worker %d", p->lst->cfg.name,
		    (int)pid);
	if (w->killed != WKILL_NONE) {
		/* Killed while we did not know whom to kill. */
		if (kill(pid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("kill worker %d", (int)pid);
	} else {
		ev_set(&w->ev_chan, w->chan, chan_cb, w);
		if (ev_add(&d->loop, &w->ev_chan, EPOLLIN) == -1)
			log_warn("%s: epoll add channel", wname(w));
	}
	if (w->errfd != -1) {
		(void)fcntl(w->errfd, F_SETFL, O_NONBLOCK);
		ev_set(&w->ev_err, w->errfd, err_cb, w);
		if (ev_add(&d->loop, &w->ev_err, EPOLLIN) == -1)
			log_warn("%s: epoll add stderr", wname(w));
	}
	if (early != NULL)
		wproc_reaped(w, early->status, &early->ru);
}

/* --- talking to a worker ------------------------------------------------- */

int
wproc_session(struct worker *w, struct pending *q)
{
	struct pool		*p = w->pool;
	struct listener		*l = p->lst;
	struct msg_session	 s;
	char			 err[256], quota[512];

	memset(&s, 0, sizeof(s));
	s.id = q->session_id != 0 ? q->session_id :
	    daemon_next_session(p->d);
	strlcpy(s.listener, l->cfg.name, sizeof(s.listener));
	strlcpy(s.peer, q->peer, sizeof(s.peer));
	strlcpy(s.transport, l->cfg.transport, sizeof(s.transport));
	if (strcmp(l->cfg.transport, "ssh") == 0) {
		/*
		 * No tenant before the login, whose auth_reply brings the
		 * tenant's limits; until then the ceilings, since the
		 * worker's rlimits can only go down from here.
		 */
		s.tenant[0] = '\0';
		config_ceilings(&p->d->cfg, &s.limits);
	} else {
		/* The tenant it was admitted as, even across a reload. */
		strlcpy(s.tenant, q->hold.tenant[0] != '\0' ? q->hold.tenant :
		    l->cfg.tenant, sizeof(s.tenant));
		s.limits = *config_tenant_limits(&p->d->cfg, s.tenant);
	}
	/* The worker reads the header, then sends `peer` (admit_peer). */
	s.proxy = l->cfg.proxy_protocol;
	s.quota = admit_quota(p->d, &q->hold, s.tenant, quota, sizeof(quota));
	err[0] = '\0';
	if (msg_send(w->chan, MSG_SESSION, &s, q->fd, MSG_DONTWAIT, err,
	    sizeof(err)) == -1) {
		if (err[0] != '\0')
			log_warnx("%s: session: %s", wname(w), err);
		else
			log_warn("%s: send session", wname(w));
		wproc_kill(w, WKILL_UNRESPONSIVE, "could not take a session");
		return -1;
	}
	q->session_id = s.id;
	w->session_id = s.id;
	strlcpy(w->peer, q->peer, sizeof(w->peer));
	strlcpy(w->tenant, s.tenant, sizeof(w->tenant));
	w->proxy = s.proxy;
	w->cpu_limit = s.limits.cpu;
	/* The connection is the worker's now, until it takes it or not. */
	w->hold = q->hold;
	memset(&q->hold, 0, sizeof(q->hold));
	w->handoff_fd = q->fd;
	q->fd = -1;
	w->handoff_ms = ev_now_ms();
	w->waiting_ms = q->since_ms;
	w->busy_ms = ev_now_ms();
	w->busy_unix = (int64_t)time(NULL);
	pool_set_state(w, WS_BUSY);
	log_info("session %lld: %s connection from %s to worker %d%s",
	    (long long)s.id, l->cfg.name, q->peer, (int)w->pid,
	    q->retry_ms != 0 ? " (handed again)" : "");
	return 0;
}

/* w's first `status`: it has its session, and our copy of the fd goes. */
static void
handoff_done(struct worker *w)
{
	struct pool	*p = w->pool;

	if (w->handoff_fd == -1)
		return;
	close(w->handoff_fd);
	w->handoff_fd = -1;
	/* A plain line session is under way; PROXY waits for `peer`, ssh
	 * for the login. */
	if (!w->proxy && strcmp(p->lst->cfg.transport, "line") == 0)
		admit_started(p->d, &w->hold);
}

/*
 * Ping every idle worker not asked already: after a hand-off that was
 * never taken, the others may be stopped too, and they are told apart
 * (idle_fitness, wproc_tick) before they get a session.
 */
static void
probe_idle(struct pool *p, int64_t now)
{
	struct worker	*v;

	TAILQ_FOREACH(v, &p->idle, idle_entry)
		if (v->killed == WKILL_NONE && v->ping_sent_ms == 0)
			send_ping(v, now);
}

/*
 * w never took the session it was handed (it is dead or being killed):
 * the connection is not lost but waits again, first in line, for a
 * worker that has shown since that it answers. Its session id, admission
 * hold and waiting time go with it; w is left with no session, so its
 * end counts as a worker's, not as a failed session.
 */
static void
wproc_take_back(struct worker *w, const char *why)
{
	struct pool	*p = w->pool;
	struct pending	 q;
	int64_t		 now = ev_now_ms();

	if (w->handoff_fd == -1)
		return;
	if (w->admin_kill) {
		/* Ended by iridiumctl kill: not handed to anyone else. */
		close(w->handoff_fd);
		w->handoff_fd = -1;
		return;
	}
	memset(&q, 0, sizeof(q));
	q.fd = w->handoff_fd;
	strlcpy(q.peer, w->peer, sizeof(q.peer));
	q.since_ms = w->waiting_ms;
	q.hold = w->hold;
	q.session_id = w->session_id;
	q.retry_ms = now;
	memset(&w->hold, 0, sizeof(w->hold));
	w->handoff_fd = -1;
	log_warnx("session %lld: worker %d %s; the connection from %s waits "
	    "for another worker", (long long)w->session_id, (int)w->pid, why,
	    q.peer);
	w->session_id = 0;
	w->peer[0] = '\0';
	w->tenant[0] = '\0';
	pool_requeue(p, &q);
	probe_idle(p, now);
	/* A fresh worker starts for it (pool_turn) if no idle one answers. */
}

void
wproc_kill(struct worker *w, enum wkill why, const char *detail)
{
	if (w->reaped)
		return;
	if (w->killed == WKILL_NONE)
		log_warnx("%s: %s (%s): killing it", wname(w), detail,
		    wkill_names[why]);
	w->killed = why;
	/*
	 * pid is ours until we reap it, so this never hits a stranger; no
	 * pid yet: wproc_spawned() kills it when the pid comes.
	 */
	if (w->pid != 0 && kill(w->pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("kill worker %d", (int)w->pid);
	ev_del(&w->pool->d->loop, &w->ev_chan);
}

void
wproc_end_session(struct worker *w)
{
	unsigned	 grace = w->pool->cfg.grace;

	log_notice("%s: ending it (iridiumctl kill); killed in %us unless "
	    "it ends", wname(w), grace + 1);
	wproc_shutdown(w, grace, "session killed by the administrator");
	w->admin_kill = true;
}

void
wproc_shutdown(struct worker *w, unsigned grace, const char *reason)
{
	struct msg_shutdown	 m;
	char			 err[128];

	if (w->reaped || w->killed != WKILL_NONE)
		return;
	memset(&m, 0, sizeof(m));
	m.grace = grace;
	strlcpy(m.reason, reason, sizeof(m.reason));
	if (msg_send(w->chan, MSG_SHUTDOWN, &m, -1, MSG_DONTWAIT, err,
	    sizeof(err)) == -1)
		log_debug("%s: send shutdown: %s", wname(w), strerror(errno));
	if (w->state != WS_BUSY)
		pool_set_state(w, WS_STOPPING);
	/* A worker that ignores shutdown is killed after the grace. */
	w->kill_at_ms = ev_now_ms() + (int64_t)(grace + 1) * 1000;
}

static void
send_ping(struct worker *w, int64_t now)
{
	struct msg_ping	 m;
	char		 err[128];

	m.seq = ++w->ping_seq;
	w->ping_sent_ms = now;
	if (msg_send(w->chan, MSG_PING, &m, -1, MSG_DONTWAIT, err,
	    sizeof(err)) == -1 && errno != EAGAIN)
		log_debug("%s: send ping: %s", wname(w), strerror(errno));
	/* EAGAIN: its queue is full, so it is not reading: no answer. */
}

void
wproc_tick(struct worker *w, int64_t now)
{
	const struct pool_cfg *c = &w->pool->cfg;
	int64_t		 age;

	if (w->reaped || w->killed != WKILL_NONE)
		return;
	admit_tick_worker(w, now);
	/* No pid yet: the spawner owes it, and spawner_tick() judges. */
	if (w->state == WS_STARTING && w->pid != 0 &&
	    now - w->spawned_ms > (int64_t)c->ready_timeout * 1000) {
		wproc_kill(w, WKILL_READY_TIMEOUT, "no ready message");
		return;
	}
	if (w->kill_at_ms != 0 && now >= w->kill_at_ms) {
		if (w->admin_kill)
			wproc_kill(w, WKILL_ADMIN, "did not end when told");
		else
			wproc_kill(w, WKILL_GRACE, "did not end after "
			    "shutdown");
		return;
	}
	if (w->state != WS_IDLE && w->state != WS_BUSY)
		return;
	/*
	 * Hear out what is queued before judging: after a stall of our own
	 * (load, a stopped supervisor) the pong or the status may be waiting
	 * unread, and a worker is not unresponsive because we were.
	 */
	if (w->ping_sent_ms != 0 || w->handoff_fd != -1)
		chan_read(w, MSGS_PER_WAKEUP);
	if (w->killed != WKILL_NONE)
		return;
	if (w->handoff_fd != -1 && now - w->handoff_ms >=
	    (int64_t)c->handoff_timeout * 1000) {
		wproc_kill(w, WKILL_UNRESPONSIVE, "did not take its session");
		wproc_take_back(w, "did not take it");
		return;
	}
	/* An idle worker has nothing to do but answer: it is stopped. */
	if (w->state == WS_IDLE && w->ping_sent_ms != 0 &&
	    now - w->ping_sent_ms >= (int64_t)c->handoff_timeout * 1000) {
		wproc_kill(w, WKILL_UNRESPONSIVE, "idle, and no answer to a "
		    "ping");
		return;
	}
	if (w->ping_sent_ms != 0) {
		age = now - w->ping_sent_ms;
		if (!w->unresponsive && age >= (int64_t)c->ping_timeout *
		    1000) {
			w->unresponsive = true;
			log_warnx("%s: unresponsive (no answer to ping for "
			    "%llds)", wname(w), (long long)(age / 1000));
		}
		if (age >= (int64_t)c->kill_timeout * 1000)
			wproc_kill(w, WKILL_UNRESPONSIVE, "no answer to ping");
		return;
	}
	if (now - w->ready_ms >= (int64_t)c->ping_interval * 1000 &&
	    (w->ping_seq == 0 || now - w->ping_last_ms >=
	    (int64_t)c->ping_interval * 1000))
		send_ping(w, now);
}

/* --- messages from a worker ---------------------------------------------- */

static void
violation(struct worker *w, const char *what)
{
	char	 vis[512];

	escape_untrusted(vis, sizeof(vis), what, strlen(what));
	log_warnx("%s: protocol violation: %s", wname(w), vis);
	wproc_kill(w, WKILL_PROTOCOL, "broke the protocol");
}

static void
handle(struct worker *w, struct msg *m)
{
	struct pool	*p = w->pool;
	struct daemon	*d = p->d;
	char		 err[128];
	struct msg_ping	 pong;

	switch (m->type) {
	case MSG_READY:
		if (strcmp(m->u.ready.build, d->build) != 0) {
			log_warnx("worker %d runs build %s but the supervisor "
			    "is build %s (upgraded under a running "
			    "supervisor?): restart iridiumd", (int)w->pid,
			    m->u.ready.build, d->build);
			wproc_kill(w, WKILL_BUILD, "build mismatch");
			return;
		}
		if (m->u.ready.pid != w->pid) {
			violation(w, "ready with a pid that is not its own");
			return;
		}
		w->ready_ms = ev_now_ms();
		/* Told to stop while it started: it exits on its own. */
		if (w->state == WS_STOPPING)
			return;
		pool_set_state(w, WS_IDLE);
		daemon_check_ready(d);
		log_debug("pool %s: worker %d ready after %lldms",
		    p->lst->cfg.name, (int)w->pid,
		    (long long)(w->ready_ms - w->spawned_ms));
		pool_drain_queue(p);
		break;
	case MSG_STATUS:
		if (w->state != WS_STOPPING &&
		    strcmp(m->u.status.state, w->state == WS_BUSY ? "busy" :
		    "idle") != 0) {
			violation(w, "status state does not match");
			return;
		}
		handoff_done(w);
		w->counters = m->u.status.counters;
		w->counters_ms = ev_now_ms();
		break;
	case MSG_LOG:
		log_untrusted(w, (int)m->u.log.level, "", m->u.log.msg,
		    strlen(m->u.log.msg));
		break;
	case MSG_NEGOTIATED:
		/* Its word (the table checked the names): shown, counted. */
		if (strcmp(p->lst->cfg.transport, "ssh") != 0 ||
		    w->negotiated || w->session_id == 0) {
			violation(w, "negotiated twice, or not ssh");
			return;
		}
		w->negotiated = true;
		w->nego = m->u.negotiated;
		daemon_negotiated(d, &w->nego);
		break;
	case MSG_PING:
		pong.seq = m->u.ping.seq;
		if (msg_send(w->chan, MSG_PONG, &pong, -1, MSG_DONTWAIT, err,
		    sizeof(err)) == -1)
			log_debug("%s: send pong: %s", wname(w),
			    strerror(errno));
		break;
	case MSG_PONG:
		if (w->ping_sent_ms != 0 && m->u.ping.seq == w->ping_seq) {
			if (w->unresponsive)
				log_notice("%s: responsive again", wname(w));
			w->unresponsive = false;
			w->ping_sent_ms = 0;
			w->ping_last_ms = ev_now_ms();
			/* Proven alive: a connection handed back may go. */
			if (w->state == WS_IDLE && p->qlen > 0)
				pool_drain_queue(p);
		}
		break;
	case MSG_SESSION_END:
		if (w->session_id == 0 || w->ended) {
			violation(w, "session_end without a session");
			return;
		}
		w->ended = true;
		strlcpy(w->end_reason, m->u.session_end.reason,
		    sizeof(w->end_reason));
		w->counters = m->u.session_end.counters;
		w->counters_ms = ev_now_ms();
		pool_set_state(w, WS_STOPPING);
		break;
	case MSG_PEER:
		if (admit_peer(w, &m->u.peer, err, sizeof(err)) == -1)
			violation(w, err);
		break;
	case MSG_AUTH_QUERY:
		if (auth_query(w, &m->u.auth_query, err, sizeof(err)) == -1)
			violation(w, err);
		break;
	default:
		violation(w, "unexpected message");
		break;
	}
}

/* Read what the channel holds; at most `budget` messages. */
static void
chan_read(struct worker *w, int budget)
{
	struct msg	 m;
	char		 err[256];
	int		 rc, i;

	for (i = 0; i < budget && w->killed == WKILL_NONE; i++) {
		err[0] = '\0';
		rc = msg_recv(w->chan, MSG_FROM_WORKER, w->state, &m, err,
		    sizeof(err));
		if (rc == -1 && errno != ECONNRESET) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("%s: read channel", wname(w));
			return;
		}
		if (rc == 0 || rc == -1) {	/* EOF, or reset by its exit */
			/* Closed its end: it is exiting, or useless. */
			ev_del(&w->pool->d->loop, &w->ev_chan);
			if (!w->reaped && w->state != WS_STOPPING &&
			    !w->ended)
				log_debug("%s: closed its channel", wname(w));
			return;
		}
		if (rc == -2) {
			violation(w, err);
			return;
		}
		if (!w->reaped && !rl_take(&w->msgs, ev_now_ms(),
		    MSGS_PER_SECOND)) {
			msg_clear(&m);
			violation(w, "message flood");
			return;
		}
		handle(w, &m);
		msg_clear(&m);
	}
}

static void
chan_cb(struct ev *e, uint32_t events)
{
	struct worker	*w = e->arg;

	(void)events;
	chan_read(w, MSGS_PER_WAKEUP);
}

/* Forward complete lines from a worker's stderr pipe. */
static int
err_read(struct worker *w)
{
	char	 buf[512];
	ssize_t	 n;
	size_t	 i;

	n = read(w->errfd, buf, sizeof(buf));
	if (n <= 0)
		return n == 0 || (errno != EAGAIN && errno != EINTR) ? -1 : 0;
	for (i = 0; i < (size_t)n; i++) {
		if (buf[i] == '\n' || w->errlen == sizeof(w->errline) - 1) {
			w->errline[w->errlen] = '\0';
			log_untrusted(w, LOG_WARNING, " stderr", w->errline,
			    w->errlen);
			w->errlen = 0;
			if (buf[i] == '\n')
				continue;
		}
		w->errline[w->errlen++] = buf[i];
	}
	return 1;
}

static void
err_cb(struct ev *e, uint32_t events)
{
	struct worker	*w = e->arg;
	int		 i;

	(void)events;
	for (i = 0; i < 8; i++) {
		if (err_read(w) == -1) {
			ev_del(&w->pool->d->loop, &w->ev_err);
			return;
		}
	}
}

/* --- the end of a worker ------------------------------------------------- */

static enum wend
classify(struct worker *w, int status, const struct rusage *ru, char *how,
    size_t len)
{
	int64_t	 cpu_ms;
	int	 sig;

	cpu_ms = ((int64_t)ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000 +
	    ((int64_t)ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1000;

	if (WIFSIGNALED(status)) {
		sig = WTERMSIG(status);
		snprintf(how, len, "signal %d (%s)", sig, sigabbrev_np(sig) !=
		    NULL ? sigabbrev_np(sig) : "?");
		if (sig == SIGSYS)
			return WEND_SANDBOX;
		if (sig == SIGXCPU)
			return WEND_CPU;
		/* A worker of another build never became ready: throttle. */
		if (w->killed == WKILL_BUILD)
			return WEND_BEFORE_READY;
		if (w->killed != WKILL_NONE && sig == SIGKILL)
			return WEND_KILLED;
		/*
		 * RLIMIT_CPU's hard limit, a second past the soft one the
		 * worker handles, kills with SIGKILL: told apart by the CPU
		 * time the worker had used.
		 */
		if (sig == SIGKILL && w->cpu_limit != 0 &&
		    cpu_ms >= (int64_t)w->cpu_limit * 1000) {
			snprintf(how + strlen(how), len - strlen(how), ", %lld "
			    "ms of CPU", (long long)cpu_ms);
			return WEND_CPU;
		}
		return w->ready_ms == 0 ? WEND_BEFORE_READY : WEND_CRASH;
	}
	snprintf(how, len, "exit %d", WEXITSTATUS(status));
	/* Told to stop before it was ready, and it did: all is well. */
	if (w->ready_ms == 0 && !(w->state == WS_STOPPING &&
	    w->killed == WKILL_NONE && WEXITSTATUS(status) == 0))
		return WEND_BEFORE_READY;
	if (WEXITSTATUS(status) != 0)
		return WEND_FAILED;
	/* Its session ended politely at the CPU limit (SIGXCPU). */
	if (w->ended && strcmp(w->end_reason, "cpu") == 0)
		return WEND_CPU;
	return WEND_NORMAL;
}

void
wproc_reaped(struct worker *w, int status, const struct rusage *ru)
{
	struct pool	*p = w->pool;
	struct listener	*l = p->lst;
	struct daemon	*d = p->d;
	enum wend	 kind;
	char		 how[96], key[MSG_NAME_MAX + AUTHKEYS_FPR_MAX + 48];
	char		 via[MSG_ADDR_MAX + 8];
	bool		 clean;
	int64_t		 now = ev_now_ms();
	double		 secs;

	w->reaped = true;
	/* Its uid runs nothing any more: another worker may have it. */
	release_uid(w);
	/* What it said before it died is still queued: hear it out. */
	if (w->killed == WKILL_NONE)
		chan_read(w, 64);
	/* Died before it took its session: the connection waits again. */
	if (w->handoff_fd != -1)
		wproc_take_back(w, "ended before it took it");
	if (w->errfd != -1) {
		while (err_read(w) == 1)
			;
		if (w->errlen > 0) {
			w->errline[w->errlen] = '\0';
			log_untrusted(w, LOG_WARNING, " stderr", w->errline,
			    w->errlen);
		}
	}
	kind = classify(w, status, ru, how, sizeof(how));
	auth_session_end(w);
	via[0] = '\0';
	if (w->via[0] != '\0')
		snprintf(via, sizeof(via), " via %s", w->via);
	clean = w->ended && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    (kind == WEND_NORMAL || kind == WEND_CPU);

	if (w->session_id != 0) {
		secs = (double)(now - w->busy_ms) / 1000.0;
		if (clean) {
			/* Refused by our peer_verdict: never a session. */
			if (strcmp(w->end_reason, "refused") == 0)
				l->rejected++;
			else
				l->completed++;
			/* ssh: who it was, as our own auth_reply said. */
			key[0] = '\0';
			if (w->auth.authed)
				snprintf(key, sizeof(key), "; tenant %s, key %s "
				    "%s", w->tenant, w->auth.keyname,
				    w->auth.fingerprint);
			log_info("session %lld: ended (%s) after %.1fs, %llu "
			    "bytes in, %llu out, %llu instructions%s",
			    (long long)w->session_id, w->end_reason, secs,
			    (unsigned long long)w->counters.bytes_in,
			    (unsigned long long)w->counters.bytes_out,
			    (unsigned long long)w->counters.instructions, key);
		} else {
			l->failed++;
			if (kind == WEND_NORMAL)
				kind = WEND_FAILED;	/* no session_end */
			log_warnx("session %lld (tenant %s, peer %s%s): worker "
			    "%d %s (%s%s%s) after %.1fs",
			    (long long)w->session_id, w->tenant, w->peer, via,
			    (int)w->pid, wend_name(kind), how,
			    w->killed != WKILL_NONE ? ", " : "",
			    wkill_names[w->killed], secs);
		}
	} else if (kind != WEND_NORMAL) {
		log_warnx("worker %d (pool %s) %s (%s%s%s)", (int)w->pid,
		    l->cfg.name, wend_name(kind), how,
		    w->killed != WKILL_NONE ? ", " : "",
		    wkill_names[w->killed]);
	}
	/* Its source's penalty, if it earned one; its holds back. */
	admit_reaped(w, kind, status);

	ev_del(&d->loop, &w->ev_chan);
	close(w->chan);
	w->chan = -1;
	if (w->errfd != -1) {
		ev_del(&d->loop, &w->ev_err);
		close(w->errfd);
		w->errfd = -1;
	}
	pool_worker_gone(w, kind);
	/* Freed after this loop turn: an event for it may be pending. */
	TAILQ_INSERT_TAIL(&d->graveyard, w, entry);
}

/*
 * wproc.c: one worker process, seen from the supervisor (see wproc.h):
 * its start, the messages we send it, its deadlines and pings, its kill
 * and its end. Its channel, where what it says is read, validated and
 * dispatched, is wproc_chan.c.
 *
 * Workers are started by the spawner (spawner.h) with the exec contract:
 * fds 0 and 1 on /dev/null, fd 2 on /dev/null or a pipe we log, the
 * channel on fd 3, nothing else open, default signal dispositions, an
 * empty mask and a minimal environment. From then on a worker is
 * untrusted: sends never block, a worker that misses a deadline or
 * breaks a rule is killed and logged, and its death is told by what we
 * saw (its wait status, its CPU time, whether we killed it), never by
 * what it said.
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

#include "log.h"
#include "msg.h"
#include "wproc.h"
#include "wproc_internal.h"

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

const char *
wproc_name(const struct worker *w)
{
	static char	 buf[96];

	if (w->session_id != 0)
		snprintf(buf, sizeof(buf), "worker %d session %lld",
		    (int)w->pid, (long long)w->session_id);
	else
		snprintf(buf, sizeof(buf), "worker %d", (int)w->pid);
	return buf;
}

/* --- spawning ------------------------------------------------------------ */

static void
send_hello(struct worker *w)
{
	struct workers		*wk = w->wk;
	const struct config	*cfg = &wk->ctx->cfg;
	struct msg_hello	 h;
	char			 err[256];

	memset(&h, 0, sizeof(h));
	strlcpy(h.build, wk->ctx->build, sizeof(h.build));
	strlcpy(h.transport, w->lc->transport, sizeof(h.transport));
	strlcpy(h.listener, w->lc->name, sizeof(h.listener));
	h.uid = w->uid != -1 ? w->uid : wk->uid;
	h.gid = w->uid != -1 ? w->uid : wk->gid;
	strlcpy(h.chroot, wk->chroot, sizeof(h.chroot));
	/* Ceilings: no tenant's limits may pass them. */
	config_ceilings(cfg, &h.limits);
	h.log_level = cfg->log_level;
	h.sandbox_debug = cfg->sandbox_debug;
	/* What its session's recording may grow to: its only file. */
	if (strcmp(w->lc->record, "off") != 0)
		h.record_fsize = (int64_t)(w->lc->record_max != 0 ?
		    w->lc->record_max : CONFIG_RECORD_CEILING) +
		    MSG_RECORD_ROOM;
	/* The host keys go to ssh workers only (the table insists too). */
	if (strcmp(h.transport, "ssh") == 0) {
		h.hostkey = wk->hostkey;
		h.kex = cfg->ssh_kex;
		h.ciphers = cfg->ssh_ciphers;
		h.macs = cfg->ssh_macs;
		h.hostkey_algorithms = cfg->ssh_hostkey_algorithms;
	}
	w->record_fsize = h.record_fsize;
	if (msg_send(w->chan, MSG_HELLO, &h, -1, MSG_DONTWAIT, err,
	    sizeof(err)) == -1) {
		if (err[0] != '\0')
			log_warnx("%s: hello: %s", wproc_name(w), err);
		else
			log_warn("%s: send hello", wproc_name(w));
		wproc_kill(w, WKILL_PROTOCOL, "could not send hello");
	}
}

/*
 * A uid of its own for a new worker of lc's pool (with worker_uids), or
 * -1 and false when every one is held: then one line a minute says so,
 * and the pool asks again at its next turn.
 */
static bool
take_uid(struct workers *wk, const struct listener_cfg *lc, struct worker *w)
{
	int64_t		 now = ev_now_ms();

	w->uid = -1;
	if (wk->uids.count == 0)
		return true;
	if ((w->uid = uidpool_take(&wk->uids)) != -1)
		return true;
	if (wk->uids_said_ms == 0 || now - wk->uids_said_ms >= 60000) {
		wk->uids_said_ms = now;
		log_warnx("pool %s: every worker uid (%u of worker_uids %u-%u) "
		    "is held by a worker: no new worker until one exits",
		    lc->name, wk->uids.count, wk->uids.first,
		    wk->uids.first + wk->uids.count - 1);
	}
	return false;
}

/* Its worker is gone, reaped or never started: the uid is free again. */
static void
release_uid(struct worker *w)
{
	if (w->uid != -1)
		uidpool_give(&w->wk->uids, (uint32_t)w->uid);
	w->uid = -1;
}

/* w's state is now state; its owner counts. */
void
wproc_set_state(struct worker *w, unsigned state)
{
	unsigned	 from = w->state;

	w->state = state;
	w->wk->owner->state(w, from);
}

const char *
wproc_program(const struct workers *wk, const struct listener_cfg *lc)
{
	return strcmp(lc->transport, "ssh") == 0 ?
	    wk->ctx->cfg.ssh_worker_path : wk->ctx->cfg.worker_path;
}

struct worker *
wproc_spawn(struct workers *wk, struct pool *p, const struct listener_cfg *lc,
    const struct pool_cfg *pc, int *err)
{
	struct worker	*w;
	int		 sv[2], ep[2] = { -1, -1 };
	char		 pad[TITLE_PAD + 1];
	char		*argv[3];
	static char	 env_asan[] = "ASAN_OPTIONS=detect_leaks=0:"
			    "symbolize=0:abort_on_error=0:color=never";
	static char	 env_ubsan[] = "UBSAN_OPTIONS=print_stacktrace=1:"
			    "color=never";
	char		*envp[3];
	const char	*path = wproc_program(wk, lc);
	int		 e;
	bool		 ssh = strcmp(lc->transport, "ssh") == 0;

	*err = 0;
	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_warn("spawn worker");
		return NULL;
	}
	w->wk = wk;
	if (!take_uid(wk, lc, w)) {
		free(w);
		return NULL;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("spawn worker: socketpair");
		release_uid(w);
		free(w);
		return NULL;
	}
	if (wk->stderr_pipe && pipe2(ep, O_CLOEXEC) == -1) {
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
	w->spawn.timeout_ms = (int64_t)pc->ready_timeout * 1000;
	e = spawner_request(wk->spawner, &w->spawn, path, argv, envp, sv[1],
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
			log_debug("pool %s: spawner busy", lc->name);
		else
			*err = e;
		return NULL;
	}

	w->pool = p;
	w->lc = lc;
	w->pc = pc;
	w->chan = sv[0];
	w->errfd = ep[0];
	w->handoff_fd = -1;
	w->generation = wk->ctx->generation;
	w->spawned_ms = ev_now_ms();
	w->state = 0;
	wproc_set_state(w, WS_STARTING);
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
	struct workers	*wk = arg;
	struct worker	*w = cookie;

	if (pid == -1) {
		release_uid(w);
		close(w->chan);
		w->chan = -1;
		if (w->errfd != -1)
			close(w->errfd);
		w->errfd = -1;
		/* err 0: the spawner failed us, not the program. */
		wk->owner->unspawned(w, err);
		TAILQ_INSERT_TAIL(&wk->graveyard, w, entry);
		return;
	}
	w->pid = pid;
	if (w->uid != -1)
		log_debug("pool %s: spawned worker %d (uid %lld)",
		    w->lc->name, (int)pid, (long long)w->uid);
	else
		log_debug("pool %s: spawned worker %d", w->lc->name,
		    (int)pid);
	if (w->killed != WKILL_NONE) {
		/* Killed while we did not know whom to kill. */
		if (kill(pid, SIGKILL) == -1 && errno != ESRCH)
			log_warn("kill worker %d", (int)pid);
	} else {
		ev_set(&w->ev_chan, w->chan, wproc_chan_cb, w);
		if (ev_add(&wk->ctx->loop, &w->ev_chan, EPOLLIN) == -1)
			log_warn("%s: epoll add channel", wproc_name(w));
	}
	if (w->errfd != -1) {
		(void)fcntl(w->errfd, F_SETFL, O_NONBLOCK);
		ev_set(&w->ev_err, w->errfd, wproc_err_cb, w);
		if (ev_add(&wk->ctx->loop, &w->ev_err, EPOLLIN) == -1)
			log_warn("%s: epoll add stderr", wproc_name(w));
	}
	if (early != NULL)
		wproc_reaped(w, early->status, &early->ru);
}

/* --- talking to a worker ------------------------------------------------- */

/* The audit log's session_end: why, how long, what it cost. */
static void
audit_end(struct worker *w, const char *reason)
{
	if (!w->audited)
		return;
	w->audited = false;
	/* An ssh session's exit status, as its client was told; else null. */
	audit_event(&w->wk->audit, "session_end", json_pack(
	    "{s:I, s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:o, s:s}",
	    "session", (json_int_t)w->session_id, "tenant", w->tenant,
	    "peer", w->peer, "reason", reason,
	    "duration_ms", (json_int_t)(ev_now_ms() - w->busy_ms),
	    "bytes_in", (json_int_t)w->counters.bytes_in,
	    "bytes_out", (json_int_t)w->counters.bytes_out,
	    "instructions", (json_int_t)w->counters.instructions,
	    "exit_status", w->ended && w->exit_status >= 0 ?
	    json_integer(w->exit_status) : json_null(),
	    "recording", w->record_path));
}

int
wproc_session(struct worker *w, struct pending *q, const char *quota)
{
	struct ctx		*ctx = w->wk->ctx;
	const struct listener_cfg *lc = w->lc;
	struct msg_session	 s;
	char			 err[256];

	memset(&s, 0, sizeof(s));
	s.id = q->session_id != 0 ? q->session_id : ctx_next_session(ctx);
	strlcpy(s.listener, lc->name, sizeof(s.listener));
	strlcpy(s.peer, q->peer, sizeof(s.peer));
	strlcpy(s.transport, lc->transport, sizeof(s.transport));
	if (strcmp(lc->transport, "ssh") == 0) {
		/*
		 * No tenant before the login, whose auth_reply brings the
		 * tenant's limits; until then the ceilings, since the
		 * worker's rlimits can only go down from here.
		 */
		s.tenant[0] = '\0';
		config_ceilings(&ctx->cfg, &s.limits);
	} else {
		/* The tenant it was admitted as, even across a reload. */
		strlcpy(s.tenant, q->hold.tenant[0] != '\0' ? q->hold.tenant :
		    lc->tenant, sizeof(s.tenant));
		s.limits = *config_tenant_limits(&ctx->cfg, s.tenant);
	}
	/* The worker reads the header, then sends `peer` (admit.c). */
	s.proxy = lc->proxy_protocol;
	s.quota = quota;
	/*
	 * A line session's recording comes first; behind a PROXY listener
	 * it waits for the client's address (admit.c), an ssh session's
	 * for its login (auth.c).
	 */
	w->session_id = s.id;
	strlcpy(w->peer, q->peer, sizeof(w->peer));
	if (strcmp(lc->transport, "ssh") != 0 && !lc->proxy_protocol &&
	    wproc_record(w, s.tenant, "") == -1)
		return -1;
	err[0] = '\0';
	if (wproc_send_recorded(w, MSG_SESSION, &s, q->fd, err,
	    sizeof(err)) == -1) {
		if (err[0] != '\0')
			log_warnx("%s: session: %s", wproc_name(w), err);
		else
			log_warn("%s: send session", wproc_name(w));
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
	wproc_set_state(w, WS_BUSY);
	log_info("session %lld: %s connection from %s to worker %d%s",
	    (long long)s.id, lc->name, q->peer, (int)w->pid,
	    q->retry_ms != 0 ? " (handed again)" : "");
	if (strcmp(lc->transport, "ssh") != 0 && !lc->proxy_protocol)
		wproc_audit_start(w, "");
	return 0;
}

int
wproc_takeover(struct worker *n, struct worker *w, int fd, const char *quota)
{
	struct ctx		*ctx = n->wk->ctx;
	struct msg_session	 s;
	char			 err[256];

	memset(&s, 0, sizeof(s));
	s.id = w->session_id;
	strlcpy(s.listener, n->lc->name, sizeof(s.listener));
	strlcpy(s.peer, w->peer, sizeof(s.peer));
	strlcpy(s.transport, n->lc->transport, sizeof(s.transport));
	strlcpy(s.tenant, w->tenant, sizeof(s.tenant));
	s.limits = *config_tenant_limits(&ctx->cfg, s.tenant);
	/* Its PROXY header was read by the old worker. */
	s.proxy = false;
	s.quota = quota;
	err[0] = '\0';
	if (msg_send(n->chan, MSG_TAKEOVER, &s, fd, MSG_DONTWAIT, err,
	    sizeof(err)) == -1) {
		if (err[0] != '\0')
			log_warnx("%s: takeover: %s", wproc_name(n), err);
		else
			log_warn("%s: send takeover", wproc_name(n));
		wproc_kill(n, WKILL_UNRESPONSIVE, "could not take a session "
		    "over");
		return -1;
	}
	n->takeover = true;
	n->takeover_from = w;
	n->takeover_ms = ev_now_ms();
	n->cpu_limit = s.limits.cpu;
	n->busy_ms = ev_now_ms();
	n->busy_unix = (int64_t)time(NULL);
	w->handover_to = n;
	wproc_set_state(n, WS_BUSY);
	return 0;
}

int
wproc_handover(struct worker *w, int fd)
{
	struct msg_handover	 h;
	char			 err[128];

	memset(&h, 0, sizeof(h));
	h.to = w->handover_to != NULL ? w->handover_to->pid : 1;
	if (msg_send(w->chan, MSG_HANDOVER, &h, fd, MSG_DONTWAIT, err,
	    sizeof(err)) == -1) {
		log_warn("%s: send handover", wproc_name(w));
		wproc_kill(w, WKILL_UNRESPONSIVE, "could not take handover");
		return -1;
	}
	return 0;
}

static void
send_handed(struct worker *w, bool ok)
{
	struct msg_handed	 h;
	char			 err[128];

	memset(&h, 0, sizeof(h));
	h.ok = ok;
	if (msg_send(w->chan, MSG_HANDED, &h, -1, MSG_DONTWAIT, err,
	    sizeof(err)) == -1)
		wproc_kill(w, WKILL_UNRESPONSIVE, "could not take handed");
}

void
wproc_taken(struct worker *n, bool ok)
{
	struct worker	*w = n->takeover_from;

	n->takeover = false;
	n->takeover_from = NULL;
	if (w == NULL)
		return;
	w->handover_to = NULL;
	if (!ok) {
		send_handed(w, false);
		return;
	}
	n->session_id = w->session_id;
	strlcpy(n->peer, w->peer, sizeof(n->peer));
	strlcpy(n->tenant, w->tenant, sizeof(n->tenant));
	strlcpy(n->via, w->via, sizeof(n->via));
	n->peer_seen = w->peer_seen;
	n->counters = w->counters;
	n->counters_ms = w->counters_ms;
	n->busy_ms = w->busy_ms;
	n->busy_unix = w->busy_unix;
	n->hold = w->hold;
	memset(&w->hold, 0, sizeof(w->hold));
	/* Its audit log's session_end and recording go with it. */
	n->audited = w->audited;
	w->audited = false;
	strlcpy(n->record_path, w->record_path, sizeof(n->record_path));
	w->session_id = 0;
	w->peer[0] = '\0';
	w->tenant[0] = '\0';
	w->upgrade_due = false;
	send_handed(w, true);
	/* It exits on its own, without a word to the client. */
	wproc_set_state(w, WS_STOPPING);
	w->kill_at_ms = ev_now_ms() + (int64_t)(w->pc->grace + 1) * 1000;
}

void
wproc_reconnect(struct worker *w, const char *message)
{
	struct msg_reconnect	 r;
	char			 err[128];

	memset(&r, 0, sizeof(r));
	strlcpy(r.message, message, sizeof(r.message));
	if (msg_send(w->chan, MSG_RECONNECT, &r, -1, MSG_DONTWAIT, err,
	    sizeof(err)) == -1)
		wproc_kill(w, WKILL_UNRESPONSIVE, "could not take reconnect");
}

/*
 * w never took the session it was handed (it is dead or being killed):
 * the connection is not lost but goes back to the owner, to wait again,
 * first in line, for a worker that has shown since that it answers. Its
 * session id, admission hold and waiting time go with it; w is left with
 * no session, so its end counts as a worker's, not as a failed session.
 */
static void
take_back(struct worker *w, const char *why)
{
	struct pending	 q;

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
	q.retry_ms = ev_now_ms();
	memset(&w->hold, 0, sizeof(w->hold));
	w->handoff_fd = -1;
	log_warnx("session %lld: worker %d %s; the connection from %s waits "
	    "for another worker", (long long)w->session_id, (int)w->pid, why,
	    q.peer);
	w->session_id = 0;
	w->peer[0] = '\0';
	w->tenant[0] = '\0';
	w->record_path[0] = '\0';
	w->wk->owner->requeue(w, &q);
}

void
wproc_kill(struct worker *w, enum wkill why, const char *detail)
{
	if (w->reaped)
		return;
	if (w->killed == WKILL_NONE)
		log_warnx("%s: %s (%s): killing it", wproc_name(w), detail,
		    wkill_names[why]);
	w->killed = why;
	/*
	 * pid is ours until we reap it, so this never hits a stranger; no
	 * pid yet: wproc_spawned() kills it when the pid comes.
	 */
	if (w->pid != 0 && kill(w->pid, SIGKILL) == -1 && errno != ESRCH)
		log_warn("kill worker %d", (int)w->pid);
	ev_del(&w->wk->ctx->loop, &w->ev_chan);
}

void
wproc_end_session(struct worker *w)
{
	unsigned	 grace = w->pc->grace;

	log_notice("%s: ending it (iridiumctl kill); killed in %us unless "
	    "it ends", wproc_name(w), grace + 1);
	wproc_shutdown(w, grace, "session ended by the administrator");
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
		log_debug("%s: send shutdown: %s", wproc_name(w),
		    strerror(errno));
	if (w->state != WS_BUSY)
		wproc_set_state(w, WS_STOPPING);
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
		log_debug("%s: send ping: %s", wproc_name(w),
		    strerror(errno));
	/* EAGAIN: its queue is full, so it is not reading: no answer. */
}

void
wproc_ping(struct worker *w, int64_t now)
{
	if (w->killed == WKILL_NONE && w->ping_sent_ms == 0)
		send_ping(w, now);
}

void
wproc_tick(struct worker *w, int64_t now)
{
	const struct pool_cfg *c = w->pc;
	int64_t		 age;

	if (w->reaped || w->killed != WKILL_NONE)
		return;
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
		wproc_chan_read(w, WPROC_MSGS_PER_WAKEUP);
	if (w->killed != WKILL_NONE)
		return;
	wproc_record_tick(w, now);
	if (w->killed != WKILL_NONE)
		return;
	/* Its session waits for its recording's file: not handed yet. */
	if (w->handoff_fd != -1 && w->rec_after == NULL &&
	    now - w->handoff_ms >= (int64_t)c->handoff_timeout * 1000) {
		wproc_kill(w, WKILL_UNRESPONSIVE, "did not take its session");
		take_back(w, "did not take it");
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
			    "%llds)", wproc_name(w), (long long)(age / 1000));
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

/* The line that ends a session (or a worker's unusual end). */
static enum wsession
log_end(struct worker *w, int status, enum wend *kind, const char *how)
{
	char		 key[MSG_NAME_MAX + AUTHKEYS_FPR_MAX + AUTH_CERT_ID_MAX + 80];
	char		 via[MSG_ADDR_MAX + 8];
	bool		 clean;
	double		 secs;

	via[0] = '\0';
	if (w->via[0] != '\0')
		snprintf(via, sizeof(via), " via %s", w->via);
	clean = w->ended && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    (*kind == WEND_NORMAL || *kind == WEND_CPU);

	if (w->session_id == 0) {
		if (*kind != WEND_NORMAL)
			log_warnx("worker %d (pool %s) %s (%s%s%s)",
			    (int)w->pid, w->lc->name, wend_name(*kind), how,
			    w->killed != WKILL_NONE ? ", " : "",
			    wkill_names[w->killed]);
		return WSESSION_NONE;
	}
	secs = (double)(ev_now_ms() - w->busy_ms) / 1000.0;
	if (!clean) {
		if (*kind == WEND_NORMAL)
			*kind = WEND_FAILED;	/* no session_end */
		log_warnx("session %lld (tenant %s, peer %s%s): worker %d %s "
		    "(%s%s%s) after %.1fs", (long long)w->session_id,
		    w->tenant, w->peer, via, (int)w->pid, wend_name(*kind),
		    how, w->killed != WKILL_NONE ? ", " : "",
		    wkill_names[w->killed], secs);
		audit_end(w, wend_name(*kind));
		return WSESSION_FAILED;
	}
	/* ssh: who it was, as our own auth_reply said. */
	key[0] = '\0';
	if (w->auth.authed && w->auth.cert)
		snprintf(key, sizeof(key), "; tenant %s, key %s %s ID %s "
		    "(serial %llu)", w->tenant, w->auth.keyname,
		    w->auth.fingerprint, w->auth.cert_id,
		    (unsigned long long)w->auth.cert_serial);
	else if (w->auth.authed)
		snprintf(key, sizeof(key), "; tenant %s, key %s %s",
		    w->tenant, w->auth.keyname, w->auth.fingerprint);
	log_info("session %lld: ended (%s) after %.1fs, %llu bytes in, %llu "
	    "out, %llu instructions%s", (long long)w->session_id,
	    w->end_reason, secs, (unsigned long long)w->counters.bytes_in,
	    (unsigned long long)w->counters.bytes_out,
	    (unsigned long long)w->counters.instructions, key);
	audit_end(w, w->end_reason);
	/* Refused by our peer_verdict: never a session. */
	return strcmp(w->end_reason, "refused") == 0 ? WSESSION_REJECTED :
	    WSESSION_COMPLETED;
}

void
wproc_reaped(struct worker *w, int status, const struct rusage *ru)
{
	struct workers	*wk = w->wk;
	enum wsession	 outcome;
	enum wend	 kind;
	char		 how[96];

	w->reaped = true;
	if (w->detached) {
		TAILQ_REMOVE(&wk->detached, w, detached_entry);
		w->detached = false;
	}
	/* Its uid runs nothing any more: another worker may have it. */
	release_uid(w);
	/* What it said before it died is still queued: hear it out. */
	if (w->killed == WKILL_NONE)
		wproc_chan_read(w, WPROC_MSGS_AT_EXIT);
	/*
	 * The upgrade: a taker gone leaves the old worker its session; an
	 * old worker gone leaves the taker nothing to take.
	 */
	if (w->takeover_from != NULL) {
		log_warnx("session %lld: worker %d, which was taking it over, "
		    "is gone; it goes on in worker %d",
		    (long long)w->takeover_from->session_id, (int)w->pid,
		    (int)w->takeover_from->pid);
		wproc_taken(w, false);
	}
	if (w->handover_to != NULL) {
		w->handover_to->takeover_from = NULL;
		w->handover_to = NULL;
	}
	wproc_record_drop(w);
	/* Died before it took its session: the connection waits again. */
	if (w->handoff_fd != -1)
		take_back(w, "ended before it took it");
	wproc_err_drain(w);
	kind = classify(w, status, ru, how, sizeof(how));
	outcome = log_end(w, status, &kind, how);
	ev_del(&wk->ctx->loop, &w->ev_chan);
	close(w->chan);
	w->chan = -1;
	if (w->errfd != -1) {
		ev_del(&wk->ctx->loop, &w->ev_err);
		close(w->errfd);
		w->errfd = -1;
	}
	/* Its penalties and holds, its pool's counts: the owner's. */
	wk->owner->gone(w, kind, status, outcome);
	/* Freed after this loop turn: an event for it may be pending. */
	TAILQ_INSERT_TAIL(&wk->graveyard, w, entry);
}

/* --- every worker -------------------------------------------------------- */

void
wproc_init(struct workers *wk, struct ctx *ctx, struct spawner *sp)
{
	memset(wk, 0, sizeof(*wk));
	wk->ctx = ctx;
	wk->spawner = sp;
	wk->uid = wk->gid = -1;
	recorder_init(&wk->rec);
	audit_init(&wk->audit);
	TAILQ_INIT(&wk->graveyard);
	TAILQ_INIT(&wk->detached);
}

void
wproc_set_owner(struct workers *wk, const struct wproc_owner *owner)
{
	wk->owner = owner;
}

void
wproc_bury(struct workers *wk)
{
	struct worker	*w;

	while ((w = TAILQ_FIRST(&wk->graveyard)) != NULL) {
		TAILQ_REMOVE(&wk->graveyard, w, entry);
		free(w);
	}
}

void
wproc_free(struct workers *wk)
{
	wproc_bury(wk);
	uidpool_free(&wk->uids);
}

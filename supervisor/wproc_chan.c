/*
 * wproc_chan.c: a worker's channel and stderr pipe (see wproc.h): every
 * message read, validated, and dispatched to the handler that the owning
 * module registered for its type.
 *
 * Nothing a worker sends is trusted: each message is validated against
 * the message table for the worker's state (msg_recv), reads are budgeted
 * per wakeup and per second (a flood is a violation), and log and stderr
 * lines are rate-limited, escaped and never raised above "err". What a
 * worker says about its own life (ready, status, session_end, pings) is
 * taken in here before any handler sees it; a message that breaks a rule
 * here or in its handler gets the worker killed, in one log line.
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "escape.h"
#include "log.h"
#include "msg.h"
#include "wproc.h"
#include "wproc_internal.h"

#define MSGS_PER_SECOND		2000	/* more is a flood: killed */
#define LOGS_PER_SECOND		20	/* more are dropped, counted */

void
wproc_handle(struct workers *wk, enum msg_type type, wproc_handler fn,
    void *arg)
{
	/* One owner per message: a second one is a bug of ours. */
	if (wk->handlers[type].fn != NULL)
		fatalx("worker message %s has a handler already",
		    msg_type_name(type));
	wk->handlers[type].fn = fn;
	wk->handlers[type].arg = arg;
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
		    wproc_name(w), w->logs.dropped, plural(w->logs.dropped),
		    LOGS_PER_SECOND);
		w->logs.dropped = 0;
	}
	if (!rl_take(&w->logs, now, LOGS_PER_SECOND))
		return;
	/* Its "session N: " is in our prefix already (wproc_name). */
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
	log_msg(prio, "%s%s: %s", wproc_name(w), what, vis);
}

static void
violation(struct worker *w, const char *what)
{
	char	 vis[512];

	escape_untrusted(vis, sizeof(vis), what, strlen(what));
	log_warnx("%s: protocol violation: %s", wproc_name(w), vis);
	wproc_kill(w, WKILL_PROTOCOL, "broke the protocol");
}

/* --- what a worker says of its own life ---------------------------------- */

/*
 * Each returns whether the message goes on to its registered handler:
 * false when it broke a rule (the worker is being killed) or there is
 * nothing more to do.
 */

static bool
on_ready(struct worker *w, const struct msg_ready *m)
{
	const char	*build = w->wk->ctx->build;

	if (strcmp(m->build, build) != 0) {
		log_warnx("worker %d runs build %s but the supervisor is build "
		    "%s (upgraded under a running supervisor?): restart "
		    "iridiumd", (int)w->pid, m->build, build);
		wproc_kill(w, WKILL_BUILD, "build mismatch");
		return false;
	}
	if (m->pid != w->pid) {
		violation(w, "ready with a pid that is not its own");
		return false;
	}
	w->ready_ms = ev_now_ms();
	/* Told to stop while it started: it exits on its own. */
	if (w->state == WS_STOPPING)
		return false;
	wproc_set_state(w, WS_IDLE);
	log_debug("pool %s: worker %d ready after %lldms", w->lc->name,
	    (int)w->pid, (long long)(w->ready_ms - w->spawned_ms));
	return true;
}

static bool
on_status(struct worker *w, const struct msg_status *m)
{
	if (w->state != WS_STOPPING && strcmp(m->state, w->state == WS_BUSY ?
	    "busy" : "idle") != 0) {
		violation(w, "status state does not match");
		return false;
	}
	/* Its first `status`: it has its session, and our copy goes. */
	if (w->handoff_fd != -1) {
		close(w->handoff_fd);
		w->handoff_fd = -1;
	}
	w->counters = m->counters;
	w->counters_ms = ev_now_ms();
	return true;
}

static bool
on_ping(struct worker *w, const struct msg_ping *m)
{
	struct msg_ping	 pong;
	char		 err[128];

	pong.seq = m->seq;
	if (msg_send(w->chan, MSG_PONG, &pong, -1, MSG_DONTWAIT, err,
	    sizeof(err)) == -1)
		log_debug("%s: send pong: %s", wproc_name(w),
		    strerror(errno));
	return true;
}

static bool
on_pong(struct worker *w, const struct msg_ping *m)
{
	if (w->ping_sent_ms == 0 || m->seq != w->ping_seq)
		return false;
	if (w->unresponsive)
		log_notice("%s: responsive again", wproc_name(w));
	w->unresponsive = false;
	w->ping_sent_ms = 0;
	w->ping_last_ms = ev_now_ms();
	return true;
}

static bool
on_session_end(struct worker *w, const struct msg_session_end *m)
{
	if (w->session_id == 0 || w->ended) {
		violation(w, "session_end without a session");
		return false;
	}
	w->ended = true;
	strlcpy(w->end_reason, m->reason, sizeof(w->end_reason));
	w->counters = m->counters;
	w->exit_status = (int)m->exit_status;
	w->counters_ms = ev_now_ms();
	wproc_set_state(w, WS_STOPPING);
	return true;
}

/* Ours first, then the handler registered for its type. */
static void
dispatch(struct worker *w, const struct msg *m)
{
	wproc_handler	 fn = w->wk->handlers[m->type].fn;
	char		 err[256];
	bool		 ours = true, go_on;

	switch (m->type) {
	case MSG_READY:
		go_on = on_ready(w, &m->u.ready);
		break;
	case MSG_STATUS:
		go_on = on_status(w, &m->u.status);
		break;
	case MSG_LOG:
		log_untrusted(w, (int)m->u.log.level, "", m->u.log.msg,
		    strlen(m->u.log.msg));
		go_on = true;
		break;
	case MSG_PING:
		go_on = on_ping(w, &m->u.ping);
		break;
	case MSG_PONG:
		go_on = on_pong(w, &m->u.ping);
		break;
	case MSG_SESSION_END:
		go_on = on_session_end(w, &m->u.session_end);
		break;
	default:
		ours = false;
		go_on = true;
		break;
	}
	if (!go_on)
		return;
	if (fn == NULL) {
		if (!ours)
			violation(w, "unexpected message");
		return;
	}
	err[0] = '\0';
	if (fn(w->wk->handlers[m->type].arg, w, m, err, sizeof(err)) == -1)
		violation(w, err[0] != '\0' ? err : "refused by its handler");
}

void
wproc_chan_read(struct worker *w, int budget)
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
				log_warn("%s: read channel", wproc_name(w));
			return;
		}
		if (rc == 0 || rc == -1) {	/* EOF, or reset by its exit */
			/* Closed its end: it is exiting, or useless. */
			ev_del(&w->wk->ctx->loop, &w->ev_chan);
			if (!w->reaped && w->state != WS_STOPPING &&
			    !w->ended)
				log_debug("%s: closed its channel",
				    wproc_name(w));
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
		dispatch(w, &m);
		msg_clear(&m);
	}
}

void
wproc_chan_cb(struct ev *e, uint32_t events)
{
	struct worker	*w = e->arg;

	(void)events;
	wproc_chan_read(w, WPROC_MSGS_PER_WAKEUP);
}

/* --- its stderr ---------------------------------------------------------- */

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

void
wproc_err_cb(struct ev *e, uint32_t events)
{
	struct worker	*w = e->arg;
	int		 i;

	(void)events;
	for (i = 0; i < 8; i++) {
		if (err_read(w) == -1) {
			ev_del(&w->wk->ctx->loop, &w->ev_err);
			return;
		}
	}
}

void
wproc_err_drain(struct worker *w)
{
	if (w->errfd == -1)
		return;
	while (err_read(w) == 1)
		;
	if (w->errlen > 0) {
		w->errline[w->errlen] = '\0';
		log_untrusted(w, LOG_WARNING, " stderr", w->errline,
		    w->errlen);
	}
}

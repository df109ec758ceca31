/*
 * upgrade.c: iridiumctl upgrade and SIGUSR2, every worker replaced by
 * the program now on disk, the sessions going on (see upgrade.h).
 *
 * What a worker says here is a claim too: a `taken` from a worker that
 * was given no `takeover` is a protocol violation. The session's records
 * move to the taker only when it says it took it, and only the old
 * worker's, never anything the taker says about them.
 */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "escape.h"
#include "ev.h"
#include "log.h"
#include "msg.h"
#include "upgrade.h"

void
upgrade_init(struct upgrade *u, struct ctx *ctx, struct workers *wk,
    struct resume *r, struct admission *adm)
{
	memset(u, 0, sizeof(*u));
	u->ctx = ctx;
	u->wk = wk;
	u->resume = r;
	u->adm = adm;
}

static int
on_taken(void *arg, struct worker *n, const struct msg *m, char *why,
    size_t whylen)
{
	struct upgrade		*u = arg;
	const struct msg_taken	*t = &m->u.taken;
	struct worker		*w = n->takeover_from;
	char			 msg[MSG_TEXT_MAX * 4 + 1];
	int64_t			 id;

	if (!n->takeover) {
		snprintf(why, whylen, "taken with no takeover");
		return -1;
	}
	if (w == NULL) {
		/* Its old worker died meanwhile: it ended there. */
		wproc_taken(n, false);
		wproc_shutdown(n, n->pc->grace, "its session ended in its old "
		    "worker during the upgrade");
		return 0;
	}
	id = w->session_id;
	if (!t->ok) {
		escape_untrusted(msg, sizeof(msg), t->message,
		    strlen(t->message));
		log_warnx("session %lld: worker %d could not take it over: %s; "
		    "it goes on in worker %d", (long long)id, (int)n->pid, msg,
		    (int)w->pid);
		w->upgrade_due = false;
		u->failed++;
		wproc_taken(n, false);
		/* It exits by itself; a deadline if it does not. */
		wproc_shutdown(n, 0, "nothing to take over");
		return 0;
	}
	log_info("session %lld: moved from worker %d to worker %d "
	    "(upgrade)", (long long)id, (int)w->pid, (int)n->pid);
	u->moved++;
	wproc_taken(n, true);
	return 0;
}

void
upgrade_register(struct upgrade *u)
{
	wproc_handle(u->wk, MSG_TAKEN, on_taken, u);
}

void
upgrade_begin(struct upgrade *u, struct upgrade_plan *pl)
{
	memset(pl, 0, sizeof(*pl));
	/* New workers get a new `hello`; older idle ones are retired. */
	u->ctx->generation++;
	u->generation = u->ctx->generation;
	u->upgrades++;
	pl->generation = u->generation;
}

/* Whether w's session can move now; *never: it will not. */
static bool
movable(const struct worker *w, bool *never)
{
	*never = w->state != WS_BUSY || w->killed != WKILL_NONE || w->ended ||
	    w->admin_kill || w->detached || w->session_id == 0;
	if (*never)
		return false;
	/* Not yet its own: the hand-off, a PROXY header, a resume. */
	return w->handoff_fd == -1 && (!w->proxy || w->peer_seen) &&
	    w->resuming == 0 && w->handover_to == NULL;
}

/* An ssh session: told to reconnect, or ended. */
static void
upgrade_ssh(struct upgrade *u, struct worker *w, struct upgrade_plan *pl)
{
	unsigned	 window;
	char		 text[MSG_TEXT_MAX + 1];

	if (!w->auth.authed || w->tenant[0] == '\0' || w->resuming != 0)
		return;
	if ((window = resume_window(u->resume, w->tenant)) == 0) {
		log_info("session %lld: ssh, resume_window 0: it ends for the "
		    "upgrade", (long long)w->session_id);
		wproc_shutdown(w, w->pc->grace, "The server was upgraded; log "
		    "in again to start a new session.");
		pl->ssh_ended++;
		return;
	}
	snprintf(text, sizeof(text), "The server is being upgraded: this "
	    "connection ends, your session %lld waits %u minute%s. Log in "
	    "again and type !resume %lld (or: ssh -t %s@HOST resume %lld).",
	    (long long)w->session_id, (window + 59) / 60,
	    (window + 59) / 60 == 1 ? "" : "s", (long long)w->session_id,
	    w->tenant, (long long)w->session_id);
	log_info("session %lld: ssh: told to reconnect for the upgrade",
	    (long long)w->session_id);
	wproc_reconnect(w, text);
	u->reconnected++;
	pl->ssh++;
}

void
upgrade_pool(struct upgrade *u, struct pool *p, struct upgrade_plan *pl)
{
	struct worker	*w;
	bool		 never;

	TAILQ_FOREACH(w, &p->workers, entry) {
		if (w->killed != WKILL_NONE)
			continue;
		if (w->state == WS_IDLE || w->state == WS_STARTING) {
			pl->idle++;
			continue;
		}
		(void)movable(w, &never);
		if (never)
			continue;
		if (strcmp(p->lc->transport, "ssh") == 0) {
			upgrade_ssh(u, w, pl);
			continue;
		}
		w->upgrade_due = true;
		pl->line++;
	}
}

/* An idle worker started since the upgrade, or NULL. */
static struct worker *
fresh_idle(struct upgrade *u, struct pool *p)
{
	struct worker	*n;

	TAILQ_FOREACH(n, &p->idle, idle_entry)
		if (n->generation >= u->generation &&
		    n->killed == WKILL_NONE && !n->unresponsive)
			return n;
	return NULL;
}

/* Give w's session to n: a socketpair, an end to each. */
static void
start_move(struct upgrade *u, struct worker *w, struct worker *n)
{
	char	 quota[MSG_TEXT_MAX + 1];
	int	 sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("session %lld: socketpair for the upgrade",
		    (long long)w->session_id);
		return;
	}
	(void)admit_quota(u->adm, &w->hold, quota, sizeof(quota));
	if (wproc_takeover(n, w, sv[0], quota) == -1) {
		close(sv[0]);
		close(sv[1]);
		return;
	}
	close(sv[0]);
	/* A failure here: the taker reads EOF and says so. */
	(void)wproc_handover(w, sv[1]);
	close(sv[1]);
	log_debug("session %lld: moving from worker %d to worker %d",
	    (long long)w->session_id, (int)w->pid, (int)n->pid);
}

void
upgrade_turn(struct upgrade *u, struct pool *p)
{
	struct worker	*w, *n;
	unsigned	 under_way = 0;
	bool		 never;

	if (u->generation == 0 || u->ctx->stopping ||
	    strcmp(p->lc->transport, "line") != 0)
		return;
	TAILQ_FOREACH(w, &p->workers, entry)
		if (w->handover_to != NULL)
			under_way++;
	TAILQ_FOREACH(w, &p->workers, entry) {
		if (under_way >= UPGRADE_MOVES_MAX)
			break;
		if (!w->upgrade_due)
			continue;
		if (!movable(w, &never)) {
			if (never)
				w->upgrade_due = false;
			continue;
		}
		if ((n = fresh_idle(u, p)) == NULL)
			break;
		/*
		 * Its recording goes along: a new worker whose RLIMIT_FSIZE
		 * is smaller (a reload lowered record_max or turned it off)
		 * would die at its next write. The session stays.
		 */
		if (w->record_path[0] != '\0' &&
		    n->record_fsize < w->record_fsize) {
			log_warnx("session %lld: stays in worker %d: its "
			    "recording needs more than new workers may write "
			    "(record_max was lowered)", (long long)w->session_id,
			    (int)w->pid);
			w->upgrade_due = false;
			u->failed++;
			continue;
		}
		start_move(u, w, n);
		under_way++;
	}
}

unsigned
upgrade_tick(struct upgrade *u, struct pool *p, int64_t now)
{
	struct worker	*w;
	unsigned	 left = 0;
	bool		 never;

	if (u->generation == 0)
		return 0;
	TAILQ_FOREACH(w, &p->workers, entry) {
		if (w->takeover && w->takeover_from != NULL &&
		    now - w->takeover_ms > UPGRADE_MOVE_MS) {
			log_warnx("session %lld: worker %d did not take it over "
			    "in %d s", (long long)w->takeover_from->session_id,
			    (int)w->pid, UPGRADE_MOVE_MS / 1000);
			w->takeover_from->upgrade_due = false;
			u->failed++;
			wproc_kill(w, WKILL_UNRESPONSIVE, "no taken");
		}
		if (!w->upgrade_due)
			continue;
		(void)movable(w, &never);
		if (never)
			w->upgrade_due = false;
		else
			left++;
	}
	return left;
}

void
upgrade_settle(struct upgrade *u, unsigned left)
{
	if (u->generation == 0 || left > 0)
		return;
	log_info("upgrade to generation %u done: %llu line session%s moved, "
	    "%llu stayed in their old worker%s, %llu ssh session%s told to "
	    "reconnect (since start)", u->generation,
	    (unsigned long long)u->moved, u->moved == 1 ? "" : "s",
	    (unsigned long long)u->failed, u->failed == 1 ? "" : "s",
	    (unsigned long long)u->reconnected,
	    u->reconnected == 1 ? "" : "s");
	u->generation = 0;
}

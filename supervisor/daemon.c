/*
 * daemon.c: iridiumd's start-up, its one event loop, its shutdown, and
 * what the control socket's commands do (see daemon.h); reload.c is the
 * rest of this module.
 *
 * How the supervisor stacks, each floor using only the floors below it:
 *
 *   iridiumd.c        main: the flags and the configuration, then this
 *   daemon.c reload.c the loop: signals, the tick, start-up, shutdown,
 *                     the control commands, the configuration re-read
 *   statusdoc.c       the status document, read from the floors below
 *   listener.c        accept; admission's verdict; the connection to its
 *                     listener's pool
 *   pool.c            a listener's workers and waiting connections: how
 *                     many workers, which one takes a connection; the
 *                     owner of every worker's life
 *   upgrade.c         iridiumctl upgrade: sessions moved to new workers
 *   resume.c          detached sessions: `detach`, `resume`, tokens
 *   auth.c            ssh logins: keys, `auth_query`
 *   admit.c           the supervisor's limits: verdicts on connections,
 *                     PROXY clients and logins; penalties
 *   wproc.c           one worker process: its start, the messages to it,
 *   wproc_chan.c      its channel (every message read and validated, then
 *   wproc_record.c    dispatched), pings, kill and end; its recording
 *   history.c         an ssh tenant's history file
 *   recording.c       the recording directory, each file and its header
 *   spawner.c         the helper process that starts worker programs
 *   filer.c           threads that do file work beside the loop
 *   control.c         the control socket and its clients
 *   ctx.h             what every floor reads: the configuration, the
 *                     loop, the generation, session ids
 *   config*.c         the configuration: its keys, file, checks
 *   ev.c source.c tenant.c uidpool.c authkeys.c hostkey.c notify.c
 *   sockact.c staticlibs.c   the tools at the bottom, which know
 *                     nothing of the floors above them
 *
 * A module calls down into what it uses; nothing calls up. What has to
 * go up is a return value, or goes through a callback that the module
 * above registered:
 *
 *   - Decisions return verdicts. admit_accept() says pass, refuse (with
 *     the line for the client) or drop, and the listener acts on it;
 *     pool_take() says whether a connection could be taken or must be
 *     refused; a message handler says whether the worker broke a rule,
 *     and wproc kills it if so.
 *   - wproc reads and checks every message a worker sends, takes in what
 *     concerns the worker's own life (ready, status, log, ping, pong,
 *     session_end), then calls the handler that the message's owner
 *     registered at start-up (wproc_handle): pool.c `ready` and `pong`,
 *     admit.c `status` and `peer`, auth.c `auth_query`, statusdoc.c
 *     `negotiated`. A worker's life events (its state, a program that
 *     never started, a connection it never took, its end) go to its
 *     owner, pool.c, through struct wproc_owner.
 *   - The spawner answers through the callback given to it
 *     (wproc_spawned); the control socket runs the commands through the
 *     table of operations given to it (ctl_ops, below); a filer job's
 *     done() runs in the loop, given by the module that queued it.
 *
 * A connection's way: accept (listener.c) -> admit_accept -> pool_take ->
 * wproc_session (the fd goes to an idle worker with `session`, or the
 * connection waits in the queue) -> the worker's first `status` (the
 * hand-off is done; admit.c: a line session is under way) -> ... -> the
 * worker is reaped: wproc.c logs the session's end, pool.c counts it,
 * admit.c applies penalties and gives its holds back.
 *
 * Signals arrive through a signalfd (blocked otherwise), time through a
 * 1-second timerfd: no work ever happens in a signal handler. The loop
 * runs until a TERM or INT has been handled and every worker is reaped.
 * Every module's state is the loop thread's alone: the filer's threads
 * (filer.h) only make system calls on what a job carries, and hand the
 * job back through an eventfd.
 */
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "admit.h"
#include "auth.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "listener.h"
#include "log.h"
#include "pool.h"
#include "spawner.h"
#include "statusdoc.h"
#include "version.h"
#include "wproc.h"


#if defined(__SANITIZE_ADDRESS__)
#define DAEMON_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DAEMON_SANITIZED	1
#endif
#endif

bool
daemon_worker_stderr(const struct config *cfg)
{
#ifdef DAEMON_SANITIZED
	(void)cfg;
	return true;
#else
	return cfg->sandbox_debug || cfg->log_level >= LOG_DEBUG;
#endif
}

/* The live worker of pid (when not 0), or serving session, or NULL. */
static struct worker *
find_worker(struct daemon *d, pid_t pid, int64_t session)
{
	struct listener	*l;
	struct worker	*w;

	TAILQ_FOREACH(l, &d->listeners, entry)
		TAILQ_FOREACH(w, &l->pool.workers, entry)
			if (!w->reaped && (pid != 0 ? w->pid == pid :
			    w->session_id == session))
				return w;
	return NULL;
}

static unsigned
count_workers(struct daemon *d)
{
	struct listener	*l;
	unsigned	 n = 0;

	TAILQ_FOREACH(l, &d->listeners, entry)
		n += l->pool.nworkers;
	return n;
}

/* --- what the control socket's commands do (control.h) ----------------- */

static json_t *
ctl_status(void *arg)
{
	struct daemon	*d = arg;

	return status_document(&d->status);
}

static json_t *
ctl_sessions(void *arg)
{
	struct daemon	*d = arg;

	return status_sessions(&d->status);
}

/* The audit log's line for a reload, good or not. */
static void
audit_reload(struct daemon *d, const char *how, unsigned uid, bool ok)
{
	audit_event(&d->workers.audit, "reload", json_pack("{s:s, s:i, s:b, "
	    "s:i}", "by", how, "uid", (int)uid, "ok", ok, "generation",
	    (int)d->ctx.generation));
}

static int
ctl_kill(void *arg, unsigned uid, int64_t id, struct control_killed *k,
    char *why, size_t whylen)
{
	struct daemon	*d = arg;
	struct worker	*w;

	if ((w = find_worker(d, 0, id)) == NULL) {
		snprintf(why, whylen, "no session %lld", (long long)id);
		return -1;
	}
	if (w->ended || w->state != WS_BUSY || w->killed != WKILL_NONE) {
		snprintf(why, whylen, "session %lld is already ending",
		    (long long)id);
		return -1;
	}
	log_info("control: uid %u: kill session %lld", uid, (long long)id);
	audit_event(&d->workers.audit, "kill", json_pack("{s:i, s:I, s:s, "
	    "s:s, s:i}", "uid", (int)uid, "session", (json_int_t)id, "tenant",
	    w->tenant, "peer", w->peer, "pid", (int)w->pid));
	wproc_end_session(w);
	k->pid = w->pid;
	k->grace = w->pc->grace;
	return 0;
}

static enum control_reload
ctl_reload(void *arg, unsigned uid, struct control_reloaded *r)
{
	struct daemon	*d = arg;

	if (d->ctx.stopping) {
		strlcpy(r->why, "iridiumd is shutting down", sizeof(r->why));
		return CONTROL_RELOAD_REFUSED;
	}
	if (d->ctx.cfgpath[0] == '\0') {
		strlcpy(r->why, "iridiumd was started without a configuration "
		    "file (-f): nothing to reload", sizeof(r->why));
		return CONTROL_RELOAD_REFUSED;
	}
	log_info("control: uid %u: reload", uid);
	if (daemon_reload(d, &r->changes, &r->errs) == 0) {
		r->generation = d->ctx.generation;
		audit_reload(d, "iridiumctl", uid, true);
		return CONTROL_RELOADED;
	}
	audit_reload(d, "iridiumctl", uid, false);
	snprintf(r->why, sizeof(r->why), "reload failed: %u error%s in %s; "
	    "still running configuration generation %u", r->errs.nerrors,
	    r->errs.nerrors == 1 ? "" : "s", d->ctx.cfgpath, d->ctx.generation);
	return CONTROL_RELOAD_FAILED;
}

/*
 * The audit log's line for an upgrade, begun or refused: by iridiumctl
 * (uid) or SIGUSR2 (uid and pid of the sender); pl NULL when refused.
 */
static void
audit_upgrade(struct daemon *d, const char *by, unsigned uid, int pid,
    const struct upgrade_plan *pl, const char *why)
{
	json_t	*j;

	j = json_pack("{s:s, s:i, s:b, s:i}", "by", by, "uid", (int)uid, "ok",
	    pl != NULL, "generation", pl != NULL ? (int)pl->generation :
	    (int)d->ctx.generation);
	if (j == NULL)
		return;
	if (pid > 0)
		(void)json_object_set_new(j, "pid", json_integer(pid));
	if (pl != NULL) {
		(void)json_object_set_new(j, "line_sessions",
		    json_integer(pl->line));
		(void)json_object_set_new(j, "ssh_sessions",
		    json_integer(pl->ssh));
		(void)json_object_set_new(j, "ssh_ended",
		    json_integer(pl->ssh_ended));
		(void)json_object_set_new(j, "idle_workers",
		    json_integer(pl->idle));
	} else
		(void)json_object_set_new(j, "why", json_string(why));
	audit_event(&d->workers.audit, "upgrade", j);
}

/* iridiumctl upgrade and SIGUSR2: every worker replaced (upgrade.h). */
static int
upgrade(struct daemon *d, const char *who, struct upgrade_plan *pl,
    char *why, size_t whylen)
{
	struct listener	*l;

	if (d->ctx.stopping) {
		snprintf(why, whylen, "iridiumd is shutting down");
		return -1;
	}
	upgrade_begin(&d->upgrade, pl);
	TAILQ_FOREACH(l, &d->listeners, entry)
		upgrade_pool(&d->upgrade, &l->pool, pl);
	log_info("%s: upgrade: workers from %s and %s, generation %u: %u line "
	    "session%s to move, %u ssh session%s told to reconnect, %u "
	    "ended (resume_window 0), %u idle worker%s to replace", who,
	    d->ctx.cfg.worker_path, d->ctx.cfg.ssh_worker_path,
	    pl->generation, pl->line, plural(pl->line), pl->ssh,
	    plural(pl->ssh), pl->ssh_ended, pl->idle, plural(pl->idle));
	return 0;
}

static int
ctl_upgrade(void *arg, unsigned uid, struct control_upgraded *r, char *why,
    size_t whylen)
{
	struct upgrade_plan	 pl;
	char			 who[48];

	snprintf(who, sizeof(who), "control: uid %u", uid);
	if (upgrade(arg, who, &pl, why, whylen) == -1) {
		audit_upgrade(arg, "iridiumctl", uid, 0, NULL, why);
		return -1;
	}
	audit_upgrade(arg, "iridiumctl", uid, 0, &pl, NULL);
	r->generation = pl.generation;
	r->line = pl.line;
	r->ssh = pl.ssh;
	r->ssh_ended = pl.ssh_ended;
	r->idle = pl.idle;
	return 0;
}

static json_t *
ctl_recordings(void *arg, const char *tenant, const char *since, char *why,
    size_t whylen)
{
	struct daemon	*d = arg;

	return recorder_list(&d->workers.rec, tenant, since, why, whylen);
}

static const struct control_ops ctl_ops = {
	.status = ctl_status,
	.sessions = ctl_sessions,
	.kill = ctl_kill,
	.reload = ctl_reload,
	.upgrade = ctl_upgrade,
	.recordings = ctl_recordings,
};

static void
reap(struct daemon *d)
{
	struct worker	*w;
	struct rusage	 ru;
	pid_t		 pid;
	int		 status;

	/* With its CPU time: a CPU limit's SIGKILL is told from others. */
	while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0) {
		if ((w = find_worker(d, pid, 0)) == NULL) {
			if (!spawner_reaped(&d->spawner, pid, status, &ru))
				log_debug("reaped unknown child %d",
				    (int)pid);
			continue;
		}
		wproc_reaped(w, status, &ru);
	}
	if (pid == -1 && errno != ECHILD)
		log_warn("waitpid");
}

static void
begin_shutdown(struct daemon *d, const char *why)
{
	struct listener	*l;
	unsigned	 grace = 0, n;

	if (d->ctx.stopping)
		return;
	d->ctx.stopping = true;
	(void)notify_stopping(&d->notify);
	TAILQ_FOREACH(l, &d->listeners, entry)
		if (l->pool.cfg.grace > grace)
			grace = l->pool.cfg.grace;
	n = count_workers(d);
	log_info("%s: shutting down, %u worker%s %s %us to say goodbye", why,
	    n, plural(n), n == 1 ? "gets" : "get", grace);
	TAILQ_FOREACH(l, &d->listeners, entry) {
		listener_stop(l);
		pool_shutdown(&l->pool, l->pool.cfg.grace,
		    "server shutting down");
	}
}

static void
hup(struct daemon *d, unsigned uid)
{
	struct cfg_errors	 errs;
	struct buf		 changes;

	if (d->ctx.stopping)
		return;
	if (d->ctx.cfgpath[0] == '\0') {
		log_notice("SIGHUP: no configuration file (-f) to reload");
		return;
	}
	log_info("SIGHUP: reloading %s", d->ctx.cfgpath);
	(void)notify_reloading(&d->notify);
	cfg_errors_init(&errs);
	buf_init(&changes, 0);
	audit_reload(d, "SIGHUP", uid, daemon_reload(d, &changes, &errs) == 0);
	buf_free(&changes);
	cfg_errors_free(&errs);
	/*
	 * Done, good or bad (a bad file leaves the old configuration
	 * serving): systemd waits for READY=1 after RELOADING=1.
	 */
	(void)notify_ready(&d->notify);
}

/* The STATUS= line systemctl status shows. */
static void
notify_summary(struct daemon *d)
{
	struct listener	*l;
	unsigned	 busy = 0, idle = 0, queued = 0;
	char		 line[160];

	if (!notify_enabled(&d->notify))
		return;
	TAILQ_FOREACH(l, &d->listeners, entry) {
		busy += l->pool.nbusy;
		idle += l->pool.nidle;
		queued += l->pool.qlen;
	}
	snprintf(line, sizeof(line), "%u session%s, %u idle worker%s%s",
	    busy, busy == 1 ? "" : "s", idle, idle == 1 ? "" : "s",
	    d->ctx.stopping ? ", shutting down" : "");
	if (queued > 0)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		    ", %u waiting", queued);
	(void)notify_status(&d->notify, line);
}

/* A worker became ready: tell systemd once every pool is full. */
static void
check_ready(struct daemon *d)
{
	struct listener	*l;
	unsigned	 want;

	if (d->ready_sent || d->ctx.stopping)
		return;
	TAILQ_FOREACH(l, &d->listeners, entry) {
		want = l->pool.cfg.min_spare < l->pool.cfg.max_workers ?
		    l->pool.cfg.min_spare : l->pool.cfg.max_workers;
		if (l->fd != -1 && l->pool.nidle < want)
			return;
	}
	d->ready_sent = true;
	log_info("ready: every pool has its spare workers");
	(void)notify_ready(&d->notify);
	notify_summary(d);
}

static void
sig_cb(struct ev *e, uint32_t events)
{
	struct daemon		*d = e->arg;
	struct signalfd_siginfo	 si;
	struct upgrade_plan	 plan;
	ssize_t			 n;
	char			 why[512], err[64];

	(void)events;
	for (;;) {
		n = read(d->sigfd, &si, sizeof(si));
		if (n != (ssize_t)sizeof(si)) {
			if (n == -1 && errno != EAGAIN && errno != EINTR)
				log_warn("read signalfd");
			return;
		}
		switch (si.ssi_signo) {
		case SIGCHLD:
			reap(d);
			break;
		case SIGTERM:
		case SIGINT:
			/* Who asked, for the operator reading the log. */
			snprintf(why, sizeof(why), "%s from pid %u",
			    si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT",
			    si.ssi_pid);
			begin_shutdown(d, why);
			break;
		case SIGHUP:
			hup(d, si.ssi_uid);
			break;
		case SIGUSR1:
			/* logrotate renamed the audit log: a new file. */
			if (audit_open(&d->workers.audit, &d->ctx.cfg, why,
			    sizeof(why)) == -1)
				log_warnx("SIGUSR1: audit log: %s", why);
			else if (d->workers.audit.fd != -1)
				log_info("SIGUSR1: audit log %s reopened",
				    d->workers.audit.path);
			break;
		case SIGUSR2:
			snprintf(why, sizeof(why), "SIGUSR2 from pid %u",
			    si.ssi_pid);
			if (upgrade(d, why, &plan, err, sizeof(err)) == -1) {
				log_notice("%s: no upgrade: %s", why, err);
				audit_upgrade(d, "SIGUSR2", si.ssi_uid,
				    (int)si.ssi_pid, NULL, err);
			} else
				audit_upgrade(d, "SIGUSR2", si.ssi_uid,
				    (int)si.ssi_pid, &plan, NULL);
			break;
		default:
			break;
		}
	}
}

static void
tick_cb(struct ev *e, uint32_t events)
{
	struct daemon	*d = e->arg;
	struct listener	*l;
	uint64_t	 expirations;
	int64_t		 now = ev_now_ms();
	unsigned	 left;

	(void)events;
	if (read(d->tickfd, &expirations, sizeof(expirations)) == -1 &&
	    errno != EAGAIN)
		log_warn("read timerfd");
	spawner_tick(&d->spawner, now);
	TAILQ_FOREACH(l, &d->listeners, entry)
		listener_tick(l, now);
	daemon_reap_listeners(d);
	admit_tick(&d->adm, now);
	audit_tick(&d->workers.audit, now);
	resume_tick(&d->resume, now);
	left = 0;
	TAILQ_FOREACH(l, &d->listeners, entry)
		left += upgrade_tick(&d->upgrade, &l->pool, now);
	upgrade_settle(&d->upgrade, left);
	if (d->ctl != NULL)
		control_tick(d->ctl, now);
	check_ready(d);
	notify_summary(d);
	/* Only a loop that still turns says it is alive. */
	(void)notify_watchdog(&d->notify, now);
}

/*
 * As root, workers drop to a uid and gid of their own each (worker_uids,
 * checked by daemon_check_system) or to the configured user, never to
 * nobody, and chroot to a root-owned empty directory.
 */
static int
setup_identity(struct daemon *d, char *err, size_t errlen)
{
	struct workers		*wk = &d->workers;
	const struct config	*cfg = &d->ctx.cfg;
	const struct uid_range	*r = &cfg->worker_uids;
	struct passwd		*pw = NULL;
	struct stat		 st;
	DIR			*dir;

	wk->uid = wk->gid = -1;
	wk->chroot[0] = '\0';
	if (geteuid() != 0) {
		log_info("not running as root: workers keep uid %d and no "
		    "chroot (development mode)", (int)geteuid());
		return 0;
	}
	if (r->first != 0) {
		if (uidpool_init(&wk->uids, r->first, r->last) == -1) {
			snprintf(err, errlen, "worker uids: out of memory");
			return -1;
		}
	} else if ((pw = getpwnam(cfg->user)) == NULL) {
		snprintf(err, errlen, "no user %s for the workers (create it, "
		    "or set worker_uids)", cfg->user);
		return -1;
	} else if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		snprintf(err, errlen, "user %s has uid or gid 0: workers must "
		    "not run as root", pw->pw_name);
		return -1;
	} else {
		wk->uid = pw->pw_uid;
		wk->gid = pw->pw_gid;
	}

	if (cfg->chroot[0] != '\0')
		strlcpy(wk->chroot, cfg->chroot, sizeof(wk->chroot));
	else if (snprintf(wk->chroot, sizeof(wk->chroot), "%s/empty",
	    cfg->run_dir) >= (int)sizeof(wk->chroot)) {
		snprintf(err, errlen, "run directory path too long");
		return -1;
	}
	if (mkdir(wk->chroot, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", wk->chroot,
		    strerror(errno));
		return -1;
	}
	if (lstat(wk->chroot, &st) == -1) {
		snprintf(err, errlen, "%s: %s", wk->chroot, strerror(errno));
		return -1;
	}
	/* The workers' root must be ours, theirs to read, nobody's to fill. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "chroot %s must be a directory owned by "
		    "root and writable by no one else", wk->chroot);
		return -1;
	}
	if ((dir = opendir(wk->chroot)) == NULL) {
		snprintf(err, errlen, "%s: %s", wk->chroot, strerror(errno));
		return -1;
	}
	{
		struct dirent	*de;
		int		 entries = 0;

		while ((de = readdir(dir)) != NULL)
			if (strcmp(de->d_name, ".") != 0 &&
			    strcmp(de->d_name, "..") != 0)
				entries++;
		closedir(dir);
		if (entries != 0) {
			snprintf(err, errlen, "chroot %s is not empty",
			    wk->chroot);
			return -1;
		}
	}
	if (pw != NULL)
		log_info("workers run as %s (uid %d gid %d) in %s", pw->pw_name,
		    (int)wk->uid, (int)wk->gid, wk->chroot);
	else
		log_info("workers run each as a uid and gid of its own from "
		    "%u-%u (no user, group or process had one) in %s",
		    r->first, r->last, wk->chroot);
	return 0;
}

/* The host keys and the tenants' keys (auth.c). */
static int
daemon_ssh_init(struct daemon *d)
{
	struct cfg_errors	 errs;
	const char		*p;
	size_t			 n_keys, n_files;
	unsigned		 n;

	cfg_errors_init(&errs);
	n = auth_keys_load(&d->ctx.cfg, &d->auth.keys, &errs);
	n += auth_hostkeys_load(&d->auth, &d->ctx.cfg, &errs);
	d->workers.hostkey = d->auth.hostkey_text;
	for (p = errs.warnings.data; p != NULL && *p != '\0';
	    p = strchr(p, '\n') + 1)
		log_warnx("%.*s", (int)strcspn(p, "\n"), p);
	for (p = errs.errors.data; p != NULL && *p != '\0';
	    p = strchr(p, '\n') + 1)
		log_warnx("%.*s", (int)strcspn(p, "\n"), p);
	cfg_errors_free(&errs);
	if (n != 0) {
		log_warnx("%u error%s in the ssh keys; not starting", n,
		    n == 1 ? "" : "s");
		return -1;
	}
	auth_keys_counts(&d->auth.keys, &n_keys, &n_files);
	if (n_files > 0)
		log_info("%zu ssh key%s from %zu authorized_keys file%s",
		    n_keys, plural(n_keys), n_files, plural(n_files));
	if (d->auth.keys.nca > 0)
		log_info("%zu trusted user CA key%s", d->auth.keys.nca,
		    plural(d->auth.keys.nca));
	return 0;
}

/*
 * Say once what Landlock gives the workers here (each worker notes it
 * only at debug level): ABI 4 adds TCP rules, 6 signal and socket scoping.
 */
static void
log_landlock(void)
{
	long	 abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U);

	if (abi < 1)
		log_notice("landlock unavailable in this kernel: workers rely "
		    "on chroot, rlimits and seccomp");
	else if (abi < 6)
		log_notice("landlock ABI %ld: workers get %s", abi, abi < 4 ?
		    "filesystem rules only" : "filesystem and TCP rules, no "
		    "signal scoping");
	else
		log_info("landlock ABI %ld: workers get filesystem, TCP and "
		    "scope rules", abi);
}

static int
setup_run_dir(struct daemon *d, char *err, size_t errlen)
{
	if (mkdir(d->ctx.cfg.run_dir, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", d->ctx.cfg.run_dir,
		    strerror(errno));
		return -1;
	}
	return 0;
}

int
daemon_init(struct daemon *d, const struct config *cfg, const char *path,
    const struct cfg_flags *flags)
{
	struct listener		*l;
	struct itimerspec	 its;
	sigset_t		 mask;
	char			 err[512];
	size_t			 i;

	memset(d, 0, sizeof(*d));
	d->ctx.cfg = *cfg;
	if (path != NULL)
		strlcpy(d->ctx.cfgpath, path, sizeof(d->ctx.cfgpath));
	if (flags != NULL)
		d->flags = *flags;
	d->sigfd = d->tickfd = d->devnull = -1;
	d->ctx.loop.epfd = -1;
	TAILQ_INIT(&d->listeners);
	strlcpy(d->ctx.build, iridium_build_id, sizeof(d->ctx.build));
	d->ctx.generation = 1;
	d->notify.fd = -1;
	/* The modules, each given the context and what it uses below it. */
	spawner_init(&d->spawner, &d->ctx.loop, wproc_spawned, &d->workers);
	wproc_init(&d->workers, &d->ctx, &d->spawner);
	d->workers.stderr_pipe = daemon_worker_stderr(cfg);
	auth_init(&d->auth, &d->ctx, &d->adm);
	resume_init(&d->resume, &d->ctx, &d->workers, &d->adm);
	d->auth.resume = &d->resume;
	history_init(&d->history, &d->ctx, &d->workers);
	d->auth.history = &d->history;
	upgrade_init(&d->upgrade, &d->ctx, &d->workers, &d->resume, &d->adm);
	statusdoc_init(&d->status, &d->ctx, &d->listeners, &d->adm, &d->auth);
	d->status.upgrade = &d->upgrade;
	d->status.filer = &d->filer;
	d->status.rec = &d->workers.rec;
	/* Who handles what the workers say and do (wproc.h). */
	pool_register(&d->workers);
	admit_register(&d->adm, &d->workers);
	auth_register(&d->auth, &d->workers);
	resume_register(&d->resume);
	history_register(&d->history);
	upgrade_register(&d->upgrade);
	statusdoc_register(&d->status, &d->workers);

	/* systemd's variables are ours alone: read, then unset them. */
	if (notify_init(&d->notify, err, sizeof(err)) == -1 ||
	    sockact_init(&d->sockact, SOCKACT_FDS_START, err,
	    sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	if (d->sockact.n > 0)
		log_info("socket activation: %d listening socket%s from "
		    "systemd", d->sockact.n, d->sockact.n == 1 ? "" : "s");

	if (access(cfg->worker_path, X_OK) == -1) {
		log_warn("worker program %s", cfg->worker_path);
		return -1;
	}
	if (auth_config_has_ssh(cfg) && access(cfg->ssh_worker_path,
	    X_OK) == -1) {
		log_warn("ssh worker program %s", cfg->ssh_worker_path);
		return -1;
	}
	if ((d->devnull = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1) {
		log_warn("/dev/null");
		return -1;
	}
	if (setup_run_dir(d, err, sizeof(err)) == -1 ||
	    setup_identity(d, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return -1;
	}
	log_landlock();

	/* Both sides ignore SIGPIPE; sends also say MSG_NOSIGNAL. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGCHLD);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR2);
	sigaddset(&mask, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) == -1 ||
	    (d->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) ==
	    -1) {
		log_warn("signalfd");
		return -1;
	}
	if ((d->tickfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC)) == -1) {
		log_warn("timerfd");
		return -1;
	}
	memset(&its, 0, sizeof(its));
	its.it_interval.tv_sec = 1;
	its.it_value.tv_sec = 1;
	if (timerfd_settime(d->tickfd, 0, &its, NULL) == -1) {
		log_warn("timerfd_settime");
		return -1;
	}
	if (ev_init(&d->ctx.loop) == -1) {
		log_warn("epoll");
		return -1;
	}
	ev_set(&d->ev_sig, d->sigfd, sig_cb, d);
	ev_set(&d->ev_tick, d->tickfd, tick_cb, d);
	if (ev_add(&d->ctx.loop, &d->ev_sig, EPOLLIN) == -1 ||
	    ev_add(&d->ctx.loop, &d->ev_tick, EPOLLIN) == -1) {
		log_warn("epoll add");
		return -1;
	}
	if (filer_init(&d->filer, &d->ctx.loop) == -1) {
		log_warn("filer");
		return -1;
	}
	d->workers.filer = &d->filer;
	/* Before the listeners and the control socket: fewer fds to drop. */
	if (spawner_start(&d->spawner, d->devnull) == -1) {
		log_warn("spawner");
		return -1;
	}
	/* Before the listeners: a second daemon stops here, saying why. */
	if ((d->ctl = control_open(&d->ctx.loop, cfg->control, cfg->admin_group,
	    &ctl_ops, d, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}

	if (daemon_ssh_init(d) == -1 || admit_init(&d->adm, &d->ctx) == -1)
		return -1;
	/* Recordings: without their directory, sessions go unrecorded. */
	if (recording_wanted(cfg) && recorder_open(&d->workers.rec, cfg, err,
	    sizeof(err)) == -1)
		log_warnx("recordings: %s; sessions are not recorded", err);
	else if (recording_wanted(cfg))
		log_info("recordings in %s", d->workers.rec.dir);
	if (audit_open(&d->workers.audit, cfg, err, sizeof(err)) == -1)
		log_warnx("audit log: %s; no audit log", err);
	else if (d->workers.audit.fd != -1)
		log_info("audit log %s", d->workers.audit.path);
	for (i = 0; i < cfg->nlisteners; i++) {
		if ((l = daemon_listener_open(d, &cfg->listeners[i], err,
		    sizeof(err))) == NULL) {
			log_warnx("%s", err);
			return -1;
		}
		TAILQ_INSERT_TAIL(&d->listeners, l, entry);
	}
	sockact_unused(&d->sockact, err, sizeof(err));
	if (err[0] != '\0') {
		log_warnx("socket activation: no [listener NAME] for the "
		    "socket%s named %s (LISTEN_FDNAMES)",
		    strchr(err, ',') != NULL ? "s" : "", err);
		return -1;
	}
	/* Fill the pools now rather than a second from now. */
	TAILQ_FOREACH(l, &d->listeners, entry)
		pool_tick(&l->pool, ev_now_ms());
	return 0;
}

struct listener *
daemon_listener_open(struct daemon *d, const struct listener_cfg *cfg,
    char *err, size_t errlen)
{
	return listener_open(&d->ctx, &d->adm, &d->workers, cfg,
	    sockact_take(&d->sockact, cfg->name), err, errlen);
}

int
daemon_run(struct daemon *d)
{
	struct listener	*l;
	bool		 more = false;

	for (;;) {
		/* Spawns still due: look at the fds, but do not wait. */
		if (ev_run_once(&d->ctx.loop, more ? 0 : -1) == -1) {
			log_warn("epoll_wait");
			return 1;
		}
		wproc_bury(&d->workers);
		/* Every event of the turn served: now start workers. */
		more = false;
		TAILQ_FOREACH(l, &d->listeners, entry) {
			upgrade_turn(&d->upgrade, &l->pool);
			if (pool_turn(&l->pool))
				more = true;
		}
		/* Workers that said `ready` this turn may fill the pools. */
		check_ready(d);
		if (d->ctx.stopping && count_workers(d) == 0)
			break;
	}
	log_info("all workers gone; exiting");
	daemon_free(d);
	return 0;
}

void
daemon_free(struct daemon *d)
{
	struct listener	*l;

	while ((l = TAILQ_FIRST(&d->listeners)) != NULL) {
		TAILQ_REMOVE(&d->listeners, l, entry);
		listener_close(l);
	}
	/* Its last jobs' done() may name workers: before they are freed. */
	filer_stop(&d->filer);
	wproc_bury(&d->workers);
	spawner_stop(&d->spawner);
	control_close(d->ctl);
	recorder_close(&d->workers.rec);
	audit_close(&d->workers.audit);
	d->ctl = NULL;
	auth_free(&d->auth);
	history_free(&d->history);
	notify_close(&d->notify);
	admit_free(&d->adm);
	wproc_free(&d->workers);
	ev_close(&d->ctx.loop);
	if (d->sigfd != -1)
		close(d->sigfd);
	if (d->tickfd != -1)
		close(d->tickfd);
	if (d->devnull != -1)
		close(d->devnull);
	d->sigfd = d->tickfd = d->devnull = -1;
}

/*
 * daemon.c: iridiumd's context and its one event loop (see daemon.h).
 *
 * Signals arrive through a signalfd (blocked otherwise), time through a
 * 1-second timerfd: no work ever happens in a signal handler. The loop
 * runs until a TERM or INT has been handled and every worker is reaped.
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
#include "source.h"
#include "spawner.h"
#include "sshalgo.h"
#include "status.h"
#include "version.h"


#if defined(__SANITIZE_ADDRESS__)
#define DAEMON_SANITIZED	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DAEMON_SANITIZED	1
#endif
#endif

int64_t
daemon_next_session(struct daemon *d)
{
	return ++d->session_seq;
}

void
daemon_negotiated(struct daemon *d, const struct msg_negotiated *n)
{
	int	 i;

	/* The message table let only known names through. */
	if ((i = sshalgo_index(SSHALGO_KIND_KEX, n->kex,
	    strlen(n->kex))) >= 0)
		d->by_kex[i]++;
	if ((i = sshalgo_index(SSHALGO_KIND_CIPHER, n->cipher,
	    strlen(n->cipher))) >= 0)
		d->by_cipher[i]++;
}

void
daemon_tenant_accepted(struct daemon *d, const char *tenant)
{
	struct tenant_stat	*t;
	size_t			 i;

	for (i = 0; i < d->ntenants; i++) {
		if (strcmp(d->tenants[i].name, tenant) == 0) {
			d->tenants[i].accepted++;
			return;
		}
	}
	/* Tenants come from the config, so this stays small. */
	if (d->ntenants == DAEMON_MAX_TENANT_STATS)
		return;
	if ((t = reallocarray(d->tenants, d->ntenants + 1,
	    sizeof(*t))) == NULL) {
		log_warn("tenant statistics");
		return;
	}
	d->tenants = t;
	t = &d->tenants[d->ntenants++];
	memset(t, 0, sizeof(*t));
	strlcpy(t->name, tenant, sizeof(t->name));
	t->accepted = 1;
}

/* The worker serving session id, or NULL. */
static struct worker *
daemon_find_session(struct daemon *d, int64_t id)
{
	struct listener	*l;
	struct worker	*w;

	TAILQ_FOREACH(l, &d->listeners, entry)
		TAILQ_FOREACH(w, &l->pool.workers, entry)
			if (w->session_id == id && !w->reaped)
				return w;
	return NULL;
}

/* --- what the control socket's commands do (control.h) ----------------- */

static json_t *
ctl_status(void *arg)
{
	return status_document(arg);
}

static json_t *
ctl_sessions(void *arg)
{
	return status_sessions(arg);
}

static int
ctl_kill(void *arg, unsigned uid, int64_t id, struct control_killed *k,
    char *why, size_t whylen)
{
	struct daemon	*d = arg;
	struct worker	*w;

	if ((w = daemon_find_session(d, id)) == NULL) {
		snprintf(why, whylen, "no session %lld", (long long)id);
		return -1;
	}
	if (w->ended || w->state != WS_BUSY || w->killed != WKILL_NONE) {
		snprintf(why, whylen, "session %lld is already ending",
		    (long long)id);
		return -1;
	}
	log_info("control: uid %u: kill session %lld", uid, (long long)id);
	wproc_end_session(w);
	k->pid = w->pid;
	k->grace = w->pool->cfg.grace;
	return 0;
}

static enum control_reload
ctl_reload(void *arg, unsigned uid, struct control_reloaded *r)
{
	struct daemon	*d = arg;

	if (d->stopping) {
		strlcpy(r->why, "iridiumd is shutting down", sizeof(r->why));
		return CONTROL_RELOAD_REFUSED;
	}
	if (d->cfgpath[0] == '\0') {
		strlcpy(r->why, "iridiumd was started without a configuration "
		    "file (-f): nothing to reload", sizeof(r->why));
		return CONTROL_RELOAD_REFUSED;
	}
	log_info("control: uid %u: reload", uid);
	if (daemon_reload(d, &r->changes, &r->errs) == 0) {
		r->generation = d->generation;
		return CONTROL_RELOADED;
	}
	snprintf(r->why, sizeof(r->why), "reload failed: %u error%s in %s; "
	    "still running configuration generation %u", r->errs.nerrors,
	    r->errs.nerrors == 1 ? "" : "s", d->cfgpath, d->generation);
	return CONTROL_RELOAD_FAILED;
}

static const struct control_ops ctl_ops = {
	.status = ctl_status,
	.sessions = ctl_sessions,
	.kill = ctl_kill,
	.reload = ctl_reload,
};

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

static struct worker *
find_worker(struct daemon *d, pid_t pid)
{
	struct listener	*l;
	struct worker	*w;

	TAILQ_FOREACH(l, &d->listeners, entry)
		TAILQ_FOREACH(w, &l->pool.workers, entry)
			if (w->pid == pid)
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

static void
reap(struct daemon *d)
{
	struct worker	*w;
	struct rusage	 ru;
	pid_t		 pid;
	int		 status;

	/* With its CPU time: a CPU limit's SIGKILL is told from others. */
	while ((pid = wait4(-1, &status, WNOHANG, &ru)) > 0) {
		if ((w = find_worker(d, pid)) == NULL) {
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

	if (d->stopping)
		return;
	d->stopping = true;
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
hup(struct daemon *d)
{
	struct cfg_errors	 errs;
	struct buf		 changes;

	if (d->stopping)
		return;
	if (d->cfgpath[0] == '\0') {
		log_notice("SIGHUP: no configuration file (-f) to reload");
		return;
	}
	log_info("SIGHUP: reloading %s", d->cfgpath);
	(void)notify_reloading(&d->notify);
	cfg_errors_init(&errs);
	buf_init(&changes, 0);
	(void)daemon_reload(d, &changes, &errs);
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
	    d->stopping ? ", shutting down" : "");
	if (queued > 0)
		snprintf(line + strlen(line), sizeof(line) - strlen(line),
		    ", %u waiting", queued);
	(void)notify_status(&d->notify, line);
}

void
daemon_check_ready(struct daemon *d)
{
	struct listener	*l;
	unsigned	 want;

	if (d->ready_sent || d->stopping)
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
	ssize_t			 n;
	char			 why[64];

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
			hup(d);
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

	(void)events;
	if (read(d->tickfd, &expirations, sizeof(expirations)) == -1 &&
	    errno != EAGAIN)
		log_warn("read timerfd");
	spawner_tick(&d->spawner, now);
	TAILQ_FOREACH(l, &d->listeners, entry)
		listener_tick(l, now);
	daemon_reap_listeners(d);
	admit_tick(d, now);
	if (d->ctl != NULL)
		control_tick(d->ctl, now);
	daemon_check_ready(d);
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
	const struct uid_range	*r = &d->cfg.worker_uids;
	struct passwd		*pw = NULL;
	struct stat		 st;
	DIR			*dir;

	d->uid = d->gid = -1;
	d->chroot[0] = '\0';
	if (geteuid() != 0) {
		log_info("not running as root: workers keep uid %d and no "
		    "chroot (development mode)", (int)geteuid());
		return 0;
	}
	if (r->first != 0) {
		if (uidpool_init(&d->uids, r->first, r->last) == -1) {
			snprintf(err, errlen, "worker uids: out of memory");
			return -1;
		}
	} else if ((pw = getpwnam(d->cfg.user)) == NULL) {
		snprintf(err, errlen, "no user %s for the workers (create it, "
		    "or set worker_uids)", d->cfg.user);
		return -1;
	} else if (pw->pw_uid == 0 || pw->pw_gid == 0) {
		snprintf(err, errlen, "user %s has uid or gid 0: workers must "
		    "not run as root", pw->pw_name);
		return -1;
	} else {
		d->uid = pw->pw_uid;
		d->gid = pw->pw_gid;
	}

	if (d->cfg.chroot[0] != '\0')
		strlcpy(d->chroot, d->cfg.chroot, sizeof(d->chroot));
	else if (snprintf(d->chroot, sizeof(d->chroot), "%s/empty",
	    d->cfg.run_dir) >= (int)sizeof(d->chroot)) {
		snprintf(err, errlen, "run directory path too long");
		return -1;
	}
	if (mkdir(d->chroot, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", d->chroot,
		    strerror(errno));
		return -1;
	}
	if (lstat(d->chroot, &st) == -1) {
		snprintf(err, errlen, "%s: %s", d->chroot, strerror(errno));
		return -1;
	}
	/* The workers' root must be ours, theirs to read, nobody's to fill. */
	if (!S_ISDIR(st.st_mode) || st.st_uid != 0 ||
	    (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
		snprintf(err, errlen, "chroot %s must be a directory owned by "
		    "root and writable by no one else", d->chroot);
		return -1;
	}
	if ((dir = opendir(d->chroot)) == NULL) {
		snprintf(err, errlen, "%s: %s", d->chroot, strerror(errno));
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
			    d->chroot);
			return -1;
		}
	}
	if (pw != NULL)
		log_info("workers run as %s (uid %d gid %d) in %s", pw->pw_name,
		    (int)d->uid, (int)d->gid, d->chroot);
	else
		log_info("workers run each as a uid and gid of its own from "
		    "%u-%u (no user, group or process had one) in %s",
		    r->first, r->last, d->chroot);
	return 0;
}

/* The host keys and the tenants' keys (auth.c). */
static int
daemon_ssh_init(struct daemon *d)
{
	struct cfg_errors	 errs;
	const char		*p;
	unsigned		 n;

	cfg_errors_init(&errs);
	n = auth_keys_load(&d->cfg, &d->authkeys, &errs);
	n += auth_hostkeys_load(d, &d->cfg, &errs);
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
	if (d->authkeys.nfiles > 0)
		log_info("%zu ssh key%s from %zu authorized_keys file%s",
		    d->authkeys.n, plural(d->authkeys.n), d->authkeys.nfiles,
		    plural(d->authkeys.nfiles));
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
	if (mkdir(d->cfg.run_dir, 0755) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "mkdir %s: %s", d->cfg.run_dir,
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
	d->cfg = *cfg;
	if (path != NULL)
		strlcpy(d->cfgpath, path, sizeof(d->cfgpath));
	if (flags != NULL)
		d->flags = *flags;
	d->sigfd = d->tickfd = d->devnull = -1;
	d->loop.epfd = -1;
	TAILQ_INIT(&d->listeners);
	TAILQ_INIT(&d->graveyard);
	strlcpy(d->build, iridium_build_id, sizeof(d->build));
	d->started_ms = ev_now_ms();
	d->started_unix = (int64_t)time(NULL);
	d->generation = 1;
	d->worker_stderr = daemon_worker_stderr(cfg);
	d->notify.fd = -1;
	spawner_init(&d->spawner, &d->loop, wproc_spawned, d);

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
	if (ev_init(&d->loop) == -1) {
		log_warn("epoll");
		return -1;
	}
	ev_set(&d->ev_sig, d->sigfd, sig_cb, d);
	ev_set(&d->ev_tick, d->tickfd, tick_cb, d);
	if (ev_add(&d->loop, &d->ev_sig, EPOLLIN) == -1 ||
	    ev_add(&d->loop, &d->ev_tick, EPOLLIN) == -1) {
		log_warn("epoll add");
		return -1;
	}
	/* Before the listeners and the control socket: fewer fds to drop. */
	if (spawner_start(&d->spawner, d->devnull) == -1) {
		log_warn("spawner");
		return -1;
	}
	/* Before the listeners: a second daemon stops here, saying why. */
	if ((d->ctl = control_open(&d->loop, cfg->control, cfg->admin_group,
	    &ctl_ops, d, err, sizeof(err))) == NULL) {
		log_warnx("%s", err);
		return -1;
	}

	if (daemon_ssh_init(d) == -1 || admit_init(d) == -1)
		return -1;
	for (i = 0; i < cfg->nlisteners; i++) {
		if ((l = listener_open(d, &cfg->listeners[i], err,
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

static void
bury(struct daemon *d)
{
	struct worker	*w;

	while ((w = TAILQ_FIRST(&d->graveyard)) != NULL) {
		TAILQ_REMOVE(&d->graveyard, w, entry);
		free(w);
	}
}

int
daemon_run(struct daemon *d)
{
	struct listener	*l;
	bool		 more = false;

	for (;;) {
		/* Spawns still due: look at the fds, but do not wait. */
		if (ev_run_once(&d->loop, more ? 0 : -1) == -1) {
			log_warn("epoll_wait");
			return 1;
		}
		bury(d);
		/* Every event of the turn served: now start workers. */
		more = false;
		TAILQ_FOREACH(l, &d->listeners, entry)
			if (pool_turn(&l->pool))
				more = true;
		if (d->stopping && count_workers(d) == 0)
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
	bury(d);
	spawner_stop(&d->spawner);
	control_close(d->ctl);
	d->ctl = NULL;
	free(d->tenants);
	d->tenants = NULL;
	authkeys_free(&d->authkeys);
	auth_hostkeys_free(d);
	source_free(d->sources);
	d->sources = NULL;
	notify_close(&d->notify);
	admit_free(d);
	uidpool_free(&d->uids);
	ev_close(&d->loop);
	if (d->sigfd != -1)
		close(d->sigfd);
	if (d->tickfd != -1)
		close(d->tickfd);
	if (d->devnull != -1)
		close(d->devnull);
	d->sigfd = d->tickfd = d->devnull = -1;
}

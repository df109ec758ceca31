/*
 * reload.c: re-reading the configuration (SIGHUP, iridiumctl reload).
 *
 * The new configuration is built and checked in full before anything
 * changes; a bad one is reported line by line and the running one stays.
 * Then, in one step: the generation goes up, so new workers get the new
 * `hello`; idle workers of older generations are replaced (they take a
 * session only while no new one is ready, and are retired as soon as the
 * pool has its spare workers of the new generation: pool.c); busy ones
 * finish their sessions under the configuration they started with. A listener whose transport, address
 * and port are unchanged keeps its socket and pool (new pool sizes apply
 * from the next tick); a new one is opened; a removed or changed one
 * stops accepting and its pool drains, then it is freed. Keys marked
 * CK_RESTART keep their running values, with a warning.
 */
#include <sys/resource.h>

#include <errno.h>
#include <libgen.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "admit.h"
#include "audit.h"
#include "auth.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "listener.h"
#include "log.h"
#include "pool.h"
#include "recording.h"
#include "staticlibs.h"
#include "statusdoc.h"
#include "uidpool.h"
#include "wproc.h"

static const char *
file_of(const struct config *c, uint32_t line)
{
	return line != 0 && c->path[0] != '\0' ? c->path : NULL;
}

/*
 * Open files: each worker holds two of the supervisor's fds (its channel
 * and its stderr pipe) and each connection the supervisor holds one: up
 * to max_workers + queue of them (waiting for a worker, or handed to one
 * that has not acknowledged it yet); 64 more for the listeners, control
 * clients and the rest. The soft limit is raised to
 * the hard one once, at the start (iridiumd never uses select(); under
 * systemd the soft limit is 1024 and the hard one 524288); a
 * configuration that could need more than that is warned about.
 */
static void
check_nofile(const struct config *c, bool startup, struct cfg_errors *e)
{
	struct rlimit	 rl;
	uint64_t	 need = 64;
	size_t		 i;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return;
	if (startup && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	for (i = 0; i < c->nlisteners; i++)
		need += 3 * (uint64_t)c->listeners[i].pool.max_workers +
		    c->listeners[i].pool.queue;
	if (rl.rlim_cur != RLIM_INFINITY && need > rl.rlim_cur)
		cfg_warning(e, NULL, 0, "the listeners' max_workers and queue "
		    "could need %llu open files; the limit is %llu (raise "
		    "LimitNOFILE=, or ulimit -n)", (unsigned long long)need,
		    (unsigned long long)rl.rlim_cur);
}

/*
 * As root: the workers' uids are free (uidpool.h), and the range is large
 * enough; or, without a range, their user exists. Never nobody: a uid
 * other processes share is no uid of their own.
 */
static void
check_identity(const struct config *c, struct cfg_errors *e)
{
	const struct uid_range	*r = &c->worker_uids;
	struct passwd		*pw;
	uint64_t		 need = 0;
	uint32_t		 ln;
	char			 why[256];
	size_t			 i;

	if (r->first == 0) {
		ln = c->keyline[CK_DAEMON_user];
		if ((pw = getpwnam(c->user)) == NULL)
			cfg_error(e, file_of(c, ln), ln, "[daemon] user: no user "
			    "%s for the workers (create it, or set worker_uids)",
			    c->user);
		else if (pw->pw_uid == 0 || pw->pw_gid == 0)
			cfg_error(e, file_of(c, ln), ln, "[daemon] user: %s has "
			    "uid or gid 0: workers must not run as root",
			    c->user);
		return;
	}
	ln = c->keyline[CK_DAEMON_worker_uids];
	if (uidrange_check(r->first, r->last, true, why, sizeof(why)) == -1) {
		cfg_error(e, file_of(c, ln), ln, "[daemon] worker_uids %u-%u: "
		    "%s; the workers' uids must be no one else's", r->first,
		    r->last, why);
		return;
	}
	for (i = 0; i < c->nlisteners; i++)
		need += c->listeners[i].pool.max_workers;
	if (need > (uint64_t)r->last - r->first + 1)
		cfg_warning(e, file_of(c, ln), ln, "[daemon] worker_uids %u-%u: "
		    "%llu uids for the listeners' %llu max_workers: past them, "
		    "a new worker waits for one to exit", r->first, r->last,
		    (unsigned long long)r->last - r->first + 1,
		    (unsigned long long)need);
}

void
daemon_check_system(const struct config *c, bool startup,
    struct cfg_errors *e)
{
	uint32_t	 ln;
	char		 why[512], path[CONFIG_PATHLEN];

	check_nofile(c, startup, e);

	ln = c->keyline[CK_DAEMON_worker_path];
	if (access(c->worker_path, X_OK) == -1)
		cfg_error(e, file_of(c, ln), ln, "[daemon] worker_path: %s: "
		    "%s", c->worker_path, strerror(errno));
	else
		(void)staticlibs_check(c->worker_path, staticlibs_line);
	ln = c->keyline[CK_DAEMON_ssh_worker_path];
	if (auth_config_has_ssh(c) && access(c->ssh_worker_path, X_OK) == -1)
		cfg_error(e, file_of(c, ln), ln, "[daemon] ssh_worker_path: "
		    "%s: %s", c->ssh_worker_path, strerror(errno));
	else if (auth_config_has_ssh(c))
		(void)staticlibs_check(c->ssh_worker_path, staticlibs_ssh);
	ln = c->keyline[CK_DAEMON_admin_group];
	if (c->admin_group[0] != '\0' && getgrnam(c->admin_group) == NULL)
		cfg_error(e, file_of(c, ln), ln, "[daemon] admin_group: no "
		    "group %s", c->admin_group);
	ln = c->keyline[CK_DAEMON_record_dir];
	if (recording_wanted(c) && recording_check(c, why, sizeof(why)) == -1)
		cfg_warning(e, file_of(c, ln), ln, "[daemon] record_dir: %s; "
		    "sessions will not be recorded", why);
	ln = c->keyline[CK_DAEMON_audit_log];
	if (audit_path(c, path, sizeof(path)) == -1)
		cfg_error(e, file_of(c, ln), ln, "[daemon] audit_log: the path "
		    "under %s is too long", c->state_dir);
	else if (path[0] != '\0' && access(path, W_OK) == -1 &&
	    (errno != ENOENT || access(dirname(path), W_OK | X_OK) == -1))
		cfg_warning(e, file_of(c, ln), ln, "[daemon] audit_log: %s: %s; "
		    "there will be no audit log", c->audit_log,
		    strerror(errno));
	/* The workers' identity needs a restart to change: checked then. */
	if (startup && geteuid() == 0)
		check_identity(c, e);
}

static void
emit_change(void *arg, const char *line)
{
	struct buf	*b = arg;

	log_info("reload: %s", line);
	buf_puts(b, line);
	buf_putc(b, '\n');
}

/* Restart-only keys keep their running values. */
static void
keep_restart_keys(const struct config *old, struct config *nc,
    struct cfg_errors *e)
{
	char		 was[CONFIG_PATHLEN], now[CONFIG_PATHLEN];
	const void	*fo;
	void		*fn;
	int		 i;

	for (i = 0; i < CK_NKEYS; i++) {
		if (config_keys[i].group != CG_DAEMON ||
		    (config_keys[i].flags & CK_RESTART) == 0)
			continue;
		fn = config_key_field(nc, NULL, NULL, i);
		fo = config_key_cfield(old, NULL, NULL, i);
		if (config_value_equal(i, fo, fn))
			continue;
		config_value_format(i, fo, was, sizeof(was));
		config_value_format(i, fn, now, sizeof(now));
		cfg_warning(e, file_of(nc, nc->keyline[i]), nc->keyline[i],
		    "[daemon] %s: \"%s\" takes effect at the next restart; "
		    "keeping \"%s\"", config_keys[i].name, now, was);
		memcpy(fn, fo, config_keys[i].size);
	}
}

static struct listener *
find_accepting(struct daemon *d, const char *name)
{
	struct listener	*l;

	TAILQ_FOREACH(l, &d->listeners, entry)
		if (!l->draining && strcmp(l->cfg.name, name) == 0)
			return l;
	return NULL;
}

static bool
same_socket(const struct listener_cfg *a, const struct listener_cfg *b)
{
	return strcmp(a->transport, b->transport) == 0 &&
	    strcmp(a->bind, b->bind) == 0 && a->port == b->port;
}

struct plan {
	struct listener	*keep[CONFIG_MAX_LISTENERS];	/* per new cfg */
	struct listener	*open[CONFIG_MAX_LISTENERS];	/* opened now */
	bool		 later[CONFIG_MAX_LISTENERS];	/* after closing */
};

/* An old listener that goes away holds the address nc asks for. */
static bool
address_taken(struct daemon *d, const struct config *nc,
    const struct listener_cfg *want)
{
	struct listener	*l;
	size_t		 i;
	bool		 goes;

	if (want->port == 0)
		return false;
	TAILQ_FOREACH(l, &d->listeners, entry) {
		if (l->draining || l->bound_port != want->port)
			continue;
		goes = true;
		for (i = 0; i < nc->nlisteners; i++)
			if (strcmp(nc->listeners[i].name, l->cfg.name) == 0 &&
			    same_socket(&nc->listeners[i], &l->cfg))
				goes = false;
		if (goes)
			return true;
	}
	return false;
}

/* Open what can be opened before anything changes; -1 undoes it. */
static int
plan_listeners(struct daemon *d, const struct config *nc, struct plan *pl,
    struct cfg_errors *e)
{
	struct listener	*l;
	char		 err[512];
	size_t		 i;

	memset(pl, 0, sizeof(*pl));
	for (i = 0; i < nc->nlisteners; i++) {
		l = find_accepting(d, nc->listeners[i].name);
		if (l != NULL && same_socket(&l->cfg, &nc->listeners[i])) {
			pl->keep[i] = l;
			continue;
		}
		if (address_taken(d, nc, &nc->listeners[i])) {
			pl->later[i] = true;
			continue;
		}
		if ((pl->open[i] = daemon_listener_open(d, &nc->listeners[i], err,
		    sizeof(err))) == NULL) {
			cfg_error(e, NULL, 0, "%s", err);
			while (i-- > 0)
				if (pl->open[i] != NULL)
					listener_close(pl->open[i]);
			return -1;
		}
	}
	return 0;
}

static void
drain(struct daemon *d, struct listener *l)
{
	(void)d;
	log_info("listener %s (%s): no longer accepting; draining its %u "
	    "worker%s", l->cfg.name, l->bound, l->pool.nworkers,
	    plural(l->pool.nworkers));
	listener_stop(l);
	l->draining = true;
	pool_drain(&l->pool);
}

static void
apply_listeners(struct daemon *d, const struct config *nc, struct plan *pl)
{
	struct listener_list	 order;
	struct listener		*l, *tmp;
	char			 err[512];
	size_t			 i;
	bool			 wanted;

	/* Whatever is not kept stops accepting. */
	TAILQ_FOREACH(l, &d->listeners, entry) {
		if (l->draining)
			continue;
		wanted = false;
		for (i = 0; i < nc->nlisteners; i++)
			if (pl->keep[i] == l)
				wanted = true;
		if (!wanted)
			drain(d, l);
	}
	for (i = 0; i < nc->nlisteners; i++) {
		if (pl->later[i] && (pl->open[i] = daemon_listener_open(d,
		    &nc->listeners[i], err, sizeof(err))) == NULL)
			log_warnx("reload: %s: listener %s is not served",
			    err, nc->listeners[i].name);
		if ((l = pl->keep[i]) == NULL)
			continue;
		l->cfg = nc->listeners[i];
		if (pool_reconfigure(&l->pool, &nc->listeners[i].pool) == -1)
			log_warn("listener %s: pool", l->cfg.name);
	}
	/* The configuration's order, then what drains. */
	TAILQ_INIT(&order);
	for (i = 0; i < nc->nlisteners; i++) {
		l = pl->keep[i] != NULL ? pl->keep[i] : pl->open[i];
		if (l == NULL)
			continue;
		if (pl->keep[i] != NULL)
			TAILQ_REMOVE(&d->listeners, l, entry);
		TAILQ_INSERT_TAIL(&order, l, entry);
	}
	TAILQ_FOREACH_SAFE(l, &d->listeners, entry, tmp) {
		TAILQ_REMOVE(&d->listeners, l, entry);
		TAILQ_INSERT_TAIL(&order, l, entry);
	}
	TAILQ_CONCAT(&d->listeners, &order, entry);
}

int
daemon_reload(struct daemon *d, struct buf *changes, struct cfg_errors *e)
{
	struct config	*nc;
	struct listener	*l;
	struct authkeys	 keys;
	struct plan	 pl;
	char		 err[512], keyline[160], caline[64];
	size_t		 n_keys, n_files;
	const char	*p;
	unsigned	 stale = 0;

	authkeys_init(&keys);
	if ((nc = malloc(sizeof(*nc))) == NULL) {
		cfg_error(e, NULL, 0, "out of memory");
		goto fail;
	}
	if (config_build(nc, d->ctx.cfgpath, &d->flags, e) == 0)
		daemon_check_system(nc, false, e);
	if (e->nerrors == 0)
		keep_restart_keys(&d->ctx.cfg, nc, e);
	/* authorized_keys read again: any error keeps the old tables. */
	if (e->nerrors == 0 && auth_keys_load(nc, &keys, e) == 0) {
		(void)auth_hostkeys_load(&d->auth, nc, e);
		/* The first ssh listener may have brought the host keys. */
		d->workers.hostkey = d->auth.hostkey_text;
	}
	if (e->nerrors != 0 || plan_listeners(d, nc, &pl, e) == -1)
		goto fail;
	if (strcmp(nc->admin_group, d->ctx.cfg.admin_group) != 0 &&
	    control_set_group(d->ctl, nc->admin_group, err,
	    sizeof(err)) == -1) {
		log_warnx("reload: %s; admin_group stays %s", err,
		    d->ctx.cfg.admin_group[0] != '\0' ?
		    d->ctx.cfg.admin_group : "unset");
		strlcpy(nc->admin_group, d->ctx.cfg.admin_group,
		    sizeof(nc->admin_group));
	}

	d->ctx.generation++;
	d->status.reloads++;
	config_diff(&d->ctx.cfg, nc, emit_change, changes);
	d->ctx.cfg = *nc;
	free(nc);
	nc = NULL;
	/* New penalty settings; the sources' records are kept. */
	admit_configure(&d->adm);
	authkeys_free(&d->auth.keys);
	d->auth.keys = keys;
	log_set_level(d->ctx.cfg.log_level);
	d->workers.stderr_pipe = daemon_worker_stderr(&d->ctx.cfg);
	apply_listeners(d, &d->ctx.cfg, &pl);
	TAILQ_FOREACH(l, &d->listeners, entry)
		if (!l->draining)
			stale += pool_stale(&l->pool);
	for (p = e->warnings.data; p != NULL && *p != '\0';
	    p = strchr(p, '\n') + 1)
		log_warnx("reload: %.*s", (int)strcspn(p, "\n"), p);
	/* One line for the reload, the keys it read included. */
	keyline[0] = '\0';
	auth_keys_counts(&d->auth.keys, &n_keys, &n_files);
	if (n_files > 0)
		snprintf(keyline, sizeof(keyline), "; %zu ssh key%s from %zu "
		    "authorized_keys file%s", n_keys, plural(n_keys), n_files,
		    plural(n_files));
	if (d->auth.keys.nca > 0) {
		snprintf(caline, sizeof(caline), "; %zu trusted user CA key%s",
		    d->auth.keys.nca, plural(d->auth.keys.nca));
		strlcat(keyline, caline, sizeof(keyline));
	}
	log_info("reloaded %s: configuration generation %u; %u idle worker%s "
	    "of older generations to be replaced%s", d->ctx.cfgpath,
	    d->ctx.generation, stale, plural(stale), keyline);
	/* Replacements now rather than a second from now. */
	TAILQ_FOREACH(l, &d->listeners, entry)
		pool_tick(&l->pool, ev_now_ms());
	/* The audit log: reopened (logrotate), or another file now. */
	if (audit_open(&d->workers.audit, &d->ctx.cfg, err, sizeof(err)) == -1)
		log_warnx("reload: audit log: %s; no audit log", err);
	return 0;
fail:
	free(nc);
	authkeys_free(&keys);
	d->status.reload_failures++;
	for (p = e->errors.data; p != NULL && *p != '\0';
	    p = strchr(p, '\n') + 1)
		log_warnx("%.*s", (int)strcspn(p, "\n"), p);
	if (e->nerrors > CFG_ERRORS_MAX)
		log_warnx("... and %u more error%s", e->nerrors -
		    CFG_ERRORS_MAX, plural(e->nerrors - CFG_ERRORS_MAX));
	log_warnx("reload failed: %u error%s; still running configuration "
	    "generation %u", e->nerrors, e->nerrors == 1 ? "" : "s",
	    d->ctx.generation);
	return -1;
}

void
daemon_reap_listeners(struct daemon *d)
{
	struct listener	*l, *tmp;

	TAILQ_FOREACH_SAFE(l, &d->listeners, entry, tmp) {
		if (!l->draining || l->pool.nworkers != 0 ||
		    l->pool.qlen != 0)
			continue;
		d->status.gone.accepted += l->pool.totals.accepted;
		d->status.gone.completed += l->pool.totals.completed;
		d->status.gone.rejected += l->pool.totals.rejected;
		d->status.gone.failed += l->pool.totals.failed;
		TAILQ_REMOVE(&d->listeners, l, entry);
		log_info("listener %s: drained", l->cfg.name);
		listener_close(l);
	}
}

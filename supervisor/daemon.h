/*
 * daemon.h: iridiumd's context and its top-level loop.
 *
 * One struct daemon is passed to every part of the supervisor; there are
 * no globals beyond signal state and the log configuration.
 */
#ifndef IRIDIUM_DAEMON_H
#define IRIDIUM_DAEMON_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "authkeys.h"
#include "buf.h"
#include "config.h"
#include "ev.h"
#include "hostkey.h"
#include "listener.h"
#include "notify.h"
#include "sockact.h"
#include "pool.h"
#include "spawner.h"
#include "uidpool.h"

struct control;
struct source_table;

/* Sessions of a listener, or of every listener a reload removed. */
struct session_totals {
	uint64_t	 accepted, completed, rejected, failed;
};

/* Sessions per tenant so far (the active ones are counted live). */
struct tenant_stat {
	char		 name[CONFIG_NAMELEN];
	uint64_t	 accepted;
};
#define DAEMON_MAX_TENANT_STATS	1024

struct daemon {
	struct config	 cfg;
	char		 cfgpath[CONFIG_PATHLEN];	/* -f; "" without */
	struct cfg_flags flags;		/* re-applied on every reload */
	unsigned	 generation;	/* bumped on every reload */
	uint64_t	 reloads, reload_failures;
	struct evloop	 loop;
	struct ev	 ev_sig;
	struct ev	 ev_tick;
	int		 sigfd, tickfd;
	int		 devnull;
	struct listener_list listeners;
	struct worker_list graveyard;	/* freed after the loop turn */
	struct session_totals gone;	/* of listeners freed after a reload */
	struct tenant_stat *tenants;
	size_t		 ntenants;
	struct control	*ctl;
	int64_t		 started_ms;
	int64_t		 started_unix;
	int64_t		 session_seq;
	bool		 stopping;
	int64_t		 stop_deadline_ms;
	char		 build[MSG_BUILD_MAX + 1];
	/*
	 * As root, workers drop to a uid and gid of their own from uids, or
	 * (uids.count 0) all to uid, gid; -1: we are not root.
	 */
	struct uidpool	 uids;
	int64_t		 uids_said_ms;	/* when "all uids held" was logged */
	int64_t		 uid, gid;
	char		 chroot[CONFIG_PATHLEN];
	bool		 worker_stderr;	/* pipe workers' fd 2 into the log */
	/* ssh (auth.c): loaded with the first ssh listener, kept */
	struct hostkey	 hostkeys[CONFIG_MAX_HOSTKEYS];
	size_t		 nhostkeys;
	char		*hostkey_text;	/* hello's hostkey; NULL: none */
	struct authkeys	 authkeys;	/* every tenant's, swapped on reload */
	/* ssh sessions by what their key exchange settled on (sshalgo.h) */
	uint64_t	 by_kex[SSHALGO_KIND_MAX];
	uint64_t	 by_cipher[SSHALGO_KIND_MAX];
	struct source_table *sources;	/* per-source penalties */
	struct admission adm;		/* the supervisor's limits (admit.c) */
	/* systemd: notifications and inherited listeners */
	struct notify	 notify;
	struct sockact	 sockact;
	bool		 ready_sent;	/* READY=1 since start or reload */
	struct spawner	 spawner;	/* starts the workers (spawner.h) */
};

/*
 * Set up from cfg (built from path and flags, which a reload uses
 * again): the control socket, the listeners, the pools.
 */
int		 daemon_init(struct daemon *, const struct config *,
		    const char *path, const struct cfg_flags *);
/* Close and free what daemon_init made (also after it failed). */
void		 daemon_free(struct daemon *);
/* Run until shut down. Returns the exit status. */
int		 daemon_run(struct daemon *);
int64_t		 daemon_next_session(struct daemon *);
void		 daemon_tenant_accepted(struct daemon *, const char *tenant);
/* An ssh session's key exchange settled: counted by kex and cipher. */
void		 daemon_negotiated(struct daemon *,
		    const struct msg_negotiated *);
/* A worker became ready: tell systemd once every pool is full. */
void		 daemon_check_ready(struct daemon *);
/* Whether workers' stderr is piped into the log for this config. */
bool		 daemon_worker_stderr(const struct config *);

/*
 * reload.c: re-read the configuration. 0 with what changed (one line
 * each) in changes, or -1 with the errors in errs (the running
 * configuration stays) or a reason in errs when no file was given.
 */
int		 daemon_reload(struct daemon *, struct buf *changes,
		    struct cfg_errors *errs);
/* What the file cannot say: worker_path runs, admin_group exists. */
void		 daemon_check_system(const struct config *, bool startup,
		    struct cfg_errors *);
/* Free the listeners a reload removed once their pools are empty. */
void		 daemon_reap_listeners(struct daemon *);

#endif

/*
 * daemon.h: iridiumd itself: the modules it is made of, its start-up, its
 * one event loop and its reload (daemon.c and reload.c, one module).
 *
 * struct daemon owns every module's state and the list of listeners, and
 * is known only to the loop, reload and main: each module gets the
 * context (ctx.h) and the modules below it that it uses, never this.
 * How the modules stack is told at the top of daemon.c.
 */
#ifndef IRIDIUM_DAEMON_H
#define IRIDIUM_DAEMON_H

#include <sys/types.h>

#include <stdbool.h>
#include <stdint.h>

#include "admit.h"
#include "auth.h"
#include "buf.h"
#include "config.h"
#include "control.h"
#include "ctx.h"
#include "ev.h"
#include "filer.h"
#include "listener.h"
#include "notify.h"
#include "sockact.h"
#include "spawner.h"
#include "statusdoc.h"
#include "history.h"
#include "resume.h"
#include "upgrade.h"
#include "wproc.h"

struct daemon {
	struct ctx	 ctx;		/* what every module reads */
	struct cfg_flags flags;		/* re-applied on every reload */
	struct ev	 ev_sig;
	struct ev	 ev_tick;
	int		 sigfd, tickfd;
	int		 devnull;
	struct listener_list listeners;
	struct control	*ctl;
	struct spawner	 spawner;	/* starts the workers */
	struct filer	 filer;		/* file work beside the loop */
	struct workers	 workers;	/* what every worker shares */
	struct admission adm;		/* the supervisor's limits */
	struct auth	 auth;		/* ssh keys and logins */
	struct resume	 resume;	/* detached sessions */
	struct history	 history;	/* ssh tenants' REPL history */
	struct upgrade	 upgrade;	/* workers replaced, sessions kept */
	struct statusdoc status;	/* the status document */
	/* systemd: notifications and inherited listeners */
	struct notify	 notify;
	struct sockact	 sockact;
	bool		 ready_sent;	/* READY=1 since start or reload */
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
/* Whether workers' stderr is piped into the log for this config. */
bool		 daemon_worker_stderr(const struct config *);
/*
 * A listener for cfg: on the socket systemd passed for its name, if one
 * was, else bound now. NULL with err on failure.
 */
struct listener	*daemon_listener_open(struct daemon *,
		    const struct listener_cfg *cfg, char *err, size_t errlen);

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

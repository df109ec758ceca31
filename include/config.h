/*
 * config.h: iridiumd's configuration: defaults, the config file, flags.
 *
 * One struct config holds everything; the supervisor keeps the current
 * one and builds a new one on reload, swapping only when it is valid.
 */
#ifndef IRIDIUM_CONFIG_H
#define IRIDIUM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "msg.h"

#define CONFIG_PATH		"/etc/iridium/iridiumd.conf"
#define CONFIG_RUN_DIR		"/run/iridium"
#define CONFIG_STATE_DIR	"/var/lib/iridium"
#define CONFIG_MAX_LISTENERS	16
#define CONFIG_MAX_TENANTS	256
#define CONFIG_PATHLEN		256

struct pool_cfg {
	unsigned	min_spare;	/* idle workers kept ready */
	unsigned	max_spare;	/* idle workers beyond this retire */
	unsigned	max_workers;	/* all workers of the pool */
	unsigned	queue;		/* connections held while workers start */
	unsigned	queue_timeout;	/* seconds a connection may wait */
	unsigned	throttle;	/* seconds spawning pauses after a
					   worker died before `ready` */
	unsigned	ready_timeout;	/* seconds a worker has to say ready */
	unsigned	ping_interval;	/* seconds between pings */
	unsigned	ping_timeout;	/* unanswered: reported unresponsive */
	unsigned	kill_timeout;	/* unanswered: killed */
	unsigned	grace;		/* seconds between shutdown and kill */
};

struct listener_cfg {
	char		name[MSG_NAME_MAX + 1];
	char		transport[8];		/* "line" | "ssh" */
	char		bind[CONFIG_PATHLEN];	/* address */
	int		port;			/* 0: any free port */
	bool		allow_insecure_remote;
	char		tenant[MSG_NAME_MAX + 1];	/* line: whose */
	struct pool_cfg	pool;
};

struct config {
	char		path[CONFIG_PATHLEN];	/* "" without a file */
	/* [daemon] */
	char		user[64];
	char		run_dir[CONFIG_PATHLEN];
	char		chroot[CONFIG_PATHLEN];
	char		worker_path[CONFIG_PATHLEN];
	int		log_level;
	bool		sandbox_debug;
	/* [pool]: defaults for every listener */
	struct pool_cfg	pool;
	/* [listener NAME] */
	struct listener_cfg listeners[CONFIG_MAX_LISTENERS];
	size_t		nlisteners;
	/* [limits]: server-wide defaults and worker ceilings */
	struct msg_limits limits;
};

/* Fill every default (one line listener on 127.0.0.1:2244). */
void	config_defaults(struct config *);
void	pool_cfg_defaults(struct pool_cfg *);
/* True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104. */
bool	config_addr_is_loopback(const char *addr);
/*
 * Check what no single key can: pool sizes agree, limits agree,
 * non-loopback line listeners allowed. Returns 0 or -1 with err.
 */
int	config_check(const struct config *, char *err, size_t errlen);

#endif

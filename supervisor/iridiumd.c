/*
 * iridiumd.c: the supervisor's main: flags, then the one start-up
 * sequence (configure, open listeners, fill the pools), then the loop.
 * It runs in the foreground only: systemd (or make run) supervises it.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "config.h"
#include "daemon.h"
#include "log.h"
#include "msg.h"

enum {
	OPT_BIND_HOST = 256,
	OPT_BIND_PORT,
	OPT_WORKERS,
	OPT_RUN_DIR,
	OPT_WORKER_PATH,
	OPT_FOREGROUND,
	OPT_ALLOW_INSECURE,
	OPT_LOG_LEVEL,
	OPT_SANDBOX_DEBUG,
	OPT_USER,
	OPT_LIMIT,
	OPT_POOL,
	OPT_VERSION,
	OPT_HELP,
};

static const struct option longopts[] = {
	{ "bind-host",		required_argument, NULL, OPT_BIND_HOST },
	{ "bind-port",		required_argument, NULL, OPT_BIND_PORT },
	{ "workers",		required_argument, NULL, OPT_WORKERS },
	{ "run-dir",		required_argument, NULL, OPT_RUN_DIR },
	{ "worker-path",	required_argument, NULL, OPT_WORKER_PATH },
	{ "foreground",		no_argument,	   NULL, OPT_FOREGROUND },
	{ "allow-insecure-remote", no_argument,	   NULL, OPT_ALLOW_INSECURE },
	{ "log-level",		required_argument, NULL, OPT_LOG_LEVEL },
	{ "sandbox-debug",	no_argument,	   NULL, OPT_SANDBOX_DEBUG },
	{ "user",		required_argument, NULL, OPT_USER },
	{ "limit",		required_argument, NULL, OPT_LIMIT },
	{ "pool",		required_argument, NULL, OPT_POOL },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ "help",		no_argument,	   NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: iridiumd [options]\n"
"\n"
"The Iridium server: serves the Iridium REPL to many users at once, each\n"
"session in its own sandboxed worker process. Runs in the foreground.\n"
"\n"
"  --bind-host ADDR        listen on ADDR (default 127.0.0.1; IPv6 works)\n"
"  --bind-port PORT        listen on PORT (default 2244; 0: any free port,\n"
"                          logged as \"listening on line ADDR:PORT\")\n"
"  --allow-insecure-remote serve the unauthenticated line transport on a\n"
"                          non-loopback address\n"
"  --workers N             at most N workers (default 64)\n"
"  --pool KEY=VALUE        a pool setting: min_spare, max_spare,\n"
"                          max_workers, queue, queue_timeout, throttle,\n"
"                          ready_timeout, ping_interval, ping_timeout,\n"
"                          kill_timeout, grace (seconds)\n"
"  --limit KEY=VALUE       a session limit (see iridiumd(8)): budget, heap,\n"
"                          stack, cpu, output_rate, output_max, idle,\n"
"                          idle_warn, lifetime, lifetime_warn, line_max,\n"
"                          outbuf_max\n"
"  --run-dir DIR           runtime files (default " CONFIG_RUN_DIR ")\n"
"  --worker-path PATH      the worker program (default "
    IRIDIUM_LIBEXECDIR "/iridium-worker)\n"
"  --user NAME             workers run as NAME when started as root\n"
"                          (default iridium, else nobody)\n"
"  --log-level LEVEL       err, warning, notice, info (default), debug\n"
"  --sandbox-debug         report forbidden syscalls instead of killing\n"
"  --foreground            accepted for compatibility: always foreground\n"
"  --version, --help\n"
"\n"
"Signals: TERM or INT shut down gracefully (sessions get a goodbye line).\n"
"Exit status: 0 after a clean shutdown, 1 when start-up fails.\n");
}

/* Parse a decimal in [min, max] or die with a message naming the flag. */
static unsigned long long
number(const char *flag, const char *s, unsigned long long min,
    unsigned long long max)
{
	unsigned long long v;
	char		*end;

	errno = 0;
	if (*s == '-' || *s == '\0')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		goto bad;
	return v;
bad:
	fprintf(stderr, "iridiumd: %s: \"%s\" is not a number in %llu..%llu\n",
	    flag, s, min, max);
	exit(1);
}

static void
set_limit(struct msg_limits *m, const char *arg)
{
	const char	*eq = strchr(arg, '=');
	size_t		 klen;

	if (eq == NULL) {
		fprintf(stderr, "iridiumd: --limit %s: expected KEY=VALUE\n",
		    arg);
		exit(1);
	}
	klen = (size_t)(eq - arg);
#define SET_LIMIT(name, def, min, max, unit, what)			\
	if (klen == strlen(#name) && strncmp(arg, #name, klen) == 0) {	\
		m->name = number("--limit " #name, eq + 1, min, max);	\
		return;							\
	}
	MSG_LIMITS(SET_LIMIT)
#undef SET_LIMIT
	fprintf(stderr, "iridiumd: --limit: unknown limit \"%.*s\"\n",
	    (int)klen, arg);
	exit(1);
}

static void
set_pool(struct pool_cfg *p, const char *arg)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} keys[] = {
#define K(n)	{ #n, offsetof(struct pool_cfg, n) }
		K(min_spare), K(max_spare), K(max_workers), K(queue),
		K(queue_timeout), K(throttle), K(ready_timeout),
		K(ping_interval), K(ping_timeout), K(kill_timeout), K(grace),
#undef K
	};
	const char	*eq = strchr(arg, '=');
	size_t		 i, klen;

	if (eq == NULL) {
		fprintf(stderr, "iridiumd: --pool %s: expected KEY=VALUE\n",
		    arg);
		exit(1);
	}
	klen = (size_t)(eq - arg);
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].name) == klen &&
		    strncmp(arg, keys[i].name, klen) == 0) {
			*(unsigned *)(void *)((char *)p + keys[i].off) =
			    (unsigned)number("--pool", eq + 1, 0, 100000);
			return;
		}
	}
	fprintf(stderr, "iridiumd: --pool: unknown setting \"%.*s\"\n",
	    (int)klen, arg);
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct config		 cfg;
	struct daemon		 d;
	struct listener_cfg	*l;
	char			 err[512];
	int			 ch, level;

	log_init("iridiumd", LOG_INFO);
	config_defaults(&cfg);
	l = &cfg.listeners[0];
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_BIND_HOST:
			strlcpy(l->bind, optarg, sizeof(l->bind));
			break;
		case OPT_BIND_PORT:
			l->port = (int)number("--bind-port", optarg, 0, 65535);
			break;
		case OPT_WORKERS:
			cfg.pool.max_workers = (unsigned)number("--workers",
			    optarg, 1, 100000);
			break;
		case OPT_RUN_DIR:
			strlcpy(cfg.run_dir, optarg, sizeof(cfg.run_dir));
			break;
		case OPT_WORKER_PATH:
			strlcpy(cfg.worker_path, optarg,
			    sizeof(cfg.worker_path));
			break;
		case OPT_FOREGROUND:
			break;
		case OPT_ALLOW_INSECURE:
			l->allow_insecure_remote = true;
			break;
		case OPT_LOG_LEVEL:
			if ((level = log_level_parse(optarg)) == -1) {
				fprintf(stderr, "iridiumd: --log-level: "
				    "unknown level \"%s\"\n", optarg);
				return 1;
			}
			cfg.log_level = level;
			break;
		case OPT_SANDBOX_DEBUG:
			cfg.sandbox_debug = true;
			break;
		case OPT_USER:
			strlcpy(cfg.user, optarg, sizeof(cfg.user));
			break;
		case OPT_LIMIT:
			set_limit(&cfg.limits, optarg);
			break;
		case OPT_POOL:
			set_pool(&cfg.pool, optarg);
			break;
		case OPT_VERSION:
			printf("iridiumd %s\n", IRIDIUM_VERSION);
			return 0;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "iridiumd: unexpected argument \"%s\"\n",
		    argv[optind]);
		usage(stderr);
		return 1;
	}
	/* --workers below the default spares shrinks them with it. */
	if (cfg.pool.min_spare > cfg.pool.max_workers)
		cfg.pool.min_spare = cfg.pool.max_workers;
	if (cfg.pool.max_spare > cfg.pool.max_workers)
		cfg.pool.max_spare = cfg.pool.max_workers;
	l->pool = cfg.pool;
	log_set_level(cfg.log_level);
	if (config_check(&cfg, err, sizeof(err)) == -1) {
		log_warnx("%s", err);
		return 1;
	}
	if (daemon_init(&d, &cfg) == -1)
		return 1;
	log_info("iridiumd %s started (pid %d)", IRIDIUM_VERSION,
	    (int)getpid());
	return daemon_run(&d);
}

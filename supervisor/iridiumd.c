/*
 * iridiumd.c: the supervisor's main: flags, the configuration (the file
 * of -f with the flags over it; -t checks it, -T prints it), then the one
 * start-up sequence (control socket, listeners, pools), then the loop.
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

#include "auth.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "msg.h"

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

enum {
	OPT_BIND_HOST = 256,
	OPT_BIND_PORT,
	OPT_WORKERS,
	OPT_RUN_DIR,
	OPT_WORKER_PATH,
	OPT_SSH_WORKER_PATH,
	OPT_STATE_DIR,
	OPT_FOREGROUND,
	OPT_ALLOW_INSECURE,
	OPT_LOG_LEVEL,
	OPT_SANDBOX_DEBUG,
	OPT_USER,
	OPT_WORKER_UIDS,
	OPT_LIMIT,
	OPT_POOL,
	OPT_EXAMPLE,
	OPT_REFERENCE,
	OPT_VERSION,
	OPT_HELP,
};

static const struct option longopts[] = {
	{ "config",		required_argument, NULL, 'f' },
	{ "check",		no_argument,	   NULL, 't' },
	{ "dump-config",	no_argument,	   NULL, 'T' },
	{ "bind-host",		required_argument, NULL, OPT_BIND_HOST },
	{ "bind-port",		required_argument, NULL, OPT_BIND_PORT },
	{ "workers",		required_argument, NULL, OPT_WORKERS },
	{ "run-dir",		required_argument, NULL, OPT_RUN_DIR },
	{ "worker-path",	required_argument, NULL, OPT_WORKER_PATH },
	{ "ssh-worker-path",	required_argument, NULL, OPT_SSH_WORKER_PATH },
	{ "state-dir",		required_argument, NULL, OPT_STATE_DIR },
	{ "foreground",		no_argument,	   NULL, OPT_FOREGROUND },
	{ "allow-insecure-remote", no_argument,	   NULL, OPT_ALLOW_INSECURE },
	{ "log-level",		required_argument, NULL, OPT_LOG_LEVEL },
	{ "sandbox-debug",	no_argument,	   NULL, OPT_SANDBOX_DEBUG },
	{ "user",		required_argument, NULL, OPT_USER },
	{ "worker-uids",	required_argument, NULL, OPT_WORKER_UIDS },
	{ "limit",		required_argument, NULL, OPT_LIMIT },
	{ "pool",		required_argument, NULL, OPT_POOL },
	{ "example-config",	no_argument,	   NULL, OPT_EXAMPLE },
	{ "config-reference",	no_argument,	   NULL, OPT_REFERENCE },
	{ "version",		no_argument,	   NULL, OPT_VERSION },
	{ "help",		no_argument,	   NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: iridiumd [-tT] [-f FILE] [options]\n"
"\n"
"The Iridium server: serves the Iridium REPL to many users at once, each\n"
"session in its own sandboxed worker process. Runs in the foreground.\n"
"\n"
"  -f, --config FILE       read FILE (INI; see iridiumd --example-config).\n"
"                          Without -f no file is read: the defaults and\n"
"                          the flags below are the whole configuration\n"
"  -t, --check             check the configuration and exit: 0 and\n"
"                          \"configuration OK\", or 1 and every error\n"
"  -T, --dump-config       check, then print the effective configuration\n"
"  --example-config        print an example file with every key\n"
"  --config-reference      print every key as a Markdown table\n"
"\n"
"These override the file:\n"
"  --bind-host ADDR        the first listener's address (default 127.0.0.1)\n"
"  --bind-port PORT        its port (default 2244; 0: any free port,\n"
"                          logged as \"listening on NAME ADDR:PORT\")\n"
"  --allow-insecure-remote serve its unauthenticated line transport on a\n"
"                          non-loopback address\n"
"  --workers N             at most N workers per pool (default 64)\n"
"  --pool KEY=VALUE        a [pool] key, for every pool: min_spare,\n"
"                          max_spare, max_workers, queue, queue_timeout,\n"
"                          throttle, ready_timeout, ping_interval,\n"
"                          ping_timeout, kill_timeout, handoff_timeout,\n"
"                          grace (seconds)\n"
"  --limit KEY=VALUE       a [limits] key: budget, heap, stack, cpu,\n"
"                          output_rate, output_max, idle, idle_warn,\n"
"                          lifetime, lifetime_warn, line_max,\n"
"                          line_timeout, outbuf_max\n"
"  --run-dir DIR           runtime files (default " CONFIG_RUN_DIR ")\n"
"  --worker-path PATH      the worker program (default\n"
"                          " IRIDIUM_LIBEXECDIR "/iridium-worker)\n"
"  --ssh-worker-path PATH  the ssh listeners' worker program (default\n"
"                          " IRIDIUM_LIBEXECDIR "/iridium-worker-ssh)\n"
"  --state-dir DIR         persistent state: the ssh host key, relative\n"
"                          key paths (default " CONFIG_STATE_DIR ")\n"
"  --worker-uids RANGE     as root, each worker runs as a uid and gid of\n"
"                          its own from RANGE, FIRST-LAST, which no one\n"
"                          else may use (default " CONFIG_WORKER_UIDS ");\n"
"                          '' (empty): every worker runs as --user\n"
"  --user NAME             the workers' user when --worker-uids is empty\n"
"                          (default iridium; it must exist)\n"
"  --log-level LEVEL       err, warning, notice, info (default), debug\n"
"  --sandbox-debug         report forbidden syscalls instead of killing\n"
"  --foreground            accepted for compatibility: always foreground\n"
"  --version, --help\n"
"\n"
"Signals: TERM or INT shut down gracefully (sessions get a goodbye line);\n"
"HUP re-reads the configuration file (as iridiumctl reload does).\n"
"Exit status: 0 after a clean shutdown, 1 when start-up fails.\n");
}

/* --pool KEY=VALUE and --limit KEY=VALUE, checked against the table. */
static void
flag_kv(struct cfg_flags *f, enum cfg_flag_target t, const char *flag,
    const char *arg)
{
	char		 key[64], err[512];
	const char	*eq = strchr(arg, '=');

	if (eq == NULL || (size_t)(eq - arg) >= sizeof(key)) {
		fprintf(stderr, "iridiumd: %s %s: expected KEY=VALUE\n", flag,
		    arg);
		exit(1);
	}
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	if (config_flag_add(f, t, key, eq + 1, err, sizeof(err)) == -1) {
		fprintf(stderr, "iridiumd: %s: %s\n", flag, err);
		exit(1);
	}
}

static void
flag(struct cfg_flags *f, enum cfg_flag_target t, const char *flag,
    const char *key, const char *value)
{
	char	 err[512];

	if (config_flag_add(f, t, key, value, err, sizeof(err)) == -1) {
		fprintf(stderr, "iridiumd: %s: %s\n", flag, err);
		exit(1);
	}
}

/*
 * Print lines of a buffer through log_warnx, or to stderr for -t: there
 * a line naming its place in the file stands alone, like a compiler's.
 */
static void
report(const struct buf *b, const char *path, bool to_stderr)
{
	const char	*p, *nl;
	size_t		 plen = path != NULL ? strlen(path) : 0;

	for (p = b->data; p != NULL && *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!to_stderr)
			log_warnx("%.*s", (int)(nl - p), p);
		else if (plen > 0 && strncmp(p, path, plen) == 0 &&
		    p[plen] == ':')
			fprintf(stderr, "%.*s\n", (int)(nl - p), p);
		else
			fprintf(stderr, "iridiumd: %.*s\n", (int)(nl - p), p);
	}
}

/* iridiumd -t and -T: report, and say whether all is well. */
static int
check_report(const struct config *cfg, const struct cfg_errors *errs,
    const char *path, bool dump)
{
	report(&errs->warnings, path, true);
	report(&errs->errors, path, true);
	if (errs->nerrors > CFG_ERRORS_MAX)
		fprintf(stderr, "iridiumd: ... and %u more error%s\n",
		    errs->nerrors - CFG_ERRORS_MAX,
		    plural(errs->nerrors - CFG_ERRORS_MAX));
	if (errs->nerrors != 0) {
		fprintf(stderr, "iridiumd: %u error%s in the configuration%s"
		    "%s\n", errs->nerrors, errs->nerrors == 1 ? "" : "s",
		    path != NULL ? " from " : "", path != NULL ? path : "");
		return 1;
	}
	if (dump)
		config_write(stdout, cfg);
	else
		printf("configuration OK\n");
	return 0;
}

int
main(int argc, char *argv[])
{
	struct cfg_flags	 flags;
	struct cfg_errors	 errs;
	struct config		*cfg;
	struct daemon		*d;
	const char		*path = NULL;
	unsigned long long	 n;
	int			 ch, check = 0, dump = 0, rc;

	log_init("iridiumd", LOG_INFO);
	memset(&flags, 0, sizeof(flags));
	while ((ch = getopt_long(argc, argv, "f:tT", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			path = optarg;
			break;
		case 't':
			check = 1;
			break;
		case 'T':
			dump = 1;
			break;
		case OPT_BIND_HOST:
			flag(&flags, CF_LISTENER0, "--bind-host", "bind",
			    optarg);
			break;
		case OPT_BIND_PORT:
			flag(&flags, CF_LISTENER0, "--bind-port", "port",
			    optarg);
			break;
		case OPT_WORKERS:
			n = number("--workers", optarg, 1, 100000);
			flags.workers = (unsigned)n;
			break;
		case OPT_RUN_DIR:
			flag(&flags, CF_DAEMON, "--run-dir", "run_dir",
			    optarg);
			break;
		case OPT_WORKER_PATH:
			flag(&flags, CF_DAEMON, "--worker-path",
			    "worker_path", optarg);
			break;
		case OPT_SSH_WORKER_PATH:
			flag(&flags, CF_DAEMON, "--ssh-worker-path",
			    "ssh_worker_path", optarg);
			break;
		case OPT_STATE_DIR:
			flag(&flags, CF_DAEMON, "--state-dir", "state_dir",
			    optarg);
			break;
		case OPT_FOREGROUND:
			break;
		case OPT_ALLOW_INSECURE:
			flag(&flags, CF_LISTENER0, "--allow-insecure-remote",
			    "allow_insecure_remote", "yes");
			break;
		case OPT_LOG_LEVEL:
			flag(&flags, CF_DAEMON, "--log-level", "log_level",
			    optarg);
			break;
		case OPT_SANDBOX_DEBUG:
			flag(&flags, CF_DAEMON, "--sandbox-debug",
			    "sandbox_debug", "yes");
			break;
		case OPT_USER:
			flag(&flags, CF_DAEMON, "--user", "user", optarg);
			break;
		case OPT_WORKER_UIDS:
			flag(&flags, CF_DAEMON, "--worker-uids", "worker_uids",
			    optarg);
			break;
		case OPT_LIMIT:
			flag_kv(&flags, CF_LIMITS, "--limit", optarg);
			break;
		case OPT_POOL:
			flag_kv(&flags, CF_POOL, "--pool", optarg);
			break;
		case OPT_EXAMPLE:
			config_write_example(stdout);
			return 0;
		case OPT_REFERENCE:
			config_write_reference(stdout);
			return 0;
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
	if ((cfg = malloc(sizeof(*cfg))) == NULL ||
	    (d = malloc(sizeof(*d))) == NULL) {
		fprintf(stderr, "iridiumd: out of memory\n");
		return 1;
	}
	cfg_errors_init(&errs);
	if (config_build(cfg, path, &flags, &errs) == 0)
		daemon_check_system(cfg, true, &errs);
	if ((check || dump) && errs.nerrors == 0)
		auth_check(cfg, &errs);
	if (check || dump) {
		rc = check_report(cfg, &errs, path, dump);
		cfg_errors_free(&errs);
		free(cfg);
		free(d);
		return rc;
	}
	log_set_level(cfg->log_level);
	report(&errs.warnings, path, false);
	report(&errs.errors, path, false);
	if (errs.nerrors != 0) {
		log_warnx("%u error%s in the configuration; not starting",
		    errs.nerrors, errs.nerrors == 1 ? "" : "s");
		cfg_errors_free(&errs);
		free(cfg);
		free(d);
		return 1;
	}
	cfg_errors_free(&errs);
	rc = daemon_init(d, cfg, path, &flags);
	free(cfg);
	if (rc == -1) {
		daemon_free(d);
		free(d);
		return 1;
	}
	log_info("iridiumd %s started (pid %d)%s%s", IRIDIUM_VERSION,
	    (int)getpid(), path != NULL ? " with " : "",
	    path != NULL ? path : "");
	rc = daemon_run(d);
	free(d);
	return rc;
}

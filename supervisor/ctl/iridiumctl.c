/*
 * iridiumctl.c: the administrator's tool. It sends one request line to
 * iridiumd's control socket, reads one reply line, and prints it: a
 * readable summary, or with --json the document itself.
 *
 * Whatever the daemon sends is data, not text to trust: strings that came
 * from workers (and every other string of the document) are escaped
 * before they reach the terminal, and --json output is ASCII-only JSON.
 *
 * Exit status: 0 done, 1 iridiumd unreachable or it refused, 64 usage.
 */
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include <jansson.h>

#include "buf.h"
#include "ctl.h"
#include "escape.h"
#include "log.h"
#include "metrics.h"
#include "status.h"

#define EX_USAGE	64
#define REPLY_MAX	(64 << 20)
#define TIMEOUT_MS	30000

/* metrics -o FILE: what die() leaves there ("iridium_up 0"). */
static const char	*down_path;
static void		 write_metrics_file(const char *, const json_t *,
			    unsigned);

/* A metrics file says the daemon is down rather than go stale. */
static void
metrics_down(void)
{
	const char	*p = down_path;

	if (p != NULL) {
		down_path = NULL;
		write_metrics_file(p, NULL, 0);
	}
}

static void
usage(FILE *f)
{
	fprintf(f,
"usage: iridiumctl [-s SOCKET] COMMAND\n"
"\n"
"Asks iridiumd, the Iridium server, what it is doing, and tells it what\n"
"to do, over its control socket.\n"
"\n"
"  status [--json]     the daemon, listeners, pools, session totals and\n"
"                      one row per session; --json: the status document\n"
"  sessions [--json]   one row per session\n"
"  kill SESSION_ID     end a session: its client is told goodbye, and\n"
"                      its worker is killed if it lingers past the grace\n"
"  reload              re-read the configuration file (as SIGHUP does)\n"
"  upgrade             replace every worker by the programs now on disk\n"
"                      (as SIGUSR2 does): line sessions move to new\n"
"                      workers, ssh sessions are told to reconnect\n"
"  recordings [TENANT] [--since YYYY-MM-DD] [--json]\n"
"                      the session recordings, with size and duration\n"
"  metrics [--sessions] [-o FILE]\n"
"                      the status as Prometheus metrics; --sessions: a\n"
"                      series per session too; -o: write FILE atomically\n"
"                      (FILE.tmp, then renamed; iridium_up 0 in it when\n"
"                      iridiumd cannot be asked), for node_exporter\n"
"\n"
"  -s, --socket PATH   the control socket (default $IRIDIUM_CONTROL, else\n"
"                      " CTL_DEFAULT_PATH ")\n"
"  --version, --help\n"
"\n"
"Exit status: 0 done, 1 iridiumd cannot be reached or refused, 64 usage.\n");
}

static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	va_list	 ap;

	fputs("iridiumctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	metrics_down();
	exit(status);
}

/* An escaped copy, from a few rotating buffers (printf arguments). */
static const char *
esc(const char *s)
{
	static char	 bufs[16][1024];
	static int	 slot;
	char		*b = bufs[slot++ % 16];

	if (s == NULL)
		return "-";
	return escape_untrusted(b, sizeof(bufs[0]), s, strlen(s));
}

static const char *
gs(const json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return esc(s != NULL ? s : "?");
}

static long long
gi(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* --- talking to iridiumd ------------------------------------------------- */

static int
ctl_connect(const char *path)
{
	struct sockaddr_un	 sun;
	const char		*hint;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlcpy(sun.sun_path, path, sizeof(sun.sun_path)) >=
	    sizeof(sun.sun_path))
		die(EX_USAGE, "socket path %s is too long", esc(path));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		die(1, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		switch (errno) {
		case ENOENT:
		case ECONNREFUSED:
			hint = " (is it running?)";
			break;
		case EACCES:
		case EPERM:
			hint = " (the control socket is for root, iridiumd's "
			    "user and members of its admin_group)";
			break;
		default:
			hint = "";
			break;
		}
		die(1, "cannot reach iridiumd at %s: %s%s", esc(path),
		    strerror(errno), hint);
	}
	return fd;
}

/* Send one request, return the reply's object (exits on failure). */
static json_t *
request(const char *path, json_t *req)
{
	struct pollfd	 pfd;
	struct buf	 in;
	json_error_t	 jerr;
	json_t		*reply;
	char		*line, tmp[65536], *nl;
	ssize_t		 n;
	size_t		 len, off = 0;
	int		 fd, send_errno = 0;

	fd = ctl_connect(path);
	if ((line = json_dumps(req, JSON_COMPACT)) == NULL)
		die(1, "out of memory");
	json_decref(req);
	len = strlen(line);
	line[len] = '\n';	/* in place of json_dumps' NUL */
	while (off < len + 1) {
		n = send(fd, line + off, len + 1 - off, MSG_NOSIGNAL);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			/* A refusal may be waiting: it is sent at once. */
			send_errno = errno;
			break;
		}
		off += (size_t)n;
	}
	free(line);
	buf_init(&in, REPLY_MAX);
	for (;;) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		n = poll(&pfd, 1, TIMEOUT_MS);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == 0)
			die(1, "no answer from iridiumd in %ds", TIMEOUT_MS /
			    1000);
		n = read(fd, tmp, sizeof(tmp));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			die(1, "read from iridiumd: %s", strerror(send_errno !=
			    0 ? send_errno : errno));
		if (n == 0 && send_errno != 0)
			die(1, "send to iridiumd: %s", strerror(send_errno));
		if (n == 0)
			die(1, "iridiumd closed the connection without an "
			    "answer");
		if (buf_append(&in, tmp, (size_t)n) == -1)
			die(1, "the answer is larger than %d bytes",
			    REPLY_MAX);
		if ((nl = memchr(in.data, '\n', in.len)) != NULL)
			break;
	}
	close(fd);
	reply = json_loadb(in.data, (size_t)(nl - in.data), 0, &jerr);
	buf_free(&in);
	if (!json_is_object(reply))
		die(1, "iridiumd's answer is not a JSON object: %s",
		    esc(jerr.text));
	if (json_integer_value(json_object_get(reply, "v")) != CTL_VERSION ||
	    !json_is_boolean(json_object_get(reply, "ok")))
		die(1, "iridiumd's answer has no \"v\": %d and \"ok\"",
		    CTL_VERSION);
	return reply;
}

/* A refusal: its error, any error lines, and exit 1. */
static void
check_ok(json_t *reply)
{
	json_t	*errors, *e;
	size_t	 i;

	if (json_is_true(json_object_get(reply, "ok")))
		return;
	fprintf(stderr, "iridiumctl: %s\n", gs(reply, "error"));
	errors = json_object_get(reply, "errors");
	json_array_foreach(errors, i, e)
		fprintf(stderr, "  %s\n", esc(json_string_value(e)));
	metrics_down();
	exit(1);
}

static void
print_json(const json_t *j)
{
	char	*s = json_dumps(j, JSON_INDENT(2) | JSON_ENSURE_ASCII |
	    JSON_ENCODE_ANY);

	if (s == NULL)
		die(1, "out of memory");
	printf("%s\n", s);
	free(s);
}

/* --- tables -------------------------------------------------------------- */

#define TABLE_COLS	14

struct table {
	size_t	 ncols, nrows;
	char	**cells;	/* nrows * ncols */
	size_t	 width[TABLE_COLS];
	bool	 right[TABLE_COLS];	/* numbers align right */
};

static void	row(struct table *, ...);

static void
row(struct table *t, ...)
{
	va_list		 ap;
	const char	*s;
	size_t		 i;

	t->cells = reallocarray(t->cells, (t->nrows + 1) * t->ncols,
	    sizeof(char *));
	if (t->cells == NULL)
		die(1, "out of memory");
	va_start(ap, t);
	for (i = 0; i < t->ncols; i++) {
		s = va_arg(ap, const char *);
		if ((t->cells[t->nrows * t->ncols + i] = strdup(s)) == NULL)
			die(1, "out of memory");
		if (strlen(s) > t->width[i])
			t->width[i] = strlen(s);
	}
	va_end(ap);
	t->nrows++;
}

static void
table_free(struct table *t)
{
	size_t	 i;

	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	t->cells = NULL;
	t->nrows = 0;
}

static void
table_print(struct table *t, const char *indent)
{
	size_t		 r, i;
	const char	*s;

	for (r = 0; r < t->nrows; r++) {
		fputs(indent, stdout);
		for (i = 0; i < t->ncols; i++) {
			s = t->cells[r * t->ncols + i];
			if (i + 1 == t->ncols && !t->right[i])
				printf("%s", s);
			else if (t->right[i] && r > 0)
				printf("%*s", (int)t->width[i], s);
			else
				printf("%-*s", (int)t->width[i], s);
			if (i + 1 < t->ncols)
				fputs("  ", stdout);
		}
		fputc('\n', stdout);
	}
	table_free(t);
}

/* 59s, 1m02s, 3h04m, 2d05h */
static const char *
dur(long long s)
{
	static char	 bufs[4][32];
	static int	 slot;
	char		*b = bufs[slot++ % 4];

	if (s < 0)
		s = 0;
	if (s < 60)
		snprintf(b, 32, "%llds", s);
	else if (s < 3600)
		snprintf(b, 32, "%lldm%02llds", s / 60, s % 60);
	else if (s < 86400)
		snprintf(b, 32, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else
		snprintf(b, 32, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
	return b;
}

static const char *
num(long long n)
{
	static char	 bufs[16][24];
	static int	 slot;
	char		*b = bufs[slot++ % 16];

	snprintf(b, 24, "%lld", n);
	return b;
}

/* --- output -------------------------------------------------------------- */

/* "-" for an empty cell (an ssh session's tenant before its login). */
static const char *
nonempty(const char *s)
{
	return s[0] != '\0' ? s : "-";
}

static void
print_sessions(const json_t *workers)
{
	struct table	 t = { .ncols = 14 };
	const json_t	*w, *s;
	char		 key[384], idle[48];
	size_t		 i;
	int		 n = 0;

	t.right[0] = t.right[4] = t.right[5] = t.right[6] = t.right[7] =
	    t.right[8] = true;
	row(&t, "SESSION", "TENANT", "PEER", "TRANSPORT", "AGE", "IDLE",
	    "INSTRUCTIONS", "IN", "OUT", "REC", "KEY", "KEX", "CIPHER",
	    "CLIENT");
	json_array_foreach(workers, i, w) {
		s = json_object_get(w, "session");
		if (!json_is_object(s))
			continue;
		/* ssh: the key that logged in; "-" for line, or before it. */
		if (json_string_length(json_object_get(s, "cert_id")) > 0 ||
		    json_string_length(json_object_get(s, "cert_serial")) > 0)
			/* A certificate: its key ID and serial too. */
			snprintf(key, sizeof(key), "%s %s ID %s serial %s",
			    gs(s, "key_type"), gs(s, "key_fingerprint"),
			    gs(s, "cert_id"), gs(s, "cert_serial"));
		else if (json_string_length(json_object_get(s,
		    "key_fingerprint")) > 0)
			snprintf(key, sizeof(key), "%s %s",
			    gs(s, "key_type"), gs(s, "key_fingerprint"));
		else
			strlcpy(key, "-", sizeof(key));
		/* A detached session: its client gone, resumable. */
		if (strcmp(gs(w, "state"), "detached") == 0)
			snprintf(idle, sizeof(idle), "detached %s",
			    dur(gi(s, "detached_seconds")));
		else
			strlcpy(idle, dur(gi(s, "idle_seconds")), sizeof(idle));
		/* ssh: what the key exchange settled on; "-" for line. */
		row(&t, num(gi(s, "id")), nonempty(gs(s, "tenant")),
		    gs(s, "peer"), gs(s, "transport"),
		    dur(gi(s, "age_seconds")), idle,
		    num(gi(s, "instructions")), num(gi(s, "bytes_in")),
		    num(gi(s, "bytes_out")),
		    json_string_length(json_object_get(s, "recording")) > 0 ?
		    "yes" : "-", key, nonempty(gs(s, "kex")),
		    nonempty(gs(s, "cipher")), nonempty(gs(s, "client")));
		n++;
	}
	if (n == 0) {
		table_free(&t);		/* a header alone is noise */
		printf("no sessions\n");
		return;
	}
	table_print(&t, "");
}

/* Workers that stopped answering pings: one line, when any. */
static void
print_unresponsive(const json_t *workers)
{
	const json_t	*w;
	size_t		 i;
	long long	 secs;
	int		 n = 0;

	json_array_foreach(workers, i, w) {
		if ((secs = gi(w, "unresponsive_seconds")) <= 0)
			continue;
		printf("%s worker %lld (%s, %s) %llds", n++ == 0 ?
		    "unresponsive:" : ",", gi(w, "pid"), gs(w, "listener"),
		    gs(w, "state"), secs);
	}
	if (n > 0)
		printf(" without answering a ping\n");
}

/* One line of what the supervisor's own limits refused, when any. */
static void
print_admission(const json_t *a)
{
	const json_t	*v;
	const char	*k;
	char		 line[512], item[96];

	if (!json_is_object(a))
		return;
	line[0] = '\0';
	json_object_foreach(json_object_get(a, "refused"), k, v) {
		if (json_integer_value(v) == 0)
			continue;
		snprintf(item, sizeof(item), "%s%s %lld", line[0] != '\0' ?
		    ", " : "", esc(k), (long long)json_integer_value(v));
		strlcat(line, item, sizeof(line));
	}
	printf("admission: %lld connection%s not in a session yet; %lld "
	    "source%s tracked, %lld penalised; refused: %s\n",
	    gi(a, "startups"), plural((unsigned long long)gi(a, "startups")),
	    gi(a, "sources"), plural((unsigned long long)gi(a, "sources")),
	    gi(a, "penalised"), line[0] != '\0' ? line : "none");
}

static void
print_status(const json_t *doc)
{
	const json_t	*d, *a, *o, *ex, *v, *se;
	struct table	 t = { 0 };
	const char	*k;
	char		 exits[512], item[96];
	size_t		 i;

	d = json_object_get(doc, "daemon");
	printf("iridiumd %s (build %s), pid %lld, up %s, configuration "
	    "generation %lld", gs(d, "version"), gs(d, "build"), gi(d, "pid"),
	    dur(gi(d, "uptime_seconds")), gi(d, "generation"));
	if (json_string_length(json_object_get(d, "config")) > 0)
		printf(" from %s", gs(d, "config"));
	printf("\ncontrol socket %s; reloads: %lld, failed: %lld",
	    gs(d, "control"), gi(d, "reloads"), gi(d, "reload_failures"));
	if (gi(d, "upgrades") > 0)
		printf("; upgrades: %lld (%lld line session%s moved, %lld "
		    "stayed)", gi(d, "upgrades"), gi(d, "upgrade_moves"),
		    plural((unsigned long long)gi(d, "upgrade_moves")),
		    gi(d, "upgrade_failures"));
	printf("\n");
	json_array_foreach(json_object_get(d, "host_keys"), i, o)
		printf("ssh host key %s %s (%s)\n", gs(o, "type"),
		    gs(o, "fingerprint"), gs(o, "path"));
	printf("\n");

	t.ncols = 5;
	row(&t, "LISTENER", "TRANSPORT", "ADDRESS", "TENANT", "STATE");
	a = json_object_get(d, "listeners");
	json_array_foreach(a, i, o)
		row(&t, gs(o, "name"), gs(o, "transport"), gs(o, "address"),
		    nonempty(gs(o, "tenant")), gs(o, "state"));
	table_print(&t, "");
	printf("\n");

	memset(&t, 0, sizeof(t));
	t.ncols = 11;
	for (i = 1; i < 10; i++)
		t.right[i] = true;
	row(&t, "POOL", "WORKERS", "IDLE", "BUSY", "STARTING", "STOPPING",
	    "QUEUED", "SPARES", "MAX", "SPAWNED", "EXITS");
	a = json_object_get(doc, "pools");
	json_array_foreach(a, i, o) {
		char	 spares[48];

		exits[0] = '\0';
		ex = json_object_get(o, "exits");
		json_object_foreach((json_t *)(uintptr_t)ex, k, v) {
			if (json_integer_value(v) == 0)
				continue;
			snprintf(item, sizeof(item), "%s%s %lld",
			    exits[0] != '\0' ? ", " : "", esc(k),
			    (long long)json_integer_value(v));
			strlcat(exits, item, sizeof(exits));
		}
		snprintf(spares, sizeof(spares), "%lld-%lld",
		    gi(o, "min_spare"), gi(o, "max_spare"));
		row(&t, gs(o, "listener"), num(gi(o, "workers")),
		    num(gi(o, "idle")), num(gi(o, "busy")),
		    num(gi(o, "starting")), num(gi(o, "stopping")),
		    num(gi(o, "queued")), spares, num(gi(o, "max_workers")),
		    num(gi(o, "spawned")), exits[0] != '\0' ? exits : "-");
	}
	table_print(&t, "");
	print_unresponsive(json_object_get(doc, "workers"));

	se = json_object_get(doc, "sessions");
	printf("\nsessions: %lld active; %lld accepted = %lld completed + "
	    "%lld rejected + %lld failed + %lld active\n",
	    gi(se, "active"), gi(se, "accepted"), gi(se, "completed"),
	    gi(se, "rejected"), gi(se, "failed"), gi(se, "active"));
	json_object_foreach(json_object_get(se, "per_tenant"), k, v) {
		printf("  tenant %s: %lld active, %lld accepted", esc(k),
		    gi(v, "active"), gi(v, "accepted"));
		if (gi(v, "max_sessions") != 0)
			printf(", at most %lld at once", gi(v,
			    "max_sessions"));
		if (gi(v, "refused") != 0)
			printf(", %lld refused for it", gi(v, "refused"));
		printf("\n");
	}
	print_admission(json_object_get(doc, "admission"));
	printf("\n");
	print_sessions(json_object_get(doc, "workers"));
}

/* --- metrics ------------------------------------------------------------- */

/* The exposition text into path, atomically: path.tmp, then renamed. */
static void
write_metrics_file(const char *path, const json_t *doc, unsigned flags)
{
	char	 tmp[PATH_MAX], err[256];
	FILE	*f;
	int	 fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		die(1, "%s: path too long", esc(path));
	/* 0644: node_exporter runs as a user of its own. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC |
	    O_NOFOLLOW, 0644)) == -1 || (f = fdopen(fd, "w")) == NULL)
		die(1, "%s: %s", esc(tmp), strerror(errno));
	if (doc == NULL)
		metrics_write_down(f);
	else if (metrics_write(f, doc, flags, err, sizeof(err)) == -1) {
		fclose(f);
		unlink(tmp);
		die(1, "iridiumd's status: %s", err);
	}
	if (fflush(f) == EOF || fsync(fileno(f)) == -1 || fclose(f) == EOF) {
		unlink(tmp);
		die(1, "%s: %s", esc(tmp), strerror(errno));
	}
	if (rename(tmp, path) == -1) {
		unlink(tmp);
		die(1, "rename %s to %s: %s", esc(tmp), esc(path),
		    strerror(errno));
	}
}

/* --- commands ------------------------------------------------------------ */

static json_t *
new_request(const char *command)
{
	json_t	*r = json_object();

	if (r == NULL)
		die(1, "out of memory");
	json_object_set_new(r, "v", json_integer(CTL_VERSION));
	json_object_set_new(r, "command", json_string(command));
	return r;
}

static int
cmd_status(const char *path, bool as_json, bool sessions)
{
	json_t	*reply, *doc;

	reply = request(path, new_request(sessions ? "sessions" : "status"));
	check_ok(reply);
	doc = json_object_get(reply, sessions ? "sessions" : "status");
	if (doc == NULL)
		die(1, "iridiumd's answer has no \"%s\"", sessions ?
		    "sessions" : "status");
	if (as_json)
		print_json(doc);
	else if (sessions)
		print_sessions(doc);
	else
		print_status(doc);
	json_decref(reply);
	return 0;
}

static int
cmd_metrics(const char *path, int argc, char *argv[])
{
	json_t		*reply, *doc;
	const char	*out = NULL;
	char		 err[256];
	unsigned	 flags = 0;
	int		 i;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--sessions") == 0)
			flags |= METRICS_SESSIONS;
		else if ((strcmp(argv[i], "-o") == 0 ||
		    strcmp(argv[i], "--output") == 0) && i + 1 < argc)
			out = argv[++i];
		else {
			fprintf(stderr, "usage: iridiumctl metrics "
			    "[--sessions] [-o FILE]\n");
			return EX_USAGE;
		}
	}
	down_path = out;
	reply = request(path, new_request("status"));
	check_ok(reply);
	if ((doc = json_object_get(reply, "status")) == NULL)
		die(1, "iridiumd's answer has no \"status\"");
	if (out != NULL) {
		down_path = NULL;
		write_metrics_file(out, doc, flags);
	} else if (metrics_write(stdout, doc, flags, err, sizeof(err)) == -1) {
		die(1, "iridiumd's status: %s", err);
	}
	json_decref(reply);
	if (fflush(stdout) == EOF)
		die(1, "stdout: %s", strerror(errno));
	return 0;
}

static int
cmd_kill(const char *path, const char *arg)
{
	json_t		*req, *reply;
	long long	 id;
	char		*end;

	errno = 0;
	id = strtoll(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno != 0 || id < 1) {
		fprintf(stderr, "iridiumctl: kill: \"%s\" is not a session id "
		    "(see iridiumctl sessions)\n", esc(arg));
		return EX_USAGE;
	}
	req = new_request("kill");
	json_object_set_new(req, "session", json_integer(id));
	reply = request(path, req);
	check_ok(reply);
	printf("session %lld (worker %lld): told to end; killed if still "
	    "there after %llds\n", gi(reply, "session"), gi(reply, "pid"),
	    gi(reply, "grace") + 1);
	json_decref(reply);
	return 0;
}

static int
cmd_reload(const char *path)
{
	json_t	*reply, *a, *e;
	size_t	 i;

	reply = request(path, new_request("reload"));
	check_ok(reply);
	printf("reloaded: configuration generation %lld\n",
	    gi(reply, "generation"));
	a = json_object_get(reply, "changes");
	if (json_array_size(a) == 0)
		printf("  no changes\n");
	json_array_foreach(a, i, e)
		printf("  %s\n", esc(json_string_value(e)));
	json_array_foreach(json_object_get(reply, "warnings"), i, e)
		printf("  %s\n", esc(json_string_value(e)));
	json_decref(reply);
	return 0;
}

static int
cmd_upgrade(const char *path)
{
	json_t	*reply;

	reply = request(path, new_request("upgrade"));
	check_ok(reply);
	printf("upgrade: workers of generation %lld from the programs on "
	    "disk\n", gi(reply, "generation"));
	printf("  %lld line session%s to move to new workers\n",
	    gi(reply, "line_sessions"), gi(reply, "line_sessions") == 1 ?
	    "" : "s");
	printf("  %lld ssh session%s told to reconnect and resume\n",
	    gi(reply, "ssh_sessions"), gi(reply, "ssh_sessions") == 1 ?
	    "" : "s");
	if (gi(reply, "ssh_ended") > 0)
		printf("  %lld ssh session%s ended (resume_window 0)\n",
		    gi(reply, "ssh_ended"), gi(reply, "ssh_ended") == 1 ?
		    "" : "s");
	printf("  %lld idle worker%s to replace\n", gi(reply,
	    "idle_workers"), gi(reply, "idle_workers") == 1 ? "" : "s");
	printf("(the moves go on in the background: iridiumctl sessions "
	    "shows each session's worker)\n");
	json_decref(reply);
	return 0;
}

static int
cmd_recordings(const char *path, int argc, char *argv[])
{
	struct table	 t = { .ncols = 6 };
	const char	*tenant = NULL, *since = NULL;
	json_t		*req, *reply, *a, *r;
	bool		 as_json = false;
	size_t		 i;
	int		 k;

	for (k = 0; k < argc; k++) {
		if (strcmp(argv[k], "--json") == 0)
			as_json = true;
		else if (strcmp(argv[k], "--since") == 0 && k + 1 < argc)
			since = argv[++k];
		else if (argv[k][0] != '-' && tenant == NULL)
			tenant = argv[k];
		else {
			fprintf(stderr, "usage: iridiumctl recordings [TENANT] "
			    "[--since YYYY-MM-DD] [--json]\n");
			return EX_USAGE;
		}
	}
	req = new_request("recordings");
	if (tenant != NULL)
		json_object_set_new(req, "tenant", json_string(tenant));
	if (since != NULL)
		json_object_set_new(req, "since", json_string(since));
	reply = request(path, req);
	check_ok(reply);
	if (as_json) {
		json_object_del(reply, "v");
		json_object_del(reply, "ok");
		if (json_dumpf(reply, stdout, JSON_INDENT(2) |
		    JSON_PRESERVE_ORDER) == -1 || putchar('\n') == EOF)
			die(1, "stdout: %s", strerror(errno));
		json_decref(reply);
		return 0;
	}
	a = json_object_get(reply, "recordings");
	t.right[4] = t.right[5] = true;
	row(&t, "TENANT", "DATE", "STARTED", "FILE", "BYTES", "DURATION");
	json_array_foreach(a, i, r) {
		char		 at[16];
		time_t		 s = (time_t)gi(r, "started");
		struct tm	 tm;

		if (s >= 0 && gmtime_r(&s, &tm) != NULL)
			strftime(at, sizeof(at), "%H:%M:%SZ", &tm);
		else
			strlcpy(at, "-", sizeof(at));
		row(&t, esc(gs(r, "tenant")), esc(gs(r, "date")), at,
		    esc(gs(r, "file")), num(gi(r, "bytes")),
		    dur(gi(r, "duration_seconds")));
	}
	if (json_array_size(a) == 0) {
		table_free(&t);
		printf("no recordings in %s\n", esc(gs(reply, "dir")));
	} else {
		table_print(&t, "");
		printf("in %s%s\n", esc(gs(reply, "dir")),
		    json_is_true(json_object_get(reply, "truncated")) ?
		    " (only the first ones: narrow it with TENANT or --since)" :
		    "");
	}
	json_decref(reply);
	return 0;
}

static const struct option longopts[] = {
	{ "socket",	required_argument, NULL, 's' },
	{ "version",	no_argument,	   NULL, 'V' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

int
main(int argc, char *argv[])
{
	const char	*path, *cmd;
	bool		 as_json = false;
	int		 ch, i;

	if ((path = getenv("IRIDIUM_CONTROL")) == NULL || *path == '\0')
		path = CTL_DEFAULT_PATH;
	/* "+": options end at the command. */
	while ((ch = getopt_long(argc, argv, "+s:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			path = optarg;
			break;
		case 'V':
			printf("iridiumctl %s\n", IRIDIUM_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[optind++];
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "sessions") == 0) {
		for (i = optind; i < argc; i++) {
			if (strcmp(argv[i], "--json") != 0) {
				fprintf(stderr, "iridiumctl: %s: unexpected "
				    "\"%s\"\n", cmd, esc(argv[i]));
				return EX_USAGE;
			}
			as_json = true;
		}
		return cmd_status(path, as_json, cmd[1] == 'e');
	}
	if (strcmp(cmd, "kill") == 0) {
		if (argc - optind != 1) {
			fprintf(stderr, "usage: iridiumctl kill SESSION_ID\n");
			return EX_USAGE;
		}
		return cmd_kill(path, argv[optind]);
	}
	if (strcmp(cmd, "reload") == 0) {
		if (argc != optind) {
			fprintf(stderr, "usage: iridiumctl reload\n");
			return EX_USAGE;
		}
		return cmd_reload(path);
	}
	if (strcmp(cmd, "upgrade") == 0) {
		if (argc != optind) {
			fprintf(stderr, "usage: iridiumctl upgrade\n");
			return EX_USAGE;
		}
		return cmd_upgrade(path);
	}
	if (strcmp(cmd, "metrics") == 0)
		return cmd_metrics(path, argc - optind, argv + optind);
	if (strcmp(cmd, "recordings") == 0)
		return cmd_recordings(path, argc - optind, argv + optind);
	fprintf(stderr, "iridiumctl: unknown command \"%s\" (status, sessions, "
	    "kill, reload, upgrade, recordings, metrics)\n", esc(cmd));
	usage(stderr);
	return EX_USAGE;
}

/*
 * harness.c: see harness.h.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"

const char *const *hd_extra_env;

long long
hd_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
hd_bin(const char *name)
{
	static char	 path[4][512];
	static int	 slot;
	const char	*b = getenv("IRIDIUM_BUILD");
	char		*p;

	if (b == NULL) {
		fprintf(stderr, "harness: IRIDIUM_BUILD is not set (run the "
		    "tests with make check)\n");
		abort();
	}
	p = path[slot++ % 4];
	snprintf(p, 512, "%s/%s", b, name);
	return p;
}

/*
 * Pull whatever the daemon logged since the last call. Its stderr is a
 * file, not a pipe, so a test that stops reading can never block it.
 * Returns 1 when something new came, 0 when not (after up to timeout_ms).
 */
static int
pump_log(struct hd *h, int timeout_ms)
{
	char		 buf[8192];
	ssize_t		 n;
	long long	 end = hd_now_ms() + timeout_ms;

	if (h->logfd == -1)
		return -1;
	for (;;) {
		n = read(h->logfd, buf, sizeof(buf));
		if (n > 0)
			break;
		if (hd_now_ms() >= end)
			return 0;
		usleep(5000);
	}
	if (h->loglen + (size_t)n + 1 > HD_LOGMAX)
		n = (ssize_t)(HD_LOGMAX - h->loglen - 1);
	memcpy(h->log + h->loglen, buf, (size_t)n);
	h->loglen += (size_t)n;
	h->log[h->loglen] = '\0';
	/* Tee to our stderr so a failing test shows the daemon's story. */
	if (getenv("HARNESS_QUIET") == NULL &&
	    write(STDERR_FILENO, buf, (size_t)n) == -1) {
		/* nothing */
	}
	return 1;
}

bool
hd_wait_log(struct hd *h, const char *needle, int timeout_ms)
{
	long long	 end = hd_now_ms() + timeout_ms;

	for (;;) {
		if (h->log != NULL && strstr(h->log, needle) != NULL)
			return true;
		if (hd_now_ms() >= end)
			return false;
		if (pump_log(h, 50) == -1)
			return false;
	}
}

int
hd_log_count(struct hd *h, const char *needle)
{
	const char	*p;
	int		 n = 0;

	while (pump_log(h, 0) == 1)
		;
	for (p = h->log; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

int
hd_start_raw(struct hd *h, const char *const argv[], const char *wait_for)
{
	const char	*av[64];
	int		 n;

	av[0] = hd_bin("iridiumd");
	for (n = 1; argv != NULL && argv[n - 1] != NULL && n < 63; n++)
		av[n] = argv[n - 1];
	av[n] = NULL;
	return hd_start_exec(h, av, wait_for);
}

/* Whether av runs iridiumd (maybe through another program) and names no
 * worker uids itself. */
static bool
starts_iridiumd(const char *const av[], int n)
{
	const char	*slash;
	bool		 daemon = false;
	int		 i;

	for (i = 0; i < n; i++) {
		if (strcmp(av[i], "--worker-uids") == 0 ||
		    strncmp(av[i], "--worker-uids=", 14) == 0)
			return false;
		slash = strrchr(av[i], '/');
		if (strcmp(slash != NULL ? slash + 1 : av[i], "iridiumd") == 0)
			daemon = true;
	}
	return daemon;
}

/* hd_cleanup for hd_defer. */
static void
cleanup(void *h)
{
	hd_cleanup(h);
}

int
hd_start_exec(struct hd *h, const char *const argv[], const char *wait_for)
{
	int		 n, wfd;
	const char	*av[64];
	char		 logpath[300];
	pid_t		 parent = getpid();

	memset(h, 0, sizeof(*h));
	h->logfd = -1;
	h->log = calloc(1, HD_LOGMAX);
	hd_tmpdir(h->logdir, sizeof(h->logdir), "log");
	snprintf(logpath, sizeof(logpath), "%s/iridiumd.log", h->logdir);
	if ((wfd = open(logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
	    0644)) == -1 ||
	    (h->logfd = open(logpath, O_RDONLY | O_CLOEXEC)) == -1)
		abort();
	for (n = 0; argv[n] != NULL && n < 61; n++)
		av[n] = argv[n];
	/* Its workers' uids: a slice of its own (harness.h). */
	if (starts_iridiumd(av, n)) {
		h->uidlock = hd_uids_take(h->uids, sizeof(h->uids));
		av[n++] = "--worker-uids";
		av[n++] = h->uids;
	}
	av[n] = NULL;
	hd_defer(cleanup, h);
	switch ((h->pid = fork())) {
	case -1:
		abort();
	case 0:
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		dup2(wfd, STDERR_FILENO);
		unsetenv("NOTIFY_SOCKET");
		unsetenv("LISTEN_PID");
		unsetenv("LISTEN_FDS");
		unsetenv("LISTEN_FDNAMES");
		unsetenv("WATCHDOG_USEC");
		unsetenv("WATCHDOG_PID");
		unsetenv("JOURNAL_STREAM");
		for (n = 0; hd_extra_env != NULL && hd_extra_env[n] != NULL;
		    n++)
			putenv(strdup(hd_extra_env[n]));
		execv(av[0], (char *const *)(uintptr_t)av);
		perror(av[0]);
		_exit(127);
	default:
		break;
	}
	close(wfd);
	h->running = true;
	if (wait_for != NULL && !hd_wait_log(h, wait_for, 10000)) {
		fprintf(stderr, "harness: iridiumd did not log \"%s\"\n",
		    wait_for);
		return -1;
	}
	return 0;
}

int
hd_start(struct hd *h, const char *const argv[])
{
	const char	*av[64];
	char		 dir[256], worker[512];
	const char	*p;
	int		 n = 0, i;

	hd_tmpdir(dir, sizeof(dir), "run");
	snprintf(worker, sizeof(worker), "%s", hd_bin("iridium-worker"));
	av[n++] = "--run-dir";
	av[n++] = dir;
	av[n++] = "--bind-port";
	av[n++] = "0";
	av[n++] = "--worker-path";
	av[n++] = worker;
	for (i = 0; argv != NULL && argv[i] != NULL && n < 62; i++)
		av[n++] = argv[i];
	av[n] = NULL;
	if (hd_start_raw(h, av, "listening on ") == -1)
		return -1;
	snprintf(h->dir, sizeof(h->dir), "%s", dir);
	/* "listening on NAME ADDR:PORT" */
	p = strstr(h->log, "listening on ");
	p = strchr(p + strlen("listening on "), ' ');
	if (p == NULL)
		return -1;
	p++;
	if (*p == '[') {
		const char *e = strchr(p, ']');

		snprintf(h->host, sizeof(h->host), "%.*s", (int)(e - p - 1),
		    p + 1);
		h->port = atoi(e + 2);
	} else {
		const char *c = strchr(p, ':');

		snprintf(h->host, sizeof(h->host), "%.*s", (int)(c - p), p);
		h->port = atoi(c + 1);
	}
	return 0;
}

void
hd_start_conf(struct hd *h, const char *text, const char *worker)
{
	char		 dir[sizeof(h->confdir)], path[320];
	const char	*argv[] = { "-f", path, "--worker-path", NULL, NULL };
	int		 rc;

	hd_tmpdir(dir, sizeof(dir), "cfg");
	snprintf(path, sizeof(path), "%s/iridiumd.conf", dir);
	hd_write(path, text);
	if (worker != NULL)
		argv[3] = hd_bin(worker);
	else
		argv[2] = NULL;
	rc = hd_start(h, argv);
	snprintf(h->confdir, sizeof(h->confdir), "%s", dir);
	cr_assert_eq(rc, 0, "iridiumd did not start");
}

void
hd_write_conf(struct hd *h, const char *text)
{
	char	 path[320];

	cr_assert_neq(h->confdir[0], '\0', "not started by hd_start_conf");
	snprintf(path, sizeof(path), "%s/iridiumd.conf", h->confdir);
	hd_write(path, text);
}

int
hd_stop(struct hd *h, int sig, int timeout_ms)
{
	long long	 end = hd_now_ms() + timeout_ms;
	pid_t		 r;

	if (!h->running)
		return -3;
	kill(h->pid, sig);
	for (;;) {
		r = waitpid(h->pid, &h->status, WNOHANG);
		if (r == h->pid)
			break;
		if (hd_now_ms() >= end) {
			kill(h->pid, SIGKILL);
			waitpid(h->pid, &h->status, 0);
			h->running = false;
			while (pump_log(h, 10) == 1)
				;
			return -1;
		}
		pump_log(h, 20);
	}
	h->running = false;
	while (pump_log(h, 10) == 1)
		;
	if (WIFSIGNALED(h->status))
		return -2;
	return WEXITSTATUS(h->status);
}

void
hd_cleanup(struct hd *h)
{
	if (h->running)
		hd_stop(h, SIGTERM, 10000);
	if (h->logfd != -1)
		close(h->logfd);
	h->logfd = -1;
	free(h->log);
	h->log = NULL;
	hd_rmtree(h->dir);
	hd_rmtree(h->logdir);
	/* Stopped: its workers are gone with it (or will be, and the next
	 * taker checks for them). */
	hd_uids_release(h->uidlock);
	h->uidlock = 0;
	hd_undefer(cleanup, h);
}

int
tc_connect_from(const char *src, const char *host, int port)
{
	struct sockaddr_storage	 ss, ls;
	socklen_t		 sl;
	int			 fd;

	memset(&ss, 0, sizeof(ss));
	memset(&ls, 0, sizeof(ls));
	if (strchr(host, ':') != NULL) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host, &s6->sin6_addr);
		sl = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, host, &s4->sin_addr);
		sl = sizeof(*s4);
	}
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (src != NULL) {
		struct sockaddr_in *l4 = (struct sockaddr_in *)&ls;

		l4->sin_family = AF_INET;
		inet_pton(AF_INET, src, &l4->sin_addr);
		if (bind(fd, (struct sockaddr *)l4, sizeof(*l4)) == -1) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (struct sockaddr *)&ss, sl) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
tc_listen(int *port)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_neq(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), -1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return fd;
}

int
tc_connect(const char *host, int port)
{
	return tc_connect_from(NULL, host, port);
}

int
tc_local_port(int fd)
{
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
}

void
tc_sendn(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		if (w <= 0) {
			if (w == -1 && errno == EINTR)
				continue;
			return;
		}
		c += w;
		n -= (size_t)w;
	}
}

void
tc_send(int fd, const char *s)
{
	tc_sendn(fd, s, strlen(s));
}

static char *
read_until(int fd, const char *needle, int timeout_ms, size_t *lenp)
{
	long long	 end = hd_now_ms() + timeout_ms;
	size_t		 cap = 4096, len = 0;
	char		*buf = malloc(cap);
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	ssize_t		 n;
	long long	 left;

	buf[0] = '\0';
	for (;;) {
		if (needle != NULL && strstr(buf, needle) != NULL)
			break;
		left = end - hd_now_ms();
		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			goto fail;
		if (len + 65536 + 1 > cap) {
			cap = (len + 65536 + 1) * 2;
			buf = realloc(buf, cap);
		}
		n = read(fd, buf + len, 65536);
		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			goto fail;
		}
		/* NULs from the peer would hide the needle from strstr. */
		for (ssize_t i = 0; i < n; i++)
			if (buf[len + i] == '\0')
				buf[len + i] = '\1';
		len += (size_t)n;
		buf[len] = '\0';
	}
	if (lenp != NULL)
		*lenp = len;
	return buf;
fail:
	if (lenp != NULL)
		*lenp = len;
	if (needle == NULL)
		return buf;
	fprintf(stderr, "harness: wanted \"%s\", got %zu bytes: \"%.2000s\"\n",
	    needle, len, buf);
	free(buf);
	return NULL;
}

char *
tc_read_until(int fd, const char *needle, int timeout_ms)
{
	return read_until(fd, needle, timeout_ms, NULL);
}

char *
tc_read_all(int fd, int timeout_ms, size_t *lenp)
{
	return read_until(fd, NULL, timeout_ms, lenp);
}

int
tc_session(struct hd *h)
{
	int	 fd = tc_connect(h->host, h->port);
	char	*s;

	if (fd == -1)
		return -1;
	s = tc_read_until(fd, ">>> ", 10000);
	if (s == NULL) {
		close(fd);
		return -1;
	}
	free(s);
	return fd;
}

int
tc_session_from(struct hd *h, const char *src)
{
	int	 fd = tc_connect_from(src, h->host, h->port);
	char	*s;

	cr_assert_geq(fd, 0, "connect from %s", src);
	s = tc_read_until(fd, ">>> ", 10000);
	cr_assert_not_null(s, "no prompt for %s", src);
	free(s);
	return fd;
}

char *
tc_cmd(int fd, const char *line)
{
	tc_send(fd, line);
	tc_send(fd, "\r\n");
	return tc_read_until(fd, ">>> ", 10000);
}

void
tc_assert_served(struct hd *h, int bystander)
{
	char	*s;
	int	 fresh;

	s = tc_cmd(bystander, "load $1 #1");
	cr_assert_not_null(s, "the other session is no longer served");
	free(s);
	fresh = tc_session(h);
	cr_assert_geq(fresh, 0, "a new session is not served");
	close(fresh);
	close(bystander);
}

int
hd_listener_port(struct hd *h, const char *name)
{
	char		 needle[128];
	const char	*p, *last = NULL, *c;
	long long	 end = hd_now_ms() + 10000;

	snprintf(needle, sizeof(needle), "listening on %s ", name);
	for (;;) {
		while (pump_log(h, 0) == 1)
			;
		for (p = h->log; p != NULL && (p = strstr(p, needle)) != NULL;
		    p++)
			last = p;
		if (last != NULL || hd_now_ms() >= end)
			break;
		pump_log(h, 50);
	}
	if (last == NULL)
		return -1;
	/* ADDR:PORT or [ADDR]:PORT: the port follows the last colon. */
	last += strlen(needle);
	p = NULL;
	for (c = last; *c != '\0' && *c != '\n'; c++)
		if (*c == ':')
			p = c;
	return p != NULL ? atoi(p + 1) : -1;
}

const char *
hd_control(struct hd *h)
{
	static char	 path[300];

	snprintf(path, sizeof(path), "%s/control.sock", h->dir);
	return path;
}

/* Read a pipe to its end into a malloc'd string. */
static void
slurp_add(char **buf, size_t *len, const char *p, size_t n)
{
	*buf = realloc(*buf, *len + n + 1);
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = '\0';
}

int
hd_run(const char *const argv[], char **outp, char **errp, int timeout_ms)
{
	int		 op[2], ep[2], status, open_fds = 2, devnull;
	char		*out = calloc(1, 1), *err = calloc(1, 1), tmp[8192];
	size_t		 olen = 0, elen = 0;
	struct pollfd	 pfd[2];
	long long	 end = hd_now_ms() + timeout_ms;
	pid_t		 pid;
	ssize_t		 n;
	int		 i, killed = 0;

	if (pipe2(op, O_CLOEXEC) == -1 || pipe2(ep, O_CLOEXEC) == -1)
		abort();
	switch ((pid = fork())) {
	case -1:
		abort();
	case 0:
		devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(op[1], 1);
		dup2(ep[1], 2);
		execv(argv[0], (char *const *)(uintptr_t)argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	default:
		break;
	}
	close(op[1]);
	close(ep[1]);
	pfd[0].fd = op[0];
	pfd[1].fd = ep[0];
	while (open_fds > 0) {
		long long left = end - hd_now_ms();

		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = 1;
			break;
		}
		pfd[0].events = pfd[1].events = POLLIN;
		if (poll(pfd, 2, (int)left) <= 0)
			continue;
		for (i = 0; i < 2; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			n = read(pfd[i].fd, tmp, sizeof(tmp));
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
				continue;
			}
			if (i == 0)
				slurp_add(&out, &olen, tmp, (size_t)n);
			else
				slurp_add(&err, &elen, tmp, (size_t)n);
		}
	}
	for (i = 0; i < 2; i++)
		if (pfd[i].fd != -1)
			close(pfd[i].fd);
	waitpid(pid, &status, 0);
	if (outp != NULL)
		*outp = out;
	else
		free(out);
	if (errp != NULL)
		*errp = err;
	else
		free(err);
	if (killed || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

int
hd_ctl(struct hd *h, const char *const prefix[], char **out, char **err,
    ...)
{
	const char	*av[64];
	const char	*a;
	va_list		 ap;
	int		 n = 0, i;

	for (i = 0; prefix != NULL && prefix[i] != NULL && n < 40; i++)
		av[n++] = prefix[i];
	av[n++] = hd_bin("iridiumctl");
	av[n++] = "-s";
	av[n++] = hd_control(h);
	va_start(ap, err);
	while ((a = va_arg(ap, const char *)) != NULL && n < 63)
		av[n++] = a;
	va_end(ap);
	av[n] = NULL;
	return hd_run(av, out, err, 20000);
}

char *
hd_ctl_raw(struct hd *h, const char *line, int timeout_ms)
{
	struct sockaddr_un	 sun;
	char			*r, *nl;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(hd_control(h)) >= sizeof(sun.sun_path))
		return NULL;
	memcpy(sun.sun_path, hd_control(h), strlen(hd_control(h)));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return NULL;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return NULL;
	}
	tc_send(fd, line);
	tc_send(fd, "\n");
	r = read_until(fd, "\n", timeout_ms, NULL);
	close(fd);
	if (r != NULL && (nl = strchr(r, '\n')) != NULL)
		*nl = '\0';
	return r;
}

void
hd_write(const char *path, const char *content)
{
	FILE	*f = fopen(path, "w");

	if (f == NULL || fputs(content, f) == EOF || fclose(f) == EOF) {
		perror(path);
		abort();
	}
}

void
hd_sh(const char *fmt, ...)
{
	va_list	 ap;
	char	 cmd[1024];

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

bool
hd_is_dynamic(const char *path)
{
	char	 cmd[800];
	FILE	*p;
	bool	 dynamic;

	snprintf(cmd, sizeof(cmd), "readelf -l %s | grep -c 'Requesting "
	    "program interpreter'", path);
	cr_assert_not_null(p = popen(cmd, "r"));
	dynamic = fgetc(p) != '0';
	pclose(p);
	return dynamic;
}

int
hd_free_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 sl = sizeof(sin);
	int			 fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	getsockname(fd, (struct sockaddr *)&sin, &sl);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

long long
hd_json_num(json_t *o, const char *path)
{
	char		 key[64];
	const char	*dot;
	json_t		*v = o;

	while ((dot = strchr(path, '.')) != NULL) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		v = json_object_get(v, key);
		path = dot + 1;
	}
	v = json_object_get(v, path);
	cr_assert(json_is_integer(v), "no integer %s", path);
	return (long long)json_integer_value(v);
}

json_t *
hd_status(struct hd *h)
{
	json_error_t	 jerr;
	json_t		*j;
	char		*out, *err;

	cr_assert_eq(hd_ctl(h, NULL, &out, &err, "status", "--json", NULL),
	    0, "iridiumctl status: %s", err);
	j = json_loads(out, 0, &jerr);
	cr_assert_not_null(j, "status is not JSON: %s", jerr.text);
	free(out);
	free(err);
	return j;
}

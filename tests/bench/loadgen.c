/*
 * loadgen.c: a load generator for the line transport (and its reference
 * servers), for tests/bench/sessions.sh. One thread, epoll, nonblocking
 * sockets; every mode is bounded in time and stops by itself.
 *
 *   loadgen rate PORT CLIENTS SECONDS
 *	CLIENTS clients in a closed loop for SECONDS: connect to
 *	127.0.0.1:PORT, read up to the prompt ">>> " (after the banner),
 *	send "load $0 #1\r\n", read up to the next ">>> ", close, start
 *	again. Each session's time from connect() to the second prompt.
 *   loadgen first PORT N
 *	one client, N times: connect, the time to the first ">>> ", close.
 *   loadgen repl PORT CLIENTS SECONDS
 *	CLIENTS sessions opened, each at its prompt; then each sends
 *	"load $0 #1\r\n" and waits for ">>> " in a closed loop for SECONDS.
 *	Each round trip's time.
 *   loadgen hold PORT N
 *	N sessions opened (at most HOLD_INFLIGHT connects at once), each
 *	up to its prompt; then "held K SECONDS" on stdout (K sessions at
 *	their prompt, SECONDS to open them); they are kept open until
 *	stdin reaches EOF, then closed. Each one's time to its prompt.
 *
 * Each mode ends with one JSON line on stdout: counts, errors by kind,
 * the rate, and percentiles (p50, p99, p999, max) in microseconds. A
 * session that is refused, reset, closed before its prompt or not done
 * within SESSION_TIMEOUT_S is an error; the first few are described on
 * stderr. Exit status 0, or 2 for bad arguments, 1 for a failure of
 * loadgen itself.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SESSION_TIMEOUT_S	10
/*
 * Connects in flight at most while opening sessions (hold, repl): 128,
 * iridiumd's listen backlog (and the references'). More overflow the
 * accept queue while the server is busy, and the dropped SYNs, retried
 * after 1, 3, 7 s, measure TCP's timers rather than the server.
 */
#ifndef HOLD_INFLIGHT
#define HOLD_INFLIGHT		128
#endif
#define MAX_SAMPLES		(4u * 1024 * 1024)
#define MAX_CONNS		100000
#define ERR_SHOWN		5

static const char line[] = "load $0 #1\r\n";

enum cstate {
	C_FREE,
	C_CONNECTING,	/* connect() in progress */
	C_BANNER,	/* waiting for the first prompt */
	C_REPLY,	/* line sent, waiting for the next prompt */
	C_IDLE,		/* at a prompt, nothing to do (repl start, hold) */
};

struct conn {
	int		fd;
	enum cstate	state;
	int		match;		/* bytes of ">>> " matched so far */
	int64_t		start_ns;	/* connect(), or the line's send */
	int64_t		deadline_ns;	/* 0: none */
	char		seen[64];	/* the first bytes read (errors) */
	size_t		nseen;
};

enum errkind {
	E_REFUSED,	/* ECONNREFUSED */
	E_RESET,	/* ECONNRESET, EPIPE */
	E_EOF,		/* closed by the server before its prompt */
	E_TIMEOUT,	/* no prompt within SESSION_TIMEOUT_S */
	E_ADDR,		/* EADDRNOTAVAIL: no local port left */
	E_OTHER,
	E_MAX
};

static const char *const errname[E_MAX] = {
	"refused", "reset", "eof", "timeout", "addrnotavail", "other"
};

static int		 epfd = -1;
static uint16_t		 port;
static struct conn	*conns;
static size_t		 nconns;
static uint32_t		*samples;	/* microseconds */
static size_t		 nsamples;
static uint64_t		 ndone;		/* sessions or lines completed */
static uint64_t		 errs[E_MAX];
static unsigned		 errs_shown;

static int64_t
now_ns(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void
usage(void)
{
	fprintf(stderr, "usage: loadgen rate PORT CLIENTS SECONDS\n"
	    "       loadgen first PORT N\n"
	    "       loadgen repl PORT CLIENTS SECONDS\n"
	    "       loadgen hold PORT N\n");
	exit(2);
}

static long
number(const char *s, long min, long max)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "loadgen: %s: not a number in %ld..%ld\n", s,
		    min, max);
		exit(2);
	}
	return v;
}

static void
raise_nofile(void)
{
	struct rlimit	rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
sample(int64_t ns)
{
	int64_t	us = ns / 1000;

	ndone++;
	if (nsamples < MAX_SAMPLES)
		samples[nsamples++] = us > UINT32_MAX ? UINT32_MAX :
		    (uint32_t)us;
}

/* Forget c: close its socket (a normal close, so the server sees EOF). */
static void
conn_close(struct conn *c)
{
	if (c->fd != -1)
		close(c->fd);	/* also leaves the epoll set */
	c->fd = -1;
	c->state = C_FREE;
}

static void
conn_error(struct conn *c, enum errkind k, int err)
{
	errs[k]++;
	if (errs_shown < ERR_SHOWN) {
		errs_shown++;
		fprintf(stderr, "loadgen: session error (%s", errname[k]);
		if (err != 0)
			fprintf(stderr, ": %s", strerror(err));
		if (c->nseen > 0) {
			fprintf(stderr, "; the server said \"");
			for (size_t i = 0; i < c->nseen; i++) {
				unsigned char ch = (unsigned char)c->seen[i];

				if (ch == '\r')
					fputs("\\r", stderr);
				else if (ch == '\n')
					fputs("\\n", stderr);
				else if (ch < 32 || ch > 126)
					fprintf(stderr, "\\x%02x", ch);
				else
					fputc(ch, stderr);
			}
			fputc('"', stderr);
		}
		fprintf(stderr, ")\n");
	}
	conn_close(c);
}

/* Start a connection in slot c; false if it failed at once (counted). */
static bool
conn_start(struct conn *c)
{
	struct sockaddr_in	 sin;
	struct epoll_event	 ev;
	int			 fd, one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->start_ns = now_ns();
	c->deadline_ns = c->start_ns + (int64_t)SESSION_TIMEOUT_S * 1000000000;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		if (errno == EMFILE || errno == ENFILE)
			die("socket (raise RLIMIT_NOFILE)");
		die("socket");
	}
	c->fd = fd;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	c->state = C_BANNER;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		if (errno != EINPROGRESS) {
			int e = errno;

			conn_error(c, e == ECONNREFUSED ? E_REFUSED :
			    e == EADDRNOTAVAIL ? E_ADDR : E_OTHER, e);
			return false;
		}
		c->state = C_CONNECTING;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP |
	    (c->state == C_CONNECTING ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		die("epoll_ctl");
	return true;
}

static bool
send_line(struct conn *c)
{
	ssize_t	n;

	c->start_ns = now_ns();
	c->deadline_ns = c->start_ns + (int64_t)SESSION_TIMEOUT_S * 1000000000;
	c->match = 0;
	c->nseen = 0;
	n = send(c->fd, line, sizeof(line) - 1, MSG_NOSIGNAL);
	if (n == (ssize_t)sizeof(line) - 1) {
		c->state = C_REPLY;
		return true;
	}
	/* 12 bytes into an empty socket buffer: anything else is an error. */
	conn_error(c, n == -1 && (errno == ECONNRESET || errno == EPIPE) ?
	    E_RESET : E_OTHER, n == -1 ? errno : 0);
	return false;
}

/* Scan bytes for the prompt; true when ">>> " has been seen. */
static bool
scan(struct conn *c, const char *buf, size_t len)
{
	size_t	i;

	if (c->nseen < sizeof(c->seen)) {
		size_t	k = sizeof(c->seen) - c->nseen;

		if (k > len)
			k = len;
		memcpy(c->seen + c->nseen, buf, k);
		c->nseen += k;
	}
	for (i = 0; i < len; i++) {
		if (buf[i] == '>') {
			if (c->match < 3)
				c->match++;
		} else if (buf[i] == ' ' && c->match == 3) {
			c->match = 0;
			return true;
		} else
			c->match = 0;
	}
	return false;
}

/*
 * Read what c has; returns 1 when a prompt was read, 0 when not yet, -1
 * when c ended in an error (counted, closed).
 */
static int
conn_read(struct conn *c)
{
	char	buf[4096];
	ssize_t	n;

	for (;;) {
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			if (scan(c, buf, (size_t)n))
				return 1;
			continue;
		}
		if (n == 0) {
			conn_error(c, E_EOF, 0);
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)	/* EWOULDBLOCK on Linux */
			return 0;
		conn_error(c, errno == ECONNRESET ? E_RESET :
		    errno == ECONNREFUSED ? E_REFUSED : E_OTHER, errno);
		return -1;
	}
}

/* A connect() finished: 0 if it succeeded, -1 if it failed (counted). */
static int
conn_connected(struct conn *c)
{
	struct epoll_event	ev;
	int			err = 0;
	socklen_t		len = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		conn_error(c, err == ECONNREFUSED ? E_REFUSED :
		    err == ECONNRESET ? E_RESET : E_OTHER, err);
		return -1;
	}
	c->state = C_BANNER;
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.ptr = c;
	if (epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		die("epoll_ctl");
	return 0;
}

/*
 * An epoll event on c: finish its connect, then read. 1: its prompt came;
 * 0: not yet; -1: it failed (counted and closed).
 */
static int
conn_event(struct conn *c, uint32_t events)
{
	if (c->state == C_CONNECTING) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return 0;
		if (conn_connected(c) == -1)
			return -1;
	}
	return conn_read(c);
}

/* Time out every connection past its deadline. */
static void
expire(int64_t now)
{
	for (size_t i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];

		if (c->state != C_FREE && c->state != C_IDLE &&
		    c->deadline_ns != 0 && now >= c->deadline_ns)
			conn_error(c, E_TIMEOUT, 0);
	}
}

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t	x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t
pct(double p)
{
	size_t	i;

	if (nsamples == 0)
		return 0;
	i = (size_t)(p * (double)nsamples + 0.999999);
	if (i < 1)
		i = 1;
	if (i > nsamples)
		i = nsamples;
	return samples[i - 1];
}

static void
report(const char *mode, const char *what, long clients, double seconds,
    const char *extra)
{
	uint64_t	nerr = 0;

	for (int k = 0; k < E_MAX; k++)
		nerr += errs[k];
	qsort(samples, nsamples, sizeof(samples[0]), cmp_u32);
	printf("{\"mode\":\"%s\",\"port\":%u,\"clients\":%ld,"
	    "\"seconds\":%.3f,\"%s\":%llu,\"per_s\":%.1f,\"errors\":%llu,"
	    "\"error_kinds\":{", mode, port, clients, seconds, what,
	    (unsigned long long)ndone,
	    seconds > 0 ? (double)ndone / seconds : 0.0,
	    (unsigned long long)nerr);
	for (int k = 0; k < E_MAX; k++)
		printf("%s\"%s\":%llu", k ? "," : "", errname[k],
		    (unsigned long long)errs[k]);
	printf("},\"samples\":%zu,\"p50_us\":%u,\"p99_us\":%u,"
	    "\"p999_us\":%u,\"max_us\":%u%s}\n", nsamples, pct(0.50),
	    pct(0.99), pct(0.999), nsamples ? samples[nsamples - 1] : 0,
	    extra);
	fflush(stdout);
}

static void
setup(size_t n)
{
	if ((epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		die("epoll_create1");
	if ((conns = calloc(n, sizeof(*conns))) == NULL ||
	    (samples = malloc(MAX_SAMPLES * sizeof(*samples))) == NULL)
		die("malloc");
	nconns = n;
	for (size_t i = 0; i < n; i++) {
		conns[i].fd = -1;
		conns[i].state = C_FREE;
	}
}

/* epoll_wait with a timeout up to `until` (at most 100 ms). */
static int
wait_events(struct epoll_event *evs, int max, int64_t until)
{
	int64_t	left = until - now_ns();
	int	ms, n;

	if (left < 0)
		left = 0;
	ms = left > 100000000 ? 100 : (int)((left + 999999) / 1000000);
	n = epoll_wait(epfd, evs, max, ms);
	if (n == -1) {
		if (errno == EINTR)
			return 0;
		die("epoll_wait");
	}
	return n;
}

/*
 * rate and first: every slot runs sessions one after another until
 * `until` (rate, total < 0) or until `total` sessions have been started
 * (first). first records the time to the first prompt and closes there.
 */
static void
run_sessions(long clients, int64_t until, long total, bool first)
{
	struct epoll_event	 evs[256];
	long			 started = 0;
	int64_t			 now;

	for (long i = 0; i < clients; i++) {
		if (total >= 0 && started >= total)
			break;
		started++;
		(void)conn_start(&conns[i]);
	}
	for (;;) {
		bool	busy = false;
		int	n;

		now = now_ns();
		/* Restart free slots while there is time (or sessions) left. */
		for (size_t i = 0; i < nconns; i++) {
			if (conns[i].state != C_FREE)
				busy = true;
			else if ((total < 0 && now < until) ||
			    (total >= 0 && started < total)) {
				started++;
				(void)conn_start(&conns[i]);
				busy = true;
			}
		}
		if (!busy)
			break;
		n = wait_events(evs, (int)(sizeof(evs) / sizeof(evs[0])),
		    now + 100000000);
		for (int i = 0; i < n; i++) {
			struct conn	*c = evs[i].data.ptr;

			if (conn_event(c, evs[i].events) != 1)
				continue;
			if (first) {
				sample(now_ns() - c->start_ns);
				conn_close(c);
			} else if (c->state == C_BANNER) {
				int64_t	t0 = c->start_ns;
				int64_t	dl = c->deadline_ns;

				/* The session's start and deadline stand. */
				if (send_line(c)) {
					c->start_ns = t0;
					c->deadline_ns = dl;
				}
			} else {
				sample(now_ns() - c->start_ns);
				conn_close(c);
			}
		}
		expire(now_ns());
	}
}

static void
mode_rate(long clients, long seconds)
{
	int64_t	t0, t1;

	setup((size_t)clients);
	t0 = now_ns();
	run_sessions(clients, t0 + seconds * 1000000000, -1, false);
	t1 = now_ns();
	/* Sessions finished after the end still count (they began in it). */
	report("rate", "sessions", clients, (double)(t1 - t0) / 1e9, "");
}

static void
mode_first(long n)
{
	int64_t	t0, t1;

	setup(1);
	t0 = now_ns();
	run_sessions(1, 0, n, true);
	t1 = now_ns();
	report("first", "sessions", 1, (double)(t1 - t0) / 1e9, "");
}

/*
 * Open connections in every slot of conns, at most `inflight` at once,
 * until each is at its prompt (C_IDLE) or failed (C_FREE); with `record`,
 * each one's time from connect() to its prompt is a sample. Returns the
 * number at their prompt.
 */
static size_t
open_all(size_t inflight, bool record)
{
	struct epoll_event	 evs[256];
	size_t			 next = 0, pending = 0, held = 0;

	for (;;) {
		int	n;

		while (next < nconns && pending < inflight) {
			if (conn_start(&conns[next]))
				pending++;
			next++;
		}
		if (pending == 0 && next >= nconns)
			break;
		n = wait_events(evs, (int)(sizeof(evs) / sizeof(evs[0])),
		    now_ns() + 100000000);
		for (int i = 0; i < n; i++) {
			struct conn	*c = evs[i].data.ptr;
			int		 r;

			if (c->state == C_IDLE)		/* held already */
				continue;
			if ((r = conn_event(c, evs[i].events)) == 0)
				continue;
			pending--;
			if (r == 1) {
				if (record)
					sample(now_ns() - c->start_ns);
				c->state = C_IDLE;
				c->deadline_ns = 0;
				held++;
			}
		}
		{
			uint64_t	before = 0, after = 0;

			for (int k = 0; k < E_MAX; k++)
				before += errs[k];
			expire(now_ns());
			for (int k = 0; k < E_MAX; k++)
				after += errs[k];
			pending -= (size_t)(after - before);
		}
	}
	return held;
}

static void
mode_repl(long clients, long seconds)
{
	struct epoll_event	 evs[256];
	int64_t			 t0, t1, until;
	size_t			 opened;
	char			 extra[64];

	setup((size_t)clients);
	opened = open_all(HOLD_INFLIGHT, false);
	t0 = now_ns();
	until = t0 + seconds * 1000000000;
	for (size_t i = 0; i < nconns; i++)
		if (conns[i].state == C_IDLE)
			(void)send_line(&conns[i]);
	for (;;) {
		bool	busy = false;
		int	n;

		for (size_t i = 0; i < nconns; i++)
			if (conns[i].state == C_REPLY)
				busy = true;
		if (!busy)
			break;
		n = wait_events(evs, (int)(sizeof(evs) / sizeof(evs[0])),
		    now_ns() + 100000000);
		for (int i = 0; i < n; i++) {
			struct conn	*c = evs[i].data.ptr;

			if (c->state != C_REPLY)
				continue;
			if (conn_read(c) != 1)
				continue;
			sample(now_ns() - c->start_ns);
			if (now_ns() < until)
				(void)send_line(c);
			else
				c->state = C_IDLE;
		}
		expire(now_ns());
	}
	t1 = now_ns();
	for (size_t i = 0; i < nconns; i++)
		conn_close(&conns[i]);
	snprintf(extra, sizeof(extra), ",\"opened\":%zu", opened);
	report("repl", "lines", clients, (double)(t1 - t0) / 1e9, extra);
}

static void
mode_hold(long n)
{
	struct epoll_event	 evs[256], ev;
	int64_t			 t0, t1;
	size_t			 held;
	uint64_t		 dropped = 0;
	bool			 stdin_polled = true;
	char			 extra[128];

	setup((size_t)n);
	t0 = now_ns();
	held = open_all(HOLD_INFLIGHT, true);
	t1 = now_ns();
	printf("held %zu %.3f\n", held, (double)(t1 - t0) / 1e9);
	fflush(stdout);

	/* Until stdin's EOF; a session the server ends meanwhile is counted. */
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = NULL;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, STDIN_FILENO, &ev) == -1) {
		if (errno != EPERM)
			die("epoll_ctl stdin");
		stdin_polled = false;	/* a regular file: read it now */
	}
	for (;;) {
		char	buf[4096];
		ssize_t	r;
		int	k;

		if (!stdin_polled) {
			while ((r = read(STDIN_FILENO, buf, sizeof(buf))) > 0)
				;
			break;
		}
		k = epoll_wait(epfd, evs, (int)(sizeof(evs) / sizeof(evs[0])),
		    -1);
		if (k == -1) {
			if (errno == EINTR)
				continue;
			die("epoll_wait");
		}
		for (int i = 0; i < k; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c == NULL) {
				r = read(STDIN_FILENO, buf, sizeof(buf));
				if (r == 0 || (r == -1 && errno != EINTR &&
				    errno != EAGAIN))
					goto done;
				continue;
			}
			if (c->state != C_IDLE)
				continue;
			/* Drain; EOF or an error: the server dropped it. */
			for (;;) {
				r = recv(c->fd, buf, sizeof(buf), 0);
				if (r > 0)
					continue;
				if (r == -1 && (errno == EAGAIN ||
				    errno == EINTR))
					break;
				dropped++;
				conn_close(c);
				break;
			}
		}
	}
done:
	for (size_t i = 0; i < nconns; i++)
		conn_close(&conns[i]);
	ndone = held;
	snprintf(extra, sizeof(extra), ",\"requested\":%ld,\"held\":%zu,"
	    "\"dropped\":%llu,\"open_seconds\":%.3f", n, held,
	    (unsigned long long)dropped, (double)(t1 - t0) / 1e9);
	report("hold", "sessions", n, (double)(t1 - t0) / 1e9, extra);
}

int
main(int argc, char **argv)
{
	if (argc < 4)
		usage();
	raise_nofile();
	port = (uint16_t)number(argv[2], 1, 65535);
	if (strcmp(argv[1], "rate") == 0 && argc == 5)
		mode_rate(number(argv[3], 1, MAX_CONNS),
		    number(argv[4], 1, 3600));
	else if (strcmp(argv[1], "first") == 0 && argc == 4)
		mode_first(number(argv[3], 1, 100000000));
	else if (strcmp(argv[1], "repl") == 0 && argc == 5)
		mode_repl(number(argv[3], 1, MAX_CONNS),
		    number(argv[4], 1, 3600));
	else if (strcmp(argv[1], "hold") == 0 && argc == 4)
		mode_hold(number(argv[3], 1, MAX_CONNS));
	else
		usage();
	return 0;
}

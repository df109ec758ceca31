/*
 * worker.c: iridium-worker, the sandboxed process that serves one session
 * (../shared/DESIGN.md, "Processes", "The worker's exec contract",
 * "Sandbox").
 *
 * iridiumd fork+execs it with fds 0 and 1 on /dev/null, fd 2 on /dev/null
 * or a pipe it logs, and the channel (SOCK_SEQPACKET) on fd 3. The start-up
 * sequence is fixed and runs once:
 *
 *   1. read `hello` (10 s at most); a bad one is a supervisor bug: exit 1;
 *   2. the transport's file- and privilege-needing work, then the log sink
 *      (log lines become `log` messages at hello's level);
 *   3. sandbox_enter(), then `ready` with our own build id;
 *   4. idle: answer `ping`, exit on `shutdown` or EOF, wait for `session`;
 *   5. `session`: lower the limits to the tenant's, say `status` busy,
 *      read the PROXY header if the listener has one (proxy_step.c),
 *      hand the client socket to the transport, send `session_end`, exit.
 *
 * While a transport serves the session it calls back here (transport.h)
 * to answer the channel and to send `status` at most once a second. The
 * process title says what the worker is doing ("line idle", "line s17
 * anonymous 127.0.0.1:40312"). The only globals are the SIGXCPU flag and
 * the log configuration (the sink writes to the fixed fd 3).
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>
#include <bsd/unistd.h>

#include "log.h"
#include "version.h"
#include "msg.h"
#include "proxy.h"
#include "repl.h"
#include "sandbox.h"
#include "transport.h"


/* The executable's name (worker_name) comes with its transport list. */
#ifdef IRIDIUM_TEST_HOOKS
#define WORKER_VARIANT		", test hooks"
#else
#define WORKER_VARIANT		""
#endif

#define WORKER_HELLO_MS		10000	/* the supervisor sends it at once */
#define WORKER_STATUS_MS	1000	/* at most one `status` a second */
#define WORKER_CHAN_BURST	32	/* channel messages handled per call */
#define WORKER_EX_USAGE		64



/* Set by the SIGXCPU handler: the soft CPU limit has passed. */
static volatile sig_atomic_t	worker_xcpu;

struct worker {
	struct msg		 hello_msg;	/* kept: strings point into it */
	const struct msg_hello	*hello;
	const struct transport	*transport;
	unsigned		 state;		/* WS_* */
	pid_t			 pid;
	struct msg_counters	 reported;	/* what the last status said */
	uint64_t		 status_next;	/* session_now() */
	char			 tenant[MSG_NAME_MAX + 1];	/* ssh */
	bool			 auth_pending;	/* auth_query unanswered */
	bool			 auth_waiting;	/* session_auth() waits */
	bool			 auth_in;	/* ... and its reply came */
	struct msg_auth_reply	 auth_reply;
};

/* A format: both %s are worker_name. */
#define WORKER_USAGE \
"usage: %s [--help | --version]\n" \
"\n" \
"%s serves one remote Iridium session in a sandbox. iridiumd\n" \
"starts it with its channel on fd 3 and hands it a client connection;\n" \
"it is not run by hand. Arguments made only of spaces are ignored: they\n" \
"are the room the worker's process title is written into.\n"

static void
worker_args(int argc, char *argv[])
{
	const struct transport *const	*t;
	int				 i;

	for (i = 1; i < argc; i++) {
		if (argv[i][strspn(argv[i], " ")] == '\0')
			continue;	/* padding for setproctitle */
		if (strcmp(argv[i], "--version") == 0) {
			printf("%s %s (build %s; transports:", worker_name,
			    IRIDIUM_VERSION, iridium_build_id);
			for (t = worker_transports; *t != NULL; t++)
				printf(" %s", (*t)->name);
			printf("%s)\n", WORKER_VARIANT);
			exit(0);
		}
		if (strcmp(argv[i], "--help") == 0) {
			printf(WORKER_USAGE, worker_name, worker_name);
			exit(0);
		}
		fprintf(stderr, "%s: unknown argument: %s\n", worker_name,
		    argv[i]);
		fprintf(stderr, WORKER_USAGE, worker_name, worker_name);
		exit(WORKER_EX_USAGE);
	}
}

/* Refuse to start unless fd 3 is what iridiumd gives us. */
static void
worker_check_channel(void)
{
	int		 type = -1, domain = -1;
	socklen_t	 len;

	len = sizeof(type);
	if (getsockopt(MSG_CHAN_FD, SOL_SOCKET, SO_TYPE, &type, &len) == 0) {
		len = sizeof(domain);
		if (getsockopt(MSG_CHAN_FD, SOL_SOCKET, SO_DOMAIN, &domain,
		    &len) == -1)
			domain = -1;
	}
	if (type == SOCK_SEQPACKET && domain == AF_UNIX)
		return;
	fprintf(stderr, "%s: this program is started by iridiumd, which "
	    "passes its channel on fd 3; it is not run by hand (see --help)\n",
	    worker_name);
	exit(1);
}

static void
worker_xcpu_handler(int sig)
{
	(void)sig;
	worker_xcpu = 1;
}

static void
worker_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = SIG_IGN;
	if (sigaction(SIGPIPE, &sa, NULL) == -1)
		fatal("sigaction SIGPIPE");
	/*
	 * The sandbox's RLIMIT_CPU soft limit sends SIGXCPU; the session
	 * loop sees the flag and ends the session politely. No SA_RESTART:
	 * a poll() in progress returns EINTR and the loop looks at once.
	 */
	sa.sa_handler = worker_xcpu_handler;
	if (sigaction(SIGXCPU, &sa, NULL) == -1)
		fatal("sigaction SIGXCPU");
}

/*
 * The log sink: each line becomes a `log` message. Lines are made
 * printable ASCII here (bytes a client sent must never reach a log raw)
 * and cut to what the message allows. When the channel is gone, stderr.
 */
static void
worker_log_sink(int prio, const char *line)
{
	static const char	 hex[] = "0123456789abcdef";
	struct msg_log		 lm;
	const unsigned char	*p;
	size_t			 o = 0;
	char			 l2[MSG_TEXT_MAX + 64];

	memset(&lm, 0, sizeof(lm));
	lm.level = prio < 0 ? 0 : prio > 7 ? 7 : prio;
	for (p = (const unsigned char *)line; *p != '\0'; p++) {
		if (*p >= 0x20 && *p < 0x7f) {
			if (o + 1 > MSG_TEXT_MAX)
				break;
			lm.msg[o++] = (char)*p;
		} else {
			if (o + 4 > MSG_TEXT_MAX)
				break;
			lm.msg[o++] = '\\';
			lm.msg[o++] = 'x';
			lm.msg[o++] = hex[*p >> 4];
			lm.msg[o++] = hex[*p & 0xf];
		}
	}
	lm.msg[o] = '\0';
	do {
		if (msg_send(MSG_CHAN_FD, MSG_LOG, &lm, -1, 0, NULL, 0) == 0)
			return;
	} while (errno == EINTR);
	snprintf(l2, sizeof(l2), "%s: %s\n", worker_name, lm.msg);
	if (write(STDERR_FILENO, l2, strlen(l2)) == -1) {
		/* nowhere left to say it */
	}
}

static void
worker_note(const char *note)
{
	/* Said once by the supervisor at start; per worker it is noise. */
	log_debug("sandbox: %s", note);
}

/* Wait for and check `hello`. Any failure is the supervisor's bug. */
static void
worker_hello(struct worker *w)
{
	const struct transport *const	*t;
	struct pollfd			 pfd;
	char				 err[512];
	int				 n;

	pfd.fd = MSG_CHAN_FD;
	pfd.events = POLLIN;
	while ((n = poll(&pfd, 1, WORKER_HELLO_MS)) == -1 && errno == EINTR)
		continue;
	if (n == -1)
		fatal("poll for hello");
	if (n == 0)
		fatalx("no hello from the supervisor in %d seconds",
		    WORKER_HELLO_MS / 1000);
	n = msg_recv(MSG_CHAN_FD, MSG_FROM_SUPERVISOR, WS_STARTING,
	    &w->hello_msg, err, sizeof(err));
	if (n == 0)
		fatalx("channel closed before hello");
	if (n == -1)
		fatal("recv hello from supervisor");
	if (n == -2)
		fatalx("bad message from supervisor: %s", err);
	if (w->hello_msg.type != MSG_HELLO)
		fatalx("bad message from supervisor: %s before hello",
		    msg_type_name(w->hello_msg.type));
	w->hello = &w->hello_msg.u.hello;
	for (t = worker_transports; *t != NULL; t++)
		if (strcmp((*t)->name, w->hello->transport) == 0)
			break;
	if (*t == NULL)
		fatalx("hello: transport %s is not served by %s",
		    w->hello->transport, worker_name);
	w->transport = *t;
}

static void
worker_send(enum msg_type type, const void *body)
{
	char	 err[256];

	for (;;) {
		err[0] = '\0';
		if (msg_send(MSG_CHAN_FD, type, body, -1, 0, err,
		    sizeof(err)) == 0)
			return;
		/* SIGXCPU may interrupt a blocked send: that is no error. */
		if (errno != EINTR || err[0] != '\0')
			break;
	}
	if (err[0] != '\0')
		fatalx("send %s to supervisor: %s", msg_type_name(type), err);
	fatal("send %s to supervisor", msg_type_name(type));
}

/* --- for transports (transport.h) --------------------------------------- */

uint64_t
session_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool
session_cpu_spent(void)
{
	return worker_xcpu != 0;
}

/* The session's counters but cpu_ms, which takes a system call. */
static void
session_activity(const struct session *s, struct msg_counters *c)
{
	uint64_t	 now = session_now();

	memset(c, 0, sizeof(*c));
	c->instructions = s->vm.instructions;
	c->heap_bytes = s->vm.heap_bytes;
	c->program_bytes = s->vm.program_bytes;
	c->commands = s->vm.commands;
	c->bytes_in = s->bytes_in;
	c->bytes_out = s->bytes_out;
	c->idle_seconds = now > s->idle_since ?
	    (now - s->idle_since) / 1000 : 0;
	c->duration_ms = now > s->start ? now - s->start : 0;
}

void
session_counters(const struct session *s, struct msg_counters *c)
{
	struct rusage	 ru;

	session_activity(s, c);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		c->cpu_ms = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
		    1000 + (uint64_t)(ru.ru_utime.tv_usec +
		    ru.ru_stime.tv_usec) / 1000;
}

/* Whether anything a user would call activity changed. */
static bool
worker_counters_changed(const struct msg_counters *a,
    const struct msg_counters *b)
{
	return a->instructions != b->instructions ||
	    a->heap_bytes != b->heap_bytes ||
	    a->program_bytes != b->program_bytes ||
	    a->bytes_in != b->bytes_in || a->bytes_out != b->bytes_out ||
	    a->commands != b->commands;
}

static void
worker_status(struct worker *w, const struct msg_counters *c)
{
	struct msg_status	 st;

	memset(&st, 0, sizeof(st));
	strlcpy(st.state, w->state == WS_BUSY ? "busy" : "idle",
	    sizeof(st.state));
	st.counters = *c;
	worker_send(MSG_STATUS, &st);
	w->reported = *c;
	w->status_next = session_now() + WORKER_STATUS_MS;
}

int
session_tick(struct session *s)
{
	struct worker		*w = s->w;
	struct msg_counters	 c;
	uint64_t		 now;

	if (s->orphaned)
		return -1;
	/* Called for every line: the CPU time only when a status goes. */
	session_activity(s, &c);
	if (!worker_counters_changed(&c, &w->reported))
		return -1;
	now = session_now();
	if (now < w->status_next)
		return (int)(w->status_next - now);
	session_counters(s, &c);
	worker_status(w, &c);
	return -1;
}

/*
 * Read one message from the supervisor (poll said the channel is
 * readable) and handle it as every busy state does: ping, pong, shutdown,
 * the peer verdict the PROXY step waits for, the auth reply
 * session_auth() waits for. Returns 0, or -1 when the supervisor is gone.
 */
static int
chan_one(struct session *s)
{
	struct worker	*w = s->w;
	struct msg	 m;
	char		 err[512];
	int		 n;

	n = msg_recv(MSG_CHAN_FD, MSG_FROM_SUPERVISOR, WS_BUSY, &m, err,
	    sizeof(err));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n == -1 || n == 0) {
		/* Nobody left to tell: the log goes to stderr. */
		if (n == -1)
			log_warn("recv from supervisor");
		s->orphaned = true;
		return -1;
	}
	if (n == -2)
		fatalx("bad message from supervisor: %s", err);
	switch (m.type) {
	case MSG_PING:
		worker_send(MSG_PONG, &m.u.ping);
		break;
	case MSG_PONG:
		break;
	case MSG_SHUTDOWN:
		log_debug("session %lld: shutdown (grace %lld s): %s",
		    (long long)s->id, (long long)m.u.shutdown.grace,
		    m.u.shutdown.reason);
		if (!s->shutdown) {
			s->shutdown_by = session_now() +
			    (uint64_t)m.u.shutdown.grace * 1000;
			strlcpy(s->shutdown_why, m.u.shutdown.reason,
			    sizeof(s->shutdown_why));
		}
		s->shutdown = true;
		break;
	case MSG_PEER_VERDICT:
		/* Only as the answer to the PROXY step's `peer`. */
		if (!s->verdict_wanted)
			fatalx("bad message from supervisor: "
			    "peer_verdict without a peer");
		s->verdict = m.u.peer_verdict;
		s->verdict_wanted = false;
		s->verdict_in = true;
		break;
	case MSG_AUTH_REPLY:
		if (!w->auth_pending)
			fatalx("bad message from supervisor: "
			    "auth_reply without auth_query");
		w->auth_pending = false;
		if (w->auth_waiting) {
			w->auth_reply = m.u.auth_reply;
			w->auth_in = true;
		} else {
			/* The answer to a query session_auth() gave up on. */
			log_debug("session %lld: late auth_reply ignored",
			    (long long)s->id);
		}
		break;
	default:
		fatalx("bad message from supervisor: %s during a %s "
		    "session", msg_type_name(m.type), w->hello->transport);
	}
	msg_clear(&m);
	return 0;
}

int
session_chan(struct session *s)
{
	struct pollfd	 pfd;
	int		 i;

	for (i = 0; i < WORKER_CHAN_BURST && !s->orphaned; i++) {
		pfd.fd = MSG_CHAN_FD;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, 0) <= 0 || pfd.revents == 0)
			break;
		if (chan_one(s) == -1)
			break;
	}
	return s->shutdown || s->orphaned ? -1 : 0;
}

uint64_t
session_line_done(struct session *s)
{
	s->idle_since = session_now();
	s->partial_since = 0;
	s->idle_warned = false;
	return s->idle_since;
}

void
session_partial(struct session *s, bool unfinished)
{
	if (!unfinished)
		s->partial_since = 0;
	else if (s->partial_since == 0)
		s->partial_since = session_now();
}

enum session_due
session_idle_due(struct session *s, uint64_t now, uint64_t *next)
{
	const struct msg_limits	*m = &s->limits;
	uint64_t		 at;

	*next = UINT64_MAX;
	if (m->line_timeout != 0 && s->partial_since != 0) {
		at = s->partial_since + m->line_timeout * 1000;
		if (now >= at) {
			log_info("session %lld: a line begun %llu s ago is not "
			    "finished: line_timeout of %llu s reached",
			    (long long)s->id, (unsigned long long)((now -
			    s->partial_since) / 1000),
			    (unsigned long long)m->line_timeout);
			return SESSION_DUE_LINE;
		}
		*next = at;
	}
	if (m->idle == 0)
		return SESSION_DUE_NONE;
	at = s->idle_since + m->idle * 1000;
	if (now >= at) {
		log_info("session %lld: no complete line for %llu s: idle "
		    "limit reached", (long long)s->id,
		    (unsigned long long)m->idle);
		return SESSION_DUE_IDLE;
	}
	if (at < *next)
		*next = at;
	if (m->idle_warn != 0 && m->idle_warn < m->idle && !s->idle_warned) {
		at -= m->idle_warn * 1000;
		if (now >= at) {
			s->idle_warned = true;
			return SESSION_DUE_IDLE_WARN;
		}
		if (at < *next)
			*next = at;
	}
	return SESSION_DUE_NONE;
}

void
session_limits_report(struct session *s, uint64_t produced, struct buf *out)
{
	const struct msg_limits	*m = &s->limits;
	struct msg_counters	 c;

	buf_printf(out, "line:         %llu bytes per input line\n",
	    (unsigned long long)m->line_max);
	buf_printf(out, "output:       %llu bytes written",
	    (unsigned long long)produced);
	if (m->output_max != 0)
		buf_printf(out, " of %llu", (unsigned long long)m->output_max);
	if (m->output_rate != 0)
		buf_printf(out, ", at most %llu bytes/s",
		    (unsigned long long)m->output_rate);
	buf_printf(out, "\nqueue:        %llu bytes held for a slow client\n",
	    (unsigned long long)m->outbuf_max);
	if (m->line_timeout != 0)
		buf_printf(out, "line time:    %llu s to finish a line once it "
		    "has begun\n", (unsigned long long)m->line_timeout);
	if (m->idle != 0) {
		buf_printf(out, "idle:         the session ends after %llu s "
		    "without input", (unsigned long long)m->idle);
		if (m->idle_warn != 0 && m->idle_warn < m->idle)
			buf_printf(out, " (warned %llu s before)",
			    (unsigned long long)m->idle_warn);
		buf_putc(out, '\n');
	}
	if (m->lifetime != 0) {
		buf_printf(out, "lifetime:     %llu of %llu s used",
		    (unsigned long long)((session_now() - s->start) / 1000),
		    (unsigned long long)m->lifetime);
		if (m->lifetime_warn != 0 && m->lifetime_warn < m->lifetime)
			buf_printf(out, " (warned %llu s before the end)",
			    (unsigned long long)m->lifetime_warn);
		buf_putc(out, '\n');
	}
	if (m->cpu != 0) {
		session_counters(s, &c);
		buf_printf(out, "cpu:          %llu.%01llu of %llu s used\n",
		    (unsigned long long)(c.cpu_ms / 1000),
		    (unsigned long long)(c.cpu_ms % 1000 / 100),
		    (unsigned long long)m->cpu);
	}
	/* The supervisor's own: sessions per tenant and per source. */
	if (s->quota != NULL)
		buf_puts(out, s->quota);
}

/* Take the tenant and its limits from an accepted `auth_reply`. */
static void
worker_authed(struct session *s, const struct msg_auth_reply *r)
{
	struct worker		*w = s->w;
	struct msg_limits	 lim;
	struct msg_counters	 c;
	uint64_t		 cpu = s->limits.cpu;
	char			 err[256];

	strlcpy(w->tenant, r->tenant, sizeof(w->tenant));
	s->tenant = w->tenant;
	msg_limits_min(&lim, &w->hello->limits, &r->limits);
	/* RLIMIT_CPU already holds the session's value: it cannot rise. */
	if (cpu != 0 && (lim.cpu == 0 || lim.cpu > cpu))
		lim.cpu = cpu;
	s->limits = lim;
	if (sandbox_lower(&s->limits, err, sizeof(err)) == -1)
		fatalx("session %lld: sandbox: %s", (long long)s->id, err);
	setproctitle("%s s%lld %s %s", w->hello->transport, (long long)s->id,
	    w->tenant, s->peer[0] != '\0' ? s->peer : "-");
	session_counters(s, &c);
	worker_status(w, &c);
}

void
session_negotiated(struct session *s, const struct msg_negotiated *n)
{
	(void)s;
	worker_send(MSG_NEGOTIATED, n);
}

int
session_auth(struct session *s, const struct msg_auth_query *q,
    int timeout_ms)
{
	struct worker	*w = s->w;
	struct pollfd	 pfd;
	uint64_t	 until = session_now() + (uint64_t)timeout_ms, now;
	int		 n, rv = -1;

	worker_send(MSG_AUTH_QUERY, q);
	w->auth_pending = true;
	w->auth_waiting = true;
	w->auth_in = false;
	/* A shutdown meanwhile still waits for the reply it must not miss. */
	while (!w->auth_in && !s->orphaned) {
		if ((now = session_now()) >= until) {
			log_warnx("session %lld: no auth_reply from the "
			    "supervisor in %d ms", (long long)s->id,
			    timeout_ms);
			break;
		}
		pfd.fd = MSG_CHAN_FD;
		pfd.events = POLLIN;
		if ((n = poll(&pfd, 1, (int)(until - now))) <= 0) {
			if (n == -1 && errno != EINTR)
				fatal("poll");
			continue;
		}
		(void)chan_one(s);
	}
	w->auth_waiting = false;
	if (w->auth_in && !w->auth_reply.ok)
		strlcpy(s->refusal, w->auth_reply.message,
		    sizeof(s->refusal));
	if (w->auth_in && (!s->shutdown || s->refusal[0] != '\0')) {
		rv = w->auth_reply.ok ? 1 : 0;
		if (rv == 1)
			worker_authed(s, &w->auth_reply);
	}
	return rv;
}

/* --- the session ---------------------------------------------------------- */

static void
worker_title(const struct session *s, const char *transport)
{
	setproctitle("%s s%lld %s %s", transport, (long long)s->id,
	    s->tenant[0] != '\0' ? s->tenant : "-",
	    s->peer[0] != '\0' ? s->peer : "-");
}

static void __attribute__((noreturn))
worker_session(struct worker *w, struct msg *m)
{
	const struct msg_session *ms = &m->u.session;
	struct msg_session_end	 end;
	struct msg_counters	 c;
	struct session		 s;
	const char		*reason;
	char			 err[256], peer[MSG_ADDR_MAX + 1];

	memset(&s, 0, sizeof(s));
	s.client = m->fd;
	m->fd = -1;
	if (strcmp(ms->transport, w->hello->transport) != 0)
		fatalx("bad message from supervisor: a %s session for a %s "
		    "worker", ms->transport, w->hello->transport);
	s.id = ms->id;
	s.listener = ms->listener;
	s.peer = ms->peer;
	s.tenant = ms->tenant;
	s.proxy = ms->proxy;
	s.quota = ms->quota;
	s.w = w;
	msg_limits_min(&s.limits, &w->hello->limits, &ms->limits);
	if (sandbox_lower(&s.limits, err, sizeof(err)) == -1)
		fatalx("session %lld: sandbox: %s", (long long)s.id, err);
	s.start = s.idle_since = session_now();
	w->state = WS_BUSY;
	worker_title(&s, ms->transport);
	log_debug("session %lld: %s from %s on %s", (long long)s.id,
	    ms->transport, ms->peer, ms->listener);
	session_counters(&s, &c);
	worker_status(w, &c);

	/* A PROXY header first: the session may become the real client's. */
	reason = s.proxy ? proxy_step(&s, peer, sizeof(peer)) : NULL;
	if (reason == NULL) {
		if (s.proxy)
			worker_title(&s, ms->transport);
		reason = w->transport->serve(&s);
	}

	w->state = WS_STOPPING;
	if (s.orphaned) {
		log_warnx("session %lld: the supervisor went away",
		    (long long)s.id);
		exit(0);
	}
	memset(&end, 0, sizeof(end));
	strlcpy(end.reason, reason, sizeof(end.reason));
	session_counters(&s, &end.counters);
	log_debug("session %lld: ended (%s)", (long long)s.id, reason);
	worker_send(MSG_SESSION_END, &end);
	msg_clear(m);
	msg_clear(&w->hello_msg);
	/*
	 * No exit handlers: OpenSSL's and libssh's would take apart, table
	 * by table, what the kernel is about to drop whole (a measurable
	 * part of an ssh session's CPU time). Nothing is buffered: the log
	 * goes out as messages, stderr is unbuffered.
	 */
	_exit(0);
}

/* Idle: wait for the one session, answering the supervisor meanwhile. */
static void __attribute__((noreturn))
worker_idle(struct worker *w)
{
	struct pollfd	 pfd;
	struct msg	 m;
	char		 err[512];
	int		 n;

	for (;;) {
		pfd.fd = MSG_CHAN_FD;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, -1) == -1) {
			if (errno == EINTR)
				continue;
			fatal("poll");
		}
		n = msg_recv(MSG_CHAN_FD, MSG_FROM_SUPERVISOR, WS_IDLE, &m, err,
		    sizeof(err));
		if (n == 0)
			exit(0);	/* the supervisor is gone */
		if (n == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fatal("recv from supervisor");
		}
		if (n == -2)
			fatalx("bad message from supervisor: %s", err);
		switch (m.type) {
		case MSG_PING:
			worker_send(MSG_PONG, &m.u.ping);
			break;
		case MSG_PONG:
			break;
		case MSG_SHUTDOWN:
			log_debug("shutdown while idle: %s",
			    m.u.shutdown.reason);
			exit(0);
		case MSG_SESSION:
			worker_session(w, &m);
		default:
			fatalx("bad message from supervisor: %s while idle",
			    msg_type_name(m.type));
		}
		msg_clear(&m);
	}
}

int
main(int argc, char *argv[])
{
	struct worker	 w;
	struct msg_ready ready;
	char		 err[512];

	setproctitle_init(argc, argv, environ);
	log_init(worker_name, LOG_INFO);
	worker_args(argc, argv);
	worker_check_channel();
	worker_signals();
	setproctitle("starting");

	memset(&w, 0, sizeof(w));
	w.state = WS_STARTING;
	w.pid = getpid();
	worker_hello(&w);
	if (w.transport->prepare != NULL &&
	    w.transport->prepare(w.hello, err, sizeof(err)) == -1)
		fatalx("%s: %s", w.transport->name, err);

	/* From here on the supervisor gets our log lines. */
	log_set_level((int)w.hello->log_level);
	log_set_sink(worker_log_sink);
	if (sandbox_enter(w.hello, worker_note, err, sizeof(err)) == -1)
		fatalx("sandbox: %s", err);

	memset(&ready, 0, sizeof(ready));
	strlcpy(ready.build, iridium_build_id, sizeof(ready.build));
	ready.pid = w.pid;
	/* The title first: whoever sees `ready` sees an idle worker. */
	setproctitle("%s idle", w.hello->transport);
	w.state = WS_IDLE;
	worker_send(MSG_READY, &ready);
	worker_idle(&w);
}

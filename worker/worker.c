/*
 * worker.c: the workers' main (iridium-worker for line sessions,
 * iridium-worker-ssh for ssh), the sandboxed process that serves one
 * session.
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
 *   5. `session`: open it (the tenant's limits, `status` busy), read the
 *      PROXY header if the listener has one, hand the client socket to
 *      the transport; when its client went away and the session may
 *      detach, wait detached (session_move.c) until it is moved or
 *      ended; close it with `session_end`, exit. `takeover` (the
 *      upgrade) is a session whose client socket and state come from
 *      its old worker first (session_move.c).
 *
 * How the worker's files stack, each calling only those below it:
 *
 *   worker.c          start-up, idle, one session (this file)
 *   worker_line.c     which transports each executable serves
 *   worker_ssh.c
 *   testhooks.c       test workers only: hooks lent to the session
 *   proxy_step.c      the PROXY header before the transport (proxy.c)
 *   line.c            the transports, each only its protocol: line.c
 *   ssh*.c            a socket and telnet; ssh*.c libssh, the login
 *                     through the supervisor, channel requests, exec
 *   session_repl.c    the session core (session.h): lines to the REPL,
 *                     its poll, the limits' timers
 *   session_move.c    sessions that outlive their connection: detach,
 *                     the state moved to or from another worker
 *   session_in.c      the client's bytes to lines (tty.c: the editor)
 *   session_out.c     output to the client's queues, metered
 *   session.c         the session's state and clocks, the limits'
 *                     verdicts, `status`, the login's `auth_query`
 *   chan.c            the channel to the supervisor: its dispatcher
 *   sandbox.c         the lock-down (seccomp_rules.c, seccomp_bpf.h)
 *
 * and beneath them the pure pieces, which know no sockets and are fuzzed
 * on their own: the telnet filter (telnet.c), the line editor (tty.c, its
 * screen tty_draw.c), the PROXY header parser (proxy.c).
 *
 * A client's byte, on its way to the REPL and back: the transport reads
 * it (line.c: recv, the telnet filter; ssh_chan.c: libssh's channel) and
 * hands it to session_input(), which queues it (through the line editor
 * when the client sends keys as typed: from the prompt on, its echo
 * queued at once). The
 * transport's loop calls session_drain(), which hands each complete line
 * to the REPL (session_command). What the REPL prints comes back through
 * session_write(): converted for the client, metered against the output
 * limits and queued; the transport's flush (struct session_io) sends it
 * as the client takes it. While a command runs, the REPL polls
 * (session_poll): the transport takes a turn, reading input (^C) and the
 * channel (chan.c dispatches; `shutdown` says goodbye), and the limits
 * are checked (session_due), so a running program never stops the
 * session from answering.
 *
 * The process title says what the worker is doing ("line idle", "line s17
 * anonymous 127.0.0.1:40312"). The only globals are the SIGXCPU flag and
 * the log configuration (the sink writes to the fixed fd 3).
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <bsd/unistd.h>

#include "chan.h"
#include "log.h"
#include "version.h"
#include "msg.h"
#include "proxy.h"
#include "sandbox.h"
#include "session.h"
#include "transport.h"
#ifdef IRIDIUM_TEST_HOOKS
#include "testhooks.h"
#endif

/* The executable's name (worker_name) comes with its transport list. */
#ifdef IRIDIUM_TEST_HOOKS
#define WORKER_VARIANT		", test hooks"
#else
#define WORKER_VARIANT		""
#endif

#define WORKER_HELLO_MS		10000	/* the supervisor sends it at once */
#define WORKER_EX_USAGE		64

/* Set by the SIGXCPU handler: the soft CPU limit has passed. */
static volatile sig_atomic_t	worker_xcpu;

struct worker {
	struct msg		 hello_msg;	/* kept: strings point into it */
	const struct msg_hello	*hello;
	const struct transport	*transport;
	struct chan		 chan;		/* to the supervisor */
	const struct session_hooks *hooks;	/* test workers only */
	void			(*probe)(int);	/* ... and their sandbox probe */
	pid_t			 pid;
	struct record		 rec;		/* `record` came, for the
						   session that comes next */
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

/* --- the session ---------------------------------------------------------- */

/*
 * `session` while idle: serve it and exit. m lives in chan_dispatch()'s
 * frame, which this never returns to: the session's strings may point
 * into it.
 */
static void __attribute__((noreturn))
worker_serve(struct worker *w, struct msg *m, int movefd, int recfd,
    uint8_t flags)
{
	struct session	 s;
	const char	*reason;
	char		 peer[MSG_ADDR_MAX + 1];

	session_open(&s, &w->chan, w->hello, m, &worker_xcpu);
	s.hooks = w->hooks;
	s.takeover_fd = movefd;
	s.takeover_flags = flags;
	s.takeover_rec = recfd;
	s.rec = w->rec;		/* a line session's recording, or none */
	/* A PROXY header first: the session may become the real client's. */
	reason = s.proxy ? proxy_step(&s, peer, sizeof(peer)) : NULL;
	if (reason == NULL) {
		if (s.proxy)
			session_title(&s);
		reason = w->transport->serve(&s);
	}
	/* Its client gone, its REPL kept: it waits, detached. */
	if (s.kept != NULL)
		reason = session_detached(&s);
	else if (strcmp(reason, SESSION_END_DETACH) == 0)
		reason = SESSION_END_QUIT;
	/* Moved on, or never taken: the session is another worker's. */
	if (strcmp(reason, SESSION_END_MOVED) == 0)
		_exit(0);
	session_close(&s, reason);
	if (s.orphaned)
		exit(0);
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

static void __attribute__((noreturn))
worker_on_session(void *arg, struct msg *m)
{
	worker_serve(arg, m, -1, -1, 0);
}

/*
 * `takeover` while idle (the upgrade): the session's client socket and
 * state come on m->fd from its old worker; then it is served as any.
 */
static void __attribute__((noreturn))
worker_on_takeover(void *arg, struct msg *m)
{
	struct worker		*w = arg;
	struct msg_taken	 t;
	uint8_t			 flags = 0;
	int			 movefd = m->fd, client, recfd;

	m->fd = -1;
	memset(&t, 0, sizeof(t));
	if (session_take_client(movefd, &client, &recfd, &flags, t.message,
	    sizeof(t.message)) == -1) {
		log_warnx("session %lld: cannot take it over: %s",
		    (long long)m->u.takeover.id, t.message);
		chan_state(&w->chan, WS_BUSY, "taking a session over");
		chan_send(MSG_TAKEN, &t);
		_exit(0);
	}
	m->fd = client;
	worker_serve(w, m, movefd, recfd, flags);
}

static void __attribute__((noreturn))
worker_on_shutdown(void *arg, struct msg *m)
{
	(void)arg;
	log_debug("shutdown while idle: %s", m->u.shutdown.reason);
	exit(0);
}

/* A line session's recording, just before its `session`. */
static void
worker_on_record(void *arg, struct msg *m)
{
	struct worker	*w = arg;

	record_start(&w->rec, &m->u.record, m->fd, session_now());
	m->fd = -1;
}

/* Idle: wait for the one session, answering the supervisor meanwhile. */
static void __attribute__((noreturn))
worker_idle(struct worker *w)
{
	record_init(&w->rec);
	chan_on(&w->chan, MSG_RECORD, worker_on_record, w);
	chan_on(&w->chan, MSG_SESSION, worker_on_session, w);
	chan_on(&w->chan, MSG_TAKEOVER, worker_on_takeover, w);
	chan_on(&w->chan, MSG_SHUTDOWN, worker_on_shutdown, w);
	for (;;) {
		if (chan_wait(&w->chan, -1) == -1)
			exit(w->chan.error != 0 ? 1 : 0);
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
	w.pid = getpid();
#ifdef IRIDIUM_TEST_HOOKS
	w.hooks = &testhook_session;
	w.probe = testhook_probe;
#endif
	worker_hello(&w);
	if (w.transport->prepare != NULL &&
	    w.transport->prepare(w.hello, err, sizeof(err)) == -1)
		fatalx("%s: %s", w.transport->name, err);

	/* From here on the supervisor gets our log lines. */
	log_set_level((int)w.hello->log_level);
	log_set_sink(worker_log_sink);
	if (sandbox_enter(w.hello, worker_note, w.probe, err,
	    sizeof(err)) == -1)
		fatalx("sandbox: %s", err);

	memset(&ready, 0, sizeof(ready));
	strlcpy(ready.build, iridium_build_id, sizeof(ready.build));
	ready.pid = w.pid;
	/* The title first: whoever sees `ready` sees an idle worker. */
	setproctitle("%s idle", w.hello->transport);
	chan_init(&w.chan, WS_IDLE, "while idle");
	chan_send(MSG_READY, &ready);
	worker_idle(&w);
}

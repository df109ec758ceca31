/*
 * session.h: the session core, what every transport shares about the one
 * session a worker serves; the transports (transport.h) are written
 * against it and nothing else of the worker.
 *
 * worker.c opens the session from the supervisor's `session` message
 * (session_open) and closes it with `session_end` (session_close); in
 * between a transport serves it. The core is four places, one file each,
 * each calling only those below it:
 *
 *   session_repl.c  the REPL: complete input lines become commands
 *                   (session_drain), the REPL's poll (session_poll), the
 *                   limits checked and the timers (session_timers), the
 *                   transport's attachment (session_attach)
 *   session_in.c    where the client's bytes arrive (session_input): the
 *                   line editor for a client that sends keys as typed,
 *                   the bounded queue of lines, ^C (session_interrupt)
 *   session_out.c   where output goes out (session_write, session_text):
 *                   "\n" to CRLF and IAC doubling, output_max and
 *                   output_rate, the bounded queues the transport drains
 *   session.c       the state: what the supervisor said, the counters
 *                   and `status`, the idle and line clocks, `shutdown`
 *                   and `auth_reply` from the channel (chan.h)
 *
 * A transport lends the core its I/O (struct session_io): how to push
 * queued output to the client now, and how to wait a turn for the client
 * and the channel. It turns its protocol into plain bytes for
 * session_input() and drains the output queues in its flush, so a new
 * transport writes only its protocol: every limit, every message to the
 * client about them and every supervisor message are the core's.
 */
#ifndef IRIDIUM_SESSION_H
#define IRIDIUM_SESSION_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "chan.h"
#include "msg.h"
#include "record.h"
#include "repl.h"
#include "tty.h"

/* Why a session ended: the `session_end` reasons. */
#define SESSION_END_QUIT	"quit"		/* !quit */
#define SESSION_END_HANGUP	"hangup"	/* the client closed or reset */
#define SESSION_END_IDLE	"idle"		/* limits.idle without a line */
#define SESSION_END_LINE	"line"		/* limits.line_timeout: a line
						   begun and never finished */
#define SESSION_END_LIFETIME	"lifetime"	/* limits.lifetime */
#define SESSION_END_SHUTDOWN	"shutdown"	/* the supervisor said so */
#define SESSION_END_CPU		"cpu"		/* limits.cpu */
#define SESSION_END_OUTPUT	"output"	/* output_max, or not reading */
#define SESSION_END_ERROR	"error"		/* out of memory, a bug */
#define SESSION_END_PROXY	"proxy"		/* PROXY header missing/bad */
#define SESSION_END_REFUSED	"refused"	/* peer_verdict said no */
#define SESSION_END_AUTH	"auth"		/* ssh: no login (failures,
						   grace time) */
/* Sessions that outlive their connection (session_move.c). */
#define SESSION_END_DETACH	"detach"	/* !detach: kept, never sent */
#define SESSION_END_RESUMED	"resumed"	/* taken up by another worker */
#define SESSION_END_DETACHED	"detached"	/* ended while detached */
#define SESSION_END_MOVED	"moved"		/* the upgrade: it goes on in
						   another worker (never sent) */

struct session;

/*
 * Test workers only (testhooks.h): what worker.c lends the session so
 * that a test can make it misbehave. NULL in the real workers.
 */
struct session_hooks {
	/*
	 * Offered every input line before the REPL: 1 when it took the
	 * line (reply: what to tell the client, "\n" line ends), else 0.
	 */
	int	(*line)(struct session *, const char *line, size_t len,
		    struct buf *reply);
	/* How long each poll checkpoint of a command waits (ms; 0: none). */
	int	(*poll_ms)(void);
	/*
	 * A detached session's `move`, or an upgrade's `handover`, came
	 * with fd: 1 when it took it.
	 */
	int	(*move)(struct session *, int fd);
};

/* What a transport lends the core (session_attach). */
struct session_io {
	/*
	 * Send what is queued, as far as the client takes it now; never
	 * blocks. Report each stream's bytes sent with session_sent().
	 */
	void	(*flush)(void *arg);
	/*
	 * One turn of the transport's loop: wait up to timeout ms (0: only
	 * look, -1: no limit) for the client and the channel, and handle
	 * what came: the client's bytes to session_input(), the channel to
	 * session_answer().
	 */
	void	(*wait)(void *arg, int timeout);
	/* Lines of its own at the top of !limits; may be NULL. */
	void	(*limits)(void *arg, struct buf *out);
	/*
	 * The supervisor said `shutdown` or went away: say goodbye
	 * (session_bye). NULL: the supervisor's reason, as
	 * session_shutdown_words() puts it, and "Goodbye!".
	 */
	void	(*shutdown)(void *arg);
	void	*arg;
	int	 stall_ms;	/* a full queue, no byte taken: cut off */
};

/*
 * The output streams: ssh's channel data and extended data. A transport
 * with one stream (line) keeps out.text on stdout: the core then writes
 * nothing to stderr.
 */
#define SESSION_STDOUT		0
#define SESSION_STDERR		1
#define SESSION_STREAMS		2

/* One output stream: q.data[off .. q.len) waits for the client. */
struct session_stream {
	struct buf		 q;
	size_t			 off;
	char			 last;		/* the last visible byte queued */
};

/* Output (session_out.c). */
struct session_out {
	struct session_stream	 st[SESSION_STREAMS];
	int			 text;		/* our own lines' stream */
	bool			 crlf;		/* "\n" goes out as "\r\n" */
	bool			 iac;		/* IAC doubled: a telnet client */
	struct buf		 conv;		/* output, converted */
	struct buf		 fmt;		/* our own lines, formatted */
	uint64_t		 produced;	/* counted bytes (output_max) */
	uint64_t		 win_start;	/* output_rate's window */
	uint64_t		 win_bytes;
	uint64_t		 progress;	/* the client last took a byte */
	uint64_t		 dropped;	/* output dropped after ^C */
};

/* Input (session_in.c): the client's bytes until they are lines. */
struct session_in {
	struct buf		 q;		/* bytes not yet handed on */
	struct buf		 line;		/* the line being handed on */
	bool			 after_cr;	/* drop a following LF or NUL */
	bool			 discarding;	/* inside a line past line_max */
	bool			 reprompt;	/* ^C at the prompt: a fresh one */
	size_t			 reprompt_at;	/* ... after this much of q */
	bool			 edit;		/* through the line editor */
	struct tty		 tty;
	struct tty_src		 src;		/* its history: the REPL's */
	struct buf		 echo;
	struct buf		 typed;		/* keys not yet edited */
	bool			 ready;		/* a prompt is up: edit them */
	bool			 pasteoff;	/* the terminal was told */
};

/*
 * A line session's terminal, moved with it (the upgrade): the telnet
 * options agreed, the window size, whether the line editor was on. The
 * transport fills it before session_handover() and reads it back after
 * a takeover; session_move.c carries it.
 */
struct move_term {
	uint8_t		 flags;		/* MOVE_TERM_* */
	uint16_t	 cols, rows;	/* NAWS's; 0: none came */
};
#define MOVE_TERM_OFFERED	0x01	/* character mode offered */
#define MOVE_TERM_ECHO		0x02	/* ... we echo (agreed) */
#define MOVE_TERM_SGA		0x04	/* ... no go-ahead (agreed) */
#define MOVE_TERM_NAWS		0x08	/* ... the client sends its size */
#define MOVE_TERM_FIRST		0x10	/* the first line has ended */
#define MOVE_TERM_EDIT		0x20	/* the line editor was on */
#define MOVE_TERM_ALL		0x3f

struct session {
	/* Set by session_open(); read-only for the transport. */
	int			 client;	/* the socket; serve() closes it */
	int64_t			 id;
	const char		*transport;	/* "line", "ssh" */
	const char		*listener;
	const char		*peer;		/* "addr:port" */
	const char		*tenant;	/* "" until ssh authentication */
	bool			 proxy;		/* a PROXY header comes first:
						   read before serve() */
	struct msg_limits	 limits;	/* min(hello ceilings, session) */
	const struct msg_limits	*ceilings;	/* hello's */
	const char		*quota;		/* the supervisor's limits, as
						   lines for !limits; or NULL */
	uint64_t		 start;		/* session_now() at the start */
	int			 exit_status;	/* sent to an ssh client; -1 */
	struct chan		*chan;		/* the channel, busy */
	const struct session_hooks *hooks;	/* test workers only */
	volatile sig_atomic_t	*xcpu;		/* SIGXCPU came (worker.c) */

	/*
	 * Serving (session_attach). The transport says what its client is
	 * (prompts; out.text, out.crlf, out.iac; in.edit) and when it is
	 * gone; the rest is the core's.
	 */
	const struct session_io	*io;
	struct repl		*repl;
	bool			 prompts;	/* banner and prompts: a terminal */
	bool			 running;	/* inside a command or a run */
	bool			 interrupt;	/* ^C came during it */
	bool			 gone;		/* the client takes nothing more */
	const char		*reason;	/* set once: the session ends */
	bool			 life_warned;
	struct session_out	 out;
	struct session_in	 in;

	/*
	 * Read for `status` and `session_end`: the REPL's counters (the
	 * core copies them after each command and at each poll checkpoint;
	 * ssh's run sets them itself) and the bytes on the client socket
	 * (kept by the transport).
	 */
	struct repl_stats	 vm;
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;

	/*
	 * The idle and line clocks, kept by session_line_done() and
	 * session_partial() and read by session_due(): idle time
	 * counts from the last complete line or the end of a command,
	 * whatever bytes came since (a client that trickles a line byte by
	 * byte is idle); a line begun and not finished has a clock of its
	 * own (limits.line_timeout).
	 */
	uint64_t		 idle_since;	/* session_now() */
	uint64_t		 partial_since;	/* 0: no unfinished line */
	bool			 idle_warned;

	/* As the channel says (session_chan); session_answer() ends on either. */
	bool			 shutdown;	/* the supervisor said `shutdown` */
	uint64_t		 shutdown_by;	/* ... to be gone by then (its
						   grace; session_now()) */
	char			 shutdown_why[MSG_TEXT_MAX + 1];	/* its
						   reason, for the client */
	/* session_auth(): a refusal's words for the client, or "". */
	char			 refusal[MSG_TEXT_MAX + 1];
	bool			 orphaned;	/* the channel is gone */

	/* The supervisor's side: `status` and `auth_query`. */
	struct msg_counters	 reported;	/* what the last status said */
	uint64_t		 status_next;	/* session_now() */
	char			 tenant_buf[MSG_NAME_MAX + 1];
	bool			 auth_pending;	/* auth_query unanswered */
	bool			 auth_waiting;	/* session_auth() waits */
	bool			 auth_in;	/* ... and its reply came */
	struct msg_auth_reply	 auth_reply;

	/*
	 * Sessions that outlive their connection (session_move.c): the
	 * login's resume window and notice; the REPL kept when the client
	 * went away (session_detach); whether a command was cut short by
	 * that; a resume waiting for the supervisor's answer.
	 */
	uint64_t		 resume_window;	/* seconds; 0: no detaching */
	char			 resume_note[MSG_TEXT_MAX + 1];
	struct repl		*kept;
	bool			 cut;		/* a command stopped by the drop */
	bool			 resume_waiting;
	int			 resume_fd;	/* the reply's fd, or -1 */
	int64_t			 resume_from;	/* ... the session it brings */
	bool			 resume_first;	/* ssh's exec "resume [ID]": */
	int64_t			 resume_id;	/* this at the start (0: the
						   latest) */
	char			 resume_refusal[MSG_TEXT_MAX + 1];
	/* A line session's !detach: asked, answered, allowed. */
	bool			 detach_sent;
	bool			 detach_waiting;
	bool			 detach_granted;
	char			 detach_token[MSG_TOKEN_LEN + 1];
	char			 detach_refusal[MSG_TEXT_MAX + 1];

	/*
	 * An ssh tenant's history across sessions (session_history.c):
	 * how many lines the supervisor keeps (0: none, as in a line
	 * session), its lines until the REPL takes them, and the REPL's
	 * history counters when the lines were last given back.
	 */
	uint64_t		 hist_keep;
	struct buf		 hist_in;
	uint64_t		 hist_base;	/* repl_history_total() then */
	uint64_t		 hist_clears;	/* repl_history_clears() then */

	/*
	 * The upgrade (session_move.c): a `handover`'s socket, kept until
	 * the next prompt; the supervisor's `handed` awaited; the client
	 * socket shared with another worker (closed, never shut down); and
	 * in a taker, the socket its state comes on.
	 */
	int			 handover_fd;	/* -1: none */
	int64_t			 handover_to;	/* the taker's pid */
	bool			 handed_waiting;
	bool			 handed_ok;
	bool			 shared;
	int			 takeover_fd;	/* -1: a session of its own */
	uint64_t		 cpu_carried_ms;	/* its old workers' CPU */
	uint8_t			 takeover_flags;
	int			 takeover_rec;	/* its recording's fd, or -1 */
	/* The client's terminal, moved too (line.c fills and reads it). */
	struct move_term	 term;
	bool			 term_moved;	/* a taker: term came */

	/*
	 * The recording (record.h), when the supervisor sent one: what
	 * the client is sent (session_sent), what it sends (session_input),
	 * the markers of the transports.
	 */
	struct record		 rec;
};

/* A monotonic clock in milliseconds. */
uint64_t	session_now(void);

/*
 * Open the session the supervisor's `session` message m describes, for a
 * worker that said hello h, on channel ch (which becomes busy: the
 * session takes `shutdown` and `auth_reply` from here on): take the
 * client socket (m->fd), lower the rlimits to the session's limits, set
 * the process title and send `status` busy. xcpu is the flag the SIGXCPU
 * handler sets. Strings point into m and h: keep both.
 */
void		session_open(struct session *, struct chan *ch,
		    const struct msg_hello *h, struct msg *m,
		    volatile sig_atomic_t *xcpu);
/* The process title: transport, session, tenant, peer. */
void		session_title(const struct session *);
/*
 * The session is over, for reason: `session_end` with the counters (not
 * when the channel is gone: there is nobody to tell).
 */
void		session_close(struct session *, const char *reason);

/*
 * Handle what is waiting on the channel, without blocking: `ping` is
 * answered, `shutdown` noted in s->shutdown, an EOF in s->orphaned. A bad
 * message from the supervisor ends the process. Returns 0, or -1 when the
 * session must end (s->shutdown or s->orphaned).
 */
int		session_chan(struct session *);

/*
 * Send a `status` when the counters changed and a second has passed since
 * the last one. Returns the milliseconds until it wants to be called
 * again, or -1 when nothing is pending (the next event will do).
 */
int		session_tick(struct session *);

/*
 * Ask the supervisor whether q's key may log in (`auth_query`) and wait
 * up to timeout_ms for its `auth_reply`, answering `ping` and noting
 * `shutdown` meanwhile: the worker never sees the key lists. On ok the
 * session becomes the tenant's: s->tenant, s->limits (the reply's, under
 * hello's ceilings; the rlimits lowered to them), the process title and
 * a `status`. Returns 1 (accepted), 0 (refused; when the supervisor
 * ends the session for its own reason, s->refusal holds the words for
 * the client), or -1 when the session must end (s->shutdown,
 * s->orphaned, or no answer in time).
 */
int		session_auth(struct session *,
		    const struct msg_auth_query *q, int timeout_ms);

/* ssh: tell the supervisor what the key exchange settled on (once). */
void		session_negotiated(struct session *,
		    const struct msg_negotiated *n);

/* The counters as `status` and `session_end` report them. */
void		session_counters(const struct session *,
		    struct msg_counters *c);

/*
 * True once the process has passed its soft CPU limit (SIGXCPU, from the
 * sandbox's RLIMIT_CPU): end the session with SESSION_END_CPU before the
 * hard limit kills the process.
 */
bool		session_cpu_spent(const struct session *);

/*
 * The !limits lines every transport shares (line length, output, queue,
 * idle, lifetime, CPU, the supervisor's quotas), given the bytes the
 * session has produced.
 */
void		session_limits_report(struct session *, uint64_t produced,
		    struct buf *out);

/*
 * A complete line came (or a command ended): the idle clock starts over
 * and no line is unfinished. Returns session_now().
 */
uint64_t	session_line_done(struct session *);
/*
 * Whether the input holds the start of a line whose end has not come
 * (session_drain() says so after handing the complete lines on): its
 * clock starts at the first such call and stops with the line.
 */
void		session_partial(struct session *, bool unfinished);

/* What the limits say at a moment (session_due). */
struct session_due {
	const char	*end;		/* SESSION_END_*: the session ends */
	bool		 warn;		/* a warning for the client */
	char		 words[192];	/* the goodbye or the warning */
	uint64_t	 next;		/* when to look again; UINT64_MAX */
};
/*
 * What the limits say at now (session_now() scale), the one place that
 * decides them: CPU and lifetime; with all (between commands) also
 * line_timeout, idle, and the idle and lifetime warnings (each once). An
 * end is logged (one line, but for the lifetime, which the end line
 * names); the caller tells the client d->words and ends the session.
 */
void		session_due(struct session *, uint64_t now, bool all,
		    struct session_due *d);

/*
 * End a session's socket politely: shut our side for writing, then read
 * (and drop) what the client still sends until it closes too, or until
 * `until` (session_now() scale), so that the kernel does not answer
 * unread input with a reset that destroys what we sent last. Returns the
 * bytes read.
 */
uint64_t	session_linger(int fd, uint64_t until);

/* --- output (session_out.c) ---------------------------------------------- */

/* Bytes waiting on stream k, and on all streams. */
size_t		session_pending(const struct session *, int k);
size_t		session_pending_all(const struct session *);
/* What waits on stream k (session_pending() bytes), for the flush. */
const char	*session_queued(const struct session *, int k);
/* The transport's flush sent n bytes of stream k. */
void		session_sent(struct session *, int k, size_t n);
/* Send what the client takes now (the transport's flush). */
void		session_flush(struct session *);

/*
 * Output of the program or the REPL on stream k: converted ("\n" to
 * CRLF, IAC doubled, as the transport set out.crlf and out.iac) and
 * metered (output_max, output_rate). Waits, in the transport's loop,
 * while the rate is spent or the queue is full; a client that takes no
 * byte for io->stall_ms meanwhile is cut off. After ^C it is dropped and
 * counted (the user is told after the command). Returns 0, or -1 when
 * the session is ending.
 */
int		session_write(struct session *, int k, const char *p, size_t n);
/* A line of our own on stream k, "\n" line ends, unmetered. */
void		session_text(struct session *, int k, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));
/* The same on the text stream, on a line of its own (a notice). */
void		session_notice(struct session *, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));
/* The REPL's prompt, when the session shows prompts. */
void		session_prompt(struct session *);
/*
 * Bytes for the client past the output limits (telnet replies, echo,
 * refusals): queued on stream k as they are, up to a little past
 * outbuf_max. visible: they count as the stream's last byte.
 */
int		session_queue(struct session *, int k, const void *p, size_t n,
		    bool visible);
/*
 * One turn of the transport's loop (io->wait), then the limits that hold
 * even while a command runs (session_check) and `status`.
 */
void		session_wait(struct session *, int timeout);
/* The CPU and lifetime limits: a goodbye when one is reached. */
void		session_check(struct session *);
/* The session ends for reason (once); no word to the client. */
void		session_end(struct session *, const char *reason);
/*
 * The session ends for reason (once), with a goodbye line to the client
 * on the text stream (unless it is gone), past the output limits.
 */
void		session_shutdown_words(const struct session *, char *,
		    size_t);
void		session_bye(struct session *, const char *reason,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* --- input (session_in.c) -------------------------------------------------- */

/* With a pty: the client sends keys, the line editor makes lines. */
void		session_edit(struct session *, bool on);
/* The client's terminal is cols wide (ssh's pty-req and window-change,
 * telnet's NAWS). */
void		session_width(struct session *, int cols);
/*
 * With the editor: the prompt goes through it (true), and what was typed
 * ahead is edited from then on (session_typeahead, which session_drain()
 * calls).
 */
bool		session_edit_prompt(struct session *, const char *prompt);
void		session_typeahead(struct session *);
/* The editor begins with the prompt already on the screen (telnet). */
void		session_edit_adopt(struct session *);
/* A notice comes: the cursor to the last row of a wrapped line. */
void		session_edit_below(struct session *);
/* The session ends: the terminal's bracketed paste mode off again. */
void		session_edit_end(struct session *);
/* How many bytes session_input() takes now (the queue is bounded). */
size_t		session_input_room(const struct session *);
/* Bytes the client typed (its protocol's own bytes taken out). */
void		session_input(struct session *, const char *p, size_t n);
/*
 * ^C: a command running is interrupted; at the prompt the line being
 * typed is thrown away and a fresh prompt comes.
 */
void		session_interrupt(struct session *);
/*
 * The client sent its last byte: what it typed last without a line end
 * is a line too (session_drain() hands it on).
 */
void		session_input_end(struct session *);
/* What session_take_line() found at the head of the input. */
enum session_take {
	SESSION_TAKE_NONE,	/* no complete line (yet) */
	SESSION_TAKE_LINE,	/* s->in.line holds one */
	SESSION_TAKE_DROPPED,	/* one past line_max was dropped */
	SESSION_TAKE_REPROMPT,	/* ^C came here: a fresh prompt */
};
/* Take the next line off the input (session_repl.c hands it on). */
enum session_take session_take_line(struct session *);
/* Whether the start of a line is held (the line_timeout clock). */
bool		session_input_partial(const struct session *);

/* --- serving (session_repl.c) ------------------------------------------- */

/*
 * The transport starts serving: io is its I/O (kept), the buffers are
 * set up and the clocks start. Call session_begin() again when the
 * session proper starts later (ssh: after the login).
 */
void		session_attach(struct session *, const struct session_io *io);
void		session_begin(struct session *);
/*
 * Serving is over: the REPL's last counters, everything freed; but the
 * REPL itself is kept in s->kept when the session may detach (its
 * client went away or typed !detach, and the login allows it).
 */
void		session_detach(struct session *);

/*
 * Start the REPL with the session's limits: then, when the session shows
 * prompts, the banner and the first prompt. -1 after a goodbye.
 */
int		session_repl_start(struct session *);
/*
 * One input line to the REPL (or a test hook): the idle clock starts
 * over, a prompt follows, !quit ends the session. Returns what the REPL
 * said.
 */
enum repl_result session_command(struct session *, const char *p,
		    size_t n);
/*
 * Test workers only: the hook name, as the line "!test NAME" would run
 * it, for a session that has no line to send it in (ssh's exec commands:
 * the env request IRIDIUM_TEST). Returns 0, or -1 (no hooks here).
 */
int		session_test_hook(struct session *, const char *name);
/* Every complete input line to the REPL, in order. */
void		session_drain(struct session *);
/* The REPL's poll callback, also run's and the assembler's: arg is s. */
enum repl_poll	session_poll(void *arg);
/* The REPL's output callback: stdout. */
int		session_repl_write(void *arg, const char *p, size_t n);
/* --- sessions that outlive their connection (session_move.c) ---------- */

/*
 * The lines !detach and !resume [ID], before the REPL sees them: 1 when
 * it took the line (and answered it), else 0.
 */
int		session_move_line(struct session *, const char *p, size_t n);
/*
 * Ask the supervisor for the detached session id (0: the most recent)
 * of this tenant (ssh), or the one token names (line), and take its
 * state into this session's REPL. Tells the client how it went. Returns
 * 0 (resumed) or -1.
 */
int		session_resume(struct session *, int64_t id, const char *token);
/* The REPL's !help: the lines of !detach and !resume (arg is s). */
void		session_move_help(void *arg, struct buf *out);
/*
 * The upgrade, in the session's worker: `handover` (its socket kept in
 * s->handover_fd), `handed` and `reconnect` (an ssh session leaves its
 * client the message and stays detached), from the channel.
 */
void		session_on_handover(void *arg, struct msg *m);
void		session_on_handed(void *arg, struct msg *m);
void		session_on_reconnect(void *arg, struct msg *m);
/*
 * At a prompt, with s->handover_fd: write the client socket and the
 * session's state into it and wait for `handed`. 1: the session goes on
 * in the taker (s->reason is SESSION_END_MOVED, s->shared); 0: it goes
 * on here, as it was.
 */
int		session_handover(struct session *);
/*
 * A taker's start (`takeover` brought movefd): the client socket and the
 * header that come first, checked. 0 with *client, *recfd (the
 * recording's, or -1), *flags; or -1 with
 * err (the socket is closed either way on -1).
 */
int		session_take_client(int movefd, int *client, int *recfd,
		    uint8_t *flags, char *err, size_t errlen);
/*
 * A taker's REPL, just made: the rest of the state from s->takeover_fd,
 * checked, then `taken`. 0: the session goes on here, with a notice and
 * a prompt; -1: refused (`taken` said why; s->reason SESSION_END_MOVED,
 * the client socket left to its old worker).
 */
int		session_taken(struct session *);
/*
 * What comes after the header of a session moved with its client, before
 * its REPL state (session_move.c says the layout): where its queued
 * output and input are in p, its flags and counts, and the bytes all that
 * used. Checked against out_max and in_max bytes and an age of at most
 * now (ms): 0, or -1 with err. Pure: fuzz_move feeds it anything.
 */
struct move_tail {
	size_t		 out_off, out_len, in_off, in_len, used;
	uint8_t		 flags;
	uint64_t	 age_ms, bytes_in, bytes_out, produced, cpu_ms;
	/* With MOVE_TAIL_TERM in flags: the terminal, the keys typed. */
	struct move_term term;
	size_t		 keys_off, keys_len;
	/* With MOVE_TAIL_REC: the recording's mode, clock, bytes, bound. */
	uint8_t		 rec_flags;	/* MOVE_REC_* */
	uint64_t	 rec_age_ms, rec_used, rec_max;
};
#define MOVE_TAIL_TERM	0x04
#define MOVE_TAIL_REC	0x08
#define MOVE_REC_INPUT	0x01		/* mode "all" */
#define MOVE_REC_FULL	0x02		/* past its bound: nothing more */
int		session_move_tail(const uint8_t *p, size_t len,
		    size_t out_max, size_t in_max, uint64_t now,
		    struct move_tail *t, char *err, size_t errlen);
/* Whether a session whose client went away now may stay detached. */
bool		session_may_detach(const struct session *);
/*
 * The session's client is gone and its REPL kept (s->kept): say
 * `detach`, then wait, running nothing, answering pings and writing the
 * state into the socket a `move` brings, until `shutdown` or the
 * supervisor's end. Returns the reason for `session_end`.
 */
const char	*session_detached(struct session *);

/* --- an ssh tenant's history (session_history.c) ----------------------- */

/* The supervisor's `history`: kept until the REPL starts. */
void		session_on_history(void *arg, struct msg *);
/* The REPL has started (or resumed another's state): give it the lines. */
void		session_history_start(struct session *);
/*
 * Give the supervisor the lines typed since the last time (and whether
 * `!history clear` forgot the stored ones): at the end, a detach, and
 * after a clear. Nothing without a tenant's history.
 */
void		session_history_save(struct session *);

/* The channel is readable: answer it; `shutdown` says goodbye. */
void		session_answer(struct session *);
/*
 * The limits' warnings and ends (CPU, lifetime, idle, line_timeout), and
 * `status`. Returns the milliseconds until it wants to run again, -1 for
 * none.
 */
int		session_timers(struct session *);

#endif

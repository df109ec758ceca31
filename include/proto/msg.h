/*
 * msg.h: the supervisor <-> worker protocol. This header is its
 * specification: the message types, their fields and their rules.
 *
 * One SOCK_SEQPACKET datagram is one message: a JSON object with "type"
 * and "v", at most MSG_MAX bytes, carrying at most one fd (SCM_RIGHTS).
 * MSG_TYPES below is the one list of message types; proto/msgtab.c holds,
 * per type, every field with its JSON type and range. Reading a message
 * checks every field's presence, type and range and rejects anything
 * unknown or left over; writing one goes through the same table, so a
 * message we send is valid by construction or not sent at all.
 *
 * Trust follows the peer: a message that fails msg_recv() from a worker is
 * an attack or a bug in an untrusted process (the supervisor kills it); one
 * from the supervisor is a bug (the worker dies).
 */
#ifndef IRIDIUM_MSG_H
#define IRIDIUM_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "buf.h"
#include "sshalgo.h"

#define MSG_VERSION	1
#define MSG_MAX		65536		/* bytes of JSON per datagram */
#define MSG_CHAN_FD	3		/* the worker's end of the channel */

/* Who sent a message. */
enum msg_dir {
	MSG_FROM_SUPERVISOR = 1,
	MSG_FROM_WORKER = 2,
	MSG_FROM_EITHER = 3,
};

/*
 * A worker's state, as both sides track it. The table says in which
 * states each message may arrive.
 */
enum msg_wstate {
	WS_STARTING = 1,	/* before `ready` */
	WS_IDLE = 2,		/* ready, waiting for a `session` */
	WS_BUSY = 4,		/* serving a session */
	WS_STOPPING = 8,	/* `shutdown` sent, or session over */
};
#define WS_ANY	(WS_STARTING | WS_IDLE | WS_BUSY | WS_STOPPING)

/* Whether a message carries an fd. */
enum msg_fd {
	MSG_FD_NONE,
	MSG_FD_REQUIRED,
};

/*
 * X(NAME, name, sent by, states in which it may arrive, fd)
 *
 * A worker's first `status` after a `session` acknowledges it: the
 * supervisor keeps its own copy of the client's fd until then, and hands
 * the connection to another worker if none comes (pool.h).
 */
#define MSG_TYPES(X)							\
	X(HELLO,	hello,		MSG_FROM_SUPERVISOR, WS_STARTING,	\
	    MSG_FD_NONE)						\
	X(READY,	ready,		MSG_FROM_WORKER, WS_STARTING |	\
	    WS_STOPPING, MSG_FD_NONE)						\
	X(SESSION,	session,	MSG_FROM_SUPERVISOR, WS_IDLE,	\
	    MSG_FD_REQUIRED)						\
	X(PEER,		peer,		MSG_FROM_WORKER, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(PEER_VERDICT,	peer_verdict,	MSG_FROM_SUPERVISOR, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(NEGOTIATED,	negotiated,	MSG_FROM_WORKER, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(AUTH_QUERY,	auth_query,	MSG_FROM_WORKER, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(AUTH_REPLY,	auth_reply,	MSG_FROM_SUPERVISOR, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(STATUS,	status,		MSG_FROM_WORKER, WS_IDLE | WS_BUSY | \
	    WS_STOPPING, MSG_FD_NONE)						\
	X(LOG,		log,		MSG_FROM_WORKER, WS_ANY,	\
	    MSG_FD_NONE)						\
	X(PING,		ping,		MSG_FROM_EITHER, WS_ANY,	\
	    MSG_FD_NONE)						\
	X(PONG,		pong,		MSG_FROM_EITHER, WS_ANY,	\
	    MSG_FD_NONE)						\
	X(SHUTDOWN,	shutdown,	MSG_FROM_SUPERVISOR, WS_ANY,	\
	    MSG_FD_NONE)						\
	X(SESSION_END,	session_end,	MSG_FROM_WORKER, WS_BUSY | WS_STOPPING, \
	    MSG_FD_NONE)						\
	X(DETACH,	detach,		MSG_FROM_WORKER, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(MOVE,		move,		MSG_FROM_SUPERVISOR, WS_BUSY,	\
	    MSG_FD_REQUIRED)						\
	X(RESUME,	resume,		MSG_FROM_WORKER, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(RESUME_REPLY,	resume_reply,	MSG_FROM_SUPERVISOR, WS_BUSY,	\
	    MSG_FD_REQUIRED)						\
	X(RESUME_REFUSED, resume_refused, MSG_FROM_SUPERVISOR, WS_BUSY, \
	    MSG_FD_NONE)						\
	X(RESUMED,	resumed,	MSG_FROM_WORKER, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(DETACH_REPLY,	detach_reply,	MSG_FROM_SUPERVISOR, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(HISTORY,	history,	MSG_FROM_SUPERVISOR, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(HISTORY_SAVE,	history_save,	MSG_FROM_WORKER, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(TAKEOVER,	takeover,	MSG_FROM_SUPERVISOR, WS_IDLE,	\
	    MSG_FD_REQUIRED)						\
	X(TAKEN,	taken,		MSG_FROM_WORKER, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(HANDOVER,	handover,	MSG_FROM_SUPERVISOR, WS_BUSY,	\
	    MSG_FD_REQUIRED)						\
	X(HANDED,	handed,		MSG_FROM_SUPERVISOR, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(RECONNECT,	reconnect,	MSG_FROM_SUPERVISOR, WS_BUSY,	\
	    MSG_FD_NONE)						\
	X(RECORD,	record,		MSG_FROM_SUPERVISOR, WS_IDLE | WS_BUSY, \
	    MSG_FD_REQUIRED)

enum msg_type {
#define MSG_ENUM(N, n, dir, states, fd)	MSG_##N,
	MSG_TYPES(MSG_ENUM)
#undef MSG_ENUM
	MSG_NTYPES
};

#define MSG_NAME_MAX	63	/* listener, tenant, user names */
#define MSG_ADDR_MAX	63	/* "[v6addr]:port" */
#define MSG_BUILD_MAX	63
#define MSG_TEXT_MAX	1024	/* log lines, reasons */
#define MSG_PATH_MAX	255
#define MSG_KEY_MAX	16384	/* host key PEM, public key blobs (base64) */

/*
 * A worker whose session starts with a PROXY header gives up on it this
 * long after `session`; the supervisor counts on that (a LOCAL header,
 * a balancer's health check, brings no `peer`).
 */
#define MSG_PROXY_TIMEOUT_MS	5000
#define MSG_CLIENT_MAX	255	/* an ssh client's version line (RFC 4253) */

/*
 * Per-session limits: the one list. The config's [limits] and [tenant]
 * keys, the `limits` object of `hello` (server-wide ceilings), `session`
 * (a line tenant's values) and `auth_reply` (an ssh tenant's values), and
 * the REPL's !limits all derive from it.
 *
 * X(name, default, min, max, unit, what). A 0 in a field whose min is 0
 * means "no limit".
 */
#define MSG_LIMITS(X)							\
	X(budget,	10000000,	1,	1000000000000ULL, "instructions", \
	    "instructions one command may run")				\
	X(heap,		1048576,	64,	268435456, "bytes",		\
	    "VM heap")							\
	X(stack,	65536,		1,	16777216, "entries",		\
	    "VM stack depth")						\
	X(cpu,		60,		0,	86400,	"seconds",		\
	    "CPU time per session")					\
	X(output_rate,	1048576,	0,	1073741824, "bytes/s",	\
	    "output per second")					\
	X(output_max,	67108864,	0,	1099511627776ULL, "bytes",	\
	    "output per session")					\
	X(idle,		600,		0,	604800,	"seconds",		\
	    "time with no complete input line and no command running "	\
	    "before the session ends")					\
	X(idle_warn,	60,		0,	604800,	"seconds",		\
	    "warning before the idle timeout")				\
	X(lifetime,	14400,		0,	2592000, "seconds",		\
	    "session lifetime")						\
	X(lifetime_warn, 300,		0,	2592000, "seconds",		\
	    "warning before the lifetime ends")				\
	X(line_max,	4096,		64,	65536,	"bytes",		\
	    "input line length")					\
	X(line_timeout,	60,		0,	86400,	"seconds",		\
	    "time an input line may take from its first byte (or key) "	\
	    "to its end; past it the session ends")			\
	X(outbuf_max,	262144,		4096,	16777216, "bytes",		\
	    "output queued for a client that does not read")		\
	X(login_grace,	30,		0,	3600,	"seconds",		\
	    "ssh login grace time")

struct msg_limits {
#define MSG_LIMIT_FIELD(name, def, min, max, unit, what)	uint64_t name;
	MSG_LIMITS(MSG_LIMIT_FIELD)
#undef MSG_LIMIT_FIELD
};

/*
 * Counters a worker reports in `status` and `session_end`: the one list.
 * The message table, the status document and the metric names derive
 * from it. Every counter is an integer 0..2^53 on the wire.
 *
 * X(name, what)
 */
#define MSG_COUNTERS(X)							\
	X(instructions,	"VM instructions executed")			\
	X(heap_bytes,	"VM heap in use")				\
	X(program_bytes, "bytes of loaded program")			\
	X(bytes_in,	"bytes read from the client")			\
	X(bytes_out,	"bytes written to the client")			\
	X(idle_seconds,	"seconds since the last complete input line or "	\
	    "command")							\
	X(commands,	"commands run")					\
	X(cpu_ms,	"CPU time used, milliseconds")			\
	X(duration_ms,	"session duration, milliseconds")

struct msg_counters {
#define MSG_COUNTER_FIELD(name, what)	uint64_t name;
	MSG_COUNTERS(MSG_COUNTER_FIELD)
#undef MSG_COUNTER_FIELD
};

struct msg_hello {
	char		build[MSG_BUILD_MAX + 1];
	char		transport[8];	/* "line" | "ssh" */
	char		listener[MSG_NAME_MAX + 1];
	int64_t		uid, gid;	/* -1: stay as started (development) */
	char		chroot[MSG_PATH_MAX + 1];	/* "": none */
	struct msg_limits limits;	/* ceilings */
	int64_t		log_level;	/* 0..7, syslog priorities */
	bool		sandbox_debug;
	/*
	 * The largest recording its session may grow (RLIMIT_FSIZE, the
	 * header included: msg_record's max plus MSG_RECORD_ROOM); 0: its
	 * listener does not record, and the worker may write no file.
	 */
	int64_t		record_fsize;
	const char	*hostkey;	/* ssh only: OpenSSH PEM; or NULL */
	/* ssh only (else NULL): what to offer, sshalgo.h's names. */
	const char	*kex;
	const char	*ciphers;
	const char	*macs;
	const char	*hostkey_algorithms;
};

struct msg_ready {
	char		build[MSG_BUILD_MAX + 1];
	int64_t		pid;
};

struct msg_session {
	int64_t		id;
	char		listener[MSG_NAME_MAX + 1];
	char		peer[MSG_ADDR_MAX + 1];
	char		transport[8];
	char		tenant[MSG_NAME_MAX + 1];	/* "" until ssh auth */
	struct msg_limits limits;
	bool		proxy;		/* read a PROXY header first */
	/*
	 * The supervisor's limits of this session (sessions of its tenant
	 * and of its source), as lines for !limits; NULL: none.
	 */
	const char	*quota;
};

struct msg_peer {
	char		addr[MSG_ADDR_MAX + 1];	/* numeric, no port */
	int64_t		port;
};

struct msg_peer_verdict {
	bool		allow;
	char		message[MSG_TEXT_MAX + 1];	/* for the client */
};

/*
 * What an ssh session's key exchange settled on (sshalgo.h's names), and
 * the client's version line, printable ASCII: sent once, after it.
 */
struct msg_negotiated {
	char		kex[SSHALGO_NAME_MAX + 1];
	char		cipher[SSHALGO_NAME_MAX + 1];	/* server to client */
	char		mac[SSHALGO_NAME_MAX + 1];	/* "": AEAD's own */
	char		client[MSG_CLIENT_MAX + 1];	/* "SSH-2.0-..." */
};

/*
 * One authentication attempt of the client, whatever its method: the
 * supervisor decides, counts and logs each (only "publickey" can pass).
 * user is "" when the client's name is not printable ASCII of at most
 * MSG_NAME_MAX bytes. For "publickey" keytype and key name the key and
 * signed says the worker checked the client's signature, made with
 * sigalg ("" when not signed, or not known); for other methods keytype,
 * key and sigalg are empty and signed is false.
 */
struct msg_auth_query {
	char		user[MSG_NAME_MAX + 1];
	char		method[24];	/* "publickey", "password", ... */
	char		keytype[48];	/* sk-ecdsa-sha2-nistp256@openssh.com */
	const char	*key;		/* base64 public key blob */
	bool		signed_;	/* JSON "signed": the signature checked */
	char		sigalg[40];	/* "rsa-sha2-512", "ssh-rsa", ... */
};

struct msg_auth_reply {
	bool		ok;
	char		tenant[MSG_NAME_MAX + 1];
	struct msg_limits limits;	/* meaningful when ok */
	/*
	 * When ok: how long a session of this tenant whose client goes away
	 * stays detached, resumable (seconds; 0: it ends), and the tenant's
	 * detached sessions as one notice for the client ("" when none).
	 */
	int64_t		resume_window;
	char		detached[MSG_TEXT_MAX + 1];
	/*
	 * Not ok, and not for the key's sake (the tenant at its session
	 * limit): the words for the client; the session ends. Else "".
	 */
	char		message[MSG_TEXT_MAX + 1];	/*
	 * When ok with a certificate: the only command the session runs
	 * (its force-command: a REPL line, `run` or `check`; "": none), and
	 * whether a pty is refused (no permit-pty).
	 */
	char		command[MSG_TEXT_MAX + 1];
	bool		no_pty;
};

struct msg_status {
	char		state[8];	/* "idle" | "busy" */
	struct msg_counters counters;
};

struct msg_log {
	int64_t		level;		/* 0..7 */
	char		msg[MSG_TEXT_MAX + 1];
};

struct msg_ping {
	int64_t		seq;
};

struct msg_shutdown {
	int64_t		grace;		/* seconds */
	char		reason[MSG_TEXT_MAX + 1];
};

struct msg_session_end {
	char		reason[32];
	struct msg_counters counters;
	/* What an ssh session told its client (exit-status); -1: none. */
	int64_t		exit_status;
};

/*
 * Sessions that outlive their connection. A worker whose client went
 * away (or typed !detach) keeps its session and says `detach`: it is then
 * detached, still busy, until the supervisor says `shutdown` (the resume
 * window passed, iridiumctl kill, the end) or moves it. Another worker of
 * the same tenant (the supervisor decides that from its own auth_reply)
 * asks `resume` for one (id 0: the most recent); the supervisor makes a
 * socketpair and gives one end to each: `move` to the detached worker,
 * which writes its state into it, and `resume_reply` to the asker, which
 * reads and checks it, then says `resumed` (ok or not, and why). Only
 * then does the detached worker get its `shutdown`; a failed move leaves
 * it detached. The supervisor never reads the state.
 */
struct msg_detach {
	char		reason[16];	/* "hangup" | "detach" (!detach) */
};

/*
 * A line session has no login to tie a resume to: its !detach gets a
 * token (MSG_TOKEN_LEN characters of base64url, 128 random bits) that the
 * supervisor made and keeps only a keyed hash of; the worker shows it to
 * the client once. "" with a message: it may not detach.
 */
#define MSG_TOKEN_LEN	22
struct msg_detach_reply {
	char		token[MSG_TOKEN_LEN + 1];
	char		message[MSG_TEXT_MAX + 1];	/* when refused */
};

struct msg_move {
	int64_t		to;		/* the session that takes it */
};

struct msg_resume {
	int64_t		id;		/* 0: the most recent */
	/* A line session's: the token the client typed, as it typed it. */
	char		token[MSG_TOKEN_LEN + 1];
};

struct msg_resume_reply {
	int64_t		id;		/* the session coming through the fd */
};

struct msg_resume_refused {
	char		message[MSG_TEXT_MAX + 1];	/* for the client */
};

struct msg_resumed {
	int64_t		id;		/* the session asked for */
	bool		ok;
	char		message[MSG_TEXT_MAX + 1];	/* why not; or "" */
};

/*
 * An ssh tenant's history across sessions. After an accepted login the
 * supervisor sends `history`: the tenant's last lines (oldest first) and
 * how many it keeps (history_lines); the worker gives them to the REPL
 * before the first prompt. At the end of the session, at a detach and at
 * `!history clear`, the worker sends `history_save`: only the lines typed
 * since (clear: forget the stored ones first). lines is the lines joined
 * by LF: none empty, none longer than MSG_HISTORY_LINE bytes, no control
 * characters but TAB, at most MSG_HISTORY_BYTES in all (so that a
 * message fits in MSG_MAX whatever JSON escaping costs); NULL: none.
 */
#define MSG_HISTORY_BYTES	24576
#define MSG_HISTORY_LINE	4096
#define MSG_HISTORY_KEEP_MAX	10000	/* history_lines' ceiling */
struct msg_history {
	int64_t		keep;		/* 1..MSG_HISTORY_KEEP_MAX */
	const char	*lines;
};

struct msg_history_save {
	bool		clear;
	const char	*lines;
};

/*
 * Whether p[0..len) is a valid lines field (as above); when not, why in
 * err, counting lines from first. Checks what the supervisor stores, too.
 */
bool		 msg_history_ok(const char *p, size_t len, size_t first,
		    char *err, size_t errlen);

/*
 * The upgrade (iridiumctl upgrade): a line session moves, client socket
 * and all, to a worker started from the program now on disk. The
 * supervisor makes a socketpair: `takeover` gives one end to a fresh idle
 * worker, with the session's description as `session` gives it;
 * `handover` gives the other to the session's worker, which at its next
 * prompt writes its client socket (SCM_RIGHTS) and its state into it and
 * waits. The taker checks it all and says `taken` (ok or not, and why)
 * before it serves the client; the supervisor then says `handed` to the
 * old worker: ok, it exits without a word to the client; not ok, it goes
 * on serving as before. An ssh session cannot move (its keys live in its
 * worker): `reconnect` tells it to leave its client the message and stay
 * detached, for a resume.
 */
struct msg_taken {
	bool		ok;
	char		message[MSG_TEXT_MAX + 1];	/* why not; or "" */
};

struct msg_handover {
	int64_t		to;		/* the pid of the worker taking it */
};

struct msg_handed {
	bool		ok;		/* taken: exit; else go on */
};

struct msg_reconnect {
	char		message[MSG_TEXT_MAX + 1];	/* for the client */
};

/*
 * A session is recorded (asciicast v2): the fd is its recording, opened
 * by the supervisor for appending, its header line already written. It
 * comes just before the `session` of a line session and just before the
 * `auth_reply` that lets an ssh login in, so the worker knows before the
 * first byte of output. The worker appends one complete event line per
 * write(2), the times in seconds since it received this message: "o"
 * for what it sent the client, "i" for what it read (mode "all" only),
 * "r" for a terminal size, "m" for markers. max bounds the events'
 * bytes (0: no bound); past it one last marker, then nothing. notice is
 * for the client (the banner), "" for none.
 */
#define MSG_RECORD_ROOM	8192	/* the header and the last marker */
struct msg_record {
	char		mode[8];	/* "output" | "all" */
	int64_t		max;		/* bytes; 0: no bound */
	char		notice[MSG_TEXT_MAX + 1];
};

/* A received message: the parsed body and the fd it carried (or -1). */
struct msg {
	enum msg_type	 type;
	json_t		*json;		/* owns strings the body points to */
	int		 fd;
	union {
		struct msg_hello	hello;
		struct msg_ready	ready;
		struct msg_session	session;
		struct msg_peer		peer;
		struct msg_peer_verdict	peer_verdict;
		struct msg_negotiated	negotiated;
		struct msg_auth_query	auth_query;
		struct msg_auth_reply	auth_reply;
		struct msg_status	status;
		struct msg_log		log;
		struct msg_ping		ping;	/* ping and pong */
		struct msg_shutdown	shutdown;
		struct msg_session_end	session_end;
		struct msg_detach	detach;
		struct msg_move		move;
		struct msg_resume	resume;
		struct msg_resume_reply	resume_reply;
		struct msg_resume_refused resume_refused;
		struct msg_resumed	resumed;
		struct msg_detach_reply	detach_reply;
		struct msg_history	history;
		struct msg_history_save	history_save;
		struct msg_session	takeover;	/* as `session` */
		struct msg_taken	taken;
		struct msg_handover	handover;
		struct msg_handed	handed;
		struct msg_reconnect	reconnect;
		struct msg_record	record;
	} u;
};

const char	*msg_type_name(enum msg_type);

/*
 * Parse and validate one datagram of len bytes that came with nfds fds,
 * from a peer that sends as `from` and is in `state`. Returns 0 and fills
 * *m, or -1 with err set ("session: field \"id\": not an integer").
 * Does not touch fds (msg_recv() owns them).
 */
int		 msg_decode(const void *buf, size_t len, int nfds,
		    enum msg_dir from, unsigned state, struct msg *m,
		    char *err, size_t errlen);

/*
 * Receive one message. Returns 1 with *m filled (m->fd is the fd it
 * carried, to be taken or closed by msg_clear), 0 at EOF, -1 on a system
 * error (errno; EAGAIN when nothing is waiting), -2 on a protocol
 * violation with err set (truncated, more than one fd, an fd where none
 * belongs, invalid JSON or fields): every fd that came with it is closed.
 */
int		 msg_recv(int fd, enum msg_dir from, unsigned state,
		    struct msg *m, char *err, size_t errlen);
/* Free what msg_recv() filled; closes m->fd unless it is -1. */
void		 msg_clear(struct msg *m);

/*
 * Encode a message of type from body (the matching struct msg_* above)
 * into out, replacing what out held (one datagram). Returns 0, or -1 with
 * err set when body breaks the table (a bug in the caller) or the result
 * would pass MSG_MAX or out->max.
 */
int		 msg_encode(struct buf *out, enum msg_type type,
		    const void *body, char *err, size_t errlen);

/*
 * Encode and send, with passfd (or -1) attached. flags are added to
 * MSG_NOSIGNAL (the supervisor passes MSG_DONTWAIT). Returns 0, or -1:
 * errno set, and err set when the body was invalid.
 */
int		 msg_send(int fd, enum msg_type type, const void *body,
		    int passfd, int flags, char *err, size_t errlen);

/*
 * Encode a message into b (reset first by the caller) and judge it as the
 * peer will, with nfds descriptors beside it: what msg_send does before
 * sending, for a message that is sent later with msg_send_raw().
 */
int		 msg_pack(struct buf *b, enum msg_type type, const void *body,
		    int nfds, char *err, size_t errlen);

/* Send raw bytes as one datagram (test-only hostile workers, fuzzers). */
int		 msg_send_raw(int fd, const void *buf, size_t len, int passfd,
		    int flags);

/* Whether p[0..len) is a resume token: MSG_TOKEN_LEN base64url chars. */
bool		 msg_token_ok(const char *p, size_t len);

/* Defaults for limits: what `iridiumd` uses without configuration. */
void		 msg_limits_default(struct msg_limits *);
/* The field-wise minimum of a and b (0 = none counts as the largest). */
void		 msg_limits_min(struct msg_limits *out,
		    const struct msg_limits *a, const struct msg_limits *b);

#endif

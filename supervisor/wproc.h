/*
 * wproc.h: one worker process, seen from the supervisor (wproc.c, and
 * wproc_chan.c for its channel): the worker record, its start through
 * the spawner (spawner.h), the messages sent to it, its pings, its kill
 * and its end.
 *
 * Every message a worker sends is read and validated here, and a worker
 * that breaks a rule is killed here. What the supervisor does about a
 * message is the business of the module that owns that message, which
 * registers a handler for its type (wproc_handle), as OpenBSD's privsep
 * daemons dispatch imsgs through per-process callback tables:
 *
 *   ready, status, log, ping,      the worker's life: here first
 *   pong, session_end
 *   ready, pong                    pool.c: the queue may move on
 *   status                         admit.c: a plain line session is under
 *                                  way once its worker has it
 *   peer                           admit.c: a PROXY session's client
 *   auth_query                     auth.c: an ssh login
 *   negotiated                     statusdoc.c: ssh sessions by algorithm
 *   detach, resume, resumed        resume.c: detached sessions
 *   taken                          upgrade.c: a session moved to a new
 *                                  worker
 *
 * A handler returns 0, or -1 with the rule the worker broke (it is then
 * killed). A worker's life events (its state, its program that never
 * started, a connection it never took, its end) go to its owner, pool.c,
 * through struct wproc_owner. So this file knows none of the modules
 * above it; the worker record carries the plain data that admit.c and
 * auth.c keep per session (struct admit_hold, struct auth_state), which
 * only they change.
 */
#ifndef IRIDIUM_WPROC_H
#define IRIDIUM_WPROC_H

#include <bsd/sys/queue.h>
#include <sys/resource.h>
#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit.h"
#include "authkeys.h"
#include "config.h"
#include "ctx.h"
#include "ev.h"
#include "msg.h"
#include "recording.h"
#include "source.h"
#include "spawner.h"
#include "status.h"
#include "uidpool.h"

struct pool;
struct filer;
struct rec_job;

/* Why the supervisor killed a worker, so its death is told right. */
enum wkill {
	WKILL_NONE,
	WKILL_PROTOCOL,		/* broke the protocol */
	WKILL_UNRESPONSIVE,	/* did not answer pings */
	WKILL_READY_TIMEOUT,	/* never said ready */
	WKILL_GRACE,		/* still there after shutdown's grace */
	WKILL_BUILD,		/* build id mismatch */
	WKILL_ADMIN,		/* iridiumctl kill */
};

/*
 * How a worker's life ended, counted per pool (the list is in status.h):
 * NORMAL exit 0 after its session or retirement; BEFORE_READY died before
 * `ready`; CRASH a signal we did not send; SANDBOX SIGSYS, the sandbox
 * killed it; KILLED we killed it; FAILED non-zero exit; CPU its CPU limit.
 */
enum wend {
#define WEND_ENUM(E, json, words)	WEND_##E,
	STATUS_EXIT_KINDS(WEND_ENUM)
#undef WEND_ENUM
	WEND_NKINDS
};

/* What became of a reaped worker's session, for its listener's totals. */
enum wsession {
	WSESSION_NONE,		/* it had none */
	WSESSION_COMPLETED,	/* ended as it should */
	WSESSION_REJECTED,	/* refused by our peer_verdict */
	WSESSION_FAILED,	/* its worker died without session_end */
};

struct ratelimit {
	int64_t		 window_ms;	/* start of the current second */
	unsigned	 count;		/* events in it */
	unsigned	 dropped;	/* since the last report */
};

/* --- what admit.c and auth.c keep per session (only they change it) ---- */

/* What one connection counts against (admit.h). */
struct admit_hold {
	struct source_key key;		/* its source, when `keyed` */
	bool		 keyed;		/* the client's source is known */
	bool		 source;	/* holds a session of key */
	bool		 startup;	/* counts against max_startups */
	char		 tenant[CONFIG_NAMELEN];	/* held; "": none */
};

#define AUTH_MAX_TRIES		6	/* refused keys per session */
#define AUTH_KEYNAME_MAX	16	/* "ED25519-SK", "ED25519-CERT" */
#define AUTH_CERT_ID_MAX	128	/* a certificate's key ID, escaped */

/* One session's login, as the supervisor decided it (auth.h). */
struct auth_state {
	bool		 authed;	/* a signed key was accepted */
	unsigned	 queries;
	unsigned	 failures;	/* refused attempts, any method */
	char		 user[MSG_NAME_MAX + 1];	/* the first asked for */
	bool		 capped;	/* refused for the tenant's limit */
	char		 keyname[AUTH_KEYNAME_MAX];	/* "ED25519" */
	char		 fingerprint[AUTHKEYS_FPR_MAX];	/* "SHA256:..." */
	bool		 cert;		/* with a certificate: */
	char		 cert_id[AUTH_CERT_ID_MAX];	/* its key ID, escaped */
	uint64_t	 cert_serial;
	/* The certificate last accepted unsigned (its blob's SHA256): the
	 * only one an honest worker then says the client signed with. */
	char		 cert_probe[AUTHKEYS_FPR_MAX];
};

/* --- the records ---------------------------------------------------------- */

/*
 * A client connection the supervisor holds: waiting for a worker in a
 * pool's queue, or handed to a worker that has not taken it yet.
 */
struct pending {
	int		 fd;
	char		 peer[MSG_ADDR_MAX + 1];
	int64_t		 since_ms;	/* waiting since (queue_timeout) */
	struct admit_hold hold;
	int64_t		 session_id;	/* 0: none given yet */
	/*
	 * A worker it was handed to never took it: from then on it goes
	 * only to a worker that has shown it is alive since (a `ready` or
	 * a `pong` after this time).
	 */
	int64_t		 retry_ms;	/* 0: never handed */
};

struct workers;

struct worker {
	TAILQ_ENTRY(worker) entry;	/* its pool's, then the graveyard */
	TAILQ_ENTRY(worker) idle_entry;	/* pool.c's idle list */
	struct spawn_wait spawn;	/* waiting for the spawner */
	struct workers	*wk;
	struct pool	*pool;		/* its owner (pool.h) */
	const struct listener_cfg *lc;	/* its listener's settings */
	const struct pool_cfg *pc;	/* its pool's: timeouts, grace */
	pid_t		 pid;		/* 0 until the spawner says */
	int64_t		 uid;		/* its own uid and gid (uidpool.h);
					   -1: the daemon's shared one */
	int		 chan;		/* our end of the socketpair */
	int		 errfd;		/* its stderr pipe, or -1 */
	struct ev	 ev_chan;
	struct ev	 ev_err;
	unsigned	 state;		/* enum msg_wstate */
	unsigned	 generation;	/* config generation of its hello */
	int64_t		 spawned_ms, ready_ms, busy_ms;
	int64_t		 busy_unix;	/* wall clock at its session */
	bool		 reaped;

	/* its session */
	int64_t		 session_id;
	char		 peer[MSG_ADDR_MAX + 1];
	char		 tenant[MSG_NAME_MAX + 1];
	bool		 ended;		/* got session_end */
	char		 end_reason[32];
	int		 exit_status;	/* its session_end's; -1: none */
	struct msg_counters counters;	/* latest status / session_end */
	int64_t		 counters_ms;	/* when they came */
	bool		 admin_kill;	/* iridiumctl kill: ending it */
	struct auth_state auth;		/* ssh: the login, as we decided it */
	bool		 negotiated;	/* ssh: its `negotiated` came */
	struct msg_negotiated nego;	/* ... validated, as it said */
	struct admit_hold hold;		/* what it counts against (admit.h) */
	bool		 proxy;		/* a PROXY header comes first */
	bool		 peer_seen;	/* its `peer` came: peer is the real
					   client */
	char		 via[MSG_ADDR_MAX + 1];	/* then: the balancer */
	uint64_t	 cpu_limit;	/* seconds, of its session; 0: none */
	unsigned	 history_saves;	/* its history_save messages */
	/* Its session's recording, under record_dir; "": not recorded. */
	char		 record_path[CONFIG_PATHLEN];
	int64_t		 record_fsize;	/* its hello's */
	bool		 audited;	/* its session_start is in the audit
					   log: its end goes there too */
	/*
	 * While its recording's file is being made (wproc_record.c): the
	 * job, and what waits for it: the message that lets it speak (with
	 * handoff_fd beside it, or not) and its audit session_start.
	 */
	struct rec_job	*rec_job;
	struct buf	*rec_after;
	bool		 rec_after_fd;
	bool		 audit_after;
	char		 audit_fpr[AUTHKEYS_FPR_MAX];

	/*
	 * Detached (resume.h): its client went away, its session waits in
	 * it for the same tenant, on the workers' detached list.
	 */
	bool		 detached;
	int64_t		 detached_ms;
	unsigned	 resume_window;	/* seconds: its tenant's, then */
	int64_t		 moving_to;	/* the session reading its state */
	int64_t		 moving_ms;
	int64_t		 resuming;	/* the detached session it reads */
	/*
	 * Admitted over its tenant's session limit only to resume one of
	 * its detached sessions, by then (admit.h); 0: a login as any.
	 */
	int64_t		 resume_only_ms;
	/* A line session's: the keyed hash of the token it was given. */
	bool		 has_token;
	uint8_t		 token_mac[32];
	TAILQ_ENTRY(worker) detached_entry;

	/*
	 * The upgrade (upgrade.h): its session is to move to a worker of
	 * the program now on disk; the worker taking it (handover_to), or,
	 * in that worker, the one it takes it from (takeover_from, NULL
	 * once that one is gone) while `taken` is awaited (takeover).
	 */
	bool		 upgrade_due;
	struct worker	*handover_to;
	struct worker	*takeover_from;
	bool		 takeover;
	int64_t		 takeover_ms;

	/*
	 * The hand-off: the client's fd stays ours until the worker says
	 * it took its session (its first `status`), so that a worker that
	 * never does (stopped, dead) cannot lose the connection: it goes
	 * back to its owner, to wait for another worker.
	 */
	int		 handoff_fd;	/* -1: none pending */
	int64_t		 handoff_ms;	/* when it was handed */
	int64_t		 waiting_ms;	/* when the connection began to wait */

	/* liveness */
	int64_t		 ping_seq;
	int64_t		 ping_sent_ms;	/* 0: none outstanding */
	int64_t		 ping_last_ms;	/* when the last pong came */
	bool		 unresponsive;
	int64_t		 kill_at_ms;	/* 0: no deadline */
	enum wkill	 killed;

	/* an untrusted peer's budget */
	struct ratelimit msgs;
	struct ratelimit logs;
	char		 errline[512];	/* a partial stderr line */
	size_t		 errlen;
};

TAILQ_HEAD(worker_list, worker);

/* --- who does what with a worker's messages and events ----------------- */

/*
 * A handler for one type of message from a worker, with the arg it was
 * registered with: 0, or -1 with the rule the message broke in err (the
 * worker is then killed).
 */
typedef int	(*wproc_handler)(void *arg, struct worker *,
		    const struct msg *, char *err, size_t errlen);

/* The owner of the workers (pool.c), told of their life's events. */
struct wproc_owner {
	/* w->state changed; it was from. */
	void	(*state)(struct worker *w, unsigned from);
	/*
	 * w's program never started: as if it had never been spawned.
	 * err: why it cannot start (0: the spawner failed, not it).
	 */
	void	(*unspawned)(struct worker *w, int err);
	/* w never took the connection handed to it: q waits again. */
	void	(*requeue)(struct worker *w, const struct pending *q);
	/*
	 * w was reaped (its exit status, how it ended, what became of its
	 * session) and leaves its pool; it is freed after this loop turn.
	 */
	void	(*gone)(struct worker *w, enum wend, int status,
		    enum wsession);
};

/* What every worker shares: set up by the daemon, read here. */
struct workers {
	struct ctx	*ctx;
	struct spawner	*spawner;
	const struct wproc_owner *owner;
	struct {
		wproc_handler	 fn;
		void		*arg;
	}		 handlers[MSG_NTYPES];
	struct worker_list graveyard;	/* freed after the loop turn */
	struct worker_list detached;	/* sessions waiting for a resume */
	/*
	 * As root, workers drop to a uid and gid of their own from uids, or
	 * (uids.count 0) all to uid, gid; -1: we are not root.
	 */
	struct uidpool	 uids;
	int64_t		 uids_said_ms;	/* when "all uids held" was logged */
	int64_t		 uid, gid;
	char		 chroot[CONFIG_PATHLEN];
	bool		 stderr_pipe;	/* pipe workers' fd 2 into the log */
	const char	*hostkey;	/* ssh `hello`'s host keys (auth.c's);
					   NULL: none */
	struct recorder	 rec;		/* session recordings (recording.h) */
	struct filer	*filer;		/* where their files are made */
	struct audit	 audit;		/* the audit log (audit.h) */
};

/* wproc_record.c */
/*
 * Record w's session when its listener says so: the file (tenant's,
 * fingerprint "" for a line session) is made beside the loop (filer.h);
 * when it is there, the worker's RLIMIT_FSIZE checked, `record` goes to
 * the worker with it. Call it before sending `session` (line) or the
 * accepting `auth_reply` (ssh) with wproc_send_recorded(), which keeps
 * that message until `record` has gone. Not recorded: a warning, and the
 * session goes on. -1 only when w is being killed.
 */
int		 wproc_record(struct worker *w, const char *tenant,
		    const char *fingerprint);
/*
 * Send w a message now, or, while its recording is being made, once it
 * is (in order, after `record`); passfd is sent beside it, and must then
 * be w's handoff_fd by the time it goes. -1 when it cannot be sent (err
 * says why when it is ours) and w is to be killed by the caller.
 */
int		 wproc_send_recorded(struct worker *w, enum msg_type type,
		    const void *body, int passfd, char *err, size_t errlen);
/*
 * The audit log's session_start of w's session, now that it is under way
 * (line: handed over; ssh: logged in), after its recording is settled;
 * its end follows when it ends.
 */
void		 wproc_audit_start(struct worker *w, const char *fingerprint);
/* w is gone or killed: whatever waits for its recording is dropped. */
void		 wproc_record_drop(struct worker *w);
/* Once a second: a file that takes too long leaves w unrecorded. */
void		 wproc_record_tick(struct worker *w, int64_t now);

/* wproc.c */
void		 wproc_init(struct workers *, struct ctx *, struct spawner *);
/* The owner of every worker (pool.c registers itself). */
void		 wproc_set_owner(struct workers *, const struct wproc_owner *);
/* Free the graveyard and the uid pool (the workers are gone). */
void		 wproc_free(struct workers *);
/*
 * Messages of type from any worker go, once read and validated (and
 * taken in by this file where it keeps something of them), to fn with
 * arg. One handler per type; a type no one handles is a violation.
 */
void		 wproc_handle(struct workers *, enum msg_type type,
		    wproc_handler fn, void *arg);
/*
 * Ask the spawner for a worker of pool, of the listener lc (whose pool's
 * settings are pc); it is WS_STARTING until it says ready. NULL when none
 * can start now; then *err is why it cannot start at all (errno-like),
 * or 0 (the next turn may ask again).
 */
struct worker	*wproc_spawn(struct workers *, struct pool *,
		    const struct listener_cfg *lc, const struct pool_cfg *pc,
		    int *err);
/* The program of lc's workers. */
const char	*wproc_program(const struct workers *,
		    const struct listener_cfg *lc);
/*
 * The spawner's answer (spawn_answer in spawner.h; arg the workers,
 * cookie a worker): its pid, or -1 with err (its program did not start).
 * early: it died before this answer came.
 */
void		 wproc_spawned(void *arg, void *cookie, pid_t pid, int err,
		    const struct spawn_early *early);
/*
 * Hand q's connection to an idle worker with a `session` (quota: the
 * lines its !limits shows, admit_quota). 0: w holds the connection now
 * (q->fd is -1, q->hold emptied) until it takes it or it goes back to
 * the owner (requeue); -1: w is killed and q is untouched.
 */
int		 wproc_session(struct worker *, struct pending *q,
		    const char *quota);
void		 wproc_kill(struct worker *, enum wkill, const char *why);
void		 wproc_shutdown(struct worker *, unsigned grace,
		    const char *reason);
/* iridiumctl kill: `shutdown`, then SIGKILL after the pool's grace. */
void		 wproc_end_session(struct worker *);
/*
 * The upgrade: the idle worker n is to take over w's session, whose
 * client socket and state come on fd (`takeover`); w gets the other end
 * (`handover`). Both linked; n is busy, with no session yet (quota: the
 * lines its !limits shows). -1: n is killed, nothing linked, fd is ours.
 */
int		 wproc_takeover(struct worker *n, struct worker *w, int fd,
		    const char *quota);
/* ... and w's end: -1 when w cannot take it (w is killed). */
int		 wproc_handover(struct worker *w, int fd);
/*
 * n said `taken`: its session, its holds and its counts are w's from
 * now (w is left with none, stopping), or (ok false) w goes on with its
 * own. Either way w hears `handed`, and the two are unlinked.
 */
void		 wproc_taken(struct worker *n, bool ok);
/* ssh: leave the client the message, stay detached (`reconnect`). */
void		 wproc_reconnect(struct worker *w, const char *message);
/* Send a ping, unless one is outstanding. */
void		 wproc_ping(struct worker *, int64_t now);
/* Once a second: deadlines, pings, the hand-off. */
void		 wproc_tick(struct worker *, int64_t now);
/* A child exited: drain its channel, classify, log, free later. */
void		 wproc_reaped(struct worker *, int status,
		    const struct rusage *);
/* Free the workers reaped in this loop turn. */
void		 wproc_bury(struct workers *);
const char	*wend_name(enum wend);
/* "starting", "idle", "busy", "stopping". */
const char	*wstate_name(unsigned state);

#endif

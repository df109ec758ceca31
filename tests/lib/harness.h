/*
 * harness.h: helpers for integration tests that start the real binaries
 * and talk to them as clients do.
 *
 * A test starts iridiumd on an ephemeral port with a temporary run
 * directory (the environment cleaned of NOTIFY_SOCKET and LISTEN_*), reads
 * its log from a pipe, and connects with plain sockets. The daemon gets
 * PR_SET_PDEATHSIG so a failed (aborted) test never leaves it behind.
 * The helpers that say so fail the test with a criterion assertion.
 *
 * A suite names hd_fini as its .fini (or calls it from its own): it
 * stops what the test left running (daemons, the fake supervisor's
 * workers and clients) and removes the test's temporary directories,
 * whether the test passed or failed.
 */
#ifndef IRIDIUM_HARNESS_H
#define IRIDIUM_HARNESS_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#define HD_LOGMAX	(8 << 20)

struct hd {
	pid_t	 pid;
	int	 logfd;		/* reads its stderr (a file) */
	char	*log;		/* everything it logged so far */
	size_t	 loglen;
	char	 dir[256];	/* its run directory */
	char	 logdir[256];	/* holds iridiumd.log, its stderr */
	char	 host[64];
	int	 port;		/* the first listener's port */
	int	 status;	/* wait status once stopped */
	bool	 running;
	char	 uids[32];	/* its workers' uids, FIRST-LAST */
	int	 uidlock;	/* holds them (hd_uids_take); 0: none */
	char	 confdir[256];	/* holds iridiumd.conf (hd_start_conf) */
};

/*
 * Worker uids for test daemons: slices of HD_UIDS_SLICE uids of
 * HD_UIDS_RANGE ($IRIDIUM_TEST_UIDS overrides it), which is not the
 * default worker_uids, so a real iridiumd on the machine is never in the
 * way. hd_start_exec gives every iridiumd it starts a slice of its own
 * (--worker-uids) unless argv names one.
 */
#define HD_UIDS_RANGE	"40960-57343"
#define HD_UIDS_SLICE	128
/*
 * Claim a slice nothing else uses (no lock held on it, and as root no
 * user, group or process has an id in it), waiting up to a minute;
 * "FIRST-LAST" into range. Returns the lock, for hd_uids_release.
 */
int		 hd_uids_take(char *range, size_t len);
void		 hd_uids_release(int lock);

/*
 * "NAME=value" strings set in the daemon's environment after the harness
 * cleaned it (NULL-terminated; NULL for none): NOTIFY_SOCKET and the like.
 */
extern const char *const *hd_extra_env;

/* $IRIDIUM_BUILD/<name>, or dies. */
const char	*hd_bin(const char *name);
/* A fresh temporary directory (mode 0755), removed by hd_fini. */
void		 hd_tmpdir(char *buf, size_t len, const char *tag);
/* rm -rf dir, unless it is ""; a failure is ignored. */
void		 hd_rmtree(const char *dir);
/* CLOCK_MONOTONIC in milliseconds. */
long long	 hd_now_ms(void);
/* A loopback TCP port that was free a moment ago. */
int		 hd_free_port(void);
/* The integer at a dotted path ("sessions.active") of a JSON object;
 * asserts that it is one. */
struct json_t;
long long	 hd_json_num(struct json_t *, const char *path);
/* `iridiumctl status --json`, parsed (json_decref it); asserts that
 * iridiumctl succeeded and printed JSON. */
struct json_t	*hd_status(struct hd *);

/*
 * Start iridiumd with --run-dir, --bind-port 0, --worker-path and argv
 * (NULL-terminated, may be NULL). Waits for "listening on" and the given
 * number of ready workers is not waited for: use hd_wait_log. Returns 0,
 * or -1 when it did not come up within 10 s (its log is printed).
 */
int		 hd_start(struct hd *, const char *const argv[]);
/*
 * Write text to iridiumd.conf in a fresh temporary directory (confdir)
 * and start iridiumd with -f and it, and --worker-path hd_bin(worker)
 * unless worker is NULL. Asserts that it started.
 */
void		 hd_start_conf(struct hd *, const char *text,
		    const char *worker);
/* Write text over its iridiumd.conf (hd_start_conf's), for a reload. */
void		 hd_write_conf(struct hd *, const char *text);
/* Run argv (argv[0]: the program's path) as the daemon, e.g. under
 * systemd-socket-activate, with hd_start_raw's environment and log. */
int		 hd_start_exec(struct hd *, const char *const argv[],
		    const char *wait_for);
/* Like hd_start but without the defaults: the exact argv after argv[0]. */
int		 hd_start_raw(struct hd *, const char *const argv[],
		    const char *wait_for);
/* Read its log until needle appears (after offset *from, if not NULL). */
bool		 hd_wait_log(struct hd *, const char *needle, int timeout_ms);
/* Count occurrences of needle in the log so far (after reading). */
int		 hd_log_count(struct hd *, const char *needle);
/* Send a signal and wait for exit up to timeout_ms; returns exit status
 * (-1 if it had to be killed, -2 if it died of a signal). */
int		 hd_stop(struct hd *, int sig, int timeout_ms);
/* Stop it (SIGTERM) if it runs; remove its run and log directories. */
void		 hd_cleanup(struct hd *);

/* What a test leaves behind (cleanup.c). */
/*
 * A suite's .fini: what was deferred, the latest first: hd_cleanup of
 * every daemon the test started and did not clean up, the fake
 * supervisor's workers and clients, rm -rf of every hd_tmpdir. The
 * harness keeps the address of each struct hd, fs_worker and fs_client
 * until then: give them static storage, never a stack slot.
 */
void		 hd_fini(void);
/* Have hd_fini call fn(arg) (once: again moves it to the latest place). */
void		 hd_defer(void (*fn)(void *), void *arg);
/* Forget hd_defer(fn, arg): the test cleaned it up itself. */
void		 hd_undefer(void (*fn)(void *), void *arg);

/* Its processes, as /proc shows them (procs.c). */
/* Pids of iridiumd's children (its workers), up to max. */
int		 hd_children(struct hd *, pid_t *pids, int max);
/* The worker serving the client whose local port is port, or -1. */
pid_t		 hd_worker_for_port(struct hd *, int port);
/* Its live helper that starts workers (iridiumd-spawn), or 0. */
pid_t		 hd_spawner(struct hd *);
/* Number of open fds of a process. */
int		 proc_fd_count(pid_t);
/* Whether a process is gone (reaped) or a zombie. */
bool		 proc_gone(pid_t);
/* The number after name ("VmRSS:") in /proc/pid/status; -1 if none. */
long		 proc_status_num(pid_t, const char *name);
/* The thread of process pid named name (its comm); 0: none. */
pid_t		 proc_thread_named(pid_t pid, const char *name);
/*
 * strace attached to thread tid only, holding each call of syscall for
 * usec before it runs: a slow file system made to order. Its pid once
 * attached, or -1 (no strace, or not allowed to trace: ptrace_scope, not
 * root). proc_strace_end detaches it.
 */
pid_t		 proc_strace_delay(pid_t tid, const char *syscall, long usec);
void		 proc_strace_end(pid_t);

/*
 * The port of listener name, from its latest "listening on NAME
 * ADDR:PORT" log line (waiting up to 10 s for one), or -1.
 */
int		 hd_listener_port(struct hd *, const char *name);
/* Its control socket, <run dir>/control.sock (a static buffer). */
const char	*hd_control(struct hd *);
/*
 * Run argv (argv[0] a path) with no input, up to timeout_ms. *out and
 * *err (may be NULL) get its standard output and error, malloc'd and
 * NUL-terminated. Returns its exit status, or -1 if it died of a signal
 * or had to be killed.
 */
int		 hd_run(const char *const argv[], char **out, char **err,
		    int timeout_ms);
/*
 * iridiumctl -s <its control socket> ARGS... (NULL-terminated), run
 * after prefix (NULL, or a NULL-terminated command such as setpriv ...).
 */
int		 hd_ctl(struct hd *, const char *const prefix[], char **out,
		    char **err, ...) __attribute__((sentinel));
/* Send line (a newline is added) to its control socket; the reply line
 * (malloc'd, without the newline), or NULL on EOF or timeout. */
char		*hd_ctl_raw(struct hd *, const char *line, int timeout_ms);
/* Write content to path, or abort. */
void		 hd_write(const char *path, const char *content);
/* Run the formatted shell command; assert that it exits 0. */
void		 hd_sh(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
/* Whether the program at path asks for a program interpreter (readelf). */
bool		 hd_is_dynamic(const char *path);

/* Clients. */
/* A TCP socket listening on 127.0.0.1, its ephemeral port into *port. */
int		 tc_listen(int *port);
int		 tc_connect(const char *host, int port);
int		 tc_connect_from(const char *src, const char *host, int port);
int		 tc_local_port(int fd);
/* Send all of s. */
void		 tc_send(int fd, const char *s);
void		 tc_sendn(int fd, const void *p, size_t n);
/*
 * Read until needle appears in what was read since the call; returns a
 * malloc'd NUL-terminated copy of all of it (never NULL), or NULL on
 * timeout/EOF before needle (then *got, if given, holds what came).
 */
char		*tc_read_until(int fd, const char *needle, int timeout_ms);
/* Read until EOF (or timeout); returns what came. */
char		*tc_read_all(int fd, int timeout_ms, size_t *lenp);
/* Connect and read the banner and first prompt. */
int		 tc_session(struct hd *);
/* The same from source address src; asserts that both worked. */
int		 tc_session_from(struct hd *, const char *src);
/* Send a line, return everything up to and including the next prompt. */
char		*tc_cmd(int fd, const char *line);
/*
 * After another session's worker died: the session on bystander still
 * answers a command, and a new session is served. Closes both.
 */
void		 tc_assert_served(struct hd *, int bystander);

#endif

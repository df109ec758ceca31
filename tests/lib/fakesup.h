/*
 * fakesup.h: a fake supervisor for the worker's integration tests.
 *
 * A test plays iridiumd toward one real iridium-worker (or
 * iridium-worker-test): it fork+execs the binary the way the exec
 * contract says (fds 0 and 1 on /dev/null, stderr to a pipe, the channel
 * on fd 3, a padded argv, a minimal environment), speaks the protocol
 * through the real message code (msg.h), and plays the client on the
 * other end of a TCP loopback connection it hands over in `session`.
 *
 * Failures are criterion assertions, so a test reads as the conversation.
 * A suite names hd_fini (harness.h) as its .fini: it ends every worker
 * the test started and closes every client, pass or fail.
 * As root, hello carries nobody's uid/gid and an empty root-owned chroot
 * (the sandbox refuses to keep root); otherwise -1/-1/"" (development).
 */
#ifndef IRIDIUM_FAKESUP_H
#define IRIDIUM_FAKESUP_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "msg.h"

#define FS_TIMEOUT	15000		/* ms for anything that should come */

struct fs_worker {
	pid_t		 pid;
	int		 chan;		/* our end of the channel */
	unsigned	 state;		/* our view: WS_* */
	int		 errfd;		/* read end of the worker's stderr */
	struct buf	 err;		/* what it wrote there so far */
	char		 root[64];	/* its chroot, when we are root */
	struct msg_hello hello;
	struct buf	 logs;		/* `log` texts received, one a line */
	int		 nstatus;	/* `status` messages received */
	int		 status;	/* wait status once reaped */
	bool		 reaped;
};

struct fs_client {
	int		 fd;
	int		 port;		/* its local port */
	struct buf	 in;		/* everything received */
	size_t		 seen;		/* end of the last match */
	bool		 eof;
};

/* $IRIDIUM_BUILD/name; fails the test when IRIDIUM_BUILD is not set. */
const char	*fs_bin(const char *name);

/* The hello a real supervisor would send to this test's user. */
void		 fs_hello_init(struct fs_worker *, struct msg_hello *);
/* Start bin per the exec contract; sends nothing. */
void		 fs_spawn(struct fs_worker *, const char *bin);
/*
 * fs_spawn, hello (fs_hello_init's, with ceilings as its limits unless
 * NULL), and `ready` checked.
 */
void		 fs_start(struct fs_worker *, const char *bin,
		    const struct msg_limits *ceilings);

void		 fs_send(struct fs_worker *, enum msg_type, const void *body,
		    int fd);
/*
 * One message from the worker, checked against our view of its state:
 * 1 with *m filled, 0 on timeout, -1 at EOF, -2 when the message broke
 * the protocol (err says how).
 */
int		 fs_recv(struct fs_worker *, struct msg *m, int timeout_ms,
		    char *err, size_t errlen);
/*
 * Receive until a message of type comes; `log` and `status` on the way
 * are noted (logs, nstatus) and skipped. Anything else fails the test.
 */
void		 fs_expect(struct fs_worker *, enum msg_type, struct msg *m,
		    int timeout_ms);
/* Wait until a `log` line containing needle has come. */
void		 fs_expect_log(struct fs_worker *, const char *needle,
		    int timeout_ms);

/* Session options: socket buffer sizes for the slow-reader tests. */
struct fs_opts {
	int		 client_rcvbuf;	/* 0: default */
	int		 server_sndbuf;
};

/*
 * Connect a client over TCP loopback, send `session` (id 17, tenant
 * "anonymous") with the server end, and take the `status` busy.
 */
void		 fs_session(struct fs_worker *, const struct msg_limits *,
		    struct fs_client *, const struct fs_opts *);

/* Reap the worker within timeout_ms; false if it is still running. */
bool		 fs_wait(struct fs_worker *, int timeout_ms);
/* Exit status, or -signal when it died of one. Reaps first. */
int		 fs_exit_status(struct fs_worker *, int timeout_ms);
/* Fail the test unless the worker exits with status; show its stderr. */
void		 fs_expect_exit(struct fs_worker *, int status, int timeout_ms);
/*
 * `session_end` with reason (its counters into out, unless NULL), then
 * exit status 0, each within FS_TIMEOUT.
 */
void		 fs_expect_end(struct fs_worker *, const char *reason,
		    struct msg_counters *out);
/* The worker's stderr so far (malloc'd, NUL-terminated). */
char		*fs_stderr(struct fs_worker *);
/* Kill (if running), reap, close, remove the chroot. */
void		 fs_cleanup(struct fs_worker *);

/*
 * A client connected over TCP loopback (socket buffers as o says, o may
 * be NULL), cl_open'd; the accepted end, the session's socket, into
 * *server.
 */
void		 cl_connect(struct fs_client *, int *server,
		    const struct fs_opts *);
/* Take fd, a connected socket, as the client's connection. */
void		 cl_open(struct fs_client *, int fd);

void		 cl_send(struct fs_client *, const void *, size_t);
void		 cl_puts(struct fs_client *, const char *);
/*
 * Read until needle (len bytes) appears after the last match; fail the
 * test with what came otherwise. Returns the match inside c->in.
 */
const char	*cl_expectn(struct fs_client *, const void *needle, size_t len,
		    int timeout_ms);
const char	*cl_expect(struct fs_client *, const char *needle,
		    int timeout_ms);
/* Read whatever comes for ms milliseconds (or until EOF). */
void		 cl_drain(struct fs_client *, int ms);
/* Read until EOF; false on timeout. */
bool		 cl_wait_eof(struct fs_client *, int timeout_ms);
/* Occurrences of needle in everything received. */
int		 cl_count(const struct fs_client *, const char *needle);
void		 cl_close(struct fs_client *);

/* CLOCK_MONOTONIC in milliseconds (hd_now_ms). */
long long	 fs_now_ms(void);
/* A process's title: /proc/pid/cmdline, NULs as spaces (static). */
char		*fs_title(pid_t);

#endif

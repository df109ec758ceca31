/*
 * harness.h: helpers for integration tests that start the real binaries
 * and talk to them as clients do.
 *
 * A test starts iridiumd on an ephemeral port with a temporary run
 * directory (the environment cleaned of NOTIFY_SOCKET and LISTEN_*), reads
 * its log from a pipe, and connects with plain sockets. The daemon gets
 * PR_SET_PDEATHSIG so a failed (aborted) test never leaves it behind.
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
};

/* $IRIDIUM_BUILD/<name>, or dies. */
const char	*hd_bin(const char *name);
/* A fresh temporary directory (mode 0755). */
void		 hd_tmpdir(char *buf, size_t len, const char *tag);

/*
 * Start iridiumd with --run-dir, --bind-port 0, --worker-path and argv
 * (NULL-terminated, may be NULL). Waits for "listening on" and the given
 * number of ready workers is not waited for: use hd_wait_log. Returns 0,
 * or -1 when it did not come up within 10 s (its log is printed).
 */
int		 hd_start(struct hd *, const char *const argv[]);
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
void		 hd_cleanup(struct hd *);
/* Pids of iridiumd's children (its workers), up to max. */
int		 hd_children(struct hd *, pid_t *pids, int max);
/* The worker serving the client whose local port is port, or -1. */
pid_t		 hd_worker_for_port(struct hd *, int port);
/* Number of open fds of a process. */
int		 proc_fd_count(pid_t);

/* Clients. */
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
/* Send a line, return everything up to and including the next prompt. */
char		*tc_cmd(int fd, const char *line);

#endif

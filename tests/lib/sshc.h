/*
 * sshc.h: running the real OpenSSH client (and ssh-keyscan, ssh-audit)
 * in integration tests, as a user does: arguments, bytes on standard
 * input (all at once, or typed while it runs), standard output and error
 * captured apart, or a pseudo-terminal for `ssh -tt`; a slow reader; the
 * exit status. Failures are criterion assertions.
 *
 * The server is iridiumd with an ssh listener (sshc_daemon), or a test's
 * own server side, which sshc_serve lets run while sshc waits.
 */
#ifndef IRIDIUM_TEST_SSHC_H
#define IRIDIUM_TEST_SSHC_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

#define SSHC_ARGS_MAX	64

struct hd;
struct pollfd;

struct sshc {
	pid_t		 pid;
	int		 in, out, err;	/* pipes; with a pty, out is the master */
	struct buf	 input;		/* what is still to be written */
	size_t		 inoff;
	bool		 keep_open;	/* stdin stays open once input is out */
	struct buf	 o, e;		/* standard output, standard error */
	int		 status;	/* exit status, or 128 + signal */
	bool		 done;
	int		 slow_ms;	/* a slow reader: 8 KiB per slow_ms */
	long long	 started_ms, ended_ms;
};

/* Options every test connection uses: a client configured by nothing
 * but these, BatchMode, IdentitiesOnly and dir/known_hosts, strictly. */
struct sshc_opts {
	const char	*dir;		/* holds known_hosts and the keys */
	int		 port;
};

/*
 * Start iridiumd as d with config text, written to o->dir/iridiumd.conf,
 * and worker (NULL: iridium-worker-ssh; a name in $IRIDIUM_BUILD, or a
 * path) as its ssh worker; o->port becomes its port. Asserts that it
 * started.
 */
void		 sshc_daemon(struct hd *, struct sshc_opts *, const char *text,
		    const char *worker);
/* The host key iridiumd generates, with state_dir = o->dir/state. */
#define SSHC_HOSTKEY	"state/ssh_host_ed25519_key.pub"
/*
 * Trust the host key of the public key file o->dir/name for 127.0.0.1
 * port o->port: the only line of o->dir/known_hosts. The key
 * ("ssh-ed25519 AAAA...") into key, unless it is NULL.
 */
/*
 * In dir, an ed25519 key pair for each of the space-separated names (NAME,
 * NAME.pub, comment NAME) and NAME.keys, an authorized_keys file of it.
 */
void		 sshc_keys(const char *dir, const char *names);
void		 sshc_trust(const struct sshc_opts *, const char *name,
		    char *key, size_t keylen);
/* The SHA256 fingerprint of the public key file o->dir/name, as
 * ssh-keygen -l says it ("SHA256:..."; 4 rotating buffers). */
const char	*sshc_fingerprint(const struct sshc_opts *, const char *name);

/*
 * A test's own server side, served whenever sshc waits for its clients:
 * fds fills up to max pollfds and returns how many; ready gets them back
 * with their revents after each poll. NULL fds: none (the default).
 */
void		 sshc_serve(int (*fds)(struct pollfd *, int max),
		    void (*ready)(const struct pollfd *, int n));

/*
 * argv for `ssh` as user with dir/key, the options opts (NULL-terminated;
 * may be NULL) and the command cmd (may be NULL: a shell). Static slots:
 * start the client before asking for the next.
 */
char		**sshc_argv(const struct sshc_opts *, const char *key,
		    const char *user, const char *const *opts,
		    const char *cmd);

/*
 * Start argv. input (may be NULL) goes to standard input, which is then
 * closed, unless keep_open (sshc_type adds more, sshc_close_in ends it).
 * pty: a new pseudo-terminal for all three instead of pipes.
 */
void		 sshc_start(struct sshc *, char *const argv[], const char *input,
		    size_t len, bool keep_open, bool pty);
void		 sshc_type(struct sshc *, const char *s);
void		 sshc_close_in(struct sshc *);
/* One round for every client (n may be 0) and the server side (see
 * sshc_serve): write, read, reap. At most ms. */
void		 sshc_pump(struct sshc **, int n, int ms);
/* Pump until out (stdout or the pty) holds want after *seen; fails the
 * test after timeout_ms. *seen moves past it. */
void		 sshc_expect(struct sshc *, size_t *seen, const char *want,
		    int timeout_ms);
/*
 * On the pty of `ssh -tt` to a REPL (started, nothing read yet), as a
 * user does: the banner; typed text echoed, DEL erasing; !registers; an
 * endless loop that runs until ^C stops it, and the prompt after. The
 * tenant's budget must allow the loop 300 ms. *seen as for sshc_expect.
 */
void		 sshc_pty_session(struct sshc *, size_t *seen, int timeout_ms);
/* Pump until every client has exited and its pipes are drained. */
void		 sshc_finish(struct sshc **, int n, int timeout_ms);
/* Start argv with input, finish it: one command, start to end. */
void		 sshc_run(struct sshc *, char *const argv[], const char *input);
/*
 * Run argv (ssh running `run`) with a program on its standard input that
 * prints 4 MiB, and read its output slowly: 8 KiB every 2 ms.
 */
void		 sshc_run_big(struct sshc *, char *const argv[],
		    int timeout_ms);
/* Assert that the client's output is exactly those 4 MiB. */
void		 sshc_assert_big(const struct sshc *);
/* sshc_run of ssh as user with key, running cmd (NULL: a shell). */
void		 sshc_ssh(struct sshc *, const struct sshc_opts *,
		    const char *key, const char *user, const char *cmd,
		    const char *input);
void		 sshc_free(struct sshc *);

#endif

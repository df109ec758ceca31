/*
 * ssh_internal.h: what the parts of the ssh transport share. Not an
 * interface (transport.h is: transport_ssh); only worker/ssh*.c
 * include it.
 *
 * worker/ssh.c owns the connection: the libssh set-up before lock-down,
 * key exchange, the channel requests, the event loop's turn and the end
 * of the connection; worker/ssh_auth.c authentication through the
 * supervisor.
 * worker/ssh_chan.c owns the one session channel: its requests, the
 * bytes it carries to and from the session core (session.h), which
 * holds the lines, the output queues, the limits and the REPL; the
 * channel's end. worker/ssh_exec.c what runs behind it: the shell's REPL
 * and the exec commands.
 */
#ifndef IRIDIUM_SSH_INTERNAL_H
#define IRIDIUM_SSH_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libssh/libssh.h>
#include <libssh/callbacks.h>
#include <libssh/server.h>

#include "buf.h"
#include "msg.h"
#include "repl.h"
#include "session.h"
#include "transport.h"

/*
 * The user key signatures advertised (server-sig-algs) and taken: not
 * ssh-rsa (SHA-1), which ssh_auth.c refuses with an answer. The
 * algorithm lists come in hello ([daemon] ssh_kex, ssh_ciphers, ssh_macs,
 * ssh_hostkey_algorithms; include/proto/sshalgo.h).
 */
#define SSH_USERKEYS	"ssh-ed25519,sk-ssh-ed25519@openssh.com," \
			"ecdsa-sha2-nistp256,ecdsa-sha2-nistp384," \
			"ecdsa-sha2-nistp521,sk-ecdsa-sha2-nistp256@openssh.com," \
			"rsa-sha2-512,rsa-sha2-256," SSH_USERCERTS
/*
 * OpenSSH user certificates: libssh checks the signature with the
 * certificate's key; the supervisor checks the certificate itself.
 */
#define SSH_USERCERTS	"ssh-ed25519-cert-v01@openssh.com," \
			"ecdsa-sha2-nistp256-cert-v01@openssh.com," \
			"ecdsa-sha2-nistp384-cert-v01@openssh.com," \
			"ecdsa-sha2-nistp521-cert-v01@openssh.com," \
			"rsa-sha2-512-cert-v01@openssh.com," \
			"rsa-sha2-256-cert-v01@openssh.com"

#define SSH_MAX_AUTH_TRIES	6	/* as OpenSSH's MaxAuthTries */
/* auth_query messages per connection: a probe and a signature per try. */
#define SSH_MAX_AUTH_QUERIES	(2 * SSH_MAX_AUTH_TRIES)
#define SSH_FAIL_DELAY_MS	250	/* after each failed attempt */
#define SSH_AUTH_REPLY_MS	5000	/* the supervisor answers at once */
#define SSH_KEEPALIVE_MS	15000	/* quiet client: keepalive request */
#define SSH_STALL_MS		10000	/* full queue, no byte taken: cut */
#define SSH_FINAL_MS		5000	/* draining at the end, no progress */
#define SSH_CLOSE_MS		3000	/* the client's CLOSE: since its
					   last byte */
#define SSH_CLOSE_CAP_MS	60000	/* ... and since our CLOSE, without
					   an idle limit */
#define SSH_FLUSH_MS		2000	/* our last bytes, before DISCONNECT */
#define SSH_LINGER_MS		2000	/* the client's own hang-up after
					   the channel's close */
#define SSH_DRAIN_MS		1000	/* the client's FIN, after it */
#define SSH_PROG_MAX		(1024 * 1024)	/* `run`/`check` stdin */
#define SSH_FPR_MAX		80	/* "SHA256:" + 43 base64 chars */
#define SSH_READ_CHUNK		4096	/* bytes pulled per read */
#define SSH_RUN_NAME		"<stdin>"	/* what diagnostics call it,
						   as `iridium run -` does */

enum ssh_mode {
	SSH_MODE_NONE,		/* no shell or exec yet */
	SSH_MODE_SHELL,		/* the interactive REPL */
	SSH_MODE_RUN,		/* exec "run": stdin is a program */
	SSH_MODE_CHECK,		/* exec "check": assemble stdin only */
	SSH_MODE_LINE,		/* exec anything else: one REPL line */
};

struct sshc {
	struct session		*s;
	struct session_io	 io;		/* lent to the session core */
	ssh_session		 ss;
	ssh_event		 ev;
	ssh_channel		 chan;		/* the one session channel */
	struct ssh_server_callbacks_struct scb;
	struct ssh_channel_callbacks_struct ccb;
	struct ssh_counter_struct raw;		/* bytes on the socket */

	/* Authentication. */
	bool			 authed;
	int			 failures;
	int			 queries;	/* auth_query sent */
	char			 user[MSG_NAME_MAX + 1];
	char			 keytype[48];
	char			 fpr[SSH_FPR_MAX];
	char			 sigalg[40];	/* of the signature checked last */
	char			*cert_probe;	/* base64 of the certificate last
						   accepted unsigned; or NULL */
	uint64_t		 grace_end;

	/* The session channel's requests. */
	enum ssh_mode		 mode;
	bool			 pty;
	char			 term[32];
	int			 cols, rows;
	char			*command;	/* exec's, as sent */
	bool			 chan_closed;	/* the client closed it */
	bool			 closed_local;	/* our CLOSE went out */
	bool			 in_eof;	/* ... or sent EOF */
	int			 refused;	/* channels refused */

	/* Input of `run` and `check`: the program (the shell's: the core). */
	struct buf		 prog;

	uint64_t		 keepalive_at;
	uint64_t		 raw_in_seen;	/* raw.in_bytes at the last look */
	bool			 broken;	/* the connection failed */
	const char		*bye_msg;	/* the DISCONNECT's; NULL: by
						   reason */
	char			 bye_buf[MSG_TEXT_MAX + 1];
	int			 status;	/* exit-status to send */
};

/* ssh.c: one turn of the event loop (timeout ms, 0 to poll, -1 none). */
void	ssh_turn(struct sshc *, int timeout);
/* ssh.c: now + ms, never past the end of a shutdown's grace. */
uint64_t ssh_until(const struct sshc *, uint64_t ms);
/* ssh.c: the supervisor said to end (its reason to the client). */
void	ssh_shutdown_bye(struct sshc *);
/* ssh.c: the connection failed or the client left. */
void	ssh_broken(struct sshc *, const char *what);

/* ssh.c: libssh's trace level on (authentication) or back to hello's. */
void	ssh_log_trace(bool on);

/* ssh_auth.c: the authentication callbacks into c->scb. */
void	ssh_auth_callbacks(struct sshc *);
/* ssh_auth.c: after the key exchange; -1: the session cannot go on. */
int	ssh_auth_begin(struct sshc *);
/*
 * ssh_auth.c: whether the login has ended without success (a reason, or
 * the last failure); then requests are left unanswered from here on.
 */
bool	ssh_auth_over(struct sshc *);
/* ssh_auth.c: an authentication request no callback took. */
void	ssh_auth_message(struct sshc *, ssh_message);
/* ssh_auth.c: a libssh log line, for what it says about signatures. */
void	ssh_auth_log(struct sshc *, const char *function, const char *line);

/* ssh_chan.c: lend the session core the channel's I/O (ssh_serve). */
void	ssh_chan_init(struct sshc *);
/* ssh_chan.c: the channel's callbacks (requests, EOF, close). */
void	ssh_chan_callbacks(struct sshc *);
/* ssh_chan.c: serve the channel once shell or exec has been accepted. */
void	ssh_chan_serve(struct sshc *);
/* ssh_chan.c: send what can go now, as the window and socket allow. */
void	ssh_chan_flush(struct sshc *);
/* ssh_chan.c: a note to the client on stderr (refusals), unmetered. */
void	ssh_chan_notice(struct sshc *, const char *msg);
/* ssh_chan.c: free what the channel held. */
void	ssh_chan_free(struct sshc *);
/* ssh_chan.c: take what the channel holds, as far as there is room. */
size_t	ssh_pull(struct sshc *);

/* ssh_exec.c: the !limits line of the ssh transport (session_io). */
void	ssh_exec_limits(void *arg, struct buf *out);
/* ssh_exec.c: exec "run", "check", or one REPL line. */
void	ssh_exec_run(struct sshc *);
void	ssh_exec_check(struct sshc *);
void	ssh_exec_line(struct sshc *);
/*
 * Whether an exec command is "resume" or "resume ID": then *id gets the
 * session (0: the most recent) and the channel serves a shell, which
 * resumes that session first.
 */
bool	ssh_exec_resume(const char *command, int64_t *id);

#endif

/*
 * ssh_internal.h: what the parts of the ssh transport share. Not an
 * interface (transport.h is: transport_ssh); only worker/ssh*.c
 * include it.
 *
 * worker/ssh.c owns the connection: the libssh set-up before lock-down,
 * key exchange, the channel requests, the event loop's turn and the end
 * of the connection; worker/ssh_auth.c authentication through the
 * supervisor.
 * worker/ssh_chan.c owns what flows on the one session channel: input
 * (the pty line editor or plain lines), output queues that respect the
 * channel window, limits and timers; worker/ssh_exec.c what runs behind
 * it: the REPL and the exec commands.
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
#include "ssh_tty.h"
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
			"rsa-sha2-512,rsa-sha2-256"

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

#define SSH_OUT		0	/* stdout: channel data */
#define SSH_ERR		1	/* stderr: extended data */

struct sshc {
	struct session		*s;
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
	bool			 sigint;	/* a "signal" request: INT */
	int			 refused;	/* channels refused */

	/* Input: lines for the REPL, or the program of run/check. */
	struct tty		 tty;
	struct buf		 inq;		/* complete lines, LF-ended */
	size_t			 inq_max;
	struct buf		 cur;
	struct buf		 echo;
	bool			 after_cr;
	bool			 discarding;
	struct buf		 prog;

	/* Output: outq[k].data[outoff[k] ..) waits for the window. */
	struct buf		 outq[2];
	size_t			 outoff[2];
	size_t			 outmax;
	struct buf		 conv;		/* converted REPL output */
	struct buf		 text;		/* our own lines, formatted */
	char			 lastout;
	uint64_t		 produced;	/* counted output (output_max) */
	uint64_t		 win_start;	/* output_rate window */
	uint64_t		 win_bytes;
	uint64_t		 progress;	/* the client last took output */

	struct repl		*repl;
	bool			 running;	/* inside repl_feed/run */
	bool			 interrupt;	/* ^C during a run */
	uint64_t		 dropped;	/* output dropped after ^C */
	uint64_t		 active;	/* last input, end of a command */
	uint64_t		 keepalive_at;
	uint64_t		 raw_in_seen;	/* raw.in_bytes at the last look */
	bool			 idle_warned;
	bool			 life_warned;
	bool			 broken;	/* the connection failed */
	const char		*reason;	/* set once: the session ends */
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

/* ssh_chan.c: the buffers, before anything can queue a notice. */
void	ssh_chan_init(struct sshc *);
/* ssh_chan.c: the channel's callbacks (requests, EOF, close). */
void	ssh_chan_callbacks(struct sshc *);
/* ssh_chan.c: serve the channel once shell or exec has been accepted. */
void	ssh_chan_serve(struct sshc *);
/* ssh_chan.c: send what can go now, as the window and socket allow. */
void	ssh_chan_flush(struct sshc *);
/* ssh_chan.c: bytes queued for the client (both streams). */
size_t	ssh_chan_pending(const struct sshc *);
/* ssh_chan.c: a note to the client on stderr (refusals), unmetered. */
void	ssh_chan_notice(struct sshc *, const char *msg);
/* ssh_chan.c: set the reason (once) with a goodbye line (msg may be NULL). */
void	ssh_chan_bye(struct sshc *, const char *reason, const char *msg);
/* ssh_chan.c: free the channel's buffers and REPL. */
void	ssh_chan_free(struct sshc *);
/* ssh_chan.c: set the reason, once, without a goodbye. */
void	ssh_end(struct sshc *, const char *reason);
/* ssh_chan.c: program or REPL output on stream k (converted, metered). */
int	ssh_out(struct sshc *, int k, const char *p, size_t n);
/* ssh_chan.c: a line of our own on stream k ("\n" line ends). */
void	ssh_text(struct sshc *, int k, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* ssh_chan.c: the REPL's prompt, in a shell. */
void	ssh_prompt(struct sshc *);
/* ssh_chan.c: take what the channel holds, as far as there is room. */
size_t	ssh_pull(struct sshc *);

/* ssh_exec.c: the REPL, with this session's limits; -1 after a goodbye. */
int	ssh_repl_new(struct sshc *);
/* ssh_exec.c: the REPL's poll callback, also run's. */
enum repl_poll ssh_repl_poll(void *arg);
/* ssh_exec.c: the CPU and lifetime limits. */
void	ssh_check(struct sshc *);
/* ssh_exec.c: the shell: every complete input line to the REPL. */
void	ssh_drain(struct sshc *);
/* ssh_exec.c: exec "run", "check", or one REPL line. */
void	ssh_exec_run(struct sshc *);
void	ssh_exec_check(struct sshc *);
void	ssh_exec_line(struct sshc *);

#endif

/*
 * chan.h: the worker's channel to the supervisor (fd MSG_CHAN_FD), and
 * the one dispatcher of what comes on it.
 *
 * Every message the worker sends goes out through chan_send(); every
 * message it receives comes in through chan_dispatch(), which checks it
 * against the worker's state (msg_recv), answers `ping` itself, and hands
 * any other type to the handler its owner registered with chan_on():
 * worker.c takes `session` and `shutdown` while idle; during a session
 * session.c takes `shutdown` and `auth_reply`, and the PROXY step
 * (proxy_step.c) `peer_verdict` while it waits for one. A message that
 * no owner registered for is the supervisor's bug: the worker dies, as
 * trust toward the supervisor says.
 */
#ifndef IRIDIUM_CHAN_H
#define IRIDIUM_CHAN_H

#include <stdbool.h>

#include "msg.h"

/* A handler: m is valid for the call only (the dispatcher clears it). */
typedef void	(*chan_fn)(void *arg, struct msg *m);

struct chan {
	unsigned	 state;		/* WS_*: what msg_recv() accepts */
	char		 during[48];	/* "while idle": for the fatal line */
	chan_fn		 fn[MSG_NTYPES];
	void		*arg[MSG_NTYPES];
	bool		 gone;		/* EOF, or a receive failed */
	int		 error;		/* ... its errno; 0 at EOF */
};

/* No handlers, in state (WS_*); during says so in fatal lines. */
void	chan_init(struct chan *, unsigned state, const char *during);
/* The worker's state changed: what msg_recv() accepts from now on. */
void	chan_state(struct chan *, unsigned state, const char *during);
/* Register fn for type (NULL: none; that type is then a bug again). */
void	chan_on(struct chan *, enum msg_type, chan_fn fn, void *arg);

/*
 * Send one message to the supervisor, waiting as long as it takes (a
 * SIGXCPU may interrupt it: sent again). A failure ends the process.
 */
void	chan_send(enum msg_type, const void *body);

/*
 * Receive one message and dispatch it. Returns 1 (handled), 0 (nothing
 * came after all: EINTR, EAGAIN) or -1 (the supervisor is gone: EOF or
 * a failed receive, which is logged; c->gone is set).
 */
int	chan_dispatch(struct chan *);
/*
 * Wait up to timeout_ms (-1: no limit) for the channel and dispatch one
 * message. The same returns as chan_dispatch() (0 also for the timeout).
 */
int	chan_wait(struct chan *, int timeout_ms);
/*
 * Dispatch what is waiting, at most max messages, without blocking.
 * Returns 0, or -1 when the supervisor is gone.
 */
int	chan_drain(struct chan *, int max);

#endif

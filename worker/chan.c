/*
 * chan.c: the worker's channel to the supervisor and its dispatcher (see
 * chan.h). The only code in the worker that calls msg_recv() on fd
 * MSG_CHAN_FD, and with chan_send() the only one that sends there, but
 * for the test-only hostile hooks (testhooks.c), which misbehave on
 * purpose.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>

#include <bsd/string.h>

#include "chan.h"
#include "log.h"
#include "msg.h"

void
chan_init(struct chan *c, unsigned state, const char *during)
{
	memset(c, 0, sizeof(*c));
	chan_state(c, state, during);
}

void
chan_state(struct chan *c, unsigned state, const char *during)
{
	c->state = state;
	strlcpy(c->during, during, sizeof(c->during));
}

void
chan_on(struct chan *c, enum msg_type type, chan_fn fn, void *arg)
{
	c->fn[type] = fn;
	c->arg[type] = fn != NULL ? arg : NULL;
}

void
chan_send(enum msg_type type, const void *body)
{
	char	 err[256];

	for (;;) {
		err[0] = '\0';
		if (msg_send(MSG_CHAN_FD, type, body, -1, 0, err,
		    sizeof(err)) == 0)
			return;
		/* SIGXCPU may interrupt a blocked send: that is no error. */
		if (errno != EINTR || err[0] != '\0')
			break;
	}
	if (err[0] != '\0')
		fatalx("send %s to supervisor: %s", msg_type_name(type), err);
	fatal("send %s to supervisor", msg_type_name(type));
}

int
chan_dispatch(struct chan *c)
{
	struct msg	 m;
	char		 err[512];
	int		 n;

	if (c->gone)
		return -1;
	n = msg_recv(MSG_CHAN_FD, MSG_FROM_SUPERVISOR, c->state, &m, err,
	    sizeof(err));
	if (n == -1 && (errno == EINTR || errno == EAGAIN))
		return 0;
	if (n == -1 || n == 0) {
		/* Nobody left to tell: the log goes to stderr. */
		c->error = n == -1 ? errno : 0;
		if (n == -1)
			log_warn("recv from supervisor");
		c->gone = true;
		return -1;
	}
	if (n == -2)
		fatalx("bad message from supervisor: %s", err);
	switch (m.type) {
	case MSG_PING:
		/* Answered in every state, by nobody but the channel. */
		chan_send(MSG_PONG, &m.u.ping);
		break;
	case MSG_PONG:
		break;
	default:
		if (c->fn[m.type] == NULL)
			fatalx("bad message from supervisor: %s %s",
			    msg_type_name(m.type), c->during);
		c->fn[m.type](c->arg[m.type], &m);
		break;
	}
	msg_clear(&m);
	return 1;
}

int
chan_wait(struct chan *c, int timeout_ms)
{
	struct pollfd	 pfd;
	int		 n;

	if (c->gone)
		return -1;
	pfd.fd = MSG_CHAN_FD;
	pfd.events = POLLIN;
	if ((n = poll(&pfd, 1, timeout_ms)) == -1) {
		if (errno == EINTR)
			return 0;
		fatal("poll");
	}
	if (n == 0)
		return 0;
	return chan_dispatch(c);
}

int
chan_drain(struct chan *c, int max)
{
	int	 i;

	for (i = 0; i < max && !c->gone; i++)
		if (chan_wait(c, 0) <= 0)
			break;
	return c->gone ? -1 : 0;
}

/*
 * ev.c: a minimal epoll loop (see ev.h). The supervisor's state is one
 * thread's, with one loop (filer.h's threads only do file work); signals
 * and time arrive as fds (signalfd, timerfd).
 */
#include <sys/epoll.h>

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ev.h"

int
ev_init(struct evloop *l)
{
	l->nregistered = 0;
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd == -1 ? -1 : 0;
}

void
ev_close(struct evloop *l)
{
	if (l->epfd != -1)
		close(l->epfd);
	l->epfd = -1;
}

void
ev_set(struct ev *e, int fd, ev_cb cb, void *arg)
{
	e->fd = fd;
	e->events = 0;
	e->added = 0;
	e->cb = cb;
	e->arg = arg;
}

int
ev_add(struct evloop *l, struct ev *e, uint32_t events)
{
	struct epoll_event ee;

	if (e->added)
		return ev_mod(l, e, events);
	memset(&ee, 0, sizeof(ee));
	ee.events = events;
	ee.data.ptr = e;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, e->fd, &ee) == -1)
		return -1;
	e->events = events;
	e->added = 1;
	l->nregistered++;
	return 0;
}

int
ev_mod(struct evloop *l, struct ev *e, uint32_t events)
{
	struct epoll_event ee;

	if (!e->added)
		return ev_add(l, e, events);
	if (e->events == events)
		return 0;
	memset(&ee, 0, sizeof(ee));
	ee.events = events;
	ee.data.ptr = e;
	if (epoll_ctl(l->epfd, EPOLL_CTL_MOD, e->fd, &ee) == -1)
		return -1;
	e->events = events;
	return 0;
}

void
ev_del(struct evloop *l, struct ev *e)
{
	if (!e->added)
		return;
	/* Fails only if the fd is already closed; nothing to undo then. */
	(void)epoll_ctl(l->epfd, EPOLL_CTL_DEL, e->fd, NULL);
	e->added = 0;
	e->events = 0;
	l->nregistered--;
}

int
ev_run_once(struct evloop *l, int timeout_ms)
{
	struct epoll_event	 evs[64];
	struct ev		*e;
	int			 n, i;

	n = epoll_wait(l->epfd, evs, 64, timeout_ms);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		e = evs[i].data.ptr;
		/*
		 * A callback earlier in this batch may have unregistered
		 * (and freed) another: callers defer frees to the next turn
		 * (wproc_bury), and a cleared `added` skips it here.
		 */
		if (e->added && e->cb != NULL)
			e->cb(e, evs[i].events);
	}
	return n;
}

int64_t
ev_now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

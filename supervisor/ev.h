/*
 * ev.h: the supervisor's event loop: one epoll set, callbacks per fd.
 *
 * Level-triggered, so a callback may stop early (a per-wakeup budget for
 * untrusted peers) and be called again on the next turn. Time comes from
 * ev_now_ms(), a monotonic clock in milliseconds.
 */
#ifndef IRIDIUM_EV_H
#define IRIDIUM_EV_H

#include <sys/epoll.h>

#include <stdint.h>

struct ev;
typedef void	(*ev_cb)(struct ev *, uint32_t events);

struct ev {
	int	 fd;
	uint32_t events;	/* EPOLLIN, EPOLLOUT ... while registered */
	int	 added;
	ev_cb	 cb;
	void	*arg;
};

struct evloop {
	int	 epfd;
	int	 nregistered;
};

int		 ev_init(struct evloop *);
void		 ev_close(struct evloop *);
void		 ev_set(struct ev *, int fd, ev_cb, void *arg);
int		 ev_add(struct evloop *, struct ev *, uint32_t events);
int		 ev_mod(struct evloop *, struct ev *, uint32_t events);
void		 ev_del(struct evloop *, struct ev *);
/* Wait up to timeout_ms (-1: forever) and run the callbacks. */
int		 ev_run_once(struct evloop *, int timeout_ms);
int64_t		 ev_now_ms(void);

#endif

/*
 * listener.c: listening sockets, accept, and the hand-off of each
 * connection to an idle worker of the listener's pool (see listener.h).
 *
 * The supervisor never reads from a client socket: it accepts, passes the
 * fd on with SCM_RIGHTS and closes its copy, or writes one fixed line
 * ("busy", "shutting down", a limit's refusal) and closes. Each accepted
 * connection first goes through admit_accept() (admit.c), which applies
 * the supervisor's own limits and returns its verdict: the hold the
 * connection carries on, or the line it is refused with, which this file
 * writes. Then its pool takes it (pool_take), or it is refused as busy.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "admit.h"
#include "config.h"
#include "listener.h"
#include "log.h"
#include "pool.h"

#define ACCEPTS_PER_WAKEUP	64
#define EMFILE_PAUSE_MS		1000

/* "127.0.0.1:2244" or "[::1]:2244". */
static void
format_addr(const struct sockaddr *sa, char *buf, size_t len)
{
	char	 host[INET6_ADDRSTRLEN];
	int	 port = 0;

	host[0] = '\0';
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		port = ntohs(s4->sin_port);
		snprintf(buf, len, "%s:%d", host, port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		port = ntohs(s6->sin6_port);
		snprintf(buf, len, "[%s]:%d", host, port);
	} else {
		snprintf(buf, len, "unknown");
	}
}

static bool
sa_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		return (ntohl(s4->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		return IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
		    s6->sin6_addr.s6_addr[12] == 127);
	}
	return false;
}

/* An admitted connection: to its pool, or refused as busy. */
static void
dispatch(struct listener *l, int fd, const char *peer, struct admit_hold *h)
{
	struct pool	*p = &l->pool;
	struct pending	 q;

	if (l->ctx->stopping) {
		admit_release(l->adm, h);
		pool_refuse(p, fd, SHUTDOWN_LINE);
		return;
	}
	memset(&q, 0, sizeof(q));
	q.fd = fd;
	strlcpy(q.peer, peer, sizeof(q.peer));
	q.since_ms = ev_now_ms();
	q.hold = *h;
	if (pool_take(p, &q) == 0)
		return;
	admit_log_refusal(l->adm, "busy", "listener %s: %s refused: all %u "
	    "worker%s (max_workers) busy, starting or ending, and %u "
	    "connection%s waiting (queue %u)", l->cfg.name, peer, p->nworkers,
	    plural(p->nworkers), p->qlen, plural(p->qlen), p->cfg.queue);
	admit_release(l->adm, &q.hold);
	pool_refuse(p, fd, BUSY_LINE);
}

static void
accept_cb(struct ev *e, uint32_t events)
{
	struct listener		*l = e->arg;
	struct sockaddr_storage	 ss;
	struct admit_hold	 h;
	socklen_t		 sl;
	char			 peer[MSG_ADDR_MAX + 1];
	char			 line[MSG_TEXT_MAX + 8];
	int			 fd, i;

	(void)events;
	for (i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
		sl = sizeof(ss);
		fd = accept4(l->fd, (struct sockaddr *)&ss, &sl,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			switch (errno) {
			case EAGAIN:
				return;
			case EINTR:
			case ECONNABORTED:
			case EPROTO:
				continue;
			case EMFILE:
			case ENFILE:
			case ENOBUFS:
			case ENOMEM:
				/* Out of fds: stop asking, or we spin. */
				log_warn("accept on %s; pausing accepts for "
				    "%dms", l->cfg.name, EMFILE_PAUSE_MS);
				ev_del(&l->ctx->loop, &l->ev);
				l->paused_until_ms = ev_now_ms() +
				    EMFILE_PAUSE_MS;
				return;
			default:
				log_warn("accept on %s", l->cfg.name);
				return;
			}
		}
		format_addr((struct sockaddr *)&ss, peer, sizeof(peer));
		l->pool.totals.accepted++;
		switch (admit_accept(l->adm, &l->cfg, (struct sockaddr *)&ss,
		    peer, &h, line, sizeof(line))) {
		case ADMIT_PASS:
			dispatch(l, fd, peer, &h);
			break;
		case ADMIT_REFUSE:
			pool_refuse(&l->pool, fd, line);
			break;
		case ADMIT_DROP:
			pool_refuse(&l->pool, fd, NULL);
			break;
		}
	}
}

struct listener *
listener_open(struct ctx *ctx, struct admission *adm, struct workers *wk,
    const struct listener_cfg *cfg, int fd, char *err, size_t errlen)
{
	struct listener		*l;
	struct addrinfo		 hints, *res = NULL;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof(ss);
	char			 port[8];
	int			 on = 1, rc;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		snprintf(err, errlen, "listener %s: %s", cfg->name,
		    strerror(errno));
		if (fd != -1)
			close(fd);
		return NULL;
	}
	l->ctx = ctx;
	l->adm = adm;
	l->cfg = *cfg;
	l->fd = -1;

	/* Socket activation: systemd opened it; we take it as it is. */
	if (fd != -1) {
		l->activated = true;
		if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
			snprintf(err, errlen, "listener %s: socket from "
			    "systemd: %s", cfg->name, strerror(errno));
			goto fail;
		}
		if (strcmp(cfg->transport, "line") == 0 &&
		    !sa_is_loopback((struct sockaddr *)&ss) &&
		    !cfg->allow_insecure_remote) {
			format_addr((struct sockaddr *)&ss, l->bound,
			    sizeof(l->bound));
			snprintf(err, errlen, "listener %s: refusing to serve "
			    "the unauthenticated line transport on the "
			    "non-loopback socket %s from systemd (use "
			    "allow_insecure_remote)", cfg->name, l->bound);
			goto fail;
		}
		goto opened;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	snprintf(port, sizeof(port), "%d", cfg->port);
	if ((rc = getaddrinfo(cfg->bind, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "listener %s: address %s: %s", cfg->name,
		    cfg->bind, gai_strerror(rc));
		goto fail;
	}
	if (strcmp(cfg->transport, "line") == 0 &&
	    !sa_is_loopback(res->ai_addr) && !cfg->allow_insecure_remote) {
		snprintf(err, errlen, "listener %s: refusing to serve the "
		    "unauthenticated line transport on non-loopback address "
		    "%s (use allow_insecure_remote)", cfg->name, cfg->bind);
		goto fail;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    (res->ai_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &on, sizeof(on)) == -1) ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, 128) == -1 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) == -1) {
		snprintf(err, errlen, "listener %s: %s port %d: %s",
		    cfg->name, cfg->bind, cfg->port, strerror(errno));
		goto fail;
	}
	freeaddrinfo(res);
	res = NULL;
opened:
	l->fd = fd;
	format_addr((struct sockaddr *)&ss, l->bound, sizeof(l->bound));
	l->bound_port = ss.ss_family == AF_INET ?
	    ntohs(((struct sockaddr_in *)&ss)->sin_port) :
	    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	if (pool_init(&l->pool, ctx, wk, adm, &l->cfg) == -1) {
		snprintf(err, errlen, "listener %s: %s", cfg->name,
		    strerror(errno));
		goto fail;
	}
	ev_set(&l->ev, fd, accept_cb, l);
	if (ev_add(&ctx->loop, &l->ev, EPOLLIN) == -1) {
		snprintf(err, errlen, "listener %s: epoll: %s", cfg->name,
		    strerror(errno));
		pool_free(&l->pool);
		goto fail;
	}
	log_info("listening on %s %s%s", cfg->name, l->bound, l->activated ?
	    " (socket from systemd)" : "");
	return l;
fail:
	if (res != NULL)
		freeaddrinfo(res);
	if (fd != -1)
		close(fd);
	free(l);
	return NULL;
}

void
listener_stop(struct listener *l)
{
	if (l->fd == -1)
		return;
	ev_del(&l->ctx->loop, &l->ev);
	close(l->fd);
	l->fd = -1;
}

void
listener_close(struct listener *l)
{
	listener_stop(l);
	pool_free(&l->pool);
	free(l);
}

void
listener_tick(struct listener *l, int64_t now)
{
	if (l->fd != -1 && l->paused_until_ms != 0 &&
	    now >= l->paused_until_ms) {
		l->paused_until_ms = 0;
		if (ev_add(&l->ctx->loop, &l->ev, EPOLLIN) == -1)
			log_warn("listener %s: epoll", l->cfg.name);
		else
			log_info("listener %s: accepting again", l->cfg.name);
	}
	pool_tick(&l->pool, now);
}

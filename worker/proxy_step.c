/*
 * proxy_step.c: the worker's PROXY step (proxy.h), between `session` and
 * the transport, on a listener with proxy_protocol set.
 *
 * The supervisor has checked that the connection comes from a trusted
 * balancer, and never reads client bytes itself; so the header is read
 * here, inside the sandbox, and exactly the header: each recv() asks for
 * no more than the parser's lower bound on what is left of it, so the
 * first byte the transport reads (a line, an SSH banner) is the client's.
 * The whole header must come within PROXY_TIMEOUT_MS of the session's
 * start (a trickle of bytes does not extend it); meanwhile the channel
 * is answered (ping, shutdown) through session_chan().
 *
 * Nothing is written to a connection whose header is missing, malformed,
 * oversized, truncated or late: the other end is a balancer, which logs
 * the abort, not a person. A valid header with a TCP address becomes a
 * `peer` message; the supervisor applies its per-source rules to that
 * address and answers `peer_verdict` (within PROXY_VERDICT_MS): allow,
 * and the session goes on as the real client; refuse, and the client (a
 * person now) gets the verdict's message as one line. LOCAL (a health
 * check) and UNKNOWN headers carry no client address: no `peer` is sent
 * and the session keeps the balancer's address, as the spec asks.
 */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "chan.h"
#include "log.h"
#include "msg.h"
#include "proxy.h"
#include "session.h"

#define PROXY_BYE_MS	2000	/* sending a refusal line */
#define PROXY_LINGER_MS	500	/* then reading what the client still sends */

/*
 * Wait until `until` for the channel and (events != 0) the client, and
 * answer the channel. Returns 0 (*client: the client is ready), -1 on a
 * poll error, -2 when the session must end (shutdown, or no channel).
 */
static int
step_poll(struct session *s, short events, uint64_t until, bool *client)
{
	struct pollfd	 pfd[2];
	uint64_t	 now = session_now();
	int		 n, nfds = 1;

	*client = false;
	pfd[0].fd = MSG_CHAN_FD;
	pfd[0].events = POLLIN;
	pfd[0].revents = 0;
	if (events != 0) {
		pfd[1].fd = s->client;
		pfd[1].events = events;
		pfd[1].revents = 0;
		nfds = 2;
	}
	n = poll(pfd, (nfds_t)nfds, now < until ? (int)(until - now) : 0);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	if (n > 0 && pfd[0].revents != 0 && session_chan(s) == -1)
		return -2;
	*client = nfds == 2 && pfd[1].revents != 0;
	return 0;
}

/* Close the client without a word, as for a balancer that got it wrong. */
static const char *
step_drop(struct session *s, const char *reason)
{
	close(s->client);
	s->client = -1;
	return reason;
}

/*
 * Read the header. Returns 0 with pp DONE, or -1 with the session's end
 * reason in *reason (the log line said why).
 */
static int
step_header(struct session *s, struct proxy_parser *pp, const char *from,
    const char **reason)
{
	uint8_t		 tmp[PROXY_HEADER_MAX];
	uint64_t	 until = s->start + PROXY_TIMEOUT_MS;
	ssize_t		 n;
	bool		 readable;
	int		 rv;

	proxy_init(pp);
	while (pp->result == PROXY_NEED_MORE) {
		if (session_now() >= until) {
			log_warnx("session %lld: PROXY header from %s: timed "
			    "out after %d s (%zu bytes received)",
			    (long long)s->id, from, PROXY_TIMEOUT_MS / 1000,
			    pp->len);
			*reason = SESSION_END_PROXY;
			return -1;
		}
		if ((rv = step_poll(s, POLLIN, until, &readable)) == -1) {
			log_warn("session %lld: poll", (long long)s->id);
			*reason = SESSION_END_ERROR;
			return -1;
		}
		if (rv == -2) {
			*reason = SESSION_END_SHUTDOWN;
			return -1;
		}
		if (!readable)
			continue;
		/* Never more than the header can still need. */
		n = recv(s->client, tmp, pp->need, MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n == -1) {
			log_warn("session %lld: PROXY header from %s: recv "
			    "after %zu bytes", (long long)s->id, from, pp->len);
			*reason = SESSION_END_PROXY;
			return -1;
		}
		if (n == 0) {
			if (pp->len == 0)
				log_info("session %lld: PROXY header from %s: "
				    "missing: the connection closed before "
				    "any byte", (long long)s->id, from);
			else
				log_warnx("session %lld: PROXY header from %s: "
				    "truncated: the connection closed after "
				    "%zu bytes", (long long)s->id, from,
				    pp->len);
			*reason = SESSION_END_PROXY;
			return -1;
		}
		(void)proxy_feed(pp, tmp, (size_t)n, NULL);
	}
	if (pp->result == PROXY_ERROR) {
		log_warnx("session %lld: PROXY header from %s: %s: %s",
		    (long long)s->id, from, proxy_error_name(pp->error),
		    pp->err);
		*reason = SESSION_END_PROXY;
		return -1;
	}
	return 0;
}

/* The supervisor's answer to our `peer`, taken while we wait for it. */
struct step_answer {
	bool			 in;
	struct msg_peer_verdict	 verdict;
};

static void
step_on_verdict(void *arg, struct msg *m)
{
	struct step_answer	*a = arg;

	a->verdict = m->u.peer_verdict;
	a->in = true;
}

/*
 * Tell the supervisor the real address and wait for its verdict. A
 * verdict at any other time is the supervisor's bug (chan.h): the
 * handler is registered only while this waits.
 */
static const char *
step_verdict(struct session *s, const struct proxy_header *h,
    struct step_answer *a)
{
	struct msg_peer	 pm;
	const char	*reason = NULL;
	uint64_t	 until;
	bool		 readable;
	int		 rv;

	memset(&pm, 0, sizeof(pm));
	strlcpy(pm.addr, h->src, sizeof(pm.addr));
	pm.port = h->sport;
	memset(a, 0, sizeof(*a));
	chan_on(s->chan, MSG_PEER_VERDICT, step_on_verdict, a);
	chan_send(MSG_PEER, &pm);
	until = session_now() + PROXY_VERDICT_MS;
	while (!a->in) {
		if (session_now() >= until) {
			log_warnx("session %lld: no peer_verdict from the "
			    "supervisor in %d s", (long long)s->id,
			    PROXY_VERDICT_MS / 1000);
			reason = SESSION_END_ERROR;
			break;
		}
		if ((rv = step_poll(s, 0, until, &readable)) == -1) {
			log_warn("session %lld: poll", (long long)s->id);
			reason = SESSION_END_ERROR;
			break;
		}
		if (rv == -2) {
			reason = SESSION_END_SHUTDOWN;
			break;
		}
	}
	chan_on(s->chan, MSG_PEER_VERDICT, NULL, NULL);
	return reason;
}

/*
 * The refusal: the message as one line, then our side closed, then what
 * the client still sends read (briefly) and dropped, so that its unread
 * bytes (a REPL line typed after the header) do not make the kernel
 * answer with a reset that throws the line away before it is read.
 */
static void
step_refuse(struct session *s, const char *message)
{
	struct pollfd	 pfd;
	char		 line[MSG_TEXT_MAX + 3];
	size_t		 off = 0, len;
	uint64_t	 until, now;
	ssize_t		 n;

	len = message[0] != '\0' ? (size_t)snprintf(line, sizeof(line),
	    "%s\r\n", message) : 0;
	if (len >= sizeof(line))
		len = sizeof(line) - 1;
	until = session_now() + PROXY_BYE_MS;
	while (off < len && (now = session_now()) < until) {
		n = send(s->client, line + off, len - off,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return;
		pfd.fd = s->client;
		pfd.events = POLLOUT;
		(void)poll(&pfd, 1, (int)(until - now));
	}
	(void)session_linger(s->client, session_now() + PROXY_LINGER_MS);
}

const char *
proxy_step(struct session *s, char *peer, size_t peerlen)
{
	struct proxy_parser	 pp;
	const struct proxy_header *h = &pp.hdr;
	struct step_answer	 a;
	const char		*from, *reason;

	from = s->peer != NULL && s->peer[0] != '\0' ? s->peer :
	    "an unknown peer";
	if (step_header(s, &pp, from, &reason) == -1)
		return step_drop(s, reason);
	if (h->kind != PROXY_KIND_PROXY) {
		log_info("session %lld: PROXY v%d %s header from %s: no "
		    "client address; the session keeps %s", (long long)s->id,
		    h->version, h->kind == PROXY_KIND_LOCAL ? "LOCAL" :
		    "UNKNOWN", from, from);
		return NULL;
	}
	log_info("session %lld: PROXY v%d header from %s: client %s%s%s:%u%s",
	    (long long)s->id, h->version, from, h->family == AF_INET6 ? "[" :
	    "", h->src, h->family == AF_INET6 ? "]" : "", h->sport,
	    h->crc32c ? " (CRC32C checked)" : "");
	if ((reason = step_verdict(s, h, &a)) != NULL)
		return step_drop(s, reason);
	if (!a.verdict.allow) {
		log_info("session %lld: client %s refused by the supervisor: "
		    "%s", (long long)s->id, h->src, a.verdict.message);
		step_refuse(s, a.verdict.message);
		return step_drop(s, SESSION_END_REFUSED);
	}
	snprintf(peer, peerlen, "%s%s%s:%u", h->family == AF_INET6 ? "[" : "",
	    h->src, h->family == AF_INET6 ? "]" : "", h->sport);
	s->peer = peer;
	return NULL;
}

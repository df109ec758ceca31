/*
 * session.c: the session core's state and the supervisor's side of it
 * (see session.h): opening and closing the session, its counters and
 * `status`, the idle and line clocks, `shutdown` and `auth_reply` as they
 * come on the channel, and the login's `auth_query`.
 */
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdarg.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <bsd/string.h>
#include <bsd/unistd.h>

#include "buf.h"
#include "chan.h"
#include "log.h"
#include "msg.h"
#include "sandbox.h"
#include "session.h"

#define SESSION_STATUS_MS	1000	/* at most one `status` a second */
#define SESSION_CHAN_BURST	32	/* channel messages handled per call */

uint64_t
session_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool
session_cpu_spent(const struct session *s)
{
	return s->xcpu != NULL && *s->xcpu != 0;
}

/* --- counters and status ------------------------------------------------ */

/* The session's counters but cpu_ms, which takes a system call. */
static void
session_activity(const struct session *s, struct msg_counters *c)
{
	uint64_t	 now = session_now();

	memset(c, 0, sizeof(*c));
	c->instructions = s->vm.instructions;
	c->heap_bytes = s->vm.heap_bytes;
	c->program_bytes = s->vm.program_bytes;
	c->commands = s->vm.commands;
	c->bytes_in = s->bytes_in;
	c->bytes_out = s->bytes_out;
	c->idle_seconds = now > s->idle_since ?
	    (now - s->idle_since) / 1000 : 0;
	c->duration_ms = now > s->start ? now - s->start : 0;
}

void
session_counters(const struct session *s, struct msg_counters *c)
{
	struct rusage	 ru;

	session_activity(s, c);
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		c->cpu_ms = (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) *
		    1000 + (uint64_t)(ru.ru_utime.tv_usec +
		    ru.ru_stime.tv_usec) / 1000;
	/* A session moved here by an upgrade: what its old worker used. */
	c->cpu_ms += s->cpu_carried_ms;
}

/* Whether anything a user would call activity changed. */
static bool
session_counters_changed(const struct msg_counters *a,
    const struct msg_counters *b)
{
	return a->instructions != b->instructions ||
	    a->heap_bytes != b->heap_bytes ||
	    a->program_bytes != b->program_bytes ||
	    a->bytes_in != b->bytes_in || a->bytes_out != b->bytes_out ||
	    a->commands != b->commands;
}

static void
session_status(struct session *s)
{
	struct msg_status	 st;

	memset(&st, 0, sizeof(st));
	strlcpy(st.state, "busy", sizeof(st.state));
	session_counters(s, &st.counters);
	chan_send(MSG_STATUS, &st);
	s->reported = st.counters;
	s->status_next = session_now() + SESSION_STATUS_MS;
}

int
session_tick(struct session *s)
{
	struct msg_counters	 c;
	uint64_t		 now;

	if (s->orphaned)
		return -1;
	/* Called for every line: the CPU time only when a status goes. */
	session_activity(s, &c);
	if (!session_counters_changed(&c, &s->reported))
		return -1;
	now = session_now();
	if (now < s->status_next)
		return (int)(s->status_next - now);
	session_status(s);
	return -1;
}

void
session_negotiated(struct session *s, const struct msg_negotiated *n)
{
	(void)s;
	chan_send(MSG_NEGOTIATED, n);
}

/* --- the channel, busy ---------------------------------------------------- */

static void
session_on_shutdown(void *arg, struct msg *m)
{
	struct session	*s = arg;

	log_debug("session %lld: shutdown (grace %lld s): %s",
	    (long long)s->id, (long long)m->u.shutdown.grace,
	    m->u.shutdown.reason);
	if (!s->shutdown) {
		s->shutdown_by = session_now() +
		    (uint64_t)m->u.shutdown.grace * 1000;
		strlcpy(s->shutdown_why, m->u.shutdown.reason,
		    sizeof(s->shutdown_why));
	}
	s->shutdown = true;
}

static void
session_on_auth_reply(void *arg, struct msg *m)
{
	struct session	*s = arg;

	if (!s->auth_pending)
		fatalx("bad message from supervisor: auth_reply without "
		    "auth_query");
	s->auth_pending = false;
	if (s->auth_waiting) {
		s->auth_reply = m->u.auth_reply;
		s->auth_in = true;
	} else {
		/* The answer to a query session_auth() gave up on. */
		log_debug("session %lld: late auth_reply ignored",
		    (long long)s->id);
	}
}

/* The session's recording (ssh: just before the login's auth_reply). */
static void
session_on_record(void *arg, struct msg *m)
{
	struct session	*s = arg;

	record_start(&s->rec, &m->u.record, m->fd, session_now());
	m->fd = -1;
	log_debug("session %lld: recorded (%s)", (long long)s->id,
	    m->u.record.mode);
}

int
session_chan(struct session *s)
{
	if (chan_drain(s->chan, SESSION_CHAN_BURST) == -1)
		s->orphaned = true;
	return s->shutdown || s->orphaned ? -1 : 0;
}

/* --- authentication --------------------------------------------------------- */

/* Take the tenant and its limits from an accepted `auth_reply`. */
static void
session_authed(struct session *s, const struct msg_auth_reply *r)
{
	struct msg_limits	 lim;
	uint64_t		 cpu = s->limits.cpu;
	char			 err[256];

	strlcpy(s->tenant_buf, r->tenant, sizeof(s->tenant_buf));
	s->tenant = s->tenant_buf;
	s->resume_window = (uint64_t)r->resume_window;
	strlcpy(s->resume_note, r->detached, sizeof(s->resume_note));
	msg_limits_min(&lim, s->ceilings, &r->limits);
	/* RLIMIT_CPU already holds the session's value: it cannot rise. */
	if (cpu != 0 && (lim.cpu == 0 || lim.cpu > cpu))
		lim.cpu = cpu;
	s->limits = lim;
	if (sandbox_lower(&s->limits, err, sizeof(err)) == -1)
		fatalx("session %lld: sandbox: %s", (long long)s->id, err);
	session_title(s);
	session_status(s);
}

int
session_auth(struct session *s, const struct msg_auth_query *q,
    int timeout_ms)
{
	uint64_t	 until = session_now() + (uint64_t)timeout_ms, now;
	int		 rv = -1;

	chan_send(MSG_AUTH_QUERY, q);
	s->auth_pending = true;
	s->auth_waiting = true;
	s->auth_in = false;
	/* A shutdown meanwhile still waits for the reply it must not miss. */
	while (!s->auth_in && !s->orphaned) {
		if ((now = session_now()) >= until) {
			log_warnx("session %lld: no auth_reply from the "
			    "supervisor in %d ms", (long long)s->id,
			    timeout_ms);
			break;
		}
		if (chan_wait(s->chan, (int)(until - now)) == -1)
			s->orphaned = true;
	}
	s->auth_waiting = false;
	if (s->auth_in && !s->auth_reply.ok)
		strlcpy(s->refusal, s->auth_reply.message,
		    sizeof(s->refusal));
	if (s->auth_in && (!s->shutdown || s->refusal[0] != '\0')) {
		rv = s->auth_reply.ok ? 1 : 0;
		if (rv == 1)
			session_authed(s, &s->auth_reply);
	}
	return rv;
}

/* --- the idle and line clocks ------------------------------------------------ */

uint64_t
session_line_done(struct session *s)
{
	s->idle_since = session_now();
	s->partial_since = 0;
	s->idle_warned = false;
	return s->idle_since;
}

void
session_partial(struct session *s, bool unfinished)
{
	if (!unfinished)
		s->partial_since = 0;
	else if (s->partial_since == 0)
		s->partial_since = session_now();
}

/* An end: its reason, the words for the client, and when it came. */
static void __attribute__((format(printf, 3, 4)))
session_due_end(struct session_due *d, const char *reason, const char *fmt,
    ...)
{
	va_list	 ap;

	d->end = reason;
	va_start(ap, fmt);
	vsnprintf(d->words, sizeof(d->words), fmt, ap);
	va_end(ap);
}

/* A warning: the words for the client, once. */
static void __attribute__((format(printf, 3, 4)))
session_due_warn(struct session_due *d, bool *warned, const char *fmt, ...)
{
	va_list	 ap;

	*warned = true;
	d->warn = true;
	va_start(ap, fmt);
	vsnprintf(d->words, sizeof(d->words), fmt, ap);
	va_end(ap);
}

/* The time an event at `at` is due, kept if it is the nearest. */
static void
session_due_at(struct session_due *d, uint64_t at)
{
	if (at < d->next)
		d->next = at;
}

void
session_due(struct session *s, uint64_t now, bool all, struct session_due *d)
{
	const struct msg_limits	*m = &s->limits;
	uint64_t		 at;

	memset(d, 0, sizeof(*d));
	d->next = UINT64_MAX;
	if (session_cpu_spent(s)) {
		log_info("session %lld: CPU limit of %llu s reached",
		    (long long)s->id, (unsigned long long)m->cpu);
		session_due_end(d, SESSION_END_CPU, "CPU time limit of %llu "
		    "second%s reached. Goodbye!", (unsigned long long)m->cpu,
		    plural(m->cpu));
		return;
	}
	if (m->lifetime != 0) {
		at = s->start + m->lifetime * 1000;
		if (now >= at) {
			session_due_end(d, SESSION_END_LIFETIME, "Session "
			    "lifetime of %llu second%s reached. Goodbye!",
			    (unsigned long long)m->lifetime, plural(m->lifetime));
			return;
		}
		session_due_at(d, at);
	}
	/* The rest is for between commands: a command is no input's fault. */
	if (!all)
		return;
	if (m->line_timeout != 0 && s->partial_since != 0) {
		at = s->partial_since + m->line_timeout * 1000;
		if (now >= at) {
			log_info("session %lld: a line begun %llu s ago is not "
			    "finished: line_timeout of %llu s reached",
			    (long long)s->id, (unsigned long long)((now -
			    s->partial_since) / 1000),
			    (unsigned long long)m->line_timeout);
			session_due_end(d, SESSION_END_LINE, "Line not "
			    "finished within %llu second%s. Goodbye!",
			    (unsigned long long)m->line_timeout,
			    plural(m->line_timeout));
			return;
		}
		session_due_at(d, at);
	}
	if (m->idle != 0) {
		at = s->idle_since + m->idle * 1000;
		if (now >= at) {
			log_info("session %lld: no complete line for %llu s: "
			    "idle limit reached", (long long)s->id,
			    (unsigned long long)m->idle);
			session_due_end(d, SESSION_END_IDLE, "Idle timeout. "
			    "Goodbye!");
			return;
		}
		session_due_at(d, at);
		if (m->idle_warn != 0 && m->idle_warn < m->idle &&
		    !s->idle_warned) {
			at -= m->idle_warn * 1000;
			if (now >= at) {
				session_due_warn(d, &s->idle_warned, "warning: "
				    "idle for %llu second%s; this session ends "
				    "in %llu second%s without input",
				    (unsigned long long)(m->idle - m->idle_warn),
				    plural(m->idle - m->idle_warn),
				    (unsigned long long)m->idle_warn,
				    plural(m->idle_warn));
				return;
			}
			session_due_at(d, at);
		}
	}
	if (m->lifetime != 0 && m->lifetime_warn != 0 &&
	    m->lifetime_warn < m->lifetime && !s->life_warned) {
		at = s->start + (m->lifetime - m->lifetime_warn) * 1000;
		if (now >= at) {
			session_due_warn(d, &s->life_warned, "warning: this "
			    "session ends in %llu second%s (lifetime limit of "
			    "%llu second%s)", (unsigned long long)m->lifetime_warn,
			    plural(m->lifetime_warn),
			    (unsigned long long)m->lifetime,
			    plural(m->lifetime));
			return;
		}
		session_due_at(d, at);
	}
}

/* --- !limits ------------------------------------------------------------------- */

void
session_limits_report(struct session *s, uint64_t produced, struct buf *out)
{
	const struct msg_limits	*m = &s->limits;
	struct msg_counters	 c;

	buf_printf(out, "line:         %llu bytes per input line\n",
	    (unsigned long long)m->line_max);
	buf_printf(out, "output:       %llu bytes written",
	    (unsigned long long)produced);
	if (m->output_max != 0)
		buf_printf(out, " of %llu", (unsigned long long)m->output_max);
	if (m->output_rate != 0)
		buf_printf(out, ", at most %llu bytes/s",
		    (unsigned long long)m->output_rate);
	buf_printf(out, "\nqueue:        %llu bytes held for a slow client\n",
	    (unsigned long long)m->outbuf_max);
	if (m->line_timeout != 0)
		buf_printf(out, "line time:    %llu s to finish a line once it "
		    "has begun\n", (unsigned long long)m->line_timeout);
	if (m->idle != 0) {
		buf_printf(out, "idle:         the session ends after %llu s "
		    "without input", (unsigned long long)m->idle);
		if (m->idle_warn != 0 && m->idle_warn < m->idle)
			buf_printf(out, " (warned %llu s before)",
			    (unsigned long long)m->idle_warn);
		buf_putc(out, '\n');
	}
	if (m->lifetime != 0) {
		buf_printf(out, "lifetime:     %llu of %llu s used",
		    (unsigned long long)((session_now() - s->start) / 1000),
		    (unsigned long long)m->lifetime);
		if (m->lifetime_warn != 0 && m->lifetime_warn < m->lifetime)
			buf_printf(out, " (warned %llu s before the end)",
			    (unsigned long long)m->lifetime_warn);
		buf_putc(out, '\n');
	}
	if (m->cpu != 0) {
		session_counters(s, &c);
		buf_printf(out, "cpu:          %llu.%01llu of %llu s used\n",
		    (unsigned long long)(c.cpu_ms / 1000),
		    (unsigned long long)(c.cpu_ms % 1000 / 100),
		    (unsigned long long)m->cpu);
	}
	/* The supervisor's own: sessions per tenant and per source. */
	if (s->quota != NULL)
		buf_puts(out, s->quota);
}

/* --- the socket's end --------------------------------------------------------- */

uint64_t
session_linger(int fd, uint64_t until)
{
	struct pollfd	 pfd;
	char		 tmp[4096];
	uint64_t	 now, got = 0;
	ssize_t		 n;

	if (shutdown(fd, SHUT_WR) == -1)
		return 0;
	while ((now = session_now()) < until) {
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(until - now)) <= 0)
			break;
		n = recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN && errno != EINTR))
			break;
		if (n > 0)
			got += (uint64_t)n;
	}
	return got;
}

/* --- open and close ----------------------------------------------------------- */

void
session_title(const struct session *s)
{
	setproctitle("%s s%lld %s %s", s->transport, (long long)s->id,
	    s->tenant[0] != '\0' ? s->tenant : "-",
	    s->peer[0] != '\0' ? s->peer : "-");
}

void
session_open(struct session *s, struct chan *ch, const struct msg_hello *h,
    struct msg *m, volatile sig_atomic_t *xcpu)
{
	const struct msg_session *ms = &m->u.session;
	char			 during[48], err[256];

	memset(s, 0, sizeof(*s));
	s->client = m->fd;
	m->fd = -1;
	s->resume_fd = -1;
	s->handover_fd = -1;
	s->takeover_fd = -1;
	s->takeover_rec = -1;
	s->exit_status = -1;
	record_init(&s->rec);
	if (strcmp(ms->transport, h->transport) != 0)
		fatalx("bad message from supervisor: a %s session for a %s "
		    "worker", ms->transport, h->transport);
	s->id = ms->id;
	s->transport = h->transport;
	s->listener = ms->listener;
	s->peer = ms->peer;
	s->tenant = ms->tenant;
	s->proxy = ms->proxy;
	s->quota = ms->quota;
	s->ceilings = &h->limits;
	s->chan = ch;
	s->xcpu = xcpu;
	msg_limits_min(&s->limits, &h->limits, &ms->limits);
	if (sandbox_lower(&s->limits, err, sizeof(err)) == -1)
		fatalx("session %lld: sandbox: %s", (long long)s->id, err);
	s->start = s->idle_since = session_now();
	snprintf(during, sizeof(during), "during a %s session", h->transport);
	chan_state(ch, WS_BUSY, during);
	chan_on(ch, MSG_SHUTDOWN, session_on_shutdown, s);
	chan_on(ch, MSG_AUTH_REPLY, session_on_auth_reply, s);
	chan_on(ch, MSG_HISTORY, session_on_history, s);
	chan_on(ch, MSG_HANDOVER, session_on_handover, s);
	chan_on(ch, MSG_HANDED, session_on_handed, s);
	chan_on(ch, MSG_RECONNECT, session_on_reconnect, s);
	chan_on(ch, MSG_RECORD, session_on_record, s);
	session_title(s);
	log_debug("session %lld: %s from %s on %s", (long long)s->id,
	    ms->transport, ms->peer, ms->listener);
	session_status(s);
}

void
session_close(struct session *s, const char *reason)
{
	struct msg_session_end	 end;

	chan_state(s->chan, WS_STOPPING, "after the session");
	record_end(&s->rec, session_now());
	if (s->orphaned) {
		log_warnx("session %lld: the supervisor went away",
		    (long long)s->id);
		return;
	}
	memset(&end, 0, sizeof(end));
	strlcpy(end.reason, reason, sizeof(end.reason));
	session_counters(s, &end.counters);
	end.exit_status = s->exit_status;
	log_debug("session %lld: ended (%s)", (long long)s->id, reason);
	chan_send(MSG_SESSION_END, &end);
}

/*
 * session_history.c: an ssh tenant's REPL history across its sessions,
 * the worker's half. The supervisor keeps the lines (one file per tenant
 * under its state directory); the worker never opens a file. After the
 * login the supervisor's `history` brings the tenant's last lines, given
 * to the REPL before its first prompt; at the end of the session, at a
 * detach, and at `!history clear`, `history_save` takes back only the
 * lines typed since (msg.h). Lines the message cannot carry (control
 * characters, invalid UTF-8) stay in this session only. A line session
 * never gets `history`: its history is its own.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "chan.h"
#include "log.h"
#include "msg.h"
#include "repl.h"
#include "session.h"
#include "utf8.h"

void
session_on_history(void *arg, struct msg *m)
{
	struct session		*s = arg;
	const struct msg_history *h = &m->u.history;

	/* It comes just before the auth_reply that accepts the login. */
	if (strcmp(s->transport, "ssh") != 0 || !s->auth_pending)
		fatalx("bad message from supervisor: history without a "
		    "login");
	s->hist_keep = (uint64_t)h->keep;
	buf_reset(&s->hist_in);
	if (h->lines != NULL &&
	    buf_append(&s->hist_in, h->lines, strlen(h->lines)) == -1)
		log_warnx("session %lld: no memory for the history",
		    (long long)s->id);
	if (s->repl != NULL)
		session_history_start(s);
}

void
session_history_start(struct session *s)
{
	const char	*p = s->hist_in.data, *e, *nl;

	if (s->repl == NULL)
		return;
	if (p != NULL)
		for (e = p + s->hist_in.len; p < e; p = nl + 1) {
			if ((nl = memchr(p, '\n', (size_t)(e - p))) == NULL)
				nl = e;
			repl_history_push(s->repl, p, (size_t)(nl - p));
		}
	buf_free(&s->hist_in);
	s->hist_base = repl_history_total(s->repl);
	s->hist_clears = repl_history_clears(s->repl);
}

/* Whether the message can carry the line (msg_history_ok's rules). */
static bool
session_history_fits(const char *p, size_t len)
{
	size_t		 i = 0, n;
	uint32_t	 cp;

	if (len == 0 || len > MSG_HISTORY_LINE)
		return false;
	while (i < len) {
		if ((n = utf8_decode((const uint8_t *)p + i, len - i,
		    &cp)) == 0)
			return false;
		if ((cp < 0x20 && cp != '\t') || (cp >= 0x7f && cp <= 0x9f))
			return false;
		i += n;
	}
	return true;
}

void
session_history_save(struct session *s)
{
	struct msg_history_save	 m;
	struct buf		 b;
	struct repl		*r = s->repl;
	uint64_t		 total, clears, fresh;
	size_t			 count, i, len, first, bytes = 0;
	const char		*p;

	if (s->hist_keep == 0 || r == NULL || s->orphaned)
		return;
	total = repl_history_total(r);
	clears = repl_history_clears(r);
	count = repl_history_count(r);
	memset(&m, 0, sizeof(m));
	m.clear = clears != s->hist_clears;
	fresh = m.clear ? total : total >= s->hist_base ?
	    total - s->hist_base : 0;
	if (fresh > count)
		fresh = count;
	if (fresh > s->hist_keep)
		fresh = s->hist_keep;
	/* The newest that fit in one message: from the end backwards. */
	for (first = count; first > count - fresh; first--) {
		p = repl_history_line(r, first - 1, &len);
		if (p == NULL || !session_history_fits(p, len))
			continue;
		if (bytes + len + (bytes > 0) > MSG_HISTORY_BYTES)
			break;
		bytes += len + (bytes > 0);
	}
	buf_init(&b, 0);
	for (i = first; i < count; i++) {
		p = repl_history_line(r, i, &len);
		if (p == NULL || !session_history_fits(p, len))
			continue;
		if ((b.len > 0 && buf_putc(&b, '\n') == -1) ||
		    buf_append(&b, p, len) == -1) {
			log_warnx("session %lld: no memory for the history",
			    (long long)s->id);
			buf_free(&b);
			return;
		}
	}
	s->hist_base = total;
	s->hist_clears = clears;
	if (!m.clear && b.len == 0) {
		buf_free(&b);
		return;
	}
	if (b.len > 0 && buf_putc(&b, '\0') == 0)
		m.lines = b.data;
	chan_send(MSG_HISTORY_SAVE, &m);
	buf_free(&b);
}

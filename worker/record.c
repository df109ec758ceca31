/*
 * record.c: a session's recording, the worker's side (see record.h):
 * events as asciicast v2 lines, whole lines per write(2), bounded by max.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "buf.h"
#include "log.h"
#include "msg.h"
#include "record.h"
#include "utf8.h"

#define RECORD_CHUNK	16384		/* data bytes per event at most */
#define RECORD_LINE_MAX	(RECORD_CHUNK * 6 + 256)
#define RECORD_TYPED_MAX	1024	/* input held at most */
#define RECORD_PEND_MAX	16384		/* output events held at most */

void
record_init(struct record *r)
{
	memset(r, 0, sizeof(*r));
	r->fd = -1;
}

void
record_start(struct record *r, const struct msg_record *m, int fd,
    uint64_t now)
{
	if (r->fd != -1)
		close(r->fd);
	buf_free(&r->line);
	buf_free(&r->typed);
	buf_free(&r->pend);
	record_init(r);
	r->fd = fd;
	r->input = strcmp(m->mode, "all") == 0;
	r->max = (uint64_t)m->max;
	r->t0 = now;
	buf_init(&r->typed, RECORD_TYPED_MAX);
	strlcpy(r->notice, m->notice, sizeof(r->notice));
	buf_init(&r->line, RECORD_LINE_MAX);
	buf_init(&r->pend, RECORD_PEND_MAX + RECORD_LINE_MAX);
}

void
record_adopt(struct record *r, int fd, bool input, uint64_t max,
    uint64_t used, bool full, uint64_t t0)
{
	struct msg_record	 m;

	memset(&m, 0, sizeof(m));
	strlcpy(m.mode, input ? "all" : "output", sizeof(m.mode));
	m.max = (int64_t)max;
	record_start(r, &m, fd, t0);
	r->used = used;
	r->full = full;
}

/*
 * The length of the UTF-8 character at p[0..n): 1..4 when whole and
 * valid, 0 when p holds only its beginning, -1 when it is not UTF-8.
 * A beginning is one that some continuation bytes would make valid.
 */
static int
utf8_len(const unsigned char *p, size_t n)
{
	uint8_t		 whole[4];
	uint32_t	 cp;
	size_t		 len, want;

	if ((len = utf8_decode(p, n, &cp)) > 0)
		return (int)len;
	want = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
	if (want == 0 || n >= want)
		return -1;
	memcpy(whole, p, n);
	/* The smallest continuation each position allows. */
	whole[n] = n > 1 ? 0x80 : p[0] == 0xe0 ? 0xa0 : p[0] == 0xf0 ?
	    0x90 : 0x80;
	memset(whole + n + 1, 0x80, sizeof(whole) - n - 1);
	return utf8_decode(whole, want, &cp) > 0 ? 0 : -1;
}

/* p[0..n) as the inside of a JSON string. */
static void
put_escaped(struct buf *b, const unsigned char *p, size_t n)
{
	static const char	 hex[] = "0123456789abcdef";
	size_t			 i = 0;
	int			 len;
	char			 e[7];

	while (i < n) {
		len = utf8_len(p + i, n - i);
		if (len <= 0) {
			(void)buf_puts(b, "\\ufffd");
			i++;
			continue;
		}
		if (len > 1) {
			(void)buf_append(b, p + i, (size_t)len);
			i += (size_t)len;
			continue;
		}
		switch (p[i]) {
		case '"':
			(void)buf_puts(b, "\\\"");
			break;
		case '\\':
			(void)buf_puts(b, "\\\\");
			break;
		case '\n':
			(void)buf_puts(b, "\\n");
			break;
		case '\r':
			(void)buf_puts(b, "\\r");
			break;
		case '\t':
			(void)buf_puts(b, "\\t");
			break;
		default:
			if (p[i] < 0x20 || p[i] == 0x7f) {
				memcpy(e, "\\u00", 4);
				e[4] = hex[p[i] >> 4];
				e[5] = hex[p[i] & 0xf];
				e[6] = '\0';
				(void)buf_puts(b, e);
			} else
				(void)buf_putc(b, (char)p[i]);
		}
		i++;
	}
}

void
record_flush(struct record *r)
{
	ssize_t	 w;

	if (r->fd == -1 || r->pend.len == 0)
		return;
	while ((w = write(r->fd, r->pend.data, r->pend.len)) == -1 &&
	    errno == EINTR)
		continue;
	if (w != (ssize_t)r->pend.len) {
		if (w == -1)
			log_warn("recording: write");
		else
			log_warnx("recording: short write (%zd of %zu bytes)",
			    w, r->pend.len);
		/* A torn line: nothing more, so every line before stays. */
		r->full = true;
	}
	buf_reset(&r->pend);
}

int
record_flush_due(struct record *r, uint64_t now)
{
	if (r->fd == -1 || r->pend.len == 0)
		return -1;
	if (now - r->held_since >= RECORD_HOLD_MS) {
		record_flush(r);
		return -1;
	}
	return (int)(RECORD_HOLD_MS - (now - r->held_since));
}

/*
 * r->line is a whole event: it joins the lines not yet written, which go
 * now (one write(2), whole lines only) unless hold says it may wait (an
 * output event: until the next input event, the session's next timer
 * turn past RECORD_HOLD_MS, or RECORD_PEND_MAX bytes).
 */
static void
put_line(struct record *r, bool hold, uint64_t now)
{
	if (buf_append(&r->pend, r->line.data, r->line.len) == -1) {
		record_flush(r);
		if (buf_append(&r->pend, r->line.data, r->line.len) == -1) {
			log_warnx("recording: out of memory");
			r->full = true;
			return;
		}
	}
	r->used += r->line.len;
	if (r->pend.len == r->line.len)
		r->held_since = now;
	if (!hold || r->pend.len >= RECORD_PEND_MAX)
		record_flush(r);
}

/* "[SECONDS.mmm, \"T\", \"" without printf: this is per event. */
static void
begin(struct record *r, char type, uint64_t now)
{
	uint64_t	 ms = now >= r->t0 ? now - r->t0 : 0, s = ms / 1000;
	char		 d[32], *p = d + sizeof(d);
	unsigned	 frac = (unsigned)(ms % 1000);

	*--p = '"';
	*--p = ' ';
	*--p = ',';
	*--p = '"';
	*--p = type;
	*--p = '"';
	*--p = ' ';
	*--p = ',';
	*--p = (char)('0' + frac % 10);
	*--p = (char)('0' + frac / 10 % 10);
	*--p = (char)('0' + frac / 100);
	*--p = '.';
	do
		*--p = (char)('0' + s % 10);
	while ((s /= 10) != 0);
	*--p = '[';
	buf_reset(&r->line);
	(void)buf_append(&r->line, p, (size_t)(d + sizeof(d) - p));
}

/* The event in r->line is complete: write it (or hold it), or stop at max. */
static void
finish(struct record *r, uint64_t now, bool hold)
{
	char	 mark[96];

	(void)buf_puts(&r->line, "\"]\n");
	if (r->max != 0 && r->used + r->line.len > r->max) {
		snprintf(mark, sizeof(mark), "recording stopped at its limit "
		    "of %" PRIu64 " bytes", r->max);
		begin(r, 'm', now);
		put_escaped(&r->line, (const unsigned char *)mark,
		    strlen(mark));
		(void)buf_puts(&r->line, "\"]\n");
		put_line(r, false, now);
		r->full = true;
		log_notice("%s; the session goes on", mark);
		return;
	}
	put_line(r, hold, now);
}

static void	emit(struct record *, char, const void *, size_t, uint64_t);

/*
 * "!resume " and a token (MSG_TOKEN_LEN base64url characters) in
 * p[0..n): the token becomes "(token)", in place; returns the new length.
 */
static size_t
redact_tokens(char *p, size_t n)
{
	static const char	 cmd[] = "!resume ", mask[] = "(token)";
	const size_t		 cl = sizeof(cmd) - 1, ml = sizeof(mask) - 1;
	size_t			 i = 0, t;

	while (i + cl + MSG_TOKEN_LEN <= n) {
		if (memcmp(p + i, cmd, cl) != 0) {
			i++;
			continue;
		}
		t = i + cl;
		if (!msg_token_ok(p + t, MSG_TOKEN_LEN) ||
		    (t + MSG_TOKEN_LEN < n && msg_token_ok(p + t +
		    MSG_TOKEN_LEN, 1))) {
			i++;
			continue;
		}
		memcpy(p + t, mask, ml);
		memmove(p + t + ml, p + t + MSG_TOKEN_LEN,
		    n - t - MSG_TOKEN_LEN);
		n -= MSG_TOKEN_LEN - ml;
		i = t + ml;
	}
	return n;
}


/* Held input goes out before anything else is recorded. */
static void
flush_typed(struct record *r, uint64_t now)
{
	if (r->typed.len == 0)
		return;
	r->typed.len = redact_tokens(r->typed.data, r->typed.len);
	emit(r, 'i', r->typed.data, r->typed.len, now);
	buf_reset(&r->typed);
}

void
record_data(struct record *r, char type, const void *p, size_t n,
    uint64_t now)
{
	size_t	 take;

	if (r->fd == -1 || r->full || n == 0 || (type == 'i' && !r->input))
		return;
	if (type != 'i') {
		flush_typed(r, now);
		emit(r, type, p, n, now);
		return;
	}
	/* Held up to a line's end (or RECORD_TYPED_MAX), then one event. */
	while (n > 0 && !r->full) {
		take = RECORD_TYPED_MAX - r->typed.len < n ?
		    RECORD_TYPED_MAX - r->typed.len : n;
		(void)buf_append(&r->typed, p, take);
		/* CR LF is one line's end: a lone CR waits for the next. */
		if (r->typed.len == RECORD_TYPED_MAX ||
		    memchr(p, '\n', take) != NULL)
			flush_typed(r, now);
		p = (const char *)p + take;
		n -= take;
	}
}

static void
emit(struct record *r, char type, const void *p, size_t n, uint64_t now)
{
	const unsigned char	*d = p;
	int			 k = type == 'i' ? 1 : 0;
	size_t			 take, j, head;

	if (r->full)
		return;
	/* A character begun by the last event: complete it first. */
	while (r->nheld[k] > 0 && r->nheld[k] < 4 && n > 0 &&
	    utf8_len(r->held[k], r->nheld[k]) == 0) {
		r->held[k][r->nheld[k]++] = *d++;
		n--;
	}
	if (r->nheld[k] > 0 && n == 0 &&
	    utf8_len(r->held[k], r->nheld[k]) == 0)
		return;		/* still not whole: wait for more */
	begin(r, type, now);
	head = r->line.len;
	if (r->nheld[k] > 0) {
		put_escaped(&r->line, r->held[k], r->nheld[k]);
		r->nheld[k] = 0;
	}
	for (;;) {
		take = n < RECORD_CHUNK ? n : RECORD_CHUNK;
		/* A character cut in two by the end of this piece. */
		for (j = take > 3 ? take - 3 : 0; j < take; j++) {
			if (d[j] < 0xc0 || utf8_len(d + j, take - j) != 0)
				continue;
			if (take == n) {
				memcpy(r->held[k], d + j, take - j);
				r->nheld[k] = take - j;
			}
			take = j;
			break;
		}
		put_escaped(&r->line, d, take);
		d += take;
		n -= take;
		if (n == 0 || r->nheld[k] > 0 || take == 0)
			break;
		finish(r, now, type == 'o');
		if (r->full)
			return;
		begin(r, type, now);
		head = r->line.len;
	}
	if (r->line.len > head)
		finish(r, now, type == 'o');
}

void
record_resize(struct record *r, unsigned cols, unsigned rows, uint64_t now)
{
	char	 size[32];

	if (r->fd == -1 || r->full)
		return;
	flush_typed(r, now);
	snprintf(size, sizeof(size), "%ux%u", cols, rows);
	begin(r, 'r', now);
	(void)buf_puts(&r->line, size);
	finish(r, now, false);
}

void
record_mark(struct record *r, const char *text, uint64_t now)
{
	if (r->fd == -1 || r->full)
		return;
	flush_typed(r, now);
	begin(r, 'm', now);
	put_escaped(&r->line, (const unsigned char *)text, strlen(text));
	finish(r, now, false);
}

void
record_stop(struct record *r, const char *why, uint64_t now)
{
	record_mark(r, why, now);
	r->full = true;
}

void
record_end(struct record *r, uint64_t now)
{
	int	 k;

	if (r->fd == -1)
		return;
	if (!r->full)
		flush_typed(r, now);
	for (k = 0; k < 2; k++)
		if (r->nheld[k] > 0 && !r->full) {
			begin(r, k == 1 ? 'i' : 'o', now);
			put_escaped(&r->line, r->held[k], r->nheld[k]);
			r->nheld[k] = 0;
			finish(r, now, false);
		}
	record_flush(r);
	close(r->fd);
	r->fd = -1;
	buf_free(&r->line);
	buf_free(&r->typed);
	buf_free(&r->pend);
}

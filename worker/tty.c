/*
 * tty.c: the line editor of a session whose client sends every key as
 * typed (see tty.h): the keys. The session core's input
 * (worker/session_in.c) feeds it each byte such a client sends once a
 * prompt is shown, and queues the echo at once.
 *
 * Bytes become keys here: UTF-8 characters (collected whole, so that
 * each is inserted and drawn as one), control keys, and escape sequences
 * (CSI and SS3: arrows, Home, End, Delete, the bracketed paste markers;
 * ESC and a letter: Alt). An escape sequence it does not know is read to
 * its end and ignored, never inserted. Typing at the end of the line
 * echoes the character alone; any other change redraws prompt and line
 * (tty_draw.c).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "tty.h"

#define TTY_BS		0x08
#define TTY_DEL		0x7f
#define TTY_ESC		0x1b
#define TTY_CTRL(c)	((c) & 0x1f)
#define TTY_PAT_MAX	256	/* a reverse search's pattern, in bytes */

enum {
	ESC_NONE,
	ESC_START,	/* after ESC */
	ESC_CSI,	/* after ESC [: parameters until a final byte */
	ESC_SS3,	/* after ESC O: one more byte */
	ESC_OSC,	/* after ESC ]: a string until BEL or ESC \ */
	ESC_OSC_ESC,	/* ... an ESC in it */
};

/* The keys that are not characters. */
enum tty_key {
	K_NONE,
	K_LEFT, K_RIGHT, K_UP, K_DOWN, K_HOME, K_END, K_DELETE,
	K_WORD_LEFT, K_WORD_RIGHT, K_KILL_WORD, K_RUBOUT_WORD,
	K_PASTE_START, K_PASTE_END,
};

void
tty_init(struct tty *t, size_t max, const struct tty_src *src)
{
	memset(t, 0, sizeof(*t));
	buf_init(&t->line, 0);
	buf_init(&t->prompt, 0);
	buf_init(&t->kill, 0);
	buf_init(&t->saved, 0);
	buf_init(&t->pat, 0);
	buf_init(&t->tmp, 0);
	t->max = max;
	t->src = src;
	t->cols = TTY_COLS_DEFAULT;
	t->esc = ESC_NONE;
}

void
tty_free(struct tty *t)
{
	buf_free(&t->line);
	buf_free(&t->prompt);
	buf_free(&t->kill);
	buf_free(&t->saved);
	buf_free(&t->pat);
	buf_free(&t->tmp);
}

const char *
tty_line(const struct tty *t, size_t *lenp)
{
	*lenp = t->line.len;
	return t->line.data != NULL ? t->line.data : "";
}

void
tty_next(struct tty *t)
{
	buf_reset(&t->line);
	t->cur = 0;
	t->full = false;
	t->walking = false;
	t->search = false;
	t->crow = t->erow = t->ecol = 0;
}

void
tty_width(struct tty *t, int cols)
{
	if (cols <= 0)
		cols = TTY_COLS_DEFAULT;	/* unknown (a client may say 0) */
	else if (cols < 2)
		cols = 2;
	if (cols > TTY_COLS_MAX)
		cols = TTY_COLS_MAX;
	t->cols = cols;
	/* A terminal that reflows keeps the cursor on its character. */
	if (t->shown) {
		tty_where(t, t->cur, &t->crow, &t->ecol);
		tty_where(t, t->line.len, &t->erow, &t->ecol);
	}
}

int
tty_prompt(struct tty *t, const char *prompt, struct buf *echo)
{
	bool	 first = !t->shown && t->prompt.data == NULL;

	buf_reset(&t->prompt);
	if (buf_puts(&t->prompt, prompt) == -1)
		return -1;
	t->shown = true;
	t->crow = 0;
	if (tty_draw(t, echo) == -1)
		return -1;
	/* Pasted text comes marked (and so never runs as typed keys). */
	if (first && buf_puts(echo, "\x1b[?2004h") == -1)
		return -1;
	return 0;
}

int
tty_adopt(struct tty *t, const char *prompt, struct buf *echo)
{
	buf_reset(&t->prompt);
	if (buf_puts(&t->prompt, prompt) == -1)
		return -1;
	t->shown = true;
	t->crow = 0;
	tty_where(t, t->line.len, &t->erow, &t->ecol);
	t->crow = t->erow;
	return buf_puts(echo, "\x1b[?2004h");
}

/* --- the line ------------------------------------------------------------- */

static bool
tty_cont(const struct tty *t, size_t i)
{
	return i < t->line.len &&
	    ((unsigned char)t->line.data[i] & 0xc0) == 0x80;
}

/* The start of the character that ends at p[n]. */
static size_t
tty_prev_in(const char *p, size_t n)
{
	size_t	 k = 0;

	while (n > 0) {
		n--;
		if (((unsigned char)p[n] & 0xc0) != 0x80 || ++k == 4)
			break;
	}
	return n;
}

/* The start of the character before i. */
static size_t
tty_prev(const struct tty *t, size_t i)
{
	return tty_prev_in(t->line.data, i);
}

/* The end of the character at i. */
static size_t
tty_after(const struct tty *t, size_t i)
{
	size_t	 len;

	if (i >= t->line.len)
		return t->line.len;
	(void)tty_charw(t->line.data + i, t->line.len - i, &len);
	return i + len;
}

/* One character left or right, over the marks that take no column. */
static size_t
tty_left(const struct tty *t, size_t i)
{
	size_t	 len;

	while (i > 0) {
		i = tty_prev(t, i);
		if (tty_charw(t->line.data + i, t->line.len - i, &len) > 0)
			break;
	}
	return i;
}

static size_t
tty_right(const struct tty *t, size_t i)
{
	size_t	 len;

	i = tty_after(t, i);
	while (i < t->line.len &&
	    tty_charw(t->line.data + i, t->line.len - i, &len) == 0)
		i += len;
	return i;
}

static bool
tty_wordc(unsigned char c)
{
	return c >= 0x80 || c == '_' || (c >= '0' && c <= '9') ||
	    ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static bool
tty_blankc(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* Alt-B: back over non-word characters, then over a word. */
static size_t
tty_word_left(const struct tty *t, size_t i)
{
	while (i > 0 && !tty_wordc((unsigned char)t->line.data[i - 1]))
		i--;
	while (i > 0 && tty_wordc((unsigned char)t->line.data[i - 1]))
		i--;
	while (tty_cont(t, i))
		i++;
	return i;
}

static size_t
tty_word_right(const struct tty *t, size_t i)
{
	size_t	 n = t->line.len;

	while (i < n && !tty_wordc((unsigned char)t->line.data[i]))
		i++;
	while (i < n && tty_wordc((unsigned char)t->line.data[i]))
		i++;
	while (tty_cont(t, i))
		i++;
	return i;
}

/* Remove line[a..b); kept for ^Y when kill. */
static int
tty_cut(struct tty *t, size_t a, size_t b, bool kill)
{
	if (a >= b)
		return 0;
	if (kill) {
		buf_reset(&t->kill);
		if (buf_append(&t->kill, t->line.data + a, b - a) == -1)
			return -1;
	}
	memmove(t->line.data + a, t->line.data + b, t->line.len - b);
	t->line.len -= b - a;
	t->line.data[t->line.len] = '\0';
	if (t->cur > b)
		t->cur -= b - a;
	else if (t->cur > a)
		t->cur = a;
	t->full = false;
	return 0;
}

/* How much of p[0..n) fits: whole characters only. */
static size_t
tty_fits(const struct tty *t, const char *p, size_t n)
{
	size_t	 room = t->line.len < t->max ? t->max - t->line.len : 0;

	if (n <= room)
		return n;
	n = room;
	while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80)
		n--;
	return n;
}

/* Insert p[0..n) at the cursor (as much as fits). */
static int
tty_insert(struct tty *t, const char *p, size_t n)
{
	size_t	 len = t->line.len;

	n = tty_fits(t, p, n);
	if (n == 0)
		return 0;
	if (buf_append(&t->line, p, n) == -1)	/* grow; then move */
		return -1;
	memmove(t->line.data + t->cur + n, t->line.data + t->cur,
	    len - t->cur);
	memcpy(t->line.data + t->cur, p, n);
	t->cur += n;
	return 0;
}

/* Replace the whole line (a history entry), the cursor at its end. */
static int
tty_set(struct tty *t, const char *p, size_t n)
{
	buf_reset(&t->line);
	t->cur = 0;
	if (n > 0 && p == t->saved.data) {
		/* tty_insert() may not read from a buffer it changes. */
		buf_reset(&t->tmp);
		if (buf_append(&t->tmp, p, n) == -1)
			return -1;
		p = t->tmp.data;
	}
	return tty_insert(t, p, n);
}

/*
 * Say text on a line of its own below the line, then draw prompt and
 * line again under it.
 */
static int
tty_below(struct tty *t, const char *text, size_t n, struct buf *echo)
{
	size_t	 row, col;

	tty_where(t, t->cur, &row, &col);
	if (t->erow > row &&
	    buf_printf(echo, "\x1b[%zuB", t->erow - row) == -1)
		return -1;
	if (buf_puts(echo, "\r\n") == -1 || buf_append(echo, text, n) == -1 ||
	    buf_puts(echo, "\r\n") == -1)
		return -1;
	t->crow = 0;
	return tty_refresh(t, echo);
}

/* A character typed: insert it, echo it alone when that is enough. */
static int
tty_typed(struct tty *t, const char *p, size_t n, struct buf *echo,
    enum tty_event *ev)
{
	size_t	 len, w;
	char	 msg[80];
	int	 k;

	if (tty_fits(t, p, n) < n) {
		if (t->full)
			return buf_putc(echo, '\a');
		t->full = true;
		*ev = TTY_FULL;
		k = snprintf(msg, sizeof(msg), "(a line holds %zu bytes at "
		    "most)", t->max);
		return tty_below(t, msg, (size_t)k, echo);
	}
	if (t->cur < t->line.len || t->search) {
		if (tty_insert(t, p, n) == -1)
			return -1;
		return tty_refresh(t, echo);
	}
	if (tty_insert(t, p, n) == -1)
		return -1;
	w = (size_t)tty_charw(p, n, &len);
	if (t->ecol + w > (size_t)t->cols) {
		t->erow++;	/* the terminal wraps it */
		t->ecol = 0;
	}
	if (tty_text(echo, p, n) == -1)
		return -1;
	t->ecol += w;
	if (t->ecol >= (size_t)t->cols) {
		t->erow++;
		t->ecol = 0;
		if (buf_puts(echo, TTY_WRAP) == -1)
			return -1;
	}
	t->crow = t->erow;
	return 0;
}

/* Backspace: the character before the cursor. */
static int
tty_rubout(struct tty *t, struct buf *echo)
{
	size_t	 a, len;
	int	 w, i;

	if (t->cur == 0)
		return 0;
	a = tty_prev(t, t->cur);
	w = tty_charw(t->line.data + a, t->line.len - a, &len);
	if (tty_cut(t, a, t->cur, false) == -1)
		return -1;
	if (t->cur < t->line.len || t->search || w == 0 ||
	    t->ecol < (size_t)w)
		return tty_refresh(t, echo);
	for (i = 0; i < 3 * w; i++)
		if (buf_putc(echo, i < w || i >= 2 * w ? '\b' : ' ') == -1)
			return -1;
	t->ecol -= (size_t)w;
	return 0;
}

/* ^T: swap the characters before and at the cursor (at the end: the
 * last two), the cursor after both. */
static int
tty_transpose(struct tty *t)
{
	size_t	 a, b, c, n1, n2;

	if (t->line.len == 0 || t->cur == 0)
		return 0;
	if (t->cur == t->line.len)
		t->cur = tty_prev(t, t->cur);
	if (t->cur == 0)
		return 0;
	a = tty_prev(t, t->cur);
	b = t->cur;
	c = tty_after(t, b);
	n1 = b - a;
	n2 = c - b;
	buf_reset(&t->tmp);
	if (buf_append(&t->tmp, t->line.data + b, n2) == -1 ||
	    buf_append(&t->tmp, t->line.data + a, n1) == -1)
		return -1;
	memcpy(t->line.data + a, t->tmp.data, n1 + n2);
	t->cur = c;
	return 0;
}

/* --- history ------------------------------------------------------------ */

static size_t
tty_hcount(const struct tty *t)
{
	if (t->src == NULL || t->src->hist_count == NULL ||
	    t->src->hist_line == NULL)
		return 0;
	return t->src->hist_count(t->src->arg);
}

static const char *
tty_hline(const struct tty *t, size_t i, size_t *lenp)
{
	const char	*p = t->src->hist_line(t->src->arg, i, lenp);

	if (p == NULL)
		*lenp = 0;
	return p != NULL ? p : "";
}

static bool
tty_same(const struct tty *t, const char *p, size_t n)
{
	return n == t->line.len && (n == 0 || memcmp(p, t->line.data, n) == 0);
}

static int
tty_walk_start(struct tty *t)
{
	if (t->walking)
		return 0;
	t->walking = true;
	t->hidx = tty_hcount(t);
	buf_reset(&t->saved);
	return buf_append(&t->saved, t->line.data, t->line.len);
}

/* Up (dir -1) or Down (+1), past entries that show the same line. */
static int
tty_history(struct tty *t, int dir, struct buf *echo)
{
	size_t		 n = tty_hcount(t), i, len;
	const char	*p;

	if (n == 0 || tty_walk_start(t) == -1)
		return n == 0 ? 0 : -1;
	if (t->hidx > n)
		t->hidx = n;
	i = t->hidx;
	for (;;) {
		if (dir < 0) {
			if (i == 0)
				return buf_putc(echo, '\a');
			i--;
		} else {
			if (i >= n)
				return 0;
			if (++i == n) {
				t->hidx = n;
				if (tty_set(t, t->saved.data,
				    t->saved.len) == -1)
					return -1;
				return tty_refresh(t, echo);
			}
		}
		p = tty_hline(t, i, &len);
		if (!tty_same(t, p, len))
			break;
	}
	t->hidx = i;
	if (tty_set(t, p, len) == -1)
		return -1;
	return tty_refresh(t, echo);
}

/* ^R: the newest entry before from that holds the pattern. */
static int
tty_find(struct tty *t, size_t from)
{
	const char	*p, *hit;
	size_t		 len, i;

	for (i = from; i > 0; i--) {
		p = tty_hline(t, i - 1, &len);
		if (t->pat.len == 0 || len < t->pat.len)
			continue;
		hit = memmem(p, len, t->pat.data, t->pat.len);
		if (hit == NULL)
			continue;
		t->sidx = i;
		t->failed = false;
		if (tty_set(t, p, len) == -1)
			return -1;
		t->cur = (size_t)(hit - p) < t->line.len ?
		    (size_t)(hit - p) : t->line.len;
		return 0;
	}
	t->failed = t->pat.len > 0;
	return 0;
}

/* A key during ^R; 1 when it ends the search and is still to be done. */
static int
tty_search_key(struct tty *t, unsigned char c, struct buf *echo)
{
	size_t	 n = tty_hcount(t);

	if (c == TTY_CTRL('R')) {
		if (tty_find(t, t->sidx > 0 ? t->sidx - 1 : n) == -1)
			return -1;
	} else if (c == TTY_CTRL('G')) {
		t->search = false;
		t->walking = false;
		if (tty_set(t, t->saved.data, t->saved.len) == -1)
			return -1;
	} else if (c == TTY_BS || c == TTY_DEL) {
		if (t->pat.len > 0)
			t->pat.len = tty_prev_in(t->pat.data, t->pat.len);
		t->sidx = 0;
		if (tty_find(t, n) == -1)
			return -1;
	} else {
		/* Any other key takes the line found, then does its work. */
		t->search = false;
		t->hidx = t->sidx > 0 ? t->sidx - 1 : n;
		if (tty_refresh(t, echo) == -1)
			return -1;
		return 1;
	}
	return tty_refresh(t, echo);
}

/* --- completion ----------------------------------------------------------- */

/* Tab: one candidate completes, several complete what they share and
 * are listed below the line. */
static int
tty_complete(struct tty *t, struct buf *echo)
{
	struct buf	*c = &t->tmp;
	size_t		 n, start = 0, i, j, common, len, listed = 0;
	const char	*p, *first;
	char		 more[64];

	if (t->src == NULL || t->src->complete == NULL)
		return buf_putc(echo, '\a');
	t->walking = false;	/* saved is used below */
	buf_reset(c);
	n = t->src->complete(t->src->arg, t->line.data != NULL ?
	    t->line.data : "", t->cur, &start, c);
	if (n == 0 || c->len == 0 || start > t->cur)
		return buf_putc(echo, '\a');
	/* What every candidate shares (the first's length at most). */
	first = c->data;
	common = (size_t)(strchr(first, '\n') - first);
	for (p = first; (p = strchr(p, '\n')) != NULL && p[1] != '\0';) {
		p++;
		for (j = 0; j < common && p[j] == first[j]; j++)
			continue;
		common = j;
	}
	if (common > t->cur - start || n == 1) {
		buf_reset(&t->saved);
		if (buf_append(&t->saved, first, common) == -1 ||
		    (n == 1 && (t->cur == t->line.len ||
		    !tty_blankc((unsigned char)t->line.data[t->cur])) &&
		    buf_putc(&t->saved, ' ') == -1))
			return -1;
		if (tty_cut(t, start, t->cur, false) == -1 ||
		    tty_insert(t, t->saved.data, t->saved.len) == -1)
			return -1;
		t->walking = false;
	}
	if (n == 1)
		return tty_refresh(t, echo);
	/* The list, as one text: reuse saved (free now). */
	buf_reset(&t->saved);
	for (p = c->data; *p != '\0' && listed < TTY_LIST_MAX; p += len + 1) {
		len = (size_t)(strchr(p, '\n') - p);
		if ((listed > 0 && buf_puts(&t->saved, "  ") == -1) ||
		    buf_append(&t->saved, p, len) == -1)
			return -1;
		listed++;
	}
	if (n > listed) {
		i = (size_t)snprintf(more, sizeof(more), "  (and %zu more)",
		    n - listed);
		if (buf_append(&t->saved, more, i) == -1)
			return -1;
	}
	return tty_below(t, t->saved.data, t->saved.len, echo);
}

/* --- keys ------------------------------------------------------------------ */

/* A CSI sequence's final byte with its parameters: the key. */
static enum tty_key
tty_csi(const struct tty *t, unsigned char fin)
{
	const char	*p = t->par;

	if (t->par_over)
		return K_NONE;
	switch (fin) {
	case 'A': return K_UP;
	case 'B': return K_DOWN;
	case 'C':
	case 'D':
		/* ESC [ 1 ; 5 C: with Ctrl (3: Alt): by words. */
		if (strcmp(p, "1;5") == 0 || strcmp(p, "1;3") == 0 ||
		    strcmp(p, "5") == 0)
			return fin == 'C' ? K_WORD_RIGHT : K_WORD_LEFT;
		return fin == 'C' ? K_RIGHT : K_LEFT;
	case 'H': return K_HOME;
	case 'F': return K_END;
	case '~':
		if (strcmp(p, "1") == 0 || strcmp(p, "7") == 0)
			return K_HOME;
		if (strcmp(p, "4") == 0 || strcmp(p, "8") == 0)
			return K_END;
		if (strcmp(p, "3") == 0)
			return K_DELETE;
		if (strcmp(p, "200") == 0)
			return K_PASTE_START;
		if (strcmp(p, "201") == 0)
			return K_PASTE_END;
		return K_NONE;
	}
	return K_NONE;
}

/* Inside an escape sequence: the key it makes once complete. */
static enum tty_key
tty_escape(struct tty *t, unsigned char c)
{
	switch (t->esc) {
	case ESC_START:
		t->esc = ESC_NONE;
		if (c == '[' || c == 'O') {
			t->esc = c == '[' ? ESC_CSI : ESC_SS3;
			t->npar = 0;
			t->par[0] = '\0';
			t->par_over = false;
			return K_NONE;
		}
		switch (c) {
		case TTY_ESC:
			/* ESC ESC [ A: Alt with an arrow, or a key pressed
			 * after ESC: the second starts the sequence. */
			t->esc = ESC_START;
			return K_NONE;
		case ']':
			t->esc = ESC_OSC;
			return K_NONE;
		case 'b': case 'B': return K_WORD_LEFT;
		case 'f': case 'F': return K_WORD_RIGHT;
		case 'd': case 'D': return K_KILL_WORD;
		case TTY_DEL: case TTY_BS: return K_RUBOUT_WORD;
		}
		return K_NONE;
	case ESC_CSI:
		if (c >= 0x20 && c <= 0x3f) {
			/* Parameters and intermediates. */
			if (t->npar + 1 < sizeof(t->par)) {
				t->par[t->npar++] = (char)c;
				t->par[t->npar] = '\0';
			} else
				t->par_over = true;
			return K_NONE;
		}
		t->esc = ESC_NONE;
		if (c >= 0x40 && c <= 0x7e)
			return tty_csi(t, c);
		return K_NONE;	/* malformed: given up */
	case ESC_OSC:
	case ESC_OSC_ESC:
		/* A terminal's report: up to BEL or ESC \ (a line end, so
		 * that a stray ESC ] cannot swallow what follows for long). */
		if (c == 0x07 || c == '\r' || c == '\n' ||
		    (t->esc == ESC_OSC_ESC && c == '\\'))
			t->esc = ESC_NONE;
		else
			t->esc = c == TTY_ESC ? ESC_OSC_ESC : ESC_OSC;
		return K_NONE;
	case ESC_SS3:
		t->esc = ESC_NONE;
		switch (c) {
		case 'A': return K_UP;
		case 'B': return K_DOWN;
		case 'C': return K_RIGHT;
		case 'D': return K_LEFT;
		case 'H': return K_HOME;
		case 'F': return K_END;
		}
		return K_NONE;
	}
	t->esc = ESC_NONE;
	return K_NONE;
}

/* Move the cursor to i and show it there. */
static int
tty_move(struct tty *t, size_t i, struct buf *echo)
{
	if (i == t->cur)
		return 0;
	t->cur = i;
	return tty_refresh(t, echo);
}

static int
tty_key(struct tty *t, enum tty_key k, struct buf *echo)
{
	size_t	 i;

	if (k == K_PASTE_START || k == K_PASTE_END) {
		t->paste = k == K_PASTE_START;
		return 0;
	}
	if (k == K_NONE || t->paste)
		return 0;	/* pasted: no key does its work */
	if (t->search) {
		t->search = false;
		t->hidx = t->sidx > 0 ? t->sidx - 1 : tty_hcount(t);
	}
	switch (k) {
	case K_LEFT:
		return tty_move(t, tty_left(t, t->cur), echo);
	case K_RIGHT:
		return tty_move(t, tty_right(t, t->cur), echo);
	case K_HOME:
		return tty_move(t, 0, echo);
	case K_END:
		return tty_move(t, t->line.len, echo);
	case K_WORD_LEFT:
		return tty_move(t, tty_word_left(t, t->cur), echo);
	case K_WORD_RIGHT:
		return tty_move(t, tty_word_right(t, t->cur), echo);
	case K_UP:
		return tty_history(t, -1, echo);
	case K_DOWN:
		return tty_history(t, 1, echo);
	case K_DELETE:
		if (t->cur == t->line.len)
			return 0;
		if (tty_cut(t, t->cur, tty_right(t, t->cur), false) == -1)
			return -1;
		return tty_refresh(t, echo);
	case K_KILL_WORD:
		i = tty_word_right(t, t->cur);
		if (tty_cut(t, t->cur, i, true) == -1)
			return -1;
		return tty_refresh(t, echo);
	case K_RUBOUT_WORD:
		i = tty_word_left(t, t->cur);
		if (tty_cut(t, i, t->cur, true) == -1)
			return -1;
		return tty_refresh(t, echo);
	default:
		return 0;
	}
}

/* A control key (not ESC, CR, LF). */
static int
tty_control(struct tty *t, unsigned char c, struct buf *echo,
    enum tty_event *ev)
{
	size_t	 i;

	switch (c) {
	case TTY_CTRL('A'):
		return tty_key(t, K_HOME, echo);
	case TTY_CTRL('E'):
		return tty_key(t, K_END, echo);
	case TTY_CTRL('B'):
		return tty_key(t, K_LEFT, echo);
	case TTY_CTRL('F'):
		return tty_key(t, K_RIGHT, echo);
	case TTY_CTRL('P'):
		return tty_key(t, K_UP, echo);
	case TTY_CTRL('N'):
		return tty_key(t, K_DOWN, echo);
	case TTY_BS:
	case TTY_DEL:
		return tty_rubout(t, echo);
	case TTY_CTRL('D'):
		if (t->line.len == 0) {
			*ev = TTY_EOF;
			t->shown = false;
			return 0;
		}
		return tty_key(t, K_DELETE, echo);
	case TTY_CTRL('K'):
		if (tty_cut(t, t->cur, t->line.len, true) == -1)
			return -1;
		return tty_refresh(t, echo);
	case TTY_CTRL('U'):
		if (tty_cut(t, 0, t->cur, true) == -1)
			return -1;
		return tty_refresh(t, echo);
	case TTY_CTRL('W'):
		/* The blanks before the cursor, then the word before them. */
		i = t->cur;
		while (i > 0 && tty_blankc((unsigned char)t->line.data[i - 1]))
			i--;
		while (i > 0 && !tty_blankc((unsigned char)t->line.data[i - 1]))
			i--;
		if (tty_cut(t, i, t->cur, true) == -1)
			return -1;
		return tty_refresh(t, echo);
	case TTY_CTRL('Y'):
		if (t->kill.len == 0)
			return 0;
		buf_reset(&t->tmp);
		if (buf_append(&t->tmp, t->kill.data, t->kill.len) == -1 ||
		    tty_insert(t, t->tmp.data, t->tmp.len) == -1)
			return -1;
		return tty_refresh(t, echo);
	case TTY_CTRL('T'):
		if (tty_transpose(t) == -1)
			return -1;
		return tty_refresh(t, echo);
	case TTY_CTRL('L'):
		t->crow = 0;
		if (buf_puts(echo, "\x1b[H\x1b[2J") == -1)
			return -1;
		return tty_refresh(t, echo);
	case TTY_CTRL('R'):
		if (tty_hcount(t) == 0)
			return buf_putc(echo, '\a');
		if (tty_walk_start(t) == -1)
			return -1;
		t->search = true;
		t->failed = false;
		t->sidx = 0;
		buf_reset(&t->pat);
		return tty_refresh(t, echo);
	case '\t':
		return tty_complete(t, echo);
	}
	return 0;	/* other controls: nothing to do */
}

/* The line is done: the cursor after it, on to the next row. */
static int
tty_done(struct tty *t, struct buf *echo, enum tty_event *ev)
{
	if (t->search) {
		t->search = false;
		if (tty_refresh(t, echo) == -1)
			return -1;
	}
	if (t->cur != t->line.len && tty_move(t, t->line.len, echo) == -1)
		return -1;
	*ev = TTY_LINE;
	t->shown = false;
	return buf_puts(echo, "\r\n");
}

/* A whole character (or a byte that starts none) typed. */
static int
tty_char(struct tty *t, const char *p, size_t n, struct buf *echo,
    enum tty_event *ev)
{
	if (t->search) {
		if (t->pat.len + n > TTY_PAT_MAX)
			return buf_putc(echo, '\a');
		if (buf_append(&t->pat, p, n) == -1 ||
		    tty_find(t, t->sidx > 0 ? t->sidx : tty_hcount(t)) == -1)
			return -1;
		return tty_refresh(t, echo);
	}
	return tty_typed(t, p, n, echo, ev);
}

/* The bytes of an unfinished UTF-8 character, each as one. */
static int
tty_flush_u8(struct tty *t, struct buf *echo, enum tty_event *ev)
{
	size_t	 i, n = t->nu8;

	t->nu8 = 0;
	for (i = 0; i < n; i++)
		if (tty_char(t, (const char *)&t->u8[i], 1, echo, ev) == -1)
			return -1;
	return 0;
}

int
tty_byte(struct tty *t, unsigned char c, struct buf *echo,
    enum tty_event *ev)
{
	int	 r;

	*ev = TTY_NONE;
	if (t->esc != ESC_NONE)
		return tty_key(t, tty_escape(t, c), echo);
	if (t->after_cr) {
		t->after_cr = false;
		if (c == '\n' || c == '\0')
			return 0;	/* CR LF and CR NUL are one line end */
	}
	if (t->nu8 > 0) {
		if ((c & 0xc0) == 0x80) {
			t->u8[t->nu8++] = c;
			if (t->nu8 < t->needu8)
				return 0;
			t->nu8 = 0;
			return tty_char(t, (const char *)t->u8, t->needu8,
			    echo, ev);
		}
		if (tty_flush_u8(t, echo, ev) == -1)
			return -1;
	}
	if (c >= 0xc2 && c <= 0xf4) {
		t->u8[0] = c;
		t->nu8 = 1;
		t->needu8 = c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
		return 0;
	}
	if (c == TTY_ESC) {
		t->esc = ESC_START;
		return 0;
	}
	if (c == '\r' || c == '\n') {
		t->after_cr = c == '\r';
		return tty_done(t, echo, ev);
	}
	if (c == TTY_CTRL('C') && !t->paste) {
		tty_next(t);
		t->shown = false;
		*ev = TTY_INTR;
		return buf_puts(echo, "^C\r\n");
	}
	if (t->paste) {
		/* Pasted: text and tabs as they are, no key does its work. */
		if (c < 0x20 && c != '\t')
			return 0;
		if (t->search) {
			t->search = false;
			if (tty_refresh(t, echo) == -1)
				return -1;
		}
		return tty_typed(t, (const char *)&c, 1, echo, ev);
	}
	if (t->search && (c < 0x20 || c == TTY_DEL)) {
		r = tty_search_key(t, c, echo);
		if (r != 1)
			return r;
	}
	if (c < 0x20 || c == TTY_DEL)
		return tty_control(t, c, echo, ev);
	return tty_char(t, (const char *)&c, 1, echo, ev);
}

/*
 * tty_draw.c: the line editor's screen (see tty.h): how wide each
 * character is, where prompt and line fall on a terminal of t->cols
 * columns, and a redraw that puts them there.
 *
 * The screen is drawn with four sequences every ANSI terminal knows:
 * CR, cursor up (ESC [ n A), cursor forward (ESC [ n C) and erase below
 * (ESC [ J). A line wider than the terminal wraps as the terminal wraps
 * it: a character that does not fit goes to the next row (a wide one
 * leaves the last column empty), and after the last column is filled the
 * cursor waits there until the next character, so a redraw that ends
 * exactly there moves to the next row itself: with a blank that the
 * terminal wraps and CR, not CR LF, so that a terminal that reflows its
 * lines when it is resized knows the rows as one line.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "tty.h"

/* Code points that take two columns: East Asian Wide and Fullwidth. */
static const uint32_t tty_wide[][2] = {
	{ 0x1100, 0x115f }, { 0x231a, 0x231b }, { 0x2329, 0x232a },
	{ 0x23e9, 0x23ec }, { 0x23f0, 0x23f0 }, { 0x23f3, 0x23f3 },
	{ 0x25fd, 0x25fe }, { 0x2614, 0x2615 }, { 0x2648, 0x2653 },
	{ 0x267f, 0x267f }, { 0x2693, 0x2693 }, { 0x26a1, 0x26a1 },
	{ 0x26aa, 0x26ab }, { 0x26bd, 0x26be }, { 0x26c4, 0x26c5 },
	{ 0x26ce, 0x26ce }, { 0x26d4, 0x26d4 }, { 0x26ea, 0x26ea },
	{ 0x26f2, 0x26f3 }, { 0x26f5, 0x26f5 }, { 0x26fa, 0x26fa },
	{ 0x26fd, 0x26fd }, { 0x2705, 0x2705 }, { 0x270a, 0x270b },
	{ 0x2728, 0x2728 }, { 0x274c, 0x274c }, { 0x274e, 0x274e },
	{ 0x2753, 0x2755 }, { 0x2757, 0x2757 }, { 0x2795, 0x2797 },
	{ 0x27b0, 0x27b0 }, { 0x27bf, 0x27bf }, { 0x2b1b, 0x2b1c },
	{ 0x2b50, 0x2b50 }, { 0x2b55, 0x2b55 }, { 0x2e80, 0x303e },
	{ 0x3041, 0x33ff }, { 0x3400, 0x4dbf }, { 0x4e00, 0x9fff },
	{ 0xa000, 0xa4cf }, { 0xa960, 0xa97f }, { 0xac00, 0xd7a3 },
	{ 0xf900, 0xfaff }, { 0xfe10, 0xfe19 }, { 0xfe30, 0xfe6f },
	{ 0xff00, 0xff60 }, { 0xffe0, 0xffe6 }, { 0x16fe0, 0x16fe4 },
	{ 0x17000, 0x18cff }, { 0x1b000, 0x1b2ff }, { 0x1f004, 0x1f004 },
	{ 0x1f0cf, 0x1f0cf }, { 0x1f18e, 0x1f18e }, { 0x1f191, 0x1f19a },
	{ 0x1f200, 0x1f251 }, { 0x1f300, 0x1f320 }, { 0x1f32d, 0x1f335 },
	{ 0x1f337, 0x1f37c }, { 0x1f37e, 0x1f393 }, { 0x1f3a0, 0x1f3ca },
	{ 0x1f3cf, 0x1f3d3 }, { 0x1f3e0, 0x1f3f0 }, { 0x1f3f4, 0x1f3f4 },
	{ 0x1f3f8, 0x1f43e }, { 0x1f440, 0x1f440 }, { 0x1f442, 0x1f4fc },
	{ 0x1f4ff, 0x1f53d }, { 0x1f54b, 0x1f54e }, { 0x1f550, 0x1f567 },
	{ 0x1f57a, 0x1f57a }, { 0x1f595, 0x1f596 }, { 0x1f5a4, 0x1f5a4 },
	{ 0x1f5fb, 0x1f64f }, { 0x1f680, 0x1f6c5 }, { 0x1f6cc, 0x1f6cc },
	{ 0x1f6d0, 0x1f6d2 }, { 0x1f6d5, 0x1f6d7 }, { 0x1f6eb, 0x1f6ec },
	{ 0x1f6f4, 0x1f6fc }, { 0x1f7e0, 0x1f7eb }, { 0x1f90c, 0x1f93a },
	{ 0x1f93c, 0x1f945 }, { 0x1f947, 0x1f9ff }, { 0x1fa70, 0x1faff },
	{ 0x20000, 0x2fffd }, { 0x30000, 0x3fffd },
};

/* Code points that take no column: combining marks, joiners, selectors. */
static const uint32_t tty_zero[][2] = {
	{ 0x0300, 0x036f }, { 0x0483, 0x0489 }, { 0x0591, 0x05bd },
	{ 0x0610, 0x061a }, { 0x064b, 0x065f }, { 0x0e31, 0x0e31 },
	{ 0x0e34, 0x0e3a }, { 0x0e47, 0x0e4e }, { 0x1ab0, 0x1aff },
	{ 0x1dc0, 0x1dff }, { 0x200b, 0x200f }, { 0x202a, 0x202e },
	{ 0x2060, 0x2064 }, { 0x20d0, 0x20ff }, { 0x302a, 0x302d },
	{ 0x3099, 0x309a }, { 0xfe00, 0xfe0f }, { 0xfe20, 0xfe2f },
	{ 0xfeff, 0xfeff }, { 0xe0100, 0xe01ef },
};

static bool
tty_in(const uint32_t (*tab)[2], size_t n, uint32_t cp)
{
	size_t	 lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cp < tab[mid][0])
			hi = mid;
		else if (cp > tab[mid][1])
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/*
 * Decode the character at p[0..n): its code point, or -1 for a byte
 * that starts no valid UTF-8 sequence (then *lenp is 1).
 */
static int32_t
tty_decode(const char *p, size_t n, size_t *lenp)
{
	const unsigned char	*u = (const unsigned char *)p;
	uint32_t		 cp, min;
	size_t			 len, i;

	*lenp = 1;
	if (u[0] < 0x80)
		return u[0];
	if (u[0] >= 0xc2 && u[0] <= 0xdf) {
		len = 2; cp = u[0] & 0x1f; min = 0x80;
	} else if (u[0] >= 0xe0 && u[0] <= 0xef) {
		len = 3; cp = u[0] & 0x0f; min = 0x800;
	} else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
		len = 4; cp = u[0] & 0x07; min = 0x10000;
	} else
		return -1;
	if (n < len)
		return -1;
	for (i = 1; i < len; i++) {
		if ((u[i] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (u[i] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*lenp = len;
	return (int32_t)cp;
}

int
tty_charw(const char *p, size_t n, size_t *lenp)
{
	int32_t	 cp = tty_decode(p, n, lenp);

	/* Bytes shown as '?' (or a tab as ' '): one column. */
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		return 1;
	if (tty_in(tty_zero, sizeof(tty_zero) / sizeof(tty_zero[0]),
	    (uint32_t)cp))
		return 0;
	if (tty_in(tty_wide, sizeof(tty_wide) / sizeof(tty_wide[0]),
	    (uint32_t)cp))
		return 2;
	return 1;
}

/* Show the character at p[0..n) (its bytes, or ' ' or '?'). */
static int
tty_show(struct buf *echo, const char *p, size_t n, size_t *lenp)
{
	int32_t	 cp = tty_decode(p, n, lenp);

	if (cp == '\t')
		return buf_putc(echo, ' ');
	if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
		return buf_putc(echo, '?');
	return buf_append(echo, p, *lenp);
}

int
tty_text(struct buf *echo, const char *p, size_t n)
{
	size_t	 i, len;

	for (i = 0; i < n; i += len)
		if (tty_show(echo, p + i, n - i, &len) == -1)
			return -1;
	return 0;
}

/* Advance (row, col) past the text p[0..n). */
static void
tty_walk(int cols, const char *p, size_t n, size_t *row, size_t *col)
{
	size_t	 i, len, w;

	for (i = 0; i < n; i += len) {
		w = (size_t)tty_charw(p + i, n - i, &len);
		if (w == 0)
			continue;
		if (*col + w > (size_t)cols) {
			(*row)++;
			*col = 0;
		}
		*col += w;
	}
}

/* The prompt shown: the host's, or the reverse search's. */
static const struct buf *
tty_shown_prompt(struct tty *t)
{
	if (!t->search)
		return &t->prompt;
	buf_reset(&t->tmp);
	if (buf_printf(&t->tmp, "(%sreverse-i-search)`",
	    t->failed ? "failed " : "") == -1 ||
	    buf_append(&t->tmp, t->pat.data, t->pat.len) == -1 ||
	    buf_puts(&t->tmp, "': ") == -1)
		buf_reset(&t->tmp);
	return &t->tmp;
}

static void
tty_where_p(const struct tty *t, const struct buf *prompt, size_t upto,
    size_t *row, size_t *col)
{
	*row = 0;
	*col = 0;
	tty_walk(t->cols, prompt->data, prompt->len, row, col);
	tty_walk(t->cols, t->line.data, upto, row, col);
	/* The last column filled: the cursor belongs on the next row. */
	if (*col >= (size_t)t->cols) {
		(*row)++;
		*col = 0;
	}
}

void
tty_where(const struct tty *t, size_t upto, size_t *row, size_t *col)
{
	tty_where_p(t, &t->prompt, upto, row, col);
}

int
tty_refresh(struct tty *t, struct buf *echo)
{
	if (t->crow > 0 && buf_printf(echo, "\x1b[%zuA", t->crow) == -1)
		return -1;
	if (buf_puts(echo, "\r\x1b[J") == -1)
		return -1;
	return tty_draw(t, echo);
}

int
tty_draw(struct tty *t, struct buf *echo)
{
	const struct buf	*prompt = tty_shown_prompt(t);
	size_t			 row, col;

	if (tty_text(echo, prompt->data, prompt->len) == -1 ||
	    tty_text(echo, t->line.data, t->line.len) == -1)
		return -1;
	tty_where_p(t, prompt, t->line.len, &t->erow, &t->ecol);
	/* Ended in the last column: on to the next row (TTY_WRAP). */
	if (t->ecol == 0 && t->erow > 0 && buf_puts(echo, TTY_WRAP) == -1)
		return -1;
	tty_where_p(t, prompt, t->cur, &row, &col);
	if (row < t->erow &&
	    buf_printf(echo, "\x1b[%zuA", t->erow - row) == -1)
		return -1;
	if (row != t->erow || col != t->ecol) {
		if (buf_putc(echo, '\r') == -1)
			return -1;
		if (col > 0 && buf_printf(echo, "\x1b[%zuC", col) == -1)
			return -1;
	}
	t->crow = row;
	return 0;
}

/*
 * tty.c: the line editor of a session whose client sends every key as
 * typed (see tty.h). The session core's input (worker/session_in.c)
 * feeds it each byte such a client sends and queues the echo at once.
 *
 * What a kernel tty in canonical mode with ECHO, ECHOE and ICRNL would
 * do, cut to what a REPL needs. The cursor is assumed to move one column
 * per character, so erasing a double-width character leaves half of it
 * on the screen; the line itself is right.
 */
#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "tty.h"

#define TTY_BS		0x08
#define TTY_DEL		0x7f
#define TTY_ESC		0x1b
#define TTY_CTRL(c)	((c) & 0x1f)

#define ERASE		"\b \b"

enum {
	ESC_NONE,
	ESC_START,	/* after ESC */
	ESC_CSI,	/* after ESC [: parameters until a final byte */
	ESC_SS3,	/* after ESC O: one more byte */
};

void
tty_init(struct tty *t, size_t max)
{
	buf_init(&t->line, 0);
	t->max = max;
	t->esc = ESC_NONE;
	t->after_cr = false;
	t->full = false;
}

void
tty_free(struct tty *t)
{
	buf_free(&t->line);
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
	t->full = false;
}

/* Drop the last character (a whole UTF-8 sequence); false if none. */
static bool
tty_rubout(struct tty *t)
{
	size_t	 n = t->line.len;

	if (n == 0)
		return false;
	while (n > 1 && ((unsigned char)t->line.data[n - 1] & 0xc0) == 0x80)
		n--;
	t->line.len = n - 1;
	t->line.data[t->line.len] = '\0';
	t->full = false;
	return true;
}

static bool
tty_blank(const struct tty *t)
{
	char	 c;

	if (t->line.len == 0)
		return false;
	c = t->line.data[t->line.len - 1];
	return c == ' ' || c == '\t';
}

/* ^W: the blanks before the cursor, then the word before them. */
static int
tty_werase(struct tty *t, struct buf *echo)
{
	while (tty_blank(t))
		if (tty_rubout(t) && buf_puts(echo, ERASE) == -1)
			return -1;
	while (t->line.len > 0 && !tty_blank(t))
		if (tty_rubout(t) && buf_puts(echo, ERASE) == -1)
			return -1;
	return 0;
}

/* Inside an escape sequence: true while the byte belongs to it. */
static bool
tty_escape(struct tty *t, unsigned char c)
{
	switch (t->esc) {
	case ESC_START:
		t->esc = c == '[' ? ESC_CSI : c == 'O' ? ESC_SS3 : ESC_NONE;
		return true;
	case ESC_CSI:
		/* Parameters and intermediates go on; 0x40..0x7e ends it. */
		if (c >= 0x40 && c <= 0x7e)
			t->esc = ESC_NONE;
		else if (c < 0x20 || c > 0x3f)
			t->esc = ESC_NONE;	/* malformed: give up on it */
		return true;
	case ESC_SS3:
		t->esc = ESC_NONE;
		return true;
	}
	return false;
}

int
tty_byte(struct tty *t, unsigned char c, struct buf *echo,
    enum tty_event *ev)
{
	*ev = TTY_NONE;
	if (t->esc != ESC_NONE && tty_escape(t, c))
		return 0;
	if (t->after_cr) {
		t->after_cr = false;
		if (c == '\n' || c == '\0')
			return 0;	/* CR LF and CR NUL are one line end */
	}
	switch (c) {
	case '\r':
		t->after_cr = true;
		*ev = TTY_LINE;
		return buf_puts(echo, "\r\n");
	case '\n':
		*ev = TTY_LINE;
		return buf_puts(echo, "\r\n");
	case TTY_BS:
	case TTY_DEL:
		if (tty_rubout(t))
			return buf_puts(echo, ERASE);
		return 0;
	case TTY_CTRL('U'):
		while (tty_rubout(t))
			if (buf_puts(echo, ERASE) == -1)
				return -1;
		return 0;
	case TTY_CTRL('W'):
		return tty_werase(t, echo);
	case TTY_CTRL('C'):
		tty_next(t);
		*ev = TTY_INTR;
		return buf_puts(echo, "^C\r\n");
	case TTY_CTRL('D'):
		if (t->line.len == 0)
			*ev = TTY_EOF;
		return 0;
	case TTY_ESC:
		t->esc = ESC_START;
		return 0;
	case '\t':
		break;
	default:
		if (c < 0x20)
			return 0;	/* other controls: nothing to do */
		break;
	}
	if (t->line.len >= t->max) {
		/* Full: ring, as a terminal does; the line stays as it is. */
		if (!t->full) {
			t->full = true;
			return buf_putc(echo, '\a');
		}
		return 0;
	}
	if (buf_putc(&t->line, (char)c) == -1)
		return -1;
	/* A tab takes one column here, so that erasing it is right. */
	return buf_putc(echo, c == '\t' ? ' ' : (char)c);
}

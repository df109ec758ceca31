/*
 * fuzz_tty.c: libFuzzer target for the session's line editor
 * (tty.h), which takes every key a client with a pty types. Any byte
 * string goes through tty_byte() with a line limit and a terminal width
 * the input chooses, a history of a few lines and a completion source
 * that offers many words: a completed line never passes the limit, the
 * line being typed neither, the cursor stays inside it, and the echo of
 * a byte is bounded by the line's size (nothing a client sends can make
 * the editor write without bound).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tty.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const hist[] = {
	"load $1 #42", "!registers", "\xe6\xbc\xa2\xe5\xad\x97 wide",
	"load $1 #42", "a\tb", "\xff\xc3", "",
};

static size_t
fz_count(void *arg)
{
	(void)arg;
	return sizeof(hist) / sizeof(hist[0]);
}

static const char *
fz_line(void *arg, size_t i, size_t *lenp)
{
	(void)arg;
	if (i >= fz_count(NULL))
		return NULL;
	*lenp = strlen(hist[i]);
	return hist[i];
}

/* Every word of the line's last word's first letter, a dozen of them. */
static size_t
fz_complete(void *arg, const char *line, size_t len, size_t *startp,
    struct buf *out)
{
	size_t	 start = len, i;

	(void)arg;
	while (start > 0 && line[start - 1] != ' ')
		start--;
	*startp = start;
	for (i = 0; i < 12; i++)
		if (buf_append(out, line + start, len - start) == -1 ||
		    buf_printf(out, "%zu\xe3\x81\x8b\n", i % (1 + len)) == -1)
			return 0;
	return i;
}

static const struct tty_src fz_src = {
	fz_count, fz_line, fz_complete, NULL,
};

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct tty	 t;
	struct buf	 echo;
	enum tty_event	 ev;
	const char	*line;
	size_t		 i, len, max, before;

	if (n < 2)
		return 0;
	max = 1 + p[0] % 64;
	tty_init(&t, max, &fz_src);
	tty_width(&t, p[1] % 100);
	buf_init(&echo, 0);
	if (tty_prompt(&t, ">>> ", &echo) == -1)
		abort();
	for (i = 2; i < n; i++) {
		before = echo.len;
		if (tty_byte(&t, p[i], &echo, &ev) == -1)
			abort();	/* only when memory is short */
		/* A redraw, or a list of completions, at most. */
		if (echo.len - before > 64 * max + 4096)
			abort();
		if (t.line.len > max || t.cur > t.line.len)
			abort();
		if (ev == TTY_LINE) {
			line = tty_line(&t, &len);
			if (line == NULL || len > max)
				abort();
			tty_next(&t);
		}
		if (ev != TTY_NONE && ev != TTY_FULL &&
		    tty_prompt(&t, ">>> ", &echo) == -1)
			abort();
		if ((ev == TTY_INTR || ev == TTY_EOF) && t.line.len != 0)
			abort();
		if (echo.len > 1 << 16)
			buf_reset(&echo);
	}
	buf_free(&echo);
	tty_free(&t);
	return 0;
}

/*
 * fuzz_tty.c: libFuzzer target for the session's line editor
 * (tty.h), which takes every key a client with a pty types. Any byte
 * string goes through tty_byte() with a line limit the input chooses: a
 * completed line never passes the limit, the line being typed neither,
 * and the echo of a byte is short (nothing a client sends can make the
 * editor write without bound).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tty.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	struct tty	 t;
	struct buf	 echo;
	enum tty_event	 ev;
	const char	*line;
	size_t		 i, len, max, before;

	if (n == 0)
		return 0;
	max = 1 + p[0] % 64;
	tty_init(&t, max);
	buf_init(&echo, 0);
	for (i = 1; i < n; i++) {
		before = echo.len;
		if (tty_byte(&t, p[i], &echo, &ev) == -1)
			abort();	/* only when memory is short */
		/* A whole line's erase is the most one byte may echo. */
		if (echo.len - before > 3 * max + 8)
			abort();
		if (t.line.len > max)
			abort();
		if (ev == TTY_LINE) {
			line = tty_line(&t, &len);
			if (line == NULL || len > max)
				abort();
			tty_next(&t);
		}
		if ((ev == TTY_INTR || ev == TTY_EOF) && t.line.len != 0)
			abort();
		if (echo.len > 1 << 16)
			buf_reset(&echo);
	}
	buf_free(&echo);
	tty_free(&t);
	return 0;
}

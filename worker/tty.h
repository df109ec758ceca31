/*
 * tty.h: the line editor of a session whose client sends every key as
 * typed (an ssh session with a pty).
 *
 * A client that asks for a pty (`ssh -t`) puts its own terminal in raw
 * mode and sends every key as typed. On a normal host the kernel's pty
 * line discipline would echo and edit; inside the worker's sandbox there
 * is no kernel pty (no files, no ioctls), so the session core runs this
 * editor instead: echo, backspace and DEL, ^U, ^W, CR or LF ends a line,
 * ^C, ^D on an empty line, escape sequences (arrow keys) swallowed. It is
 * a pure function of its input: bytes in, echo bytes and events out, no
 * I/O, so it is unit-tested on its own.
 */
#ifndef IRIDIUM_TTY_H
#define IRIDIUM_TTY_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

enum tty_event {
	TTY_NONE,		/* byte taken (maybe echoed) */
	TTY_LINE,		/* a line is complete: tty_line() holds it */
	TTY_INTR,		/* ^C: the line was dropped */
	TTY_EOF,		/* ^D on an empty line */
};

struct tty {
	struct buf	 line;		/* the line being typed */
	size_t		 max;		/* longest line taken, in bytes */
	int		 esc;		/* escape sequence state */
	bool		 after_cr;	/* drop an LF or NUL after CR */
	bool		 full;		/* at max: further bytes ring */
};

void	tty_init(struct tty *, size_t max);
void	tty_free(struct tty *);
/*
 * Take one byte; what the terminal should show in reply is appended to
 * echo ("\r\n" line ends, BS SP BS to erase). After TTY_LINE the line is
 * in tty_line() until tty_next() (call it before the next byte); after
 * TTY_INTR and TTY_EOF the line is empty. Returns -1 only when memory is
 * short.
 */
int	tty_byte(struct tty *, unsigned char c, struct buf *echo,
	    enum tty_event *ev);
/* The completed line (after TTY_LINE), and its length. */
const char *tty_line(const struct tty *, size_t *lenp);
/* Forget the completed line, ready for the next. */
void	tty_next(struct tty *);

#endif

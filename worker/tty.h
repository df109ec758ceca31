/*
 * tty.h: the line editor of a session whose client sends every key as
 * typed (ssh with a pty; a telnet client in character mode).
 *
 * Such a client puts its own terminal in raw mode and sends every key as
 * typed. On a normal host the kernel's pty line discipline and a library
 * such as readline would echo and edit; inside the worker's sandbox there
 * is no kernel pty and no file (no terminfo, no locale), so the session
 * core runs this editor instead. It speaks the few ANSI sequences every
 * terminal knows (cursor up, forward, erase below, clear screen) and
 * knows the keys of iridium(7), "Editing keys": cursor and word moves,
 * deletion and the kill buffer, history walk and reverse search, Tab
 * completion, bracketed paste. Lines longer than the terminal wrap; the
 * width of each character is taken from a table compiled in (tty_draw.c).
 *
 * It is a pure function of its input: bytes in, echo bytes and events
 * out, no I/O; the history and the completions come from the host's
 * callbacks (struct tty_src), so it is unit-tested and fuzzed on its own.
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
	TTY_FULL,		/* the line reached its bound: said on screen */
};

/* Where the history and the completions come from; any may be NULL. */
struct tty_src {
	/* Lines, oldest first; the pointer lives until the next call. */
	size_t		(*hist_count)(void *arg);
	const char	*(*hist_line)(void *arg, size_t i, size_t *lenp);
	/*
	 * The candidates for the word that ends line[0..len), each followed
	 * by "\n", into out; their count; *startp: where the word begins.
	 */
	size_t		(*complete)(void *arg, const char *line, size_t len,
			    size_t *startp, struct buf *out);
	void		*arg;
};

#define TTY_COLS_DEFAULT	80
#define TTY_COLS_MAX		4096
#define TTY_LIST_MAX		100	/* completions listed at most */
/* From the last column to the next row's start, the row wrapped. */
#define TTY_WRAP		" \r"

struct tty {
	struct buf	 line;		/* the line being typed */
	size_t		 cur;		/* the cursor: a byte offset in line */
	size_t		 max;		/* longest line taken, in bytes */
	const struct tty_src *src;
	/* The screen. */
	struct buf	 prompt;	/* as last shown (tty_prompt) */
	int		 cols;		/* the terminal's width */
	size_t		 crow;		/* the cursor's row below the prompt's */
	size_t		 erow, ecol;	/* where the line's end is drawn */
	bool		 shown;		/* a prompt is on the screen */
	/* Input decoding. */
	int		 esc;		/* escape sequence state */
	char		 par[16];	/* a CSI sequence's parameters */
	size_t		 npar;
	bool		 par_over;	/* ... too long: unknown */
	unsigned char	 u8[4];		/* a UTF-8 character coming */
	size_t		 nu8, needu8;
	bool		 after_cr;	/* drop an LF or NUL after CR */
	bool		 paste;		/* inside a bracketed paste */
	bool		 full;		/* at max: said once */
	/* Editing. */
	struct buf	 kill;		/* the last text killed (^Y) */
	size_t		 hidx;		/* history entry shown; count: none */
	bool		 walking;	/* hidx is valid */
	struct buf	 saved;		/* the line before the walk began */
	bool		 search;	/* ^R */
	struct buf	 pat;		/* ... its pattern */
	size_t		 sidx;		/* ... the entry matched, + 1 (0: none) */
	bool		 failed;	/* ... no entry matches */
	struct buf	 tmp;
};

void	tty_init(struct tty *, size_t max, const struct tty_src *);
void	tty_free(struct tty *);
/*
 * Take one byte; what the terminal should show in reply is appended to
 * echo. After TTY_LINE the line is in tty_line() until tty_next() (call
 * it before the next byte); after TTY_INTR and TTY_EOF the line is
 * empty. Returns -1 only when memory is short.
 */
int	tty_byte(struct tty *, unsigned char c, struct buf *echo,
	    enum tty_event *ev);
/* The completed line (after TTY_LINE), and its length. */
const char *tty_line(const struct tty *, size_t *lenp);
/* Forget the completed line, ready for the next. */
void	tty_next(struct tty *);
/*
 * The host shows prompt at the start of a line: into echo go the prompt
 * and the line typed so far (after a notice, a line being typed comes
 * back as it was).
 */
int	tty_prompt(struct tty *, const char *prompt, struct buf *echo);
/* The same when prompt is on the screen already, the cursor after it. */
int	tty_adopt(struct tty *, const char *prompt, struct buf *echo);
/* The terminal's width changed (or became known): cols columns. */
void	tty_width(struct tty *, int cols);

/* tty_draw.c: the screen. */
/* Display width of the character at p[0..n) (*lenp: its bytes). */
int	tty_charw(const char *p, size_t n, size_t *lenp);
/* Show the text p[0..n) (a tab as ' ', other controls as '?'). */
int	tty_text(struct buf *echo, const char *p, size_t n);
/* Redraw prompt and line, the cursor where it belongs. */
int	tty_refresh(struct tty *, struct buf *echo);
/* The same from the start of an empty row (no erasing). */
int	tty_draw(struct tty *, struct buf *echo);
/* Where the line ends and the cursor is, as rows and columns. */
void	tty_where(const struct tty *, size_t upto, size_t *row, size_t *col);

#endif

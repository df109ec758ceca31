/*
 * test_tty.c: the line editor (tty.h) on its own, key by key, with what
 * it echoes played on a small terminal model (autowrap with the pending
 * last column, wide characters, CR, LF, BS, cursor up, down and forward,
 * erase below, clear): each test compares the SCREEN the user would see,
 * and the line the host receives.
 */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "tty.h"

#define ROWS	12
#define COLMAX	64

/* --- the terminal ---------------------------------------------------------- */

struct term {
	char	 cell[ROWS][COLMAX][5];	/* "" after a wide character */
	int	 cols, r, c;
	bool	 pending;		/* the last column written */
	int	 bells;
};

static void
term_init(struct term *t, int cols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	for (int r = 0; r < ROWS; r++)
		for (int c = 0; c < COLMAX; c++)
			strcpy(t->cell[r][c], " ");
}

static void
term_down(struct term *t)
{
	if (++t->r < ROWS)
		return;
	memmove(t->cell[0], t->cell[1], sizeof(t->cell[0]) * (ROWS - 1));
	for (int c = 0; c < COLMAX; c++)
		strcpy(t->cell[ROWS - 1][c], " ");
	t->r = ROWS - 1;
}

static void
term_erase_below(struct term *t)
{
	for (int r = t->r; r < ROWS; r++)
		for (int c = r == t->r ? t->c : 0; c < COLMAX; c++)
			strcpy(t->cell[r][c], " ");
}

static void
term_play(struct term *t, const char *p, size_t n)
{
	size_t	 i = 0, len;
	int	 w, num;

	while (i < n) {
		unsigned char	 c = (unsigned char)p[i];

		if (c == 0x1b) {
			cr_assert(i + 1 < n && p[i + 1] == '[',
			    "only CSI sequences are echoed");
			i += 2;
			num = 0;
			bool	 priv = false;
			while (i < n && ((p[i] >= '0' && p[i] <= '9') ||
			    p[i] == '?' || p[i] == ';')) {
				if (p[i] == '?')
					priv = true;
				else if (p[i] != ';')
					num = num * 10 + (p[i] - '0');
				i++;
			}
			cr_assert(i < n);
			c = (unsigned char)p[i++];
			if (priv)
				continue;	/* bracketed paste mode */
			t->pending = false;
			if (num == 0)
				num = 1;
			switch (c) {
			case 'A': t->r -= num; cr_assert(t->r >= 0); break;
			case 'B': t->r += num; cr_assert(t->r < ROWS); break;
			case 'C':
				t->c += num;
				if (t->c >= t->cols)
					t->c = t->cols - 1;
				break;
			case 'J':
				if (num == 2) {
					int	 r = t->r, cc = t->c;

					t->r = t->c = 0;
					term_erase_below(t);
					t->r = r;
					t->c = cc;
				} else
					term_erase_below(t);
				break;
			case 'H': t->r = t->c = 0; break;
			default: cr_assert_fail("unexpected CSI %c", c);
			}
			continue;
		}
		if (c == '\r') {
			t->c = 0;
			t->pending = false;
			i++;
			continue;
		}
		if (c == '\n') {
			term_down(t);
			t->pending = false;
			i++;
			continue;
		}
		if (c == '\b') {
			if (t->pending)
				t->pending = false;
			else if (t->c > 0)
				t->c--;
			i++;
			continue;
		}
		if (c == '\a') {
			t->bells++;
			i++;
			continue;
		}
		cr_assert(c >= 0x20, "control 0x%02x echoed", c);
		w = tty_charw(p + i, n - i, &len);
		if (w == 0) {
			i += len;
			continue;
		}
		if (t->pending) {
			term_down(t);
			t->c = 0;
			t->pending = false;
		}
		if (t->c + w > t->cols) {
			term_down(t);
			t->c = 0;
		}
		snprintf(t->cell[t->r][t->c], 5, "%.*s", (int)len, p + i);
		if (w == 2)
			strcpy(t->cell[t->r][t->c + 1], "");
		t->c += w;
		if (t->c >= t->cols) {
			t->c = t->cols - 1;
			t->pending = true;
		}
		i += len;
	}
}

/* Row r as text, trailing blanks cut (a static buffer). */
static const char *
row(const struct term *t, int r)
{
	static char	 s[COLMAX * 5 + 1];
	size_t		 n;

	s[0] = '\0';
	for (int c = 0; c < t->cols; c++)
		strcat(s, t->cell[r][c]);
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

/* --- the editor, with a history and a word list --------------------------- */

static const char *hist[8];
static size_t nhist;

static size_t
h_count(void *arg)
{
	(void)arg;
	return nhist;
}

static const char *
h_line(void *arg, size_t i, size_t *lenp)
{
	(void)arg;
	if (i >= nhist)
		return NULL;
	*lenp = strlen(hist[i]);
	return hist[i];
}

static size_t
words(void *arg, const char *line, size_t len, size_t *startp,
    struct buf *out)
{
	static const char *const w[] = { "add", "addf64", "hlt", "jmp",
	    "jmpb", "jmpe", "jmpf", NULL };
	size_t	 start = len, k = 0;

	(void)arg;
	while (start > 0 && line[start - 1] != ' ')
		start--;
	*startp = start;
	for (int i = 0; w[i] != NULL; i++)
		if (strncmp(w[i], line + start, len - start) == 0) {
			buf_puts(out, w[i]);
			buf_putc(out, '\n');
			k++;
		}
	return k;
}

static const struct tty_src src = { h_count, h_line, words, NULL };

struct ed {
	struct tty	 tty;
	struct term	 term;
	struct buf	 echo;
	struct buf	 lines;		/* every completed line, "\n" after */
	int		 intr, eof, full;
};

static void
ed_init(struct ed *e, int cols, size_t max)
{
	tty_init(&e->tty, max, &src);
	tty_width(&e->tty, cols);
	term_init(&e->term, cols);
	buf_init(&e->echo, 0);
	buf_init(&e->lines, 0);
	e->intr = e->eof = e->full = 0;
	cr_assert_eq(tty_prompt(&e->tty, ">>> ", &e->echo), 0);
	term_play(&e->term, e->echo.data, e->echo.len);
}

static void
ed_free(struct ed *e)
{
	tty_free(&e->tty);
	buf_free(&e->echo);
	buf_free(&e->lines);
}

/* Type s (n bytes); after each line end a fresh prompt, as the host. */
static void
typen(struct ed *e, const char *s, size_t n)
{
	enum tty_event	 ev;
	const char	*l;
	size_t		 len;

	for (size_t i = 0; i < n; i++) {
		buf_reset(&e->echo);
		cr_assert_eq(tty_byte(&e->tty, (unsigned char)s[i], &e->echo,
		    &ev), 0);
		cr_assert_leq(e->tty.line.len, e->tty.max);
		cr_assert_leq(e->tty.cur, e->tty.line.len);
		term_play(&e->term, e->echo.data, e->echo.len);
		if (ev == TTY_LINE) {
			l = tty_line(&e->tty, &len);
			buf_append(&e->lines, l, len);
			buf_putc(&e->lines, '\n');
			tty_next(&e->tty);
		}
		e->intr += ev == TTY_INTR;
		e->eof += ev == TTY_EOF;
		e->full += ev == TTY_FULL;
		if (ev == TTY_LINE || ev == TTY_INTR || ev == TTY_EOF) {
			buf_reset(&e->echo);
			tty_prompt(&e->tty, ">>> ", &e->echo);
			term_play(&e->term, e->echo.data, e->echo.len);
		}
	}
}

static void
type(struct ed *e, const char *s)
{
	typen(e, s, strlen(s));
}

static const char *
lines(const struct ed *e)
{
	return e->lines.data != NULL ? e->lines.data : "";
}

static const char *
line(const struct ed *e)
{
	static char	 s[4096];

	snprintf(s, sizeof(s), "%.*s", (int)e->tty.line.len,
	    e->tty.line.data != NULL ? e->tty.line.data : "");
	return s;
}

#define LEFT	"\x1b[D"
#define RIGHT	"\x1b[C"
#define UP	"\x1b[A"
#define DOWN	"\x1b[B"
#define HOME	"\x1b[H"
#define END	"\x1b[F"
#define DELETE	"\x1b[3~"
#define CTRL(c)	((char)((c) & 0x1f))

/* --- the keys -------------------------------------------------------------- */

Test(tty, typing_echoes_the_character_alone)
{
	struct ed	 e;
	enum tty_event	 ev;

	ed_init(&e, 40, 256);
	buf_reset(&e.echo);
	tty_byte(&e.tty, 'a', &e.echo, &ev);
	cr_assert_eq(e.echo.len, 1);
	cr_assert_eq(e.echo.data[0], 'a');
	buf_reset(&e.echo);
	tty_byte(&e.tty, 0x7f, &e.echo, &ev);
	cr_assert_str_eq(e.echo.data, "\b \b");
	/* A width of 0 (a client that does not know) is no width. */
	tty_width(&e.tty, 0);
	cr_assert_eq(e.tty.cols, TTY_COLS_DEFAULT);
	tty_width(&e.tty, 100000);
	cr_assert_eq(e.tty.cols, TTY_COLS_MAX);
	ed_free(&e);
}

Test(tty, cursor_moves_and_insertion)
{
	struct ed	 e;

	ed_init(&e, 40, 256);
	type(&e, "load $1 #42" LEFT LEFT LEFT "\x7f" "X");
	cr_assert_str_eq(line(&e), "load $1X#42");
	cr_assert_str_eq(row(&e.term, 0), ">>> load $1X#42");
	cr_assert_eq(e.term.c, 12);
	type(&e, "\x01" "A" "\x05" "E" HOME "H" END "!" "\x1bOH" "<" "\x1bOF"
	    ">" "\x1b[1~" "1" "\x1b[4~" "4");
	cr_assert_str_eq(line(&e), "1<HAload $1X#42E!>4");
	cr_assert_str_eq(row(&e.term, 0), ">>> 1<HAload $1X#42E!>4");
	type(&e, "\x02\x02" "b" "\x06" "f");
	cr_assert_str_eq(line(&e), "1<HAload $1X#42E!b>f4");
	type(&e, "\r");
	cr_assert_str_eq(lines(&e), "1<HAload $1X#42E!b>f4\n");
	cr_assert_str_eq(row(&e.term, 1), ">>>");
	ed_free(&e);
}

Test(tty, word_moves)
{
	struct ed	 e;

	ed_init(&e, 60, 256);
	type(&e, "load $10 #42");
	type(&e, "\x1b" "b" "<");		/* Alt-B */
	cr_assert_str_eq(line(&e), "load $10 #<42");
	type(&e, "\x1b[1;5D" "[");		/* Ctrl-Left */
	cr_assert_str_eq(line(&e), "load $[10 #<42");
	type(&e, "\x1b[1;5D" "\x1b" "f" "]");	/* Ctrl-Left, Alt-F */
	cr_assert_str_eq(line(&e), "load] $[10 #<42");
	type(&e, "\x1b[1;5C" "|");		/* Ctrl-Right */
	cr_assert_str_eq(line(&e), "load] $[10| #<42");
	type(&e, "\x1b" "d");			/* Alt-D */
	cr_assert_str_eq(line(&e), "load] $[10|");
	type(&e, "\x1b\x7f");			/* Alt-Backspace */
	cr_assert_str_eq(line(&e), "load] $[");
	cr_assert_str_eq(row(&e.term, 0), ">>> load] $[");
	ed_free(&e);
}

Test(tty, deletion_kill_and_yank)
{
	struct ed	 e;

	ed_init(&e, 40, 256);
	type(&e, "abcdef" HOME DELETE);
	cr_assert_str_eq(line(&e), "bcdef");
	type(&e, "\x04");			/* ^D on a non-empty line */
	cr_assert_str_eq(line(&e), "cdef");
	cr_assert_eq(e.eof, 0);
	type(&e, RIGHT "\x0b");			/* ^K */
	cr_assert_str_eq(line(&e), "c");
	type(&e, "\x19\x19");			/* ^Y twice */
	cr_assert_str_eq(line(&e), "cdefdef");
	type(&e, LEFT LEFT "\x15");		/* ^U */
	cr_assert_str_eq(line(&e), "ef");
	type(&e, END " load $1 #2\x17");		/* ^W */
	cr_assert_str_eq(line(&e), "ef load $1 ");
	type(&e, "\x17\x17\x19");		/* the last kill back */
	cr_assert_str_eq(line(&e), "ef load ");
	type(&e, "xy\x14");			/* ^T at the end */
	cr_assert_str_eq(line(&e), "ef load yx");
	type(&e, HOME RIGHT "\x14");		/* ^T inside */
	cr_assert_str_eq(line(&e), "fe load yx");
	cr_assert_str_eq(row(&e.term, 0), ">>> fe load yx");
	type(&e, END "\x15\x04");		/* ^D on an empty line */
	cr_assert_eq(e.eof, 1);
	ed_free(&e);
}

Test(tty, clear_screen_redraws)
{
	struct ed	 e;

	ed_init(&e, 40, 256);
	type(&e, "one\rtwo\rthr" LEFT);
	cr_assert_str_eq(row(&e.term, 2), ">>> thr");
	type(&e, "\x0c" "e");
	cr_assert_str_eq(row(&e.term, 0), ">>> ther");
	cr_assert_str_eq(row(&e.term, 1), "");
	cr_assert_str_eq(row(&e.term, 2), "");
	cr_assert_eq(e.term.r, 0);
	cr_assert_eq(e.term.c, 7);
	ed_free(&e);
}

Test(tty, interrupt_drops_the_line)
{
	struct ed	 e;

	ed_init(&e, 40, 256);
	type(&e, "abc\x03");
	cr_assert_eq(e.intr, 1);
	cr_assert_str_eq(row(&e.term, 0), ">>> abc^C");
	cr_assert_str_eq(row(&e.term, 1), ">>>");
	cr_assert_str_eq(lines(&e), "");
	ed_free(&e);
}

Test(tty, history_walk_collapses_duplicates)
{
	struct ed	 e;

	hist[0] = "load $1 #1";
	hist[1] = "!registers";
	hist[2] = "!registers";
	hist[3] = "load $2 #2";
	nhist = 4;
	ed_init(&e, 40, 256);
	type(&e, "draft" UP);
	cr_assert_str_eq(line(&e), "load $2 #2");
	cr_assert_str_eq(row(&e.term, 0), ">>> load $2 #2");
	type(&e, UP);
	cr_assert_str_eq(line(&e), "!registers");
	type(&e, "\x10");			/* ^P: past the duplicate */
	cr_assert_str_eq(line(&e), "load $1 #1");
	cr_assert_str_eq(row(&e.term, 0), ">>> load $1 #1");
	type(&e, UP);				/* the oldest: a bell */
	cr_assert_str_eq(line(&e), "load $1 #1");
	cr_assert_eq(e.term.bells, 1);
	type(&e, "\x0e");			/* ^N */
	cr_assert_str_eq(line(&e), "!registers");
	type(&e, DOWN DOWN);
	cr_assert_str_eq(line(&e), "draft");
	cr_assert_str_eq(row(&e.term, 0), ">>> draft");
	type(&e, UP UP "X\r");
	cr_assert_str_eq(lines(&e), "!registersX\n");
	nhist = 0;
	ed_free(&e);
}

Test(tty, reverse_search)
{
	struct ed	 e;

	hist[0] = "load $1 #11";
	hist[1] = "!registers";
	hist[2] = "load $2 #22";
	nhist = 3;
	ed_init(&e, 60, 256);
	type(&e, "x\x12" "load");
	cr_assert_str_eq(line(&e), "load $2 #22");
	cr_assert_str_eq(row(&e.term, 0),
	    "(reverse-i-search)`load': load $2 #22");
	type(&e, "\x12");			/* ^R: the next older */
	cr_assert_str_eq(line(&e), "load $1 #11");
	type(&e, "\x12");
	cr_assert_str_eq(row(&e.term, 0),
	    "(failed reverse-i-search)`load': load $1 #11");
	type(&e, "\x07");			/* ^G: back to the draft */
	cr_assert_str_eq(line(&e), "x");
	cr_assert_str_eq(row(&e.term, 0), ">>> x");
	type(&e, "\x12" "reg" "\x05" "!");	/* ^E takes it, then works */
	cr_assert_str_eq(line(&e), "!registers!");
	cr_assert_str_eq(row(&e.term, 0), ">>> !registers!");
	type(&e, "\x15\x12" "#2\r");
	cr_assert_str_eq(lines(&e), "load $2 #22\n");
	nhist = 0;
	ed_free(&e);
}

Test(tty, tab_completion)
{
	struct ed	 e;

	ed_init(&e, 60, 256);
	type(&e, "hl\t");
	cr_assert_str_eq(line(&e), "hlt ");
	type(&e, "\x15" "jm\t");
	cr_assert_str_eq(line(&e), "jmp");
	cr_assert_str_eq(row(&e.term, 1), "jmp  jmpb  jmpe  jmpf");
	cr_assert_str_eq(row(&e.term, 2), ">>> jmp");
	type(&e, "\x15" "zz\t");
	cr_assert_str_eq(line(&e), "zz");
	cr_assert(e.term.bells > 0);
	ed_free(&e);
}

Test(tty, bracketed_paste_arrives_as_lines)
{
	struct ed	 e;

	ed_init(&e, 60, 256);
	type(&e, "\x1b[200~" "!load\n\tload $1 #1\r\n\n" "jm\t" UP "x\x03y\r"
	    "!end\n" "\x1b[201~");
	cr_assert_str_eq(lines(&e), "!load\n\tload $1 #1\n\njm\txy\n!end\n");
	cr_assert_eq(e.intr, 0);
	cr_assert_str_eq(row(&e.term, 1), ">>>  load $1 #1");
	/* After the paste, keys work again. */
	type(&e, "jm\t");
	cr_assert_str_eq(line(&e), "jmp");
	ed_free(&e);
}

Test(tty, long_lines_wrap_and_follow_the_width)
{
	struct ed	 e;
	char		 l[128];

	ed_init(&e, 20, 256);
	/* 4 + 56 = 60 columns: three rows of 20 exactly. */
	for (int i = 0; i < 56; i++)
		l[i] = (char)('a' + i % 26);
	l[56] = '\0';
	type(&e, l);
	cr_assert_str_eq(row(&e.term, 0), ">>> abcdefghijklmnop");
	cr_assert_str_eq(row(&e.term, 2), "klmnopqrstuvwxyzabcd");
	cr_assert_eq(e.term.r, 3);
	cr_assert_eq(e.term.c, 0);
	type(&e, HOME "<" END ">");
	cr_assert_str_eq(row(&e.term, 0), ">>> <abcdefghijklmno");
	cr_assert_str_eq(row(&e.term, 3), "d>");
	/* The terminal narrows and reflows what it shows; editing goes on
	 * from where the cursor is now. */
	char	 shown[160];
	snprintf(shown, sizeof(shown), ">>> <%s>", l);
	term_init(&e.term, 15);
	term_play(&e.term, shown, strlen(shown));
	tty_width(&e.tty, 15);
	type(&e, HOME DELETE "[" END "]");
	cr_assert_str_eq(row(&e.term, 0), ">>> [abcdefghij");
	cr_assert_str_eq(row(&e.term, 1), "klmnopqrstuvwxy");
	cr_assert_str_eq(row(&e.term, 3), "opqrstuvwxyzabc");
	cr_assert_str_eq(row(&e.term, 4), "d>]");
	cr_assert_str_eq(row(&e.term, 5), "");
	snprintf(shown, sizeof(shown), "[%s>]", l);
	cr_assert_str_eq(line(&e), shown);
	ed_free(&e);
}

Test(tty, wide_characters)
{
	struct ed	 e;

	ed_init(&e, 11, 256);
	/* ">>> " and three wide characters: 10 columns; the fourth wraps,
	 * leaving the last column empty. */
	type(&e, "\xe6\xbc\xa2\xe5\xad\x97\xe3\x81\x8b\xe3\x81\xaa");
	cr_assert_str_eq(row(&e.term, 0), ">>> \xe6\xbc\xa2\xe5\xad\x97"
	    "\xe3\x81\x8b");
	cr_assert_str_eq(row(&e.term, 1), "\xe3\x81\xaa");
	cr_assert_eq(e.term.c, 2);
	type(&e, "\x7f");			/* a whole character goes */
	cr_assert_str_eq(line(&e), "\xe6\xbc\xa2\xe5\xad\x97\xe3\x81\x8b");
	type(&e, LEFT LEFT "\x7f" "a");
	cr_assert_str_eq(line(&e), "a\xe5\xad\x97\xe3\x81\x8b");
	cr_assert_str_eq(row(&e.term, 0), ">>> a\xe5\xad\x97\xe3\x81\x8b");
	cr_assert_eq(e.term.c, 5);
	type(&e, END "\x7f\x7f");
	cr_assert_str_eq(line(&e), "a");
	cr_assert_str_eq(row(&e.term, 0), ">>> a");
	ed_free(&e);
}

Test(tty, unknown_sequences_are_ignored)
{
	struct ed	 e;

	ed_init(&e, 40, 256);
	type(&e, "a\x1b[99~\x1b[12;34;56;78;90;12;34;56;78q\x1b]0;title\x07"
	    "\x1bOZ\x1b\x1b[Ab\x1b[?1;2c\x1b" "Zc");
	cr_assert_str_eq(line(&e), "abc");
	cr_assert_str_eq(row(&e.term, 0), ">>> abc");
	ed_free(&e);
}

Test(tty, the_bound_is_said_once)
{
	struct ed	 e;

	ed_init(&e, 60, 8);
	type(&e, "12345678");
	cr_assert_eq(e.full, 0);
	type(&e, "9");
	cr_assert_eq(e.full, 1);
	cr_assert_str_eq(row(&e.term, 1), "(a line holds 8 bytes at most)");
	cr_assert_str_eq(row(&e.term, 2), ">>> 12345678");
	type(&e, "9");
	cr_assert_eq(e.full, 1);
	type(&e, "\x7f" "x\r");
	cr_assert_str_eq(lines(&e), "1234567x\n");
	ed_free(&e);
}

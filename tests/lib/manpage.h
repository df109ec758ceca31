/*
 * manpage.h: reading the examples of a manual page and running them, for
 * test_manual.c. A page marks each literal display and .Dl with a roff
 * comment ("example: file NAME", "shell", "repl [ARGS]", "text", or "try:
 * ..." before a .Dl); man_page_load() collects them, unescaped to what a
 * reader sees, and writes the page's files into a directory of its own.
 * Failures are criterion assertions.
 */
#ifndef IRIDIUM_TEST_MANPAGE_H
#define IRIDIUM_TEST_MANPAGE_H

#include <stddef.h>

/* What a marker says the next display or .Dl is. */
enum man_kind { MAN_FILE, MAN_SHELL, MAN_REPL, MAN_TEXT, MAN_TRY };

/* One marked display or .Dl. */
struct man_example {
	enum man_kind	 kind;
	int		 line;		/* of the marker in the page */
	char		*arg;		/* file name, REPL arguments, try spec */
	char		**v;		/* the block's lines, unescaped */
	size_t		 n;
};

/* A page, read; its files are written to dir. */
struct man_page {
	char		 name[64];
	char		*text;		/* the page source */
	struct man_example	 ex[512];
	size_t		 nex;
	char		 dir[64];	/* its files, from mkdtemp */
	int		 failures;
};

/* A finished process. */
struct man_proc {
	char		*out;
	size_t		 outlen;
	char		*err;
	size_t		 errlen;
	int		 status;	/* exit status, or 128 + signal */
};

/* Strings and vectors of lines; out of memory fails the test. */
char	*man_strdup(const char *);
char	*man_strndup(const char *, size_t);
void	 man_vec_push(char ***, size_t *, char *);
void	 man_vec_free(char **, size_t);
/* Split into lines without terminators; *partial: no final newline. */
size_t	 man_split_lines(const char *, size_t, char ***, int *partial);

/* Read $IRIDIUM_SRC/contrib/man/NAME; every marker must be well formed. */
void	 man_page_load(struct man_page *, const char *name);
void	 man_page_free(struct man_page *);
/* Remove every page's directory: a Test's .fini, so a failure cleans up. */
void	 man_cleanup(void);
size_t	 man_page_count(const struct man_page *, enum man_kind);
/* Has the page source a line that starts with prefix, then word? */
int	 man_page_has(const char *text, const char *prefix, const char *word);

/* $IRIDIUM_BUILD/iridium, checked to be executable. */
char	*man_iridium(void);
/*
 * Run argv (argv[0] a path) in dir with in on standard input, standard
 * error merged into standard output when merge is set, with the build
 * first on PATH and LC_ALL=C; fails the test after 30 seconds.
 */
void	 man_run(struct man_proc *, const char *dir, char *const *argv,
	    const char *in, size_t inlen, int merge);
void	 man_proc_free(struct man_proc *);
/* Append what one read(2) of fd gives; *open_ = 0 at its end. */
void	 man_slurp(int fd, char **buf, size_t *len, int *open_);
/*
 * Does out match the expected lines (a line "..." matches any number of
 * lines, one ending in " ..." any line starting with what precedes it)?
 * If not, log both under the example's page and line, count a failure of
 * the page and return 0.
 */
int	 man_expect_lines(struct man_page *, const struct man_example *,
	    const char *what, char *const *want, size_t nw, const char *out,
	    size_t outlen);

#endif

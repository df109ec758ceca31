/*
 * test_manual.c: the manual pages cannot drift from the tool. Every
 * example in iridium(7) and iridium(1) is run by the real `iridium` from
 * IRIDIUM_BUILD and its output compared with what the page shows:
 *
 *   - files (".\" example: file NAME") are written to a directory of the
 *     page's own, where its shell transcripts (".\" example: shell") run
 *     under /bin/sh with iridium first on PATH: each "$ CMD" line's output
 *     (stdout and stderr together) must be the lines under it;
 *   - REPL transcripts (".\" example: repl [ARGS]") are fed to `iridium
 *     ARGS` on standard input, stopping after every complete command, so
 *     each line's answer is checked at its place; and replayed on a
 *     pseudo-terminal, where the banner, the ">>> " and "... " prompts and
 *     the echo are the terminal's, as a reader sees them;
 *   - one-line instruction examples (".\" try: LINES => CHECKS" before a
 *     .Dl) run inside the program LINES with `iridium run --state-json`,
 *     and CHECKS are compared with the final machine state.
 *
 * A line "..." in expected output stands for any number of lines. Every
 * .Bd -literal and .Dl of these pages must carry a marker ("text" for
 * one that is not a program), and a page with nothing to run fails. The
 * reference sections are checked for completeness against the binary:
 * every opcode (found by disassembling every opcode byte), every REPL
 * command (from !help) and every option and subcommand of --help.
 */
#include <criterion/criterion.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#define RUN_TIMEOUT_S	30
#define MAX_LINES	4096

enum ex_kind { EX_FILE, EX_SHELL, EX_REPL, EX_TEXT, EX_TRY };

struct example {
	enum ex_kind	 kind;
	int		 line;		/* of the marker in the page */
	char		*arg;		/* file name, REPL arguments, try spec */
	char		**v;		/* the block's lines, unescaped */
	size_t		 n;
};

struct page {
	char		 name[64];
	char		*text;		/* the page source */
	struct example	 ex[512];
	size_t		 nex;
	char		 dir[64];	/* its files, from mkdtemp */
	int		 failures;
};

struct proc {
	char		*out;
	size_t		 outlen;
	char		*err;
	size_t		 errlen;
	int		 status;	/* exit status, or 128 + signal */
};

/* --- small strings ------------------------------------------------------ */

static char *
xstrdup(const char *s)
{
	char	*p = strdup(s);

	cr_assert_not_null(p);
	return p;
}

static char *
xstrndup(const char *s, size_t n)
{
	char	*p = strndup(s, n);

	cr_assert_not_null(p);
	return p;
}

static void
vec_push(char ***v, size_t *n, char *s)
{
	*v = reallocarray(*v, *n + 1, sizeof(**v));
	cr_assert_not_null(*v);
	(*v)[(*n)++] = s;
}

static void
vec_free(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* Split text into lines (no terminators); *partial: no final newline. */
static size_t
split_lines(const char *s, size_t len, char ***out, int *partial)
{
	size_t	 n = 0, a = 0, i;

	*out = NULL;
	for (i = 0; i < len; i++)
		if (s[i] == '\n') {
			vec_push(out, &n, xstrndup(s + a, i - a));
			a = i + 1;
		}
	*partial = a < len;
	if (a < len)
		vec_push(out, &n, xstrndup(s + a, len - a));
	return n;
}

static const char *
build_dir(void)
{
	const char	*b = getenv("IRIDIUM_BUILD");

	cr_assert_not_null(b, "IRIDIUM_BUILD is not set (run with make "
	    "check)");
	return b;
}

/* --- reading a page ----------------------------------------------------- */

/*
 * Turn the text of a roff line in a literal display into what the reader
 * sees. Only the escapes the pages need are known; anything else fails,
 * so an example is never compared in a form the reader does not see.
 */
static char *
unroff(const struct page *pg, int line, const char *s)
{
	static const struct { const char *esc, *to; } named[] = {
		{ "(aq", "'" }, { "(dq", "\"" }, { "(ti", "~" },
		{ "(ha", "^" }, { "(ga", "`" }, { "(rs", "\\" },
	};
	char	*out = malloc(strlen(s) + 1), *o = out;
	size_t	 i;

	cr_assert_not_null(out);
	cr_assert(s[0] != '.' && s[0] != '\'', "%s:%d: a roff request in a "
	    "display (write \\&%c)", pg->name, line, s[0]);
	while (*s != '\0') {
		if (*s != '\\') {
			*o++ = *s++;
			continue;
		}
		s++;
		if (*s == '&') {
			s++;
			continue;
		}
		if (*s == 'e' || *s == '\\' || *s == '-') {
			*o++ = *s == '-' ? '-' : '\\';
			s++;
			continue;
		}
		for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
			if (strncmp(s, named[i].esc, 3) == 0)
				break;
		cr_assert_lt(i, sizeof(named) / sizeof(named[0]),
		    "%s:%d: unknown escape \\%.3s", pg->name, line, s);
		*o++ = named[i].to[0];
		s += 3;
	}
	*o = '\0';
	return out;
}

static void
page_load(struct page *pg, const char *name)
{
	const char	*src = getenv("IRIDIUM_SRC");
	char		 path[4096], **ln, *p;
	struct example	*ex = NULL;
	size_t		 n, i, len;
	int		 partial, fd;
	FILE		*f;

	memset(pg, 0, sizeof(*pg));
	cr_assert_not_null(src, "IRIDIUM_SRC is not set (run with make check)");
	snprintf(pg->name, sizeof(pg->name), "%s", name);
	snprintf(path, sizeof(path), "%s/contrib/man/%s", src, name);
	cr_assert_not_null(f = fopen(path, "r"), "%s: %s", path,
	    strerror(errno));
	pg->text = calloc(1, 1 << 20);
	cr_assert_not_null(pg->text);
	len = fread(pg->text, 1, (1 << 20) - 1, f);
	fclose(f);
	n = split_lines(pg->text, len, &ln, &partial);
	cr_assert_lt(n, MAX_LINES);

	for (i = 0; i < n; i++) {
		const char *s = ln[i];

		if (strncmp(s, ".\\\" example: ", 13) == 0 ||
		    strncmp(s, ".\\\" try: ", 9) == 0) {
			if (ex != NULL)
				cr_assert_fail("%s:%zu: a marker after the "
				    "marker of line %d", name, i + 1, ex->line);
			cr_assert_lt(pg->nex, sizeof(pg->ex) / sizeof(pg->ex[0]));
			ex = &pg->ex[pg->nex++];
			ex->line = (int)i + 1;
			if (s[4] == 't') {
				ex->kind = EX_TRY;
				ex->arg = xstrdup(s + 9);
				continue;
			}
			s += 13;
			if (strncmp(s, "file ", 5) == 0) {
				ex->kind = EX_FILE;
				ex->arg = xstrdup(s + 5);
				cr_assert(strchr(ex->arg, '/') == NULL &&
				    ex->arg[0] != '.', "%s:%zu: a plain file "
				    "name, please", name, i + 1);
			} else if (strcmp(s, "shell") == 0)
				ex->kind = EX_SHELL;
			else if (strcmp(s, "repl") == 0 ||
			    strncmp(s, "repl ", 5) == 0) {
				ex->kind = EX_REPL;
				ex->arg = xstrdup(s[4] == ' ' ? s + 5 : "");
			} else if (strcmp(s, "text") == 0)
				ex->kind = EX_TEXT;
			else
				cr_assert_fail("%s:%zu: unknown example kind "
				    "'%s'", name, i + 1, s);
			continue;
		}
		if (strncmp(s, ".\\\"", 3) == 0)
			continue;
		if (strncmp(s, ".Dl", 3) == 0 && (s[3] == ' ' || s[3] == '\0')) {
			cr_assert_not_null(ex, "%s:%zu: a .Dl without an "
			    "example or try marker", name, i + 1);
			if (ex->kind != EX_TRY && ex->kind != EX_TEXT)
				cr_assert_fail("%s:%d: a .Dl after a block "
				    "marker", name, ex->line);
			vec_push(&ex->v, &ex->n, unroff(pg, (int)i + 1,
			    s[3] == ' ' ? s + 4 : ""));
			ex = NULL;
			continue;
		}
		if (strncmp(s, ".Bd", 3) == 0) {
			if (strstr(s, "-literal") == NULL &&
			    strstr(s, "-unfilled") == NULL)
				continue;
			cr_assert_not_null(ex, "%s:%zu: a display without an "
			    "example marker", name, i + 1);
			if (ex->kind == EX_TRY)
				cr_assert_fail("%s:%d: a try marker before a "
				    "display, not a .Dl", name, ex->line);
			for (i++; i < n && strcmp(ln[i], ".Ed") != 0; i++)
				vec_push(&ex->v, &ex->n,
				    unroff(pg, (int)i + 1, ln[i]));
			if (i == n)
				cr_assert_fail("%s:%d: no .Ed", name, ex->line);
			ex = NULL;
			continue;
		}
		if (ex != NULL)
			cr_assert_fail("%s:%d: the marker is not followed by "
			    "a .Bd -literal or .Dl", name, ex->line);
	}
	cr_assert_null(ex, "%s: a marker at the end", name);
	vec_free(ln, n);

	/* The page's files, in a directory of its own. */
	snprintf(pg->dir, sizeof(pg->dir), "/tmp/iridium-manual.XXXXXX");
	cr_assert_not_null(mkdtemp(pg->dir));
	for (i = 0; i < pg->nex; i++) {
		size_t	 j;

		ex = &pg->ex[i];
		if (ex->kind != EX_FILE)
			continue;
		snprintf(path, sizeof(path), "%s/%s", pg->dir, ex->arg);
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		cr_assert_geq(fd, 0, "%s:%d: %s: %s", name, ex->line, path,
		    strerror(errno));
		for (j = 0; j < ex->n; j++) {
			p = ex->v[j];
			cr_assert_eq(write(fd, p, strlen(p)), (ssize_t)strlen(p));
			cr_assert_eq(write(fd, "\n", 1), 1);
		}
		close(fd);
	}
}

static void
page_free(struct page *pg)
{
	char	 cmd[128];
	size_t	 i;

	for (i = 0; i < pg->nex; i++) {
		free(pg->ex[i].arg);
		vec_free(pg->ex[i].v, pg->ex[i].n);
	}
	free(pg->text);
	if (pg->dir[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pg->dir);
		cr_assert_eq(system(cmd), 0);
	}
}

static size_t
page_count(const struct page *pg, enum ex_kind kind)
{
	size_t	 i, n = 0;

	for (i = 0; i < pg->nex; i++)
		n += pg->ex[i].kind == kind;
	return n;
}

/* --- running ------------------------------------------------------------ */

static void
slurp_fd(int fd, char **buf, size_t *len, int *open_)
{
	char	 chunk[4096];
	ssize_t	 r = read(fd, chunk, sizeof(chunk));

	if (r > 0) {
		*buf = realloc(*buf, *len + (size_t)r + 1);
		cr_assert_not_null(*buf);
		memcpy(*buf + *len, chunk, (size_t)r);
		*len += (size_t)r;
		(*buf)[*len] = '\0';
	} else if (r == 0 || errno != EINTR)
		*open_ = 0;
}

/*
 * Run argv in dir with input on standard input; standard error goes with
 * standard output when merge is set. PATH starts with the build, so a
 * shell's `iridium` is the one under test.
 */
static void
run(struct proc *p, const char *dir, char *const *argv, const char *in,
    size_t inlen, int merge)
{
	int		 pin[2], pout[2], perr[2], st, n, oo = 1, eo = 1;
	struct pollfd	 pfd[3];
	char		 path[4200];
	size_t		 off = 0;
	time_t		 end = time(NULL) + RUN_TIMEOUT_S;
	ssize_t		 r;
	pid_t		 pid;

	memset(p, 0, sizeof(*p));
	p->out = xstrdup("");
	p->err = xstrdup("");
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pipe(pin), 0);
	cr_assert_eq(pipe(pout), 0);
	cr_assert_eq(pipe(perr), 0);
	snprintf(path, sizeof(path), "%s:/usr/local/bin:/usr/bin:/bin",
	    build_dir());
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		dup2(pin[0], 0);
		dup2(pout[1], 1);
		dup2(merge ? pout[1] : perr[1], 2);
		close(pin[0]);
		close(pin[1]);
		close(pout[0]);
		close(pout[1]);
		close(perr[0]);
		close(perr[1]);
		signal(SIGPIPE, SIG_DFL);
		setenv("PATH", path, 1);
		setenv("LC_ALL", "C", 1);
		if (chdir(dir) == -1)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	fcntl(pin[1], F_SETFL, O_NONBLOCK);
	if (inlen == 0) {
		close(pin[1]);
		pin[1] = -1;
	}
	while (pin[1] != -1 || oo || eo) {
		pfd[0].fd = pin[1];
		pfd[0].events = POLLOUT;
		pfd[1].fd = oo ? pout[0] : -1;
		pfd[1].events = POLLIN;
		pfd[2].fd = eo ? perr[0] : -1;
		pfd[2].events = POLLIN;
		n = poll(pfd, 3, 1000);
		if (time(NULL) > end) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			cr_assert_fail("%s timed out; output so far:\n%s",
			    argv[0], p->out);
		}
		if (n <= 0)
			continue;
		if (pfd[0].revents != 0) {
			r = write(pin[1], in + off, inlen - off);
			if (r > 0)
				off += (size_t)r;
			if ((r == -1 && errno != EAGAIN) || off == inlen) {
				close(pin[1]);
				pin[1] = -1;
			}
		}
		if (pfd[1].revents != 0)
			slurp_fd(pout[0], &p->out, &p->outlen, &oo);
		if (pfd[2].revents != 0)
			slurp_fd(perr[0], &p->err, &p->errlen, &eo);
	}
	close(pout[0]);
	close(perr[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	cr_assert(p->status != 126 && p->status != 127, "could not start "
	    "%s in %s", argv[0], dir);
}

static void
proc_free(struct proc *p)
{
	free(p->out);
	free(p->err);
}

static char *
iridium_path(void)
{
	static char	 p[4200];

	snprintf(p, sizeof(p), "%s/iridium", build_dir());
	cr_assert_eq(access(p, X_OK), 0, "%s: %s", p, strerror(errno));
	return p;
}

/* --- comparing ---------------------------------------------------------- */

/*
 * Does got match want, where a want line "..." matches any number of
 * lines, and a want line ending in " ..." any line that starts with the
 * text before it? Backtracking; the pages have few elisions.
 */
static int
lines_match(char *const *want, size_t nw, char *const *got, size_t ng)
{
	size_t	 k, wl;

	if (nw == 0)
		return ng == 0;
	if (strcmp(want[0], "...") == 0) {
		for (k = 0; k <= ng; k++)
			if (lines_match(want + 1, nw - 1, got + k, ng - k))
				return 1;
		return 0;
	}
	wl = strlen(want[0]);
	if (ng == 0)
		return 0;
	if (wl > 4 && strcmp(want[0] + wl - 4, " ...") == 0) {
		if (strncmp(want[0], got[0], wl - 3) != 0)
			return 0;
	} else if (strcmp(want[0], got[0]) != 0)
		return 0;
	return lines_match(want + 1, nw - 1, got + 1, ng - 1);
}

static void
report(struct page *pg, const struct example *ex, const char *what,
    char *const *want, size_t nw, const char *got)
{
	char	*w = NULL;
	size_t	 wl = 0, i;
	FILE	*f = open_memstream(&w, &wl);

	cr_assert_not_null(f);
	for (i = 0; i < nw; i++)
		fprintf(f, "%s\n", want[i]);
	fclose(f);
	cr_log_error("%s:%d: %s\n--- the page shows:\n%s--- iridium "
	    "gives:\n%s---", pg->name, ex->line, what, w, got);
	free(w);
	pg->failures++;
}

/* Compare output with the expected lines; report a mismatch. */
static int
expect_lines(struct page *pg, const struct example *ex, const char *what,
    char *const *want, size_t nw, const char *out, size_t outlen)
{
	char	**got;
	size_t	  ng;
	int	  partial, ok;

	ng = split_lines(out, outlen, &got, &partial);
	ok = !partial && lines_match(want, nw, got, ng);
	if (!ok)
		report(pg, ex, partial ? "output does not end with a newline" :
		    what, want, nw, out);
	vec_free(got, ng);
	return ok;
}

/* --- shell transcripts -------------------------------------------------- */

static void
run_shell(struct page *pg, const struct example *ex)
{
	struct cmd { const char *line; char **want; size_t nw; } *c = NULL;
	char		*script = NULL, *argv[4], *what, *o;
	size_t		 nc = 0, slen = 0, i, len;
	struct proc	 p;
	FILE		*f;

	for (i = 0; i < ex->n; i++) {
		if (strncmp(ex->v[i], "$ ", 2) == 0) {
			c = reallocarray(c, nc + 1, sizeof(*c));
			cr_assert_not_null(c);
			c[nc].line = ex->v[i] + 2;
			c[nc].want = NULL;
			c[nc++].nw = 0;
			continue;
		}
		cr_assert_gt(nc, 0, "%s:%d: output before the first $ "
		    "command", pg->name, ex->line);
		vec_push(&c[nc - 1].want, &c[nc - 1].nw, xstrdup(ex->v[i]));
	}
	cr_assert_gt(nc, 0, "%s:%d: a shell transcript without a command",
	    pg->name, ex->line);
	/*
	 * One script, so $? and files carry from one command to the next;
	 * a record separator after each command's output splits it up.
	 */
	cr_assert_not_null(f = open_memstream(&script, &slen));
	for (i = 0; i < nc; i++)
		fprintf(f, "{ %s\n} 2>&1\n__rc=$?\nprintf '\\036\\n'\n"
		    "(exit $__rc)\n", c[i].line);
	fclose(f);
	argv[0] = CLI_ARG("/bin/sh");
	argv[1] = CLI_ARG("-c");
	argv[2] = script;
	argv[3] = NULL;
	run(&p, pg->dir, argv, NULL, 0, 1);
	o = p.out;
	for (i = 0; i < nc; i++) {
		char *sep = strstr(o, "\036\n");

		cr_assert_not_null(sep, "%s:%d: `%s` did not finish; the "
		    "script said:\n%s", pg->name, ex->line, c[i].line, p.out);
		len = (size_t)(sep - o);
		cr_assert_gt(asprintf(&what, "`%s`", c[i].line), 0);
		expect_lines(pg, ex, what, c[i].want, c[i].nw, o, len);
		free(what);
		o = sep + 2;
		vec_free(c[i].want, c[i].nw);
	}
	free(c);
	free(script);
	proc_free(&p);
}

/* --- REPL transcripts --------------------------------------------------- */

struct step {
	const char	*prompt;	/* ">>> " or "... " */
	const char	*line;		/* what is typed */
	char		**want;		/* the answer */
	size_t		 nw;
};

static size_t
repl_steps(const struct page *pg, const struct example *ex,
    struct step **out)
{
	struct step	*s = NULL;
	size_t		 n = 0, i;

	for (i = 0; i < ex->n; i++) {
		const char *l = ex->v[i];

		if (strncmp(l, ">>> ", 4) == 0 || strncmp(l, "... ", 4) == 0) {
			s = reallocarray(s, n + 1, sizeof(*s));
			cr_assert_not_null(s);
			s[n].prompt = l[0] == '>' ? ">>> " : "... ";
			s[n].line = l + 4;
			s[n].want = NULL;
			s[n++].nw = 0;
			continue;
		}
		cr_assert_gt(n, 0, "%s:%d: output before the first prompt",
		    pg->name, ex->line);
		vec_push(&s[n - 1].want, &s[n - 1].nw, xstrdup(l));
	}
	cr_assert_gt(n, 0, "%s:%d: a REPL transcript without input",
	    pg->name, ex->line);
	cr_assert_str_eq(s[0].prompt, ">>> ", "%s:%d: the first prompt",
	    pg->name, ex->line);
	*out = s;
	return n;
}

static void
steps_free(struct step *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		vec_free(s[i].want, s[i].nw);
	free(s);
}

/* iridium's argv: the binary, then the transcript's arguments. */
static void
repl_argv(const struct example *ex, char **argv, size_t max, char *copy)
{
	size_t	 n = 0;
	char	*t, *save = NULL;

	argv[n++] = iridium_path();
	strcpy(copy, ex->arg);
	for (t = strtok_r(copy, " ", &save); t != NULL && n + 1 < max;
	    t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;
}

/*
 * Feed the lines on standard input, stopping after each command that
 * leaves the REPL at ">>> ": the output so far must be the answers so
 * far, so every answer is checked after the line it belongs to.
 */
static void
run_repl_piped(struct page *pg, const struct example *ex)
{
	struct step	*s;
	size_t		 n = repl_steps(pg, ex, &s), k, i, nw = 0, ilen = 0;
	char		*argv[16], copy[256], *in = NULL, **want = NULL, *what;
	struct proc	 p;
	FILE		*f;

	cr_assert_lt(strlen(ex->arg), sizeof(copy));
	repl_argv(ex, argv, 16, copy);
	for (k = 0; k < n; k++) {
		for (i = 0; i < s[k].nw; i++)
			vec_push(&want, &nw, xstrdup(s[k].want[i]));
		if (k + 1 < n && strcmp(s[k + 1].prompt, ">>> ") != 0)
			continue;
		cr_assert_not_null(f = open_memstream(&in, &ilen));
		for (i = 0; i <= k; i++)
			fprintf(f, "%s\n", s[i].line);
		fclose(f);
		run(&p, pg->dir, argv, in, ilen, 1);
		cr_assert_gt(asprintf(&what, "the REPL's answers up to `%s` "
		    "(piped)", s[k].line), 0);
		if (!expect_lines(pg, ex, what, want, nw, p.out, p.outlen))
			k = n;		/* one report per transcript */
		free(what);
		free(in);
		in = NULL;
		proc_free(&p);
	}
	vec_free(want, nw);
	steps_free(s, n);
}

/*
 * Read the terminal into b until what came after its first from bytes
 * ends with a prompt (">>> " or "... "); fail after 20 s. Which prompt
 * it was is for the comparison with the page to judge.
 */
static void
pty_prompt(int m, char **b, size_t *len, size_t from, const char *why)
{
	time_t	 end = time(NULL) + 20;
	int	 open_ = 1;
	struct pollfd pfd = { m, POLLIN, 0 };

	while (*len < from + 4 || (strcmp(*b + *len - 4, ">>> ") != 0 &&
	    strcmp(*b + *len - 4, "... ") != 0)) {
		cr_assert(open_ && time(NULL) < end, "%s: no prompt at the "
		    "end of:\n%s", why, *b);
		if (poll(&pfd, 1, 500) > 0)
			slurp_fd(m, b, len, &open_);
	}
}

/* Read the terminal into b until the other side has closed it. */
static void
pty_eof(int m, char **b, size_t *len)
{
	time_t	 end = time(NULL) + 20;
	int	 open_ = 1;
	struct pollfd pfd = { m, POLLIN, 0 };

	while (open_) {
		cr_assert_lt(time(NULL), end, "the session did not end:\n%s",
		    *b);
		if (poll(&pfd, 1, 500) > 0)
			slurp_fd(m, b, len, &open_);
	}
}

/* Drop the \r of the terminal's \r\n. */
static void
uncr(char *s, size_t *len)
{
	char	*o = s;
	size_t	 i;

	for (i = 0; i < *len; i++)
		if (!(s[i] == '\r' && i + 1 < *len && s[i + 1] == '\n'))
			*o++ = s[i];
	*o = '\0';
	*len = (size_t)(o - s);
}

/*
 * Type the transcript on a pseudo-terminal, each line after its prompt:
 * what the terminal shows after the banner must be the transcript.
 */
static void
run_repl_tty(struct page *pg, const struct example *ex)
{
	struct step	*s;
	size_t		 n = repl_steps(pg, ex, &s), k, len = 0, sent = 0;
	char		*argv[16], copy[256], *b = xstrdup(""), *line;
	const char	*banner = "Welcome to Iridium! Let's be productive!\r\n";
	int		 m, fd, st;
	pid_t		 pid;

	cr_assert_lt(strlen(ex->arg), sizeof(copy));
	repl_argv(ex, argv, 16, copy);
	m = posix_openpt(O_RDWR | O_NOCTTY);
	cr_assert_geq(m, 0);
	cr_assert_eq(grantpt(m), 0);
	cr_assert_eq(unlockpt(m), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		setsid();
		if ((fd = open(ptsname(m), O_RDWR)) == -1 ||
		    chdir(pg->dir) == -1)
			_exit(127);
		close(m);
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		setenv("TERM", "dumb", 1);
		execv(argv[0], argv);
		_exit(127);
	}
	pty_prompt(m, &b, &len, 0, "the banner and first prompt");
	cr_assert(strncmp(b, banner, strlen(banner)) == 0, "%s:%d: the "
	    "terminal starts with:\n%s", pg->name, ex->line, b);
	memmove(b, b + strlen(banner), len - strlen(banner) + 1);
	len -= strlen(banner);
	for (k = 0; k < n; k++) {
		/* libedit prompts before it leaves canonical mode. */
		cli_pty_raw_wait(m);
		sent = len;
		cr_assert_gt(asprintf(&line, "%s\r", s[k].line), 0);
		cr_assert_eq(write(m, line, strlen(line)),
		    (ssize_t)strlen(line));
		free(line);
		if (k + 1 < n)
			pty_prompt(m, &b, &len, sent, s[k].line);
	}
	if (strcmp(s[n - 1].line, "!quit") == 0) {
		/* Its farewell, up to the end of the session. */
		pty_eof(m, &b, &len);
	} else {
		/* The last answer, then leave with ^D; that is not shown. */
		pty_prompt(m, &b, &len, sent, s[n - 1].line);
		len -= 4;
		b[len] = '\0';
		cli_pty_raw_wait(m);
		cr_assert_eq(write(m, "\004", 1), 1);
	}
	st = cli_pty_exit(pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s:%d: status %d",
	    pg->name, ex->line, st);
	close(m);
	uncr(b, &len);
	/* The transcript with its prompts is what the terminal shows. */
	expect_lines(pg, ex, "the REPL on a terminal", ex->v, ex->n, b, len);
	free(b);
	steps_free(s, n);
}

/* --- one-line instruction examples -------------------------------------- */

static json_t *
state_get(const struct page *pg, const struct example *ex, json_t *st,
    const char *key)
{
	json_t	*v = json_object_get(st, key);

	cr_assert_not_null(v, "%s:%d: no \"%s\" in the state", pg->name,
	    ex->line, key);
	return v;
}

/* One check "key = value" against the state; 1 if it holds. */
static int
try_check(const struct page *pg, const struct example *ex, json_t *st,
    const char *key, const char *val)
{
	static const struct { const char *key, *json; } ints[] = {
		{ "remainder", "remainder" }, { "loop_counter", "loop_counter" },
		{ "pc", "pc" }, { "heap size", "heap_bytes" },
		{ "stack depth", "stack_depth" },
	};
	json_t		*v;
	char		*end;
	long long	 want;
	size_t		 i;

	if (strcmp(key, "status") == 0 || strcmp(key, "error") == 0) {
		v = state_get(pg, ex, st, key);
		return json_is_string(v) && strcmp(json_string_value(v),
		    val) == 0;
	}
	if (strcmp(key, "flag") == 0) {
		v = state_get(pg, ex, st, "equal_flag");
		cr_assert(strcmp(val, "true") == 0 || strcmp(val, "false") == 0,
		    "%s:%d: flag = true or false", pg->name, ex->line);
		return json_is_boolean(v) &&
		    json_is_true(v) == (strcmp(val, "true") == 0);
	}
	if (key[0] == 'f' && key[1] == '$') {
		v = json_array_get(state_get(pg, ex, st, "float_registers"),
		    strtoul(key + 2, NULL, 10));
		cr_assert_not_null(v, "%s:%d: %s", pg->name, ex->line, key);
		if (json_is_string(v))
			return strcmp(json_string_value(v), val) == 0;
		return json_is_number(v) &&
		    json_number_value(v) == strtod(val, NULL);
	}
	want = strtoll(val, &end, 10);
	cr_assert(*end == '\0' && end != val, "%s:%d: %s = %s: a number, "
	    "please", pg->name, ex->line, key, val);
	if (key[0] == '$')
		v = json_array_get(state_get(pg, ex, st, "registers"),
		    strtoul(key + 1, NULL, 10));
	else {
		for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++)
			if (strcmp(key, ints[i].key) == 0)
				break;
		cr_assert_lt(i, sizeof(ints) / sizeof(ints[0]), "%s:%d: "
		    "unknown check '%s'", pg->name, ex->line, key);
		v = state_get(pg, ex, st, ints[i].json);
	}
	cr_assert_not_null(v, "%s:%d: %s", pg->name, ex->line, key);
	return json_is_integer(v) && json_integer_value(v) == want;
}

/* Unescape \n in an expected output. */
static char *
unbackslash(const char *s)
{
	char	*o = xstrdup(s), *p = o;

	for (; *s != '\0'; s++) {
		if (s[0] == '\\' && s[1] == 'n') {
			*p++ = '\n';
			s++;
		} else
			*p++ = *s;
	}
	*p = '\0';
	return o;
}

/* What a try is checked against. */
struct outcome {
	json_t		*st;		/* the state JSON */
	const char	*out;		/* what the program printed */
	int		 status_given;	/* a check named the status */
	int		 output_given;	/* a check named the output */
};

/*
 * Check "key = value, key = value" (output takes the rest of the line)
 * against the outcome; returns how many failed.
 */
static int
apply_checks(const struct page *pg, const struct example *ex,
    struct outcome *oc, char *t)
{
	int	 bad = 0;

	while (t != NULL && *t != '\0') {
		char *eq = strstr(t, " = "), *key, *val, *next = NULL;

		cr_assert_not_null(eq, "%s:%d: '%s': key = value", pg->name,
		    ex->line, t);
		*eq = '\0';
		key = t;
		val = eq + 3;
		if (strcmp(key, "output") != 0 &&
		    (next = strstr(val, ", ")) != NULL) {
			*next = '\0';
			next += 2;
		}
		oc->status_given |= strcmp(key, "status") == 0;
		oc->output_given |= strcmp(key, "output") == 0;
		if (strcmp(key, "output") == 0) {
			char *want = unbackslash(val);

			if (strcmp(oc->out, want) != 0) {
				cr_log_error("%s:%d: `%s` printed '%s', not "
				    "'%s'", pg->name, ex->line, ex->v[0],
				    oc->out, val);
				bad++;
			}
			free(want);
		} else if (!try_check(pg, ex, oc->st, key, val)) {
			cr_log_error("%s:%d: `%s`: %s is not %s", pg->name,
			    ex->line, ex->v[0], key, val);
			bad++;
		}
		t = next;
	}
	return bad;
}

/*
 * The .Dl line's own comment, when it has an arrow: "; GIVENS -> CHECKS",
 * where GIVENS ("$1 = 7, $2 = 5") are loaded first. The reader sees these
 * claims, so they are checked too.
 */
static char *
visible_claims(const struct page *pg, const struct example *ex, FILE *f)
{
	const char	*c = strstr(ex->v[0], " ; ");
	char		*g, *arrow, *t, *save = NULL, *checks;

	if (c == NULL || (arrow = strstr(c, "->")) == NULL)
		return NULL;
	g = xstrndup(c + 3, (size_t)(arrow - c - 3));
	checks = xstrdup(arrow[2] == ' ' ? arrow + 3 : arrow + 2);
	for (t = strtok_r(g, ",", &save); t != NULL;
	    t = strtok_r(NULL, ",", &save)) {
		int	 r;
		long	 v;

		while (*t == ' ')
			t++;
		if (*t == '\0')
			continue;
		if (sscanf(t, "$%d = %ld", &r, &v) == 2)
			fprintf(f, "load $%d #%ld\n", r, v);
		else
			cr_assert_fail("%s:%d: '%s' before the arrow: $N = V, "
			    "please", pg->name, ex->line, t);
	}
	free(g);
	return checks;
}

static void
run_try(struct page *pg, const struct example *ex)
{
	char		*spec = xstrdup(ex->arg), *checks, *src = NULL, *t;
	char		*save = NULL, *argv[6], *nl, *claims;
	const char	*insn = ex->v[0];
	size_t		 slen = 0;
	int		 placed = 0, bad = 0;
	json_error_t	 jerr;
	struct outcome	 oc;
	struct proc	 p;
	FILE		*f;

	cr_assert_eq(ex->n, 1);
	if ((checks = strstr(spec, " =>")) != NULL) {
		*checks = '\0';
		checks += 3;
		while (*checks == ' ')
			checks++;
	}
	cr_assert_not_null(f = open_memstream(&src, &slen));
	claims = visible_claims(pg, ex, f);
	cr_assert(claims != NULL || (checks != NULL && *checks != '\0'),
	    "%s:%d: `%s` is tried without a check", pg->name, ex->line, insn);
	for (t = strtok_r(spec, "|", &save); t != NULL;
	    t = strtok_r(NULL, "|", &save)) {
		while (*t == ' ')
			t++;
		while (*t != '\0' && t[strlen(t) - 1] == ' ')
			t[strlen(t) - 1] = '\0';
		if (strcmp(t, "_") == 0) {
			fprintf(f, "%s\n", insn);
			placed = 1;
		} else
			fprintf(f, "%s\n", t);
	}
	if (!placed)
		fprintf(f, "%s\n", insn);
	fclose(f);

	argv[0] = iridium_path();
	argv[1] = CLI_ARG("run");
	argv[2] = CLI_ARG("--state-json");
	argv[3] = CLI_ARG("-");
	argv[4] = CLI_ARG("-");
	argv[5] = NULL;
	run(&p, pg->dir, argv, src, slen, 0);
	/* The program's output, then one line of state. */
	cr_assert(p.outlen > 0 && p.out[p.outlen - 1] == '\n', "%s:%d: `%s` "
	    "in\n%sgave no state (status %d): %s", pg->name, ex->line, insn,
	    src, p.status, p.err);
	p.out[p.outlen - 1] = '\0';
	nl = strrchr(p.out, '\n');
	memset(&oc, 0, sizeof(oc));
	oc.st = json_loads(nl != NULL ? nl + 1 : p.out, 0, &jerr);
	cr_assert_not_null(oc.st, "%s:%d: state: %s", pg->name, ex->line,
	    jerr.text);
	if (nl != NULL)
		nl[1] = '\0';
	else
		p.out[0] = '\0';
	oc.out = p.out;

	bad += apply_checks(pg, ex, &oc, checks);
	bad += apply_checks(pg, ex, &oc, claims);
	if (!oc.output_given && oc.out[0] != '\0') {
		cr_log_error("%s:%d: `%s` printed '%s'", pg->name, ex->line,
		    insn, oc.out);
		bad++;
	}
	if (!oc.status_given) {
		const char *s = json_string_value(json_object_get(oc.st,
		    "status"));

		if (s == NULL || (strcmp(s, "halted") != 0 &&
		    strcmp(s, "end") != 0)) {
			cr_log_error("%s:%d: `%s` did not run to the end: %s "
			    "%s", pg->name, ex->line, insn, s != NULL ? s :
			    "?", p.err);
			bad++;
		}
	}
	if (bad != 0) {
		cr_log_error("%s:%d: the program was:\n%s", pg->name, ex->line,
		    src);
		pg->failures++;
	}
	json_decref(oc.st);
	free(claims);
	free(src);
	free(spec);
	proc_free(&p);
}

/* --- the tests ---------------------------------------------------------- */

static void
run_page(struct page *pg, int tty)
{
	size_t	 i, ran = 0;

	for (i = 0; i < pg->nex; i++) {
		const struct example *ex = &pg->ex[i];

		switch (ex->kind) {
		case EX_SHELL:
			if (!tty)
				run_shell(pg, ex);
			break;
		case EX_REPL:
			if (tty)
				run_repl_tty(pg, ex);
			else
				run_repl_piped(pg, ex);
			break;
		case EX_TRY:
			if (!tty)
				run_try(pg, ex);
			break;
		case EX_FILE:
		case EX_TEXT:
			break;
		}
		ran += ex->kind == EX_REPL || (!tty && (ex->kind == EX_SHELL ||
		    ex->kind == EX_TRY));
	}
	cr_log_info("%s: %zu examples run%s (the page has %zu files, %zu "
	    "shell, %zu REPL, %zu one-line)", pg->name, ran,
	    tty ? " on a terminal" : "", page_count(pg, EX_FILE),
	    page_count(pg, EX_SHELL), page_count(pg, EX_REPL),
	    page_count(pg, EX_TRY));
	cr_assert_gt(ran, 0, "%s: no examples found", pg->name);
	cr_assert_eq(pg->failures, 0, "%s: %d examples differ from the page "
	    "(see above)", pg->name, pg->failures);
}

Test(manual, iridium_7_examples_run_as_shown, .timeout = 300)
{
	struct page	 pg;

	page_load(&pg, "iridium.7");
	/* The page teaches with all four kinds; none may vanish. */
	cr_assert_geq(page_count(&pg, EX_FILE), 5);
	cr_assert_geq(page_count(&pg, EX_SHELL), 5);
	cr_assert_geq(page_count(&pg, EX_REPL), 5);
	cr_assert_geq(page_count(&pg, EX_TRY), 40);
	run_page(&pg, 0);
	page_free(&pg);
}

Test(manual, iridium_7_repl_sessions_look_so_on_a_terminal, .timeout = 300)
{
	struct page	 pg;

	page_load(&pg, "iridium.7");
	run_page(&pg, 1);
	page_free(&pg);
}

Test(manual, iridium_1_examples_run_as_shown, .timeout = 120)
{
	struct page	 pg;

	page_load(&pg, "iridium.1");
	run_page(&pg, 0);
	page_free(&pg);
}

/* Does the page have a line starting with prefix followed by word? */
static int
page_has(const char *text, const char *prefix, const char *word)
{
	char	 want[256];
	const char *p;
	size_t	 n;

	n = (size_t)snprintf(want, sizeof(want), "\n%s%s", prefix, word);
	for (p = text; (p = strstr(p, want)) != NULL; p++)
		if (p[n] == '\n' || p[n] == ' ')
			return 1;
	return 0;
}

Test(manual, iridium_7_describes_every_instruction_and_command)
{
	struct page	 pg;
	struct proc	 p;
	char		 path[4200], *argv[4], **ln, mn[32];
	unsigned char	 img[72] = { 'E', 'P', 'I', 'E' };
	size_t		 i, j, n, found = 0;
	int		 b, fd, partial, tried;

	page_load(&pg, "iridium.7");
	/* Every opcode byte the disassembler knows names an instruction. */
	snprintf(path, sizeof(path), "%s/op.ir", pg.dir);
	argv[0] = iridium_path();
	argv[1] = CLI_ARG("disasm");
	argv[2] = path;
	argv[3] = NULL;
	for (b = 0; b < 256; b++) {
		img[68] = (unsigned char)b;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		cr_assert_geq(fd, 0);
		cr_assert_eq(write(fd, img, sizeof(img)), (ssize_t)sizeof(img));
		close(fd);
		run(&p, pg.dir, argv, NULL, 0, 0);
		if (p.status != 0) {
			proc_free(&p);
			continue;
		}
		cr_assert_eq(sscanf(p.out, ".code\n\t%31[a-z0-9]", mn), 1,
		    "disasm of opcode %d: %s", b, p.out);
		found++;
		cr_expect(page_has(pg.text, ".It Ic ", mn), "iridium.7 does "
		    "not describe %s (opcode %d) with .It Ic %s", mn, b, mn);
		tried = 0;
		for (i = 0; i < pg.nex; i++)
			if (pg.ex[i].kind == EX_TRY &&
			    strncmp(pg.ex[i].v[0], mn, strlen(mn)) == 0 &&
			    pg.ex[i].v[0][strlen(mn)] == ' ')
				tried = 1;
			else if (pg.ex[i].kind == EX_TRY &&
			    strcmp(pg.ex[i].v[0], mn) == 0)
				tried = 1;
		cr_expect(tried, "iridium.7 has no tried example of %s", mn);
		proc_free(&p);
	}
	cr_assert_geq(found, 40, "only %zu opcodes disassembled", found);

	/* Every REPL command of !help. */
	argv[1] = NULL;
	run(&p, pg.dir, argv, "!help\n", 6, 0);
	n = split_lines(p.out, p.outlen, &ln, &partial);
	for (i = j = 0; i < n; i++) {
		if (sscanf(ln[i], "  %31[!a-z_]", mn) != 1 || mn[0] != '!')
			continue;
		j++;
		cr_expect(page_has(pg.text, ".It Ic ", mn), "iridium.7 does "
		    "not describe the REPL command %s", mn);
	}
	cr_assert_geq(j, 10, "!help listed %zu commands:\n%s", j, p.out);
	vec_free(ln, n);
	proc_free(&p);
	page_free(&pg);
}

Test(manual, iridium_1_describes_every_option_of_help)
{
	struct page	 pg;
	struct proc	 p;
	char		*argv[3], **ln, w[64], want[96];
	size_t		 i, n, opts = 0, subs = 0, codes = 0;
	int		 partial, section = 0;

	page_load(&pg, "iridium.1");
	argv[0] = iridium_path();
	argv[1] = CLI_ARG("--help");
	argv[2] = NULL;
	run(&p, pg.dir, argv, NULL, 0, 0);
	cr_assert_eq(p.status, 0);
	n = split_lines(p.out, p.outlen, &ln, &partial);
	for (i = 0; i < n; i++) {
		const char *l = ln[i];

		if (strcmp(l, "Subcommands:") == 0)
			section = 1;
		else if (strcmp(l, "Options:") == 0)
			section = 2;
		else if (strcmp(l, "Exit status:") == 0)
			section = 3;
		if (strncmp(l, "  ", 2) != 0 || l[2] == ' ')
			continue;
		if (section == 1 && sscanf(l, "  %63[a-z] ", w) == 1) {
			subs++;
			cr_expect(page_has(pg.text, ".It Cm ", w), "iridium.1 "
			    "does not describe the subcommand %s", w);
		}
		if (section == 2 && sscanf(l, "  -%63[a-z-]", w) == 1) {
			opts++;
			snprintf(want, sizeof(want), "Fl %s", w);
			cr_expect_not_null(strstr(pg.text, want), "iridium.1 "
			    "does not describe -%s", w);
		}
		if (section == 3 && sscanf(l, "  %63[0-9] ", w) == 1) {
			codes++;
			cr_expect(page_has(pg.text, ".It ", w), "iridium.1 "
			    "does not describe exit status %s", w);
		}
	}
	cr_assert_geq(subs, 4, "subcommands in --help:\n%s", p.out);
	cr_assert_geq(opts, 6, "options in --help:\n%s", p.out);
	cr_assert_geq(codes, 5, "exit statuses in --help:\n%s", p.out);
	vec_free(ln, n);
	proc_free(&p);
	page_free(&pg);
}

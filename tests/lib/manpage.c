/*
 * manpage.c: reading and running the examples of a manual page (see
 * manpage.h).
 */
#include <criterion/criterion.h>

#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "manpage.h"

#define RUN_TIMEOUT_S	30
#define MAX_LINES	4096

/* The pages' directories, removed by man_cleanup() however a test ends. */
static char	 dirs[8][64];

/* --- small strings ------------------------------------------------------ */

char *
man_strdup(const char *s)
{
	char	*p = strdup(s);

	cr_assert_not_null(p);
	return p;
}

char *
man_strndup(const char *s, size_t n)
{
	char	*p = strndup(s, n);

	cr_assert_not_null(p);
	return p;
}

void
man_vec_push(char ***v, size_t *n, char *s)
{
	*v = reallocarray(*v, *n + 1, sizeof(**v));
	cr_assert_not_null(*v);
	(*v)[(*n)++] = s;
}

void
man_vec_free(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/* Split text into lines (no terminators); *partial: no final newline. */
size_t
man_split_lines(const char *s, size_t len, char ***out, int *partial)
{
	size_t	 n = 0, a = 0, i;

	*out = NULL;
	for (i = 0; i < len; i++)
		if (s[i] == '\n') {
			man_vec_push(out, &n, man_strndup(s + a, i - a));
			a = i + 1;
		}
	*partial = a < len;
	if (a < len)
		man_vec_push(out, &n, man_strndup(s + a, len - a));
	return n;
}

static const char *
man_build_dir(void)
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
unroff(const struct man_page *pg, int line, const char *s)
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

void
man_page_load(struct man_page *pg, const char *name)
{
	const char	*src = getenv("IRIDIUM_SRC");
	char		 path[4096], **ln, *p;
	struct man_example	*ex = NULL;
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
	n = man_split_lines(pg->text, len, &ln, &partial);
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
				ex->kind = MAN_TRY;
				ex->arg = man_strdup(s + 9);
				continue;
			}
			s += 13;
			if (strncmp(s, "file ", 5) == 0) {
				ex->kind = MAN_FILE;
				ex->arg = man_strdup(s + 5);
				cr_assert(strchr(ex->arg, '/') == NULL &&
				    ex->arg[0] != '.', "%s:%zu: a plain file "
				    "name, please", name, i + 1);
			} else if (strcmp(s, "shell") == 0)
				ex->kind = MAN_SHELL;
			else if (strcmp(s, "repl") == 0 ||
			    strncmp(s, "repl ", 5) == 0) {
				ex->kind = MAN_REPL;
				ex->arg = man_strdup(s[4] == ' ' ? s + 5 : "");
			} else if (strcmp(s, "text") == 0)
				ex->kind = MAN_TEXT;
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
			if (ex->kind != MAN_TRY && ex->kind != MAN_TEXT)
				cr_assert_fail("%s:%d: a .Dl after a block "
				    "marker", name, ex->line);
			man_vec_push(&ex->v, &ex->n, unroff(pg, (int)i + 1,
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
			if (ex->kind == MAN_TRY)
				cr_assert_fail("%s:%d: a try marker before a "
				    "display, not a .Dl", name, ex->line);
			for (i++; i < n && strcmp(ln[i], ".Ed") != 0; i++)
				man_vec_push(&ex->v, &ex->n,
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
	man_vec_free(ln, n);

	/* The page's files, in a directory of its own. */
	snprintf(pg->dir, sizeof(pg->dir), "/tmp/iridium-manual.XXXXXX");
	cr_assert_not_null(mkdtemp(pg->dir));
	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (dirs[i][0] == '\0')
			break;
	cr_assert_lt(i, sizeof(dirs) / sizeof(dirs[0]));
	memcpy(dirs[i], pg->dir, sizeof(dirs[i]));
	for (i = 0; i < pg->nex; i++) {
		size_t	 j;

		ex = &pg->ex[i];
		if (ex->kind != MAN_FILE)
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

void
man_cleanup(void)
{
	char	 cmd[128];
	size_t	 i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (dirs[i][0] == '\0')
			continue;
		snprintf(cmd, sizeof(cmd), "rm -rf '%.63s'", dirs[i]);
		if (system(cmd) == 0)
			dirs[i][0] = '\0';
	}
}

void
man_page_free(struct man_page *pg)
{
	size_t	 i;

	for (i = 0; i < pg->nex; i++) {
		free(pg->ex[i].arg);
		man_vec_free(pg->ex[i].v, pg->ex[i].n);
	}
	free(pg->text);
	man_cleanup();
}

size_t
man_page_count(const struct man_page *pg, enum man_kind kind)
{
	size_t	 i, n = 0;

	for (i = 0; i < pg->nex; i++)
		n += pg->ex[i].kind == kind;
	return n;
}

/* --- running ------------------------------------------------------------ */

void
man_slurp(int fd, char **buf, size_t *len, int *open_)
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
void
man_run(struct man_proc *p, const char *dir, char *const *argv, const char *in,
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
	p->out = man_strdup("");
	p->err = man_strdup("");
	signal(SIGPIPE, SIG_IGN);
	cr_assert_eq(pipe(pin), 0);
	cr_assert_eq(pipe(pout), 0);
	cr_assert_eq(pipe(perr), 0);
	snprintf(path, sizeof(path), "%s:/usr/local/bin:/usr/bin:/bin",
	    man_build_dir());
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
			man_slurp(pout[0], &p->out, &p->outlen, &oo);
		if (pfd[2].revents != 0)
			man_slurp(perr[0], &p->err, &p->errlen, &eo);
	}
	close(pout[0]);
	close(perr[0]);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	p->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	cr_assert(p->status != 126 && p->status != 127, "could not start "
	    "%s in %s", argv[0], dir);
}

void
man_proc_free(struct man_proc *p)
{
	free(p->out);
	free(p->err);
}

char *
man_iridium(void)
{
	static char	 p[4200];

	snprintf(p, sizeof(p), "%s/iridium", man_build_dir());
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
report(struct man_page *pg, const struct man_example *ex, const char *what,
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
int
man_expect_lines(struct man_page *pg, const struct man_example *ex, const char *what,
    char *const *want, size_t nw, const char *out, size_t outlen)
{
	char	**got;
	size_t	  ng;
	int	  partial, ok;

	ng = man_split_lines(out, outlen, &got, &partial);
	ok = !partial && lines_match(want, nw, got, ng);
	if (!ok)
		report(pg, ex, partial ? "output does not end with a newline" :
		    what, want, nw, out);
	man_vec_free(got, ng);
	return ok;
}

/* Does the page have a line starting with prefix followed by word? */
int
man_page_has(const char *text, const char *prefix, const char *word)
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


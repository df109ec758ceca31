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

#include <sys/wait.h>

#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "manpage.h"

/* --- shell transcripts -------------------------------------------------- */

static void
run_shell(struct man_page *pg, const struct man_example *ex)
{
	struct cmd { const char *line; char **want; size_t nw; } *c = NULL;
	char		*script = NULL, *argv[4], *what, *o;
	size_t		 nc = 0, slen = 0, i, len;
	struct man_proc	 p;
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
		man_vec_push(&c[nc - 1].want, &c[nc - 1].nw, man_strdup(ex->v[i]));
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
	man_run(&p, pg->dir, argv, NULL, 0, 1);
	o = p.out;
	for (i = 0; i < nc; i++) {
		char *sep = strstr(o, "\036\n");

		cr_assert_not_null(sep, "%s:%d: `%s` did not finish; the "
		    "script said:\n%s", pg->name, ex->line, c[i].line, p.out);
		len = (size_t)(sep - o);
		cr_assert_gt(asprintf(&what, "`%s`", c[i].line), 0);
		man_expect_lines(pg, ex, what, c[i].want, c[i].nw, o, len);
		free(what);
		o = sep + 2;
		man_vec_free(c[i].want, c[i].nw);
	}
	free(c);
	free(script);
	man_proc_free(&p);
}

/* --- REPL transcripts --------------------------------------------------- */

struct step {
	const char	*prompt;	/* ">>> " or "... " */
	const char	*line;		/* what is typed */
	char		**want;		/* the answer */
	size_t		 nw;
};

static size_t
repl_steps(const struct man_page *pg, const struct man_example *ex,
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
		man_vec_push(&s[n - 1].want, &s[n - 1].nw, man_strdup(l));
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
		man_vec_free(s[i].want, s[i].nw);
	free(s);
}

/* iridium's argv: the binary, then the transcript's arguments. */
static void
repl_argv(const struct man_example *ex, char **argv, size_t max, char *copy)
{
	size_t	 n = 0;
	char	*t, *save = NULL;

	argv[n++] = man_iridium();
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
run_repl_piped(struct man_page *pg, const struct man_example *ex)
{
	struct step	*s;
	size_t		 n = repl_steps(pg, ex, &s), k, i, nw = 0, ilen = 0;
	char		*argv[16], copy[256], *in = NULL, **want = NULL, *what;
	struct man_proc	 p;
	FILE		*f;

	cr_assert_lt(strlen(ex->arg), sizeof(copy));
	repl_argv(ex, argv, 16, copy);
	for (k = 0; k < n; k++) {
		for (i = 0; i < s[k].nw; i++)
			man_vec_push(&want, &nw, man_strdup(s[k].want[i]));
		if (k + 1 < n && strcmp(s[k + 1].prompt, ">>> ") != 0)
			continue;
		cr_assert_not_null(f = open_memstream(&in, &ilen));
		for (i = 0; i <= k; i++)
			fprintf(f, "%s\n", s[i].line);
		fclose(f);
		man_run(&p, pg->dir, argv, in, ilen, 1);
		cr_assert_gt(asprintf(&what, "the REPL's answers up to `%s` "
		    "(piped)", s[k].line), 0);
		if (!man_expect_lines(pg, ex, what, want, nw, p.out, p.outlen))
			k = n;		/* one report per transcript */
		free(what);
		free(in);
		in = NULL;
		man_proc_free(&p);
	}
	man_vec_free(want, nw);
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
			man_slurp(m, b, len, &open_);
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
			man_slurp(m, b, len, &open_);
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
run_repl_tty(struct man_page *pg, const struct man_example *ex)
{
	struct step	*s;
	size_t		 n = repl_steps(pg, ex, &s), k, len = 0, sent = 0;
	char		*argv[16], copy[256], *b = man_strdup(""), *line;
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
	man_expect_lines(pg, ex, "the REPL on a terminal", ex->v, ex->n, b, len);
	free(b);
	steps_free(s, n);
}

/* --- one-line instruction examples -------------------------------------- */

static json_t *
state_get(const struct man_page *pg, const struct man_example *ex, json_t *st,
    const char *key)
{
	json_t	*v = json_object_get(st, key);

	cr_assert_not_null(v, "%s:%d: no \"%s\" in the state", pg->name,
	    ex->line, key);
	return v;
}

/* One check "key = value" against the state; 1 if it holds. */
static int
try_check(const struct man_page *pg, const struct man_example *ex, json_t *st,
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
	char	*o = man_strdup(s), *p = o;

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
apply_checks(const struct man_page *pg, const struct man_example *ex,
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
visible_claims(const struct man_page *pg, const struct man_example *ex, FILE *f)
{
	const char	*c = strstr(ex->v[0], " ; ");
	char		*g, *arrow, *t, *save = NULL, *checks;

	if (c == NULL || (arrow = strstr(c, "->")) == NULL)
		return NULL;
	g = man_strndup(c + 3, (size_t)(arrow - c - 3));
	checks = man_strdup(arrow[2] == ' ' ? arrow + 3 : arrow + 2);
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
run_try(struct man_page *pg, const struct man_example *ex)
{
	char		*spec = man_strdup(ex->arg), *checks, *src = NULL, *t;
	char		*save = NULL, *argv[6], *nl, *claims;
	const char	*insn = ex->v[0];
	size_t		 slen = 0;
	int		 placed = 0, bad = 0;
	json_error_t	 jerr;
	struct outcome	 oc;
	struct man_proc	 p;
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

	argv[0] = man_iridium();
	argv[1] = CLI_ARG("run");
	argv[2] = CLI_ARG("--state-json");
	argv[3] = CLI_ARG("-");
	argv[4] = CLI_ARG("-");
	argv[5] = NULL;
	man_run(&p, pg->dir, argv, src, slen, 0);
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
	man_proc_free(&p);
}

/* --- the tests ---------------------------------------------------------- */

static void
run_page(struct man_page *pg, int tty)
{
	size_t	 i, ran = 0;

	for (i = 0; i < pg->nex; i++) {
		const struct man_example *ex = &pg->ex[i];

		switch (ex->kind) {
		case MAN_SHELL:
			if (!tty)
				run_shell(pg, ex);
			break;
		case MAN_REPL:
			if (tty)
				run_repl_tty(pg, ex);
			else
				run_repl_piped(pg, ex);
			break;
		case MAN_TRY:
			if (!tty)
				run_try(pg, ex);
			break;
		case MAN_FILE:
		case MAN_TEXT:
			break;
		}
		ran += ex->kind == MAN_REPL || (!tty && (ex->kind == MAN_SHELL ||
		    ex->kind == MAN_TRY));
	}
	cr_log_info("%s: %zu examples run%s (the page has %zu files, %zu "
	    "shell, %zu REPL, %zu one-line)", pg->name, ran,
	    tty ? " on a terminal" : "", man_page_count(pg, MAN_FILE),
	    man_page_count(pg, MAN_SHELL), man_page_count(pg, MAN_REPL),
	    man_page_count(pg, MAN_TRY));
	cr_assert_gt(ran, 0, "%s: no examples found", pg->name);
	cr_assert_eq(pg->failures, 0, "%s: %d examples differ from the page "
	    "(see above)", pg->name, pg->failures);
}

Test(manual, iridium_7_examples_run_as_shown, .timeout = 300,
    .fini = man_cleanup)
{
	struct man_page	 pg;

	man_page_load(&pg, "iridium.7");
	/* The page teaches with all four kinds; none may vanish. */
	cr_assert_geq(man_page_count(&pg, MAN_FILE), 5);
	cr_assert_geq(man_page_count(&pg, MAN_SHELL), 5);
	cr_assert_geq(man_page_count(&pg, MAN_REPL), 5);
	cr_assert_geq(man_page_count(&pg, MAN_TRY), 40);
	run_page(&pg, 0);
	man_page_free(&pg);
}

Test(manual, iridium_7_repl_sessions_look_so_on_a_terminal, .timeout = 300,
    .fini = man_cleanup)
{
	struct man_page	 pg;

	man_page_load(&pg, "iridium.7");
	run_page(&pg, 1);
	man_page_free(&pg);
}

Test(manual, iridium_1_examples_run_as_shown, .timeout = 120,
    .fini = man_cleanup)
{
	struct man_page	 pg;

	man_page_load(&pg, "iridium.1");
	run_page(&pg, 0);
	man_page_free(&pg);
}

Test(manual, iridium_7_describes_every_instruction_and_command,
    .fini = man_cleanup)
{
	struct man_page	 pg;
	struct man_proc	 p;
	char		 path[4200], *argv[4], **ln, mn[32];
	unsigned char	 img[72] = { 'E', 'P', 'I', 'E' };
	size_t		 i, j, n, found = 0;
	int		 b, fd, partial, tried;

	man_page_load(&pg, "iridium.7");
	/* Every opcode byte the disassembler knows names an instruction. */
	snprintf(path, sizeof(path), "%s/op.ir", pg.dir);
	argv[0] = man_iridium();
	argv[1] = CLI_ARG("disasm");
	argv[2] = path;
	argv[3] = NULL;
	for (b = 0; b < 256; b++) {
		img[68] = (unsigned char)b;
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		cr_assert_geq(fd, 0);
		cr_assert_eq(write(fd, img, sizeof(img)), (ssize_t)sizeof(img));
		close(fd);
		man_run(&p, pg.dir, argv, NULL, 0, 0);
		if (p.status != 0) {
			man_proc_free(&p);
			continue;
		}
		cr_assert_eq(sscanf(p.out, ".code\n\t%31[a-z0-9]", mn), 1,
		    "disasm of opcode %d: %s", b, p.out);
		found++;
		cr_expect(man_page_has(pg.text, ".It Ic ", mn), "iridium.7 does "
		    "not describe %s (opcode %d) with .It Ic %s", mn, b, mn);
		tried = 0;
		for (i = 0; i < pg.nex; i++)
			if (pg.ex[i].kind == MAN_TRY &&
			    strncmp(pg.ex[i].v[0], mn, strlen(mn)) == 0 &&
			    pg.ex[i].v[0][strlen(mn)] == ' ')
				tried = 1;
			else if (pg.ex[i].kind == MAN_TRY &&
			    strcmp(pg.ex[i].v[0], mn) == 0)
				tried = 1;
		cr_expect(tried, "iridium.7 has no tried example of %s", mn);
		man_proc_free(&p);
	}
	cr_assert_geq(found, 40, "only %zu opcodes disassembled", found);

	/* Every REPL command of !help. */
	argv[1] = NULL;
	man_run(&p, pg.dir, argv, "!help\n", 6, 0);
	n = man_split_lines(p.out, p.outlen, &ln, &partial);
	for (i = j = 0; i < n; i++) {
		if (sscanf(ln[i], "  %31[!a-z_]", mn) != 1 || mn[0] != '!')
			continue;
		j++;
		cr_expect(man_page_has(pg.text, ".It Ic ", mn), "iridium.7 does "
		    "not describe the REPL command %s", mn);
	}
	cr_assert_geq(j, 10, "!help listed %zu commands:\n%s", j, p.out);
	man_vec_free(ln, n);
	man_proc_free(&p);
	man_page_free(&pg);
}

Test(manual, iridium_1_describes_every_option_of_help, .fini = man_cleanup)
{
	struct man_page	 pg;
	struct man_proc	 p;
	char		*argv[3], **ln, w[64], want[96];
	size_t		 i, n, opts = 0, subs = 0, codes = 0;
	int		 partial, section = 0;

	man_page_load(&pg, "iridium.1");
	argv[0] = man_iridium();
	argv[1] = CLI_ARG("--help");
	argv[2] = NULL;
	man_run(&p, pg.dir, argv, NULL, 0, 0);
	cr_assert_eq(p.status, 0);
	n = man_split_lines(p.out, p.outlen, &ln, &partial);
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
			cr_expect(man_page_has(pg.text, ".It Cm ", w), "iridium.1 "
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
			cr_expect(man_page_has(pg.text, ".It ", w), "iridium.1 "
			    "does not describe exit status %s", w);
		}
	}
	cr_assert_geq(subs, 4, "subcommands in --help:\n%s", p.out);
	cr_assert_geq(opts, 6, "options in --help:\n%s", p.out);
	cr_assert_geq(codes, 5, "exit statuses in --help:\n%s", p.out);
	man_vec_free(ln, n);
	man_proc_free(&p);
	man_page_free(&pg);
}

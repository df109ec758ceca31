/*
 * test_readme.c: the README and the operator's manual pages cannot drift
 * from the programs.
 *
 *   - README.md marks each fenced code block with an HTML comment on the
 *     line before it: "<!-- example: shell -->" (lines "$ CMD" are run by
 *     /bin/sh, the other lines are the output, stdout and stderr
 *     together), "<!-- example: conf -->" (an iridiumd.conf snippet) or
 *     "<!-- example: text -->" (not run). A block without a marker fails.
 *     The shell transcripts are the tour: they run against an iridiumd
 *     started with contrib/iridiumd.dev.conf (make run's configuration)
 *     in a directory laid out as a checkout after make run (build/default,
 *     contrib, run/ with tenant dev's key and the control socket), on
 *     free ports that replace 2244 and 2222 in the commands and the
 *     output. Carriage returns are dropped (the line protocol's CRLF) and
 *     a last line without a newline (a prompt) is taken as a line.
 *   - Every configuration snippet, the README's and those of the manual
 *     pages (".\" example: conf" before a .Bd -literal; any display that
 *     starts with "[" must have it), goes through iridiumd -t.
 *   - The status document of iridiumctl(8) (".\" example: status-json")
 *     has exactly the fields a live daemon's has, and its text example
 *     the live column headings.
 *   - make html renders every page, and its index lists each one.
 *   - The README stays short (about 400 lines) and names every page.
 *
 * In expected output a line "..." stands for any number of lines, and a
 * line ending in " ..." for any line that starts with what precedes it.
 */
#include <criterion/criterion.h>

#include <sys/stat.h>

#include <dirent.h>
#include <stdarg.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "manpage.h"

enum block_kind { BK_TEXT, BK_SHELL, BK_CONF, BK_STATUS_JSON };

struct block {
	enum block_kind	 kind;
	char		 file[64];
	int		 line;		/* of the marker */
	char		**v;
	size_t		 n;
};

#define MAXBLOCKS	256

static struct block	 blocks[MAXBLOCKS];
static size_t		 nblocks;
static struct hd	 d;
static struct man_page	 pg;		/* for man_expect_lines' reports */

static const char *
src(void)
{
	const char	*s = getenv("IRIDIUM_SRC");

	cr_assert_not_null(s, "IRIDIUM_SRC is not set (run with make check)");
	return s;
}

static char *
slurp(const char *path)
{
	FILE	*f = fopen(path, "re");
	char	*buf = NULL;
	size_t	 len = 0;
	int	 c;
	FILE	*m;

	cr_assert_not_null(f, "%s", path);
	cr_assert_not_null(m = open_memstream(&buf, &len));
	while ((c = getc(f)) != EOF)
		putc(c, m);
	fclose(m);
	fclose(f);
	return buf;
}

static void
run_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
run_sh(const char *fmt, ...)
{
	char	 cmd[4096];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	cr_assert_eq(system(cmd), 0, "%s", cmd);
}

static struct block *
new_block(enum block_kind k, const char *file, int line)
{
	struct block	*b;

	cr_assert_lt(nblocks, MAXBLOCKS);
	b = &blocks[nblocks++];
	memset(b, 0, sizeof(*b));
	b->kind = k;
	snprintf(b->file, sizeof(b->file), "%s", file);
	b->line = line;
	return b;
}

/* --- reading the README and the pages ----------------------------------- */

static void
load_readme(void)
{
	char		 path[512], *text, **l;
	size_t		 n, i;
	int		 partial;
	int		 pending = -1, pline = 0;

	snprintf(path, sizeof(path), "%s/README.md", src());
	text = slurp(path);
	n = man_split_lines(text, strlen(text), &l, &partial);
	for (i = 0; i < n; i++) {
		const char	*s = l[i];
		struct block	*b;

		if (strncmp(s, "<!-- example: ", 14) == 0) {
			if (strcmp(s + 14, "shell -->") == 0)
				pending = BK_SHELL;
			else if (strcmp(s + 14, "conf -->") == 0)
				pending = BK_CONF;
			else if (strcmp(s + 14, "text -->") == 0)
				pending = BK_TEXT;
			else
				cr_assert_fail("README.md:%zu: unknown marker "
				    "%s", i + 1, s);
			pline = (int)i + 1;
			continue;
		}
		if (strncmp(s, "```", 3) != 0)
			continue;
		cr_assert(pending != -1 && pline == (int)i, "README.md:%zu: a "
		    "code block without an \"<!-- example: KIND -->\" line "
		    "before it", i + 1);
		b = new_block((enum block_kind)pending, "README.md", pline);
		for (i++; i < n && strncmp(l[i], "```", 3) != 0; i++)
			man_vec_push(&b->v, &b->n, man_strdup(l[i]));
		cr_assert_lt(i, n, "README.md:%d: a code block never closed",
		    pline);
		pending = -1;
	}
	man_vec_free(l, n);
	free(text);
}

/* A literal display's line as a reader sees it (the escapes used here). */
static char *
unroff_line(const char *file, size_t ln, const char *s)
{
	char	*out = man_strdup(s), *o = out;

	if (strncmp(s, "\\&", 2) == 0)
		s += 2;
	for (; *s != '\0'; s++) {
		if (*s != '\\') {
			*o++ = *s;
			continue;
		}
		s++;
		if (*s == 'e')
			*o++ = '\\';
		else if (*s == '&')
			continue;
		else if (*s == '-')
			*o++ = '-';
		else if (strncmp(s, "(dq", 3) == 0) {
			*o++ = '"';
			s += 2;
		} else
			cr_assert_fail("%s:%zu: an escape this test does not "
			    "know: %s", file, ln, s - 1);
	}
	*o = '\0';
	return out;
}

/*
 * The marked displays of one page. A display that starts with "[" is a
 * configuration snippet and must be marked as one.
 */
static void
load_page(const char *name)
{
	char		 path[512], *text, **l;
	size_t		 n, i;
	int		 partial, pending = -1, pline = 0;

	snprintf(path, sizeof(path), "%s/contrib/man/%s", src(), name);
	text = slurp(path);
	n = man_split_lines(text, strlen(text), &l, &partial);
	for (i = 0; i < n; i++) {
		struct block	*b;
		size_t		 start;

		if (strcmp(l[i], ".\\\" example: conf") == 0) {
			pending = BK_CONF;
			pline = (int)i + 1;
			continue;
		}
		if (strcmp(l[i], ".\\\" example: status-json") == 0) {
			pending = BK_STATUS_JSON;
			pline = (int)i + 1;
			continue;
		}
		if (strncmp(l[i], ".Bd -literal", 12) != 0) {
			if (strncmp(l[i], ".\\\"", 3) != 0)
				pending = -1;
			continue;
		}
		start = i + 1;
		if (pending == -1) {
			cr_assert(start >= n || l[start][0] != '[', "%s:%zu: a "
			    "configuration snippet without a \".\\\" example: "
			    "conf\" line before it", name, i + 1);
			continue;
		}
		b = new_block((enum block_kind)pending, name, pline);
		for (i = start; i < n && strcmp(l[i], ".Ed") != 0; i++)
			man_vec_push(&b->v, &b->n, unroff_line(name, i + 1,
			    l[i]));
		pending = -1;
	}
	man_vec_free(l, n);
	free(text);
}

static void
load_pages(void)
{
	char		 path[512];
	DIR		*dir;
	struct dirent	*e;

	snprintf(path, sizeof(path), "%s/contrib/man", src());
	cr_assert_not_null(dir = opendir(path), "%s", path);
	while ((e = readdir(dir)) != NULL) {
		size_t	 len = strlen(e->d_name);

		if (len > 2 && e->d_name[len - 2] == '.' &&
		    e->d_name[len - 1] >= '1' && e->d_name[len - 1] <= '8')
			load_page(e->d_name);
	}
	closedir(dir);
}

static size_t
count(enum block_kind k)
{
	size_t	 i, c = 0;

	for (i = 0; i < nblocks; i++)
		c += blocks[i].kind == k;
	return c;
}

/* --- the tour's daemon ---------------------------------------------------- */

/* s with "2244" and "2222" made the test daemon's ports (malloc'd). */
static char *
ports(const char *s, int line, int ssh)
{
	char	*out = malloc(strlen(s) * 2 + 16), *o = out;

	cr_assert_not_null(out);
	while (*s != '\0') {
		if (strncmp(s, "2244", 4) == 0 || strncmp(s, "2222", 4) == 0) {
			o += sprintf(o, "%d", s[2] == '4' ? line : ssh);
			s += 4;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return out;
}

/*
 * A directory laid out as a checkout after make run, and iridiumd started
 * with make run's configuration, on free ports.
 */
static void
start_dev(char *work, size_t len, int *line, int *ssh)
{
	char	 conf[600], state[600], *text, *p;
	const char *argv[] = { "-f", conf, "--state-dir", state,
	    "--ssh-worker-path", NULL, NULL };

	hd_tmpdir(work, len, "readme");
	snprintf(state, sizeof(state), "%s/run", work);
	snprintf(conf, sizeof(conf), "%s/dev.conf", work);
	run_sh("mkdir -p '%s/run' '%s/build' && ln -s '%s' '%s/build/default'"
	    " && ln -s '%s/contrib' '%s/contrib' && ssh-keygen -q -t ed25519 "
	    "-N '' -C dev@iridium-dev -f '%s/dev_ed25519'", work, work,
	    getenv("IRIDIUM_BUILD"), work, src(), work, state);
	snprintf(conf, sizeof(conf), "%s/contrib/iridiumd.dev.conf", src());
	text = slurp(conf);
	/* Free ports: port = 0, each listener's shown by the log. */
	for (p = text; (p = strstr(p, "\nport = ")) != NULL; p += 8) {
		cr_assert(strncmp(p + 8, "2244\n", 5) == 0 ||
		    strncmp(p + 8, "2222\n", 5) == 0, "iridiumd.dev.conf: "
		    "a port the README does not show: %.12s", p + 1);
		memcpy(p + 8, "0   ", 4);
	}
	snprintf(conf, sizeof(conf), "%s/dev.conf", work);
	hd_write(conf, text);
	free(text);
	argv[5] = hd_bin("iridium-worker-ssh");
	cr_assert_eq(hd_start(&d, argv), 0, "iridiumd did not start");
	cr_assert(hd_wait_log(&d, "ready: every pool has its spare workers",
	    20000), "the pools never filled");
	*line = hd_listener_port(&d, "line");
	*ssh = hd_listener_port(&d, "ssh");
	cr_assert(*line > 0 && *ssh > 0);
	run_sh("ln -s '%s' '%s/control.sock'", hd_control(&d), state);
}

/* Run one command as the README shows it; its output, as a reader sees it. */
static void
run_cmd(const char *work, const char *cmd, char **out, size_t *len)
{
	static char	 sh[] = "/bin/sh", dash_c[] = "-c";
	char		*argv[4];
	struct man_proc	 p;
	size_t		 i, o = 0;

	argv[0] = sh;
	argv[1] = dash_c;
	argv[2] = man_strdup(cmd);
	argv[3] = NULL;
	man_run(&p, work, argv, "", 0, 1);
	free(argv[2]);
	*out = malloc(p.outlen + 2);
	cr_assert_not_null(*out);
	for (i = 0; i < p.outlen; i++)
		if (p.out[i] != '\r')
			(*out)[o++] = p.out[i];
	if (o > 0 && (*out)[o - 1] != '\n')
		(*out)[o++] = '\n';
	(*out)[o] = '\0';
	*len = o;
	man_proc_free(&p);
}

Test(readme, the_tour_runs_as_shown, .fini = hd_fini,
    .timeout = 240)
{
	char		 work[256], *cmd = NULL, *out, **want = NULL;
	size_t		 i, j, nw = 0, len, ncmds = 0;
	int		 line, ssh, seen_nc = 0, seen_ssh = 0, seen_ctl = 0;
	struct man_example ex;

	load_readme();
	cr_assert_geq(count(BK_SHELL), 3, "README.md: the tour has fewer "
	    "than three shell transcripts");
	start_dev(work, sizeof(work), &line, &ssh);
	snprintf(pg.name, sizeof(pg.name), "README.md");
	for (i = 0; i < nblocks; i++) {
		const struct block *b = &blocks[i];

		if (b->kind != BK_SHELL)
			continue;
		cr_assert(b->n > 0 && strncmp(b->v[0], "$ ", 2) == 0,
		    "README.md:%d: a transcript starts with \"$ \"", b->line);
		for (j = 0; j <= b->n; j++) {
			if (j < b->n && strncmp(b->v[j], "$ ", 2) != 0) {
				man_vec_push(&want, &nw, ports(b->v[j], line,
				    ssh));
				continue;
			}
			if (cmd != NULL) {
				memset(&ex, 0, sizeof(ex));
				ex.kind = MAN_SHELL;
				ex.line = b->line;
				run_cmd(work, cmd, &out, &len);
				man_expect_lines(&pg, &ex, cmd, want, nw, out,
				    len);
				free(out);
				free(cmd);
				man_vec_free(want, nw);
				want = NULL;
				nw = 0;
				ncmds++;
			}
			cmd = j < b->n ? ports(b->v[j] + 2, line, ssh) : NULL;
			if (cmd != NULL) {
				seen_nc |= strstr(cmd, "| nc -N ") != NULL;
				seen_ssh |= strncmp(cmd, "ssh ", 4) == 0;
				seen_ctl |= strstr(cmd, "iridiumctl") != NULL;
			}
		}
	}
	cr_expect(seen_nc && seen_ssh && seen_ctl, "README.md: the tour "
	    "shows nc (%d), ssh (%d) and iridiumctl (%d)", seen_nc, seen_ssh,
	    seen_ctl);
	cr_assert_eq(pg.failures, 0, "README.md: %d of %zu commands did not "
	    "give what the README shows (see above)", pg.failures, ncmds);
	printf("CASE: README.md: %zu commands of the tour ran as shown\n",
	    ncmds);
}

/* --- configuration snippets ----------------------------------------------- */

/*
 * A line setting a file of public keys to an absolute path
 * (authorized_keys, trusted_user_ca_keys, revoked_keys): the key's
 * length; else 0.
 */
static size_t
key_file_key(const char *s)
{
	static const char *const keys[] = { "authorized_keys",
	    "trusted_user_ca_keys", "revoked_keys" };
	size_t	 i, n;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		n = strlen(keys[i]);
		if (strncmp(s, keys[i], n) == 0 && strncmp(s + n, " = /", 4) ==
		    0)
			return n;
	}
	return 0;
}

/*
 * The snippet as a file iridiumd -t can read on any machine: an absolute
 * path to a file of public keys becomes a file of the test's with a real
 * key (a list of one key, for revoked_keys).
 */
static char *
snippet_file(const struct block *b, const char *dir, const char *pubkey,
    int nth)
{
	char	 path[600], kp[700], *buf = NULL;
	size_t	 len = 0, i, n;
	FILE	*f;

	cr_assert_not_null(f = open_memstream(&buf, &len));
	for (i = 0; i < b->n; i++) {
		const char	*s = b->v[i];

		if ((n = key_file_key(s)) > 0) {
			snprintf(kp, sizeof(kp), "%s/keys%d-%zu", dir, nth, i);
			hd_write(kp, pubkey);
			cr_assert_eq(chmod(kp, 0600), 0);
			fprintf(f, "%.*s = %s\n", (int)n, s, kp);
		} else
			fprintf(f, "%s\n", s);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/snippet%d.conf", dir, nth);
	hd_write(path, buf);
	free(buf);
	return man_strdup(path);
}

Test(readme, every_config_snippet_is_accepted_by_iridiumd_t,
    .fini = hd_fini, .timeout = 120)
{
	char		 dir[256], key[600], uids[32], *pub, *path, *out, *err;
	size_t		 i, readme = 0, pages = 0;
	int		 st, bad = 0, lock;

	load_readme();
	load_pages();
	hd_tmpdir(dir, sizeof(dir), "snippets");
	snprintf(key, sizeof(key), "%s/k", dir);
	run_sh("ssh-keygen -q -t ed25519 -N '' -f '%s'", key);
	strcat(key, ".pub");
	pub = slurp(key);
	/* As root the workers' uids are checked: a slice of the tests'. */
	lock = hd_uids_take(uids, sizeof(uids));
	for (i = 0; i < nblocks; i++) {
		const struct block *b = &blocks[i];
		const char *argv[] = { hd_bin("iridiumd"), "-t", "-f", NULL,
		    "--worker-path", hd_bin("iridium-worker"),
		    "--ssh-worker-path", hd_bin("iridium-worker-ssh"),
		    "--state-dir", dir, "--run-dir", dir, "--worker-uids", uids,
		    NULL };

		if (b->kind != BK_CONF)
			continue;
		argv[3] = path = snippet_file(b, dir, pub, (int)i);
		st = hd_run(argv, &out, &err, 20000);
		if (st != 0 || strstr(out, "configuration OK") == NULL) {
			fprintf(stderr, "%s:%d: iridiumd -t refuses the "
			    "snippet (exit %d):\n%s%s\n", b->file, b->line, st,
			    out, err);
			bad++;
		}
		if (strcmp(b->file, "README.md") == 0)
			readme++;
		else
			pages++;
		free(out);
		free(err);
		free(path);
	}
	free(pub);
	hd_uids_release(lock);
	cr_assert_eq(bad, 0, "%d configuration snippets are refused (see "
	    "above)", bad);
	cr_assert_geq(readme, 2, "README.md: its configuration snippets are "
	    "marked");
	cr_assert_geq(pages, 4, "the manual pages' configuration snippets "
	    "are marked");
	printf("CASE: %zu snippets of README.md and %zu of the manual pages "
	    "pass iridiumd -t\n", readme, pages);
}

/* --- the status document -------------------------------------------------- */

/* Objects whose keys are names (tenants, algorithms), not fields. */
static int
is_map(const char *path)
{
	return strcmp(path, ".sessions.per_tenant") == 0 ||
	    strcmp(path, ".sessions.kex") == 0 ||
	    strcmp(path, ".sessions.ciphers") == 0;
}

/* Every field's path ("pools[].exits.normal") into the set. */
static void
paths(json_t *v, const char *at, json_t *set)
{
	char		 p[512];
	const char	*k;
	json_t		*c;
	size_t		 i;

	json_object_set_new(set, at, json_true());
	if (json_is_object(v)) {
		json_object_foreach(v, k, c) {
			snprintf(p, sizeof(p), "%s.%s", at, is_map(at) ? "*" :
			    k);
			paths(c, p, set);
		}
	} else if (json_is_array(v)) {
		snprintf(p, sizeof(p), "%s[]", at);
		json_array_foreach(v, i, c)
			paths(c, p, set);
	}
}

/* The lines of text that start with word, each as its words. */
static char *
headings(const char *text, const char *word)
{
	char	*out = NULL, *copy = man_strdup(text), *l, *save, *w, *s2;
	size_t	 len = 0;
	FILE	*f;

	cr_assert_not_null(f = open_memstream(&out, &len));
	for (l = strtok_r(copy, "\n", &save); l != NULL;
	    l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, word, strlen(word)) != 0 ||
		    l[strlen(word)] != ' ')
			continue;
		for (w = strtok_r(l, " ", &s2); w != NULL;
		    w = strtok_r(NULL, " ", &s2))
			fprintf(f, "%s ", w);
		break;
	}
	fclose(f);
	free(copy);
	return out;
}

Test(readme, iridiumctl_8_shows_the_live_status_fields, .fini = hd_fini,
    .timeout = 120)
{
	static const char *const heads[] = { "LISTENER", "POOL", "SESSION",
	    NULL };
	char		 work[256], *text = NULL, *out, *err, *a, *b;
	size_t		 i, len = 0, n = 0;
	int		 line, ssh, fd, missing = 0;
	json_t		*page, *live, *pset, *lset, *v;
	json_error_t	 je;
	const char	*k;
	const struct block *doc = NULL;
	FILE		*f;

	load_page("iridiumctl.8");
	for (i = 0; i < nblocks; i++)
		if (blocks[i].kind == BK_STATUS_JSON)
			doc = &blocks[i], n++;
	cr_assert_eq(n, 1, "iridiumctl.8 has one status-json example");
	cr_assert_not_null(f = open_memstream(&text, &len));
	for (i = 0; i < doc->n; i++)
		fprintf(f, "%s\n", doc->v[i]);
	fclose(f);
	page = json_loads(text, 0, &je);
	cr_assert_not_null(page, "iridiumctl.8:%d: not JSON: %s (line %d)",
	    doc->line, je.text, je.line);
	free(text);

	/* A live daemon with a line session and an ssh listener. */
	start_dev(work, sizeof(work), &line, &ssh);
	fd = tc_connect(d.host, line);
	free(tc_read_until(fd, ">>> ", 10000));
	free(tc_cmd(fd, "load $1 #7"));
	live = hd_status(&d);

	pset = json_object();
	lset = json_object();
	paths(page, "", pset);
	paths(live, "", lset);
	json_object_foreach(lset, k, v)
		if (json_object_get(pset, k) == NULL) {
			fprintf(stderr, "iridiumctl.8:%d: the example lacks "
			    "%s\n", doc->line, k);
			missing++;
		}
	json_object_foreach(pset, k, v)
		if (json_object_get(lset, k) == NULL) {
			fprintf(stderr, "iridiumctl.8:%d: the daemon has no "
			    "%s\n", doc->line, k);
			missing++;
		}
	cr_expect_eq(missing, 0, "iridiumctl.8's status document and the "
	    "daemon's differ in %d fields (see above)", missing);
	cr_expect_geq(json_object_size(pset), 100, "the example is the whole "
	    "document");

	/* The text example's column headings are the live ones. */
	{
		const char *argv[] = { hd_bin("iridiumctl"), "-s",
		    hd_control(&d), "status", NULL };

		cr_assert_eq(hd_run(argv, &out, &err, 10000), 0, "%s", err);
	}
	{
		char	 path[512], *src_text, *p, *q;

		snprintf(path, sizeof(path), "%s/contrib/man/iridiumctl.8",
		    src());
		src_text = slurp(path);
		p = strstr(src_text, "\nLISTENER ");
		cr_assert_not_null(p, "iridiumctl.8 shows iridiumctl status");
		q = strstr(p, "\n.Ed\n");
		cr_assert_not_null(q);
		text = man_strndup(p, (size_t)(q - p));
		free(src_text);
	}
	for (i = 0; heads[i] != NULL; i++) {
		a = headings(text, heads[i]);
		b = headings(out, heads[i]);
		cr_expect_str_eq(a, b, "iridiumctl.8: the %s table's headings "
		    "are not the live ones", heads[i]);
		free(a);
		free(b);
	}
	free(text);
	free(out);
	free(err);
	close(fd);
	json_decref(page);
	json_decref(live);
	json_decref(pset);
	json_decref(lset);
}

/* --- make html ------------------------------------------------------------ */

Test(readme, make_html_renders_every_page_and_indexes_it, .fini = hd_fini,
    .timeout = 120)
{
	const char	*variant = getenv("IRIDIUM_VARIANT");
	char		 rel[128], abs[700], path[900], *index;
	DIR		*dir;
	struct dirent	*e;
	int		 pages = 0;

	if (variant == NULL)
		variant = "default";
	snprintf(rel, sizeof(rel), "build/%s/test-logs/html-%d", variant,
	    (int)getpid());
	snprintf(abs, sizeof(abs), "%s/%s", src(), rel);
	run_sh("make -s -C '%s' html HTML_DIR='%s' >/dev/null", src(), rel);
	snprintf(path, sizeof(path), "%s/index.html", abs);
	index = slurp(path);
	snprintf(path, sizeof(path), "%s/contrib/man", src());
	cr_assert_not_null(dir = opendir(path));
	while ((e = readdir(dir)) != NULL) {
		size_t		 len = strlen(e->d_name);
		struct stat	 st;
		char		 want[300];

		if (len < 3 || e->d_name[len - 2] != '.' ||
		    e->d_name[len - 1] < '1' || e->d_name[len - 1] > '8')
			continue;
		snprintf(path, sizeof(path), "%s/%s.html", abs, e->d_name);
		cr_expect(stat(path, &st) == 0 && st.st_size > 1000,
		    "make html did not render %s", e->d_name);
		snprintf(want, sizeof(want), "<li><a href=\"%s.html\">",
		    e->d_name);
		cr_expect_not_null(strstr(index, want), "the index lacks %s",
		    e->d_name);
		pages++;
	}
	closedir(dir);
	free(index);
	hd_rmtree(abs);
	cr_assert_geq(pages, 8);
	printf("CASE: make html rendered and indexed %d pages\n", pages);
}

/* --- the README's shape --------------------------------------------------- */

/*
 * A newcomer reads the README in ten minutes: about 400 lines, and it
 * names every manual page, where the rest lives.
 */
Test(readme, is_short_and_names_every_manual_page)
{
	char		 path[512], *text, want[300];
	size_t		 lines = 0, pages = 0;
	const char	*p;
	DIR		*dir;
	struct dirent	*e;

	snprintf(path, sizeof(path), "%s/README.md", src());
	text = slurp(path);
	for (p = text; *p != '\0'; p++)
		lines += *p == '\n';
	cr_expect_leq(lines, 420, "README.md has %zu lines: reference "
	    "material goes into the manual pages", lines);
	snprintf(path, sizeof(path), "%s/contrib/man", src());
	cr_assert_not_null(dir = opendir(path));
	while ((e = readdir(dir)) != NULL) {
		size_t	 len = strlen(e->d_name);

		if (len < 3 || e->d_name[len - 2] != '.' ||
		    e->d_name[len - 1] < '1' || e->d_name[len - 1] > '8')
			continue;
		snprintf(want, sizeof(want), "`%.*s(%c)`", (int)len - 2,
		    e->d_name, e->d_name[len - 1]);
		cr_expect_not_null(strstr(text, want), "README.md does not "
		    "name %s", want);
		pages++;
	}
	closedir(dir);
	free(text);
	cr_assert_geq(pages, 8);
}

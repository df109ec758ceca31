/*
 * test_edit.c: the worker's line editor as a user meets it: OpenSSH's
 * `ssh -tt` to the real iridiumd, running inside a real terminal (a tmux
 * pane), keys sent as tmux sends a user's keys, and the SCREEN compared
 * (tmux capture-pane), not the byte stream: cursor and word moves,
 * deletion, kill and yank, ^T, ^L, the history walk and ^R, Tab
 * completion, a pasted program of 2,000 bytes with tabs and blank lines,
 * a line three times the terminal's width edited after the terminal
 * narrows, a line of wide characters deleted by whole characters. The
 * real telnet client, offered character mode after its first line, gets
 * the same editor, its window size by NAWS, and keeps them (and the
 * line half typed) when `iridiumctl upgrade` moves it into a new
 * worker. And the clients without a
 * terminal get no echo and no escape sequence: ssh with its input piped,
 * nc, a script that does not answer the offer.
 */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "repl.h"
#include "sshc.h"

#define T		20000
#define TMUX		"/usr/bin/tmux"

static struct hd	 d;
static char		 dir[256];
static char		 sock[300];
static struct sshc_opts	 so;

static void
setup(void)
{
	hd_tmpdir(dir, sizeof(dir), "edit");
	sshc_keys(dir, "dev");
	snprintf(sock, sizeof(sock), "%s/tmux.sock", dir);
	so.dir = dir;
}

static void
teardown(void)
{
	char	*out = NULL, *err = NULL;
	const char *const argv[] = { TMUX, "-S", sock, "kill-server", NULL };

	if (access(sock, F_OK) == 0)
		(void)hd_run(argv, &out, &err, 5000);
	free(out);
	free(err);
	hd_fini();
}

TestSuite(edit, .init = setup, .fini = teardown, .timeout = 120);

/* tmux is what the test types with: present, or the test cannot run. */
static void
need_tmux(void)
{
	if (access(TMUX, X_OK) == 0) {
		cr_log_info("CASE: a real terminal: tmux, capture-pane");
		return;
	}
	if (getenv("CI") != NULL)
		cr_assert_fail("tmux is not installed (contrib/deps.txt, test)");
	cr_skip_test("tmux is not installed (contrib/deps.txt, test)");
}

/* Run tmux with the arguments (NULL-terminated); its output. */
static char *
tmux(const char *a, ...)
{
	const char	*argv[32];
	char		*out = NULL, *err = NULL;
	va_list		 ap;
	int		 n = 0, rv;

	argv[n++] = TMUX;
	argv[n++] = "-S";
	argv[n++] = sock;
	argv[n++] = "-f";
	argv[n++] = "/dev/null";
	argv[n++] = a;
	va_start(ap, a);
	while ((argv[n] = va_arg(ap, const char *)) != NULL && n < 30)
		n++;
	va_end(ap);
	argv[n] = NULL;
	rv = hd_run(argv, &out, &err, 10000);
	cr_assert_eq(rv, 0, "tmux %s: %s", a, err != NULL ? err : "");
	free(err);
	return out != NULL ? out : strdup("");
}

#define KEYS(...)	free(tmux("send-keys", "-t", "e", __VA_ARGS__, NULL))
#define TEXT(s)		free(tmux("send-keys", "-t", "e", "-l", s, NULL))

static char *
screen(void)
{
	return tmux("capture-pane", "-p", "-t", "e", NULL);
}

/* Row r of the screen (trailing blanks cut), into a static buffer. */
static const char *
row_of(const char *scr, int r)
{
	static char	 s[1024];
	const char	*p = scr, *e;
	size_t		 n;

	for (int i = 0; i < r && p != NULL; i++)
		if ((p = strchr(p, '\n')) != NULL)
			p++;
	if (p == NULL)
		return "";
	e = strchr(p, '\n');
	n = e != NULL ? (size_t)(e - p) : strlen(p);
	if (n >= sizeof(s))
		n = sizeof(s) - 1;
	memcpy(s, p, n);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	s[n] = '\0';
	return s;
}

/* Wait until row r reads want (r < 0: any row); fail with the screen. */
static void
row_is(int r, const char *want)
{
	long long	 end = hd_now_ms() + T;
	char		*scr = NULL;
	bool		 ok = false;

	while (!ok && hd_now_ms() < end) {
		free(scr);
		scr = screen();
		if (r >= 0)
			ok = strcmp(row_of(scr, r), want) == 0;
		else
			for (int i = 0; i < 60 && !ok; i++)
				ok = strcmp(row_of(scr, i), want) == 0;
		if (!ok)
			usleep(50 * 1000);
	}
	cr_assert(ok, "row %d is not \"%s\"; the screen:\n%s", r, want, scr);
	free(scr);
}

/* Wait until the screen holds text somewhere; fail with the screen. */
static void
shows(const char *text)
{
	long long	 end = hd_now_ms() + T;
	char		*scr = NULL;

	do {
		free(scr);
		scr = screen();
		if (strstr(scr, text) != NULL) {
			free(scr);
			return;
		}
		usleep(50 * 1000);
	} while (hd_now_ms() < end);
	cr_assert_fail("\"%s\" is not on the screen:\n%s", text, scr);
}

static bool
absent(const char *text)
{
	char	*scr = screen();
	bool	 no = strstr(scr, text) == NULL;

	free(scr);
	return no;
}

/* The cursor's column and row. */
static void
cursor(int *x, int *y)
{
	char	*s = tmux("display-message", "-p", "-t", "e",
	    "#{cursor_x} #{cursor_y}", NULL);

	cr_assert_eq(sscanf(s, "%d %d", x, y), 2, "%s", s);
	free(s);
}

/* Wait until the cursor is at column x, row y. */
static void
cursor_is(int x, int y)
{
	long long	 end = hd_now_ms() + T;
	int		 cx, cy;

	for (;;) {
		cursor(&cx, &cy);
		if ((cx == x && cy == y) || hd_now_ms() >= end)
			break;
		usleep(50 * 1000);
	}
	cr_assert(cx == x && cy == y, "the cursor is at %d,%d, not %d,%d",
	    cx, cy, x, y);
}

/* The daemon: an ssh listener (first) and a line listener. */
static void
daemon_up(void)
{
	char	 text[1024];

	need_tmux();
	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\n"
	    "[pool]\nmin_spare = 1\n"
	    "[listener ssh]\ntransport = ssh\nport = 0\n"
	    "[listener line]\ntransport = line\nport = 0\n"
	    "tenant = anonymous\n"
	    "[tenant dev]\nauthorized_keys = %s/dev.keys\n", dir, dir);
	sshc_daemon(&d, &so, text, NULL);
	sshc_trust(&so, SSHC_HOSTKEY, NULL, 0);
}

/* cmd in a tmux pane, 80 columns wide until the prompt, then cols. */
static void
pane(const char *cmd, int cols, int rows)
{
	char	 w[16], h[16];

	snprintf(w, sizeof(w), "%d", cols);
	snprintf(h, sizeof(h), "%d", rows);
	free(tmux("new-session", "-d", "-s", "e", "-x", "80", "-y", h, cmd,
	    NULL));
	shows(REPL_BANNER);
	row_is(-1, ">>>");
	if (cols != 80) {
		/* The width the test wants: the client says so. */
		free(tmux("resize-window", "-t", "e", "-x", w, NULL));
		usleep(300 * 1000);
	}
}

/* The daemon, and `ssh -tt` to it in a cols x rows tmux pane. */
static void
start(int cols, int rows)
{
	char		 cmd[4096];
	const char	*opts[] = { "-tt", NULL };
	char		**argv;
	size_t		 n = 0;

	daemon_up();
	argv = sshc_argv(&so, "dev", "dev", opts, NULL);
	cmd[0] = '\0';
	for (int i = 0; argv[i] != NULL; i++)
		n += (size_t)snprintf(cmd + n, sizeof(cmd) - n, "%s'%s'",
		    i > 0 ? " " : "", argv[i]);
	cr_assert_lt(n, sizeof(cmd));
	pane(cmd, cols, rows);
}

/* Clear the screen (^L) with an empty line: the prompt on row 0. */
static void
fresh(void)
{
	KEYS("C-e", "C-u", "C-l");
	row_is(0, ">>>");
}

/* Run !registers from the top of the screen; want is in what it says. */
static void
registers(const char *want)
{
	fresh();
	TEXT("!registers");
	KEYS("Enter");
	shows(want);
}

/* --- the keys ---------------------------------------------------------------- */

Test(edit, cursor_moves_deletion_and_the_kill_buffer)
{
	start(60, 50);
	TEXT("load $1 #42");
	KEYS("Left", "Left", "Left", "BSpace");
	TEXT("X");
	row_is(1, ">>> load $1X#42");
	cursor_is(12, 1);
	KEYS("Home");
	TEXT("<");
	KEYS("End");
	TEXT(">");
	KEYS("C-a");
	TEXT("a");
	KEYS("C-e");
	TEXT("e");
	row_is(1, ">>> a<load $1X#42>e");
	/* Word moves: Alt-B, Alt-F, Ctrl-Left, Ctrl-Right. */
	KEYS("M-b");
	TEXT("[");
	row_is(1, ">>> a<load $1X#42>[e");
	KEYS("C-Left", "C-Left");
	TEXT("|");
	row_is(1, ">>> a<load $|1X#42>[e");
	KEYS("M-f");
	TEXT("]");
	KEYS("C-Right");
	TEXT("^");
	row_is(1, ">>> a<load $|1X]#42^>[e");
	/* Delete, ^D on a non-empty line, Backspace. */
	KEYS("Home", "DC", "C-d", "End", "BSpace");
	row_is(1, ">>> load $|1X]#42^>[");
	/* ^K, ^Y, ^U, ^W, ^T. */
	KEYS("Home", "M-f", "C-k");
	row_is(1, ">>> load");
	KEYS("C-y", "C-y");
	row_is(1, ">>> load $|1X]#42^>[ $|1X]#42^>[");
	KEYS("C-w", "C-w");
	row_is(1, ">>> load");
	KEYS("C-y", "Home", "C-f", "C-f", "C-u");
	row_is(1, ">>> ad $|1X]#42^>[");
	KEYS("Right", "C-t");
	row_is(1, ">>> da $|1X]#42^>[");
	/* ^L: the screen cleared, prompt and line at the top. */
	KEYS("C-l");
	row_is(0, ">>> da $|1X]#42^>[");
	row_is(1, "");
	cursor_is(6, 0);
	/* Enter from inside the line sends all of it. */
	KEYS("C-e", "C-u");
	TEXT("load $1 #42");
	KEYS("Home", "Enter");
	row_is(1, ">>>");
	registers("$1           42");
	/* An unknown key (F5) inserts nothing. */
	fresh();
	KEYS("F5", "F12", "Insert");
	TEXT("x");
	row_is(0, ">>> x");
	/* ^C drops the line: a fresh prompt. */
	KEYS("C-c");
	row_is(0, ">>> x^C");
	row_is(1, ">>>");
}

Test(edit, history_walk_and_reverse_search)
{
	start(60, 50);
	TEXT("load $1 #11");
	KEYS("Enter");
	row_is(2, ">>>");
	TEXT("!registers");
	KEYS("Enter");
	shows("pc");
	TEXT("!registers");
	KEYS("Enter");
	TEXT("load $2 #22");
	KEYS("Enter");
	fresh();
	TEXT("draft");
	KEYS("Up");
	row_is(0, ">>> load $2 #22");
	KEYS("Up");
	row_is(0, ">>> !registers");
	/* The same line twice in a row is one step. */
	KEYS("C-p");
	row_is(0, ">>> load $1 #11");
	KEYS("C-n");
	row_is(0, ">>> !registers");
	KEYS("Down", "Down");
	row_is(0, ">>> draft");
	/* ^R: the newest line holding what is typed. */
	KEYS("C-r");
	TEXT("load");
	row_is(0, "(reverse-i-search)`load': load $2 #22");
	KEYS("C-r");
	row_is(0, "(reverse-i-search)`load': load $1 #11");
	KEYS("C-g");
	row_is(0, ">>> draft");
	KEYS("C-u", "C-r");
	TEXT("#1");
	KEYS("Enter");
	row_is(1, ">>>");
	registers("$1           11");
}

Test(edit, tab_completes_and_lists)
{
	start(60, 50);
	TEXT("hl");
	KEYS("Tab");
	row_is(1, ">>> hlt");
	cursor_is(8, 1);
	KEYS("C-u");
	TEXT("jm");
	KEYS("Tab");
	row_is(2, "jmp  jmpb  jmpe  jmpf");
	row_is(3, ">>> jmp");
	KEYS("C-u");
	TEXT("ad");
	KEYS("Tab");
	row_is(4, "add  addf64");
	row_is(5, ">>> add");
	/* One more letter, a space: add $1 $2 $3. */
	TEXT(" $");
	KEYS("Tab");
	shows("$0  $1  $2  $3");
	fresh();
	TEXT("!reg");
	KEYS("Tab");
	row_is(0, ">>> !registers");
	KEYS("Enter");
	shows("loop_counter");
}

/* A program of about 2,000 bytes, with tabs and blank lines. */
static void
program(char *p, size_t len, int *incs)
{
	size_t	 n = 0;

	*incs = 0;
	n += (size_t)snprintf(p + n, len - n, "!load\n; a pasted program\n\n");
	while (n < 1900) {
		n += (size_t)snprintf(p + n, len - n,
		    "\tinc $2\t; count\n\n\tadd $3 $2 $3\n");
		(*incs)++;
	}
	snprintf(p + n, len - n, "\thlt\n!end\n");
}

Test(edit, a_pasted_program_arrives_intact)
{
	char	 prog[2200], path[300], want[64];
	int	 incs;
	FILE	*f;

	program(prog, sizeof(prog), &incs);
	cr_assert_geq(strlen(prog), 1900);
	start(60, 50);
	snprintf(path, sizeof(path), "%s/paste.txt", dir);
	cr_assert_not_null(f = fopen(path, "w"));
	fputs(prog, f);
	fclose(f);
	free(tmux("load-buffer", path, NULL));
	/* -p: bracketed, as the application asked (ESC [ ? 2004 h). */
	free(tmux("paste-buffer", "-p", "-t", "e", NULL));
	snprintf(want, sizeof(want), "loaded %d instructions", 2 * incs + 1);
	shows(want);
	snprintf(want, sizeof(want), "$2 %12d", incs);
	registers(want);
	/* No escape sequence shown, no completion listed. */
	cr_assert(absent("200~") && absent("201~") && absent("addf64"));
}

Test(edit, a_long_line_wraps_and_edits_after_a_window_change)
{
	char	 line[200], r0[64];

	start(40, 50);
	fresh();
	/* 4 + 116 = 120 columns: three rows of 40. */
	snprintf(line, sizeof(line), "load $1 #7 ;%0104d", 0);
	memset(line + 12, 'x', 104);
	TEXT(line);
	snprintf(r0, sizeof(r0), ">>> %.36s", line);
	row_is(0, r0);
	row_is(2, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	cursor_is(0, 3);
	/* Narrower: 30 columns, four rows; edit at both ends. */
	free(tmux("resize-window", "-t", "e", "-x", "30", NULL));
	usleep(300 * 1000);
	KEYS("Home", "Right", "Right", "Right", "Right", "Right", "Right",
	    "DC");
	TEXT("2");
	KEYS("End");
	TEXT("!");
	snprintf(r0, sizeof(r0), ">>> load $2 #7 ;%.14s", line + 12);
	row_is(0, r0);
	row_is(1, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	row_is(3, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	row_is(4, "!");
	cursor_is(1, 4);
	KEYS("Enter");
	free(tmux("resize-window", "-t", "e", "-x", "80", NULL));
	registers("$2            7");
}

Test(edit, wide_characters_delete_whole)
{
	start(21, 50);
	fresh();
	/* ">>> " and eight wide characters: 20 columns; the ninth does not
	 * fit the last column and goes to the next row. */
	TEXT("; 漢字かな漢字かなX漢");
	row_is(0, ">>> ; 漢字かな漢字か");
	row_is(1, "なX漢");
	cursor_is(5, 1);
	KEYS("BSpace", "Left", "BSpace");
	row_is(0, ">>> ; 漢字かな漢字かX");
	row_is(1, "");
	cursor_is(20, 0);
	KEYS("Home", "Right", "Right", "Right", "DC");
	row_is(0, ">>> ; 漢かな漢字かX");
	cursor_is(8, 0);
	KEYS("Enter");
	row_is(1, ">>>");
}

/* --- no terminal, no escapes ------------------------------------------------ */

Test(edit, piped_ssh_gets_no_escape_sequence)
{
	struct sshc	 c;

	need_tmux();
	start(60, 50);
	sshc_ssh(&c, &so, "dev", "dev", NULL, "load $1 #42\n!registers\n");
	cr_assert_eq(c.status, 0);
	cr_assert_not_null(memmem(c.o.data, c.o.len, "$1           42", 15));
	cr_assert_null(memchr(c.o.data, 0x1b, c.o.len));
	cr_assert_null(memchr(c.o.data, '\r', c.o.len));
	sshc_free(&c);
}

/* --- telnet ------------------------------------------------------------------ */

Test(edit, telnet_gets_the_editor_after_its_first_line)
{
	char	 cmd[128], line[128], r0[64];
	int	 port;

	daemon_up();
	cr_assert_gt(port = hd_listener_port(&d, "line"), 0);
	snprintf(cmd, sizeof(cmd), "telnet 127.0.0.1 %d", port);
	pane(cmd, 80, 50);
	/* The first line in the client's line mode, typed a while after
	 * the start and ended with CR LF: a telnet client, offered
	 * character mode, which it takes. */
	usleep(1100 * 1000);
	TEXT("load $1 #42");
	KEYS("Enter");
	fresh();
	TEXT("load $2 #5");
	KEYS("Home");
	TEXT("x");
	row_is(0, ">>> xload $2 #5");
	KEYS("BSpace", "C-e", "BSpace");
	TEXT("7");
	row_is(0, ">>> load $2 #7");
	KEYS("Enter");
	row_is(1, ">>>");
	KEYS("Up");
	row_is(1, ">>> load $2 #7");
	KEYS("Up");
	row_is(1, ">>> load $1 #42");
	KEYS("C-u");
	TEXT("jm");
	KEYS("Tab");
	row_is(2, "jmp  jmpb  jmpe  jmpf");
	row_is(3, ">>> jmp");
	/* NAWS: the client's width, and its change, wrap the line. */
	fresh();
	free(tmux("resize-window", "-t", "e", "-x", "30", NULL));
	usleep(300 * 1000);
	snprintf(line, sizeof(line), "load $3 #9 ;%048d", 0);
	memset(line + 12, 'y', 48);
	TEXT(line);
	snprintf(r0, sizeof(r0), ">>> %.26s", line);
	row_is(0, r0);
	row_is(1, "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
	row_is(2, "yyyy");
	KEYS("Home", "C-Right", "C-Right", "BSpace");
	TEXT("4");
	row_is(0, ">>> load $4 #9 ;yyyyyyyyyyyyyy");
	cursor_is(11, 0);
	KEYS("Enter");
	free(tmux("resize-window", "-t", "e", "-x", "80", NULL));
	registers("$4            9");
	/* ^C drops the line being typed. */
	TEXT("hlt");
	KEYS("C-c");
	row_is(-1, ">>> hlt^C");
}

/* The local port of this machine's connection to port (telnet's). */
static int
client_port(int port)
{
	FILE		*f = fopen("/proc/net/tcp", "r");
	char		 line[256];
	unsigned	 lport, rport, st;
	int		 found = -1;

	cr_assert_not_null(f);
	while (found == -1 && fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, " %*u: %*x:%x %*x:%x %x", &lport, &rport,
		    &st) == 3 && (int)rport == port && st == 1)
			found = (int)lport;
	fclose(f);
	cr_assert_gt(found, 0, "no connection to port %d", port);
	return found;
}

/* Wait until the row after the one reading first reads then. */
static void
rows_are(const char *first, const char *then)
{
	long long	 end = hd_now_ms() + T;
	char		*scr = NULL;
	bool		 ok = false;

	while (!ok && hd_now_ms() < end) {
		free(scr);
		scr = screen();
		for (int i = 0; i < 59 && !ok; i++)
			ok = strcmp(row_of(scr, i), first) == 0 &&
			    strcmp(row_of(scr, i + 1), then) == 0;
		if (!ok)
			usleep(50 * 1000);
	}
	cr_assert(ok, "no \"%s\" then \"%s\"; the screen:\n%s", first,
	    then, scr);
	free(scr);
}

/*
 * iridiumctl upgrade moves a telnet session in character mode into a
 * new worker: the editor (echo, keys, history), the line being typed and
 * the width NAWS gave go on there, with the telnet options agreed.
 */
Test(edit, telnet_keeps_the_editor_across_an_upgrade)
{
	char	 cmd[128], line[128], r0[64];
	int	 port, cport;
	pid_t	 before, after;

	daemon_up();
	cr_assert_gt(port = hd_listener_port(&d, "line"), 0);
	snprintf(cmd, sizeof(cmd), "telnet 127.0.0.1 %d", port);
	pane(cmd, 80, 50);
	usleep(1100 * 1000);
	TEXT("load $1 #42");
	KEYS("Enter");
	fresh();
	/* The window narrows (NAWS), then a line is half typed. */
	free(tmux("resize-window", "-t", "e", "-x", "30", NULL));
	usleep(300 * 1000);
	cport = client_port(port);
	cr_assert_gt(before = hd_worker_for_port(&d, cport), 0);
	TEXT("load $2");
	row_is(0, ">>> load $2");
	cr_assert_eq(hd_ctl(&d, NULL, NULL, NULL, "upgrade", NULL), 0);
	cr_assert(hd_wait_log(&d, "upgrade to generation 2 done: 1 line "
	    "session moved, 0 stayed", T), "the upgrade did not finish");
	cr_log_info("CASE: telnet in character mode, width 30, a line half "
	    "typed at the upgrade");
	/* The line being typed comes back after the notice, echoed. */
	rows_are("session goes on.", ">>> load $2");
	after = hd_worker_for_port(&d, cport);
	cr_assert(after > 0 && after != before, "the worker was %d, is %d",
	    (int)before, (int)after);
	/* The keys: the line ends, the history walks, ^L clears. */
	TEXT(" #7");
	KEYS("Enter");
	KEYS("Up");
	row_is(-1, ">>> load $2 #7");
	KEYS("Up");
	row_is(-1, ">>> load $1 #42");
	fresh();
	/* The width NAWS gave before the upgrade: a long line wraps at 30. */
	snprintf(line, sizeof(line), "load $3 #9 ;%048d", 0);
	memset(line + 12, 'y', 48);
	TEXT(line);
	snprintf(r0, sizeof(r0), ">>> %.26s", line);
	row_is(0, r0);
	row_is(1, "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyy");
	KEYS("Enter");
	free(tmux("resize-window", "-t", "e", "-x", "80", NULL));
	registers("$2            7");
	shows("$3            9");
	shows("$1           42");
}

/* Clients that do not answer the offer (nc, scripts): no echo, no
 * escape sequence; nc ends its lines with LF and is offered nothing. */
Test(edit, nc_and_scripts_keep_line_mode)
{
	char		 cmd[256], *out = NULL, *err = NULL;
	const char	*sh[] = { "/bin/sh", "-c", cmd, NULL };
	const uint8_t	 offer[] = { 255, 251, 1, 255, 251, 3, 255, 253, 31 };
	const char	*want = REPL_BANNER "\r\n" REPL_PROMPT REPL_PROMPT
	    "integer registers:\r\n", *at;
	size_t		 len;
	int		 port, fd;

	daemon_up();
	cr_assert_gt(port = hd_listener_port(&d, "line"), 0);
	snprintf(cmd, sizeof(cmd), "printf 'load $1 #42\\n!registers\\n' | "
	    "nc -N 127.0.0.1 %d", port);
	cr_assert_eq(hd_run(sh, &out, &err, T), 0, "%s", err);
	cr_log_info("CASE: nc -N, lines ending in LF: line mode, nothing "
	    "offered");
	cr_assert(strncmp(out, want, strlen(want)) == 0, "%s", out);
	cr_assert_not_null(strstr(out, "$1           42"));
	cr_assert_null(strchr(out, 0x1b));
	cr_assert_null(strchr(out, (char)0xff));
	free(out);
	free(err);
	/* A script ending its lines with CR LF, sent at once: nothing
	 * offered either. */
	cr_assert_geq(fd = tc_connect("127.0.0.1", port), 0);
	tc_send(fd, "load $1 #42\r\n!registers\r\n!quit\r\n");
	out = tc_read_all(fd, T, &len);
	close(fd);
	cr_assert_not_null(out);
	cr_assert(len > strlen(want) && memcmp(out, want, strlen(want)) == 0);
	cr_assert_null(memchr(out, 0xff, len));
	cr_assert_null(memchr(out, 0x1b, len));
	free(out);
	/* A script that speaks telnet (IAC NOP) but ignores options: offered
	 * character mode once, it does not answer and keeps line mode. */
	cr_assert_geq(fd = tc_connect("127.0.0.1", port), 0);
	tc_sendn(fd, "\xff\xf1", 2);
	tc_send(fd, "load $1 #42\r\n!registers\r\n!quit\r\n");
	out = tc_read_all(fd, T, &len);
	close(fd);
	cr_assert_not_null(out);
	cr_assert_not_null(at = memmem(out, len, offer, sizeof(offer)));
	cr_assert_null(memmem(at + 1, len - 1 - (size_t)(at - out), offer,
	    sizeof(offer)), "offered twice");
	cr_assert_null(memchr(out, 0x1b, len));
	cr_assert_null(memmem(out, len, "load $1", 7), "echoed");
	cr_assert_not_null(memmem(out, len, "$1           42", 15));
	cr_assert_not_null(memmem(out, len, REPL_FAREWELL,
	    strlen(REPL_FAREWELL)));
	free(out);
}

/* PuTTY in telnet mode negotiates at once: the editor from the start. */
Test(edit, putty_telnet_gets_the_editor_at_once)
{
	char	 cmd[128];
	int	 port;

	if (access("/usr/bin/plink", X_OK) != 0) {
		if (getenv("CI") != NULL)
			cr_assert_fail("plink is not installed (putty-tools)");
		cr_skip_test("plink is not installed (putty-tools)");
	}
	daemon_up();
	cr_log_info("CASE: PuTTY's plink -telnet");
	cr_assert_gt(port = hd_listener_port(&d, "line"), 0);
	snprintf(cmd, sizeof(cmd), "/usr/bin/plink -telnet -P %d 127.0.0.1",
	    port);
	pane(cmd, 60, 50);
	fresh();
	TEXT("load $1 #5");
	KEYS("Left", "Left");
	TEXT("X");
	row_is(0, ">>> load $1 X#5");
	KEYS("BSpace", "C-e");
	TEXT("0");
	KEYS("Enter");
	row_is(1, ">>>");
	registers("$1           50");
}

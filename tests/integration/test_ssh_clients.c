/*
 * test_ssh_clients.c: the SSH clients people script with, from Debian
 * 12's packages, against the real iridiumd and its real ssh workers:
 * OpenSSH's ssh, paramiko with its default settings (tests/ssh/client.py,
 * /usr/bin/python3), PuTTY's plink (-batch; keys converted by puttygen)
 * and dropbear's dbclient (keys converted by dropbearconvert). Each logs
 * in with an ed25519 and an RSA key, runs a program from stdin with its
 * output and exit status (0, 1, 65), runs a pty shell with typed lines
 * that !quit ends with status 0, and holds the server's own host key.
 * Also: each algorithm the server adds to OpenSSH's reach connects and
 * each one ssh-audit fails is refused; the lists come from the config and
 * a reload; ssh-rsa signatures are refused with an answer; sessions end
 * cleanly however the client closes; refused methods count as failures;
 * what each session negotiated is in status and metrics.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <sys/stat.h>

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>
#include <jansson.h>

#include "harness.h"
#include "repl.h"
#include "sshc.h"

#define T		20000
#define PYTHON		"/usr/bin/python3"
#define PLINK_RUNS	50	/* plink pty shells, none may fail */
#define PLINK_AT_ONCE	5

static struct hd	 d;
static char		 dir[256];
static struct sshc_opts	 so;
static char		 hostpub[512];	/* "ssh-ed25519 AAAA..." */
static char		 hostfpr[128];	/* "SHA256:..." */
static char		 port[16];

/* Exit status 0, 1 (runtime error) and 65 (assembly error). */
static const char prog_ok[] =
    ".data\nm: .asciiz 'Hello over ssh\\n'\n.code\nprts @m\nhlt\n";
static const char prog_fault[] = "load $0 #1\nload $1 #0\ndiv $0 $1 $2\n";
static const char prog_asm[] = "load $0 #1\nfoo $1\n";
/* Typed into a pty shell, then !quit. */
static const char shell_lines[] = "load $1 #42\n!registers\n!quit\n";

static void
setup(void)
{
	signal(SIGPIPE, SIG_IGN);
	hd_tmpdir(dir, sizeof(dir), "sshcl");
	hd_sh("cd %s && ssh-keygen -q -t ed25519 -N '' -C ed -f dev_ed && "
	    "ssh-keygen -q -t rsa -b 3072 -N '' -C rsa -f dev_rsa && "
	    "cat dev_ed.pub dev_rsa.pub > dev.keys && mkdir -p home/.ssh",
	    dir);
	so.dir = dir;
}

TestSuite(clients, .init = setup, .fini = hd_fini, .timeout = 120);

/* Whether a program is installed; CI must have it, elsewhere a skip. */
static void
need(const char *prog, const char *package)
{
	char	 cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	if (system(cmd) == 0)
		return;
	cr_assert_null(getenv("CI"), "%s is missing: CI installs %s "
	    "(contrib/deps.txt)", prog, package);
	cr_skip_test("%s is not installed (Debian package %s)", prog,
	    package);
}

static void
need_paramiko(void)
{
	if (system(PYTHON " -c 'import paramiko' 2>/dev/null") == 0)
		return;
	cr_assert_null(getenv("CI"), "paramiko is missing: CI installs "
	    "python3-paramiko (contrib/deps.txt)");
	cr_skip_test("paramiko is not installed for " PYTHON
	    " (python3-paramiko)");
}

/* Write text to dir/name. */
static void
write_file(const char *name, const char *text)
{
	char	 path[384];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	hd_write(path, text);
}

/* dir/name as a path (static slots). */
static const char *
in_dir(const char *name)
{
	static char	 p[8][600];
	static int	 slot;
	char		*s = p[slot++ % 8];

	snprintf(s, sizeof(p[0]), "%s/%s", dir, name);
	return s;
}

/* iridiumd with one ssh listener and tenant dev; daemon: more [daemon]. */
static void
start(const char *daemon, const char *limits)
{
	char		 text[2048];
	const char	*key;

	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\n%s\n"
	    "[pool]\nmin_spare = 3\nmax_workers = 32\n"
	    "[limits]\n%s\n"
	    "[listener ssh]\ntransport = ssh\nport = 0\n"
	    "[tenant dev]\nbudget = 1000000000\n"
	    "authorized_keys = %s/dev.keys\n",
	    dir, daemon != NULL ? daemon : "", limits != NULL ? limits : "",
	    dir);
	sshc_daemon(&d, &so, text, NULL);
	snprintf(port, sizeof(port), "%d", d.port);
	/* The generated key, or the configured one (host_ed). */
	key = access(in_dir(SSHC_HOSTKEY), R_OK) == 0 ? SSHC_HOSTKEY :
	    "host_ed.pub";
	sshc_trust(&so, key, hostpub, sizeof(hostpub));
	strlcpy(hostfpr, sshc_fingerprint(&so, key), sizeof(hostfpr));
}

/* The first line of dir/name that holds needle, or fail. */
static bool
file_has(const char *name, const char *needle)
{
	char	 path[384], line[4096];
	FILE	*f;
	bool	 found = false;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strstr(line, needle) != NULL;
	fclose(f);
	return found;
}

/* --- the three programs, by any client ------------------------------------ */

typedef char **(*argv_fn)(const char *key, const char *cmd);

/*
 * The program checks for one client and key: output and status of the
 * good program, the runtime error and the assembly error.
 */
static void
check_programs(const char *who, argv_fn make, const char *key)
{
	struct sshc	 c;

	sshc_run(&c, make(key, "run"), prog_ok);
	cr_assert_eq(c.status, 0, "%s %s: status %d: %s%s", who, key,
	    c.status, c.o.data, c.e.data);
	cr_assert_str_eq(c.o.data != NULL ? c.o.data : "",
	    "Hello over ssh\n", "%s %s", who, key);
	sshc_free(&c);
	sshc_run(&c, make(key, "run"), prog_fault);
	cr_assert_eq(c.status, 1, "%s %s: status %d: %s", who, key, c.status,
	    c.e.data);
	cr_assert_not_null(c.e.data);
	cr_assert_not_null(strstr(c.e.data, "<stdin>: division by zero at "
	    "pc"), "%s %s: %s", who, key, c.e.data);
	sshc_free(&c);
	sshc_run(&c, make(key, "run"), prog_asm);
	cr_assert_eq(c.status, 65, "%s %s: status %d: %s", who, key,
	    c.status, c.e.data);
	cr_assert_not_null(c.e.data);
	cr_assert_not_null(strstr(c.e.data, "<stdin>:2:1: unknown "
	    "mnemonic"), "%s %s: %s", who, key, c.e.data);
	sshc_free(&c);
}

/* A pty shell's output: what was typed, the registers, the farewell. */
static void
check_shell_output(const char *who, const char *key, const struct sshc *c)
{
	const char	*o = c->o.data != NULL ? c->o.data : "";

	cr_assert_eq(c->status, 0, "%s %s: status %d: %s%s", who, key,
	    c->status, o, c->e.data != NULL ? c->e.data : "");
	cr_assert_not_null(strstr(o, REPL_BANNER), "%s %s: %s", who, key, o);
	cr_assert_not_null(strstr(o, "$1           42"), "%s %s: %s", who,
	    key, o);
	cr_assert_not_null(strstr(o, REPL_FAREWELL), "%s %s: %s", who, key,
	    o);
}

/*
 * A pty shell in a pseudo-terminal of our own, as a user types: each
 * line after the prompt for it, then !quit.
 */
static void
check_shell_in_pty(const char *who, const char *key, char **argv)
{
	struct sshc	 c;
	struct sshc	*cs[1] = { &c };
	size_t		 seen = 0;

	sshc_start(&c, argv, NULL, 0, true, true);
	sshc_expect(&c, &seen, REPL_BANNER "\r\n" REPL_PROMPT, T);
	sshc_type(&c, "load $1 #42\r");
	sshc_expect(&c, &seen, REPL_PROMPT, T);
	sshc_type(&c, "!registers\r");
	sshc_expect(&c, &seen, REPL_PROMPT, T);
	sshc_type(&c, "!quit\r");
	sshc_finish(cs, 1, T);
	check_shell_output(who, key, &c);
	sshc_free(&c);
}

/* --- OpenSSH -------------------------------------------------------------- */

static char **
openssh_argv(const char *key, const char *cmd)
{
	return sshc_argv(&so, key, "dev", NULL, cmd);
}

/*
 * ssh with opts before sshc_argv's own: ssh takes the first value of an
 * option, so these win (LogLevel, known hosts, ...).
 */
static char **
openssh_argv_first(const char *key, const char *const *opts,
    const char *cmd)
{
	static char	*argv[SSHC_ARGS_MAX];
	char		**base = sshc_argv(&so, key, "dev", NULL, cmd);
	int		 n = 0, i;

	argv[n++] = base[0];
	while (opts != NULL && *opts != NULL && n < SSHC_ARGS_MAX / 2)
		argv[n++] = (char *)(uintptr_t)*opts++;
	for (i = 1; base[i] != NULL && n < SSHC_ARGS_MAX - 1; i++)
		argv[n++] = base[i];
	argv[n] = NULL;
	return argv;
}

Test(clients, openssh_with_ed25519_and_rsa_keys)
{
	static const char *const keys[] = { "dev_ed", "dev_rsa" };
	struct sshc	 c;
	const char	*tt[] = { "-tt", NULL };
	const char	*newhost[] = { "-o", "StrictHostKeyChecking=accept-new",
			    "-o", NULL, NULL };
	char		 kh[400];
	size_t		 i;

	start("log_level = debug", NULL);
	for (i = 0; i < 2; i++) {
		check_programs("ssh", openssh_argv, keys[i]);
		check_shell_in_pty("ssh -tt", keys[i], sshc_argv(&so, keys[i],
		    "dev", tt, NULL));
	}
	/* The host key OpenSSH records is the server's. */
	snprintf(kh, sizeof(kh), "UserKnownHostsFile=%s/new_hosts", dir);
	newhost[3] = kh;
	sshc_run(&c, openssh_argv_first("dev_ed", newhost, "!help"), NULL);
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	sshc_free(&c);
	cr_assert(file_has("new_hosts", hostpub), "ssh recorded another key");
	/* One event, one line: each of the 9 logins is logged once. */
	cr_assert(hd_wait_log(&d, "session 9: ended", T));
	cr_assert_eq(hd_log_count(&d, "accepted publickey for dev"), 9);
	/* The worker's lines are there, without its "session N: " twice. */
	cr_assert_gt(hd_log_count(&d, "session 1: ssh from 127.0.0.1"), 0);
	cr_assert_eq(hd_log_count(&d, "session 1: session 1:"), 0);
}

Test(clients, a_shell_without_a_pty_prints_no_banner_and_no_prompt)
{
	struct sshc	 c;

	/* As `echo '!registers' | ssh host` and the local iridium. */
	start(NULL, NULL);
	sshc_run(&c, openssh_argv("dev_ed", NULL), "load $1 #7\nfoo\n"
	    "!registers\n");
	cr_assert_eq(c.status, 0, "%s", c.e.data);
	cr_assert_not_null(c.o.data);
	cr_assert_null(strstr(c.o.data, REPL_BANNER), "%s", c.o.data);
	cr_assert_null(strstr(c.o.data, REPL_PROMPT), "%s", c.o.data);
	cr_assert_not_null(strstr(c.o.data, "1:1: unknown mnemonic 'foo'"),
	    "%s", c.o.data);
	cr_assert_not_null(strstr(c.o.data, "$1            7"), "%s",
	    c.o.data);
	sshc_free(&c);
}

/* --- paramiko ------------------------------------------------------------- */

static char **
paramiko_argv(const char *key, const char *cmd)
{
	static char	*argv[8];
	static char	 script[320];
	const char	*src = getenv("IRIDIUM_SRC");

	cr_assert_not_null(src, "IRIDIUM_SRC is not set");
	snprintf(script, sizeof(script), "%s/tests/ssh/client.py", src);
	argv[0] = (char *)(uintptr_t)PYTHON;
	argv[1] = script;
	argv[2] = (char *)(uintptr_t)cmd;
	argv[3] = port;
	argv[4] = (char *)(uintptr_t)in_dir(key);
	argv[5] = (char *)(uintptr_t)in_dir("paramiko_hosts");
	argv[6] = NULL;
	return argv;
}

Test(clients, paramiko_with_ed25519_and_rsa_keys)
{
	static const char *const keys[] = { "dev_ed", "dev_rsa" };
	struct sshc	 c;
	json_t		*st;
	size_t		 i;

	need_paramiko();
	start(NULL, NULL);
	for (i = 0; i < 2; i++) {
		check_programs("paramiko", paramiko_argv, keys[i]);
		sshc_run(&c, paramiko_argv(keys[i], "shell"), shell_lines);
		check_shell_output("paramiko", keys[i], &c);
		sshc_free(&c);
	}
	/* What paramiko recorded (AutoAddPolicy) is the server's key. */
	cr_assert(file_has("paramiko_hosts", hostpub), "paramiko recorded "
	    "another key");
	/* Its default choices, which the server now has (status counts). */
	st = hd_status(&d);
	cr_assert_eq(hd_json_num(st, "sessions.ciphers.aes128-ctr"), 8);
	json_decref(st);
}

Test(clients, an_ssh_rsa_signature_is_refused_at_once_and_the_next_key_taken)
{
	struct sshc	 c;
	char		*argv[] = { (char *)(uintptr_t)PYTHON, NULL,
			    (char *)(uintptr_t)"sha1", port, NULL, NULL,
			    NULL };
	char		 script[320];
	double		 secs;
	const char	*p;

	need_paramiko();
	start(NULL, "login_grace = 30");
	snprintf(script, sizeof(script), "%s/tests/ssh/client.py",
	    getenv("IRIDIUM_SRC"));
	argv[1] = script;
	argv[4] = (char *)(uintptr_t)in_dir("dev_rsa");
	argv[5] = (char *)(uintptr_t)in_dir("dev_ed");
	sshc_run(&c, argv, NULL);
	cr_assert_eq(c.status, 0, "%s%s", c.o.data, c.e.data);
	cr_assert_not_null(c.o.data);
	/* USERAUTH_FAILURE, not silence; then the next key is tried. */
	cr_assert_not_null(strstr(c.o.data, "ssh-rsa refused"), "%s",
	    c.o.data);
	cr_assert_not_null(strstr(c.o.data, "next key accepted"), "%s",
	    c.o.data);
	cr_assert_not_null(p = strstr(c.o.data, "answered after "));
	secs = atof(p + strlen("answered after "));
	cr_assert_lt(secs, 10.0, "the answer took %.1f s (grace 30 s)",
	    secs);
	cr_log_info("ssh-rsa refused after %.3f s", secs);
	sshc_free(&c);
	cr_assert(hd_wait_log(&d, "(signature algorithm ssh-rsa (SHA-1) "
	    "refused; attempt 1 of 6)", T));
	cr_assert(hd_wait_log(&d, "accepted publickey for dev", T));
}

/* --- PuTTY's plink ---------------------------------------------------------- */

static char **
plink_argv(const char *key, const char *cmd)
{
	static char	*argv[16];
	static char	 ppk[400];
	int		 n = 0;

	snprintf(ppk, sizeof(ppk), "%s/%s.ppk", dir, key);
	argv[n++] = (char *)(uintptr_t)"plink";
	argv[n++] = (char *)(uintptr_t)"-batch";
	argv[n++] = (char *)(uintptr_t)"-ssh";
	argv[n++] = (char *)(uintptr_t)"-P";
	argv[n++] = port;
	argv[n++] = (char *)(uintptr_t)"-i";
	argv[n++] = ppk;
	/* Only the server's own key is taken. */
	argv[n++] = (char *)(uintptr_t)"-hostkey";
	argv[n++] = hostfpr;
	if (cmd == NULL)
		argv[n++] = (char *)(uintptr_t)"-t";
	argv[n++] = (char *)(uintptr_t)"dev@127.0.0.1";
	if (cmd != NULL)
		argv[n++] = (char *)(uintptr_t)cmd;
	argv[n] = NULL;
	return argv;
}

static void
convert_for_putty(void)
{
	hd_sh("cd %s && puttygen dev_ed -O private -o dev_ed.ppk && "
	    "puttygen dev_rsa -O private -o dev_rsa.ppk", dir);
}

/* plink's stderr holds "Using username" at most: no error. */
static void
check_plink_stderr(const struct sshc *c, int run)
{
	const char	*e = c->e.data != NULL ? c->e.data : "";

	cr_assert_null(strstr(e, "FATAL"), "run %d: %s", run, e);
	cr_assert_null(strstr(e, "rror"), "run %d: %s", run, e);
}

Test(clients, plink_with_ed25519_and_rsa_keys)
{
	static const char *const keys[] = { "dev_ed", "dev_rsa" };
	struct sshc	 c;
	size_t		 i;

	need("plink", "putty-tools");
	need("puttygen", "putty-tools");
	start(NULL, NULL);
	convert_for_putty();
	for (i = 0; i < 2; i++) {
		check_programs("plink", plink_argv, keys[i]);
		sshc_run(&c, plink_argv(keys[i], NULL), shell_lines);
		check_shell_output("plink -t", keys[i], &c);
		check_plink_stderr(&c, 0);
		sshc_free(&c);
	}
	/* -hostkey with another fingerprint: refused, so it checked. */
	strlcpy(hostfpr, "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	    sizeof(hostfpr));
	sshc_run(&c, plink_argv("dev_ed", "!help"), NULL);
	cr_assert_neq(c.status, 0, "plink took a host key it was not given");
	sshc_free(&c);
}

Test(clients, plink_pty_shells_end_cleanly_every_time)
{
	struct sshc	 c[PLINK_AT_ONCE];
	struct sshc	*cs[PLINK_AT_ONCE];
	int		 run = 0, i, n;
	char		**argv;

	need("plink", "putty-tools");
	need("puttygen", "putty-tools");
	start(NULL, NULL);
	convert_for_putty();
	/* A few at a time, as load makes the close race more likely. */
	while (run < PLINK_RUNS) {
		n = PLINK_RUNS - run < PLINK_AT_ONCE ? PLINK_RUNS - run :
		    PLINK_AT_ONCE;
		for (i = 0; i < n; i++) {
			argv = plink_argv("dev_ed", NULL);
			sshc_start(&c[i], argv, shell_lines,
			    strlen(shell_lines), false, false);
			cs[i] = &c[i];
		}
		sshc_finish(cs, n, 60000);
		for (i = 0; i < n; i++) {
			check_shell_output("plink -t", "dev_ed", &c[i]);
			check_plink_stderr(&c[i], run + i + 1);
			sshc_free(&c[i]);
		}
		run += n;
	}
	cr_log_info("%d plink pty shells, none ended in an error", run);
}

/* --- dropbear's dbclient ---------------------------------------------------- */

static char **
dbclient_argv(const char *key, const char *cmd)
{
	static char	*argv[16];
	static char	 db[400], home[400];
	int		 n = 0;

	snprintf(db, sizeof(db), "%s/%s.db", dir, key);
	snprintf(home, sizeof(home), "HOME=%s/home", dir);
	/*
	 * No controlling terminal (it could ask there about the host key),
	 * but for a shell: that runs in a pseudo-terminal of our own.
	 */
	if (cmd != NULL)
		argv[n++] = (char *)(uintptr_t)"setsid";
	argv[n++] = (char *)(uintptr_t)"env";
	argv[n++] = home;
	argv[n++] = (char *)(uintptr_t)"dbclient";
	argv[n++] = (char *)(uintptr_t)"-p";
	argv[n++] = port;
	argv[n++] = (char *)(uintptr_t)"-i";
	argv[n++] = db;
	if (cmd == NULL)
		argv[n++] = (char *)(uintptr_t)"-t";
	argv[n++] = (char *)(uintptr_t)"dev@127.0.0.1";
	if (cmd != NULL)
		argv[n++] = (char *)(uintptr_t)cmd;
	argv[n] = NULL;
	return argv;
}

Test(clients, dbclient_with_ed25519_and_rsa_keys)
{
	static const char *const keys[] = { "dev_ed", "dev_rsa" };
	struct sshc	 c;
	char		 line[640];
	size_t		 i;

	need("dbclient", "dropbear-bin");
	need("dropbearconvert", "dropbear-bin");
	need("setsid", "util-linux");
	start(NULL, NULL);
	hd_sh("cd %s && dropbearconvert openssh dropbear dev_ed dev_ed.db "
	    ">/dev/null 2>&1 && dropbearconvert openssh dropbear dev_rsa "
	    "dev_rsa.db >/dev/null 2>&1", dir);
	/* dbclient checks the server's key against its known_hosts. */
	snprintf(line, sizeof(line), "127.0.0.1 %s\n", hostpub);
	write_file("home/.ssh/known_hosts", line);
	for (i = 0; i < 2; i++) {
		check_programs("dbclient", dbclient_argv, keys[i]);
		/* dbclient -t needs a terminal: one of our own. */
		check_shell_in_pty("dbclient -t", keys[i],
		    dbclient_argv(keys[i], NULL));
	}
	/* Another key there: dbclient refuses the server, so it checked. */
	write_file("home/.ssh/known_hosts", "127.0.0.1 ssh-ed25519 "
	    "AAAAC3NzaC1lZDI1NTE5AAAAINZpCDMlOw8Kr34KP3tVKr7a4TfbUm8QUOkGmkdocfXK\n");
	sshc_run(&c, dbclient_argv("dev_ed", "!help"), NULL);
	cr_assert_neq(c.status, 0, "dbclient took a host key it did not "
	    "know: %s", c.e.data);
	sshc_free(&c);
}

/* --- algorithms ------------------------------------------------------------- */

/* ssh with -o opt (and another, or NULL); its status and stderr. */
static int
ssh_with(const char *opt, const char *opt2, char **err)
{
	struct sshc	 c;
	const char	*opts[7] = { "-o", "LogLevel=INFO", "-o", opt, NULL,
			    NULL, NULL };
	int		 st;

	/* INFO: ssh says why it could not negotiate. */
	if (opt2 != NULL) {
		opts[4] = "-o";
		opts[5] = opt2;
	}
	sshc_run(&c, openssh_argv_first("dev_ed", opts, "!help"), NULL);
	st = c.status;
	*err = strdup(c.e.data != NULL ? c.e.data : "");
	sshc_free(&c);
	return st;
}

Test(clients, openssh_connects_with_each_added_algorithm)
{
	static const char *const ok[][2] = {
		{ "KexAlgorithms=curve25519-sha256@libssh.org", NULL },
		{ "KexAlgorithms=diffie-hellman-group16-sha512", NULL },
		{ "KexAlgorithms=diffie-hellman-group18-sha512", NULL },
		{ "KexAlgorithms=diffie-hellman-group14-sha256", NULL },
		{ "Ciphers=aes256-gcm@openssh.com", NULL },
		{ "Ciphers=aes128-gcm@openssh.com", NULL },
		{ "Ciphers=aes256-ctr", NULL },
		{ "Ciphers=aes192-ctr", NULL },
		{ "Ciphers=aes128-ctr", NULL },
		{ "Ciphers=aes128-ctr", "MACs=hmac-sha2-256-etm@openssh.com" },
		{ "Ciphers=aes128-ctr", "MACs=hmac-sha2-512-etm@openssh.com" },
		{ "Ciphers=aes128-ctr", "MACs=hmac-sha2-256" },
		{ "Ciphers=aes128-ctr", "MACs=hmac-sha2-512" },
	};
	/* What ssh-audit fails (or flags), each alone: refused. */
	static const char *const no[][2] = {
		{ "Ciphers=aes128-cbc", NULL },
		{ "Ciphers=aes256-cbc", NULL },
		{ "Ciphers=3des-cbc", NULL },
		{ "KexAlgorithms=diffie-hellman-group1-sha1", NULL },
		{ "KexAlgorithms=diffie-hellman-group14-sha1", NULL },
		{ "KexAlgorithms=diffie-hellman-group-exchange-sha1", NULL },
		{ "KexAlgorithms=ecdh-sha2-nistp256", NULL },
		{ "Ciphers=aes128-ctr", "MACs=hmac-sha1" },
		{ "Ciphers=aes128-ctr", "MACs=hmac-sha1-etm@openssh.com" },
		{ "HostKeyAlgorithms=ssh-rsa", NULL },
	};
	char		*err;
	size_t		 i;

	start(NULL, NULL);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		cr_assert_eq(ssh_with(ok[i][0], ok[i][1], &err), 0,
		    "-o %s %s: %s", ok[i][0], ok[i][1] != NULL ? ok[i][1] : "",
		    err);
		free(err);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		cr_assert_eq(ssh_with(no[i][0], no[i][1], &err), 255,
		    "-o %s %s was taken", no[i][0], no[i][1] != NULL ?
		    no[i][1] : "");
		cr_assert_not_null(strstr(err, "Unable to negotiate"),
		    "-o %s: %s", no[i][0], err);
		free(err);
	}
}

Test(clients, the_lists_come_from_the_config_and_a_reload)
{
	char	*err, *out, *cerr;
	int	 i, st = -1;

	start("ssh_ciphers = aes128-ctr\nssh_kex = ^diffie-hellman-group14-"
	    "sha256", NULL);
	cr_assert_eq(ssh_with("Ciphers=chacha20-poly1305@openssh.com", NULL,
	    &err), 255, "a cipher the config left out was taken");
	cr_assert_not_null(strstr(err, "no matching cipher found. Their "
	    "offer: aes128-ctr"), "%s", err);
	free(err);
	cr_assert_eq(ssh_with("Ciphers=aes128-ctr", NULL, &err), 0, "%s",
	    err);
	free(err);
	/* A reload: new workers offer the new lists (the default here). */
	hd_sh("sed -i '/^ssh_ciphers/d' %s/iridiumd.conf", dir);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &cerr, "reload", NULL), 0,
	    "%s%s", out, cerr);
	cr_assert_not_null(strstr(out, "ssh_ciphers"), "%s", out);
	free(out);
	free(cerr);
	/* The idle workers of before are replaced at once. */
	for (i = 0; i < 20; i++) {
		st = ssh_with("Ciphers=chacha20-poly1305@openssh.com", NULL,
		    &err);
		free(err);
		if (st == 0)
			break;
		usleep(250000);
	}
	cr_assert_eq(st, 0, "chacha20-poly1305 still refused after the "
	    "reload");
}

/* --- what each session negotiated ------------------------------------------- */

Test(clients, status_and_metrics_say_what_was_negotiated)
{
	struct sshc	 c;
	struct sshc	*cs[1] = { &c };
	const char	*opts[] = { "-o", "Ciphers=aes256-ctr", "-o",
			    "MACs=hmac-sha2-512-etm@openssh.com", "-o",
			    "KexAlgorithms=diffie-hellman-group16-sha512",
			    "-tt", NULL };
	json_t		*st, *w, *s;
	char		*out, *err;
	size_t		 i, seen = 0;
	bool		 found = false;

	start(NULL, NULL);
	sshc_start(&c, sshc_argv(&so, "dev_ed", "dev", opts, NULL), NULL, 0,
	    true, true);
	sshc_expect(&c, &seen, REPL_PROMPT, T);
	st = hd_status(&d);
	json_array_foreach(json_object_get(st, "workers"), i, w) {
		s = json_object_get(w, "session");
		if (!json_is_object(s))
			continue;
		found = true;
		cr_assert_str_eq(json_string_value(json_object_get(s, "kex")),
		    "diffie-hellman-group16-sha512");
		cr_assert_str_eq(json_string_value(json_object_get(s,
		    "cipher")), "aes256-ctr");
		cr_assert_str_eq(json_string_value(json_object_get(s, "mac")),
		    "hmac-sha2-512-etm@openssh.com");
		cr_assert_eq(strncmp(json_string_value(json_object_get(s,
		    "client")), "SSH-2.0-OpenSSH_", 16), 0);
	}
	cr_assert(found, "no session in the status");
	cr_assert_eq(hd_json_num(st, "sessions.kex."
	    "diffie-hellman-group16-sha512"), 1);
	cr_assert_eq(hd_json_num(st, "sessions.ciphers.aes256-ctr"), 1);
	json_decref(st);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "sessions", NULL), 0);
	cr_assert_not_null(strstr(out, "CIPHER"), "%s", out);
	cr_assert_not_null(strstr(out, "diffie-hellman-group16-sha512  "
	    "aes256-ctr  SSH-2.0-OpenSSH_"), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "metrics", NULL), 0);
	cr_assert_not_null(strstr(out, "iridium_sessions_kex_total{kex="
	    "\"diffie-hellman-group16-sha512\"} 1\n"), "%s", out);
	cr_assert_not_null(strstr(out, "iridium_sessions_cipher_total{"
	    "cipher=\"aes256-ctr\"} 1\n"), "%s", out);
	cr_assert_not_null(strstr(out, "iridium_sessions_cipher_total{"
	    "cipher=\"chacha20-poly1305@openssh.com\"} 0\n"), "%s", out);
	free(out);
	free(err);
	sshc_type(&c, "!quit\r");
	sshc_finish(cs, 1, T);
	cr_assert_eq(c.status, 0);
	sshc_free(&c);
}

/* --- endings ------------------------------------------------------------------ */

Test(clients, a_channel_closed_any_way_ends_the_session_at_once)
{
	static const char *const hows[] = { "shell-close", "exec-close",
	    "status-close", "eof-close", "transport-close" };
	struct sshc	 c;
	char		*argv[8], script[320], want[64];
	json_t		*st;
	size_t		 i;

	need_paramiko();
	/*
	 * A CPU limit that a spinning worker would reach within the test;
	 * no detached sessions: a dropped connection ends its session.
	 */
	start(NULL, "cpu = 4\nresume_window = 0");
	snprintf(script, sizeof(script), "%s/tests/ssh/client.py",
	    getenv("IRIDIUM_SRC"));
	for (i = 0; i < sizeof(hows) / sizeof(hows[0]); i++) {
		argv[0] = (char *)(uintptr_t)PYTHON;
		argv[1] = script;
		argv[2] = (char *)(uintptr_t)"close";
		argv[3] = (char *)(uintptr_t)hows[i];
		argv[4] = port;
		argv[5] = (char *)(uintptr_t)in_dir("dev_ed");
		argv[6] = NULL;
		sshc_run(&c, argv, NULL);
		cr_assert_eq(c.status, 0, "%s: %s%s", hows[i], c.o.data,
		    c.e.data);
		cr_assert_null(strstr(c.o.data, "still open"), "%s: %s",
		    hows[i], c.o.data);
		sshc_free(&c);
		/* The worker ends at once, as a normal end of a session. */
		snprintf(want, sizeof(want), "session %zu: ended (", i + 1);
		cr_assert(hd_wait_log(&d, want, 5000), "%s: session %zu did "
		    "not end", hows[i], i + 1);
	}
	sleep(1);
	st = hd_status(&d);
	cr_assert_eq(hd_json_num(st, "sessions.failed"), 0);
	cr_assert_eq(hd_json_num(st, "sessions.completed"), 5);
	cr_assert_eq(hd_json_num(st, "sessions.active"), 0);
	json_decref(st);
	cr_assert_eq(hd_log_count(&d, "ended (cpu)"), 0);
	cr_assert_eq(hd_log_count(&d, "CPU limit"), 0);
}

Test(clients, refused_passwords_and_keyboard_interactive_count_as_failures)
{
	struct sshc	 c;
	char		*argv[] = { (char *)(uintptr_t)PYTHON, NULL,
			    (char *)(uintptr_t)"password", port,
			    (char *)(uintptr_t)"127.0.0.5",
			    (char *)(uintptr_t)"8", NULL };
	char		 script[320];

	need_paramiko();
	/* Loopback is exempt by default: not here. */
	start(NULL, "source_exempt =");
	snprintf(script, sizeof(script), "%s/tests/ssh/client.py",
	    getenv("IRIDIUM_SRC"));
	argv[1] = script;
	sshc_run(&c, argv, NULL);
	cr_assert_eq(c.status, 0, "%s%s", c.o.data, c.e.data);
	cr_assert_not_null(strstr(c.o.data, "; connection closed by the "
	    "server"), "%s", c.o.data);
	sshc_free(&c);
	/* The supervisor's lines, one per attempt; charged as authfail. */
	cr_assert(hd_wait_log(&d, "failed password for dev from 127.0.0.5 "
	    "port", T));
	cr_assert(hd_wait_log(&d, "(public keys only; attempt 6 of 6)", T));
	cr_assert(hd_wait_log(&d, "failed login 6 of 6; source 127.0.0.5 "
	    "penalised (authfail)", T));
	cr_assert_eq(hd_log_count(&d, "penalised (grace)"), 0);
	cr_assert_eq(hd_log_count(&d, "failed password for dev"), 3);
	cr_assert_eq(hd_log_count(&d, "failed keyboard-interactive for dev"),
	    3);
}

Test(clients, too_many_keys_hear_why_they_are_cut)
{
	struct sshc	 c;
	const char	*opts[2 * 8 + 1];
	char		 keys[8][32];
	int		 i, n = 0;

	start(NULL, NULL);
	for (i = 0; i < 8; i++) {
		snprintf(keys[i], sizeof(keys[i]), "other%d", i);
		hd_sh("ssh-keygen -q -t ed25519 -N '' -f %s/%s", dir, keys[i]);
		opts[n++] = "-i";
		opts[n++] = in_dir(keys[i]);
	}
	opts[n] = NULL;
	/* LogLevel=ERROR (sshc_argv) still prints the disconnect. */
	sshc_run(&c, sshc_argv(&so, "other7", "dev", opts, "!help"), NULL);
	cr_assert_eq(c.status, 255);
	cr_assert_not_null(c.e.data);
	cr_assert_not_null(strstr(c.e.data, "Too many authentication "
	    "failures"), "%s", c.e.data);
	sshc_free(&c);
}

/*
 * An OpenSSH pty shell and a plink pty shell, both waiting at the
 * prompt: ended by the server (why), each client must see the goodbye
 * line and end without an error of its transport.
 */
static void
two_waiting_shells(struct sshc *s, struct sshc *p)
{
	const char	*tt[] = { "-tt", "-o", "LogLevel=INFO", NULL };
	size_t		 seen = 0;

	sshc_start(s, openssh_argv_first("dev_ed", tt, NULL), NULL, 0, true,
	    true);
	sshc_expect(s, &seen, REPL_PROMPT, T);
	sshc_start(p, plink_argv("dev_ed", NULL), NULL, 0, true, false);
	seen = 0;
	sshc_expect(p, &seen, REPL_PROMPT, T);
}

static void
check_ended_cleanly(struct sshc *s, struct sshc *p, const char *bye)
{
	struct sshc	*cs[2] = { s, p };
	const char	*so_, *pe;

	sshc_finish(cs, 2, T);
	so_ = s->o.data != NULL ? s->o.data : "";
	pe = p->e.data != NULL ? p->e.data : "";
	cr_assert_not_null(strstr(so_, bye), "ssh: %s", so_);
	cr_assert_not_null(p->o.data);
	cr_assert_not_null(strstr(p->o.data, bye), "plink: %s", p->o.data);
	/* ssh's pty carries its messages too: a normal close only. */
	cr_assert_null(strstr(so_, "closed by remote host"), "ssh: %s", so_);
	cr_assert_null(strstr(so_, "reset"), "ssh: %s", so_);
	cr_assert_null(strstr(so_, "Broken pipe"), "ssh: %s", so_);
	cr_assert_null(strstr(pe, "FATAL"), "plink: %s", pe);
	cr_assert_null(strstr(pe, "rror"), "plink: %s", pe);
	sshc_free(s);
	sshc_free(p);
}

Test(clients, idle_kill_and_shutdown_end_sessions_cleanly)
{
	struct sshc	 s, p;
	json_t		*st, *w, *ss;
	char		*out, *err, id[32];
	size_t		 i;

	need("plink", "putty-tools");
	need("puttygen", "putty-tools");
	start(NULL, "idle = 2\nidle_warn = 1");
	convert_for_putty();
	/* The idle timeout. */
	two_waiting_shells(&s, &p);
	check_ended_cleanly(&s, &p, "Idle timeout. Goodbye!");
	hd_sh("sed -i 's/^idle = 2$/idle = 600/' %s/iridiumd.conf", dir);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "reload", NULL), 0);
	free(out);
	free(err);
	sleep(1);
	/* iridiumctl kill, each session. */
	two_waiting_shells(&s, &p);
	st = hd_status(&d);
	json_array_foreach(json_object_get(st, "workers"), i, w) {
		if (!json_is_object(ss = json_object_get(w, "session")))
			continue;
		snprintf(id, sizeof(id), "%lld", (long long)json_integer_value(
		    json_object_get(ss, "id")));
		cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "kill", id, NULL),
		    0, "%s", err);
		free(out);
		free(err);
	}
	json_decref(st);
	check_ended_cleanly(&s, &p, "Session ended by the administrator. "
	    "Goodbye!");
	/* The daemon's shutdown. */
	two_waiting_shells(&s, &p);
	cr_assert_eq(hd_stop(&d, SIGTERM, T), 0);
	check_ended_cleanly(&s, &p, "Server shutting down. Goodbye!");
}

Test(clients, a_tenant_at_its_limit_hears_why)
{
	struct sshc	 a, b;
	struct sshc	*cs[1] = { &a };
	const char	*info[] = { "-o", "LogLevel=INFO", NULL };
	size_t		 seen = 0;

	start(NULL, "sessions = 1");
	sshc_start(&a, openssh_argv("dev_ed", NULL), NULL, 0, true, false);
	sshc_type(&a, "!registers\n");
	sshc_expect(&a, &seen, "$31", T);
	/* The second login is refused with the reason (a banner, then the
	 * DISCONNECT's), not only "Permission denied". */
	sshc_run(&b, openssh_argv_first("dev_rsa", info, "!help"), NULL);
	cr_assert_eq(b.status, 255, "%s", b.o.data);
	cr_assert_not_null(b.e.data);
	cr_assert_not_null(strstr(b.e.data, "Too many sessions for tenant dev "
	    "(at most 1)"), "%s", b.e.data);
	sshc_free(&b);
	sshc_close_in(&a);
	sshc_finish(cs, 1, T);
	cr_assert_eq(a.status, 0);
	sshc_free(&a);
}

Test(clients, configured_rsa_and_ecdsa_host_keys_are_offered)
{
	static const char *const ok[] = { "HostKeyAlgorithms=rsa-sha2-512",
	    "HostKeyAlgorithms=rsa-sha2-256",
	    "HostKeyAlgorithms=ecdsa-sha2-nistp256",
	    "HostKeyAlgorithms=ssh-ed25519" };
	struct sshc	 c;
	const char	*opts[9] = { "-o", "LogLevel=INFO", "-o",
			    "StrictHostKeyChecking=no", "-o",
			    "UserKnownHostsFile=/dev/null", "-o", NULL, NULL };
	char		 daemon[1024];
	size_t		 i;

	hd_sh("cd %s && ssh-keygen -q -t ed25519 -N '' -f host_ed && "
	    "ssh-keygen -q -t rsa -b 3072 -N '' -f host_rsa && "
	    "ssh-keygen -q -t ecdsa -b 256 -N '' -f host_ecdsa", dir);
	snprintf(daemon, sizeof(daemon), "host_key = %s/host_ed, %s/host_rsa, "
	    "%s/host_ecdsa", dir, dir, dir);
	start(daemon, NULL);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		opts[7] = ok[i];
		sshc_run(&c, openssh_argv_first("dev_ed", opts, "!help"), NULL);
		cr_assert_eq(c.status, 0, "-o %s: %s", ok[i], c.e.data);
		sshc_free(&c);
	}
	/* ssh-rsa signatures, even with an RSA host key: refused. */
	opts[7] = "HostKeyAlgorithms=ssh-rsa";
	sshc_run(&c, openssh_argv_first("dev_ed", opts, "!help"), NULL);
	cr_assert_eq(c.status, 255, "ssh-rsa host key signatures were taken");
	cr_assert_not_null(strstr(c.e.data, "no matching host key type"),
	    "%s", c.e.data);
	sshc_free(&c);
}

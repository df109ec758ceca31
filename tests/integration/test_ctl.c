/*
 * test_ctl.c: the operator's side of the real iridiumd: config files
 * checked with `iridiumd -t`, several listeners from a file, the control
 * socket and iridiumctl (status, sessions, kill), who may use it, and
 * control clients that misbehave.
 */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "probe.h"

#define PROMPT	">>> "

static struct hd	 d;

TestSuite(ctl, .fini = hd_fini, .timeout = 60);

/* Write a config file into this test's directory; its path. */
static const char *
conf(const char *name, const char *text)
{
	static char	 cfgdir[256], path[320];

	if (cfgdir[0] == '\0')
		hd_tmpdir(cfgdir, sizeof(cfgdir), "cfg");
	snprintf(path, sizeof(path), "%s/%s", cfgdir, name);
	hd_write(path, text);
	return path;
}

static json_t *
pool(json_t *st, const char *listener)
{
	json_t	*p;
	size_t	 i;

	json_array_foreach(json_object_get(st, "pools"), i, p)
		if (strcmp(json_string_value(json_object_get(p, "listener")),
		    listener) == 0)
			return p;
	cr_assert_fail("no pool %s", listener);
	return NULL;
}


/* Poll status until pool listener has at least n idle workers. */
static void
wait_idle(const char *listener, long long n)
{
	json_t	*st;
	int	 i;

	for (i = 0; i < 200; i++) {
		st = hd_status(&d);
		if (hd_json_num(pool(st, listener), "idle") >= n) {
			json_decref(st);
			return;
		}
		json_decref(st);
		usleep(50000);
	}
	cr_assert_fail("pool %s never had %lld idle workers", listener, n);
}

/* The sessions' totals must add up. */
static void
assert_totals(json_t *st)
{
	json_t	*s = json_object_get(st, "sessions");

	cr_assert_eq(hd_json_num(s, "accepted"), hd_json_num(s, "completed") +
	    hd_json_num(s, "rejected") + hd_json_num(s, "failed") + hd_json_num(s, "active"),
	    "accepted %lld != completed %lld + rejected %lld + failed %lld + "
	    "active %lld", hd_json_num(s, "accepted"), hd_json_num(s, "completed"),
	    hd_json_num(s, "rejected"), hd_json_num(s, "failed"), hd_json_num(s, "active"));
}

static int
session_on(int port)
{
	int	 fd = tc_connect("127.0.0.1", port);
	char	*s;

	cr_assert_geq(fd, 0);
	s = tc_read_until(fd, PROMPT, 10000);
	cr_assert_not_null(s, "no prompt on port %d", port);
	free(s);
	return fd;
}

static bool
starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* --- iridiumd -t ------------------------------------------------------------ */

/*
 * Run iridiumd with argv (NULL-terminated, after argv[0]) and a slice of
 * worker uids of the tests' own, as hd_start does, so the check of the
 * default range against this host's users and processes stays out of
 * these tests (test_worker_uids has its own).
 */
static int
run_iridiumd(const char *const argv[], char **out, char **err)
{
	const char	*av[24];
	char		 uids[32];
	int		 n = 0, i, lock, rc;

	lock = hd_uids_take(uids, sizeof(uids));
	for (i = 0; argv[i] != NULL && n < 20; i++)
		av[n++] = argv[i];
	av[n++] = "--worker-uids";
	av[n++] = uids;
	av[n] = NULL;
	rc = hd_run(av, out, err, 10000);
	hd_uids_release(lock);
	return rc;
}

/* iridiumd -t -f FILE: its exit status; stderr in *err. */
static int
check_file(const char *path, char **out, char **err)
{
	const char	*av[] = { hd_bin("iridiumd"), "-t", "-f", path,
	    "--worker-path", hd_bin("iridium-worker"), NULL };

	return run_iridiumd(av, out, err);
}

Test(ctl, check_a_good_config)
{
	char	*out, *err;
	const char *path = conf("good.conf", "[daemon]\nlog_level = debug\n"
	    "[listener a]\ntransport = line\nport = 0\n[listener b]\n"
	    "transport = line\nport = 0\nmax_workers = 4\n[tenant t]\n"
	    "budget = 100\n");

	cr_assert_eq(check_file(path, &out, &err), 0, "%s", err);
	cr_assert_str_eq(out, "configuration OK\n");
	free(out);
	free(err);
}

/* Under a low fd limit, max_workers that could outrun it are warned of. */
Test(ctl, check_warns_when_the_fd_limit_is_too_low)
{
	char		*out, *err;
	const char	*path = conf("fds.conf", "[listener a]\n"
	    "transport = line\nport = 0\nmax_workers = 500\nqueue = 16\n");
	const char	*av[] = { "/usr/bin/prlimit", "--nofile=300:300",
	    hd_bin("iridiumd"), "-t", "-f", path, "--worker-path",
	    hd_bin("iridium-worker"), NULL };

	cr_assert_eq(run_iridiumd(av, &out, &err), 0, "%s", err);
	cr_assert_not_null(strstr(err, "warning: the listeners' max_workers "
	    "and queue could need 1580 open files; the limit is 300"), "%s",
	    err);
	free(out);
	free(err);
	av[1] = "--nofile=300:2000";	/* a soft limit it may raise */
	cr_assert_eq(run_iridiumd(av, &out, &err), 0, "%s", err);
	cr_assert_null(strstr(err, "open files"), "%s", err);
	free(out);
	free(err);
}

Test(ctl, check_each_kind_of_bad_config)
{
	static const struct {
		const char	*text;
		const char	*line;
	} cases[] = {
		{ "[daemons]\n", ":1: unknown section [daemons] (sections are "
		    "[daemon], [pool], [limits], [listener NAME] and [tenant "
		    "NAME])\n" },
		{ "[daemon]\nuser = x\nfoo = 1\n", ":3: [daemon] foo: unknown "
		    "key\n" },
		{ "[pool]\nmin_spare = two\n", ":2: [pool] min_spare: \"two\" "
		    "is not a number\n" },
		{ "[listener line]\ntransport = line\nport = 70000\n", ":3: "
		    "[listener line] port: \"70000\" out of range "
		    "(0..65535)\n" },
		{ "[daemon]\nsandbox_debug = perhaps\n", ":2: [daemon] "
		    "sandbox_debug: \"perhaps\" is not a boolean (yes/no, "
		    "true/false, on/off, 1/0)\n" },
		{ "[limits]\nbudget = 5\n\nbudget = 6\n", ":4: [limits] budget: "
		    "duplicate key (first set at line 2)\n" },
		{ "[listener a]\ntransport = line\n[listener a]\n", ":3: "
		    "duplicate listener a (first at line 1)\n" },
		{ "\n[listener a]\nport = 0\n", ":2: [listener a] transport: "
		    "missing (transport = line or transport = ssh)\n" },
		{ "[listener a]\ntransport = line\nbind = 0.0.0.0\n", ":3: "
		    "[listener a] bind: refusing to serve the unauthenticated "
		    "line transport on non-loopback address 0.0.0.0 (allow it "
		    "explicitly with allow_insecure_remote = yes or "
		    "--allow-insecure-remote)\n" },
		{ NULL, ":2: line too long: 199 bytes (libinih reads lines of "
		    "at most 198 bytes)\n" },
		{ "[listener a]\ntransport = line\nbind = 127.0.0.1\n"
		    "  port = 0\n", ":4: [listener a] bind: indented line "
		    "\"port = 0\" would continue the value of bind (inih's "
		    "continuation lines; only list keys continue): remove the "
		    "indentation\n" },
	};
	char	 name[32], want[1024], longline[256], *out, *err;
	size_t	 i;
	const char *path;

	/* A comment one byte too long for inih: its tail would be a line. */
	snprintf(longline, sizeof(longline), "[daemon]\n; %0*d\n", 197, 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(name, sizeof(name), "bad%zu.conf", i);
		path = conf(name, cases[i].text != NULL ? cases[i].text :
		    longline);
		cr_assert_eq(check_file(path, &out, &err), 1, "case %zu", i);
		snprintf(want, sizeof(want), "%s%s", path, cases[i].line);
		cr_assert_not_null(strstr(err, want), "case %zu: want\n%s"
		    "got\n%s", i, want, err);
		cr_assert_not_null(strstr(err, "iridiumd: 1 error in the "
		    "configuration from "), "case %zu: %s", i, err);
		cr_assert_str_eq(out, "");
		free(out);
		free(err);
	}
}

Test(ctl, check_reports_every_error)
{
	char		*out, *err;
	const char	*path = conf("many.conf", "[daemon]\nusr = 1\n"
	    "[pool]\nqueue = x\n[listener a]\nport = 1\n");

	cr_assert_eq(check_file(path, &out, &err), 1);
	cr_assert_not_null(strstr(err, ":2: [daemon] usr: unknown key"), "%s",
	    err);
	cr_assert_not_null(strstr(err, ":4: [pool] queue: \"x\" is not a "
	    "number"), "%s", err);
	cr_assert_not_null(strstr(err, ":5: [listener a] transport: missing"),
	    "%s", err);
	cr_assert_not_null(strstr(err, "iridiumd: 3 errors in the "
	    "configuration"), "%s", err);
	free(out);
	free(err);
}

Test(ctl, dump_shows_the_effective_config)
{
	const char	*path = conf("d.conf", "[listener a]\ntransport = line\n"
	    "port = 0\n[pool]\nmax_workers = 7\n");
	const char	*av[] = { hd_bin("iridiumd"), "-T", "-f", path,
	    "--worker-path", hd_bin("iridium-worker"), "--limit",
	    "budget=99", NULL };
	char		*out, *err;

	cr_assert_eq(run_iridiumd(av, &out, &err), 0, "%s", err);
	cr_assert_not_null(strstr(out, "\n[listener a]\ntransport = line\n"
	    "bind = 127.0.0.1\nport = 0\n"), "%s", out);
	cr_assert_not_null(strstr(out, "max_workers = 7\n"), "%s", out);
	cr_assert_not_null(strstr(out, "budget = 99\n"), "%s", out);
	free(out);
	free(err);
}

/* --- listeners, status, sessions ---------------------------------------------- */

Test(ctl, two_line_listeners_with_their_own_pools)
{
	json_t	*st, *pa, *pb, *t;
	int	 a, b, pta, ptb;
	char	*s, *out, *err, want[64];

	hd_start_conf(&d, "[listener a]\ntransport = line\nport = 0\n"
	    "min_spare = 1\nmax_workers = 2\n"
	    "[listener b]\ntransport = line\nport = 0\n"
	    "min_spare = 3\nmax_spare = 3\ntenant = staff\n"
	    "[tenant staff]\nbudget = 500\n", NULL);
	pta = hd_listener_port(&d, "a");
	ptb = hd_listener_port(&d, "b");
	cr_assert(pta > 0 && ptb > 0 && pta != ptb);
	a = session_on(pta);
	b = session_on(ptb);
	/* The tenant's budget is b's sessions' budget. */
	s = tc_cmd(b, "!limits");
	cr_assert_not_null(strstr(s, "500"), "%s", s);
	free(s);
	wait_idle("b", 3);
	st = hd_status(&d);
	pa = pool(st, "a");
	pb = pool(st, "b");
	cr_assert_eq(hd_json_num(pa, "max_workers"), 2);
	cr_assert_eq(hd_json_num(pa, "min_spare"), 1);
	cr_assert_eq(hd_json_num(pa, "busy"), 1);
	cr_assert_eq(hd_json_num(pb, "min_spare"), 3);
	cr_assert_eq(hd_json_num(pb, "busy"), 1);
	cr_assert_geq(hd_json_num(pb, "idle"), 3);
	cr_assert_eq(hd_json_num(st, "sessions.active"), 2);
	t = json_object_get(json_object_get(st, "sessions"), "per_tenant");
	cr_assert_eq(hd_json_num(t, "staff.active"), 1);
	cr_assert_eq(hd_json_num(t, "anonymous.accepted"), 1);
	cr_assert_eq(json_array_size(json_object_get(json_object_get(st,
	    "daemon"), "listeners")), 2);
	assert_totals(st);
	json_decref(st);
	/* The summary names both listeners with their bound addresses. */
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "status", NULL), 0, "%s",
	    err);
	snprintf(want, sizeof(want), "127.0.0.1:%d", pta);
	cr_assert_not_null(strstr(out, want), "%s", out);
	snprintf(want, sizeof(want), "127.0.0.1:%d", ptb);
	cr_assert_not_null(strstr(out, want), "%s", out);
	cr_assert_not_null(strstr(out, "tenant staff: 1 active, 1 accepted"),
	    "%s", out);
	free(out);
	free(err);
	close(a);
	close(b);
}

Test(ctl, status_counts_what_happened)
{
	json_t	*st, *w, *sess;
	int	 a, b, c, dd, port;
	char	*s, *out, *err, want[128];
	pid_t	 pid;
	size_t	 i;
	int	 found = 0, tries;

	hd_start_conf(&d, "[listener line]\ntransport = line\nport = 0\n"
	    "min_spare = 1\nmax_spare = 1\nmax_workers = 1\nqueue = 0\n",
	    NULL);
	port = d.port;
	wait_idle("line", 1);
	/* One busy; the next is told the server is busy: rejected. */
	a = session_on(port);
	b = tc_connect("127.0.0.1", port);
	s = tc_read_all(b, 10000, NULL);
	cr_assert_str_eq(s, "Server busy, please try again later.\r\n");
	free(s);
	close(b);
	/* It quits: completed. */
	tc_send(a, "!quit\r\n");
	free(tc_read_all(a, 10000, NULL));
	close(a);
	cr_assert(hd_wait_log(&d, "ended (quit)", 10000));
	/* A crash: failed. */
	wait_idle("line", 1);
	c = session_on(port);
	pid = hd_worker_for_port(&d, tc_local_port(c));
	cr_assert_gt(pid, 0);
	kill(pid, SIGKILL);
	free(tc_read_all(c, 10000, NULL));
	close(c);
	cr_assert(hd_wait_log(&d, "crashed", 10000));
	/* One active, that has run something. */
	wait_idle("line", 1);
	dd = session_on(port);
	free(tc_cmd(dd, "load $1 #5"));
	free(tc_cmd(dd, "inc $1"));
	for (tries = 0; tries < 100; tries++) {
		st = hd_status(&d);
		found = 0;
		json_array_foreach(json_object_get(st, "workers"), i, w) {
			sess = json_object_get(w, "session");
			if (json_is_object(sess) && hd_json_num(sess, "instructions") ==
			    2 && hd_json_num(sess, "bytes_in") > 0)
				found = 1;
		}
		if (found)
			break;
		json_decref(st);
		usleep(100000);
	}
	cr_assert(found, "no session row with 2 instructions");
	cr_assert_eq(hd_json_num(st, "sessions.accepted"), 4);
	cr_assert_eq(hd_json_num(st, "sessions.completed"), 1);
	cr_assert_eq(hd_json_num(st, "sessions.rejected"), 1);
	cr_assert_eq(hd_json_num(st, "sessions.failed"), 1);
	cr_assert_eq(hd_json_num(st, "sessions.active"), 1);
	assert_totals(st);
	cr_assert_eq(hd_json_num(pool(st, "line"), "exits.crashed"), 1);
	cr_assert_geq(hd_json_num(pool(st, "line"), "exits.normal"), 1);
	json_decref(st);

	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "status", NULL), 0, "%s",
	    err);
	cr_assert_not_null(strstr(out, "sessions: 1 active; 4 accepted = 1 "
	    "completed + 1 rejected + 1 failed + 1 active"), "%s", out);
	cr_assert_not_null(strstr(out, "crashed 1"), "%s", out);
	snprintf(want, sizeof(want), "anonymous  127.0.0.1:%d  line",
	    tc_local_port(dd));
	cr_assert_not_null(strstr(out, want), "%s", out);
	free(out);
	free(err);
	close(dd);
}

/* The id of the one session `iridiumctl sessions --json` lists. */
static long long
only_session(void)
{
	json_t		*j, *w;
	json_error_t	 jerr;
	char		*out, *err;
	long long	 id;

	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "sessions", "--json", NULL),
	    0, "%s", err);
	j = json_loads(out, 0, &jerr);
	cr_assert(json_is_array(j), "%s", out);
	cr_assert_eq(json_array_size(j), 1, "%s", out);
	w = json_array_get(j, 0);
	id = hd_json_num(json_object_get(w, "session"), "id");
	json_decref(j);
	free(out);
	free(err);
	return id;
}

Test(ctl, sessions_and_kill)
{
	char	*out, *err, *s, want[128];
	long long id;
	int	 fd, rc;
	json_t	*st;

	hd_start_conf(&d, "[listener line]\ntransport = line\nport = 0\n",
	    NULL);
	fd = session_on(d.port);
	id = only_session();
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "sessions", NULL), 0);
	cr_assert_not_null(strstr(out, "SESSION  TENANT"), "%s", out);
	snprintf(want, sizeof(want), "127.0.0.1:%d", tc_local_port(fd));
	cr_assert_not_null(strstr(out, want), "%s", out);
	free(out);
	free(err);

	snprintf(want, sizeof(want), "%lld", id);
	rc = hd_ctl(&d, NULL, &out, &err, "kill", want, NULL);
	cr_assert_eq(rc, 0, "%s", err);
	snprintf(want, sizeof(want), "session %lld (worker ", id);
	cr_assert_not_null(strstr(out, want), "%s", out);
	free(out);
	free(err);
	s = tc_read_all(fd, 10000, NULL);
	cr_assert_not_null(strstr(s, "\r\nSession ended by the administrator. "
	    "Goodbye!\r\n"), "%s", s);
	free(s);
	close(fd);
	cr_assert(hd_wait_log(&d, "ended (shutdown)", 10000));
	st = hd_status(&d);
	cr_assert_eq(hd_json_num(st, "sessions.active"), 0);
	cr_assert_eq(hd_json_num(st, "sessions.completed"), 1);
	json_decref(st);

	/* Unknown sessions and bad ids. */
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "kill", "999", NULL), 1);
	cr_assert_str_eq(err, "iridiumctl: no session 999\n");
	free(out);
	free(err);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "kill", "x", NULL), 64);
	free(out);
	free(err);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, NULL), 64);
	cr_assert_not_null(strstr(err, "usage: iridiumctl"));
	free(out);
	free(err);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "frobnicate", NULL), 64);
	free(out);
	free(err);
}

Test(ctl, iridiumctl_without_a_daemon)
{
	const char	*av[] = { hd_bin("iridiumctl"), "-s",
	    "/nonexistent/control.sock", "status", NULL };
	char		*out, *err;

	cr_assert_eq(hd_run(av, &out, &err, 10000), 1);
	cr_assert_str_eq(err, "iridiumctl: cannot reach iridiumd at "
	    "/nonexistent/control.sock: No such file or directory (is it "
	    "running?)\n");
	cr_assert_str_eq(out, "");
	free(out);
	free(err);
}

/* --- who may connect ------------------------------------------------------- */

static bool
need_root(void)
{
	if (geteuid() == 0)
		return true;
	probe_ci_requires("not root: iridiumctl cannot be run as another "
	    "uid");
	cr_skip_test("not root: cannot run iridiumctl as another uid");
	return false;
}

static const char *const as_nobody[] = { "/usr/bin/setpriv",
    "--reuid=nobody", "--regid=nogroup", "--clear-groups", NULL };

Test(ctl, another_uid_is_refused)
{
	char	*out, *err;

	if (!need_root())
		return;
	hd_start_conf(&d, "[listener line]\ntransport = line\nport = 0\n",
	    NULL);
	/* The socket is 0660 root's: the kernel says no first. */
	cr_assert_eq(hd_ctl(&d, as_nobody, &out, &err, "status", NULL), 1);
	cr_assert_not_null(strstr(err, "cannot reach iridiumd at "),
	    "%s", err);
	cr_assert_not_null(strstr(err, "Permission denied"), "%s", err);
	free(out);
	free(err);
	/* With the file open to all, the daemon still says no. */
	cr_assert_eq(chmod(hd_control(&d), 0666), 0);
	cr_assert_eq(hd_ctl(&d, as_nobody, &out, &err, "status", NULL), 1);
	cr_assert_str_eq(err, "iridiumctl: permission denied: uid 65534 is "
	    "not root, iridiumd's user (uid 0) or a member of admin_group "
	    "(none is set)\n");
	cr_assert_str_eq(out, "");
	free(out);
	free(err);
	cr_assert(hd_wait_log(&d, "uid 65534 refused", 5000));
}

Test(ctl, a_member_of_admin_group_is_allowed)
{
	struct group	*gr;
	char		 text[256], groups[64], *out, *err;
	const char	*prefix[6];

	if (!need_root())
		return;
	/* Any group nobody is not in will do; Debian has "users". */
	if ((gr = getgrnam("users")) == NULL) {
		cr_assert_eq(system("groupadd -f iridium-test"), 0);
		gr = getgrnam("iridium-test");
	}
	cr_assert_not_null(gr);
	snprintf(text, sizeof(text), "[daemon]\nadmin_group = %s\n"
	    "[listener line]\ntransport = line\nport = 0\n", gr->gr_name);
	hd_start_conf(&d, text, NULL);
	snprintf(groups, sizeof(groups), "--groups=%u", (unsigned)gr->gr_gid);
	prefix[0] = "/usr/bin/setpriv";
	prefix[1] = "--reuid=nobody";
	prefix[2] = "--regid=nogroup";
	prefix[3] = groups;
	prefix[4] = NULL;
	cr_assert_eq(hd_ctl(&d, prefix, &out, &err, "status", NULL), 0, "%s",
	    err);
	cr_assert_not_null(strstr(out, "iridiumd "), "%s", out);
	free(out);
	free(err);
	/* Not a member: refused. */
	cr_assert_eq(hd_ctl(&d, as_nobody, &out, &err, "status", NULL), 1);
	free(out);
	free(err);
}

/* --- misbehaving control clients ------------------------------------------------ */

static int
ctl_connect(void)
{
	struct sockaddr_un	 sun;
	int			 fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	cr_assert_lt(strlen(hd_control(&d)), sizeof(sun.sun_path));
	memcpy(sun.sun_path, hd_control(&d), strlen(hd_control(&d)));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0,
	    "%s", strerror(errno));
	return fd;
}

/* Read to EOF (or a reset); what came. */
static char *
until_closed(int fd, int timeout_ms)
{
	char	*s;
	size_t	 len;

	s = tc_read_all(fd, timeout_ms, &len);
	cr_assert_not_null(s);
	return s;
}

static void
still_answers(void)
{
	char	*r = hd_ctl_raw(&d, "{\"v\":1,\"command\":\"status\"}", 10000);

	cr_assert_not_null(r);
	cr_assert(starts(r, "{\"v\":1,\"ok\":true,\"status\":{"), "%.200s", r);
	free(r);
}

Test(ctl, garbage_huge_and_silent_clients_are_dropped)
{
	struct pollfd	 pfd;
	char		*s, *big, *r;
	int		 silent, fd, extra[4], i;
	long long	 t0;
	struct timespec	 ts;

	hd_start_conf(&d, "[listener line]\ntransport = line\nport = 0\n",
	    NULL);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	t0 = ts.tv_sec;
	silent = ctl_connect();

	/* Garbage: one reply line, then closed. */
	fd = ctl_connect();
	tc_send(fd, "\x01\x02 hello ]]]\n");
	s = until_closed(fd, 10000);
	cr_assert(starts(s, "{\"v\":1,\"ok\":false,\"error\":\"bad request: "
	    "not JSON: "), "%s", s);
	cr_assert_eq(strchr(s, '\n') - s + 1, (long)strlen(s), "%s", s);
	free(s);
	close(fd);
	still_answers();

	/* An unknown command: answered, and the client may go on. */
	fd = ctl_connect();
	tc_send(fd, "{\"v\":1,\"command\":\"reboot\"}\n");
	s = tc_read_until(fd, "\n", 10000);
	cr_assert_str_eq(s, "{\"v\":1,\"ok\":false,\"error\":\"unknown command "
	    "\\\"reboot\\\" (commands: status, sessions, kill, reload, "
	    "upgrade)\"}\n");
	free(s);
	tc_send(fd, "{\"v\":1,\"command\":\"sessions\"}\n");
	s = tc_read_until(fd, "\n", 10000);
	cr_assert_str_eq(s, "{\"v\":1,\"ok\":true,\"sessions\":[]}\n");
	free(s);
	close(fd);

	/* A 1 MiB line: dropped (its reply may be lost to the reset). */
	fd = ctl_connect();
	big = malloc(1 << 20);
	memset(big, 'x', 1 << 20);
	tc_sendn(fd, big, 1 << 20);
	free(big);
	s = until_closed(fd, 10000);
	cr_assert(s[0] == '\0' || strstr(s, "request line longer than 65536 "
	    "bytes") != NULL, "%s", s);
	free(s);
	close(fd);
	cr_assert(hd_wait_log(&d, "a request line longer than 65536 bytes",
	    5000));
	still_answers();

	/* At most 4 connections per uid: the silent one and 3 more. */
	for (i = 0; i < 3; i++)
		extra[i] = ctl_connect();
	fd = ctl_connect();
	s = until_closed(fd, 10000);
	cr_assert_str_eq(s, "{\"v\":1,\"ok\":false,\"error\":\"too many "
	    "control connections (at most 4 per uid, 64 in all)\"}\n");
	free(s);
	close(fd);
	for (i = 0; i < 3; i++)
		close(extra[i]);

	/* The silent one is closed after its 10 s. */
	pfd.fd = silent;
	pfd.events = POLLIN;
	cr_assert_eq(poll(&pfd, 1, 15000), 1, "the silent client is still "
	    "connected");
	clock_gettime(CLOCK_MONOTONIC, &ts);
	cr_assert_geq(ts.tv_sec - t0, 9, "closed too early");
	s = until_closed(silent, 1000);
	cr_assert_str_eq(s, "");
	free(s);
	close(silent);
	cr_assert(hd_wait_log(&d, "no request in 10s", 5000));
	r = hd_ctl_raw(&d, "{\"v\":1,\"command\":\"status\"}", 10000);
	cr_assert_not_null(r);
	free(r);
	cr_assert_eq(hd_log_count(&d, "crashed"), 0);
}

/* --- the control socket's path -------------------------------------------------- */

Test(ctl, a_second_daemon_on_the_same_socket_refuses_to_start)
{
	static struct hd h;	/* hd_fini keeps its address */
	const char	*argv[] = { "--run-dir", d.dir, "--bind-port", "0",
	    "--worker-path", hd_bin("iridium-worker"), NULL };

	hd_start_conf(&d, "[listener line]\ntransport = line\nport = 0\n",
	    NULL);
	argv[1] = d.dir;
	cr_assert_eq(hd_start_raw(&h, argv, NULL), 0);
	cr_assert_eq(hd_stop(&h, 0, 10000), 1, "the second one exits 1");
	cr_assert_not_null(strstr(h.log, "another iridiumd answers on the "
	    "control socket"), "%s", h.log);
	hd_cleanup(&h);
	still_answers();
}

Test(ctl, a_stale_socket_is_replaced)
{
	struct sockaddr_un	 sun;
	char			 dir[64];
	int			 fd;
	const char		*argv[] = { "--run-dir", dir, "--bind-port",
	    "0", "--worker-path", hd_bin("iridium-worker"), NULL };

	hd_tmpdir(dir, sizeof(dir), "stale");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/control.sock", dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);	/* the file stays: as after a kill -9 */
	cr_assert_eq(hd_start_raw(&d, argv, "listening on "), 0);
	snprintf(d.dir, sizeof(d.dir), "%s", dir);
	cr_assert(hd_wait_log(&d, "removing stale control socket", 5000));
	still_answers();
}

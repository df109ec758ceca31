/*
 * test_sandbox.c: the worker sandbox, proved from outside and by escape
 * attempts (worker/sandbox.c).
 *
 * The real daemon runs on loopback. From outside, per worker, idle and
 * serving: /proc/PID/status (seccomp filter mode, no_new_privs, no
 * capabilities, and as root the dropped uid/gid with no groups),
 * /proc/PID/root (the empty chroot), /proc/PID/fd (0-3 and the client),
 * /proc/PID/limits (the ceilings, and no headroom left to raise). From
 * inside, iridium-worker-test's escape hooks (testhooks.c) try each way
 * out from a live session: every one must end with the worker killed by
 * SIGSYS and the supervisor logging a sandbox violation with session,
 * tenant and peer, or with the EACCES/EPERM the sandbox is designed to
 * answer; a bystander session and the pool carry on. In debug mode each
 * attempt must name its syscall instead. Landlock is proved by the probe
 * the test worker runs between Landlock and seccomp: what Landlock alone
 * refuses, checked against the kernel's ABI.
 *
 * CI runs as root, and there nothing may be skipped: with CI set and no
 * root, the root-only checks fail. Without CI they say what they skip.
 * Development mode (not root: no chroot, no uid change) runs too: as
 * root, this test drops to nobody first.
 */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <limits.h>
#include <linux/capability.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "probe.h"

#define T		20000		/* ms for anything that should come */
#define HEAP		1048576		/* --limit heap, for RLIMIT_AS */
#define AS_LIMIT	"270532608"	/* 256 MiB + 2 * HEAP (sandbox.c) */

static struct hd	 d;
static char		 bindir[256];	/* binaries copied for nobody */

static void	remove_bins(void);

static void
teardown(void)
{
	hd_fini();
	if (bindir[0] != '\0')
		remove_bins();
}

TestSuite(sandbox, .fini = teardown, .timeout = 120);

/* --- helpers -------------------------------------------------------------- */

/*
 * True when running as root. Otherwise the check named by what is
 * skipped, said so; under CI (which runs as root) that is a failure.
 */
static bool
as_root(const char *what)
{
	if (geteuid() == 0)
		return true;
	probe_ci_requires("not root: %s", what);
	return false;
}

static bool
asan_build(void)
{
	const char	*v = getenv("IRIDIUM_VARIANT");

	return v != NULL && strcmp(v, "asan") == 0;
}

static void
start(const char *worker, const char *const extra[])
{
	const char	*argv[32];
	int		 n = 0, i;

	argv[n++] = "--worker-path";
	argv[n++] = hd_bin(worker);
	argv[n++] = "--limit";
	argv[n++] = "heap=1048576";
	argv[n++] = "--limit";
	argv[n++] = "cpu=60";
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	cr_assert_eq(hd_start(&d, argv), 0, "iridiumd did not start");
}

static char *
slurp(const char *path)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 n;
	int	 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			cap = (len + 4096 + 1) * 2;
			cr_assert_not_null(buf = realloc(buf, cap));
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n > 0)
			len += (size_t)n;
	} while (n > 0 || (n == -1 && errno == EINTR));
	close(fd);
	buf[len] = '\0';
	return buf;
}

/* The value of a "Name:\tvalue" line of /proc/pid/status, tabs as spaces. */
static void
status_field(pid_t pid, const char *name, char *out, size_t outlen)
{
	char	 path[64], *s, *p, *e;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	cr_assert_not_null(s = slurp(path), "%s: %s", path, strerror(errno));
	p = strstr(s, name);
	cr_assert_not_null(p, "no %s in %s", name, path);
	p += strlen(name);
	while (*p == ' ' || *p == '\t')
		p++;
	if ((e = strchr(p, '\n')) != NULL)
		*e = '\0';
	for (e = p; *e != '\0'; e++)
		if (*e == '\t')
			*e = ' ';
	snprintf(out, outlen, "%s", p);
	free(s);
}

/* Soft and hard of the /proc/pid/limits row whose name is name. */
static void
limit_row(const char *limits, const char *name, char *soft, char *hard)
{
	const char	*p = strstr(limits, name);

	cr_assert_not_null(p, "no \"%s\" in /proc/PID/limits", name);
	cr_assert_eq(sscanf(p + strlen(name), "%31s %31s", soft, hard), 2,
	    "cannot read \"%s\"", name);
}

/*
 * Wait for needle to appear in the log past offset from (what was logged
 * before is stale: a client port comes round again). Returns where.
 */
static const char *
log_after(size_t from, const char *needle, int timeout_ms)
{
	const char	*p;
	int		 waited;

	for (waited = 0;; waited += 20) {
		(void)hd_log_count(&d, "\001");	/* take in what came */
		if (d.log != NULL && d.loglen >= from &&
		    (p = strstr(d.log + from, needle)) != NULL)
			return p;
		if (waited >= timeout_ms)
			return NULL;
		usleep(20000);
	}
}

/*
 * The worker and session id of the client fd, which connected after the
 * log held from bytes: "session N: line connection from A to worker P".
 */
static pid_t
session_worker(int fd, size_t from, long long *sid)
{
	char		 needle[96];
	const char	*p, *a;

	snprintf(needle, sizeof(needle), "connection from 127.0.0.1:%d to "
	    "worker ", tc_local_port(fd));
	p = log_after(from, needle, T);
	cr_assert_not_null(p, "no \"%s\" in the log", needle);
	for (a = p; a > d.log && a[-1] != '\n'; a--)
		continue;
	a = strstr(a, "session ");
	cr_assert(a != NULL && a < p, "no session id before \"%s\"", needle);
	*sid = strtoll(a + strlen("session "), NULL, 10);
	return (pid_t)atoi(p + strlen(needle));
}

/* Workers of the daemon whose title says idle (sandboxed, ready). */
static int
idle_workers(pid_t *pids, int max)
{
	pid_t	 all[256];
	char	 path[64], *s;
	int	 n, i, k = 0;

	n = hd_children(&d, all, 256);
	for (i = 0; i < n && k < max; i++) {
		snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)all[i]);
		if ((s = slurp(path)) == NULL)
			continue;
		if (strstr(s, " idle") != NULL)
			pids[k++] = all[i];
		free(s);
	}
	return k;
}

/* The inode of the server side of a loopback TCP connection. */
static unsigned long
tcp_inode(int server_port, int client_port)
{
	char		*s, *line, *save;
	unsigned	 lp, rp;
	unsigned long	 inode = 0, ino;

	cr_assert_not_null(s = slurp("/proc/net/tcp"));
	for (line = strtok_r(s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save))
		if (sscanf(line, " %*d: %*x:%x %*x:%x %*x %*x:%*x %*x:%*x %*x "
		    "%*u %*u %lu", &lp, &rp, &ino) == 3 &&
		    (int)lp == server_port && (int)rp == client_port)
			inode = ino;
	free(s);
	return inode;
}

/* --- the state of a worker, from outside ---------------------------------- */

/* What every worker shows, root or not, idle or serving. */
static void
check_locked(pid_t pid)
{
	static const char *const caps[] = { "CapInh:", "CapPrm:", "CapEff:",
	    "CapAmb:" };
	char		 v[256], path[64], soft[32], hard[32], name[27];
	char		*lim, *line, *save;
	struct stat	 st;
	size_t		 i;

	status_field(pid, "Seccomp:", v, sizeof(v));
	cr_expect_str_eq(v, "2", "worker %d: Seccomp %s, not 2 (filter)",
	    (int)pid, v);
	status_field(pid, "NoNewPrivs:", v, sizeof(v));
	cr_expect_str_eq(v, "1", "worker %d: NoNewPrivs %s", (int)pid, v);
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		status_field(pid, caps[i], v, sizeof(v));
		cr_expect_str_eq(v, "0000000000000000", "worker %d: %s %s",
		    (int)pid, caps[i], v);
	}
	/* Not dumpable: the kernel then gives its /proc files to root. */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_uid, 0, "worker %d is dumpable (%s is uid %d's)",
	    (int)pid, path, (int)st.st_uid);

	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	cr_assert_not_null(lim = slurp(path), "%s: %s", path,
	    strerror(errno));
	limit_row(lim, "Max open files", soft, hard);
	cr_expect(strcmp(soft, "8") == 0 && strcmp(hard, "8") == 0,
	    "worker %d: open files %s/%s", (int)pid, soft, hard);
	limit_row(lim, "Max processes", soft, hard);
	cr_expect(strcmp(soft, "0") == 0 && strcmp(hard, "0") == 0,
	    "worker %d: processes %s/%s", (int)pid, soft, hard);
	limit_row(lim, "Max file size", soft, hard);
	cr_expect(strcmp(soft, "0") == 0 && strcmp(hard, "0") == 0,
	    "worker %d: file size %s/%s", (int)pid, soft, hard);
	limit_row(lim, "Max core file size", soft, hard);
	cr_expect(strcmp(soft, "0") == 0 && strcmp(hard, "0") == 0,
	    "worker %d: core size %s/%s", (int)pid, soft, hard);
	limit_row(lim, "Max locked memory", soft, hard);
	cr_expect(strcmp(soft, "0") == 0 && strcmp(hard, "0") == 0,
	    "worker %d: locked memory %s/%s", (int)pid, soft, hard);
	limit_row(lim, "Max cpu time", soft, hard);
	cr_expect(strcmp(soft, "60") == 0 && strcmp(hard, "61") == 0,
	    "worker %d: cpu %s/%s, not 60/61", (int)pid, soft, hard);
	limit_row(lim, "Max address space", soft, hard);
	if (asan_build())
		cr_log_info("AddressSanitizer build: no RLIMIT_AS (%s)", soft);
	else
		cr_expect(strcmp(soft, AS_LIMIT) == 0 &&
		    strcmp(hard, AS_LIMIT) == 0, "worker %d: address space "
		    "%s/%s, not %s", (int)pid, soft, hard, AS_LIMIT);
	/* Nothing left to raise: every soft limit is its hard one. */
	line = strtok_r(lim, "\n", &save);	/* the header */
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		if (strlen(line) < 26 || strncmp(line, "Max cpu time", 12) == 0)
			continue;
		snprintf(name, sizeof(name), "%.26s", line);
		if (sscanf(line + 26, "%31s %31s", soft, hard) == 2)
			cr_expect_str_eq(soft, hard, "worker %d: %s soft %s "
			    "below hard %s: room to raise it", (int)pid, name,
			    soft, hard);
	}
	free(lim);
}

/* As root: the identity, the chroot and the fds. client: -1 when idle. */
static void
check_root_only(pid_t pid, int client)
{
	char		 v[256], want[300], path[300], link[300];
	DIR		*dir;
	struct dirent	*de;
	struct stat	 st;
	long		 uid, gid;
	unsigned long	 ino, first, last;
	int		 n, fd, fds = 0, expect;

	/* "workers run each as a uid and gid of its own from F-L ..." */
	snprintf(want, sizeof(want), "workers run each as a uid and gid of "
	    "its own from %s ", d.uids);
	cr_assert(hd_wait_log(&d, want, T), "no \"%s\"", want);
	cr_assert_eq(sscanf(d.uids, "%lu-%lu", &first, &last), 2);

	/* Its own uid, from the range, in all four places; gid the same. */
	status_field(pid, "Uid:", v, sizeof(v));
	cr_assert_eq(sscanf(v, "%ld", &uid), 1);
	cr_expect((unsigned long)uid >= first && (unsigned long)uid <= last,
	    "worker %d: uid %ld is not of %s", (int)pid, uid, d.uids);
	snprintf(want, sizeof(want), "%ld %ld %ld %ld", uid, uid, uid, uid);
	cr_expect_str_eq(v, want, "worker %d: Uid %s", (int)pid, v);
	gid = uid;
	status_field(pid, "Gid:", v, sizeof(v));
	snprintf(want, sizeof(want), "%ld %ld %ld %ld", gid, gid, gid, gid);
	cr_expect_str_eq(v, want, "worker %d: Gid %s", (int)pid, v);
	status_field(pid, "Groups:", v, sizeof(v));
	cr_expect_str_eq(v, "", "worker %d: Groups %s", (int)pid, v);

	/* Its root: the run directory's empty, root-owned "empty". */
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	n = (int)readlink(path, link, sizeof(link) - 1);
	cr_assert_gt(n, 0, "%s: %s", path, strerror(errno));
	link[n] = '\0';
	snprintf(want, sizeof(want), "%s/empty", d.dir);
	cr_expect_str_eq(link, want, "worker %d: root %s", (int)pid, link);
	cr_assert_eq(stat(want, &st), 0);
	cr_expect(st.st_uid == 0 && (st.st_mode & 022) == 0,
	    "%s: owner %d mode %o", want, (int)st.st_uid, st.st_mode);
	cr_assert_not_null(dir = opendir(want));
	while ((de = readdir(dir)) != NULL)
		cr_expect(strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0, "%s holds %s", want,
		    de->d_name);
	closedir(dir);

	/* fds: 0-3 by the exec contract, 4 the client when serving. */
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	cr_assert_not_null(dir = opendir(path), "%s: %s", path,
	    strerror(errno));
	expect = client == -1 ? 4 : 5;
	while ((de = readdir(dir)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		fds++;
		cr_expect_lt(fd, expect, "worker %d holds fd %d", (int)pid, fd);
		snprintf(path, sizeof(path), "/proc/%d/fd/%d", (int)pid, fd);
		cr_assert_gt(n = (int)readlink(path, link, sizeof(link) - 1),
		    0);
		link[n] = '\0';
		if (fd == 0 || fd == 1)
			cr_expect_str_eq(link, "/dev/null", "fd %d: %s", fd,
			    link);
		else if (fd == 2)
			cr_expect(strcmp(link, "/dev/null") == 0 ||
			    strncmp(link, "pipe:", 5) == 0, "fd 2: %s", link);
		else if (fd == 3)
			cr_expect(strncmp(link, "socket:", 7) == 0,
			    "fd 3: %s", link);
		else if (fd == 4) {
			ino = tcp_inode(d.port, tc_local_port(client));
			snprintf(want, sizeof(want), "socket:[%lu]", ino);
			cr_expect_str_eq(link, want, "fd 4 is %s, the "
			    "client's connection is %s", link, want);
		}
	}
	closedir(dir);
	cr_expect_eq(fds, expect, "worker %d: %d fds, not %d", (int)pid, fds,
	    expect);
}

Test(sandbox, idle_and_serving_workers_are_locked_down)
{
	pid_t		 idle[8], w;
	long long	 sid;
	size_t		 from;
	int		 n = 0, i, c, tries;
	char		*s;
	bool		 root;

	root = as_root("uid/gid, groups, chroot and fds of the workers");
	/* A supplementary group for the workers to lose. */
	if (root)
		cr_assert_eq(setgroups(1, (gid_t[]){ 4242 }), 0);
	start("iridium-worker", NULL);
	/* The pool's two spares: idle means sandboxed and ready. */
	for (tries = 0; (n = idle_workers(idle, 8)) < 2 && tries < T / 20;
	    tries++)
		usleep(20000);
	cr_assert_geq(n, 2, "%d idle workers", n);
	for (i = 0; i < n; i++) {
		check_locked(idle[i]);
		if (root)
			check_root_only(idle[i], -1);
	}

	from = d.loglen;
	cr_assert_geq(c = tc_session(&d), 0);
	s = tc_cmd(c, "load $1 #7");
	cr_assert_not_null(s);
	free(s);
	w = session_worker(c, from, &sid);
	check_locked(w);
	if (root)
		check_root_only(w, c);
	close(c);
}

/* --- Landlock ------------------------------------------------------------- */

/*
 * "test landlock: abi N; open / -> X; connect 127.0.0.1:1 -> Y; signal
 * parent -> Z", from the probe the test worker runs after Landlock and
 * before seccomp: whatever is refused there, only Landlock refused.
 */
static void
check_landlock(int c, bool dev)
{
	char		*s, want[64];
	long		 abi;

	abi = probe_landlock_abi();
	s = tc_cmd(c, "!test landlock");
	cr_assert_not_null(s);
	snprintf(want, sizeof(want), "abi %ld;", abi);
	cr_expect_not_null(strstr(s, want), "kernel ABI %ld: %s", abi, s);
	if (abi < 1) {
		cr_expect(hd_wait_log(&d, "landlock unavailable", T));
		free(s);
		probe_ci_requires("this kernel offers no Landlock: what it "
		    "would refuse is not proved");
		return;
	}
	probe_case("Landlock ABI %ld: no files%s%s", abi, abi >= 4 ?
	    ", no TCP connect" : " (TCP rules need ABI 4)", dev && abi >= 6 ?
	    ", no signals out" : "");
	cr_expect_not_null(strstr(s, "open / -> EACCES"),
	    "Landlock let a worker open \"/\": %s", s);
	if (abi >= 4)
		cr_expect_not_null(strstr(s, "connect 127.0.0.1:1 -> EACCES"),
		    "Landlock ABI %ld let a worker connect: %s", abi, s);
	else
		cr_expect_not_null(strstr(s, "ECONNREFUSED"), "%s", s);
	/* As root, the uid change alone refuses the signal: no proof. */
	if (dev && abi >= 6)
		cr_expect_not_null(strstr(s, "signal parent -> EPERM"),
		    "Landlock ABI %ld let a worker signal out: %s", abi, s);
	free(s);
}

Test(sandbox, landlock_refuses_what_seccomp_would_answer_first)
{
	int	 c;

	start("iridium-worker-test", NULL);
	cr_assert_geq(c = tc_session(&d), 0);
	check_landlock(c, geteuid() != 0);
	close(c);
}

/* --- escape attempts ------------------------------------------------------ */

/*
 * Every hook the filter must refuse by killing, and the text the debug
 * handler must log for it ("sandbox: blocked syscall 56 (clone)"): the
 * first syscall the filter refuses, so in kill mode the kill came from
 * the attempt itself and not from its preparation.
 */
static const struct kill_case {
	const char	*hook;
	const char	*blocked;
} kills[] = {
	{ "execve", "(execve)" },
	{ "fork", "(clone)" },
	{ "clone_ns", "(clone)" },
	{ "clone3_ns", "(clone3)" },
	{ "unshare", "(unshare)" },
	/* glibc installs its cancellation handler before it clones. */
	{ "thread", "(rt_sigaction)" },
	{ "socket_inet", "(socket)" },
	{ "socket_unix", "(socket)" },
	{ "connect", "(connect)" },
	{ "bind", "(bind)" },
	{ "socketpair", "(socketpair)" },
	{ "pipe", "(pipe2)" },
	{ "dup", "(dup)" },
	{ "fcntl_dupfd", "(fcntl)" },
	{ "ptrace", "(ptrace)" },
	{ "ptrace_attach", "(ptrace)" },
	{ "process_vm", "(process_vm_readv)" },
	{ "mprotect_exec", "(mprotect)" },
	{ "pkey_mprotect", "(pkey_mprotect)" },
	{ "mmap_exec", "(mmap)" },
	{ "mmap_file", "(mmap)" },
	{ "memfd", "(memfd_create)" },
	{ "madvise_merge", "(madvise)" },
	{ "futex_pi", "(futex)" },
	{ "kill", "(kill)" },
	{ "tgkill", "(tgkill)" },
	{ "setuid", "(setuid)" },
	{ "setrlimit_raw", "(setrlimit)" },
	{ "prlimit_other", "(prlimit64)" },
	{ "chdir", "(chdir)" },
	{ "fchdir", "(fchdir)" },
	{ "chroot", "(chroot)" },
	{ "mount", "(mount)" },
	{ "mkdir", "(mkdir)" },
	{ "open_by_handle", "(open_by_handle_at)" },
	{ "tiocsti", "(ioctl)" },
	{ "dumpable", "(prctl)" },
	{ "personality", "(personality)" },
	{ "keyctl", "(keyctl)" },
	{ "bpf", "(bpf)" },
	{ "userfaultfd", "(userfaultfd)" },
	{ "io_uring", "(io_uring_setup)" },
	{ "perf", "(perf_event_open)" },
	{ "setsockopt", "(setsockopt)" },
	{ "sendto_addr", "(sendto)" },
	{ "sigaction", "(rt_sigaction)" },
	{ "i386", "20 of foreign arch 0x40000003" },
	{ "x32", "1073741863" },
};

/* Hooks the sandbox answers with an error by design; the session goes on. */
static const struct errno_case {
	const char	*hook;
	const char	*answer;
} errnos[] = {
	{ "open", "-> EACCES" },
	{ "openroot", "-> EACCES" },
	{ "stat", "-> EACCES" },
	{ "write", "-> EACCES" },
	{ "rlimit_nofile", "-> EPERM" },
	{ "rlimit_cpu", "-> EPERM" },
};

/* The bystander still gets answers: nothing of the victim reached it. */
static void
bystander_ok(int b, const char *hook)
{
	char	*s;

	s = tc_cmd(b, "load $2 #3");
	cr_expect_not_null(s, "after %s: the bystander session is gone", hook);
	free(s);
}

/* Start a session, try hook in it; returns the client fd, *w and *sid. */
static int
attempt(const char *hook, pid_t *w, long long *sid)
{
	char	 cmd[64];
	size_t	 from = d.loglen;
	int	 c;

	c = tc_session(&d);
	cr_assert_geq(c, 0, "before %s: no new session: the pool is down",
	    hook);
	*w = session_worker(c, from, sid);
	snprintf(cmd, sizeof(cmd), "!test %s\r\n", hook);
	tc_send(c, cmd);
	return c;
}

/* The pool's exits.KIND in `iridiumctl status --json`. */
static int
status_exits(const char *kind)
{
	const char	*av[] = { hd_bin("iridiumctl"), "-s", hd_control(&d),
	    "status", "--json", NULL };
	json_error_t	 je;
	json_t		*doc, *n;
	char		*out, *err;
	int		 v;

	cr_assert_eq(hd_run(av, &out, &err, T), 0, "iridiumctl: %s", err);
	doc = json_loads(out, 0, &je);
	cr_assert_not_null(doc, "status: %s", je.text);
	n = json_object_get(json_object_get(json_array_get(json_object_get(
	    doc, "pools"), 0), "exits"), kind);
	cr_assert(json_is_integer(n), "no pools[0].exits.%s", kind);
	v = (int)json_integer_value(n);
	json_decref(doc);
	free(out);
	free(err);
	return v;
}

/*
 * How the i386 attempt must end on this kernel, said once per test:
 * where the entry exists the filter's arch check kills it (SIGSYS); a
 * kernel without IA-32 emulation answers int $0x80 with SIGSEGV before
 * any filter runs, which stops the attempt just as well: the worker
 * dies, the supervisor counts a crash, nothing ran. The x32 bit reaches
 * the filter either way (seccomp runs before the syscall table is
 * chosen); the test says which kind of kernel it saw.
 */
static bool
i386_entry(void)
{
	char	 how[256];
	bool	 entry;

	entry = probe_i386(how, sizeof(how)) != PROBE_I386_NONE;
	probe_case("%s: the i386 attempt must end %s", how, entry ?
	    "in the filter's kill or trap" : "in SIGSEGV, counted as a crash");
	probe_case("x32 syscalls %s here: the filter must refuse the x32 "
	    "bit either way", probe_x32() ? "run" : "fail with ENOSYS");
	return entry;
}

/* How the worker of kills[i] must end: the text of its log line. */
static const char *
kill_ending(size_t i, bool entry, char *buf, size_t len)
{
	if (strcmp(kills[i].hook, "i386") == 0 && !entry)
		snprintf(buf, len, "crashed (signal %d (SEGV))", SIGSEGV);
	else
		snprintf(buf, len, "sandbox violation (signal %d (SYS))",
		    SIGSYS);
	return buf;
}

Test(sandbox, every_escape_attempt_gets_the_worker_killed)
{
	char		 needle[256], ending[64];
	pid_t		 w;
	long long	 sid;
	size_t		 i, len;
	char		*s;
	int		 b, c, violations, crashes;
	bool		 entry = i386_entry();

	start("iridium-worker-test", NULL);
	cr_assert_geq(b = tc_session(&d), 0);
	for (i = 0; i < sizeof(kills) / sizeof(kills[0]); i++) {
		c = attempt(kills[i].hook, &w, &sid);
		/* The line says who: session, tenant, peer, worker. */
		snprintf(needle, sizeof(needle), "session %lld (tenant "
		    "anonymous, peer 127.0.0.1:%d): worker %d %s", sid,
		    tc_local_port(c), (int)w,
		    kill_ending(i, entry, ending, sizeof(ending)));
		cr_expect(hd_wait_log(&d, needle, T), "%s: no \"%s\" in the "
		    "log", kills[i].hook, needle);
		/* The attempt itself, logged by the worker just before. */
		snprintf(needle, sizeof(needle), "worker %d session %lld: test "
		    "%s: trying ", (int)w, sid, kills[i].hook);
		cr_expect(hd_wait_log(&d, needle, T), "%s: no \"%s\"",
		    kills[i].hook, needle);
		/* No answer: the connection just ends with the worker. */
		s = tc_read_all(c, T, &len);
		cr_expect_null(strstr(s, " -> "), "%s answered: %s",
		    kills[i].hook, s);
		free(s);
		close(c);
		bystander_ok(b, kills[i].hook);
	}
	violations = hd_log_count(&d, "sandbox violation");
	/* "worker N crashed (signal ...", not the penalty's "its worker
	 * crashed; ... no penalty" that follows it. */
	crashes = hd_log_count(&d, " crashed (signal ");
	cr_expect_eq(violations, (int)(sizeof(kills) / sizeof(kills[0])) -
	    (entry ? 0 : 1), "%d violations logged for %zu attempts",
	    violations, sizeof(kills) / sizeof(kills[0]));
	cr_expect_eq(crashes, entry ? 0 : 1, "%d workers crashed", crashes);
	cr_expect_eq(status_exits("sandbox_violations"), violations,
	    "iridiumctl status counts the violations otherwise");
	cr_expect_eq(status_exits("crashed"), crashes, "iridiumctl status "
	    "counts the crashes otherwise");
	close(b);
}

Test(sandbox, file_probes_and_rlimits_fail_politely)
{
	char		 want[128], path[64], soft[32], hard[32];
	pid_t		 w;
	long long	 sid;
	size_t		 i;
	char		*s, *lim;
	int		 b, c;

	start("iridium-worker-test", NULL);
	cr_assert_geq(b = tc_session(&d), 0);
	for (i = 0; i < sizeof(errnos) / sizeof(errnos[0]); i++) {
		c = attempt(errnos[i].hook, &w, &sid);
		snprintf(want, sizeof(want), "test %s: ", errnos[i].hook);
		s = tc_read_until(c, ">>> ", T);
		cr_assert_not_null(s, "%s: no answer", errnos[i].hook);
		cr_expect_not_null(strstr(s, want), "%s", s);
		cr_expect_not_null(strstr(s, errnos[i].answer), "%s: wanted "
		    "\"%s\": %s", errnos[i].hook, errnos[i].answer, s);
		free(s);
		/* The limits did not move; the session goes on. */
		snprintf(path, sizeof(path), "/proc/%d/limits", (int)w);
		cr_assert_not_null(lim = slurp(path));
		limit_row(lim, "Max open files", soft, hard);
		cr_expect_str_eq(hard, "8", "after %s", errnos[i].hook);
		limit_row(lim, "Max cpu time", soft, hard);
		cr_expect_str_eq(hard, "61", "after %s", errnos[i].hook);
		free(lim);
		s = tc_cmd(c, "load $1 #1");
		cr_expect_not_null(s, "after %s the session ended",
		    errnos[i].hook);
		free(s);
		tc_send(c, "!quit\r\n");
		free(tc_read_all(c, T, NULL));
		close(c);
		bystander_ok(b, errnos[i].hook);
	}
	cr_expect_eq(hd_log_count(&d, "sandbox violation"), 0);
	close(b);
}

Test(sandbox, debug_mode_names_each_forbidden_syscall_and_goes_on)
{
	static const char *const argv[] = { "--sandbox-debug", NULL };
	char		 needle[160], ending[64];
	const char	*p, *e;
	pid_t		 w;
	long long	 sid;
	size_t		 i;
	char		*s;
	int		 b, c;
	bool		 entry = i386_entry();

	start("iridium-worker-test", argv);
	cr_assert_geq(b = tc_session(&d), 0);
	for (i = 0; i < sizeof(kills) / sizeof(kills[0]); i++) {
		c = attempt(kills[i].hook, &w, &sid);
		if (strcmp(kills[i].hook, "i386") == 0 && !entry) {
			/* No entry: SIGSEGV before the filter could trap. */
			snprintf(needle, sizeof(needle), "session %lld (tenant "
			    "anonymous, peer 127.0.0.1:%d): worker %d %s", sid,
			    tc_local_port(c), (int)w,
			    kill_ending(i, entry, ending, sizeof(ending)));
			cr_expect(hd_wait_log(&d, needle, T), "i386: no "
			    "\"%s\"", needle);
			s = tc_read_all(c, T, NULL);
			cr_expect_null(strstr(s, " -> "), "i386 answered: %s",
			    s);
			free(s);
			close(c);
			bystander_ok(b, kills[i].hook);
			continue;
		}
		snprintf(needle, sizeof(needle), "worker %d session %lld "
		    "stderr: sandbox: blocked syscall ", (int)w, sid);
		cr_expect(hd_wait_log(&d, needle, T), "%s: no \"%s\"",
		    kills[i].hook, needle);
		p = strstr(d.log, needle);
		if (p != NULL) {
			e = strchr(p, '\n');
			cr_expect(e != NULL && strstr(p, kills[i].blocked) !=
			    NULL && strstr(p, kills[i].blocked) < e,
			    "%s: the first blocked syscall is not %s: %.*s",
			    kills[i].hook, kills[i].blocked,
			    (int)(e != NULL ? e - p : 80), p);
		}
		/*
		 * The call failed with ENOSYS and the worker went on, except
		 * where SIGSYS was blocked when it came (pthread_create
		 * blocks every signal around clone3): then the kernel kills.
		 */
		if (strcmp(kills[i].hook, "thread") != 0) {
			s = tc_read_until(c, ">>> ", T);
			cr_expect_not_null(s, "%s: no answer in debug mode",
			    kills[i].hook);
			cr_expect(s == NULL || strstr(s, "-> ENOSYS") != NULL,
			    "%s: %s", kills[i].hook, s);
			free(s);
			tc_send(c, "!quit\r\n");
		}
		free(tc_read_all(c, T, NULL));
		close(c);
		bystander_ok(b, kills[i].hook);
	}
	cr_expect_leq(hd_log_count(&d, "sandbox violation"), 1,
	    "debug mode killed more than the thread attempt");
	cr_expect_eq(hd_log_count(&d, " crashed (signal "), entry ? 0 : 1,
	    "%d workers crashed", hd_log_count(&d, " crashed (signal "));
	close(b);
}

/*
 * In a sanitizer build a worker's report must get out of the box: a
 * filter that kills the reporter hides the bug as a "violation".
 */
Test(sandbox, a_sanitizer_report_is_a_failure_not_a_violation)
{
	char		 needle[160];
	pid_t		 w;
	long long	 sid;
	int		 c;

	if (!asan_build()) {
		cr_log_info("not a sanitizer build: no report to get out");
		return;
	}
	/* The report is the point here, not a finding: keep it out of
	 * this test's output, where make check would take it for one. */
	setenv("HARNESS_QUIET", "1", 1);
	start("iridium-worker-test", NULL);
	c = attempt("sanitizer", &w, &sid);
	snprintf(needle, sizeof(needle), "session %lld (tenant anonymous, "
	    "peer 127.0.0.1:%d): worker %d failed (exit 1)", sid,
	    tc_local_port(c), (int)w);
	cr_expect(hd_wait_log(&d, needle, T), "no \"%s\"", needle);
	cr_expect(hd_log_count(&d, "runtime error:") +
	    hd_log_count(&d, "ERROR: AddressSanitizer") > 0,
	    "the sanitizer's report did not reach the log");
	cr_expect_eq(hd_log_count(&d, "sandbox violation"), 0,
	    "a sanitizer report ended as a sandbox violation");
	close(c);
}

/* --- a normal session trips nothing --------------------------------------- */

static const char program[] =
    "!load\r\n"
    ".data\r\n"
    "line: .asciiz 'a line of output to fill the queue and the socket\\n'\r\n"
    ".code\r\n"
    "load $1 #0\r\n"
    "load $2 #20000\r\n"
    "load $3 #1\r\n"
    "load $5 #4096\r\n"
    "loop: prts @line\r\n"
    "aloc $5\r\n"
    "add $1 $3 $1\r\n"
    "lt $1 $2\r\n"
    "djmpe @loop\r\n"
    "hlt\r\n"
    "!end\r\n";

Test(sandbox, a_normal_session_trips_nothing_in_debug_mode)
{
	static const char *const argv[] = { "--sandbox-debug", "--limit",
	    "idle=2", "--limit", "idle_warn=1", "--limit",
	    "heap=268435456", NULL };
	const char	*cmds[] = { "load $1 #7", "!registers", "!history",
	    "!symbols", "!program", "!limits", "!help", "bogus", "!spawn",
	    "!clear_program" };
	size_t		 i;
	char		*s;
	int		 c, idle, last;

	start("iridium-worker", argv);
	cr_assert_geq(c = tc_session(&d), 0);
	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		s = tc_cmd(c, cmds[i]);
		cr_assert_not_null(s, "%s", cmds[i]);
		free(s);
	}
	/* Output past the socket's buffers, a heap grown by realloc. */
	tc_send(c, program);
	s = tc_read_until(c, "\r\n>>> ", 60000);
	cr_assert_not_null(s, "the program did not finish");
	cr_expect_gt(strlen(s), 20000 * 40, "%zu bytes of output", strlen(s));
	free(s);
	tc_send(c, "!quit\r\n");
	free(tc_read_all(c, T, NULL));
	close(c);

	/* An idle timeout, a hang-up, and one served through shutdown. */
	cr_assert_geq(idle = tc_session(&d), 0);
	s = tc_read_until(idle, "Idle timeout", T);
	cr_expect_not_null(s, "no idle timeout");
	free(s);
	close(idle);
	cr_assert_geq(c = tc_session(&d), 0);
	close(c);
	cr_assert_geq(last = tc_session(&d), 0);
	cr_expect(hd_wait_log(&d, "ended (idle)", T));
	cr_expect(hd_wait_log(&d, "ended (hangup)", T));
	cr_expect_eq(hd_stop(&d, SIGTERM, T), 0, "iridiumd did not exit 0");
	s = tc_read_all(last, T, NULL);
	cr_expect_not_null(strstr(s, "shutting down"), "%s", s);
	free(s);
	close(last);
	cr_expect_eq(hd_log_count(&d, "sandbox: blocked"), 0,
	    "a normal session needed a syscall the filter refuses");
	cr_expect_eq(hd_log_count(&d, "sandbox violation"), 0);
	cr_expect(hd_log_count(&d, "ended (quit)") >= 1);
}

/* --- development mode ----------------------------------------------------- */

/* Copy IRIDIUM_BUILD/name into dir, executable by anyone. */
static void
copy_bin(const char *dir, const char *name)
{
	char	 to[PATH_MAX], buf[65536];
	ssize_t	 n;
	int	 in, out;

	snprintf(to, sizeof(to), "%s/%s", dir, name);
	cr_assert_neq(in = open(hd_bin(name), O_RDONLY | O_CLOEXEC), -1);
	cr_assert_neq(out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0755), -1, "%s: %s", to, strerror(errno));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		cr_assert_eq(write(out, buf, (size_t)n), n);
	cr_assert_eq(n, 0);
	close(in);
	cr_assert_eq(fchmod(out, 0755), 0);
	close(out);
}

/*
 * Become nobody:nogroup with no groups, as `setpriv --reuid=nobody
 * --regid=nogroup --clear-groups` would, with the binaries copied where
 * nobody may run them (a checkout may sit in a private home): the copies
 * go to bindir, which nobody owns and so can empty. And keep one ambient
 * capability, as a unit with AmbientCapabilities=CAP_NET_BIND_SERVICE
 * would give iridiumd: the workers must not inherit it.
 */
static void
become_nobody(void)
{
	struct __user_cap_header_struct	 hdr = { _LINUX_CAPABILITY_VERSION_3,
					    0 };
	struct __user_cap_data_struct	 data[2];
	struct passwd			*pw;
	struct group			*gr;
	uid_t				 uid;
	gid_t				 gid;

	cr_assert_not_null(pw = getpwnam("nobody"));
	uid = pw->pw_uid;
	gid = (gr = getgrnam("nogroup")) != NULL ? gr->gr_gid : pw->pw_gid;
	hd_tmpdir(bindir, sizeof(bindir), "bin");
	copy_bin(bindir, "iridiumd");
	copy_bin(bindir, "iridium-worker");
	copy_bin(bindir, "iridium-worker-test");
	cr_assert_eq(chown(bindir, uid, gid), 0);
	cr_assert_eq(setenv("IRIDIUM_BUILD", bindir, 1), 0);
	cr_assert_eq(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	cr_assert_eq(setgroups(0, NULL), 0);
	cr_assert_eq(setresgid(gid, gid, gid), 0);
	cr_assert_eq(setresuid(uid, uid, uid), 0);
	cr_assert_eq(getgroups(0, NULL), 0);
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = data[0].inheritable =
	    1U << CAP_NET_BIND_SERVICE;
	cr_assert_eq(syscall(SYS_capset, &hdr, data), 0, "capset: %s",
	    strerror(errno));
	cr_assert_eq(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE,
	    CAP_NET_BIND_SERVICE, 0, 0), 0, "ambient: %s", strerror(errno));
}

static void
remove_bins(void)
{
	static const char *const bins[] = { "iridiumd", "iridium-worker",
	    "iridium-worker-test" };
	char	 path[PATH_MAX];
	size_t	 i;

	for (i = 0; i < sizeof(bins) / sizeof(bins[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", bindir, bins[i]);
		unlink(path);
	}
	rmdir(bindir);
	bindir[0] = '\0';
}

Test(sandbox, development_mode_as_a_normal_user)
{
	char		 v[256], want[64];
	pid_t		 w;
	long long	 sid;
	size_t		 from;
	char		*s;
	int		 c, b;

	if (geteuid() == 0)
		become_nobody();
	else
		cr_log_info("running as uid %d: development mode as this user",
		    (int)geteuid());
	start("iridium-worker-test", NULL);
	cr_expect(hd_wait_log(&d, "development mode", T));
	if (bindir[0] != '\0') {
		status_field(d.pid, "CapAmb:", v, sizeof(v));
		cr_expect_str_neq(v, "0000000000000000", "iridiumd got no "
		    "ambient capability: the workers' drop proves nothing");
	}
	cr_assert_geq(b = tc_session(&d), 0);
	from = d.loglen;
	cr_assert_geq(c = tc_session(&d), 0);
	s = tc_cmd(c, "load $1 #7");
	cr_assert_not_null(s, "a development-mode session does not work");
	free(s);
	s = tc_cmd(c, "!registers");
	cr_assert_not_null(s);
	free(s);
	w = session_worker(c, from, &sid);
	/* The uid is kept; everything else of the sandbox is on. */
	status_field(w, "Uid:", v, sizeof(v));
	snprintf(want, sizeof(want), "%d %d %d %d", (int)geteuid(),
	    (int)geteuid(), (int)geteuid(), (int)geteuid());
	cr_expect_str_eq(v, want, "worker %d: Uid %s", (int)w, v);
	check_locked(w);
	check_landlock(c, true);
	/* And the filter still kills. */
	tc_send(c, "!test fork\r\n");
	free(tc_read_all(c, T, NULL));
	cr_expect(hd_wait_log(&d, "sandbox violation (signal", T));
	close(c);
	bystander_ok(b, "fork");
	close(b);
}

/*
 * test_sandbox_enter.c: sandbox_enter() and sandbox_lower() in a child of the
 * test, without a supervisor (worker/sandbox.c).
 *
 * Each test forks a child that enters the sandbox the way a worker does
 * (as root: nobody's uid in an empty root-owned chroot; otherwise
 * development mode) and then does one thing. After lock-down the child
 * may only use the allow-list, so it reports through fds it kept below
 * the channel: fd 1 carries one result line, fd 2 the debug handler's
 * lines. The parent reads both and the child's end: the refusals before
 * lock-down, the debug handler's exact line and that the call then fails
 * with ENOSYS, kill mode's SIGSYS, EACCES for file probes, rlimits that
 * only go down, and that the probe sandbox_enter() is given runs after
 * Landlock and before seccomp.
 */
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <linux/seccomp.h>

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"
#include "probe.h"
#include "sandbox.h"

static char	 root[64];		/* the chroot, when root */
static int	 probe_errno = -1;	/* open("/") in landlock_probe() */
static int	 probe_abi = -1;

TestSuite(sandbox_enter, .timeout = 30);

/* Called by sandbox_enter() between Landlock and seccomp (sandbox.h). */
static void
landlock_probe(int abi)
{
	int	 fd;

	probe_abi = abi;
	fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	probe_errno = fd == -1 ? errno : 0;
	if (fd != -1)
		close(fd);
}

static void
note(const char *s)
{
	(void)s;
}

/* What a supervisor would send this test's user. */
static void
hello_init(struct msg_hello *h, bool debug)
{
	struct passwd	*pw;

	memset(h, 0, sizeof(*h));
	strcpy(h->transport, "line");
	msg_limits_default(&h->limits);
	h->limits.cpu = 60;
	h->sandbox_debug = debug;
	h->uid = h->gid = -1;
	if (geteuid() == 0) {
		cr_assert_not_null(pw = getpwnam("nobody"));
		h->uid = pw->pw_uid;
		h->gid = pw->pw_gid;
		strcpy(root, "/tmp/iridium-test-root-XXXXXX");
		cr_assert_not_null(mkdtemp(root));
		cr_assert_eq(chmod(root, 0755), 0);
		strcpy(h->chroot, root);
	}
}

/* A line on fd 1 for the parent: write() is on the allow-list. */
static void
say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
say(const char *fmt, ...)
{
	char	 line[256];
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(STDOUT_FILENO, line, (size_t)n) == -1)
		_exit(99);
}

struct run {
	int	 status;	/* the child's wait status */
	char	 out[1024];	/* its fd 1 */
	char	 err[1024];	/* its fd 2 */
};

static void
drain(int fd, char *buf, size_t len)
{
	size_t	 n = 0;
	ssize_t	 r;

	while (n + 1 < len && (r = read(fd, buf + n, len - n - 1)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	close(fd);
}

/* Fork; the child enters the sandbox and runs fn; collect what it said. */
static void
run(struct run *r, bool debug, void (*fn)(void))
{
	struct msg_hello h;
	char		 err[256];
	int		 o[2], e[2];
	pid_t		 pid;

	hello_init(&h, debug);
	cr_assert_eq(pipe(o), 0);
	cr_assert_eq(pipe(e), 0);
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		dup2(o[1], STDOUT_FILENO);
		dup2(e[1], STDERR_FILENO);
		if (sandbox_enter(&h, note, landlock_probe, err,
		    sizeof(err)) == -1) {
			say("sandbox_enter: %s\n", err);
			_exit(2);
		}
		fn();
		_exit(0);
	}
	close(o[1]);
	close(e[1]);
	drain(o[0], r->out, sizeof(r->out));
	drain(e[0], r->err, sizeof(r->err));
	cr_assert_eq(waitpid(pid, &r->status, 0), pid);
	if (root[0] != '\0')
		rmdir(root);
	root[0] = '\0';
}

static void
expect_exit0(const struct run *r)
{
	cr_assert(WIFEXITED(r->status) && WEXITSTATUS(r->status) == 0,
	    "child status %#x; said: %s; stderr: %s", r->status, r->out,
	    r->err);
}

/* --- before lock-down ----------------------------------------------------- */

Test(sandbox_enter, refuses_to_keep_root_or_to_fake_a_drop)
{
	struct msg_hello h;
	char		 err[256];
	int		 rv;

	hello_init(&h, false);
	if (geteuid() == 0) {
		/* Refused before any step: safe to ask in this process. */
		h.uid = 0;
		rv = sandbox_enter(&h, note, NULL, err, sizeof(err));
		cr_expect_eq(rv, -1);
		cr_expect_not_null(strstr(err, "uid or gid 0"), "%s", err);
		h.uid = 65534;
		h.chroot[0] = '\0';
		rv = sandbox_enter(&h, note, NULL, err, sizeof(err));
		cr_expect_eq(rv, -1);
		cr_expect_not_null(strstr(err, "without a user and a chroot"),
		    "%s", err);
		rmdir(root);
	} else {
		h.uid = 65534;
		rv = sandbox_enter(&h, note, NULL, err, sizeof(err));
		cr_expect_eq(rv, -1);
		cr_expect_not_null(strstr(err, "not root"), "%s", err);
	}
}

/* --- debug and kill mode -------------------------------------------------- */

static void
call_getppid(void)
{
	long	 rv;

	errno = 0;
	rv = syscall(SYS_getppid);
	say("getppid %ld %s\n", rv, rv == -1 && errno == ENOSYS ? "ENOSYS" :
	    "?");
}

Test(sandbox_enter, debug_mode_names_the_syscall_and_fails_it_with_enosys)
{
	struct run	 r;
	char		 want[64];

	run(&r, true, call_getppid);
	expect_exit0(&r);
	snprintf(want, sizeof(want), "sandbox: blocked syscall %d (getppid)\n",
	    (int)SYS_getppid);
	cr_expect_str_eq(r.err, want);
	cr_expect_str_eq(r.out, "getppid -1 ENOSYS\n");
}

/*
 * The filter kills the whole process (SECCOMP_RET_KILL_PROCESS, Linux
 * 4.14 and later: every kernel Debian 12 runs). A kernel with only
 * KILL_THREAD would leave a worker's other threads running: the workers
 * refuse to start there, and this test says why instead of failing
 * obscurely.
 */
Test(sandbox_enter, kill_mode_kills_the_process_with_sigsys)
{
	struct run	 r;

	cr_assert(probe_seccomp_action(SECCOMP_RET_KILL_PROCESS), "this "
	    "kernel lacks SECCOMP_RET_KILL_PROCESS (Linux < 4.14), which "
	    "the workers' filter needs");
	cr_assert(probe_seccomp_action(SECCOMP_RET_TRAP));
	probe_case("seccomp offers SECCOMP_RET_KILL_PROCESS and TRAP: a "
	    "forbidden call must kill the process with SIGSYS");
	run(&r, false, call_getppid);
	cr_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGSYS,
	    "status %#x, said: %s", r.status, r.out);
	cr_expect_str_eq(r.out, "", "the call returned: %s", r.out);
	cr_expect_str_eq(r.err, "");
}

static void
call_abort(void)
{
	abort();
}

/* glibc's checks and assert() end in abort(): told as a crash. */
Test(sandbox_enter, abort_is_a_crash_not_a_violation)
{
	struct run	 r;

	run(&r, false, call_abort);
	cr_assert(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGABRT,
	    "status %#x", r.status);
}

/* --- what a worker may still do ------------------------------------------- */

static void
probe_files(void)
{
	struct stat	 st;
	int		 fd;

	fd = open("/etc/passwd", O_RDONLY);
	say("open %s\n", fd == -1 && errno == EACCES ? "EACCES" : "?");
	fd = open("/", O_RDONLY | O_DIRECTORY);
	say("open / %s\n", fd == -1 && errno == EACCES ? "EACCES" : "?");
	fd = stat("/", &st);
	say("stat %s\n", fd == -1 && errno == EACCES ? "EACCES" : "?");
	fd = access("/", R_OK);
	say("access %s\n", fd == -1 && errno == EACCES ? "EACCES" : "?");
}

Test(sandbox_enter, file_probes_fail_with_eacces)
{
	struct run	 r;

	run(&r, false, probe_files);
	expect_exit0(&r);
	cr_expect_str_eq(r.out, "open EACCES\nopen / EACCES\nstat EACCES\n"
	    "access EACCES\n");
}

static void
limits(void)
{
	struct msg_limits	 t;
	struct rlimit		 rl;
	char			 err[128];
	int			 res, loose = 0;

	for (res = 0; res < RLIM_NLIMITS; res++)
		if (res != RLIMIT_CPU && getrlimit(res, &rl) == 0 &&
		    rl.rlim_cur != rl.rlim_max)
			loose++;
	say("loose %d\n", loose);
	getrlimit(RLIMIT_NOFILE, &rl);
	say("nofile %lu %lu\n", rl.rlim_cur, rl.rlim_max);
	getrlimit(RLIMIT_NPROC, &rl);
	say("nproc %lu %lu\n", rl.rlim_cur, rl.rlim_max);
	getrlimit(RLIMIT_CPU, &rl);
	say("cpu %lu %lu\n", rl.rlim_cur, rl.rlim_max);
	/* A tenant above the ceiling changes nothing... */
	memset(&t, 0, sizeof(t));
	t.cpu = 600;
	t.heap = 1 << 28;
	if (sandbox_lower(&t, err, sizeof(err)) == -1)
		say("lower: %s\n", err);
	getrlimit(RLIMIT_CPU, &rl);
	say("cpu %lu %lu\n", rl.rlim_cur, rl.rlim_max);
	/* ... one below it lowers the limits ... */
	t.cpu = 10;
	t.heap = 1 << 20;
	if (sandbox_lower(&t, err, sizeof(err)) == -1)
		say("lower: %s\n", err);
	getrlimit(RLIMIT_CPU, &rl);
	say("cpu %lu %lu\n", rl.rlim_cur, rl.rlim_max);
	/* ... and nothing raises them again. */
	rl.rlim_cur = rl.rlim_max = 60;
	say("raise cpu %s\n", setrlimit(RLIMIT_CPU, &rl) == -1 &&
	    errno == EPERM ? "EPERM" : "?");
	rl.rlim_cur = rl.rlim_max = 64;
	say("raise nofile %s\n", setrlimit(RLIMIT_NOFILE, &rl) == -1 &&
	    errno == EPERM ? "EPERM" : "?");
}

Test(sandbox_enter, rlimits_are_ceilings_that_only_go_down)
{
	struct run	 r;

	run(&r, false, limits);
	expect_exit0(&r);
	cr_expect_str_eq(r.out, "loose 0\nnofile 8 8\nnproc 0 0\ncpu 60 61\n"
	    "cpu 60 61\ncpu 10 11\nraise cpu EPERM\nraise nofile EPERM\n");
}

/* --- Landlock ------------------------------------------------------------- */

static void
report_probe(void)
{
	say("abi %d open / %s\n", probe_abi, probe_errno == EACCES ?
	    "EACCES" : probe_errno == 0 ? "ok" : "?");
}

Test(sandbox_enter, landlock_alone_refuses_an_open_before_seccomp)
{
	struct run	 r;
	char		 want[64];
	long		 abi;

	abi = probe_landlock_abi();
	run(&r, false, report_probe);
	expect_exit0(&r);
	if (abi < 1) {
		cr_expect_str_eq(r.out, "abi 0 open / ok\n");
		probe_ci_requires("this kernel offers no Landlock: its refusal "
		    "is not proved");
		return;
	}
	probe_case("Landlock ABI %ld: the open must be refused", abi);
	/* "/" is readable by anyone: only Landlock can refuse it. */
	snprintf(want, sizeof(want), "abi %ld open / EACCES\n", abi);
	cr_expect_str_eq(r.out, want);
}

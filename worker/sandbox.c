/*
 * sandbox.c: the worker's lock-down (see sandbox.h and ../shared/DESIGN.md,
 * "Sandbox"). The anchor is OpenSSH's sandboxed pre-authentication child;
 * we close the box before the worker reads a client byte and add Landlock.
 *
 * Order, each step checked and fatal:
 *   1. chroot to the empty directory, chdir("/"), drop groups, gid, uid
 *      (as root only), verified with getresuid/getresgid;
 *   2. close every fd past the channel, rlimits as server-wide ceilings;
 *   3. no_new_privs, not dumpable;
 *   4. Landlock: no filesystem access, no TCP bind/connect, no signals or
 *      abstract sockets outside the domain (as far as the kernel's ABI goes);
 *   5. seccomp: an allow-list, default kill (trap in debug mode).
 * Privilege first (chroot needs root), then what needs no privilege, and
 * seccomp last, because every earlier step uses syscalls it forbids.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "sandbox.h"

/* libseccomp's SCMP_Ax() leave a field to zero-initialisation. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#if defined(__SANITIZE_ADDRESS__)
#define SANDBOX_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANDBOX_ASAN	1
#endif
#endif

#define SANDBOX_NOFILE	8	/* 0-3, the client, headroom for libssh */
/* Address space beyond the VM heap: the binary, libc, malloc arenas. */
#define SANDBOX_AS_BASE	(256UL << 20)

#define FAIL(...)	do {						\
		snprintf(err, errlen, __VA_ARGS__);			\
		return -1;						\
	} while (0)

/* 1: identity --------------------------------------------------------- */

static int
drop_identity(const struct msg_hello *h, void (*note)(const char *),
    char *err, size_t errlen)
{
	uid_t	 ru, eu, su;
	gid_t	 rg, eg, sg;
	uid_t	 uid = (uid_t)h->uid;
	gid_t	 gid = (gid_t)h->gid;

	if (geteuid() != 0) {
		if (h->uid != -1 || h->chroot[0] != '\0')
			FAIL("not root: cannot chroot or change to uid %lld",
			    (long long)h->uid);
		note("not root: chroot and uid change skipped "
		    "(development mode)");
		return 0;
	}
	if (h->uid == -1 || h->gid == -1 || h->chroot[0] == '\0')
		FAIL("running as root without a user and a chroot to drop to");
	if (h->uid == 0 || h->gid == 0)
		FAIL("refusing to run a worker as uid or gid 0");
	if (chroot(h->chroot) == -1)
		FAIL("chroot %s: %s", h->chroot, strerror(errno));
	if (chdir("/") == -1)
		FAIL("chdir /: %s", strerror(errno));
	if (setgroups(0, NULL) == -1)
		FAIL("setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid) == -1)
		FAIL("setresgid %u: %s", gid, strerror(errno));
	if (setresuid(uid, uid, uid) == -1)
		FAIL("setresuid %u: %s", uid, strerror(errno));
	if (getresuid(&ru, &eu, &su) == -1 || getresgid(&rg, &eg, &sg) == -1)
		FAIL("getresuid: %s", strerror(errno));
	if (ru != uid || eu != uid || su != uid || rg != gid || eg != gid ||
	    sg != gid)
		FAIL("identity not dropped (uid %u/%u/%u gid %u/%u/%u)",
		    ru, eu, su, rg, eg, sg);
	if (getgroups(0, NULL) != 0)
		FAIL("supplementary groups still set");
	/* The point of no return: getting root back must fail. */
	if (setuid(0) != -1 || seteuid(0) != -1)
		FAIL("could regain uid 0 after dropping it");
	return 0;
}

/* 2: fds and rlimits --------------------------------------------------- */

static int
set_limit(int res, const char *name, rlim_t soft, rlim_t hard, char *err,
    size_t errlen)
{
	struct rlimit	 rl;

	if (getrlimit(res, &rl) == -1)
		FAIL("getrlimit %s: %s", name, strerror(errno));
	/* Only ever lower: never ask for more than we have. */
	if (rl.rlim_max != RLIM_INFINITY && hard > rl.rlim_max)
		hard = rl.rlim_max;
	if (soft > hard)
		soft = hard;
	rl.rlim_cur = soft;
	rl.rlim_max = hard;
	if (setrlimit(res, &rl) == -1)
		FAIL("setrlimit %s: %s", name, strerror(errno));
	return 0;
}

static int
limit_resources(const struct msg_hello *h, char *err, size_t errlen)
{
	rlim_t	 cpu;

	if (close_range(MSG_CHAN_FD + 1, ~0U, 0) == -1)
		FAIL("close_range: %s", strerror(errno));
	if (set_limit(RLIMIT_NOFILE, "NOFILE", SANDBOX_NOFILE,
	    SANDBOX_NOFILE, err, errlen) == -1 ||
	    set_limit(RLIMIT_NPROC, "NPROC", 0, 0, err, errlen) == -1 ||
	    set_limit(RLIMIT_FSIZE, "FSIZE", 0, 0, err, errlen) == -1 ||
	    set_limit(RLIMIT_CORE, "CORE", 0, 0, err, errlen) == -1 ||
	    set_limit(RLIMIT_MEMLOCK, "MEMLOCK", 0, 0, err, errlen) == -1 ||
	    set_limit(RLIMIT_MSGQUEUE, "MSGQUEUE", 0, 0, err, errlen) == -1)
		return -1;
	/*
	 * CPU: the ceiling is a soft limit (SIGXCPU, which the worker turns
	 * into a message) one second below the hard one (SIGKILL).
	 */
	if (h->limits.cpu != 0) {
		cpu = (rlim_t)h->limits.cpu;
		if (set_limit(RLIMIT_CPU, "CPU", cpu, cpu + 1, err,
		    errlen) == -1)
			return -1;
	}
#ifndef SANDBOX_ASAN
	/* ASan reserves terabytes of address space: no AS/DATA there. */
	{
		rlim_t	 as = SANDBOX_AS_BASE + 2 * (rlim_t)h->limits.heap;

		if (set_limit(RLIMIT_AS, "AS", as, as, err, errlen) == -1 ||
		    set_limit(RLIMIT_DATA, "DATA", as, as, err, errlen) == -1)
			return -1;
	}
#endif
	return 0;
}

/* 4: Landlock ------------------------------------------------------------ */

/*
 * Our own copy of the uapi, because Debian 12's headers stop at ABI 3 and
 * the kernels it runs on go further. The kernel takes the struct size
 * that matches the ABI we ask for.
 */
struct ll_ruleset_attr {
	uint64_t	handled_access_fs;
	uint64_t	handled_access_net;	/* ABI 4 */
	uint64_t	scoped;			/* ABI 6 */
};
#define LL_CREATE_RULESET_VERSION	(1U << 0)
#define LL_FS_ABI1			((1ULL << 13) - 1)	/* bits 0..12 */
#define LL_FS_REFER			(1ULL << 13)		/* ABI 2 */
#define LL_FS_TRUNCATE			(1ULL << 14)		/* ABI 3 */
#define LL_FS_IOCTL_DEV			(1ULL << 15)		/* ABI 5 */
#define LL_NET_BIND_TCP			(1ULL << 0)		/* ABI 4 */
#define LL_NET_CONNECT_TCP		(1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX		(1ULL << 0)		/* ABI 6 */
#define LL_SCOPE_SIGNAL			(1ULL << 1)
#define LL_ABI_WANTED			6

static int
landlock(void (*note)(const char *), char *err, size_t errlen)
{
	struct ll_ruleset_attr	 attr;
	size_t			 size;
	long			 abi;
	int			 fd;
	char			 line[160];

	abi = syscall(SYS_landlock_create_ruleset, NULL, 0,
	    LL_CREATE_RULESET_VERSION);
	if (abi < 1) {
		note("landlock unavailable in this kernel: the sandbox relies "
		    "on chroot, rlimits and seccomp");
		return 0;
	}
	memset(&attr, 0, sizeof(attr));
	attr.handled_access_fs = LL_FS_ABI1;
	size = sizeof(attr.handled_access_fs);
	if (abi >= 2)
		attr.handled_access_fs |= LL_FS_REFER;
	if (abi >= 3)
		attr.handled_access_fs |= LL_FS_TRUNCATE;
	if (abi >= 4) {
		attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP;
		size = offsetof(struct ll_ruleset_attr, scoped);
	}
	if (abi >= 5)
		attr.handled_access_fs |= LL_FS_IOCTL_DEV;
	if (abi >= 6) {
		attr.scoped = LL_SCOPE_ABSTRACT_UNIX | LL_SCOPE_SIGNAL;
		size = sizeof(attr);
	}
	if (abi < LL_ABI_WANTED) {
		snprintf(line, sizeof(line), "landlock ABI %ld: %s", abi,
		    abi < 4 ? "no TCP or scope rules, filesystem only" :
		    "no signal or abstract socket scoping");
		note(line);
	}
	/* A ruleset with no rules: every handled access is denied. */
	fd = (int)syscall(SYS_landlock_create_ruleset, &attr, size, 0);
	if (fd == -1)
		FAIL("landlock_create_ruleset (ABI %ld): %s", abi,
		    strerror(errno));
	if (syscall(SYS_landlock_restrict_self, fd, 0) == -1) {
		close(fd);
		FAIL("landlock_restrict_self: %s", strerror(errno));
	}
	close(fd);
	return 0;
}

/* 5: seccomp ------------------------------------------------------------- */

/*
 * Names for the debug handler, resolved before the filter is loaded:
 * the handler may only read memory and call write().
 */
#define SYSNAME_MAX	512
static const char	*sysnames[SYSNAME_MAX];

static void
put_num(char *p, size_t *len, long v)
{
	char	 tmp[24];
	int	 n = 0;

	if (v < 0) {
		p[(*len)++] = '-';
		v = -v;
	}
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0 && n < (int)sizeof(tmp));
	while (n > 0)
		p[(*len)++] = tmp[--n];
}

static void
sigsys_debug(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t	*uc = uc_;
	char		 line[128];
	size_t		 len = 0, i;
	const char	*pfx = "sandbox: blocked syscall ";
	const char	*name;
	int		 nr = si->si_syscall;

	(void)sig;
	for (i = 0; pfx[i] != '\0'; i++)
		line[len++] = pfx[i];
	put_num(line, &len, nr);
	name = nr >= 0 && nr < SYSNAME_MAX ? sysnames[nr] : NULL;
	if (name != NULL) {
		line[len++] = ' ';
		line[len++] = '(';
		for (i = 0; name[i] != '\0' && len < sizeof(line) - 3; i++)
			line[len++] = name[i];
		line[len++] = ')';
	}
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) == -1) {
		/* nothing else may be done here */
	}
	/* Fail the call with ENOSYS and carry on: find every violation. */
#ifdef __x86_64__
	uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#else
	(void)uc;
#endif
}

static int
debug_handler(char *err, size_t errlen)
{
	struct sigaction sa;
	int		 i;

	for (i = 0; i < SYSNAME_MAX; i++)
		sysnames[i] = seccomp_syscall_resolve_num_arch(
		    SCMP_ARCH_NATIVE, i);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_debug;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		FAIL("sigaction SIGSYS: %s", strerror(errno));
	return 0;
}

#define ALLOW(call, ...)						\
	do {								\
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW,		\
		    SCMP_SYS(call), __VA_ARGS__)) < 0) {		\
			snprintf(err, errlen, "seccomp rule %s: %s",	\
			    #call, strerror(-rc));			\
			goto fail;					\
		}							\
	} while (0)
#define DENY(call, e)							\
	do {								\
		if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(e),	\
		    SCMP_SYS(call), 0)) < 0) {				\
			snprintf(err, errlen, "seccomp rule %s: %s",	\
			    #call, strerror(-rc));			\
			goto fail;					\
		}							\
	} while (0)

/*
 * The allow-list: as short as a serving worker allows. Every entry says
 * why it is here. Anything else kills the process (SIGSYS), which the
 * supervisor reports as a sandbox violation.
 */
static int
add_rules(scmp_filter_ctx ctx, char *err, size_t errlen)
{
	int	 rc;

	/* The channel, the client socket, stderr. */
	ALLOW(read, 0);
	ALLOW(write, 0);
	ALLOW(readv, 0);
	ALLOW(writev, 0);
	ALLOW(recvmsg, 0);		/* channel messages, client fd */
	ALLOW(sendmsg, 0);		/* channel messages */
	ALLOW(recvfrom, 0);		/* libssh's recv() */
	ALLOW(sendto, 0);		/* libssh's send(), MSG_NOSIGNAL */
	ALLOW(poll, 0);			/* the session loop */
	ALLOW(ppoll, 0);
	ALLOW(close, 0);
	ALLOW(shutdown, 0);		/* ending the client connection */
	ALLOW(getsockname, 0);
	ALLOW(getpeername, 0);
	/* TCP_NODELAY on the client socket (ssh), nothing else. */
	ALLOW(setsockopt, 2, SCMP_A1(SCMP_CMP_EQ, IPPROTO_TCP),
	    SCMP_A2(SCMP_CMP_EQ, TCP_NODELAY));
	ALLOW(getsockopt, 1, SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET));
	/* O_NONBLOCK on the client socket; FD_CLOEXEC queries. */
	ALLOW(fcntl, 1, SCMP_A1(SCMP_CMP_EQ, F_GETFL));
	ALLOW(fcntl, 1, SCMP_A1(SCMP_CMP_EQ, F_SETFL));
	ALLOW(fcntl, 1, SCMP_A1(SCMP_CMP_EQ, F_GETFD));
	ALLOW(fcntl, 1, SCMP_A1(SCMP_CMP_EQ, F_SETFD));

	/* Memory: malloc and the VM heap; never executable. */
	ALLOW(brk, 0);
	ALLOW(mmap, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW(mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW(munmap, 0);
	ALLOW(mremap, 0);		/* realloc of large blocks */
	ALLOW(madvise, 1, SCMP_A2(SCMP_CMP_EQ, MADV_DONTNEED));
	ALLOW(madvise, 1, SCMP_A2(SCMP_CMP_EQ, MADV_FREE));

	/* Time: timeouts, rates, counters, the ssh auth delay. */
	ALLOW(clock_gettime, 0);
	ALLOW(gettimeofday, 0);
	ALLOW(clock_nanosleep, 0);
	ALLOW(nanosleep, 0);
	ALLOW(getrusage, 0);		/* cpu_ms in status */

	/* Identity of ourselves: OpenSSL's fork check, logs. */
	ALLOW(getpid, 0);
	ALLOW(getrandom, 0);		/* libssh/OpenSSL reseed per accept */

	/* Lowering our own limits after `session`: pid 0 only. */
	ALLOW(prlimit64, 1, SCMP_A0(SCMP_CMP_EQ, 0));
	ALLOW(getrlimit, 0);
	ALLOW(setrlimit, 0);		/* acts on the caller only */

	/* Single-threaded, but glibc's locks may still touch futexes. */
	ALLOW(futex, 1, SCMP_A1(SCMP_CMP_EQ,
	    FUTEX_WAIT | FUTEX_PRIVATE_FLAG));
	ALLOW(futex, 1, SCMP_A1(SCMP_CMP_EQ,
	    FUTEX_WAKE | FUTEX_PRIVATE_FLAG));

	/* Signals: the SIGXCPU handler returns; masks around it. */
	ALLOW(rt_sigreturn, 0);
	ALLOW(rt_sigprocmask, 0);
	ALLOW(restart_syscall, 0);

	ALLOW(fstat, 0);		/* stdio */
	/* fstat via newfstatat(fd, "", AT_EMPTY_PATH) is glibc's fstat. */
	ALLOW(newfstatat, 1, SCMP_A3(SCMP_CMP_MASKED_EQ, AT_EMPTY_PATH,
	    AT_EMPTY_PATH));
	ALLOW(exit, 0);
	ALLOW(exit_group, 0);
	/*
	 * abort() (glibc's own checks, assert) raises SIGABRT at itself:
	 * allowed so a crash is told as a crash, not as a violation.
	 */
	ALLOW(gettid, 0);
	ALLOW(tgkill, 2, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()),
	    SCMP_A2(SCMP_CMP_EQ, SIGABRT));
#ifdef SANDBOX_ASAN
	/* AddressSanitizer's exit path and reports. */
	ALLOW(sigaltstack, 0);
#endif

	/*
	 * File probes (locale, time zone, NSS lookups in libraries) fail
	 * politely instead of killing: there is nothing to open anyway.
	 */
	DENY(open, EACCES);
	DENY(openat, EACCES);
	DENY(stat, EACCES);
	DENY(lstat, EACCES);
	DENY(access, EACCES);
	DENY(faccessat, EACCES);
	DENY(faccessat2, EACCES);
	DENY(readlink, EACCES);
	DENY(readlinkat, EACCES);
	DENY(statx, EACCES);
	if ((rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES),
	    SCMP_SYS(newfstatat), 1, SCMP_A3(SCMP_CMP_MASKED_EQ,
	    AT_EMPTY_PATH, 0))) < 0) {
		snprintf(err, errlen, "seccomp rule newfstatat: %s",
		    strerror(-rc));
		goto fail;
	}
	return 0;
fail:
	return -1;
}

#undef ALLOW
#undef DENY

/*
 * Build the filter with libseccomp, export it as BPF and install it with
 * prctl(PR_SET_SECCOMP): a systemd unit's SystemCallFilter then need not
 * allow the seccomp(2) syscall itself.
 */
static int
seccomp_install(bool debug, char *err, size_t errlen)
{
	scmp_filter_ctx		 ctx;
	struct sock_fprog	 prog;
	struct sock_filter	 insns[1024];
	ssize_t			 n;
	int			 p[2], rc;

	if (debug && debug_handler(err, errlen) == -1)
		return -1;
	ctx = seccomp_init(debug ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS);
	if (ctx == NULL)
		FAIL("seccomp_init failed");
	if (add_rules(ctx, err, errlen) == -1) {
		seccomp_release(ctx);
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) == -1) {
		seccomp_release(ctx);
		FAIL("pipe: %s", strerror(errno));
	}
	rc = seccomp_export_bpf(ctx, p[1]);
	seccomp_release(ctx);
	close(p[1]);
	if (rc < 0) {
		close(p[0]);
		FAIL("seccomp_export_bpf: %s", strerror(-rc));
	}
	n = read(p[0], insns, sizeof(insns));
	close(p[0]);
	if (n <= 0 || n % (ssize_t)sizeof(insns[0]) != 0 ||
	    n == (ssize_t)sizeof(insns))
		FAIL("seccomp filter export: unexpected size %zd", n);
	prog.len = (unsigned short)(n / (ssize_t)sizeof(insns[0]));
	prog.filter = insns;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1)
		FAIL("prctl PR_SET_SECCOMP: %s", strerror(errno));
	return 0;
}

int
sandbox_enter(const struct msg_hello *h, void (*note)(const char *),
    char *err, size_t errlen)
{
	if (drop_identity(h, note, err, errlen) == -1)
		return -1;
	if (limit_resources(h, err, errlen) == -1)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		FAIL("prctl PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		FAIL("prctl PR_SET_DUMPABLE: %s", strerror(errno));
	if (landlock(note, err, errlen) == -1)
		return -1;
	return seccomp_install(h->sandbox_debug, err, errlen);
}

int
sandbox_lower(const struct msg_limits *t, char *err, size_t errlen)
{
	rlim_t	 cpu;

	if (t->cpu == 0)
		return 0;
	cpu = (rlim_t)t->cpu;
	return set_limit(RLIMIT_CPU, "CPU", cpu, cpu + 1, err, errlen);
}

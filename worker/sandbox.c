/*
 * sandbox.c: the worker's lock-down (see sandbox.h and iridium-security(7),
 * "THE LOCK-DOWN, IN ORDER"). The anchor is OpenSSH's sandboxed pre-authentication child;
 * we close the box before the worker reads a client byte and add Landlock.
 *
 * Order, each step checked and fatal:
 *   1. chroot to the empty directory, chdir("/"), drop groups, gid, uid
 *      (as root only), verified; then no capabilities, whatever we had;
 *   2. close every fd past the channel, rlimits as server-wide ceilings,
 *      every other hard limit down to its soft one;
 *   3. no_new_privs, not dumpable;
 *   4. Landlock: no filesystem access, no TCP bind/connect, no signals or
 *      abstract sockets outside the domain (as far as the kernel's ABI goes);
 *   5. seccomp: an allow-list, default kill (trap in debug mode), compiled
 *      to BPF when the worker was built (seccomp_bpf.h, seccomp_rules.c).
 * Privilege first (chroot needs root), fds before limits (NOFILE would
 * not close what is open), no_new_privs before Landlock and seccomp (both
 * need it), and seccomp last, because every earlier step uses syscalls it
 * forbids.
 */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#include "sandbox.h"
#include "seccomp_bpf.h"

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
	if (setuid(0) != -1 || seteuid(0) != -1 || setegid(0) != -1)
		FAIL("could regain uid or gid 0 after dropping them");
	/* The supervisor checked the directory; a box we can fill is none. */
	if (access("/", W_OK) == 0)
		FAIL("chroot %s is writable by uid %u", h->chroot, uid);
	return 0;
}

/*
 * No capabilities, whatever we started with: root's are gone with the
 * uid, but a development run may carry ambient ones from its unit, and
 * CAP_SYS_RESOURCE alone would let a worker raise its rlimits again.
 * Emptying the permitted set empties the ambient one with it.
 */
static int
drop_caps(char *err, size_t errlen)
{
	struct __user_cap_header_struct	 hdr;
	struct __user_cap_data_struct	 data[_LINUX_CAPABILITY_U32S_3];
	size_t				 i;

	memset(&hdr, 0, sizeof(hdr));
	hdr.version = _LINUX_CAPABILITY_VERSION_3;
	memset(data, 0, sizeof(data));
	if (syscall(SYS_capset, &hdr, data) == -1)
		FAIL("capset: %s", strerror(errno));
	if (syscall(SYS_capget, &hdr, data) == -1)
		FAIL("capget: %s", strerror(errno));
	for (i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
		if (data[i].effective != 0 || data[i].permitted != 0 ||
		    data[i].inheritable != 0)
			FAIL("capabilities left after dropping them");
	return 0;
}

/* 2: fds and rlimits --------------------------------------------------- */

/*
 * Set a limit, only ever lower: neither value may pass what is in force
 * (RLIM_INFINITY is the largest rlim_t, so "unlimited" needs no case).
 */
static int
set_limit(int res, const char *name, rlim_t soft, rlim_t hard, char *err,
    size_t errlen)
{
	struct rlimit	 rl;

	if (getrlimit(res, &rl) == -1)
		FAIL("getrlimit %s: %s", name, strerror(errno));
	if (hard > rl.rlim_max)
		hard = rl.rlim_max;
	if (soft > rl.rlim_cur)
		soft = rl.rlim_cur;
	if (soft > hard)
		soft = hard;
	rl.rlim_cur = soft;
	rl.rlim_max = hard;
	if (setrlimit(res, &rl) == -1)
		FAIL("setrlimit %s: %s", name, strerror(errno));
	return 0;
}

/* Address space and data: the base plus twice the VM heap (realloc). */
static int
limit_memory(uint64_t heap, char *err, size_t errlen)
{
#ifdef SANDBOX_ASAN
	/* ASan reserves terabytes of address space: no AS/DATA there. */
	(void)heap;
	(void)err;
	(void)errlen;
#else
	rlim_t	 as = SANDBOX_AS_BASE + 2 * (rlim_t)heap;

	if (set_limit(RLIMIT_AS, "AS", as, as, err, errlen) == -1 ||
	    set_limit(RLIMIT_DATA, "DATA", as, as, err, errlen) == -1)
		return -1;
#endif
	return 0;
}

/*
 * CPU: the ceiling is a soft limit (SIGXCPU, which the worker turns into
 * a goodbye) one second below the hard one (SIGKILL). 0: no limit.
 */
static int
limit_cpu(uint64_t cpu, char *err, size_t errlen)
{
	if (cpu == 0)
		return 0;
	return set_limit(RLIMIT_CPU, "CPU", (rlim_t)cpu, (rlim_t)cpu + 1, err,
	    errlen);
}

static int
limit_resources(const struct msg_hello *h, char *err, size_t errlen)
{
	struct rlimit	 rl;
	int		 res;

	if (close_range(MSG_CHAN_FD + 1, ~0U, 0) == -1)
		FAIL("close_range: %s", strerror(errno));
	if (set_limit(RLIMIT_NOFILE, "NOFILE", SANDBOX_NOFILE,
	    SANDBOX_NOFILE, err, errlen) == -1 ||
	    set_limit(RLIMIT_NPROC, "NPROC", 0, 0, err, errlen) == -1 ||
	    set_limit(RLIMIT_FSIZE, "FSIZE", (rlim_t)h->record_fsize,
	    (rlim_t)h->record_fsize, err, errlen) == -1 ||
	    set_limit(RLIMIT_CORE, "CORE", 0, 0, err, errlen) == -1 ||
	    set_limit(RLIMIT_MEMLOCK, "MEMLOCK", 0, 0, err, errlen) == -1 ||
	    set_limit(RLIMIT_MSGQUEUE, "MSGQUEUE", 0, 0, err, errlen) == -1 ||
	    limit_cpu(h->limits.cpu, err, errlen) == -1 ||
	    limit_memory(h->limits.heap, err, errlen) == -1)
		return -1;
	/*
	 * Every other limit (stack, signals, nice, ...) keeps its value but
	 * loses its headroom: with soft == hard there is nothing left to
	 * raise, so whatever the worker asks of prlimit64 later can only
	 * lower a limit. CPU alone keeps its one second, by design.
	 */
	for (res = 0; res < RLIM_NLIMITS; res++) {
		if (res == RLIMIT_CPU)
			continue;
		if (getrlimit(res, &rl) == -1)
			FAIL("getrlimit %d: %s", res, strerror(errno));
		if (rl.rlim_cur == rl.rlim_max)
			continue;
		rl.rlim_max = rl.rlim_cur;
		if (setrlimit(res, &rl) == -1)
			FAIL("setrlimit %d: %s", res, strerror(errno));
	}
	return 0;
}

/* 4: Landlock ------------------------------------------------------------ */

/*
 * Our own copy of the uapi, because Debian 12's headers stop at ABI 3 and
 * the kernels it runs on go further. The kernel takes the struct size
 * that matches the ABI we ask for. ABI 7 adds only audit controls, whose
 * defaults (log what this executable is denied) suit us.
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

/* Returns the ABI now in force (0: none), or -1 with err. */
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
	return (int)abi;
}

/* 5: seccomp ------------------------------------------------------------- */

/*
 * The debug handler may only read memory and call write(): the syscall
 * names and the architecture come with the filter (seccomp_bpf.h).
 */
#define SI_SECCOMP	1	/* si_code of a filter's SIGSYS (SYS_SECCOMP) */

static void
put_str(char *p, size_t *len, size_t max, const char *s)
{
	while (*s != '\0' && *len < max)
		p[(*len)++] = *s++;
}

static void
put_num(char *p, size_t *len, size_t max, unsigned long v, unsigned base)
{
	char	 tmp[24];
	int	 n = 0;

	do {
		tmp[n++] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v != 0 && n < (int)sizeof(tmp));
	while (n > 0 && *len < max)
		p[(*len)++] = tmp[--n];
}

/*
 * "sandbox: blocked syscall 57 (fork)" on fd 2, which the supervisor
 * logs in debug mode; then the call fails with ENOSYS and the worker
 * goes on, so one run finds every violation.
 */
static void
sigsys_debug(int sig, siginfo_t *si, void *uc_)
{
	ucontext_t	*uc = uc_;
	char		 line[128];
	size_t		 len = 0, max = sizeof(line) - 1;
	const char	*name;
	int		 nr = si->si_syscall;

	(void)sig;
	if (si->si_code != SI_SECCOMP) {
		/* Sent by someone: not ours to fail a syscall for. */
		put_str(line, &len, max, "sandbox: SIGSYS from outside, "
		    "ignored");
	} else if (si->si_arch != seccomp_bpf_arch) {
		put_str(line, &len, max, "sandbox: blocked syscall ");
		put_num(line, &len, max, (unsigned long)(unsigned)nr, 10);
		put_str(line, &len, max, " of foreign arch 0x");
		put_num(line, &len, max, si->si_arch, 16);
	} else {
		put_str(line, &len, max, "sandbox: blocked syscall ");
		put_num(line, &len, max, (unsigned long)(unsigned)nr, 10);
		name = nr >= 0 && nr < SECCOMP_SYSNAMES ?
		    seccomp_bpf_sysnames[nr] : NULL;
		if (name != NULL) {
			put_str(line, &len, max, " (");
			put_str(line, &len, max, name);
			put_str(line, &len, max, ")");
		}
	}
	line[len++] = '\n';
	if (write(STDERR_FILENO, line, len) == -1) {
		/* nothing else may be done here */
	}
	if (si->si_code != SI_SECCOMP)
		return;
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = -ENOSYS;
#elif defined(__aarch64__)
	uc->uc_mcontext.regs[0] = (unsigned long long)-ENOSYS;
#else
	(void)uc;
#endif
}

static int
debug_handler(char *err, size_t errlen)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys_debug;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) == -1)
		FAIL("sigaction SIGSYS: %s", strerror(errno));
	return 0;
}

void
seccomp_bpf_fill(const struct seccomp_bpf *f, uint32_t pid,
    struct sock_filter *insns)
{
	unsigned	 i;

	memcpy(insns, f->insns, f->len * sizeof(insns[0]));
	for (i = 0; i < f->npid; i++)
		insns[f->pid_at[i]].k = pid;
}

/*
 * Install the filter built with the worker (seccomp_bpf.h), our pid
 * written in, with prctl(PR_SET_SECCOMP): a systemd unit's
 * SystemCallFilter then need not allow the seccomp(2) syscall itself.
 * Installed this way the kernel also turns on its speculative store
 * bypass mitigation for us (when that mitigation is in its seccomp mode).
 */
static int
seccomp_install(bool debug, char *err, size_t errlen)
{
	const struct seccomp_bpf *f = debug ? &seccomp_bpf_trap :
				    &seccomp_bpf_kill;
	struct sock_filter	 insns[SECCOMP_BPF_MAX];
	struct sock_fprog	 prog;

	if (debug && debug_handler(err, errlen) == -1)
		return -1;
	seccomp_bpf_fill(f, (uint32_t)getpid(), insns);
	prog.len = (unsigned short)f->len;
	prog.filter = insns;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == -1)
		FAIL("prctl PR_SET_SECCOMP: %s", strerror(errno));
	return 0;
}

int
sandbox_enter(const struct msg_hello *h, void (*note)(const char *),
    void (*probe)(int landlock_abi), char *err, size_t errlen)
{
	int	 abi;

	if (drop_identity(h, note, err, errlen) == -1 ||
	    drop_caps(err, errlen) == -1)
		return -1;
	if (limit_resources(h, err, errlen) == -1)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == -1)
		FAIL("prctl PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		FAIL("prctl PR_SET_DUMPABLE: %s", strerror(errno));
	if ((abi = landlock(note, err, errlen)) == -1)
		return -1;
	/* Tests only (sandbox.h): what Landlock alone refuses. */
	if (probe != NULL)
		probe(abi);
	return seccomp_install(h->sandbox_debug, err, errlen);
}

int
sandbox_lower(const struct msg_limits *t, char *err, size_t errlen)
{
	if (limit_cpu(t->cpu, err, errlen) == -1)
		return -1;
	return limit_memory(t->heap, err, errlen);
}

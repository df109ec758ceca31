/*
 * seccomp_rules.c: the worker's system call allow-list, as libseccomp
 * rules, and the BPF program libseccomp makes of them (see seccomp_bpf.h).
 *
 * Linked by seccomp-gen, which runs at build time and writes the programs
 * the worker installs (gen/seccomp_bpf.c), and by the tests that check
 * that file against these rules; never by a worker. Change the rules here:
 * the build regenerates the workers' filter from them.
 */
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sandbox.h"
#include "seccomp_bpf.h"

/* libseccomp's SCMP_Ax() leave a field to zero-initialisation. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

#define RULE(action, call, ...)						\
	do {								\
		if ((rc = seccomp_rule_add(ctx, (action),		\
		    SCMP_SYS(call), __VA_ARGS__)) < 0) {		\
			snprintf(err, errlen, "seccomp rule %s: %s",	\
			    #call, strerror(-rc));			\
			return -1;					\
		}							\
	} while (0)
#define ALLOW(call, ...)	RULE(SCMP_ACT_ALLOW, call, __VA_ARGS__)
#define EACCESS(call)		RULE(SCMP_ACT_ERRNO(EACCES), call, 0)

/*
 * The allow-list: as short as a serving worker allows, checked with
 * strace and --sandbox-debug against line sessions (typing, !load, large
 * output, interrupts, limits, idle timeout, shutdown, hang-ups). Every
 * entry says why it is here. Anything else kills the process (SIGSYS),
 * which the supervisor reports as a sandbox violation. pid is the worker's
 * own.
 */
static int
add_rules(scmp_filter_ctx ctx, uint32_t pid, char *err, size_t errlen)
{
	int	 rc;

	/*
	 * The channel (fd 3) and the client socket. send() and recv() are
	 * sendto and recvfrom on x86_64; we only ever send on connected
	 * sockets, so never to an address.
	 */
	ALLOW(recvmsg, 0);		/* channel messages, the client fd */
	ALLOW(sendmsg, 0);		/* channel messages */
	ALLOW(recvfrom, 0);
	ALLOW(sendto, 1, SCMP_A4(SCMP_CMP_EQ, 0));
	ALLOW(poll, 0);			/* the session loop */
	ALLOW(shutdown, 0);		/* the goodbye: SHUT_WR, then linger */
	ALLOW(close, 0);		/* the client socket at the end */
	/* O_NONBLOCK on the client socket: nothing else of fcntl. */
	ALLOW(fcntl, 1, SCMP_A1(SCMP_CMP_EQ, F_GETFL));
	ALLOW(fcntl, 1, SCMP_A1(SCMP_CMP_EQ, F_SETFL));
	/* ssh: TCP_NODELAY on the client socket; SO_ERROR and friends. */
	ALLOW(setsockopt, 2, SCMP_A1(SCMP_CMP_EQ, IPPROTO_TCP),
	    SCMP_A2(SCMP_CMP_EQ, TCP_NODELAY));
	ALLOW(getsockopt, 1, SCMP_A1(SCMP_CMP_EQ, SOL_SOCKET));
	/*
	 * fd 2: the log's last resort when the channel is gone, the debug
	 * handler, sanitizer reports. writev: glibc's fatal messages
	 * (malloc corruption, fortify, stack smashing) before abort(),
	 * so such a crash is told as a crash, not as a violation.
	 */
	ALLOW(write, 0);
	ALLOW(writev, 0);

	/*
	 * Memory: malloc and the VM heap. Anonymous only (no file is open
	 * to map anyway), never executable: no new code, ever. mremap is
	 * realloc of large blocks, which may move them but never onto a
	 * place of its choosing (no MREMAP_FIXED). madvise: giving memory
	 * back; not MADV_MERGEABLE (KSM would share pages across tenants).
	 */
	ALLOW(brk, 0);
	ALLOW(mmap, 2, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0),
	    SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_ANONYMOUS, MAP_ANONYMOUS));
	ALLOW(mprotect, 1, SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	ALLOW(munmap, 0);
	ALLOW(mremap, 1, SCMP_A3(SCMP_CMP_MASKED_EQ,
	    ~(scmp_datum_t)MREMAP_MAYMOVE, 0));
	ALLOW(madvise, 1, SCMP_A2(SCMP_CMP_EQ, MADV_DONTNEED));
	ALLOW(madvise, 1, SCMP_A2(SCMP_CMP_EQ, MADV_FREE));

	/*
	 * Time and accounting: timeouts and rates (the vDSO answers, but
	 * falls back to the syscall on some clock sources); cpu_ms in
	 * `status`.
	 */
	ALLOW(clock_gettime, 0);
	ALLOW(gettimeofday, 0);
	ALLOW(getrusage, 0);

	/* ssh: OpenSSL's fork check (getpid) and DRBG reseeds. */
	ALLOW(getpid, 0);
	ALLOW(getrandom, 0);
	/*
	 * ssh transport: OpenSSL and libssh run pthread_once() on first use
	 * of many things (an error queue, a cipher, a disconnect), and
	 * glibc ends every first pthread_once() with a futex wake-all on
	 * the once word, even with no other thread. Wake only, private only:
	 * a single-threaded worker never waits on a futex.
	 */
	ALLOW(futex, 1, SCMP_A1(SCMP_CMP_EQ, FUTEX_WAKE | FUTEX_PRIVATE_FLAG));

	/*
	 * Our own limits, read and lowered (sandbox_lower) through
	 * prlimit64(0, ...), which is what glibc's getrlimit and setrlimit
	 * are; the old setrlimit syscall is not needed. Raising a hard
	 * limit needs CAP_SYS_RESOURCE, which we no longer have, and every
	 * soft limit already sits at its hard one.
	 */
	ALLOW(prlimit64, 1, SCMP_A0(SCMP_CMP_EQ, 0));

	/*
	 * Signals: the SIGXCPU handler (and the debug SIGSYS handler)
	 * return; a poll stopped by SIGSTOP resumes through
	 * restart_syscall. abort() (glibc's checks, assert) blocks signals
	 * and raises SIGABRT at itself: allowed, so a crash is told as a
	 * crash, not as a violation; tgkill to no one else.
	 */
	ALLOW(rt_sigreturn, 0);
	ALLOW(restart_syscall, 0);
	ALLOW(rt_sigprocmask, 0);
	ALLOW(gettid, 0);
	ALLOW(tgkill, 2, SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)pid),
	    SCMP_A2(SCMP_CMP_EQ, SIGABRT));

	ALLOW(exit_group, 0);		/* single-threaded: no exit */
#ifdef SANDBOX_ASAN
	/*
	 * AddressSanitizer: its allocator marks each new region (no huge
	 * pages, not in core dumps), and it takes down its alternate
	 * signal stack at exit. A report (ASan's or UBSan's) asks whether
	 * fd 2 is a terminal (colours) and probes memory before printing
	 * it by writing it into a pipe: without these a worker's report
	 * would end as a "sandbox violation" and never reach the log.
	 * Only pipe2(fds, 0): a hostile O_CLOEXEC pipe is still killed.
	 */
	ALLOW(madvise, 1, SCMP_A2(SCMP_CMP_EQ, MADV_NOHUGEPAGE));
	ALLOW(madvise, 1, SCMP_A2(SCMP_CMP_EQ, MADV_DONTDUMP));
	ALLOW(sigaltstack, 0);
	ALLOW(ioctl, 2, SCMP_A0(SCMP_CMP_EQ, STDERR_FILENO),
	    SCMP_A1(SCMP_CMP_EQ, TCGETS));
	ALLOW(pipe2, 1, SCMP_A1(SCMP_CMP_EQ, 0));
#endif

	/*
	 * File probes (locale, time zone, /dev/tty for glibc's fatal
	 * messages, NSS in libraries) fail politely instead of killing:
	 * there is nothing to open anyway. Everything else that names a
	 * path (chdir, mkdir, unlink, execve, ...) kills.
	 */
	EACCESS(open);
	EACCESS(openat);
	EACCESS(stat);
	EACCESS(lstat);
	EACCESS(fstat);
	EACCESS(newfstatat);
	EACCESS(statx);
	EACCESS(access);
	EACCESS(faccessat);
	EACCESS(faccessat2);
	EACCESS(readlink);
	EACCESS(readlinkat);
	return 0;
}

#undef ALLOW
#undef EACCESS
#undef RULE

/*
 * Default kill the process (trap in debug mode), the same for a syscall
 * of another ABI (int 0x80, x32 numbers: the classic way around a filter),
 * not libseccomp's default of killing the thread. The syscalls are sorted
 * into a binary tree (tree; otherwise compared one after another): the
 * same decisions (test_seccomp_bpf compares the two on every syscall
 * number), but the kernel, which runs the program for every syscall
 * number when it installs it (its cache of always-allowed calls), needs
 * 0.09 ms to install it instead of 0.14 (2 vCPUs, Linux 6.18), and each
 * filtered call takes a few comparisons instead of up to a hundred.
 * Exported as BPF through a pipe, the only way libseccomp 2.5 exports.
 */
unsigned
seccomp_rules_build(bool debug, bool tree, uint32_t pid,
    struct sock_filter *insns, char *err, size_t errlen)
{
	scmp_filter_ctx		 ctx;
	uint32_t		 action;
	ssize_t			 n;
	int			 p[2], rc;

	action = debug ? SCMP_ACT_TRAP : SCMP_ACT_KILL_PROCESS;
	if ((ctx = seccomp_init(action)) == NULL) {
		snprintf(err, errlen, "seccomp_init failed");
		return 0;
	}
	if ((rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH,
	    action)) < 0 ||
	    (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE,
	    tree ? 2 : 1)) < 0) {
		snprintf(err, errlen, "seccomp attributes: %s", strerror(-rc));
		seccomp_release(ctx);
		return 0;
	}
	if (add_rules(ctx, pid, err, errlen) == -1) {
		seccomp_release(ctx);
		return 0;
	}
	if (pipe(p) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		seccomp_release(ctx);
		return 0;
	}
	rc = seccomp_export_bpf(ctx, p[1]);
	seccomp_release(ctx);
	close(p[1]);
	if (rc < 0) {
		close(p[0]);
		snprintf(err, errlen, "seccomp_export_bpf: %s", strerror(-rc));
		return 0;
	}
	n = read(p[0], insns, SECCOMP_BPF_MAX * sizeof(insns[0]));
	close(p[0]);
	if (n <= 0 || n % (ssize_t)sizeof(insns[0]) != 0 ||
	    n == (ssize_t)(SECCOMP_BPF_MAX * sizeof(insns[0]))) {
		snprintf(err, errlen, "seccomp filter export: unexpected size "
		    "%zd", n);
		return 0;
	}
	return (unsigned)(n / (ssize_t)sizeof(insns[0]));
}

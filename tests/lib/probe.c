/*
 * probe.c: see probe.h. Every probe runs in this unsandboxed test
 * process, or in a child of it for the ones that may kill.
 */
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <criterion/criterion.h>
#include <criterion/logging.h>

#include <errno.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "probe.h"

#ifndef __X32_SYSCALL_BIT
#define __X32_SYSCALL_BIT	0x40000000
#endif

/* A probe child's exit: 0 when the call returned its pid, 16 + errno
 * when it failed, 1 otherwise. */
#define PROBE_RAN	0

/*
 * Run fn in a child with default signal dispositions; its wait status.
 * fn returns what the syscall returned (or -errno).
 */
static int
in_child(long (*fn)(void))
{
	pid_t	 pid;
	long	 rv;
	int	 st;

	cr_assert_neq(pid = fork(), -1, "fork: %s", strerror(errno));
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		signal(SIGSYS, SIG_DFL);
		rv = fn();
		if (rv == (long)getpid())
			_exit(PROBE_RAN);
		_exit(rv < 0 && rv > -4096 ? 16 + (int)-rv % 200 : 1);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return st;
}

static long
try_i386(void)
{
#ifdef __x86_64__
	long	 rv;

	__asm__ volatile("int $0x80" : "=a"(rv) : "a"(20L) :
	    "r8", "r9", "r10", "r11", "memory", "cc");
	return rv;
#else
	return -ENOSYS;
#endif
}

enum probe_i386
probe_i386(char *how, size_t howlen)
{
	int	 st = in_child(try_i386);

	if (WIFEXITED(st) && WEXITSTATUS(st) == PROBE_RAN) {
		snprintf(how, howlen, "this kernel has the i386 entry "
		    "(int $0x80 getpid ran unsandboxed)");
		return PROBE_I386_ENTRY;
	}
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV) {
		snprintf(how, howlen, "this kernel has no i386 entry "
		    "(int $0x80 raised SIGSEGV unsandboxed: no IA-32 "
		    "emulation, or ia32_emulation=0)");
		return PROBE_I386_NONE;
	}
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS) {
		snprintf(how, howlen, "the test's own environment kills the "
		    "i386 entry (SIGSYS unsandboxed: a seccomp filter around "
		    "the tests)");
		return PROBE_I386_FILTERED;
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) >= 16) {
		snprintf(how, howlen, "the test's own environment refuses "
		    "the i386 entry (errno %d unsandboxed: a seccomp filter "
		    "around the tests)", WEXITSTATUS(st) - 16);
		return PROBE_I386_FILTERED;
	}
	cr_assert_fail("int $0x80 probe: unexplained wait status %#x", st);
	return PROBE_I386_NONE;
}

static long
try_x32(void)
{
	long	 rv = syscall(__X32_SYSCALL_BIT | SYS_getpid);

	return rv == -1 ? -errno : rv;
}

bool
probe_x32(void)
{
	int	 st = in_child(try_x32);

	return WIFEXITED(st) && WEXITSTATUS(st) == PROBE_RAN;
}

long
probe_landlock_abi(void)
{
	long	 abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1U);

	return abi < 0 ? 0 : abi;
}

bool
probe_ipv6_loopback(char *why, size_t whylen)
{
	struct sockaddr_in6	 sin6;
	int			 fd;

	snprintf(why, whylen, "IPv6 on loopback works");
	if ((fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(why, whylen, "no IPv6 socket: %s", strerror(errno));
		return false;
	}
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	if (bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == -1 ||
	    listen(fd, 1) == -1) {
		snprintf(why, whylen, "cannot listen on [::1]: %s",
		    strerror(errno));
		close(fd);
		return false;
	}
	close(fd);
	return true;
}

bool
probe_seccomp_action(unsigned action)
{
	uint32_t	 a = action;

	return syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &a) == 0;
}

bool
probe_real_root(void)
{
	FILE		*f;
	unsigned long	 in, out, count;
	bool		 full = false;

	if (geteuid() != 0)
		return false;
	if ((f = fopen("/proc/self/uid_map", "re")) == NULL)
		return true;	/* no user namespaces at all */
	if (fscanf(f, "%lu %lu %lu", &in, &out, &count) == 3)
		full = in == 0 && out == 0 && count == 4294967295UL;
	fclose(f);
	return full;
}

/* The test binary's name (criterion runs tests as "boxfort-worker"). */
static const char *
prog(void)
{
	static char	 exe[256];
	const char	*slash;
	ssize_t		 n;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return program_invocation_short_name;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	return slash != NULL ? slash + 1 : exe;
}

static void
say(const char *tag, const char *line)
{
	cr_log_info("%s: %s", tag, line);
	fprintf(stderr, "%s: %s: %s\n", prog(), tag, line);
}

void
probe_case(const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	say("CASE", line);
}

void
probe_ci_requires(const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	cr_assert_null(getenv("CI"), "CI is set and this machine cannot "
	    "check it: %s", line);
	/* Said, not warned: criterion's exit status counts warnings. */
	say("SKIPPED", line);
}

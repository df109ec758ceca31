/*
 * probe.h: what this machine offers, learned by the tests themselves,
 * unsandboxed, before they judge.
 *
 * Kernels differ: one is built without IA-32 emulation, another has no
 * Landlock or no IPv6 on loopback; the tests run as root or not. A test
 * asks here first, then asserts the strongest thing that holds on this
 * machine, and says which case it checked (probe_case) so a reader of
 * the log knows what was proved. Where CI (CI set in the environment)
 * must test a thing and this machine cannot, the test fails
 * (probe_ci_requires); outside CI it says what it could not check.
 */
#ifndef IRIDIUM_PROBE_H
#define IRIDIUM_PROBE_H

#include <stdbool.h>
#include <stddef.h>

/* What `int $0x80` (getpid through the i386 entry) does here. */
enum probe_i386 {
	PROBE_I386_ENTRY,	/* it ran: the kernel has IA-32 emulation */
	PROBE_I386_NONE,	/* SIGSEGV: no IA-32 emulation (or off) */
	PROBE_I386_FILTERED,	/* our own environment's filter refused it */
};

/*
 * Fork a child that tries the i386 entry; what came of it, with a line
 * for the log in how. An outcome none of the three explains fails the
 * test.
 */
enum probe_i386	 probe_i386(char *how, size_t howlen);
/* Whether a syscall with the x32 bit set runs here (getpid, in a child). */
bool		 probe_x32(void);
/* The Landlock ABI version, 0 when the kernel offers none. */
long		 probe_landlock_abi(void);
/* Whether a TCP socket can listen on ::1; why not in why. */
bool		 probe_ipv6_loopback(char *why, size_t whylen);
/*
 * Whether seccomp offers the action (SECCOMP_RET_KILL_PROCESS, since
 * Linux 4.14; SECCOMP_RET_TRAP), by SECCOMP_GET_ACTION_AVAIL.
 */
bool		 probe_seccomp_action(unsigned action);
/* Whether this process is root in the initial user namespace. */
bool		 probe_real_root(void);

/*
 * Say which case a test checked: a criterion info line and a stderr line
 * "<program>: CASE: <text>", which make check shows.
 */
void		 probe_case(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));
/*
 * A check this machine cannot make: fails the test when CI is set, else
 * says "<program>: SKIPPED: <text>" (shown by make check) and returns.
 */
void		 probe_ci_requires(const char *fmt, ...)
		    __attribute__((format(printf, 1, 2)));

#endif

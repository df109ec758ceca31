/*
 * seccomp_bpf.h: the worker's seccomp filter, compiled when the worker is
 * built (worker/sandbox.c installs it).
 *
 * The allow-list is written once, as libseccomp rules, in
 * worker/seccomp_rules.c. At build time seccomp-gen (worker/seccomp_gen.c)
 * hands them to libseccomp and writes the BPF programs it exports into
 * gen/seccomp_bpf.c, which the worker links: no worker compiles its filter
 * or carries libseccomp. The filter stays what libseccomp makes of the
 * rules, instruction for instruction (test_seccomp_bpf proves it for both
 * modes and several pids, and that the file is rebuilt when the rules
 * change).
 *
 * The one value known only at run time is the worker's own pid (tgkill may
 * signal no one else): seccomp-gen builds each program with two different
 * pids, checks that they differ only in the k of the instructions that
 * hold the pid, and lists those; seccomp_bpf_fill() writes the real pid in.
 */
#ifndef IRIDIUM_SECCOMP_BPF_H
#define IRIDIUM_SECCOMP_BPF_H

#include <linux/filter.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECCOMP_BPF_MAX		1024	/* instructions in a program */
#define SECCOMP_SYSNAMES	512	/* syscalls the debug mode names */

struct seccomp_bpf {
	const struct sock_filter *insns;
	unsigned		 len;
	const unsigned short	*pid_at;	/* where k is the pid */
	unsigned		 npid;
};

/* gen/seccomp_bpf.c (seccomp-gen's output) */
/* A violation kills the process (SECCOMP_RET_KILL_PROCESS). */
extern const struct seccomp_bpf	 seccomp_bpf_kill;
/* --sandbox-debug: a violation raises SIGSYS (SECCOMP_RET_TRAP). */
extern const struct seccomp_bpf	 seccomp_bpf_trap;
/* The architecture the programs are for (an AUDIT_ARCH_* value). */
extern const uint32_t		 seccomp_bpf_arch;
/* Syscall names by number, for the debug mode's reports; NULL: none. */
extern const char *const	 seccomp_bpf_sysnames[SECCOMP_SYSNAMES];

/* sandbox.c: f with pid written in, into insns[SECCOMP_BPF_MAX]. */
void	seccomp_bpf_fill(const struct seccomp_bpf *f, uint32_t pid,
	    struct sock_filter *insns);

/*
 * seccomp_rules.c (links libseccomp: seccomp-gen and tests only): the
 * program libseccomp builds from the rules for this mode and pid, into
 * insns[SECCOMP_BPF_MAX], its syscalls in a binary tree (what the workers
 * get) or in a row. Returns its length, or 0 with err.
 */
unsigned seccomp_rules_build(bool debug, bool tree, uint32_t pid,
	    struct sock_filter *insns, char *err, size_t errlen);

#endif

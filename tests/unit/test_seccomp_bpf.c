/*
 * test_seccomp_bpf.c: the seccomp filter the workers install, compiled at
 * build time (gen/seccomp_bpf.c, seccomp_bpf.h), is exactly the program
 * libseccomp builds from the rules this test links (worker/seccomp_rules.c)
 * for the same mode and pid; it carries libseccomp's syscall names and
 * architecture for the debug mode; and the build regenerates it when the
 * rules change. The filter's behaviour in a worker is test_sandbox's and
 * test_sandbox_enter's.
 */
#include <criterion/criterion.h>

#include <linux/seccomp.h>

#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "seccomp_bpf.h"

TestSuite(seccomp_bpf, .timeout = 60);

/* The generated program for debug, with pid written in, against
 * libseccomp's own build for the same pid. */
static void
same_as_libseccomp(bool debug, uint32_t pid)
{
	const struct seccomp_bpf *f = debug ? &seccomp_bpf_trap :
				    &seccomp_bpf_kill;
	struct sock_filter	 want[SECCOMP_BPF_MAX], got[SECCOMP_BPF_MAX];
	unsigned		 len, i;
	char			 err[256];

	len = seccomp_rules_build(debug, true, pid, want, err, sizeof(err));
	cr_assert_neq(len, 0, "libseccomp: %s", err);
	cr_assert_eq(f->len, len, "%s mode, pid %u: %u instructions built "
	    "with the worker, %u by libseccomp now", debug ? "trap" : "kill",
	    pid, f->len, len);
	seccomp_bpf_fill(f, pid, got);
	for (i = 0; i < len; i++)
		cr_assert(memcmp(&got[i], &want[i], sizeof(got[i])) == 0,
		    "%s mode, pid %u, instruction %u: {0x%04x, %u, %u, 0x%x} "
		    "in the worker's, {0x%04x, %u, %u, 0x%x} from libseccomp",
		    debug ? "trap" : "kill", pid, i, got[i].code, got[i].jt,
		    got[i].jf, got[i].k, want[i].code, want[i].jt, want[i].jf,
		    want[i].k);
}

Test(seccomp_bpf, the_generated_filters_are_what_libseccomp_builds_now)
{
	/* Our pid, the smallest, pid_max's largest, and a few between. */
	const uint32_t	 pids[] = { (uint32_t)getpid(), 1, 2, 300, 65535,
	    65536, 4194303 };
	size_t		 i;

	for (i = 0; i < sizeof(pids) / sizeof(pids[0]); i++) {
		same_as_libseccomp(false, pids[i]);
		same_as_libseccomp(true, pids[i]);
	}
}

/* Run a classic BPF seccomp program the way the kernel does. */
static uint32_t
run(const struct sock_filter *f, unsigned len, const struct seccomp_data *sd)
{
	const unsigned char	*data = (const void *)sd;
	uint32_t		 a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };
	unsigned		 pc = 0;

	while (pc < len) {
		const struct sock_filter *i = &f[pc++];

		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert_leq(i->k + 4, sizeof(*sd));
			memcpy(&a, data + i->k, 4);
			break;
		case BPF_LD | BPF_MEM:
			a = mem[i->k];
			break;
		case BPF_LDX | BPF_MEM:
			x = mem[i->k];
			break;
		case BPF_ST:
			mem[i->k] = a;
			break;
		case BPF_STX:
			mem[i->k] = x;
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= i->k;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_MISC | BPF_TXA:
			a = x;
			break;
		case BPF_JMP | BPF_JA:
			pc += i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JSET | BPF_K:
			pc += (a & i->k) != 0 ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			cr_assert_fail("instruction %u: opcode 0x%x", pc - 1,
			    i->code);
		}
	}
	cr_assert_fail("ran off the end of the program");
	return 0;
}

/* Argument values on and around those the rules compare. */
static uint64_t
some_value(uint32_t pid)
{
	const uint64_t	 vals[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12,
	    0x22, 0x32, 0x80, 0x81, 0xff, 0x100, pid, pid + 1, pid - 1,
	    (uint64_t)1 << 32, ((uint64_t)1 << 32) | pid, 0x7fffffff,
	    0x80000000, 0xfffffffe, 0xffffffff, ~(uint64_t)0,
	    ~(uint64_t)1 };

	return vals[(unsigned)rand() % (sizeof(vals) / sizeof(vals[0]))];
}

/* Both programs on syscall nr of arch, with 300 sets of arguments. */
static void
same_decisions(const struct sock_filter *tree, unsigned ntree,
    const struct sock_filter *row, unsigned nrow, uint32_t arch, int nr,
    uint32_t pid)
{
	struct seccomp_data	 sd;
	unsigned		 j, k;

	for (j = 0; j < 300; j++) {
		memset(&sd, 0, sizeof(sd));
		sd.arch = arch;
		sd.nr = nr;
		for (k = 0; j > 0 && k < 6; k++)
			sd.args[k] = some_value(pid);
		cr_assert_eq(run(tree, ntree, &sd), run(row, nrow, &sd),
		    "syscall %d arch 0x%x args %llx %llx %llx %llx %llx %llx",
		    sd.nr, sd.arch, (unsigned long long)sd.args[0],
		    (unsigned long long)sd.args[1],
		    (unsigned long long)sd.args[2],
		    (unsigned long long)sd.args[3],
		    (unsigned long long)sd.args[4],
		    (unsigned long long)sd.args[5]);
	}
}

/*
 * The workers' filter has its syscalls in a binary tree, which the kernel
 * installs faster; it decides every call as the plain row of comparisons
 * libseccomp builds from the same rules: every syscall number of the
 * native ABI, of x32 and of a foreign architecture (AUDIT_ARCH_ARM), with
 * argument values on and around each value a rule compares, in both modes.
 */
Test(seccomp_bpf, the_tree_decides_every_call_as_the_row_would)
{
	const uint32_t		 pid = (uint32_t)getpid();
	struct sock_filter	 row[SECCOMP_BPF_MAX], tree[SECCOMP_BPF_MAX];
	unsigned		 nrow, ntree, n;
	char			 err[256];
	int			 debug;

	srand(1);
	for (debug = 0; debug < 2; debug++) {
		nrow = seccomp_rules_build(debug, false, pid, row, err,
		    sizeof(err));
		ntree = seccomp_rules_build(debug, true, pid, tree, err,
		    sizeof(err));
		cr_assert(nrow > 0 && ntree > 0, "%s", err);
		for (n = 0; n < SECCOMP_SYSNAMES; n++) {
			same_decisions(tree, ntree, row, nrow,
			    seccomp_bpf_arch, (int)n, pid);
			same_decisions(tree, ntree, row, nrow,
			    seccomp_bpf_arch, (int)(n | 0x40000000), pid);
			same_decisions(tree, ntree, row, nrow, 0x40000028,
			    (int)n, pid);
		}
	}
}

Test(seccomp_bpf, the_pid_goes_where_tgkill_compares_its_first_argument)
{
	const struct seccomp_bpf *const fs[] = { &seccomp_bpf_kill,
	    &seccomp_bpf_trap };
	size_t		 i;
	unsigned	 j;

	for (i = 0; i < 2; i++) {
		/* tgkill(getpid(), ..., SIGABRT): one comparison. */
		cr_assert_eq(fs[i]->npid, 1);
		for (j = 0; j < fs[i]->npid; j++) {
			cr_assert_lt(fs[i]->pid_at[j], fs[i]->len);
			cr_assert_eq(fs[i]->insns[fs[i]->pid_at[j]].code,
			    BPF_JMP | BPF_JEQ | BPF_K);
		}
	}
}

Test(seccomp_bpf, the_debug_mode_names_syscalls_as_libseccomp_does)
{
	char	*name;
	int	 i;

	cr_assert_eq(seccomp_bpf_arch, seccomp_arch_native());
	for (i = 0; i < SECCOMP_SYSNAMES; i++) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, i);
		if (name == NULL)
			cr_assert_null(seccomp_bpf_sysnames[i], "%d", i);
		else
			cr_assert_str_eq(seccomp_bpf_sysnames[i], name);
		free(name);
	}
	cr_assert_str_eq(seccomp_bpf_sysnames[62], "kill");
}

/*
 * make -n (print, run nothing) with -W, which takes the rules as just
 * edited: the generator is rebuilt and rerun. Without -W, nothing is due.
 */
Test(seccomp_bpf, the_build_regenerates_the_filter_when_the_rules_change)
{
	const char	*src = getenv("IRIDIUM_SRC");
	const char	*variant = getenv("IRIDIUM_VARIANT");
	char		 target[128], var[64], *out = NULL;
	const char	*argv[] = { "/usr/bin/make", "-n", "-C", src, var,
	    target, "-W", "worker/seccomp_rules.c", NULL };
	int		 st;

	cr_assert_not_null(src, "IRIDIUM_SRC is not set (run with make check)");
	if (variant == NULL)
		variant = "default";
	snprintf(target, sizeof(target), "build/%s/gen/seccomp_bpf.c",
	    variant);
	snprintf(var, sizeof(var), "VARIANT=%s", variant);

	argv[6] = NULL;		/* first without -W */
	st = hd_run(argv, &out, NULL, 60000);
	cr_assert_eq(st, 0, "make -n:\n%s", out);
	cr_assert_null(strstr(out, "seccomp-gen >"), "the filter is out of "
	    "date right after a build:\n%s", out);
	free(out);

	argv[6] = "-W";
	st = hd_run(argv, &out, NULL, 60000);
	cr_assert_eq(st, 0, "make -n -W:\n%s", out);
	cr_assert_not_null(strstr(out, "worker/seccomp_rules.c"), "%s", out);
	cr_assert_not_null(strstr(out, "seccomp-gen >"), "new rules do not "
	    "regenerate the filter:\n%s", out);
	free(out);
}

/*
 * seccomp_gen.c: seccomp-gen, run by the build, never installed. It writes
 * gen/seccomp_bpf.c: the worker's seccomp filters as libseccomp builds
 * them from worker/seccomp_rules.c (see seccomp_bpf.h), so that no worker
 * compiles its filter at start (it was libseccomp's rule database, its BPF
 * generator and their allocations in every session) or links libseccomp.
 *
 *   usage: seccomp-gen > gen/seccomp_bpf.c
 *
 * Each program is built twice, for two pids no process has; they must
 * differ only in the k of some instructions, each holding the pid of its
 * build: those are where the worker writes its own pid. Anything else
 * that differed would be a value this file cannot carry: refused.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seccomp_bpf.h"

/* Above pid_max's ceiling (2^22): no real pid, and below 2^31 as pids are. */
#define PID_A	0x7ffffff5u
#define PID_B	0x7ffffffau

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fputs("seccomp-gen: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void
program(const char *name, bool debug)
{
	static struct sock_filter a[SECCOMP_BPF_MAX], b[SECCOMP_BPF_MAX];
	unsigned short	 pid_at[SECCOMP_BPF_MAX];
	unsigned	 len, lenb, npid = 0, i;
	char		 err[256];

	if ((len = seccomp_rules_build(debug, true, PID_A, a, err,
	    sizeof(err))) == 0 ||
	    (lenb = seccomp_rules_build(debug, true, PID_B, b, err,
	    sizeof(err))) == 0)
		die("%s: %s", name, err);
	if (len != lenb)
		die("%s: %u instructions with one pid, %u with another", name,
		    len, lenb);
	for (i = 0; i < len; i++) {
		if (memcmp(&a[i], &b[i], sizeof(a[i])) == 0)
			continue;
		if (a[i].code != b[i].code || a[i].jt != b[i].jt ||
		    a[i].jf != b[i].jf || a[i].k != PID_A || b[i].k != PID_B)
			die("%s: instruction %u depends on the pid in a way "
			    "this program cannot patch", name, i);
		pid_at[npid++] = (unsigned short)i;
	}

	printf("\nstatic const struct sock_filter %s_insns[%u] = {\n", name,
	    len);
	for (i = 0; i < len; i++)
		printf("\t{ 0x%04x, %3u, %3u, 0x%08x },\n", a[i].code, a[i].jt,
		    a[i].jf, a[i].k);
	printf("};\n");
	if (npid > 0) {
		printf("static const unsigned short %s_pid_at[%u] = {", name,
		    npid);
		for (i = 0; i < npid; i++)
			printf("%s%u", i > 0 ? ", " : " ", pid_at[i]);
		printf(" };\n");
	}
	printf("const struct seccomp_bpf %s = { %s_insns, %u, %s%s, %u };\n",
	    name, name, len, npid > 0 ? name : "NULL", npid > 0 ? "_pid_at" :
	    "", npid);
}

int
main(void)
{
	const struct scmp_version *v = seccomp_version();
	char		*name;
	int		 i;

	printf("/*\n * gen/seccomp_bpf.c: written by seccomp-gen from "
	    "worker/seccomp_rules.c\n * with libseccomp %u.%u.%u. Do not "
	    "edit: change the rules (seccomp_bpf.h).\n */\n",
	    v->major, v->minor, v->micro);
	printf("#include <stddef.h>\n\n#include \"seccomp_bpf.h\"\n");
	program("seccomp_bpf_kill", false);
	program("seccomp_bpf_trap", true);

	printf("\nconst uint32_t seccomp_bpf_arch = 0x%08xu;\n",
	    seccomp_arch_native());
	printf("\nconst char *const seccomp_bpf_sysnames[%d] = {\n",
	    SECCOMP_SYSNAMES);
	for (i = 0; i < SECCOMP_SYSNAMES; i++) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, i);
		if (name != NULL)
			printf("\t[%d] = \"%s\",\n", i, name);
		free(name);
	}
	printf("};\n");
	if (fflush(stdout) == EOF || ferror(stdout))
		die("write: %s", strerror(errno));
	return 0;
}

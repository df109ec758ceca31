/*
 * test_deploy.c: what operators deploy: `make install` into a DESTDIR
 * tree and `make uninstall` out of it, the systemd units checked by
 * systemd-analyze (verify, and the security exposure score), and the
 * manual pages linted by mandoc.
 */
#include <criterion/criterion.h>

#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define SCORE_MAX	2.5	/* the bar for iridiumd.service */

static const char *
src(void)
{
	const char	*s = getenv("IRIDIUM_SRC");

	cr_assert_not_null(s, "IRIDIUM_SRC is not set (run with make check)");
	return s;
}

/* Run a shell command; returns its output (malloc'd) and exit status. */
static char *
sh(const char *cmd, int *status)
{
	FILE	*f;
	char	*out = calloc(1, 1 << 20);
	size_t	 n;
	int	 st;

	f = popen(cmd, "r");
	cr_assert_not_null(f, "%s", cmd);
	n = fread(out, 1, (1 << 20) - 1, f);
	out[n] = '\0';
	st = pclose(f);
	if (status != NULL)
		*status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
	return out;
}

static int
count_files(const char *dir)
{
	char	 cmd[512], *out;
	int	 n;

	snprintf(cmd, sizeof(cmd), "find '%s' -type f | wc -l", dir);
	out = sh(cmd, NULL);
	n = atoi(out);
	free(out);
	return n;
}

static bool
exists(const char *root, const char *path)
{
	char		 p[512];
	struct stat	 st;

	snprintf(p, sizeof(p), "%s%s", root, path);
	return stat(p, &st) == 0;
}

static const char *const expected[] = {
	"/usr/local/bin/iridium",
	"/usr/local/bin/iridiumctl",
	"/usr/local/sbin/iridiumd",
	"/usr/local/libexec/iridium/iridium-worker",
	"/usr/local/libexec/iridium/iridium-worker-ssh",
	"/usr/local/lib/systemd/system/iridiumd.service",
	"/usr/local/lib/systemd/system/iridiumd-activated.service",
	"/usr/local/lib/systemd/system/iridiumd.socket",
	"/usr/local/lib/systemd/system/iridium-metrics.service",
	"/usr/local/lib/systemd/system/iridium-metrics.timer",
	"/usr/local/share/doc/iridium/haproxy/haproxy.cfg",
	"/usr/local/lib/sysusers.d/iridium.conf",
	"/usr/local/lib/tmpfiles.d/iridium.conf",
	"/usr/local/share/man/man1/iridium.1",
	"/usr/local/share/man/man8/iridiumd.8",
	"/usr/local/share/man/man8/iridiumctl.8",
	"/usr/local/share/man/man8/iridium-worker.8",
	"/usr/local/share/man/man5/iridiumd.conf.5",
	"/usr/local/share/man/man7/iridium.7",
	"/usr/local/share/man/man7/iridium-security.7",
	"/usr/local/share/man/man7/iridium-deploy.7",
	"/usr/local/share/doc/iridium/iridiumd.conf.example",
	"/usr/local/share/doc/iridium/examples/hello.iasm",
	"/etc/iridium/iridiumd.conf",
	NULL
};

/*
 * One test, in order: these steps share the DESTDIR tree and run make,
 * which must not run twice at once on the same build directory.
 */
Test(deploy, install_verify_score_and_uninstall, .timeout = 300)
{
	char		 root[256], cmd[4096], uids[32], *out, *p;
	const char	*variant = getenv("IRIDIUM_VARIANT");
	int		 st, i, lock;
	double		 score;

	if (variant == NULL)
		variant = "default";
	hd_tmpdir(root, sizeof(root), "destdir");

	/* make install DESTDIR=... produces the expected tree. */
	snprintf(cmd, sizeof(cmd), "make -s -C '%s' VARIANT=%s "
	    "DESTDIR='%s' install 2>&1", src(), variant, root);
	out = sh(cmd, &st);
	cr_assert_eq(st, 0, "make install failed:\n%s", out);
	free(out);
	for (i = 0; expected[i] != NULL; i++)
		cr_assert(exists(root, expected[i]), "missing %s", expected[i]);

	/* PREFIX reached ExecStart. */
	snprintf(cmd, sizeof(cmd), "grep '^ExecStart=' "
	    "'%s/usr/local/lib/systemd/system/iridiumd.service'", root);
	out = sh(cmd, &st);
	cr_assert_str_eq(out, "ExecStart=/usr/local/sbin/iridiumd -f "
	    "/etc/iridium/iridiumd.conf\n");
	free(out);

	/*
	 * The installed config passes iridiumd -t (workers from the tree;
	 * uids from a slice of the tests', not whatever this host runs in
	 * the default range).
	 */
	lock = hd_uids_take(uids, sizeof(uids));
	snprintf(cmd, sizeof(cmd), "'%s/usr/local/sbin/iridiumd' -t -f "
	    "'%s/etc/iridium/iridiumd.conf' --worker-path "
	    "'%s/usr/local/libexec/iridium/iridium-worker' --ssh-worker-path "
	    "'%s/usr/local/libexec/iridium/iridium-worker-ssh' --worker-uids "
	    "%s 2>&1", root, root, root, root, uids);
	out = sh(cmd, &st);
	hd_uids_release(lock);
	cr_assert_eq(st, 0, "%s", out);
	free(out);

	/* An existing config is never overwritten. */
	snprintf(cmd, sizeof(cmd), "echo '; mine' >> "
	    "'%s/etc/iridium/iridiumd.conf' && make -s -C '%s' VARIANT=%s "
	    "DESTDIR='%s' install >/dev/null 2>&1 && tail -1 "
	    "'%s/etc/iridium/iridiumd.conf'", root, src(), variant, root,
	    root);
	out = sh(cmd, &st);
	cr_assert_str_eq(out, "; mine\n", "the operator's config was replaced");
	free(out);

	/*
	 * systemd-analyze verify needs the units' binaries and the system's
	 * own units: verify in a copy of the tree with the host's units and
	 * kill(1) added.
	 */
	snprintf(cmd, sizeof(cmd), "set -e; v='%s.verify'; cp -a '%s' \"$v\"; "
	    "mkdir -p \"$v/usr/lib/systemd/system\"; "
	    "cp -rn /usr/lib/systemd/system/. \"$v/usr/lib/systemd/system/\";"
	    " mkdir -p \"$v/bin\"; cp /bin/kill \"$v/bin/kill\"; "
	    "u=\"$v/usr/local/lib/systemd/system\"; "
	    "systemd-analyze verify --man=no --root=\"$v\" "
	    "\"$u/iridiumd.service\" \"$u/iridiumd-activated.service\" "
	    "\"$u/iridiumd.socket\" \"$u/iridium-metrics.service\" "
	    "\"$u/iridium-metrics.timer\" 2>&1 | grep -i iridium || true; "
	    "systemd-analyze verify --man=no --root=\"$v\" "
	    "\"$u/iridiumd.service\" \"$u/iridiumd-activated.service\" "
	    "\"$u/iridiumd.socket\" \"$u/iridium-metrics.service\" "
	    "\"$u/iridium-metrics.timer\" >/dev/null 2>&1", root, root);
	out = sh(cmd, &st);
	cr_assert_eq(st, 0, "systemd-analyze verify failed: %s", out);
	cr_assert_str_eq(out, "", "systemd-analyze verify: %s", out);
	free(out);

	/* The exposure score of the service. */
	snprintf(cmd, sizeof(cmd), "systemd-analyze security --offline=yes "
	    "'%s/usr/local/lib/systemd/system/iridiumd.service' 2>&1 | "
	    "grep 'Overall exposure level'", root);
	out = sh(cmd, &st);
	p = strstr(out, "iridiumd.service: ");
	cr_assert_not_null(p, "no score: %s", out);
	score = strtod(p + strlen("iridiumd.service: "), NULL);
	cr_assert_leq(score, SCORE_MAX, "exposure %.1f > %.1f", score,
	    SCORE_MAX);
	free(out);

	/* make uninstall empties it again (the changed config stays). */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s.verify' && make -s -C '%s' "
	    "VARIANT=%s DESTDIR='%s' uninstall 2>&1", root, src(), variant,
	    root);
	out = sh(cmd, &st);
	cr_assert_eq(st, 0, "%s", out);
	cr_assert_not_null(strstr(out, "KEEP"), "changed config kept: %s",
	    out);
	free(out);
	cr_assert_eq(count_files(root), 1, "left behind: only the changed "
	    "config");
	snprintf(cmd, sizeof(cmd), "rm -f '%s/etc/iridium/iridiumd.conf' && "
	    "make -s -C '%s' VARIANT=%s DESTDIR='%s' install >/dev/null 2>&1 "
	    "&& make -s -C '%s' VARIANT=%s DESTDIR='%s' uninstall 2>&1 && "
	    "find '%s' -mindepth 1 | wc -l", root, src(), variant, root,
	    src(), variant, root, root);
	out = sh(cmd, &st);
	cr_assert_eq(st, 0);
	cr_assert_eq(atoi(out), 0, "uninstall left entries behind");
	free(out);
	rmdir(root);
}

Test(deploy, manual_pages_lint_clean)
{
	char	 cmd[512], *out;
	int	 st;

	/* Every level, STYLE included; only the host's stale mandoc.db. */
	snprintf(cmd, sizeof(cmd), "cd '%s/contrib/man' && ls *.[1-8] | wc -l "
	    "&& { mandoc -T lint *.[1-8] 2>&1 | grep -v 'mandoc.db' || "
	    "true; }", src());
	out = sh(cmd, &st);
	cr_assert_eq(st, 0, "mandoc: %s", out);
	cr_assert_geq(atoi(out), 8, "eight manual pages at least, iridium(7), "
	    "iridium-security(7) and iridium-deploy(7) among them: %s", out);
	cr_assert_not_null(strchr(out, '\n'));
	cr_assert_str_eq(strchr(out, '\n') + 1, "", "lint: %s", out);
	free(out);
}

/*
 * contrib/deps.txt in groups: each make target asks install-deps.sh for
 * its own groups only (make -n shows the call), every package is in one
 * group, and a missing package is named with its group and the group's
 * reason (a copy of the script with a list naming a package that is
 * not installed, --check: nothing is installed).
 */
Test(deploy, each_target_installs_only_its_dependency_groups)
{
	static const struct {
		const char	*target, *groups;
	} want[] = {
		{ "run", "build" },
		{ "check", "build test" },
		{ "asan", "build test" },
		{ "bench", "build test bench" },
		{ "fuzz", "build fuzz" },
	};
	char		 cmd[4096], dir[256], *out;
	const char	*p;
	size_t		 i;
	int		 st;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(cmd, sizeof(cmd), "make -n -s -C '%s' %s 2>&1 | grep "
		    "'^contrib/install-deps.sh' | head -1", src(),
		    want[i].target);
		out = sh(cmd, &st);
		snprintf(cmd, sizeof(cmd), "contrib/install-deps.sh %s\n",
		    want[i].groups);
		cr_expect_str_eq(out, cmd, "make %s asks for: %s",
		    want[i].target, out);
		free(out);
	}
	snprintf(cmd, sizeof(cmd), "grep -c '^contrib/install-deps.sh build "
	    "test fuzz$' '%s/.ci/run'", src());
	out = sh(cmd, &st);
	cr_expect_str_eq(out, "1\n", ".ci/run: %s", out);
	free(out);

	/* Each package once, each group with its reason. */
	snprintf(cmd, sizeof(cmd), "sed -e 's/#.*//' '%s/contrib/deps.txt' | "
	    "awk '/^\\[/ { if (NF < 2) print \"no reason: \" $0; next } "
	    "NF { print $1 }' | sort | uniq -d", src());
	out = sh(cmd, &st);
	cr_expect_str_eq(out, "", "in two groups, or a group without its "
	    "reason: %s", out);
	free(out);

	/* A missing package: its group, the reason, nothing installed. */
	hd_tmpdir(dir, sizeof(dir), "deps");
	snprintf(cmd, sizeof(cmd), "cp '%s/contrib/install-deps.sh' '%s/' && "
	    "printf '[build]\\tcompile it\\nlibc6\\t\\tlibc\\n"
	    "[test]\\trun the tests\\niridium-no-such-package\\tnone\\n' "
	    "> '%s/deps.txt' && '%s/install-deps.sh' --check build test 2>&1; "
	    "echo \"exit $?\"; '%s/install-deps.sh' --check build 2>&1; "
	    "echo \"exit $?\"; '%s/install-deps.sh' --check nosuch 2>&1; "
	    "echo \"exit $?\"", src(), dir, dir, dir, dir, dir);
	out = sh(cmd, &st);
	p = "install-deps: test (run the tests): iridium-no-such-package\n"
	    "exit 1\nexit 0\ninstall-deps: no group \"nosuch\" in ";
	cr_expect_eq(strncmp(out, p, strlen(p)), 0, "%s", out);
	cr_expect_not_null(strstr(out, "(groups: build test)\nexit 2\n"),
	    "%s", out);
	free(out);
	hd_rmtree(dir);
}

/*
 * test_worker_uids.c: every worker a uid and gid of its own (worker_uids,
 * supervisor/uidpool.c), proved from outside against the real daemon.
 *
 * As root: two workers have different uids and gids from the configured
 * range, neither in the user or group database; a process running as
 * one worker's uid cannot signal another worker, and an unrelated nobody
 * process cannot signal any; a uid goes to a new worker only after its
 * old one has been reaped, and a range with every uid held says so and
 * starts no worker with a shared one; a range that holds a user, a group
 * or a running process is refused by `iridiumd -t` with the file and
 * line; without a range, a missing user is an error, never nobody.
 * These need root (not root, workers keep the caller's uid): CI runs as
 * root and there they may not be skipped.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "probe.h"

#define T	20000

static struct hd	 d;
static int		 lock;		/* a slice this test names itself */

static void
teardown(void)
{
	hd_fini();
	hd_uids_release(lock);
}

TestSuite(uids, .fini = teardown, .timeout = 120);

/*
 * Not root, workers keep this user's uid: the test is skipped, said so
 * (and, with CI set, failed).
 */
static bool
as_root(const char *what)
{
	if (geteuid() == 0)
		return true;
	probe_ci_requires("not root (workers keep this user's uid): %s",
	    what);
	cr_skip_test("not root");
	return false;
}

/* Workers of d whose title says idle; waits for at least want. */
static int
idle_workers(pid_t *pids, int max, int want)
{
	pid_t	 all[64];
	char	 path[64], buf[256];
	int	 n, i, k, fd, tries;
	ssize_t	 len;

	for (tries = 0; tries < T / 20; tries++) {
		n = hd_children(&d, all, 64);
		for (i = k = 0; i < n && k < max; i++) {
			snprintf(path, sizeof(path), "/proc/%d/cmdline",
			    (int)all[i]);
			if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
				continue;
			len = read(fd, buf, sizeof(buf) - 1);
			close(fd);
			buf[len > 0 ? len : 0] = '\0';
			if (strstr(buf, " idle") != NULL)
				pids[k++] = all[i];
		}
		if (k >= want)
			return k;
		usleep(20000);
	}
	cr_assert_fail("%d idle workers, not %d", k, want);
	return 0;
}

/*
 * In a child with uid and gid id (and no groups): what kill(pid, sig)
 * does; 0 or an errno.
 */
static int
kill_as(uid_t id, pid_t pid, int sig)
{
	pid_t	 c;
	int	 st;

	cr_assert_neq(c = fork(), -1);
	if (c == 0) {
		if (setgroups(0, NULL) == -1 || setresgid(id, id, id) == -1 ||
		    setresuid(id, id, id) == -1)
			_exit(100);
		_exit(kill(pid, sig) == 0 ? 0 : errno);
	}
	cr_assert_eq(waitpid(c, &st, 0), c);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) != 100,
	    "could not become uid %u", (unsigned)id);
	return WEXITSTATUS(st);
}

Test(uids, two_workers_have_uids_of_their_own_in_no_database)
{
	pid_t		 w[2];
	long		 uid[2], gid[2];
	unsigned long	 first, last;
	int		 i;

	if (!as_root("the workers' own uids"))
		return;
	cr_assert_eq(hd_start(&d, NULL), 0);
	idle_workers(w, 2, 2);
	cr_assert_eq(sscanf(d.uids, "%lu-%lu", &first, &last), 2);
	for (i = 0; i < 2; i++) {
		uid[i] = proc_status_num(w[i], "Uid:");
		gid[i] = proc_status_num(w[i], "Gid:");
		cr_expect(uid[i] >= (long)first && uid[i] <= (long)last,
		    "worker %d: uid %ld, not of %s", (int)w[i], uid[i],
		    d.uids);
		cr_expect_eq(gid[i], uid[i], "worker %d: gid %ld, uid %ld",
		    (int)w[i], gid[i], uid[i]);
		cr_expect_null(getpwuid((uid_t)uid[i]), "uid %ld is a user",
		    uid[i]);
		cr_expect_null(getgrgid((gid_t)gid[i]), "gid %ld is a group",
		    gid[i]);
	}
	cr_expect_neq(uid[0], uid[1], "two workers share uid %ld", uid[0]);
	cr_expect_neq(gid[0], gid[1], "two workers share gid %ld", gid[0]);
}

Test(uids, one_workers_uid_and_nobody_cannot_signal_a_worker)
{
	struct passwd	*pw;
	pid_t		 w[2];
	long		 a, b;
	int		 e;

	if (!as_root("signals between workers' uids"))
		return;
	cr_assert_not_null(pw = getpwnam("nobody"));
	cr_assert_eq(hd_start(&d, NULL), 0);
	idle_workers(w, 2, 2);
	a = proc_status_num(w[0], "Uid:");
	b = proc_status_num(w[1], "Uid:");
	cr_assert(a > 0 && b > 0 && a != b, "uids %ld and %ld", a, b);

	/* The probe works: its own worker's uid may signal it ... */
	cr_expect_eq(e = kill_as((uid_t)a, w[0], 0), 0, "uid %ld cannot "
	    "even check on its own worker: %s", a, strerror(e));
	/* ... and not the other worker, whatever the signal. */
	cr_expect_eq(e = kill_as((uid_t)a, w[1], SIGSTOP), EPERM, "uid %ld "
	    "stopped worker %d (uid %ld): %s", a, (int)w[1], b, strerror(e));
	cr_expect_eq(e = kill_as((uid_t)a, w[1], SIGKILL), EPERM, "uid %ld "
	    "killed worker %d (uid %ld): %s", a, (int)w[1], b, strerror(e));
	cr_expect_eq(e = kill_as((uid_t)b, w[0], SIGKILL), EPERM, "uid %ld "
	    "killed worker %d: %s", b, (int)w[0], strerror(e));
	/* An unrelated process running as nobody: none. */
	cr_expect_eq(e = kill_as(pw->pw_uid, w[0], SIGKILL), EPERM,
	    "nobody killed worker %d: %s", (int)w[0], strerror(e));
	cr_expect_eq(e = kill_as(pw->pw_uid, w[1], SIGSTOP), EPERM,
	    "nobody stopped worker %d: %s", (int)w[1], strerror(e));
	/* Both still there and serving. */
	cr_expect_eq(proc_status_num(w[0], "Uid:"), a, "worker %d is gone",
	    (int)w[0]);
	cr_expect_eq(proc_status_num(w[1], "Uid:"), b, "worker %d is gone",
	    (int)w[1]);
	cr_expect_eq(hd_log_count(&d, "crashed"), 0);
	cr_expect_eq(hd_log_count(&d, "killed"), 0);
}

/*
 * Live workers of d that have dropped root (the spawner and a worker
 * still starting have not): none may share a uid. Returns how many.
 */
static int
distinct_uids(void)
{
	pid_t	 all[64];
	long	 uid[64];
	int	 n, i, j, k = 0;

	n = hd_children(&d, all, 64);
	for (i = 0; i < n; i++)
		if ((uid[i] = proc_status_num(all[i], "Uid:")) > 0)
			k++;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			cr_assert(uid[i] <= 0 || uid[i] != uid[j],
			    "workers %d and %d share uid %ld", (int)all[i],
			    (int)all[j], uid[i]);
	return k;
}

Test(uids, a_uid_goes_to_a_new_worker_only_after_its_old_one_is_reaped)
{
	char		 range[32], uids[32], needle[128];
	const char	*argv[] = { "--worker-uids", uids, "--log-level", "debug",
	    "--pool", "min_spare=2", "--pool", "max_spare=2", "--pool",
	    "max_workers=4", NULL };
	unsigned long	 first, last;
	const char	*ended, *spawned, *first_given;
	pid_t		 w;
	long		 uid;
	int		 c, i;
	char		*s;

	if (!as_root("the reuse of worker uids"))
		return;
	/* Two uids for a pool that wants two spares besides a session. */
	lock = hd_uids_take(range, sizeof(range));
	cr_assert_eq(sscanf(range, "%lu-%lu", &first, &last), 2);
	snprintf(uids, sizeof(uids), "%lu-%lu", first, first + 1);
	cr_assert_eq(hd_start(&d, argv), 0);
	cr_assert_geq(c = tc_session(&d), 0);
	s = tc_cmd(c, "load $1 #7");
	cr_assert_not_null(s);
	free(s);
	cr_assert_gt(w = hd_worker_for_port(&d, tc_local_port(c)), 0);
	uid = proc_status_num(w, "Uid:");
	/* The pool wants a new spare and has no uid for it: said, waited. */
	snprintf(needle, sizeof(needle), "every worker uid (2 of worker_uids "
	    "%s) is held by a worker: no new worker until one exits", uids);
	cr_expect(hd_wait_log(&d, needle, T), "no \"%s\"", needle);
	for (i = 0; i < 20; i++) {
		cr_expect_leq(distinct_uids(), 2, "a third worker with two "
		    "uids");
		usleep(50000);
	}
	/* The session ends; its worker is reaped; then its uid is reused. */
	tc_send(c, "!quit\r\n");
	free(tc_read_all(c, T, NULL));
	close(c);
	cr_assert(hd_wait_log(&d, "ended (quit)", T));
	ended = strstr(d.log, "ended (quit)");
	snprintf(needle, sizeof(needle), "(uid %ld)", uid);
	spawned = NULL;
	for (i = 0; i < T / 20 && spawned == NULL; i++) {
		(void)hd_log_count(&d, "\001");
		if ((spawned = strstr(ended, needle)) == NULL)
			usleep(20000);
	}
	cr_expect_not_null(spawned, "uid %ld was not used again", uid);
	/* Between its first worker's start and that reap: no one had it. */
	first_given = strstr(d.log, needle);
	cr_expect(first_given != NULL && first_given < ended &&
	    strstr(first_given + 1, needle) == spawned, "uid %ld was handed "
	    "out again before its worker was reaped", uid);
	distinct_uids();
}

/* A user's uid (not root's, not nobody's) from the database. */
static struct passwd *
some_user(void)
{
	struct passwd	*pw;

	setpwent();
	while ((pw = getpwent()) != NULL)
		if (pw->pw_uid > 0 && pw->pw_uid < 65534 && pw->pw_uid > 5)
			break;
	endpwent();
	cr_assert_not_null(pw, "no user but root and nobody");
	return pw;
}

/* iridiumd -t -f a file saying text; its status, stderr in *err. */
static int
check_conf(const char *text, char *path, size_t pathlen, char **err)
{
	const char	*av[] = { hd_bin("iridiumd"), "-t", "-f", path,
	    "--worker-path", hd_bin("iridium-worker"), NULL };
	static char	 dir[256];
	char		*out;
	int		 rc;

	if (dir[0] == '\0')
		hd_tmpdir(dir, sizeof(dir), "uids");
	snprintf(path, pathlen, "%s/iridiumd.conf", dir);
	hd_write(path, text);
	rc = hd_run(av, &out, err, T);
	free(out);
	return rc;
}

Test(uids, a_range_holding_a_user_group_or_process_is_refused_with_file_and_line)
{
	struct passwd	*pw;
	char		 text[256], path[300], want[512], range[32];
	unsigned long	 first, last;
	char		*err;
	pid_t		 c;
	int		 st, p[2];

	if (!as_root("the check of worker_uids against the system"))
		return;
	pw = some_user();
	snprintf(text, sizeof(text), "[daemon]\nlog_level = info\n"
	    "worker_uids = %u-%u\n", (unsigned)pw->pw_uid,
	    (unsigned)pw->pw_uid + 4);
	cr_assert_eq(check_conf(text, path, sizeof(path), &err), 1);
	snprintf(want, sizeof(want), "%s:3: [daemon] worker_uids %u-%u: uid "
	    "%u is user %s's; the workers' uids must be no one else's\n",
	    path, (unsigned)pw->pw_uid, (unsigned)pw->pw_uid + 4,
	    (unsigned)pw->pw_uid, pw->pw_name);
	cr_expect_not_null(strstr(err, want), "wanted %s in: %s", want, err);
	free(err);

	/* A process of the range's, unknown to the database. */
	lock = hd_uids_take(range, sizeof(range));
	cr_assert_eq(sscanf(range, "%lu-%lu", &first, &last), 2);
	cr_assert_eq(pipe(p), 0);
	cr_assert_neq(c = fork(), -1);
	if (c == 0) {
		close(p[0]);
		if (setgroups(0, NULL) == -1 ||
		    setresgid((gid_t)last, (gid_t)last, (gid_t)last) == -1 ||
		    setresuid((uid_t)last, (uid_t)last, (uid_t)last) == -1)
			_exit(1);
		close(p[1]);
		pause();
		_exit(0);
	}
	close(p[1]);
	cr_assert_eq(read(p[0], text, 1), 0);	/* it has dropped */
	close(p[0]);
	snprintf(text, sizeof(text), "[daemon]\nworker_uids = %s\n", range);
	st = check_conf(text, path, sizeof(path), &err);
	kill(c, SIGKILL);
	waitpid(c, NULL, 0);
	cr_assert_eq(st, 1, "%s", err);
	snprintf(want, sizeof(want), "%s:2: [daemon] worker_uids %s: uid %lu "
	    "is in use by process %d ", path, range, last, (int)c);
	cr_expect_not_null(strstr(err, want), "wanted %s in: %s", want, err);
	free(err);

	/* The same range, free again: accepted. */
	cr_expect_eq(check_conf(text, path, sizeof(path), &err), 0, "%s",
	    err);
	free(err);
}

Test(uids, without_a_range_a_missing_user_is_an_error_not_nobody)
{
	char		 path[300];
	char		*err;

	if (!as_root("the workers' user"))
		return;
	cr_assert_eq(check_conf("[daemon]\nworker_uids =\nuser = "
	    "no-such-iridium-user\n", path, sizeof(path), &err), 1);
	cr_expect_not_null(strstr(err, ":3: [daemon] user: no user "
	    "no-such-iridium-user for the workers (create it, or set "
	    "worker_uids)\n"), "%s", err);
	cr_expect_null(strstr(err, "nobody"), "%s", err);
	free(err);
}

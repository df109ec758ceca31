/*
 * test_hostile.c: workers that break the rules. The daemon runs the
 * test-only worker (iridium-worker-test), whose `!test NAME` command makes
 * it act like a compromised worker; the supervisor must kill it, log why,
 * and go on serving everyone else.
 */
#include <criterion/criterion.h>

#include <sys/stat.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

#define PROMPT	">>> "

static struct hd	 d;

TestSuite(hostile, .fini = hd_fini, .timeout = 120);

static void
start_hostile(const char *const extra[])
{
	const char	*argv[32];
	int		 n = 0, i;

	argv[n++] = "--worker-path";
	argv[n++] = hd_bin("iridium-worker-test");
	for (i = 0; extra != NULL && extra[i] != NULL; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	cr_assert_eq(hd_start(&d, argv), 0);
}

/* A bystander session, then the hostile one; the bystander survives. */
static void
hostile(const char *hook, const char *logline)
{
	char	 cmd[64], *s;
	int	 victim, bystander;

	start_hostile(NULL);
	bystander = tc_session(&d);
	victim = tc_session(&d);
	cr_assert(bystander >= 0 && victim >= 0);
	snprintf(cmd, sizeof(cmd), "!test %s\r\n", hook);
	tc_send(victim, cmd);
	cr_assert(hd_wait_log(&d, logline, 20000), "no \"%s\" in the log",
	    logline);
	/* The victim's connection ends with its worker. */
	s = tc_read_all(victim, 10000, NULL);
	free(s);
	close(victim);
	tc_assert_served(&d, bystander);
}

Test(hostile, a_malformed_message_gets_the_worker_killed)
{
	hostile("malformed", "protocol violation: message: invalid JSON");
	cr_assert(hd_wait_log(&d, "killing it", 1000));
}

Test(hostile, a_message_out_of_state_gets_the_worker_killed)
{
	hostile("outofstate", "protocol violation: ready: not allowed in "
	    "state busy");
}

Test(hostile, an_unknown_field_gets_the_worker_killed)
{
	hostile("badfield", "protocol violation: status: unexpected field");
}

Test(hostile, an_fd_where_none_belongs_gets_the_worker_killed)
{
	hostile("fd", "protocol violation: status: unexpected fd");
}

Test(hostile, an_oversized_datagram_gets_the_worker_killed)
{
	hostile("big", "protocol violation: message: longer than 65536");
}

Test(hostile, a_flood_gets_the_worker_killed_and_costs_nothing)
{
	hostile("flood", "protocol violation: message flood");
	/* The flood never reached the log beyond the per-second budget. */
	cr_assert_gt(hd_log_count(&d, "test flood "), 0, "some got through");
	cr_assert_leq(hd_log_count(&d, "test flood "), 20,
	    "no more than a second's budget of log lines");
}

Test(hostile, an_abort_is_a_crash)
{
	hostile("crash", "crashed (signal 6 (ABRT))");
}

Test(hostile, an_exit_without_session_end_is_a_failure)
{
	hostile("exit", "failed (exit 3)");
}

Test(hostile, a_hung_worker_is_killed_after_the_ping_timeout)
{
	static const char *const argv[] = { "--pool", "ping_interval=1",
	    "--pool", "ping_timeout=1", "--pool", "kill_timeout=3", NULL };
	int	 victim, bystander;
	char	*s;

	start_hostile(argv);
	bystander = tc_session(&d);
	victim = tc_session(&d);
	cr_assert(bystander >= 0 && victim >= 0, "sessions %d %d", bystander,
	    victim);
	tc_send(victim, "!test hang\r\n");
	cr_assert(hd_wait_log(&d, "unresponsive", 20000));
	cr_assert(hd_wait_log(&d, "no answer to ping", 20000));
	s = tc_cmd(bystander, "load $1 #1");
	cr_assert_not_null(s, "the bystander is still served");
	free(s);
	close(victim);
	close(bystander);
}

Test(hostile, a_worker_binary_that_dies_at_once_throttles_spawning)
{
	/* /bin/false exits 1 before saying ready: spawning must pause. */
	static const char *const argv[] = { "--worker-path", "/bin/false",
	    "--pool", "throttle=30", NULL };
	int	 n;

	cr_assert_eq(hd_start(&d, argv), 0);
	cr_assert(hd_wait_log(&d, "died before it was ready; spawning "
	    "paused for 30s", 10000));
	sleep(3);
	n = hd_log_count(&d, "died before it was ready");
	cr_assert_leq(n, 2, "%d deaths in 3 s: the supervisor spins", n);
}

/*
 * A worker program that passes iridiumd's start-up check (it exists and
 * is executable) but cannot be executed: a script whose interpreter is
 * missing, as after a botched upgrade. exec fails inside posix_spawn, so
 * no worker process ever exists: spawning must pause all the same, with
 * the reason in the log.
 */
Test(hostile, a_worker_program_that_cannot_be_executed_throttles_spawning)
{
	char		 path[] = "/tmp/iridium-test-noexec-XXXXXX";
	const char	*argv[] = { "--worker-path", path, "--pool",
			    "throttle=30", NULL };
	int		 fd, n;

	cr_assert_neq(fd = mkstemp(path), -1);
	cr_assert_eq(write(fd, "#!/nonexistent/interpreter\n", 27), 27);
	cr_assert_eq(fchmod(fd, 0755), 0);
	close(fd);
	cr_assert_eq(hd_start(&d, argv), 0);
	cr_assert(hd_wait_log(&d, "cannot start worker /tmp/iridium-test-"
	    "noexec-", 10000));
	cr_assert(hd_wait_log(&d, ": No such file or directory; spawning "
	    "paused for 30s", 1000));
	sleep(3);
	n = hd_log_count(&d, "cannot start worker");
	unlink(path);
	cr_assert_leq(n, 2, "%d failures in 3 s: the supervisor spins", n);
}

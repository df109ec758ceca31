/*
 * test_daemon.c: the real iridiumd and its real workers on loopback,
 * driven the way clients drive them: sockets, nc and telnet.
 */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <regex.h>

#include "harness.h"
#include "probe.h"

#define BANNER	"Welcome to Iridium! Let's be productive!\r\n"
#define PROMPT	">>> "
#define T_MS	20000

static struct hd	 d;

static void
start(const char *const argv[])
{
	cr_assert_eq(hd_start(&d, argv), 0, "iridiumd did not start");
}

TestSuite(daemon, .fini = hd_fini, .timeout = 120);

/* The value of $n in !registers output. */
static long
reg_value(const char *regs, int n)
{
	char		 key[8];
	const char	*p;

	snprintf(key, sizeof(key), "$%-2d ", n);
	p = strstr(regs, key);
	cr_assert_not_null(p, "no %s in %s", key, regs);
	return strtol(p + strlen(key), NULL, 10);
}

Test(daemon, banner_prompt_and_a_typed_program)
{
	char	*s;
	int	 fd;

	start(NULL);
	fd = tc_connect(d.host, d.port);
	cr_assert_geq(fd, 0);
	s = tc_read_until(fd, PROMPT, 10000);
	cr_assert_not_null(s);
	cr_assert_str_eq(s, BANNER PROMPT);
	free(s);

	free(tc_cmd(fd, "load $1 #20"));
	free(tc_cmd(fd, "load $2 #22"));
	free(tc_cmd(fd, "add $1 $2 $3"));
	s = tc_cmd(fd, "!registers");
	cr_assert_not_null(s);
	cr_assert_eq(reg_value(s, 3), 42);
	cr_assert_not_null(strstr(s, "\r\n"), "CRLF line ends");
	free(s);
	s = tc_cmd(fd, "div $1 $0 $4");
	cr_assert_not_null(strstr(s, "division by zero"), "%s", s);
	free(s);
	close(fd);
}

Test(daemon, load_a_whole_program_with_output)
{
	char	*s;
	int	 fd;

	start(NULL);
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	tc_send(fd, "!load\r\n");
	tc_send(fd, ".data\r\nmsg: .asciiz 'Hello from Iridium'\r\n.code\r\n");
	tc_send(fd, "cloop #2\r\nagain: prts @msg\r\nloop @again\r\nhlt\r\n");
	s = tc_cmd(fd, "!end");
	cr_assert_not_null(s);
	cr_assert_not_null(strstr(s, "Hello from IridiumHello from Iridium"
	    "Hello from Iridium\r\n"), "%s", s);
	free(s);
	close(fd);
}

Test(daemon, quit_ends_only_that_session)
{
	char	*s;
	int	 a, b;

	start(NULL);
	a = tc_session(&d);
	b = tc_session(&d);
	cr_assert(a >= 0 && b >= 0);
	tc_send(a, "!quit\r\n");
	s = tc_read_all(a, 10000, NULL);
	cr_assert_not_null(strstr(s, "Farewell! Have a great day!\r\n"), "%s",
	    s);
	free(s);
	s = tc_cmd(b, "load $0 #7");
	cr_assert_not_null(s, "the other session goes on");
	free(s);
	cr_assert(hd_wait_log(&d, "ended (quit)", 10000));
	close(a);
	close(b);
}

struct conc {
	int	 fd;
	int	 value;
};

Test(daemon, fifty_concurrent_sessions_have_their_own_vms)
{
	static const char *const argv[] = { "--pool", "queue=64", "--pool",
	    "min_spare=4", NULL };
	struct conc	 c[50];
	char		 line[64], *s;
	int		 i;

	start(argv);
	for (i = 0; i < 50; i++) {
		c[i].fd = tc_connect(d.host, d.port);
		cr_assert_geq(c[i].fd, 0, "connect %d", i);
		c[i].value = 1000 + i;
	}
	for (i = 0; i < 50; i++) {
		s = tc_read_until(c[i].fd, PROMPT, 30000);
		cr_assert_not_null(s, "session %d got no prompt", i);
		free(s);
		snprintf(line, sizeof(line), "load $5 #%d", c[i].value);
		free(tc_cmd(c[i].fd, line));
	}
	for (i = 0; i < 50; i++) {
		s = tc_cmd(c[i].fd, "!registers");
		cr_assert_not_null(s);
		cr_assert_eq(reg_value(s, 5), c[i].value, "session %d", i);
		cr_assert_eq(reg_value(s, 6), 0);
		free(s);
	}
	/* 50 distinct worker processes served them. */
	{
		pid_t	 seen[50];

		for (i = 0; i < 50; i++) {
			seen[i] = hd_worker_for_port(&d,
			    tc_local_port(c[i].fd));
			cr_assert_gt(seen[i], 0, "no worker for session %d",
			    i);
			for (int j = 0; j < i; j++)
				cr_assert_neq(seen[i], seen[j]);
		}
	}
	for (i = 0; i < 50; i++)
		close(c[i].fd);
}

Test(daemon, idle_warning_then_timeout)
{
	static const char *const argv[] = { "--limit", "idle=3", "--limit",
	    "idle_warn=2", NULL };
	char	*s;
	int	 fd;

	start(argv);
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	s = tc_read_all(fd, 15000, NULL);
	cr_assert_not_null(strstr(s, "warning: idle"), "%s", s);
	cr_assert_not_null(strstr(s, "Idle timeout. Goodbye!"), "%s", s);
	cr_assert(strstr(s, "warning: idle") < strstr(s, "Idle timeout"));
	free(s);
	cr_assert(hd_wait_log(&d, "ended (idle)", 10000));
	close(fd);
}

Test(daemon, a_one_mebibyte_line_is_refused_and_the_session_goes_on)
{
	char	*big, *s;
	int	 fd;

	start(NULL);
	fd = tc_session(&d);
	big = malloc(1 << 20);
	memset(big, 'a', 1 << 20);
	tc_sendn(fd, big, 1 << 20);
	tc_send(fd, "\r\n");
	free(big);
	s = tc_read_until(fd, PROMPT, 20000);
	cr_assert_not_null(s);
	cr_assert_not_null(strstr(s, "line too long"), "%s", s);
	free(s);
	s = tc_cmd(fd, "load $1 #5");
	cr_assert_not_null(s);
	free(s);
	s = tc_cmd(fd, "!registers");
	cr_assert_eq(reg_value(s, 1), 5);
	free(s);
	close(fd);
}

Test(daemon, binary_garbage_gets_errors_not_a_crash)
{
	unsigned char	 junk[4096];
	char		*s;
	int		 fd, i;

	start(NULL);
	fd = tc_session(&d);
	srand(7);
	for (i = 0; i < (int)sizeof(junk); i++) {
		junk[i] = (unsigned char)rand();
		if (junk[i] == 0xff || junk[i] == '\n')
			junk[i] = 'x';	/* no IAC, lines of 4 KiB max */
	}
	for (i = 0; i < 64; i++)
		junk[i * 60] = '\n';
	tc_sendn(fd, junk, sizeof(junk));
	tc_send(fd, "\r\nload $2 #9\r\n!registers\r\n");
	s = tc_read_until(fd, "loop_counter", 20000);
	cr_assert_not_null(s, "the session survives garbage");
	cr_assert_eq(reg_value(strstr(s, "integer registers"), 2), 9);
	free(s);
	close(fd);
	cr_assert_eq(hd_log_count(&d, "crashed"), 0);
}

Test(daemon, telnet_iac_is_stripped_and_ip_interrupts)
{
	/* IAC WILL ECHO, IAC DO SGA, then a command with IAC IAC inside a
	 * comment, then an endless loop interrupted by IAC IP. */
	static const unsigned char neg[] = { 255, 251, 1, 255, 253, 3 };
	static const unsigned char ip[] = { 255, 244 };
	static const char *const argv[] = { "--limit", "budget=100000000000",
	    NULL };
	char	*s;
	int	 fd;

	start(argv);
	fd = tc_session(&d);
	tc_sendn(fd, neg, sizeof(neg));
	s = tc_cmd(fd, "load $3 #33");
	cr_assert_not_null(s);
	free(s);
	s = tc_cmd(fd, "!registers");
	cr_assert_eq(reg_value(s, 3), 33, "negotiation bytes stripped");
	free(s);

	tc_send(fd, "here: djmpe @here\r\n");	/* flag false: falls through */
	free(tc_read_until(fd, PROMPT, 10000));
	tc_send(fd, "eq $0 $0\r\n");
	free(tc_read_until(fd, PROMPT, 10000));
	tc_send(fd, "loop2: djmpe @loop2\r\n");	/* spins: flag true */
	usleep(300000);
	tc_sendn(fd, ip, sizeof(ip));
	s = tc_read_until(fd, PROMPT, 20000);
	cr_assert_not_null(s, "IAC IP interrupted the loop");
	cr_assert_not_null(strstr(s, "interrupted"), "%s", s);
	free(s);
	close(fd);
}

Test(daemon, a_client_that_never_reads_is_cut_off)
{
	static const char *const argv[] = { "--limit", "outbuf_max=65536",
	    "--limit", "output_rate=0", NULL };
	int	 fd, rcvbuf = 4096;

	start(argv);
	fd = tc_connect(d.host, d.port);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	free(tc_read_until(fd, PROMPT, 10000));
	tc_send(fd, "!load\r\n.data\r\nm: .asciiz 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'\r\n.code\r\n"
	    "top: prts @m\r\nload $0 @top\r\njmp $0\r\n!end\r\n");
	/* Never read: the worker must give up on us, not buffer forever. */
	cr_assert(hd_wait_log(&d, "ended (output)", 30000) ||
	    hd_wait_log(&d, "output", 1000));
	close(fd);
	cr_assert_eq(hd_log_count(&d, "crashed"), 0);
}

Test(daemon, pool_grows_to_max_workers_then_says_busy)
{
	static const char *const argv[] = { "--pool", "max_workers=3",
	    "--pool", "min_spare=1", "--pool", "max_spare=3", "--pool",
	    "queue=1", "--pool", "queue_timeout=60", NULL };
	int	 fd[3], q, extra;
	char	*s;

	start(argv);
	for (int i = 0; i < 3; i++) {
		fd[i] = tc_session(&d);
		cr_assert_geq(fd[i], 0, "session %d", i);
	}
	q = tc_connect(d.host, d.port);	/* waits in the queue */
	cr_assert_geq(q, 0);
	usleep(300000);
	extra = tc_connect(d.host, d.port);
	s = tc_read_all(extra, 10000, NULL);
	cr_assert_str_eq(s, "Server busy, please try again later.\r\n");
	free(s);
	close(extra);
	/* One session ends: the queued connection gets its worker. */
	tc_send(fd[0], "!quit\r\n");
	s = tc_read_until(q, PROMPT, 20000);
	cr_assert_not_null(s);
	cr_assert_not_null(strstr(s, BANNER));
	free(s);
	cr_assert(hd_wait_log(&d, "refused", 1000));
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	close(q);
}

Test(daemon, kill_9_of_a_busy_worker_ends_only_its_session)
{
	int	 a, b;
	pid_t	 w;
	char	*s;

	start(NULL);
	a = tc_session(&d);
	b = tc_session(&d);
	w = hd_worker_for_port(&d, tc_local_port(a));
	cr_assert_gt(w, 0);
	cr_assert_eq(kill(w, SIGKILL), 0);
	s = tc_read_all(a, 10000, NULL);
	free(s);
	cr_assert(hd_wait_log(&d, "crashed (signal 9 (KILL))", 10000));
	tc_assert_served(&d, b);
	close(a);
}

/*
 * What status says of worker w: 1 when the pool counts one unresponsive
 * worker and w has gone at least 2 s without answering, 0 when the pool
 * counts none and w answers; -1 otherwise.
 */
static int
stopped_in_status(pid_t w)
{
	json_t		*j = hd_status(&d), *o;
	long long	 pool, secs = -1;
	size_t		 i;
	int		 r = -1;

	pool = hd_json_num(json_array_get(json_object_get(j, "pools"), 0),
	    "unresponsive");
	json_array_foreach(json_object_get(j, "workers"), i, o)
		if (hd_json_num(o, "pid") == w)
			secs = hd_json_num(o, "unresponsive_seconds");
	if (pool == 1 && secs >= 2)
		r = 1;
	else if (pool == 0 && secs == 0)
		r = 0;
	json_decref(j);
	return r;
}

Test(daemon, a_stopped_worker_is_reported_unresponsive)
{
	static const char *const argv[] = { "--pool", "ping_interval=1",
	    "--pool", "ping_timeout=2", "--pool", "kill_timeout=60", NULL };
	int	 a, b;
	pid_t	 w;
	char	*s, want[64];

	start(argv);
	a = tc_session(&d);
	b = tc_session(&d);
	w = hd_worker_for_port(&d, tc_local_port(a));
	cr_assert_gt(w, 0);
	kill(w, SIGSTOP);
	cr_assert(hd_wait_log(&d, "unresponsive", 15000));
	s = tc_cmd(b, "load $1 #1");
	cr_assert_not_null(s, "others keep being served");
	free(s);
	/* status says so: the pool's count, the worker's seconds, the text */
	cr_assert_eq(stopped_in_status(w), 1);
	cr_assert_eq(hd_ctl(&d, NULL, &s, NULL, "status", NULL), 0);
	snprintf(want, sizeof(want), "unresponsive: worker %d ", (int)w);
	cr_assert_not_null(strstr(s, want), "%s", s);
	free(s);
	kill(w, SIGCONT);
	cr_assert(hd_wait_log(&d, "responsive again", 15000));
	cr_assert_eq(stopped_in_status(w), 0);
	close(a);
	close(b);
}

Test(daemon, an_unresponsive_worker_is_killed_after_the_timeout)
{
	static const char *const argv[] = { "--pool", "ping_interval=1",
	    "--pool", "ping_timeout=1", "--pool", "kill_timeout=3", NULL };
	int	 a;
	pid_t	 w;

	start(argv);
	a = tc_session(&d);
	w = hd_worker_for_port(&d, tc_local_port(a));
	cr_assert_gt(w, 0);
	kill(w, SIGSTOP);
	cr_assert(hd_wait_log(&d, "no answer to ping", 20000));
	cr_assert(hd_wait_log(&d, "killed", 10000));
	free(tc_read_all(a, 5000, NULL));
	close(a);
}

Test(daemon, term_says_goodbye_to_open_sessions)
{
	int	 fd[3], i;
	char	*s;

	start(NULL);
	for (i = 0; i < 3; i++)
		fd[i] = tc_session(&d);
	cr_assert_eq(hd_stop(&d, SIGTERM, 20000), 0, "exit status 0");
	for (i = 0; i < 3; i++) {
		s = tc_read_all(fd[i], 5000, NULL);
		cr_assert_not_null(strstr(s, "Server shutting down. Goodbye!"),
		    "session %d: %s", i, s);
		free(s);
		close(fd[i]);
	}
	cr_assert(strstr(d.log, "SIGTERM from pid ") != NULL);
	cr_assert(strstr(d.log, ": shutting down") != NULL);
}

Test(daemon, its_fd_count_is_unchanged_after_2000_sessions)
{
	static const char *const argv[] = { "--pool", "min_spare=8",
	    "--pool", "max_spare=16", "--pool", "queue=64", NULL };
	int	 before, after, i, fd;
	char	*s;

	start(argv);
	cr_assert(hd_wait_log(&d, "listening", 1000));
	fd = tc_session(&d);
	free(tc_cmd(fd, "!quit"));
	close(fd);
	usleep(200000);
	before = proc_fd_count(d.pid);
	for (i = 0; i < 2000; i++) {
		fd = tc_session(&d);
		cr_assert_geq(fd, 0, "session %d", i);
		tc_send(fd, "!quit\r\n");
		s = tc_read_all(fd, 10000, NULL);
		cr_assert_not_null(strstr(s, "Farewell"), "session %d", i);
		free(s);
		close(fd);
	}
	/* Let the last workers be reaped and the pool settle. */
	for (i = 0; i < 50; i++) {
		usleep(100000);
		after = proc_fd_count(d.pid);
		if (after == before)
			break;
	}
	/*
	 * The number of workers (2 fds each) may differ by a few between
	 * the two readings; the leak this guards against is per session.
	 */
	cr_assert_leq(abs(after - before), 2 * 16, "fds before %d after %d",
	    before, after);
	cr_assert_eq(hd_log_count(&d, "crashed"), 0);
}

Test(daemon, refuses_a_non_loopback_line_listener)
{
	static const char *const argv[] = { "--bind-host", "0.0.0.0",
	    "--bind-port", "0", NULL };
	static struct hd h;	/* hd_fini keeps its address */

	cr_assert_eq(hd_start_raw(&h, argv, NULL), 0);
	cr_assert_eq(hd_stop(&h, 0, 10000), 1);
	cr_assert_not_null(strstr(h.log, "refusing to serve the "
	    "unauthenticated line transport"), "%s", h.log);
	hd_cleanup(&h);
}

/*
 * Where the machine has IPv6 on loopback, a session over it; where it has
 * none (ipv6.disable=1, or disabled on lo), a clear refusal to start.
 */
Test(daemon, ipv6_loopback_works)
{
	static const char *const argv[] = { "--bind-host", "::1", NULL };
	const char	*raw[] = { "--bind-host", "::1", "--bind-port", "0",
	    "--run-dir", NULL, "--worker-path", hd_bin("iridium-worker"),
	    NULL };
	static struct hd h;	/* hd_fini keeps its address */
	char		 why[128], dir[256];
	char		*s;
	int		 fd;

	if (!probe_ipv6_loopback(why, sizeof(why))) {
		probe_case("%s: iridiumd must refuse to start on it", why);
		hd_tmpdir(dir, sizeof(dir), "run");
		raw[5] = dir;
		cr_assert_eq(hd_start_raw(&h, raw, NULL), 0);
		cr_assert_eq(hd_stop(&h, 0, 10000), 1);
		cr_assert_not_null(strstr(h.log, "listener line: ::1 port 0: "),
		    "%s", h.log);
		hd_cleanup(&h);
		hd_rmtree(dir);
		return;
	}
	probe_case("%s: a session over it", why);
	start(argv);
	cr_assert_str_eq(d.host, "::1");
	fd = tc_connect(d.host, d.port);
	cr_assert_geq(fd, 0);
	s = tc_read_until(fd, PROMPT, 10000);
	cr_assert_not_null(s);
	free(s);
	close(fd);
}

/* Real clients: nc from netcat-openbsd and telnet. */
static char *
run_tool(const char *cmd)
{
	FILE	*f = popen(cmd, "r");
	char	*buf = calloc(1, 1 << 16);
	size_t	 n;

	cr_assert_not_null(f);
	n = fread(buf, 1, (1 << 16) - 1, f);
	buf[n] = '\0';
	pclose(f);
	return buf;
}

Test(daemon, nc_client)
{
	char	 cmd[256], *out;

	start(NULL);
	snprintf(cmd, sizeof(cmd), "printf 'load $4 #99\\n!registers\\n"
	    "!quit\\n' | nc -q 5 %s %d", d.host, d.port);
	out = run_tool(cmd);
	cr_assert_not_null(strstr(out, BANNER), "%s", out);
	cr_assert_eq(reg_value(out, 4), 99);
	cr_assert_not_null(strstr(out, "Farewell"));
	free(out);
}

/*
 * The README's tour pipes a script into nc: run that line as it stands
 * (on this daemon's port) and it must end by itself, with the output.
 * Debian's nc sends no EOF without -N, so every place the docs pipe into
 * nc must say -N.
 */
Test(daemon, the_documented_scripted_nc_session_ends_by_itself)
{
	static const char *const docs[] = { "README.md", "Makefile",
	    "contrib/man/iridiumd.8", "contrib/man/iridium.1",
	    "contrib/man/iridium-worker.8", "contrib/man/iridiumctl.8",
	    "contrib/man/iridiumd.conf.5", "contrib/man/iridium.7",
	    "contrib/man/iridium-security.7", "contrib/man/iridium-deploy.7",
	    "contrib/iridiumd.dev.conf", NULL };
	const char	*src = getenv("IRIDIUM_SRC");
	char		 path[512], line[1024], cmd[1400], *p, *q, *out;
	char		 tmp[] = "/tmp/iridium-test-nc-XXXXXX";
	FILE		*f;
	size_t		 i;
	int		 ln, tmpfd, found = 0;

	cr_assert_not_null(src);
	for (i = 0; docs[i] != NULL; i++) {
		snprintf(path, sizeof(path), "%s/%s", src, docs[i]);
		cr_assert_not_null(f = fopen(path, "re"), "%s", path);
		for (ln = 1; fgets(line, sizeof(line), f) != NULL; ln++) {
			for (p = line; (p = strstr(p, "| nc ")) != NULL; p++)
				cr_expect(strncmp(p, "| nc -N ", 8) == 0,
				    "%s:%d pipes into nc without -N: %s",
				    docs[i], ln, line);
			if (i == 0 && found == 0 &&
			    strncmp(line, "$ printf ", 9) == 0 &&
			    strstr(line, "| nc -N 127.0.0.1 2244") != NULL) {
				snprintf(cmd, sizeof(cmd), "%s", line + 2);
				found = ln;
			}
		}
		fclose(f);
	}
	cr_assert(found > 0, "no \"$ printf ... | nc -N 127.0.0.1 2244\" line "
	    "in README.md");
	/* The command as written, on our port, with a bound on its time. */
	cr_assert_not_null(p = strstr(cmd, "127.0.0.1 2244"), "%s", cmd);
	cmd[strcspn(cmd, "\n")] = '\0';
	start(NULL);
	q = strdup(p + strlen("127.0.0.1 2244"));
	snprintf(p, sizeof(cmd) - (size_t)(p - cmd), "%s %d%s", d.host, d.port,
	    q);
	free(q);
	/* As a shell would run it: from a file, so nothing is re-quoted. */
	tmpfd = mkstemp(tmp);
	cr_assert_neq(tmpfd, -1);
	cr_assert_eq(write(tmpfd, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	close(tmpfd);
	snprintf(line, sizeof(line), "timeout 20 sh %s 2>&1; echo \"exit $?\"",
	    tmp);
	out = run_tool(line);
	unlink(tmp);
	cr_expect_not_null(strstr(out, "exit 0\n"), "README.md:%d's command "
	    "did not end by itself: %s", found, out);
	cr_expect_not_null(strstr(out, "integer registers:"), "%s", out);
	cr_expect(hd_wait_log(&d, "ended (hangup)", 10000));
	free(out);
}

/*
 * The log says each event once, and every count agrees with its noun:
 * "1 ssh key from 1 authorized_keys file", "4 workers get". A start
 * (as root: the workers' uids, once), an ssh key, a reload, a shutdown.
 */
Test(daemon, each_event_is_one_line_and_counts_agree_with_their_nouns)
{
	/* A count and a noun of the log's: 1 with a plural, or not 1 with a
	 * singular, is wrong. */
	static const char one_plural[] = "(^|[^0-9.:-])1 (more )?(workers|"
	    "sessions|keys|ssh keys|files|connections|errors|lines|log lines|"
	    "seconds|sockets|listening sockets|idle workers|uids)[^a-z_]";
	static const char many_singular[] = "(^|[^0-9.:-])([02-9]|[0-9]{2,}) "
	    "(more )?(worker|session|key|ssh key|file|connection|error|line|"
	    "log line|second|socket|listening socket|idle worker|uid)[^a-z_s]";
	char		 dir[256], text[1024];
	regex_t		 re1, re2;
	regmatch_t	 m;

	hd_tmpdir(dir, sizeof(dir), "keys");
	hd_sh("ssh-keygen -q -t ed25519 -N '' -C dev -f %s/dev", dir);
	snprintf(text, sizeof(text), "[daemon]\nstate_dir = %s\n"
	    "ssh_worker_path = %s\n[pool]\nmin_spare = 1\nmax_spare = 1\n"
	    "[listener line]\ntransport = line\nport = 0\n"
	    "[listener ssh]\ntransport = ssh\nport = 0\n"
	    "[tenant dev]\nauthorized_keys = dev.pub\n", dir,
	    hd_bin("iridium-worker-ssh"));
	hd_start_conf(&d, text, "iridium-worker");
	cr_expect(hd_wait_log(&d, "1 ssh key from 1 authorized_keys file\n",
	    T_MS));
	cr_expect(hd_wait_log(&d, "ready: every pool has its spare workers",
	    T_MS));
	kill(d.pid, SIGHUP);
	cr_expect(hd_wait_log(&d, "idle workers of older generations to be "
	    "replaced; 1 ssh key from 1 authorized_keys file\n", T_MS), "%s",
	    d.log);
	cr_expect_eq(hd_stop(&d, SIGTERM, T_MS), 0);
	cr_expect_not_null(strstr(d.log, "shutting down, "), "%s", d.log);
	/* One event, one line: the workers' identity is said once. */
	if (geteuid() == 0)
		cr_expect_eq(hd_log_count(&d, "workers run "), 1, "%s", d.log);
	cr_expect_null(strstr(d.log, "nobody"), "%s", d.log);
	cr_assert_eq(regcomp(&re1, one_plural, REG_EXTENDED | REG_NEWLINE),
	    0);
	cr_assert_eq(regcomp(&re2, many_singular, REG_EXTENDED |
	    REG_NEWLINE), 0);
	cr_expect_neq(regexec(&re1, d.log, 1, &m, 0), 0, "a plural after 1: "
	    "%.80s", d.log + m.rm_so);
	cr_expect_neq(regexec(&re2, d.log, 1, &m, 0), 0, "a singular after "
	    "a count other than 1: %.80s", d.log + m.rm_so);
	regfree(&re1);
	regfree(&re2);
	hd_rmtree(dir);
}

/*
 * Every binary's --help: exit 0, "usage:" first, no line past 80
 * columns, and iridiumd's note on -f a whole sentence (it once stopped
 * at "defaults and flags").
 */
Test(daemon, every_usage_text_fits_80_columns_and_finishes_its_sentences)
{
	static const char *const bins[] = { "iridiumd", "iridiumctl",
	    "iridium", "iridium-worker", "iridium-worker-ssh", NULL };
	const char	*av[3];
	char		*out, *err, *line, *save;
	size_t		 i;
	int		 n;

	for (i = 0; bins[i] != NULL; i++) {
		av[0] = hd_bin(bins[i]);
		av[1] = "--help";
		av[2] = NULL;
		cr_expect_eq(hd_run(av, &out, &err, T_MS), 0, "%s --help: %s",
		    bins[i], err);
		cr_expect_eq(strncmp(out, "usage: ", 7), 0, "%s: %s", bins[i],
		    out);
		if (strcmp(bins[i], "iridiumd") == 0)
			cr_expect_not_null(strstr(out, "Without -f no file is "
			    "read: the defaults and\n                          "
			    "the flags below are the whole configuration\n"),
			    "%s", out);
		for (n = 1, line = strtok_r(out, "\n", &save); line != NULL;
		    n++, line = strtok_r(NULL, "\n", &save))
			cr_expect_leq(strlen(line), 80, "%s --help, line %d: %zu "
			    "columns: %s", bins[i], n, strlen(line), line);
		free(out);
		free(err);
	}
}

Test(daemon, telnet_client)
{
	char	 cmd[256], *out;

	start(NULL);
	snprintf(cmd, sizeof(cmd), "(sleep 1; printf 'load $4 #77\\r\\n"
	    "!registers\\r\\n'; sleep 1; printf '!quit\\r\\n'; sleep 1) | "
	    "telnet %s %d 2>&1", d.host, d.port);
	out = run_tool(cmd);
	cr_assert_not_null(strstr(out, "Welcome to Iridium!"), "%s", out);
	cr_assert_eq(reg_value(out, 4), 77);
	cr_assert_not_null(strstr(out, "Farewell"), "%s", out);
	free(out);
}

Test(daemon, a_stalled_supervisor_does_not_kill_healthy_workers)
{
	static const char *const argv[] = { "--pool", "ping_interval=1",
	    "--pool", "ping_timeout=1", "--pool", "kill_timeout=2", NULL };
	char	*s;
	int	 fd;

	start(argv);
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	sleep(2);		/* pings are flowing */
	kill(d.pid, SIGSTOP);
	sleep(4);		/* longer than kill_timeout */
	kill(d.pid, SIGCONT);
	sleep(2);
	s = tc_cmd(fd, "load $1 #1");
	cr_assert_not_null(s, "the session survived the supervisor's stall");
	free(s);
	cr_assert_eq(hd_log_count(&d, "killing it"), 0);
	close(fd);
}

/*
 * The default build links the line worker statically too: a worker
 * program dated 1970 is older than every system library it carries, and
 * iridiumd names each at start (the sanitizer build links it dynamically
 * and never warns).
 */
Test(daemon, a_static_worker_older_than_the_system_libraries_is_reported)
{
	char		 dir[256], old[320], cmd[800];
	const char	*argv[] = { "--worker-path", old, NULL };
	bool		 dynamic;

	hd_tmpdir(dir, sizeof(dir), "stale");
	snprintf(old, sizeof(old), "%s/old-worker", dir);
	hd_sh("cp %s %s && touch -d @86400 %s", hd_bin("iridium-worker"), old,
	    old);
	dynamic = hd_is_dynamic(old);
	start(argv);
	if (dynamic) {
		sleep(1);
		cr_assert_eq(hd_log_count(&d, "links its own copy"), 0);
	} else {
		cr_assert(hd_wait_log(&d, "links its own copy of "
		    "libseccomp.so.2, but /", 10000));
		cr_assert(hd_wait_log(&d, "links its own copy of libc.so.6, "
		    "but /", 10000));
		cr_assert_eq(hd_log_count(&d, "libssh"), 0,
		    "the line worker carries no libssh");
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/*
 * A worker a session takes is replaced at once, after the loop turn that
 * handed the session over (pool.c), not at the next tick: with one spare,
 * each of five sessions opened one after another finds its replacement
 * ready within 400 ms. A refill at the tick (once a second) would leave
 * the pool empty for most of each second.
 */
Test(daemon, each_worker_a_session_takes_is_replaced_at_once)
{
	static const char *const argv[] = { "--pool", "min_spare=1", "--pool",
	    "max_spare=1", "--log-level", "debug", NULL };
	long long	 t0;
	int		 fds[5], i, n;

	start(argv);
	cr_assert(hd_wait_log(&d, "every pool has its spare workers", 10000));
	for (i = 0; i < 5; i++) {
		fds[i] = tc_session(&d);
		cr_assert_geq(fds[i], 0, "session %d", i);
		t0 = hd_now_ms();
		while ((n = hd_log_count(&d, " ready after ")) < i + 2 &&
		    hd_now_ms() - t0 < 400)
			usleep(5000);
		cr_assert_eq(n, i + 2, "session %d: its replacement was not "
		    "ready after %lld ms", i, hd_now_ms() - t0);
	}
	cr_assert_eq(hd_log_count(&d, "no idle worker"), 0);
	for (i = 0; i < 5; i++)
		close(fds[i]);
}

/*
 * Workers are started by a helper process that holds nothing but its
 * channel, /dev/null and stderr (spawner.c), whatever iridiumd has open,
 * and they are iridiumd's children (hd_worker_for_port finds them among
 * them). When the helper dies, the next worker starts a new one.
 */
Test(daemon, a_spawner_with_five_fds_starts_the_workers_and_is_replaced)
{
	static const char *const argv[] = { "--pool", "min_spare=2", NULL };
	pid_t		 sp, sp2, w;
	char		*s;
	int		 fd, i;

	start(argv);
	cr_assert(hd_wait_log(&d, "every pool has its spare workers", 10000));
	cr_assert_neq(sp = hd_spawner(&d), 0, "no iridiumd-spawn child");
	cr_assert_eq(proc_fd_count(sp), 5, "the spawner holds %d fds",
	    proc_fd_count(sp));
	cr_assert_gt(proc_fd_count(d.pid), 5);

	kill(sp, SIGKILL);
	cr_assert(hd_wait_log(&d, "a new one starts with the next worker",
	    10000));
	for (i = 0; i < 3; i++) {
		fd = tc_session(&d);
		cr_assert_geq(fd, 0, "session %d after the spawner died", i);
		w = hd_worker_for_port(&d, tc_local_port(fd));
		cr_assert_gt(w, 0, "the worker is iridiumd's child");
		s = tc_cmd(fd, "load $0 #1");
		cr_assert_not_null(s);
		free(s);
		close(fd);
	}
	cr_assert_neq(sp2 = hd_spawner(&d), 0, "no new spawner");
	cr_assert_neq(sp2, sp);
	cr_assert_eq(hd_log_count(&d, "killing it"), 0);
}

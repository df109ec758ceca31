/*
 * test_limits.c: every per-session limit from outside, on the real
 * iridiumd with short limits from a config file: what the client reads
 * when it is hit, exactly, and what becomes of the session. The workers
 * enforce these (MSG_LIMITS); the supervisor's own limits are in
 * test_admission.c.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"

#define PROMPT	">>> "

static struct hd	 d;

TestSuite(limits, .fini = hd_fini, .timeout = 90);

/*
 * Read until one of a or b has come (or EOF, or the timeout); what came,
 * never NULL.
 */
static char *
read_either(int fd, const char *a, const char *b, int timeout_ms)
{
	struct pollfd	 pfd = { fd, POLLIN, 0 };
	long long	 end = hd_now_ms() + timeout_ms;
	size_t		 len = 0, cap = 65536;
	char		*buf = calloc(1, cap);
	ssize_t		 n;

	while (strstr(buf, a) == NULL && strstr(buf, b) == NULL &&
	    hd_now_ms() < end) {
		if (poll(&pfd, 1, (int)(end - hd_now_ms())) <= 0)
			continue;
		if (len + 4097 > cap)
			buf = realloc(buf, cap *= 2);
		if ((n = read(fd, buf + len, 4096)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			break;
		}
		len += (size_t)n;
		buf[len] = '\0';
	}
	return buf;
}

/* Send a line; the reply up to the next prompt must be exactly want. */
static void
expect(int fd, const char *line, const char *want)
{
	char	*s = tc_cmd(fd, line);

	cr_assert_not_null(s, "no prompt after \"%s\"", line);
	cr_assert(strcmp(s, want) == 0, "after \"%s\": got \"%s\", want "
	    "\"%s\"", line, s, want);
	free(s);
}


/* The first pool's exits.KIND, and the offences, once the log says so. */
static long long
pool_exits(const char *kind)
{
	json_t		*st = hd_status(&d), *p;
	long long	 n;
	char		 path[64];

	p = json_array_get(json_object_get(st, "pools"), 0);
	snprintf(path, sizeof(path), "exits.%s", kind);
	n = hd_json_num(p, path);
	json_decref(st);
	return n;
}

static long long
offences(void)
{
	json_t		*st = hd_status(&d);
	long long	 n = hd_json_num(st, "admission.offences.crash") +
			    hd_json_num(st, "admission.offences.sandbox") +
			    hd_json_num(st, "admission.offences.protocol");

	json_decref(st);
	return n;
}

/* --- the VM's limits ----------------------------------------------------- */

Test(limits, an_endless_loop_stops_at_the_budget_and_the_prompt_returns)
{
	int	 fd;

	hd_start_conf(&d, "[limits]\nbudget = 1000000\n", NULL);
	fd = tc_session_from(&d, "127.0.0.2");
	expect(fd, "eq $0 $0", PROMPT);
	expect(fd, "here: djmpe @here", "stopped: the budget of 1000000 "
	    "instructions was spent at pc 72\r\n" PROMPT);
	/* The session goes on, and so does the program. */
	expect(fd, "load $2 #7", PROMPT);
	expect(fd, "again: djmpe @again", "stopped: the budget of 1000000 "
	    "instructions was spent at pc 80\r\n" PROMPT);
	close(fd);
}

Test(limits, allocating_until_the_heap_limit)
{
	int	 fd;

	hd_start_conf(&d, "[limits]\nheap = 8192\n", NULL);
	fd = tc_session_from(&d, "127.0.0.3");
	expect(fd, "load $1 #1000", PROMPT);
	expect(fd, "eq $0 $0", PROMPT);
	expect(fd, "h: aloc $1", PROMPT);
	/* 64 bytes to start, eight more kilobytes fit, the ninth not. */
	expect(fd, "djmpe @h", "error: heap limit exceeded (1000 bytes "
	    "requested, 8064 of 8192 in use) at pc 76\r\n" PROMPT);
	expect(fd, "load $3 #3", PROMPT);
	close(fd);
}

Test(limits, pushing_until_the_stack_limit)
{
	int	 fd;

	hd_start_conf(&d, "[limits]\nstack = 100\n", NULL);
	fd = tc_session_from(&d, "127.0.0.4");
	expect(fd, "eq $0 $0", PROMPT);
	expect(fd, "s: push $0", PROMPT);
	expect(fd, "djmpe @s", "error: stack overflow (limit 100 entries) at "
	    "pc 72\r\n" PROMPT);
	expect(fd, "load $3 #3", PROMPT);
	close(fd);
}

/* --- CPU ----------------------------------------------------------------- */

Test(limits, spinning_across_commands_ends_at_the_cpu_limit_unpunished)
{
	char	 line[64], *s, *all;
	int	 fd, i;

	hd_start_conf(&d, "[limits]\ncpu = 2\nbudget = 100000000\n", NULL);
	fd = tc_session_from(&d, "127.0.0.5");
	free(tc_cmd(fd, "eq $0 $0"));
	all = NULL;
	for (i = 0; i < 400 && all == NULL; i++) {
		snprintf(line, sizeof(line), "l%d: djmpe @l%d", i, i);
		tc_send(fd, line);
		tc_send(fd, "\r\n");
		s = read_either(fd, PROMPT, "Goodbye!", 20000);
		if (strstr(s, "Goodbye!") != NULL)
			all = s;	/* the session ended */
		else {
			cr_assert_not_null(strstr(s, "stopped: the budget"),
			    "%s", s);
			free(s);
		}
	}
	cr_assert_gt(i, 1, "it took more than one command");
	cr_assert_not_null(all, "no goodbye after %d commands", i);
	cr_assert_not_null(strstr(all, "\r\nCPU time limit of 2 seconds "
	    "reached. Goodbye!\r\n"), "%s", all);
	free(all);
	close(fd);
	cr_assert(hd_wait_log(&d, "ended (cpu)", 10000));
	cr_assert_eq(pool_exits("cpu_limit"), 1);
	cr_assert_eq(pool_exits("crashed"), 0);
	/* A limit is no offence: the same address is served at once. */
	cr_assert_eq(offences(), 0);
	fd = tc_session_from(&d, "127.0.0.5");
	close(fd);
	cr_assert_eq(hd_log_count(&d, "penalised"), 0);
}

Test(limits, a_worker_past_the_hard_cpu_limit_is_a_cpu_limit_not_a_crash)
{
	int	 fd;
	char	*s;

	/* The test worker's "hang" spins without ever looking up. */
	hd_start_conf(&d, "[limits]\ncpu = 1\n", "iridium-worker-test");
	fd = tc_session_from(&d, "127.0.0.6");
	tc_send(fd, "!test hang\r\n");
	s = tc_read_all(fd, 20000, NULL);
	free(s);
	close(fd);
	cr_assert(hd_wait_log(&d, "cpu limit (signal 9 (KILL), ", 20000),
	    "the log does not name the CPU limit");
	cr_assert_eq(pool_exits("cpu_limit"), 1);
	cr_assert_eq(pool_exits("crashed"), 0);
	cr_assert_eq(offences(), 0);
	fd = tc_session_from(&d, "127.0.0.6");
	close(fd);
}

/* --- output -------------------------------------------------------------- */

Test(limits, printing_forever_is_held_to_the_rate_then_cut_at_the_total)
{
	char		*s, *p;
	long long	 t0, first = 0, took;
	size_t		 len, xs = 0, first_xs = 0;
	int		 fd;

	hd_start_conf(&d, "[limits]\noutput_rate = 2000\noutput_max = 6000\n",
	    NULL);
	fd = tc_session_from(&d, "127.0.0.7");
	tc_send(fd, "!load\r\n.data\r\nm: .asciiz '");
	for (int i = 0; i < 100; i++)
		tc_send(fd, "x");
	tc_send(fd, "'\r\n.code\r\neq $0 $0\r\ntop: prts @m\r\ndjmpe @top\r\n");
	t0 = hd_now_ms();
	tc_send(fd, "!end\r\n");
	/* What came in the first half second: one second's worth at most. */
	usleep(500000);
	s = tc_read_all(fd, 100, &len);
	for (p = s; *p != '\0'; p++)
		first_xs += *p == 'x';
	free(s);
	first = first_xs;
	s = tc_read_all(fd, 20000, &len);
	took = hd_now_ms() - t0;
	for (p = s; *p != '\0'; p++)
		xs += *p == 'x';
	cr_assert_not_null(strstr(s, "Output limit of 6000 bytes for this "
	    "session reached. Goodbye!\r\n"), "%s", s);
	free(s);
	close(fd);
	cr_assert_leq(first, 2000, "%lld bytes in the first half second",
	    first);
	/* The REPL's output, exactly 6000 bytes: its line, then the x's. */
	cr_assert_eq(strlen("loaded 3 instructions and 104 bytes of data\r\n") +
	    first_xs + xs, 6000, "%zu + %zu", first_xs, xs);
	/* 2000 now, 2000 a second later, 2000 a second after that. */
	cr_assert_geq(took, 1900, "6000 bytes at 2000/s came in %lld ms",
	    took);
	cr_assert(hd_wait_log(&d, "ended (output)", 10000));
}

/* --- time ---------------------------------------------------------------- */

Test(limits, idle_and_lifetime_warn_then_end_the_session)
{
	char		*s;
	long long	 t0, idle_took;
	int		 quiet, busy, i;

	hd_start_conf(&d, "[limits]\nidle = 3\nidle_warn = 2\nlifetime = 5\n"
	    "lifetime_warn = 3\n", NULL);
	quiet = tc_session_from(&d, "127.0.0.8");
	busy = tc_session_from(&d, "127.0.0.9");
	t0 = hd_now_ms();
	/* The busy one types every half second: never idle. */
	for (i = 0; i < 12; i++) {
		tc_send(busy, "nop\r\n");
		usleep(500000);
	}
	s = tc_read_all(quiet, 1000, NULL);
	idle_took = hd_now_ms() - t0;
	cr_assert_not_null(strstr(s, "warning: idle for 1 second; this "
	    "session ends in 2 seconds without input\r\n"), "%s", s);
	cr_assert_not_null(strstr(s, "Idle timeout. Goodbye!\r\n"), "%s", s);
	cr_assert(strstr(s, "warning: idle") < strstr(s, "Idle timeout"));
	free(s);
	s = tc_read_all(busy, 10000, NULL);
	cr_assert_not_null(strstr(s, "warning: this session ends in 3 "
	    "seconds (lifetime limit of 5 seconds)\r\n"), "%s", s);
	cr_assert_not_null(strstr(s, "Session lifetime of 5 seconds reached. "
	    "Goodbye!\r\n"), "%s", s);
	cr_assert_null(strstr(s, "Idle timeout"), "%s", s);
	free(s);
	cr_assert_geq(idle_took, 3000);
	cr_assert(hd_wait_log(&d, "ended (idle)", 10000));
	cr_assert(hd_wait_log(&d, "ended (lifetime)", 10000));
	close(quiet);
	close(busy);
}

/* --- !limits ------------------------------------------------------------- */

Test(limits, the_limits_command_shows_every_limit_and_its_use)
{
	char	*s;
	int	 fd, lo;

	hd_start_conf(&d, "[limits]\ncpu = 30\nsessions = 5\n"
	    "sessions_per_source = 3\n", NULL);
	fd = tc_session_from(&d, "127.0.0.10");
	s = tc_cmd(fd, "!limits");
	cr_assert_not_null(s);
	cr_assert_not_null(strstr(s, "budget:       10000000 instructions "
	    "per command\r\n"), "%s", s);
	cr_assert_not_null(strstr(s, "heap:         64 of 1048576 bytes in "
	    "use\r\n"), "%s", s);
	cr_assert_not_null(strstr(s, "stack:        0 of 65536 entries in "
	    "use\r\n"), "%s", s);
	cr_assert_not_null(strstr(s, "output:       0 bytes written of "
	    "67108864, at most 1048576 bytes/s\r\n"), "%s", s);
	cr_assert_not_null(strstr(s, "idle:         the session ends after "
	    "600 s without input (warned 60 s before)\r\n"), "%s", s);
	cr_assert_not_null(strstr(s, " of 14400 s used (warned 300 s before "
	    "the end)\r\n"), "%s", s);
	cr_assert_not_null(strstr(s, " of 30 s used\r\n"), "%s", s);
	cr_assert_not_null(strstr(s, "sessions:     1 of tenant anonymous, "
	    "at most 5 (as this session began)\r\n"), "%s", s);
	cr_assert_not_null(strstr(s, "per source:   1 from 127.0.0.10, at "
	    "most 3 (as this session began)\r\n"), "%s", s);
	free(s);
	/* Loopback's 127.0.0.1 is every local user: exempt by default. */
	lo = tc_session_from(&d, "127.0.0.1");
	s = tc_cmd(lo, "!limits");
	cr_assert_not_null(strstr(s, "sessions:     2 of tenant anonymous, "
	    "at most 5 (as this session began)\r\n"), "%s", s);
	cr_assert_not_null(strstr(s, "per source:   1 from 127.0.0.1, not "
	    "limited (source_exempt)\r\n"), "%s", s);
	free(s);
	close(fd);
	close(lo);
}

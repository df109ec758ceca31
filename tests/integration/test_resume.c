/*
 * test_resume.c: ssh sessions that outlive their connection, with the
 * real iridiumd, its ssh workers and OpenSSH's ssh on a pty. A session
 * whose client is killed (its TCP connection closed by the kernel, no
 * !quit) stays detached, visible in the status document; the same
 * tenant's `ssh -t resume` takes up its registers, labels, program, heap,
 * stack and history, and the old worker goes; a running endless loop is
 * stopped at the drop and said so; another tenant is refused (and
 * logged); the window passes with a log line; !detach, `sessions` and
 * iridiumctl kill.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "harness.h"
#include "repl.h"
#include "sshc.h"

#define T		20000
#define BIG_BUDGET	"1000000000000"

static struct hd	 d;
static char		 dir[256];
static struct sshc_opts	 so;

static void
setup(void)
{
	hd_tmpdir(dir, sizeof(dir), "resume");
	sshc_keys(dir, "dev ops");
	so.dir = dir;
}

TestSuite(resume, .init = setup, .fini = hd_fini, .timeout = 90);

static void
start(const char *limits)
{
	char	 text[2048];

	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\n"
	    "[pool]\nmin_spare = 2\n"
	    "[limits]\n%s\n"
	    "[listener ssh]\ntransport = ssh\nport = 0\n"
	    "[tenant dev]\nbudget = " BIG_BUDGET "\n"
	    "authorized_keys = %s/dev.keys\n"
	    "[tenant ops]\nauthorized_keys = %s/ops.keys\n",
	    dir, limits != NULL ? limits : "", dir, dir);
	sshc_daemon(&d, &so, text, NULL);
	sshc_trust(&so, SSHC_HOSTKEY, NULL, 0);
}

/* `ssh -tt` as key/user, running cmd (NULL: a shell), on a pty. */
static void
pty(struct sshc *c, const char *key, const char *cmd)
{
	const char	*opts[] = { "-tt", NULL };

	sshc_start(c, sshc_argv(&so, key, key, opts, cmd), NULL, 0, true,
	    true);
}

/* Type line, wait for the prompt after it; the output in between. */
static char *
cmd(struct sshc *c, size_t *seen, const char *line)
{
	char	 typed[256];
	size_t	 from;

	snprintf(typed, sizeof(typed), "%s\r", line);
	sshc_type(c, typed);
	snprintf(typed, sizeof(typed), "%s\r\n", line);
	sshc_expect(c, seen, typed, T);
	from = *seen;
	sshc_expect(c, seen, REPL_PROMPT, T);
	return strndup(c->o.data + from, *seen - from - strlen(REPL_PROMPT));
}

static void
quiet(struct sshc *c, size_t *seen, const char *line)
{
	free(cmd(c, seen, line));
}

/* A line typed inside a !load block: the block's prompt after it. */
static void
block(struct sshc *c, size_t *seen, const char *line)
{
	char	 typed[256];

	snprintf(typed, sizeof(typed), "%s\r", line);
	sshc_type(c, typed);
	snprintf(typed, sizeof(typed), "%s\r\n" REPL_PROMPT_LOAD, line);
	sshc_expect(c, seen, typed, T);
}

/* Kill the client: the kernel closes its TCP connection, no goodbye. */
static void
drop(struct sshc *c)
{
	struct sshc	*cs[1] = { c };

	cr_assert_eq(kill(c->pid, SIGKILL), 0);
	sshc_finish(cs, 1, T);
}

/* The one detached session in the status document: its id and pid. */
static long long
detached(int *pid, long long *secs)
{
	json_t		*st, *workers, *w, *s;
	size_t		 i;
	long long	 id = 0;
	int		 n = 0;

	cr_assert_not_null(st = hd_status(&d));
	workers = json_object_get(st, "workers");
	json_array_foreach(workers, i, w) {
		if (strcmp(json_string_value(json_object_get(w, "state")),
		    "detached") != 0)
			continue;
		s = json_object_get(w, "session");
		id = json_integer_value(json_object_get(s, "id"));
		*pid = (int)json_integer_value(json_object_get(w, "pid"));
		if (secs != NULL)
			*secs = json_integer_value(json_object_get(s,
			    "detached_seconds"));
		n++;
	}
	json_decref(st);
	cr_assert_eq(n, 1, "%d detached sessions in the status", n);
	return id;
}

/*
 * The status document's session totals: active sessions, and accepted =
 * completed + rejected + failed + active (a session that detached and was
 * resumed is one that completed, its connection's, and one active).
 */
static void
totals_add_up(long long active)
{
	json_t		*st;

	for (int i = 0; i < 100; i++) {
		cr_assert_not_null(st = hd_status(&d));
		if (hd_json_num(st, "sessions.active") == active)
			break;
		json_decref(st);
		st = NULL;
		usleep(50000);
	}
	cr_assert_not_null(st, "never %lld active sessions", active);
	cr_assert_eq(hd_json_num(st, "sessions.accepted"),
	    hd_json_num(st, "sessions.completed") +
	    hd_json_num(st, "sessions.rejected") +
	    hd_json_num(st, "sessions.failed") + active);
	json_decref(st);
}

/* A session with something in every part; its !registers. */
static char *
fill(struct sshc *c, size_t *seen)
{
	char	*out;

	sshc_expect(c, seen, REPL_BANNER "\r\n" REPL_PROMPT, T);
	quiet(c, seen, "load $1 #1234");
	block(c, seen, "!load");
	block(c, seen, ".data");
	block(c, seen, "greeting: .asciiz 'Hi'");
	block(c, seen, ".code");
	block(c, seen, "start: load $3 #3");
	out = cmd(c, seen, "!end");
	cr_assert_not_null(strstr(out, "loaded 1 instruction"), "%s", out);
	free(out);
	quiet(c, seen, "here: load $2 #-7");
	quiet(c, seen, "load $4 #256");
	quiet(c, seen, "aloc $4");
	quiet(c, seen, "load $5 #100");
	quiet(c, seen, "setm $5 $1");
	quiet(c, seen, "push $2");
	return cmd(c, seen, "!registers");
}

/* c says it resumed session id, whose !registers were regs. */
static void
took_up(struct sshc *c, size_t *seen, long long id, const char *regs)
{
	char	 want[64], *out;

	snprintf(want, sizeof(want), "Resumed session %lld: ", id);
	sshc_expect(c, seen, want, T);
	sshc_expect(c, seen, REPL_PROMPT, T);
	out = cmd(c, seen, "!registers");
	cr_assert_str_eq(out, regs);
	free(out);
}

/*
 * The detached session's old worker (pid) goes, the session counts once,
 * and c, which took it up, ends it with !quit.
 */
static void
old_gone_new_quits(int pid, struct sshc *c, size_t *seen)
{
	struct sshc	*cs[1] = { c };

	for (int i = 0; i < 100 && !proc_gone(pid); i++)
		usleep(50000);
	cr_assert(proc_gone(pid), "the old worker stayed");
	totals_add_up(1);
	sshc_type(c, "!quit\r");
	sshc_expect(c, seen, REPL_FAREWELL, T);
	sshc_finish(cs, 1, T);
}

Test(resume, a_dropped_session_comes_back_whole_in_a_new_login)
{
	struct sshc	 a, b;
	size_t		 sa = 0, sb = 0;
	char		*regs, *out, want[128];
	long long	 id, secs;
	int		 pid;

	start(NULL);
	pty(&a, "dev", NULL);
	regs = fill(&a, &sa);
	cr_assert_not_null(strstr(regs, "$1         1234  $2           -7"),
	    "%s", regs);
	drop(&a);
	cr_assert(hd_wait_log(&d, "dev's client went away (hangup); "
	    "detached, resumable for 600 s", T));
	id = detached(&pid, &secs);
	cr_assert_geq(secs, 0);
	cr_assert(!proc_gone(pid), "the detached worker is gone");
	cr_assert_eq(hd_ctl(&d, NULL, &out, NULL, "sessions", NULL), 0);
	cr_assert_not_null(strstr(out, " detached "), "%s", out);
	free(out);
	/* A gauge of its own in the metrics, and in the pool's status. */
	cr_assert_eq(hd_ctl(&d, NULL, &out, NULL, "metrics", NULL), 0);
	cr_assert_not_null(strstr(out, "\niridium_pool_detached{listener="
	    "\"ssh\"} 1\n"), "%s", out);
	free(out);

	/* The login says so; ssh -t ... resume takes it. */
	pty(&b, "dev", "resume");
	sshc_expect(&b, &sb, REPL_BANNER, T);
	took_up(&b, &sb, id, regs);
	out = cmd(&b, &sb, "!symbols");
	cr_assert_not_null(strstr(out, "greeting"), "%s", out);
	cr_assert_not_null(strstr(out, "here"), "%s", out);
	cr_assert_not_null(strstr(out, "start"), "%s", out);
	free(out);
	out = cmd(&b, &sb, "!history");
	cr_assert_not_null(strstr(out, "load $1 #1234"), "%s", out);
	cr_assert_not_null(strstr(out, "setm $5 $1"), "%s", out);
	free(out);
	out = cmd(&b, &sb, "!limits");
	cr_assert_not_null(strstr(out, "heap:         320 of"), "%s", out);
	cr_assert_not_null(strstr(out, "stack:        1 of"), "%s", out);
	free(out);
	/* It goes on: the heap, the stack and a label still work. */
	quiet(&b, &sb, "loadm $5 $6");
	quiet(&b, &sb, "pop $7");
	out = cmd(&b, &sb, "prts @greeting");
	cr_assert_str_eq(out, "Hi\r\n");
	free(out);
	out = cmd(&b, &sb, "!registers");
	cr_assert_not_null(strstr(out, "$6         1234  $7           -7"),
	    "%s", out);
	free(out);
	snprintf(want, sizeof(want), "session %lld: resumed in session ", id);
	cr_assert(hd_wait_log(&d, want, T));
	old_gone_new_quits(pid, &b, &sb);
	free(regs);
	sshc_free(&a);
	sshc_free(&b);
}

Test(resume, a_running_loop_is_stopped_at_the_drop_and_said_so)
{
	struct sshc	 a, b;
	size_t		 sa = 0, sb = 0;
	char		*out;
	int		 pid;

	start(NULL);
	pty(&a, "dev", NULL);
	sshc_expect(&a, &sa, REPL_PROMPT, T);
	quiet(&a, &sa, "load $30 #8");
	block(&a, &sa, "!load");
	block(&a, &sa, "top: inc $9");
	block(&a, &sa, "jmpb $30");
	sshc_type(&a, "!end\r");
	sshc_expect(&a, &sa, "loaded 2 instructions", T);
	usleep(300000);
	drop(&a);
	cr_assert(hd_wait_log(&d, "detached, resumable", T));
	(void)detached(&pid, NULL);
	pty(&b, "dev", "resume");
	sshc_expect(&b, &sb, "The command running when its connection "
	    "dropped was stopped there.", T);
	sshc_expect(&b, &sb, REPL_PROMPT, T);
	out = cmd(&b, &sb, "!registers");
	cr_assert_null(strstr(out, "$9            0"), "the loop never ran: "
	    "%s", out);
	free(out);
	sshc_free(&a);
	sshc_free(&b);
}

Test(resume, another_tenant_cannot_take_it_and_the_owner_still_can)
{
	struct sshc	 a, o, b;
	size_t		 sa = 0, sb = 0;
	char		 line[64], want[128];
	long long	 id;
	int		 pid;

	start(NULL);
	pty(&a, "dev", NULL);
	free(fill(&a, &sa));
	drop(&a);
	cr_assert(hd_wait_log(&d, "detached, resumable", T));
	id = detached(&pid, NULL);
	snprintf(line, sizeof(line), "!resume %lld", id);
	sshc_ssh(&o, &so, "ops", "ops", line, NULL);
	snprintf(want, sizeof(want), "No detached session %lld of yours.",
	    id);
	cr_assert_not_null(strstr(o.e.data, want), "%s", o.e.data);
	snprintf(want, sizeof(want), "ops asked to resume session %lld, "
	    "which is another tenant's: refused", id);
	cr_assert(hd_wait_log(&d, want, T));
	cr_assert(!proc_gone(pid));
	sshc_free(&o);
	/* ops's login heard nothing of dev's session. */
	sshc_ssh(&o, &so, "ops", "ops", "sessions", NULL);
	cr_assert_str_eq(o.o.data, "You have no detached session.\n");
	sshc_free(&o);
	sshc_ssh(&o, &so, "dev", "dev", "sessions", NULL);
	snprintf(want, sizeof(want), "You have 1 detached session: %lld, "
	    "detached ", id);
	cr_assert_not_null(strstr(o.o.data, want), "%s", o.o.data);
	sshc_free(&o);
	pty(&b, "dev", NULL);
	sshc_expect(&b, &sb, want, T);
	snprintf(line, sizeof(line), "!resume %lld", id);
	free(cmd(&b, &sb, line));
	cr_assert_not_null(strstr(b.o.data, "Resumed session"), "%s",
	    b.o.data);
	sshc_free(&a);
	sshc_free(&b);
}

Test(resume, a_tenant_at_its_limit_may_log_in_to_resume_and_only_that)
{
	struct sshc	 a, b, c, o;
	struct sshc	*cs[1];
	size_t		 sa = 0, sb = 0, sc = 0;
	char		*regs, *out, line[64];
	long long	 id, id2;
	int		 pid;

	start("sessions = 1\nlogin_grace = 4");
	pty(&a, "dev", NULL);
	regs = fill(&a, &sa);
	drop(&a);
	cr_assert(hd_wait_log(&d, "detached, resumable", T));
	id = detached(&pid, NULL);
	/* At its limit, one session detached: a login to resume it. */
	pty(&b, "dev", NULL);
	sshc_expect(&b, &sb, "You are at your session limit: this login may "
	    "only resume one, within ", T);
	sshc_expect(&b, &sb, REPL_PROMPT, T);
	cr_assert(hd_wait_log(&d, "tenant dev holds 1 session (sessions 1), "
	    "1 detached: login admitted only to resume one within 4 s", T));
	/* Over by as many as are detached, no more. */
	sshc_ssh(&o, &so, "dev", "dev", "sessions", NULL);
	cr_assert_null(strstr(o.o.data, "detached session"), "%s", o.o.data);
	sshc_free(&o);
	cr_assert(hd_wait_log(&d, "refused (the tenant holds its sessions "
	    "limit): tenant dev holds 2 sessions (sessions 1)", T));
	snprintf(line, sizeof(line), "!resume %lld", id);
	out = cmd(&b, &sb, line);
	cr_assert_not_null(strstr(out, "Resumed session"), "%s", out);
	free(out);
	/* Resumed: past the grace it goes on, a session as any. */
	sleep(5);
	out = cmd(&b, &sb, "!registers");
	cr_assert_str_eq(out, regs);
	free(out);
	cr_assert_eq(hd_log_count(&d, "only to resume, it did not"), 0);
	totals_add_up(1);

	/* A login over the limit that resumes nothing ends, told why. */
	drop(&b);
	for (int i = 0; i < 200 && hd_log_count(&d, "dev's client went away "
	    "(hangup); detached") < 2; i++)
		usleep(50000);
	id2 = detached(&pid, NULL);
	cr_assert_neq(id2, id);
	pty(&c, "dev", NULL);
	sshc_expect(&c, &sc, "this login may only resume one", T);
	sshc_expect(&c, &sc, "This login was only to resume a detached "
	    "session (the tenant is at its session limit); none was resumed. "
	    "Goodbye!", T);
	cs[0] = &c;
	sshc_finish(cs, 1, T);
	cr_assert(hd_wait_log(&d, "admitted over tenant dev's session limit "
	    "only to resume, it did not: it ends", T));
	/* The detached one is still there. */
	cr_assert_eq(detached(&pid, NULL), id2);
	free(regs);
	sshc_free(&a);
	sshc_free(&b);
	sshc_free(&c);
}

Test(resume, the_window_passes_and_the_session_ends)
{
	struct sshc	 a, b;
	size_t		 sa = 0;
	int		 pid;

	start("resume_window = 1");
	pty(&a, "dev", NULL);
	sshc_expect(&a, &sa, REPL_PROMPT, T);
	quiet(&a, &sa, "load $1 #1");
	drop(&a);
	cr_assert(hd_wait_log(&d, "detached, resumable for 1 s", T));
	(void)detached(&pid, NULL);
	cr_assert(hd_wait_log(&d, "its resume_window of 1 s passed: it ends",
	    T));
	for (int i = 0; i < 100 && !proc_gone(pid); i++)
		usleep(50000);
	cr_assert(proc_gone(pid));
	sshc_ssh(&b, &so, "dev", "dev", "!resume", NULL);
	cr_assert_not_null(strstr(b.e.data, "You have no detached session."),
	    "%s", b.e.data);
	sshc_free(&a);
	sshc_free(&b);
}

Test(resume, a_window_of_0_ends_a_dropped_session_as_before)
{
	struct sshc	 a;
	size_t		 sa = 0;

	start("resume_window = 0");
	pty(&a, "dev", NULL);
	sshc_expect(&a, &sa, REPL_PROMPT, T);
	sshc_type(&a, "!detach\r");
	sshc_expect(&a, &sa, "This session cannot be detached: the server "
	    "keeps no detached sessions (resume_window is 0).", T);
	drop(&a);
	cr_assert(hd_wait_log(&d, "tenant dev", T));
	cr_assert_eq(hd_log_count(&d, "detached"), 0);
	sshc_free(&a);
}

Test(resume, detach_by_hand_then_kill_it)
{
	struct sshc	 a;
	struct sshc	*as[1] = { &a };
	size_t		 sa = 0;
	char		 ids[32], want[128];
	long long	 id;
	int		 pid;

	start(NULL);
	pty(&a, "dev", NULL);
	sshc_expect(&a, &sa, REPL_PROMPT, T);
	quiet(&a, &sa, "load $1 #1");
	sshc_type(&a, "!detach\r");
	sshc_expect(&a, &sa, " detached; it waits 10 minutes for you.", T);
	sshc_finish(as, 1, T);
	cr_assert(hd_wait_log(&d, "dev's client went away (detach); "
	    "detached", T));
	id = detached(&pid, NULL);
	snprintf(ids, sizeof(ids), "%lld", id);
	cr_assert_eq(hd_ctl(&d, NULL, NULL, NULL, "kill", ids, NULL), 0);
	for (int i = 0; i < 100 && !proc_gone(pid); i++)
		usleep(50000);
	cr_assert(proc_gone(pid), "iridiumctl kill left it");
	snprintf(want, sizeof(want), "session %lld", id);
	cr_assert(hd_wait_log(&d, want, T));
	sshc_free(&a);
}

/* --- the hostile side: test workers that lie -------------------------------- */

static void
start_hostile(void)
{
	char	 text[2048];

	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\n"
	    "[pool]\nmin_spare = 2\n"
	    "[listener ssh]\ntransport = ssh\nport = 0\n"
	    "[tenant dev]\nauthorized_keys = %s/dev.keys\n", dir, dir);
	sshc_daemon(&d, &so, text, "iridium-worker-ssh-test");
	sshc_trust(&so, SSHC_HOSTKEY, NULL, 0);
}

/* A session of dev that arms hook, sets $1, and drops: its id. */
static long long
armed_and_dropped(struct sshc *a, const char *hook, int *pid)
{
	size_t	 sa = 0;
	char	 line[64];

	pty(a, "dev", NULL);
	sshc_expect(a, &sa, REPL_PROMPT, T);
	snprintf(line, sizeof(line), "!test %s", hook);
	quiet(a, &sa, line);
	quiet(a, &sa, "load $1 #5");
	drop(a);
	cr_assert(hd_wait_log(&d, "detached, resumable", T));
	return detached(pid, NULL);
}

Test(resume, a_state_that_is_no_session_is_refused_and_it_stays_detached)
{
	struct sshc	 a, b;
	size_t		 sb = 0;
	char		 line[64], want[160], *out;
	long long	 id, id2;
	int		 pid, pid2;

	start_hostile();
	id = armed_and_dropped(&a, "badstate", &pid);
	pty(&b, "dev", NULL);
	sshc_expect(&b, &sb, REPL_PROMPT, T);
	quiet(&b, &sb, "load $2 #9");
	snprintf(line, sizeof(line), "!resume %lld", id);
	out = cmd(&b, &sb, line);
	snprintf(want, sizeof(want), "Cannot resume session %lld: ", id);
	cr_assert_not_null(strstr(out, want), "%s", out);
	cr_assert_not_null(strstr(out, "It stays detached; this session goes "
	    "on as it was."), "%s", out);
	free(out);
	out = cmd(&b, &sb, "!registers");
	cr_assert_not_null(strstr(out, "$1            0  $2            9"),
	    "%s", out);
	free(out);
	snprintf(want, sizeof(want), ": resuming session %lld failed: ", id);
	cr_assert(hd_wait_log(&d, want, T));
	id2 = detached(&pid2, NULL);
	cr_assert_eq(id2, id);
	cr_assert_eq(pid2, pid);
	sshc_free(&a);
	sshc_free(&b);
}

Test(resume, a_worker_that_dies_in_the_move_leaves_no_half_session)
{
	struct sshc	 a, b;
	size_t		 sb = 0;
	char		 line[64], want[160], *out;
	json_t		*st;
	char		*doc;
	long long	 id;
	int		 pid;

	start_hostile();
	id = armed_and_dropped(&a, "dieonmove", &pid);
	pty(&b, "dev", NULL);
	sshc_expect(&b, &sb, REPL_PROMPT, T);
	quiet(&b, &sb, "load $2 #9");
	snprintf(line, sizeof(line), "!resume %lld", id);
	out = cmd(&b, &sb, line);
	snprintf(want, sizeof(want), "Cannot resume session %lld: no state "
	    "came (its worker went away?)", id);
	cr_assert_not_null(strstr(out, want), "%s", out);
	free(out);
	for (int i = 0; i < 100 && !proc_gone(pid); i++)
		usleep(50000);
	cr_assert(proc_gone(pid));
	/* Ended, not half there: no detached session is left. */
	cr_assert_not_null(st = hd_status(&d));
	cr_assert_not_null(doc = json_dumps(st, 0));
	cr_assert_null(strstr(doc, "\"state\": \"detached\""), "%s", doc);
	cr_assert_not_null(strstr(doc, "\"detached\": 0,"), "%s", doc);
	free(doc);
	json_decref(st);
	out = cmd(&b, &sb, "!registers");
	cr_assert_not_null(strstr(out, "$2            9"), "%s", out);
	free(out);
	sshc_free(&a);
	sshc_free(&b);
}

Test(resume, a_worker_that_lies_about_resuming_or_detaching_is_killed)
{
	struct sshc	 a, b;
	struct sshc	*cs[1];
	size_t		 sa = 0, sb = 0;

	start_hostile();
	pty(&a, "dev", NULL);
	sshc_expect(&a, &sa, REPL_PROMPT, T);
	sshc_type(&a, "!test resumed\r");
	cs[0] = &a;
	sshc_finish(cs, 1, T);
	cr_assert(hd_wait_log(&d, "resumed with no resume under way", T));
	pty(&b, "dev", NULL);
	sshc_expect(&b, &sb, REPL_PROMPT, T);
	quiet(&b, &sb, "!test detach");
	sshc_type(&b, "!test detach\r");
	cs[0] = &b;
	sshc_finish(cs, 1, T);
	cr_assert(hd_wait_log(&d, "detach twice", T));
	sshc_free(&a);
	sshc_free(&b);
}

/* --- line sessions: a token instead of a login ------------------------------ */

/* !detach on fd: the token it shows (static), the connection closed. */
static const char *
line_detach(int fd)
{
	static char	 token[64];
	char		*out, *p;
	size_t		 n;

	tc_send(fd, "!detach\n");
	out = tc_read_until(fd, "(This token is shown only now.)", T);
	cr_assert_not_null(out, "no token");
	cr_assert_not_null(p = strstr(out, "\n!resume "), "%s", out);
	p += strlen("\n!resume ");
	n = strcspn(p, "\r\n");
	cr_assert_eq(n, 22, "a token of %zu characters: %s", n, out);
	memcpy(token, p, n);
	token[n] = '\0';
	free(out);
	free(tc_read_all(fd, T, NULL));		/* then the end */
	close(fd);
	return token;
}

/* The generation of the worker serving session id, from the status. */
static long long
generation_of(long long id)
{
	json_t		*st, *w, *s;
	size_t		 i;
	long long	 g = -1;

	cr_assert_not_null(st = hd_status(&d));
	json_array_foreach(json_object_get(st, "workers"), i, w) {
		s = json_object_get(w, "session");
		if (json_is_object(s) &&
		    json_integer_value(json_object_get(s, "id")) == id)
			g = json_integer_value(json_object_get(w,
			    "generation"));
	}
	json_decref(st);
	return g;
}

Test(resume, an_upgrade_leaves_an_ssh_session_detached_for_a_resume)
{
	struct sshc	 a, b;
	struct sshc	*as[1] = { &a };
	size_t		 sa = 0, sb = 0;
	char		*regs, *out;
	long long	 id;
	int		 pid;

	start(NULL);
	pty(&a, "dev", NULL);
	regs = fill(&a, &sa);
	cr_assert_eq(hd_ctl(&d, NULL, &out, NULL, "upgrade", NULL), 0);
	cr_assert_not_null(strstr(out, "1 ssh session told to reconnect"),
	    "%s", out);
	free(out);
	/* Told, then its connection ends; the session waits. */
	sshc_expect(&a, &sa, "The server is being upgraded: this connection "
	    "ends, your session ", T);
	sshc_expect(&a, &sa, " resume ", T);
	sshc_finish(as, 1, T);
	cr_assert(hd_wait_log(&d, "told to reconnect for the upgrade", T));
	cr_assert(hd_wait_log(&d, "detached, resumable for 600 s", T));
	id = detached(&pid, NULL);
	cr_assert_eq(generation_of(id), 1);
	cr_assert_eq(hd_ctl(&d, NULL, &out, NULL, "metrics", NULL), 0);
	cr_assert_not_null(strstr(out, "\niridium_daemon_upgrades_total 1\n"),
	    "%s", out);
	free(out);
	/* A new login (a worker of the new generation) takes it up. */
	pty(&b, "dev", "resume");
	took_up(&b, &sb, id, regs);
	out = cmd(&b, &sb, "!symbols");
	cr_assert_not_null(strstr(out, "greeting"), "%s", out);
	free(out);
	old_gone_new_quits(pid, &b, &sb);
	free(regs);
	sshc_free(&a);
	sshc_free(&b);
}

Test(resume, an_upgrade_with_a_window_of_0_ends_an_ssh_session_saying_why)
{
	struct sshc	 a;
	struct sshc	*as[1] = { &a };
	size_t		 sa = 0;
	char		*out;

	start("resume_window = 0");
	pty(&a, "dev", NULL);
	sshc_expect(&a, &sa, REPL_PROMPT, T);
	cr_assert_eq(hd_ctl(&d, NULL, &out, NULL, "upgrade", NULL), 0);
	cr_assert_not_null(strstr(out, "1 ssh session ended (resume_window "
	    "0)"), "%s", out);
	free(out);
	sshc_expect(&a, &sa, "The server was upgraded; log in again to start "
	    "a new session. Goodbye!", T);
	sshc_finish(as, 1, T);
	cr_assert(hd_wait_log(&d, "resume_window 0: it ends for the upgrade",
	    T));
	totals_add_up(0);
	sshc_free(&a);
}

Test(resume, a_line_session_comes_back_with_its_token_once)
{
	char		 line[128], *out;
	const char	*token;
	int		 fd;

	hd_start_conf(&d, "[limits]\nbudget = 1000000\n", NULL);
	fd = tc_session(&d);
	out = tc_cmd(fd, "!help");
	cr_assert_not_null(strstr(out, "  !resume TOKEN      take up a "
	    "detached session"), "%s", out);
	free(out);
	free(tc_cmd(fd, "load $1 #77"));
	free(tc_cmd(fd, "here: inc $1"));
	token = line_detach(fd);
	cr_assert(hd_wait_log(&d, "detached, resumable for 600 s with its "
	    "token", T));
	cr_assert_eq(hd_log_count(&d, token), 0, "the token is in the log");
	fd = tc_session(&d);
	snprintf(line, sizeof(line), "!resume %s", token);
	out = tc_cmd(fd, line);
	cr_assert_not_null(strstr(out, "Resumed session 1: "), "%s", out);
	free(out);
	out = tc_cmd(fd, "!registers");
	cr_assert_not_null(strstr(out, "$1           78"), "%s", out);
	free(out);
	out = tc_cmd(fd, "!symbols");
	cr_assert_not_null(strstr(out, "here"), "%s", out);
	free(out);
	close(fd);
	/* Used: it died with its session. */
	fd = tc_session(&d);
	out = tc_cmd(fd, line);
	cr_assert_not_null(strstr(out, "That token resumes no session."),
	    "%s", out);
	free(out);
	close(fd);
}

Test(resume, a_wrong_token_is_refused_and_penalised_like_a_failed_login)
{
	char	*out;
	int	 fd;

	hd_start_conf(&d, "", NULL);
	fd = tc_session_from(&d, "127.0.0.5");
	out = tc_cmd(fd, "!resume AAAAAAAAAAAAAAAAAAAAAA");
	cr_assert_not_null(strstr(out, "That token resumes no session."),
	    "%s", out);
	free(out);
	out = tc_cmd(fd, "!resume not-a-token");
	cr_assert_not_null(strstr(out, "usage: !resume TOKEN"), "%s", out);
	free(out);
	close(fd);
	cr_assert(hd_wait_log(&d, "a wrong resume token; source 127.0.0.5 "
	    "penalised (authfail)", T));
}

Test(resume, a_line_session_detaches_only_when_asked_and_allowed)
{
	char	*out;
	int	 fd;

	hd_start_conf(&d, "[limits]\nresume_window = 0\n", NULL);
	fd = tc_session(&d);
	out = tc_cmd(fd, "!detach");
	cr_assert_not_null(strstr(out, "This session cannot be detached: the "
	    "server keeps no detached sessions now."), "%s", out);
	free(out);
	out = tc_cmd(fd, "load $1 #1");
	free(out);
	close(fd);
	/* A hang-up without !detach ends it: no token was ever shown. */
	cr_assert(hd_wait_log(&d, "ended (hangup)", T));
	cr_assert_eq(hd_log_count(&d, "detached, resumable"), 0);
}

/*
 * test_record.c: session recordings with the real iridiumd and its
 * workers, replayed with Debian's asciinema. A line session, an ssh
 * session on a pty and an ssh `run` are each recorded, and `asciinema
 * cat` of each prints exactly the bytes the client received; "i" events
 * appear only with record = all; record_max ends a recording with a
 * marker while the session goes on; a worker killed mid-output leaves a
 * file whose every line is JSON; the hostile test worker cannot seek,
 * truncate, chmod, reopen or grow its recording past its limit; a
 * recording directory that cannot be made, or cannot be written, is
 * reported by `iridiumd -t` and at the start, and sessions are still
 * served; a slow file system holds up only the session being recorded. A recorded line
 * session moved by `iridiumctl upgrade` goes on in the same file; a
 * resumed ssh session's two recordings name each other.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <glob.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bsd/string.h>
#include <jansson.h>

#include "harness.h"
#include "probe.h"
#include "repl.h"
#include "sshc.h"

#define T		20000
#define ASCIINEMA	"/usr/bin/asciinema"

static struct hd	 d;
static char		 dir[256];
static struct sshc_opts	 so;

static void
setup(void)
{
	hd_tmpdir(dir, sizeof(dir), "record");
	cr_assert_eq(access(ASCIINEMA, X_OK), 0, "%s is missing (apt-get "
	    "install asciinema; contrib/deps.txt's test group)", ASCIINEMA);
}

TestSuite(record, .init = setup, .fini = hd_fini, .timeout = 120);

/* A line listener recording as mode says, the test worker or not. */
static void
start_line(const char *mode, const char *max, const char *worker)
{
	char	 text[1024];

	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\n"
	    "[pool]\nmin_spare = 1\n"
	    "[limits]\nbudget = 1000000000000\n"
	    "[listener line]\ntransport = line\nport = 0\n"
	    "record = %s\nrecord_max = %s\n", dir, mode, max);
	hd_sh("mkdir -p %s/state", dir);
	hd_start_conf(&d, text, worker);
}

static void
start_ssh(const char *mode)
{
	char	 text[1024];

	sshc_keys(dir, "dev");
	so.dir = dir;
	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\n"
	    "[pool]\nmin_spare = 1\n"
	    "[listener ssh]\ntransport = ssh\nport = 0\nrecord = %s\n"
	    "[tenant dev]\nbudget = 1000000000000\n"
	    "authorized_keys = %s/dev.keys\n", dir, mode, dir);
	sshc_daemon(&d, &so, text, NULL);
	sshc_trust(&so, SSHC_HOSTKEY, NULL, 0);
}

static char	*cast_path(const char *, long long);

/* The recording of session sid (its worker has ended it). */
static char *
cast_of(const char *tenant, long long sid)
{
	char	 needle[64];

	snprintf(needle, sizeof(needle), "session %lld: ended", sid);
	cr_assert(hd_wait_log(&d, needle, T), "no \"%s\"", needle);
	return cast_path(tenant, sid);
}

/* The same, its worker dead. */
static char *
cast_path(const char *tenant, long long sid)
{
	char	 pat[512], *path;
	glob_t	 g;

	snprintf(pat, sizeof(pat), "%s/state/recordings/%s/*/%lld-*.cast",
	    dir, tenant, sid);
	cr_assert_eq(glob(pat, 0, NULL, &g), 0, "no recording %s", pat);
	cr_assert_eq(g.gl_pathc, 1, "%zu recordings %s", g.gl_pathc, pat);
	path = strdup(g.gl_pathv[0]);
	globfree(&g);
	return path;
}

/* The session id of the next session the log says is recorded. */
static int	 nrecorded;

static long long
last_recorded(void)
{
	long long	 end = hd_now_ms() + T;
	const char	*p;
	int		 k = 0;

	nrecorded++;
	while (hd_log_count(&d, ": recorded (") < nrecorded &&
	    hd_now_ms() < end)
		usleep(20000);
	for (p = d.log; p != NULL && (p = strstr(p, ": recorded (")) != NULL;
	    p++)
		if (++k == nrecorded)
			break;
	cr_assert_not_null(p, "session %d was not recorded", nrecorded);
	while (p > d.log && p[-1] != ' ')
		p--;
	return atoll(p);
}

static char *
slurp(const char *path, size_t *len)
{
	FILE	*f = fopen(path, "r");
	char	*buf;
	long	 n;

	cr_assert_not_null(f, "%s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	cr_assert_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	if (len != NULL)
		*len = (size_t)n;
	return buf;
}

/*
 * Every line of the recording as JSON: the header, then events. Returns
 * the concatenated data of the events of type `want` (NULL: none) and
 * counts each type.
 */
struct counts {
	int	 o, i, r, m;
	char	 last_mark[256];
};

static char *
events(const char *path, char want, struct counts *n)
{
	char		*text = slurp(path, NULL), *line, *save = NULL;
	struct buf	 acc;
	json_error_t	 je;
	json_t		*j;
	const char	*type;
	int		 lineno = 0;

	memset(n, 0, sizeof(*n));
	buf_init(&acc, 0);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		j = json_loads(line, JSON_REJECT_DUPLICATES, &je);
		cr_assert_not_null(j, "%s:%d: not JSON (%s): %.80s", path,
		    lineno + 1, je.text, line);
		if (lineno++ == 0) {
			cr_assert_eq(json_integer_value(json_object_get(j,
			    "version")), 2, "%s: not asciicast v2", path);
			json_decref(j);
			continue;
		}
		cr_assert(json_is_array(j) && json_array_size(j) == 3 &&
		    json_is_number(json_array_get(j, 0)) &&
		    json_is_string(json_array_get(j, 2)), "%s:%d: not an "
		    "event: %s", path, lineno, line);
		type = json_string_value(json_array_get(j, 1));
		cr_assert_not_null(type);
		switch (type[0]) {
		case 'o': n->o++; break;
		case 'i': n->i++; break;
		case 'r': n->r++; break;
		case 'm':
			n->m++;
			strlcpy(n->last_mark, json_string_value(
			    json_array_get(j, 2)), sizeof(n->last_mark));
			break;
		default:
			cr_assert_fail("%s:%d: event type %s", path, lineno,
			    type);
		}
		if (type[0] == want)
			buf_append(&acc, json_string_value(json_array_get(j, 2)),
			    json_string_length(json_array_get(j, 2)));
		json_decref(j);
	}
	free(text);
	buf_putc(&acc, '\0');
	return buf_steal(&acc);
}

/*
 * What `asciinema cat` prints of the recording. It reads its keys from
 * /dev/tty, so it runs with a pty of its own as its controlling terminal
 * and standard input; its standard output stays a pipe, untranslated.
 */
#define WITH_TTY \
	"import os, pty, subprocess, sys\n" \
	"m, s = pty.openpty()\n" \
	"def ctty():\n" \
	"    os.setsid()\n" \
	"    os.dup2(os.open(os.ttyname(s), os.O_RDWR), 0)\n" \
	"sys.exit(subprocess.run(sys.argv[1:], preexec_fn=ctty, " \
	"pass_fds=(s,)).returncode)\n"

static char *
replay(const char *path, size_t *len)
{
	const char *const av[] = { "/usr/bin/python3", "-c", WITH_TTY,
	    ASCIINEMA, "cat", path, NULL };
	char		*out, *err;

	setenv("LC_ALL", "C.UTF-8", 1);
	cr_assert_eq(hd_run(av, &out, &err, T), 0, "asciinema cat %s: %s",
	    path, err);
	free(err);
	*len = strlen(out);
	return out;
}

static void
assert_replays_as(const char *path, const char *got, size_t gotlen)
{
	size_t	 len;
	char	*out = replay(path, &len);

	cr_assert_eq(len, gotlen, "asciinema cat printed %zu bytes, the client "
	    "received %zu:\n--- replay\n%s\n--- received\n%.*s", len, gotlen,
	    out, (int)gotlen, got);
	cr_assert_eq(memcmp(out, got, len), 0, "asciinema cat differs from "
	    "what the client received:\n--- replay\n%s\n--- received\n%.*s",
	    out, (int)gotlen, got);
	free(out);
}

/* A line session: send script, read to the end; what came. */
static char *
line_session(const char *script, size_t *len)
{
	int	 fd = tc_connect(d.host, d.port);
	char	*got;

	cr_assert_geq(fd, 0);
	tc_send(fd, script);
	got = tc_read_all(fd, T, len);
	close(fd);
	return got;
}

#define SCRIPT	"load $1 #41\ninc $1\n!registers\n" \
		"s: .asciiz 'h\xc3\xa9llo \xe2\x82\xac\\n'\n!quit\n"

Test(record, a_line_session_replays_byte_for_byte_without_input)
{
	struct counts	 n;
	struct stat	 st;
	size_t		 len;
	char		*got, *path, *in, *head;
	long long	 sid;
	json_t		*h;

	start_line("output", "67108864", NULL);
	got = line_session(SCRIPT, &len);
	cr_assert_not_null(strstr(got, "Farewell"), "%s", got);
	cr_expect_not_null(strstr(got, "!\r\nThis session is recorded.\r\n"),
	    "no notice after the banner: %s", got);
	sid = last_recorded();
	path = cast_of("anonymous", sid);
	in = events(path, 'i', &n);
	cr_expect_eq(n.i, 0, "%d input events with record = output", n.i);
	cr_expect_gt(n.o, 0);
	assert_replays_as(path, got, len);
	/* The header says whose, from where; the file is 0640. */
	head = slurp(path, NULL);
	*strchr(head, '\n') = '\0';
	h = json_loads(head, 0, NULL);
	cr_assert_not_null(h);
	cr_expect_str_eq(json_string_value(json_object_get(json_object_get(h,
	    "iridium"), "tenant")), "anonymous");
	cr_expect_eq(json_integer_value(json_object_get(json_object_get(h,
	    "iridium"), "session")), sid);
	cr_expect_eq(json_integer_value(json_object_get(h, "width")), 80);
	cr_expect_not_null(strstr(json_string_value(json_object_get(
	    json_object_get(h, "iridium"), "peer")), "127.0.0.1:"));
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 07777, 0640, "mode %o", st.st_mode & 07777);
	json_decref(h);
	free(head);
	free(in);
	free(path);
	free(got);
}

Test(record, record_all_adds_the_input_as_sent)
{
	struct counts	 n;
	size_t		 len;
	char		*got, *path, *in;

	start_line("all", "67108864", NULL);
	got = line_session(SCRIPT, &len);
	path = cast_of("anonymous", last_recorded());
	in = events(path, 'i', &n);
	cr_expect_str_eq(in, SCRIPT, "the input events differ from what "
	    "was sent");
	cr_expect_geq(n.i, 1);
	assert_replays_as(path, got, len);
	free(in);
	free(path);
	free(got);
}

/* Every event's time is a number no smaller than the one before. */
static void
times_never_go_back(const char *path)
{
	char		*text = slurp(path, NULL), *line, *save = NULL;
	double		 last = 0, t;
	json_t		*j;
	int		 lineno = 0;

	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (lineno++ == 0)
			continue;
		cr_assert_not_null(j = json_loads(line, 0, NULL), "%s:%d",
		    path, lineno);
		t = json_number_value(json_array_get(j, 0));
		cr_assert_geq(t, last, "%s:%d: %f after %f", path, lineno, t,
		    last);
		last = t;
		json_decref(j);
	}
	free(text);
}

/*
 * iridiumctl upgrade moves a recorded line session into a new worker:
 * the recording goes on in the same file, with a marker, nothing lost or
 * doubled, its times never going back.
 */
Test(record, a_recording_goes_on_across_an_upgrade)
{
	struct counts	 n;
	struct buf	 all;
	size_t		 len;
	char		*got, *path, *in;
	int		 fd, cport;
	pid_t		 before, after;

	start_line("all", "67108864", NULL);
	buf_init(&all, 0);
	cr_assert_geq(fd = tc_connect(d.host, d.port), 0);
	cport = tc_local_port(fd);
	cr_assert_not_null(got = tc_read_until(fd, ">>> ", T));
	buf_puts(&all, got);
	free(got);
	tc_send(fd, "load $1 #41\n");
	cr_assert_not_null(got = tc_read_until(fd, ">>> ", T));
	buf_puts(&all, got);
	free(got);
	before = hd_worker_for_port(&d, cport);
	cr_assert_eq(hd_ctl(&d, NULL, NULL, NULL, "upgrade", NULL), 0);
	cr_assert(hd_wait_log(&d, "upgrade to generation 2 done: 1 line "
	    "session moved, 0 stayed", T), "the upgrade did not finish");
	cr_assert_not_null(got = tc_read_until(fd, "session goes on.\r\n"
	    REPL_PROMPT, T));
	buf_puts(&all, got);
	free(got);
	after = hd_worker_for_port(&d, cport);
	cr_assert(after > 0 && after != before, "the worker was %d, is %d",
	    (int)before, (int)after);
	cr_log_info("CASE: record = all, a line session moved by the upgrade");
	tc_send(fd, "inc $1\n!registers\n!quit\n");
	got = tc_read_all(fd, T, &len);
	buf_append(&all, got, len);
	free(got);
	close(fd);
	cr_assert_not_null(strstr(all.data, "42"), "%s", all.data);
	path = cast_of("anonymous", last_recorded());
	in = events(path, 'i', &n);
	cr_expect_str_eq(in, "load $1 #41\ninc $1\n!registers\n!quit\n",
	    "the input events differ from what was sent");
	cr_expect_eq(n.m, 1, "%d markers", n.m);
	cr_expect_str_eq(n.last_mark, "upgrade: the session goes on in a new "
	    "worker");
	times_never_go_back(path);
	assert_replays_as(path, all.data, all.len);
	free(in);
	free(path);
	buf_free(&all);
}

/*
 * A reload that lowers record_max, then an upgrade: the new workers may
 * not write that recording as far as it may go, so the session stays in
 * its old worker, recording on, and says why in the log.
 */
Test(record, an_upgrade_after_record_max_was_lowered_leaves_it_in_place)
{
	char	 text[1024];
	int	 fd, cport;
	pid_t	 before;

	start_line("output", "67108864", NULL);
	cr_assert_geq(fd = tc_session(&d), 0);
	cport = tc_local_port(fd);
	before = hd_worker_for_port(&d, cport);
	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\n"
	    "[pool]\nmin_spare = 1\n"
	    "[limits]\nbudget = 1000000000000\n"
	    "[listener line]\ntransport = line\nport = 0\n"
	    "record = output\nrecord_max = 1048576\n", dir);
	hd_write_conf(&d, text);
	cr_assert_eq(hd_ctl(&d, NULL, NULL, NULL, "reload", NULL), 0);
	cr_assert_eq(hd_ctl(&d, NULL, NULL, NULL, "upgrade", NULL), 0);
	cr_assert(hd_wait_log(&d, "its recording needs more than new workers "
	    "may write", T));
	cr_assert(hd_wait_log(&d, "upgrade to generation 3 done: 0 line "
	    "sessions moved, 1 stayed", T));
	cr_log_info("CASE: record_max lowered by a reload, then an upgrade");
	cr_expect_eq(hd_worker_for_port(&d, cport), before);
	free(tc_cmd(fd, "load $1 #5"));
	close(fd);
}

Test(record, record_max_ends_the_recording_not_the_session)
{
	struct counts	 n;
	size_t		 len, size;
	char		*got, *path, *o, *text;
	int		 fd;

	start_line("output", "3000", NULL);
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	/* !help, several times: far past 3000 bytes. */
	for (int i = 0; i < 6; i++)
		free(tc_cmd(fd, "!help"));
	got = tc_cmd(fd, "load $7 #99");
	cr_assert_not_null(got, "the session ended with its recording");
	free(got);
	tc_send(fd, "!quit\n");
	free(tc_read_all(fd, T, &len));
	close(fd);
	path = cast_of("anonymous", last_recorded());
	o = events(path, 'o', &n);
	cr_expect_eq(n.m, 1, "%d markers", n.m);
	cr_expect_str_eq(n.last_mark, "recording stopped at its limit of "
	    "3000 bytes");
	text = slurp(path, &size);
	/* The marker is the last line. */
	cr_expect_not_null(strstr(text, "recording stopped at its limit of "
	    "3000 bytes\"]\n"), "%s", text);
	cr_expect_eq(strlen(strstr(text, "recording stopped")),
	    strlen("recording stopped at its limit of 3000 bytes\"]\n"));
	cr_expect_lt(size, 3000 + 1024, "%zu bytes", size);
	cr_expect_eq(hd_log_count(&d, "recording stopped at its limit of "
	    "3000 bytes; the session goes on"), 1);
	free(text);
	free(o);
	free(path);
}

Test(record, a_worker_killed_mid_output_leaves_only_whole_lines)
{
	struct counts	 n;
	struct stat	 st;
	long long	 sid;
	char		 pat[512], needle[64], *path, *o;
	glob_t		 g;
	pid_t		 w;
	int		 fd, tries;

	start_line("all", "0", NULL);
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	w = hd_worker_for_port(&d, tc_local_port(fd));
	cr_assert_gt(w, 0);
	sid = last_recorded();
	tc_send(fd, "!load\n.data\ns: .asciiz 'a line of output, again "
	    "and again\\n'\n.code\neq $0 $0\nl: prts @s\ndjmpe @l\n!end\n");
	snprintf(pat, sizeof(pat), "%s/state/recordings/anonymous/*/%lld-*"
	    ".cast", dir, sid);
	/* Kill it once the recording has grown while printing. */
	for (tries = 0; tries < 200; tries++) {
		char	 drain[65536];

		(void)recv(fd, drain, sizeof(drain), MSG_DONTWAIT);
		if (glob(pat, 0, NULL, &g) == 0) {
			if (stat(g.gl_pathv[0], &st) == 0 &&
			    st.st_size > 200000) {
				globfree(&g);
				break;
			}
			globfree(&g);
		}
		usleep(10000);
	}
	cr_assert_lt(tries, 200, "the recording never grew");
	cr_assert_eq(kill(w, SIGKILL), 0);
	snprintf(needle, sizeof(needle), "worker %d crashed", (int)w);
	cr_assert(hd_wait_log(&d, needle, T), "no \"%s\"", needle);
	close(fd);
	cr_assert_eq(glob(pat, 0, NULL, &g), 0);
	path = strdup(g.gl_pathv[0]);
	globfree(&g);
	o = events(path, 'o', &n);	/* every line parses */
	cr_expect_gt(n.o, 10);
	cr_expect_not_null(strstr(o, "a line of output"));
	free(o);
	free(path);
}

/* Hooks whose attempt the filter answers by killing the worker. */
static const char *const rec_kills[] = {
	"rec_lseek", "rec_ftruncate", "rec_fchmod", "rec_fchown",
	"rec_pwrite", "rec_fallocate",
};

Test(record, a_hostile_worker_can_only_append_to_its_own_recording)
{
	size_t		 i, len, before, after;
	char		 cmd[64], needle[128], *path, *s;
	struct stat	 st;
	long long	 sid;
	pid_t		 w;
	int		 fd;

	start_line("output", "100000", "iridium-worker-test");
	for (i = 0; i < sizeof(rec_kills) / sizeof(rec_kills[0]); i++) {
		fd = tc_session(&d);
		cr_assert_geq(fd, 0);
		w = hd_worker_for_port(&d, tc_local_port(fd));
		sid = last_recorded();
		snprintf(cmd, sizeof(cmd), "!test %s\n", rec_kills[i]);
		tc_send(fd, cmd);
		snprintf(needle, sizeof(needle), "worker %d sandbox violation "
		    "(signal %d (SYS))", (int)w, SIGSYS);
		cr_expect(hd_wait_log(&d, needle, T), "%s: no \"%s\"",
		    rec_kills[i], needle);
		s = tc_read_all(fd, T, &len);
		cr_expect_null(strstr(s, " -> "), "%s answered: %s",
		    rec_kills[i], s);
		free(s);
		close(fd);
		/* The recording is as the worker left it: whole lines. */
		path = cast_path("anonymous", sid);
		free(events(path, 'o', &(struct counts){ 0 }));
		free(path);
	}
	/* Through the file system: refused, the session goes on. */
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	s = tc_cmd(fd, "!test rec_procfd");
	cr_expect_not_null(strstr(s, "-> EACCES"), "%s", s);
	free(s);
	s = tc_cmd(fd, "!test rec_openat");
	cr_expect_not_null(strstr(s, "-> EACCES"), "%s", s);
	free(s);
	/* Past the size the supervisor allowed: SIGXFSZ, not a byte more. */
	w = hd_worker_for_port(&d, tc_local_port(fd));
	sid = last_recorded();
	tc_send(fd, "!test rec_grow\n");
	snprintf(needle, sizeof(needle), "worker %d crashed (signal %d "
	    "(XFSZ))", (int)w, SIGXFSZ);
	cr_expect(hd_wait_log(&d, needle, T), "no \"%s\"", needle);
	close(fd);
	path = cast_path("anonymous", sid);
	cr_assert_eq(stat(path, &st), 0);
	before = 100000;
	after = (size_t)st.st_size;
	cr_expect_leq(after, before + 8192, "the recording grew to %zu "
	    "bytes past its limit of %zu + 8192", after, before);
	cr_expect_gt(after, before, "rec_grow wrote only %zu bytes", after);
	free(path);
}

Test(record, ssh_pty_and_run_replay_byte_for_byte)
{
	static const char prog[] =
	    ".data\ng: .asciiz 'Hello, \xc3\xa9t\xc3\xa9!\\n'\n"
	    ".code\n\tprts @g\n\thlt\n";
	const char	*opts[] = { "-tt", NULL };
	struct counts	 n;
	struct sshc	 c;
	size_t		 seen = 0;
	char		*path, *in, *fpr;
	char		*head;

	start_ssh("all");
	/* A shell on a pty: typed, echoed, answered. */
	sshc_start(&c, sshc_argv(&so, "dev", "dev", opts, NULL), NULL, 0,
	    true, true);
	/* A terminal of 100x30: its pty-req or window-change says so. */
	cr_assert_eq(ioctl(c.out, TIOCSWINSZ, &(struct winsize){ .ws_row = 30,
	    .ws_col = 100 }), 0);
	sshc_expect(&c, &seen, REPL_PROMPT, T);
	sshc_type(&c, "load $3 #7\r");
	sshc_expect(&c, &seen, REPL_PROMPT, T);
	sshc_type(&c, "!quit\r");
	sshc_finish((struct sshc *[]){ &c }, 1, T);
	cr_assert_not_null(strstr(c.o.data, "Farewell"), "%s", c.o.data);
	cr_expect_not_null(strstr(c.o.data, "This session is recorded."));
	path = cast_of("dev", last_recorded());
	in = events(path, 'i', &n);
	cr_expect_geq(n.r, 1, "no terminal size recorded");
	head = slurp(path, NULL);
	cr_expect_not_null(strstr(head, "\"r\", \"100x30\""), "%s", head);
	free(head);
	cr_expect_not_null(strstr(in, "load $3 #7\r"), "input: %s", in);
	free(in);
	assert_replays_as(path, c.o.data, c.o.len);
	/* The login's key is in the header. */
	head = slurp(path, NULL);
	fpr = strdup(sshc_fingerprint(&so, "dev.pub"));
	cr_expect_not_null(strstr(head, fpr), "no %s in the header", fpr);
	free(fpr);
	free(head);
	free(path);
	sshc_free(&c);

	/* run: the command, the program as input, the output, the status. */
	sshc_ssh(&c, &so, "dev", "dev", "run", prog);
	cr_assert_eq(c.status, 0, "run: %s", c.e.data);
	path = cast_of("dev", last_recorded());
	in = events(path, 'i', &n);
	cr_expect_str_eq(in, prog);
	cr_expect_eq(n.m, 2, "%d markers", n.m);
	cr_expect_str_eq(n.last_mark, "exit status 0");
	free(in);
	assert_replays_as(path, c.o.data, c.o.len);
	free(path);
	sshc_free(&c);
}

/* The last marker of the recording at path, once it reads want. */
static void
last_mark_is(const char *path, const char *want)
{
	long long	 end = hd_now_ms() + T;
	struct counts	 n;

	for (;;) {
		free(events(path, 'o', &n));
		if (strcmp(n.last_mark, want) == 0 || hd_now_ms() > end)
			break;
		usleep(50000);
	}
	cr_assert_str_eq(n.last_mark, want, "%s", path);
}

/*
 * An ssh session dropped, then resumed from a new login: the first
 * recording ends with a marker naming the session that took it up, the
 * second says which session it resumed and replays as its client saw.
 */
Test(record, a_resumed_ssh_session_names_each_recording)
{
	const char	*opts[] = { "-tt", NULL };
	struct sshc	 a, b;
	size_t		 sa = 0, sb = 0;
	long long	 first, second;
	char		*path, *text, want[64];

	start_ssh("output");
	sshc_start(&a, sshc_argv(&so, "dev", "dev", opts, NULL), NULL, 0,
	    true, true);
	sshc_expect(&a, &sa, REPL_PROMPT, T);
	first = last_recorded();
	sshc_type(&a, "load $1 #77\r");
	sshc_expect(&a, &sa, "load $1 #77\r\n" REPL_PROMPT, T);
	cr_assert_eq(kill(a.pid, SIGKILL), 0);
	sshc_finish((struct sshc *[]){ &a }, 1, T);
	cr_assert(hd_wait_log(&d, "detached, resumable", T));
	sshc_start(&b, sshc_argv(&so, "dev", "dev", opts, "resume"), NULL, 0,
	    true, true);
	snprintf(want, sizeof(want), "Resumed session %lld: ", first);
	sshc_expect(&b, &sb, want, T);
	sshc_expect(&b, &sb, REPL_PROMPT, T);
	second = last_recorded();
	sshc_type(&b, "!registers\r");
	sshc_expect(&b, &sb, "$1           77", T);
	sshc_type(&b, "!quit\r");
	sshc_finish((struct sshc *[]){ &b }, 1, T);
	cr_log_info("CASE: ssh on a pty, dropped, resumed by ssh -t resume");
	path = cast_path("dev", first);
	snprintf(want, sizeof(want), "resumed by session %lld", second);
	last_mark_is(path, want);
	free(path);
	path = cast_of("dev", second);
	snprintf(want, sizeof(want), "resumed session %lld", first);
	text = slurp(path, NULL);
	cr_expect_not_null(strstr(text, want), "no \"%s\" in %s", want,
	    path);
	free(text);
	times_never_go_back(path);
	assert_replays_as(path, b.o.data, b.o.len);
	free(path);
	sshc_free(&a);
	sshc_free(&b);
}

/*
 * `iridiumd -t` of config text: it passes (exit 0) with a warning about
 * record_dir; its stderr (malloc'd).
 */
static char *
check_config(const char *text)
{
	char	 conf[512], *out, *err;
	int	 rc;

	snprintf(conf, sizeof(conf), "%s/t.conf", dir);
	hd_write(conf, text);
	{
		const char *const av[] = { hd_bin("iridiumd"), "-t", "-f", conf,
		    "--worker-path", hd_bin("iridium-worker"), NULL };

		rc = hd_run(av, &out, &err, T);
	}
	free(out);
	cr_expect_eq(rc, 0, "iridiumd -t: %s", err);
	cr_expect_not_null(strstr(err, "warning: [daemon] record_dir: "),
	    "%s", err);
	return err;
}

Test(record, a_directory_that_cannot_be_made_is_reported_and_sessions_go_on)
{
	char	 text[1024], *err, *got;
	size_t	 len;

	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\nrecord_dir = %s/gone/rec\n"
	    "[pool]\nmin_spare = 1\n"
	    "[listener line]\ntransport = line\nport = 0\nrecord = all\n",
	    dir, dir);
	hd_sh("mkdir -p %s/state", dir);
	err = check_config(text);
	cr_expect_not_null(strstr(err, "gone/rec is missing and cannot be "
	    "made"), "%s", err);
	free(err);
	hd_start_conf(&d, text, NULL);
	cr_expect(hd_wait_log(&d, "recordings: ", T));
	cr_expect(hd_wait_log(&d, "sessions are not recorded", T));
	got = line_session("load $1 #2\n!quit\n", &len);
	cr_expect_not_null(strstr(got, "Farewell"), "%s", got);
	cr_expect(hd_wait_log(&d, "not recorded (no recording directory)",
	    T));
	free(got);
}

static char	 ro_mount[512];

static void
ro_umount(void *arg)
{
	(void)arg;
	if (ro_mount[0] != '\0')
		(void)umount2(ro_mount, MNT_DETACH);
	ro_mount[0] = '\0';
}

/*
 * A recording directory that is there and cannot be written: root
 * writes anywhere, so for root it is a read-only tmpfs mounted on it; for
 * anyone else, mode 0555.
 */
Test(record, a_directory_that_cannot_be_written_is_reported_and_sessions_go_on)
{
	char	 text[1024], rec[512], *err, *got;
	size_t	 len;

	snprintf(rec, sizeof(rec), "%s/rec", dir);
	hd_sh("mkdir -p %s/state %s", dir, rec);
	if (geteuid() == 0) {
		if (mount("tmpfs", rec, "tmpfs", MS_RDONLY | MS_NOSUID |
		    MS_NODEV | MS_NOEXEC, "size=1m") == -1) {
			probe_ci_requires("root here cannot mount a read-only "
			    "tmpfs (%s)", strerror(errno));
			return;
		}
		strlcpy(ro_mount, rec, sizeof(ro_mount));
		hd_defer(ro_umount, NULL);
		probe_case("root: record_dir is a read-only tmpfs");
	} else {
		hd_sh("chmod 0555 %s", rec);
		probe_case("uid %u: record_dir has mode 0555",
		    (unsigned)geteuid());
	}
	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\nrecord_dir = %s\n"
	    "[pool]\nmin_spare = 1\n"
	    "[listener line]\ntransport = line\nport = 0\nrecord = all\n",
	    dir, rec);
	err = check_config(text);
	cr_expect(strstr(err, "Read-only file system") != NULL ||
	    strstr(err, "Permission denied") != NULL, "%s", err);
	free(err);
	hd_start_conf(&d, text, NULL);
	cr_expect(hd_wait_log(&d, "sessions are not recorded", T));
	got = line_session("load $1 #2\n!quit\n", &len);
	cr_expect_not_null(strstr(got, "Farewell"), "%s", got);
	cr_expect_null(strstr(got, "This session is recorded."), "%s", got);
	cr_expect(hd_wait_log(&d, "not recorded (no recording directory)",
	    T));
	free(got);
	hd_stop(&d, SIGTERM, T);
	ro_umount(NULL);
	hd_undefer(ro_umount, NULL);
}

/* contrib's tmpfiles.d example, run by systemd-tmpfiles under a root. */
Test(record, the_tmpfiles_example_keeps_ninety_days)
{
	char	 root[300], old[512], new[512], *src = getenv("IRIDIUM_SRC");

	cr_assert_not_null(src);
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(old, sizeof(old), "%s/var/lib/iridium/recordings/dev/"
	    "2020-01-01", root);
	snprintf(new, sizeof(new), "%s/var/lib/iridium/recordings/dev/"
	    "2020-06-01", root);
	hd_sh("mkdir -p %s %s && touch -d '91 days ago' %s/1-a.cast && "
	    "touch -d '89 days ago' %s/2-b.cast && touch -d '91 days ago' %s",
	    old, new, old, new, old);
	hd_sh("systemd-tmpfiles --clean --root=%s "
	    "%s/contrib/iridium-recordings.tmpfiles", root, src);
	cr_expect_neq(access(strcat(old, "/1-a.cast"), F_OK), 0,
	    "a recording 91 days old is still there");
	cr_expect_eq(access(strcat(new, "/2-b.cast"), F_OK), 0,
	    "a recording 89 days old is gone");
}

/* iridiumctl: sessions says which are recorded; recordings lists them. */
Test(record, iridiumctl_shows_and_lists_recordings)
{
	char		*out, *err, name[128];
	json_t		*doc, *a, *r;
	long long	 sid;
	int		 fd;

	start_line("output", "67108864", NULL);
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	sid = last_recorded();
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "sessions", NULL), 0, "%s",
	    err);
	cr_expect_not_null(strstr(out, " REC "), "%s", out);
	cr_expect_not_null(strstr(out, "  yes  "), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "sessions", "--json", NULL),
	    0, "%s", err);
	cr_expect_not_null(strstr(out, "\"recording\": \"anonymous/"), "%s",
	    out);
	free(out);
	free(err);
	tc_send(fd, "!quit\n");
	free(tc_read_all(fd, T, NULL));
	close(fd);
	free(cast_of("anonymous", sid));

	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "recordings", "--json",
	    NULL), 0, "%s", err);
	cr_assert_not_null(doc = json_loads(out, 0, NULL), "%s", out);
	a = json_object_get(doc, "recordings");
	cr_assert_eq(json_array_size(a), 1, "%s", out);
	r = json_array_get(a, 0);
	snprintf(name, sizeof(name), "%lld-127.0.0.1_", sid);
	cr_expect_str_eq(json_string_value(json_object_get(r, "tenant")),
	    "anonymous");
	cr_expect_eq(json_string_length(json_object_get(r, "date")), 10);
	cr_expect(json_is_boolean(json_object_get(doc, "truncated")));
	cr_expect_not_null(strstr(json_string_value(json_object_get(doc,
	    "dir")), "/state/recordings"));
	cr_expect_not_null(strstr(json_string_value(json_object_get(r,
	    "file")), name));
	cr_expect_gt(json_integer_value(json_object_get(r, "bytes")), 100);
	cr_expect_gt(json_integer_value(json_object_get(r, "started")),
	    1700000000);
	cr_expect(json_is_integer(json_object_get(r, "duration_seconds")));
	json_decref(doc);
	free(out);
	free(err);
	/* The table; another tenant's, and tomorrow's, are empty. */
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "recordings", NULL), 0);
	cr_expect_not_null(strstr(out, "TENANT     DATE"), "%s", out);
	cr_expect_not_null(strstr(out, name), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "recordings", "dev", NULL),
	    0);
	cr_expect_not_null(strstr(out, "no recordings in "), "%s", out);
	free(out);
	free(err);
	cr_assert_eq(hd_ctl(&d, NULL, &out, &err, "recordings", "--since",
	    "2999-01-01", NULL), 0);
	cr_expect_not_null(strstr(out, "no recordings in "), "%s", out);
	free(out);
	free(err);
	cr_expect_eq(hd_ctl(&d, NULL, &out, &err, "recordings", "--since",
	    "yesterday", NULL), 1);
	cr_expect_not_null(strstr(err, "\"since\" must be a date"), "%s",
	    err);
	free(out);
	free(err);
}

/*
 * A line session detached and taken up again: two recordings, the second
 * with the rest of the session; the token is in neither, though the
 * first client was shown it and the second typed it (record = all).
 */
Test(record, a_resumed_session_records_on_and_keeps_its_token_out)
{
	struct counts	 n;
	char		 line[128], token[64], *out, *p, *path, *in, *o, *text;
	long long	 first, second;
	int		 fd;

	start_line("all", "67108864", NULL);
	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	first = last_recorded();
	free(tc_cmd(fd, "load $1 #77"));
	tc_send(fd, "!detach\n");
	out = tc_read_until(fd, "(This token is shown only now.)", T);
	cr_assert_not_null(out, "no token");
	cr_assert_not_null(p = strstr(out, "\n!resume "), "%s", out);
	p += strlen("\n!resume ");
	snprintf(token, sizeof(token), "%.*s", (int)strcspn(p, "\r\n"), p);
	cr_assert_eq(strlen(token), 22, "%s", out);
	free(out);
	free(tc_read_all(fd, T, NULL));
	close(fd);
	cr_assert(hd_wait_log(&d, "detached, resumable", T));

	fd = tc_session(&d);
	cr_assert_geq(fd, 0);
	second = last_recorded();
	snprintf(line, sizeof(line), "!resume %s", token);
	out = tc_cmd(fd, line);
	cr_assert_not_null(strstr(out, "Resumed session "), "%s", out);
	free(out);
	out = tc_cmd(fd, "!registers");
	cr_assert_not_null(strstr(out, "$1           77"), "%s", out);
	free(out);
	tc_send(fd, "!quit\n");
	free(tc_read_all(fd, T, NULL));
	close(fd);

	path = cast_of("anonymous", first);
	o = events(path, 'o', &n);
	cr_expect_str_eq(n.last_mark, "detached; the resume token shown is "
	    "not recorded");
	text = slurp(path, NULL);
	cr_expect_null(strstr(text, token), "the token is in %s", path);
	free(text);
	free(o);
	free(path);
	path = cast_of("anonymous", second);
	in = events(path, 'i', &n);
	cr_expect_not_null(strstr(in, "!resume (token)\r"), "%s", in);
	free(in);
	o = events(path, 'o', &n);
	cr_expect_not_null(strstr(o, "$1           77"), "%s", o);
	free(o);
	text = slurp(path, NULL);
	cr_expect_null(strstr(text, token), "the token is in %s", path);
	free(text);
	free(path);
}

/*
 * A slow file system under the recordings, made to order: strace holds
 * each openat of iridiumd's recording thread (making a file takes three).
 * The recorded session waits for its file while a session on another
 * listener is served at once; past 5 s the session goes on unrecorded.
 */
Test(record, a_slow_file_system_holds_up_only_the_session_it_records)
{
	char	 text[1024], *p;
	pid_t	 tid, s;
	int	 a, b, c, rec, plain;

	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\n"
	    "[pool]\nmin_spare = 2\n"
	    "[listener rec]\ntransport = line\nport = 0\nrecord = all\n"
	    "[listener plain]\ntransport = line\nport = 0\n", dir);
	hd_sh("mkdir -p %s/state", dir);
	hd_start_conf(&d, text, NULL);
	rec = hd_listener_port(&d, "rec");
	plain = hd_listener_port(&d, "plain");
	/* The thread is born with the first recording. */
	a = tc_connect("127.0.0.1", rec);
	free(tc_read_until(a, ">>> ", T));
	close(a);
	tid = proc_thread_named(d.pid, "iridiumd-record");
	cr_assert_gt(tid, 0, "iridiumd %d has no thread iridiumd-record",
	    (int)d.pid);
	if ((s = proc_strace_delay(tid, "openat", 1000000)) == -1) {
		probe_ci_requires("strace cannot trace iridiumd's thread %d "
		    "here (ptrace_scope, or not root)", (int)tid);
		return;
	}
	probe_case("strace holds each openat of thread %d (iridiumd-record) "
	    "for 1 s, then for 3 s", (int)tid);
	a = tc_connect("127.0.0.1", rec);
	b = tc_connect("127.0.0.1", plain);
	p = tc_read_until(b, ">>> ", T);
	cr_assert_not_null(p, "the unrecorded session was not served");
	free(p);
	p = tc_cmd(b, "load $1 #7");
	free(p);
	/* Served, while the recorded one still waits for its file. */
	{
		char	 byte;

		cr_assert_eq(recv(a, &byte, 1, MSG_DONTWAIT), -1,
		    "the recorded session spoke before its file was made");
	}
	p = tc_read_until(a, ">>> ", T);
	cr_assert_not_null(p, "the recorded session never started");
	cr_expect_not_null(strstr(p, "This session is recorded."));
	free(p);
	cr_assert_eq(hd_log_count(&d, ": recorded (all)"), 2);
	close(a);
	close(b);
	proc_strace_end(s);

	/* 3 s an openat: past the 5 s a session waits for its file. */
	cr_assert_gt(s = proc_strace_delay(tid, "openat", 3000000), 0);
	c = tc_connect("127.0.0.1", rec);
	cr_assert(hd_wait_log(&d, "not recorded: its file was not made "
	    "within 5 s", T));
	p = tc_read_until(c, ">>> ", T);
	cr_assert_not_null(p, "the session did not go on unrecorded");
	cr_expect_null(strstr(p, "This session is recorded."));
	free(p);
	p = tc_cmd(c, "load $2 #9");
	free(p);
	p = tc_cmd(c, "!registers $2");
	cr_assert_not_null(strstr(p, "9"), "%s", p);
	free(p);
	close(c);
	/* iridiumctl status --json counts it, and the file work still due. */
	{
		json_t	*st = hd_status(&d);

		cr_assert_not_null(st);
		cr_expect_eq(hd_json_num(st, "daemon.recordings_late"), 1);
		cr_expect_geq(hd_json_num(st, "daemon.file_jobs_waiting"), 1);
		cr_expect_geq(hd_json_num(st, "daemon.file_job_slowest_ms"),
		    2000);
		json_decref(st);
	}
	proc_strace_end(s);
	cr_assert_eq(hd_log_count(&d, ": recorded (all)"), 2);
	/* The file, made at last, says why no session writes it. */
	{
		const char	*n = strstr(d.log, "not recorded: its file was "
		    "not made");
		long long	 sid, end = hd_now_ms() + T;
		char		 pat[512], *got = NULL;
		glob_t		 g;

		cr_assert_not_null(n);
		while (n > d.log && n[-1] != ' ')
			n--;
		while (n > d.log && n[-1] == ' ')
			n--;
		while (n > d.log && n[-1] != ' ')
			n--;
		sid = atoll(n);
		cr_assert_gt(sid, 0);
		snprintf(pat, sizeof(pat), "%s/state/recordings/anonymous/*/"
		    "%lld-*.cast", dir, sid);
		while (hd_now_ms() < end) {
			if (glob(pat, 0, NULL, &g) == 0) {
				got = slurp(g.gl_pathv[0], NULL);
				globfree(&g);
				if (strstr(got, "\"m\"") != NULL)
					break;
				free(got);
				got = NULL;
			}
			usleep(50000);
		}
		cr_assert_not_null(got, "no marker in %s", pat);
		cr_expect_not_null(strstr(got, "not recorded: the file was "
		    "made after the session had gone on unrecorded"), "%s",
		    got);
		free(got);
	}
}

/* Behind a PROXY listener: the recording is the client's, not the balancer's. */
Test(record, behind_a_proxy_the_recording_names_the_client)
{
	char	 text[1024], *got, *path, *head;
	size_t	 len;

	snprintf(text, sizeof(text),
	    "[daemon]\nstate_dir = %s/state\n"
	    "[pool]\nmin_spare = 1\n"
	    "[listener line]\ntransport = line\nport = 0\nrecord = output\n"
	    "proxy_protocol = yes\nproxy_trusted = 127.0.0.1\n", dir);
	hd_sh("mkdir -p %s/state", dir);
	hd_start_conf(&d, text, NULL);
	got = line_session("PROXY TCP4 203.0.113.9 127.0.0.1 4711 2244\r\n"
	    "load $1 #1\n!quit\n", &len);
	cr_assert_not_null(strstr(got, "Farewell"), "%s", got);
	path = cast_of("anonymous", last_recorded());
	cr_expect_not_null(strstr(path, "-203.0.113.9_4711.cast"), "%s", path);
	head = slurp(path, NULL);
	cr_expect_not_null(strstr(head, "\"peer\":\"203.0.113.9:4711\""),
	    "%s", head);
	free(head);
	assert_replays_as(path, got, len);
	free(path);
	free(got);
}

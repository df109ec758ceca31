/*
 * test_repl.c: the transport-independent REPL (repl.h): every command
 * (iridium(1) and repl.h say what each does), typed lines running
 * incrementally (and exactly as if the whole program were loaded for each
 * line), errors, budgets, interrupts and hang-ups through the host
 * callbacks, and lines holding arbitrary bytes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asm.h"
#include "buf.h"
#include "hostpoll.h"
#include "repl.h"
#include "run.h"
#include "vm.h"

struct host {
	struct hostpoll	 poll;		/* first: hostpoll() gets the host */
	struct repl	*repl;
	struct buf	 out;
	size_t		 write_limit;	/* 0: none; else fail past it */
	int		 writes;
};

static int
host_write(void *arg, const char *p, size_t n)
{
	struct host	*h = arg;

	h->writes++;
	if (h->write_limit != 0 && h->out.len + n > h->write_limit)
		return -1;
	return buf_append(&h->out, p, n);
}

static void
host_limits(void *arg, struct buf *out)
{
	(void)arg;
	buf_puts(out, "host: idle timeout 300 s\n");
}

static void
host_start(struct host *h, const struct repl_config *cfg)
{
	struct repl_io	 io = { host_write, hostpoll, host_limits, h, NULL };

	memset(h, 0, sizeof(*h));
	buf_init(&h->out, 0);
	h->repl = repl_new(cfg, &io);
	cr_assert_not_null(h->repl);
}

static void
host_default(struct host *h)
{
	struct repl_config cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = 100000;
	cfg.heap_bytes = 4096;
	cfg.stack_depth = 128;
	cfg.slice = 1000;
	host_start(h, &cfg);
}

static void
host_end(struct host *h)
{
	repl_free(h->repl);
	buf_free(&h->out);
}

/* Feed one line; *out gets its output (valid until the next feed). */
static enum repl_result
feedn(struct host *h, const char *line, size_t len, const char **out)
{
	enum repl_result rv;

	buf_reset(&h->out);
	rv = repl_feed(h->repl, line, len);
	*out = h->out.data != NULL ? h->out.data : "";
	return rv;
}

static const char *
say(struct host *h, const char *line)
{
	const char	*out;

	cr_assert_eq(feedn(h, line, strlen(line), &out), REPL_CONTINUE,
	    "line '%s' did not continue the session", line);
	return out;
}

static void
says(struct host *h, const char *line, const char *want)
{
	const char	*out = say(h, line);

	cr_assert_str_eq(out, want, "after '%s'", line);
}

static void
contains(const char *out, const char *want)
{
	cr_assert_not_null(strstr(out, want), "output lacks '%s':\n%s", want,
	    out);
}

static void
lacks(const char *out, const char *unwanted)
{
	cr_assert_null(strstr(out, unwanted), "output has '%s':\n%s",
	    unwanted, out);
}

/* Run a whole !load block; returns the output of its !end. */
static const char *
load(struct host *h, const char *const *lines)
{
	size_t	 i;

	says(h, "!load", "");
	for (i = 0; lines[i] != NULL; i++)
		says(h, lines[i], "");
	return say(h, "!end");
}

static const char *const hello_prog[] = {
	".data",
	"greeting: .asciiz 'Hello!\\n'",
	".code",
	"start: prts @greeting",
	"load $7 #77",
	"hlt",
	NULL
};

/* --- the interface -------------------------------------------------------- */

Test(repl, new_refuses_bad_setup)
{
	struct repl_config cfg;
	struct repl_io	 io = { host_write, NULL, NULL, NULL, NULL };
	struct repl_io	 nowrite = { NULL, NULL, NULL, NULL, NULL };

	memset(&cfg, 0, sizeof(cfg));
	cfg.heap_bytes = 63;
	cr_assert_null(repl_new(&cfg, &io), "heap below 64 accepted");
	cfg.heap_bytes = 0;
	cr_assert_null(repl_new(&cfg, &nowrite), "NULL write accepted");
}

Test(repl, zero_config_means_defaults)
{
	struct repl_config cfg;
	struct host	 h;
	const struct repl_config *c;

	memset(&cfg, 0, sizeof(cfg));
	host_start(&h, &cfg);
	c = repl_config(h.repl);
	cr_assert_eq(c->budget, 100000000ULL);
	cr_assert_eq(c->heap_bytes, 1024 * 1024);
	cr_assert_eq(c->stack_depth, 65536);
	cr_assert_eq(c->slice, 1U << 20);
	cr_assert_eq(c->max_load_bytes, 1024 * 1024);
	cr_assert_eq(c->history, 1000);
	cr_assert_eq(c->local, 0);
	host_end(&h);
}

Test(repl, prompt_is_the_reference_one_outside_load)
{
	struct host	 h;

	host_default(&h);
	cr_assert_str_eq(repl_prompt(h.repl), ">>> ");
	says(&h, "!load", "");
	cr_assert_str_eq(repl_prompt(h.repl), REPL_PROMPT_LOAD);
	say(&h, "!end");
	cr_assert_str_eq(repl_prompt(h.repl), ">>> ");
	cr_assert_str_eq(REPL_BANNER, "Welcome to Iridium! Let's be "
	    "productive!");
	host_end(&h);
}

/* --- commands ------------------------------------------------------------- */

Test(repl, help_lists_every_command)
{
	static const char *const cmds[] = {
		"!help", "!quit", "!history", "!program", "!clear_program",
		"!clear_registers", "!registers", "!symbols",
		"!load_file PATH", "!load ", "!spawn", "!limits", NULL
	};
	struct host	 h;
	const char	*out;
	size_t		 i;

	host_default(&h);
	out = say(&h, "!help");
	for (i = 0; cmds[i] != NULL; i++)
		contains(out, cmds[i]);
	contains(out, "not in remote sessions");
	host_end(&h);
}

Test(repl, quit_says_farewell_and_ends_the_session)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	cr_assert_eq(feedn(&h, "!quit", 5, &out), REPL_QUIT);
	cr_assert_str_eq(out, "Farewell! Have a great day!\n");
	host_end(&h);
}

Test(repl, commands_refuse_arguments_they_do_not_take)
{
	struct host	 h;

	host_default(&h);
	says(&h, "!quit now", "error: !quit takes no arguments\n");
	/* Surrounding blanks are not arguments. */
	contains(say(&h, "  !help  "), "!spawn");
	host_end(&h);
}

Test(repl, registers_shows_the_named_ones_and_ranges)
{
	struct host	 h;
	struct repl_stats st;
	const char	*out;

	host_default(&h);
	say(&h, "load $1 #41");
	say(&h, "load $5 #-5");
	says(&h, "!registers $1 $5", "integer registers:\n"
	    "  $1           41  $5           -5\n"
	    "float registers:\n"
	    "  $1              0  $5              0\n");
	/* A range and a comma; duplicates once, in order of number. */
	out = say(&h, "!registers $5, $0-$3 $1");
	cr_assert_str_eq(out, "integer registers:\n"
	    "  $0            0  $1           41  $2            0  $3            0\n"
	    "  $5           -5\n"
	    "float registers:\n"
	    "  $0              0  $1              0  $2              0  $3              0\n"
	    "  $5              0\n");
	says(&h, "!registers $31-$31", "integer registers:\n  $31           0\n"
	    "float registers:\n  $31             0\n");
	/* Without arguments: all of them, as before. */
	contains(say(&h, "!registers"), "pc 76\n");
	repl_stats(h.repl, &st);
	cr_assert_eq(st.errors, 0);
	host_end(&h);
}

Test(repl, registers_refuses_bad_names_as_errors)
{
	struct host	 h;
	struct repl_stats st;

	host_default(&h);
	says(&h, "!registers $32", "error: !registers: unknown register $32 "
	    "(registers are $0..$31)\n");
	says(&h, "!registers $0-$999", "error: !registers: unknown register "
	    "$999 (registers are $0..$31)\n");
	says(&h, "!registers $7-$0", "error: !registers: the range $7-$0 runs "
	    "backwards\n");
	says(&h, "!registers r1", "error: !registers: expected a register "
	    "($N) or a range ($A-$B), got r1\n");
	says(&h, "!registers $1-", "error: !registers: expected a register "
	    "($N) or a range ($A-$B), got $1-\n");
	says(&h, "!registers $1-$2-$3", "error: !registers: expected a "
	    "register ($N) or a range ($A-$B), got $1-$2-$3\n");
	says(&h, "!registers $0001", "error: !registers: expected a register "
	    "($N) or a range ($A-$B), got $0001\n");
	repl_stats(h.repl, &st);
	cr_assert_eq(st.errors, 7);
	host_end(&h);
}

Test(repl, quit_inside_load_drops_the_block_and_ends)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	says(&h, "!load", "");
	says(&h, "load $1 #1", "");
	says(&h, "load $2 #2", "");
	cr_assert_eq(feedn(&h, "  !quit ", 8, &out), REPL_QUIT);
	cr_assert_str_eq(out, "the unfinished !load block (2 lines) is "
	    "dropped\n" REPL_FAREWELL "\n");
	cr_assert_str_eq(repl_prompt(h.repl), REPL_PROMPT);
	host_end(&h);
}

Test(repl, an_unknown_command_counts_as_an_error)
{
	struct host	 h;
	struct repl_stats st;

	host_default(&h);
	contains(say(&h, "!nope"), "!nope is not a command");
	say(&h, "!help me");
	repl_stats(h.repl, &st);
	cr_assert_eq(st.errors, 2);
	host_end(&h);
}

Test(repl, history_lists_lines_in_order)
{
	struct host	 h;

	host_default(&h);
	say(&h, "load $1 #1");
	say(&h, "!registers");
	say(&h, "");			/* blank lines are not kept */
	says(&h, "!history", "    1  load $1 #1\n    2  !registers\n"
	    "    3  !history\n");
	host_end(&h);
}

Test(repl, history_is_readable_and_can_be_given_back)
{
	struct host	 h;
	const char	*s;
	size_t		 len;

	host_default(&h);
	repl_history_push(h.repl, "load $2 #7", 10);
	repl_history_push(h.repl, "", 0);		/* blank: not kept */
	say(&h, "!registers");
	cr_assert_eq(repl_history_count(h.repl), 2);
	s = repl_history_line(h.repl, 0, &len);
	cr_assert(s != NULL && len == 10 && strcmp(s, "load $2 #7") == 0);
	s = repl_history_line(h.repl, 1, &len);
	cr_assert(s != NULL && strcmp(s, "!registers") == 0);
	cr_assert_null(repl_history_line(h.repl, 2, &len));
	/* A pushed line is history, not code: nothing ran. */
	contains(say(&h, "!history"), "    1  load $2 #7\n");
	host_end(&h);
}

Test(repl, history_is_bounded_and_says_so)
{
	struct repl_config cfg;
	struct host	 h;
	const char	*out;

	memset(&cfg, 0, sizeof(cfg));
	cfg.history = 3;
	host_start(&h, &cfg);
	say(&h, "load $1 #1");
	say(&h, "load $1 #2");
	say(&h, "load $1 #3");
	say(&h, "load $1 #4");
	out = say(&h, "!history");
	cr_assert_str_eq(out, "(2 earlier lines not kept: the history holds "
	    "3)\n    3  load $1 #3\n    4  load $1 #4\n    5  !history\n");
	host_end(&h);
}

Test(repl, history_escapes_and_cuts_long_lines)
{
	struct host	 h;
	const char	*out;
	char		*big;

	host_default(&h);
	big = malloc(10000);
	memset(big, 'x', 9999);
	big[9999] = '\0';
	say(&h, big);
	say(&h, "; tab\there, bell \a");
	out = say(&h, "!history");
	contains(out, "xxx...\n");
	cr_assert_lt(strlen(out), 5000, "a history line was not cut");
	contains(out, "; tab\there, bell \\x07\n");
	free(big);
	host_end(&h);
}

Test(repl, program_lists_the_code_with_labels)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	says(&h, "!program", "the program is empty\n");
	say(&h, "load $1 #500");
	say(&h, "top: inc $1");
	out = say(&h, "!program");
	contains(out, "68");
	contains(out, "load $1 #500");
	contains(out, "top:");
	contains(out, "inc $1");
	host_end(&h);
}

Test(repl, clear_program_empties_code_data_and_symbols)
{
	struct host	 h;

	host_default(&h);
	load(&h, hello_prog);
	contains(say(&h, "!symbols"), "greeting");
	says(&h, "!clear_program",
	    "program, data and symbols cleared; pc is 68\n");
	says(&h, "!program", "the program is empty\n");
	says(&h, "!symbols", "no symbols\n");
	contains(say(&h, "!registers"), "pc 68\n");
	/* Registers survive; the label can be declared again. */
	contains(say(&h, "!registers"), "$7           77");
	says(&h, "start: load $2 #2", "");
	contains(say(&h, "!limits"), "program:      72 bytes (4 of code, 0 of "
	    "data)");
	host_end(&h);
}

Test(repl, clear_registers_zeroes_them_and_keeps_the_program)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	say(&h, "load $3 #-9");
	say(&h, "loadf64 $4 #2");
	say(&h, "eq $0 $0");
	contains(say(&h, "!registers"), "equal_flag true");
	says(&h, "!clear_registers", "registers cleared\n");
	out = say(&h, "!registers");
	lacks(out, "-9");
	lacks(out, " 2 ");
	contains(out, "equal_flag false   remainder 0   loop_counter 0");
	contains(say(&h, "!program"), "load $3 #-9");
	host_end(&h);
}

Test(repl, registers_show_a_grid_of_everything)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	say(&h, "load $1 #500");
	say(&h, "load $31 #-2147483648");
	say(&h, "load $2 #7");
	say(&h, "div $1 $2 $3");
	say(&h, "loadf64 $5 #1");
	say(&h, "loadf64 $6 #0");
	say(&h, "divf64 $5 $6 $7");
	say(&h, "loadf64 $8 #3");
	say(&h, "divf64 $5 $8 $9");
	say(&h, "cloop #12");
	out = say(&h, "!registers");
	contains(out, "integer registers:\n"
	    "  $0            0  $1          500  $2            7  $3           "
	    "71\n");
	contains(out, "$31 -2147483648\n");
	contains(out, "float registers:\n"
	    "  $0              0  $1              0  $2              0  $3"
	    "              0\n");
	contains(out, "  $4              0  $5              1  $6              0"
	    "  $7            inf\n");
	contains(out, "$9  0.3333333333333333");
	contains(out, "equal_flag false   remainder 3   loop_counter 12   "
	    "pc 112\n");
	host_end(&h);
}

Test(repl, symbols_list_code_and_data_labels)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	says(&h, "!symbols", "no symbols\n");
	load(&h, hello_prog);
	out = say(&h, "!symbols");
	contains(out, "greeting  data  0 (RO offset)\n");
	contains(out, "start     code  76 (image offset)\n");
	host_end(&h);
}

Test(repl, load_assembles_a_whole_program_and_runs_it)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	say(&h, "load $9 #9");		/* replaced by the load */
	out = load(&h, hello_prog);
	cr_assert_str_eq(out, "loaded 3 instructions and 8 bytes of data\n"
	    "Hello!\n");
	out = say(&h, "!registers");
	contains(out, "$7           77");
	contains(out, "$9            9");	/* registers are kept */
	contains(out, "pc 88\n");		/* HLT at 84 leaves pc at 88 */
	lacks(say(&h, "!program"), "$9");
	host_end(&h);
}

Test(repl, load_ends_unterminated_output_with_a_newline)
{
	static const char *const prog[] = {
		".data", "s: .asciiz 'no newline'", ".code", "prts @s", NULL
	};
	struct host	 h;

	host_default(&h);
	cr_assert_str_eq(load(&h, prog), "loaded 1 instruction and 12 bytes "
	    "of data\nno newline\n");
	host_end(&h);
}

Test(repl, load_with_errors_leaves_the_program_unchanged)
{
	static const char *const bad[] = {
		"hlt", "bogus $1", "load $99 #1", NULL
	};
	struct host	 h;
	const char	*out;
	struct repl_stats st;

	host_default(&h);
	say(&h, "load $1 #1");
	out = load(&h, bad);
	contains(out, "2:1: ");
	contains(out, "3:6: ");
	contains(out, "2 errors; the program is unchanged\n");
	out = say(&h, "!program");
	contains(out, "load $1 #1");
	lacks(out, "hlt");
	repl_stats(h.repl, &st);
	cr_assert_eq(st.errors, 1);
	host_end(&h);
}

Test(repl, load_past_the_limit_is_refused_and_swallowed)
{
	struct repl_config cfg;
	struct host	 h;
	const char	*out;

	memset(&cfg, 0, sizeof(cfg));
	cfg.max_load_bytes = 32;
	host_start(&h, &cfg);
	say(&h, "load $1 #1");
	says(&h, "!load", "");
	says(&h, "load $2 #2", "");		/* 11 bytes */
	says(&h, "load $3 #3", "");		/* 22 */
	says(&h, "load $4 #4", "");		/* 33: over */
	says(&h, "!help", "");			/* still swallowed */
	cr_assert_str_eq(repl_prompt(h.repl), REPL_PROMPT_LOAD);
	out = say(&h, "!end");
	cr_assert_str_eq(out, "error: the !load text is over the limit of 32 "
	    "bytes; nothing was loaded and the program is unchanged\n");
	cr_assert_str_eq(repl_prompt(h.repl), REPL_PROMPT);
	out = say(&h, "!program");
	contains(out, "load $1 #1");
	lacks(out, "$2");
	/* Exactly at the limit is fine: 3 lines of 10 bytes + newlines. */
	say(&h, "!load");
	say(&h, "load $2 #2");
	say(&h, "load $3 #3");
	cr_assert_str_eq(say(&h, "  !end\t"), "loaded 2 instructions and 0 "
	    "bytes of data\n");
	host_end(&h);
}

/*
 * The host dropped a line of a !load block for its length: the block
 * loads nothing, its !end says why, and the session's program, registers
 * and VM stay as they were (nothing of the block ran).
 */
Test(repl, load_block_with_a_dropped_line_loads_nothing)
{
	struct host	 h;
	const char	*out;
	struct repl_stats st;

	host_default(&h);
	say(&h, "load $1 #1");
	says(&h, "!load", "");
	says(&h, "load $1 #11", "");
	cr_assert_eq(repl_feed_dropped(h.repl, 4096), REPL_CONTINUE);
	cr_assert_str_eq(repl_prompt(h.repl), REPL_PROMPT_LOAD,
	    "a dropped line closed the block");
	says(&h, "load $3 #3", "");
	out = say(&h, "!end");
	cr_assert_str_eq(out, "error: line 2 of the !load block was over the "
	    "limit of 4096 bytes; nothing was loaded and the program is "
	    "unchanged\n");
	cr_assert_str_eq(repl_prompt(h.repl), REPL_PROMPT);
	out = say(&h, "!registers");
	contains(out, "$1            1");
	contains(out, "$3            0");
	out = say(&h, "!program");
	contains(out, "load $1 #1");
	lacks(out, "#3");
	repl_stats(h.repl, &st);
	cr_assert_eq(st.errors, 2);	/* the dropped line and the block */
	/* The next block is a fresh one. */
	say(&h, "!load");
	say(&h, "load $3 #3");
	cr_assert_str_eq(say(&h, "!end"), "loaded 1 instruction and 0 bytes "
	    "of data\n");
	host_end(&h);
}

Test(repl, dropped_line_outside_a_block_is_refused_alone)
{
	struct host	 h;

	host_default(&h);
	buf_reset(&h.out);
	cr_assert_eq(repl_feed_dropped(h.repl, 100), REPL_CONTINUE);
	cr_assert_str_eq(h.out.data, "error: line too long (limit 100 bytes); "
	    "ignored\n");
	says(&h, "load $2 #2", "");
	host_end(&h);
}

/* A !load block of n labels: enough work for the assembler to poll. */
static const char *
load_labels(struct host *h, unsigned n)
{
	char		 line[32];
	unsigned	 i;
	const char	*out;

	say(h, "!load");
	for (i = 0; i < n; i++) {
		snprintf(line, sizeof(line), "l%u:", i);
		say(h, line);
	}
	say(h, "load $5 #5");
	buf_reset(&h->out);
	(void)feedn(h, "!end", 4, &out);
	return out;
}

Test(repl, interrupt_while_assembling_loads_nothing)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	say(&h, "load $1 #1");
	h.poll.at = 1;
	h.poll.answer = REPL_POLL_INTERRUPT;
	out = load_labels(&h, 30000);
	cr_assert_eq(h.poll.polls, 1, "the assembler polled %d times",
	    h.poll.polls);
	cr_assert_str_eq(out, "interrupted while assembling; nothing was "
	    "loaded and the program is unchanged\n");
	h.poll.at = 0;
	out = say(&h, "!registers");
	contains(out, "$5            0");
	contains(say(&h, "!program"), "load $1 #1");
	cr_assert_str_eq(say(&h, "!symbols"), "no symbols\n");
	/* Without the interrupt the same block loads (polled meanwhile). */
	h.poll.polls = 0;
	out = load_labels(&h, 30000);
	cr_assert_str_eq(out, "loaded 1 instruction and 0 bytes of data\n");
	cr_assert_geq(h.poll.polls, 2, "the assembler polled %d times",
	    h.poll.polls);
	host_end(&h);
}

Test(repl, hangup_while_assembling_ends_the_session)
{
	struct host	 h;
	const char	*out;
	unsigned	 i;

	host_default(&h);
	h.poll.at = 1;
	h.poll.answer = REPL_POLL_HANGUP;
	say(&h, "!load");
	for (i = 0; i < 30000; i++)
		say(&h, "x:");		/* duplicates: errors, if it got there */
	cr_assert_eq(feedn(&h, "!end", 4, &out), REPL_HANGUP);
	lacks(out, "duplicate");
	cr_assert_eq(feedn(&h, "!help", 5, &out), REPL_HANGUP);
	host_end(&h);
}

static char *
write_temp(const char *text)
{
	char	*path = strdup("/tmp/iridium-repl-XXXXXX");
	int	 fd;

	cr_assert_not_null(path);
	fd = mkstemp(path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

Test(repl, load_file_works_locally)
{
	struct repl_config cfg;
	struct host	 h;
	char		*path, line[256];
	const char	*out;

	memset(&cfg, 0, sizeof(cfg));
	cfg.local = 1;
	host_start(&h, &cfg);
	path = write_temp(".data\nm: .asciiz 'from a file\\n'\n.code\n"
	    "prts @m\nhlt\n");
	snprintf(line, sizeof(line), "!load_file %s", path);
	/* 11 characters, \n and NUL, padded to 16. */
	cr_assert_str_eq(say(&h, line), "loaded 2 instructions and 16 bytes "
	    "of data\nfrom a file\n");
	contains(say(&h, "!symbols"), "m ");
	unlink(path);
	free(path);

	path = write_temp("hlt\nnope\n");
	snprintf(line, sizeof(line), "!load_file %s", path);
	out = say(&h, line);
	contains(out, path);
	contains(out, ":2:1: ");
	unlink(path);
	out = say(&h, line);
	contains(out, "No such file or directory");
	free(path);
	contains(say(&h, "!load_file /"), "Is a directory");
	says(&h, "!load_file", "usage: !load_file PATH\n");
	host_end(&h);
}

Test(repl, load_file_is_refused_in_remote_sessions)
{
	struct host	 h;
	char		*path, line[256];

	host_default(&h);
	path = write_temp("load $1 #1\n");
	snprintf(line, sizeof(line), "!load_file %s", path);
	says(&h, line, "!load_file is not available in remote sessions; send "
	    "the program with !load ... !end instead\n");
	says(&h, "!program", "the program is empty\n");
	unlink(path);
	free(path);
	host_end(&h);
}

Test(repl, spawn_runs_a_fresh_vm_and_leaves_the_session_alone)
{
	struct host	 h;
	char		*before;
	const char	*out;

	host_default(&h);
	/* Session state the program cannot explain: $2 from a cleared line. */
	say(&h, "load $2 #9");
	say(&h, "!clear_program");
	say(&h, "load $1 #5");
	say(&h, "load $3 #100");
	say(&h, "aloc $3");
	say(&h, "push $1");
	before = strdup(say(&h, "!registers"));
	out = say(&h, "!spawn");
	contains(out, "spawned a fresh VM; running from pc 68\n");
	contains(out, "spawned VM: reached the end of the code after 4 "
	    "instructions\n");
	contains(out, "$1            5  $2            0");
	cr_assert_str_eq(say(&h, "!registers"), before);
	out = say(&h, "!limits");
	contains(out, "heap:         164 of 4096 bytes in use");
	contains(out, "stack:        1 of 128 entries in use");
	free(before);
	host_end(&h);
}

Test(repl, spawn_reports_errors_and_prints_output)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	load(&h, hello_prog);
	out = say(&h, "!spawn");
	contains(out, "spawned a fresh VM; running from pc 76\nHello!\n"
	    "spawned VM: halted at pc 88 after 3 instructions\n");
	say(&h, "!clear_program");
	say(&h, "load $1 #1");
	say(&h, "div $1 $0 $2");
	out = say(&h, "!spawn");
	contains(out, "spawned VM: error: division by zero at pc 72\n");
	host_end(&h);
}

Test(repl, limits_show_limits_use_and_host_lines)
{
	struct host	 h;

	host_default(&h);
	say(&h, "load $1 #1");
	say(&h, "inc $1");
	says(&h, "!limits",
	    "budget:       100000 instructions per command\n"
	    "heap:         64 of 4096 bytes in use\n"
	    "stack:        0 of 128 entries in use\n"
	    "program:      76 bytes (8 of code, 0 of data), at most 32768\n"
	    "instructions: 2 executed in this session\n"
	    "host: idle timeout 300 s\n");
	host_end(&h);
}

Test(repl, unknown_command_is_invalid_and_points_at_help)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	says(&h, "!frobnicate", "Invalid command! !frobnicate is not a "
	    "command; type !help for the list.\n");
	says(&h, "!", "Invalid command! ! is not a command; type !help for the "
	    "list.\n");
	out = say(&h, "!HELP");
	contains(out, "Invalid command!");
	out = say(&h, "!xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	contains(out, "xxx... is not a command");
	host_end(&h);
}

/* --- typed lines ----------------------------------------------------------- */

Test(repl, typed_lines_run_only_what_they_append)
{
	struct host	 h;
	struct repl_stats st;

	host_default(&h);
	says(&h, "load $1 #1", "");
	says(&h, "inc $1", "");
	says(&h, "inc $1", "");
	contains(say(&h, "!registers"), "$1            3");
	repl_stats(h.repl, &st);
	cr_assert_eq(st.instructions, 3);
	cr_assert_eq(st.program_bytes, 68 + 12);
	/* A large constant appends LOAD + LUI: both run. */
	says(&h, "load $2 #100000", "");
	contains(say(&h, "!registers"), "$2       100000");
	host_end(&h);
}

Test(repl, typed_labels_name_addresses_for_later_lines)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	out = say(&h, "load $2 @later");
	contains(out, "1:");			/* not declared yet */
	says(&h, "start: load $1 #3", "");
	says(&h, "alone:", "");
	says(&h, "load $2 @start", "");
	says(&h, "load $3 @alone", "");
	out = say(&h, "!registers");
	contains(out, "$2           68");
	contains(out, "$3           72");
	/* A backward loop through a label runs until the flag clears. */
	says(&h, "load $4 #0", "");
	says(&h, "load $5 #10", "");
	says(&h, "top: inc $4", "");
	says(&h, "lt $4 $5", "");
	says(&h, "djmpe @top", "");
	contains(say(&h, "!registers"), "$4           10");
	host_end(&h);
}

/*
 * The model of a session for the test below: what the REPL does with a
 * typed line, but with the whole program loaded into the VM every time.
 */
struct model {
	struct asm_prog	 prog;
	struct vm	*vm;
	struct buf	 out;		/* PRTS output of the last run */
	uint64_t	 instructions;
	uint64_t	 budget;
	uint32_t	 slice;
};

static int
model_output(void *arg, const uint8_t *p, size_t n)
{
	struct model	*m = arg;

	return buf_append(&m->out, p, n);
}

/* Run from pc as the REPL does. */
static enum run_outcome
model_run(struct model *m, uint32_t pc)
{
	struct image	 img;
	enum run_outcome o;
	uint64_t	 n = 0;

	asm_prog_image(&m->prog, &img);
	cr_assert_eq(vm_load(m->vm, &img), 0);
	vm_state(m->vm)->pc = pc;
	buf_reset(&m->out);
	o = run_vm(m->vm, m->budget, m->slice, NULL, NULL, &n);
	m->instructions += n;
	return o;
}

/* A typed line; -1 when it does not assemble, -2 when nothing ran. */
static int
model_line(struct model *m, const char *line)
{
	struct asm_diags d;
	uint32_t	 first;
	unsigned	 count;
	int		 rv;

	asm_diags_init(&d);
	rv = asm_line(&m->prog, line, strlen(line), &first, &count, &d);
	asm_diags_free(&d);
	if (rv == -1)
		return -1;
	if (count == 0)
		return -2;
	return (int)model_run(m, first);
}

/* What the REPL said about one line, given the model's outcome. */
static void
expect_like_model(struct host *h, struct model *m, const char *line,
    const char *out, int o)
{
	const struct vm_state *st = vm_state(m->vm);
	struct repl_stats rs;
	char		 want[200];
	int		 i;

	if (o == -1)
		cr_assert_eq(strncmp(out, "1:", 2), 0, "'%s': %s", line, out);
	else if (o == RUN_ERROR) {
		snprintf(want, sizeof(want), "error: %s\n", vm_error(m->vm));
		contains(out, want);
	} else if (o == RUN_BUDGET) {
		snprintf(want, sizeof(want), "stopped: the budget of %llu "
		    "instructions was spent at pc %u\n",
		    (unsigned long long)m->budget, st->pc);
		contains(out, want);
	} else
		cr_assert_eq(strlen(out), o == -2 ? 0 : m->out.len,
		    "'%s': %s", line, out);
	if (o >= 0 && m->out.len > 0)
		cr_assert_eq(strncmp(out, m->out.data, m->out.len), 0,
		    "'%s': %s", line, out);
	repl_stats(h->repl, &rs);
	cr_assert_eq(rs.instructions, m->instructions, "after '%s'", line);
	cr_assert_eq(rs.program_bytes, 68 + m->prog.ro_len +
	    m->prog.code_len);
	out = say(h, "!registers");
	for (i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "$%-2d %11d", i, st->reg[i]);
		contains(out, want);
	}
	snprintf(want, sizeof(want), "equal_flag %s   remainder %d   "
	    "loop_counter %u   pc %u\n", st->equal_flag ? "true" : "false",
	    st->remainder, st->loop_counter, st->pc);
	contains(out, want);
}

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

static uint32_t
rnd(uint64_t *s, uint32_t n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s % n);
}

/*
 * A random typed line for a program of about n instructions: straight
 * code, static and register jumps (targets past the end included, which
 * turn valid as the program grows), labels declared and used (sometimes
 * before their declaration: an error), faults, split loads.
 */
static void
rnd_line(uint64_t *s, char *line, size_t len, unsigned *labels, uint32_t n)
{
	static const char *const none[] = { "nop", "hlt", "ret", "igl",
	    "load $1 #100000", "; a comment", "" };
	static const char *const one[] = { "inc", "dec", "push", "pop",
	    "jmp", "jmpe", "jmpf", "jmpb" };
	static const char *const two[] = { "eq", "lt" };
	static const char *const three[] = { "add", "div" };
	static const char *const jumps[] = { "djmpe", "loop", "call" };
	uint32_t	 a = rnd(s, 4), b = rnd(s, 4), c = rnd(s, 4);
	uint32_t	 addr = 68 + 4 * rnd(s, n + 6) + (rnd(s, 10) == 0);

	switch (rnd(s, 13)) {
	case 0:
		snprintf(line, len, "load $%u #%d", a, (int)rnd(s, 12) - 3);
		break;
	case 1:
		snprintf(line, len, "load $%u #%u", a, addr);
		break;
	case 2:
		snprintf(line, len, "%s #%u", jumps[rnd(s, 3)], addr);
		break;
	case 3:
		snprintf(line, len, "%s @l%u", rnd(s, 2) ? "load $0" :
		    jumps[rnd(s, 3)], rnd(s, *labels + 2));
		break;
	case 4:
		snprintf(line, len, "cloop #%u", rnd(s, 4));
		break;
	case 5:
		snprintf(line, len, rnd(s, 2) ? "l%u:" : "l%u: nop",
		    (*labels)++);
		break;
	case 6:
		snprintf(line, len, "%s", none[rnd(s, NELEM(none))]);
		break;
	case 7:
	case 8:
		snprintf(line, len, "%s $%u $%u", two[rnd(s, NELEM(two))], a,
		    b);
		break;
	case 9:
		snprintf(line, len, "%s $%u $%u $%u",
		    three[rnd(s, NELEM(three))], a, b, c);
		break;
	default:
		snprintf(line, len, "%s $%u", one[rnd(s, NELEM(one))], a);
		break;
	}
}

/*
 * Random sessions, some after a !load with data and a forward label:
 * every typed line says, counts and leaves the registers exactly as the
 * model that loads the whole program for each line.
 */
Test(repl, typed_lines_run_exactly_as_a_full_load)
{
	static const char *const prog[] = {
		".data", "msg: .asciiz 'hi\\n'", ".code", "djmpe @fwd",
		"prts @msg", "fwd: load $3 #2", NULL
	};
	static const char text[] = ".data\nmsg: .asciiz 'hi\\n'\n.code\n"
	    "djmpe @fwd\nprts @msg\nfwd: load $3 #2\n";
	struct repl_config cfg;
	struct host	 h;
	struct model	 m;
	struct asm_diags d;
	struct vm_limits lim = { 4096, 16 };
	uint64_t	 s;
	unsigned	 seed, i, labels;
	char		 line[64];
	const char	*out;

	for (seed = 1; seed <= 120; seed++) {
		s = 0x9e3779b97f4a7c15ULL * seed;
		memset(&cfg, 0, sizeof(cfg));
		cfg.budget = 1 + rnd(&s, 60);
		cfg.slice = 1 + rnd(&s, 9);
		cfg.heap_bytes = lim.heap_bytes;
		cfg.stack_depth = lim.stack_depth;
		host_start(&h, &cfg);
		memset(&m, 0, sizeof(m));
		asm_prog_init(&m.prog);
		m.vm = vm_new(&lim);
		cr_assert_not_null(m.vm);
		vm_set_output(m.vm, model_output, &m);
		m.budget = cfg.budget;
		m.slice = cfg.slice;
		if (seed % 2 == 0) {
			load(&h, prog);
			asm_diags_init(&d);
			cr_assert_eq(asm_source(&m.prog, text, strlen(text),
			    &d), 0);
			asm_diags_free(&d);
			model_run(&m, 68 + m.prog.ro_len);
		}
		for (i = 0, labels = 0; i < 60; i++) {
			rnd_line(&s, line, sizeof(line), &labels,
			    m.prog.code_len / 4);
			out = say(&h, line);
			expect_like_model(&h, &m, line, out,
			    model_line(&m, line));
		}
		host_end(&h);
		asm_prog_free(&m.prog);
		vm_free(m.vm);
		buf_free(&m.out);
	}
}

Test(repl, assembly_errors_print_line_and_column)
{
	struct host	 h;
	const char	*out;
	struct repl_stats st;

	host_default(&h);
	out = say(&h, "load $1 $2");
	cr_assert_eq(strncmp(out, "1:9: ", 5), 0, "got: %s", out);
	out = say(&h, ".data");
	cr_assert_eq(strncmp(out, "1:1: ", 5), 0, "got: %s", out);
	says(&h, "!program", "the program is empty\n");
	repl_stats(h.repl, &st);
	cr_assert_eq(st.errors, 2);
	cr_assert_eq(st.commands, 3);
	host_end(&h);
}

Test(repl, runtime_error_keeps_the_session_and_its_state)
{
	struct host	 h;
	struct repl_stats st;

	host_default(&h);
	says(&h, "load $1 #8", "");
	says(&h, "div $1 $0 $2", "error: division by zero at pc 72\n");
	contains(say(&h, "!registers"), "pc 72\n");
	says(&h, "load $5 #1", "");
	contains(say(&h, "!registers"), "$5            1");
	says(&h, "pop $6", "error: stack underflow at pc 80\n");
	repl_stats(h.repl, &st);
	cr_assert_eq(st.errors, 2);
	host_end(&h);
}

Test(repl, budget_stops_a_run_and_the_next_line_works)
{
	struct repl_config cfg;
	struct host	 h;
	struct repl_stats st;

	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = 1000;
	cfg.slice = 64;
	host_start(&h, &cfg);
	says(&h, "load $4 #4", "");
	says(&h, "jmpb $4", "stopped: the budget of 1000 instructions was "
	    "spent at pc 72\n");
	repl_stats(h.repl, &st);
	cr_assert_eq(st.instructions, 1001);
	says(&h, "load $6 #6", "");
	contains(say(&h, "!registers"), "$6            6");
	host_end(&h);
}

Test(repl, poll_interrupt_stops_the_run_only)
{
	struct host	 h;
	struct repl_stats st;

	host_default(&h);			/* slice 1000 */
	h.poll.at = 3;
	h.poll.answer = REPL_POLL_INTERRUPT;
	says(&h, "load $4 #4", "");
	cr_assert_eq(h.poll.polls, 0, "a one-instruction run polled");
	says(&h, "jmpb $4", "interrupted at pc 72 after 3000 instructions\n");
	cr_assert_eq(h.poll.polls, 3);
	repl_stats(h.repl, &st);
	cr_assert_eq(st.instructions, 3001);
	h.poll.at = 0;
	says(&h, "load $6 #6", "");
	host_end(&h);
}

Test(repl, poll_hangup_ends_the_session)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	h.poll.at = 1;
	h.poll.answer = REPL_POLL_HANGUP;
	say(&h, "load $4 #4");
	cr_assert_eq(feedn(&h, "jmpb $4", 7, &out), REPL_HANGUP);
	cr_assert_eq(feedn(&h, "!help", 5, &out), REPL_HANGUP);
	cr_assert_str_eq(out, "");
	host_end(&h);
}

Test(repl, write_failure_stops_the_program_and_hangs_up)
{
	static const char *const chatty[] = {
		".data", "s: .asciiz 'spam\\n'", ".code",
		"top: prts @s", "djmpe @top", NULL
	};
	struct host	 h;
	const char	*out;
	size_t		 i;
	struct repl_stats st;

	host_default(&h);
	say(&h, "eq $0 $0");			/* flag set: loop forever */
	says(&h, "!load", "");
	for (i = 0; chatty[i] != NULL; i++)
		says(&h, chatty[i], "");
	h.write_limit = 200;
	cr_assert_eq(feedn(&h, "!end", 4, &out), REPL_HANGUP);
	repl_stats(h.repl, &st);
	cr_assert_lt(st.instructions, 200, "ran on after the write failed");
	h.write_limit = 0;
	cr_assert_eq(feedn(&h, "!registers", 10, &out), REPL_HANGUP);
	cr_assert_str_eq(out, "");
	host_end(&h);
}

Test(repl, write_failure_on_a_message_hangs_up)
{
	struct host	 h;
	const char	*out;

	host_default(&h);
	h.write_limit = 1;
	cr_assert_eq(feedn(&h, "!help", 5, &out), REPL_HANGUP);
	host_end(&h);
}

Test(repl, lines_with_nul_and_binary_bytes_are_handled)
{
	struct host	 h;
	const char	*out;
	size_t		 i;

	host_default(&h);
	feedn(&h, "load\0$1 #1", 10, &out);
	for (i = 0; i < h.out.len; i++)
		cr_assert_neq(h.out.data[i], '\0', "raw NUL echoed");
	feedn(&h, "!he\0lp", 6, &out);
	cr_assert_eq(memchr(h.out.data, '\0', h.out.len), NULL);
	contains(out, "Invalid command! !he\\x00lp");
	feedn(&h, "\xff\xfe\x1b[2J\x9b", 7, &out);
	for (i = 0; i < h.out.len; i++) {
		cr_assert_neq((unsigned char)h.out.data[i], 0xff);
		cr_assert_neq((unsigned char)h.out.data[i], 0x1b);
		cr_assert_neq((unsigned char)h.out.data[i], 0x9b);
	}
	feedn(&h, "!\xc3\xa9t\xc3\xa9", 6, &out);	/* UTF-8 stays */
	contains(out, "!\xc3\xa9t\xc3\xa9 is not a command");
	feedn(&h, "!\xc2\x9b", 3, &out);		/* C1 CSI does not */
	contains(out, "!\\xc2\\x9b is not");
	/* The session is still fine. */
	says(&h, "load $1 #1", "");
	contains(say(&h, "!history"), "!he\\x00lp");
	host_end(&h);
}

Test(repl, stats_count_commands_errors_and_use)
{
	struct host	 h;
	struct repl_stats st;

	host_default(&h);
	say(&h, "load $1 #40");
	say(&h, "aloc $1");
	say(&h, "push $1");
	say(&h, "bad");
	say(&h, "!registers");
	repl_stats(h.repl, &st);
	cr_assert_eq(st.commands, 5);
	cr_assert_eq(st.errors, 1);
	cr_assert_eq(st.instructions, 3);
	cr_assert_eq(st.heap_bytes, 104);
	cr_assert_eq(st.stack_depth, 1);
	cr_assert_eq(st.program_bytes, 68 + 12);
	host_end(&h);
}

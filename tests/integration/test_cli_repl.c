/*
 * test_cli_repl.c: the REPL of the real `iridium` tool: scripted through
 * a pipe (no banner, no prompts, just the REPL's output) and interactive
 * on a pseudo-terminal (banner, prompt, libedit, ^C interrupting a run or
 * abandoning a half-typed line, ^D and !quit ending it).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"

#define A(s)	CLI_ARG(s)

static void
repl_in(struct cli_proc *p, const char *input, char *const *args)
{
	cli_run(p, input, strlen(input), 0, args);
	cr_assert_eq(p->status, 0, "status %d; stderr: %s", p->status,
	    p->err.data);
	cr_assert_str_eq(p->err.data, "");
}

Test(cli_repl, piped_repl_prints_only_the_output)
{
	struct cli_proc	 p;

	repl_in(&p, "load $1 #500\r\nload $2 #7\nadd $1 $2 $3\n!symbols\n"
	    "div $1 $0 $4\n!frob\n!quit\nload $9 #9\n", (char *[]){ NULL });
	cr_assert_str_eq(p.out.data, "no symbols\n"
	    "error: division by zero at pc 80\n"
	    "Invalid command! !frob is not a command; type !help for the "
	    "list.\n"
	    "Farewell! Have a great day!\n");
	cli_proc_free(&p);
}

Test(cli_repl, piped_repl_ends_at_eof_without_banner_or_prompt)
{
	struct cli_proc	 p;

	/* The last line has no newline and still counts. */
	repl_in(&p, "load $1 #3\n!registers", (char *[]){ NULL });
	cr_assert_not_null(strstr(p.out.data, "$1            3"));
	cr_assert_eq(strncmp(p.out.data, "integer registers:\n", 19), 0,
	    "%s", p.out.data);
	cr_assert_null(strstr(p.out.data, "Welcome"));
	cr_assert_null(strstr(p.out.data, ">>>"));
	cli_proc_free(&p);
}

Test(cli_repl, piped_repl_loads_files_and_takes_limits)
{
	struct cli_proc	 p;
	char		 in[4300];

	cr_assert_lt(snprintf(in, sizeof(in), "!load_file %s\n!limits\n",
	    cli_example("hello.iasm")), (int)sizeof(in));
	repl_in(&p, in, (char *[]){ A("--budget"), A("1000"), A("--heap"),
	    A("128"), A("--stack"), A("9"), NULL });
	cr_assert_not_null(strstr(p.out.data, "Hello, World!\n"));
	cr_assert_not_null(strstr(p.out.data, "1000 instructions per "
	    "command"));
	cr_assert_not_null(strstr(p.out.data, "64 of 128 bytes"));
	cr_assert_not_null(strstr(p.out.data, "0 of 9 entries"));
	cli_proc_free(&p);
}

Test(cli_repl, piped_repl_takes_a_load_block)
{
	struct cli_proc	 p;

	repl_in(&p, "!load\n.data\ns: .asciiz 'from a block\\n'\n.code\n"
	    "prts @s\nhlt\n!end\n!spawn\n", (char *[]){ NULL });
	cr_assert_eq(strncmp(p.out.data, "loaded 2 instructions and 16 bytes "
	    "of data\nfrom a block\nspawned a fresh VM; running from pc 84\n"
	    "from a block\nspawned VM: halted at pc 92 after 2 "
	    "instructions\n", 138), 0, "%s", p.out.data);
	cli_proc_free(&p);
}

Test(cli_repl, terminal_repl_shows_banner_prompt_and_interrupts)
{
	struct buf	 b;
	pid_t		 pid;
	int		 m, st;

	m = cli_pty_start(&pid);
	buf_init(&b, 0);
	/*
	 * Every prompt is out before libedit leaves canonical mode, and
	 * what is typed before that is echoed twice: wait for raw mode.
	 */
	cli_pty_wait(m, &b, "Welcome to Iridium! Let's be productive!\r\n"
	    ">>> ");
	cli_pty_raw_wait(m);
	cr_assert_eq(write(m, "load $4 #4\r", 11), 11);
	cli_pty_wait(m, &b, "load $4 #4\r\n>>> ");
	cli_pty_raw_wait(m);
	/* ^C while a line is half typed: a fresh prompt, nothing runs. */
	cr_assert_eq(write(m, "inc $4", 6), 6);
	cli_pty_wait(m, &b, "inc $4");
	cr_assert_eq(write(m, "\003", 1), 1);
	cli_pty_wait(m, &b, "inc $4\r\n>>> ");
	cli_pty_raw_wait(m);
	buf_reset(&b);
	/* ^C while a program runs: it stops, the session goes on. */
	cr_assert_eq(write(m, "jmpb $4\r", 8), 8);
	cli_pty_wait(m, &b, "jmpb $4\r\n");
	usleep(200000);
	cr_assert_eq(write(m, "\003", 1), 1);
	cli_pty_wait(m, &b, "interrupted at pc 72");
	cli_pty_wait(m, &b, ">>> ");
	cli_pty_raw_wait(m);
	buf_reset(&b);
	cr_assert_eq(write(m, "!registers\r", 11), 11);
	cli_pty_wait(m, &b, "$4            4");
	cli_pty_wait(m, &b, "pc 72\r\n>>> ");
	cli_pty_raw_wait(m);
	cr_assert_eq(write(m, "!quit\r", 6), 6);
	cli_pty_wait(m, &b, "Farewell! Have a great day!");
	st = cli_pty_exit(pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
	buf_free(&b);
	close(m);
}

Test(cli_repl, terminal_repl_ends_on_eof)
{
	struct buf	 b;
	pid_t		 pid;
	int		 m, st;

	m = cli_pty_start(&pid);
	buf_init(&b, 0);
	cli_pty_wait(m, &b, ">>> ");
	/* Before raw mode ^D would be the line discipline's, not libedit's. */
	cli_pty_raw_wait(m);
	cr_assert_eq(write(m, "\004", 1), 1);
	st = cli_pty_exit(pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "status %d", st);
	buf_free(&b);
	close(m);
}

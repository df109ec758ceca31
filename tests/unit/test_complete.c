/*
 * test_complete.c: Tab completion's words (repl_complete(), repl.h):
 * the first word of a line completes to mnemonics and directives, "!" to
 * the commands (and !end inside a !load block), "$" to the registers,
 * "@" to the names the session's program defines; other words to
 * nothing. The word begins after a blank or a comma.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "repl.h"

static int
sink(void *arg, const char *p, size_t n)
{
	(void)arg;
	(void)p;
	(void)n;
	return 0;
}

static struct repl *
start(void)
{
	struct repl_config	 cfg;
	struct repl_io		 io;
	struct repl		*r;

	memset(&cfg, 0, sizeof(cfg));
	memset(&io, 0, sizeof(io));
	io.write = sink;
	cr_assert_not_null(r = repl_new(&cfg, &io));
	return r;
}

/* The candidates for line, as one string ("a b c"), and the word start. */
static const char *
complete(struct repl *r, const char *line, size_t *count, size_t *start)
{
	static char	 s[4096];
	struct buf	 out;
	size_t		 i;

	buf_init(&out, 0);
	*count = repl_complete(r, line, strlen(line), start, &out);
	snprintf(s, sizeof(s), "%.*s", (int)out.len,
	    out.data != NULL ? out.data : "");
	buf_free(&out);
	for (i = 0; s[i] != '\0'; i++)
		if (s[i] == '\n')
			s[i] = s[i + 1] != '\0' ? ' ' : '\0';
	return s;
}

Test(complete, mnemonics_and_directives)
{
	struct repl	*r = start();
	size_t		 n, at;

	cr_assert_str_eq(complete(r, "jm", &n, &at), "jmp jmpb jmpe jmpf");
	cr_assert_eq(n, 4);
	cr_assert_eq(at, 0);
	cr_assert_str_eq(complete(r, "ad", &n, &at), "add addf64");
	cr_assert_str_eq(complete(r, "  HL", &n, &at), "hlt");
	cr_assert_eq(at, 2);
	cr_assert_str_eq(complete(r, ".a", &n, &at), ".asciiz");
	cr_assert_str_eq(complete(r, "zz", &n, &at), "");
	cr_assert_eq(n, 0);
	/* Not the first word: no mnemonic. */
	cr_assert_str_eq(complete(r, "load jm", &n, &at), "");
	repl_free(r);
}

Test(complete, commands)
{
	struct repl	*r = start();
	size_t		 n, at;

	cr_assert_str_eq(complete(r, "!re", &n, &at), "!registers");
	cr_assert_str_eq(complete(r, "!l", &n, &at),
	    "!limits !load !load_file");
	cr_assert_str_eq(complete(r, "!e", &n, &at), "");
	cr_assert_eq(repl_feed(r, "!load", 5), REPL_CONTINUE);
	cr_assert_str_eq(complete(r, "!e", &n, &at), "!end");
	repl_free(r);
}

Test(complete, registers_and_names)
{
	struct repl	*r = start();
	size_t		 n, at;
	const char	*prog = "!load\n.data\nmsg: .asciiz 'hi'\n.code\n"
	    "top: load $1 #1\nmain: hlt\n!end";
	const char	*p, *e;

	cr_assert_str_eq(complete(r, "load $3", &n, &at), "$3 $30 $31");
	cr_assert_eq(at, 5);
	cr_assert_str_eq(complete(r, "add $1,$2", &n, &at), "$2 $20 $21 $22 "
	    "$23 $24 $25 $26 $27 $28 $29");
	cr_assert_eq(at, 7);
	cr_assert_eq(n, 11);
	for (p = prog; (e = strchr(p, '\n')) != NULL; p = e + 1)
		repl_feed(r, p, (size_t)(e - p));
	repl_feed(r, p, strlen(p));
	cr_assert_str_eq(complete(r, "prts @m", &n, &at), "@msg @main");
	cr_assert_str_eq(complete(r, "jmp @t", &n, &at), "@top");
	repl_free(r);
}

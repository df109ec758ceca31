/*
 * cfgfix.h: the fixture of the configuration's unit tests: a struct
 * config built from text as iridiumd builds one from a file ("t.conf"),
 * and its errors. Included by each such test (each gets its own copy):
 *
 *	TestSuite(config, .init = cfgfix_setup, .fini = cfgfix_teardown);
 *
 * then c is the configuration and e its errors, fresh for every test;
 * build(), errors() and one_error() act on them.
 */
#ifndef IRIDIUM_TEST_CFGFIX_H
#define IRIDIUM_TEST_CFGFIX_H

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"

static struct config	*c;
static struct cfg_errors e;

__attribute__((unused)) static void
cfgfix_setup(void)
{
	c = calloc(1, sizeof(*c));
	cfg_errors_init(&e);
}

__attribute__((unused)) static void
cfgfix_teardown(void)
{
	free(c);
	cfg_errors_free(&e);
}

/* Build c from text, its errors (only these) in e; how many there are. */
__attribute__((unused)) static unsigned
build(const char *text)
{
	cfg_errors_free(&e);
	cfg_errors_init(&e);
	return config_build_buf(c, "t.conf", text, strlen(text), NULL, &e);
}

/* e's messages, one a line ("" for none). */
__attribute__((unused)) static const char *
errors(void)
{
	return e.errors.data != NULL ? e.errors.data : "";
}

/* Exactly one error for text, and it is want (without its newline). */
__attribute__((unused)) static void
one_error(const char *text, const char *want)
{
	char	 line[1024];

	build(text);
	snprintf(line, sizeof(line), "%s\n", want);
	cr_assert_eq(e.nerrors, 1, "want one error for:\n%s\ngot %u:\n%s",
	    text, e.nerrors, errors());
	cr_assert_str_eq(errors(), line);
}

/* config_diff's callback: the line and a newline onto the struct buf arg. */
__attribute__((unused)) static void
cfgfix_line(void *arg, const char *line)
{
	struct buf	*b = arg;

	buf_puts(b, line);
	buf_putc(b, '\n');
}

#endif

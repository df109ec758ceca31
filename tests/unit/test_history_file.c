/*
 * test_history_file.c: how iridiumd reads a tenant's history file back
 * (history_parse, supervisor/history.h): what it accepts, why it refuses
 * the rest, and which lines it keeps (the last history_lines of them,
 * within MSG_HISTORY_BYTES).
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "msg.h"

static int
parse(const char *p, size_t len, unsigned keep, size_t *start, char *err)
{
	err[0] = '\0';
	return history_parse(p, len, keep, start, err, 128);
}

Test(history_file, keeps_the_last_lines)
{
	static const char f[] = "load $1 #1\n\tinc $1 \xc3\xa9\n!history\n";
	char	 err[128];
	size_t	 start;

	cr_assert_eq(parse(f, sizeof(f) - 1, 500, &start, err), 0, "%s", err);
	cr_assert_eq(start, 0);
	cr_assert_eq(parse(f, sizeof(f) - 1, 2, &start, err), 0);
	cr_assert_str_eq(f + start, "\tinc $1 \xc3\xa9\n!history\n");
	cr_assert_eq(parse(f, sizeof(f) - 1, 1, &start, err), 0);
	cr_assert_str_eq(f + start, "!history\n");
	/* Empty: nothing, and fine. */
	cr_assert_eq(parse("", 0, 500, &start, err), 0);
	cr_assert_eq(start, 0);
}

Test(history_file, refuses_what_iridiumd_never_writes)
{
	static const struct {
		const char	*f, *why;
	} bad[] = {
		{ "no end", "the last line has no line end" },
		{ "a\n\nb\n", "line 2 is empty" },
		{ "\n", "line 1 is empty" },
		{ "ok\nx\x1b[2J\n", "line 2: control character 0x1b" },
		{ "a\nb\nc\xff\n", "line 3: not UTF-8" },
		{ "a\0b\n", "line 1: control character 0x00" },
	};
	char	 err[128];
	size_t	 i, start, len;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = strlen(bad[i].f);
		if (i == 5)
			len = 4;	/* the NUL inside */
		cr_assert_eq(parse(bad[i].f, len, 500, &start, err), -1,
		    "accepted case %zu", i);
		cr_assert_str_eq(err, bad[i].why);
	}
}

/* Past MSG_HISTORY_BYTES, the oldest lines go: what is kept can be sent. */
Test(history_file, keeps_within_the_message_bound)
{
	size_t	 n = 400, i, start, len;
	char	*f, err[128];

	/* 400 lines of 99 bytes and a LF: 40,000 bytes. */
	cr_assert_not_null(f = malloc(n * 100 + 1));
	for (i = 0; i < n; i++) {
		memset(f + i * 100, 'a' + (int)(i % 26), 99);
		f[i * 100 + 99] = '\n';
	}
	len = n * 100;
	cr_assert_eq(parse(f, len, 10000, &start, err), 0, "%s", err);
	cr_assert_leq(len - start - 1, MSG_HISTORY_BYTES);
	cr_assert_eq((len - start) % 100, 0, "not at a line's start");
	cr_assert_eq((len - start) / 100, MSG_HISTORY_BYTES / 100);
	cr_assert(msg_history_ok(f + start, len - start - 1, 1, err,
	    sizeof(err)), "%s", err);
	free(f);
}

/*
 * test_repl_state.c: a REPL session saved to bytes and read back
 * (repl_save(), repl_load(), repl.h). A session read back answers every
 * command as the one saved did and goes on where it was; its bytes save
 * back to the same bytes; and bytes that are not a valid state for the
 * reading session (truncated, flipped, past its limits, hand-made lies
 * about the program) are refused with a message, the session as it was.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "repl.h"
#include "vm.h"

struct host {
	struct repl	*repl;
	struct buf	 out;
};

static int
host_write(void *arg, const char *p, size_t n)
{
	struct host	*h = arg;

	return buf_append(&h->out, p, n);
}

static void
host_start(struct host *h, uint32_t heap, unsigned history)
{
	struct repl_config cfg;
	struct repl_io	 io = { host_write, NULL, NULL, h, NULL };

	memset(&cfg, 0, sizeof(cfg));
	cfg.budget = 100000;
	cfg.heap_bytes = heap;
	cfg.stack_depth = 128;
	cfg.max_load_bytes = 4096;
	cfg.history = history;
	memset(h, 0, sizeof(*h));
	buf_init(&h->out, 0);
	h->repl = repl_new(&cfg, &io);
	cr_assert_not_null(h->repl);
}

static void
host_end(struct host *h)
{
	repl_free(h->repl);
	buf_free(&h->out);
}

/* Feed one line; returns its output, a copy to free. */
static char *
say(struct host *h, const char *line)
{
	buf_reset(&h->out);
	cr_assert_eq(repl_feed(h->repl, line, strlen(line)), REPL_CONTINUE,
	    "'%s' ended the session", line);
	return strndup(h->out.data != NULL ? h->out.data : "", h->out.len);
}

static void
quiet(struct host *h, const char *line)
{
	char	*out = say(h, line);

	cr_assert_str_eq(out, "", "'%s' said:\n%s", line, out);
	free(out);
}

static void
save(struct host *h, uint8_t **p, size_t *len)
{
	char	 err[256];

	cr_assert_eq(repl_save(h->repl, p, len, err, sizeof(err)), 0,
	    "repl_save: %s", err);
	cr_assert_leq(*len, repl_state_max(h->repl));
}

/* A session with something in every part of the state. */
static void
build(struct host *h)
{
	static const char *const lines[] = {
		"load $1 #1234", "load $2 #-7", "load $4 #256", "aloc $4",
		"load $5 #100", "setm $5 $1", "push $1", "push $2",
		"loadf64 $3 #0", "divf64 $3 $3 $6", "loadf64 $7 #-3",
		"eq $1 $1", "load $8 #100", "load $9 #7", "div $8 $9 $10",
		"cloop #3",
	};
	static const char *const prog[] = {
		".data", "greeting: .asciiz 'Hi'", "count: .integer #5",
		".code", "start: load $11 #11", "again: inc $11", "hlt",
	};
	size_t	 i;
	char	*out;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		quiet(h, lines[i]);
	quiet(h, "!load");
	for (i = 0; i < sizeof(prog) / sizeof(prog[0]); i++)
		quiet(h, prog[i]);
	out = say(h, "!end");
	cr_assert(strstr(out, "loaded 3 instructions") != NULL, "%s", out);
	free(out);
	quiet(h, "typed: inc $11");
	out = say(h, "bogus line");	/* an error: counted, in history */
	cr_assert(strstr(out, "unknown mnemonic") != NULL, "%s", out);
	free(out);
}

/* Each command's answer in a and b is the same. */
static void
same_answers(struct host *a, struct host *b)
{
	static const char *const cmds[] = {
		"!registers", "!program", "!symbols", "!history", "!limits",
	};
	char	*x, *y;
	size_t	 i;

	for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		x = say(a, cmds[i]);
		y = say(b, cmds[i]);
		cr_assert_str_eq(y, x, "%s differs", cmds[i]);
		free(x);
		free(y);
	}
}

Test(repl_state, a_session_read_back_answers_and_goes_on_as_saved)
{
	struct host	 a, b;
	uint8_t		*p, *q;
	size_t		 len, qlen;
	char		 err[256], *out;

	host_start(&a, 4096, 50);
	host_start(&b, 4096, 50);
	build(&a);
	save(&a, &p, &len);
	cr_assert_eq(repl_load(b.repl, p, len, err, sizeof(err)), 0, "%s",
	    err);
	/* The same bytes back: one state, one encoding. */
	save(&b, &q, &qlen);
	cr_assert_eq(qlen, len);
	cr_assert_eq(memcmp(p, q, len), 0);
	same_answers(&a, &b);

	/* It goes on: heap, stack, labels, the remainder. */
	quiet(&b, "loadm $5 $12");
	quiet(&b, "pop $13");
	out = say(&b, "!registers");
	cr_assert(strstr(out, "$12        1234") != NULL, "%s", out);
	cr_assert(strstr(out, "$13          -7") != NULL, "%s", out);
	cr_assert(strstr(out, "$6            nan") != NULL, "%s", out);
	cr_assert(strstr(out, "equal_flag true   remainder 2   "
	    "loop_counter 3") != NULL, "%s", out);
	free(out);
	quiet(&b, "neq $1 $1");
	quiet(&b, "djmpe @typed");
	out = say(&b, "prts @greeting");
	cr_assert_str_eq(out, "Hi\n");
	free(out);
	free(p);
	free(q);
	host_end(&a);
	host_end(&b);
}

Test(repl_state, an_open_load_block_moves_and_loads_at_its_end)
{
	struct host	 a, b;
	uint8_t		*p;
	size_t		 len;
	char		 err[256], *out;

	host_start(&a, 4096, 50);
	host_start(&b, 4096, 50);
	quiet(&a, "!load");
	quiet(&a, "load $20 #20");
	save(&a, &p, &len);
	cr_assert_eq(repl_load(b.repl, p, len, err, sizeof(err)), 0, "%s",
	    err);
	cr_assert_str_eq(repl_prompt(b.repl), REPL_PROMPT_LOAD);
	quiet(&b, "inc $20");
	out = say(&b, "!end");
	cr_assert(strstr(out, "loaded 2 instructions") != NULL, "%s", out);
	free(out);
	out = say(&b, "!registers");
	cr_assert(strstr(out, "$20          21") != NULL, "%s", out);
	free(out);
	free(p);
	host_end(&a);
	host_end(&b);
}

/* Load must fail with a message holding want; b saves as before. */
static void
refused(struct host *b, const uint8_t *p, size_t len, const char *want)
{
	uint8_t	*before, *after;
	size_t	 blen, alen;
	char	 err[256];

	save(b, &before, &blen);
	err[0] = '\0';
	cr_assert_eq(repl_load(b->repl, p, len, err, sizeof(err)), -1,
	    "a bad state (%s) was taken", want);
	cr_assert(strstr(err, want) != NULL, "error '%s' lacks '%s'", err,
	    want);
	save(b, &after, &alen);
	cr_assert(blen == alen && memcmp(before, after, blen) == 0,
	    "a refused state changed the session");
	free(before);
	free(after);
}

Test(repl_state, every_truncation_is_refused_and_changes_nothing)
{
	struct host	 a, b;
	uint8_t		*p;
	size_t		 len, n;

	host_start(&a, 4096, 50);
	host_start(&b, 4096, 50);
	build(&a);
	quiet(&b, "load $1 #99");	/* b has a state of its own */
	save(&a, &p, &len);
	refused(&b, p, 0, "truncated");
	for (n = 8; n < len; n++)
		refused(&b, p, n, "");
	free(p);
	host_end(&a);
	host_end(&b);
}

/*
 * The canonical property under mutation: every flipped byte is either
 * refused or read as a state that saves back to exactly those bytes.
 */
Test(repl_state, a_flipped_byte_is_refused_or_saves_back_the_same)
{
	static const uint8_t flips[] = { 0x01, 0x80, 0xff };
	struct host	 a, b;
	uint8_t		*p, *q;
	size_t		 len, qlen, i, k, taken = 0;
	char		 err[256];

	host_start(&a, 4096, 50);
	build(&a);
	save(&a, &p, &len);
	for (i = 0; i < len; i++) {
		for (k = 0; k < sizeof(flips); k++) {
			host_start(&b, 4096, 50);
			p[i] ^= flips[k];
			if (repl_load(b.repl, p, len, err, sizeof(err)) == 0) {
				taken++;
				save(&b, &q, &qlen);
				cr_assert(qlen == len && memcmp(p, q, len) == 0,
				    "byte %zu ^ 0x%02x: read, saved back "
				    "otherwise", i, flips[k]);
				free(q);
			} else
				cr_assert_neq(err[0], '\0');
			p[i] ^= flips[k];
			host_end(&b);
		}
	}
	/* Registers, heap bytes and code are free: most flips are taken. */
	cr_assert_gt(taken, len);
	free(p);
	host_end(&a);
}

Test(repl_state, a_state_past_the_sessions_limits_is_refused)
{
	struct host	 a, b;
	uint8_t		*p;
	size_t		 len;
	int		 i;
	char		 line[32];

	host_start(&a, 16384, 50);
	quiet(&a, "load $1 #5000");
	quiet(&a, "aloc $1");
	save(&a, &p, &len);
	host_start(&b, 4096, 50);
	refused(&b, p, len, "heap of 5064 at byte");
	host_end(&b);
	free(p);
	host_end(&a);

	host_start(&a, 4096, 50);
	for (i = 0; i < 10; i++) {
		snprintf(line, sizeof(line), "load $1 #%d", i);
		quiet(&a, line);
	}
	save(&a, &p, &len);
	host_start(&b, 4096, 4);
	refused(&b, p, len, "past this session's history lines of 4");
	host_end(&b);
	free(p);
	host_end(&a);
}

/* The offset of the first n bytes of s in p, which must be there. */
static size_t
find(const uint8_t *p, size_t len, const char *s)
{
	const uint8_t	*at = memmem(p, len, s, strlen(s));

	cr_assert_not_null(at, "'%s' not in the state", s);
	return (size_t)(at - p);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* Offsets of version 1: the header, counters and registers are fixed. */
#define OFF_VERSION	8
#define OFF_PC		(16 + 24 + 32 * 4 + 32 * 8)

Test(repl_state, hand_made_lies_are_refused_with_what_is_wrong)
{
	struct host	 a, b;
	uint8_t		*p, *m;
	size_t		 len, at;

	host_start(&a, 4096, 50);
	host_start(&b, 4096, 50);
	quiet(&a, "aa: load $1 #1");
	quiet(&a, "ab: inc $1");
	save(&a, &p, &len);
	m = malloc(len + 1);

	memcpy(m, p, len);
	m[0] = 'X';
	refused(&b, m, len, "not a saved session");
	memcpy(m, p, len);
	put32(m + OFF_VERSION, 2);
	refused(&b, m, len, "format version 2");
	memcpy(m, p, len);
	m[len] = 0;
	refused(&b, m, len + 1, "1 bytes after the end");
	memcpy(m, p, len);
	put32(m + OFF_PC, 0);
	refused(&b, m, len, "pc 0 is not on an instruction");
	memcpy(m, p, len);
	put32(m + OFF_PC, 70);
	refused(&b, m, len, "pc 70 is not on an instruction");

	at = find(p, len, "ab");
	memcpy(m, p, len);
	m[at + 1] = 'a';
	refused(&b, m, len, "a second label of that name");
	memcpy(m, p, len);
	m[at + 1] = '-';
	refused(&b, m, len, "not a label name");
	memcpy(m, p, len);
	put32(m + at + 2, 70);		/* ab's value: mid-instruction */
	refused(&b, m, len, "code offset 70 is not on an instruction");
	memcpy(m, p, len);
	m[at + 6] = 1;			/* ab a data label past the RO data */
	refused(&b, m, len, "data offset 72 is past the RO data");
	memcpy(m, p, len);
	m[at + 6] = 2;
	refused(&b, m, len, "a symbol's kind at byte");
	free(m);
	free(p);
	host_end(&a);
	host_end(&b);
}

Test(repl_state, a_fresh_session_saves_and_reads_back)
{
	struct host	 a, b;
	uint8_t		*p, *q;
	size_t		 len, qlen;
	char		 err[256];

	host_start(&a, 4096, 50);
	host_start(&b, 4096, 50);
	save(&a, &p, &len);
	cr_assert_eq(repl_load(b.repl, p, len, err, sizeof(err)), 0, "%s",
	    err);
	save(&b, &q, &qlen);
	cr_assert(qlen == len && memcmp(p, q, len) == 0);
	same_answers(&a, &b);
	free(p);
	free(q);
	host_end(&a);
	host_end(&b);
}

/*
 * test_asm_cost.c: what assembling costs, measured in the assembler's own
 * steps (asm.h, struct asm_work), never in time: names chosen to collide
 * in an unkeyed hash cost no more than ordinary ones; the work budget
 * stops an assembly with its message; the poll callback is called while
 * the assembler works and can stop it with nothing changed. And SipHash,
 * which keys the label table, against its published test vectors.
 */
#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "buf.h"
#include "crafted.h"
#include "asm_internal.h"
#include "siphash.h"

/* Assemble src under w, which must succeed, into *p. */
static void
assemble_work(struct asm_prog *p, const char *src, size_t len,
    struct asm_work *w)
{
	struct asm_diags	 d;
	char			 line[1024];

	asm_diags_init(&d);
	asm_prog_init(p);
	if (asm_source_work(p, src, len, w, &d) != 0) {
		if (d.n > 0)
			asm_diag_format(line, sizeof(line), NULL, &d.v[0]);
		cr_assert_fail("assembly failed: %s", d.n > 0 ? line :
		    "no diagnostic");
	}
	asm_diags_free(&d);
}

/*
 * The probes an unkeyed FNV-1a table with linear probing (grown to stay
 * at most half full, as the assembler's was) makes to insert the names
 * of src once: what the old table paid in its first pass alone.
 */
static uint64_t
fnv_table_probes(const char *src, size_t len)
{
	const char	*p = src, *end = src + len, *nl;
	uint64_t	*slot = NULL, probes = 0, h;
	size_t		 cap = 0, n = 0, i, j, ncap;

	for (; p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL;
	    p = nl + 1) {
		if (nl - p < 2 || nl[-1] != ':')
			continue;
		if ((n + 1) * 2 > cap) {
			uint64_t *t;

			ncap = cap != 0 ? cap * 2 : 64;
			t = calloc(ncap, sizeof(*t));
			cr_assert_not_null(t);
			for (j = 0; j < cap; j++)
				if (slot[j] != 0) {
					for (i = (slot[j] - 1) & (ncap - 1);
					    t[i] != 0; i = (i + 1) & (ncap - 1))
						continue;
					t[i] = slot[j];
				}
			free(slot);
			slot = t;
			cap = ncap;
		}
		h = crafted_fnv(p, (size_t)(nl - p - 1));
		for (i = h & (cap - 1); slot[i] != 0; i = (i + 1) & (cap - 1))
			probes++;
		slot[i] = h + 1;
		n++;
	}
	free(slot);
	return probes;
}

Test(asm_cost, siphash_matches_the_published_vectors)
{
	uint8_t		 key[16], msg[15];
	size_t		 i;

	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	/* SipHash-2-4, key 00..0f: the empty message and 00..0e. */
	cr_expect_eq(siphash(key, msg, 0, 2, 4), 0x726fdb47dd0e0e31ULL);
	cr_expect_eq(siphash(key, msg, 15, 2, 4), 0xa129ca6149be45e5ULL);
	/* The table's 1-3 is the same function with fewer rounds. */
	cr_expect_neq(siphash(key, msg, 15, 1, 3),
	    siphash(key, msg, 15, 2, 4));
}

/*
 * 8,000 names that an unkeyed FNV-1a table puts in one run (checked
 * here: the old table would have probed more than the whole budget)
 * cost the keyed table what 8,000 ordinary names of the same length
 * cost, and every one of them is found.
 */
Test(asm_cost, colliding_names_cost_what_ordinary_ones_cost)
{
	struct asm_prog	 p;
	struct asm_work	 wc, wo;
	char		*crafted, *ordinary, name[CRAFTED_NAME + 1];
	size_t		 clen, olen, i;
	const struct asm_sym *s;
	unsigned	 n = 8000;

	crafted = crafted_source(n, true, &clen);
	ordinary = crafted_source(n, false, &olen);
	cr_assert_not_null(crafted);
	cr_assert_not_null(ordinary);
	cr_assert_eq(clen, olen);
	for (i = 0; i < n; i++)
		cr_assert_lt(crafted_fnv(crafted + i * (CRAFTED_NAME + 2),
		    CRAFTED_NAME) & (CRAFTED_TABLE - 1), CRAFTED_WINDOW);
	cr_assert_gt(fnv_table_probes(crafted, clen), 5 * ASM_BUDGET(clen),
	    "the input does not attack an unkeyed table");
	cr_assert_lt(fnv_table_probes(ordinary, olen), ASM_BUDGET(olen) / 10);

	memset(&wc, 0, sizeof(wc));
	memset(&wo, 0, sizeof(wo));
	assemble_work(&p, ordinary, olen, &wo);
	asm_prog_free(&p);
	assemble_work(&p, crafted, clen, &wc);
	cr_assert_eq(p.nsyms, n);
	for (i = 0; i < n; i++) {
		memcpy(name, crafted + i * (CRAFTED_NAME + 2), CRAFTED_NAME);
		name[CRAFTED_NAME] = '\0';
		s = asm_sym_find(&p, name);
		cr_assert_not_null(s, "%s not found", name);
		cr_assert_eq(s->line, i + 1);
	}
	asm_prog_free(&p);
	cr_log_info("steps: crafted %llu, ordinary %llu, budget %llu",
	    (unsigned long long)wc.used, (unsigned long long)wo.used,
	    (unsigned long long)ASM_BUDGET(clen));
	cr_expect_leq(wc.used, wo.used + wo.used / 4, "crafted names cost "
	    "%llu steps, ordinary ones %llu", (unsigned long long)wc.used,
	    (unsigned long long)wo.used);
	cr_expect_lt(wc.used, ASM_BUDGET(clen) / 4);
	free(crafted);
	free(ordinary);
}

/* Past its budget an assembly fails with one diagnostic saying so. */
Test(asm_cost, the_budget_stops_an_assembly_with_its_message)
{
	struct asm_prog	 p;
	struct asm_diags d;
	struct asm_work	 w;
	struct buf	 b;
	char		 line[1024], want[256];
	int		 i;

	buf_init(&b, 0);
	for (i = 0; i < 2000; i++)
		buf_printf(&b, "l%d: nop\n", i);
	asm_prog_init(&p);
	asm_diags_init(&d);
	memset(&w, 0, sizeof(w));
	w.budget = 1000;
	cr_assert_eq(asm_source_work(&p, b.data, b.len, &w, &d), -1);
	cr_assert_eq(d.n, 1);
	asm_diag_format(line, sizeof(line), NULL, &d.v[0]);
	snprintf(want, sizeof(want), ":1: assembly stopped here: it took "
	    "more than 1000 steps, the budget for %zu bytes of source (no "
	    "input of that size needs as much)", b.len);
	cr_assert_not_null(strstr(line, want), "%s", line);
	/*
	 * Checked between lines: one line's work past it at most (a line
	 * may grow the label table), not the ~28,000 steps of the whole.
	 */
	cr_assert_gt(w.used, 1000);
	cr_assert_lt(w.used, 2000, "it went on past the budget: %llu",
	    (unsigned long long)w.used);
	cr_assert_null(p.code);
	cr_assert_eq(p.nsyms, 0);
	asm_diags_free(&d);
	/* The default budget takes it. */
	w.budget = 0;
	assemble_work(&p, b.data, b.len, &w);
	cr_assert_eq(p.nsyms, 2000);
	cr_assert_lt(w.used, ASM_BUDGET(b.len) / 8);
	asm_prog_free(&p);
	buf_free(&b);
}

struct poller {
	int	 calls;
	int	 stop_at;	/* 0: never */
};

static int
poller(void *arg)
{
	struct poller	*pl = arg;

	pl->calls++;
	return pl->stop_at != 0 && pl->calls >= pl->stop_at;
}

/* The poll callback comes once a slice, and stops it with no trace. */
Test(asm_cost, the_poll_comes_every_slice_and_can_stop_it)
{
	struct asm_prog	 p;
	struct asm_diags d;
	struct asm_work	 w;
	struct poller	 pl;
	struct buf	 b;
	int		 i;

	buf_init(&b, 0);
	/* Errors too: a stop in pass 2 must drop the ones reported so far. */
	for (i = 0; i < 3000; i++)
		buf_printf(&b, "l%d: bogus $%d\n", i, i % 40);
	memset(&pl, 0, sizeof(pl));
	memset(&w, 0, sizeof(w));
	w.slice = 500;
	w.poll = poller;
	w.arg = &pl;
	asm_prog_init(&p);
	asm_diags_init(&d);
	cr_assert_eq(asm_source_work(&p, b.data, b.len, &w, &d), -1);
	/* Every error counted; the first ones kept and one line more. */
	cr_assert_geq(d.n - 1 + d.more, 3000);
	cr_assert_eq(d.n, ASM_DIAGS_MAX + 1);
	/* Polled between lines: a slice may run over by a line's work. */
	cr_assert_geq((uint64_t)pl.calls, w.used / 1000, "%d polls for %llu "
	    "steps", pl.calls, (unsigned long long)w.used);
	asm_diags_free(&d);

	/* Stopped late, in pass 2: nothing reported, nothing changed. */
	pl.stop_at = pl.calls - 1;
	pl.calls = 0;
	asm_diags_init(&d);
	cr_assert_eq(asm_source_work(&p, b.data, b.len, &w, &d), ASM_STOPPED);
	cr_assert_eq(pl.calls, pl.stop_at);
	cr_assert_eq(d.n, 0);
	cr_assert_eq(d.more, 0);
	cr_assert_null(p.code);
	cr_assert_eq(p.nsyms, 0);
	asm_diags_free(&d);
	buf_free(&b);
}

/*
 * repl_complete.c: Tab completion for a host's line editor (see repl.h,
 * repl_complete()): which words may stand where the cursor is, from
 * what the REPL knows: the instruction set, the directives, its
 * commands, the registers, and the names the session's program defines.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "asm.h"
#include "buf.h"
#include "isa.h"
#include "repl.h"
#include "repl_internal.h"
#include "vm.h"

/* The directives, as the assembler spells them (worker/lang/asm_lex.c). */
static const char *const repl_directives[] = {
	".asciiz", ".code", ".data", ".integer",
};

static int
repl_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool
repl_blank(char c)
{
	return c == ' ' || c == '\t' || c == ',';
}

/* Append the sorted words of w[0..n) that start with p[0..plen). */
static size_t
repl_offer(const char **w, size_t n, const char *p, size_t plen,
    struct buf *out)
{
	size_t	 i, k = 0;

	qsort(w, n, sizeof(w[0]), repl_cmp);
	for (i = 0; i < n; i++) {
		if (strlen(w[i]) < plen || strncasecmp(w[i], p, plen) != 0)
			continue;
		if (buf_puts(out, w[i]) == -1 || buf_putc(out, '\n') == -1)
			return 0;
		k++;
	}
	return k;
}

size_t
repl_complete(const struct repl *r, const char *line, size_t len,
    size_t *startp, struct buf *out)
{
	const char		*w[256 + 32];
	const struct isa_info	*op;
	const char		*p;
	char			 reg[8];
	size_t			 start = len, i, n = 0, k = 0, plen;
	bool			 first;
	int			 b;

	while (start > 0 && !repl_blank(line[start - 1]))
		start--;
	*startp = start;
	for (i = 0; i < start && repl_blank(line[i]); i++)
		continue;
	first = i == start;
	p = line + start;
	plen = len - start;
	if (plen > 0 && p[0] == '$') {
		for (i = 0; i < ISA_NREGS; i++) {
			snprintf(reg, sizeof(reg), "$%zu", i);
			if (strncmp(reg, p, plen) != 0)
				continue;
			if (buf_puts(out, reg) == -1 ||
			    buf_putc(out, '\n') == -1)
				return 0;
			k++;
		}
		return k;
	}
	if (plen > 0 && p[0] == '@') {
		for (i = 0; i < r->prog.nsyms; i++) {
			if (strncmp(r->prog.syms[i].name, p + 1,
			    plen - 1) != 0)
				continue;
			if (buf_putc(out, '@') == -1 ||
			    buf_puts(out, r->prog.syms[i].name) == -1 ||
			    buf_putc(out, '\n') == -1)
				return 0;
			k++;
		}
		return k;
	}
	if (!first)
		return 0;
	if (plen > 0 && p[0] == '!') {
		for (i = 0; repl_cmd_name(i) != NULL; i++)
			w[n++] = repl_cmd_name(i);
		if (r->loading)
			w[n++] = "!end";
		return repl_offer(w, n, p, plen, out);
	}
	for (b = 0; b < 256; b++)
		if ((op = isa_lookup((uint8_t)b)) != NULL)
			w[n++] = op->mnemonic;
	for (i = 0; i < sizeof(repl_directives) / sizeof(repl_directives[0]);
	    i++)
		w[n++] = repl_directives[i];
	return repl_offer(w, n, p, plen, out);
}

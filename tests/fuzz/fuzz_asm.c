/*
 * fuzz_asm.c: libFuzzer target for the assembler and the disassembler.
 *
 * Any byte string is assembled as a file. What assembles must be a valid
 * image that the disassembler prints as text re-assembling to the same
 * bytes; what fails must come with well-formed diagnostics in source
 * order. Then every line is typed into one fresh REPL program with
 * asm_line(), which must be all or nothing, and the program it builds
 * must round-trip too. The work of every assembly stays well inside
 * its default budget (a bound linear in the source's size: an input that
 * costs more than that is a quadratic path found), and an assembly that a
 * small budget or the poll callback stops changes nothing. Any broken
 * promise aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "buf.h"
#include "disasm.h"
#include "image.h"
#include "isa.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int ok)
{
	if (!ok)
		abort();
}

static int
same_bytes(const uint8_t *a, const uint8_t *b, size_t n)
{
	return n == 0 || memcmp(a, b, n) == 0;
}

/* The program as an image, disassembled and assembled again: same bytes. */
static void
round_trip(const struct asm_prog *prog)
{
	struct asm_prog		 again;
	struct asm_diags	 diags;
	struct image		 img;
	struct buf		 text;
	uint8_t			*bytes;
	size_t			 len;
	char			 err[256];

	bytes = asm_prog_build(prog, &len);
	check(bytes != NULL);
	check(image_parse(&img, bytes, len, err, sizeof(err)) == 0);
	check(img.ro_len == prog->ro_len && img.code_len == prog->code_len);
	buf_init(&text, 0);
	check(disasm_source(&text, &img, err, sizeof(err)) == 0);
	asm_prog_init(&again);
	asm_diags_init(&diags);
	check(asm_source(&again, text.data, text.len, &diags) == 0);
	check(again.ro_len == prog->ro_len && again.code_len ==
	    prog->code_len);
	check(same_bytes(again.ro, prog->ro, prog->ro_len));
	check(same_bytes(again.code, prog->code, prog->code_len));
	buf_reset(&text);
	check(disasm_listing(&text, &img, prog) == 0);
	asm_prog_free(&again);
	asm_diags_free(&diags);
	buf_free(&text);
	free(bytes);
}

/* Diagnostics of a failed assembly: present, in order, on real lines. */
static void
check_diags(const struct asm_diags *d, const uint8_t *src, size_t len)
{
	size_t		 i, lines = 1;
	const uint8_t	*p;

	for (p = src; (p = memchr(p, '\n', len - (size_t)(p - src))) != NULL;
	    p++)
		lines++;
	check(d->n > 0);
	for (i = 0; i < d->n; i++) {
		check(d->v[i].line >= 1 && d->v[i].line <= lines);
		check(d->v[i].col >= 1 && d->v[i].col <= len + 1);
		check(d->v[i].msg != NULL && d->v[i].msg[0] != '\0');
		if (i > 0)
			check(d->v[i - 1].line < d->v[i].line ||
			    (d->v[i - 1].line == d->v[i].line &&
			    d->v[i - 1].col <= d->v[i].col));
	}
}

/* Type every line into one program, as a REPL session would. */
static void
type_lines(const uint8_t *src, size_t len)
{
	struct asm_prog		 prog;
	struct asm_diags	 d;
	const uint8_t		*p = src, *nl, *end = src + len;
	size_t			 n, nsyms;
	uint32_t		 first, code_len;
	unsigned		 count, i;

	asm_prog_init(&prog);
	for (;;) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		code_len = prog.code_len;
		nsyms = prog.nsyms;
		asm_diags_init(&d);
		if (asm_line(&prog, (const char *)p, n, &first, &count,
		    &d) == 0) {
			check(d.n == 0);
			check(first == ISA_RO_OFFSET + code_len);
			check(prog.code_len == code_len + 4 * count);
			check(count <= 2);
			check(prog.nsyms == nsyms || prog.nsyms == nsyms + 1);
			check(ISA_RO_OFFSET + prog.code_len <= ISA_IMAGE_MAX);
		} else {
			/* All or nothing, and said why. */
			check(d.n > 0);
			check(prog.code_len == code_len && prog.nsyms == nsyms);
			for (i = 0; i < d.n; i++)
				check(d.v[i].line == 1 && d.v[i].col >= 1 &&
				    d.v[i].col <= n + 1);
		}
		asm_diags_free(&d);
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	round_trip(&prog);
	asm_prog_free(&prog);
}

static int
stop_at(void *arg)
{
	unsigned	*left = arg;

	return (*left)-- <= 1;
}

/*
 * Stopped by a budget (from the input's first byte) or by the poll: no
 * program, and the budget's diagnostic among the others, or none at all.
 */
static void
stopped(const uint8_t *data, size_t len, int rv_full)
{
	struct asm_prog		 prog;
	struct asm_diags	 diags;
	struct asm_work		 w;
	unsigned		 left;
	size_t			 i;
	int			 rv;

	if (len == 0)
		return;
	asm_prog_init(&prog);
	asm_diags_init(&diags);
	memset(&w, 0, sizeof(w));
	w.budget = 1 + (uint64_t)data[0] * 4;
	rv = asm_source_work(&prog, (const char *)data, len, &w, &diags);
	if (rv == 0) {
		check(rv_full == 0 && w.used <= w.budget);
	} else {
		check(rv == -1 && diags.n > 0 && prog.code == NULL &&
		    prog.nsyms == 0);
		if (w.used > w.budget) {
			for (i = 0; i < diags.n; i++)
				if (strstr(diags.v[i].msg,
				    "assembly stopped here") != NULL)
					break;
			check(i < diags.n);
		}
	}
	asm_diags_free(&diags);
	asm_prog_free(&prog);
	asm_diags_init(&diags);
	memset(&w, 0, sizeof(w));
	left = 1 + data[0] % 4;
	w.slice = 8;
	w.poll = stop_at;
	w.arg = &left;
	rv = asm_source_work(&prog, (const char *)data, len, &w, &diags);
	check(rv == 0 || rv == -1 || rv == ASM_STOPPED);
	if (rv == ASM_STOPPED)
		check(diags.n == 0 && prog.code == NULL && prog.nsyms == 0);
	else
		check(rv == rv_full);
	asm_diags_free(&diags);
	asm_prog_free(&prog);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct asm_prog		 prog;
	struct asm_diags	 diags;
	struct asm_work		 w;
	size_t			 i;
	uint32_t		 entry;
	int			 rv;

	asm_prog_init(&prog);
	asm_diags_init(&diags);
	memset(&w, 0, sizeof(w));
	rv = asm_source_work(&prog, (const char *)data, len, &w, &diags);
	/* Linear work: a quarter of the default budget at most. */
	check(w.used <= ASM_BUDGET(len) / 4);
	if (rv == 0) {
		check(diags.n == 0);
		check(prog.ro_len % 4 == 0 && prog.code_len % 4 == 0);
		check(ISA_RO_OFFSET + prog.ro_len + prog.code_len <=
		    ISA_IMAGE_MAX);
		/* Labels name data or code of this program, or its end. */
		entry = ISA_RO_OFFSET + prog.ro_len;
		for (i = 0; i < prog.nsyms; i++) {
			if (prog.syms[i].kind == ASM_SYM_DATA)
				check(prog.syms[i].value < prog.ro_len);
			else
				check(prog.syms[i].value >= entry &&
				    prog.syms[i].value <= entry +
				    prog.code_len);
		}
		round_trip(&prog);
	} else
		check_diags(&diags, data, len);
	asm_prog_free(&prog);
	asm_diags_free(&diags);
	stopped(data, len, rv);
	type_lines(data, len);
	return 0;
}

/*
 * disasm.c: images back to text (see disasm.h).
 *
 * disasm_source() is the assembler's inverse: whatever it prints,
 * asm_source() turns back into the same bytes, so it first checks that
 * every instruction is one the assembler can write (known opcode,
 * registers up to $31, zero padding, operands in their assembly range)
 * and refuses the image otherwise. The RO section has no item boundaries
 * in the image; they are chosen here (see plan_ro) so that the text reads
 * as strings wherever the bytes allow. disasm_listing() is the REPL's
 * !program view and shows whatever is there, valid or not.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disasm.h"
#include "isa.h"
#include "utf8.h"

/* How plan_ro() cuts the RO section, one entry per offset. */
enum ro_choice {
	RO_NONE,	/* no way to go on from here */
	RO_END,		/* the assembler's zero padding up to the end */
	RO_TEXT,	/* .asciiz of the text up to the next NUL */
	RO_EMPTY,	/* .asciiz '' (a lone NUL) */
	RO_INT,		/* .integer of the next four bytes */
};

/*
 * The value an operand is printed with: as the assembler reads it back,
 * signed where the assembly range has negative numbers (except LUI, whose
 * 0..65535 reads better than its negative aliases).
 */
static int64_t
opnd_value(const struct isa_info *info, uint8_t op, const uint8_t *p)
{
	uint16_t	 raw = isa_get16(p);

	if (info->lo < 0 && op != OP_LUI)
		return (int16_t)raw;
	return raw;
}

/*
 * Append the text of one instruction. When name is not NULL, "@name" is
 * printed for the numeric operand instead of its value.
 */
static int
put_insn(struct buf *out, const uint8_t *p, const char *name)
{
	const struct isa_info	*info;
	int			 i, nops, pos = 1;

	if ((info = isa_lookup(p[0])) == NULL)
		return buf_printf(out, "(unknown opcode %u)", p[0]);
	if (buf_puts(out, info->mnemonic) == -1)
		return -1;
	nops = isa_nops(info->fmt);
	for (i = 0; i < nops; i++) {
		if (isa_opnd_is_reg(info->fmt, i)) {
			if (buf_printf(out, " $%u", p[pos]) == -1)
				return -1;
			pos++;
			continue;
		}
		if (name != NULL) {
			if (buf_printf(out, " @%s", name) == -1)
				return -1;
		} else if (buf_printf(out, " #%lld",
		    (long long)opnd_value(info, p[0], p + pos)) == -1)
			return -1;
		pos += 2;
	}
	return 0;
}

int
disasm_insn(struct buf *out, const uint8_t *p)
{
	return put_insn(out, p, NULL);
}

/* Can the assembler write the instruction at image offset off? */
static int
check_insn(const uint8_t *p, uint32_t off, char *err, size_t errlen)
{
	const struct isa_info	*info;
	int64_t			 v;
	int			 i, nops, pos = 1;

	if ((info = isa_lookup(p[0])) == NULL) {
		snprintf(err, errlen, "unknown opcode %u at image offset %u",
		    p[0], off);
		return -1;
	}
	nops = isa_nops(info->fmt);
	for (i = 0; i < nops; i++) {
		if (isa_opnd_is_reg(info->fmt, i)) {
			if (p[pos] >= ISA_NREGS) {
				snprintf(err, errlen, "register byte %u at "
				    "image offset %u is past $31 (%s)", p[pos],
				    off + pos, info->mnemonic);
				return -1;
			}
			pos++;
			continue;
		}
		v = opnd_value(info, p[0], p + pos);
		if (p[0] != OP_LOAD && (v < info->lo || v > info->hi)) {
			snprintf(err, errlen, "operand %lld of %s at image "
			    "offset %u is outside its assembly range "
			    "(%lld..%lld)", (long long)v, info->mnemonic,
			    off + pos, (long long)info->lo,
			    (long long)info->hi);
			return -1;
		}
		pos += 2;
	}
	for (; pos < ISA_INSN_LEN; pos++) {
		if (p[pos] != 0) {
			snprintf(err, errlen, "non-zero padding byte 0x%02x at "
			    "image offset %u (%s)", p[pos], off + pos,
			    info->mnemonic);
			return -1;
		}
	}
	return 0;
}

/*
 * Bytes of the printable character at p (one that the text form of an
 * .asciiz shows: printable ASCII, tab, newline, or a valid UTF-8 sequence
 * that is no C1 control), or 0.
 */
static size_t
text_char(const uint8_t *p, size_t n)
{
	uint32_t	 cp;
	size_t		 len;

	if ((len = utf8_decode(p, n, &cp)) == 0)
		return 0;
	if (cp == '\n' || cp == '\t' || (cp >= 0x20 && cp < 0x7f) ||
	    cp >= 0xa0)
		return len;
	return 0;
}

/* Working arrays of plan_ro(), one entry per RO offset and one more. */
struct ro_plan {
	uint8_t		*choice;	/* enum ro_choice */
	uint32_t	*nul;		/* RO_TEXT: where its NUL is */
	uint32_t	*cost;		/* items from here to the end */
};

static void
ro_plan_free(struct ro_plan *pl)
{
	free(pl->choice);
	free(pl->nul);
	free(pl->cost);
}

/*
 * What an .integer of these four bytes costs in plan_ro(): more when it
 * holds both text and a NUL, the sign that it cuts across strings.
 */
static uint32_t
int_cost(const uint8_t *p)
{
	int	 i, nul = 0, text = 0;

	for (i = 0; i < 4; i++) {
		if (p[i] == 0)
			nul = 1;
		else if (p[i] == '\n' || p[i] == '\t' ||
		    (p[i] >= 0x20 && p[i] < 0x7f))
			text = 1;
	}
	return nul && text ? 4 : 2;
}

/*
 * Cut the RO bytes into items that re-assemble to them, preferring text.
 * Any cut is a sequence of .asciiz (printable text, then a NUL) and
 * .integer (any four bytes) followed by at most three zero bytes of
 * padding; a cheapest one is found from the end backwards, where a
 * string costs 1, an empty string 2 and an integer 2 or 4 (int_cost), and
 * ties go to text, then integers. Since the length is a multiple of 4,
 * integers alone always work, so the only failure is memory.
 */
static int
plan_ro(struct ro_plan *pl, const uint8_t *ro, uint32_t n)
{
	uint32_t	 p, zeros = 0, best, c;
	size_t		 len;

	pl->choice = calloc((size_t)n + 1, 1);
	pl->nul = calloc((size_t)n + 1, sizeof(*pl->nul));
	pl->cost = calloc((size_t)n + 1, sizeof(*pl->cost));
	if (pl->choice == NULL || pl->nul == NULL || pl->cost == NULL)
		return -1;
	pl->choice[n] = RO_END;
	for (p = n; p-- > 0;) {
		/* Is this a text run ending in a NUL, read from p? */
		if (ro[p] == 0)
			pl->nul[p] = p;
		else if ((len = text_char(ro + p, n - p)) != 0 &&
		    p + len < n && pl->nul[p + len] != 0)
			pl->nul[p] = pl->nul[p + len];
		else
			pl->nul[p] = 0;
		zeros = ro[p] == 0 ? zeros + 1 : 0;
		if (zeros == n - p && n - p <= 3) {
			pl->choice[p] = RO_END;
			pl->cost[p] = 0;
			continue;
		}
		best = UINT32_MAX;
		if (ro[p] != 0 && pl->nul[p] != 0 &&
		    pl->choice[pl->nul[p] + 1] != RO_NONE) {
			best = pl->cost[pl->nul[p] + 1] + 1;
			pl->choice[p] = RO_TEXT;
		}
		if (n - p >= 4 && pl->choice[p + 4] != RO_NONE &&
		    (c = pl->cost[p + 4] + int_cost(ro + p)) < best) {
			best = c;
			pl->choice[p] = RO_INT;
		}
		if (ro[p] == 0 && pl->choice[p + 1] != RO_NONE &&
		    (c = pl->cost[p + 1] + 2) < best) {
			best = c;
			pl->choice[p] = RO_EMPTY;
		}
		pl->cost[p] = best;
	}
	return 0;
}

static int
put_text(struct buf *out, const uint8_t *s, uint32_t len)
{
	uint32_t	 i;
	int		 rv = 0;

	for (i = 0; i < len && rv == 0; i++) {
		switch (s[i]) {
		case '\n':
			rv = buf_puts(out, "\\n");
			break;
		case '\t':
			rv = buf_puts(out, "\\t");
			break;
		case '\\':
			rv = buf_puts(out, "\\\\");
			break;
		case '\'':
			rv = buf_puts(out, "\\'");
			break;
		default:
			rv = buf_putc(out, (char)s[i]);
			break;
		}
	}
	return rv;
}

/* The .data section; marks in item[] the offsets where items start. */
static int
put_data(struct buf *out, const struct image *img, uint8_t *item)
{
	struct ro_plan	 pl;
	uint32_t	 p = 0, q;
	int		 rv = -1;

	memset(&pl, 0, sizeof(pl));
	if (plan_ro(&pl, img->ro, img->ro_len) == -1)
		goto out;
	if (pl.choice[0] == RO_NONE)
		goto out;	/* cannot happen: see plan_ro() */
	if (buf_puts(out, ".data\n") == -1)
		goto out;
	while (pl.choice[p] != RO_END) {
		item[p] = 1;
		if (buf_printf(out, "d%u:\t", p) == -1)
			goto out;
		switch (pl.choice[p]) {
		case RO_TEXT:
			q = pl.nul[p];
			if (buf_puts(out, ".asciiz '") == -1 ||
			    put_text(out, img->ro + p, q - p) == -1 ||
			    buf_puts(out, "'\n") == -1)
				goto out;
			p = q + 1;
			break;
		case RO_EMPTY:
			if (buf_puts(out, ".asciiz ''\n") == -1)
				goto out;
			p++;
			break;
		default:
			if (buf_printf(out, ".integer #%d\n",
			    (int32_t)isa_get32le(img->ro + p)) == -1)
				goto out;
			p += 4;
			break;
		}
	}
	rv = 0;
out:
	ro_plan_free(&pl);
	return rv;
}

/* Opcodes whose address operand is a code address (a static target). */
static int
is_jump(uint8_t op)
{
	return op == OP_DJMPE || op == OP_LOOP || op == OP_CALL;
}

int
disasm_source(struct buf *out, const struct image *img, char *err,
    size_t errlen)
{
	const uint8_t		*p;
	uint8_t			*item = NULL, *label = NULL;
	uint32_t		 entry, end, i, n, v;
	size_t			 start = out->len;
	char			 name[32];
	int			 rv = -1;

	/* image_parse() guarantees these; a hand-made view may not. */
	if (img->ro_len % 4 != 0 || img->code_len % ISA_INSN_LEN != 0 ||
	    (uint64_t)ISA_RO_OFFSET + img->ro_len + img->code_len >
	    ISA_IMAGE_MAX) {
		snprintf(err, errlen, "not a valid image (RO section %u bytes "
		    "at image offset %d, code %u bytes)", img->ro_len,
		    ISA_RO_OFFSET, img->code_len);
		return -1;
	}
	entry = image_entry(img);
	end = entry + img->code_len;
	n = img->code_len / ISA_INSN_LEN;
	for (i = 0; i < n; i++)
		if (check_insn(img->code + 4 * i, entry + 4 * i, err,
		    errlen) == -1)
			return -1;

	/* Jump, loop and call targets that land on code get labels. */
	item = calloc((size_t)img->ro_len + 1, 1);
	label = calloc((size_t)n + 1, 1);
	if (item == NULL || label == NULL)
		goto oom;
	for (i = 0; i < n; i++) {
		p = img->code + 4 * i;
		v = isa_get16(p + 1);
		if (is_jump(p[0]) && v >= entry && v <= end &&
		    (v - entry) % 4 == 0)
			label[(v - entry) / 4] = 1;
	}
	if (img->ro_len > 0 && put_data(out, img, item) == -1)
		goto oom;
	if (buf_puts(out, ".code\n") == -1)
		goto oom;
	for (i = 0; i <= n; i++) {
		if (label[i] && buf_printf(out, "L%u:\n", entry + 4 * i) == -1)
			goto oom;
		if (i == n)
			break;
		p = img->code + 4 * i;
		v = isa_get16(p + 1);
		if (is_jump(p[0]) && v >= entry && v <= end &&
		    (v - entry) % 4 == 0)
			snprintf(name, sizeof(name), "L%u", v);
		else if (p[0] == OP_PRTS && v < img->ro_len && item[v])
			snprintf(name, sizeof(name), "d%u", v);
		else
			name[0] = '\0';
		if (buf_putc(out, '\t') == -1 ||
		    put_insn(out, p, name[0] != '\0' ? name : NULL) == -1 ||
		    buf_putc(out, '\n') == -1)
			goto oom;
	}
	rv = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory or output limit while "
	    "disassembling");
	out->len = start;
	if (out->data != NULL)
		out->data[start] = '\0';
out:
	free(item);
	free(label);
	return rv;
}

/*
 * Sort symbols of one kind by value, then by declaration (their order in
 * v when it comes: the table's order). A merge sort of our own, not
 * qsort(): glibc's asks the kernel for the machine's memory size
 * (sysinfo) before sorting more than 128 pointers, a system call the
 * worker's sandbox does not allow. 0, or -1 when memory is short.
 */
static int
sym_sort(const struct asm_sym **v, size_t n)
{
	const struct asm_sym	**t, **from = v, **to, **swap;
	size_t			 width, lo, mid, hi, i, j, k;

	if (n < 2)
		return 0;
	if ((t = calloc(n, sizeof(*t))) == NULL)
		return -1;
	to = t;
	for (width = 1; width < n; width *= 2) {
		for (lo = 0; lo < n; lo += 2 * width) {
			mid = lo + width < n ? lo + width : n;
			hi = lo + 2 * width < n ? lo + 2 * width : n;
			/* Stable: on equal values the left run goes first. */
			for (i = lo, j = mid, k = lo; k < hi; k++)
				to[k] = j >= hi || (i < mid &&
				    from[i]->value <= from[j]->value) ?
				    from[i++] : from[j++];
		}
		swap = from;
		from = to;
		to = swap;
	}
	if (from != v)
		memcpy(v, from, n * sizeof(*v));
	free(t);
	return 0;
}

/* The first symbol of the sorted list with value v, or NULL. */
static const struct asm_sym *
sym_at(const struct asm_sym *const *v, size_t n, uint32_t val)
{
	size_t	 lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (v[mid]->value < val)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo]->value == val ? v[lo] : NULL;
}

int
disasm_listing(struct buf *out, const struct image *img,
    const struct asm_prog *syms)
{
	const struct asm_sym	**code = NULL, **data = NULL, *s;
	const uint8_t		*p;
	size_t			 ncode = 0, ndata = 0, i, k = 0;
	uint32_t		 a, entry = image_entry(img);
	int			 rv = -1;

	if (syms != NULL && syms->nsyms > 0) {
		code = calloc(syms->nsyms, sizeof(*code));
		data = calloc(syms->nsyms, sizeof(*data));
		if (code == NULL || data == NULL)
			goto out;
		for (i = 0; i < syms->nsyms; i++) {
			if (syms->syms[i].kind == ASM_SYM_CODE)
				code[ncode++] = &syms->syms[i];
			else
				data[ndata++] = &syms->syms[i];
		}
		if (sym_sort(code, ncode) == -1 || sym_sort(data, ndata) == -1)
			goto out;
	}
	for (a = entry;; a += ISA_INSN_LEN) {
		/* Labels below this address that name no instruction are
		 * skipped: a listing shows only what is in the code. */
		while (k < ncode && code[k]->value < a)
			k++;
		for (; k < ncode && code[k]->value == a; k++)
			if (buf_printf(out, "%s:\n", code[k]->name) == -1)
				goto out;
		if (a - entry + ISA_INSN_LEN > img->code_len)
			break;
		p = img->code + (a - entry);
		if (buf_printf(out, "  %05u  %02x %02x %02x %02x  ", a, p[0],
		    p[1], p[2], p[3]) == -1)
			goto out;
		s = NULL;
		if (is_jump(p[0]))
			s = sym_at(code, ncode, isa_get16(p + 1));
		else if (p[0] == OP_PRTS)
			s = sym_at(data, ndata, isa_get16(p + 1));
		if (put_insn(out, p, s != NULL ? s->name : NULL) == -1 ||
		    buf_putc(out, '\n') == -1)
			goto out;
	}
	rv = 0;
out:
	free(code);
	free(data);
	return rv;
}
